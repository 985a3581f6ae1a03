/* SPDX-License-Identifier: MIT */
/* reports/recommend.c: which engine to choose per workload and size, why,
 * and what to try next.
 *
 * Engines are ranked by their median time to result (start-up + wall, per
 * repetition): a strategy that forks for 30 ms before a 20 ms run is not
 * the fast one, whatever its wall time says. An engine whose time,
 * divided round by round by the best one's, has an interval containing 1
 * is reported as tied with it, never silently ranked; equivalent when that
 * interval lies within 5 % (docs/statistics.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/stats.h"
#include "core/strbuf.h"
#include "reports/analysis.h"
#include "reports/schema.h"

static const char *gnx__ordinal(unsigned n) {
  static const char *const names[] = {"first", "second", "third", "fourth", "fifth",
                                      "sixth", "seventh", "eighth"};
  return n >= 1 && n <= 8 ? names[n - 1] : "further";
}

/* The option that makes items larger, for the workload at hand. */
static const char *gnx__item_option(const struct gnx_cell_an *c) {
  const json_t *o = json_object_get(c->cell, GNX_F_OPTIONS);
  if (json_object_get(o, "part-size")) {
    return "--part-size";
  }
  return "--batch";
}

static void gnx__interval(char *buf, size_t len, const struct gnx_est *e) {
  char m[24], lo[24], hi[24];
  gnx_fmt_time(m, sizeof m, e->median);
  gnx_fmt_time(lo, sizeof lo, e->lo);
  gnx_fmt_time(hi, sizeof hi, e->hi);
  snprintf(buf, len, "%s [%s, %s]", m, lo, hi);
}

/* The bound if group g had one more worker. */
static double gnx__bound_plus_one(const struct gnx_cell_an *c, unsigned g) {
  double t = c->sum_s / c->cores;
  for (unsigned k = 0; k < c->n_groups; k++) {
    unsigned w = c->groups[k].workers ? c->groups[k].workers : 1;
    double x = c->groups[k].cost_s / (k == g ? w + 1 : w);
    t = fmax(t, x);
  }
  return t + (isnan(c->startup_s) ? 0 : c->startup_s);
}

/* The run's own command line narrowed to this workload, size and the tied
 * engines, with 10 repetitions: what to type to separate them. The other
 * options (--work, --stage-workers, --pin ...) are kept as they were. */
static void gnx__rerun_cmd(const struct gnx_analysis *a, const struct gnx_reco *r, char *out,
                           size_t len) {
  static const char *const replaced[] = {"--engines", "--workloads", "--sizes", "--reps", "--out"};
  const json_t *cl = json_object_get(json_object_get(a->report, GNX_F_CONTEXT), GNX_F_COMMAND_LINE);
  size_t n = (size_t)snprintf(out, len, "gnxbench run");
  for (size_t i = 1; i < json_array_size(cl) && n < len; i++) {
    const char *arg = json_string_value(json_array_get(cl, i));
    if (!arg || (i == 1 && strcmp(arg, "run") == 0)) {
      continue;
    }
    int skip = 0;
    for (size_t k = 0; k < sizeof replaced / sizeof *replaced; k++) {
      size_t l = strlen(replaced[k]);
      if (strncmp(arg, replaced[k], l) == 0 && (arg[l] == '\0' || arg[l] == '=')) {
        skip = arg[l] == '\0' ? 2 : 1; /* the flag, and its value when separate */
      }
    }
    if (skip) {
      i += (size_t)skip - 1;
      continue;
    }
    n += (size_t)snprintf(out + n, len - n, " %s", arg);
  }
  if (n < len) {
    n += (size_t)snprintf(out + n, len - n, " --workloads %s --sizes %llu --engines %s",
                          r->workload, (unsigned long long)r->size, r->best->engine);
  }
  for (unsigned k = 0; k < r->n_tied && n < len; k++) {
    n += (size_t)snprintf(out + n, len - n, ",%s", r->tied[k]->engine);
  }
  if (n < len) {
    snprintf(out + n, len - n, " --reps 10");
  }
}

static void gnx__next(const struct gnx_analysis *a, const struct gnx_cell_an *b,
                      const struct gnx_reco *r, char *out, size_t len) {
  char x1[32], x2[32], p1[16];
  double share = b->total.median > 0 ? b->startup_s / b->total.median : NAN;
  const struct gnx_stage_an *S = b->bottleneck >= 0 ? &b->stages[b->bottleneck] : NULL;
  const struct gnx_group_an *G = S ? &b->groups[S->group] : NULL;
  if (r->n_tied && !r->equivalent && b->total.level < 0.95) {
    gnx_fmt_pct(p1, sizeof p1, b->total.level);
    char cmd[512];
    gnx__rerun_cmd(a, r, cmd, sizeof cmd);
    snprintf(out, len, "rerun them with more repetitions, `%s`: with %zu repetitions an interval "
                       "covers the median only %s of the time, too wide to separate them",
             cmd, b->total.n, p1);
    return;
  }
  if (b->shape == GNX_SHAPE_PIPELINE && G && !G->generalist && G->load >= 0.6 &&
      !isnan(b->bound_s)) {
    double nb = gnx__bound_plus_one(b, (unsigned)S->group);
    if (nb < 0.9 * b->bound_s) {
      gnx_fmt_time(x1, sizeof x1, b->bound_s);
      gnx_fmt_time(x2, sizeof x2, nb);
      snprintf(out, len, "give %s a %s worker (--stage-workers %s=%u): its bound drops from %s "
                         "to %s",
               S->name, gnx__ordinal(G->workers + 1), S->name, G->workers + 1, x1, x2);
      return;
    }
    gnx_fmt_time(x1, sizeof x1, b->sum_s);
    gnx_fmt_time(x2, sizeof x2, b->items ? S->serial_s / (double)b->items : NAN);
    snprintf(out, len, "the %u cores are what limits it (%s of stage work): more workers will "
                       "not help; make %s cheaper (%s per item under serial)",
             b->cores, x1, S->name, x2);
    return;
  }
  if (share >= 0.2) {
    gnx_fmt_pct(p1, sizeof p1, share);
    snprintf(out, len, "start-up is %s of its time to result: it weighs less at larger sizes; "
                       "for small inputs, keep the workers alive between runs",
             p1);
    return;
  }
  /* first touches of the buffers of items in flight: what they cost, from
   * the machine's measured fault cost, against the extra stage time */
  double fault_s = b->fault_time_s, extra_s = b->extra_s;
  if (b->shape != GNX_SHAPE_SERIAL && fault_s > 0 && extra_s >= 0.1 * b->sum_s &&
      fault_s >= 0.5 * extra_s) {
    const json_t *o = json_object_get(b->cell, GNX_F_OPTIONS);
    const char *knob = json_object_get(o, "inflight")      ? "fewer items in flight (--inflight)"
                       : json_object_get(o, "queue-depth") ? "shorter queues (--queue-depth)"
                                                           : NULL;
    gnx_fmt_time(x1, sizeof x1, fault_s);
    gnx_fmt_time(x2, sizeof x2, extra_s);
    snprintf(out, len, "page faults on fresh item buffers cost about %s of its %s of extra stage "
                       "time: try %s%s%s",
             x1, x2, knob ? knob : "", knob ? " or " : "", "smaller items");
    if (strlen(out) + 16 < len) {
      snprintf(out + strlen(out), len - strlen(out), " (%s)", gnx__item_option(b));
    }
    return;
  }
  if (b->shape == GNX_SHAPE_DATA_PARALLEL && G && !G->generalist) {
    gnx_fmt_time(x1, sizeof x1, b->items ? S->serial_s / (double)b->items : NAN);
    snprintf(out, len, "the in-order %s limits it: make it cheaper (%s per item) or let it "
                       "write in batches",
             S->name, x1);
    return;
  }
  if (b->shape != GNX_SHAPE_SERIAL && b->efficiency < 0.6 && b->wait_share >= 0.3) {
    gnx_fmt_pct(p1, sizeof p1, b->wait_share);
    snprintf(out, len, "its workers wait %s of their time: larger items (%s) make each hand-off "
                       "cost less per record",
             p1, gnx__item_option(b));
    return;
  }
  if (b->shape == GNX_SHAPE_SERIAL) {
    snprintf(out, len, "the parallel engines lose their gain to hand-offs and start-up here: try "
                       "a larger size or larger items (%s)",
             gnx__item_option(b));
    return;
  }
  if (b->shape != GNX_SHAPE_SERIAL && b->inflation >= 1.15 && b->efficiency < 0.8) {
    /* the loss is in the stage code itself, and faults did not explain it */
    gnx_fmt_time(x1, sizeof x1, extra_s);
    snprintf(out, len, "its stage code ran %.2fx slower than under serial (%s more), which page "
                       "faults do not explain: the workers compete for cores, caches or memory "
                       "bandwidth; rerun with --pin compact on a quiet machine, and where the "
                       "CPU has a PMU compare the workers' IPC and cache misses with serial's",
             b->inflation, x1);
    return;
  }
  if (S && b->efficiency >= 0.8) {
    gnx_fmt_pct(p1, sizeof p1, b->efficiency);
    gnx_fmt_time(x1, sizeof x1, b->items ? S->serial_s / (double)b->items : NAN);
    snprintf(out, len, "it runs at %s of its bound: only a cheaper %s (%s per item) or more "
                       "cores can make it faster",
             p1, S->name, x1);
    return;
  }
  gnx_fmt_pct(p1, sizeof p1, isnan(b->efficiency) ? NAN : 1 - b->efficiency);
  snprintf(out, len, "compare its Gantt chart with serial's to see where the %s between its "
                     "bound and its measured time goes",
           p1);
}

/* What a strategy costs for its speed: CPU time (user + sys) and peak RSS,
 * medians over its good repetitions. */
static double gnx__cpu_s(const struct gnx_cell_an *c) {
  return gnx_cell_rep_median(c->cell, NULL, GNX_F_USER_S) +
         gnx_cell_rep_median(c->cell, NULL, GNX_F_SYS_S);
}

static double gnx__rss_mb(const struct gnx_cell_an *c) {
  return gnx_cell_rep_median(c->cell, NULL, GNX_F_MAXRSS_KB) / 1024;
}

/* Whether x and y differ in CPU time by more than 5 %. */
static int gnx__cpu_differs(const struct gnx_cell_an *x, const struct gnx_cell_an *y) {
  double cx = gnx__cpu_s(x), cy = gnx__cpu_s(y);
  return !isnan(cx) && !isnan(cy) && fabs(cx - cy) > 0.05 * fmax(cx, cy);
}

/* Of tied strategies, the cheaper: less CPU time (5 % counts), then less
 * memory. */
static int gnx__cheaper(const struct gnx_cell_an *x, const struct gnx_cell_an *y) {
  return gnx__cpu_differs(x, y) ? gnx__cpu_s(x) < gnx__cpu_s(y)
                                : gnx__rss_mb(x) < gnx__rss_mb(y);
}

/* Which part of gnx__cheaper's rule chose the best of a tie, in words. */
static const char *gnx__cheaper_why(const struct gnx_reco *r) {
  if (isnan(gnx__cpu_s(r->best))) {
    return "the least peak RSS: no CPU time was recorded";
  }
  unsigned by_cpu = 0;
  for (unsigned k = 0; k < r->n_tied; k++) {
    by_cpu += (unsigned)gnx__cpu_differs(r->best, r->tied[k]);
  }
  return by_cpu == r->n_tied ? "the least CPU time"
         : by_cpu == 0       ? "CPU time within 5 %, the least peak RSS"
                             : "the least CPU time, or within 5 % of it the least peak RSS";
}

/* The model's wall for cell c at `cores`, NAN when it has none. */
static double gnx__predicted_at(const struct gnx_cell_an *c, int cores) {
  const json_t *sc = json_object_get(json_object_get(c->cell, GNX_F_PREDICTION), GNX_F_SCALING);
  for (size_t i = 0; i < json_array_size(sc); i++) {
    const json_t *row = json_array_get(sc, i);
    if (gnx_jint(row, GNX_F_CORES, 0) == cores) {
      return gnx_jnum(row, GNX_F_WALL_S, NAN);
    }
  }
  return NAN;
}

/* Where the model says the tie breaks: the core count above this machine's
 * at which the chosen and the other differ most. */
static void gnx__tie_scaling(struct gnx_sb *sb, const struct gnx_cell_an *b,
                             const struct gnx_cell_an *o) {
  int best_c = 0;
  double best_r = 1.05; /* less than 5 % apart is still a tie */
  for (int cores = 4; cores <= 64; cores *= 2) {
    double wb = gnx__predicted_at(b, cores), wo = gnx__predicted_at(o, cores);
    if (cores > (int)b->cores && wb > 0 && wo > 0 && fmax(wb / wo, wo / wb) > best_r) {
      best_r = fmax(wb / wo, wo / wb);
      best_c = cores;
    }
  }
  if (best_c) {
    double wb = gnx__predicted_at(b, best_c), wo = gnx__predicted_at(o, best_c);
    gnx_sb_printf(sb, "; at %d cores the model predicts %s %.2fx %s's speed (%.1f against %.1f "
                      "ms)",
                  best_c, wb < wo ? b->engine : o->engine, fmax(wb / wo, wo / wb),
                  wb < wo ? o->engine : b->engine, fmin(wb, wo) * 1e3, fmax(wb, wo) * 1e3);
  } else if (!isnan(gnx__predicted_at(b, 64)) && !isnan(gnx__predicted_at(o, 64))) {
    gnx_sb_printf(sb, "; the model predicts them within 5 %% of each other up to 64 cores too");
  }
}

/* A tie: why the measurements cannot rank them, which one is chosen for
 * costing less, with the figures, and where more cores would separate them. */
static void gnx__tie_words(struct gnx_reco *r, const char *iv) {
  const struct gnx_cell_an *b = r->best;
  struct gnx_sb sb;
  gnx_sb_init(&sb, r->why, sizeof r->why);
  gnx_sb_printf(&sb,
                r->equivalent ? "Round by round, each one's time to result is within 5 %% of %s's (%s %s"
                              : "Round by round, each one's time to result over %s's has an "
                                "interval containing 1 (%s %s",
                b->engine, b->engine, iv);
  for (unsigned k = 0; k < r->n_tied; k++) {
    char tv[96];
    const struct gnx_est *q = &r->ratio[k];
    gnx__interval(tv, sizeof tv, &r->tied[k]->total);
    gnx_sb_printf(&sb, "; %s %s, %.3fx %s's [%.3f, %.3f] over %zu rounds", r->tied[k]->engine, tv,
                  q->median, b->engine, q->lo, q->hi, q->n);
  }
  gnx_sb_printf(&sb, "), %s; %s costs least for it (%s):",
                r->equivalent ? "no difference worth choosing by"
                              : "so the measurements cannot rank them",
                b->engine, gnx__cheaper_why(r));
  for (unsigned k = 0; k <= r->n_tied; k++) {
    const struct gnx_cell_an *c = k ? r->tied[k - 1] : b;
    char su[32], spd[32] = "";
    gnx_fmt_time(su, sizeof su, c->startup_s);
    if (!isnan(c->speedup.median) && strcmp(c->engine, "serial") != 0) {
      snprintf(spd, sizeof spd, "%.2fx serial, ", c->speedup.median);
    }
    gnx_sb_printf(&sb, "%s %s: %s%.3f s of CPU, peak RSS %.1f MB, start-up %s", k ? ";" : "",
                  c->engine, spd, gnx__cpu_s(c), gnx__rss_mb(c), su);
  }
  gnx__tie_scaling(&sb, b, r->tied[0]);
}

/* A cell's start-up + wall per repetition, NaN where it failed. */
static size_t gnx__totals(const struct gnx_cell_an *c, double *x, size_t max) {
  const json_t *reps = json_object_get(c->cell, GNX_F_REPS);
  size_t n = json_array_size(reps) < max ? json_array_size(reps) : max;
  for (size_t i = 0; i < n; i++) {
    const json_t *rep = json_array_get(reps, i);
    x[i] = gnx_jbool(rep, GNX_F_OK, 0)
               ? gnx_jnum(rep, GNX_F_STARTUP_S, 0) + gnx_jnum(rep, GNX_F_WALL_S, NAN)
               : NAN;
  }
  return n;
}

/* c against best, round by round (gnx_stats_tie): 0 separated, 1 tied,
 * 2 equivalent. */
static int gnx__tie(const struct gnx_cell_an *c, const struct gnx_cell_an *best,
                    struct gnx_est *out) {
  double x[1024], y[1024];
  size_t nx = gnx__totals(c, x, 1024), ny = gnx__totals(best, y, 1024);
  struct gnx_stats ratio;
  gnx_stats_ratio(x, y, nx < ny ? nx : ny, c->target_level, &ratio);
  *out = (struct gnx_est){ratio.n, ratio.median, ratio.lo, ratio.hi, ratio.level};
  return gnx_stats_tie(&ratio, GNX_STATS_EQUIVALENT);
}

void gnx_reco_make(const struct gnx_analysis *a, const char *workload, uint64_t size,
                   struct gnx_reco *r) {
  memset(r, 0, sizeof *r);
  r->workload = workload;
  r->size = size;
  const struct gnx_cell_an *best = NULL, *best_par = NULL;
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (strcmp(c->workload, workload) != 0 || c->size != size || !c->ok || !c->verified ||
        isnan(c->total.median)) {
      continue;
    }
    if (!best || c->total.median < best->total.median) {
      best = c;
    }
    if (strcmp(c->engine, "serial") != 0 &&
        (!best_par || c->total.median < best_par->total.median)) {
      best_par = c;
    }
  }
  r->best = best;
  if (!best) {
    snprintf(r->why, sizeof r->why, "no engine ran and verified at this size, so there is "
                                    "nothing to recommend");
    snprintf(r->next, sizeof r->next, "fix the failures shown in the tables, then rerun");
    return;
  }
  int equivalent = 1;
  for (size_t i = 0; i < a->n && r->n_tied < 8; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (c == best || strcmp(c->workload, workload) != 0 || c->size != size || !c->ok ||
        !c->verified || isnan(c->total.median)) {
      continue;
    }
    struct gnx_est ratio;
    int t = gnx__tie(c, best, &ratio);
    if (t) {
      equivalent &= t == 2;
      r->ratio[r->n_tied] = ratio;
      r->tied[r->n_tied++] = c;
    }
  }
  for (unsigned k = 0; k < r->n_tied; k++) { /* a tie goes to the cheaper strategy */
    if (gnx__cheaper(r->tied[k], best)) {
      const struct gnx_cell_an *t = best;
      best = r->tied[k];
      r->tied[k] = t;
    }
  }
  r->best = best;
  for (unsigned k = 0; k < r->n_tied; k++) { /* the words compare with the chosen one */
    gnx__tie(r->tied[k], best, &r->ratio[k]);
  }
  r->equivalent = r->n_tied && equivalent;
  char iv[96], p1[16], p2[16], sp[64] = "";
  gnx__interval(iv, sizeof iv, &best->total);
  gnx_fmt_pct(p1, sizeof p1, best->total.median > 0 ? best->startup_s / best->total.median : NAN);
  gnx_fmt_pct(p2, sizeof p2, best->efficiency);
  if (!isnan(best->speedup.median) && strcmp(best->engine, "serial") != 0) {
    snprintf(sp, sizeof sp, ", %.2fx serial's speed [%.2f, %.2f]", best->speedup.median,
             best->speedup.lo, best->speedup.hi);
  }
  size_t L = sizeof r->why;
  if (r->n_tied) {
    gnx__tie_words(r, iv);  } else if (strcmp(best->engine, "serial") == 0) {
    if (best_par) {
      char bv[96];
      gnx__interval(bv, sizeof bv, &best_par->total);
      snprintf(r->why, L, "No parallel engine beats it; the closest, %s, takes %s to "
                          "result (start-up + wall) against serial's %s",
               best_par->engine, bv, iv);
    } else {
      snprintf(r->why, L, "The only engine that ran and verified (time to result %s)", iv);
    }
  } else {
    char bn[160] = "no stage is saturated";
    if (best->bottleneck >= 0) {
      const struct gnx_stage_an *S = &best->stages[best->bottleneck];
      char p3[16];
      gnx_fmt_pct(p3, sizeof p3, best->groups[S->group].load);
      snprintf(bn, sizeof bn, "%s is its bottleneck (busy %s)", S->name, p3);
    }
    snprintf(r->why, L, "Time to result %s%s; start-up is %s of it, efficiency %s of its "
                        "bound, and %s",
             iv, sp, p1, p2, bn);
  }
  gnx__next(a, best, r, r->next, sizeof r->next);
}
