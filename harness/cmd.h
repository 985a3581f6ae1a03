/* SPDX-License-Identifier: MIT */
/* harness/cmd.h: the subcommands. Each returns the process exit status. */
#ifndef GNX_HARNESS_CMD_H
#define GNX_HARNESS_CMD_H

/* argv holds the subcommand's arguments; full_argv the whole command line
 * (recorded in the report). */
int gnx_cmd_run(int argc, char **argv, int full_argc, char **full_argv);
int gnx_cmd_list(int argc, char **argv);

#endif
