/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * net: the ring's datagram transport behind a small interface, so that
 * the ring runs over real UDP in the daemon and over an in-memory network
 * (net_fake.h) in tests and the simulator, which can drop, duplicate and
 * delay datagrams deterministically (STYLE.md habit 11).
 *
 * Contract
 * - A transport belongs to one daemon. It sends datagrams from the
 *   daemon's configured address and reports each received datagram to
 *   the daemon's callback with its source address (address and port) and
 *   the kind of port it came in on: the segment port P (data, membership,
 *   retransmissions; ring.md rule 3) or P+1 (tokens and FORM tokens).
 * - Addresses are struct sockaddr_storage holding an AF_INET or AF_INET6
 *   address with its port, in network order as the socket API has them.
 *   One transport speaks one family: that of its own address.
 * - net_send() sends one datagram to an address and port. A segment
 *   broadcast (net_send_segment(), ring.md rule 13) sends one datagram to
 *   port P of every daemon of the own segment: to each segment address
 *   (broadcast or multicast), or, on a segment without either, as one
 *   unicast per configured daemon of the segment other than this one.
 * - Sending is UDP: 0 means handed to the network, not delivered. A
 *   negative -errno is returned for a datagram the network refused at
 *   once (-EMSGSIZE, -ENOBUFS, -EAGAIN, ...); the ring treats it like a
 *   loss. Nothing here logs: errors come back to the caller.
 * - What a receive callback sends may be held until the callback's batch
 *   of datagrams is over (net_udp then sends it all in one system call),
 *   in the order sent; 0 then means queued, and a later refusal is only
 *   counted in tx_failed. Sends made anywhere else leave at once.
 * - The receive callback runs from the event loop, never from inside
 *   net_send(). The bytes are valid only during the call. The callback may
 *   send, and may close the transport of another daemon, but not its own.
 * - Where the network says that a datagram found no socket at its
 *   destination (ICMP port unreachable: no process listens there), the
 *   `unreach` callback, if set, is told the destination address and port
 *   the datagram was sent to. It runs from the event loop like the
 *   receive callback, with the same rules. Only port unreachable is
 *   reported: a host or network that cannot be reached says nothing of
 *   the process, and a lost datagram says nothing at all.
 * - net_close() stops everything; no callback runs after it returns.
 * - Implementations: net_udp.h (the daemon's), net_fake.h (in memory).
 */
#ifndef COHORT_DAEMON_NET_H
#define COHORT_DAEMON_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct conf_addr;
struct net;

/* The port a datagram came in on. */
enum net_port {
    NET_PORT_DATA = 0,   /* segment port P */
    NET_PORT_TOKEN = 1   /* P + 1 */
};

typedef void (*net_recv_fn)(void *ctx, enum net_port port,
                            const struct sockaddr_storage *from,
                            const void *buf, size_t len);
typedef void (*net_unreach_fn)(void *ctx,
                               const struct sockaddr_storage *to);

struct net_ops {
    int (*send)(struct net *n, const struct sockaddr_storage *to,
                const void *buf, size_t len);
    int (*send_segment)(struct net *n, const void *buf, size_t len);
    void (*close)(struct net *n);
};

/* Counters, for status lines and tests. */
struct net_stats {
    uint64_t rx;            /* datagrams handed to the callback */
    uint64_t rx_dropped;    /* truncated (larger than a datagram can be) or
                             * failed reads */
    uint64_t tx;            /* datagrams handed to the network */
    uint64_t tx_failed;     /* refused at once */
    uint64_t unreach;       /* port unreachable reports */
};

/* Every implementation embeds this first. */
struct net {
    const struct net_ops *ops;
    net_recv_fn recv;
    net_unreach_fn unreach;     /* optional; gets recv_ctx */
    void *recv_ctx;
    struct net_stats stats;
};

static inline int net_send(struct net *n, const struct sockaddr_storage *to,
                           const void *buf, size_t len)
{
    return n->ops->send(n, to, buf, len);
}

/* Returns 0 if every copy went out, else the first error (the other
 * copies are still sent). A segment with no other daemon sends nothing. */
static inline int net_send_segment(struct net *n, const void *buf, size_t len)
{
    return n->ops->send_segment(n, buf, len);
}

static inline void net_close(struct net *n)
{
    n->ops->close(n);
}

/* ---- addresses ---- */

/* The length of the sockaddr inside (for sendto/bind), 0 if the family is
 * neither AF_INET nor AF_INET6. */
socklen_t net_addr_len(const struct sockaddr_storage *a);
/* Same family and address; ports are not compared (a daemon sends from
 * an ephemeral port: compare a source with a configured address so). */
int net_addr_equal(const struct sockaddr_storage *a,
                   const struct sockaddr_storage *b);
uint16_t net_addr_port(const struct sockaddr_storage *a);
void net_addr_set_port(struct sockaddr_storage *a, uint16_t port);
/* A multicast address (else, for IPv4, a broadcast or unicast one). */
int net_addr_is_multicast(const struct sockaddr_storage *a);
/* Fill *a from a configured address and a port. */
void net_addr_from_conf(struct sockaddr_storage *a, const struct conf_addr *c,
                        uint16_t port);
/* "a.b.c.d:port" or "[v6]:port"; returns buf. */
const char *net_addr_format(const struct sockaddr_storage *a, char *buf,
                            size_t len);
#define NET_ADDR_TEXT 64

#endif /* COHORT_DAEMON_NET_H */
