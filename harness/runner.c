/* SPDX-License-Identifier: MIT */
/* harness/runner.c: one measured repetition. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/bufcache.h"
#include "core/counters.h"
#include "core/run.h"
#include "harness/runner.h"

unsigned gnx_cpus_allowed(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) {
      return (unsigned)n;
    }
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}

/* Reset the kernel's peak-RSS mark so VmHWM is this run's peak, not the
 * process lifetime's. Returns 0 when the reset worked. */
static int gnx__peak_rss_reset(void) {
  int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return -errno;
  }
  ssize_t n = write(fd, "5", 1);
  close(fd);
  return n == 1 ? 0 : -EIO;
}

static long gnx__vmhwm_kb(void) {
  FILE *f = fopen("/proc/self/status", "re");
  if (!f) {
    return -1;
  }
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) {
      break;
    }
  }
  fclose(f);
  return kb;
}

static const struct gnx_counters *gnx__counters;
static int gnx__trace_off;

void gnx_runner_set_trace(int off) { gnx__trace_off = off; }

static const char *const *gnx__cell_argv;

void gnx_runner_set_cell(const char *const *argv) { gnx__cell_argv = argv; }
static uint64_t gnx__gil_mask, gnx__consumer_ns;

void gnx_runner_set_load(uint64_t gil_mask, uint64_t consumer_ns) {
  gnx__gil_mask = gil_mask;
  gnx__consumer_ns = consumer_ns;
}
static const struct gnx_pin_plan *gnx__pin;

void gnx_runner_set_probe(const struct gnx_counters *c, const struct gnx_pin_plan *pin) {
  gnx__counters = c;
  gnx__pin = pin;
}

/* Per engine, the buffer sizes its forked workers mapped in its last run of
 * a cell (a workload's shared state and item count), for the next run of
 * the same cell to make before its start gate (core/bufcache.h). */
#define GNX_BUF_MAPS_ENGINES 16
static struct gnx__buf_maps {
  const struct gnx_engine *e;
  const void *shared;
  uint64_t items;
  unsigned n;
  struct gnx_buf_hint hint[GNX_BUF_HINTS_MAX];
} gnx__buf_maps[GNX_BUF_MAPS_ENGINES];

static struct gnx__buf_maps *gnx__buf_maps_of(const struct gnx_engine *e) {
  for (unsigned i = 0; i < GNX_BUF_MAPS_ENGINES; i++) {
    if (gnx__buf_maps[i].e == e || !gnx__buf_maps[i].e) {
      return &gnx__buf_maps[i];
    }
  }
  return NULL;
}

static void gnx__buf_maps_keep(struct gnx__buf_maps *m, const struct gnx_engine *e,
                               const void *shared, uint64_t items, const struct gnx_trace *t) {
  memset(m, 0, sizeof *m);
  m->e = e;
  m->shared = shared;
  m->items = items;
  for (uint32_t i = 0; i < t->n_workers && m->n < GNX_BUF_HINTS_MAX; i++) {
    const struct gnx_trace_worker *tw = t->workers[i];
    if (tw->buf_maps[0]) {
      struct gnx_buf_hint *h = &m->hint[m->n++];
      memcpy(h->name, tw->name, sizeof h->name);
      memcpy(h->sizes, tw->buf_maps, sizeof h->sizes);
    }
  }
}

/* An engine whose workers an outside launcher starts (mpi) cannot be
 * handed core.buf_hints: its workers get them as two more words after the
 * cell's, "--buf-maps" and "NAME=S,S;NAME=S", each worker's name and the
 * sizes in bytes (harness/cmd-rank.c). Returns the words, or the cell's
 * alone when they do not fit. */
#define GNX_CELL_WORDS_MAX 128
static const char *const *gnx__cell_argv_with_maps(const struct gnx__buf_maps *m) {
  static const char *argv[GNX_CELL_WORDS_MAX + 3];
  static char spec[8192];
  size_t n = 0, used = 0;
  while (gnx__cell_argv && gnx__cell_argv[n] && n < GNX_CELL_WORDS_MAX) {
    argv[n] = gnx__cell_argv[n];
    n++;
  }
  for (unsigned i = 0; i < m->n && used < sizeof spec; i++) {
    used += (size_t)snprintf(spec + used, sizeof spec - used, "%s%s=", i ? ";" : "",
                             m->hint[i].name);
    for (unsigned k = 0; k < GNX_TRACE_BUF_MAPS && m->hint[i].sizes[k] && used < sizeof spec;
         k++) {
      used += (size_t)snprintf(spec + used, sizeof spec - used, "%s%llu", k ? "," : "",
                               (unsigned long long)m->hint[i].sizes[k]);
    }
  }
  if (used >= sizeof spec || m->n == 0 || (gnx__cell_argv && gnx__cell_argv[n])) {
    return gnx__cell_argv; /* too long, or nothing to say */
  }
  argv[n++] = "--buf-maps";
  argv[n++] = spec;
  argv[n] = NULL;
  return argv;
}

static double gnx__tv_s(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

int gnx_runner_exec(const struct gnx_engine *e, const struct gnx_params *engine_params,
                    const struct gnx_workload *wl, const void *shared,
                    const struct gnx_workload_info *info, const struct gnx_fault *fault,
                    const volatile sig_atomic_t *stop, unsigned cpus,
                    struct gnx_run_result *res) {
  memset(res, 0, sizeof *res);
  /* Room for every span a worker can record: per item and stage, one exec
   * and a few waits; capped, with drops counted, for huge item counts. */
  uint64_t cap = (info->items + 2) * (wl->n_stages + 1) * 4 + 64;
  if (cap > (1u << 21)) {
    cap = 1u << 21;
  }
  int rc = gnx_trace_init(&res->trace, 128, (uint32_t)cap);
  res->trace.off = gnx__trace_off && strcmp(e->name, "serial") != 0;
  if (rc < 0) {
    res->rc = rc;
    snprintf(res->errmsg, sizeof res->errmsg, "cannot map the trace buffers: %s",
             gnx_strerror(rc));
    return rc;
  }
  struct gnx_run run = {
      .wl = wl,
      .shared = shared,
      .info = info,
      .params = engine_params,
      .trace = &res->trace,
      .stop = stop,
      .fault = fault,
      .cpus = cpus,
      .main_pid = getpid(),
      .counters = gnx__counters,
      .pin = gnx__pin,
      .cell_argv = gnx__cell_argv,
  };
  struct gnx_run_core core;
  struct gnx_run_ctr ctr;
  int hwm = gnx__peak_rss_reset() == 0;
  gnx_buf_cache_mark();
  struct rusage s0, c0, s1, c1;
  getrusage(RUSAGE_SELF, &s0);
  getrusage(RUSAGE_CHILDREN, &c0);
  gnx_run_ctr_start(gnx__counters, &ctr);
  rc = gnx_run_begin(&run, &core);
  core.gil_mask = gnx__gil_mask;
  core.consumer_ns = gnx__consumer_ns;
  struct gnx__buf_maps *maps = gnx__buf_maps_of(e);
  if (maps && maps->e == e && maps->shared == shared && maps->items == info->items) {
    core.buf_hints = maps->hint;
    core.n_buf_hints = maps->n;
    if (e->rank) {
      run.cell_argv = gnx__cell_argv_with_maps(maps);
    }
  }
  if (rc == 0) {
    rc = e->run(&run);
  }
  rc = gnx_run_end(&run, rc, &res->summary);
  if (maps) {
    gnx__buf_maps_keep(maps, e, shared, info->items, &res->trace);
  }
  gnx_run_ctr_stop(&ctr);
  getrusage(RUSAGE_SELF, &s1);
  getrusage(RUSAGE_CHILDREN, &c1);

  res->rc = rc;
  res->fault_fired = res->trace.status && res->trace.status->fault_fired;
  snprintf(res->errmsg, sizeof res->errmsg, "%s", gnx_run_errmsg(&run));
  res->wall_ns = core.t_end > core.t_start ? core.t_end - core.t_start : 0;
  res->startup_ns = core.t_start > core.t_begin ? core.t_start - core.t_begin : 0;
  res->t_start_ns = core.t_start;
  res->sink_bytes = core.delivered ? core.sink_bytes : 0;
  res->user_s = gnx__tv_s(s1.ru_utime) - gnx__tv_s(s0.ru_utime) + gnx__tv_s(c1.ru_utime) -
                gnx__tv_s(c0.ru_utime);
  res->sys_s = gnx__tv_s(s1.ru_stime) - gnx__tv_s(s0.ru_stime) + gnx__tv_s(c1.ru_stime) -
               gnx__tv_s(c0.ru_stime);
  res->nvcsw = (s1.ru_nvcsw - s0.ru_nvcsw) + (c1.ru_nvcsw - c0.ru_nvcsw);
  res->nivcsw = (s1.ru_nivcsw - s0.ru_nivcsw) + (c1.ru_nivcsw - c0.ru_nivcsw);
  res->minflt = (s1.ru_minflt - s0.ru_minflt) + (c1.ru_minflt - c0.ru_minflt);
  res->majflt = (s1.ru_majflt - s0.ru_majflt) + (c1.ru_majflt - c0.ru_majflt);
  /* Memory that earlier runs' buffers left kept (core/buf.c) and this run
   * never took is not this run's: it is off the peak. */
  res->maxrss_kb = hwm ? gnx__vmhwm_kb() - (long)(gnx_buf_cache_idle() / 1024) : s1.ru_maxrss;
  res->maxrss_source = hwm ? "VmHWM" : "ru_maxrss";
  if (core.child_maxrss_kb > res->maxrss_kb) {
    res->maxrss_kb = core.child_maxrss_kb;
  }
  if (gnx__counters && gnx__counters->mode != GNX_CTR_OFF) {
    /* getrusage's view of the same four, for whatever perf could not give */
    int64_t ru[GNX_SW__COUNT] = {
        (int64_t)((res->user_s + res->sys_s) * 1e9), res->nvcsw + res->nivcsw, -1,
        res->minflt + res->majflt};
    res->counters_on = 1;
    for (int i = 0; i < GNX_SW__COUNT; i++) {
      int src = gnx__counters->sw_src[i];
      res->sw[i] = src == GNX_SRC_PERF ? ctr.v[i] : src == GNX_SRC_RUSAGE ? ru[i] : -1;
      res->sw_src[i] = res->sw[i] >= 0 ? src : GNX_SRC_NONE;
      if (src == GNX_SRC_PERF && ctr.v[i] < 0 && ru[i] >= 0) {
        res->sw[i] = ru[i]; /* this run's open failed (fd limit?): say so */
        res->sw_src[i] = GNX_SRC_RUSAGE;
      }
    }
    /* inherit=1 only follows threads created after the open: an engine
     * whose threads predate the run (libuv's pool) escapes it. The workers'
     * own counts are a lower bound; when they exceed the run's, perf missed
     * threads, so this run takes getrusage's complete (coarser) view. */
    int64_t wsum = 0;
    for (uint32_t w = 0; w < res->trace.n_workers; w++) {
      int64_t v = res->trace.workers[w]->wctr[GNX_SW_TASK_CLOCK];
      wsum += v > 0 ? v : 0;
    }
    if (res->sw_src[GNX_SW_TASK_CLOCK] == GNX_SRC_PERF && wsum > res->sw[GNX_SW_TASK_CLOCK]) {
      for (int i = 0; i < GNX_SW__COUNT; i++) {
        res->sw[i] = ru[i];
        res->sw_src[i] = ru[i] >= 0 ? GNX_SRC_RUSAGE : GNX_SRC_NONE;
      }
    }
    gnx_sde_add_trace(&res->trace, wl->n_stages);
  }
  return rc;
}

void gnx_run_result_free(struct gnx_run_result *res) {
  if (res->summary) {
    json_decref(res->summary);
  }
  gnx_trace_free(&res->trace);
  memset(res, 0, sizeof *res);
}
