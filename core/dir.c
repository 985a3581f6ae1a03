/* SPDX-License-Identifier: MIT */
/* core/dir.c: output directories, made and proven writable before a run. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnx/dir.h"

/* mkdir -p; *made counts the directories it created (the deepest ones). */
static int gnx__mkdir_p(const char *path, int *made) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
    return -ENAMETOOLONG;
  }
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(buf, 0755) == 0) {
        (*made)++;
      } else if (errno != EEXIST) {
        return -errno;
      }
      *p = c;
      if (!c) {
        return 0;
      }
    }
  }
}

int gnx_dir_writable(const char *dir, int parents, int *created) {
  struct stat st;
  int made = 0;
  if (created) {
    *created = 0;
  }
  if (!*dir) {
    return -ENOENT;
  }
  int rc = stat(dir, &st) == 0 ? 0
           : parents         ? gnx__mkdir_p(dir, &made)
           : mkdir(dir, 0755) < 0 ? -errno
                                  : (made = 1, 0);
  if (created) {
    *created = made;
  }
  if (rc < 0) {
    return rc;
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

void gnx_dir_unmake(const char *dir, int created) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", dir);
  for (int i = 0; i < created; i++) {
    size_t l = strlen(buf);
    while (l > 1 && buf[l - 1] == '/') {
      buf[--l] = '\0';
    }
    if (rmdir(buf) < 0) {
      return;
    }
    char *slash = strrchr(buf, '/');
    if (!slash) {
      return;
    }
    *slash = '\0';
  }
}
