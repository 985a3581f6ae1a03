/* SPDX-License-Identifier: MIT */
/* core/tune.c: every strategy at its best before it is compared.
 *
 * As tf.data's AUTOTUNE does for its stages: start small, try each single
 * step (one more worker for one knob, or a doubled buffer), take the one
 * the engine's model says lowers the wall most, and stop when no step gains
 * 2 % or every knob is at the CPUs' limit. Parallelism is climbed first,
 * then buffer depths from their floors. The steps and the reason it
 * stopped are kept for the report. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/profile.h"

#define GNX_TUNE_GAIN 0.02 /* a step must lower the predicted wall this much */
#define GNX_TUNE_DEPTH_MAX 64 /* a depth climbs to at most 64 x its floor */

/* One knob as the climb sees it. */
struct gnx__knob {
  const struct gnx_knob *k;
  int slot;          /* its index in the tune's name/value arrays */
  int fixed;         /* given by the user */
  uint64_t v;        /* COUNT, DEPTH */
  uint64_t max;
  unsigned w[64];    /* STAGES: workers per stage */
};

/* The best step found in one round: its wall, knob, stage, value. */
struct gnx__best {
  double wall;
  int j, s;
  uint64_t v;
};

struct gnx__climb {
  const struct gnx_engine *e;
  const struct gnx_params *given;
  const struct gnx_model_in *in;
  struct gnx_tune *t;
  struct gnx__knob knob[GNX_TUNE_MAX_KNOBS];
  unsigned n;
};

static void gnx__stages_str(const struct gnx__climb *c, const struct gnx__knob *k, char *buf,
                            size_t len) {
  const struct gnx_profile *p = c->in->profile;
  size_t off = 0;
  buf[0] = '\0';
  for (unsigned s = 0; s < p->n_stages && off < len; s++) {
    if (k->w[s] != 1) {
      int m = snprintf(buf + off, len - off, "%s%s=%u", off ? "," : "", p->names[s], k->w[s]);
      off += m > 0 ? (size_t)m : 0;
    }
  }
  if (!buf[0]) {
    snprintf(buf, len, "1"); /* one worker each */
  }
}

/* Write the knobs' values into the tune's strings. */
static void gnx__render(struct gnx__climb *c) {
  for (unsigned j = 0; j < c->n; j++) {
    struct gnx__knob *k = &c->knob[j];
    if (k->fixed) {
      continue;
    }
    char *v = c->t->value[k->slot];
    if (k->k->kind == GNX_KNOB_STAGES) {
      gnx__stages_str(c, k, v, sizeof c->t->value[0]);
    } else {
      snprintf(v, sizeof c->t->value[0], "%llu", (unsigned long long)k->v);
    }
  }
}

static int gnx__eval(struct gnx__climb *c, double *wall_s) {
  gnx__render(c);
  return gnx_tune_predict(c->e, c->given, c->t, c->in, wall_s);
}

static uint64_t gnx__knob_value(const struct gnx__climb *c, const char *option) {
  for (unsigned j = 0; j < c->n; j++) {
    if (strcmp(c->knob[j].k->option, option) == 0) {
      return c->knob[j].v;
    }
  }
  uint64_t v = gnx_param_u64_auto(c->given, option, 0);
  return v ? v : c->in->cpus; /* a worker count: auto and 0 are one per CPU */
}

/* A depth's floor, which follows the option it is a multiple of. */
static uint64_t gnx__floor(const struct gnx__climb *c, const struct gnx__knob *k) {
  uint64_t per = k->k->per ? gnx__knob_value(c, k->k->per) : 1;
  return k->k->floor * (per ? per : 1);
}

static void gnx__knobs_init(struct gnx__climb *c) {
  const struct gnx_profile *p = c->in->profile;
  for (const struct gnx_knob *k = c->e->knobs; k && k->option && c->n < GNX_TUNE_MAX_KNOBS;
       k++) {
    struct gnx__knob *x = &c->knob[c->n];
    memset(x, 0, sizeof *x);
    x->k = k;
    x->slot = (int)c->t->n;
    x->fixed = !gnx_param_is_auto(c->given, k->option);
    x->v = x->fixed ? gnx_param_u64_auto(c->given, k->option, 1) : 1;
    if (x->fixed && x->v == 0 && k->kind == GNX_KNOB_COUNT) {
      x->v = c->in->cpus; /* 0: one per CPU */
    }
    x->max = k->kind == GNX_KNOB_DEPTH ? 0 : c->in->cpus;
    for (unsigned s = 0; s < p->n_stages && s < 64; s++) {
      x->w[s] = 1;
    }
    snprintf(c->t->name[c->t->n], sizeof c->t->name[0], "%s", k->option);
    const char *given = gnx_param_str(c->given, k->option);
    snprintf(c->t->value[c->t->n], sizeof c->t->value[0], "%s", given ? given : "");
    c->t->given[c->t->n] = x->fixed;
    c->t->tuned |= !x->fixed;
    c->t->n++;
    c->n++;
  }
  for (unsigned j = 0; j < c->n; j++) { /* depths start at their floors */
    if (c->knob[j].k->kind == GNX_KNOB_DEPTH && !c->knob[j].fixed) {
      c->knob[j].v = gnx__floor(c, &c->knob[j]);
      c->knob[j].max = c->knob[j].v * GNX_TUNE_DEPTH_MAX;
    }
  }
}

/* The candidate steps of one knob: kinds in `phase` only. Each step is
 * applied, evaluated and undone; the best is kept in *best_*. */
/* Evaluate the knob at value *slot = v (restored after); keep it in
 * *best when it is the best step so far. */
static void gnx__try_value(struct gnx__climb *c, uint64_t *slot, unsigned *wslot, uint64_t v,
                           struct gnx__best *best, int j, int s) {
  uint64_t old = slot ? *slot : *wslot;
  if (slot) {
    *slot = v;
  } else {
    *wslot = (unsigned)v;
  }
  double w;
  if (gnx__eval(c, &w) == 0 && w < best->wall) {
    *best = (struct gnx__best){w, j, s, v};
  }
  if (slot) {
    *slot = old;
  } else {
    *wslot = (unsigned)old;
  }
}

/* The candidate steps of one knob: one more worker or twice as many (a
 * doubling crosses the plateaus where items divide evenly among several
 * counts), a doubled depth. */
static void gnx__try_knob(struct gnx__climb *c, struct gnx__knob *k, struct gnx__best *best,
                          int *at_limit) {
  const struct gnx_profile *p = c->in->profile;
  int j = (int)(k - c->knob);
  if (k->k->kind == GNX_KNOB_STAGES) {
    for (unsigned s = 0; s < p->n_stages && s < 64; s++) {
      unsigned w = k->w[s];
      if (w < k->max) {
        *at_limit = 0;
        gnx__try_value(c, NULL, &k->w[s], w + 1, best, j, (int)s);
        if (2 * w > w + 1) {
          gnx__try_value(c, NULL, &k->w[s], 2 * w < k->max ? 2 * w : k->max, best, j, (int)s);
        }
      }
    }
    return;
  }
  if (k->v >= k->max) {
    return;
  }
  *at_limit = 0;
  if (k->k->kind == GNX_KNOB_DEPTH) {
    gnx__try_value(c, &k->v, NULL, k->v * 2, best, j, -1);
    return;
  }
  gnx__try_value(c, &k->v, NULL, k->v + 1, best, j, -1);
  if (2 * k->v > k->v + 1) {
    gnx__try_value(c, &k->v, NULL, 2 * k->v < k->max ? 2 * k->v : k->max, best, j, -1);
  }
}

static void gnx__step_record(struct gnx__climb *c, const char *change, double wall_s) {
  struct gnx_tune *t = c->t;
  if (t->n_steps < GNX_TUNE_MAX_STEPS) {
    snprintf(t->steps[t->n_steps].change, sizeof t->steps[0].change, "%s", change);
    t->steps[t->n_steps++].wall_s = wall_s;
  }
}

/* Climb the knobs of one kind class (depth or not) until no step pays. */
static int gnx__climb(struct gnx__climb *c, int depths, double *cur) {
  unsigned free_knobs = 0;
  for (unsigned j = 0; j < c->n; j++) {
    free_knobs += !c->knob[j].fixed && (c->knob[j].k->kind == GNX_KNOB_DEPTH) == depths;
  }
  if (!depths && free_knobs == 0) {
    int given = 0;
    for (unsigned j = 0; j < c->n; j++) {
      given |= c->knob[j].fixed && c->knob[j].k->kind != GNX_KNOB_DEPTH;
    }
    snprintf(c->t->stop, sizeof c->t->stop,
             given ? "the worker counts were given" : "the engine has no worker count to tune");
  }
  for (; free_knobs;) {
    struct gnx__best best = {*cur, -1, -1, 0};
    int at_limit = 1;
    for (unsigned j = 0; j < c->n; j++) {
      struct gnx__knob *k = &c->knob[j];
      if (!k->fixed && (k->k->kind == GNX_KNOB_DEPTH) == depths) {
        gnx__try_knob(c, k, &best, &at_limit);
      }
    }
    if (best.j < 0 || best.wall > *cur * (1 - GNX_TUNE_GAIN)) {
      if (!depths) {
        snprintf(c->t->stop, sizeof c->t->stop,
                 at_limit ? "every worker count is at the %u CPUs allowed"
                          : "no further worker gains 2 %% on %u CPUs",
                 c->in->cpus);
      }
      break;
    }
    struct gnx__knob *k = &c->knob[best.j];
    char change[96];
    if (best.s >= 0) {
      k->w[best.s] = (unsigned)best.v;
      snprintf(change, sizeof change, "%s=%u", c->in->profile->names[best.s], k->w[best.s]);
    } else {
      k->v = best.v;
      snprintf(change, sizeof change, "%s=%llu", k->k->option, (unsigned long long)k->v);
    }
    for (unsigned x = 0; x < c->n && !depths; x++) { /* depths at floor follow workers */
      struct gnx__knob *d = &c->knob[x];
      if (d->k->kind == GNX_KNOB_DEPTH && !d->fixed) {
        d->v = gnx__floor(c, d);
        d->max = d->v * GNX_TUNE_DEPTH_MAX;
      }
    }
    *cur = best.wall;
    gnx__step_record(c, change, best.wall);
  }
  return gnx__eval(c, cur); /* leave the strings at the current values */
}

int gnx_tune_engine(const struct gnx_engine *e, const struct gnx_params *given,
                    const struct gnx_model_in *in, struct gnx_tune *out) {
  memset(out, 0, sizeof *out);
  if (!e->model) {
    return -ENOSYS;
  }
  struct gnx__climb c = {.e = e, .given = given, .in = in, .t = out};
  gnx__knobs_init(&c);
  double cur;
  int rc = gnx__eval(&c, &cur);
  if (rc < 0) {
    return rc;
  }
  gnx__step_record(&c, "start", cur);
  if (!out->tuned) {
    snprintf(out->stop, sizeof out->stop, "%s",
             c.n ? "every sizing option was given" : "the engine has no sizing option to tune");
  } else {
    rc = gnx__climb(&c, 0, &cur);
    if (rc == 0) {
      rc = gnx__climb(&c, 1, &cur);
    }
  }
  out->wall_s = cur;
  return rc;
}

void gnx_tune_apply(const struct gnx_params *given, const struct gnx_tune *t,
                    struct gnx_param *v, struct gnx_params *out) {
  *out = *given;
  for (size_t i = 0; i < given->count; i++) {
    v[i] = given->v[i];
    for (unsigned j = 0; t && j < t->n; j++) {
      if (!t->given[j] && strcmp(t->name[j], v[i].opt->name) == 0) {
        v[i].value = t->value[j];
      }
    }
  }
  out->v = v;
}

int gnx_tune_predict(const struct gnx_engine *e, const struct gnx_params *given,
                     const struct gnx_tune *t, const struct gnx_model_in *in, double *wall_s) {
  if (!e->model) {
    return -ENOSYS;
  }
  struct gnx_param v[64];
  if (given->count > 64) {
    return -E2BIG;
  }
  struct gnx_params cfg;
  gnx_tune_apply(given, t, v, &cfg);
  return e->model(in, &cfg, wall_s);
}
