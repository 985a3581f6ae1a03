# SPDX-License-Identifier: MIT
# The command line: help, version, list, every usage error path, and the
# report of a real run validated against the published schema.
. "$(dirname "$0")/lib.sh"

quick_help_and_version() {
  run_gnx --help
  [ "$RC" -eq 0 ] || fail "--help exited $RC"
  grep -q -- "--engines" "$OUT" || fail "--help does not document --engines"
  grep -q "exit status: 0" "$OUT" || fail "--help does not document exit codes"
  run_gnx --version
  [ "$RC" -eq 0 ] && grep -qE '^gnxbench [0-9]+\.[0-9]+' "$OUT" || fail "--version: $(cat "$OUT")"
}

# Output that cannot be written (a full disk, a closed pipe) fails every
# command with exit 1, the explicit `run` and `list` included.
quick_unwritable_stdout_exits_1() {
  "$GNX" run --engines serial --workloads null --sizes 10 --reps 1 --warmup 0 --out o \
    >/dev/full 2>/dev/null
  [ $? -eq 1 ] || fail "run into /dev/full did not exit 1"
  local args
  for args in "list" "--version" "run --help" "report o" "recommend o"; do
    # shellcheck disable=SC2086 # the words are meant to be split
    "$GNX" $args >/dev/full 2>/dev/null
    [ $? -eq 1 ] || fail "gnxbench $args into /dev/full did not exit 1"
  done
}

quick_list() {
  run_gnx list
  [ "$RC" -eq 0 ] || fail "list exited $RC"
  for w in serial etl null; do
    grep -qE "^  $w " "$OUT" || fail "list does not name $w"
  done
  grep -q -- "--work N" "$OUT" || fail "list does not show etl's --work option"
  grep -q "topology" "$OUT" || fail "list does not show the topology"
  run_gnx list extra
  [ "$RC" -eq 2 ] || fail "list with an argument exited $RC"
}

quick_unknown_engine() {
  expect_usage_error "unknown engine 'bogus'; valid engines: serial" --engines bogus --sizes 10
  expect_usage_error "empty or malformed" --engines serial,,serial --sizes 10
  expect_usage_error "listed twice" --engines serial,serial --sizes 10
}

quick_unknown_workload() {
  expect_usage_error "unknown workload 'nope'; valid workloads: .*etl" --workloads nope --sizes 10
}

quick_bad_sizes() {
  for s in abc 0 -5 10e99 1.5k 25kk 99999999999999999999999 2g ""; do
    expect_usage_error "^gnxbench: --sizes: " --engines serial --workloads null --sizes "$s"
  done
}

quick_bad_counts() {
  expect_usage_error "--reps: 'x' is not a count" --reps x --workloads null --sizes 10
  expect_usage_error "--reps: '0' is not a count" --reps 0 --workloads null --sizes 10
  expect_usage_error "--warmup: '-1' is not a count" --warmup -1 --workloads null --sizes 10
  expect_usage_error "--work: 'lots' is not a whole number" --work lots --workloads etl --sizes 10
}

# Every duration and count has an upper bound (issue 16): none of these
# may be accepted and then sleep or spin for a day.
quick_options_have_upper_bounds() {
  expect_usage_error "^gnxbench: --io-latency-us: 99999999999 is out of range \(0\.\.1000000\)$" \
    --workloads etl --sizes 10 --io-latency-us 99999999999
  expect_usage_error "^gnxbench: --item-delay-us: 99999999999 is out of range" \
    --engines threads --workloads etl --sizes 10 --item-delay-us 99999999999
  expect_usage_error "^gnxbench: --work: 9999999 is out of range" --workloads etl --sizes 10 \
    --work 9999999
  expect_usage_error "^gnxbench: --part-size: 99999999999 is out of range" --workloads gnn \
    --sizes 10 --part-size 99999999999
  expect_usage_error "^gnxbench: null: --cost 's2=99999999999': .* 0 to 10000000 microseconds$" \
    --workloads null --sizes 10 --cost s2=99999999999
  expect_usage_error "^gnxbench: --time-budget: '999999' is not seconds from 0 to 86400" \
    --workloads null --sizes 10 --time-budget 999999
}

quick_repeated_flag() {
  expect_usage_error "--reps is given twice" --reps 2 --reps 3 --workloads null --sizes 10
  expect_usage_error "--sizes is given twice" --sizes 10 --sizes=20 --workloads null
}

quick_unknown_option() {
  expect_usage_error "unknown option --frobnicate" --frobnicate 3
  expect_usage_error "unexpected argument 'stray'" --reps 2 stray
  expect_usage_error "unknown command 'stray'" stray
  expect_usage_error "--sizes needs a value" --sizes
  expect_usage_error "unknown command 'frob'" frob
}

quick_option_of_unselected_plugin() {
  expect_usage_error "--work applies only to etl, which is not selected" --workloads null --sizes 10 --work 5
}

quick_bad_fault_spec() {
  expect_usage_error "--fault: 'worker=x' is not" --fault worker=x --workloads null --sizes 10
}

# Faults fire only in forked workers: one that cannot fire is refused.
quick_fault_that_cannot_fire() {
  expect_usage_error "--fault worker=0: worker 0 is the sink" --engines procpool \
    --fault worker=0,item=0,mode=abort --workloads null --sizes 10
  expect_usage_error "--fault: no engine of this run forks its workers" --engines threads \
    --fault worker=1,item=0,mode=abort --workloads null --sizes 10
}

quick_unwritable_out() {
  expect_usage_error "--out /proc/gnx-nope: cannot create" --workloads null --sizes 10 --out /proc/gnx-nope
  touch afile
  expect_usage_error "--out afile/sub: cannot create" --workloads null --sizes 10 --out afile/sub
  # writability is proven by writing: access(2) says yes to root on /proc
  expect_usage_error "^gnxbench: --out /proc: cannot create or write" --workloads null --sizes 10 \
    --out /proc
  [ -z "$(ls -A /proc/.gnx-probe-* 2>/dev/null)" ] || fail "a probe file was left in /proc"
}

# A directory holding an earlier run is refused, or with --replace its
# outputs (only those) are removed first: no old chart beside a new report.
quick_out_holding_a_run() {
  local run=(--engines serial --workloads null --sizes 10 --reps 1 --warmup 0 --quiet --out o)
  run_gnx "${run[@]}"
  [ "$RC" -eq 0 ] || fail "the first run exited $RC: $(cat "$ERR")"
  touch o/gantt-null-7-old.png o/trace-null-7-old.json o/notes.txt
  expect_usage_error "^gnxbench: --out o holds an earlier run \(report.json\); .*--replace" "${run[@]}"
  [ -e o/gantt-null-7-old.png ] || fail "a refused run removed the earlier run's files"
  run_gnx "${run[@]}" --replace
  [ "$RC" -eq 0 ] || fail "--replace exited $RC: $(cat "$ERR")"
  [ ! -e o/gantt-null-7-old.png ] && [ ! -e o/trace-null-7-old.json ] ||
    fail "--replace left the earlier run's outputs: $(ls o)"
  [ -e o/notes.txt ] || fail "--replace removed a file that is not a run's output"
  [ "$(json_get o/report.json "r['status']")" = complete ] || fail "the new report is not complete"
  expect_usage_error "--replace takes no value" "${run[@]}" --replace=yes
}

# "--sizes --reps 1": the next option is not a value
quick_option_without_value() {
  expect_usage_error "^gnxbench: --sizes needs a value" --sizes --reps 1
  expect_usage_error "^gnxbench: --out needs a value" --workloads null --out --quiet
  expect_usage_error "^gnxbench: --work needs a value" --workloads etl --work --sizes 10
}

# etl's --save-output is checked before anything runs, naming the path.
quick_etl_save_output_checked_first() {
  touch plain
  expect_usage_error "^gnxbench: etl: --save-output plain/x: cannot write there: Not a directory" \
    --engines serial --workloads etl --sizes 100 --save-output plain/x
  expect_usage_error "^gnxbench: etl: --save-output /proc/x: cannot write there" \
    --engines serial --workloads etl --sizes 100 --save-output /proc/x
  # and before the other workloads run: nothing was measured
  expect_usage_error "^gnxbench: etl: --save-output plain/x" --engines serial \
    --workloads null,etl --sizes 100 --save-output plain/x
}

# A run that fails before its first cell (setup out of memory): exit 1,
# the report says failed with the error, and no "see the tables above".
quick_run_failing_before_first_cell() {
  (ulimit -v 1500000; "$GNX" --version >/dev/null 2>&1) ||
    skip "gnxbench cannot start under ulimit -v (a sanitizer build reserves more)"
  # 10m fits this machine's memory (the estimate passes) but not the limit
  (ulimit -v 1500000; "$GNX" --engines serial --workloads gnn --sizes 10m --reps 1 --out f \
    >out.txt 2>err.txt)
  local rc=$?
  [ "$rc" -eq 1 ] || fail "exit $rc, expected 1: $(cat err.txt)"
  [ "$(wc -l <err.txt)" -eq 1 ] || fail "expected one stderr line: $(cat err.txt)"
  grep -q "^gnxbench: gnn: .*R-MAT graph of 10000000 nodes" err.txt || fail "stderr: $(cat err.txt)"
  [ "$(json_get f/report.json "r['status'], len(r['results'])")" = "failed 0" ] ||
    fail "report: $(json_get f/report.json "r['status'], r.get('error')")"
  json_get f/report.json "r['error']" | grep -q "R-MAT graph of 10000000 nodes" ||
    fail "the report does not record the error"
  validate f/report.json
}

# A failed cell's table row shows no interval, not "[-, -]" or zeros.
quick_failed_cell_row() {
  run_gnx --engines serial --workloads null --sizes 20 --reps 1 --warmup 0 --sink-fail 3 --out o
  [ "$RC" -eq 1 ] || fail "exit $RC"
  grep -E "^  serial " "$OUT" | grep -qE "\[|0\.0 ms" && fail "failed row: $(grep -E '^  serial ' "$OUT")"
  grep -qE "^  serial +- +- " "$OUT" || fail "failed row: $(cat "$OUT")"
}

# timeout(1) signals twice (the run, then its process group); a second
# SIGTERM or SIGINT must not kill the run before its report says so.
# Every trial: exit 130 and "incomplete", interrupted; or 0 and complete.
quick_double_signal_leaves_a_truthful_report() {
  local sig d rc
  for sig in TERM INT; do
    for d in 0.1 0.3 0.6; do
      # ~2 s of work: serial, 2000 items of 300 us, 3 repetitions
      timeout --preserve-status -s "$sig" "$d" "$GNX" --engines serial --workloads null \
        --sizes 2000 --cost s2=300 --reps 3 --warmup 0 --out "o-$sig-$d" >/dev/null 2>err.txt
      rc=$?
      [ "$rc" -eq 130 ] || fail "SIG$sig after $d s: exit $rc: $(cat err.txt)"
      grep -q "interrupted by SIG$sig" err.txt || fail "SIG$sig: stderr $(cat err.txt)"
      [ "$(json_get "o-$sig-$d/report.json" "r['status'], r['interrupted']")" = "incomplete True" ] ||
        fail "SIG$sig after $d s: report $(json_get "o-$sig-$d/report.json" "r['status']")"
    done
  done
  # three signals in a row, 1 ms apart
  "$GNX" --engines serial --workloads null --sizes 2000 --cost s2=300 --reps 3 --warmup 0 \
    --out o3 >/dev/null 2>&1 &
  local pid=$!
  sleep 0.3
  kill -TERM $pid; sleep 0.001; kill -TERM $pid; kill -INT $pid
  wait $pid
  rc=$?
  [ "$rc" -eq 130 ] || fail "three signals: exit $rc"
  [ "$(json_get o3/report.json "r['status']")" = incomplete ] || fail "three signals: not incomplete"
  [ -z "$(tagged_pids)" ] || fail "processes left: $(tagged_pids)"
}

# A signal while the charts are drawn (a gnuplot that signals its parent):
# exit 130, and report.json, summary.md and report.html all say interrupted.
quick_signal_while_charts_are_drawn() {
  mkdir -p fakebin
  printf '#!/bin/sh\nkill -TERM "$PPID"\nexit 0\n' >fakebin/gnuplot
  chmod +x fakebin/gnuplot
  PATH="$WORK/fakebin:$PATH" "$GNX" --engines serial --workloads null --sizes 50 --reps 1 \
    --warmup 0 --out o --quiet >/dev/null 2>err.txt
  local rc=$?
  [ "$rc" -eq 130 ] || fail "exit $rc: $(cat err.txt)"
  validate o/report.json
  [ "$(json_get o/report.json "r['status'], r['interrupted'], r['render']['interrupted']")" = \
    "incomplete True True" ] || fail "report: $(json_get o/report.json "r['status'], r.get('render')")"
  grep -q "This run is incomplete\*\* (interrupted)" o/summary.md || fail "summary.md does not say so"
  grep -q "incomplete" o/report.html || fail "report.html does not say so"
}

quick_null_report_is_valid() {
  run_gnx --workloads null --sizes 1k,2500 --reps 2 --warmup 0 --batch 10
  [ "$RC" -eq 0 ] || fail "exited $RC: $(cat "$ERR")"
  [ -L results/latest ] || fail "results/latest is not a link"
  validate results/latest/report.json
  [ "$(json_get results/latest/report.json "r['status']")" = complete ] || fail "status is not complete"
  [ "$(json_get results/latest/report.json "len(r['results'])")" -ge 2 ] || fail "too few cells"
  [ "$(json_get results/latest/report.json "[c for c in r['results'] if c['engine']=='serial' and c['size']==2500][0]['summary']['items']")" = 250 ] ||
    fail "wrong items"
  # the validator is real: a report missing a required field is rejected
  /usr/bin/python3 -c "import json; r=json.load(open('results/latest/report.json')); del r['results'][0]['verified']; json.dump(r, open('broken.json','w'))"
  if /usr/bin/python3 "$VALIDATE" "$SCHEMA" broken.json >/dev/null; then fail "the validator accepted a broken report"; fi
}

quick_etl_serial_table_and_report() {
  run_gnx --engines serial --workloads etl --sizes 2500 --reps 2 --warmup 0 --work 64 --out out1
  [ "$RC" -eq 0 ] || fail "exited $RC: $(cat "$ERR")"
  grep -qE "^etl, n=2500 \(3 items\)" "$OUT" || fail "no table header: $(cat "$OUT")"
  grep -qE "^  serial .* yes$" "$OUT" || fail "serial row not verified: $(cat "$OUT")"
  validate out1/report.json
  [ "$(json_get out1/report.json "r['results'][0]['verification']['reference']['status']")" = pass ] ||
    fail "the spec reference check did not pass"
  [ ! -e results ] || fail "--out given, but results/ was created"
}

quick_gnn_bad_graph_file() {
  printf '0 1\n1 2\n# a comment\n2 x\n' >bad.txt
  expect_usage_error "gnn: --graph bad.txt: line 4: .*'x'" --workloads gnn --graph bad.txt
  expect_usage_error "gnn: --graph missing.txt" --workloads gnn --graph missing.txt
  printf '0 1\n1 2\n2 3\n3 0\n' >ring.txt
  # the graph sets the size: --sizes beside it is a usage error, and the
  # one cell is labelled with the graph's node count
  expect_usage_error "^gnxbench: --sizes cannot be given with --graph" --workloads gnn \
    --graph ring.txt --sizes 4
  run_gnx --workloads gnn --graph ring.txt --engines serial,procpool --reps 1 --warmup 0 \
          --out o --save-output o
  [ "$RC" -eq 0 ] || fail "a good graph file failed: $RC $(cat "$ERR")"
  [ -s o/gnn-4.npy ] || fail "--save-output wrote no gnn-4.npy"
  [ "$(json_get o/report.json "sorted(set(c['size'] for c in r['results']))")" = "[4]" ] ||
    fail "cells not of the graph's 4 nodes: $(json_get o/report.json "[c['size'] for c in r['results']]")"
  validate o/report.json
}

# Hostile graph and feature files are refused before anything is
# allocated for them (issue 16): a 12-byte edge list naming node 144444444,
# a 1 GB sparse file of NUL bytes, a line too long, a .npy header claiming
# 88 GB. Each is one line, exit 2, in well under the memory they claim.
quick_gnn_hostile_inputs() {
  printf '0 144444444\n' >sparse-ids.txt
  truncate -s 1G nul.txt
  head -c 10000 /dev/zero | tr '\0' '1' >long.txt
  printf '0 1\n1 2\n' >tiny.txt
  "$PY" - <<'PY'
import struct
h = b"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 11111111111), }"
h += b" " * (118 - len(h)) + b"\n"
open("huge.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + b"\0" * 3)
PY
  local args
  for args in "--graph sparse-ids.txt:ids this sparse" "--graph nul.txt:line 1 holds a NUL byte" \
              "--graph long.txt:line 1 is longer than 4096 bytes" \
              "--graph tiny.txt --features huge.npy:shape \(3, 11111111111\) needs|truncated" \
              "--sizes 1g:size 1000000000: gnn would need about [0-9.]+ GB .* use a size up to"; do
    local pat=${args#*:}
    # shellcheck disable=SC2086 # the words are meant to be split
    expect_usage_error "$pat" --workloads gnn --engines serial ${args%%:*}
    [ -x /usr/bin/time ] || continue # Debian's time: the peak RSS
    # shellcheck disable=SC2086
    /usr/bin/time -f %M -o rss.txt "$GNX" --workloads gnn --engines serial ${args%%:*} >/dev/null 2>&1
    local kb
    kb=$(tail -1 rss.txt)
    [ "$kb" -lt 200000 ] || fail "${args%%:*}: peak RSS ${kb} KB before refusing"
  done
}

slow_etl_serial_100k() {
  run_gnx --engines serial --workloads etl --sizes 100k
  [ "$RC" -eq 0 ] || fail "exited $RC: $(cat "$ERR")"
  grep -qE "^  serial .* yes$" "$OUT" || fail "serial row not verified: $(cat "$OUT")"
  validate results/latest/report.json
}

# --trace off: the engines record no spans, serial still does (its trace is
# the profile the others are tuned on); the report says which.
# Adaptive repetitions: 3 calibration rounds are too few for the two
# looks' 97.5 %, so with budget left every engine gets rounds up to the
# cap (4 x 3, at least 12); the seed of --order random is recorded.
quick_adaptive_reps_and_random_order() {
  run_gnx --engines serial,threads --workloads null --sizes 20 --reps 3 --time-budget 20 \
    --order random:9 --warmup 0 --quiet --out o
  [ "$RC" -eq 0 ] || fail "exit $RC: $(cat "$ERR")"
  validate o/report.json
  [ "$(json_get o/report.json "r['config']['order'], r['config']['time_budget_s']")" = \
    "random:9 20.0" ] || fail "config: $(json_get o/report.json "r['config']")"
  [ "$(json_get o/report.json "[(len(c['reps']), c['adaptive']['calibration_reps'], c['adaptive']['extra_reps'], c['adaptive']['interval_level'], c['stats']['wall_s']['level'] >= 0.975) for c in r['results']]")" = \
    "[(12, 3, 9, 0.975, True), (12, 3, 9, 0.975, True)]" ] ||
    fail "cells: $(json_get o/report.json "[(len(c['reps']), c.get('adaptive')) for c in r['results']]")"
  grep -q "^Intervals are 97.5 % confidence intervals of the median .*two looks at the data take 97.5 % each" \
    o/summary.md || fail "summary.md does not say what the intervals are: $(grep -i interval o/summary.md)"
  # --reps alone: exactly that many, nothing adaptive
  run_gnx --engines serial,threads --workloads null --sizes 20 --reps 2 --warmup 0 --quiet --out f
  [ "$(json_get f/report.json "[len(c['reps']) for c in r['results']], r['config']['time_budget_s'], r['config']['order'], [('adaptive' in c) for c in r['results']]")" = \
    "[2, 2] 0.0 fixed [False, False]" ] || fail "--reps 2: $(json_get f/report.json "r['config']")"
}

quick_bad_schedule_options() {
  expect_usage_error "^gnxbench: --order: 'sometimes' is not fixed, random or random:SEED" \
    --workloads null --sizes 10 --order sometimes
  expect_usage_error "^gnxbench: --time-budget: '-1' is not seconds from 0 to 86400" \
    --workloads null --sizes 10 --time-budget -1
  expect_usage_error "^gnxbench: --time-budget: 'soon' is not seconds" \
    --workloads null --sizes 10 --time-budget soon
}

quick_trace_off() {
  run_gnx --engines serial,threads --workloads null --sizes 200 --cost s1=50 --reps 1 \
    --warmup 0 --trace off --out o
  [ "$RC" -eq 0 ] || fail "--trace off exited $RC: $(cat "$ERR")"
  [ "$(json_get o/report.json "r['config']['trace']")" = off ] || fail "config.trace is not off"
  [ "$(json_get o/report.json "sum(w['spans'] for c in r['results'] if c['engine']=='threads' for w in c['reps'][0]['workers'])")" = 0 ] ||
    fail "threads recorded spans with --trace off"
  [ "$(json_get o/report.json "sum(w['spans'] for c in r['results'] if c['engine']=='serial' for w in c['reps'][0]['workers']) > 0")" = True ] ||
    fail "serial recorded no spans"
  grep -q '"tuning"' o/report.json || fail "threads was not tuned from serial's trace"
  expect_usage_error "--trace: 'sometimes' is not on or off" --trace sometimes --sizes 10
}

run_case "$1"
