#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The fault campaign (issue 16; figures in docs/reliability.md): runs
# gnxbench under injected faults and checks that every trial ends clean:
#   - the exit status and report.json tell the same story (below),
#   - no process of the trial is left (workers die with their parent),
#   - nothing new in /dev/shm, no temporary file in the output directory.
# Classes: one signal (SIGTERM or SIGINT) at a random moment; timeout(1)'s
# double signal (the run, then its process group); SIGKILL of the parent;
# dead workers (--fault ... mode=abort|kill); unwritable outputs; a full
# disk (a small tmpfs, when mount is allowed here; else skipped).
#
#   bench/faults.sh [TRIALS_PER_CLASS]      (default 10; GNX=path/to/gnxbench)
#
# Agreement of exit status and report: 0: status complete, every cell
# verified; 1: a cell failed or did not verify, or the run failed
# (status failed or incomplete with an error); 130: status incomplete and
# interrupted; 2: no report (nothing left behind); 137 (SIGKILL): no report
# or one still marked running (it never claims to be finished).
set -u
cd "$(dirname "$0")/.."
GNX=${GNX:-$PWD/build/dev/gnxbench}
TRIALS=${1:-10}
WORK=$(mktemp -d /tmp/gnx-faults.XXXXXX)
trap 'umount "$WORK/full" 2>/dev/null; rm -rf "$WORK"' EXIT
[ -x "$GNX" ] || { echo "faults: no $GNX; build first (make build)" >&2; exit 2; }
RUN=(--engines all --workloads etl,gnn --sizes 10000 --reps 2 --warmup 0 --quiet)

declare -A injected clean
unclean_list=()

# A random delay in seconds, 0 .. $1 (three decimals).
rand_delay() { awk -v max="$1" -v r="$RANDOM$RANDOM" 'BEGIN { srand(r); printf "%.3f", rand() * max }'; }

# Processes carrying the trial's tag, other than this shell's own.
tagged() {
  local f pid
  for f in /proc/[0-9]*/environ; do
    pid=${f#/proc/}; pid=${pid%/environ}
    [ "$pid" = $$ ] && continue
    { tr '\0' '\n' <"$f"; } 2>/dev/null | grep -qx "GNX_FAULT_TAG=$1" && echo "$pid"
  done
}

# verdict RC DIR: empty when the exit status and DIR/report.json agree,
# else why not.
verdict() {
  local rc=$1 rep=$2/report.json
  if [ ! -e "$rep" ]; then
    case $rc in 2|137) return 0 ;; *) echo "exit $rc but no report.json"; return 0 ;; esac
  fi
  /usr/bin/python3 - "$rc" "$rep" <<'PY'
import json, sys
rc, path = int(sys.argv[1]), sys.argv[2]
try:
    r = json.load(open(path))
except Exception as e:
    print(f"exit {rc}: report.json unreadable ({e})"); sys.exit()
st, intr, err = r.get("status"), r.get("interrupted"), r.get("error")
cells = r.get("results", [])
bad = [c for c in cells if not c.get("verified")]
ok = {0: st == "complete" and not intr and not bad and cells,
      1: st in ("complete", "incomplete", "failed") and not intr and (bad or err),
      130: st == "incomplete" and intr is True,
      137: st == "running",
      2: False}.get(rc, False)
if not ok:
    print(f"exit {rc} but status {st}, interrupted {intr}, {len(bad)}/{len(cells)} cells not verified, error {err!r}")
PY
}

# trial CLASS DIR RC TAG SHM_BEFORE: record whether the trial was clean.
trial_done() {
  local class=$1 dir=$2 rc=$3 tag=$4 shm0=$5 why
  injected[$class]=$(( ${injected[$class]:-0} + 1 ))
  [ "$rc" = 99 ] && return 0 # judged unclean by the class, and said
  sleep 0.3 # children die with their parent (PDEATHSIG), a moment later
  why=$(verdict "$rc" "$dir")
  [ -n "$(tagged "$tag")" ] && why="$why processes left: $(tagged "$tag" | tr '\n' ' ')"
  [ "$(ls -A /dev/shm | sort)" != "$shm0" ] && why="$why new /dev/shm entries"
  local tmp
  tmp=$(find "$dir" -maxdepth 1 \( -name '.*.tmp' -o -name '.speedup.csv.*' -o -name '.summary.md.*' \
    -o -name '.gnx-probe-*' -o -name '*.tmp' \) 2>/dev/null | head -3 | tr '\n' ' ')
  [ -n "$tmp" ] && why="$why temporary files: $tmp"
  if [ -z "$why" ]; then
    clean[$class]=$(( ${clean[$class]:-0} + 1 ))
  else
    unclean_list+=("$class: $why")
  fi
}

# start TAG DIR ARGS...: gnxbench in the background, in its own process
# group (as a shell job is), tagged; sets PID.
start() {
  local tag=$1 dir=$2; shift 2
  GNX_FAULT_TAG=$tag setsid "$GNX" "$@" --out "$dir" >/dev/null 2>"$dir.err" &
  PID=$!
}

# How long the campaign's run takes here, to spread the signals over it.
calibrate() {
  local t0 t1
  t0=$(date +%s.%N)
  "$GNX" "${RUN[@]}" --out "$WORK/cal" >/dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

class_signal() { # one SIGTERM or SIGINT to the run alone, at a random moment
  local i sig d dir tag shm0 rc
  for ((i = 0; i < TRIALS; i++)); do
    sig=$([ $((i % 2)) -eq 0 ] && echo TERM || echo INT)
    d=$(rand_delay "$DUR"); dir=$WORK/sig-$i; tag=faults-$$-sig-$i; shm0=$(ls -A /dev/shm | sort)
    start "$tag" "$dir" "${RUN[@]}"
    sleep "$d"; kill -"$sig" "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null; rc=$?
    trial_done "signal" "$dir" "$rc" "$tag" "$shm0"
  done
}

class_double() { # timeout(1): the signal to the run, then to its group
  local i sig d dir tag shm0 rc
  for ((i = 0; i < TRIALS; i++)); do
    sig=$([ $((i % 2)) -eq 0 ] && echo TERM || echo INT)
    d=$(rand_delay "$DUR"); dir=$WORK/dbl-$i; tag=faults-$$-dbl-$i; shm0=$(ls -A /dev/shm | sort)
    GNX_FAULT_TAG=$tag timeout --preserve-status -s "$sig" "$d" "$GNX" "${RUN[@]}" --out "$dir" \
      >/dev/null 2>"$dir.err"
    rc=$?
    trial_done "double signal (timeout)" "$dir" "$rc" "$tag" "$shm0"
  done
}

class_sigkill() { # the parent SIGKILLed at a random moment
  local i d dir tag shm0 rc
  for ((i = 0; i < TRIALS; i++)); do
    d=$(rand_delay "$DUR"); dir=$WORK/kill-$i; tag=faults-$$-kill-$i; shm0=$(ls -A /dev/shm | sort)
    start "$tag" "$dir" "${RUN[@]}"
    sleep "$d"; kill -KILL "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null; rc=$?
    trial_done "SIGKILL of the parent" "$dir" "$rc" "$tag" "$shm0"
  done
}

class_workers() { # a worker process dies: abort or kill, at some item
  local i mode eng dir tag shm0 rc
  for ((i = 0; i < TRIALS; i++)); do
    mode=$([ $((i % 2)) -eq 0 ] && echo abort || echo kill)
    eng=$([ $((i % 4)) -lt 2 ] && echo procpool || echo subproc)
    dir=$WORK/wrk-$i; tag=faults-$$-wrk-$i; shm0=$(ls -A /dev/shm | sort)
    GNX_FAULT_TAG=$tag "$GNX" --engines "$eng" --workloads etl --sizes 10000 --reps 2 --warmup 0 \
      --quiet --fault "worker=1,item=$((RANDOM % 8)),mode=$mode" --out "$dir" >/dev/null 2>"$dir.err"
    rc=$?
    trial_done "dead workers (--fault)" "$dir" "$rc" "$tag" "$shm0"
  done
}

class_unwritable() { # outputs that cannot be written: exit 2, nothing left
  local i dir tag shm0 rc
  : >"$WORK/afile"
  local outs=(/proc/gnx-faults "$WORK/afile/sub" /proc "$WORK/afile")
  if mkdir -p "$WORK/ro" && mount -t tmpfs -o ro,size=64k tmpfs "$WORK/ro" 2>/dev/null; then
    outs+=("$WORK/ro/out")
  fi
  for ((i = 0; i < TRIALS; i++)); do
    dir=${outs[$((i % ${#outs[@]}))]}; tag=faults-$$-out-$i; shm0=$(ls -A /dev/shm | sort)
    GNX_FAULT_TAG=$tag "$GNX" "${RUN[@]}" --out "$dir" >/dev/null 2>"$WORK/out-$i.err"
    rc=$?
    # a refusal is clean only as exit 2 with one line, and nothing written
    if [ "$rc" -ne 2 ] || [ "$(wc -l <"$WORK/out-$i.err")" -ne 1 ]; then
      unclean_list+=("unwritable outputs: --out $dir: exit $rc: $(head -2 "$WORK/out-$i.err")")
      rc=99
    fi
    trial_done "unwritable outputs" "$dir" "$rc" "$tag" "$shm0"
  done
  umount "$WORK/ro" 2>/dev/null
}

class_full_disk() { # a 256 KiB tmpfs fills up during the run
  mkdir -p "$WORK/full"
  if ! mount -t tmpfs -o size=256k tmpfs "$WORK/full" 2>/dev/null; then
    echo "faults: full disk: skipped (mount is not allowed here)"
    return
  fi
  local i dir tag shm0 rc
  for ((i = 0; i < TRIALS; i++)); do
    rm -rf "$WORK/full"/*
    dir=$WORK/full/r-$i; tag=faults-$$-full-$i; shm0=$(ls -A /dev/shm | sort)
    GNX_FAULT_TAG=$tag "$GNX" "${RUN[@]}" --out "$dir" >/dev/null 2>"$WORK/full-$i.err"
    rc=$?
    trial_done "full disk" "$dir" "$rc" "$tag" "$shm0"
  done
  umount "$WORK/full"
}

# Bad inputs of every class issue 16 names: each must be one stderr line,
# exit 2, before anything runs, and leave nothing behind.
make_bad_files() {
  local d=$1
  mkdir -p "$d"
  printf '0 144444444\n' >"$d/sparse.txt"
  truncate -s 64M "$d/nul.txt"
  head -c 10000 /dev/zero | tr '\0' 1 >"$d/long.txt"
  printf '0 -1\n' >"$d/neg.txt"
  printf '0 1 2\n' >"$d/three.txt"
  printf '# nothing\n' >"$d/none.txt"
  printf '0 1\n1 2\n' >"$d/tiny.txt"
  printf 'not numpy' >"$d/magic.npy"
  : >"$d/afile"
  /usr/bin/python3 - "$d" <<'PY'
import json, struct, sys
d = sys.argv[1]
def npy(name, shape, data, descr="<f4", fortran="False"):
    h = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}"
    h += " " * ((10 + len(h) + 1 + 63) // 64 * 64 - 10 - len(h) - 1) + "\n"
    open(f"{d}/{name}", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data)
npy("huge.npy", "(3, 11111111111)", b"\0" * 12)
npy("trunc.npy", "(3, 4)", b"\0" * 12)
npy("f8.npy", "(3, 1)", b"\0" * 24, descr="<f8")
npy("fortran.npy", "(3, 1)", b"\0" * 12, fortran="True")
npy("rows.npy", "(7, 1)", b"\0" * 28)
good = json.load(open("results/baselines/ci.json"))
def damage(name, edit):
    r = json.loads(json.dumps(good)); edit(r, r["results"][0])
    import os; os.makedirs(f"{d}/{name}", exist_ok=True)
    json.dump(r, open(f"{d}/{name}/report.json", "w"))
damage("crash", lambda r, c: r.update(results=[{}]))
damage("size", lambda r, c: c.update(size="big"))
damage("engine", lambda r, c: c.update(engine=7))
damage("negwall", lambda r, c: c["reps"][0].update(wall_s=-1))
damage("hugewall", lambda r, c: c["reps"][0].update(wall_s=1e308))
damage("dup", lambda r, c: r["results"].append(c))
damage("nocontext", lambda r, c: r.pop("context"))
damage("tracepath", lambda r, c: c.update(trace={"file": "../../x.json", "rep": 0}))
damage("speedup", lambda r, c: c["stats"].update(speedup="fast"))
open(f"{d}/broken.json", "w").write("{")
PY
}

class_bad_inputs() {
  local d=$WORK/bad i=0 args tag shm0 rc
  make_bad_files "$d"
  local run="--engines serial --workloads" base=$PWD/results/baselines/ci.json
  local inputs=(
    "--sizes abc" "--sizes 0" "--sizes 2g" "--sizes ''" "--sizes 1.5k" "--sizes 25k,,50k"
    "--sizes --reps 1" "--reps 0" "--reps x" "--reps 1001" "--warmup -1" "--warmup 5000"
    "--engines bogus" "--engines serial,,threads" "--engines serial,serial" "--workloads nope"
    "--out ''" "--out /proc" "--out $d/afile" "--out $d/afile/sub" "--fault worker=x"
    "--fault worker=1" "--fault worker=1,item=2" "--fault worker=1,item=2,mode=boom"
    "$run etl --fault worker=1,item=1,mode=kill" "--engines procpool --fault worker=0,item=1,mode=kill"
    "--pin a,b" "--pin ''" "--pin 99999" "--counters lots" "--events ," "--trace maybe"
    "--time-budget -1" "--time-budget 1e9" "--time-budget x" "--order sideways"
    "--order random:x" "--quiet=1" "--frobnicate 1" "stray" "--reps 2 --reps 3"
    "$run etl --io-latency-us 99999999999" "$run etl --work 9999999" "$run etl --work lots"
    "--engines threads --workloads etl --item-delay-us 99999999999"
    "$run null --cost s2=99999999999" "$run null --cost bogus=1" "$run null --skew 101"
    "$run etl --stage-scale transform=0" "$run etl --stage-scale nope=2"
    "$run etl --stage-scale parse=2" "$run gnn --part-size 0" "$run gnn --part-size 99999999999"
    "--engines threads --workloads etl --queue-depth 0" "--engines procpool --workers 99999"
    "--engines procpool --transport carrier" "--engines async --dispatch both"
    "$run null --work 5" "$run gnn --graph $d/missing.txt" "$run gnn --graph $d/tiny.txt --sizes 10"
    "$run gnn --graph $d/sparse.txt" "$run gnn --graph $d/nul.txt" "$run gnn --graph $d/long.txt"
    "$run gnn --graph $d/neg.txt" "$run gnn --graph $d/three.txt" "$run gnn --graph $d/none.txt"
    "$run gnn --graph $d" "$run gnn --graph $d/tiny.txt --features $d/huge.npy"
    "$run gnn --graph $d/tiny.txt --features $d/trunc.npy"
    "$run gnn --graph $d/tiny.txt --features $d/f8.npy"
    "$run gnn --graph $d/tiny.txt --features $d/fortran.npy"
    "$run gnn --graph $d/tiny.txt --features $d/rows.npy"
    "$run gnn --graph $d/tiny.txt --features $d/magic.npy"
    "$run etl --save-output $d/afile/x" "$run gnn --save-output $d/afile/x --sizes 100"
    "$run null,etl --save-output /proc/x"
    "compare $d/broken.json $base" "compare /nonexistent.json $base"
    "report $d/nowhere" "gate --baseline $d/broken.json --report $base"
    "gate --baseline $base -- --sizes 7000" "gate --baseline $base -- --engines serial,async"
    "$run gnn --sizes 1g"
  )
  local r
  for r in crash size engine negwall hugewall dup nocontext tracepath speedup; do
    inputs+=("report $d/$r" "recommend $d/$r" "predict $d/$r"
             "compare $base $d/$r/report.json"
             "gate --baseline $base --report $d/$r/report.json"
             "gate --baseline $d/$r/report.json --report $base")
  done
  mkdir -p "$WORK/cwd"
  for args in "${inputs[@]}"; do
    tag=faults-$$-bad-$i; shm0=$(ls -A /dev/shm | sort)
    # shellcheck disable=SC2086 # the words are meant to be split
    (cd "$WORK/cwd" && eval "GNX_FAULT_TAG=$tag \"$GNX\" $args" >/dev/null 2>"$WORK/bad-$i.err")
    rc=$?
    local left
    left=$(ls -A "$WORK/cwd"; ls "$d"/*/summary.md 2>/dev/null)
    if [ "$rc" -ne 2 ] || [ "$(wc -l <"$WORK/bad-$i.err")" -ne 1 ] || [ -n "$left" ]; then
      unclean_list+=("bad input: gnxbench $args: exit $rc, $(wc -l <"$WORK/bad-$i.err") lines: $(head -c 200 "$WORK/bad-$i.err") ${left:+left: $left}")
      rm -rf "$WORK/cwd"/* "$d"/*/summary.md
      rc=99
    fi
    trial_done "bad inputs" "$WORK/none" "$rc" "$tag" "$shm0"
    i=$((i + 1))
  done
}

DUR=$(calibrate)
echo "faults: the run takes ${DUR} s here; $TRIALS trials per class"
class_signal
class_double
class_sigkill
class_workers
class_unwritable
class_full_disk
class_bad_inputs
total_i=0 total_c=0
printf '%-28s %9s %6s\n' class injected clean
for c in "signal" "double signal (timeout)" "SIGKILL of the parent" "dead workers (--fault)" \
         "unwritable outputs" "full disk" "bad inputs"; do
  [ -n "${injected[$c]:-}" ] || continue
  printf '%-28s %9d %6d\n' "$c" "${injected[$c]}" "${clean[$c]:-0}"
  total_i=$((total_i + injected[$c])); total_c=$((total_c + ${clean[$c]:-0}))
done
printf '%-28s %9d %6d\n' total "$total_i" "$total_c"
for u in "${unclean_list[@]}"; do
  echo "unclean: $u"
done
[ "$total_i" -eq "$total_c" ]
