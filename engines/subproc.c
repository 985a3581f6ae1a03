/* SPDX-License-Identifier: MIT */
/* engines/subproc.c: the threads pipeline runs in ONE forked child; the
 * parent only consumes, as a foreground consumer would (the "pipeline in a
 * subprocess" design: the pipeline's threads cannot disturb the consumer's
 * process, and a crash in the pipeline cannot take the consumer down).
 *
 * The child's caller thread ("ring.put") copies each in-order item into a
 * shared-memory ring (engines/common/ring.c); the parent reads it in place,
 * hands it to the sink and releases the slot. Every worker, the parent's sink
 * included, is registered in the parent before the fork, so one shared trace
 * holds both processes. The child never touches the workload's sink. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/pipeline.h"
#include "common/ring.h"
#include "gnx/engine.h"

static const struct gnx_option subproc_options[] = {
    {"stage-workers", GNX_OPT_STR, NULL,
     "worker threads per stage, e.g. transform=2,parse=1 (stage names or numbers; default 1 each)",
     0, 0},
    {"queue-depth", GNX_OPT_U64, "4", "items each queue between two stages holds", 1, 65536},
    {"ring-slots", GNX_OPT_U64, "8", "items the child may publish ahead of the consumer", 1, 65536},
    {"slot-bytes", GNX_OPT_U64, "16m", "largest item the ring carries (virtual memory only)", 1, 0},
    GNX_OPTIONS_END,
};

/* Written by the child when its pipeline fails, read by the parent after the
 * child exited: its own MAP_SHARED page, apart from the ring's slots. */
struct subproc_status {
  int rc;
  char errmsg[256];
};

struct subproc {
  struct gnx_run *run;
  struct gnx_ring *ring;
  struct subproc_status *status;
  pid_t parent, child;
  /* parent side */
  int reaped;          /* the child has been waited for */
  int wstatus;         /* its wait status, once reaped */
  int exit_seen;       /* polls that found it already gone */
  const char *doing;   /* what the parent waited for, for errmsg */
  uint64_t item;       /* the item it waited for */
  /* child side */
  struct gnx_worker *feeder;
  int put_rc;          /* the ring refused an item */
  uint64_t put_item;
  size_t put_len;
};

static int subproc_stop_requested(const struct gnx_run *run) {
  return run->stop && __atomic_load_n(run->stop, __ATOMIC_RELAXED);
}

/* ---- the child ------------------------------------------------------------- */

/* The child gives up its waits when the parent is gone. */
static int subproc_child_poll(void *arg) {
  struct subproc *sp = arg;
  if (getppid() != sp->parent) {
    return GNX_EWORKER;
  }
  return subproc_stop_requested(sp->run) ? GNX_ESTOPPED : 0;
}

/* All pipeline threads wait at their gate: pass the cross-process gate. */
static int subproc_child_ready(void *arg) {
  struct subproc *sp = arg;
  return gnx_ring_gate_arrive_and_wait(sp->ring, subproc_child_poll, sp);
}

static int subproc_child_deliver(void *arg, struct gnx_worker *consumer, uint64_t item,
                                 struct gnx_buf *buf) {
  struct subproc *sp = arg;
  int rc = gnx_ring_put(sp->ring, item, buf, consumer, sp->run->wl->n_stages,
                        subproc_child_poll, sp);
  if (rc < 0) {
    sp->put_rc = rc;
    sp->put_item = item;
    sp->put_len = buf->len;
  }
  return rc;
}

static void subproc_child(struct subproc *sp, const struct gnx_pipeline_cfg *cfg,
                          struct gnx_worker *ws) {
  struct gnx_run *run = sp->run;
  /* Die with the parent; it may already have died before prctl ran. */
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() != sp->parent) {
    _exit(70);
  }
  run->errmsg[0] = '\0';
  gnx_pipeline_thread_batch(); /* the child's delivering thread, like its workers */
  int rc = gnx_worker_enter(sp->feeder);
  if (rc < 0) {
    snprintf(run->errmsg, sizeof run->errmsg, "subproc child: cannot enter worker %s: %s",
             sp->feeder->tw->name, gnx_strerror(rc));
  } else {
    rc = gnx_pipeline_run_workers(run, cfg, ws, sp->feeder, subproc_child_ready,
                                  subproc_child_deliver, sp);
    if (rc < 0 && run->errmsg[0] == '\0') {
      if (sp->put_rc == GNX_ETOOBIG) {
        snprintf(run->errmsg, sizeof run->errmsg,
                 "item %llu is %zu bytes, more than a ring slot holds (%zu; raise --slot-bytes)",
                 (unsigned long long)sp->put_item, sp->put_len, gnx_ring_slot_bytes(sp->ring));
      } else {
        snprintf(run->errmsg, sizeof run->errmsg, "subproc child: %s", gnx_strerror(rc));
      }
    }
  }
  gnx_worker_exit(sp->feeder);
  if (rc < 0) {
    sp->status->rc = rc;
    memcpy(sp->status->errmsg, run->errmsg, sizeof sp->status->errmsg);
    _exit(1);
  }
  _exit(0);
}

/* ---- the parent ------------------------------------------------------------ */

static void subproc_note_exit(struct subproc *sp, int wstatus, const struct rusage *ru) {
  sp->reaped = 1;
  sp->wstatus = wstatus;
  if (ru->ru_maxrss > sp->run->child_maxrss_kb) {
    sp->run->child_maxrss_kb = ru->ru_maxrss;
  }
}

/* Why the child ended, as the run's error. */
static int subproc_child_failed(struct subproc *sp) {
  struct gnx_run *run = sp->run;
  if (WIFEXITED(sp->wstatus) && WEXITSTATUS(sp->wstatus) == 1 && sp->status->rc < 0) {
    snprintf(run->errmsg, sizeof run->errmsg, "%s", sp->status->errmsg);
    return sp->status->rc; /* the child's pipeline reported its own error */
  }
  char how[96];
  gnx_describe_status(sp->wstatus, how, sizeof how);
  if (sp->doing && strcmp(sp->doing, "item") == 0) {
    snprintf(run->errmsg, sizeof run->errmsg,
             "subproc pipeline process (pid %d) %s while the sink waited for item %llu",
             (int)sp->child, how, (unsigned long long)sp->item);
  } else {
    snprintf(run->errmsg, sizeof run->errmsg, "subproc pipeline process (pid %d) %s %s",
             (int)sp->child, how, sp->doing ? sp->doing : "");
  }
  return GNX_EWORKER;
}

/* The parent's ring poll: a stop request, or the child's end. */
static int subproc_parent_poll(void *arg) {
  struct subproc *sp = arg;
  if (subproc_stop_requested(sp->run)) {
    snprintf(sp->run->errmsg, sizeof sp->run->errmsg, "stopped by a signal (SIGINT or SIGTERM)");
    return GNX_ESTOPPED;
  }
  if (!sp->reaped) {
    int st;
    struct rusage ru;
    pid_t r = wait4(sp->child, &st, WNOHANG, &ru);
    if (r == sp->child) {
      subproc_note_exit(sp, st, &ru);
    } else if (r < 0 && errno != EINTR) {
      snprintf(sp->run->errmsg, sizeof sp->run->errmsg, "waiting for the subproc child: %s",
               strerror(errno));
      sp->reaped = 1; /* nothing left to reap */
      return -errno;
    }
  }
  if (!sp->reaped) {
    return 0;
  }
  if (!WIFEXITED(sp->wstatus) || WEXITSTATUS(sp->wstatus) != 0) {
    return subproc_child_failed(sp);
  }
  /* It exited cleanly: what it published may have landed just before the
   * poll ran, so look once more before calling it lost. */
  if (sp->exit_seen++ == 0) {
    return 0;
  }
  return subproc_child_failed(sp);
}

/* Wait for the child to end: at once (SIGKILL) after a failure; after
 * success it ends on its own, and is killed if that takes longer than
 * SUBPROC_EXIT_NS or a stop is requested. Returns 1 when it had to be killed
 * after success, else 0. */
#define SUBPROC_EXIT_NS 30000000000ull
static int subproc_reap(struct subproc *sp, int kill_first) {
  if (sp->reaped || sp->child <= 0) {
    return 0;
  }
  int killed = 0;
  if (kill_first) {
    kill(sp->child, SIGKILL);
  }
  uint64_t deadline = gnx_now_ns() + SUBPROC_EXIT_NS;
  int pidfd = (int)syscall(SYS_pidfd_open, sp->child, 0);
  for (;;) {
    int st;
    struct rusage ru;
    pid_t r = wait4(sp->child, &st, WNOHANG, &ru);
    if (r == sp->child) {
      subproc_note_exit(sp, st, &ru);
      break;
    }
    if (r < 0 && errno != EINTR) {
      sp->reaped = 1;
      break;
    }
    if (!kill_first && (subproc_stop_requested(sp->run) || gnx_now_ns() > deadline)) {
      kill(sp->child, SIGKILL);
      kill_first = killed = 1;
    }
    if (pidfd >= 0) {
      struct pollfd pf = {pidfd, POLLIN, 0};
      (void)poll(&pf, 1, 10); /* readable once the child has exited */
    } else {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
  }
  if (pidfd >= 0) {
    close(pidfd);
  }
  return killed;
}

static int subproc_run(struct gnx_run *run) {
  const struct gnx_workload *wl = run->wl;
  run->t_begin = gnx_now_ns();
  struct gnx_pipeline_cfg cfg;
  int rc = gnx_pipeline_cfg_parse(run, &cfg);
  if (rc < 0) {
    return rc;
  }
  uint64_t slots = gnx_param_u64(run->params, "ring-slots");
  uint64_t slot_bytes = gnx_param_u64(run->params, "slot-bytes");
  if (slots < 1 || slots > 65536 || slot_bytes < 1) {
    snprintf(run->errmsg, sizeof run->errmsg, "--ring-slots %llu, --slot-bytes %llu: out of range",
             (unsigned long long)slots, (unsigned long long)slot_bytes);
    return GNX_EUSAGE;
  }

  struct subproc sp = {.run = run, .parent = getpid(), .doing = "while starting"};
  unsigned n = gnx_pipeline_worker_count(&cfg, wl->n_stages);
  struct gnx_worker sink, feeder;
  struct gnx_worker *ws = calloc(n, sizeof *ws);
  if (!ws) {
    return -ENOMEM;
  }
  sp.feeder = &feeder;
  void *sink_h = NULL;
  int entered = 0;

  /* Every worker is registered before the fork: the trace mapping is shared,
   * and the child inherits the registrations. Sink 0, stages 1..n, then the
   * child's delivering thread. */
  rc = gnx_worker_init(&sink, run, 0, "sink", wl->n_stages, wl->n_stages);
  if (rc == 0) {
    rc = gnx_pipeline_workers_init(run, &cfg, 1, ws);
  }
  if (rc == 0) {
    rc = gnx_worker_init(&feeder, run, (int)n + 1, "ring.put", wl->n_stages, wl->n_stages);
  }
  if (rc < 0) {
    if (!run->errmsg[0]) {
      snprintf(run->errmsg, sizeof run->errmsg, "cannot register the workers: %s",
               gnx_strerror(rc));
    }
    free(ws);
    return rc;
  }
  rc = gnx_ring_new(&sp.ring, (unsigned)slots, (size_t)slot_bytes);
  if (rc < 0) {
    snprintf(run->errmsg, sizeof run->errmsg,
             "cannot map the ring (%llu slots of %llu bytes): %s", (unsigned long long)slots,
             (unsigned long long)slot_bytes, gnx_strerror(rc));
    free(ws);
    return rc;
  }
  /* Spin in waits only when every thread of both processes has a CPU. */
  if (n + 2 > run->cpus) {
    cfg.spin_ns = 0;
    gnx_ring_set_spin(sp.ring, 0);
  }
  sp.status = mmap(NULL, sizeof *sp.status, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
  if (sp.status == MAP_FAILED) {
    sp.status = NULL;
    rc = -ENOMEM;
    snprintf(run->errmsg, sizeof run->errmsg, "cannot map the child's status page");
    goto out;
  }

  fflush(stdout);
  fflush(stderr);
  sp.child = fork();
  if (sp.child < 0) {
    rc = -errno;
    snprintf(run->errmsg, sizeof run->errmsg, "fork: %s", strerror(errno));
    goto out;
  }
  if (sp.child == 0) {
    subproc_child(&sp, &cfg, ws); /* never returns */
  }

  /* The parent: the sink, behind the same start gate as the child. */
  rc = gnx_worker_enter(&sink);
  entered = rc == 0;
  if (rc < 0) {
    snprintf(run->errmsg, sizeof run->errmsg, "cannot enter the sink worker: %s",
             gnx_strerror(rc));
    goto out;
  }
  rc = wl->sink_open(run->shared, &sink_h);
  if (rc < 0) {
    snprintf(run->errmsg, sizeof run->errmsg, "sink %s: cannot open: %s", wl->sink_name,
             gnx_strerror(rc));
    goto out;
  }
  sp.doing = "before its pipeline started";
  rc = gnx_ring_gate_open(sp.ring, 1, subproc_parent_poll, &sp);
  if (rc < 0) {
    goto out;
  }
  run->t_start = gnx_now_ns();

  sp.doing = "item";
  for (uint64_t i = 0; i < run->info->items; i++) {
    const uint8_t *data;
    size_t len;
    sp.item = i;
    rc = gnx_ring_get(sp.ring, i, &data, &len, &sink, wl->n_stages, subproc_parent_poll, &sp);
    if (rc < 0) {
      break;
    }
    /* The sink reads the item in place: no copy out of the ring. */
    struct gnx_buf view = {(uint8_t *)data, len, len};
    rc = gnx_sink_deliver(&sink, sink_h, i, &view, 0);
    gnx_ring_release(sp.ring, i);
    if (rc < 0) {
      snprintf(run->errmsg, sizeof run->errmsg, "sink %s failed on item %llu: %s",
               wl->sink_name, (unsigned long long)i, gnx_strerror(rc));
      break;
    }
    if (subproc_stop_requested(run)) {
      rc = GNX_ESTOPPED;
      snprintf(run->errmsg, sizeof run->errmsg, "stopped by a signal (SIGINT or SIGTERM)");
      break;
    }
  }

out:
  if (sink_h) {
    int crc = wl->sink_close(sink_h, rc == 0 ? &run->summary : NULL);
    if (rc == 0 && crc < 0) {
      rc = crc;
      snprintf(run->errmsg, sizeof run->errmsg, "sink %s: cannot close: %s", wl->sink_name,
               gnx_strerror(rc));
    }
  }
  run->t_end = gnx_now_ns();
  if (sp.child > 0) {
    /* After a failure the child may be blocked on the ring: kill it. After
     * success it finishes on its own; its exit status is checked. */
    int killed = subproc_reap(&sp, rc < 0);
    if (rc == 0 && killed && subproc_stop_requested(run)) {
      rc = GNX_ESTOPPED;
      snprintf(run->errmsg, sizeof run->errmsg, "stopped by a signal (SIGINT or SIGTERM)");
    } else if (rc == 0 && killed) {
      rc = GNX_EWORKER;
      snprintf(run->errmsg, sizeof run->errmsg,
               "subproc pipeline process (pid %d) did not exit within %llu s of its last item",
               (int)sp.child, SUBPROC_EXIT_NS / 1000000000ull);
    } else if (rc == 0 && sp.reaped && (!WIFEXITED(sp.wstatus) || WEXITSTATUS(sp.wstatus) != 0)) {
      sp.doing = "after delivering every item";
      rc = subproc_child_failed(&sp);
    }
  }
  if (rc < 0 && run->summary) {
    json_decref(run->summary);
    run->summary = NULL;
  }
  if (entered) {
    gnx_worker_exit(&sink);
  }
  if (sp.status) {
    munmap(sp.status, sizeof *sp.status);
  }
  gnx_ring_free(sp.ring);
  free(ws);
  return rc;
}

const struct gnx_engine gnx_engine_subproc = {
    .abi = GNX_ENGINE_ABI,
    .name = "subproc",
    .summary = "the threads pipeline in one forked child; the parent only runs the sink",
    .flags = GNX_ENGINE_F_FORKS,
    .options = subproc_options,
    .run = subproc_run,
};
