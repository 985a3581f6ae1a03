/* SPDX-License-Identifier: MIT */
/* harness/cmd-list.c: `gnxbench list`: engines, workloads, their options,
 * and the machine. */
#include <stdio.h>

#include "harness/cmd.h"
#include "harness/context.h"
#include "harness/registry.h"

static void gnx__print_options(const struct gnx_option *o) {
  for (; o && o->name; o++) {
    char flag[64];
    snprintf(flag, sizeof flag, "--%s %s", o->name,
             o->type == GNX_OPT_U64 ? "N" : o->type == GNX_OPT_DOUBLE ? "X" : "VALUE");
    printf("      %-24s %s", flag, o->help);
    if (o->def) {
      printf(" (default %s)", o->def);
    }
    printf("\n");
  }
}

int gnx_cmd_list(int argc, char **argv) {
  if (argc > 0) {
    fprintf(stderr, "gnxbench: list takes no arguments (got '%s')\n", argv[0]);
    return 2;
  }
  printf("engines:\n");
  for (size_t i = 0; i < gnx_n_engines; i++) {
    const struct gnx_engine *e = gnx_engines[i];
    printf("  %-10s %s\n", e->name, e->summary);
    if (e->unavailable) {
      printf("             NOT AVAILABLE: %s\n", e->unavailable);
    }
    gnx__print_options(e->options);
  }
  printf("\nworkloads:\n");
  for (size_t i = 0; i < gnx_n_workloads; i++) {
    const struct gnx_workload *w = gnx_workloads[i];
    printf("  %-10s %s%s\n", w->name, w->summary,
           w->flags & GNX_WORKLOAD_F_DIAGNOSTIC ? " [only when named]" : "");
    printf("             stages:");
    for (unsigned s = 0; s < w->n_stages; s++) {
      printf(" %s ->", w->stages[s].name);
    }
    printf(" %s (sink)\n", w->sink_name);
    gnx__print_options(w->options);
  }
  printf("\n");
  gnx_context_print(stdout);
  return 0;
}
