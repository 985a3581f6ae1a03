/* SPDX-License-Identifier: MIT */
/* engines/async.c: a libuv event loop dispatches the source and stages of
 * every item to libuv's thread pool, with a bound on items in flight.
 *
 * The loop runs in the calling (harness) thread and is the sink's worker
 * (index 0, "loop"). Each item occupies one slot from source to sink. With
 * --dispatch item (the default) one uv_queue_work runs the item's source and
 * stages back to back; with --dispatch stage there is one uv_queue_work per
 * stage, the next queued from the previous one's after_work callback. The
 * pool's queue is FIFO, so per-stage jobs run breadth first: every queued
 * item's source before any item's second stage, and the sink waits for the
 * first result until nearly the end (ETL 100k: first delivery at 34.8 ms of
 * 224.8 ms; per item: 4.8 ms of 198.1 ms), with every stage hop waiting for
 * the loop thread. Finished items are delivered in index order; when the
 * workload models a sink latency, the item waits on a uv_timer, so a waiting
 * item holds no thread and the waits of many items overlap.
 *
 * libuv's pool threads are not ours, so each takes a worker identity at the
 * start: `workers` start jobs each claim one pre-registered gnx_worker into a
 * thread-local pointer and block on a gate until all have arrived. A pool
 * thread blocked in the gate cannot take a second start job, so with a pool
 * of exactly `workers` threads each thread claims exactly one. Exit jobs at
 * the end do the same, so each thread frees its own stage states.
 *
 * Why 8 items in flight per pool thread by default (measured with per-stage
 * dispatch; per-item dispatch measured the same within noise at 4, 8 and
 * 16 in flight): every hop goes through the loop thread, and while both pool
 * threads compute, the woken loop thread waits on a busy CPU's run queue
 * (the idle CPU does not pull it: the kernel skips idle balancing on CPUs
 * that are rarely idle). On the
 * 2-vCPU VM the after_work callback ran 0.1 to 6 ms after its job ended, so
 * a pool thread whose queue ran dry sat idle that long. With etl at 200k,
 * pool idle time was 11-14 % at 2 x workers in flight, 6 % at 4 x, 2 % at
 * 8 x. An item in flight costs its two buffers only from when it starts
 * until the sink has it: delivered items hand theirs to the next to start. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/options.h"
#include "common/queue.h"
#include "gnx/engine.h"

static const struct gnx_option async_options[] = {
    GNX_OPTION_WORKERS,
    {"inflight", GNX_OPT_U64, "auto",
     "async: items in flight at most (auto: chosen by the engine's model; 0 = 8 x workers)", 0,
     1u << 20, GNX_OPT_F_AUTO},
    {"dispatch", GNX_OPT_STR, "item",
     "item: one pool job runs an item's source and stages; stage: one job per stage, each hop "
     "through the loop (to see what the hops cost)",
     0, 0, 0},
    GNX_OPTIONS_END,
};

#ifdef GNX_HAVE_LIBUV

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <uv.h>

/* How long the loop waits for every pool thread at a gate before deciding
 * the pool is not the size it asked for. */
#define ASYNC_GATE_TIMEOUT_NS (30ull * 1000000000ull)
#define ASYNC_STOP_POLL_MS 10

/* libuv reads UV_THREADPOOL_SIZE once per process, at the first
 * uv_queue_work; remember what this process asked for. */
static unsigned async_pool_threads;

struct async_worker {
  struct gnx_worker gw;
  uint64_t t_last; /* end of this thread's last job: the gap after it is wait_in */
  int rc;          /* gnx_worker_enter's result */
};

/* The worker identity of the pool thread running this code. */
static __thread struct async_worker *async_self;

/* A barrier in rounds (1 = start, 2 = exit) that the last job to arrive
 * opens. The loop thread does not wait at the start gate: it queues the
 * items behind the start jobs and sleeps in the loop, so when the gate
 * opens only the pool threads want a CPU. (Opened by the loop thread, the
 * second pool thread started its first item 1-4 ms late in 12 of 12 runs
 * of etl 25k; opened by the last to arrive, in 5 of 12; with the pool
 * threads also spread over the CPUs and yielding at the gate, in 1 of 8.)
 * A job that arrives after its round was released early (timeout,
 * stop, failure) passes straight through and is not counted in a later
 * round, so no pool thread is ever left blocked. */
struct async_gate {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct gnx_run *run; /* opening round 1 stamps its start */
  unsigned round;      /* the round being gathered */
  unsigned need;       /* jobs of that round queued */
  unsigned arrived;    /* jobs of that round at the gate */
  atomic_uint opened;  /* every round up to this one is released */
  uint64_t t_open;     /* when round 1 opened: the loop's first wait begins */
};

struct async_ctl {
  uv_work_t req;
  struct async_ctx *c;
  unsigned round;
};

struct async_ctx;

struct async_slot {
  uv_work_t req;
  uv_timer_t timer;
  struct async_ctx *c;
  struct gnx_buf a, b; /* a: the item's current bytes; b: scratch */
  uint64_t item;
  uint64_t ready_at; /* ns: end of the modelled sink wait */
  unsigned stage;    /* the stage queued or running */
  int rc;
  int ready; /* every stage done and the sink wait over */
};

struct async_ctx {
  struct gnx_run *run;
  const struct gnx_workload *wl;
  uv_loop_t loop;
  uv_timer_t stop_timer;
  uv_timer_t gate_timer; /* the start gate's timeout */
  struct gnx_worker sinkw;
  struct async_worker *pw;
  unsigned n_pw;
  atomic_uint next_pw; /* start jobs claim pool workers by this index */
  struct async_gate gate;
  struct async_ctl *ctl; /* start jobs [0, n), exit jobs [n, 2n): one per pool thread */
  struct async_slot *slots;
  /* Buffer pairs of delivered items, handed to the next item that starts
   * (LIFO: the most recently used, still in cache). Items take their
   * buffers when they start, not when they are queued, so the pairs that
   * exist are about the items being worked on or waiting for the sink, not
   * all items in flight: fewer fresh pages to fault in (GNN 50k: 16.9k
   * faults per run more than serial with per-slot buffers). */
  pthread_mutex_t spare_mu;
  struct gnx_buf *spare; /* 2 x inflight: a, b of each pair */
  unsigned n_spare;      /* pairs in spare */
  unsigned inflight;
  int per_stage; /* --dispatch stage */
  unsigned timers_inited;
  uint64_t items, next_dispatch, next_deliver;
  uint64_t t_done; /* the loop returned: the end of the pool threads' idling */
  int loop_ok, started;
  uint64_t t_wait; /* loop starved for the next item since (0: not waiting) */
  unsigned busy;   /* stage jobs queued and not yet completed */
  int rc;
  int stopping, closing;
};

/* Release `round` (its mutex held): round 1 is the run's start. */
static void async_gate_open_locked(struct async_gate *g, unsigned round) {
  if (g->opened >= round) {
    return;
  }
  if (round == 1) {
    gnx_run_started(g->run);
    g->t_open = gnx_now_ns();
  }
  g->opened = round;
  pthread_cond_broadcast(&g->cv);
}

static void async_gate_begin(struct async_gate *g, unsigned round) {
  pthread_mutex_lock(&g->mu);
  g->round = round;
  g->need = UINT32_MAX; /* until every job of the round is queued */
  g->arrived = 0;
  pthread_mutex_unlock(&g->mu);
}

/* Every job of the round is queued: `need` of them open it. */
static void async_gate_need(struct async_gate *g, unsigned round, unsigned need) {
  pthread_mutex_lock(&g->mu);
  g->need = need;
  if (g->round == round && g->arrived >= need) {
    async_gate_open_locked(g, round);
  }
  pthread_mutex_unlock(&g->mu);
}

struct async_gate_round {
  struct async_gate *g;
  unsigned round;
};

static int async_gate_round_open(void *arg) {
  struct async_gate_round *r = arg;
  return atomic_load(&r->g->opened) >= r->round;
}

/* Arrive; the last to arrive opens the gate, the others yield until it
 * opens (see GNX_GATE_SPIN_NS), then sleep. */
static void async_gate_arrive(struct async_gate *g, unsigned round) {
  pthread_mutex_lock(&g->mu);
  if (g->round == round && ++g->arrived >= g->need) {
    async_gate_open_locked(g, round);
  }
  pthread_mutex_unlock(&g->mu);
  struct async_gate_round r = {g, round};
  if (gnx_yield_until(async_gate_round_open, &r, GNX_GATE_SPIN_NS)) {
    return;
  }
  pthread_mutex_lock(&g->mu);
  while (g->opened < round) {
    pthread_cond_wait(&g->cv, &g->mu);
  }
  pthread_mutex_unlock(&g->mu);
}

/* Loop thread: open `round` now, whoever has arrived (timeout, failure). */
static void async_gate_release(struct async_gate *g, unsigned round) {
  pthread_mutex_lock(&g->mu);
  async_gate_open_locked(g, round);
  pthread_mutex_unlock(&g->mu);
}

static int async_gate_is_open(struct async_gate *g, unsigned round, uint64_t *t_open) {
  pthread_mutex_lock(&g->mu);
  int open = g->opened >= round;
  if (t_open) {
    *t_open = g->t_open;
  }
  pthread_mutex_unlock(&g->mu);
  return open;
}

/* Loop thread: wait until `round` is open, or release it at the timeout.
 * Returns 0 or -ETIMEDOUT. */
static int async_gate_wait(struct async_gate *g, unsigned round) {
  int rc = 0;
  uint64_t deadline = gnx_now_ns() + ASYNC_GATE_TIMEOUT_NS;
  pthread_mutex_lock(&g->mu);
  while (g->opened < round) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* the condition variable's clock */
    ts.tv_sec += 1;
    pthread_cond_timedwait(&g->cv, &g->mu, &ts);
    if (g->opened < round && gnx_now_ns() > deadline) {
      rc = -ETIMEDOUT;
      async_gate_open_locked(g, round);
    }
  }
  pthread_mutex_unlock(&g->mu);
  return rc;
}

/* The run failed (recorded already, by the core or with gnx_run_fail):
 * stop dispatching and let the loop drain. */
static void async_fail(struct async_ctx *c, int rc) {
  if (c->rc == 0) {
    c->rc = rc;
  }
  c->stopping = 1;
  async_gate_release(&c->gate, 1); /* no pool thread is left at the start gate */
  /* Items waiting out a sink latency hold no work: abandon them now. */
  for (unsigned i = 0; i < c->timers_inited; i++) {
    uv_timer_stop(&c->slots[i].timer);
  }
}

/* ---- pool threads --------------------------------------------------------- */

static void async_start_work(uv_work_t *req) {
  struct async_ctl *job = req->data;
  struct async_ctx *c = job->c;
  unsigned i = atomic_fetch_add(&c->next_pw, 1);
  async_self = NULL; /* never a stale identity from an earlier run */
  if (i < c->n_pw) {
    struct async_worker *w = &c->pw[i];
    async_self = w;
    w->rc = gnx_worker_enter(&w->gw);
  }
  async_gate_arrive(&c->gate, job->round);
  if (async_self && i < c->n_pw) {
    async_self->t_last = gnx_now_ns();
  }
}

static void async_exit_work(uv_work_t *req) {
  struct async_ctl *job = req->data;
  struct async_ctx *c = job->c;
  struct async_worker *w = async_self;
  if (w) {
    /* Idle from its last job to the end of the run: starved, not busy. */
    uint64_t t_end = c->t_done;
    if (t_end > w->t_last) {
      gnx_span_add(w->gw.tw, w->t_last, t_end, GNX_ITEM_NONE, 0, GNX_SPAN_WAIT_IN);
    }
    gnx_worker_exit(&w->gw);
    async_self = NULL;
  }
  async_gate_arrive(&c->gate, job->round);
}

static void async_stage_work(uv_work_t *req) {
  struct async_slot *s = req->data;
  struct async_worker *w = async_self;
  if (!w || w->rc < 0) {
    s->rc = w ? w->rc : -ESRCH; /* no identity: the pool outgrew `workers` */
    return;
  }
  uint64_t t0 = gnx_now_ns();
  if (t0 > w->t_last) {
    gnx_span_add(w->gw.tw, w->t_last, t0, s->item, (int)s->stage, GNX_SPAN_WAIT_IN);
  }
  if (s->stage == 0 && s->a.cap == 0 && s->b.cap == 0) { /* a spare pair, if any */
    struct async_ctx *c = s->c;
    pthread_mutex_lock(&c->spare_mu);
    if (c->n_spare > 0) {
      c->n_spare--;
      s->a = c->spare[2 * c->n_spare];
      s->b = c->spare[2 * c->n_spare + 1];
    }
    pthread_mutex_unlock(&c->spare_mu);
  }
  /* --dispatch item: the item's remaining stages run on in this job, with
   * no hop through the loop between them; stage: just this one */
  unsigned last = s->c->per_stage ? s->stage : s->c->wl->n_stages - 1;
  s->rc = gnx_worker_run_stages(&w->gw, s->item, s->stage, last, &s->a, &s->b);
  s->stage = last;
  w->t_last = gnx_now_ns();
}

/* ---- the loop thread ------------------------------------------------------ */

static void async_stage_done(uv_work_t *req, int status);

static int async_queue_stage(struct async_ctx *c, struct async_slot *s) {
  int rc = uv_queue_work(&c->loop, &s->req, async_stage_work, async_stage_done);
  if (rc < 0) {
    async_fail(c, gnx_run_fail(c->run, rc, "async: uv_queue_work: %s", uv_strerror(rc)));
    return rc;
  }
  c->busy++;
  return 0;
}

/* Start sources while fewer than `inflight` items are between source and
 * sink. Item i uses slot i % inflight: item i - inflight has been delivered. */
static void async_pump(struct async_ctx *c) {
  while (!c->stopping && c->next_dispatch < c->items &&
         c->next_dispatch - c->next_deliver < c->inflight) {
    struct async_slot *s = &c->slots[c->next_dispatch % c->inflight];
    s->item = c->next_dispatch;
    s->stage = 0;
    s->rc = 0;
    s->ready = 0;
    if (async_queue_stage(c, s) < 0) {
      return;
    }
    c->next_dispatch++;
  }
}

static void async_close_all(struct async_ctx *c) {
  if (c->closing) {
    return;
  }
  c->closing = 1;
  uv_close((uv_handle_t *)&c->stop_timer, NULL);
  uv_close((uv_handle_t *)&c->gate_timer, NULL);
  for (unsigned i = 0; i < c->timers_inited; i++) {
    uv_close((uv_handle_t *)&c->slots[i].timer, NULL);
  }
}

/* Close every handle once nothing more can happen, so uv_run returns. */
static void async_maybe_finish(struct async_ctx *c) {
  if (c->stopping ? c->busy == 0 : c->next_deliver == c->items) {
    async_close_all(c);
  }
}

/* Deliver every ready item at the head, in order; start new sources as
 * slots free up, so the pool is fed while the loop runs the sink. */
static void async_deliver(struct async_ctx *c) {
  while (!c->stopping && c->next_deliver < c->next_dispatch) {
    struct async_slot *s = &c->slots[c->next_deliver % c->inflight];
    if (!s->ready) {
      break;
    }
    if (c->next_deliver == 0) { /* the sink has waited since the start */
      (void)async_gate_is_open(&c->gate, 1, &c->t_wait);
    }
    if (c->t_wait) {
      gnx_worker_waited(&c->sinkw, GNX_SPAN_WAIT_IN, c->wl->n_stages, s->item, c->t_wait);
      c->t_wait = 0;
    }
    int rc = gnx_run_deliver(c->run, &c->sinkw, s->item, &s->a,
                             c->run->info->sink_wait_ns > 0);
    s->ready = 0;
    pthread_mutex_lock(&c->spare_mu); /* its buffers go to the next item to start */
    c->spare[2 * c->n_spare] = s->a;
    c->spare[2 * c->n_spare + 1] = s->b;
    c->n_spare++;
    pthread_mutex_unlock(&c->spare_mu);
    s->a = (struct gnx_buf)GNX_BUF_INIT;
    s->b = (struct gnx_buf)GNX_BUF_INIT;
    c->next_deliver++;
    if (rc < 0) { /* recorded by the core */
      async_fail(c, rc);
      return;
    }
    async_pump(c);
  }
  if (!c->stopping && c->next_deliver < c->items && !c->t_wait) {
    c->t_wait = gnx_now_ns();
  }
}

static uint64_t async_ms_ceil(uint64_t ns) { return (ns + 999999) / 1000000; }

static void async_timer_cb(uv_timer_t *t) {
  struct async_slot *s = t->data;
  struct async_ctx *c = s->c;
  uint64_t now = gnx_now_ns();
  if (now < s->ready_at) {
    /* uv timers count whole ms of a cached clock and may fire early: wait
     * out the rest so the modelled latency is never shortened. */
    uv_update_time(&c->loop);
    uv_timer_start(t, async_timer_cb, async_ms_ceil(s->ready_at - now), 0);
    return;
  }
  s->ready = 1;
  async_deliver(c);
  async_maybe_finish(c);
}

static void async_stage_done(uv_work_t *req, int status) {
  struct async_slot *s = req->data;
  struct async_ctx *c = s->c;
  c->busy--;
  if (status < 0 && s->rc == 0) {
    s->rc = status;
  }
  if (s->rc == -ESRCH) {
    async_fail(c, gnx_run_fail(c->run, s->rc,
                               "async: a libuv pool thread has no worker identity (the pool has "
                               "more threads than workers)"));
  } else if (s->rc < 0) { /* a stage failed: recorded by the core */
    async_fail(c, gnx_run_fail(c->run, s->rc, "async: pool job failed on item %llu: %s",
                               (unsigned long long)s->item, gnx_strerror(s->rc)));
  } else if (!c->stopping) {
    if (++s->stage < c->wl->n_stages) {
      (void)async_queue_stage(c, s);
    } else if (c->run->info->sink_wait_ns) {
      uint64_t wait = c->run->info->sink_wait_ns;
      s->ready_at = gnx_now_ns() + wait;
      uv_update_time(&c->loop);
      uv_timer_start(&s->timer, async_timer_cb, async_ms_ceil(wait), 0);
    } else {
      s->ready = 1;
      async_deliver(c);
    }
  }
  async_maybe_finish(c);
}

static void async_stop_cb(uv_timer_t *t) {
  struct async_ctx *c = t->data;
  int rc = gnx_run_check(c->run);
  if (rc && !c->stopping) {
    async_fail(c, rc);
    async_maybe_finish(c);
  }
}

/* Queue one control job per pool thread for `round` (1 start, 2 exit);
 * the last of them to arrive opens the gate. */
static int async_ctl_queue(struct async_ctx *c, unsigned round, uv_work_cb fn) {
  struct async_ctl *jobs = &c->ctl[(round - 1) * c->n_pw];
  unsigned queued = 0;
  int rc = 0;
  async_gate_begin(&c->gate, round);
  for (unsigned i = 0; i < c->n_pw; i++) {
    jobs[i].c = c;
    jobs[i].round = round;
    jobs[i].req.data = &jobs[i];
    rc = uv_queue_work(&c->loop, &jobs[i].req, fn, NULL);
    if (rc < 0) {
      break;
    }
    queued++;
  }
  async_gate_need(&c->gate, round, queued);
  return rc;
}

/* The pool has fewer threads than workers, or they cannot start. */
static void async_gate_timeout_cb(uv_timer_t *t) {
  struct async_ctx *c = t->data;
  if (!async_gate_is_open(&c->gate, 1, NULL) && !c->stopping) {
    async_fail(c, gnx_run_fail(c->run, -ETIMEDOUT,
                               "async: the libuv thread pool did not start %u threads", c->n_pw));
    async_maybe_finish(c);
  }
}

static int async_check_params(struct gnx_run *run, unsigned *workers, unsigned *inflight) {
  uint64_t w = gnx_param_u64_auto(run->params, "workers", 0);
  if (w == 0) {
    w = run->cpus ? run->cpus : 1;
  }
  uint64_t f = gnx_param_u64_auto(run->params, "inflight", 0);
  if (f == 0) {
    f = 8 * w; /* see the top of the file */
  }
  uint32_t room = run->trace->max_workers - run->trace->n_workers;
  if (w + 1 > room) {
    return gnx_run_fail(run, GNX_EUSAGE,
                        "async: workers=%llu is too many: the trace has room for %u workers "
                        "besides the loop",
                        (unsigned long long)w, room ? room - 1 : 0);
  }
  if (f > 1u << 20) {
    return gnx_run_fail(run, GNX_EUSAGE, "async: inflight=%llu is too many (at most %u)",
                        (unsigned long long)f, 1u << 20);
  }
  const char *dispatch = gnx_param_str(run->params, "dispatch");
  if (dispatch && strcmp(dispatch, "item") != 0 && strcmp(dispatch, "stage") != 0) {
    return gnx_run_fail(run, GNX_EUSAGE,
                        "async: --dispatch '%s': choose item (one job per item) or stage (one "
                        "job per stage)",
                        dispatch);
  }
  if (async_pool_threads == 0) {
    char v[16];
    snprintf(v, sizeof v, "%u", (unsigned)w);
    if (setenv("UV_THREADPOOL_SIZE", v, 1) < 0) {
      return gnx_run_fail(run, -errno, "async: setenv: %s", strerror(errno));
    }
    async_pool_threads = (unsigned)w;
  } else if (async_pool_threads != w) {
    return gnx_run_fail(run, GNX_EUSAGE,
                        "async: workers=%llu, but this process's libuv thread pool already has "
                        "%u threads (libuv sizes it once per process): run a different size in "
                        "its own process",
                        (unsigned long long)w, async_pool_threads);
  }
  *workers = (unsigned)w;
  *inflight = (unsigned)f;
  return 0;
}

/* Allocate the context, make the loop and its timers, register the
 * workers. On failure what was made is released by async_teardown. */
static int async_setup(struct async_ctx *c, struct gnx_run *run) {
  int rc = async_check_params(run, &c->n_pw, &c->inflight);
  if (rc < 0) {
    return rc;
  }
  const char *dispatch = gnx_param_str(run->params, "dispatch");
  c->per_stage = dispatch && strcmp(dispatch, "stage") == 0;
  c->pw = calloc(c->n_pw, sizeof *c->pw);
  c->ctl = calloc(2 * (size_t)c->n_pw, sizeof *c->ctl);
  c->slots = calloc(c->inflight, sizeof *c->slots);
  c->spare = calloc(2 * (size_t)c->inflight, sizeof *c->spare);
  if (!c->pw || !c->ctl || !c->slots || !c->spare) {
    return gnx_run_fail(run, -ENOMEM, "async: out of memory");
  }
  rc = uv_loop_init(&c->loop);
  if (rc < 0) {
    return gnx_run_fail(run, rc, "async: uv_loop_init: %s", uv_strerror(rc));
  }
  c->loop_ok = 1;
  uv_timer_init(&c->loop, &c->stop_timer);
  c->stop_timer.data = c;
  uv_timer_init(&c->loop, &c->gate_timer);
  c->gate_timer.data = c;
  for (unsigned i = 0; i < c->inflight; i++) {
    c->slots[i].c = c;
    c->slots[i].req.data = &c->slots[i];
    uv_timer_init(&c->loop, &c->slots[i].timer);
    c->slots[i].timer.data = &c->slots[i];
    c->timers_inited++;
  }
  rc = gnx_worker_init(&c->sinkw, run, 0, "loop", c->wl->n_stages, c->wl->n_stages);
  for (unsigned i = 0; rc == 0 && i < c->n_pw; i++) {
    char name[GNX_TRACE_NAME_MAX];
    snprintf(name, sizeof name, "async.w%u", i + 1);
    rc = gnx_worker_init(&c->pw[i].gw, run, (int)i + 1, name, 0, c->wl->n_stages - 1);
  }
  return rc == 0 ? gnx_worker_enter(&c->sinkw) : rc;
}

/* The loop thread wakes once per finished job and works for microseconds.
 * Woken as SCHED_OTHER it preempts the pool thread whose uv_async_send
 * woke it, before that thread has marked the send done, and libuv before
 * 1.45 (Debian 12 has 1.44) then spins in uv__async_io until it has (up to
 * 997 pauses, then sched_yield; libuv PR #3879): on 2 CPUs the loop took
 * 42 us of CPU per ETL item. As SCHED_BATCH it is not woken over a running
 * thread and takes its turn instead, which the in-flight items hide; not
 * with sink waits, whose timers must fire on time, nor with a foreground
 * consumer, which stands for a thread of the user's. An unprivileged thread
 * may switch between SCHED_OTHER and SCHED_BATCH and back (sched(7)); if
 * it cannot, nothing changes. Returns whether it switched. */
static int async_loop_batch(const struct async_ctx *c, int *policy, struct sched_param *param) {
  struct sched_param batch = {0};
  return !gnx_run_sink_busy(c->run) &&
         pthread_getschedparam(pthread_self(), policy, param) == 0 && *policy == SCHED_OTHER &&
         pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch) == 0;
}

/* The start jobs (every pool thread takes its identity and stage states;
 * the last to arrive starts the run), the items queued behind them, then
 * the loop until every item is delivered or the run fails. A worker that
 * failed to enter fails its first item. */
static int async_loop(struct async_ctx *c) {
  int rc = async_ctl_queue(c, 1, async_start_work);
  c->started = 1;
  if (rc < 0) {
    async_fail(c, gnx_run_fail(c->run, rc, "async: uv_queue_work: %s", uv_strerror(rc)));
  } else {
    uv_timer_start(&c->gate_timer, async_gate_timeout_cb, ASYNC_GATE_TIMEOUT_NS / 1000000, 0);
    uv_timer_start(&c->stop_timer, async_stop_cb, ASYNC_STOP_POLL_MS, ASYNC_STOP_POLL_MS);
    async_pump(c);
  }
  async_maybe_finish(c);
  int policy;
  struct sched_param param;
  int batch = async_loop_batch(c, &policy, &param); /* after the pool exists: it inherits */
  uv_run(&c->loop, UV_RUN_DEFAULT);
  c->t_done = gnx_now_ns();
  if (batch) {
    (void)pthread_setschedparam(pthread_self(), policy, &param);
  }
  return c->rc;
}

/* Each pool thread frees its own stage states; then the loop closes. */
static int async_teardown(struct async_ctx *c, int rc) {
  if (c->started) {
    int xrc = async_ctl_queue(c, 2, async_exit_work);
    int wrc = async_gate_wait(&c->gate, 2);
    xrc = xrc < 0 ? xrc : wrc;
    if (rc == 0 && xrc < 0) {
      rc = gnx_run_fail(c->run, xrc, "async: pool threads did not exit: %s", gnx_strerror(xrc));
    }
  }
  if (c->loop_ok) {
    if (!c->closing) {
      async_close_all(c); /* failed before the loop ran */
    }
    uv_run(&c->loop, UV_RUN_DEFAULT); /* close callbacks, control jobs */
    int lrc = uv_loop_close(&c->loop);
    if (rc == 0 && lrc < 0) {
      rc = gnx_run_fail(c->run, lrc, "async: uv_loop_close: %s", uv_strerror(lrc));
    }
  }
  gnx_worker_exit(&c->sinkw);
  for (unsigned i = 0; c->slots && i < c->inflight; i++) {
    gnx_buf_free(&c->slots[i].a);
    gnx_buf_free(&c->slots[i].b);
  }
  for (unsigned i = 0; c->spare && i < 2 * c->n_spare; i++) {
    gnx_buf_free(&c->spare[i]);
  }
  free(c->spare);
  free(c->slots);
  free(c->ctl);
  free(c->pw);
  return rc;
}

static int async_run(struct gnx_run *run) {
  struct async_ctx ctx;
  struct async_ctx *c = &ctx;
  memset(c, 0, sizeof *c);
  c->run = run;
  c->wl = run->wl;
  c->items = run->info->items;
  c->gate.run = run;
  atomic_init(&c->next_pw, 0);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&c->gate.mu, NULL);
  pthread_cond_init(&c->gate.cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&c->spare_mu, NULL);
  int rc = async_setup(c, run);
  if (rc == 0) {
    rc = async_loop(c);
  }
  rc = async_teardown(c, rc);
  pthread_cond_destroy(&c->gate.cv);
  pthread_mutex_destroy(&c->gate.mu);
  pthread_mutex_destroy(&c->spare_mu);
  return rc;
}

#else /* !GNX_HAVE_LIBUV */

static int async_run(struct gnx_run *run) {
  return gnx_run_fail(run, GNX_EUNAVAIL,
                      "async: built without libuv (install libuv1-dev and rebuild)");
}

#endif

/* The model: `workers` pool threads run whole items, woken from sleep for
 * each job; the loop thread delivers in order, a sink wait being a timer
 * that holds no thread; at most `inflight` items between dispatch and
 * delivery. Dispatching by stage adds a hop through the loop (two
 * hand-offs) between stages; its breadth-first order is not modelled. */
static int async_model(const struct gnx_model_in *in, const struct gnx_params *cfg,
                       double *wall_s) {
  const struct gnx_machine *m = in->machine;
  unsigned n = in->profile->n_stages;
  uint64_t w = gnx_param_u64_auto(cfg, "workers", 0);
  w = w ? w : in->cpus;
  uint64_t f = gnx_param_u64_auto(cfg, "inflight", 0);
  const char *d = gnx_param_str(cfg, "dispatch");
  int per_stage = d && strcmp(d, "stage") == 0;
  struct gnx_sim sim = {
      .n_phases = 2,
      .window = f ? f : 8 * w,
      .phase = {{.lo = 0, .hi = n - 1, .workers = (unsigned)w, .wake_s = m->handoff_s,
                 .extra_s = (n + 1) * m->span_s,
                 .sleep_s = per_stage ? (n - 1) * 2 * m->handoff_s : 0},
                {.lo = n, .hi = n, .workers = 1, .in_order = 1, .wake_s = m->handoff_s,
                 .extra_s = 2 * m->span_s, .timer_wait = 1}}};
  return gnx_sim_run(&sim, in, wall_s);
}

/* Only the items in flight are tuned, from a floor of 8 per pool thread
 * (see the top of the file: fewer left the pool idle while the loop
 * thread waited for a CPU). The pool's size is not: libuv fixes it once
 * per process, so auto workers is one per CPU in every cell alike. */
static const struct gnx_knob async_knobs[] = { /* workers: auto is one per CPU */
    {"inflight", GNX_KNOB_DEPTH, 8, "workers"},
    GNX_KNOBS_END,
};

const struct gnx_engine gnx_engine_async = {
    .abi = GNX_ENGINE_ABI,
    .name = "async",
    .summary = "libuv event loop: stages run on its thread pool, items in flight bounded, "
               "sink waits are timers",
    .options = async_options,
#ifndef GNX_HAVE_LIBUV
    .unavailable = "built without libuv (install libuv1-dev and rebuild)",
#endif
    .run = async_run,
    .model = async_model,
    .knobs = async_knobs,
};
