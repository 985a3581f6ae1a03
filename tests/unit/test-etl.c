/* SPDX-License-Identifier: MIT */
/* Tests of the etl workload: the spec's known answers, batch edges, batch
 * invariance, the spec reference check, and --save-output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnx/err.h"
#include "gnx/workload.h"
#include "harness/registry.h"
#include "tests/support.h"
#include "tests/test.h"

extern const struct gnx_workload gnx_workload_etl;

static const int64_t known_hist[16] = {68, 65, 54, 64, 73, 56, 60, 69,
                                       68, 54, 52, 62, 59, 56, 62, 67};

static int64_t get_int(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  if (!json_is_integer(v)) {
    fprintf(stderr, "summary has no integer '%s'\n", key);
    exit(1);
  }
  return (int64_t)json_integer_value(v);
}

/* Run etl under serial; asserts the run and its check succeed. */
static void run_ok(uint64_t n, const char *const *opts, struct gnx_test_out *out) {
  int rc = gnx_test_run("etl", "serial", n, opts, out);
  if (rc != 0) {
    fprintf(stderr, "run failed: %d %s\n", rc, out->errmsg);
  }
  ASSERT_OK(rc);
  ASSERT(json_is_object(out->summary));
  if (out->check_rc != 0) {
    char *d = out->detail ? json_dumps(out->detail, 0) : NULL;
    fprintf(stderr, "check: %s\n", d ? d : "(no detail)");
    free(d);
  }
  ASSERT_OK(out->check_rc);
  ASSERT_EQ_STR(json_string_value(json_object_get(out->detail, "reference")), "spec");
  ASSERT_EQ_INT(get_int(out->summary, "records"), (int64_t)n);
  ASSERT_EQ_INT(get_int(out->summary, "valid") + get_int(out->summary, "invalid"), (int64_t)n);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  ASSERT(f != NULL);
  ASSERT_OK(fseek(f, 0, SEEK_END));
  long size = ftell(f);
  ASSERT(size >= 0);
  rewind(f);
  char *buf = malloc((size_t)size + 1);
  ASSERT(buf != NULL);
  ASSERT_EQ_U64(fread(buf, 1, (size_t)size, f), (uint64_t)size);
  buf[size] = '\0';
  fclose(f);
  *len = (size_t)size;
  return buf;
}

static char *make_tmpdir(void) {
  char tmpl[] = "/tmp/gnx-etl-XXXXXX";
  char *d = mkdtemp(tmpl);
  ASSERT(d != NULL);
  return strdup(d);
}

/* Setup etl directly, with "name=value" options, for calling its hooks. */
static void *setup_direct(uint64_t n, const char *const *opts, struct gnx_workload_info *info) {
  struct gnx_kv kv[8];
  char names[8][32];
  size_t n_kv = 0;
  for (; opts && opts[n_kv]; n_kv++) {
    const char *eq = strchr(opts[n_kv], '=');
    ASSERT(eq != NULL && (size_t)(eq - opts[n_kv]) < sizeof names[0]);
    memcpy(names[n_kv], opts[n_kv], (size_t)(eq - opts[n_kv]));
    names[n_kv][eq - opts[n_kv]] = '\0';
    kv[n_kv].name = names[n_kv];
    kv[n_kv].value = eq + 1;
  }
  struct gnx_params p;
  ASSERT_OK(gnx_params_build(gnx_workload_etl.options, n, kv, n_kv, &p));
  void *shared = NULL;
  char why[GNX_WHY_MAX] = "";
  int rc = gnx_workload_etl.setup(&p, &shared, info, why);
  if (rc != 0) {
    fprintf(stderr, "setup: %s\n", why);
  }
  ASSERT_OK(rc);
  gnx_params_free(&p);
  return shared;
}

GNX_TEST(known_answers) {
  char *dir = make_tmpdir();
  char opt_dir[300];
  snprintf(opt_dir, sizeof opt_dir, "save-output=%s", dir);
  const char *opts[] = {"seed=42", "work=64", opt_dir, NULL};
  struct gnx_test_out out;
  run_ok(1000, opts, &out);
  ASSERT_EQ_INT(get_int(out.summary, "valid"), 989);
  ASSERT_EQ_INT(get_int(out.summary, "invalid"), 11);
  ASSERT_EQ_STR(json_string_value(json_object_get(out.summary, "checksum")), "df95bc4d2e1a0da9");
  const json_t *hist = json_object_get(out.summary, "histogram");
  ASSERT_EQ_U64(json_array_size(hist), 16);
  for (size_t b = 0; b < 16; b++) {
    ASSERT_EQ_INT(json_integer_value(json_array_get(hist, b)), known_hist[b]);
  }
  /* Category counts add up to valid; the 8 are there in spec order. */
  const char *names[8] = {"books", "electronics", "grocery", "home",
                          "fashion", "sports", "toys", "travel"};
  const json_t *cats = json_object_get(out.summary, "categories");
  ASSERT_EQ_U64(json_object_size(cats), 8);
  const char *key;
  json_t *v;
  int idx = 0;
  int64_t total = 0;
  json_object_foreach((json_t *)cats, key, v) {
    ASSERT_EQ_STR(key, names[idx++]);
    total += get_int(v, "count");
    ASSERT(get_int(v, "sum_cents") > 0);
  }
  ASSERT_EQ_INT(total, 989);

  char path[400];
  snprintf(path, sizeof path, "%s/etl-1000.csv", dir);
  size_t len;
  char *text = read_file(path, &len);
  const char *first3 = "0,home,7638.58,9,b6cb888d7c6959c6\n"
                       "1,sports,6470.47,8,710ef316fc09d26c\n"
                       "2,toys,3607.25,1,05b52521ab8e8d71\n";
  ASSERT(strncmp(text, first3, strlen(first3)) == 0);
  ASSERT_EQ_U64(len, (uint64_t)get_int(out.summary, "output_bytes"));
  size_t lines = 0;
  for (size_t i = 0; i < len; i++) {
    lines += text[i] == '\n';
  }
  ASSERT_EQ_U64(lines, 989);
  free(text);
  unlink(path);
  rmdir(dir);
  free(dir);
  gnx_test_out_free(&out);
}

/* The source and the stages by hand, with no state, on item 0. */
GNX_TEST(extract_line_record0) {
  const char *opts[] = {"seed=42", "work=64", NULL};
  struct gnx_workload_info info = {0};
  void *shared = setup_direct(1000, opts, &info);
  ASSERT_EQ_U64(info.items, 1);
  ASSERT_EQ_U64(info.sink_wait_ns, 0);
  const struct gnx_workload *wl = &gnx_workload_etl;
  ASSERT_EQ_U64(wl->n_stages, 4);
  ASSERT_EQ_STR(wl->stages[0].name, "extract");
  ASSERT_EQ_STR(wl->sink_name, "load");
  struct gnx_buf a = GNX_BUF_INIT, b = GNX_BUF_INIT, again = GNX_BUF_INIT;
  ASSERT_OK(wl->stages[0].run(shared, NULL, 0, NULL, &a));
  const char *line0 = "0,75413,home,7638.58,zinnia papa charlie sierra kelp onyx foxtrot whiskey\n";
  ASSERT(a.len > strlen(line0));
  ASSERT(memcmp(a.data, line0, strlen(line0)) == 0);
  size_t lines = 0, nan = 0;
  for (size_t i = 0; i < a.len; i++) {
    lines += a.data[i] == '\n';
  }
  for (const uint8_t *p = a.data; (p = memmem(p, a.len - (size_t)(p - a.data), ",NaN,", 5));
       p++) {
    nan++;
  }
  ASSERT_EQ_U64(lines, 1000);
  ASSERT_EQ_U64(nan, 11); /* the invalid records are rendered as NaN */
  /* Pure: the same item gives the same bytes, also in a reused buffer. */
  ASSERT_OK(wl->stages[0].run(shared, NULL, 0, NULL, &again));
  gnx_buf_clear(&again);
  ASSERT_OK(wl->stages[0].run(shared, NULL, 0, NULL, &again));
  ASSERT_EQ_U64(again.len, a.len);
  ASSERT(memcmp(a.data, again.data, a.len) == 0);
  /* Past the last item is a stage error, not a crash. */
  gnx_buf_clear(&again);
  ASSERT_EQ_INT(wl->stages[0].run(shared, NULL, 1, NULL, &again), GNX_ESTAGE);
  for (unsigned s = 1; s < wl->n_stages; s++) {
    gnx_buf_clear(&b);
    ASSERT_OK(wl->stages[s].run(shared, NULL, 0, &a, &b));
    gnx_buf_swap(&a, &b);
  }
  void *sink = NULL;
  ASSERT_OK(wl->sink_open(shared, &sink));
  ASSERT_OK(wl->sink_put(sink, 0, &a));
  json_t *summary = NULL;
  ASSERT_OK(wl->sink_close(sink, &summary));
  ASSERT_EQ_STR(json_string_value(json_object_get(summary, "checksum")), "df95bc4d2e1a0da9");
  json_decref(summary);
  /* The load text, after the partial aggregate, starts with record 0's line. */
  const char *load0 = "0,home,7638.58,9,b6cb888d7c6959c6\n";
  ASSERT(memmem(a.data, a.len, load0, strlen(load0)) != NULL);
  gnx_buf_free(&a);
  gnx_buf_free(&b);
  gnx_buf_free(&again);
  wl->teardown(shared);
}

/* A parse error is a stage failure; a bad amount is invalid data. */
GNX_TEST(parse_validates_amounts) {
  const char *opts[] = {"batch=10", NULL};
  struct gnx_workload_info info = {0};
  void *shared = setup_direct(10, opts, &info);
  const struct gnx_workload *wl = &gnx_workload_etl;
  struct gnx_buf in = GNX_BUF_INIT, out = GNX_BUF_INIT;
  const char *text = "0,1,books,12.34,alpha bravo\n"
                     "1,2,toys,NaN,alpha\n"
                     "2,3,toys,12.3,alpha\n"
                     "3,4,toys,.34,alpha\n"
                     "4,5,toys,1a.34,alpha\n"
                     "5,6,toys,-1.34,alpha\n"
                     "6,7,travel,0.00,alpha\n";
  ASSERT_OK(gnx_buf_append(&in, text, strlen(text)));
  ASSERT_OK(wl->stages[1].run(shared, NULL, 0, &in, &out));
  uint64_t hdr[2];
  ASSERT(out.len >= sizeof hdr);
  memcpy(hdr, out.data, sizeof hdr);
  ASSERT_EQ_U64(hdr[0], 2); /* 12.34 and 0.00 */
  ASSERT_EQ_U64(hdr[1], 5);
  const char *bad[] = {"0,1,books,12.34\n", "0,1,nosuch,12.34,alpha\n", "x,1,books,1.00,a\n",
                       "0,1,books,1.00,alpha"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    gnx_buf_clear(&in);
    gnx_buf_clear(&out);
    ASSERT_OK(gnx_buf_append(&in, bad[i], strlen(bad[i])));
    ASSERT_EQ_INT(wl->stages[1].run(shared, NULL, 0, &in, &out), GNX_EFORMAT);
  }
  gnx_buf_free(&in);
  gnx_buf_free(&out);
  wl->teardown(shared);
}

GNX_TEST(short_last_batch) {
  const char *opts[] = {"work=64", "batch=1000", NULL};
  const char *whole[] = {"work=64", "batch=2500", NULL};
  struct gnx_test_out a, b;
  run_ok(2500, opts, &a);
  run_ok(2500, whole, &b);
  ASSERT(gnx_test_json_equal(a.summary, b.summary));
  gnx_test_out_free(&a);
  gnx_test_out_free(&b);
}

GNX_TEST(n_smaller_than_batch) {
  const char *opts[] = {"work=64", NULL}; /* batch 1000 */
  struct gnx_test_out out;
  run_ok(500, opts, &out);
  ASSERT(get_int(out.summary, "valid") > 480);
  gnx_test_out_free(&out);
}

GNX_TEST(n_one) {
  const char *opts[] = {"work=64", NULL};
  struct gnx_test_out out;
  run_ok(1, opts, &out);
  ASSERT_EQ_INT(get_int(out.summary, "valid"), 1);
  ASSERT_EQ_STR(json_string_value(json_object_get(out.summary, "checksum")), "b6cb888d7c6959c6");
  ASSERT_EQ_INT(get_int(out.summary, "output_bytes"),
                (int64_t)strlen("0,home,7638.58,9,b6cb888d7c6959c6\n"));
  const json_t *home = json_object_get(json_object_get(out.summary, "categories"), "home");
  ASSERT_EQ_INT(get_int(home, "count"), 1);
  ASSERT_EQ_INT(get_int(home, "sum_cents"), 763858);
  ASSERT_EQ_INT(get_int(home, "sum_bucket"), 9);
  ASSERT_EQ_INT(json_integer_value(json_array_get(json_object_get(out.summary, "histogram"), 9)),
                1);
  gnx_test_out_free(&out);
}

GNX_TEST(batch_invariance) {
  const char *b7[] = {"work=64", "batch=7", NULL};
  const char *b1000[] = {"work=64", "batch=1000", NULL};
  const char *b64[] = {"work=64", "batch=64", NULL};
  struct gnx_test_out x, y, z;
  run_ok(3001, b7, &x);
  run_ok(3001, b1000, &y);
  run_ok(3001, b64, &z);
  ASSERT(gnx_test_json_equal(x.summary, y.summary));
  ASSERT(gnx_test_json_equal(y.summary, z.summary));
  gnx_test_out_free(&x);
  gnx_test_out_free(&y);
  gnx_test_out_free(&z);
}

/* The default --work and another seed, both checked against the spec. */
GNX_TEST(default_work_checks) {
  const char *opts[] = {"seed=7", NULL};
  struct gnx_test_out out, w64;
  run_ok(2000, opts, &out);
  const char *opts64[] = {"seed=7", "work=64", NULL};
  run_ok(2000, opts64, &w64);
  ASSERT(!gnx_test_json_equal(out.summary, w64.summary)); /* --work changes digests */
  ASSERT_EQ_INT(get_int(out.summary, "valid"), get_int(w64.summary, "valid"));
  gnx_test_out_free(&out);
  gnx_test_out_free(&w64);
}

GNX_TEST(check_fails_on_tampered_summary) {
  const char *opts[] = {"work=64", NULL};
  struct gnx_test_out out;
  run_ok(1000, opts, &out);
  struct gnx_workload_info info = {0};
  void *shared = setup_direct(1000, opts, &info);
  json_t *detail = NULL;
  ASSERT_OK(gnx_workload_etl.check(shared, out.summary, &detail));
  json_decref(detail);

  json_t *bad = json_deep_copy(out.summary);
  json_object_set_new(bad, "checksum", json_string("df95bc4d2e1a0da8"));
  detail = NULL;
  ASSERT_EQ_INT(gnx_workload_etl.check(shared, bad, &detail), GNX_EVERIFY);
  ASSERT_EQ_STR(json_string_value(json_object_get(detail, "reference")), "spec");
  ASSERT_EQ_STR(json_string_value(json_object_get(detail, "mismatch")), "checksum");
  ASSERT_EQ_STR(json_string_value(json_object_get(detail, "expected")), "df95bc4d2e1a0da9");
  json_decref(detail);
  json_decref(bad);

  bad = json_deep_copy(out.summary);
  json_t *toys = json_object_get(json_object_get(bad, "categories"), "toys");
  json_object_set_new(toys, "sum_bucket", json_integer(get_int(toys, "sum_bucket") + 1));
  detail = NULL;
  ASSERT_EQ_INT(gnx_workload_etl.check(shared, bad, &detail), GNX_EVERIFY);
  ASSERT_EQ_STR(json_string_value(json_object_get(detail, "mismatch")),
                "categories.toys.sum_bucket");
  json_decref(detail);
  json_decref(bad);

  bad = json_deep_copy(out.summary);
  json_array_set_new(json_object_get(bad, "histogram"), 3, json_integer(0));
  detail = NULL;
  ASSERT_EQ_INT(gnx_workload_etl.check(shared, bad, &detail), GNX_EVERIFY);
  ASSERT_EQ_STR(json_string_value(json_object_get(detail, "mismatch")), "histogram[3]");
  json_decref(detail);
  json_decref(bad);

  bad = json_deep_copy(out.summary);
  json_object_set_new(bad, "extra", json_true());
  detail = NULL;
  ASSERT_EQ_INT(gnx_workload_etl.check(shared, bad, &detail), GNX_EVERIFY);
  ASSERT_EQ_STR(json_string_value(json_object_get(detail, "mismatch")), "extra (unexpected)");
  json_decref(detail);
  json_decref(bad);

  /* The same summary is wrong for another seed. */
  const char *seed9[] = {"work=64", "seed=9", NULL};
  void *other = setup_direct(1000, seed9, &info);
  detail = NULL;
  ASSERT_EQ_INT(gnx_workload_etl.check(other, out.summary, &detail), GNX_EVERIFY);
  json_decref(detail);
  gnx_workload_etl.teardown(other);
  gnx_workload_etl.teardown(shared);
  gnx_test_out_free(&out);
}

GNX_TEST(save_output_bad_dir) {
  struct gnx_test_out out;
  const char *missing[] = {"work=64", "save-output=/nonexistent-gnx-etl/dir", NULL};
  ASSERT_EQ_INT(gnx_test_run("etl", "serial", 100, missing, &out), -ENOENT);
  ASSERT(out.summary == NULL);
  gnx_test_out_free(&out);

  /* A regular file where a directory should be: unwritable even for root. */
  char *dir = make_tmpdir();
  char file[300], opt[320];
  snprintf(file, sizeof file, "%s/plain", dir);
  FILE *f = fopen(file, "w");
  ASSERT(f != NULL);
  fclose(f);
  snprintf(opt, sizeof opt, "save-output=%s", file);
  const char *notdir[] = {"work=64", opt, NULL};
  ASSERT_EQ_INT(gnx_test_run("etl", "serial", 100, notdir, &out), -ENOTDIR);
  gnx_test_out_free(&out);

  /* A read-only directory, where permissions apply (not as root). */
  if (geteuid() != 0) {
    char ro[256];
    snprintf(ro, sizeof ro, "%s/ro", dir);
    ASSERT_OK(mkdir(ro, 0500));
    snprintf(opt, sizeof opt, "save-output=%s", ro);
    const char *readonly[] = {"work=64", opt, NULL};
    ASSERT_EQ_INT(gnx_test_run("etl", "serial", 100, readonly, &out), -EACCES);
    gnx_test_out_free(&out);
    rmdir(ro);
  }
  unlink(file);
  rmdir(dir);
  free(dir);
}

GNX_TEST(output_file_matches_bytes) {
  char *dir = make_tmpdir();
  char opt[300], path[400];
  snprintf(opt, sizeof opt, "save-output=%s", dir);
  const char *opts[] = {"work=64", "batch=333", opt, NULL};
  struct gnx_test_out out;
  run_ok(2500, opts, &out);
  snprintf(path, sizeof path, "%s/etl-2500.csv", dir);
  size_t len;
  char *text = read_file(path, &len);
  ASSERT_EQ_U64(len, (uint64_t)get_int(out.summary, "output_bytes"));
  /* Ascending ids, one line per valid record. */
  size_t lines = 0;
  long prev = -1;
  for (char *p = text; *p; p = strchr(p, '\n') + 1) {
    long id = strtol(p, NULL, 10);
    ASSERT(id > prev);
    prev = id;
    lines++;
  }
  ASSERT_EQ_INT((int64_t)lines, get_int(out.summary, "valid"));
  free(text);
  gnx_test_out_free(&out);
  /* A second run truncates the file rather than appending. */
  run_ok(2500, opts, &out);
  struct stat st;
  ASSERT_OK(stat(path, &st));
  ASSERT_EQ_U64((uint64_t)st.st_size, (uint64_t)get_int(out.summary, "output_bytes"));
  gnx_test_out_free(&out);
  unlink(path);
  rmdir(dir);
  free(dir);
}

GNX_TEST(bad_options_explain) {
  struct gnx_test_out out;
  const char *batch0[] = {"batch=0", NULL};
  ASSERT_EQ_INT(gnx_test_run("etl", "serial", 10, batch0, &out), GNX_EUSAGE);
  ASSERT(strstr(out.errmsg, "--batch") != NULL);
  gnx_test_out_free(&out);
  const char *empty[] = {"save-output=", NULL};
  ASSERT_EQ_INT(gnx_test_run("etl", "serial", 10, empty, &out), GNX_EUSAGE);
  ASSERT(strstr(out.errmsg, "--save-output") != NULL);
  gnx_test_out_free(&out);
  const char *huge[] = {"io-latency-us=18446744073709551615", NULL};
  ASSERT_EQ_INT(gnx_test_run("etl", "serial", 10, huge, &out), GNX_EUSAGE);
  ASSERT(strstr(out.errmsg, "--io-latency-us") != NULL);
  gnx_test_out_free(&out);
}

GNX_TEST(io_latency_is_engine_wait) {
  const char *opts[] = {"io-latency-us=250", "batch=100", NULL};
  struct gnx_workload_info info = {0};
  void *shared = setup_direct(1001, opts, &info);
  ASSERT_EQ_U64(info.items, 11);
  ASSERT_EQ_U64(info.sink_wait_ns, 250000);
  gnx_workload_etl.teardown(shared);
  /* The serial engine sleeps it per item: 11 x 250 us at least. */
  const char *run_opts[] = {"io-latency-us=250", "batch=100", "work=64", NULL};
  struct gnx_test_out out;
  run_ok(1001, run_opts, &out);
  ASSERT(out.wall_s >= 11 * 250e-6);
  gnx_test_out_free(&out);
}

GNX_TEST(sink_rejects_out_of_order) {
  const char *opts[] = {"batch=10", "work=64", NULL};
  struct gnx_workload_info info = {0};
  void *shared = setup_direct(30, opts, &info);
  const struct gnx_workload *wl = &gnx_workload_etl;
  struct gnx_buf a = GNX_BUF_INIT, b = GNX_BUF_INIT;
  ASSERT_OK(wl->stages[0].run(shared, NULL, 1, NULL, &a));
  for (unsigned s = 1; s < wl->n_stages; s++) {
    gnx_buf_clear(&b);
    ASSERT_OK(wl->stages[s].run(shared, NULL, 1, &a, &b));
    gnx_buf_swap(&a, &b);
  }
  void *sink = NULL;
  ASSERT_OK(wl->sink_open(shared, &sink));
  ASSERT_EQ_INT(wl->sink_put(sink, 1, &a), GNX_EVERIFY); /* item 0 must come first */
  ASSERT_OK(wl->sink_close(sink, NULL));
  gnx_buf_free(&a);
  gnx_buf_free(&b);
  wl->teardown(shared);
}

/* --stage-scale transform=0.5 halves transform's rounds: the same result
 * as --work 300, verified against the reference; other stages have no
 * cost knob and are refused, naming the one that can be scaled. */
GNX_TEST(stage_scale_halves_transform) {
  struct gnx_test_out half, w300;
  const char *a[] = {"stage-scale=transform=0.5", NULL};
  const char *b[] = {"work=300", NULL};
  ASSERT_OK(gnx_test_run("etl", "serial", 5000, a, &half));
  ASSERT_OK(gnx_test_run("etl", "serial", 5000, b, &w300));
  ASSERT(gnx_test_json_equal(half.summary, w300.summary));
  ASSERT_OK(half.check_rc);
  gnx_test_out_free(&half);
  gnx_test_out_free(&w300);
  struct gnx_test_out out;
  const char *parse[] = {"stage-scale=parse=2", NULL};
  ASSERT_EQ_INT(gnx_test_run("etl", "serial", 10, parse, &out), GNX_EUSAGE);
  ASSERT(strstr(out.errmsg, "only transform") != NULL);
  gnx_test_out_free(&out);
  const char *bad[] = {"stage-scale=transform=0", NULL};
  ASSERT_EQ_INT(gnx_test_run("etl", "serial", 10, bad, &out), GNX_EUSAGE);
  ASSERT(strstr(out.errmsg, "FACTOR 0.01..100") != NULL);
  gnx_test_out_free(&out);
}
