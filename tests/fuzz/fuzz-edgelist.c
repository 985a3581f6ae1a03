/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz-edgelist.c: gnn's --graph edge-list reader. Whatever the
 * bytes, it returns a CSR that is a simple undirected graph or a one-line
 * error, within the memory budget. */
#include "fuzz.h"
#include "gnn/gnn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
  if (!f) {
    return 0;
  }
  if (size == 0) {
    (void)fgetc(f); /* an empty stream: fmemopen refuses size 0 */
  }
  struct gnn_graph g;
  char why[256] = "";
  int rc = gnn_graph_read(f, "fuzz.txt", &g, why, sizeof why);
  fclose(f);
  if (rc < 0) {
    GNX_FUZZ_ASSERT(why[0] && !strchr(why, '\n'));
    return 0;
  }
  GNX_FUZZ_ASSERT(g.n >= 1 && g.rowptr[0] == 0 && g.rowptr[g.n] == g.entries);
  for (uint64_t v = 0; v < g.n; v++) {
    for (uint64_t j = g.rowptr[v]; j < g.rowptr[v + 1]; j++) {
      GNX_FUZZ_ASSERT(g.col[j] < g.n && g.col[j] != v);
      GNX_FUZZ_ASSERT(j == g.rowptr[v] || g.col[j - 1] < g.col[j]); /* sorted, no duplicate */
    }
  }
  gnn_graph_free(&g);
  return 0;
}
