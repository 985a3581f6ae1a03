/* SPDX-License-Identifier: MIT */
/* core/probe.h: a worker's private counter and binding state, kept in the
 * opaque core_private bytes of struct gnx_worker so that engines, which
 * allocate workers, cannot reach into it. */
#ifndef GNX_CORE_PROBE_H
#define GNX_CORE_PROBE_H

#include <stdint.h>

#include "gnx/engine.h"

struct gnx_worker_probe {
  int n_fd;                 /* perf_event fds open (0: none) */
  int fd[4];
  int papi_es;              /* PAPI event set, valid when papi_on */
  int papi_on;
  int bound;                /* affinity changed: restore at exit */
  int counting;             /* counters begun in this thread */
  int64_t t0[4];            /* software counters at enter (rusage path) */
  unsigned char old_mask[128]; /* cpu_set_t before binding */
};

_Static_assert(sizeof(struct gnx_worker_probe) <= GNX_WORKER_PRIVATE_BYTES,
               "the probe fits in struct gnx_worker's private bytes");

static inline struct gnx_worker_probe *gnx_worker_probe(struct gnx_worker *w) {
  return (struct gnx_worker_probe *)(void *)w->core_private;
}

#endif
