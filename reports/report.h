/* SPDX-License-Identifier: MIT */
/* reports/report.h: report.json and everything derived from it.
 *
 * The report is a jansson object (schema in docs/report-schema.json): the
 * harness makes its skeleton and hands over what it measured as plain
 * facts; cell.c turns them into the repetitions and cells. json.c is the
 * only code that writes or reads the file; every other output is derived
 * from the loaded object. */
#ifndef GNX_REPORTS_REPORT_H
#define GNX_REPORTS_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "gnx/trace.h"

struct gnx_counters; /* core/counters.h */
struct gnx_pin_plan; /* core/pin.h */
struct gnx_params;   /* gnx/option.h */

#define GNX_REPORT_SCHEMA_VERSION 1

/* ---- Writing the report's cells (cell.c) --------------------------------- */

/* Repetitions of one engine a cell can hold (--reps allows 1000). */
#define GNX_REPORT_MAX_REPS 1024
/* Cells a report may hold (the readers' per-cell arrays), and the longest
 * time it may record, in seconds (about 116 days): anything above is not a
 * measurement. */
#define GNX_REPORT_MAX_CELLS 1024
#define GNX_REPORT_MAX_TIME_S 1e7

/* One repetition as measured: what gnx_report_rep_new turns into a "reps"
 * entry. Nothing here is owned. */
struct gnx_rep_facts {
  int ok;                        /* the engine returned 0 */
  double wall_s, startup_s;      /* after the start barrier; spawning workers */
  double user_s, sys_s;          /* CPU of the process and its children */
  long maxrss_kb;
  const char *maxrss_source;     /* NULL: "none" */
  long nvcsw, nivcsw, minflt, majflt;
  int counters_on;               /* sw and sw_src hold the process tree's counters */
  const int64_t *sw;             /* [GNX_SW__COUNT], -1: unavailable */
  const int *sw_src;             /* [GNX_SW__COUNT], enum gnx_ctr_source */
  const struct gnx_trace *trace; /* every worker's spans, counters, placement */
  const char *const *names;      /* the workload's stage names, then its sink's */
  unsigned n_names;
  const struct gnx_counters *counters; /* what this process counts; NULL: nothing */
  const struct gnx_pin_plan *pin;      /* where workers go; NULL: unpinned */
};

json_t *gnx_report_rep_new(const struct gnx_rep_facts *r);

/* How one repetition of a cell ended, and its "reps" entry (the caller
 * holds both references). */
struct gnx_rep_outcome {
  int rc;                /* 0: ran and returned a result */
  double wall_s;
  json_t *summary;       /* its result, NULL on failure */
  json_t *json;          /* from gnx_report_rep_new; NULL: never ran */
};

/* The repetition whose trace a cell shows: the lower median by wall time
 * of the good ones; -1 when none is good. */
int gnx_report_median_rep(const struct gnx_rep_outcome *reps, size_t n);

/* One (workload, size, engine): what gnx_report_cell_new turns into a
 * "results" entry (status, verification, statistics, warnings). */
struct gnx_cell_facts {
  const char *workload, *engine;
  uint64_t size, items;
  const struct gnx_params *params[2]; /* the workload's and the engine's options */
  int failed;            /* the engine's first error (GNX_ESTOPPED: interrupted), 0 */
  const char *failmsg;   /* its message, when failed */
  size_t n_reps;
  const struct gnx_rep_outcome *reps;   /* this engine's measured repetitions */
  const struct gnx_rep_outcome *serial; /* serial's, round by round (n_reps) */
  const json_t *reference; /* serial's first good result; NULL: none */
  int checked;           /* the workload checked reference: */
  int check_rc;          /*   0, GNX_EVERIFY, or the error of the check */
  const json_t *check_detail; /* what the check reported, or NULL */
  const char *trace_file; /* the Chrome trace written beside the report; NULL: none */
  size_t trace_rep;      /* the repetition it shows */
  /* adaptive repetitions (0: a fixed count): the calibration's count, the
   * rest extra; the intervals' coverage (0: GNX_STATS_LEVEL) */
  size_t calibration_reps;
  double level;
};

json_t *gnx_report_cell_new(const struct gnx_cell_facts *c);

/* The report's "counters" block (each counter with its source, or why it
 * is missing) and its "pinning" block (the placement plan). */
json_t *gnx_report_counters_new(const struct gnx_counters *c);
json_t *gnx_report_pinning_new(const struct gnx_pin_plan *p);

/* ---- The file ------------------------------------------------------------ */

/* Write a report to path (DIR/report.json, or a gate's baseline) atomically
 * (a temporary file beside it, fsync, rename), so a reader or a crash
 * never sees half a report. Returns 0 or -errno with a one-line reason in
 * why. */
int gnx_report_write(const json_t *report, const char *path, char *why, size_t len);

/* Load a report or a baseline and validate it (validate.h: every field a
 * reader uses, its type and range, required sections, no duplicate cells),
 * so readers can trust what they read. Returns NULL with one line in why
 * naming the file and the field (its JSON path) or why it cannot be read. */
json_t *gnx_report_load(const char *path, char *why, size_t len);

/* The same from text in memory (name: what the message calls it). */
json_t *gnx_report_parse(const char *text, size_t n, const char *name, char *why, size_t len);

/* The results entry of (workload, size, engine), or NULL when absent. */
const json_t *gnx_report_cell(const json_t *report, const char *workload, json_int_t size,
                              const char *engine);

/* The console table for one workload and size: engine, median wall with its
 * interval, speedup vs serial with its interval, verified. */
void gnx_table_print(FILE *f, const json_t *report, const char *workload, uint64_t size);

/* Write a run's trace as a Chrome Trace Event file (see chrome.c). Times
 * are relative to t0 (the start barrier). Returns 0 or -errno with why. */
int gnx_chrome_write(const char *path, const struct gnx_trace *t, const char *const *stage_names,
                     unsigned n_names, uint64_t t0, const char *title, char *why, size_t len);

/* ---- Derived outputs (analysis.c, gantt.c, summary.c, recommend.c) ------ */

/* What rendering did besides writing files, for the harness to report. */
struct gnx_render_status {
  int gnuplot_missing;   /* gnuplot is not on PATH: charts skipped */
  unsigned charts;       /* charts gnuplot drew (PNG + SVG each) */
  unsigned failed;       /* charts gnuplot failed on */
  char why[512];         /* the first failure */
  unsigned traces_unreadable;
  char trace_why[320];   /* the first trace that could not be read */
};

/* Render every output derived from the report into dir (where report.json
 * and its trace files lie): speedup.csv, summary.md, and per cell with a
 * trace a Gantt chart (.dat, .gp, and through gnuplot .png and .svg). The
 * end of `gnxbench run` and `gnxbench report DIR` both call this, so they
 * write identical files. A missing gnuplot or a failed chart is noted in
 * st, not an error. Returns 0 or a negative code with why. */
int gnx_report_render(const json_t *report, const char *dir, struct gnx_render_status *st,
                      char *why, size_t len);

/* summary.md and report.html again, from a report whose status changed
 * after gnx_report_render (a signal while the charts were drawn), so that
 * they say what report.json says; the charts and their status st stay. */
int gnx_report_render_text(const json_t *report, const char *dir,
                           const struct gnx_render_status *st, char *why, size_t len);
/* A scenario's report (it has a "scenario" section; its runs lie in the
 * folders it names): summary.md and the scenario's charts, in place of a
 * run's outputs (scenario.c). Returns 0 or a negative code with why. */
int gnx_scenario_render(const json_t *report, const char *dir, struct gnx_render_status *st,
                        char *why, size_t len);

/* The recommendation, per workload and size, as plain text (what
 * `gnxbench recommend` shows; summary.md has the same sentences). */
int gnx_recommend_print(FILE *f, const json_t *report, char *why, size_t len);

#endif
