/* SPDX-License-Identifier: MIT */
/* bench/wake.c: how long does a thread take to run once released, when it
 * slept on a condition variable, against one that yielded the CPU while it
 * waited? Issue 18: in ETL traces procpool's second worker began its
 * first item 1-4 ms after the first in 3 of 8 runs (2026-12-03), and gates
 * that yield instead of sleeping were tried against that; the walls did
 * not move. This program says why: a yielding
 * waiter runs about 1 us after its release instead of 13-27 us, but both
 * kinds see releases of 1-4 ms now and then, at the same rate of about 1 in
 * 100 (the host preempting the vCPU, not the guest's idle), which no gate
 * can avoid. Figures: docs/benchmarks.md, "ETL's last few percent".
 *
 *   cc -O2 -pthread bench/wake.c -o wake && ./wake [ROUNDS] [IDLE_MS]
 *
 * Each round the waiter waits IDLE_MS (default 5) while the main thread
 * sleeps too, then the main thread releases it and spins until it runs.
 * Prints, per mode, the median, the 90th percentile, the maximum and how
 * many wake-ups took over 1 ms.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t wk_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wk_cv = PTHREAD_COND_INITIALIZER;
static atomic_uint wk_go;     /* the round released */
static atomic_long wk_ran;    /* when the waiter ran, ns */
static int wk_yield;          /* the mode: yield or sleep */

static long wk_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void *wk_waiter(void *arg) {
  unsigned rounds = *(unsigned *)arg;
  for (unsigned r = 1; r <= rounds; r++) {
    if (wk_yield) {
      while (atomic_load(&wk_go) < r) {
        sched_yield();
      }
    } else {
      pthread_mutex_lock(&wk_mu);
      while (atomic_load(&wk_go) < r) {
        pthread_cond_wait(&wk_cv, &wk_mu);
      }
      pthread_mutex_unlock(&wk_mu);
    }
    atomic_store(&wk_ran, wk_now());
  }
  return NULL;
}

static int wk_cmp(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

static void wk_measure(unsigned rounds, unsigned idle_ms, int yield) {
  long *lat = calloc(rounds, sizeof *lat);
  pthread_t t;
  wk_yield = yield;
  atomic_store(&wk_go, 0);
  if (!lat || pthread_create(&t, NULL, wk_waiter, &rounds) != 0) {
    perror("wake");
    exit(1);
  }
  for (unsigned r = 1; r <= rounds; r++) {
    usleep(idle_ms * 1000);
    atomic_store(&wk_ran, 0);
    long t0 = wk_now();
    pthread_mutex_lock(&wk_mu);
    atomic_store(&wk_go, r);
    pthread_cond_signal(&wk_cv);
    pthread_mutex_unlock(&wk_mu);
    while (atomic_load(&wk_ran) == 0) {
    }
    lat[r - 1] = atomic_load(&wk_ran) - t0;
  }
  pthread_join(t, NULL);
  qsort(lat, rounds, sizeof *lat, wk_cmp);
  unsigned slow = 0;
  for (unsigned r = 0; r < rounds; r++) {
    slow += lat[r] > 1000000;
  }
  printf("%-6s rounds %u: median %.1f us, p90 %.1f us, max %.1f us, over 1 ms: %u\n",
         yield ? "yield" : "sleep", rounds, lat[rounds / 2] / 1e3, lat[rounds * 9 / 10] / 1e3,
         lat[rounds - 1] / 1e3, slow);
  free(lat);
}

int main(int argc, char **argv) {
  unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 200;
  unsigned idle_ms = argc > 2 ? (unsigned)atoi(argv[2]) : 5;
  if (rounds < 10 || rounds > 100000) {
    fprintf(stderr, "wake: ROUNDS must be 10 to 100000\n");
    return 2;
  }
  for (int k = 0; k < 2; k++) { /* alternate, so drift hits both */
    wk_measure(rounds / 2, idle_ms, 0);
    wk_measure(rounds / 2, idle_ms, 1);
  }
  return 0;
}
