/* SPDX-License-Identifier: MIT */
/* bench/plain/etl.c: the ETL workload as a plain loop. Built twice:
 *   plain-etl-serial  without OpenMP: one thread, the batches in order;
 *   plain-etl-omp     with -fopenmp: `parallel for schedule(dynamic)` over
 *                     batches of 1000 records; each thread runs all five
 *                     stages of the batch it claimed, aggregates into its own
 *                     partial (merged once at the end) and formats the load
 *                     lines into the batch's own region of one output buffer,
 *                     so nothing is copied and nothing waits for order.
 * The order of the load lines is the region order; --save-output writes
 * them out after the clock stops. */
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
#include "etl-core.h"

#define BATCH 1000 /* records per item: the spec's default */

struct etl_job {
  uint64_t n, seed, rounds, items;
  char **csv;        /* one extract buffer per thread */
  char *out;         /* items regions of BATCH * LINE_MAX_OUT bytes */
  uint64_t *out_len; /* bytes used in each region */
};

/* One run of the pipeline over all n records; returns the total. */
static struct etl_total etl_once(const struct etl_job *j) {
  struct etl_total total;
  memset(&total, 0, sizeof total);
#pragma omp parallel
  {
    struct etl_total part;
    memset(&part, 0, sizeof part);
#ifdef _OPENMP
    char *csv = j->csv[omp_get_thread_num()];
#else
    char *csv = j->csv[0];
#endif
#pragma omp for schedule(dynamic) nowait
    for (uint64_t b = 0; b < j->items; b++) {
      uint64_t first = b * BATCH;
      uint64_t count = j->n - first < BATCH ? j->n - first : BATCH;
      size_t len = etl_render(j->seed, first, count, csv);
      j->out_len[b] = etl_run(csv, len, j->rounds, &part, j->out + b * BATCH * LINE_MAX_OUT);
    }
#pragma omp critical
    etl_merge(&total, &part);
  }
  return total;
}

static void etl_save(const struct etl_job *j, const char *dir) {
  char path[4096];
  FILE *f = plain_save_open(dir, "etl", j->n, "csv", path, sizeof path);
  for (uint64_t b = 0; b < j->items; b++) {
    fwrite(j->out + b * BATCH * LINE_MAX_OUT, 1, j->out_len[b], f);
  }
  plain_save_close(f, path);
}

int main(int argc, char **argv) {
  struct plain_args a = plain_start(argc, argv);
  struct etl_job j;
  j.n = a.n;
  j.seed = a.seed;
  j.rounds = a.rounds;
  j.items = (a.n + BATCH - 1) / BATCH;
  j.csv = plain_alloc((size_t)a.threads * sizeof *j.csv);
  for (int t = 0; t < a.threads; t++) {
    j.csv[t] = plain_alloc(BATCH * LINE_MAX_IN);
    memset(j.csv[t], 0, BATCH * LINE_MAX_IN); /* its pages exist before any run */
  }
  j.out = plain_alloc(j.items * BATCH * LINE_MAX_OUT);
  j.out_len = plain_alloc(j.items * sizeof *j.out_len);
  memset(j.out, 0, j.items * BATCH * LINE_MAX_OUT);

  struct etl_total t;
  for (int w = 0; w < a.warmup; w++) {
    t = etl_once(&j);
  }
  double *ms = plain_alloc((size_t)a.reps * sizeof *ms);
  for (int r = 0; r < a.reps; r++) {
    double t0 = plain_now_ms();
    t = etl_once(&j);
    ms[r] = plain_now_ms() - t0;
  }
  uint64_t bytes = 0;
  for (uint64_t b = 0; b < j.items; b++) {
    bytes += j.out_len[b];
  }
  if (a.save_dir) {
    etl_save(&j, a.save_dir);
  }
  plain_print_head(IMPL, "etl", &a, ms);
  etl_print_summary(stdout, &t, bytes);
  printf("}\n");
  return 0;
}
