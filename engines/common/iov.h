/* SPDX-License-Identifier: MIT */
/* engines/common/iov.h: what every partial writev leaves to do. */
#ifndef GNX_ENGINES_IOV_H
#define GNX_ENGINES_IOV_H

#include <sys/uio.h>

/* Move *iov and *cnt past the n bytes a writev wrote. */
static inline void gnx_iov_advance(struct iovec **iov, int *cnt, size_t n) {
  while (*cnt > 0 && n >= (*iov)->iov_len) {
    n -= (*iov)->iov_len;
    (*iov)++;
    (*cnt)--;
  }
  if (*cnt > 0) {
    (*iov)->iov_base = (char *)(*iov)->iov_base + n;
    (*iov)->iov_len -= n;
  }
}

#endif
