/* SPDX-License-Identifier: MIT */
/* core/gil.c: the per-process lock of --gil (core/gil.h). */
#include <pthread.h>

#include "core/gil.h"
#include "core/run.h"

static pthread_mutex_t gnx__gil = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t gnx__gil_once = PTHREAD_ONCE_INIT;

/* A forked child starts with its own lock, free: the parent's holder (a
 * thread that does not exist in the child) must not keep it locked. */
static void gnx__gil_child(void) {
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  gnx__gil = fresh;
}

static void gnx__gil_register(void) { (void)pthread_atfork(NULL, NULL, gnx__gil_child); }

int gnx_gil_take(struct gnx_worker *w, unsigned stage, uint64_t item) {
  const struct gnx_run_core *core = w->run->core;
  if (!core || stage > 63 || !((core->gil_mask >> stage) & 1)) {
    return 0;
  }
  pthread_once(&gnx__gil_once, gnx__gil_register);
  if (pthread_mutex_trylock(&gnx__gil) != 0) { /* contended: the wait is the finding */
    uint64_t t0 = gnx_now_ns();
    pthread_mutex_lock(&gnx__gil);
    gnx_worker_waited(w, GNX_SPAN_WAIT_LOCK, stage, item, t0);
  }
  return 1;
}

void gnx_gil_drop(int taken) {
  if (taken) {
    pthread_mutex_unlock(&gnx__gil);
  }
}
