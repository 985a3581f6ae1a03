/* SPDX-License-Identifier: MIT */
/* reports/tfile.c: reading the Chrome Trace Event files chrome.c writes
 * back into per-thread spans, for the analysis and the Gantt charts.
 *
 * A trace of millions of spans never becomes one JSON tree: each event is
 * parsed on its own, and the X events exactly as chrome.c writes them take
 * a fast path that needs no JSON parser at all. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnx/err.h"
#include "reports/analysis.h"
#include "reports/schema.h"

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

/* The end of an X event as chrome.c writes it: `, "item": I, "stage": S}`,
 * or as older versions wrote it (args, which speedscope shows in every
 * frame's name): `, "args": {"item": I, "stage": S, "kind": "K"}}`. */
static int gnx__item_stage(const char **p, const char *end, long long *item, long long *stage) {
  int args = gnx__lit(p, ", \"args\": {\"item\": ");
  if (!args && !gnx__lit(p, ", \"item\": ")) {
    return 0;
  }
  if (!gnx__long(p, item) || !gnx__lit(p, ", \"stage\": ") || !gnx__long(p, stage)) {
    return 0;
  }
  if (!args) {
    return gnx__lit(p, "}");
  }
  if (!gnx__lit(p, ", \"kind\": \"")) {
    return 0;
  }
  while (*p < end && **p != '"') {
    (*p)++;
  }
  return gnx__lit(p, "\"}}");
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
      !gnx__item_stage(&p, end, &item, &stage)) {
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

/* Skip a C event (queue depths: the analysis recomputes what it needs) or
 * a flow event (s, t, f: the items' paths): the end of the object,
 * honouring strings. Returns bytes, 0 if unsure. */
static size_t gnx__skip_c(const char *p0, const char *end) {
  const char *p = p0;
  if (!gnx__lit(&p, "{\"ph\": \"") || p + 2 > end || !*p || !strchr("Cstf", *p) || p[1] != '"') {
    return 0;
  }
  p += 2;
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
  /* item and stage: fields of their own, or args in older traces */
  long long item = gnx_jint(ev, "item", gnx_jint(args, "item", -1));
  struct gnx_tspan s;
  s.t0 = ts;
  s.t1 = ts + dur;
  s.item = item < 0 || item >= GNX_ITEM_NONE ? GNX_ITEM_NONE : (uint32_t)item;
  s.stage = (uint16_t)gnx_jint(ev, "stage", gnx_jint(args, "stage", 0));
  s.kind = (uint8_t)kind;
  return gnx__span_push(t, th, &s);
}

/* The whole file in a malloc'd buffer. Returns 0 or a negative code with
 * why (naming path). */
static int gnx__slurp(const char *full, const char *path, char **out, size_t *out_n, char *why,
                      size_t len) {
  FILE *f = fopen(full, "re");
  if (!f) {
    int e = errno;
    snprintf(why, len, "cannot read %s: %s", path, strerror(e));
    return -e;
  }
  char *buf = NULL;
  size_t n = 0, cap = 0, got;
  do {
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
    got = fread(buf + n, 1, cap - n, f);
    n += got;
  } while (got != 0);
  int rerr = ferror(f);
  fclose(f);
  if (rerr) {
    free(buf);
    snprintf(why, len, "cannot read %s", path);
    return -EIO;
  }
  *out = buf;
  *out_n = n;
  return 0;
}

/* The first event of the events array: after "traceEvents", or the whole
 * file (the JSON array form of the format); NULL when there is none. */
static const char *gnx__events_start(const char *buf, size_t n) {
  const char *p = memmem(buf, n, "\"traceEvents\"", 13);
  p = p ? memchr(p, '[', n - (size_t)(p - buf)) : buf;
  while (p && p < buf + n && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) {
    p++;
  }
  return p && p < buf + n && *p == '[' ? p + 1 : NULL;
}

/* The event at p into t, by the fast path or jansson. Returns the bytes it
 * took, or 0 with *rc and why set. */
static size_t gnx__event(struct gnx_tfile *t, const char *p, const char *buf, const char *end,
                         size_t *hint, const char *path, int *rc, char *why, size_t len) {
  struct gnx_tspan fsp;
  int fpid, ftid;
  size_t used = gnx__fast_x(p, end, &fsp, &fpid, &ftid);
  if (used) {
    struct gnx_tthread *th = gnx__thread(t, fpid, ftid, hint);
    *rc = th ? gnx__span_push(t, th, &fsp) : -ENOMEM;
  } else if ((used = gnx__skip_c(p, end)) == 0) {
    json_error_t err;
    json_t *ev = json_loadb(p, (size_t)(end - p), JSON_DISABLE_EOF_CHECK, &err);
    if (!ev) {
      snprintf(why, len, "%s: malformed event at byte %zu: %s", path, (size_t)(p - buf), err.text);
      *rc = GNX_EFORMAT;
      return 0;
    }
    used = err.position;
    *rc = gnx__tfile_event(t, ev, hint);
    json_decref(ev);
  }
  if (*rc < 0) {
    snprintf(why, len, "%s: out of memory", path);
    return 0;
  }
  return used;
}

/* Every event of the array that starts at p (after its '['). */
static int gnx__events(struct gnx_tfile *t, const char *p, const char *buf, const char *end,
                       const char *path, char *why, size_t len) {
  size_t hint = 0;
  for (;;) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == ',')) {
      p++;
    }
    if (p >= end) {
      snprintf(why, len, "%s: the events array is not closed (truncated file?)", path);
      return GNX_EFORMAT;
    }
    if (*p == ']') {
      return 0;
    }
    int rc = 0;
    size_t used = gnx__event(t, p, buf, end, &hint, path, &rc, why, len);
    if (!used) {
      return rc;
    }
    p += used;
  }
}

/* Threads in sort-index order, each one's spans by start; distinct pids. */
static void gnx__tfile_sort(struct gnx_tfile *t) {
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
}

int gnx_tfile_load(const char *full, struct gnx_tfile *t, char *why, size_t len) {
  memset(t, 0, sizeof *t);
  /* messages name the file, not the directory: they end up in summary.md,
   * which must not depend on how the directory was spelled */
  const char *path = strrchr(full, '/') ? strrchr(full, '/') + 1 : full;
  char *buf = NULL;
  size_t n = 0;
  int rc = gnx__slurp(full, path, &buf, &n, why, len);
  if (rc < 0) {
    return rc;
  }
  const char *p = gnx__events_start(buf, n);
  if (!p) {
    snprintf(why, len, "%s: not a Chrome trace (no traceEvents array)", path);
    rc = GNX_EFORMAT;
  } else {
    rc = gnx__events(t, p, buf, buf + n, path, why, len);
  }
  free(buf);
  if (rc < 0) {
    gnx_tfile_free(t);
    return rc;
  }
  gnx__tfile_sort(t);
  return 0;
}

void gnx_tfile_free(struct gnx_tfile *t) {
  for (size_t i = 0; i < t->n; i++) {
    free(t->threads[i].spans);
  }
  free(t->threads);
  memset(t, 0, sizeof *t);
}
