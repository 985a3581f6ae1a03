#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every fuzz target of the `fuzz` preset for SECONDS each (default 30),
# from its seed corpus (tests/fuzz/corpus/<target>/, never written: new
# inputs go to build/fuzz/corpus/<target>/), and print the executions.
# Exit 1 when a target finds a crash, a leak or a timeout (the reproducer
# is in build/fuzz/crash-<target>-*).
#   cmake --preset fuzz && cmake --build --preset fuzz && tests/fuzz/run.sh 30
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-30}
bin=build/fuzz/tests/fuzz
total=0 rc=0
for src in tests/fuzz/fuzz-*.c; do
  t=$(basename "$src" .c)
  t=${t#fuzz-}
  [ -x "$bin/fuzz-$t" ] || { echo "fuzz: $bin/fuzz-$t is not built (cmake --build --preset fuzz)" >&2; exit 2; }
  mkdir -p "build/fuzz/corpus/$t"
  log="build/fuzz/fuzz-$t.log"
  # -rss_limit_mb: an input that makes a parser allocate past it is a bug
  nice -n 19 "$bin/fuzz-$t" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="build/fuzz/crash-$t-" \
    "build/fuzz/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
  r=$?
  n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  total=$((total + ${n:-0}))
  if [ "$r" -ne 0 ]; then
    echo "fuzz: $t FAILED after ${n:-?} executions (exit $r); see $log"
    grep -m3 -E "ERROR|SUMMARY|invariant" "$log"
    rc=1
  else
    echo "fuzz: $t: ${n} executions in ${secs} s, nothing found"
  fi
done
echo "fuzz: $total executions in all"
exit $rc
