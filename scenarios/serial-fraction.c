/* SPDX-License-Identifier: MIT */
/* scenarios/serial-fraction.c: a lock every stage must hold makes threads
 * slower than the serial loop.
 *
 * A serial profile gives each stage's share of the work; then four
 * variants lock none, the cheap stages (all but the heaviest), the heavy
 * stage, and every stage (--gil), each run by serial, threads, async and
 * procpool. Measured speedups stand beside two bounds at the locked share
 * s: min(n, 1/s), where the lock is one more resource that locked work
 * shares while unlocked work overlaps it, and Amdahl's 1/(s + (1-s)/n),
 * where locked work also stops the rest. The trace proves the mechanism:
 * no two locked exec spans of one process overlap. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/registry.h"
#include "reports/schema.h"
#include "scenarios/scenario.h"

#define SF_ENGINES 4
#define SF_SETS 4

static const char *const sf_engines[SF_ENGINES] = {"serial", "threads", "async", "procpool"};
static const char *const sf_sets[SF_SETS] = {"none", "cheap", "heavy", "all"};

static const struct gnx_option sf_options[] = {
    {"workload", GNX_OPT_STR, "etl", "the workload whose stages are locked", 0, 0, 0},
    {"size", GNX_OPT_U64, "50000", "its size", 1, 100000000, 0},
    GNX_OPTIONS_END,
};

/* What the traces showed, per variant and engine, summed over repetitions. */
struct sf_obs {
  unsigned reps;
  double wait_share;      /* mean over stage workers of wait_lock / wall */
  double wait_share_max;  /* the worker that waited most */
  uint64_t locked_spans;  /* exec spans of locked stages */
  uint64_t overlaps;      /* of them, overlapping another of the same process */
  uint64_t overlaps_any;  /* overlapping another of any process */
};

struct sf_priv {
  int have[SF_ENGINES];            /* the engine is built in */
  char engines[128];               /* those, as an --engines list */
  uint64_t mask[GNX_SCEN_MAX_VARIANTS];
  char stages[SF_SETS][256];       /* the --gil list of each set */
  double share[SF_SETS];           /* its locked share of the serial work */
  unsigned n_stages;
  struct sf_obs obs[GNX_SCEN_MAX_VARIANTS][SF_ENGINES];
};

static int sf_plan(struct gnx_scen *s, char *why, size_t len) {
  static const char *const own[] = {"gil", "engines", "workloads", "sizes", NULL};
  if (gnx_scen_refuse(s, own, why, len) < 0) {
    return GNX_EUSAGE;
  }
  struct sf_priv *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(why, len, "out of memory");
    return GNX_EUSAGE;
  }
  s->priv = p;
  gnx_scen_engines(sf_engines, SF_ENGINES, p->have, p->engines, sizeof p->engines);
  /* the profile, and every engine with no lock at all: what --gil none
   * must match (and every passed option is checked against the engines) */
  return gnx_scen_add(s, why, len, "profile", "--workloads %s --sizes %llu --engines %s",
                      gnx_param_str(&s->opts, "workload"),
                      (unsigned long long)gnx_param_u64(&s->opts, "size"), p->engines);
}

/* Each stage's exec seconds in the profile (median repetition's). */
static unsigned sf_stage_costs(const json_t *cell, double *cost, unsigned max) {
  const json_t *reps = json_object_get(cell, "reps");
  const json_t *stages = json_object_get(json_array_get(reps, json_array_size(reps) / 2),
                                         GNX_F_STAGES);
  unsigned n = 0;
  for (; n < json_array_size(stages) && n < max; n++) {
    cost[n] = gnx_jnum(json_array_get(stages, n), GNX_F_EXEC_S, 0);
  }
  return n;
}

/* The four sets from the profile: none, all but the heaviest, the heaviest,
 * every stage; each with its share s of the serial work (the sink too). */
static void sf_sets_make(struct sf_priv *p, const struct gnx_workload *wl, const double *cost,
                         unsigned n) {
  unsigned heavy = 0;
  double total = 0;
  for (unsigned k = 0; k < n; k++) {
    total += cost[k];
    heavy = k < wl->n_stages && cost[k] > cost[heavy] ? k : heavy;
  }
  snprintf(p->stages[0], sizeof p->stages[0], "none");
  snprintf(p->stages[2], sizeof p->stages[2], "%s", wl->stages[heavy].name);
  snprintf(p->stages[3], sizeof p->stages[3], "all");
  p->share[0] = 0;
  p->share[2] = total > 0 ? cost[heavy] / total : 0;
  p->share[3] = 0;
  size_t l = 0;
  for (unsigned k = 0; k < wl->n_stages; k++) {
    p->share[3] += total > 0 ? cost[k] / total : 0;
    if (k != heavy) {
      l += (size_t)snprintf(p->stages[1] + l, sizeof p->stages[1] - l, "%s%s", l ? "," : "",
                            wl->stages[k].name);
    }
  }
  p->share[1] = p->share[3] - p->share[2];
  p->n_stages = wl->n_stages;
}

static int sf_ran(struct gnx_scen *s, size_t v) {
  struct sf_priv *p = s->priv;
  if (v != 0) {
    return 0;
  }
  const struct gnx_workload *wl = s->v[0].cfg.workloads[0];
  double cost[64];
  unsigned n = sf_stage_costs(gnx_scen_cell(s, 0, "serial"), cost, 64);
  if (n < wl->n_stages) {
    fprintf(stderr, "gnxbench: serial-fraction: the profile run measured no stages\n");
    return -1;
  }
  sf_sets_make(p, wl, cost, n);
  for (int k = 0; k < SF_SETS; k++) {
    char why[512];
    int rc = gnx_scen_add(s, why, sizeof why, sf_sets[k], "--workloads %s --sizes %llu "
                          "--engines %s --gil %s", wl->name,
                          (unsigned long long)gnx_param_u64(&s->opts, "size"), p->engines,
                          p->stages[k]);
    char mwhy[256];
    if (rc < 0 || gnx_gil_parse(wl, p->stages[k], &p->mask[s->n - 1], mwhy, sizeof mwhy) < 0) {
      fprintf(stderr, "gnxbench: %s\n", why);
      return -1;
    }
  }
  return 0;
}

struct sf_span {
  uint64_t t0, t1;
  int32_t key; /* the process, or 0 when any process counts */
};

static int sf_span_cmp(const void *a, const void *b) {
  const struct sf_span *x = a, *y = b;
  if (x->key != y->key) {
    return x->key < y->key ? -1 : 1;
  }
  return (x->t0 > y->t0) - (x->t0 < y->t0);
}

/* Locked exec spans that start before an earlier one (in start order) has
 * ended: within one process (same_pid) or across all. *n_locked: how many
 * locked spans there were. */
static uint64_t sf_overlaps(const struct gnx_trace *t, uint64_t mask, int same_pid,
                            uint64_t *n_locked) {
  size_t n = 0, cap = 0;
  struct sf_span *v = NULL;
  for (uint32_t w = 0; w < t->n_workers; w++) {
    const struct gnx_trace_worker *tw = t->workers[w];
    for (uint32_t i = 0; i < tw->len; i++) {
      const struct gnx_span *sp = &tw->spans[i];
      if (sp->kind != GNX_SPAN_EXEC || sp->stage > 63 || !((mask >> sp->stage) & 1)) {
        continue;
      }
      if (n == cap) {
        size_t nc = cap ? 2 * cap : 1024;
        struct sf_span *nv = realloc(v, nc * sizeof *v);
        if (!nv) {
          break;
        }
        v = nv, cap = nc;
      }
      v[n++] = (struct sf_span){sp->t0, sp->t1, same_pid ? tw->pid : 0};
    }
  }
  if (n) { /* qsort takes no NULL array, even empty */
    qsort(v, n, sizeof *v, sf_span_cmp);
  }
  uint64_t over = 0, end = 0;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && v[i].key != v[i - 1].key) {
      end = 0;
    }
    over += v[i].t0 < end;
    end = v[i].t1 > end ? v[i].t1 : end;
  }
  free(v);
  *n_locked = n;
  return over;
}

static void sf_rep(struct gnx_scen *s, size_t v, const struct gnx_engine *e, size_t r,
                   const struct gnx_run_result *res) {
  struct sf_priv *p = s->priv;
  int ei = gnx_scen_index(sf_engines, SF_ENGINES, e->name);
  (void)r;
  if (ei < 0 || res->rc != 0 || !res->wall_ns) {
    return;
  }
  struct sf_obs *o = &p->obs[v][ei];
  double sum = 0, max = 0;
  unsigned workers = 0;
  for (uint32_t w = 0; w < res->trace.n_workers; w++) {
    const struct gnx_trace_worker *tw = res->trace.workers[w];
    if (tw->stage >= 0 && (unsigned)tw->stage >= p->n_stages) {
      continue; /* the sink (the consumer), not a stage worker */
    }
    uint64_t ns = 0;
    for (uint32_t i = 0; i < tw->len; i++) {
      ns += tw->spans[i].kind == GNX_SPAN_WAIT_LOCK ? tw->spans[i].t1 - tw->spans[i].t0 : 0;
    }
    double share = (double)ns / (double)res->wall_ns;
    sum += share;
    max = share > max ? share : max;
    workers++;
  }
  uint64_t locked = 0;
  o->overlaps += sf_overlaps(&res->trace, p->mask[v], 1, &locked);
  o->overlaps_any += sf_overlaps(&res->trace, p->mask[v], 0, &locked);
  o->locked_spans += locked;
  o->wait_share += workers ? sum / workers : 0;
  o->wait_share_max = fmax(o->wait_share_max, max);
  o->reps++;
}

static double sf_bound_overlap(double s, double n) { return s > 0 ? fmin(n, 1 / s) : n; }
static double sf_bound_amdahl(double s, double n) { return 1 / (s + (1 - s) / n); }

/* The median speedup of engine ei in set k (variant k + 1). */
static double sf_speedup(const struct gnx_scen *s, int k, int ei) {
  return gnx_scen_speedup(gnx_scen_cell(s, (size_t)k + 1, sf_engines[ei]));
}

static void sf_table_speedups(struct gnx_scen *s, json_t *section, double n) {
  struct sf_priv *p = s->priv;
  static const char *const cols[] = {"locked", "stages", "s", "min(n, 1/s)", "Amdahl",
                                     "serial wall (ms)", "threads", "async", "procpool", NULL};
  json_t *rows = gnx_scen_table(section, "Speedup over serial at each locked share s", cols);
  json_t *free_row = json_pack("[s, s, n, n, n, f]", "unlocked", "(no --gil)",
                               gnx_scen_wall(gnx_scen_cell(s, 0, "serial")) * 1e3);
  for (int e = 1; e < SF_ENGINES; e++) {
    double x = gnx_scen_speedup(gnx_scen_cell(s, 0, sf_engines[e]));
    json_array_append_new(free_row, isfinite(x) ? json_real(x) : json_null());
  }
  json_array_append_new(rows, free_row);
  for (int k = 0; k < SF_SETS; k++) {
    json_t *row = json_pack("[s, s, f, f, f, f]", sf_sets[k], p->stages[k], p->share[k],
                            sf_bound_overlap(p->share[k], n), sf_bound_amdahl(p->share[k], n),
                            gnx_scen_wall(gnx_scen_cell(s, (size_t)k + 1, "serial")) * 1e3);
    for (int e = 1; e < SF_ENGINES; e++) {
      double x = sf_speedup(s, k, e);
      json_array_append_new(row, isfinite(x) ? json_real(x) : json_null());
    }
    json_array_append_new(rows, row);
  }
}

static void sf_table_waits(struct gnx_scen *s, json_t *section) {
  struct sf_priv *p = s->priv;
  static const char *const cols[] = {"locked", "engine", "wait_lock share (mean worker)",
                                     "most-waiting worker", "locked spans",
                                     "overlapping in one process", "overlapping across processes",
                                     NULL};
  json_t *rows = gnx_scen_table(section, "Waiting for the lock (from the traces, all "
                                         "repetitions)", cols);
  for (int k = 1; k < SF_SETS; k++) {
    for (int e = 0; e < SF_ENGINES; e++) {
      const struct sf_obs *o = &p->obs[k + 1][e];
      if (!o->reps) {
        continue;
      }
      json_array_append_new(rows, json_pack("[s, s, f, f, I, I, I]", sf_sets[k], sf_engines[e],
                                            o->wait_share / o->reps, o->wait_share_max,
                                            (json_int_t)o->locked_spans, (json_int_t)o->overlaps,
                                            (json_int_t)o->overlaps_any));
    }
  }
}

static void sf_chart(struct gnx_scen *s, json_t *section, double n) {
  struct sf_priv *p = s->priv;
  json_t *series = gnx_scen_chart(section, "serial-fraction", "speedup over serial against the "
                                  "locked share s", "locked share of the work, s",
                                  "speedup over serial (x)");
  for (int e = 1; e < SF_ENGINES; e++) {
    json_t *pts = p->have[e] ? gnx_scen_series(series, sf_engines[e], "linespoints") : NULL;
    for (int k = 0; pts && k < SF_SETS; k++) {
      gnx_scen_point(pts, p->share[k], sf_speedup(s, k, e));
    }
  }
  json_t *o = gnx_scen_series(series, "min(n, 1/s): the lock as a shared resource", "bound");
  json_t *a = gnx_scen_series(series, "Amdahl 1/(s + (1-s)/n)", "bound");
  for (int i = 0; i <= 50; i++) {
    gnx_scen_point(o, i / 50.0, sf_bound_overlap(i / 50.0, n));
    gnx_scen_point(a, i / 50.0, sf_bound_amdahl(i / 50.0, n));
  }
}

/* Which bound engine ei follows: the smaller summed relative error over
 * the sets strictly between 0 and 1. Returns 1 for min(n, 1/s), 0 for
 * Amdahl; *err gets the chosen bound's largest error. */
static int sf_follows(const struct gnx_scen *s, int ei, double n, double *err) {
  const struct sf_priv *p = s->priv;
  double eo = 0, ea = 0, mo = 0, ma = 0;
  for (int k = 1; k < SF_SETS; k++) {
    double x = sf_speedup(s, k, ei), sk = p->share[k];
    if (!isfinite(x) || sk <= 0.01 || sk >= 0.99) {
      continue;
    }
    double a = fabs(x / sf_bound_overlap(sk, n) - 1), b = fabs(x / sf_bound_amdahl(sk, n) - 1);
    eo += a, ea += b, mo = fmax(mo, a), ma = fmax(ma, b);
  }
  *err = eo <= ea ? mo : ma;
  return eo <= ea;
}

static void sf_figures(struct gnx_scen *s, json_t *section, double n) {
  struct sf_priv *p = s->priv;
  gnx_scen_figure(section, "cpus", n);
  for (int k = 0; k < SF_SETS; k++) {
    char name[64];
    snprintf(name, sizeof name, "s_%s", sf_sets[k]);
    gnx_scen_figure(section, name, p->share[k]);
    for (int e = 1; e < SF_ENGINES; e++) {
      snprintf(name, sizeof name, "speedup_%s_%s", sf_engines[e], sf_sets[k]);
      gnx_scen_figure(section, name, sf_speedup(s, k, e));
    }
    snprintf(name, sizeof name, "overlaps_threads_%s", sf_sets[k]);
    gnx_scen_figure(section, name, (double)p->obs[k + 1][1].overlaps);
    snprintf(name, sizeof name, "overlaps_async_%s", sf_sets[k]);
    gnx_scen_figure(section, name, p->have[2] ? (double)p->obs[k + 1][2].overlaps : NAN);
  }
  gnx_scen_figure(section, "threads_unlocked_wall_s", gnx_scen_wall(gnx_scen_cell(s, 0, "threads")));
  gnx_scen_figure(section, "threads_none_wall_s", gnx_scen_wall(gnx_scen_cell(s, 1, "threads")));
  const struct sf_obs *o = &p->obs[4][1];
  gnx_scen_figure(section, "threads_all_wait_share", o->reps ? o->wait_share / o->reps : NAN);
}

static void sf_verdict(struct gnx_scen *s, json_t *section, double n) {
  struct sf_priv *p = s->priv;
  const struct sf_obs *o = &p->obs[4][1];
  double eo = NAN, ea = NAN, t_all = sf_speedup(s, 3, 1), t_cheap = sf_speedup(s, 1, 1);
  int fo = sf_follows(s, 1, n, &eo);
  int fa = p->have[2] ? sf_follows(s, 2, n, &ea) : fo;
  gnx_scen_figure(section, "threads_follows_overlap_bound", fo);
  gnx_scen_figure(section, "threads_follows_error", eo);
  gnx_scen_figure(section, "moving_out_gain", t_cheap / t_all);
  char v[1536];
  snprintf(v, sizeof v,
           "With every stage holding the lock, threads ran at %.2fx serial (%.1f %% of each stage "
           "worker's time waiting for the lock; %llu of %llu locked spans overlapped in one "
           "process) while procpool, one lock per process, reached %.2fx; at s = %.2f threads "
           "measured %.2fx, following %s (%.2fx) rather than %s (%.2fx) because %s; moving the "
           "heavy stage out of the lock (s = %.2f) took threads from %.2fx to %.2fx, %.2fx "
           "better, against the 2.5-3x predicted in the field: on %u CPUs the most it could buy "
           "from %.2fx is %.2fx.",
           t_all, 100 * (o->reps ? o->wait_share / o->reps : NAN),
           (unsigned long long)o->overlaps, (unsigned long long)o->locked_spans,
           sf_speedup(s, 3, 3), p->share[2], sf_speedup(s, 2, 1),
           fo ? "min(n, 1/s)" : "Amdahl's 1/(s + (1-s)/n)",
           fo ? sf_bound_overlap(p->share[2], n) : sf_bound_amdahl(p->share[2], n),
           fo ? "Amdahl's 1/(s + (1-s)/n)" : "min(n, 1/s)",
           fo ? sf_bound_amdahl(p->share[2], n) : sf_bound_overlap(p->share[2], n),
           fo ? "unlocked work overlaps the locked work: the lock is one more resource"
              : "locked work stops the rest, which waits in the same workers",
           p->share[1], t_all, t_cheap, t_cheap / t_all, (unsigned)n, t_all,
           n / fmax(t_all, 1e-9));
  gnx_scen_figure(section, "async_follows_overlap_bound", p->have[2] ? fa : NAN);
  gnx_scen_figure(section, "async_follows_error", p->have[2] ? ea : NAN);
  json_object_set_new(section, "verdict", json_string(v));
}

static void sf_conclude(struct gnx_scen *s, json_t *section) {
  double n = (double)gnx_cpus_allowed();
  if (s->n == SF_SETS + 1) {
    sf_table_speedups(s, section, n);
    sf_table_waits(s, section);
    sf_chart(s, section, n);
    sf_figures(s, section, n);
    sf_verdict(s, section, n);
  } else {
    json_object_set_new(section, "verdict", json_string("The profile run failed: nothing to say."));
  }
  json_object_set_new(section, "original",
                      json_string("A Python GNN executor's thread pipeline took 31.7 s against "
                                  "29.6 s sequential (0.94x), 84.8 % of its time waiting for the "
                                  "interpreter lock; moving data preparation out of the threaded "
                                  "phase and letting inference release the lock was predicted "
                                  "to give 2.5-3x."));
}

const struct gnx_scenario gnx_scenario_serial_fraction = {
    .name = "serial-fraction",
    .question = "does a lock every stage holds (an interpreter lock) make threads slower than "
                "serial, and what does freeing stages of it buy?",
    .options = sf_options,
    .plan = sf_plan,
    .ran = sf_ran,
    .rep = sf_rep,
    .conclude = sf_conclude,
};
