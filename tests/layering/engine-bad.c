/* SPDX-License-Identifier: MIT */
/* Compiled with exactly an engine's include path: the harness is not
 * visible, so this must not compile. */
#include "gnx/engine.h"
#include "harness/registry.h"

int gnx_layering_bad(void) { return (int)gnx_n_engines; }
