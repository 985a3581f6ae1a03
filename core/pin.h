/* SPDX-License-Identifier: MIT */
/* core/pin.h: worker placement with hwloc.
 *
 * A plan is an ordered list of PUs; worker i runs on plan[i % n]. It is
 * made once, in the parent, from a topology (the machine's, or a synthetic
 * one in the tests) and the PUs this process may use: the topology's
 * allowed cpuset intersected with the process's current binding (taskset is
 * not a restriction hwloc sees). Each worker binds itself in
 * gnx_worker_enter with HWLOC_CPUBIND_THREAD, which is right for a thread
 * and for a single-threaded forked process alike, and never rebinds the
 * other threads of the harness. */
#ifndef GNX_HARNESS_PIN_H
#define GNX_HARNESS_PIN_H

#include <stddef.h>

#include "gnx/engine.h"

enum gnx_pin_policy { GNX_PIN_NONE = 0, GNX_PIN_COMPACT, GNX_PIN_SCATTER, GNX_PIN_LIST };

#define GNX_PIN_MAX 1024

struct gnx_pin_plan {
  int policy;
  int n;                  /* PUs in the plan */
  int os[GNX_PIN_MAX];    /* OS index (what sched_getcpu returns) */
  int logical[GNX_PIN_MAX]; /* hwloc logical index */
  void *topo;             /* hwloc_topology_t used to bind; NULL in tests */
};

/* Parse none|compact|scatter|<list of logical PU indexes>. list gets the
 * indexes for GNX_PIN_LIST. Returns the policy, or GNX_EUSAGE with why. */
int gnx_pin_parse(const char *s, int *list, int *n_list, int max, char *why, size_t len);

const char *gnx_pin_policy_name(int policy);

/* Make the plan on topology topo (a loaded hwloc_topology_t). restrict_bind:
 * also intersect with this process's current binding (only meaningful on the
 * real machine). Returns 0, GNX_EUSAGE (a listed PU missing or not allowed,
 * with why) or GNX_EUNAVAIL (built without hwloc). */
int gnx_pin_plan_make(void *topo, int policy, const int *list, int n_list, int restrict_bind,
                      struct gnx_pin_plan *p, char *why, size_t len);

/* Load this machine's topology and make the plan; the plan keeps the
 * topology for binding. Free with gnx_pin_plan_free. */
int gnx_pin_plan_host(int policy, const int *list, int n_list, struct gnx_pin_plan *p,
                      char *why, size_t len);
void gnx_pin_plan_free(struct gnx_pin_plan *p);

/* In the worker (gnx_worker_enter/exit): bind the calling thread to its PU
 * and record where it asked to run; restore the old mask at exit. */
void gnx_pin_worker_bind(struct gnx_worker *w);
void gnx_pin_worker_unbind(struct gnx_worker *w);

/* Unpinned: move the calling worker to a CPU of its own for its start,
 * keeping its mask (what gnx_pin_worker_bind does without a plan). */
void gnx_pin_worker_spread(struct gnx_worker *w);

#endif
