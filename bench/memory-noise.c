/* SPDX-License-Identifier: MIT */
/* bench/memory-noise.c: how noisy is this machine's memory, beside its
 * CPU? Issue 15 asks serial GNN's wall CV to be at most 3 % on a quiet
 * machine; serial ETL's is 2-3 % on this VM, GNN's 7-14 %, with no page
 * faults, no context switches and task-clock following the wall. GNN's
 * aggregation gathers rows of X at random; ETL's transform hashes in
 * registers. This program times the two kinds of work alternately in one
 * process, 20 rounds each: a chain of mix64 (no memory) and random 512-byte
 * row gathers over 64 MB (the aggregation's access pattern). If the gathers
 * vary far more than the hashing, the noise is the machine's memory (other
 * tenants' traffic in the caches and DRAM), not gnxbench.
 *
 *   cc -O2 bench/memory-noise.c -o memory-noise -lm && ./memory-noise
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROUNDS 20
#define ROW 128 /* floats: a 512-byte row, as X's at F = 128 */

static double mn_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t mn_mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

static void mn_print(const char *what, const double *t) {
  double m = 0, v = 0;
  for (int r = 0; r < ROUNDS; r++) {
    m += t[r] / ROUNDS;
  }
  for (int r = 0; r < ROUNDS; r++) {
    v += (t[r] - m) * (t[r] - m) / ROUNDS;
  }
  printf("%-34s mean %7.1f ms  CV %5.1f %%\n", what, m * 1e3, 100 * sqrt(v) / m);
}

int main(void) {
  size_t n = ((size_t)64 << 20) / sizeof(float), rows = n / ROW;
  float *x = malloc(n * sizeof *x);
  if (!x) {
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    x[i] = (float)i;
  }
  double tc[ROUNDS], tm[ROUNDS];
  volatile uint64_t keep_h = 0;
  volatile float keep_s = 0;
  for (int r = 0; r < ROUNDS; r++) {
    double t = mn_now();
    uint64_t h = (uint64_t)r;
    for (uint64_t i = 0; i < 30000000; i++) {
      h = mn_mix(h + i);
    }
    keep_h += h;
    tc[r] = mn_now() - t;
    t = mn_now();
    float s = 0;
    uint64_t k = (uint64_t)r;
    for (long i = 0; i < 4000000; i++) {
      k = mn_mix(k);
      const float *row = x + (k % rows) * ROW;
      for (int j = 0; j < ROW; j += 16) { /* one float per cache line */
        s += row[j];
      }
    }
    keep_s += s;
    tm[r] = mn_now() - t;
  }
  mn_print("mix64 chain (registers only)", tc);
  mn_print("random row gathers over 64 MB", tm);
  free(x);
  return 0;
}
