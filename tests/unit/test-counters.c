/* SPDX-License-Identifier: MIT */
/* Counters: sources and reasons on this machine, per-worker attribution
 * (threads and forked processes), process-tree counts per run, SDEs, and
 * --counters off leaving the results unchanged. */
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef GNX_HAVE_PAPI
#include <papi.h>
#endif

#include "core/counters.h"
#include "harness/registry.h"
#include "harness/runner.h"
#include "tests/test.h"

static volatile sig_atomic_t never;

/* Run `eng` on etl at size n under counter setup c (NULL: off). */
static int run_engine(const char *eng, uint64_t n, const struct gnx_counters *c,
                      struct gnx_run_result *res) {
  const struct gnx_workload *wl = gnx_workload_find("etl");
  const struct gnx_engine *e = gnx_engine_find(eng);
  ASSERT(wl && e);
  struct gnx_params wp, ep;
  ASSERT_OK(gnx_params_build(wl->options, n, NULL, 0, &wp));
  ASSERT_OK(gnx_params_build(e->options, n, NULL, 0, &ep));
  void *shared = NULL;
  struct gnx_workload_info info = {0};
  char why[GNX_WHY_MAX] = "";
  ASSERT_OK(wl->setup(&wp, &shared, &info, why));
  struct gnx_fault none = {0};
  gnx_runner_set_probe(c, NULL);
  int rc = gnx_runner_exec(e, &ep, wl, shared, &info, &none, &never, gnx_cpus_allowed(), res);
  gnx_runner_set_probe(NULL, NULL);
  wl->teardown(shared);
  gnx_params_free(&wp);
  gnx_params_free(&ep);
  return rc;
}

GNX_TEST(sources_or_reasons) {
  struct gnx_counters c;
  char why[256];
  ASSERT_OK(gnx_counters_init(&c, GNX_CTR_AUTO, NULL, why, sizeof why));
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    /* every counter has a source, or says why not */
    ASSERT(c.sw_src[i] != GNX_SRC_NONE || c.sw_reason[i][0]);
    printf("%s: %s %s\n", gnx_sw_ctr_name(i), gnx_ctr_source_name(c.sw_src[i]), c.sw_reason[i]);
  }
  ASSERT(c.sw_src[GNX_SW_TASK_CLOCK] != GNX_SRC_NONE);
  ASSERT(c.sw_src[GNX_SW_CS] != GNX_SRC_NONE);
  ASSERT(c.sw_src[GNX_SW_FAULTS] != GNX_SRC_NONE);
  if (geteuid() == 0) { /* as root perf_event gives all four (platform notes, section 2) */
    for (int i = 0; i < GNX_SW__COUNT; i++) {
      ASSERT_EQ_INT(c.sw_src[i], GNX_SRC_PERF);
    }
  }
  ASSERT_EQ_INT(c.n_events, 5);
  for (int i = 0; i < c.n_events; i++) {
    ASSERT(c.ev_ok[i] || c.ev_reason[i][0]);
    printf("%s: %s %s\n", c.events[i], c.ev_ok[i] ? "papi" : "n/a", c.ev_reason[i]);
  }
}

GNX_TEST(papi_absence_has_reason) {
  struct gnx_counters c;
  char why[256];
  ASSERT_OK(gnx_counters_init(&c, GNX_CTR_AUTO, "PAPI_TOT_CYC,PAPI_TOT_INS", why, sizeof why));
#ifdef GNX_HAVE_PAPI
  if (PAPI_query_event(PAPI_TOT_CYC) == PAPI_OK) {
    GNX_SKIP("this machine has a PMU: PAPI_TOT_CYC exists");
  }
  ASSERT(!c.ev_ok[0]);
  ASSERT(strstr(c.ev_reason[0], "PAPI"));
  /* the component's own reason, not just "Event does not exist" */
  ASSERT(strstr(c.ev_reason[0], "component") || strstr(c.ev_reason[0], "PAPI_library_init"));
  ASSERT(!c.papi_ok);
#else
  ASSERT(!c.ev_ok[0]);
  ASSERT(strstr(c.ev_reason[0], "built without PAPI"));
#endif
  ASSERT_EQ_INT(gnx_counters_init(&c, GNX_CTR_AUTO, "", why, sizeof why), GNX_EUSAGE);
}

/* ---- per-worker attribution with the real worker body ---- */

struct fixture {
  struct gnx_trace trace;
  struct gnx_run run;
  struct gnx_worker w[2];
  struct gnx_workload_info info;
};

static void fixture_init(struct fixture *f, const struct gnx_counters *c) {
  memset(f, 0, sizeof *f);
  ASSERT_OK(gnx_trace_init(&f->trace, 4, 16));
  f->run.wl = gnx_workload_find("null");
  ASSERT(f->run.wl);
  f->run.info = &f->info;
  f->run.trace = &f->trace;
  f->run.stop = &never;
  f->run.main_pid = getpid();
  f->run.counters = c;
  ASSERT_OK(gnx_worker_init(&f->w[0], &f->run, 0, "burner", 0, 0));
  ASSERT_OK(gnx_worker_init(&f->w[1], &f->run, 1, "sleeper", 0, 0));
}

static void burn_ms(int ms) {
  struct timespec t0, t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  volatile uint64_t x = 0;
  do {
    for (int i = 0; i < 10000; i++) {
      x += (uint64_t)i * 7;
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  } while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

static void *burner(void *a) {
  struct gnx_worker *w = a;
  ASSERT_OK(gnx_worker_enter(w));
  burn_ms(60);
  gnx_worker_exit(w);
  return NULL;
}

static void *sleeper(void *a) {
  struct gnx_worker *w = a;
  ASSERT_OK(gnx_worker_enter(w));
  struct timespec ts = {0, 60000000};
  nanosleep(&ts, NULL);
  gnx_worker_exit(w);
  return NULL;
}

static void check_attribution(struct fixture *f, int slot) {
  int64_t b = f->trace.workers[0]->wctr[slot], s = f->trace.workers[1]->wctr[slot];
  printf("slot %d: burner %lld ns, sleeper %lld ns\n", slot, (long long)b, (long long)s);
  ASSERT(b >= 50000000);  /* its own 60 ms of CPU */
  ASSERT(s >= 0 && s < 20000000); /* not the burner's */
}

/* Worker 0 burns CPU on one thread while worker 1 sleeps on another. */
static void run_burner_and_sleeper(struct fixture *f) {
  pthread_t t0, t1;
  ASSERT_OK(pthread_create(&t0, NULL, burner, &f->w[0]));
  ASSERT_OK(pthread_create(&t1, NULL, sleeper, &f->w[1]));
  pthread_join(t0, NULL);
  pthread_join(t1, NULL);
}

GNX_TEST(per_thread_counter_attributed) {
  struct gnx_counters c;
  char why[256];
  ASSERT_OK(gnx_counters_init(&c, GNX_CTR_AUTO, NULL, why, sizeof why));
  struct fixture f;
  fixture_init(&f, &c);
  run_burner_and_sleeper(&f);
  check_attribution(&f, GNX_SW_TASK_CLOCK);
  ASSERT(f.trace.workers[1]->wctr[GNX_SW_CS] >= 1); /* the sleep switched out */
  gnx_trace_free(&f.trace);
}

GNX_TEST(forked_worker_counters_reach_parent) {
  struct gnx_counters c;
  char why[256];
  ASSERT_OK(gnx_counters_init(&c, GNX_CTR_AUTO, NULL, why, sizeof why));
  struct fixture f;
  fixture_init(&f, &c);
  pid_t p[2];
  for (int i = 0; i < 2; i++) {
    p[i] = fork();
    ASSERT(p[i] >= 0);
    if (p[i] == 0) {
      (i == 0 ? burner : sleeper)(&f.w[i]);
      _exit(0);
    }
  }
  for (int i = 0; i < 2; i++) {
    int st;
    ASSERT(waitpid(p[i], &st, 0) == p[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  check_attribution(&f, GNX_SW_TASK_CLOCK);
  ASSERT(f.trace.workers[0]->pid == p[0]);
  gnx_trace_free(&f.trace);
}

GNX_TEST(papi_per_worker_when_available) {
  struct gnx_counters c;
  char why[256];
  /* perf::TASK-CLOCK is a PAPI native event wherever PAPI's perf_event
   * component is enabled, PMU or not: it exercises the PAPI path here. */
  ASSERT_OK(gnx_counters_init(&c, GNX_CTR_AUTO, "perf::TASK-CLOCK", why, sizeof why));
  if (!c.ev_ok[0]) {
    printf("reason: %s\n", c.ev_reason[0]);
    ASSERT(c.ev_reason[0][0]);
    GNX_SKIP("PAPI cannot count perf::TASK-CLOCK here (reason above)");
  }
  struct fixture f;
  fixture_init(&f, &c);
  run_burner_and_sleeper(&f);
  check_attribution(&f, GNX_SW__COUNT + 0);
  gnx_trace_free(&f.trace);
}

GNX_TEST(run_counts_process_tree) {
  struct gnx_counters c;
  char why[256];
  ASSERT_OK(gnx_counters_init(&c, GNX_CTR_AUTO, NULL, why, sizeof why));
  struct gnx_run_result res;
  ASSERT_OK(run_engine("procpool", 3000, &c, &res));
  ASSERT(res.counters_on);
  int64_t workers = 0;
  for (uint32_t w = 0; w < res.trace.n_workers; w++) {
    int64_t v = res.trace.workers[w]->wctr[GNX_SW_TASK_CLOCK];
    ASSERT(v >= 0);
    workers += v;
  }
  printf("run task-clock %lld ns (%s), workers' sum %lld ns\n", (long long)res.sw[0],
         gnx_ctr_source_name(res.sw_src[0]), (long long)workers);
  ASSERT(res.sw[GNX_SW_TASK_CLOCK] > 0);
  ASSERT(res.sw_src[GNX_SW_TASK_CLOCK] == c.sw_src[GNX_SW_TASK_CLOCK]);
  /* the forked workers' CPU is in the run's count (inherited), so it
   * covers at least the workers' own counts */
  ASSERT(res.sw[GNX_SW_TASK_CLOCK] >= workers * 9 / 10);
  gnx_run_result_free(&res);
}

GNX_TEST(counters_off_leaves_rest_unchanged) {
  struct gnx_counters on, off;
  char why[256];
  ASSERT_OK(gnx_counters_init(&on, GNX_CTR_AUTO, NULL, why, sizeof why));
  ASSERT_OK(gnx_counters_init(&off, GNX_CTR_OFF, NULL, why, sizeof why));
  struct gnx_run_result a, b;
  ASSERT_OK(run_engine("threads", 2000, &on, &a));
  ASSERT_OK(run_engine("threads", 2000, &off, &b));
  ASSERT(a.counters_on && !b.counters_on);
  ASSERT(json_equal(a.summary, b.summary));
  ASSERT_EQ_INT(a.trace.n_workers, b.trace.n_workers);
  for (uint32_t w = 0; w < b.trace.n_workers; w++) {
    for (int i = 0; i < GNX_TRACE_WCTR_MAX; i++) {
      ASSERT_EQ_INT(b.trace.workers[w]->wctr[i], -1);
    }
  }
  gnx_run_result_free(&a);
  gnx_run_result_free(&b);
}

GNX_TEST(sde_counters_readable) {
#ifndef GNX_HAVE_PAPI
  ASSERT(!gnx_sde_available());
  GNX_SKIP("built without PAPI: no SDEs");
#else
  ASSERT(gnx_sde_available());
  struct gnx_trace t;
  ASSERT_OK(gnx_trace_init(&t, 2, 16));
  struct gnx_trace_worker *w = gnx_trace_worker_add(&t, "w", -1);
  gnx_span_add(w, 100, 300, 0, 0, GNX_SPAN_EXEC); /* stage 0 */
  gnx_span_add(w, 300, 350, 0, 1, GNX_SPAN_EXEC); /* sink of a 1-stage workload */
  gnx_span_add(w, 350, 360, 1, 1, GNX_SPAN_WAIT_IN);
  gnx_span_add(w, 360, 400, 1, 1, GNX_SPAN_EXEC);
  gnx_sde_add_trace(&t, 0 + 1); /* registers the counters */
  int v = PAPI_library_init(PAPI_VER_CURRENT);
  ASSERT(v == PAPI_VER_CURRENT || v == PAPI_EINVAL /* already initialised */ || v > 0);
  int es = PAPI_NULL;
  ASSERT_EQ_INT(PAPI_create_eventset(&es), PAPI_OK);
  ASSERT_EQ_INT(PAPI_add_named_event(es, "sde:::GNXBENCH::ITEMS"), PAPI_OK);
  ASSERT_EQ_INT(PAPI_add_named_event(es, "sde:::GNXBENCH::EXEC_NS"), PAPI_OK);
  ASSERT_EQ_INT(PAPI_add_named_event(es, "sde:::GNXBENCH::WAIT_NS"), PAPI_OK);
  ASSERT_EQ_INT(PAPI_add_named_event(es, "sde:::GNXBENCH::STAGE1::ITEMS"), PAPI_OK);
  ASSERT_EQ_INT(PAPI_start(es), PAPI_OK);
  gnx_sde_add_trace(&t, 1); /* DELTA: only what happens after start counts */
  long long vals[4] = {0};
  ASSERT_EQ_INT(PAPI_read(es, vals), PAPI_OK);
  printf("ITEMS=%lld EXEC_NS=%lld WAIT_NS=%lld STAGE1::ITEMS=%lld\n", vals[0], vals[1], vals[2],
         vals[3]);
  ASSERT_EQ_INT(vals[0], 2);   /* two sink spans */
  ASSERT_EQ_INT(vals[1], 290); /* 200 + 50 + 40 */
  ASSERT_EQ_INT(vals[2], 10);
  ASSERT_EQ_INT(vals[3], 2);
  PAPI_stop(es, vals);
  gnx_trace_free(&t);
#endif
}

/* A forked worker makes, before its start gate, the buffers its process
 * mapped in the engine's previous run of the same cell: procpool's workers
 * record the sizes (the trace's buf_maps), and in the next run their items
 * take a fraction of the page faults (core/bufcache.h). ETL at 8000
 * records per item: 0.8 MB items, in mapped buffers. */
GNX_TEST(forked_workers_make_last_runs_buffers_before_they_start) {
#if defined(__SANITIZE_ADDRESS__)
  GNX_SKIP("large buffers are malloc's in this build (AddressSanitizer)");
#endif
  struct gnx_counters c;
  char why[256];
  ASSERT_OK(gnx_counters_init(&c, GNX_CTR_AUTO, NULL, why, sizeof why));
  if (c.sw_src[GNX_SW_FAULTS] == GNX_SRC_NONE) {
    GNX_SKIP("no page-fault counter here");
  }
  const struct gnx_workload *wl = gnx_workload_find("etl");
  const struct gnx_engine *e = gnx_engine_find("procpool");
  struct gnx_kv kv[] = {{"batch", "8000"}, {"workers", "2"}};
  struct gnx_params wp, ep;
  ASSERT_OK(gnx_params_build(wl->options, 64000, kv, 1, &wp));
  ASSERT_OK(gnx_params_build(e->options, 64000, kv + 1, 1, &ep));
  void *shared = NULL;
  struct gnx_workload_info info = {0};
  char swhy[GNX_WHY_MAX] = "";
  ASSERT_OK(wl->setup(&wp, &shared, &info, swhy));
  struct gnx_fault none = {0};
  int64_t faults[2] = {0, 0};
  uint64_t mapped = 0;
  gnx_runner_set_probe(&c, NULL);
  for (int r = 0; r < 2; r++) {
    struct gnx_run_result res;
    ASSERT_OK(gnx_runner_exec(e, &ep, wl, shared, &info, &none, &never, gnx_cpus_allowed(), &res));
    for (uint32_t w = 0; w < res.trace.n_workers; w++) {
      const struct gnx_trace_worker *tw = res.trace.workers[w];
      if (strncmp(tw->name, "procpool.w", 10) == 0) {
        faults[r] += tw->wctr[GNX_SW_FAULTS];
        mapped += r == 0 ? tw->buf_maps[0] : 0;
        printf("run %d %s: %lld page faults, largest buffer mapped %llu bytes\n", r + 1, tw->name,
               (long long)tw->wctr[GNX_SW_FAULTS], (unsigned long long)tw->buf_maps[0]);
      }
    }
    gnx_run_result_free(&res);
  }
  gnx_runner_set_probe(NULL, NULL);
  wl->teardown(shared);
  gnx_params_free(&wp);
  gnx_params_free(&ep);
  ASSERT(mapped > 0);
  ASSERT(faults[0] > 200);
  ASSERT(faults[1] * 2 < faults[0]);
}
