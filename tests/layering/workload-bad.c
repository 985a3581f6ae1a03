/* SPDX-License-Identifier: MIT */
/* Compiled with exactly a workload's include path: neither the harness nor
 * the core's private headers are visible, so this must not compile. */
#include "gnx/workload.h"
#include "core/counters.h"

int gnx_layering_bad_wl(void) { return 0; }
