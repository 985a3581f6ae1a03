/* SPDX-License-Identifier: MIT */
/* core/sde.c: gnxbench's own measurements as PAPI Software Defined
 * Events, so any PAPI-instrumented tool in this process can read them as
 * sde:::GNXBENCH::<NAME> (docs/counters.md lists the names).
 *
 * The counters are plain long long variables registered once; they are
 * updated from each run's trace after the run, never per item, so they cost
 * the workers nothing. They are cumulative (DELTA): a reader sees what
 * happened between its PAPI_start and PAPI_read. */
#include <stdio.h>
#include <string.h>

#include "core/counters.h"

#ifdef GNX_HAVE_PAPI
#include <pthread.h>
#include <sde_lib.h>

#define GNX_SDE_STAGES 16

static struct {
  long long runs, items, exec_ns, wait_ns;
  long long st_items[GNX_SDE_STAGES], st_exec[GNX_SDE_STAGES], st_wait[GNX_SDE_STAGES];
} gnx__sde;
static pthread_once_t gnx__sde_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t gnx__sde_mu = PTHREAD_MUTEX_INITIALIZER;

static void gnx__sde_register(void) {
  papi_handle_t h = papi_sde_init("GNXBENCH");
  const int f = PAPI_SDE_RO | PAPI_SDE_DELTA;
  papi_sde_register_counter(h, "RUNS", f, PAPI_SDE_long_long, &gnx__sde.runs);
  papi_sde_register_counter(h, "ITEMS", f, PAPI_SDE_long_long, &gnx__sde.items);
  papi_sde_register_counter(h, "EXEC_NS", f, PAPI_SDE_long_long, &gnx__sde.exec_ns);
  papi_sde_register_counter(h, "WAIT_NS", f, PAPI_SDE_long_long, &gnx__sde.wait_ns);
  for (int s = 0; s < GNX_SDE_STAGES; s++) {
    char name[48];
    snprintf(name, sizeof name, "STAGE%d::ITEMS", s);
    papi_sde_register_counter(h, name, f, PAPI_SDE_long_long, &gnx__sde.st_items[s]);
    snprintf(name, sizeof name, "STAGE%d::EXEC_NS", s);
    papi_sde_register_counter(h, name, f, PAPI_SDE_long_long, &gnx__sde.st_exec[s]);
    snprintf(name, sizeof name, "STAGE%d::WAIT_NS", s);
    papi_sde_register_counter(h, name, f, PAPI_SDE_long_long, &gnx__sde.st_wait[s]);
  }
}

int gnx_sde_available(void) { return 1; }

void gnx_sde_add_trace(const struct gnx_trace *t, unsigned n_stages) {
  pthread_once(&gnx__sde_once, gnx__sde_register);
  pthread_mutex_lock(&gnx__sde_mu);
  gnx__sde.runs++;
  for (uint32_t w = 0; w < t->n_workers; w++) {
    const struct gnx_trace_worker *tw = t->workers[w];
    for (uint32_t i = 0; i < tw->len; i++) {
      const struct gnx_span *sp = &tw->spans[i];
      long long d = (long long)(sp->t1 - sp->t0);
      int s = sp->stage < GNX_SDE_STAGES ? sp->stage : -1;
      if (sp->kind == GNX_SPAN_EXEC) {
        gnx__sde.items += sp->stage == n_stages; /* once, when the sink takes it */
        gnx__sde.exec_ns += d;
        if (s >= 0) {
          gnx__sde.st_items[s]++;
          gnx__sde.st_exec[s] += d;
        }
      } else {
        gnx__sde.wait_ns += d;
        if (s >= 0) {
          gnx__sde.st_wait[s] += d;
        }
      }
    }
  }
  pthread_mutex_unlock(&gnx__sde_mu);
}
#else
int gnx_sde_available(void) { return 0; }
void gnx_sde_add_trace(const struct gnx_trace *t, unsigned n_stages) {
  (void)t;
  (void)n_stages;
}
#endif
