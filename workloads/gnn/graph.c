/* SPDX-License-Identifier: MIT */
/* workloads/gnn/graph.c: the gnn graph as CSR, from the spec's R-MAT
 * generator or from an edge-list file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnx/err.h"
#include "gnn/gnn.h"

/* A growable list of edge endpoints. */
struct gnn_edges {
  uint32_t *u, *v;
  uint64_t m, cap;
};

static int gnn_edges_push(struct gnn_edges *e, uint32_t u, uint32_t v) {
  if (e->m == e->cap) {
    uint64_t cap = e->cap ? e->cap * 2 : 4096;
    uint32_t *nu = realloc(e->u, cap * sizeof *nu);
    if (!nu) {
      return -ENOMEM;
    }
    e->u = nu;
    uint32_t *nv = realloc(e->v, cap * sizeof *nv);
    if (!nv) {
      return -ENOMEM;
    }
    e->v = nv;
    e->cap = cap;
  }
  e->u[e->m] = u;
  e->v[e->m] = v;
  e->m++;
  return 0;
}

static void gnn_edges_free(struct gnn_edges *e) {
  free(e->u);
  free(e->v);
  memset(e, 0, sizeof *e);
}

/* CSR from an edge list: drop self-loops, add both directions, sort rows,
 * drop duplicates. Two stable counting sorts (by destination, then by
 * source) leave every row ascending in O(m + n), with no comparison sort even
 * for hub rows of tens of thousands of entries. */
static int gnn_graph_build(uint64_t n, const struct gnn_edges *e, struct gnn_graph *g) {
  memset(g, 0, sizeof *g);
  uint64_t *start = calloc(n + 1, sizeof *start);
  uint64_t *pos = malloc((n + 1) * sizeof *pos);
  if (!start || !pos) {
    free(start);
    free(pos);
    return -ENOMEM;
  }
  for (uint64_t i = 0; i < e->m; i++) {
    if (e->u[i] != e->v[i]) {
      start[e->u[i] + 1]++;
      start[e->v[i] + 1]++;
    }
  }
  for (uint64_t v = 0; v < n; v++) {
    start[v + 1] += start[v];
  }
  uint64_t total = start[n];
  /* Degrees counted with multiplicity are symmetric, so the same starts
   * serve the by-destination and the by-source buckets. */
  uint32_t *by_dst = malloc((total ? total : 1) * sizeof *by_dst);
  uint32_t *col = malloc((total ? total : 1) * sizeof *col);
  if (!by_dst || !col) {
    free(start);
    free(pos);
    free(by_dst);
    free(col);
    return -ENOMEM;
  }
  memcpy(pos, start, (n + 1) * sizeof *pos);
  for (uint64_t i = 0; i < e->m; i++) {
    uint32_t a = e->u[i], b = e->v[i];
    if (a != b) {
      by_dst[pos[b]++] = a;
      by_dst[pos[a]++] = b;
    }
  }
  memcpy(pos, start, (n + 1) * sizeof *pos);
  for (uint64_t d = 0; d < n; d++) {
    for (uint64_t j = start[d]; j < start[d + 1]; j++) {
      col[pos[by_dst[j]]++] = (uint32_t)d;
    }
  }
  free(by_dst);
  /* Rows are ascending; squeeze out the adjacent duplicates in place. */
  uint64_t w = 0, max_deg = 0;
  for (uint64_t v = 0; v < n; v++) {
    uint64_t row = w;
    for (uint64_t j = start[v]; j < start[v + 1]; j++) {
      if (w == row || col[w - 1] != col[j]) {
        col[w++] = col[j];
      }
    }
    start[v] = row;
    if (w - row > max_deg) {
      max_deg = w - row;
    }
  }
  start[n] = w;
  free(pos);
  uint32_t *shrunk = realloc(col, (w ? w : 1) * sizeof *col);
  g->n = n;
  g->rowptr = start;
  g->col = shrunk ? shrunk : col;
  g->entries = w;
  g->max_deg = max_deg;
  return 0;
}

int gnn_graph_rmat(uint64_t n, uint64_t seed, uint64_t d, struct gnn_graph *g) {
  unsigned k = n > 1 ? 64u - (unsigned)__builtin_clzll(n - 1) : 1u;
  uint64_t s = seed ^ 0x6A09E667F3BCC908ull;
  uint64_t m = d * n;
  struct gnn_edges e = {0};
  e.cap = m ? m : 1;
  e.u = malloc(e.cap * sizeof *e.u);
  e.v = malloc(e.cap * sizeof *e.v);
  if (!e.u || !e.v) {
    gnn_edges_free(&e);
    return -ENOMEM;
  }
  for (uint64_t i = 0; i < m; i++) {
    uint64_t u = 0, v = 0, bits = 0;
    for (unsigned l = 0; l < k; l++) {
      if (l % 8 == 0) {
        bits = gnn_draw(s, i, l / 8);
      }
      unsigned byte = (unsigned)(bits >> (8 * (l % 8))) & 255u;
      /* Graph500 quadrants a, b, c, d: 146, 49, 49, 12 out of 256. */
      unsigned row = byte >= 195;
      unsigned colb = (byte >= 146 && byte < 195) || byte >= 244;
      u = u << 1 | row;
      v = v << 1 | colb;
    }
    e.u[i] = (uint32_t)(u % n);
    e.v[i] = (uint32_t)(v % n);
  }
  e.m = m;
  int rc = gnn_graph_build(n, &e, g);
  gnn_edges_free(&e);
  return rc;
}

static int gnn_is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One edge-list token as a node id, or GNX_EFORMAT with the reason. */
static int gnn_parse_id(const char *t, size_t len, uint32_t *id, const char *path,
                        uint64_t line, char *why, size_t why_len) {
  uint64_t v = 0;
  int digits = 1;
  for (size_t i = 0; i < len; i++) {
    if (t[i] < '0' || t[i] > '9') {
      digits = 0;
      break;
    }
    v = v * 10 + (uint64_t)(t[i] - '0');
    if (v >= GNN_MAX_NODES) {
      snprintf(why, why_len, "--graph %s: line %llu: node id '%.*s' is too large (at most %llu)",
               path, (unsigned long long)line, (int)(len > 32 ? 32 : len), t,
               (unsigned long long)GNN_MAX_NODES - 1);
      return GNX_EFORMAT;
    }
  }
  if (!digits) {
    int negative = len > 1 && t[0] == '-' && t[1] >= '0' && t[1] <= '9';
    snprintf(why, why_len, "--graph %s: line %llu: %s '%.*s'", path, (unsigned long long)line,
             negative ? "negative node id" : "not a node id", (int)(len > 32 ? 32 : len), t);
    return GNX_EFORMAT;
  }
  *id = (uint32_t)v;
  return 0;
}

/* Memory an input file may make gnn allocate for its graph: half of this
 * machine's, so that a hostile file (a 12-byte edge list naming node
 * 144444444) is refused before allocating, as a bad input, not an
 * out-of-memory half way through. */
static uint64_t gnn_mem_budget(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  uint64_t phys = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 1ull << 32;
  return phys / 2;
}

/* Bytes gnn_graph_build takes for n nodes and m edges at its peak: the
 * row starts twice, both directions twice, and the edge list itself. */
static uint64_t gnn_graph_bytes(uint64_t n, uint64_t m) {
  return 2 * (n + 1) * sizeof(uint64_t) + 4 * m * sizeof(uint32_t) + 2 * m * sizeof(uint32_t);
}

static int gnn_too_big(const char *path, const char *what, uint64_t n, uint64_t m, char *why,
                       size_t why_len) {
  snprintf(why, why_len,
           "--graph %s: %s: %llu nodes and %llu edges need %.1f GB, more than the limit of half "
           "this machine's memory (%.1f GB); number the nodes densely from 0",
           path, what, (unsigned long long)n, (unsigned long long)m,
           (double)gnn_graph_bytes(n, m) / 1e9, (double)gnn_mem_budget() / 1e9);
  return GNX_EUSAGE;
}

/* Node ids an edge list of m edges may use: every id up to the largest
 * becomes a node (its row, its features), so ids far sparser than the
 * 2m endpoints are refused before anything is allocated for them; 16 per
 * endpoint, and 65536 in any case, leave room for real numberings with
 * gaps. */
#define GNN_SPARSE_IDS(m) (32 * (m) + 65536)

/* Lines longer than this are not 'src dst' pairs (nor comments worth
 * reading): a file of one huge line is refused without holding it. */
#define GNN_LINE_MAX 4096
#define GNN_STR_(x) #x
#define GNN_STR(x) GNN_STR_(x)

/* Reading an edge list line by line, through a fixed buffer. */
struct gnn_lines {
  FILE *f;
  char line[GNN_LINE_MAX + 1];
  uint64_t no; /* the current line's number */
};

/* The next line (without its '\n') in l->line. Returns its length, -1 at
 * the end, or GNX_EFORMAT (too long, a NUL byte: not text) / -errno with
 * why. */
static long gnn_next_line(struct gnn_lines *l, const char *path, char *why, size_t why_len) {
  size_t n = 0;
  int c;
  while ((c = getc_unlocked(l->f)) != EOF && c != '\n') {
    if (c == '\0' || n == GNN_LINE_MAX) {
      snprintf(why, why_len, "--graph %s: line %llu %s (expected 'src dst' lines of text)", path,
               (unsigned long long)l->no + 1,
               c ? "is longer than " GNN_STR(GNN_LINE_MAX) " bytes" : "holds a NUL byte");
      return GNX_EFORMAT;
    }
    l->line[n++] = (char)c;
  }
  if (c == EOF && ferror(l->f)) {
    int e = errno ? errno : EIO; /* e.g. EISDIR */
    snprintf(why, why_len, "--graph %s: cannot read: %s", path, strerror(e));
    return -e;
  }
  if (c == EOF && n == 0) {
    return -1;
  }
  l->no++;
  l->line[n] = '\0';
  return (long)n;
}

/* One line's edge: *fields 0 (blank or a comment) or 2 with a and b set.
 * Returns 0 or GNX_EFORMAT with why. */
static int gnn_parse_edge(const char *text, size_t end, uint64_t line, const char *path,
                          uint32_t *a, uint32_t *b, unsigned *fields, char *why, size_t why_len) {
  /* Split the line (up to a '#') into whitespace-separated tokens. */
  const char *tok[2] = {NULL, NULL};
  size_t tlen[2] = {0, 0};
  *fields = 0;
  size_t j = 0;
  while (j < end && text[j] != '#') {
    if (gnn_is_space(text[j])) {
      j++;
      continue;
    }
    size_t t0 = j;
    while (j < end && text[j] != '#' && !gnn_is_space(text[j])) {
      j++;
    }
    if (*fields < 2) {
      tok[*fields] = text + t0;
      tlen[*fields] = j - t0;
    }
    (*fields)++;
  }
  if (*fields != 0 && *fields != 2) {
    snprintf(why, why_len, "--graph %s: line %llu: expected 'src dst', found %u field%s", path,
             (unsigned long long)line, *fields, *fields == 1 ? "" : "s");
    return GNX_EFORMAT;
  }
  int rc = *fields ? gnn_parse_id(tok[0], tlen[0], a, path, line, why, why_len) : 0;
  return rc == 0 && *fields ? gnn_parse_id(tok[1], tlen[1], b, path, line, why, why_len) : rc;
}

/* Every edge of the file into e, streamed: the file is never held whole,
 * and the edge list grows only within the memory budget. */
static int gnn_read_edges(FILE *f, const char *path, struct gnn_edges *e, uint64_t *max_id,
                          char *why, size_t why_len) {
  struct gnn_lines l = {.f = f};
  uint64_t budget = gnn_mem_budget();
  int rc = 0;
  long len = -1;
  while (rc == 0 && (len = gnn_next_line(&l, path, why, why_len)) >= 0) {
    uint32_t a = 0, b = 0;
    unsigned fields;
    rc = gnn_parse_edge(l.line, (size_t)len, l.no, path, &a, &b, &fields, why, why_len);
    if (rc < 0 || fields == 0) {
      continue;
    }
    uint64_t top = a > b ? a : b;
    *max_id = top > *max_id ? top : *max_id;
    if (gnn_graph_bytes(*max_id + 1, e->m + 1) > budget) {
      rc = gnn_too_big(path, l.no == 1 ? "line 1" : "the edges so far", *max_id + 1, e->m + 1,
                       why, why_len);
    } else if ((rc = gnn_edges_push(e, a, b)) == -ENOMEM) {
      snprintf(why, why_len, "--graph %s: out of memory at line %llu", path,
               (unsigned long long)l.no);
    }
  }
  return rc == 0 && len < -1 ? (int)len : rc; /* a read error ended the loop */
}

int gnn_graph_load(const char *path, struct gnn_graph *g, char *why, size_t why_len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    int rc = -errno;
    snprintf(why, why_len, "--graph %s: cannot read: %s", path, strerror(errno));
    return rc;
  }
  int rc = gnn_graph_read(f, path, g, why, why_len);
  fclose(f);
  return rc;
}

int gnn_graph_read(FILE *f, const char *path, struct gnn_graph *g, char *why, size_t why_len) {
  struct gnn_edges e = {0};
  uint64_t max_id = 0;
  int rc = gnn_read_edges(f, path, &e, &max_id, why, why_len);
  if (rc == 0 && e.m == 0) {
    snprintf(why, why_len, "--graph %s: no edges (expected 'src dst' lines)", path);
    rc = GNX_EFORMAT;
  }
  if (rc == 0 && max_id >= GNN_SPARSE_IDS(e.m)) {
    snprintf(why, why_len,
             "--graph %s: node id %llu, but %llu edges touch at most %llu nodes: ids this sparse "
             "would allocate every missing node (the largest id allowed here is %llu); number the "
             "nodes densely from 0",
             path, (unsigned long long)max_id, (unsigned long long)e.m,
             (unsigned long long)(2 * e.m), (unsigned long long)GNN_SPARSE_IDS(e.m) - 1);
    rc = GNX_EUSAGE;
  }
  if (rc == 0 && (rc = gnn_graph_build(max_id + 1, &e, g)) == -ENOMEM) {
    snprintf(why, why_len, "--graph %s: out of memory", path);
  }
  gnn_edges_free(&e);
  return rc;
}

void gnn_graph_free(struct gnn_graph *g) {
  free(g->rowptr);
  free(g->col);
  memset(g, 0, sizeof *g);
}
