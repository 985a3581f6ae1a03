/* SPDX-License-Identifier: MIT */
/* harness/cmd-predict.c: `gnxbench predict DIR`: every engine of a
 * finished run, tuned again for other core counts and under what-ifs, from
 * the run's serial profile and machine constants alone. This is how a user
 * with 2 cores plans for 16 or 64: the table, DIR/predict.json and a
 * scaling chart (speedup against cores, one line per engine, the bound, the
 * measured points). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "harness/cmd.h"
#include "harness/registry.h"
#include "reports/profile.h"
#include "reports/report.h"

#define GNX__PREDICT_MAX_CORES 16
#define GNX__PREDICT_MAX_SET 16

struct gnx__predict_opts {
  char dir[PATH_MAX];
  unsigned cores[GNX__PREDICT_MAX_CORES];
  unsigned n_cores;
  const char *what_if;  /* "transform=0.5", or NULL */
  struct gnx_kv set[GNX__PREDICT_MAX_SET];
  size_t n_set;
  char set_buf[GNX__PREDICT_MAX_SET][256];
  int quiet;
};

static void gnx__predict_usage(FILE *f) {
  fprintf(f,
          "usage: gnxbench predict DIR [--cores LIST] [--what-if STAGE=FACTOR,...]\n"
          "                        [--set OPTION=VALUE]... [--quiet]\n"
          "  predicts every engine of the run in DIR at other core counts (each tuned again\n"
          "  for its count unless --set fixes an option), under what-ifs (a stage FACTOR\n"
          "  times as costly: transform=0.5 is transform 2x cheaper), from the run's serial\n"
          "  profile and machine constants. Writes DIR/predict.json and a scaling chart.\n"
          "  --cores LIST   core counts, e.g. 2,4,16,64 (default: 1,2,4,8,16,32,64)\n");
}

static int gnx__cores_parse(const char *arg, struct gnx__predict_opts *o) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", arg);
  o->n_cores = 0;
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    uint64_t v;
    if (gnx_parse_u64(t, &v) < 0 || v < 1 || v > 4096 || o->n_cores == GNX__PREDICT_MAX_CORES) {
      fprintf(stderr, "gnxbench: predict: --cores '%s': give up to %d counts of 1..4096, e.g. "
                      "2,4,16,64\n",
              arg, GNX__PREDICT_MAX_CORES);
      return 2;
    }
    o->cores[o->n_cores++] = (unsigned)v;
  }
  return o->n_cores ? 0 : 2;
}

/* --set OPTION=VALUE (the value may hold commas: stage-workers=a=2,b=3). */
static int gnx__set_parse(const char *arg, struct gnx__predict_opts *o) {
  char *buf = o->set_buf[o->n_set];
  snprintf(buf, sizeof o->set_buf[0], "%s", arg);
  char *eq = strchr(buf, '=');
  const struct gnx_option *opt = eq ? (*eq = '\0', gnx_option_lookup(buf)) : NULL;
  char why[256];
  if (!opt || o->n_set == GNX__PREDICT_MAX_SET ||
      gnx_option_validate(opt, eq + 1, why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: predict: --set '%s': give OPTION=VALUE with an engine's option "
                    "(gnxbench list shows them) and a valid value\n",
            arg);
    return 2;
  }
  o->set[o->n_set++] = (struct gnx_kv){buf, eq + 1};
  return 0;
}

static int gnx__predict_args(int argc, char **argv, struct gnx__predict_opts *o) {
  static const unsigned def[] = {1, 2, 4, 8, 16, 32, 64};
  memcpy(o->cores, def, sizeof def);
  o->n_cores = sizeof def / sizeof def[0];
  const char *dir = NULL;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int has_val = i + 1 < argc;
    int rc = 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      gnx__predict_usage(stdout);
      return 1;
    } else if (strcmp(a, "--quiet") == 0) {
      o->quiet = 1;
    } else if (strcmp(a, "--cores") == 0 && has_val) {
      rc = gnx__cores_parse(argv[++i], o);
    } else if (strcmp(a, "--what-if") == 0 && has_val) {
      o->what_if = argv[++i];
    } else if (strcmp(a, "--set") == 0 && has_val) {
      rc = gnx__set_parse(argv[++i], o);
    } else if (a[0] == '-' || dir) {
      fprintf(stderr, "gnxbench: predict: unexpected argument '%s'%s; see gnxbench predict "
                      "--help\n",
              a, a[0] == '-' && !has_val ? " (or its value is missing)" : "");
      return 2;
    } else {
      dir = a;
    }
    if (rc) {
      return rc;
    }
  }
  if (!dir) {
    fprintf(stderr, "gnxbench: predict needs a run's directory, e.g. gnxbench predict "
                    "results/latest --cores 2,4,16,64\n");
    return 2;
  }
  snprintf(o->dir, sizeof o->dir, "%s", dir);
  return 0;
}

/* A cell's options as typed (auto included), with the --set overrides. */
static int gnx__cell_params(const json_t *cell, const struct gnx_engine *e,
                            const struct gnx__predict_opts *o, struct gnx_params *out) {
  struct gnx_kv kv[64 + GNX__PREDICT_MAX_SET];
  size_t n = 0;
  const char *key;
  json_t *val;
  json_object_foreach(json_object_get(cell, "options"), key, val) {
    if (json_is_string(val) && n < 64) {
      kv[n++] = (struct gnx_kv){key, json_string_value(val)};
    }
  }
  for (size_t k = 0; k < o->n_set; k++) {
    kv[n++] = o->set[k];
  }
  return gnx_params_build(e->options, 0, kv, n, out);
}

struct gnx__group {
  const char *workload;
  json_int_t size;
  const json_t *serial; /* its cell, holding the profile */
  struct gnx_profile profile;
  double scale[64];
};

/* One prediction row: engine e of group g on `cores` CPUs. */
static json_t *gnx__predict_row(struct gnx__group *g, const json_t *cell,
                                const struct gnx_engine *e, const struct gnx_machine *m,
                                unsigned cores, const struct gnx__predict_opts *o,
                                double serial_s) {
  struct gnx_params params;
  if (gnx__cell_params(cell, e, o, &params) < 0) {
    return NULL;
  }
  struct gnx_model_in in = {&g->profile, m, cores, o->what_if ? g->scale : NULL};
  struct gnx_tune t;
  double wall = NAN;
  int rc = gnx_tune_engine(e, &params, &in, &t);
  if (rc == 0) {
    rc = gnx_tune_predict(e, &params, &t, &in, &wall);
  }
  gnx_params_free(&params);
  if (rc < 0) {
    return NULL;
  }
  json_t *cfg = json_object();
  for (unsigned j = 0; j < t.n; j++) {
    json_object_set_new(cfg, t.name[j], json_string(t.value[j]));
  }
  return json_pack("{s:s, s:I, s:s, s:i, s:s?, s:o, s:f, s:f}", "workload", g->workload, "size",
                   g->size, "engine", e->name, "cores", (int)cores, "what_if", o->what_if,
                   "config", cfg, "wall_s", wall, "speedup", serial_s / wall);
}

static int gnx__group_load(const json_t *report, const json_t *serial, struct gnx__group *g,
                           const struct gnx__predict_opts *o) {
  char why[256];
  memset(g, 0, sizeof *g);
  g->serial = serial;
  g->workload = json_string_value(json_object_get(serial, "workload"));
  g->size = json_integer_value(json_object_get(serial, "size"));
  int rc = gnx_profile_from_json(json_object_get(serial, "profile"), &g->profile, why,
                                 sizeof why);
  for (unsigned s = 0; s < 64; s++) {
    g->scale[s] = 1;
  }
  if (rc == 0 && o->what_if) {
    rc = gnx_stage_scale_parse("--what-if", o->what_if, g->profile.names, g->profile.n_stages + 1, g->scale,
                               why);
  }
  if (rc < 0) {
    fprintf(stderr, "gnxbench: predict: %s n=%lld: %s\n", g->workload, (long long)g->size, why);
  }
  (void)report;
  return rc;
}

/* Every row of one (workload, size): each engine at each core count. */
static void gnx__group_rows(const json_t *report, struct gnx__group *g,
                            const struct gnx_machine *m, const struct gnx__predict_opts *o,
                            json_t *rows) {
  const json_t *results = json_object_get(report, "results");
  const struct gnx_engine *serial = gnx_engine_find("serial");
  for (unsigned c = 0; c < o->n_cores; c++) {
    json_t *base = gnx__predict_row(g, g->serial, serial, m, o->cores[c], o, 1);
    double serial_s = base ? json_number_value(json_object_get(base, "wall_s")) : NAN;
    json_decref(base);
    for (size_t i = 0; i < json_array_size(results); i++) {
      const json_t *cell = json_array_get(results, i);
      const struct gnx_engine *e =
          gnx_engine_find(json_string_value(json_object_get(cell, "engine")) ?: "");
      if (!e || !e->model || json_integer_value(json_object_get(cell, "size")) != g->size ||
          strcmp(json_string_value(json_object_get(cell, "workload")) ?: "", g->workload)) {
        continue;
      }
      json_t *row = gnx__predict_row(g, cell, e, m, o->cores[c], o, serial_s);
      if (row) {
        json_array_append_new(rows, row);
      }
    }
  }
}

static void gnx__predict_print(const json_t *rows) {
  printf("%-8s %8s %-9s %5s  %12s  %8s  %s\n", "workload", "size", "engine", "cores",
         "predicted", "speedup", "configuration");
  for (size_t i = 0; i < json_array_size(rows); i++) {
    const json_t *r = json_array_get(rows, i);
    char cfg[256] = "";
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(r, "config"), k, v) {
      size_t l = strlen(cfg);
      snprintf(cfg + l, sizeof cfg - l, "%s%s=%s", l ? " " : "", k, json_string_value(v));
    }
    printf("%-8s %8lld %-9s %5d  %9.1f ms  %7.2fx  %s\n",
           json_string_value(json_object_get(r, "workload")),
           (long long)json_integer_value(json_object_get(r, "size")),
           json_string_value(json_object_get(r, "engine")),
           (int)json_integer_value(json_object_get(r, "cores")),
           json_number_value(json_object_get(r, "wall_s")) * 1e3,
           json_number_value(json_object_get(r, "speedup")), cfg[0] ? cfg : "-");
  }
}

int gnx_cmd_predict(int argc, char **argv) {
  struct gnx__predict_opts o;
  memset(&o, 0, sizeof o);
  int rc = gnx__predict_args(argc, argv, &o);
  if (rc) {
    return rc == 1 ? 0 : rc;
  }
  json_t *report = gnx_cmd_load_report(o.dir);
  if (!report) {
    return 2;
  }
  char why[512];
  struct gnx_machine m;
  if (gnx_machine_from_json(json_object_get(json_object_get(report, "context"), "machine"), &m,
                            why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: predict: %s\n", why);
    json_decref(report);
    return 2;
  }
  json_t *rows = json_array();
  const json_t *results = json_object_get(report, "results");
  int groups = 0;
  for (size_t i = 0; i < json_array_size(results) && rc == 0; i++) {
    const json_t *cell = json_array_get(results, i);
    if (!json_object_get(cell, "profile")) {
      continue; /* serial cells carry the profile of their group */
    }
    struct gnx__group g;
    rc = gnx__group_load(report, cell, &g, &o) < 0 ? 2 : 0;
    if (rc == 0) {
      gnx__group_rows(report, &g, &m, &o, rows);
      groups++;
    }
    gnx_profile_free(&g.profile);
  }
  if (rc == 0 && groups == 0) {
    fprintf(stderr, "gnxbench: predict: %s has no serial profile (a run older than the model, "
                    "or serial failed): rerun it\n",
            o.dir);
    rc = 2;
  }
  if (rc == 0) {
    if (!o.quiet) {
      gnx__predict_print(rows);
    }
    json_t *out = json_pack("{s:i, s:s?, s:O}", "schema_version", 1, "what_if", o.what_if,
                            "rows", rows);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/predict.json", o.dir);
    if (json_dump_file(out, path, JSON_INDENT(1) | JSON_SORT_KEYS) < 0) {
      fprintf(stderr, "gnxbench: predict: cannot write %s: %s\n", path, strerror(errno));
      rc = 1;
    } else if (gnx_scaling_chart_write(o.dir, report, rows, why, sizeof why) < 0) {
      fprintf(stderr, "gnxbench: predict: %s\n", why);
      rc = 1;
    } else if (!o.quiet) {
      printf("\npredictions: %s; charts: %s/scaling-<workload>-<size>.png\n", path, o.dir);
    }
    json_decref(out);
  }
  json_decref(rows);
  json_decref(report);
  return rc;
}
