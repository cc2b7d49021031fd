/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * simnet: what the seeded simulators share (ringsim.c, evssim.c,
 * memb_sim.c): a splitmix64 PRNG, a queue of timed events (a binary heap
 * ordered by time, then by insertion, so equal times keep the order they
 * were queued in), the choice of the next step between timers and
 * events, and datagrams through a lossy network: each copy lost,
 * duplicated, delayed and reordered by draws from that PRNG. (nodesim.c
 * keeps its own: a FIFO of 1-ms datagrams, no random delays.)
 *
 * A simulator keeps one struct simnet and draws every random number of
 * its run from it, so that a run depends on its seed only; the order of
 * the draws is part of that (simnet_send() documents its own). Events
 * are the simulator's: simnet only orders them and owns their bytes
 * while they are queued. Not thread-safe; no global state.
 */
#ifndef COHORT_TESTS_SIMNET_H
#define COHORT_TESTS_SIMNET_H

#include <stddef.h>
#include <stdint.h>

#define SIMNET_REORDER_MS 20        /* a reordered copy waits 1..20 ms more */

struct simnet_ev {
    uint64_t t, n;                  /* time; insertion order (simnet's) */
    int kind;                       /* the simulator's event kinds */
    int from, to;                   /* node indexes */
    int token_port;
    unsigned arg;                   /* the simulator's */
    unsigned char *bytes;           /* malloc'ed; the popper frees them */
    size_t len;
};

struct simnet {
    uint64_t rng;
    uint64_t evn;
    struct simnet_ev *heap;
    size_t nheap, capheap;
    double dup, reorder;            /* per copy */
    unsigned delay_max_ms;          /* one-way delay uniform in 0..max */
};

/* `rng` is the first PRNG state (a function of the seed). */
void simnet_init(struct simnet *net, uint64_t rng, double dup,
                 double reorder, unsigned delay_max_ms);
/* Frees the queued events and their bytes. */
void simnet_fini(struct simnet *net);

uint64_t simnet_rnd(struct simnet *net);
double simnet_rnd01(struct simnet *net);            /* [0, 1) */
unsigned simnet_below(struct simnet *net, unsigned n); /* 0..n-1; 0 if 0 */

/* Queue e (e.n is set here); it then owns e.bytes. 0, or -ENOMEM (e is
 * not queued, its bytes stay the caller's). */
int simnet_push(struct simnet *net, struct simnet_ev e);

/* Time of the earliest event; UINT64_MAX when none is queued. */
uint64_t simnet_next_time(const struct simnet *net);
/* Take the earliest event; the queue must not be empty. */
struct simnet_ev simnet_pop(struct simnet *net);

/* What a run does next, given its timers' earliest deadline `deadline`
 * (UINT64_MAX: none) and the queue: sets *now to the earlier of that
 * deadline and the first event's time, and returns SIMNET_END (with
 * *now = end) when neither comes by `end`, SIMNET_TIMERS when the
 * timers are due first (also on a tie), else SIMNET_EVENT (pop it). */
enum simnet_next { SIMNET_END, SIMNET_TIMERS, SIMNET_EVENT };
enum simnet_next simnet_next(const struct simnet *net, uint64_t deadline,
                             uint64_t end, uint64_t *now);

/* One datagram from `from` to `to` sent at `now`, of which the network
 * loses it with probability `loss`, else delivers one copy (two with
 * probability dup), each after a delay in 0..delay_max_ms, plus 1..20 ms
 * with probability reorder. Draws, in this order: the loss; the
 * duplication; per copy, the delay and the reordering (and its extra
 * delay). The bytes are copied. 1 if lost, 0 if queued, -ENOMEM. */
int simnet_send(struct simnet *net, uint64_t now, int kind, int from,
                int to, int token_port, double loss,
                const unsigned char *b, size_t len);

#endif /* COHORT_TESTS_SIMNET_H */
