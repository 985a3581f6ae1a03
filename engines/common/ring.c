/* SPDX-License-Identifier: MIT */
/* engines/common/ring.c: a bounded, in-order ring of item slots shared by
 * forked processes (see ring.h).
 *
 * Why futexes and not one free/full semaphore pair per slot: several
 * producers may wait on the same slot for different items (item i and item
 * i + slots, claimed by two workers), and a semaphore post wakes an arbitrary
 * waiter, which may be the wrong one. Each slot instead carries a 32-bit
 * sequence word saying exactly which item may be written or read next; waiters
 * sleep on that word with FUTEX_WAIT (shared, not private: the mapping is
 * MAP_SHARED, so the key is the page and works across fork) and wakers
 * broadcast. A waiter count keeps the fast path free of system calls. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/queue.h"
#include "common/ring.h"

/* Sleep at most this long per wait before asking `poll` whether to give up. */
#define GNX_RING_POLL_NS 2000000u
/* Default spin before sleeping: a cross-CPU wake-up costs ~30 us on small
 * VMs, but a spinning waiter steals a CPU when processes outnumber CPUs, so
 * callers can change it (gnx_ring_set_spin). */
#define GNX_RING_SPIN_NS 20000u
#define GNX_RING_LINE 64
#define GNX_RING_PAGE 4096

/* Per slot, on its own cache line. seq encodes the slot's state for round
 * r = item / slots: 2r = free for item r*slots+k, 2r+1 = holds that item. */
struct gnx_ring_slot {
  _Atomic uint32_t seq;
  _Atomic uint32_t waiters;
  uint64_t item;
  uint64_t len;
  char pad[GNX_RING_LINE - 24];
};

struct gnx_ring {
  size_t map_size;
  size_t slot_bytes;
  size_t data_off; /* from the mapping's start to slot 0's bytes */
  size_t stride;   /* between slots' bytes (page aligned) */
  uint64_t spin_ns;
  unsigned slots;
  /* Each shared counter on its own cache line. */
  _Alignas(GNX_RING_LINE) _Atomic uint64_t claim; /* gnx_ring_claim */
  _Alignas(GNX_RING_LINE) _Atomic uint32_t gate_arrived; /* workers at the start gate */
  _Atomic uint32_t gate_open;    /* 1 once the parent opened it */
  _Atomic uint32_t gate_waiters;
  _Alignas(GNX_RING_LINE) struct gnx_ring_slot slot[]; /* then, page aligned, the slots' bytes */
};

_Static_assert(sizeof(struct gnx_ring_slot) == GNX_RING_LINE, "slot header is one line");

static int gnx__futex_wait(_Atomic uint32_t *word, uint32_t expect, uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  /* Relative timeout, measured against CLOCK_MONOTONIC. */
  long rc = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expect, &ts, NULL, 0);
  return rc < 0 ? -errno : 0;
}

static void gnx__futex_wake_all(_Atomic uint32_t *word) {
  (void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Wait until *word == want: spin briefly, then sleep in slices of
 * GNX_RING_POLL_NS, calling poll after each slice. Returns 0 or poll's value.
 * *waited is set when the caller had to wait at all (for the trace). */
static int gnx__ring_wait(_Atomic uint32_t *word, _Atomic uint32_t *waiters, uint32_t want,
                          uint64_t spin_ns, gnx_ring_poll_fn poll, void *arg, int *waited) {
  uint32_t cur = atomic_load_explicit(word, memory_order_acquire);
  if (cur == want) {
    return 0;
  }
  *waited = 1;
  uint64_t spin_end = gnx_now_ns() + spin_ns;
  for (unsigned k = 0; spin_ns; k++) {
    gnx_cpu_relax();
    if (atomic_load_explicit(word, memory_order_acquire) == want) {
      return 0;
    }
    if ((k & 63) == 63 && gnx_now_ns() >= spin_end) {
      break;
    }
  }
  for (;;) {
    atomic_fetch_add(waiters, 1);
    cur = atomic_load(word); /* seq_cst: pairs with the waker's store + load */
    if (cur != want) {
      (void)gnx__futex_wait(word, cur, GNX_RING_POLL_NS); /* EAGAIN, ETIMEDOUT, EINTR: recheck */
    }
    atomic_fetch_sub(waiters, 1);
    if (atomic_load_explicit(word, memory_order_acquire) == want) {
      return 0;
    }
    if (poll) {
      int rc = poll(arg);
      if (rc) {
        return rc;
      }
    }
  }
}

static void gnx__ring_set(_Atomic uint32_t *word, _Atomic uint32_t *waiters, uint32_t v) {
  atomic_store(word, v); /* seq_cst: orders against the waiter-count load */
  if (atomic_load(waiters)) {
    gnx__futex_wake_all(word);
  }
}

int gnx_ring_new(struct gnx_ring **out, unsigned slots, size_t slot_bytes) {
  *out = NULL;
  if (slots == 0 || slots > (1u << 20) || slot_bytes == 0 ||
      slot_bytes > ((size_t)1 << 40)) {
    return -EINVAL;
  }
  size_t head = sizeof(struct gnx_ring) + (size_t)slots * sizeof(struct gnx_ring_slot);
  size_t data_off = (head + GNX_RING_PAGE - 1) & ~(size_t)(GNX_RING_PAGE - 1);
  size_t stride = (slot_bytes + GNX_RING_PAGE - 1) & ~(size_t)(GNX_RING_PAGE - 1);
  size_t size;
  if (__builtin_mul_overflow(stride, (size_t)slots, &size) ||
      __builtin_add_overflow(size, data_off, &size)) {
    return -EINVAL;
  }
  /* Shared and anonymous: inherited across fork, nothing named to leak;
   * NORESERVE: only the pages items are written into get committed. */
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) {
    return -ENOMEM;
  }
  struct gnx_ring *r = p; /* the mapping is zero-filled */
  r->map_size = size;
  r->slot_bytes = slot_bytes;
  r->data_off = data_off;
  r->stride = stride;
  r->slots = slots;
  r->spin_ns = GNX_RING_SPIN_NS;
  *out = r;
  return 0;
}

void gnx_ring_free(struct gnx_ring *r) {
  if (r) {
    munmap(r, r->map_size);
  }
}

static inline uint8_t *gnx__ring_data(struct gnx_ring *r, unsigned k) {
  return (uint8_t *)r + r->data_off + (size_t)k * r->stride;
}

int gnx_ring_gate_open(struct gnx_ring *r, unsigned n, struct gnx_run *run,
                       gnx_ring_poll_fn poll, void *arg) {
  for (;;) {
    uint32_t a = atomic_load(&r->gate_arrived);
    if (a >= n) {
      break;
    }
    atomic_fetch_add(&r->gate_waiters, 1);
    (void)gnx__futex_wait(&r->gate_arrived, a, GNX_RING_POLL_NS);
    atomic_fetch_sub(&r->gate_waiters, 1);
    if (atomic_load(&r->gate_arrived) >= n) {
      break;
    }
    if (poll) {
      int rc = poll(arg);
      if (rc) {
        return rc;
      }
    }
  }
  if (run) {
    gnx_run_started(run);
  }
  atomic_store(&r->gate_open, 1);
  gnx__futex_wake_all(&r->gate_open);
  return 0;
}

static int gnx__ring_gate_is_open(void *r) {
  return atomic_load(&((struct gnx_ring *)r)->gate_open) != 0;
}

int gnx_ring_gate_arrive_and_wait(struct gnx_ring *r, gnx_ring_poll_fn poll, void *arg) {
  atomic_fetch_add(&r->gate_arrived, 1);
  if (atomic_load(&r->gate_waiters)) {
    gnx__futex_wake_all(&r->gate_arrived);
  }
  if (gnx_yield_until(gnx__ring_gate_is_open, r, GNX_GATE_SPIN_NS)) {
    return 0;
  }
  int waited = 0;
  return gnx__ring_wait(&r->gate_open, &r->gate_waiters, 1, 0, poll, arg, &waited);
}

int gnx_ring_put(struct gnx_ring *r, uint64_t item, const struct gnx_buf *b,
                 struct gnx_worker *w, unsigned stage, gnx_ring_poll_fn poll, void *arg) {
  if (b->len > r->slot_bytes) {
    return GNX_ETOOBIG;
  }
  unsigned k = (unsigned)(item % r->slots);
  uint32_t round = (uint32_t)(item / r->slots);
  struct gnx_ring_slot *s = &r->slot[k];
  uint64_t t0 = gnx_now_ns();
  int waited = 0;
  int rc = gnx__ring_wait(&s->seq, &s->waiters, 2 * round, r->spin_ns, poll, arg, &waited);
  if (waited && w) {
    t0 = gnx_worker_waited(w, GNX_SPAN_WAIT_OUT, stage, item, t0);
  }
  if (rc) {
    return rc;
  }
  if (b->len) {
    memcpy(gnx__ring_data(r, k), b->data, b->len);
  }
  s->item = item;
  s->len = b->len;
  gnx__ring_set(&s->seq, &s->waiters, 2 * round + 1);
  if (w) { /* the copy, and waking the consumer: what crossing processes costs */
    gnx_worker_waited(w, GNX_SPAN_COPY, stage, item, t0);
  }
  return 0;
}

int gnx_ring_get(struct gnx_ring *r, uint64_t item, const uint8_t **data, size_t *len,
                 struct gnx_worker *w, unsigned stage, gnx_ring_poll_fn poll, void *arg) {
  unsigned k = (unsigned)(item % r->slots);
  uint32_t round = (uint32_t)(item / r->slots);
  struct gnx_ring_slot *s = &r->slot[k];
  uint64_t t0 = gnx_now_ns();
  int waited = 0;
  int rc = gnx__ring_wait(&s->seq, &s->waiters, 2 * round + 1, r->spin_ns, poll, arg,
                          &waited);
  if (w) { /* the whole call: a wait, or the check that the item is there */
    gnx_worker_waited(w, GNX_SPAN_WAIT_IN, stage, item, t0);
  }
  if (rc) {
    return rc;
  }
  *data = gnx__ring_data(r, k);
  *len = (size_t)s->len;
  return 0;
}

void gnx_ring_release(struct gnx_ring *r, uint64_t item) {
  unsigned k = (unsigned)(item % r->slots);
  uint32_t round = (uint32_t)(item / r->slots);
  struct gnx_ring_slot *s = &r->slot[k];
  gnx__ring_set(&s->seq, &s->waiters, 2 * (round + 1));
}

uint64_t gnx_ring_claim(struct gnx_ring *r) {
  return atomic_fetch_add_explicit(&r->claim, 1, memory_order_relaxed);
}

size_t gnx_ring_slot_bytes(const struct gnx_ring *r) { return r->slot_bytes; }

void gnx_ring_set_spin(struct gnx_ring *r, uint64_t ns) { r->spin_ns = ns; }

int gnx_ring_send(struct gnx_run *run, struct gnx_ring *r, uint64_t item,
                  const struct gnx_buf *b, struct gnx_worker *w, unsigned stage,
                  gnx_ring_poll_fn poll, void *arg) {
  int rc = gnx_ring_put(r, item, b, w, stage, poll, arg);
  if (rc == GNX_ETOOBIG) {
    return gnx_run_fail(run, rc,
                        "item %llu is %zu bytes, more than a ring slot holds (%zu; raise "
                        "--slot-bytes)",
                        (unsigned long long)item, b->len, r->slot_bytes);
  }
  if (rc < 0) {
    return gnx_run_fail(run, rc, "worker %s could not hand item %llu on: %s",
                        w ? w->tw->name : "?", (unsigned long long)item, gnx_strerror(rc));
  }
  return rc;
}
