#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Agreement with what gnxbench did not write (issue 15; figures in
# docs/benchmarks.md and docs/statistics.md):
#   1. known costs: the null workload with busy stages of known cost; each
#      stage's exec total against cost x items (target: within 2 %), and
#      serial's wall against the sum of its stages' costs (within 2 %);
#   2. counters: single-repetition runs, the report's task-clock
#      (perf_event) against its user + sys (getrusage, the kernel's other
#      account), within 5 %; its peak RSS against GNU time's maximum
#      resident set size of the same command, within 5 %; its context
#      switches against `perf stat -e context-switches` of the same
#      command, where perf works (perf counts the whole command: start-up,
#      data generation, the report, gnuplot; the report one repetition);
#   3. the gate: GATES gates of an unchanged build against a baseline
#      measured just before (A/A: how many say REGRESSED, target 0, and
#      how many are inconclusive), then threads slowed on purpose by 10,
#      25 and 50 % (--item-delay-us at the sink, sized from the baseline):
#      how often each is caught.
# Timing checks: run on a quiet machine, never in make test.
#   bench/agreement.sh [GATES] [OUT]     (default 20 A/A gates, 10 per slow-down)
set -euo pipefail
cd "$(dirname "$0")/.."
GNX=${GNX:-$PWD/build/dev/gnxbench}
[ -x "$GNX" ] || { echo "agreement: $GNX not built; run make build" >&2; exit 2; }
GATES=${1:-20}
OUT=${2:-results/agreement-$(date -u +%Y%m%d-%H%M%S)}
SLOW_GATES=$(((GATES + 1) / 2))
mkdir -p "$OUT"
echo "agreement: started $(date -u '+%F %H:%M') UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. known costs ------------------------------------------------------
# two busy stages, and no engine with more busy workers than the 2 CPUs it
# is measured on (a stage's exec span is wall time: a preempted worker's
# span would hold another's work)
COST=s1=100,s2=400
"$GNX" run --workloads null --sizes 400 --cost "$COST" --engines serial,threads,procpool,async \
  --stage-workers 1 --workers 2 --reps 5 --warmup 1 --time-budget 0 --quiet --out "$OUT/costs" \
  >/dev/null

# ---- 2. counters against getrusage, GNU time and perf stat ----------------
# gnuplot kept off PATH: GNU time's figure is the largest of the command and
# its children, and pngcairo's gnuplot outgrows an ETL run
mkdir -p "$OUT/nogp"
counters_case() { # NAME RUN-OPTIONS...
  local name=$1
  shift
  /usr/bin/time -v -o "$OUT/$name.time" env PATH="$OUT/nogp" "$GNX" run --reps 1 --warmup 0 --time-budget 0 --quiet \
    --out "$OUT/$name" "$@" >/dev/null
  if perf stat -x, -e context-switches -o "$OUT/$name.perf" -- env PATH="$OUT/nogp" "$GNX" run --reps 1 --warmup 0 \
    --time-budget 0 --quiet --out "$OUT/$name-perf" "$@" >/dev/null 2>&1; then :; else
    rm -f "$OUT/$name.perf"
  fi
}
counters_case serial-etl --engines serial --workloads etl --sizes 100k
counters_case serial-gnn --engines serial --workloads gnn --sizes 100k
counters_case threads-etl --engines threads --workloads etl --sizes 100k
counters_case procpool-etl --engines procpool --workloads etl --sizes 100k

# ---- 3. the gate: A/A, then a slowed engine -------------------------------
"$GNX" run --workloads etl --sizes 20k --engines serial,threads --reps 7 --time-budget 0 \
  --quiet --out "$OUT/base" >/dev/null
gate_rc() { # DIR [RUN-OPTIONS]: the gate's exit status
  local dir=$1 rc=0
  shift
  "$GNX" gate --baseline "$OUT/base/report.json" --max-drop 15% --out "$dir" -- "$@" \
    >"$dir.txt" 2>&1 || rc=$?
  echo "$rc"
}
: >"$OUT/gates.tsv"
for i in $(seq 1 "$GATES"); do
  printf 'aa\t0\t%s\t%s\n' "$i" "$(gate_rc "$OUT/aa-$i")" >>"$OUT/gates.tsv"
done
# The slow-down knob: --item-delay-us sleeps at the sink. How much a delay
# slows threads is not items x delay: each sleep ends on a CPU the stage
# workers hold, and the sink waits for it (up to a scheduler tick), so the
# delays are calibrated here: threads alone at 0.1 .. 1.2 x its time per
# item, and for each target the delay whose measured slow-down is nearest.
read -r wall items < <(/usr/bin/python3 -c "
import json; r = json.load(open('$OUT/base/report.json'))
c = [c for c in r['results'] if c['engine'] == 'threads'][0]
print(c['stats']['wall_s']['median'], c['items'])")
: >"$OUT/calib.tsv"
for f in 0.1 0.2 0.3 0.4 0.6 0.8 1.0 1.2; do
  delay=$(awk -v w="$wall" -v n="$items" -v f="$f" 'BEGIN { printf "%d", w * f / n * 1e6 }')
  "$GNX" run --workloads etl --sizes 20k --engines serial,threads --reps 5 --time-budget 0 --quiet \
    --item-delay-us "$delay" --out "$OUT/calib-$f" >/dev/null
  /usr/bin/python3 -c "
import json; r = json.load(open('$OUT/calib-$f/report.json'))
c = [c for c in r['results'] if c['engine'] == 'threads'][0]
print('$delay', c['stats']['wall_s']['median'] / $wall - 1)" >>"$OUT/calib.tsv"
done
for pct in 10 25 50; do
  delay=$(awk -v p="$pct" '{ d = $2 - p / 100; d = d < 0 ? -d : d; if (NR == 1 || d < best) { best = d; v = $1 } }
                           END { print v }' "$OUT/calib.tsv")
  for i in $(seq 1 "$SLOW_GATES"); do
    printf 'slow\t%s\t%s\t%s\t%s\n' "$pct" "$i" "$(gate_rc "$OUT/slow$pct-$i" --item-delay-us "$delay")" \
      "$delay" >>"$OUT/gates.tsv"
  done
done

# ---- the figures ----------------------------------------------------------
/usr/bin/python3 - "$OUT" "$COST" <<'PY' | tee "$OUT/agreement.md"
import json, os, re, statistics, sys
out, cost = sys.argv[1], dict(kv.split("=") for kv in sys.argv[2].split(","))
med = statistics.median
ok_all = True

def verdict(err, lim):
    global ok_all
    ok = abs(err) <= lim
    ok_all &= ok
    return "yes" if ok else "**no**"

r = json.load(open(f"{out}/costs/report.json"))
print("### Known costs (null workload, 400 items, --cost " + sys.argv[2] + ", threads one worker per stage, procpool and async 2 workers)\n")
print("| engine | stage | exec total (median of 5) | cost x items | error | within 2 % |")
print("|---|---|---:|---:|---:|---|")
for c in r["results"]:
    for st in c["reps"][0]["stages"]:
        if st["name"] not in cost:
            continue
        want = float(cost[st["name"]]) * 1e-6 * c["items"]
        got = med([next(s for s in rep["stages"] if s["name"] == st["name"])["exec_s"] for rep in c["reps"]])
        print(f"| {c['engine']} | {st['name']} | {got*1e3:.2f} ms | {want*1e3:.2f} ms | "
              f"{(got-want)/want*100:+.2f} % | {verdict((got-want)/want, 0.02)} |")
s = next(c for c in r["results"] if c["engine"] == "serial")
want = sum(float(v) for v in cost.values()) * 1e-6 * s["items"]
got = s["stats"]["wall_s"]["median"]
print(f"\nserial's median wall {got*1e3:.2f} ms against the costs' sum {want*1e3:.2f} ms: "
      f"{(got-want)/want*100:+.2f} % (within 2 %: {verdict((got-want)/want, 0.02)})\n")

print("### Counters against getrusage, GNU time and perf stat (one repetition each)\n")
print("| run | task-clock (perf_event) | user + sys (getrusage) | error | peak RSS (report, largest cell) | "
      "GNU time max RSS | error | context switches (perf_event) | (getrusage) | perf stat (whole command) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name in ("serial-etl", "serial-gnn", "threads-etl", "procpool-etl"):
    eng = name.split("-")[0]
    cells = json.load(open(f"{out}/{name}/report.json"))["results"]
    rep = next(c for c in cells if c["engine"] == eng)["reps"][0]
    tc = rep["counters"]["task_clock_ns"] * 1e-9
    src = rep["counters"]["sources"]["task_clock_ns"]
    ru = rep["user_s"] + rep["sys_s"]
    # the command's peak is its largest cell's (serial runs beside every engine)
    rss = max(c["reps"][0]["maxrss_kb"] for c in cells)
    t = open(f"{out}/{name}.time").read()
    trss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    cs = rep["counters"]["context_switches"]
    ru_cs = rep["nvcsw"] + rep["nivcsw"]
    ps = "n/a"
    if os.path.exists(f"{out}/{name}.perf"):
        m = re.search(r"^([0-9]+),[^,]*,context-switches", open(f"{out}/{name}.perf").read(), re.M)
        ps = m.group(1) if m else "n/a"
    # gnn's process peaks after the cell, in the check's full-graph
    # reference (n x (F + H + C) floats): not the cell's, so no target there
    rss_ok = verdict((rss - trss) / trss, 0.05) if "gnn" not in name else "(the check's peak)"
    print(f"| {name} | {tc*1e3:.1f} ms ({src}) | {ru*1e3:.1f} ms | {(tc-ru)/ru*100:+.1f} % "
          f"{verdict((tc-ru)/ru, 0.05)} | {rss/1024:.1f} MB | {trss/1024:.1f} MB | "
          f"{(rss-trss)/trss*100:+.1f} % {rss_ok} | {cs} | {ru_cs} | {ps} |")

print("\n### The gate: A/A and a slowed engine (etl 20k, serial and threads, 7 repetitions, --max-drop 15 %)\n")
rows = [l.rstrip("\n").split("\t") for l in open(f"{out}/gates.tsv")]
base = json.load(open(f"{out}/base/report.json"))
bwall = next(c for c in base["results"] if c["engine"] == "threads")["stats"]["wall_s"]["median"]
def slowdown(kind, pct, i):
    d = f"{out}/{'aa' if kind == 'aa' else 'slow' + pct}-{i}/report.json"
    if not os.path.exists(d):
        return float("nan")
    c = next(c for c in json.load(open(d))["results"] if c["engine"] == "threads")
    return c["stats"]["wall_s"]["median"] / bwall - 1
print("| case | gates | threads slower than the baseline (median of the reruns) | pass | REGRESSED | inconclusive |")
print("|---|---:|---:|---:|---:|---:|")
for kind, pct in [("aa", "0")] + [("slow", p) for p in ("10", "25", "50")]:
    g = [x for x in rows if x[0] == kind and x[1] == pct]
    n = {k: sum(1 for x in g if x[3] == k) for k in ("0", "1", "3")}
    label = "A/A (unchanged)" if kind == "aa" else f"threads slowed, target {pct} % (--item-delay-us {g[0][4]})"
    sl = statistics.median([slowdown(kind, pct, x[2]) for x in g]) * 100
    print(f"| {label} | {len(g)} | {sl:+.1f} % | {n['0']} | {n['1']} | {n['3']} |")
print()
print("every check within its target" if ok_all else "SOME CHECK MISSED ITS TARGET (marked **no**)")
PY
echo "agreement: ended at load average $(cut -d' ' -f1-3 /proc/loadavg); written to $OUT/agreement.md"
