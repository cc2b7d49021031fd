/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * node: one daemon's whole ring protocol, composed: the membership state
 * machine (memb_sm.h), the ordering core of the current ring (core.h) and
 * the EVS recovery that carries the old ring's messages into the new
 * configuration (ring.md §9.5). It is what the daemon (daemon/order.c in
 * ring mode, over UDP) and the simulator (tests, over a fake network)
 * both run: the same code, with the clock and the network outside.
 *
 * Contract
 * - Deterministic and pure: no sockets, no logging of its own, no clock
 *   reads except through cfg->clock (a fake in the simulator). After
 *   every call the caller asks node_next_deadline() and calls node_tick()
 *   once that time has come (early or late is harmless).
 * - Inputs are datagrams already decoded by pkt.h and already checked by
 *   the caller against ring.md §1.4 rule 9 where only the caller can
 *   (the UDP source address equals the configured address of the
 *   transmitter); node checks the rest (hash, transmitter configured and
 *   not itself).
 * - Outputs go through struct node_ops, synchronously, from inside the
 *   input calls. Ops must not call back into the node, except that
 *   ops.deliver and ops.view may call node_submit().
 * - Delivery: every message is delivered once, in the configuration in
 *   which it was ordered, with the transitional and regular
 *   configuration changes at their place in the order (EVS, ring.md §14).
 *   ops.view gets the transitional configuration (members of the old
 *   regular configuration that move on together) and then the regular
 *   one. A message submitted while the ring changes waits in the send
 *   queue and is ordered in the next regular configuration (rule 75).
 * - Back-pressure: node_send_space() is what the core's send queue takes
 *   before the sessions must stop reading (rule 36).
 */
#ifndef COHORT_DAEMON_RING_NODE_H
#define COHORT_DAEMON_RING_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

struct clock;
struct conf;

/* Where a datagram goes. */
enum node_dest {
    NODE_DEST_SEGMENT = 1,      /* segment broadcast in segment `to` (the
                                 * transport unicasts to each configured
                                 * daemon of it when SegmentUnicast says
                                 * so) */
    NODE_DEST_DAEMON,           /* unicast to the daemon with id `to` */
    NODE_DEST_RING              /* ring broadcast (ring.md rule 14): a
                                 * segment broadcast in this daemon's
                                 * segment, and a ROUTED copy to the first
                                 * present member of every other segment
                                 * of the ring (node fills `routed_to`) */
};

/* A configuration delivered to the daemon: its id (what clients see as
 * the group id's daemon part) and its members, daemon ids in
 * configuration order. */
struct node_view {
    int transitional;
    struct pkt_mid id;
    unsigned n;
    uint32_t ids[PKT_MAX_MEMBERS];
};

struct node_ops {
    /* Send p to port P (data, ALIVE, JOIN, REFER, HURRY) or P+1 (tokens,
     * FORM1, FORM2: pkt_kind_on_token_port()) `copies` times. */
    void (*send)(void *ctx, enum node_dest how, uint32_t to,
                 const struct pkt *p, unsigned copies);
    /* A message in the total order: its bytes (rmsg.h layout), the id of
     * the daemon that ordered it and its packet service. */
    void (*deliver)(void *ctx, uint32_t originator, const unsigned char *msg,
                    size_t len, uint32_t service);
    void (*view)(void *ctx, const struct node_view *v);
    /* Membership state changes and other events worth a log line, as
     * text; `level` as log.h's LOG_* priorities. */
    void (*event)(void *ctx, int level, const char *text);
};

struct node_cfg {
    const struct conf *conf;    /* validated; outlives the node */
    int self;                   /* this daemon's index in conf */
    const struct clock *clock;  /* monotonic ms and wall seconds */
};

struct node;

int node_new(struct node **out, const struct node_cfg *cfg,
             const struct node_ops *ops, void *ctx);
void node_free(struct node *n);

/* Enter SEG (rule 49): the daemon looks for the others. */
void node_start(struct node *n);

/* A datagram that arrived on port P (token_port 0) or P+1 (1). */
void node_receive(struct node *n, const struct pkt *p, int token_port);

/* A datagram sent to daemon `id` came back undeliverable: nothing
 * listens on its port (ICMP port unreachable). A member of the ring is
 * taken for gone at once instead of after TokenTimeout (memb_sm.h). */
void node_unreachable(struct node *n, uint32_t id);

void node_tick(struct node *n);
/* The next time node_tick() has something to do (monotonic ms of
 * cfg->clock), or UINT64_MAX. */
uint64_t node_next_deadline(const struct node *n);

/* Queue a message (48 <= len <= PKT_MAX_MSG_LEN, rmsg.h layout) for the
 * total order with packet service `service`. 0, -EINVAL or -ENOMEM. */
int node_submit(struct node *n, const unsigned char *msg, size_t len,
                uint32_t service);
unsigned node_send_space(const struct node *n);


/* For status lines and tests. */
struct node_status {
    int state;                  /* enum msm_state */
    struct pkt_mid ring_id;
    unsigned n_members;
    uint64_t delivered, token_losses, installs;
};
void node_status(const struct node *n, struct node_status *st);

#endif /* COHORT_DAEMON_RING_NODE_H */
