/* SPDX-License-Identifier: MIT */
/* harness/cli.h: the parsed command line of `gnxbench run`. */
#ifndef GNX_HARNESS_CLI_H
#define GNX_HARNESS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "gnx/engine.h"
#include "harness/registry.h"

#define GNX_CLI_MAX 32

struct gnx_cli {
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
  struct gnx_fault fault;
  struct gnx_kv kv[64]; /* plugin options the user typed */
  size_t n_kv;
  const char *engines_arg, *workloads_arg, *sizes_arg;
  int counters_mode;    /* enum gnx_ctr_mode (harness/counters.h) */
  const char *events;   /* --events list, NULL: PAPI defaults */
  int pin_policy;       /* enum gnx_pin_policy (harness/pin.h) */
  int pin_list[64];     /* --pin 0,2,4: logical PU indexes */
  int n_pin;
};

/* Parse argv (after the subcommand). Returns 0, 1 for --help (printed),
 * or GNX_EUSAGE with one line in why naming the problem and the fix. */
int gnx_cli_parse(int argc, char **argv, struct gnx_cli *cli, char *why, size_t len);

/* Parse "worker=K,item=I,mode=abort|kill". Returns 0 or GNX_EUSAGE. */
int gnx_fault_parse(const char *spec, struct gnx_fault *f);

void gnx_usage(FILE *f);

#endif
