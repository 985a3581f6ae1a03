/* SPDX-License-Identifier: MIT */
/* harness/cmd-gate.c: `gnxbench gate`: the CI regression gate on speedup.
 *
 * Reruns the configuration recorded in a baseline report (or judges a
 * given report) and decides per cell pass, regressed or inconclusive
 * (reports/gate.c). Exit 0 all pass, 1 any regressed, 3 inconclusive only,
 * 2 usage error or an unusable baseline. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "reports/gate.h"
#include "reports/gatefmt.h"
#include "reports/report.h"
#include "reports/schema.h"

static void gnx__gate_usage(FILE *f) {
  fprintf(f,
          "usage: gnxbench gate --baseline FILE [--max-drop 10%%] [--max-width 50%%]\n"
          "                     [--report FILE] [--out DIR] [--update-baseline]\n"
          "                     [--junit FILE] [--markdown FILE] [-- RUN-OPTIONS]\n"
          "  reruns the configuration recorded in FILE (or judges --report FILE) and decides\n"
          "  per cell: pass, REGRESSED (the whole interval of the new speedup is below\n"
          "  baseline x (1 - max-drop)) or inconclusive (the median is below it but the\n"
          "  interval reaches it, or the interval is wider than max-width of the median).\n"
          "  RUN-OPTIONS after -- are added to the rerun (e.g. -- --item-delay-us 2000).\n"
          "  --update-baseline writes the new report to FILE (creating it from RUN-OPTIONS\n"
          "  when FILE does not exist yet).\n"
          "  --junit FILE writes the verdicts as JUnit XML (a test per cell: REGRESSED is a\n"
          "  failure, inconclusive skipped); --markdown FILE as a Markdown table (e.g.\n"
          "  $GITHUB_STEP_SUMMARY). Both are written whatever the verdict (docs/ci.md).\n"
          "exit status: 0 all pass; 1 any regressed; 3 inconclusive only; 2 usage error or\n"
          "an unusable baseline\n");
}

/* "10%", "10" (percent) -> 0.10. */
static int gnx__parse_pct(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno || (*end && strcmp(end, "%") != 0) || !(v >= 0) || !(v < 100)) {
    return -1;
  }
  *out = v / 100;
  return 0;
}

/* Whether the user gave --flag (or --flag=...) after --: it then replaces
 * the baseline's value. */
static int gnx__overridden(const char *flag, char **extra, size_t n_extra) {
  size_t l = strlen(flag);
  for (size_t k = 0; k < n_extra; k++) {
    if (strncmp(extra[k], flag, l) == 0 && (extra[k][l] == '\0' || extra[k][l] == '=')) {
      return 1;
    }
  }
  return 0;
}

/* The value the user gave after -- for --flag (NULL: not given). */
static const char *gnx__extra_value(const char *flag, char **extra, size_t n_extra) {
  size_t l = strlen(flag);
  for (size_t k = 0; k < n_extra; k++) {
    if (strncmp(extra[k], flag, l) == 0 && extra[k][l] == '=') {
      return extra[k] + l + 1;
    }
    if (strcmp(extra[k], flag) == 0 && k + 1 < n_extra) {
      return extra[k + 1];
    }
  }
  return NULL;
}

/* Whether name is in the comma list (NULL or "all": everything is). */
static int gnx__in_list(const char *list, const char *name) {
  if (!list || !name || strcmp(list, "all") == 0) {
    return 1;
  }
  size_t l = strlen(name);
  for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
    if (strncmp(p, name, l) == 0 && (p[l] == ',' || p[l] == '\0')) {
      return 1;
    }
  }
  return 0;
}

/* A rerun being built: its configuration, the words of the equivalent
 * `gnxbench run` command line (which its report records), and the storage
 * of the values taken from the baseline's config. */
struct gnx__rerun {
  struct gnx_run_config cfg;
  json_t *words;
  char values[5][1024];
  char why[512];
};

/* Apply --name value (NULL for a flag) to the rerun and record its words. */
static int gnx__opt(struct gnx__rerun *r, const char *name, const char *value) {
  char flag[80];
  snprintf(flag, sizeof flag, "--%s", name);
  json_array_append_new(r->words, json_string(flag));
  if (value) {
    json_array_append_new(r->words, json_string(value));
  }
  return gnx_config_set(&r->cfg, name, value, r->why, sizeof r->why);
}

/* "a,b" from a JSON array of names or sizes. Returns 0 or -ENOSPC. */
static int gnx__join(char *dst, size_t len, const json_t *arr) {
  struct gnx_sb sb;
  gnx_sb_init(&sb, dst, len);
  for (size_t i = 0; i < json_array_size(arr); i++) {
    const json_t *v = json_array_get(arr, i);
    if (json_is_string(v)) {
      gnx_sb_printf(&sb, "%s%s", i ? "," : "", json_string_value(v));
    } else {
      gnx_sb_printf(&sb, "%s%lld", i ? "," : "", (long long)json_integer_value(v));
    }
  }
  return sb.truncated ? -ENOSPC : 0;
}

/* The baseline's engines, workloads, sizes, reps and warmup (config fields
 * named as the run options are), except those the user gives after --. */
static int gnx__base_config(struct gnx__rerun *r, const json_t *baseline, char **extra,
                            size_t n_extra) {
  static const char *const keys[] = {GNX_F_ENGINES, GNX_F_WORKLOADS, GNX_F_SIZES, GNX_F_REPS,
                                     GNX_F_WARMUP};
  const json_t *cfg = json_object_get(baseline, GNX_F_CONFIG);
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    char flag[32];
    snprintf(flag, sizeof flag, "--%s", keys[i]);
    if (gnx__overridden(flag, extra, n_extra)) {
      continue; /* e.g. -- --reps 31 to measure more */
    }
    const json_t *v = json_object_get(cfg, keys[i]);
    if (!json_is_array(v)) {
      snprintf(r->values[i], sizeof r->values[i], "%lld", (long long)json_integer_value(v));
    } else if (gnx__join(r->values[i], sizeof r->values[i], v) < 0) {
      snprintf(r->why, sizeof r->why, "gate: the baseline's config.%s is too long to rerun",
               keys[i]);
      return GNX_EUSAGE;
    }
    int rc = gnx__opt(r, keys[i], r->values[i]);
    if (rc < 0) {
      return rc;
    }
  }
  return 0;
}

/* The cells' options, once each, except those the user gives after --. */
static int gnx__base_options(struct gnx__rerun *r, const json_t *baseline, char **extra,
                             size_t n_extra) {
  const json_t *res = json_object_get(baseline, GNX_F_RESULTS);
  /* when the user narrows the engines or workloads, the options of those
   * left out would be refused as not applying */
  const char *engines = gnx__extra_value("--engines", extra, n_extra);
  const char *workloads = gnx__extra_value("--workloads", extra, n_extra);
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *cell = json_array_get(res, i);
    if (!gnx__in_list(engines, gnx_jstr(cell, GNX_F_ENGINE, NULL)) ||
        !gnx__in_list(workloads, gnx_jstr(cell, GNX_F_WORKLOAD, NULL))) {
      continue;
    }
    const char *key;
    json_t *val;
    json_object_foreach(json_object_get(cell, GNX_F_OPTIONS), key, val) {
      char flag[80];
      snprintf(flag, sizeof flag, "--%s", key);
      if (!json_is_string(val) || gnx_config_given(&r->cfg, key) ||
          gnx__overridden(flag, extra, n_extra)) {
        continue;
      }
      int rc = gnx__opt(r, key, json_string_value(val));
      if (rc < 0) {
        return rc;
      }
    }
  }
  return 0;
}

/* The configuration to rerun: the baseline's (or none), then the options
 * after --, quietly into out. Returns 0, 1 after --help, or GNX_EUSAGE
 * with why. */
static int gnx__rerun_config(struct gnx__rerun *r, const json_t *baseline, char **extra,
                             size_t n_extra, const char *out) {
  gnx_config_init(&r->cfg);
  r->words = json_pack("[s, s]", "gnxbench", "run");
  int rc = gnx__opt(r, "quiet", NULL);
  rc = rc ? rc : gnx__opt(r, "out", out);
  if (rc == 0 && baseline) {
    rc = gnx__base_config(r, baseline, extra, n_extra);
    rc = rc ? rc : gnx__base_options(r, baseline, extra, n_extra);
  }
  for (size_t i = 0; rc == 0 && i < n_extra; i++) {
    json_array_append_new(r->words, json_string(extra[i]));
  }
  rc = rc ? rc : gnx_config_args(&r->cfg, (int)n_extra, extra, r->why, sizeof r->why);
  r->cfg.replace = 1; /* the rerun's --out is the gate's scratch (.ci/run reuses build/gate) */
  return rc ? rc : gnx_config_finish(&r->cfg, r->why, sizeof r->why);
}

/* Whether the rerun measures every baseline cell it is to judge (those
 * the user's -- --engines/--workloads keep): another size or workload is
 * no comparison. Returns 0, or GNX_EUSAGE with why, before anything runs. */
static int gnx__rerun_covers(const struct gnx_run_config *cfg, const json_t *baseline,
                             char **extra, size_t n_extra, char *why, size_t len) {
  const char *engines = gnx__extra_value("--engines", extra, n_extra);
  const char *workloads = gnx__extra_value("--workloads", extra, n_extra);
  const json_t *cells = json_object_get(baseline, GNX_F_RESULTS);
  size_t judged = 0;
  for (size_t i = 0; i < json_array_size(cells); i++) {
    const json_t *c = json_array_get(cells, i);
    const char *e = gnx_jstr(c, GNX_F_ENGINE, ""), *w = gnx_jstr(c, GNX_F_WORKLOAD, "");
    uint64_t size = (uint64_t)gnx_jint(c, GNX_F_SIZE, 0);
    if (!gnx__in_list(engines, e) || !gnx__in_list(workloads, w)) {
      continue;
    }
    judged += strcmp(e, "serial") != 0;
    int have_w = 0, have_s = 0;
    for (size_t k = 0; k < cfg->n_workloads; k++) {
      have_w |= strcmp(cfg->workloads[k]->name, w) == 0;
    }
    for (size_t k = 0; k < cfg->n_sizes; k++) {
      have_s |= cfg->sizes[k] == size;
    }
    if (!have_w || !have_s) {
      snprintf(why, len,
               "the rerun would not measure the baseline's %s at %llu: another configuration "
               "says nothing about a regression; drop the -- option that changes it, or record "
               "a baseline of the new configuration with --update-baseline",
               w, (unsigned long long)size);
      return GNX_EUSAGE;
    }
  }
  if (!judged) {
    snprintf(why, len, "the -- --engines/--workloads given leave none of the baseline's cells to "
                       "judge (a parallel engine on the baseline's workloads)");
    return GNX_EUSAGE;
  }
  return 0;
}

/* Run the baseline's configuration (or only the extra options when there
 * is no baseline) into out; returns the run's exit status. */
static int gnx__rerun(const json_t *baseline, char **extra, size_t n_extra, const char *out) {
  struct gnx__rerun r;
  int rc = gnx__rerun_config(&r, baseline, extra, n_extra, out);
  if (rc == 0 && baseline && gnx__rerun_covers(&r.cfg, baseline, extra, n_extra, r.why,
                                               sizeof r.why) < 0) {
    fprintf(stderr, "gnxbench: gate: unusable baseline: %s\n", r.why);
    json_decref(r.words);
    return 2;
  }
  if (rc) {
    if (rc < 0 && baseline) {
      /* an option the baseline recorded that this build refuses: the
       * baseline predates a change of the option's meaning */
      fprintf(stderr,
              "gnxbench: gate: the baseline's configuration cannot be rerun by this build (%s); "
              "re-record it with --update-baseline\n",
              r.why);
    } else if (rc < 0) {
      fprintf(stderr, "gnxbench: %s\n", r.why);
    }
    json_decref(r.words);
    return rc < 0 ? 2 : 0;
  }
  printf("gate: running the %s configuration into %s\n", baseline ? "baseline's" : "given", out);
  fflush(stdout);
  return gnx_run_main(&r.cfg, r.words);
}

/* CPU seconds the whole machine spent busy (not idle or iowait), from
 * /proc/stat; NaN when unreadable. */
static double gnx__cpu_busy_s(void) {
  FILE *f = fopen("/proc/stat", "r");
  unsigned long long v[8] = {0};
  int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                     &v[4], &v[5], &v[6], &v[7])
            : 0;
  if (f) {
    fclose(f);
  }
  if (n < 4) {
    return NAN;
  }
  /* user nice system [idle iowait] irq softirq steal */
  unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of this process and its reaped children. */
static double gnx__own_cpu_s(void) {
  struct rusage a, b;
  getrusage(RUSAGE_SELF, &a);
  getrusage(RUSAGE_CHILDREN, &b);
  return (double)(a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec + b.ru_stime.tv_sec) +
         (double)(a.ru_utime.tv_usec + a.ru_stime.tv_usec + b.ru_utime.tv_usec +
                  b.ru_stime.tv_usec) / 1e6;
}

/* The CI files (--junit, --markdown): NULL when not asked for. */
struct gnx__ci_files {
  const char *junit, *markdown;
};

/* Refuse a CI file that cannot be written before minutes of rerun. */
static int gnx__ci_probe(const struct gnx__ci_files *ci) {
  char why[512];
  const char *paths[] = {ci->junit, ci->markdown};
  for (size_t i = 0; i < 2; i++) {
    if (paths[i] && gnx_gatefmt_probe(paths[i], why, sizeof why) < 0) {
      fprintf(stderr, "gnxbench: gate: %s: %s; give a file in a writable directory\n",
              i ? "--markdown" : "--junit", why);
      return -1;
    }
  }
  return 0;
}

static int gnx__ci_write(const struct gnx__ci_files *ci, const struct gnx_gate_result *res,
                         const struct gnx_gate_opts *o) {
  char why[512];
  int rc = 0;
  if (ci->junit && gnx_gatefmt_junit(ci->junit, res, o, why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: gate: --junit: %s\n", why);
    rc = -1;
  }
  if (ci->markdown && gnx_gatefmt_markdown(ci->markdown, res, o, why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: gate: --markdown: %s\n", why);
    rc = -1;
  }
  return rc;
}

int gnx_cmd_gate(int argc, char **argv) {
  const char *baseline_path = NULL, *report_path = NULL, *out_arg = NULL;
  struct gnx_gate_opts o = {.max_drop = 0.10, .max_width = 0.50, .busy = NAN, .max_busy = 0.15};
  int update = 0, ci_err = 0;
  struct gnx__ci_files ci = {NULL, NULL};
  char **extra = NULL;
  size_t n_extra = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int has_val = i + 1 < argc;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      gnx__gate_usage(stdout);
      return 0;
    } else if (strcmp(a, "--") == 0) {
      extra = argv + i + 1;
      n_extra = (size_t)(argc - i - 1);
      break;
    } else if (strcmp(a, "--update-baseline") == 0) {
      update = 1;
    } else if (strcmp(a, "--baseline") == 0 && has_val) {
      baseline_path = argv[++i];
    } else if (strcmp(a, "--report") == 0 && has_val) {
      report_path = argv[++i];
    } else if (strcmp(a, "--out") == 0 && has_val) {
      out_arg = argv[++i];
    } else if (strcmp(a, "--junit") == 0 && has_val) {
      ci.junit = argv[++i];
    } else if (strcmp(a, "--markdown") == 0 && has_val) {
      ci.markdown = argv[++i];
    } else if ((strcmp(a, "--max-drop") == 0 || strcmp(a, "--max-width") == 0) && has_val) {
      double *dst = a[6] == 'd' ? &o.max_drop : &o.max_width;
      if (gnx__parse_pct(argv[++i], dst) < 0 || (dst == &o.max_width && *dst == 0)) {
        fprintf(stderr, "gnxbench: gate: %s '%s': give a percentage in [0, 100), e.g. 10%%\n", a,
                argv[i]);
        return 2;
      }
    } else if (a[0] == '-' && !has_val &&
               (!strcmp(a, "--baseline") || !strcmp(a, "--report") || !strcmp(a, "--out") ||
                !strcmp(a, "--max-drop") || !strcmp(a, "--max-width") || !strcmp(a, "--junit") ||
                !strcmp(a, "--markdown"))) {
      fprintf(stderr, "gnxbench: gate: %s needs a value; see gnxbench gate --help\n", a);
      return 2;
    } else {
      fprintf(stderr, "gnxbench: gate: unknown argument '%s'; run options go after --; see "
                      "gnxbench gate --help\n", a);
      return 2;
    }
  }
  if (!baseline_path) {
    fprintf(stderr, "gnxbench: gate: --baseline FILE is required; see gnxbench gate --help\n");
    return 2;
  }
  if (report_path && n_extra) {
    fprintf(stderr, "gnxbench: gate: run options after -- need a rerun; drop --report or them\n");
    return 2;
  }
  if (gnx__ci_probe(&ci) < 0) {
    return 2;
  }
  char why[1024];
  json_t *baseline = NULL;
  int creating = update && access(baseline_path, F_OK) != 0 && errno == ENOENT;
  if (!creating && access(baseline_path, R_OK) != 0) {
    fprintf(stderr,
            "gnxbench: gate: unusable baseline %s: cannot read it (%s); give an existing "
            "report.json, or create one with --update-baseline -- RUN-OPTIONS\n",
            baseline_path, strerror(errno));
    return 2;
  }
  if (!creating) {
    baseline = gnx_report_load(baseline_path, why, sizeof why);
    if (baseline && gnx_gate_check_baseline(baseline, why + 512, 512) < 0) {
      char tail[512];
      snprintf(tail, sizeof tail, "%s", why + 512);
      snprintf(why, sizeof why, "%s: %s", baseline_path, tail);
      json_decref(baseline);
      baseline = NULL;
    }
    if (!baseline) {
      fprintf(stderr,
              "gnxbench: gate: unusable baseline %s; restore it (git checkout) or write a new "
              "one with --update-baseline\n",
              why);
      return 2;
    }
  }

  json_t *report = NULL;
  if (report_path) {
    report = gnx_report_load(report_path, why, sizeof why);
    if (!report) {
      fprintf(stderr, "gnxbench: gate: unusable report %s\n", why);
      json_decref(baseline);
      return 2;
    }
  } else {
    char out[PATH_MAX];
    if (out_arg) {
      snprintf(out, sizeof out, "%s", out_arg);
    } else {
      char id[96];
      gnx_context_stamp(id, sizeof id, "gate");
      snprintf(out, sizeof out, "results/%s", id);
    }
    double busy0 = gnx__cpu_busy_s(), own0 = gnx__own_cpu_s();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rrc = gnx__rerun(baseline, extra, n_extra, out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rrc == 2 || rrc == 130) { /* the run printed its one line: a usage error, or SIGINT */
      json_decref(baseline);
      return rrc;
    }
    /* Other work on the machine takes cores from the parallel engines: a
     * real loss of speedup, but not the engine's. Measure it, so that a
     * drop on a busy machine is called inconclusive, not regressed. */
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    double busy1 = gnx__cpu_busy_s(), own1 = gnx__own_cpu_s();
    if (!isnan(busy0) && !isnan(busy1) && wall > 0 && ncpu > 0) {
      o.busy = fmax(0, ((busy1 - busy0) - (own1 - own0)) / (wall * (double)ncpu));
      printf("gate: other processes used %.0f %% of the %ld CPUs during the run%s\n",
             o.busy * 100, ncpu, o.busy > o.max_busy ? " (busy: a drop will be inconclusive)" : "");
    }
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/report.json", out);
    report = gnx_report_load(path, why, sizeof why);
    if (!report) {
      fprintf(stderr, "gnxbench: gate: the run left no usable report: %s\n", why);
      json_decref(baseline);
      return 1;
    }
  }

  int rc = 0;
  if (baseline) {
    /* judge only what the user chose to rerun (-- --engines/--workloads) */
    const char *engines = gnx__extra_value("--engines", extra, n_extra);
    const char *workloads = gnx__extra_value("--workloads", extra, n_extra);
    json_t *cells = json_object_get(baseline, GNX_F_RESULTS);
    for (size_t i = json_array_size(cells); i-- > 0;) {
      const json_t *c = json_array_get(cells, i);
      if (!gnx__in_list(engines, gnx_jstr(c, GNX_F_ENGINE, NULL)) ||
          !gnx__in_list(workloads, gnx_jstr(c, GNX_F_WORKLOAD, NULL))) {
        json_array_remove(cells, i);
      }
    }
    if (gnx_gate_check_match(baseline, report, why, sizeof why) < 0) {
      fprintf(stderr, "gnxbench: gate: unusable baseline %s: %s\n", baseline_path, why);
      json_decref(baseline);
      json_decref(report);
      return 2;
    }
    struct gnx_gate_result res;
    if (gnx_gate_judge(baseline, report, &o, &res) < 0) {
      fprintf(stderr, "gnxbench: gate: out of memory\n");
      json_decref(baseline);
      json_decref(report);
      return 1;
    }
    gnx_gate_print(stdout, &res, &o);
    rc = gnx_gate_exit_code(&res);
    ci_err = gnx__ci_write(&ci, &res, &o);
    gnx_gate_result_free(&res);
  }
  if (update) {
    if (o.busy > o.max_busy) {
      fprintf(stderr, "gnxbench: gate: warning: other processes used %.0f %% of the CPUs while "
                      "measuring: the new baseline undervalues the parallel engines; update it on "
                      "a quiet machine\n", o.busy * 100);
    }
    int wrc = gnx_gate_check_baseline(report, why, sizeof why);
    if (wrc == 0) {
      wrc = gnx_report_write(report, baseline_path, why, sizeof why);
      snprintf(why, sizeof why, "%s", strerror(-wrc));
    }
    if (wrc < 0) {
      fprintf(stderr, "gnxbench: gate: cannot write the baseline %s: %s\n", baseline_path, why);
      rc = 1;
    } else {
      printf("gate: baseline %s %s\n", baseline_path, creating ? "created" : "updated");
      rc = 0; /* updating accepts the new measurements */
    }
  }
  json_decref(baseline);
  json_decref(report);
  return ci_err ? 2 : rc;
}
