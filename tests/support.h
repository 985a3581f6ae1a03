/* SPDX-License-Identifier: MIT */
/* tests/support.h: run a workload under an engine, as the harness would. */
#ifndef GNX_TESTS_SUPPORT_H
#define GNX_TESTS_SUPPORT_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>

#include "harness/runner.h"

struct gnx_test_out {
  int rc;            /* setup or engine code */
  int check_rc;      /* the workload's check hook (0 when it has none) */
  json_t *summary;   /* the sink's result */
  json_t *detail;    /* the check hook's detail, or NULL */
  char errmsg[320];
  double wall_s;
  unsigned n_workers; /* workers in the trace */
};

/* Run workload `wl` under engine `eng` at size n. `opts` is a NULL-ended
 * list of "name=value" strings applied to both plugins' declared options
 * (e.g. "work=64", "workers=2"). Returns out->rc. */
int gnx_test_run(const char *wl, const char *eng, uint64_t n, const char *const *opts,
                 struct gnx_test_out *out);
/* As gnx_test_run, injecting `fault` (NULL: none; see struct gnx_fault). */
int gnx_test_run_fault(const char *wl, const char *eng, uint64_t n, const char *const *opts,
                       const struct gnx_fault *fault, struct gnx_test_out *out);
/* As gnx_test_run_fault, with the stop flag the engine watches (NULL: one
 * that is never set), so a test can request a stop from another thread. */
int gnx_test_run_stop(const char *wl, const char *eng, uint64_t n, const char *const *opts,
                      const struct gnx_fault *fault, const volatile sig_atomic_t *stop,
                      struct gnx_test_out *out);
void gnx_test_out_free(struct gnx_test_out *out);

/* When set, called with every run's whole result (its trace included)
 * before the result is freed, so a test can look at the spans. */
extern void (*gnx_test_result_hook)(const struct gnx_run_result *res, void *arg);
extern void *gnx_test_result_arg;

/* Assert-style helper: 1 when both summaries are equal JSON. */
int gnx_test_json_equal(const json_t *a, const json_t *b);

#endif
