/* SPDX-License-Identifier: MIT */
/* engines/threads.c: a pipeline of worker threads, one or more per stage,
 * bounded queues between stages, in-order delivery to the sink on the
 * harness thread (engines/common/pipeline.c does the work). */
#include <stdio.h>
#include <time.h>

#include "common/pipeline.h"
#include "gnx/engine.h"

static const struct gnx_option threads_options[] = {
    {"stage-workers", GNX_OPT_STR, NULL,
     "worker threads per stage, e.g. transform=2,parse=1 (stage names or numbers; default 1 each)",
     0, 0},
    {"queue-depth", GNX_OPT_U64, "4", "items each queue between two stages holds", 1, 65536},
    {"item-delay-us", GNX_OPT_U64, "0",
     "sleep this long per item at the sink, to slow the engine on purpose (pipelining hides it "
     "until it exceeds the slowest stage's time per item)", 0,
     10000000},
    GNX_OPTIONS_END,
};

struct threads_sink {
  void *sink;
  int rc;        /* the sink's error, when deliver failed */
  uint64_t item; /* and on which item */
  uint64_t delay_us; /* --item-delay-us: a deliberate slowdown, 0 normally */
};

static int threads_deliver(void *arg, struct gnx_worker *consumer, uint64_t item,
                           struct gnx_buf *buf) {
  struct threads_sink *ts = arg;
  if (ts->delay_us) {
    struct timespec d = {(time_t)(ts->delay_us / 1000000), (long)(ts->delay_us % 1000000) * 1000};
    while (nanosleep(&d, &d) != 0) {
    }
  }
  int rc = gnx_sink_deliver(consumer, ts->sink, item, buf, 0);
  if (rc < 0) {
    ts->rc = rc;
    ts->item = item;
  }
  return rc;
}

static int threads_run(struct gnx_run *run) {
  const struct gnx_workload *wl = run->wl;
  run->t_begin = gnx_now_ns();
  struct gnx_pipeline_cfg cfg;
  int rc = gnx_pipeline_cfg_parse(run, &cfg);
  if (rc < 0) {
    return rc;
  }
  /* The harness thread is the sink: worker 0; the stage threads are 1..N. */
  struct gnx_worker sink;
  rc = gnx_worker_init(&sink, run, 0, "sink", wl->n_stages, wl->n_stages);
  if (rc < 0) {
    snprintf(run->errmsg, sizeof run->errmsg, "cannot register the sink worker: %s",
             gnx_strerror(rc));
    return rc;
  }
  struct threads_sink ts = {0};
  ts.delay_us = gnx_param_u64(run->params, "item-delay-us");
  rc = gnx_worker_enter(&sink);
  if (rc == 0) {
    rc = wl->sink_open(run->shared, &ts.sink);
    if (rc < 0) {
      snprintf(run->errmsg, sizeof run->errmsg, "sink %s: cannot open: %s", wl->sink_name,
               gnx_strerror(rc));
    }
  }
  if (rc == 0) {
    rc = gnx_pipeline_run(run, &cfg, 1, &sink, threads_deliver, &ts);
    if (rc < 0 && ts.rc < 0 && run->errmsg[0] == '\0') { /* deliver failed first */
      snprintf(run->errmsg, sizeof run->errmsg, "sink %s failed on item %llu: %s",
               wl->sink_name, (unsigned long long)ts.item, gnx_strerror(rc));
    }
  }
  if (ts.sink) {
    int crc = wl->sink_close(ts.sink, rc == 0 ? &run->summary : NULL);
    if (rc == 0 && crc < 0) {
      rc = crc;
      snprintf(run->errmsg, sizeof run->errmsg, "sink %s: cannot close: %s", wl->sink_name,
               gnx_strerror(rc));
    }
  }
  run->t_end = gnx_now_ns();
  gnx_worker_exit(&sink);
  return rc;
}

const struct gnx_engine gnx_engine_threads = {
    .abi = GNX_ENGINE_ABI,
    .name = "threads",
    .summary = "a pipeline of worker threads per stage, bounded queues, in-order sink",
    .options = threads_options,
    .run = threads_run,
};
