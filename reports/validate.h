/* SPDX-License-Identifier: MIT */
/* reports/validate.h: the rules a report.json must meet before a reader
 * trusts it (validate.c), as tables mirroring docs/report-schema.json. */
#ifndef GNX_REPORTS_VALIDATE_H
#define GNX_REPORTS_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

#include "gnx/err.h"

/* Check a parsed report against the rules: the type of every field a
 * reader uses, required sections and fields, ranges (times finite, 0 to
 * 1e7 s; counts non-negative), allowed values, and one cell per (workload,
 * size, engine). Returns 0, or GNX_EFORMAT with "<JSON path>: <problem>"
 * in why, e.g. "results[0].size: expected an integer, found a string". */
int gnx_report_validate(const json_t *report, char *why, size_t len);

/* One table of rules and the schema location it mirrors (a JSON pointer
 * into docs/report-schema.json, "" for the top level), for the test that
 * keeps the two in agreement. The list ends with a NULL schema. */
struct gnx_vrule;
struct gnx_vtable {
  const char *schema;
  const struct gnx_vrule *rules;
};
extern const struct gnx_vtable gnx_report_tables[];

/* Field i of a table: its key ("*": any other field) and whether it is
 * required. Returns 0 past the last. */
int gnx_vtable_field(const struct gnx_vtable *t, size_t i, const char **key, int *req);

#endif
