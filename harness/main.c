/* SPDX-License-Identifier: MIT */
/* harness/main.c: gnxbench, which parallel strategy should this pipeline
 * use, and why. Dispatches to the subcommands; `run` is the default. */
#include <stdio.h>
#include <string.h>

#include "gnx-rev.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/registry.h"

int main(int argc, char **argv) {
  char why[512];
  if (gnx_registry_check(why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: internal error: %s\n", why);
    return 70; /* EX_SOFTWARE: a plugin is built wrong */
  }
  if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
    printf("gnxbench %s (%s, %s build)\n", GNX_VERSION, GNX_GIT_REV, GNX_BUILD_TYPE);
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "list") == 0) {
    return gnx_cmd_list(argc - 2, argv + 2);
  }
  if (argc >= 2 && strcmp(argv[1], "report") == 0) {
    int rc = gnx_cmd_report(argc - 2, argv + 2);
    return fflush(stdout) != 0 && !rc ? 1 : rc;
  }
  if (argc >= 2 && strcmp(argv[1], "recommend") == 0) {
    int rc = gnx_cmd_recommend(argc - 2, argv + 2);
    return fflush(stdout) != 0 && !rc ? 1 : rc;
  }
  if (argc >= 2 && strcmp(argv[1], "compare") == 0) {
    int rc = gnx_cmd_compare(argc - 2, argv + 2);
    return fflush(stdout) != 0 && !rc ? 1 : rc;
  }
  if (argc >= 2 && strcmp(argv[1], "gate") == 0) {
    int rc = gnx_cmd_gate(argc - 2, argv + 2);
    return fflush(stdout) != 0 && !rc ? 1 : rc;
  }
  if (argc >= 2 && strcmp(argv[1], "predict") == 0) {
    int rc = gnx_cmd_predict(argc - 2, argv + 2);
    return fflush(stdout) != 0 && !rc ? 1 : rc;
  }
  if (argc >= 2 && strcmp(argv[1], "run") == 0) {
    return gnx_cmd_run(argc - 2, argv + 2, argc, argv);
  }
  if (argc >= 2 && argv[1][0] != '-') {
    fprintf(stderr, "gnxbench: unknown command '%s'; commands: run (the default), report, "
                    "recommend, compare, gate, predict, list; see gnxbench --help\n", argv[1]);
    return 2;
  }
  int rc = gnx_cmd_run(argc - 1, argv + 1, argc, argv);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    return rc ? rc : 1;
  }
  return rc;
}
