/* SPDX-License-Identifier: MIT */
/* tests/unit/test-chrome.c: the Chrome trace writer (reports/chrome.c) on
 * synthetic traces whose flows and queue depths are known: each item's flow
 * runs across the workers in stage order, an item that stays on one worker
 * has none, flows and counter samples stay bounded on long runs, and the
 * reader (reports/tfile.c) takes the item and stage back. */
#include <jansson.h>
#include <unistd.h>

#include "reports/analysis.h"
#include "reports/report.h"
#include "tests/test.h"

/* A trace of n_workers workers of pid 100, tids 100, 101, ...; worker w
 * serves stage roles[w] (-1: all). */
static void trace_new(struct gnx_trace *t, unsigned n_workers, const int *roles, uint32_t cap) {
  ASSERT_OK(gnx_trace_init(t, n_workers, cap));
  for (unsigned w = 0; w < n_workers; w++) {
    char name[16];
    snprintf(name, sizeof name, "w%u", w);
    struct gnx_trace_worker *tw = gnx_trace_worker_add(t, name, roles[w]);
    ASSERT(tw != NULL);
    tw->pid = 100;
    tw->tid = 100 + (int)w;
  }
}

/* Write t as a Chrome trace and load it with jansson; the path in path. */
static json_t *write_load(const struct gnx_trace *t, unsigned n_names, char *path) {
  static const char *const names[] = {"src", "mid", "sink"};
  strcpy(path, "/tmp/gnx-test-chrome-XXXXXX");
  int fd = mkstemp(path);
  ASSERT(fd >= 0);
  close(fd);
  char why[256];
  ASSERT_OK(gnx_chrome_write(path, t, names, n_names, 1000000, "test", why, sizeof why));
  json_error_t err;
  json_t *j = json_load_file(path, 0, &err);
  if (!j) {
    GNX__FAIL("%s is not JSON: %s (line %d)", path, err.text, err.line);
  }
  return j;
}

/* Events of phase ph (and, when id >= 0, of that flow id). */
static size_t count_ph(const json_t *j, const char *ph, long long id) {
  size_t i, n = 0;
  json_t *ev;
  json_array_foreach(json_object_get(j, "traceEvents"), i, ev) {
    n += strcmp(json_string_value(json_object_get(ev, "ph")), ph) == 0 &&
         (id < 0 || json_integer_value(json_object_get(ev, "id")) == id);
  }
  return n;
}

GNX_TEST(chrome_flow_per_item_across_workers) {
  /* a three-stage pipeline, one worker per stage: item i runs src on w0 at
   * [10i, 10i+10] us, mid on w1 5 us later, sink on w2 5 us after that */
  struct gnx_trace t;
  const int roles[] = {0, 1, 2};
  trace_new(&t, 3, roles, 16);
  const uint64_t t0 = 1000000;
  for (uint64_t i = 0; i < 3; i++) {
    for (unsigned s = 0; s < 3; s++) {
      uint64_t a = t0 + i * 10000 + s * 15000;
      gnx_span_add(t.workers[s], a, a + 10000, i, (int)s, GNX_SPAN_EXEC);
    }
  }
  char path[64];
  json_t *j = write_load(&t, 3, path);
  gnx_trace_free(&t);
  for (long long item = 0; item < 3; item++) {
    ASSERT_EQ_INT(count_ph(j, "s", item), 1);
    ASSERT_EQ_INT(count_ph(j, "t", item), 1);
    ASSERT_EQ_INT(count_ph(j, "f", item), 1);
  }
  /* each point in the middle of its span, on the span's thread; the end
   * binds to its enclosing slice */
  size_t i;
  json_t *ev;
  json_array_foreach(json_object_get(j, "traceEvents"), i, ev) {
    const char *ph = json_string_value(json_object_get(ev, "ph"));
    if (strchr("stf", ph[0]) && ph[1] == '\0') {
      int s = ph[0] == 's' ? 0 : ph[0] == 't' ? 1 : 2;
      json_int_t item = json_integer_value(json_object_get(ev, "id"));
      ASSERT_EQ_INT(json_integer_value(json_object_get(ev, "tid")), 100 + s);
      ASSERT_NEAR(json_number_value(json_object_get(ev, "ts")), 10.0 * (double)item + 15 * s + 5,
                  1e-9);
      ASSERT_EQ_STR(json_string_value(json_object_get(ev, "cat")), "flow");
      ASSERT((ph[0] == 'f') == (json_object_get(ev, "bp") != NULL));
    }
  }
  json_decref(j);
  unlink(path);
}

GNX_TEST(chrome_no_flow_inside_one_worker) {
  /* serial: one worker runs every stage of every item */
  struct gnx_trace t;
  const int roles[] = {-1};
  trace_new(&t, 1, roles, 64);
  for (uint64_t i = 0; i < 4; i++) {
    for (unsigned s = 0; s < 3; s++) {
      uint64_t a = 1000000 + (i * 3 + s) * 1000;
      gnx_span_add(t.workers[0], a, a + 1000, i, (int)s, GNX_SPAN_EXEC);
    }
  }
  char path[64];
  json_t *j = write_load(&t, 3, path);
  gnx_trace_free(&t);
  ASSERT_EQ_INT(count_ph(j, "X", -1), 12);
  ASSERT_EQ_INT(count_ph(j, "s", -1) + count_ph(j, "t", -1) + count_ph(j, "f", -1), 0);
  ASSERT_EQ_INT(count_ph(j, "C", -1), 0);
  json_decref(j);
  unlink(path);
}

GNX_TEST(chrome_pool_flow_enters_and_leaves) {
  /* a pool: w0 runs src and mid of item 0, then the sink (w1) takes it:
   * the flow starts where the item leaves w0 (mid) and ends at the sink */
  struct gnx_trace t;
  const int roles[] = {-1, 2};
  trace_new(&t, 2, roles, 16);
  gnx_span_add(t.workers[0], 1000000, 1002000, 0, 0, GNX_SPAN_EXEC);
  gnx_span_add(t.workers[0], 1002000, 1004000, 0, 1, GNX_SPAN_EXEC);
  gnx_span_add(t.workers[1], 1005000, 1006000, 0, 2, GNX_SPAN_EXEC);
  char path[64];
  json_t *j = write_load(&t, 3, path);
  gnx_trace_free(&t);
  ASSERT_EQ_INT(count_ph(j, "s", 0), 1);
  ASSERT_EQ_INT(count_ph(j, "t", 0), 0);
  ASSERT_EQ_INT(count_ph(j, "f", 0), 1);
  size_t i;
  json_t *ev;
  json_array_foreach(json_object_get(j, "traceEvents"), i, ev) {
    if (strcmp(json_string_value(json_object_get(ev, "ph")), "s") == 0) {
      ASSERT_NEAR(json_number_value(json_object_get(ev, "ts")), 3.0, 1e-9); /* mid's middle */
    }
  }
  json_decref(j);
  unlink(path);
}

GNX_TEST(chrome_long_runs_stay_bounded) {
  /* 20000 items through two workers, each one's queue depth changing at
   * every item: at most 1000 flows and 2000 (+1) samples, the deepest
   * point and the final 0 kept */
  enum { N = 20000 };
  struct gnx_trace t;
  const int roles[] = {0, 1};
  trace_new(&t, 2, roles, N);
  const uint64_t t0 = 1000000;
  for (uint64_t i = 0; i < N; i++) {
    gnx_span_add(t.workers[0], t0 + i * 1000, t0 + i * 1000 + 1000, i, 0, GNX_SPAN_EXEC);
    /* the consumer lags by 3 items; it stalls at item 10000 and takes the
     * next 40 in a burst, so the queue holds about 80 for a moment */
    uint64_t a = i < 10000 ? (i + 3) * 1000 + 500
                 : i < 10040 ? 10080 * 1000 + (i - 10000) * 10
                             : (i + 41) * 1000 + 500;
    gnx_span_add(t.workers[1], t0 + a, t0 + a + 5, i, 1, GNX_SPAN_EXEC);
  }
  char path[64];
  json_t *j = write_load(&t, 2, path);
  gnx_trace_free(&t);
  size_t flows = count_ph(j, "s", -1), samples = count_ph(j, "C", -1);
  ASSERT(flows > 500 && flows <= 1000);
  ASSERT_EQ_INT(count_ph(j, "f", -1), flows);
  /* 40000 changes; the steady 3-4 becomes one sample of 4 per bin, equal
   * ones left out */
  if (!(samples >= 3 && samples <= 2001)) {
    GNX__FAIL("%zu counter samples", samples);
  }
  size_t i;
  json_t *ev;
  long deepest = 0, last = -1;
  json_array_foreach(json_object_get(j, "traceEvents"), i, ev) {
    if (strcmp(json_string_value(json_object_get(ev, "ph")), "C") == 0) {
      last = (long)json_integer_value(json_object_get(json_object_get(ev, "args"), "depth"));
      deepest = last > deepest ? last : deepest;
    }
  }
  ASSERT(deepest >= 75);
  ASSERT_EQ_INT(last, 0);
  json_decref(j);
  unlink(path);
}

GNX_TEST(chrome_reader_takes_item_and_stage_back) {
  struct gnx_trace t;
  const int roles[] = {0, 1};
  trace_new(&t, 2, roles, 16);
  gnx_span_add(t.workers[0], 1000000, 1001000, 7, 0, GNX_SPAN_EXEC);
  gnx_span_add(t.workers[1], 1000000, 1001500, GNX_ITEM_NONE, 1, GNX_SPAN_WAIT_IN);
  gnx_span_add(t.workers[1], 1001500, 1002000, 7, 1, GNX_SPAN_EXEC);
  char path[64];
  json_t *j = write_load(&t, 2, path);
  gnx_trace_free(&t);
  /* a wait is named for what it waited for */
  size_t i;
  json_t *ev;
  int waits = 0;
  json_array_foreach(json_object_get(j, "traceEvents"), i, ev) {
    if (strcmp(json_string_value(json_object_get(ev, "cat")) ?: "", "wait_in") == 0) {
      ASSERT_EQ_STR(json_string_value(json_object_get(ev, "name")), "mid (starved)");
      ASSERT_EQ_INT(json_integer_value(json_object_get(ev, "item")), -1);
      waits++;
    }
  }
  ASSERT_EQ_INT(waits, 1);
  json_decref(j);
  struct gnx_tfile tf;
  char why[256];
  ASSERT_OK(gnx_tfile_load(path, &tf, why, sizeof why));
  unlink(path);
  ASSERT_EQ_INT(tf.n, 2);
  ASSERT_EQ_INT(tf.threads[0].n, 1);
  ASSERT_EQ_INT(tf.threads[0].spans[0].item, 7);
  ASSERT_EQ_INT(tf.threads[1].n, 2);
  ASSERT_EQ_INT(tf.threads[1].spans[0].item, GNX_ITEM_NONE);
  ASSERT_EQ_INT(tf.threads[1].spans[0].kind, GNX_SPAN_WAIT_IN);
  ASSERT_EQ_INT(tf.threads[1].spans[1].stage, 1);
  ASSERT_NEAR(tf.threads[1].spans[1].t1, 2.0, 1e-9);
  gnx_tfile_free(&tf);
}
