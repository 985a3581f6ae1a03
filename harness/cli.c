/* SPDX-License-Identifier: MIT */
/* harness/cli.c: command-line parsing and validation for `gnxbench run`.
 * Everything is checked here, before anything runs or is written, so a bad
 * command line leaves nothing behind. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "core/pin.h"
#include "harness/cli.h"
#include "harness/cmd.h"

/* The subcommands' lines of the usage, from the table: the synopsis, then
 * its help from column 36 (on the next line after a long synopsis). */
static void gnx__usage_commands(FILE *f) {
  for (size_t i = 0; i < gnx_n_commands; i++) {
    const char *prefix = i ? "       " : "usage: ";
    char syn[128];
    snprintf(syn, sizeof syn, "gnxbench %s", gnx_commands[i].synopsis);
    if (strlen(syn) < 29) {
      fprintf(f, "%s%-29s", prefix, syn);
    } else {
      fprintf(f, "%s%s\n%36s", prefix, syn, "");
    }
    for (const char *h = gnx_commands[i].help; *h; h++) {
      if (*h == '\n') {
        fprintf(f, "\n%36s", "");
      } else {
        fputc(*h, f);
      }
    }
    fputc('\n', f);
  }
}

void gnx_usage(FILE *f) {
  gnx__usage_commands(f);
  fprintf(f, "       gnxbench --help | --version\n"
             "\n"
             "run options:\n"
             "  --engines LIST|all     engines to compare (default all available); serial is\n"
             "                         always run as the baseline\n"
             "  --workloads LIST|all   workloads (default all: etl, gnn; `null` only when named)\n"
             "  --sizes LIST           sizes: 25k, 1m or plain numbers (default 25k,50k,100k)\n"
             "  --reps N               measured repetitions per engine, interleaved (default 3)\n"
             "  --warmup N             unmeasured warm-up runs per engine (default 1)\n"
             "  --out DIR              output directory (default results/<run-id>; results/latest\n"
             "                         then points at it)\n"
             "  --quiet                no tables, no progress\n"
             "  --fault SPEC           fault injection for process engines: worker K dies at the\n"
             "                         first item >= I it runs: worker=K,item=I,mode=abort|kill\n"
             "  --counters MODE        auto (default): PAPI hardware events where the machine has\n"
             "                         them, perf_event software counters, getrusage otherwise;\n"
             "                         papi, perf, or off (wall time and rusage only)\n"
             "  --events LIST          PAPI preset or native event names (default\n"
             "                         " GNX_PAPI_DEFAULT_EVENTS ")\n"
             "  --pin POLICY           worker placement: none (default), compact, scatter, or\n"
             "                         logical PU indexes such as 0,2,4 (see docs/counters.md)\n"
             "  plus each workload's and engine's options: see `gnxbench list`\n"
             "\n"
             "exit status: 0 all runs verified; 1 a run failed or its result differs from the\n"
             "serial result or the reference; 2 usage error (nothing is run); 130 interrupted\n"
             "(the report holds what was measured, marked incomplete)\n");
}

/* Split a comma list in place into at most max items. Returns the count or
 * -1 on an empty item. */
static int gnx__split(char *s, char **items, size_t max) {
  size_t n = 0;
  char *save = NULL;
  if (!*s || s[strlen(s) - 1] == ',' || *s == ',' || strstr(s, ",,")) {
    return -1;
  }
  for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (n == max) {
      return -1;
    }
    items[n++] = t;
  }
  return (int)n;
}

static void gnx__engine_names(char *buf, size_t len) {
  buf[0] = '\0';
  for (size_t i = 0; i < gnx_n_engines; i++) {
    size_t l = strlen(buf);
    snprintf(buf + l, len - l, "%s%s", i ? ", " : "", gnx_engines[i]->name);
  }
}

static void gnx__workload_names(char *buf, size_t len) {
  buf[0] = '\0';
  for (size_t i = 0; i < gnx_n_workloads; i++) {
    size_t l = strlen(buf);
    snprintf(buf + l, len - l, "%s%s", i ? ", " : "", gnx_workloads[i]->name);
  }
}

static int gnx__parse_engines(struct gnx_cli *cli, char *arg, char *why, size_t len) {
  char names[512];
  gnx__engine_names(names, sizeof names);
  if (strcmp(arg, "all") == 0) {
    for (size_t i = 0; i < gnx_n_engines; i++) {
      if (gnx_engines[i]->unavailable) {
        cli->skipped_engines[cli->n_skipped++] = gnx_engines[i]->name;
      } else {
        cli->engines[cli->n_engines++] = gnx_engines[i];
      }
    }
    return 0;
  }
  char *items[GNX_CLI_MAX];
  int n = gnx__split(arg, items, GNX_CLI_MAX);
  if (n < 0) {
    snprintf(why, len, "--engines: empty or malformed list; valid engines: %s, all", names);
    return GNX_EUSAGE;
  }
  for (int i = 0; i < n; i++) {
    const struct gnx_engine *e = gnx_engine_find(items[i]);
    if (!e) {
      snprintf(why, len, "--engines: unknown engine '%s'; valid engines: %s, all", items[i], names);
      return GNX_EUSAGE;
    }
    if (e->unavailable) {
      snprintf(why, len, "--engines: engine '%s' is not available: %s", e->name, e->unavailable);
      return GNX_EUSAGE;
    }
    for (size_t k = 0; k < cli->n_engines; k++) {
      if (cli->engines[k] == e) {
        snprintf(why, len, "--engines: '%s' is listed twice", e->name);
        return GNX_EUSAGE;
      }
    }
    cli->engines[cli->n_engines++] = e;
  }
  return 0;
}

static int gnx__parse_workloads(struct gnx_cli *cli, char *arg, char *why, size_t len) {
  char names[512];
  gnx__workload_names(names, sizeof names);
  if (strcmp(arg, "all") == 0) {
    for (size_t i = 0; i < gnx_n_workloads; i++) {
      if (!(gnx_workloads[i]->flags & GNX_WORKLOAD_F_DIAGNOSTIC)) {
        cli->workloads[cli->n_workloads++] = gnx_workloads[i];
      }
    }
    return 0;
  }
  char *items[GNX_CLI_MAX];
  int n = gnx__split(arg, items, GNX_CLI_MAX);
  if (n < 0) {
    snprintf(why, len, "--workloads: empty or malformed list; valid workloads: %s, all", names);
    return GNX_EUSAGE;
  }
  for (int i = 0; i < n; i++) {
    const struct gnx_workload *w = gnx_workload_find(items[i]);
    if (!w) {
      snprintf(why, len, "--workloads: unknown workload '%s'; valid workloads: %s, all", items[i],
               names);
      return GNX_EUSAGE;
    }
    for (size_t k = 0; k < cli->n_workloads; k++) {
      if (cli->workloads[k] == w) {
        snprintf(why, len, "--workloads: '%s' is listed twice", w->name);
        return GNX_EUSAGE;
      }
    }
    cli->workloads[cli->n_workloads++] = w;
  }
  return 0;
}

/* Sizes above this are refused: no workload here can hold 10^10 records. */
#define GNX_SIZE_MAX 1000000000ull

static int gnx__parse_sizes(struct gnx_cli *cli, char *arg, char *why, size_t len) {
  char *items[GNX_CLI_MAX];
  int n = gnx__split(arg, items, GNX_CLI_MAX);
  if (n < 0) {
    snprintf(why, len, "--sizes: empty or malformed list; use e.g. --sizes 25k,50k,100k");
    return GNX_EUSAGE;
  }
  for (int i = 0; i < n; i++) {
    uint64_t v;
    if (gnx_parse_u64(items[i], &v) < 0) {
      snprintf(why, len,
               "--sizes: '%s' is not a size; use a positive whole number such as 25000, 25k or 1m",
               items[i]);
      return GNX_EUSAGE;
    }
    if (v == 0 || v > GNX_SIZE_MAX) {
      snprintf(why, len, "--sizes: %s is out of range; sizes go from 1 to 1g", items[i]);
      return GNX_EUSAGE;
    }
    cli->sizes[cli->n_sizes++] = v;
  }
  return 0;
}

int gnx_fault_parse(const char *spec, struct gnx_fault *f) {
  char buf[128];
  if (strlen(spec) >= sizeof buf) {
    return GNX_EUSAGE;
  }
  strcpy(buf, spec);
  memset(f, 0, sizeof *f);
  f->worker = -1;
  f->sig = 0;
  int have_item = 0;
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    uint64_t v;
    if (strncmp(t, "worker=", 7) == 0 && gnx_parse_u64(t + 7, &v) == 0 && v < 1024) {
      f->worker = (int)v;
    } else if (strncmp(t, "item=", 5) == 0 && gnx_parse_u64(t + 5, &v) == 0) {
      f->item = v;
      have_item = 1;
    } else if (strcmp(t, "mode=abort") == 0) {
      f->sig = SIGABRT;
    } else if (strcmp(t, "mode=kill") == 0) {
      f->sig = SIGKILL;
    } else {
      return GNX_EUSAGE;
    }
  }
  if (f->worker < 0 || !have_item || !f->sig) {
    return GNX_EUSAGE;
  }
  f->enabled = 1;
  return 0;
}

#define GNX_CLI_SEEN_MAX 128

static int gnx__seen(const char **seen, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++) {
    if (strcmp(seen[i], name) == 0) {
      return 1;
    }
  }
  return 0;
}

int gnx_cli_parse(int argc, char **argv, struct gnx_cli *cli, char *why, size_t len) {
  memset(cli, 0, sizeof *cli);
  cli->reps = 3;
  cli->warmup = 1;
  /* Option names given so far (a repeated option is an error). Static:
   * cli->kv points into it after return. */
  static char seen_store[GNX_CLI_SEEN_MAX][64];
  const char *seen[GNX_CLI_SEEN_MAX];
  size_t n_seen = 0;
  static char engines_default[] = "all", workloads_default[] = "all",
              sizes_default[] = "25k,50k,100k";
  char *engines = engines_default, *workloads = workloads_default, *sizes = sizes_default;

  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      gnx_usage(stdout);
      return 1;
    }
    if (strncmp(a, "--", 2) != 0 || !a[2]) {
      snprintf(why, len, "unexpected argument '%s'; options start with -- (see gnxbench --help)", a);
      return GNX_EUSAGE;
    }
    /* --name value or --name=value */
    char name[64];
    const char *value = NULL;
    const char *eq = strchr(a + 2, '=');
    size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    if (nl >= sizeof name) {
      snprintf(why, len, "unknown option '%.40s...' (see gnxbench --help)", a);
      return GNX_EUSAGE;
    }
    memcpy(name, a + 2, nl);
    name[nl] = '\0';
    int is_flag = strcmp(name, "quiet") == 0;
    if (eq) {
      value = eq + 1;
    } else if (!is_flag) {
      if (i + 1 >= argc) {
        snprintf(why, len, "--%s needs a value (see gnxbench --help)", name);
        return GNX_EUSAGE;
      }
      value = argv[++i];
    }
    if (gnx__seen(seen, n_seen, name)) {
      snprintf(why, len, "--%s is given twice; give each option once", name);
      return GNX_EUSAGE;
    }
    if (n_seen == GNX_CLI_SEEN_MAX) {
      snprintf(why, len, "too many options");
      return GNX_EUSAGE;
    }
    snprintf(seen_store[n_seen], sizeof seen_store[0], "%s", name);
    seen[n_seen] = seen_store[n_seen];
    n_seen++;

    if (is_flag) {
      if (eq) {
        snprintf(why, len, "--quiet takes no value");
        return GNX_EUSAGE;
      }
      cli->quiet = 1;
    } else if (strcmp(name, "engines") == 0) {
      engines = (char *)value;
    } else if (strcmp(name, "workloads") == 0) {
      workloads = (char *)value;
    } else if (strcmp(name, "sizes") == 0) {
      sizes = (char *)value;
    } else if (strcmp(name, "reps") == 0 || strcmp(name, "warmup") == 0) {
      uint64_t v;
      int reps = name[0] == 'r';
      if (gnx_parse_u64(value, &v) < 0 || (reps && v == 0) || v > 1000) {
        snprintf(why, len, "--%s: '%s' is not a count from %d to 1000", name, value, reps ? 1 : 0);
        return GNX_EUSAGE;
      }
      *(reps ? &cli->reps : &cli->warmup) = v;
    } else if (strcmp(name, "out") == 0) {
      if (!*value) {
        snprintf(why, len, "--out: the directory name is empty");
        return GNX_EUSAGE;
      }
      cli->out = value;
    } else if (strcmp(name, "counters") == 0) {
      cli->counters_mode = gnx_counters_mode_parse(value);
      if (cli->counters_mode < 0) {
        snprintf(why, len, "--counters: '%s' is not auto, papi, perf or off", value);
        return GNX_EUSAGE;
      }
    } else if (strcmp(name, "events") == 0) {
      if (!*value || value[0] == ',' || value[strlen(value) - 1] == ',' || strstr(value, ",,")) {
        snprintf(why, len, "--events: empty or malformed list; use e.g. PAPI_TOT_CYC,PAPI_TOT_INS");
        return GNX_EUSAGE;
      }
      cli->events = value;
    } else if (strcmp(name, "pin") == 0) {
      int pol = gnx_pin_parse(value, cli->pin_list, &cli->n_pin, 64, why, len);
      if (pol < 0) {
        return GNX_EUSAGE;
      }
      cli->pin_policy = pol;
    } else if (strcmp(name, "fault") == 0) {
      if (gnx_fault_parse(value, &cli->fault) < 0) {
        snprintf(why, len, "--fault: '%s' is not worker=K,item=I,mode=abort|kill", value);
        return GNX_EUSAGE;
      }
    } else {
      const struct gnx_option *o = gnx_option_lookup(name);
      if (!o) {
        snprintf(why, len, "unknown option --%s (see gnxbench --help and gnxbench list)", name);
        return GNX_EUSAGE;
      }
      if (gnx_option_validate(o, value, why, len) < 0) {
        return GNX_EUSAGE;
      }
      if (cli->n_kv == sizeof cli->kv / sizeof cli->kv[0]) {
        snprintf(why, len, "too many options");
        return GNX_EUSAGE;
      }
      cli->kv[cli->n_kv].name = seen[n_seen - 1];
      cli->kv[cli->n_kv].value = value;
      cli->n_kv++;
    }
  }
  cli->engines_arg = engines;
  cli->workloads_arg = workloads;
  cli->sizes_arg = sizes;
  /* Parse copies: strtok writes into the string. */
  static char ebuf[1024], wbuf[1024], sbuf[1024];
  snprintf(ebuf, sizeof ebuf, "%s", engines);
  snprintf(wbuf, sizeof wbuf, "%s", workloads);
  snprintf(sbuf, sizeof sbuf, "%s", sizes);
  int rc = gnx__parse_engines(cli, ebuf, why, len);
  if (rc == 0) {
    rc = gnx__parse_workloads(cli, wbuf, why, len);
  }
  if (rc == 0) {
    rc = gnx__parse_sizes(cli, sbuf, why, len);
  }
  if (rc < 0) {
    return rc;
  }
  /* serial is the baseline of every speedup and every verification. */
  const struct gnx_engine *serial = gnx_engine_find("serial");
  int have_serial = 0;
  for (size_t i = 0; i < cli->n_engines; i++) {
    have_serial |= cli->engines[i] == serial;
  }
  if (!have_serial) {
    memmove(&cli->engines[1], &cli->engines[0], cli->n_engines * sizeof cli->engines[0]);
    cli->engines[0] = serial;
    cli->n_engines++;
    cli->serial_added = 1;
  }
  return 0;
}
