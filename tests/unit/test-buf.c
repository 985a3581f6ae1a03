/* SPDX-License-Identifier: MIT */
/* Where item buffers' memory lives (core/buf.c): large buffers are kept for
 * the next ones with their pages in memory, forks neither inherit nor
 * write-protect them, and the runner can tell what sat idle. Page faults
 * are counted by the kernel (getrusage), not timed. */
#include <errno.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/bufcache.h"
#include "gnx/buf.h"
#include "tests/test.h"

#define BIG ((size_t)8 << 20) /* a GNN block0 item at n = 100k */
#define PAGES (BIG / 4096)

static long minflt(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

/* Under AddressSanitizer every buffer is malloc's, on purpose (core/buf.c). */
#if defined(__SANITIZE_ADDRESS__)
#define GNX__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GNX__ASAN 1
#endif
#endif

static void skip_unless_mapped(const struct gnx_buf *b) {
  (void)b;
#ifdef GNX__ASAN
  GNX_SKIP("large buffers are malloc's in this build (AddressSanitizer)");
#endif
}

static void fill(struct gnx_buf *b, size_t n, uint8_t v) {
  b->len = 0;
  ASSERT(gnx_buf_extend(b, n) != NULL);
  memset(b->data, v, n);
}

GNX_TEST(large_buffer_kept_for_the_next_with_its_pages) {
  gnx_buf_cache_drop();
  struct gnx_buf a = GNX_BUF_INIT;
  skip_unless_mapped(&a);
  fill(&a, BIG, 1);
  uint8_t *first = a.data;
  gnx_buf_free(&a);
  ASSERT(a.data == NULL && a.cap == 0);
  long f0 = minflt();
  fill(&a, BIG, 2);
  long faults = minflt() - f0;
  ASSERT(a.data == first); /* the same memory came back */
  ASSERT(faults < (long)PAGES / 8);
  gnx_buf_free(&a);
  gnx_buf_cache_drop();
}

GNX_TEST(growing_a_large_buffer_keeps_its_bytes) {
  struct gnx_buf a = GNX_BUF_INIT;
  for (uint32_t i = 0; i < (uint32_t)(BIG / 4); i++) {
    ASSERT_OK(gnx_buf_append(&a, &i, sizeof i));
  }
  for (uint32_t i = 0; i < (uint32_t)(BIG / 4); i += 4099) {
    uint32_t v;
    memcpy(&v, a.data + 4 * (size_t)i, 4);
    ASSERT_EQ_U64(v, i);
  }
  ASSERT_EQ_U64(a.len, BIG);
  gnx_buf_free(&a);
  gnx_buf_cache_drop();
}

GNX_TEST(fork_neither_inherits_nor_write_protects_large_buffers) {
  struct gnx_buf a = GNX_BUF_INIT;
  fill(&a, BIG, 3);
  skip_unless_mapped(&a);
  pid_t pid = fork();
  if (pid == 0) {
    unsigned char v;
    /* not mapped in the child; and the child can make its own */
    int absent = mincore(a.data, 4096, &v) < 0 && errno == ENOMEM;
    struct gnx_buf c = GNX_BUF_INIT;
    fill(&c, BIG, 4);
    int ok = c.data[BIG - 1] == 4;
    gnx_buf_free(&c);
    _exit(absent && ok ? 0 : 1);
  }
  ASSERT(pid > 0);
  int st;
  ASSERT(waitpid(pid, &st, 0) == pid);
  ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  long f0 = minflt();
  memset(a.data, 5, BIG); /* no copy-on-write fault per page */
  ASSERT(minflt() - f0 < (long)PAGES / 8);
  gnx_buf_free(&a);
  gnx_buf_cache_drop();
}

GNX_TEST(idle_kept_memory_is_what_a_run_never_took) {
  gnx_buf_cache_drop();
  struct gnx_buf a = GNX_BUF_INIT, b = GNX_BUF_INIT;
  fill(&a, BIG, 1);
  skip_unless_mapped(&a);
  fill(&b, BIG / 2, 1);
  gnx_buf_free(&a);
  gnx_buf_free(&b);
  size_t kept = gnx_buf_cache_mark(); /* a run starts: both kept, in memory */
  ASSERT(kept >= BIG + BIG / 2);
  fill(&a, BIG / 2, 6); /* the run takes the half-size one */
  ASSERT_EQ_U64(gnx_buf_cache_idle(), kept - BIG / 2);
  gnx_buf_free(&a); /* given back: the idle low mark stays */
  ASSERT_EQ_U64(gnx_buf_cache_idle(), kept - BIG / 2);
  gnx_buf_cache_drop();
  ASSERT_EQ_U64(gnx_buf_cache_mark(), 0);
}

/* A process remembers the sizes of the large buffers it mapped (largest
 * first, one grown by mremap at its last size only), forgets them when asked, and a
 * fresh process given those sizes makes them before it needs them: its
 * buffers then take no page faults (a forked worker's next run,
 * core/bufcache.h). */
GNX_TEST(mapped_sizes_remembered_and_made_ahead_in_a_fresh_process) {
  struct gnx_buf a = GNX_BUF_INIT, b = GNX_BUF_INIT;
  skip_unless_mapped(&a);
  pid_t pid = fork();
  if (pid == 0) { /* a fresh process: the parent's record is not its own */
    uint64_t sizes[4];
    gnx_buf_maps_take(sizes, 4);
    int ok = sizes[0] == 0;
    for (uint32_t i = 0; i < (uint32_t)(BIG / 4); i++) { /* grown in place, page by page */
      ok = ok && gnx_buf_append(&a, &i, sizeof i) == 0;
    }
    fill(&b, BIG / 4, 2); /* a second one */
    gnx_buf_maps_take(sizes, 4);
    ok = ok && sizes[0] == BIG && sizes[1] == BIG / 4 && sizes[2] == 0;
    uint64_t again[4];
    gnx_buf_maps_take(again, 4);
    ok = ok && again[0] == 0; /* taken: forgotten */
    _exit(ok ? 0 : 1);
  }
  ASSERT(pid > 0);
  int st;
  ASSERT(waitpid(pid, &st, 0) == pid);
  ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  pid = fork();
  if (pid == 0) {
    uint64_t sizes[2] = {BIG, BIG / 4};
    gnx_buf_cache_prefill(sizes, 2);
    long f0 = minflt();
    fill(&a, BIG, 3);
    fill(&b, BIG / 4, 4);
    long faults = minflt() - f0;
    uint64_t made[2];
    gnx_buf_maps_take(made, 2); /* made ahead counts as made: the next run's too */
    _exit(faults < (long)PAGES / 8 && made[0] == BIG && made[1] == BIG / 4 ? 0 : 1);
  }
  ASSERT(pid > 0);
  ASSERT(waitpid(pid, &st, 0) == pid);
  ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

GNX_TEST(small_buffers_stay_mallocs) {
  struct gnx_buf a = GNX_BUF_INIT;
  fill(&a, 1000, 7);
  ASSERT(a.cap < ((size_t)128 << 10));
  uint8_t *p = a.data;
  free(p); /* malloc's own: free() accepts it (ASan would say otherwise) */
}
