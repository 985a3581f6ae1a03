/* SPDX-License-Identifier: MIT */
/* harness/plan.h: the model's part of one (workload, size) of a run.
 *
 * Serial runs first in every cell; its first run is the profile from which
 * each engine's "auto" options are tuned before that engine runs at all.
 * After the repetitions, the profile is rebuilt from every serial
 * repetition (each item's and stage's cheapest) and every engine's chosen
 * configuration is predicted from it, at the run's CPUs and at more, so the
 * report shows predicted beside measured and the recommendation can say
 * what more cores would change. */
#ifndef GNX_HARNESS_PLAN_H
#define GNX_HARNESS_PLAN_H

#include <jansson.h>

#include "core/profile.h"
#include "harness/cli.h"

struct gnx_plan {
  const struct gnx_workload *wl;
  uint64_t items;
  double sink_wait_s;
  const struct gnx_machine *machine;
  unsigned cpus;
  int have_profile;
  struct gnx_profile_builder build;
  struct gnx_profile profile;       /* build.profile once finished */
  size_t n_engines;
  const struct gnx_engine *engines[GNX_CLI_MAX];
  int tuned[GNX_CLI_MAX];                 /* tune[e] holds a choice */
  struct gnx_tune tune[GNX_CLI_MAX];
  struct gnx_param v[GNX_CLI_MAX][64];    /* the params engines run with */
  struct gnx_params params[GNX_CLI_MAX];
};

void gnx_plan_init(struct gnx_plan *p, const struct gnx_workload *wl, uint64_t items,
                   double sink_wait_s, const struct gnx_machine *m, unsigned cpus);
void gnx_plan_free(struct gnx_plan *p);

/* Fold one serial repetition's trace into the profile (bytes: what its
 * sink took). Returns 0 or a negative code (no usable trace). */
int gnx_plan_add_serial(struct gnx_plan *p, const struct gnx_trace *t, uint64_t sink_bytes);

/* Engine e (its index in the run) with the options the user gave: tune
 * its auto options on the profile so far. *params is what it runs with:
 * given itself when there is nothing to tune (no model, no profile). */
void gnx_plan_tune(struct gnx_plan *p, size_t e, const struct gnx_engine *eng,
                   const struct gnx_params *given, const struct gnx_params **params);

/* The report's view of engine e: {"tuning": ..., "prediction": {"wall_s",
 * "error", "scaling": [{"cores", "wall_s", "config"}...]}}: the prediction
 * of what it ran with (ran), against the measured median wall (NAN: not
 * measured), and at other core counts tuned again from what the user
 * gave (given). NULL without a model. */
json_t *gnx_plan_cell_json(struct gnx_plan *p, size_t e, const struct gnx_params *given,
                           const struct gnx_params *ran, double measured_s);

/* The serial profile, for the serial cell ({"stages", "items", ...}). */
json_t *gnx_plan_profile_json(const struct gnx_plan *p);

#endif
