/* SPDX-License-Identifier: MIT */
/* reports/gantt.c: one Gantt chart per (workload, size, engine): the median
 * repetition's trace, one row per worker, exec and each kind of wait in its
 * own colour, time in ms from the start barrier.
 *
 * Writes gantt-<w>-<n>-<e>.dat (the boxes) and .gp (a self-contained
 * gnuplot script, so users can restyle and rerun it), then runs
 * `gnuplot file.gp` in the output directory, which writes the .png
 * (pngcairo) and the .svg. gnuplot is started with posix_spawnp, never
 * through a shell, so no file name is ever interpreted.
 *
 * Readability at any size: adjacent spans of the same kind closer than
 * half a pixel are merged (while the merged box stays mostly covered), and
 * invisible slivers between two boxes of one kind are absorbed; a row that
 * still has more boxes than the chart has pixels is drawn per pixel column,
 * each column taking the kind that filled most of it (or left empty when
 * untraced time filled most of it). Stage labels go only on boxes wide enough to hold
 * them, and only on rows that run several stages (a pipeline's rows are
 * already named after their stage). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gnx/err.h"
#include "reports/analysis.h"
#include "reports/charts.h"
#include "reports/profile.h"
#include "reports/report.h"

extern char **environ;

#define GNX_GANTT_WIDTH 1200
#define GNX_GANTT_PLOT_PX 1000.0 /* about the plot area's width in pixels */
#define GNX_GANTT_BINS 1000
#define GNX_GANTT_MAX_BOXES 2000 /* per row, before falling back to bins */

/* The span kinds, then one state no span records: done, the time after a
 * worker's last span until the end of the run (it ran out of work early). */
#define GNX_GANTT_DONE GNX_SPAN__COUNT
#define GNX_GANTT_KINDS (GNX_SPAN__COUNT + 1)

static const char *const gnx_gantt_colour[GNX_GANTT_KINDS] = {
    "#2e8b57", /* exec: green */
    "#ff8c00", /* wait_in: orange, starved */
    "#1f77b4", /* wait_out: blue, blocked */
    "#9467bd", /* wait_lock: purple */
    "#8c564b", /* copy: brown */
    "#c7c7c7", /* done: light grey */
};
static const char *const gnx_gantt_title[GNX_GANTT_KINDS] = {
    "exec", "wait_in: starved", "wait_out: blocked", "wait_lock: lock or turn",
    "copy: to another process", "done: no work left"};

static const char *gnx__kind_name(int k) {
  return k == GNX_GANTT_DONE ? "done" : gnx_span_kind_name(k);
}


struct gnx__box {
  double t0, t1; /* ms */
  double cov;    /* time its spans actually cover (merging bridges gaps) */
  unsigned row;
  uint8_t kind;
  int stage;     /* dominant stage of an exec box, -1: none */
  double share;  /* of the box's exec time, the dominant stage's */
};

struct gnx__boxes {
  struct gnx__box *v;
  size_t n, cap;
};

static int gnx__box_add(struct gnx__boxes *b, struct gnx__box x) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 1024;
    struct gnx__box *nv = realloc(b->v, cap * sizeof *nv);
    if (!nv) {
      return -ENOMEM;
    }
    b->v = nv;
    b->cap = cap;
  }
  b->v[b->n++] = x;
  return 0;
}

/* A done box from the row's last span to the end of the run. */
static int gnx__row_done(const struct gnx_tthread *th, unsigned row, double wall_ms, double eps,
                         struct gnx__boxes *out) {
  double last = 0;
  for (size_t i = 0; i < th->n; i++) {
    last = fmax(last, th->spans[i].t1 / 1e3);
  }
  if (wall_ms - last <= eps) {
    return 0;
  }
  return gnx__box_add(out, (struct gnx__box){last, wall_ms, wall_ms - last, row,
                                             (uint8_t)GNX_GANTT_DONE, -1, 0});
}

/* Merge one row's spans into boxes: same kind, gap under eps. Exec boxes
 * keep the stage that filled most of them (for labels). */
static int gnx__row_merge(const struct gnx_tthread *th, unsigned row, double eps,
                          struct gnx__boxes *out) {
  struct gnx__box cur = {0};
  double stage_t[GNX_AN_MAX_STAGES] = {0}, covered = 0;
  int open = 0;
  for (size_t i = 0; i <= th->n; i++) {
    const struct gnx_tspan *s = i < th->n ? &th->spans[i] : NULL;
    double a = s ? s->t0 / 1e3 : 0, b = s ? s->t1 / 1e3 : 0;
    /* bridge a sub-pixel gap only while the box stays mostly covered:
     * 50 ns spans 6 us apart must not become one solid bar */
    if (open && s && s->kind == cur.kind && a - cur.t1 <= eps &&
        covered + (b - a) >= 0.5 * (fmax(cur.t1, b) - cur.t0)) {
      cur.t1 = fmax(cur.t1, b);
      covered += b - a;
    } else {
      if (open) {
        if (cur.kind == GNX_SPAN_EXEC) {
          int best = -1;
          for (int k = 0; k < GNX_AN_MAX_STAGES; k++) {
            if (stage_t[k] > 0 && (best < 0 || stage_t[k] > stage_t[best])) {
              best = k;
            }
          }
          double all = 0;
          for (int k = 0; k < GNX_AN_MAX_STAGES; k++) {
            all += stage_t[k];
          }
          cur.stage = best;
          cur.share = best >= 0 && all > 0 ? stage_t[best] / all : 0;
        }
        cur.cov = covered;
        if (gnx__box_add(out, cur) < 0) {
          return -ENOMEM;
        }
      }
      if (!s) {
        break;
      }
      memset(stage_t, 0, sizeof stage_t);
      cur = (struct gnx__box){a, b, b - a, row, s->kind, -1, 0};
      covered = b - a;
      open = 1;
    }
    if (s->kind == GNX_SPAN_EXEC && s->stage < GNX_AN_MAX_STAGES) {
      stage_t[s->stage] += b - a;
    }
  }
  return 0;
}

/* Absorb boxes narrower than eps (invisible) that sit between two boxes of
 * one kind, and join those two: otherwise each invisible exec between two
 * waits would cut the wait into slivers with a seam between them. Works in
 * place on the row's boxes v[from..n); returns the new n. */
static size_t gnx__row_absorb(struct gnx__box *v, size_t from, size_t n, double eps) {
  size_t w = from;
  int absorbing = 0;
  for (size_t r = from; r < n; r++) {
    struct gnx__box b = v[r];
    if (w > from) {
      struct gnx__box *p = &v[w - 1];
      /* joined boxes must stay mostly their kind, as in gnx__row_merge */
      if (b.kind == p->kind && (absorbing || b.t0 - p->t1 <= eps) &&
          p->cov + b.cov >= 0.5 * (fmax(p->t1, b.t1) - p->t0)) {
        /* the joined box's main stage: the one with more exec time */
        double wp = p->cov * p->share, wb = b.cov * b.share;
        if (p->stage == b.stage) {
          wp += wb;
        } else if (wb > wp) {
          p->stage = b.stage;
          wp = wb;
        }
        p->t1 = fmax(p->t1, b.t1);
        p->cov += b.cov;
        p->share = p->cov > 0 ? wp / p->cov : 0;
        absorbing = 0;
        continue;
      }
      if (r + 1 < n && b.t1 - b.t0 < eps && v[r + 1].kind == p->kind &&
          v[r + 1].t0 - p->t1 <= 3 * eps &&
          p->cov + v[r + 1].cov >= 0.5 * (fmax(p->t1, v[r + 1].t1) - p->t0)) {
        absorbing = 1;
        continue;
      }
    }
    absorbing = 0;
    v[w++] = b;
  }
  return w;
}

/* Too many boxes for the pixels: one box per run of pixel columns whose
 * dominant kind is the same; a column where untraced time (queue
 * operations, bookkeeping) outweighs every kind stays empty. */
static int gnx__row_bin(const struct gnx_tthread *th, unsigned row, double xmax,
                        struct gnx__boxes *out) {
  double (*acc)[GNX_SPAN__COUNT] = calloc(GNX_GANTT_BINS, sizeof *acc);
  if (!acc) {
    return -ENOMEM;
  }
  double bw = xmax / GNX_GANTT_BINS;
  for (size_t i = 0; i < th->n; i++) {
    double a = th->spans[i].t0 / 1e3, b = th->spans[i].t1 / 1e3;
    long i0 = (long)floor(a / bw), i1 = (long)floor(b / bw);
    for (long k = i0 < 0 ? 0 : i0; k <= i1 && k < GNX_GANTT_BINS; k++) {
      double lo = fmax(a, (double)k * bw), hi = fmin(b, (double)(k + 1) * bw);
      if (hi > lo) {
        acc[k][th->spans[i].kind] += hi - lo;
      }
    }
  }
  int rc = 0, kind_open = -1;
  double start = 0;
  for (int k = 0; k <= GNX_GANTT_BINS && rc == 0; k++) {
    int kind = -1;
    if (k < GNX_GANTT_BINS) {
      double tot = 0, m = 0;
      for (int j = 0; j < GNX_SPAN__COUNT; j++) {
        tot += acc[k][j];
        if (acc[k][j] > m) {
          m = acc[k][j];
          kind = j;
        }
      }
      if (bw - tot >= m) {
        kind = -1;
      }
    }
    if (kind != kind_open) {
      if (kind_open >= 0) {
        rc = gnx__box_add(out, (struct gnx__box){start, (double)k * bw, (double)k * bw - start,
                                                 row, (uint8_t)kind_open, -1, 0});
      }
      kind_open = kind;
      start = (double)k * bw;
    }
  }
  free(acc);
  return rc;
}

/* Run `gnuplot gp` in dir. Returns 0, -ENOENT when gnuplot is not on PATH,
 * or GNX_EGNUPLOT with gnuplot's first error line in why. */
int gnx_gnuplot_run(const char *dir, const char *gp, char *why, size_t len) {
  char errpath[4096];
  snprintf(errpath, sizeof errpath, "%s/.gnuplot-XXXXXX", dir);
  int efd = mkostemp(errpath, O_CLOEXEC);
  if (efd < 0) {
    int e = errno;
    snprintf(why, len, "cannot create a file in %s: %s", dir, strerror(e));
    return -e;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, efd, 2);
  posix_spawn_file_actions_addchdir_np(&fa, dir);
  char *argv[] = {"gnuplot", (char *)gp, NULL};
  pid_t pid;
  int src = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  int rc = 0;
  if (src != 0) {
    rc = src == ENOENT ? -ENOENT : GNX_EGNUPLOT;
    snprintf(why, len, "cannot start gnuplot: %s", strerror(src));
  } else {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      char line[512] = "", msg[512] = "";
      FILE *ef = fdopen(dup(efd), "r");
      if (ef) {
        rewind(ef);
        /* gnuplot's message is the line that names the problem, after
         * the echoed command and its caret */
        while (fgets(line, sizeof line, ef)) {
          line[strcspn(line, "\n")] = '\0';
          if (strstr(line, "rror") || strstr(line, "line ")) {
            snprintf(msg, sizeof msg, "%s", line);
            break;
          }
          if (line[0] && !msg[0]) {
            snprintf(msg, sizeof msg, "%s", line);
          }
        }
        fclose(ef);
      }
      char how[64];
      if (WIFSIGNALED(status)) {
        snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(status));
      } else {
        snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
      }
      snprintf(why, len, "gnuplot %s on %.100s%s%.200s", how, gp, msg[0] ? ": " : "", msg);
      rc = GNX_EGNUPLOT;
    }
  }
  close(efd);
  unlink(errpath);
  return rc;
}

int gnx_gantt_write(const char *dir, const struct gnx_cell_an *c, const struct gnx_tfile *t,
                    struct gnx_render_status *st, char *why, size_t len) {
  if (!t || t->n == 0) {
    return 0;
  }
  char base[256], path[4096];
  snprintf(base, sizeof base, "gantt-%s-%llu-%s", c->workload, (unsigned long long)c->size,
           c->engine);
  if (!gnx_chart_name_ok(base, st)) {
    return 0;
  }
  double wall_ms = isnan(c->rep_wall_s) ? 0 : c->rep_wall_s * 1e3;
  double xmax = fmax(t->t_end / 1e3, wall_ms);
  if (!(xmax > 0)) {
    xmax = 1;
  }
  double eps = xmax / GNX_GANTT_PLOT_PX / 2;
  struct gnx__boxes boxes = {0};
  int rc = 0;
  size_t binned = 0;
  for (size_t r = 0; r < t->n && rc == 0; r++) {
    size_t before = boxes.n;
    rc = gnx__row_merge(&t->threads[r], (unsigned)r, eps, &boxes);
    if (rc == 0) {
      boxes.n = gnx__row_absorb(boxes.v, before, boxes.n, eps);
    }
    if (rc == 0 && boxes.n - before > GNX_GANTT_MAX_BOXES) {
      boxes.n = before;
      rc = gnx__row_bin(&t->threads[r], (unsigned)r, xmax, &boxes);
      binned++;
    }
    if (rc == 0 && wall_ms > 0) {
      rc = gnx__row_done(&t->threads[r], (unsigned)r, wall_ms, eps, &boxes);
    }
  }
  if (rc < 0) {
    free(boxes.v);
    snprintf(why, len, "%s: out of memory", base);
    return rc;
  }
  /* which rows run several stages: only those get stage labels */
  int multi[GNX_AN_MAX_WORKERS] = {0};
  for (size_t r = 0; r < t->n && r < GNX_AN_MAX_WORKERS; r++) {
    int first = -1;
    for (size_t k = 0; k < t->threads[r].n; k++) {
      const struct gnx_tspan *s = &t->threads[r].spans[k];
      if (s->kind != GNX_SPAN_EXEC) {
        continue;
      }
      if (first < 0) {
        first = s->stage;
      } else if (s->stage != first) {
        multi[r] = 1;
        break;
      }
    }
  }

  /* the data: one block per kind present, then the labels */
  snprintf(path, sizeof path, "%s/%s.dat", dir, base);
  FILE *f = fopen(path, "we");
  if (!f) {
    int e = errno;
    free(boxes.v);
    snprintf(why, len, "cannot write %s: %s", path, strerror(e));
    return -e;
  }
  fprintf(f, "# gnxbench Gantt data: %s, n=%llu, %s (repetition %d)\n", c->workload,
          (unsigned long long)c->size, c->engine, c->rep + 1);
  fprintf(f, "# columns: row start_ms end_ms; blocks (gnuplot index) in the order below\n");
  int block[GNX_GANTT_KINDS], nblocks = 0;
  for (int k = 0; k < GNX_GANTT_KINDS; k++) {
    size_t cnt = 0;
    for (size_t i = 0; i < boxes.n; i++) {
      cnt += boxes.v[i].kind == k;
    }
    block[k] = -1;
    if (!cnt) {
      continue;
    }
    fprintf(f, "%s# block %d: %s\n", nblocks ? "\n\n" : "", nblocks, gnx__kind_name(k));
    block[k] = nblocks++;
    for (size_t i = 0; i < boxes.n; i++) {
      if (boxes.v[i].kind == k) {
        fprintf(f, "%u %.4f %.4f\n", boxes.v[i].row, boxes.v[i].t0, boxes.v[i].t1);
      }
    }
  }
  /* labels: exec boxes wide enough for the stage name (7 px a character) */
  int label_block = -1;
  size_t nlabels = 0;
  for (size_t i = 0; i < boxes.n; i++) {
    const struct gnx__box *b = &boxes.v[i];
    if (b->kind != GNX_SPAN_EXEC || b->stage < 0 || b->stage >= (int)c->n_stages ||
        b->row >= GNX_AN_MAX_WORKERS || !multi[b->row]) {
      continue;
    }
    /* a box mixing stages says how much of it its main stage is */
    char name[80];
    if (b->share < 0.5) {
      continue;
    } else if (b->share < 0.99) {
      snprintf(name, sizeof name, "%s %.0f %%", c->stages[b->stage].name, b->share * 100);
    } else {
      snprintf(name, sizeof name, "%s", c->stages[b->stage].name);
    }
    double need = ((double)strlen(name) * 7 + 8) * xmax / GNX_GANTT_PLOT_PX;
    if (b->t1 - b->t0 < need) {
      continue;
    }
    if (label_block < 0) {
      fprintf(f, "%s# block %d: labels (row mid_ms stage)\n", nblocks ? "\n\n" : "", nblocks);
      label_block = nblocks++;
    }
    fprintf(f, "%u %.4f \"%s\"\n", b->row, (b->t0 + b->t1) / 2, name);
    nlabels++;
  }
  free(boxes.v);
  rc = gnx_file_close(f);
  if (rc < 0) {
    snprintf(why, len, "cannot write %s: %s", path, strerror(-rc));
    return rc;
  }

  /* the script */
  snprintf(path, sizeof path, "%s/%s.gp", dir, base);
  f = fopen(path, "we");
  if (!f) {
    int e = errno;
    snprintf(why, len, "cannot write %s: %s", path, strerror(e));
    return -e;
  }
  unsigned rows = (unsigned)t->n;
  unsigned height = 150 + 40 * rows;
  height = height < 300 ? 300 : height;
  char title[512], sp[64] = "";
  if (!isnan(c->speedup.median)) {
    snprintf(sp, sizeof sp, ", speedup %.2fx", c->speedup.median);
  }
  snprintf(title, sizeof title, "%s, n=%llu, %s: wall %.1f ms%s (median repetition %d of %u)",
           c->workload, (unsigned long long)c->size, c->engine, wall_ms, sp, c->rep + 1, c->reps);
  fprintf(f, "# gnxbench Gantt chart: %s, n=%llu, %s\n", c->workload,
          (unsigned long long)c->size, c->engine);
  fprintf(f, "# One row per worker; boxes show what it did, in ms from the start barrier:\n"
             "#   green exec, orange wait_in (starved: no input), blue wait_out (blocked:\n"
             "#   output full), purple wait_lock (a lock or its turn). The dashed line is the\n"
             "#   end of the run (last item at the sink).\n");
  if (binned) {
    fprintf(f, "# %zu row(s) had more spans than pixels: each 1/%d of the time axis shows\n"
               "# the kind that filled most of it.\n",
            binned, GNX_GANTT_BINS);
  }
  fprintf(f, "# Regenerate: gnuplot %s.gp   (in this directory; writes %s.png and %s.svg)\n\n",
          base, base, base);
  fprintf(f, "datafile = '%s.dat'\n", base);
  fprintf(f, "set title ");
  gnx_gp_quote(f, title);
  fprintf(f, "\nset xlabel 'time since the start barrier (ms)'\n");
  fprintf(f, "set xrange [0:%.4f]\n", xmax);
  fprintf(f, "set yrange [%.1f:-0.6]\n", rows - 0.4);
  fprintf(f, "set ytics (");
  for (unsigned r = 0; r < rows; r++) {
    char label[96];
    if (t->n_pids > 1) {
      snprintf(label, sizeof label, "%s (pid %d)", t->threads[r].name, t->threads[r].pid);
    } else {
      snprintf(label, sizeof label, "%s", t->threads[r].name);
    }
    gnx_gp_quote(f, label);
    fprintf(f, " %u%s", r, r + 1 < rows ? ", " : "");
  }
  fprintf(f, ")\n");
  fprintf(f, "set ytics nomirror scale 0\nset xtics nomirror out\nset border 3\n"
             "set grid xtics lc rgb '#dddddd' lt 1\n"
             "set key outside right top vertical Left reverse samplen 2 spacing 1.3\n"
             "set style fill solid 1.0 noborder\n");
  if (wall_ms > 0) {
    fprintf(f, "set arrow 1 from %.4f, graph 0 to %.4f, graph 1 nohead dt 2 lc rgb '#555555'\n",
            wall_ms, wall_ms);
  }
  fprintf(f, "h = 0.38\n\n");
  fprintf(f, "set terminal pngcairo noenhanced size %d,%u font 'Sans,10'\nset output '%s.png'\n",
          GNX_GANTT_WIDTH, height, base);
  fprintf(f, "plot \\\n");
  for (int k = 0; k < GNX_GANTT_KINDS; k++) {
    if (block[k] >= 0) {
      fprintf(f, "  datafile index %d using (($2+$3)/2):1:2:3:($1-h):($1+h) with boxxyerror "
                 "lc rgb '%s' notitle, \\\n",
              block[k], gnx_gantt_colour[k]);
    }
  }
  if (label_block >= 0) {
    fprintf(f, "  datafile index %d using 2:1:3 with labels font ',8' tc rgb 'white' notitle, "
               "\\\n",
            label_block);
  }
  for (int k = 0; k < GNX_GANTT_KINDS; k++) {
    fprintf(f, "  keyentry with boxes fc rgb '%s' title '%s'%s\n", gnx_gantt_colour[k],
            gnx_gantt_title[k], k + 1 < GNX_GANTT_KINDS ? ", \\" : "");
  }
  /* the same plot again, as SVG */
  fprintf(f, "\nset terminal svg noenhanced size %d,%u font 'Sans,10' background rgb 'white'\n"
             "set output '%s.svg'\nreplot\nunset output\n",
          GNX_GANTT_WIDTH, height, base);
  (void)nlabels;
  rc = gnx_file_close(f);
  if (rc < 0) {
    snprintf(why, len, "cannot write %s: %s", path, strerror(-rc));
    return rc;
  }
  gnx_chart_draw(dir, base, st);
  return 0;
}
