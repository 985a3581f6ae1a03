/* SPDX-License-Identifier: MIT */
/* reports/charts.h: the charts people look for first (speedup against
 * size, where the workers' time went) and report.html, the one page that
 * holds the whole report with every chart inline.
 *
 * Like summary.md, all of it is derived from the analysis of report.json
 * (and the traces beside it), so `gnxbench report DIR` writes it again
 * byte for byte. docs/reports.md describes each output. */
#ifndef GNX_REPORTS_CHARTS_H
#define GNX_REPORTS_CHARTS_H

#include <stddef.h>
#include <stdio.h>

#include "reports/analysis.h"
#include "reports/report.h"

/* ---- Writing an output file whole (chart.c) ------------------------------ */

/* DIR/NAME written through a temporary file beside it and renamed into
 * place on commit, so a reader never sees half a file. */
struct gnx_outfile {
  FILE *f;
  char path[4096], tmp[4200];
};

/* Returns 0 or -errno with "cannot write PATH: reason" in why. */
int gnx_outfile_open(struct gnx_outfile *o, const char *dir, const char *name, char *why,
                     size_t len);
/* Close, check for write errors, rename; on failure the temporary file is
 * removed. Returns 0 or -errno with why. */
/* Flush and close f: 0, or the negative errno of the write that failed
 * (stdio's error flag keeps none; the final flush says it again: ENOSPC,
 * not EIO), -EIO when no call says. */
int gnx_file_close(FILE *f);

int gnx_outfile_commit(struct gnx_outfile *o, char *why, size_t len);

/* Whether a chart's base name is safe to write into its script unquoted
 * (letters, digits, ._+-); if not, the chart is noted in st as failed. */
int gnx_chart_name_ok(const char *base, struct gnx_render_status *st);

/* s with the five markup characters escaped: HTML and XML, text or
 * attribute. */
void gnx_markup_escape(FILE *f, const char *s);

/* A double-quoted gnuplot string (noenhanced text: only quotes and
 * backslashes need escaping; a newline becomes a line break). */
void gnx_gp_quote(FILE *f, const char *s);

/* Run `gnuplot BASE.gp` in dir and note the outcome in st: drawn, failed
 * (the first failure's reason kept), or gnuplot missing (then nothing more
 * is tried). Never an error: the .dat and .gp stay for the user. */
void gnx_chart_draw(const char *dir, const char *base, struct gnx_render_status *st);

/* Write BASE.dat and BASE.gp in dir (each whole) with the given writers,
 * then draw the chart; a BASE that fails gnx_chart_name_ok is not
 * charted, so writers may put it into the script unquoted. Returns 0 or
 * -errno (a file that cannot be written). */
typedef void (*gnx_chart_part)(FILE *f, const void *arg, const char *base);
int gnx_chart_write(const char *dir, const char *base, gnx_chart_part dat, gnx_chart_part gp,
                    const void *arg, struct gnx_render_status *st, char *why, size_t len);

/* Whether cell i is the first of its workload (by_size 0) or of its
 * (workload, size) group (by_size 1), in report order. */
int gnx_cell_opens(const struct gnx_analysis *a, size_t i, int by_size);

/* "25k", "1m", "1500": a size as the command line takes it. */
void gnx_fmt_size(char *buf, size_t len, unsigned long long n);

/* ---- Speedup against size (speedup.c) ------------------------------------ */

/* One chart per workload: speedup-<workload>.{dat,gp,png,svg}, x = size
 * (log scale where the sizes span more than 4x), one line per parallel
 * engine with its speedup interval as error bars, reference lines at 1x
 * (serial) and at the CPUs allowed to the run. A workload where only
 * serial has a speedup gets none. Returns 0 or a negative code (a file
 * that cannot be written). */
int gnx_speedup_charts_write(const struct gnx_analysis *a, const char *dir,
                             struct gnx_render_status *st, char *why, size_t len);

/* ---- Where the time went (breakdown.c) ----------------------------------- */

enum gnx_bd_part {
  GNX_BD_EXEC,
  GNX_BD_STARVED,  /* wait_in */
  GNX_BD_BLOCKED,  /* wait_out */
  GNX_BD_LOCK,     /* wait_lock */
  GNX_BD_COPY,     /* moving items to another process */
  GNX_BD_DONE,     /* before a worker's first span and after its last */
  GNX_BD_UNTRACED, /* the rest: queue operations, bookkeeping, descheduled */
  GNX_BD__COUNT
};

/* A cell's median repetition as shares of workers x wall. */
struct gnx_breakdown {
  double share[GNX_BD__COUNT];
  unsigned workers;
  int from_trace; /* per worker from the trace; else report.json's stage
                     totals, where done is not known (it is in untraced) */
};

const char *gnx_bd_part_name(enum gnx_bd_part p);

/* Returns 0, or -1 when the cell has no good repetition. */
int gnx_breakdown_of(const struct gnx_cell_an *c, struct gnx_breakdown *b);

/* One chart per (workload, size): breakdown-<workload>-<size>.{dat,gp,png,
 * svg}, one stacked bar per engine. Returns 0 or a negative code. */
int gnx_breakdown_charts_write(const struct gnx_analysis *a, const char *dir,
                               struct gnx_render_status *st, char *why, size_t len);

/* ---- Shared with summary.md (summary.c) ---------------------------------- */

/* The words of one engine's row in the tables of summary.md and
 * report.html. */
struct gnx_row_text {
  char wall[96], speedup[64], startup[32], bound[32], eff[64], pred[64], cpu[32], rss[32],
      wait[16];
  const char *bottleneck;
  const char *verified; /* "yes", its status, or "NO" */
  int alarm;            /* verified says NO: make it stand out */
};

void gnx_row_text_make(const struct gnx_cell_an *c, struct gnx_row_text *t);

/* What follows the engine's name in its verdict: "(pipeline): s2 limits
 * throughput: ... Bound 80.0 ms = ... Error: ...". */
void gnx_verdict_line(const struct gnx_cell_an *c, char *buf, size_t len);

/* The recommendation's head: the engine, or the tied ones ("a or b (a
 * tie)"), or "none". */
void gnx_reco_choice(const struct gnx_reco *r, char *buf, size_t len);

/* ---- report.html (html.c) ------------------------------------------------ */

/* DIR/report.html: self-contained (inline CSS, the charts' SVG inline, no
 * script, nothing to load), every text from the report escaped. */
int gnx_html_write(const struct gnx_analysis *a, const char *dir,
                   const struct gnx_render_status *st, char *why, size_t len);

#endif
