/* SPDX-License-Identifier: MIT */
/* reports/json.c: the only writer (and reader) of report.json. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"

int gnx_report_write(const json_t *report, const char *dir, char *why, size_t len) {
  char tmp[4096], path[4096];
  snprintf(path, sizeof path, "%s/report.json", dir);
  snprintf(tmp, sizeof tmp, "%s/.report.json.%d.tmp", dir, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    int e = errno;
    snprintf(why, len, "cannot write %s: %s", path, strerror(e));
    return -e;
  }
  int rc = json_dumpfd(report, fd, JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(10));
  if (rc == 0 && write(fd, "\n", 1) != 1) {
    rc = -1;
  }
  int e = errno;
  if (rc == 0 && fsync(fd) < 0) {
    rc = -1;
    e = errno;
  }
  close(fd);
  if (rc == 0 && rename(tmp, path) < 0) {
    rc = -1;
    e = errno;
  }
  if (rc < 0) {
    unlink(tmp);
    snprintf(why, len, "cannot write %s: %s", path, strerror(e ? e : EIO));
    return -(e ? e : EIO);
  }
  return 0;
}

json_t *gnx_report_load(const char *path, char *why, size_t len) {
  json_error_t err;
  json_t *r = json_load_file(path, 0, &err);
  if (!r) {
    snprintf(why, len, "%s: not valid JSON (line %d: %s)", path, err.line, err.text);
    return NULL;
  }
  json_t *v = json_object_get(r, "schema_version");
  if (!json_is_integer(v) || json_integer_value(v) != GNX_REPORT_SCHEMA_VERSION) {
    snprintf(why, len, "%s: not a gnxbench report of schema version %d", path,
             GNX_REPORT_SCHEMA_VERSION);
    json_decref(r);
    return NULL;
  }
  if (!json_is_array(json_object_get(r, "results"))) {
    snprintf(why, len, "%s: the report has no results array", path);
    json_decref(r);
    return NULL;
  }
  return r;
}

const json_t *gnx_report_cell(const json_t *report, const char *workload, json_int_t size,
                              const char *engine) {
  const json_t *res = json_object_get(report, "results");
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *c = json_array_get(res, i);
    const char *w = json_string_value(json_object_get(c, "workload"));
    const char *e = json_string_value(json_object_get(c, "engine"));
    if (w && e && strcmp(w, workload) == 0 && strcmp(e, engine) == 0 &&
        json_integer_value(json_object_get(c, "size")) == size) {
      return c;
    }
  }
  return NULL;
}
