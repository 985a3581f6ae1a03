/* SPDX-License-Identifier: MIT */
/* harness/context.c: machine and build facts for the report. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifdef GNX_HAVE_HWLOC
#include <hwloc.h>
#endif

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

struct gnx__topo {
  int packages, cores, pus, numa;
  const char *source;
};

static struct gnx__topo gnx__topology(void) {
  struct gnx__topo t = {-1, -1, -1, -1, "sysconf"};
#ifdef GNX_HAVE_HWLOC
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) == 0) {
    if (hwloc_topology_load(topo) == 0) {
      t.packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
      t.cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
      t.pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
      t.numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
      t.source = "hwloc";
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

json_t *gnx_context_new(int argc, char **argv) {
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
  json_t *cmd = json_array();
  for (int i = 0; i < argc; i++) {
    json_array_append_new(cmd, json_string(argv[i]));
  }
  json_t *features = json_array();
#ifdef GNX_HAVE_HWLOC
  json_array_append_new(features, json_string("hwloc"));
#endif
  return json_pack("{s:s, s:s, s:s, s:{s:s, s:i, s:i, s:i, s:i}, s:i, s:s, s:s, s:s, s:s, "
                   "s:s, s:s, s:s, s:o, s:o}",
                   "host", u.nodename, "cpu_model", model, "arch", u.machine, "topology",
                   "source", t.source, "packages", t.packages, "cores", t.cores, "pus", t.pus,
                   "numa_nodes", t.numa, "cpus_allowed", (int)gnx_cpus_allowed(), "kernel",
                   u.release, "compiler", GNX_COMPILER, "cflags", GNX_CFLAGS, "build_type",
                   GNX_BUILD_TYPE, "git_revision", GNX_GIT_REV, "version", GNX_VERSION, "date",
                   date, "command_line", cmd, "features", features);
}

void gnx_context_print(FILE *f) {
  char model[256];
  gnx__cpu_model(model, sizeof model);
  struct gnx__topo t = gnx__topology();
  fprintf(f, "machine:\n  cpu: %s\n  topology (%s): %d package(s), %d core(s), %d PU(s), %d NUMA "
             "node(s)\n  cpus this process may use: %u\n",
          model, t.source, t.packages, t.cores, t.pus, t.numa, gnx_cpus_allowed());
}
