/* SPDX-License-Identifier: MIT */
/* core/buf.c: gnx_buf, the flat item buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gnx/buf.h"

int gnx_buf_reserve(struct gnx_buf *b, size_t cap) {
  if (cap <= b->cap) {
    return 0;
  }
  size_t want = b->cap ? b->cap : 256;
  while (want < cap) {
    want *= 2;
  }
  uint8_t *p = realloc(b->data, want);
  if (!p) {
    return -ENOMEM;
  }
  b->data = p;
  b->cap = want;
  return 0;
}

void *gnx_buf_extend(struct gnx_buf *b, size_t n) {
  if (gnx_buf_reserve(b, b->len + n) < 0) {
    return NULL;
  }
  void *p = b->data + b->len;
  b->len += n;
  return p;
}

int gnx_buf_append(struct gnx_buf *b, const void *p, size_t n) {
  void *dst = gnx_buf_extend(b, n);
  if (!dst) {
    return -ENOMEM;
  }
  if (n) {
    memcpy(dst, p, n);
  }
  return 0;
}

int gnx_buf_copy(struct gnx_buf *dst, const struct gnx_buf *src) {
  dst->len = 0;
  return gnx_buf_append(dst, src->data, src->len);
}

void gnx_buf_swap(struct gnx_buf *a, struct gnx_buf *b) {
  struct gnx_buf t = *a;
  *a = *b;
  *b = t;
}

void gnx_buf_free(struct gnx_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
