/* SPDX-License-Identifier: MIT */
/* tests/unit/test-analysis.c: the bound, efficiency, verdict and
 * recommendation math on synthetic report cells whose answers are known,
 * the trace file reader and queue-depth counters on synthetic traces, and
 * the report writer (cell.c) and readers (schema.h) on synthetic facts. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/counters.h"
#include "core/pin.h"
#include "core/stats.h"
#include "gnx/err.h"
#include "reports/analysis.h"
#include "reports/report.h"
#include "reports/schema.h"
#include "tests/test.h"

/* A stage spec: name, serial/engine exec seconds, waits. */
struct st {
  const char *name;
  double exec, in, out, lock;
};

/* One repetition with the given stages; workers: roles (stage index, -1
 * for all stages), one per entry, n_workers of them. */
static json_t *rep(double wall, double startup, const struct st *s, unsigned ns,
                   const int *roles, unsigned nw) {
  json_t *stages = json_array(), *workers = json_array();
  for (unsigned k = 0; k < ns; k++) {
    unsigned execs = 0;
    for (unsigned w = 0; w < nw; w++) {
      execs += roles[w] == (int)k || roles[w] < 0;
    }
    /* a stage with dedicated workers counts only those */
    unsigned ded = 0;
    for (unsigned w = 0; w < nw; w++) {
      ded += roles[w] == (int)k;
    }
    json_array_append_new(stages, json_pack("{s:i, s:s, s:i, s:i, s:f, s:f, s:f, s:f}", "stage",
                                            (int)k, "name", s[k].name, "workers",
                                            (int)(ded ? ded : execs), "items", 100, "exec_s",
                                            s[k].exec, "wait_in_s", s[k].in, "wait_out_s",
                                            s[k].out, "wait_lock_s", s[k].lock));
  }
  for (unsigned w = 0; w < nw; w++) {
    json_array_append_new(workers, json_pack("{s:s, s:i, s:i, s:i}", "name", "w", "pid", 1, "tid",
                                             (int)w + 1, "stage", roles[w]));
  }
  return json_pack("{s:b, s:f, s:f, s:o, s:o}", "ok", 1, "wall_s", wall, "startup_s", startup,
                   "stages", stages, "workers", workers);
}

/* A cell with reps identical repetitions of walls[r]. */
static json_t *cell(const char *engine, const double *walls, unsigned reps, double startup,
                    const struct st *s, unsigned ns, const int *roles, unsigned nw) {
  json_t *ra = json_array();
  double sorted[16];
  for (unsigned r = 0; r < reps; r++) {
    json_array_append_new(ra, rep(walls[r], startup, s, ns, roles, nw));
    sorted[r] = walls[r];
  }
  struct gnx_est e;
  gnx_est_compute(sorted, reps, GNX_STATS_LEVEL, &e);
  return json_pack("{s:s, s:s, s:i, s:i, s:s, s:b, s:o, s:{s:{s:i, s:f, s:f, s:f, s:f}, s:n}, "
                   "s:n, s:{}}",
                   "workload", "null", "engine", engine, "size", 100, "items", 100, "status",
                   "ok", "verified", 1, "reps", ra, "stats", "wall_s", "n", (int)reps, "median",
                   e.median, "lo", e.lo, "hi", e.hi, "level", e.level, "speedup", "trace",
                   "options");
}

static const int serial_roles[] = {-1};
/* serial: gen 1 s, s1 1 s, s2 8 s, s3 1 s, sink 0 s: 11 s of work */
static const struct st serial_stages[] = {
    {"gen", 1, 0, 0, 0}, {"s1", 1, 0, 0, 0}, {"s2", 8, 0, 0, 0}, {"s3", 1, 0, 0, 0},
    {"sink", 0, 0, 0, 0}};

static json_t *serial_cell(void) {
  static const double w[] = {11.0, 11.1, 10.9};
  return cell("serial", w, 3, 0.0, serial_stages, 5, serial_roles, 1);
}

/* threads: one worker per stage plus the sink; s2 busy 8 of 9 s, s1
 * blocked 7 s, s3 starved 7.5 s */
static json_t *threads_cell(const double *walls) {
  static const int roles[] = {4, 0, 1, 2, 3};
  static const struct st s[] = {{"gen", 1, 0, 7.5, 0},
                                {"s1", 1, 0.2, 7, 0},
                                {"s2", 8, 0.5, 0.1, 0},
                                {"s3", 1, 7.5, 0, 0},
                                {"sink", 0, 8.8, 0, 0}};
  return cell("threads", walls, 3, 0.1, s, 5, roles, 5);
}

GNX_TEST(est_matches_harness_intervals) {
  double x[] = {3, 1, 2};
  struct gnx_est e;
  gnx_est_compute(x, 3, GNX_STATS_LEVEL, &e);
  ASSERT_NEAR(e.median, 2, 1e-12);
  ASSERT_NEAR(e.lo, 1, 1e-12);
  ASSERT_NEAR(e.hi, 3, 1e-12);
  ASSERT_NEAR(e.level, 0.75, 1e-12);
  double y[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  gnx_est_compute(y, 10, GNX_STATS_LEVEL, &e);
  ASSERT(e.level >= 0.95);
  ASSERT_NEAR(e.lo, 2, 1e-12); /* [x(2), x(9)] covers 97.9 % for n = 10 */
  ASSERT_NEAR(e.hi, 9, 1e-12);
}

GNX_TEST(bound_pipeline_slowest_stage) {
  json_t *ser = serial_cell();
  static const double w[] = {9.0, 9.2, 8.9};
  json_t *thr = threads_cell(w);
  struct gnx_cell_an c;
  ASSERT_OK(gnx_cell_analyse(thr, ser, NULL, 2, NAN, &c));
  ASSERT_EQ_INT(c.shape, GNX_SHAPE_PIPELINE);
  /* max(11 / 2, 8 / 1) + 0.1 start-up */
  ASSERT_NEAR(c.sum_s, 11.0, 1e-9);
  ASSERT_NEAR(c.bound_s, 8.1, 1e-9);
  ASSERT_NEAR(c.efficiency, 8.1 / (9.0 + 0.1), 1e-9);
  ASSERT(strstr(c.bound_why, "s2: 8.000 s on 1 worker") != NULL);
  gnx_cell_an_free(&c);
  json_decref(thr);
  json_decref(ser);
}

GNX_TEST(bound_pipeline_cores_bind) {
  /* four equal stages of 3 s on 2 cores: the cores bind, not a stage */
  static const struct st s[] = {{"a", 3, 0, 0, 0}, {"b", 3, 0, 0, 0}, {"c", 3, 0, 0, 0},
                                {"d", 3, 0, 0, 0}, {"sink", 0, 0, 0, 0}};
  static const double ws[] = {12, 12, 12}, wt[] = {7, 7, 7};
  static const int roles[] = {4, 0, 1, 2, 3};
  json_t *ser = cell("serial", ws, 3, 0, s, 5, serial_roles, 1);
  json_t *thr = cell("threads", wt, 3, 0, s, 5, roles, 5);
  struct gnx_cell_an c;
  ASSERT_OK(gnx_cell_analyse(thr, ser, NULL, 2, NAN, &c));
  ASSERT_NEAR(c.bound_s, 6.0, 1e-9);
  ASSERT_NEAR(c.efficiency, 6.0 / 7.0, 1e-9);
  ASSERT(strstr(c.bound_why, "on 2 cores") != NULL);
  /* 12 s of stage code in 7 s: 1.7 cores busy, the verdict says so */
  ASSERT(strstr(c.verdict, "the 2 cores are saturated: stage code kept 1.7 of them busy") ==
         c.verdict);
  gnx_cell_an_free(&c);
  json_decref(thr);
  json_decref(ser);
}

GNX_TEST(bound_data_parallel_pool) {
  /* a pool of 3 generalists and a dedicated sink, on 4 cores: the
   * stage split does not limit; sum / min(workers, cores) does */
  json_t *ser = serial_cell();
  static const int roles[] = {4, -1, -1, -1};
  static const double w[] = {4.0, 4.0, 4.0};
  json_t *pp = cell("procpool", w, 3, 0.5, serial_stages, 5, roles, 4);
  struct gnx_cell_an c;
  ASSERT_OK(gnx_cell_analyse(pp, ser, NULL, 4, NAN, &c));
  ASSERT_EQ_INT(c.shape, GNX_SHAPE_DATA_PARALLEL);
  /* max(11 / 4, 11 / 3 (gen..s3 on 3 workers), 0 / 1 (sink)) + 0.5 */
  ASSERT_NEAR(c.bound_s, 11.0 / 3 + 0.5, 1e-9);
  ASSERT_NEAR(c.efficiency, (11.0 / 3 + 0.5) / 4.5, 1e-9);
  /* on 2 cores the cores bind instead */
  gnx_cell_an_free(&c);
  ASSERT_OK(gnx_cell_analyse(pp, ser, NULL, 2, NAN, &c));
  ASSERT_NEAR(c.bound_s, 5.5 + 0.5, 1e-9);
  /* the verdict names the heaviest stage of whole items */
  ASSERT_EQ_INT(c.bottleneck, 2);
  ASSERT(strstr(c.verdict, "s2 is the heaviest stage") != NULL);
  gnx_cell_an_free(&c);
  json_decref(pp);
  json_decref(ser);
}

GNX_TEST(bound_serial_is_its_own_stage_sum) {
  json_t *ser = serial_cell();
  struct gnx_cell_an c;
  ASSERT_OK(gnx_cell_analyse(ser, NULL, NULL, 8, NAN, &c));
  ASSERT_EQ_INT(c.shape, GNX_SHAPE_SERIAL);
  ASSERT_NEAR(c.bound_s, 11.0, 1e-9); /* one worker: cores do not help */
  ASSERT_NEAR(c.efficiency, 1.0, 1e-9);
  ASSERT_EQ_INT(c.bottleneck, 2);
  ASSERT(strstr(c.verdict, "s2 takes 73 % of the run") != NULL);
  gnx_cell_an_free(&c);
  json_decref(ser);
}

GNX_TEST(verdict_names_slow_stage_with_evidence) {
  json_t *ser = serial_cell();
  static const double w[] = {9.0, 9.2, 8.9};
  json_t *thr = threads_cell(w);
  struct gnx_cell_an c;
  ASSERT_OK(gnx_cell_analyse(thr, ser, NULL, 2, NAN, &c));
  ASSERT_EQ_INT(c.bottleneck, 2);
  /* s2 busy 8 / 9 = 89 %; s1 blocked 7 / 9 = 78 %; s3 starved 7.5 / 9 = 83 % */
  ASSERT_EQ_STR(c.verdict, "s2 limits throughput: its worker is busy 89 %; upstream s1 blocked "
                           "on output 78 % of the time; downstream s3 starved 83 %");
  ASSERT_EQ_STR(c.stages[2].status, "CPU-bound");
  ASSERT_EQ_STR(c.stages[1].status, "blocked");
  ASSERT_EQ_STR(c.stages[3].status, "starved");
  ASSERT_EQ_INT(c.stages[2].workers, 1);
  /* waiting: (7.5 + 7.2 + 0.6 + 7.5 + 8.8) / (5 workers x 9 s) */
  ASSERT_NEAR(c.wait_share, 31.6 / 45, 1e-9);
  gnx_cell_an_free(&c);
  json_decref(thr);
  json_decref(ser);
}

GNX_TEST(verdict_no_stage_saturated) {
  static const struct st s[] = {{"gen", 1, 0, 8, 0},
                                {"s1", 1, 8, 0, 0},
                                {"s2", 3, 6, 0, 0},
                                {"s3", 1, 8, 0, 0},
                                {"sink", 0, 9, 0, 0}};
  static const int roles[] = {4, 0, 1, 2, 3};
  static const double w[] = {10, 10, 10};
  json_t *ser = serial_cell();
  json_t *thr = cell("threads", w, 3, 0, s, 5, roles, 5);
  struct gnx_cell_an c;
  ASSERT_OK(gnx_cell_analyse(thr, ser, NULL, 2, NAN, &c));
  ASSERT_EQ_INT(c.bottleneck, -1);
  ASSERT(strstr(c.verdict, "no stage is saturated: the busiest, s2, is busy 30 %") == c.verdict);
  gnx_cell_an_free(&c);
  json_decref(thr);
  json_decref(ser);
}

/* A data-parallel cell whose stage code ran 2x serial's (22 s against 11). */
static json_t *slowed_cell(const char *engine) {
  static const struct st s[] = {{"gen", 2, 0, 0, 0}, {"s1", 2, 0, 0, 0}, {"s2", 16, 0, 0, 0},
                                {"s3", 2, 0, 0, 0}, {"sink", 0, 10, 0, 0}};
  static const int roles[] = {4, -1, -1};
  static const double w[] = {11, 11, 11};
  return cell(engine, w, 3, 0, s, 5, roles, 3);
}

GNX_TEST(inflation_is_reported) {
  /* the pool's stage code took twice serial's time: CPU contention */
  json_t *ser = serial_cell();
  json_t *pp = slowed_cell("procpool");
  struct gnx_cell_an c;
  ASSERT_OK(gnx_cell_analyse(pp, ser, NULL, 2, NAN, &c));
  ASSERT_NEAR(c.inflation, 2.0, 1e-9);
  ASSERT(strstr(c.verdict, "stage code ran 2.0x slower than under serial") != NULL);
  gnx_cell_an_free(&c);
  json_decref(pp);
  json_decref(ser);
}

static void set_faults(json_t *cell, long long minflt) {
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(cell, "reps"), i, r) {
    json_object_set_new(r, "minflt", json_integer(minflt));
  }
}

/* Each worker but the sink's (role 4) used cpu_s of CPU time. */
static void set_worker_cpu(json_t *cell, double cpu_s) {
  size_t i, k;
  json_t *r, *w;
  json_array_foreach(json_object_get(cell, "reps"), i, r) {
    json_array_foreach(json_object_get(r, "workers"), k, w) {
      if (json_integer_value(json_object_get(w, "stage")) != 4) {
        json_object_set_new(w, "counters",
                            json_pack("{s:I}", "task_clock_ns", (json_int_t)(cpu_s * 1e9)));
      }
    }
  }
}

GNX_TEST(inflation_with_page_faults_names_them) {
  /* the same slowdown, with 8x serial's page faults: the verdict gives the
   * counts; with as many faults as serial it keeps the CPU/memory reading */
  json_t *ser = serial_cell();
  json_t *pp = slowed_cell("async");
  set_faults(ser, 2400);
  set_faults(pp, 19200);
  struct gnx_cell_an c;
  ASSERT_OK(gnx_cell_analyse(pp, ser, NULL, 2, NAN, &c));
  ASSERT_NEAR(c.faults, 19200, 1e-9);
  ASSERT_NEAR(c.serial_faults, 2400, 1e-9);
  ASSERT(strstr(c.verdict, "stage code ran 2.0x slower than under serial, with 8.0x its page "
                           "faults (19200 vs 2400: first touches of buffers serial reuses)"));
  gnx_cell_an_free(&c);
  /* with the cost of one fault known (2 us) and the workers' own CPU time
   * (2 x 9 s for 22 s in stages), the verdict splits the extra 11 s of
   * stage code: 33.6 ms of faults, 4 s off CPU, the rest more CPU */
  set_faults(pp, 19200);
  set_worker_cpu(pp, 9.0);
  ASSERT_OK(gnx_cell_analyse(pp, ser, NULL, 2, 2e-6, &c));
  ASSERT_NEAR(c.preempted_s, 4.0, 1e-9);
  if (!strstr(c.verdict, "stage code ran 2.0x slower than under serial (11.000 s more): page "
                         "faults explain 33.6 ms (16800 more than serial's 2400, at 2.0 us each: "
                         "first touches of buffers serial reuses), 4.000 s off CPU inside a stage "
                         "(preempted), and 6.966 s more CPU time")) {
    GNX__FAIL("verdict: %s", c.verdict);
  }
  gnx_cell_an_free(&c);
  /* serial's page faults: no fault term, whatever a fault costs */
  set_faults(pp, 2500);
  ASSERT_OK(gnx_cell_analyse(pp, ser, NULL, 2, NAN, &c));
  if (!strstr(c.verdict, "(11.000 s more): 4.000 s off CPU inside a stage (preempted), and "
                         "7.000 s more CPU time") ||
      strstr(c.verdict, "page faults")) {
    GNX__FAIL("verdict: %s", c.verdict);
  }
  gnx_cell_an_free(&c);
  json_decref(pp);
  json_decref(ser);
}

/* Each worker counted f page faults (its perf_event counter). */
static void set_worker_faults(json_t *cell, long long f) {
  size_t i, k;
  json_t *r, *w;
  json_array_foreach(json_object_get(cell, "reps"), i, r) {
    json_array_foreach(json_object_get(r, "workers"), k, w) {
      json_object_set_new(w, "counters", json_pack("{s:I}", "page_faults", (json_int_t)f));
    }
  }
}

GNX_TEST(page_faults_are_the_workers_own_where_counted) {
  /* getrusage also counts forks and a rank's start-up, outside the
   * stages: where every worker counted its faults, their sum is used */
  json_t *ser = serial_cell();
  json_t *pp = slowed_cell("procpool");
  set_faults(ser, 2400);
  set_faults(pp, 19200);
  set_worker_faults(ser, 20);
  set_worker_faults(pp, 300);
  struct gnx_cell_an c;
  ASSERT_OK(gnx_cell_analyse(pp, ser, NULL, 2, 2e-6, &c));
  ASSERT_NEAR(c.faults, 900, 1e-9);
  ASSERT_NEAR(c.serial_faults, 20, 1e-9); /* serial's one worker */
  ASSERT(strstr(c.verdict, "page faults explain") == NULL); /* fewer than 1000 more */
  gnx_cell_an_free(&c);
  json_decref(pp);
  json_decref(ser);
}

static void analyse_report(json_t *results, struct gnx_analysis *a) {
  json_t *report = json_pack("{s:{s:i}, s:o}", "context", "cpus_allowed", 2, "results", results);
  char why[256];
  ASSERT_OK(gnx_analysis_build(report, NULL, NULL, NULL, a, why, sizeof why));
  /* the analysis borrows from the report: keep it alive with it */
  json_decref(report); /* results still referenced by the cells' parent below */
}

GNX_TEST(reco_clear_winner_and_next_step) {
  json_t *results = json_array();
  json_array_append_new(results, serial_cell());
  static const double w[] = {9.0, 9.1, 8.9};
  json_array_append_new(results, threads_cell(w));
  json_incref(results);
  struct gnx_analysis a;
  analyse_report(results, &a);
  struct gnx_reco r;
  gnx_reco_make(&a, "null", 100, &r);
  ASSERT(r.best != NULL);
  ASSERT_EQ_STR(r.best->engine, "threads");
  ASSERT_EQ_INT(r.n_tied, 0);
  if (strstr(r.why, "Time to result 9.100 s [9.000 s, 9.200 s]") != r.why) {
    GNX__FAIL("why: %s", r.why);
  }
  ASSERT(strstr(r.why, "s2 is its bottleneck (busy 89 %)") != NULL);
  /* s2 on two workers: max(5.5, 4) + 0.1 = 5.6 s instead of 8.1 s */
  ASSERT_EQ_STR(r.next, "give s2 a second worker (--stage-workers s2=2): its bound drops from "
                        "8.100 s to 5.600 s");
  gnx_analysis_free(&a);
  json_decref(results);
}

GNX_TEST(reco_says_tie_within_intervals) {
  json_t *results = json_array();
  static const double ws[] = {9.0, 9.4, 8.8};
  static const double wt[] = {9.1, 9.3, 8.7};
  json_array_append_new(results, cell("serial", ws, 3, 0.0, serial_stages, 5, serial_roles, 1));
  json_array_append_new(results, threads_cell(wt));
  json_incref(results);
  struct gnx_analysis a;
  analyse_report(results, &a);
  struct gnx_reco r;
  gnx_reco_make(&a, "null", 100, &r);
  ASSERT_EQ_INT(r.n_tied, 1);
  ASSERT(strstr(r.why, "Round by round, each one's time to result over") != NULL);
  ASSERT(strstr(r.why, "cannot rank them") != NULL);
  /* the command that separates them: this workload and size, both engines */
  if (!strstr(r.next, "`gnxbench run --workloads null --sizes 100 --engines ") ||
      !strstr(r.next, "threads") || !strstr(r.next, " --reps 10`")) {
    GNX__FAIL("next: %s", r.next);
  }
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  gnx_reco_write(f, &a, 0);
  fclose(f);
  ASSERT(strstr(buf, "(a tie)") != NULL);
  free(buf);
  gnx_analysis_free(&a);
  json_decref(results);
}

/* Every repetition of c cost cpu_s of CPU (user) and peaked at rss_mb. */
static void set_cost(json_t *c, double cpu_s, double rss_mb) {
  json_t *reps = json_object_get(c, "reps");
  for (size_t i = 0; i < json_array_size(reps); i++) {
    json_t *rep = json_array_get(reps, i);
    json_object_set_new(rep, "user_s", json_real(cpu_s));
    json_object_set_new(rep, "sys_s", json_real(0));
    json_object_set_new(rep, "maxrss_kb", json_integer((json_int_t)(rss_mb * 1024)));
  }
}

/* A tie goes to the cheaper, and the words say which rule chose it: CPU
 * time when it differs by more than 5 %, else peak RSS. */
GNX_TEST(reco_tie_says_why_the_chosen_costs_least) {
  static const double ws[] = {9.0, 9.4, 8.8};
  static const double wt[] = {9.1, 9.3, 8.7};
  static const struct {
    double serial_cpu, threads_cpu;
    const char *chosen, *why;
  } cases[] = {
      {10.0, 8.0, "threads", "threads costs least for it (the least CPU time):"},
      {10.0, 10.2, "threads", "threads costs least for it (CPU time within 5 %, the least peak RSS):"},
      {10.0, 12.0, "serial", "serial costs least for it (the least CPU time):"},
  };
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    json_t *results = json_array();
    json_t *s = cell("serial", ws, 3, 0.0, serial_stages, 5, serial_roles, 1);
    json_t *t = threads_cell(wt);
    set_cost(s, cases[k].serial_cpu, 30); /* threads always takes less memory */
    set_cost(t, cases[k].threads_cpu, 20);
    json_array_append_new(results, s);
    json_array_append_new(results, t);
    json_incref(results);
    struct gnx_analysis a;
    analyse_report(results, &a);
    struct gnx_reco r;
    gnx_reco_make(&a, "null", 100, &r);
    ASSERT_EQ_INT(r.n_tied, 1);
    ASSERT_EQ_STR(r.best->engine, cases[k].chosen);
    if (!strstr(r.why, cases[k].why)) {
      GNX__FAIL("case %u: %s", k, r.why);
    }
    gnx_analysis_free(&a);
    json_decref(results);
  }
}

/* Tied at 95 % or more, and every interval within 5 % of the others:
 * equivalent, no rerun suggested. With 3 repetitions (75 %) the same
 * figures stay a tie to rerun. */
GNX_TEST(reco_equivalent_within_five_percent) {
  static const double ws[] = {9.0, 9.1, 8.9, 9.05, 8.95, 9.0, 9.1, 8.9};
  static const double wt[] = {9.0, 8.95, 9.05, 9.0, 9.1, 8.9, 9.0, 9.05};
  static const int roles[] = {4, 0, 1, 2, 3};
  static const unsigned counts[] = {8, 3};
  for (unsigned k = 0; k < 2; k++) {
    unsigned reps = counts[k];
    json_t *results = json_array();
    json_array_append_new(results,
                          cell("serial", ws, reps, 0.0, serial_stages, 5, serial_roles, 1));
    json_array_append_new(results, cell("threads", wt, reps, 0.1, serial_stages, 5, roles, 5));
    json_incref(results);
    struct gnx_analysis a;
    analyse_report(results, &a);
    struct gnx_reco r;
    gnx_reco_make(&a, "null", 100, &r);
    ASSERT_EQ_INT(r.n_tied, 1);
    ASSERT_EQ_INT(r.equivalent, reps == 8);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gnx_reco_write(f, &a, 0);
    fclose(f);
    if (reps == 8) {
      ASSERT(strstr(r.why, "Round by round, each one's time to result is within 5 % of") != NULL);
      ASSERT(strstr(r.why, "no difference worth choosing by") != NULL);
      ASSERT(strstr(r.next, "--reps 10") == NULL);
      ASSERT(strstr(buf, "(equivalent within 5 %)") != NULL);
    } else {
      ASSERT(strstr(r.next, "--reps 10") != NULL);
      ASSERT(strstr(buf, "(a tie)") != NULL);
    }
    free(buf);
    gnx_analysis_free(&a);
    json_decref(results);
  }
}

GNX_TEST(reco_fewer_in_flight_when_faults_explain_the_loss) {
  /* async's stage code took 11 s more than serial's; its 16800 extra page
   * faults at 500 us each (the report's context) explain 8.4 s of it */
  static const struct st s[] = {{"gen", 2, 0, 0, 0}, {"s1", 2, 0, 0, 0}, {"s2", 16, 0, 0, 0},
                                {"s3", 2, 0, 0, 0}, {"sink", 0, 5, 0, 0}};
  static const int roles[] = {4, -1, -1};
  static const double w[] = {6, 6, 6};
  json_t *ser = serial_cell(), *as = cell("async", w, 3, 0, s, 5, roles, 3);
  set_faults(ser, 2400);
  set_faults(as, 19200);
  json_object_set_new(json_object_get(as, "options"), "inflight", json_string("0"));
  json_t *results = json_array();
  json_array_append_new(results, ser);
  json_array_append_new(results, as);
  json_t *report = json_pack("{s:{s:i, s:f}, s:o}", "context", "cpus_allowed", 2,
                             "page_fault_us", 500.0, "results", results);
  char why[256];
  struct gnx_analysis a;
  ASSERT_OK(gnx_analysis_build(report, NULL, NULL, NULL, &a, why, sizeof why));
  struct gnx_reco r;
  gnx_reco_make(&a, "null", 100, &r);
  ASSERT(r.best != NULL);
  ASSERT_EQ_STR(r.best->engine, "async");
  if (!strstr(r.next, "page faults on fresh item buffers cost about 8.400 s of its 11.000 s of "
                      "extra stage time: try fewer items in flight (--inflight) or smaller "
                      "items (--batch)")) {
    GNX__FAIL("next: %s", r.next);
  }
  gnx_analysis_free(&a);
  json_decref(report);
}

GNX_TEST(counters_md_sources_reasons_ipc_placement) {
  /* a report as a machine with a PMU writes it: the table shows IPC and
   * misses per 1000 instructions, the worker table its own IPC and where
   * it ran; the reason of a missing event is said once */
  json_t *ser = serial_cell();
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(ser, "reps"), i, r) {
    json_object_set_new(r, "counters",
                        json_pack("{s:I, s:i, s:f, s:f}", "task_clock_ns",
                                  (json_int_t)11000000000LL + (json_int_t)i,
                                  "page_faults", 100 + (int)i, "ipc", 1.5 + 0.1 * (double)i,
                                  "PAPI_L1_DCM_per_kinstr", 12.25));
    json_t *w = json_array_get(json_object_get(r, "workers"), 0);
    json_object_set_new(w, "counters", json_pack("{s:I, s:f}", "task_clock_ns", (json_int_t)10999000000LL,
                                                 "ipc", 1.6));
    json_object_set_new(w, "cpu_begin", json_integer(3));
    json_object_set_new(w, "cpu_end", json_integer(5));
    json_object_set_new(w, "placement", json_pack("{s:i, s:b}", "asked", 3, "migrated", 1));
  }
  json_t *results = json_array();
  json_array_append_new(results, ser);
  json_t *report = json_pack(
      "{s:{s:i, s:f}, s:o, s:{s:s, s:{s:{s:s}, s:{s:n, s:s}, s:{s:n, s:s}}}, s:{s:s, s:[i, i], "
      "s:s}}",
      "context", "cpus_allowed", 2, "page_fault_us", 1.7, "results", results, "counters", "mode",
      "auto", "counters", "task_clock_ns", "source", "perf_event", "PAPI_BR_MSP", "source",
      "reason", "no such event here", "PAPI_L3_TCM", "source", "reason", "no such event here",
      "pinning", "policy", "compact", "cpus", 3, 5, "rule", "worker i runs on cpus[i mod len]");
  char why[256];
  struct gnx_analysis a;
  ASSERT_OK(gnx_analysis_build(report, NULL, NULL, NULL, &a, why, sizeof why));
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  gnx_counters_md_context(f, report);
  gnx_counters_md_table(f, &a, "null", 100);
  gnx_counters_md_workers(f, &a.cells[0]);
  fclose(f);
  const char *want[] = {
      "| counted | task_clock_ns from perf_event |",
      "| not counted | PAPI_BR_MSP, PAPI_L3_TCM: no such event here |",
      "| pinning | `--pin compact`: CPUs 3, 5 (OS indexes)",
      "| one page fault | 1.70 us",
      "| engine | CPU (task-clock) | page faults | IPC | PAPI_L1_DCM_per_kinstr | workers migrated |",
      "| serial | 11.000 s | 101 | 1.60 | 12.25 | 1 of 1 |", /* medians of 3 repetitions */
      "| w | all stages | 3 | 3, 5 **migrated** | 10.999 s | - | - | 1.60 |",
  };
  for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
    if (!strstr(buf, want[k])) {
      GNX__FAIL("missing \"%s\" in:\n%s", want[k], buf);
    }
  }
  ASSERT(strstr(strstr(buf, "no such event here") + 1, "no such event here") == NULL); /* once */
  free(buf);
  gnx_analysis_free(&a);
  json_decref(report);
}

GNX_TEST(reco_contention_when_faults_do_not_explain) {
  /* the pool's stage code took 2x serial's with serial's page faults: the
   * next step is to pin and compare IPC, not to shrink what is in flight */
  static const struct st s[] = {{"gen", 2, 0, 0, 0}, {"s1", 2, 0, 0, 0}, {"s2", 16, 0, 0, 0},
                                {"s3", 2, 0, 0, 0}, {"sink", 0, 5, 0, 0}};
  static const int roles[] = {4, -1, -1};
  static const double w[] = {9, 9, 9};
  json_t *ser = serial_cell(), *pp = cell("procpool", w, 3, 0, s, 5, roles, 3);
  set_faults(ser, 2400);
  set_faults(pp, 2500);
  json_t *results = json_array();
  json_array_append_new(results, ser);
  json_array_append_new(results, pp);
  json_t *report = json_pack("{s:{s:i, s:f}, s:o}", "context", "cpus_allowed", 2,
                             "page_fault_us", 2.0, "results", results);
  char why[256];
  struct gnx_analysis a;
  ASSERT_OK(gnx_analysis_build(report, NULL, NULL, NULL, &a, why, sizeof why));
  struct gnx_reco r;
  gnx_reco_make(&a, "null", 100, &r);
  ASSERT_EQ_STR(r.best->engine, "procpool");
  if (!strstr(r.next, "its stage code ran 2.00x slower than under serial (11.000 s more), which "
                      "page faults do not explain") ||
      !strstr(r.next, "--pin compact")) {
    GNX__FAIL("next: %s", r.next);
  }
  gnx_analysis_free(&a);
  json_decref(report);
}

GNX_TEST(reco_tie_command_keeps_the_run_options) {
  json_t *results = json_array();
  static const double ws[] = {9.0, 9.4, 8.8};
  static const double wt[] = {9.1, 9.3, 8.7};
  json_array_append_new(results, cell("serial", ws, 3, 0.0, serial_stages, 5, serial_roles, 1));
  json_array_append_new(results, threads_cell(wt));
  json_t *report = json_pack(
      "{s:{s:i, s:[s, s, s, s, s, s, s, s, s, s, s]}, s:o}", "context", "cpus_allowed", 2,
      "command_line", "/x/gnxbench", "run", "--engines", "all", "--sizes=25k,100k", "--work",
      "40", "--reps", "3", "--out", "o", "results", results);
  char why[256];
  struct gnx_analysis a;
  ASSERT_OK(gnx_analysis_build(report, NULL, NULL, NULL, &a, why, sizeof why));
  struct gnx_reco r;
  gnx_reco_make(&a, "null", 100, &r);
  ASSERT_EQ_INT(r.n_tied, 1);
  /* --work stays; engines, sizes, reps and out are this recommendation's */
  if (!strstr(r.next, "`gnxbench run --work 40 --workloads null --sizes 100 --engines ") ||
      strstr(r.next, "--out") || strstr(r.next, "25k") || !strstr(r.next, " --reps 10`")) {
    GNX__FAIL("next: %s", r.next);
  }
  gnx_analysis_free(&a);
  json_decref(report);
}

GNX_TEST(reco_nothing_verified) {
  json_t *c = serial_cell();
  json_object_set_new(c, "verified", json_false());
  json_t *results = json_array();
  json_array_append_new(results, c);
  json_incref(results);
  struct gnx_analysis a;
  analyse_report(results, &a);
  struct gnx_reco r;
  gnx_reco_make(&a, "null", 100, &r);
  ASSERT(r.best == NULL);
  ASSERT(strstr(r.why, "nothing to recommend") != NULL);
  gnx_analysis_free(&a);
  json_decref(results);
}

/* ---- traces ------------------------------------------------------------------ */

GNX_TEST(tfile_reads_fast_and_generic_events) {
  char path[] = "/tmp/gnx-test-trace-XXXXXX";
  int fd = mkstemp(path);
  ASSERT(fd >= 0);
  FILE *f = fdopen(fd, "w");
  /* the fast path's exact form, a C event, and forms only jansson reads
   * (escaped name, reordered keys) */
  fprintf(f, "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n"
             "{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 7, \"tid\": 8, \"args\": "
             "{\"name\": \"s2.0\"}},\n"
             "{\"ph\": \"M\", \"name\": \"thread_sort_index\", \"pid\": 7, \"tid\": 8, "
             "\"args\": {\"sort_index\": 1}},\n"
             "{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": 7, \"tid\": 9, \"args\": "
             "{\"name\": \"sink\"}},\n"
             "{\"ph\": \"M\", \"name\": \"thread_sort_index\", \"pid\": 7, \"tid\": 9, "
             "\"args\": {\"sort_index\": 0}},\n"
             "{\"ph\": \"X\", \"name\": \"s2\", \"cat\": \"exec\", \"pid\": 7, \"tid\": 8, "
             "\"ts\": 10.500, \"dur\": 2.000, \"args\": {\"item\": 1, \"stage\": 2, "
             "\"kind\": \"exec\"}},\n"
             "{\"ph\": \"C\", \"name\": \"queue into s2\", \"pid\": 7, \"ts\": 1.000, "
             "\"args\": {\"depth\": 3}},\n"
             "{\"ph\": \"X\", \"name\": \"s\\\"2\", \"cat\": \"wait_in\", \"pid\": 7, \"tid\": "
             "8, \"ts\": 0.000, \"dur\": 10.500, \"args\": {\"item\": 0, \"stage\": 2, "
             "\"kind\": \"wait_in\"}},\n"
             "{\"dur\": 1, \"ts\": 13, \"ph\": \"X\", \"pid\": 7, \"tid\": 9, \"cat\": "
             "\"exec\", \"args\": {\"stage\": 4, \"item\": 1}}\n"
             "]}\n");
  fclose(f);
  struct gnx_tfile t;
  char why[256];
  ASSERT_OK(gnx_tfile_load(path, &t, why, sizeof why));
  unlink(path);
  ASSERT_EQ_INT(t.n, 2);
  ASSERT_EQ_STR(t.threads[0].name, "sink"); /* by sort index */
  ASSERT_EQ_STR(t.threads[1].name, "s2.0");
  ASSERT_EQ_INT(t.threads[1].n, 2);
  ASSERT_NEAR(t.threads[1].spans[0].t0, 0.0, 1e-9); /* sorted by start */
  ASSERT_EQ_INT(t.threads[1].spans[0].kind, GNX_SPAN_WAIT_IN);
  ASSERT_NEAR(t.threads[1].spans[1].t1, 12.5, 1e-9);
  ASSERT_EQ_INT(t.threads[0].spans[0].stage, 4);
  ASSERT_NEAR(t.t_end, 14.0, 1e-9);
  ASSERT_EQ_INT(t.n_pids, 1);
  gnx_tfile_free(&t);
}

GNX_TEST(tfile_rejects_truncated) {
  char path[] = "/tmp/gnx-test-trace-XXXXXX";
  int fd = mkstemp(path);
  ASSERT(fd >= 0);
  ASSERT(write(fd, "{\"traceEvents\": [\n{\"ph\": \"X\"", 28) == 28);
  close(fd);
  struct gnx_tfile t;
  char why[256];
  ASSERT(gnx_tfile_load(path, &t, why, sizeof why) < 0);
  unlink(path);
  ASSERT(strstr(why, "gnx-test-trace-") != NULL);
  ASSERT(strchr(why, '/') == NULL); /* file name only, never the directory */
}

GNX_TEST(chrome_queue_depth_counters) {
  /* two workers: stage 0 finishes items 0..2 at 10, 20, 30 us; stage 1
   * starts them at 35, 40, 45 us: the queue into stage 1 reaches 3 */
  struct gnx_trace t;
  ASSERT_OK(gnx_trace_init(&t, 4, 16));
  struct gnx_trace_worker *a = gnx_trace_worker_add(&t, "gen.0", 0);
  struct gnx_trace_worker *b = gnx_trace_worker_add(&t, "s1.0", 1);
  a->pid = b->pid = 100;
  a->tid = 100;
  b->tid = 101;
  uint64_t t0 = 1000000;
  for (int i = 0; i < 3; i++) {
    gnx_span_add(a, t0 + (uint64_t)(i * 10000), t0 + (uint64_t)(i * 10000 + 10000), (uint64_t)i,
                 0, GNX_SPAN_EXEC);
    gnx_span_add(b, t0 + (uint64_t)(35000 + i * 5000), t0 + (uint64_t)(40000 + i * 5000),
                 (uint64_t)i, 1, GNX_SPAN_EXEC);
  }
  char path[] = "/tmp/gnx-test-chrome-XXXXXX";
  int fd = mkstemp(path);
  ASSERT(fd >= 0);
  close(fd);
  const char *names[] = {"gen", "s1"};
  char why[256];
  ASSERT_OK(gnx_chrome_write(path, &t, names, 2, t0, "test", why, sizeof why));
  gnx_trace_free(&t);
  json_error_t err;
  json_t *j = json_load_file(path, 0, &err);
  ASSERT(j != NULL);
  size_t i;
  json_t *ev;
  long max_depth = -1, last = -1;
  int x = 0;
  json_array_foreach(json_object_get(j, "traceEvents"), i, ev) {
    const char *ph = json_string_value(json_object_get(ev, "ph"));
    if (strcmp(ph, "X") == 0) {
      x++;
    }
    if (strcmp(ph, "C") == 0) {
      ASSERT_EQ_STR(json_string_value(json_object_get(ev, "name")), "queue into s1");
      long d = (long)json_integer_value(json_object_get(json_object_get(ev, "args"), "depth"));
      ASSERT(d >= 0);
      max_depth = d > max_depth ? d : max_depth;
      last = d;
    }
  }
  ASSERT_EQ_INT(x, 6);
  ASSERT_EQ_INT(max_depth, 3);
  ASSERT_EQ_INT(last, 0);
  json_decref(j);
  /* and the reader takes the file back with its spans intact */
  struct gnx_tfile tf;
  ASSERT_OK(gnx_tfile_load(path, &tf, why, sizeof why));
  ASSERT_EQ_INT(tf.n, 2);
  ASSERT_NEAR(tf.threads[1].spans[0].t0, 35.0, 1e-9);
  gnx_tfile_free(&tf);
  unlink(path);
}

/* Every field name writers and readers share is a property of the schema:
 * a field renamed in schema.h but not in docs/report-schema.json fails. */
GNX_TEST(report_fields_are_schema_properties) {
  char path[4096];
  const char *tail = strstr(__FILE__, "tests/unit/");
  if (!tail) {
    GNX_SKIP("the source directory is unknown");
  }
  snprintf(path, sizeof path, "%.*sdocs/report-schema.json", (int)(tail - __FILE__), __FILE__);
  FILE *f = fopen(path, "r");
  if (!f) {
    GNX_SKIP("docs/report-schema.json is not beside the sources");
  }
  static char text[1 << 20];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  static const char *const names[] = {
#define NAME(id, name) name,
      GNX_REPORT_FIELDS(NAME)
#undef NAME
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char prop[96];
    snprintf(prop, sizeof prop, "\"%s\":", names[i]);
    if (!strstr(text, prop)) {
      fprintf(stderr, "field %s is not in %s\n", names[i], path);
      exit(1);
    }
  }
}

GNX_TEST(typed_readers_types_and_fallbacks) {
  json_t *o = json_pack("{s:i, s:f, s:s, s:b, s:n}", "i", 7, "r", 2.5, "s", "x", "b", 1, "z");
  ASSERT_NEAR(gnx_jnum(o, "i", NAN), 7, 0);
  ASSERT_NEAR(gnx_jnum(o, "r", NAN), 2.5, 0);
  ASSERT(isnan(gnx_jnum(o, "s", NAN)));
  ASSERT_EQ_INT(gnx_jint(o, "i", -1), 7);
  ASSERT_EQ_INT(gnx_jint(o, "r", -1), -1); /* a real is not an integer */
  ASSERT_EQ_STR(gnx_jstr(o, "s", NULL), "x");
  ASSERT_EQ_STR(gnx_jstr(o, "i", "def"), "def");
  ASSERT_EQ_INT(gnx_jbool(o, "b", 0), 1);
  ASSERT_EQ_INT(gnx_jbool(o, "z", 1), 1); /* null is not a boolean */
  ASSERT_EQ_INT(gnx_jbool(o, "missing", 0), 0);
  ASSERT_EQ_INT(gnx_jint(NULL, "i", 3), 3);
  ASSERT(gnx_jstr(json_array_get(o, 0), "s", NULL) == NULL);
  json_decref(o);
}

/* PAPI events a machine without a PMU never counts: per worker and per
 * repetition (summed over workers), with IPC and misses per 1000
 * instructions derived; placement of pinned workers. */
GNX_TEST(report_rep_counters_and_placement) {
  struct gnx_counters ctrs;
  memset(&ctrs, 0, sizeof ctrs);
  ctrs.mode = GNX_CTR_AUTO;
  ctrs.n_events = 3;
  snprintf(ctrs.events[0], sizeof ctrs.events[0], "PAPI_TOT_CYC");
  snprintf(ctrs.events[1], sizeof ctrs.events[1], "PAPI_TOT_INS");
  snprintf(ctrs.events[2], sizeof ctrs.events[2], "PAPI_L1_DCM");
  ctrs.ev_ok[0] = ctrs.ev_ok[1] = ctrs.ev_ok[2] = 1;
  struct gnx_pin_plan plan;
  memset(&plan, 0, sizeof plan);
  plan.policy = GNX_PIN_COMPACT;
  struct gnx_trace t;
  ASSERT_OK(gnx_trace_init(&t, 2, 4));
  struct gnx_trace_worker *w[2] = {gnx_trace_worker_add(&t, "a.0", 0),
                                   gnx_trace_worker_add(&t, "sink.0", 1)};
  for (int k = 0; k < 2; k++) {
    for (int i = 0; i < GNX_TRACE_WCTR_MAX; i++) {
      w[k]->wctr[i] = -1;
    }
    w[k]->wctr[GNX_SW__COUNT + 0] = 1000; /* cycles */
    w[k]->wctr[GNX_SW__COUNT + 1] = 500;  /* instructions */
    w[k]->wctr[GNX_SW__COUNT + 2] = 5;    /* L1 misses */
    w[k]->cpu_asked = w[k]->cpu_asked_logical = k;
    w[k]->cpu_begin = 0;
    w[k]->cpu_end = k; /* the second one moved */
  }
  gnx_span_add(w[0], 100, 1100, 0, 0, GNX_SPAN_EXEC);
  gnx_span_add(w[1], 1100, 1600, 0, 1, GNX_SPAN_EXEC);
  const int64_t sw[GNX_SW__COUNT] = {-1, -1, -1, -1};
  const int src[GNX_SW__COUNT] = {0};
  const char *names[] = {"a", "sink"};
  struct gnx_rep_facts f = {.ok = 1,
                            .wall_s = 2e-6,
                            .counters_on = 1,
                            .sw = sw,
                            .sw_src = src,
                            .trace = &t,
                            .names = names,
                            .n_names = 2,
                            .counters = &ctrs,
                            .pin = &plan};
  json_t *rep = gnx_report_rep_new(&f);
  gnx_trace_free(&t);
  const json_t *rc = json_object_get(rep, GNX_F_COUNTERS);
  ASSERT_EQ_INT(gnx_jint(rc, "PAPI_TOT_CYC", 0), 2000);
  ASSERT_NEAR(gnx_jnum(rc, GNX_F_IPC, NAN), 0.5, 1e-12);
  ASSERT_NEAR(gnx_jnum(rc, "PAPI_L1_DCM_per_kinstr", NAN), 10, 1e-12);
  const json_t *st = json_array_get(json_object_get(rep, GNX_F_STAGES), 1);
  ASSERT_EQ_STR(gnx_jstr(st, GNX_F_NAME, NULL), "sink");
  ASSERT_NEAR(gnx_jnum(st, GNX_F_EXEC_S, NAN), 500e-9, 1e-15);
  const json_t *w1 = json_array_get(json_object_get(rep, GNX_F_WORKERS), 1);
  ASSERT_NEAR(gnx_jnum(json_object_get(w1, GNX_F_COUNTERS), GNX_F_IPC, NAN), 0.5, 1e-12);
  ASSERT_EQ_INT(gnx_jbool(json_object_get(w1, GNX_F_PLACEMENT), GNX_F_MIGRATED, 0), 1);
  const json_t *w0 = json_array_get(json_object_get(rep, GNX_F_WORKERS), 0);
  ASSERT_EQ_INT(gnx_jbool(json_object_get(w0, GNX_F_PLACEMENT), GNX_F_MIGRATED, 1), 0);
  json_decref(rep);
}

/* A cell from its repetitions: speedups per round against serial, the
 * verification, the failure that stops an engine, and the noise warning. */
GNX_TEST(report_cell_from_facts) {
  json_t *ref = json_pack("{s:i}", "sum", 42), *other = json_pack("{s:i}", "sum", 41);
  struct gnx_rep_outcome serial[4] = {{0, 1.0, ref, json_object()},
                                      {0, 1.2, ref, json_object()},
                                      {0, 0.8, ref, json_object()},
                                      {0, 1.0, ref, json_object()}};
  struct gnx_rep_outcome eng[4] = {{0, 0.5, ref, json_object()},
                                   {0, 0.5, ref, json_object()},
                                   {GNX_EWORKER, 0, NULL, json_object()},
                                   {0, 0.25, ref, json_object()}};
  struct gnx_params none = {0};
  struct gnx_cell_facts f = {.workload = "w",
                             .engine = "e",
                             .size = 10,
                             .items = 2,
                             .params = {&none, &none},
                             .n_reps = 4,
                             .reps = eng,
                             .serial = serial,
                             .reference = ref,
                             .checked = 1,
                             .check_rc = 0,
                             .trace_file = "trace-w-10-e.json",
                             .trace_rep = 1};
  ASSERT_EQ_INT(gnx_report_median_rep(eng, 4), 0); /* walls .25 .5 .5: the lower median */
  json_t *cell = gnx_report_cell_new(&f);
  const json_t *sp = json_object_get(json_object_get(cell, GNX_F_STATS), GNX_F_SPEEDUP);
  ASSERT_EQ_INT(gnx_jint(sp, GNX_F_N, 0), 3); /* 2, 2.4, 4: the failed round has none */
  ASSERT_NEAR(gnx_jnum(sp, GNX_F_MEDIAN, NAN), 2.4, 1e-12);
  ASSERT_EQ_INT(gnx_jbool(cell, GNX_F_VERIFIED, 0), 1);
  ASSERT_EQ_STR(gnx_jstr(cell, GNX_F_STATUS, NULL), "ok");
  ASSERT_EQ_INT(gnx_jint(json_object_get(cell, GNX_F_TRACE), GNX_F_REP, -1), 1);
  /* walls .5 .5 .25: CV above 5 %, so a warning */
  ASSERT_EQ_INT((long long)json_array_size(json_object_get(cell, GNX_F_WARNINGS)), 1);
  json_decref(cell);
  /* a result that differs, then an engine that failed */
  eng[1].summary = other;
  cell = gnx_report_cell_new(&f);
  ASSERT_EQ_INT(gnx_jbool(cell, GNX_F_VERIFIED, 1), 0);
  ASSERT_EQ_STR(gnx_jstr(cell, GNX_F_ERROR, NULL),
                "result differs from the serial engine's result");
  json_decref(cell);
  f.failed = GNX_ESTOPPED;
  f.failmsg = "stopped";
  f.trace_file = NULL;
  cell = gnx_report_cell_new(&f);
  ASSERT_EQ_STR(gnx_jstr(cell, GNX_F_STATUS, NULL), "interrupted");
  ASSERT_EQ_STR(gnx_jstr(cell, GNX_F_ERROR, NULL), "stopped");
  ASSERT(json_is_null(json_object_get(cell, GNX_F_TRACE)));
  json_decref(cell);
  for (int r = 0; r < 4; r++) {
    json_decref(serial[r].json);
    json_decref(eng[r].json);
  }
  json_decref(ref);
  json_decref(other);
}
