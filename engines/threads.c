/* SPDX-License-Identifier: MIT */
/* engines/threads.c: a pipeline of worker threads, one or more per stage,
 * bounded queues between stages, in-order delivery to the sink on the
 * harness thread (engines/common/pipeline.c does the work). */
#include "common/pipeline.h"
#include "gnx/engine.h"

static const struct gnx_option threads_options[] = {
    GNX_PIPELINE_OPTIONS,
    {"item-delay-us", GNX_OPT_U64, "0",
     "sleep this long per item at the sink, to slow the engine on purpose (pipelining hides it "
     "until it exceeds the slowest stage's time per item)", 0,
     10000000, 0},
    GNX_OPTIONS_END,
};

static int threads_deliver(void *arg, struct gnx_worker *consumer, uint64_t item,
                           struct gnx_buf *buf) {
  struct gnx_run *run = consumer->run;
  uint64_t delay_us = *(const uint64_t *)arg;
  if (delay_us) {
    gnx_sleep_ns(delay_us * 1000);
  }
  return gnx_run_deliver(run, consumer, item, buf, 0);
}

static int threads_run(struct gnx_run *run) {
  const struct gnx_workload *wl = run->wl;
  struct gnx_pipeline_cfg cfg;
  int rc = gnx_pipeline_cfg_parse(run, &cfg);
  if (rc < 0) {
    return rc;
  }
  /* The harness thread is the sink: worker 0; the stage threads are 1..N. */
  struct gnx_worker sink;
  rc = gnx_worker_init(&sink, run, 0, "sink", wl->n_stages, wl->n_stages);
  if (rc == 0) {
    rc = gnx_worker_enter(&sink);
  }
  uint64_t delay_us = gnx_param_u64(run->params, "item-delay-us");
  if (rc == 0) {
    rc = gnx_pipeline_run(run, &cfg, 1, &sink, threads_deliver, &delay_us);
  }
  gnx_worker_exit(&sink);
  return rc;
}

/* The model: the pipeline's schedule (engines/common/pipeline.c), with the
 * deliberate delay at the sink. */
static int threads_model(const struct gnx_model_in *in, const struct gnx_params *cfg,
                         double *wall_s) {
  struct gnx_pipeline_cfg pc;
  char why[256];
  int rc = gnx_pipeline_cfg_read(cfg, in->profile->names, in->profile->n_stages, in->cpus, &pc,
                                 why, sizeof why);
  if (rc < 0) {
    return rc;
  }
  struct gnx_sim sim;
  gnx_pipeline_sim(&pc, in, &sim);
  sim.phase[sim.n_phases - 1].sleep_s = (double)gnx_param_u64(cfg, "item-delay-us") / 1e6;
  return gnx_sim_run(&sim, in, wall_s);
}

static const struct gnx_knob threads_knobs[] = {
    {"stage-workers", GNX_KNOB_STAGES, 0, NULL},
    {"queue-depth", GNX_KNOB_DEPTH, GNX_PIPELINE_QUEUE_DEPTH, NULL},
    GNX_KNOBS_END,
};

const struct gnx_engine gnx_engine_threads = {
    .abi = GNX_ENGINE_ABI,
    .name = "threads",
    .summary = "a pipeline of worker threads per stage, bounded queues, in-order sink",
    .options = threads_options,
    .run = threads_run,
    .model = threads_model,
    .knobs = threads_knobs,
};
