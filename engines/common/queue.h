/* SPDX-License-Identifier: MIT */
/* engines/common/queue.h: a bounded multi-producer, multi-consumer queue of
 * items between two pipeline stages (threads of one process).
 *
 * Items move by swapping buffers, never by copying: push hands the queue the
 * producer's full buffer and takes back the spare buffer the slot held (one a
 * consumer left there earlier), pop does the reverse. Buffers circulate, so in
 * steady state nothing is allocated per item. A waiting thread spins for
 * `spin_ns` (no lock held) before sleeping on a condition variable: sleeping
 * and being woken across CPUs costs tens of microseconds on small VMs. */
#ifndef GNX_ENGINES_QUEUE_H
#define GNX_ENGINES_QUEUE_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include "gnx/engine.h"

struct gnx_queue_slot {
  uint64_t item;
  struct gnx_buf buf;
};

struct gnx_queue {
  pthread_mutex_t mu;
  pthread_cond_t can_pop;  /* signalled when an item arrives or all is over */
  pthread_cond_t can_push; /* signalled when a slot frees */
  struct gnx_queue_slot *slot;
  unsigned cap;
  unsigned head;                /* next slot to pop (under mu) */
  _Atomic unsigned count;       /* items queued: written under mu, read anywhere */
  _Atomic unsigned producers;   /* still producing; 0 means closed */
  _Atomic int aborted;
  unsigned pop_waiters, push_waiters; /* sleeping threads (under mu) */
  uint64_t spin_ns;
};

static inline void gnx_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Spin until done(arg) is nonzero or ns have passed; returns done's last
 * value. Reads the clock only every 64 rounds. */
static inline int gnx_spin_until(int (*done)(void *), void *arg, uint64_t ns) {
  if (!ns) {
    return done(arg);
  }
  uint64_t end = gnx_now_ns() + ns;
  for (unsigned k = 1;; k++) {
    int d = done(arg);
    if (d) {
      return d;
    }
    gnx_cpu_relax();
    if ((k & 63) == 0 && gnx_now_ns() >= end) {
      return done(arg);
    }
  }
}

/* How long a worker at a start gate yields before it sleeps. Asleep, it is
 * woken by whoever opens the gate onto that thread's CPU, behind it, while
 * another CPU idles until the next balancing tick (1-4 ms on the 2-vCPU
 * VM); yielding, it keeps its own CPU (gnx_pin_worker_spread put it there)
 * and still lets a thread that shares the CPU run. Workers arrive within
 * about 0.1 ms of each other, so the bound is rarely reached. */
#define GNX_GATE_SPIN_NS 10000000ull

/* Yield the CPU until done(arg) is nonzero or ns have passed; returns
 * done's last value. */
static inline int gnx_yield_until(int (*done)(void *), void *arg, uint64_t ns) {
  uint64_t end = gnx_now_ns() + ns;
  for (;;) {
    int d = done(arg);
    if (d || gnx_now_ns() >= end) {
      return d;
    }
    sched_yield();
  }
}

/* A queue of cap items fed by `producers` threads. Returns 0 or -ENOMEM
 * (or a pthread error as -errno). */
int gnx_queue_init(struct gnx_queue *q, unsigned cap, unsigned producers, uint64_t spin_ns);

/* Free the slots' buffers and the queue. No thread may still use it. */
void gnx_queue_destroy(struct gnx_queue *q);

/* Put item (its bytes in *b) at the tail, waiting while the queue is full;
 * *b comes back holding a spare buffer. A wait is recorded on w as a
 * wait_out span of `stage`. Returns 0, or -ECANCELED after gnx_queue_abort. */
int gnx_queue_push(struct gnx_queue *q, uint64_t item, struct gnx_buf *b,
                   struct gnx_worker *w, unsigned stage);

/* Take the head item into *b (its old buffer becomes the slot's spare),
 * waiting while the queue is empty; the wait is a wait_in span of `stage`.
 * Returns 1 with *item set, 0 when every producer is done and the queue is
 * empty, or -ECANCELED after gnx_queue_abort. */
int gnx_queue_pop(struct gnx_queue *q, uint64_t *item, struct gnx_buf *b,
                  struct gnx_worker *w, unsigned stage);

/* One producer has finished; after the last one, poppers drain and get 0. */
void gnx_queue_producer_done(struct gnx_queue *q);

/* Wake every waiter and make every later push or pop return -ECANCELED. */
void gnx_queue_abort(struct gnx_queue *q);

#endif
