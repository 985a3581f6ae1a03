/* SPDX-License-Identifier: MIT */
/* engines/common/pipeline.c: worker threads per stage, bounded queues
 * between stages, a reorder window in front of the caller's thread. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pipeline.h"
#include "common/queue.h"

/* The caller's thread wakes this often while waiting, to notice a stop. */
#define GNX_PIPE_POLL_NS 5000000u
/* Spin before sleeping, when every thread has a CPU of its own: a blocking
 * cross-CPU hand-off costs ~30 us on small VMs (notes/platform.md, 8). */
#define GNX_PIPE_SPIN_NS 50000u

struct gnx_pipe;

struct gnx_pipe_thread {
  struct gnx_pipe *p;
  struct gnx_worker *w;
  unsigned stage;
  pthread_t tid;
};

struct gnx_pipe {
  struct gnx_run *run;
  const struct gnx_workload *wl;
  unsigned n_stages;
  uint64_t items;
  uint64_t spin_ns;
  struct gnx_queue q[GNX_PIPELINE_MAX_STAGES]; /* q[s]: stage s -> s + 1 */
  unsigned n_queues;                            /* initialised so far */
  _Atomic uint64_t next;                        /* next item to claim */

  /* Reorder window, under mu. */
  pthread_mutex_t mu;
  pthread_cond_t sink_cv; /* the caller waits for the next in-order item */
  pthread_cond_t win_cv;  /* sources wait for the window to move */
  struct gnx_rob rob;
  unsigned window;
  _Atomic uint64_t delivered; /* items taken by the caller (written under mu) */
  int sink_waiting;
  unsigned win_waiters;

  /* Start gate, under gate_mu. */
  pthread_mutex_t gate_mu;
  pthread_cond_t gate_cv;
  unsigned arrived;
  _Atomic int open; /* written under gate_mu, read without it at the gate */

  /* Set once the run failed (recorded by gnx_run_fail): everyone stops. */
  _Atomic int failed;
  int ready;        /* the mutexes and condition variables exist */
};

/* The run failed (the failure is recorded already): wake every waiter so
 * that every thread sees it and leaves. */
static void gnx__pipe_abort(struct gnx_pipe *p) {
  if (atomic_exchange(&p->failed, 1)) {
    return;
  }
  for (unsigned s = 0; s < p->n_queues; s++) {
    gnx_queue_abort(&p->q[s]);
  }
  pthread_mutex_lock(&p->mu);
  pthread_cond_broadcast(&p->sink_cv);
  pthread_cond_broadcast(&p->win_cv);
  pthread_mutex_unlock(&p->mu);
}

static int gnx__pipe_failed(struct gnx_pipe *p) {
  return atomic_load_explicit(&p->failed, memory_order_relaxed);
}

/* A failure or a stop request: abort and say so. */
static int gnx__pipe_check(struct gnx_pipe *p) {
  if (gnx_run_check(p->run)) {
    gnx__pipe_abort(p);
    return 1;
  }
  return gnx__pipe_failed(p);
}

/* ---- configuration ------------------------------------------------------- */

/* The stages a pipeline is configured over: names, count. */
struct gnx__stages {
  const char *const *names;
  unsigned n;
};

static void gnx__stage_list(const struct gnx__stages *st, char *buf, size_t len) {
  size_t off = 0;
  buf[0] = '\0';
  for (unsigned s = 0; s < st->n && off < len; s++) {
    int n = snprintf(buf + off, len - off, "%s%s", s ? ", " : "", st->names[s]);
    if (n < 0) {
      break;
    }
    off += (size_t)n;
  }
}

static int gnx__stage_lookup(const struct gnx__stages *st, const char *name) {
  for (unsigned s = 0; s < st->n; s++) {
    if (strcmp(st->names[s], name) == 0) {
      return (int)s;
    }
  }
  uint64_t v;
  if (gnx_parse_u64(name, &v) == 0 && v < st->n && strspn(name, "0123456789") == strlen(name)) {
    return (int)v;
  }
  return -1;
}

/* One token of --stage-workers: STAGE=COUNT, or a bare COUNT for every
 * stage. Returns 0 or GNX_EUSAGE with why set. */
static int gnx__stage_token(const struct gnx__stages *st, const char *spec, char *tok,
                            struct gnx_pipeline_cfg *cfg, char *why, size_t len) {
  char *eq = strchr(tok, '=');
  uint64_t count = 0;
  int bare_count = !eq && *tok && strspn(tok, "0123456789") == strlen(tok);
  int s = eq ? (*eq = '\0', gnx__stage_lookup(st, tok)) : bare_count ? -2 : -1;
  const char *num = eq ? eq + 1 : tok;
  if (s == -1) {
    char stages[160];
    gnx__stage_list(st, stages, sizeof stages);
    snprintf(why, len,
             "--stage-workers '%.32s': no stage '%.20s'; use COUNT or STAGE=COUNT,... with STAGE "
             "one of %.90s (or 0..%u)",
             spec, tok, stages, st->n - 1);
    return GNX_EUSAGE;
  }
  if (gnx_parse_u64(num, &count) < 0 || count < 1 || count > GNX_PIPELINE_MAX_WORKERS) {
    snprintf(why, len, "--stage-workers '%.40s': the count for %.40s must be 1..%d", spec,
             s >= 0 ? st->names[s] : "every stage", GNX_PIPELINE_MAX_WORKERS);
    return GNX_EUSAGE;
  }
  for (unsigned k = 0; k < st->n; k++) {
    if (s == -2 || (int)k == s) {
      cfg->workers[k] = (unsigned)count;
    }
  }
  return 0;
}

/* "transform=2,parse=1" or "2" into cfg->workers; "auto" leaves one each
 * (the harness replaces auto by the tuned value before a measured run). */
static int gnx__stage_workers_parse(const struct gnx__stages *st, const char *spec,
                                    struct gnx_pipeline_cfg *cfg, char *why, size_t len) {
  if (!spec || strcmp(spec, "auto") == 0) {
    return 0;
  }
  char *copy = strdup(spec);
  if (!copy) {
    snprintf(why, len, "out of memory");
    return -ENOMEM;
  }
  int rc = 0;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
    rc = gnx__stage_token(st, spec, tok, cfg, why, len);
  }
  free(copy);
  return rc;
}

int gnx_pipeline_cfg_read(const struct gnx_params *p, const char *const *names,
                          unsigned n_stages, unsigned cpus, struct gnx_pipeline_cfg *cfg,
                          char *why, size_t len) {
  memset(cfg, 0, sizeof *cfg);
  if (n_stages == 0 || n_stages > GNX_PIPELINE_MAX_STAGES) {
    snprintf(why, len, "the workload has %u stages; the pipeline takes 1..%d", n_stages,
             GNX_PIPELINE_MAX_STAGES);
    return GNX_EUSAGE;
  }
  for (unsigned s = 0; s < n_stages; s++) {
    cfg->workers[s] = 1;
  }
  uint64_t depth = gnx_param_u64_auto(p, "queue-depth", GNX_PIPELINE_QUEUE_DEPTH);
  if (depth < 1 || depth > 65536) {
    snprintf(why, len, "--queue-depth %llu: use 1..65536", (unsigned long long)depth);
    return GNX_EUSAGE;
  }
  cfg->queue_depth = (unsigned)depth;
  struct gnx__stages st = {names, n_stages};
  int rc = gnx__stage_workers_parse(&st, gnx_param_str(p, "stage-workers"), cfg, why, len);
  if (rc < 0) {
    return rc;
  }
  /* Spin before sleeping only when every thread can have its own CPU:
   * otherwise a spinning waiter steals the CPU from the thread it waits for. */
  unsigned threads = gnx_pipeline_worker_count(cfg, n_stages) + 1;
  cfg->spin_ns = threads <= cpus ? GNX_PIPE_SPIN_NS : 0;
  return 0;
}

int gnx_pipeline_cfg_parse(struct gnx_run *run, struct gnx_pipeline_cfg *cfg) {
  const struct gnx_workload *wl = run->wl;
  const char *names[GNX_PIPELINE_MAX_STAGES];
  for (unsigned s = 0; s < wl->n_stages && s < GNX_PIPELINE_MAX_STAGES; s++) {
    names[s] = wl->stages[s].name;
  }
  char why[256];
  int rc = gnx_pipeline_cfg_read(run->params, names, wl->n_stages, run->cpus, cfg, why,
                                 sizeof why);
  return rc < 0 ? gnx_run_fail(run, rc, "%s", why) : 0;
}

unsigned gnx_pipeline_window(const struct gnx_pipeline_cfg *cfg, unsigned n_stages) {
  /* Room for every item that can be queued or worked on, plus as many
   * again waiting for the caller, so the window rarely throttles. */
  unsigned workers = gnx_pipeline_worker_count(cfg, n_stages);
  return (n_stages - 1) * cfg->queue_depth + 2 * workers + cfg->queue_depth + 1;
}

void gnx_pipeline_sim(const struct gnx_pipeline_cfg *cfg, const struct gnx_model_in *in,
                      struct gnx_sim *sim) {
  unsigned n = in->profile->n_stages;
  double wake = cfg->spin_ns ? 0 : in->machine->handoff_s;
  double span = 2 * in->machine->span_s; /* an exec span, and a wait span at times */
  memset(sim, 0, sizeof *sim);
  for (unsigned s = 0; s < n && s + 1 < GNX_SIM_MAX_PHASES; s++) {
    sim->phase[s] = (struct gnx_sim_phase){.lo = s, .hi = s, .workers = cfg->workers[s],
                                           .capacity = s ? cfg->queue_depth : 0,
                                           .wake_s = wake, .extra_s = span};
  }
  /* the caller's thread: in order, fed by the reorder window */
  sim->phase[n] = (struct gnx_sim_phase){.lo = n, .hi = n, .workers = 1, .in_order = 1,
                                         .wake_s = wake, .extra_s = span};
  sim->n_phases = n + 1;
  sim->window = gnx_pipeline_window(cfg, n);
}

unsigned gnx_pipeline_worker_count(const struct gnx_pipeline_cfg *cfg, unsigned n_stages) {
  unsigned n = 0;
  for (unsigned s = 0; s < n_stages && s < GNX_PIPELINE_MAX_STAGES; s++) {
    n += cfg->workers[s];
  }
  return n;
}

int gnx_pipeline_workers_init(struct gnx_run *run, const struct gnx_pipeline_cfg *cfg,
                              int first_index, struct gnx_worker *ws) {
  const struct gnx_workload *wl = run->wl;
  unsigned k = 0;
  for (unsigned s = 0; s < wl->n_stages; s++) {
    for (unsigned j = 0; j < cfg->workers[s]; j++, k++) {
      char name[GNX_TRACE_NAME_MAX];
      snprintf(name, sizeof name, "%.20s.%u", wl->stages[s].name, j);
      int rc = gnx_worker_init(&ws[k], run, first_index + (int)k, name, s, s);
      if (rc < 0) {
        return rc; /* recorded */
      }
    }
  }
  return 0;
}

/* ---- the workers ----------------------------------------------------------- */

void gnx_pipeline_thread_batch(void) {
  /* Measured on the 2-vCPU VM (etl, 1 worker per stage): the kernel often
   * wakes a small stage's thread on the CPU of the bottleneck stage that
   * woke it, and wake-up preemption then runs it there at once: transform
   * lost 13-18 ms per 350 ms run (100+ involuntary switches). SCHED_BATCH
   * (unprivileged, same nice level) only turns wake-up preemption off: 0.8 ms
   * lost, 3 switches. Failure is harmless, so it is ignored. */
  struct sched_param sp = {0};
  (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
}

/* Hand item j of the last stage to the reorder window. Never waits: the
 * window guarantees that j's slot is empty. */
static void gnx__rob_put(struct gnx_pipe *p, struct gnx_worker *w, uint64_t j,
                         struct gnx_buf *b) {
  uint64_t t0 = gnx_now_ns(); /* the hand-off: the lock, and waking the caller */
  pthread_mutex_lock(&p->mu);
  gnx_buf_swap(gnx_rob_slot(&p->rob, j), b);
  gnx_rob_arrived(&p->rob, j);
  if (p->sink_waiting && j == atomic_load_explicit(&p->delivered, memory_order_relaxed)) {
    pthread_cond_signal(&p->sink_cv);
  }
  pthread_mutex_unlock(&p->mu);
  gnx_worker_waited(w, GNX_SPAN_WAIT_OUT, w->stage_lo, j, t0);
}

struct gnx__win_arg {
  struct gnx_pipe *p;
  uint64_t j;
};

static int gnx__win_open(void *arg) {
  struct gnx__win_arg *a = arg;
  return a->j < atomic_load_explicit(&a->p->delivered, memory_order_acquire) + a->p->window ||
         gnx__pipe_failed(a->p);
}

/* Wait until item j fits in the window; returns 0, or -ECANCELED. */
static int gnx__window_wait(struct gnx_pipe *p, struct gnx_worker *w, uint64_t j) {
  struct gnx__win_arg a = {p, j};
  if (gnx__win_open(&a)) {
    return gnx__pipe_failed(p) ? -ECANCELED : 0;
  }
  uint64_t t0 = gnx_now_ns();
  if (!gnx_spin_until(gnx__win_open, &a, p->spin_ns)) {
    pthread_mutex_lock(&p->mu);
    while (!gnx__win_open(&a)) {
      p->win_waiters++;
      pthread_cond_wait(&p->win_cv, &p->mu);
      p->win_waiters--;
    }
    pthread_mutex_unlock(&p->mu);
  }
  gnx_worker_waited(w, GNX_SPAN_WAIT_OUT, 0, j, t0);
  return gnx__pipe_failed(p) ? -ECANCELED : 0;
}

/* Pass stage s's output for item j on. Returns 0 or -ECANCELED. */
static int gnx__pipe_put(struct gnx_pipe *p, struct gnx_worker *w, unsigned s, uint64_t j,
                         struct gnx_buf *b) {
  if (s + 1 < p->n_stages) {
    return gnx_queue_push(&p->q[s], j, b, w, s);
  }
  gnx__rob_put(p, w, j, b);
  return 0;
}

static int gnx__pipe_exec(struct gnx_pipe *p, struct gnx_worker *w, unsigned s, uint64_t j,
                          const struct gnx_buf *in, struct gnx_buf *out) {
  int rc = gnx_worker_exec(w, s, j, in, out); /* a failure is recorded there */
  if (rc < 0) {
    gnx__pipe_abort(p);
  }
  return rc;
}

static int gnx__gate_is_open(void *p) { return atomic_load(&((struct gnx_pipe *)p)->open); }

/* Arrive, then yield until the gate opens (see GNX_GATE_SPIN_NS). */
static void gnx__gate_pass(struct gnx_pipe *p) {
  pthread_mutex_lock(&p->gate_mu);
  p->arrived++;
  pthread_cond_broadcast(&p->gate_cv);
  pthread_mutex_unlock(&p->gate_mu);
  if (gnx_yield_until(gnx__gate_is_open, p, GNX_GATE_SPIN_NS)) {
    return;
  }
  pthread_mutex_lock(&p->gate_mu);
  while (!p->open) {
    pthread_cond_wait(&p->gate_cv, &p->gate_mu);
  }
  pthread_mutex_unlock(&p->gate_mu);
}

static void *gnx__pipe_worker(void *arg) {
  struct gnx_pipe_thread *t = arg;
  struct gnx_pipe *p = t->p;
  struct gnx_worker *w = t->w;
  unsigned s = t->stage;
  struct gnx_buf in = GNX_BUF_INIT, out = GNX_BUF_INIT;
  gnx_pipeline_thread_batch();
  if (gnx_worker_enter(w) < 0) { /* recorded there */
    gnx__pipe_abort(p);
  }
  gnx__gate_pass(p);
  while (!gnx__pipe_check(p)) {
    uint64_t j;
    if (s == 0) {
      j = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
      if (j >= p->items || gnx__window_wait(p, w, j) < 0) {
        break;
      }
      if (gnx__pipe_exec(p, w, 0, j, NULL, &out) < 0) {
        break;
      }
    } else {
      if (gnx_queue_pop(&p->q[s - 1], &j, &in, w, s) <= 0) {
        break;
      }
      if (gnx__pipe_exec(p, w, s, j, &in, &out) < 0) {
        break;
      }
    }
    if (gnx__pipe_put(p, w, s, j, &out) < 0) {
      break;
    }
  }
  if (s + 1 < p->n_stages) {
    gnx_queue_producer_done(&p->q[s]);
  }
  gnx_worker_exit(w);
  gnx_buf_free(&in);
  gnx_buf_free(&out);
  return NULL;
}

/* ---- the caller's side ------------------------------------------------------ */

static int gnx__rob_present(void *arg) { return gnx_rob_ready(arg); }

/* Take item d, the next in order, from the window into *b. Returns 0, or
 * -ECANCELED. */
static int gnx__rob_take(struct gnx_pipe *p, struct gnx_worker *consumer, uint64_t d,
                         struct gnx_buf *b) {
  uint64_t t0 = gnx_now_ns(); /* the whole call is the wait for the next item */
  if (!gnx_rob_ready(&p->rob)) {
    (void)gnx_spin_until(gnx__rob_present, &p->rob, p->spin_ns);
  }
  pthread_mutex_lock(&p->mu);
  while (!gnx_rob_ready(&p->rob) && !gnx__pipe_failed(p)) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += GNX_PIPE_POLL_NS;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    p->sink_waiting = 1;
    pthread_cond_timedwait(&p->sink_cv, &p->mu, &ts);
    p->sink_waiting = 0;
    if (gnx_run_check(p->run)) { /* a stop request, or a failure elsewhere */
      pthread_mutex_unlock(&p->mu);
      gnx__pipe_abort(p);
      pthread_mutex_lock(&p->mu);
    }
  }
  int rc = -ECANCELED;
  if (!gnx__pipe_failed(p)) {
    gnx_rob_take(&p->rob, b);
    atomic_store_explicit(&p->delivered, d + 1, memory_order_release);
    if (p->win_waiters) {
      pthread_cond_broadcast(&p->win_cv);
    }
    rc = 0;
  }
  pthread_mutex_unlock(&p->mu);
  gnx_worker_waited(consumer, GNX_SPAN_WAIT_IN, p->n_stages, d, t0);
  return rc;
}

static int gnx__pipe_init(struct gnx_pipe *p, struct gnx_run *run,
                          const struct gnx_pipeline_cfg *cfg) {
  memset(p, 0, sizeof *p);
  p->run = run;
  p->wl = run->wl;
  p->n_stages = run->wl->n_stages;
  p->items = run->info->items;
  p->spin_ns = cfg->spin_ns;
  p->window = gnx_pipeline_window(cfg, p->n_stages);
  if (gnx_rob_init(&p->rob, p->window) < 0) {
    return -ENOMEM;
  }
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->sink_cv, &ca);
  pthread_cond_init(&p->win_cv, NULL);
  pthread_mutex_init(&p->gate_mu, NULL);
  pthread_cond_init(&p->gate_cv, NULL);
  pthread_condattr_destroy(&ca);
  p->ready = 1;
  for (unsigned s = 0; s + 1 < p->n_stages; s++) {
    int rc = gnx_queue_init(&p->q[s], cfg->queue_depth, cfg->workers[s], p->spin_ns);
    if (rc < 0) {
      return rc;
    }
    p->n_queues++;
  }
  return 0;
}

static void gnx__pipe_destroy(struct gnx_pipe *p) {
  for (unsigned s = 0; s < p->n_queues; s++) {
    gnx_queue_destroy(&p->q[s]);
  }
  gnx_rob_free(&p->rob);
  if (p->ready) {
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->sink_cv);
    pthread_cond_destroy(&p->win_cv);
    pthread_mutex_destroy(&p->gate_mu);
    pthread_cond_destroy(&p->gate_cv);
  }
}

int gnx_pipeline_run_workers(struct gnx_run *run, const struct gnx_pipeline_cfg *cfg,
                             struct gnx_worker *ws, struct gnx_worker *consumer,
                             gnx_pipeline_ready_fn ready, gnx_pipeline_deliver_fn deliver,
                             void *arg) {
  struct gnx_pipe *p = malloc(sizeof *p);
  if (!p) {
    return -ENOMEM;
  }
  int rc = gnx__pipe_init(p, run, cfg);
  unsigned n = gnx_pipeline_worker_count(cfg, p->n_stages);
  struct gnx_pipe_thread *th = rc == 0 ? calloc(n, sizeof *th) : NULL;
  if (rc == 0 && !th) {
    rc = -ENOMEM;
  }
  if (rc < 0) {
    gnx__pipe_destroy(p);
    free(p);
    return gnx_run_fail(run, rc, "cannot set up the pipeline: %s", gnx_strerror(rc));
  }

  unsigned started = 0;
  for (unsigned k = 0; k < n; k++) {
    th[k].p = p;
    th[k].w = &ws[k];
    th[k].stage = ws[k].stage_lo;
    int e = pthread_create(&th[k].tid, NULL, gnx__pipe_worker, &th[k]);
    if (e != 0) {
      gnx_run_fail(run, -e, "cannot start worker thread %s: %s", ws[k].tw->name,
                   gnx_strerror(-e));
      gnx__pipe_abort(p);
      break;
    }
    started++;
  }

  /* Start gate: wait for every started thread, then let all go at once. */
  pthread_mutex_lock(&p->gate_mu);
  while (p->arrived < started) {
    pthread_cond_wait(&p->gate_cv, &p->gate_mu);
  }
  pthread_mutex_unlock(&p->gate_mu);
  if (!gnx__pipe_failed(p) && ready) {
    int r = ready(arg);
    if (r < 0) {
      gnx_run_fail(run, r, "the pipeline could not start: %s", gnx_strerror(r));
      gnx__pipe_abort(p);
    }
  }
  gnx_run_started(run);
  pthread_mutex_lock(&p->gate_mu);
  p->open = 1;
  pthread_cond_broadcast(&p->gate_cv);
  pthread_mutex_unlock(&p->gate_mu);

  struct gnx_buf b = GNX_BUF_INIT;
  for (uint64_t d = 0; d < p->items && !gnx__pipe_failed(p); d++) {
    if (gnx__rob_take(p, consumer, d, &b) < 0) {
      break;
    }
    if (deliver(arg, consumer, d, &b) < 0 || gnx__pipe_check(p)) { /* recorded */
      gnx__pipe_abort(p);
      break;
    }
  }
  /* A stop during the last deliveries still counts: the caller asked. */
  (void)gnx__pipe_check(p);
  for (unsigned k = 0; k < started; k++) {
    pthread_join(th[k].tid, NULL);
  }
  rc = gnx_run_failed(run);
  gnx_buf_free(&b);
  free(th);
  gnx__pipe_destroy(p);
  free(p);
  return rc;
}

int gnx_pipeline_run(struct gnx_run *run, const struct gnx_pipeline_cfg *cfg, int first_index,
                     struct gnx_worker *consumer, gnx_pipeline_deliver_fn deliver, void *arg) {
  unsigned n = gnx_pipeline_worker_count(cfg, run->wl->n_stages);
  struct gnx_worker *ws = calloc(n, sizeof *ws);
  if (!ws) {
    return -ENOMEM;
  }
  int rc = gnx_pipeline_workers_init(run, cfg, first_index, ws);
  if (rc == 0) {
    rc = gnx_pipeline_run_workers(run, cfg, ws, consumer, NULL, deliver, arg);
  }
  free(ws);
  return rc;
}
