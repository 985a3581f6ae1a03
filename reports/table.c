/* SPDX-License-Identifier: MIT */
/* reports/table.c: the console table, derived from the report object.
 * Efficiency, bottleneck and waiting come from the analysis of report.json
 * alone (no traces), the same figures summary.md shows. */
#include <math.h>
#include <string.h>

#include "reports/analysis.h"
#include "reports/report.h"
#include "reports/schema.h"

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
              (long long)gnx_jint(cell, GNX_F_ITEMS, 0));
      fprintf(f, "  %-10s %12s  %-23s %8s  %-13s %5s  %-10s %7s  %s\n", "engine", "median wall",
              "interval", "speedup", "interval", "eff.", "bottleneck", "waiting", "verified");
      header = 1;
    }
    const char *engine = gnx_jstr(cell, GNX_F_ENGINE, NULL);
    const char *status = gnx_jstr(cell, GNX_F_STATUS, NULL);
    json_t *wall = json_object_get(json_object_get(cell, GNX_F_STATS), GNX_F_WALL_S);
    json_t *sp = json_object_get(json_object_get(cell, GNX_F_STATS), GNX_F_SPEEDUP);
    char med[32], lo[32], hi[32], ci[80] = "-", spd[32] = "-", spci[80] = "-", eff[16], wt[16];
    gnx_fmt_pct(eff, sizeof eff, an->efficiency);
    gnx_fmt_pct(wt, sizeof wt, an->wait_share);
    gnx__fmt_time(med, sizeof med, gnx_jnum(wall, GNX_F_MEDIAN, NAN));
    if (wall) {
      level = fmin(level, gnx_jnum(wall, GNX_F_LEVEL, NAN));
      n = gnx_jint(wall, GNX_F_N, 0);
      gnx__fmt_time(lo, sizeof lo, gnx_jnum(wall, GNX_F_LO, NAN));
      gnx__fmt_time(hi, sizeof hi, gnx_jnum(wall, GNX_F_HI, NAN));
      snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
    }
    if (sp && !isnan(gnx_jnum(sp, GNX_F_MEDIAN, NAN))) {
      snprintf(spd, sizeof spd, "%.2fx", gnx_jnum(sp, GNX_F_MEDIAN, NAN));
      snprintf(spci, sizeof spci, "[%.2f, %.2f]", gnx_jnum(sp, GNX_F_LO, NAN),
               gnx_jnum(sp, GNX_F_HI, NAN));
    }
    const char *verified = gnx_jbool(cell, GNX_F_VERIFIED, 0) ? "yes" : "NO";
    if (status && strcmp(status, "ok") != 0) {
      verified = status;
    }
    fprintf(f, "  %-10s %12s  %-23s %8s  %-13s %5s  %-10s %7s  %s\n", engine, med, ci, spd, spci,
            eff, an->bottleneck >= 0 ? an->stages[an->bottleneck].name : "-", wt, verified);
    json_t *err = json_object_get(cell, GNX_F_ERROR);
    if (json_is_string(err)) {
      fprintf(f, "  %-10s   %s\n", "", json_string_value(err));
    }
    json_t *warns = json_object_get(cell, GNX_F_WARNINGS);
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
