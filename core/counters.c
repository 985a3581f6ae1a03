/* SPDX-License-Identifier: MIT */
/* core/counters.c: PAPI, perf_event and getrusage counters. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef GNX_HAVE_PAPI
#include <papi.h>
#include <pthread.h>
#endif

#include "core/counters.h"
#include "core/probe.h"

static const char *const gnx__sw_names[GNX_SW__COUNT] = {"task_clock_ns", "context_switches",
                                                          "cpu_migrations", "page_faults"};
static const uint64_t gnx__sw_config[GNX_SW__COUNT] = {
    PERF_COUNT_SW_TASK_CLOCK, PERF_COUNT_SW_CONTEXT_SWITCHES, PERF_COUNT_SW_CPU_MIGRATIONS,
    PERF_COUNT_SW_PAGE_FAULTS};

const char *gnx_sw_ctr_name(int i) {
  return i >= 0 && i < GNX_SW__COUNT ? gnx__sw_names[i] : "?";
}

const char *gnx_ctr_source_name(int src) {
  switch (src) {
  case GNX_SRC_PERF:
    return "perf_event";
  case GNX_SRC_RUSAGE:
    return "rusage";
  case GNX_SRC_PAPI:
    return "papi";
  default:
    return "none";
  }
}

static const char *const gnx__modes[] = {"auto", "papi", "perf", "off"};

int gnx_counters_mode_parse(const char *s) {
  for (int i = 0; i < 4; i++) {
    if (strcmp(s, gnx__modes[i]) == 0) {
      return i;
    }
  }
  return -1;
}

const char *gnx_counters_mode_name(int mode) {
  return mode >= 0 && mode < 4 ? gnx__modes[mode] : "?";
}

/* ---- perf_event ---------------------------------------------------------- */

static int gnx__perf_open(int which, int inherit, int exclude_kernel) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = PERF_TYPE_SOFTWARE;
  a.config = gnx__sw_config[which];
  a.disabled = 1;
  a.inherit = (unsigned)inherit;
  a.exclude_hv = 1;
  a.exclude_kernel = (unsigned)exclude_kernel;
  a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  return fd < 0 ? -errno : (int)fd;
}

/* The value, scaled when the kernel multiplexed it; -1 on failure. */
static int64_t gnx__perf_read(int fd) {
  uint64_t v[3];
  if (read(fd, v, sizeof v) != (ssize_t)sizeof v) {
    return -1;
  }
  if (v[2] && v[2] < v[1]) {
    return (int64_t)((double)v[0] * (double)v[1] / (double)v[2]);
  }
  return (int64_t)v[0];
}

static int gnx__paranoid(void) {
  int level = -100;
  FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
  if (f) {
    if (fscanf(f, "%d", &level) != 1) {
      level = -100;
    }
    fclose(f);
  }
  return level;
}

/* Which software counters perf_event can give this process. As root all
 * four; unprivileged (paranoid 2) only with exclude_kernel=1, and then the
 * kernel's context-switch and migration counts read 0, so those fall back
 * to getrusage or are reported missing. */
static void gnx__probe_perf(struct gnx_counters *c) {
  int fd = gnx__perf_open(GNX_SW_TASK_CLOCK, 1, 0);
  int excl = 0;
  if (fd == -EACCES || fd == -EPERM) {
    excl = 1;
    fd = gnx__perf_open(GNX_SW_TASK_CLOCK, 1, 1);
  }
  if (fd < 0) {
    for (int i = 0; i < GNX_SW__COUNT; i++) {
      snprintf(c->sw_reason[i], GNX_CTR_REASON_MAX,
               "perf_event_open: %s (kernel.perf_event_paranoid=%d)", strerror(-fd),
               gnx__paranoid());
    }
    return;
  }
  close(fd);
  c->perf_exclude_kernel = excl;
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    if (excl && (i == GNX_SW_CS || i == GNX_SW_MIGRATIONS)) {
      snprintf(c->sw_reason[i], GNX_CTR_REASON_MAX,
               "perf_event: %s reads 0 when opened with exclude_kernel=1 "
               "(not root, kernel.perf_event_paranoid=%d)",
               i == GNX_SW_CS ? "context-switches" : "cpu-migrations", gnx__paranoid());
      continue;
    }
    int f = gnx__perf_open(i, 1, excl);
    if (f < 0) {
      snprintf(c->sw_reason[i], GNX_CTR_REASON_MAX, "perf_event_open: %s", strerror(-f));
      continue;
    }
    close(f);
    c->perf_mask |= 1 << i;
    c->sw_src[i] = GNX_SRC_PERF;
  }
}

void gnx_run_ctr_start(const struct gnx_counters *c, struct gnx_run_ctr *r) {
  memset(r, 0, sizeof *r);
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    r->v[i] = -1;
    r->fd[i] = -1;
  }
  if (!c || !c->perf_mask) {
    return;
  }
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    if (c->perf_mask & (1 << i)) {
      r->fd[i] = gnx__perf_open(i, 1, c->perf_exclude_kernel);
      if (r->fd[i] >= 0) {
        r->n_fd++;
        ioctl(r->fd[i], PERF_EVENT_IOC_RESET, 0);
        ioctl(r->fd[i], PERF_EVENT_IOC_ENABLE, 0);
      }
    }
  }
}

void gnx_run_ctr_stop(struct gnx_run_ctr *r) {
  /* Every thread has been joined and every child reaped by now, so the
   * inherited counts have been folded into these fds. */
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    if (r->fd[i] >= 0) {
      ioctl(r->fd[i], PERF_EVENT_IOC_DISABLE, 0);
      r->v[i] = gnx__perf_read(r->fd[i]);
      close(r->fd[i]);
      r->fd[i] = -1;
    }
  }
  r->n_fd = 0;
}

/* ---- PAPI ------------------------------------------------------------------ */

#ifdef GNX_HAVE_PAPI
static int gnx__papi_state; /* 0 not tried, 1 ok, <0 the init error */

static unsigned long gnx__papi_tid(void) { return (unsigned long)pthread_self(); }

static int gnx__papi_lib_init(void) {
  if (gnx__papi_state == 0) {
    int v = PAPI_library_init(PAPI_VER_CURRENT);
    if (v != PAPI_VER_CURRENT) {
      gnx__papi_state = v < 0 ? v : PAPI_EINVAL;
    } else {
      gnx__papi_state = PAPI_thread_init(gnx__papi_tid) == PAPI_OK ? 1 : PAPI_ESYS;
    }
  }
  return gnx__papi_state;
}

static void gnx__probe_papi(struct gnx_counters *c) {
  int st = gnx__papi_lib_init();
  snprintf(c->papi_version, sizeof c->papi_version, "%d.%d.%d", PAPI_VERSION_MAJOR(PAPI_VERSION),
           PAPI_VERSION_MINOR(PAPI_VERSION), PAPI_VERSION_REVISION(PAPI_VERSION));
  if (st != 1) {
    for (int i = 0; i < c->n_events; i++) {
      snprintf(c->ev_reason[i], GNX_CTR_REASON_MAX, "PAPI_library_init: %.160s", PAPI_strerror(st));
    }
    return;
  }
  /* Hardware events need the perf_event component (0 on Linux builds). */
  const PAPI_component_info_t *ci = PAPI_get_component_info(0);
  char comp_reason[GNX_CTR_REASON_MAX] = "";
  if (ci && ci->disabled) {
    snprintf(comp_reason, sizeof comp_reason, "PAPI %.32s component disabled: %.160s", ci->name,
             ci->disabled_reason[0] ? ci->disabled_reason : PAPI_strerror(ci->disabled));
  } else if (ci && ci->num_preset_events == 0) {
    /* Enabled, yet libpfm4 found no hardware PMU (a VM without a virtual
     * PMU): only perf:: software events exist, no PAPI_* preset maps. */
    snprintf(comp_reason, sizeof comp_reason,
             "PAPI %.32s component has no preset events: no hardware PMU, libpfm4 offers only "
             "software perf:: events",
             ci->name);
  }
  int es = PAPI_NULL;
  if (PAPI_create_eventset(&es) != PAPI_OK) {
    es = PAPI_NULL;
  }
  int n_ok = 0;
  for (int i = 0; i < c->n_events; i++) {
    int code = 0;
    int rc = PAPI_event_name_to_code(c->events[i], &code);
    if (rc == PAPI_OK && es != PAPI_NULL) {
      rc = PAPI_add_event(es, code);
    }
    if (rc == PAPI_OK) {
      c->ev_ok[i] = 1;
      n_ok++;
      continue;
    }
    /* The component reason explains ENOEVNT/ECMP_DISABLED better than the
     * bare code does; keep the code too. */
    int preset = strncmp(c->events[i], "PAPI_", 5) == 0;
    if (comp_reason[0] && (ci->disabled || preset) &&
        (rc == PAPI_ENOEVNT || rc == PAPI_ECMP_DISABLED || rc == PAPI_ENOCMP)) {
      snprintf(c->ev_reason[i], GNX_CTR_REASON_MAX, "%.200s (%.48s)", comp_reason, PAPI_strerror(rc));
    } else {
      snprintf(c->ev_reason[i], GNX_CTR_REASON_MAX, "PAPI: %.63s: %.160s", c->events[i],
               PAPI_strerror(rc));
    }
  }
  if (n_ok && es != PAPI_NULL) {
    /* Adding can succeed where starting does not (e.g. a forced PMU). */
    int rc = PAPI_start(es);
    if (rc == PAPI_OK) {
      long long tmp[GNX_PAPI_MAX];
      PAPI_stop(es, tmp);
      c->papi_ok = 1;
    } else {
      for (int i = 0; i < c->n_events; i++) {
        if (c->ev_ok[i]) {
          c->ev_ok[i] = 0;
          snprintf(c->ev_reason[i], GNX_CTR_REASON_MAX, "PAPI_start: %.160s", PAPI_strerror(rc));
        }
      }
    }
  }
  if (es != PAPI_NULL) {
    PAPI_cleanup_eventset(es);
    PAPI_destroy_eventset(&es);
  }
}
#endif

/* ---- setup ----------------------------------------------------------------- */

int gnx_counters_init(struct gnx_counters *c, int mode, const char *events, char *why,
                      size_t len) {
  memset(c, 0, sizeof *c);
  c->mode = mode;
  if (mode == GNX_CTR_OFF) {
    return 0;
  }
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", events ? events : GNX_PAPI_DEFAULT_EVENTS);
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (c->n_events == GNX_PAPI_MAX) {
      snprintf(why, len, "--events: at most %d events", GNX_PAPI_MAX);
      return GNX_EUSAGE;
    }
    if (strlen(t) >= sizeof c->events[0]) {
      snprintf(why, len, "--events: event name '%.40s...' is too long", t);
      return GNX_EUSAGE;
    }
    snprintf(c->events[c->n_events++], sizeof c->events[0], "%s", t);
  }
  if (events && c->n_events == 0) {
    snprintf(why, len, "--events: empty list; name PAPI presets or native events, e.g. %s",
             GNX_PAPI_DEFAULT_EVENTS);
    return GNX_EUSAGE;
  }
  if (mode == GNX_CTR_PERF) {
    for (int i = 0; i < c->n_events; i++) {
      snprintf(c->ev_reason[i], GNX_CTR_REASON_MAX, "--counters perf: PAPI not used");
    }
  } else {
#ifdef GNX_HAVE_PAPI
    gnx__probe_papi(c);
#else
    for (int i = 0; i < c->n_events; i++) {
      snprintf(c->ev_reason[i], GNX_CTR_REASON_MAX,
               "built without PAPI (install libpapi-dev and rebuild)");
    }
#endif
  }
  if (mode != GNX_CTR_PAPI) {
    gnx__probe_perf(c);
  } else {
    for (int i = 0; i < GNX_SW__COUNT; i++) {
      snprintf(c->sw_reason[i], GNX_CTR_REASON_MAX, "--counters papi: perf_event not used");
    }
  }
  /* getrusage stands in for what perf_event cannot give, except migrations
   * (rusage has no such field). */
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    if (c->sw_src[i] == GNX_SRC_NONE && i != GNX_SW_MIGRATIONS) {
      c->sw_src[i] = GNX_SRC_RUSAGE;
    }
  }
  return 0;
}

/* ---- per worker ------------------------------------------------------------ */

static void gnx__thread_sw(int64_t v[GNX_SW__COUNT]) {
  struct rusage ru;
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  v[GNX_SW_TASK_CLOCK] = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  if (getrusage(RUSAGE_THREAD, &ru) == 0) {
    v[GNX_SW_CS] = ru.ru_nvcsw + ru.ru_nivcsw;
    v[GNX_SW_FAULTS] = ru.ru_minflt + ru.ru_majflt;
  } else {
    v[GNX_SW_CS] = v[GNX_SW_FAULTS] = -1;
  }
  v[GNX_SW_MIGRATIONS] = -1;
}

#ifdef GNX_HAVE_PAPI
/* This thread's event set with the usable events, started. Returns the
 * PAPI code; on failure nothing is left allocated. */
static int gnx__papi_thread_start(const struct gnx_counters *c, int *esp) {
  int es = PAPI_NULL;
  int rc = PAPI_register_thread();
  if (rc == PAPI_OK) {
    rc = PAPI_create_eventset(&es);
  }
  for (int i = 0; rc == PAPI_OK && i < c->n_events; i++) {
    if (c->ev_ok[i]) {
      rc = PAPI_add_named_event(es, c->events[i]);
    }
  }
  if (rc == PAPI_OK) {
    rc = PAPI_start(es);
  }
  if (rc != PAPI_OK && es != PAPI_NULL) {
    PAPI_cleanup_eventset(es);
    PAPI_destroy_eventset(&es);
  }
  *esp = es;
  return rc;
}
#endif

void gnx_counters_worker_begin(struct gnx_worker *w) {
  const struct gnx_counters *c = w->run->counters;
  gnx_worker_probe(w)->n_fd = 0;
  gnx_worker_probe(w)->papi_on = 0;
  if (!c || c->mode == GNX_CTR_OFF) {
    return;
  }
  gnx_worker_probe(w)->counting = 1;
  w->tw->ctr_src = 0;
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    gnx_worker_probe(w)->fd[i] = -1;
    if (c->perf_mask & (1 << i)) {
      /* this thread only: the worker's own share */
      int fd = gnx__perf_open(i, 0, c->perf_exclude_kernel);
      if (fd >= 0) {
        gnx_worker_probe(w)->fd[i] = fd;
        gnx_worker_probe(w)->n_fd++;
      }
    }
  }
  gnx__thread_sw(gnx_worker_probe(w)->t0);
#ifdef GNX_HAVE_PAPI
  if (c->papi_ok) {
    int es = PAPI_NULL, st = gnx__papi_thread_start(c, &es);
    if (st == PAPI_EISRUN && getpid() != w->run->main_pid) {
      /* A forked worker inherits its parent thread's PAPI state, including
       * the event set the parent's own worker (e.g. the sink) is running,
       * and PAPI allows one running set per thread: start afresh. */
      PAPI_shutdown();
      gnx__papi_state = 0;
      st = gnx__papi_lib_init() == 1 ? gnx__papi_thread_start(c, &es) : PAPI_ESYS;
    }
    if (st == PAPI_OK) {
      gnx_worker_probe(w)->papi_es = es;
      gnx_worker_probe(w)->papi_on = 1;
    }
  }
#endif
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    if (gnx_worker_probe(w)->fd[i] >= 0) {
      ioctl(gnx_worker_probe(w)->fd[i], PERF_EVENT_IOC_RESET, 0);
      ioctl(gnx_worker_probe(w)->fd[i], PERF_EVENT_IOC_ENABLE, 0);
    }
  }
}

void gnx_counters_worker_end(struct gnx_worker *w) {
  const struct gnx_counters *c = w->run->counters;
  if (!c || c->mode == GNX_CTR_OFF || !w->tw || !gnx_worker_probe(w)->counting) {
    return;
  }
  gnx_worker_probe(w)->counting = 0;
  int64_t perf[GNX_SW__COUNT];
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    perf[i] = -1;
    if (gnx_worker_probe(w)->n_fd && gnx_worker_probe(w)->fd[i] >= 0) {
      ioctl(gnx_worker_probe(w)->fd[i], PERF_EVENT_IOC_DISABLE, 0);
      perf[i] = gnx__perf_read(gnx_worker_probe(w)->fd[i]);
      close(gnx_worker_probe(w)->fd[i]);
      gnx_worker_probe(w)->fd[i] = -1;
    }
  }
  gnx_worker_probe(w)->n_fd = 0;
#ifdef GNX_HAVE_PAPI
  if (gnx_worker_probe(w)->papi_on) {
    long long v[GNX_PAPI_MAX] = {0};
    int rc = PAPI_stop(gnx_worker_probe(w)->papi_es, v);
    for (int i = 0, k = 0; i < c->n_events; i++) {
      if (c->ev_ok[i]) {
        w->tw->wctr[GNX_SW__COUNT + i] = rc == PAPI_OK ? v[k] : -1;
        k++;
      }
    }
    PAPI_cleanup_eventset(gnx_worker_probe(w)->papi_es);
    PAPI_destroy_eventset(&gnx_worker_probe(w)->papi_es);
    PAPI_unregister_thread();
    gnx_worker_probe(w)->papi_on = 0;
  }
#endif
  int64_t t1[GNX_SW__COUNT];
  gnx__thread_sw(t1);
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    int64_t ru = t1[i] >= 0 && gnx_worker_probe(w)->t0[i] >= 0 ? t1[i] - gnx_worker_probe(w)->t0[i]
                                                                  : -1;
    /* perf_event counts only the faults taken in user mode; memory the
     * kernel fills in on the thread's behalf (MAP_POPULATE, as the core's
     * large buffers are) faults too, and getrusage counts those: a fresh
     * procpool child's first GNN items took 2075 such faults, perf saw
     * none of them. */
    if (i == GNX_SW_FAULTS && ru > perf[i]) {
      perf[i] = -1;
    }
    if (perf[i] >= 0) {
      w->tw->wctr[i] = perf[i];
      w->tw->ctr_src |= 1u << i;
    } else if ((c->sw_src[i] == GNX_SRC_RUSAGE || i == GNX_SW_FAULTS) && ru >= 0) {
      w->tw->wctr[i] = ru;
    }
  }
}
