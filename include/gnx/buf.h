/* SPDX-License-Identifier: MIT */
/* gnx/buf.h: the flat byte buffer that carries an item between stages.
 *
 * Items are plain bytes with no pointers inside, so an engine may move them
 * between threads or copy them into shared memory or a pipe without knowing
 * what they hold. Only the workload knows the layout. */
#ifndef GNX_BUF_H
#define GNX_BUF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gnx_buf {
  uint8_t *data; /* malloc'd, or NULL when cap == 0 */
  size_t len;    /* bytes in use */
  size_t cap;    /* bytes allocated */
};

#define GNX_BUF_INIT {NULL, 0, 0}

/* Make room for at least cap bytes in total; keeps the contents.
 * Returns 0 or -ENOMEM. */
int gnx_buf_reserve(struct gnx_buf *b, size_t cap);

/* Set len to 0 and keep the allocation (buffers are reused item after item). */
static inline void gnx_buf_clear(struct gnx_buf *b) { b->len = 0; }

/* Append n bytes. Returns 0 or -ENOMEM. */
int gnx_buf_append(struct gnx_buf *b, const void *p, size_t n);

/* Grow len by n bytes and return a pointer to them (uninitialised), or NULL
 * on allocation failure. The pointer is valid until the next grow. */
void *gnx_buf_extend(struct gnx_buf *b, size_t n);

/* Copy src into dst (dst's old contents are dropped). Returns 0 or -ENOMEM. */
int gnx_buf_copy(struct gnx_buf *dst, const struct gnx_buf *src);

/* Swap two buffers (no copy). */
void gnx_buf_swap(struct gnx_buf *a, struct gnx_buf *b);

/* Free the allocation and reset to GNX_BUF_INIT. A large buffer's memory
 * is kept for the next large buffer of this process (core/buf.c says why).
 * A buffer is the process's own: large ones are not inherited by a forked
 * child, which must neither use nor free a buffer it inherited with bytes. */
void gnx_buf_free(struct gnx_buf *b);

#ifdef __cplusplus
}
#endif

#endif
