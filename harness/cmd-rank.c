/* SPDX-License-Identifier: MIT */
/* harness/cmd-rank.c: `gnxbench rank ENGINE WORDS...`, hidden: one worker
 * process of an engine whose workers an outside launcher starts (mpi:
 * mpirun starts this on every rank). The words are the cell's
 * (gnx_run.cell_argv: --workload W --size N [--fault SPEC] [--counters
 * MODE [--events LIST]] [--NAME=VALUE] [--buf-maps HINTS]) and then the
 * engine's own options. This process sets the workload up as the harness
 * did (same binary, same options: the same items), and hands a sink-less
 * run to the engine's rank(). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "core/run.h"
#include "harness/cli.h"
#include "harness/cmd.h"
#include "harness/registry.h"
#include "harness/runner.h"

/* Never set: SIGTERM keeps its default action here, so that mpirun ends
 * a job at once (a rank that caught it would wait for mpirun's SIGKILL). */
static volatile sig_atomic_t gnx__rank_stop;

struct gnx_rank_args {
  const struct gnx_engine *e;
  const struct gnx_workload *wl;
  uint64_t size;
  struct gnx_fault fault;
  int counters_mode;  /* the harness's --counters: the rank counts its worker */
  const char *events; /* its --events, NULL for the defaults */
  /* --buf-maps: per worker, by name, the buffer sizes its process mapped in
   * the engine's previous run of this cell (harness/runner.c), made before
   * the worker's start as a forked worker's are (core/bufcache.h) */
  struct gnx_buf_hint hint[GNX_BUF_HINTS_MAX];
  unsigned n_hints;
  struct gnx_kv kv[GNX_CLI_KV_MAX];
  size_t n_kv;
};

/* "NAME=S,S;NAME=S": per worker, its name and sizes (harness/runner.c). */
static int gnx__rank_buf_maps(struct gnx_rank_args *a, const char *v) {
  for (const char *p = v; *p && a->n_hints < GNX_BUF_HINTS_MAX; a->n_hints++) {
    struct gnx_buf_hint *h = &a->hint[a->n_hints];
    size_t nl = strcspn(p, "=");
    if (p[nl] != '=' || nl >= sizeof h->name) {
      return GNX_EUSAGE;
    }
    memcpy(h->name, p, nl);
    p += nl + 1;
    for (unsigned k = 0; *p && *p != ';'; k++) {
      char *end;
      unsigned long long x = strtoull(p, &end, 10);
      if (end == p || k >= GNX_TRACE_BUF_MAPS || (*end && *end != ',' && *end != ';')) {
        return GNX_EUSAGE;
      }
      h->sizes[k] = x;
      p = *end == ',' ? end + 1 : end;
    }
    p += *p == ';';
  }
  return 0;
}

/* One "--name value" or "--name=value" at argv[*i]; moves *i past it. */
static int gnx__rank_word(struct gnx_rank_args *a, int argc, char **argv, int *i, char *why,
                          size_t len) {
  const char *w = argv[*i];
  if (strncmp(w, "--", 2) != 0 || a->n_kv >= GNX_CLI_KV_MAX) {
    snprintf(why, len, "'%s' is not an option (or too many)", w);
    return GNX_EUSAGE;
  }
  const char *eq = strchr(w, '=');
  static char names[GNX_CLI_KV_MAX][64];
  size_t nl = eq ? (size_t)(eq - w - 2) : strlen(w + 2);
  if (nl >= sizeof names[0] || (!eq && *i + 1 >= argc)) {
    snprintf(why, len, "%s: a name too long or no value", w);
    return GNX_EUSAGE;
  }
  memcpy(names[a->n_kv], w + 2, nl);
  names[a->n_kv][nl] = '\0';
  const char *value = eq ? eq + 1 : argv[++*i];
  const char *name = names[a->n_kv];
  if (strcmp(name, "workload") == 0) {
    a->wl = gnx_workload_find(value);
  } else if (strcmp(name, "size") == 0) {
    return gnx_parse_u64(value, &a->size);
  } else if (strcmp(name, "fault") == 0) {
    return gnx_fault_parse(value, &a->fault);
  } else if (strcmp(name, "counters") == 0) {
    a->counters_mode = gnx_counters_mode_parse(value);
    return a->counters_mode < 0 ? GNX_EUSAGE : 0;
  } else if (strcmp(name, "events") == 0) {
    a->events = value;
  } else if (strcmp(name, "buf-maps") == 0) {
    return gnx__rank_buf_maps(a, value);
  } else {
    const struct gnx_option *o = gnx_option_lookup(name);
    if (!o) {
      snprintf(why, len, "--%s: no engine or workload declares it", name);
      return GNX_EUSAGE;
    }
    a->kv[a->n_kv++] = (struct gnx_kv){name, value};
    return gnx_option_validate(o, value, why, len);
  }
  return 0;
}

static int gnx__rank_parse(struct gnx_rank_args *a, int argc, char **argv, char *why,
                           size_t len) {
  memset(a, 0, sizeof *a);
  a->counters_mode = GNX_CTR_OFF; /* unless the harness said */
  a->e = argc > 0 ? gnx_engine_find(argv[0]) : NULL;
  if (!a->e || !a->e->rank) {
    snprintf(why, len, "'%s' is not an engine with a rank mode", argc > 0 ? argv[0] : "");
    return GNX_EUSAGE;
  }
  for (int i = 1; i < argc; i++) {
    int rc = gnx__rank_word(a, argc, argv, &i, why, len);
    if (rc < 0) {
      if (!why[0]) {
        snprintf(why, len, "bad value in '%s'", argv[i]);
      }
      return rc;
    }
  }
  if (!a->wl || a->size == 0) {
    snprintf(why, len, "--workload and --size are required (and must name a built-in workload)");
    return GNX_EUSAGE;
  }
  return 0;
}

/* Set up, run the engine's rank body, tear down. Returns the exit code. */
static int gnx__rank_exec(const struct gnx_rank_args *a, const struct gnx_params *wp,
                          const struct gnx_params *ep) {
  char why[GNX_WHY_MAX] = "";
  void *shared = NULL;
  struct gnx_workload_info info;
  memset(&info, 0, sizeof info);
  int rc = a->wl->setup(wp, &shared, &info, why);
  if (rc < 0) {
    fprintf(stderr, "gnxbench rank: %s setup: %s\n", a->wl->name, why[0] ? why : gnx_strerror(rc));
    return 1;
  }
  struct gnx_counters ctrs;
  rc = gnx_counters_init(&ctrs, a->counters_mode, a->events, why, sizeof why);
  if (rc < 0) {
    fprintf(stderr, "gnxbench rank: %s\n", why);
    a->wl->teardown(shared);
    return 1;
  }
  struct gnx_trace trace;
  uint64_t cap = (info.items + 2) * (a->wl->n_stages + 1) * 4 + 64;
  rc = gnx_trace_init(&trace, 4, (uint32_t)(cap > (1u << 21) ? 1u << 21 : cap));
  if (rc == 0) {
    struct gnx_run run = {.wl = a->wl, .shared = shared, .info = &info, .params = ep,
                          .trace = &trace, .stop = &gnx__rank_stop, .fault = &a->fault,
                          .cpus = gnx_cpus_allowed(), .main_pid = 0,
                          .counters = &ctrs};
    struct gnx_run_core core = {.buf_hints = a->hint, .n_buf_hints = a->n_hints};
    run.core = &core; /* its buffer hints only: a rank has no sink */
    rc = a->e->rank(&run);
    if (rc < 0 && trace.status->rc) {
      fprintf(stderr, "gnxbench rank: %s\n", trace.status->msg);
    }
    gnx_trace_free(&trace);
  }
  a->wl->teardown(shared);
  return rc < 0 ? 1 : 0;
}

int gnx_cmd_rank(int argc, char **argv) {
  struct gnx_rank_args a;
  char why[256] = "";
  if (gnx__rank_parse(&a, argc, argv, why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench rank: %s (this command is started by an engine, not typed)\n", why);
    return 2;
  }
  struct gnx_params wp, ep;
  if (gnx_params_build(a.wl->options, a.size, a.kv, a.n_kv, &wp) < 0) {
    return 1;
  }
  if (gnx_params_build(a.e->options, a.size, a.kv, a.n_kv, &ep) < 0) {
    gnx_params_free(&wp);
    return 1;
  }
  int rc = gnx__rank_exec(&a, &wp, &ep);
  gnx_params_free(&wp);
  gnx_params_free(&ep);
  return rc;
}
