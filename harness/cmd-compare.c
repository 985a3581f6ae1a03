/* SPDX-License-Identifier: MIT */
/* harness/cmd-compare.c: `gnxbench compare OLD.json NEW.json`: per
 * (workload, size, engine) the change in speedup and in wall time, each
 * with a Mann-Whitney U test over the repetitions (no normality assumed:
 * benchmark times are skewed), and a geometric-mean summary line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "harness/cmd.h"
#include "reports/report.h"
#include "reports/schema.h"

#define GNX__CMP_MAX 1024

/* The successful repetitions' wall times of a cell, and per repetition the
 * ratio to serial's wall in the same round (engines are interleaved). */
static void gnx__cell_samples(const json_t *cell, const json_t *serial, double *walls, size_t *nw,
                              double *ratios, size_t *nr) {
  const json_t *reps = json_object_get(cell, GNX_F_REPS);
  const json_t *sreps = json_object_get(serial, GNX_F_REPS);
  *nw = *nr = 0;
  for (size_t r = 0; r < json_array_size(reps) && r < GNX__CMP_MAX; r++) {
    const json_t *rep = json_array_get(reps, r);
    double w = gnx_jnum(rep, GNX_F_WALL_S, 0);
    if (!gnx_jbool(rep, GNX_F_OK, 0) || !(w > 0)) {
      continue;
    }
    walls[(*nw)++] = w;
    const json_t *srep = json_array_get(sreps, r);
    double sw = gnx_jnum(srep, GNX_F_WALL_S, 0);
    if (srep && gnx_jbool(srep, GNX_F_OK, 0) && sw > 0) {
      ratios[(*nr)++] = sw / w;
    }
  }
}

static double gnx__median(const double *x, size_t n) {
  struct gnx_stats s;
  gnx_stats_compute(x, n, &s);
  return s.median;
}

static void gnx__fmt_p(char *buf, size_t len, double p, size_t na, size_t nb) {
  if (na == 0 || nb == 0 || isnan(p)) {
    snprintf(buf, len, "-");
  } else if (p < 0.001) {
    snprintf(buf, len, "<0.001 *");
  } else {
    snprintf(buf, len, "%.3f%s", p, p < 0.05 ? " *" : "");
  }
}

/* Append "  gnn 50000 threads: stage-workers (default) -> block0=2\n" for
 * every option whose value differs between two cells' options. */
static void gnx__options_diff(char *buf, size_t len, const char *wl, json_int_t size,
                              const char *eng, const json_t *a, const json_t *b) {
  size_t l = strlen(buf);
  int n = snprintf(buf + l, len - l, "  %s %lld %s:", wl, (long long)size, eng);
  if (n < 0 || (size_t)n >= len - l) {
    return;
  }
  l += (size_t)n;
  const json_t *objs[2] = {a, b};
  for (int side = 0; side < 2; side++) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)objs[side], key, v) {
      const json_t *va = json_object_get(a, key), *vb = json_object_get(b, key);
      if ((side == 1 && va) || json_equal(va, vb)) {
        continue; /* each key once; equal values are not news */
      }
      n = snprintf(buf + l, len - l, " %s %s -> %s;", key,
                   json_is_string(va) ? json_string_value(va) : "(default)",
                   json_is_string(vb) ? json_string_value(vb) : "(default)");
      if (n < 0 || (size_t)n >= len - l) {
        return;
      }
      l += (size_t)n;
    }
  }
  if (l > 0 && buf[l - 1] == ';') {
    buf[l - 1] = '\n';
  } else if (l + 1 < len) {
    buf[l] = '\n';
    buf[l + 1] = '\0';
  }
}

int gnx_cmd_compare(int argc, char **argv) {
  if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
    printf("usage: gnxbench compare OLD.json NEW.json\n"
           "  per (workload, size, engine): speedup and median wall time, old -> new, the\n"
           "  change, and the two-sided Mann-Whitney U p-value over the repetitions (* when\n"
           "  p < 0.05); then the geometric means of the changes\n");
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "gnxbench: compare needs two reports: gnxbench compare OLD.json NEW.json\n");
    return 2;
  }
  char why[1024];
  json_t *old = gnx_report_load(argv[0], why, sizeof why);
  json_t *new = old ? gnx_report_load(argv[1], why, sizeof why) : NULL;
  if (!new) {
    fprintf(stderr, "gnxbench: compare: %s\n", why);
    json_decref(old);
    return 2;
  }
  static double ow[GNX__CMP_MAX], orat[GNX__CMP_MAX], nw_[GNX__CMP_MAX], nrat[GNX__CMP_MAX];
  static double sp_ch[GNX__CMP_MAX], wall_ch[GNX__CMP_MAX];
  size_t n_sp = 0, n_wall = 0, common = 0;
  char differ[2048] = "";
  const json_t *res = json_object_get(new, GNX_F_RESULTS);
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *nc = json_array_get(res, i);
    const char *wl = gnx_jstr(nc, GNX_F_WORKLOAD, NULL);
    const char *eng = gnx_jstr(nc, GNX_F_ENGINE, NULL);
    json_int_t size = gnx_jint(nc, GNX_F_SIZE, 0);
    const json_t *oc = wl && eng ? gnx_report_cell(old, wl, size, eng) : NULL;
    if (!oc) {
      continue;
    }
    if (common++ == 0) { /* the header once there is a row, so no cell in common prints none */
      printf("%-6s %8s %-9s %16s %8s %8s  %22s %8s %8s\n", "work", "size", "engine",
             "speedup old->new", "change", "p", "median wall old->new", "change", "p");
    }
    size_t onw, onr, nnw, nnr;
    gnx__cell_samples(oc, gnx_report_cell(old, wl, size, "serial"), ow, &onw, orat, &onr);
    gnx__cell_samples(nc, gnx_report_cell(new, wl, size, "serial"), nw_, &nnw, nrat, &nnr);
    struct gnx_mwu uw = {.p = NAN}, us = {.p = NAN};
    if (onw && nnw) {
      (void)gnx_stats_mann_whitney(nw_, nnw, ow, onw, &uw);
    }
    int is_serial = !strcmp(eng, "serial");
    if (onr && nnr && !is_serial) {
      (void)gnx_stats_mann_whitney(nrat, nnr, orat, onr, &us);
    }
    char spb[48] = "-", spc[16] = "-", spp[16] = "-", wb[48] = "-", wc[16] = "-", wp[16] = "-";
    if (onr && nnr) {
      double a = gnx__median(orat, onr), b = gnx__median(nrat, nnr);
      snprintf(spb, sizeof spb, "%.2f -> %.2f", a, b);
      snprintf(spc, sizeof spc, "%+.1f %%", (b / a - 1) * 100);
      gnx__fmt_p(spp, sizeof spp, us.p, is_serial ? 0 : onr, nnr);
      if (!is_serial && a > 0 && b > 0) {
        sp_ch[n_sp++] = b / a;
      }
    }
    if (onw && nnw) {
      double a = gnx__median(ow, onw), b = gnx__median(nw_, nnw);
      snprintf(wb, sizeof wb, "%.1f -> %.1f ms", a * 1e3, b * 1e3);
      snprintf(wc, sizeof wc, "%+.1f %%", (b / a - 1) * 100);
      gnx__fmt_p(wp, sizeof wp, uw.p, onw, nnw);
      wall_ch[n_wall++] = b / a;
    }
    /* the same cell measured with other options is another experiment */
    int same = json_equal(json_object_get(oc, GNX_F_OPTIONS), json_object_get(nc, GNX_F_OPTIONS));
    printf("%-6s %8lld %-9s %16s %8s %8s  %22s %8s %8s%s\n", wl, (long long)size, eng, spb, spc,
           spp, wb, wc, wp, same ? "" : "  !");
    if (!same) {
      gnx__options_diff(differ, sizeof differ, wl, size, eng, json_object_get(oc, GNX_F_OPTIONS),
                        json_object_get(nc, GNX_F_OPTIONS));
    }
  }
  if (!common) {
    fprintf(stderr,
            "gnxbench: compare: %s and %s have no (workload, size, engine) in common; compare "
            "reports of the same configuration\n",
            argv[0], argv[1]);
    json_decref(old);
    json_decref(new);
    return 2;
  }
  if (differ[0]) {
    printf("! options differ, so these cells compare different experiments:\n%s", differ);
  }
  double gs = gnx_stats_geomean(sp_ch, n_sp), gw = gnx_stats_geomean(wall_ch, n_wall);
  printf("geometric mean: speedup %s%+.1f %% over %zu cells, wall time %+.1f %% over %zu cells "
         "(* p < 0.05, two-sided Mann-Whitney U)\n",
         isnan(gs) ? "n/a " : "", isnan(gs) ? 0.0 : (gs - 1) * 100, n_sp, (gw - 1) * 100, n_wall);
  json_decref(old);
  json_decref(new);
  return 0;
}
