/* SPDX-License-Identifier: MIT */
/* bench/plain/common.h: what every plain comparator shares: its command
 * line, the clock, and the one JSON line it prints. C and C++.
 *
 *   plain-<workload>-<impl> [--threads T] [--warmup W] [--reps R]
 *                           [--work ROUNDS] [--seed S] [--save-output DIR] N
 *
 * N takes gnxbench's suffixes (25k, 1m). Inputs are built first (not timed),
 * then W unmeasured runs (default 1: thread pools, BLAS buffers and the
 * output's pages exist before the clock starts, as after gnxbench's
 * warm-up), then R measured runs (default 1). It prints one line:
 *   {"impl": ..., "workload": ..., "n": N, "threads": T, "ms": [...],
 *    "summary": {...}}
 * where summary has the keys of gnxbench's summary of that workload. */
#ifndef PLAIN_COMMON_H
#define PLAIN_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

struct plain_args {
  uint64_t n, seed, rounds;
  int threads, warmup, reps;
  const char *save_dir;
};

static inline double plain_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline void plain_usage(const char *prog, const char *why) {
  fprintf(stderr,
          "%s: %s\nusage: %s [--threads T] [--warmup W] [--reps R] [--work ROUNDS] [--seed S] "
          "[--save-output DIR] N\n",
          prog, why, prog);
  exit(2);
}

/* A count with gnxbench's k/m suffixes; 0 on a bad value. */
static inline uint64_t plain_count(const char *s) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s) {
    return 0;
  }
  if (*end == 'k' || *end == 'K') {
    v *= 1000, end++;
  } else if (*end == 'm' || *end == 'M') {
    v *= 1000000, end++;
  }
  return *end ? 0 : (uint64_t)v;
}

/* default_threads: what --threads means when not given. */
static inline struct plain_args plain_parse(int argc, char **argv, int default_threads) {
  struct plain_args a;
  memset(&a, 0, sizeof a);
  a.seed = 42;
  a.rounds = 600; /* gnxbench's default --work (docs/workloads/etl.md) */
  a.threads = default_threads;
  a.warmup = 1;
  a.reps = 1;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    if (o[0] != '-') {
      if (!(a.n = plain_count(o))) {
        plain_usage(argv[0], "the size must be a positive count (25k, 1m or digits)");
      }
      continue;
    }
    if (i + 1 >= argc) {
      plain_usage(argv[0], "an option lacks its value");
    }
    const char *v = argv[++i];
    if (!strcmp(o, "--threads")) {
      a.threads = atoi(v);
    } else if (!strcmp(o, "--warmup")) {
      a.warmup = atoi(v);
    } else if (!strcmp(o, "--reps")) {
      a.reps = atoi(v);
    } else if (!strcmp(o, "--work")) {
      a.rounds = strtoull(v, NULL, 10);
    } else if (!strcmp(o, "--seed")) {
      a.seed = strtoull(v, NULL, 0);
    } else if (!strcmp(o, "--save-output")) {
      a.save_dir = v;
    } else {
      plain_usage(argv[0], "unknown option");
    }
  }
  if (!a.n || a.threads < 1 || a.warmup < 0 || a.reps < 1) {
    plain_usage(argv[0], "give a size N, --threads >= 1, --warmup >= 0, --reps >= 1");
  }
  return a;
}

static inline void plain_print_head(const char *impl, const char *workload,
                                    const struct plain_args *a, const double *ms) {
  printf("{\"impl\": \"%s\", \"workload\": \"%s\", \"n\": %llu, \"threads\": %d, \"ms\": [", impl,
         workload, (unsigned long long)a->n, a->threads);
  for (int r = 0; r < a->reps; r++) {
    printf("%s%.4f", r ? ", " : "", ms[r]);
  }
  printf("], \"summary\": ");
}

#ifndef __cplusplus
/* The start of the C programs, built with and without OpenMP: the OpenMP
 * builds default to every CPU, the serial builds run one thread. */
static inline struct plain_args plain_start(int argc, char **argv) {
#ifdef _OPENMP
  struct plain_args a = plain_parse(argc, argv, omp_get_num_procs());
  omp_set_num_threads(a.threads);
#else
  struct plain_args a = plain_parse(argc, argv, 1);
  if (a.threads != 1) {
    plain_usage(argv[0], "the serial comparator runs one thread");
  }
#endif
  return a;
}
#endif

/* --save-output: DIR/<workload>-<n>.<ext>, opened for writing, or exit. */
static inline FILE *plain_save_open(const char *dir, const char *workload, uint64_t n,
                                    const char *ext, char *path, size_t len) {
  snprintf(path, len, "%s/%s-%llu.%s", dir, workload, (unsigned long long)n, ext);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  return f;
}

static inline void plain_save_close(FILE *f, const char *path) {
  if (fclose(f) != 0) {
    fprintf(stderr, "%s: write failed\n", path);
    exit(1);
  }
}

static inline void *plain_alloc(size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) {
    fprintf(stderr, "plain: out of memory (%zu bytes)\n", bytes);
    exit(3);
  }
  return p;
}

#endif
