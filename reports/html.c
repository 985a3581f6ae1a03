/* SPDX-License-Identifier: MIT */
/* reports/html.c: report.html, the whole report as one page that opens
 * anywhere, offline, and can be mailed or attached to a ticket as it is.
 *
 * Self-contained: the CSS is inline, the charts are gnuplot's SVG files
 * pasted in (their ids prefixed per chart, so the markers of one chart
 * never resolve to another's), there is no script and nothing to load.
 * Every text that comes from report.json is written through gnx__esc.
 * Order: the recommendation, the speedup charts, the context, then per
 * workload and size its table, verdicts, options, the breakdown chart and
 * the Gantt charts. Like summary.md it depends only on the report and the
 * files rendered beside it, so regenerating it gives the same bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "reports/charts.h"
#include "reports/schema.h"

#define GNX_HTML_SVG_MAX (64u << 20) /* larger charts are named, not pasted */

struct gnx__page {
  FILE *f;
  const struct gnx_analysis *a;
  const char *dir;
  const struct gnx_render_status *st;
  unsigned figures; /* id prefixes: c1-, c2-, ... */
};

/* ---- text --------------------------------------------------------------------- */

static void gnx__esc(FILE *f, const char *s) {
  gnx_markup_escape(f, s);
}

/* A sentence of the report: escaped, and `commands` (paired backquotes,
 * as summary.md writes them) set as code. */
static void gnx__prose(FILE *f, const char *s) {
  int open = 0;
  size_t quotes = 0;
  for (const char *q = s; *q; q++) {
    quotes += *q == '`';
  }
  for (; *s; s++) {
    if (*s == '`' && quotes % 2 == 0) {
      fputs(open ? "</code>" : "<code>", f);
      open = !open;
    } else {
      char one[2] = {*s, '\0'};
      gnx__esc(f, one);
    }
  }
}

/* printf, then escaped (prose: with `commands` as code). Every text from
 * the report goes through here, gnx__esc or gnx__prose. */
__attribute__((format(printf, 3, 4))) static void gnx__put(FILE *f, int prose, const char *fmt,
                                                           ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  (prose ? gnx__prose : gnx__esc)(f, buf);
}

static const char gnx__css[] =
    "body{margin:0;background:#eef0f3;color:#1d2330;"
    "font:15px/1.5 system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif}\n"
    "main{box-sizing:border-box;max-width:1240px;margin:0 auto;padding:24px 32px 64px;"
    "background:#fff}\n"
    ".wide{overflow-x:auto}\n"
    "h1{font-size:26px;margin:0 0 6px}\n"
    "h2{font-size:20px;margin:40px 0 12px;padding-bottom:4px;border-bottom:2px solid #e3e6ea}\n"
    "h3{font-size:16px;margin:26px 0 8px}\n"
    ".lead{color:#43506a;margin-top:0}\n"
    ".reco{list-style:none;padding:0}\n"
    ".reco li{margin:0 0 12px;padding:12px 16px;border-left:5px solid #2e8b57;"
    "background:#f0f7f2}\n"
    ".reco .next{display:block;color:#43506a;margin-top:4px}\n"
    "table{border-collapse:collapse;margin:8px 0 12px;font-size:13px}\n"
    "th,td{padding:4px 7px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}\n"
    "th{background:#f0f2f5;font-weight:600}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.w{white-space:normal;min-width:5em}\n"
    ".ctx th{width:10em}\n"
    "code{font:13px ui-monospace,'DejaVu Sans Mono',monospace;background:#f0f2f5;"
    "padding:1px 4px;border-radius:3px}\n"
    "figure{margin:12px 0 28px}\n"
    "figure svg{display:block;max-width:100%;height:auto;border:1px solid #e3e6ea}\n"
    "figcaption{font-size:13px;color:#43506a;margin-top:4px}\n"
    ".note{padding:10px 14px;background:#fff6e0;border-left:5px solid #ff8c00}\n"
    ".alarm{color:#b00020;font-weight:700}\n"
    ".small{font-size:13px;color:#43506a}\n";

/* ---- charts ------------------------------------------------------------------- */

static char *gnx__slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "re");
  if (!f) {
    return NULL;
  }
  char *buf = NULL;
  long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (size >= 0 && (unsigned long)size <= GNX_HTML_SVG_MAX && fseek(f, 0, SEEK_SET) == 0 &&
      (buf = malloc((size_t)size + 1))) {
    *n = fread(buf, 1, (size_t)size, f);
    buf[*n] = '\0';
  }
  fclose(f);
  return buf;
}

/* Skip an xmlns attribute at s (inline SVG in HTML needs none, and its
 * value is a URL that must not appear in a page that loads nothing). */
static const char *gnx__skip_xmlns(const char *s) {
  const char *eq = strchr(s, '=');
  char q = eq ? eq[1] : 0;
  const char *end = q == '"' || q == '\'' ? strchr(eq + 2, q) : NULL;
  return end ? end + 1 : s;
}

/* The SVG element of a gnuplot file, ids and references prefixed. */
static void gnx__svg_paste(FILE *f, const char *svg, const char *prefix, const char *label) {
  static const char *const refs[] = {"id='", "id=\"", "href='#", "href=\"#", "url(#"};
  const char *p = strstr(svg, "<svg");
  const char *root_end = p ? strchr(p, '>') : NULL;
  if (!root_end) {
    return;
  }
  fputs("<svg role=\"img\" aria-label=\"", f);
  gnx__esc(f, label);
  fputc('"', f);
  for (p += 4; *p; p++) {
    if (p < root_end && strncmp(p, "xmlns", 5) == 0) {
      p = gnx__skip_xmlns(p) - 1;
      continue;
    }
    if (strncmp(p, "<title>Gnuplot</title>", 22) == 0) {
      p += 21; /* the caption names the chart */
      continue;
    }
    fputc(*p, f);
    for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
      size_t n = strlen(refs[k]);
      if ((size_t)(p - svg) + 1 >= n && strncmp(p - n + 1, refs[k], n) == 0) {
        fputs(prefix, f);
      }
    }
  }
  fputc('\n', f);
}

/* A figure: BASE.svg pasted in, or why it is not there. Nothing at all
 * when the chart was never written (no .gp: nothing to draw). */
static void gnx__figure(struct gnx__page *pg, const char *base, const char *caption) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.gp", pg->dir, base);
  if (access(path, R_OK) != 0) {
    return;
  }
  snprintf(path, sizeof path, "%s/%s.svg", pg->dir, base);
  size_t n = 0;
  char *svg = gnx__slurp(path, &n);
  fputs("<figure>\n", pg->f);
  if (svg && strstr(svg, "<svg")) {
    char prefix[32];
    snprintf(prefix, sizeof prefix, "c%u-", ++pg->figures);
    gnx__svg_paste(pg->f, svg, prefix, caption);
  } else if (access(path, R_OK) == 0) {
    fputs("<p class=\"note\">", pg->f);
    gnx__put(pg->f, 0, "%s.svg is too large to paste into this page; open it beside the page.",
             base);
    fputs("</p>\n", pg->f);
  } else {
    fputs("<p class=\"note\">Not drawn: ", pg->f);
    gnx__put(pg->f, 0, "%s.svg is missing (%s). Its data and script lie beside this page: %s.dat, "
                   "%s.gp.",
            base, pg->st->gnuplot_missing ? "gnuplot was not found" : "gnuplot did not draw it",
            base, base);
    fputs("</p>\n", pg->f);
  }
  free(svg);
  fputs("<figcaption>", pg->f);
  gnx__put(pg->f, 0, "%s (%s.svg; the PNG, .dat and .gp lie beside this page)", caption, base);
  fputs("</figcaption>\n</figure>\n", pg->f);
}

/* ---- sections ----------------------------------------------------------------- */

/* "a, b, c" from a string or integer array. */
static void gnx__list(char *buf, size_t len, const json_t *arr) {
  struct gnx_sb sb;
  gnx_sb_init(&sb, buf, len);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    if (json_is_string(v)) {
      gnx_sb_printf(&sb, "%s%s", i ? ", " : "", json_string_value(v));
    } else {
      gnx_sb_printf(&sb, "%s%lld", i ? ", " : "", (long long)json_integer_value(v));
    }
  }
}

static void gnx__head(struct gnx__page *pg) {
  const json_t *cfg = json_object_get(pg->a->report, GNX_F_CONFIG);
  char wl[512], sz[512], en[512];
  gnx__list(wl, sizeof wl, json_object_get(cfg, GNX_F_WORKLOADS));
  gnx__list(sz, sizeof sz, json_object_get(cfg, GNX_F_SIZES));
  gnx__list(en, sizeof en, json_object_get(cfg, GNX_F_ENGINES));
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
        pg->f);
  gnx__put(pg->f, 0, "gnxbench: %s at n = %s", wl, sz);
  fprintf(pg->f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n"
                 "<h1>gnxbench: which parallel strategy, and why</h1>\n<p class=\"lead\">",
          gnx__css);
  gnx__put(pg->f, 0, "Workloads %s at n = %s; engines %s. Every engine's result is compared with "
                 "serial's; speedups are medians of per-repetition ratios against serial.",
          wl, sz, en);
  fputs("</p>\n", pg->f);
  const char *status = gnx_jstr(pg->a->report, GNX_F_STATUS, "?");
  if (strcmp(status, "complete") != 0) {
    fputs("<p class=\"note\"><strong>", pg->f);
    gnx__put(pg->f, 0, "This run is %s", status);
    fputs("</strong>: the tables hold what was measured.</p>\n", pg->f);
  }
}

static void gnx__reco(struct gnx__page *pg) {
  fputs("<section id=\"recommendation\">\n<h2>Recommendation</h2>\n<ul class=\"reco\">\n", pg->f);
  for (size_t i = 0; i < pg->a->n; i++) {
    if (!gnx_cell_opens(pg->a, i, 1)) {
      continue;
    }
    const struct gnx_cell_an *c = &pg->a->cells[i];
    struct gnx_reco r;
    char choice[256];
    gnx_reco_make(pg->a, c->workload, c->size, &r);
    gnx_reco_choice(&r, choice, sizeof choice);
    fputs("<li><strong>", pg->f);
    gnx__put(pg->f, 0, "%s, n=%llu: %s.", c->workload, (unsigned long long)c->size, choice);
    fputs("</strong> ", pg->f);
    gnx__put(pg->f, 1, "%s.", r.why);
    fputs(" <span class=\"next\">", pg->f);
    gnx__put(pg->f, 1, "Next: %s.", r.next);
    fputs("</span></li>\n", pg->f);
  }
  fputs("</ul>\n</section>\n", pg->f);
}

static void gnx__speedups(struct gnx__page *pg) {
  fputs("<section id=\"speedup\">\n<h2>Speedup against size</h2>\n", pg->f);
  if (pg->st->gnuplot_missing) {
    fputs("<p class=\"note\">The charts are missing: gnuplot was not found. Install gnuplot-nox, "
          "then run <code>gnxbench report</code> on this directory.</p>\n",
          pg->f);
  }
  for (size_t i = 0; i < pg->a->n; i++) {
    if (gnx_cell_opens(pg->a, i, 0)) {
      char base[160], cap[256];
      snprintf(base, sizeof base, "speedup-%s", pg->a->cells[i].workload);
      snprintf(cap, sizeof cap, "Speedup over serial against size, %s: median and interval per "
                                "engine; dashed 1x is serial, dotted the CPUs allowed",
               pg->a->cells[i].workload);
      gnx__figure(pg, base, cap);
    }
  }
  fputs("</section>\n", pg->f);
}

/* One context row: a heading and an escaped value (code: monospace). */
static void gnx__ctx_row(FILE *f, const char *key, const char *value, int code) {
  fprintf(f, "<tr><th>%s</th><td>%s", key, code ? "<code>" : "");
  gnx__esc(f, value);
  fprintf(f, "%s</td></tr>\n", code ? "</code>" : "");
}

static void gnx__context(struct gnx__page *pg) {
  const json_t *ctx = json_object_get(pg->a->report, GNX_F_CONTEXT);
  const json_t *cfg = json_object_get(pg->a->report, GNX_F_CONFIG);
  const json_t *topo = json_object_get(ctx, GNX_F_TOPOLOGY);
  char v[2048];
  struct gnx_sb sb;
  fputs("<section id=\"context\">\n<h2>Context</h2>\n<table class=\"ctx\">\n", pg->f);
  snprintf(v, sizeof v, "%s: %s, %s, Linux %s", gnx_jstr(ctx, GNX_F_HOST, "?"),
           gnx_jstr(ctx, GNX_F_CPU_MODEL, "?"), gnx_jstr(ctx, GNX_F_ARCH, "?"),
           gnx_jstr(ctx, GNX_F_KERNEL, "?"));
  gnx__ctx_row(pg->f, "machine", v, 0);
  snprintf(v, sizeof v, "%lld cores, %lld PUs (%s); %lld CPUs allowed to this run",
           (long long)gnx_jint(topo, GNX_F_CORES, -1), (long long)gnx_jint(topo, GNX_F_PUS, -1),
           gnx_jstr(topo, GNX_F_SOURCE, "?"), (long long)gnx_jint(ctx, GNX_F_CPUS_ALLOWED, 1));
  gnx__ctx_row(pg->f, "topology", v, 0);
  snprintf(v, sizeof v, "gnxbench %s, git %s, %s build, %s %s", gnx_jstr(ctx, GNX_F_VERSION, "?"),
           gnx_jstr(ctx, GNX_F_GIT_REVISION, "?"), gnx_jstr(ctx, GNX_F_BUILD_TYPE, "?"),
           gnx_jstr(ctx, GNX_F_COMPILER, "?"), gnx_jstr(ctx, GNX_F_CFLAGS, ""));
  gnx__ctx_row(pg->f, "build", v, 0);
  gnx__list(v, sizeof v, json_object_get(ctx, GNX_F_FEATURES));
  gnx__ctx_row(pg->f, "features", v[0] ? v : "none", 0);
  gnx_sb_init(&sb, v, sizeof v);
  size_t i;
  json_t *arg;
  json_array_foreach(json_object_get(ctx, GNX_F_COMMAND_LINE), i, arg) {
    const char *s = json_string_value(arg) ? json_string_value(arg) : "?";
    const char *slash = i == 0 ? strrchr(s, '/') : NULL; /* the binary, not where it lies */
    gnx_sb_printf(&sb, "%s%s", i ? " " : "", slash ? slash + 1 : s);
  }
  gnx__ctx_row(pg->f, "command", v, 1);
  gnx__ctx_row(pg->f, "date", gnx_jstr(ctx, GNX_F_DATE, "?"), 0);
  snprintf(v, sizeof v, "%lld repetitions per engine after %lld warm-up, order %s, time budget "
                        "%g s (0: none), engines interleaved",
           (long long)gnx_jint(cfg, GNX_F_REPS, 0), (long long)gnx_jint(cfg, GNX_F_WARMUP, 0),
           gnx_jstr(cfg, GNX_F_ORDER, "fixed"), gnx_jnum(cfg, GNX_F_TIME_BUDGET_S, 0));
  gnx__ctx_row(pg->f, "method", v, 0);
  fputs("</table>\n</section>\n", pg->f);
}

static void gnx__cells_table(struct gnx__page *pg, const struct gnx_cell_an *g) {
  static const char *const head[] = {
      "engine", "median wall [interval]", "speedup [interval]", "start-up", "bound",
      "efficiency", "predicted (error)", "CPU", "peak RSS", "bottleneck", "waiting", "verified"};
  fputs("<div class=\"wide\"><table>\n<thead><tr>", pg->f);
  for (size_t k = 0; k < sizeof head / sizeof head[0]; k++) {
    fprintf(pg->f, "<th>%s</th>", head[k]);
  }
  fputs("</tr></thead>\n<tbody>\n", pg->f);
  for (size_t i = 0; i < pg->a->n; i++) {
    const struct gnx_cell_an *c = &pg->a->cells[i];
    if (strcmp(c->workload, g->workload) != 0 || c->size != g->size) {
      continue;
    }
    struct gnx_row_text t;
    gnx_row_text_make(c, &t);
    const char *num[] = {t.wall, t.speedup, t.startup, t.bound, t.eff, t.pred, t.cpu, t.rss};
    fputs("<tr><td>", pg->f);
    gnx__esc(pg->f, c->engine);
    fputs("</td>", pg->f);
    for (size_t k = 0; k < sizeof num / sizeof num[0]; k++) {
      /* efficiency may carry a remark: let it wrap */
      fputs(num[k] == t.eff ? "<td class=\"n w\">" : "<td class=\"n\">", pg->f);
      gnx__esc(pg->f, num[k]);
      fputs("</td>", pg->f);
    }
    fputs("<td>", pg->f);
    gnx__esc(pg->f, t.bottleneck);
    fputs("</td><td class=\"n\">", pg->f);
    gnx__esc(pg->f, t.wait);
    fputs(t.alarm ? "</td><td class=\"alarm\">" : "</td><td>", pg->f);
    gnx__esc(pg->f, t.verified);
    fputs("</td></tr>\n", pg->f);
  }
  fputs("</tbody>\n</table></div>\n", pg->f);
}

/* Verdicts, warnings and each engine's options (auto ones with the
 * model's choice). */
static void gnx__cells_words(struct gnx__page *pg, const struct gnx_cell_an *g) {
  char note[512];
  gnx_interval_note(note, sizeof note, pg->a, g->workload, g->size);
  fputs("<p class=\"small\">", pg->f);
  gnx__put(pg->f, 0, "%c%s.", note[0] - 'a' + 'A', note + 1);
  fputs("</p>\n<h3>Verdicts</h3>\n<ul>\n", pg->f);
  for (size_t i = 0; i < pg->a->n; i++) {
    const struct gnx_cell_an *c = &pg->a->cells[i];
    if (strcmp(c->workload, g->workload) != 0 || c->size != g->size) {
      continue;
    }
    char line[1536];
    gnx_verdict_line(c, line, sizeof line);
    fputs("<li><strong>", pg->f);
    gnx__esc(pg->f, c->engine);
    fputs("</strong> ", pg->f);
    gnx__prose(pg->f, line);
    const json_t *warns = json_object_get(c->cell, GNX_F_WARNINGS);
    for (size_t k = 0; k < json_array_size(warns); k++) {
      fputs(" <strong>Warning:</strong> ", pg->f);
      gnx__put(pg->f, 1, "%s.", json_string_value(json_array_get(warns, k)));
    }
    fputs("</li>\n", pg->f);
  }
  fputs("</ul>\n<h3>Options</h3>\n<table>\n<tr><th>engine</th><th>options (auto: the model's "
        "choice)</th></tr>\n",
        pg->f);
  for (size_t i = 0; i < pg->a->n; i++) {
    const struct gnx_cell_an *c = &pg->a->cells[i];
    if (strcmp(c->workload, g->workload) != 0 || c->size != g->size) {
      continue;
    }
    const json_t *tuned = json_object_get(json_object_get(c->cell, GNX_F_TUNING), GNX_F_OPTIONS);
    char v[1024];
    struct gnx_sb sb;
    gnx_sb_init(&sb, v, sizeof v);
    const char *k;
    json_t *o;
    json_object_foreach(json_object_get(c->cell, GNX_F_OPTIONS), k, o) {
      const char *chosen = gnx_jstr(tuned, k, NULL);
      gnx_sb_printf(&sb, "%s--%s %s%s%s%s", sb.len ? " " : "", k, json_string_value(o),
                    chosen ? " (" : "", chosen ? chosen : "", chosen ? ")" : "");
    }
    fputs("<tr><td>", pg->f);
    gnx__esc(pg->f, c->engine);
    fputs("</td><td><code>", pg->f);
    gnx__esc(pg->f, v);
    fputs("</code></td></tr>\n", pg->f);
  }
  fputs("</table>\n", pg->f);
}

static void gnx__group(struct gnx__page *pg, const struct gnx_cell_an *g) {
  unsigned long long n = (unsigned long long)g->size;
  fputs("<section>\n<h2>", pg->f);
  gnx__put(pg->f, 0, "%s, n=%llu (%llu items)", g->workload, n, (unsigned long long)g->items);
  fputs("</h2>\n", pg->f);
  gnx__cells_table(pg, g);
  gnx__cells_words(pg, g);
  char base[256], cap[320];
  fputs("<h3>Where the time went</h3>\n", pg->f);
  snprintf(base, sizeof base, "breakdown-%s-%llu", g->workload, n);
  snprintf(cap, sizeof cap, "Each engine's workers x wall in the median repetition: exec, "
                            "starved, blocked, lock, copy, done, untraced");
  gnx__figure(pg, base, cap);
  fputs("<h3>Gantt charts</h3>\n", pg->f);
  for (size_t i = 0; i < pg->a->n; i++) {
    const struct gnx_cell_an *c = &pg->a->cells[i];
    if (strcmp(c->workload, g->workload) == 0 && c->size == g->size) {
      snprintf(base, sizeof base, "gantt-%s-%llu-%s", c->workload, n, c->engine);
      snprintf(cap, sizeof cap, "%s, n=%llu, %s: one row per worker, the median repetition",
               c->workload, n, c->engine);
      gnx__figure(pg, base, cap);
    }
  }
  fputs("</section>\n", pg->f);
}

int gnx_html_write(const struct gnx_analysis *a, const char *dir,
                   const struct gnx_render_status *st, char *why, size_t len) {
  struct gnx_outfile o;
  int rc = gnx_outfile_open(&o, dir, "report.html", why, len);
  if (rc < 0) {
    return rc;
  }
  struct gnx__page pg = {o.f, a, dir, st, 0};
  gnx__head(&pg);
  gnx__reco(&pg);
  gnx__speedups(&pg);
  gnx__context(&pg);
  for (size_t i = 0; i < a->n; i++) {
    if (gnx_cell_opens(a, i, 1)) {
      gnx__group(&pg, &a->cells[i]);
    }
  }
  fputs("<p class=\"small\">Every figure is defined in docs/reports.md; this page, summary.md "
        "and speedup.csv are derived from report.json (<code>gnxbench report DIR</code> writes "
        "them again).</p>\n</main>\n</body>\n</html>\n",
        o.f);
  return gnx_outfile_commit(&o, why, len);
}
