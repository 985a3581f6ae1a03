/* SPDX-License-Identifier: MIT */
/* workloads/gnn/gnn.h: internals of the gnn workload (spec/gnn.md), shared
 * by its files: the graph (R-MAT or an edge list, as CSR), NumPy .npy I/O and
 * the spec's hash functions. Nothing outside workloads/gnn/ includes this. */
#ifndef GNX_WORKLOADS_GNN_H
#define GNX_WORKLOADS_GNN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GNN_GOLDEN 0x9E3779B97F4A7C15ull

static inline uint64_t gnn_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* draw(seed, i, k) of spec/etl.md. */
static inline uint64_t gnn_draw(uint64_t seed, uint64_t i, uint64_t k) {
  return gnn_mix64(seed + GNN_GOLDEN * (i * 16 + k + 1));
}

/* u(t, idx) of spec/gnn.md: a double in [0, 1). */
static inline double gnn_unit(uint64_t t, uint64_t idx) {
  return (double)(gnn_mix64(t + GNN_GOLDEN * (idx + 1)) >> 11) * 0x1p-53;
}

static inline uint64_t gnn_fnv1a64(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ b[i]) * 0x100000001B3ull;
  }
  return h;
}
#define GNN_FNV_INIT 0xCBF29CE484222325ull

/* Node ids are 32-bit in the CSR and in items; this caps the graph. */
#define GNN_MAX_NODES 0x7FFFFFFFull

/* Undirected simple graph as CSR: row v holds v's neighbours, ascending,
 * without duplicates or v itself. */
struct gnn_graph {
  uint64_t n;
  uint64_t *rowptr; /* n + 1 */
  uint32_t *col;    /* rowptr[n] entries */
  uint64_t entries; /* adjacency entries = 2 * undirected edges */
  uint64_t max_deg;
};

/* The spec's R-MAT graph for n nodes, seed and average degree d.
 * Returns 0 or -ENOMEM. */
int gnn_graph_rmat(uint64_t n, uint64_t seed, uint64_t d, struct gnn_graph *g);

/* An edge list: one "src dst" pair per line, '#' starts a comment, any
 * whitespace. n = largest id + 1. Returns 0, -errno or GNX_EFORMAT with a
 * one-line `why` naming the file and the line. */
int gnn_graph_load(const char *path, struct gnn_graph *g, char *why, size_t why_len);
/* The same from an open stream (the fuzz target's memory); path names it
 * in the messages. */
int gnn_graph_read(FILE *f, const char *path, struct gnn_graph *g, char *why, size_t why_len);

void gnn_graph_free(struct gnn_graph *g);

/* Read a 2-D C-order '<f4' .npy (format 1.0 or 2.0) with `rows` rows; the
 * column count comes from the file. *data is malloc'd. Returns 0, -errno or
 * GNX_EFORMAT with `why` naming the file and the problem. */
int gnn_npy_read_f32(const char *path, uint64_t rows, float **data, uint64_t *cols, char *why,
                     size_t why_len);

/* Write rows x cols floats as a NumPy 1.0 '<f4' C-order file.
 * Returns 0 or -errno. */
int gnn_npy_write_f32(const char *path, const float *data, uint64_t rows, uint64_t cols);

#endif
