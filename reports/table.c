/* SPDX-License-Identifier: MIT */
/* reports/table.c: the console table, derived from the report object.
 * Efficiency, bottleneck and waiting come from the analysis of report.json
 * alone (no traces), the same figures summary.md shows. */
#include <math.h>
#include <string.h>

#include "core/strbuf.h"
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

/* The model's prediction of the cell and its error, "-" without one. */
static void gnx__prediction(const json_t *cell, char *pred, size_t plen, char *err, size_t elen) {
  const json_t *p = json_object_get(cell, GNX_F_PREDICTION);
  gnx__fmt_time(pred, plen, gnx_jnum(p, GNX_F_WALL_S, NAN));
  double e = gnx_jnum(p, GNX_F_ERROR, NAN);
  if (isnan(e)) {
    snprintf(err, elen, "-");
  } else {
    snprintf(err, elen, "%+.0f%%", e * 100);
  }
}

/* What the strategy costs for its speed: CPU time and peak RSS (medians). */
static void gnx__cost(const json_t *cell, char *cpu, size_t clen, char *rss, size_t rlen) {
  double c = gnx_cell_rep_median(cell, NULL, GNX_F_USER_S) +
             gnx_cell_rep_median(cell, NULL, GNX_F_SYS_S);
  double kb = gnx_cell_rep_median(cell, NULL, GNX_F_MAXRSS_KB);
  gnx__fmt_time(cpu, clen, c);
  if (isnan(kb)) {
    snprintf(rss, rlen, "-");
  } else {
    snprintf(rss, rlen, "%.1f MB", kb / 1024);
  }
}

/* Whether option `name` is in the tuning's "given" list. */
static int gnx__given(const json_t *tuning, const char *name) {
  size_t j;
  json_t *g;
  json_array_foreach(json_object_get(tuning, "given"), j, g) {
    if (json_is_string(g) && strcmp(json_string_value(g), name) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Which cells ran a configuration the model chose, and what it chose. */
static void gnx__tuned_line(FILE *f, const json_t *report, const char *workload, uint64_t size) {
  const json_t *res = json_object_get(report, GNX_F_RESULTS);
  char line[1024];
  struct gnx_sb sb;
  gnx_sb_init(&sb, line, sizeof line);
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *c = json_array_get(res, i);
    const json_t *t = json_object_get(c, GNX_F_TUNING);
    if (!t || gnx_jint(c, GNX_F_SIZE, 0) != (json_int_t)size ||
        strcmp(gnx_jstr(c, GNX_F_WORKLOAD, ""), workload) != 0) {
      continue;
    }
    size_t mark = sb.len;
    gnx_sb_printf(&sb, "%s%s", mark ? "; " : "", gnx_jstr(c, GNX_F_ENGINE, "?"));
    size_t head = sb.len;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(t, GNX_F_OPTIONS), k, v) {
      if (!gnx__given(t, k) && json_is_string(v)) {
        gnx_sb_printf(&sb, " %s=%s", k, json_string_value(v));
      }
    }
    if (sb.len == head) { /* nothing was auto: nothing tuned */
      sb.len = mark;
      line[mark] = '\0';
    }
  }
  if (sb.len) {
    fprintf(f, "  tuned by the model (auto options): %s\n", line);
  }
}

void gnx_table_print(FILE *f, const json_t *report, const char *workload, uint64_t size) {
  struct gnx_analysis a;
  char awhy[256];
  int have_an = gnx_analysis_build(report, NULL, NULL, NULL, &a, awhy, sizeof awhy) == 0;
  int header = 0;
  for (size_t i = 0; have_an && i < a.n; i++) {
    const struct gnx_cell_an *an = &a.cells[i];
    const json_t *cell = an->cell;
    if (strcmp(an->workload, workload) != 0 || an->size != size) {
      continue;
    }
    if (!header) {
      fprintf(f, "\n%s, n=%llu (%lld items)\n", workload, (unsigned long long)size,
              (long long)gnx_jint(cell, GNX_F_ITEMS, 0));
      fprintf(f, "  %-10s %12s  %-23s %8s  %-13s %5s  %9s %5s  %-10s %7s  %7s %8s  %s\n",
              "engine", "median wall", "interval", "speedup", "interval", "eff.", "pred.", "err.",
              "bottleneck", "waiting", "CPU", "peak RSS", "verified");
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
    if (json_is_object(wall)) { /* null: no good repetition, so no interval */
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
    char pred[32], perr[16], cpu[32], rss[32];
    gnx__prediction(cell, pred, sizeof pred, perr, sizeof perr);
    gnx__cost(cell, cpu, sizeof cpu, rss, sizeof rss);
    if (an->efficiency > 1.005) {
      snprintf(eff + strlen(eff), sizeof eff - strlen(eff), "*");
    }
    fprintf(f, "  %-10s %12s  %-23s %8s  %-13s %5s  %9s %5s  %-10s %7s  %7s %8s  %s\n", engine,
            med, ci, spd, spci, eff, pred, perr,
            an->bottleneck >= 0 ? an->stages[an->bottleneck].name : "-", wt, cpu, rss, verified);
    if (an->efficiency > 1.005) {
      fprintf(f, "  %-10s   * bound %s\n", "", an->bound_why);
    }
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
  if (header) {
    gnx__tuned_line(f, report, workload, size);
  }
  /* Say what the interval is worth: with few repetitions even [min, max]
   * covers the median with less than 95 % probability. */
  if (header && have_an) {
    char note[512];
    gnx_interval_note(note, sizeof note, &a, workload, size);
    fprintf(f, "  %s\n", note);
  }
}
