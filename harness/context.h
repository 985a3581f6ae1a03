/* SPDX-License-Identifier: MIT */
/* harness/context.h: where and how a run happened, for the report. */
#ifndef GNX_HARNESS_CONTEXT_H
#define GNX_HARNESS_CONTEXT_H

#include <jansson.h>
#include <stddef.h>

/* The report's "context" object: host, CPU, topology, kernel, compiler and
 * flags, build type, git revision, date, and the command line (an array of
 * its words; the context takes the reference). */
json_t *gnx_context_new(json_t *command_line);

/* "<kind>-YYYYmmdd-HHMMSS-<pid>" (UTC now) into buf: the default name of
 * a gate's or a scenario's output directory. */
void gnx_context_stamp(char *buf, size_t len, const char *kind);

/* Topology for `gnxbench list`: one line per fact, on f. */
void gnx_context_print(FILE *f);

#endif
