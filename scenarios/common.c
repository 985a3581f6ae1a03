/* SPDX-License-Identifier: MIT */
/* scenarios/common.c: what every scenario composes its experiment from
 * (scenarios/scenario.h): planning variants, reading their cells, building
 * the report's section, and the few measures taken from a trace. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/registry.h"
#include "reports/schema.h"
#include "scenarios/scenario.h"

#include "scenario-list.h"

#define GNX__DECL(n) extern const struct gnx_scenario gnx_scenario_##n;
GNX_SCENARIO_LIST(GNX__DECL)
#define GNX__ADDR(n) &gnx_scenario_##n,
const struct gnx_scenario *const gnx_scenarios[] = {GNX_SCENARIO_LIST(GNX__ADDR)};
const size_t gnx_n_scenarios = sizeof gnx_scenarios / sizeof gnx_scenarios[0];

/* Split text in place at spaces into argv. Returns the count, or -1. */
static int gnx__words_split(char *text, char **argv, int max) {
  int n = 0;
  for (char *save = NULL, *t = strtok_r(text, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
    if (n == max) {
      return -1;
    }
    argv[n++] = t;
  }
  return n;
}

int gnx_scen_add(struct gnx_scen *s, char *why, size_t len, const char *name, const char *fmt,
                 ...) {
  if (s->n == GNX_SCEN_MAX_VARIANTS) {
    snprintf(why, len, "scenario %s: too many variants", s->sc->name);
    return GNX_EUSAGE;
  }
  struct gnx_scen_variant *v = &s->v[s->n];
  memset(v, 0, sizeof *v);
  snprintf(v->name, sizeof v->name, "%s", name);
  va_list ap;
  va_start(ap, fmt);
  int l = vsnprintf(v->text, sizeof v->text, fmt, ap);
  va_end(ap);
  if (l < 0 || (size_t)l >= sizeof v->text ||
      snprintf(v->text + l, sizeof v->text - (size_t)l, "%s --reps %llu", s->pass,
               (unsigned long long)s->reps) >= (int)(sizeof v->text - (size_t)l)) {
    snprintf(why, len, "scenario %s: the options are too long", s->sc->name);
    return GNX_EUSAGE;
  }
  v->argc = gnx__words_split(v->text, v->argv, GNX_SCEN_MAX_ARGS);
  if (v->argc < 0) {
    snprintf(why, len, "scenario %s: too many options", s->sc->name);
    return GNX_EUSAGE;
  }
  char rwhy[512];
  int rc = gnx_config_parse(v->argc, v->argv, &v->cfg, rwhy, sizeof rwhy);
  if (rc == 0) {
    rc = gnx_config_check(&v->cfg, rwhy, sizeof rwhy);
  }
  if (rc != 0) {
    snprintf(why, len, "scenario %s: %s", s->sc->name, rc > 0 ? "--help is not a run option" : rwhy);
    return GNX_EUSAGE;
  }
  s->n++;
  return 0;
}

int gnx_scen_index(const char *const *names, int n, const char *name) {
  for (int i = 0; i < n; i++) {
    if (strcmp(names[i], name) == 0) {
      return i;
    }
  }
  return -1;
}

int gnx_scen_engines(const char *const *names, int n, int *have, char *buf, size_t len) {
  size_t l = (size_t)snprintf(buf, len, "serial");
  int count = 0;
  for (int i = 0; i < n; i++) {
    const struct gnx_engine *e = gnx_engine_find(names[i]);
    have[i] = e && !e->unavailable;
    count += have[i];
    if (have[i] && strcmp(names[i], "serial") != 0 && l < len) {
      l += (size_t)snprintf(buf + l, len - l, ",%s", names[i]);
    }
  }
  return count;
}

int gnx_scen_refuse(const struct gnx_scen *s, const char *const *own, char *why, size_t len) {
  for (size_t i = 0; own[i]; i++) {
    if (gnx_scen_passed(s, own[i])) {
      snprintf(why, len, "scenario %s sets --%s itself; drop it", s->sc->name, own[i]);
      return GNX_EUSAGE;
    }
  }
  return 0;
}

int gnx_scen_u64_list(const char *spec, uint64_t *out, size_t max, uint64_t lo, uint64_t hi) {
  char buf[256], *save = NULL;
  size_t n = 0;
  if (!spec || snprintf(buf, sizeof buf, "%s", spec) >= (int)sizeof buf || !*buf ||
      buf[strlen(buf) - 1] == ',') {
    return -1;
  }
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (n == max || gnx_parse_u64(t, &out[n]) < 0 || out[n] < lo || out[n] > hi) {
      return -1;
    }
    n++;
  }
  return (int)n;
}

int gnx_scen_passed(const struct gnx_scen *s, const char *name) {
  char flag[80];
  snprintf(flag, sizeof flag, "--%s ", name);
  return strstr(s->pass, flag) != NULL;
}

const json_t *gnx_scen_cell(const struct gnx_scen *s, size_t v, const char *engine) {
  size_t i;
  const json_t *c;
  if (v >= s->n || !s->v[v].report) {
    return NULL;
  }
  json_array_foreach(json_object_get(s->v[v].report, GNX_F_RESULTS), i, c) {
    if (strcmp(gnx_jstr(c, GNX_F_ENGINE, ""), engine) == 0) {
      return c;
    }
  }
  return NULL;
}

static double gnx__stat(const json_t *cell, const char *which) {
  const json_t *st = json_object_get(json_object_get(cell, GNX_F_STATS), which);
  return gnx_jnum(st, GNX_F_MEDIAN, NAN);
}

double gnx_scen_wall(const json_t *cell) { return gnx__stat(cell, GNX_F_WALL_S); }
double gnx_scen_speedup(const json_t *cell) { return gnx__stat(cell, GNX_F_SPEEDUP); }

json_t *gnx_scen_table(json_t *section, const char *title, const char *const *columns) {
  json_t *cols = json_array(), *rows = json_array();
  for (size_t i = 0; columns[i]; i++) {
    json_array_append_new(cols, json_string(columns[i]));
  }
  json_array_append_new(json_object_get(section, "tables"),
                        json_pack("{s:s, s:o, s:o}", "title", title, "columns", cols, "rows", rows));
  return rows;
}

json_t *gnx_scen_chart(json_t *section, const char *name, const char *title, const char *xlabel,
                       const char *ylabel) {
  json_t *series = json_array();
  json_array_append_new(json_object_get(section, "charts"),
                        json_pack("{s:s, s:s, s:s, s:s, s:o}", GNX_F_NAME, name, "title", title,
                                  "xlabel", xlabel, "ylabel", ylabel, "series", series));
  return series;
}

json_t *gnx_scen_series(json_t *series, const char *title, const char *style) {
  json_t *points = json_array();
  json_array_append_new(series,
                        json_pack("{s:s, s:s, s:o}", "title", title, "style", style, "points",
                                  points));
  return points;
}

void gnx_scen_point(json_t *points, double x, double y) {
  if (isfinite(x) && isfinite(y)) {
    json_array_append_new(points, json_pack("[f, f]", x, y));
  }
}

void gnx_scen_figure(json_t *section, const char *name, double v) {
  json_object_set_new(json_object_get(section, "figures"), name,
                      isfinite(v) ? json_real(v) : json_null());
}

static int gnx__dcmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double gnx_scen_quantile(double *v, size_t n, double q) {
  if (n == 0) {
    return NAN;
  }
  qsort(v, n, sizeof *v, gnx__dcmp);
  size_t k = (size_t)ceil(q * (double)n);
  return v[k ? k - 1 : 0];
}

const struct gnx_trace_worker *gnx_scen_sink_worker(const struct gnx_trace *t,
                                                    unsigned sink_stage) {
  for (uint32_t w = 0; w < t->n_workers; w++) {
    const struct gnx_trace_worker *tw = t->workers[w];
    for (uint32_t i = 0; i < tw->len; i++) {
      if (tw->spans[i].kind == GNX_SPAN_EXEC && tw->spans[i].stage == sink_stage) {
        return tw;
      }
    }
  }
  return NULL;
}

size_t gnx_scen_steps(const struct gnx_trace *t, unsigned sink_stage, double *out, size_t max) {
  const struct gnx_trace_worker *tw = gnx_scen_sink_worker(t, sink_stage);
  uint64_t prev = 0;
  size_t n = 0;
  for (uint32_t i = 0; tw && i < tw->len && n < max; i++) {
    const struct gnx_span *sp = &tw->spans[i];
    if (sp->kind != GNX_SPAN_EXEC || sp->stage != sink_stage) {
      continue;
    }
    if (prev) { /* the first delivery has no step before it */
      out[n++] = (double)(sp->t1 - prev);
    }
    prev = sp->t1;
  }
  return n;
}

void gnx_scen_consumer_add(struct gnx_scen_consumer *c, const struct gnx_scen *s,
                           const struct gnx_run_result *res, unsigned sink_stage) {
  size_t max = res->trace.workers[0] ? res->trace.workers[0]->cap : 0;
  double *st = max ? malloc(max * sizeof *st) : NULL;
  size_t n = st ? gnx_scen_steps(&res->trace, sink_stage, st, max) : 0;
  const struct gnx_trace_worker *tw = gnx_scen_sink_worker(&res->trace, sink_stage);
  if (res->rc != 0 || n == 0 || !tw || !res->wall_ns) {
    free(st);
    return;
  }
  double wall = (double)res->wall_ns / 1e9;
  c->items_s += (double)(n + 1) / wall;
  c->p50_ms += gnx_scen_quantile(st, n, 0.50) / 1e6;
  c->p99_ms += gnx_scen_quantile(st, n, 0.99) / 1e6;
  c->max_ms = fmax(c->max_ms, st[n - 1] / 1e6);
  c->cpu_share += tw->wctr[0] >= 0 ? (double)tw->wctr[0] / 1e9 / wall : NAN;
  c->cs += tw->wctr[1] >= 0 ? (double)tw->wctr[1] : NAN;
  c->migrations += tw->wctr[2] >= 0 ? (double)tw->wctr[2] : NAN;
  c->runq_ms += s->consumer_runq_ns >= 0 ? (double)s->consumer_runq_ns / 1e6 : NAN;
  c->reps++;
  free(st);
}

void gnx_scen_consumer_mean(const struct gnx_scen_consumer *c, struct gnx_scen_consumer *m) {
  double r = c->reps ? (double)c->reps : NAN;
  *m = (struct gnx_scen_consumer){c->items_s / r, c->p50_ms / r, c->p99_ms / r, c->max_ms,
                                  c->cpu_share / r, c->cs / r, c->migrations / r, c->runq_ms / r,
                                  c->reps};
}
