/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * net_udp: the ring over real UDP sockets (the struct net of net.h).
 *
 * Sockets
 * - Receive: one socket bound to self:P (data) and one to self:P+1
 *   (tokens), and in broadcast/multicast mode one per segment address,
 *   bound to that address and port P with SO_REUSEADDR (joined to the
 *   group if multicast; broadcast and multicast datagrams are addressed
 *   to the segment address, and only a socket bound to it or to the
 *   wildcard sees them).
 * - Send: one socket bound to self with an ephemeral port; every datagram
 *   leaves from it, as upstream's do (vectors/ring/README.md §1, D9), so
 *   receivers check the source address only. SO_BROADCAST is on, and
 *   multicast leaves through self's interface with TTL (hops) 1 and loops
 *   back to daemons on the same host.
 * - Errors: the send socket asks for extended errors (IP_RECVERR,
 *   IPV6_RECVERR) and is watched too. An ICMP port unreachable for a
 *   datagram it sent (a daemon's process is gone, its host still up)
 *   is read from the error queue and reported through net.unreach; the
 *   pending error is consumed there, so it does not fail the next send
 *   to another daemon. A send that still meets it is sent again once.
 * - Buffers: SO_RCVBUF and SO_SNDBUF are asked for NET_SOCKBUF (the kernel
 *   caps them at net.core.rmem_max / wmem_max; no error then).
 *
 * Why the configured address and not the wildcard: several daemons of
 *   one host share port P when a ring runs on 127.0.0.x (and upstream's
 *   captures show each daemon on its own address). Wildcard sockets on
 *   one port would collide, or with SO_REUSEADDR see each unicast given
 *   to only one of them. Bound to its own address, each daemon gets its
 *   own unicasts, and rule 4 (a daemon runs on its configured address)
 *   holds by construction: bind() fails for an address the host lacks.
 *
 * Loop
 * - Receive sockets are level-triggered watchers at EV_PRIO_HIGH: ring
 *   traffic is served before any client in each pass. A socket is read
 *   with recvmmsg(), NET_RECV_VEC datagrams per call, until a call comes
 *   back short (the queue was empty then) or NET_RECV_BATCH datagrams
 *   were read in the pass (what is left is reported in the next pass).
 *   When the token socket is ready, the data sockets are read first:
 *   packets sent before a token should be seen before it, or the token
 *   would ask for retransmissions of packets that are already waiting
 *   here.
 * - Sends made by the receive callback (the packets and the token a
 *   token visit produces) are copied into a queue and leave in order in
 *   one sendmmsg() when the watcher's batch is over; other sends leave at
 *   once, a segment broadcast's copies in one sendmmsg(). Datagrams of
 *   one destination and size go as a train: one buffer with UDP_SEGMENT
 *   that the kernel (or the network card) cuts into the same datagrams,
 *   so the wire sees what sendto() would have sent; datagrams to one
 *   host keep their order, those to different hosts may pass each
 *   other. A kernel or route that refuses trains gets single datagrams
 *   from then on.
 *   Why: on a virtual machine a system call costs more than a datagram's
 *   copy, and with the sends of a token visit together the receivers
 *   wake up once for them rather than once per packet (bench/ring.sh,
 *   1 KB, one sender: with recvmmsg, half the daemon CPU per message of
 *   one recvmsg() and one sendto() per datagram).
 * - A datagram larger than NET_MAX_DGRAM cannot exist; one the kernel
 *   still reports truncated is counted in rx_dropped and not delivered.
 */
#ifndef COHORT_DAEMON_NET_UDP_H
#define COHORT_DAEMON_NET_UDP_H

#include "ev.h"
#include "net.h"

#define NET_MAX_SEG_ADDRS 5
#define NET_MAX_PEERS 128
#define NET_RECV_BATCH 64          /* datagrams per socket per pass */
#define NET_RECV_VEC 16            /* datagrams per recvmmsg() */
#define NET_TX_VEC 128             /* datagrams per sendmmsg() */
#define NET_TX_BYTES (128 * 1024)  /* bytes held for one sendmmsg() */
#define NET_GSO_SEGS 64            /* datagrams per train (kernel limit) */
#define NET_GSO_BYTES 60000        /* bytes per train (under 64 KiB) */
#define NET_GSO_SEG_MAX 1472       /* larger datagrams travel alone: a
                                    * train's datagrams must fit the MTU */
#define NET_SOCKBUF (4 * 1024 * 1024)
#define NET_MAX_DGRAM 65536        /* receive slot: any datagram */

struct net_udp_cfg {
    struct sockaddr_storage self;  /* this daemon's address; port unused */
    uint16_t port;                 /* the segment port P */
    int n_seg_addrs;               /* the segment's addresses; ports unused */
    struct sockaddr_storage seg_addrs[NET_MAX_SEG_ADDRS];
    /* Segment broadcast as one unicast per daemon of the segment, for a
     * segment without broadcast or multicast (a ring on 127.0.0.x;
     * ring.md rule 13). peers lists the segment's daemons (self may be
     * among them: it is skipped); seg_addrs is then not used. */
    int unicast_segment;
    int n_peers;
    struct sockaddr_storage peers[NET_MAX_PEERS];
    int ignore_join_errors;        /* IgnoreMulticastJoinErrors: a group
                                    * that cannot be joined is left out */
    int sockbuf;                   /* buffer wish; 0: NET_SOCKBUF */
};

struct net_udp;

struct net_udp_slot;               /* what one recvmmsg() fills */
struct net_udp_txq;                /* datagrams for one sendmmsg() */

struct net_udp_rx {
    struct ev_io io;
    struct net_udp *u;
    enum net_port port;
};

#define NET_UDP_MAX_RX (2 + NET_MAX_SEG_ADDRS)

struct net_udp {
    struct net net;                /* first: the interface */
    struct ev *ev;
    int family;
    int sockbuf;                   /* asked for on every socket */
    int send_fd;
    struct ev_io send_io;          /* its error queue (and stray input) */
    int send_watched;
    struct sockaddr_storage bound; /* the send socket: self:ephemeral */
    int n_rx;                      /* [0] data, [1] token, then segment */
    struct net_udp_rx rx[NET_UDP_MAX_RX];
    int n_dst;                     /* a segment broadcast's destinations */
    struct sockaddr_storage dst[NET_MAX_PEERS];
    unsigned char *buf;            /* NET_RECV_VEC slots of NET_MAX_DGRAM
                                    * bytes (1 MiB of address space; only
                                    * what datagrams fill is touched) */
    struct net_udp_slot *slots;
    struct net_udp_txq *txq;
    uint64_t tx_trains;            /* sends of several datagrams in one
                                    * buffer (UDP_SEGMENT) */
};

struct conf;

/* The transport of daemon `self` of a validated configuration: its
 * address, its segment's port and addresses, SegmentUnicast (then the
 * segment's daemons as peers) and IgnoreMulticastJoinErrors. A segment
 * with one daemon gets no segment address: nobody to broadcast to
 * (ring.md rule 13), and nothing to bind. Interface blocks are not
 * consulted: every datagram of the protocol is addressed to a daemon's
 * configured address or to a segment address (rules 13-16), and those
 * are the addresses bound. */
void net_udp_cfg_from_conf(struct net_udp_cfg *cfg, const struct conf *c,
                           int self);

/* Open the sockets and watch them on `ev`. Returns 0, or -errno with a
 * reason in err ("bind 10.0.0.1:4803: Address already in use"); nothing
 * is left open then. */
int net_udp_open(struct net_udp *u, struct ev *ev,
                 const struct net_udp_cfg *cfg, net_recv_fn recv, void *ctx,
                 char *err, size_t errlen);

#endif /* COHORT_DAEMON_NET_UDP_H */
