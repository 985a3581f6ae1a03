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

#include "gnx/buf.h"
#include "gnx/err.h"
#include "gnx/model.h"
#include "gnx/option.h"
#include "gnx/trace.h"
#include "gnx/workload.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GNX_ENGINE_ABI 2

struct gnx_counters;
struct gnx_pin_plan;
struct gnx_run_core;
struct gnx_worker;

/* Fault injection (tests): worker `worker` dies at the first item it runs
 * whose index is >= `item`, by abort() (SIGABRT) or raise(SIGKILL). Fires
 * only in a forked worker process. */
struct gnx_fault {
  int enabled;
  int worker;
  uint64_t item;
  int sig; /* SIGABRT or SIGKILL */
};

/* One repetition of one engine on one workload and size. The runner fills
 * it, opens the sink, calls the engine's run(), then closes the sink: the
 * engine only starts, connects and joins workers. Everything the run
 * records (times, the first error, children's peak RSS, what the sink
 * took) goes through the gnx_run_*() calls below, never through fields. */
struct gnx_run {
  const struct gnx_workload *wl;
  const void *shared;                    /* the workload's setup data */
  const struct gnx_workload_info *info;
  const struct gnx_params *params;       /* this engine's options */
  struct gnx_trace *trace;               /* empty; engines add workers */
  const volatile sig_atomic_t *stop;     /* nonzero after SIGINT/SIGTERM */
  const struct gnx_fault *fault;
  unsigned cpus;                         /* CPUs this process may use */
  pid_t main_pid;                        /* the harness process */
  /* Counters and placement (core/counters.h, core/pin.h); NULL: off.
   * Workers read them only at enter and exit, never per item. */
  const struct gnx_counters *counters;
  const struct gnx_pin_plan *pin;
  struct gnx_run_core *core;             /* the core's bookkeeping: opaque */
  /* This cell as words a fresh gnxbench process re-creates it from:
   * "--workload W --size N [--fault SPEC] [--OPTION VALUE]..." (the
   * workload options typed), NULL-terminated; NULL where the runner has
   * none (unit tests). An engine whose workers an outside launcher starts
   * (mpi: mpirun) runs `gnxbench rank ENGINE WORDS... [its own options]`
   * there, and the harness calls that engine's rank() in each process. */
  const char *const *cell_argv;
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
  /* Run every item through every stage and deliver each, in order, with
   * gnx_run_deliver(). Starts its workers behind a barrier and calls
   * gnx_run_started() when they are all past it; reaps every child and
   * releases every resource before returning, also on error and on a stop
   * request (gnx_run_check() says when). Returns 0 or the negative code of
   * a failure recorded with gnx_run_fail() (the core records stage, sink,
   * worker and child failures itself). Required. */
  int (*run)(struct gnx_run *run);
  /* Optional: the engine's model, a simulation of its own schedule
   * (gnx/model.h), and the sizing options the tuner may turn when they
   * are "auto". An engine without a model is measured as configured. */
  gnx_model_fn model;
  const struct gnx_knob *knobs;
  /* Optional: the body of one worker process started by an outside
   * launcher (see cell_argv), in `gnxbench rank`. The run has the
   * workload set up, its own trace and failure record, no sink (no
   * gnx_run_deliver, no gnx_run_started), the harness's counters (each
   * worker counts itself at enter and exit), no pinning, and main_pid 0
   * (so --fault fires here). Returns 0 or a negative code; the
   * process exits 0 or 1. */
  int (*rank)(struct gnx_run *run);
  /* Optional: check the options against this machine before anything runs
   * (a launcher that is not installed). Returns 0, or GNX_EUSAGE with one
   * line naming the problem and the fix in why (GNX_WHY_MAX bytes). */
  int (*check)(const struct gnx_params *params, char *why);
};

#define GNX_ENGINE_F_FORKS 1u /* workers are processes */

/* ---- The run's bookkeeping, owned by the core --------------------------- */

/* Every worker is past the start barrier: the measured wall starts now. */
void gnx_run_started(struct gnx_run *run);

/* Record the run's first failure: its code and one line saying what failed
 * where ("stage transform failed on item 7 in worker transform.1: ..."). A
 * later failure keeps the first. Safe from any thread and from a forked
 * worker process (the record lives in the trace's shared mapping). Returns
 * rc, so `return gnx_run_fail(run, rc, ...)` reads naturally. */
int gnx_run_fail(struct gnx_run *run, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The --fault fired in a worker whose own record this process cannot read
 * (a rank an outside launcher started, which died of the fault's signal).
 * A forked worker's firing is recorded by the core itself. */
void gnx_run_fault_seen(struct gnx_run *run);

/* The code of the run's first failure, or 0. */
int gnx_run_failed(const struct gnx_run *run);

/* What an engine's loops ask between items: the first failure's code; else,
 * after SIGINT/SIGTERM, GNX_ESTOPPED (recorded once); else 0. */
int gnx_run_check(struct gnx_run *run);

/* Whether the sink's thread does more per item than the workload's
 * sink_put: waits (the modelled sink latency) or a foreground consumer's
 * CPU (--consumer-us), which a thread of the user's would run at normal
 * priority. */
int gnx_run_sink_busy(const struct gnx_run *run);

/* Deliver the next item in index order to the sink, on the sink's worker
 * w: waits the workload's modelled sink latency unless the engine already
 * has (waited = 1, as the async engine does with a timer), calls sink_put,
 * records its exec span, and stamps the end of the run after the last
 * item. An item out of order or a sink failure is recorded and returned. */
int gnx_run_deliver(struct gnx_run *run, struct gnx_worker *w, uint64_t item,
                    const struct gnx_buf *in, int waited);

/* ---- Forked workers ----------------------------------------------------- */

/* A forked worker process as its parent sees it. */
struct gnx_child {
  pid_t pid;    /* 0 before the fork and once reaped */
  int status;   /* its wait status, once reaped */
  int failed;   /* it ended with a signal or a nonzero status */
};

/* Fork a worker process. Flushes stdio first (or buffered output is written
 * twice); in the child, arranges to die with the parent and exits at once
 * when the parent is already gone. Returns 0 in the child, the pid in the
 * parent, or a negative code (recorded). */
pid_t gnx_child_fork(struct gnx_run *run, struct gnx_child *c);

/* In the child: leave with status 0, or 1 after a failure (which the child
 * recorded with gnx_run_fail, or the core did for a stage). Never returns. */
__attribute__((noreturn)) void gnx_child_exit(struct gnx_run *run, int rc);

/* Reap the child if it has ended (block = 0), or wait until it has
 * (block = 1). Folds its peak RSS into the run's. When it was killed or
 * exited nonzero, records why, naming the worker, the signal or status, and
 * the stage and item it was running. Returns 1 when reaped, 0 when it is
 * still running, or a negative code on a wait error. */
int gnx_child_reap(struct gnx_run *run, struct gnx_child *c, int block);

/* SIGKILL the child (if still running) and reap it. */
void gnx_child_kill(struct gnx_run *run, struct gnx_child *c);

/* ---- The worker body, shared by every engine ---------------------------- */

#define GNX_WORKER_PRIVATE_BYTES 256

struct gnx_worker {
  struct gnx_run *run;
  struct gnx_trace_worker *tw; /* this worker's trace buffer */
  int index;                   /* 0-based, unique in the run */
  unsigned stage_lo, stage_hi; /* serves stages [lo, hi] (n_stages: the sink) */
  void **states;               /* per-stage state, indexed by stage */
  /* The core's per-worker counter and binding state: opaque. */
  unsigned char core_private[GNX_WORKER_PRIVATE_BYTES] __attribute__((aligned(8)));
};

/* Register a worker that will serve stages [lo, hi] under `name` (names a
 * thread or process; at most 15 characters are kept by prctl). Call in the
 * parent, before creating the thread or forking, so the trace buffer is
 * inherited. Returns 0, or GNX_ETRACE (too many workers; recorded). */
int gnx_worker_init(struct gnx_worker *w, struct gnx_run *run, int index,
                    const char *name, unsigned lo, unsigned hi);

/* The same for a worker that runs no stage, only moves items (subproc's
 * ring writer): its waits belong to no stage. */
int gnx_worker_init_transport(struct gnx_worker *w, struct gnx_run *run, int index,
                              const char *name);

/* In the worker's own thread or process: name it, record pid/tid/CPU,
 * create its stage states. Returns 0 or a negative code (recorded). */
int gnx_worker_enter(struct gnx_worker *w);

/* Run stage `stage` on `item` and record an exec span. Injects the fault
 * when it matches and this is a forked child. A failure is recorded.
 * Returns the stage's code. */
int gnx_worker_exec(struct gnx_worker *w, unsigned stage, uint64_t item,
                    const struct gnx_buf *in, struct gnx_buf *out);

/* Run stages [lo, hi] of `item` back to back: the input is in *a (unused
 * when lo is 0, the source), the result ends in *a, *b is scratch. */
int gnx_worker_run_stages(struct gnx_worker *w, uint64_t item, unsigned lo, unsigned hi,
                          struct gnx_buf *a, struct gnx_buf *b);

/* Record a wait span [t0, now) of the given kind; returns now. */
uint64_t gnx_worker_waited(struct gnx_worker *w, int kind, unsigned stage,
                           uint64_t item, uint64_t t0);

/* Free the stage states (made by gnx_worker_enter) and record the CPU at
 * exit. Safe to call when enter failed or never ran, and on a zeroed
 * worker that init never saw. */
void gnx_worker_exit(struct gnx_worker *w);

/* Sleep ns, resuming after signals (never loops on another error). */
void gnx_sleep_ns(uint64_t ns);

/* Spend ns of CPU (a busy loop on the clock), as real work would. */
void gnx_spin_ns(uint64_t ns);

/* ---- The reorder window -------------------------------------------------- */

/* Items arrive in any order within [next, next + cap) and leave in index
 * order. Not locked: a threaded user locks around it; `have` is atomic so
 * a waiter may spin on gnx_rob_ready() without the lock. */
struct gnx_rob {
  struct gnx_buf *buf;
  unsigned char *have;
  unsigned cap;
  uint64_t next; /* the next item to leave */
};

int gnx_rob_init(struct gnx_rob *r, unsigned cap); /* 0 or -ENOMEM */
void gnx_rob_free(struct gnx_rob *r);
/* Whether item j may arrive now: inside the window and not there yet. */
int gnx_rob_fits(const struct gnx_rob *r, uint64_t j);
/* Item j's buffer to fill; j must fit. */
struct gnx_buf *gnx_rob_slot(struct gnx_rob *r, uint64_t j);
/* Item j's bytes are in its slot. */
void gnx_rob_arrived(struct gnx_rob *r, uint64_t j);
/* Whether the next item in order has arrived. */
int gnx_rob_ready(const struct gnx_rob *r);
/* Swap the next item's bytes into *b (b NULL: leave them, and the slot's
 * capacity, in place), and move the window on. */
void gnx_rob_take(struct gnx_rob *r, struct gnx_buf *b);

#ifdef __cplusplus
}
#endif

#endif
