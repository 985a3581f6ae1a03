/* SPDX-License-Identifier: MIT */
/* reports/chart.c: what the speedup and breakdown charts and report.html
 * share: writing a file whole, quoting for gnuplot, drawing a chart and
 * noting how that went, walking the report's groups. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reports/charts.h"
#include "reports/profile.h"

int gnx_outfile_open(struct gnx_outfile *o, const char *dir, const char *name, char *why,
                     size_t len) {
  snprintf(o->path, sizeof o->path, "%s/%s", dir, name);
  snprintf(o->tmp, sizeof o->tmp, "%s/.%s.%d", dir, name, (int)getpid());
  o->f = fopen(o->tmp, "we");
  if (!o->f) {
    int e = errno;
    snprintf(why, len, "cannot write %s: %s", o->path, strerror(e));
    return -e;
  }
  return 0;
}

int gnx_file_close(FILE *f) {
  int had = ferror(f);
  errno = 0;
  int e = fflush(f) != 0 ? errno : 0;
  errno = 0;
  if (fclose(f) != 0 && !e) {
    e = errno;
  }
  return e ? -e : had ? -EIO : 0;
}

int gnx_outfile_commit(struct gnx_outfile *o, char *why, size_t len) {
  int rc = gnx_file_close(o->f);
  o->f = NULL;
  errno = 0;
  if (rc < 0 || rename(o->tmp, o->path) < 0) {
    int e = rc < 0 ? -rc : errno ? errno : EIO;
    unlink(o->tmp);
    snprintf(why, len, "cannot write %s: %s", o->path, strerror(e));
    return -e;
  }
  return 0;
}

int gnx_chart_name_ok(const char *base, struct gnx_render_status *st) {
  /* the name goes into a script's comments and file names unquoted: only
   * what gnuplot and a shell take literally (a hand-edited report could
   * hold anything, and gnuplot runs `...` and system()) */
  if (!base[strspn(base, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")]) {
    return 1;
  }
  if (!st->failed++) {
    snprintf(st->why, sizeof st->why, "%.200s: a name with characters other than letters, "
                                      "digits and ._+- is not charted", base);
  }
  return 0;
}

void gnx_markup_escape(FILE *f, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&apos;", f); break;
    default: fputc(*s, f);
    }
  }
}

void gnx_gp_quote(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') {
      fputc('\\', f);
    }
    if (*s == '\n') {
      fputs("\\n", f); /* a line break in a double-quoted string */
    } else {
      fputc(*s == '`' ? '\'' : *s, f); /* gnuplot runs `...` even inside quotes */
    }
  }
  fputc('"', f);
}

void gnx_chart_draw(const char *dir, const char *base, struct gnx_render_status *st) {
  if (st->gnuplot_missing) {
    return;
  }
  char gp[300], gwhy[600];
  snprintf(gp, sizeof gp, "%s.gp", base);
  int rc = gnx_gnuplot_run(dir, gp, gwhy, sizeof gwhy);
  if (rc == -ENOENT) {
    st->gnuplot_missing = 1;
  } else if (rc < 0) {
    if (!st->failed++) {
      snprintf(st->why, sizeof st->why, "%.400s", gwhy);
    }
  } else {
    st->charts++;
  }
}

int gnx_chart_write(const char *dir, const char *base, gnx_chart_part dat, gnx_chart_part gp,
                    const void *arg, struct gnx_render_status *st, char *why, size_t len) {
  if (!gnx_chart_name_ok(base, st)) {
    return 0;
  }
  gnx_chart_part part[2] = {dat, gp};
  for (int k = 0; k < 2; k++) {
    char name[300];
    snprintf(name, sizeof name, "%s.%s", base, k ? "gp" : "dat");
    struct gnx_outfile o;
    int rc = gnx_outfile_open(&o, dir, name, why, len);
    if (rc < 0) {
      return rc;
    }
    part[k](o.f, arg, base);
    if ((rc = gnx_outfile_commit(&o, why, len)) < 0) {
      return rc;
    }
  }
  gnx_chart_draw(dir, base, st);
  return 0;
}

int gnx_cell_opens(const struct gnx_analysis *a, size_t i, int by_size) {
  const struct gnx_cell_an *c = &a->cells[i];
  for (size_t k = 0; k < i; k++) {
    if (strcmp(a->cells[k].workload, c->workload) == 0 &&
        (!by_size || a->cells[k].size == c->size)) {
      return 0;
    }
  }
  return 1;
}

void gnx_fmt_size(char *buf, size_t len, unsigned long long n) {
  if (n && n % 1000000 == 0) {
    snprintf(buf, len, "%llum", n / 1000000);
  } else if (n && n % 1000 == 0) {
    snprintf(buf, len, "%lluk", n / 1000);
  } else {
    snprintf(buf, len, "%llu", n);
  }
}
