/* SPDX-License-Identifier: MIT */
/* harness/schedule.c: the order of engines within a round, and the rule
 * that gives a group more rounds after its calibration. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/stats.h"
#include "gnx/err.h"
#include "gnx/option.h"
#include "harness/schedule.h"

int gnx_order_parse(const char *spec, struct gnx_order *o, char *why, size_t len) {
  memset(o, 0, sizeof *o);
  if (strcmp(spec, "fixed") == 0) {
    return 0;
  }
  o->random = 1;
  if (strcmp(spec, "random") == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    o->seed = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec;
    o->seed %= 1000000000u; /* short enough to retype */
    return 0;
  }
  if (strncmp(spec, "random:", 7) == 0 && gnx_parse_u64(spec + 7, &o->seed) == 0) {
    return 0;
  }
  snprintf(why, len, "--order: '%s' is not fixed, random or random:SEED (SEED a number)", spec);
  return GNX_EUSAGE;
}

/* splitmix64: a well-mixed sequence from any seed, in one line. */
static uint64_t gnx__next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

void gnx_order_round(struct gnx_order *o, size_t round, size_t n, size_t *idx) {
  for (size_t i = 0; i < n; i++) {
    idx[i] = i;
  }
  if (!o->random) {
    return;
  }
  if (round == 0) {
    o->state = o->seed; /* each group's sequence is the seed's alone */
  }
  size_t first = round == 0 ? 1 : 0; /* serial stays first in round 0 */
  for (size_t i = n; i > first + 1; i--) { /* Fisher-Yates over [first, n) */
    size_t j = first + (size_t)(gnx__next(&o->state) % (i - first));
    size_t t = idx[i - 1];
    idx[i - 1] = idx[j];
    idx[j] = t;
  }
}

/* The leader: the engine with the lowest median time to result. Returns
 * its index or -1. */
static int gnx__leader(const struct gnx_adapt_in *in) {
  int best = -1;
  double best_m = 0;
  for (size_t e = 0; e < in->n_engines; e++) {
    struct gnx_stats st;
    double x[GNX_ADAPT_MAX_REPS];
    size_t k = 0;
    for (size_t r = 0; r < in->n[e] && k < GNX_ADAPT_MAX_REPS; r++) {
      if (in->totals[e][r] > 0) {
        x[k++] = in->totals[e][r];
      }
    }
    gnx_stats_compute(x, in->failed[e] ? 0 : k, &st);
    if (st.n && (best < 0 || st.median < best_m)) {
      best = (int)e;
      best_m = st.median;
    }
  }
  return best;
}

/* Whether engine e is tied with the leader, round by round. */
static int gnx__tied(const struct gnx_adapt_in *in, size_t e, size_t best) {
  size_t n = in->n[e] < in->n[best] ? in->n[e] : in->n[best];
  struct gnx_stats r;
  gnx_stats_ratio(in->totals[e], in->totals[best], n, in->level, &r);
  return gnx_stats_tie(&r, GNX_STATS_EQUIVALENT);
}

void gnx_adapt_decide(const struct gnx_adapt_in *in, struct gnx_adapt_plan *out) {
  memset(out, 0, sizeof *out);
  int best = gnx__leader(in);
  if (best < 0) {
    out->why = "no engine ran";
    return;
  }
  /* below the fewest repetitions the level needs, no interval is evidence:
   * every engine takes part */
  int weak = in->calibration < gnx_stats_min_n(in->level);
  size_t tied = 0, equivalent = 0;
  double cost = 0;
  for (size_t e = 0; e < in->n_engines; e++) {
    int ran = !in->failed[e] && in->n[e] > 0;
    int v = ran && (int)e != best && !weak ? gnx__tied(in, e, (size_t)best) : 0;
    int t = ran && (int)e != best && (weak || v == 1);
    tied += (size_t)t;
    equivalent += v == 2;
    out->in[e] = ran && (t || e == 0 || (int)e == best);
    cost += out->in[e] ? in->run_s[e] : 0;
  }
  if (!tied) {
    out->why = equivalent ? "equivalent" : "separated";
    return;
  }
  size_t room = in->max_reps > in->calibration ? in->max_reps - in->calibration : 0;
  double fit = cost > 0 ? floor(in->share_s / cost) : 0;
  out->extra = fit < (double)room ? (size_t)fit : room;
  out->why = out->extra ? (weak ? "too few repetitions" : "tied") : "no budget left";
}

double gnx_adapt_share(double left_s, double round_s, size_t rounds, double size, double later_size) {
  size = size > 0 ? size : 1;
  double rest = left_s - (double)rounds * round_s * later_size / size;
  return rest > 0 ? rest * size / (size + later_size) : 0;
}
