/* SPDX-License-Identifier: MIT */
/* reports/chrome.c: a run's spans as a Chrome Trace Event file, which
 * Perfetto, chrome://tracing and speedscope open as they are. It is also the
 * stored form of the trace that the analysis and the Gantt charts read.
 *
 * One X event per span (pid = process, tid = thread, name = the stage,
 * with what a wait waited for; cat = exec|wait_in|wait_out|wait_lock|copy;
 * item and stage as fields of their own), M events naming processes and
 * threads, C events for the depth of each queue between workers ("queue
 * into s2": items whose previous stage ended minus items whose stage s
 * started), and flow events (s, t, f) for each item's path across
 * workers. Times are microseconds from the start barrier.
 * Written with stdio, not jansson: a null-workload trace can hold millions
 * of spans. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/charts.h"
#include "reports/report.h"

static void gnx__json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      fprintf(f, "\\%c", c);
    } else if (c < 0x20) {
      fprintf(f, "\\u%04x", c);
    } else {
      fputc(c, f);
    }
  }
  fputc('"', f);
}

/* An X event's name: the stage for exec, and what the wait was for the
 * others, since viewers that colour or merge by name (speedscope, a
 * flame graph) would otherwise show a stage's waits as its work. */
static void gnx__span_name(char *buf, size_t len, const struct gnx_span *s,
                           const char *const *stage_names, unsigned n_names) {
  static const char *const what[GNX_SPAN__COUNT] = {"", " (starved)", " (blocked)", " (lock)",
                                                     " (copy)"};
  snprintf(buf, len, "%s%s", s->stage < n_names ? stage_names[s->stage] : "?",
           s->kind < GNX_SPAN__COUNT ? what[s->kind] : "");
}

/* Samples per queue counter: a run of 100k items changes a queue's depth
 * 200k times; beyond this many changes, each sample is the deepest the
 * queue got in its 1/GNX_CHROME_COUNTER_MAX of the run, so peaks survive. */
#define GNX_CHROME_COUNTER_MAX 2000
/* Items that get a flow: beyond this many, every k-th item, spread over
 * the run, so that flows never outweigh the spans. */
#define GNX_CHROME_FLOW_MAX 1000

static double gnx__us(uint64_t t, uint64_t t0) {
  return t >= t0 ? (double)(t - t0) / 1e3 : -(double)(t0 - t) / 1e3;
}

struct gnx__qdelta {
  uint64_t t;
  long d; /* +1: an item entered the queue, -1: it left; then the depth */
};

static int gnx__cmp_qdelta(const void *a, const void *b) {
  const struct gnx__qdelta *x = a, *y = b;
  if (x->t != y->t) {
    return (x->t > y->t) - (x->t < y->t);
  }
  return (y->d > x->d) - (y->d < x->d); /* arrivals first: the depth never dips below 0 */
}

/* Whether the queue into stage s exists: s or its predecessor has workers
 * of its own (a pipeline's queues, a pool's in-order sink); inside one
 * worker nothing queues. */
static int gnx__has_queue(const struct gnx_trace *t, unsigned s) {
  for (uint32_t w = 0; w < t->n_workers; w++) {
    if (t->workers[w]->stage == (int32_t)s || t->workers[w]->stage == (int32_t)s - 1) {
      return 1;
    }
  }
  return 0;
}

/* The queue into stage s as depth changes, one per timestamp (its final
 * depth), in *out (malloc'd; *n of them, 0 when none). */
static int gnx__queue_depths(const struct gnx_trace *t, unsigned s, struct gnx__qdelta **out,
                             size_t *n) {
  size_t k = 0;
  for (uint32_t w = 0; w < t->n_workers; w++) {
    for (uint32_t i = 0; i < t->workers[w]->len; i++) {
      const struct gnx_span *sp = &t->workers[w]->spans[i];
      k += sp->kind == GNX_SPAN_EXEC && (sp->stage == s || sp->stage == s - 1);
    }
  }
  struct gnx__qdelta *q = k ? malloc(k * sizeof *q) : NULL;
  if (k && !q) {
    return -ENOMEM;
  }
  k = 0;
  for (uint32_t w = 0; w < t->n_workers; w++) {
    for (uint32_t i = 0; i < t->workers[w]->len; i++) {
      const struct gnx_span *sp = &t->workers[w]->spans[i];
      if (sp->kind == GNX_SPAN_EXEC && (sp->stage == s || sp->stage == s - 1)) {
        q[k++] = sp->stage == s ? (struct gnx__qdelta){sp->t0, -1} : (struct gnx__qdelta){sp->t1, +1};
      }
    }
  }
  if (k) {
    qsort(q, k, sizeof *q, gnx__cmp_qdelta);
  }
  size_t m = 0;
  long depth = 0;
  for (size_t i = 0; i < k; i++) {
    depth += q[i].d;
    if (i + 1 < k && q[i + 1].t == q[i].t) {
      continue;
    }
    if (m == 0 || q[m - 1].d != depth) {
      q[m++] = (struct gnx__qdelta){q[i].t, depth < 0 ? 0 : depth};
    }
  }
  *out = q;
  *n = m;
  return 0;
}

static void gnx__counter(FILE *f, const char *name, pid_t pid, uint64_t t, uint64_t t0,
                         long depth) {
  fprintf(f, ",\n{\"ph\": \"C\", \"name\": ");
  gnx__json_str(f, name);
  fprintf(f, ", \"pid\": %d, \"ts\": %.3f, \"args\": {\"depth\": %ld}}", pid, gnx__us(t, t0),
          depth);
}

/* The depth changes d[0..n) as C events: all of them, or per time bin its
 * deepest point, and then the final depth. */
static void gnx__counter_samples(FILE *f, const char *name, pid_t pid, uint64_t t0,
                                 const struct gnx__qdelta *d, size_t n) {
  uint64_t lo = n ? d[0].t : 0, span = n ? d[n - 1].t - lo + 1 : 1;
  long shown = -1;
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    long deepest = d[i].d;
    if (n > GNX_CHROME_COUNTER_MAX) {
      uint64_t bin = (d[i].t - lo) * GNX_CHROME_COUNTER_MAX / span;
      for (; j < n && (d[j].t - lo) * GNX_CHROME_COUNTER_MAX / span == bin; j++) {
        deepest = d[j].d > deepest ? d[j].d : deepest;
      }
    }
    if (deepest != shown) {
      gnx__counter(f, name, pid, d[i].t, t0, deepest);
      shown = deepest;
    }
    i = j;
  }
  if (n && d[n - 1].d != shown) {
    gnx__counter(f, name, pid, d[n - 1].t, t0, d[n - 1].d);
  }
}

/* C events "queue into <stage>": the depth of each queue between workers:
 * items whose previous stage's exec has ended minus items whose exec of
 * this stage has started. */
static int gnx__queue_counters(FILE *f, const struct gnx_trace *t, const char *const *stage_names,
                               unsigned n_names, uint64_t t0, pid_t pid) {
  for (unsigned s = 1; t->n_workers >= 2 && s < n_names; s++) {
    if (!gnx__has_queue(t, s)) {
      continue;
    }
    struct gnx__qdelta *d;
    size_t n;
    if (gnx__queue_depths(t, s, &d, &n) < 0) {
      return -ENOMEM;
    }
    char name[96];
    snprintf(name, sizeof name, "queue into %s", stage_names[s]);
    gnx__counter_samples(f, name, pid, t0, d, n);
    free(d);
  }
  return 0;
}

/* One exec span of an item: where a flow can stop. */
struct gnx__hop {
  uint64_t t0, t1;
  uint32_t item, w;
  uint16_t stage;
};

static int gnx__cmp_hop(const void *a, const void *b) {
  const struct gnx__hop *x = a, *y = b;
  if (x->item != y->item) {
    return (x->item > y->item) - (x->item < y->item);
  }
  if (x->stage != y->stage) {
    return (x->stage > y->stage) - (x->stage < y->stage);
  }
  return (x->t0 > y->t0) - (x->t0 < y->t0);
}

/* The exec spans of every k-th item (k chosen so that at most
 * GNX_CHROME_FLOW_MAX items are kept), by item, then stage. */
static int gnx__hops(const struct gnx_trace *t, struct gnx__hop **out, size_t *n) {
  uint32_t items = 0;
  size_t k = 0;
  for (uint32_t w = 0; w < t->n_workers; w++) {
    for (uint32_t i = 0; i < t->workers[w]->len; i++) {
      const struct gnx_span *sp = &t->workers[w]->spans[i];
      if (sp->kind == GNX_SPAN_EXEC && sp->item != GNX_ITEM_NONE) {
        items = sp->item + 1 > items ? sp->item + 1 : items;
      }
    }
  }
  uint32_t every = items / GNX_CHROME_FLOW_MAX + 1;
  for (int pass = 0; pass < 2; pass++) {
    k = 0;
    for (uint32_t w = 0; w < t->n_workers; w++) {
      for (uint32_t i = 0; i < t->workers[w]->len; i++) {
        const struct gnx_span *sp = &t->workers[w]->spans[i];
        if (sp->kind == GNX_SPAN_EXEC && sp->item != GNX_ITEM_NONE && sp->item % every == 0) {
          if (pass) {
            (*out)[k] = (struct gnx__hop){sp->t0, sp->t1, sp->item, w, sp->stage};
          }
          k++;
        }
      }
    }
    if (pass == 0 && !(*out = malloc((k ? k : 1) * sizeof **out))) {
      return -ENOMEM;
    }
  }
  if (k) {
    qsort(*out, k, sizeof **out, gnx__cmp_hop);
  }
  *n = k;
  return 0;
}

/* Whether an item arrives on a worker at h[i], or leaves one after it. */
static int gnx__moves(const struct gnx__hop *h, size_t n, size_t i) {
  return (i > 0 && h[i - 1].w != h[i].w) || (i + 1 < n && h[i + 1].w != h[i].w);
}

/* One item's flow over its spans h[0..n): a point where it arrives on a
 * worker and where it leaves one, so the arrows run between workers; an
 * item that stays on one worker has none. Each point sits in the middle of
 * its span, which it binds to ("bp": "e" for the last). */
static void gnx__flow(FILE *f, const struct gnx_trace *t, const struct gnx__hop *h, size_t n,
                      uint64_t t0) {
  size_t last = 0, first = n;
  for (size_t i = 0; i < n; i++) {
    first = first == n && gnx__moves(h, n, i) ? i : first;
    last = gnx__moves(h, n, i) ? i : last;
  }
  for (size_t i = first; i < n; i++) {
    if (!gnx__moves(h, n, i)) {
      continue;
    }
    const struct gnx_trace_worker *tw = t->workers[h[i].w];
    fprintf(f, ",\n{\"ph\": \"%s\", \"name\": \"item\", \"cat\": \"flow\", \"id\": %u, "
               "\"pid\": %d, \"tid\": %d, \"ts\": %.3f%s}",
            i == first ? "s" : i == last ? "f" : "t", h[i].item, tw->pid, tw->tid,
            gnx__us(h[i].t0 + (h[i].t1 - h[i].t0) / 2, t0), i == last ? ", \"bp\": \"e\"" : "");
  }
}

/* Flow events: each (sampled) item's path from stage to stage across
 * workers, the arrows Perfetto and chrome://tracing draw. */
static int gnx__flows(FILE *f, const struct gnx_trace *t, uint64_t t0) {
  struct gnx__hop *h = NULL;
  size_t n;
  if (gnx__hops(t, &h, &n) < 0) {
    return -ENOMEM;
  }
  for (size_t a = 0, b; a < n; a = b) {
    for (b = a + 1; b < n && h[b].item == h[a].item; b++) {
    }
    gnx__flow(f, t, h + a, b - a, t0);
  }
  free(h);
  return 0;
}

/* M events naming worker w's thread, and its process by its first worker. */
static void gnx__thread_meta(FILE *f, const struct gnx_trace *t, uint32_t w, pid_t main_pid,
                             int first) {
  const struct gnx_trace_worker *tw = t->workers[w];
  int named = 0;
  for (uint32_t k = 0; k < w; k++) {
    named |= t->workers[k]->pid == tw->pid;
  }
  if (!named) {
    fprintf(f, "%s{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": %d, \"tid\": %d, "
               "\"args\": {\"name\": ",
            first ? "" : ",\n", tw->pid, tw->tid);
    /* no pid in the name: every viewer shows it beside the name */
    gnx__json_str(f, tw->pid == main_pid ? "gnxbench" : "worker process");
    fprintf(f, "}}");
    first = 0;
  }
  fprintf(f, "%s{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": %d, \"tid\": %d, "
             "\"args\": {\"name\": ",
          first ? "" : ",\n", tw->pid, tw->tid);
  gnx__json_str(f, tw->name);
  fprintf(f, "}},\n{\"ph\": \"M\", \"name\": \"thread_sort_index\", \"pid\": %d, \"tid\": %d, "
             "\"args\": {\"sort_index\": %u}}",
          tw->pid, tw->tid, w);
}

/* One span as an X event. The item and the stage index are fields of
 * their own, not args: speedscope makes args part of a frame's name, and
 * every span would become a frame of its own. */
static void gnx__span_event(FILE *f, const struct gnx_trace_worker *tw, const struct gnx_span *s,
                            const char *const *stage_names, unsigned n_names, uint64_t t0) {
  char name[96];
  gnx__span_name(name, sizeof name, s, stage_names, n_names);
  /* integer ns first: exact microseconds with 3 decimals, so spans that
   * touch in the trace still touch in the file (never overlap) */
  double ts = (double)(int64_t)(s->t0 - t0) / 1e3, dur = (double)(s->t1 - s->t0) / 1e3;
  fprintf(f, ",\n{\"ph\": \"X\", \"name\": ");
  gnx__json_str(f, name);
  fprintf(f, ", \"cat\": \"%s\", \"pid\": %d, \"tid\": %d, \"ts\": %.3f, \"dur\": %.3f, "
             "\"item\": %lld, \"stage\": %u}",
          gnx_span_kind_name(s->kind), tw->pid, tw->tid, ts, dur,
          s->item == GNX_ITEM_NONE ? -1LL : (long long)s->item, s->stage);
}

int gnx_chrome_write(const char *path, const struct gnx_trace *t, const char *const *stage_names,
                     unsigned n_names, uint64_t t0, const char *title, char *why, size_t len) {
  FILE *f = fopen(path, "we");
  if (!f) {
    int e = errno;
    snprintf(why, len, "cannot write %s: %s", path, strerror(e));
    return -e;
  }
  fprintf(f, "{\"displayTimeUnit\": \"ms\", \"otherData\": {\"title\": ");
  gnx__json_str(f, title);
  fprintf(f, "},\n\"traceEvents\": [\n");
  int first = 1;
  pid_t main_pid = t->n_workers ? t->workers[0]->pid : 0;
  for (uint32_t w = 0; w < t->n_workers; w++) {
    const struct gnx_trace_worker *tw = t->workers[w];
    if (!tw->pid) {
      continue; /* never entered */
    }
    gnx__thread_meta(f, t, w, main_pid, first);
    first = 0;
    for (uint32_t i = 0; i < tw->len; i++) {
      gnx__span_event(f, tw, &tw->spans[i], stage_names, n_names, t0);
    }
  }
  int rc0 = gnx__queue_counters(f, t, stage_names, n_names, t0, main_pid);
  rc0 = rc0 < 0 ? rc0 : gnx__flows(f, t, t0);
  fprintf(f, "\n]}\n");
  int rc1 = gnx_file_close(f);
  int rc = rc0 < 0 ? rc0 : rc1;
  if (rc < 0) {
    snprintf(why, len, "cannot write %s: %s", path, strerror(-rc));
    unlink(path);
  }
  return rc;
}
