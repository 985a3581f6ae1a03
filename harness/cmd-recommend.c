/* SPDX-License-Identifier: MIT */
/* harness/cmd-recommend.c: `gnxbench recommend DIR`: per workload and
 * size, the engine to choose, why (with the numbers), and what to try
 * next. The same sentences open summary.md. */
#include <limits.h>
#include <stdio.h>

#include "harness/cmd.h"
#include "reports/report.h"

int gnx_cmd_recommend(int argc, char **argv) {
  char dir[PATH_MAX];
  int rc = gnx_cmd_dir_arg("recommend", argc, argv, dir, sizeof dir, NULL);
  if (rc) {
    return rc == 1 ? 0 : rc;
  }
  json_t *report = gnx_cmd_load_report(dir);
  if (!report) {
    return 2;
  }
  char why[512];
  rc = gnx_recommend_print(stdout, report, why, sizeof why);
  json_decref(report);
  if (rc < 0) {
    fprintf(stderr, "gnxbench: %s\n", why);
    return 1;
  }
  return 0;
}
