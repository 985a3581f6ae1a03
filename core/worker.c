/* SPDX-License-Identifier: MIT */
/* core/worker.c: the one worker body every engine uses. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "gnx/engine.h"
#include "core/bufcache.h"
#include "core/counters.h"
#include "core/gil.h"
#include "core/pin.h"
#include "core/run.h"

static int gnx__worker_add(struct gnx_worker *w, struct gnx_run *run, int index,
                           const char *name, unsigned lo, unsigned hi, int role) {
  memset(w, 0, sizeof *w);
  w->run = run;
  w->index = index;
  w->stage_lo = lo;
  w->stage_hi = hi;
  w->tw = gnx_trace_worker_add(run->trace, name, role);
  if (!w->tw) {
    return gnx_run_fail(run, GNX_ETRACE,
                        "cannot register worker %s: the trace holds at most %u workers", name,
                        run->trace->max_workers);
  }
  w->tw->cpu_asked = w->tw->cpu_asked_logical = -1;
  for (int i = 0; i < GNX_TRACE_WCTR_MAX; i++) {
    w->tw->wctr[i] = -1; /* not measured */
  }
  return 0;
}

int gnx_worker_init(struct gnx_worker *w, struct gnx_run *run, int index, const char *name,
                    unsigned lo, unsigned hi) {
  return gnx__worker_add(w, run, index, name, lo, hi, lo == hi ? (int)lo : GNX_ROLE_ALL);
}

int gnx_worker_init_transport(struct gnx_worker *w, struct gnx_run *run, int index,
                              const char *name) {
  unsigned sink = run->wl->n_stages; /* serves no stage: lo > hi */
  return gnx__worker_add(w, run, index, name, sink + 1, sink, GNX_ROLE_TRANSPORT);
}

static int gnx__worker_forked(const struct gnx_worker *w) { return getpid() != w->run->main_pid; }

/* A forked worker makes, before its start gate, the buffers its process
 * mapped in its first items last run (core/bufcache.h). */
static void gnx__worker_prefill(const struct gnx_worker *w) {
  const struct gnx_run_core *core = w->run->core;
  for (unsigned i = 0; gnx__worker_forked(w) && core && i < core->n_buf_hints; i++) {
    if (strcmp(core->buf_hints[i].name, w->tw->name) == 0) {
      gnx_buf_cache_prefill(core->buf_hints[i].sizes, GNX_TRACE_BUF_MAPS);
      return;
    }
  }
}

int gnx_worker_enter(struct gnx_worker *w) {
  const struct gnx_workload *wl = w->run->wl;
  char comm[16]; /* prctl keeps 15 characters */
  memcpy(comm, w->tw->name, sizeof comm - 1);
  comm[sizeof comm - 1] = '\0';
  (void)prctl(PR_SET_NAME, comm, 0, 0, 0);
  w->tw->pid = (int32_t)getpid();
  w->tw->tid = (int32_t)gettid();
  gnx_pin_worker_bind(w); /* before sampling cpu_begin: it should show the pin */
  w->tw->cpu_begin = sched_getcpu();
  w->states = calloc(wl->n_stages, sizeof *w->states);
  if (!w->states) {
    gnx_pin_worker_unbind(w);
    return gnx_run_fail(w->run, -ENOMEM, "worker %s could not set up its stage state: %s",
                        w->tw->name, gnx_strerror(-ENOMEM));
  }
  for (unsigned s = w->stage_lo; wl->state_new && s <= w->stage_hi && s < wl->n_stages; s++) {
    int rc = wl->state_new(w->run->shared, s, &w->states[s]);
    if (rc < 0) {
      gnx_worker_exit(w);
      return gnx_run_fail(w->run, rc, "worker %s could not set up stage %s: %s", w->tw->name,
                          wl->stages[s].name, gnx_strerror(rc));
    }
  }
  gnx__worker_prefill(w);
  /* after the states are made: the worker's counters cover its work */
  gnx_counters_worker_begin(w);
  return 0;
}

/* Fault injection fires only in a forked worker: in the harness process it
 * would take the harness down with it. It fires at the first item >= f->item
 * that worker K runs: workers claim items dynamically, so "exactly item I"
 * would depend on which worker the scheduler let claim it. */
static void gnx__fault_maybe(const struct gnx_worker *w, uint64_t item) {
  const struct gnx_fault *f = w->run->fault;
  if (f && f->enabled && f->worker == w->index && item >= f->item && gnx__worker_forked(w)) {
    w->run->trace->status->fault_fired = 1; /* shared: the parent reads it */
    if (f->sig == SIGKILL) {
      raise(SIGKILL);
    }
    abort();
  }
}

int gnx_worker_exec(struct gnx_worker *w, unsigned stage, uint64_t item, const struct gnx_buf *in,
                    struct gnx_buf *out) {
  struct gnx_trace_worker *tw = w->tw;
  const struct gnx_stage_ops *op = &w->run->wl->stages[stage];
  tw->cur_item = item > UINT32_MAX ? GNX_ITEM_NONE : (uint32_t)item;
  tw->cur_stage = (int32_t)stage;
  gnx__fault_maybe(w, item);
  int locked = gnx_gil_take(w, stage, item);
  uint64_t t0 = gnx_now_ns();
  gnx_buf_clear(out);
  int rc = op->run(w->run->shared, w->states ? w->states[stage] : NULL, item, in, out);
  gnx_span_add(tw, t0, gnx_now_ns(), item, (int)stage, GNX_SPAN_EXEC);
  gnx_gil_drop(locked);
  tw->cur_stage = -1;
  if (rc < 0) {
    gnx_run_fail(w->run, rc, "stage %s failed on item %llu in worker %s: %s", op->name,
                 (unsigned long long)item, tw->name, gnx_strerror(rc));
  }
  return rc;
}

int gnx_worker_run_stages(struct gnx_worker *w, uint64_t item, unsigned lo, unsigned hi,
                          struct gnx_buf *a, struct gnx_buf *b) {
  int rc = 0;
  for (unsigned s = lo; rc == 0 && s <= hi; s++) {
    rc = gnx_worker_exec(w, s, item, s ? a : NULL, b);
    gnx_buf_swap(a, b);
  }
  return rc;
}

uint64_t gnx_worker_waited(struct gnx_worker *w, int kind, unsigned stage, uint64_t item,
                           uint64_t t0) {
  uint64_t t1 = gnx_now_ns();
  gnx_span_add(w->tw, t0, t1, item, (int)stage, kind);
  return t1;
}

void gnx_worker_exit(struct gnx_worker *w) {
  if (!w->run) {
    return; /* zeroed: never initialised */
  }
  const struct gnx_workload *wl = w->run->wl;
  if (w->tw) {
    gnx_counters_worker_end(w);
    if (gnx__worker_forked(w)) { /* for the next run's gnx__worker_prefill */
      gnx_buf_maps_take(w->tw->buf_maps, GNX_TRACE_BUF_MAPS);
    }
    w->tw->cpu_end = sched_getcpu();
    gnx_pin_worker_unbind(w);
  }
  if (w->states) {
    for (unsigned s = w->stage_lo; s <= w->stage_hi && s < wl->n_stages; s++) {
      if (w->states[s] && wl->state_free) {
        wl->state_free(w->run->shared, s, w->states[s]);
      }
    }
    free(w->states);
    w->states = NULL;
  }
}
