/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * nodesim: several ring nodes (daemon/ring/node.h) over an in-memory
 * network on one fake clock, for tests/unit/test_ring_node.c. Every
 * datagram is encoded and decoded with pkt.h (alternating byte orders by
 * sender) and arrives 1 ms after it was sent; links can be cut both
 * ways, and data datagrams lost at random. Each node logs what it delivers: messages (tagged) and views.
 * Deterministic: datagrams due at the same millisecond arrive in the
 * order they were sent, then due nodes tick in index order.
 */
#ifndef COHORT_TESTS_NODESIM_H
#define COHORT_TESTS_NODESIM_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "ring/node.h"

#define NS_MAX 8

enum ns_kind { NS_MSG = 1, NS_TRANS, NS_REG };

struct ns_entry {
    enum ns_kind kind;
    uint32_t tag;               /* NS_MSG: the message's tag */
    uint32_t originator;        /* NS_MSG: daemon id */
    uint32_t service;           /* NS_MSG: packet service */
    struct pkt_mid id;          /* views */
    unsigned n;
    uint32_t ids[NS_MAX];
};

struct ns;

struct ns_node {
    struct ns *s;
    int i;
    int up;
    struct node *node;
    struct ns_entry *log;
    size_t nlog, caplog;
};

struct ns_dgram {
    uint64_t at, seq;
    int from, to, token_port;
    size_t len;
    unsigned char *b;
};

struct ns {
    int n;
    struct conf *conf;
    struct clock_fake clk;
    struct ns_node d[NS_MAX];
    unsigned char cut[NS_MAX][NS_MAX];
    struct ns_dgram *q;
    size_t nq, capq;
    uint64_t seq;
    uint32_t next_tag;
    uint64_t sent, dropped;
    /* Data datagrams lost at random, per mille (0: none); the seed of
     * the harness's own generator, so runs repeat exactly. */
    unsigned data_loss;
    uint64_t rng;
};

/* n daemons n1..nn, split over `nsegs` segments (round robin). */
int ns_init(struct ns *s, int n, int nsegs);
void ns_fini(struct ns *s);
uint32_t ns_id(const struct ns *s, int i);
void ns_start(struct ns *s, int i);
/* Crash: the node is freed; datagrams to it are lost. */
void ns_kill(struct ns *s, int i);
/* Run for `ms` milliseconds of fake time. */
void ns_run(struct ns *s, uint64_t ms);
/* Submit a message of `len` bytes (>= 84: header, one group, the tag)
 * at node i; returns its tag. */
uint32_t ns_submit(struct ns *s, int i, uint32_t service, size_t len);
/* group[i]: component of node i; links between components are cut.
 * NULL heals everything. */
void ns_partition(struct ns *s, const int *group);
void ns_status(const struct ns *s, int i, struct node_status *st);
/* The last view of node i of that kind, or NULL. */
const struct ns_entry *ns_last_view(const struct ns *s, int i,
                                    enum ns_kind kind);

#endif /* COHORT_TESTS_NODESIM_H */
