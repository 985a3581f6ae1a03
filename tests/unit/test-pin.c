/* SPDX-License-Identifier: MIT */
/* Pinning: the placement policies on hwloc synthetic topologies (so compact
 * and scatter differ whatever the host), --pin parsing, and real binding on
 * this machine checked with sched_getcpu. */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#ifdef GNX_HAVE_HWLOC
#include <hwloc.h>
#endif

#include "core/pin.h"
#include "harness/registry.h"
#include "harness/runner.h"
#include "tests/test.h"

GNX_TEST(parse_policies) {
  int list[8], n;
  char why[256];
  ASSERT_EQ_INT(gnx_pin_parse("none", list, &n, 8, why, sizeof why), GNX_PIN_NONE);
  ASSERT_EQ_INT(gnx_pin_parse("compact", list, &n, 8, why, sizeof why), GNX_PIN_COMPACT);
  ASSERT_EQ_INT(gnx_pin_parse("scatter", list, &n, 8, why, sizeof why), GNX_PIN_SCATTER);
  ASSERT_EQ_INT(gnx_pin_parse("0,2,4", list, &n, 8, why, sizeof why), GNX_PIN_LIST);
  ASSERT_EQ_INT(n, 3);
  ASSERT_EQ_INT(list[2], 4);
  const char *bad[] = {"", "0,,1", "1,", ",1", "x", "-1", "0,a", "spread", "1 2"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ASSERT_EQ_INT(gnx_pin_parse(bad[i], list, &n, 8, why, sizeof why), GNX_EUSAGE);
    ASSERT(strstr(why, "--pin"));
  }
}

#ifdef GNX_HAVE_HWLOC
static hwloc_topology_t synthetic_flags(const char *desc, unsigned long flags) {
  hwloc_topology_t t;
  ASSERT_OK(hwloc_topology_init(&t));
  ASSERT_OK(hwloc_topology_set_flags(t, flags));
  ASSERT_OK(hwloc_topology_set_synthetic(t, desc));
  ASSERT_OK(hwloc_topology_load(t));
  return t;
}

static hwloc_topology_t synthetic(const char *desc) { return synthetic_flags(desc, 0); }

static void expect_plan(hwloc_topology_t t, int policy, const int *want, int n) {
  struct gnx_pin_plan p;
  char why[256];
  ASSERT_OK(gnx_pin_plan_make(t, policy, NULL, 0, 0, &p, why, sizeof why));
  ASSERT(p.n >= n);
  for (int i = 0; i < n; i++) {
    if (p.logical[i] != want[i]) {
      GNX__FAIL("%s worker %d: PU L#%d, want L#%d", gnx_pin_policy_name(policy), i, p.logical[i],
                want[i]);
    }
  }
}
#endif

GNX_TEST(synthetic_compact_vs_scatter) {
#ifndef GNX_HAVE_HWLOC
  GNX_SKIP("built without hwloc");
#else
  /* 2 packages x 4 cores x 2 PUs: L#0-7 in package 0, L#8-15 in package 1,
   * L#2k and L#2k+1 share a core */
  hwloc_topology_t t = synthetic("pack:2 core:4 pu:2");
  ASSERT_EQ_INT(hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU), 16);
  /* compact: both PUs of a core, then the next core, then the next package */
  const int compact[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  expect_plan(t, GNX_PIN_COMPACT, compact, 16);
  /* scatter: alternate packages, then cores, and only then the second PU */
  const int scatter[] = {0, 8, 2, 10, 4, 12, 6, 14, 1, 9, 3, 11, 5, 13, 7, 15};
  expect_plan(t, GNX_PIN_SCATTER, scatter, 16);
  /* 4 workers: compact stays on 2 cores of package 0; scatter uses both
   * packages and 4 distinct cores */
  struct gnx_pin_plan p;
  char why[256];
  ASSERT_OK(gnx_pin_plan_make(t, GNX_PIN_SCATTER, NULL, 0, 0, &p, why, sizeof why));
  int cores[4];
  for (int i = 0; i < 4; i++) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, (unsigned)p.logical[i]);
    cores[i] = (int)hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu)->logical_index;
  }
  for (int i = 0; i < 4; i++) {
    for (int j = i + 1; j < 4; j++) {
      ASSERT(cores[i] != cores[j]);
    }
  }
  hwloc_topology_destroy(t);

  /* no SMT, one package (like this VM): the two policies coincide for 2 */
  t = synthetic("pack:1 core:2 pu:1");
  const int two[] = {0, 1};
  expect_plan(t, GNX_PIN_COMPACT, two, 2);
  expect_plan(t, GNX_PIN_SCATTER, two, 2);
  hwloc_topology_destroy(t);

  /* NUMA and caches in the tree change nothing: 2 NUMA x 2 L3 x 2 cores */
  t = synthetic("pack:2 numa:1 l3:2 core:2 pu:1");
  const int sc[] = {0, 4, 2, 6, 1, 5, 3, 7};
  expect_plan(t, GNX_PIN_SCATTER, sc, 8);
  hwloc_topology_destroy(t);
#endif
}

GNX_TEST(synthetic_list_and_allowed) {
#ifndef GNX_HAVE_HWLOC
  struct gnx_pin_plan p;
  char why[256];
  ASSERT_EQ_INT(gnx_pin_plan_host(GNX_PIN_COMPACT, NULL, 0, &p, why, sizeof why), GNX_EUNAVAIL);
  ASSERT(strstr(why, "without hwloc"));
#else
  hwloc_topology_t t = synthetic("pack:2 core:4 pu:2");
  struct gnx_pin_plan p;
  char why[256];
  const int list[] = {3, 15, 0};
  ASSERT_OK(gnx_pin_plan_make(t, GNX_PIN_LIST, list, 3, 0, &p, why, sizeof why));
  ASSERT_EQ_INT(p.n, 3);
  ASSERT_EQ_INT(p.logical[1], 15);
  const int missing[] = {16};
  ASSERT_EQ_INT(gnx_pin_plan_make(t, GNX_PIN_LIST, missing, 1, 0, &p, why, sizeof why),
                GNX_EUSAGE);
  ASSERT(strstr(why, "L#16 does not exist"));
  hwloc_topology_destroy(t);

  /* disallowed PUs (as under a cgroup cpuset) are left out of every plan */
  t = synthetic_flags("pack:2 core:4 pu:2", HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
  hwloc_bitmap_t allow = hwloc_bitmap_alloc();
  hwloc_bitmap_set_range(allow, 4, 11);
  ASSERT_OK(hwloc_topology_allow(t, allow, NULL, HWLOC_ALLOW_FLAG_CUSTOM));
  hwloc_bitmap_free(allow);
  ASSERT_OK(gnx_pin_plan_make(t, GNX_PIN_COMPACT, NULL, 0, 0, &p, why, sizeof why));
  ASSERT_EQ_INT(p.n, 8);
  ASSERT_EQ_INT(p.logical[0], 4);
  ASSERT_OK(gnx_pin_plan_make(t, GNX_PIN_SCATTER, NULL, 0, 0, &p, why, sizeof why));
  ASSERT_EQ_INT(p.n, 8);
  ASSERT_EQ_INT(p.logical[0], 4);
  ASSERT_EQ_INT(p.logical[1], 8);
  const int denied[] = {0};
  ASSERT_EQ_INT(gnx_pin_plan_make(t, GNX_PIN_LIST, denied, 1, 0, &p, why, sizeof why),
                GNX_EUSAGE);
  ASSERT(strstr(why, "not in the cpuset"));
  hwloc_topology_destroy(t);
#endif
}

static volatile sig_atomic_t never;

static int run_pinned(const char *eng, int policy, struct gnx_pin_plan *plan,
                      struct gnx_run_result *res) {
  char why[256];
  int rc = gnx_pin_plan_host(policy, NULL, 0, plan, why, sizeof why);
  if (rc < 0) {
    return rc;
  }
  const struct gnx_workload *wl = gnx_workload_find("etl");
  const struct gnx_engine *e = gnx_engine_find(eng);
  struct gnx_params wp, ep;
  ASSERT_OK(gnx_params_build(wl->options, 2000, NULL, 0, &wp));
  ASSERT_OK(gnx_params_build(e->options, 2000, NULL, 0, &ep));
  void *shared = NULL;
  struct gnx_workload_info info = {0};
  char swhy[GNX_WHY_MAX] = "";
  ASSERT_OK(wl->setup(&wp, &shared, &info, swhy));
  struct gnx_fault none = {0};
  gnx_runner_set_probe(NULL, plan);
  rc = gnx_runner_exec(e, &ep, wl, shared, &info, &none, &never, gnx_cpus_allowed(), res);
  gnx_runner_set_probe(NULL, NULL);
  wl->teardown(shared);
  gnx_params_free(&wp);
  gnx_params_free(&ep);
  return rc;
}

static void check_pinned(const char *eng) {
  cpu_set_t before, after;
  ASSERT_OK(sched_getaffinity(0, sizeof before, &before));
  struct gnx_pin_plan plan;
  struct gnx_run_result res;
  int rc = run_pinned(eng, GNX_PIN_COMPACT, &plan, &res);
  if (rc == GNX_EUNAVAIL) {
    GNX_SKIP("built without hwloc");
  }
  ASSERT_OK(rc);
  for (uint32_t w = 0; w < res.trace.n_workers; w++) {
    const struct gnx_trace_worker *tw = res.trace.workers[w];
    printf("%s: asked P#%d (L#%d) began on %d ended on %d\n", tw->name, tw->cpu_asked,
           tw->cpu_asked_logical, tw->cpu_begin, tw->cpu_end);
    ASSERT_EQ_INT(tw->bind_err, 0);
    ASSERT_EQ_INT(tw->cpu_asked, plan.os[tw->index % plan.n]);
    /* sched_getcpu at enter and exit: bound, it cannot be elsewhere */
    ASSERT_EQ_INT(tw->cpu_begin, tw->cpu_asked);
    ASSERT_EQ_INT(tw->cpu_end, tw->cpu_asked);
  }
  /* the harness thread got its mask back: later runs are not pinned */
  ASSERT_OK(sched_getaffinity(0, sizeof after, &after));
  ASSERT(CPU_EQUAL(&before, &after));
  gnx_run_result_free(&res);
  gnx_pin_plan_free(&plan);
}

GNX_TEST(pinned_threads_run_where_asked) { check_pinned("threads"); }
GNX_TEST(pinned_processes_run_where_asked) { check_pinned("procpool"); }
GNX_TEST(pinned_serial_restores_main_thread) { check_pinned("serial"); }
GNX_TEST(pinned_subproc_threads_run_where_asked) { check_pinned("subproc"); }
GNX_TEST(pinned_async_pool_threads_run_where_asked) { check_pinned("async"); }

GNX_TEST(pin_none_leaves_rest_unchanged) {
  struct gnx_pin_plan plan;
  struct gnx_run_result res;
  ASSERT_OK(run_pinned("threads", GNX_PIN_NONE, &plan, &res));
  for (uint32_t w = 0; w < res.trace.n_workers; w++) {
    ASSERT_EQ_INT(res.trace.workers[w]->cpu_asked, -1);
    ASSERT_EQ_INT(res.trace.workers[w]->bind_err, 0);
  }
  gnx_run_result_free(&res);
}

/* Unpinned, worker i starts on the (i mod n)-th CPU it may use
 * (gnx_pin_worker_spread: workers woken together otherwise queue on one
 * CPU), and nobody keeps a narrowed mask: the harness thread has its own
 * back. */
static void check_spread(const char *eng) {
  cpu_set_t before, after;
  ASSERT_OK(sched_getaffinity(0, sizeof before, &before));
  int n = CPU_COUNT(&before), cpus[CPU_SETSIZE], k = 0;
  if (n < 2) {
    GNX_SKIP("one CPU allowed: nothing to spread over");
  }
  for (int c = 0; c < CPU_SETSIZE; c++) {
    if (CPU_ISSET(c, &before)) {
      cpus[k++] = c;
    }
  }
  struct gnx_pin_plan plan;
  struct gnx_run_result res;
  ASSERT_OK(run_pinned(eng, GNX_PIN_NONE, &plan, &res));
  for (uint32_t w = 0; w < res.trace.n_workers; w++) {
    const struct gnx_trace_worker *tw = res.trace.workers[w];
    if (tw->index < 0) {
      continue;
    }
    printf("%s %s (worker %d): began on %d\n", eng, tw->name, tw->index, tw->cpu_begin);
    ASSERT_EQ_INT(tw->cpu_begin, cpus[tw->index % n]);
  }
  ASSERT_OK(sched_getaffinity(0, sizeof after, &after));
  ASSERT(CPU_EQUAL(&before, &after));
  gnx_run_result_free(&res);
  gnx_pin_plan_free(&plan);
}

GNX_TEST(unpinned_threads_start_on_cpus_of_their_own) { check_spread("threads"); }
GNX_TEST(unpinned_processes_start_on_cpus_of_their_own) { check_spread("procpool"); }
GNX_TEST(unpinned_async_pool_threads_start_on_cpus_of_their_own) { check_spread("async"); }
