/* SPDX-License-Identifier: MIT */
/* core/profile.h: the serial profile (gnx/model.h) made from traces, the
 * machine constants measured at start-up, and the tuner: a hill climb on
 * an engine's model over its "auto" sizing options. */
#ifndef GNX_CORE_PROFILE_H
#define GNX_CORE_PROFILE_H

#include <stddef.h>

#include "gnx/engine.h"

/* ---- profile --------------------------------------------------------------- */

/* A profile being built from serial's repetitions: each one's costs are
 * kept, and finish() takes the median repetition's (the profile's cost_s:
 * a typical run, its noise included) and per item and stage the cheapest
 * (min_s: what noise cannot inflate, for bounds). */
struct gnx_profile_builder {
  struct gnx_profile profile;
  double *samples; /* n_reps x items x (n_stages + 1), NAN: not traced */
  unsigned n_reps;
};

/* An empty profile of `items` items over the workload's stages (names are
 * borrowed). Returns 0 or -ENOMEM. */
int gnx_profile_init(struct gnx_profile *p, const struct gnx_workload *wl, uint64_t items);

/* Take the costs of one serial repetition from its trace. The sink's cost
 * is its exec span less profile.sink_wait_s. Returns 0 or -ENOMEM. */
int gnx_profile_add_trace(struct gnx_profile_builder *b, const struct gnx_trace *t);

/* Compute cost_s and min_s from the repetitions so far (a cost a trace
 * dropped takes the stage's median). Returns 0, or -ENODATA when a stage
 * has no cost at all. */
int gnx_profile_finish(struct gnx_profile_builder *b);

/* The sum over items of stage s's cost (s = n_stages: the sink), and of
 * every stage's with the sink waits: typical, and cheapest. */
double gnx_profile_stage_s(const struct gnx_profile *p, unsigned s);
double gnx_profile_total_s(const struct gnx_profile *p);
double gnx_profile_min_total_s(const struct gnx_profile *p);

void gnx_profile_free(struct gnx_profile *p);
void gnx_profile_builder_free(struct gnx_profile_builder *b);

/* ---- machine constants ------------------------------------------------------ */

/* Measure this machine's constants (about 30 ms). A figure that cannot be
 * measured is NAN. */
void gnx_machine_measure(struct gnx_machine *m);

/* ---- tuning ------------------------------------------------------------------ */

#define GNX_TUNE_MAX_KNOBS 8
#define GNX_TUNE_MAX_STEPS 64

struct gnx_tune_step {
  char change[96];  /* "transform=2", "workers=2", or "start" */
  double wall_s;    /* predicted after it */
};

struct gnx_tune {
  int tuned;                               /* some option was auto */
  unsigned n;                              /* options chosen (tuned or given) */
  char name[GNX_TUNE_MAX_KNOBS][32];
  char value[GNX_TUNE_MAX_KNOBS][160];
  int given[GNX_TUNE_MAX_KNOBS];           /* the user set it: kept as it was */
  unsigned n_steps;
  struct gnx_tune_step steps[GNX_TUNE_MAX_STEPS];
  char stop[192];                          /* why the climb stopped */
  double wall_s;                           /* predicted wall of the choice */
};

/* Choose engine e's "auto" options for the profile: start small (one
 * worker each, depths at their floors), take the one step that lowers the
 * predicted wall most, stop when none gains 2 % or every knob is at the
 * CPUs' limit. Options the user gave stay as given. Returns 0, or a
 * negative code (the engine has no model: -ENOSYS). */
int gnx_tune_engine(const struct gnx_engine *e, const struct gnx_params *given,
                    const struct gnx_model_in *in, struct gnx_tune *out);

/* Predict e's wall for params whose auto options are replaced by the
 * choices in t (t may be NULL: none was auto). */
int gnx_tune_predict(const struct gnx_engine *e, const struct gnx_params *given,
                     const struct gnx_tune *t, const struct gnx_model_in *in, double *wall_s);

/* A copy of `given` with the tuned values in place of "auto": the params
 * an engine runs with. v must hold given->count entries; the strings stay
 * in t. */
void gnx_tune_apply(const struct gnx_params *given, const struct gnx_tune *t,
                    struct gnx_param *v, struct gnx_params *out);

#endif
