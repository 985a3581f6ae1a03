/* SPDX-License-Identifier: MIT */
/* harness/registry.c: the tables generated from the engine and workload lists. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-list.h"
#include "harness/registry.h"
#include "workload-list.h"

#define GNX__DECL_ENGINE(n) extern const struct gnx_engine gnx_engine_##n;
#define GNX__REF_ENGINE(n) &gnx_engine_##n,
#define GNX__DECL_WORKLOAD(n) extern const struct gnx_workload gnx_workload_##n;
#define GNX__REF_WORKLOAD(n) &gnx_workload_##n,

GNX_ENGINE_LIST(GNX__DECL_ENGINE)
GNX_WORKLOAD_LIST(GNX__DECL_WORKLOAD)

const struct gnx_engine *const gnx_engines[] = {GNX_ENGINE_LIST(GNX__REF_ENGINE)};
const size_t gnx_n_engines = sizeof gnx_engines / sizeof gnx_engines[0];
const struct gnx_workload *const gnx_workloads[] = {GNX_WORKLOAD_LIST(GNX__REF_WORKLOAD)};
const size_t gnx_n_workloads = sizeof gnx_workloads / sizeof gnx_workloads[0];

const struct gnx_engine *gnx_engine_find(const char *name) {
  for (size_t i = 0; i < gnx_n_engines; i++) {
    if (strcmp(gnx_engines[i]->name, name) == 0) {
      return gnx_engines[i];
    }
  }
  return NULL;
}

const struct gnx_workload *gnx_workload_find(const char *name) {
  for (size_t i = 0; i < gnx_n_workloads; i++) {
    if (strcmp(gnx_workloads[i]->name, name) == 0) {
      return gnx_workloads[i];
    }
  }
  return NULL;
}

static size_t gnx__options_count(const struct gnx_option *o) {
  size_t n = 0;
  while (o && o[n].name) {
    n++;
  }
  return n;
}

int gnx_params_build(const struct gnx_option *opts, uint64_t n, const struct gnx_kv *kv,
                     size_t n_kv, struct gnx_params *out) {
  size_t count = gnx__options_count(opts);
  struct gnx_param *v = calloc(count ? count : 1, sizeof *v);
  if (!v) {
    return -ENOMEM;
  }
  for (size_t i = 0; i < count; i++) {
    v[i].opt = &opts[i];
    v[i].value = opts[i].def;
    for (size_t k = 0; k < n_kv; k++) {
      if (strcmp(kv[k].name, opts[i].name) == 0) {
        v[i].value = kv[k].value;
        v[i].given = 1;
      }
    }
  }
  out->n = n;
  out->v = v;
  out->count = count;
  return 0;
}

void gnx_params_free(struct gnx_params *p) {
  free((void *)p->v);
  p->v = NULL;
  p->count = 0;
}

int gnx_option_validate(const struct gnx_option *o, const char *value, char *why, size_t len) {
  switch (o->type) {
  case GNX_OPT_U64: {
    uint64_t x;
    if (gnx_parse_u64(value, &x) < 0) {
      snprintf(why, len, "--%s: '%s' is not a whole number (use digits, optionally with k, m or g)",
               o->name, value);
      return GNX_EUSAGE;
    }
    if (x < o->min || (o->max && x > o->max)) {
      if (o->max) {
        snprintf(why, len, "--%s: %s is out of range (%llu..%llu)", o->name, value,
                 (unsigned long long)o->min, (unsigned long long)o->max);
      } else {
        snprintf(why, len, "--%s: %s is out of range (at least %llu)", o->name, value,
                 (unsigned long long)o->min);
      }
      return GNX_EUSAGE;
    }
    return 0;
  }
  case GNX_OPT_DOUBLE: {
    char *end = NULL;
    errno = 0;
    double d = strtod(value, &end);
    if (!*value || *end || errno || d != d) {
      snprintf(why, len, "--%s: '%s' is not a number", o->name, value);
      return GNX_EUSAGE;
    }
    return 0;
  }
  case GNX_OPT_STR:
    if (!*value) {
      snprintf(why, len, "--%s: the value is empty", o->name);
      return GNX_EUSAGE;
    }
    return 0;
  }
  snprintf(why, len, "--%s: bad declaration", o->name);
  return GNX_EUSAGE;
}

const struct gnx_option *gnx_option_lookup(const char *name) {
  for (size_t i = 0; i < gnx_n_workloads; i++) {
    for (const struct gnx_option *o = gnx_workloads[i]->options; o && o->name; o++) {
      if (strcmp(o->name, name) == 0) {
        return o;
      }
    }
  }
  for (size_t i = 0; i < gnx_n_engines; i++) {
    for (const struct gnx_option *o = gnx_engines[i]->options; o && o->name; o++) {
      if (strcmp(o->name, name) == 0) {
        return o;
      }
    }
  }
  return NULL;
}
