/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * memb_sim: several membership state machines (daemon/ring/memb_sm.h)
 * against each other over an in-memory network with a fake clock, for
 * tests/unit/test_ring_memb.c. Every datagram is encoded and decoded with
 * the packet codec (pkt.h), alternating byte orders by sender. A small
 * fake ordering core per daemon passes a token around an installed ring
 * (the leader holds it HurryTimeout when idle), counts two rotations of
 * EVS before reporting it done, and declares token loss after
 * TokenTimeout. Deterministic: events at the same millisecond run in
 * order of sending, then timers by daemon index.
 */
#ifndef COHORT_TESTS_MEMB_SIM_H
#define COHORT_TESTS_MEMB_SIM_H

#include <stdint.h>

#include "ring/memb_sm.h"
#include "ring/pkt.h"
#include "simnet.h"

#define SIM_MAX 24
#define SIM_TOKEN_MS 1250
#define SIM_HURRY_MS 500

struct sim;

/* What a daemon installed last (copied out of struct msm_install). */
struct sim_install {
    struct msm_install in;       /* pointers below */
    uint32_t ids[PKT_MAX_MEMBERS];
    int32_t holes[256];
    uint32_t trans[PKT_MAX_MEMBERS];
    uint32_t commit[PKT_MAX_MEMBERS];
};

struct sim_node {
    struct sim *s;
    int i;
    int up;
    struct msm m;
    /* What the fake core reports for FORM1 records (ops.query). */
    struct pkt_mid data_ring;
    int32_t aru, my_aru, highest;
    int32_t missing[256];
    uint32_t nmissing;
    uint32_t commit[8];
    unsigned ncommit;
    /* The ring the fake core runs, and the one install announced. */
    struct pkt_mid cring;
    unsigned cn, cme;
    uint32_t cids[PKT_MAX_MEMBERS];
    int have_pend;
    struct pkt_mid pend;
    unsigned pn, pme;
    uint32_t pids[PKT_MAX_MEMBERS];
    uint64_t token_due;          /* token-loss deadline, 0 off */
    uint64_t release_at;         /* leader holding an idle token */
    struct pkt_token held;
    /* Observations. */
    int installs;
    struct sim_install last;
    uint64_t t_op;               /* last time it entered OP */
    uint64_t t_loss;             /* first SEG entry since sim_mark() */
    unsigned changes;
};

/* Every ring id installed, with its members: ids are unique and all who
 * install one agree on its members (ring.md §14 items 1, 2). */
struct sim_ring {
    struct pkt_mid id;
    unsigned n;
    uint32_t ids[PKT_MAX_MEMBERS];
};

struct sim {
    uint64_t now;
    int n;
    struct sim_node nd[SIM_MAX];
    struct msm_conf conf;        /* my_id set per daemon */
    int cut[SIM_MAX][SIM_MAX];   /* 1: nothing from a reaches b */
    struct simnet net;           /* datagrams, 1 ms each, in order */
    uint64_t sent[PKT_KIND_FORM2 + 1];
    int trace;
    /* conf.fast (memb_fast.c): the daemons in fast_mask run it (set
     * before sim_start); with icmp, a datagram to a crashed daemon is
     * reported to its sender as unreachable (msm_unreachable), as a live
     * host does for a dead process. */
    uint32_t fast_mask;
    int icmp;
    struct sim_ring *rings;
    size_t nrings;
    unsigned bad;                /* invariant violations seen */
    char why[160];               /* the first one */
};

/* Daemons in segments: per_seg[k] daemons in segment k (nseg segments),
 * ids 1001, 1002, ... in configuration order. wide: WAN timeouts. */
struct sim *sim_new(const int *per_seg, int nseg, int wide);
void sim_free(struct sim *s);

void sim_start(struct sim *s, int i);        /* (re)start daemon i now */
void sim_crash(struct sim *s, int i);
/* Cut (1) or heal (0) both directions between the sets a and b (bit
 * masks of daemon indexes). */
void sim_cut(struct sim *s, uint32_t a, uint32_t b, int cut);
void sim_run(struct sim *s, uint64_t until);
/* Reset the token-loss marks (t_loss = 0). */
void sim_mark(struct sim *s);

/* 1 when every up daemon in `set` is in OP in one ring whose members are
 * exactly `set`. */
int sim_ring_is(const struct sim *s, uint32_t set);
/* Run until each group of sets[] has converged (every set a ring of its
 * own) or `limit` passes; returns 1 on convergence. */
int sim_run_until(struct sim *s, const uint32_t *sets, int nsets,
                  uint64_t limit);

uint32_t sim_id(int i);
int sim_index(const struct sim *s, uint32_t id);

#endif
