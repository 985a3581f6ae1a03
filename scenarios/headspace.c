/* SPDX-License-Identifier: MIT */
/* scenarios/headspace.c: how much does the loader cost the consumer?
 *
 * A foreground consumer (--consumer-us of CPU per item, on the main
 * thread, where every engine delivers) is fed by each engine's pipeline,
 * and by `replay`: every item made once before the clock starts, then
 * replayed, so the timed run is the consumer alone, its upper bound. The
 * loader's cost is the share of that bound a pipeline loses. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/registry.h"
#include "reports/schema.h"
#include "scenarios/scenario.h"

#define HS_ENGINES 6
#define HS_STEPS 4

/* replay last: it is not in the registry, the scenario adds it */
static const char *const hs_engines[HS_ENGINES] = {"serial", "threads", "async",
                                                   "subproc", "procpool", "replay"};

static const struct gnx_option hs_options[] = {
    {"workload", GNX_OPT_STR, "etl", "the workload that feeds the consumer", 0, 0, 0},
    {"size", GNX_OPT_U64, "50000", "its size", 1, 100000000, 0},
    {"consumer-us", GNX_OPT_STR, "1000,2500,5000",
     "the consumer's CPU per item, microseconds: one value or a list (0 to 1000000)", 0, 0, 0},
    {"consumer-sleep-us", GNX_OPT_U64, "0", "and its time off CPU per item (GPU time)", 0,
     1000000, 0},
    GNX_OPTIONS_END,
};

/* ---- replay: the cached source ------------------------------------------ */

static void hs_items_free(struct gnx_buf *items, uint64_t n) {
  for (uint64_t i = 0; items && i < n; i++) {
    gnx_buf_free(&items[i]);
  }
  free(items);
}

/* Every item through every stage, untraced, before the clock, by a worker
 * of its own (so the consumer's counters are the consumer's alone). */
static int hs_make_all(struct gnx_run *run, struct gnx_buf *items) {
  struct gnx_buf b = GNX_BUF_INIT;
  struct gnx_worker w;
  int rc = gnx_worker_init(&w, run, 1, "cache", 0, run->wl->n_stages - 1);
  if (rc == 0) {
    w.tw->off = 1; /* not the measured run: no spans */
    rc = gnx_worker_enter(&w);
  }
  for (uint64_t i = 0; rc == 0 && i < run->info->items; i++) {
    rc = gnx_run_check(run);
    if (rc == 0) {
      rc = gnx_worker_run_stages(&w, i, 0, run->wl->n_stages - 1, &items[i], &b);
    }
  }
  gnx_worker_exit(&w);
  gnx_buf_free(&b);
  return rc;
}

static int hs_replay_run(struct gnx_run *run) {
  uint64_t n = run->info->items;
  struct gnx_worker w;
  memset(&w, 0, sizeof w);
  struct gnx_buf *items = calloc(n ? n : 1, sizeof *items);
  int rc = items ? hs_make_all(run, items) : -ENOMEM;
  if (rc == 0) {
    rc = gnx_worker_init(&w, run, 0, "replay", run->wl->n_stages, run->wl->n_stages);
  }
  if (rc == 0) {
    rc = gnx_worker_enter(&w);
  }
  gnx_run_started(run);
  for (uint64_t i = 0; rc == 0 && i < n; i++) {
    rc = gnx_run_check(run);
    if (rc == 0) {
      rc = gnx_run_deliver(run, &w, i, &items[i], 0);
    }
  }
  gnx_worker_exit(&w);
  hs_items_free(items, n);
  return rc;
}

static const struct gnx_engine hs_replay = {
    .abi = GNX_ENGINE_ABI,
    .name = "replay",
    .summary = "every item made before the clock, then replayed to the sink: the consumer alone",
    .run = hs_replay_run,
};

/* ---- the experiment ------------------------------------------------------ */

struct hs_priv {
  int have[HS_ENGINES];
  uint64_t step_us[HS_STEPS];
  size_t n_steps;
  unsigned sink_stage;
  struct gnx_scen_consumer c[HS_STEPS][HS_ENGINES];
};

static int hs_plan(struct gnx_scen *s, char *why, size_t len) {
  static const char *const own[] = {"engines", "consumer-us", "consumer-sleep-us", "workloads",
                                    "sizes", NULL};
  if (gnx_scen_refuse(s, own, why, len) < 0) {
    return GNX_EUSAGE;
  }
  uint64_t us[HS_STEPS];
  int n = gnx_scen_u64_list(gnx_param_str(&s->opts, "consumer-us"), us, HS_STEPS, 0,
                            GNX_CONSUMER_US_MAX);
  if (n < 1) {
    snprintf(why, len, "--consumer-us: '%s' is out of range; give 1 to %d values, each 0 to %u "
                       "microseconds per item, e.g. 1000,2500",
             gnx_param_str(&s->opts, "consumer-us"), HS_STEPS, GNX_CONSUMER_US_MAX);
    return GNX_EUSAGE;
  }
  struct hs_priv *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(why, len, "out of memory");
    return GNX_EUSAGE;
  }
  s->priv = p;
  memcpy(p->step_us, us, sizeof us);
  p->n_steps = (size_t)n;
  char engines[128];
  gnx_scen_engines(hs_engines, HS_ENGINES - 1, p->have, engines, sizeof engines);
  p->have[HS_ENGINES - 1] = 1;
  for (size_t k = 0; k < p->n_steps; k++) {
    char name[32];
    snprintf(name, sizeof name, "consumer-%lluus", (unsigned long long)p->step_us[k]);
    int rc = gnx_scen_add(s, why, len, name, "--workloads %s --sizes %llu --engines %s "
                          "--consumer-us %llu --consumer-sleep-us %llu",
                          gnx_param_str(&s->opts, "workload"),
                          (unsigned long long)gnx_param_u64(&s->opts, "size"), engines,
                          (unsigned long long)p->step_us[k],
                          (unsigned long long)gnx_param_u64(&s->opts, "consumer-sleep-us"));
    if (rc < 0) {
      return rc;
    }
    struct gnx_run_config *c = &s->v[s->n - 1].cfg;
    c->engines[c->n_engines++] = &hs_replay; /* the cached source, beside the pipelines */
  }
  p->sink_stage = s->v[0].cfg.workloads[0]->n_stages;
  return 0;
}

static void hs_rep(struct gnx_scen *s, size_t v, const struct gnx_engine *e, size_t r,
                   const struct gnx_run_result *res) {
  struct hs_priv *p = s->priv;
  int ei = gnx_scen_index(hs_engines, HS_ENGINES, e->name);
  (void)r;
  if (ei >= 0 && v < HS_STEPS) {
    gnx_scen_consumer_add(&p->c[v][ei], s, res, p->sink_stage);
  }
}

static double hs_items_s(const struct hs_priv *p, size_t k, int e) {
  struct gnx_scen_consumer m;
  gnx_scen_consumer_mean(&p->c[k][e], &m);
  return m.items_s;
}

static void hs_table(struct gnx_scen *s, json_t *section) {
  struct hs_priv *p = s->priv;
  static const char *const cols[] = {"consumer (us/item)", "engine", "items/s", "headspace items/s",
                                     "loader's cost", "step p50 (ms)", "step p99 (ms)",
                                     "consumer CPU share", NULL};
  json_t *rows = gnx_scen_table(section, "The consumer fed by each pipeline, against the cached "
                                         "source (replay)", cols);
  for (size_t k = 0; k < p->n_steps; k++) {
    double head = hs_items_s(p, k, HS_ENGINES - 1);
    for (int e = 0; e < HS_ENGINES; e++) {
      struct gnx_scen_consumer m;
      gnx_scen_consumer_mean(&p->c[k][e], &m);
      if (!p->have[e] || !m.reps) {
        continue;
      }
      json_array_append_new(rows, json_pack("[I, s, f, f, f, f, f, f]",
                                            (json_int_t)p->step_us[k], hs_engines[e], m.items_s,
                                            head, 1 - m.items_s / head, m.p50_ms, m.p99_ms,
                                            isfinite(m.cpu_share) ? m.cpu_share : -1.0));
    }
  }
}

static void hs_chart(struct gnx_scen *s, json_t *section) {
  struct hs_priv *p = s->priv;
  json_t *series = gnx_scen_chart(section, "headspace", "items/s the consumer reached, against "
                                  "its upper bound (replay)", "consumer CPU per item (us)",
                                  "items per second");
  for (int e = 0; e < HS_ENGINES; e++) {
    json_t *pts = p->have[e] ? gnx_scen_series(series, e == HS_ENGINES - 1 ? "replay: the "
                                               "headspace" : hs_engines[e],
                                               e == HS_ENGINES - 1 ? "bound" : "linespoints")
                             : NULL;
    for (size_t k = 0; pts && k < p->n_steps; k++) {
      gnx_scen_point(pts, (double)p->step_us[k], hs_items_s(p, k, e));
    }
  }
}

/* The best pipeline (not serial, not replay) at step k. */
static int hs_best(const struct hs_priv *p, size_t k) {
  int best = 1;
  for (int e = 1; e < HS_ENGINES - 1; e++) {
    best = p->have[e] && hs_items_s(p, k, e) > hs_items_s(p, k, best) ? e : best;
  }
  return best;
}

static void hs_conclude(struct gnx_scen *s, json_t *section) {
  struct hs_priv *p = s->priv;
  hs_table(s, section);
  hs_chart(s, section);
  char v[1024], name[64];
  size_t k = 0, l = 0;
  for (size_t i = 0; i < p->n_steps; i++) {
    for (int e = 0; e < HS_ENGINES; e++) {
      snprintf(name, sizeof name, "items_s_%s_%llu", hs_engines[e],
               (unsigned long long)p->step_us[i]);
      gnx_scen_figure(section, name, p->have[e] ? hs_items_s(p, i, e) : NAN);
    }
  }
  l += (size_t)snprintf(v, sizeof v, "Fed from a cache, the consumer reached ");
  for (k = 0; k < p->n_steps; k++) {
    int b = hs_best(p, k);
    double head = hs_items_s(p, k, HS_ENGINES - 1);
    l += (size_t)snprintf(v + l, sizeof v - l, "%s%.0f items/s at %llu us per item (best "
                          "pipeline %s %.0f, the loader costing it %.0f %%; serial %.0f)",
                          k ? (k + 1 == p->n_steps ? "; and " : "; ") : "", head,
                          (unsigned long long)p->step_us[k], hs_engines[b], hs_items_s(p, k, b),
                          100 * (1 - hs_items_s(p, k, b) / head), hs_items_s(p, k, 0));
  }
  snprintf(v + l, sizeof v - l, ": the loader costs the consumer most when the consumer is "
                                "fast, since the pipeline then needs the CPUs the consumer "
                                "leaves free.");
  json_object_set_new(section, "verdict", json_string(v));
  json_object_set_new(section, "original",
                      json_string("Replaying cached batches gives the consumer's upper bound: "
                                  "a training loop's cached source showed 4.2 batches/s against "
                                  "1.2 with the loader in its process and 2.4 for the old "
                                  "loader."));
}

const struct gnx_scenario gnx_scenario_headspace = {
    .name = "headspace",
    .question = "how fast could the consumer go fed from a cache, and how much of that does "
                "each pipeline cost it?",
    .options = hs_options,
    .plan = hs_plan,
    .rep = hs_rep,
    .conclude = hs_conclude,
};
