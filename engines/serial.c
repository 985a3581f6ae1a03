/* SPDX-License-Identifier: MIT */
/* engines/serial.c: one thread, item after item, stage after stage.
 * The baseline every other engine is compared and verified against. */
#include "gnx/engine.h"

static int serial_run(struct gnx_run *run) {
  const struct gnx_workload *wl = run->wl;
  struct gnx_worker w;
  struct gnx_buf a = GNX_BUF_INIT, b = GNX_BUF_INIT;
  int rc = gnx_worker_init(&w, run, 0, "serial", 0, wl->n_stages - 1);
  if (rc < 0) {
    return rc;
  }
  rc = gnx_worker_enter(&w);
  gnx_run_started(run);
  for (uint64_t i = 0; rc == 0 && i < run->info->items; i++) {
    rc = gnx_run_check(run);
    if (rc == 0) {
      rc = gnx_worker_run_stages(&w, i, 0, wl->n_stages - 1, &a, &b);
    }
    if (rc == 0) {
      rc = gnx_run_deliver(run, &w, i, &a, 0);
    }
  }
  gnx_worker_exit(&w);
  gnx_buf_free(&a);
  gnx_buf_free(&b);
  return rc;
}

/* The model: one worker runs every stage and the sink, item after item. */
static int serial_model(const struct gnx_model_in *in, const struct gnx_params *cfg,
                        double *wall_s) {
  (void)cfg;
  unsigned n = in->profile->n_stages;
  struct gnx_sim sim = {.n_phases = 1,
                        .phase = {{.lo = 0, .hi = n, .workers = 1, .in_order = 1,
                                   .extra_s = (n + 1) * in->machine->span_s}}};
  return gnx_sim_run(&sim, in, wall_s);
}

const struct gnx_engine gnx_engine_serial = {
    .abi = GNX_ENGINE_ABI,
    .name = "serial",
    .summary = "one thread, item after item, stage after stage (the baseline)",
    .run = serial_run,
    .model = serial_model,
};
