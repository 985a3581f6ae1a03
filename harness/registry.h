/* SPDX-License-Identifier: MIT */
/* harness/registry.h: the engines and workloads built into this binary, and
 * turning typed options into gnx_params. */
#ifndef GNX_HARNESS_REGISTRY_H
#define GNX_HARNESS_REGISTRY_H

#include "gnx/engine.h"
#include "gnx/workload.h"

extern const struct gnx_engine *const gnx_engines[];
extern const size_t gnx_n_engines;
extern const struct gnx_workload *const gnx_workloads[];
extern const size_t gnx_n_workloads;

const struct gnx_engine *gnx_engine_find(const char *name);
const struct gnx_workload *gnx_workload_find(const char *name);

/* One "--name value" the user typed. */
struct gnx_kv {
  const char *name;
  const char *value;
};

/* Params for one plugin: every declared option, with the user's value where
 * one was given among kv[0..n_kv) and the default otherwise. Values are
 * assumed validated (gnx_option_validate). The array is malloc'd:
 * free with gnx_params_free. Returns 0 or -ENOMEM. */
int gnx_params_build(const struct gnx_option *opts, uint64_t n, const struct gnx_kv *kv,
                     size_t n_kv, struct gnx_params *out);
void gnx_params_free(struct gnx_params *p);

/* Check one value against its declaration. Returns 0 or GNX_EUSAGE with a
 * one-line reason in why. */
int gnx_option_validate(const struct gnx_option *o, const char *value, char *why, size_t len);

/* Check plugins as they register: the ABI versions, the required hooks,
 * and that two declarations of one option name are the same. Returns 0 or
 * GNX_EUSAGE with the problem in why. gnx_registry_check does it for the
 * built-in tables (main() calls it first; a failure is a build defect). */
int gnx_plugins_check(const struct gnx_engine *const *engines, size_t n_engines,
                      const struct gnx_workload *const *workloads, size_t n_workloads, char *why,
                      size_t len);
int gnx_registry_check(char *why, size_t len);

/* The declaration of --name among all built-in plugins, or NULL. */
const struct gnx_option *gnx_option_lookup(const char *name);

#endif
