/* SPDX-License-Identifier: MIT */
/* core/run.c: what every engine used to do for itself: open and close the
 * sink, stamp the times, record the first failure in the same words, fork
 * and reap worker processes, and hold items back until they can leave in
 * order. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/gil.h"
#include "core/run.h"

/* ---- the first failure --------------------------------------------------- */

int gnx_run_fail(struct gnx_run *run, int rc, const char *fmt, ...) {
  struct gnx_trace_status *st = run->trace->status;
  int free_ = 0;
  if (rc >= 0 || !__atomic_compare_exchange_n(&st->claimed, &free_, 1, 0, __ATOMIC_ACQ_REL,
                                              __ATOMIC_ACQUIRE)) {
    return rc; /* a failure is already recorded: the first one explains best */
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(st->msg, sizeof st->msg, fmt, ap);
  va_end(ap);
  __atomic_store_n(&st->rc, rc, __ATOMIC_RELEASE);
  return rc;
}

void gnx_run_fault_seen(struct gnx_run *run) {
  if (run->trace && run->trace->status) {
    run->trace->status->fault_fired = 1;
  }
}

int gnx_run_failed(const struct gnx_run *run) {
  return __atomic_load_n(&run->trace->status->rc, __ATOMIC_ACQUIRE);
}

const char *gnx_run_errmsg(const struct gnx_run *run) {
  return gnx_run_failed(run) ? run->trace->status->msg : "";
}

int gnx_run_check(struct gnx_run *run) {
  int rc = gnx_run_failed(run);
  if (rc) {
    return rc;
  }
  /* an atomic read, so TSan sees the handler's flag as synchronised */
  if (run->stop && __atomic_load_n(run->stop, __ATOMIC_RELAXED)) {
    gnx_run_fail(run, GNX_ESTOPPED, "stopped by a signal (SIGINT or SIGTERM)");
    return gnx_run_failed(run);
  }
  return 0;
}

/* ---- the run's frame ----------------------------------------------------- */

int gnx_run_begin(struct gnx_run *run, struct gnx_run_core *core) {
  memset(core, 0, sizeof *core);
  run->core = core;
  memset(run->trace->status, 0, sizeof *run->trace->status);
  core->t_begin = gnx_now_ns();
  int rc = run->wl->sink_open(run->shared, &core->sink);
  if (rc < 0) {
    core->sink = NULL;
    return gnx_run_fail(run, rc, "sink %s: cannot open: %s", run->wl->sink_name,
                        gnx_strerror(rc));
  }
  return 0;
}

int gnx_run_end(struct gnx_run *run, int engine_rc, json_t **summary) {
  struct gnx_run_core *core = run->core;
  int rc = gnx_run_failed(run);
  if (rc == 0 && engine_rc < 0) {
    rc = gnx_run_fail(run, engine_rc, "engine failed: %s", gnx_strerror(engine_rc));
  }
  if (rc == 0 && core->delivered != run->info->items) {
    rc = gnx_run_fail(run, GNX_EWORKER, "the engine returned after %llu of %llu items",
                      (unsigned long long)core->delivered, (unsigned long long)run->info->items);
  }
  *summary = NULL;
  if (core->sink) {
    int crc = run->wl->sink_close(core->sink, rc == 0 ? summary : NULL);
    core->sink = NULL;
    if (rc == 0 && crc < 0) {
      rc = gnx_run_fail(run, crc, "sink %s: cannot close: %s", run->wl->sink_name,
                        gnx_strerror(crc));
    }
  }
  if (rc < 0 && *summary) {
    json_decref(*summary);
    *summary = NULL;
  }
  uint64_t now = gnx_now_ns();
  if (!core->t_start) {
    core->t_start = now; /* failed before its workers started: no wall */
  }
  if (!core->t_end || core->t_end < core->t_start) {
    core->t_end = rc == 0 ? core->t_start : now;
  }
  return rc;
}

void gnx_run_started(struct gnx_run *run) { run->core->t_start = gnx_now_ns(); }

int gnx_run_sink_busy(const struct gnx_run *run) {
  return run->info->sink_wait_ns > 0 || (run->core && run->core->consumer_ns > 0);
}

int gnx_run_deliver(struct gnx_run *run, struct gnx_worker *w, uint64_t item,
                    const struct gnx_buf *in, int waited) {
  struct gnx_run_core *core = run->core;
  const struct gnx_workload *wl = run->wl;
  if (item != core->delivered) {
    return gnx_run_fail(run, GNX_EFORMAT,
                        "engine bug: item %llu reached the sink before item %llu",
                        (unsigned long long)item, (unsigned long long)core->delivered);
  }
  uint64_t t0 = gnx_now_ns();
  if (!waited && run->info->sink_wait_ns) {
    gnx_sleep_ns(run->info->sink_wait_ns);
  }
  int locked = gnx_gil_take(w, wl->n_stages, item);
  uint64_t tl = locked ? gnx_now_ns() : t0;
  int rc = wl->sink_put(core->sink, item, in);
  gnx_spin_ns(core->consumer_ns); /* the consumer's step on what it took */
  uint64_t t1 = gnx_now_ns();
  gnx_gil_drop(locked);
  gnx_span_add(w->tw, tl, t1, item, (int)wl->n_stages, GNX_SPAN_EXEC);
  if (rc < 0) {
    return gnx_run_fail(run, rc, "sink %s failed on item %llu: %s", wl->sink_name,
                        (unsigned long long)item, gnx_strerror(rc));
  }
  core->sink_bytes += in->len;
  if (++core->delivered == run->info->items) {
    core->t_end = t1;
  }
  return 0;
}

void gnx_spin_ns(uint64_t ns) {
  for (uint64_t end = ns ? gnx_now_ns() + ns : 0; gnx_now_ns() < end;) {
  }
}

void gnx_sleep_ns(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

/* ---- forked workers ------------------------------------------------------ */

pid_t gnx_child_fork(struct gnx_run *run, struct gnx_child *c) {
  memset(c, 0, sizeof *c);
  fflush(stdout); /* or buffered output is written by the child too */
  fflush(stderr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    return gnx_run_fail(run, -e, "cannot fork a worker process: %s", strerror(e));
  }
  if (pid == 0) {
    /* never outlive the parent; if it died before the prctl, leave now */
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) {
      _exit(70);
    }
    return 0;
  }
  c->pid = pid;
  return pid;
}

void gnx_child_exit(struct gnx_run *run, int rc) {
  (void)run;
  _exit(rc < 0 ? 1 : 0);
}

void gnx_describe_status(int status, char *buf, size_t len) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char *abbrev = sigabbrev_np(sig);
    snprintf(buf, len, "was killed by signal %d (%s%s)", sig, abbrev ? "SIG" : "",
             abbrev ? abbrev : "unknown");
  } else if (WIFEXITED(status)) {
    snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
  } else {
    snprintf(buf, len, "ended with wait status 0x%x", status);
  }
}

/* The worker of process pid that was running a stage (or, failing that,
 * the last one to have run an item), for the message of its death. */
static const struct gnx_trace_worker *gnx__child_worker(const struct gnx_run *run, pid_t pid) {
  const struct gnx_trace_worker *best = NULL;
  for (uint32_t i = 0; i < run->trace->n_workers; i++) {
    const struct gnx_trace_worker *tw = run->trace->workers[i];
    if (tw->pid != pid) {
      continue;
    }
    if (tw->cur_stage >= 0) {
      return tw;
    }
    if (!best || (best->cur_item == GNX_ITEM_NONE && tw->cur_item != GNX_ITEM_NONE)) {
      best = tw;
    }
  }
  return best;
}

static void gnx__child_failed(struct gnx_run *run, struct gnx_child *c) {
  char how[96], where[128] = "before it took an item";
  gnx_describe_status(c->status, how, sizeof how);
  const struct gnx_trace_worker *tw = gnx__child_worker(run, c->pid);
  const struct gnx_workload *wl = run->wl;
  if (tw && tw->cur_stage >= 0 && (unsigned)tw->cur_stage < wl->n_stages) {
    snprintf(where, sizeof where, "in stage %s at item %u", wl->stages[tw->cur_stage].name,
             tw->cur_item);
  } else if (tw && tw->cur_item != GNX_ITEM_NONE) {
    snprintf(where, sizeof where, "after the stages of item %u", tw->cur_item);
  }
  gnx_run_fail(run, GNX_EWORKER, "worker %s (pid %d) %s %s", tw ? tw->name : "process",
               (int)c->pid, how, where);
}

int gnx_child_reap(struct gnx_run *run, struct gnx_child *c, int block) {
  if (c->pid <= 0) {
    return 1;
  }
  int status;
  struct rusage ru;
  pid_t p;
  do {
    p = wait4(c->pid, &status, block ? 0 : WNOHANG, &ru);
  } while (p < 0 && errno == EINTR);
  if (p == 0) {
    return 0;
  }
  if (p < 0) {
    int e = errno;
    c->pid = 0;
    return gnx_run_fail(run, -e, "cannot wait for a worker process: %s", strerror(e));
  }
  if (ru.ru_maxrss > run->core->child_maxrss_kb) {
    run->core->child_maxrss_kb = ru.ru_maxrss;
  }
  c->status = status;
  c->failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (c->failed) {
    gnx__child_failed(run, c); /* kept only if the child recorded nothing first */
  }
  c->pid = 0;
  return 1;
}

void gnx_child_kill(struct gnx_run *run, struct gnx_child *c) {
  if (c->pid > 0) {
    kill(c->pid, SIGKILL);
    (void)gnx_child_reap(run, c, 1); /* a SIGKILLed child cannot block its death */
  }
}

/* ---- the reorder window -------------------------------------------------- */

int gnx_rob_init(struct gnx_rob *r, unsigned cap) {
  memset(r, 0, sizeof *r);
  r->buf = calloc(cap ? cap : 1, sizeof *r->buf);
  r->have = calloc(cap ? cap : 1, 1);
  if (!r->buf || !r->have) {
    gnx_rob_free(r);
    return -ENOMEM;
  }
  r->cap = cap ? cap : 1;
  return 0;
}

void gnx_rob_free(struct gnx_rob *r) {
  for (unsigned k = 0; r->buf && k < r->cap; k++) {
    gnx_buf_free(&r->buf[k]);
  }
  free(r->buf);
  free(r->have);
  memset(r, 0, sizeof *r);
}

int gnx_rob_fits(const struct gnx_rob *r, uint64_t j) {
  return j >= r->next && j - r->next < r->cap &&
         !__atomic_load_n(&r->have[j % r->cap], __ATOMIC_ACQUIRE);
}

struct gnx_buf *gnx_rob_slot(struct gnx_rob *r, uint64_t j) { return &r->buf[j % r->cap]; }

void gnx_rob_arrived(struct gnx_rob *r, uint64_t j) {
  __atomic_store_n(&r->have[j % r->cap], 1, __ATOMIC_RELEASE);
}

int gnx_rob_ready(const struct gnx_rob *r) {
  return __atomic_load_n(&r->have[r->next % r->cap], __ATOMIC_ACQUIRE);
}

void gnx_rob_take(struct gnx_rob *r, struct gnx_buf *b) {
  unsigned k = (unsigned)(r->next % r->cap);
  if (b) {
    gnx_buf_swap(&r->buf[k], b);
  }
  __atomic_store_n(&r->have[k], 0, __ATOMIC_RELAXED);
  r->next++;
}
