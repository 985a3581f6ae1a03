/* SPDX-License-Identifier: MIT */
/* core/sim.c: the discrete-event simulation behind every engine's model
 * (gnx/model.h).
 *
 * Time moves from event to event: a worker's CPU work or sleep ends, a
 * woken worker is ready, a timer expires. Between events every worker that
 * computes gets min(1, cpus / computing) of a CPU (processor sharing, what
 * the kernel's fair scheduler approximates), so a pipeline of more threads
 * than CPUs slows down exactly when more of them compute at once. At each
 * event, finished workers hand their item on (or block on a full buffer)
 * and free workers take the next item they may take, until nothing moves. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnx/model.h"

enum { W_IDLE, W_WAKE, W_RUN, W_BLOCKED };

struct sim_worker {
  unsigned phase;
  int state;
  uint64_t item;
  double cpu_left, sleep_left; /* W_RUN: CPU work, then time off CPU */
  double until;                /* W_WAKE: ready at */
  double since;                /* W_IDLE, W_BLOCKED: since when */
  int then_idle;               /* W_WAKE after an unblock: idle afterwards, not run */
};

struct sim_phase_st {
  uint64_t *fifo;  /* items waiting, in arrival order (not in-order phases) */
  uint64_t head, tail;
  uint64_t count;     /* items holding a place in the buffer */
  uint64_t released;  /* in-order phases: items that gave their place back */
  uint64_t next;      /* in-order phases: the next item to take */
};

struct sim {
  const struct gnx_sim *g;
  const struct gnx_model_in *in;
  unsigned n_stages, nw;
  uint64_t items, next_claim, delivered;
  double now;
  struct sim_worker *w;
  struct sim_phase_st *ph;
  int *item_at;     /* phase whose buffer holds item i, -1: none */
  double *arrived;  /* when it arrived there */
  double *ready_at; /* timer phases: when it may be taken */
};

static double sim_cost(const struct sim *S, unsigned s, uint64_t i) {
  const struct gnx_profile *p = S->in->profile;
  double c = p->cost_s[i * (p->n_stages + 1) + s];
  return S->in->scale ? c * S->in->scale[s] : c;
}

/* What phase k asks of a worker for item i: CPU, then time off CPU. */
static void sim_work(const struct sim *S, unsigned k, uint64_t i, double *cpu, double *off) {
  const struct gnx_sim_phase *p = &S->g->phase[k];
  double bytes = S->in->profile->bytes_per_item;
  *cpu = p->extra_s + p->per_byte_s * bytes + (i < p->first_items ? p->first_per_byte_s * bytes : 0);
  *off = p->sleep_s;
  for (unsigned s = p->lo; s <= p->hi && p->lo <= p->hi; s++) {
    *cpu += sim_cost(S, s, i);
    if (s == S->n_stages && !p->timer_wait) {
      *off += S->in->profile->sink_wait_s;
    }
  }
}

static int sim_room(const struct sim *S, unsigned k, uint64_t i) {
  const struct gnx_sim_phase *p = &S->g->phase[k];
  const struct sim_phase_st *st = &S->ph[k];
  if (p->capacity == 0) {
    return 1;
  }
  return p->in_order ? i < st->released + p->capacity : st->count < p->capacity;
}

static void sim_put(struct sim *S, unsigned k, uint64_t i) {
  const struct gnx_sim_phase *p = &S->g->phase[k];
  struct sim_phase_st *st = &S->ph[k];
  S->item_at[i] = (int)k;
  S->arrived[i] = S->now;
  S->ready_at[i] = p->timer_wait ? S->now + S->in->profile->sink_wait_s : S->now;
  st->count++;
  if (!p->in_order) {
    st->fifo[st->tail++ % S->items] = i;
  }
}

/* Give item i's place in phase k's buffer back. */
static void sim_release(struct sim *S, unsigned k) {
  S->ph[k].count--;
  S->ph[k].released++;
}

/* Hand worker w's finished item on. Returns 1 when it went. */
static int sim_push(struct sim *S, struct sim_worker *w) {
  unsigned k = w->phase;
  int last = k + 1 == S->g->n_phases;
  if (!last && !sim_room(S, k + 1, w->item)) {
    return 0; /* a held place stays held until the item can go */
  }
  if (S->g->phase[k].hold) {
    sim_release(S, k);
  }
  if (last) {
    S->delivered++;
  } else {
    sim_put(S, k + 1, w->item);
  }
  return 1;
}

/* The item a free worker of phase k may take now, or -1. */
static int64_t sim_take(struct sim *S, unsigned k) {
  const struct gnx_sim_phase *p = &S->g->phase[k];
  struct sim_phase_st *st = &S->ph[k];
  uint64_t i;
  if (k == 0) {
    i = S->next_claim;
    if (i >= S->items || (S->g->window && i >= S->delivered + S->g->window)) {
      return -1;
    }
    S->next_claim++;
    return (int64_t)i;
  }
  if (p->in_order) {
    i = st->next;
    if (i >= S->items || S->item_at[i] != (int)k || S->ready_at[i] > S->now) {
      return -1;
    }
    st->next++;
  } else {
    if (st->head == st->tail) {
      return -1;
    }
    i = st->fifo[st->head++ % S->items];
  }
  S->item_at[i] = -1;
  if (!p->hold) {
    sim_release(S, k);
  }
  return (int64_t)i;
}

static void sim_start(struct sim *S, struct sim_worker *w, uint64_t i) {
  const struct gnx_sim_phase *p = &S->g->phase[w->phase];
  w->item = i;
  sim_work(S, w->phase, i, &w->cpu_left, &w->sleep_left);
  /* it slept if it waited for this item (or, claiming, for the window) */
  int slept = w->phase == 0 ? w->since < S->now : S->arrived[i] > w->since;
  if (slept && p->wake_s > 0) {
    w->state = W_WAKE;
    w->until = S->now + p->wake_s;
    w->then_idle = 0;
  } else {
    w->state = W_RUN;
  }
}

/* Let everything that can move now move. */
static void sim_settle(struct sim *S) {
  for (int moved = 1; moved;) {
    moved = 0;
    for (unsigned x = S->nw; x-- > 0;) { /* downstream first: it frees room */
      struct sim_worker *w = &S->w[x];
      if (w->state == W_BLOCKED && sim_push(S, w)) {
        double wake = S->g->phase[w->phase].wake_s;
        moved = 1;
        if (w->since < S->now && wake > 0) {
          w->state = W_WAKE; /* it slept on the full buffer */
          w->until = S->now + wake;
          w->then_idle = 1;
        } else {
          w->state = W_IDLE;
          w->since = S->now;
        }
      }
      if (w->state == W_IDLE) {
        int64_t i = sim_take(S, w->phase);
        if (i >= 0) {
          sim_start(S, w, (uint64_t)i);
          moved = 1;
        }
      }
    }
  }
}

/* The time to the next event, and the share of a CPU each computing
 * worker gets until then. */
static double sim_next(const struct sim *S, double *rate) {
  unsigned computing = 0;
  for (unsigned x = 0; x < S->nw; x++) {
    computing += S->w[x].state == W_RUN && S->w[x].cpu_left > 0;
  }
  *rate = computing > S->in->cpus ? (double)S->in->cpus / computing : 1.0;
  double dt = INFINITY;
  for (unsigned x = 0; x < S->nw; x++) {
    const struct sim_worker *w = &S->w[x];
    if (w->state == W_RUN) {
      dt = fmin(dt, w->cpu_left > 0 ? w->cpu_left / *rate : w->sleep_left);
    } else if (w->state == W_WAKE) {
      dt = fmin(dt, w->until - S->now);
    }
  }
  for (unsigned k = 1; k < S->g->n_phases; k++) { /* a timer that lets an item go */
    uint64_t i = S->ph[k].next;
    if (S->g->phase[k].timer_wait && i < S->items && S->item_at[i] == (int)k &&
        S->ready_at[i] > S->now) {
      dt = fmin(dt, S->ready_at[i] - S->now);
    }
  }
  return dt;
}

static void sim_advance(struct sim *S, double dt, double rate) {
  S->now += dt;
  for (unsigned x = 0; x < S->nw; x++) {
    struct sim_worker *w = &S->w[x];
    if (w->state == W_RUN && w->cpu_left > 0) {
      w->cpu_left = w->cpu_left - dt * rate > 1e-12 ? w->cpu_left - dt * rate : 0;
    } else if (w->state == W_RUN) {
      w->sleep_left = w->sleep_left - dt > 1e-12 ? w->sleep_left - dt : 0;
    }
    if (w->state == W_RUN && w->cpu_left == 0 && w->sleep_left == 0) {
      w->state = W_BLOCKED; /* done: sim_settle hands the item on, or it blocks */
      w->since = S->now;
    } else if (w->state == W_WAKE && w->until <= S->now + 1e-12) {
      w->state = w->then_idle ? W_IDLE : W_RUN;
      w->since = S->now;
    }
  }
}

static int sim_init(struct sim *S, const struct gnx_sim *g, const struct gnx_model_in *in) {
  memset(S, 0, sizeof *S);
  S->g = g;
  S->in = in;
  S->n_stages = in->profile->n_stages;
  S->items = in->profile->items;
  if (g->n_phases == 0 || g->n_phases > GNX_SIM_MAX_PHASES || in->cpus == 0 || S->items == 0) {
    return -EINVAL;
  }
  for (unsigned k = 0; k < g->n_phases; k++) {
    const struct gnx_sim_phase *p = &g->phase[k];
    if (p->workers == 0 || (p->lo <= p->hi && p->hi > S->n_stages)) {
      return -EINVAL;
    }
    S->nw += p->workers;
  }
  S->w = calloc(S->nw, sizeof *S->w);
  S->ph = calloc(g->n_phases, sizeof *S->ph);
  S->item_at = malloc(S->items * sizeof *S->item_at);
  S->arrived = calloc(S->items, sizeof *S->arrived);
  S->ready_at = calloc(S->items, sizeof *S->ready_at);
  if (!S->w || !S->ph || !S->item_at || !S->arrived || !S->ready_at) {
    return -ENOMEM;
  }
  for (uint64_t i = 0; i < S->items; i++) {
    S->item_at[i] = -1;
  }
  for (unsigned k = 0, x = 0; k < g->n_phases; k++) {
    if (!g->phase[k].in_order && !(S->ph[k].fifo = malloc(S->items * sizeof(uint64_t)))) {
      return -ENOMEM;
    }
    for (unsigned j = 0; j < g->phase[k].workers; j++, x++) {
      S->w[x].phase = k;
      S->w[x].state = W_IDLE;
    }
  }
  return 0;
}

static void sim_free(struct sim *S) {
  for (unsigned k = 0; S->ph && k < S->g->n_phases; k++) {
    free(S->ph[k].fifo);
  }
  free(S->w);
  free(S->ph);
  free(S->item_at);
  free(S->arrived);
  free(S->ready_at);
}

int gnx_sim_run(const struct gnx_sim *sim, const struct gnx_model_in *in, double *wall_s) {
  struct sim S;
  int rc = sim_init(&S, sim, in);
  while (rc == 0 && S.delivered < S.items) {
    sim_settle(&S);
    if (S.delivered == S.items) {
      break;
    }
    double rate, dt = sim_next(&S, &rate);
    if (!isfinite(dt)) {
      rc = -EDEADLK; /* nothing can happen and items are left */
      break;
    }
    sim_advance(&S, dt, rate);
  }
  if (rc == 0) {
    *wall_s = S.now;
  }
  sim_free(&S);
  return rc;
}
