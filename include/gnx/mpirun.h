/* SPDX-License-Identifier: MIT */
/* include/gnx/mpirun.h: what every mpirun job gnxbench starts on one host
 * needs (the mpi engine, the broadcast scenario): a private directory for
 * Open MPI's session and shared-memory files, and the environment that
 * makes Open MPI start fast and run as root (core/mpirun.c). */
#ifndef GNX_MPIRUN_H
#define GNX_MPIRUN_H

#include <stddef.h>

/* Make TMPDIR/gnx-mpi.<pid>.XXXXXX (TMPDIR shorter than 32 bytes, else
 * /tmp) into path (len >= 64), first removing those of harnesses that are
 * gone (SIGKILLed: their pid no longer exists). Returns 0, or -errno with
 * path set to "" and the directory tried in base (len >= 32). */
int gnx_mpirun_tmp_make(char *path, size_t len, char *base, size_t base_len);

/* Remove the directory and what Open MPI left in it; path becomes "". */
void gnx_mpirun_tmp_remove(char *path);

/* In the forked child, before exec of mpirun: root's permission, ob1 over
 * shared memory (and TCP with tcp), no leak report after MPI_Finalize
 * under ASan, Open MPI's files in tmp (when not ""). Values the user set
 * stay. */
void gnx_mpirun_env(const char *tmp, int tcp);

#endif
