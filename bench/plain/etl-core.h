/* SPDX-License-Identifier: MIT */
/* bench/plain/etl-core.h: the ETL workload of spec/etl.md written from the
 * spec alone, as one would without gnxbench (issue 18's plain comparators).
 * It shares no code with workloads/etl/: the comparison is only worth
 * something if the two implementations are independent.
 *
 * One batch is two calls: etl_render() is extract (the CSV text of the
 * batch), etl_run() is parse + transform + aggregate + the load lines, one
 * record at a time, with no intermediate record arrays. Both C and C++ (the
 * TBB comparator) include this. */
#ifndef PLAIN_ETL_CORE_H
#define PLAIN_ETL_CORE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN 0x9E3779B97F4A7C15ull
#define FNV_OFF 0xCBF29CE484222325ull
#define FNV_MUL 0x100000001B3ull

/* Bounds of one line: extract "{i},{user},{cat},{amount},{8 words}\n" is at
 * most 20+1+5+1+11+1+17+1+71+1; load "{id},{cat},{amount},{bucket},{hex}\n"
 * at most 20+1+11+1+17+1+2+1+16+1. */
#define LINE_MAX_IN 160
#define LINE_MAX_OUT 80

static const char *const CATS[8] = {"books",   "electronics", "grocery", "home",
                                    "fashion", "sports",      "toys",    "travel"};
static const unsigned char CAT_LEN[8] = {5, 11, 7, 4, 7, 6, 4, 6};

static const char *const VOCAB[64] = {
    "alpha",   "bravo",   "charlie", "delta",   "echo",    "foxtrot", "golf",    "hotel",
    "india",   "juliet",  "kilo",    "lima",    "mike",    "november", "oscar",  "papa",
    "quebec",  "romeo",   "sierra",  "tango",   "uniform", "victor",  "whiskey", "xray",
    "yankee",  "zulu",    "amber",   "basil",   "cedar",   "dune",    "ember",   "fjord",
    "grove",   "harbor",  "iris",    "jade",    "kelp",    "lotus",   "maple",   "nectar",
    "onyx",    "pearl",   "quartz",  "raven",   "sage",    "thistle", "umber",   "violet",
    "willow",  "yarrow",  "zinnia",  "anchor",  "beacon",  "canyon",  "dolphin", "estuary",
    "falcon",  "glacier", "horizon", "island",  "jungle",  "kestrel", "lagoon",  "meadow"};

struct etl_total {
  uint64_t valid, invalid, checksum;
  uint64_t hist[16];
  uint64_t count[8], cents[8], bucket[8];
};

static inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static inline uint64_t draw(uint64_t seed, uint64_t i, unsigned k) {
  return mix64(seed + GOLDEN * (i * 16 + k + 1));
}

/* Decimal digits of v at p; returns the end. */
static inline char *put_dec(char *p, uint64_t v) {
  char d[20];
  int n = 0;
  do {
    d[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) {
    *p++ = d[--n];
  }
  return p;
}

static inline char *put_str(char *p, const char *s) {
  size_t n = strlen(s);
  memcpy(p, s, n);
  return p + n;
}

static inline char *put_cents(char *p, uint64_t cents) {
  p = put_dec(p, cents / 100);
  *p++ = '.';
  *p++ = (char)('0' + cents / 10 % 10);
  *p++ = (char)('0' + cents % 10);
  return p;
}

/* extract: the CSV text of records [first, first + count) into buf (room
 * for count * LINE_MAX_IN bytes); returns its length. */
static inline size_t etl_render(uint64_t seed, uint64_t first, uint64_t count, char *buf) {
  char *p = buf;
  for (uint64_t i = first; i < first + count; i++) {
    uint64_t words = draw(seed, i, 4);
    p = put_dec(p, i);
    *p++ = ',';
    p = put_dec(p, draw(seed, i, 0) % 100000);
    *p++ = ',';
    p = put_str(p, CATS[draw(seed, i, 1) % 8]);
    *p++ = ',';
    if (draw(seed, i, 3) % 100 == 0) {
      p = put_str(p, "NaN");
    } else {
      p = put_cents(p, draw(seed, i, 2) % 1000000);
    }
    *p++ = ',';
    for (int j = 0; j < 8; j++) {
      if (j) {
        *p++ = ' ';
      }
      p = put_str(p, VOCAB[(words >> (6 * j)) & 63]);
    }
    *p++ = '\n';
  }
  return (size_t)(p - buf);
}

/* Stops the program on text etl_render cannot have made: a bug here, not
 * bad data (bad data is an invalid amount, which is counted). */
static inline void etl_bad_line(const char *p) {
  fprintf(stderr, "plain etl: malformed line: %.60s\n", p);
  exit(3);
}

/* Reads digits up to `stop`; *p is left on the stop byte. */
static inline uint64_t get_dec(const char **p, char stop) {
  const char *s = *p;
  uint64_t v = 0;
  if (*s == stop) {
    etl_bad_line(s);
  }
  for (; *s != stop; s++) {
    if (*s < '0' || *s > '9') {
      etl_bad_line(s);
    }
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *p = s;
  return v;
}

/* The amount field [s, e): digits '.' digit digit, else invalid (0). */
static inline int get_amount(const char *s, const char *e, uint64_t *cents) {
  if (e - s < 4 || e - s > 19 || e[-3] != '.') {
    return 0;
  }
  uint64_t v = 0;
  for (const char *q = s; q < e; q++) {
    if (q == e - 3) {
      continue;
    }
    if (*q < '0' || *q > '9') {
      return 0;
    }
    v = v * 10 + (uint64_t)(*q - '0');
  }
  *cents = v;
  return 1;
}

/* parse, transform, aggregate into *t and the load lines into out (room
 * for one LINE_MAX_OUT per record of the text); returns the bytes written
 * to out. */
static inline size_t etl_run(const char *csv, size_t len, uint64_t rounds, struct etl_total *t,
                             char *out) {
  static const char HEX[] = "0123456789abcdef";
  const char *p = csv, *end = csv + len;
  char *o = out;
  while (p < end) {
    uint64_t id = get_dec(&p, ',');
    p++;
    uint64_t user = get_dec(&p, ',');
    const char *cs = ++p;
    while (*p != ',') {
      p++;
    }
    int cat = -1;
    for (int c = 0; c < 8; c++) {
      if ((size_t)(p - cs) == CAT_LEN[c] && memcmp(cs, CATS[c], CAT_LEN[c]) == 0) {
        cat = c;
      }
    }
    if (cat < 0) {
      etl_bad_line(cs);
    }
    const char *as = ++p;
    while (*p != ',') {
      p++;
    }
    uint64_t cents = 0;
    int valid = get_amount(as, p, &cents);
    const char *text = ++p;
    const char *eol = (const char *)memchr(p, '\n', (size_t)(end - p));
    if (!eol) {
      etl_bad_line(text);
    }
    p = eol + 1;
    if (!valid) {
      t->invalid++;
      continue;
    }
    /* transform: whole-text and per-word FNV-1a in one pass */
    uint64_t feat[16] = {0};
    uint64_t th = FNV_OFF, wh = FNV_OFF;
    for (const char *q = text; q < eol; q++) {
      unsigned char c = (unsigned char)*q;
      th = (th ^ c) * FNV_MUL;
      if (c == ' ') {
        feat[wh & 15]++;
        wh = FNV_OFF;
      } else {
        wh = (wh ^ c) * FNV_MUL;
      }
    }
    feat[wh & 15]++; /* the last word: the text never ends in a space */
    uint64_t fh = 0;
    for (int j = 0; j < 16; j++) {
      fh = fh * 31 + feat[j];
    }
    uint64_t x = th ^ (id * GOLDEN);
    for (uint64_t r = 0; r < rounds; r++) {
      x = mix64(x + GOLDEN);
    }
    unsigned bucket = (unsigned)(x >> 60);
    uint64_t digest = mix64(x ^ cents ^ (user << 24) ^ fh);
    /* aggregate */
    t->valid++;
    t->checksum += digest;
    t->hist[bucket]++;
    t->count[cat]++;
    t->cents[cat] += cents;
    t->bucket[cat] += bucket;
    /* load line */
    o = put_dec(o, id);
    *o++ = ',';
    memcpy(o, CATS[cat], CAT_LEN[cat]);
    o += CAT_LEN[cat];
    *o++ = ',';
    o = put_cents(o, cents);
    *o++ = ',';
    o = put_dec(o, bucket);
    *o++ = ',';
    for (int s = 60; s >= 0; s -= 4) {
      *o++ = HEX[(digest >> s) & 15];
    }
    *o++ = '\n';
  }
  return (size_t)(o - out);
}

static inline void etl_merge(struct etl_total *into, const struct etl_total *a) {
  into->valid += a->valid;
  into->invalid += a->invalid;
  into->checksum += a->checksum;
  for (int b = 0; b < 16; b++) {
    into->hist[b] += a->hist[b];
  }
  for (int c = 0; c < 8; c++) {
    into->count[c] += a->count[c];
    into->cents[c] += a->cents[c];
    into->bucket[c] += a->bucket[c];
  }
}

/* The result as gnxbench's etl summary has it (same keys, checksum as 16
 * hex digits), in one JSON object, so that bench/plain.sh can compare the
 * two with ==. */
static inline void etl_print_summary(FILE *f, const struct etl_total *t, uint64_t bytes) {
  fprintf(f, "{\"records\": %llu, \"valid\": %llu, \"invalid\": %llu, \"checksum\": \"%016llx\", "
             "\"histogram\": [",
          (unsigned long long)(t->valid + t->invalid), (unsigned long long)t->valid,
          (unsigned long long)t->invalid, (unsigned long long)t->checksum);
  for (int b = 0; b < 16; b++) {
    fprintf(f, "%s%llu", b ? ", " : "", (unsigned long long)t->hist[b]);
  }
  fprintf(f, "], \"categories\": {");
  for (int c = 0; c < 8; c++) {
    fprintf(f, "%s\"%s\": {\"count\": %llu, \"sum_cents\": %llu, \"sum_bucket\": %llu}",
            c ? ", " : "", CATS[c], (unsigned long long)t->count[c],
            (unsigned long long)t->cents[c], (unsigned long long)t->bucket[c]);
  }
  fprintf(f, "}, \"output_bytes\": %llu}", (unsigned long long)bytes);
}

#endif
