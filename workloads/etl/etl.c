/* SPDX-License-Identifier: MIT */
/* workloads/etl/etl.c: the record pipeline of spec/etl.md, staged.
 *
 * An item is a batch of `batch` consecutive record ids [item*batch, +count).
 * Item buffers are flat bytes; all integers are native-endian uint64_t (the
 * buffers never leave the machine) and every record is fully written,
 * padding included, so the same item always gives the same bytes.
 *
 *   extract   -> CSV text, exactly the spec's lines, nothing else:
 *                "{i},{user},{category},{amount},{text}\n" per record
 *   parse     -> struct etl_hdr {valid, invalid}
 *                + valid x struct etl_rec (104 bytes: id, user, cents,
 *                  category index, text length, text padded with zeros)
 *   transform -> struct etl_hdr {valid, invalid}
 *                + valid x struct etl_out (32 bytes: id, cents, digest,
 *                  category index, bucket, zero padding)
 *   aggregate -> struct etl_agg (the item's partial aggregate, 344 bytes)
 *                + the item's load lines as text:
 *                "{id},{category},{amount},{bucket},{digest:016x}\n"
 *   load (sink) adds the partial aggregates, counts the text bytes and
 *                writes them to DIR/etl-<n>.csv with --save-output DIR.
 *
 * Formatting the load lines happens in aggregate, a parallel stage, so the
 * ordered sink, which every engine runs alone in the main process, only adds
 * 43 integers and copies bytes: a fat sink would cap every engine's speedup.
 *
 * Numbers are formatted by hand: snprintf costs more than the rest of a
 * record's extract work. */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnx/dir.h"
#include "gnx/err.h"
#include "gnx/workload.h"
#include "etl/etl.h"

/* The default --work: see docs/workloads/etl.md for the measurement. */
#define ETL_DEFAULT_ROUNDS "600"

#define ETL_GOLDEN 0x9E3779B97F4A7C15ull
#define ETL_FNV_OFFSET 0xCBF29CE484222325ull
#define ETL_FNV_PRIME 0x100000001B3ull

#define ETL_N_CATS 8
#define ETL_N_HIST 16
#define ETL_TEXT_MAX 78     /* 8 words of at most 8 letters + 7 spaces = 71 */
#define ETL_EXTRACT_MAX 128 /* longest extract line: 20+5+11+7+71 + 5 separators */
#define ETL_LOAD_MAX 80     /* longest load line: 20+11+19+2+16 + 5 separators */
#define ETL_AMOUNT_DIGITS 16 /* integer digits that fit u64 cents */

/* ---- flat item layouts ---------------------------------------------------- */

struct etl_hdr {
  uint64_t valid;   /* records that follow */
  uint64_t invalid; /* records dropped by parse */
};

struct etl_rec {
  uint64_t id, user, cents;
  uint8_t cat;      /* index into etl_cats */
  uint8_t text_len;
  char text[ETL_TEXT_MAX];
};

struct etl_out {
  uint64_t id, cents, digest;
  uint8_t cat, bucket;
  uint8_t pad[6];
};

struct etl_agg {
  uint64_t valid, invalid, checksum;
  uint64_t hist[ETL_N_HIST];
  uint64_t cat_count[ETL_N_CATS], cat_cents[ETL_N_CATS], cat_bucket[ETL_N_CATS];
};

_Static_assert(sizeof(struct etl_rec) == 104, "etl_rec layout");
_Static_assert(sizeof(struct etl_out) == 32, "etl_out layout");
_Static_assert(sizeof(struct etl_agg) == 43 * 8, "etl_agg layout");

/* ---- the spec's tables and arithmetic -------------------------------------- */

struct etl_word {
  const char *s;
  uint8_t len;
};
#define ETL_W(x) {x, sizeof(x) - 1}

static const struct etl_word etl_cats[ETL_N_CATS] = {
    ETL_W("books"),  ETL_W("electronics"), ETL_W("grocery"), ETL_W("home"),
    ETL_W("fashion"), ETL_W("sports"),     ETL_W("toys"),    ETL_W("travel")};

static const struct etl_word etl_vocab[64] = {
    ETL_W("alpha"),   ETL_W("bravo"),   ETL_W("charlie"), ETL_W("delta"),   ETL_W("echo"),
    ETL_W("foxtrot"), ETL_W("golf"),    ETL_W("hotel"),   ETL_W("india"),   ETL_W("juliet"),
    ETL_W("kilo"),    ETL_W("lima"),    ETL_W("mike"),    ETL_W("november"), ETL_W("oscar"),
    ETL_W("papa"),    ETL_W("quebec"),  ETL_W("romeo"),   ETL_W("sierra"),  ETL_W("tango"),
    ETL_W("uniform"), ETL_W("victor"),  ETL_W("whiskey"), ETL_W("xray"),    ETL_W("yankee"),
    ETL_W("zulu"),    ETL_W("amber"),   ETL_W("basil"),   ETL_W("cedar"),   ETL_W("dune"),
    ETL_W("ember"),   ETL_W("fjord"),   ETL_W("grove"),   ETL_W("harbor"),  ETL_W("iris"),
    ETL_W("jade"),    ETL_W("kelp"),    ETL_W("lotus"),   ETL_W("maple"),   ETL_W("nectar"),
    ETL_W("onyx"),    ETL_W("pearl"),   ETL_W("quartz"),  ETL_W("raven"),   ETL_W("sage"),
    ETL_W("thistle"), ETL_W("umber"),   ETL_W("violet"),  ETL_W("willow"),  ETL_W("yarrow"),
    ETL_W("zinnia"),  ETL_W("anchor"),  ETL_W("beacon"),  ETL_W("canyon"),  ETL_W("dolphin"),
    ETL_W("estuary"), ETL_W("falcon"),  ETL_W("glacier"), ETL_W("horizon"), ETL_W("island"),
    ETL_W("jungle"),  ETL_W("kestrel"), ETL_W("lagoon"),  ETL_W("meadow")};

static inline uint64_t etl_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static inline uint64_t etl_draw(uint64_t seed, uint64_t i, unsigned k) {
  return etl_mix64(seed + ETL_GOLDEN * (i * 16 + k + 1));
}

/* ---- hand formatting --------------------------------------------------------- */

static inline char *etl_put_u64(char *p, uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) {
    *p++ = tmp[--n];
  }
  return p;
}

static inline char *etl_put_amount(char *p, uint64_t cents) {
  p = etl_put_u64(p, cents / 100);
  *p++ = '.';
  *p++ = (char)('0' + cents % 100 / 10);
  *p++ = (char)('0' + cents % 10);
  return p;
}

static inline char *etl_put_word(char *p, const struct etl_word *w) {
  memcpy(p, w->s, w->len);
  return p + w->len;
}

/* The records of item `item`: [*first, *first + *count). */
static int etl_item_range(const struct etl_shared *s, uint64_t item, uint64_t *first,
                          uint64_t *count) {
  if (item >= s->items) {
    return GNX_ESTAGE;
  }
  *first = item * s->batch;
  *count = s->n - *first < s->batch ? s->n - *first : s->batch;
  return 0;
}

/* Make room for a stage's output of count records of `each` bytes after a
 * header, refusing sizes that would overflow size_t. */
static int etl_reserve(struct gnx_buf *out, size_t head, uint64_t count, size_t each) {
  if (count > (SIZE_MAX - head) / each) {
    return -ENOMEM;
  }
  return gnx_buf_reserve(out, head + (size_t)count * each);
}

/* ---- stage 0: extract ------------------------------------------------------- */

static int etl_extract(const void *shared, void *state, uint64_t item, const struct gnx_buf *in,
                       struct gnx_buf *out) {
  const struct etl_shared *s = shared;
  uint64_t first, count;
  int rc = etl_item_range(s, item, &first, &count);
  if (rc == 0) {
    rc = etl_reserve(out, 0, count, ETL_EXTRACT_MAX);
  }
  if (rc < 0) {
    return rc;
  }
  char *p = (char *)out->data;
  for (uint64_t i = first; i < first + count; i++) {
    uint64_t user = etl_draw(s->seed, i, 0) % 100000;
    unsigned cat = (unsigned)(etl_draw(s->seed, i, 1) % ETL_N_CATS);
    uint64_t cents = etl_draw(s->seed, i, 2) % 1000000;
    int nan = etl_draw(s->seed, i, 3) % 100 == 0;
    uint64_t words = etl_draw(s->seed, i, 4);
    p = etl_put_u64(p, i);
    *p++ = ',';
    p = etl_put_u64(p, user);
    *p++ = ',';
    p = etl_put_word(p, &etl_cats[cat]);
    *p++ = ',';
    if (nan) {
      memcpy(p, "NaN", 3);
      p += 3;
    } else {
      p = etl_put_amount(p, cents);
    }
    *p++ = ',';
    for (unsigned j = 0; j < 8; j++) {
      if (j) {
        *p++ = ' ';
      }
      p = etl_put_word(p, &etl_vocab[(words >> (6 * j)) & 63]);
    }
    *p++ = '\n';
  }
  out->len = (size_t)(p - (char *)out->data);
  return 0;
}

/* ---- stage 1: parse --------------------------------------------------------- */

/* An unsigned decimal field of 1..20 digits that fits u64. */
static int etl_parse_u64(const char *p, const char *end, uint64_t *v) {
  if (p == end || end - p > 20) {
    return 0;
  }
  uint64_t x = 0;
  for (; p < end; p++) {
    unsigned d = (unsigned)(*p - '0');
    if (d > 9 || x > (UINT64_MAX - d) / 10) {
      return 0;
    }
    x = x * 10 + d;
  }
  *v = x;
  return 1;
}

/* The spec's valid amount: digits '.' digit digit. More than 16 integer
 * digits cannot be held as u64 cents, so such an amount is invalid too. */
static int etl_parse_amount(const char *p, const char *end, uint64_t *cents) {
  size_t len = (size_t)(end - p);
  if (len < 4 || len - 3 > ETL_AMOUNT_DIGITS || end[-3] != '.') {
    return 0;
  }
  uint64_t x = 0;
  for (; p < end; p++) {
    if (p == end - 3) {
      continue; /* the point */
    }
    unsigned d = (unsigned)(*p - '0');
    if (d > 9) {
      return 0;
    }
    x = x * 10 + d;
  }
  *cents = x;
  return 1;
}

static int etl_parse_cat(const char *p, const char *end) {
  size_t len = (size_t)(end - p);
  for (int c = 0; c < ETL_N_CATS; c++) {
    if (etl_cats[c].len == len && memcmp(etl_cats[c].s, p, len) == 0) {
      return c;
    }
  }
  return -1;
}

/* The comma that ends the field starting at p (before end), or NULL. */
static inline const char *etl_field(const char *p, const char *end) {
  return memchr(p, ',', (size_t)(end - p));
}

static int etl_parse(const void *shared, void *state, uint64_t item, const struct gnx_buf *in,
                     struct gnx_buf *out) {
  const struct etl_shared *s = shared;
  uint64_t first, count;
  int rc = etl_item_range(s, item, &first, &count);
  if (rc == 0) { /* expect every record valid; grows if the text holds more */
    rc = etl_reserve(out, sizeof(struct etl_hdr), count, sizeof(struct etl_rec));
  }
  if (rc < 0) {
    return rc;
  }
  struct etl_hdr h = {0, 0};
  out->len = sizeof h;
  const char *p = (const char *)in->data, *end = p + in->len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *f1 = eol ? etl_field(p, eol) : NULL;
    const char *f2 = f1 ? etl_field(f1 + 1, eol) : NULL;
    const char *f3 = f2 ? etl_field(f2 + 1, eol) : NULL;
    const char *f4 = f3 ? etl_field(f3 + 1, eol) : NULL;
    uint64_t id, user, cents;
    int cat = f4 ? etl_parse_cat(f2 + 1, f3) : -1;
    if (cat < 0 || !etl_parse_u64(p, f1, &id) || !etl_parse_u64(f1 + 1, f2, &user) ||
        eol - (f4 + 1) > ETL_TEXT_MAX) {
      return GNX_EFORMAT; /* not a line extract makes: a bug, not bad data */
    }
    if (!etl_parse_amount(f3 + 1, f4, &cents)) {
      h.invalid++; /* bad data: counted and dropped */
    } else {
      struct etl_rec *r = gnx_buf_extend(out, sizeof *r);
      if (!r) {
        return -ENOMEM;
      }
      size_t tl = (size_t)(eol - (f4 + 1));
      r->id = id;
      r->user = user;
      r->cents = cents;
      r->cat = (uint8_t)cat;
      r->text_len = (uint8_t)tl;
      memcpy(r->text, f4 + 1, tl);
      memset(r->text + tl, 0, ETL_TEXT_MAX - tl);
      h.valid++;
    }
    p = eol + 1;
  }
  memcpy(out->data, &h, sizeof h);
  return 0;
}

/* Check a header-plus-records buffer and return its header. */
static int etl_records(const struct gnx_buf *in, size_t each, struct etl_hdr *h) {
  if (in->len < sizeof *h) {
    return GNX_EFORMAT;
  }
  memcpy(h, in->data, sizeof *h);
  if (h->valid != (in->len - sizeof *h) / each || (in->len - sizeof *h) % each) {
    return GNX_EFORMAT;
  }
  return 0;
}

/* ---- stage 2: transform ------------------------------------------------------ */

static int etl_transform(const void *shared, void *state, uint64_t item, const struct gnx_buf *in,
                         struct gnx_buf *out) {
  const struct etl_shared *s = shared;
  struct etl_hdr h;
  int rc = etl_records(in, sizeof(struct etl_rec), &h);
  if (rc == 0) {
    rc = etl_reserve(out, sizeof h, h.valid, sizeof(struct etl_out));
  }
  if (rc < 0) {
    return rc;
  }
  memcpy(out->data, &h, sizeof h);
  const struct etl_rec *r = (const struct etl_rec *)(in->data + sizeof h);
  struct etl_out *o = (struct etl_out *)(out->data + sizeof h);
  for (uint64_t k = 0; k < h.valid; k++, r++, o++) {
    if (r->text_len > ETL_TEXT_MAX) {
      return GNX_EFORMAT; /* a corrupted buffer: do not read past the record */
    }
    /* One pass over the text hashes the whole text and each word. */
    uint64_t feat[16] = {0};
    uint64_t th = ETL_FNV_OFFSET, wh = ETL_FNV_OFFSET;
    int in_word = 0;
    for (unsigned j = 0; j < r->text_len; j++) {
      uint8_t c = (uint8_t)r->text[j];
      th = (th ^ c) * ETL_FNV_PRIME;
      if (c == ' ') {
        if (in_word) {
          feat[wh & 15]++;
        }
        wh = ETL_FNV_OFFSET;
        in_word = 0;
      } else {
        wh = (wh ^ c) * ETL_FNV_PRIME;
        in_word = 1;
      }
    }
    if (in_word) {
      feat[wh & 15]++;
    }
    uint64_t fh = 0;
    for (unsigned j = 0; j < 16; j++) {
      fh = fh * 31 + feat[j];
    }
    uint64_t x = th ^ (r->id * ETL_GOLDEN);
    for (uint64_t round = 0; round < s->rounds; round++) {
      x = etl_mix64(x + ETL_GOLDEN);
    }
    memset(o, 0, sizeof *o);
    o->id = r->id;
    o->cents = r->cents;
    o->cat = r->cat;
    o->bucket = (uint8_t)(x >> 60);
    o->digest = etl_mix64(x ^ r->cents ^ (r->user << 24) ^ fh);
  }
  out->len = sizeof h + (size_t)h.valid * sizeof(struct etl_out);
  return 0;
}

/* ---- stage 3: aggregate (and the load lines) -------------------------------- */

static int etl_aggregate(const void *shared, void *state, uint64_t item, const struct gnx_buf *in,
                         struct gnx_buf *out) {
  static const char hex[16] = "0123456789abcdef";
  struct etl_hdr h;
  int rc = etl_records(in, sizeof(struct etl_out), &h);
  if (rc == 0) {
    rc = etl_reserve(out, sizeof(struct etl_agg), h.valid, ETL_LOAD_MAX);
  }
  if (rc < 0) {
    return rc;
  }
  struct etl_agg a;
  memset(&a, 0, sizeof a);
  a.valid = h.valid;
  a.invalid = h.invalid;
  const struct etl_out *o = (const struct etl_out *)(in->data + sizeof h);
  char *p = (char *)out->data + sizeof a;
  for (uint64_t k = 0; k < h.valid; k++, o++) {
    if (o->cat >= ETL_N_CATS || o->bucket >= ETL_N_HIST) {
      return GNX_EFORMAT;
    }
    a.checksum += o->digest;
    a.hist[o->bucket]++;
    a.cat_count[o->cat]++;
    a.cat_cents[o->cat] += o->cents;
    a.cat_bucket[o->cat] += o->bucket;
    p = etl_put_u64(p, o->id);
    *p++ = ',';
    p = etl_put_word(p, &etl_cats[o->cat]);
    *p++ = ',';
    p = etl_put_amount(p, o->cents);
    *p++ = ',';
    p = etl_put_u64(p, o->bucket);
    *p++ = ',';
    for (int sh = 60; sh >= 0; sh -= 4) {
      *p++ = hex[(o->digest >> sh) & 15];
    }
    *p++ = '\n';
  }
  memcpy(out->data, &a, sizeof a);
  out->len = (size_t)(p - (char *)out->data);
  return 0;
}

/* ---- sink: load ---------------------------------------------------------------- */

struct etl_sink {
  struct etl_agg total;
  uint64_t next;  /* the item expected next */
  uint64_t bytes; /* load text, written or not */
  int fd;         /* -1 without --save-output */
};

static int etl_sink_open(const void *shared, void **sink) {
  const struct etl_shared *s = shared;
  struct etl_sink *k = calloc(1, sizeof *k);
  if (!k) {
    return -ENOMEM;
  }
  k->fd = -1;
  if (s->save_dir) {
    char path[PATH_MAX];
    int len = snprintf(path, sizeof path, "%s/etl-%" PRIu64 ".csv", s->save_dir, s->n);
    if (len < 0 || (size_t)len >= sizeof path) {
      free(k);
      return -ENAMETOOLONG;
    }
    k->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (k->fd < 0) {
      int err = -errno;
      free(k);
      return err;
    }
  }
  *sink = k;
  return 0;
}

static int etl_write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int etl_sink_put(void *sink, uint64_t item, const struct gnx_buf *in) {
  struct etl_sink *k = sink;
  if (item != k->next) {
    return GNX_EVERIFY; /* the engine broke the in-order promise */
  }
  if (in->len < sizeof(struct etl_agg)) {
    return GNX_EFORMAT;
  }
  /* The spec's merge: add every field. */
  struct etl_agg a;
  struct etl_agg *t = &k->total;
  memcpy(&a, in->data, sizeof a);
  t->valid += a.valid;
  t->invalid += a.invalid;
  t->checksum += a.checksum;
  for (int b = 0; b < ETL_N_HIST; b++) {
    t->hist[b] += a.hist[b];
  }
  for (int c = 0; c < ETL_N_CATS; c++) {
    t->cat_count[c] += a.cat_count[c];
    t->cat_cents[c] += a.cat_cents[c];
    t->cat_bucket[c] += a.cat_bucket[c];
  }
  size_t text = in->len - sizeof(struct etl_agg);
  k->bytes += text;
  k->next++;
  return k->fd >= 0 ? etl_write_all(k->fd, in->data + sizeof(struct etl_agg), text) : 0;
}

static json_t *etl_summary(const struct etl_sink *k) {
  const struct etl_agg *a = &k->total;
  char sum[17];
  snprintf(sum, sizeof sum, "%016" PRIx64, a->checksum);
  json_t *hist = json_array(), *cats = json_object();
  for (int b = 0; hist && b < ETL_N_HIST; b++) {
    json_array_append_new(hist, json_integer((json_int_t)a->hist[b]));
  }
  for (int c = 0; cats && c < ETL_N_CATS; c++) {
    json_object_set_new(cats, etl_cats[c].s,
                        json_pack("{s:I, s:I, s:I}", "count", (json_int_t)a->cat_count[c],
                                  "sum_cents", (json_int_t)a->cat_cents[c], "sum_bucket",
                                  (json_int_t)a->cat_bucket[c]));
  }
  /* "o" steals hist and cats, also when json_pack fails. */
  return json_pack("{s:I, s:I, s:I, s:s, s:o, s:o, s:I}", "records",
                   (json_int_t)(a->valid + a->invalid), "valid", (json_int_t)a->valid, "invalid",
                   (json_int_t)a->invalid, "checksum", sum, "histogram", hist, "categories", cats,
                   "output_bytes", (json_int_t)k->bytes);
}

static int etl_sink_close(void *sink, json_t **summary) {
  struct etl_sink *k = sink;
  int rc = 0;
  if (k->fd >= 0 && close(k->fd) < 0) {
    rc = -errno; /* a write-back error shows only here */
  }
  if (summary && rc == 0) {
    *summary = etl_summary(k);
    rc = *summary ? 0 : -ENOMEM;
  }
  free(k);
  return rc;
}

/* ---- setup ----------------------------------------------------------------------- */

static const struct gnx_option etl_options[] = {
    {"work", GNX_OPT_U64, ETL_DEFAULT_ROUNDS, "mix64 rounds per record in transform (its cost)",
     0, 100000, 0},
    {"batch", GNX_OPT_U64, "1000", "records per item (items = ceil(n / batch))", 1,
     1000000000, 0},
    {"seed", GNX_OPT_U64, "42", "seed of the generated data", 0, UINT64_MAX, 0},
    {"save-output", GNX_OPT_STR, NULL, "directory to write the output into (etl-<n>.csv)", 0, 0, 0},
    {"io-latency-us", GNX_OPT_U64, "0", "modelled latency of each load write, slept by the engine",
     0, 1000000, 0},
    GNX_OPTION_STAGE_SCALE,
    GNX_OPTIONS_END,
};

/* --work, scaled by --stage-scale transform=F: transform is the only stage
 * with a cost knob, so only its cost can be scaled and measured. */
static int etl_rounds(const struct gnx_params *p, uint64_t *rounds, char *why) {
  static const char *const names[] = {"extract", "parse", "transform", "aggregate"};
  double f[4] = {1, 1, 1, 1};
  *rounds = gnx_param_u64(p, "work");
  const char *spec = gnx_param_str(p, "stage-scale");
  if (!spec) {
    return 0;
  }
  int rc = gnx_stage_scale_parse("--stage-scale", spec, names, 4, f, why);
  if (rc == 0 && (f[0] != 1 || f[1] != 1 || f[3] != 1)) {
    snprintf(why, GNX_WHY_MAX,
             "--stage-scale '%.40s': etl can scale only transform (its --work rounds); the other "
             "stages have no cost knob",
             spec);
    rc = GNX_EUSAGE;
  }
  *rounds = (uint64_t)llround((double)*rounds * f[2]);
  return rc;
}

static int etl_setup(const struct gnx_params *p, void **shared, struct gnx_workload_info *info,
                     char *why) {
  uint64_t batch = gnx_param_u64(p, "batch");
  uint64_t latency_us = gnx_param_u64(p, "io-latency-us");
  const char *dir = gnx_param_str(p, "save-output");
  if (batch == 0) {
    snprintf(why, GNX_WHY_MAX,
             "--batch 0: an item needs at least one record (use --batch 1 or more)");
    return GNX_EUSAGE;
  }
  if (latency_us > UINT64_MAX / 1000) {
    snprintf(why, GNX_WHY_MAX,
             "--io-latency-us %" PRIu64 ": too large (give microseconds, e.g. 500)", latency_us);
    return GNX_EUSAGE;
  }
  /* "/etl-" + 20 digits + ".csv" + NUL must fit after the directory. */
  if (dir && (!*dir || strlen(dir) + 30 > PATH_MAX)) {
    snprintf(why, GNX_WHY_MAX, "--save-output '%.64s%s': %s", dir, strlen(dir) > 64 ? "..." : "",
             *dir ? "path too long (give a shorter directory)" : "empty (give a directory)");
    return GNX_EUSAGE;
  }
  uint64_t rounds;
  int rc = etl_rounds(p, &rounds, why);
  if (rc < 0) {
    return rc;
  }
  /* fail now, naming the directory, not after the whole run at the sink */
  rc = dir ? gnx_dir_writable(dir, 0, NULL) : 0;
  if (rc < 0) {
    snprintf(why, GNX_WHY_MAX, "--save-output %.160s: cannot write there: %s (give a writable "
                               "directory)",
             dir, strerror(-rc));
    return rc;
  }
  struct etl_shared *s = calloc(1, sizeof *s);
  if (!s || (dir && !(s->save_dir = strdup(dir)))) {
    free(s);
    return -ENOMEM;
  }
  s->n = p->n;
  s->seed = gnx_param_u64(p, "seed");
  s->rounds = rounds;
  s->batch = batch;
  s->items = s->n / batch + (s->n % batch != 0); /* no overflow for huge batch */
  info->items = s->items;
  info->sink_wait_ns = latency_us * 1000;
  *shared = s;
  return 0;
}

static void etl_teardown(void *shared) {
  struct etl_shared *s = shared;
  if (s) {
    json_decref(s->reference);
    free(s->save_dir);
    free(s);
  }
}

static const struct gnx_stage_ops etl_stages[] = {
    {"extract", etl_extract},
    {"parse", etl_parse},
    {"transform", etl_transform},
    {"aggregate", etl_aggregate},
};

const struct gnx_workload gnx_workload_etl = {
    .abi = GNX_WORKLOAD_ABI,
    .name = "etl",
    .summary = "CSV records: extract, parse, transform (--work rounds), aggregate, ordered load",
    .flags = 0,
    .options = etl_options,
    .setup = etl_setup,
    .teardown = etl_teardown,
    .stages = etl_stages,
    .n_stages = sizeof etl_stages / sizeof etl_stages[0],
    .sink_name = "load",
    .state_new = NULL, /* no stage needs scratch: buffers are reused by the engine */
    .state_free = NULL,
    .sink_open = etl_sink_open,
    .sink_put = etl_sink_put,
    .sink_close = etl_sink_close,
    .check = etl_check,
};
