/* SPDX-License-Identifier: MIT */
/* core/strbuf.h: a string builder over a caller's fixed buffer.
 *
 * Appending never writes past the buffer and always leaves it
 * NUL-terminated; what does not fit is cut, and the builder remembers it,
 * so a caller can tell a whole message from a truncated one instead of
 * adding up snprintf's return values (which overflows once one is cut). */
#ifndef GNX_CORE_STRBUF_H
#define GNX_CORE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct gnx_sb {
  char *buf;     /* the caller's buffer */
  size_t cap;    /* its size in bytes, the NUL included */
  size_t len;    /* bytes written, at most cap - 1 */
  int truncated; /* an append was cut or dropped */
};

/* An empty string in buf[cap]. cap 0 is allowed: every append is then cut. */
void gnx_sb_init(struct gnx_sb *sb, char *buf, size_t cap);

/* Append printf-style. Returns 0, or -ENOSPC when this append or an earlier
 * one did not fit (what fitted is kept). */
int gnx_sb_printf(struct gnx_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int gnx_sb_vprintf(struct gnx_sb *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
