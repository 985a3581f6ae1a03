/* SPDX-License-Identifier: MIT */
/* reports/gate.c: the regression gate's per-cell decision.
 *
 * A shared CI machine is noisy, so a cell fails only on evidence: the
 * whole 95 % interval of the new speedup (median of per-repetition ratios,
 * order statistics) must lie below the baseline's median times
 * (1 - max_drop). When the interval reaches the threshold but the median
 * does not, or the interval is too wide to say anything, the verdict is
 * inconclusive, never a failure. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnx/err.h"
#include "reports/gate.h"
#include "reports/report.h"
#include "reports/schema.h"

const char *gnx_gate_verdict_name(enum gnx_gate_verdict v) {
  return v == GNX_GATE_PASS ? "pass" : v == GNX_GATE_INCONCLUSIVE ? "inconclusive" : "REGRESSED";
}

static int gnx__str_array(const json_t *a) {
  if (!json_is_array(a) || json_array_size(a) == 0) {
    return 0;
  }
  for (size_t i = 0; i < json_array_size(a); i++) {
    if (!json_is_string(json_array_get(a, i))) {
      return 0;
    }
  }
  return 1;
}

int gnx_gate_check_baseline(const json_t *report, char *why, size_t len) {
  const json_t *cfg = json_object_get(report, GNX_F_CONFIG);
  if (!json_is_object(cfg)) {
    snprintf(why, len, "no config object: cannot tell what to rerun");
    return GNX_EFORMAT;
  }
  if (!gnx__str_array(json_object_get(cfg, GNX_F_ENGINES)) ||
      !gnx__str_array(json_object_get(cfg, GNX_F_WORKLOADS))) {
    snprintf(why, len, "config.engines and config.workloads must be non-empty lists of names");
    return GNX_EFORMAT;
  }
  const json_t *sizes = json_object_get(cfg, GNX_F_SIZES);
  if (!json_is_array(sizes) || json_array_size(sizes) == 0) {
    snprintf(why, len, "config.sizes must be a non-empty list of sizes");
    return GNX_EFORMAT;
  }
  for (size_t i = 0; i < json_array_size(sizes); i++) {
    if (!json_is_integer(json_array_get(sizes, i)) ||
        json_integer_value(json_array_get(sizes, i)) < 1) {
      snprintf(why, len, "config.sizes[%zu] is not a positive integer", i);
      return GNX_EFORMAT;
    }
  }
  const char *nums[] = {GNX_F_REPS, GNX_F_WARMUP};
  for (size_t i = 0; i < 2; i++) {
    const json_t *v = json_object_get(cfg, nums[i]);
    if (!json_is_integer(v) || json_integer_value(v) < (i == 0 ? 1 : 0)) {
      snprintf(why, len, "config.%s is missing or not a valid count", nums[i]);
      return GNX_EFORMAT;
    }
  }
  const json_t *res = json_object_get(report, GNX_F_RESULTS);
  if (json_array_size(res) == 0) {
    snprintf(why, len, "no results: nothing to compare with");
    return GNX_EFORMAT;
  }
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *c = json_array_get(res, i);
    if (!json_is_string(json_object_get(c, GNX_F_WORKLOAD)) ||
        !json_is_integer(json_object_get(c, GNX_F_SIZE)) ||
        !json_is_string(json_object_get(c, GNX_F_ENGINE))) {
      snprintf(why, len, "results[%zu] does not name its workload, size and engine", i);
      return GNX_EFORMAT;
    }
    const json_t *sp = json_object_get(json_object_get(c, GNX_F_STATS), GNX_F_SPEEDUP);
    double m = gnx_jnum(sp, GNX_F_MEDIAN, NAN);
    if (!(m > 0)) {
      snprintf(why, len, "results[%zu] (%s n=%lld %s) has no positive speedup median", i,
               gnx_jstr(c, GNX_F_WORKLOAD, NULL), (long long)gnx_jint(c, GNX_F_SIZE, 0),
               gnx_jstr(c, GNX_F_ENGINE, NULL));
      return GNX_EFORMAT;
    }
  }
  return 0;
}

int gnx_gate_check_match(const json_t *baseline, const json_t *report, char *why, size_t len) {
  const json_t *res = json_object_get(baseline, GNX_F_RESULTS);
  size_t missing = 0;
  const json_t *first = NULL;
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *bc = json_array_get(res, i);
    const char *wl = gnx_jstr(bc, GNX_F_WORKLOAD, NULL);
    const char *engine = gnx_jstr(bc, GNX_F_ENGINE, NULL);
    if (wl && engine && !gnx_report_cell(report, wl, gnx_jint(bc, GNX_F_SIZE, 0), engine)) {
      first = first ? first : bc;
      missing++;
    }
  }
  if (!missing) {
    return 0;
  }
  snprintf(why, len,
           "the new report has no %s %lld %s cell (%zu of the baseline's %zu cells missing): it "
           "measured another configuration, which says nothing about a regression; rerun the "
           "baseline's workloads, sizes and engines, or record a baseline of this configuration "
           "with --update-baseline",
           gnx_jstr(first, GNX_F_WORKLOAD, "?"), (long long)gnx_jint(first, GNX_F_SIZE, 0),
           gnx_jstr(first, GNX_F_ENGINE, "?"), missing, json_array_size(res));
  return GNX_EUSAGE;
}

int gnx_gate_judge(const json_t *baseline, const json_t *report, const struct gnx_gate_opts *o,
                   struct gnx_gate_result *out) {
  memset(out, 0, sizeof *out);
  const json_t *res = json_object_get(baseline, GNX_F_RESULTS);
  out->cells = calloc(json_array_size(res) + 1, sizeof *out->cells);
  if (!out->cells) {
    return -ENOMEM;
  }
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *bc = json_array_get(res, i);
    const char *wl = gnx_jstr(bc, GNX_F_WORKLOAD, NULL);
    const char *engine = gnx_jstr(bc, GNX_F_ENGINE, NULL);
    json_int_t size = gnx_jint(bc, GNX_F_SIZE, 0);
    if (!wl || !engine || strcmp(engine, "serial") == 0) {
      continue; /* serial is the reference: its speedup is 1 by definition */
    }
    struct gnx_gate_cell *g = &out->cells[out->n++];
    snprintf(g->workload, sizeof g->workload, "%s", wl);
    snprintf(g->engine, sizeof g->engine, "%s", engine);
    g->size = (uint64_t)size;
    g->base = gnx_jnum(json_object_get(json_object_get(bc, GNX_F_STATS), GNX_F_SPEEDUP),
                       GNX_F_MEDIAN, NAN);
    g->threshold = g->base * (1 - o->max_drop);
    const json_t *nc = gnx_report_cell(report, wl, size, engine);
    const json_t *sp = json_object_get(json_object_get(nc, GNX_F_STATS), GNX_F_SPEEDUP);
    g->median = gnx_jnum(sp, GNX_F_MEDIAN, NAN);
    g->lo = gnx_jnum(sp, GNX_F_LO, NAN);
    g->hi = gnx_jnum(sp, GNX_F_HI, NAN);
    g->change = g->median / g->base - 1;
    double width = (g->hi - g->lo) / g->median;
    if (!nc || isnan(g->median) || isnan(g->lo) || isnan(g->hi)) {
      g->verdict = GNX_GATE_REGRESSED;
      snprintf(g->why, sizeof g->why, "not measured: %s",
               !nc ? "the cell is missing from the new report"
                   : gnx_jstr(nc, GNX_F_ERROR, "no speedup (the run failed)"));
    } else if (!gnx_jbool(nc, GNX_F_VERIFIED, 1)) {
      g->verdict = GNX_GATE_REGRESSED; /* fast but wrong is not a pass */
      snprintf(g->why, sizeof g->why, "did not verify: %s",
               gnx_jstr(nc, GNX_F_ERROR, "result differs"));
    } else if (g->hi < g->threshold && o->busy > o->max_busy) {
      g->verdict = GNX_GATE_INCONCLUSIVE;
      snprintf(g->why, sizeof g->why,
               "below %.2f, but other processes used %.0f %% of the CPUs meanwhile: rerun on a "
               "quiet machine", g->threshold, o->busy * 100);
    } else if (g->hi < g->threshold) {
      g->verdict = GNX_GATE_REGRESSED;
      snprintf(g->why, sizeof g->why, "the whole interval is below %.2f (baseline %.2f - %.0f %%)",
               g->threshold, g->base, o->max_drop * 100);
    } else if (g->median < g->threshold) {
      g->verdict = GNX_GATE_INCONCLUSIVE;
      snprintf(g->why, sizeof g->why,
               "median below %.2f but the interval reaches it: rerun with more --reps",
               g->threshold);
    } else if (width > o->max_width) {
      g->verdict = GNX_GATE_INCONCLUSIVE;
      snprintf(g->why, sizeof g->why,
               "interval %.0f %% of the median wide (> %.0f %%): too noisy to tell",
               width * 100, o->max_width * 100);
    } else {
      g->verdict = GNX_GATE_PASS;
      snprintf(g->why, sizeof g->why, "%s %.2f", g->lo >= g->threshold ? "interval above"
                                                                    : "median above",
               g->threshold);
    }
    out->n_pass += g->verdict == GNX_GATE_PASS;
    out->n_inconclusive += g->verdict == GNX_GATE_INCONCLUSIVE;
    out->n_regressed += g->verdict == GNX_GATE_REGRESSED;
  }
  return 0;
}

void gnx_gate_result_free(struct gnx_gate_result *r) {
  free(r->cells);
  memset(r, 0, sizeof *r);
}

int gnx_gate_exit_code(const struct gnx_gate_result *r) {
  return r->n_regressed ? 1 : r->n_inconclusive ? 3 : 0;
}

void gnx_gate_cell_text(const struct gnx_gate_cell *g, struct gnx_gate_text *t) {
  snprintf(t->speedup, sizeof t->speedup, "-");
  snprintf(t->interval, sizeof t->interval, "-");
  snprintf(t->change, sizeof t->change, "-");
  if (!isnan(g->median)) {
    snprintf(t->speedup, sizeof t->speedup, "%.2fx", g->median);
    snprintf(t->interval, sizeof t->interval, "[%.2f, %.2f]", g->lo, g->hi);
    snprintf(t->change, sizeof t->change, "%+.1f %%", g->change * 100);
  }
}

void gnx_gate_summary(char *dst, size_t len, const struct gnx_gate_result *r,
                      const struct gnx_gate_opts *o) {
  int rc = gnx_gate_exit_code(r);
  snprintf(dst, len,
           "gate: %zu pass, %zu inconclusive, %zu regressed (max drop %.0f %%, max interval "
           "width %.0f %%): %s",
           r->n_pass, r->n_inconclusive, r->n_regressed, o->max_drop * 100, o->max_width * 100,
           rc == 0 ? "PASS" : rc == 1 ? "FAIL (regressed)" : "INCONCLUSIVE (too noisy to tell)");
}

/* The table's columns: name, console width (negative: left-aligned, 0:
 * none) and the spaces before it on the console. */
static const struct {
  const char *name;
  int width;
  const char *sep;
} gnx__cols[] = {{"work", -6, ""},       {"size", 8, " "},      {"engine", -9, " "},
                 {"baseline", 9, " "},   {"threshold", 9, " "}, {"speedup", 8, " "},
                 {"interval", -14, "  "}, {"change", 8, " "},   {"verdict", -12, "  "},
                 {"why", 0, " "}};
#define GNX__NCOLS (sizeof gnx__cols / sizeof gnx__cols[0])

static void gnx__row(const struct gnx_gate_cell *g, int markdown, char col[][192]) {
  struct gnx_gate_text t;
  gnx_gate_cell_text(g, &t);
  const char *bold = markdown && g->verdict == GNX_GATE_REGRESSED ? "**" : "";
  snprintf(col[0], 192, "%s", g->workload);
  snprintf(col[1], 192, "%llu", (unsigned long long)g->size);
  snprintf(col[2], 192, "%s", g->engine);
  snprintf(col[3], 192, "%.2fx", g->base);
  snprintf(col[4], 192, "%.2fx", g->threshold);
  snprintf(col[5], 192, "%s", t.speedup);
  snprintf(col[6], 192, "%s", t.interval);
  snprintf(col[7], 192, "%s", t.change);
  snprintf(col[8], 192, "%s%s%s", bold, gnx_gate_verdict_name(g->verdict), bold);
  snprintf(col[9], 192, "%s", g->why);
}

/* One line of the table: "| a | b |" in Markdown (a | in a cell escaped),
 * padded columns on the console. */
static void gnx__line(FILE *f, int markdown, char col[][192]) {
  for (size_t k = 0; k < GNX__NCOLS; k++) {
    if (!markdown) {
      fprintf(f, "%s%*s", gnx__cols[k].sep, gnx__cols[k].width, col[k]);
      continue;
    }
    fputs("| ", f);
    for (const char *c = col[k]; *c; c++) {
      if (*c == '|') {
        fputc('\\', f);
      }
      fputc(*c, f);
    }
    fputc(' ', f);
  }
  fputs(markdown ? "|\n" : "\n", f);
}

void gnx_gate_table(FILE *f, const struct gnx_gate_result *r, const struct gnx_gate_opts *o,
                    int markdown) {
  char col[GNX__NCOLS][192];
  for (size_t k = 0; k < GNX__NCOLS; k++) {
    snprintf(col[k], sizeof col[k], "%s", gnx__cols[k].name);
  }
  gnx__line(f, markdown, col);
  for (size_t k = 0; markdown && k < GNX__NCOLS; k++) {
    fputs(gnx__cols[k].width > 0 ? "|---:" : "|---", f);
  }
  fputs(markdown ? "|\n" : "", f);
  for (size_t i = 0; i < r->n; i++) {
    gnx__row(&r->cells[i], markdown, col);
    gnx__line(f, markdown, col);
  }
  char line[256];
  gnx_gate_summary(line, sizeof line, r, o);
  fprintf(f, markdown ? "\n**%s**\n" : "%s\n", line);
}

void gnx_gate_print(FILE *f, const struct gnx_gate_result *r, const struct gnx_gate_opts *o) {
  gnx_gate_table(f, r, o, 0);
}
