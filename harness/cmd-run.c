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
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "core/counters.h"
#include "core/pin.h"
#include "harness/plan.h"
#include "harness/registry.h"
#include "harness/runner.h"
#include "core/stats.h"
#include "reports/profile.h"
#include "reports/report.h"

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

/* One repetition's measurements, kept after its trace is released. */
struct gnx_rep {
  int rc;
  char errmsg[320];
  json_t *summary;        /* owned */
  json_t *json;           /* the report's view of this repetition */
  double wall_s;
  struct gnx_trace trace; /* kept until the group's median is known */
  uint64_t t_start_ns;
};

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

static json_t *gnx__params_json(const struct gnx_params *p) {
  json_t *o = json_object();
  for (size_t i = 0; i < p->count; i++) {
    if (p->v[i].value) {
      json_object_set_new(o, p->v[i].opt->name, json_string(p->v[i].value));
    }
  }
  return o;
}

/* This process's counter setup and placement plan (NULL: none yet). */
static const struct gnx_counters *gnx__ctrs;
static const struct gnx_pin_plan *gnx__plan;

static int gnx__event_is(const char *name, const char *what) { return strcmp(name, what) == 0; }

/* PAPI values v[i] of the usable events, with IPC and misses per 1000
 * instructions derived, into obj. */
static void gnx__papi_json(json_t *obj, const int64_t *v) {
  const struct gnx_counters *c = gnx__ctrs;
  int64_t cyc = -1, ins = -1;
  for (int i = 0; i < c->n_events; i++) {
    if (c->ev_ok[i] && v[i] >= 0) {
      json_object_set_new(obj, c->events[i], json_integer((json_int_t)v[i]));
      cyc = gnx__event_is(c->events[i], "PAPI_TOT_CYC") ? v[i] : cyc;
      ins = gnx__event_is(c->events[i], "PAPI_TOT_INS") ? v[i] : ins;
    }
  }
  if (cyc > 0 && ins >= 0) {
    json_object_set_new(obj, "ipc", json_real((double)ins / (double)cyc));
  }
  for (int i = 0; i < c->n_events && ins > 0; i++) {
    if (c->ev_ok[i] && v[i] >= 0 && !gnx__event_is(c->events[i], "PAPI_TOT_CYC") &&
        !gnx__event_is(c->events[i], "PAPI_TOT_INS")) {
      char k[96];
      snprintf(k, sizeof k, "%s_per_kinstr", c->events[i]);
      json_object_set_new(obj, k, json_real((double)v[i] * 1000.0 / (double)ins));
    }
  }
}

/* A worker's own counters (its thread, or its process) and placement. */
static void gnx__worker_extra(json_t *o, const struct gnx_trace_worker *tw) {
  if (gnx__ctrs && gnx__ctrs->mode != GNX_CTR_OFF) {
    json_t *c = json_object();
    for (int i = 0; i < GNX_SW__COUNT; i++) {
      if (tw->wctr[i] >= 0) {
        json_object_set_new(c, gnx_sw_ctr_name(i), json_integer((json_int_t)tw->wctr[i]));
      }
    }
    gnx__papi_json(c, &tw->wctr[GNX_SW__COUNT]);
    json_t *src = json_object();
    for (int i = 0; i < GNX_SW__COUNT; i++) {
      if (tw->wctr[i] >= 0) {
        json_object_set_new(src, gnx_sw_ctr_name(i),
                            json_string((tw->ctr_src >> i) & 1 ? "perf_event" : "rusage"));
      }
    }
    json_object_set_new(c, "sources", src);
    json_object_set_new(o, "counters", c);
  }
  if (gnx__plan && gnx__plan->policy != GNX_PIN_NONE) {
    int moved = tw->cpu_begin != tw->cpu_end ||
                (tw->cpu_asked >= 0 && tw->cpu_begin != tw->cpu_asked);
    json_t *pl = json_pack("{s:o, s:o, s:i, s:i, s:b}", "asked",
                           tw->cpu_asked >= 0 ? json_integer(tw->cpu_asked) : json_null(),
                           "asked_logical",
                           tw->cpu_asked_logical >= 0 ? json_integer(tw->cpu_asked_logical)
                                                      : json_null(),
                           "cpu_begin", tw->cpu_begin, "cpu_end", tw->cpu_end, "migrated", moved);
    if (tw->bind_err) {
      json_object_set_new(pl, "bind_error", json_string(gnx_strerror(tw->bind_err)));
    }
    json_object_set_new(o, "placement", pl);
  }
}

/* One repetition's counters: the process tree's software counters, and
 * the PAPI events summed over its workers (each counted its own thread). */
static json_t *gnx__rep_counters(const struct gnx_run_result *r) {
  json_t *c = json_object();
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    if (r->sw[i] >= 0) {
      json_object_set_new(c, gnx_sw_ctr_name(i), json_integer((json_int_t)r->sw[i]));
    }
  }
  int64_t sum[GNX_PAPI_MAX];
  for (int e = 0; e < GNX_PAPI_MAX; e++) {
    sum[e] = -1;
    for (uint32_t w = 0; w < r->trace.n_workers; w++) {
      int64_t v = r->trace.workers[w]->wctr[GNX_SW__COUNT + e];
      if (v >= 0) {
        sum[e] = (sum[e] < 0 ? 0 : sum[e]) + v;
      }
    }
  }
  gnx__papi_json(c, sum);
  json_t *src = json_object();
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    if (r->sw[i] >= 0) {
      json_object_set_new(src, gnx_sw_ctr_name(i), json_string(gnx_ctr_source_name(r->sw_src[i])));
    }
  }
  json_object_set_new(c, "sources", src);
  return c;
}

/* The report's counters block: every counter once, with its source or the
 * reason it is unavailable. */
static json_t *gnx__counters_json(const struct gnx_counters *c) {
  json_t *list = json_object();
  json_t *o = json_pack("{s:s, s:o, s:o}", "mode", gnx_counters_mode_name(c->mode), "counters",
                        list, "sde", gnx_sde_available()
                                         ? json_pack("{s:s}", "prefix", "sde:::GNXBENCH::")
                                         : json_null());
  static const char *const ru[] = {"user_s", "sys_s", "nvcsw", "nivcsw", "minflt", "majflt",
                                   "maxrss_kb"};
  json_object_set_new(list, "wall_s", json_pack("{s:s}", "source", "clock"));
  for (size_t i = 0; i < sizeof ru / sizeof ru[0]; i++) {
    json_object_set_new(list, ru[i], json_pack("{s:s}", "source", "rusage"));
  }
  if (c->mode == GNX_CTR_OFF) {
    return o;
  }
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    json_t *e = json_pack("{s:o, s:s}", "source",
                          c->sw_src[i] ? json_string(gnx_ctr_source_name(c->sw_src[i]))
                                       : json_null(),
                          "scope", "process tree per run; own thread per worker");
    if (c->sw_reason[i][0]) {
      json_object_set_new(e, "reason", json_string(c->sw_reason[i]));
    }
    json_object_set_new(list, gnx_sw_ctr_name(i), e);
  }
  int cyc = 0, ins = 0;
  for (int i = 0; i < c->n_events; i++) {
    json_t *e = json_pack("{s:o, s:s}", "source", c->ev_ok[i] ? json_string("papi") : json_null(),
                          "scope", "per worker thread; per run the sum over workers");
    if (!c->ev_ok[i]) {
      json_object_set_new(e, "reason", json_string(c->ev_reason[i]));
    }
    json_object_set_new(list, c->events[i], e);
    cyc |= c->ev_ok[i] && gnx__event_is(c->events[i], "PAPI_TOT_CYC");
    ins |= c->ev_ok[i] && gnx__event_is(c->events[i], "PAPI_TOT_INS");
  }
  json_t *ipc = json_pack("{s:o}", "source", cyc && ins ? json_string("derived") : json_null());
  if (!(cyc && ins)) {
    json_object_set_new(ipc, "reason",
                        json_string("needs PAPI_TOT_INS and PAPI_TOT_CYC, which are unavailable"));
  }
  json_object_set_new(list, "ipc", ipc);
  return o;
}

static json_t *gnx__pinning_json(const struct gnx_pin_plan *p) {
  json_t *plan = json_array(), *lplan = json_array();
  for (int i = 0; i < p->n; i++) {
    json_array_append_new(plan, json_integer(p->os[i]));
    json_array_append_new(lplan, json_integer(p->logical[i]));
  }
  return json_pack("{s:s, s:o, s:o, s:s}", "policy", gnx_pin_policy_name(p->policy), "cpus", plan,
                   "logical_pus", lplan, "rule", "worker i runs on cpus[i mod len]");
}

/* Per-stage totals and per-worker facts from one repetition's trace. */
static json_t *gnx__trace_json(const struct gnx_trace *t, const struct gnx_workload *wl,
                               json_t **workers_out) {
  unsigned ns = wl->n_stages + 1;
  json_t *stages = json_array();
  json_t *workers = json_array();
  for (unsigned s = 0; s < ns; s++) {
    uint64_t sum[GNX_SPAN__COUNT] = {0}, items = 0, nworkers = 0;
    for (uint32_t w = 0; w < t->n_workers; w++) {
      const struct gnx_trace_worker *tw = t->workers[w];
      int touched = 0;
      for (uint32_t i = 0; i < tw->len; i++) {
        const struct gnx_span *sp = &tw->spans[i];
        if (sp->stage != s || sp->kind >= GNX_SPAN__COUNT) {
          continue;
        }
        sum[sp->kind] += sp->t1 - sp->t0;
        if (sp->kind == GNX_SPAN_EXEC) {
          items++;
          touched = 1;
        }
      }
      nworkers += touched;
    }
    json_array_append_new(
        stages, json_pack("{s:i, s:s, s:I, s:I, s:f, s:f, s:f, s:f}", "stage", (int)s, "name",
                          s < wl->n_stages ? wl->stages[s].name : wl->sink_name, "workers",
                          (json_int_t)nworkers, "items", (json_int_t)items, "exec_s",
                          sum[GNX_SPAN_EXEC] / 1e9, "wait_in_s", sum[GNX_SPAN_WAIT_IN] / 1e9,
                          "wait_out_s", sum[GNX_SPAN_WAIT_OUT] / 1e9, "wait_lock_s",
                          sum[GNX_SPAN_WAIT_LOCK] / 1e9));
  }
  for (uint32_t w = 0; w < t->n_workers; w++) {
    const struct gnx_trace_worker *tw = t->workers[w];
    json_t *wo = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:I, s:I}", "name", tw->name, "pid",
                           tw->pid, "tid", tw->tid, "stage", tw->stage, "cpu_begin", tw->cpu_begin,
                           "cpu_end", tw->cpu_end, "spans", (json_int_t)tw->len, "dropped",
                           (json_int_t)tw->dropped);
    gnx__worker_extra(wo, tw);
    json_array_append_new(workers, wo);
  }
  *workers_out = workers;
  return stages;
}

static json_t *gnx__rep_json(const struct gnx_run_result *r, const struct gnx_workload *wl) {
  json_t *workers = NULL;
  json_t *stages = gnx__trace_json(&r->trace, wl, &workers);
  json_t *rep = json_pack("{s:b, s:f, s:f, s:f, s:f, s:I, s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "ok",
                   r->rc == 0, "wall_s", r->wall_ns / 1e9, "startup_s", r->startup_ns / 1e9,
                   "user_s", r->user_s, "sys_s", r->sys_s, "maxrss_kb", (json_int_t)r->maxrss_kb,
                   "maxrss_source", r->maxrss_source ? r->maxrss_source : "none", "nvcsw",
                   (json_int_t)r->nvcsw, "nivcsw", (json_int_t)r->nivcsw, "minflt",
                   (json_int_t)r->minflt, "majflt", (json_int_t)r->majflt, "stages", stages,
                   "workers", workers);
  if (r->counters_on && rep) {
    json_object_set_new(rep, "counters", gnx__rep_counters(r));
  }
  return rep;
}

/* idx[i] is the repetition sample i came from, so outliers name it. */
static json_t *gnx__stats_json(const double *x, const size_t *idx, size_t n) {
  if (n == 0) {
    return json_null();
  }
  struct gnx_stats s;
  gnx_stats_compute(x, n, &s);
  unsigned char flag[1024];
  gnx_stats_outliers(x, n, flag);
  json_t *out = json_array();
  for (size_t i = 0; i < n; i++) {
    if (flag[i]) {
      json_array_append_new(out, json_integer((json_int_t)idx[i]));
    }
  }
  return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:b}", "n",
                   (json_int_t)s.n, "median", s.median, "lo", s.lo, "hi", s.hi, "level", s.level,
                   "min", s.min, "max", s.max, "mean", s.mean, "cv", s.cv, "mad", s.mad,
                   "outliers", out, "noisy", s.cv > GNX_STATS_NOISY_CV);
}

/* The report's warning when a cell is too noisy to trust, or NULL, from
 * the wall statistics gnx__stats_json made (its outliers are repetition
 * indexes). */
static json_t *gnx__noise_warning(const json_t *wall) {
  if (!json_is_true(json_object_get(wall, "noisy"))) {
    return NULL;
  }
  const json_t *out = json_object_get(wall, "outliers");
  char outl[128] = "";
  for (size_t i = 0; i < json_array_size(out); i++) {
    size_t l = strlen(outl);
    if (l + 16 < sizeof outl) {
      snprintf(outl + l, sizeof outl - l, "%s#%lld",
               i ? ", " : json_array_size(out) > 1 ? "; outlying: repetitions "
                                                   : "; outlying: repetition ",
               (long long)json_integer_value(json_array_get(out, i)) + 1);
    }
  }
  char msg[384];
  snprintf(msg, sizeof msg,
           "too noisy to trust: wall CV %.1f %% > %.0f %%%s; run more --reps, --pin the "
           "workers, or quiet the machine",
           json_number_value(json_object_get(wall, "cv")) * 100, GNX_STATS_NOISY_CV * 100, outl);
  return json_string(msg);
}

struct gnx_group {
  const struct gnx_cli *cli;
  const struct gnx_workload *wl;
  uint64_t size;
  struct gnx_params wparams;
  struct gnx_params eparams[GNX_CLI_MAX];          /* as the user gave them */
  const struct gnx_params *run_params[GNX_CLI_MAX]; /* auto tuned: what runs */
  struct gnx_plan plan;
  int tuned;                                        /* serial's first run tuned the rest */
  void *shared;
  struct gnx_workload_info info;
  struct gnx_rep *reps; /* [engine][rep] */
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

/* Serial ran: fold its trace into the profile; after its first run, tune
 * every other engine's auto options before it runs at all. */
static void gnx__plan_serial(struct gnx_group *g, const struct gnx_run_result *res) {
  if (gnx_plan_add_serial(&g->plan, &res->trace, res->sink_bytes) < 0 || g->tuned) {
    return;
  }
  g->tuned = 1;
  for (size_t e = 1; e < g->cli->n_engines; e++) {
    gnx_plan_tune(&g->plan, e, g->cli->engines[e], &g->eparams[e], &g->run_params[e]);
  }
}

/* Run engine e once; on keep, store it as repetition r. Returns the rc. */
static int gnx__run_one(struct gnx_group *g, size_t e, size_t r, int keep) {
  const struct gnx_cli *cli = g->cli;
  struct gnx_run_result res;
  fflush(NULL); /* forked workers must not inherit unflushed output */
  const struct gnx_params *params = g->run_params[e] ? g->run_params[e] : &g->eparams[e];
  int rc = gnx_runner_exec(cli->engines[e], params, g->wl, g->shared, &g->info, &cli->fault,
                           &gnx_stop, gnx_cpus_allowed(), &res);
  if (e == 0 && rc == 0) {
    gnx__plan_serial(g, &res);
  }
  if (rc < 0 && !g->failed[e]) {
    g->failed[e] = rc;
    if (rc == GNX_EUSAGE) { /* the engine's own line names the choices */
      snprintf(g->failmsg[e], sizeof g->failmsg[e], "%.256s%s%s",
               res.errmsg[0] ? res.errmsg : cli->engines[e]->name, res.errmsg[0] ? "" : ": ",
               res.errmsg[0] ? "" : gnx_strerror(rc));
    } else {
      snprintf(g->failmsg[e], sizeof g->failmsg[e], "%s%s%.256s", gnx_strerror(rc),
               res.errmsg[0] ? ": " : "", res.errmsg);
    }
  }
  if (keep) {
    struct gnx_rep *rep = &g->reps[e * cli->reps + r];
    rep->rc = rc;
    snprintf(rep->errmsg, sizeof rep->errmsg, "%s", res.errmsg);
    rep->summary = res.summary ? json_incref(res.summary) : NULL;
    rep->json = gnx__rep_json(&res, g->wl);
    rep->wall_s = res.wall_ns / 1e9;
    rep->trace = res.trace; /* moved: the mapping outlives the result */
    rep->t_start_ns = res.t_start_ns;
    memset(&res.trace, 0, sizeof res.trace);
  }
  gnx_run_result_free(&res);
  return rc;
}

/* Write the Chrome trace of the median repetition of engine e; returns the
 * report's reference to it, or null. */
static json_t *gnx__write_trace(struct gnx_group *g, size_t e, const char *out) {
  size_t R = g->cli->reps, idx[1024], n = 0;
  for (size_t r = 0; r < R; r++) {
    if (g->reps[e * R + r].rc == 0) {
      idx[n++] = r;
    }
  }
  if (n == 0) {
    return json_null();
  }
  /* order the good repetitions by wall time; take the lower median */
  for (size_t i = 1; i < n; i++) {
    for (size_t k = i; k > 0 && g->reps[e * R + idx[k]].wall_s < g->reps[e * R + idx[k - 1]].wall_s;
         k--) {
      size_t t = idx[k];
      idx[k] = idx[k - 1];
      idx[k - 1] = t;
    }
  }
  size_t r = idx[(n - 1) / 2];
  const struct gnx_rep *rep = &g->reps[e * R + r];
  const char *names[64];
  unsigned nn = 0;
  for (; nn < g->wl->n_stages && nn < 63; nn++) {
    names[nn] = g->wl->stages[nn].name;
  }
  names[nn++] = g->wl->sink_name;
  char file[256], path[PATH_MAX + 300], title[256], why[512];
  snprintf(file, sizeof file, "trace-%s-%llu-%s.json", g->wl->name, (unsigned long long)g->size,
           g->cli->engines[e]->name);
  snprintf(path, sizeof path, "%s/%s", out, file);
  snprintf(title, sizeof title, "%s n=%llu %s, repetition %zu (median wall %.3f ms)", g->wl->name,
           (unsigned long long)g->size, g->cli->engines[e]->name, r + 1, rep->wall_s * 1e3);
  if (gnx_chrome_write(path, &rep->trace, names, nn, rep->t_start_ns, title, why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: warning: %s\n", why);
    return json_null();
  }
  return json_pack("{s:s, s:I}", "file", file, "rep", (json_int_t)r);
}

/* The model's part of a cell: the profile (serial's), the tuning and the
 * prediction beside the measured median. */
static void gnx__cell_model(struct gnx_group *g, size_t e, json_t *cell) {
  const json_t *median = json_object_get(json_object_get(json_object_get(cell, "stats"),
                                                         "wall_s"), "median");
  if (e == 0) {
    json_t *prof = gnx_plan_profile_json(&g->plan);
    if (prof) {
      json_object_set_new(cell, "profile", prof);
    }
  }
  const struct gnx_params *params = g->run_params[e] ? g->run_params[e] : &g->eparams[e];
  g->plan.engines[e] = g->cli->engines[e];
  json_t *m = gnx_plan_cell_json(&g->plan, e, &g->eparams[e], params,
                                 json_is_number(median) ? json_number_value(median) : NAN);
  if (m) {
    json_object_update(cell, m);
    json_decref(m);
  }
}

/* Build the report cells of one group and append them to results. Returns
 * 1 when every cell ran and verified. */
static int gnx__group_cells(struct gnx_group *g, json_t *results, const char *out) {
  const struct gnx_cli *cli = g->cli;
  size_t R = cli->reps;
  /* serial is engines[0]; its first good summary is the reference. */
  const json_t *ref = NULL;
  for (size_t r = 0; r < R && !ref; r++) {
    if (g->reps[r].rc == 0) {
      ref = g->reps[r].summary;
    }
  }
  json_t *check = NULL;
  int check_ok = 1;
  if (ref && g->wl->check) {
    json_t *detail = NULL;
    int crc = g->wl->check(g->shared, ref, &detail);
    check_ok = crc == 0;
    check = detail ? detail : json_object();
    json_object_set_new(check, "status", json_string(crc == 0 ? "pass" : "fail"));
    if (crc < 0 && crc != GNX_EVERIFY) {
      json_object_set_new(check, "error", json_string(gnx_strerror(crc)));
    }
  } else {
    check = json_pack("{s:s}", "status", ref ? "none" : "not run");
  }
  int all_ok = 1;
  for (size_t e = 0; e < cli->n_engines; e++) {
    json_t *reps = json_array();
    double walls[1024], ratios[1024];
    size_t nw = 0, nr = 0, widx[1024], ridx[1024];
    int equal = ref != NULL, ran = 0;
    const json_t *summary = NULL;
    for (size_t r = 0; r < R; r++) {
      struct gnx_rep *rep = &g->reps[e * R + r];
      if (rep->json) {
        json_array_append(reps, rep->json);
        ran = 1;
      }
      if (rep->rc != 0) {
        continue;
      }
      summary = summary ? summary : rep->summary;
      equal &= ref && rep->summary && json_equal(rep->summary, ref);
      widx[nw] = r;
      walls[nw++] = rep->wall_s;
      /* speedup per repetition: serial and this engine ran side by side */
      struct gnx_rep *base = &g->reps[r];
      if (base->rc == 0 && rep->wall_s > 0) {
        ridx[nr] = r;
        ratios[nr++] = base->wall_s / rep->wall_s;
      }
    }
    const char *status = g->failed[e] ? (g->failed[e] == GNX_ESTOPPED ? "interrupted" : "failed")
                                      : (ran ? "ok" : "not run");
    int verified = !g->failed[e] && ran && equal && check_ok;
    all_ok &= verified;
    json_t *err = json_null();
    if (g->failed[e]) {
      err = json_string(g->failmsg[e]);
    } else if (ran && !equal) {
      err = json_string(ref ? "result differs from the serial engine's result"
                            : "no serial result to compare with");
    } else if (ran && !check_ok) {
      err = json_string("result differs from the workload's reference");
    }
    json_t *opts = gnx__params_json(&g->wparams);
    json_t *eopts = gnx__params_json(&g->eparams[e]);
    json_object_update(opts, eopts);
    json_decref(eopts);
    json_t *cell = json_pack(
        "{s:s, s:I, s:s, s:I, s:o, s:s, s:o, s:b, s:{s:b, s:O}, s:O, s:o, s:{s:o, s:o}, s:o}",
        "workload", g->wl->name, "size", (json_int_t)g->size, "engine", cli->engines[e]->name,
        "items", (json_int_t)g->info.items, "options", opts, "status", status, "error", err,
        "verified", verified, "verification", "equal_to_serial", equal && ran, "reference", check,
        "summary", summary ? (json_t *)summary : json_null(), "reps", reps, "stats", "wall_s",
        gnx__stats_json(walls, widx, nw), "speedup", gnx__stats_json(ratios, ridx, nr), "trace",
        gnx__write_trace(g, e, out));
    json_t *noise = gnx__noise_warning(json_object_get(json_object_get(cell, "stats"), "wall_s"));
    if (noise) {
      json_object_set_new(cell, "warnings", json_pack("[o]", noise));
    }
    gnx__cell_model(g, e, cell);
    json_array_append_new(results, cell);
  }
  json_decref(check);
  return all_ok;
}

static void gnx__group_free(struct gnx_group *g) {
  gnx_plan_free(&g->plan);
  if (g->reps) {
    for (size_t i = 0; i < g->cli->n_engines * g->cli->reps; i++) {
      json_decref(g->reps[i].summary);
      json_decref(g->reps[i].json);
      gnx_trace_free(&g->reps[i].trace);
    }
    free(g->reps);
  }
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
  gnx__ctrs = &ctrs;
  gnx__plan = &plan;
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
  int created = 0;
  if (gnx__prepare_out(out, &created, why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: %s\n", why);
    return 2;
  }

  json_t *report = json_pack("{s:i, s:{s:s, s:s}, s:o, s:{s:o, s:o, s:o, s:I, s:I, s:o, s:b}, "
                             "s:s, s:o}",
                             "schema_version", GNX_REPORT_SCHEMA_VERSION, "tool", "name",
                             "gnxbench", "version", GNX_VERSION, "context",
                             gnx_context_new(full_argc, full_argv), "config", "engines",
                             json_array(), "workloads", json_array(), "sizes", json_array(),
                             "reps", (json_int_t)cli.reps, "warmup", (json_int_t)cli.warmup,
                             "skipped_engines", json_array(), "serial_added", cli.serial_added,
                             "status", "running", "results", json_array());
  /* the machine constants the engines' models use */
  static struct gnx_machine machine;
  gnx_machine_measure(&machine);
  json_object_set_new(json_object_get(report, "context"), "machine", gnx_machine_json(&machine));
  json_object_set_new(report, "counters", gnx__counters_json(&ctrs));
  json_object_set_new(report, "pinning", gnx__pinning_json(&plan));
  json_t *config = json_object_get(report, "config");
  for (size_t i = 0; i < cli.n_engines; i++) {
    json_array_append_new(json_object_get(config, "engines"), json_string(cli.engines[i]->name));
  }
  for (size_t i = 0; i < cli.n_skipped; i++) {
    const struct gnx_engine *e = gnx_engine_find(cli.skipped_engines[i]);
    json_array_append_new(json_object_get(config, "skipped_engines"),
                          json_pack("{s:s, s:s}", "engine", e->name, "reason", e->unavailable));
    if (!cli.quiet) {
      fprintf(stderr, "gnxbench: note: engine %s is skipped: %s\n", e->name, e->unavailable);
    }
  }
  json_t *skipped_wl = json_array();
  json_object_set_new(config, "skipped_workloads", skipped_wl);
  for (size_t i = 0; i < cli.n_skipped_workloads; i++) {
    const struct gnx_workload *w = gnx_workload_find(cli.skipped_workloads[i]);
    json_array_append_new(skipped_wl,
                          json_pack("{s:s, s:s}", "workload", w->name, "reason", w->unavailable));
    if (!cli.quiet) {
      fprintf(stderr, "gnxbench: note: workload %s is skipped: %s\n", w->name, w->unavailable);
    }
  }
  for (size_t i = 0; i < cli.n_workloads; i++) {
    json_array_append_new(json_object_get(config, "workloads"),
                          json_string(cli.workloads[i]->name));
  }
  for (size_t i = 0; i < cli.n_sizes; i++) {
    json_array_append_new(json_object_get(config, "sizes"), json_integer((json_int_t)cli.sizes[i]));
  }
  json_t *results = json_object_get(report, "results");

  gnx__install_signals();
  int exit_code = 0, wrote = 0;
  size_t n_groups = cli.n_workloads * cli.n_sizes, gi = 0;
  for (size_t w = 0; w < cli.n_workloads && !gnx_stop && exit_code != 2; w++) {
    for (size_t s = 0; s < cli.n_sizes && !gnx_stop && exit_code != 2; s++, gi++) {
      struct gnx_group g;
      memset(&g, 0, sizeof g);
      g.cli = &cli;
      g.wl = cli.workloads[w];
      g.size = cli.sizes[s];
      int brc = gnx_params_build(g.wl->options, g.size, cli.kv, cli.n_kv, &g.wparams);
      for (size_t e = 0; e < cli.n_engines && brc == 0; e++) {
        brc = gnx_params_build(cli.engines[e]->options, g.size, cli.kv, cli.n_kv, &g.eparams[e]);
      }
      g.reps = calloc(cli.n_engines * cli.reps, sizeof *g.reps);
      if (brc < 0 || !g.reps) {
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
      gnx_plan_init(&g.plan, g.wl, g.info.items, (double)g.info.sink_wait_ns / 1e9, &machine,
                    gnx_cpus_allowed());
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
      json_object_set_new(report, "status", json_string("running"));
      if (gnx_report_write(report, out, why, sizeof why) < 0) {
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
  json_object_set_new(report, "status", json_string(status));
  json_object_set_new(report, "interrupted", json_boolean(gnx_stop != 0));
  if (exit_code == 2 && !wrote) {
    /* a usage error before anything was measured: leave nothing behind */
    if (created) {
      (void)rmdir(out);
    }
  } else if (gnx_report_write(report, out, why, sizeof why) < 0) {
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
