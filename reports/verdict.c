/* SPDX-License-Identifier: MIT */
/* reports/verdict.c: the words of a cell's analysis: how figures are
 * written, each stage's state, and the verdict sentence with its evidence
 * (docs/reports.md). Built with the string builder: a long sentence is cut,
 * never overflowed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "reports/analysis.h"

/* ---- formatting ------------------------------------------------------------ */

void gnx_fmt_time(char *buf, size_t len, double s) {
  if (isnan(s)) {
    snprintf(buf, len, "-");
  } else if (s >= 1) {
    snprintf(buf, len, "%.3f s", s);
  } else if (s >= 1e-3) {
    snprintf(buf, len, "%.1f ms", s * 1e3);
  } else if (s >= 10e-6 || s == 0) {
    snprintf(buf, len, "%.0f us", s * 1e6);
  } else {
    snprintf(buf, len, "%.1f us", s * 1e6); /* per-item costs of cheap stages */
  }
}

void gnx_fmt_pct(char *buf, size_t len, double x) {
  if (isnan(x)) {
    snprintf(buf, len, "-");
  } else {
    snprintf(buf, len, "%.0f %%", x * 100);
  }
}

const char *gnx_shape_name(enum gnx_shape s) {
  switch (s) {
  case GNX_SHAPE_SERIAL:
    return "serial";
  case GNX_SHAPE_PIPELINE:
    return "pipeline";
  case GNX_SHAPE_DATA_PARALLEL:
    return "data-parallel";
  }
  return "?";
}

/* ---- a stage's state --------------------------------------------------------- */

const char *gnx_stage_status(const struct gnx_stage_an *s) {
  if (s->exec_s <= 0 && s->wait_in_s + s->wait_out_s + s->wait_lock_s <= 0) {
    return "idle";
  }
  /* the largest share names the state; busy wins ties */
  double m = s->busy;
  const char *st = "CPU-bound";
  if (s->starved > m) {
    m = s->starved;
    st = "starved";
  }
  if (s->blocked > m) {
    m = s->blocked;
    st = "blocked";
  }
  if (s->locked > m) {
    st = "lock";
  }
  return st;
}

/* ---- the verdict ----------------------------------------------------------- */

/* The group whose workers were busiest, and its heaviest stage (-1: none
 * executed an item). */
static int gnx__busiest(const struct gnx_cell_an *c, unsigned *group) {
  unsigned g = 0;
  for (unsigned k = 1; k < c->n_groups; k++) {
    g = c->groups[k].load > c->groups[g].load ? k : g;
  }
  int s = -1;
  for (unsigned k = 0; k < c->n_stages; k++) {
    if (c->stages[k].group == (int)g && (s < 0 || c->stages[k].exec_s > c->stages[s].exec_s)) {
      s = (int)k;
    }
  }
  *group = g;
  return s;
}

static double gnx__exec_total(const struct gnx_cell_an *c) {
  double t = 0;
  for (unsigned k = 0; k < c->n_stages; k++) {
    t += c->stages[k].exec_s;
  }
  return t;
}

static void gnx__serial_words(struct gnx_sb *v, const struct gnx_cell_an *c,
                              const struct gnx_stage_an *S) {
  char a[32], b[32], p[16];
  gnx_fmt_pct(p, sizeof p, S->exec_s / c->rep_wall_s);
  gnx_fmt_time(a, sizeof a, S->exec_s);
  gnx_fmt_time(b, sizeof b, c->rep_wall_s);
  gnx_sb_printf(v, "%s takes %s of the run (%s of %s wall)", S->name, p, a, b);
  gnx_fmt_time(a, sizeof a, gnx__exec_total(c) - S->exec_s);
  gnx_sb_printf(v, "; the other stages take %s", a);
}

/* A data-parallel pool: the heaviest stage, and the sink on the other side. */
static void gnx__generalist_words(struct gnx_sb *v, const struct gnx_cell_an *c, unsigned g,
                                  const struct gnx_stage_an *S, const char *load) {
  const struct gnx_group_an *G = &c->groups[g];
  char share[16], starved[16];
  gnx_fmt_pct(share, sizeof share, G->exec_s > 0 ? S->exec_s / G->exec_s : NAN);
  gnx_sb_printf(v, "%s is the heaviest stage: the %u worker%s run%s whole items and %s busy %s, "
                   "%s of it in %s",
                S->name, G->workers, G->workers == 1 ? "" : "s", G->workers == 1 ? "s" : "",
                G->workers == 1 ? "is" : "are", load, share, S->name);
  for (unsigned k = 0; k < c->n_stages; k++) {
    if (c->stages[k].group != (int)g && c->stages[k].starved > 0.05) {
      gnx_fmt_pct(starved, sizeof starved, c->stages[k].starved);
      const char *nm = c->stages[k].name;
      int plain = strcmp(nm, "sink") == 0;
      gnx_sb_printf(v, "; the sink%s%s%s is starved %s", plain ? "" : " (", plain ? "" : nm,
                    plain ? "" : ")", starved);
      break;
    }
  }
}

/* A pipeline: the limiting stage, its upstream blocked, its downstream starved. */
static void gnx__pipeline_words(struct gnx_sb *v, const struct gnx_cell_an *c, int s,
                                unsigned workers, const char *load) {
  char p[16];
  gnx_sb_printf(v, "%s limits throughput: its worker%s busy %s", c->stages[s].name,
                workers == 1 ? " is" : "s are", load);
  if (s > 0) {
    gnx_fmt_pct(p, sizeof p, c->stages[s - 1].blocked);
    gnx_sb_printf(v, "; upstream %s blocked on output %s of the time", c->stages[s - 1].name, p);
  }
  if ((unsigned)s + 1 < c->n_stages) {
    gnx_fmt_pct(p, sizeof p, c->stages[s + 1].starved);
    gnx_sb_printf(v, "; downstream %s starved %s", c->stages[s + 1].name, p);
  }
}

/* Stage code slower than under serial, split where the counters allow:
 * first touches of memory serial's loop reuses (each item in flight has its
 * own buffers; a forked worker starts with a cold heap), priced by the
 * extra page faults times the measured cost of one; time the workers spent
 * inside a stage but off CPU (preempted); and what is left, CPU lost to
 * sharing cores, caches or memory bandwidth. */
static void gnx__inflation_words(struct gnx_sb *v, const struct gnx_cell_an *c) {
  double extra_faults = c->faults - c->serial_faults;
  int more_faults = c->fault_time_s != 0; /* NAN too: more, at an unknown cost */
  double extra_s = c->extra_s, fault_time = c->fault_time_s;
  char t[32];
  gnx_sb_printf(v, "; stage code ran %.1fx slower than under serial", c->inflation);
  if (isnan(extra_s) || isnan(fault_time) || isnan(c->preempted_s)) {
    if (more_faults) {
      gnx_sb_printf(v, ", with %.1fx its page faults (%.0f vs %.0f: first touches of buffers "
                       "serial reuses)",
                    c->faults / c->serial_faults, c->faults, c->serial_faults);
    } else {
      gnx_sb_printf(v, " (workers shared CPUs or memory)");
    }
    return;
  }
  gnx_fmt_time(t, sizeof t, extra_s);
  gnx_sb_printf(v, " (%s more):", t);
  const char *sep = "";
  if (more_faults) {
    gnx_fmt_time(t, sizeof t, fault_time);
    gnx_sb_printf(v, " page faults explain %s (%.0f more than serial's %.0f, at %.1f us each: "
                     "first touches of buffers serial reuses)",
                  t, extra_faults, c->serial_faults, c->fault_s * 1e6);
    sep = ",";
  }
  if (c->preempted_s >= 0.05 * extra_s) {
    gnx_fmt_time(t, sizeof t, c->preempted_s);
    gnx_sb_printf(v, "%s %s off CPU inside a stage (preempted)", sep, t);
    sep = ",";
  }
  double rest = extra_s - fault_time - c->preempted_s;
  if (rest >= 0.05 * extra_s) {
    gnx_fmt_time(t, sizeof t, rest);
    gnx_sb_printf(v, "%s %s%s more CPU time: sharing cores, caches or memory bandwidth, or a busy "
                     "host",
                  sep, *sep ? "and " : "", t);
  }
}

void gnx_verdict_write(struct gnx_cell_an *c, const json_t *rep) {
  struct gnx_sb v;
  gnx_sb_init(&v, c->verdict, sizeof c->verdict);
  c->bottleneck = -1;
  if (!rep || c->n_stages == 0 || !(c->rep_wall_s > 0)) {
    gnx_sb_printf(&v, "no successful repetition to analyse");
    return;
  }
  unsigned g;
  int s = gnx__busiest(c, &g);
  if (s < 0) {
    gnx_sb_printf(&v, "no stage executed any item");
    return;
  }
  c->bottleneck = s;
  const struct gnx_group_an *G = &c->groups[g];
  const struct gnx_stage_an *S = &c->stages[s];
  if (c->shape == GNX_SHAPE_SERIAL) {
    gnx__serial_words(&v, c, S);
    return;
  }
  double busy = gnx__exec_total(c) / c->rep_wall_s; /* CPUs kept busy by stage code */
  char load[16], waits[16];
  gnx_fmt_pct(load, sizeof load, G->load);
  if (!G->generalist && busy >= 0.85 * c->cores && c->cores < c->n_stages) {
    /* more busy stages than cores: the cores, not one stage, set the pace */
    char cores[48];
    snprintf(cores, sizeof cores, c->cores == 1 ? "the one core is" : "the %u cores are",
             c->cores);
    gnx_sb_printf(&v, "%s saturated: stage code kept %.1f of them busy; the busiest stage, %s, "
                      "has its worker%s busy %s",
                  cores, busy, S->name, G->workers == 1 ? "" : "s", load);
  } else if (G->load < 0.5) {
    gnx_fmt_pct(waits, sizeof waits, c->wait_share);
    gnx_sb_printf(&v, "no stage is saturated: the busiest, %s, is busy %s and the workers wait "
                      "%s of their time, so hand-offs and waits, not stage work, set the pace",
                  S->name, load, waits);
    c->bottleneck = -1;
  } else if (G->generalist) {
    gnx__generalist_words(&v, c, g, S, load);
  } else {
    gnx__pipeline_words(&v, c, s, G->workers, load);
  }
  if (!isnan(c->inflation) && c->inflation > 1.25) {
    gnx__inflation_words(&v, c);
  }
}

void gnx_interval_note(char *buf, size_t len, const struct gnx_analysis *a, const char *workload,
                       uint64_t size) {
  double level = 1, target = 0.95;
  size_t n = 0;
  unsigned extended = 0, extra = 0;
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (strcmp(c->workload, workload) != 0 || c->size != size || isnan(c->wall.level)) {
      continue;
    }
    level = fmin(level, c->wall.level);
    n = c->wall.level <= level ? c->wall.n : n;
    target = fmax(target, c->target_level);
    extended += c->extra_reps > 0;
    extra = c->extra_reps > extra ? c->extra_reps : extra;
  }
  if (level < target) {
    snprintf(buf, len, "intervals are [min, max] of %zu repetitions and cover the median with "
                       "only %.0f %% probability; %s",
             n, level * 100, extended ? "a larger --time-budget gives more repetitions"
                                      : "run with --reps 6 or more for 95 %");
  } else if (extended) {
    snprintf(buf, len, "intervals are %.1f %% confidence intervals of the median (order "
                       "statistics): after the calibration, %u engines (serial and those not yet "
                       "separated from the leader) got up to %u more repetitions, and two looks "
                       "at the data take %.1f %% each to keep 95 %% in all (docs/statistics.md)",
             target * 100, extended, extra, target * 100);
  } else {
    snprintf(buf, len, "intervals are 95 %% confidence intervals of the median (order "
                       "statistics)");
  }
}
