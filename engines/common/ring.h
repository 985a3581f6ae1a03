/* SPDX-License-Identifier: MIT */
/* engines/common/ring.h: handing items from forked workers to the parent.
 *
 * Everything lives in one MAP_SHARED|MAP_ANONYMOUS mapping made before the
 * fork: nothing is named in /dev/shm, so nothing can leak when a process
 * dies. Item i travels in slot i % slots; a producer waits until the parent
 * has consumed item i - slots, so memory stays bounded and the parent reads
 * in order. Every wait is a timed wait (2 ms slices, after a short spin) that calls
 * `poll` so the caller can notice a dead child or a stop request and give up.
 *
 * Each slot's state is a sequence word waited on with a shared futex, not a
 * free/full semaphore pair: with several producers, items i and i + slots
 * can wait for the same slot at once, and only a per-item turn wakes the right
 * one. The claim counter and the start gate live in the same mapping. */
#ifndef GNX_ENGINES_RING_H
#define GNX_ENGINES_RING_H

#include <stddef.h>
#include <stdint.h>

#include "gnx/engine.h"

struct gnx_ring;

/* Returns nonzero to abandon a wait (a child died, a stop was requested);
 * that value is then returned by the waiting call. */
typedef int (*gnx_ring_poll_fn)(void *arg);

/* `slots` slots of at most `slot_bytes` each (virtual size, MAP_NORESERVE:
 * only pages written are committed). Returns 0, -EINVAL or -ENOMEM. */
int gnx_ring_new(struct gnx_ring **out, unsigned slots, size_t slot_bytes);
void gnx_ring_free(struct gnx_ring *r);

/* Start gate: each of `n` workers (processes) calls
 * gnx_ring_gate_arrive_and_wait, which returns once the parent has called
 * gnx_ring_gate_open; gate_open itself first waits for all n arrivals, then
 * stamps the run's start (gnx_run_started) and only then opens: the woken
 * workers may take both CPUs at once and keep the parent off them for a
 * scheduler slice, and the wall must not miss the work they do meanwhile.
 * run may be NULL (no run to stamp). Both return 0 or poll's value.
 * Usable only once per ring. */
int gnx_ring_gate_open(struct gnx_ring *r, unsigned n, struct gnx_run *run,
                       gnx_ring_poll_fn poll, void *arg);
int gnx_ring_gate_arrive_and_wait(struct gnx_ring *r, gnx_ring_poll_fn poll, void *arg);

/* Producer: copy b into item's slot and publish it. Records wait_out spans
 * on w (stage = the producing stage; w may be NULL) while the slot is still in use.
 * Returns 0, GNX_ETOOBIG (b->len > slot_bytes), or poll's value. */
int gnx_ring_put(struct gnx_ring *r, uint64_t item, const struct gnx_buf *b,
                 struct gnx_worker *w, unsigned stage,
                 gnx_ring_poll_fn poll, void *arg);

/* gnx_ring_put for an engine: a failure is recorded in the run's words
 * (an item too big for a slot names --slot-bytes). */
int gnx_ring_send(struct gnx_run *run, struct gnx_ring *r, uint64_t item,
                  const struct gnx_buf *b, struct gnx_worker *w, unsigned stage,
                  gnx_ring_poll_fn poll, void *arg);

/* Consumer: wait until item is published and point *data and *len at it, valid
 * until gnx_ring_release(item). Records a wait_in span on w (stage = sink;
 * w may be NULL) when the item was not there yet.
 * Returns 0 or poll's value. */
int gnx_ring_get(struct gnx_ring *r, uint64_t item, const uint8_t **data, size_t *len,
                 struct gnx_worker *w, unsigned stage,
                 gnx_ring_poll_fn poll, void *arg);
void gnx_ring_release(struct gnx_ring *r, uint64_t item);

/* A shared 64-bit counter in the ring's mapping, for claiming items:
 * returns the next index (atomic fetch-and-add). */
uint64_t gnx_ring_claim(struct gnx_ring *r);

/* The largest item a slot holds (as given to gnx_ring_new). */
size_t gnx_ring_slot_bytes(const struct gnx_ring *r);

/* How long put and get spin before sleeping (default 20 us; 0: sleep at
 * once). Spinning saves the ~30 us of a cross-CPU wake-up but burns a CPU
 * that another process may need: use 0 when processes outnumber CPUs. Set it
 * before forking; it is shared by every process. */
void gnx_ring_set_spin(struct gnx_ring *r, uint64_t ns);

#endif
