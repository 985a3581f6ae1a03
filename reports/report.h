/* SPDX-License-Identifier: MIT */
/* reports/report.h: report.json and everything derived from it.
 *
 * The report is a jansson object built by the harness (schema in
 * docs/report-schema.json). json.c is the only code that writes or reads
 * the file; every other output is derived from the loaded object. */
#ifndef GNX_REPORTS_REPORT_H
#define GNX_REPORTS_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "gnx/trace.h"

#define GNX_REPORT_SCHEMA_VERSION 1

/* Write dir/report.json atomically (temporary file, fsync, rename), so a
 * reader or a crash never sees half a report. Returns 0 or -errno with a
 * one-line reason in why. */
int gnx_report_write(const json_t *report, const char *dir, char *why, size_t len);

/* Load and minimally validate a report (object, known schema_version,
 * results array). Returns NULL with a one-line reason in why. */
json_t *gnx_report_load(const char *path, char *why, size_t len);

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

/* The recommendation, per workload and size, as plain text (what
 * `gnxbench recommend` shows; summary.md has the same sentences). */
int gnx_recommend_print(FILE *f, const json_t *report, char *why, size_t len);

#endif
