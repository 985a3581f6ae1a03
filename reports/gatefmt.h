/* SPDX-License-Identifier: MIT */
/* reports/gatefmt.h: the gate's verdict for CI systems: JUnit XML (test
 * reporters, GitLab's artifacts:reports:junit) and a Markdown table
 * ($GITHUB_STEP_SUMMARY). Each file is written whole or not at all. */
#ifndef GNX_REPORTS_GATEFMT_H
#define GNX_REPORTS_GATEFMT_H

#include <stddef.h>

#include "reports/gate.h"

/* Whether path can be written: a temporary file beside it is created and
 * removed, so that a bad path is refused before minutes of rerun. Returns
 * 0 or -errno with a one-line reason in why. */
int gnx_gatefmt_probe(const char *path, char *why, size_t len);

/* One <testsuite name="gnxbench gate">; one <testcase classname="WORKLOAD.SIZE"
 * name="ENGINE"> per judged cell, with <failure> when regressed and
 * <skipped> when inconclusive. Returns 0 or -errno with why. */
int gnx_gatefmt_junit(const char *path, const struct gnx_gate_result *r,
                      const struct gnx_gate_opts *o, char *why, size_t len);

/* The console table's columns as a Markdown table, then the verdict line.
 * Returns 0 or -errno with why. */
int gnx_gatefmt_markdown(const char *path, const struct gnx_gate_result *r,
                         const struct gnx_gate_opts *o, char *why, size_t len);

#endif
