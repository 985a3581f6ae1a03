# SPDX-License-Identifier: MIT
# The charts people look for (speedup against size, where the time went)
# and report.html: each chart exists, is a PNG of its size that is not
# blank, and holds the numbers it should; report.html is well-formed,
# self-contained, escapes what it quotes from report.json, says when
# gnuplot is missing, and renders in headless Chromium.
. "$(dirname "$0")/lib.sh"

PNG_CHECK="$GNX_SRC/tests/png-check.py"
HTML_CHECK="$GNX_SRC/tests/html-check.py"

have_engine() { "$GNX" list | grep -qE "^  $1 "; }
need_gnuplot() { command -v gnuplot >/dev/null || skip "gnuplot is not installed (gnuplot-nox)"; }

# The engines this build has, serial first.
ENGINES=serial
for e in threads procpool; do
  have_engine $e && ENGINES=$ENGINES,$e
done
need_parallel() { [ "$ENGINES" != serial ] || skip "no parallel engine is built yet"; }

# run_null SIZES [ARGS...]: the null workload, s2 costing 100 us an item,
# into out/.
run_null() {
  run_gnx --workloads null --engines "$ENGINES" --sizes "$1" --cost s2=100 --reps 3 --warmup 1 \
          --out out --quiet "${@:2}"
  [ "$RC" -eq 0 ] || fail "the run exited $RC: $(cat "$ERR")"
  cp "$ERR" run.err # warnings (a chart not drawn) explain a later difference
}

# chart_files BASE W H: .dat, .gp, .svg and a PNG of W x H, over 5 KB, that
# is not blank.
chart_files() {
  for x in dat gp svg png; do [ -s "out/$1.$x" ] || fail "out/$1.$x is missing or empty"; done
  $PY "$PNG_CHECK" "out/$1.png" "$2" "$3" 5120 8 100 || fail "out/$1.png is not the chart"
  $PY -c "import sys, xml.etree.ElementTree as E; assert E.parse(sys.argv[1]).getroot().tag.endswith('svg')" \
      "out/$1.svg" || fail "out/$1.svg does not parse as SVG"
}

quick_speedup_chart_per_workload() {
  need_gnuplot
  need_parallel
  run_null 50,400
  chart_files speedup-null 900 540
  # 400 / 50 > 4: log scale; a line per parallel engine, reference lines
  grep -q '^set logscale x$' out/speedup-null.gp || fail "sizes spanning 8x are not on a log scale"
  local cores
  cores=$(json_get out/report.json 'r["context"]["cpus_allowed"]')
  grep -q "^  1 with lines .*title '1x: serial'" out/speedup-null.gp || fail "no 1x line"
  grep -q "^  $cores with lines .*title '$cores CPUs\? allowed: the ceiling'" out/speedup-null.gp ||
    fail "no line at the $cores CPUs allowed"
  $PY - "$ENGINES" <<'EOF' || fail "speedup-null.dat does not hold the report's speedups"
import json, sys
r = json.load(open("out/report.json"))
want = {(c["engine"], c["size"]): c["stats"]["speedup"] for c in r["results"] if c["engine"] != "serial"}
blocks = open("out/speedup-null.dat").read().split("\n\n\n")
got = {}
for b in blocks:
    engine = [l for l in b.splitlines() if l.startswith("# block")][0].split(": ")[1]
    for l in b.splitlines():
        if l and not l.startswith("#"):
            size, med, lo, hi = l.split()
            got[(engine, int(size))] = (float(med), float(lo), float(hi))
assert set(got) == set(want), f"cells {sorted(got)} != {sorted(want)}"
for k, s in want.items():
    med, lo, hi = got[k]
    assert abs(med - s["median"]) < 1e-3 and abs(lo - s["lo"]) < 1e-3 and abs(hi - s["hi"]) < 1e-3, (k, got[k], s)
    assert lo <= med <= hi, k
print(f"{len(got)} points, every one the report's median and interval")
EOF
  # right under the recommendation in summary.md
  $PY - <<'EOF' || fail "summary.md does not show the chart right under the recommendation"
lines = open("out/summary.md").read().splitlines()
i = lines.index("## Recommendation") + 1
while i < len(lines) and (not lines[i] or lines[i].startswith("- **") or lines[i].startswith("  Next:")):
    i += 1
assert lines[i] == "![speedup against size: null](speedup-null.png)", lines[i]
EOF
}

quick_speedup_chart_linear_within_4x() {
  need_gnuplot
  need_parallel
  run_null 100,400
  chart_files speedup-null 900 540
  grep -q 'logscale' out/speedup-null.gp && fail "sizes within 4x are on a log scale"
  grep -q '^set xtics ("100" 100, "400" 400)$' out/speedup-null.gp || fail "the sizes are not the x tics"
  # serial alone has nothing to compare: no chart, no link
  rm -rf out
  run_gnx --workloads null --engines serial --sizes 100 --reps 1 --warmup 0 --out out --quiet
  [ "$RC" -eq 0 ] || fail "serial run exited $RC"
  [ -e out/speedup-null.gp ] && fail "a speedup chart for serial alone"
  grep -q 'speedup-null' out/summary.md && fail "summary.md links a chart that is not there"
  return 0
}

# The shares in breakdown-*.dat, per engine: {engine: {part: percent}}.
BD_PARSE='
import json
def shares(size):
    r = json.load(open("out/report.json"))
    engines = [c["engine"] for c in r["results"] if c["size"] == size]
    blocks = open(f"out/breakdown-null-{size}.dat").read().split("\n\n\n")
    out = {e: {} for e in engines}
    for b in blocks[:7]:
        part = [l for l in b.splitlines() if l.startswith("# block")][0].split(": ")[1]
        for l in b.splitlines():
            if l and not l.startswith("#"):
                i, lo, hi = l.split()
                out[engines[int(i)]][part] = float(hi) - float(lo)
    return r, out
'

quick_breakdown_chart_per_size() {
  need_gnuplot
  run_null 50,200
  for n in 50 200; do
    chart_files breakdown-null-$n 1000 520
    grep -qF "](breakdown-null-$n.png)" out/summary.md || fail "summary.md does not link breakdown-null-$n.png"
  done
  # the link sits in its size's section, beside the table, before the verdicts
  awk '/^## null, n=50 /{s=1} s&&/breakdown-null-50.png/{print "ok"; exit} s&&/^\*\*Verdicts/{exit}' out/summary.md |
    grep -q ok || fail "breakdown-null-50.png is not beside the n=50 table"
  # the shares are the trace's totals over workers x wall, and add up to 100 %
  $PY - <<EOF || fail "the breakdown disagrees with the traces"
$BD_PARSE
for size in (50, 200):
    r, got = shares(size)
    for cell in (c for c in r["results"] if c["size"] == size):
        wall = cell["reps"][cell["trace"]["rep"]]["wall_s"] * 1e6
        ev = json.load(open(f"out/trace-null-{size}-{cell['engine']}.json"))["traceEvents"]
        threads = {(e["pid"], e["tid"]) for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
        tot = dict.fromkeys(["exec", "starved", "blocked", "lock", "copy", "done"], 0.0)
        cat = {"exec": "exec", "wait_in": "starved", "wait_out": "blocked", "wait_lock": "lock", "copy": "copy"}
        for t in threads:
            xs = [e for e in ev if e["ph"] == "X" and (e["pid"], e["tid"]) == t]
            for x in xs:
                tot[cat[x["cat"]]] += x["dur"]
            first = min((x["ts"] for x in xs), default=wall)
            last = max((x["ts"] + x["dur"] for x in xs), default=0)
            tot["done"] += max(0, min(first, wall)) + max(0, wall - min(last, wall))
        for part, t in tot.items():
            want = t / (len(threads) * wall) * 100
            assert abs(got[cell["engine"]][part] - want) < 0.05, (size, cell["engine"], part, got[cell["engine"]][part], want)
        assert sum(got[cell["engine"]].values()) > 99.95, got  # untraced fills the rest
        print(size, cell["engine"], {k: round(v, 1) for k, v in got[cell["engine"]].items()})
EOF
}

quick_breakdown_from_report_without_traces() {
  need_gnuplot
  run_null 200
  rm out/trace-*.json out/breakdown-*
  run_gnx report out --quiet
  [ "$RC" -eq 0 ] || fail "report exited $RC: $(cat "$ERR")"
  chart_files breakdown-null-200 1000 520
  # report.json's stage totals over its workers x wall; done is not known there
  $PY - <<EOF || fail "the breakdown from report.json is wrong"
$BD_PARSE
r, got = shares(200)
for cell in (c for c in r["results"] if c["size"] == 200):
    rep = cell["reps"][cell["trace"]["rep"]]
    workers = sum(1 for w in rep["workers"] if w.get("stage", -1) != -2)
    den = workers * rep["wall_s"] / 100
    for part, key in (("exec", "exec_s"), ("starved", "wait_in_s"), ("blocked", "wait_out_s"), ("lock", "wait_lock_s")):
        want = sum(s[key] for s in rep["stages"]) / den
        assert abs(got[cell["engine"]][part] - want) < 0.05, (cell["engine"], part, got[cell["engine"]][part], want)
    assert got[cell["engine"]]["done"] == 0, got
    print(cell["engine"], {k: round(v, 1) for k, v in got[cell["engine"]].items()})
EOF
}

# html_ok [ARGS...]: report.html passes html-check.py with ARGS.
html_ok() {
  $PY "$HTML_CHECK" out/report.html "$@" || fail "report.html: see above"
}

# RECO: the recommendation's sentences as `gnxbench recommend` prints them
# (backquoted commands are code in the page), one --contains each.
reco_args() {
  run_gnx recommend out
  [ "$RC" -eq 0 ] || fail "recommend exited $RC"
  RECO=()
  local l
  while IFS= read -r l; do
    RECO+=(--contains "$l")
  done < <(sed -n 's/^  why:  //p' "$OUT" | tr -d '`')
  [ ${#RECO[@]} -gt 0 ] || fail "recommend gave no sentence: $(cat "$OUT")"
}

quick_html_self_contained() {
  need_gnuplot
  run_null 50,400
  local svgs
  svgs=$(ls out/*.svg | wc -l)
  [ "$svgs" -ge 5 ] || fail "only $svgs SVG files"
  reco_args
  $PY "$HTML_CHECK" out/report.html --svgs "$svgs" "${RECO[@]}" --contains "Speedup against size" ||
    fail "report.html is not the self-contained report"
  # the order: recommendation, speedup charts, context, then per size its
  # table, breakdown and Gantt charts
  $PY - <<'EOF' || fail "report.html's sections are out of order"
s = open("out/report.html").read()
marks = ["<h2>Recommendation</h2>", "<h2>Speedup against size</h2>", "<h2>Context</h2>",
         "<h2>null, n=50 (", "<h3>Where the time went</h3>", "<h3>Gantt charts</h3>",
         "<h2>null, n=400 ("]
pos = [s.find(m) for m in marks]
assert -1 not in pos and pos == sorted(pos), list(zip(marks, pos))
EOF
  grep -q '<td>yes</td></tr>' out/report.html || fail "the table does not say verified"
  # derived from report.json alone: regenerating gives the same bytes
  cp out/report.html run.html
  run_gnx report out --quiet
  [ "$RC" -eq 0 ] || fail "report exited $RC"
  cmp -s out/report.html run.html ||
    fail "gnxbench report changed report.html: $(diff run.html out/report.html | head -6 | cut -c1-400)
the run's stderr: $(cat run.err)"
}

quick_html_escapes_report_text() {
  run_null 50
  $PY - <<'EOF'
import json
r = json.load(open("out/report.json"))
r["context"]["host"] = "<b>h&\"'</b>"
r["context"]["cpu_model"] = "<script>alert(1)</script>"
json.dump(r, open("out/report.json", "w"))
EOF
  run_gnx report out --quiet
  [ "$RC" -eq 0 ] || fail "report exited $RC: $(cat "$ERR")"
  grep -qF '&lt;b&gt;h&amp;&quot;&apos;&lt;/b&gt;: &lt;script&gt;alert(1)&lt;/script&gt;' out/report.html ||
    fail "the host and CPU are not escaped: $(grep -F 'machine' out/report.html)"
  html_ok --contains "<b>h&\"'</b>: <script>alert(1)</script>"
}

quick_html_without_gnuplot() {
  run_null 50
  rm -f out/*.png out/*.svg out/report.html
  mkdir emptybin
  PATH="$WORK/emptybin" "$GNX" report out --quiet 2>stderr.txt || fail "report without gnuplot failed"
  html_ok --svgs 0 --contains "The charts are missing: gnuplot was not found."
  grep -qF 'gnuplot was not found). Its data and script lie beside this page' out/report.html ||
    fail "a missing chart does not say why"
}

quick_html_renders_in_chromium() {
  need_gnuplot
  command -v chromium >/dev/null || skip "chromium is not installed"
  run_null 50,400
  export HOME="$WORK"
  local flags=(--headless --no-sandbox --disable-gpu --user-data-dir="$WORK/profile")
  timeout 120 chromium "${flags[@]}" --screenshot="$WORK/shot.png" --window-size=1200,2000 \
    "file://$WORK/out/report.html" >chromium.log 2>&1 || fail "chromium --screenshot failed: $(tail -3 chromium.log)"
  # not blank: text, shades and the charts' colours
  $PY "$PNG_CHECK" shot.png 1200 2000 10240 50 1000 || fail "the screenshot is not the page"
  timeout 120 chromium "${flags[@]}" --dump-dom "file://$WORK/out/report.html" >dom.html 2>chromium.log ||
    fail "chromium --dump-dom failed: $(tail -3 chromium.log)"
  local svgs
  svgs=$(ls out/*.svg | wc -l)
  reco_args
  $PY "$HTML_CHECK" dom.html --dom --svgs "$svgs" "${RECO[@]}" ||
    fail "Chromium's DOM lacks the recommendation or the charts"
}

run_case "$1"
