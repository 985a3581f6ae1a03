/* SPDX-License-Identifier: MIT */
/* Tests of the contract's implementation: buffers, errors, options, trace,
 * and the null workload under the serial engine. */
#include <errno.h>

#include "gnx/buf.h"
#include "gnx/err.h"
#include "gnx/option.h"
#include "gnx/trace.h"
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
