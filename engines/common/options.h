/* SPDX-License-Identifier: MIT */
/* engines/common/options.h: options that several engines declare. One
 * declaration each, so that `--workers` or `--ring-slots` means the same
 * to every engine that takes it (the registry refuses two declarations of
 * one name that differ). */
#ifndef GNX_ENGINES_OPTIONS_H
#define GNX_ENGINES_OPTIONS_H

#include "gnx/option.h"

/* procpool, async */
#define GNX_OPTION_WORKERS                                                                    \
  {"workers", GNX_OPT_U64, "auto",                                                            \
   "worker threads or processes (auto: chosen by the engine's model; 0 = one per CPU)", 0,    \
   4096, GNX_OPT_F_AUTO}

/* procpool, subproc */
#define GNX_OPTION_RING_SLOTS                                                                 \
  {"ring-slots", GNX_OPT_U64, "auto",                                                         \
   "items published ahead of the sink across the process boundary (auto: chosen by the "      \
   "engine's model)",                                                                         \
   1, 65536, GNX_OPT_F_AUTO}
#define GNX_OPTION_SLOT_BYTES                                                                 \
  {"slot-bytes", GNX_OPT_U64, "16m",                                                          \
   "largest item a shared-memory slot holds (virtual memory only)", 1, 1ull << 32, 0}

#endif
