/* SPDX-License-Identifier: MIT */
/* core/profile.c: the serial profile, from the traces of serial's runs. */
#include <errno.h>
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
  p->cost_s = malloc(n * sizeof *p->cost_s);
  if (!names || !p->cost_s) {
    free(names);
    free(p->cost_s);
    p->cost_s = NULL;
    return -ENOMEM;
  }
  for (unsigned s = 0; s < wl->n_stages; s++) {
    names[s] = wl->stages[s].name;
  }
  names[wl->n_stages] = wl->sink_name;
  p->names = names;
  p->n_stages = wl->n_stages;
  p->items = items;
  for (size_t k = 0; k < n; k++) {
    p->cost_s[k] = -1;
  }
  return 0;
}

void gnx_profile_add_trace(struct gnx_profile *p, const struct gnx_trace *t) {
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
      double *slot = &p->cost_s[(size_t)sp->item * (p->n_stages + 1) + sp->stage];
      if (*slot < 0 || c < *slot) {
        *slot = c;
      }
    }
  }
}

static int gnx__dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int gnx_profile_finish(struct gnx_profile *p) {
  double *col = malloc(p->items * sizeof *col);
  if (!col) {
    return -ENOMEM;
  }
  int rc = 0;
  for (unsigned s = 0; s <= p->n_stages && rc == 0; s++) {
    uint64_t n = 0, missing = 0;
    for (uint64_t i = 0; i < p->items; i++) {
      double c = p->cost_s[i * (p->n_stages + 1) + s];
      if (c >= 0) {
        col[n++] = c;
      } else {
        missing++;
      }
    }
    if (n == 0) {
      rc = -ENODATA;
      break;
    }
    if (missing) {
      qsort(col, n, sizeof *col, gnx__dbl_cmp);
      for (uint64_t i = 0; i < p->items; i++) {
        double *c = &p->cost_s[i * (p->n_stages + 1) + s];
        *c = *c >= 0 ? *c : col[n / 2];
      }
    }
  }
  free(col);
  return rc;
}

double gnx_profile_stage_s(const struct gnx_profile *p, unsigned s) {
  double sum = 0;
  for (uint64_t i = 0; i < p->items; i++) {
    sum += p->cost_s[i * (p->n_stages + 1) + s];
  }
  return sum;
}

double gnx_profile_total_s(const struct gnx_profile *p) {
  double sum = 0;
  for (unsigned s = 0; s <= p->n_stages; s++) {
    sum += gnx_profile_stage_s(p, s);
  }
  return sum + p->sink_wait_s * (double)p->items;
}

void gnx_profile_free(struct gnx_profile *p) {
  free(p->cost_s);
  free((void *)p->names);
  memset(p, 0, sizeof *p);
}
