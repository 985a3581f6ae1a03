/* SPDX-License-Identifier: MIT */
/* tests/unit/test-schedule.c: the engines' order within a round (--order)
 * and the fixed rule that gives tied groups more rounds (--time-budget),
 * on synthetic times. */
#include <math.h>
#include <string.h>

#include "core/stats.h"
#include "gnx/err.h"
#include "harness/schedule.h"
#include "tests/test.h"

GNX_TEST(order_fixed_keeps_the_list) {
  struct gnx_order o;
  char why[256];
  ASSERT_OK(gnx_order_parse("fixed", &o, why, sizeof why));
  size_t idx[5];
  for (size_t round = 0; round < 4; round++) {
    gnx_order_round(&o, round, 5, idx);
    for (size_t i = 0; i < 5; i++) {
      ASSERT_EQ_U64(idx[i], i);
    }
  }
}

/* A permutation, serial first in round 0, the same seed the same orders,
 * and over many rounds every engine sometimes first. */
GNX_TEST(order_random_is_a_seeded_permutation) {
  struct gnx_order a, b;
  char why[256];
  ASSERT_OK(gnx_order_parse("random:42", &a, why, sizeof why));
  ASSERT_OK(gnx_order_parse("random:42", &b, why, sizeof why));
  ASSERT_EQ_U64(a.seed, 42);
  unsigned first[5] = {0}, moved = 0;
  for (size_t round = 0; round < 200; round++) {
    size_t x[5], y[5], seen[5] = {0};
    gnx_order_round(&a, round, 5, x);
    gnx_order_round(&b, round, 5, y);
    ASSERT(memcmp(x, y, sizeof x) == 0);
    for (size_t i = 0; i < 5; i++) {
      seen[x[i]]++;
      moved += x[i] != i;
    }
    for (size_t i = 0; i < 5; i++) {
      ASSERT_EQ_U64(seen[i], 1);
    }
    if (round == 0) {
      ASSERT_EQ_U64(x[0], 0); /* serial's first run is the profile */
    }
    first[x[0]]++;
  }
  for (size_t i = 0; i < 5; i++) {
    ASSERT(first[i] > 10); /* about 40 each */
  }
  ASSERT(moved > 0);
}

GNX_TEST(order_bad_spec_is_one_line) {
  struct gnx_order o;
  char why[256];
  ASSERT(gnx_order_parse("shuffled", &o, why, sizeof why) == GNX_EUSAGE);
  ASSERT(strstr(why, "--order: 'shuffled' is not fixed, random or random:SEED") != NULL);
  ASSERT(gnx_order_parse("random:x", &o, why, sizeof why) == GNX_EUSAGE);
}

GNX_TEST(stats_levels_and_min_n) {
  ASSERT_EQ_U64(gnx_stats_min_n(0.95), 6);   /* 1 - 2/64 = 0.969 */
  ASSERT_EQ_U64(gnx_stats_min_n(0.975), 7);  /* 1 - 2/128 = 0.984 */
  const double x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  struct gnx_stats s95, s975;
  gnx_stats_compute_at(x, 12, 0.95, &s95);
  gnx_stats_compute_at(x, 12, 0.975, &s975);
  /* n = 12: j = 2 covers 0.961, j = 1 covers 0.994 */
  ASSERT_NEAR(s95.lo, 3, 1e-12);
  ASSERT_NEAR(s975.lo, 2, 1e-12);
  ASSERT(s975.level >= 0.975 && s95.level >= 0.95 && s95.level < 0.975);
  ASSERT(gnx_stats_overlap(1, 2, 2, 3) && !gnx_stats_overlap(1, 2, 2.5, 3));
}

/* Three engines of 7 calibration rounds: serial 100 ms, a 50 ms leader and
 * a third at `third` ms; the leader's rounds drift up by `spread` ms each,
 * the third's down, so that their round-by-round ratio spreads. */
static void gnx__input(struct gnx_adapt_in *in, double (*t)[7], double third, double share,
                       double spread) {
  memset(in, 0, sizeof *in);
  const double base[3] = {0.100, 0.050, third / 1e3};
  for (size_t e = 0; e < 3; e++) {
    for (size_t r = 0; r < 7; r++) {
      t[e][r] = base[e] + (e == 2 ? 3 - (double)r : (double)r - 3) * spread / 1e3;
    }
    in->totals[e] = t[e];
    in->n[e] = 7;
    in->run_s[e] = base[e] + 0.010; /* the harness's own cost per run */
  }
  in->n_engines = 3;
  in->calibration = 7;
  in->max_reps = 28;
  in->share_s = share;
  in->level = 0.975;
}

GNX_TEST(adapt_separated_takes_nothing) {
  double t[3][7];
  struct gnx_adapt_in in;
  struct gnx_adapt_plan p;
  gnx__input(&in, t, 80, 10, 0.3);
  gnx_adapt_decide(&in, &p);
  ASSERT_EQ_U64(p.extra, 0);
  ASSERT(strstr(p.why, "separated") != NULL);
}

/* Paired rounds: a 1 % gap with the same drift in every round is a
 * separation that unpaired intervals would call a tie; the same engines
 * drifting apart by +-0.3 ms are within 5 % round by round: equivalent,
 * and more rounds would buy nothing. */
GNX_TEST(adapt_pairs_rounds) {
  double t[3][7];
  struct gnx_adapt_in in;
  struct gnx_adapt_plan p;
  gnx__input(&in, t, 50.5, 10, 0.3);
  for (size_t r = 0; r < 7; r++) {
    t[2][r] = t[1][r] * 1.01;
  }
  gnx_adapt_decide(&in, &p);
  ASSERT_EQ_U64(p.extra, 0);
  ASSERT(strcmp(p.why, "separated") == 0);
  gnx__input(&in, t, 50.5, 10, 0.3);
  gnx_adapt_decide(&in, &p);
  ASSERT_EQ_U64(p.extra, 0);
  ASSERT(strcmp(p.why, "equivalent") == 0);
  struct gnx_stats q;
  gnx_stats_ratio(t[2], t[1], 7, 0.975, &q);
  ASSERT_EQ_INT(gnx_stats_tie(&q, GNX_STATS_EQUIVALENT), 2);
}

/* tied: serial, the leader and the tied engine; rounds of 0.11 + 0.06 +
 * 0.0605 s: 2 s buy 8, 100 s are capped at 28 - 7 = 21 */
GNX_TEST(adapt_tied_gets_rounds_within_budget_and_cap) {
  double t[3][7];
  struct gnx_adapt_in in;
  struct gnx_adapt_plan p;
  gnx__input(&in, t, 50.5, 2.0, 3);
  gnx_adapt_decide(&in, &p);
  ASSERT_EQ_U64(p.extra, 8);
  ASSERT(p.in[0] && p.in[1] && p.in[2]);
  ASSERT(strstr(p.why, "tied") != NULL);
  in.share_s = 100;
  gnx_adapt_decide(&in, &p);
  ASSERT_EQ_U64(p.extra, 21);
  in.share_s = 0.1; /* less than one round */
  gnx_adapt_decide(&in, &p);
  ASSERT_EQ_U64(p.extra, 0);
  ASSERT(strstr(p.why, "no budget left") != NULL);
}

/* An engine separated from the leader sits the extra rounds out; serial
 * always runs (speedups pair its rounds with the others'). */
GNX_TEST(adapt_only_the_tied_and_serial_run_more) {
  double t[4][7];
  struct gnx_adapt_in in;
  struct gnx_adapt_plan p;
  gnx__input(&in, (double(*)[7])t, 50.5, 2.0, 3);
  for (size_t r = 0; r < 7; r++) {
    t[3][r] = 0.080 + (double)r * 1e-4;
  }
  in.totals[3] = t[3];
  in.n[3] = 7;
  in.run_s[3] = 0.09;
  in.n_engines = 4;
  gnx_adapt_decide(&in, &p);
  ASSERT(p.in[0] && p.in[1] && p.in[2] && !p.in[3]);
  ASSERT_EQ_U64(p.extra, 8);
}

/* Three calibration rounds cannot reach 97.5 %: every engine runs more,
 * separated or not. A failed engine never does. */
GNX_TEST(adapt_too_few_reps_runs_everyone) {
  double t[3][7];
  struct gnx_adapt_in in;
  struct gnx_adapt_plan p;
  gnx__input(&in, t, 80, 2.0, 0.3);
  in.calibration = 3;
  for (size_t e = 0; e < 3; e++) {
    in.n[e] = 3;
  }
  gnx_adapt_decide(&in, &p);
  ASSERT(p.in[0] && p.in[1] && p.in[2]);
  ASSERT(strstr(p.why, "too few repetitions") != NULL);
  in.failed[2] = 1;
  gnx_adapt_decide(&in, &p);
  ASSERT(p.in[0] && p.in[1] && !p.in[2]);
}

/* The later groups keep their calibration, then the rest goes by size: a
 * group of 25k before 50k and 100k, with 40 s left, 0.2 s per round and 4
 * rounds each: 0.2 x 4 x 150/25 = 4.8 s kept, (40 - 4.8) x 25/175 its part;
 * the last group takes all that is left; none below 0. */
GNX_TEST(adapt_share_keeps_later_calibrations_then_goes_by_size) {
  ASSERT(fabs(gnx_adapt_share(40, 0.2, 4, 25e3, 150e3) - (40 - 4.8) * 25.0 / 175.0) < 1e-9);
  ASSERT(fabs(gnx_adapt_share(7.5, 1.0, 4, 100e3, 0) - 7.5) < 1e-9);
  ASSERT(gnx_adapt_share(3, 1.0, 4, 25e3, 100e3) == 0);
  ASSERT(gnx_adapt_share(-1, 0.1, 4, 25e3, 0) == 0);
}
