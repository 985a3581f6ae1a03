# SPDX-License-Identifier: MIT
# The plain comparators of bench/plain/ (bench/plain.sh) compute what
# gnxbench serial computes: ETL's whole summary and output file, GNN's
# output bit for bit. Correctness only: bench/plain.sh does the timing.
. "$(dirname "$0")/lib.sh"

GNX_BUILD=${GNX_BUILD:?}
PLAIN=$GNX_BUILD/bench/plain

# plain_keys: the part of a summary (s) that is compared
# (GNN: the graph and the output hash; ETL: all of it).
plain_keys='{k: s[k] for k in ("nodes","undirected_edges","adjacency_entries","max_degree","out_hash")} if "out_hash" in s else s'

slow_plain_comparators_equal_serial() {
  cmake --build "$GNX_BUILD" --target plain >"$WORK/build.log" 2>&1 ||
    fail "cmake --build --target plain failed: $(tail -5 "$WORK/build.log")"
  local p missing=""
  for p in etl-serial etl-omp etl-tbb gnn-serial gnn-omp; do
    [ -x "$PLAIN/plain-$p" ] || missing="$missing plain-$p"
  done
  # OpenMP, TBB (libtbb-dev, g++) or OpenBLAS absent: see bench/plain/CMakeLists.txt
  [ -z "$missing" ] || skip "not built here (OpenMP, TBB or OpenBLAS missing):$missing"

  # the spec's known answers (spec/etl.md, spec/gnn.md)
  mkdir -p "$WORK/known"
  "$PLAIN/plain-etl-serial" --work 64 --warmup 0 --save-output "$WORK/known" 1000 >"$WORK/known.json" ||
    fail "plain-etl-serial failed"
  grep -q '"checksum": "df95bc4d2e1a0da9"' "$WORK/known.json" ||
    fail "plain-etl-serial n=1000 --work 64: not the spec's checksum: $(cat "$WORK/known.json")"
  [ "$(head -1 "$WORK/known/etl-1000.csv")" = "0,home,7638.58,9,b6cb888d7c6959c6" ] ||
    fail "plain-etl-serial: first load line $(head -1 "$WORK/known/etl-1000.csv")"
  "$PLAIN/plain-gnn-serial" --warmup 0 1000 >"$WORK/known.json" || fail "plain-gnn-serial failed"
  grep -q '"undirected_edges": 7018, "adjacency_entries": 14036, "max_degree": 393' "$WORK/known.json" ||
    fail "plain-gnn-serial n=1000: not the spec's graph: $(cat "$WORK/known.json")"

  # gnxbench serial at a size with short last items (6 ETL batches, 3 GNN subgraphs)
  local n=5001
  mkdir -p "$WORK/gnx-out"
  run_gnx run --engines serial --workloads etl,gnn --sizes $n --reps 1 --warmup 0 \
    --time-budget 0 --quiet --out "$WORK/gnx" --save-output "$WORK/gnx-out"
  [ "$RC" -eq 0 ] || fail "gnxbench serial exited $RC: $(tail -3 "$ERR")"
  local w impl want got
  for w in etl gnn; do
    want=$(json_get "$WORK/gnx/report.json" \
      "json.dumps((lambda s: $plain_keys)([c for c in r['results'] if c['workload'] == '$w'][0]['summary']), sort_keys=True)")
    for impl in serial omp tbb; do
      [ -x "$PLAIN/plain-$w-$impl" ] || continue
      local threads=3 # more threads than cores: items land unevenly
      [ "$impl" = serial ] && threads=1
      mkdir -p "$WORK/$w-$impl"
      "$PLAIN/plain-$w-$impl" --threads $threads --save-output "$WORK/$w-$impl" $n >"$WORK/$w-$impl.json" ||
        fail "plain-$w-$impl failed"
      got=$(json_get "$WORK/$w-$impl.json" \
        "json.dumps((lambda s: $plain_keys)(r['summary']), sort_keys=True)")
      [ "$got" = "$want" ] || fail "plain-$w-$impl n=$n: $got, gnxbench serial: $want"
    done
  done
  # the output files: ETL's load text byte for byte, GNN's OUT after the .npy header
  for impl in serial omp tbb; do
    cmp -s "$WORK/gnx-out/etl-$n.csv" "$WORK/etl-$impl/etl-$n.csv" ||
      fail "plain-etl-$impl: etl-$n.csv differs from gnxbench serial's"
  done
  local bytes=$((n * 16 * 4))
  for impl in serial omp; do
    cmp -s <(tail -c $bytes "$WORK/gnx-out/gnn-$n.npy") <(tail -c $bytes "$WORK/gnn-$impl/gnn-$n.npy") ||
      fail "plain-gnn-$impl: OUT differs from gnxbench serial's"
  done
}

run_case "$1"
