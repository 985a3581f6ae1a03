/* SPDX-License-Identifier: MIT */
/* core/gil.h: one lock per process that the stages named by --gil hold for
 * the whole of their run, as an interpreter's global lock is held by the
 * code that runs under it. Unlisted stages run free, as native code that
 * releases the lock does. Each process has its own lock (a forked worker
 * gets a fresh one), so process engines escape it and thread engines
 * cannot overlap the locked stages. */
#ifndef GNX_CORE_GIL_H
#define GNX_CORE_GIL_H

#include <stdint.h>

#include "gnx/engine.h"

/* Take the process's lock when bit `stage` of the run's --gil mask is set
 * (stage n_stages is the sink); a wait for it is traced as wait_lock.
 * Returns 1 when taken (give it back with gnx_gil_drop), else 0. */
int gnx_gil_take(struct gnx_worker *w, unsigned stage, uint64_t item);

/* Give back what gnx_gil_take took (taken: its return value). */
void gnx_gil_drop(int taken);

#endif
