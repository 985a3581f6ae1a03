/* SPDX-License-Identifier: MIT */
/* gnx/model.h: what an engine's model predicts from, and the small
 * discrete-event simulation every model is written in.
 *
 * A model predicts an engine's wall time (start barrier to last delivery)
 * for one configuration from (a) the serial profile: what each stage cost
 * on each item under serial; (b) the CPUs allowed; (c) machine constants measured at
 * start-up. An engine writes its model as a schedule: phases of workers,
 * each running a range of stages on an item, connected by bounded buffers,
 * with items in flight bounded by a window. gnx_sim_run plays that schedule
 * out, with the CPUs shared among the workers that compute at each moment,
 * so fill, drain, uneven items, a slow sink and oversubscription come out
 * of the simulation instead of being special-cased. */
#ifndef GNX_MODEL_H
#define GNX_MODEL_H

#include <stdint.h>

#include "gnx/option.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The serial profile of one (workload, size). */
struct gnx_profile {
  unsigned n_stages;      /* the workload's stages; stage n_stages is the sink */
  const char *const *names; /* n_stages + 1 names, the sink's last */
  uint64_t items;
  /* cost_s[i * (n_stages + 1) + s]: CPU seconds stage s took on item i
   * (for the sink: its exec span minus the modelled sink wait) in serial's
   * median repetition: what a run typically costs, noise included. */
  double *cost_s;
  /* The same, the cheapest repetition: a cost noise cannot inflate, for
   * bounds (NULL when unknown). */
  double *min_s;
  double sink_wait_s;     /* the workload's modelled sink latency per item (off CPU) */
  double bytes_per_item;  /* bytes an item carries to the sink */
};

/* Constants of this machine, measured at start-up (core/machine.c). */
struct gnx_machine {
  double handoff_s;       /* waking a sleeping thread from another CPU, one way */
  double fork_s;          /* fork, exit and reap of one process */
  double copy_bps;        /* memcpy bandwidth, bytes per second */
  double page_fault_s;    /* one fault on fresh anonymous memory */
  double span_s;          /* recording one trace span (two clock reads and a store) */
};

/* What a model is asked. */
struct gnx_model_in {
  const struct gnx_profile *profile;
  const struct gnx_machine *machine;
  unsigned cpus;          /* CPUs the run may use */
  /* What-ifs: stage s's cost is multiplied by scale[s] (NULL: 1 each);
   * index n_stages is the sink. */
  const double *scale;
};

/* ---- The simulation ------------------------------------------------------ */

#define GNX_SIM_MAX_PHASES 40

/* One group of identical workers. Items enter its input buffer from the
 * phase before (the first phase claims item indexes 0, 1, 2, ...), a free
 * worker takes one, runs stages [lo, hi] on it (lo > hi: no stage, only
 * transport costs; hi may be n_stages: the sink), then puts it into the
 * next phase's buffer, waiting while that is full. */
struct gnx_sim_phase {
  unsigned lo, hi;
  unsigned workers;
  /* Items its input buffer holds (0: unbounded). An in-order phase counts
   * an item from its arrival until it is taken (or, with hold, finished):
   * item i may arrive only while i < next + capacity. */
  unsigned capacity;
  int in_order;           /* takes items in index order only (a sink, a ring) */
  int hold;               /* an item keeps its buffer place until finished (a ring slot) */
  double wake_s;          /* a worker that slept (no input, or no room) waits this long */
  double extra_s;         /* CPU per item besides the stages (queue operations) */
  double sleep_s;         /* time off CPU per item, holding the worker (a deliberate delay) */
  double per_byte_s;      /* CPU per byte of the item (copies between processes) */
  unsigned first_items;   /* the first this many items also pay first_per_byte_s */
  double first_per_byte_s; /* (page faults on fresh shared memory) */
  int timer_wait;         /* the sink wait is a timer: it holds no worker (async) */
};

struct gnx_sim {
  unsigned n_phases;
  struct gnx_sim_phase phase[GNX_SIM_MAX_PHASES];
  /* The first phase may claim item i only while i < delivered + window,
   * delivered counting items the last phase finished (0: unbounded). */
  uint64_t window;
};

/* Play the schedule out on in->cpus CPUs. Returns 0 with *wall_s, or
 * -EINVAL (a malformed schedule), -EDEADLK (it cannot finish: a bug in the
 * model), -ENOMEM. */
int gnx_sim_run(const struct gnx_sim *sim, const struct gnx_model_in *in, double *wall_s);

/* ---- What an engine declares for tuning ---------------------------------- */

enum gnx_knob_kind {
  GNX_KNOB_COUNT = 1, /* a worker count: 1, 2, ... up to the CPUs */
  GNX_KNOB_STAGES,    /* workers per stage ("transform=2,parse=1"), each 1.. the CPUs */
  GNX_KNOB_DEPTH,     /* a buffer size: from its floor, doubling */
};

/* A sizing option the tuner may turn when its value is "auto". */
struct gnx_knob {
  const char *option;     /* the option's name: "workers" */
  enum gnx_knob_kind kind;
  /* DEPTH: the floor, as a multiple of the option `per` (NULL: absolute).
   * The floors are what absorbs the scheduling noise the model cannot see
   * (measured on the engines, see their comments); the tuner only raises
   * a depth where the model says it pays. */
  uint64_t floor;
  const char *per;
};

#define GNX_KNOBS_END {NULL, 0, 0, NULL}

/* An engine's model: its predicted wall for the configuration in cfg
 * (its options, every "auto" already replaced by a value). */
typedef int (*gnx_model_fn)(const struct gnx_model_in *in, const struct gnx_params *cfg,
                            double *wall_s);

#ifdef __cplusplus
}
#endif

#endif
