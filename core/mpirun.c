/* SPDX-License-Identifier: MIT */
/* core/mpirun.c: a private directory for Open MPI's files on this host,
 * and the environment of an mpirun job (include/gnx/mpirun.h). */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnx/mpirun.h"

static int gnx__tmp_unlink(const char *path, const struct stat *st, int type, struct FTW *f) {
  (void)st;
  (void)f;
  (void)(type == FTW_DP ? rmdir(path) : unlink(path)); /* remove what can be */
  return 0;
}

/* Directories of harnesses that were SIGKILLed (their pid is gone). */
static void gnx__tmp_sweep(const char *base) {
  DIR *d = opendir(base);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    int pid = 0;
    char path[512];
    if (sscanf(e->d_name, "gnx-mpi.%d.", &pid) == 1 && pid > 0 && kill(pid, 0) < 0 &&
        errno == ESRCH) {
      snprintf(path, sizeof path, "%s/%s", base, e->d_name);
      (void)nftw(path, gnx__tmp_unlink, 16, FTW_DEPTH | FTW_PHYS);
    }
  }
  if (d) {
    closedir(d);
  }
}

int gnx_mpirun_tmp_make(char *path, size_t len, char *base, size_t base_len) {
  const char *t = getenv("TMPDIR");
  snprintf(base, base_len, "%s", t && *t && strlen(t) < 32 ? t : "/tmp");
  gnx__tmp_sweep(base);
  snprintf(path, len, "%s/gnx-mpi.%d.XXXXXX", base, (int)getpid());
  if (!mkdtemp(path)) {
    int rc = -errno;
    path[0] = '\0';
    return rc;
  }
  return 0;
}

void gnx_mpirun_tmp_remove(char *path) {
  if (path[0]) {
    (void)nftw(path, gnx__tmp_unlink, 16, FTW_DEPTH | FTW_PHYS);
    path[0] = '\0';
  }
}

void gnx_mpirun_env(const char *tmp, int tcp) {
  if (geteuid() == 0) { /* Open MPI refuses root without both */
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  }
  /* ob1 over shared memory: MPI_Init in ~30 ms instead of ~230 (no UCX/OFI probing) */
  setenv("OMPI_MCA_pml", "ob1", 0);
  setenv("OMPI_MCA_btl", tcp ? "self,vader,tcp" : "self,vader", 0);
  /* Under AddressSanitizer (make check-sanitize) the ranks would fail at
   * exit on what Open MPI leaves allocated after MPI_Finalize; elsewhere
   * the variable does nothing. */
  setenv("LSAN_OPTIONS", "detect_leaks=0", 0);
  if (tmp[0]) { /* not /dev/shm: a killed rank's segments go with this directory */
    setenv("OMPI_MCA_btl_vader_backing_directory", tmp, 0);
    setenv("OMPI_MCA_orte_tmpdir_base", tmp, 0);
  }
}
