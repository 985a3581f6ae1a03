/* SPDX-License-Identifier: MIT */
/* gnx/workload.h: what a workload is.
 *
 * A workload is a source, an ordered list of pure stages, and an ordered sink.
 * Stage 0 is the source: it makes item i from nothing but i and the shared
 * data, so any worker (thread or forked process) can produce any item.
 * Stages 1..n_stages-1 each turn one item's bytes into new bytes. The sink
 * receives items in index order, in the main process, and builds the result
 * summary that every engine must reproduce exactly.
 *
 * Trace stage numbers: 0..n_stages-1 are the stages, n_stages is the sink. */
#ifndef GNX_WORKLOAD_H
#define GNX_WORKLOAD_H

#include <stdint.h>
#include <jansson.h>

#include "gnx/buf.h"
#include "gnx/option.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GNX_WORKLOAD_ABI 2
#define GNX_WHY_MAX 256

/* A diagnostic workload (null) runs only when named: `all` leaves it out. */
#define GNX_WORKLOAD_F_DIAGNOSTIC 1u

struct gnx_workload_info {
  uint64_t items;        /* how many items the source makes for this size */
  uint64_t sink_wait_ns; /* modelled latency of one sink write (e.g. a remote
                            store); the engine waits it before each sink_put,
                            by sleeping or with a timer; 0 = none */
  uint64_t size;         /* the size this setup ran at when an option set it
                            (GNX_OPT_F_SIZE); 0: the size asked for */
};

struct gnx_stage_ops {
  const char *name;
  /* Make item `item` from `in` into `out`. For the source, `in` is NULL.
   * `out` arrives empty (len 0) but may keep capacity from earlier items.
   * Must be pure: the same item always gives the same bytes, whatever the
   * worker, thread or process. `state` is this worker's state for this stage
   * (see state_new), never shared. Returns 0 or a negative code. */
  int (*run)(const void *shared, void *state, uint64_t item,
             const struct gnx_buf *in, struct gnx_buf *out);
};

struct gnx_workload {
  unsigned abi;            /* GNX_WORKLOAD_ABI */
  const char *name;        /* "etl" */
  const char *summary;     /* one line for `gnxbench list` */
  unsigned flags;          /* GNX_WORKLOAD_F_* */
  const struct gnx_option *options;
  /* NULL when the workload can run; otherwise why not, with the fix, e.g.
   * "built without OpenBLAS (install libopenblas-dev and rebuild)": `all`
   * leaves it out and says so, naming it is a usage error. */
  const char *unavailable;

  /* Build the read-only data shared by all workers (tables, graphs,
   * tensors) for params->n. Not timed; runs once per size. Fills *info.
   * Returns 0 or a negative code; on error *shared is not set and `why`
   * (GNX_WHY_MAX bytes) holds one line naming the problem and the fix,
   * e.g. "--graph g.txt: line 12: 'x' is not a node id". */
  int (*setup)(const struct gnx_params *params, void **shared,
               struct gnx_workload_info *info, char *why);
  void (*teardown)(void *shared);

  const struct gnx_stage_ops *stages; /* stages[0] is the source */
  unsigned n_stages;
  const char *sink_name;

  /* Optional per-worker, per-stage state (scratch buffers, BLAS handles),
   * created inside the worker's own thread or process. NULL hooks mean the
   * stage has no state. */
  int (*state_new)(const void *shared, unsigned stage, void **state);
  void (*state_free)(const void *shared, unsigned stage, void *state);

  /* The sink, in the main process. sink_put is called once per item, in
   * index order 0, 1, 2, ... sink_close with summary != NULL returns the
   * result (a JSON object, owned by the caller); with summary == NULL it
   * only releases (the run failed). */
  int (*sink_open)(const void *shared, void **sink);
  int (*sink_put)(void *sink, uint64_t item, const struct gnx_buf *in);
  int (*sink_close)(void *sink, json_t **summary);

  /* Optional: check a summary against the workload's own reference (the
   * spec computed in the simplest correct code, not the staged path).
   * Returns 0 when it matches, GNX_EVERIFY when it does not, another
   * negative code on failure. *detail (may be left NULL) is a JSON object
   * for the report, e.g. {"reference": "spec", "max_abs_error": 1e-7}.
   * Called from the harness between runs, so it may cache in shared. */
  int (*check)(void *shared, const json_t *summary, json_t **detail);
};

#ifdef __cplusplus
}
#endif

#endif
