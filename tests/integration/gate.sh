#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `gnxbench gate` and `gnxbench compare`: decisions on crafted reports,
# unusable baselines (exit 2, one line naming the file and the problem),
# compare's U test on known samples, and (timed) a real rerun that passes
# and one with the threads engine slowed that fails.
. "$(dirname "$0")/lib.sh"

# make_base: a small real report in base/report.json (serial, threads; null).
make_base() {
  "$GNX" --engines serial,threads --workloads null --sizes 200 --reps 3 --warmup 0 --quiet \
    --out base >/dev/null 2>&1 || fail "the base run failed"
}

# craft IN OUT SCALE WIDTH: threads' speedup stats set to median 1.5*SCALE
# with interval +-WIDTH/2 around it (serial kept at 1).
craft() {
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
src, dst, scale, width = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
r = json.load(open(src))
for c in r["results"]:
    if c["engine"] == "threads":
        m = 1.5 * scale
        c["stats"]["speedup"].update(median=m, lo=m * (1 - width / 2), hi=m * (1 + width / 2))
json.dump(r, open(dst, "w"))
PY
}

# make_crafted: from the base, old.json (threads 1.5x, +-2 %), same.json
# (equal), slow.json (30 % slower) and noisy.json (interval +-60 %).
make_crafted() {
  make_base
  craft base/report.json old.json 1 0.04
  craft base/report.json same.json 1 0.04
  craft base/report.json slow.json 0.7 0.04
  craft base/report.json noisy.json 1 1.2
}

quick_gate_decisions() {
  make_crafted
  run_gnx gate --baseline old.json --report same.json
  [ "$RC" -eq 0 ] || fail "equal: exit $RC: $(cat "$OUT" "$ERR")"
  grep -qE '^null +200 threads .* pass ' "$OUT" || fail "equal: no pass row: $(cat "$OUT")"
  run_gnx gate --baseline old.json --report slow.json
  [ "$RC" -eq 1 ] || fail "30 % slower: exit $RC: $(cat "$OUT")"
  grep -qE 'threads .*-30\.0 %  REGRESSED +the whole interval is below 1\.35' "$OUT" ||
    fail "30 % slower: row: $(cat "$OUT")"
  run_gnx gate --baseline old.json --report noisy.json
  [ "$RC" -eq 3 ] || fail "noisy: exit $RC: $(cat "$OUT")"
  grep -q 'inconclusive .*too noisy to tell' "$OUT" || fail "noisy: row: $(cat "$OUT")"
  # a looser max-drop lets the 30 % drop through
  run_gnx gate --baseline old.json --report slow.json --max-drop 40%
  [ "$RC" -eq 0 ] || fail "--max-drop 40%: exit $RC: $(cat "$OUT")"
}

quick_gate_bad_baselines() {
  make_base
  craft base/report.json good.json 1 0.04
  head -c 300 good.json >truncated.json
  expect_usage_error "unusable baseline truncated.json: not valid JSON" \
    gate --baseline truncated.json --report good.json
  : >empty.json
  expect_usage_error "unusable baseline empty.json: not valid JSON" \
    gate --baseline empty.json --report good.json
  expect_usage_error "unusable baseline missing.json: cannot read it \(No such file or directory\)" \
    gate --baseline missing.json --report good.json
  sed 's/"schema_version": *1/"schema_version": 7/' good.json >v7.json
  expect_usage_error "unusable baseline v7.json: not a gnxbench report of schema version 1" \
    gate --baseline v7.json --report good.json
  /usr/bin/python3 -c "import json; r=json.load(open('good.json')); del r['config']; json.dump(r, open('nocfg.json','w'))"
  expect_usage_error "unusable baseline nocfg.json: invalid report: config: missing" \
    gate --baseline nocfg.json --report good.json
  /usr/bin/python3 -c "import json; r=json.load(open('good.json')); r['results'][1]['stats']['speedup']=None; json.dump(r, open('nosp.json','w'))"
  expect_usage_error "unusable baseline nosp.json: results\[1\] \(null n=200 threads\) has no positive speedup" \
    gate --baseline nosp.json --report good.json
  # an option value this build refuses (recorded before its meaning changed)
  /usr/bin/python3 -c "import json; r=json.load(open('good.json')); r['results'][1]['options']['queue-depth']='0'; json.dump(r, open('oldopt.json','w'))"
  expect_usage_error "^gnxbench: gate: the baseline's configuration cannot be rerun by this build \(--queue-depth: .*\); re-record it with --update-baseline$" \
    gate --baseline oldopt.json --out rerun
  expect_usage_error "--baseline FILE is required" gate --report good.json
  expect_usage_error "--max-drop 'x': give a percentage" gate --baseline good.json --max-drop x
  expect_usage_error "unknown argument '--bogus'" gate --baseline good.json --bogus
}

# Another size, workload or engine set is no comparison: exit 2 (unusable),
# not REGRESSED, and a rerun that would measure it does not start.
quick_gate_config_mismatch() {
  make_base
  craft base/report.json good.json 1 0.04
  "$GNX" --engines serial,threads --workloads null --sizes 300 --reps 3 --warmup 0 --quiet \
    --out other >/dev/null 2>&1 || fail "the other run failed"
  expect_usage_error "unusable baseline good.json: the new report has no null 200 serial cell" \
    gate --baseline good.json --report other/report.json
  expect_usage_error "unusable baseline: the rerun would not measure the baseline's null at 200" \
    gate --baseline good.json --out rerun -- --sizes 300
  [ ! -e rerun ] || fail "the refused rerun ran"
  expect_usage_error "unusable baseline: the -- --engines/--workloads given leave none" \
    gate --baseline good.json --out rerun -- --engines serial
}

# check_junit FILE VERDICT...: FILE parses as JUnit XML with one testsuite
# "gnxbench gate" and, per VERDICT (pass, failure, skipped), one testcase
# null.200/threads; a failure's text holds the figures.
check_junit() {
  "$PY" - "$@" <<'PY' || fail "JUnit $1: $(cat "$1")"
import sys, xml.etree.ElementTree as ET
path, want = sys.argv[1], sys.argv[2:]
root = ET.parse(path).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
assert len(suites) == 1 and suites[0].get("name") == "gnxbench gate", suites
cases = suites[0].findall("testcase")
assert [(c.get("classname"), c.get("name")) for c in cases] == [("null.200", "threads")] * len(want)
for c, w in zip(cases, want):
    kids = [k.tag for k in c]
    assert kids == ([] if w == "pass" else [w]), kids
    if w == "failure":
        f = c.find("failure")
        assert "interval is below 1.35" in f.get("message"), f.attrib
        for part in ("baseline 1.50x", "threshold 1.35x", "new speedup 1.05x", "[1.03, 1.07]"):
            assert part in f.text, (part, f.text)
    if w == "skipped":
        assert "too noisy to tell" in c.find("skipped").get("message")
PY
}

# --junit and --markdown: written for every verdict, from the crafted reports.
quick_gate_ci_files() {
  make_crafted
  run_gnx gate --baseline old.json --report slow.json --junit j.xml --markdown m.md
  [ "$RC" -eq 1 ] || fail "30 % slower: exit $RC: $(cat "$OUT" "$ERR")"
  check_junit j.xml failure
  grep -qxF '| null | 200 | threads | 1.50x | 1.35x | 1.05x | [1.03, 1.07] | -30.0 % | **REGRESSED** | the whole interval is below 1.35 (baseline 1.50 - 10 %) |' m.md ||
    fail "markdown row: $(cat m.md)"
  grep -qE '^\| work \| size \| engine \| baseline \| threshold \| speedup \| interval \| change \| verdict \| why \|$' m.md ||
    fail "markdown header: $(cat m.md)"
  grep -qF '**gate: 0 pass, 0 inconclusive, 1 regressed (max drop 10 %, max interval width 50 %): FAIL (regressed)**' m.md ||
    fail "markdown verdict line: $(cat m.md)"
  run_gnx gate --baseline old.json --report noisy.json --junit j.xml --markdown m.md
  [ "$RC" -eq 3 ] || fail "noisy: exit $RC"
  check_junit j.xml skipped
  grep -qE '^\| null \| 200 \| threads \| .* \| inconclusive \| interval 120 % of the median wide' m.md ||
    fail "markdown inconclusive row: $(cat m.md)"
  run_gnx gate --baseline old.json --report same.json --junit j.xml --markdown m.md
  [ "$RC" -eq 0 ] || fail "equal: exit $RC"
  check_junit j.xml pass
  grep -qE '^\| null \| 200 \| threads \| .* \| pass \| ' m.md || fail "markdown pass row: $(cat m.md)"
  grep -qF ': PASS**' m.md || fail "markdown verdict line: $(cat m.md)"
  [ -z "$(find . -maxdepth 1 -name '.*.tmp')" ] || fail "temporary files left: $(ls -a)"
}

# A CI file that cannot be written is refused before anything runs.
quick_gate_ci_files_unwritable() {
  make_base
  craft base/report.json good.json 1 0.04
  expect_usage_error "^gnxbench: gate: --junit: cannot write nodir/j\.xml: No such file or directory" \
    gate --baseline good.json --junit nodir/j.xml --out rerun
  [ ! -e rerun ] || fail "the rerun started despite the unwritable --junit path"
  mkdir adir
  expect_usage_error "^gnxbench: gate: --markdown: cannot write adir: Is a directory" \
    gate --baseline good.json --report good.json --markdown adir
  expect_usage_error "--junit needs a value" gate --baseline good.json --junit
}

# A rerun takes the baseline's configuration and every option of its cells,
# the options after -- replacing the baseline's; the report records the
# equivalent run command line.
quick_gate_rerun_keeps_every_option() {
  "$GNX" --engines serial,threads --workloads null --sizes 200 --reps 2 --warmup 0 --quiet \
    --batch 4 --queue-depth 3 --out base >/dev/null 2>&1 || fail "the base run failed"
  run_gnx gate --baseline base/report.json --out again -- --reps 3 --queue-depth 2
  [ "$RC" -ne 2 ] || fail "the rerun was refused: $(cat "$ERR")"
  local r="again/report.json"
  [ "$(json_get $r "r['config']['reps'], r['config']['warmup'], r['config']['sizes']")" = \
    "3 0 [200]" ] || fail "config: $(json_get $r "r['config']")"
  [ "$(json_get $r "[c['options']['batch'] for c in r['results']]")" = "['4', '4']" ] ||
    fail "the baseline's --batch did not reach the rerun"
  [ "$(json_get $r "r['results'][1]['options']['queue-depth']")" = "2" ] ||
    fail "the option after -- did not replace the baseline's"
  json_get $r "' '.join(r['context']['command_line'])" |
    grep -q -- "run --quiet --out again --engines serial,threads --workloads null --sizes 200 --warmup 0 .*--batch 4 .*--reps 3 --queue-depth 2$" ||
    fail "command line: $(json_get $r "r['context']['command_line']")"
}

# Known samples: walls a (old) and b (new) for threads; the two-sided exact
# Mann-Whitney p is 0.004079 (U = 46 of 49; computed independently by
# enumerating all 3432 splits in Python, see tests/unit/test-stats.c).
quick_compare_known_samples() {
  make_base
  "$GNX" --engines serial,threads --workloads null --sizes 200 --reps 7 --warmup 0 --quiet \
    --out seven >/dev/null 2>&1 || fail "the 7-rep run failed"
  /usr/bin/python3 - <<'PY'
import json
r = json.load(open("seven/report.json"))
a = [101.2, 99.8, 103.4, 100.9, 102.2, 98.7, 104.1]
b = [97.3, 99.1, 96.8, 100.2, 95.9, 98.2, 97.7]
for name, walls in (("old.json", a), ("new.json", b)):
    for c in r["results"]:
        for i, rep in enumerate(c["reps"]):
            rep["ok"] = True
            rep["wall_s"] = 0.200 if c["engine"] == "serial" else walls[i] / 1000
    json.dump(r, open(name, "w"))
PY
  run_gnx compare old.json new.json
  [ "$RC" -eq 0 ] || fail "compare: exit $RC: $(cat "$ERR")"
  # threads: speedup 200/101.2 -> 200/97.7, wall 101.2 -> 97.7 ms, p 0.004 both ways
  grep -qE '^null +200 threads +1\.98 -> 2\.05 +\+3\.6 % +0\.004 \* +101\.2 -> 97\.7 ms +-3\.5 % +0\.004 \*' "$OUT" ||
    fail "compare threads row: $(cat "$OUT")"
  grep -qE '^geometric mean: speedup \+3\.6 % over 1 cells, wall time -1\.7 % over 2 cells' "$OUT" ||
    fail "compare summary: $(cat "$OUT")"
  run_gnx compare old.json old.json
  grep -qE 'threads .* 1\.000 ' "$OUT" || fail "compare with itself: $(cat "$OUT")"
  head -c 200 old.json >cut.json
  expect_usage_error "compare: cut.json: not valid JSON" compare old.json cut.json
  expect_usage_error "compare needs two reports" compare old.json
  # the same cell with other options: flagged, and the options named
  /usr/bin/python3 - <<'PY'
import json
r = json.load(open("new.json"))
for c in r["results"]:
    if c["engine"] == "threads":
        c["options"]["queue-depth"] = "16"
json.dump(r, open("opts.json", "w"))
r["results"] = [dict(c, size=999) for c in r["results"]]
json.dump(r, open("other.json", "w"))
PY
  run_gnx compare old.json opts.json
  [ "$RC" -eq 0 ] || fail "compare with other options: exit $RC"
  grep -qE '^null +200 threads .* !$' "$OUT" || fail "the threads row is not flagged: $(cat "$OUT")"
  grep -qE '^  null 200 threads: queue-depth auto -> 16$' "$OUT" || fail "the differing option is not named: $(cat "$OUT")"
  # nothing in common: one line, exit 2, no table
  expect_usage_error "have no \(workload, size, engine\) in common" compare old.json other.json
}

# make_three: from the base, A.json, B.json and C.json with known walls:
# serial 200 ms in every round, threads 100, 101, 102 ms (median speedup
# 200/101 = 1.98x), 80, 81, 82 ms (200/81 = 2.47x, +24.7 %) and 125, 126,
# 127 ms (200/126 = 1.59x, -19.8 %); C's threads with --queue-depth 16.
make_three() {
  make_base
  /usr/bin/python3 - <<'PY'
import json
r = json.load(open("base/report.json"))
for name, ms in (("A.json", 100), ("B.json", 80), ("C.json", 125)):
    for c in r["results"]:
        for i, rep in enumerate(c["reps"]):
            rep["ok"] = True
            rep["wall_s"] = 0.200 if c["engine"] == "serial" else (ms + i) / 1000
        if name == "C.json" and c["engine"] == "threads":
            c["options"]["queue-depth"] = "16"
    json.dump(r, open(name, "w"))
PY
}

# Three reports: one table, A the baseline; per engine the geometric mean.
quick_compare_three_reports() {
  make_three
  run_gnx compare A.json B.json C.json
  [ "$RC" -eq 0 ] || fail "compare of three: exit $RC: $(cat "$ERR")"
  grep -qx 'A = A (A.json): the baseline' "$OUT" || fail "legend: $(cat "$OUT")"
  grep -qx 'C = C (C.json)' "$OUT" || fail "legend: $(cat "$OUT")"
  grep -qE '^work +size engine +A speedup \| B speedup +vs A +p \| C speedup +vs A +p$' "$OUT" ||
    fail "header: $(cat "$OUT")"
  # 3 rounds each, every B round above every A round: exact p = 2/20
  grep -qE '^null +200 threads +1\.98x \| +2\.47x +\+24\.7 % +0\.100 \| +1\.59x +-19\.8 % ! +0\.100$' "$OUT" ||
    fail "threads row: $(cat "$OUT")"
  ! grep -qE '^null +200 serial' "$OUT" || fail "serial has a row: $(cat "$OUT")"
  grep -qE '^ +threads +1\.98x \| +2\.47x +\+24\.7 % +1 cells \| +1\.59x +-19\.8 % +1 cells$' "$OUT" ||
    fail "geometric mean of threads: $(cat "$OUT")"
  grep -qE '^ +all +1\.98x \| +2\.47x +\+24\.7 % ' "$OUT" || fail "geometric mean of all: $(cat "$OUT")"
  grep -qx '! C: options differ from A.s, so these cells compare different experiments:' "$OUT" ||
    fail "no options line for C: $(cat "$OUT")"
  grep -qx '  null 200 threads: queue-depth auto -> 16' "$OUT" || fail "the option is not named: $(cat "$OUT")"
  # a cell B lacks is shown as -
  /usr/bin/python3 -c "import json; r=json.load(open('B.json')); r['results']=[c for c in r['results'] if c['engine']=='serial']; json.dump(r, open('Bs.json','w'))"
  run_gnx compare A.json Bs.json C.json
  grep -qE '^null +200 threads +1\.98x \| +- +- +- \| +1\.59x ' "$OUT" || fail "missing cell: $(cat "$OUT")"
  # two reports keep their own table
  run_gnx compare A.json B.json
  grep -qE '^null +200 threads +1\.98 -> 2\.47 +\+24\.7 % +0\.100 ' "$OUT" || fail "two reports: $(cat "$OUT")"
}

# png_size FILE: "W H" of a PNG.
png_size() {
  /usr/bin/python3 -c '
import struct, sys
b = open(sys.argv[1], "rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
print(*struct.unpack(">II", b[16:24]))' "$1"
}

# --chart: speedup across the reports, .dat and .gp beside the PNG and SVG.
quick_compare_chart() {
  make_three
  mkdir charts
  run_gnx compare A.json B.json C.json --chart charts/speedups.png
  [ "$RC" -eq 0 ] || fail "--chart FILE.png: exit $RC: $(cat "$ERR")"
  [ "$(grep -vc '^#\|^$' charts/speedups.dat)" -eq 3 ] || fail "dat: $(cat charts/speedups.dat)"
  grep -qx '0 1.9802' charts/speedups.dat && grep -qx '2 1.5873' charts/speedups.dat ||
    fail "dat values: $(cat charts/speedups.dat)"
  grep -qF "set xtics noenhanced ('A A' 0, 'B B' 1, 'C C' 2)" charts/speedups.gp ||
    fail "gp ticks: $(cat charts/speedups.gp)"
  grep -qF "title 'threads null 200'" charts/speedups.gp || fail "gp key: $(cat charts/speedups.gp)"
  if ! command -v gnuplot >/dev/null; then
    grep -q "warning: gnuplot not found" "$ERR" || fail "no warning without gnuplot: $(cat "$ERR")"
    skip "gnuplot is not installed (gnuplot-nox): .dat and .gp checked only"
  fi
  grep -qx 'chart: charts/speedups.png (and .svg, .dat, .gp)' "$OUT" || fail "where: $(cat "$OUT")"
  [ "$(png_size charts/speedups.png)" = "900 540" ] || fail "PNG size: $(png_size charts/speedups.png)"
  [ "$(stat -c %s charts/speedups.png)" -gt 10000 ] || fail "the PNG is nearly empty"
  grep -q '<svg' charts/speedups.svg || fail "no SVG"
  # a directory: DIR/compare.*; two reports chart as well
  run_gnx compare A.json B.json --chart charts
  [ "$RC" -eq 0 ] && [ -s charts/compare.png ] && [ -s charts/compare.gp ] ||
    fail "--chart DIR: exit $RC, $(ls charts)"
  # the .gp redraws by itself
  rm charts/compare.png
  (cd charts && gnuplot compare.gp) && [ -s charts/compare.png ] || fail "compare.gp does not redraw"
}

quick_compare_bad_input() {
  make_three
  expect_usage_error "^gnxbench: compare needs two reports: " compare A.json
  expect_usage_error "^gnxbench: compare: cannot read missing.json: No such file or directory" \
    compare A.json B.json missing.json
  expect_usage_error "^gnxbench: compare: --chart 'out.txt': give FILE.png, FILE.svg or an existing directory$" \
    compare A.json B.json C.json --chart out.txt
  expect_usage_error "^gnxbench: compare: --chart 'nodir/x.png': no directory nodir" \
    compare A.json B.json C.json --chart nodir/x.png
  expect_usage_error "^gnxbench: compare: --chart needs a value" compare A.json B.json --chart
  expect_usage_error "^gnxbench: compare: unknown argument '--bogus'" compare A.json B.json --bogus
  expect_usage_error "^gnxbench: compare: at most 26 reports" compare $(printf 'A.json %.0s' $(seq 27))
  /usr/bin/python3 -c "import json; r=json.load(open('B.json')); r['results']=[dict(c, size=999) for c in r['results']]; json.dump(r, open('other.json','w'))"
  expect_usage_error "^gnxbench: compare: A.json and other.json have no \(workload, size, engine\) in common" \
    compare A.json B.json other.json
  [ ! -e compare.png ] && [ ! -e nodir ] || fail "a refused compare wrote a chart"
}

# A real rerun on the CI configuration: noise must not make it fail, and a
# threads engine slowed at the sink (which then becomes the bottleneck) must
# regress, or be inconclusive only when other processes took the CPUs.
# Timed: runs alone.
perf_gate_rerun() {
  run_gnx gate --baseline ci.json --update-baseline --out mk -- --engines serial,threads \
    --workloads etl --sizes 25k --reps 7 --warmup 1
  [ "$RC" -eq 0 ] && [ -s ci.json ] || fail "creating a baseline: exit $RC: $(cat "$ERR")"
  validate ci.json
  run_gnx gate --baseline ci.json --out again
  [ "$RC" -eq 0 ] || [ "$RC" -eq 3 ] || fail "an unchanged rerun failed the gate: $(cat "$OUT")"
  grep -qE '^gate: other processes used [0-9]+ % of the [0-9]+ CPUs during the run' "$OUT" ||
    fail "no measure of the machine's other load: $(cat "$OUT")"
  # a sink delay of twice serial's whole time per item makes threads at
  # most 0.5x whatever the build (sanitizers slow the stages too)
  local delay
  delay=$(json_get ci.json "int(2e6 * r['results'][0]['stats']['wall_s']['median'] / r['results'][0]['items'])")
  run_gnx gate --baseline ci.json --out slow -- --item-delay-us "$delay"
  if [ "$RC" -eq 3 ] && grep -q 'threads .*inconclusive .*other processes used' "$OUT"; then
    : # another job took the CPUs meanwhile: the gate rightly says it cannot tell
  else
    [ "$RC" -eq 1 ] || fail "slowed threads: exit $RC: $(cat "$OUT" "$ERR")"
    grep -qE '^etl +25000 threads .*REGRESSED +the whole interval is below' "$OUT" ||
      fail "slowed threads: $(cat "$OUT")"
  fi
  [ "$(json_get slow/report.json "r['results'][1]['options']['item-delay-us']")" = "$delay" ] ||
    fail "the extra option did not reach the rerun"
}

run_case "$1"
