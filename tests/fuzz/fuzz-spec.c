/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz-spec.c: the small spec languages: --fault
 * worker=K,item=I,mode=..., --pin none|compact|scatter|LIST,
 * --stage-scale/--what-if STAGE=FACTOR,..., --order fixed|random:SEED and
 * the k/m/g numbers. The first byte picks the parser. */
#include "fuzz.h"
#include "core/pin.h"
#include "gnx/err.h"
#include "gnx/option.h"
#include "harness/cli.h"
#include "harness/schedule.h"

static void gnx__fault(const char *s) {
  struct gnx_fault f;
  if (gnx_fault_parse(s, &f) == 0) {
    GNX_FUZZ_ASSERT(f.enabled && f.worker >= 0 && f.worker < 1024 && f.sig != 0);
  }
}

static void gnx__pin(const char *s) {
  int list[64], n = 0;
  char why[256] = "";
  int pol = gnx_pin_parse(s, list, &n, 64, why, sizeof why);
  if (pol < 0) {
    GNX_FUZZ_ASSERT(why[0]);
  } else {
    GNX_FUZZ_ASSERT(n >= 0 && n <= 64);
    for (int i = 0; i < n; i++) {
      GNX_FUZZ_ASSERT(list[i] >= 0);
    }
  }
}

static void gnx__scale(const char *s) {
  static const char *const names[] = {"extract", "parse", "transform", "aggregate"};
  double f[4] = {1, 1, 1, 1};
  char why[256] = "";
  if (gnx_stage_scale_parse("--stage-scale", s, names, 4, f, why) == 0) {
    for (int i = 0; i < 4; i++) {
      GNX_FUZZ_ASSERT(f[i] >= 0.01 && f[i] <= 100);
    }
  } else {
    GNX_FUZZ_ASSERT(why[0]);
  }
}

static void gnx__order(const char *s) {
  struct gnx_order o;
  char why[256] = "";
  if (gnx_order_parse(s, &o, why, sizeof why) < 0) {
    GNX_FUZZ_ASSERT(why[0]);
  }
}

static void gnx__number(const char *s) {
  uint64_t v;
  if (gnx_parse_u64(s, &v) == 0) {
    GNX_FUZZ_ASSERT(s[0] >= '0' && s[0] <= '9');
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 1024) {
    return 0;
  }
  static void (*const parsers[])(const char *) = {gnx__fault, gnx__pin, gnx__scale, gnx__order,
                                                  gnx__number};
  char *s = gnx_fuzz_str(data + 1, size - 1);
  if (!s) {
    return 0;
  }
  parsers[data[0] % (sizeof parsers / sizeof parsers[0])](s);
  free(s);
  return 0;
}
