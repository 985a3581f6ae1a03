/* SPDX-License-Identifier: MIT */
/* engines/serial.c: one thread, item after item, stage after stage.
 * The baseline every other engine is compared and verified against. */
#include <string.h>

#include "gnx/engine.h"

static int serial_run(struct gnx_run *run) {
  const struct gnx_workload *wl = run->wl;
  struct gnx_worker w;
  struct gnx_buf a = GNX_BUF_INIT, b = GNX_BUF_INIT;
  void *sink = NULL;
  run->t_begin = gnx_now_ns();
  int rc = gnx_worker_init(&w, run, 0, "serial", 0, wl->n_stages - 1);
  if (rc < 0) {
    return rc;
  }
  rc = gnx_worker_enter(&w);
  if (rc == 0) {
    rc = wl->sink_open(run->shared, &sink);
  }
  run->t_start = gnx_now_ns();
  for (uint64_t i = 0; rc == 0 && i < run->info->items; i++) {
    if (*run->stop) {
      rc = GNX_ESTOPPED;
      break;
    }
    rc = gnx_worker_exec(&w, 0, i, NULL, &a);
    for (unsigned s = 1; rc == 0 && s < wl->n_stages; s++) {
      rc = gnx_worker_exec(&w, s, i, &a, &b);
      gnx_buf_swap(&a, &b);
    }
    if (rc == 0) {
      rc = gnx_sink_deliver(&w, sink, i, &a, 0);
    }
  }
  if (sink) {
    int crc = wl->sink_close(sink, rc == 0 ? &run->summary : NULL);
    if (rc == 0) {
      rc = crc;
    }
  }
  run->t_end = gnx_now_ns();
  gnx_worker_exit(&w);
  gnx_buf_free(&a);
  gnx_buf_free(&b);
  return rc;
}

const struct gnx_engine gnx_engine_serial = {
    .abi = GNX_ENGINE_ABI,
    .name = "serial",
    .summary = "one thread, item after item, stage after stage (the baseline)",
    .run = serial_run,
};
