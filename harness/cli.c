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
#include "core/strbuf.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/schedule.h"

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
             "  --reps N               measured repetitions per engine, interleaved (default 3,\n"
             "                         then adaptive; given alone: exactly N)\n"
             "  --warmup N             unmeasured warm-up runs per engine (default 1)\n"
             "  --out DIR              output directory (default results/<run-id>; results/latest\n"
             "                         then points at it)\n"
             "  --quiet                no tables, no progress\n"
             "  --replace              --out DIR holds an earlier run: remove its outputs first\n"
             "                         (otherwise that is a usage error)\n"
             "  --fault SPEC           fault injection for process engines: worker K dies at the\n"
             "                         first item >= I it runs: worker=K,item=I,mode=abort|kill\n"
             "  --counters MODE        auto (default): PAPI hardware events where the machine has\n"
             "                         them, perf_event software counters, getrusage otherwise;\n"
             "                         papi, perf, or off (wall time and rusage only)\n"
             "  --events LIST          PAPI preset or native event names (default\n"
             "                         " GNX_PAPI_DEFAULT_EVENTS ")\n"
             "  --pin POLICY           worker placement: none (default), compact, scatter, or\n"
             "                         logical PU indexes such as 0,2,4 (see docs/counters.md)\n"
             "  --trace on|off         off: engines other than serial record no spans (no Gantt\n"
             "                         charts or waits; to measure what tracing costs)\n"
             "  --time-budget SECONDS  after --reps calibration rounds, groups whose leaders are\n"
             "                         not separated get more rounds of serial and the tied\n"
             "                         engines, within this budget for the run (default %g;\n"
             "                         0: exactly --reps; see docs/statistics.md)\n"
             "  --order fixed|random[:SEED]  the engines' order in each round (default fixed;\n"
             "                         the seed is recorded)\n"
             "  --gil STAGE,...|all    one lock per process, held by these stages (or the sink)\n"
             "                         for the whole of their run, as an interpreter lock is\n"
             "  --consumer-us N        the sink's consumer spends N us of CPU per item (a\n"
             "                         training step in the main process; 0 to 1000000)\n"
             "  --consumer-sleep-us N  and N us off CPU per item (its GPU time)\n"
             "  plus each workload's and engine's options: see `gnxbench list`\n"
             "\n"
             "exit status: 0 all runs verified; 1 a run failed or its result differs from the\n"
             "serial result or the reference; 2 usage error (nothing is run); 130 interrupted\n"
             "(the report holds what was measured, marked incomplete)\n",
          GNX_TIME_BUDGET_S);
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

/* "a, b, c": the names of every engine (engines 1) or workload. */
static void gnx__names(char *buf, size_t len, int engines) {
  struct gnx_sb sb;
  gnx_sb_init(&sb, buf, len);
  for (size_t i = 0; i < (engines ? gnx_n_engines : gnx_n_workloads); i++) {
    gnx_sb_printf(&sb, "%s%s", i ? ", " : "",
                  engines ? gnx_engines[i]->name : gnx_workloads[i]->name);
  }
}

static int gnx__parse_engines(struct gnx_run_config *cfg, char *arg, char *why, size_t len) {
  char names[512];
  gnx__names(names, sizeof names, 1);
  if (strcmp(arg, "all") == 0) {
    for (size_t i = 0; i < gnx_n_engines; i++) {
      if (gnx_engines[i]->unavailable) {
        cfg->skipped_engines[cfg->n_skipped++] = gnx_engines[i]->name;
      } else {
        cfg->engines[cfg->n_engines++] = gnx_engines[i];
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
    for (size_t k = 0; k < cfg->n_engines; k++) {
      if (cfg->engines[k] == e) {
        snprintf(why, len, "--engines: '%s' is listed twice", e->name);
        return GNX_EUSAGE;
      }
    }
    cfg->engines[cfg->n_engines++] = e;
  }
  return 0;
}

static int gnx__parse_workloads(struct gnx_run_config *cfg, char *arg, char *why, size_t len) {
  char names[512];
  gnx__names(names, sizeof names, 0);
  if (strcmp(arg, "all") == 0) {
    for (size_t i = 0; i < gnx_n_workloads; i++) {
      if (gnx_workloads[i]->flags & GNX_WORKLOAD_F_DIAGNOSTIC) {
        continue;
      }
      if (gnx_workloads[i]->unavailable) {
        cfg->skipped_workloads[cfg->n_skipped_workloads++] = gnx_workloads[i]->name;
      } else {
        cfg->workloads[cfg->n_workloads++] = gnx_workloads[i];
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
    if (w->unavailable) {
      snprintf(why, len, "--workloads: workload '%s' is not available: %s", w->name,
               w->unavailable);
      return GNX_EUSAGE;
    }
    for (size_t k = 0; k < cfg->n_workloads; k++) {
      if (cfg->workloads[k] == w) {
        snprintf(why, len, "--workloads: '%s' is listed twice", w->name);
        return GNX_EUSAGE;
      }
    }
    cfg->workloads[cfg->n_workloads++] = w;
  }
  return 0;
}

/* Sizes above this are refused: no workload here can hold 10^10 records. */
#define GNX_SIZE_MAX 1000000000ull

static int gnx__parse_sizes(struct gnx_run_config *cfg, char *arg, char *why, size_t len) {
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
    cfg->sizes[cfg->n_sizes++] = v;
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

/* The built-in options; bit i of cfg->given is option i. */
static const char *const gnx__builtin[] = {"quiet",  "engines", "workloads", "sizes",
                                           "reps",   "warmup",  "out",       "counters",
                                           "events", "pin",     "fault",     "trace",
                                           "time-budget", "order",   "replace",
                                           "gil",    "consumer-us", "consumer-sleep-us"};
#define GNX__N_BUILTIN (sizeof gnx__builtin / sizeof gnx__builtin[0])

const char *gnx_config_builtin(size_t i) { return i < GNX__N_BUILTIN ? gnx__builtin[i] : NULL; }

static int gnx__builtin_index(const char *name) {
  for (size_t i = 0; i < GNX__N_BUILTIN; i++) {
    if (strcmp(gnx__builtin[i], name) == 0) {
      return (int)i;
    }
  }
  return -1;
}

void gnx_config_init(struct gnx_run_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->reps = 3;
  cfg->warmup = 1;
  cfg->time_budget_s = GNX_TIME_BUDGET_S;
}

int gnx_config_given(const struct gnx_run_config *cfg, const char *name) {
  int b = gnx__builtin_index(name);
  if (b >= 0) {
    return (cfg->given >> b) & 1;
  }
  for (size_t i = 0; i < cfg->n_kv; i++) {
    if (strcmp(cfg->kv[i].name, name) == 0) {
      return 1;
    }
  }
  return 0;
}

/* A workload's or an engine's option. */
static int gnx__set_plugin(struct gnx_run_config *cfg, const char *name, const char *value,
                           char *why, size_t len) {
  const struct gnx_option *o = gnx_option_lookup(name);
  if (!o) {
    snprintf(why, len, "unknown option --%s (see gnxbench --help and gnxbench list)", name);
    return GNX_EUSAGE;
  }
  if (gnx_option_validate(o, value, why, len) < 0) {
    return GNX_EUSAGE;
  }
  if (cfg->n_kv == GNX_CLI_KV_MAX) {
    snprintf(why, len, "too many options");
    return GNX_EUSAGE;
  }
  cfg->kv[cfg->n_kv++] = (struct gnx_kv){o->name, value};
  return 0;
}

static int gnx__set_count(struct gnx_run_config *cfg, const char *name, const char *value,
                          char *why, size_t len) {
  uint64_t v;
  int reps = name[0] == 'r';
  if (gnx_parse_u64(value, &v) < 0 || (reps && v == 0) || v > 1000) {
    snprintf(why, len, "--%s: '%s' is not a count from %d to 1000", name, value, reps ? 1 : 0);
    return GNX_EUSAGE;
  }
  *(reps ? &cfg->reps : &cfg->warmup) = v;
  return 0;
}

/* --time-budget, --order: how the repetitions are scheduled. */
static int gnx__set_schedule(struct gnx_run_config *cfg, const char *name, const char *value,
                             char *why, size_t len) {
  if (name[0] == 'o') {
    struct gnx_order o;
    if (gnx_order_parse(value, &o, why, len) < 0) {
      return GNX_EUSAGE;
    }
    cfg->order_random = o.random;
    cfg->order_seed = o.seed;
    return 0;
  }
  char *end = NULL;
  double s = strtod(value, &end);
  if (end == value || (*end && strcmp(end, "s") != 0) || !(s >= 0 && s <= 86400)) {
    snprintf(why, len, "--time-budget: '%s' is not seconds from 0 to 86400 (0: exactly --reps)",
             value);
    return GNX_EUSAGE;
  }
  cfg->time_budget_s = s;
  return 0;
}

/* --counters, --events, --pin, --fault: what is measured and injected. */
static int gnx__set_probe(struct gnx_run_config *cfg, const char *name, const char *value,
                          char *why, size_t len) {
  if (strcmp(name, "counters") == 0) {
    cfg->counters_mode = gnx_counters_mode_parse(value);
    if (cfg->counters_mode < 0) {
      snprintf(why, len, "--counters: '%s' is not auto, papi, perf or off", value);
      return GNX_EUSAGE;
    }
  } else if (strcmp(name, "events") == 0) {
    if (!*value || value[0] == ',' || value[strlen(value) - 1] == ',' || strstr(value, ",,")) {
      snprintf(why, len, "--events: empty or malformed list; use e.g. PAPI_TOT_CYC,PAPI_TOT_INS");
      return GNX_EUSAGE;
    }
    cfg->events = value;
  } else if (strcmp(name, "pin") == 0) {
    int pol = gnx_pin_parse(value, cfg->pin_list, &cfg->n_pin, 64, why, len);
    if (pol < 0) {
      return GNX_EUSAGE;
    }
    cfg->pin_policy = pol;
  } else if (strcmp(name, "trace") == 0) {
    if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
      snprintf(why, len, "--trace: '%s' is not on or off", value);
      return GNX_EUSAGE;
    }
    cfg->trace_off = strcmp(value, "off") == 0;
  } else if (gnx_fault_parse(value, &cfg->fault) < 0) {
    snprintf(why, len, "--fault: '%s' is not worker=K,item=I,mode=abort|kill", value);
    return GNX_EUSAGE;
  }
  return 0;
}

/* --gil (checked against the workloads once they are known), --consumer-us,
 * --consumer-sleep-us: what the run carries besides the engines' work. */
static int gnx__set_load(struct gnx_run_config *cfg, const char *name, const char *value,
                         char *why, size_t len) {
  if (strcmp(name, "gil") == 0) {
    if (!*value) {
      snprintf(why, len, "--gil: the list is empty; name stages, or all, or none");
      return GNX_EUSAGE;
    }
    cfg->gil = value;
    return 0;
  }
  uint64_t v;
  if (gnx_parse_u64(value, &v) < 0 || v > GNX_CONSUMER_US_MAX) {
    snprintf(why, len, "--%s: '%s' is out of range; give microseconds per item from 0 to %u",
             name, value, GNX_CONSUMER_US_MAX);
    return GNX_EUSAGE;
  }
  *(strcmp(name, "consumer-us") == 0 ? &cfg->consumer_us : &cfg->consumer_sleep_us) = v;
  return 0;
}

/* The stage of wl named name (n_stages: its sink), or -1. */
static int gnx__stage_index(const struct gnx_workload *wl, const char *name) {
  for (unsigned s = 0; s < wl->n_stages; s++) {
    if (strcmp(wl->stages[s].name, name) == 0) {
      return (int)s;
    }
  }
  return strcmp(wl->sink_name, name) == 0 ? (int)wl->n_stages : -1;
}

int gnx_gil_parse(const struct gnx_workload *wl, const char *spec, uint64_t *mask, char *why,
                  size_t len) {
  char buf[512], *items[64];
  *mask = 0;
  if (!spec || strcmp(spec, "none") == 0) {
    return 0;
  }
  if (strcmp(spec, "all") == 0) {
    *mask = (wl->n_stages >= 64 ? ~0ull : (1ull << wl->n_stages) - 1);
    return 0;
  }
  snprintf(buf, sizeof buf, "%s", spec);
  int n = gnx__split(buf, items, 64);
  if (n < 0) {
    snprintf(why, len, "--gil: empty or malformed list; name stages such as %s,%s, or all",
             wl->stages[0].name, wl->stages[wl->n_stages - 1].name);
    return GNX_EUSAGE;
  }
  for (int i = 0; i < n; i++) {
    int s = gnx__stage_index(wl, items[i]);
    if (s < 0 || s > 63) {
      struct gnx_sb sb;
      char names[256];
      gnx_sb_init(&sb, names, sizeof names);
      for (unsigned k = 0; k < wl->n_stages; k++) {
        gnx_sb_printf(&sb, "%s, ", wl->stages[k].name);
      }
      snprintf(why, len, "--gil: workload %s has no stage '%s'; name some of %s%s, or all, or none",
               wl->name, items[i], names, wl->sink_name);
      return GNX_EUSAGE;
    }
    *mask |= 1ull << s;
  }
  return 0;
}

int gnx_config_set(struct gnx_run_config *cfg, const char *name, const char *value, char *why,
                   size_t len) {
  if (gnx_config_given(cfg, name)) {
    snprintf(why, len, "--%s is given twice; give each option once", name);
    return GNX_EUSAGE;
  }
  int b = gnx__builtin_index(name);
  if (b < 0) {
    return gnx__set_plugin(cfg, name, value, why, len);
  }
  cfg->given |= 1u << b;
  if (b == 0 || b == 14) { /* --quiet, --replace: flags */
    if (value) {
      snprintf(why, len, "--%s takes no value", name);
      return GNX_EUSAGE;
    }
    *(b == 0 ? &cfg->quiet : &cfg->replace) = 1;
  } else if (b <= 3) { /* the lists: resolved once all options are in */
    *(b == 1 ? &cfg->engines_arg : b == 2 ? &cfg->workloads_arg : &cfg->sizes_arg) = value;
  } else if (b <= 5) {
    return gnx__set_count(cfg, name, value, why, len);
  } else if (b == 6) {
    if (!*value) {
      snprintf(why, len, "--out: the directory name is empty");
      return GNX_EUSAGE;
    }
    cfg->out = value;
  } else if (b == 12 || b == 13) {
    return gnx__set_schedule(cfg, name, value, why, len);
  } else if (b >= 15) {
    return gnx__set_load(cfg, name, value, why, len);
  } else {
    return gnx__set_probe(cfg, name, value, why, len);
  }
  return 0;
}

/* Options that take no value. */
static int gnx__is_flag(const char *name) {
  return strcmp(name, "quiet") == 0 || strcmp(name, "replace") == 0;
}

int gnx_config_args(struct gnx_run_config *cfg, int argc, char **argv, char *why, size_t len) {
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
    if (eq) {
      value = eq + 1;
    } else if (!gnx__is_flag(name)) {
      /* "--sizes --reps 1": the next option is not --sizes's value */
      if (i + 1 >= argc || (strncmp(argv[i + 1], "--", 2) == 0 && argv[i + 1][2])) {
        snprintf(why, len, "--%s needs a value (see gnxbench --help)", name);
        return GNX_EUSAGE;
      }
      value = argv[++i];
    }
    if (gnx_config_set(cfg, name, value, why, len) < 0) {
      return GNX_EUSAGE;
    }
  }
  return 0;
}

/* Resolve one list with its parser, on a copy (strtok writes into it). */
static int gnx__resolve(struct gnx_run_config *cfg, const char *flag, const char *arg,
                        int (*parse)(struct gnx_run_config *, char *, char *, size_t), char *why,
                        size_t len) {
  char buf[1024];
  if (snprintf(buf, sizeof buf, "%s", arg) >= (int)sizeof buf) {
    snprintf(why, len, "--%s: the list is too long", flag);
    return GNX_EUSAGE;
  }
  return parse(cfg, buf, why, len);
}

/* A fault that cannot fire tests nothing: it fires only in a forked worker,
 * and worker 0 is the sink, in the harness process. (One that could fire
 * but did not is found after the run: config.fault.fired_runs.) */
static int gnx__fault_check(const struct gnx_run_config *cfg, char *why, size_t len) {
  if (!cfg->fault.enabled) {
    return 0;
  }
  if (cfg->fault.worker == 0) {
    snprintf(why, len, "--fault worker=0: worker 0 is the sink, in the harness process, where "
                       "faults never fire; forked workers are numbered from 1");
    return GNX_EUSAGE;
  }
  for (size_t i = 0; i < cfg->n_engines; i++) {
    if (cfg->engines[i]->flags & GNX_ENGINE_F_FORKS) {
      return 0;
    }
  }
  snprintf(why, len, "--fault: no engine of this run forks its workers (faults fire only in "
                     "forked workers); add one that does, e.g. --engines procpool");
  return GNX_EUSAGE;
}

int gnx_config_finish(struct gnx_run_config *cfg, char *why, size_t len) {
  int rc = gnx__resolve(cfg, "engines", cfg->engines_arg ? cfg->engines_arg : "all",
                        gnx__parse_engines, why, len);
  if (rc == 0) {
    rc = gnx__resolve(cfg, "workloads", cfg->workloads_arg ? cfg->workloads_arg : "all",
                      gnx__parse_workloads, why, len);
  }
  if (rc == 0) {
    rc = gnx__resolve(cfg, "sizes", cfg->sizes_arg ? cfg->sizes_arg : "25k,50k,100k",
                      gnx__parse_sizes, why, len);
  }
  cfg->engines_arg = cfg->workloads_arg = cfg->sizes_arg = NULL;
  /* --reps N alone means exactly N: adaptive only by default or asked */
  if (gnx_config_given(cfg, "reps") && !gnx_config_given(cfg, "time-budget")) {
    cfg->time_budget_s = 0;
  }
  for (size_t k = 0; rc == 0 && k < cfg->n_kv; k++) {
    const struct gnx_option *o = gnx_option_lookup(cfg->kv[k].name);
    if ((o->flags & GNX_OPT_F_SIZE) && gnx_config_given(cfg, "sizes")) {
      snprintf(why, len, "--sizes cannot be given with --%s: the %s sets the size; drop --sizes",
               o->name, o->name);
      rc = GNX_EUSAGE;
    }
  }
  for (size_t w = 0; rc == 0 && w < cfg->n_workloads; w++) {
    uint64_t mask;
    rc = gnx_gil_parse(cfg->workloads[w], cfg->gil, &mask, why, len);
  }
  if (rc < 0) {
    return rc;
  }
  rc = gnx__fault_check(cfg, why, len);
  if (rc < 0) {
    return rc;
  }
  /* serial is the baseline of every speedup and every verification. */
  const struct gnx_engine *serial = gnx_engine_find("serial");
  int have_serial = 0;
  for (size_t i = 0; i < cfg->n_engines; i++) {
    have_serial |= cfg->engines[i] == serial;
  }
  if (!have_serial) {
    memmove(&cfg->engines[1], &cfg->engines[0], cfg->n_engines * sizeof cfg->engines[0]);
    cfg->engines[0] = serial;
    cfg->n_engines++;
    cfg->serial_added = 1;
  }
  return 0;
}

int gnx_config_parse(int argc, char **argv, struct gnx_run_config *cfg, char *why, size_t len) {
  gnx_config_init(cfg);
  int rc = gnx_config_args(cfg, argc, argv, why, len);
  return rc ? rc : gnx_config_finish(cfg, why, len);
}
