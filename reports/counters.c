/* SPDX-License-Identifier: MIT */
/* reports/counters.c: the counters and the placement of a run as
 * summary.md shows them, from report.json alone: which source each counter
 * came from and why the missing ones are missing (once), per engine the
 * median of each counter over the good repetitions, and per worker of the
 * median repetition its own counters and where it asked to run and ran. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/counters.h"
#include "reports/analysis.h"
#include "reports/schema.h"

/* The process tree's software counters (enum gnx_sw_ctr, named by
 * gnx_sw_ctr_name as the writer names them), in the order they are shown. */
static const struct {
  int ctr;
  const char *head;
} gnx__sw[] = {{GNX_SW_TASK_CLOCK, "CPU (task-clock)"},
               {GNX_SW_CS, "context switches"},
               {GNX_SW_MIGRATIONS, "migrations"},
               {GNX_SW_FAULTS, "page faults"}};
#define GNX__N_SW (sizeof gnx__sw / sizeof gnx__sw[0])

/* Derived hardware figures worth a column: IPC and misses per 1000
 * instructions (the raw PAPI counts stay in report.json). */
static int gnx__derived(const char *key) {
  size_t l = strlen(key);
  size_t ls = sizeof GNX_F_PER_KINSTR - 1;
  return strcmp(key, GNX_F_IPC) == 0 || (l > ls && strcmp(key + l - ls, GNX_F_PER_KINSTR) == 0);
}

/* Add the derived keys of a counters object to keys[*n], each once. */
static void gnx__add_derived(const json_t *ctrs, const char **keys, size_t *n, size_t max) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)ctrs, key, v) {
    int seen = 0;
    for (size_t k = 0; k < *n; k++) {
      seen |= strcmp(keys[k], key) == 0;
    }
    if (!seen && gnx__derived(key) && *n < max) {
      keys[(*n)++] = key;
    }
  }
}

static void gnx__fmt_count(char *buf, size_t len, const char *key, double v) {
  if (isnan(v)) {
    snprintf(buf, len, "-");
  } else if (strcmp(key, gnx_sw_ctr_name(GNX_SW_TASK_CLOCK)) == 0) {
    gnx_fmt_time(buf, len, v / 1e9);
  } else if (gnx__derived(key)) {
    snprintf(buf, len, "%.2f", v);
  } else {
    snprintf(buf, len, "%.0f", v);
  }
}

/* A worker's software counter (enum gnx_sw_ctr) from its counters object. */
static void gnx__fmt_sw(char *buf, size_t len, const json_t *ctr, int which) {
  const char *key = gnx_sw_ctr_name(which);
  gnx__fmt_count(buf, len, key, gnx_jnum(ctr, key, NAN));
}

void gnx_counters_md_context(FILE *f, const json_t *report) {
  const json_t *ctrs = json_object_get(json_object_get(report, GNX_F_COUNTERS), GNX_F_COUNTERS);
  const char *mode = gnx_jstr(json_object_get(report, GNX_F_COUNTERS), GNX_F_MODE, NULL);
  if (json_is_object(ctrs)) {
    /* one row per source, one per distinct reason: the reason is said once */
    const char *group[16];
    size_t ng = 0;
    const char *key;
    json_t *c;
    json_object_foreach((json_t *)ctrs, key, c) {
      const char *src = gnx_jstr(c, GNX_F_SOURCE, NULL);
      const char *why = gnx_jstr(c, GNX_F_REASON, NULL);
      const char *g = src ? src : why;
      int seen = 0;
      for (size_t k = 0; k < ng; k++) {
        seen |= strcmp(group[k], g ? g : "") == 0;
      }
      if (!seen && g && ng < 16 && strcmp(g, "clock") != 0) {
        group[ng++] = g;
      }
    }
    fprintf(f, "| counters | `--counters %s` |\n", mode ? mode : "?");
    for (size_t k = 0; k < ng; k++) {
      int is_src = 0, first = 1;
      json_object_foreach((json_t *)ctrs, key, c) {
        const char *src = gnx_jstr(c, GNX_F_SOURCE, NULL);
        const char *why = gnx_jstr(c, GNX_F_REASON, NULL);
        if ((src && strcmp(src, group[k]) == 0) || (!src && why && strcmp(why, group[k]) == 0)) {
          if (first) {
            is_src = src != NULL;
            fprintf(f, "| %s | ", is_src ? "counted" : "not counted");
          }
          fprintf(f, "%s%s", first ? "" : ", ", key);
          first = 0;
        }
      }
      fprintf(f, is_src ? " from %s |\n" : ": %s |\n", group[k]);
    }
  } else {
    fprintf(f, "| counters | off (`--counters off`) |\n");
  }
  const json_t *pin = json_object_get(report, GNX_F_PINNING);
  const char *policy = gnx_jstr(pin, GNX_F_POLICY, NULL);
  if (policy && strcmp(policy, "none") != 0) {
    fprintf(f, "| pinning | `--pin %s`: CPUs", policy);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(pin, GNX_F_CPUS), i, v) {
      fprintf(f, "%s%lld", i ? ", " : " ", (long long)json_integer_value(v));
    }
    fprintf(f, " (OS indexes); %s |\n", gnx_jstr(pin, GNX_F_RULE, ""));
  } else {
    fprintf(f, "| pinning | none: the scheduler places the workers (`--pin compact` to bind them) "
               "|\n");
  }
  const json_t *pf = json_object_get(json_object_get(report, GNX_F_CONTEXT), GNX_F_PAGE_FAULT_US);
  if (json_is_number(pf)) {
    fprintf(f, "| one page fault | %.2f us (fresh anonymous memory, measured at start-up) |\n",
            json_number_value(pf));
  }
}

/* The keys of the counters the cells of (workload, size) carry, in first-
 * seen order: the software ones, then the derived hardware ones. */
static size_t gnx__columns(const struct gnx_analysis *a, const char *wl, uint64_t size,
                           const char **keys, size_t max) {
  size_t n = 0;
  for (size_t k = 0; k < GNX__N_SW; k++) {
    for (size_t i = 0; i < a->n; i++) {
      const struct gnx_cell_an *c = &a->cells[i];
      if (strcmp(c->workload, wl) == 0 && c->size == size &&
          !isnan(gnx_cell_rep_median(c->cell, GNX_F_COUNTERS, gnx_sw_ctr_name(gnx__sw[k].ctr)))) {
        keys[n++] = gnx_sw_ctr_name(gnx__sw[k].ctr);
        break;
      }
    }
  }
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (strcmp(c->workload, wl) != 0 || c->size != size) {
      continue;
    }
    const json_t *rep = json_array_get(json_object_get(c->cell, GNX_F_REPS), 0);
    gnx__add_derived(json_object_get(rep, GNX_F_COUNTERS), keys, &n, max);
  }
  return n;
}

static const char *gnx__head(const char *key) {
  for (size_t k = 0; k < GNX__N_SW; k++) {
    if (strcmp(gnx_sw_ctr_name(gnx__sw[k].ctr), key) == 0) {
      return gnx__sw[k].head;
    }
  }
  return strcmp(key, GNX_F_IPC) == 0 ? "IPC" : key;
}

void gnx_counters_md_table(FILE *f, const struct gnx_analysis *a, const char *workload,
                           uint64_t size) {
  const char *keys[32];
  size_t nk = gnx__columns(a, workload, size, keys, 32);
  if (nk == 0) {
    return;
  }
  fprintf(f, "**Counters** (median over the good repetitions; the whole process tree, threads "
             "and children):\n\n| engine |");
  for (size_t k = 0; k < nk; k++) {
    fprintf(f, " %s |", gnx__head(keys[k]));
  }
  fprintf(f, " workers migrated |\n|---|");
  for (size_t k = 0; k <= nk; k++) {
    fprintf(f, "---:|");
  }
  fprintf(f, "\n");
  for (size_t i = 0; i < a->n; i++) {
    const struct gnx_cell_an *c = &a->cells[i];
    if (strcmp(c->workload, workload) != 0 || c->size != size) {
      continue;
    }
    fprintf(f, "| %s |", c->engine);
    for (size_t k = 0; k < nk; k++) {
      char b[32];
      gnx__fmt_count(b, sizeof b, keys[k], gnx_cell_rep_median(c->cell, GNX_F_COUNTERS, keys[k]));
      fprintf(f, " %s |", b);
    }
    /* migrations of pinned workers, in the median repetition */
    const json_t *rep =
        c->rep >= 0 ? json_array_get(json_object_get(c->cell, GNX_F_REPS), (size_t)c->rep) : NULL;
    size_t i2, moved = 0, placed = 0;
    json_t *w;
    json_array_foreach(json_object_get(rep, GNX_F_WORKERS), i2, w) {
      const json_t *pl = json_object_get(w, GNX_F_PLACEMENT);
      if (json_is_object(pl)) {
        placed++;
        moved += gnx_jbool(pl, GNX_F_MIGRATED, 0);
      }
    }
    if (placed) {
      fprintf(f, " %zu of %zu |\n", moved, placed);
    } else {
      fprintf(f, " - |\n");
    }
  }
  fprintf(f, "\n");
}

void gnx_counters_md_workers(FILE *f, const struct gnx_cell_an *c) {
  const json_t *rep =
      c->rep >= 0 ? json_array_get(json_object_get(c->cell, GNX_F_REPS), (size_t)c->rep) : NULL;
  const json_t *workers = json_object_get(rep, GNX_F_WORKERS);
  int any = 0;
  size_t i;
  json_t *w;
  json_array_foreach(workers, i, w) {
    any |= json_is_object(json_object_get(w, GNX_F_COUNTERS)) ||
           json_is_object(json_object_get(w, GNX_F_PLACEMENT));
  }
  if (!any) {
    return;
  }
  /* the derived hardware columns any worker has */
  const char *hw[16];
  size_t nh = 0;
  json_array_foreach(workers, i, w) {
    gnx__add_derived(json_object_get(w, GNX_F_COUNTERS), hw, &nh, 16);
  }
  fprintf(f, "| worker | serves | CPU asked | ran on (start, end) | own CPU time | context "
             "switches | page faults |");
  for (size_t k = 0; k < nh; k++) {
    fprintf(f, " %s |", gnx__head(hw[k]));
  }
  fprintf(f, "\n|---|---|---:|---:|---:|---:|---:|");
  for (size_t k = 0; k < nh; k++) {
    fprintf(f, "---:|");
  }
  fprintf(f, "\n");
  json_array_foreach(workers, i, w) {
    const json_t *ctr = json_object_get(w, GNX_F_COUNTERS);
    const json_t *pl = json_object_get(w, GNX_F_PLACEMENT);
    json_int_t role = gnx_jint(w, GNX_F_STAGE, 0);
    const char *serves = json_is_integer(json_object_get(w, GNX_F_STAGE)) && role >= 0 &&
                                 (unsigned)role < c->n_stages
                             ? c->stages[role].name
                         : role == GNX_ROLE_TRANSPORT ? "transport"
                                                      : "all stages";
    char asked[16] = "-", t[32], cs[32], pf[32];
    if (json_is_integer(json_object_get(pl, GNX_F_ASKED))) {
      snprintf(asked, sizeof asked, "%lld", (long long)gnx_jint(pl, GNX_F_ASKED, 0));
    }
    gnx__fmt_sw(t, sizeof t, ctr, GNX_SW_TASK_CLOCK);
    gnx__fmt_sw(cs, sizeof cs, ctr, GNX_SW_CS);
    gnx__fmt_sw(pf, sizeof pf, ctr, GNX_SW_FAULTS);
    fprintf(f, "| %s | %s | %s | %lld, %lld%s | %s | %s | %s |", gnx_jstr(w, GNX_F_NAME, "?"),
            serves, asked, (long long)gnx_jint(w, GNX_F_CPU_BEGIN, 0),
            (long long)gnx_jint(w, GNX_F_CPU_END, 0),
            gnx_jbool(pl, GNX_F_MIGRATED, 0) ? " **migrated**" : "", t, cs, pf);
    for (size_t k = 0; k < nh; k++) {
      char b[32];
      gnx__fmt_count(b, sizeof b, hw[k], gnx_jnum(ctr, hw[k], NAN));
      fprintf(f, " %s |", b);
    }
    fprintf(f, "\n");
  }
  fprintf(f, "\n");
}
