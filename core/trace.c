/* SPDX-License-Identifier: MIT */
/* core/trace.c: the shared mapping that holds every worker's spans. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "gnx/trace.h"

static size_t gnx__trace_stride(uint32_t cap) {
  size_t s = sizeof(struct gnx_trace_worker) + (size_t)cap * sizeof(struct gnx_span);
  return (s + 4095) & ~(size_t)4095;
}

int gnx_trace_init(struct gnx_trace *t, uint32_t max_workers, uint32_t cap_per_worker) {
  memset(t, 0, sizeof *t);
  if (max_workers == 0 || max_workers > GNX_TRACE_MAX_WORKERS || cap_per_worker == 0) {
    return -EINVAL;
  }
  size_t size = 4096 + gnx__trace_stride(cap_per_worker) * max_workers;
  /* Shared and anonymous: forked workers write into the same pages the
   * parent reads, and there is no name to unlink if anything dies. */
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) {
    return -ENOMEM;
  }
  t->base = p;
  t->size = size;
  t->status = p; /* the first page; the workers' buffers follow */
  t->cap_per_worker = cap_per_worker;
  t->max_workers = max_workers;
  return 0;
}

struct gnx_trace_worker *gnx_trace_worker_add(struct gnx_trace *t, const char *name, int stage) {
  if (!t->base || t->n_workers >= t->max_workers) {
    return NULL;
  }
  uint32_t i = t->n_workers++;
  struct gnx_trace_worker *w =
      (struct gnx_trace_worker *)((char *)t->base + 4096 +
                                  gnx__trace_stride(t->cap_per_worker) * i);
  memset(w, 0, sizeof *w);
  snprintf(w->name, sizeof w->name, "%s", name);
  w->stage = stage;
  w->index = (int32_t)i;
  w->cap = t->cap_per_worker;
  w->cpu_begin = w->cpu_end = -1;
  w->cur_item = GNX_ITEM_NONE;
  w->off = t->off != 0;
  w->cur_stage = -1;
  t->workers[i] = w;
  return w;
}

void gnx_trace_free(struct gnx_trace *t) {
  if (t->base) {
    munmap(t->base, t->size);
  }
  memset(t, 0, sizeof *t);
}

const char *gnx_span_kind_name(int kind) {
  static const char *const names[GNX_SPAN__COUNT] = {"exec", "wait_in", "wait_out", "wait_lock",
                                                      "copy"};
  return kind >= 0 && kind < GNX_SPAN__COUNT ? names[kind] : "unknown";
}
