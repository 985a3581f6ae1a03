/* SPDX-License-Identifier: MIT */
/* The engines' models and the tuner, on synthetic profiles: each engine's
 * simulation reproduces schedules computed by hand for tiny cases (three
 * items, known costs, known buffers), and the tuner picks what the costs
 * call for. No timing: pure arithmetic on given costs. */
#include <math.h>

#include "core/profile.h"
#include "harness/registry.h"
#include "tests/test.h"

#define MS 1e-3

static const char *const two_names[] = {"a", "b", "sink"};
static const char *const one_names[] = {"a", "sink"};

/* A profile of `items` items over n stages; cost[s] per item of stage s
 * (the sink last), or per item when uneven (costs[i][s]). */
static void profile_make(struct gnx_profile *p, unsigned n, uint64_t items, const double *cost,
                         const char *const *names) {
  memset(p, 0, sizeof *p);
  p->n_stages = n;
  p->items = items;
  p->names = names;
  p->cost_s = calloc(items * (n + 1), sizeof *p->cost_s);
  for (uint64_t i = 0; i < items; i++) {
    for (unsigned s = 0; s <= n; s++) {
      p->cost_s[i * (n + 1) + s] = cost[s];
    }
  }
}

static const struct gnx_machine ideal = {0, 0, 1e30, 0, 0}; /* free hand-offs and copies */

static double predict(const char *engine, const struct gnx_profile *p, unsigned cpus,
                      const char *const *opts) {
  const struct gnx_engine *e = gnx_engine_find(engine);
  struct gnx_kv kv[8];
  size_t n_kv = 0;
  char buf[8][64];
  for (; opts && opts[n_kv]; n_kv++) {
    snprintf(buf[n_kv], sizeof buf[0], "%s", opts[n_kv]);
    char *eq = strchr(buf[n_kv], '=');
    *eq = '\0';
    kv[n_kv] = (struct gnx_kv){buf[n_kv], eq + 1};
  }
  struct gnx_params params;
  ASSERT_OK(gnx_params_build(e->options, 0, kv, n_kv, &params));
  struct gnx_model_in in = {p, &ideal, cpus, NULL};
  struct gnx_tune t;
  ASSERT_OK(gnx_tune_engine(e, &params, &in, &t));
  double wall;
  ASSERT_OK(gnx_tune_predict(e, &params, &t, &in, &wall));
  gnx_params_free(&params);
  return wall;
}

#define ASSERT_WALL(x, want) ASSERT_NEAR(x, want, 1e-9)

/* serial: 3 items of a 1 ms and b 2 ms: 9 ms, whatever the CPUs. */
GNX_TEST(model_serial_sums_the_costs) {
  struct gnx_profile p;
  profile_make(&p, 2, 3, (double[]){1 * MS, 2 * MS, 0}, two_names);
  ASSERT_WALL(predict("serial", &p, 1, NULL), 9 * MS);
  ASSERT_WALL(predict("serial", &p, 4, NULL), 9 * MS);
  free(p.cost_s);
}

/* threads, one worker per stage, a 1 ms then b 2 ms: with a CPU each,
 * b runs items at 1-3, 3-5, 5-7 ms; on one CPU the 9 ms of work share it
 * (by hand: a's item 1 and b's item 0 share 1-3 ms, ... last ends at 9). */
GNX_TEST(model_threads_pipeline_by_hand) {
  struct gnx_profile p;
  profile_make(&p, 2, 3, (double[]){1 * MS, 2 * MS, 0}, two_names);
  const char *one_each[] = {"stage-workers=1", "queue-depth=4", NULL};
  ASSERT_WALL(predict("threads", &p, 3, one_each), 7 * MS);
  ASSERT_WALL(predict("threads", &p, 1, one_each), 9 * MS);
  /* a 1 ms, b 3 ms, queue of one: a blocks on item 2 from 3 to 4 ms; b
   * still runs back to back: 1 + 3 x 3 = 10 ms */
  struct gnx_profile q;
  profile_make(&q, 2, 3, (double[]){1 * MS, 3 * MS, 0}, two_names);
  const char *depth1[] = {"stage-workers=1", "queue-depth=1", NULL};
  ASSERT_WALL(predict("threads", &q, 3, depth1), 10 * MS);
  /* two workers on b: items 0 and 1 overlap: 1-4, 2-5, then 4-7 */
  const char *two_b[] = {"stage-workers=b=2", "queue-depth=1", NULL};
  ASSERT_WALL(predict("threads", &q, 4, two_b), 7 * MS);
  free(p.cost_s);
  free(q.cost_s);
}

/* procpool, 2 workers, items of 1, 2, 3 ms: w1 runs 0-1 then 1-4, w2 0-2:
 * 4 ms on 2 CPUs; on one CPU 6 ms; with one ring slot the parent's
 * in-order sink (free here) still lets both run: 4 ms. */
GNX_TEST(model_procpool_by_hand) {
  struct gnx_profile p;
  profile_make(&p, 1, 3, (double[]){0, 0}, one_names);
  for (int i = 0; i < 3; i++) {
    p.cost_s[i * 2] = (i + 1) * MS;
  }
  const char *two[] = {"workers=2", "ring-slots=8", NULL};
  ASSERT_WALL(predict("procpool", &p, 2, two), 4 * MS);
  ASSERT_WALL(predict("procpool", &p, 1, two), 6 * MS);
  /* pipe transport with one credit: one item at a time, 6 ms */
  const char *credit1[] = {"workers=2", "ring-slots=1", "transport=pipe", NULL};
  ASSERT_WALL(predict("procpool", &p, 2, credit1), 6 * MS);
  /* a sink of 2 ms per item behind workers of 1 ms: the sink binds, 1 + 3 x 2 */
  struct gnx_profile q;
  profile_make(&q, 1, 3, (double[]){1 * MS, 2 * MS}, one_names);
  ASSERT_WALL(predict("procpool", &q, 3, two), 7 * MS);
  free(p.cost_s);
  free(q.cost_s);
}

/* async: two pool threads, at most one item in flight: one at a time. */
GNX_TEST(model_async_window_by_hand) {
  struct gnx_profile p;
  profile_make(&p, 1, 3, (double[]){2 * MS, 0}, one_names);
  const char *wide[] = {"workers=2", "inflight=16", NULL};
  ASSERT_WALL(predict("async", &p, 2, wide), 4 * MS); /* 0-2, 0-2, 2-4 */
  const char *one[] = {"workers=2", "inflight=1", NULL};
  ASSERT_WALL(predict("async", &p, 2, one), 6 * MS);
  free(p.cost_s);
}

/* subproc: the pipeline plus the ring writer and the parent's sink, both
 * free here: the same 7 ms as threads with a CPU each. */
GNX_TEST(model_subproc_by_hand) {
  struct gnx_profile p;
  profile_make(&p, 2, 3, (double[]){1 * MS, 2 * MS, 0}, two_names);
  const char *one_each[] = {"stage-workers=1", "queue-depth=4", "ring-slots=8", NULL};
  ASSERT_WALL(predict("subproc", &p, 8, one_each), 7 * MS);
  free(p.cost_s);
}

static const char *const etl_names[] = {"extract", "parse", "transform", "aggregate", "load"};

/* The spec ETL's shape on 2 CPUs (transform 94 % of the work): the tuner
 * gives transform a second worker and nothing else. */
GNX_TEST(tune_picks_transform_2_for_etl_on_2_cpus) {
  struct gnx_profile p;
  profile_make(&p, 4, 100, (double[]){0.03 * MS, 0.08 * MS, 2.1 * MS, 0.01 * MS, 0.02 * MS},
               etl_names);
  struct gnx_machine vm = {30e-6, 200e-6, 5e9, 1.7e-6, 30e-9}; /* the 2-vCPU VM's */
  const char *names[] = {"threads", "subproc"};
  for (int k = 0; k < 2; k++) {
    const struct gnx_engine *e = gnx_engine_find(names[k]);
    struct gnx_params params;
    ASSERT_OK(gnx_params_build(e->options, 0, NULL, 0, &params));
    struct gnx_model_in in = {&p, &vm, 2, NULL};
    struct gnx_tune t;
    ASSERT_OK(gnx_tune_engine(e, &params, &in, &t));
    printf("%s: %s=%s (%u steps, predicted %.1f ms): %s\n", names[k], t.name[0], t.value[0],
           t.n_steps, t.wall_s * 1e3, t.stop);
    ASSERT(t.tuned);
    ASSERT_EQ_STR(t.name[0], "stage-workers");
    ASSERT_EQ_STR(t.value[0], "transform=2");
    ASSERT(t.wall_s < 0.6 * t.steps[0].wall_s); /* about half of one worker each */
    gnx_params_free(&params);
  }
  free(p.cost_s);
}

/* A balanced pipeline on one CPU: no second worker anywhere can help. */
GNX_TEST(tune_keeps_one_each_for_balanced_null_on_1_cpu) {
  static const char *const null_names[] = {"gen", "s1", "s2", "s3", "sink"};
  struct gnx_profile p;
  profile_make(&p, 4, 50, (double[]){0.5 * MS, 0.5 * MS, 0.5 * MS, 0.5 * MS, 0.01 * MS},
               null_names);
  const struct gnx_engine *e = gnx_engine_find("threads");
  struct gnx_params params;
  ASSERT_OK(gnx_params_build(e->options, 0, NULL, 0, &params));
  struct gnx_model_in in = {&p, &ideal, 1, NULL};
  struct gnx_tune t;
  ASSERT_OK(gnx_tune_engine(e, &params, &in, &t));
  ASSERT_EQ_STR(t.value[0], "1");
  ASSERT(strstr(t.stop, "1 CPUs") != NULL);
  gnx_params_free(&params);
  /* and data parallel engines take one worker per CPU on 2 */
  e = gnx_engine_find("procpool");
  ASSERT_OK(gnx_params_build(e->options, 0, NULL, 0, &params));
  in.cpus = 2;
  ASSERT_OK(gnx_tune_engine(e, &params, &in, &t));
  ASSERT_EQ_STR(t.name[0], "workers");
  ASSERT_EQ_STR(t.value[0], "2");
  ASSERT_EQ_STR(t.value[1], "8"); /* ring-slots at its floor, 4 per worker */
  gnx_params_free(&params);
  free(p.cost_s);
}

/* An explicit value wins: the tuner keeps it and turns only the others. */
GNX_TEST(tune_explicit_option_overrides_auto) {
  struct gnx_profile p;
  profile_make(&p, 4, 100, (double[]){0.03 * MS, 0.08 * MS, 2.1 * MS, 0.01 * MS, 0.02 * MS},
               etl_names);
  const struct gnx_engine *e = gnx_engine_find("threads");
  struct gnx_kv kv[] = {{"stage-workers", "1"}};
  struct gnx_params params;
  ASSERT_OK(gnx_params_build(e->options, 0, kv, 1, &params));
  struct gnx_model_in in = {&p, &ideal, 2, NULL};
  struct gnx_tune t;
  ASSERT_OK(gnx_tune_engine(e, &params, &in, &t));
  ASSERT(t.given[0]);
  ASSERT_EQ_STR(t.value[0], "1");
  ASSERT_EQ_STR(t.stop, "the worker counts were given");
  gnx_params_free(&params);
  /* every option given: nothing is tuned */
  struct gnx_kv all[] = {{"stage-workers", "transform=2"}, {"queue-depth", "4"}};
  ASSERT_OK(gnx_params_build(e->options, 0, all, 2, &params));
  ASSERT_OK(gnx_tune_engine(e, &params, &in, &t));
  ASSERT(!t.tuned);
  ASSERT_EQ_STR(t.stop, "every sizing option was given");
  gnx_params_free(&params);
  /* an engine with a model but no knobs (mpi: --ranks auto is fixed, one
   * rank per CPU) is not told that options were given */
  e = gnx_engine_find("mpi");
  if (e && e->model && !e->knobs) {
    ASSERT_OK(gnx_params_build(e->options, 0, NULL, 0, &params));
    ASSERT_OK(gnx_tune_engine(e, &params, &in, &t));
    ASSERT(!t.tuned);
    ASSERT_EQ_STR(t.stop, "the engine has no sizing option to tune");
    gnx_params_free(&params);
  }
  free(p.cost_s);
}

/* A what-if scales a stage: transform 2x cheaper, serial's wall drops by
 * half of transform's share. */
GNX_TEST(model_what_if_scales_a_stage) {
  struct gnx_profile p;
  profile_make(&p, 4, 10, (double[]){1 * MS, 1 * MS, 4 * MS, 1 * MS, 1 * MS}, etl_names);
  const struct gnx_engine *e = gnx_engine_find("serial");
  struct gnx_params params;
  ASSERT_OK(gnx_params_build(e->options, 0, NULL, 0, &params));
  double scale[] = {1, 1, 0.5, 1, 1}, wall;
  struct gnx_model_in in = {&p, &ideal, 1, scale};
  ASSERT_OK(gnx_tune_predict(e, &params, NULL, &in, &wall));
  ASSERT_WALL(wall, 10 * 6 * MS);
  gnx_params_free(&params);
  free(p.cost_s);
}
