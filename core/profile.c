/* SPDX-License-Identifier: MIT */
/* core/profile.c: the serial profile, from the traces of serial's runs. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"

#define GNX_PROFILE_MAX_STAGES 64

int gnx_profile_init(struct gnx_profile *p, const struct gnx_workload *wl, uint64_t items) {
  memset(p, 0, sizeof *p);
  if (wl->n_stages + 1 > GNX_PROFILE_MAX_STAGES || items == 0) {
    return -EINVAL;
  }
  size_t n = (size_t)items * (wl->n_stages + 1);
  const char **names = calloc(wl->n_stages + 1, sizeof *names);
  p->cost_s = calloc(n, sizeof *p->cost_s);
  p->min_s = calloc(n, sizeof *p->min_s);
  if (!names || !p->cost_s || !p->min_s) {
    free(names);
    gnx_profile_free(p);
    return -ENOMEM;
  }
  for (unsigned s = 0; s < wl->n_stages; s++) {
    names[s] = wl->stages[s].name;
  }
  names[wl->n_stages] = wl->sink_name;
  p->names = names;
  p->n_stages = wl->n_stages;
  p->items = items;
  return 0;
}

int gnx_profile_add_trace(struct gnx_profile_builder *b, const struct gnx_trace *t) {
  struct gnx_profile *p = &b->profile;
  size_t n = (size_t)p->items * (p->n_stages + 1);
  double *more = realloc(b->samples, (b->n_reps + 1) * n * sizeof *more);
  if (!more) {
    return -ENOMEM;
  }
  b->samples = more;
  double *rep = more + b->n_reps * n;
  for (size_t k = 0; k < n; k++) {
    rep[k] = NAN; /* a span the trace dropped */
  }
  for (uint32_t w = 0; w < t->n_workers; w++) {
    const struct gnx_trace_worker *tw = t->workers[w];
    for (uint32_t k = 0; k < tw->len; k++) {
      const struct gnx_span *sp = &tw->spans[k];
      if (sp->kind != GNX_SPAN_EXEC || sp->item >= p->items || sp->stage > p->n_stages) {
        continue;
      }
      double c = (double)(sp->t1 - sp->t0) / 1e9;
      if (sp->stage == p->n_stages) {
        c = c > p->sink_wait_s ? c - p->sink_wait_s : 0;
      }
      rep[(size_t)sp->item * (p->n_stages + 1) + sp->stage] = c;
    }
  }
  b->n_reps++;
  return 0;
}

static int gnx__dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The median and the minimum of one (item, stage) over the repetitions
 * that saw it; NAN when none did. */
static void gnx__cell_stats(const struct gnx_profile_builder *b, size_t k, size_t n, double *med,
                            double *min) {
  double v[64];
  unsigned m = 0;
  for (unsigned r = 0; r < b->n_reps && m < 64; r++) {
    double x = b->samples[r * n + k];
    if (!isnan(x)) {
      v[m++] = x;
    }
  }
  qsort(v, m, sizeof v[0], gnx__dbl_cmp);
  *med = m ? (m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2) : NAN;
  *min = m ? v[0] : NAN;
}

/* A cost no repetition saw: the stage's median over the items. */
static void gnx__fill_missing(double *col, size_t stride, uint64_t items, double *tmp) {
  uint64_t m = 0;
  for (uint64_t i = 0; i < items; i++) {
    if (!isnan(col[i * stride])) {
      tmp[m++] = col[i * stride];
    }
  }
  qsort(tmp, m, sizeof *tmp, gnx__dbl_cmp);
  for (uint64_t i = 0; i < items && m; i++) {
    col[i * stride] = isnan(col[i * stride]) ? tmp[m / 2] : col[i * stride];
  }
}

/* The repetition whose total cost is the median of the repetitions'. */
static unsigned gnx__median_rep(const struct gnx_profile_builder *b, size_t n) {
  double tot[64];
  unsigned m = b->n_reps < 64 ? b->n_reps : 64;
  for (unsigned r = 0; r < m; r++) {
    tot[r] = 0;
    for (size_t k = 0; k < n; k++) {
      double x = b->samples[r * n + k];
      tot[r] += isnan(x) ? 0 : x;
    }
  }
  unsigned best = 0;
  for (unsigned r = 0; r < m; r++) { /* the lower median: fewer above it than below */
    unsigned below = 0, above = 0;
    for (unsigned q = 0; q < m; q++) {
      below += tot[q] < tot[r];
      above += tot[q] > tot[r];
    }
    if (below <= (m - 1) / 2 && above <= m / 2) {
      best = r;
      break;
    }
  }
  return best;
}

int gnx_profile_finish(struct gnx_profile_builder *b) {
  struct gnx_profile *p = &b->profile;
  size_t stride = p->n_stages + 1, n = (size_t)p->items * stride;
  if (b->n_reps == 0) {
    return -ENODATA;
  }
  /* Typical costs are those of the median repetition, not each item's
   * median: a run's disturbances fall on different items in every
   * repetition, so per-item medians describe a run quieter than any that
   * happened, and a prediction from them misses by the host's noise. */
  unsigned med = gnx__median_rep(b, n);
  for (size_t k = 0; k < n; k++) {
    double typical;
    gnx__cell_stats(b, k, n, &typical, &p->min_s[k]);
    double x = b->samples[med * n + k];
    p->cost_s[k] = isnan(x) ? typical : x;
  }
  double *tmp = malloc(p->items * sizeof *tmp);
  if (!tmp) {
    return -ENOMEM;
  }
  for (unsigned s = 0; s < stride; s++) {
    gnx__fill_missing(p->cost_s + s, stride, p->items, tmp);
    gnx__fill_missing(p->min_s + s, stride, p->items, tmp);
  }
  free(tmp);
  for (size_t k = 0; k < n; k++) {
    if (isnan(p->cost_s[k])) {
      return -ENODATA; /* a stage no repetition traced at all */
    }
  }
  return 0;
}

static double gnx__sum(const double *c, const struct gnx_profile *p, unsigned s) {
  double sum = 0;
  for (uint64_t i = 0; c && i < p->items; i++) {
    sum += c[i * (p->n_stages + 1) + s];
  }
  return sum;
}

double gnx_profile_stage_s(const struct gnx_profile *p, unsigned s) {
  return gnx__sum(p->cost_s, p, s);
}

double gnx_profile_total_s(const struct gnx_profile *p) {
  double sum = 0;
  for (unsigned s = 0; s <= p->n_stages; s++) {
    sum += gnx_profile_stage_s(p, s);
  }
  return sum + p->sink_wait_s * (double)p->items;
}

double gnx_profile_min_total_s(const struct gnx_profile *p) {
  double sum = 0;
  for (unsigned s = 0; s <= p->n_stages; s++) {
    sum += gnx__sum(p->min_s ? p->min_s : p->cost_s, p, s);
  }
  return sum + p->sink_wait_s * (double)p->items;
}

void gnx_profile_free(struct gnx_profile *p) {
  free(p->cost_s);
  free(p->min_s);
  free((void *)p->names);
  memset(p, 0, sizeof *p);
}

void gnx_profile_builder_free(struct gnx_profile_builder *b) {
  gnx_profile_free(&b->profile);
  free(b->samples);
  memset(b, 0, sizeof *b);
}
