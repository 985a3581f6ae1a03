/* SPDX-License-Identifier: MIT */
/* gnx/dir.h: output directories (--out, a workload's --save-output). */
#ifndef GNX_DIR_H
#define GNX_DIR_H

#ifdef __cplusplus
extern "C" {
#endif

/* Make dir (with parents set, its missing parents too), then prove it
 * writable by creating and removing a file in it: access(2) says yes to
 * root on /proc and on a read-only bind mount, and only a write shows
 * those. *created (may be NULL) counts the directories made here, the
 * deepest ones, so that a caller that gives up can remove them
 * (gnx_dir_unmake). Returns 0 or -errno (ENOTDIR when dir is a file). */
int gnx_dir_writable(const char *dir, int parents, int *created);

/* Remove the `created` deepest directories of dir, as gnx_dir_writable
 * made them (each only if empty). */
void gnx_dir_unmake(const char *dir, int created);

#ifdef __cplusplus
}
#endif

#endif
