/* SPDX-License-Identifier: MIT */
/* engines/mpi.c: Open MPI ranks run whole items; the harness keeps the sink.
 *
 * How workers start: run() (in the harness) forks and execs mpirun, no
 * shell, in its own process group, with gnxbench itself in its hidden rank
 * mode on every rank (`gnxbench rank mpi <the cell's words>`): each rank
 * sets the workload up as the harness did and calls mpi_rank(). The
 * harness never calls MPI: it stays the harness, and a rank that dies
 * cannot take it down.
 *
 * How they connect: rank 0 is the relay. It connects back to the harness
 * over TCP (127.0.0.1 on one host; the harness's host name with --hosts;
 * a random token proves it is ours), measures its clock against the
 * harness's, then grants items to the worker ranks 1..N-1, receives their
 * results in any order and forwards them in index order as frames
 * [type][item][len][bytes]; the harness's sink takes them through
 * gnx_run_deliver like every engine's, so verification is unchanged.
 *
 * Claiming: request/grant, not an MPI_Fetch_and_op counter. Measured here
 * (2 vCPUs, ob1/vader, 2000 claims): fetch-and-op 0.08 us (2 ranks) and
 * 4.2 us (3 ranks on 2 cores), request/grant round trip 0.28 us and 3.4 us:
 * the same against items of about 2 ms. Grants win on what a counter
 * cannot do: they bound the items ahead of the sink (--mpi-window), so
 * rank 0 holds at most that many results, and they need no passive-target
 * progress across hosts. Each worker holds 2 grants, so its next grant
 * travels while it computes; a result is its request for another.
 *
 * Waits test and sleep (MPI_Test/MPI_Iprobe, then nanosleep up to 200 us)
 * instead of blocking in MPI: Open MPI's blocking calls spin, and with the
 * relay beside one worker per CPU that spin would take a worker's CPU.
 *
 * Clocks: rank 0 ping-pongs each rank (16 rounds, the minimum round trip
 * wins) and the harness likewise; every span is moved onto the harness's
 * clock before it is stored, so the Gantt chart and the Chrome trace show
 * all ranks on one timeline, across hosts too. Spans travel after the last
 * item, with each rank's pid, CPUs at enter and exit, host and rusage
 * counters.
 *
 * Joining and failing: after the last item every rank sends its trace and
 * finalizes, and the harness reaps mpirun. A rank that dies makes mpirun
 * end the job and say which rank and signal; the harness sees the socket
 * close, reads that line from mpirun's output and fails the run with it.
 * Whatever goes wrong, the harness kills mpirun's process group, and every
 * rank dies with its parent (PR_SET_PDEATHSIG). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/iov.h"
#include "gnx/engine.h"
#include "gnx/mpirun.h"

static const struct gnx_option mpi_options[] = {
    {"ranks", GNX_OPT_U64, "auto",
     "mpi: MPI ranks, rank 0 relaying to the sink and the others running items (auto: one "
     "worker rank per CPU, plus the relay)",
     2, 4096, GNX_OPT_F_AUTO},
    {"hosts", GNX_OPT_STR, NULL,
     "mpi: an Open MPI hostfile, to place ranks on several machines (README: across hosts)", 0,
     0, 0},
    {"mpirun", GNX_OPT_STR, "mpirun",
     "mpi: the mpirun that starts the job (a name in PATH, or a path)", 0, 0, 0},
    {"mpi-args", GNX_OPT_STR, NULL,
     "mpi: more mpirun options, split at spaces, after gnxbench's own (e.g. \"--mca btl "
     "tcp,self\")",
     0, 0, 0},
    {"mpi-window", GNX_OPT_U64, "auto",
     "mpi: items granted ahead of the sink (auto: 4 per worker rank)", 1, 65536, GNX_OPT_F_AUTO},
    {"mpi-timeout", GNX_OPT_U64, "60",
     "mpi: seconds from mpirun's start until every rank is at the start barrier", 1, 3600, 0},
    GNX_OPTIONS_END,
};

/* What ranks, window and the model agree on. */
static unsigned mpi_ranks_of(const struct gnx_params *p, unsigned cpus) {
  uint64_t r = gnx_param_u64_auto(p, "ranks", 0);
  return r ? (unsigned)r : (cpus ? cpus : 1) + 1;
}

static unsigned mpi_window_of(const struct gnx_params *p, unsigned ranks) {
  uint64_t w = gnx_param_u64_auto(p, "mpi-window", 0);
  return w ? (unsigned)w : 4 * (ranks - 1);
}

/* The model: ranks-1 workers claim whole items; each result costs two
 * copies (packing, the shared-memory transport); the relay, which polls
 * with sleeps of up to 200 us (MPI_SLEEP_MAX_NS), finds it half that late
 * on average and copies it into the socket; the harness's sink wakes (a
 * hand-off) and reads it, in order, at most a window ahead. Measured with
 * items that do no work (null, 20k items): 46 to 54 us per item through
 * the relay, against 0.6 us under procpool. */
#define MPI_RELAY_WAKE_S 100e-6
static int mpi_model(const struct gnx_model_in *in, const struct gnx_params *cfg,
                     double *wall_s) {
  const struct gnx_machine *m = in->machine;
  unsigned n = in->profile->n_stages;
  unsigned ranks = mpi_ranks_of(cfg, in->cpus);
  unsigned window = mpi_window_of(cfg, ranks);
  double copy = 1 / m->copy_bps, span = m->span_s;
  struct gnx_sim sim = {
      .n_phases = 3,
      .window = window,
      .phase = {{.lo = 0, .hi = n - 1, .workers = ranks - 1, .wake_s = MPI_RELAY_WAKE_S,
                 .extra_s = (n + 2) * span, .per_byte_s = 2 * copy},
                {.lo = n + 1, .hi = n, .workers = 1, .in_order = 1, .capacity = window,
                 .wake_s = MPI_RELAY_WAKE_S, .extra_s = 2 * span, .per_byte_s = copy},
                {.lo = n, .hi = n, .workers = 1, .in_order = 1, .wake_s = m->handoff_s,
                 .extra_s = 2 * span, .per_byte_s = copy}}};
  return gnx_sim_run(&sim, in, wall_s);
}

#ifdef GNX_HAVE_MPI

#include <arpa/inet.h>
#include <mpi.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define MPI_SYNC_ROUNDS 16
#define MPI_GRANTS 2           /* grants a worker holds: one to run, one travelling */
#define MPI_SLEEP_MAX_NS 200000 /* longest sleep of a testing wait */
#define MPI_POLL_MS 2          /* the harness's longest wait between checks */
#define MPI_EXIT_NS 10000000000ull /* after the end frame, mpirun exits by itself within */
#define MPI_TAIL 8192          /* mpirun's last words kept for messages */
#define MPI_DONE UINT64_MAX    /* a grant saying: no more items */

enum { MPI_TAG_GRANT = 1, MPI_TAG_RESULT, MPI_TAG_FAIL, MPI_TAG_TRACE, MPI_TAG_SYNC };
/* Frames on the socket; all but PONG go from rank 0 to the harness. */
enum { MPI_F_HELLO = 1, MPI_F_PING, MPI_F_PONG, MPI_F_STARTED, MPI_F_ITEM, MPI_F_FAIL,
       MPI_F_TRACE, MPI_F_END };

struct mpi_frame {
  uint32_t type, a; /* a: a rank, or the rank count */
  uint64_t b;       /* an item, a time, the token, a code */
  uint64_t len;     /* bytes that follow */
};

/* What a rank tells about itself after the run, then its spans. */
struct mpi_rank_trace {
  int32_t pid, tid, cpu_begin, cpu_end;
  uint32_t len, dropped, ctr_src, pad;
  int64_t wctr[GNX_TRACE_WCTR_MAX];
  uint64_t buf_maps[GNX_TRACE_BUF_MAPS]; /* for the next run's ranks (gnx_run.cell_argv) */
  char host[64];
};

/* What STARTED carries: start-up figures, for GNX_MPI_VERBOSE. */
struct mpi_started {
  uint64_t init_ns;     /* rank 0's MPI_Init */
  uint64_t rtt_ns;      /* the smallest rank-to-rank round trip */
  uint64_t harness_rtt_ns;
};

/* ---- both sides: whole reads and writes on the socket -------------------- */

/* sendmsg, not writev: a peer gone is EPIPE, never a SIGPIPE that would
 * kill the harness. */
static int mpi_write_all(int fd, struct iovec *iov, int cnt) {
  while (cnt > 0) {
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
    ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) { /* the harness's end is non-blocking */
      struct pollfd p = {fd, POLLOUT, 0};
      (void)poll(&p, 1, 2);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return -errno;
    }
    gnx_iov_advance(&iov, &cnt, (size_t)n);
  }
  return 0;
}

static int mpi_send_frame(int fd, uint32_t type, uint32_t a, uint64_t b, const void *body,
                          size_t len) {
  struct mpi_frame f = {type, a, b, len};
  struct iovec iov[2] = {{&f, sizeof f}, {(void *)body, len}};
  return mpi_write_all(fd, iov, len ? 2 : 1);
}

/* ---- the rank side --------------------------------------------------------- */

struct mpi_rank {
  struct gnx_run *run;
  int rank, size;
  int fd;                  /* rank 0: the socket to the harness */
  unsigned window;
  int64_t *off;            /* rank 0: off[k] = rank k's clock - rank 0's */
  int64_t to_harness;      /* rank 0: harness clock - rank 0 clock */
  struct mpi_started st;
  struct gnx_worker w;
  struct rusage ru0;
  struct gnx_buf a, b, msg;
};

/* Tests only (GNX_MPI_TEST_SKEW_NS): rank r's clock reads (r + 1) x this
 * ahead, as another host's would, so that the offsets have work to do. */
static int64_t mpi_skew_ns;

static int64_t mpi_rank_ns(void) { return (int64_t)gnx_now_ns() + mpi_skew_ns; }

/* Sleep a growing slice between tests; reset by the caller. */
static void mpi_backoff(uint64_t *ns) {
  *ns = *ns ? (*ns * 2 > MPI_SLEEP_MAX_NS ? MPI_SLEEP_MAX_NS : *ns * 2) : 2000;
  gnx_sleep_ns(*ns);
}

/* Rank 0: the harness is gone when its socket reads end of file. */
static int mpi_harness_gone(struct mpi_rank *m) {
  struct pollfd p = {m->fd, POLLIN, 0};
  return m->rank == 0 && m->fd >= 0 && poll(&p, 1, 0) > 0;
}

/* Wait for rq by testing and sleeping (see the file's comment). */
static int mpi_wait(struct mpi_rank *m, MPI_Request *rq) {
  uint64_t ns = 0;
  for (;;) {
    int done = 0;
    MPI_Test(rq, &done, MPI_STATUS_IGNORE);
    if (done) {
      return 0;
    }
    if (mpi_harness_gone(m)) {
      return -EPIPE;
    }
    mpi_backoff(&ns);
  }
}

static int mpi_send(struct mpi_rank *m, const void *p, size_t len, int to, int tag) {
  MPI_Request rq;
  MPI_Isend(p, (int)len, MPI_BYTE, to, tag, MPI_COMM_WORLD, &rq);
  return mpi_wait(m, &rq);
}

/* Probe for a message from src with tag (tag < 0: a result or a failure,
 * not a trace sent early), sleeping between probes. */
static int mpi_probe(struct mpi_rank *m, int src, int tag, MPI_Status *st) {
  uint64_t ns = 0;
  for (;;) {
    int flag = 0;
    MPI_Iprobe(src, tag < 0 ? MPI_TAG_RESULT : tag, MPI_COMM_WORLD, &flag, st);
    if (!flag && tag < 0) {
      MPI_Iprobe(src, MPI_TAG_FAIL, MPI_COMM_WORLD, &flag, st);
    }
    if (flag) {
      return 0;
    }
    if (mpi_harness_gone(m)) {
      return -EPIPE;
    }
    mpi_backoff(&ns);
  }
}

/* Receive the probed message into b (len: its bytes). */
static int mpi_recv_probed(MPI_Status *st, struct gnx_buf *b) {
  int n = 0;
  MPI_Get_count(st, MPI_BYTE, &n);
  if (gnx_buf_reserve(b, (size_t)n + 1) < 0) {
    return -ENOMEM;
  }
  MPI_Recv(b->data, n, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  b->len = (size_t)n;
  return 0;
}

/* Rank 0 measures rank k's clock: t_k - (t0 + t1) / 2 at the smallest
 * round trip. */
static void mpi_sync_ranks(struct mpi_rank *m) {
  for (int k = 1; k < m->size; k++) {
    uint64_t best = UINT64_MAX;
    for (int r = 0; r < MPI_SYNC_ROUNDS; r++) {
      int64_t t0 = mpi_rank_ns(), tk = 0;
      if (m->rank == 0) {
        MPI_Send(&t0, 8, MPI_BYTE, k, MPI_TAG_SYNC, MPI_COMM_WORLD);
        MPI_Recv(&tk, 8, MPI_BYTE, k, MPI_TAG_SYNC, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        int64_t t1 = mpi_rank_ns();
        if ((uint64_t)(t1 - t0) < best) {
          best = (uint64_t)(t1 - t0);
          m->off[k] = tk - (t0 + t1) / 2;
        }
      } else if (m->rank == k) {
        MPI_Recv(&t0, 8, MPI_BYTE, 0, MPI_TAG_SYNC, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        tk = mpi_rank_ns();
        MPI_Send(&tk, 8, MPI_BYTE, 0, MPI_TAG_SYNC, MPI_COMM_WORLD);
      }
    }
    if (m->rank == 0 && best < m->st.rtt_ns) {
      m->st.rtt_ns = best;
    }
  }
}

/* Rank 0: connect to GNX_MPI_ADDR (host:port) and say hello with the token. */
static int mpi_connect(struct mpi_rank *m) {
  const char *addr = getenv("GNX_MPI_ADDR"), *tok = getenv("GNX_MPI_TOKEN");
  char host[256];
  const char *colon = addr ? strrchr(addr, ':') : NULL;
  if (!colon || !tok || (size_t)(colon - addr) >= sizeof host) {
    return gnx_run_fail(m->run, GNX_EUSAGE, "mpi rank 0: GNX_MPI_ADDR/GNX_MPI_TOKEN not set "
                                            "(this mode is started by the mpi engine)");
  }
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = '\0';
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
  int g = getaddrinfo(host, colon + 1, &hints, &ai);
  for (struct addrinfo *p = g == 0 ? ai : NULL; p && m->fd < 0; p = p->ai_next) {
    m->fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, 0);
    if (m->fd >= 0 && connect(m->fd, p->ai_addr, p->ai_addrlen) < 0) {
      close(m->fd);
      m->fd = -1;
    }
  }
  if (ai) {
    freeaddrinfo(ai);
  }
  if (m->fd < 0) {
    return gnx_run_fail(m->run, -ECONNREFUSED, "mpi rank 0: cannot connect to the harness at %s",
                        addr);
  }
  int one = 1;
  (void)setsockopt(m->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return mpi_send_frame(m->fd, MPI_F_HELLO, (uint32_t)m->size, strtoull(tok, NULL, 16), NULL, 0);
}

static int mpi_read_all(int fd, void *p, size_t n) {
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return r == 0 ? -EPIPE : -errno;
    }
    p = (char *)p + r;
    n -= (size_t)r;
  }
  return 0;
}

/* Rank 0 measures the harness's clock the same way. */
static int mpi_sync_harness(struct mpi_rank *m) {
  uint64_t best = UINT64_MAX;
  for (int r = 0; r < MPI_SYNC_ROUNDS; r++) {
    int64_t t0 = mpi_rank_ns(), th;
    int rc = mpi_send_frame(m->fd, MPI_F_PING, 0, (uint64_t)t0, NULL, 0);
    if (rc == 0) {
      rc = mpi_read_all(m->fd, &th, sizeof th);
    }
    if (rc < 0) {
      return gnx_run_fail(m->run, rc, "mpi rank 0: the harness went away during the clock sync");
    }
    int64_t t1 = mpi_rank_ns();
    if ((uint64_t)(t1 - t0) < best) {
      best = (uint64_t)(t1 - t0);
      m->to_harness = th - (t0 + t1) / 2;
    }
  }
  m->st.harness_rtt_ns = best;
  return 0;
}

/* ---- rank 0: the relay ----------------------------------------------------- */

struct mpi_relay {
  struct mpi_rank *m;
  struct gnx_rob rob;
  unsigned *owed;       /* grants each worker asked for and has not had */
  unsigned char *ended; /* it was told MPI_DONE */
  uint64_t next;        /* the next item to grant */
};

static void mpi_grant(struct mpi_relay *r) {
  struct mpi_rank *m = r->m;
  uint64_t items = m->run->info->items;
  for (int k = 1; k < m->size; k++) {
    while (r->owed[k] && r->next < items && r->next < r->rob.next + m->window) {
      MPI_Send(&r->next, 8, MPI_BYTE, k, MPI_TAG_GRANT, MPI_COMM_WORLD);
      r->next++;
      r->owed[k]--;
    }
    if (r->owed[k] && r->next >= items && !r->ended[k]) {
      uint64_t done = MPI_DONE;
      MPI_Send(&done, 8, MPI_BYTE, k, MPI_TAG_GRANT, MPI_COMM_WORLD);
      r->ended[k] = 1;
    }
  }
}

/* A result arrived: into the window, then forward what is in order. */
static int mpi_relay_result(struct mpi_relay *r, MPI_Status *st) {
  struct mpi_rank *m = r->m;
  int rc = mpi_recv_probed(st, &m->msg);
  uint64_t item;
  if (rc < 0 || m->msg.len < 8) {
    return gnx_run_fail(m->run, rc < 0 ? rc : GNX_EFORMAT, "mpi rank 0: bad result from rank %d",
                        st->MPI_SOURCE);
  }
  memcpy(&item, m->msg.data, 8);
  if (!gnx_rob_fits(&r->rob, item)) {
    return gnx_run_fail(m->run, GNX_EFORMAT, "mpi rank 0: item %llu from rank %d is outside "
                        "the window", (unsigned long long)item, st->MPI_SOURCE);
  }
  gnx_buf_swap(gnx_rob_slot(&r->rob, item), &m->msg);
  gnx_rob_arrived(&r->rob, item);
  r->owed[st->MPI_SOURCE]++;
  while (rc == 0 && gnx_rob_ready(&r->rob)) {
    const struct gnx_buf *b = gnx_rob_slot(&r->rob, r->rob.next);
    uint64_t t0 = gnx_now_ns();
    rc = mpi_send_frame(m->fd, MPI_F_ITEM, 0, r->rob.next, b->data + 8, b->len - 8);
    gnx_worker_waited(&m->w, GNX_SPAN_COPY, m->run->wl->n_stages, r->rob.next, t0);
    gnx_rob_take(&r->rob, NULL);
  }
  return rc < 0 ? gnx_run_fail(m->run, rc, "mpi rank 0: the harness went away") : 0;
}

/* A worker failed: pass its line on; the caller aborts the job. */
static int mpi_relay_fail(struct mpi_relay *r, MPI_Status *st) {
  struct mpi_rank *m = r->m;
  if (mpi_recv_probed(st, &m->msg) == 0) {
    m->msg.data[m->msg.len] = '\0';
    (void)mpi_send_frame(m->fd, MPI_F_FAIL, (uint32_t)st->MPI_SOURCE, 0, m->msg.data,
                         m->msg.len);
  }
  return GNX_EWORKER;
}

static int mpi_relay_loop(struct mpi_relay *r) {
  struct mpi_rank *m = r->m;
  int rc = 0;
  while (rc == 0 && r->rob.next < m->run->info->items) {
    MPI_Status st;
    uint64_t t0 = gnx_now_ns();
    rc = mpi_probe(m, MPI_ANY_SOURCE, -1, &st);
    gnx_worker_waited(&m->w, GNX_SPAN_WAIT_IN, m->run->wl->n_stages, GNX_ITEM_NONE, t0);
    if (rc == 0) {
      rc = st.MPI_TAG == MPI_TAG_RESULT ? mpi_relay_result(r, &st) : mpi_relay_fail(r, &st);
    }
    if (rc == 0) {
      mpi_grant(r);
    }
  }
  return rc;
}

/* Move a rank's spans onto the harness's clock and send them on. */
static int mpi_forward_trace(struct mpi_rank *m, int k, struct gnx_buf *b) {
  struct mpi_rank_trace *h = (struct mpi_rank_trace *)b->data;
  struct gnx_span *s = (struct gnx_span *)(h + 1);
  int64_t d = m->to_harness - m->off[k];
  for (uint32_t i = 0; i < h->len; i++) {
    s[i].t0 = (uint64_t)((int64_t)s[i].t0 + d);
    s[i].t1 = (uint64_t)((int64_t)s[i].t1 + d);
  }
  return mpi_send_frame(m->fd, MPI_F_TRACE, (uint32_t)k, 0, b->data, b->len);
}

static int mpi_pack_trace(struct mpi_rank *m, struct gnx_buf *b);

static int mpi_relay_traces(struct mpi_rank *m) {
  int rc = 0;
  for (int k = 1; rc == 0 && k < m->size; k++) {
    MPI_Status st;
    rc = mpi_probe(m, k, MPI_TAG_TRACE, &st);
    if (rc == 0) {
      rc = mpi_recv_probed(&st, &m->msg);
    }
    if (rc == 0 && m->msg.len < sizeof(struct mpi_rank_trace)) {
      rc = GNX_EFORMAT;
    }
    if (rc == 0) {
      rc = mpi_forward_trace(m, k, &m->msg);
    }
  }
  if (rc == 0) {
    rc = mpi_pack_trace(m, &m->msg);
  }
  if (rc == 0) {
    rc = mpi_forward_trace(m, 0, &m->msg);
  }
  return rc == 0 ? mpi_send_frame(m->fd, MPI_F_END, 0, 0, NULL, 0) : rc;
}

static int mpi_relay(struct mpi_rank *m) {
  struct mpi_relay r = {.m = m};
  r.owed = calloc((size_t)m->size, sizeof *r.owed);
  r.ended = calloc((size_t)m->size, 1);
  int rc = r.owed && r.ended && gnx_rob_init(&r.rob, m->window) == 0 ? 0 : -ENOMEM;
  for (int k = 1; rc == 0 && k < m->size; k++) {
    r.owed[k] = MPI_GRANTS;
  }
  if (rc == 0) {
    mpi_grant(&r);
    rc = mpi_relay_loop(&r);
  }
  if (rc == 0) {
    rc = mpi_relay_traces(m);
  }
  gnx_rob_free(&r.rob);
  free(r.owed);
  free(r.ended);
  return rc;
}

/* ---- worker ranks ---------------------------------------------------------- */

/* After a failure: tell rank 0 (it aborts the job), then wait to be killed. */
static int mpi_worker_failed(struct mpi_rank *m, int rc) {
  const char *msg = m->run->trace->status->msg;
  (void)mpi_send(m, msg, strlen(msg), 0, MPI_TAG_FAIL);
  for (;;) {
    pause();
  }
  return rc;
}

static int mpi_worker_send(struct mpi_rank *m, uint64_t item, MPI_Request *rq) {
  unsigned last = m->run->wl->n_stages - 1;
  uint64_t t0 = gnx_now_ns();
  int rc = 0;
  if (*rq != MPI_REQUEST_NULL) { /* the last send must be done with msg: the relay is behind */
    rc = mpi_wait(m, rq);
    t0 = gnx_worker_waited(&m->w, GNX_SPAN_WAIT_OUT, last, item, t0);
  }
  if (rc == 0 && gnx_buf_reserve(&m->msg, m->a.len + 8) < 0) {
    rc = gnx_run_fail(m->run, -ENOMEM, "mpi rank %d: out of memory", m->rank);
  }
  if (rc == 0) {
    memcpy(m->msg.data, &item, 8);
    memcpy(m->msg.data + 8, m->a.data, m->a.len);
    MPI_Isend(m->msg.data, (int)(m->a.len + 8), MPI_BYTE, 0, MPI_TAG_RESULT, MPI_COMM_WORLD, rq);
  }
  gnx_worker_waited(&m->w, GNX_SPAN_COPY, last, item, t0);
  return rc;
}

static int mpi_worker(struct mpi_rank *m) {
  MPI_Request send = MPI_REQUEST_NULL;
  int rc = 0;
  for (;;) {
    uint64_t item = MPI_DONE, t0 = gnx_now_ns();
    MPI_Request rq;
    MPI_Irecv(&item, 8, MPI_BYTE, 0, MPI_TAG_GRANT, MPI_COMM_WORLD, &rq);
    rc = mpi_wait(m, &rq);
    gnx_worker_waited(&m->w, GNX_SPAN_WAIT_IN, 0, GNX_ITEM_NONE, t0);
    if (rc < 0 || item == MPI_DONE) {
      break;
    }
    rc = gnx_worker_run_stages(&m->w, item, 0, m->run->wl->n_stages - 1, &m->a, &m->b);
    if (rc < 0) {
      return mpi_worker_failed(m, rc);
    }
    rc = mpi_worker_send(m, item, &send);
  }
  if (send != MPI_REQUEST_NULL) {
    rc = mpi_wait(m, &send);
  }
  if (rc == 0) {
    rc = mpi_pack_trace(m, &m->msg);
  }
  return rc == 0 ? mpi_send(m, m->msg.data, m->msg.len, 0, MPI_TAG_TRACE) : rc;
}

/* ---- every rank ------------------------------------------------------------ */

static int64_t mpi_tv_ns(struct timeval a, struct timeval b) {
  return (int64_t)(b.tv_sec - a.tv_sec) * 1000000000 + (int64_t)(b.tv_usec - a.tv_usec) * 1000;
}

/* This rank's counters (getrusage: the run core's counters are the
 * harness's), placement and spans, into b. */
static int mpi_pack_trace(struct mpi_rank *m, struct gnx_buf *b) {
  struct gnx_trace_worker *tw = m->w.tw;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  gnx_worker_exit(&m->w);
  struct mpi_rank_trace h = {.pid = tw->pid, .tid = tw->tid, .cpu_begin = tw->cpu_begin,
                             .cpu_end = tw->cpu_end, .len = tw->len, .dropped = tw->dropped};
  /* the software four from getrusage, the whole rank over the run (its
   * worker's own counters began before the start-up's clock exchange);
   * the PAPI events as its worker counted them, as every engine's are */
  memcpy(h.wctr, tw->wctr, sizeof h.wctr);
  h.wctr[2] = -1;
  h.wctr[0] = mpi_tv_ns(m->ru0.ru_utime, ru.ru_utime) + mpi_tv_ns(m->ru0.ru_stime, ru.ru_stime);
  h.wctr[1] = (ru.ru_nvcsw - m->ru0.ru_nvcsw) + (ru.ru_nivcsw - m->ru0.ru_nivcsw);
  h.wctr[3] = (ru.ru_minflt - m->ru0.ru_minflt) + (ru.ru_majflt - m->ru0.ru_majflt);
  memcpy(h.buf_maps, tw->buf_maps, sizeof h.buf_maps);
  gethostname(h.host, sizeof h.host - 1);
  for (uint32_t i = 0; i < tw->len; i++) {
    tw->spans[i].t0 += (uint64_t)mpi_skew_ns;
    tw->spans[i].t1 += (uint64_t)mpi_skew_ns;
  }
  gnx_buf_clear(b);
  if (gnx_buf_append(b, &h, sizeof h) < 0 ||
      gnx_buf_append(b, tw->spans, (size_t)tw->len * sizeof tw->spans[0]) < 0) {
    return gnx_run_fail(m->run, -ENOMEM, "mpi rank %d: out of memory for its trace", m->rank);
  }
  return 0;
}

static int mpi_rank_setup(struct mpi_rank *m) {
  char name[GNX_TRACE_NAME_MAX];
  snprintf(name, sizeof name, "mpi.r%d", m->rank);
  unsigned n = m->run->wl->n_stages;
  int rc = m->rank == 0 ? gnx_worker_init_transport(&m->w, m->run, 0, name)
                        : gnx_worker_init(&m->w, m->run, m->rank, name, 0, n - 1);
  if (rc == 0) {
    rc = gnx_worker_enter(&m->w);
  }
  m->off = calloc((size_t)m->size, sizeof *m->off);
  m->st.rtt_ns = UINT64_MAX;
  if (rc == 0 && !m->off) {
    rc = gnx_run_fail(m->run, -ENOMEM, "mpi rank %d: out of memory", m->rank);
  }
  return rc;
}

/* Before the barrier: rank 0 connects and measures every clock. */
static int mpi_rank_start(struct mpi_rank *m) {
  int rc = mpi_rank_setup(m);
  int ok = rc == 0, all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (!all) {
    return rc ? rc : GNX_EWORKER;
  }
  mpi_sync_ranks(m);
  if (m->rank == 0) {
    rc = mpi_connect(m);
    if (rc == 0) {
      rc = mpi_sync_harness(m);
    }
  }
  /* every rank's pid, so that a death is told by pid (mpirun may say 0) */
  int32_t pid = (int32_t)getpid(), *pids = calloc((size_t)m->size, sizeof *pids);
  MPI_Gather(&pid, 1, MPI_INT32_T, pids, 1, MPI_INT32_T, 0, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  struct gnx_buf b = GNX_BUF_INIT;
  if (rc == 0 && m->rank == 0 && (gnx_buf_append(&b, &m->st, sizeof m->st) < 0 || !pids ||
                                  gnx_buf_append(&b, pids, (size_t)m->size * 4) < 0)) {
    rc = gnx_run_fail(m->run, -ENOMEM, "mpi rank 0: out of memory");
  }
  if (rc == 0 && m->rank == 0) {
    rc = mpi_send_frame(m->fd, MPI_F_STARTED, 0, 0, b.data, b.len);
  }
  /* no rank runs before the harness has stamped the start: its go */
  uint64_t go;
  if (rc == 0 && m->rank == 0 && mpi_read_all(m->fd, &go, sizeof go) < 0) {
    rc = gnx_run_fail(m->run, -EPIPE, "mpi rank 0: the harness went away before the start");
  }
  MPI_Barrier(MPI_COMM_WORLD);
  getrusage(RUSAGE_SELF, &m->ru0); /* the counters cover the run, not the start-up */
  gnx_buf_free(&b);
  free(pids);
  return rc;
}

static int mpi_rank(struct gnx_run *run) {
  /* die with mpirun (or its daemon): never a rank left running */
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  (void)prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0); /* the waits' short sleeps */
  uint64_t t0 = gnx_now_ns();
  MPI_Init(NULL, NULL);
  struct mpi_rank m = {.run = run, .fd = -1};
  m.st.init_ns = gnx_now_ns() - t0;
  MPI_Comm_rank(MPI_COMM_WORLD, &m.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &m.size);
  const char *skew = getenv("GNX_MPI_TEST_SKEW_NS");
  mpi_skew_ns = skew ? strtoll(skew, NULL, 10) * (m.rank + 1) : 0;
  m.window = mpi_window_of(run->params, (unsigned)m.size);
  int rc = m.size < 2 ? gnx_run_fail(run, GNX_EUSAGE, "mpi: needs at least 2 ranks") : 0;
  if (rc == 0) {
    rc = mpi_rank_start(&m);
  }
  if (rc == 0) {
    rc = m.rank == 0 ? mpi_relay(&m) : mpi_worker(&m);
  }
  if (rc < 0) {
    const char *msg = gnx_run_failed(run) ? run->trace->status->msg : "";
    if (m.rank == 0 && m.fd >= 0 && *msg) {
      (void)mpi_send_frame(m.fd, MPI_F_FAIL, 0, 0, msg, strlen(msg));
    } else if (*msg) { /* no harness to tell: mpirun's output carries it */
      fprintf(stderr, "gnxbench rank %d: %s\n", m.rank, msg);
    }
    MPI_Abort(MPI_COMM_WORLD, 1); /* ends every rank; mpirun says which failed */
  }
  MPI_Finalize();
  if (m.fd >= 0) {
    close(m.fd);
  }
  free(m.off);
  gnx_buf_free(&m.a);
  gnx_buf_free(&m.b);
  gnx_buf_free(&m.msg);
  return rc;
}

/* ---- the harness side: starting mpirun ------------------------------------- */

struct mpi_job {
  struct gnx_run *run;
  unsigned ranks, window;
  uint64_t deadline;       /* start-up must end by then */
  const char *hosts;
  struct gnx_child child;  /* mpirun */
  int out_fd;              /* mpirun's stdout and stderr */
  int lfd, fd;             /* listening socket, rank 0's connection */
  uint64_t token;
  char addr[300];
  char exe[4096];
  char tmp[64];            /* one host: Open MPI's session and shared-memory files */
  struct gnx_worker sink;
  struct gnx_worker *rw;   /* rw[k]: rank k's record in the harness's trace */
  char tail[MPI_TAIL];     /* mpirun's output, the last MPI_TAIL bytes */
  size_t tail_len;
  char *rbuf;              /* socket read buffer */
  size_t rpos, rlen;
  struct gnx_buf body;
  int verbose;
};

#define MPI_RBUF (64 * 1024)

static int mpi_job_parse(struct mpi_job *j) {
  struct gnx_run *run = j->run;
  j->ranks = mpi_ranks_of(run->params, run->cpus);
  j->window = mpi_window_of(run->params, j->ranks);
  j->hosts = gnx_param_str(run->params, "hosts");
  j->deadline = gnx_now_ns() + gnx_param_u64(run->params, "mpi-timeout") * 1000000000ull;
  uint32_t room = run->trace->max_workers - run->trace->n_workers;
  if (j->ranks + 1 > room) {
    return gnx_run_fail(run, GNX_EUSAGE, "mpi: --ranks %u is too many: the trace has room for %u",
                        j->ranks, room ? room - 1 : 0);
  }
  /* GNX_MPI_EXE: the gnxbench the ranks run, where this process is
   * another program (the unit tests) */
  const char *exe = getenv("GNX_MPI_EXE");
  ssize_t n = exe ? (ssize_t)snprintf(j->exe, sizeof j->exe, "%s", exe)
                  : readlink("/proc/self/exe", j->exe, sizeof j->exe - 1);
  if (n <= 0 || (size_t)n >= sizeof j->exe || !run->cell_argv) {
    return gnx_run_fail(run, GNX_EUSAGE, "mpi: runs only from the gnxbench command (it starts "
                        "gnxbench itself on every rank)");
  }
  j->exe[n] = '\0';
  return 0;
}

/* The socket rank 0 connects to: loopback on one host, every address with
 * --hosts (the ranks find it by this host's name, or GNX_MPI_HOST). */
static int mpi_listen(struct mpi_job *j) {
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(j->hosts ? INADDR_ANY : INADDR_LOOPBACK);
  socklen_t sl = sizeof sa;
  j->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (j->lfd < 0 || bind(j->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(j->lfd, 4) < 0 ||
      getsockname(j->lfd, (struct sockaddr *)&sa, &sl) < 0) {
    return gnx_run_fail(j->run, -errno, "mpi: cannot listen for rank 0: %s", strerror(errno));
  }
  char host[256] = "127.0.0.1";
  const char *h = getenv("GNX_MPI_HOST");
  if (j->hosts && !h && gethostname(host, sizeof host - 1) == 0) {
    h = host;
  }
  snprintf(j->addr, sizeof j->addr, "%s:%u", h && j->hosts ? h : "127.0.0.1", ntohs(sa.sin_port));
  if (getrandom(&j->token, sizeof j->token, 0) != sizeof j->token) {
    j->token = gnx_now_ns() ^ ((uint64_t)getpid() << 32);
  }
  return 0;
}

/* Where the ranks go: the hostfile's slots, or this machine's CPUs. */
static size_t mpi_argv_place(const struct mpi_job *j, char **v, size_t n) {
  if (j->hosts) {
    v[n++] = "--hostfile";
    v[n++] = (char *)j->hosts;
  } else if (j->ranks > j->run->cpus) { /* more ranks than CPUs: never claim slots it lacks */
    v[n++] = "--oversubscribe";
    v[n++] = "--bind-to";
    v[n++] = "none";
  } else {
    v[n++] = "--bind-to";
    v[n++] = "core";
    v[n++] = "--report-bindings"; /* into mpirun's output: GNX_MPI_VERBOSE shows it */
  }
  return n;
}

/* With --hosts, the harness's BLAS and OpenMP settings go to every rank as
 * -x NAME=VALUE. A rank that mpirun starts on another host, through the
 * daemon that ssh started there, gets only the OMPI_* and -x variables, not
 * the harness's environment (on one host the ranks inherit mpirun's). Found
 * across two hosts (bench/hosts.sh): without OPENBLAS_CORETYPE the remote
 * ranks' OpenBLAS chose another kernel, and gnn's results differed from
 * serial's, which the harness computed with it; any cluster whose login
 * node sets such a variable in the shell would fail the same way. */
static int mpi_env_forwarded(const char *e) {
  static const char *const pre[] = {"OPENBLAS_", "GOTO_", "OMP_"};
  for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
    if (strncmp(e, pre[i], strlen(pre[i])) == 0 && strchr(e, '=')) {
      return 1;
    }
  }
  return 0;
}

/* mpirun's command line: gnxbench's options, then --mpi-args (Open MPI
 * lets a later option win), then this binary in rank mode. *pool holds the
 * split --mpi-args. */
static char **mpi_argv(struct mpi_job *j, char **pool) {
  const char *const *cell = j->run->cell_argv;
  const char *extra = gnx_param_str(j->run->params, "mpi-args");
  size_t n_cell = 0, n = 0;
  while (cell[n_cell]) {
    n_cell++;
  }
  size_t n_env = 0;
  for (char **e = environ; j->hosts && e && *e; e++) {
    n_env += (size_t)mpi_env_forwarded(*e);
  }
  *pool = strdup(extra ? extra : "");
  char **v = calloc(32 + n_cell + 2 * n_env + (*pool ? strlen(*pool) : 0), sizeof *v);
  if (!v || !*pool) {
    free(v);
    return NULL;
  }
  static char np[16], win[40];
  snprintf(np, sizeof np, "%u", j->ranks);
  snprintf(win, sizeof win, "--mpi-window=%u", j->window);
  v[n++] = (char *)gnx_param_str(j->run->params, "mpirun");
  v[n++] = "-np";
  v[n++] = np;
  n = mpi_argv_place(j, v, n);
  const char *xs[] = {"-x", "GNX_MPI_ADDR", "-x", "GNX_MPI_TOKEN"};
  for (size_t i = 0; i < 4; i++) {
    v[n++] = (char *)xs[i];
  }
  for (char **e = environ; j->hosts && e && *e && n_env; e++) { /* before --mpi-args: theirs win */
    if (mpi_env_forwarded(*e)) {
      v[n++] = "-x";
      v[n++] = *e;
      n_env--;
    }
  }
  char *save = NULL;
  for (char *t = strtok_r(*pool, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
    v[n++] = t;
  }
  v[n++] = j->exe;
  v[n++] = "rank";
  v[n++] = "mpi";
  for (size_t i = 0; i < n_cell; i++) {
    v[n++] = (char *)cell[i];
  }
  v[n++] = win;
  v[n] = NULL;
  return v;
}

/* In the forked child: what Open MPI needs here, unless the user set it. */
static void mpi_child_env(struct mpi_job *j) {
  char tok[24];
  snprintf(tok, sizeof tok, "%016llx", (unsigned long long)j->token);
  setenv("GNX_MPI_ADDR", j->addr, 1);
  setenv("GNX_MPI_TOKEN", tok, 1);
  gnx_mpirun_env(j->tmp, j->hosts != NULL);
}

/* One host: a private directory for Open MPI's files (named by our pid),
 * removed after the job however it ended; other hosts would not have it. */
static int mpi_tmp_make(struct mpi_job *j) {
  char base[32];
  int rc = j->hosts ? 0 : gnx_mpirun_tmp_make(j->tmp, sizeof j->tmp, base, sizeof base);
  if (rc < 0) {
    return gnx_run_fail(j->run, rc, "mpi: cannot make a directory for Open MPI's files "
                        "in %s: %s; set TMPDIR to a writable one", base, strerror(-rc));
  }
  return 0;
}

static __attribute__((noreturn)) void mpi_child_exec(struct mpi_job *j, char **argv, int out,
                                                     int ex) {
  setpgid(0, 0); /* its own group: the harness ends the job with one kill */
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
  }
  dup2(out, 1);
  dup2(out, 2);
  mpi_child_env(j);
  execvp(argv[0], argv);
  int e = errno;
  ssize_t w = write(ex, &e, sizeof e);
  (void)w;
  _exit(127);
}

static int mpi_spawn(struct mpi_job *j, char **argv) {
  int out[2], ex[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
    return gnx_run_fail(j->run, -errno, "mpi: pipe: %s", strerror(errno));
  }
  pid_t pid = gnx_child_fork(j->run, &j->child);
  if (pid == 0) {
    mpi_child_exec(j, argv, out[1], ex[1]);
  }
  close(out[1]);
  close(ex[1]);
  j->out_fd = out[0];
  (void)fcntl(j->out_fd, F_SETFL, O_NONBLOCK);
  int e = 0;
  ssize_t r = pid > 0 ? read(ex[0], &e, sizeof e) : 0; /* EOF: the exec worked */
  close(ex[0]);
  if (pid > 0) {
    setpgid(pid, pid);
  }
  if (pid > 0 && r == sizeof e) {
    return gnx_run_fail(j->run, GNX_EUSAGE, "mpi: cannot run --mpirun '%s': %s; install Open MPI "
                        "(apt-get install openmpi-bin) or give --mpirun PATH", argv[0],
                        strerror(e));
  }
  return pid < 0 ? (int)pid : 0;
}

/* ---- the harness side: watching mpirun --------------------------------------- */

/* Keep the last MPI_TAIL bytes of what mpirun printed. Returns 1 at EOF. */
static int mpi_drain(struct mpi_job *j) {
  char buf[4096];
  for (;;) {
    ssize_t n = j->out_fd >= 0 ? read(j->out_fd, buf, sizeof buf) : 0;
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return n == 0;
    }
    if (j->verbose) {
      fwrite(buf, 1, (size_t)n, stderr);
    }
    size_t keep = (size_t)n > sizeof j->tail ? sizeof j->tail : (size_t)n;
    if (j->tail_len + keep > sizeof j->tail) {
      size_t drop = j->tail_len + keep - sizeof j->tail;
      memmove(j->tail, j->tail + drop, j->tail_len - drop);
      j->tail_len -= drop;
    }
    memcpy(j->tail + j->tail_len, buf + n - keep, keep);
    j->tail_len += keep;
  }
}

/* mpirun has ended (not reaped: the core reaps it, after our message). */
static int mpi_mpirun_ended(struct mpi_job *j, int *status) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (j->child.pid <= 0 ||
      waitid(P_PID, (id_t)j->child.pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0) {
    return 0;
  }
  *status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
  return 1;
}

/* How much a line of mpirun's output says: a rank's death (what mpi_explain
 * parses), then a rank's own words, then an abort, then anything but a
 * rule of dashes. */
static int mpi_line_score(const char *l) {
  return strstr(l, "exited on signal")             ? 4
         : strncmp(l, "gnxbench rank", 13) == 0    ? 3
         : strstr(l, "MPI_ABORT was invoked")      ? 2
         : *l && *l != '-'                         ? 1
                                                   : 0;
}

/* The line of mpirun's output that says most (the first of the best kind,
 * the last of plain ones). */
static void mpi_last_words(struct mpi_job *j, char *out, size_t len) {
  char text[MPI_TAIL + 1];
  memcpy(text, j->tail, j->tail_len);
  text[j->tail_len] = '\0';
  int best = 0;
  char *save = NULL;
  snprintf(out, len, "(nothing)");
  for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    l += strspn(l, " ");
    int score = mpi_line_score(l);
    if (score > best || (score == 1 && best == 1)) {
      best = score;
      snprintf(out, len, "%s", l);
    }
  }
}

/* A rank died, or mpirun ended early: say which rank and signal, from
 * mpirun's own report of it. */
static int mpi_explain(struct mpi_job *j, const char *when) {
  uint64_t until = gnx_now_ns() + 5000000000ull;
  int status = 0;
  while (!mpi_drain(j) && gnx_now_ns() < until) {
    struct pollfd p = {j->out_fd, POLLIN, 0};
    (void)poll(&p, 1, 20);
  }
  char line[512];
  mpi_last_words(j, line, sizeof line);
  int rank = -1, pid = -1, sig = 0;
  char node[128] = "";
  const char *at = strstr(line, "process rank");
  if (at && sscanf(at, "process rank %d with PID %d on node %127s exited on signal %d", &rank,
                   &pid, node, &sig) == 4) {
    const char *ab = sigabbrev_np(sig);
    const struct gnx_fault *f = j->run->fault;
    if (f && f->enabled && f->worker == rank && f->sig == sig) {
      gnx_run_fault_seen(j->run); /* the rank's own record died with it */
    }
    if (pid <= 0 && rank >= 0 && (unsigned)rank < j->ranks) {
      pid = j->rw[rank].tw->pid; /* Open MPI 4.1 prints PID 0 here */
    }
    return gnx_run_fail(j->run, GNX_EWORKER, "mpi: rank %d (pid %d on %s) was killed by signal "
                        "%d (SIG%s) %s; mpirun ended the job", rank, pid, node, sig,
                        ab ? ab : "?", when);
  }
  int ended = mpi_mpirun_ended(j, &status);
  return gnx_run_fail(j->run, GNX_EWORKER, "mpi: the job ended %s (mpirun %s %d), its last "
                      "words: %s; check --mpirun and --mpi-args", when,
                      ended && WIFSIGNALED(status) ? "killed by signal" : "status",
                      ended ? (WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)) : -1,
                      line);
}

/* End the job: SIGTERM to mpirun's group (it takes its ranks down), then
 * SIGKILL after 2 s; ranks elsewhere die with their daemon. */
static void mpi_kill(struct mpi_job *j) {
  if (j->child.pid <= 0) {
    return;
  }
  int status;
  kill(-j->child.pid, SIGTERM);
  for (int t = 0; t < 200 && !mpi_mpirun_ended(j, &status); t++) {
    mpi_drain(j);
    gnx_sleep_ns(10000000);
  }
  kill(-j->child.pid, SIGKILL);
  gnx_child_kill(j->run, &j->child);
}

/* ---- the harness side: reading frames -------------------------------------- */

/* Wait until the socket (or, before rank 0 connects, the listening one) is
 * readable; keeps mpirun's output drained; gives up on a stop, a failure,
 * mpirun's end, and during start-up at the deadline. */
static int mpi_wait_readable(struct mpi_job *j, int fd, int startup) {
  for (;;) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {j->out_fd, POLLIN, 0}};
    int n = poll(p, j->out_fd >= 0 ? 2 : 1, MPI_POLL_MS);
    if (n < 0 && errno != EINTR) {
      return gnx_run_fail(j->run, -errno, "mpi: poll: %s", strerror(errno));
    }
    if (n > 0 && p[1].revents && mpi_drain(j)) {
      close(j->out_fd); /* mpirun is ending */
      j->out_fd = -1;
    }
    if (n > 0 && p[0].revents) {
      return 0;
    }
    int rc = gnx_run_check(j->run), status;
    if (rc == 0 && mpi_mpirun_ended(j, &status)) {
      rc = mpi_explain(j, startup ? "before rank 0 reached the harness" : "during the run");
    }
    if (rc == 0 && startup && gnx_now_ns() > j->deadline) {
      char line[512];
      mpi_last_words(j, line, sizeof line);
      rc = gnx_run_fail(j->run, -ETIMEDOUT, "mpi: the ranks did not reach the start barrier "
                        "within --mpi-timeout (mpirun's last words: %s); check --mpirun, --hosts "
                        "and that every host has this gnxbench at the same path", line);
    }
    if (rc) {
      return rc;
    }
  }
}

static int mpi_read(struct mpi_job *j, void *p, size_t n, int startup) {
  while (n) {
    if (j->rpos < j->rlen) {
      size_t k = j->rlen - j->rpos < n ? j->rlen - j->rpos : n;
      memcpy(p, j->rbuf + j->rpos, k);
      j->rpos += k;
      p = (char *)p + k;
      n -= k;
      continue;
    }
    int big = n >= MPI_RBUF; /* straight into place: no second copy */
    ssize_t r = read(j->fd, big ? p : j->rbuf, big ? n : MPI_RBUF);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
      int rc = mpi_wait_readable(j, j->fd, startup);
      if (rc) {
        return rc;
      }
      continue;
    }
    if (r <= 0) {
      return mpi_explain(j, startup ? "before the start barrier" : "during the run");
    }
    if (big) {
      p = (char *)p + r;
      n -= (size_t)r;
    } else {
      j->rpos = 0;
      j->rlen = (size_t)r;
    }
  }
  return 0;
}

/* One frame's header, and its body into j->body. */
static int mpi_frame_read(struct mpi_job *j, struct mpi_frame *f, int startup) {
  int rc = mpi_read(j, f, sizeof *f, startup);
  if (rc == 0 && f->len > ((uint64_t)1 << 34)) {
    rc = gnx_run_fail(j->run, GNX_EFORMAT, "mpi: a frame of %llu bytes from rank 0",
                      (unsigned long long)f->len);
  }
  if (rc == 0 && gnx_buf_reserve(&j->body, (size_t)f->len + 1) < 0) {
    rc = gnx_run_fail(j->run, -ENOMEM, "mpi: out of memory for a frame");
  }
  if (rc == 0) {
    rc = mpi_read(j, j->body.data, (size_t)f->len, startup);
    j->body.len = (size_t)f->len;
    j->body.data[f->len] = '\0';
  }
  if (rc == 0 && f->type == MPI_F_FAIL) {
    rc = gnx_run_fail(j->run, GNX_EWORKER, "mpi: rank %u: %s", f->a, (char *)j->body.data);
  }
  return rc;
}

/* ---- the harness side: the run ---------------------------------------------- */

/* Rank 0 connects, proves the token, measures our clock (we answer its
 * pings), and says when every rank is past the barrier. */
static int mpi_startup(struct mpi_job *j) {
  int rc = mpi_wait_readable(j, j->lfd, 1);
  if (rc == 0) {
    j->fd = accept4(j->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    rc = j->fd < 0 ? gnx_run_fail(j->run, -errno, "mpi: accept: %s", strerror(errno)) : 0;
  }
  struct mpi_frame f;
  rc = rc ? rc : mpi_frame_read(j, &f, 1);
  if (rc == 0 && (f.type != MPI_F_HELLO || f.b != j->token || f.a != j->ranks)) {
    return gnx_run_fail(j->run, GNX_EFORMAT, "mpi: a stranger connected (bad hello): another "
                        "job's rank 0, or not an mpi rank");
  }
  while (rc == 0) {
    rc = mpi_frame_read(j, &f, 1);
    if (rc == 0 && f.type == MPI_F_PING) {
      uint64_t now = gnx_now_ns();
      struct iovec iov = {&now, sizeof now};
      rc = mpi_write_all(j->fd, &iov, 1);
    } else if (rc == 0 && f.type == MPI_F_STARTED &&
               f.len == sizeof(struct mpi_started) + 4 * j->ranks) {
      gnx_run_started(j->run);
      uint64_t now = gnx_now_ns();
      struct iovec go = {&now, sizeof now};
      rc = mpi_write_all(j->fd, &go, 1);
      const struct mpi_started *s = (const void *)j->body.data;
      const int32_t *pids = (const void *)(s + 1);
      for (unsigned k = 0; k < j->ranks; k++) {
        j->rw[k].tw->pid = pids[k];
      }
      if (rc < 0) {
        return gnx_run_fail(j->run, rc, "mpi: rank 0 went away at the start");
      }
      if (j->verbose) {
        fprintf(stderr, "mpi: MPI_Init %.1f ms on rank 0; smallest round trip %.1f us between "
                "ranks, %.1f us to the harness\n", s->init_ns / 1e6, s->rtt_ns / 1e3,
                s->harness_rtt_ns / 1e3);
      }
      return 0;
    } else if (rc == 0) {
      rc = gnx_run_fail(j->run, GNX_EFORMAT, "mpi: frame %u before the start", f.type);
    }
  }
  return rc;
}

static int mpi_consume(struct mpi_job *j) {
  const struct gnx_workload *wl = j->run->wl;
  for (uint64_t i = 0; i < j->run->info->items; i++) {
    struct mpi_frame f;
    uint64_t t0 = gnx_now_ns();
    int rc = mpi_frame_read(j, &f, 0);
    if (rc == 0 && (f.type != MPI_F_ITEM || f.b != i)) {
      rc = gnx_run_fail(j->run, GNX_EFORMAT, "mpi: expected item %llu, got frame %u (item %llu)",
                        (unsigned long long)i, f.type, (unsigned long long)f.b);
    }
    if (rc == 0) {
      gnx_worker_waited(&j->sink, GNX_SPAN_WAIT_IN, wl->n_stages, i, t0);
      rc = gnx_run_deliver(j->run, &j->sink, i, &j->body, 0);
    }
    if (rc == 0) {
      rc = gnx_run_check(j->run);
    }
    if (rc) {
      return rc;
    }
  }
  return 0;
}

/* Rank k's record, as it sent it: spans already on our clock. */
static int mpi_take_trace(struct mpi_job *j, uint32_t k) {
  const struct mpi_rank_trace *h = (const void *)j->body.data;
  if (k >= j->ranks || j->body.len < sizeof *h) {
    return gnx_run_fail(j->run, GNX_EFORMAT, "mpi: a bad trace frame (rank %u)", k);
  }
  struct gnx_trace_worker *tw = j->rw[k].tw;
  size_t have = (j->body.len - sizeof *h) / sizeof(struct gnx_span);
  size_t n = h->len < have ? h->len : have;
  n = n < tw->cap ? n : tw->cap;
  memcpy(tw->spans, h + 1, n * sizeof(struct gnx_span));
  tw->len = (uint32_t)n;
  tw->dropped = h->dropped + (uint32_t)(h->len - n);
  tw->pid = h->pid;
  tw->tid = h->tid;
  tw->cpu_begin = h->cpu_begin;
  tw->cpu_end = h->cpu_end;
  tw->ctr_src = h->ctr_src;
  memcpy(tw->wctr, h->wctr, sizeof tw->wctr);
  memcpy(tw->buf_maps, h->buf_maps, sizeof tw->buf_maps);
  char here[64] = "";
  gethostname(here, sizeof here - 1);
  if (h->host[0] && strncmp(h->host, here, sizeof here) != 0) {
    char name[96];
    snprintf(name, sizeof name, "mpi.r%u@%s", k, h->host);
    memcpy(tw->name, name, sizeof tw->name - 1); /* the host shortened to fit */
  }
  return 0;
}

/* Every rank's trace, then the end; then mpirun exits by itself. */
static int mpi_finish(struct mpi_job *j) {
  int rc = 0;
  for (unsigned n = 0; rc == 0; n++) {
    struct mpi_frame f;
    rc = mpi_frame_read(j, &f, 0);
    if (rc == 0 && f.type == MPI_F_END) {
      break;
    }
    rc = rc ? rc : f.type == MPI_F_TRACE && n < j->ranks ? mpi_take_trace(j, f.a)
                                                          : gnx_run_fail(j->run, GNX_EFORMAT,
                                                                         "mpi: frame %u after "
                                                                         "the items", f.type);
  }
  uint64_t until = gnx_now_ns() + MPI_EXIT_NS;
  int status = 0, ended = 0;
  while (rc == 0 && !(ended = mpi_mpirun_ended(j, &status)) && gnx_now_ns() < until) {
    mpi_drain(j);
    rc = gnx_run_check(j->run);
    gnx_sleep_ns(1000000);
  }
  if (rc == 0 && (!ended || status != 0)) {
    char line[512];
    mpi_drain(j);
    mpi_last_words(j, line, sizeof line);
    rc = gnx_run_fail(j->run, GNX_EWORKER, "mpi: mpirun %s after the last item: %s",
                      ended ? "failed" : "did not exit", line);
  }
  if (rc == 0) {
    gnx_child_reap(j->run, &j->child, 1);
  }
  return rc;
}

/* Register the sink and every rank in our trace, before mpirun starts. */
static int mpi_register(struct mpi_job *j) {
  unsigned n = j->run->wl->n_stages;
  j->rw = calloc(j->ranks, sizeof *j->rw);
  j->rbuf = malloc(MPI_RBUF);
  if (!j->rw || !j->rbuf) {
    return gnx_run_fail(j->run, -ENOMEM, "mpi: out of memory");
  }
  int rc = gnx_worker_init(&j->sink, j->run, 0, "sink", n, n);
  for (unsigned k = 0; rc == 0 && k < j->ranks; k++) {
    char name[GNX_TRACE_NAME_MAX];
    snprintf(name, sizeof name, "mpi.r%u", k);
    rc = k == 0 ? gnx_worker_init_transport(&j->rw[k], j->run, 0, name)
                : gnx_worker_init(&j->rw[k], j->run, (int)k, name, 0, n - 1);
  }
  return rc;
}

static int mpi_launch(struct mpi_job *j) {
  char *pool = NULL;
  char **argv = mpi_argv(j, &pool);
  int rc = argv ? 0 : gnx_run_fail(j->run, -ENOMEM, "mpi: out of memory");
  for (size_t i = 0; rc == 0 && j->verbose && argv[i]; i++) {
    fprintf(stderr, "%s%s", argv[i], argv[i + 1] ? " " : "\n");
  }
  if (rc == 0) {
    rc = mpi_spawn(j, argv);
  }
  free(argv);
  free(pool);
  return rc;
}

static int mpi_run(struct gnx_run *run) {
  struct mpi_job j = {.run = run, .out_fd = -1, .lfd = -1, .fd = -1,
                      .verbose = getenv("GNX_MPI_VERBOSE") != NULL};
  int rc = mpi_job_parse(&j);
  rc = rc ? rc : mpi_register(&j);
  rc = rc ? rc : mpi_listen(&j);
  rc = rc ? rc : mpi_tmp_make(&j);
  rc = rc ? rc : mpi_launch(&j);
  /* after the fork: mpirun and its ranks must not inherit the sink's pin */
  rc = rc ? rc : gnx_worker_enter(&j.sink);
  rc = rc ? rc : mpi_startup(&j);
  rc = rc ? rc : mpi_consume(&j);
  rc = rc ? rc : mpi_finish(&j);
  mpi_kill(&j); /* after a failure or a stop: no rank left running */
  gnx_mpirun_tmp_remove(j.tmp);
  gnx_worker_exit(&j.sink);
  int fds[] = {j.fd, j.lfd, j.out_fd};
  for (size_t i = 0; i < 3; i++) {
    if (fds[i] >= 0) {
      close(fds[i]);
    }
  }
  gnx_buf_free(&j.body);
  free(j.rbuf);
  free(j.rw);
  return rc;
}

/* Whether `name` runs: a path, or a name found in PATH. */
static int mpi_runnable(const char *name) {
  if (strchr(name, '/')) {
    return access(name, X_OK) == 0;
  }
  const char *path = getenv("PATH");
  char dir[4096];
  for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
    size_t l = strcspn(p, ":");
    snprintf(dir, sizeof dir, "%.*s/%s", (int)l, p, name);
    if (l && access(dir, X_OK) == 0) {
      return 1;
    }
    p += l + (p[l] == ':');
  }
  return 0;
}

static int mpi_check(const struct gnx_params *params, char *why) {
  const char *mpirun = gnx_param_str(params, "mpirun");
  const char *hosts = gnx_param_str(params, "hosts");
  if (mpirun && !mpi_runnable(mpirun)) {
    snprintf(why, GNX_WHY_MAX, "--mpirun %.80s: not found or not executable; install Open MPI "
             "(apt-get install openmpi-bin) or give --mpirun PATH", mpirun);
    return GNX_EUSAGE;
  }
  if (hosts && access(hosts, R_OK) < 0) {
    snprintf(why, GNX_WHY_MAX, "--hosts %.80s: cannot read it (%s); give an Open MPI hostfile, "
             "one 'HOST slots=N' per line", hosts, strerror(errno));
    return GNX_EUSAGE;
  }
  return 0;
}

#define MPI_RUN mpi_run
#define MPI_RANK mpi_rank
#define MPI_CHECK mpi_check
#define MPI_UNAVAILABLE NULL

#else /* !GNX_HAVE_MPI */

static int mpi_run(struct gnx_run *run) {
  return gnx_run_fail(run, GNX_EUSAGE, "mpi: built without Open MPI (install openmpi-bin "
                      "libopenmpi-dev and rebuild)");
}

#define MPI_RUN mpi_run
#define MPI_RANK NULL
#define MPI_CHECK NULL
#define MPI_UNAVAILABLE "built without Open MPI (install openmpi-bin libopenmpi-dev and rebuild)"

#endif

const struct gnx_engine gnx_engine_mpi = {
    .abi = GNX_ENGINE_ABI,
    .name = "mpi",
    .summary = "Open MPI ranks (started through mpirun) claim whole items from rank 0, which "
               "relays results in order to the sink; all ranks on one timeline",
    .flags = GNX_ENGINE_F_FORKS,
    .options = mpi_options,
    .run = MPI_RUN,
    .model = mpi_model,
    .unavailable = MPI_UNAVAILABLE,
    .rank = MPI_RANK,
    .check = MPI_CHECK,
};
