/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * net_fake: an in-memory network for tests and the ring simulator. A hub
 * stands for the wire; each daemon opens a struct net_fake on it (the
 * struct net of net.h) with its address, segment port and segment.
 *
 * Contract
 * - Datagrams travel only through the loop: a send queues copies in the
 *   hub, and the hub's timer delivers them, so a receive callback never
 *   runs inside net_send(), and two daemons that answer each other at
 *   once take turns instead of recursing. A timer callback delivers only
 *   what was queued before it started; the rest waits for the next.
 * - Each copy is delivered at its due time (send time + delay) in the
 *   order of (due time, send order): with ev_step() on a fake clock a run
 *   is exactly repeatable.
 * - The source address is the sender's address with its "ephemeral"
 *   send port (net_fake.src_port), as with net_udp. The destination is
 *   resolved at delivery: an open net_fake with that address whose port P
 *   or P+1 is the destination port; none means the copy is lost
 *   (`unreachable`), as a datagram to a stopped daemon is. With `icmp`
 *   set, the sender is then told as a host answers for a dead process:
 *   its net.unreach (if set, and the sender still open) with the
 *   destination, at that delivery.
 * - A segment broadcast queues one copy for every other open net_fake of
 *   the same segment number (in open order), addressed to its port P.
 * - The fate hook, when set, decides every copy before it is queued: how
 *   many copies arrive (0 drops it, 2 duplicates it, at most
 *   NET_FAKE_MAX_COPIES) and the delay of each (preset to the hub's
 *   latency). Loss, duplication, reordering (different delays) and
 *   partitions (drop by sender and receiver) are all hooks.
 * - The hub must outlive its nets; net_fake_hub_fini() frees what is
 *   still in flight. Single-threaded, like the loop.
 */
#ifndef COHORT_DAEMON_NET_FAKE_H
#define COHORT_DAEMON_NET_FAKE_H

#include "ev.h"
#include "net.h"

#define NET_FAKE_MAX_COPIES 4

struct net_fake;
struct net_fake_dgram;

/* Decide one datagram's fate: return how many copies arrive (0 ..
 * max_copies) and set delay_ms[i] for each (preset to the hub latency). */
typedef unsigned (*net_fake_fate_fn)(void *ctx, const struct net_fake *from,
                                     const struct sockaddr_storage *to,
                                     const void *buf, size_t len,
                                     uint64_t *delay_ms, unsigned max_copies);

struct net_fake_hub {
    struct ev *ev;
    struct ev_timer timer;         /* armed for the head of the queue */
    struct net_fake *nets;         /* open nets, in open order */
    struct net_fake_dgram *queue;  /* in flight, by (due_ms, seq) */
    uint64_t seq;                  /* send order of queued copies */
    uint64_t latency_ms;           /* default delay; 0 at init: the next
                                    * pass, no time passing (a ring that
                                    * answers at once then never lets a
                                    * stepped clock move: use >= 1) */
    net_fake_fate_fn fate;         /* NULL: every copy arrives */
    int icmp;                      /* report unreachable copies (above) */
    void *fate_ctx;
    uint64_t in_flight, delivered, dropped, unreachable;
    uint16_t next_port;            /* next "ephemeral" send port */
};

struct net_fake {
    struct net net;                /* first: the interface */
    struct net_fake_hub *hub;
    struct net_fake *next;
    struct sockaddr_storage addr;  /* this daemon's address, port P */
    uint16_t port;                 /* P */
    uint16_t src_port;             /* the source port of what it sends */
    int segment;
    int open;
};

void net_fake_hub_init(struct net_fake_hub *h, struct ev *ev);
void net_fake_hub_fini(struct net_fake_hub *h);

/* Attach a daemon at addr (port ignored), segment port P and segment
 * number. Returns 0, -EADDRINUSE if an open net has that address and an
 * overlapping port pair, or -EINVAL. */
int net_fake_open(struct net_fake *f, struct net_fake_hub *h,
                  const struct sockaddr_storage *addr, uint16_t port,
                  int segment, net_recv_fn recv, void *ctx);

#endif /* COHORT_DAEMON_NET_FAKE_H */
