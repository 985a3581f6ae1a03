/* SPDX-License-Identifier: MIT */
/* bench/plain/gnn.c: the GNN workload of spec/gnn.md as a plain loop,
 * written from the spec alone (no code from workloads/gnn/). Built twice:
 *   plain-gnn-serial  without OpenMP: the subgraphs in order, one thread;
 *   plain-gnn-omp     with -fopenmp: `parallel for schedule(dynamic)` over
 *                     subgraphs; each thread samples, runs block0 and block1
 *                     for its subgraph and block1's sgemm writes the core
 *                     rows straight into OUT. Every buffer is the thread's
 *                     own, sized for the largest subgraph before the clock
 *                     starts: no copies between stages, no allocation per
 *                     subgraph.
 * OpenBLAS runs one thread in every worker, as the spec says.
 *
 * Bit-identity with gnxbench: floats are summed in the spec's order (the
 * node itself, then its sampled neighbours ascending) and multiplied by the
 * float 1/|S(v)|, and each sgemm has the spec's shape (|L| x F by F x H for
 * block0, core x H by H x C for block1), so every engine, and this, gets the
 * same bits. The spec's default sizes are compile-time constants here. */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#define IMPL "omp"
#else
#define IMPL "serial"
#endif

#include "common.h"

#define F 128 /* feature width */
#define H 128 /* hidden width */
#define C 16  /* classes */
#define K 10  /* fan-out cap */
#define D 10  /* R-MAT edge draws per node */
#define P 2048 /* core nodes per subgraph */

#define GOLDEN 0x9E3779B97F4A7C15ull

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* ---- inputs (built before the clock starts) ------------------------------ */

struct graph {
  uint64_t n, entries, max_deg;
  uint64_t *row; /* n + 1 offsets */
  uint32_t *col; /* rows ascending, no duplicates, no self-loops */
};

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* R-MAT with Graph500 quadrants, both directions, rows sorted, deduplicated. */
static void make_graph(uint64_t n, uint64_t seed, struct graph *g) {
  unsigned k = 1;
  while (k < 64 && (n - 1) >> k) {
    k++;
  }
  uint64_t s = seed ^ 0x6A09E667F3BCC908ull, m = D * n;
  uint32_t *eu = plain_alloc(m * sizeof *eu), *ev = plain_alloc(m * sizeof *ev);
  uint64_t *deg = calloc(n + 1, sizeof *deg);
  if (!deg) {
    exit(3);
  }
  for (uint64_t e = 0; e < m; e++) {
    uint64_t u = 0, v = 0;
    for (unsigned l = 0; l < k; l++) {
      unsigned byte = (unsigned)(mix64(s + GOLDEN * (e * 16 + l / 8 + 1)) >> (8 * (l % 8))) & 255;
      u = u << 1 | (byte >= 195);                    /* c or d */
      v = v << 1 | ((byte >= 146 && byte < 195) || byte >= 244); /* b or d */
    }
    eu[e] = (uint32_t)(u % n);
    ev[e] = (uint32_t)(v % n);
    if (eu[e] != ev[e]) {
      deg[eu[e]]++;
      deg[ev[e]]++;
    }
  }
  /* bucket both directions by source, then sort and squeeze each row */
  uint64_t *start = plain_alloc((n + 1) * sizeof *start);
  start[0] = 0;
  for (uint64_t v = 0; v < n; v++) {
    start[v + 1] = start[v] + deg[v];
    deg[v] = start[v];
  }
  uint32_t *col = plain_alloc(start[n] * sizeof *col);
  for (uint64_t e = 0; e < m; e++) {
    if (eu[e] != ev[e]) {
      col[deg[eu[e]]++] = ev[e];
      col[deg[ev[e]]++] = eu[e];
    }
  }
  free(eu);
  free(ev);
  free(deg);
  uint64_t w = 0, max_deg = 0;
  for (uint64_t v = 0; v < n; v++) {
    qsort(col + start[v], start[v + 1] - start[v], sizeof *col, cmp_u32);
    uint64_t first = w;
    for (uint64_t j = start[v]; j < start[v + 1]; j++) {
      if (w == first || col[w - 1] != col[j]) {
        col[w++] = col[j];
      }
    }
    start[v] = first;
    max_deg = w - first > max_deg ? w - first : max_deg;
  }
  start[n] = w;
  g->n = n;
  g->entries = w;
  g->max_deg = max_deg;
  g->row = start;
  g->col = col;
}

/* rows x cols of (2 u(t, idx) - 1) * scale, idx the row-major index. */
static float *uniform(uint64_t t, size_t cells, double scale) {
  float *m = plain_alloc(cells * sizeof *m);
  for (size_t i = 0; i < cells; i++) {
    double u = (double)(mix64(t + GOLDEN * (i + 1)) >> 11) * 0x1p-53;
    m[i] = (float)((2.0 * u - 1.0) * scale);
  }
  return m;
}

/* ---- the timed part ------------------------------------------------------- */

struct model {
  struct graph g;
  uint64_t n, parts;
  size_t max_local; /* bound on |L|: P + P*K, at most n */
  const float *x, *w1, *w2;
  float *out; /* n x C */
};

/* A worker's own buffers, reused for every subgraph it runs. */
struct scratch {
  uint64_t *halo_bits; /* one bit per node: the current halo */
  uint32_t *local_of;  /* global -> local id, valid for the current halo */
  uint32_t *L;         /* local node list: core, then halo ascending */
  float *ax;           /* agg(X) rows of L */
  float *h1;           /* H1 rows of L */
  float *ah;           /* agg(H1) rows of the core */
};

static inline uint32_t sampled(const struct graph *g, uint64_t v) {
  uint64_t d = g->row[v + 1] - g->row[v];
  return (uint32_t)(d < K ? d : K);
}

/* dst = (src[self] + src[nb[0]] + ... ) * 1/(cnt+1), rows of `width`,
 * in that order: the order fixes the bits. Columns go in blocks of 32 held
 * in eight registers (GCC vectors: a plain loop keeps the block in memory)
 * across all the neighbours, so the loads of every neighbour's row are in
 * flight at once: X is far bigger than the caches, and a row at a time
 * leaves the core waiting for one row's misses after another. */
typedef float v4f __attribute__((vector_size(16)));
_Static_assert(F % 32 == 0 && H % 32 == 0, "rows are whole column blocks");

static inline v4f ld4(const float *p) {
  v4f v;
  memcpy(&v, p, sizeof v); /* unaligned */
  return v;
}

static inline void st4(float *p, v4f v) { memcpy(p, &v, sizeof v); }

static inline void agg_row(float *restrict dst, const float *restrict src, size_t width,
                           const float *restrict self, const uint32_t *nb, const uint32_t *map,
                           uint32_t cnt) {
  const float inv = 1.0f / (float)(cnt + 1);
  for (size_t c = 0; c < width; c += 32) {
    const float *s = self + c;
    v4f a0 = ld4(s), a1 = ld4(s + 4), a2 = ld4(s + 8), a3 = ld4(s + 12);
    v4f a4 = ld4(s + 16), a5 = ld4(s + 20), a6 = ld4(s + 24), a7 = ld4(s + 28);
    for (uint32_t j = 0; j < cnt; j++) {
      const float *r = src + (size_t)(map ? map[nb[j]] : nb[j]) * width + c;
      a0 += ld4(r), a1 += ld4(r + 4), a2 += ld4(r + 8), a3 += ld4(r + 12);
      a4 += ld4(r + 16), a5 += ld4(r + 20), a6 += ld4(r + 24), a7 += ld4(r + 28);
    }
    float *d = dst + c;
    st4(d, a0 * inv), st4(d + 4, a1 * inv), st4(d + 8, a2 * inv), st4(d + 12, a3 * inv);
    st4(d + 16, a4 * inv), st4(d + 20, a5 * inv), st4(d + 24, a6 * inv), st4(d + 28, a7 * inv);
  }
}

static void run_part(const struct model *m, struct scratch *s, uint64_t part) {
  const struct graph *g = &m->g;
  uint64_t lo = part * P, hi = lo + P < m->n ? lo + P : m->n;
  uint32_t nc = (uint32_t)(hi - lo);

  /* sample: mark the halo (sampled neighbours outside the core) */
  uint64_t wlo = UINT64_MAX, whi = 0;
  for (uint64_t v = lo; v < hi; v++) {
    const uint32_t *nb = g->col + g->row[v];
    for (uint32_t j = 0, cnt = sampled(g, v); j < cnt; j++) {
      uint32_t w = nb[j];
      if (w < lo || w >= hi) {
        s->halo_bits[w >> 6] |= 1ull << (w & 63);
        wlo = w >> 6 < wlo ? w >> 6 : wlo;
        whi = w >> 6 > whi ? w >> 6 : whi;
      }
    }
  }
  /* L = core, then the halo in ascending id; the map as one pass over the
   * marked words (clearing them for the next subgraph) */
  uint32_t nl = 0;
  for (uint32_t i = 0; i < nc; i++) {
    s->L[nl] = (uint32_t)(lo + i);
    s->local_of[lo + i] = nl++;
  }
  for (uint64_t wd = wlo; wlo != UINT64_MAX && wd <= whi; wd++) {
    for (uint64_t bits = s->halo_bits[wd]; bits; bits &= bits - 1) {
      uint32_t w = (uint32_t)(wd * 64 + (uint64_t)__builtin_ctzll(bits));
      s->L[nl] = w;
      s->local_of[w] = nl++;
    }
    s->halo_bits[wd] = 0;
  }

  /* block0: H1[L] = ReLU(agg(X)[L] W1) */
  for (uint32_t i = 0; i < nl; i++) {
    uint32_t v = s->L[i];
    agg_row(s->ax + (size_t)i * F, m->x, F, m->x + (size_t)v * F, g->col + g->row[v], NULL,
            sampled(g, v));
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)nl, H, F, 1.0f, s->ax, F, m->w1,
              H, 0.0f, s->h1, H);
  for (size_t i = 0; i < (size_t)nl * H; i++) {
    s->h1[i] = s->h1[i] > 0.0f ? s->h1[i] : 0.0f;
  }

  /* block1: OUT[core] = agg(H1)[core] W2, written in place */
  for (uint32_t i = 0; i < nc; i++) {
    agg_row(s->ah + (size_t)i * H, s->h1, H, s->h1 + (size_t)i * H, g->col + g->row[lo + i],
            s->local_of, sampled(g, lo + i));
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)nc, C, H, 1.0f, s->ah, H, m->w2,
              C, 0.0f, m->out + lo * C, C);
}

static void run_once(const struct model *m, struct scratch *ws) {
#pragma omp parallel
  {
#ifdef _OPENMP
    struct scratch *s = &ws[omp_get_thread_num()];
#else
    struct scratch *s = &ws[0];
#endif
#pragma omp for schedule(dynamic)
    for (uint64_t p = 0; p < m->parts; p++) {
      run_part(m, s, p);
    }
  }
}

/* ---- output ----------------------------------------------------------------- */

static void save_npy(const char *dir, const float *out, uint64_t n) {
  char path[4096], head[128];
  FILE *f = plain_save_open(dir, "gnn", n, "npy", path, sizeof path);
  /* NumPy 1.0: magic, version, header length, the dict padded to 64 with '\n' */
  int len = snprintf(head, sizeof head, "{'descr': '<f4', 'fortran_order': False, 'shape': (%llu, %d), }",
                     (unsigned long long)n, C);
  int total = (10 + len + 1 + 63) / 64 * 64;
  memset(head + len, ' ', (size_t)(total - 10 - len - 1));
  head[total - 10 - 1] = '\n';
  unsigned hl = (unsigned)(total - 10);
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 255),
                           (unsigned char)(hl >> 8)};
  fwrite(pre, 1, 10, f);
  fwrite(head, 1, hl, f);
  fwrite(out, sizeof *out, n * C, f);
  plain_save_close(f, path);
}

int main(int argc, char **argv) {
  struct plain_args a = plain_start(argc, argv);
  if (a.n > 0x7FFFFFFFull) {
    plain_usage(argv[0], "node ids are 32-bit: at most 2^31 - 1 nodes");
  }
  /* the workers are the parallelism: one BLAS thread each, set once */
  openblas_set_num_threads(1);

  struct model m;
  memset(&m, 0, sizeof m);
  make_graph(a.n, a.seed, &m.g);
  m.n = a.n;
  m.parts = (a.n + P - 1) / P;
  m.max_local = (size_t)P * (K + 1) < a.n ? (size_t)P * (K + 1) : a.n;
  m.x = uniform(a.seed ^ 0xBB67AE8584CAA73Bull, a.n * F, 1.0);
  m.w1 = uniform(a.seed ^ 0x3C6EF372FE94F82Bull, F * H, sqrt(6.0 / (F + H)));
  m.w2 = uniform(a.seed ^ 0xA54FF53A5F1D36F1ull, H * C, sqrt(6.0 / (H + C)));
  m.out = plain_alloc(a.n * C * sizeof *m.out);

  struct scratch *ws = plain_alloc((size_t)a.threads * sizeof *ws);
  for (int t = 0; t < a.threads; t++) {
    ws[t].halo_bits = calloc(a.n / 64 + 1, sizeof *ws[t].halo_bits);
    ws[t].local_of = plain_alloc(a.n * sizeof *ws[t].local_of);
    ws[t].L = plain_alloc(m.max_local * sizeof *ws[t].L);
    ws[t].ax = plain_alloc(m.max_local * F * sizeof(float));
    ws[t].h1 = plain_alloc(m.max_local * H * sizeof(float));
    ws[t].ah = plain_alloc((size_t)P * H * sizeof(float));
    if (!ws[t].halo_bits) {
      exit(3);
    }
    /* fault every page in now: which thread gets which subgraph changes
     * from run to run, and a page first touched inside a measured run is
     * set-up cost, not the workload's */
    memset(ws[t].local_of, 0, a.n * sizeof *ws[t].local_of);
    memset(ws[t].L, 0, m.max_local * sizeof *ws[t].L);
    memset(ws[t].ax, 0, m.max_local * F * sizeof(float));
    memset(ws[t].h1, 0, m.max_local * H * sizeof(float));
    memset(ws[t].ah, 0, (size_t)P * H * sizeof(float));
  }
  memset(m.out, 0, a.n * C * sizeof *m.out);

  for (int w = 0; w < a.warmup; w++) {
    run_once(&m, ws);
  }
  double *ms = plain_alloc((size_t)a.reps * sizeof *ms);
  for (int r = 0; r < a.reps; r++) {
    double t0 = plain_now_ms();
    run_once(&m, ws);
    ms[r] = plain_now_ms() - t0;
  }

  /* the check, after the clock: gnxbench's out_hash (FNV-1a 64 of OUT's
   * bytes in row order) and out_sum (a double sum in row order) */
  const unsigned char *b = (const unsigned char *)m.out;
  uint64_t hash = 0xCBF29CE484222325ull;
  double sum = 0.0;
  for (size_t i = 0; i < a.n * C * sizeof(float); i++) {
    hash = (hash ^ b[i]) * 0x100000001B3ull;
  }
  for (size_t i = 0; i < a.n * C; i++) {
    sum += m.out[i];
  }
  if (a.save_dir) {
    save_npy(a.save_dir, m.out, a.n);
  }
  plain_print_head(IMPL, "gnn", &a, ms);
  printf("{\"nodes\": %llu, \"undirected_edges\": %llu, \"adjacency_entries\": %llu, "
         "\"max_degree\": %llu, \"out_sum\": %.17g, \"out_hash\": \"%016llx\", \"out_head\": "
         "[%.9g, %.9g, %.9g, %.9g]}}\n",
         (unsigned long long)a.n, (unsigned long long)m.g.entries / 2,
         (unsigned long long)m.g.entries, (unsigned long long)m.g.max_deg, sum,
         (unsigned long long)hash, m.out[0], m.out[1], m.out[2], m.out[3]);
  return 0;
}
