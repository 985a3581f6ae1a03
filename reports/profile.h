/* SPDX-License-Identifier: MIT */
/* reports/profile.h: the model's inputs and outputs in report.json: the
 * serial profile of each (workload, size), the machine constants, and per
 * cell the tuning and the prediction; read back by `gnxbench predict`. */
#ifndef GNX_REPORTS_PROFILE_H
#define GNX_REPORTS_PROFILE_H

#include <jansson.h>

#include "core/profile.h"

/* Profiles of more items than this keep per stage GNX_PROFILE_QUANTILES
 * quantiles instead of every item's cost (a null run of 100k items would
 * otherwise write 500k numbers); gnx_profile_from_json spreads them back
 * over the items in a fixed interleaved order. */
#define GNX_PROFILE_EXACT_MAX 4096
#define GNX_PROFILE_QUANTILES 257

/* {"stages": [...], "items": N, "sink_wait_s": w, "bytes_per_item": b,
 *  "cost_ns": [[stage 0 per item], ...]} or "quantiles_ns" instead. */
json_t *gnx_profile_json(const struct gnx_profile *p);
/* Read it back; names point into o. Returns 0 or GNX_EFORMAT with why. */
int gnx_profile_from_json(const json_t *o, struct gnx_profile *p, char *why, size_t len);

/* {"handoff_us", "fork_us", "copy_gbps", "page_fault_us", "span_ns"} */
json_t *gnx_machine_json(const struct gnx_machine *m);
/* Read context.machine; a missing figure is 0 (free). Returns 0 or
 * GNX_EFORMAT. */
int gnx_machine_from_json(const json_t *o, struct gnx_machine *m, char *why, size_t len);

/* {"options": {name: value}, "given": [names], "steps": [{"set", "wall_s"}],
 *  "stop": "...", "wall_s": w} */
json_t *gnx_tune_json(const struct gnx_tune *t);

/* Run `gnuplot gp` in dir (reports/gantt.c). Returns 0, -ENOENT when
 * gnuplot is not on PATH, or GNX_EGNUPLOT with its first error in why. */
int gnx_gnuplot_run(const char *dir, const char *gp, char *why, size_t len);

/* The scaling charts of `gnxbench predict` (reports/scaling.c): one per
 * (workload, size) of the report, from predict.json's rows. Returns 0 or a
 * negative code with why (a missing gnuplot is not an error). */
int gnx_scaling_chart_write(const char *dir, const json_t *report, const json_t *rows,
                            char *why, size_t len);

#endif
