/* SPDX-License-Identifier: MIT */
/* harness/cmd-compare.c: `gnxbench compare A.json B.json [C.json ...]
 * [--chart FILE.png|DIR]`. Two reports: per (workload, size, engine) the
 * change in speedup and in wall time, each with a Mann-Whitney U test over
 * the repetitions (no normality assumed: benchmark times are skewed), and a
 * geometric-mean summary line. More: one table with the first report as
 * the baseline column and a column per later report (speedup, change, p),
 * and per engine the geometric mean of its speedups in each report, as
 * pyperf's compare_to and critcmp show several runs. --chart draws the
 * speedups across the reports (reports/compare.c). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/stats.h"
#include "harness/cmd.h"
#include "reports/compare.h"
#include "reports/report.h"
#include "reports/schema.h"

#define GNX__CMP_MAX GNX_CMP_MAX_SAMPLES

static double gnx__median(const double *x, size_t n) {
  struct gnx_stats s;
  gnx_stats_compute(x, n, &s);
  return s.median;
}

static void gnx__fmt_p(char *buf, size_t len, double p, size_t na, size_t nb) {
  if (na == 0 || nb == 0 || isnan(p)) {
    snprintf(buf, len, "-");
  } else if (p < 0.001) {
    snprintf(buf, len, "<0.001 *");
  } else {
    snprintf(buf, len, "%.3f%s", p, p < 0.05 ? " *" : "");
  }
}

/* Append "  gnn 50000 threads: stage-workers (default) -> block0=2\n" for
 * every option whose value differs between two cells' options. */
static void gnx__options_diff(char *buf, size_t len, const char *wl, json_int_t size,
                              const char *eng, const json_t *a, const json_t *b) {
  size_t l = strlen(buf);
  int n = snprintf(buf + l, len - l, "  %s %lld %s:", wl, (long long)size, eng);
  if (n < 0 || (size_t)n >= len - l) {
    return;
  }
  l += (size_t)n;
  const json_t *objs[2] = {a, b};
  for (int side = 0; side < 2; side++) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)objs[side], key, v) {
      const json_t *va = json_object_get(a, key), *vb = json_object_get(b, key);
      if ((side == 1 && va) || json_equal(va, vb)) {
        continue; /* each key once; equal values are not news */
      }
      n = snprintf(buf + l, len - l, " %s %s -> %s;", key,
                   json_is_string(va) ? json_string_value(va) : "(default)",
                   json_is_string(vb) ? json_string_value(vb) : "(default)");
      if (n < 0 || (size_t)n >= len - l) {
        return;
      }
      l += (size_t)n;
    }
  }
  if (l > 0 && buf[l - 1] == ';') {
    buf[l - 1] = '\n';
  } else if (l + 1 < len) {
    buf[l] = '\n';
    buf[l + 1] = '\0';
  }
}

/* One row of the two-report table: speedup and wall, old -> new, with
 * their changes and p-values; the ratios go to the geometric means. */
static void gnx__two_row(const json_t *old, const json_t *new, const json_t *oc,
                         const json_t *nc, double *sp_ch, size_t *n_sp, double *wall_ch,
                         size_t *n_wall, char *differ, size_t dlen) {
  static double ow[GNX__CMP_MAX], orat[GNX__CMP_MAX], nw_[GNX__CMP_MAX], nrat[GNX__CMP_MAX];
  const char *wl = gnx_jstr(nc, GNX_F_WORKLOAD, NULL), *eng = gnx_jstr(nc, GNX_F_ENGINE, NULL);
  json_int_t size = gnx_jint(nc, GNX_F_SIZE, 0);
  size_t onw, onr, nnw, nnr;
  gnx_compare_samples(oc, gnx_report_cell(old, wl, size, "serial"), ow, &onw, orat, &onr);
  gnx_compare_samples(nc, gnx_report_cell(new, wl, size, "serial"), nw_, &nnw, nrat, &nnr);
  struct gnx_mwu uw = {.p = NAN}, us = {.p = NAN};
  if (onw && nnw) {
    (void)gnx_stats_mann_whitney(nw_, nnw, ow, onw, &uw);
  }
  int is_serial = !strcmp(eng, "serial");
  if (onr && nnr && !is_serial) {
    (void)gnx_stats_mann_whitney(nrat, nnr, orat, onr, &us);
  }
  char spb[48] = "-", spc[16] = "-", spp[16] = "-", wb[48] = "-", wc[16] = "-", wp[16] = "-";
  if (onr && nnr) {
    double a = gnx__median(orat, onr), b = gnx__median(nrat, nnr);
    snprintf(spb, sizeof spb, "%.2f -> %.2f", a, b);
    snprintf(spc, sizeof spc, "%+.1f %%", (b / a - 1) * 100);
    gnx__fmt_p(spp, sizeof spp, us.p, is_serial ? 0 : onr, nnr);
    if (!is_serial && a > 0 && b > 0) {
      sp_ch[(*n_sp)++] = b / a;
    }
  }
  if (onw && nnw) {
    double a = gnx__median(ow, onw), b = gnx__median(nw_, nnw);
    snprintf(wb, sizeof wb, "%.1f -> %.1f ms", a * 1e3, b * 1e3);
    snprintf(wc, sizeof wc, "%+.1f %%", (b / a - 1) * 100);
    gnx__fmt_p(wp, sizeof wp, uw.p, onw, nnw);
    wall_ch[(*n_wall)++] = b / a;
  }
  /* the same cell measured with other options is another experiment */
  int same = json_equal(json_object_get(oc, GNX_F_OPTIONS), json_object_get(nc, GNX_F_OPTIONS));
  printf("%-6s %8lld %-9s %16s %8s %8s  %22s %8s %8s%s\n", wl, (long long)size, eng, spb, spc,
         spp, wb, wc, wp, same ? "" : "  !");
  if (!same) {
    gnx__options_diff(differ, dlen, wl, size, eng, json_object_get(oc, GNX_F_OPTIONS),
                      json_object_get(nc, GNX_F_OPTIONS));
  }
}

/* Two reports: the table old -> new. Returns 0, or 2 when they have no
 * cell in common (then nothing is printed on stdout). */
static int gnx__compare_two(const char *const *files, json_t *const *r) {
  static double sp_ch[GNX__CMP_MAX], wall_ch[GNX__CMP_MAX];
  size_t n_sp = 0, n_wall = 0, common = 0;
  char differ[2048] = "";
  const json_t *res = json_object_get(r[1], GNX_F_RESULTS);
  for (size_t i = 0; i < json_array_size(res) && n_wall < GNX__CMP_MAX; i++) {
    const json_t *nc = json_array_get(res, i);
    const char *wl = gnx_jstr(nc, GNX_F_WORKLOAD, NULL);
    const char *eng = gnx_jstr(nc, GNX_F_ENGINE, NULL);
    const json_t *oc = wl && eng ? gnx_report_cell(r[0], wl, gnx_jint(nc, GNX_F_SIZE, 0), eng)
                                 : NULL;
    if (!oc) {
      continue;
    }
    if (common++ == 0) { /* the header once there is a row, so no cell in common prints none */
      printf("%-6s %8s %-9s %16s %8s %8s  %22s %8s %8s\n", "work", "size", "engine",
             "speedup old->new", "change", "p", "median wall old->new", "change", "p");
    }
    gnx__two_row(r[0], r[1], oc, nc, sp_ch, &n_sp, wall_ch, &n_wall, differ, sizeof differ);
  }
  if (!common) {
    fprintf(stderr,
            "gnxbench: compare: %s and %s have no (workload, size, engine) in common; compare "
            "reports of the same configuration\n",
            files[0], files[1]);
    return 2;
  }
  if (differ[0]) {
    printf("! options differ, so these cells compare different experiments:\n%s", differ);
  }
  double gs = gnx_stats_geomean(sp_ch, n_sp), gw = gnx_stats_geomean(wall_ch, n_wall);
  printf("geometric mean: speedup %s%+.1f %% over %zu cells, wall time %+.1f %% over %zu cells "
         "(* p < 0.05, two-sided Mann-Whitney U)\n",
         isnan(gs) ? "n/a " : "", isnan(gs) ? 0.0 : (gs - 1) * 100, n_sp, (gw - 1) * 100, n_wall);
  return 0;
}

/* ---- three reports or more ---------------------------------------------- */

/* A report's name in the table's legend and on the chart: its file name
 * without .json, or for DIR/report.json the directory's name. */
static void gnx__label(const char *path, char *out, size_t len) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  size_t l = strlen(buf);
  if (l > 5 && strcmp(buf + l - 5, ".json") == 0) {
    buf[l -= 5] = '\0';
  }
  char *slash = strrchr(buf, '/');
  if (slash && strcmp(slash + 1, "report") == 0 && slash > buf) {
    *slash = '\0';
    slash = strrchr(buf, '/');
  }
  snprintf(out, len, "%s", slash ? slash + 1 : buf);
}

/* "  1.52x" or "  -": one report's speedup in a row. */
static void gnx__fmt_speedup(char *buf, size_t len, const struct gnx_cmp_value *v) {
  if (v->have) {
    snprintf(buf, len, "%.2fx", v->speedup);
  } else {
    snprintf(buf, len, "-");
  }
}

/* One row: the baseline's speedup, then per later report its speedup, the
 * change against the baseline (! when the options differ) and p. */
static void gnx__many_row(const struct gnx_cmp *c, const struct gnx_cmp_row *row) {
  char b[24];
  gnx__fmt_speedup(b, sizeof b, &row->v[0]);
  printf("%-6s %8lld %-9s %9s", row->workload, (long long)row->size, row->engine, b);
  for (size_t k = 1; k < c->n_reports; k++) {
    const struct gnx_cmp_value *v = &row->v[k];
    char sp[24], ch[24] = "-", p[16];
    gnx__fmt_speedup(sp, sizeof sp, v);
    if (v->have && row->v[0].have) {
      snprintf(ch, sizeof ch, "%+.1f %%%s", (v->speedup / row->v[0].speedup - 1) * 100,
               v->other_options ? " !" : "");
    }
    gnx__fmt_p(p, sizeof p, v->p, v->have && row->v[0].have, 1);
    printf(" | %9s %10s %8s", sp, ch, p);
  }
  printf("\n");
}

/* Per engine, then over all: the geometric mean of the speedups in each
 * report over the cells it shares with the baseline, and the change. */
static void gnx__many_geomeans(const struct gnx_cmp *c) {
  const char *eng[64];
  size_t ne = gnx_compare_engines(c, eng, 64);
  printf("geometric mean of the speedups, over the cells each report shares with A:\n");
  for (size_t e = 0; e <= ne; e++) {
    const char *name = e < ne ? eng[e] : NULL;
    struct gnx_cmp_geo g1 = gnx_compare_geomean(c, name, 1);
    char b[24] = "-";
    if (g1.cells) {
      snprintf(b, sizeof b, "%.2fx", g1.base);
    }
    printf("%-6s %8s %-9s %9s", "", "", name ? name : "all", b);
    for (size_t k = 1; k < c->n_reports; k++) {
      struct gnx_cmp_geo g = gnx_compare_geomean(c, name, k);
      char sp[24] = "-", ch[24] = "-", n[16];
      if (g.cells) {
        snprintf(sp, sizeof sp, "%.2fx", g.other);
        snprintf(ch, sizeof ch, "%+.1f %%", g.change * 100);
      }
      snprintf(n, sizeof n, "%zu cells", g.cells);
      printf(" | %9s %10s %8s", sp, ch, n);
    }
    printf("\n");
  }
}

/* The "! options differ" lines: per later report, each cell whose options
 * differ from the baseline's, and how. */
static void gnx__many_options(json_t *const *r, size_t n) {
  for (size_t k = 1; k < n; k++) {
    char differ[2048] = "";
    const json_t *res = json_object_get(r[k], GNX_F_RESULTS);
    for (size_t i = 0; i < json_array_size(res); i++) {
      const json_t *cell = json_array_get(res, i);
      const char *wl = gnx_jstr(cell, GNX_F_WORKLOAD, NULL);
      const char *eng = gnx_jstr(cell, GNX_F_ENGINE, NULL);
      json_int_t size = gnx_jint(cell, GNX_F_SIZE, 0);
      const json_t *bc = wl && eng ? gnx_report_cell(r[0], wl, size, eng) : NULL;
      const json_t *bo = json_object_get(bc, GNX_F_OPTIONS), *o = json_object_get(cell, GNX_F_OPTIONS);
      if (bc && strcmp(eng, "serial") != 0 && !json_equal(bo, o)) {
        gnx__options_diff(differ, sizeof differ, wl, size, eng, bo, o);
      }
    }
    if (differ[0]) {
      printf("! %c: options differ from A's, so these cells compare different experiments:\n%s",
             (int)('A' + k), differ);
    }
  }
}

/* Whether report k shares a (workload, size, engine) with the baseline. */
static int gnx__shares_cell(json_t *const *r, size_t k) {
  const json_t *res = json_object_get(r[k], GNX_F_RESULTS);
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *cell = json_array_get(res, i);
    const char *wl = gnx_jstr(cell, GNX_F_WORKLOAD, NULL);
    const char *eng = gnx_jstr(cell, GNX_F_ENGINE, NULL);
    if (wl && eng && gnx_report_cell(r[0], wl, gnx_jint(cell, GNX_F_SIZE, 0), eng)) {
      return 1;
    }
  }
  return 0;
}

/* Three reports or more: the legend, the table, the geometric means. */
static void gnx__compare_many(const char *const *labels, const struct gnx_cmp *c,
                              json_t *const *r, const char *const *files) {
  for (size_t k = 0; k < c->n_reports; k++) {
    printf("%c = %s (%s)%s\n", (int)('A' + k), labels[k], files[k], k ? "" : ": the baseline");
  }
  printf("%-6s %8s %-9s %9s", "work", "size", "engine", "A speedup");
  for (size_t k = 1; k < c->n_reports; k++) {
    char h[16];
    snprintf(h, sizeof h, "%c speedup", (int)('A' + k));
    printf(" | %9s %10s %8s", h, "vs A", "p");
  }
  printf("\n");
  for (size_t i = 0; i < c->n_rows; i++) {
    gnx__many_row(c, &c->rows[i]);
  }
  gnx__many_geomeans(c);
  gnx__many_options(r, c->n_reports);
  printf("(* p < 0.05, two-sided Mann-Whitney U over the per-round speedups, against A's; "
         "! options differ from A's)\n");
}

/* ---- arguments, the chart ------------------------------------------------ */

struct gnx__cmp_args {
  const char *files[GNX_CMP_MAX_REPORTS];
  size_t n;
  const char *chart;      /* --chart's value, NULL: none */
  char dir[PATH_MAX];     /* where the chart goes */
  char base[256];         /* its file name without extension */
};

static void gnx__compare_help(void) {
  printf("usage: gnxbench compare A.json B.json [C.json ...] [--chart FILE.png|DIR]\n"
         "  two reports: per (workload, size, engine) speedup and median wall time, old ->\n"
         "  new, the change, and the two-sided Mann-Whitney U p-value over the repetitions\n"
         "  (* when p < 0.05); then the geometric means of the changes\n"
         "  three or more (up to %d): one table with the first report, A, as the baseline:\n"
         "  per cell the speedup in each report, its change against A and the p-value;\n"
         "  then per engine the geometric mean of its speedups in each report\n"
         "  --chart FILE.png|DIR   draw each cell's speedup across the reports, in the\n"
         "                         order given: FILE.png and FILE.svg (gnuplot), with\n"
         "                         FILE.dat and FILE.gp beside them (DIR: DIR/compare.*)\n",
         GNX_CMP_MAX_REPORTS);
}

/* --chart's value: an existing directory (DIR/compare.*), or FILE.png or
 * FILE.svg in an existing directory. Returns 0, or 2 after one line. */
static int gnx__chart_arg(struct gnx__cmp_args *a) {
  struct stat st;
  if (stat(a->chart, &st) == 0 && S_ISDIR(st.st_mode)) {
    snprintf(a->dir, sizeof a->dir, "%s", a->chart);
    snprintf(a->base, sizeof a->base, "compare");
    return 0;
  }
  size_t l = strlen(a->chart);
  const char *slash = strrchr(a->chart, '/'), *name = slash ? slash + 1 : a->chart;
  if (l < 5 || (strcmp(a->chart + l - 4, ".png") != 0 && strcmp(a->chart + l - 4, ".svg") != 0) ||
      strlen(name) <= 4 || strlen(name) - 4 >= sizeof a->base) {
    fprintf(stderr, "gnxbench: compare: --chart '%s': give FILE.png, FILE.svg or an existing "
                    "directory\n", a->chart);
    return 2;
  }
  snprintf(a->dir, sizeof a->dir, "%.*s", slash ? (int)(slash - a->chart) : 1,
           slash ? (slash == a->chart ? "/" : a->chart) : ".");
  snprintf(a->base, sizeof a->base, "%.*s", (int)(strlen(name) - 4), name);
  if (stat(a->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "gnxbench: compare: --chart '%s': no directory %s; create it first\n",
            a->chart, a->dir);
    return 2;
  }
  return 0;
}

/* Returns 0, 1 after --help, or 2 after one line naming the problem. */
static int gnx__compare_args(int argc, char **argv, struct gnx__cmp_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      gnx__compare_help();
      return 1;
    }
    if (!strcmp(argv[i], "--chart") || !strncmp(argv[i], "--chart=", 8)) {
      a->chart = argv[i][7] == '=' ? argv[i] + 8 : i + 1 < argc ? argv[++i] : NULL;
      if (!a->chart || !a->chart[0]) {
        fprintf(stderr, "gnxbench: compare: --chart needs a value: FILE.png or a directory\n");
        return 2;
      }
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "gnxbench: compare: unknown argument '%s'; see gnxbench compare --help\n",
              argv[i]);
      return 2;
    } else if (a->n == GNX_CMP_MAX_REPORTS) {
      fprintf(stderr, "gnxbench: compare: at most %d reports; compare fewer at a time\n",
              GNX_CMP_MAX_REPORTS);
      return 2;
    } else {
      a->files[a->n++] = argv[i];
    }
  }
  if (a->n < 2) {
    fprintf(stderr, "gnxbench: compare needs two reports: gnxbench compare OLD.json NEW.json "
                    "[MORE.json ...]\n");
    return 2;
  }
  return a->chart ? gnx__chart_arg(a) : 0;
}

/* Draw the chart; returns 0, or 1 after saying why not. */
static int gnx__compare_chart(const struct gnx__cmp_args *a, const struct gnx_cmp *c,
                              const char *const *labels) {
  char why[1024];
  int rc = gnx_compare_chart_write(a->dir, a->base, c, labels, why, sizeof why);
  if (rc == -ENOENT) {
    fprintf(stderr, "gnxbench: warning: gnuplot not found; chart skipped (install gnuplot-nox); "
                    "wrote %s/%s.dat and .gp\n", a->dir, a->base);
    return 0;
  }
  if (rc < 0) {
    fprintf(stderr, "gnxbench: compare: chart: %s\n", why);
    return 1;
  }
  printf("chart: %s/%s.png (and .svg, .dat, .gp)\n", a->dir, a->base);
  return 0;
}

/* Load every report, or say which cannot be read and why. */
static int gnx__compare_load(const struct gnx__cmp_args *a, json_t **r) {
  char why[1024];
  for (size_t k = 0; k < a->n; k++) {
    /* a file that is not there is not "not valid JSON" */
    struct stat st;
    if (stat(a->files[k], &st) != 0) {
      fprintf(stderr, "gnxbench: compare: cannot read %s: %s; give the path of a report.json\n",
              a->files[k], strerror(errno));
      return 2;
    }
    if (!(r[k] = gnx_report_load(a->files[k], why, sizeof why))) {
      fprintf(stderr, "gnxbench: compare: %s\n", why);
      return 2;
    }
  }
  for (size_t k = 1; a->n > 2 && k < a->n; k++) {
    if (!gnx__shares_cell(r, k)) {
      fprintf(stderr,
              "gnxbench: compare: %s and %s have no (workload, size, engine) in common; compare "
              "reports of the same configuration\n",
              a->files[0], a->files[k]);
      return 2;
    }
  }
  return 0;
}

int gnx_cmd_compare(int argc, char **argv) {
  struct gnx__cmp_args a;
  int rc = gnx__compare_args(argc, argv, &a);
  if (rc) {
    return rc == 1 ? 0 : rc;
  }
  json_t *r[GNX_CMP_MAX_REPORTS] = {0};
  char names[GNX_CMP_MAX_REPORTS][64];
  const char *labels[GNX_CMP_MAX_REPORTS];
  struct gnx_cmp c = {0};
  rc = gnx__compare_load(&a, r);
  if (rc == 0 && gnx_compare_build((const json_t *const *)r, a.n, &c) < 0) {
    fprintf(stderr, "gnxbench: compare: out of memory\n");
    rc = 1;
  }
  for (size_t k = 0; rc == 0 && k < a.n; k++) {
    char l[48];
    gnx__label(a.files[k], l, sizeof l);
    snprintf(names[k], sizeof names[k], "%c %s", (int)('A' + k), l);
    labels[k] = names[k];
  }
  if (rc == 0 && a.n == 2) {
    rc = gnx__compare_two(a.files, r);
  } else if (rc == 0) {
    for (size_t k = 0; k < a.n; k++) {
      labels[k] = names[k] + 2; /* the table's columns carry the letters */
    }
    gnx__compare_many(labels, &c, r, a.files);
    for (size_t k = 0; k < a.n; k++) {
      labels[k] = names[k];
    }
  }
  if (rc == 0 && a.chart) {
    rc = gnx__compare_chart(&a, &c, labels);
  }
  gnx_compare_free(&c);
  for (size_t k = 0; k < a.n; k++) {
    json_decref(r[k]);
  }
  return rc;
}
