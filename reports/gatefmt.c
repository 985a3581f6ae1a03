/* SPDX-License-Identifier: MIT */
/* reports/gatefmt.c: the gate's verdict as JUnit XML and as Markdown.
 *
 * CI systems read test results, not console tables: a regressed cell is a
 * failed test, an inconclusive one a skipped test (noise is not a failure,
 * but it should show). The files are written to a temporary name beside
 * the target and renamed, so a reader never sees half a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/charts.h"
#include "reports/gatefmt.h"

typedef void (*gnx__body_fn)(FILE *f, const struct gnx_gate_result *r,
                             const struct gnx_gate_opts *o);

/* path's temporary sibling: ".NAME.PID.tmp" in the same directory, so that
 * the rename is atomic. */
static int gnx__tmp_name(char *dst, size_t len, const char *path) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  int n = snprintf(dst, len, "%.*s.%s.%d.tmp", (int)(base - path), path, base, (int)getpid());
  return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int gnx__fail(char *why, size_t len, const char *path, int err) {
  snprintf(why, len, "cannot write %s: %s", path, strerror(err));
  return -err;
}

int gnx_gatefmt_probe(const char *path, char *why, size_t len) {
  char tmp[4096];
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    return gnx__fail(why, len, path, EISDIR);
  }
  if (gnx__tmp_name(tmp, sizeof tmp, path) < 0) {
    return gnx__fail(why, len, path, ENAMETOOLONG);
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return gnx__fail(why, len, path, errno);
  }
  close(fd);
  unlink(tmp);
  return 0;
}

static int gnx__write(const char *path, gnx__body_fn body, const struct gnx_gate_result *r,
                      const struct gnx_gate_opts *o, char *why, size_t len) {
  char tmp[4096];
  if (gnx__tmp_name(tmp, sizeof tmp, path) < 0) {
    return gnx__fail(why, len, path, ENAMETOOLONG);
  }
  FILE *f = fopen(tmp, "we");
  if (!f) {
    return gnx__fail(why, len, path, errno);
  }
  body(f, r, o);
  int err = -gnx_file_close(f);
  if (!err && rename(tmp, path) < 0) {
    err = errno;
  }
  if (err) {
    unlink(tmp);
    return gnx__fail(why, len, path, err);
  }
  return 0;
}

/* What a reader of a failed or skipped test needs: the figures and why. */
static void gnx__cell_detail(char *dst, size_t len, const struct gnx_gate_cell *g) {
  struct gnx_gate_text t;
  gnx_gate_cell_text(g, &t);
  snprintf(dst, len, "baseline %.2fx, threshold %.2fx, new speedup %s, interval %s, change %s: %s",
           g->base, g->threshold, t.speedup, t.interval, t.change, g->why);
}

static void gnx__junit_case(FILE *f, const struct gnx_gate_cell *g) {
  char detail[512];
  gnx__cell_detail(detail, sizeof detail, g);
  fprintf(f, "    <testcase classname=\"");
  gnx_markup_escape(f, g->workload);
  fprintf(f, ".%llu\" name=\"", (unsigned long long)g->size);
  gnx_markup_escape(f, g->engine);
  fprintf(f, "\" time=\"0\"");
  if (g->verdict == GNX_GATE_PASS) {
    fprintf(f, "/>\n");
    return;
  }
  const char *tag = g->verdict == GNX_GATE_REGRESSED ? "failure" : "skipped";
  fprintf(f, ">\n      <%s message=\"", tag);
  gnx_markup_escape(f, g->verdict == GNX_GATE_REGRESSED ? g->why : detail);
  if (g->verdict == GNX_GATE_REGRESSED) {
    fprintf(f, "\" type=\"regressed\">");
    gnx_markup_escape(f, detail);
    fprintf(f, "</failure>\n");
  } else {
    fprintf(f, "\"/>\n");
  }
  fprintf(f, "    </testcase>\n");
}

static void gnx__junit_body(FILE *f, const struct gnx_gate_result *r,
                            const struct gnx_gate_opts *o) {
  char line[256];
  gnx_gate_summary(line, sizeof line, r, o);
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(f, "<testsuites name=\"gnxbench\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n",
          r->n, r->n_regressed, r->n_inconclusive);
  fprintf(f, "  <testsuite name=\"gnxbench gate\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
             "skipped=\"%zu\">\n",
          r->n, r->n_regressed, r->n_inconclusive);
  for (size_t i = 0; i < r->n; i++) {
    gnx__junit_case(f, &r->cells[i]);
  }
  fprintf(f, "    <system-out>"); /* after the test cases, as the JUnit schema orders them */
  gnx_markup_escape(f, line);
  fprintf(f, "</system-out>\n");
  fprintf(f, "  </testsuite>\n</testsuites>\n");
}

int gnx_gatefmt_junit(const char *path, const struct gnx_gate_result *r,
                      const struct gnx_gate_opts *o, char *why, size_t len) {
  return gnx__write(path, gnx__junit_body, r, o, why, len);
}

static void gnx__md_body(FILE *f, const struct gnx_gate_result *r, const struct gnx_gate_opts *o) {
  fprintf(f, "### gnxbench gate\n\n");
  gnx_gate_table(f, r, o, 1);
}

int gnx_gatefmt_markdown(const char *path, const struct gnx_gate_result *r,
                         const struct gnx_gate_opts *o, char *why, size_t len) {
  return gnx__write(path, gnx__md_body, r, o, why, len);
}
