/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness/registry.h"
#include "tests/support.h"

static volatile sig_atomic_t gnx_test_stop;
void (*gnx_test_result_hook)(const struct gnx_run_result *res, void *arg);
void *gnx_test_result_arg;

int gnx_test_run(const char *wl_name, const char *eng_name, uint64_t n, const char *const *opts,
                 struct gnx_test_out *out) {
  return gnx_test_run_stop(wl_name, eng_name, n, opts, NULL, NULL, out);
}

int gnx_test_run_fault(const char *wl_name, const char *eng_name, uint64_t n,
                       const char *const *opts, const struct gnx_fault *fault,
                       struct gnx_test_out *out) {
  return gnx_test_run_stop(wl_name, eng_name, n, opts, fault, NULL, out);
}

int gnx_test_run_stop(const char *wl_name, const char *eng_name, uint64_t n,
                      const char *const *opts, const struct gnx_fault *fault,
                      const volatile sig_atomic_t *stop, struct gnx_test_out *out) {
  memset(out, 0, sizeof *out);
  const struct gnx_workload *wl = gnx_workload_find(wl_name);
  const struct gnx_engine *e = gnx_engine_find(eng_name);
  if (!wl || !e) {
    snprintf(out->errmsg, sizeof out->errmsg, "no %s named %s", wl ? "engine" : "workload",
             wl ? eng_name : wl_name);
    return out->rc = GNX_EUSAGE;
  }
  struct gnx_kv kv[64];
  char names[64][64];
  size_t n_kv = 0;
  for (size_t i = 0; opts && opts[i] && n_kv < 64; i++) {
    const char *eq = strchr(opts[i], '=');
    if (!eq || (size_t)(eq - opts[i]) >= sizeof names[0]) {
      continue;
    }
    memcpy(names[n_kv], opts[i], (size_t)(eq - opts[i]));
    names[n_kv][eq - opts[i]] = '\0';
    kv[n_kv].name = names[n_kv];
    kv[n_kv].value = eq + 1;
    n_kv++;
  }
  struct gnx_params wp, ep;
  if (gnx_params_build(wl->options, n, kv, n_kv, &wp) < 0) {
    return out->rc = -ENOMEM;
  }
  if (gnx_params_build(e->options, n, kv, n_kv, &ep) < 0) {
    gnx_params_free(&wp);
    return out->rc = -ENOMEM;
  }
  /* the cell's words, for engines that start gnxbench on their workers
   * (mpi, with GNX_MPI_EXE naming the binary: CTest sets it) */
  char size[24], fault_spec[96], words[64][96];
  const char *cell[2 * 64 + 8];
  size_t nc = 0;
  snprintf(size, sizeof size, "%llu", (unsigned long long)n);
  cell[nc++] = "--workload";
  cell[nc++] = wl_name;
  cell[nc++] = "--size";
  cell[nc++] = size;
  if (fault && fault->enabled) {
    snprintf(fault_spec, sizeof fault_spec, "worker=%d,item=%llu,mode=%s", fault->worker,
             (unsigned long long)fault->item, fault->sig == SIGKILL ? "kill" : "abort");
    cell[nc++] = "--fault";
    cell[nc++] = fault_spec;
  }
  for (size_t i = 0; i < wp.count; i++) {
    if (wp.v[i].given) {
      snprintf(words[i], sizeof words[i], "--%s=%s", wp.v[i].opt->name, wp.v[i].value);
      cell[nc++] = words[i];
    }
  }
  cell[nc] = NULL;
  gnx_runner_set_cell(cell);
  void *shared = NULL;
  struct gnx_workload_info info = {0};
  char why[GNX_WHY_MAX] = "";
  int rc = wl->setup(&wp, &shared, &info, why);
  if (rc < 0) {
    snprintf(out->errmsg, sizeof out->errmsg, "setup: %s: %.200s", gnx_strerror(rc), why);
  } else {
    struct gnx_fault none = {0};
    struct gnx_run_result res;
    rc = gnx_runner_exec(e, &ep, wl, shared, &info, fault ? fault : &none,
                         stop ? stop : &gnx_test_stop, gnx_cpus_allowed(), &res);
    snprintf(out->errmsg, sizeof out->errmsg, "%s", res.errmsg);
    out->wall_s = res.wall_ns / 1e9;
    out->n_workers = res.trace.n_workers;
    if (rc == 0 && res.summary) {
      out->summary = json_incref(res.summary);
      if (wl->check) {
        out->check_rc = wl->check(shared, out->summary, &out->detail);
      }
    }
    if (gnx_test_result_hook) {
      gnx_test_result_hook(&res, gnx_test_result_arg);
    }
    gnx_run_result_free(&res);
    wl->teardown(shared);
  }
  gnx_runner_set_cell(NULL);
  gnx_params_free(&wp);
  gnx_params_free(&ep);
  return out->rc = rc;
}

void gnx_test_out_free(struct gnx_test_out *out) {
  if (out->summary) {
    json_decref(out->summary);
  }
  if (out->detail) {
    json_decref(out->detail);
  }
  memset(out, 0, sizeof *out);
}

int gnx_test_json_equal(const json_t *a, const json_t *b) { return a && b && json_equal(a, b); }
