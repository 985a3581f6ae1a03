/* SPDX-License-Identifier: MIT */
/* reports/compare.c: reports side by side (see compare.h): the speedup of
 * every (workload, size, engine) in each report, tested against the first
 * report's, geometric means per engine, and the chart across reports. */
#include "reports/charts.h"
#include "reports/compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "gnx/err.h"
#include "reports/profile.h"
#include "reports/report.h"
#include "reports/schema.h"

void gnx_compare_samples(const json_t *cell, const json_t *serial, double *walls, size_t *nw,
                         double *ratios, size_t *nr) {
  const json_t *reps = json_object_get(cell, GNX_F_REPS);
  const json_t *sreps = json_object_get(serial, GNX_F_REPS);
  *nw = *nr = 0;
  for (size_t r = 0; r < json_array_size(reps) && r < GNX_CMP_MAX_SAMPLES; r++) {
    const json_t *rep = json_array_get(reps, r);
    double w = gnx_jnum(rep, GNX_F_WALL_S, 0);
    if (!gnx_jbool(rep, GNX_F_OK, 0) || !(w > 0)) {
      continue;
    }
    walls[(*nw)++] = w;
    const json_t *srep = json_array_get(sreps, r);
    double sw = gnx_jnum(srep, GNX_F_WALL_S, 0);
    if (srep && gnx_jbool(srep, GNX_F_OK, 0) && sw > 0) {
      ratios[(*nr)++] = sw / w;
    }
  }
}

/* The row of (workload, size, engine), added when new; NULL: no memory. */
static struct gnx_cmp_row *gnx__row(struct gnx_cmp *c, size_t *cap, const char *wl,
                                    json_int_t size, const char *eng) {
  for (size_t i = 0; i < c->n_rows; i++) {
    struct gnx_cmp_row *r = &c->rows[i];
    if (r->size == size && !strcmp(r->workload, wl) && !strcmp(r->engine, eng)) {
      return r;
    }
  }
  if (c->n_rows == *cap) {
    size_t ncap = *cap ? *cap * 2 : 16;
    struct gnx_cmp_row *nr = realloc(c->rows, ncap * sizeof *nr);
    if (!nr) {
      return NULL;
    }
    c->rows = nr;
    *cap = ncap;
  }
  struct gnx_cmp_row *r = &c->rows[c->n_rows++];
  memset(r, 0, sizeof *r);
  r->workload = wl;
  r->engine = eng;
  r->size = size;
  return r;
}

/* Row's value in each report: the median per-round speedup, and the U
 * test of its per-round speedups against the baseline's. */
static void gnx__row_values(const json_t *const *reports, size_t n, struct gnx_cmp_row *row) {
  double walls[GNX_CMP_MAX_SAMPLES], base[GNX_CMP_MAX_SAMPLES], ratios[GNX_CMP_MAX_SAMPLES];
  size_t nw, nb = 0, nr;
  const json_t *bcell = gnx_report_cell(reports[0], row->workload, row->size, row->engine);
  for (size_t k = 0; k < n; k++) {
    struct gnx_cmp_value *v = &row->v[k];
    const json_t *cell = gnx_report_cell(reports[k], row->workload, row->size, row->engine);
    const json_t *serial = gnx_report_cell(reports[k], row->workload, row->size, "serial");
    gnx_compare_samples(cell, serial, walls, &nw, k ? ratios : base, k ? &nr : &nb);
    size_t m = k ? nr : nb;
    struct gnx_stats st;
    gnx_stats_compute(k ? ratios : base, m, &st);
    struct gnx_mwu u = {.p = NAN};
    if (k && m && nb) {
      (void)gnx_stats_mann_whitney(ratios, m, base, nb, &u);
    }
    *v = (struct gnx_cmp_value){cell && m > 0, st.median, u.p,
                                bcell && cell &&
                                    !json_equal(json_object_get(bcell, GNX_F_OPTIONS),
                                                json_object_get(cell, GNX_F_OPTIONS))};
  }
}

int gnx_compare_build(const json_t *const *reports, size_t n, struct gnx_cmp *c) {
  memset(c, 0, sizeof *c);
  c->n_reports = n < GNX_CMP_MAX_REPORTS ? n : GNX_CMP_MAX_REPORTS;
  size_t cap = 0;
  for (size_t k = 0; k < c->n_reports; k++) {
    const json_t *res = json_object_get(reports[k], GNX_F_RESULTS);
    for (size_t i = 0; i < json_array_size(res); i++) {
      const json_t *cell = json_array_get(res, i);
      const char *wl = gnx_jstr(cell, GNX_F_WORKLOAD, NULL);
      const char *eng = gnx_jstr(cell, GNX_F_ENGINE, NULL);
      if (!wl || !eng || !strcmp(eng, "serial")) {
        continue;
      }
      if (!gnx__row(c, &cap, wl, gnx_jint(cell, GNX_F_SIZE, 0), eng)) {
        gnx_compare_free(c);
        return -ENOMEM;
      }
    }
  }
  for (size_t i = 0; i < c->n_rows; i++) {
    gnx__row_values(reports, c->n_reports, &c->rows[i]);
  }
  return 0;
}

void gnx_compare_free(struct gnx_cmp *c) {
  free(c->rows);
  memset(c, 0, sizeof *c);
}

struct gnx_cmp_geo gnx_compare_geomean(const struct gnx_cmp *c, const char *engine, size_t r) {
  double *b = malloc((c->n_rows ? c->n_rows : 1) * 2 * sizeof *b), *o = b ? b + c->n_rows : NULL;
  size_t n = 0;
  for (size_t i = 0; b && i < c->n_rows; i++) {
    const struct gnx_cmp_row *row = &c->rows[i];
    if ((!engine || !strcmp(row->engine, engine)) && row->v[0].have && row->v[r].have) {
      b[n] = row->v[0].speedup;
      o[n++] = row->v[r].speedup;
    }
  }
  struct gnx_cmp_geo g = {NAN, NAN, NAN, n};
  if (n) {
    g.base = gnx_stats_geomean(b, n);
    g.other = gnx_stats_geomean(o, n);
    g.change = g.other / g.base - 1;
  }
  free(b);
  return g;
}

size_t gnx_compare_engines(const struct gnx_cmp *c, const char **out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < c->n_rows; i++) {
    size_t k = 0;
    while (k < n && strcmp(out[k], c->rows[i].engine) != 0) {
      k++;
    }
    if (k == n && n < max) {
      out[n++] = c->rows[i].engine;
    }
  }
  return n;
}

/* ---- the chart ----------------------------------------------------------- */

/* s as a gnuplot single-quoted string (a quote doubled). */
static void gnx__gp_str(FILE *f, const char *s) {
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'') {
      fputc('\'', f);
    }
    fputc(*s, f);
  }
  fputc('\'', f);
}

/* One gnuplot index block per row: "report speedup" for each report that
 * has the cell. */
static void gnx__chart_dat(FILE *f, const struct gnx_cmp *c, const char *const *labels) {
  fprintf(f, "# gnxbench compare: speedup over serial in each report (x: 0 = %s, the "
             "baseline);\n# one block per (workload, size, engine)\n",
          labels[0]);
  for (size_t i = 0; i < c->n_rows; i++) {
    const struct gnx_cmp_row *row = &c->rows[i];
    fprintf(f, "# %s %lld %s\n", row->workload, (long long)row->size, row->engine);
    for (size_t k = 0; k < c->n_reports; k++) {
      if (row->v[k].have) {
        fprintf(f, "%zu %.4f\n", k, row->v[k].speedup);
      }
    }
    fprintf(f, "\n\n");
  }
}

/* The script: both terminals, x ticks named by the reports, a colour per
 * engine and a dash pattern per (workload, size) within it. */
static void gnx__chart_gp(FILE *f, const char *base, const struct gnx_cmp *c,
                          const char *const *labels) {
  char s[600];
  fprintf(f, "# Regenerate: gnuplot %s.gp   (in this directory; writes %s.png and %s.svg)\n",
          base, base, base);
  snprintf(s, sizeof s, "%s.dat", base);
  fprintf(f, "data = ");
  gnx__gp_str(f, s);
  fprintf(f, "\nset title 'speedup over serial across reports (the first is the baseline)'\n"
             "set ylabel 'speedup'\nset yrange [0:*]\nset xrange [-0.3:%.1f]\n"
             "set grid ytics\nset key outside right top noenhanced\n"
             "# speedup 1: as fast as serial\n"
             "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 3 lc rgb 'gray40'\n"
             "set xtics noenhanced (",
          (double)c->n_reports - 0.7);
  for (size_t k = 0; k < c->n_reports; k++) {
    gnx__gp_str(f, labels[k]);
    fprintf(f, " %zu%s", k, k + 1 < c->n_reports ? ", " : ")\n");
  }
  const char *eng[64];
  size_t ne = gnx_compare_engines(c, eng, 64);
  fprintf(f, "plot ");
  for (size_t i = 0; i < c->n_rows; i++) {
    const struct gnx_cmp_row *row = &c->rows[i];
    size_t e = 0, dash = 1;
    while (e < ne && strcmp(eng[e], row->engine) != 0) {
      e++;
    }
    for (size_t k = 0; k < i; k++) {
      dash += !strcmp(c->rows[k].engine, row->engine);
    }
    char title[160];
    snprintf(title, sizeof title, "%s %s %lld", row->engine, row->workload, (long long)row->size);
    fprintf(f, "%sdata index %zu using 1:2 with linespoints lw 2 pt 7 lc %zu dt %zu title ",
            i ? ", \\\n     " : "", i, e + 1, dash);
    gnx__gp_str(f, title);
  }
  fprintf(f, "\n");
}

static int gnx__chart_file(const char *dir, const char *base, const char *ext,
                           const struct gnx_cmp *c, const char *const *labels, char *why,
                           size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.%s", dir, base, ext);
  FILE *f = fopen(path, "we");
  if (!f) {
    int e = errno;
    snprintf(why, len, "cannot write %s: %s", path, strerror(e));
    return -e;
  }
  if (ext[0] == 'd') {
    gnx__chart_dat(f, c, labels);
  } else {
    char out[600];
    snprintf(out, sizeof out, "%s.png", base);
    fprintf(f, "set terminal pngcairo size 900,540\nset output ");
    gnx__gp_str(f, out);
    fprintf(f, "\n");
    gnx__chart_gp(f, base, c, labels);
    snprintf(out, sizeof out, "%s.svg", base);
    fprintf(f, "set terminal svg size 900,540\nset output ");
    gnx__gp_str(f, out);
    fprintf(f, "\nreplot\n");
  }
  int rc = gnx_file_close(f);
  if (rc < 0) {
    snprintf(why, len, "cannot write %s: %s", path, strerror(-rc));
  }
  return rc;
}

int gnx_compare_chart_write(const char *dir, const char *base, const struct gnx_cmp *c,
                            const char *const *labels, char *why, size_t len) {
  if (c->n_rows == 0) {
    snprintf(why, len, "no cell but serial's to chart");
    return GNX_EFORMAT;
  }
  int rc = gnx__chart_file(dir, base, "dat", c, labels, why, len);
  rc = rc < 0 ? rc : gnx__chart_file(dir, base, "gp", c, labels, why, len);
  if (rc < 0) {
    return rc;
  }
  char gp[512];
  snprintf(gp, sizeof gp, "%s.gp", base);
  return gnx_gnuplot_run(dir, gp, why, len);
}
