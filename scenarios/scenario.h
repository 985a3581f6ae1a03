/* SPDX-License-Identifier: MIT */
/* scenarios/scenario.h: what a scenario is, and the calls it composes its
 * experiment from.
 *
 * A scenario answers one of the field's recurring questions with a
 * reproducible experiment over the existing engines and workloads. It
 * plans variants (each an ordinary `gnxbench run`, written into a folder
 * of the scenario's directory, so every variant keeps its own report,
 * traces and Gantt charts), reads what they measured, and fills the
 * report's "scenario" section: tables, chart points, the figures and the
 * one sentence that answers the question. reports/scenario.c draws the
 * section; `gnxbench report DIR` draws it again.
 *
 * Adding a scenario is one file scenarios/<name>.c defining
 * `const struct gnx_scenario gnx_scenario_<name>` and one line in
 * scenarios/CMakeLists.txt. */
#ifndef GNX_SCENARIOS_SCENARIO_H
#define GNX_SCENARIOS_SCENARIO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gnx/option.h"
#include "harness/cli.h"
#include "harness/runner.h"

#define GNX_SCEN_MAX_VARIANTS 32
#define GNX_SCEN_MAX_ARGS 48

struct gnx_scen;

/* One variant: a run configuration the scenario planned, parsed (so a bad
 * option is a usage error before anything runs) and, once run, its report. */
struct gnx_scen_variant {
  char name[32];                 /* its folder below the scenario's directory */
  char text[1024];               /* its options, NUL-separated (argv points here) */
  char *argv[GNX_SCEN_MAX_ARGS];
  int argc;
  struct gnx_run_config cfg;
  json_t *report;                /* loaded after it ran; NULL before or on failure */
  int rc;                        /* gnx_run_main's exit status */
};

struct gnx_scenario {
  const char *name;     /* "serial-fraction" */
  const char *question; /* one line: what it answers */
  /* its own options (--reps, --out, --quiet are the framework's; every
   * other --name is passed to each variant's run and checked there) */
  const struct gnx_option *options;
  /* Check the options and plan the first variants (gnx_scen_add); nothing
   * may be written or run yet. Returns 0 or GNX_EUSAGE with one line in
   * why naming the problem and the fix. Required. */
  int (*plan)(struct gnx_scen *s, char *why, size_t len);
  /* After variant v ran: plan more from what it measured (optional). */
  int (*ran)(struct gnx_scen *s, size_t v);
  /* After each kept repetition of any variant: read what the report does
   * not keep (every span). Optional. */
  void (*rep)(struct gnx_scen *s, size_t v, const struct gnx_engine *e, size_t r,
              const struct gnx_run_result *res);
  /* Around variant v's run (optional): start and stop what runs beside
   * it (noisy-neighbour's CPU burners). enter returns 0 or an exit status. */
  int (*enter)(struct gnx_scen *s, size_t v);
  void (*leave)(struct gnx_scen *s, size_t v);
  /* Experiments that are not runs (broadcast's ranks): after the
   * variants, with the directory made. Returns 0 or an exit status. */
  int (*measure)(struct gnx_scen *s);
  /* Fill the section (tables, charts, figures, verdict) from what the
   * variants measured. Required. */
  void (*conclude)(struct gnx_scen *s, json_t *section);
  /* One rank of an experiment an outside launcher starts (broadcast's
   * ranks under mpirun): `gnxbench scenario-rank NAME ARGS...`, hidden.
   * argv: the ARGS. Returns the process's exit status. Optional. */
  int (*rank)(int argc, char **argv);
};

struct gnx_scen {
  const struct gnx_scenario *sc;
  struct gnx_params opts;   /* the scenario's own options */
  const char *out;          /* its directory */
  int quiet;
  uint64_t reps;            /* --reps for every variant */
  char pass[1024];          /* the options passed through, space-separated */
  struct gnx_scen_variant v[GNX_SCEN_MAX_VARIANTS];
  size_t n;
  size_t current;           /* the variant running now */
  /* The main thread's (the consumer's: every engine delivers on it)
   * run-queue wait over the last run, from /proc/thread-self/schedstat,
   * in ns; -1 when the kernel does not say. */
  int64_t consumer_runq_ns;
  int64_t runq_before;
  void *priv;               /* the scenario's own state: one allocation, freed after */
};

/* Plan variant `name` with the options of fmt (space-separated words,
 * printf-formatted), the passed-through options and --reps appended.
 * Returns 0, or GNX_EUSAGE with why (the run's own message). */
int gnx_scen_add(struct gnx_scen *s, char *why, size_t len, const char *name, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));

/* The index of name in names[0..n), or -1. */
int gnx_scen_index(const char *const *names, int n, const char *name);

/* The engines of names[0..n) this build has (have[i]), as an --engines
 * list in buf with serial first. Returns how many it has. */
int gnx_scen_engines(const char *const *names, int n, int *have, char *buf, size_t len);

/* GNX_EUSAGE with why when the passed-through options hold one of own
 * (NULL-terminated: options the scenario sets itself), else 0. */
int gnx_scen_refuse(const struct gnx_scen *s, const char *const *own, char *why, size_t len);

/* A comma list of whole numbers (k, m suffixes) each in [lo, hi], at most
 * max of them. Returns the count, or -1 when it is not such a list. */
int gnx_scen_u64_list(const char *spec, uint64_t *out, size_t max, uint64_t lo, uint64_t hi);

/* Whether the passed-through options hold --name. */
int gnx_scen_passed(const struct gnx_scen *s, const char *name);

/* Variant v's cell of engine (its first workload and size), or NULL. */
const json_t *gnx_scen_cell(const struct gnx_scen *s, size_t v, const char *engine);
/* A cell's median wall (s) and median speedup over serial; NAN if absent. */
double gnx_scen_wall(const json_t *cell);
double gnx_scen_speedup(const json_t *cell);

/* ---- Building the section ------------------------------------------------ */

/* A table {title, columns, rows} appended to section; returns its rows. */
json_t *gnx_scen_table(json_t *section, const char *title, const char *const *columns);
/* A line chart appended to section; returns its series array. */
json_t *gnx_scen_chart(json_t *section, const char *name, const char *title, const char *xlabel,
                       const char *ylabel);
/* A series of a chart (style: linespoints, lines, points, or bound: a
 * dashed line); returns its points array, for gnx_scen_point. */
json_t *gnx_scen_series(json_t *series, const char *title, const char *style);
void gnx_scen_point(json_t *points, double x, double y);
/* figures[name] = v (a number, or null when not measured). */
void gnx_scen_figure(json_t *section, const char *name, double v);

/* ---- Measuring from a trace ---------------------------------------------- */

/* Percentile q (0..1) of n values (sorted in place); NAN when n is 0. */
double gnx_scen_quantile(double *v, size_t n, double q);

/* The worker that delivered to the sink (the consumer), or NULL. */
const struct gnx_trace_worker *gnx_scen_sink_worker(const struct gnx_trace *t,
                                                    unsigned sink_stage);

/* The foreground consumer (the sink, on the main thread) over kept
 * repetitions: sums until gnx_scen_consumer_mean makes them means (max_ms
 * stays the largest step seen). */
struct gnx_scen_consumer {
  double items_s;          /* items delivered per second of wall */
  double p50_ms, p99_ms;   /* its step time: between consecutive deliveries */
  double max_ms;
  double cpu_share;        /* its thread's CPU time / wall */
  double cs, migrations;   /* its thread's context switches and CPU migrations */
  double runq_ms;          /* its thread's wait in the run queue */
  unsigned reps;
};

void gnx_scen_consumer_add(struct gnx_scen_consumer *c, const struct gnx_scen *s,
                           const struct gnx_run_result *res, unsigned sink_stage);
void gnx_scen_consumer_mean(const struct gnx_scen_consumer *c, struct gnx_scen_consumer *m);

/* The sink's step times (ns between the ends of consecutive deliveries),
 * from the trace of a run, into out (at most max). Returns the count. */
size_t gnx_scen_steps(const struct gnx_trace *t, unsigned sink_stage, double *out, size_t max);

/* The scenarios, in display order (generated list). */
extern const struct gnx_scenario *const gnx_scenarios[];
extern const size_t gnx_n_scenarios;

#endif
