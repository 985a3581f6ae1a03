/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz-npy.c: gnn's --features .npy reader. The first byte of
 * the input picks the row count it expects; the rest is the file. It never
 * allocates more than the file holds. */
#include "fuzz.h"
#include "gnn/gnn.h"

static volatile float gnx__sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) {
    return 0;
  }
  uint64_t rows = 1 + data[0] % 16;
  char path[64];
  int fd = gnx_fuzz_file(data + 1, size - 1, path, sizeof path);
  if (fd < 0) {
    return 0;
  }
  float *x = NULL;
  uint64_t cols = 0;
  char why[256] = "";
  int rc = gnn_npy_read_f32(path, rows, &x, &cols, why, sizeof why);
  close(fd);
  if (rc < 0) {
    GNX_FUZZ_ASSERT(why[0] || rc == -ENOMEM);
    return 0;
  }
  GNX_FUZZ_ASSERT(cols >= 1 && rows * cols * sizeof(float) < size);
  float sum = 0;
  for (uint64_t i = 0; i < rows * cols; i++) {
    sum += x[i]; /* every float is readable (ASan checks each) */
  }
  gnx__sink = sum;
  free(x);
  return 0;
}
