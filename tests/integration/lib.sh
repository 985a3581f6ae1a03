# SPDX-License-Identifier: MIT
# Shared helpers of the integration tests. Each test script defines
# quick_<case>() / slow_<case>() functions; CMake adds one test per function
# and runs `bash script.sh <function>` with GNX (the binary), GNX_SRC and
# GNX_BUILD set.
set -u

GNX=${GNX:?GNX must point at the gnxbench binary}
GNX_SRC=${GNX_SRC:?}
SCHEMA="$GNX_SRC/docs/report-schema.json"
VALIDATE="$GNX_SRC/tests/validate-report.py"
# the system python, which has python3-jsonschema (not a pyenv shim)
PY=/usr/bin/python3

WORK=$(mktemp -d /tmp/gnx-test.XXXXXX)
# Every process this test starts (and their children) carries this tag, so
# leftovers can be found without confusing them with other tests' runs.
export GNX_TEST_TAG="gnxtest-$$-$RANDOM"

# tagged_pids: processes, other than this shell, that carry our tag.
tagged_pids() {
  local f pid env
  for f in /proc/[0-9]*/environ; do
    pid=${f#/proc/}; pid=${pid%/environ}
    [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
    { env=$(tr '\0' '\n' <"$f"); } 2>/dev/null
    if grep -qx "GNX_TEST_TAG=$GNX_TEST_TAG" <<<"$env"; then
      case "$(cat /proc/$pid/comm 2>/dev/null)" in bash|tr|grep|sh) continue ;; esac
      echo "$pid $(cat /proc/$pid/comm 2>/dev/null)"
    fi
  done
}
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# run_gnx ARGS...: runs gnxbench, leaving $RC, $OUT (stdout file), $ERR (stderr file).
run_gnx() {
  OUT="$WORK/stdout.$$" ERR="$WORK/stderr.$$"
  "$GNX" "$@" >"$OUT" 2>"$ERR"
  RC=$?
}

# expect_usage_error PATTERN ARGS...: exit 2, exactly one stderr line matching
# PATTERN, and nothing written (no results/ directory left behind).
expect_usage_error() {
  local pattern=$1; shift
  rm -rf results
  run_gnx "$@"
  [ "$RC" -eq 2 ] || fail "gnxbench $* exited $RC, expected 2; stderr: $(cat "$ERR")"
  [ "$(wc -l <"$ERR")" -eq 1 ] || fail "gnxbench $*: expected one stderr line, got: $(cat "$ERR")"
  grep -qE -- "$pattern" "$ERR" || fail "gnxbench $*: stderr '$(cat "$ERR")' does not match /$pattern/"
  if [ -e results ]; then # not even an empty results/
    fail "gnxbench $*: left results behind: $(ls -R results)"
  fi
  return 0
}

# validate REPORT: the report matches docs/report-schema.json.
validate() {
  /usr/bin/python3 "$VALIDATE" "$SCHEMA" "$1"
  local rc=$?
  [ "$rc" -eq 77 ] && skip "python3-jsonschema is not installed"
  [ "$rc" -eq 0 ] || fail "$1 does not match the schema"
}

# need_engines E...: skip unless every engine is built and available.
need_engines() {
  "$GNX" list >"$WORK/list.txt" 2>&1
  for e in "$@"; do
    grep -qE "^  $e " "$WORK/list.txt" || skip "engine $e is not built"
    if grep -A1 -E "^  $e " "$WORK/list.txt" | grep -q "NOT AVAILABLE"; then skip "engine $e is not available"; fi
  done
}

shm_snapshot() { ls /dev/shm 2>/dev/null | sort; }

# no_leftovers: no process whose parent is gone or that still runs our binary,
# and /dev/shm as it was before.
no_leftovers() {
  sleep 0.3
  local left
  left=$(tagged_pids)
  [ -z "$left" ] || fail "processes left behind: $left"

  [ "$(shm_snapshot)" = "$SHM_BEFORE" ] || fail "/dev/shm changed: $(shm_snapshot)"
}

# need_workload W: skip unless the workload is built with what it needs.
need_workload() {
  "$GNX" list >"$WORK/list.txt" 2>&1
  if grep -A2 -E "^  $1 " "$WORK/list.txt" | grep -q "NOT AVAILABLE"; then skip "workload $1 is not available"; fi
}

# need_mpirun: skip unless the mpi engine is built and mpirun is installed.
need_mpirun() {
  need_engines mpi
  command -v mpirun >/dev/null || skip "mpirun is not installed (apt-get install openmpi-bin)"
}

# need_mapped_buffers: skip in an AddressSanitizer build, where every item
# buffer stays malloc's (core/buf.c), so none is remembered or made ahead.
need_mapped_buffers() {
  if grep -q '^CMAKE_C_FLAGS:.*-fsanitize=[a-z,]*address' "$GNX_BUILD/CMakeCache.txt" 2>/dev/null; then
    skip "large buffers are malloc's in this build (AddressSanitizer)"
  fi
}

# jq-free JSON queries through python: json_get FILE EXPR (python expression on r)
json_get() {
  /usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"
}

run_case() {
  declare -F "$1" >/dev/null || fail "no test case $1"
  "$1"
  echo "PASS: $1"
}

# Timing checks on a machine shared with builds: measure again (up to 3
# times) when a run was disturbed, as a person would.
retry3() {
  local i
  for i in 1 2 3; do
    "$@" && return 0
    echo "attempt $i disturbed; measuring again" >&2
    rm -rf out # (a check removes its own other outputs)
  done
  return 1
}
