/* SPDX-License-Identifier: MIT */
/* harness/cmd-run.c: `gnxbench run`: the measured, verified comparison.
 *
 * For each workload and size: set up the shared data once (not timed),
 * then warm-up runs, then repetitions with the engines interleaved
 * (serial, threads, ..., serial, threads, ...) so that drift on a shared
 * machine hits all engines alike. Every run's result is compared with the
 * serial result and with the workload's own reference. The report is
 * rewritten after each workload and size, so an interruption or a crash
 * later on loses nothing already measured. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/counters.h"
#include "core/pin.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "harness/registry.h"
#include "harness/runner.h"
#include "reports/report.h"
#include "reports/schema.h"

static volatile sig_atomic_t gnx_stop;

/* First SIGINT/SIGTERM: ask everything to stop and write what was measured.
 * A second one: die now (children die with us through PDEATHSIG). */
static void gnx__on_signal(int sig) {
  if (gnx_stop) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
  gnx_stop = sig;
}

static void gnx__install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = gnx__on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

static int gnx__declares(const struct gnx_option *opts, const char *name) {
  for (const struct gnx_option *o = opts; o && o->name; o++) {
    if (strcmp(o->name, name) == 0) {
      return 1;
    }
  }
  return 0;
}

/* A typed option must belong to a selected engine or workload: silently
 * ignoring --transport when procpool is not run would mislead. */
static int gnx__check_options_apply(const struct gnx_cli *cli, char *why, size_t len) {
  for (size_t k = 0; k < cli->n_kv; k++) {
    int used = 0;
    for (size_t i = 0; i < cli->n_engines; i++) {
      used |= gnx__declares(cli->engines[i]->options, cli->kv[k].name);
    }
    for (size_t i = 0; i < cli->n_workloads; i++) {
      used |= gnx__declares(cli->workloads[i]->options, cli->kv[k].name);
    }
    if (!used) {
      char owners[256] = "";
      for (size_t i = 0; i < gnx_n_engines; i++) {
        if (gnx__declares(gnx_engines[i]->options, cli->kv[k].name)) {
          size_t l = strlen(owners);
          snprintf(owners + l, sizeof owners - l, "%s%s", l ? ", " : "", gnx_engines[i]->name);
        }
      }
      for (size_t i = 0; i < gnx_n_workloads; i++) {
        if (gnx__declares(gnx_workloads[i]->options, cli->kv[k].name)) {
          size_t l = strlen(owners);
          snprintf(owners + l, sizeof owners - l, "%s%s", l ? ", " : "", gnx_workloads[i]->name);
        }
      }
      snprintf(why, len, "--%s applies only to %s, which is not selected", cli->kv[k].name, owners);
      return GNX_EUSAGE;
    }
  }
  if (cli->fault.enabled) {
    int forks = 0;
    for (size_t i = 0; i < cli->n_engines; i++) {
      forks |= (cli->engines[i]->flags & GNX_ENGINE_F_FORKS) != 0;
    }
    if (!forks) {
      snprintf(why, len, "--fault applies only to engines that fork workers (procpool, subproc); "
                         "none is selected");
      return GNX_EUSAGE;
    }
  }
  return 0;
}

/* What a repetition keeps for the Chrome trace of the cell's median one. */
struct gnx_kept_trace {
  struct gnx_trace trace;
  uint64_t t_start_ns;
};

struct gnx_group {
  const struct gnx_cli *cli;
  const struct gnx_counters *ctrs;
  const struct gnx_pin_plan *plan;
  const struct gnx_workload *wl;
  uint64_t size;
  const char *names[64]; /* the stages' names, then the sink's */
  unsigned n_names;
  struct gnx_params wparams;
  struct gnx_params eparams[GNX_CLI_MAX];
  void *shared;
  struct gnx_workload_info info;
  struct gnx_rep_outcome *reps;  /* [engine][rep] */
  struct gnx_kept_trace *traces; /* [engine][rep], until the cells are made */
  int failed[GNX_CLI_MAX];
  char failmsg[GNX_CLI_MAX][320];
};

static void gnx__progress(const struct gnx_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void gnx__progress(const struct gnx_cli *cli, const char *fmt, ...) {
  if (cli->quiet || !isatty(STDERR_FILENO)) {
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  fputs("\r\033[K", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fflush(stderr);
}

/* Remember engine e's first failure and its message. */
static void gnx__fail(struct gnx_group *g, size_t e, int rc, const char *errmsg) {
  if (rc == GNX_EUSAGE) { /* the engine's own line names the choices */
    snprintf(g->failmsg[e], sizeof g->failmsg[e], "%.256s%s%s",
             errmsg[0] ? errmsg : g->cli->engines[e]->name, errmsg[0] ? "" : ": ",
             errmsg[0] ? "" : gnx_strerror(rc));
  } else {
    snprintf(g->failmsg[e], sizeof g->failmsg[e], "%s%s%.256s", gnx_strerror(rc),
             errmsg[0] ? ": " : "", errmsg);
  }
  g->failed[e] = rc;
}

/* Run engine e once; on keep, store it as repetition r. Returns the rc.
 * The one place that runs an engine and reads what the runner measured. */
static int gnx__run_one(struct gnx_group *g, size_t e, size_t r, int keep) {
  const struct gnx_cli *cli = g->cli;
  struct gnx_run_result res;
  fflush(NULL); /* forked workers must not inherit unflushed output */
  int rc = gnx_runner_exec(cli->engines[e], &g->eparams[e], g->wl, g->shared, &g->info,
                           &cli->fault, &gnx_stop, gnx_cpus_allowed(), &res);
  if (rc < 0 && !g->failed[e]) {
    gnx__fail(g, e, rc, res.errmsg);
  }
  if (keep) {
    struct gnx_rep_facts f = {
        .ok = res.rc == 0, .wall_s = res.wall_ns / 1e9, .startup_s = res.startup_ns / 1e9,
        .user_s = res.user_s, .sys_s = res.sys_s, .maxrss_kb = res.maxrss_kb,
        .maxrss_source = res.maxrss_source, .nvcsw = res.nvcsw, .nivcsw = res.nivcsw,
        .minflt = res.minflt, .majflt = res.majflt, .counters_on = res.counters_on,
        .sw = res.sw, .sw_src = res.sw_src, .trace = &res.trace, .names = g->names,
        .n_names = g->n_names, .counters = g->ctrs, .pin = g->plan};
    g->reps[e * cli->reps + r] = (struct gnx_rep_outcome){
        rc, res.wall_ns / 1e9, res.summary ? json_incref(res.summary) : NULL,
        gnx_report_rep_new(&f)};
    /* the trace is moved: its mapping outlives the result */
    g->traces[e * cli->reps + r] = (struct gnx_kept_trace){res.trace, res.t_start_ns};
    memset(&res.trace, 0, sizeof res.trace);
  }
  gnx_run_result_free(&res);
  return rc;
}

/* Write the Chrome trace of the median repetition of engine e into
 * out/file. Returns the repetition, or -1 (none good, or not written). */
static int gnx__write_trace(struct gnx_group *g, size_t e, const char *out, char *file,
                            size_t len) {
  size_t R = g->cli->reps;
  int r = gnx_report_median_rep(&g->reps[e * R], R);
  if (r < 0) {
    return -1;
  }
  const struct gnx_kept_trace *kt = &g->traces[e * R + (size_t)r];
  char path[PATH_MAX + 300], title[256], why[512];
  snprintf(file, len, "trace-%s-%llu-%s.json", g->wl->name, (unsigned long long)g->size,
           g->cli->engines[e]->name);
  snprintf(path, sizeof path, "%s/%s", out, file);
  snprintf(title, sizeof title, "%s n=%llu %s, repetition %d (median wall %.3f ms)", g->wl->name,
           (unsigned long long)g->size, g->cli->engines[e]->name, r + 1,
           g->reps[e * R + (size_t)r].wall_s * 1e3);
  if (gnx_chrome_write(path, &kt->trace, g->names, g->n_names, kt->t_start_ns, title, why,
                       sizeof why) < 0) {
    fprintf(stderr, "gnxbench: warning: %s\n", why);
    return -1;
  }
  return r;
}

/* Build the report cells of one group and append them to results. Returns
 * 1 when every cell ran and verified. */
static int gnx__group_cells(struct gnx_group *g, json_t *results, const char *out) {
  const struct gnx_cli *cli = g->cli;
  size_t R = cli->reps;
  /* serial is engines[0]; its first good summary is the reference. */
  const json_t *ref = NULL;
  for (size_t r = 0; r < R && !ref; r++) {
    ref = g->reps[r].rc == 0 ? g->reps[r].summary : NULL;
  }
  json_t *detail = NULL;
  int checked = ref && g->wl->check;
  int crc = checked ? g->wl->check(g->shared, ref, &detail) : 0;
  int all_ok = 1;
  for (size_t e = 0; e < cli->n_engines; e++) {
    char file[256];
    int tr = gnx__write_trace(g, e, out, file, sizeof file);
    struct gnx_cell_facts f = {
        .workload = g->wl->name, .engine = cli->engines[e]->name, .size = g->size,
        .items = g->info.items, .params = {&g->wparams, &g->eparams[e]}, .failed = g->failed[e],
        .failmsg = g->failmsg[e], .n_reps = R, .reps = &g->reps[e * R], .serial = g->reps,
        .reference = ref, .checked = checked, .check_rc = crc, .check_detail = detail,
        .trace_file = tr < 0 ? NULL : file, .trace_rep = tr < 0 ? 0 : (size_t)tr};
    json_t *cell = gnx_report_cell_new(&f);
    all_ok &= gnx_jbool(cell, GNX_F_VERIFIED, 0);
    json_array_append_new(results, cell);
  }
  json_decref(detail);
  return all_ok;
}

static void gnx__group_free(struct gnx_group *g) {
  for (size_t i = 0; g->reps && i < g->cli->n_engines * g->cli->reps; i++) {
    json_decref(g->reps[i].summary);
    json_decref(g->reps[i].json);
  }
  for (size_t i = 0; g->traces && i < g->cli->n_engines * g->cli->reps; i++) {
    gnx_trace_free(&g->traces[i].trace);
  }
  free(g->reps);
  free(g->traces);
  if (g->shared) {
    g->wl->teardown(g->shared);
  }
  gnx_params_free(&g->wparams);
  for (size_t e = 0; e < g->cli->n_engines; e++) {
    gnx_params_free(&g->eparams[e]);
  }
}

static int gnx__mkdir_p(const char *path) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
    return -ENAMETOOLONG;
  }
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
        return -errno;
      }
      *p = '/';
    }
  }
  if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
    return -errno;
  }
  return 0;
}

/* Make the output directory and prove it is writable before any run.
 * *created says whether we made it (so a usage error can remove it). */
static int gnx__prepare_out(const char *dir, int *created, char *why, size_t len) {
  struct stat st;
  *created = stat(dir, &st) != 0;
  int rc = gnx__mkdir_p(dir);
  if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
    rc = -ENOTDIR;
  }
  if (rc == 0 && access(dir, W_OK | X_OK) != 0) {
    rc = -errno;
  }
  if (rc < 0) {
    snprintf(why, len, "--out %s: cannot create or write the directory (%s); choose a writable one",
             dir, gnx_strerror(rc));
  }
  return rc;
}

static void gnx__point_latest(const char *run_id) {
  (void)unlink("results/latest");
  if (symlink(run_id, "results/latest") < 0) {
    fprintf(stderr, "gnxbench: warning: cannot point results/latest at %s: %s\n", run_id,
            strerror(errno));
  }
}

int gnx_cmd_run(int argc, char **argv, int full_argc, char **full_argv) {
  struct gnx_cli cli;
  char why[512];
  int rc = gnx_cli_parse(argc, argv, &cli, why, sizeof why);
  if (rc == 1) {
    return 0;
  }
  if (rc == 0) {
    rc = gnx__check_options_apply(&cli, why, sizeof why);
  }
  /* Decided once per process: what can be counted, and where workers go. */
  static struct gnx_counters ctrs;
  static struct gnx_pin_plan plan;
  if (rc == 0) {
    rc = gnx_counters_init(&ctrs, cli.counters_mode, cli.events, why, sizeof why);
  }
  if (rc == 0) {
    rc = gnx_pin_plan_host(cli.pin_policy, cli.pin_list, cli.n_pin, &plan, why, sizeof why);
    if (rc < 0 && rc != GNX_EUSAGE && rc != GNX_EUNAVAIL) {
      snprintf(why, sizeof why, "--pin: cannot load the topology: %s", gnx_strerror(rc));
    }
  }
  if (rc < 0) {
    fprintf(stderr, "gnxbench: %s\n", why);
    return 2;
  }
  gnx_runner_set_probe(&ctrs, &plan);
  /* events the user named and will not get: say so now, once, not only in
   * the report (the defaults' absence on a machine without a PMU is normal
   * and is said in the report and summary) */
  for (int i = 0; cli.events && i < ctrs.n_events; i++) {
    if (!ctrs.ev_ok[i]) {
      fprintf(stderr, "gnxbench: warning: --events %s will not be counted: %s (papi_avail and "
                      "papi_native_avail, from Debian's papi-tools, list what this machine "
                      "has)\n",
              ctrs.events[i], ctrs.ev_reason[i]);
    }
  }

  char run_id[64], out[PATH_MAX];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(run_id, sizeof run_id, "%Y%m%d-%H%M%S", &tm);
  snprintf(run_id + strlen(run_id), sizeof run_id - strlen(run_id), "-%d", (int)getpid());
  snprintf(out, sizeof out, "%s", cli.out ? cli.out : "results/");
  if (!cli.out) {
    strncat(out, run_id, sizeof out - strlen(out) - 1);
  }
  char report_path[PATH_MAX + 16];
  snprintf(report_path, sizeof report_path, "%s/report.json", out);
  int created = 0;
  if (gnx__prepare_out(out, &created, why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: %s\n", why);
    return 2;
  }

  json_t *report =
      json_pack("{s:i, s:{s:s, s:s}, s:o, s:{s:o, s:o, s:o, s:I, s:I, s:o, s:b}, "
                "s:s, s:o}",
                GNX_F_SCHEMA_VERSION, GNX_REPORT_SCHEMA_VERSION, "tool", "name", "gnxbench",
                "version", GNX_VERSION, GNX_F_CONTEXT, gnx_context_new(full_argc, full_argv),
                GNX_F_CONFIG, GNX_F_ENGINES, json_array(), GNX_F_WORKLOADS, json_array(),
                GNX_F_SIZES, json_array(), GNX_F_REPS, (json_int_t)cli.reps, GNX_F_WARMUP,
                (json_int_t)cli.warmup, GNX_F_SKIPPED_ENGINES, json_array(), "serial_added",
                cli.serial_added, GNX_F_STATUS, "running", GNX_F_RESULTS, json_array());
  json_object_set_new(report, GNX_F_COUNTERS, gnx_report_counters_new(&ctrs));
  json_object_set_new(report, GNX_F_PINNING, gnx_report_pinning_new(&plan));
  json_t *config = json_object_get(report, GNX_F_CONFIG);
  for (size_t i = 0; i < cli.n_engines; i++) {
    json_array_append_new(json_object_get(config, GNX_F_ENGINES),
                          json_string(cli.engines[i]->name));
  }
  for (size_t i = 0; i < cli.n_skipped; i++) {
    const struct gnx_engine *e = gnx_engine_find(cli.skipped_engines[i]);
    json_array_append_new(
        json_object_get(config, GNX_F_SKIPPED_ENGINES),
        json_pack("{s:s, s:s}", GNX_F_ENGINE, e->name, GNX_F_REASON, e->unavailable));
    if (!cli.quiet) {
      fprintf(stderr, "gnxbench: note: engine %s is skipped: %s\n", e->name, e->unavailable);
    }
  }
  for (size_t i = 0; i < cli.n_workloads; i++) {
    json_array_append_new(json_object_get(config, GNX_F_WORKLOADS),
                          json_string(cli.workloads[i]->name));
  }
  for (size_t i = 0; i < cli.n_sizes; i++) {
    json_array_append_new(json_object_get(config, GNX_F_SIZES),
                          json_integer((json_int_t)cli.sizes[i]));
  }
  json_t *results = json_object_get(report, GNX_F_RESULTS);

  gnx__install_signals();
  int exit_code = 0, wrote = 0;
  size_t n_groups = cli.n_workloads * cli.n_sizes, gi = 0;
  for (size_t w = 0; w < cli.n_workloads && !gnx_stop && exit_code != 2; w++) {
    for (size_t s = 0; s < cli.n_sizes && !gnx_stop && exit_code != 2; s++, gi++) {
      struct gnx_group g;
      memset(&g, 0, sizeof g);
      g.cli = &cli;
      g.ctrs = &ctrs;
      g.plan = &plan;
      g.wl = cli.workloads[w];
      g.size = cli.sizes[s];
      for (; g.n_names < g.wl->n_stages && g.n_names < 63; g.n_names++) {
        g.names[g.n_names] = g.wl->stages[g.n_names].name;
      }
      g.names[g.n_names++] = g.wl->sink_name;
      int brc = gnx_params_build(g.wl->options, g.size, cli.kv, cli.n_kv, &g.wparams);
      for (size_t e = 0; e < cli.n_engines && brc == 0; e++) {
        brc = gnx_params_build(cli.engines[e]->options, g.size, cli.kv, cli.n_kv, &g.eparams[e]);
      }
      g.reps = calloc(cli.n_engines * cli.reps, sizeof *g.reps);
      g.traces = calloc(cli.n_engines * cli.reps, sizeof *g.traces);
      if (brc < 0 || !g.reps || !g.traces) {
        fprintf(stderr, "gnxbench: out of memory\n");
        exit_code = 1;
        gnx__group_free(&g);
        break;
      }
      gnx__progress(&cli, "[%zu/%zu] %s n=%llu: setting up", gi + 1, n_groups, g.wl->name,
                    (unsigned long long)g.size);
      char swhy[GNX_WHY_MAX] = "";
      int src = g.wl->setup(&g.wparams, &g.shared, &g.info, swhy);
      if (src < 0) {
        g.shared = NULL;
        fprintf(stderr, "%sgnxbench: %s: %s\n", isatty(2) && !cli.quiet ? "\r\033[K" : "",
                g.wl->name, swhy[0] ? swhy : gnx_strerror(src));
        exit_code = src == -ENOMEM ? 1 : 2;
        gnx__group_free(&g);
        break;
      }
      /* warm-up, then measured repetitions, engines interleaved */
      for (size_t r = 0; r < cli.warmup + cli.reps && !gnx_stop; r++) {
        int keep = r >= cli.warmup;
        for (size_t e = 0; e < cli.n_engines && !gnx_stop; e++) {
          if (g.failed[e]) {
            continue;
          }
          gnx__progress(&cli, "[%zu/%zu] %s n=%llu: %-8s %s %zu/%llu", gi + 1, n_groups,
                        g.wl->name, (unsigned long long)g.size, cli.engines[e]->name,
                        keep ? "rep" : "warm-up", keep ? r - cli.warmup + 1 : r + 1,
                        (unsigned long long)(keep ? cli.reps : cli.warmup));
          int erc = gnx__run_one(&g, e, keep ? r - cli.warmup : 0, keep);
          if (erc == GNX_EUSAGE) { /* an engine option the engine rejected */
            fprintf(stderr, "%sgnxbench: %s\n", isatty(2) && !cli.quiet ? "\r\033[K" : "",
                    g.failmsg[e]);
            exit_code = 2;
            break;
          }
        }
        if (exit_code == 2) {
          break;
        }
      }
      gnx__progress(&cli, "%s", "");
      if (exit_code == 2) {
        gnx__group_free(&g);
        break;
      }
      if (!gnx__group_cells(&g, results, out)) {
        exit_code = exit_code ? exit_code : 1;
      }
      gnx__group_free(&g);
      json_object_set_new(report, GNX_F_STATUS, json_string("running"));
      if (gnx_report_write(report, report_path, why, sizeof why) < 0) {
        fprintf(stderr, "gnxbench: %s\n", why);
        exit_code = 1;
      } else {
        wrote = 1;
      }
      if (!cli.quiet) {
        gnx_table_print(stdout, report, g.wl->name, g.size);
        fflush(stdout);
      }
    }
  }

  const char *status = gnx_stop ? "incomplete" : exit_code == 2 ? "incomplete" : "complete";
  json_object_set_new(report, GNX_F_STATUS, json_string(status));
  json_object_set_new(report, GNX_F_INTERRUPTED, json_boolean(gnx_stop != 0));
  if (exit_code == 2 && !wrote) {
    /* a usage error before anything was measured: leave nothing behind */
    if (created) {
      (void)rmdir(out);
    }
  } else if (gnx_report_write(report, report_path, why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: %s\n", why);
    exit_code = exit_code ? exit_code : 1;
  } else {
    if (!cli.out) {
      gnx__point_latest(run_id);
    }
    if (!cli.quiet) {
      printf("\nreport: %s/report.json%s\n", out, gnx_stop ? " (incomplete: interrupted)" : "");
    }
    /* every derived output, by the code `gnxbench report DIR` runs */
    gnx_cmd_render(report, out, cli.quiet, &exit_code);
  }
  json_decref(report);
  if (gnx_stop) {
    fprintf(stderr, "gnxbench: interrupted by %s; the report holds what was measured\n",
            gnx_stop == SIGTERM ? "SIGTERM" : "SIGINT");
    return 130;
  }
  if (exit_code == 1 && !cli.quiet) {
    fprintf(stderr, "gnxbench: some runs failed or did not verify (see the tables above)\n");
  }
  return exit_code;
}
