/* SPDX-License-Identifier: MIT */
/* reports/json.c: the only writer (and reader) of report.json, of the
 * gate's baselines (report files too), and the typed readers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/report.h"
#include "reports/schema.h"
#include "reports/validate.h"

/* json_dump_callback's writer: every byte to the file, keeping the errno
 * of a failed write (jansson's own json_dumpfd loses it: a full disk was
 * reported as "Inappropriate ioctl for device"). */
struct gnx__out {
  int fd;
  int err;
};

static int gnx__write_all(const char *buf, size_t n, void *data) {
  struct gnx__out *o = data;
  while (n > 0) {
    ssize_t w = write(o->fd, buf, n);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      o->err = w < 0 ? errno : EIO;
      return -1;
    }
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The file being written: unnamed (O_TMPFILE) where the file system
 * allows, so that a SIGKILL while it is written leaves nothing behind; it
 * gets the temporary name beside the report only once complete, just
 * before the rename. */
static int gnx__open_tmp(const char *dir, const char *tmp, int *anon) {
  int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  *anon = fd >= 0;
  return fd >= 0 ? fd : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static int gnx__name_tmp(int fd, const char *tmp) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  (void)unlink(tmp); /* one left by a killed run of the same pid */
  return linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
}

int gnx_report_write(const json_t *report, const char *path, char *why, size_t len) {
  /* the temporary file lies beside the report, so the rename is atomic */
  char tmp[4096], dir[4096];
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  if (snprintf(tmp, sizeof tmp, "%.*s.%s.%d.tmp", (int)(base - path), path, base, (int)getpid()) >=
      (int)sizeof tmp) {
    snprintf(why, len, "cannot write %s: %s", path, strerror(ENAMETOOLONG));
    return -ENAMETOOLONG;
  }
  snprintf(dir, sizeof dir, "%.*s", base > path ? (int)(base - path) : 1, base > path ? path : ".");
  int anon;
  struct gnx__out o = {gnx__open_tmp(dir, tmp, &anon), 0};
  if (o.fd < 0) {
    int e = errno;
    snprintf(why, len, "cannot write %s: %s", path, strerror(e));
    return -e;
  }
  if (json_dump_callback(report, gnx__write_all, &o,
                         JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(10)) == 0) {
    (void)gnx__write_all("\n", 1, &o);
  } else if (!o.err) {
    o.err = ENOMEM; /* jansson failed without a write failing */
  }
  if (!o.err && fsync(o.fd) < 0) {
    o.err = errno;
  }
  int named = !anon;
  if (!o.err && anon) {
    o.err = -gnx__name_tmp(o.fd, tmp);
    named = !o.err;
  }
  if (close(o.fd) < 0 && !o.err) {
    o.err = errno;
  }
  if (!o.err && rename(tmp, path) < 0) {
    o.err = errno;
  }
  if (o.err) {
    if (named) {
      unlink(tmp);
    }
    snprintf(why, len, "cannot write %s: %s", path, strerror(o.err));
    return -o.err;
  }
  return 0;
}

json_t *gnx_report_parse(const char *text, size_t n, const char *name, char *why, size_t len) {
  json_error_t err;
  json_t *r = json_loadb(text, n, JSON_REJECT_DUPLICATES, &err);
  if (!r) {
    snprintf(why, len, "%s: not valid JSON (line %d: %s)", name, err.line, err.text);
    return NULL;
  }
  json_t *v = json_object_get(r, GNX_F_SCHEMA_VERSION);
  if (!json_is_integer(v) || json_integer_value(v) != GNX_REPORT_SCHEMA_VERSION) {
    snprintf(why, len, "%s: not a gnxbench report of schema version %d", name,
             GNX_REPORT_SCHEMA_VERSION);
    json_decref(r);
    return NULL;
  }
  char field[512];
  if (gnx_report_validate(r, field, sizeof field) < 0) {
    snprintf(why, len,
             "%s: invalid report: %s; give a report.json that gnxbench wrote "
             "(docs/report-schema.json)",
             name, field);
    json_decref(r);
    return NULL;
  }
  return r;
}

/* Reports larger than this are not reports of a run (1024 cells of 1024
 * repetitions stay far below it). */
#define GNX_REPORT_MAX_BYTES (512ul << 20)

/* The whole of a regular file of at most max bytes, NUL-terminated, in
 * *text (malloc'd). Returns its size or -errno (a directory, a FIFO, a
 * file too large: EISDIR, EINVAL, EFBIG). */
static ssize_t gnx__read_small(const char *path, size_t max, char **text) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO must not block */
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    int e = errno;
    if (fd >= 0) {
      close(fd);
    }
    return -e;
  }
  int e = S_ISDIR(st.st_mode) ? EISDIR : !S_ISREG(st.st_mode) ? EINVAL
          : (size_t)st.st_size > max ? EFBIG : 0;
  char *buf = e ? NULL : malloc((size_t)st.st_size + 1);
  e = e ? e : buf ? 0 : ENOMEM;
  size_t n = 0;
  while (!e && n < (size_t)st.st_size) {
    ssize_t got = read(fd, buf + n, (size_t)st.st_size - n);
    e = got < 0 ? errno : 0;
    if (got <= 0) {
      break;
    }
    n += (size_t)got;
  }
  close(fd);
  if (e) {
    free(buf);
    return -e;
  }
  buf[n] = '\0';
  *text = buf;
  return (ssize_t)n;
}

json_t *gnx_report_load(const char *path, char *why, size_t len) {
  char *text = NULL;
  ssize_t n = gnx__read_small(path, GNX_REPORT_MAX_BYTES, &text);
  if (n < 0) {
    snprintf(why, len, "%s: cannot read it: %s", path, strerror((int)-n));
    return NULL;
  }
  json_t *r = gnx_report_parse(text, (size_t)n, path, why, len);
  free(text);
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
