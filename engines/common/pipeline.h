/* SPDX-License-Identifier: MIT */
/* engines/common/pipeline.h: the thread pipeline used by `threads` (in the
 * harness process) and by `subproc` (inside its forked child).
 *
 * One or more worker threads per stage (stage 0, the source, claims item
 * indexes from an atomic counter), a bounded queue between consecutive
 * stages, and a reorder buffer so that the caller's thread receives items in
 * index order through `deliver`. Workers record wait_in when their input
 * queue is empty and wait_out when their output queue is full. */
#ifndef GNX_ENGINES_PIPELINE_H
#define GNX_ENGINES_PIPELINE_H

#include "gnx/engine.h"

#define GNX_PIPELINE_MAX_STAGES 32

struct gnx_pipeline_cfg {
  unsigned workers[GNX_PIPELINE_MAX_STAGES]; /* per stage, >= 1 */
  unsigned queue_depth;                      /* items per queue, >= 1 */
};

/* Read --stage-workers ("transform=2,parse=1", names or stage numbers) and
 * --queue-depth from run->params into cfg. Unknown stage names or zero
 * counts: GNX_EUSAGE with run->errmsg naming the valid stages. */
int gnx_pipeline_cfg_parse(struct gnx_run *run, struct gnx_pipeline_cfg *cfg);

/* Called on the thread that called gnx_pipeline_run, once per item, in index
 * order. `consumer` is that thread's worker (for wait spans). The callee may
 * swap the buffer's contents out (gnx_buf_swap) but must leave it valid.
 * Return 0 to go on, a negative code to stop the pipeline. */
typedef int (*gnx_pipeline_deliver_fn)(void *arg, struct gnx_worker *consumer,
                                       uint64_t item, struct gnx_buf *buf);

/* Run the pipeline over all run->info->items items. Worker indexes start at
 * first_index; `consumer` must already be initialised and entered by the
 * caller. Sets run->t_start when every worker is past the start barrier.
 * Joins every thread before returning, on success, error or *run->stop.
 * Returns 0 or the first error (GNX_EINTR after a stop). */
int gnx_pipeline_run(struct gnx_run *run, const struct gnx_pipeline_cfg *cfg,
                     int first_index, struct gnx_worker *consumer,
                     gnx_pipeline_deliver_fn deliver, void *arg);

#endif
