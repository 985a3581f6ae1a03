/* SPDX-License-Identifier: MIT */
/* core/strbuf.c: bounded appends into a caller's buffer (see strbuf.h). */
#include <errno.h>
#include <stdio.h>

#include "core/strbuf.h"

void gnx_sb_init(struct gnx_sb *sb, char *buf, size_t cap) {
  sb->buf = buf;
  sb->cap = cap;
  sb->len = 0;
  sb->truncated = 0;
  if (cap) {
    buf[0] = '\0';
  }
}

int gnx_sb_vprintf(struct gnx_sb *sb, const char *fmt, va_list ap) {
  size_t room = sb->cap - sb->len; /* at least 1 once cap > 0: len < cap */
  int n = sb->cap ? vsnprintf(sb->buf + sb->len, room, fmt, ap) : -1;
  if (n >= 0 && (size_t)n < room) {
    sb->len += (size_t)n;
  } else {
    sb->truncated = 1;
    if (n >= 0) {
      sb->len = sb->cap - 1; /* vsnprintf kept what fitted */
    } else if (sb->cap) {
      sb->buf[sb->len] = '\0'; /* an encoding error: keep the string as it was */
    }
  }
  return sb->truncated ? -ENOSPC : 0;
}

int gnx_sb_printf(struct gnx_sb *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = gnx_sb_vprintf(sb, fmt, ap);
  va_end(ap);
  return rc;
}
