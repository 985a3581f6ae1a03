/* SPDX-License-Identifier: MIT */
/* reports/compare.h: reports side by side, for `gnxbench compare`: per
 * (workload, size, engine) the speedup in each report beside the first
 * one's (the baseline), the Mann-Whitney U test of each against it over
 * the repetitions, geometric means per engine, and the chart of speedup
 * across the reports in the order given. */
#ifndef GNX_REPORTS_COMPARE_H
#define GNX_REPORTS_COMPARE_H

#include <jansson.h>
#include <stddef.h>

/* Reports one compare takes: their columns are labelled A to Z. */
#define GNX_CMP_MAX_REPORTS 26
/* Repetitions of a cell that count (the report allows 1024). */
#define GNX_CMP_MAX_SAMPLES 1024

/* A cell's successful repetitions: their walls, and per repetition its
 * ratio to serial's wall in the same round (engines are interleaved, so a
 * round's ratio compares two runs taken side by side). walls and ratios
 * hold GNX_CMP_MAX_SAMPLES each. */
void gnx_compare_samples(const json_t *cell, const json_t *serial, double *walls, size_t *nw,
                         double *ratios, size_t *nr);

/* One cell in one report. */
struct gnx_cmp_value {
  int have;          /* the report has the cell and a speedup for it */
  double speedup;    /* the median of its per-round speedups */
  double p;          /* two-sided U test against the baseline's; NAN: none */
  int other_options; /* its options differ from the baseline's cell */
};

/* One (workload, size, engine): strings point into the reports. */
struct gnx_cmp_row {
  const char *workload, *engine;
  json_int_t size;
  struct gnx_cmp_value v[GNX_CMP_MAX_REPORTS];
};

struct gnx_cmp {
  size_t n_reports, n_rows;
  struct gnx_cmp_row *rows;
};

/* The rows of reports[0..n) (n <= GNX_CMP_MAX_REPORTS): every cell but
 * serial's (the baseline of every speedup, 1 by definition) of any report,
 * in the order first seen. Returns 0 or -ENOMEM. */
int gnx_compare_build(const json_t *const *reports, size_t n, struct gnx_cmp *c);
void gnx_compare_free(struct gnx_cmp *c);

/* Geometric means over the rows of engine (NULL: every engine) that both
 * report r and the baseline have: of the baseline's speedups, of r's, and
 * the change (r's / the baseline's, - 1). NAN where there is none. */
struct gnx_cmp_geo {
  double base, other, change;
  size_t cells;
};
struct gnx_cmp_geo gnx_compare_geomean(const struct gnx_cmp *c, const char *engine, size_t r);

/* The engines of the rows, once each, in row order; returns how many
 * (at most max). */
size_t gnx_compare_engines(const struct gnx_cmp *c, const char **out, size_t max);

/* The chart: speedup (y) in each report (x, in the order given, ticks
 * labelled labels[r]), one line per row, a colour per engine. Writes
 * dir/base.dat and dir/base.gp, then runs gnuplot for base.png and
 * base.svg. Returns 0, -ENOENT when gnuplot is not on PATH (the .dat and
 * .gp are written), or a negative code with why. */
int gnx_compare_chart_write(const char *dir, const char *base, const struct gnx_cmp *c,
                            const char *const *labels, char *why, size_t len);

#endif
