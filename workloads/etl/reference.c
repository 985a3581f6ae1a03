/* SPDX-License-Identifier: MIT */
/* workloads/etl/reference.c: spec/etl.md computed in the simplest correct
 * code, for the check hook.
 *
 * One loop over record ids: no CSV text, no parsing, no batches, no flat
 * buffers. It shares nothing with etl.c but the setup data: its own mix64,
 * fnv1a64 and tables (copied as the spec prints them), and snprintf for the
 * load line lengths. So a run that matches it is verified against the spec
 * itself, at any n, not just against another engine. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gnx/err.h"
#include "etl/etl.h"

/* As printed in spec/etl.md, index order. */
static const char ref_categories[] = "books electronics grocery home fashion sports toys travel";
static const char ref_vocab[] =
    "alpha bravo charlie delta echo foxtrot golf hotel india "
    "juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform "
    "victor whiskey xray yankee zulu amber basil cedar dune ember fjord grove harbor "
    "iris jade kelp lotus maple nectar onyx pearl quartz raven sage thistle umber "
    "violet willow yarrow zinnia anchor beacon canyon dolphin estuary falcon glacier "
    "horizon island jungle kestrel lagoon meadow";

static uint64_t ref_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t ref_draw(uint64_t seed, uint64_t i, uint64_t k) {
  return ref_mix64(seed + 0x9E3779B97F4A7C15ull * (i * 16 + k + 1));
}

static uint64_t ref_fnv1a64(const char *s, size_t n) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ (unsigned char)s[i]) * 0x100000001B3ull;
  }
  return h;
}

/* Split a space-separated list into NUL-terminated words inside buf. */
static int ref_split(const char *list, char *buf, size_t cap, const char **words, int max) {
  snprintf(buf, cap, "%s", list);
  int n = 0;
  for (char *save = NULL, *w = strtok_r(buf, " ", &save); w && n < max;
       w = strtok_r(NULL, " ", &save)) {
    words[n++] = w;
  }
  return n;
}

static json_t *ref_compute(const struct etl_shared *s) {
  char cat_buf[sizeof ref_categories], vocab_buf[sizeof ref_vocab];
  const char *cat[8], *vocab[64];
  if (ref_split(ref_categories, cat_buf, sizeof cat_buf, cat, 8) != 8 ||
      ref_split(ref_vocab, vocab_buf, sizeof vocab_buf, vocab, 64) != 64) {
    return NULL; /* the tables above are wrong */
  }
  uint64_t valid = 0, invalid = 0, checksum = 0, bytes = 0;
  uint64_t hist[16] = {0}, count[8] = {0}, sum_cents[8] = {0}, sum_bucket[8] = {0};
  for (uint64_t i = 0; i < s->n; i++) {
    uint64_t user = ref_draw(s->seed, i, 0) % 100000;
    uint64_t c = ref_draw(s->seed, i, 1) % 8;
    uint64_t cents = ref_draw(s->seed, i, 2) % 1000000;
    if (ref_draw(s->seed, i, 3) % 100 == 0) {
      invalid++;
      continue;
    }
    uint64_t w = ref_draw(s->seed, i, 4);
    char text[128] = "";
    uint64_t feat[16] = {0};
    for (int j = 0; j < 8; j++) {
      const char *word = vocab[(w >> (6 * j)) & 63];
      feat[ref_fnv1a64(word, strlen(word)) & 15] += 1;
      if (j > 0) {
        strcat(text, " ");
      }
      strcat(text, word);
    }
    uint64_t fh = 0;
    for (int j = 0; j < 16; j++) {
      fh = fh * 31 + feat[j];
    }
    uint64_t x = ref_fnv1a64(text, strlen(text)) ^ (i * 0x9E3779B97F4A7C15ull);
    for (uint64_t r = 0; r < s->rounds; r++) {
      x = ref_mix64(x + 0x9E3779B97F4A7C15ull);
    }
    uint64_t bucket = x >> 60;
    uint64_t digest = ref_mix64(x ^ cents ^ (user << 24) ^ fh);
    valid++;
    checksum += digest;
    hist[bucket]++;
    count[c]++;
    sum_cents[c] += cents;
    sum_bucket[c] += bucket;
    bytes += (uint64_t)snprintf(NULL, 0, "%" PRIu64 ",%s,%" PRIu64 ".%02" PRIu64 ",%" PRIu64
                                ",%016" PRIx64 "\n",
                                i, cat[c], cents / 100, cents % 100, bucket, digest);
  }
  char sum[17];
  snprintf(sum, sizeof sum, "%016" PRIx64, checksum);
  json_t *h = json_array(), *cats = json_object();
  for (int b = 0; h && b < 16; b++) {
    json_array_append_new(h, json_integer((json_int_t)hist[b]));
  }
  for (int c = 0; cats && c < 8; c++) {
    json_object_set_new(cats, cat[c],
                        json_pack("{s:I, s:I, s:I}", "count", (json_int_t)count[c], "sum_cents",
                                  (json_int_t)sum_cents[c], "sum_bucket",
                                  (json_int_t)sum_bucket[c]));
  }
  return json_pack("{s:I, s:I, s:I, s:s, s:o, s:o, s:I}", "records", (json_int_t)s->n, "valid",
                   (json_int_t)valid, "invalid", (json_int_t)invalid, "checksum", sum,
                   "histogram", h, "categories", cats, "output_bytes", (json_int_t)bytes);
}

/* Find the first difference of got from ref: its path ("checksum",
 * "categories.toys.count", "histogram[3]") and the two values there
 * (*at_got is NULL when got lacks it). Returns 1 when they are equal. */
static int ref_diff(const json_t *ref, const json_t *got, char *path, size_t cap,
                    const json_t **at_ref, const json_t **at_got) {
  *at_ref = ref;
  *at_got = got;
  if (got && json_equal(ref, got)) {
    return 1;
  }
  size_t len = strlen(path);
  if (json_is_object(ref) && json_is_object(got)) {
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)ref, key, v) {
      const json_t *g = json_object_get(got, key);
      if (!g || !json_equal(v, g)) {
        snprintf(path + len, cap - len, "%s%s", len ? "." : "", key);
        return ref_diff(v, g, path, cap, at_ref, at_got);
      }
    }
    json_object_foreach((json_t *)got, key, v) {
      if (!json_object_get(ref, key)) {
        snprintf(path + len, cap - len, "%s%s (unexpected)", len ? "." : "", key);
        *at_ref = NULL;
        *at_got = v;
        return 0;
      }
    }
  } else if (json_is_array(ref) && json_is_array(got) &&
             json_array_size(ref) == json_array_size(got)) {
    for (size_t i = 0; i < json_array_size(ref); i++) {
      if (!json_equal(json_array_get(ref, i), json_array_get(got, i))) {
        snprintf(path + len, cap - len, "[%zu]", i);
        return ref_diff(json_array_get(ref, i), json_array_get(got, i), path, cap, at_ref, at_got);
      }
    }
  }
  return 0;
}

int etl_check(void *shared, const json_t *summary, json_t **detail) {
  struct etl_shared *s = shared;
  if (!s->reference && !(s->reference = ref_compute(s))) {
    return -ENOMEM; /* computed once per setup: n, seed and rounds fix it */
  }
  char path[128] = "";
  const json_t *at_ref, *at_got;
  int same = ref_diff(s->reference, summary, path, sizeof path, &at_ref, &at_got);
  json_t *d = json_pack("{s:s}", "reference", "spec");
  if (d && !same) {
    json_object_set_new(d, "mismatch", json_string(path[0] ? path : "summary"));
    json_object_set_new(d, "expected", at_ref ? json_deep_copy(at_ref) : json_null());
    json_object_set_new(d, "got", at_got ? json_deep_copy(at_got) : json_null());
  }
  *detail = d;
  return same ? 0 : GNX_EVERIFY;
}
