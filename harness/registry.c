/* SPDX-License-Identifier: MIT */
/* harness/registry.c: the tables generated from the engine and workload lists. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-list.h"
#include "harness/registry.h"
#include "workload-list.h"

#define GNX__DECL_MAX 64

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
  if ((o->flags & GNX_OPT_F_AUTO) && strcmp(value, "auto") == 0) {
    return 0;
  }
  switch (o->type) {
  case GNX_OPT_U64: {
    uint64_t x;
    if (gnx_parse_u64(value, &x) < 0) {
      snprintf(why, len, "--%s: '%s' is not a whole number (use digits, optionally with k, m or g%s)",
               o->name, value, o->flags & GNX_OPT_F_AUTO ? ", or auto" : "");
      return GNX_EUSAGE;
    }
    if (x < o->min || x > o->max) {
      snprintf(why, len, "--%s: %s is out of range (%llu..%llu)", o->name, value,
               (unsigned long long)o->min, (unsigned long long)o->max);
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

/* ---- registration checks (as fio's check_engine_ops) --------------------- */

/* What validation reads must agree (the type, the range, whether auto is
 * taken); each plugin keeps its own default and help (--batch is 1000
 * records for etl, 1 for null). */
static int gnx__option_same(const struct gnx_option *a, const struct gnx_option *b) {
  return a->type == b->type && a->min == b->min && a->max == b->max && a->flags == b->flags;
}

struct gnx__decl {
  const char *owner;
  const struct gnx_option *opts;
};

/* Two plugins declaring one option name must declare it the same way: the
 * command line has one --name, and it means one thing. */
static int gnx__options_check(const struct gnx__decl *d, size_t n, char *why, size_t len) {
  for (size_t i = 0; i < n; i++) {
    for (const struct gnx_option *o = d[i].opts; o && o->name; o++) {
      if (o->type == GNX_OPT_U64 && (o->max == 0 || o->max < o->min)) {
        snprintf(why, len, "option --%s of %s has no upper bound (max 0, or below min); give "
                           "every count and duration a range",
                 o->name, d[i].owner);
        return GNX_EUSAGE;
      }
      for (size_t j = i + 1; j < n; j++) {
        for (const struct gnx_option *p = d[j].opts; p && p->name; p++) {
          if (strcmp(o->name, p->name) == 0 && !gnx__option_same(o, p)) {
            snprintf(why, len,
                     "option --%s is declared with another type, range or auto by %s than by %s; "
                     "share one declaration (engines/common/options.h) or give one another name",
                     o->name, d[i].owner, d[j].owner);
            return GNX_EUSAGE;
          }
        }
      }
    }
  }
  return 0;
}

int gnx_plugins_check(const struct gnx_engine *const *engines, size_t n_engines,
                      const struct gnx_workload *const *workloads, size_t n_workloads, char *why,
                      size_t len) {
  struct gnx__decl decl[GNX__DECL_MAX];
  size_t nd = 0;
  for (size_t i = 0; i < n_engines; i++) {
    const struct gnx_engine *e = engines[i];
    if (e->abi != GNX_ENGINE_ABI || !e->name || !*e->name || !e->summary || !e->run) {
      snprintf(why, len, "engine %s: abi %u (want %u), or a required field (name, summary, run) "
                         "is missing",
               e->name ? e->name : "?", e->abi, GNX_ENGINE_ABI);
      return GNX_EUSAGE;
    }
    if (nd < GNX__DECL_MAX) {
      decl[nd++] = (struct gnx__decl){e->name, e->options};
    }
  }
  for (size_t i = 0; i < n_workloads; i++) {
    const struct gnx_workload *w = workloads[i];
    if (w->abi != GNX_WORKLOAD_ABI || !w->name || !*w->name || !w->summary || !w->setup ||
        !w->teardown || !w->stages || w->n_stages == 0 || !w->sink_name || !w->sink_open ||
        !w->sink_put || !w->sink_close) {
      snprintf(why, len, "workload %s: abi %u (want %u), or a required hook (setup, teardown, "
                         "stages, sink_open, sink_put, sink_close) is missing",
               w->name ? w->name : "?", w->abi, GNX_WORKLOAD_ABI);
      return GNX_EUSAGE;
    }
    for (unsigned k = 0; k < w->n_stages; k++) {
      if (!w->stages[k].name || !w->stages[k].run) {
        snprintf(why, len, "workload %s: stage %u has no name or no run hook", w->name, k);
        return GNX_EUSAGE;
      }
    }
    if (nd < GNX__DECL_MAX) {
      decl[nd++] = (struct gnx__decl){w->name, w->options};
    }
  }
  return gnx__options_check(decl, nd, why, len);
}

int gnx_registry_check(char *why, size_t len) {
  return gnx_plugins_check(gnx_engines, gnx_n_engines, gnx_workloads, gnx_n_workloads, why, len);
}
