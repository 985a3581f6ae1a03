/* SPDX-License-Identifier: MIT */
/* harness/cmd-list.c: `gnxbench list`: engines, workloads, their options,
 * and the machine. */
#include <stdio.h>
#include <string.h>

#include "harness/cmd.h"
#include "harness/context.h"
#include "core/counters.h"
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

/* What `--counters auto` would count here, and why the rest is missing. */
static void gnx__list_counters(void) {
  struct gnx_counters c;
  char why[256];
  if (gnx_counters_init(&c, GNX_CTR_AUTO, NULL, why, sizeof why) < 0) {
    printf("counters: %s\n", why);
    return;
  }
  printf("counters (--counters auto):\n");
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    printf("  %-18s %s%s%s\n", gnx_sw_ctr_name(i), gnx_ctr_source_name(c.sw_src[i]),
           c.sw_reason[i][0] ? ": " : "", c.sw_reason[i]);
  }
  /* PAPI events: those counted, then each distinct reason once */
  for (int i = 0; i < c.n_events; i++) {
    if (c.ev_ok[i]) {
      printf("  %-18s papi\n", c.events[i]);
    }
  }
  for (int i = 0; i < c.n_events; i++) {
    int first = !c.ev_ok[i];
    for (int k = 0; first && k < i; k++) {
      first = c.ev_ok[k] || strcmp(c.ev_reason[k], c.ev_reason[i]) != 0;
    }
    if (!first) {
      continue;
    }
    printf("  not counted:");
    for (int k = i; k < c.n_events; k++) {
      if (!c.ev_ok[k] && strcmp(c.ev_reason[k], c.ev_reason[i]) == 0) {
        printf("%s %s", k == i ? "" : ",", c.events[k]);
      }
    }
    printf(": %s\n", c.ev_reason[i]);
  }
  printf("  gnxbench's own figures are PAPI SDE counters sde:::GNXBENCH::* (%s; "
         "docs/counters.md)\n",
         gnx_sde_available() ? "available" : "not built with libsde");
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
  gnx__list_counters();
  return 0;
}
