/* SPDX-License-Identifier: MIT */
/* harness/cmd-report.c: `gnxbench report DIR`: regenerate every output
 * derived from DIR/report.json (summary.md, report.html, speedup.csv, charts) and
 * print the tables. The same renderer runs at the end of `gnxbench run`,
 * so the files come out identical. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/cmd.h"
#include "reports/report.h"
#include "reports/schema.h"

/* DIR may also name the report file itself. Returns 0, 1 for --help, or
 * 2 (printed) for a usage error. */
int gnx_cmd_dir_arg(const char *cmd, int argc, char **argv, char *dir, size_t len, int *quiet) {
  const char *arg = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      printf("usage: gnxbench %s DIR [--quiet]\n"
             "  DIR: a run's output directory (holding report.json), e.g. results/latest\n",
             cmd);
      return 1;
    } else if (quiet && strcmp(argv[i], "--quiet") == 0) {
      *quiet = 1;
    } else if (argv[i][0] == '-' || arg) {
      fprintf(stderr, "gnxbench: %s: unexpected argument '%s'; usage: gnxbench %s DIR%s\n", cmd,
              argv[i], cmd, quiet ? " [--quiet]" : "");
      return 2;
    } else {
      arg = argv[i];
    }
  }
  if (!arg) {
    fprintf(stderr, "gnxbench: %s needs a directory, e.g. gnxbench %s results/latest\n", cmd,
            cmd);
    return 2;
  }
  snprintf(dir, len, "%s", arg);
  struct stat st;
  size_t l = strlen(dir);
  if (stat(dir, &st) == 0 && S_ISREG(st.st_mode) && l >= 11 &&
      strcmp(dir + l - 11, "report.json") == 0) {
    dir[l - 11] = '\0';
    if (!dir[0]) {
      snprintf(dir, len, ".");
    } else if (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/') {
      dir[strlen(dir) - 1] = '\0';
    }
  }
  return 0;
}

json_t *gnx_cmd_load_report(const char *dir) {
  char path[PATH_MAX + 16], why[PATH_MAX + 256];
  snprintf(path, sizeof path, "%s/report.json", dir);
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "gnxbench: %s: no report.json there; give a run's output directory, e.g. "
                    "results/latest\n",
            dir);
    return NULL;
  }
  json_t *r = gnx_report_load(path, why, sizeof why);
  if (!r) {
    fprintf(stderr, "gnxbench: %s\n", why);
  }
  return r;
}

void gnx_cmd_render(const json_t *report, const char *dir, int quiet, int *exit_code,
                    struct gnx_render_status *status) {
  struct gnx_render_status own;
  struct gnx_render_status *stp = status ? status : &own;
  char why[1024];
  int rc = gnx_report_render(report, dir, stp, why, sizeof why);
  const struct gnx_render_status st = *stp;
  if (rc < 0) {
    fprintf(stderr, "gnxbench: %s\n", why);
    *exit_code = *exit_code ? *exit_code : 1;
    return;
  }
  if (st.gnuplot_missing) {
    fprintf(stderr, "gnxbench: warning: gnuplot not found; charts skipped (install gnuplot-nox)\n");
  }
  if (st.failed) {
    fprintf(stderr, "gnxbench: warning: %u chart%s not drawn: %s\n", st.failed,
            st.failed == 1 ? "" : "s", st.why);
  }
  if (st.traces_unreadable) {
    fprintf(stderr, "gnxbench: warning: %u trace%s unreadable (no chart, no per-worker "
                    "figures): %s\n",
            st.traces_unreadable, st.traces_unreadable == 1 ? "" : "s", st.trace_why);
  }
  if (!quiet) {
    printf("summary: %s/summary.md (and report.html, speedup.csv, %u chart%s)\n", dir, st.charts,
           st.charts == 1 ? "" : "s");
  }
}

int gnx_cmd_report(int argc, char **argv) {
  char dir[PATH_MAX];
  int quiet = 0;
  int rc = gnx_cmd_dir_arg("report", argc, argv, dir, sizeof dir, &quiet);
  if (rc) {
    return rc == 1 ? 0 : rc;
  }
  json_t *report = gnx_cmd_load_report(dir);
  if (!report) {
    return 2;
  }
  int exit_code = 0;
  if (!quiet) {
    /* the console tables, one per workload and size, as `run` prints them */
    const json_t *results = json_object_get(report, GNX_F_RESULTS);
    for (size_t i = 0; i < json_array_size(results); i++) {
      const json_t *c = json_array_get(results, i);
      int first = 1;
      for (size_t k = 0; k < i; k++) {
        const json_t *o = json_array_get(results, k);
        first &=
            !(json_equal(json_object_get(o, GNX_F_WORKLOAD), json_object_get(c, GNX_F_WORKLOAD)) &&
              json_equal(json_object_get(o, GNX_F_SIZE), json_object_get(c, GNX_F_SIZE)));
      }
      if (first) {
        gnx_table_print(stdout, report, gnx_jstr(c, GNX_F_WORKLOAD, NULL),
                        (uint64_t)gnx_jint(c, GNX_F_SIZE, 0));
      }
    }
    printf("\n");
  }
  gnx_cmd_render(report, dir, quiet, &exit_code, NULL);
  json_decref(report);
  return exit_code;
}
