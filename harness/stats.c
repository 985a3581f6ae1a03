/* SPDX-License-Identifier: MIT */
/* harness/stats.c: median with a distribution-free confidence interval.
 *
 * Benchmark times are skewed (a run can only be slowed down), so the median
 * and an interval from order statistics are used rather than mean +- t*sd:
 * [x_(j), x_(n-1-j)] covers the true median with probability
 * P(j <= B <= n-1-j), B ~ Binomial(n, 1/2). We take the narrowest such
 * interval with coverage >= 95 % and report its exact coverage; with fewer
 * than 6 samples even [min, max] covers less than 95 %, and the reported
 * level says so. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/stats.h"

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
  memset(out, 0, sizeof *out);
  out->n = n;
  if (n == 0) {
    out->median = out->min = out->max = out->mean = out->stddev = out->cv = NAN;
    out->lo = out->hi = out->level = NAN;
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
   * take the narrowest interval that still reaches 95 %. */
  size_t j = 0;
  while (j + 1 <= (n - 1) / 2 && 1 - 2 * gnx__binom_cdf_half(n, j + 1) >= 0.95) {
    j++;
  }
  out->lo = s[j];
  out->hi = s[n - 1 - j];
  out->level = n == 1 ? 0 : 1 - 2 * gnx__binom_cdf_half(n, j);
  free(s);
}
