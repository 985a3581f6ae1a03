/* SPDX-License-Identifier: MIT */
/* core/stats.h: robust statistics of repeated measurements. */
#ifndef GNX_HARNESS_STATS_H
#define GNX_HARNESS_STATS_H

#include <stddef.h>

struct gnx_stats {
  size_t n;
  double median, min, max, mean, stddev;
  double cv;         /* stddev / mean */
  double lo, hi;     /* distribution-free interval of the median */
  double level;      /* its exact coverage: >= 0.95 once n >= 6, less below */
  double mad;        /* median absolute deviation from the median (raw, unscaled) */
  size_t n_outliers; /* samples flagged by gnx_stats_outliers */
};

/* A cell whose CV is above this is too noisy to trust: on a quiet machine
 * repeated runs of these workloads vary by 1-3 %; above 5 % something
 * else (another process, frequency scaling, migrations) is being measured. */
#define GNX_STATS_NOISY_CV 0.05

/* Outliers by the robust median/MAD rule: |x - median| / (1.4826 MAD) > 3.5
 * (Iglewicz and Hoaglin's modified z-score; 1.4826 makes MAD estimate the
 * standard deviation of a normal sample). */
#define GNX_STATS_OUTLIER_Z 3.5

/* The intervals' coverage unless a run looked at its data twice (adaptive
 * repetitions, docs/statistics.md): then each look's is 1 - (1 - 0.95) / 2. */
#define GNX_STATS_LEVEL 0.95
#define GNX_STATS_LEVEL_TWO_LOOKS 0.975

/* Median, its order-statistics confidence interval, CV. x need not be
 * sorted and is not modified; n may be 0 (all fields NaN). The interval is
 * the narrowest whose coverage reaches level (GNX_STATS_LEVEL in the first
 * form); with too few samples, [min, max] and its lower coverage. */
void gnx_stats_compute(const double *x, size_t n, struct gnx_stats *out);
void gnx_stats_compute_at(const double *x, size_t n, double level, struct gnx_stats *out);

/* The fewest samples whose [min, max] covers the median at level (6 for
 * 0.95, 7 for 0.975). */
size_t gnx_stats_min_n(double level);

/* Whether two intervals [lo, hi] overlap. */
int gnx_stats_overlap(double a_lo, double a_hi, double b_lo, double b_hi);

/* Two engines compared round by round: the median of a[i] / b[i] over the
 * rounds where both are positive (NaN marks a failed run), with its
 * interval at level. Pairing cancels what drifted between rounds, so this
 * separates engines that unpaired intervals leave overlapping. */
void gnx_stats_ratio(const double *a, const double *b, size_t n, double level,
                     struct gnx_stats *out);

/* The verdict on such a ratio: 0 separated (the interval excludes 1),
 * 1 tied, 2 equivalent (tied, and the whole interval within
 * [1 / margin, margin] at a coverage of 95 % or more). The one rule the
 * recommendation and the adaptive repetitions share. */
#define GNX_STATS_EQUIVALENT 1.05
int gnx_stats_tie(const struct gnx_stats *ratio, double margin);

/* flag[i] = 1 when x[i] is an outlier by the median/MAD rule above (none
 * when MAD is 0 or n < 3). Returns how many were flagged. */
size_t gnx_stats_outliers(const double *x, size_t n, unsigned char *flag);

/* Mann-Whitney U test of two independent samples, two-sided. u is U of
 * sample x (the number of pairs with x > y, ties counting 1/2); z the normal
 * score (0 when exact). p is exact (the permutation distribution of U, by
 * counting) when there are no ties and nx + ny <= 40, else the normal
 * approximation with tie-corrected variance and continuity correction.
 * Returns 0, or GNX-style -EINVAL when a sample is empty, -ENOMEM. */
struct gnx_mwu {
  double u, z, p;
  int exact;
};
int gnx_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny,
                           struct gnx_mwu *out);

/* Geometric mean of positive values (NaN when n == 0 or any x <= 0). */
double gnx_stats_geomean(const double *x, size_t n);

#endif
