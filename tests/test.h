/* SPDX-License-Identifier: MIT */
/* tests/test.h: a minimal test runner, one CTest test per GNX_TEST case.
 *
 * Each tests/unit/test-*.c file defines cases with GNX_TEST(name) (label
 * quick), GNX_TEST_SLOW(name) (label slow) or GNX_TEST_TSAN(name) (labels
 * quick and tsan: thread-engine cases the TSan build runs). CMake reads those lines and
 * adds one test per case, run as `test-file name`. A case returns normally
 * to pass, calls GNX_SKIP("why") to skip (exit 77), or fails an ASSERT,
 * which prints both operands and exits 1. */
#ifndef GNX_TEST_H
#define GNX_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*gnx_test_fn)(void);
struct gnx_test_case { const char *name; gnx_test_fn fn; };

#define GNX_TEST_MAX 256
extern struct gnx_test_case gnx_tests[GNX_TEST_MAX];
extern int gnx_n_tests;

#define GNX__TEST(id)                                                         \
  static void test_##id(void);                                                \
  __attribute__((constructor)) static void register_##id(void) {             \
    gnx_tests[gnx_n_tests].name = #id;                                        \
    gnx_tests[gnx_n_tests++].fn = test_##id;                                  \
  }                                                                           \
  static void test_##id(void)
#define GNX_TEST(id) GNX__TEST(id)
#define GNX_TEST_SLOW(id) GNX__TEST(id)
#define GNX_TEST_TSAN(id) GNX__TEST(id) /* quick, and run by the tsan preset */
/* perf: a check on measured times (a ratio of walls); never in `make test`,
 * where a shared 2-core machine would fail it on healthy code. Run by
 * bench/perf-tests.sh (ctest --preset perf). */
#define GNX_TEST_PERF(id) GNX__TEST(id)

#define GNX_SKIP(why)                                                         \
  do { printf("SKIP: %s\n", why); exit(77); } while (0)

#define GNX__FAIL(...)                                                        \
  do { fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                        \
       fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)

#define ASSERT(c) do { if (!(c)) GNX__FAIL("assertion failed: %s", #c); } while (0)
#define ASSERT_EQ_U64(a, b) do { uint64_t a_ = (a), b_ = (b);                 \
  if (a_ != b_) GNX__FAIL("%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, a_, b_); } while (0)
#define ASSERT_EQ_INT(a, b) do { long long a_ = (a), b_ = (b);                \
  if (a_ != b_) GNX__FAIL("%s == %s: %lld != %lld", #a, #b, a_, b_); } while (0)
#define ASSERT_EQ_STR(a, b) do { const char *a_ = (a), *b_ = (b);             \
  if (!a_ || !b_ || strcmp(a_, b_)) GNX__FAIL("%s == %s: \"%s\" != \"%s\"",   \
       #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
#define ASSERT_NEAR(a, b, tol) do { double a_ = (a), b_ = (b);                \
  if (!(a_ - b_ <= (tol) && b_ - a_ <= (tol)))                                \
    GNX__FAIL("%s ~= %s: %.9g vs %.9g (tol %g)", #a, #b, a_, b_, (double)(tol)); } while (0)
#define ASSERT_OK(e) do { int r_ = (e);                                       \
  if (r_ != 0) GNX__FAIL("%s returned %d", #e, r_); } while (0)

#endif
