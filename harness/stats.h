/* SPDX-License-Identifier: MIT */
/* harness/stats.h: robust statistics of repeated measurements. */
#ifndef GNX_HARNESS_STATS_H
#define GNX_HARNESS_STATS_H

#include <stddef.h>

struct gnx_stats {
  size_t n;
  double median, min, max, mean, stddev;
  double cv;         /* stddev / mean */
  double lo, hi;     /* distribution-free interval of the median */
  double level;      /* its exact coverage: >= 0.95 once n >= 6, less below */
};

/* Median, its order-statistics confidence interval, CV. x need not be
 * sorted and is not modified; n may be 0 (all fields NaN). */
void gnx_stats_compute(const double *x, size_t n, struct gnx_stats *out);

#endif
