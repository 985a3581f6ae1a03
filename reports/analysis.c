/* SPDX-License-Identifier: MIT */
/* reports/analysis.c: per-stage figures, the bottleneck verdict, the bound
 * and the efficiency of each (workload, size, engine) cell.
 *
 * Inputs are report.json (every repetition's per-stage totals and workers)
 * and, when present, the cell's Chrome trace (per-span detail: p50/p99 and
 * per-worker utilisation). The verdict, bound and efficiency use only the
 * report's totals, so `gnxbench recommend` (no traces) and summary.md
 * (traces) always agree. docs/reports.md defines every figure. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "core/stats.h"
#include "gnx/err.h"
#include "core/strbuf.h"
#include "reports/analysis.h"
#include "reports/schema.h"

/* ---- statistics ------------------------------------------------------------ */

static int gnx__cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The one implementation of the median and its interval (harness/stats.c),
 * so that intervals recomputed from a report match the run's. */
void gnx_est_compute(const double *x, size_t n, double level, struct gnx_est *out) {
  struct gnx_stats s;
  gnx_stats_compute_at(x, n, level, &s);
  out->n = n;
  out->median = s.median;
  out->lo = s.lo;
  out->hi = s.hi;
  out->level = s.level;
}

static void gnx__est_from_json(const json_t *st, struct gnx_est *e) {
  e->n = 0;
  e->median = e->lo = e->hi = e->level = NAN;
  if (json_is_object(st)) {
    e->n = (size_t)gnx_jint(st, GNX_F_N, 0);
    e->median = gnx_jnum(st, GNX_F_MEDIAN, NAN);
    e->lo = gnx_jnum(st, GNX_F_LO, NAN);
    e->hi = gnx_jnum(st, GNX_F_HI, NAN);
    e->level = gnx_jnum(st, GNX_F_LEVEL, NAN);
  }
}

static double gnx__median(double *x, size_t n) {
  if (n == 0) {
    return NAN;
  }
  qsort(x, n, sizeof *x, gnx__cmp_double);
  return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

/* ---- one cell ------------------------------------------------------------- */

/* The repetition the trace shows, else the lower median by wall among the
 * good ones (the rule cmd-run uses to pick the traced repetition). */
static int gnx__median_rep(const json_t *cell) {
  const json_t *reps = json_object_get(cell, GNX_F_REPS);
  const json_t *tr = json_object_get(cell, GNX_F_TRACE);
  long long r = json_is_object(tr) ? gnx_jint(tr, GNX_F_REP, -1) : -1;
  if (r >= 0 && (size_t)r < json_array_size(reps) &&
      gnx_jbool(json_array_get(reps, (size_t)r), GNX_F_OK, 0)) {
    return (int)r;
  }
  size_t idx[1024], n = 0, i;
  json_t *rep;
  json_array_foreach(reps, i, rep) {
    if (gnx_jbool(rep, GNX_F_OK, 0) && n < 1024) {
      idx[n++] = i;
    }
  }
  if (n == 0) {
    return -1;
  }
  for (size_t a = 1; a < n; a++) {
    for (size_t k = a; k > 0 && gnx_jnum(json_array_get(reps, idx[k]), GNX_F_WALL_S, NAN) <
                                    gnx_jnum(json_array_get(reps, idx[k - 1]), GNX_F_WALL_S, NAN);
         k--) {
      size_t tmp = idx[k];
      idx[k] = idx[k - 1];
      idx[k - 1] = tmp;
    }
  }
  return (int)idx[(n - 1) / 2];
}

static int gnx__median_rep(const json_t *cell);

/* The median over the cell's successful repetitions of value(rep), leaving
 * out the NAN ones; *missing (when not NULL) counts those. */
typedef double (*gnx__rep_value_fn)(const json_t *rep, const void *arg);

static double gnx__reps_median(const json_t *cell, gnx__rep_value_fn value, const void *arg,
                               size_t *missing) {
  double x[1024];
  size_t n = 0, skipped = 0, i;
  json_t *rep;
  json_array_foreach(json_object_get(cell, GNX_F_REPS), i, rep) {
    double v = gnx_jbool(rep, GNX_F_OK, 0) ? value(rep, arg) : NAN;
    if (!isnan(v) && n < 1024) {
      x[n++] = v;
    } else if (gnx_jbool(rep, GNX_F_OK, 0)) {
      skipped++;
    }
  }
  if (missing) {
    *missing = skipped;
  }
  return gnx__median(x, n);
}

struct gnx__field {
  const char *obj, *key;
};

static double gnx__rep_field(const json_t *rep, const void *arg) {
  const struct gnx__field *f = arg;
  const json_t *v = json_object_get(f->obj ? json_object_get(rep, f->obj) : rep, f->key);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

double gnx_cell_rep_median(const json_t *cell, const char *obj, const char *key) {
  const struct gnx__field f = {obj, key};
  return gnx__reps_median(cell, gnx__rep_field, &f, NULL);
}

/* Serial's cost of stage s from its profile: per item the cheapest of its
 * repetitions, summed, a cost noise cannot inflate (a bound made from a
 * median repetition inherits serial's noise: GNN cells of CV 19 % gave
 * bounds engines beat). NAN without a profile of the cheapest costs. */
static double gnx__profile_min_cost(const json_t *serial, unsigned s, const char *name) {
  const json_t *pr = json_object_get(serial, GNX_F_PROFILE);
  const json_t *names = json_object_get(pr, GNX_F_STAGES);
  const char *nm = json_string_value(json_array_get(names, s));
  const json_t *exact = json_array_get(json_object_get(pr, "min_ns"), s);
  const json_t *q = json_array_get(json_object_get(pr, "min_quantiles_ns"), s);
  if (!nm || strcmp(nm, name) != 0 || (!exact && !q)) {
    return NAN;
  }
  const json_t *list = exact ? exact : q;
  double sum = 0;
  for (size_t i = 0; i < json_array_size(list); i++) {
    sum += (double)json_integer_value(json_array_get(list, i)) / 1e9;
  }
  if (!exact) { /* quantiles: their mean times the items */
    sum = sum / (double)json_array_size(list) * (double)gnx_jint(pr, GNX_F_ITEMS, 0);
  }
  /* the sink's modelled wait is part of its exec span, but not of its cost */
  if (s + 1 == json_array_size(names)) {
    sum += gnx_jnum(pr, "sink_wait_s", 0) * (double)gnx_jint(pr, GNX_F_ITEMS, 0);
  }
  return sum;
}

/* Serial's cost of stage s: its exec time in serial's median repetition
 * (the traced one), what the engines' stage code is compared with. */
static double gnx__serial_cost(const json_t *serial, unsigned s, const char *name) {
  int r = gnx__median_rep(serial);
  if (r < 0) {
    return NAN;
  }
  const json_t *rep = json_array_get(json_object_get(serial, GNX_F_REPS), (size_t)r);
  const json_t *st = json_array_get(json_object_get(rep, GNX_F_STAGES), s);
  if (!st || strcmp(gnx_jstr(st, GNX_F_NAME, ""), name) != 0) {
    return NAN;
  }
  return gnx_jnum(st, GNX_F_EXEC_S, NAN);
}

/* Measured faster than its bound: say why, with the numbers. The bound
 * takes each item's cheapest serial cost, so only stage code faster than
 * that beats it (warmer caches in a worker that runs fewer stages, or a
 * quieter moment than serial's cheapest run), or a start-up shorter than
 * the median the bound adds. */
static void gnx__beaten_why(struct gnx_cell_an *c, double exec_total, double serial_total) {
  struct gnx_sb sb;
  gnx_sb_init(&sb, c->bound_why + strlen(c->bound_why),
              sizeof c->bound_why - strlen(c->bound_why));
  char a[32], b[32];
  gnx_fmt_time(a, sizeof a, exec_total);
  gnx_fmt_time(b, sizeof b, serial_total);
  if (exec_total < serial_total) {
    gnx_sb_printf(&sb, "; beaten because its stage code took %s, %.0f %% less than serial's "
                       "cheapest %s (warmer caches: each worker runs fewer stages)",
                  a, (1 - exec_total / serial_total) * 100, b);
  } else {
    gnx_sb_printf(&sb, "; beaten by noise in the start-up term (the median start-up is added; "
                       "its stage code took %s against serial's cheapest %s)",
                  a, b);
  }
}

static double gnx__percentile(double *x, size_t n, double q) {
  if (n == 0) {
    return NAN;
  }
  size_t k = (size_t)ceil(q * (double)n);
  return x[k ? k - 1 : 0]; /* nearest rank; x sorted */
}

/* p50/p99 of each stage's exec spans, and per-worker totals, from a trace. */
static int gnx__from_trace(struct gnx_cell_an *c, const struct gnx_tfile *t, const json_t *workers) {
  c->workers = calloc(t->n ? t->n : 1, sizeof *c->workers);
  if (!c->workers) {
    return -ENOMEM;
  }
  c->n_workers = (unsigned)t->n;
  size_t total = 0;
  for (size_t i = 0; i < t->n; i++) {
    total += t->threads[i].n;
  }
  double *d = malloc((total ? total : 1) * sizeof *d);
  if (!d) {
    return -ENOMEM;
  }
  for (size_t i = 0; i < t->n; i++) {
    const struct gnx_tthread *th = &t->threads[i];
    struct gnx_worker_an *w = &c->workers[i];
    snprintf(w->name, sizeof w->name, "%s", th->name);
    w->pid = th->pid;
    w->tid = th->tid;
    w->role = -1;
    size_t k;
    json_t *rw;
    json_array_foreach(workers, k, rw) {
      if (gnx_jint(rw, GNX_F_PID, 0) == th->pid && gnx_jint(rw, GNX_F_TID, 0) == th->tid) {
        w->role = (int)gnx_jint(rw, GNX_F_STAGE, -1);
      }
    }
    w->spans = th->n;
    double sum[GNX_SPAN__COUNT] = {0};
    for (size_t k2 = 0; k2 < th->n; k2++) {
      sum[th->spans[k2].kind] += (th->spans[k2].t1 - th->spans[k2].t0) * 1e-6;
    }
    w->exec_s = sum[GNX_SPAN_EXEC];
    w->wait_in_s = sum[GNX_SPAN_WAIT_IN];
    w->wait_out_s = sum[GNX_SPAN_WAIT_OUT];
    w->wait_lock_s = sum[GNX_SPAN_WAIT_LOCK];
    w->copy_s = sum[GNX_SPAN_COPY];
    /* done: the worker finished before the run did and recorded nothing
     * since (an upstream stage that ran out of items) */
    double first = th->n ? th->spans[0].t0 * 1e-6 : c->rep_wall_s, last = 0;
    for (size_t k2 = 0; k2 < th->n; k2++) {
      last = fmax(last, th->spans[k2].t1 * 1e-6);
    }
    w->done_s = fmax(0, c->rep_wall_s - fmin(last, c->rep_wall_s));
    w->before_s = fmax(0, fmin(first, c->rep_wall_s));
    w->util = c->rep_wall_s > 0 ? w->exec_s / c->rep_wall_s : NAN;
  }
  for (unsigned s = 0; s < c->n_stages; s++) {
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
      const struct gnx_tthread *th = &t->threads[i];
      for (size_t k = 0; k < th->n; k++) {
        if (th->spans[k].stage == s && th->spans[k].kind == GNX_SPAN_EXEC) {
          d[n++] = (th->spans[k].t1 - th->spans[k].t0) * 1e-6;
        }
      }
    }
    qsort(d, n, sizeof *d, gnx__cmp_double);
    c->stages[s].p50_s = gnx__percentile(d, n, 0.50);
    c->stages[s].p99_s = gnx__percentile(d, n, 0.99);
  }
  free(d);
  return 0;
}

/* The stage workers' own CPU time against their time inside stages: what
 * is left over is time a worker was in a stage but not on a CPU. The sink's
 * workers (role = the sink's index) are left out, and so is the sink stage;
 * a worker that serves every stage (serial, data-parallel) runs the stages
 * only, except under serial where the one worker is also the sink. */
static void gnx__stage_cpu(struct gnx_cell_an *c, const json_t *workers) {
  c->preempted_s = NAN;
  if (c->n_stages < 2 || c->shape == GNX_SHAPE_SERIAL) {
    return;
  }
  unsigned sink = c->n_stages - 1;
  double cpu = 0;
  size_t i;
  json_t *w;
  json_array_foreach(workers, i, w) {
    long long role = gnx_jint(w, GNX_F_STAGE, -1);
    if (role == (long long)sink || role == GNX_ROLE_TRANSPORT) {
      continue;
    }
    const json_t *tc =
        json_object_get(json_object_get(w, GNX_F_COUNTERS), gnx_sw_ctr_name(GNX_SW_TASK_CLOCK));
    if (!json_is_number(tc)) {
      return;
    }
    cpu += json_number_value(tc) / 1e9;
  }
  double exec = 0;
  for (unsigned s = 0; s < sink; s++) {
    exec += c->stages[s].exec_s;
  }
  c->preempted_s = exec > cpu ? exec - cpu : 0;
}

/* Page faults of one repetition as its workers counted them (the sum of
 * their page-fault counters, from each worker's start to its exit), or NAN
 * when a worker has no such counter. The repetition's getrusage figure also
 * holds what happened outside the workers: forks and their copy-on-write,
 * an mpi rank's whole start-up (GNN 100k: 7952 more than serial's under
 * procpool, where its two workers counted about 300 each), which is not
 * time inside the stages that the faults are asked to explain. */
static double gnx__rep_worker_faults(const json_t *rep, const void *arg) {
  (void)arg;
  const json_t *workers = json_object_get(rep, GNX_F_WORKERS);
  double sum = json_array_size(workers) ? 0 : NAN;
  size_t i;
  json_t *w;
  json_array_foreach(workers, i, w) {
    const json_t *f =
        json_object_get(json_object_get(w, GNX_F_COUNTERS), gnx_sw_ctr_name(GNX_SW_FAULTS));
    sum += json_is_number(f) && json_number_value(f) >= 0 ? json_number_value(f) : NAN;
  }
  return sum;
}

/* The median repetition's faults by the workers' counters where every
 * repetition has them, else by getrusage. */
static double gnx__cell_faults(const json_t *cell) {
  size_t missing;
  double m = gnx__reps_median(cell, gnx__rep_worker_faults, NULL, &missing);
  return missing || isnan(m) ? gnx_cell_rep_median(cell, NULL, GNX_F_MINFLT) : m;
}

int gnx_cell_analyse(const json_t *cell, const json_t *serial, const struct gnx_tfile *t,
                     unsigned cores, double fault_s, struct gnx_cell_an *c) {
  memset(c, 0, sizeof *c);
  c->cell = cell;
  c->workload = gnx_jstr(cell, GNX_F_WORKLOAD, "?");
  c->engine = gnx_jstr(cell, GNX_F_ENGINE, "?");
  c->status = gnx_jstr(cell, GNX_F_STATUS, "?");
  c->size = (uint64_t)gnx_jint(cell, GNX_F_SIZE, 0);
  c->items = (uint64_t)gnx_jint(cell, GNX_F_ITEMS, 0);
  c->verified = gnx_jbool(cell, GNX_F_VERIFIED, 0);
  c->cores = cores ? cores : 1;
  c->bound_s = c->efficiency = c->inflation = c->startup_s = c->rep_wall_s = NAN;
  c->faults = gnx__cell_faults(cell);
  c->serial_faults = serial ? gnx__cell_faults(serial) : NAN;
  c->fault_s = fault_s;
  c->extra_s = c->fault_time_s = NAN;
  c->sum_s = NAN;
  c->wait_share = NAN;
  c->bottleneck = -1;
  const json_t *tr = json_object_get(cell, GNX_F_TRACE);
  if (json_is_object(tr)) {
    snprintf(c->trace_file, sizeof c->trace_file, "%s", gnx_jstr(tr, GNX_F_FILE, ""));
  }
  if (!serial && strcmp(c->engine, "serial") == 0) {
    serial = cell;
  }

  /* repetitions: wall, start-up, time to result */
  const json_t *reps = json_object_get(cell, GNX_F_REPS);
  double st[1024], tot[1024], wl[1024];
  size_t n_ok = 0, i;
  json_t *rep;
  c->reps = (unsigned)json_array_size(reps);
  json_array_foreach(reps, i, rep) {
    if (gnx_jbool(rep, GNX_F_OK, 0) && n_ok < 1024) {
      st[n_ok] = gnx_jnum(rep, GNX_F_STARTUP_S, NAN);
      wl[n_ok] = gnx_jnum(rep, GNX_F_WALL_S, NAN);
      tot[n_ok] = st[n_ok] + wl[n_ok];
      n_ok++;
    }
  }
  c->reps_ok = (unsigned)n_ok;
  const json_t *stats = json_object_get(cell, GNX_F_STATS);
  gnx__est_from_json(json_object_get(stats, GNX_F_WALL_S), &c->wall);
  const json_t *adaptive = json_object_get(cell, GNX_F_ADAPTIVE);
  double level = gnx_jnum(adaptive, GNX_F_INTERVAL_LEVEL, GNX_STATS_LEVEL);
  c->target_level = level;
  c->extra_reps = (unsigned)gnx_jint(adaptive, GNX_F_EXTRA_REPS, 0);
  if (c->wall.n == 0) {
    gnx_est_compute(wl, n_ok, level, &c->wall);
  }
  gnx__est_from_json(json_object_get(stats, GNX_F_SPEEDUP), &c->speedup);
  gnx_est_compute(tot, n_ok, level, &c->total);
  c->startup_s = gnx__median(st, n_ok);
  c->ok = n_ok > 0 && strcmp(c->status, "ok") == 0;

  c->rep = gnx__median_rep(cell);
  const json_t *mrep = c->rep >= 0 ? json_array_get(reps, (size_t)c->rep) : NULL;
  const json_t *stages = json_object_get(mrep, GNX_F_STAGES);
  const json_t *workers = json_object_get(mrep, GNX_F_WORKERS);
  c->rep_wall_s = gnx_jnum(mrep, GNX_F_WALL_S, NAN);
  c->n_stages = (unsigned)json_array_size(stages);
  if (c->n_stages > GNX_AN_MAX_STAGES) {
    c->n_stages = GNX_AN_MAX_STAGES;
  }

  /* roles: a worker serves one stage (dedicated) or all (-1, generalist) */
  unsigned dedicated[GNX_AN_MAX_STAGES] = {0}, generalists = 0, n_workers = 0;
  json_t *w;
  json_array_foreach(workers, i, w) {
    long long role = gnx_jint(w, GNX_F_STAGE, -1);
    if (role == GNX_ROLE_TRANSPORT) {
      continue; /* moves items, serves no stage */
    }
    n_workers++;
    if (role >= 0 && role < c->n_stages) {
      dedicated[role]++;
    } else {
      generalists++;
    }
  }
  int any_dedicated_work = 0;
  for (unsigned s = 0; s + 1 < c->n_stages; s++) {
    any_dedicated_work |= dedicated[s] > 0;
  }
  c->shape = n_workers <= 1 ? GNX_SHAPE_SERIAL
             : any_dedicated_work ? GNX_SHAPE_PIPELINE
                                  : GNX_SHAPE_DATA_PARALLEL;

  /* stages and groups */
  int gen_group = -1;
  double wait_total = 0, exec_total = 0, serial_total = 0, typical_total = 0;
  for (unsigned s = 0; s < c->n_stages; s++) {
    const json_t *js = json_array_get(stages, s);
    struct gnx_stage_an *S = &c->stages[s];
    snprintf(S->name, sizeof S->name, "%s", gnx_jstr(js, GNX_F_NAME, "?"));
    S->executing = (unsigned)gnx_jint(js, GNX_F_WORKERS, 0);
    S->workers = dedicated[s] ? dedicated[s] : generalists ? generalists : S->executing;
    S->items = (uint64_t)gnx_jint(js, GNX_F_ITEMS, 0);
    S->exec_s = gnx_jnum(js, GNX_F_EXEC_S, NAN);
    S->wait_in_s = gnx_jnum(js, GNX_F_WAIT_IN_S, NAN);
    S->wait_out_s = gnx_jnum(js, GNX_F_WAIT_OUT_S, NAN);
    S->wait_lock_s = gnx_jnum(js, GNX_F_WAIT_LOCK_S, NAN);
    S->p50_s = S->p99_s = NAN;
    double den = (S->workers ? S->workers : 1) * c->rep_wall_s;
    S->busy = den > 0 ? S->exec_s / den : NAN;
    S->starved = den > 0 ? S->wait_in_s / den : NAN;
    S->blocked = den > 0 ? S->wait_out_s / den : NAN;
    S->locked = den > 0 ? S->wait_lock_s / den : NAN;
    S->status = gnx_stage_status(S);
    double typical = serial ? gnx__serial_cost(serial, s, S->name) : NAN;
    double cheapest = serial ? gnx__profile_min_cost(serial, s, S->name) : NAN;
    S->serial_s = isnan(cheapest) ? typical : cheapest; /* for the bound */
    typical_total += typical;
    wait_total += S->wait_in_s + S->wait_out_s + S->wait_lock_s;
    exec_total += S->exec_s;
    serial_total += S->serial_s;
    /* capacity: role workers, but only those that executed (subproc's
     * forwarding thread serves the sink without running it) */
    unsigned cap = S->executing ? S->executing : 1;
    if (dedicated[s] || !generalists) {
      struct gnx_group_an *G = &c->groups[c->n_groups];
      memset(G, 0, sizeof *G);
      G->first = G->last = s;
      G->workers = S->workers && S->workers < cap ? S->workers : cap;
      S->group = (int)c->n_groups++;
    } else {
      if (gen_group < 0) {
        gen_group = (int)c->n_groups++;
        memset(&c->groups[gen_group], 0, sizeof c->groups[gen_group]);
        c->groups[gen_group].first = s;
        c->groups[gen_group].generalist = 1;
      }
      struct gnx_group_an *G = &c->groups[gen_group];
      G->last = s;
      unsigned gc = generalists < cap ? generalists : cap;
      G->workers = gc > G->workers ? gc : G->workers;
      S->group = gen_group;
    }
  }
  for (unsigned s = 0; s < c->n_stages; s++) {
    struct gnx_group_an *G = &c->groups[c->stages[s].group];
    G->cost_s += c->stages[s].serial_s;
    G->exec_s += c->stages[s].exec_s;
  }
  for (unsigned k = 0; k < c->n_groups; k++) {
    struct gnx_group_an *G = &c->groups[k];
    G->load = c->rep_wall_s > 0 ? G->exec_s / (G->workers ? G->workers : 1) / c->rep_wall_s : NAN;
  }
  c->wait_share = n_workers && c->rep_wall_s > 0 ? wait_total / (n_workers * c->rep_wall_s) : NAN;

  /* the bound, from serial's costs */
  if (serial && c->n_stages && !isnan(serial_total)) {
    c->sum_s = serial_total;
    double cores_term = serial_total / c->cores, group_term = 0;
    int gmax = -1;
    for (unsigned k = 0; k < c->n_groups; k++) {
      double x = c->groups[k].cost_s / (c->groups[k].workers ? c->groups[k].workers : 1);
      if (x > group_term) {
        group_term = x;
        gmax = (int)k;
      }
    }
    double st0 = isnan(c->startup_s) ? 0 : c->startup_s;
    c->bound_s = fmax(cores_term, group_term) + st0;
    double measured = c->wall.median + st0;
    c->efficiency = measured > 0 ? c->bound_s / measured : NAN;

    char x1[32], x2[32];
    gnx_fmt_time(x2, sizeof x2, st0);
    if (cores_term >= group_term || gmax < 0) {
      gnx_fmt_time(x1, sizeof x1, serial_total);
      snprintf(c->bound_why, sizeof c->bound_why, "%s of work on %u core%s + %s start-up", x1,
               c->cores, c->cores == 1 ? "" : "s", x2);
    } else {
      const struct gnx_group_an *G = &c->groups[gmax];
      gnx_fmt_time(x1, sizeof x1, G->cost_s);
      char gname[112];
      if (G->first == G->last) {
        snprintf(gname, sizeof gname, "%s", c->stages[G->first].name);
      } else if (G->first == 0 && G->last + 1 == c->n_stages) {
        snprintf(gname, sizeof gname, "all stages");
      } else {
        snprintf(gname, sizeof gname, "%s..%s", c->stages[G->first].name,
                 c->stages[G->last].name);
      }
      snprintf(c->bound_why, sizeof c->bound_why, "%.100s: %s on %u worker%s + %s start-up", gname,
               x1, G->workers, G->workers == 1 ? "" : "s", x2);
    }
    if (c->efficiency > 1.005) {
      gnx__beaten_why(c, exec_total, serial_total);
    }
    if (serial != cell && typical_total > 0) {
      c->inflation = exec_total / typical_total;
      c->extra_s = exec_total - typical_total;
    }
  }
  gnx__stage_cpu(c, workers);
  double extra_faults = c->faults - c->serial_faults;
  c->fault_time_s = c->faults >= 2 * c->serial_faults && extra_faults >= 1000
                        ? extra_faults * c->fault_s
                        : 0;

  if (t) {
    c->have_trace = 1;
    if (gnx__from_trace(c, t, workers) < 0) {
      return -ENOMEM;
    }
  }
  gnx_verdict_write(c, mrep);
  return 0;
}

void gnx_cell_an_free(struct gnx_cell_an *c) {
  free(c->workers);
  c->workers = NULL;
  c->n_workers = 0;
}

/* ---- the whole report ----------------------------------------------------- */

static const json_t *gnx__find_serial(const json_t *results, const json_t *cell) {
  size_t i;
  json_t *o;
  json_array_foreach(results, i, o) {
    if (strcmp(gnx_jstr(o, GNX_F_ENGINE, ""), "serial") == 0 &&
        strcmp(gnx_jstr(o, GNX_F_WORKLOAD, ""), gnx_jstr(cell, GNX_F_WORKLOAD, "?")) == 0 &&
        gnx_jint(o, GNX_F_SIZE, -1) == gnx_jint(cell, GNX_F_SIZE, -2)) {
      return o;
    }
  }
  return NULL;
}

int gnx_analysis_build(const json_t *report, const char *dir, gnx_trace_hook hook, void *arg,
                       struct gnx_analysis *a, char *why, size_t len) {
  memset(a, 0, sizeof *a);
  a->report = report;
  long long cpus = gnx_jint(json_object_get(report, GNX_F_CONTEXT), GNX_F_CPUS_ALLOWED, 1);
  a->cores = cpus > 0 ? (unsigned)cpus : 1;
  const json_t *pf = json_object_get(json_object_get(report, GNX_F_CONTEXT), GNX_F_PAGE_FAULT_US);
  a->fault_s = json_is_number(pf) && json_number_value(pf) > 0 ? json_number_value(pf) / 1e6 : NAN;
  const json_t *results = json_object_get(report, GNX_F_RESULTS);
  size_t n = json_array_size(results);
  a->cells = calloc(n ? n : 1, sizeof *a->cells);
  if (!a->cells) {
    snprintf(why, len, "out of memory");
    return -ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    const json_t *cell = json_array_get(results, i);
    struct gnx_tfile tf, *tp = NULL;
    char twhy[256] = "";
    const json_t *tr = json_object_get(cell, GNX_F_TRACE);
    if (dir && json_is_object(tr)) {
      const char *file = gnx_jstr(tr, GNX_F_FILE, "");
      char path[4096];
      /* a report names its traces by basename only; never leave dir */
      if (!*file || strchr(file, '/')) {
        snprintf(twhy, sizeof twhy, "trace file name '%s' is not a plain file name", file);
      } else {
        snprintf(path, sizeof path, "%s/%s", dir, file);
        if (gnx_tfile_load(path, &tf, twhy, sizeof twhy) == 0) {
          tp = &tf;
        }
      }
    }
    int rc = gnx_cell_analyse(cell, gnx__find_serial(results, cell), tp, a->cores, a->fault_s,
                              &a->cells[a->n]);
    snprintf(a->cells[a->n].trace_why, sizeof a->cells[a->n].trace_why, "%s", twhy);
    a->n++;
    if (rc == 0 && hook) {
      rc = hook(arg, &a->cells[a->n - 1], tp);
    }
    if (tp) {
      gnx_tfile_free(tp);
    }
    if (rc < 0) {
      snprintf(why, len, "analysis of %s: %s", gnx_jstr(cell, GNX_F_ENGINE, "?"),
               rc == -ENOMEM ? "out of memory" : gnx_strerror(rc));
      gnx_analysis_free(a);
      return rc;
    }
  }
  return 0;
}

void gnx_analysis_free(struct gnx_analysis *a) {
  for (size_t i = 0; i < a->n; i++) {
    gnx_cell_an_free(&a->cells[i]);
  }
  free(a->cells);
  memset(a, 0, sizeof *a);
}

const struct gnx_cell_an *gnx_analysis_serial(const struct gnx_analysis *a,
                                              const struct gnx_cell_an *c) {
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *o = &a->cells[i];
    if (strcmp(o->engine, "serial") == 0 && strcmp(o->workload, c->workload) == 0 &&
        o->size == c->size) {
      return o;
    }
  }
  return NULL;
}
