/* SPDX-License-Identifier: MIT */
/* core/pin.c: placement plans (compact, scatter, list) and binding. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef GNX_HAVE_HWLOC
#include <hwloc.h>
#endif

#include "core/pin.h"
#include "core/probe.h"

const char *gnx_pin_policy_name(int policy) {
  switch (policy) {
  case GNX_PIN_COMPACT:
    return "compact";
  case GNX_PIN_SCATTER:
    return "scatter";
  case GNX_PIN_LIST:
    return "list";
  default:
    return "none";
  }
}

int gnx_pin_parse(const char *s, int *list, int *n_list, int max, char *why, size_t len) {
  *n_list = 0;
  if (strcmp(s, "none") == 0) {
    return GNX_PIN_NONE;
  }
  if (strcmp(s, "compact") == 0) {
    return GNX_PIN_COMPACT;
  }
  if (strcmp(s, "scatter") == 0) {
    return GNX_PIN_SCATTER;
  }
  const char *p = s;
  while (*p) {
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (end == p || errno || v < 0 || v >= GNX_PIN_MAX || (*end && *end != ',') ||
        (*end == ',' && !end[1]) || *n_list == max || *p == '-' || *p == '+' || *p == ' ') {
      snprintf(why, len,
               "--pin: '%s' is not none, compact, scatter or a list of logical PU indexes "
               "such as 0,2,4",
               s);
      return GNX_EUSAGE;
    }
    list[(*n_list)++] = (int)v;
    p = *end ? end + 1 : end;
  }
  if (*n_list == 0) {
    snprintf(why, len, "--pin: empty value; use none, compact, scatter or e.g. 0,2,4");
    return GNX_EUSAGE;
  }
  return GNX_PIN_LIST;
}

#ifdef GNX_HAVE_HWLOC
/* Scatter order of the allowed PUs under obj: each child's own scatter
 * order, interleaved round-robin, so consecutive workers land in different
 * packages first, then different cores, then different PUs of a core. */
static int gnx__scatter(hwloc_obj_t obj, hwloc_const_cpuset_t allowed, int *out) {
  if (obj->type == HWLOC_OBJ_PU) {
    if (!hwloc_bitmap_isset(allowed, obj->os_index)) {
      return 0;
    }
    out[0] = (int)obj->logical_index;
    return 1;
  }
  unsigned k = obj->arity;
  if (k == 0) {
    return 0;
  }
  int total = hwloc_bitmap_weight(obj->cpuset);
  if (total <= 0) {
    return 0;
  }
  int *buf = malloc(sizeof(int) * (size_t)total);
  int *cnt = calloc(k, sizeof(int));
  int *off = calloc(k, sizeof(int));
  int n = 0;
  if (!buf || !cnt || !off) {
    free(buf), free(cnt), free(off);
    return 0;
  }
  int used = 0;
  for (unsigned c = 0; c < k; c++) {
    off[c] = used;
    cnt[c] = gnx__scatter(obj->children[c], allowed, buf + used);
    used += cnt[c];
  }
  for (int round = 0; n < used; round++) {
    for (unsigned c = 0; c < k; c++) {
      if (round < cnt[c]) {
        out[n++] = buf[off[c] + round];
      }
    }
  }
  free(buf), free(cnt), free(off);
  return n;
}
#endif

int gnx_pin_plan_make(void *topo_, int policy, const int *list, int n_list, int restrict_bind,
                      struct gnx_pin_plan *p, char *why, size_t len) {
  memset(p, 0, sizeof *p);
  p->policy = policy;
  if (policy == GNX_PIN_NONE) {
    return 0;
  }
#ifndef GNX_HAVE_HWLOC
  (void)topo_, (void)list, (void)n_list, (void)restrict_bind;
  snprintf(why, len, "--pin: built without hwloc (install libhwloc-dev and rebuild)");
  return GNX_EUNAVAIL;
#else
  hwloc_topology_t topo = topo_;
  hwloc_bitmap_t allowed = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(topo));
  if (!allowed) {
    return -ENOMEM;
  }
  if (restrict_bind) {
    hwloc_bitmap_t cur = hwloc_bitmap_alloc();
    if (cur && hwloc_get_cpubind(topo, cur, HWLOC_CPUBIND_PROCESS) == 0 &&
        hwloc_bitmap_intersects(cur, allowed)) {
      hwloc_bitmap_and(allowed, allowed, cur);
    }
    hwloc_bitmap_free(cur);
  }
  int npu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  int rc = 0;
  if (policy == GNX_PIN_COMPACT) {
    /* logical order already fills the PUs of a core, then the cores of a
     * package, then packages */
    for (int i = 0; i < npu && p->n < GNX_PIN_MAX; i++) {
      hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i);
      if (pu && hwloc_bitmap_isset(allowed, pu->os_index)) {
        p->logical[p->n++] = i;
      }
    }
  } else if (policy == GNX_PIN_SCATTER) {
    int *order = malloc(sizeof(int) * (size_t)(npu > 0 ? npu : 1));
    if (!order) {
      hwloc_bitmap_free(allowed);
      return -ENOMEM;
    }
    int n = gnx__scatter(hwloc_get_root_obj(topo), allowed, order);
    for (int i = 0; i < n && p->n < GNX_PIN_MAX; i++) {
      p->logical[p->n++] = order[i];
    }
    free(order);
  } else {
    for (int i = 0; i < n_list && rc == 0; i++) {
      hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)list[i]);
      if (!pu) {
        snprintf(why, len, "--pin: PU L#%d does not exist; this machine has logical PUs 0-%d",
                 list[i], npu - 1);
        rc = GNX_EUSAGE;
      } else if (!hwloc_bitmap_isset(allowed, pu->os_index)) {
        snprintf(why, len, "--pin: PU L#%d (P#%u) is not in the cpuset this process may use",
                 list[i], pu->os_index);
        rc = GNX_EUSAGE;
      } else {
        p->logical[p->n++] = list[i];
      }
    }
  }
  if (rc == 0 && p->n == 0) {
    snprintf(why, len, "--pin: no PU is allowed for this process");
    rc = GNX_EUSAGE;
  }
  for (int i = 0; rc == 0 && i < p->n; i++) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)p->logical[i]);
    if (!pu) { /* the topology changed under us (CPU hot-unplug) */
      snprintf(why, len, "--pin: PU L#%d is gone from the topology", p->logical[i]);
      rc = GNX_EUSAGE;
      break;
    }
    p->os[i] = (int)pu->os_index;
  }
  hwloc_bitmap_free(allowed);
  return rc;
#endif
}

int gnx_pin_plan_host(int policy, const int *list, int n_list, struct gnx_pin_plan *p, char *why,
                      size_t len) {
  memset(p, 0, sizeof *p);
  p->policy = policy;
  if (policy == GNX_PIN_NONE) {
    return 0;
  }
#ifndef GNX_HAVE_HWLOC
  return gnx_pin_plan_make(NULL, policy, list, n_list, 1, p, why, len);
#else
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) < 0) {
    return -errno;
  }
  if (hwloc_topology_load(topo) < 0) {
    int e = -errno;
    hwloc_topology_destroy(topo);
    return e;
  }
  int rc = gnx_pin_plan_make(topo, policy, list, n_list, 1, p, why, len);
  if (rc < 0) {
    hwloc_topology_destroy(topo);
    return rc;
  }
  p->topo = topo;
  return 0;
#endif
}

void gnx_pin_plan_free(struct gnx_pin_plan *p) {
#ifdef GNX_HAVE_HWLOC
  if (p->topo) {
    hwloc_topology_destroy(p->topo);
  }
#endif
  memset(p, 0, sizeof *p);
}

/* Whether this process has a single thread (/proc/self/status). */
static int gnx__single_threaded(void) {
  FILE *f = fopen("/proc/self/status", "re");
  if (!f) {
    return 0;
  }
  char line[256];
  int threads = 0;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "Threads: %d", &threads) == 1) {
      break;
    }
  }
  fclose(f);
  return threads == 1;
}

/* An unpinned worker starts on a CPU of its own: worker i moves to the
 * (i mod n)-th CPU it may run on and at once gets its whole mask back, so
 * the scheduler is free to move it later. Without this, workers woken
 * together on a busy machine often queue on one CPU while the other idles
 * until the next balancing tick: on the 2-vCPU VM async's two pool threads
 * were both on CPU 0 at its start gate in 10 of 10 runs of etl 25k, and
 * the second started its first item 0.5-4 ms after the first. Spread, and
 * yielding at the start gate (GNX_GATE_SPIN_NS), none was late in 6 runs
 * of procpool or of threads, against 3 and 4 of 6 yielding unspread. */
void gnx_pin_worker_spread(struct gnx_worker *w) {
  cpu_set_t all;
  if (w->index < 0 || sched_getaffinity(0, sizeof all, &all) < 0) {
    return;
  }
  int n = CPU_COUNT(&all), k = n > 1 ? w->index % n : -1, cpu = -1;
  for (int c = 0; k >= 0 && c < CPU_SETSIZE; c++) {
    if (CPU_ISSET(c, &all) && k-- == 0) {
      cpu = c;
    }
  }
  if (cpu < 0 || cpu == sched_getcpu()) {
    return;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) == 0) { /* moves this thread now */
    (void)sched_setaffinity(0, sizeof all, &all);
  }
}

void gnx_pin_worker_bind(struct gnx_worker *w) {
  const struct gnx_pin_plan *p = w->run->pin;
  if (!p || p->policy == GNX_PIN_NONE || p->n == 0 || w->index < 0) {
    gnx_pin_worker_spread(w);
    return;
  }
  int k = w->index % p->n;
  w->tw->cpu_asked = p->os[k];
  w->tw->cpu_asked_logical = p->logical[k];
  struct gnx_worker_probe *pr = gnx_worker_probe(w);
  cpu_set_t *old = (cpu_set_t *)(void *)pr->old_mask;
  _Static_assert(sizeof pr->old_mask >= sizeof(cpu_set_t), "old_mask holds a cpu_set_t");
  if (sched_getaffinity(0, sizeof *old, old) < 0) {
    w->tw->bind_err = -errno;
    return;
  }
  int rc;
#ifdef GNX_HAVE_HWLOC
  if (p->topo) {
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set) {
      w->tw->bind_err = -ENOMEM;
      return;
    }
    hwloc_bitmap_only(set, (unsigned)p->os[k]);
    /* A forked worker process that is one thread (procpool's) binds as a
     * process, so any thread it starts later stays on its PU; a thread
     * binds only itself (PROCESS there would rebind the harness, or the
     * other pipeline threads of subproc's child). */
    int whole = getpid() != w->run->main_pid && gnx__single_threaded();
    rc = hwloc_set_cpubind(p->topo, set, whole ? HWLOC_CPUBIND_PROCESS : HWLOC_CPUBIND_THREAD) < 0
             ? -errno
             : 0;
    hwloc_bitmap_free(set);
  } else
#endif
  {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(p->os[k], &one);
    rc = sched_setaffinity(0, sizeof one, &one) < 0 ? -errno : 0; /* 0: this thread */
  }
  w->tw->bind_err = rc;
  gnx_worker_probe(w)->bound = rc == 0;
}

void gnx_pin_worker_unbind(struct gnx_worker *w) {
  if (gnx_worker_probe(w)->bound) {
    /* the serial engine's worker is the harness's main thread: give it its
     * old mask back, or every later run would inherit the pin */
    (void)sched_setaffinity(0, sizeof(cpu_set_t),
                            (cpu_set_t *)(void *)gnx_worker_probe(w)->old_mask);
    gnx_worker_probe(w)->bound = 0;
  }
}
