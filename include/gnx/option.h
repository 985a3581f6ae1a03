/* SPDX-License-Identifier: MIT */
/* gnx/option.h: options that workloads and engines declare.
 *
 * A plugin lists its options in a table ending with GNX_OPTIONS_END. The
 * harness turns each into a --name command-line flag, validates the value by
 * type before anything runs, applies the default, and hands the plugin a
 * gnx_params. Plugins read values with gnx_param_*(), which never fail for a
 * declared name (asking for an undeclared name is a bug and aborts). */
#ifndef GNX_OPTION_H
#define GNX_OPTION_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum gnx_opt_type {
  GNX_OPT_U64 = 1, /* unsigned integer; accepts k/m/g suffixes (x1000) */
  GNX_OPT_STR,     /* free text; the plugin validates it in setup */
  GNX_OPT_DOUBLE,  /* floating-point number */
};

/* The value "auto" is accepted besides the type's values: the engine's
 * model chooses it (a sizing option: workers, queue depths, slots). */
#define GNX_OPT_F_AUTO 1u
/* The value sets the size (gnn's --graph: the file's node count): the
 * workload then runs at one size, the one its setup reports in
 * gnx_workload_info.size, and --sizes beside the option is a usage error. */
#define GNX_OPT_F_SIZE 2u

struct gnx_option {
  const char *name;      /* flag without dashes: "work" -> --work */
  enum gnx_opt_type type;
  const char *def;       /* default as it would be typed, or NULL: unset */
  const char *help;      /* one line */
  /* For U64: the inclusive range. Every U64 option has an upper bound
   * (registration refuses max 0): a count or a duration without one lets
   * --io-latency-us 99999999999 sleep for a day. Seeds take UINT64_MAX. */
  uint64_t min, max;
  unsigned flags;        /* GNX_OPT_F_* */
};

#define GNX_OPTIONS_END {NULL, 0, NULL, NULL, 0, 0, 0}

struct gnx_param {
  const struct gnx_option *opt;
  const char *value; /* the text given, or opt->def, or NULL */
  int given;         /* 1 when typed on the command line */
};

struct gnx_params {
  uint64_t n;                  /* the size being run (--sizes value) */
  const struct gnx_param *v;   /* one per declared option */
  size_t count;
};

uint64_t gnx_param_u64(const struct gnx_params *p, const char *name);
/* 1 when the value is "auto" (GNX_OPT_F_AUTO options only). */
int gnx_param_is_auto(const struct gnx_params *p, const char *name);
/* The value, or `fallback` when it is "auto": what an engine uses when it
 * runs without the harness's tuning (the unit tests). */
uint64_t gnx_param_u64_auto(const struct gnx_params *p, const char *name, uint64_t fallback);
double gnx_param_double(const struct gnx_params *p, const char *name);
/* NULL when the option is unset and has no default. */
const char *gnx_param_str(const struct gnx_params *p, const char *name);
/* 1 when the user typed the option, 0 when it took its default. */
int gnx_param_given(const struct gnx_params *p, const char *name);

/* The --stage-scale option, for workloads with a cost knob per stage:
 * "STAGE=FACTOR,..." multiplies a stage's cost, so that a what-if the
 * model predicts ("transform 2x cheaper": transform=0.5) can be measured. */
#define GNX_OPTION_STAGE_SCALE                                                               \
  {"stage-scale", GNX_OPT_STR, NULL,                                                         \
   "multiply stages' costs, e.g. transform=0.5 (a what-if to measure against predict)", 0,   \
   0, 0}

/* Parse a STAGE=FACTOR,... value of option opt (--stage-scale, or
 * predict's --what-if, named in the message) against the stage
 * names[0..n): factor[s] gets each named stage's factor (others
 * untouched), 0.01..100. Returns 0, or GNX_EUSAGE with one line in why
 * (256 bytes, as GNX_WHY_MAX). */
int gnx_stage_scale_parse(const char *opt, const char *spec, const char *const *names,
                          unsigned n, double *factor, char *why);

/* Parse "25k", "1m", "100000" (k, m, g multiply by 1000; no sign, no
 * exponent, no overflow). Returns 0 or GNX_EUSAGE. */
int gnx_parse_u64(const char *s, uint64_t *out);

#ifdef __cplusplus
}
#endif

#endif
