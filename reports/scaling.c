/* SPDX-License-Identifier: MIT */
/* reports/scaling.c: the chart of `gnxbench predict`: predicted speedup
 * against cores, one line per engine, the physical bound as a line, and
 * the speedups measured on the run's own CPUs as points. One chart per
 * (workload, size), each with its .dat and .gp beside the .png and .svg. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/profile.h"
#include "reports/report.h"



static int gnx__row_is(const json_t *r, const char *wl, json_int_t size) {
  return json_integer_value(json_object_get(r, "size")) == size &&
         strcmp(json_string_value(json_object_get(r, "workload")), wl) == 0;
}

/* The speedup no strategy can beat on c CPUs: the work shared by c, but no
 * faster than the in-order sink alone, nor than the largest item. */
static double gnx__bound(const struct gnx_profile *p, unsigned c) {
  double total = gnx_profile_total_s(p), sink = gnx_profile_stage_s(p, p->n_stages);
  double item = 0;
  for (uint64_t i = 0; i < p->items; i++) {
    double t = 0;
    for (unsigned s = 0; s <= p->n_stages; s++) {
      t += p->cost_s[i * (p->n_stages + 1) + s];
    }
    item = t > item ? t : item;
  }
  double floor_s = fmax(total / c, fmax(sink, item));
  return floor_s > 0 ? total / floor_s : NAN;
}

/* The engines of the group in row order, once each. */
static size_t gnx__engines(const json_t *rows, const char *wl, json_int_t size,
                           const char **out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < json_array_size(rows); i++) {
    const json_t *r = json_array_get(rows, i);
    const char *e = json_string_value(json_object_get(r, "engine"));
    int seen = 0;
    for (size_t k = 0; k < n; k++) {
      seen |= strcmp(out[k], e) == 0;
    }
    if (gnx__row_is(r, wl, size) && !seen && n < max) {
      out[n++] = e;
    }
  }
  return n;
}

static void gnx__dat_write(FILE *f, const json_t *report, const json_t *rows, const char *wl,
                           json_int_t size, const struct gnx_profile *p, const char **eng,
                           size_t ne) {
  fprintf(f, "# gnxbench predict: %s n=%lld; columns: cores speedup; one block per engine,\n"
             "# then the bound, then the speedups measured on the run's CPUs\n",
          wl, (long long)size);
  for (size_t e = 0; e < ne; e++) {
    fprintf(f, "# engine %s\n", eng[e]);
    for (size_t i = 0; i < json_array_size(rows); i++) {
      const json_t *r = json_array_get(rows, i);
      if (gnx__row_is(r, wl, size) &&
          strcmp(json_string_value(json_object_get(r, "engine")), eng[e]) == 0) {
        fprintf(f, "%lld %.4f\n", (long long)json_integer_value(json_object_get(r, "cores")),
                json_number_value(json_object_get(r, "speedup")));
      }
    }
    fprintf(f, "\n\n");
  }
  fprintf(f, "# bound\n");
  for (unsigned c = 1; c <= 64; c *= 2) {
    fprintf(f, "%u %.4f\n", c, gnx__bound(p, c));
  }
  fprintf(f, "\n\n# measured\n");
  json_int_t cores = json_integer_value(json_object_get(json_object_get(report, "context"),
                                                        "cpus_allowed"));
  const json_t *res = json_object_get(report, "results");
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *c = json_array_get(res, i);
    const json_t *sp = json_object_get(json_object_get(json_object_get(c, "stats"), "speedup"),
                                       "median");
    if (gnx__row_is(c, wl, size) && json_is_number(sp)) {
      fprintf(f, "%lld %.4f %s\n", (long long)cores, json_number_value(sp),
              json_string_value(json_object_get(c, "engine")));
    }
  }
}

static void gnx__gp_write(FILE *f, const char *base, const char *wl, json_int_t size,
                          const char **eng, size_t ne) {
  fprintf(f, "# Regenerate: gnuplot %s.gp   (in this directory; writes %s.png and %s.svg)\n",
          base, base, base);
  fprintf(f, "data = '%s.dat'\nset title 'predicted speedup over serial: %s n=%lld'\n"
             "set xlabel 'cores'\nset ylabel 'speedup'\nset logscale x 2\nset logscale y 2\n"
             "set key left top\nset grid\n",
          base, wl, (long long)size);
  fprintf(f, "plot ");
  for (size_t e = 0; e < ne; e++) {
    fprintf(f, "data index %zu using 1:2 with linespoints lw 2 title '%s', \\\n     ", e,
            eng[e]);
  }
  fprintf(f, "data index %zu using 1:2 with lines dt 2 lc rgb 'black' title 'bound', \\\n"
             "     data index %zu using 1:2 with points pt 7 ps 1.5 lc rgb 'red' "
             "title 'measured'\n",
          ne, ne + 1);
}

static int gnx__chart_one(const char *dir, const json_t *report, const json_t *rows,
                          const json_t *serial, char *why, size_t len) {
  const char *wl = json_string_value(json_object_get(serial, "workload"));
  json_int_t size = json_integer_value(json_object_get(serial, "size"));
  struct gnx_profile p;
  if (gnx_profile_from_json(json_object_get(serial, "profile"), &p, why, len) < 0) {
    return GNX_EFORMAT;
  }
  const char *eng[32];
  size_t ne = gnx__engines(rows, wl, size, eng, 32);
  char base[160], path[4096];
  snprintf(base, sizeof base, "scaling-%s-%lld", wl, (long long)size);
  int rc = 0;
  for (int k = 0; k < 2 && rc == 0; k++) {
    snprintf(path, sizeof path, "%s/%s.%s", dir, base, k ? "gp" : "dat");
    FILE *f = fopen(path, "w");
    if (!f) {
      snprintf(why, len, "cannot write %s: %s", path, strerror(errno));
      rc = -errno;
      break;
    }
    if (k == 0) {
      gnx__dat_write(f, report, rows, wl, size, &p, eng, ne);
    } else {
      fprintf(f, "set terminal pngcairo size 900,540\nset output '%s.png'\n", base);
      gnx__gp_write(f, base, wl, size, eng, ne);
      fprintf(f, "set terminal svg size 900,540\nset output '%s.svg'\nreplot\n", base);
    }
    rc = fclose(f) == 0 ? 0 : -errno;
  }
  gnx_profile_free(&p);
  if (rc == 0) {
    snprintf(path, sizeof path, "%s.gp", base);
    int g = gnx_gnuplot_run(dir, path, why, len);
    rc = g == -ENOENT ? 0 : g; /* no gnuplot: the .dat and .gp are still there */
  }
  return rc;
}

int gnx_scaling_chart_write(const char *dir, const json_t *report, const json_t *rows,
                            char *why, size_t len) {
  const json_t *res = json_object_get(report, "results");
  for (size_t i = 0; i < json_array_size(res); i++) {
    const json_t *c = json_array_get(res, i);
    if (json_object_get(c, "profile")) {
      int rc = gnx__chart_one(dir, report, rows, c, why, len);
      if (rc < 0) {
        return rc;
      }
    }
  }
  return 0;
}
