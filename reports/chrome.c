/* SPDX-License-Identifier: MIT */
/* reports/chrome.c: a run's spans as a Chrome Trace Event file, which
 * Perfetto, chrome://tracing and speedscope open as they are. It is also the
 * stored form of the trace that the analysis and the Gantt charts read.
 *
 * One X event per span (pid = process, tid = thread, name = stage,
 * cat = exec|wait_in|wait_out|wait_lock, args = item), M events naming
 * processes and threads. Times are microseconds from the start barrier.
 * Written with stdio, not jansson: a null-workload trace can hold millions
 * of spans. */
#include <errno.h>
#include <stdio.h>
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
      double ts = ((double)s->t0 - (double)t0) / 1e3, dur = (double)(s->t1 - s->t0) / 1e3;
      fprintf(f, ",\n{\"ph\": \"X\", \"name\": ");
      gnx__json_str(f, stage);
      fprintf(f, ", \"cat\": \"%s\", \"pid\": %d, \"tid\": %d, \"ts\": %.3f, \"dur\": %.3f, "
                 "\"args\": {\"item\": %lld, \"stage\": %u, \"kind\": \"%s\"}}",
              gnx_span_kind_name(s->kind), tw->pid, tw->tid, ts, dur,
              s->item == GNX_ITEM_NONE ? -1LL : (long long)s->item, s->stage,
              gnx_span_kind_name(s->kind));
    }
  }
  fprintf(f, "\n]}\n");
  int rc = ferror(f) ? -EIO : 0;
  if (fclose(f) != 0 && rc == 0) {
    rc = -errno;
  }
  if (rc < 0) {
    snprintf(why, len, "cannot write %s: %s", path, strerror(-rc));
    unlink(path);
  }
  return rc;
}
