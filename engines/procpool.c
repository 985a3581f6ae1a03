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
 *         pipes and reads each body straight into the reorder window. Memory
 *         is bounded by a process-shared counting semaphore of `slots`
 *         credits: a worker takes one before claiming an item, the parent
 *         returns it after delivering that item.
 *
 * Everything shared lives in MAP_SHARED|MAP_ANONYMOUS mappings made before
 * the fork (the ring, and the credits), so nothing is named in /dev/shm and
 * nothing can leak when a process dies. The core forks and reaps the
 * children and says how one died; the parent never blocks without a timeout
 * except to reap a child it has just SIGKILLed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/options.h"
#include "common/ring.h"
#include "common/iov.h"
#include "gnx/engine.h"

#define PP_POLL_MS 2            /* parent: longest sleep before checking children and stop */
#define PP_PIPE_BYTES (1 << 20) /* ask for 1 MiB pipes: whole frames per system call */
#define PP_CHILD_POLL_MS 50     /* child: how often a blocked write checks for an orphaned child */

static const struct gnx_option procpool_options[] = {
    GNX_OPTION_WORKERS,
    {"transport", GNX_OPT_STR, "shm",
     "procpool: how results reach the parent: shm (shared-memory ring) or pipe (serialized)", 0,
     0, 0},
    GNX_OPTION_RING_SLOTS,
    GNX_OPTION_SLOT_BYTES,
    GNX_OPTIONS_END,
};

/* Parent-side view of one child's pipe frame being read. */
struct pp_frame {
  int fd;        /* read end, -1 after EOF */
  uint64_t hdr[2];
  size_t hgot, bgot;
  struct gnx_buf *body; /* window slot being filled, NULL between frames */
};

struct pp_ctx {
  struct gnx_run *run;
  const struct gnx_workload *wl;
  unsigned n;     /* workers */
  unsigned slots; /* ring slots or pipe credits */
  int pipe_mode;
  pid_t parent;
  struct gnx_ring *ring;
  sem_t *credits;        /* pipe transport, in a shared page */
  struct gnx_worker sinkw;
  struct gnx_worker *ww; /* ww[k] for worker k = 1..n */
  struct gnx_child *ch;  /* ch[k] */
  int *wfd;              /* pipe transport: write ends, wfd[k] */
  struct pp_frame *fr;   /* pipe transport: fr[k] */
  struct gnx_rob rob;    /* pipe transport: the reorder window */
  unsigned alive;        /* children not yet reaped */
  unsigned idle_polls;   /* polls seen with every child gone */
};

/* ---- children --------------------------------------------------------------- */

static int pp_child_poll(void *arg) {
  struct pp_ctx *c = arg;
  return getppid() != c->parent ? -ESRCH : 0; /* orphaned: give up */
}

/* Write all of iov to a non-blocking pipe; time blocked on a full pipe is
 * wait_out (the parent is behind), the copying itself is transport. */
static int pp_write_frame(struct pp_ctx *c, struct gnx_worker *w, int fd, uint64_t item,
                          struct iovec *iov, int cnt, uint64_t *t_copy) {
  while (cnt > 0) {
    ssize_t n = writev(fd, iov, cnt);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno != EAGAIN) {
      return -errno;
    }
    if (n < 0) {
      /* the copy so far is a copy span; the wait for room a wait_out */
      uint64_t t0 = gnx_worker_waited(w, GNX_SPAN_COPY, c->wl->n_stages - 1, item, *t_copy);
      struct pollfd p = {fd, POLLOUT, 0};
      while (poll(&p, 1, PP_CHILD_POLL_MS) <= 0 && p.revents == 0) {
        if (pp_child_poll(c)) {
          return -ESRCH;
        }
      }
      *t_copy = gnx_worker_waited(w, GNX_SPAN_WAIT_OUT, c->wl->n_stages - 1, item, t0);
      continue;
    }
    gnx_iov_advance(&iov, &cnt, (size_t)n);
  }
  return 0;
}

/* Take one credit: blocks while `slots` items wait for the sink. */
static void pp_credit_take(struct pp_ctx *c, struct gnx_worker *w) {
  if (sem_trywait(c->credits) == 0) {
    return;
  }
  uint64_t t0 = gnx_now_ns();
  while (sem_wait(c->credits) < 0) {
    /* EINTR: a signal; the parent kills us when it wants us gone */
  }
  gnx_worker_waited(w, GNX_SPAN_WAIT_OUT, c->wl->n_stages - 1, GNX_ITEM_NONE, t0);
}

static int pp_send(struct pp_ctx *c, struct gnx_worker *w, unsigned k, uint64_t i,
                   const struct gnx_buf *a) {
  if (!c->pipe_mode) {
    return gnx_ring_send(c->run, c->ring, i, a, w, c->wl->n_stages - 1, pp_child_poll, c);
  }
  uint64_t hdr[2] = {i, a->len};
  struct iovec iov[2] = {{hdr, sizeof hdr}, {a->data, a->len}};
  uint64_t t0 = gnx_now_ns();
  int rc = pp_write_frame(c, w, c->wfd[k], i, iov, a->len ? 2 : 1, &t0);
  gnx_worker_waited(w, GNX_SPAN_COPY, c->wl->n_stages - 1, i, t0);
  if (rc < 0) {
    gnx_run_fail(c->run, rc, "worker %s could not send item %llu to the sink: %s", w->tw->name,
                 (unsigned long long)i, gnx_strerror(rc));
  }
  return rc;
}

static __attribute__((noreturn)) void pp_child_main(struct pp_ctx *c, unsigned k) {
  for (unsigned j = 1; c->pipe_mode && j <= c->n; j++) {
    close(c->fr[j].fd);
    if (j != k) {
      close(c->wfd[j]);
    }
  }
  struct gnx_worker *w = &c->ww[k];
  int rc = gnx_worker_enter(w);
  if (rc == 0 && gnx_ring_gate_arrive_and_wait(c->ring, pp_child_poll, c) != 0) {
    gnx_child_exit(c->run, -ESRCH); /* the parent is gone: nobody to tell */
  }
  struct gnx_buf a = GNX_BUF_INIT, b = GNX_BUF_INIT;
  uint64_t items = c->run->info->items;
  while (rc == 0) {
    if (c->pipe_mode) {
      pp_credit_take(c, w);
    }
    uint64_t i = gnx_ring_claim(c->ring);
    if (i >= items) {
      if (c->pipe_mode) {
        sem_post(c->credits);
      }
      break;
    }
    rc = gnx_worker_run_stages(w, i, 0, c->wl->n_stages - 1, &a, &b);
    if (rc == 0) {
      rc = pp_send(c, w, k, i, &a);
    }
  }
  gnx_buf_free(&a);
  gnx_buf_free(&b);
  gnx_worker_exit(w);
  gnx_child_exit(c->run, rc);
}

/* ---- parent: children ----------------------------------------------------- */

/* Reap every child that has ended (no blocking). Returns the run's first
 * failure, or 0. */
static int pp_reap(struct pp_ctx *c) {
  for (unsigned k = 1; k <= c->n; k++) {
    if (c->ch[k].pid > 0 && gnx_child_reap(c->run, &c->ch[k], 0) != 0) {
      c->alive--;
    }
  }
  return gnx_run_failed(c->run);
}

/* Called by every parent wait after each short sleep: give up on a stop
 * request, a failure, or a dead child. */
static int pp_poll(void *arg) {
  struct pp_ctx *c = arg;
  int rc = gnx_run_check(c->run);
  if (rc == 0) {
    rc = pp_reap(c);
  }
  if (rc) {
    return rc;
  }
  /* Every child exited cleanly but the wait goes on: the item will never
   * come. Require two polls in a row, because the waiter rechecks its
   * condition between polls and the last child may just have published. */
  if (c->alive == 0 && ++c->idle_polls >= 2) {
    return gnx_run_fail(c->run, GNX_EWORKER,
                        "procpool: every worker exited before item %llu reached the sink",
                        (unsigned long long)c->rob.next);
  }
  return 0;
}

static void pp_kill_all(struct pp_ctx *c) {
  for (unsigned k = 1; k <= c->n; k++) {
    if (c->ch[k].pid > 0) {
      gnx_child_kill(c->run, &c->ch[k]);
      c->alive--;
    }
  }
}

/* After the last item: children exit by themselves; wait for them in short
 * sleeps, watching for a stop request. */
static int pp_reap_all(struct pp_ctx *c) {
  unsigned sleep_us = 50;
  while (c->alive && pp_reap(c) == 0 && c->alive) {
    if (gnx_run_check(c->run)) {
      break;
    }
    gnx_sleep_ns(sleep_us * 1000ull);
    sleep_us = sleep_us < 2000 ? sleep_us * 2 : 2000;
  }
  return gnx_run_failed(c->run);
}

/* ---- parent: consuming ---------------------------------------------------- */

static int pp_consume_shm(struct pp_ctx *c) {
  uint64_t items = c->run->info->items;
  for (uint64_t i = 0; i < items; i++) {
    const uint8_t *data;
    size_t len;
    c->rob.next = i; /* for pp_poll's message */
    int rc = gnx_run_check(c->run);
    if (rc == 0) {
      rc = gnx_ring_get(c->ring, i, &data, &len, &c->sinkw, c->wl->n_stages, pp_poll, c);
    }
    if (rc) {
      return rc;
    }
    /* The sink reads the slot in place: no copy on this side. */
    struct gnx_buf view = {(uint8_t *)data, len, 0}; /* cap 0: not ours to free */
    rc = gnx_run_deliver(c->run, &c->sinkw, i, &view, 0);
    gnx_ring_release(c->ring, i);
    if (rc < 0) {
      return rc;
    }
  }
  return 0;
}

/* A frame header arrived from child k: point the frame at its slot in the
 * window. Credits keep every claimed item inside the window. */
static int pp_frame_start(struct pp_ctx *c, unsigned k, struct pp_frame *f) {
  uint64_t item = f->hdr[0], len = f->hdr[1];
  if (!gnx_rob_fits(&c->rob, item) || len > SIZE_MAX / 2) {
    return gnx_run_fail(c->run, GNX_EFORMAT,
                        "procpool: worker %u sent a bad frame (item %llu, %llu bytes)", k,
                        (unsigned long long)item, (unsigned long long)len);
  }
  struct gnx_buf *b = gnx_rob_slot(&c->rob, item);
  int rc = gnx_buf_reserve(b, (size_t)len);
  if (rc < 0) {
    return gnx_run_fail(c->run, rc, "procpool: no memory for item %llu (%llu bytes)",
                        (unsigned long long)item, (unsigned long long)len);
  }
  b->len = (size_t)len;
  f->body = b;
  f->bgot = 0;
  return 0;
}

/* Read what child k's pipe holds now, completing frames into the window.
 * Returns 0, 1 on end of file, or a negative code. */
static int pp_pipe_drain(struct pp_ctx *c, unsigned k) {
  struct pp_frame *f = &c->fr[k];
  for (;;) {
    char *dst = f->body ? (char *)f->body->data + f->bgot : (char *)f->hdr + f->hgot;
    size_t want = f->body ? f->body->len - f->bgot : sizeof f->hdr - f->hgot;
    ssize_t n = want ? read(f->fd, dst, want) : 0;
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return errno == EAGAIN ? 0 : -errno;
    }
    if (n == 0 && want) {
      return f->hgot || f->body ? GNX_EFORMAT : 1; /* EOF mid-frame: it died writing */
    }
    if (!f->body) {
      f->hgot += (size_t)n;
      if (f->hgot == sizeof f->hdr) {
        int rc = pp_frame_start(c, k, f);
        if (rc < 0) {
          return rc;
        }
      }
    } else {
      f->bgot += (size_t)n;
    }
    if (f->body && f->bgot == f->body->len) {
      gnx_rob_arrived(&c->rob, f->hdr[0]);
      f->body = NULL;
      f->hgot = 0;
    }
    if ((size_t)n < want) {
      return 0; /* the pipe is (very likely) empty: back to poll */
    }
  }
}

/* Deliver every item at the head of the window; returns 0 or the code. */
static int pp_pipe_deliver(struct pp_ctx *c, uint64_t *t_wait) {
  while (gnx_rob_ready(&c->rob)) {
    uint64_t i = c->rob.next;
    if (*t_wait) {
      gnx_worker_waited(&c->sinkw, GNX_SPAN_WAIT_IN, c->wl->n_stages, i, *t_wait);
      *t_wait = 0;
    }
    /* delivered in place; the slot keeps its buffer for a later item */
    int rc = gnx_run_deliver(c->run, &c->sinkw, i, gnx_rob_slot(&c->rob, i), 0);
    gnx_rob_take(&c->rob, NULL);
    if (rc < 0) {
      return rc;
    }
    sem_post(c->credits); /* one more item may be claimed */
  }
  return 0;
}

/* Wait for readable pipes and drain them. Returns 0 or the run's code. */
static int pp_pipe_wait(struct pp_ctx *c, struct pollfd *pfd, unsigned *who) {
  nfds_t nf = 0;
  for (unsigned k = 1; k <= c->n; k++) {
    if (c->fr[k].fd >= 0) {
      pfd[nf] = (struct pollfd){c->fr[k].fd, POLLIN, 0};
      who[nf++] = k;
    }
  }
  if (nf == 0) { /* every pipe is closed and the item is missing */
    gnx_sleep_ns(PP_POLL_MS * 1000000ull);
    return pp_poll(c);
  }
  int pr = poll(pfd, nf, PP_POLL_MS);
  if (pr < 0 && errno != EINTR) {
    return gnx_run_fail(c->run, -errno, "procpool: poll: %s", strerror(errno));
  }
  int check = pr <= 0;
  for (nfds_t j = 0; pr > 0 && j < nf; j++) {
    unsigned k = who[j];
    int d = pfd[j].revents ? pp_pipe_drain(c, k) : 0;
    if (d != 0) {
      close(c->fr[k].fd);
      c->fr[k].fd = -1;
      check = 1;
    }
    if (d < 0) {
      /* A frame cut short: the child most likely died writing it, and how
       * it died explains this best; wait a moment for its death. */
      for (int t = 0; t < 1000 && c->ch[k].pid > 0 && pp_reap(c) == 0; t++) {
        gnx_sleep_ns(1000000);
      }
      return gnx_run_fail(c->run, d, "procpool: worker %u's pipe ended in the middle of a frame",
                          k);
    }
  }
  return check ? pp_poll(c) : gnx_run_failed(c->run);
}

static int pp_consume_pipe(struct pp_ctx *c) {
  struct pollfd *pfd = calloc(c->n, sizeof *pfd);
  unsigned *who = calloc(c->n, sizeof *who);
  uint64_t t_wait = gnx_now_ns();
  int rc = pfd && who ? 0 : gnx_run_fail(c->run, -ENOMEM, "procpool: out of memory");
  while (rc == 0 && c->rob.next < c->run->info->items) {
    rc = gnx_run_check(c->run); /* a steady stream of frames never times poll out */
    if (rc == 0) {
      rc = pp_pipe_deliver(c, &t_wait);
    }
    if (rc == 0 && c->rob.next < c->run->info->items) {
      t_wait = t_wait ? t_wait : gnx_now_ns();
      rc = pp_pipe_wait(c, pfd, who);
    }
  }
  free(pfd);
  free(who);
  return rc;
}

/* ---- the engine --------------------------------------------------------------- */

static int pp_parse(struct pp_ctx *c) {
  struct gnx_run *run = c->run;
  const char *t = gnx_param_str(run->params, "transport");
  if (!t || (strcmp(t, "shm") != 0 && strcmp(t, "pipe") != 0)) {
    return gnx_run_fail(run, GNX_EUSAGE,
                        "procpool: --transport '%s': choose shm (shared-memory ring) or pipe "
                        "(serialized frames)",
                        t ? t : "");
  }
  c->pipe_mode = strcmp(t, "pipe") == 0;
  uint64_t w = gnx_param_u64_auto(run->params, "workers", 0);
  if (w == 0) {
    w = run->cpus ? run->cpus : 1;
  }
  uint32_t room = run->trace->max_workers - run->trace->n_workers;
  if (w + 1 > room) {
    return gnx_run_fail(run, GNX_EUSAGE,
                        "procpool: workers=%llu is too many: the trace has room for %u workers "
                        "besides the sink",
                        (unsigned long long)w, room ? room - 1 : 0);
  }
  c->n = (unsigned)w;
  c->slots = (unsigned)gnx_param_u64_auto(run->params, "ring-slots", 4 * w);
  return 0;
}

/* Pipe transport: the credits (in a shared page) and one pipe per child. */
static int pp_prepare_pipes(struct pp_ctx *c) {
  void *p = mmap(NULL, sizeof *c->credits, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED || sem_init(p, 1, c->slots) < 0) {
    int e = errno;
    if (p != MAP_FAILED) {
      munmap(p, sizeof *c->credits);
    }
    return gnx_run_fail(c->run, -e, "procpool: cannot make the credits: %s", strerror(e));
  }
  c->credits = p;
  for (unsigned k = 1; k <= c->n; k++) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
      return gnx_run_fail(c->run, -errno, "procpool: pipe: %s", strerror(errno));
    }
    c->fr[k].fd = fds[0];
    c->wfd[k] = fds[1];
    /* Bigger pipes mean fewer wake-ups per frame; the default 64 KiB
     * stays if the system refuses. */
    (void)fcntl(fds[1], F_SETPIPE_SZ, PP_PIPE_BYTES);
    (void)fcntl(fds[0], F_SETFL, O_NONBLOCK);
    (void)fcntl(fds[1], F_SETFL, O_NONBLOCK);
  }
  return 0;
}

/* Make the mappings, pipes and worker registrations, all before forking. */
static int pp_prepare(struct pp_ctx *c) {
  struct gnx_run *run = c->run;
  c->ww = calloc(c->n + 1, sizeof *c->ww);
  c->ch = calloc(c->n + 1, sizeof *c->ch);
  c->wfd = calloc(c->n + 1, sizeof *c->wfd);
  c->fr = calloc(c->n + 1, sizeof *c->fr);
  if (!c->ww || !c->ch || !c->wfd || !c->fr || gnx_rob_init(&c->rob, c->slots) < 0) {
    return gnx_run_fail(run, -ENOMEM, "procpool: out of memory");
  }
  for (unsigned k = 0; k <= c->n; k++) {
    c->fr[k].fd = c->wfd[k] = -1;
  }
  /* In pipe mode the ring only carries the start gate and the claim
   * counter: one page-sized slot. */
  size_t slot_bytes = (size_t)gnx_param_u64(run->params, "slot-bytes");
  int rc = c->pipe_mode ? gnx_ring_new(&c->ring, 1, 1)
                        : gnx_ring_new(&c->ring, c->slots, slot_bytes);
  if (rc < 0) {
    return gnx_run_fail(run, rc, "procpool: cannot map a ring of %u x %zu bytes: %s", c->slots,
                        slot_bytes, gnx_strerror(rc));
  }
  /* Spin before sleeping only when every process has a CPU, as the model
   * assumes: otherwise the waiting parent spins on the CPU a worker needs. */
  if (c->n + 1 > run->cpus) {
    gnx_ring_set_spin(c->ring, 0);
  }
  rc = gnx_worker_init(&c->sinkw, run, 0, "sink", c->wl->n_stages, c->wl->n_stages);
  for (unsigned k = 1; rc == 0 && k <= c->n; k++) {
    char name[GNX_TRACE_NAME_MAX];
    snprintf(name, sizeof name, "procpool.w%u", k);
    rc = gnx_worker_init(&c->ww[k], run, (int)k, name, 0, c->wl->n_stages - 1);
  }
  return rc == 0 && c->pipe_mode ? pp_prepare_pipes(c) : rc;
}

static void pp_release(struct pp_ctx *c) {
  for (unsigned k = 1; c->fr && k <= c->n; k++) {
    if (c->fr[k].fd >= 0) {
      close(c->fr[k].fd);
    }
    if (c->wfd[k] >= 0) {
      close(c->wfd[k]);
    }
  }
  if (c->credits) {
    sem_destroy(c->credits);
    munmap(c->credits, sizeof *c->credits);
  }
  gnx_ring_free(c->ring);
  gnx_rob_free(&c->rob);
  free(c->fr);
  free(c->wfd);
  free(c->ch);
  free(c->ww);
}

static int pp_spawn(struct pp_ctx *c) {
  int rc = 0;
  for (unsigned k = 1; rc == 0 && k <= c->n; k++) {
    pid_t pid = gnx_child_fork(c->run, &c->ch[k]);
    if (pid == 0) {
      pp_child_main(c, k);
    }
    rc = pid < 0 ? (int)pid : 0;
    c->alive += pid > 0;
  }
  for (unsigned k = 1; k <= c->n; k++) {
    if (c->wfd[k] >= 0) {
      close(c->wfd[k]); /* only the child writes: its death is our EOF */
      c->wfd[k] = -1;
    }
  }
  return rc;
}

static int pp_run(struct gnx_run *run) {
  struct pp_ctx ctx = {.run = run, .wl = run->wl, .parent = getpid()};
  struct pp_ctx *c = &ctx;
  int rc = pp_parse(c);
  if (rc == 0) {
    rc = pp_prepare(c);
  }
  if (rc == 0) {
    rc = gnx_worker_enter(&c->sinkw);
  }
  if (rc == 0) {
    rc = pp_spawn(c);
  }
  if (rc == 0) {
    rc = gnx_ring_gate_open(c->ring, c->n, run, pp_poll, c);
  }
  if (rc == 0) {
    rc = c->pipe_mode ? pp_consume_pipe(c) : pp_consume_shm(c);
  }
  if (rc == 0) {
    rc = pp_reap_all(c); /* a worker that crashes on its way out still fails the run */
  }
  pp_kill_all(c);
  gnx_worker_exit(&c->sinkw);
  pp_release(c);
  return rc;
}

/* The model: `workers` processes claim whole items and copy each result
 * into the ring (its pages fault in on first use) or a pipe (written, then
 * read by the parent); the parent delivers in order, one ring slot or one
 * credit per item until the sink is done with it. */
static int pp_model(const struct gnx_model_in *in, const struct gnx_params *cfg, double *wall_s) {
  const struct gnx_machine *m = in->machine;
  unsigned n = in->profile->n_stages;
  uint64_t w = gnx_param_u64_auto(cfg, "workers", 0);
  w = w ? w : in->cpus;
  uint64_t slots = gnx_param_u64_auto(cfg, "ring-slots", 4 * w);
  const char *t = gnx_param_str(cfg, "transport");
  int pipe = t && strcmp(t, "pipe") == 0;
  double copy = 1 / m->copy_bps, fault = m->page_fault_s / 4096;
  /* waits spin first (the ring) when every process has a CPU */
  double wake = !pipe && w + 1 <= in->cpus ? 0 : m->handoff_s;
  double span = 2 * m->span_s;
  struct gnx_sim sim = {
      .n_phases = 2,
      .window = pipe ? slots : 0, /* credits are taken before an item is claimed */
      .phase = {{.lo = 0, .hi = n - 1, .workers = (unsigned)w, .wake_s = wake,
                 .extra_s = n * m->span_s, .per_byte_s = copy,
                 .first_items = pipe ? 0 : (unsigned)slots, .first_per_byte_s = fault},
                {.lo = n, .hi = n, .workers = 1, .in_order = 1, .hold = 1,
                 .capacity = pipe ? 0 : (unsigned)slots, .wake_s = wake, .extra_s = span,
                 .per_byte_s = pipe ? copy : 0}}};
  return gnx_sim_run(&sim, in, wall_s);
}

/* The ring's floor: 4 items per worker, what the engine used before the
 * model (every worker can finish an item while the parent is behind). */
static const struct gnx_knob pp_knobs[] = {
    {"workers", GNX_KNOB_COUNT, 0, NULL},
    {"ring-slots", GNX_KNOB_DEPTH, 4, "workers"},
    GNX_KNOBS_END,
};

const struct gnx_engine gnx_engine_procpool = {
    .abi = GNX_ENGINE_ABI,
    .name = "procpool",
    .summary = "forked worker processes run whole items claimed from a shared counter; results "
               "come back through shared memory or pipes",
    .flags = GNX_ENGINE_F_FORKS,
    .options = procpool_options,
    .run = pp_run,
    .model = pp_model,
    .knobs = pp_knobs,
};
