/* SPDX-License-Identifier: MIT */
/* reports/analysis.h: what a report says, per (workload, size, engine).
 *
 * Everything here is derived from report.json and the Chrome trace files
 * beside it (one per cell, the median repetition). The analysis is pure:
 * same inputs, same numbers, so every output made from it (summary.md,
 * speedup.csv, the recommendation) is byte-identical when regenerated.
 * docs/reports.md defines each figure exactly. */
#ifndef GNX_REPORTS_ANALYSIS_H
#define GNX_REPORTS_ANALYSIS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gnx/trace.h"

/* ---- Trace files (the Chrome Trace Event files chrome.c writes) --------- */

struct gnx_tspan {
  double t0, t1;  /* microseconds from the start barrier */
  uint32_t item;  /* GNX_ITEM_NONE when the span has none */
  uint16_t stage;
  uint8_t kind;   /* enum gnx_span_kind */
};

struct gnx_tthread {
  int pid, tid, sort;
  char name[64];
  size_t n, cap;
  struct gnx_tspan *spans; /* sorted by t0 */
};

struct gnx_tfile {
  size_t n;                  /* threads, in sort-index order */
  struct gnx_tthread *threads;
  size_t n_pids;             /* distinct processes */
  double t_end;              /* latest span end, microseconds */
};

/* Load a trace file: its thread names (M events) and its X events; C
 * events and unknown events are skipped. Each event is parsed on its own,
 * so a trace of millions of spans never becomes one JSON tree. Returns 0 or
 * a negative code with a one-line reason in why. */
int gnx_tfile_load(const char *path, struct gnx_tfile *t, char *why, size_t len);
void gnx_tfile_free(struct gnx_tfile *t);

/* ---- Statistics ---------------------------------------------------------- */

/* Median with the distribution-free interval [lo, hi] and its coverage, as
 * harness/stats.c computes it (kept equal so recomputed intervals match). */
struct gnx_est {
  size_t n;
  double median, lo, hi, level;
};

/* level: the cell's interval coverage (its adaptive.interval_level, else
 * GNX_STATS_LEVEL), so that intervals recomputed from a report match the
 * run's. */
void gnx_est_compute(const double *x, size_t n, double level, struct gnx_est *out);

/* ---- The analysis of one cell ------------------------------------------- */

enum gnx_shape {
  GNX_SHAPE_SERIAL,        /* one worker runs everything */
  GNX_SHAPE_PIPELINE,      /* dedicated workers per stage (threads, subproc) */
  GNX_SHAPE_DATA_PARALLEL, /* workers run whole items (procpool, async) */
};

const char *gnx_shape_name(enum gnx_shape s);

struct gnx_stage_an {
  char name[48];
  unsigned workers;      /* workers serving the stage (by role) */
  unsigned executing;    /* of them, how many executed an item of it */
  uint64_t items;
  double exec_s, wait_in_s, wait_out_s, wait_lock_s; /* totals, median repetition */
  double p50_s, p99_s;   /* per-item exec time; NAN without a trace */
  double busy, starved, blocked, locked; /* shares of workers x wall */
  double serial_s;       /* serial's cost of the stage (median); NAN without serial */
  int group;             /* index into the cell's groups */
  const char *status;    /* "CPU-bound", "starved", "blocked", "lock", "idle" */
};

/* A set of stages served by the same workers: one stage for a pipeline's
 * dedicated workers, all the generalists' stages for a data-parallel pool. */
struct gnx_group_an {
  unsigned first, last;  /* stage range (generalist groups may skip stages
                            served by dedicated workers; see stage.group) */
  unsigned workers;      /* capacity: workers that executed items of it */
  double cost_s;         /* serial's cost of its stages */
  double exec_s;         /* this engine's exec time in it (median repetition) */
  double load;           /* exec_s / workers / wall: how busy its workers were */
  int generalist;
};

struct gnx_worker_an {
  char name[64];
  int pid, tid, role;    /* role: its stage, or -1 for all stages */
  uint64_t spans;
  double exec_s, wait_in_s, wait_out_s, wait_lock_s;
  double copy_s;         /* moving items to another process */
  double done_s;         /* after its last span to the end of the run: finished early */
  double before_s;       /* from the start barrier to its first span */
  double util;           /* exec_s / wall */
};

#define GNX_AN_MAX_STAGES 64
#define GNX_AN_MAX_WORKERS 256

struct gnx_cell_an {
  const json_t *cell;    /* borrowed from the report */
  const char *workload, *engine, *status;
  uint64_t size, items;
  int verified, ok;      /* ok: status ok and at least one good repetition */
  int rep;               /* the median repetition (the traced one), -1: none */
  unsigned reps_ok, reps;
  unsigned extra_reps;   /* adaptive: taken after the calibration */
  double target_level;   /* the intervals' intended coverage */
  enum gnx_shape shape;
  struct gnx_est wall, speedup, total; /* total: start-up + wall per repetition */
  double startup_s;      /* median over good repetitions */
  double rep_wall_s;     /* the median repetition's wall */

  unsigned n_stages;
  struct gnx_stage_an stages[GNX_AN_MAX_STAGES];
  unsigned n_groups;
  struct gnx_group_an groups[GNX_AN_MAX_STAGES];
  unsigned n_workers;
  struct gnx_worker_an *workers; /* from the trace; NULL without one */

  /* bound: max(sum / cores, max over groups of cost / workers) + start-up */
  double sum_s;          /* serial's total stage cost */
  unsigned cores;
  double bound_s;        /* NAN without a serial baseline */
  double efficiency;     /* bound_s / (median wall + median start-up) */
  char bound_why[384];   /* which term binds, with its numbers; why it was beaten */

  int bottleneck;        /* stage index, -1: none */
  double wait_share;     /* waits / (workers x wall) */
  double inflation;      /* this engine's exec total / serial's; NAN */
  double extra_s;        /* exec total - serial's: (inflation - 1) x sum_s; NAN */
  double faults;         /* median page faults (minflt) per repetition; NAN */
  double serial_faults;  /* serial's, same workload and size; NAN */
  double fault_s;        /* one page fault on this machine; NAN */
  /* What the extra page faults cost: (faults - serial's) x fault_s when
   * the engine took at least twice serial's and 1000 more, else 0; NAN
   * when it did but the cost of a fault is unknown. */
  double fault_time_s;
  /* How long the median repetition's stage workers (the sink's excluded)
   * were inside a stage but off CPU: exec spans - their task-clock, at
   * least 0 (preempted). NAN without counters. */
  double preempted_s;
  char verdict[768];     /* one sentence with its evidence */

  int have_trace;
  char trace_file[256];
  char trace_why[256];   /* why the trace could not be read, if so */
};

struct gnx_analysis {
  const json_t *report;  /* borrowed */
  unsigned cores;
  double fault_s;        /* context.page_fault_us / 1e6, NAN */
  size_t n;
  struct gnx_cell_an *cells; /* in report order */
};

/* Called once per cell while its trace is loaded (t NULL without one), so
 * the Gantt charts need not load it again. Returns 0 or a negative code. */
typedef int (*gnx_trace_hook)(void *arg, const struct gnx_cell_an *c, const struct gnx_tfile *t);

/* Analyse every cell of the report. dir is where its trace files lie, or
 * NULL to use report.json alone (no p50/p99, no per-worker figures). A
 * trace that cannot be read is noted in trace_why, not an error. Returns 0
 * or a negative code (-ENOMEM, or the hook's). */
int gnx_analysis_build(const json_t *report, const char *dir, gnx_trace_hook hook, void *arg,
                       struct gnx_analysis *a, char *why, size_t len);
void gnx_analysis_free(struct gnx_analysis *a);

/* The serial cell of the same workload and size, or NULL. */
const struct gnx_cell_an *gnx_analysis_serial(const struct gnx_analysis *a,
                                              const struct gnx_cell_an *c);

/* ---- Counters and placement in summary.md (counters.c) ------------------ */

/* Context rows: each counter's source, the reasons of the missing ones
 * (once), the pinning policy, the cost of a page fault. */
void gnx_counters_md_context(FILE *f, const json_t *report);
/* Per engine of (workload, size): the median of each counter, IPC and
 * misses per 1000 instructions where the machine counted them, and how
 * many pinned workers migrated. Nothing when no counters were taken. */
void gnx_counters_md_table(FILE *f, const struct gnx_analysis *a, const char *workload,
                           uint64_t size);
/* Per worker of the cell's median repetition: stage, where it asked to
 * run and ran, its own counters. Nothing when it has neither. */
void gnx_counters_md_workers(FILE *f, const struct gnx_cell_an *c);

/* The median over a cell's good repetitions of rep[key] (obj NULL) or of
 * rep[obj][key] ("counters", "page_faults"); NAN when none has it. */
double gnx_cell_rep_median(const json_t *cell, const char *obj, const char *key);

/* ---- Pieces the unit tests drive with synthetic inputs ------------------- */

/* Analyse one cell. serial: the serial cell of its group (NULL when there is
 * none, or when c is serial itself, which then uses its own costs). t: its
 * trace or NULL. cores: CPUs allowed. fault_s: what one page fault costs
 * on the machine (the report's context.page_fault_us), NAN when unknown.
 * Returns 0 or -ENOMEM. */
int gnx_cell_analyse(const json_t *cell, const json_t *serial, const struct gnx_tfile *t,
                     unsigned cores, double fault_s, struct gnx_cell_an *out);
void gnx_cell_an_free(struct gnx_cell_an *c);

/* ---- The words of a cell's analysis (verdict.c) -------------------------- */

/* A stage's state from its shares: "CPU-bound", "starved", "blocked",
 * "lock" or "idle". */
const char *gnx_stage_status(const struct gnx_stage_an *s);
/* The verdict: the bottleneck (or what sets the pace) with its evidence,
 * and why stage code ran slower than under serial, into c->verdict; sets
 * c->bottleneck. rep: the median repetition (NULL: none good). */
void gnx_verdict_write(struct gnx_cell_an *c, const json_t *rep);

/* ---- Recommendation ------------------------------------------------------ */

struct gnx_reco {
  const char *workload;
  uint64_t size;
  const struct gnx_cell_an *best;  /* NULL: nothing ran and verified */
  const struct gnx_cell_an *tied[8]; /* others tied with best, round by round */
  struct gnx_est ratio[8];           /* tied[k]'s time / best's, per round */
  unsigned n_tied;
  int equivalent;  /* tied, and every ratio to best within 5 % (gnx_stats_tie) */
  char why[1024];  /* one sentence, with the numbers */
  char next[768];  /* the next thing to try */
};

/* The recommendation for one workload and size. */
void gnx_reco_make(const struct gnx_analysis *a, const char *workload, uint64_t size,
                   struct gnx_reco *r);

/* ---- Outputs ---------------------------------------------------------------- */

struct gnx_render_status;

/* Gantt chart of one cell from its loaded trace (see gantt.c). A gnuplot
 * failure or absence is recorded in st; only a file that cannot be written
 * is an error. */
int gnx_gantt_write(const char *dir, const struct gnx_cell_an *c, const struct gnx_tfile *t,
                    struct gnx_render_status *st, char *why, size_t len);

/* summary.md and speedup.csv (see summary.c). */
int gnx_summary_write(const struct gnx_analysis *a, const char *dir,
                      const struct gnx_render_status *st, char *why, size_t len);
int gnx_csv_write(const struct gnx_analysis *a, const char *dir, char *why, size_t len);

/* The recommendation of every workload and size, as markdown (summary.md)
 * or plain text (`gnxbench recommend`). */
void gnx_reco_write(FILE *f, const struct gnx_analysis *a, int markdown);

/* ---- Formatting shared by every output ----------------------------------- */

/* "41.2 ms", "1.234 s", "87 us", "-" for NAN. */
void gnx_fmt_time(char *buf, size_t len, double s);
/* "97 %", "-" for NAN. */
void gnx_fmt_pct(char *buf, size_t len, double x);

/* The sentence that says what the intervals of one workload and size are
 * worth: their coverage, too few repetitions for 95 %, or adaptive
 * repetitions (two looks at the data, each at 97.5 %). */
void gnx_interval_note(char *buf, size_t len, const struct gnx_analysis *a, const char *workload,
                       uint64_t size);

#endif
