/* SPDX-License-Identifier: MIT */
/* reports/profile.c: the model's inputs and outputs as report.json holds them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/profile.h"

static json_t *gnx__ns(double s) { return json_integer((json_int_t)llround(s * 1e9)); }

static int gnx__dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Stage s's costs in c, sorted, as GNX_PROFILE_QUANTILES evenly spaced values. */
static json_t *gnx__quantiles(const struct gnx_profile *p, const double *c, unsigned s) {
  double *v = malloc(p->items * sizeof *v);
  json_t *q = json_array();
  if (!v) {
    return q;
  }
  for (uint64_t i = 0; i < p->items; i++) {
    v[i] = c[i * (p->n_stages + 1) + s];
  }
  qsort(v, p->items, sizeof *v, gnx__dbl_cmp);
  for (unsigned k = 0; k < GNX_PROFILE_QUANTILES; k++) {
    uint64_t i = (uint64_t)((double)k * (double)(p->items - 1) / (GNX_PROFILE_QUANTILES - 1));
    json_array_append_new(q, gnx__ns(v[i]));
  }
  free(v);
  return q;
}

/* One cost list per stage: every item's, or the quantiles of many. */
static json_t *gnx__costs_json(const struct gnx_profile *p, const double *c) {
  int exact = p->items <= GNX_PROFILE_EXACT_MAX;
  json_t *costs = json_array();
  for (unsigned s = 0; s <= p->n_stages; s++) {
    json_t *l = exact ? json_array() : gnx__quantiles(p, c, s);
    for (uint64_t i = 0; exact && i < p->items; i++) {
      json_array_append_new(l, gnx__ns(c[i * (p->n_stages + 1) + s]));
    }
    json_array_append_new(costs, l);
  }
  return costs;
}

json_t *gnx_profile_json(const struct gnx_profile *p) {
  int exact = p->items <= GNX_PROFILE_EXACT_MAX;
  json_t *names = json_array();
  for (unsigned s = 0; s <= p->n_stages; s++) {
    json_array_append_new(names, json_string(p->names[s]));
  }
  json_t *o = json_pack("{s:o, s:I, s:f, s:f, s:o}", "stages", names, "items",
                        (json_int_t)p->items, "sink_wait_s", p->sink_wait_s, "bytes_per_item",
                        p->bytes_per_item, exact ? "cost_ns" : "quantiles_ns",
                        gnx__costs_json(p, p->cost_s));
  if (p->min_s) {
    json_object_set_new(o, exact ? "min_ns" : "min_quantiles_ns", gnx__costs_json(p, p->min_s));
  }
  return o;
}

/* Item i's position in an interleaved order (bit reversal over the next
 * power of two), so that spreading sorted quantiles over the items does not
 * put every cheap item first. */
static uint64_t gnx__interleave(uint64_t i, uint64_t n) {
  unsigned bits = 0;
  while ((1ull << bits) < n) {
    bits++;
  }
  uint64_t r = 0;
  for (unsigned b = 0; b < bits; b++) {
    r |= ((i >> b) & 1) << (bits - 1 - b);
  }
  return r;
}

static int gnx__profile_costs(const json_t *costs, int exact, struct gnx_profile *p, double *out,
                              char *why, size_t len) {
  for (unsigned s = 0; s <= p->n_stages; s++) {
    const json_t *c = json_array_get(costs, s);
    size_t n = json_array_size(c);
    if (!json_is_array(c) || n != (exact ? p->items : GNX_PROFILE_QUANTILES)) {
      snprintf(why, len, "profile: stage %u has %zu costs, expected %llu", s, n,
               (unsigned long long)(exact ? p->items : GNX_PROFILE_QUANTILES));
      return GNX_EFORMAT;
    }
    for (uint64_t i = 0; i < p->items; i++) {
      uint64_t k = exact ? i : gnx__interleave(i, p->items) * (n - 1) / (p->items - 1);
      const json_t *v = json_array_get(c, k < n ? k : n - 1);
      if (!json_is_integer(v) || json_integer_value(v) < 0) {
        snprintf(why, len, "profile: stage %u, cost %llu is not a count of nanoseconds", s,
                 (unsigned long long)k);
        return GNX_EFORMAT;
      }
      out[i * (p->n_stages + 1) + s] = (double)json_integer_value(v) / 1e9;
    }
  }
  return 0;
}

int gnx_profile_from_json(const json_t *o, struct gnx_profile *p, char *why, size_t len) {
  memset(p, 0, sizeof *p);
  const json_t *names = json_object_get(o, "stages"), *exact = json_object_get(o, "cost_ns");
  const json_t *costs = exact ? exact : json_object_get(o, "quantiles_ns");
  json_int_t items = json_integer_value(json_object_get(o, "items"));
  size_t ns = json_array_size(names);
  if (!json_is_object(o) || ns < 2 || ns > 64 || items < 1 || items > (1 << 26) ||
      json_array_size(costs) != ns) {
    snprintf(why, len, "profile: needs stages (2..64 names), items (1..2^26) and one cost list "
                       "per stage");
    return GNX_EFORMAT;
  }
  const char **nm = calloc(ns, sizeof *nm);
  p->cost_s = malloc((size_t)items * ns * sizeof *p->cost_s);
  if (!nm || !p->cost_s) {
    free(nm);
    free(p->cost_s);
    p->cost_s = NULL;
    snprintf(why, len, "profile: out of memory");
    return -ENOMEM;
  }
  for (size_t s = 0; s < ns; s++) {
    nm[s] = json_string_value(json_array_get(names, s));
    nm[s] = nm[s] ? nm[s] : "?";
  }
  p->names = nm;
  p->n_stages = (unsigned)ns - 1;
  p->items = (uint64_t)items;
  p->sink_wait_s = json_number_value(json_object_get(o, "sink_wait_s"));
  p->bytes_per_item = json_number_value(json_object_get(o, "bytes_per_item"));
  int rc = gnx__profile_costs(costs, exact != NULL, p, p->cost_s, why, len);
  const json_t *mins = json_object_get(o, exact ? "min_ns" : "min_quantiles_ns");
  if (rc == 0 && mins) { /* the cheapest costs, for bounds */
    p->min_s = malloc((size_t)items * ns * sizeof *p->min_s);
    rc = p->min_s ? gnx__profile_costs(mins, exact != NULL, p, p->min_s, why, len) : -ENOMEM;
  }
  if (rc < 0) {
    gnx_profile_free(p);
  }
  return rc;
}

json_t *gnx_machine_json(const struct gnx_machine *m) {
  return json_pack("{s:f, s:f, s:f, s:f, s:f}", "handoff_us", m->handoff_s * 1e6, "fork_us",
                   m->fork_s * 1e6, "copy_gbps", m->copy_bps / 1e9, "page_fault_us",
                   m->page_fault_s * 1e6, "span_ns", m->span_s * 1e9);
}

static double gnx__num(const json_t *o, const char *key, double scale) {
  const json_t *v = json_object_get(o, key);
  return json_is_number(v) && json_number_value(v) >= 0 ? json_number_value(v) * scale : 0;
}

int gnx_machine_from_json(const json_t *o, struct gnx_machine *m, char *why, size_t len) {
  if (!json_is_object(o)) {
    snprintf(why, len, "context.machine: missing (the run predates the model: rerun it)");
    return GNX_EFORMAT;
  }
  m->handoff_s = gnx__num(o, "handoff_us", 1e-6);
  m->fork_s = gnx__num(o, "fork_us", 1e-6);
  m->copy_bps = gnx__num(o, "copy_gbps", 1e9);
  m->copy_bps = m->copy_bps > 0 ? m->copy_bps : 1e30;
  m->page_fault_s = gnx__num(o, "page_fault_us", 1e-6);
  m->span_s = gnx__num(o, "span_ns", 1e-9);
  return 0;
}

json_t *gnx_tune_json(const struct gnx_tune *t) {
  json_t *opts = json_object(), *given = json_array(), *steps = json_array();
  for (unsigned j = 0; j < t->n; j++) {
    json_object_set_new(opts, t->name[j], json_string(t->value[j]));
    if (t->given[j]) {
      json_array_append_new(given, json_string(t->name[j]));
    }
  }
  for (unsigned k = 0; k < t->n_steps; k++) {
    json_array_append_new(steps, json_pack("{s:s, s:f}", "set", t->steps[k].change, "wall_s",
                                           t->steps[k].wall_s));
  }
  return json_pack("{s:o, s:o, s:o, s:s, s:f}", "options", opts, "given", given, "steps", steps,
                   "stop", t->stop, "wall_s", t->wall_s);
}
