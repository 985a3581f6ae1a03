/* SPDX-License-Identifier: MIT */
/* harness/plan.c: tuning before a cell runs, predictions after. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "harness/plan.h"
#include "reports/profile.h"

/* Core counts every cell is predicted at, besides the run's own: enough to
 * say what would separate two strategies that tie here. */
static const unsigned gnx__scaling_cores[] = {1, 2, 4, 8, 16, 32, 64};
/* Above this many items a prediction per core count costs more than the
 * run; the run's own count is still predicted. */
#define GNX__SCALING_MAX_ITEMS 20000

void gnx_plan_init(struct gnx_plan *p, const struct gnx_workload *wl, uint64_t items,
                   double sink_wait_s, const struct gnx_machine *m, unsigned cpus) {
  memset(p, 0, sizeof *p);
  p->wl = wl;
  p->items = items;
  p->sink_wait_s = sink_wait_s;
  p->machine = m;
  p->cpus = cpus;
}

void gnx_plan_free(struct gnx_plan *p) {
  gnx_profile_builder_free(&p->build);
  memset(p, 0, sizeof *p);
}

int gnx_plan_add_serial(struct gnx_plan *p, const struct gnx_trace *t, uint64_t sink_bytes) {
  if (p->items == 0) {
    return -ENODATA;
  }
  struct gnx_profile *prof = &p->build.profile;
  if (!prof->cost_s) {
    int rc = gnx_profile_init(prof, p->wl, p->items);
    if (rc < 0) {
      return rc;
    }
    prof->sink_wait_s = p->sink_wait_s;
    prof->bytes_per_item = (double)sink_bytes / (double)p->items;
  }
  int rc = gnx_profile_add_trace(&p->build, t);
  if (rc == 0) {
    rc = gnx_profile_finish(&p->build);
  }
  p->have_profile = rc == 0;
  p->profile = *prof; /* a view: the builder owns the arrays */
  return rc;
}

void gnx_plan_tune(struct gnx_plan *p, size_t e, const struct gnx_engine *eng,
                   const struct gnx_params *given, const struct gnx_params **params) {
  *params = given;
  if (e >= GNX_CLI_MAX || given->count > 64) {
    return;
  }
  p->engines[e] = eng;
  if (!eng->model || !p->have_profile) {
    return;
  }
  struct gnx_model_in in = {&p->profile, p->machine, p->cpus, NULL};
  if (gnx_tune_engine(eng, given, &in, &p->tune[e]) < 0) {
    return; /* the engine runs as configured; the report has no tuning */
  }
  p->tuned[e] = 1;
  gnx_tune_apply(given, &p->tune[e], p->v[e], &p->params[e]);
  *params = &p->params[e];
}

/* Predict engine e at `cores`, tuned again for them (what the user gave
 * stays fixed). Returns the wall, NAN when the model fails. */
static double gnx__predict_at(struct gnx_plan *p, size_t e, const struct gnx_params *given,
                              unsigned cores, struct gnx_tune *t) {
  struct gnx_model_in in = {&p->profile, p->machine, cores, NULL};
  double wall = NAN;
  if (gnx_tune_engine(p->engines[e], given, &in, t) < 0 ||
      gnx_tune_predict(p->engines[e], given, t, &in, &wall) < 0) {
    return NAN;
  }
  return wall;
}

static json_t *gnx__scaling_json(struct gnx_plan *p, size_t e, const struct gnx_params *given) {
  json_t *arr = json_array();
  for (size_t k = 0; k < sizeof gnx__scaling_cores / sizeof gnx__scaling_cores[0] &&
                     p->items <= GNX__SCALING_MAX_ITEMS;
       k++) {
    struct gnx_tune t;
    double wall = gnx__predict_at(p, e, given, gnx__scaling_cores[k], &t);
    if (isfinite(wall)) {
      json_t *cfg = json_object();
      for (unsigned j = 0; j < t.n; j++) {
        json_object_set_new(cfg, t.name[j], json_string(t.value[j]));
      }
      json_array_append_new(arr, json_pack("{s:i, s:f, s:o}", "cores", (int)gnx__scaling_cores[k],
                                           "wall_s", wall, "config", cfg));
    }
  }
  return arr;
}

json_t *gnx_plan_cell_json(struct gnx_plan *p, size_t e, const struct gnx_params *given,
                           const struct gnx_params *ran, double measured_s) {
  if (e >= GNX_CLI_MAX || !p->engines[e] || !p->engines[e]->model || !p->have_profile) {
    return NULL;
  }
  /* the final profile: every serial repetition's cheapest, on the
   * configuration the engine ran with */
  struct gnx_model_in in = {&p->profile, p->machine, p->cpus, NULL};
  double wall = NAN;
  if (gnx_tune_predict(p->engines[e], ran, NULL, &in, &wall) < 0) {
    return NULL;
  }
  json_t *pred = json_pack("{s:f, s:o, s:i, s:o}", "wall_s", wall, "error",
                           isfinite(measured_s) && measured_s > 0
                               ? json_real((measured_s - wall) / measured_s)
                               : json_null(),
                           "cores", (int)p->cpus, "scaling", gnx__scaling_json(p, e, given));
  json_t *out = json_pack("{s:o}", "prediction", pred);
  if (p->tuned[e]) {
    json_object_set_new(out, "tuning", gnx_tune_json(&p->tune[e]));
  }
  return out;
}

json_t *gnx_plan_profile_json(const struct gnx_plan *p) {
  return p->have_profile ? gnx_profile_json(&p->profile) : NULL;
}
