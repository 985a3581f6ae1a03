/* SPDX-License-Identifier: MIT */
/* harness/cmd-list.c: `gnxbench list`: engines, workloads, their options,
 * and the machine. `list --names` (not in the usage) prints the same names
 * one kind a line, for the shell completions. */
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
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

/* Print " --name" for each option not printed yet (seen: those printed). */
static void gnx__names_options(const struct gnx_option *o, const char **seen, size_t *n) {
  for (; o && o->name; o++) {
    size_t k = 0;
    while (k < *n && strcmp(seen[k], o->name) != 0) {
      k++;
    }
    if (k == *n && *n < 256) {
      seen[(*n)++] = o->name;
      printf(" --%s", o->name);
    }
  }
}

/* Machine-readable: "KIND: NAME NAME..." lines, so that the completions
 * follow what this build has without parsing the prose of `list`. */
static int gnx__list_names(void) {
  printf("commands:");
  for (size_t i = 0; i < gnx_n_commands; i++) {
    printf(" %s", gnx_commands[i].name);
  }
  printf("\nengines:");
  for (size_t i = 0; i < gnx_n_engines; i++) {
    printf(" %s", gnx_engines[i]->name);
  }
  printf("\nworkloads:");
  for (size_t i = 0; i < gnx_n_workloads; i++) {
    printf(" %s", gnx_workloads[i]->name);
  }
  printf("\noptions:");
  const char *seen[256];
  size_t n = 0;
  for (size_t i = 0; gnx_config_builtin(i); i++) {
    seen[n++] = gnx_config_builtin(i);
    printf(" --%s", seen[n - 1]);
  }
  for (size_t i = 0; i < gnx_n_engines; i++) {
    gnx__names_options(gnx_engines[i]->options, seen, &n);
  }
  for (size_t i = 0; i < gnx_n_workloads; i++) {
    gnx__names_options(gnx_workloads[i]->options, seen, &n);
  }
  printf("\n");
  return 0;
}

int gnx_cmd_list(int argc, char **argv) {
  if (argc == 1 && strcmp(argv[0], "--names") == 0) {
    return gnx__list_names();
  }
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
