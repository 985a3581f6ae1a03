/* SPDX-License-Identifier: MIT */
/* harness/schedule.h: in which order engines run within a round, and how
 * many more rounds a group gets after its calibration (adaptive
 * repetitions within --time-budget; docs/statistics.md says why the
 * intervals stay honest). */
#ifndef GNX_HARNESS_SCHEDULE_H
#define GNX_HARNESS_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/cli.h"

/* --order fixed (engines as listed) or random (a fresh permutation each
 * round from seed, recorded in the report so that a run can be repeated). */
struct gnx_order {
  int random;
  uint64_t seed, state;
};

/* Parse "fixed", "random" (seed from the clock) or "random:SEED". Returns 0
 * or GNX_EUSAGE with one line in why. */
int gnx_order_parse(const char *spec, struct gnx_order *o, char *why, size_t len);

/* idx[0..n): the engines' order in round `round` of a group (warm-up
 * rounds count). Serial (0) runs first in round 0: its first run is the
 * profile every other engine is tuned on. */
void gnx_order_round(struct gnx_order *o, size_t round, size_t n, size_t *idx);

#define GNX_ADAPT_MAX_REPS 1000 /* as --reps at most */

/* After the calibration: which engines take part in the extra rounds and
 * how many rounds there are. */
struct gnx_adapt_in {
  size_t n_engines;
  /* each engine's start-up + wall per round (NaN: the run failed) */
  const double *totals[GNX_CLI_MAX];
  size_t n[GNX_CLI_MAX];
  double run_s[GNX_CLI_MAX]; /* what one run of the engine took, harness included */
  int failed[GNX_CLI_MAX];
  size_t calibration;        /* rounds measured so far */
  size_t max_reps;           /* repetitions per engine at most */
  double share_s;            /* this group's share of what is left of the budget */
  double level;              /* the intervals' coverage at each look */
};
struct gnx_adapt_plan {
  size_t extra;              /* rounds to add (0: none) */
  int in[GNX_CLI_MAX];       /* serial and the engines tied with the leader */
  const char *why;           /* "separated", "tied", "no budget left", ... */
};

/* The fixed rule: the leader has the lowest median time to result; an
 * engine is tied with it when the interval at level of their round-by-round
 * ratio contains 1 and is not within 5 % (gnx_stats_tie: equivalent engines
 * need no more rounds). With ties, or too few repetitions for level
 * (gnx_stats_min_n), serial, the leader and the tied get
 * min(max_reps - calibration, share / the round's cost) more rounds. */
void gnx_adapt_decide(const struct gnx_adapt_in *in, struct gnx_adapt_plan *out);

/* A group's share of the budget for its extra rounds: from left_s, the
 * groups after it (later_size, their sizes summed) are first kept their
 * `rounds` warm-up and calibration rounds, each estimated as this group's
 * round (round_s) scaled by size; the rest is shared in proportion to the
 * sizes. Equal parts let the small sizes, which run first, spend what the
 * largest needed (the main job's gnn 100k kept its 3 calibration rounds
 * while etl 25k got 12). Returns seconds, at least 0. */
double gnx_adapt_share(double left_s, double round_s, size_t rounds, double size, double later_size);

#endif
