/* SPDX-License-Identifier: MIT */
/* reports/breakdown.c: where the workers' time went, one chart per
 * (workload, size): a stacked bar per engine, the median repetition's
 * workers x wall split into exec, starved, blocked, lock, copy, done and
 * untraced time.
 *
 * The Gantt charts show the same time per worker and over time; this
 * chart puts the engines side by side, so "threads waits 70 % of its
 * time" reads at a glance. Per-worker totals come from the trace; without
 * one, from report.json's per-stage totals (which cannot tell done from
 * untraced time). Shares of 7 % or more carry their number. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gnx/trace.h"
#include "reports/charts.h"
#include "reports/schema.h"

/* The Gantt charts' colours (gantt.c), and white for untraced time. */
static const char *const gnx_bd_colour[GNX_BD__COUNT] = {
    "#2e8b57", "#ff8c00", "#1f77b4", "#9467bd", "#8c564b", "#c7c7c7", "#ffffff"};
static const char *const gnx_bd_title[GNX_BD__COUNT] = {
    "exec",
    "starved (wait_in)",
    "blocked (wait_out)",
    "lock (wait_lock)",
    "copy: to another process",
    "done: before first / after last span",
    "untraced: queues, bookkeeping, descheduled"};
static const char *const gnx_bd_name[GNX_BD__COUNT] = {"exec", "starved", "blocked", "lock",
                                                       "copy", "done",    "untraced"};

#define GNX_BD_LABEL_MIN 0.07 /* segments this large show their share */
#define GNX_BD_MAX_ENGINES 64

const char *gnx_bd_part_name(enum gnx_bd_part p) {
  return p < GNX_BD__COUNT ? gnx_bd_name[p] : "?";
}

/* Per worker, from the trace. */
static unsigned gnx__bd_trace(const struct gnx_cell_an *c, double *t) {
  for (unsigned k = 0; k < c->n_workers; k++) {
    const struct gnx_worker_an *w = &c->workers[k];
    t[GNX_BD_EXEC] += w->exec_s;
    t[GNX_BD_STARVED] += w->wait_in_s;
    t[GNX_BD_BLOCKED] += w->wait_out_s;
    t[GNX_BD_LOCK] += w->wait_lock_s;
    t[GNX_BD_COPY] += w->copy_s;
    t[GNX_BD_DONE] += w->done_s + w->before_s;
  }
  return c->n_workers;
}

/* Per stage, from report.json's median repetition; its workers are those
 * that serve a stage (a transport thread has no stage totals). */
static unsigned gnx__bd_report(const struct gnx_cell_an *c, double *t) {
  for (unsigned s = 0; s < c->n_stages; s++) {
    const struct gnx_stage_an *S = &c->stages[s];
    double x[4] = {S->exec_s, S->wait_in_s, S->wait_out_s, S->wait_lock_s};
    for (int k = 0; k < 4; k++) {
      t[k] += isnan(x[k]) ? 0 : x[k];
    }
  }
  const json_t *rep = json_array_get(json_object_get(c->cell, GNX_F_REPS), (size_t)c->rep);
  unsigned n = 0;
  size_t i;
  json_t *w;
  json_array_foreach(json_object_get(rep, GNX_F_WORKERS), i, w) {
    n += gnx_jint(w, GNX_F_STAGE, -1) != GNX_ROLE_TRANSPORT;
  }
  return n;
}

int gnx_breakdown_of(const struct gnx_cell_an *c, struct gnx_breakdown *b) {
  memset(b, 0, sizeof *b);
  if (c->rep < 0 || !(c->rep_wall_s > 0)) {
    return -1;
  }
  double t[GNX_BD__COUNT] = {0};
  b->from_trace = c->have_trace && c->n_workers > 0;
  b->workers = b->from_trace ? gnx__bd_trace(c, t) : gnx__bd_report(c, t);
  if (b->workers == 0) {
    return -1;
  }
  double den = b->workers * c->rep_wall_s, sum = 0;
  for (int k = 0; k < GNX_BD_UNTRACED; k++) {
    b->share[k] = t[k] / den;
    sum += b->share[k];
  }
  b->share[GNX_BD_UNTRACED] = fmax(0, 1 - sum);
  return 0;
}

/* ---- the chart -------------------------------------------------------------- */

struct gnx__bd {
  const struct gnx_analysis *a;
  const struct gnx_cell_an *group; /* the group's first cell */
  size_t n;                        /* its engines with a breakdown */
  const struct gnx_cell_an *cells[GNX_BD_MAX_ENGINES];
  struct gnx_breakdown b[GNX_BD_MAX_ENGINES];
};

static void gnx__bd_collect(const struct gnx_analysis *a, struct gnx__bd *d) {
  for (size_t i = 0; i < a->n && d->n < GNX_BD_MAX_ENGINES; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (strcmp(c->workload, d->group->workload) == 0 && c->size == d->group->size &&
        gnx_breakdown_of(c, &d->b[d->n]) == 0) {
      d->cells[d->n++] = c;
    }
  }
}

/* Boxes "x lo_pct hi_pct", one block per part, then the labels
 * "x mid_pct text colour". */
static void gnx__bd_dat(FILE *f, const void *arg, const char *base) {
  const struct gnx__bd *d = arg;
  fprintf(f, "# gnxbench time breakdown (%s): %s, n=%llu, median repetition\n"
             "# columns: engine_index from_pct to_pct; one block (gnuplot index) per part:\n",
          base, d->group->workload, (unsigned long long)d->group->size);
  for (int k = 0; k < GNX_BD__COUNT; k++) {
    fprintf(f, "%s# block %d: %s\n", k ? "\n\n" : "", k, gnx_bd_name[k]);
    double lo[GNX_BD_MAX_ENGINES] = {0};
    for (size_t e = 0; e < d->n; e++) {
      for (int j = 0; j < k; j++) {
        lo[e] += d->b[e].share[j] * 100;
      }
      fprintf(f, "%zu %.3f %.3f\n", e, lo[e], lo[e] + d->b[e].share[k] * 100);
    }
  }
  fprintf(f, "\n\n# block %d: labels (engine_index mid_pct text rgb)\n", GNX_BD__COUNT);
  for (size_t e = 0; e < d->n; e++) {
    double lo = 0;
    for (int k = 0; k < GNX_BD__COUNT; k++) {
      double s = d->b[e].share[k];
      if (s >= GNX_BD_LABEL_MIN) {
        fprintf(f, "%zu %.3f \"%.0f %%\" %d\n", e, (lo + s / 2) * 100, s * 100,
                k >= GNX_BD_DONE ? 0x000000 : 0xffffff);
      }
      lo += s;
    }
  }
}

static void gnx__bd_gp(FILE *f, const void *arg, const char *base) {
  const struct gnx__bd *d = arg;
  double top = 100;
  for (size_t e = 0; e < d->n; e++) {
    double sum = 0;
    for (int k = 0; k < GNX_BD__COUNT; k++) {
      sum += d->b[e].share[k] * 100;
    }
    top = fmax(top, sum);
  }
  fprintf(f, "# gnxbench time breakdown: %s, n=%llu\n"
             "# One bar per engine: its workers x wall in the median repetition, split into\n"
             "# exec, starved, blocked, lock, copy, done and untraced time (docs/reports.md).\n"
             "# Regenerate: gnuplot %s.gp   (in this directory; writes %s.png and %s.svg)\n\n",
          d->group->workload, (unsigned long long)d->group->size, base, base, base);
  char title[256];
  snprintf(title, sizeof title, "where the workers' time went: %s, n=%llu (median repetition)",
           d->group->workload, (unsigned long long)d->group->size);
  fprintf(f, "datafile = '%s.dat'\nset title ", base);
  gnx_gp_quote(f, title);
  fprintf(f, "\nset ylabel 'share of workers x wall (%%)'\nset xrange [-0.6:%.1f]\n"
             "set yrange [0:%.1f]\nset xtics (",
          (double)d->n - 0.4, top * 1.02);
  for (size_t e = 0; e < d->n; e++) {
    char t[96];
    snprintf(t, sizeof t, "%s\n%u worker%s", d->cells[e]->engine, d->b[e].workers,
             d->b[e].workers == 1 ? "" : "s");
    gnx_gp_quote(f, t);
    fprintf(f, " %zu%s", e, e + 1 < d->n ? ", " : "");
  }
  fprintf(f, ")\nset xtics nomirror scale 0\nset ytics nomirror\nset border 3\n"
             "set grid ytics lc rgb '#dddddd' lt 1\n"
             "set key outside right top vertical Left reverse samplen 2 spacing 1.3\n"
             "set bmargin 4\nset style fill solid 1.0 border lc rgb '#444444'\nw = 0.3\n\n"
             "set terminal pngcairo noenhanced size 1000,520 font 'Sans,10'\n"
             "set output '%s.png'\nplot \\\n",
          base);
  for (int k = 0; k < GNX_BD__COUNT; k++) {
    /* an empty share draws nothing (not a hairline box) */
    fprintf(f, "  datafile index %d using ($3>$2?$1:1/0):(($2+$3)/2):($1-w):($1+w):2:3 "
               "with boxxyerror lc rgb '%s' notitle, \\\n",
            k, gnx_bd_colour[k]);
  }
  fprintf(f, "  datafile index %d using 1:2:3:4 with labels tc rgb variable font ',9' notitle",
          GNX_BD__COUNT);
  for (int k = 0; k < GNX_BD__COUNT; k++) {
    fprintf(f, ", \\\n  keyentry with boxes fc rgb '%s' title '%s'", gnx_bd_colour[k],
            gnx_bd_title[k]);
  }
  fprintf(f, "\n");
  fprintf(f, "\nset terminal svg noenhanced size 1000,520 font 'Sans,10' background rgb 'white'\n"
             "set output '%s.svg'\nreplot\nunset output\n",
          base);
}

int gnx_breakdown_charts_write(const struct gnx_analysis *a, const char *dir,
                               struct gnx_render_status *st, char *why, size_t len) {
  struct gnx__bd d;
  for (size_t i = 0; i < a->n; i++) {
    if (!gnx_cell_opens(a, i, 1)) {
      continue;
    }
    memset(&d, 0, sizeof d);
    d.a = a;
    d.group = &a->cells[i];
    gnx__bd_collect(a, &d);
    if (d.n == 0) {
      continue;
    }
    char base[200];
    snprintf(base, sizeof base, "breakdown-%s-%llu", d.group->workload,
             (unsigned long long)d.group->size);
    int rc = gnx_chart_write(dir, base, gnx__bd_dat, gnx__bd_gp, &d, st, why, len);
    if (rc < 0) {
      return rc;
    }
  }
  return 0;
}
