/* SPDX-License-Identifier: MIT */
/* core/option.c: reading declared options and parsing numbers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnx/err.h"
#include "gnx/option.h"

int gnx_parse_u64(const char *s, uint64_t *out) {
  if (!s || *s < '0' || *s > '9') {
    return GNX_EUSAGE;
  }
  uint64_t v = 0;
  const char *p = s;
  for (; *p >= '0' && *p <= '9'; p++) {
    uint64_t d = (uint64_t)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return GNX_EUSAGE;
    }
    v = v * 10 + d;
  }
  uint64_t mul = 1;
  if (*p == 'k' || *p == 'K') {
    mul = 1000;
    p++;
  } else if (*p == 'm' || *p == 'M') {
    mul = 1000000;
    p++;
  } else if (*p == 'g' || *p == 'G') {
    mul = 1000000000;
    p++;
  }
  if (*p != '\0' || (mul > 1 && v > UINT64_MAX / mul)) {
    return GNX_EUSAGE;
  }
  *out = v * mul;
  return 0;
}

static const struct gnx_param *gnx__param_find(const struct gnx_params *p, const char *name) {
  for (size_t i = 0; i < p->count; i++) {
    if (strcmp(p->v[i].opt->name, name) == 0) {
      return &p->v[i];
    }
  }
  /* Asking for an option the plugin did not declare is a programming error. */
  fprintf(stderr, "gnxbench: internal error: option --%s was not declared\n", name);
  abort();
}

uint64_t gnx_param_u64(const struct gnx_params *p, const char *name) {
  const struct gnx_param *v = gnx__param_find(p, name);
  uint64_t x = 0;
  if (v->value) {
    (void)gnx_parse_u64(v->value, &x); /* validated by the harness */
  }
  return x;
}

int gnx_param_is_auto(const struct gnx_params *p, const char *name) {
  const struct gnx_param *v = gnx__param_find(p, name);
  return v->value && strcmp(v->value, "auto") == 0;
}

uint64_t gnx_param_u64_auto(const struct gnx_params *p, const char *name, uint64_t fallback) {
  return gnx_param_is_auto(p, name) ? fallback : gnx_param_u64(p, name);
}

double gnx_param_double(const struct gnx_params *p, const char *name) {
  const struct gnx_param *v = gnx__param_find(p, name);
  return v->value ? strtod(v->value, NULL) : 0.0;
}

const char *gnx_param_str(const struct gnx_params *p, const char *name) {
  return gnx__param_find(p, name)->value;
}

int gnx_param_given(const struct gnx_params *p, const char *name) {
  return gnx__param_find(p, name)->given;
}

int gnx_stage_scale_parse(const char *opt, const char *spec, const char *const *names,
                          unsigned n, double *factor, char *why) {
  char copy[256];
  if (!spec || snprintf(copy, sizeof copy, "%s", spec) >= (int)sizeof copy) {
    snprintf(why, 256, "%s: give STAGE=FACTOR,... (at most 255 characters)", opt);
    return GNX_EUSAGE;
  }
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '='), *end = NULL;
    int s = -1;
    for (unsigned k = 0; eq && k < n; k++) {
      if (strncmp(tok, names[k], (size_t)(eq - tok)) == 0 && names[k][eq - tok] == '\0') {
        s = (int)k;
      }
    }
    double f = eq ? strtod(eq + 1, &end) : 0;
    if (s < 0 || !end || *end || end == eq + 1 || !(f >= 0.01 && f <= 100)) {
      char list[160] = "";
      for (unsigned k = 0; k < n; k++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", k ? ", " : "", names[k]);
      }
      snprintf(why, 256, "%s '%.40s': use STAGE=FACTOR,... with STAGE one of %.120s "
                         "and FACTOR 0.01..100",
               opt, spec, list);
      return GNX_EUSAGE;
    }
    factor[s] = f;
  }
  return 0;
}
