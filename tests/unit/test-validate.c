/* SPDX-License-Identifier: MIT */
/* tests/unit/test-validate.c: the rules a loaded report must meet
 * (reports/validate.c): the tables agree with docs/report-schema.json, real
 * reports pass, and each kind of damage is rejected naming its field. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"
#include "reports/validate.h"
#include "tests/test.h"

/* A file of the source tree, or skip. */
static void gnx__src_path(char *buf, size_t len, const char *rel) {
  const char *tail = strstr(__FILE__, "tests/unit/");
  if (!tail) {
    GNX_SKIP("the source directory is unknown");
  }
  snprintf(buf, len, "%.*s%s", (int)(tail - __FILE__), __FILE__, rel);
  if (access(buf, R_OK) != 0) {
    GNX_SKIP("the source tree is not beside the test");
  }
}

static json_t *gnx__load_src(const char *rel) {
  char path[4096], why[1024];
  gnx__src_path(path, sizeof path, rel);
  json_t *r = gnx_report_load(path, why, sizeof why);
  if (!r) {
    fprintf(stderr, "%s\n", why);
  }
  ASSERT(r != NULL);
  return r;
}

/* The schema object a JSON pointer names ("" the whole schema). */
static const json_t *gnx__pointer(const json_t *schema, const char *ptr) {
  const json_t *o = schema;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", ptr);
  char *save = NULL;
  for (char *t = strtok_r(buf, "/", &save); o && t; t = strtok_r(NULL, "/", &save)) {
    o = json_is_array(o) ? json_array_get(o, (size_t)atoi(t)) : json_object_get(o, t);
  }
  return o;
}

/* Each table names only the schema's properties, and requires exactly
 * what the schema requires: the C rules cannot drift from the document. */
GNX_TEST(report_rules_match_schema) {
  char path[4096];
  gnx__src_path(path, sizeof path, "docs/report-schema.json");
  json_error_t err;
  json_t *schema = json_load_file(path, 0, &err);
  ASSERT(schema != NULL);
  for (const struct gnx_vtable *t = gnx_report_tables; t->schema; t++) {
    const json_t *def = gnx__pointer(schema, t->schema);
    const json_t *props = json_object_get(def, "properties");
    const json_t *required = json_object_get(def, "required");
    if (!props) {
      fprintf(stderr, "schema %s has no properties\n", t->schema);
      exit(1);
    }
    const char *key;
    int req, nreq = 0;
    for (size_t i = 0; gnx_vtable_field(t, i, &key, &req); i++) {
      if (strcmp(key, "*") == 0) {
        continue;
      }
      if (!json_object_get(props, key)) {
        fprintf(stderr, "%s: rule %s is not a property of the schema\n", t->schema, key);
        exit(1);
      }
      int in_schema = 0;
      for (size_t k = 0; k < json_array_size(required); k++) {
        in_schema |= strcmp(json_string_value(json_array_get(required, k)), key) == 0;
      }
      if (req != in_schema) {
        fprintf(stderr, "%s: %s is %srequired by the rules, %srequired by the schema\n",
                t->schema, key, req ? "" : "not ", in_schema ? "" : "not ");
        exit(1);
      }
      nreq += req;
    }
    ASSERT_EQ_INT(nreq, (long long)json_array_size(required));
  }
  json_decref(schema);
}

GNX_TEST(report_validate_accepts_real_reports) {
  json_decref(gnx__load_src("results/baselines/ci.json"));
  json_decref(gnx__load_src("tests/data/predict-null-40/report.json"));
}

/* One damage: a Python-like edit of the baseline, done with jansson, and
 * the JSON path the message must name. */
struct gnx__damage {
  const char *what;
  void (*edit)(json_t *r);
  const char *path;
};

static json_t *gnx__cell0(json_t *r) { return json_array_get(json_object_get(r, "results"), 0); }
static json_t *gnx__rep0(json_t *r) {
  return json_array_get(json_object_get(gnx__cell0(r), "reps"), 0);
}
static void gnx__size_str(json_t *r) { json_object_set_new(gnx__cell0(r), "size", json_string("big")); }
static void gnx__engine_int(json_t *r) { json_object_set_new(gnx__cell0(r), "engine", json_integer(7)); }
static void gnx__wall_neg(json_t *r) { json_object_set_new(gnx__rep0(r), "wall_s", json_real(-1)); }
static void gnx__wall_huge(json_t *r) { json_object_set_new(gnx__rep0(r), "wall_s", json_real(1e308)); }
static void gnx__no_context(json_t *r) { json_object_del(r, "context"); }
static void gnx__dup_cell(json_t *r) {
  json_array_append_new(json_object_get(r, "results"), json_deep_copy(gnx__cell0(r)));
}
static void gnx__trace_path(json_t *r) {
  json_object_set_new(gnx__cell0(r), "trace", json_pack("{s:s, s:i}", "file", "../../etc/x.json", "rep", 0));
}
static void gnx__bad_status(json_t *r) { json_object_set_new(r, "status", json_string("great")); }
/* found by fuzz-report: a newline inside a quoted value broke the one line */
static void gnx__status_newline(json_t *r) {
  json_object_set_new(r, "status", json_string("com\nplete"));
}
static void gnx__empty_cell(json_t *r) {
  json_array_insert_new(json_object_get(r, "results"), 0, json_object());
}
static void gnx__median_str(json_t *r) {
  json_t *w = json_object_get(json_object_get(gnx__cell0(r), "stats"), "wall_s");
  json_object_set_new(w, "median", json_string("fast"));
}
static void gnx__stage_int(json_t *r) {
  json_t *st = json_array_get(json_object_get(gnx__rep0(r), "stages"), 0);
  json_object_set_new(st, "exec_s", json_real(-0.5));
}
static void gnx__too_many_reps(json_t *r) {
  json_t *reps = json_object_get(gnx__cell0(r), "reps");
  while (json_array_size(reps) <= GNX_REPORT_MAX_REPS) {
    json_array_append(reps, json_array_get(reps, 0));
  }
}

GNX_TEST(report_validate_rejects_damage_naming_the_field) {
  static const struct gnx__damage cases[] = {
      {"size a string", gnx__size_str, "results[0].size: expected an integer, found a string"},
      {"engine a number", gnx__engine_int, "results[0].engine: expected a string"},
      {"negative wall", gnx__wall_neg, "results[0].reps[0].wall_s: -1 is out of range"},
      {"huge wall", gnx__wall_huge, "results[0].reps[0].wall_s: 1e+308 is out"},
      {"no context", gnx__no_context, "context: missing"},
      {"duplicate cell", gnx__dup_cell, "the same workload, size and engine as results[0]"},
      {"trace path", gnx__trace_path, "results[0].trace.file: not a trace file name"},
      {"status", gnx__bad_status, "status: 'great' is not one of running"},
      {"a newline in a value", gnx__status_newline, "status: 'com?plete' is not one of"},
      {"empty cell (the crash of issue 16)", gnx__empty_cell, "results[0].workload: missing"},
      {"median a string", gnx__median_str, "results[0].stats.wall_s.median: expected a number"},
      {"negative stage time", gnx__stage_int, "results[0].reps[0].stages[0].exec_s: -0.5 is out"},
      {"too many repetitions", gnx__too_many_reps, "results[0].reps: 1025 items: too many"},
  };
  json_t *good = gnx__load_src("results/baselines/ci.json");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *r = json_deep_copy(good);
    cases[i].edit(r);
    char why[512] = "";
    int rc = gnx_report_validate(r, why, sizeof why);
    if (rc != GNX_EFORMAT || !strstr(why, cases[i].path) || strchr(why, '\n')) {
      fprintf(stderr, "%s: rc %d, why '%s', expected '%s'\n", cases[i].what, rc, why,
              cases[i].path);
      exit(1);
    }
    json_decref(r);
  }
  json_decref(good);
}

/* The text reader: broken JSON, duplicate keys, and the file reader's
 * errors are one line each, naming the file. */
GNX_TEST(report_load_errors_name_the_file) {
  char why[512];
  ASSERT(gnx_report_parse("{", 1, "x.json", why, sizeof why) == NULL);
  ASSERT(strstr(why, "x.json: not valid JSON (line 1"));
  const char *dup = "{\"schema_version\": 1, \"schema_version\": 1}";
  ASSERT(gnx_report_parse(dup, strlen(dup), "d.json", why, sizeof why) == NULL);
  ASSERT(strstr(why, "d.json: not valid JSON"));
  ASSERT(gnx_report_load("/nonexistent/report.json", why, sizeof why) == NULL);
  ASSERT_EQ_STR(why, "/nonexistent/report.json: cannot read it: No such file or directory");
  ASSERT(gnx_report_load("/", why, sizeof why) == NULL);
  ASSERT_EQ_STR(why, "/: cannot read it: Is a directory");
  ASSERT(strchr(why, '\n') == NULL);
}
