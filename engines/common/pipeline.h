/* SPDX-License-Identifier: MIT */
/* engines/common/pipeline.h: the thread pipeline used by `threads` (in the
 * harness process) and by `subproc` (inside its forked child).
 *
 * One or more worker threads per stage (stage 0, the source, claims item
 * indexes from an atomic counter), a bounded queue between consecutive
 * stages, and a reorder buffer so that the caller's thread receives items in
 * index order through `deliver`. Workers record wait_in when their input
 * queue is empty and wait_out when their output queue is full.
 *
 * Items in flight are bounded by a window: the source may start item j only
 * once item j - window has been delivered, so the reorder buffer has one slot
 * per window position and the last stage never waits for room in it. A
 * source worker waiting for the window records wait_out. */
#ifndef GNX_ENGINES_PIPELINE_H
#define GNX_ENGINES_PIPELINE_H

#include "gnx/engine.h"

#define GNX_PIPELINE_MAX_STAGES 32
#define GNX_PIPELINE_MAX_WORKERS 64 /* per stage */
#define GNX_PIPELINE_QUEUE_DEPTH 4  /* when --queue-depth is auto and not tuned */

/* The options of every pipeline engine (threads, subproc): one
 * declaration, so the two cannot drift apart. */
#define GNX_PIPELINE_OPTIONS                                                                 \
  {"stage-workers", GNX_OPT_STR, "auto",                                                     \
   "worker threads per stage, e.g. transform=2,parse=1 (stage names or numbers; auto: "      \
   "chosen by the engine's model)",                                                          \
   0, 0, GNX_OPT_F_AUTO},                                                                    \
      {"queue-depth", GNX_OPT_U64, "auto", "items each queue between two stages holds",      \
       1, 65536, GNX_OPT_F_AUTO}

struct gnx_pipeline_cfg {
  unsigned workers[GNX_PIPELINE_MAX_STAGES]; /* per stage, >= 1 */
  unsigned queue_depth;                      /* items per queue, >= 1 */
  uint64_t spin_ns; /* spin this long before sleeping in a wait (0: sleep at
                       once); gnx_pipeline_cfg_parse picks it from the CPUs */
};

/* Read --stage-workers ("transform=2,parse=1" by stage name or number, or
 * a bare count for every stage) and --queue-depth from p into cfg, for a
 * workload whose stages are names[0..n_stages). Unknown stage names or
 * zero counts: GNX_EUSAGE, with why naming the valid stages. */
int gnx_pipeline_cfg_read(const struct gnx_params *p, const char *const *names,
                          unsigned n_stages, unsigned cpus, struct gnx_pipeline_cfg *cfg,
                          char *why, size_t len);
/* The same from run->params, the failure recorded. */
int gnx_pipeline_cfg_parse(struct gnx_run *run, struct gnx_pipeline_cfg *cfg);

/* Items in flight at most, from the source to the caller (the window). */
unsigned gnx_pipeline_window(const struct gnx_pipeline_cfg *cfg, unsigned n_stages);

/* The pipeline's schedule, for an engine's model: one phase per stage with
 * its workers and queue, then the caller's in-order thread. */
void gnx_pipeline_sim(const struct gnx_pipeline_cfg *cfg, const struct gnx_model_in *in,
                      struct gnx_sim *sim);

/* Called on the thread that called gnx_pipeline_run, once per item, in index
 * order. `consumer` is that thread's worker (for wait spans). The callee may
 * swap the buffer's contents out (gnx_buf_swap) but must leave it valid.
 * Return 0 to go on, or a negative code, recorded with gnx_run_fail, to
 * stop the pipeline. */
typedef int (*gnx_pipeline_deliver_fn)(void *arg, struct gnx_worker *consumer,
                                       uint64_t item, struct gnx_buf *buf);

/* Run the pipeline over all run->info->items items. Worker indexes start at
 * first_index; `consumer` must already be initialised and entered by the
 * caller. Calls gnx_run_started when every worker is past the start barrier.
 * Joins every thread before returning, on success, error or *run->stop.
 * Returns 0 or the first error (GNX_ESTOPPED after a stop). */
int gnx_pipeline_run(struct gnx_run *run, const struct gnx_pipeline_cfg *cfg,
                     int first_index, struct gnx_worker *consumer,
                     gnx_pipeline_deliver_fn deliver, void *arg);

/* ---- Workers registered ahead of time (for forking engines) -------------- */

/* How many stage workers cfg asks for (the sum over the workload's stages). */
unsigned gnx_pipeline_worker_count(const struct gnx_pipeline_cfg *cfg, unsigned n_stages);

/* Register the stage workers with gnx_worker_init into ws[0..count): stage
 * by stage, indexes first_index, first_index + 1, ..., named "<stage>.<k>"
 * ("parse.0", "transform.1"). Call in the parent before forking so a child
 * inherits them. Returns 0 or GNX_ETRACE (recorded). */
int gnx_pipeline_workers_init(struct gnx_run *run, const struct gnx_pipeline_cfg *cfg,
                              int first_index, struct gnx_worker *ws);

/* Called on the caller's thread once every worker thread has entered and
 * waits at the start gate, before run->t_start is taken and any item starts
 * (subproc uses it to pass the cross-process start gate). Return 0 to start,
 * a negative code to cancel the run. */
typedef int (*gnx_pipeline_ready_fn)(void *arg);

/* gnx_pipeline_run on workers made by gnx_pipeline_workers_init with the
 * same cfg. `ready` may be NULL; `arg` is passed to ready and deliver. */
int gnx_pipeline_run_workers(struct gnx_run *run, const struct gnx_pipeline_cfg *cfg,
                             struct gnx_worker *ws, struct gnx_worker *consumer,
                             gnx_pipeline_ready_fn ready, gnx_pipeline_deliver_fn deliver,
                             void *arg);

/* Put the calling thread under SCHED_BATCH: no wake-up preemption, so a
 * woken light stage waits for a tick or an idle CPU instead of preempting the
 * bottleneck stage mid-item. Every pipeline worker thread calls it; engines
 * may call it for their own delivering threads (not the harness thread). */
void gnx_pipeline_thread_batch(void);

#endif
