/* SPDX-License-Identifier: MIT */
/* Tests of the contract's implementation: buffers, errors, options, trace,
 * and the null workload under the serial engine. */
#include <errno.h>

#include "gnx/buf.h"
#include "gnx/err.h"
#include "gnx/option.h"
#include "gnx/trace.h"
#include "harness/registry.h"
#include "tests/support.h"
#include "tests/test.h"

GNX_TEST(parse_sizes) {
  uint64_t v = 0;
  ASSERT_OK(gnx_parse_u64("25k", &v));
  ASSERT_EQ_U64(v, 25000);
  ASSERT_OK(gnx_parse_u64("1m", &v));
  ASSERT_EQ_U64(v, 1000000);
  ASSERT_OK(gnx_parse_u64("100000", &v));
  ASSERT_EQ_U64(v, 100000);
  ASSERT_OK(gnx_parse_u64("18446744073709551615", &v));
  ASSERT_EQ_U64(v, UINT64_MAX);
  const char *bad[] = {"abc", "-5", "10e99", "", "1.5k", "25kk", "k", "18446744073709551616",
                       "18446744073709552g", " 5", "+5"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (gnx_parse_u64(bad[i], &v) != GNX_EUSAGE) {
      fprintf(stderr, "accepted '%s'\n", bad[i]);
      exit(1);
    }
  }
}

GNX_TEST(error_messages) {
  ASSERT_EQ_STR(gnx_strerror(GNX_EVERIFY), "result differs from the reference");
  ASSERT_EQ_STR(gnx_err_name(GNX_EVERIFY), "GNX_EVERIFY");
  ASSERT_EQ_STR(gnx_strerror(-ENOENT), "No such file or directory");
  ASSERT_EQ_STR(gnx_err_name(-ENOENT), "ENOENT");
  ASSERT_EQ_STR(gnx_strerror(0), "success");
}

GNX_TEST(buffers) {
  struct gnx_buf a = GNX_BUF_INIT, b = GNX_BUF_INIT;
  for (int i = 0; i < 1000; i++) {
    ASSERT_OK(gnx_buf_append(&a, &i, sizeof i));
  }
  ASSERT_EQ_U64(a.len, 4000);
  ASSERT_OK(gnx_buf_copy(&b, &a));
  ASSERT(memcmp(a.data, b.data, a.len) == 0);
  gnx_buf_clear(&a);
  ASSERT_EQ_U64(a.len, 0);
  ASSERT(a.cap >= 4000);
  gnx_buf_swap(&a, &b);
  ASSERT_EQ_U64(a.len, 4000);
  ASSERT_EQ_U64(b.len, 0);
  gnx_buf_free(&a);
  gnx_buf_free(&b);
  ASSERT(a.data == NULL && a.cap == 0);
}

GNX_TEST(trace_drops_when_full) {
  struct gnx_trace t;
  ASSERT_OK(gnx_trace_init(&t, 2, 3));
  struct gnx_trace_worker *w = gnx_trace_worker_add(&t, "w0", 1);
  ASSERT(w != NULL);
  ASSERT(gnx_trace_worker_add(&t, "w1", -1) != NULL);
  ASSERT(gnx_trace_worker_add(&t, "w2", -1) == NULL);
  for (int i = 0; i < 5; i++) {
    gnx_span_add(w, 10, 20, (uint64_t)i, 1, GNX_SPAN_EXEC);
  }
  ASSERT_EQ_U64(w->len, 3);
  ASSERT_EQ_U64(w->dropped, 2);
  ASSERT_EQ_U64(w->spans[2].item, 2);
  ASSERT_EQ_STR(gnx_span_kind_name(GNX_SPAN_WAIT_OUT), "wait_out");
  gnx_trace_free(&t);
}

GNX_TEST(null_serial_in_order) {
  struct gnx_test_out out;
  const char *opts[] = {"batch=10", NULL};
  ASSERT_OK(gnx_test_run("null", "serial", 1005, opts, &out));
  ASSERT_EQ_INT(json_integer_value(json_object_get(out.summary, "items")), 101);
  ASSERT_EQ_INT(json_integer_value(json_object_get(out.summary, "sum")), 100 * 101 / 2);
  ASSERT_EQ_U64(out.n_workers, 1);
  gnx_test_out_free(&out);
}

GNX_TEST(null_bad_cost_is_usage_error) {
  struct gnx_test_out out;
  const char *opts[] = {"cost=s9=5", NULL};
  ASSERT_EQ_INT(gnx_test_run("null", "serial", 10, opts, &out), GNX_EUSAGE);
  ASSERT(strstr(out.errmsg, "--cost") != NULL);
  gnx_test_out_free(&out);
}

/* One failing sink under every engine: the core records it, so every
 * engine reports it in the same words, and no engine left a summary. */
GNX_TEST(failing_sink_same_message_every_engine) {
  const char *opts[] = {"batch=10", "sink-fail=3", "workers=2", NULL};
  char first[320] = "";
  for (size_t i = 0; i < gnx_n_engines; i++) {
    const struct gnx_engine *e = gnx_engines[i];
    if (e->unavailable) {
      continue;
    }
    struct gnx_test_out out;
    int rc = gnx_test_run("null", e->name, 200, opts, &out);
    printf("%-9s %s: %s\n", e->name, gnx_err_name(rc), out.errmsg);
    ASSERT_EQ_INT(rc, -ENOSPC);
    ASSERT(out.summary == NULL);
    ASSERT_EQ_STR(out.errmsg, "sink sink failed on item 3: No space left on device");
    if (!first[0]) {
      snprintf(first, sizeof first, "%s", out.errmsg);
    }
    ASSERT_EQ_STR(out.errmsg, first);
    gnx_test_out_free(&out);
  }
}

static int fake_run(struct gnx_run *run) { return run ? 0 : -1; }
static int fake_setup(const struct gnx_params *p, void **s, struct gnx_workload_info *i, char *w) {
  return p && s && i && w ? 0 : -1;
}
static void fake_teardown(void *s) { (void)s; }

/* Registration refuses a wrong ABI, a missing hook, and one option name
 * declared with two ranges (one --ring-slots validated against the wrong
 * engine's range would fail mid-run); the built-in tables pass. */
/* Every count and duration has an upper bound: registration refuses a U64
 * option declared without one (max 0), and every built-in option has one. */
GNX_TEST(registry_refuses_unbounded_options) {
  char why[512];
  static const struct gnx_option unbounded[] = {
      {"io-latency-us", GNX_OPT_U64, "0", "a", 0, 0, 0}, GNX_OPTIONS_END};
  struct gnx_engine a = {.abi = GNX_ENGINE_ABI, .name = "a", .summary = "a",
                         .options = unbounded, .run = fake_run};
  const struct gnx_engine *one[] = {&a};
  ASSERT_EQ_INT(gnx_plugins_check(one, 1, NULL, 0, why, sizeof why), GNX_EUSAGE);
  ASSERT(strstr(why, "--io-latency-us of a has no upper bound") != NULL);
  for (size_t i = 0; i < gnx_n_engines + gnx_n_workloads; i++) {
    const struct gnx_option *o = i < gnx_n_engines ? gnx_engines[i]->options
                                                   : gnx_workloads[i - gnx_n_engines]->options;
    for (; o && o->name; o++) {
      ASSERT(o->type != GNX_OPT_U64 || o->max > 0);
    }
  }
}

GNX_TEST(registry_checks_plugins) {
  char why[512];
  ASSERT_OK(gnx_registry_check(why, sizeof why));
  static const struct gnx_option a_opts[] = {
      {"ring-slots", GNX_OPT_U64, "0", "a", 0, 1u << 20, 0}, GNX_OPTIONS_END};
  static const struct gnx_option b_opts[] = {
      {"ring-slots", GNX_OPT_U64, "8", "b", 1, 65536, 0}, GNX_OPTIONS_END};
  struct gnx_engine a = {.abi = GNX_ENGINE_ABI, .name = "a", .summary = "a", .options = a_opts,
                         .run = fake_run};
  struct gnx_engine b = a;
  b.name = "b";
  b.options = b_opts;
  const struct gnx_engine *two[] = {&a, &b};
  ASSERT_EQ_INT(gnx_plugins_check(two, 2, NULL, 0, why, sizeof why), GNX_EUSAGE);
  ASSERT(strstr(why, "--ring-slots") && strstr(why, "a") && strstr(why, "b"));
  b.options = a_opts; /* one declaration, shared: fine */
  ASSERT_OK(gnx_plugins_check(two, 2, NULL, 0, why, sizeof why));
  b.abi = GNX_ENGINE_ABI + 1;
  ASSERT_EQ_INT(gnx_plugins_check(two, 2, NULL, 0, why, sizeof why), GNX_EUSAGE);
  ASSERT(strstr(why, "engine b: abi") != NULL);
  b.abi = GNX_ENGINE_ABI;
  b.run = NULL;
  ASSERT_EQ_INT(gnx_plugins_check(two, 2, NULL, 0, why, sizeof why), GNX_EUSAGE);
  static const struct gnx_stage_ops stages[] = {{"gen", NULL}};
  struct gnx_workload w = {.abi = GNX_WORKLOAD_ABI, .name = "w", .summary = "w",
                           .setup = fake_setup, .teardown = fake_teardown, .stages = stages,
                           .n_stages = 1, .sink_name = "sink"};
  const struct gnx_workload *wl[] = {&w};
  ASSERT_EQ_INT(gnx_plugins_check(NULL, 0, wl, 1, why, sizeof why), GNX_EUSAGE);
  ASSERT(strstr(why, "workload w") != NULL);
}

/* Every nanosecond of every worker is accounted for: per worker, its exec
 * and wait spans, the time before its first span and after its last (done)
 * add up to the wall within 1 %, with no span counted twice and no work
 * before the wall began, under every engine. A blocking call that records no wait shows as a gap here. */
struct acct {
  const char *engine;
  int checked;
  char gap[256]; /* the first worker whose time did not add up, "" when all did */
};

static void acct_check(const struct gnx_run_result *res, void *arg) {
  struct acct *a = arg;
  uint64_t t0 = res->t_start_ns, t1 = res->t_start_ns + res->wall_ns;
  for (uint32_t w = 0; w < res->trace.n_workers; w++) {
    const struct gnx_trace_worker *tw = res->trace.workers[w];
    uint64_t covered = 0, first = t1, last = t0;
    for (uint32_t k = 0; k < tw->len; k++) {
      /* work before the wall began is work the wall misses (the start
       * stamped after the workers were let go) */
      if (tw->spans[k].kind == GNX_SPAN_EXEC && tw->spans[k].t0 < t0) {
        GNX__FAIL("%s: worker %s ran item %u %.3f ms before the wall began", a->engine,
                  tw->name, (unsigned)tw->spans[k].item, (double)(t0 - tw->spans[k].t0) / 1e6);
      }
      uint64_t a0 = tw->spans[k].t0 > t0 ? tw->spans[k].t0 : t0;
      uint64_t a1 = tw->spans[k].t1 < t1 ? tw->spans[k].t1 : t1;
      covered += a1 > a0 ? a1 - a0 : 0;
      first = a0 < first ? a0 : first;
      last = a1 > last ? a1 : last;
    }
    double total = (double)(covered + (first - t0) + (t1 - last));
    double share = total / (double)res->wall_ns;
    if (share > 1.01) { /* spans that overlap: time counted twice, never noise */
      GNX__FAIL("%s: worker %s: exec + wait + before + done = %.1f %% of the wall (%u spans)",
                a->engine, tw->name, share * 100, tw->len);
    }
    if (share < 0.99 && !a->gap[0]) {
      snprintf(a->gap, sizeof a->gap, "%s: worker %s: exec + wait + before + done = %.1f %% of "
               "the wall (%u spans)", a->engine, tw->name, share * 100, tw->len);
    }
    ASSERT_EQ_U64(tw->dropped, 0);
  }
  a->checked++;
}

GNX_TEST(accounting_every_worker_every_engine) {
  const char *opts[] = {"batch=1", "cost=gen=100,s1=400,s2=200,s3=50", "workers=2", NULL};
  for (size_t i = 0; i < gnx_n_engines; i++) {
    const struct gnx_engine *e = gnx_engines[i];
    if (e->unavailable) {
      continue;
    }
    /* A gap is time no span covers: a wait an engine forgot to record
     * shows in every run; a host that preempts a worker between two spans
     * does not repeat itself, so a gap must show three times to fail. */
    struct acct a = {e->name, 0, ""};
    for (int attempt = 0; attempt < 3 && (attempt == 0 || a.gap[0]); attempt++) {
      a.gap[0] = '\0';
      gnx_test_result_hook = acct_check;
      gnx_test_result_arg = &a;
      struct gnx_test_out out;
      ASSERT_OK(gnx_test_run("null", e->name, 150, opts, &out));
      gnx_test_result_hook = NULL;
      gnx_test_out_free(&out);
      if (a.gap[0]) {
        printf("attempt %d: %s\n", attempt + 1, a.gap);
      }
    }
    if (a.gap[0]) {
      GNX__FAIL("%s (three runs in a row)", a.gap);
    }
  }
}
