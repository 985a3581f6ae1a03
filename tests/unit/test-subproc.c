/* SPDX-License-Identifier: MIT */
/* Tests of the shared-memory ring (engines/common/ring.c) across fork, and
 * of the subproc engine: same results as serial, crash and stop handling. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engines/common/ring.h"
#include "harness/registry.h"
#include "tests/support.h"
#include "tests/test.h"

/* ---- helpers ------------------------------------------------------------ */

/* The bytes of item i: (i % 200) + 1 bytes, each (i + j) & 0xff. */
static void ring_item_fill(struct gnx_buf *b, uint64_t i) {
  gnx_buf_clear(b);
  size_t n = (size_t)(i % 200) + 1;
  uint8_t *p = gnx_buf_extend(b, n);
  ASSERT(p != NULL);
  for (size_t j = 0; j < n; j++) {
    p[j] = (uint8_t)(i + j);
  }
}

static int ring_item_ok(const uint8_t *p, size_t len, uint64_t i) {
  if (len != (size_t)(i % 200) + 1) {
    return 0;
  }
  for (size_t j = 0; j < len; j++) {
    if (p[j] != (uint8_t)(i + j)) {
      return 0;
    }
  }
  return 1;
}

struct ring_poll_ctx {
  pid_t pids[8];
  int n;
  int calls;
  int give_up_after; /* 0: never */
};

/* Gives up (returns 99) when any child has died abnormally. */
static int ring_poll_children(void *arg) {
  struct ring_poll_ctx *c = arg;
  c->calls++;
  for (int k = 0; k < c->n; k++) {
    int st;
    if (c->pids[k] > 0 && waitpid(c->pids[k], &st, WNOHANG) == c->pids[k]) {
      c->pids[k] = -1;
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        return 99;
      }
    }
  }
  return c->give_up_after && c->calls >= c->give_up_after ? 42 : 0;
}

static void ring_reap_all(struct ring_poll_ctx *c, int *bad) {
  for (int k = 0; k < c->n; k++) {
    int st;
    if (c->pids[k] > 0) {
      ASSERT(waitpid(c->pids[k], &st, 0) == c->pids[k]);
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        (*bad)++;
      }
    }
  }
}

static void no_children_left(void) {
  errno = 0;
  ASSERT_EQ_INT(waitpid(-1, NULL, WNOHANG), -1);
  ASSERT_EQ_INT(errno, ECHILD);
}

/* ---- ring --------------------------------------------------------------- */

/* Several forked producers claim items from the shared counter and publish
 * them out of order into few slots (so items i and i + slots often wait for
 * the same slot at once); the parent must read every item in order. */
GNX_TEST(ring_fork_many_producers_in_order) {
  const uint64_t n = 3000;
  const int producers = 3;
  struct gnx_ring *r;
  ASSERT_OK(gnx_ring_new(&r, 4, 256));
  ASSERT_EQ_U64(gnx_ring_slot_bytes(r), 256);
  struct ring_poll_ctx pc = {.n = producers};
  fflush(stdout);
  fflush(stderr);
  for (int k = 0; k < producers; k++) {
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
      struct gnx_buf b = GNX_BUF_INIT;
      if (gnx_ring_gate_arrive_and_wait(r, NULL, NULL) != 0) {
        _exit(3);
      }
      for (uint64_t i = gnx_ring_claim(r); i < n; i = gnx_ring_claim(r)) {
        ring_item_fill(&b, i);
        if (k == 0 && i % 7 == 0) {
          usleep(50); /* make claim order and publish order differ */
        }
        if (gnx_ring_put(r, i, &b, NULL, 0, NULL, NULL) != 0) {
          _exit(4);
        }
      }
      _exit(0);
    }
    pc.pids[k] = pid;
  }
  ASSERT_OK(gnx_ring_gate_open(r, (unsigned)producers, NULL, ring_poll_children, &pc));
  for (uint64_t i = 0; i < n; i++) {
    const uint8_t *p;
    size_t len;
    ASSERT_OK(gnx_ring_get(r, i, &p, &len, NULL, 0, ring_poll_children, &pc));
    if (!ring_item_ok(p, len, i)) {
      GNX__FAIL("item %" PRIu64 ": wrong bytes (len %zu)", i, len);
    }
    gnx_ring_release(r, i);
  }
  int bad = 0;
  ring_reap_all(&pc, &bad);
  ASSERT_EQ_INT(bad, 0);
  ASSERT(gnx_ring_claim(r) >= n + (uint64_t)producers);
  gnx_ring_free(r);
  no_children_left();
}

/* A slow consumer: producers block on full slots, and the wait_out / wait_in
 * spans land in the shared trace, visible to the parent. */
GNX_TEST(ring_waits_are_traced_across_fork) {
  struct gnx_trace t;
  ASSERT_OK(gnx_trace_init(&t, 4, 4096));
  struct gnx_run run = {.trace = &t};
  struct gnx_worker sink, prod;
  ASSERT_OK(gnx_worker_init(&sink, &run, 0, "sink", 5, 5));
  ASSERT_OK(gnx_worker_init(&prod, &run, 1, "prod", 4, 4));
  struct gnx_ring *r;
  ASSERT_OK(gnx_ring_new(&r, 2, 64));
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  ASSERT(pid >= 0);
  if (pid == 0) {
    struct gnx_buf b = GNX_BUF_INIT;
    if (gnx_ring_gate_arrive_and_wait(r, NULL, NULL) != 0) {
      _exit(3);
    }
    for (uint64_t i = 0; i < 40; i++) {
      ring_item_fill(&b, i);
      if (i >= 20) {
        usleep(2000); /* now the parent waits for us */
      }
      if (gnx_ring_put(r, i, &b, &prod, 4, NULL, NULL) != 0) {
        _exit(4);
      }
    }
    _exit(0);
  }
  struct ring_poll_ctx pc = {.n = 1, .pids = {pid}};
  ASSERT_OK(gnx_ring_gate_open(r, 1, NULL, ring_poll_children, &pc));
  for (uint64_t i = 0; i < 40; i++) {
    const uint8_t *p;
    size_t len;
    if (i < 20) {
      usleep(1000); /* the producer fills both slots and waits */
    }
    ASSERT_OK(gnx_ring_get(r, i, &p, &len, &sink, 5, ring_poll_children, &pc));
    ASSERT(ring_item_ok(p, len, i));
    gnx_ring_release(r, i);
  }
  int bad = 0;
  ring_reap_all(&pc, &bad);
  ASSERT_EQ_INT(bad, 0);
  unsigned outs = 0, copies = 0, ins = 0, long_ins = 0;
  for (uint32_t k = 0; k < prod.tw->len; k++) {
    const struct gnx_span *s = &prod.tw->spans[k];
    ASSERT(s->kind == GNX_SPAN_WAIT_OUT || s->kind == GNX_SPAN_COPY);
    ASSERT_EQ_INT(s->stage, 4);
    ASSERT(s->t1 >= s->t0);
    outs += s->kind == GNX_SPAN_WAIT_OUT;
    copies += s->kind == GNX_SPAN_COPY;
  }
  for (uint32_t k = 0; k < sink.tw->len; k++) {
    const struct gnx_span *s = &sink.tw->spans[k];
    ASSERT_EQ_INT(s->kind, GNX_SPAN_WAIT_IN);
    ASSERT_EQ_INT(s->stage, 5);
    ins++;
    long_ins += s->t1 - s->t0 > 500000; /* the producer's 2 ms sleeps */
  }
  ASSERT(outs >= 10);     /* items 2..19 found their slot busy */
  ASSERT_EQ_INT(copies, 40); /* every put copies and publishes */
  ASSERT_EQ_INT(ins, 40);    /* every get is the sink's wait for its item */
  ASSERT(long_ins >= 10); /* items 20..39 were not there yet */
  gnx_ring_free(r);
  gnx_trace_free(&t);
  no_children_left();
}

GNX_TEST(ring_rejects_oversized_items) {
  struct gnx_ring *r;
  ASSERT_EQ_INT(gnx_ring_new(&r, 0, 16), -EINVAL);
  ASSERT_EQ_INT(gnx_ring_new(&r, 2, 0), -EINVAL);
  ASSERT_OK(gnx_ring_new(&r, 2, 16));
  struct gnx_buf b = GNX_BUF_INIT;
  ring_item_fill(&b, 16); /* 17 bytes */
  ASSERT_EQ_INT(gnx_ring_put(r, 0, &b, NULL, 0, NULL, NULL), GNX_ETOOBIG);
  gnx_buf_clear(&b);
  ASSERT_OK(gnx_buf_append(&b, "0123456789abcdef", 16)); /* exactly a slot: fits */
  ASSERT_OK(gnx_ring_put(r, 1, &b, NULL, 0, NULL, NULL));
  const uint8_t *p;
  size_t len;
  ASSERT_OK(gnx_ring_get(r, 1, &p, &len, NULL, 0, NULL, NULL));
  ASSERT_EQ_U64(len, 16);
  ASSERT(memcmp(p, "0123456789abcdef", 16) == 0);
  gnx_ring_release(r, 1);
  gnx_buf_free(&b);
  gnx_ring_free(r);
}

/* A wait that never ends gives up with poll's value: a dead producer, or
 * the caller's own reason (a stop request). */
GNX_TEST(ring_poll_abandons_waits) {
  struct gnx_ring *r;
  ASSERT_OK(gnx_ring_new(&r, 2, 64));
  struct ring_poll_ctx self = {.give_up_after = 3};
  const uint8_t *p;
  size_t len;
  uint64_t t0 = gnx_now_ns();
  ASSERT_EQ_INT(gnx_ring_get(r, 0, &p, &len, NULL, 0, ring_poll_children, &self), 42);
  ASSERT_EQ_INT(self.calls, 3);
  ASSERT(gnx_now_ns() - t0 < 1000000000u);

  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  ASSERT(pid >= 0);
  if (pid == 0) {
    (void)gnx_ring_gate_arrive_and_wait(r, NULL, NULL);
    raise(SIGKILL); /* dies before publishing item 0 */
    _exit(0);
  }
  struct ring_poll_ctx pc = {.n = 1, .pids = {pid}};
  ASSERT_OK(gnx_ring_gate_open(r, 1, NULL, ring_poll_children, &pc));
  ASSERT_EQ_INT(gnx_ring_get(r, 0, &p, &len, NULL, 0, ring_poll_children, &pc), 99);
  ASSERT_EQ_INT(pc.pids[0], -1); /* reaped by the poll */
  gnx_ring_free(r);
  no_children_left();

  /* A gate whose worker never arrives. */
  ASSERT_OK(gnx_ring_new(&r, 2, 64));
  struct ring_poll_ctx never = {.give_up_after = 2};
  ASSERT_EQ_INT(gnx_ring_gate_open(r, 1, NULL, ring_poll_children, &never), 42);
  gnx_ring_free(r);
}

/* ---- the subproc engine ------------------------------------------------- */

static void subproc_same_as_serial(const char *wl, uint64_t n, const char *const *opts) {
  struct gnx_test_out a, b;
  if (gnx_test_run(wl, "serial", n, opts, &a) != 0) {
    GNX__FAIL("%s serial n=%" PRIu64 ": %s", wl, n, a.errmsg);
  }
  if (gnx_test_run(wl, "subproc", n, opts, &b) != 0) {
    GNX__FAIL("%s subproc n=%" PRIu64 " %s: %s", wl, n, opts[0] ? opts[0] : "", b.errmsg);
  }
  if (!gnx_test_json_equal(a.summary, b.summary)) {
    char *ja = json_dumps(a.summary, JSON_SORT_KEYS), *jb = json_dumps(b.summary, JSON_SORT_KEYS);
    GNX__FAIL("%s n=%" PRIu64 " (%s, %s): serial %s != subproc %s", wl, n,
              opts[0] ? opts[0] : "-", opts[1] ? opts[1] : "-", ja, jb);
  }
  ASSERT_EQ_INT(b.check_rc, 0);
  gnx_test_out_free(&a);
  gnx_test_out_free(&b);
  no_children_left();
}

/* Shared anonymous mappings (the ring, the trace) show up in /proc/self/maps
 * as "/dev/zero (deleted)": count them to see that a run unmapped its own. */
static int shared_anon_mappings(void) {
  FILE *f = fopen("/proc/self/maps", "re");
  ASSERT(f != NULL);
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    if (strstr(line, "/dev/zero") || strstr(line, "SYSV")) {
      n++;
    }
  }
  fclose(f);
  return n;
}

/* A killed child must not leave a core file behind in the test directory. */
static void no_core_files(void) {
  struct rlimit rl = {0, 0};
  ASSERT_OK(setrlimit(RLIMIT_CORE, &rl));
}

GNX_TEST(subproc_null_same_as_serial) {
  const uint64_t sizes[] = {1, 7, 1005, 20000};
  const char *const cfgs[][5] = {
      {"batch=10", NULL},
      {"batch=10", "queue-depth=1", "ring-slots=1", NULL},
      {"batch=10", "stage-workers=s1=2", "slot-bytes=8", NULL},
      {"batch=10", "stage-workers=s2=4,gen=2", "queue-depth=1", "ring-slots=2", NULL},
      {"batch=1", "stage-workers=0=4,1=4,2=4,3=4", NULL},
  };
  for (size_t c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++) {
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      subproc_same_as_serial("null", sizes[i], cfgs[c]);
    }
  }
}

GNX_TEST(subproc_etl_same_as_serial) {
  if (!gnx_workload_find("etl")) {
    GNX_SKIP("the etl workload is not built");
  }
  const uint64_t sizes[] = {1, 999, 2500, 20000};
  const char *const cfgs[][5] = {
      {"work=64", NULL},
      {"work=64", "queue-depth=1", "ring-slots=1", NULL},
      {"work=64", "stage-workers=transform=2", NULL},
      {"work=64", "stage-workers=transform=4,parse=2", "queue-depth=1", "ring-slots=2", NULL},
  };
  for (size_t c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++) {
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      subproc_same_as_serial("etl", sizes[i], cfgs[c]);
    }
  }
}

GNX_TEST(subproc_bad_options_are_usage_errors) {
  struct gnx_test_out out;
  const char *opts[] = {"stage-workers=nope=2", NULL};
  ASSERT_EQ_INT(gnx_test_run("null", "subproc", 10, opts, &out), GNX_EUSAGE);
  ASSERT(strstr(out.errmsg, "gen, s1, s2, s3") != NULL);
  gnx_test_out_free(&out);
  no_children_left();
}

/* The trace holds both processes: the sink in the parent, the stages and the
 * ring feeder in one child; the child's peak RSS is reported. */
GNX_TEST(subproc_trace_spans_both_processes) {
  const struct gnx_workload *wl = gnx_workload_find("null");
  const struct gnx_engine *e = gnx_engine_find("subproc");
  struct gnx_kv kv[] = {{"cost", "s2=1000"}, {"stage-workers", "s2=2"}, {"ring-slots", "2"}};
  struct gnx_params wp, ep;
  ASSERT_OK(gnx_params_build(wl->options, 60, kv, 3, &wp));
  ASSERT_OK(gnx_params_build(e->options, 60, kv, 3, &ep));
  void *shared;
  struct gnx_workload_info info;
  char why[GNX_WHY_MAX];
  ASSERT_OK(wl->setup(&wp, &shared, &info, why));
  struct gnx_fault f = {0};
  static volatile sig_atomic_t never;
  struct gnx_run_result res;
  ASSERT_OK(gnx_runner_exec(e, &ep, wl, shared, &info, &f, &never, 2, &res));
  const struct gnx_trace *t = &res.trace;
  ASSERT_EQ_U64(t->n_workers, 7); /* sink, gen.0, s1.0, s2.0, s2.1, s3.0, ring.put */
  ASSERT_EQ_STR(t->workers[0]->name, "sink");
  ASSERT_EQ_INT(t->workers[0]->pid, getpid());
  ASSERT_EQ_STR(t->workers[3]->name, "s2.0");
  ASSERT_EQ_STR(t->workers[6]->name, "ring.put");
  int32_t child = t->workers[1]->pid;
  ASSERT(child > 0 && child != getpid());
  for (uint32_t i = 1; i < t->n_workers; i++) {
    ASSERT_EQ_INT(t->workers[i]->pid, child);
    ASSERT(t->workers[i]->len > 0);
  }
  uint64_t execs = 0, sink_execs = 0, sink_waits = 0;
  for (uint32_t i = 0; i < t->n_workers; i++) {
    for (uint32_t k = 0; k < t->workers[i]->len; k++) {
      const struct gnx_span *s = &t->workers[i]->spans[k];
      execs += s->kind == GNX_SPAN_EXEC && s->stage == 2;
      sink_execs += i == 0 && s->kind == GNX_SPAN_EXEC && s->stage == 4;
      sink_waits += i == 0 && s->kind == GNX_SPAN_WAIT_IN && s->stage == 4;
    }
  }
  ASSERT_EQ_U64(execs, 60);
  ASSERT_EQ_U64(sink_execs, 60);
  ASSERT(sink_waits > 0); /* s2 is slow: the consumer waited */
  ASSERT(res.maxrss_kb > 0);
  ASSERT(res.startup_ns > 0 && res.wall_ns >= 30 * 1000000u);
  gnx_run_result_free(&res);
  wl->teardown(shared);
  gnx_params_free(&wp);
  gnx_params_free(&ep);
  no_children_left();
}

static void subproc_crash(int sig, int worker, const char *signame, const char *who) {
  no_core_files();
  int maps0 = shared_anon_mappings();
  struct gnx_fault f = {.enabled = 1, .worker = worker, .item = 5, .sig = sig};
  const char *opts[] = {"batch=1", "cost=s2=200", "stage-workers=s2=2", NULL};
  struct gnx_test_out out;
  ASSERT_EQ_INT(gnx_test_run_fault("null", "subproc", 1000, opts, &f, &out), GNX_EWORKER);
  /* the core's words: which worker, how it died, where */
  char name[32], stage[32];
  snprintf(name, sizeof name, "worker %s.0 (pid ", who);
  snprintf(stage, sizeof stage, "in stage %s at item", who);
  if (!strstr(out.errmsg, signame) || !strstr(out.errmsg, name) || !strstr(out.errmsg, stage)) {
    GNX__FAIL("errmsg: %s", out.errmsg);
  }
  printf("errmsg: %s\n", out.errmsg);
  ASSERT(out.summary == NULL);
  gnx_test_out_free(&out);
  no_children_left();
  ASSERT_EQ_INT(shared_anon_mappings(), maps0); /* ring, status page and trace unmapped */
}

GNX_TEST(subproc_worker_killed_is_reported) {
  subproc_crash(SIGKILL, 2, "signal 9 (SIGKILL)", "s1"); /* sink 0, gen.0 1, s1.0 2 */
}

GNX_TEST(subproc_worker_abort_is_reported) {
  subproc_crash(SIGABRT, 1, "signal 6 (SIGABRT)", "gen");
}

GNX_TEST(subproc_fault_never_fires_in_the_parent) {
  /* Worker 0 is the parent's sink: the fault must not fire there. */
  struct gnx_fault f = {.enabled = 1, .worker = 0, .item = 2, .sig = SIGKILL};
  struct gnx_test_out out;
  const char *opts[] = {"batch=10", NULL};
  ASSERT_OK(gnx_test_run_fault("null", "subproc", 100, opts, &f, &out));
  gnx_test_out_free(&out);
  no_children_left();
}

GNX_TEST(subproc_oversized_item_is_e2big) {
  int maps0 = shared_anon_mappings();
  struct gnx_test_out out;
  const char *opts[] = {"slot-bytes=4", NULL}; /* null items are 8 bytes */
  ASSERT_EQ_INT(gnx_test_run("null", "subproc", 100, opts, &out), GNX_ETOOBIG);
  if (!strstr(out.errmsg, "item 0 is 8 bytes") || !strstr(out.errmsg, "--slot-bytes")) {
    GNX__FAIL("errmsg: %s", out.errmsg);
  }
  gnx_test_out_free(&out);
  no_children_left();
  ASSERT_EQ_INT(shared_anon_mappings(), maps0);
}

static volatile sig_atomic_t sp_stop;
static void sp_on_alarm(int sig) { __atomic_store_n(&sp_stop, 1, __ATOMIC_RELAXED); }

GNX_TEST(subproc_stop_returns_eintr) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = sp_on_alarm;
  sa.sa_flags = SA_RESTART;
  ASSERT_OK(sigaction(SIGALRM, &sa, NULL));
  int maps0 = shared_anon_mappings();
  /* 2 ms per item: 5000 items would take 10 s. The timer is not inherited
   * by the child: only the parent sees the stop, and must end the child. */
  const char *opts[] = {"cost=s2=2000", NULL};
  struct itimerval it = {{0, 0}, {0, 150000}};
  ASSERT_OK(setitimer(ITIMER_REAL, &it, NULL));
  struct gnx_test_out out;
  uint64_t t0 = gnx_now_ns();
  ASSERT_EQ_INT(gnx_test_run_stop("null", "subproc", 5000, opts, NULL, &sp_stop, &out),
                GNX_ESTOPPED);
  ASSERT(gnx_now_ns() - t0 < 2000000000u);
  ASSERT(strstr(out.errmsg, "stopped") != NULL);
  gnx_test_out_free(&out);
  no_children_left();
  ASSERT_EQ_INT(shared_anon_mappings(), maps0);
}
