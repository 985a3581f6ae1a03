/* SPDX-License-Identifier: MIT */
/* Tests of the procpool engine (engines/procpool.c): the same summaries as
 * serial over both transports, bad options, workers that die (abort,
 * SIGKILL) or fail, stopping, and never a child left behind. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/registry.h"
#include "tests/support.h"
#include "tests/test.h"

static void pp_need_etl(void) {
  if (!gnx_workload_find("etl")) {
    GNX_SKIP("the etl workload is not built yet");
  }
}

/* Every child was reaped: the test process has none left. */
static void pp_assert_no_children(void) {
  errno = 0;
  pid_t p = waitpid(-1, NULL, WNOHANG);
  if (p != -1 || errno != ECHILD) {
    GNX__FAIL("a child is left: waitpid(-1) = %d, errno %d", (int)p, errno);
  }
}

/* Run wl at size n under serial and procpool with the same options; the
 * summaries must be equal and the check hook must agree. */
static void pp_same_as_serial(const char *wl, uint64_t n, const char *const *opts,
                              unsigned workers) {
  struct gnx_test_out ref, out;
  int rc = gnx_test_run(wl, "serial", n, opts, &ref);
  if (rc != 0) {
    GNX__FAIL("serial %s n=%llu: %s: %s", wl, (unsigned long long)n, gnx_strerror(rc), ref.errmsg);
  }
  rc = gnx_test_run(wl, "procpool", n, opts, &out);
  if (rc != 0) {
    GNX__FAIL("procpool %s n=%llu %s: %s: %s", wl, (unsigned long long)n, opts[1],
              gnx_strerror(rc), out.errmsg);
  }
  if (!gnx_test_json_equal(ref.summary, out.summary)) {
    char *a = json_dumps(ref.summary, JSON_SORT_KEYS), *b = json_dumps(out.summary, JSON_SORT_KEYS);
    GNX__FAIL("%s n=%llu: procpool %s != serial %s", wl, (unsigned long long)n, b, a);
  }
  ASSERT_EQ_INT(out.check_rc, 0);
  ASSERT_EQ_U64(out.n_workers, workers + 1); /* the sink and the worker processes */
  gnx_test_out_free(&ref);
  gnx_test_out_free(&out);
  pp_assert_no_children();
}

/* Sizes: 1, below one batch, not a multiple of the batch, many items; for
 * each worker count and both transports. `extra` is one more option. */
static void pp_sizes(const char *wl, const char *batch, const char *work, const uint64_t *sizes,
                     size_t n_sizes, const char *extra) {
  const char *transports[] = {"transport=shm", "transport=pipe"};
  const unsigned workers[] = {1, 2, 4};
  for (size_t t = 0; t < 2; t++) {
    for (size_t w = 0; w < 3; w++) {
      char wopt[32];
      snprintf(wopt, sizeof wopt, "workers=%u", workers[w]);
      const char *opts[] = {batch, transports[t], wopt, work, extra, NULL};
      for (size_t i = 0; i < n_sizes; i++) {
        pp_same_as_serial(wl, sizes[i], opts, workers[w]);
      }
    }
  }
}

GNX_TEST(procpool_null_equals_serial) {
  const uint64_t sizes[] = {1, 7, 1005, 20000};
  pp_sizes("null", "batch=10", "cost=s1=0", sizes, 4, NULL);
}

GNX_TEST(procpool_etl_equals_serial) {
  pp_need_etl();
  const uint64_t sizes[] = {1, 999, 2500, 10001};
  pp_sizes("etl", "batch=1000", "work=64", sizes, 4, NULL);
}

/* Few slots and credits: workers wait for the sink, in both transports. */
GNX_TEST(procpool_small_ring_equals_serial) {
  const uint64_t sizes[] = {1005, 5000};
  pp_sizes("null", "batch=10", "cost=s2=20", sizes, 2, "ring-slots=1");
  if (gnx_workload_find("etl")) {
    const uint64_t esizes[] = {2500};
    pp_sizes("etl", "batch=100", "work=64", esizes, 1, "ring-slots=2");
  }
}

GNX_TEST(procpool_pipe_equals_shm) {
  const char *wl = gnx_workload_find("etl") ? "etl" : "null";
  const char *shm[] = {"work=64", "transport=shm", "workers=2", "batch=100", NULL};
  const char *pipe[] = {"work=64", "transport=pipe", "workers=2", "batch=100", NULL};
  struct gnx_test_out a, b;
  ASSERT_OK(gnx_test_run(wl, "procpool", 12345, shm, &a));
  ASSERT_OK(gnx_test_run(wl, "procpool", 12345, pipe, &b));
  ASSERT(gnx_test_json_equal(a.summary, b.summary));
  gnx_test_out_free(&a);
  gnx_test_out_free(&b);
  pp_assert_no_children();
}

GNX_TEST(procpool_bad_transport_is_usage_error) {
  const char *opts[] = {"transport=carrier-pigeon", NULL};
  struct gnx_test_out out;
  ASSERT_EQ_INT(gnx_test_run("null", "procpool", 10, opts, &out), GNX_EUSAGE);
  ASSERT(strstr(out.errmsg, "carrier-pigeon") != NULL);
  ASSERT(strstr(out.errmsg, "shm") != NULL);
  ASSERT(strstr(out.errmsg, "pipe") != NULL);
  gnx_test_out_free(&out);
  pp_assert_no_children();
}

/* An item larger than a slot fails the run with GNX_ETOOBIG, naming the fix. */
GNX_TEST(procpool_item_too_big_for_slot) {
  const char *opts[] = {"batch=10", "slot-bytes=4", "workers=2", NULL};
  struct gnx_test_out out;
  ASSERT_EQ_INT(gnx_test_run("null", "procpool", 100, opts, &out), GNX_ETOOBIG);
  ASSERT(strstr(out.errmsg, "slot-bytes") != NULL);
  gnx_test_out_free(&out);
  pp_assert_no_children();
}

/* Worker `worker` dies by `sig` at `item`: the run fails with GNX_EWORKER
 * and says who died, how and where; no child is left. Returns 0 when the
 * fault did not fire (another worker took that item) and the run passed. */
static int pp_fault_run(const char *transport, unsigned workers, int worker, uint64_t item,
                        int sig) {
  struct gnx_fault f = {1, worker, item, sig};
  char wopt[32];
  snprintf(wopt, sizeof wopt, "workers=%u", workers);
  const char *opts[] = {"batch=10", "cost=s1=100", transport, wopt, NULL};
  struct gnx_test_out out;
  int rc = gnx_test_run_fault("null", "procpool", 1000, opts, &f, &out);
  pp_assert_no_children();
  if (rc == 0) {
    gnx_test_out_free(&out);
    return 0;
  }
  if (rc != GNX_EWORKER) {
    GNX__FAIL("%s: expected GNX_EWORKER, got %s: %s", transport, gnx_err_name(rc), out.errmsg);
  }
  char want[64];
  snprintf(want, sizeof want, "worker procpool.w%d (pid ", worker);
  if (!strstr(out.errmsg, want) || !strstr(out.errmsg, sig == SIGKILL ? "SIGKILL" : "SIGABRT")) {
    GNX__FAIL("%s: message does not name the worker and signal: %s", transport, out.errmsg);
  }
  /* The fault fires at the first item >= `item` that worker runs. */
  const char *at = strstr(out.errmsg, "at item ");
  if (!at || strtoull(at + 8, NULL, 10) < item) {
    GNX__FAIL("%s: message does not name an item >= %llu: %s", transport,
              (unsigned long long)item, out.errmsg);
  }
  ASSERT(out.summary == NULL);
  gnx_test_out_free(&out);
  return 1;
}

/* One worker: it must take every item, so the fault always fires. */
GNX_TEST(procpool_worker_abort_fails_run) {
  ASSERT_EQ_INT(pp_fault_run("transport=shm", 1, 1, 5, SIGABRT), 1);
  ASSERT_EQ_INT(pp_fault_run("transport=pipe", 1, 1, 5, SIGABRT), 1);
}

GNX_TEST(procpool_worker_kill_fails_run) {
  ASSERT_EQ_INT(pp_fault_run("transport=shm", 1, 1, 7, SIGKILL), 1);
  ASSERT_EQ_INT(pp_fault_run("transport=pipe", 1, 1, 7, SIGKILL), 1);
}

/* Several workers: who takes item 5 is up to the scheduler, so repeat until
 * worker 2 did; every other run must have passed. The survivors are
 * SIGKILLed and reaped. */
GNX_TEST(procpool_worker_dies_among_many) {
  const char *transports[] = {"transport=shm", "transport=pipe"};
  for (int t = 0; t < 2; t++) {
    int fired = 0;
    for (int rep = 0; rep < 40 && !fired; rep++) {
      fired = pp_fault_run(transports[t], 3, 2, 5, rep % 2 ? SIGKILL : SIGABRT);
    }
    if (!fired) {
      GNX__FAIL("%s: worker 2 never took item 5 in 40 runs", transports[t]);
    }
  }
}

/* ---- stop ------------------------------------------------------------------ */

static volatile sig_atomic_t pp_stop_flag;
static void pp_on_usr1(int sig) {
  (void)sig;
  pp_stop_flag = 1;
}

struct pp_killer {
  pthread_t target;
  unsigned delay_ms;
};

/* Signal the engine's thread after a delay, as a terminal's ^C would: the
 * handler runs on that thread, so the flag is written where it is read. */
static void *pp_killer_main(void *arg) {
  struct pp_killer *k = arg;
  struct timespec ts = {0, (long)k->delay_ms * 1000000};
  nanosleep(&ts, NULL);
  pthread_kill(k->target, SIGUSR1);
  return NULL;
}

static void pp_stop_case(const char *transport) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = pp_on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  pp_stop_flag = 0;
  /* 100k items of 200 us each: 10 s on 2 workers if it did not stop. */
  const char *opts[] = {"cost=s2=200", "workers=2", transport, NULL};
  struct pp_killer k = {pthread_self(), 150};
  pthread_t t;
  ASSERT_OK(pthread_create(&t, NULL, pp_killer_main, &k));
  struct gnx_test_out out;
  uint64_t t0 = gnx_now_ns();
  int rc = gnx_test_run_stop("null", "procpool", 100000, opts, NULL, &pp_stop_flag, &out);
  double took = (gnx_now_ns() - t0) / 1e9;
  pthread_join(t, NULL);
  if (rc != GNX_ESTOPPED) {
    GNX__FAIL("%s: expected GNX_ESTOPPED, got %s: %s", transport, gnx_err_name(rc), out.errmsg);
  }
  ASSERT(out.summary == NULL);
  ASSERT(took < 5.0);
  gnx_test_out_free(&out);
  pp_assert_no_children();
}

GNX_TEST(procpool_stop_returns_eintr) {
  pp_stop_case("transport=shm");
  pp_stop_case("transport=pipe");
}
