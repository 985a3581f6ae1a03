/* SPDX-License-Identifier: MIT */
/* engines/common/queue.c: the bounded queue between pipeline stages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/queue.h"

int gnx_queue_init(struct gnx_queue *q, unsigned cap, unsigned producers, uint64_t spin_ns) {
  memset(q, 0, sizeof *q);
  if (cap == 0) {
    return -EINVAL;
  }
  q->slot = calloc(cap, sizeof *q->slot);
  if (!q->slot) {
    return -ENOMEM;
  }
  int rc = pthread_mutex_init(&q->mu, NULL);
  if (rc == 0) {
    rc = pthread_cond_init(&q->can_pop, NULL);
    if (rc == 0) {
      rc = pthread_cond_init(&q->can_push, NULL);
      if (rc != 0) {
        pthread_cond_destroy(&q->can_pop);
      }
    }
    if (rc != 0) {
      pthread_mutex_destroy(&q->mu);
    }
  }
  if (rc != 0) {
    free(q->slot);
    q->slot = NULL;
    return -rc;
  }
  q->cap = cap;
  q->spin_ns = spin_ns;
  atomic_init(&q->count, 0);
  atomic_init(&q->producers, producers);
  atomic_init(&q->aborted, 0);
  return 0;
}

void gnx_queue_destroy(struct gnx_queue *q) {
  if (!q->slot) {
    return;
  }
  for (unsigned k = 0; k < q->cap; k++) {
    gnx_buf_free(&q->slot[k].buf);
  }
  free(q->slot);
  q->slot = NULL;
  pthread_cond_destroy(&q->can_pop);
  pthread_cond_destroy(&q->can_push);
  pthread_mutex_destroy(&q->mu);
}

/* Spin (no lock) until the queue may have room. */
static int gnx__queue_room_or_over(void *arg) {
  struct gnx_queue *q = arg;
  return atomic_load_explicit(&q->count, memory_order_relaxed) < q->cap ||
         atomic_load_explicit(&q->aborted, memory_order_relaxed);
}

/* Spin (no lock) until the queue may have an item, or is over. */
static int gnx__queue_item_or_over(void *arg) {
  struct gnx_queue *q = arg;
  return atomic_load_explicit(&q->count, memory_order_relaxed) > 0 ||
         atomic_load_explicit(&q->producers, memory_order_relaxed) == 0 ||
         atomic_load_explicit(&q->aborted, memory_order_relaxed);
}

int gnx_queue_push(struct gnx_queue *q, uint64_t item, struct gnx_buf *b, struct gnx_worker *w,
                   unsigned stage) {
  /* The whole call is the hand-off: waiting for room, the lock, waking a
   * consumer (a futex call of microseconds on a VM) all count as wait_out,
   * so no time between the worker's spans goes unaccounted. */
  uint64_t t0 = gnx_now_ns();
  if (atomic_load_explicit(&q->count, memory_order_relaxed) >= q->cap) {
    gnx_spin_until(gnx__queue_room_or_over, q, q->spin_ns);
  }
  pthread_mutex_lock(&q->mu);
  unsigned n;
  while ((n = atomic_load_explicit(&q->count, memory_order_relaxed)) >= q->cap &&
         !atomic_load_explicit(&q->aborted, memory_order_relaxed)) {
    q->push_waiters++;
    pthread_cond_wait(&q->can_push, &q->mu);
    q->push_waiters--;
  }
  int rc = 0;
  if (atomic_load_explicit(&q->aborted, memory_order_relaxed)) {
    rc = -ECANCELED;
  } else {
    struct gnx_queue_slot *s = &q->slot[(q->head + n) % q->cap];
    s->item = item;
    gnx_buf_swap(&s->buf, b);
    atomic_store_explicit(&q->count, n + 1, memory_order_relaxed);
    if (q->pop_waiters) {
      pthread_cond_signal(&q->can_pop);
    }
  }
  pthread_mutex_unlock(&q->mu);
  if (w) {
    gnx_worker_waited(w, GNX_SPAN_WAIT_OUT, stage, item, t0);
  }
  return rc;
}

int gnx_queue_pop(struct gnx_queue *q, uint64_t *item, struct gnx_buf *b, struct gnx_worker *w,
                  unsigned stage) {
  uint64_t t0 = gnx_now_ns(); /* the whole call is the wait for input */
  if (atomic_load_explicit(&q->count, memory_order_relaxed) == 0) {
    gnx_spin_until(gnx__queue_item_or_over, q, q->spin_ns);
  }
  pthread_mutex_lock(&q->mu);
  unsigned n;
  while ((n = atomic_load_explicit(&q->count, memory_order_relaxed)) == 0 &&
         atomic_load_explicit(&q->producers, memory_order_relaxed) > 0 &&
         !atomic_load_explicit(&q->aborted, memory_order_relaxed)) {
    q->pop_waiters++;
    pthread_cond_wait(&q->can_pop, &q->mu);
    q->pop_waiters--;
  }
  int rc;
  uint64_t got = GNX_ITEM_NONE;
  if (atomic_load_explicit(&q->aborted, memory_order_relaxed)) {
    rc = -ECANCELED;
  } else if (n == 0) {
    rc = 0; /* closed and drained */
  } else {
    struct gnx_queue_slot *s = &q->slot[q->head];
    got = s->item;
    gnx_buf_swap(&s->buf, b);
    q->head = (q->head + 1) % q->cap;
    atomic_store_explicit(&q->count, n - 1, memory_order_relaxed);
    if (q->push_waiters) {
      pthread_cond_signal(&q->can_push);
    }
    rc = 1;
  }
  pthread_mutex_unlock(&q->mu);
  if (w) {
    /* The span is on the item that ended the wait (none at the end). */
    gnx_worker_waited(w, GNX_SPAN_WAIT_IN, stage, got, t0);
  }
  if (rc == 1) {
    *item = got;
  }
  return rc;
}

void gnx_queue_producer_done(struct gnx_queue *q) {
  pthread_mutex_lock(&q->mu);
  if (atomic_fetch_sub_explicit(&q->producers, 1, memory_order_relaxed) == 1) {
    pthread_cond_broadcast(&q->can_pop);
  }
  pthread_mutex_unlock(&q->mu);
}

void gnx_queue_abort(struct gnx_queue *q) {
  pthread_mutex_lock(&q->mu);
  atomic_store_explicit(&q->aborted, 1, memory_order_relaxed);
  pthread_cond_broadcast(&q->can_pop);
  pthread_cond_broadcast(&q->can_push);
  pthread_mutex_unlock(&q->mu);
}
