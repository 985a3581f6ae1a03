/* SPDX-License-Identifier: MIT */
/* reports/analysis.c: per-stage figures, the bottleneck verdict, the bound
 * and the efficiency of each (workload, size, engine) cell.
 *
 * Inputs are report.json (every repetition's per-stage totals and workers)
 * and, when present, the cell's Chrome trace (per-span detail: p50/p99 and
 * per-worker utilisation). The verdict, bound and efficiency use only the
 * report's totals, so `gnxbench recommend` (no traces) and summary.md
 * (traces) always agree. docs/reports.md defines every figure. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "core/stats.h"
#include "gnx/err.h"
#include "reports/analysis.h"
#include "reports/schema.h"

/* ---- formatting ------------------------------------------------------------ */

void gnx_fmt_time(char *buf, size_t len, double s) {
  if (isnan(s)) {
    snprintf(buf, len, "-");
  } else if (s >= 1) {
    snprintf(buf, len, "%.3f s", s);
  } else if (s >= 1e-3) {
    snprintf(buf, len, "%.1f ms", s * 1e3);
  } else if (s >= 10e-6 || s == 0) {
    snprintf(buf, len, "%.0f us", s * 1e6);
  } else {
    snprintf(buf, len, "%.1f us", s * 1e6); /* per-item costs of cheap stages */
  }
}

void gnx_fmt_pct(char *buf, size_t len, double x) {
  if (isnan(x)) {
    snprintf(buf, len, "-");
  } else {
    snprintf(buf, len, "%.0f %%", x * 100);
  }
}

const char *gnx_shape_name(enum gnx_shape s) {
  switch (s) {
  case GNX_SHAPE_SERIAL:
    return "serial";
  case GNX_SHAPE_PIPELINE:
    return "pipeline";
  case GNX_SHAPE_DATA_PARALLEL:
    return "data-parallel";
  }
  return "?";
}

/* ---- statistics ------------------------------------------------------------ */

static int gnx__cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The one implementation of the median and its interval (harness/stats.c),
 * so that intervals recomputed from a report match the run's. */
void gnx_est_compute(const double *x, size_t n, struct gnx_est *out) {
  struct gnx_stats s;
  gnx_stats_compute(x, n, &s);
  out->n = n;
  out->median = s.median;
  out->lo = s.lo;
  out->hi = s.hi;
  out->level = s.level;
}

static void gnx__est_from_json(const json_t *st, struct gnx_est *e) {
  e->n = 0;
  e->median = e->lo = e->hi = e->level = NAN;
  if (json_is_object(st)) {
    e->n = (size_t)gnx_jint(st, GNX_F_N, 0);
    e->median = gnx_jnum(st, GNX_F_MEDIAN, NAN);
    e->lo = gnx_jnum(st, GNX_F_LO, NAN);
    e->hi = gnx_jnum(st, GNX_F_HI, NAN);
    e->level = gnx_jnum(st, GNX_F_LEVEL, NAN);
  }
}

static double gnx__median(double *x, size_t n) {
  if (n == 0) {
    return NAN;
  }
  qsort(x, n, sizeof *x, gnx__cmp_double);
  return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

/* ---- trace files ---------------------------------------------------------- */

static struct gnx_tthread *gnx__thread(struct gnx_tfile *t, int pid, int tid, size_t *hint) {
  if (*hint < t->n && t->threads[*hint].pid == pid && t->threads[*hint].tid == tid) {
    return &t->threads[*hint];
  }
  for (size_t i = 0; i < t->n; i++) {
    if (t->threads[i].pid == pid && t->threads[i].tid == tid) {
      *hint = i;
      return &t->threads[i];
    }
  }
  if (t->n >= GNX_AN_MAX_WORKERS) {
    return NULL;
  }
  struct gnx_tthread *nt = realloc(t->threads, (t->n + 1) * sizeof *nt);
  if (!nt) {
    return NULL;
  }
  t->threads = nt;
  struct gnx_tthread *th = &t->threads[t->n];
  memset(th, 0, sizeof *th);
  th->pid = pid;
  th->tid = tid;
  th->sort = 1 << 30; /* unnamed threads go last */
  snprintf(th->name, sizeof th->name, "tid %d", tid);
  *hint = t->n++;
  return th;
}

static int gnx__kind(const char *s) {
  for (int k = 0; k < GNX_SPAN__COUNT; k++) {
    if (s && strcmp(s, gnx_span_kind_name(k)) == 0) {
      return k;
    }
  }
  return -1;
}

static int gnx__cmp_span(const void *a, const void *b) {
  const struct gnx_tspan *x = a, *y = b;
  return (x->t0 > y->t0) - (x->t0 < y->t0);
}

static int gnx__cmp_thread(const void *a, const void *b) {
  const struct gnx_tthread *x = a, *y = b;
  if (x->sort != y->sort) {
    return (x->sort > y->sort) - (x->sort < y->sort);
  }
  if (x->pid != y->pid) {
    return (x->pid > y->pid) - (x->pid < y->pid);
  }
  return (x->tid > y->tid) - (x->tid < y->tid);
}

/* ---- a fast path for the events chrome.c writes ---------------------------- */

static int gnx__lit(const char **p, const char *lit) {
  size_t l = strlen(lit);
  if (strncmp(*p, lit, l) != 0) {
    return 0;
  }
  *p += l;
  return 1;
}

static int gnx__long(const char **p, long long *v) {
  char *e;
  errno = 0;
  *v = strtoll(*p, &e, 10);
  if (e == *p || errno) {
    return 0;
  }
  *p = e;
  return 1;
}

static int gnx__dbl(const char **p, double *v) {
  char *e;
  *v = strtod(*p, &e);
  if (e == *p) {
    return 0;
  }
  *p = e;
  return 1;
}

/* An X event exactly as chrome.c writes it, without building a JSON tree
 * (a null-workload trace holds millions). Returns bytes consumed, or 0 when
 * the text is anything else: the caller then parses it with jansson. */
static size_t gnx__fast_x(const char *p0, const char *end, struct gnx_tspan *sp, int *pid,
                          int *tid) {
  const char *p = p0;
  if (end - p < 64 || !gnx__lit(&p, "{\"ph\": \"X\", \"name\": \"")) {
    return 0;
  }
  while (p < end && *p != '"') {
    if (*p == '\\' || *p == '\n') {
      return 0; /* escapes: leave them to jansson */
    }
    p++;
  }
  char cat[16];
  size_t n = 0;
  if (!gnx__lit(&p, "\", \"cat\": \"")) {
    return 0;
  }
  while (p < end && *p != '"' && n + 1 < sizeof cat) {
    cat[n++] = *p++;
  }
  cat[n] = '\0';
  long long lpid, ltid, item, stage;
  double ts, dur;
  if (!gnx__lit(&p, "\", \"pid\": ") || !gnx__long(&p, &lpid) ||
      !gnx__lit(&p, ", \"tid\": ") || !gnx__long(&p, &ltid) || !gnx__lit(&p, ", \"ts\": ") ||
      !gnx__dbl(&p, &ts) || !gnx__lit(&p, ", \"dur\": ") || !gnx__dbl(&p, &dur) ||
      !gnx__lit(&p, ", \"args\": {\"item\": ") || !gnx__long(&p, &item) ||
      !gnx__lit(&p, ", \"stage\": ") || !gnx__long(&p, &stage) ||
      !gnx__lit(&p, ", \"kind\": \"")) {
    return 0;
  }
  while (p < end && *p != '"') {
    p++;
  }
  if (!gnx__lit(&p, "\"}}")) {
    return 0;
  }
  int kind = gnx__kind(cat);
  if (kind < 0 || stage < 0 || stage > UINT16_MAX) {
    return 0;
  }
  sp->t0 = ts;
  sp->t1 = ts + dur;
  sp->item = item < 0 || item >= GNX_ITEM_NONE ? GNX_ITEM_NONE : (uint32_t)item;
  sp->stage = (uint16_t)stage;
  sp->kind = (uint8_t)kind;
  *pid = (int)lpid;
  *tid = (int)ltid;
  return (size_t)(p - p0);
}

/* Skip a C event (queue depths: the analysis recomputes what it needs):
 * the end of the object, honouring strings. Returns bytes, 0 if unsure. */
static size_t gnx__skip_c(const char *p0, const char *end) {
  const char *p = p0;
  if (!gnx__lit(&p, "{\"ph\": \"C\"")) {
    return 0;
  }
  int depth = 1, in_str = 0;
  for (; p < end; p++) {
    if (in_str) {
      if (*p == '\\') {
        p++;
      } else if (*p == '"') {
        in_str = 0;
      }
    } else if (*p == '"') {
      in_str = 1;
    } else if (*p == '{') {
      depth++;
    } else if (*p == '}' && --depth == 0) {
      return (size_t)(p + 1 - p0);
    }
  }
  return 0;
}

static int gnx__span_push(struct gnx_tfile *t, struct gnx_tthread *th, const struct gnx_tspan *sp) {
  if (th->n == th->cap) {
    size_t cap = th->cap ? th->cap * 2 : 256;
    struct gnx_tspan *ns = realloc(th->spans, cap * sizeof *ns);
    if (!ns) {
      return -ENOMEM;
    }
    th->spans = ns;
    th->cap = cap;
  }
  th->spans[th->n++] = *sp;
  if (sp->t1 > t->t_end) {
    t->t_end = sp->t1;
  }
  return 0;
}

/* One event of the traceEvents array into t. Returns 0 or -ENOMEM. */
static int gnx__tfile_event(struct gnx_tfile *t, const json_t *ev, size_t *hint) {
  const char *ph = gnx_jstr(ev, "ph", "");
  if (strcmp(ph, "X") != 0 && strcmp(ph, "M") != 0) {
    return 0;
  }
  int pid = (int)gnx_jint(ev, "pid", 0), tid = (int)gnx_jint(ev, "tid", 0);
  const json_t *args = json_object_get(ev, "args");
  if (ph[0] == 'M') {
    const char *name = gnx_jstr(ev, "name", "");
    if (strcmp(name, "thread_name") == 0 || strcmp(name, "thread_sort_index") == 0) {
      struct gnx_tthread *th = gnx__thread(t, pid, tid, hint);
      if (!th) {
        return -ENOMEM;
      }
      if (name[7] == 'n') {
        snprintf(th->name, sizeof th->name, "%s", gnx_jstr(args, "name", th->name));
      } else {
        th->sort = (int)gnx_jint(args, "sort_index", th->sort);
      }
    }
    return 0;
  }
  int kind = gnx__kind(gnx_jstr(ev, "cat", NULL));
  if (kind < 0) {
    kind = gnx__kind(gnx_jstr(args, "kind", NULL));
  }
  double ts = gnx_jnum(ev, "ts", NAN), dur = gnx_jnum(ev, "dur", NAN);
  if (kind < 0 || isnan(ts) || isnan(dur)) {
    return 0; /* not one of ours */
  }
  struct gnx_tthread *th = gnx__thread(t, pid, tid, hint);
  if (!th) {
    return -ENOMEM;
  }
  long long item = gnx_jint(args, "item", -1);
  struct gnx_tspan s;
  s.t0 = ts;
  s.t1 = ts + dur;
  s.item = item < 0 || item >= GNX_ITEM_NONE ? GNX_ITEM_NONE : (uint32_t)item;
  s.stage = (uint16_t)gnx_jint(args, "stage", 0);
  s.kind = (uint8_t)kind;
  return gnx__span_push(t, th, &s);
}

int gnx_tfile_load(const char *full, struct gnx_tfile *t, char *why, size_t len) {
  memset(t, 0, sizeof *t);
  /* messages name the file, not the directory: they end up in summary.md,
   * which must not depend on how the directory was spelled */
  const char *path = strrchr(full, '/') ? strrchr(full, '/') + 1 : full;
  FILE *f = fopen(full, "re");
  if (!f) {
    int e = errno;
    snprintf(why, len, "cannot read %s: %s", path, strerror(e));
    return -e;
  }
  char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (cap - n < 65536) {
      cap = cap ? cap * 2 : 1 << 20;
      char *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        snprintf(why, len, "%s: out of memory", path);
        return -ENOMEM;
      }
      buf = nb;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      break;
    }
  }
  int rerr = ferror(f);
  fclose(f);
  if (rerr) {
    free(buf);
    snprintf(why, len, "cannot read %s", path);
    return -EIO;
  }
  /* The events array: after "traceEvents", or the whole file (the JSON
   * array form of the format). Each event is parsed alone. */
  char *p = memmem(buf, n, "\"traceEvents\"", 13);
  p = p ? memchr(p, '[', n - (size_t)(p - buf)) : buf;
  while (p && p < buf + n && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) {
    p++;
  }
  if (!p || p >= buf + n || *p != '[') {
    free(buf);
    snprintf(why, len, "%s: not a Chrome trace (no traceEvents array)", path);
    return GNX_EFORMAT;
  }
  p++;
  int rc = 0;
  size_t hint = 0;
  char *end = buf + n;
  for (;;) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == ',')) {
      p++;
    }
    if (p >= end) {
      snprintf(why, len, "%s: the events array is not closed (truncated file?)", path);
      rc = GNX_EFORMAT;
      break;
    }
    if (*p == ']') {
      break;
    }
    struct gnx_tspan fsp;
    int fpid, ftid;
    size_t used = gnx__fast_x(p, end, &fsp, &fpid, &ftid);
    if (used) {
      struct gnx_tthread *th = gnx__thread(t, fpid, ftid, &hint);
      rc = th ? gnx__span_push(t, th, &fsp) : -ENOMEM;
      if (rc < 0) {
        snprintf(why, len, "%s: out of memory", path);
        break;
      }
      p += used;
      continue;
    }
    if ((used = gnx__skip_c(p, end)) != 0) {
      p += used;
      continue;
    }
    json_error_t err;
    json_t *ev = json_loadb(p, (size_t)(end - p), JSON_DISABLE_EOF_CHECK, &err);
    if (!ev) {
      snprintf(why, len, "%s: malformed event at byte %zu: %s", path, (size_t)(p - buf), err.text);
      rc = GNX_EFORMAT;
      break;
    }
    p += err.position;
    rc = gnx__tfile_event(t, ev, &hint);
    json_decref(ev);
    if (rc < 0) {
      snprintf(why, len, "%s: out of memory", path);
      break;
    }
  }
  free(buf);
  if (rc < 0) {
    gnx_tfile_free(t);
    return rc;
  }
  if (t->n) { /* qsort's pointer must not be NULL, even for 0 elements */
    qsort(t->threads, t->n, sizeof *t->threads, gnx__cmp_thread);
  }
  for (size_t i = 0; i < t->n; i++) {
    if (t->threads[i].n) {
      qsort(t->threads[i].spans, t->threads[i].n, sizeof(struct gnx_tspan), gnx__cmp_span);
    }
    int seen = 0;
    for (size_t k = 0; k < i; k++) {
      seen |= t->threads[k].pid == t->threads[i].pid;
    }
    t->n_pids += !seen;
  }
  return 0;
}

void gnx_tfile_free(struct gnx_tfile *t) {
  for (size_t i = 0; i < t->n; i++) {
    free(t->threads[i].spans);
  }
  free(t->threads);
  memset(t, 0, sizeof *t);
}

/* ---- one cell ------------------------------------------------------------- */

/* The repetition the trace shows, else the lower median by wall among the
 * good ones (the rule cmd-run uses to pick the traced repetition). */
static int gnx__median_rep(const json_t *cell) {
  const json_t *reps = json_object_get(cell, GNX_F_REPS);
  const json_t *tr = json_object_get(cell, GNX_F_TRACE);
  long long r = json_is_object(tr) ? gnx_jint(tr, GNX_F_REP, -1) : -1;
  if (r >= 0 && (size_t)r < json_array_size(reps) &&
      gnx_jbool(json_array_get(reps, (size_t)r), GNX_F_OK, 0)) {
    return (int)r;
  }
  size_t idx[1024], n = 0, i;
  json_t *rep;
  json_array_foreach(reps, i, rep) {
    if (gnx_jbool(rep, GNX_F_OK, 0) && n < 1024) {
      idx[n++] = i;
    }
  }
  if (n == 0) {
    return -1;
  }
  for (size_t a = 1; a < n; a++) {
    for (size_t k = a; k > 0 && gnx_jnum(json_array_get(reps, idx[k]), GNX_F_WALL_S, NAN) <
                                    gnx_jnum(json_array_get(reps, idx[k - 1]), GNX_F_WALL_S, NAN);
         k--) {
      size_t tmp = idx[k];
      idx[k] = idx[k - 1];
      idx[k - 1] = tmp;
    }
  }
  return (int)idx[(n - 1) / 2];
}

static int gnx__median_rep(const json_t *cell);

double gnx_cell_rep_median(const json_t *cell, const char *obj, const char *key) {
  double x[1024];
  size_t n = 0, i;
  json_t *rep;
  json_array_foreach(json_object_get(cell, GNX_F_REPS), i, rep) {
    const json_t *v = json_object_get(obj ? json_object_get(rep, obj) : rep, key);
    if (gnx_jbool(rep, GNX_F_OK, 0) && json_is_number(v) && n < 1024) {
      x[n++] = json_number_value(v);
    }
  }
  return gnx__median(x, n);
}

/* Serial's cost of stage s: its exec time in serial's median repetition
 * (the traced one). Taking every stage from one repetition keeps their sum
 * within that repetition's wall, so serial's efficiency never exceeds 1;
 * the median repetition is the undisturbed one. */
static double gnx__serial_cost(const json_t *serial, unsigned s, const char *name) {
  int r = gnx__median_rep(serial);
  if (r < 0) {
    return NAN;
  }
  const json_t *rep = json_array_get(json_object_get(serial, GNX_F_REPS), (size_t)r);
  const json_t *st = json_array_get(json_object_get(rep, GNX_F_STAGES), s);
  if (!st || strcmp(gnx_jstr(st, GNX_F_NAME, ""), name) != 0) {
    return NAN;
  }
  return gnx_jnum(st, GNX_F_EXEC_S, NAN);
}

static double gnx__percentile(double *x, size_t n, double q) {
  if (n == 0) {
    return NAN;
  }
  size_t k = (size_t)ceil(q * (double)n);
  return x[k ? k - 1 : 0]; /* nearest rank; x sorted */
}

/* p50/p99 of each stage's exec spans, and per-worker totals, from a trace. */
static int gnx__from_trace(struct gnx_cell_an *c, const struct gnx_tfile *t, const json_t *workers) {
  c->workers = calloc(t->n ? t->n : 1, sizeof *c->workers);
  if (!c->workers) {
    return -ENOMEM;
  }
  c->n_workers = (unsigned)t->n;
  size_t total = 0;
  for (size_t i = 0; i < t->n; i++) {
    total += t->threads[i].n;
  }
  double *d = malloc((total ? total : 1) * sizeof *d);
  if (!d) {
    return -ENOMEM;
  }
  for (size_t i = 0; i < t->n; i++) {
    const struct gnx_tthread *th = &t->threads[i];
    struct gnx_worker_an *w = &c->workers[i];
    snprintf(w->name, sizeof w->name, "%s", th->name);
    w->pid = th->pid;
    w->tid = th->tid;
    w->role = -1;
    size_t k;
    json_t *rw;
    json_array_foreach(workers, k, rw) {
      if (gnx_jint(rw, GNX_F_PID, 0) == th->pid && gnx_jint(rw, GNX_F_TID, 0) == th->tid) {
        w->role = (int)gnx_jint(rw, GNX_F_STAGE, -1);
      }
    }
    w->spans = th->n;
    double sum[GNX_SPAN__COUNT] = {0};
    for (size_t k2 = 0; k2 < th->n; k2++) {
      sum[th->spans[k2].kind] += (th->spans[k2].t1 - th->spans[k2].t0) * 1e-6;
    }
    w->exec_s = sum[GNX_SPAN_EXEC];
    w->wait_in_s = sum[GNX_SPAN_WAIT_IN];
    w->wait_out_s = sum[GNX_SPAN_WAIT_OUT];
    w->wait_lock_s = sum[GNX_SPAN_WAIT_LOCK];
    w->util = c->rep_wall_s > 0 ? w->exec_s / c->rep_wall_s : NAN;
  }
  for (unsigned s = 0; s < c->n_stages; s++) {
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
      const struct gnx_tthread *th = &t->threads[i];
      for (size_t k = 0; k < th->n; k++) {
        if (th->spans[k].stage == s && th->spans[k].kind == GNX_SPAN_EXEC) {
          d[n++] = (th->spans[k].t1 - th->spans[k].t0) * 1e-6;
        }
      }
    }
    qsort(d, n, sizeof *d, gnx__cmp_double);
    c->stages[s].p50_s = gnx__percentile(d, n, 0.50);
    c->stages[s].p99_s = gnx__percentile(d, n, 0.99);
  }
  free(d);
  return 0;
}

static const char *gnx__status(const struct gnx_stage_an *s) {
  if (s->exec_s <= 0 && s->wait_in_s + s->wait_out_s + s->wait_lock_s <= 0) {
    return "idle";
  }
  /* the largest share names the state; busy wins ties */
  double m = s->busy;
  const char *st = "CPU-bound";
  if (s->starved > m) {
    m = s->starved;
    st = "starved";
  }
  if (s->blocked > m) {
    m = s->blocked;
    st = "blocked";
  }
  if (s->locked > m) {
    st = "lock";
  }
  return st;
}

/* The verdict: which stage limits throughput, and the evidence. */
static void gnx__verdict(struct gnx_cell_an *c, const json_t *rep) {
  char a[32], b[32], p1[16], p2[16], p3[16];
  size_t L = sizeof c->verdict;
  char *v = c->verdict;
  c->bottleneck = -1;
  if (!rep || c->n_stages == 0 || !(c->rep_wall_s > 0)) {
    snprintf(v, L, "no successful repetition to analyse");
    return;
  }
  double wall = c->rep_wall_s;
  /* the group whose workers were busiest limits throughput */
  unsigned g = 0;
  for (unsigned k = 1; k < c->n_groups; k++) {
    if (c->groups[k].load > c->groups[g].load) {
      g = k;
    }
  }
  const struct gnx_group_an *G = &c->groups[g];
  /* within a group, the heaviest stage is the one to name */
  int s = -1;
  for (unsigned k = 0; k < c->n_stages; k++) {
    if (c->stages[k].group == (int)g && (s < 0 || c->stages[k].exec_s > c->stages[s].exec_s)) {
      s = (int)k;
    }
  }
  if (s < 0) {
    snprintf(v, L, "no stage executed any item");
    return;
  }
  c->bottleneck = s;
  const struct gnx_stage_an *S = &c->stages[s];
  double exec_total = 0;
  for (unsigned k = 0; k < c->n_stages; k++) {
    exec_total += c->stages[k].exec_s;
  }
  int n = 0;
  if (c->shape == GNX_SHAPE_SERIAL) {
    gnx_fmt_pct(p1, sizeof p1, S->exec_s / wall);
    gnx_fmt_time(a, sizeof a, S->exec_s);
    gnx_fmt_time(b, sizeof b, wall);
    n = snprintf(v, L, "%s takes %s of the run (%s of %s wall)", S->name, p1, a, b);
    gnx_fmt_time(a, sizeof a, exec_total - S->exec_s);
    snprintf(v + n, L - (size_t)n, "; the other stages take %s", a);
    return;
  }
  gnx_fmt_pct(p1, sizeof p1, G->load);
  if (!G->generalist && exec_total / wall >= 0.85 * c->cores && c->cores < c->n_stages) {
    /* more busy stages than cores: the cores, not one stage, set the pace */
    char cores[48];
    snprintf(cores, sizeof cores, c->cores == 1 ? "the one core is" : "the %u cores are",
             c->cores);
    n = snprintf(v, L, "%s saturated: stage code kept %.1f of them busy; the busiest stage, "
                       "%s, has its worker%s busy %s",
                 cores, exec_total / wall, S->name, G->workers == 1 ? "" : "s", p1);
  } else if (G->load < 0.5) {
    gnx_fmt_pct(p2, sizeof p2, c->wait_share);
    n = snprintf(v, L,
                 "no stage is saturated: the busiest, %s, is busy %s and the workers wait %s "
                 "of their time, so hand-offs and waits, not stage work, set the pace",
                 S->name, p1, p2);
    c->bottleneck = -1;
  } else if (G->generalist) {
    gnx_fmt_pct(p2, sizeof p2, G->exec_s > 0 ? S->exec_s / G->exec_s : NAN);
    n = snprintf(v, L, "%s is the heaviest stage: the %u worker%s run%s whole items and %s "
                       "busy %s, %s of it in %s",
                 S->name, G->workers, G->workers == 1 ? "" : "s", G->workers == 1 ? "s" : "",
                 G->workers == 1 ? "is" : "are", p1, p2, S->name);
    /* the sink is the other side of a data-parallel run */
    for (unsigned k = 0; k < c->n_stages; k++) {
      if (c->stages[k].group != (int)g && c->stages[k].starved > 0.05) {
        gnx_fmt_pct(p3, sizeof p3, c->stages[k].starved);
        const char *nm = c->stages[k].name;
        int plain = strcmp(nm, "sink") == 0;
        n += snprintf(v + n, L - (size_t)n, "; the sink%s%s%s is starved %s", plain ? "" : " (",
                      plain ? "" : nm, plain ? "" : ")", p3);
        break;
      }
    }
  } else {
    n = snprintf(v, L, "%s limits throughput: its worker%s busy %s", S->name,
                 G->workers == 1 ? " is" : "s are", p1);
    if (s > 0) {
      const struct gnx_stage_an *U = &c->stages[s - 1];
      gnx_fmt_pct(p2, sizeof p2, U->blocked);
      n += snprintf(v + n, L - (size_t)n, "; upstream %s blocked on output %s of the time",
                    U->name, p2);
    }
    if ((unsigned)s + 1 < c->n_stages) {
      const struct gnx_stage_an *D = &c->stages[s + 1];
      gnx_fmt_pct(p3, sizeof p3, D->starved);
      n += snprintf(v + n, L - (size_t)n, "; downstream %s starved %s", D->name, p3);
    }
  }
  /* Stage code slower than under serial, split where the counters allow:
   * first touches of memory serial's loop reuses (each item in flight has
   * its own buffers; a forked worker starts with a cold heap), priced by
   * the extra page faults times the measured cost of one; time the workers
   * spent inside a stage but off CPU (preempted); and what is left, CPU
   * lost to sharing cores, caches or memory bandwidth. */
  if (!isnan(c->inflation) && c->inflation > 1.25 && n > 0 && (size_t)n < L) {
    double extra_faults = c->faults - c->serial_faults;
    int more_faults = c->fault_time_s != 0; /* NAN too: more, at an unknown cost */
    double extra_s = c->extra_s, fault_time = c->fault_time_s;
    char xs[32], fs[32], ps[32], rs[32];
    n += snprintf(v + n, L - (size_t)n, "; stage code ran %.1fx slower than under serial",
                  c->inflation);
    int known = !isnan(extra_s) && !isnan(fault_time) && !isnan(c->preempted_s);
    if (known && (size_t)n < L) {
      gnx_fmt_time(xs, sizeof xs, extra_s);
      n += snprintf(v + n, L - (size_t)n, " (%s more):", xs);
      const char *sep = "";
      if (more_faults && (size_t)n < L) {
        gnx_fmt_time(fs, sizeof fs, fault_time);
        n += snprintf(v + n, L - (size_t)n,
                      " page faults explain %s (%.0f more than serial's %.0f, at %.1f us each: "
                      "first touches of buffers serial reuses)",
                      fs, extra_faults, c->serial_faults, c->fault_s * 1e6);
        sep = ",";
      }
      if (c->preempted_s >= 0.05 * extra_s && (size_t)n < L) {
        gnx_fmt_time(ps, sizeof ps, c->preempted_s);
        n += snprintf(v + n, L - (size_t)n, "%s %s off CPU inside a stage (preempted)", sep, ps);
        sep = ",";
      }
      double rest = extra_s - fault_time - c->preempted_s;
      if (rest >= 0.05 * extra_s && (size_t)n < L) {
        gnx_fmt_time(rs, sizeof rs, rest);
        n += snprintf(v + n, L - (size_t)n,
                      "%s %s%s more CPU time: sharing cores, caches or memory bandwidth, or a "
                      "busy host",
                      sep,
                      *sep ? "and " : "", rs);
      }
    } else if (more_faults && (size_t)n < L) {
      n += snprintf(v + n, L - (size_t)n,
                    ", with %.1fx its page faults (%.0f vs %.0f: first touches of buffers serial "
                    "reuses)",
                    c->faults / c->serial_faults, c->faults, c->serial_faults);
    } else if ((size_t)n < L) {
      n += snprintf(v + n, L - (size_t)n, " (workers shared CPUs or memory)");
    }
  }
}

/* The stage workers' own CPU time against their time inside stages: what
 * is left over is time a worker was in a stage but not on a CPU. The sink's
 * workers (role = the sink's index) are left out, and so is the sink stage;
 * a worker that serves every stage (serial, data-parallel) runs the stages
 * only, except under serial where the one worker is also the sink. */
static void gnx__stage_cpu(struct gnx_cell_an *c, const json_t *workers) {
  c->preempted_s = NAN;
  if (c->n_stages < 2 || c->shape == GNX_SHAPE_SERIAL) {
    return;
  }
  unsigned sink = c->n_stages - 1;
  double cpu = 0;
  size_t i;
  json_t *w;
  json_array_foreach(workers, i, w) {
    if (gnx_jint(w, GNX_F_STAGE, -1) == (long long)sink) {
      continue;
    }
    const json_t *tc =
        json_object_get(json_object_get(w, GNX_F_COUNTERS), gnx_sw_ctr_name(GNX_SW_TASK_CLOCK));
    if (!json_is_number(tc)) {
      return;
    }
    cpu += json_number_value(tc) / 1e9;
  }
  double exec = 0;
  for (unsigned s = 0; s < sink; s++) {
    exec += c->stages[s].exec_s;
  }
  c->preempted_s = exec > cpu ? exec - cpu : 0;
}

int gnx_cell_analyse(const json_t *cell, const json_t *serial, const struct gnx_tfile *t,
                     unsigned cores, double fault_s, struct gnx_cell_an *c) {
  memset(c, 0, sizeof *c);
  c->cell = cell;
  c->workload = gnx_jstr(cell, GNX_F_WORKLOAD, "?");
  c->engine = gnx_jstr(cell, GNX_F_ENGINE, "?");
  c->status = gnx_jstr(cell, GNX_F_STATUS, "?");
  c->size = (uint64_t)gnx_jint(cell, GNX_F_SIZE, 0);
  c->items = (uint64_t)gnx_jint(cell, GNX_F_ITEMS, 0);
  c->verified = gnx_jbool(cell, GNX_F_VERIFIED, 0);
  c->cores = cores ? cores : 1;
  c->bound_s = c->efficiency = c->inflation = c->startup_s = c->rep_wall_s = NAN;
  c->faults = gnx_cell_rep_median(cell, NULL, GNX_F_MINFLT);
  c->serial_faults = serial ? gnx_cell_rep_median(serial, NULL, GNX_F_MINFLT) : NAN;
  c->fault_s = fault_s;
  c->extra_s = c->fault_time_s = NAN;
  c->sum_s = NAN;
  c->wait_share = NAN;
  c->bottleneck = -1;
  const json_t *tr = json_object_get(cell, GNX_F_TRACE);
  if (json_is_object(tr)) {
    snprintf(c->trace_file, sizeof c->trace_file, "%s", gnx_jstr(tr, GNX_F_FILE, ""));
  }
  if (!serial && strcmp(c->engine, "serial") == 0) {
    serial = cell;
  }

  /* repetitions: wall, start-up, time to result */
  const json_t *reps = json_object_get(cell, GNX_F_REPS);
  double st[1024], tot[1024], wl[1024];
  size_t n_ok = 0, i;
  json_t *rep;
  c->reps = (unsigned)json_array_size(reps);
  json_array_foreach(reps, i, rep) {
    if (gnx_jbool(rep, GNX_F_OK, 0) && n_ok < 1024) {
      st[n_ok] = gnx_jnum(rep, GNX_F_STARTUP_S, NAN);
      wl[n_ok] = gnx_jnum(rep, GNX_F_WALL_S, NAN);
      tot[n_ok] = st[n_ok] + wl[n_ok];
      n_ok++;
    }
  }
  c->reps_ok = (unsigned)n_ok;
  const json_t *stats = json_object_get(cell, GNX_F_STATS);
  gnx__est_from_json(json_object_get(stats, GNX_F_WALL_S), &c->wall);
  if (c->wall.n == 0) {
    gnx_est_compute(wl, n_ok, &c->wall);
  }
  gnx__est_from_json(json_object_get(stats, GNX_F_SPEEDUP), &c->speedup);
  gnx_est_compute(tot, n_ok, &c->total);
  c->startup_s = gnx__median(st, n_ok);
  c->ok = n_ok > 0 && strcmp(c->status, "ok") == 0;

  c->rep = gnx__median_rep(cell);
  const json_t *mrep = c->rep >= 0 ? json_array_get(reps, (size_t)c->rep) : NULL;
  const json_t *stages = json_object_get(mrep, GNX_F_STAGES);
  const json_t *workers = json_object_get(mrep, GNX_F_WORKERS);
  c->rep_wall_s = gnx_jnum(mrep, GNX_F_WALL_S, NAN);
  c->n_stages = (unsigned)json_array_size(stages);
  if (c->n_stages > GNX_AN_MAX_STAGES) {
    c->n_stages = GNX_AN_MAX_STAGES;
  }

  /* roles: a worker serves one stage (dedicated) or all (-1, generalist) */
  unsigned dedicated[GNX_AN_MAX_STAGES] = {0}, generalists = 0, n_workers = 0;
  json_t *w;
  json_array_foreach(workers, i, w) {
    long long role = gnx_jint(w, GNX_F_STAGE, -1);
    n_workers++;
    if (role >= 0 && role < c->n_stages) {
      dedicated[role]++;
    } else {
      generalists++;
    }
  }
  int any_dedicated_work = 0;
  for (unsigned s = 0; s + 1 < c->n_stages; s++) {
    any_dedicated_work |= dedicated[s] > 0;
  }
  c->shape = n_workers <= 1 ? GNX_SHAPE_SERIAL
             : any_dedicated_work ? GNX_SHAPE_PIPELINE
                                  : GNX_SHAPE_DATA_PARALLEL;

  /* stages and groups */
  int gen_group = -1;
  double wait_total = 0, exec_total = 0, serial_total = 0;
  for (unsigned s = 0; s < c->n_stages; s++) {
    const json_t *js = json_array_get(stages, s);
    struct gnx_stage_an *S = &c->stages[s];
    snprintf(S->name, sizeof S->name, "%s", gnx_jstr(js, GNX_F_NAME, "?"));
    S->executing = (unsigned)gnx_jint(js, GNX_F_WORKERS, 0);
    S->workers = dedicated[s] ? dedicated[s] : generalists ? generalists : S->executing;
    S->items = (uint64_t)gnx_jint(js, GNX_F_ITEMS, 0);
    S->exec_s = gnx_jnum(js, GNX_F_EXEC_S, NAN);
    S->wait_in_s = gnx_jnum(js, GNX_F_WAIT_IN_S, NAN);
    S->wait_out_s = gnx_jnum(js, GNX_F_WAIT_OUT_S, NAN);
    S->wait_lock_s = gnx_jnum(js, GNX_F_WAIT_LOCK_S, NAN);
    S->p50_s = S->p99_s = NAN;
    double den = (S->workers ? S->workers : 1) * c->rep_wall_s;
    S->busy = den > 0 ? S->exec_s / den : NAN;
    S->starved = den > 0 ? S->wait_in_s / den : NAN;
    S->blocked = den > 0 ? S->wait_out_s / den : NAN;
    S->locked = den > 0 ? S->wait_lock_s / den : NAN;
    S->status = gnx__status(S);
    S->serial_s = serial ? gnx__serial_cost(serial, s, S->name) : NAN;
    wait_total += S->wait_in_s + S->wait_out_s + S->wait_lock_s;
    exec_total += S->exec_s;
    serial_total += S->serial_s;
    /* capacity: role workers, but only those that executed (subproc's
     * forwarding thread serves the sink without running it) */
    unsigned cap = S->executing ? S->executing : 1;
    if (dedicated[s] || !generalists) {
      struct gnx_group_an *G = &c->groups[c->n_groups];
      memset(G, 0, sizeof *G);
      G->first = G->last = s;
      G->workers = S->workers && S->workers < cap ? S->workers : cap;
      S->group = (int)c->n_groups++;
    } else {
      if (gen_group < 0) {
        gen_group = (int)c->n_groups++;
        memset(&c->groups[gen_group], 0, sizeof c->groups[gen_group]);
        c->groups[gen_group].first = s;
        c->groups[gen_group].generalist = 1;
      }
      struct gnx_group_an *G = &c->groups[gen_group];
      G->last = s;
      unsigned gc = generalists < cap ? generalists : cap;
      G->workers = gc > G->workers ? gc : G->workers;
      S->group = gen_group;
    }
  }
  for (unsigned s = 0; s < c->n_stages; s++) {
    struct gnx_group_an *G = &c->groups[c->stages[s].group];
    G->cost_s += c->stages[s].serial_s;
    G->exec_s += c->stages[s].exec_s;
  }
  for (unsigned k = 0; k < c->n_groups; k++) {
    struct gnx_group_an *G = &c->groups[k];
    G->load = c->rep_wall_s > 0 ? G->exec_s / (G->workers ? G->workers : 1) / c->rep_wall_s : NAN;
  }
  c->wait_share = n_workers && c->rep_wall_s > 0 ? wait_total / (n_workers * c->rep_wall_s) : NAN;

  /* the bound, from serial's costs */
  if (serial && c->n_stages && !isnan(serial_total)) {
    c->sum_s = serial_total;
    double cores_term = serial_total / c->cores, group_term = 0;
    int gmax = -1;
    for (unsigned k = 0; k < c->n_groups; k++) {
      double x = c->groups[k].cost_s / (c->groups[k].workers ? c->groups[k].workers : 1);
      if (x > group_term) {
        group_term = x;
        gmax = (int)k;
      }
    }
    double st0 = isnan(c->startup_s) ? 0 : c->startup_s;
    c->bound_s = fmax(cores_term, group_term) + st0;
    double measured = c->wall.median + st0;
    c->efficiency = measured > 0 ? c->bound_s / measured : NAN;
    char x1[32], x2[32];
    gnx_fmt_time(x2, sizeof x2, st0);
    if (cores_term >= group_term || gmax < 0) {
      gnx_fmt_time(x1, sizeof x1, serial_total);
      snprintf(c->bound_why, sizeof c->bound_why, "%s of work on %u core%s + %s start-up", x1,
               c->cores, c->cores == 1 ? "" : "s", x2);
    } else {
      const struct gnx_group_an *G = &c->groups[gmax];
      gnx_fmt_time(x1, sizeof x1, G->cost_s);
      char gname[112];
      if (G->first == G->last) {
        snprintf(gname, sizeof gname, "%s", c->stages[G->first].name);
      } else if (G->first == 0 && G->last + 1 == c->n_stages) {
        snprintf(gname, sizeof gname, "all stages");
      } else {
        snprintf(gname, sizeof gname, "%s..%s", c->stages[G->first].name,
                 c->stages[G->last].name);
      }
      snprintf(c->bound_why, sizeof c->bound_why, "%.100s: %s on %u worker%s + %s start-up", gname,
               x1, G->workers, G->workers == 1 ? "" : "s", x2);
    }
    if (serial != cell && serial_total > 0) {
      c->inflation = exec_total / serial_total;
      c->extra_s = exec_total - serial_total;
    }
  }
  gnx__stage_cpu(c, workers);
  double extra_faults = c->faults - c->serial_faults;
  c->fault_time_s = c->faults >= 2 * c->serial_faults && extra_faults >= 1000
                        ? extra_faults * c->fault_s
                        : 0;

  if (t) {
    c->have_trace = 1;
    if (gnx__from_trace(c, t, workers) < 0) {
      return -ENOMEM;
    }
  }
  gnx__verdict(c, mrep);
  return 0;
}

void gnx_cell_an_free(struct gnx_cell_an *c) {
  free(c->workers);
  c->workers = NULL;
  c->n_workers = 0;
}

/* ---- the whole report ----------------------------------------------------- */

static const json_t *gnx__find_serial(const json_t *results, const json_t *cell) {
  size_t i;
  json_t *o;
  json_array_foreach(results, i, o) {
    if (strcmp(gnx_jstr(o, GNX_F_ENGINE, ""), "serial") == 0 &&
        strcmp(gnx_jstr(o, GNX_F_WORKLOAD, ""), gnx_jstr(cell, GNX_F_WORKLOAD, "?")) == 0 &&
        gnx_jint(o, GNX_F_SIZE, -1) == gnx_jint(cell, GNX_F_SIZE, -2)) {
      return o;
    }
  }
  return NULL;
}

int gnx_analysis_build(const json_t *report, const char *dir, gnx_trace_hook hook, void *arg,
                       struct gnx_analysis *a, char *why, size_t len) {
  memset(a, 0, sizeof *a);
  a->report = report;
  long long cpus = gnx_jint(json_object_get(report, GNX_F_CONTEXT), GNX_F_CPUS_ALLOWED, 1);
  a->cores = cpus > 0 ? (unsigned)cpus : 1;
  const json_t *pf = json_object_get(json_object_get(report, GNX_F_CONTEXT), GNX_F_PAGE_FAULT_US);
  a->fault_s = json_is_number(pf) && json_number_value(pf) > 0 ? json_number_value(pf) / 1e6 : NAN;
  const json_t *results = json_object_get(report, GNX_F_RESULTS);
  size_t n = json_array_size(results);
  a->cells = calloc(n ? n : 1, sizeof *a->cells);
  if (!a->cells) {
    snprintf(why, len, "out of memory");
    return -ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    const json_t *cell = json_array_get(results, i);
    struct gnx_tfile tf, *tp = NULL;
    char twhy[256] = "";
    const json_t *tr = json_object_get(cell, GNX_F_TRACE);
    if (dir && json_is_object(tr)) {
      const char *file = gnx_jstr(tr, GNX_F_FILE, "");
      char path[4096];
      /* a report names its traces by basename only; never leave dir */
      if (!*file || strchr(file, '/')) {
        snprintf(twhy, sizeof twhy, "trace file name '%s' is not a plain file name", file);
      } else {
        snprintf(path, sizeof path, "%s/%s", dir, file);
        if (gnx_tfile_load(path, &tf, twhy, sizeof twhy) == 0) {
          tp = &tf;
        }
      }
    }
    int rc = gnx_cell_analyse(cell, gnx__find_serial(results, cell), tp, a->cores, a->fault_s,
                              &a->cells[a->n]);
    snprintf(a->cells[a->n].trace_why, sizeof a->cells[a->n].trace_why, "%s", twhy);
    a->n++;
    if (rc == 0 && hook) {
      rc = hook(arg, &a->cells[a->n - 1], tp);
    }
    if (tp) {
      gnx_tfile_free(tp);
    }
    if (rc < 0) {
      snprintf(why, len, "analysis of %s: %s", gnx_jstr(cell, GNX_F_ENGINE, "?"),
               rc == -ENOMEM ? "out of memory" : gnx_strerror(rc));
      gnx_analysis_free(a);
      return rc;
    }
  }
  return 0;
}

void gnx_analysis_free(struct gnx_analysis *a) {
  for (size_t i = 0; i < a->n; i++) {
    gnx_cell_an_free(&a->cells[i]);
  }
  free(a->cells);
  memset(a, 0, sizeof *a);
}

const struct gnx_cell_an *gnx_analysis_serial(const struct gnx_analysis *a,
                                              const struct gnx_cell_an *c) {
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *o = &a->cells[i];
    if (strcmp(o->engine, "serial") == 0 && strcmp(o->workload, c->workload) == 0 &&
        o->size == c->size) {
      return o;
    }
  }
  return NULL;
}
