/* SPDX-License-Identifier: MIT */
/* core/run.h: the run's bookkeeping as the runner sees it. Engines reach it
 * only through the gnx_run_*() calls of gnx/engine.h. */
#ifndef GNX_CORE_RUN_H
#define GNX_CORE_RUN_H

#include <jansson.h>
#include <stdint.h>

#include "gnx/engine.h"

/* The most workers a run keeps buffer hints for (the runner's table and
 * a rank's --buf-maps words). */
#define GNX_BUF_HINTS_MAX 64

struct gnx_buf_hint {
  char name[GNX_TRACE_NAME_MAX];      /* the worker's, "procpool.w1" */
  uint64_t sizes[GNX_TRACE_BUF_MAPS]; /* 0: none */
};

struct gnx_run_core {
  void *sink;              /* the workload's sink, open while the engine runs */
  uint64_t t_begin;        /* the engine's run() was called */
  uint64_t t_start;        /* every worker past the start barrier */
  uint64_t t_end;          /* the last item delivered */
  uint64_t delivered;      /* items the sink has taken */
  uint64_t sink_bytes;     /* their bytes */
  long child_maxrss_kb;    /* largest peak RSS among reaped children */
  /* Set by the runner after gnx_run_begin: bit s, stage s holds the
   * process's lock while it runs (bit n_stages: the sink; core/gil.h);
   * the foreground consumer's CPU per item, spun after each sink_put. */
  uint64_t gil_mask;
  uint64_t consumer_ns;
  /* Set by the runner: per worker, by name, the buffer sizes its process
   * mapped in the engine's previous run of this cell (gnx_trace_worker.
   * buf_maps), for a forked worker of that name to make at its start;
   * NULL when there was none. By name, not index: a rank started by an
   * outside launcher (mpi) keeps the name it has in the harness's trace,
   * not its position there. */
  const struct gnx_buf_hint *buf_hints;
  unsigned n_buf_hints;
};

/* Attach core to run, empty its failure record, open the sink and stamp
 * t_begin. Returns 0 or the sink's code (recorded). */
int gnx_run_begin(struct gnx_run *run, struct gnx_run_core *core);

/* After the engine returned engine_rc: the run's code (the first failure
 * recorded wins over what the engine returned); close the sink, with
 * *summary (owned by the caller) when the run succeeded; stamp the times
 * an engine that failed early did not reach. */
int gnx_run_end(struct gnx_run *run, int engine_rc, json_t **summary);

/* The first failure's message ("" when none was recorded). */
const char *gnx_run_errmsg(const struct gnx_run *run);

/* "killed by signal 9 (SIGKILL)", "exited with status 3". */
void gnx_describe_status(int status, char *buf, size_t len);

#endif
