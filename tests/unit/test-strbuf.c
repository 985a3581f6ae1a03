/* SPDX-License-Identifier: MIT */
/* tests/unit/test-strbuf.c: the string builder never writes past its
 * buffer, always leaves a C string, and says when it had to cut. */
#include <errno.h>

#include "core/strbuf.h"
#include "tests/test.h"

/* A buffer of cap bytes followed by guard bytes that must stay '#'. */
#define GUARD 8
static void fill(char *b, size_t n) { memset(b, '#', n); }
static int guard_intact(const char *b, size_t cap) {
  for (size_t i = cap; i < cap + GUARD; i++) {
    if (b[i] != '#') {
      return 0;
    }
  }
  return 1;
}

GNX_TEST(strbuf_appends_in_order) {
  char b[64];
  struct gnx_sb sb;
  gnx_sb_init(&sb, b, sizeof b);
  ASSERT_EQ_STR(b, "");
  ASSERT_OK(gnx_sb_printf(&sb, "%s", "serial"));
  ASSERT_OK(gnx_sb_printf(&sb, ", %s or %d", "threads", 3));
  ASSERT_OK(gnx_sb_printf(&sb, "%s", "")); /* an empty append changes nothing */
  ASSERT_EQ_STR(b, "serial, threads or 3");
  ASSERT_EQ_U64(sb.len, strlen(b));
  ASSERT(!sb.truncated);
}

GNX_TEST(strbuf_exact_fit_is_not_truncation) {
  char b[6 + GUARD];
  fill(b, sizeof b);
  struct gnx_sb sb;
  gnx_sb_init(&sb, b, 6);
  ASSERT_OK(gnx_sb_printf(&sb, "hel"));
  ASSERT_OK(gnx_sb_printf(&sb, "lo")); /* 5 characters and the NUL: full, not cut */
  ASSERT_EQ_STR(b, "hello");
  ASSERT(!sb.truncated);
  ASSERT(gnx_sb_printf(&sb, "!") == -ENOSPC);
  ASSERT(sb.truncated);
  ASSERT_EQ_STR(b, "hello");
  ASSERT(guard_intact(b, 6));
}

GNX_TEST(strbuf_truncation_keeps_prefix_and_sticks) {
  char b[10 + GUARD];
  fill(b, sizeof b);
  struct gnx_sb sb;
  gnx_sb_init(&sb, b, 10);
  ASSERT_OK(gnx_sb_printf(&sb, "abc"));
  ASSERT(gnx_sb_printf(&sb, "%s", "defghijklmnop") == -ENOSPC);
  ASSERT_EQ_STR(b, "abcdefghi"); /* what fitted, NUL-terminated */
  ASSERT_EQ_U64(sb.len, 9);
  ASSERT(sb.truncated);
  /* later appends, even short ones, add nothing and still report the cut */
  ASSERT(gnx_sb_printf(&sb, "x") == -ENOSPC);
  ASSERT_EQ_STR(b, "abcdefghi");
  ASSERT(guard_intact(b, 10));
}

GNX_TEST(strbuf_long_chain_never_overflows) {
  /* the pattern the builder replaces: many appends into a small buffer */
  char b[32 + GUARD];
  fill(b, sizeof b);
  struct gnx_sb sb;
  gnx_sb_init(&sb, b, 32);
  for (int i = 0; i < 100; i++) {
    (void)gnx_sb_printf(&sb, "%s#%d", i ? ", " : "", i);
  }
  ASSERT(sb.truncated);
  ASSERT_EQ_U64(strlen(b), 31);
  ASSERT_EQ_STR(b, "#0, #1, #2, #3, #4, #5, #6, #7,");
  ASSERT(guard_intact(b, 32));
}

GNX_TEST(strbuf_zero_capacity) {
  char b[GUARD];
  fill(b, sizeof b);
  struct gnx_sb sb;
  gnx_sb_init(&sb, b, 0);
  ASSERT(gnx_sb_printf(&sb, "a") == -ENOSPC);
  ASSERT(sb.truncated);
  ASSERT_EQ_U64(sb.len, 0);
  ASSERT(guard_intact(b, 0));
}
