/* SPDX-License-Identifier: MIT */
/* Compiled with exactly an engine's include path: the contract and the
 * engines' common code are visible. */
#include "common/ring.h"
#include "gnx/engine.h"

int gnx_layering_ok(void) { return GNX_ENGINE_ABI; }
