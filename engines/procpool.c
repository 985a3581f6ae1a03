/* SPDX-License-Identifier: MIT */
/* engines/procpool.c: forked worker processes run whole items.
 *
 * `workers` processes are forked once per run. Each claims the next item
 * index from a shared counter, runs the source and every stage on it, and
 * hands the result to the parent, which (worker 0, "sink") delivers items
 * in order. Two transports show what moving results between processes costs:
 *
 *   shm   the shared-memory ring (engines/common/ring.h): item i is copied
 *         into slot i % slots and read in place by the parent, no system
 *         call on the fast path.
 *   pipe  explicit serialization: each worker writes frames
 *         [item u64][len u64][bytes] to its own pipe; the parent polls all
 *         pipes and reads each body straight into a reorder buffer. Memory
 *         is bounded by a process-shared counting semaphore of `slots`
 *         credits: a worker takes one before claiming an item, the parent
 *         returns it after delivering that item.
 *
 * Everything shared lives in MAP_SHARED|MAP_ANONYMOUS mappings made before
 * the fork (the ring, and a control block with the credits and each
 * worker's current item and error), so nothing is named in /dev/shm and
 * nothing can leak when a process dies. Children die with the parent
 * (PR_SET_PDEATHSIG); the parent never blocks without a timeout except to
 * reap a child it has just SIGKILLed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ring.h"
#include "gnx/engine.h"

#define PP_NO_ITEM UINT64_MAX
#define PP_POLL_MS 2          /* parent: longest sleep before checking children and stop */
#define PP_PIPE_BYTES (1 << 20) /* ask for 1 MiB pipes: whole frames per system call */
#define PP_CHILD_POLL_MS 50   /* child: how often a blocked write checks for an orphaned child */

static const struct gnx_option procpool_options[] = {
    {"workers", GNX_OPT_U64, "0", "worker threads or processes (0 = one per CPU)", 0, 0},
    {"transport", GNX_OPT_STR, "shm",
     "procpool: how results reach the parent: shm (shared-memory ring) or pipe (serialized)", 0,
     0},
    {"ring-slots", GNX_OPT_U64, "0", "items buffered between workers and the sink (0 = 4 x workers)",
     0, 1u << 20},
    {"slot-bytes", GNX_OPT_U64, "16m", "largest item a shared-memory slot holds", 1, 0},
    GNX_OPTIONS_END,
};

/* One per worker, in the control mapping: what it is doing, for the
 * parent's error messages when it dies. Own cache line each. */
struct pp_wstate {
  _Atomic uint64_t item; /* item in hand, or PP_NO_ITEM */
  _Atomic uint64_t len;  /* its size, for GNX_ETOOBIG */
  _Atomic int32_t rc;    /* a failure the worker caught itself */
  _Atomic uint32_t stage;
} __attribute__((aligned(64)));

struct pp_ctl {
  sem_t credits; /* pipe transport: items claimed and not yet delivered */
  char pad[64];
  struct pp_wstate w[]; /* index 0 unused: worker k is w[k] */
};

/* Parent-side view of one child. */
struct pp_child {
  pid_t pid;    /* 0 once reaped */
  int fd;       /* pipe: read end, -1 after EOF */
  int wfd;      /* pipe: write end (parent closes it after the fork) */
  /* pipe frame being read */
  uint64_t hdr[2];
  size_t hgot, bgot;
  struct gnx_buf *body; /* reorder buffer being filled, NULL between frames */
};

struct pp_ctx {
  struct gnx_run *run;
  const struct gnx_workload *wl;
  unsigned n;     /* workers */
  unsigned slots; /* ring slots or pipe credits */
  size_t slot_bytes;
  int pipe_mode;
  pid_t parent;
  struct gnx_ring *ring;
  struct pp_ctl *ctl;
  size_t ctl_size;
  struct gnx_worker sinkw;
  struct gnx_worker *ww; /* ww[k] for worker k = 1..n */
  struct pp_child *ch;   /* ch[k] for worker k = 1..n */
  unsigned alive;        /* children not yet reaped */
  unsigned idle_polls;   /* polls seen with every child gone */
  int failed;            /* a child died or failed: run->errmsg says which */
  /* pipe transport: reorder buffer of `slots` items */
  struct gnx_buf *rb;
  uint8_t *have;
  uint64_t next; /* next item to deliver */
};

static void pp_msg(struct pp_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pp_msg(struct pp_ctx *c, const char *fmt, ...) {
  if (c->run->errmsg[0]) {
    return; /* keep the first cause */
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->run->errmsg, sizeof c->run->errmsg, fmt, ap);
  va_end(ap);
}

/* ---- children --------------------------------------------------------------- */

static int pp_child_poll(void *arg) {
  struct pp_ctx *c = arg;
  return getppid() != c->parent ? -ESRCH : 0; /* orphaned: give up */
}

static void pp_child_fail(struct pp_ctx *c, unsigned k, int rc, unsigned stage, size_t len) {
  atomic_store(&c->ctl->w[k].stage, stage);
  atomic_store(&c->ctl->w[k].len, len);
  atomic_store(&c->ctl->w[k].rc, rc);
  _exit(1);
}

/* Write all of iov to a non-blocking pipe; time blocked on a full pipe is
 * wait_out (the parent is behind), the copying itself is transport. */
static int pp_write_frame(struct pp_ctx *c, struct gnx_worker *w, int fd, uint64_t item,
                          struct iovec *iov, int cnt) {
  unsigned last = c->wl->n_stages - 1;
  while (cnt > 0) {
    ssize_t n = writev(fd, iov, cnt);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno != EAGAIN) {
        return -errno;
      }
      uint64_t t0 = gnx_now_ns();
      struct pollfd p = {fd, POLLOUT, 0};
      while (poll(&p, 1, PP_CHILD_POLL_MS) == 0 || (p.revents == 0 && errno == EINTR)) {
        if (pp_child_poll(c)) {
          return -ESRCH;
        }
      }
      gnx_worker_waited(w, GNX_SPAN_WAIT_OUT, last, item, t0);
      continue;
    }
    while (cnt > 0 && (size_t)n >= iov->iov_len) {
      n -= (ssize_t)iov->iov_len;
      iov++;
      cnt--;
    }
    if (cnt > 0) {
      iov->iov_base = (char *)iov->iov_base + n;
      iov->iov_len -= (size_t)n;
    }
  }
  return 0;
}

/* Take one credit: blocks while `slots` items wait for the sink. */
static void pp_credit_take(struct pp_ctx *c, struct gnx_worker *w) {
  if (sem_trywait(&c->ctl->credits) == 0) {
    return;
  }
  uint64_t t0 = gnx_now_ns();
  while (sem_wait(&c->ctl->credits) < 0) {
    /* EINTR: a signal; the parent kills us when it wants us gone */
  }
  gnx_worker_waited(w, GNX_SPAN_WAIT_OUT, c->wl->n_stages - 1, GNX_ITEM_NONE, t0);
}

static __attribute__((noreturn)) void pp_child_main(struct pp_ctx *c, unsigned k) {
  /* Never outlive the parent; if it died before the prctl, leave now. */
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() != c->parent) {
    _exit(1);
  }
  int myfd = -1;
  if (c->pipe_mode) {
    for (unsigned j = 1; j <= c->n; j++) {
      close(c->ch[j].fd);
      if (j != k) {
        close(c->ch[j].wfd);
      }
    }
    myfd = c->ch[k].wfd;
  }
  struct gnx_worker *w = &c->ww[k];
  const struct gnx_workload *wl = c->wl;
  struct pp_wstate *me = &c->ctl->w[k];
  int rc = gnx_worker_enter(w);
  if (rc < 0) {
    pp_child_fail(c, k, rc, 0, 0);
  }
  if (gnx_ring_gate_arrive_and_wait(c->ring, pp_child_poll, c) != 0) {
    _exit(1);
  }
  struct gnx_buf a = GNX_BUF_INIT, b = GNX_BUF_INIT;
  uint64_t items = c->run->info->items;
  for (;;) {
    if (c->pipe_mode) {
      pp_credit_take(c, w);
    }
    uint64_t i = gnx_ring_claim(c->ring);
    if (i >= items) {
      if (c->pipe_mode) {
        sem_post(&c->ctl->credits);
      }
      break;
    }
    atomic_store_explicit(&me->item, i, memory_order_relaxed);
    rc = gnx_worker_exec(w, 0, i, NULL, &a);
    for (unsigned s = 1; rc == 0 && s < wl->n_stages; s++) {
      rc = gnx_worker_exec(w, s, i, &a, &b);
      gnx_buf_swap(&a, &b);
      if (rc < 0) {
        pp_child_fail(c, k, rc, s, 0);
      }
    }
    if (rc < 0) {
      pp_child_fail(c, k, rc, 0, 0);
    }
    if (c->pipe_mode) {
      uint64_t hdr[2] = {i, a.len};
      struct iovec iov[2] = {{hdr, sizeof hdr}, {a.data, a.len}};
      rc = pp_write_frame(c, w, myfd, i, iov, a.len ? 2 : 1);
    } else {
      rc = gnx_ring_put(c->ring, i, &a, w, wl->n_stages - 1, pp_child_poll, c);
    }
    if (rc < 0) {
      pp_child_fail(c, k, rc, wl->n_stages, a.len);
    }
  }
  atomic_store_explicit(&me->item, PP_NO_ITEM, memory_order_relaxed);
  gnx_buf_free(&a);
  gnx_buf_free(&b);
  gnx_worker_exit(w);
  _exit(0);
}

/* ---- parent: children ----------------------------------------------------- */

static void pp_note_rusage(struct pp_ctx *c, const struct rusage *ru) {
  if (ru->ru_maxrss > c->run->child_maxrss_kb) {
    c->run->child_maxrss_kb = ru->ru_maxrss;
  }
}

/* A child ended with `status`: fine when it exited 0, otherwise describe it
 * in run->errmsg and return the code for the run. */
static int pp_child_ended(struct pp_ctx *c, unsigned k, int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return 0;
  }
  c->failed = 1;
  struct pp_wstate *ws = &c->ctl->w[k];
  uint64_t item = atomic_load(&ws->item);
  int wrc = atomic_load(&ws->rc);
  char where[48] = "before taking an item";
  if (item != PP_NO_ITEM) {
    snprintf(where, sizeof where, "at item %llu", (unsigned long long)item);
  }
  if (WIFEXITED(status) && wrc < 0) {
    unsigned stage = atomic_load(&ws->stage);
    if (wrc == GNX_ETOOBIG) {
      pp_msg(c,
             "procpool worker %u (pid %d): item %llu is %llu bytes, more than slot-bytes=%zu "
             "(raise --slot-bytes)",
             k, (int)c->ch[k].pid, (unsigned long long)item,
             (unsigned long long)atomic_load(&ws->len), c->slot_bytes);
    } else if (stage < c->wl->n_stages) {
      pp_msg(c, "procpool worker %u (pid %d) failed %s in stage %s: %s", k, (int)c->ch[k].pid,
             where, c->wl->stages[stage].name, gnx_strerror(wrc));
    } else {
      pp_msg(c, "procpool worker %u (pid %d) could not send %s to the sink: %s", k,
             (int)c->ch[k].pid, where, gnx_strerror(wrc));
    }
    return wrc;
  }
  char how[96];
  gnx_describe_status(status, how, sizeof how);
  pp_msg(c, "procpool worker %u (pid %d) %s %s", k, (int)c->ch[k].pid, how, where);
  return GNX_EWORKER;
}

/* Reap every child that has ended (no blocking). Returns 0 or the first
 * failure's code. */
static int pp_reap(struct pp_ctx *c) {
  int rc = 0;
  for (unsigned k = 1; k <= c->n; k++) {
    if (c->ch[k].pid <= 0) {
      continue;
    }
    int status;
    struct rusage ru;
    pid_t p = wait4(c->ch[k].pid, &status, WNOHANG, &ru);
    if (p == c->ch[k].pid) {
      pp_note_rusage(c, &ru);
      int crc = pp_child_ended(c, k, status);
      c->ch[k].pid = 0;
      c->alive--;
      if (rc == 0) {
        rc = crc;
      }
    }
  }
  return rc;
}

/* Called by every parent wait after each short sleep: give up on a stop
 * request or a dead child. */
static int pp_check(struct pp_ctx *c) {
  if (*c->run->stop) {
    pp_msg(c, "procpool: stopped by a signal");
    return GNX_ESTOPPED;
  }
  return pp_reap(c);
}

static int pp_poll(void *arg) {
  struct pp_ctx *c = arg;
  int rc = pp_check(c);
  if (rc) {
    return rc;
  }
  /* Every child exited cleanly but the wait goes on: the item will never
   * come. Require two polls in a row, because the waiter rechecks its
   * condition between polls and the last child may just have published. */
  if (c->alive == 0 && ++c->idle_polls >= 2) {
    pp_msg(c, "procpool: every worker exited before item %llu reached the sink",
           (unsigned long long)c->next);
    return GNX_EWORKER;
  }
  return 0;
}

/* SIGKILL what is left and reap it. The one untimed wait: a SIGKILLed child
 * cannot block its own death. */
static void pp_kill_all(struct pp_ctx *c) {
  for (unsigned k = 1; k <= c->n; k++) {
    if (c->ch[k].pid > 0) {
      kill(c->ch[k].pid, SIGKILL);
    }
  }
  for (unsigned k = 1; k <= c->n; k++) {
    if (c->ch[k].pid > 0) {
      int status;
      struct rusage ru;
      pid_t p;
      do {
        p = wait4(c->ch[k].pid, &status, 0, &ru);
      } while (p < 0 && errno == EINTR);
      if (p == c->ch[k].pid) {
        pp_note_rusage(c, &ru);
      }
      c->ch[k].pid = 0;
      c->alive--;
    }
  }
}

/* After the last item: children exit by themselves; wait for them in short
 * sleeps, watching for a stop request. */
static int pp_reap_all(struct pp_ctx *c) {
  int rc = 0;
  unsigned sleep_us = 50;
  while (c->alive) {
    int r = pp_reap(c);
    if (r && rc == 0) {
      rc = r;
    }
    if (!c->alive) {
      break;
    }
    if (*c->run->stop) {
      pp_kill_all(c);
      return rc ? rc : GNX_ESTOPPED;
    }
    struct timespec ts = {0, (long)sleep_us * 1000};
    nanosleep(&ts, NULL);
    sleep_us = sleep_us < 2000 ? sleep_us * 2 : 2000;
  }
  return rc;
}

/* ---- parent: consuming ---------------------------------------------------- */

/* Wait (at most about a second, in short sleeps) for child k to end, and
 * return its failure code; 0 when it ended cleanly or is still running. */
static int pp_await_child(struct pp_ctx *c, unsigned k) {
  for (int t = 0; t < 1000 && c->ch[k].pid > 0; t++) {
    int rc = pp_reap(c);
    if (rc) {
      return rc;
    }
    if (c->ch[k].pid <= 0 || *c->run->stop) {
      break;
    }
    struct timespec ts = {0, 1000000L};
    nanosleep(&ts, NULL);
  }
  return 0;
}

static int pp_consume_shm(struct pp_ctx *c, void *sink) {
  const struct gnx_workload *wl = c->wl;
  uint64_t items = c->run->info->items;
  for (c->next = 0; c->next < items; c->next++) {
    uint64_t i = c->next;
    if (*c->run->stop) {
      pp_msg(c, "procpool: stopped by a signal");
      return GNX_ESTOPPED;
    }
    const uint8_t *data;
    size_t len;
    int rc = gnx_ring_get(c->ring, i, &data, &len, &c->sinkw, wl->n_stages, pp_poll, c);
    if (rc) {
      return rc;
    }
    /* The sink reads the slot in place: no copy on this side. */
    struct gnx_buf view = {(uint8_t *)data, len, len};
    rc = gnx_sink_deliver(&c->sinkw, sink, i, &view, 0);
    gnx_ring_release(c->ring, i);
    if (rc < 0) {
      pp_msg(c, "procpool: sink %s failed at item %llu: %s", wl->sink_name, (unsigned long long)i,
             gnx_strerror(rc));
      return rc;
    }
  }
  return 0;
}

/* Read what child k's pipe holds now, completing frames into the reorder
 * buffer. Returns 0, 1 on end of file, or a negative code. */
static int pp_pipe_drain(struct pp_ctx *c, unsigned k) {
  struct pp_child *ch = &c->ch[k];
  for (;;) {
    void *dst;
    size_t want;
    if (!ch->body) {
      dst = (char *)ch->hdr + ch->hgot;
      want = sizeof ch->hdr - ch->hgot;
    } else {
      dst = ch->body->data + ch->bgot;
      want = ch->body->len - ch->bgot;
    }
    ssize_t n = read(ch->fd, dst, want);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno == EAGAIN ? 0 : -errno;
    }
    if (n == 0) {
      return ch->hgot || ch->body ? GNX_EFORMAT : 1; /* EOF mid-frame: it died writing */
    }
    if (!ch->body) {
      ch->hgot += (size_t)n;
      if (ch->hgot < sizeof ch->hdr) {
        continue;
      }
      uint64_t item = ch->hdr[0], len = ch->hdr[1];
      uint64_t k2 = item % c->slots;
      /* Credits keep every claimed item within `slots` of the next one. */
      if (item < c->next || item - c->next >= c->slots || c->have[k2] || len > SIZE_MAX / 2) {
        pp_msg(c, "procpool: worker %u sent a bad frame (item %llu, %llu bytes)", k,
               (unsigned long long)item, (unsigned long long)len);
        return GNX_EFORMAT;
      }
      struct gnx_buf *b = &c->rb[k2];
      int rc = gnx_buf_reserve(b, (size_t)len);
      if (rc < 0) {
        return rc;
      }
      b->len = (size_t)len;
      ch->body = b;
      ch->bgot = 0;
    } else {
      ch->bgot += (size_t)n;
    }
    if (ch->body && ch->bgot == ch->body->len) {
      c->have[ch->hdr[0] % c->slots] = 1;
      ch->body = NULL;
      ch->hgot = 0;
    }
    if ((size_t)n < want) {
      return 0; /* the pipe is (very likely) empty: back to poll */
    }
  }
}

static int pp_consume_pipe(struct pp_ctx *c, void *sink) {
  const struct gnx_workload *wl = c->wl;
  uint64_t items = c->run->info->items;
  struct pollfd *pfd = calloc(c->n, sizeof *pfd);
  unsigned *who = calloc(c->n, sizeof *who);
  if (!pfd || !who) {
    free(pfd);
    free(who);
    return -ENOMEM;
  }
  int rc = 0;
  uint64_t t_wait = gnx_now_ns();
  c->next = 0;
  while (rc == 0 && c->next < items) {
    if (*c->run->stop) { /* a steady stream of frames never times poll out */
      pp_msg(c, "procpool: stopped by a signal");
      rc = GNX_ESTOPPED;
      break;
    }
    struct gnx_buf *b = &c->rb[c->next % c->slots];
    if (c->have[c->next % c->slots]) {
      if (t_wait) {
        gnx_worker_waited(&c->sinkw, GNX_SPAN_WAIT_IN, wl->n_stages, c->next, t_wait);
        t_wait = 0;
      }
      rc = gnx_sink_deliver(&c->sinkw, sink, c->next, b, 0);
      if (rc < 0) {
        pp_msg(c, "procpool: sink %s failed at item %llu: %s", wl->sink_name,
               (unsigned long long)c->next, gnx_strerror(rc));
        break;
      }
      c->have[c->next % c->slots] = 0;
      c->next++;
      sem_post(&c->ctl->credits); /* one more item may be claimed */
      continue;
    }
    if (!t_wait) {
      t_wait = gnx_now_ns();
    }
    nfds_t nf = 0;
    for (unsigned k = 1; k <= c->n; k++) {
      if (c->ch[k].fd >= 0) {
        pfd[nf].fd = c->ch[k].fd;
        pfd[nf].events = POLLIN;
        who[nf++] = k;
      }
    }
    if (nf == 0) {
      /* Every pipe is closed and the item is missing: find out why. */
      rc = pp_check(c);
      if (rc == 0 && c->alive == 0) {
        pp_msg(c, "procpool: every worker exited before item %llu reached the sink",
               (unsigned long long)c->next);
        rc = GNX_EWORKER;
      }
      if (rc == 0) {
        struct timespec ts = {0, PP_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
      }
      continue;
    }
    int pr = poll(pfd, nf, PP_POLL_MS);
    if (pr < 0 && errno != EINTR) {
      rc = -errno;
      break;
    }
    int check = pr <= 0;
    for (nfds_t j = 0; pr > 0 && j < nf; j++) {
      if (!pfd[j].revents) {
        continue;
      }
      unsigned k = who[j];
      int d = pp_pipe_drain(c, k);
      if (d == 0) {
        continue;
      }
      close(c->ch[k].fd);
      c->ch[k].fd = -1;
      check = 1;
      if (d < 0) {
        /* A frame cut short: the child most likely died writing it, and
         * how it died explains this best. */
        rc = pp_await_child(c, k);
        if (rc == 0) {
          pp_msg(c, "procpool: worker %u's pipe ended in the middle of a frame", k);
          rc = d;
        }
        break;
      }
    }
    if (rc == 0 && check) {
      rc = pp_check(c);
    }
  }
  free(pfd);
  free(who);
  return rc;
}

/* ---- the engine --------------------------------------------------------------- */

static int pp_parse(struct pp_ctx *c) {
  struct gnx_run *run = c->run;
  uint64_t w = gnx_param_u64(run->params, "workers");
  const char *t = gnx_param_str(run->params, "transport");
  uint64_t slots = gnx_param_u64(run->params, "ring-slots");
  uint64_t sb = gnx_param_u64(run->params, "slot-bytes");
  if (!t || (strcmp(t, "shm") != 0 && strcmp(t, "pipe") != 0)) {
    snprintf(run->errmsg, sizeof run->errmsg,
             "procpool: --transport '%s': choose shm (shared-memory ring) or pipe (serialized "
             "frames)",
             t ? t : "");
    return GNX_EUSAGE;
  }
  c->pipe_mode = strcmp(t, "pipe") == 0;
  if (w == 0) {
    w = run->cpus ? run->cpus : 1;
  }
  uint32_t room = run->trace->max_workers - run->trace->n_workers;
  if (w + 1 > room) {
    snprintf(run->errmsg, sizeof run->errmsg,
             "procpool: workers=%llu is too many: the trace has room for %u workers besides the "
             "sink",
             (unsigned long long)w, room ? room - 1 : 0);
    return GNX_EUSAGE;
  }
  if (slots == 0) {
    slots = 4 * w;
  }
  if (slots > (1u << 20) || sb == 0) {
    snprintf(run->errmsg, sizeof run->errmsg, "procpool: ring-slots must be 1..%u", 1u << 20);
    return GNX_EUSAGE;
  }
  c->n = (unsigned)w;
  c->slots = (unsigned)slots;
  c->slot_bytes = (size_t)sb;
  return 0;
}

/* Make the mappings, pipes and worker registrations, all before forking. */
static int pp_prepare(struct pp_ctx *c) {
  struct gnx_run *run = c->run;
  const struct gnx_workload *wl = c->wl;
  c->ww = calloc(c->n + 1, sizeof *c->ww);
  c->ch = calloc(c->n + 1, sizeof *c->ch);
  if (!c->ww || !c->ch) {
    return -ENOMEM;
  }
  for (unsigned k = 0; k <= c->n; k++) {
    c->ch[k].fd = c->ch[k].wfd = -1;
  }
  /* In pipe mode the ring only carries the start gate and the claim
   * counter: one page-sized slot. */
  int rc = c->pipe_mode ? gnx_ring_new(&c->ring, 1, 1)
                        : gnx_ring_new(&c->ring, c->slots, c->slot_bytes);
  if (rc < 0) {
    snprintf(run->errmsg, sizeof run->errmsg, "procpool: cannot map a ring of %u x %zu bytes: %s",
             c->slots, c->slot_bytes, gnx_strerror(rc));
    return rc;
  }
  c->ctl_size = sizeof(struct pp_ctl) + (c->n + 1) * sizeof(struct pp_wstate);
  void *p = mmap(NULL, c->ctl_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    c->ctl = NULL;
    return -ENOMEM;
  }
  c->ctl = p;
  for (unsigned k = 0; k <= c->n; k++) {
    atomic_store(&c->ctl->w[k].item, PP_NO_ITEM);
  }
  if (c->pipe_mode) {
    if (sem_init(&c->ctl->credits, 1, c->slots) < 0) {
      return -errno;
    }
    c->rb = calloc(c->slots, sizeof *c->rb);
    c->have = calloc(c->slots, 1);
    if (!c->rb || !c->have) {
      return -ENOMEM;
    }
    for (unsigned k = 1; k <= c->n; k++) {
      int fds[2];
      if (pipe2(fds, O_CLOEXEC) < 0) {
        rc = -errno;
        snprintf(run->errmsg, sizeof run->errmsg, "procpool: pipe: %s", strerror(errno));
        return rc;
      }
      c->ch[k].fd = fds[0];
      c->ch[k].wfd = fds[1];
      /* Bigger pipes mean fewer wake-ups per frame; the default 64 KiB
       * stays if the system refuses. */
      (void)fcntl(fds[1], F_SETPIPE_SZ, PP_PIPE_BYTES);
      (void)fcntl(fds[0], F_SETFL, O_NONBLOCK);
      (void)fcntl(fds[1], F_SETFL, O_NONBLOCK);
    }
  }
  rc = gnx_worker_init(&c->sinkw, run, 0, "sink", wl->n_stages, wl->n_stages);
  for (unsigned k = 1; rc == 0 && k <= c->n; k++) {
    char name[GNX_TRACE_NAME_MAX];
    snprintf(name, sizeof name, "procpool.w%u", k);
    rc = gnx_worker_init(&c->ww[k], run, (int)k, name, 0, wl->n_stages - 1);
  }
  return rc;
}

static void pp_release(struct pp_ctx *c) {
  for (unsigned k = 1; c->ch && k <= c->n; k++) {
    if (c->ch[k].fd >= 0) {
      close(c->ch[k].fd);
    }
    if (c->ch[k].wfd >= 0) {
      close(c->ch[k].wfd);
    }
  }
  if (c->ctl) {
    if (c->pipe_mode) {
      sem_destroy(&c->ctl->credits);
    }
    munmap(c->ctl, c->ctl_size);
  }
  gnx_ring_free(c->ring);
  for (unsigned i = 0; c->rb && i < c->slots; i++) {
    gnx_buf_free(&c->rb[i]);
  }
  free(c->rb);
  free(c->have);
  free(c->ch);
  free(c->ww);
}

static int pp_run(struct gnx_run *run) {
  run->t_begin = gnx_now_ns();
  struct pp_ctx ctx;
  struct pp_ctx *c = &ctx;
  memset(c, 0, sizeof *c);
  c->run = run;
  c->wl = run->wl;
  c->parent = getpid();
  void *sink = NULL;
  int sink_entered = 0;
  int rc = pp_parse(c);
  if (rc == 0) {
    rc = pp_prepare(c);
  }
  if (rc < 0) {
    goto out;
  }
  /* The parent's sink state exists before any child, so a sink failure
   * costs no fork. */
  rc = gnx_worker_enter(&c->sinkw);
  sink_entered = 1;
  if (rc == 0) {
    rc = c->wl->sink_open(run->shared, &sink);
  }
  if (rc < 0) {
    pp_msg(c, "procpool: sink %s: %s", c->wl->sink_name, gnx_strerror(rc));
    goto out;
  }

  fflush(stdout); /* or buffered output is written by every child too */
  fflush(stderr);
  for (unsigned k = 1; k <= c->n; k++) {
    pid_t pid = fork();
    if (pid < 0) {
      rc = -errno;
      pp_msg(c, "procpool: fork of worker %u: %s", k, strerror(errno));
      break;
    }
    if (pid == 0) {
      pp_child_main(c, k);
    }
    c->ch[k].pid = pid;
    c->alive++;
  }
  for (unsigned k = 1; k <= c->n; k++) {
    if (c->ch[k].wfd >= 0) {
      close(c->ch[k].wfd); /* only the child writes: its death is our EOF */
      c->ch[k].wfd = -1;
    }
  }
  if (rc == 0) {
    rc = gnx_ring_gate_open(c->ring, c->n, pp_poll, c);
  }
  run->t_start = gnx_now_ns();
  if (rc == 0) {
    rc = c->pipe_mode ? pp_consume_pipe(c, sink) : pp_consume_shm(c, sink);
  }
  if (rc == 0) {
    rc = c->wl->sink_close(sink, &run->summary);
    sink = NULL;
    if (rc < 0) {
      pp_msg(c, "procpool: closing sink %s: %s", c->wl->sink_name, gnx_strerror(rc));
    }
  }
  run->t_end = gnx_now_ns();
  if (rc == 0) {
    rc = pp_reap_all(c); /* a worker that crashes on its way out still fails the run */
  }

out:
  if (c->alive) {
    pp_kill_all(c);
  }
  if (sink) {
    c->wl->sink_close(sink, NULL);
  }
  if (rc < 0 && run->summary) {
    json_decref(run->summary);
    run->summary = NULL;
  }
  if (!run->t_start) {
    run->t_start = run->t_end = gnx_now_ns();
  }
  if (sink_entered) {
    gnx_worker_exit(&c->sinkw);
  }
  pp_release(c);
  return rc;
}

const struct gnx_engine gnx_engine_procpool = {
    .abi = GNX_ENGINE_ABI,
    .name = "procpool",
    .summary = "forked worker processes run whole items claimed from a shared counter; results "
               "come back through shared memory or pipes",
    .flags = GNX_ENGINE_F_FORKS,
    .options = procpool_options,
    .run = pp_run,
};
