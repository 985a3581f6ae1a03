/* SPDX-License-Identifier: MIT */
/* harness/cli.h: what `gnxbench run` is asked to do: its command line
 * parsed, or the configuration the gate takes from a baseline. */
#ifndef GNX_HARNESS_CLI_H
#define GNX_HARNESS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gnx/engine.h"
#include "harness/registry.h"

#define GNX_CLI_MAX 32
#define GNX_CLI_KV_MAX 64

/* The config keeps pointers to the values it is given (argv, a baseline's
 * strings): they must outlive it. Lists are resolved by gnx_config_finish. */
/* --time-budget's default: the main job (etl and gnn at 25k, 50k, 100k,
 * every engine) stays well within a minute on 2 cores. */
#define GNX_TIME_BUDGET_S 40.0

struct gnx_run_config {
  const struct gnx_engine *engines[GNX_CLI_MAX];
  size_t n_engines;
  const char *skipped_engines[GNX_CLI_MAX]; /* `all` left these out: unavailable */
  size_t n_skipped;
  const char *skipped_workloads[GNX_CLI_MAX]; /* the same for `--workloads all` */
  size_t n_skipped_workloads;
  int serial_added;                          /* serial was added as the baseline */
  const struct gnx_workload *workloads[GNX_CLI_MAX];
  size_t n_workloads;
  uint64_t sizes[GNX_CLI_MAX];
  size_t n_sizes;
  uint64_t reps, warmup;
  const char *out;      /* NULL: results/<run-id> */
  int quiet;
  int replace;          /* --replace: out may hold an earlier run, whose outputs go */
  struct gnx_fault fault;
  struct gnx_kv kv[GNX_CLI_KV_MAX]; /* plugin options, each given once */
  size_t n_kv;
  int counters_mode;    /* enum gnx_ctr_mode (core/counters.h) */
  const char *events;   /* --events list, NULL: PAPI defaults */
  int pin_policy;       /* enum gnx_pin_policy (core/pin.h) */
  int pin_list[64];     /* --pin 0,2,4: logical PU indexes */
  int n_pin;
  int trace_off;        /* --trace off: engines other than serial record no spans */
  double time_budget_s; /* adaptive repetitions within it; 0: exactly --reps */
  int order_random;     /* --order random[:SEED] */
  uint64_t order_seed;
  const char *gil;      /* --gil as given (checked against each workload); NULL: none */
  uint64_t consumer_us, consumer_sleep_us; /* the foreground consumer's step per item */
  /* Called after each kept repetition (NULL: none): scenarios read what
   * the report does not keep, such as every span. */
  const struct gnx_run_hooks *hooks;
  /* until gnx_config_finish: the lists as given, NULL for the default */
  const char *engines_arg, *workloads_arg, *sizes_arg;
  unsigned given; /* bit i: built-in option i was given */
};

/* --consumer-us and --consumer-sleep-us at most: a second per item. */
#define GNX_CONSUMER_US_MAX 1000000u

struct gnx_run_result;
struct gnx_run_hooks {
  void *arg;
  /* before each run of engine e (warm-ups included) */
  void (*before)(void *arg, const struct gnx_engine *e);
  /* after each kept repetition r of engine e, with what the runner measured */
  void (*after)(void *arg, const struct gnx_engine *e, size_t r, const struct gnx_run_result *res);
};

/* The defaults: nothing given yet. */
void gnx_config_init(struct gnx_run_config *cfg);

/* Apply option --name with its value (NULL for --quiet). A repeated option,
 * an unknown one or a bad value is GNX_EUSAGE with one line in why naming
 * the problem and the fix; 0 otherwise. */
int gnx_config_set(struct gnx_run_config *cfg, const char *name, const char *value, char *why,
                   size_t len);

/* Whether --name has been given. */
int gnx_config_given(const struct gnx_run_config *cfg, const char *name);

/* Apply a command line's options (--name value, --name=value). Returns 0,
 * 1 for --help (printed), or GNX_EUSAGE with why. */
int gnx_config_args(struct gnx_run_config *cfg, int argc, char **argv, char *why, size_t len);

/* Resolve the engine, workload and size lists (defaults where none was
 * given) and put serial first. Returns 0 or GNX_EUSAGE with why. */
int gnx_config_finish(struct gnx_run_config *cfg, char *why, size_t len);

/* After gnx_config_finish: every engine or workload option given belongs
 * to a selected engine or workload, and --fault to a forking engine.
 * Returns 0 or GNX_EUSAGE with why (harness/cmd-run.c). */
int gnx_config_check(const struct gnx_run_config *cfg, char *why, size_t len);

/* All three: a config from argv (after the subcommand). */
int gnx_config_parse(int argc, char **argv, struct gnx_run_config *cfg, char *why, size_t len);

/* --gil's list for workload wl: bit s for stage s, bit n_stages for its
 * sink; "all" is every stage, "none" or NULL nothing. Returns 0 or
 * GNX_EUSAGE with one line in why naming the stages it has. */
int gnx_gil_parse(const struct gnx_workload *wl, const char *spec, uint64_t *mask, char *why,
                  size_t len);

/* Parse "worker=K,item=I,mode=abort|kill". Returns 0 or GNX_EUSAGE. */
int gnx_fault_parse(const char *spec, struct gnx_fault *f);

void gnx_usage(FILE *f);

/* The name of built-in run option i (without --), NULL past the last. */
const char *gnx_config_builtin(size_t i);

#endif
