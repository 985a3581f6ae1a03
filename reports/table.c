/* SPDX-License-Identifier: MIT */
/* reports/table.c: the console table, derived from the report object.
 * Efficiency, bottleneck and waiting come from the analysis of report.json
 * alone (no traces), the same figures summary.md shows. */
#include <math.h>
#include <string.h>

#include "reports/analysis.h"
#include "reports/report.h"

static double gnx__num(const json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

static void gnx__fmt_time(char *buf, size_t len, double s) {
  if (isnan(s)) {
    snprintf(buf, len, "-");
  } else if (s >= 1) {
    snprintf(buf, len, "%.3f s", s);
  } else {
    snprintf(buf, len, "%.1f ms", s * 1e3);
  }
}

void gnx_table_print(FILE *f, const json_t *report, const char *workload, uint64_t size) {
  struct gnx_analysis a;
  char awhy[256];
  int have_an = gnx_analysis_build(report, NULL, NULL, NULL, &a, awhy, sizeof awhy) == 0;
  int header = 0;
  double level = 1;
  long long n = 0;
  for (size_t i = 0; have_an && i < a.n; i++) {
    const struct gnx_cell_an *an = &a.cells[i];
    const json_t *cell = an->cell;
    if (strcmp(an->workload, workload) != 0 || an->size != size) {
      continue;
    }
    if (!header) {
      fprintf(f, "\n%s, n=%llu (%lld items)\n", workload, (unsigned long long)size,
              (long long)json_integer_value(json_object_get(cell, "items")));
      fprintf(f, "  %-10s %12s  %-23s %8s  %-13s %5s  %-10s %7s  %s\n", "engine", "median wall",
              "interval", "speedup", "interval", "eff.", "bottleneck", "waiting", "verified");
      header = 1;
    }
    const char *engine = json_string_value(json_object_get(cell, "engine"));
    const char *status = json_string_value(json_object_get(cell, "status"));
    json_t *wall = json_object_get(json_object_get(cell, "stats"), "wall_s");
    json_t *sp = json_object_get(json_object_get(cell, "stats"), "speedup");
    char med[32], lo[32], hi[32], ci[80] = "-", spd[32] = "-", spci[80] = "-", eff[16], wt[16];
    gnx_fmt_pct(eff, sizeof eff, an->efficiency);
    gnx_fmt_pct(wt, sizeof wt, an->wait_share);
    gnx__fmt_time(med, sizeof med, gnx__num(wall, "median"));
    if (wall) {
      level = fmin(level, gnx__num(wall, "level"));
      n = json_integer_value(json_object_get(wall, "n"));
      gnx__fmt_time(lo, sizeof lo, gnx__num(wall, "lo"));
      gnx__fmt_time(hi, sizeof hi, gnx__num(wall, "hi"));
      snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
    }
    if (sp && !isnan(gnx__num(sp, "median"))) {
      snprintf(spd, sizeof spd, "%.2fx", gnx__num(sp, "median"));
      snprintf(spci, sizeof spci, "[%.2f, %.2f]", gnx__num(sp, "lo"), gnx__num(sp, "hi"));
    }
    const char *verified = json_is_true(json_object_get(cell, "verified")) ? "yes" : "NO";
    if (status && strcmp(status, "ok") != 0) {
      verified = status;
    }
    fprintf(f, "  %-10s %12s  %-23s %8s  %-13s %5s  %-10s %7s  %s\n", engine, med, ci, spd, spci,
            eff, an->bottleneck >= 0 ? an->stages[an->bottleneck].name : "-", wt, verified);
    json_t *err = json_object_get(cell, "error");
    if (json_is_string(err)) {
      fprintf(f, "  %-10s   %s\n", "", json_string_value(err));
    }
    json_t *warns = json_object_get(cell, "warnings");
    for (size_t k = 0; k < json_array_size(warns); k++) {
      fprintf(f, "  %-10s   warning: %s\n", "", json_string_value(json_array_get(warns, k)));
    }
  }
  if (have_an) {
    gnx_analysis_free(&a);
  }
  /* Say what the interval is worth: with few repetitions even [min, max]
   * covers the median with less than 95 % probability. */
  if (header && level < 0.95) {
    fprintf(f, "  intervals: [min, max] of %lld repetitions, covering the median with %.0f %% "
               "probability; use --reps 6 or more for 95 %%\n", n, level * 100);
  } else if (header) {
    fprintf(f, "  intervals: 95 %% confidence intervals of the median (order statistics)\n");
  }
}
