/* SPDX-License-Identifier: MIT */
/* core/bufcache.h: the memory that freed large item buffers leave for the
 * next ones (core/buf.c), as the runner sees it. */
#ifndef GNX_CORE_BUFCACHE_H
#define GNX_CORE_BUFCACHE_H

#include <stddef.h>

/* The memory kept by freed large buffers, for the runner. mark: start
 * watching (returns the resident bytes kept now); idle: the least resident
 * bytes kept at any moment since the mark, i.e. memory that sat in the
 * process unused by the run; drop: give all of it back to the system. */
size_t gnx_buf_cache_mark(void);
size_t gnx_buf_cache_idle(void);
void gnx_buf_cache_drop(void);

#endif
