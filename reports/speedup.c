/* SPDX-License-Identifier: MIT */
/* reports/speedup.c: speedup against size, one chart per workload, the
 * picture people look for first: does the parallel strategy pay, and from
 * which size on?
 *
 * x is the size (log scale when the sizes span more than 4x, where equal
 * steps would crowd the small sizes into a corner), y the median speedup
 * over serial with its interval as error bars, one line per parallel
 * engine. Serial is the dashed line at 1x; the dotted line at the CPUs
 * allowed to the run is the ceiling no engine can pass by parallelism
 * alone. Engines are nudged apart along x so that their error bars do not
 * hide each other; the .dat keeps the true sizes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/charts.h"

#define GNX_SP_MAX 64 /* sizes and engines of one workload */

struct gnx__sp {
  const struct gnx_analysis *a;
  const char *workload;
  unsigned long long sizes[GNX_SP_MAX];
  size_t n_sizes;
  const char *engines[GNX_SP_MAX];
  size_t n_engines;
  double ymax;
  unsigned cores;
};

static int gnx__ull_cmp(const void *a, const void *b) {
  unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
  return (x > y) - (x < y);
}

static int gnx__has_speedup(const struct gnx_cell_an *c) {
  return strcmp(c->engine, "serial") != 0 && !isnan(c->speedup.median);
}

/* The workload's sizes (ascending) and the engines with a speedup. */
static void gnx__sp_collect(const struct gnx_analysis *a, struct gnx__sp *sp) {
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (strcmp(c->workload, sp->workload) != 0) {
      continue;
    }
    if (gnx_cell_opens(a, i, 1) && sp->n_sizes < GNX_SP_MAX) {
      sp->sizes[sp->n_sizes++] = c->size;
    }
    int seen = 0;
    for (size_t k = 0; k < sp->n_engines; k++) {
      seen |= strcmp(sp->engines[k], c->engine) == 0;
    }
    if (!seen && gnx__has_speedup(c) && sp->n_engines < GNX_SP_MAX) {
      sp->engines[sp->n_engines++] = c->engine;
    }
    if (gnx__has_speedup(c)) {
      sp->ymax = fmax(sp->ymax, isnan(c->speedup.hi) ? c->speedup.median : c->speedup.hi);
    }
  }
  qsort(sp->sizes, sp->n_sizes, sizeof sp->sizes[0], gnx__ull_cmp);
}

static void gnx__sp_dat(FILE *f, const void *arg, const char *base) {
  const struct gnx__sp *sp = arg;
  const struct gnx_analysis *a = sp->a;
  (void)base;
  fprintf(f, "# gnxbench speedup against size: %s\n"
             "# columns: size speedup_median speedup_lo speedup_hi; one block (gnuplot index)\n"
             "# per engine, in the order below; serial is 1 by definition\n",
          sp->workload);
  for (size_t e = 0; e < sp->n_engines; e++) {
    fprintf(f, "%s# block %zu: %s\n", e ? "\n\n" : "", e, sp->engines[e]);
    for (size_t s = 0; s < sp->n_sizes; s++) {
      for (size_t i = 0; i < a->n; i++) {
        const struct gnx_cell_an *c = &a->cells[i];
        if (c->size != sp->sizes[s] || strcmp(c->workload, sp->workload) != 0 ||
            strcmp(c->engine, sp->engines[e]) != 0 || !gnx__has_speedup(c)) {
          continue;
        }
        double lo = isnan(c->speedup.lo) ? c->speedup.median : c->speedup.lo;
        double hi = isnan(c->speedup.hi) ? c->speedup.median : c->speedup.hi;
        fprintf(f, "%llu %.4f %.4f %.4f\n", sp->sizes[s], c->speedup.median, lo, hi);
      }
    }
  }
}

/* x range and axis: log where the sizes span more than 4x. */
static int gnx__sp_axis(FILE *f, const struct gnx__sp *sp) {
  double lo = (double)sp->sizes[0], hi = (double)sp->sizes[sp->n_sizes - 1];
  int logx = hi > 4 * lo;
  if (logx) {
    fprintf(f, "set logscale x\nset xrange [%.6g:%.6g]\n", lo / 1.6, hi * 1.6);
  } else {
    double pad = hi > lo ? (hi - lo) * 0.12 : lo * 0.5;
    fprintf(f, "set xrange [%.6g:%.6g]\n", fmax(0, lo - pad), hi + pad);
  }
  fprintf(f, "set xtics (");
  for (size_t s = 0; s < sp->n_sizes; s++) {
    char t[32];
    gnx_fmt_size(t, sizeof t, sp->sizes[s]);
    gnx_gp_quote(f, t);
    fprintf(f, " %llu%s", sp->sizes[s], s + 1 < sp->n_sizes ? ", " : "");
  }
  fprintf(f, ")\nunset mxtics\n");
  return logx;
}

static void gnx__sp_gp(FILE *f, const void *arg, const char *base) {
  const struct gnx__sp *sp = arg;
  fprintf(f, "# gnxbench speedup against size: %s\n"
             "# One line per parallel engine: the median speedup over serial (per-repetition\n"
             "# ratios of serial's wall to the engine's) with its interval as error bars.\n"
             "# Dashed: serial (1x). Dotted: the CPUs allowed to the run, the ceiling.\n"
             "# Regenerate: gnuplot %s.gp   (in this directory; writes %s.png and %s.svg)\n\n",
          sp->workload, base, base, base);
  fprintf(f, "datafile = '%s.dat'\nset title ", base);
  char title[256];
  snprintf(title, sizeof title, "speedup over serial against size: %s (median, interval)",
           sp->workload);
  gnx_gp_quote(f, title);
  fprintf(f, "\nset xlabel 'size (n)'\nset ylabel 'speedup over serial (x)'\n");
  int logx = gnx__sp_axis(f, sp);
  fprintf(f, "set yrange [0:%.4g]\nset grid ytics lc rgb '#dddddd' lt 1\nset border 3\n"
             "set xtics nomirror\nset ytics nomirror\n"
             "set key outside right top vertical Left reverse samplen 3 spacing 1.3\n\n",
          fmax(sp->cores, sp->ymax) * 1.15);
  fprintf(f, "set terminal pngcairo noenhanced size 900,540 font 'Sans,10'\n"
             "set output '%s.png'\nplot \\\n",
          base);
  double mid = ((double)sp->n_engines - 1) / 2, span = (double)sp->sizes[sp->n_sizes - 1];
  for (size_t e = 0; e < sp->n_engines; e++) {
    double k = (double)e - mid;
    if (logx) {
      fprintf(f, "  datafile index %zu using ($1*%.4f):2:3:4", e, pow(1.03, k));
    } else {
      fprintf(f, "  datafile index %zu using ($1%+.6g):2:3:4", e, k * span * 0.012);
    }
    fprintf(f, " with yerrorlines lw 2 pt 7 ps 0.9 title ");
    gnx_gp_quote(f, sp->engines[e]);
    fprintf(f, ", \\\n");
  }
  fprintf(f, "  1 with lines dt 2 lw 1.5 lc rgb '#555555' title '1x: serial', \\\n"
             "  %u with lines dt 3 lw 2 lc rgb '#c0392b' title '%u CPU%s allowed: the ceiling'\n",
          sp->cores, sp->cores, sp->cores == 1 ? "" : "s");
  fprintf(f, "\nset terminal svg noenhanced size 900,540 font 'Sans,10' background rgb 'white'\n"
             "set output '%s.svg'\nreplot\nunset output\n",
          base);
}

static int gnx__sp_one(const struct gnx_analysis *a, const char *workload, const char *dir,
                       struct gnx_render_status *st, char *why, size_t len) {
  struct gnx__sp sp = {.a = a, .workload = workload, .cores = a->cores ? a->cores : 1};
  gnx__sp_collect(a, &sp);
  if (sp.n_engines == 0 || sp.n_sizes == 0) {
    return 0; /* serial alone: nothing to compare */
  }
  char base[160];
  snprintf(base, sizeof base, "speedup-%s", workload);
  return gnx_chart_write(dir, base, gnx__sp_dat, gnx__sp_gp, &sp, st, why, len);
}

int gnx_speedup_charts_write(const struct gnx_analysis *a, const char *dir,
                             struct gnx_render_status *st, char *why, size_t len) {
  for (size_t i = 0; i < a->n; i++) {
    if (gnx_cell_opens(a, i, 0)) {
      int rc = gnx__sp_one(a, a->cells[i].workload, dir, st, why, len);
      if (rc < 0) {
        return rc;
      }
    }
  }
  return 0;
}
