/* SPDX-License-Identifier: MIT */
/* harness/cmd.h: the subcommands. Each returns the process exit status. */
#ifndef GNX_HARNESS_CMD_H
#define GNX_HARNESS_CMD_H

#include <jansson.h>
#include <stddef.h>

/* argv holds the subcommand's arguments; full_argv the whole command line
 * (recorded in the report). */
int gnx_cmd_run(int argc, char **argv, int full_argc, char **full_argv);

/* Run a configuration (harness/cli.h), as `gnxbench run` and the gate do:
 * measure, write the report and its derived outputs; the exit status.
 * command_line: the words the report records as asking for this run (the
 * run takes the reference). */
struct gnx_run_config;
int gnx_run_main(const struct gnx_run_config *cfg, json_t *command_line);
int gnx_cmd_list(int argc, char **argv);
int gnx_cmd_report(int argc, char **argv);
int gnx_cmd_recommend(int argc, char **argv);
int gnx_cmd_compare(int argc, char **argv);
int gnx_cmd_gate(int argc, char **argv);
int gnx_cmd_predict(int argc, char **argv);
/* Hidden (not in gnx_commands): one worker process of an engine started by
 * an outside launcher (harness/cmd-rank.c). */
int gnx_cmd_rank(int argc, char **argv);
int gnx_cmd_scenario(int argc, char **argv);
/* Hidden: one rank of a scenario's experiment (`scenario-rank NAME ...`),
 * started by the launcher the scenario ran (harness/cmd-scenario.c). */
int gnx_cmd_scenario_rank(int argc, char **argv);

/* A subcommand: its name, what runs it (argv: its arguments), and its
 * lines in the usage. */
struct gnx_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *synopsis; /* what follows "gnxbench " */
  const char *help;     /* lines split by \n */
};

/* Every subcommand, in the order the usage lists them; the first is the
 * default (main.c). */
extern const struct gnx_command gnx_commands[];
extern const size_t gnx_n_commands;

/* Shared by report, recommend and run (cmd-report.c). */
/* Parse `DIR [--quiet]` (quiet NULL: no --quiet); DIR may name report.json
 * itself. Returns 0, 1 after --help, or 2 after printing a usage error. */
int gnx_cmd_dir_arg(const char *cmd, int argc, char **argv, char *dir, size_t len, int *quiet);
/* Load DIR/report.json, or print why not and return NULL. */
json_t *gnx_cmd_load_report(const char *dir);
/* Render every derived output into dir and print the warnings (one line
 * each: gnuplot missing, charts that failed, unreadable traces). Sets
 * *exit_code to 1 when a file could not be written; status (may be NULL)
 * gets what was drawn. */
struct gnx_render_status;
void gnx_cmd_render(const json_t *report, const char *dir, int quiet, int *exit_code,
                    struct gnx_render_status *status);

#endif
