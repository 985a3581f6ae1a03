/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz-report.c: report.json and gate baselines. The loader
 * either refuses the text with one line, or every reader (the tables, the
 * recommendation, the analysis and its CSV and summary.md, the gate's
 * baseline check and judgement) takes it without a crash. */
#include "fuzz.h"
#include "reports/analysis.h"
#include "reports/gate.h"
#include "reports/report.h"
#include "reports/schema.h"

static char gnx__dir[64];

static void gnx__cleanup(void) {
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", gnx__dir);
  (void)system(cmd);
}

/* Where the summary and CSV go, made once per process. */
static const char *gnx__outdir(void) {
  if (!gnx__dir[0]) {
    snprintf(gnx__dir, sizeof gnx__dir, "/tmp/gnx-fuzz-report.XXXXXX");
    if (!mkdtemp(gnx__dir)) {
      abort();
    }
    atexit(gnx__cleanup);
  }
  return gnx__dir;
}

static void gnx__readers(const json_t *r, FILE *sink) {
  char why[512];
  const json_t *res = json_object_get(r, GNX_F_RESULTS);
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *c = json_array_get(res, i);
    gnx_table_print(sink, r, json_string_value(json_object_get(c, GNX_F_WORKLOAD)),
                    (uint64_t)json_integer_value(json_object_get(c, GNX_F_SIZE)));
  }
  (void)gnx_recommend_print(sink, r, why, sizeof why);
  struct gnx_analysis a;
  if (gnx_analysis_build(r, NULL, NULL, NULL, &a, why, sizeof why) == 0) {
    (void)gnx_csv_write(&a, gnx__outdir(), why, sizeof why);
    (void)gnx_summary_write(&a, gnx__outdir(), NULL, why, sizeof why);
    gnx_analysis_free(&a);
  }
  (void)gnx_gate_check_baseline(r, why, sizeof why);
  struct gnx_gate_opts o = {.max_drop = 0.1, .max_width = 0.5, .busy = 0, .max_busy = 0.25};
  struct gnx_gate_result g;
  if (gnx_gate_judge(r, r, &o, &g) == 0) {
    gnx_gate_print(sink, &g, &o);
    gnx_gate_result_free(&g);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  if (!sink && !(sink = fopen("/dev/null", "w"))) {
    abort();
  }
  char why[1024] = "";
  json_t *r = gnx_report_parse((const char *)data, size, "fuzz.json", why, sizeof why);
  if (!r) {
    GNX_FUZZ_ASSERT(why[0] && !strchr(why, '\n'));
    return 0;
  }
  gnx__readers(r, sink);
  json_decref(r);
  return 0;
}
