/* SPDX-License-Identifier: MIT */
/* core/dir.c: output directories, made and proven writable before a run. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnx/dir.h"

static int gnx__mkdir_p(const char *path) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
    return -ENAMETOOLONG;
  }
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
        return -errno;
      }
      *p = '/';
    }
  }
  return mkdir(buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int gnx_dir_writable(const char *dir, int parents, int *created) {
  struct stat st;
  int existed = stat(dir, &st) == 0;
  if (created) {
    *created = 0;
  }
  if (!*dir) {
    return -ENOENT;
  }
  int rc = existed ? 0 : parents ? gnx__mkdir_p(dir) : mkdir(dir, 0755) < 0 ? -errno : 0;
  if (rc < 0) {
    return rc;
  }
  if (created) {
    *created = !existed;
  }
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    return -ENOTDIR;
  }
  char probe[PATH_MAX];
  if (snprintf(probe, sizeof probe, "%s/.gnx-probe-XXXXXX", dir) >= (int)sizeof probe) {
    return -ENAMETOOLONG;
  }
  int fd = mkstemp(probe);
  if (fd < 0) {
    return -errno;
  }
  close(fd);
  unlink(probe);
  return 0;
}
