/* SPDX-License-Identifier: MIT */
/* gnx/engine.h: what an engine is, and the one worker body they all share.
 *
 * An engine decides where and when each stage runs on each item: in one
 * thread, in a pipeline of threads, in forked processes, on an event loop.
 * It never computes anything itself: every stage runs through
 * gnx_worker_exec(), so every engine runs exactly the same work, traced the
 * same way. Engines differ only in how they spawn and connect workers. */
#ifndef GNX_ENGINE_H
#define GNX_ENGINE_H

#include <signal.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#include "gnx/buf.h"
#include "gnx/err.h"
#include "gnx/option.h"
#include "gnx/trace.h"
#include "gnx/workload.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GNX_ENGINE_ABI 1

struct gnx_counters;
struct gnx_pin_plan;

/* Fault injection (tests): worker `worker` dies at the first item it runs
 * whose index is >= `item`, by abort() (SIGABRT) or raise(SIGKILL). Fires
 * only in a forked worker process. */
struct gnx_fault {
  int enabled;
  int worker;
  uint64_t item;
  int sig; /* SIGABRT or SIGKILL */
};

/* One repetition of one engine on one workload and size. The harness fills
 * the inputs; the engine fills the outputs. */
struct gnx_run {
  /* inputs */
  const struct gnx_workload *wl;
  const void *shared;                    /* the workload's setup data */
  const struct gnx_workload_info *info;
  const struct gnx_params *params;       /* this engine's options */
  struct gnx_trace *trace;               /* empty; engines add workers */
  const volatile sig_atomic_t *stop;     /* nonzero after SIGINT/SIGTERM */
  const struct gnx_fault *fault;
  unsigned cpus;                         /* CPUs this process may use */
  pid_t main_pid;                        /* the harness process */
  /* Counters and placement (harness/counters.h, harness/pin.h); NULL: off.
   * Workers read them only at enter and exit, never per item. */
  const struct gnx_counters *counters;
  const struct gnx_pin_plan *pin;

  /* outputs */
  uint64_t t_begin;   /* engine entered run() */
  uint64_t t_start;   /* all workers past the start barrier: timing starts */
  uint64_t t_end;     /* last item delivered to the sink */
  json_t *summary;    /* from sink_close; owned by the harness afterwards */
  long child_maxrss_kb; /* largest max RSS among reaped children (wait4) */
  char errmsg[256];   /* on failure: the details, e.g. which worker died */
};

struct gnx_engine {
  unsigned abi;                       /* GNX_ENGINE_ABI */
  const char *name;                   /* "threads" */
  const char *summary;                /* one line for `gnxbench list` */
  unsigned flags;                     /* GNX_ENGINE_F_* */
  const struct gnx_option *options;   /* may be NULL */
  /* NULL when the engine can run; otherwise why not, with the fix, e.g.
   * "built without libuv (install libuv1-dev and rebuild)". */
  const char *unavailable;
  /* Run every item through every stage and the sink, in order. Must start
   * its workers behind a barrier, set t_begin/t_start/t_end, reap every
   * child and release every resource before returning, also on error and
   * when *stop becomes nonzero (then return GNX_ESTOPPED promptly).
   * Returns 0 or a negative code, with run->errmsg saying what happened. */
  int (*run)(struct gnx_run *run);
};

#define GNX_ENGINE_F_FORKS 1u /* workers are processes */

/* ---- The worker body, shared by every engine ---------------------------- */

struct gnx_worker {
  struct gnx_run *run;
  struct gnx_trace_worker *tw; /* this worker's trace buffer */
  int index;                   /* 0-based, unique in the run */
  unsigned stage_lo, stage_hi; /* serves stages [lo, hi] (sink excluded) */
  void **states;               /* per-stage state, indexed by stage */
  /* Per-worker counter and binding state, private to the worker. */
  struct {
    int n_fd;                 /* perf_event fds open (0: none) */
    int fd[4];
    int papi_es;              /* PAPI event set, valid when papi_on */
    int papi_on;
    int bound;                /* affinity changed: restore at exit */
    int counting;             /* counters begun in this thread */
    int64_t t0[4];            /* software counters at enter (rusage path) */
    unsigned char old_mask[128]; /* cpu_set_t before binding */
  } probe;
};

/* Register a worker that will serve stages [lo, hi] under `name` (names a
 * thread or process; at most 15 characters are kept by prctl). Call in the
 * parent, before creating the thread or forking, so the trace buffer is
 * inherited. Returns 0, GNX_ETRACE (too many workers) or -ENOMEM. */
int gnx_worker_init(struct gnx_worker *w, struct gnx_run *run, int index,
                    const char *name, unsigned lo, unsigned hi);

/* In the worker's own thread or process: name it, record pid/tid/CPU,
 * create its stage states. Returns 0 or a negative code. */
int gnx_worker_enter(struct gnx_worker *w);

/* Run stage `stage` on `item` and record an exec span. Injects the fault
 * when it matches and this is a forked child. Returns the stage's code. */
int gnx_worker_exec(struct gnx_worker *w, unsigned stage, uint64_t item,
                    const struct gnx_buf *in, struct gnx_buf *out);

/* Record a wait span [t0, now) of the given kind; returns now. */
uint64_t gnx_worker_waited(struct gnx_worker *w, int kind, unsigned stage,
                           uint64_t item, uint64_t t0);

/* Deliver an item to the sink, in order, recording an exec span on the
 * sink stage. Sleeps info->sink_wait_ns first unless the engine has already
 * waited it (waited = 1, as the async engine does with a timer). */
int gnx_sink_deliver(struct gnx_worker *w, void *sink, uint64_t item,
                     const struct gnx_buf *in, int waited);

/* Free the stage states (made by gnx_worker_enter) and record the CPU at
 * exit. Safe to call when enter failed or never ran. */
void gnx_worker_exit(struct gnx_worker *w);

/* Describe how a child ended, for errmsg: "killed by signal 9 (Killed)",
 * "exited with status 3". */
void gnx_describe_status(int status, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
