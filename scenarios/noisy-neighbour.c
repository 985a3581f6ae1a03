/* SPDX-License-Identifier: MIT */
/* scenarios/noisy-neighbour.c: does the pipeline disturb the consumer it
 * feeds, and does moving it out of the consumer's process help?
 *
 * A foreground consumer (--consumer-us of CPU per item, plus
 * --consumer-sleep-us off CPU, as a training step's GPU time) runs on the
 * main thread, where every engine delivers; the pipeline runs in its
 * process (threads, async), in a subprocess (subproc) or in a process pool
 * (procpool), against k = 0 .. --neighbours CPU-burning processes. The
 * consumer's step time (between consecutive deliveries), items/s, CPU
 * share, context switches, migrations and run-queue wait say why. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/registry.h"
#include "reports/schema.h"
#include "scenarios/scenario.h"

#define NN_ENGINES 5
#define NN_MAX_K 8
#define NN_STEPS 4096

static const char *const nn_engines[NN_ENGINES] = {"serial", "threads", "async", "subproc",
                                                   "procpool"};
static const char *const nn_where[NN_ENGINES] = {"same thread", "same process", "same process",
                                                 "subprocess", "process pool"};

static const struct gnx_option nn_options[] = {
    {"workload", GNX_OPT_STR, "etl", "the workload that feeds the consumer", 0, 0, 0},
    {"size", GNX_OPT_U64, "50000", "its size", 1, 100000000, 0},
    {"consumer-us", GNX_OPT_U64, "2000", "the consumer's CPU per item, microseconds", 1,
     GNX_CONSUMER_US_MAX, 0},
    {"consumer-sleep-us", GNX_OPT_U64, "500", "and its time off CPU per item (GPU time)", 0,
     GNX_CONSUMER_US_MAX, 0},
    {"neighbours", GNX_OPT_U64, "auto", "CPU burners at most (k = 0 .. this; auto: the CPUs)", 0,
     NN_MAX_K, GNX_OPT_F_AUTO},
    GNX_OPTIONS_END,
};

struct nn_cell {
  struct gnx_scen_consumer c;
  double steps[NN_STEPS]; /* every step of every kept repetition, ns */
  size_t n;
};

struct nn_priv {
  int have[NN_ENGINES];
  unsigned kmax;
  unsigned sink_stage;
  pid_t burners[NN_MAX_K];
  struct nn_cell cell[NN_MAX_K + 1][NN_ENGINES];
};

static int nn_plan(struct gnx_scen *s, char *why, size_t len) {
  static const char *const own[] = {"engines", "consumer-us", "consumer-sleep-us", "workloads",
                                    "sizes", NULL};
  if (gnx_scen_refuse(s, own, why, len) < 0) {
    return GNX_EUSAGE;
  }
  struct nn_priv *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(why, len, "out of memory");
    return GNX_EUSAGE;
  }
  s->priv = p;
  unsigned cpus = gnx_cpus_allowed();
  p->kmax = (unsigned)gnx_param_u64_auto(&s->opts, "neighbours", cpus > NN_MAX_K ? NN_MAX_K : cpus);
  char engines[128];
  gnx_scen_engines(nn_engines, NN_ENGINES, p->have, engines, sizeof engines);
  for (unsigned k = 0; k <= p->kmax; k++) {
    char name[32];
    snprintf(name, sizeof name, "neighbours-%u", k);
    int rc = gnx_scen_add(s, why, len, name, "--workloads %s --sizes %llu --engines %s "
                          "--consumer-us %llu --consumer-sleep-us %llu",
                          gnx_param_str(&s->opts, "workload"),
                          (unsigned long long)gnx_param_u64(&s->opts, "size"), engines,
                          (unsigned long long)gnx_param_u64(&s->opts, "consumer-us"),
                          (unsigned long long)gnx_param_u64(&s->opts, "consumer-sleep-us"));
    if (rc < 0) {
      return rc;
    }
  }
  p->sink_stage = s->v[0].cfg.workloads[0]->n_stages;
  return 0;
}

/* A neighbour: a process that burns a CPU until it is killed, and dies
 * with the harness if the harness dies first. */
static pid_t nn_burner(void) {
  fflush(NULL);
  pid_t parent = getpid(), pid = fork();
  if (pid == 0) {
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    (void)prctl(PR_SET_NAME, "gnx-neighbour", 0, 0, 0);
    if (getppid() != parent) {
      _exit(70);
    }
    for (volatile unsigned long x = 0;; x++) {
    }
  }
  return pid;
}

static void nn_leave(struct gnx_scen *s, size_t v) {
  struct nn_priv *p = s->priv;
  (void)v;
  for (unsigned i = 0; i < NN_MAX_K; i++) {
    if (p->burners[i] > 0) {
      kill(p->burners[i], SIGKILL);
      (void)waitpid(p->burners[i], NULL, 0);
      p->burners[i] = 0;
    }
  }
}

static int nn_enter(struct gnx_scen *s, size_t v) {
  struct nn_priv *p = s->priv;
  for (unsigned i = 0; i < v && i < NN_MAX_K; i++) { /* variant v: v neighbours */
    p->burners[i] = nn_burner();
    if (p->burners[i] < 0) {
      perror("gnxbench: noisy-neighbour: fork");
      p->burners[i] = 0;
      nn_leave(s, v);
      return 1;
    }
  }
  return 0;
}

static void nn_rep(struct gnx_scen *s, size_t v, const struct gnx_engine *e, size_t r,
                   const struct gnx_run_result *res) {
  struct nn_priv *p = s->priv;
  int ei = gnx_scen_index(nn_engines, NN_ENGINES, e->name);
  (void)r;
  if (ei < 0 || v > NN_MAX_K) {
    return;
  }
  struct nn_cell *c = &p->cell[v][ei];
  gnx_scen_consumer_add(&c->c, s, res, p->sink_stage);
  if (res->rc == 0) {
    c->n += gnx_scen_steps(&res->trace, p->sink_stage, c->steps + c->n, NN_STEPS - c->n);
  }
}

static void nn_table(struct gnx_scen *s, json_t *section) {
  struct nn_priv *p = s->priv;
  static const char *const cols[] = {
      "neighbours", "engine", "pipeline", "items/s", "step p50 (ms)", "step p99 (ms)",
      "step max (ms)", "consumer CPU share", "consumer switches", "consumer migrations",
      "consumer run-queue wait (ms)", NULL};
  json_t *rows = gnx_scen_table(section, "The consumer's steps, per pipeline placement and CPU "
                                         "burners (means over repetitions)", cols);
  for (unsigned k = 0; k <= p->kmax; k++) {
    for (int e = 0; e < NN_ENGINES; e++) {
      struct gnx_scen_consumer m;
      gnx_scen_consumer_mean(&p->cell[k][e].c, &m);
      if (!p->have[e] || !m.reps) {
        continue;
      }
      json_t *row = json_pack("[I, s, s, f, f, f, f]", (json_int_t)k, nn_engines[e], nn_where[e],
                              m.items_s, m.p50_ms, m.p99_ms, m.max_ms);
      double more[4] = {m.cpu_share, m.cs, m.migrations, m.runq_ms};
      for (int i = 0; i < 4; i++) {
        json_array_append_new(row, isfinite(more[i]) ? json_real(more[i]) : json_null());
      }
      json_array_append_new(rows, row);
    }
  }
}

/* The step-time distribution (CDF) of each engine with k neighbours. */
static void nn_chart_steps(struct gnx_scen *s, json_t *section, unsigned k) {
  struct nn_priv *p = s->priv;
  char name[64], title[128];
  snprintf(name, sizeof name, "noisy-neighbour-steps-%u", k);
  snprintf(title, sizeof title, "the consumer's step time with %u CPU burner%s (distribution)", k,
           k == 1 ? "" : "s");
  json_t *series = gnx_scen_chart(section, name, title, "step time (ms)",
                                  "share of steps at most this long");
  for (int e = 0; e < NN_ENGINES; e++) {
    struct nn_cell *c = &p->cell[k][e];
    if (!p->have[e] || !c->n) {
      continue;
    }
    json_t *pts = gnx_scen_series(series, nn_engines[e], "lines");
    (void)gnx_scen_quantile(c->steps, c->n, 0.5); /* sorts them */
    for (size_t i = 0; i < c->n; i += c->n > 400 ? c->n / 200 : 1) {
      gnx_scen_point(pts, c->steps[i] / 1e6, (double)(i + 1) / (double)c->n);
    }
    gnx_scen_point(pts, c->steps[c->n - 1] / 1e6, 1.0);
  }
}

static void nn_chart_rate(struct gnx_scen *s, json_t *section) {
  struct nn_priv *p = s->priv;
  json_t *series = gnx_scen_chart(section, "noisy-neighbour-rate", "the consumer's items/s "
                                  "against CPU-burning neighbours", "CPU burners (k)",
                                  "consumer items per second");
  for (int e = 0; e < NN_ENGINES; e++) {
    json_t *pts = p->have[e] ? gnx_scen_series(series, nn_engines[e], "linespoints") : NULL;
    for (unsigned k = 0; pts && k <= p->kmax; k++) {
      struct gnx_scen_consumer m;
      gnx_scen_consumer_mean(&p->cell[k][e].c, &m);
      gnx_scen_point(pts, k, m.items_s);
    }
  }
}

/* The best of engines [lo, hi] with k neighbours, by items/s. */
static int nn_best(const struct nn_priv *p, unsigned k, int lo, int hi,
                   struct gnx_scen_consumer *m) {
  int best = -1;
  for (int e = lo; e <= hi; e++) {
    struct gnx_scen_consumer x;
    gnx_scen_consumer_mean(&p->cell[k][e].c, &x);
    if (p->have[e] && x.reps && (best < 0 || x.items_s > m->items_s)) {
      best = e, *m = x;
    }
  }
  return best;
}

static void nn_verdict(struct gnx_scen *s, json_t *section) {
  struct nn_priv *p = s->priv;
  struct gnx_scen_consumer in0, out0, ink, outk;
  int i0 = nn_best(p, 0, 1, 2, &in0), o0 = nn_best(p, 0, 3, 4, &out0);
  int ik = nn_best(p, p->kmax, 1, 2, &ink), ok = nn_best(p, p->kmax, 3, 4, &outk);
  if (i0 < 0 || o0 < 0 || ik < 0 || ok < 0) {
    json_object_set_new(section, "verdict", json_string("Some variants failed: no verdict."));
    return;
  }
  /* a margin above this machine's run-to-run noise (docs/scenarios.md) */
  int faster = out0.items_s > in0.items_s * 1.10, steadier = out0.p99_ms < in0.p99_ms * 0.8;
  int spikier = out0.p99_ms > in0.p99_ms; /* a faster rate bought with worse spikes */
  int helps = (faster && !spikier) || steadier;
  const char *how = faster && steadier ? "helps"
                    : faster && spikier ? "raises its rate but worsens its step-time spikes, so it "
                                          "does not clearly help"
                    : faster            ? "helps its rate but not its step-time spikes"
                    : steadier          ? "helps its step-time spikes but not its rate"
                                        : "does not help";
  gnx_scen_figure(section, "out_of_process_helps", helps);
  gnx_scen_figure(section, "items_s_in_0", in0.items_s);
  gnx_scen_figure(section, "items_s_out_0", out0.items_s);
  gnx_scen_figure(section, "items_s_in_k", ink.items_s);
  gnx_scen_figure(section, "items_s_out_k", outk.items_s);
  char v[1536], loaded[192] = "";
  if (p->kmax > 0) {
    snprintf(loaded, sizeof loaded, "; with %u CPU burner%s it fell to %.0f (in, p99 %.2f ms) and "
             "%.0f items/s (out, p99 %.2f ms)", p->kmax, p->kmax == 1 ? "" : "s", ink.items_s,
             ink.p99_ms, outk.items_s, outk.p99_ms);
  }
  snprintf(v, sizeof v,
           "On this machine moving the pipeline out of the consumer's process %s: with no "
           "neighbours the consumer made %.0f items/s (step p99 %.2f ms) with it in its process "
           "(%s) and %.0f items/s (p99 %.2f ms) out of it (%s), its thread switching %.0f vs "
           "%.0f times, migrating %.0f vs %.0f times and waiting %.1f vs %.1f ms in the run "
           "queue%s. %s%s",
           how, in0.items_s, in0.p99_ms, nn_engines[i0], out0.items_s, out0.p99_ms,
           nn_engines[o0], in0.cs, out0.cs, in0.migrations, out0.migrations, in0.runq_ms,
           out0.runq_ms, loaded,
           !helps ? "" : out0.runq_ms < in0.runq_ms
                   ? "Out of its process the pipeline no longer wakes and preempts the consumer's "
                     "thread as often: it waited less for a CPU."
                   : "Yet the consumer's run-queue wait did not fall, so the gain is the "
                     "hand-off, not the CPU.",
           helps                ? ""
           : s->v[0].cfg.gil ? "Even with the consumer sharing --gil with its in-process "
                                "pipeline, the placement did not set its pace here."
                              : "With no interpreter lock to share, the consumer competes with "
                                "the pipeline only for CPUs, and the scheduler shares those alike "
                                "between threads of one process and other processes: the "
                                "neighbours, not the placement, set its pace.");
  json_object_set_new(section, "verdict", json_string(v));
}

static void nn_conclude(struct gnx_scen *s, json_t *section) {
  struct nn_priv *p = s->priv;
  nn_table(s, section);
  nn_chart_rate(s, section);
  nn_chart_steps(s, section, 0);
  if (p->kmax > 0) {
    nn_chart_steps(s, section, p->kmax);
  }
  nn_verdict(s, section);
  json_object_set_new(section, "original",
                      json_string("A training loop fed by a multi-threaded loader in its own "
                                  "process ran 1.2 batches/s against 2.4 for the old loader "
                                  "(a cached source: 4.2); the same pipeline in a subprocess ran "
                                  "faster and without spikes in step time; CPU-burning processes "
                                  "up to saturation dropped training from about 3.5 to 1.5-1.9 "
                                  "batches/s."));
}

const struct gnx_scenario gnx_scenario_noisy_neighbour = {
    .name = "noisy-neighbour",
    .question = "does the pipeline slow the consumer it feeds, and does moving it out of the "
                "consumer's process help, with and without CPU-burning neighbours?",
    .options = nn_options,
    .plan = nn_plan,
    .enter = nn_enter,
    .leave = nn_leave,
    .rep = nn_rep,
    .conclude = nn_conclude,
};
