#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What tracing costs: the same runs with --trace on and off, interleaved
# (on, off, on, off, ...) so that drift hits both alike, on the null
# workload (no work: the harness's cost alone) and on ETL 100k. Prints per
# engine the median walls and the overhead (on - off) / off, beside the
# per-span cost measured at start-up (context.machine.span_ns). Targets
# (issue 15): at most 1 % of wall on ETL, at most 50 ns per span.
#   bench/tracer-overhead.sh [ROUNDS] [OUT]   (default 7 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
GNX=${GNX:-build/dev/gnxbench}
[ -x "$GNX" ] || { echo "tracer-overhead: $GNX not built; run make build" >&2; exit 2; }
ROUNDS=${1:-7}
OUT=${2:-results/tracer-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
cases=("null|--workloads null --sizes 20000 --batch 10" "etl|--workloads etl --sizes 100k")
for r in $(seq 1 "$ROUNDS"); do
  for c in "${cases[@]}"; do
    name=${c%%|*} opts=${c#*|}
    for t in on off; do
      # shellcheck disable=SC2086 # the options are meant to be split
      "$GNX" run --engines all --reps 1 --warmup 1 --quiet --trace "$t" \
        --out "$OUT/$name-$t-$r" $opts >/dev/null
    done
  done
  echo "tracer-overhead: round $r of $ROUNDS"
done
/usr/bin/python3 - "$OUT" "$ROUNDS" <<'PY' | tee "$OUT/tracer.md"
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
print("| workload | engine | median wall, trace on | trace off | overhead | spans per run | per span (start-up) |")
print("|---|---|---:|---:|---:|---:|---:|")
for name in ("null", "etl"):
    walls, spans, span_ns = {}, {}, []
    for r in range(1, rounds + 1):
        for t in ("on", "off"):
            rep = json.load(open(f"{out}/{name}-{t}-{r}/report.json"))
            span_ns.append(rep["context"]["machine"]["span_ns"])
            for c in rep["results"]:
                w = c["stats"]["wall_s"]
                if w:
                    walls.setdefault((c["engine"], t), []).append(w["median"])
                if t == "on" and c["reps"]:
                    spans.setdefault(c["engine"], []).append(sum(x["spans"] for x in c["reps"][0]["workers"]))
    for eng in sorted({e for e, _ in walls}):
        on, off = statistics.median(walls[(eng, "on")]), statistics.median(walls[(eng, "off")])
        print(f"| {name} | {eng} | {on*1e3:.2f} ms | {off*1e3:.2f} ms | {(on-off)/off*100:+.2f} % | "
              f"{statistics.median(spans.get(eng, [0])):.0f} | {statistics.median(span_ns):.1f} ns |")
print("\nserial always traces (its trace is the profile), so its row is the noise between the two sets of runs.")
PY
