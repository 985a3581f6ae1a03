/* SPDX-License-Identifier: MIT */
/* core/buf.c: gnx_buf, the flat item buffer, and where its memory lives.
 *
 * A buffer under GNX_BUF_MAP_MIN bytes is malloc's. A larger one is a
 * private mapping of its own, for two reasons measured on GNN at 100k
 * (docs/benchmarks.md, "Where the parallel engines lost"):
 *  - it is marked MADV_DONTFORK. A forked worker never touches the parent's
 *    item buffers, yet without the mark every fork write-protects them, and
 *    the parent's next write to each page faults: serial, interleaved with
 *    procpool, took 2800 page faults per repetition, and 1 when run alone;
 *  - a freed one is kept (the cache below) for the next large buffer, so a
 *    later item or repetition finds its pages already in memory. glibc
 *    hands a thread's arena back to the system when the thread ends, and
 *    engines start their threads per run: async took 9400 faults and 34 ms
 *    of system time per run, 760 faults and 4 ms with memory kept.
 * A forked worker forgets the parent's cache (its mappings are not in the
 * child) and makes its own. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/bufcache.h"
#include "gnx/buf.h"

/* Under AddressSanitizer every buffer stays malloc's: mappings would escape
 * its redzones, and the sanitizer build is where overflows are looked for. */
#if defined(__SANITIZE_ADDRESS__)
#define GNX_BUF_MAP_MIN ((size_t)-1)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GNX_BUF_MAP_MIN ((size_t)-1)
#endif
#endif
#ifndef GNX_BUF_MAP_MIN
#define GNX_BUF_MAP_MIN ((size_t)128 << 10) /* glibc's own first mmap threshold */
#endif
#define GNX_BUF_CACHE_N 64                   /* mappings kept */
#define GNX_BUF_CACHE_MAX ((size_t)1 << 30)  /* bytes kept, at most */
#define GNX_BUF_PAGE ((size_t)4096)
/* Mapping sizes remembered for gnx_buf_maps_take: subproc's child, six
 * threads with queues between them, maps more than 8 (at 8, GNN 50k still
 * took 3400-9400 faults per run in its first items; at 32, none). */
#define GNX_BUF_MADE_N 32

struct gnx__map {
  void *p;
  size_t bytes;
  size_t resident; /* bytes of it in memory when it was kept (mincore) */
};

static struct {
  pthread_mutex_t mu;
  struct gnx__map e[GNX_BUF_CACHE_N];
  unsigned n;
  size_t bytes;    /* sum of e[].bytes */
  size_t resident; /* sum of e[].resident */
  size_t idle_low; /* the least resident bytes kept since gnx_buf_cache_mark() */
  uint64_t made[GNX_BUF_MADE_N]; /* sizes of the mappings made (gnx_buf_maps_take) */
} gnx__cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t gnx__cache_once = PTHREAD_ONCE_INIT;

static void gnx__cache_lock(void) { pthread_mutex_lock(&gnx__cache.mu); }
static void gnx__cache_unlock(void) { pthread_mutex_unlock(&gnx__cache.mu); }

/* In a forked child: the kept mappings were not inherited (DONTFORK). */
static void gnx__cache_forget(void) {
  pthread_mutex_init(&gnx__cache.mu, NULL);
  gnx__cache.n = 0;
  gnx__cache.bytes = gnx__cache.resident = gnx__cache.idle_low = 0;
  memset(gnx__cache.made, 0, sizeof gnx__cache.made);
}

static void gnx__cache_init(void) {
  (void)pthread_atfork(gnx__cache_lock, gnx__cache_unlock, gnx__cache_forget);
}

static void *gnx__map_make(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) {
    return NULL;
  }
  (void)madvise(p, bytes, MADV_DONTFORK); /* failing, it is only slower */
  return p;
}

/* Remember a mapping of `bytes` made, or one of `old` bytes grown to it:
 * the largest GNX_BUF_MADE_N sizes. */
static void gnx__made_note(size_t old, size_t bytes) {
  gnx__cache_lock();
  uint64_t *m = gnx__cache.made;
  unsigned k = 0;
  for (unsigned i = 0; i < GNX_BUF_MADE_N; i++) {
    if (old && m[i] == old) {
      k = i;
      break;
    }
    k = m[i] < m[k] ? i : k; /* else the smallest (an empty slot is 0) */
  }
  if (m[k] < bytes) {
    m[k] = bytes;
  }
  gnx__cache_unlock();
}

static void *gnx__map_new(size_t bytes) {
  void *p = gnx__map_make(bytes);
  if (p) {
    gnx__made_note(0, bytes);
  }
  return p;
}

/* The smallest kept mapping of at least `want` bytes, not more than 8x
 * (a huge one would sit idle behind a small buffer), or a new one. */
static void *gnx__map_get(size_t want, size_t *bytes) {
  pthread_once(&gnx__cache_once, gnx__cache_init);
  gnx__cache_lock();
  int best = -1;
  for (unsigned i = 0; i < gnx__cache.n; i++) {
    size_t b = gnx__cache.e[i].bytes;
    if (b >= want && b / 8 <= want && (best < 0 || b < gnx__cache.e[best].bytes)) {
      best = (int)i;
    }
  }
  void *p = NULL;
  if (best >= 0) {
    p = gnx__cache.e[best].p;
    *bytes = gnx__cache.e[best].bytes;
    gnx__cache.bytes -= *bytes;
    gnx__cache.resident -= gnx__cache.e[best].resident;
    gnx__cache.e[best] = gnx__cache.e[--gnx__cache.n];
    if (gnx__cache.resident < gnx__cache.idle_low) {
      gnx__cache.idle_low = gnx__cache.resident;
    }
  }
  gnx__cache_unlock();
  if (!p) {
    p = gnx__map_new(want);
    *bytes = want;
  }
  return p;
}

/* Bytes of the mapping in memory: what an idle kept mapping adds to the
 * process's RSS, which the runner takes off the peak of a run that never
 * used it. */
static size_t gnx__map_resident(void *p, size_t bytes) {
  unsigned char vec[4096];
  size_t in = 0;
  for (size_t off = 0; off < bytes; off += sizeof vec * GNX_BUF_PAGE) {
    size_t len = bytes - off < sizeof vec * GNX_BUF_PAGE ? bytes - off : sizeof vec * GNX_BUF_PAGE;
    if (mincore((uint8_t *)p + off, len, vec) < 0) {
      return bytes; /* unknown: count it all */
    }
    for (size_t i = 0; i < (len + GNX_BUF_PAGE - 1) / GNX_BUF_PAGE; i++) {
      in += (vec[i] & 1) * GNX_BUF_PAGE;
    }
  }
  return in;
}

/* Keep a mapping (resident bytes of it in memory) for the next buffer, or
 * unmap it when the cache is full. Returns whether it was kept. */
static int gnx__map_keep(void *p, size_t bytes, size_t resident) {
  gnx__cache_lock();
  int kept = gnx__cache.n < GNX_BUF_CACHE_N && gnx__cache.bytes + bytes <= GNX_BUF_CACHE_MAX;
  if (kept) {
    gnx__cache.e[gnx__cache.n++] = (struct gnx__map){p, bytes, resident};
    gnx__cache.bytes += bytes;
    gnx__cache.resident += resident;
  }
  gnx__cache_unlock();
  if (!kept) {
    munmap(p, bytes);
  }
  return kept;
}

static void gnx__map_put(void *p, size_t bytes) {
  pthread_once(&gnx__cache_once, gnx__cache_init);
  (void)gnx__map_keep(p, bytes, gnx__map_resident(p, bytes));
}

static int gnx__is_map(const struct gnx_buf *b) { return b->cap >= GNX_BUF_MAP_MIN; }

/* Release the old memory of b (its first `keep` bytes copied to p first). */
static void gnx__buf_move(struct gnx_buf *b, uint8_t *p, size_t cap, size_t keep) {
  if (keep) {
    memcpy(p, b->data, keep);
  }
  if (gnx__is_map(b)) {
    gnx__map_put(b->data, b->cap);
  } else {
    free(b->data);
  }
  b->data = p;
  b->cap = cap;
}

/* Grow a mapped buffer that holds bytes: mremap moves page tables, not
 * bytes, and keeps the DONTFORK mark. */
static int gnx__map_grow(struct gnx_buf *b, size_t want) {
  void *p = mremap(b->data, b->cap, want, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) {
    return -ENOMEM;
  }
  gnx__made_note(b->cap, want);
  b->data = p;
  b->cap = want;
  return 0;
}

int gnx_buf_reserve(struct gnx_buf *b, size_t cap) {
  if (cap <= b->cap) {
    return 0;
  }
  size_t want = b->cap ? b->cap : 256;
  while (want < cap) {
    want *= 2;
  }
  if (want >= GNX_BUF_MAP_MIN) {
    want = (want + GNX_BUF_PAGE - 1) & ~(GNX_BUF_PAGE - 1);
    if (gnx__is_map(b) && b->len) {
      return gnx__map_grow(b, want);
    }
    size_t got;
    uint8_t *p = gnx__map_get(want, &got);
    if (!p) {
      return -ENOMEM;
    }
    gnx__buf_move(b, p, got, b->len);
    return 0;
  }
  /* An empty buffer's old bytes are dead: realloc would copy all of them. */
  uint8_t *p = b->len ? realloc(b->data, want) : malloc(want);
  if (!p) {
    return -ENOMEM;
  }
  if (b->len) {
    b->data = p;
    b->cap = want;
  } else {
    gnx__buf_move(b, p, want, 0);
  }
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
  if (b->data && gnx__is_map(b)) {
    gnx__map_put(b->data, b->cap);
  } else {
    free(b->data);
  }
  b->data = NULL;
  b->len = b->cap = 0;
}

size_t gnx_buf_cache_mark(void) {
  gnx__cache_lock();
  size_t n = gnx__cache.idle_low = gnx__cache.resident;
  gnx__cache_unlock();
  return n;
}

size_t gnx_buf_cache_idle(void) {
  gnx__cache_lock();
  size_t n = gnx__cache.idle_low;
  gnx__cache_unlock();
  return n;
}

void gnx_buf_cache_drop(void) {
  gnx__cache_lock();
  for (unsigned i = 0; i < gnx__cache.n; i++) {
    munmap(gnx__cache.e[i].p, gnx__cache.e[i].bytes);
  }
  gnx__cache.n = 0;
  gnx__cache.bytes = gnx__cache.resident = gnx__cache.idle_low = 0;
  gnx__cache_unlock();
}

static int gnx__cmp_desc(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? 1 : x > y ? -1 : 0;
}

void gnx_buf_maps_take(uint64_t *sizes, unsigned n) {
  pthread_once(&gnx__cache_once, gnx__cache_init);
  uint64_t m[GNX_BUF_MADE_N];
  gnx__cache_lock();
  memcpy(m, gnx__cache.made, sizeof m);
  memset(gnx__cache.made, 0, sizeof gnx__cache.made);
  gnx__cache_unlock();
  qsort(m, GNX_BUF_MADE_N, sizeof *m, gnx__cmp_desc);
  for (unsigned i = 0; i < n; i++) {
    sizes[i] = i < GNX_BUF_MADE_N ? m[i] : 0;
  }
}

void gnx_buf_cache_prefill(const uint64_t *sizes, unsigned n) {
  pthread_once(&gnx__cache_once, gnx__cache_init);
  for (unsigned i = 0; i < n; i++) {
    size_t bytes = (size_t)sizes[i];
    if (bytes < GNX_BUF_MAP_MIN || bytes % GNX_BUF_PAGE) {
      continue; /* none, or not a size this file maps */
    }
    void *p = gnx__map_make(bytes);
    if (!p) {
      return; /* only slower */
    }
    gnx__made_note(0, bytes); /* the next run's worker makes it again */
    if (!gnx__map_keep(p, bytes, bytes)) { /* populated: all of it resident */
      return;
    }
  }
}
