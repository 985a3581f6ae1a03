/* SPDX-License-Identifier: MIT */
/* reports/json.c: the only writer (and reader) of report.json, of the
 * gate's baselines (report files too), and the typed readers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"
#include "reports/schema.h"

int gnx_report_write(const json_t *report, const char *path, char *why, size_t len) {
  /* the temporary file lies beside the report, so the rename is atomic */
  char tmp[4096];
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  if (snprintf(tmp, sizeof tmp, "%.*s.%s.%d.tmp", (int)(base - path), path, base, (int)getpid()) >=
      (int)sizeof tmp) {
    snprintf(why, len, "cannot write %s: %s", path, strerror(ENAMETOOLONG));
    return -ENAMETOOLONG;
  }
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
  json_t *v = json_object_get(r, GNX_F_SCHEMA_VERSION);
  if (!json_is_integer(v) || json_integer_value(v) != GNX_REPORT_SCHEMA_VERSION) {
    snprintf(why, len, "%s: not a gnxbench report of schema version %d", path,
             GNX_REPORT_SCHEMA_VERSION);
    json_decref(r);
    return NULL;
  }
  if (!json_is_array(json_object_get(r, GNX_F_RESULTS))) {
    snprintf(why, len, "%s: the report has no results array", path);
    json_decref(r);
    return NULL;
  }
  return r;
}

const json_t *gnx_report_cell(const json_t *report, const char *workload, json_int_t size,
                              const char *engine) {
  const json_t *res = json_object_get(report, GNX_F_RESULTS);
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *c = json_array_get(res, i);
    const char *w = gnx_jstr(c, GNX_F_WORKLOAD, NULL);
    const char *e = gnx_jstr(c, GNX_F_ENGINE, NULL);
    if (w && e && strcmp(w, workload) == 0 && strcmp(e, engine) == 0 &&
        gnx_jint(c, GNX_F_SIZE, 0) == size) {
      return c;
    }
  }
  return NULL;
}

double gnx_jnum(const json_t *o, const char *key, double fallback) {
  const json_t *v = json_object_get(o, key);
  return json_is_number(v) ? json_number_value(v) : fallback;
}

json_int_t gnx_jint(const json_t *o, const char *key, json_int_t fallback) {
  const json_t *v = json_object_get(o, key);
  return json_is_integer(v) ? json_integer_value(v) : fallback;
}

const char *gnx_jstr(const json_t *o, const char *key, const char *fallback) {
  const json_t *v = json_object_get(o, key);
  return json_is_string(v) ? json_string_value(v) : fallback;
}

int gnx_jbool(const json_t *o, const char *key, int fallback) {
  const json_t *v = json_object_get(o, key);
  return json_is_boolean(v) ? json_is_true(v) : fallback;
}
