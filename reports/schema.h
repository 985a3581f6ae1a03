/* SPDX-License-Identifier: MIT */
/* reports/schema.h: the names of report.json's fields that its writers
 * (cell.c, cmd-run.c) and its readers (the analysis, the tables, summary.md,
 * compare, the gate) share, and the typed readers every reader uses.
 *
 * Every field some reader reads is named here, once; a field that is only
 * written stays a literal beside its writer. So renaming a field renames it
 * for both sides, and a name that leaves the table breaks the build instead
 * of a reader silently getting its fallback. The unit tests check that each
 * name is a property of docs/report-schema.json. */
#ifndef GNX_REPORTS_SCHEMA_H
#define GNX_REPORTS_SCHEMA_H

#include <jansson.h>

/* X(ID, name): the constant GNX_F_<ID> is the field's name. */
#define GNX_REPORT_FIELDS(X)                                                  \
  /* the report */                                                            \
  X(SCHEMA_VERSION, "schema_version") X(CONTEXT, "context")                   \
  X(CONFIG, "config") X(STATUS, "status") X(INTERRUPTED, "interrupted")       \
  X(RESULTS, "results") X(COUNTERS, "counters") X(PINNING, "pinning")         \
  /* context */                                                               \
  X(HOST, "host") X(CPU_MODEL, "cpu_model") X(ARCH, "arch")                   \
  X(KERNEL, "kernel") X(TOPOLOGY, "topology") X(PACKAGES, "packages")         \
  X(CORES, "cores") X(PUS, "pus") X(NUMA_NODES, "numa_nodes")                 \
  X(CPUS_ALLOWED, "cpus_allowed") X(VERSION, "version")                       \
  X(GIT_REVISION, "git_revision") X(BUILD_TYPE, "build_type")                 \
  X(COMPILER, "compiler") X(CFLAGS, "cflags") X(FEATURES, "features")         \
  X(COMMAND_LINE, "command_line") X(DATE, "date")                             \
  X(PAGE_FAULT_US, "page_fault_us")                                           \
  /* config */                                                                \
  X(ENGINES, "engines") X(WORKLOADS, "workloads") X(SIZES, "sizes")           \
  X(REPS, "reps") X(WARMUP, "warmup") X(SKIPPED_ENGINES, "skipped_engines")   \
  X(TIME_BUDGET_S, "time_budget_s") X(ORDER, "order")                         \
  /* counters and pinning blocks */                                           \
  X(MODE, "mode") X(SOURCE, "source") X(REASON, "reason")                     \
  X(POLICY, "policy") X(CPUS, "cpus") X(RULE, "rule")                         \
  /* a cell */                                                                \
  X(WORKLOAD, "workload") X(SIZE, "size") X(ENGINE, "engine")                 \
  X(ITEMS, "items") X(OPTIONS, "options") X(ERROR, "error")                   \
  X(VERIFIED, "verified") X(STATS, "stats") X(TRACE, "trace")                 \
  X(FILE, "file") X(REP, "rep") X(WARNINGS, "warnings")                       \
  /* a repetition, its stages and workers */                                  \
  X(OK, "ok") X(WALL_S, "wall_s") X(STARTUP_S, "startup_s")                   \
  X(MINFLT, "minflt") X(STAGES, "stages") X(WORKERS, "workers")               \
  X(NAME, "name") X(EXEC_S, "exec_s") X(WAIT_IN_S, "wait_in_s")               \
  X(WAIT_OUT_S, "wait_out_s") X(WAIT_LOCK_S, "wait_lock_s") X(PID, "pid")     \
  X(TID, "tid") X(STAGE, "stage") X(CPU_BEGIN, "cpu_begin")                   \
  X(CPU_END, "cpu_end") X(PLACEMENT, "placement") X(ASKED, "asked")           \
  X(MIGRATED, "migrated") X(IPC, "ipc") X(USER_S, "user_s")                   \
  X(SYS_S, "sys_s") X(MAXRSS_KB, "maxrss_kb")                                 \
  /* the model */                                                             \
  X(MACHINE, "machine") X(PROFILE, "profile") X(TUNING, "tuning")             \
  X(PREDICTION, "prediction") X(SCALING, "scaling") X(STOP, "stop")           \
  /* statistics */                                                            \
  X(SPEEDUP, "speedup") X(N, "n") X(MEDIAN, "median") X(LO, "lo")             \
  X(HI, "hi") X(LEVEL, "level") X(CV, "cv") X(OUTLIERS, "outliers")           \
  X(NOISY, "noisy") X(ADAPTIVE, "adaptive")                                   \
  X(INTERVAL_LEVEL, "interval_level") X(CALIBRATION_REPS, "calibration_reps") \
  X(EXTRA_REPS, "extra_reps")

#define GNX__FIELD(id, name) static const char GNX_F_##id[] = name;
GNX_REPORT_FIELDS(GNX__FIELD)
#undef GNX__FIELD

/* Derived hardware counters are "<event>_per_kinstr" (misses per 1000
 * instructions), beside "ipc". */
static const char GNX_F_PER_KINSTR[] = "_per_kinstr";

/* Typed readers: o[key] when it has the type, else fallback (o may be
 * NULL or not an object). A number is an integer or a real. */
double gnx_jnum(const json_t *o, const char *key, double fallback);
json_int_t gnx_jint(const json_t *o, const char *key, json_int_t fallback);
const char *gnx_jstr(const json_t *o, const char *key, const char *fallback);
int gnx_jbool(const json_t *o, const char *key, int fallback);

#endif
