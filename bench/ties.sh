#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ties left for the user: the main job with a fixed 3 repetitions
# (--time-budget 0, the old default) against the default adaptive
# repetitions, alternated ROUNDS times (default 3) so drift hits both.
# Prints per run the wall time and how the six recommendations ended:
# separated, equivalent within 5 %, or a tie (docs/statistics.md).
#   bench/ties.sh [ROUNDS] [OUT]
#   environment: FIXED_REPS (default 3), the fixed mode's repetitions: set
#   it so that the fixed runs take as long as the adaptive ones to compare
#   the two rules at equal cost
set -euo pipefail
cd "$(dirname "$0")/.."
GNX=${GNX:-build/dev/gnxbench}
[ -x "$GNX" ] || { echo "ties: $GNX not built; run make build" >&2; exit 2; }
ROUNDS=${1:-3}
OUT=${2:-results/ties-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
count() { # SUMMARY: "ties equivalent separated"
  local t e n
  t=$(grep -c '^- \*\*.*(a tie)\.\*\*' "$1" || true)
  e=$(grep -c '^- \*\*.*(equivalent within 5 %)\.\*\*' "$1" || true)
  n=$(grep -c '^- \*\*[a-z]*, n=[0-9]*: ' "$1" || true)
  echo "$t $e $((n - t - e))"
}
printf '| run | mode | wall | ties | equivalent | separated |\n|---:|---|---:|---:|---:|---:|\n' |
  tee "$OUT/ties.md"
for r in $(seq 1 "$ROUNDS"); do
  for mode in fixed adaptive; do
    opts=()
    [ "$mode" = fixed ] && opts=(--time-budget 0 --reps "${FIXED_REPS:-3}")
    t0=$(date +%s.%N)
    "$GNX" --engines all --sizes 25k,50k,100k "${opts[@]}" --quiet --out "$OUT/$mode-$r" >/dev/null
    t1=$(date +%s.%N)
    read -r ties eq sep < <(count "$OUT/$mode-$r/summary.md")
    printf '| %d | %s | %.1f s | %d | %d | %d |\n' "$r" "$mode" "$(awk "BEGIN { print $t1 - $t0 }")" \
      "$ties" "$eq" "$sep" | tee -a "$OUT/ties.md"
  done
done
echo "ties: written to $OUT/ties.md"
