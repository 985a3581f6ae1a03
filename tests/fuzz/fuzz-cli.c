/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz-cli.c: `gnxbench run`'s command line: sizes, counts,
 * durations, lists and every plugin option's value. The input is split at
 * NUL or newline into argv; the parser accepts it or refuses it with one
 * line, and an accepted configuration is within its bounds. */
#include "fuzz.h"
#include "harness/cli.h"
#include "harness/cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) {
    return 0;
  }
  char *text = gnx_fuzz_str(data, size);
  if (!text) {
    return 0;
  }
  char *argv[64];
  int argc = 0;
  size_t start = 0;
  for (size_t i = 0; i <= size && argc < 64; i++) {
    if (i == size || text[i] == '\n' || text[i] == '\0') {
      text[i] = '\0';
      argv[argc++] = text + start;
      start = i + 1;
    }
  }
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      free(text); /* prints the usage: nothing to find */
      return 0;
    }
  }
  static struct gnx_run_config cfg;
  char why[512] = "";
  int rc = gnx_config_parse(argc, argv, &cfg, why, sizeof why);
  if (rc < 0) {
    GNX_FUZZ_ASSERT(why[0] && !strchr(why, '\n'));
  } else if (rc == 0) {
    GNX_FUZZ_ASSERT(cfg.n_engines >= 1 && cfg.n_sizes >= 1 && cfg.n_workloads >= 1);
    GNX_FUZZ_ASSERT(cfg.reps >= 1 && cfg.reps <= 1000 && cfg.warmup <= 1000);
    for (size_t i = 0; i < cfg.n_sizes; i++) {
      GNX_FUZZ_ASSERT(cfg.sizes[i] >= 1 && cfg.sizes[i] <= 1000000000ull);
    }
    GNX_FUZZ_ASSERT(cfg.time_budget_s >= 0 && cfg.time_budget_s <= 86400);
  }
  free(text);
  return 0;
}
