/* SPDX-License-Identifier: MIT */
/* harness/runner.h: execute one repetition of one engine, measured. Used by
 * `gnxbench run` and by the tests, so both run engines the same way. */
#ifndef GNX_HARNESS_RUNNER_H
#define GNX_HARNESS_RUNNER_H

#include "gnx/engine.h"

struct gnx_run_result {
  int rc;                 /* the engine's return code */
  char errmsg[320];       /* what failed, where, when rc < 0 */
  uint64_t wall_ns;       /* t_start .. t_end: after the start barrier */
  uint64_t startup_ns;    /* t_begin .. t_start: spawning workers */
  uint64_t t_start_ns;    /* the start barrier, CLOCK_MONOTONIC (trace origin) */
  uint64_t sink_bytes;    /* bytes of every item the sink took */
  double user_s, sys_s;   /* CPU time of this process and reaped children */
  long maxrss_kb;         /* peak RSS during the run (self or a child) */
  const char *maxrss_source; /* "VmHWM" (reset per run) or "ru_maxrss" */
  long nvcsw, nivcsw, minflt, majflt;
  /* Software counters of the whole process tree (enum gnx_sw_ctr), each
   * from perf_event (inherited by children) or getrusage; -1 = unavailable.
   * sw_src says which (enum gnx_ctr_source). Unset when counters are off. */
  int counters_on;
  int64_t sw[4];
  int sw_src[4];
  int fault_fired;        /* the --fault fired in this run */
  json_t *summary;        /* owned; NULL on failure */
  struct gnx_trace trace; /* owned: every worker's spans */
};

/* Run engine e on the workload's prepared shared data. Never exits; every
 * failure is in res->rc / res->errmsg. Returns res->rc. */
int gnx_runner_exec(const struct gnx_engine *e, const struct gnx_params *engine_params,
                    const struct gnx_workload *wl, const void *shared,
                    const struct gnx_workload_info *info, const struct gnx_fault *fault,
                    const volatile sig_atomic_t *stop, unsigned cpus,
                    struct gnx_run_result *res);

void gnx_run_result_free(struct gnx_run_result *res);

/* Counters and placement for every later gnx_runner_exec in this process
 * (harness/counters.h, harness/pin.h); NULL for either turns it off. The
 * pointers must stay valid while runs happen. */
void gnx_runner_set_probe(const struct gnx_counters *c, const struct gnx_pin_plan *pin);

/* With off set, the engines' workers record no spans (--trace off: what
 * tracing costs, measured by comparing runs). Serial always traces: its
 * trace is the profile every engine is tuned and predicted from. */
void gnx_runner_set_trace(int off);

/* The words that re-create the cell of every later gnx_runner_exec in a
 * fresh process (gnx_run.cell_argv; NULL: none). They must stay valid
 * while runs happen. */
void gnx_runner_set_cell(const char *const *argv);
/* What every later run in this process carries besides its engine's
 * work: the stages that hold the per-process lock (bit s: stage s, bit
 * n_stages: the sink; 0: none; core/gil.h), and the foreground consumer's
 * CPU per item at the sink (0: none). */
void gnx_runner_set_load(uint64_t gil_mask, uint64_t consumer_ns);

/* CPUs this process may run on (sched_getaffinity). */
unsigned gnx_cpus_allowed(void);

#endif
