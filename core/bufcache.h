/* SPDX-License-Identifier: MIT */
/* core/bufcache.h: the memory that freed large item buffers leave for the
 * next ones (core/buf.c), as the runner sees it. */
#ifndef GNX_CORE_BUFCACHE_H
#define GNX_CORE_BUFCACHE_H

#include <stddef.h>
#include <stdint.h>

/* The memory kept by freed large buffers, for the runner. mark: start
 * watching (returns the resident bytes kept now); idle: the least resident
 * bytes kept at any moment since the mark, i.e. memory that sat in the
 * process unused by the run; drop: give all of it back to the system. */
size_t gnx_buf_cache_mark(void);
size_t gnx_buf_cache_idle(void);
void gnx_buf_cache_drop(void);

/* A forked worker's process starts with no kept memory (the parent's
 * mappings are DONTFORK), so its first items map and fault in their
 * buffers inside the timed run: GNN 25k, 2075 faults and 3-4 ms per
 * procpool child per repetition, which perf_event's fault count does not
 * even see (the kernel populates the mappings). maps_take: the sizes of the
 * large mappings this process made since the last take (the largest n, 0
 * for none), then forget them; prefill: make mappings of those sizes,
 * populated, and keep them for the next buffers, so a worker can do before
 * its start gate what it did in its first items last run. */
void gnx_buf_maps_take(uint64_t *sizes, unsigned n);
void gnx_buf_cache_prefill(const uint64_t *sizes, unsigned n);

#endif
