/* SPDX-License-Identifier: MIT */
/* scenarios/broadcast.c: replicate (every rank builds the prepared object
 * itself) or broadcast (rank 0 builds it, serializes it, the others
 * receive and deserialize it)?
 *
 * R ranks meet over one of two transports (--transport). shm: forked
 * processes sharing one anonymous mapping (nothing under /dev/shm that
 * could leak; ranks die with the harness), pthread barriers as the
 * collective. mpi: each configuration is one `mpirun -np R` job of this
 * binary (`gnxbench scenario-rank broadcast ...`, hidden), MPI_Bcast of
 * the serialized bytes as the collective; each rank's clock is measured
 * against rank 0's first (ranks may be on other hosts) and rank 0 gathers
 * every rank's observations, on its own clock, into a file of the
 * scenario's directory. Both feed the same collection, model and verdict.
 * Each request needs the same object, S bytes hashed --rounds times, on
 * every rank. Measured as OSU's osu_bcast is: warm-up requests, a barrier
 * outside the timed part, then each rank's mean latency (from the
 * request's start on that rank to the object in hand there), min/avg/max
 * across ranks; or requests arriving at --rate per second, latency from
 * arrival. The cost model: replicate costs T_build x max(1, R/C) on C
 * CPUs; broadcast T_build + T_serialize + T_transfer + T_deserialize x
 * max(1, (R-1)/C). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#if GNX_HAVE_MPI
#include <mpi.h>
#include <poll.h>
#endif

#include "gnx/mpirun.h"
#include "reports/schema.h"
#include "scenarios/scenario.h"

#define BC_MAX_RANKS 64
#define BC_MAX_LIST 6
#define BC_MAX_REQ 1000
#define BC_SIZE_MAX (64u << 20)

static const struct gnx_option bc_options[] = {
    {"ranks", GNX_OPT_STR, "auto", "rank counts, e.g. 2,4 (auto: the CPUs and twice them)", 0, 0,
     0},
    {"object-sizes", GNX_OPT_STR, "256k,2m", "object sizes in bytes (k, m suffixes)", 0, 0, 0},
    {"rounds", GNX_OPT_STR, "1,8,32", "build costs: hash passes over the object", 0, 0, 0},
    {"requests", GNX_OPT_U64, "12", "timed requests per configuration", 1, BC_MAX_REQ, 0},
    {"rate", GNX_OPT_U64, "0", "requests per second arriving (0: back to back)", 0, 100000, 0},
    {"oversubscribe", GNX_OPT_U64, "0", "1: allow more ranks than CPUs in --ranks", 0, 1, 0},
    {"transport", GNX_OPT_STR, "auto",
     "how ranks meet: shm (forked processes, one mapping), mpi (mpirun, MPI_Bcast), auto (mpi "
     "where built and mpirun is in PATH, else shm)", 0, 0, 0},
    {"mpi-timeout", GNX_OPT_U64, "60", "mpi: seconds from mpirun's start until the ranks are ready",
     1, 3600, 0},
    GNX_OPTIONS_END,
};

enum { BC_REPLICATE, BC_BROADCAST };
static const char *const bc_modes[2] = {"replicate", "broadcast"};

/* One rank's view of one request, in the shared mapping. */
struct bc_obs {
  uint64_t t_arrive, t_got; /* request start (or arrival), object in hand */
  uint64_t t_post, t_wake;  /* broadcast: rank 0 posted; this rank left the collective */
  uint64_t build_ns, ser_ns, deser_ns;
  uint64_t sum;             /* the object's checksum */
};

struct bc_shared {
  pthread_barrier_t barrier;
  uint64_t t_base;
  struct bc_obs obs[BC_MAX_RANKS][BC_MAX_REQ];
  /* then the object's slot: S bytes plus its header */
};

/* One configuration's outcome. */
struct bc_result {
  double lat_min, lat_avg, lat_max; /* ms: each rank's mean, across ranks */
  double req_s;
  double build, ser, transfer, deser; /* ms, means */
  int same;                           /* every rank held the same object */
  int measured;                       /* collected: the job or the ranks succeeded */
  uint64_t sums[BC_MAX_REQ];          /* rank 0's checksums */
};

struct bc_priv {
  uint64_t ranks[BC_MAX_LIST], sizes[BC_MAX_LIST], rounds[BC_MAX_LIST];
  size_t n_ranks, n_sizes, n_rounds;
  uint64_t requests, rate;
  unsigned cpus;
  int oversubscribed;
  struct bc_result res[BC_MAX_LIST][BC_MAX_LIST][BC_MAX_LIST][2]; /* size, ranks, rounds, mode */
  int interrupted;
  int mpi;                /* the transport: 0 shm, 1 mpi */
  uint64_t timeout_s;     /* mpi: --mpi-timeout */
  char exe[PATH_MAX];     /* mpi: this binary, which every rank runs */
  char dir[PATH_MAX];     /* mpi: the scenario's directory, absolute */
  char tmp[64];           /* mpi: Open MPI's files */
};

static const char *const bc_transports[2] = {"shm", "mpi"};

/* ---- the object ----------------------------------------------------------- */

static uint64_t bc_mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

/* Request i's object: S bytes, then `rounds` chained hash passes (each
 * word depends on the one before it: no pass can be skipped or split). */
static void bc_build(uint64_t *o, size_t words, uint64_t i, uint64_t rounds) {
  for (size_t k = 0; k < words; k++) {
    o[k] = bc_mix(i * 0x9E3779B97F4A7C15ull + k);
  }
  for (uint64_t r = 0; r < rounds; r++) {
    uint64_t prev = r;
    for (size_t k = 0; k < words; k++) {
      prev = o[k] = bc_mix(o[k] ^ prev);
    }
  }
}

static uint64_t bc_sum(const uint64_t *o, size_t words) {
  uint64_t h = 0;
  for (size_t k = 0; k < words; k++) {
    h = (h ^ o[k]) * 0x100000001b3ull;
  }
  return h;
}

/* Serialize: a length header, then every word (as pickle writes them out),
 * into the shared slot; deserialize reads the header, copies the words out
 * and checks the length. */
static void bc_serialize(uint64_t *slot, const uint64_t *o, size_t words) {
  slot[0] = words;
  memcpy(slot + 1, o, words * sizeof *o);
}

static int bc_deserialize(uint64_t *o, const uint64_t *slot, size_t words) {
  if (slot[0] != words) {
    return -1;
  }
  memcpy(o, slot + 1, words * sizeof *o);
  return 0;
}

/* ---- a rank ----------------------------------------------------------------- */

struct bc_cfg {
  size_t words;
  unsigned ranks;
  uint64_t rounds, requests, warmup, rate;
  int mode;
};

/* How a rank meets the others, on either transport: shm's hooks use the
 * shared mapping and pthread barriers, mpi's MPI_Barrier and MPI_Bcast. */
struct bc_io {
  void (*barrier)(struct bc_io *io);
  void (*bcast)(struct bc_io *io, size_t words); /* rank 0's slot into every rank's */
  void (*release)(struct bc_io *io);             /* the slot is free again (or NULL) */
  void (*start)(struct bc_io *io);               /* agree t_base, then a barrier */
  uint64_t *slot;                                /* the serialized object */
  struct bc_obs *obs;                            /* this rank's, per timed request */
  uint64_t t_base;                               /* a rate's first arrival, this rank's clock */
  int64_t skew;                                  /* tests: this rank's clock reads ahead by */
  unsigned rank;
  void *ctx;
};

static uint64_t bc_now(const struct bc_io *io) { return gnx_now_ns() + (uint64_t)io->skew; }

/* Until timed request it's start: a barrier outside the timed part (back
 * to back, and every warm-up), or its arrival time (a rate). Returns the
 * request's start. */
static uint64_t bc_arrive(struct bc_io *io, const struct bc_cfg *c, uint64_t it, int warm) {
  if (!c->rate || warm) {
    io->barrier(io);
    return bc_now(io);
  }
  uint64_t at = io->t_base + it * 1000000000ull / c->rate, now = bc_now(io);
  if (now < at) {
    gnx_sleep_ns(at - now);
  }
  return at;
}

static void bc_request(struct bc_io *io, const struct bc_cfg *c, uint64_t it, uint64_t *o,
                       struct bc_obs *ob) {
  uint64_t t = bc_now(io);
  if (c->mode == BC_REPLICATE || io->rank == 0) {
    bc_build(o, c->words, it, c->rounds);
    ob->build_ns = bc_now(io) - t;
  }
  if (c->mode == BC_BROADCAST) {
    if (io->rank == 0) {
      t = bc_now(io);
      bc_serialize(io->slot, o, c->words);
      ob->t_post = bc_now(io);
      ob->ser_ns = ob->t_post - t;
    }
    io->bcast(io, c->words); /* the collective: everyone waits for the root */
    ob->t_wake = bc_now(io);
    if (io->rank != 0) {
      ob->deser_ns = bc_deserialize(o, io->slot, c->words) == 0 ? bc_now(io) - ob->t_wake : 0;
    }
    if (io->release) {
      io->release(io);
    }
  }
}

/* Warm-up, then the timed requests into io->obs. Returns 0 or -ENOMEM. */
static int bc_rank_loop(struct bc_io *io, const struct bc_cfg *c) {
  uint64_t *o = malloc(c->words * sizeof *o);
  if (!o) {
    return -ENOMEM;
  }
  struct bc_obs warm;
  for (uint64_t it = 0; it < c->warmup; it++) {
    bc_arrive(io, c, 0, 1);
    bc_request(io, c, c->requests + it, o, &warm);
  }
  io->start(io);
  for (uint64_t it = 0; it < c->requests; it++) {
    struct bc_obs *ob = &io->obs[it];
    memset(ob, 0, sizeof *ob);
    ob->t_arrive = bc_arrive(io, c, it, 0);
    bc_request(io, c, it, o, ob);
    ob->t_got = bc_now(io);
    ob->sum = bc_sum(o, c->words);
  }
  free(o);
  return 0;
}

/* shm: forked ranks, one mapping, pthread barriers as the collective. */
static void bc_shm_barrier(struct bc_io *io) {
  pthread_barrier_wait(&((struct bc_shared *)io->ctx)->barrier);
}

static void bc_shm_bcast(struct bc_io *io, size_t words) {
  (void)words; /* one slot for all: rank 0 wrote it there */
  bc_shm_barrier(io);
}

static void bc_shm_start(struct bc_io *io) {
  struct bc_shared *sh = io->ctx;
  if (io->rank == 0) {
    sh->t_base = gnx_now_ns() + 1000000; /* a rate's first arrival, shortly */
  }
  bc_shm_barrier(io);
  io->t_base = sh->t_base;
}

static void bc_rank(struct bc_shared *sh, const struct bc_cfg *c, unsigned rank) {
  struct bc_io io = {.barrier = bc_shm_barrier, .bcast = bc_shm_bcast,
                     .release = bc_shm_barrier, .start = bc_shm_start,
                     .slot = (uint64_t *)(sh + 1), .obs = sh->obs[rank], .rank = rank, .ctx = sh};
  _exit(bc_rank_loop(&io, c) < 0);
}

/* ---- one configuration --------------------------------------------------------- */

static struct bc_shared *bc_map(size_t words, size_t *bytes) {
  *bytes = sizeof(struct bc_shared) + (words + 1) * sizeof(uint64_t);
  void *m = mmap(NULL, *bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return m == MAP_FAILED ? NULL : m;
}

/* Fork the ranks and wait for all. Returns 0, 1 (a rank failed), or 130. */
static int bc_fork_all(struct bc_shared *sh, const struct bc_cfg *c) {
  pid_t pids[BC_MAX_RANKS];
  pid_t parent = getpid();
  unsigned n = 0;
  int rc = 0;
  fflush(NULL);
  for (; n < c->ranks; n++) {
    pids[n] = fork();
    if (pids[n] == 0) {
      (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      if (getppid() != parent) {
        _exit(70);
      }
      bc_rank(sh, c, n);
    }
    if (pids[n] < 0) {
      rc = 1;
      break;
    }
  }
  for (unsigned k = 0; k < n; k++) {
    if (rc) {
      kill(pids[k], SIGKILL); /* the others wait at a barrier that cannot fill */
    }
    int st = 0;
    while (waitpid(pids[k], &st, 0) < 0 && errno == EINTR) {
    }
    rc = rc ? rc : WIFSIGNALED(st) && WTERMSIG(st) == SIGINT ? 130 : st != 0;
  }
  return rc;
}

static double bc_ms(double ns_sum, double n) { return n > 0 ? ns_sum / n / 1e6 : NAN; }

/* The configuration's outcome from every rank's observations: rank k's
 * request i at obs[k * stride + i], all on one clock (rank 0's). */
static void bc_collect(const struct bc_obs *obs, size_t stride, const struct bc_cfg *c,
                       struct bc_result *r) {
  double build = 0, ser = 0, tr = 0, de = 0, nb = 0, nd = 0;
  uint64_t first = UINT64_MAX, last = 0;
  r->lat_min = INFINITY, r->lat_max = 0, r->lat_avg = 0, r->same = 1;
  for (unsigned k = 0; k < c->ranks; k++) {
    double lat = 0;
    for (uint64_t i = 0; i < c->requests; i++) {
      const struct bc_obs *o = &obs[k * stride + i], *o0 = &obs[i];
      lat += (double)(o->t_got - o->t_arrive);
      first = o->t_arrive < first ? o->t_arrive : first;
      last = o->t_got > last ? o->t_got : last;
      r->same &= o->sum == o0->sum;
      build += (double)o->build_ns, nb += o->build_ns > 0;
      ser += (double)o->ser_ns;
      if (k > 0 && c->mode == BC_BROADCAST) {
        /* ranks' clocks agree only to the offsets' error: never below 0 */
        tr += o->t_wake > o0->t_post ? (double)(o->t_wake - o0->t_post) : 0;
        de += (double)o->deser_ns, nd++;
      }
    }
    lat /= (double)c->requests * 1e6;
    r->lat_min = fmin(r->lat_min, lat), r->lat_max = fmax(r->lat_max, lat);
    r->lat_avg += lat / c->ranks;
  }
  for (uint64_t i = 0; i < c->requests; i++) {
    r->sums[i] = obs[i].sum;
  }
  r->req_s = last > first ? (double)c->requests / ((double)(last - first) / 1e9) : NAN;
  r->build = bc_ms(build, nb);
  r->ser = c->mode == BC_BROADCAST ? bc_ms(ser, (double)c->requests) : 0;
  r->transfer = c->mode == BC_BROADCAST ? bc_ms(tr, nd) : 0;
  r->deser = c->mode == BC_BROADCAST ? bc_ms(de, nd) : 0;
  r->measured = 1;
}

static int bc_one(struct bc_priv *p, const struct bc_cfg *c, struct bc_result *r) {
  size_t bytes;
  struct bc_shared *sh = bc_map(c->words, &bytes);
  if (!sh) {
    return 1;
  }
  pthread_barrierattr_t a;
  pthread_barrierattr_init(&a);
  pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_barrier_init(&sh->barrier, &a, c->ranks);
  pthread_barrierattr_destroy(&a);
  int rc = bc_fork_all(sh, c);
  if (rc == 0) {
    bc_collect(&sh->obs[0][0], BC_MAX_REQ, c, r);
  }
  p->interrupted |= rc == 130;
  pthread_barrier_destroy(&sh->barrier);
  munmap(sh, bytes);
  return rc;
}

/* ---- mpi: one configuration as one mpirun job ------------------------------ */

#if GNX_HAVE_MPI

#define BC_SYNC_ROUNDS 16
#define BC_READY "gnx-bcast: ranks ready"
#define BC_OBS_MAGIC 0x31736f6263ull /* "bcos1" */
#define BC_TAG_SYNC 7

/* What rank 0 writes for the scenario: this, then ranks x requests
 * observations, every rank's moved onto rank 0's clock. */
struct bc_obs_head {
  uint64_t magic, ranks, requests, words;
};

static void bc_mpi_barrier(struct bc_io *io) {
  (void)io;
  MPI_Barrier(MPI_COMM_WORLD);
}

static void bc_mpi_bcast(struct bc_io *io, size_t words) {
  MPI_Bcast(io->slot, (int)((words + 1) * sizeof *io->slot), MPI_BYTE, 0, MPI_COMM_WORLD);
}

/* Rank 0's t_base is on its clock; this rank's clock reads *ctx ahead. */
static void bc_mpi_start(struct bc_io *io) {
  uint64_t t = io->rank == 0 ? bc_now(io) + 1000000 : 0;
  MPI_Bcast(&t, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  io->t_base = t + (uint64_t) * (const int64_t *)io->ctx;
  MPI_Barrier(MPI_COMM_WORLD);
}

/* Whether every rank is on rank 0's host, whose CLOCK_MONOTONIC they
 * share (tests' skewed clocks are not shared). */
static int bc_mpi_one_clock(const struct bc_io *io) {
  char me[256] = "", root[256];
  (void)gethostname(me, sizeof me - 1);
  memcpy(root, me, sizeof root);
  MPI_Bcast(root, sizeof root, MPI_CHAR, 0, MPI_COMM_WORLD);
  int same = strcmp(me, root) == 0 && io->skew == 0, all = 0;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  return all;
}

/* This rank's clock against rank 0's (t_k - t_0): 0 on one host, else at
 * the smallest of BC_SYNC_ROUNDS round trips. Ranks may be on other hosts,
 * so no timestamp of one rank is compared with another's until corrected;
 * on one host the estimate would only add its error (a descheduled round
 * trip on a loaded machine: milliseconds). */
static int64_t bc_mpi_offset(const struct bc_io *io, int size) {
  int64_t off = 0;
  uint64_t best = UINT64_MAX, t;
  if (bc_mpi_one_clock(io)) {
    return 0;
  }
  for (int k = 1; k < size; k++) {
    for (int r = 0; r < BC_SYNC_ROUNDS; r++) {
      uint64_t t0 = bc_now(io);
      if (io->rank == 0) {
        MPI_Recv(&t, 1, MPI_UINT64_T, k, BC_TAG_SYNC, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        t = bc_now(io);
        MPI_Send(&t, 1, MPI_UINT64_T, k, BC_TAG_SYNC, MPI_COMM_WORLD);
      } else if ((int)io->rank == k) {
        MPI_Send(&t0, 1, MPI_UINT64_T, 0, BC_TAG_SYNC, MPI_COMM_WORLD);
        MPI_Recv(&t, 1, MPI_UINT64_T, 0, BC_TAG_SYNC, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        uint64_t t1 = bc_now(io);
        if (t1 - t0 < best) {
          best = t1 - t0, off = (int64_t)((t0 + t1) / 2 - t);
        }
      }
    }
  }
  return off;
}

/* Rank 0: every rank's observations onto rank 0's clock, into path. */
static int bc_mpi_write(const char *path, struct bc_obs *all, const int64_t *off,
                        const struct bc_cfg *c) {
  for (unsigned k = 0; k < c->ranks; k++) {
    for (uint64_t i = 0; i < c->requests; i++) {
      struct bc_obs *o = &all[k * c->requests + i];
      uint64_t *t[4] = {&o->t_arrive, &o->t_got, &o->t_post, &o->t_wake};
      for (int x = 0; x < 4; x++) {
        *t[x] -= *t[x] ? (uint64_t)off[k] : 0; /* 0: not taken on this rank */
      }
    }
  }
  struct bc_obs_head h = {BC_OBS_MAGIC, c->ranks, c->requests, c->words};
  size_t n = c->ranks * c->requests;
  FILE *f = fopen(path, "wb");
  int ok = f && fwrite(&h, sizeof h, 1, f) == 1 && fwrite(all, sizeof *all, n, f) == n;
  if (f && fclose(f) != 0) {
    ok = 0;
  }
  if (!ok) {
    fprintf(stderr, "gnxbench scenario-rank broadcast: cannot write %s: %s\n", path,
            strerror(errno));
  }
  return !ok;
}

/* --words N --ranks N --rounds N --requests N --warmup N --rate N --mode N
 * --obs FILE, as bc_mpi_spawn writes them. */
static const char *const bc_rank_names[] = {"words", "ranks", "rounds", "requests",
                                            "warmup", "rate", "mode"};

static int bc_rank_args(int argc, char **argv, struct bc_cfg *c, const char **path) {
  uint64_t v[7] = {0};
  unsigned seen = 0;
  for (int i = 0; i + 1 < argc; i += 2) {
    int k = strncmp(argv[i], "--", 2) == 0 ? gnx_scen_index(bc_rank_names, 7, argv[i] + 2) : -2;
    if (k == -1 && strcmp(argv[i], "--obs") == 0) {
      *path = argv[i + 1];
    } else if (k < 0 || gnx_parse_u64(argv[i + 1], &v[k]) < 0) {
      return GNX_EUSAGE;
    } else {
      seen |= 1u << k;
    }
  }
  if (argc % 2 || seen != 0x7f || !*path || v[0] < 1 || v[0] > BC_SIZE_MAX / 8 || v[1] < 2 ||
      v[1] > BC_MAX_RANKS || v[3] < 1 || v[3] > BC_MAX_REQ || v[6] > 1) {
    return GNX_EUSAGE;
  }
  *c = (struct bc_cfg){(size_t)v[0], (unsigned)v[1], v[2], v[3], v[4], v[5], (int)v[6]};
  return 0;
}

/* The ranks' requests (bc_rank_loop, as on shm), then rank 0 gathers. */
static int bc_mpi_body(struct bc_io *io, const struct bc_cfg *c, const char *path) {
  int size = (int)c->ranks, len = (int)(c->requests * sizeof *io->obs), rc = 0;
  int64_t off = 0, *offs = io->rank == 0 ? calloc(c->ranks, sizeof *offs) : NULL;
  struct bc_obs *all = io->rank == 0 ? calloc(c->ranks * c->requests, sizeof *all) : NULL;
  io->ctx = &off;
  if ((io->rank == 0 && (!offs || !all)) || !io->slot || !io->obs) {
    fprintf(stderr, "gnxbench scenario-rank broadcast: out of memory\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  off = bc_mpi_offset(io, size);
  if (io->rank == 0) {
    printf(BC_READY "\n"); /* the scenario's start-up timeout ends here */
    fflush(stdout);
  }
  if (bc_rank_loop(io, c) < 0) {
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Gather(io->obs, len, MPI_BYTE, all, len, MPI_BYTE, 0, MPI_COMM_WORLD);
  MPI_Gather(&off, 1, MPI_INT64_T, offs, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  if (io->rank == 0) {
    rc = bc_mpi_write(path, all, offs, c);
  }
  free(all);
  free(offs);
  return rc;
}

/* `gnxbench scenario-rank broadcast ARGS`: one rank, started by mpirun. */
static int bc_mpi_rank(int argc, char **argv) {
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); /* dies with mpirun: never a rank left */
  struct bc_cfg c;
  const char *path = NULL;
  if (bc_rank_args(argc, argv, &c, &path) < 0) {
    fprintf(stderr, "gnxbench scenario-rank broadcast: bad arguments (this command is started "
                    "by the scenario under mpirun, not typed)\n");
    return 2;
  }
  int rank = 0, size = 0;
  MPI_Init(NULL, NULL);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != (int)c.ranks) {
    fprintf(stderr, "gnxbench scenario-rank broadcast: %d ranks, not %u\n", size, c.ranks);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  /* tests only: rank r's clock reads (r + 1) x this ahead, as another host's would */
  const char *skew = getenv("GNX_BC_TEST_SKEW_NS");
  struct bc_io io = {.barrier = bc_mpi_barrier, .bcast = bc_mpi_bcast, .start = bc_mpi_start,
                     .slot = malloc((c.words + 1) * sizeof(uint64_t)),
                     .obs = calloc(c.requests, sizeof(struct bc_obs)), .rank = (unsigned)rank,
                     .skew = skew ? (rank + 1) * strtoll(skew, NULL, 10) : 0};
  int rc = bc_mpi_body(&io, &c, path);
  free(io.slot);
  free(io.obs);
  MPI_Finalize();
  return rc;
}

/* ---- mpi: the scenario's side ------------------------------------------------- */

static volatile sig_atomic_t bc_stop;

static void bc_on_signal(int sig) { bc_stop = sig; }

/* Whether name is an executable in PATH. */
static int bc_in_path(const char *name) {
  const char *path = getenv("PATH");
  char f[4096];
  for (const char *d = path ? path : ""; *d; d += *d == ':') {
    size_t l = strcspn(d, ":");
    snprintf(f, sizeof f, "%.*s/%s", (int)l, d, name);
    if (l && access(f, X_OK) == 0) {
      return 1;
    }
    d += l;
  }
  return 0;
}

struct bc_job {
  pid_t pid; /* mpirun, the leader of its own process group; 0 once reaped */
  pid_t pgid;
  int out;   /* its stdout and stderr */
  int ready; /* rank 0 said BC_READY */
  char tail[4096];
  size_t tail_len;
};

/* In the forked child: what Open MPI needs here (platform.md, Open MPI as
 * root), unless the user set it, then mpirun. */
static __attribute__((noreturn)) void bc_mpi_child(const struct bc_priv *p, char **v, int out) {
  setpgid(0, 0); /* its own group: one kill ends mpirun and its ranks */
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  int null = open("/dev/null", O_RDONLY);
  dup2(null, 0);
  dup2(out, 1);
  dup2(out, 2);
  gnx_mpirun_env(p->tmp, 0);
  execvp(v[0], v);
  fprintf(stderr, "cannot run %s: %s\n", v[0], strerror(errno));
  _exit(127);
}

/* mpirun -np R for configuration c: unbound, as the forked ranks are,
 * --oversubscribe past the CPUs, this binary's scenario-rank on each. */
static int bc_mpi_spawn(const struct bc_priv *p, const struct bc_cfg *c, const char *obs,
                        struct bc_job *j) {
  uint64_t val[7] = {c->words, c->ranks, c->rounds, c->requests, c->warmup, c->rate,
                     (uint64_t)c->mode};
  char num[7][24], flag[7][16], *v[40] = {"mpirun", "-np", num[1], "--bind-to", "none"};
  size_t n = 5;
  if (c->ranks > p->cpus) {
    v[n++] = "--oversubscribe";
  }
  v[n++] = (char *)p->exe, v[n++] = "scenario-rank", v[n++] = "broadcast";
  for (int k = 0; k < 7; k++) {
    snprintf(num[k], sizeof num[k], "%llu", (unsigned long long)val[k]);
    snprintf(flag[k], sizeof flag[k], "--%s", bc_rank_names[k]);
    v[n++] = flag[k], v[n++] = num[k];
  }
  v[n++] = "--obs", v[n++] = (char *)obs, v[n] = NULL;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) {
    return -errno;
  }
  fflush(NULL);
  j->pid = fork();
  if (j->pid == 0) {
    bc_mpi_child(p, v, fds[1]);
  }
  close(fds[1]);
  if (j->pid < 0) {
    close(fds[0]);
    return -errno;
  }
  setpgid(j->pid, j->pid);
  j->pgid = j->pid, j->out = fds[0];
  (void)fcntl(j->out, F_SETFL, O_NONBLOCK);
  return 0;
}

/* Keep the end of what mpirun printed; 1 at its end of file. */
static int bc_mpi_drain(struct bc_job *j) {
  char buf[4096];
  ssize_t n;
  while ((n = read(j->out, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    size_t keep = sizeof j->tail - 1;
    for (ssize_t i = 0; i < n; i++) {
      if (j->tail_len == keep) {
        memmove(j->tail, j->tail + keep / 2, keep - keep / 2);
        j->tail_len = keep - keep / 2;
      }
      j->tail[j->tail_len++] = buf[i];
    }
    j->tail[j->tail_len] = '\0';
    j->ready |= strstr(j->tail, BC_READY) != NULL;
  }
  return n == 0;
}

/* The last line mpirun printed that says something (not a rule of dashes). */
static void bc_mpi_last(const struct bc_job *j, char *buf, size_t len) {
  snprintf(buf, len, "nothing");
  for (const char *l = j->tail; *l; l += strcspn(l, "\n"), l += *l == '\n') {
    size_t n = strcspn(l, "\n");
    if (strncmp(l, BC_READY, n) != 0 && strcspn(l, "abcdefghijklmnopqrstuvwxyz") < n) {
      snprintf(buf, len, "%.*s", (int)(n > 300 ? 300 : n), l);
    }
  }
}

/* End the job: SIGTERM to its group (mpirun takes its ranks down), SIGKILL
 * to whatever is left after 2 s; reaped. */
static void bc_mpi_kill(struct bc_job *j) {
  int st;
  kill(-j->pgid, SIGTERM);
  for (int t = 0; t < 200 && j->pid && waitpid(j->pid, &st, WNOHANG) == 0; t++) {
    gnx_sleep_ns(10000000);
  }
  kill(-j->pgid, SIGKILL);
  while (j->pid && waitpid(j->pid, &st, 0) < 0 && errno == EINTR) {
  }
  j->pid = 0;
}

/* mpirun's exit: 0, or 1 with one line on what it said. */
static int bc_mpi_ended(const struct bc_job *j, int st) {
  char last[320];
  kill(-j->pgid, SIGKILL); /* a rank mpirun left behind */
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
    return 0;
  }
  bc_mpi_last(j, last, sizeof last);
  fprintf(stderr, "gnxbench: scenario broadcast: mpirun %s %d, its last words: %s; check Open "
                  "MPI (mpirun -np 2 true) or give --transport shm\n",
          WIFSIGNALED(st) ? "was killed by signal" : "exited",
          WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), last);
  return 1;
}

/* Until mpirun ends: its output drained, the ranks ready within
 * --mpi-timeout, SIGINT or SIGTERM ending the job. Returns 0, 1 or 130. */
static int bc_mpi_wait(const struct bc_priv *p, struct bc_job *j) {
  uint64_t deadline = gnx_now_ns() + p->timeout_s * 1000000000ull;
  for (;;) {
    struct pollfd pf = {j->out, POLLIN, 0};
    if (poll(&pf, j->out >= 0, 20) > 0 && bc_mpi_drain(j)) {
      close(j->out);
      j->out = -1;
    }
    int st = 0;
    if (waitpid(j->pid, &st, WNOHANG) == j->pid) {
      j->pid = 0;
      return bc_mpi_ended(j, st);
    }
    if (bc_stop) {
      bc_mpi_kill(j);
      return 130;
    }
    if (!j->ready && gnx_now_ns() > deadline) {
      char last[320];
      bc_mpi_kill(j);
      bc_mpi_last(j, last, sizeof last);
      fprintf(stderr, "gnxbench: scenario broadcast: the ranks were not ready within "
                      "--mpi-timeout %llu s (mpirun's last words: %s); check Open MPI (mpirun "
                      "-np 2 true) or give --transport shm\n",
              (unsigned long long)p->timeout_s, last);
      return 1;
    }
  }
}

/* Rank 0's file, into the same collection as shm's. Returns 0 or 1. */
static int bc_mpi_read(const char *path, const struct bc_cfg *c, struct bc_result *r) {
  size_t n = c->ranks * c->requests;
  struct bc_obs_head h;
  struct bc_obs *obs = calloc(n, sizeof *obs);
  FILE *f = fopen(path, "rb");
  int ok = f && obs && fread(&h, sizeof h, 1, f) == 1 && h.magic == BC_OBS_MAGIC &&
           h.ranks == c->ranks && h.requests == c->requests && h.words == c->words &&
           fread(obs, sizeof *obs, n, f) == n;
  if (ok) {
    bc_collect(obs, c->requests, c, r);
  } else {
    fprintf(stderr, "gnxbench: scenario broadcast: %s: rank 0's observations are missing or "
                    "short though mpirun succeeded; check the directory's free space\n", path);
  }
  if (f) {
    fclose(f);
  }
  free(obs);
  return !ok;
}

static int bc_mpi_one(struct bc_priv *p, const struct bc_cfg *c, struct bc_result *r) {
  char obs[PATH_MAX + 32];
  snprintf(obs, sizeof obs, "%s/mpi-obs.bin", p->dir);
  struct bc_job j = {.out = -1};
  int rc = bc_mpi_spawn(p, c, obs, &j);
  if (rc < 0) {
    fprintf(stderr, "gnxbench: scenario broadcast: cannot start mpirun: %s\n", strerror(-rc));
    return 1;
  }
  rc = bc_mpi_wait(p, &j);
  if (j.out >= 0) {
    close(j.out);
  }
  rc = rc ? rc : bc_mpi_read(obs, c, r);
  unlink(obs);
  return rc;
}

/* Around the jobs: a private directory for Open MPI's files, the absolute
 * directory rank 0 writes into, SIGINT and SIGTERM ending the job. */
static int bc_mpi_enter(struct bc_priv *p, const char *out, struct sigaction *old) {
  char base[32];
  int rc = gnx_mpirun_tmp_make(p->tmp, sizeof p->tmp, base, sizeof base);
  if (rc < 0 || !realpath(out, p->dir)) {
    fprintf(stderr, "gnxbench: scenario broadcast: cannot make a directory in %s or resolve %s: "
                    "%s; set TMPDIR to a writable directory\n", base, out,
            strerror(rc < 0 ? -rc : errno));
    gnx_mpirun_tmp_remove(p->tmp);
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = bc_on_signal;
  sigemptyset(&sa.sa_mask);
  bc_stop = 0;
  sigaction(SIGINT, &sa, &old[0]);
  sigaction(SIGTERM, &sa, &old[1]);
  return 0;
}

static void bc_mpi_leave(struct bc_priv *p, const struct sigaction *old) {
  sigaction(SIGINT, &old[0], NULL);
  sigaction(SIGTERM, &old[1], NULL);
  gnx_mpirun_tmp_remove(p->tmp);
}

#endif /* GNX_HAVE_MPI */

/* ---- plan and measure ----------------------------------------------------- */

static int bc_lists(struct bc_priv *p, const struct gnx_scen *s, char *why, size_t len) {
  const char *ranks = gnx_param_str(&s->opts, "ranks");
  int n = gnx_scen_u64_list(gnx_param_str(&s->opts, "object-sizes"), p->sizes, BC_MAX_LIST, 8,
                            BC_SIZE_MAX);
  if (n < 1) {
    snprintf(why, len, "--object-sizes: '%s' is not a list of up to %d sizes from 8 to 64m bytes",
             gnx_param_str(&s->opts, "object-sizes"), BC_MAX_LIST);
    return GNX_EUSAGE;
  }
  p->n_sizes = (size_t)n;
  n = gnx_scen_u64_list(gnx_param_str(&s->opts, "rounds"), p->rounds, BC_MAX_LIST, 1, 1000);
  if (n < 1) {
    snprintf(why, len, "--rounds: '%s' is not a list of up to %d counts from 1 to 1000",
             gnx_param_str(&s->opts, "rounds"), BC_MAX_LIST);
    return GNX_EUSAGE;
  }
  p->n_rounds = (size_t)n;
  if (strcmp(ranks, "auto") == 0) { /* twice the CPUs oversubscribes on purpose */
    p->ranks[0] = p->cpus < 2 ? 2 : p->cpus, p->ranks[1] = 2 * p->ranks[0], p->n_ranks = 2;
    return 0;
  }
  n = gnx_scen_u64_list(ranks, p->ranks, BC_MAX_LIST, 2, BC_MAX_RANKS);
  if (n < 1) {
    snprintf(why, len, "--ranks: '%s' is not a list of up to %d rank counts from 2 to %d", ranks,
             BC_MAX_LIST, BC_MAX_RANKS);
    return GNX_EUSAGE;
  }
  p->n_ranks = (size_t)n;
  for (size_t i = 0; i < p->n_ranks; i++) {
    if (p->ranks[i] > p->cpus && !gnx_param_u64(&s->opts, "oversubscribe")) {
      snprintf(why, len, "--ranks: %llu ranks are more than the %u CPUs this process may use; "
                         "add --oversubscribe 1 to run them anyway",
               (unsigned long long)p->ranks[i], p->cpus);
      return GNX_EUSAGE;
    }
  }
  return 0;
}

/* --transport: shm, mpi (built with MPI and mpirun in PATH), or auto. */
static int bc_transport(struct bc_priv *p, const char *t, char *why, size_t len) {
  int want = gnx_scen_index(bc_transports, 2, t);
  if (want < 0 && strcmp(t, "auto") != 0) {
    snprintf(why, len, "--transport: '%s' is not auto, shm or mpi", t);
    return GNX_EUSAGE;
  }
#if GNX_HAVE_MPI
  ssize_t n = readlink("/proc/self/exe", p->exe, sizeof p->exe - 1);
  int can = n > 0 && bc_in_path("mpirun");
  p->exe[n > 0 ? n : 0] = '\0';
  const char *lack = n > 0 ? "mpirun is not in PATH; install Open MPI (apt-get install "
                             "openmpi-bin) or add its directory to PATH"
                           : "cannot find this gnxbench (/proc/self/exe) to start on every rank";
#else
  int can = 0;
  const char *lack = "this gnxbench was built without Open MPI; install openmpi-bin "
                     "libopenmpi-dev and rebuild";
#endif
  if (want == 1 && !can) {
    snprintf(why, len, "--transport mpi: %s, or give --transport shm", lack);
    return GNX_EUSAGE;
  }
  p->mpi = want < 0 ? can : want;
  return 0;
}

static int bc_plan(struct gnx_scen *s, char *why, size_t len) {
  if (s->pass[0]) {
    snprintf(why, len, "scenario broadcast runs no engine or workload: '%s' does not apply "
                       "(gnxbench scenario broadcast --help)",
             s->pass + 1);
    return GNX_EUSAGE;
  }
  struct bc_priv *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(why, len, "out of memory");
    return GNX_EUSAGE;
  }
  p->cpus = gnx_cpus_allowed();
  int rc = bc_lists(p, s, why, len);
  rc = rc < 0 ? rc : bc_transport(p, gnx_param_str(&s->opts, "transport"), why, len);
  if (rc < 0) {
    free(p);
    return rc;
  }
  p->timeout_s = gnx_param_u64(&s->opts, "mpi-timeout");
  p->requests = gnx_param_u64(&s->opts, "requests");
  p->rate = gnx_param_u64(&s->opts, "rate");
  s->priv = p;
  return 0;
}

/* One configuration on the planned transport. */
static int bc_one_on(struct bc_priv *p, const struct bc_cfg *c, struct bc_result *r) {
#if GNX_HAVE_MPI
  if (p->mpi) {
    int rc = bc_mpi_one(p, c, r);
    p->interrupted |= rc == 130;
    return rc;
  }
#endif
  return bc_one(p, c, r);
}

static int bc_measure_all(struct gnx_scen *s) {
  struct bc_priv *p = s->priv;
  int worst = 0;
  for (size_t z = 0; z < p->n_sizes; z++) {
    for (size_t k = 0; k < p->n_ranks; k++) {
      for (size_t r = 0; r < p->n_rounds; r++) {
        for (int m = 0; m < 2; m++) {
          struct bc_cfg c = {(size_t)(p->sizes[z] + 7) / 8, (unsigned)p->ranks[k], p->rounds[r],
                             p->requests, 2, p->rate, m};
          if (!s->quiet) {
            fprintf(stderr, "scenario broadcast: %s over %s, %llu bytes, %u ranks, %llu rounds\n",
                    bc_modes[m], bc_transports[p->mpi], (unsigned long long)p->sizes[z], c.ranks,
                    (unsigned long long)c.rounds);
          }
          int rc = bc_one_on(p, &c, &p->res[z][k][r][m]);
          if (rc == 130 || (rc && p->mpi)) { /* a failed job: mpirun fails the next alike */
            return rc;
          }
          worst = rc > worst ? rc : worst;
        }
      }
    }
  }
  return worst;
}

static int bc_measure(struct gnx_scen *s) {
#if GNX_HAVE_MPI
  struct bc_priv *p = s->priv;
  struct sigaction old[2];
  if (p->mpi && bc_mpi_enter(p, s->out, old) != 0) {
    return 1;
  }
  int rc = bc_measure_all(s);
  if (p->mpi) {
    bc_mpi_leave(p, old);
    rc = bc_stop ? 130 : rc; /* one between jobs, or after the last, stops it too */
    p->interrupted |= rc == 130;
  }
  return rc;
#else
  return bc_measure_all(s);
#endif
}

/* ---- the model and the verdict ------------------------------------------------ */

/* The model's terms at (size z, ranks k): the build's cost per round (from
 * rank 0 building alone, in broadcast), the CPUs the ranks really got
 * (replicate's slowdown against that lone build: on a shared machine
 * fewer than allowed), and broadcast's overhead. */
struct bc_model {
  double per_round, overhead, rep_factor; /* ms, ms, max(1, R/C) */
  double cpus;                            /* C: the CPUs the ranks got */
};

static struct bc_model bc_model_of(const struct bc_priv *p, size_t z, size_t k) {
  double R = (double)p->ranks[k], pr = 0, ov = 0, got = 0;
  for (size_t r = 0; r < p->n_rounds; r++) {
    const struct bc_result *b = &p->res[z][k][r][BC_BROADCAST];
    const struct bc_result *a = &p->res[z][k][r][BC_REPLICATE];
    /* filling the buffer costs about one more pass */
    pr += b->build / (double)(p->rounds[r] + 1) / (double)p->n_rounds;
    got += fmin(R, fmax(1, R * b->build / a->lat_avg)) / (double)p->n_rounds;
  }
  double C = fmin(got, (double)p->cpus);
  for (size_t r = 0; r < p->n_rounds; r++) {
    const struct bc_result *b = &p->res[z][k][r][BC_BROADCAST];
    ov += (b->ser + b->transfer + b->deser * fmax(1, (R - 1) / C)) / (double)p->n_rounds;
  }
  return (struct bc_model){pr, ov, fmax(1, R / C), C};
}

static double bc_model_ms(const struct bc_model *m, uint64_t rounds, int mode) {
  double build = m->per_round * (double)(rounds + 1);
  return mode == BC_REPLICATE ? build * m->rep_factor : build + m->overhead;
}

/* Rounds from which broadcast wins in the model (INFINITY: never). */
static double bc_model_cross(const struct bc_model *m) {
  return m->rep_factor > 1 ? fmax(0, m->overhead / (m->per_round * (m->rep_factor - 1)) - 1)
                           : INFINITY;
}

/* The smallest rounds measured where broadcast served more requests per
 * second than replicate (NAN: at none). */
static double bc_measured_cross(const struct bc_priv *p, size_t z, size_t k) {
  for (size_t r = 0; r < p->n_rounds; r++) {
    if (p->res[z][k][r][BC_BROADCAST].req_s > p->res[z][k][r][BC_REPLICATE].req_s) {
      return (double)p->rounds[r];
    }
  }
  return NAN;
}

static int bc_all_same(const struct bc_priv *p) {
  int same = 1;
  for (size_t z = 0; z < p->n_sizes; z++) {
    for (size_t k = 0; k < p->n_ranks; k++) {
      for (size_t r = 0; r < p->n_rounds; r++) {
        const struct bc_result *a = &p->res[z][k][r][0], *b = &p->res[z][k][r][1];
        same &= a->same && b->same && memcmp(a->sums, b->sums, p->requests * 8) == 0;
      }
    }
  }
  return same;
}

static void bc_table_runs(struct bc_priv *p, json_t *section) {
  static const char *const cols[] = {"object (bytes)", "ranks", "rounds", "mode",
                                     "latency min (ms)", "avg (ms)", "max (ms)", "requests/s",
                                     "model (ms)", "same object on every rank", "transport", NULL};
  json_t *rows = gnx_scen_table(section, "Each configuration, as osu_bcast measures (each rank's "
                                         "mean latency; min, avg, max across ranks)", cols);
  for (size_t z = 0; z < p->n_sizes; z++) {
    for (size_t k = 0; k < p->n_ranks; k++) {
      struct bc_model m = bc_model_of(p, z, k);
      for (size_t r = 0; r < p->n_rounds; r++) {
        for (int md = 0; md < 2; md++) {
          const struct bc_result *x = &p->res[z][k][r][md];
          json_array_append_new(rows, json_pack("[I, I, I, s, f, f, f, f, f, s, s]",
                                                (json_int_t)p->sizes[z], (json_int_t)p->ranks[k],
                                                (json_int_t)p->rounds[r], bc_modes[md], x->lat_min,
                                                x->lat_avg, x->lat_max, x->req_s,
                                                bc_model_ms(&m, p->rounds[r], md),
                                                x->same ? "yes" : "NO", bc_transports[p->mpi]));
        }
      }
    }
  }
}

static void bc_table_model(struct bc_priv *p, json_t *section) {
  static const char *const cols[] = {"object (bytes)", "ranks", "CPUs got (C)",
                                     "T_build per pass (ms)",
                                     "T_serialize (ms)", "T_transfer (ms)", "T_deserialize (ms)",
                                     "crossover: model (rounds)", "crossover: measured (rounds)",
                                     NULL};
  json_t *rows = gnx_scen_table(section, "The cost model: replicate T_build x max(1, R/C) against "
                                         "broadcast T_build + T_serialize + T_transfer + "
                                         "T_deserialize x max(1, (R-1)/C), C the CPUs the ranks "
                                         "got (R x lone build / replicate's latency, at most "
                                         "those allowed)", cols);
  for (size_t z = 0; z < p->n_sizes; z++) {
    for (size_t k = 0; k < p->n_ranks; k++) {
      struct bc_model m = bc_model_of(p, z, k);
      double ser = 0, tr = 0, de = 0, cross = bc_model_cross(&m), meas = bc_measured_cross(p, z, k);
      for (size_t r = 0; r < p->n_rounds; r++) {
        const struct bc_result *b = &p->res[z][k][r][BC_BROADCAST];
        ser += b->ser / (double)p->n_rounds, tr += b->transfer / (double)p->n_rounds;
        de += b->deser / (double)p->n_rounds;
      }
      json_t *row = json_pack("[I, I, f, f, f, f, f]", (json_int_t)p->sizes[z],
                              (json_int_t)p->ranks[k], m.cpus, m.per_round, ser, tr, de);
      json_array_append_new(row, isfinite(cross) ? json_real(cross) : json_string("never"));
      json_array_append_new(row, isfinite(meas) ? json_real(meas) : json_string("none measured"));
      json_array_append_new(rows, row);
    }
  }
}

static void bc_charts(struct bc_priv *p, json_t *section) {
  for (size_t z = 0; z < p->n_sizes; z++) {
    char name[64], title[128], t[64];
    snprintf(name, sizeof name, "broadcast-%llu", (unsigned long long)p->sizes[z]);
    snprintf(title, sizeof title, "requests/s against the build's cost, %llu-byte object",
             (unsigned long long)p->sizes[z]);
    json_t *series = gnx_scen_chart(section, name, title, "build cost (hash rounds)",
                                    "requests per second");
    json_object_set_new(json_array_get(json_object_get(section, "charts"),
                                       json_array_size(json_object_get(section, "charts")) - 1),
                        "logx", json_true());
    for (size_t k = 0; k < p->n_ranks; k++) {
      for (int md = 0; md < 2; md++) {
        snprintf(t, sizeof t, "%s, %llu ranks", bc_modes[md], (unsigned long long)p->ranks[k]);
        json_t *pts = gnx_scen_series(series, t, "linespoints");
        for (size_t r = 0; r < p->n_rounds; r++) {
          gnx_scen_point(pts, (double)p->rounds[r], p->res[z][k][r][md].req_s);
        }
      }
    }
  }
}

/* Configurations where the model's winner (lower latency) was the measured
 * one (more requests per second); *n gets how many there were. */
static int bc_agree(const struct bc_priv *p, int *n) {
  int agree = 0;
  *n = 0;
  for (size_t z = 0; z < p->n_sizes; z++) {
    for (size_t k = 0; k < p->n_ranks; k++) {
      struct bc_model m = bc_model_of(p, z, k);
      for (size_t r = 0; r < p->n_rounds; r++) {
        int model_bc = bc_model_ms(&m, p->rounds[r], 1) < bc_model_ms(&m, p->rounds[r], 0);
        int meas_bc = p->res[z][k][r][1].req_s > p->res[z][k][r][0].req_s;
        agree += model_bc == meas_bc;
        (*n)++;
      }
    }
  }
  return agree;
}

static const char *bc_winner(const struct bc_priv *p, size_t z, size_t k, size_t r) {
  return p->res[z][k][r][1].req_s > p->res[z][k][r][0].req_s ? "broadcast" : "replicate";
}

/* "won from 8 rounds (model: 0.5)" or "won at none measured (model: never)". */
static void bc_cross_text(const struct bc_priv *p, size_t z, size_t k, char *buf, size_t len) {
  struct bc_model m = bc_model_of(p, z, k);
  double meas = bc_measured_cross(p, z, k), model = bc_model_cross(&m);
  char a[48], b[64];
  snprintf(a, sizeof a, isfinite(meas) ? "from %.0f rounds" : "at no build cost measured", meas);
  snprintf(b, sizeof b, isfinite(model) ? "%.1f rounds" : "never, R <= C", model);
  snprintf(b + strlen(b), sizeof b - strlen(b), ", C = %.1f", m.cpus);
  snprintf(buf, len, "with %llu ranks broadcast won %s (model: %s)",
           (unsigned long long)p->ranks[k], a, b);
}

static void bc_verdict(struct bc_priv *p, json_t *section) {
  size_t z = p->n_sizes - 1, r0 = 0, r1 = p->n_rounds - 1;
  struct bc_model m = bc_model_of(p, z, 0);
  int n, agree = bc_agree(p, &n);
  char v[1536], c[BC_MAX_LIST][160];
  for (size_t k = 0; k < p->n_ranks; k++) {
    bc_cross_text(p, z, k, c[k], sizeof c[k]);
  }
  size_t l = (size_t)snprintf(
      v, sizeof v,
      "Over %s, every rank held the same object in both modes (%s). At %llu bytes with %llu ranks on %u "
      "CPUs allowed, replicate served %.1f requests/s against broadcast's %.1f at %llu round%s (%s "
      "wins) and %.1f against %.1f at %llu rounds (%s wins): broadcast adds T_serialize + "
      "T_transfer + T_deserialize = %.2f ms to a build of %.2f ms per pass (the fill and each "
      "round), behind %s; ",
      p->mpi ? "mpi (mpirun, MPI_Bcast)" : "shm (forked processes, pthread barriers)",
      bc_all_same(p) ? "checksums equal" : "checksums DIFFER", (unsigned long long)p->sizes[z],
      (unsigned long long)p->ranks[0], p->cpus, p->res[z][0][r0][0].req_s,
      p->res[z][0][r0][1].req_s, (unsigned long long)p->rounds[r0], p->rounds[r0] == 1 ? "" : "s",
      bc_winner(p, z, 0, r0), p->res[z][0][r1][0].req_s, p->res[z][0][r1][1].req_s,
      (unsigned long long)p->rounds[r1], bc_winner(p, z, 0, r1), m.overhead, m.per_round,
      p->mpi ? "MPI_Bcast" : "a barrier");
  for (size_t k = 0; k < p->n_ranks; k++) {
    l += (size_t)snprintf(v + l, sizeof v - l, "%s%s", k ? "; " : "", c[k]);
  }
  snprintf(v + l, sizeof v - l, ". The model (broadcast pays only once replicate's R builds "
                                "exceed the C CPUs, and sooner the more the build outweighs the "
                                "copy) named the winner in %d of %d configurations.",
           agree, n);
  gnx_scen_figure(section, "model_agrees", agree);
  gnx_scen_figure(section, "configurations", n);
  json_object_set_new(section, "verdict", json_string(v));
}

static void bc_figures(struct bc_priv *p, json_t *section) {
  gnx_scen_figure(section, "identical", bc_all_same(p));
  gnx_scen_figure(section, "cpus", p->cpus);
  for (size_t z = 0; z < p->n_sizes; z++) {
    for (size_t k = 0; k < p->n_ranks; k++) {
      char name[96];
      struct bc_model m = bc_model_of(p, z, k);
      snprintf(name, sizeof name, "crossover_model_%llu_%llu", (unsigned long long)p->sizes[z],
               (unsigned long long)p->ranks[k]);
      gnx_scen_figure(section, name, bc_model_cross(&m));
      snprintf(name, sizeof name, "crossover_measured_%llu_%llu", (unsigned long long)p->sizes[z],
               (unsigned long long)p->ranks[k]);
      gnx_scen_figure(section, name, bc_measured_cross(p, z, k));
      for (size_t r = 0; r < p->n_rounds; r++) {
        snprintf(name, sizeof name, "ratio_%llu_%llu_%llu", (unsigned long long)p->sizes[z],
                 (unsigned long long)p->ranks[k], (unsigned long long)p->rounds[r]);
        gnx_scen_figure(section, name, p->res[z][k][r][1].req_s / p->res[z][k][r][0].req_s);
      }
    }
  }
}

static void bc_config(struct bc_priv *p, json_t *section) {
  json_t *sizes = json_array();
  for (size_t z = 0; z < p->n_sizes; z++) {
    json_array_append_new(sizes, json_integer((json_int_t)p->sizes[z]));
  }
  json_object_set_new(section, "config",
                      json_pack("{s:[s], s:[s], s:o, s:I, s:I, s:[], s:b}", GNX_F_ENGINES,
                                p->mpi ? "mpirun+MPI_Bcast" : "fork+shm", GNX_F_WORKLOADS, "broadcast", GNX_F_SIZES, sizes,
                                GNX_F_REPS, (json_int_t)p->requests, GNX_F_WARMUP,
                                (json_int_t)2, GNX_F_SKIPPED_ENGINES, "serial_added", 0));
}

/* Configurations not measured (a rank or the job failed, or a stop). */
static int bc_unmeasured(const struct bc_priv *p) {
  int n = 0;
  for (size_t z = 0; z < p->n_sizes; z++) {
    for (size_t k = 0; k < p->n_ranks; k++) {
      for (size_t r = 0; r < p->n_rounds; r++) {
        n += !p->res[z][k][r][0].measured + !p->res[z][k][r][1].measured;
      }
    }
  }
  return n;
}

static void bc_conclude(struct gnx_scen *s, json_t *section) {
  struct bc_priv *p = s->priv;
  int missing = bc_unmeasured(p);
  bc_config(p, section);
  json_object_set_new(section, "transport", json_string(bc_transports[p->mpi]));
  bc_table_runs(p, section);
  bc_table_model(p, section);
  bc_charts(p, section);
  if (missing) { /* no verdict, no figures from configurations never measured */
    char v[256];
    snprintf(v, sizeof v, "Over %s, %d of %zu configurations were not measured (a rank or the job "
                          "failed, as gnxbench said): no verdict; run it again.",
             bc_transports[p->mpi], missing, 2 * p->n_sizes * p->n_ranks * p->n_rounds);
    json_object_set_new(section, "verdict", json_string(v));
  } else {
    bc_figures(p, section);
    bc_verdict(p, section);
  }
  json_object_set_new(section, "original",
                      json_string("Rank 0 built an object (an expensive hash of a large buffer), "
                                  "pickled it and broadcast it to every rank instead of every "
                                  "rank building it: the broadcast serialized the requests "
                                  "(modelled there as 45 ms per request, 22 req/s, against 100 "
                                  "req/s when each rank builds in parallel)."));
}

const struct gnx_scenario gnx_scenario_broadcast = {
    .name = "broadcast",
    .question = "should rank 0 build the prepared object and broadcast it, or every rank build "
                "it, and where is the crossover?",
    .options = bc_options,
    .plan = bc_plan,
    .measure = bc_measure,
    .conclude = bc_conclude,
#if GNX_HAVE_MPI
    .rank = bc_mpi_rank,
#endif
};
