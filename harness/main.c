/* SPDX-License-Identifier: MIT */
/* harness/main.c: gnxbench, which parallel strategy should this pipeline
 * use, and why. Dispatches to the subcommands of gnx_commands; `run` is the
 * default. */
#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "gnx-rev.h"
#include "harness/cmd.h"
#include "harness/registry.h"

/* The whole command line, which `run` records in its report. */
static int gnx__argc;
static char **gnx__argv;

static int gnx__run(int argc, char **argv) { return gnx_cmd_run(argc, argv, gnx__argc, gnx__argv); }

const struct gnx_command gnx_commands[] = {
    {"run", gnx__run, "[run] [options]", "run workloads under engines, write a report"},
    {"report", gnx_cmd_report, "report DIR",
     "regenerate summary.md, report.html, speedup.csv and\nthe charts of a run from DIR/report.json"},
    {"recommend", gnx_cmd_recommend, "recommend DIR",
     "which engine to choose per workload and size, why,\nand what to try next"},
    {"compare", gnx_cmd_compare, "compare A B [C ...] [--chart FILE.png|DIR]",
     "speedup per cell in each report against the first,\nwith Mann-Whitney U p-values and "
     "geometric means\nper engine; --chart draws them (gnxbench compare --help)"},
    {"gate", gnx_cmd_gate, "gate --baseline FILE [--max-drop 10%] [--report FILE] [-- RUN-OPTIONS]",
     "CI regression gate on speedup: exit 0 pass, 1\nregressed, 3 inconclusive (gnxbench gate "
     "--help)"},
    {"predict", gnx_cmd_predict, "predict DIR [--cores LIST] [--what-if STAGE=F,...]",
     "every engine of a run tuned and predicted at other\ncore counts and under what-ifs, with a "
     "scaling chart"},
    {"scenario", gnx_cmd_scenario, "scenario list | NAME [options]",
     "a classic surprise reproduced and explained:\nserial-fraction, headspace, noisy-neighbour, "
     "broadcast\n(gnxbench scenario NAME --help)"},
    {"list", gnx_cmd_list, "list",
     "engines, workloads, their options, the machine\nand what can be counted here"},
};
const size_t gnx_n_commands = sizeof gnx_commands / sizeof gnx_commands[0];

static const struct gnx_command *gnx__command(const char *name) {
  for (size_t i = 0; name && i < gnx_n_commands; i++) {
    if (strcmp(gnx_commands[i].name, name) == 0) {
      return &gnx_commands[i];
    }
  }
  return NULL;
}

static void gnx__unknown(const char *name) {
  char list[256];
  struct gnx_sb sb;
  gnx_sb_init(&sb, list, sizeof list);
  for (size_t i = 0; i < gnx_n_commands; i++) {
    gnx_sb_printf(&sb, "%s%s%s", i ? ", " : "", gnx_commands[i].name, i ? "" : " (the default)");
  }
  fprintf(stderr, "gnxbench: unknown command '%s'; commands: %s; see gnxbench --help\n", name,
          list);
}

int main(int argc, char **argv) {
  char why[512];
  if (gnx_registry_check(why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: internal error: %s\n", why);
    return 70; /* EX_SOFTWARE: a plugin is built wrong */
  }
  gnx__argc = argc;
  gnx__argv = argv;
  int rc;
  const struct gnx_command *c = gnx__command(argc >= 2 ? argv[1] : NULL);
  if (argc >= 2 && strcmp(argv[1], "rank") == 0) {
    return gnx_cmd_rank(argc - 2, argv + 2); /* hidden: started by mpirun, not typed */
  }
  if (argc >= 2 && strcmp(argv[1], "scenario-rank") == 0) {
    return gnx_cmd_scenario_rank(argc - 2, argv + 2); /* hidden, likewise */
  }
  if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
    printf("gnxbench %s (%s, %s build)\n", GNX_VERSION, GNX_GIT_REV, GNX_BUILD_TYPE);
    rc = 0;
  } else if (c) {
    rc = c->run(argc - 2, argv + 2);
  } else if (argc >= 2 && argv[1][0] != '-') {
    gnx__unknown(argv[1]);
    return 2;
  } else {
    rc = gnx_commands[0].run(argc - 1, argv + 1); /* options alone: the default command */
  }
  /* output that could not be written is a failure, whatever the command */
  if (fflush(stdout) != 0 || ferror(stdout)) {
    return rc ? rc : 1;
  }
  return rc;
}
