/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ringrec: a ring core (daemon/ring/core.h) whose ops record every output
 * in order, for the unit suites test_ring_core and test_ring_replay.
 * Assertions are Check's: use inside a test only.
 */
#ifndef COHORT_TESTS_RINGREC_H
#define COHORT_TESTS_RINGREC_H

#include <stddef.h>
#include <stdint.h>

#include "ring/core.h"

#define REC_MAX_LOG 512
#define REC_MAX_BLK 8
#define REC_MAX_SEQS 64

/* A request block of a recorded token. */
struct blk {
    struct pkt_mid ring;
    uint32_t requester;
    int16_t seg;
    int n;
    int32_t seqs[REC_MAX_SEQS];
};

/* One output, in the order the core made it. */
struct out {
    char kind;                  /* 'D'ata, 'T'oken, 'H'urry, 'M'essage */
    enum ring_dest how;
    uint32_t to;
    int32_t seq, round;
    uint32_t transmitter;
    unsigned copies;
    struct pkt_token_head th;   /* rtr_len: the list's length */
    int nblk;
    struct blk b[REC_MAX_BLK];
    uint32_t service, originator;
    int early;
    size_t len;
    unsigned nfrags;
    int16_t index0;
};

/* The core (its ctx is the fix) and what it did. Allocate with calloc:
 * it is large. */
struct fix {
    struct ring_core r;
    struct out log[REC_MAX_LOG];
    int n;
    int lost;                   /* token_lost calls */
};

extern const struct ring_ops rec_ops;

/* ring_core_fini() and free. */
void rec_free(struct fix *f);

/* Outputs of a kind; index in the log of the k-th (0-based) or -1; the
 * k-th itself (fails the test when there is none). */
int rec_count(const struct fix *f, char kind);
int rec_pos(const struct fix *f, char kind, int k);
const struct out *rec_nth(const struct fix *f, char kind, int k);

#endif /* COHORT_TESTS_RINGREC_H */
