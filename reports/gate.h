/* SPDX-License-Identifier: MIT */
/* reports/gate.h: the CI regression gate's decision, per cell, from a
 * baseline report and a new report (both report.json objects). Pure logic:
 * cmd-gate.c runs, prints and exits. */
#ifndef GNX_REPORTS_GATE_H
#define GNX_REPORTS_GATE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

enum gnx_gate_verdict { GNX_GATE_PASS, GNX_GATE_INCONCLUSIVE, GNX_GATE_REGRESSED };

struct gnx_gate_opts {
  double max_drop;  /* 0.10: a speedup may fall 10 % below the baseline's median */
  double max_width; /* 0.50: an interval wider than this share of its median says nothing */
  /* The share of the machine's CPU time that other processes used while
   * the new report was measured (NaN: unknown, e.g. --report). Above
   * max_busy, an interval below the threshold is inconclusive, not
   * regressed: the parallel engines were short of cores. */
  double busy, max_busy;
};

struct gnx_gate_cell {
  char workload[64], engine[64];
  uint64_t size;
  double base;      /* baseline median speedup */
  double threshold; /* base * (1 - max_drop) */
  double median, lo, hi; /* the new speedup and its interval (NaN: not measured) */
  double change;    /* median / base - 1 */
  enum gnx_gate_verdict verdict;
  char why[192];
};

struct gnx_gate_result {
  struct gnx_gate_cell *cells;
  size_t n, n_pass, n_inconclusive, n_regressed;
};

/* Check that a loaded report can serve as a baseline: a config with
 * engines, workloads, sizes, reps and warmup, and results whose cells name
 * workload, size and engine and carry a speedup median. Returns 0, or
 * GNX_EFORMAT with a one-line reason (without the file name) in why. */
int gnx_gate_check_baseline(const json_t *report, char *why, size_t len);

/* Judge every non-serial cell of the baseline against the same
 * (workload, size, engine) of report:
 *   regressed     hi < threshold (the whole interval is below it), unless
 *                 the machine was busy (o->busy > o->max_busy): inconclusive
 *   inconclusive  not regressed, but the median is below the threshold or
 *                 the interval is wider than max_width of the median
 *   pass          otherwise
 * A cell missing from report, without a speedup, or that did not verify
 * is regressed.
 * Returns 0 or -ENOMEM. */
/* 0 when the new report measured every cell of the baseline; otherwise
 * GNX_EUSAGE with why: another workload, size or engine set is not a
 * regression but an unusable comparison (exit 2). */
int gnx_gate_check_match(const json_t *baseline, const json_t *report, char *why, size_t len);

int gnx_gate_judge(const json_t *baseline, const json_t *report, const struct gnx_gate_opts *o,
                   struct gnx_gate_result *out);
void gnx_gate_result_free(struct gnx_gate_result *r);

/* 0 all pass, 1 any regressed, 3 inconclusive but none regressed. */
int gnx_gate_exit_code(const struct gnx_gate_result *r);

/* A cell's new figures as the table shows them; "-" when not measured. */
struct gnx_gate_text {
  char speedup[32], interval[48], change[32];
};
void gnx_gate_cell_text(const struct gnx_gate_cell *g, struct gnx_gate_text *t);

/* The verdict line: "gate: N pass, N inconclusive, N regressed (...): PASS". */
void gnx_gate_summary(char *dst, size_t len, const struct gnx_gate_result *r,
                      const struct gnx_gate_opts *o);

/* The table: cell, baseline, threshold, new speedup [interval], change,
 * verdict and why; then one summary line. */
void gnx_gate_print(FILE *f, const struct gnx_gate_result *r, const struct gnx_gate_opts *o);
/* The same table in Markdown (markdown 1: "| a | b |" rows, the verdict
 * line in bold) or as gnx_gate_print prints it (0). */
void gnx_gate_table(FILE *f, const struct gnx_gate_result *r, const struct gnx_gate_opts *o,
                    int markdown);

const char *gnx_gate_verdict_name(enum gnx_gate_verdict v);

#endif
