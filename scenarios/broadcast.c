/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include "scenarios/scenario.h"
static int p_plan(struct gnx_scen *s, char *why, size_t len) { (void)s; snprintf(why, len, "not yet"); return GNX_EUSAGE; }
static void p_conclude(struct gnx_scen *s, json_t *section) { (void)s; (void)section; }
const struct gnx_scenario gnx_scenario_broadcast = {.name = "broadcast", .question = "todo", .plan = p_plan, .conclude = p_conclude};
