/* SPDX-License-Identifier: MIT */
/* core/machine.c: the machine constants the engines' models use, measured
 * at start-up in about 30 ms. Each is the best (or the median, for the
 * wake-up, which is bimodal on VMs) of a few short trials: a constant, not
 * a sample of the host's noise. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/profile.h"

static double gnx__secs(uint64_t t0, uint64_t t1) { return (double)(t1 - t0) / 1e9; }

static int gnx__dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* One fault on fresh anonymous memory: the best of three passes over 4 MiB. */
static double gnx__page_fault_s(void) {
  const size_t len = 4u << 20, page = (size_t)sysconf(_SC_PAGESIZE);
  double best = NAN;
  for (int pass = 0; pass < 3; pass++) {
    volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      return NAN;
    }
    uint64_t t0 = gnx_now_ns();
    for (size_t i = 0; i < len; i += page) {
      p[i] = 1;
    }
    double t = gnx__secs(t0, gnx_now_ns()) / (double)(len / page);
    munmap((void *)p, len);
    best = isnan(best) || t < best ? t : best;
  }
  return best;
}

/* memcpy of 8 MiB between warm buffers: the best of five. */
static double gnx__copy_bps(void) {
  const size_t len = 8u << 20;
  char *a = malloc(len), *b = malloc(len);
  double best = NAN;
  if (a && b) {
    memset(a, 1, len);
    memset(b, 2, len);
    for (int pass = 0; pass < 5; pass++) {
      uint64_t t0 = gnx_now_ns();
      memcpy(b, a, len);
      __asm__ __volatile__("" : : "r"(b) : "memory"); /* keep the copy */
      double bps = (double)len / gnx__secs(t0, gnx_now_ns());
      best = isnan(best) || bps > best ? bps : best;
    }
  }
  free(a);
  free(b);
  return best;
}

/* fork, _exit, waitpid: the best of ten. */
static double gnx__fork_s(void) {
  double best = NAN;
  for (int k = 0; k < 10; k++) {
    uint64_t t0 = gnx_now_ns();
    pid_t pid = fork();
    if (pid == 0) {
      _exit(0);
    }
    if (pid < 0) {
      return best;
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    double t = gnx__secs(t0, gnx_now_ns());
    best = isnan(best) || t < best ? t : best;
  }
  return best;
}

/* A condition-variable ping-pong between two threads: one hand-off is
 * half a round trip. */
struct gnx__pingpong {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int turn, rounds;
};

static void *gnx__pong(void *arg) {
  struct gnx__pingpong *pp = arg;
  pthread_mutex_lock(&pp->mu);
  for (int r = 0; r < pp->rounds; r++) {
    while (pp->turn != 1) {
      pthread_cond_wait(&pp->cv, &pp->mu);
    }
    pp->turn = 0;
    pthread_cond_broadcast(&pp->cv);
  }
  pthread_mutex_unlock(&pp->mu);
  return NULL;
}

static double gnx__handoff_s(void) {
  enum { ROUNDS = 200 };
  struct gnx__pingpong pp = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, ROUNDS};
  double rtt[ROUNDS];
  pthread_t t;
  if (pthread_create(&t, NULL, gnx__pong, &pp) != 0) {
    return NAN;
  }
  pthread_mutex_lock(&pp.mu);
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t t0 = gnx_now_ns();
    pp.turn = 1;
    pthread_cond_broadcast(&pp.cv);
    while (pp.turn != 0) {
      pthread_cond_wait(&pp.cv, &pp.mu);
    }
    rtt[r] = gnx__secs(t0, gnx_now_ns());
  }
  pthread_mutex_unlock(&pp.mu);
  pthread_join(t, NULL);
  qsort(rtt, ROUNDS, sizeof rtt[0], gnx__dbl_cmp);
  return rtt[ROUNDS / 2] / 2;
}

/* What one span costs the worker that records it: the clock read that
 * ends it and the store (its start is the previous span's end). */
static double gnx__span_s(void) {
  enum { N = 4096 };
  struct gnx_trace t;
  if (gnx_trace_init(&t, 1, N) < 0) {
    return NAN;
  }
  struct gnx_trace_worker *w = gnx_trace_worker_add(&t, "probe", 0);
  double best = NAN;
  for (int pass = 0; pass < 3 && w; pass++) {
    w->len = 0;
    uint64_t t0 = gnx_now_ns(), prev = t0;
    for (uint32_t i = 0; i < N; i++) {
      uint64_t now = gnx_now_ns();
      gnx_span_add(w, prev, now, i, 0, GNX_SPAN_EXEC);
      prev = now;
    }
    double s = gnx__secs(t0, gnx_now_ns()) / N;
    best = isnan(best) || s < best ? s : best;
  }
  gnx_trace_free(&t);
  return best;
}

void gnx_machine_measure(struct gnx_machine *m) {
  m->page_fault_s = gnx__page_fault_s();
  m->copy_bps = gnx__copy_bps();
  m->fork_s = gnx__fork_s();
  m->handoff_s = gnx__handoff_s();
  m->span_s = gnx__span_s();
}
