/* SPDX-License-Identifier: MIT */
/* tests/fuzz/stub-commands.c: harness/cli.c prints the subcommands in its
 * usage; main.c owns the real table, which the CLI fuzz targets replace. */
#include "harness/cmd.h"

const struct gnx_command gnx_commands[] = {{"run", NULL, "[run] [options]", "run"}};
const size_t gnx_n_commands = 1;
