/* SPDX-License-Identifier: MIT */
/* workloads/null.c: items that do no work, to measure the harness itself.
 *
 * Each item is 8 bytes (its index) passed through three stages. With
 * --cost STAGE=US,... a stage (or the sink) spins for that many
 * microseconds per item (CPU-bound, like real work), and --skew makes items
 * uneven, so tests and the model's accuracy benchmark can build a pipeline
 * with a known bottleneck, a slow sink or uneven items. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnx/engine.h"
#include "gnx/workload.h"

/* --cost's largest value: 10 s of spinning per item is already absurd. */
#define NULL_COST_MAX_US 10000000
#define NULL_STAGES 4 /* gen, s1, s2, s3; index NULL_STAGES in cost_ns is the sink */

static const struct gnx_option null_options[] = {
    {"batch", GNX_OPT_U64, "1", "records per item (items = ceil(n / batch))", 1, 1000000000, 0},
    {"cost", GNX_OPT_STR, NULL,
     "busy microseconds per item per stage or the sink, e.g. s2=500,gen=10,sink=50", 0, 0, 0},
    {"skew", GNX_OPT_U64, "0",
     "uneven items: each item's costs vary by up to this many percent, the same for every "
     "engine",
     0, 100, 0},
    GNX_OPTION_STAGE_SCALE,
    {"sink-fail", GNX_OPT_U64, NULL,
     "the sink fails on this item (to check that every engine reports it the same way)", 0,
     1000000000, 0},
    GNX_OPTIONS_END,
};

struct null_shared {
  uint64_t cost_ns[NULL_STAGES + 1];
  uint64_t skew;      /* percent */
  uint64_t sink_fail; /* UINT64_MAX: never */
};

struct null_sink {
  uint64_t items, sum, hash;
  uint64_t fail_at;
  const struct null_shared *sh;
};

static const char *const null_stage_names[NULL_STAGES + 1] = {"gen", "s1", "s2", "s3", "sink"};

/* Parse "s2=500,gen=10" into per-stage nanoseconds. */
static int null_parse_cost(const char *spec, uint64_t cost_ns[NULL_STAGES + 1]) {
  if (!spec) {
    return 0;
  }
  char *copy = strdup(spec);
  if (!copy) {
    return -ENOMEM;
  }
  int rc = 0;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    uint64_t us = 0;
    int stage = -1;
    if (eq) {
      *eq = '\0';
      for (int s = 0; s <= NULL_STAGES; s++) {
        if (strcmp(tok, null_stage_names[s]) == 0) {
          stage = s;
        }
      }
    }
    if (stage < 0 || gnx_parse_u64(eq + 1, &us) < 0 || us > NULL_COST_MAX_US) {
      rc = GNX_EUSAGE;
      break;
    }
    cost_ns[stage] = us * 1000;
  }
  free(copy);
  return rc;
}

static int null_setup(const struct gnx_params *p, void **shared, struct gnx_workload_info *info,
                      char *why) {
  struct null_shared *s = calloc(1, sizeof *s);
  if (!s) {
    return -ENOMEM;
  }
  int rc = null_parse_cost(gnx_param_str(p, "cost"), s->cost_ns);
  if (rc < 0) {
    snprintf(why, GNX_WHY_MAX,
             "--cost '%s': expected STAGE=MICROSECONDS,... with stages gen, s1, s2, s3, sink "
             "and 0 to 10000000 microseconds",
             gnx_param_str(p, "cost"));
    free(s);
    return rc;
  }
  double f[NULL_STAGES + 1] = {1, 1, 1, 1, 1};
  const char *scale = gnx_param_str(p, "stage-scale");
  if (scale && gnx_stage_scale_parse("--stage-scale", scale, null_stage_names, NULL_STAGES + 1, f, why) < 0) {
    free(s);
    return GNX_EUSAGE;
  }
  for (int k = 0; k <= NULL_STAGES; k++) {
    s->cost_ns[k] = (uint64_t)llround((double)s->cost_ns[k] * f[k]);
  }
  s->skew = gnx_param_u64(p, "skew");
  s->sink_fail = gnx_param_str(p, "sink-fail") ? gnx_param_u64(p, "sink-fail") : UINT64_MAX;
  uint64_t batch = gnx_param_u64(p, "batch");
  info->items = (p->n + batch - 1) / batch;
  info->sink_wait_ns = 0;
  *shared = s;
  return 0;
}

static void null_teardown(void *shared) { free(shared); }

/* Item i's cost of a stage costing ns on average: within +-skew %, by a
 * hash of i, so every engine and repetition sees the same uneven items. */
static uint64_t null_cost(const struct null_shared *sh, unsigned stage, uint64_t item) {
  uint64_t ns = sh->cost_ns[stage];
  if (!sh->skew || !ns) {
    return ns;
  }
  uint64_t h = (item + 1) * 0x9E3779B97F4A7C15ull;
  h ^= h >> 29;
  double u = (double)(h % 10001) / 10000 * 2 - 1; /* -1 .. 1 */
  return (uint64_t)llround((double)ns * (1 + u * (double)sh->skew / 100));
}

static int null_gen(const void *shared, void *state, uint64_t item, const struct gnx_buf *in,
                    struct gnx_buf *out) {
  gnx_spin_ns(null_cost(shared, 0, item));
  return gnx_buf_append(out, &item, sizeof item);
}

#define NULL_PASS(k)                                                                      \
  static int null_s##k(const void *shared, void *state, uint64_t item,                   \
                       const struct gnx_buf *in, struct gnx_buf *out) {                  \
    gnx_spin_ns(null_cost(shared, k, item));                                                \
    return gnx_buf_copy(out, in);                                                         \
  }
NULL_PASS(1)
NULL_PASS(2)
NULL_PASS(3)

static const struct gnx_stage_ops null_stages[NULL_STAGES] = {
    {"gen", null_gen}, {"s1", null_s1}, {"s2", null_s2}, {"s3", null_s3}};

static int null_sink_open(const void *shared, void **sink) {
  struct null_sink *k = calloc(1, sizeof *k);
  if (k) {
    k->sh = shared;
    k->fail_at = k->sh->sink_fail;
  }
  *sink = k;
  return k ? 0 : -ENOMEM;
}

static int null_sink_put(void *sink, uint64_t item, const struct gnx_buf *in) {
  struct null_sink *k = sink;
  uint64_t v;
  if (in->len != sizeof v) {
    return GNX_ESTAGE;
  }
  if (item == k->fail_at) {
    return -ENOSPC; /* --sink-fail: as a full disk would */
  }
  gnx_spin_ns(null_cost(k->sh, NULL_STAGES, item));
  memcpy(&v, in->data, sizeof v);
  if (v != item || k->items != item) { /* out of order or wrong bytes */
    return GNX_EVERIFY;
  }
  k->items++;
  k->sum += v;
  k->hash = (k->hash ^ v) * 0x100000001B3ull;
  return 0;
}

static int null_sink_close(void *sink, json_t **summary) {
  struct null_sink *k = sink;
  int rc = 0;
  if (summary) {
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)k->hash);
    *summary = json_pack("{s:I, s:I, s:s}", "items", (json_int_t)k->items, "sum",
                         (json_int_t)k->sum, "hash", hex);
    rc = *summary ? 0 : -ENOMEM;
  }
  free(k);
  return rc;
}

const struct gnx_workload gnx_workload_null = {
    .abi = GNX_WORKLOAD_ABI,
    .name = "null",
    .summary = "no work: measures the harness per item; --cost gives stages a known cost",
    .flags = GNX_WORKLOAD_F_DIAGNOSTIC,
    .options = null_options,
    .setup = null_setup,
    .teardown = null_teardown,
    .stages = null_stages,
    .n_stages = NULL_STAGES,
    .sink_name = "sink",
    .sink_open = null_sink_open,
    .sink_put = null_sink_put,
    .sink_close = null_sink_close,
};
