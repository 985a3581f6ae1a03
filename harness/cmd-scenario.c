/* SPDX-License-Identifier: MIT */
/* harness/cmd-scenario.c: `gnxbench scenario list` and `gnxbench scenario
 * NAME [options]`: plan the scenario's variants (every option checked
 * before anything is written), run each as `gnxbench run` does into a
 * folder of the scenario's directory, let the scenario conclude, then
 * write the scenario's report.json and render it (reports/scenario.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gnx/dir.h"
#include "harness/cmd.h"
#include "harness/context.h"
#include "reports/report.h"
#include "reports/schema.h"
#include "scenarios/scenario.h"

static void gnx__scen_names(char *buf, size_t len) {
  size_t l = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < gnx_n_scenarios && l < len; i++) {
    l += (size_t)snprintf(buf + l, len - l, "%s%s", i ? ", " : "", gnx_scenarios[i]->name);
  }
}

static const struct gnx_scenario *gnx__scen_find(const char *name) {
  for (size_t i = 0; i < gnx_n_scenarios; i++) {
    if (strcmp(gnx_scenarios[i]->name, name) == 0) {
      return gnx_scenarios[i];
    }
  }
  return NULL;
}

static void gnx__scen_list(void) {
  for (size_t i = 0; i < gnx_n_scenarios; i++) {
    printf("%-16s %s\n", gnx_scenarios[i]->name, gnx_scenarios[i]->question);
  }
}

static void gnx__scen_help(const struct gnx_scenario *sc) {
  printf("usage: gnxbench scenario %s [--reps N] [--out DIR] [--quiet] [options]\n%s\n\n"
         "  --reps N             measured repetitions of each engine in each variant (default 3)\n"
         "  --out DIR            the scenario's directory (default results/scenario-%s-<id>)\n",
         sc->name, sc->question, sc->name);
  for (const struct gnx_option *o = sc->options; o && o->name; o++) {
    printf("  --%-18s %s%s%s%s\n", o->name, o->help, o->def ? " (default " : "",
           o->def ? o->def : "", o->def ? ")" : "");
  }
  printf("  any other --name value goes to each variant's run (see gnxbench --help)\n");
}

/* One --name value of the scenario's own (kv), the framework's, or one to
 * pass through. Returns 0 or GNX_EUSAGE with why. */
static int gnx__scen_opt(struct gnx_scen *s, struct gnx_kv *kv, size_t *n_kv, const char *name,
                         const char *value, char *why, size_t len) {
  const struct gnx_option *own = NULL;
  for (const struct gnx_option *o = s->sc->options; o && o->name; o++) {
    own = strcmp(o->name, name) == 0 ? o : own;
  }
  if (strcmp(name, "reps") == 0) {
    if (gnx_parse_u64(value, &s->reps) < 0 || s->reps < 1 || s->reps > 100) {
      snprintf(why, len, "--reps: '%s' is not a count from 1 to 100", value);
      return GNX_EUSAGE;
    }
  } else if (strcmp(name, "out") == 0) {
    s->out = value;
  } else if (own) {
    if (gnx_option_validate(own, value, why, len) < 0 || *n_kv >= 16) {
      return GNX_EUSAGE;
    }
    kv[(*n_kv)++] = (struct gnx_kv){own->name, value};
  } else {
    size_t l = strlen(s->pass);
    if (snprintf(s->pass + l, sizeof s->pass - l, " --%s %s", name, value) >=
        (int)(sizeof s->pass - l)) {
      snprintf(why, len, "too many options");
      return GNX_EUSAGE;
    }
  }
  return 0;
}

/* The scenario's arguments. Returns 0, 1 after --help, or GNX_EUSAGE. */
static int gnx__scen_args(struct gnx_scen *s, int argc, char **argv, char *why, size_t len) {
  struct gnx_kv kv[16];
  size_t n_kv = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      gnx__scen_help(s->sc);
      return 1;
    }
    if (strcmp(a, "--quiet") == 0) {
      s->quiet = 1;
      continue;
    }
    if (strncmp(a, "--", 2) != 0 || i + 1 >= argc || strchr(a, '=')) {
      snprintf(why, len, "scenario %s: unexpected argument '%s'; give options as --name value "
                         "(gnxbench scenario %s --help)",
               s->sc->name, a, s->sc->name);
      return GNX_EUSAGE;
    }
    if (gnx__scen_opt(s, kv, &n_kv, a + 2, argv[i + 1], why, len) < 0) {
      return GNX_EUSAGE;
    }
    i++;
  }
  if (gnx_params_build(s->sc->options, 0, kv, n_kv, &s->opts) < 0) {
    snprintf(why, len, "out of memory");
    return GNX_EUSAGE;
  }
  return 0;
}

/* The directory, made and proven writable; one holding a report is
 * refused (an earlier scenario or run would be mixed with this one). */
static int gnx__scen_dir(struct gnx_scen *s, char *dir, size_t dlen, int *created, char *why,
                         size_t len) {
  if (s->out) {
    snprintf(dir, dlen, "%s", s->out);
  } else {
    char kind[64], id[128];
    snprintf(kind, sizeof kind, "scenario-%s", s->sc->name);
    gnx_context_stamp(id, sizeof id, kind);
    snprintf(dir, dlen, "results/%s", id);
  }
  char report[PATH_MAX + 16];
  snprintf(report, sizeof report, "%s/report.json", dir);
  if (access(report, F_OK) == 0) {
    snprintf(why, len, "--out %s holds an earlier report; choose another directory", dir);
    return GNX_EUSAGE;
  }
  int rc = gnx_dir_writable(dir, 1, created);
  if (rc < 0) {
    snprintf(why, len, "--out %s: cannot create or write the directory (%s); choose a writable one",
             dir, gnx_strerror(rc));
  }
  s->out = dir;
  return rc;
}

/* This thread's run-queue wait so far (schedstat's second field), or -1. */
static int64_t gnx__runq_ns(void) {
  FILE *f = fopen("/proc/thread-self/schedstat", "re");
  long long run = 0, wait = -1;
  if (f) {
    if (fscanf(f, "%lld %lld", &run, &wait) != 2) {
      wait = -1;
    }
    fclose(f);
  }
  return wait;
}

static void gnx__scen_before(void *arg, const struct gnx_engine *e) {
  struct gnx_scen *s = arg;
  (void)e;
  s->runq_before = gnx__runq_ns();
}

static void gnx__scen_rep(void *arg, const struct gnx_engine *e, size_t r,
                          const struct gnx_run_result *res) {
  struct gnx_scen *s = arg;
  int64_t now = gnx__runq_ns();
  s->consumer_runq_ns = now >= 0 && s->runq_before >= 0 ? now - s->runq_before : -1;
  if (s->sc->rep) {
    s->sc->rep(s, s->current, e, r, res);
  }
}

static json_t *gnx__words(const char *first, int argc, char *const *argv) {
  json_t *a = json_array();
  json_array_append_new(a, json_string("gnxbench"));
  json_array_append_new(a, json_string(first));
  for (int i = 0; i < argc; i++) {
    json_array_append_new(a, json_string(argv[i]));
  }
  return a;
}

/* Run variant v into out/<name> and load its report. Returns its exit
 * status (130: interrupted, stop). */
static int gnx__scen_run_one(struct gnx_scen *s, size_t v) {
  static struct gnx_run_hooks hooks;
  struct gnx_scen_variant *var = &s->v[v];
  char path[PATH_MAX + 48], why[PATH_MAX + 256];
  snprintf(path, sizeof path, "%s/%s", s->out, var->name);
  hooks = (struct gnx_run_hooks){.arg = s, .before = gnx__scen_before, .after = gnx__scen_rep};
  var->cfg.out = path;
  var->cfg.quiet = 1;
  var->cfg.hooks = &hooks;
  s->current = v;
  if (!s->quiet) {
    fprintf(stderr, "scenario %s: variant %zu/%zu: %s\n", s->sc->name, v + 1, s->n, var->name);
  }
  var->rc = s->sc->enter ? s->sc->enter(s, v) : 0;
  if (var->rc == 0) {
    var->rc = gnx_run_main(&var->cfg, gnx__words("run", var->argc, var->argv));
  }
  if (s->sc->leave) {
    s->sc->leave(s, v);
  }
  var->cfg.out = NULL;
  strcat(path, "/report.json");
  var->report = var->rc == 130 ? NULL : gnx_report_load(path, why, sizeof why);
  if (!var->report && var->rc != 130) {
    fprintf(stderr, "gnxbench: scenario %s: variant %s: %s\n", s->sc->name, var->name, why);
  }
  return var->rc;
}

static int gnx__scen_run(struct gnx_scen *s) {
  int worst = 0;
  for (size_t v = 0; v < s->n; v++) {
    int rc = gnx__scen_run_one(s, v);
    if (rc == 130) {
      return 130;
    }
    worst = rc > worst ? rc : worst;
    if (s->sc->ran && s->sc->ran(s, v) < 0) {
      return 1;
    }
  }
  return worst == 2 ? 1 : worst; /* the plan was checked: a 2 now is a failed run */
}

/* config: the engines, workloads and sizes the variants ran. */
static json_t *gnx__scen_config(const struct gnx_scen *s, const json_t *section) {
  json_t *e = json_array(), *w = json_array(), *z = json_array();
  for (size_t v = 0; v < s->n; v++) {
    const struct gnx_run_config *c = &s->v[v].cfg;
    for (size_t i = 0; i < c->n_engines; i++) {
      json_t *name = json_string(c->engines[i]->name);
      size_t k;
      json_t *x;
      int seen = 0;
      json_array_foreach(e, k, x) { seen |= json_equal(x, name); }
      if (seen) {
        json_decref(name);
      } else {
        json_array_append_new(e, name);
      }
    }
    for (size_t i = 0; i < c->n_workloads && v == 0; i++) {
      json_array_append_new(w, json_string(c->workloads[i]->name));
    }
    for (size_t i = 0; i < c->n_sizes && v == 0; i++) {
      json_array_append_new(z, json_integer((json_int_t)c->sizes[i]));
    }
  }
  const json_t *own = json_object_get(section, "config"); /* no variants: the scenario's own */
  if (json_array_size(e) == 0 && own) {
    json_decref(e), json_decref(w), json_decref(z);
    return json_deep_copy(own);
  }
  return json_pack("{s:o, s:o, s:o, s:I, s:I, s:[], s:b}", GNX_F_ENGINES, e, GNX_F_WORKLOADS, w,
                   GNX_F_SIZES, z, GNX_F_REPS, (json_int_t)s->reps, GNX_F_WARMUP, (json_int_t)1,
                   GNX_F_SKIPPED_ENGINES, "serial_added", 0);
}

static json_t *gnx__scen_section(struct gnx_scen *s) {
  json_t *variants = json_array(), *params = json_object();
  for (size_t v = 0; v < s->n; v++) {
    json_t *cl = gnx__words("run", s->v[v].argc, s->v[v].argv);
    json_array_remove(cl, 0);
    json_array_append_new(
        variants, json_pack("{s:s, s:s, s:o, s:s}", GNX_F_NAME, s->v[v].name, "dir", s->v[v].name,
                            GNX_F_COMMAND_LINE, cl, GNX_F_STATUS,
                            s->v[v].rc == 0 ? "complete" : "failed"));
  }
  for (size_t i = 0; i < s->opts.count; i++) {
    const struct gnx_param *p = &s->opts.v[i];
    json_object_set_new(params, p->opt->name, p->value ? json_string(p->value) : json_null());
  }
  json_object_set_new(params, "reps", json_integer((json_int_t)s->reps));
  json_object_set_new(params, "passed", json_string(s->pass[0] ? s->pass + 1 : ""));
  return json_pack("{s:s, s:s, s:o, s:o, s:[], s:[], s:{}, s:s}", GNX_F_NAME, s->sc->name,
                   "question", s->sc->question, "parameters", params, "variants", variants,
                   "tables", "charts", "figures", "verdict", "");
}

/* The scenario's report, written and rendered; the exit status. */
static int gnx__scen_report(struct gnx_scen *s, json_t *command_line, int rc) {
  json_t *section = gnx__scen_section(s);
  s->sc->conclude(s, section);
  json_t *report = json_pack(
      "{s:i, s:{s:s, s:s}, s:o, s:o, s:s, s:[], s:o}", GNX_F_SCHEMA_VERSION,
      GNX_REPORT_SCHEMA_VERSION, "tool", "name", "gnxbench", "version", GNX_VERSION, GNX_F_CONTEXT,
      gnx_context_new(command_line), GNX_F_CONFIG, gnx__scen_config(s, section), GNX_F_STATUS,
      rc == 0 ? "complete" : "incomplete", GNX_F_RESULTS, "scenario", section);
  json_object_del(section, "config");
  char path[PATH_MAX + 16], why[PATH_MAX + 300];
  snprintf(path, sizeof path, "%s/report.json", s->out);
  if (gnx_report_write(report, path, why, sizeof why) < 0) {
    fprintf(stderr, "gnxbench: %s\n", why);
    rc = 1;
  } else {
    /* drawn from the report as the file holds it (10 digits), so that
     * `gnxbench report DIR` writes the same bytes */
    char *text = json_dumps(report, JSON_REAL_PRECISION(10));
    json_t *saved = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    gnx_cmd_render(saved ? saved : report, s->out, 1, &rc, NULL);
    json_decref(saved);
    printf("%s\nreport: %s/summary.md\n", gnx_jstr(section, "verdict", ""), s->out);
  }
  json_decref(report);
  return rc;
}

static void gnx__scen_free(struct gnx_scen *s) {
  for (size_t v = 0; v < s->n; v++) {
    json_decref(s->v[v].report);
  }
  gnx_params_free(&s->opts);
  free(s->priv); /* the scenario's state: one allocation */
  free(s);
}

/* Plan, then run: everything the user typed is checked before the
 * directory is made. */
static int gnx__scen_main(struct gnx_scen *s, int argc, char **argv) {
  char why[PATH_MAX + 512], dir[PATH_MAX];
  int created = 0;
  int rc = gnx__scen_args(s, argc, argv, why, sizeof why);
  if (rc == 1) {
    return 0;
  }
  if (rc == 0) {
    rc = s->sc->plan(s, why, sizeof why);
  }
  if (rc == 0) {
    rc = gnx__scen_dir(s, dir, sizeof dir, &created, why, sizeof why);
  }
  if (rc < 0) {
    fprintf(stderr, "gnxbench: %s\n", why);
    return 2;
  }
  rc = gnx__scen_run(s);
  if (rc != 130 && s->sc->measure) {
    int m = s->sc->measure(s);
    rc = m > rc ? m : rc;
  }
  if (rc == 130) {
    fprintf(stderr, "gnxbench: scenario %s interrupted; the variants hold what was measured\n",
            s->sc->name);
    return 130;
  }
  return gnx__scen_report(s, gnx__words("scenario", argc + 1, argv - 1), rc);
}

int gnx_cmd_scenario(int argc, char **argv) {
  char names[512];
  gnx__scen_names(names, sizeof names);
  if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
    if (argc < 1) {
      fprintf(stderr, "gnxbench: scenario needs a name: list, %s\n", names);
      return 2;
    }
    printf("usage: gnxbench scenario list | NAME [options]; scenarios: %s\n", names);
    return 0;
  }
  if (strcmp(argv[0], "list") == 0) {
    gnx__scen_list();
    return 0;
  }
  const struct gnx_scenario *sc = gnx__scen_find(argv[0]);
  if (!sc) {
    fprintf(stderr, "gnxbench: unknown scenario '%s'; scenarios: %s (gnxbench scenario list)\n",
            argv[0], names);
    return 2;
  }
  struct gnx_scen *s = calloc(1, sizeof *s);
  if (!s) {
    fprintf(stderr, "gnxbench: out of memory\n");
    return 1;
  }
  s->sc = sc;
  s->reps = 3;
  int rc = gnx__scen_main(s, argc - 1, argv + 1);
  gnx__scen_free(s);
  return rc;
}

int gnx_cmd_scenario_rank(int argc, char **argv) {
  const struct gnx_scenario *sc = argc > 0 ? gnx__scen_find(argv[0]) : NULL;
  if (!sc || !sc->rank) {
    fprintf(stderr, "gnxbench scenario-rank: '%s' is not a scenario with ranks (this command is "
                    "started by a scenario, not typed)\n", argc > 0 ? argv[0] : "");
    return 2;
  }
  return sc->rank(argc - 1, argv + 1);
}
