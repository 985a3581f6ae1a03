/* SPDX-License-Identifier: MIT */
/* harness/worker.c: the one worker body every engine uses. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gnx/engine.h"
#include "core/counters.h"
#include "core/pin.h"

int gnx_worker_init(struct gnx_worker *w, struct gnx_run *run, int index, const char *name,
                    unsigned lo, unsigned hi) {
  memset(w, 0, sizeof *w);
  w->run = run;
  w->index = index;
  w->stage_lo = lo;
  w->stage_hi = hi;
  w->tw = gnx_trace_worker_add(run->trace, name, lo == hi ? (int)lo : -1);
  if (!w->tw) {
    return GNX_ETRACE;
  }
  w->tw->cpu_asked = w->tw->cpu_asked_logical = -1;
  for (int i = 0; i < GNX_TRACE_WCTR_MAX; i++) {
    w->tw->wctr[i] = -1; /* not measured */
  }
  return 0;
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
    return -ENOMEM;
  }
  for (unsigned s = w->stage_lo; wl->state_new && s <= w->stage_hi && s < wl->n_stages; s++) {
    int rc = wl->state_new(w->run->shared, s, &w->states[s]);
    if (rc < 0) {
      gnx_worker_exit(w);
      return rc;
    }
  }
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
  if (f && f->enabled && f->worker == w->index && item >= f->item &&
      getpid() != w->run->main_pid) {
    if (f->sig == SIGKILL) {
      raise(SIGKILL);
    }
    abort();
  }
}

int gnx_worker_exec(struct gnx_worker *w, unsigned stage, uint64_t item, const struct gnx_buf *in,
                    struct gnx_buf *out) {
  gnx__fault_maybe(w, item);
  const struct gnx_stage_ops *op = &w->run->wl->stages[stage];
  uint64_t t0 = gnx_now_ns();
  gnx_buf_clear(out);
  int rc = op->run(w->run->shared, w->states ? w->states[stage] : NULL, item, in, out);
  gnx_span_add(w->tw, t0, gnx_now_ns(), item, (int)stage, GNX_SPAN_EXEC);
  return rc;
}

uint64_t gnx_worker_waited(struct gnx_worker *w, int kind, unsigned stage, uint64_t item,
                           uint64_t t0) {
  uint64_t t1 = gnx_now_ns();
  gnx_span_add(w->tw, t0, t1, item, (int)stage, kind);
  return t1;
}

static void gnx__sleep_ns(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

int gnx_sink_deliver(struct gnx_worker *w, void *sink, uint64_t item, const struct gnx_buf *in,
                     int waited) {
  const struct gnx_workload *wl = w->run->wl;
  uint64_t t0 = gnx_now_ns();
  if (!waited && w->run->info->sink_wait_ns) {
    gnx__sleep_ns(w->run->info->sink_wait_ns);
  }
  int rc = wl->sink_put(sink, item, in);
  gnx_span_add(w->tw, t0, gnx_now_ns(), item, (int)wl->n_stages, GNX_SPAN_EXEC);
  return rc;
}

void gnx_worker_exit(struct gnx_worker *w) {
  const struct gnx_workload *wl = w->run->wl;
  if (w->tw) {
    gnx_counters_worker_end(w);
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

void gnx_describe_status(int status, char *buf, size_t len) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    snprintf(buf, len, "killed by signal %d (%s%s)", sig, sigabbrev_np(sig) ? "SIG" : "",
             sigabbrev_np(sig) ? sigabbrev_np(sig) : "unknown");
  } else if (WIFEXITED(status)) {
    snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
  } else {
    snprintf(buf, len, "ended with wait status 0x%x", status);
  }
}
