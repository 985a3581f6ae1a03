/* SPDX-License-Identifier: MIT */
/* reports/cell.c: report.json's repetitions and cells, from the facts the
 * harness measured (report.h: gnx_rep_facts, gnx_cell_facts), and the
 * report's counters and pinning blocks. The schema is docs/report-schema.json;
 * this file and the skeleton in cmd-run.c are the only code that writes it. */
#include <stdio.h>
#include <string.h>

#include "core/counters.h"
#include "core/pin.h"
#include "core/stats.h"
#include "gnx/err.h"
#include "gnx/option.h"
#include "reports/report.h"
#include "reports/schema.h"

static int gnx__event_is(const char *name, const char *what) { return strcmp(name, what) == 0; }

/* PAPI values v[i] of the usable events, with IPC and misses per 1000
 * instructions derived, into obj. */
static void gnx__papi_json(json_t *obj, const struct gnx_counters *c, const int64_t *v) {
  int64_t cyc = -1, ins = -1;
  for (int i = 0; i < c->n_events; i++) {
    if (c->ev_ok[i] && v[i] >= 0) {
      json_object_set_new(obj, c->events[i], json_integer((json_int_t)v[i]));
      cyc = gnx__event_is(c->events[i], "PAPI_TOT_CYC") ? v[i] : cyc;
      ins = gnx__event_is(c->events[i], "PAPI_TOT_INS") ? v[i] : ins;
    }
  }
  if (cyc > 0 && ins >= 0) {
    json_object_set_new(obj, GNX_F_IPC, json_real((double)ins / (double)cyc));
  }
  for (int i = 0; i < c->n_events && ins > 0; i++) {
    if (c->ev_ok[i] && v[i] >= 0 && !gnx__event_is(c->events[i], "PAPI_TOT_CYC") &&
        !gnx__event_is(c->events[i], "PAPI_TOT_INS")) {
      char k[96];
      snprintf(k, sizeof k, "%s%s", c->events[i], GNX_F_PER_KINSTR);
      json_object_set_new(obj, k, json_real((double)v[i] * 1000.0 / (double)ins));
    }
  }
}

/* A worker's own counters (its thread, or its process) and placement. */
static void gnx__worker_extra(json_t *o, const struct gnx_trace_worker *tw,
                              const struct gnx_rep_facts *r) {
  if (r->counters && r->counters->mode != GNX_CTR_OFF) {
    json_t *c = json_object();
    for (int i = 0; i < GNX_SW__COUNT; i++) {
      if (tw->wctr[i] >= 0) {
        json_object_set_new(c, gnx_sw_ctr_name(i), json_integer((json_int_t)tw->wctr[i]));
      }
    }
    gnx__papi_json(c, r->counters, &tw->wctr[GNX_SW__COUNT]);
    json_t *src = json_object();
    for (int i = 0; i < GNX_SW__COUNT; i++) {
      if (tw->wctr[i] >= 0) {
        json_object_set_new(src, gnx_sw_ctr_name(i),
                            json_string((tw->ctr_src >> i) & 1 ? "perf_event" : "rusage"));
      }
    }
    json_object_set_new(c, "sources", src);
    json_object_set_new(o, GNX_F_COUNTERS, c);
  }
  if (r->pin && r->pin->policy != GNX_PIN_NONE) {
    int moved = tw->cpu_begin != tw->cpu_end ||
                (tw->cpu_asked >= 0 && tw->cpu_begin != tw->cpu_asked);
    json_t *pl = json_pack(
        "{s:o, s:o, s:i, s:i, s:b}", GNX_F_ASKED,
        tw->cpu_asked >= 0 ? json_integer(tw->cpu_asked) : json_null(), "asked_logical",
        tw->cpu_asked_logical >= 0 ? json_integer(tw->cpu_asked_logical) : json_null(),
        GNX_F_CPU_BEGIN, tw->cpu_begin, GNX_F_CPU_END, tw->cpu_end, GNX_F_MIGRATED, moved);
    if (tw->bind_err) {
      json_object_set_new(pl, "bind_error", json_string(gnx_strerror(tw->bind_err)));
    }
    json_object_set_new(o, GNX_F_PLACEMENT, pl);
  }
}

/* One repetition's counters: the process tree's software counters, and
 * the PAPI events summed over its workers (each counted its own thread). */
static json_t *gnx__rep_counters(const struct gnx_rep_facts *r) {
  json_t *c = json_object();
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    if (r->sw[i] >= 0) {
      json_object_set_new(c, gnx_sw_ctr_name(i), json_integer((json_int_t)r->sw[i]));
    }
  }
  int64_t sum[GNX_PAPI_MAX];
  for (int e = 0; e < GNX_PAPI_MAX; e++) {
    sum[e] = -1;
    for (uint32_t w = 0; w < r->trace->n_workers; w++) {
      int64_t v = r->trace->workers[w]->wctr[GNX_SW__COUNT + e];
      if (v >= 0) {
        sum[e] = (sum[e] < 0 ? 0 : sum[e]) + v;
      }
    }
  }
  gnx__papi_json(c, r->counters, sum);
  json_t *src = json_object();
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    if (r->sw[i] >= 0) {
      json_object_set_new(src, gnx_sw_ctr_name(i), json_string(gnx_ctr_source_name(r->sw_src[i])));
    }
  }
  json_object_set_new(c, "sources", src);
  return c;
}

json_t *gnx_report_counters_new(const struct gnx_counters *c) {
  json_t *list = json_object();
  json_t *o = json_pack(
      "{s:s, s:o, s:o}", GNX_F_MODE, gnx_counters_mode_name(c->mode), GNX_F_COUNTERS, list, "sde",
      gnx_sde_available() ? json_pack("{s:s}", "prefix", "sde:::GNXBENCH::") : json_null());
  static const char *const ru[] = {"user_s",     "sys_s",  "nvcsw",    "nivcsw",
                                   GNX_F_MINFLT, "majflt", "maxrss_kb"};
  json_object_set_new(list, GNX_F_WALL_S, json_pack("{s:s}", GNX_F_SOURCE, "clock"));
  for (size_t i = 0; i < sizeof ru / sizeof ru[0]; i++) {
    json_object_set_new(list, ru[i], json_pack("{s:s}", GNX_F_SOURCE, "rusage"));
  }
  if (c->mode == GNX_CTR_OFF) {
    return o;
  }
  for (int i = 0; i < GNX_SW__COUNT; i++) {
    json_t *e =
        json_pack("{s:o, s:s}", GNX_F_SOURCE,
                  c->sw_src[i] ? json_string(gnx_ctr_source_name(c->sw_src[i])) : json_null(),
                  "scope", "process tree per run; own thread per worker");
    if (c->sw_reason[i][0]) {
      json_object_set_new(e, GNX_F_REASON, json_string(c->sw_reason[i]));
    }
    json_object_set_new(list, gnx_sw_ctr_name(i), e);
  }
  int cyc = 0, ins = 0;
  for (int i = 0; i < c->n_events; i++) {
    json_t *e =
        json_pack("{s:o, s:s}", GNX_F_SOURCE, c->ev_ok[i] ? json_string("papi") : json_null(),
                  "scope", "per worker thread; per run the sum over workers");
    if (!c->ev_ok[i]) {
      json_object_set_new(e, GNX_F_REASON, json_string(c->ev_reason[i]));
    }
    json_object_set_new(list, c->events[i], e);
    cyc |= c->ev_ok[i] && gnx__event_is(c->events[i], "PAPI_TOT_CYC");
    ins |= c->ev_ok[i] && gnx__event_is(c->events[i], "PAPI_TOT_INS");
  }
  json_t *ipc = json_pack("{s:o}", GNX_F_SOURCE, cyc && ins ? json_string("derived") : json_null());
  if (!(cyc && ins)) {
    json_object_set_new(ipc, GNX_F_REASON,
                        json_string("needs PAPI_TOT_INS and PAPI_TOT_CYC, which are unavailable"));
  }
  json_object_set_new(list, GNX_F_IPC, ipc);
  return o;
}

json_t *gnx_report_pinning_new(const struct gnx_pin_plan *p) {
  json_t *plan = json_array(), *lplan = json_array();
  for (int i = 0; i < p->n; i++) {
    json_array_append_new(plan, json_integer(p->os[i]));
    json_array_append_new(lplan, json_integer(p->logical[i]));
  }
  return json_pack("{s:s, s:o, s:o, s:s}", GNX_F_POLICY, gnx_pin_policy_name(p->policy), GNX_F_CPUS,
                   plan, "logical_pus", lplan, GNX_F_RULE, "worker i runs on cpus[i mod len]");
}

/* Per-stage totals from one repetition's trace. */
static json_t *gnx__stages_json(const struct gnx_rep_facts *r) {
  const struct gnx_trace *t = r->trace;
  json_t *stages = json_array();
  for (unsigned s = 0; s < r->n_names; s++) {
    uint64_t sum[GNX_SPAN__COUNT] = {0}, items = 0, nworkers = 0;
    for (uint32_t w = 0; w < t->n_workers; w++) {
      const struct gnx_trace_worker *tw = t->workers[w];
      int touched = 0;
      if (tw->stage == GNX_ROLE_TRANSPORT) {
        continue; /* it serves no stage: its waits are the transport's (below) */
      }
      for (uint32_t i = 0; i < tw->len; i++) {
        const struct gnx_span *sp = &tw->spans[i];
        if (sp->stage != s || sp->kind >= GNX_SPAN__COUNT || sp->kind == GNX_SPAN_COPY) {
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
    json_array_append_new(stages, json_pack("{s:i, s:s, s:I, s:I, s:f, s:f, s:f, s:f}", GNX_F_STAGE,
                                            (int)s, GNX_F_NAME, r->names[s], GNX_F_WORKERS,
                                            (json_int_t)nworkers, GNX_F_ITEMS, (json_int_t)items,
                                            GNX_F_EXEC_S, sum[GNX_SPAN_EXEC] / 1e9, GNX_F_WAIT_IN_S,
                                            sum[GNX_SPAN_WAIT_IN] / 1e9, GNX_F_WAIT_OUT_S,
                                            sum[GNX_SPAN_WAIT_OUT] / 1e9, GNX_F_WAIT_LOCK_S,
                                            sum[GNX_SPAN_WAIT_LOCK] / 1e9));
  }
  return stages;
}

/* Moving items between processes: every worker's copy spans, and the
 * waits of the workers that do nothing else (subproc's ring writer). */
static json_t *gnx__transport_json(const struct gnx_rep_facts *r) {
  uint64_t copy = 0, wait = 0;
  unsigned movers = 0;
  for (uint32_t w = 0; w < r->trace->n_workers; w++) {
    const struct gnx_trace_worker *tw = r->trace->workers[w];
    movers += tw->stage == GNX_ROLE_TRANSPORT;
    for (uint32_t i = 0; i < tw->len; i++) {
      const struct gnx_span *sp = &tw->spans[i];
      if (sp->kind == GNX_SPAN_COPY) {
        copy += sp->t1 - sp->t0;
      } else if (tw->stage == GNX_ROLE_TRANSPORT) {
        wait += sp->t1 - sp->t0;
      }
    }
  }
  return json_pack("{s:f, s:f, s:i}", "copy_s", copy / 1e9, "wait_s", wait / 1e9, "workers",
                   (int)movers);
}

/* Per-worker facts from one repetition's trace. */
static json_t *gnx__workers_json(const struct gnx_rep_facts *r) {
  json_t *workers = json_array();
  for (uint32_t w = 0; w < r->trace->n_workers; w++) {
    const struct gnx_trace_worker *tw = r->trace->workers[w];
    json_t *wo = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:I, s:I}", GNX_F_NAME, tw->name,
                           GNX_F_PID, tw->pid, GNX_F_TID, tw->tid, GNX_F_STAGE, tw->stage,
                           GNX_F_CPU_BEGIN, tw->cpu_begin, GNX_F_CPU_END, tw->cpu_end, "spans",
                           (json_int_t)tw->len, "dropped", (json_int_t)tw->dropped);
    gnx__worker_extra(wo, tw, r);
    json_array_append_new(workers, wo);
  }
  return workers;
}

json_t *gnx_report_rep_new(const struct gnx_rep_facts *r) {
  json_t *stages = gnx__stages_json(r);
  json_t *rep =
      json_pack("{s:b, s:f, s:f, s:f, s:f, s:I, s:s, s:I, s:I, s:I, s:I, s:o, s:o}", GNX_F_OK,
                r->ok, GNX_F_WALL_S, r->wall_s, GNX_F_STARTUP_S, r->startup_s, "user_s", r->user_s,
                "sys_s", r->sys_s, "maxrss_kb", (json_int_t)r->maxrss_kb, "maxrss_source",
                r->maxrss_source ? r->maxrss_source : "none", "nvcsw", (json_int_t)r->nvcsw,
                "nivcsw", (json_int_t)r->nivcsw, GNX_F_MINFLT, (json_int_t)r->minflt, "majflt",
                (json_int_t)r->majflt, GNX_F_STAGES, stages, GNX_F_WORKERS, gnx__workers_json(r));
  if (rep) {
    json_object_set_new(rep, "transport", gnx__transport_json(r));
  }
  if (r->counters_on && rep) {
    json_object_set_new(rep, GNX_F_COUNTERS, gnx__rep_counters(r));
  }
  return rep;
}

/* ---- cells ------------------------------------------------------------------ */

int gnx_report_median_rep(const struct gnx_rep_outcome *reps, size_t n) {
  size_t idx[GNX_REPORT_MAX_REPS], k = 0;
  for (size_t r = 0; r < n && k < GNX_REPORT_MAX_REPS; r++) {
    if (reps[r].rc == 0) {
      idx[k++] = r;
    }
  }
  if (k == 0) {
    return -1;
  }
  /* order the good repetitions by wall time; take the lower median */
  for (size_t i = 1; i < k; i++) {
    for (size_t j = i; j > 0 && reps[idx[j]].wall_s < reps[idx[j - 1]].wall_s; j--) {
      size_t t = idx[j];
      idx[j] = idx[j - 1];
      idx[j - 1] = t;
    }
  }
  return (int)idx[(k - 1) / 2];
}

/* idx[i] is the repetition sample i came from, so outliers name it. */
static json_t *gnx__stats_json(const double *x, const size_t *idx, size_t n, double level) {
  if (n == 0) {
    return json_null();
  }
  struct gnx_stats s;
  gnx_stats_compute_at(x, n, level, &s);
  unsigned char flag[GNX_REPORT_MAX_REPS];
  gnx_stats_outliers(x, n, flag);
  json_t *out = json_array();
  for (size_t i = 0; i < n; i++) {
    if (flag[i]) {
      json_array_append_new(out, json_integer((json_int_t)idx[i]));
    }
  }
  return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:b}", GNX_F_N,
                   (json_int_t)s.n, GNX_F_MEDIAN, s.median, GNX_F_LO, s.lo, GNX_F_HI, s.hi,
                   GNX_F_LEVEL, s.level, "min", s.min, "max", s.max, "mean", s.mean, GNX_F_CV, s.cv,
                   "mad", s.mad, GNX_F_OUTLIERS, out, GNX_F_NOISY, s.cv > GNX_STATS_NOISY_CV);
}

/* The report's warning when a cell is too noisy to trust, or NULL, from
 * the wall statistics gnx__stats_json made (its outliers are repetition
 * indexes). */
static json_t *gnx__noise_warning(const json_t *wall) {
  if (!gnx_jbool(wall, GNX_F_NOISY, 0)) {
    return NULL;
  }
  const json_t *out = json_object_get(wall, GNX_F_OUTLIERS);
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
           gnx_jnum(wall, GNX_F_CV, 0) * 100, GNX_STATS_NOISY_CV * 100, outl);
  return json_string(msg);
}

/* The cell's options: the workload's, then the engine's (each given or
 * defaulted value). */
static json_t *gnx__options_json(const struct gnx_params *const *p, size_t n) {
  json_t *o = json_object();
  for (size_t k = 0; k < n; k++) {
    for (size_t i = 0; i < p[k]->count; i++) {
      if (p[k]->v[i].value) {
        json_object_set_new(o, p[k]->v[i].opt->name, json_string(p[k]->v[i].value));
      }
    }
  }
  return o;
}

/* What the workload's own check said of serial's result. */
static json_t *gnx__check_json(const struct gnx_cell_facts *c) {
  if (!c->checked) {
    return json_pack("{s:s}", GNX_F_STATUS, c->reference ? "none" : "not run");
  }
  json_t *check = c->check_detail ? json_deep_copy(c->check_detail) : json_object();
  json_object_set_new(check, GNX_F_STATUS, json_string(c->check_rc == 0 ? "pass" : "fail"));
  if (c->check_rc < 0 && c->check_rc != GNX_EVERIFY) {
    json_object_set_new(check, GNX_F_ERROR, json_string(gnx_strerror(c->check_rc)));
  }
  return check;
}

/* The samples of a cell: good walls, and per repetition the speedup
 * against serial's repetition of the same round. */
struct gnx__samples {
  double walls[GNX_REPORT_MAX_REPS], ratios[GNX_REPORT_MAX_REPS];
  size_t nw, nr, widx[GNX_REPORT_MAX_REPS], ridx[GNX_REPORT_MAX_REPS];
  int equal, ran;
  const json_t *summary; /* the first good repetition's result */
};

static void gnx__samples(const struct gnx_cell_facts *c, struct gnx__samples *s) {
  memset(s, 0, sizeof *s);
  s->equal = c->reference != NULL;
  for (size_t r = 0; r < c->n_reps && r < GNX_REPORT_MAX_REPS; r++) {
    const struct gnx_rep_outcome *rep = &c->reps[r];
    s->ran |= rep->json != NULL;
    if (rep->rc != 0) {
      continue;
    }
    s->summary = s->summary ? s->summary : rep->summary;
    s->equal &= c->reference && rep->summary && json_equal(rep->summary, c->reference);
    s->widx[s->nw] = r;
    s->walls[s->nw++] = rep->wall_s;
    /* speedup per repetition: serial and this engine ran side by side */
    const struct gnx_rep_outcome *base = &c->serial[r];
    if (base->rc == 0 && rep->wall_s > 0) {
      s->ridx[s->nr] = r;
      s->ratios[s->nr++] = base->wall_s / rep->wall_s;
    }
  }
}

static json_t *gnx__error_json(const struct gnx_cell_facts *c, const struct gnx__samples *s) {
  if (c->failed) {
    return json_string(c->failmsg);
  }
  if (s->ran && !s->equal) {
    return json_string(c->reference ? "result differs from the serial engine's result"
                                     : "no serial result to compare with");
  }
  if (s->ran && c->checked && c->check_rc != 0) {
    return json_string("result differs from the workload's reference");
  }
  return json_null();
}

json_t *gnx_report_cell_new(const struct gnx_cell_facts *c) {
  struct gnx__samples s;
  gnx__samples(c, &s);
  int check_ok = !c->checked || c->check_rc == 0;
  const char *status = c->failed ? (c->failed == GNX_ESTOPPED ? "interrupted" : "failed")
                                 : (s.ran ? "ok" : "not run");
  double level = c->level > 0 ? c->level : GNX_STATS_LEVEL;
  json_t *reps = json_array();
  for (size_t r = 0; r < c->n_reps; r++) {
    if (c->reps[r].json) {
      json_array_append(reps, c->reps[r].json);
    }
  }
  json_t *cell = json_pack(
      "{s:s, s:I, s:s, s:I, s:o, s:s, s:o, s:b, s:{s:b, s:o}, s:O, s:o, s:{s:o, s:o}, s:o}",
      GNX_F_WORKLOAD, c->workload, GNX_F_SIZE, (json_int_t)c->size, GNX_F_ENGINE, c->engine,
      GNX_F_ITEMS, (json_int_t)c->items, GNX_F_OPTIONS, gnx__options_json(c->params, 2),
      GNX_F_STATUS, status, GNX_F_ERROR, gnx__error_json(c, &s), GNX_F_VERIFIED,
      !c->failed && s.ran && s.equal && check_ok, "verification", "equal_to_serial",
      s.equal && s.ran, "reference", gnx__check_json(c), "summary",
      s.summary ? (json_t *)s.summary : json_null(), GNX_F_REPS, reps, GNX_F_STATS, GNX_F_WALL_S,
      gnx__stats_json(s.walls, s.widx, s.nw, level), GNX_F_SPEEDUP,
      gnx__stats_json(s.ratios, s.ridx, s.nr, level), GNX_F_TRACE,
      c->trace_file
          ? json_pack("{s:s, s:I}", GNX_F_FILE, c->trace_file, GNX_F_REP, (json_int_t)c->trace_rep)
          : json_null());
  json_t *noise =
      gnx__noise_warning(json_object_get(json_object_get(cell, GNX_F_STATS), GNX_F_WALL_S));
  if (noise) {
    json_object_set_new(cell, GNX_F_WARNINGS, json_pack("[o]", noise));
  }
  if (c->calibration_reps) {
    json_object_set_new(cell, GNX_F_ADAPTIVE,
                        json_pack("{s:I, s:I, s:f}", GNX_F_CALIBRATION_REPS,
                                  (json_int_t)c->calibration_reps, GNX_F_EXTRA_REPS,
                                  (json_int_t)(c->n_reps > c->calibration_reps
                                                   ? c->n_reps - c->calibration_reps
                                                   : 0),
                                  GNX_F_INTERVAL_LEVEL, level));
  }
  return cell;
}
