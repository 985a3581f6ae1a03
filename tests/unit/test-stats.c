/* SPDX-License-Identifier: MIT */
/* tests/unit/test-stats.c: robust statistics (MAD outliers, Mann-Whitney U,
 * geometric mean) and the regression gate's decision on synthetic reports.
 *
 * The U and p reference values were computed independently in Python (no
 * library): exact p by enumerating every split of the pooled sample with
 * itertools.combinations and counting U pair by pair; the normal
 * approximation from rank sums with mid-ranks, the tie-corrected variance
 * n1 n2 / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))) and continuity
 * correction 0.5, p = erfc(|z| / sqrt 2). See docs/statistics.md. */
#include <errno.h>
#include <math.h>

#include "gnx/err.h"
#include "core/stats.h"
#include "reports/gate.h"
#include "tests/test.h"

GNX_TEST(stats_mad_and_outliers) {
  const double x[] = {10.0, 10.1, 9.9, 10.2, 9.8, 10.0, 15.0};
  struct gnx_stats s;
  gnx_stats_compute(x, 7, &s);
  ASSERT_NEAR(s.median, 10.0, 1e-12);
  ASSERT_NEAR(s.mad, 0.1, 1e-12); /* |x - 10| sorted: 0 0 .1 .1 .2 .2 5 */
  ASSERT_EQ_U64(s.n_outliers, 1);
  unsigned char flag[7];
  ASSERT_EQ_U64(gnx_stats_outliers(x, 7, flag), 1);
  ASSERT(flag[6] == 1 && flag[0] == 0 && flag[3] == 0);
  /* MAD 0 (most samples equal): no scale, nothing flagged */
  const double y[] = {5, 5, 5, 5, 9};
  ASSERT_EQ_U64(gnx_stats_outliers(y, 5, flag), 0);
}

GNX_TEST(stats_mann_whitney_exact) {
  const double x[] = {1.1, 2.3, 3.0, 4.2, 5.5};
  const double y[] = {2.0, 6.1, 7.3, 8.4, 9.9, 10.2};
  struct gnx_mwu m;
  ASSERT_OK(gnx_stats_mann_whitney(x, 5, y, 6, &m));
  ASSERT(m.exact);
  ASSERT_NEAR(m.u, 4.0, 1e-12);
  ASSERT_NEAR(m.p, 0.05194805194805195, 1e-12); /* 24/462 */
  /* the other way round: U' = n1 n2 - U, same p */
  ASSERT_OK(gnx_stats_mann_whitney(y, 6, x, 5, &m));
  ASSERT_NEAR(m.u, 26.0, 1e-12);
  ASSERT_NEAR(m.p, 0.05194805194805195, 1e-12);
  /* 7 against 7, as the gate's repetitions */
  const double a[] = {101.2, 99.8, 103.4, 100.9, 102.2, 98.7, 104.1};
  const double b[] = {97.3, 99.1, 96.8, 100.2, 95.9, 98.2, 97.7};
  ASSERT_OK(gnx_stats_mann_whitney(a, 7, b, 7, &m));
  ASSERT_NEAR(m.u, 46.0, 1e-12);
  ASSERT_NEAR(m.p, 0.004079254079254079, 1e-12);
  /* an empty sample is an error */
  ASSERT(gnx_stats_mann_whitney(a, 0, b, 7, &m) == -EINVAL);
}

GNX_TEST(stats_mann_whitney_ties_normal) {
  const double x[] = {1, 2, 2, 3, 3, 3, 4};
  const double y[] = {3, 4, 4, 5, 5, 6, 7, 7};
  struct gnx_mwu m;
  ASSERT_OK(gnx_stats_mann_whitney(x, 7, y, 8, &m));
  ASSERT(!m.exact);
  ASSERT_NEAR(m.u, 3.5, 1e-12);
  ASSERT_NEAR(fabs(m.z), 2.8206029683336107, 1e-9);
  ASSERT_NEAR(m.p, 0.004793348746185464, 1e-9);
  /* all equal: no evidence of a difference */
  const double c[] = {2, 2, 2};
  ASSERT_OK(gnx_stats_mann_whitney(c, 3, c, 3, &m));
  ASSERT_NEAR(m.p, 1.0, 0);
}

GNX_TEST(stats_mann_whitney_large_normal) {
  double x[25], y[25];
  for (int i = 0; i < 25; i++) { /* the same values as the Python reference */
    x[i] = round((100 + ((i * 37) % 23) * 0.5 + i * 0.001) * 1000) / 1000;
    y[i] = round((104.25 + ((i * 11) % 29) * 0.5 + i * 0.001) * 1000) / 1000;
  }
  struct gnx_mwu m;
  ASSERT_OK(gnx_stats_mann_whitney(x, 25, y, 25, &m));
  ASSERT(!m.exact); /* N = 50 > 40 */
  ASSERT_NEAR(m.u, 104.0, 1e-12);
  ASSERT_NEAR(fabs(m.z), 4.035792800604581, 1e-9);
  ASSERT_NEAR(m.p, 5.4418226124023064e-05, 1e-12);
}

GNX_TEST(stats_geomean) {
  const double x[] = {1, 4}, y[] = {2, 8, 4}, z[] = {1, -1};
  ASSERT_NEAR(gnx_stats_geomean(x, 2), 2.0, 1e-12);
  ASSERT_NEAR(gnx_stats_geomean(y, 3), 4.0, 1e-12);
  ASSERT(isnan(gnx_stats_geomean(z, 2)));
  ASSERT(isnan(gnx_stats_geomean(x, 0)));
}

/* ---- the gate on synthetic reports ------------------------------------ */

static json_t *gnx__stats_obj(const double *x, size_t n) {
  struct gnx_stats s;
  gnx_stats_compute(x, n, &s);
  return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "n", (json_int_t)n, "median",
                   s.median, "lo", s.lo, "hi", s.hi, "level", s.level, "min", s.min, "max", s.max,
                   "mean", s.mean, "cv", s.cv);
}

/* A report with serial and threads at etl n=25000; threads' per-repetition
 * speedups are sp[0..6]. */
static json_t *gnx__report(const double *sp) {
  const double one[7] = {1, 1, 1, 1, 1, 1, 1};
  json_t *r = json_pack("{s:i, s:{s:[s,s], s:[s], s:[i], s:i, s:i}, s:[]}", "schema_version", 1,
                        "config", "engines", "serial", "threads", "workloads", "etl", "sizes",
                        25000, "reps", 7, "warmup", 1, "results");
  const char *eng[] = {"serial", "threads"};
  for (int e = 0; e < 2; e++) {
    json_array_append_new(json_object_get(r, "results"),
                          json_pack("{s:s, s:i, s:s, s:{s:o}}", "workload", "etl", "size", 25000,
                                    "engine", eng[e], "stats", "speedup",
                                    gnx__stats_obj(e ? sp : one, 7)));
  }
  return r;
}

static const double gnx__base[7] = {1.88, 1.90, 1.91, 1.89, 1.92, 1.87, 1.90};

static int gnx__judge(const double *sp, struct gnx_gate_cell *cell) {
  json_t *base = gnx__report(gnx__base), *now = gnx__report(sp);
  char why[256];
  ASSERT_OK(gnx_gate_check_baseline(base, why, sizeof why));
  struct gnx_gate_opts o = {.max_drop = 0.10, .max_width = 0.50};
  struct gnx_gate_result res;
  ASSERT_OK(gnx_gate_judge(base, now, &o, &res));
  ASSERT_EQ_U64(res.n, 1); /* serial is not judged */
  *cell = res.cells[0];
  int rc = gnx_gate_exit_code(&res);
  gnx_gate_print(stdout, &res, &o);
  gnx_gate_result_free(&res);
  json_decref(base);
  json_decref(now);
  return rc;
}

GNX_TEST(gate_equal_passes) {
  struct gnx_gate_cell c;
  ASSERT_EQ_INT(gnx__judge(gnx__base, &c), 0);
  ASSERT_EQ_INT(c.verdict, GNX_GATE_PASS);
  ASSERT_NEAR(c.change, 0, 1e-12);
  /* within max-drop (5 % slower) still passes */
  double sp[7];
  for (int i = 0; i < 7; i++) {
    sp[i] = gnx__base[i] * 0.95;
  }
  ASSERT_EQ_INT(gnx__judge(sp, &c), 0);
}

GNX_TEST(gate_30pct_slower_regresses) {
  double sp[7];
  for (int i = 0; i < 7; i++) {
    sp[i] = gnx__base[i] * 0.70;
  }
  struct gnx_gate_cell c;
  ASSERT_EQ_INT(gnx__judge(sp, &c), 1);
  ASSERT_EQ_INT(c.verdict, GNX_GATE_REGRESSED);
  ASSERT_NEAR(c.change, -0.30, 1e-9);
  ASSERT(c.hi < c.threshold);
}

GNX_TEST(gate_noisy_is_inconclusive) {
  /* median above the threshold, but the interval spans 0.9x..2.8x */
  const double wide[7] = {0.9, 1.2, 1.5, 1.8, 2.1, 2.4, 2.8};
  struct gnx_gate_cell c;
  ASSERT_EQ_INT(gnx__judge(wide, &c), 3);
  ASSERT_EQ_INT(c.verdict, GNX_GATE_INCONCLUSIVE);
  ASSERT(strstr(c.why, "too noisy") != NULL);
  /* median below the threshold, but one repetition reaches it: not proven */
  const double straddle[7] = {1.50, 1.55, 1.60, 1.62, 1.65, 1.68, 1.80};
  ASSERT_EQ_INT(gnx__judge(straddle, &c), 3);
  ASSERT_EQ_INT(c.verdict, GNX_GATE_INCONCLUSIVE);
}

GNX_TEST(gate_busy_machine_is_inconclusive) {
  /* 30 % slower while other processes took 40 % of the CPUs: not proven */
  json_t *base = gnx__report(gnx__base);
  double sp[7];
  for (int i = 0; i < 7; i++) {
    sp[i] = gnx__base[i] * 0.70;
  }
  json_t *now = gnx__report(sp);
  struct gnx_gate_opts o = {.max_drop = 0.10, .max_width = 0.50, .busy = 0.40, .max_busy = 0.15};
  struct gnx_gate_result res;
  ASSERT_OK(gnx_gate_judge(base, now, &o, &res));
  ASSERT_EQ_INT(gnx_gate_exit_code(&res), 3);
  ASSERT(strstr(res.cells[0].why, "40 % of the CPUs") != NULL);
  gnx_gate_result_free(&res);
  o.busy = 0.05; /* a quiet machine: regressed */
  ASSERT_OK(gnx_gate_judge(base, now, &o, &res));
  ASSERT_EQ_INT(gnx_gate_exit_code(&res), 1);
  gnx_gate_result_free(&res);
  json_decref(base);
  json_decref(now);
}

GNX_TEST(gate_missing_cell_regresses) {
  json_t *base = gnx__report(gnx__base), *now = gnx__report(gnx__base);
  json_array_remove(json_object_get(now, "results"), 1);
  struct gnx_gate_opts o = {.max_drop = 0.10, .max_width = 0.50};
  struct gnx_gate_result res;
  ASSERT_OK(gnx_gate_judge(base, now, &o, &res));
  ASSERT_EQ_INT(gnx_gate_exit_code(&res), 1);
  ASSERT(strstr(res.cells[0].why, "missing") != NULL);
  gnx_gate_result_free(&res);
  /* fast but wrong: a cell that did not verify regresses too */
  json_decref(now);
  now = gnx__report(gnx__base);
  json_object_set_new(json_array_get(json_object_get(now, "results"), 1), "verified",
                      json_false());
  ASSERT_OK(gnx_gate_judge(base, now, &o, &res));
  ASSERT_EQ_INT(res.cells[0].verdict, GNX_GATE_REGRESSED);
  ASSERT(strstr(res.cells[0].why, "did not verify") != NULL);
  gnx_gate_result_free(&res);
  json_decref(base);
  json_decref(now);
}

GNX_TEST(gate_rejects_bad_baselines) {
  char why[256];
  json_t *r = gnx__report(gnx__base);
  json_object_del(r, "config");
  ASSERT_EQ_INT(gnx_gate_check_baseline(r, why, sizeof why), GNX_EFORMAT);
  ASSERT(strstr(why, "config") != NULL);
  json_decref(r);
  r = gnx__report(gnx__base);
  json_object_set_new(json_object_get(r, "config"), "sizes", json_pack("[s]", "big"));
  ASSERT_EQ_INT(gnx_gate_check_baseline(r, why, sizeof why), GNX_EFORMAT);
  ASSERT(strstr(why, "sizes") != NULL);
  json_decref(r);
  r = gnx__report(gnx__base);
  json_object_del(json_array_get(json_object_get(r, "results"), 1), "stats");
  ASSERT_EQ_INT(gnx_gate_check_baseline(r, why, sizeof why), GNX_EFORMAT);
  ASSERT(strstr(why, "threads") != NULL);
  json_decref(r);
  r = gnx__report(gnx__base);
  json_array_clear(json_object_get(r, "results"));
  ASSERT_EQ_INT(gnx_gate_check_baseline(r, why, sizeof why), GNX_EFORMAT);
  json_decref(r);
}
