/* SPDX-License-Identifier: MIT */
/* reports/summary.c: summary.md (the performance report people read),
 * speedup.csv (the same numbers for scripts), and gnx_report_render, the
 * one code path that makes every derived output.
 *
 * Both files depend only on report.json and the traces beside it: no
 * clock, no directory name, no host lookup. So the end of a run and any
 * later `gnxbench report DIR` write them byte for byte the same. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gnx/err.h"
#include "core/strbuf.h"
#include "reports/analysis.h"
#include "reports/charts.h"
#include "reports/report.h"
#include "reports/schema.h"

/* The (workload, size) groups, in report order. */
struct gnx__group {
  const char *workload;
  uint64_t size, items;
};

static size_t gnx__groups(const struct gnx_analysis *a, struct gnx__group *g, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < a->n; i++) {
    int seen = 0;
    for (size_t k = 0; k < n; k++) {
      seen |= strcmp(g[k].workload, a->cells[i].workload) == 0 && g[k].size == a->cells[i].size;
    }
    if (!seen && n < max) {
      g[n++] = (struct gnx__group){a->cells[i].workload, a->cells[i].size, a->cells[i].items};
    }
  }
  return n;
}

static const char *gnx__status_text(const char *st) {
  if (strcmp(st, "starved") == 0) {
    return "waiting: starved";
  }
  if (strcmp(st, "blocked") == 0) {
    return "waiting: blocked";
  }
  if (strcmp(st, "lock") == 0) {
    return "waiting: lock";
  }
  return st;
}

static const char *gnx__bottleneck(const struct gnx_cell_an *c) {
  return c->bottleneck >= 0 ? c->stages[c->bottleneck].name : "-";
}

static void gnx__interval(char *buf, size_t len, const struct gnx_est *e) {
  char m[24], lo[24], hi[24];
  gnx_fmt_time(m, sizeof m, e->median);
  if (isnan(e->lo)) {
    snprintf(buf, len, "%s", m);
    return;
  }
  gnx_fmt_time(lo, sizeof lo, e->lo);
  gnx_fmt_time(hi, sizeof hi, e->hi);
  snprintf(buf, len, "%s [%s, %s]", m, lo, hi);
}

/* ---- recommendation ------------------------------------------------------ */

void gnx_reco_choice(const struct gnx_reco *r, char *buf, size_t len) {
  struct gnx_sb sb;
  gnx_sb_init(&sb, buf, len);
  gnx_sb_printf(&sb, "%s", r->best ? r->best->engine : "none");
  for (unsigned t = 0; r->best && t < r->n_tied; t++) {
    gnx_sb_printf(&sb, "%s%s", t + 1 == r->n_tied ? " or " : ", ", r->tied[t]->engine);
  }
  if (r->best && r->n_tied) {
    gnx_sb_printf(&sb, r->equivalent ? " (equivalent within 5 %%)" : " (a tie)");
  }
}

void gnx_reco_write(FILE *f, const struct gnx_analysis *a, int markdown) {
  struct gnx__group g[256];
  size_t ng = gnx__groups(a, g, 256);
  for (size_t k = 0; k < ng; k++) {
    struct gnx_reco r;
    gnx_reco_make(a, g[k].workload, g[k].size, &r);
    char choice[256];
    gnx_reco_choice(&r, choice, sizeof choice);
    if (markdown) {
      fprintf(f, "- **%s, n=%llu: %s.** %s.  \n  Next: %s.\n", g[k].workload,
              (unsigned long long)g[k].size, choice, r.why, r.next);
    } else {
      fprintf(f, "%s, n=%llu: %s\n  why:  %s.\n  next: %s.\n", g[k].workload,
              (unsigned long long)g[k].size, choice, r.why, r.next);
    }
  }
}

/* What a strategy costs for its speed: CPU time, user + sys (median). */
static double gnx__cpu_s(const struct gnx_cell_an *c) {
  return gnx_cell_rep_median(c->cell, NULL, GNX_F_USER_S) +
         gnx_cell_rep_median(c->cell, NULL, GNX_F_SYS_S);
}

/* "110.9 ms (+6 %)": the model's prediction and its error, or "-". */
static void gnx__pred_text(char *buf, size_t len, const struct gnx_cell_an *c) {
  const json_t *p = json_object_get(c->cell, GNX_F_PREDICTION);
  double w = gnx_jnum(p, GNX_F_WALL_S, NAN), e = gnx_jnum(p, GNX_F_ERROR, NAN);
  char t[32];
  gnx_fmt_time(t, sizeof t, w);
  if (isnan(e)) {
    snprintf(buf, len, "%s", t);
  } else {
    snprintf(buf, len, "%s (%+.0f %%)", t, e * 100);
  }
}

/* The heaviest stage of serial's run and its share of the work, the usual
 * reason a tuned pipeline gives one stage more workers. */
static void gnx__heaviest(const struct gnx_analysis *a, const struct gnx_cell_an *c, char *buf,
                          size_t len) {
  const struct gnx_cell_an *s = gnx_analysis_serial(a, c);
  buf[0] = '\0';
  double total = 0, best = -1;
  int k = -1;
  for (unsigned i = 0; s && i < s->n_stages; i++) {
    total += s->stages[i].exec_s;
    if (s->stages[i].exec_s > best) {
      best = s->stages[i].exec_s;
      k = (int)i;
    }
  }
  if (k >= 0 && total > 0) {
    snprintf(buf, len, "%s is %.0f %% of the work", s->stages[k].name, best / total * 100);
  }
}

/* One sentence per tuned engine: what the model chose, why, and what it
 * predicted against the start of its climb. */
static void gnx__tuning_list(FILE *f, const struct gnx_analysis *a, const struct gnx__group *g) {
  int any = 0;
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    const json_t *t = json_object_get(c->cell, GNX_F_TUNING);
    if (!t || strcmp(c->workload, g->workload) != 0 || c->size != g->size) {
      continue;
    }
    if (!any) {
      fprintf(f, "**Tuning** (every auto option chosen on the engine's model from serial's "
                 "profile before the engine ran; docs/model.md):\n\n");
      any = 1;
    }
    char cfg[512] = "", why[96], a0[32], a1[32];
    struct gnx_sb sb;
    gnx_sb_init(&sb, cfg, sizeof cfg);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(t, GNX_F_OPTIONS), k, v) {
      gnx_sb_printf(&sb, "%s%s %s", sb.len ? ", " : "", k, json_string_value(v));
    }
    const json_t *steps = json_object_get(t, "steps");
    gnx_fmt_time(a0, sizeof a0, gnx_jnum(json_array_get(steps, 0), GNX_F_WALL_S, NAN));
    gnx_fmt_time(a1, sizeof a1, gnx_jnum(t, GNX_F_WALL_S, NAN));
    gnx__heaviest(a, c, why, sizeof why);
    if (!sb.len) { /* nothing was chosen: the model only predicted */
      fprintf(f, "- **%s**: %s%s%s; predicted %s.\n", c->engine,
              gnx_jstr(t, GNX_F_STOP, "nothing to tune"), why[0] ? "; " : "", why, a1);
      continue;
    }
    fprintf(f, "- **%s**: %s%s%s; predicted %s, against %s at the climb's start (one worker "
               "each, buffers at their floors); %zu step%s, then %s.\n",
            c->engine, cfg, why[0] ? ": " : "", why, a1, a0,
            json_array_size(steps) ? json_array_size(steps) - 1 : 0,
            json_array_size(steps) == 2 ? "" : "s", gnx_jstr(t, GNX_F_STOP, "it stopped"));
  }
  if (any) {
    fprintf(f, "\n");
  }
}

/* ---- speedup.csv ------------------------------------------------------------ */

static void gnx__csv_num(FILE *f, double x, const char *fmt) {
  fputc(',', f);
  if (!isnan(x)) {
    fprintf(f, fmt, x);
  }
}

int gnx_csv_write(const struct gnx_analysis *a, const char *dir, char *why, size_t len) {
  char path[4096], tmp[4200];
  snprintf(path, sizeof path, "%s/speedup.csv", dir);
  snprintf(tmp, sizeof tmp, "%s/.speedup.csv.%d", dir, (int)getpid());
  FILE *f = fopen(tmp, "we");
  if (!f) {
    int e = errno;
    snprintf(why, len, "cannot write %s: %s", path, strerror(e));
    return -e;
  }
  fprintf(f, "workload,size,engine,status,verified,reps,wall_median_s,wall_lo_s,wall_hi_s,"
             "interval_level,speedup_median,speedup_lo,speedup_hi,startup_s,total_median_s,"
             "bound_s,efficiency,bottleneck,wait_share,predicted_s,prediction_error,cpu_s,"
             "maxrss_kb\n");
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    fprintf(f, "%s,%llu,%s,%s,%s,%u", c->workload, (unsigned long long)c->size, c->engine,
            c->status, c->verified ? "yes" : "no", c->reps_ok);
    gnx__csv_num(f, c->wall.median, "%.6f");
    gnx__csv_num(f, c->wall.lo, "%.6f");
    gnx__csv_num(f, c->wall.hi, "%.6f");
    gnx__csv_num(f, c->wall.level, "%.3f");
    gnx__csv_num(f, c->speedup.median, "%.4f");
    gnx__csv_num(f, c->speedup.lo, "%.4f");
    gnx__csv_num(f, c->speedup.hi, "%.4f");
    gnx__csv_num(f, c->startup_s, "%.6f");
    gnx__csv_num(f, c->total.median, "%.6f");
    gnx__csv_num(f, c->bound_s, "%.6f");
    gnx__csv_num(f, c->efficiency, "%.4f");
    fprintf(f, ",%s", c->bottleneck >= 0 ? c->stages[c->bottleneck].name : "");
    gnx__csv_num(f, c->wait_share, "%.4f");
    const json_t *pred = json_object_get(c->cell, GNX_F_PREDICTION);
    gnx__csv_num(f, gnx_jnum(pred, GNX_F_WALL_S, NAN), "%.6f");
    gnx__csv_num(f, gnx_jnum(pred, GNX_F_ERROR, NAN), "%.4f");
    gnx__csv_num(f, gnx__cpu_s(c), "%.6f");
    gnx__csv_num(f, gnx_cell_rep_median(c->cell, NULL, GNX_F_MAXRSS_KB), "%.0f");
    fputc('\n', f);
  }
  int werr = ferror(f);
  if (fclose(f) != 0 || werr || rename(tmp, path) < 0) {
    int e = errno ? errno : EIO;
    unlink(tmp);
    snprintf(why, len, "cannot write %s: %s", path, strerror(e));
    return -e;
  }
  return 0;
}

/* ---- summary.md ------------------------------------------------------------- */

/* The machine constants the models use, and what tracing costs: the per-
 * span cost measured at start-up times the spans of the most traced
 * repetition, as a share of its wall. */
static void gnx__model_rows(FILE *f, const json_t *report) {
  const json_t *m = json_object_get(json_object_get(report, GNX_F_CONTEXT), GNX_F_MACHINE);
  if (!m) {
    return;
  }
  double span_ns = gnx_jnum(m, "span_ns", NAN);
  fprintf(f, "| model constants | hand-off %.1f us, fork %.0f us, copy %.1f GB/s, page fault %.2f "
             "us (measured at start-up; docs/model.md) |\n",
          gnx_jnum(m, "handoff_us", NAN), gnx_jnum(m, "fork_us", NAN), gnx_jnum(m, "copy_gbps", NAN),
          gnx_jnum(m, "page_fault_us", NAN));
  double worst = -1;
  long long worst_spans = 0;
  const json_t *worst_cell = NULL;
  size_t i, r;
  json_t *c, *rep;
  json_array_foreach(json_object_get(report, GNX_F_RESULTS), i, c) {
    json_array_foreach(json_object_get(c, GNX_F_REPS), r, rep) {
      long long spans = 0;
      size_t k;
      json_t *w;
      json_array_foreach(json_object_get(rep, GNX_F_WORKERS), k, w) {
        spans += gnx_jint(w, "spans", 0);
      }
      double wall = gnx_jnum(rep, GNX_F_WALL_S, 0);
      double share = wall > 0 ? (double)spans * span_ns * 1e-9 / wall : 0;
      if (share > worst) {
        worst = share;
        worst_spans = spans;
        worst_cell = c;
      }
    }
  }
  if (worst_cell && !isnan(span_ns)) {
    fprintf(f, "| tracer | %.0f ns per span; the most traced repetition, %s n=%lld %s, recorded "
               "%lld spans: %.2f %% of its wall |\n",
            span_ns, gnx_jstr(worst_cell, GNX_F_WORKLOAD, "?"),
            (long long)gnx_jint(worst_cell, GNX_F_SIZE, 0), gnx_jstr(worst_cell, GNX_F_ENGINE, "?"),
            worst_spans, worst * 100);
  }
}

static void gnx__context(FILE *f, const json_t *report) {
  const json_t *ctx = json_object_get(report, GNX_F_CONTEXT);
  const json_t *cfg = json_object_get(report, GNX_F_CONFIG);
  const json_t *topo = json_object_get(ctx, GNX_F_TOPOLOGY);
  fprintf(f, "## Context\n\n| | |\n|---|---|\n");
  fprintf(f, "| machine | `%s`: %s, %s, Linux %s |\n", gnx_jstr(ctx, GNX_F_HOST, "?"),
          gnx_jstr(ctx, GNX_F_CPU_MODEL, "?"), gnx_jstr(ctx, GNX_F_ARCH, "?"),
          gnx_jstr(ctx, GNX_F_KERNEL, "?"));
  long long pk = gnx_jint(topo, GNX_F_PACKAGES, -1), co = gnx_jint(topo, GNX_F_CORES, -1),
            pu = gnx_jint(topo, GNX_F_PUS, -1), nu = gnx_jint(topo, GNX_F_NUMA_NODES, -1);
  fprintf(f, "| topology | ");
  if (pk > 0) {
    fprintf(f, "%lld package%s, ", pk, pk == 1 ? "" : "s");
  }
  if (co > 0) {
    fprintf(f, "%lld core%s, ", co, co == 1 ? "" : "s");
  }
  fprintf(f, "%lld PU%s", pu, pu == 1 ? "" : "s");
  if (nu > 0) {
    fprintf(f, ", %lld NUMA node%s", nu, nu == 1 ? "" : "s");
  }
  fprintf(f, " (%s); **%lld CPUs allowed** to this run: the cores of every bound |\n",
          gnx_jstr(topo, GNX_F_SOURCE, "?"), gnx_jint(ctx, GNX_F_CPUS_ALLOWED, 1));
  fprintf(f, "| build | gnxbench %s, git %s, %s build, %s `%s` |\n",
          gnx_jstr(ctx, GNX_F_VERSION, "?"), gnx_jstr(ctx, GNX_F_GIT_REVISION, "?"),
          gnx_jstr(ctx, GNX_F_BUILD_TYPE, "?"), gnx_jstr(ctx, GNX_F_COMPILER, "?"),
          gnx_jstr(ctx, GNX_F_CFLAGS, ""));
  fprintf(f, "| features | ");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(ctx, GNX_F_FEATURES), i, v) {
    fprintf(f, "%s%s", i ? ", " : "", json_string_value(v));
  }
  if (json_array_size(json_object_get(ctx, GNX_F_FEATURES)) == 0) {
    fprintf(f, "none");
  }
  fprintf(f, " |\n| command | `");
  json_array_foreach(json_object_get(ctx, GNX_F_COMMAND_LINE), i, v) {
    const char *arg = json_string_value(v);
    if (i == 0 && arg && strrchr(arg, '/')) {
      arg = strrchr(arg, '/') + 1; /* the binary's name, not where it was built */
    }
    fprintf(f, "%s%s", i ? " " : "", arg ? arg : "?");
  }
  fprintf(f, "` |\n| date | %s |\n", gnx_jstr(ctx, GNX_F_DATE, "?"));
  fprintf(f,
          "| method | %lld measured repetitions per engine after %lld warm-up, engines "
          "interleaved so that drift hits all alike |\n",
          gnx_jint(cfg, GNX_F_REPS, 0), gnx_jint(cfg, GNX_F_WARMUP, 0));
  json_array_foreach(json_object_get(cfg, GNX_F_SKIPPED_ENGINES), i, v) {
    fprintf(f, "| skipped | %s: %s |\n", gnx_jstr(v, GNX_F_ENGINE, "?"),
            gnx_jstr(v, GNX_F_REASON, "?"));
  }
  gnx_counters_md_context(f, report);
  gnx__model_rows(f, report);
  fprintf(f, "\n");
}

static void gnx__stage_table(FILE *f, const struct gnx_cell_an *c) {
  fprintf(f, "| stage | workers | items | exec total | p50 | p99 | serial cost | busy | starved "
             "(wait_in) | blocked (wait_out) | lock | status |\n"
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (unsigned s = 0; s < c->n_stages; s++) {
    const struct gnx_stage_an *S = &c->stages[s];
    char ex[32], p50[32], p99[32], ser[32], b[16], i[16], o[16], l[16];
    gnx_fmt_time(ex, sizeof ex, S->exec_s);
    gnx_fmt_time(p50, sizeof p50, S->p50_s);
    gnx_fmt_time(p99, sizeof p99, S->p99_s);
    gnx_fmt_time(ser, sizeof ser, S->serial_s);
    gnx_fmt_pct(b, sizeof b, S->busy);
    gnx_fmt_pct(i, sizeof i, S->starved);
    gnx_fmt_pct(o, sizeof o, S->blocked);
    gnx_fmt_pct(l, sizeof l, S->locked);
    fprintf(f, "| %s%s%s | %u | %llu | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
            (int)s == c->bottleneck ? "**" : "", S->name, (int)s == c->bottleneck ? "**" : "",
            S->workers, (unsigned long long)S->items, ex, p50, p99, ser, b, i, o, l,
            gnx__status_text(S->status));
  }
  fprintf(f, "\n");
}

static void gnx__worker_table(FILE *f, const struct gnx_cell_an *c) {
  fprintf(f, "| worker | pid | serves | exec | wait_in | wait_out | wait_lock | copy | done | "
             "utilization |\n"
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (unsigned k = 0; k < c->n_workers; k++) {
    const struct gnx_worker_an *w = &c->workers[k];
    char ex[32], wi[32], wo[32], wl[32], u[16];
    gnx_fmt_time(ex, sizeof ex, w->exec_s);
    gnx_fmt_time(wi, sizeof wi, w->wait_in_s);
    gnx_fmt_time(wo, sizeof wo, w->wait_out_s);
    gnx_fmt_time(wl, sizeof wl, w->wait_lock_s);
    gnx_fmt_pct(u, sizeof u, w->util);
    const char *serves = w->role >= 0 && (unsigned)w->role < c->n_stages ? c->stages[w->role].name
                         : w->role == GNX_ROLE_TRANSPORT                     ? "transport"
                                                                            : "all stages";
    char cp[32], dn[32];
    gnx_fmt_time(cp, sizeof cp, w->copy_s);
    gnx_fmt_time(dn, sizeof dn, w->done_s + w->before_s);
    fprintf(f, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", w->name, w->pid, serves,
            ex, wi, wo, wl, cp, dn, u);
  }
  fprintf(f, "\n");
}

void gnx_row_text_make(const struct gnx_cell_an *c, struct gnx_row_text *t) {
  gnx__interval(t->wall, sizeof t->wall, &c->wall);
  snprintf(t->speedup, sizeof t->speedup, "-");
  if (!isnan(c->speedup.median)) {
    snprintf(t->speedup, sizeof t->speedup, "%.2fx [%.2f, %.2f]", c->speedup.median,
             c->speedup.lo, c->speedup.hi);
  }
  gnx_fmt_time(t->startup, sizeof t->startup, c->startup_s);
  gnx_fmt_time(t->bound, sizeof t->bound, c->bound_s);
  gnx_fmt_pct(t->eff, sizeof t->eff, c->efficiency);
  gnx_fmt_pct(t->wait, sizeof t->wait, c->wait_share);
  t->alarm = !c->verified && strcmp(c->status, "ok") == 0;
  t->verified = c->verified ? "yes" : t->alarm ? "NO" : c->status;
  gnx__pred_text(t->pred, sizeof t->pred, c);
  gnx_fmt_time(t->cpu, sizeof t->cpu, gnx__cpu_s(c));
  double kb = gnx_cell_rep_median(c->cell, NULL, GNX_F_MAXRSS_KB);
  snprintf(t->rss, sizeof t->rss, "-");
  if (!isnan(kb)) {
    snprintf(t->rss, sizeof t->rss, "%.1f MB", kb / 1024);
  }
  if (c->efficiency > 1.005) {
    size_t n = strlen(t->eff);
    snprintf(t->eff + n, sizeof t->eff - n, " (beaten: see its verdict)");
  }
  t->bottleneck = gnx__bottleneck(c);
}

void gnx_verdict_line(const struct gnx_cell_an *c, char *buf, size_t len) {
  struct gnx_sb sb;
  gnx_sb_init(&sb, buf, len);
  gnx_sb_printf(&sb, "(%s): %s.", gnx_shape_name(c->shape), c->verdict);
  if (c->bound_why[0]) {
    char bd[32];
    gnx_fmt_time(bd, sizeof bd, c->bound_s);
    gnx_sb_printf(&sb, " Bound %s = %s.", bd, c->bound_why);
  }
  const char *err = gnx_jstr(c->cell, GNX_F_ERROR, NULL);
  if (err) {
    gnx_sb_printf(&sb, " Error: %s.", err);
  }
}

/* A chart's Markdown image link, after its heading (NULL: none), when
 * gnuplot drew its PNG. */
static void gnx__chart_link(FILE *f, const char *dir, const char *base, const char *alt,
                            const char *heading) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.png", dir, base);
  if (access(path, R_OK) == 0) {
    fprintf(f, "%s![%s](%s.png)\n\n", heading ? heading : "", alt, base);
  }
}

/* Right under the recommendation: the speedup of each workload by size. */
static void gnx__speedup_links(FILE *f, const struct gnx_analysis *a, const char *dir) {
  for (size_t i = 0; i < a->n; i++) {
    if (!gnx_cell_opens(a, i, 0)) {
      continue;
    }
    char base[160], alt[200];
    snprintf(base, sizeof base, "speedup-%s", a->cells[i].workload);
    snprintf(alt, sizeof alt, "speedup against size: %s", a->cells[i].workload);
    gnx__chart_link(f, dir, base, alt, NULL);
  }
}

/* Beside a group's table: its engines' time, split by what the workers did. */
static void gnx__breakdown_link(FILE *f, const struct gnx__group *g, const char *dir) {
  char base[200], alt[200];
  snprintf(base, sizeof base, "breakdown-%s-%llu", g->workload, (unsigned long long)g->size);
  snprintf(alt, sizeof alt, "where the time went: %s, n=%llu", g->workload,
           (unsigned long long)g->size);
  gnx__chart_link(f, dir, base, alt,
                  "**Where the time went** (each engine's workers x wall in the median "
                  "repetition: exec green, starved orange, blocked blue, lock purple, copy brown, "
                  "done grey, untraced white):\n\n");
}

static void gnx__group_section(FILE *f, const struct gnx_analysis *a, const struct gnx__group *g,
                               const char *dir) {
  fprintf(f, "## %s, n=%llu (%llu items)\n\n", g->workload, (unsigned long long)g->size,
          (unsigned long long)g->items);
  fprintf(f, "| engine | median wall [interval] | speedup [interval] | start-up | bound | "
             "efficiency | predicted (error) | CPU | peak RSS | bottleneck | waiting | "
             "verified |\n"
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|\n");
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (strcmp(c->workload, g->workload) != 0 || c->size != g->size) {
      continue;
    }
    struct gnx_row_text t;
    gnx_row_text_make(c, &t);
    fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s%s%s |\n", c->engine,
            t.wall, t.speedup, t.startup, t.bound, t.eff, t.pred, t.cpu, t.rss, t.bottleneck,
            t.wait, t.alarm ? "**" : "", t.verified, t.alarm ? "**" : "");
  }
  char note[512];
  gnx_interval_note(note, sizeof note, a, g->workload, g->size);
  fprintf(f, "\n%c%s.\n", note[0] - 'a' + 'A', note + 1);
  /* cells too noisy to trust, with what to do (the harness's words) */
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (strcmp(c->workload, g->workload) != 0 || c->size != g->size) {
      continue;
    }
    json_t *warns = json_object_get(c->cell, GNX_F_WARNINGS);
    for (size_t k = 0; k < json_array_size(warns); k++) {
      fprintf(f, "\n**Warning** (%s): %s.\n", c->engine,
              json_string_value(json_array_get(warns, k)));
    }
  }
  fprintf(f, "\n");
  gnx__breakdown_link(f, g, dir);
  gnx__tuning_list(f, a, g);
  fprintf(f, "**Verdicts** (the bottleneck and its evidence, from the median repetition):\n\n");
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (strcmp(c->workload, g->workload) != 0 || c->size != g->size) {
      continue;
    }
    char line[1536];
    gnx_verdict_line(c, line, sizeof line);
    fprintf(f, "- **%s** %s\n", c->engine, line);
  }
  fprintf(f, "\n");
  gnx_counters_md_table(f, a, g->workload, g->size);
  int any = 0;
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (strcmp(c->workload, g->workload) != 0 || c->size != g->size) {
      continue;
    }
    char png[512], path[4096];
    snprintf(png, sizeof png, "gantt-%s-%llu-%s.png", c->workload, (unsigned long long)c->size,
             c->engine);
    snprintf(path, sizeof path, "%s/%s", dir, png);
    if (access(path, R_OK) != 0) {
      continue;
    }
    if (!any) {
      fprintf(f, "**Gantt charts** of the median repetition (one row per worker; green exec, "
                 "orange starved, blue blocked, purple lock, brown copy, grey done; the SVG, .dat and "
                 ".gp files lie "
                 "beside each PNG):\n\n");
      any = 1;
    }
    fprintf(f, "![%s, n=%llu, %s](%s)\n\n", c->workload, (unsigned long long)c->size, c->engine,
            png);
  }
  fprintf(f, "<details><summary>Per-stage and per-worker figures</summary>\n\n");
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (strcmp(c->workload, g->workload) != 0 || c->size != g->size) {
      continue;
    }
    fprintf(f, "#### %s, n=%llu, %s\n\n", c->workload, (unsigned long long)c->size, c->engine);
    if (c->rep < 0) {
      fprintf(f, "No successful repetition.\n\n");
      continue;
    }
    char rw[32];
    gnx_fmt_time(rw, sizeof rw, c->rep_wall_s);
    fprintf(f, "Repetition %d of %u (wall %s)", c->rep + 1, c->reps, rw);
    if (c->trace_file[0]) {
      fprintf(f, "; trace: [%s](%s) (Perfetto, chrome://tracing, speedscope)", c->trace_file,
              c->trace_file);
    }
    fprintf(f, ".\n\n");
    gnx__stage_table(f, c);
    if (c->have_trace) {
      gnx__worker_table(f, c);
    } else if (c->trace_why[0]) {
      fprintf(f, "No per-worker figures: %s.\n\n", c->trace_why);
    }
    gnx_counters_md_workers(f, c);
  }
  fprintf(f, "</details>\n\n");
}

int gnx_summary_write(const struct gnx_analysis *a, const char *dir,
                      const struct gnx_render_status *st, char *why, size_t len) {
  char path[4096], tmp[4200];
  snprintf(path, sizeof path, "%s/summary.md", dir);
  snprintf(tmp, sizeof tmp, "%s/.summary.md.%d", dir, (int)getpid());
  FILE *f = fopen(tmp, "we");
  if (!f) {
    int e = errno;
    snprintf(why, len, "cannot write %s: %s", path, strerror(e));
    return -e;
  }
  const json_t *report = a->report;
  const json_t *cfg = json_object_get(report, GNX_F_CONFIG);
  struct gnx__group g[256];
  size_t ng = gnx__groups(a, g, 256);

  fprintf(f, "# gnxbench: which parallel strategy, and why\n\n");
  fprintf(f, "Workloads ");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(cfg, GNX_F_WORKLOADS), i, v) {
    fprintf(f, "%s%s", i ? ", " : "", json_string_value(v));
  }
  fprintf(f, " at n = ");
  json_array_foreach(json_object_get(cfg, GNX_F_SIZES), i, v) {
    fprintf(f, "%s%lld", i ? ", " : "", (long long)json_integer_value(v));
  }
  fprintf(f, "; engines ");
  json_array_foreach(json_object_get(cfg, GNX_F_ENGINES), i, v) {
    fprintf(f, "%s%s", i ? ", " : "", json_string_value(v));
  }
  fprintf(f, ". Every engine's result is compared with serial's; speedups are medians of "
             "per-repetition ratios against serial. report.html holds this report with every "
             "chart inline.\n\n");
  const char *status = gnx_jstr(report, GNX_F_STATUS, "?");
  if (strcmp(status, "complete") != 0) {
    fprintf(f, "> **This run is %s**%s: the tables hold what was measured.\n\n", status,
            gnx_jbool(report, GNX_F_INTERRUPTED, 0) ? " (interrupted)" : "");
  }

  fprintf(f, "## Recommendation\n\n");
  gnx_reco_write(f, a, 1);
  fprintf(f, "\n");
  gnx__speedup_links(f, a, dir);

  gnx__context(f, report);

  fprintf(f, "## How to read this\n\n"
             "- **wall**: from the start barrier (every worker ready) to the last item at the "
             "sink; **start-up** (spawning workers) comes before it and is shown apart.\n"
             "- **speedup**: median over repetitions of serial's wall / the engine's wall, "
             "each pair run side by side.\n"
             "- **bound**: the fastest this strategy could be on these cores, from serial's "
             "per-stage costs: max(all stage costs / cores, the costliest group of stages / "
             "its workers) + the engine's start-up; **efficiency** = bound / (wall + start-up), "
             "1 = at the bound.\n"
             "- **bottleneck**: the stage whose workers were busiest (exec time per worker / "
             "wall), with the evidence: its upstream blocked on output, its downstream "
             "starved. \"-\" when no stage was busy half the time.\n"
             "- **waiting**: all wait spans / (workers x wall).\n"
             "- **stage code ran 1.3x slower than under serial**: the engine's exec time for "
             "the same stages against serial's, split into page faults (the extra faults the "
             "workers counted, at the measured cost of one: first touches of memory), time "
             "off CPU inside a stage "
             "(preempted: exec time minus the workers' own CPU time), and the remaining extra "
             "CPU time.\n"
             "- **counters**: medians over the repetitions, each from the source the context "
             "table names; IPC and cache misses only where the CPU has a PMU.\n"
             "- docs/reports.md defines each figure exactly.\n\n");

  if (st && st->gnuplot_missing) {
    fprintf(f, "> Charts were skipped: gnuplot was not found (install gnuplot-nox, then run "
               "`gnxbench report` on this directory).\n\n");
  }
  for (size_t k = 0; k < ng; k++) {
    gnx__group_section(f, a, &g[k], dir);
  }
  int werr = ferror(f);
  if (fclose(f) != 0 || werr || rename(tmp, path) < 0) {
    int e = errno ? errno : EIO;
    unlink(tmp);
    snprintf(why, len, "cannot write %s: %s", path, strerror(e));
    return -e;
  }
  return 0;
}

/* ---- rendering -------------------------------------------------------------- */

struct gnx__render {
  const char *dir;
  struct gnx_render_status *st;
  char why[512];
};

static int gnx__render_hook(void *arg, const struct gnx_cell_an *c, const struct gnx_tfile *t) {
  struct gnx__render *r = arg;
  if (!t) {
    if (c->trace_why[0] && !r->st->traces_unreadable++) {
      snprintf(r->st->trace_why, sizeof r->st->trace_why, "%s", c->trace_why);
    }
    return 0;
  }
  return gnx_gantt_write(r->dir, c, t, r->st, r->why, sizeof r->why);
}

int gnx_report_render(const json_t *report, const char *dir, struct gnx_render_status *st,
                      char *why, size_t len) {
  memset(st, 0, sizeof *st);
  if (json_is_object(json_object_get(report, "scenario"))) {
    return gnx_scenario_render(report, dir, st, why, len);
  }
  struct gnx__render r = {dir, st, ""};
  struct gnx_analysis a;
  int rc = gnx_analysis_build(report, dir, gnx__render_hook, &r, &a, why, len);
  if (rc < 0) {
    if (r.why[0]) {
      snprintf(why, len, "%s", r.why);
    }
    return rc;
  }
  /* the charts first: summary.md and report.html link what was drawn */
  rc = gnx_speedup_charts_write(&a, dir, st, why, len);
  if (rc == 0) {
    rc = gnx_breakdown_charts_write(&a, dir, st, why, len);
  }
  if (rc == 0) {
    rc = gnx_csv_write(&a, dir, why, len);
  }
  if (rc == 0) {
    rc = gnx_summary_write(&a, dir, st, why, len);
  }
  if (rc == 0) {
    rc = gnx_html_write(&a, dir, st, why, len);
  }
  gnx_analysis_free(&a);
  return rc;
}

int gnx_report_render_text(const json_t *report, const char *dir,
                           const struct gnx_render_status *st, char *why, size_t len) {
  struct gnx_analysis a;
  int rc = gnx_analysis_build(report, dir, NULL, NULL, &a, why, len);
  if (rc < 0) {
    return rc;
  }
  rc = gnx_summary_write(&a, dir, st, why, len);
  if (rc == 0) {
    rc = gnx_html_write(&a, dir, st, why, len);
  }
  gnx_analysis_free(&a);
  return rc;
}

int gnx_recommend_print(FILE *f, const json_t *report, char *why, size_t len) {
  struct gnx_analysis a;
  int rc = gnx_analysis_build(report, NULL, NULL, NULL, &a, why, len);
  if (rc < 0) {
    return rc;
  }
  gnx_reco_write(f, &a, 0);
  gnx_analysis_free(&a);
  return 0;
}
