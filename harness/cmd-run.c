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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bufcache.h"
#include "core/counters.h"
#include "core/pin.h"
#include "core/stats.h"
#include "gnx/dir.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "harness/plan.h"
#include "harness/registry.h"
#include "harness/runner.h"
#include "harness/schedule.h"
#include "reports/profile.h"
#include "reports/report.h"
#include "reports/schema.h"

static volatile sig_atomic_t gnx_stop;

static double gnx__now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SIGINT/SIGTERM: ask everything to stop and write what was measured,
 * marked incomplete. Later ones change nothing: timeout(1) sends its signal
 * twice (to the run, then to its process group), and dying on the second
 * left a report marked "running", or none, behind an exit of 143. Stopping
 * takes at most one item per worker; SIGKILL remains for a run that hangs. */
static void gnx__on_signal(int sig) {
  if (!gnx_stop) {
    gnx_stop = sig;
  }
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
int gnx_config_check(const struct gnx_run_config *cfg, char *why, size_t len) {
  for (size_t k = 0; k < cfg->n_kv; k++) {
    int used = 0;
    for (size_t i = 0; i < cfg->n_engines; i++) {
      used |= gnx__declares(cfg->engines[i]->options, cfg->kv[k].name);
    }
    for (size_t i = 0; i < cfg->n_workloads; i++) {
      used |= gnx__declares(cfg->workloads[i]->options, cfg->kv[k].name);
    }
    if (!used) {
      char owners[256] = "";
      for (size_t i = 0; i < gnx_n_engines; i++) {
        if (gnx__declares(gnx_engines[i]->options, cfg->kv[k].name)) {
          size_t l = strlen(owners);
          snprintf(owners + l, sizeof owners - l, "%s%s", l ? ", " : "", gnx_engines[i]->name);
        }
      }
      for (size_t i = 0; i < gnx_n_workloads; i++) {
        if (gnx__declares(gnx_workloads[i]->options, cfg->kv[k].name)) {
          size_t l = strlen(owners);
          snprintf(owners + l, sizeof owners - l, "%s%s", l ? ", " : "", gnx_workloads[i]->name);
        }
      }
      snprintf(why, len, "--%s applies only to %s, which is not selected", cfg->kv[k].name, owners);
      return GNX_EUSAGE;
    }
  }
  for (size_t i = 0; i < cfg->n_engines; i++) {
    const struct gnx_engine *e = cfg->engines[i];
    struct gnx_params p;
    char ewhy[GNX_WHY_MAX] = "";
    if (e->check && gnx_params_build(e->options, 0, cfg->kv, cfg->n_kv, &p) == 0) {
      int rc = e->check(&p, ewhy);
      gnx_params_free(&p);
      if (rc < 0) {
        snprintf(why, len, "%s", ewhy);
        return GNX_EUSAGE;
      }
    }
  }
  return 0; /* --fault's engines: gnx_config_finish */
}

/* What a repetition keeps for the Chrome trace of the cell's median one. */
struct gnx_kept_trace {
  struct gnx_trace trace;
  uint64_t t_start_ns;
};

struct gnx_group {
  const struct gnx_run_config *cfg;
  const struct gnx_counters *ctrs;
  const struct gnx_pin_plan *plan;
  const struct gnx_workload *wl;
  uint64_t size;
  const char *names[64]; /* the stages' names, then the sink's */
  unsigned n_names;
  struct gnx_params wparams;
  struct gnx_params eparams[GNX_CLI_MAX];          /* as the user gave them */
  const struct gnx_params *run_params[GNX_CLI_MAX]; /* auto tuned: what runs */
  struct gnx_plan model;                            /* profile, tuning, predictions */
  int tuned;                                        /* serial's first run tuned the rest */
  void *shared;
  struct gnx_workload_info info;
  struct gnx_rep_outcome *reps;  /* [engine][rep], cap per engine */
  struct gnx_kept_trace *traces; /* [engine][rep], until the cells are made */
  size_t cap;                    /* repetitions per engine at most */
  size_t n[GNX_CLI_MAX];         /* repetitions kept per engine */
  double run_s[GNX_CLI_MAX];     /* the last run of each engine, harness included */
  size_t calibration;            /* adaptive: the calibration's rounds; 0: fixed */
  double level;                  /* the intervals' coverage */
  double deadline_s;             /* when the run's time budget ends (monotonic) */
  uint64_t later_sizes;          /* the sizes of the groups after this one, summed */
  size_t index, n_groups;        /* this group's place in the run (progress) */
  struct gnx_order order;
  int failed[GNX_CLI_MAX];
  char failmsg[GNX_CLI_MAX][320];
  size_t *faults_fired; /* the run's count of runs where --fault fired */
  /* the cell as words a fresh process re-creates it from (gnx_run.cell_argv) */
  const char *cell_argv[2 * GNX_CLI_KV_MAX + 12];
  char cell_size[24], cell_fault[96], cell_pool[4096];
};

static void gnx__progress(const struct gnx_run_config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void gnx__progress(const struct gnx_run_config *cfg, const char *fmt, ...) {
  if (cfg->quiet || !isatty(STDERR_FILENO)) {
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
             errmsg[0] ? errmsg : g->cfg->engines[e]->name, errmsg[0] ? "" : ": ",
             errmsg[0] ? "" : gnx_strerror(rc));
  } else {
    snprintf(g->failmsg[e], sizeof g->failmsg[e], "%s%s%.256s", gnx_strerror(rc),
             errmsg[0] ? ": " : "", errmsg);
  }
  g->failed[e] = rc;
}

/* Serial ran: fold its trace into the profile; after its first run, tune
 * every other engine's auto options before it runs at all. */
static void gnx__plan_serial(struct gnx_group *g, const struct gnx_run_result *res) {
  if (gnx_plan_add_serial(&g->model, &res->trace, res->sink_bytes) < 0 || g->tuned) {
    return;
  }
  g->tuned = 1;
  for (size_t e = 1; e < g->cfg->n_engines; e++) {
    gnx_plan_tune(&g->model, e, g->cfg->engines[e], &g->eparams[e], &g->run_params[e]);
  }
}

/* Run engine e once; on keep, store it as repetition r. Returns the rc.
 * The one place that runs an engine and reads what the runner measured. */
static int gnx__run_one(struct gnx_group *g, size_t e, size_t r, int keep) {
  const struct gnx_run_config *cfg = g->cfg;
  struct gnx_run_result res;
  fflush(NULL); /* forked workers must not inherit unflushed output */
  const struct gnx_params *params = g->run_params[e] ? g->run_params[e] : &g->eparams[e];
  gnx_runner_set_cell(g->cell_argv);
  if (cfg->hooks && cfg->hooks->before) {
    cfg->hooks->before(cfg->hooks->arg, cfg->engines[e]);
  }
  double t0 = gnx__now_s();
  int rc = gnx_runner_exec(cfg->engines[e], params, g->wl, g->shared, &g->info, &cfg->fault,
                           &gnx_stop, gnx_cpus_allowed(), &res);
  g->run_s[e] = gnx__now_s() - t0;
  *g->faults_fired += res.fault_fired;
  if (e == 0 && rc == 0) {
    gnx__plan_serial(g, &res);
  }
  if (rc < 0 && !g->failed[e]) {
    gnx__fail(g, e, rc, res.errmsg);
  }
  if (keep && cfg->hooks && cfg->hooks->after) {
    cfg->hooks->after(cfg->hooks->arg, cfg->engines[e], r, &res);
  }
  if (keep) {
    struct gnx_rep_facts f = {
        .ok = res.rc == 0, .wall_s = res.wall_ns / 1e9, .startup_s = res.startup_ns / 1e9,
        .user_s = res.user_s, .sys_s = res.sys_s, .maxrss_kb = res.maxrss_kb,
        .maxrss_source = res.maxrss_source, .nvcsw = res.nvcsw, .nivcsw = res.nivcsw,
        .minflt = res.minflt, .majflt = res.majflt, .counters_on = res.counters_on,
        .sw = res.sw, .sw_src = res.sw_src, .trace = &res.trace, .names = g->names,
        .n_names = g->n_names, .counters = g->ctrs, .pin = g->plan};
    g->reps[e * g->cap + r] = (struct gnx_rep_outcome){
        rc, res.wall_ns / 1e9, res.summary ? json_incref(res.summary) : NULL,
        gnx_report_rep_new(&f)};
    /* the trace is moved: its mapping outlives the result */
    g->traces[e * g->cap + r] = (struct gnx_kept_trace){res.trace, res.t_start_ns};
    g->n[e] = r + 1;
    memset(&res.trace, 0, sizeof res.trace);
  }
  gnx_run_result_free(&res);
  return rc;
}

/* Write the Chrome trace of the median repetition of engine e into
 * out/file. Returns the repetition, or -1 (none good, or not written). */
static int gnx__write_trace(struct gnx_group *g, size_t e, const char *out, char *file,
                            size_t len) {
  size_t R = g->cap;
  int r = gnx_report_median_rep(&g->reps[e * R], g->n[e]);
  if (r < 0) {
    return -1;
  }
  const struct gnx_kept_trace *kt = &g->traces[e * R + (size_t)r];
  char path[PATH_MAX + 300], title[256], why[512];
  snprintf(file, len, "trace-%s-%llu-%s.json", g->wl->name, (unsigned long long)g->size,
           g->cfg->engines[e]->name);
  snprintf(path, sizeof path, "%s/%s", out, file);
  snprintf(title, sizeof title, "%s n=%llu %s, repetition %d (median wall %.3f ms)", g->wl->name,
           (unsigned long long)g->size, g->cfg->engines[e]->name, r + 1,
           g->reps[e * R + (size_t)r].wall_s * 1e3);
  if (gnx_chrome_write(path, &kt->trace, g->names, g->n_names, kt->t_start_ns, title, why,
                       sizeof why) < 0) {
    fprintf(stderr, "gnxbench: warning: %s\n", why);
    return -1;
  }
  return r;
}

/* The model's part of a cell: the profile (serial's), the tuning and the
 * prediction beside the measured median. */
static void gnx__cell_model(struct gnx_group *g, size_t e, json_t *cell) {
  const json_t *median = json_object_get(json_object_get(json_object_get(cell, "stats"),
                                                         "wall_s"), "median");
  if (e == 0) {
    json_t *prof = gnx_plan_profile_json(&g->model);
    if (prof) {
      json_object_set_new(cell, "profile", prof);
    }
  }
  const struct gnx_params *params = g->run_params[e] ? g->run_params[e] : &g->eparams[e];
  g->model.engines[e] = g->cfg->engines[e];
  json_t *m = gnx_plan_cell_json(&g->model, e, &g->eparams[e], params,
                                 json_is_number(median) ? json_number_value(median) : NAN);
  if (m) {
    json_object_update(cell, m);
    json_decref(m);
  }
}

/* Build the report cells of one group and append them to results. Returns
 * 1 when every cell ran and verified. */
static int gnx__group_cells(struct gnx_group *g, json_t *results, const char *out) {
  const struct gnx_run_config *cfg = g->cfg;
  size_t R = g->cap;
  /* serial is engines[0]; its first good summary is the reference. */
  const json_t *ref = NULL;
  for (size_t r = 0; r < g->n[0] && !ref; r++) {
    ref = g->reps[r].rc == 0 ? g->reps[r].summary : NULL;
  }
  json_t *detail = NULL;
  int checked = ref && g->wl->check;
  int crc = checked ? g->wl->check(g->shared, ref, &detail) : 0;
  int all_ok = 1;
  for (size_t e = 0; e < cfg->n_engines; e++) {
    char file[256];
    int tr = gnx__write_trace(g, e, out, file, sizeof file);
    struct gnx_cell_facts f = {.workload = g->wl->name,
                               .engine = cfg->engines[e]->name,
                               .size = g->size,
                               .items = g->info.items,
                               .params = {&g->wparams, &g->eparams[e]},
                               .failed = g->failed[e],
                               .failmsg = g->failmsg[e],
                               .n_reps = g->n[e],
                               .reps = &g->reps[e * R],
                               .serial = g->reps,
                               .reference = ref,
                               .checked = checked,
                               .check_rc = crc,
                               .check_detail = detail,
                               .trace_file = tr < 0 ? NULL : file,
                               .trace_rep = tr < 0 ? 0 : (size_t)tr,
                               .calibration_reps = g->calibration,
                               .level = g->level};
    json_t *cell = gnx_report_cell_new(&f);
    gnx__cell_model(g, e, cell);
    all_ok &= gnx_jbool(cell, GNX_F_VERIFIED, 0);
    json_array_append_new(results, cell);
  }
  json_decref(detail);
  return all_ok;
}

static void gnx__group_free(struct gnx_group *g) {
  gnx_plan_free(&g->model);
  for (size_t i = 0; g->reps && i < g->cfg->n_engines * g->cap; i++) {
    json_decref(g->reps[i].summary);
    json_decref(g->reps[i].json);
  }
  for (size_t i = 0; g->traces && i < g->cfg->n_engines * g->cap; i++) {
    gnx_trace_free(&g->traces[i].trace);
  }
  free(g->reps);
  free(g->traces);
  if (g->shared) {
    g->wl->teardown(g->shared);
  }
  gnx_buf_cache_drop(); /* the next group's items have other sizes */
  gnx_params_free(&g->wparams);
  for (size_t e = 0; e < g->cfg->n_engines; e++) {
    gnx_params_free(&g->eparams[e]);
  }
}

/* Files an earlier run wrote into its directory: what --replace removes
 * (nothing else, so a directory shared with other files keeps them). */
static int gnx__is_run_output(const char *name) {
  static const char *const exact[] = {"report.json", "summary.md", "speedup.csv", "predict.json"};
  static const char *const prefix[] = {"gantt-",       "trace-",      "scaling-",
                                       ".report.json.", ".speedup.csv.", ".summary.md."};
  for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
    if (strcmp(name, exact[i]) == 0) {
      return 1;
    }
  }
  for (size_t i = 0; i < sizeof prefix / sizeof prefix[0]; i++) {
    if (strncmp(name, prefix[i], strlen(prefix[i])) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Remove an earlier run's outputs from dir. Returns 0 or -errno. */
static int gnx__clear_run(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    return -errno;
  }
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (gnx__is_run_output(e->d_name) && unlinkat(dirfd(d), e->d_name, 0) < 0 && rc == 0) {
      rc = -errno;
    }
  }
  closedir(d);
  return rc;
}

/* Make the output directory and prove it writable (by writing a file in
 * it) before any run; a directory holding another run is refused unless
 * --replace. *created says whether we made it (so a usage error can
 * remove it). */
static int gnx__prepare_out(const char *dir, int replace, int *created, char *why, size_t len) {
  char report[PATH_MAX + 16];
  snprintf(report, sizeof report, "%s/report.json", dir);
  int rc = gnx_dir_writable(dir, 1, created);
  if (rc < 0) {
    snprintf(why, len, "--out %s: cannot create or write the directory (%s); choose a writable one",
             dir, gnx_strerror(rc));
    return rc;
  }
  if (access(report, F_OK) == 0 && !replace) {
    snprintf(why, len, "--out %s holds an earlier run (report.json); choose another directory, "
                       "or add --replace to remove that run's outputs first",
             dir);
    return GNX_EUSAGE;
  }
  rc = replace ? gnx__clear_run(dir) : 0;
  if (rc < 0) {
    snprintf(why, len, "--out %s: cannot remove the earlier run's outputs (%s)", dir,
             gnx_strerror(rc));
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

/* Decided once per process: what can be counted, and where workers go.
 * Returns 0, or a usage error with why. */
static int gnx__probe(const struct gnx_run_config *cfg, struct gnx_counters *ctrs,
                      struct gnx_pin_plan *plan, char *why, size_t len) {
  int rc = gnx_config_check(cfg, why, len);
  if (rc == 0) {
    rc = gnx_counters_init(ctrs, cfg->counters_mode, cfg->events, why, len);
  }
  if (rc == 0) {
    rc = gnx_pin_plan_host(cfg->pin_policy, cfg->pin_list, cfg->n_pin, plan, why, len);
    if (rc < 0 && rc != GNX_EUSAGE && rc != GNX_EUNAVAIL) {
      snprintf(why, len, "--pin: cannot load the topology: %s", gnx_strerror(rc));
    }
  }
  if (rc < 0) {
    return rc;
  }
  gnx_runner_set_probe(ctrs, plan);
  gnx_runner_set_trace(cfg->trace_off);
  /* events the user named and will not get: say so now, once, not only in
   * the report (the defaults' absence on a machine without a PMU is normal
   * and is said in the report and summary) */
  for (int i = 0; cfg->events && i < ctrs->n_events; i++) {
    if (!ctrs->ev_ok[i]) {
      fprintf(stderr,
              "gnxbench: warning: --events %s will not be counted: %s (papi_avail and "
              "papi_native_avail, from Debian's papi-tools, list what this machine "
              "has)\n",
              ctrs->events[i], ctrs->ev_reason[i]);
    }
  }
  return 0;
}

/* A run in progress: where it writes, and how it is going. */
struct gnx_run_state {
  const struct gnx_run_config *cfg;
  const struct gnx_counters *ctrs;
  const struct gnx_pin_plan *plan;
  const struct gnx_machine *machine; /* the constants the models use */
  char run_id[64], out[PATH_MAX], report_path[PATH_MAX + 16];
  int created; /* directories of out this run made (gnx_dir_writable) */
  json_t *report;
  int exit_code, wrote;
  int write_failed; /* the report could not be written (said once) */
  int stopped;      /* the signal the final report records (0: none) */
  size_t faults_fired; /* runs in which --fault fired */
  int fault_unfired;   /* ...in none: said, and the exit code's reason */
  double t0;        /* when measuring began (monotonic) */
  char error[GNX_WHY_MAX + 64]; /* the first error that stopped a group */
  /* the groups, in order: workload index and size (one size for a
   * workload whose option sets it, GNX_OPT_F_SIZE) */
  struct {
    size_t w;
    uint64_t size;
  } groups[GNX_CLI_MAX * GNX_CLI_MAX];
  size_t n_groups;
  /* each workload's first group, set up before anything is measured, so a
   * bad input file is a usage error before any run */
  struct gnx_prepared {
    int ready;
    void *shared;
    struct gnx_workload_info info;
    struct gnx_params wparams;
  } prep[GNX_CLI_MAX];
};

/* Whether an option of workload wl that sets the size was given. */
static int gnx__size_given(const struct gnx_run_config *cfg, const struct gnx_workload *wl) {
  for (const struct gnx_option *o = wl->options; o && o->name; o++) {
    if ((o->flags & GNX_OPT_F_SIZE) && gnx_config_given(cfg, o->name)) {
      return 1;
    }
  }
  return 0;
}

static void gnx__plan_groups(struct gnx_run_state *run) {
  const struct gnx_run_config *cfg = run->cfg;
  for (size_t w = 0; w < cfg->n_workloads; w++) {
    size_t n = gnx__size_given(cfg, cfg->workloads[w]) ? 1 : cfg->n_sizes;
    for (size_t s = 0; s < n; s++) {
      run->groups[run->n_groups].w = w;
      run->groups[run->n_groups++].size = cfg->sizes[s];
    }
  }
}

/* A group could not run: say it (one line) and keep the first for the
 * report. exit: the run's exit status for it (2 a usage error, 1 else). */
static void gnx__run_error(struct gnx_run_state *run, int exit, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void gnx__run_error(struct gnx_run_state *run, int exit, const char *fmt, ...) {
  char line[sizeof run->error];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%sgnxbench: %s\n", isatty(2) && !run->cfg->quiet ? "\r\033[K" : "", line);
  if (!run->error[0]) {
    snprintf(run->error, sizeof run->error, "%s", line);
  }
  run->exit_code = run->exit_code == 2 ? 2 : exit;
}

/* Write the report (a checkpoint, or the final one); a failure is said
 * once, however often it recurs. Returns 0 or -errno. */
static int gnx__report_save(struct gnx_run_state *run) {
  char why[PATH_MAX + 300];
  int rc = gnx_report_write(run->report, run->report_path, why, sizeof why);
  if (rc < 0) {
    if (!run->write_failed++) {
      fprintf(stderr, "gnxbench: %s\n", why);
    }
    run->exit_code = run->exit_code ? run->exit_code : 1;
    return rc;
  }
  run->wrote = 1;
  return 0;
}

/* The output directory (results/<run-id> unless --out), made and proven
 * writable before anything runs. Returns 0, or a usage error with why. */
static int gnx__out_dir(struct gnx_run_state *run, char *why, size_t len) {
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(run->run_id, sizeof run->run_id, "%Y%m%d-%H%M%S", &tm);
  size_t l = strlen(run->run_id);
  snprintf(run->run_id + l, sizeof run->run_id - l, "-%d", (int)getpid());
  if (run->cfg->out) {
    snprintf(run->out, sizeof run->out, "%s", run->cfg->out);
  } else {
    snprintf(run->out, sizeof run->out, "results/%s", run->run_id);
  }
  snprintf(run->report_path, sizeof run->report_path, "%s/report.json", run->out);
  return gnx__prepare_out(run->out, run->cfg->replace, &run->created, why, len);
}

/* What `all` left out and why: said once the inputs are known good, so
 * that a usage error stays one line. */
static void gnx__say_skipped(const struct gnx_run_config *cfg) {
  for (size_t i = 0; !cfg->quiet && i < cfg->n_skipped; i++) {
    const struct gnx_engine *e = gnx_engine_find(cfg->skipped_engines[i]);
    fprintf(stderr, "gnxbench: note: engine %s is skipped: %s\n", e->name, e->unavailable);
  }
  for (size_t i = 0; !cfg->quiet && i < cfg->n_skipped_workloads; i++) {
    const struct gnx_workload *w = gnx_workload_find(cfg->skipped_workloads[i]);
    fprintf(stderr, "gnxbench: note: workload %s is skipped: %s\n", w->name, w->unavailable);
  }
}

/* The report before anything is measured: what was asked, on what. */
static json_t *gnx__report_new(const struct gnx_run_state *run, json_t *command_line) {
  const struct gnx_run_config *cfg = run->cfg;
  json_t *engines = json_array(), *workloads = json_array(), *sizes = json_array();
  json_t *skipped = json_array();
  for (size_t i = 0; i < cfg->n_engines; i++) {
    json_array_append_new(engines, json_string(cfg->engines[i]->name));
  }
  for (size_t i = 0; i < cfg->n_skipped; i++) {
    const struct gnx_engine *e = gnx_engine_find(cfg->skipped_engines[i]);
    json_array_append_new(
        skipped, json_pack("{s:s, s:s}", GNX_F_ENGINE, e->name, GNX_F_REASON, e->unavailable));
  }
  json_t *skipped_wl = json_array();
  for (size_t i = 0; i < cfg->n_skipped_workloads; i++) {
    const struct gnx_workload *w = gnx_workload_find(cfg->skipped_workloads[i]);
    json_array_append_new(skipped_wl, json_pack("{s:s, s:s}", "workload", w->name, GNX_F_REASON,
                                                w->unavailable));
  }
  for (size_t i = 0; i < cfg->n_workloads; i++) {
    json_array_append_new(workloads, json_string(cfg->workloads[i]->name));
  }
  for (size_t i = 0; i < cfg->n_sizes; i++) {
    json_array_append_new(sizes, json_integer((json_int_t)cfg->sizes[i]));
  }
  json_t *report = json_pack(
      "{s:i, s:{s:s, s:s}, s:o, s:{s:o, s:o, s:o, s:I, s:I, s:o, s:b}, s:s, s:o}",
      GNX_F_SCHEMA_VERSION, GNX_REPORT_SCHEMA_VERSION, "tool", "name", "gnxbench", "version",
      GNX_VERSION, GNX_F_CONTEXT, gnx_context_new(command_line), GNX_F_CONFIG, GNX_F_ENGINES,
      engines, GNX_F_WORKLOADS, workloads, GNX_F_SIZES, sizes, GNX_F_REPS, (json_int_t)cfg->reps,
      GNX_F_WARMUP, (json_int_t)cfg->warmup, GNX_F_SKIPPED_ENGINES, skipped, "serial_added",
      cfg->serial_added, GNX_F_STATUS, "running", GNX_F_RESULTS, json_array());
  json_object_set_new(json_object_get(report, GNX_F_CONFIG), "skipped_workloads", skipped_wl);
  json_t *config = json_object_get(report, GNX_F_CONFIG);
  json_object_set_new(config, "trace", json_string(cfg->trace_off ? "off" : "on"));
  json_object_set_new(config, GNX_F_TIME_BUDGET_S, json_real(cfg->time_budget_s));
  char order[48] = "fixed";
  if (cfg->order_random) {
    snprintf(order, sizeof order, "random:%llu", (unsigned long long)cfg->order_seed);
  }
  json_object_set_new(config, GNX_F_ORDER, json_string(order));
  if (cfg->fault.enabled) {
    json_object_set_new(config, "fault",
                        json_pack("{s:i, s:I, s:s, s:i}", "worker", cfg->fault.worker, "item",
                                  (json_int_t)cfg->fault.item, "mode",
                                  cfg->fault.sig == SIGKILL ? "kill" : "abort", "fired_runs", 0));
  }
  if (cfg->gil) {
    json_object_set_new(config, "gil", json_string(cfg->gil));
  }
  if (cfg->consumer_us || cfg->consumer_sleep_us) {
    json_object_set_new(config, "consumer_us", json_integer((json_int_t)cfg->consumer_us));
    json_object_set_new(config, "consumer_sleep_us",
                        json_integer((json_int_t)cfg->consumer_sleep_us));
  }
  json_object_set_new(json_object_get(report, GNX_F_CONTEXT), "machine",
                      gnx_machine_json(run->machine));
  json_object_set_new(report, GNX_F_COUNTERS, gnx_report_counters_new(run->ctrs));
  json_object_set_new(report, GNX_F_PINNING, gnx_report_pinning_new(run->plan));
  return report;
}

/* "\r\033[K" when a progress line may be on the terminal, to clear it. */
static const char *gnx__clear(const struct gnx_run_config *cfg) {
  return isatty(2) && !cfg->quiet ? "\r\033[K" : "";
}

/* Workload wl's options for size n and its shared data (not timed).
 * Returns 0, or -1 with the reason said and recorded (gnx__run_error). */
static int gnx__workload_setup(struct gnx_run_state *run, const struct gnx_workload *wl,
                               uint64_t n, struct gnx_prepared *p) {
  const struct gnx_run_config *cfg = run->cfg;
  memset(p, 0, sizeof *p);
  if (gnx_params_build(wl->options, n, cfg->kv, cfg->n_kv, &p->wparams) < 0) {
    gnx__run_error(run, 1, "out of memory");
    return -1;
  }
  char swhy[GNX_WHY_MAX] = "";
  int src = wl->setup(&p->wparams, &p->shared, &p->info, swhy);
  if (src < 0) {
    p->shared = NULL;
    gnx_params_free(&p->wparams);
    /* out of memory for generated data is the machine's limit: a failed
     * run; anything else setup refuses is the input's fault */
    gnx__run_error(run, src == -ENOMEM ? 1 : 2, "%s: %s", wl->name,
                   swhy[0] ? swhy : gnx_strerror(src));
    return -1;
  }
  p->ready = 1;
  return 0;
}

/* Every workload's first group set up before anything runs. Returns 0 or
 * -1 (said and recorded). */
static int gnx__presetup(struct gnx_run_state *run) {
  for (size_t i = 0; i < run->n_groups && !gnx_stop; i++) {
    size_t w = run->groups[i].w;
    if (!run->prep[w].ready && !run->prep[w].shared &&
        gnx__workload_setup(run, run->cfg->workloads[w], run->groups[i].size, &run->prep[w]) < 0) {
      return -1;
    }
  }
  return 0;
}

/* What the pre-setup prepared and no group took (the run stopped first). */
static void gnx__prep_free(struct gnx_run_state *run) {
  for (size_t w = 0; w < run->cfg->n_workloads; w++) {
    if (run->prep[w].ready) {
      run->cfg->workloads[w]->teardown(run->prep[w].shared);
      gnx_params_free(&run->prep[w].wparams);
      run->prep[w].ready = 0;
    }
  }
}

/* The words `gnxbench rank` re-creates this group's cell from: the
 * workload, the size, the fault, the PAPI events (a rank counts them in
 * its own worker, as a forked one does), and the workload options typed (the
 * defaults are the same binary's). */
static void gnx__cell_words(struct gnx_group *g, const struct gnx_run_config *cfg) {
  const struct gnx_fault *f = &cfg->fault;
  size_t n = 0;
  snprintf(g->cell_size, sizeof g->cell_size, "%llu", (unsigned long long)g->size);
  g->cell_argv[n++] = "--workload";
  g->cell_argv[n++] = g->wl->name;
  g->cell_argv[n++] = "--size";
  g->cell_argv[n++] = g->cell_size;
  if (f->enabled) {
    snprintf(g->cell_fault, sizeof g->cell_fault, "worker=%d,item=%llu,mode=%s", f->worker,
             (unsigned long long)f->item, f->sig == SIGKILL ? "kill" : "abort");
    g->cell_argv[n++] = "--fault";
    g->cell_argv[n++] = g->cell_fault;
  }
  if (g->ctrs && g->ctrs->papi_ok) { /* else a rank's getrusage is all it needs, and
                                     * PAPI's start-up would lengthen every rank's */
    g->cell_argv[n++] = "--counters";
    g->cell_argv[n++] = gnx_counters_mode_name(cfg->counters_mode);
    if (cfg->events) {
      g->cell_argv[n++] = "--events";
      g->cell_argv[n++] = cfg->events;
    }
  }
  size_t used = 0, max = sizeof g->cell_argv / sizeof g->cell_argv[0] - 1;
  for (size_t i = 0; i < g->wparams.count && n < max; i++) {
    const struct gnx_param *p = &g->wparams.v[i];
    size_t room = sizeof g->cell_pool - used;
    int len = p->given ? snprintf(g->cell_pool + used, room, "--%s=%s", p->opt->name, p->value) : -1;
    if (len >= 0 && (size_t)len < room) {
      g->cell_argv[n++] = g->cell_pool + used;
      used += (size_t)len + 1;
    }
  }
  g->cell_argv[n] = NULL;
}

/* Build a group's options and take its workload's shared data: the
 * pre-setup's for the workload's first group, else made now (not timed).
 * Returns 0, or -1 with run->exit_code set and the reason said. */
static int gnx__group_setup(struct gnx_run_state *run, struct gnx_group *g, size_t w) {
  const struct gnx_run_config *cfg = run->cfg;
  for (; g->n_names < g->wl->n_stages && g->n_names < 63; g->n_names++) {
    g->names[g->n_names] = g->wl->stages[g->n_names].name;
  }
  g->names[g->n_names++] = g->wl->sink_name;
  int rc = 0;
  for (size_t e = 0; e < cfg->n_engines && rc == 0; e++) {
    rc = gnx_params_build(cfg->engines[e]->options, g->size, cfg->kv, cfg->n_kv, &g->eparams[e]);
  }
  /* adaptive: up to 4x the calibration, and at least what reaching the
   * two looks' level takes with a few rounds to spare */
  g->cap = cfg->time_budget_s > 0 ? 4 * cfg->reps : cfg->reps;
  g->cap = cfg->time_budget_s > 0 && g->cap < 12 ? 12 : g->cap;
  g->cap = g->cap > 1000 ? 1000 : g->cap;
  g->reps = calloc(cfg->n_engines * g->cap, sizeof *g->reps);
  g->traces = calloc(cfg->n_engines * g->cap, sizeof *g->traces);
  if (rc < 0 || !g->reps || !g->traces) {
    gnx__run_error(run, 1, "out of memory");
    return -1;
  }
  gnx__progress(cfg, "[%zu/%zu] %s n=%llu: setting up", g->index + 1, run->n_groups,
                g->wl->name, (unsigned long long)g->size);
  struct gnx_prepared p = run->prep[w];
  if (p.ready) {
    run->prep[w].ready = 0; /* the group owns it now */
  } else if (gnx__workload_setup(run, g->wl, g->size, &p) < 0) {
    return -1;
  }
  g->shared = p.shared;
  g->info = p.info;
  g->wparams = p.wparams;
  g->size = p.info.size ? p.info.size : g->size; /* e.g. the graph's node count */
  gnx__cell_words(g, cfg);
  /* the consumer's time off CPU is waited before each sink write, as a
   * modelled remote store is (the async engine with a timer) */
  g->info.sink_wait_ns += cfg->consumer_sleep_us * 1000;
  uint64_t gil = 0;
  char gwhy[256];
  (void)gnx_gil_parse(g->wl, cfg->gil, &gil, gwhy, sizeof gwhy); /* checked when parsed */
  gnx_runner_set_load(gil, cfg->consumer_us * 1000);
  gnx_plan_init(&g->model, g->wl, g->info.items, (double)g->info.sink_wait_ns / 1e9,
                run->machine, gnx_cpus_allowed());
  return 0;
}

/* One round: every engine in in[] (NULL: all) once, in the round's order;
 * kept as repetition r, or a warm-up when r < 0. Returns GNX_EUSAGE
 * (printed) when an engine rejected its options. */
static int gnx__round(struct gnx_group *g, size_t round, long r, size_t of,
                      const int *in) {
  const struct gnx_run_config *cfg = g->cfg;
  size_t idx[GNX_CLI_MAX];
  gnx_order_round(&g->order, round, cfg->n_engines, idx);
  for (size_t k = 0; k < cfg->n_engines && !gnx_stop; k++) {
    size_t e = idx[k];
    if (g->failed[e] || (in && !in[e])) {
      continue;
    }
    gnx__progress(cfg, "[%zu/%zu] %s n=%llu: %-8s %s %ld/%zu", g->index + 1, g->n_groups,
                  g->wl->name, (unsigned long long)g->size,
                  cfg->engines[e]->name, r >= 0 ? "rep" : "warm-up",
                  r >= 0 ? r + 1 : (long)round + 1, of);
    if (gnx__run_one(g, e, r >= 0 ? (size_t)r : 0, r >= 0) == GNX_EUSAGE) {
      fprintf(stderr, "%sgnxbench: %s\n", gnx__clear(cfg), g->failmsg[e]);
      return GNX_EUSAGE;
    }
  }
  return 0;
}

/* This group's part of the time budget left (gnx_adapt_share). */
static double gnx__group_share(const struct gnx_group *g) {
  double round_s = 0;
  for (size_t e = 0; e < g->cfg->n_engines; e++) {
    round_s += g->run_s[e];
  }
  return gnx_adapt_share(g->deadline_s - gnx__now_s(), round_s, g->cfg->warmup + g->cfg->reps,
                         (double)g->size, (double)g->later_sizes);
}

/* Adaptive repetitions: after the calibration, the rule of
 * gnx_adapt_decide; the intervals then cover at the two looks' level. */
static int gnx__group_extend(struct gnx_group *g) {
  const struct gnx_run_config *cfg = g->cfg;
  static double totals[GNX_CLI_MAX][GNX_REPORT_MAX_REPS];
  struct gnx_adapt_in in = {.n_engines = cfg->n_engines, .calibration = cfg->reps,
                            .max_reps = g->cap, .share_s = gnx__group_share(g),
                            .level = GNX_STATS_LEVEL_TWO_LOOKS};
  for (size_t e = 0; e < cfg->n_engines; e++) {
    const struct gnx_rep_outcome *o = &g->reps[e * g->cap];
    for (size_t r = 0; r < g->n[e]; r++) { /* round by round: NaN marks a failed run */
      totals[e][r] = o[r].rc == 0 ? gnx_jnum(o[r].json, GNX_F_STARTUP_S, 0) + o[r].wall_s : NAN;
    }
    in.n[e] = g->n[e];
    in.totals[e] = totals[e];
    in.run_s[e] = g->run_s[e];
    in.failed[e] = g->failed[e] != 0;
  }
  struct gnx_adapt_plan plan;
  gnx_adapt_decide(&in, &plan);
  g->calibration = cfg->reps;
  g->level = plan.extra ? GNX_STATS_LEVEL_TWO_LOOKS : GNX_STATS_LEVEL;
  size_t R = cfg->reps + plan.extra;
  for (size_t r = cfg->reps; r < R && !gnx_stop; r++) {
    int rc = gnx__round(g, cfg->warmup + r, (long)r, R, plan.in);
    if (rc < 0) {
      return rc;
    }
  }
  return 0;
}

/* Warm-up rounds, then the measured repetitions, engines interleaved, then
 * (adaptive) more rounds for the tied. Returns GNX_EUSAGE (printed) when an
 * engine rejected its options. */
static int gnx__group_measure(struct gnx_group *g) {
  const struct gnx_run_config *cfg = g->cfg;
  g->order = (struct gnx_order){cfg->order_random, cfg->order_seed, 0};
  g->level = GNX_STATS_LEVEL;
  for (size_t round = 0; round < cfg->warmup + cfg->reps && !gnx_stop; round++) {
    long r = round < cfg->warmup ? -1 : (long)(round - cfg->warmup);
    int rc = gnx__round(g, round, r, r < 0 ? cfg->warmup : cfg->reps, NULL);
    if (rc < 0) {
      return rc;
    }
  }
  return cfg->time_budget_s > 0 && !gnx_stop ? gnx__group_extend(g) : 0;
}

/* The sizes of the groups after gi, summed (for gnx__group_share). */
static uint64_t gnx__later_sizes(const struct gnx_run_state *run, size_t gi) {
  uint64_t sum = 0;
  for (size_t j = gi + 1; j < run->n_groups; j++) {
    sum += run->groups[j].size;
  }
  return sum;
}

/* One workload at one size (group gi): measured, its cells added, the
 * report rewritten (an interruption later loses nothing) and its table
 * printed. Returns -1 when the workload's other sizes are not to run
 * (run->exit_code says why). */
static int gnx__group_run(struct gnx_run_state *run, size_t gi) {
  const struct gnx_run_config *cfg = run->cfg;
  size_t w = run->groups[gi].w;
  struct gnx_group g = {.cfg = cfg, .ctrs = run->ctrs, .plan = run->plan,
                        .wl = cfg->workloads[w], .size = run->groups[gi].size, .index = gi,
                        .n_groups = run->n_groups, .deadline_s = run->t0 + cfg->time_budget_s,
                        .later_sizes = gnx__later_sizes(run, gi),
                        .faults_fired = &run->faults_fired};
  int rc = gnx__group_setup(run, &g, w);
  if (rc == 0) {
    rc = gnx__group_measure(&g);
    gnx__progress(cfg, "%s", "");
    run->exit_code = rc < 0 ? 2 : run->exit_code;
  }
  if (rc == 0 && !gnx__group_cells(&g, json_object_get(run->report, GNX_F_RESULTS), run->out)) {
    run->exit_code = run->exit_code ? run->exit_code : 1;
  }
  uint64_t size = g.size;
  gnx__group_free(&g);
  if (rc < 0) {
    return -1;
  }
  json_object_set_new(run->report, GNX_F_STATUS, json_string("running"));
  (void)gnx__report_save(run);
  if (!cfg->quiet) {
    gnx_table_print(stdout, run->report, cfg->workloads[w]->name, size);
    fflush(stdout);
  }
  return 0;
}

/* How the run ended, for the report: failed (nothing measured, an error
 * recorded), incomplete (interrupted, or stopped early), or complete. */
static const char *gnx__final_status(const struct gnx_run_state *run) {
  size_t cells = json_array_size(json_object_get(run->report, GNX_F_RESULTS));
  if (run->stopped) {
    return "incomplete";
  }
  if (run->error[0] && cells == 0) {
    return "failed";
  }
  return run->error[0] || run->exit_code == 2 ? "incomplete" : "complete";
}

/* The final status, from the signal state as it is now: the exit status
 * is decided by the same snapshot (run->stopped), so a signal that comes
 * after the last report was written cannot make them disagree. */
static void gnx__report_mark(struct gnx_run_state *run) {
  run->stopped = gnx_stop;
  json_object_set_new(run->report, GNX_F_STATUS, json_string(gnx__final_status(run)));
  json_object_set_new(run->report, GNX_F_INTERRUPTED, json_boolean(run->stopped != 0));
  if (run->error[0]) {
    json_object_set_new(run->report, GNX_F_ERROR, json_string(run->error));
  }
}

/* Remove this run's files whose names start with prefix. */
static void gnx__remove_outputs(const struct gnx_run_state *run, const char *prefix) {
  DIR *d = opendir(run->out);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
      (void)unlinkat(dirfd(d), e->d_name, 0);
    }
  }
  if (d) {
    closedir(d);
  }
}

/* Set the final status and write the report. On a full disk the last
 * checkpoint (marked running: it would lie) makes room for the final
 * report, then the traces do; failing that no report is left at all. */
static int gnx__report_close(struct gnx_run_state *run) {
  gnx__report_mark(run);
  int rc = gnx__report_save(run);
  static const char *const room[] = {"report.json", "trace-"};
  for (size_t i = 0; i < 2 && (rc == -ENOSPC || rc == -EDQUOT); i++) {
    gnx__remove_outputs(run, room[i]);
    if (i == 1) {
      gnx__run_error(run, 1, "the disk is full: the traces were removed to make room for the "
                             "report");
      gnx__report_mark(run);
    }
    rc = gnx__report_save(run);
  }
  run->write_failed = rc < 0 ? run->write_failed : 0;
  return rc;
}

/* The report as the file will hold it (reals keep 10 digits), or NULL. */
static json_t *gnx__report_as_saved(const json_t *report) {
  char *text = json_dumps(report, JSON_REAL_PRECISION(10));
  json_t *saved = text ? json_loads(text, 0, NULL) : NULL;
  free(text);
  return saved;
}

/* Every derived output, drawn from the final report before it is written:
 * until it is on disk the last checkpoint (running) stands, so a run
 * killed while drawing (SIGKILL) does not leave a report claiming to be
 * complete. Charts that were not drawn (gnuplot failed, or was killed with
 * the process group by a signal) are recorded in the report, and a signal
 * while they were drawn marks it interrupted: the exit status and the
 * report tell the same story. Returns what gnx__report_close returns. */
static int gnx__render_close(struct gnx_run_state *run) {
  int stopped = gnx_stop != 0;
  struct gnx_render_status st;
  gnx__report_mark(run);
  if (!run->cfg->quiet) {
    printf("\n");
  }
  /* drawn from the report as the file will hold it (reals keep 10
   * digits), so that `gnxbench report DIR` regenerates the same bytes: a
   * figure on a rounding boundary (43.65 ms of CPU) would otherwise print
   * one way here and the other way there */
  json_t *saved = gnx__report_as_saved(run->report);
  gnx_cmd_render(saved ? saved : run->report, run->out, run->cfg->quiet, &run->exit_code, &st);
  json_decref(saved);
  int late_stop = !stopped && gnx_stop;
  if (st.failed || late_stop) {
    json_object_set_new(run->report, "render",
                        json_pack("{s:I, s:I, s:s, s:b}", "charts", (json_int_t)st.charts,
                                  "charts_failed", (json_int_t)st.failed, "first_failure",
                                  st.why, "interrupted", late_stop));
  }
  if (late_stop) { /* summary.md and report.html said complete: say interrupted */
    char why[512];
    gnx__report_mark(run);
    saved = gnx__report_as_saved(run->report);
    if (gnx_report_render_text(saved ? saved : run->report, run->out, &st, why, sizeof why) < 0) {
      fprintf(stderr, "gnxbench: %s\n", why);
    }
    json_decref(saved);
  }
  return gnx__report_close(run);
}

/* A --fault that fired in no run tested nothing: say so, in the report
 * (config.fault.fired_runs) and the exit code. */
static void gnx__fault_record(struct gnx_run_state *run, size_t cells) {
  const struct gnx_fault *f = &run->cfg->fault;
  json_t *jf = json_object_get(json_object_get(run->report, GNX_F_CONFIG), "fault");
  if (!f->enabled || !jf) {
    return;
  }
  json_object_set_new(jf, "fired_runs", json_integer((json_int_t)run->faults_fired));
  if (run->faults_fired == 0 && cells > 0 && !gnx_stop && run->exit_code != 2) {
    run->fault_unfired = run->exit_code == 0; /* the only reason for exit 1 */
    gnx__run_error(run, 1,
                   "--fault worker=%d,item=%llu never fired: no forked worker %d reached an item "
                   ">= %llu in any run, so it tested nothing; give a smaller item (workers "
                   "claim items as they go) or a worker the engine has (procpool: 1..--workers)",
                   f->worker, (unsigned long long)f->item, f->worker,
                   (unsigned long long)f->item);
  }
}

/* The final report and every output derived from it; the exit status. */
static int gnx__run_finish(struct gnx_run_state *run) {
  const struct gnx_run_config *cfg = run->cfg;
  size_t cells = json_array_size(json_object_get(run->report, GNX_F_RESULTS));
  gnx__fault_record(run, cells);
  if (run->exit_code == 2 && !run->wrote) {
    /* a usage error before anything was measured: leave nothing behind */
    gnx_dir_unmake(run->out, run->created);
  } else if (gnx__render_close(run) == 0) {
    if (!cfg->out) {
      gnx__point_latest(run->run_id);
    }
    if (!cfg->quiet) {
      printf("report: %s/report.json%s\n", run->out,
             run->stopped ? " (incomplete: interrupted)" : "");
    }
  } else {
    run->stopped = gnx_stop; /* no report (or none written): the signal as it is */
  }
  if (run->stopped) {
    fprintf(stderr, "gnxbench: interrupted by %s; the report holds what was measured\n",
            run->stopped == SIGTERM ? "SIGTERM" : "SIGINT");
    return 130;
  }
  if (run->exit_code == 1 && !cfg->quiet && cells > 0 && !run->write_failed &&
      !run->fault_unfired) {
    fprintf(stderr, "gnxbench: some runs failed or did not verify (see the tables above)\n");
  }
  return run->exit_code;
}

int gnx_run_main(const struct gnx_run_config *cfg, json_t *command_line) {
  /* static: the runner keeps pointing at them (gnx_runner_set_probe); the
   * state is large (the group list) */
  static struct gnx_counters ctrs;
  static struct gnx_pin_plan plan;
  static struct gnx_machine machine;
  static struct gnx_run_state run;
  run = (struct gnx_run_state){.cfg = cfg, .ctrs = &ctrs, .plan = &plan, .machine = &machine};
  char why[PATH_MAX + 512]; /* room for the output directory */
  gnx_stop = 0;
  gnx__install_signals(); /* from here on a signal ends in a report that says so */
  if (gnx__probe(cfg, &ctrs, &plan, why, sizeof why) < 0 ||
      gnx__out_dir(&run, why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: %s\n", why);
    json_decref(command_line);
    return 2;
  }
  gnx_machine_measure(&machine);
  run.report = gnx__report_new(&run, command_line);
  gnx__plan_groups(&run);
  run.t0 = gnx__now_s();
  if (gnx__presetup(&run) == 0) {
    gnx__say_skipped(cfg);
    for (size_t gi = 0; gi < run.n_groups && !gnx_stop && run.exit_code != 2; gi++) {
      if (gnx__group_run(&run, gi) < 0) { /* the workload's other sizes are skipped */
        while (gi + 1 < run.n_groups && run.groups[gi + 1].w == run.groups[gi].w) {
          gi++;
        }
      }
    }
  }
  gnx__prep_free(&run);
  int rc = gnx__run_finish(&run);
  json_decref(run.report);
  return rc;
}

int gnx_cmd_run(int argc, char **argv, int full_argc, char **full_argv) {
  struct gnx_run_config cfg;
  char why[512];
  int rc = gnx_config_parse(argc, argv, &cfg, why, sizeof why);
  if (rc) {
    if (rc < 0) {
      fprintf(stderr, "gnxbench: %s\n", why);
    }
    return rc < 0 ? 2 : 0;
  }
  json_t *command_line = json_array();
  for (int i = 0; i < full_argc; i++) {
    json_array_append_new(command_line, json_string(full_argv[i]));
  }
  return gnx_run_main(&cfg, command_line);
}
