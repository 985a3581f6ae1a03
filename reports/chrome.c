/* SPDX-License-Identifier: MIT */
/* reports/chrome.c: a run's spans as a Chrome Trace Event file, which
 * Perfetto, chrome://tracing and speedscope open as they are. It is also the
 * stored form of the trace that the analysis and the Gantt charts read.
 *
 * One X event per span (pid = process, tid = thread, name = stage,
 * cat = exec|wait_in|wait_out|wait_lock, args = item), M events naming
 * processes and threads, and C events for the depth of each queue between
 * workers ("queue into s2": items whose previous stage ended minus items
 * whose stage s started). Times are microseconds from the start barrier.
 * Written with stdio, not jansson: a null-workload trace can hold millions
 * of spans. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

struct gnx__qdelta {
  uint64_t t;
  int d; /* +1: an item entered the queue, -1: it left */
};

static int gnx__cmp_qdelta(const void *a, const void *b) {
  const struct gnx__qdelta *x = a, *y = b;
  if (x->t != y->t) {
    return (x->t > y->t) - (x->t < y->t);
  }
  return y->d - x->d; /* arrivals first: the depth never dips below 0 */
}

/* C events: the depth of the queue into each stage that has one, that is
 * where a stage or its predecessor has workers of its own (a pipeline's
 * queues, a pool's in-order sink); inside one worker nothing queues. Only
 * changes are written, one event per timestamp. */
static int gnx__queue_counters(FILE *f, const struct gnx_trace *t, const char *const *stage_names,
                               unsigned n_names, uint64_t t0, pid_t pid) {
  if (t->n_workers < 2) {
    return 0;
  }
  for (unsigned s = 1; s < n_names; s++) {
    int queued = 0;
    size_t n = 0;
    for (uint32_t w = 0; w < t->n_workers; w++) {
      const struct gnx_trace_worker *tw = t->workers[w];
      queued |= tw->stage == (int32_t)s || tw->stage == (int32_t)s - 1;
      for (uint32_t i = 0; i < tw->len; i++) {
        n += tw->spans[i].kind == GNX_SPAN_EXEC &&
             (tw->spans[i].stage == s || tw->spans[i].stage == s - 1);
      }
    }
    if (!queued || n == 0) {
      continue;
    }
    struct gnx__qdelta *q = malloc(n * sizeof *q);
    if (!q) {
      return -ENOMEM;
    }
    size_t k = 0;
    for (uint32_t w = 0; w < t->n_workers; w++) {
      const struct gnx_trace_worker *tw = t->workers[w];
      for (uint32_t i = 0; i < tw->len; i++) {
        const struct gnx_span *sp = &tw->spans[i];
        if (sp->kind != GNX_SPAN_EXEC) {
          continue;
        }
        if (sp->stage == s - 1) {
          q[k++] = (struct gnx__qdelta){sp->t1, +1};
        } else if (sp->stage == s) {
          q[k++] = (struct gnx__qdelta){sp->t0, -1};
        }
      }
    }
    qsort(q, k, sizeof *q, gnx__cmp_qdelta);
    long depth = 0, shown = -1;
    for (size_t i = 0; i < k; i++) {
      depth += q[i].d;
      if (i + 1 < k && q[i + 1].t == q[i].t) {
        continue; /* one event per timestamp: its final depth */
      }
      if (depth == shown) {
        continue;
      }
      fprintf(f, ",\n{\"ph\": \"C\", \"name\": ");
      char name[96];
      snprintf(name, sizeof name, "queue into %s", stage_names[s]);
      gnx__json_str(f, name);
      fprintf(f, ", \"pid\": %d, \"ts\": %.3f, \"args\": {\"depth\": %ld}}", pid,
              q[i].t >= t0 ? (double)(q[i].t - t0) / 1e3 : -(double)(t0 - q[i].t) / 1e3,
              depth < 0 ? 0 : depth);
      shown = depth;
    }
    free(q);
  }
  return 0;
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
    /* name each process once, by its first worker */
    int named = 0;
    for (uint32_t k = 0; k < w; k++) {
      named |= t->workers[k]->pid == tw->pid;
    }
    if (!named) {
      fprintf(f, "%s{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": %d, \"tid\": %d, "
                 "\"args\": {\"name\": ",
              first ? "" : ",\n", tw->pid, tw->tid);
      char pname[64];
      snprintf(pname, sizeof pname, "%s (pid %d)",
               tw->pid == main_pid ? "gnxbench" : "worker process", tw->pid);
      gnx__json_str(f, pname);
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
    first = 0;
    for (uint32_t i = 0; i < tw->len; i++) {
      const struct gnx_span *s = &tw->spans[i];
      const char *stage = s->stage < n_names ? stage_names[s->stage] : "?";
      /* integer ns first: exact microseconds with 3 decimals, so spans that
       * touch in the trace still touch in the file (never overlap) */
      double ts = (double)(int64_t)(s->t0 - t0) / 1e3, dur = (double)(s->t1 - s->t0) / 1e3;
      fprintf(f, ",\n{\"ph\": \"X\", \"name\": ");
      gnx__json_str(f, stage);
      fprintf(f, ", \"cat\": \"%s\", \"pid\": %d, \"tid\": %d, \"ts\": %.3f, \"dur\": %.3f, "
                 "\"args\": {\"item\": %lld, \"stage\": %u, \"kind\": \"%s\"}}",
              gnx_span_kind_name(s->kind), tw->pid, tw->tid, ts, dur,
              s->item == GNX_ITEM_NONE ? -1LL : (long long)s->item, s->stage,
              gnx_span_kind_name(s->kind));
    }
  }
  int rc0 = gnx__queue_counters(f, t, stage_names, n_names, t0, main_pid);
  fprintf(f, "\n]}\n");
  int rc = rc0 < 0 ? rc0 : ferror(f) ? -EIO : 0;
  if (fclose(f) != 0 && rc == 0) {
    rc = -errno;
  }
  if (rc < 0) {
    snprintf(why, len, "cannot write %s: %s", path, strerror(-rc));
    unlink(path);
  }
  return rc;
}
