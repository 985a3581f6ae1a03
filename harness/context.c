/* SPDX-License-Identifier: MIT */
/* harness/context.c: machine and build facts for the report. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifdef GNX_HAVE_HWLOC
#include <hwloc.h>
#endif

#include "gnx-rev.h"
#include "harness/context.h"
#include "harness/runner.h"

static void gnx__cpu_model(char *buf, size_t len) {
  snprintf(buf, len, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "re");
  if (!f) {
    return;
  }
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) == 0) {
      char *c = strchr(line, ':');
      if (c) {
        c += 2;
        c[strcspn(c, "\n")] = '\0';
        snprintf(buf, len, "%s", c);
      }
      break;
    }
  }
  fclose(f);
}

struct gnx__cache {
  int level, count;
  const char *type; /* "data", "instruction", "unified" */
  unsigned long long size_kb;
};

struct gnx__topo {
  int packages, cores, pus, numa;
  const char *source;
  char allowed[256];      /* cpuset this process may use, OS indexes "0-1" */
  char bound[256];        /* its current binding (taskset), OS indexes */
  struct gnx__cache caches[8];
  int n_caches;
};

static struct gnx__topo gnx__topology(void) {
  struct gnx__topo t = {-1, -1, -1, -1, "sysconf", "", "", {{0}}, 0};
#ifdef GNX_HAVE_HWLOC
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) == 0) {
    if (hwloc_topology_load(topo) == 0) {
      t.packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
      t.cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
      t.pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
      t.numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
      t.source = "hwloc";
      hwloc_bitmap_list_snprintf(t.allowed, sizeof t.allowed,
                                 hwloc_topology_get_allowed_cpuset(topo));
      hwloc_bitmap_t cur = hwloc_bitmap_alloc();
      if (cur && hwloc_get_cpubind(topo, cur, HWLOC_CPUBIND_PROCESS) == 0) {
        hwloc_bitmap_list_snprintf(t.bound, sizeof t.bound, cur);
      }
      hwloc_bitmap_free(cur);
      /* one entry per cache level and type, with how many there are */
      static const hwloc_obj_type_t types[] = {HWLOC_OBJ_L1CACHE,  HWLOC_OBJ_L1ICACHE,
                                               HWLOC_OBJ_L2CACHE,  HWLOC_OBJ_L2ICACHE,
                                               HWLOC_OBJ_L3CACHE,  HWLOC_OBJ_L4CACHE,
                                               HWLOC_OBJ_L5CACHE};
      for (size_t i = 0; i < sizeof types / sizeof types[0] && t.n_caches < 8; i++) {
        int n = hwloc_get_nbobjs_by_type(topo, types[i]);
        hwloc_obj_t o = n > 0 ? hwloc_get_obj_by_type(topo, types[i], 0) : NULL;
        if (!o || !o->attr) {
          continue;
        }
        struct gnx__cache *c = &t.caches[t.n_caches++];
        c->level = (int)o->attr->cache.depth;
        c->count = n;
        c->size_kb = (unsigned long long)o->attr->cache.size / 1024;
        c->type = o->attr->cache.type == HWLOC_OBJ_CACHE_DATA          ? "data"
                  : o->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION ? "instruction"
                                                                         : "unified";
      }
    }
    hwloc_topology_destroy(topo);
  }
#endif
  if (t.pus < 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    t.pus = (int)n;
  }
  return t;
}

/* The cost of one page fault on fresh anonymous memory here (kernel entry,
 * zeroing, mapping), in seconds: the best of three passes over 4 MiB. The
 * analysis turns an engine's extra page faults into time with it. NAN when
 * mmap fails. */
static double gnx__page_fault_s(void) {
  const size_t len = 4u << 20, page = (size_t)sysconf(_SC_PAGESIZE);
  double best = NAN;
  for (int pass = 0; pass < 3; pass++) {
    volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      return NAN;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t i = 0; i < len; i += page) {
      p[i] = 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    munmap((void *)p, len);
    double t = ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9) /
               (double)(len / page);
    best = isnan(best) || t < best ? t : best;
  }
  return best;
}

json_t *gnx_context_new(json_t *command_line) {
  struct utsname u;
  uname(&u);
  char model[256];
  gnx__cpu_model(model, sizeof model);
  struct gnx__topo t = gnx__topology();
  char date[64];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
  json_t *caches = json_array();
  for (int i = 0; i < t.n_caches; i++) {
    json_array_append_new(caches, json_pack("{s:i, s:s, s:I, s:i}", "level", t.caches[i].level,
                                            "type", t.caches[i].type, "size_kb",
                                            (json_int_t)t.caches[i].size_kb, "count",
                                            t.caches[i].count));
  }
  json_t *features = json_array();
#ifdef GNX_HAVE_HWLOC
  json_array_append_new(features, json_string("hwloc"));
#endif
#ifdef GNX_HAVE_PAPI
  json_array_append_new(features, json_string("papi"));
#endif
  json_t *ctx = json_pack(
      "{s:s, s:s, s:s, s:{s:s, s:i, s:i, s:i, s:i}, s:i, s:s, s:s, s:s, s:s, "
      "s:s, s:s, s:s, s:o, s:o}",
      "host", u.nodename, "cpu_model", model, "arch", u.machine, "topology", "source", t.source,
      "packages", t.packages, "cores", t.cores, "pus", t.pus, "numa_nodes", t.numa, "cpus_allowed",
      (int)gnx_cpus_allowed(), "kernel", u.release, "compiler", GNX_COMPILER, "cflags", GNX_CFLAGS,
      "build_type", GNX_BUILD_TYPE, "git_revision", GNX_GIT_REV, "version", GNX_VERSION, "date",
      date, "command_line", command_line, "features", features);
  double pf = gnx__page_fault_s();
  json_object_set_new(ctx, "page_fault_us", isnan(pf) ? json_null() : json_real(pf * 1e6));
  json_t *topo = json_object_get(ctx, "topology");
  if (topo) {
    json_object_set_new(topo, "caches", caches);
    json_object_set_new(topo, "allowed_cpuset",
                        t.allowed[0] ? json_string(t.allowed) : json_null());
    json_object_set_new(topo, "bound_cpuset", t.bound[0] ? json_string(t.bound) : json_null());
  } else {
    json_decref(caches);
  }
  return ctx;
}

void gnx_context_print(FILE *f) {
  char model[256];
  gnx__cpu_model(model, sizeof model);
  struct gnx__topo t = gnx__topology();
  fprintf(f, "machine:\n  cpu: %s\n  topology (%s): %d package(s), %d core(s), %d PU(s), %d NUMA "
             "node(s)\n  cpus this process may use: %u\n",
          model, t.source, t.packages, t.cores, t.pus, t.numa, gnx_cpus_allowed());
  if (t.allowed[0]) {
    fprintf(f, "  allowed cpuset: %s (OS indexes; current binding %s)\n", t.allowed,
            t.bound[0] ? t.bound : "unknown");
  }
  if (t.n_caches) {
    fprintf(f, "  caches:");
    for (int i = 0; i < t.n_caches; i++) {
      fprintf(f, "%s L%d%s %llu KiB x%d", i ? "," : "", t.caches[i].level,
              t.caches[i].type[0] == 'd' ? "d" : t.caches[i].type[0] == 'i' ? "i" : "",
              t.caches[i].size_kb, t.caches[i].count);
    }
    fprintf(f, "\n");
  }
}

void gnx_context_stamp(char *buf, size_t len, const char *kind) {
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  snprintf(buf, len, "%s-%s-%d", kind, stamp, (int)getpid());
}
