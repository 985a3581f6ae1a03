/* SPDX-License-Identifier: MIT */
/* gnx/trace.h: spans of time each worker spent executing or waiting.
 *
 * Each worker owns one gnx_trace_worker buffer and appends to it without
 * locks. All buffers of a run live in one MAP_SHARED|MAP_ANONYMOUS mapping
 * made by the harness before the engine runs, so the buffers of forked worker
 * processes are visible to the parent with no copy and no named shared memory
 * object that could leak. A span costs one clock read and a 24-byte store. */
#ifndef GNX_TRACE_H
#define GNX_TRACE_H

#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

enum gnx_span_kind {
  GNX_SPAN_EXEC = 0,   /* running a stage on an item */
  GNX_SPAN_WAIT_IN,    /* starved: no input available */
  GNX_SPAN_WAIT_OUT,   /* blocked: no room downstream */
  GNX_SPAN_WAIT_LOCK,  /* waiting for a lock or a turn (e.g. in-order delivery) */
  GNX_SPAN_COPY,       /* moving an item's bytes to another process, and handing it over */
  GNX_SPAN__COUNT
};

#define GNX_ITEM_NONE UINT32_MAX

/* A trace worker's stage field: its stage (>= 0), or one of these roles. */
#define GNX_ROLE_ALL (-1)       /* runs every stage of whole items */
#define GNX_ROLE_TRANSPORT (-2) /* only moves items between processes */

struct gnx_span {
  uint64_t t0, t1; /* CLOCK_MONOTONIC ns */
  uint32_t item;   /* item index, or GNX_ITEM_NONE */
  uint16_t stage;  /* 0 = source, n_stages = sink */
  uint8_t kind;    /* enum gnx_span_kind */
  uint8_t pad;
};

#define GNX_TRACE_NAME_MAX 32
/* Per-worker counter slots: 4 software (task-clock ns, context switches,
 * CPU migrations, page faults) then up to 8 PAPI events (harness/counters.h). */
#define GNX_TRACE_WCTR_MAX 12
#define GNX_TRACE_BUF_MAPS 32

struct gnx_trace_worker {
  char name[GNX_TRACE_NAME_MAX]; /* "transform.0", "procpool.w1" */
  int32_t pid, tid;              /* filled when the worker enters */
  int32_t stage;                 /* the stage it serves, or -1 for all */
  int32_t index;                 /* position in the run's worker list */
  int32_t cpu_begin, cpu_end;    /* sched_getcpu() at enter and exit */
  uint32_t cap, len, dropped;    /* spans allocated, used, lost (buffer full) */
  uint32_t cur_item;             /* the item it runs or last ran (GNX_ITEM_NONE) */
  int32_t cur_stage;             /* the stage it runs now, -1 between stages */
  uint32_t off;                  /* tracing is off: spans are not recorded */
  /* Placement and counters, written by the worker itself at enter/exit.
   * They live here because the mapping is shared: a forked worker's values
   * reach the parent with no copy. */
  int32_t cpu_asked;             /* OS index it was bound to, -1 unpinned */
  int32_t cpu_asked_logical;     /* hwloc logical PU index, -1 unpinned */
  int32_t bind_err;              /* 0, or -errno from the bind */
  uint32_t ctr_src;              /* bit i: wctr[i] from perf_event, else rusage */
  int64_t wctr[GNX_TRACE_WCTR_MAX]; /* per-worker counter deltas, -1 = n/a */
  /* A forked worker's process: the sizes of the large item buffers it
   * mapped (0: none), so the next run's worker can make them before its
   * start gate (core/bufcache.h). */
  uint64_t buf_maps[GNX_TRACE_BUF_MAPS];
  struct gnx_span spans[];
};

#define GNX_TRACE_MAX_WORKERS 256
#define GNX_TRACE_MSG_MAX 320

/* The run's first failure (core/run.c). It lives in the shared mapping,
 * so a forked worker can record it and the parent read it. Accessed with
 * atomic builtins only. */
struct gnx_trace_status {
  int claimed; /* 1 once a failure took the record */
  int rc;      /* its code, published after msg */
  int fault_fired; /* a --fault fired in a forked worker of this run */
  char msg[GNX_TRACE_MSG_MAX];
};

struct gnx_trace {
  void *base;                /* the shared mapping */
  size_t size;
  uint32_t cap_per_worker;   /* spans per worker */
  uint32_t max_workers;
  uint32_t n_workers;        /* claimed so far (parent only) */
  int off;                   /* workers added record no spans (--trace off) */
  struct gnx_trace_status *status; /* in the mapping, before the workers */
  struct gnx_trace_worker *workers[GNX_TRACE_MAX_WORKERS];
};

/* Monotonic time in ns (vDSO, about 25 ns). */
static inline uint64_t gnx_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Map room for max_workers buffers of cap_per_worker spans each (untouched
 * pages cost nothing). Returns 0, -EINVAL or -ENOMEM. */
int gnx_trace_init(struct gnx_trace *t, uint32_t max_workers, uint32_t cap_per_worker);

/* Claim the next worker buffer. Call it in the parent before forking, so the
 * child inherits the pointer. Returns NULL when max_workers are taken. */
struct gnx_trace_worker *gnx_trace_worker_add(struct gnx_trace *t, const char *name, int stage);

/* Append one span; counts it as dropped when the buffer is full. */
static inline void gnx_span_add(struct gnx_trace_worker *w, uint64_t t0, uint64_t t1,
                                uint64_t item, int stage, int kind) {
  if (w->off) {
    return;
  }
  if (w->len >= w->cap) {
    w->dropped++;
    return;
  }
  struct gnx_span *s = &w->spans[w->len++];
  s->t0 = t0;
  s->t1 = t1;
  s->item = item > UINT32_MAX ? GNX_ITEM_NONE : (uint32_t)item;
  s->stage = (uint16_t)stage;
  s->kind = (uint8_t)kind;
  s->pad = 0;
}

/* Unmap everything. Safe on a zeroed or already-freed trace. */
void gnx_trace_free(struct gnx_trace *t);

/* Name of a span kind: "exec", "wait_in", "wait_out", "wait_lock". */
const char *gnx_span_kind_name(int kind);

#ifdef __cplusplus
}
#endif

#endif
