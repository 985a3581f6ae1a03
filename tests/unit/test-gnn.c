/* SPDX-License-Identifier: MIT */
/* Tests of the gnn workload (spec/gnn.md): the spec's known answers, the
 * full-graph reference at several sizes and part sizes, bit-equal summaries
 * across engines, .npy output and input, edge-list input, bad input. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnx/err.h"
#include "harness/registry.h"
#include "tests/support.h"
#include "tests/test.h"

static double gnn_num(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  if (!v || !json_is_number(v)) {
    GNX__FAIL("summary has no number '%s'", key);
  }
  return json_number_value(v);
}

static uint64_t gnn_int(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  if (!v || !json_is_integer(v)) {
    GNX__FAIL("summary has no integer '%s'", key);
  }
  return (uint64_t)json_integer_value(v);
}

/* Run gnn and require success and a passing check; skip without BLAS. */
static void gnn_run_ok(const char *eng, uint64_t n, const char *const *opts,
                       struct gnx_test_out *out) {
  int rc = gnx_test_run("gnn", eng, n, opts, out);
  if (rc == GNX_EUNAVAIL) {
    GNX_SKIP(out->errmsg);
  }
  if (rc != 0) {
    GNX__FAIL("gnn/%s n=%llu: %s: %s", eng, (unsigned long long)n, gnx_strerror(rc),
              out->errmsg);
  }
  ASSERT(out->summary != NULL);
  ASSERT(out->detail != NULL);
  ASSERT_EQ_STR(json_string_value(json_object_get(out->detail, "reference")), "full-graph");
  double err = gnn_num(out->detail, "max_abs_error");
  if (out->check_rc != 0 || !(err <= 1e-4)) {
    GNX__FAIL("gnn/%s n=%llu: check %d, max_abs_error %g", eng, (unsigned long long)n,
              out->check_rc, err);
  }
}

static uint64_t gnn_fnv(const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t h = 0xCBF29CE484222325ull;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ b[i]) * 0x100000001B3ull;
  }
  return h;
}

static void gnn_write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  ASSERT(f != NULL);
  ASSERT(fwrite(p, 1, n, f) == n);
  ASSERT(fclose(f) == 0);
}

static void gnn_expect_fail(const char *opt, int code, const char *const *needles);

static char gnn_tmp[64];

static const char *gnn_tmpdir(void) {
  snprintf(gnn_tmp, sizeof gnn_tmp, "/tmp/gnx-test-gnn-XXXXXX");
  ASSERT(mkdtemp(gnn_tmp) != NULL);
  return gnn_tmp;
}

static void gnn_rm(const char *path) { (void)unlink(path); }

/* An independent .npy writer: format 1.0, 16-byte header alignment (NumPy
 * reads any), to feed --features. */
static void gnn_write_npy(const char *path, const char *descr, const char *shape,
                          const char *order, const void *data, size_t bytes, int major) {
  char dict[256];
  int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }",
                     descr, order, shape);
  size_t pre = major == 1 ? 10 : 12;
  size_t hlen = ((pre + (size_t)len + 1 + 15) / 16) * 16 - pre;
  unsigned char *buf = calloc(1, pre + hlen + bytes);
  ASSERT(buf != NULL);
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)major;
  buf[7] = 0;
  buf[8] = (unsigned char)(hlen & 255);
  buf[9] = (unsigned char)(hlen >> 8);
  memset(buf + pre, ' ', hlen);
  memcpy(buf + pre, dict, (size_t)len);
  buf[pre + hlen - 1] = '\n';
  memcpy(buf + pre + hlen, data, bytes);
  gnn_write_file(path, buf, pre + hlen + bytes);
  free(buf);
}

/* X exactly as spec/gnn.md defines it, computed here independently. */
static uint64_t gnn_t_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static float *gnn_spec_x(uint64_t n, uint64_t f, uint64_t seed) {
  float *x = malloc(n * f * sizeof *x);
  ASSERT(x != NULL);
  uint64_t t = seed ^ 0xBB67AE8584CAA73Bull;
  for (uint64_t i = 0; i < n * f; i++) {
    double u = (double)(gnn_t_mix64(t + 0x9E3779B97F4A7C15ull * (i + 1)) >> 11) * 0x1p-53;
    x[i] = (float)(2 * u - 1);
  }
  return x;
}

/* ---- Known answers (spec/gnn.md) ---------------------------------------- */

GNX_TEST(known_answers_1000) {
  struct gnx_test_out out;
  gnn_run_ok("serial", 1000, NULL, &out);
  const json_t *s = out.summary;
  ASSERT_EQ_U64(gnn_int(s, "nodes"), 1000);
  ASSERT_EQ_U64(gnn_int(s, "undirected_edges"), 7018);
  ASSERT_EQ_U64(gnn_int(s, "adjacency_entries"), 14036);
  ASSERT_EQ_U64(gnn_int(s, "max_degree"), 393);
  ASSERT_NEAR(gnn_num(s, "out_sum"), -391.3132, 1e-3);
  const json_t *head = json_object_get(s, "out_head");
  ASSERT(json_is_array(head) && json_array_size(head) == 4);
  const double want[4] = {0.042778, -0.092535, -0.106055, -0.460810};
  for (size_t j = 0; j < 4; j++) {
    ASSERT_NEAR(json_number_value(json_array_get(head, j)), want[j], 1e-5);
  }
  ASSERT_EQ_U64(strlen(json_string_value(json_object_get(s, "out_hash"))), 16);
  /* One subgraph (P = 2048 > n): no halo. */
  ASSERT(gnn_num(s, "halo_factor_mean") == 1.0);
  gnx_test_out_free(&out);
}

GNX_TEST(known_answers_25000) {
  struct gnx_test_out out;
  gnn_run_ok("serial", 25000, NULL, &out);
  ASSERT_EQ_U64(gnn_int(out.summary, "nodes"), 25000);
  ASSERT_EQ_U64(gnn_int(out.summary, "undirected_edges"), 222303);
  ASSERT_EQ_U64(gnn_int(out.summary, "adjacency_entries"), 2 * 222303);
  ASSERT_EQ_U64(gnn_int(out.summary, "max_degree"), 3915);
  ASSERT(gnn_num(out.summary, "halo_factor_mean") > 1.0);
  gnx_test_out_free(&out);
}

/* ---- The partitioned path against the full-graph reference ------------- */

GNX_TEST(reference_part_sizes) {
  /* P dividing n, not dividing n, 1, and larger than n; the halo is empty
   * only when one subgraph holds the whole graph. */
  static const struct {
    uint64_t n;
    const char *p;
  } cases[] = {{4096, "part-size=1024"}, {5000, "part-size=2048"}, {5000, "part-size=777"},
               {3000, "part-size=1"},    {3000, "part-size=5000"}, {20000, "part-size=2048"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct gnx_test_out out;
    const char *opts[] = {cases[i].p, NULL};
    gnn_run_ok("serial", cases[i].n, opts, &out);
    double hf = gnn_num(out.summary, "halo_factor_mean");
    if (strcmp(cases[i].p, "part-size=5000") == 0) {
      ASSERT(hf == 1.0);
    } else {
      ASSERT(hf > 1.0);
    }
    printf("n=%llu %s: halo %.3f max_abs_error %.3g\n", (unsigned long long)cases[i].n,
           cases[i].p, hf, gnn_num(out.detail, "max_abs_error"));
    gnx_test_out_free(&out);
  }
}

GNX_TEST(reference_other_shapes) {
  /* Widths that are not multiples of the 16-float aggregation block, a
   * fan-out above every degree and one of zero, another seed. */
  const char *a[] = {"feat=37", "hidden=19", "classes=3", "fanout=3", "part-size=333", NULL};
  const char *b[] = {"fanout=100000", "part-size=900", "seed=7", NULL};
  const char *c[] = {"fanout=0", "part-size=500", NULL};
  const char *const *sets[] = {a, b, c};
  for (size_t i = 0; i < 3; i++) {
    struct gnx_test_out out;
    gnn_run_ok("serial", 2500, sets[i], &out);
    gnx_test_out_free(&out);
  }
  /* fanout=0: every node aggregates only itself, so no subgraph has a halo. */
  struct gnx_test_out out;
  gnn_run_ok("serial", 2500, c, &out);
  ASSERT(gnn_num(out.summary, "halo_factor_mean") == 1.0);
  gnx_test_out_free(&out);
}

GNX_TEST(reference_tiny_graphs) {
  /* One node (k = 1, every R-MAT edge a self-loop), two nodes, and a graph
   * without edges: every node aggregates only itself. */
  struct gnx_test_out out;
  gnn_run_ok("serial", 1, NULL, &out);
  ASSERT_EQ_U64(gnn_int(out.summary, "nodes"), 1);
  ASSERT_EQ_U64(gnn_int(out.summary, "undirected_edges"), 0);
  gnx_test_out_free(&out);
  const char *p1[] = {"part-size=1", NULL};
  gnn_run_ok("serial", 2, p1, &out);
  ASSERT_EQ_U64(gnn_int(out.summary, "undirected_edges"), 1);
  ASSERT(gnn_num(out.summary, "halo_factor_mean") == 2.0);
  gnx_test_out_free(&out);
  const char *d0[] = {"avg-degree=0", "part-size=7", NULL};
  gnn_run_ok("serial", 50, d0, &out);
  ASSERT_EQ_U64(gnn_int(out.summary, "max_degree"), 0);
  ASSERT(gnn_num(out.summary, "halo_factor_mean") == 1.0);
  gnx_test_out_free(&out);
}

/* ---- Engines ------------------------------------------------------------- */

GNX_TEST(engines_bitwise_equal) {
  static const struct {
    uint64_t n;
    const char *p;
  } cases[] = {{12000, "part-size=1500"}, {3000, "part-size=4096"}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const char *opts[] = {cases[c].p, NULL};
    struct gnx_test_out base;
    gnn_run_ok("serial", cases[c].n, opts, &base);
    unsigned ran = 0;
    for (size_t i = 0; i < gnx_n_engines; i++) {
      const struct gnx_engine *e = gnx_engines[i];
      if (e->unavailable) {
        printf("skip %s: %s\n", e->name, e->unavailable);
        continue;
      }
      for (int rep = 0; rep < 2; rep++) {
        struct gnx_test_out out;
        gnn_run_ok(e->name, cases[c].n, opts, &out);
        if (!gnx_test_json_equal(base.summary, out.summary)) {
          char *a = json_dumps(base.summary, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
          char *b = json_dumps(out.summary, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
          GNX__FAIL("%s differs from serial:\n  %s\n  %s", e->name, a, b);
        }
        gnx_test_out_free(&out);
      }
      ran++;
    }
    printf("n=%llu %s: %u engines agree\n", (unsigned long long)cases[c].n, cases[c].p, ran);
    ASSERT(ran >= 1);
    gnx_test_out_free(&base);
  }
}

/* The thread engines alone, so that a TSan build can run it (forking
 * engines cannot start threads in a TSan child); it passes under TSan. It
 * should be GNX_TEST_TSAN, but tests/CMakeLists.txt passes the label list
 * "quick;tsan" unquoted to set_tests_properties, which breaks configure.
 * Two sample and two block0 workers share X, W1 and the graph, each with its
 * own state. */
GNX_TEST(thread_engines_bitwise_equal) {
  const char *opts[] = {"part-size=600", "stage-workers=block0=2,sample=2", NULL};
  struct gnx_test_out base;
  gnn_run_ok("serial", 4000, opts, &base);
  const char *names[] = {"threads", "async"};
  for (size_t i = 0; i < 2; i++) {
    const struct gnx_engine *e = gnx_engine_find(names[i]);
    if (!e || e->unavailable) {
      printf("skip %s\n", names[i]);
      continue;
    }
    struct gnx_test_out out;
    gnn_run_ok(names[i], 4000, opts, &out);
    ASSERT(gnx_test_json_equal(base.summary, out.summary));
    gnx_test_out_free(&out);
  }
  gnx_test_out_free(&base);
}

/* ---- .npy output and input ---------------------------------------------- */

GNX_TEST(save_output_npy) {
  const char *tmp = gnn_tmpdir();
  char dir[96], opt[192], path[128];
  snprintf(dir, sizeof dir, "%s/out", tmp); /* setup creates it */
  snprintf(opt, sizeof opt, "save-output=%s", dir);
  snprintf(path, sizeof path, "%s/gnn-3000.npy", dir);
  const char *opts[] = {opt, "part-size=1000", NULL};
  struct gnx_test_out out;
  gnn_run_ok("serial", 3000, opts, &out);

  FILE *f = fopen(path, "rb");
  ASSERT(f != NULL);
  unsigned char pre[10];
  ASSERT(fread(pre, 1, 10, f) == 10);
  ASSERT(memcmp(pre, "\x93NUMPY\x01\x00", 8) == 0);
  size_t hlen = pre[8] | (size_t)pre[9] << 8;
  ASSERT((10 + hlen) % 64 == 0);
  char hdr[512];
  ASSERT(hlen < sizeof hdr);
  ASSERT(fread(hdr, 1, hlen, f) == hlen);
  hdr[hlen] = '\0';
  ASSERT(hdr[hlen - 1] == '\n');
  ASSERT(strstr(hdr, "'descr': '<f4'") != NULL);
  ASSERT(strstr(hdr, "'fortran_order': False") != NULL);
  ASSERT(strstr(hdr, "'shape': (3000, 16)") != NULL);
  size_t cells = 3000 * 16;
  float *data = malloc((cells + 1) * sizeof *data);
  ASSERT(data != NULL);
  ASSERT_EQ_U64(fread(data, sizeof *data, cells + 1, f), cells); /* and nothing after */
  fclose(f);

  /* The bytes are OUT: the summary's hash, sum and head. */
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)gnn_fnv(data, cells * sizeof *data));
  ASSERT_EQ_STR(hex, json_string_value(json_object_get(out.summary, "out_hash")));
  double sum = 0;
  for (size_t i = 0; i < cells; i++) {
    sum += data[i];
  }
  ASSERT(sum == gnn_num(out.summary, "out_sum"));
  ASSERT(data[1] == json_number_value(json_array_get(json_object_get(out.summary, "out_head"), 1)));
  free(data);
  gnx_test_out_free(&out);

  /* Not a directory, or one that cannot be made: setup fails up front. */
  snprintf(opt, sizeof opt, "save-output=%s", path);
  const char *file[] = {path, "Not a directory", NULL};
  gnn_expect_fail(opt, -ENOTDIR, file);
  snprintf(opt, sizeof opt, "save-output=%s/a/b", dir);
  const char *deep[] = {"/a/b", "No such file", NULL};
  gnn_expect_fail(opt, -ENOENT, deep);
  gnn_rm(path);
  rmdir(dir);
  rmdir(tmp);
}

GNX_TEST(features_npy_input) {
  const char *dir = gnn_tmpdir();
  char path[128], opt[160];
  snprintf(path, sizeof path, "%s/x.npy", dir);
  snprintf(opt, sizeof opt, "features=%s", path);

  /* The spec's X written to a file gives the generated run's result. */
  float *x = gnn_spec_x(2000, 128, 42);
  gnn_write_npy(path, "<f4", "(2000, 128)", "False", x, 2000 * 128 * 4, 1);
  struct gnx_test_out gen, file;
  const char *o1[] = {"part-size=700", NULL};
  const char *o2[] = {"part-size=700", opt, NULL};
  gnn_run_ok("serial", 2000, o1, &gen);
  gnn_run_ok("serial", 2000, o2, &file);
  ASSERT(gnx_test_json_equal(gen.summary, file.summary));
  gnx_test_out_free(&gen);
  gnx_test_out_free(&file);
  free(x);

  /* Format 2.0, and a width of its own that overrides --feat. */
  x = gnn_spec_x(2000, 24, 5);
  gnn_write_npy(path, "<f4", "(2000, 24)", "False", x, 2000 * 24 * 4, 2);
  const char *o3[] = {"part-size=700", "feat=128", opt, NULL};
  gnn_run_ok("serial", 2000, o3, &file);
  gnx_test_out_free(&file);
  free(x);
  gnn_rm(path);
  rmdir(dir);
}

/* ---- Edge-list input ----------------------------------------------------- */

GNX_TEST(graph_file_input) {
  const char *dir = gnn_tmpdir();
  char path[128], opt[160];
  snprintf(path, sizeof path, "%s/g.txt", dir);
  snprintf(opt, sizeof opt, "graph=%s", path);
  /* 9 distinct undirected edges among nodes 0..11 (10 isolated), with a
   * self-loop, repeated and reversed pairs, comments, tabs and CRLF. */
  const char *text = "# a test graph\n"
                     "0 1\n"
                     "1\t0\n"
                     "0 2   # trailing comment\r\n"
                     "\n"
                     "   3 3\n"
                     "0 3\n0 4\n0 5\n0 6\n0 7\n0 2\n"
                     "8 9\n"
                     "11 0\n"
                     "  # indented comment\n";
  gnn_write_file(path, text, strlen(text));
  const char *opts[] = {opt, "part-size=5", "fanout=3", NULL};
  struct gnx_test_out out;
  gnn_run_ok("serial", 5 /* ignored: the file sets n */, opts, &out);
  ASSERT_EQ_U64(gnn_int(out.summary, "nodes"), 12);
  ASSERT_EQ_U64(gnn_int(out.summary, "undirected_edges"), 9);
  ASSERT_EQ_U64(gnn_int(out.summary, "adjacency_entries"), 18);
  ASSERT_EQ_U64(gnn_int(out.summary, "max_degree"), 8);
  /* Subgraphs {0..4}: halo {} (0's first three are 1,2,3; 1..4 point at 0);
   * {5..9}: halo {0}; {10, 11}: halo {0}. Mean of 5/5, 6/5, 3/2. */
  ASSERT_NEAR(gnn_num(out.summary, "halo_factor_mean"), (1.0 + 1.2 + 1.5) / 3, 1e-12);
  gnx_test_out_free(&out);
  gnn_rm(path);
  rmdir(dir);
}

/* ---- Bad input ------------------------------------------------------------ */

/* Setup must fail with `code`, and the message must contain each of the
 * NULL-ended strings. */
static void gnn_expect_fail(const char *opt, int code, const char *const *needles) {
  struct gnx_test_out out;
  const char *opts[] = {opt, NULL};
  int rc = gnx_test_run("gnn", "serial", 100, opts, &out);
  if (rc == GNX_EUNAVAIL) {
    GNX_SKIP(out.errmsg);
  }
  if (rc != code) {
    GNX__FAIL("%s: got %s (%s), expected %s", opt, gnx_err_name(rc), out.errmsg,
              gnx_err_name(code));
  }
  for (size_t i = 0; needles[i]; i++) {
    if (!strstr(out.errmsg, needles[i])) {
      GNX__FAIL("%s: message '%s' lacks '%s'", opt, out.errmsg, needles[i]);
    }
  }
  printf("%s -> %s\n", opt, out.errmsg);
  gnx_test_out_free(&out);
}

GNX_TEST(graph_file_bad_input) {
  const char *dir = gnn_tmpdir();
  static const struct {
    const char *text, *why;
  } cases[] = {
      {"0 1\n1 2\n3 4 5\n", "found 3 fields"},
      {"0 1\n# ok\n7\n", "found 1 field"},
      {"0 1\n1 2\n2 -3\n", "negative node id '-3'"},
      {"0 1\n1 2\nx 3\n", "not a node id 'x'"},
      {"0 1\n1 2\n2 3.5\n", "not a node id '3.5'"},
      {"0 1\n\n1 99999999999\n", "too large"},
  };
  static const char *const lines[] = {"line 3:", "line 3:", "line 3:",
                                      "line 3:", "line 3:", "line 3:"};
  char path[128], opt[160];
  snprintf(path, sizeof path, "%s/bad.txt", dir);
  snprintf(opt, sizeof opt, "graph=%s", path);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gnn_write_file(path, cases[i].text, strlen(cases[i].text));
    const char *needles[] = {path, lines[i], cases[i].why, NULL};
    gnn_expect_fail(opt, GNX_EFORMAT, needles);
  }
  const char *empty = "# nothing\n\n";
  gnn_write_file(path, empty, strlen(empty));
  const char *no_edges[] = {path, "no edges", NULL};
  gnn_expect_fail(opt, GNX_EFORMAT, no_edges);
  gnn_rm(path);

  const char *missing[] = {path, "No such file", NULL};
  gnn_expect_fail(opt, -ENOENT, missing);
  rmdir(dir);
}

GNX_TEST(features_npy_bad_input) {
  const char *dir = gnn_tmpdir();
  char path[128], opt[160];
  snprintf(path, sizeof path, "%s/bad.npy", dir);
  snprintf(opt, sizeof opt, "features=%s", path);
  float *x = calloc(100 * 8, sizeof *x);
  double *xd = calloc(100 * 8, sizeof *xd);
  ASSERT(x && xd);

  gnn_write_npy(path, "<f8", "(100, 8)", "False", xd, 100 * 8 * 8, 1);
  const char *dtype[] = {path, "dtype '<f8'", "'<f4'", NULL};
  gnn_expect_fail(opt, GNX_EFORMAT, dtype);

  gnn_write_npy(path, ">f4", "(100, 8)", "False", x, 100 * 8 * 4, 1);
  const char *big_endian[] = {path, "dtype '>f4'", NULL};
  gnn_expect_fail(opt, GNX_EFORMAT, big_endian);

  gnn_write_npy(path, "<f4", "(99, 8)", "False", x, 99 * 8 * 4, 1);
  const char *rows[] = {path, "shape (99, 8)", "expected (100, F)", NULL};
  gnn_expect_fail(opt, GNX_EFORMAT, rows);

  gnn_write_npy(path, "<f4", "(800,)", "False", x, 800 * 4, 1);
  const char *one_d[] = {path, "shape (800,)", NULL};
  gnn_expect_fail(opt, GNX_EFORMAT, one_d);

  gnn_write_npy(path, "<f4", "(100, 8)", "True", x, 100 * 8 * 4, 1);
  const char *fortran[] = {path, "Fortran order", NULL};
  gnn_expect_fail(opt, GNX_EFORMAT, fortran);

  gnn_write_npy(path, "<f4", "(100, 8)", "False", x, 100 * 8 * 4 - 6, 1);
  const char *truncated[] = {path, "truncated", "3194 of 3200 data bytes", NULL};
  gnn_expect_fail(opt, GNX_EFORMAT, truncated);

  gnn_write_file(path, "\x93NUMPY\x01\x00\x40", 9);
  const char *short_header[] = {path, "truncated header", NULL};
  gnn_expect_fail(opt, GNX_EFORMAT, short_header);

  gnn_write_file(path, "PK\x03\x04 not numpy at all", 22);
  const char *magic[] = {path, "bad magic", NULL};
  gnn_expect_fail(opt, GNX_EFORMAT, magic);

  x[5 * 8 + 3] = NAN;
  gnn_write_npy(path, "<f4", "(100, 8)", "False", x, 100 * 8 * 4, 1);
  const char *nan[] = {path, "row 5, column 3 is not finite", NULL};
  gnn_expect_fail(opt, GNX_EFORMAT, nan);
  gnn_rm(path);

  const char *missing[] = {path, "No such file", NULL};
  gnn_expect_fail(opt, -ENOENT, missing);
  free(x);
  free(xd);
  rmdir(dir);
}

/* With OpenBLAS: runs. Without (-DWITH_BLAS=OFF): setup says how to fix it. */
GNX_TEST(blas_or_unavailable) {
  struct gnx_test_out out;
  int rc = gnx_test_run("gnn", "serial", 100, NULL, &out);
  if (rc == GNX_EUNAVAIL) {
    ASSERT(strstr(out.errmsg, "built without OpenBLAS (install libopenblas-dev and rebuild)"));
  } else {
    ASSERT_OK(rc);
    ASSERT_EQ_INT(out.check_rc, 0);
  }
  gnx_test_out_free(&out);
}

/* ---- The check hook -------------------------------------------------------- */

/* Feed the sink by hand: items of zero rows, in the block1 layout of
 * docs/workloads/gnn.md (a 32-byte header, then n_core x C floats). */
static int gnn_feed_zeros(const struct gnx_workload *wl, void *shared, uint64_t n, uint64_t p,
                          uint64_t first_item, json_t **summary) {
  void *sink = NULL;
  ASSERT_OK(wl->sink_open(shared, &sink));
  int rc = 0;
  for (uint64_t item = first_item; rc == 0 && item * p < n; item++) {
    struct {
      uint64_t lo;
      uint32_t n_core, n_local, n_hop, n_adj;
      uint64_t reserved;
    } h = {item * p, (uint32_t)(n - item * p < p ? n - item * p : p), 0, 0, 0, 0};
    h.n_local = h.n_core;
    struct gnx_buf b = GNX_BUF_INIT;
    ASSERT_OK(gnx_buf_append(&b, &h, sizeof h));
    ASSERT(gnx_buf_extend(&b, (size_t)h.n_core * 16 * 4) != NULL);
    memset(b.data + sizeof h, 0, (size_t)h.n_core * 16 * 4);
    rc = wl->sink_put(sink, item, &b);
    gnx_buf_free(&b);
  }
  int crc = wl->sink_close(sink, rc == 0 ? summary : NULL);
  return rc ? rc : crc;
}

GNX_TEST(check_finds_wrong_output) {
  const struct gnx_workload *wl = gnx_workload_find("gnn");
  ASSERT(wl != NULL);
  struct gnx_kv kv[] = {{"part-size", "1000"}};
  struct gnx_params wp, ep;
  ASSERT_OK(gnx_params_build(wl->options, 3000, kv, 1, &wp));
  const struct gnx_engine *serial = gnx_engine_find("serial");
  ASSERT_OK(gnx_params_build(serial->options, 3000, NULL, 0, &ep));
  void *shared = NULL;
  struct gnx_workload_info info = {0};
  char why[GNX_WHY_MAX] = "";
  int rc = wl->setup(&wp, &shared, &info, why);
  if (rc == GNX_EUNAVAIL) {
    GNX_SKIP(why);
  }
  ASSERT_OK(rc);
  ASSERT_EQ_U64(info.items, 3);

  /* A real run, then a wrong output (all zeros) delivered after it. */
  static volatile sig_atomic_t stop;
  struct gnx_fault f = {0};
  struct gnx_run_result res;
  ASSERT_OK(gnx_runner_exec(serial, &ep, wl, shared, &info, &f, &stop, 1, &res));
  json_t *zero = NULL;
  ASSERT_OK(gnn_feed_zeros(wl, shared, 3000, 1000, 0, &zero));
  ASSERT_EQ_INT(gnn_num(zero, "out_sum"), 0);

  /* The real summary still passes: check finds its output by out_hash. */
  json_t *detail = NULL;
  ASSERT_OK(wl->check(shared, res.summary, &detail));
  ASSERT(gnn_num(detail, "max_abs_error") <= 1e-4);
  json_decref(detail);

  /* The zeros fail, with the error measured against the reference. */
  detail = NULL;
  ASSERT_EQ_INT(wl->check(shared, zero, &detail), GNX_EVERIFY);
  ASSERT(gnn_num(detail, "max_abs_error") > 0.1);
  json_decref(detail);

  /* A summary whose output was never seen cannot pass. */
  json_t *forged = json_deep_copy(res.summary);
  json_object_set_new(forged, "out_hash", json_string("0123456789abcdef"));
  detail = NULL;
  ASSERT_EQ_INT(wl->check(shared, forged, &detail), GNX_EVERIFY);
  ASSERT(json_object_get(detail, "error") != NULL);
  json_decref(detail);
  json_decref(forged);
  json_decref(zero);

  /* Items out of order are refused. */
  ASSERT_EQ_INT(gnn_feed_zeros(wl, shared, 3000, 1000, 1, &zero), GNX_EVERIFY);

  gnx_run_result_free(&res);
  wl->teardown(shared);
  gnx_params_free(&wp);
  gnx_params_free(&ep);
}

GNX_TEST(stages_reject_damaged_items) {
  const struct gnx_workload *wl = gnx_workload_find("gnn");
  struct gnx_kv kv[] = {{"part-size", "500"}};
  struct gnx_params wp;
  ASSERT_OK(gnx_params_build(wl->options, 2000, kv, 1, &wp));
  void *shared = NULL;
  struct gnx_workload_info info = {0};
  char why[GNX_WHY_MAX] = "";
  int rc = wl->setup(&wp, &shared, &info, why);
  if (rc == GNX_EUNAVAIL) {
    GNX_SKIP(why);
  }
  ASSERT_OK(rc);
  void *st[3];
  for (unsigned s = 0; s < 3; s++) {
    ASSERT_OK(wl->state_new(shared, s, &st[s]));
  }
  struct gnx_buf a = GNX_BUF_INIT, b = GNX_BUF_INIT, c = GNX_BUF_INIT;
  ASSERT_OK(wl->stages[0].run(shared, st[0], 1, NULL, &a));
  ASSERT_OK(wl->stages[1].run(shared, st[1], 1, &a, &b));
  ASSERT_OK(wl->stages[2].run(shared, st[2], 1, &b, &c));
  ASSERT_EQ_U64(c.len, 32 + 500 * 16 * 4);
  ASSERT_EQ_INT(wl->stages[0].run(shared, st[0], 4, NULL, &c), GNX_ESTAGE); /* no item 4 */

  /* Truncated buffers. */
  a.len -= 4;
  ASSERT_EQ_INT(wl->stages[1].run(shared, st[1], 1, &a, &c), GNX_ESTAGE);
  a.len += 4;
  b.len -= 4;
  ASSERT_EQ_INT(wl->stages[2].run(shared, st[2], 1, &b, &c), GNX_ESTAGE);
  b.len += 4;
  /* An id out of range: the first node of L, the last local neighbour. */
  uint32_t bad = 0xFFFFFFFFu, keep;
  memcpy(&keep, a.data + 32, 4);
  memcpy(a.data + 32, &bad, 4);
  ASSERT_EQ_INT(wl->stages[1].run(shared, st[1], 1, &a, &c), GNX_ESTAGE);
  memcpy(a.data + 32, &keep, 4);
  memcpy(b.data + b.len - 4, &bad, 4);
  ASSERT_EQ_INT(wl->stages[2].run(shared, st[2], 1, &b, &c), GNX_ESTAGE);
  /* The sample stage's bitmap is clean again: item 1 comes out the same. */
  struct gnx_buf a2 = GNX_BUF_INIT;
  ASSERT_OK(wl->stages[0].run(shared, st[0], 3, NULL, &a2));
  gnx_buf_clear(&a2);
  ASSERT_OK(wl->stages[0].run(shared, st[0], 1, NULL, &a2));
  ASSERT(a2.len == a.len && memcmp(a2.data, a.data, a.len) == 0);

  for (unsigned s = 0; s < 3; s++) {
    wl->state_free(shared, s, st[s]);
  }
  gnx_buf_free(&a);
  gnx_buf_free(&a2);
  gnx_buf_free(&b);
  gnx_buf_free(&c);
  wl->teardown(shared);
  gnx_params_free(&wp);
}
