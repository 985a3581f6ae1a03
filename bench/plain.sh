#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gnxbench's engines against the plain comparators of bench/plain/ (issue
# 18; docs/benchmarks.md, "Plain comparators"): both workloads written the
# way one would without gnxbench, as OpenMP loops and a TBB pipeline.
#
#   bench/plain.sh [ROUNDS] [OUT]     (default 7 rounds; OUT default $OUT,
#                                      else results/plain-<date>)
#   environment: SIZES (default "25k 50k 100k"), THREADS for the plain
#   parallel programs (default nproc), ENGINES (default all), WARMUP
#   (default 1), WORKLOADS (default "etl gnn"), BUILD (default build/dev)
#
# Each round runs, for every workload and size, one gnxbench run of every
# engine (--reps 1) and each plain program once, all in a shuffled order, so
# that drift and other load hit every implementation alike. Both sides
# build their inputs untimed, run WARMUP unmeasured runs, then one measured
# run; the time compared is gnxbench's per-run wall (report.json
# results[].reps[].wall_s: from the start barrier to the last item at the
# sink, so worker start-up is not in it) against the plain program's own
# clock around its run. Medians over the rounds. Every result is checked
# against gnxbench serial's: ETL's whole summary (checksums, histogram,
# categories, output bytes), GNN's output hash (bit-identical OUT) and graph.
#
# Writes OUT/plain.tsv (every measured run), OUT/plain.md (the tables
# printed) and OUT/gnx/ (the report.json of each gnxbench run).
# Exit status: 0 every result equal, 1 a result differed or a run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}
OUT=${2:-${OUT:-results/plain-$(date -u +%Y%m%d-%H%M%S)}}
SIZES=${SIZES:-25k 50k 100k}
THREADS=${THREADS:-$(nproc)}
ENGINES=${ENGINES:-all}
WARMUP=${WARMUP:-1}
WORKLOADS=${WORKLOADS:-etl gnn}
BUILD=${BUILD:-build/dev}
GNX=$BUILD/gnxbench
PLAIN=$BUILD/bench/plain
PY=/usr/bin/python3

[ -f "$BUILD/CMakeCache.txt" ] || cmake --preset dev >/dev/null
cmake --build "$BUILD" --target gnxbench plain -j "$(nproc)" >/dev/null
mkdir -p "$OUT/gnx"
TSV=$OUT/plain.tsv
printf 'round\tseq\tworkload\tsize\timpl\tthreads\tms\tresult\n' >"$TSV"
status=0

# size_n 25k -> 25000 (gnxbench's suffixes)
size_n() {
  case $1 in
    *k) echo $((${1%k} * 1000)) ;;
    *m) echo $((${1%m} * 1000000)) ;;
    *) echo "$1" ;;
  esac
}

# Rows of plain.tsv from one gnxbench report (one per engine) or one plain
# program's JSON line: the compared part of the summary goes in `result`.
collect() { # KIND(gnx|plain) FILE ROUND SEQ
  "$PY" - "$@" >>"$TSV" <<'EOF'
import json, sys
kind, path, rnd, seq = sys.argv[1:5]
KEYS = {"gnn": ["nodes", "undirected_edges", "adjacency_entries", "max_degree", "out_hash"]}
def result(w, s):
    keys = KEYS.get(w)
    s = {k: s[k] for k in keys} if keys else s
    return json.dumps(s, sort_keys=True, separators=(",", ":"))
if kind == "gnx":
    r = json.load(open(path))
    for c in r["results"]:
        ok = c["status"] == "ok" and c["reps"] and c["reps"][0]["ok"]
        ms = "%.4f" % (c["reps"][0]["wall_s"] * 1e3) if ok else "nan"
        res = result(c["workload"], c["summary"]) if ok and c.get("summary") else "failed"
        print("\t".join([rnd, seq, c["workload"], str(c["size"]), "gnxbench-" + c["engine"],
                         "auto", ms, res]))
else:
    for line in open(path):
        j = json.loads(line)
        print("\t".join([rnd, seq, j["workload"], str(j["n"]), "plain-" + j["impl"],
                         str(j["threads"]), "%.4f" % j["ms"][0], result(j["workload"], j["summary"])]))
EOF
}

started="$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1 /proc/loadavg)"
echo "plain: $ROUNDS rounds, sizes $SIZES, plain threads $THREADS, warm-up $WARMUP; started $started"
for r in $(seq 1 "$ROUNDS"); do
  jobs=()
  for w in $WORKLOADS; do
    for s in $SIZES; do
      jobs+=("$w $s gnx")
      for p in "$PLAIN/plain-$w-"*; do
        [ -x "$p" ] && jobs+=("$w $s ${p##*/plain-$w-}")
      done
    done
  done
  seq_no=0
  while read -r w s impl; do
    seq_no=$((seq_no + 1))
    n=$(size_n "$s")
    if [ "$impl" = gnx ]; then
      dir=$OUT/gnx/$w-$n-r$r
      rc=0
      "$GNX" run --engines "$ENGINES" --workloads "$w" --sizes "$n" --reps 1 --warmup "$WARMUP" \
        --time-budget 0 --quiet --out "$dir" >/dev/null 2>"$OUT/gnx/$w-$n-r$r.err" || rc=$?
      if [ ! -f "$dir/report.json" ]; then
        echo "plain: gnxbench $w $n (round $r) failed (rc $rc): $(tail -1 "$OUT/gnx/$w-$n-r$r.err")" >&2
        status=1
        continue
      fi
      [ "$rc" -eq 0 ] || { echo "plain: gnxbench $w $n (round $r) exited $rc" >&2; status=1; }
      [ -s "$OUT/gnx/$w-$n-r$r.err" ] || rm -f "$OUT/gnx/$w-$n-r$r.err"
      collect gnx "$dir/report.json" "$r" "$seq_no"
      # only the report is needed; the charts and traces of 42 runs are not
      find "$dir" -type f ! -name report.json -delete
    else
      threads=$THREADS
      [ "$impl" = serial ] && threads=1
      line=$OUT/last.json
      if ! "$PLAIN/plain-$w-$impl" --threads "$threads" --warmup "$WARMUP" --reps 1 "$n" >"$line"; then
        echo "plain: plain-$w-$impl $n (round $r) failed" >&2
        status=1
        continue
      fi
      collect plain "$line" "$r" "$seq_no"
    fi
  done < <(printf '%s\n' "${jobs[@]}" | shuf)
  echo "plain: round $r of $ROUNDS done (load $(cut -d' ' -f1-3 /proc/loadavg))"
done
rm -f "$OUT/last.json"

"$PY" - "$TSV" "$THREADS" "$started" "$(cut -d' ' -f1 /proc/loadavg)" <<'EOF' | tee "$OUT/plain.md" || status=1
import csv, math, statistics, sys
tsv, threads, started, load = sys.argv[1:5]
print("bench/plain.sh: started %s, ended at load average %s" % (started, load))
print()
rows = list(csv.DictReader(open(tsv), delimiter="\t"))
cells = {}
for r in rows:
    cells.setdefault((r["workload"], int(r["size"]), r["impl"]), []).append(r)
sizes = sorted({int(r["size"]) for r in rows})
works = [w for w in ("etl", "gnn") if any(r["workload"] == w for r in rows)]

def med(w, n, impl):
    v = [float(r["ms"]) for r in cells.get((w, n, impl), []) if r["ms"] != "nan"]
    return statistics.median(v) if v else None

def low(w, n, impl):
    v = [float(r["ms"]) for r in cells.get((w, n, impl), []) if r["ms"] != "nan"]
    return min(v) if v else None

def by_round(w, n, impl):
    return {r["round"]: float(r["ms"]) for r in cells.get((w, n, impl), []) if r["ms"] != "nan"}

def paired(w, n, num, den):
    # the ratio num / den in each round both ran, its median, and the
    # narrowest order-statistics interval covering the median at >= 95 %
    # (docs/statistics.md; [min, max] of 7 rounds covers 98.4 %)
    a, b = by_round(w, n, num), by_round(w, n, den)
    q = sorted(a[k] / b[k] for k in a if k in b and b[k] > 0)
    m = len(q)
    if m == 0:
        return None
    cov = lambda j: 1 - 2 * sum(math.comb(m, i) for i in range(j)) / 2 ** m
    j = 0
    while j + 1 <= (m - 1) // 2 and cov(j + 1) >= 0.95:
        j += 1
    return statistics.median(q), q[j], q[m - 1 - j], cov(j)

def label(n):
    return "%gk" % (n / 1000) if n % 1000 == 0 else str(n)

def fmt(x):
    return "%.1f" % x if x is not None else "-"

# Equality: every run's result equals gnxbench serial's of the same cell.
bad = []
for (w, n, impl), rs in sorted(cells.items()):
    ref = {r["result"] for r in cells.get((w, n, "gnxbench-serial"), []) if r["result"] != "failed"}
    if len(ref) != 1:
        bad.append("%s %s: gnxbench serial gave %d distinct results" % (w, label(n), len(ref)))
        continue
    for r in rs:
        if r["result"] not in ref:
            bad.append("%s %s %s round %s: result differs from gnxbench serial's" %
                       (w, label(n), impl, r["round"]))

TARGET = {"etl": lambda n: 1.0, "gnn": lambda n: 0.9 if n < 50000 else 0.95}
print("| median ms (%d rounds) | %s |" % (max(int(r["round"]) for r in rows),
                                          " | ".join(label(n) for n in sizes)))
print("|---|" + "---:|" * len(sizes))
ratios = []
for w in works:
    impls = sorted({i for (ww, _, i) in cells if ww == w})
    gnx = [i for i in impls if i.startswith("gnxbench-")]
    plain = [i for i in impls if i.startswith("plain-")]
    order = ["gnxbench-serial"] + [i for i in gnx if i != "gnxbench-serial"] + \
            [i for i in ("plain-serial", "plain-omp", "plain-tbb") if i in plain]
    for i in order:
        what = i.replace("gnxbench-", "gnxbench ").replace("plain-serial", "plain, 1 thread") \
                .replace("plain-omp", "plain OpenMP, %s threads" % threads) \
                .replace("plain-tbb", "plain TBB pipeline, %s threads" % threads)
        print("| %s %s | %s |" % (w.upper(), what, " | ".join(fmt(med(w, n, i)) for n in sizes)))
    for n in sizes:
        g = [(med(w, n, i), i) for i in gnx if med(w, n, i) is not None]
        p = [(med(w, n, i), i) for i in plain if med(w, n, i) is not None]
        if g and p:
            (gt, gi), (pt, pi) = min(g), min(p)
            lo = min(low(w, n, i) for i in plain) / min(low(w, n, i) for i in gnx)
            ratios.append((w, n, gi, gt, pi, pt, pt / gt, TARGET[w](n), lo, paired(w, n, pi, gi)))
print()
print("ratio = best plain median / best gnxbench median (1.0x: as fast; higher: gnxbench faster);")
print("of minima: the same on each implementation's fastest round (less hit by other load);")
print("round by round: the median of the two's ratio in each round, with its interval (coverage);")
print("missed: below the target, shown when the whole interval is (else the rounds cannot tell)")
print()
print("| workload | size | best gnxbench | best plain | ratio | target | | ratio of minima | round by round |")
print("|---|---:|---|---|---:|---:|---|---:|---|")
for w, n, gi, gt, pi, pt, q, t, lo, pr in ratios:
    verdict = "met" if q >= t else "missed" + (", shown" if pr and pr[2] < t else ", not shown")
    rr = "%.2fx [%.2f, %.2f] (%.1f %%)" % (pr[0], pr[1], pr[2], 100 * pr[3]) if pr else "-"
    print("| %s | %s | %s %.1f ms | %s %.1f ms | %.2fx | %.2fx | %s | %.2fx | %s |" %
          (w, label(n), gi[len("gnxbench-"):], gt, pi[len("plain-"):], pt, q, t, verdict, lo, rr))
print()
if bad:
    print("results: %d differ from gnxbench serial's:" % len(bad))
    for b in bad:
        print("  " + b)
    sys.exit(1)
print("results: all %d measured runs equal gnxbench serial's (ETL summary, GNN output hash)" % len(rows))
EOF
echo "plain: load after: $(cut -d' ' -f1-3 /proc/loadavg); raw figures in $TSV"
exit "$status"
