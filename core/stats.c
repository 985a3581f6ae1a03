/* SPDX-License-Identifier: MIT */
/* core/stats.c: median with a distribution-free confidence interval.
 *
 * Benchmark times are skewed (a run can only be slowed down), so the median
 * and an interval from order statistics are used rather than mean +- t*sd:
 * [x_(j), x_(n-1-j)] covers the true median with probability
 * P(j <= B <= n-1-j), B ~ Binomial(n, 1/2). We take the narrowest such
 * interval with coverage >= 95 % and report its exact coverage; with fewer
 * than 6 samples even [min, max] covers less than 95 %, and the reported
 * level says so. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"

static int gnx__cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* P(B <= k) for B ~ Binomial(n, 1/2). */
static double gnx__binom_cdf_half(size_t n, size_t k) {
  double p = 0, term = pow(0.5, (double)n); /* C(n,0) / 2^n */
  for (size_t i = 0; i <= k && i <= n; i++) {
    p += term;
    term = term * (double)(n - i) / (double)(i + 1);
  }
  return p;
}

void gnx_stats_compute(const double *x, size_t n, struct gnx_stats *out) {
  gnx_stats_compute_at(x, n, GNX_STATS_LEVEL, out);
}

size_t gnx_stats_min_n(double level) {
  size_t n = 1;
  while (n < 64 && 1 - 2 * gnx__binom_cdf_half(n, 0) < level) {
    n++;
  }
  return n;
}

int gnx_stats_overlap(double a_lo, double a_hi, double b_lo, double b_hi) {
  return a_lo <= b_hi && b_lo <= a_hi;
}

void gnx_stats_ratio(const double *a, const double *b, size_t n, double level,
                     struct gnx_stats *out) {
  double *r = malloc((n ? n : 1) * sizeof *r);
  size_t k = 0;
  for (size_t i = 0; r && i < n; i++) {
    if (a[i] > 0 && b[i] > 0) { /* false for NaN */
      r[k++] = a[i] / b[i];
    }
  }
  gnx_stats_compute_at(r, r ? k : 0, level, out);
  free(r);
}

int gnx_stats_tie(const struct gnx_stats *ratio, double margin) {
  if (ratio->n == 0 || !(ratio->lo <= 1 && ratio->hi >= 1)) {
    return 0;
  }
  return ratio->level >= 0.95 && ratio->lo >= 1 / margin && ratio->hi <= margin ? 2 : 1;
}

void gnx_stats_compute_at(const double *x, size_t n, double level, struct gnx_stats *out) {
  memset(out, 0, sizeof *out);
  out->n = n;
  if (n == 0) {
    out->median = out->min = out->max = out->mean = out->stddev = out->cv = NAN;
    out->lo = out->hi = out->level = out->mad = NAN;
    return;
  }
  double *s = malloc(n * sizeof *s);
  if (!s) {
    out->median = NAN;
    return;
  }
  memcpy(s, x, n * sizeof *s);
  qsort(s, n, sizeof *s, gnx__cmp_double);
  out->min = s[0];
  out->max = s[n - 1];
  out->median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    sum += s[i];
  }
  out->mean = sum / (double)n;
  double ss = 0;
  for (size_t i = 0; i < n; i++) {
    ss += (s[i] - out->mean) * (s[i] - out->mean);
  }
  out->stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
  out->cv = out->mean > 0 ? out->stddev / out->mean : 0;
  /* [s[j], s[n-1-j]] covers the median with probability 1 - 2 P(B <= j):
   * take the narrowest interval that still reaches the level. */
  size_t j = 0;
  while (j + 1 <= (n - 1) / 2 && 1 - 2 * gnx__binom_cdf_half(n, j + 1) >= level) {
    j++;
  }
  out->lo = s[j];
  out->hi = s[n - 1 - j];
  out->level = n == 1 ? 0 : 1 - 2 * gnx__binom_cdf_half(n, j);
  /* MAD: the median of |x - median|, reusing the sorted copy */
  for (size_t i = 0; i < n; i++) {
    s[i] = fabs(s[i] - out->median);
  }
  qsort(s, n, sizeof *s, gnx__cmp_double);
  out->mad = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  for (size_t i = 0; n >= 3 && out->mad > 0 && i < n; i++) {
    out->n_outliers += s[i] / (1.4826 * out->mad) > GNX_STATS_OUTLIER_Z;
  }
  free(s);
}

size_t gnx_stats_outliers(const double *x, size_t n, unsigned char *flag) {
  memset(flag, 0, n);
  if (n < 3) {
    return 0;
  }
  struct gnx_stats s;
  gnx_stats_compute(x, n, &s);
  if (!(s.mad > 0)) {
    return 0; /* half the samples are equal: no scale to judge by */
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    double z = fabs(x[i] - s.median) / (1.4826 * s.mad);
    if (z > GNX_STATS_OUTLIER_Z) {
      flag[i] = 1;
      k++;
    }
  }
  return k;
}

/* The permutation distribution of U without ties: c[m][k][u] = number of
 * orderings of m x's and k y's with U = u; the largest value either is an
 * x (it beats all k y's: U += k) or a y (U unchanged). */
static double *gnx__mwu_counts(size_t nx, size_t ny) {
  size_t U = nx * ny + 1;
  double *c = calloc((nx + 1) * (ny + 1) * U, sizeof *c);
  if (!c) {
    return NULL;
  }
#define GNX__C(m, k, u) c[((m) * (ny + 1) + (k)) * U + (u)]
  for (size_t m = 0; m <= nx; m++) {
    for (size_t k = 0; k <= ny; k++) {
      if (m == 0 || k == 0) {
        GNX__C(m, k, 0) = 1;
        continue;
      }
      for (size_t u = 0; u <= m * k; u++) {
        double v = GNX__C(m, k - 1, u);
        if (u >= k) {
          v += GNX__C(m - 1, k, u - k);
        }
        GNX__C(m, k, u) = v;
      }
    }
  }
  return c;
}

int gnx_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny,
                           struct gnx_mwu *out) {
  memset(out, 0, sizeof *out);
  if (nx == 0 || ny == 0) {
    out->u = out->z = out->p = NAN;
    return -EINVAL;
  }
  size_t N = nx + ny;
  double u = 0;
  int ties = 0;
  for (size_t i = 0; i < nx; i++) {
    for (size_t j = 0; j < ny; j++) {
      u += x[i] > y[j] ? 1 : x[i] == y[j] ? 0.5 : 0;
    }
  }
  /* tie correction: sum over groups of equal values of t^3 - t */
  double *all = malloc(N * sizeof *all);
  if (!all) {
    return -ENOMEM;
  }
  memcpy(all, x, nx * sizeof *all);
  memcpy(all + nx, y, ny * sizeof *all);
  qsort(all, N, sizeof *all, gnx__cmp_double);
  double tsum = 0;
  for (size_t i = 0; i < N;) {
    size_t j = i;
    while (j < N && all[j] == all[i]) {
      j++;
    }
    double t = (double)(j - i);
    tsum += t * t * t - t;
    ties |= j - i > 1;
    i = j;
  }
  free(all);
  out->u = u;
  double mu = (double)nx * (double)ny / 2;
  if (!ties && N <= 40) {
    double *c = gnx__mwu_counts(nx, ny);
    if (!c) {
      return -ENOMEM;
    }
    size_t umax = nx * ny, ui = (size_t)u;
    double total = 0, le = 0, ge = 0;
    for (size_t k = 0; k <= umax; k++) {
      double v = c[(nx * (ny + 1) + ny) * (umax + 1) + k];
      total += v;
      le += k <= ui ? v : 0;
      ge += k >= ui ? v : 0;
    }
    free(c);
    out->exact = 1;
    out->p = fmin(1, 2 * fmin(le, ge) / total);
    return 0;
  }
  double var = (double)nx * (double)ny / 12 *
               ((double)(N + 1) - tsum / ((double)N * (double)(N - 1)));
  if (!(var > 0)) {
    out->p = 1; /* every value equal: no evidence of a difference */
    return 0;
  }
  double d = fmax(0, fabs(u - mu) - 0.5); /* continuity correction */
  out->z = (u >= mu ? d : -d) / sqrt(var);
  out->p = fmin(1, erfc(fabs(out->z) / sqrt(2)));
  return 0;
}

double gnx_stats_geomean(const double *x, size_t n) {
  if (n == 0) {
    return NAN;
  }
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(x[i] > 0)) {
      return NAN;
    }
    s += log(x[i]);
  }
  return exp(s / (double)n);
}
