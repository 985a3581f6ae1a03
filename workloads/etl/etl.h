/* SPDX-License-Identifier: MIT */
/* workloads/etl/etl.h: what the staged path (etl.c) and the spec reference
 * (reference.c) share: only the setup data. They share no arithmetic, no
 * tables and no formatting, so a bug in one cannot hide in the other. */
#ifndef GNX_WORKLOADS_ETL_H
#define GNX_WORKLOADS_ETL_H

#include <jansson.h>
#include <stdint.h>

struct etl_shared {
  uint64_t n;          /* records */
  uint64_t seed;
  uint64_t rounds;     /* --work: mix64 rounds per record in transform */
  uint64_t batch;      /* records per item */
  uint64_t items;      /* ceil(n / batch) */
  char *save_dir;      /* --save-output, or NULL */
  json_t *reference;   /* the spec's summary, computed on the first check */
};

/* The check hook (reference.c). */
int etl_check(void *shared, const json_t *summary, json_t **detail);

#endif
