#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `gnxbench predict` on a committed run (null workload, 40 items, every
# engine): the model and the tuner are deterministic given the report's
# profile and machine constants, so the table is fixed; predict.json, the
# scaling chart and the errors.
. "$(dirname "$0")/lib.sh"

DATA="$GNX_SRC/tests/data/predict-null-40"

# the committed run in ./run (report.json only: predict needs nothing else)
copy_run() {
  mkdir -p run && cp "$DATA/report.json" run/
}

quick_predict_fixed_table() {
  copy_run
  run_gnx predict run --cores 1,2,4 --what-if s1=0.5
  [ "$RC" -eq 0 ] || fail "predict: exit $RC: $(cat "$ERR")"
  diff -u "$DATA/expected.txt" "$OUT" || fail "the table differs from tests/data/predict-null-40/expected.txt"
}

quick_predict_json_and_chart() {
  copy_run
  run_gnx predict run --cores 1,2,4
  [ "$RC" -eq 0 ] || fail "predict: exit $RC: $(cat "$ERR")"
  # 5 engines x 3 core counts; speedup = serial's wall / the row's wall
  [ "$(json_get run/predict.json "len(r['rows'])")" = 15 ] || fail "rows: $(cat run/predict.json)"
  json_get run/predict.json "[(x['engine'], x['cores']) for x in r['rows'] if abs(x['speedup'] - [y for y in r['rows'] if y['engine'] == 'serial' and y['cores'] == x['cores']][0]['wall_s'] / x['wall_s']) > 1e-9]" |
    grep -qx '\[\]' || fail "a speedup is not serial's wall over the row's"
  # more cores never predicted slower for procpool (items run anywhere)
  json_get run/predict.json "[x['wall_s'] for x in r['rows'] if x['engine'] == 'procpool']" |
    $PY -c "import sys, ast; w = ast.literal_eval(sys.stdin.read()); sys.exit(0 if w == sorted(w, reverse=True) else 1)" ||
    fail "procpool's predicted walls do not fall with cores"
  for x in dat gp png svg; do [ -s "run/scaling-null-40.$x" ] || fail "scaling-null-40.$x missing"; done
  file run/scaling-null-40.png | grep -q "PNG image data" || fail "$(file run/scaling-null-40.png)"
  [ "$(stat -c %s run/scaling-null-40.png)" -gt 5120 ] || fail "the scaling chart is nearly empty"
}

quick_predict_set_fixes_an_option() {
  copy_run
  run_gnx predict run --cores 2 --set workers=1
  [ "$RC" -eq 0 ] || fail "predict --set: exit $RC: $(cat "$ERR")"
  grep -qE '^null +40 procpool +2 .*workers=1 ' "$OUT" || fail "workers=1 not kept: $(cat "$OUT")"
}

quick_predict_bad_input() {
  copy_run
  expect_usage_error "^gnxbench: predict: --cores '0': give up to 16 counts of 1\.\.4096" \
    predict run --cores 0
  expect_usage_error "^gnxbench: predict: null n=40: --what-if 'bogus=2': use STAGE=FACTOR,\.\.\. with STAGE one of gen, s1, s2, s3, sink" \
    predict run --what-if bogus=2
  expect_usage_error "^gnxbench: predict: --set 'bogus=3': give OPTION=VALUE" \
    predict run --set bogus=3
  expect_usage_error "^gnxbench: nowhere: no report.json there" predict nowhere
  [ ! -e run/predict.json ] || fail "a refused predict wrote predict.json"
}

run_case "$1"
