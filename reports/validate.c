/* SPDX-License-Identifier: MIT */
/* reports/validate.c: what a loaded report.json (or a gate's baseline) must
 * be before any reader trusts it: docs/report-schema.json's rules for every
 * field a reader uses, as tables, checked in one walk at load time.
 *
 * The readers take fields through gnx_jnum() and friends, which fall back
 * on a wrong type; that is right for optional fields but lets a hostile or
 * damaged file through as numbers nobody measured (a size "big" read as 0,
 * a wall of -1 or 1e308). So the load rejects such a file with one line
 * naming the field by its JSON path. The tables mirror the schema; the unit
 * test report_rules_match_schema checks each table's fields and required
 * lists against the $defs or property it names. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "reports/report.h"
#include "reports/validate.h"

/* Numeric ranges (and, for arrays, item counts). Every number is bounded:
 * JSON has no NaN, but 1e308 overflows the first sum it enters. */
enum gnx_vrange { R_ANY, R_NONNEG, R_POS, R_TIME, R_RATIO, R_UNIT, R_REPS, R_CELLS, R_NONEMPTY };

static const struct {
  double lo, hi;
  const char *what;
} gnx__ranges[] = {
    [R_ANY] = {-1e15, 1e15, "a number of magnitude at most 1e15"},
    [R_NONNEG] = {0, 1e15, "from 0 to 1e15"},
    [R_POS] = {1, 1e15, "from 1 to 1e15"},
    [R_TIME] = {0, GNX_REPORT_MAX_TIME_S, "seconds from 0 to 1e7"},
    [R_RATIO] = {0, 1e6, "a ratio from 0 to 1e6"},
    [R_UNIT] = {0, 1, "from 0 to 1"},
    [R_REPS] = {0, GNX_REPORT_MAX_REPS, "at most 1024 items"},
    [R_CELLS] = {0, GNX_REPORT_MAX_CELLS, "at most 1024 cells"},
    [R_NONEMPTY] = {1, 1e6, "at least one item"},
};

/* JSON types a field may have. */
#define T_NULL 1u
#define T_BOOL 2u
#define T_INT 4u
#define T_REAL 8u
#define T_NUM (T_INT | T_REAL)
#define T_STR 16u
#define T_ARR 32u
#define T_OBJ 64u

/* One field of an object (key "*": every field no other rule names), or
 * the items of an array (key NULL). types 0 ends a table. */
struct gnx_vrule {
  const char *key;
  unsigned types;
  int req;                        /* the object must have it */
  enum gnx_vrange range;          /* numbers: their value; arrays: their length */
  const char *const *oneof;       /* strings: the allowed values (NULL-ended) */
  const struct gnx_vrule *fields; /* objects: the rules of their fields */
  const struct gnx_vrule *item;   /* arrays: the rule of every item */
  const char *(*check)(const json_t *v); /* a further rule: NULL, or what is wrong */
};

#define END {NULL, 0, 0, R_ANY, NULL, NULL, NULL, NULL}
/* A required / an optional field. */
#define REQ(k, t, ...) {.key = k, .types = t, .req = 1, __VA_ARGS__}
#define OPT(k, t, ...) {.key = k, .types = t, __VA_ARGS__}

static const char *const gnx__status[] = {"running", "complete", "incomplete", "failed", NULL};
static const char *const gnx__cell_status[] = {"ok", "failed", "interrupted", "not run", NULL};
static const char *const gnx__ref_status[] = {"pass", "fail", "none", "not run", NULL};
static const char *const gnx__topo_source[] = {"hwloc", "sysconf", NULL};
static const char *const gnx__cache_type[] = {"data", "instruction", "unified", NULL};
static const char *const gnx__ctr_mode[] = {"auto", "papi", "perf", "off", NULL};
static const char *const gnx__ctr_source[] = {"papi",  "perf_event", "rusage",
                                              "clock", "derived",    NULL};
static const char *const gnx__sw_source[] = {"papi", "perf_event", "rusage", NULL};
static const char *const gnx__pin_policy[] = {"none", "compact", "scatter", "list", NULL};
static const char *const gnx__maxrss_source[] = {"VmHWM", "ru_maxrss", "none", NULL};
static const char *const gnx__on_off[] = {"on", "off", NULL};
static const char *const gnx__tool[] = {"gnxbench", NULL};

/* A trace file is read from beside the report: a plain name, never a path. */
static const char *gnx__trace_name(const json_t *v) {
  const char *s = json_string_value(v);
  size_t l = strlen(s);
  return strncmp(s, "trace-", 6) == 0 && l > 11 && strcmp(s + l - 5, ".json") == 0 &&
                 !strchr(s, '/')
             ? NULL
             : "not a trace file name (trace-<...>.json, no '/')";
}

static const struct gnx_vrule gnx__str = {.types = T_STR};
static const struct gnx_vrule gnx__int = {.types = T_INT};
static const struct gnx_vrule gnx__pos = {.types = T_INT, .range = R_POS};
static const struct gnx_vrule gnx__count = {.types = T_INT, .range = R_NONNEG};
static const struct gnx_vrule gnx__ns_list = {.types = T_ARR, .item = &gnx__count};
static const struct gnx_vrule gnx__str_map[] = {OPT("*", T_STR), END};

/* ---- context, config, counters, pinning -------------------------------------- */

static const struct gnx_vrule gnx__cache[] = {
    REQ("level", T_INT, .range = R_POS),         REQ("type", T_STR, .oneof = gnx__cache_type),
    REQ("size_kb", T_INT, .range = R_NONNEG),    REQ("count", T_INT, .range = R_POS),
    END};
static const struct gnx_vrule gnx__cache_item = {.types = T_OBJ, .fields = gnx__cache};
static const struct gnx_vrule gnx__topology[] = {
    REQ("source", T_STR, .oneof = gnx__topo_source), REQ("packages", T_INT),
    REQ("cores", T_INT), REQ("pus", T_INT, .range = R_POS), REQ("numa_nodes", T_INT),
    OPT("caches", T_ARR, .item = &gnx__cache_item), OPT("allowed_cpuset", T_STR | T_NULL),
    OPT("bound_cpuset", T_STR | T_NULL), END};
static const struct gnx_vrule gnx__machine[] = {
    REQ("handoff_us", T_NUM, .range = R_NONNEG), REQ("fork_us", T_NUM, .range = R_NONNEG),
    REQ("copy_gbps", T_NUM, .range = R_NONNEG),  REQ("page_fault_us", T_NUM, .range = R_NONNEG),
    REQ("span_ns", T_NUM, .range = R_NONNEG),    END};
static const struct gnx_vrule gnx__context[] = {
    REQ("host", T_STR), REQ("cpu_model", T_STR), REQ("arch", T_STR),
    REQ("topology", T_OBJ, .fields = gnx__topology), REQ("cpus_allowed", T_INT, .range = R_POS),
    REQ("kernel", T_STR), REQ("compiler", T_STR), REQ("cflags", T_STR), REQ("build_type", T_STR),
    REQ("git_revision", T_STR), REQ("version", T_STR), REQ("date", T_STR),
    REQ("command_line", T_ARR, .range = R_NONEMPTY, .item = &gnx__str),
    REQ("features", T_ARR, .item = &gnx__str),
    OPT("page_fault_us", T_NUM | T_NULL, .range = R_NONNEG),
    OPT("machine", T_OBJ, .fields = gnx__machine), END};

static const struct gnx_vrule gnx__skipped_engine[] = {REQ("engine", T_STR),
                                                        REQ("reason", T_STR), END};
static const struct gnx_vrule gnx__skipped_workload[] = {REQ("workload", T_STR),
                                                          REQ("reason", T_STR), END};
static const struct gnx_vrule gnx__skipped_engine_item = {.types = T_OBJ,
                                                          .fields = gnx__skipped_engine};
static const struct gnx_vrule gnx__skipped_workload_item = {.types = T_OBJ,
                                                            .fields = gnx__skipped_workload};
static const struct gnx_vrule gnx__config[] = {
    REQ("engines", T_ARR, .range = R_NONEMPTY, .item = &gnx__str),
    REQ("workloads", T_ARR, .range = R_NONEMPTY, .item = &gnx__str),
    REQ("sizes", T_ARR, .range = R_NONEMPTY, .item = &gnx__pos),
    REQ("reps", T_INT, .range = R_POS), REQ("warmup", T_INT, .range = R_NONNEG),
    REQ("skipped_engines", T_ARR, .item = &gnx__skipped_engine_item),
    OPT("trace", T_STR, .oneof = gnx__on_off), OPT("time_budget_s", T_NUM, .range = R_TIME),
    OPT("order", T_STR), OPT("skipped_workloads", T_ARR, .item = &gnx__skipped_workload_item),
    REQ("serial_added", T_BOOL), END};

static const struct gnx_vrule gnx__counter_entry[] = {
    REQ("source", T_STR | T_NULL, .oneof = gnx__ctr_source), OPT("reason", T_STR),
    OPT("scope", T_STR), END};
static const struct gnx_vrule gnx__counter_list[] = {
    OPT("*", T_OBJ, .fields = gnx__counter_entry), END};
static const struct gnx_vrule gnx__counters[] = {
    REQ("mode", T_STR, .oneof = gnx__ctr_mode),
    REQ("counters", T_OBJ, .fields = gnx__counter_list), OPT("sde", T_OBJ | T_NULL), END};
static const struct gnx_vrule gnx__pinning[] = {
    REQ("policy", T_STR, .oneof = gnx__pin_policy), REQ("cpus", T_ARR, .item = &gnx__int),
    OPT("logical_pus", T_ARR, .item = &gnx__int), OPT("rule", T_STR), END};

/* ---- a cell -------------------------------------------------------------------- */

/* The statistics of walls (seconds) and of speedups (ratios). */
#define GNX__STATS(R)                                                                       \
  {REQ("n", T_INT, .range = R_POS),     REQ("median", T_NUM, .range = R),                   \
   REQ("lo", T_NUM, .range = R),    REQ("hi", T_NUM, .range = R),                       \
   REQ("level", T_NUM, .range = R_UNIT), REQ("min", T_NUM, .range = R),                     \
   REQ("max", T_NUM, .range = R),   REQ("mean", T_NUM, .range = R),                     \
   REQ("cv", T_NUM, .range = R_NONNEG), OPT("mad", T_NUM, .range = R_NONNEG),                   \
   OPT("outliers", T_ARR, .item = &gnx__count), OPT("noisy", T_BOOL), END}
static const struct gnx_vrule gnx__wall_stats[] = GNX__STATS(R_TIME);
static const struct gnx_vrule gnx__speedup_stats[] = GNX__STATS(R_RATIO);
static const struct gnx_vrule gnx__stats[] = {
    REQ("wall_s", T_OBJ | T_NULL, .fields = gnx__wall_stats),
    REQ("speedup", T_OBJ | T_NULL, .fields = gnx__speedup_stats), END};

static const struct gnx_vrule gnx__stage[] = {
    REQ("stage", T_INT, .range = R_NONNEG),   REQ("name", T_STR),
    REQ("workers", T_INT, .range = R_NONNEG), REQ("items", T_INT, .range = R_NONNEG),
    REQ("exec_s", T_NUM, .range = R_TIME),    REQ("wait_in_s", T_NUM, .range = R_TIME),
    REQ("wait_out_s", T_NUM, .range = R_TIME), REQ("wait_lock_s", T_NUM, .range = R_TIME),
    END};
static const struct gnx_vrule gnx__sw_sources[] = {OPT("*", T_STR, .oneof = gnx__sw_source),
                                                   END};
/* Software counters by name, and PAPI events and what is derived from them
 * (any other name): all non-negative. */
static const struct gnx_vrule gnx__counter_values[] = {
    OPT("task_clock_ns", T_INT, .range = R_NONNEG),
    OPT("context_switches", T_INT, .range = R_NONNEG),
    OPT("cpu_migrations", T_INT, .range = R_NONNEG),
    OPT("page_faults", T_INT, .range = R_NONNEG), OPT("ipc", T_NUM, .range = R_NONNEG),
    OPT("sources", T_OBJ, .fields = gnx__sw_sources), OPT("*", T_NUM, .range = R_NONNEG), END};
static const struct gnx_vrule gnx__placement[] = {
    REQ("asked", T_INT | T_NULL), OPT("asked_logical", T_INT | T_NULL), REQ("cpu_begin", T_INT),
    REQ("cpu_end", T_INT), REQ("migrated", T_BOOL), OPT("bind_error", T_STR), END};
static const struct gnx_vrule gnx__worker[] = {
    REQ("name", T_STR), REQ("pid", T_INT), REQ("tid", T_INT), REQ("stage", T_INT),
    REQ("cpu_begin", T_INT), REQ("cpu_end", T_INT), REQ("spans", T_INT, .range = R_NONNEG),
    REQ("dropped", T_INT, .range = R_NONNEG),
    OPT("counters", T_OBJ, .fields = gnx__counter_values),
    OPT("placement", T_OBJ, .fields = gnx__placement), END};
static const struct gnx_vrule gnx__transport[] = {
    REQ("copy_s", T_NUM, .range = R_TIME), REQ("wait_s", T_NUM, .range = R_TIME),
    REQ("workers", T_INT, .range = R_NONNEG), END};
static const struct gnx_vrule gnx__stage_item = {.types = T_OBJ, .fields = gnx__stage};
static const struct gnx_vrule gnx__worker_item = {.types = T_OBJ, .fields = gnx__worker};
static const struct gnx_vrule gnx__rep[] = {
    REQ("ok", T_BOOL), REQ("wall_s", T_NUM, .range = R_TIME),
    REQ("startup_s", T_NUM, .range = R_TIME), REQ("user_s", T_NUM, .range = R_TIME),
    REQ("sys_s", T_NUM, .range = R_TIME), REQ("maxrss_kb", T_INT),
    REQ("maxrss_source", T_STR, .oneof = gnx__maxrss_source), REQ("nvcsw", T_INT),
    REQ("nivcsw", T_INT), REQ("minflt", T_INT), REQ("majflt", T_INT),
    REQ("stages", T_ARR, .item = &gnx__stage_item),
    REQ("workers", T_ARR, .item = &gnx__worker_item),
    OPT("transport", T_OBJ, .fields = gnx__transport),
    OPT("counters", T_OBJ, .fields = gnx__counter_values), END};

static const struct gnx_vrule gnx__reference[] = {
    REQ("status", T_STR, .oneof = gnx__ref_status), END};
static const struct gnx_vrule gnx__verification[] = {
    REQ("equal_to_serial", T_BOOL), REQ("reference", T_OBJ, .fields = gnx__reference), END};
static const struct gnx_vrule gnx__trace[] = {
    REQ("file", T_STR, .check = gnx__trace_name), REQ("rep", T_INT, .range = R_NONNEG), END};
static const struct gnx_vrule gnx__profile[] = {
    REQ("stages", T_ARR, .item = &gnx__str), REQ("items", T_INT, .range = R_POS),
    REQ("sink_wait_s", T_NUM, .range = R_TIME), REQ("bytes_per_item", T_NUM, .range = R_NONNEG),
    OPT("cost_ns", T_ARR, .item = &gnx__ns_list), OPT("min_ns", T_ARR, .item = &gnx__ns_list),
    OPT("quantiles_ns", T_ARR, .item = &gnx__ns_list),
    OPT("min_quantiles_ns", T_ARR, .item = &gnx__ns_list), END};
static const struct gnx_vrule gnx__step[] = {REQ("set", T_STR),
                                             REQ("wall_s", T_NUM, .range = R_TIME), END};
static const struct gnx_vrule gnx__step_item = {.types = T_OBJ, .fields = gnx__step};
static const struct gnx_vrule gnx__tuning[] = {
    REQ("options", T_OBJ, .fields = gnx__str_map), REQ("given", T_ARR, .item = &gnx__str),
    REQ("steps", T_ARR, .item = &gnx__step_item), REQ("stop", T_STR),
    REQ("wall_s", T_NUM, .range = R_TIME), END};
static const struct gnx_vrule gnx__adaptive[] = {
    REQ("calibration_reps", T_INT, .range = R_POS), REQ("extra_reps", T_INT, .range = R_NONNEG),
    REQ("interval_level", T_NUM, .range = R_UNIT), END};
static const struct gnx_vrule gnx__scaling[] = {
    REQ("cores", T_INT, .range = R_POS), REQ("wall_s", T_NUM, .range = R_TIME),
    REQ("config", T_OBJ, .fields = gnx__str_map), END};
static const struct gnx_vrule gnx__scaling_item = {.types = T_OBJ, .fields = gnx__scaling};
static const struct gnx_vrule gnx__prediction[] = {
    REQ("wall_s", T_NUM, .range = R_TIME), REQ("error", T_NUM | T_NULL),
    REQ("cores", T_INT, .range = R_POS), REQ("scaling", T_ARR, .item = &gnx__scaling_item), END};
static const struct gnx_vrule gnx__rep_item = {.types = T_OBJ, .fields = gnx__rep};
static const struct gnx_vrule gnx__cell[] = {
    REQ("workload", T_STR), REQ("size", T_INT, .range = R_POS), REQ("engine", T_STR),
    REQ("items", T_INT, .range = R_NONNEG), REQ("options", T_OBJ, .fields = gnx__str_map),
    REQ("status", T_STR, .oneof = gnx__cell_status), REQ("error", T_STR | T_NULL),
    REQ("verified", T_BOOL), REQ("verification", T_OBJ, .fields = gnx__verification),
    REQ("summary", T_OBJ | T_NULL), REQ("trace", T_OBJ | T_NULL, .fields = gnx__trace),
    REQ("reps", T_ARR, .range = R_REPS, .item = &gnx__rep_item),
    OPT("profile", T_OBJ, .fields = gnx__profile), OPT("tuning", T_OBJ, .fields = gnx__tuning),
    OPT("adaptive", T_OBJ, .fields = gnx__adaptive),
    OPT("prediction", T_OBJ, .fields = gnx__prediction),
    OPT("warnings", T_ARR, .item = &gnx__str), REQ("stats", T_OBJ, .fields = gnx__stats), END};

/* ---- the report ------------------------------------------------------------------ */

static const struct gnx_vrule gnx__tool_rules[] = {REQ("name", T_STR, .oneof = gnx__tool),
                                                   REQ("version", T_STR), END};
static const struct gnx_vrule gnx__cell_item = {.types = T_OBJ, .fields = gnx__cell};
static const struct gnx_vrule gnx__report[] = {
    REQ("schema_version", T_INT), REQ("tool", T_OBJ, .fields = gnx__tool_rules),
    REQ("context", T_OBJ, .fields = gnx__context), REQ("config", T_OBJ, .fields = gnx__config),
    REQ("status", T_STR, .oneof = gnx__status), OPT("interrupted", T_BOOL),
    OPT("error", T_STR | T_NULL), OPT("counters", T_OBJ, .fields = gnx__counters),
    OPT("pinning", T_OBJ, .fields = gnx__pinning),
    REQ("results", T_ARR, .range = R_CELLS, .item = &gnx__cell_item), END};

/* The schema location each table mirrors, for the unit test. */
const struct gnx_vtable gnx_report_tables[] = {
    {"", gnx__report},
    {"/properties/tool", gnx__tool_rules},
    {"/properties/context", gnx__context},
    {"/properties/context/properties/topology", gnx__topology},
    {"/properties/context/properties/topology/properties/caches/items", gnx__cache},
    {"/properties/context/properties/machine", gnx__machine},
    {"/properties/config", gnx__config},
    {"/properties/config/properties/skipped_engines/items", gnx__skipped_engine},
    {"/properties/config/properties/skipped_workloads/items", gnx__skipped_workload},
    {"/properties/counters", gnx__counters},
    {"/properties/counters/properties/counters/additionalProperties", gnx__counter_entry},
    {"/properties/pinning", gnx__pinning},
    {"/$defs/cell", gnx__cell},
    {"/$defs/cell/properties/verification", gnx__verification},
    {"/$defs/cell/properties/verification/properties/reference", gnx__reference},
    {"/$defs/cell/properties/trace/oneOf/1", gnx__trace},
    {"/$defs/cell/properties/profile", gnx__profile},
    {"/$defs/cell/properties/tuning", gnx__tuning},
    {"/$defs/cell/properties/tuning/properties/steps/items", gnx__step},
    {"/$defs/cell/properties/adaptive", gnx__adaptive},
    {"/$defs/cell/properties/prediction", gnx__prediction},
    {"/$defs/cell/properties/prediction/properties/scaling/items", gnx__scaling},
    {"/$defs/cell/properties/stats", gnx__stats},
    {"/$defs/stats", gnx__wall_stats},
    {"/$defs/stats", gnx__speedup_stats},
    {"/$defs/stage", gnx__stage},
    {"/$defs/worker", gnx__worker},
    {"/$defs/worker/properties/placement", gnx__placement},
    {"/$defs/counter_values", gnx__counter_values},
    {"/$defs/rep", gnx__rep},
    {"/$defs/rep/properties/transport", gnx__transport},
    {NULL, NULL},
};

int gnx_vtable_field(const struct gnx_vtable *t, size_t i, const char **key, int *req) {
  const struct gnx_vrule *r = t->rules;
  for (size_t k = 0; k < i; k++) {
    if (!r[k].types) {
      return 0;
    }
  }
  if (!r[i].types) {
    return 0;
  }
  *key = r[i].key;
  *req = r[i].req;
  return 1;
}

/* ---- the walk ------------------------------------------------------------------ */

static const char *gnx__type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: return "an integer";
  case JSON_REAL: return "a real number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  default: return "null";
  }
}

static unsigned gnx__type_bit(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return T_OBJ;
  case JSON_ARRAY: return T_ARR;
  case JSON_STRING: return T_STR;
  case JSON_INTEGER: return T_INT;
  case JSON_REAL: return T_REAL;
  case JSON_TRUE:
  case JSON_FALSE: return T_BOOL;
  default: return T_NULL;
  }
}

/* "an integer or null" for the message. */
static void gnx__types_text(unsigned types, char *buf, size_t len) {
  static const struct {
    unsigned bit;
    const char *name;
  } names[] = {{T_OBJ, "an object"}, {T_ARR, "an array"},   {T_STR, "a string"},
               {T_NUM, "a number"},  {T_INT, "an integer"}, {T_BOOL, "a boolean"},
               {T_NULL, "null"}};
  struct gnx_sb sb;
  gnx_sb_init(&sb, buf, len);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if ((types & names[i].bit) == names[i].bit) {
      gnx_sb_printf(&sb, "%s%s", sb.len ? " or " : "", names[i].name);
      types &= ~names[i].bit;
    }
  }
}

struct gnx__walk {
  char path[256];
  size_t plen;
  char *why;
  size_t len;
};

/* "<path>: <what is wrong>" into why; returns GNX_EFORMAT. */
static int gnx__fail(struct gnx__walk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int gnx__fail(struct gnx__walk *w, const char *fmt, ...) {
  struct gnx_sb sb;
  gnx_sb_init(&sb, w->why, w->len);
  gnx_sb_printf(&sb, "%s: ", w->plen ? w->path : "the report");
  va_list ap;
  va_start(ap, fmt);
  gnx_sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  for (char *p = w->why; *p; p++) { /* one line: keys and values it quotes are the file's */
    if ((unsigned char)*p < 0x20 || *p == 0x7f) {
      *p = '?';
    }
  }
  return GNX_EFORMAT;
}

static int gnx__value(struct gnx__walk *w, const struct gnx_vrule *r, const json_t *v);

/* Append ".key" or "[i]" to the path for the walk below; returns the old length. */
static size_t gnx__push(struct gnx__walk *w, const char *key, size_t index) {
  size_t old = w->plen;
  int n = key ? snprintf(w->path + old, sizeof w->path - old, "%s%.64s", old ? "." : "", key)
              : snprintf(w->path + old, sizeof w->path - old, "[%zu]", index);
  w->plen = n > 0 && old + (size_t)n < sizeof w->path ? old + (size_t)n : old;
  return old;
}

static void gnx__pop(struct gnx__walk *w, size_t old) {
  w->plen = old;
  w->path[old] = '\0';
}

static int gnx__object(struct gnx__walk *w, const struct gnx_vrule *fields, const json_t *o) {
  const struct gnx_vrule *other = NULL;
  for (const struct gnx_vrule *r = fields; r->types; r++) {
    if (strcmp(r->key, "*") == 0) {
      other = r;
      continue;
    }
    const json_t *v = json_object_get(o, r->key);
    size_t old = gnx__push(w, r->key, 0);
    int rc = v ? gnx__value(w, r, v) : r->req ? gnx__fail(w, "missing (a required field)")
                                              : 0;
    gnx__pop(w, old);
    if (rc < 0) {
      return rc;
    }
  }
  const char *k;
  const json_t *v;
  json_object_foreach((json_t *)o, k, v) {
    int named = 0;
    for (const struct gnx_vrule *r = fields; other && r->types && !named; r++) {
      named = strcmp(r->key, k) == 0;
    }
    if (other && !named) {
      size_t old = gnx__push(w, k, 0);
      int rc = gnx__value(w, other, v);
      gnx__pop(w, old);
      if (rc < 0) {
        return rc;
      }
    }
  }
  return 0;
}

static int gnx__in_range(struct gnx__walk *w, enum gnx_vrange range, double x, const char *what) {
  if (x >= gnx__ranges[range].lo && x <= gnx__ranges[range].hi) {
    return 0;
  }
  return gnx__fail(w, "%.17g %s (%s)", x, what, gnx__ranges[range].what);
}

static int gnx__oneof(struct gnx__walk *w, const char *const *oneof, const char *s) {
  char list[160];
  struct gnx_sb sb;
  gnx_sb_init(&sb, list, sizeof list);
  for (size_t i = 0; oneof[i]; i++) {
    if (strcmp(oneof[i], s) == 0) {
      return 0;
    }
    gnx_sb_printf(&sb, "%s%s", i ? ", " : "", oneof[i]);
  }
  return gnx__fail(w, "'%.40s' is not one of %s", s, list);
}

static int gnx__value(struct gnx__walk *w, const struct gnx_vrule *r, const json_t *v) {
  unsigned t = gnx__type_bit(v);
  if (!(r->types & t)) {
    char want[96];
    gnx__types_text(r->types, want, sizeof want);
    return gnx__fail(w, "expected %s, found %s", want, gnx__type_name(v));
  }
  if (t & T_NUM) {
    return gnx__in_range(w, r->range, json_number_value(v), "is out of range");
  }
  if (t == T_STR && r->oneof && gnx__oneof(w, r->oneof, json_string_value(v)) < 0) {
    return GNX_EFORMAT;
  }
  const char *bad = t == T_STR && r->check ? r->check(v) : NULL;
  if (bad) {
    return gnx__fail(w, "%s", bad);
  }
  if (t == T_OBJ && r->fields) {
    return gnx__object(w, r->fields, v);
  }
  if (t != T_ARR) {
    return 0;
  }
  int rc = gnx__in_range(w, r->range, (double)json_array_size(v), "items: too many or too few");
  for (size_t i = 0; rc == 0 && r->item && i < json_array_size(v); i++) {
    size_t old = gnx__push(w, NULL, i);
    rc = gnx__value(w, r->item, json_array_get(v, i));
    gnx__pop(w, old);
  }
  return rc;
}

/* Two cells of one (workload, size, engine) would make every reader pick
 * one of them at random: the file is not one run. */
static int gnx__unique_cells(const json_t *results, char *why, size_t len) {
  for (size_t i = 0; i < json_array_size(results); i++) {
    const json_t *c = json_array_get(results, i);
    for (size_t j = 0; j < i; j++) {
      const json_t *d = json_array_get(results, j);
      if (json_equal(json_object_get(c, "workload"), json_object_get(d, "workload")) &&
          json_equal(json_object_get(c, "size"), json_object_get(d, "size")) &&
          json_equal(json_object_get(c, "engine"), json_object_get(d, "engine"))) {
        snprintf(why, len, "results[%zu]: the same workload, size and engine as results[%zu]", i,
                 j);
        return GNX_EFORMAT;
      }
    }
  }
  return 0;
}

int gnx_report_validate(const json_t *report, char *why, size_t len) {
  struct gnx__walk w = {.why = why, .len = len};
  static const struct gnx_vrule top = {.types = T_OBJ, .fields = gnx__report};
  int rc = gnx__value(&w, &top, report);
  return rc < 0 ? rc : gnx__unique_cells(json_object_get(report, "results"), why, len);
}
