/* SPDX-License-Identifier: MIT */
/* core/counters.h: hardware and software counters, each with its source.
 *
 * Sources, best first: PAPI (hardware events, when the machine has a PMU
 * and PAPI's perf_event component is enabled), perf_event (kernel software
 * counters: task-clock, context switches, migrations, page faults),
 * getrusage. What cannot be measured carries the reason PAPI or the kernel
 * gave, decided once by gnx_counters_init, never per run.
 *
 * Per run: a perf_event fd per software counter, opened with inherit=1 by
 * the harness around the engine's run(), so threads and forked children
 * are counted. Per worker: per-thread counters (perf_event pid=0 inherit=0,
 * or RUSAGE_THREAD and the thread CPU clock) and a PAPI event set, read at
 * gnx_worker_enter/exit only, into the worker's shared trace record. */
#ifndef GNX_HARNESS_COUNTERS_H
#define GNX_HARNESS_COUNTERS_H

#include <stdint.h>

#include "gnx/engine.h"

enum gnx_ctr_mode { GNX_CTR_AUTO = 0, GNX_CTR_PAPI, GNX_CTR_PERF, GNX_CTR_OFF };

enum gnx_ctr_source { GNX_SRC_NONE = 0, GNX_SRC_PERF, GNX_SRC_RUSAGE, GNX_SRC_PAPI };

/* The four software counters, per run and per worker (wctr[0..3]). */
enum gnx_sw_ctr {
  GNX_SW_TASK_CLOCK = 0, /* ns of CPU */
  GNX_SW_CS,             /* context switches, voluntary + involuntary */
  GNX_SW_MIGRATIONS,     /* CPU migrations */
  GNX_SW_FAULTS,         /* page faults, minor + major */
  GNX_SW__COUNT
};

#define GNX_PAPI_MAX (GNX_TRACE_WCTR_MAX - GNX_SW__COUNT)
#define GNX_CTR_REASON_MAX 256
#define GNX_PAPI_DEFAULT_EVENTS "PAPI_TOT_CYC,PAPI_TOT_INS,PAPI_L1_DCM,PAPI_L3_TCM,PAPI_BR_MSP"

struct gnx_counters {
  int mode;                                  /* enum gnx_ctr_mode */
  /* software counters: where each comes from, or why it is missing */
  int sw_src[GNX_SW__COUNT];                 /* enum gnx_ctr_source */
  char sw_reason[GNX_SW__COUNT][GNX_CTR_REASON_MAX];
  int perf_exclude_kernel;                   /* opened unprivileged */
  int perf_mask;                             /* software counters read by perf_event */
  /* PAPI */
  int papi_ok;                               /* at least one event usable */
  int n_events;
  char events[GNX_PAPI_MAX][64];             /* as the user named them */
  int ev_ok[GNX_PAPI_MAX];
  char ev_reason[GNX_PAPI_MAX][GNX_CTR_REASON_MAX];
  char papi_version[32];
};

/* Decide, once per process, what can be counted. events: comma list of
 * PAPI preset or native names, NULL for the defaults. Returns 0, or
 * GNX_EUSAGE with why set (e.g. too many events). Never fails because a
 * counter is unavailable: that is recorded per counter. */
int gnx_counters_init(struct gnx_counters *c, int mode, const char *events, char *why,
                      size_t len);

/* "auto" -> GNX_CTR_AUTO ...; -1 when unknown. */
int gnx_counters_mode_parse(const char *s);
const char *gnx_counters_mode_name(int mode);
const char *gnx_ctr_source_name(int src);
const char *gnx_sw_ctr_name(int i); /* "task_clock_ns", ... */

/* Per-run, process-wide software counters (inherited by children). */
struct gnx_run_ctr {
  int n_fd;
  int fd[GNX_SW__COUNT];
  int64_t v[GNX_SW__COUNT]; /* -1 when not measured by perf_event */
};
/* Open and start before the engine runs; stop and read after. A counter
 * that cannot be opened now stays -1 (the rusage value is used). */
void gnx_run_ctr_start(const struct gnx_counters *c, struct gnx_run_ctr *r);
void gnx_run_ctr_stop(struct gnx_run_ctr *r);

/* In the worker's thread or process (called by gnx_worker_enter/exit). */
void gnx_counters_worker_begin(struct gnx_worker *w);
void gnx_counters_worker_end(struct gnx_worker *w);

/* PAPI Software Defined Events (harness/sde.c): gnxbench's own
 * measurements, cumulative over the process, as GNXBENCH::<NAME>. Adds one
 * run's trace. No-op without PAPI. */
void gnx_sde_add_trace(const struct gnx_trace *t, unsigned n_stages);
/* Whether this build exports SDEs. */
int gnx_sde_available(void);

#endif
