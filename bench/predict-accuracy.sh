#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How good the engines' models are: prediction error over a matrix of
# workloads and cost profiles, every engine (docs/benchmarks.md).
#   (a) each cell predicted at the run's own CPUs, against its measurement;
#   (b) 2 CPUs predicted from a run confined to one (taskset -c 0), against (a);
#   (c) a what-if, transform 2x cheaper, predicted from (a) and then measured.
# Error = (measured - predicted) / measured. Targets (issue 11): (a) median
# |error| <= 10 %, none above 20 %; (b) and (c) median <= 15 %.
# Run it on a machine doing nothing else.
#   bench/predict-accuracy.sh [OUT]   (default results/accuracy-<time>)
set -euo pipefail
cd "$(dirname "$0")/.."
GNX=${GNX:-build/dev/gnxbench}
[ -x "$GNX" ] || { echo "predict-accuracy: $GNX not built; run make build" >&2; exit 2; }
command -v taskset >/dev/null || { echo "predict-accuracy: taskset (util-linux) is missing" >&2; exit 2; }
OUT=${1:-results/accuracy-$(date -u +%Y%m%d-%H%M%S)}
REPS=${REPS:-5}
mkdir -p "$OUT"

# name | run options
matrix=(
  "null-balanced|--workloads null --sizes 400 --cost gen=200,s1=200,s2=200,s3=200"
  "null-heavy|--workloads null --sizes 400 --cost gen=50,s1=50,s2=800,s3=50"
  "null-slow-sink|--workloads null --sizes 400 --cost gen=100,s1=100,s2=100,s3=100,sink=300"
  "null-uneven|--workloads null --sizes 400 --cost s1=600,s2=100 --skew 90"
  "etl|--workloads etl --sizes 25k,100k"
  "gnn|--workloads gnn --sizes 25k,100k"
)

run() { # DIR OPTIONS...
  local dir=$1
  shift
  # shellcheck disable=SC2068 # the options are meant to be split
  "$GNX" run --engines all --reps "$REPS" --warmup 1 --quiet --out "$dir" $@ >/dev/null ||
    { echo "predict-accuracy: the run into $dir failed" >&2; exit 1; }
}

for m in "${matrix[@]}"; do
  name=${m%%|*} opts=${m#*|}
  echo "predict-accuracy: $name: at 2 CPUs, then on CPU 0 alone"
  run "$OUT/a-$name" $opts
  taskset -c 0 "$GNX" run --engines all --reps "$REPS" --warmup 1 --quiet \
    --out "$OUT/b-$name" $opts >/dev/null
  "$GNX" predict "$OUT/b-$name" --cores 2 --quiet
done
echo "predict-accuracy: etl, transform 2x cheaper: predicted, then measured"
"$GNX" predict "$OUT/a-etl" --cores 2 --what-if transform=0.5 --quiet
cp "$OUT/a-etl/predict.json" "$OUT/c-predicted.json"
run "$OUT/c-etl" --workloads etl --sizes 25k,100k --stage-scale transform=0.5

/usr/bin/python3 - "$OUT" <<'PY' | tee "$OUT/accuracy.md"
import json, os, statistics, sys
out = sys.argv[1]
def load(p):
    return json.load(open(p))
def measured(report):
    return {(c["workload"], c["size"], c["engine"]): c["stats"]["wall_s"]["median"]
            for c in report["results"] if c.get("stats", {}).get("wall_s")}
def summary(title, rows, target_med, target_max=None):
    errs = [abs(e) for *_, e in rows]
    if not errs:
        print(f"\n{title}: no rows"); return
    med = statistics.median(errs); worst = max(rows, key=lambda r: abs(r[-1]))
    ok = med <= target_med and (target_max is None or abs(worst[-1]) <= target_max)
    print(f"\n### {title}\n")
    print(f"{len(rows)} cells; median |error| {med*100:.1f} %, worst {worst[-1]*100:+.1f} % "
          f"({worst[0]} {worst[1]} {worst[2]} {worst[3]}); target median <= {target_med*100:.0f} %"
          + (f", none above {target_max*100:.0f} %" if target_max else "") + (": met" if ok else ": MISSED"))
    print("\n| matrix | workload | size | engine | measured | predicted | error |\n|---|---|---:|---|---:|---:|---:|")
    for name, wl, size, eng, meas, pred, e in rows:
        print(f"| {name} | {wl} | {size} | {eng} | {meas*1e3:.1f} ms | {pred*1e3:.1f} ms | {e*100:+.1f} % |")
a_rows, b_rows, c_rows = [], [], []
for d in sorted(os.listdir(out)):
    if d.startswith("a-"):
        name = d[2:]
        rep = load(f"{out}/{d}/report.json")
        meas = measured(rep)
        for c in rep["results"]:
            p = c.get("prediction")
            # serial is left out: its prediction is its own profile
            if p and p.get("error") is not None and c["engine"] != "serial":
                a_rows.append((name, c["workload"], c["size"], c["engine"],
                               c["stats"]["wall_s"]["median"], p["wall_s"], p["error"]))
        bp = f"{out}/b-{name}/predict.json"
        if os.path.exists(bp):
            for r in load(bp)["rows"]:
                k = (r["workload"], r["size"], r["engine"])
                if r["cores"] == 2 and k in meas and meas[k] > 0 and k[2] != "serial":
                    b_rows.append((name,) + k + (meas[k], r["wall_s"], (meas[k] - r["wall_s"]) / meas[k]))
cm = measured(load(f"{out}/c-etl/report.json"))
for r in load(f"{out}/c-predicted.json")["rows"]:
    k = (r["workload"], r["size"], r["engine"])
    if r["cores"] == 2 and k in cm and cm[k] > 0 and k[2] != "serial":
        c_rows.append(("etl transform=0.5",) + k + (cm[k], r["wall_s"], (cm[k] - r["wall_s"]) / cm[k]))
print("## Prediction error (measured - predicted) / measured\n")
summary("(a) at the run's own CPUs", a_rows, 0.10, 0.20)
summary("(b) 2 CPUs predicted from a run on one CPU", b_rows, 0.15)
summary("(c) what-if transform 2x cheaper, predicted then measured", c_rows, 0.15)
PY
echo "predict-accuracy: written to $OUT/accuracy.md"
