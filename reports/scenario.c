/* SPDX-License-Identifier: MIT */
/* reports/scenario.c: the outputs of a scenario's report (`gnxbench
 * scenario NAME`): summary.md and its line charts, drawn from the report's
 * "scenario" section alone, which holds the tables, the charts' points and
 * the verdict as measured. A scenario file decides what to measure; how it
 * looks is decided here, once, so `gnxbench report DIR` writes the same
 * files again. Each variant the scenario ran is an ordinary run in a
 * folder below, with its own summary. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/charts.h"
#include "reports/report.h"
#include "reports/schema.h"

/* A table cell: a string as it is, a number with 4 significant digits. */
static void gnx__cell_print(FILE *f, const json_t *v) {
  if (json_is_string(v)) {
    fputs(json_string_value(v), f);
  } else if (json_is_integer(v)) {
    fprintf(f, "%lld", (long long)json_integer_value(v));
  } else if (json_is_number(v)) {
    fprintf(f, "%.4g", json_number_value(v));
  } else {
    fputs("-", f);
  }
}

static void gnx__table_md(FILE *f, const json_t *t) {
  const json_t *cols = json_object_get(t, "columns");
  size_t i, j;
  const json_t *v, *row;
  fprintf(f, "### %s\n\n|", gnx_jstr(t, "title", ""));
  json_array_foreach(cols, i, v) { fprintf(f, " %s |", json_string_value(v)); }
  fputs("\n|", f);
  json_array_foreach(cols, i, v) { fputs(i ? "---:|" : "---|", f); }
  fputs("\n", f);
  json_array_foreach(json_object_get(t, "rows"), j, row) {
    fputs("|", f);
    json_array_foreach(row, i, v) {
      fputs(" ", f);
      gnx__cell_print(f, v);
      fputs(" |", f);
    }
    fputs("\n", f);
  }
  fputs("\n", f);
}

static void gnx__chart_dat(FILE *f, const void *arg, const char *base) {
  const json_t *c = arg;
  size_t i, k;
  const json_t *s, *p;
  fprintf(f, "# gnxbench scenario chart %s: %s\n# columns: x y; one block (gnuplot index) "
             "per series, in the order below\n",
          base, gnx_jstr(c, "title", ""));
  json_array_foreach(json_object_get(c, "series"), i, s) {
    fprintf(f, "%s# block %zu: %s\n", i ? "\n\n" : "", i, gnx_jstr(s, "title", ""));
    json_array_foreach(json_object_get(s, "points"), k, p) {
      fprintf(f, "%.6g %.6g\n", json_number_value(json_array_get(p, 0)),
              json_number_value(json_array_get(p, 1)));
    }
  }
}

static void gnx__chart_gp(FILE *f, const void *arg, const char *base) {
  const json_t *c = arg;
  fprintf(f, "# gnxbench scenario chart: one line per series of %s.dat\n"
             "# Regenerate: gnuplot %s.gp   (in this directory; writes %s.png and %s.svg)\n\n"
             "datafile = '%s.dat'\nset title ",
          base, base, base, base, base);
  gnx_gp_quote(f, gnx_jstr(c, "title", ""));
  fputs("\nset xlabel ", f);
  gnx_gp_quote(f, gnx_jstr(c, "xlabel", "x"));
  fputs("\nset ylabel ", f);
  gnx_gp_quote(f, gnx_jstr(c, "ylabel", "y"));
  fprintf(f, "\n%sset yrange [0:*]\nset grid ytics lc rgb '#dddddd' lt 1\nset border 3\n"
             "set xtics nomirror\nset ytics nomirror\n"
             "set key outside right top vertical Left reverse samplen 3 spacing 1.3\n"
             "set terminal pngcairo noenhanced size 900,540 font 'Sans,10'\n"
             "set output '%s.png'\nplot \\\n",
          gnx_jbool(c, "logx", 0) ? "set logscale x\n" : "", base);
  size_t i, n = json_array_size(json_object_get(c, "series"));
  const json_t *s;
  json_array_foreach(json_object_get(c, "series"), i, s) {
    const char *style = gnx_jstr(s, "style", "linespoints");
    fprintf(f, "  datafile index %zu using 1:2 with %s lw 2%s title ", i,
            strcmp(style, "bound") == 0 ? "lines dt 2" : style,
            strcmp(style, "linespoints") == 0 ? " pt 7 ps 0.9" : "");
    gnx_gp_quote(f, gnx_jstr(s, "title", ""));
    fputs(i + 1 < n ? ", \\\n" : "\n", f);
  }
  fprintf(f, "\nset terminal svg noenhanced size 900,540 font 'Sans,10' background rgb 'white'\n"
             "set output '%s.svg'\nreplot\nunset output\n",
          base);
}

static void gnx__variants_md(FILE *f, const json_t *sc) {
  size_t i;
  const json_t *v, *w;
  fputs("## The runs behind it\n\nEach variant is an ordinary `gnxbench run` in its own folder, "
        "with its own summary, traces and Gantt charts:\n\n",
        f);
  json_array_foreach(json_object_get(sc, "variants"), i, v) {
    fprintf(f, "- [%s](%s/summary.md): `gnxbench", gnx_jstr(v, GNX_F_NAME, ""),
            gnx_jstr(v, "dir", ""));
    size_t k;
    json_array_foreach(json_object_get(v, GNX_F_COMMAND_LINE), k, w) {
      fprintf(f, " %s", json_string_value(w));
    }
    fprintf(f, "`%s\n", gnx_jstr(v, GNX_F_STATUS, "complete")[0] == 'c' ? "" : " (not complete)");
  }
  fputs("\n", f);
}

static int gnx__scenario_md(const json_t *sc, const char *dir, char *why, size_t len) {
  struct gnx_outfile o;
  int rc = gnx_outfile_open(&o, dir, "summary.md", why, len);
  if (rc < 0) {
    return rc;
  }
  FILE *f = o.f;
  size_t i;
  const json_t *t;
  fprintf(f, "# gnxbench scenario %s\n\n**Question.** %s\n\n**Answer.** %s\n\n",
          gnx_jstr(sc, GNX_F_NAME, ""), gnx_jstr(sc, "question", ""), gnx_jstr(sc, "verdict", ""));
  json_array_foreach(json_object_get(sc, "tables"), i, t) { gnx__table_md(f, t); }
  json_array_foreach(json_object_get(sc, "charts"), i, t) {
    const char *b = gnx_jstr(t, GNX_F_NAME, "chart");
    fprintf(f, "![%s](%s.png)\n\n([%s.svg](%s.svg), data [%s.dat](%s.dat), script [%s.gp](%s.gp))"
               "\n\n",
            gnx_jstr(t, "title", ""), b, b, b, b, b, b, b);
  }
  const char *orig = gnx_jstr(sc, "original", NULL);
  if (orig) {
    fprintf(f, "**The field's figures.** %s\n\n", orig);
  }
  gnx__variants_md(f, sc);
  return gnx_outfile_commit(&o, why, len);
}

int gnx_scenario_render(const json_t *report, const char *dir, struct gnx_render_status *st,
                        char *why, size_t len) {
  const json_t *sc = json_object_get(report, "scenario");
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(sc, "charts"), i, c) {
    int rc = gnx_chart_write(dir, gnx_jstr(c, GNX_F_NAME, "chart"), gnx__chart_dat, gnx__chart_gp,
                             c, st, why, len);
    if (rc < 0) {
      return rc;
    }
  }
  return gnx__scenario_md(sc, dir, why, len);
}
