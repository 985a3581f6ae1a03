/* SPDX-License-Identifier: MIT */
/* engines/subproc.c: the threads pipeline runs in ONE forked child; the
 * parent only consumes, as a foreground consumer would (the "pipeline in a
 * subprocess" design: the pipeline's threads cannot disturb the consumer's
 * process, and a crash in the pipeline cannot take the consumer down).
 *
 * The child's delivering thread ("ring.put", a transport worker of no
 * stage) copies each in-order item into a shared-memory ring
 * (engines/common/ring.c); the parent reads it in place, hands it to the
 * sink and releases the slot. Every worker, the parent's sink included, is
 * registered in the parent before the fork, so one shared trace holds both
 * processes. The child never touches the workload's sink. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/options.h"
#include "common/pipeline.h"
#include "common/ring.h"
#include "gnx/engine.h"

#define SUBPROC_RING_SLOTS 8 /* when --ring-slots is auto and not tuned */
/* After its last item the child ends on its own; past this it is killed. */
#define SUBPROC_EXIT_NS 30000000000ull

static const struct gnx_option subproc_options[] = {
    GNX_PIPELINE_OPTIONS,
    GNX_OPTION_RING_SLOTS,
    GNX_OPTION_SLOT_BYTES,
    GNX_OPTIONS_END,
};

struct subproc {
  struct gnx_run *run;
  struct gnx_ring *ring;
  pid_t parent;
  struct gnx_child child;
  int exit_seen; /* parent polls that found the child already gone */
};

/* ---- the child ------------------------------------------------------------- */

/* The child gives up its waits when the parent is gone or a stop came. */
static int subproc_child_poll(void *arg) {
  struct subproc *sp = arg;
  if (getppid() != sp->parent) {
    return GNX_EWORKER;
  }
  return gnx_run_check(sp->run);
}

/* All pipeline threads wait at their gate: pass the cross-process gate. */
static int subproc_child_ready(void *arg) {
  struct subproc *sp = arg;
  return gnx_ring_gate_arrive_and_wait(sp->ring, subproc_child_poll, sp);
}

static int subproc_child_deliver(void *arg, struct gnx_worker *feeder, uint64_t item,
                                 struct gnx_buf *buf) {
  struct subproc *sp = arg;
  return gnx_ring_send(sp->run, sp->ring, item, buf, feeder, feeder->run->wl->n_stages,
                       subproc_child_poll, sp);
}

static __attribute__((noreturn)) void subproc_child(struct subproc *sp,
                                                    const struct gnx_pipeline_cfg *cfg,
                                                    struct gnx_worker *ws,
                                                    struct gnx_worker *feeder) {
  gnx_pipeline_thread_batch(); /* the child's delivering thread, like its workers */
  int rc = gnx_worker_enter(feeder);
  if (rc == 0) {
    rc = gnx_pipeline_run_workers(sp->run, cfg, ws, feeder, subproc_child_ready,
                                  subproc_child_deliver, sp);
  }
  gnx_worker_exit(feeder);
  gnx_child_exit(sp->run, rc);
}

/* ---- the parent ------------------------------------------------------------ */

/* The parent's ring poll: a stop request or failure, or the child's end. */
static int subproc_parent_poll(void *arg) {
  struct subproc *sp = arg;
  int rc = gnx_run_check(sp->run);
  if (rc == 0 && sp->child.pid > 0) {
    rc = gnx_child_reap(sp->run, &sp->child, 0) < 0 ? gnx_run_failed(sp->run) : 0;
  }
  if (rc == 0 && sp->child.pid == 0) {
    rc = gnx_run_failed(sp->run);
    /* It exited cleanly: what it published may have landed just before the
     * poll ran, so look once more before calling it lost. */
    if (rc == 0 && sp->exit_seen++ > 0) {
      rc = gnx_run_fail(sp->run, GNX_EWORKER,
                        "subproc pipeline process exited before every item reached the sink");
    }
  }
  return rc;
}

/* Wait for the child to end: at once (SIGKILL) after a failure; after
 * success it ends on its own, and is killed if that takes longer than
 * SUBPROC_EXIT_NS or a stop is requested. */
static int subproc_reap(struct subproc *sp, int rc) {
  uint64_t deadline = gnx_now_ns() + SUBPROC_EXIT_NS;
  while (rc == 0 && sp->child.pid > 0 && gnx_child_reap(sp->run, &sp->child, 0) == 0) {
    rc = gnx_run_check(sp->run);
    if (rc == 0 && gnx_now_ns() > deadline) {
      rc = gnx_run_fail(sp->run, GNX_EWORKER,
                        "subproc pipeline process (pid %d) did not exit within %llu s of its "
                        "last item",
                        (int)sp->child.pid, SUBPROC_EXIT_NS / 1000000000ull);
    }
    gnx_sleep_ns(1000000);
  }
  gnx_child_kill(sp->run, &sp->child);
  return gnx_run_failed(sp->run);
}

static int subproc_consume(struct subproc *sp, struct gnx_worker *sink) {
  struct gnx_run *run = sp->run;
  int rc = gnx_ring_gate_open(sp->ring, 1, run, subproc_parent_poll, sp);
  for (uint64_t i = 0; rc == 0 && i < run->info->items; i++) {
    const uint8_t *data;
    size_t len;
    rc = gnx_ring_get(sp->ring, i, &data, &len, sink, run->wl->n_stages, subproc_parent_poll,
                      sp);
    if (rc == 0) {
      /* The sink reads the item in place: no copy out of the ring. */
      struct gnx_buf view = {(uint8_t *)data, len, 0}; /* cap 0: not ours to free */
      rc = gnx_run_deliver(run, sink, i, &view, 0);
      gnx_ring_release(sp->ring, i);
    }
    if (rc == 0) {
      rc = gnx_run_check(run);
    }
  }
  return rc;
}

/* Register every worker (sink 0, stages 1..n, then the child's ring
 * writer) before the fork, and map the ring. */
static int subproc_prepare(struct subproc *sp, struct gnx_pipeline_cfg *cfg,
                           struct gnx_worker *sink, struct gnx_worker *ws,
                           struct gnx_worker *feeder) {
  struct gnx_run *run = sp->run;
  unsigned n = gnx_pipeline_worker_count(cfg, run->wl->n_stages);
  int rc = gnx_worker_init(sink, run, 0, "sink", run->wl->n_stages, run->wl->n_stages);
  if (rc == 0) {
    rc = gnx_pipeline_workers_init(run, cfg, 1, ws);
  }
  if (rc == 0) {
    rc = gnx_worker_init_transport(feeder, run, (int)n + 1, "ring.put");
  }
  if (rc < 0) {
    return rc;
  }
  unsigned slots = (unsigned)gnx_param_u64_auto(run->params, "ring-slots", SUBPROC_RING_SLOTS);
  size_t slot_bytes = (size_t)gnx_param_u64(run->params, "slot-bytes");
  rc = gnx_ring_new(&sp->ring, slots, slot_bytes);
  if (rc < 0) {
    return gnx_run_fail(run, rc, "cannot map the ring (%u slots of %zu bytes): %s", slots,
                        slot_bytes, gnx_strerror(rc));
  }
  /* Spin in waits only when every thread of both processes has a CPU. */
  if (n + 2 > run->cpus) {
    cfg->spin_ns = 0;
    gnx_ring_set_spin(sp->ring, 0);
  }
  return 0;
}

static int subproc_run(struct gnx_run *run) {
  struct gnx_pipeline_cfg cfg;
  int rc = gnx_pipeline_cfg_parse(run, &cfg);
  if (rc < 0) {
    return rc;
  }
  struct subproc sp = {.run = run, .parent = getpid()};
  struct gnx_worker sink, feeder;
  struct gnx_worker *ws = calloc(gnx_pipeline_worker_count(&cfg, run->wl->n_stages), sizeof *ws);
  if (!ws) {
    return gnx_run_fail(run, -ENOMEM, "subproc: out of memory");
  }
  rc = subproc_prepare(&sp, &cfg, &sink, ws, &feeder);
  pid_t pid = rc == 0 ? gnx_child_fork(run, &sp.child) : rc;
  if (pid == 0) {
    subproc_child(&sp, &cfg, ws, &feeder); /* never returns */
  }
  rc = pid < 0 ? (int)pid : gnx_worker_enter(&sink);
  if (rc == 0) {
    rc = subproc_consume(&sp, &sink);
  }
  rc = subproc_reap(&sp, rc);
  gnx_worker_exit(&sink);
  gnx_ring_free(sp.ring);
  free(ws);
  return rc;
}

/* The model: the pipeline's schedule in the child, its in-order thread
 * copying each item into the ring (pages fault in on first use), and the
 * parent's sink reading the ring in order, a slot held until it is done. */
static int subproc_model(const struct gnx_model_in *in, const struct gnx_params *cfg,
                         double *wall_s) {
  const struct gnx_machine *m = in->machine;
  struct gnx_pipeline_cfg pc;
  char why[256];
  int rc = gnx_pipeline_cfg_read(cfg, in->profile->names, in->profile->n_stages, in->cpus, &pc,
                                 why, sizeof why);
  if (rc < 0) {
    return rc;
  }
  unsigned n = in->profile->n_stages;
  unsigned slots = (unsigned)gnx_param_u64_auto(cfg, "ring-slots", SUBPROC_RING_SLOTS);
  if (gnx_pipeline_worker_count(&pc, n) + 2 > in->cpus) {
    pc.spin_ns = 0; /* as subproc_prepare decides */
  }
  struct gnx_sim sim;
  gnx_pipeline_sim(&pc, in, &sim);
  double wake = pc.spin_ns ? 0 : m->handoff_s;
  struct gnx_sim_phase *feeder = &sim.phase[n];
  feeder->lo = n + 1; /* the ring writer runs no stage */
  feeder->hi = n;
  feeder->per_byte_s = 1 / m->copy_bps;
  feeder->first_items = slots;
  feeder->first_per_byte_s = m->page_fault_s / 4096;
  sim.phase[n + 1] = (struct gnx_sim_phase){.lo = n, .hi = n, .workers = 1, .in_order = 1,
                                            .hold = 1, .capacity = slots, .wake_s = wake,
                                            .extra_s = 2 * m->span_s};
  sim.n_phases = n + 2;
  return gnx_sim_run(&sim, in, wall_s);
}

static const struct gnx_knob subproc_knobs[] = {
    {"stage-workers", GNX_KNOB_STAGES, 0, NULL},
    {"queue-depth", GNX_KNOB_DEPTH, GNX_PIPELINE_QUEUE_DEPTH, NULL},
    {"ring-slots", GNX_KNOB_DEPTH, SUBPROC_RING_SLOTS, NULL},
    GNX_KNOBS_END,
};

const struct gnx_engine gnx_engine_subproc = {
    .abi = GNX_ENGINE_ABI,
    .name = "subproc",
    .summary = "the threads pipeline in one forked child; the parent only runs the sink",
    .flags = GNX_ENGINE_F_FORKS,
    .options = subproc_options,
    .run = subproc_run,
    .model = subproc_model,
    .knobs = subproc_knobs,
};
