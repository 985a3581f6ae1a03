# SPDX-License-Identifier: MIT
# The analysis and reports: the verdict on a pipeline with a known slow
# stage, bound and efficiency against the configured costs, the Gantt
# charts, the Chrome traces, byte-identical regeneration, the
# recommendation, and a missing gnuplot.
. "$(dirname "$0")/lib.sh"

have_engine() { "$GNX" list | grep -qE "^  $1 "; }
need_threads() { have_engine threads || skip "the threads engine is not built yet"; }
need_gnuplot() { command -v gnuplot >/dev/null || skip "gnuplot is not installed (gnuplot-nox)"; }

# csv_get ENGINE COLUMN: a column of speedup.csv in out/ for that engine.
csv_get() {
  $PY - "$1" "$2" <<'EOF'
import csv, sys
for row in csv.DictReader(open("out/speedup.csv")):
    if row["engine"] == sys.argv[1]:
        print(row[sys.argv[2]])
EOF
}

# The known-bottleneck run: null, 200 items, s2 spins 400 us per item, the
# others cost nothing. Serial costs 80 ms; a threads pipeline is bound by
# s2 on its one worker: 80 ms too.
run_slow_s2() {
  run_gnx --workloads null --engines "$1" --sizes 200 --cost s2=400 --reps "${REPS:-3}" \
          --warmup 1 --out out "${@:2}"
  [ "$RC" -eq 0 ] || fail "the run exited $RC: $(cat "$ERR")"
}

quick_verdict_names_slow_stage_under_threads() {
  need_threads
  run_slow_s2 serial,threads --stage-workers 1
  [ "$(csv_get threads bottleneck)" = s2 ] || fail "bottleneck is '$(csv_get threads bottleneck)', not s2"
  [ "$(csv_get serial bottleneck)" = s2 ] || fail "serial's heaviest stage is not s2"
  grep -qE '^- \*\*threads\*\* \(pipeline\): s2 limits throughput: its worker is busy [0-9]+ %; upstream s1 blocked on output [0-9]+ % of the time; downstream s3 starved [0-9]+ %' out/summary.md ||
    fail "no threads verdict naming s2 with its evidence: $(grep -F '**threads**' out/summary.md)"
  # the per-stage table marks s2 CPU-bound and its neighbours waiting
  grep -qE '^\| \*\*s2\*\* \| 1 \| 200 \|.*\| CPU-bound \|$' out/summary.md || fail "s2 is not shown CPU-bound with 1 worker"
  grep -qE '^\| s3 \| 1 \| 200 \|.*\| waiting: starved \|$' out/summary.md || fail "s3 is not shown starved"
  # the console table gained the bottleneck column
  grep -qE '^  threads .* s2 .* yes$' "$OUT" || fail "the console table lacks the bottleneck: $(cat "$OUT")"
}

bound_check() {
  # 9 repetitions: the medians must hold through a burst of the host's noise;
  # one worker per stage, or the tuner gives s2 both cores (bound 40 ms)
  REPS=9 run_slow_s2 serial,threads --stage-workers 1
  # 200 items x 400 us = 80 ms of s2, on its one worker: the bound
  $PY - <<'EOF'
import csv, sys
rows = {r["engine"]: r for r in csv.DictReader(open("out/speedup.csv"))}
want = 200 * 400e-6
ok = True
for e in ("serial", "threads"):
    b, eff = float(rows[e]["bound_s"]), float(rows[e]["efficiency"])
    print(f"{e}: bound {b:.4f} s (configured {want:.4f} s), efficiency {eff:.3f}")
    if abs(b - want) > 0.10 * want:
        print(f"{e}: bound {b} is not within 10 % of {want}"); ok = False
    if not (0.90 <= eff <= 1.10):
        print(f"{e}: efficiency {eff} is not within 10 % of 1"); ok = False
    # efficiency is bound / (median wall + median start-up), as documented
    meas = float(rows[e]["wall_median_s"]) + float(rows[e]["startup_s"])
    if abs(eff - b / meas) > 2e-3:
        print(f"{e}: efficiency {eff} != bound / measured {b / meas}"); ok = False
sys.exit(0 if ok else 1)
EOF
}

perf_bound_and_efficiency_match_costs() {
  need_threads
  retry3 bound_check || fail "bound or efficiency off by more than 10 % in 3 runs"
}

quick_gantt_png_and_svg() {
  need_gnuplot
  local engines=serial
  have_engine threads && engines=serial,threads
  run_slow_s2 $engines
  for e in ${engines//,/ }; do
    local base=out/gantt-null-200-$e
    for x in dat gp png svg; do [ -s "$base.$x" ] || fail "$base.$x is missing or empty"; done
    file "$base.png" | grep -q "PNG image data, 1200 x" || fail "$base.png: $(file "$base.png")"
    [ "$(stat -c %s "$base.png")" -gt 5120 ] || fail "$base.png is only $(stat -c %s "$base.png") bytes"
    $PY -c "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert r.tag.endswith('svg'), r.tag" "$base.svg" ||
      fail "$base.svg does not parse as SVG"
    # the title names workload, size, engine, wall and (not for serial) speedup
    grep -qE "set title \"null, n=200, $e: wall [0-9.]+ ms, speedup [0-9.]+x" "$base.gp" || fail "$base.gp: bad title"
    grep -q "keyentry with boxes fc rgb '#2e8b57' title 'exec'" "$base.gp" || fail "$base.gp: no legend"
    # the .gp is self-contained: rerunning it in the directory redraws both
    rm "$base.png" "$base.svg"
    (cd out && gnuplot "gantt-null-200-$e.gp") || fail "rerunning $base.gp failed"
    [ -s "$base.png" ] && [ -s "$base.svg" ] || fail "rerunning $base.gp did not redraw"
  done
  # summary.md embeds every chart, and each embedded file exists
  for png in $(grep -oE '\]\(gantt-[^)]+\.png\)' out/summary.md | tr -d '()]'); do
    [ -f "out/$png" ] || fail "summary.md embeds a missing $png"
  done
  [ "$(grep -c '](gantt-' out/summary.md)" -eq "$(echo ${engines//,/ } | wc -w)" ] || fail "not every chart is embedded"
}

quick_trace_json_valid() {
  local engines=serial
  have_engine threads && engines=serial,threads
  for e in procpool subproc async; do
    have_engine $e && engines=$engines,$e
  done
  run_slow_s2 $engines
  for e in ${engines//,/ }; do
    $PY - "out/trace-null-200-$e.json" "$e" <<'EOF' || fail "trace of $e is not valid"
import json, sys
t = json.load(open(sys.argv[1]))
ev = t["traceEvents"]
threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
procs = {e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
xs = [e for e in ev if e["ph"] == "X"]
assert threads, "no thread_name events"
for key, name in threads.items():
    assert key[0] in procs, f"process {key[0]} is not named"
    assert any((x["pid"], x["tid"]) == key for x in xs), f"no X events for {name}"
for x in xs:
    assert (x["pid"], x["tid"]) in threads, f"X event on an unnamed thread {x}"
    assert x["cat"] in ("exec", "wait_in", "wait_out", "wait_lock", "copy"), x
    assert x["dur"] >= 0 and "item" in x and "stage" in x, x
# spans on one thread never overlap (Perfetto and speedscope show them as they are)
by = {}
for x in xs:
    by.setdefault((x["pid"], x["tid"]), []).append((x["ts"], x["ts"] + x["dur"]))
for key, spans in by.items():
    spans.sort()
    for a, b in zip(spans, spans[1:]):
        assert b[0] >= a[1] - 1e-9, f"{threads[key]}: overlapping spans {a} {b}"
# queue depths: C events where a queue exists, never negative
cs = [e for e in ev if e["ph"] == "C"]
for c in cs:
    assert c["args"]["depth"] >= 0, c
if sys.argv[2] == "threads":
    names = {c["name"] for c in cs}
    assert "queue into s2" in names, f"no queue depth into s2: {names}"
    assert max(c["args"]["depth"] for c in cs if c["name"] == "queue into s2") >= 2, "s2's queue never filled"
if sys.argv[2] == "serial":
    assert not cs, "serial has no queues, yet has C events"
print(f"{sys.argv[2]}: {len(xs)} X events on {len(threads)} threads, {len(cs)} C events")
EOF
  done
}

quick_report_regenerates_identical_files() {
  run_slow_s2 serial
  cp out/summary.md run-summary.md
  cp out/speedup.csv run-speedup.csv
  run_gnx report out
  [ "$RC" -eq 0 ] || fail "report exited $RC: $(cat "$ERR")"
  cmp out/summary.md run-summary.md || fail "report DIR changed summary.md"
  cmp out/speedup.csv run-speedup.csv || fail "report DIR changed speedup.csv"
  grep -q "^summary: out/summary.md" "$OUT" || fail "report does not say where the summary is: $(cat "$OUT")"
  grep -qE '^  serial .* yes$' "$OUT" || fail "report does not print the tables: $(cat "$OUT")"
  # twice more, through other spellings of the directory: still identical
  run_gnx report "$WORK/out/report.json" --quiet
  [ "$RC" -eq 0 ] && [ ! -s "$OUT" ] || fail "report --quiet: exit $RC, output $(cat "$OUT")"
  (cd out && "$GNX" report . --quiet) || fail "report . failed"
  cmp out/summary.md run-summary.md || fail "summary.md differs when regenerated again"
  cmp out/speedup.csv run-speedup.csv || fail "speedup.csv differs when regenerated again"
  # from a copy of report.json and its traces only
  mkdir copy && cp out/report.json out/trace-*.json copy/
  run_gnx report copy --quiet
  [ "$RC" -eq 0 ] || fail "report copy exited $RC"
  cmp copy/summary.md run-summary.md || fail "a copied report gives another summary.md"
  cmp copy/speedup.csv run-speedup.csv || fail "a copied report gives another speedup.csv"
  # summary.md reads as a report: context, tables, verdicts, recommendation
  for h in "## Recommendation" "## Context" "## How to read this" "## null, n=200 (200 items)" "**Verdicts**"; do
    grep -qF "$h" out/summary.md || fail "summary.md lacks '$h'"
  done
  grep -qE '^\| topology \| .*CPUs allowed' out/summary.md || fail "no topology in the context"
  head -1 out/speedup.csv | grep -q "^workload,size,engine,status,verified,reps,wall_median_s,wall_lo_s,wall_hi_s,interval_level,speedup_median,speedup_lo,speedup_hi,startup_s,total_median_s,bound_s,efficiency,bottleneck,wait_share,predicted_s,prediction_error,cpu_s,maxrss_kb$" ||
    fail "speedup.csv header: $(head -1 out/speedup.csv)"
}

quick_missing_gnuplot_warns_once() {
  run_slow_s2 serial
  rm -f out/*.png out/*.svg out/summary.md out/speedup.csv
  # a PATH without gnuplot: gnxbench itself is started by its full path
  mkdir emptybin
  PATH="$WORK/emptybin" "$GNX" report out --quiet >stdout.txt 2>stderr.txt
  local rc=$?
  [ "$rc" -eq 0 ] || fail "report without gnuplot exited $rc: $(cat stderr.txt)"
  [ "$(cat stderr.txt)" = "gnxbench: warning: gnuplot not found; charts skipped (install gnuplot-nox)" ] ||
    fail "stderr is not the one warning: $(cat stderr.txt)"
  [ -s out/summary.md ] && [ -s out/speedup.csv ] || fail "summary.md or speedup.csv not written"
  [ -s out/gantt-null-200-serial.dat ] && [ -s out/gantt-null-200-serial.gp ] || fail "the .dat/.gp were not written"
  ls out/*.png >/dev/null 2>&1 && fail "a PNG appeared without gnuplot"
  grep -q "Charts were skipped: gnuplot was not found" out/summary.md || fail "summary.md does not say charts were skipped"
  # the same in a whole run: one warning, exit 0
  PATH="$WORK/emptybin" "$GNX" --workloads null --engines serial --sizes 50 --reps 1 --warmup 0 --out out2 --quiet >stdout.txt 2>stderr.txt
  rc=$?
  [ "$rc" -eq 0 ] || fail "run without gnuplot exited $rc: $(cat stderr.txt)"
  [ "$(grep -c 'gnuplot not found' stderr.txt)" -eq 1 ] || fail "run without gnuplot: $(cat stderr.txt)"
  [ -s out2/summary.md ] || fail "run without gnuplot wrote no summary.md"
}

quick_recommend_command() {
  run_slow_s2 serial
  run_gnx recommend out
  [ "$RC" -eq 0 ] || fail "recommend exited $RC: $(cat "$ERR")"
  grep -qE "^null, n=200: serial$" "$OUT" || fail "no choice line: $(cat "$OUT")"
  grep -qE "^  why:  The only engine that ran and verified \(time to result [0-9.]+ ms" "$OUT" || fail "no why: $(cat "$OUT")"
  grep -qE "^  next: " "$OUT" || fail "no next step: $(cat "$OUT")"
  # the same sentences open summary.md
  local why
  why=$(sed -n 's/^  why:  //p' "$OUT")
  grep -qF "$why" out/summary.md || fail "summary.md's recommendation differs from recommend's"
}

reco_check() {
  # untuned (one worker per stage): the tuner would take the next step itself
  run_gnx --workloads null --engines serial,threads --sizes 200 --cost s2=400,s1=150 --reps 5 \
          --warmup 1 --stage-workers 1 --out out --quiet
  [ "$RC" -eq 0 ] || fail "the run exited $RC: $(cat "$ERR")"
  run_gnx recommend out
  [ "$RC" -eq 0 ] || fail "recommend exited $RC"
  cat "$OUT"
  grep -qE "^null, n=200: threads$" "$OUT" || return 1
  grep -qF "s2 is its bottleneck" "$OUT" || return 1
  grep -qF "give s2 a second worker (--stage-workers s2=2)" "$OUT"
}

perf_recommend_threads_bottleneck_next_step() {
  need_threads
  # s2 costs 400 us and s1 150 us: serial needs 110 ms, a pipeline 80 ms
  # (s2 on its one worker binds); a second s2 worker would bring the bound
  # to 55 ms (the 2 cores), which is what to try next
  retry3 reco_check || fail "threads was not recommended with s2 as the next step in 3 runs"
}

quick_report_usage_errors() {
  run_gnx report
  [ "$RC" -eq 2 ] && grep -q "report needs a directory" "$ERR" || fail "report without DIR: $RC $(cat "$ERR")"
  run_gnx report nowhere
  [ "$RC" -eq 2 ] && grep -q "nowhere: no report.json there" "$ERR" || fail "report nowhere: $RC $(cat "$ERR")"
  run_gnx recommend a b
  [ "$RC" -eq 2 ] && grep -q "unexpected argument 'b'" "$ERR" || fail "recommend a b: $RC $(cat "$ERR")"
  mkdir bad && echo '{"schema_version": 99}' >bad/report.json
  run_gnx report bad
  [ "$RC" -eq 2 ] && grep -q "not a gnxbench report" "$ERR" || fail "report of a bad file: $RC $(cat "$ERR")"
  run_gnx --help
  grep -q "gnxbench report DIR" "$OUT" && grep -q "gnxbench recommend DIR" "$OUT" || fail "--help does not list report/recommend"
}

# Every reader of a report or a baseline validates it at load time: a
# damaged file gets one line naming the field (its JSON path), exit 2, and
# nothing derived from it is written. Issue 16's crash (a cell {}) included.
quick_hostile_reports_every_reader() {
  cp "$GNX_SRC/results/baselines/ci.json" good.json
  damage() { # damage NAME PYTHON-STATEMENT (on r, the report)
    mkdir -p "$1"
    "$PY" -c "import json; r=json.load(open('good.json')); c=r['results'][0]; $2; json.dump(r, open('$1/report.json','w'))"
  }
  damage crash "r['results'] = [{}]; r.pop('context')"
  damage size "c['size'] = 'big'"
  damage engine "c['engine'] = 7"
  damage negwall "c['reps'][0]['wall_s'] = -1"
  damage hugewall "c['reps'][0]['wall_s'] = 1e308"
  damage dup "r['results'].append(c)"
  damage nocontext "r.pop('context')"
  damage tracepath "c['trace'] = {'file': '../../x.json', 'rep': 0}"
  damage types "c['stats']['speedup'] = 'fast'"
  local field
  declare -A field=([crash]="context: missing" [size]="results\[0\]\.size: expected an integer"
    [engine]="results\[0\]\.engine: expected a string" [negwall]="results\[0\]\.reps\[0\]\.wall_s: -1 is out of range"
    [hugewall]="results\[0\]\.reps\[0\]\.wall_s: 1e\+308 is out of range" [dup]="results\[[0-9]+\]: the same workload, size and engine"
    [nocontext]="context: missing" [tracepath]="results\[0\]\.trace\.file: not a trace file name"
    [types]="results\[0\]\.stats\.speedup: expected an object or null")
  local d
  for d in "${!field[@]}"; do
    local want="$d/report.json: invalid report: ${field[$d]}"
    expect_usage_error "$want" report "$d"
    expect_usage_error "$want" recommend "$d"
    expect_usage_error "$want" predict "$d"
    expect_usage_error "compare: $want" compare good.json "$d/report.json"
    expect_usage_error "unusable report $want" gate --baseline good.json --report "$d/report.json"
    expect_usage_error "unusable baseline $want" gate --baseline "$d/report.json" --report good.json
    [ -e "$d/summary.md" ] && fail "report of the damaged $d wrote summary.md"
  done
  return 0
}

quick_unreadable_trace_is_a_warning() {
  run_slow_s2 serial
  echo '{"traceEvents": [ {"ph": "X"' >out/trace-null-200-serial.json
  run_gnx report out --quiet
  [ "$RC" -eq 0 ] || fail "report exited $RC"
  grep -q "warning: 1 trace unreadable" "$ERR" || fail "no warning: $(cat "$ERR")"
  grep -q "No per-worker figures: trace-null-200-serial.json: " out/summary.md || fail "summary.md does not say why"
  grep -qE '^\| serial \|' out/summary.md || fail "the table is gone"
}

# Many items: the charts stay readable (spans merged, or drawn per pixel
# column) at 25k and 100k items.
slow_gantt_readable_many_items() {
  need_gnuplot
  local engines=serial
  have_engine threads && engines=serial,threads
  for n in 25k 100k; do
    rm -rf out
    run_gnx --workloads null --engines $engines --sizes $n --reps 1 --warmup 0 --out out --quiet
    [ "$RC" -eq 0 ] || fail "$n: exited $RC: $(cat "$ERR")"
    for e in ${engines//,/ }; do
      local base
      base=$(ls out/gantt-null-*-$e.dat | sed 's/\.dat$//')
      file "$base.png" | grep -q "PNG image data, 1200 x" || fail "$base.png: $(file "$base.png")"
      # at most about one box per pixel column per row
      $PY - "$base.dat" <<'EOF' || fail "$base.dat has too many boxes to read"
import collections, sys
rows = collections.Counter(l.split()[0] for l in open(sys.argv[1]) if l.strip() and not l.startswith("#"))
print(dict(rows))
sys.exit(0 if max(rows.values()) <= 2100 else 1)
EOF
    done
  done
}

run_case "$1"
