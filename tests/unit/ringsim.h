/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ringsim: a deterministic simulator of one ring of daemons with a FIXED
 * membership. N ring cores (daemon/ring/core.h) run in one process over
 * a fake network driven by a seeded PRNG that loses, duplicates, delays
 * and reorders datagrams (tokens included); every datagram goes through
 * the real codec (pkt_encode, then pkt_decode at the receiver). Clients
 * submit messages of every packet service and of sizes up to ~140 KB.
 *
 * Checked while running and at the end (ringsim_run() fails with a
 * reason at the first violation):
 * - integrity: every delivered message is one that was submitted, byte
 *   for byte, with its service and originator, delivered at most once
 *   per daemon;
 * - total order: every daemon's sequence of in-order deliveries (all but
 *   early RELIABLE ones) is a prefix of one common sequence;
 * - per-sender order of in-order deliveries;
 * - SAFE: when a daemon delivers a SAFE message, every daemon has
 *   received every packet up to its seq (its my_aru is there);
 * - completeness (unless the token is lost): every submitted message is
 *   delivered at every daemon, the queues drain, no reassembly error;
 * - token loss: none is reported unless the run drops every token for a
 *   while (blackout); then every daemon reports it, no earlier than the
 *   blackout start and no later than TokenTimeout (plus network delays)
 *   after it. With allow_token_loss, random token losses may end a run
 *   early (the membership layer's business); completeness is then not
 *   checked, the rest is.
 *
 * Same options, same run: no clock, no global state. Single-threaded.
 */
#ifndef COHORT_TESTS_RINGSIM_H
#define COHORT_TESTS_RINGSIM_H

#include <stddef.h>
#include <stdint.h>

#define RINGSIM_MAX_DAEMONS 16

struct ringsim_opts {
    uint64_t seed;
    unsigned daemons;           /* 1..RINGSIM_MAX_DAEMONS */
    double loss;                /* data packets (and HURRY) lost, per copy */
    double token_loss;          /* tokens lost, per copy */
    double dup;                 /* a datagram arrives twice */
    double reorder;             /* a datagram is held back up to 20 ms */
    unsigned delay_max_ms;      /* one-way delay uniform in 0..max */
    unsigned msgs;              /* messages submitted per daemon */
    unsigned max_size;          /* largest message, bytes (80..143200) */
    unsigned duration_ms;       /* clients submit during [0, duration) */
    unsigned settle_ms;         /* then at most this long to drain */
    int accelerated;
    unsigned blackout_at_ms;    /* drop every token sent in */
    unsigned blackout_ms;       /* [at, at + len); len 0: none */
    int expect_token_loss;      /* the blackout must end the ring */
    int allow_token_loss;       /* random token loss may end the ring (a
                                   legitimate outcome the membership layer
                                   would handle): then only the safety
                                   checks apply */
    int verbose;                /* trace to stderr */
};

struct ringsim_result {
    int ok;
    char why[512];              /* first violation */
    uint64_t end_ms;            /* simulated time at the end */
    uint64_t submitted, delivered;   /* messages; deliveries, all daemons */
    uint64_t datagrams, dropped;
    uint64_t retrans, tokens, holds;
    uint64_t blocked;           /* submissions put off by back-pressure */
    unsigned lost;              /* daemons that reported token loss */
};

void ringsim_opts_default(struct ringsim_opts *o);

/* Run one simulation. Returns 0 when every check passed, else -1 with
 * res->why set. */
int ringsim_run(const struct ringsim_opts *o, struct ringsim_result *res);

/* The command line of tests/ringsim that repeats this run. */
void ringsim_command(const struct ringsim_opts *o, char *buf, size_t len);

/* Parse one option of that command line (argv[*i], and its value at
 * argv[*i + 1]); advances *i. Returns 0, or -1 for an unknown option or a
 * bad value. */
int ringsim_parse_opt(struct ringsim_opts *o, int argc, char **argv, int *i);

/* Options for sweep run number k of a test: every size, loss and variant
 * in turn, derived from k alone. */
void ringsim_opts_sweep(struct ringsim_opts *o, uint64_t k);

#endif /* COHORT_TESTS_RINGSIM_H */
