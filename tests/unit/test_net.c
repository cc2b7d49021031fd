/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/net*.c.
 * - udp: real sockets on loopback (every 127.0.0.x is local on Linux):
 *   datagrams between daemons on 127.0.0.1 and 127.0.0.2, the source
 *   address and port kind reported, daemons of one host sharing port P,
 *   a unicast segment broadcast reaching each configured peer, broadcast
 *   on lo's 127.255.255.255, data read before a token, the per-pass read
 *   bound, sends of a receive callback held and sent together in order,
 *   and as GSO trains where they share a destination and a size, a
 *   send after an ICMP error (IP_RECVERR) tried again,
 *   IPv6 on ::1, a bind error for an address the host lacks.
 * - fake: the in-memory network on a fake clock: delays, segment
 *   broadcast, drop/duplicate/reorder hooks, unreachable daemons, and a
 *   ping-pong that runs identically twice.
 * Waits on real sockets poll until a deadline; nothing sleeps and hopes.
 */
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "net_fake.h"
#include "net_udp.h"
#include "../lib/ckmain.h"
#include "../lib/harness.h"

#define MAX_GOT 256
#define PKT_MAX_DATAGRAM_TEST 65507     /* the largest UDP datagram */

struct got {
    enum net_port port;
    struct sockaddr_storage from;
    char data[32];
    size_t len;
    uint64_t at_ms;
};

struct sink {
    struct ev *ev;
    int n;
    struct got g[MAX_GOT];
    int n_unreach;
    struct sockaddr_storage unreach_to;
};

static void sink_unreach(void *ctx, const struct sockaddr_storage *to)
{
    struct sink *s = ctx;

    s->n_unreach++;
    s->unreach_to = *to;
}

static void sink_recv(void *ctx, enum net_port port,
                      const struct sockaddr_storage *from, const void *buf,
                      size_t len)
{
    struct sink *s = ctx;
    struct got *g;

    ck_assert_int_lt(s->n, MAX_GOT);
    g = &s->g[s->n++];
    g->port = port;
    g->from = *from;
    g->len = len;
    memcpy(g->data, buf, len < sizeof g->data ? len : sizeof g->data - 1);
    g->data[len < sizeof g->data ? len : sizeof g->data - 1] = '\0';
    g->at_ms = s->ev != NULL ? ev_now(s->ev) : 0;
}

static struct sockaddr_storage addr(const char *text, uint16_t port)
{
    struct sockaddr_storage a;

    memset(&a, 0, sizeof a);
    if (strchr(text, ':') != NULL) {
        struct sockaddr_in6 *x = (void *)&a;
        x->sin6_family = AF_INET6;
        ck_assert_int_eq(inet_pton(AF_INET6, text, &x->sin6_addr), 1);
        x->sin6_port = htons(port);
    } else {
        struct sockaddr_in *x = (void *)&a;
        x->sin_family = AF_INET;
        ck_assert_int_eq(inet_pton(AF_INET, text, &x->sin_addr), 1);
        x->sin_port = htons(port);
    }
    return a;
}

/* ---- udp ---- */

static struct net_udp_cfg cfg_for(const char *self, uint16_t port)
{
    struct net_udp_cfg c;

    memset(&c, 0, sizeof c);
    c.self = addr(self, 0);
    c.port = port;
    c.unicast_segment = 1;
    return c;
}

/* Open with a free port; retry when another test program took it. */
static uint16_t open_free(struct net_udp *u, struct ev *ev,
                          struct net_udp_cfg *c, struct sink *s)
{
    char err[256] = "";
    int tries, rc = -1;

    for (tries = 0; tries < 20 && rc < 0; tries++) {
        int p = th_free_port();
        ck_assert_int_gt(p, 0);
        c->port = (uint16_t)p;
        rc = net_udp_open(u, ev, c, sink_recv, s, err, sizeof err);
        ck_assert_msg(rc == 0 || rc == -EADDRINUSE, "%s", err);
    }
    ck_assert_msg(rc == 0, "no free port: %s", err);
    return c->port;
}

/* Run the loop until `s` has `n` datagrams, or 5 s on the real clock. */
static void pump_until(struct ev *ev, const struct sink *s, int n)
{
    uint64_t end;

    ev_update_time(ev);
    end = ev_now(ev) + 5000;
    while (s->n < n && ev_now(ev) < end)
        ev_run_once(ev, 10);
    ck_assert_int_eq(s->n, n);
}

static void send_ok(struct net *n, const char *to, uint16_t port,
                    const char *text)
{
    struct sockaddr_storage a = addr(to, port);
    ck_assert_int_eq(net_send(n, &a, text, strlen(text)), 0);
}

START_TEST(udp_exchange)
{
    struct net_udp a, b;
    struct net_udp_cfg ca = cfg_for("127.0.0.1", 0), cb = cfg_for("127.0.0.2", 0);
    struct sink sa, sb;
    struct ev ev;
    uint16_t pa, pb;

    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    ck_assert_int_eq(ev_init(&ev), 0);
    pa = open_free(&a, &ev, &ca, &sa);
    pb = open_free(&b, &ev, &cb, &sb);
    ck_assert_uint_ne(pa, pb);
    /* The send socket: the own address, an ephemeral port. */
    ck_assert(net_addr_equal(&a.bound, &ca.self));
    ck_assert_uint_ne(net_addr_port(&a.bound), 0);
    ck_assert_uint_ne(net_addr_port(&a.bound), pa);
    ck_assert_uint_ne(net_addr_port(&a.bound), pa + 1);

    send_ok(&a.net, "127.0.0.2", pb, "data");
    send_ok(&a.net, "127.0.0.2", (uint16_t)(pb + 1), "token");
    pump_until(&ev, &sb, 2);
    ck_assert_int_eq(sb.g[0].port, NET_PORT_DATA);
    ck_assert_str_eq(sb.g[0].data, "data");
    ck_assert_int_eq(sb.g[1].port, NET_PORT_TOKEN);
    ck_assert_str_eq(sb.g[1].data, "token");
    /* Both came from the send socket: 127.0.0.1 and its port. */
    ck_assert(net_addr_equal(&sb.g[0].from, &ca.self));
    ck_assert(net_addr_equal(&sb.g[1].from, &ca.self));
    ck_assert_uint_eq(net_addr_port(&sb.g[0].from), net_addr_port(&a.bound));
    ck_assert_uint_eq(net_addr_port(&sb.g[1].from), net_addr_port(&a.bound));

    /* And back: to the source's address at the receiver's ports. */
    send_ok(&b.net, "127.0.0.1", (uint16_t)(pa + 1), "back");
    pump_until(&ev, &sa, 1);
    ck_assert_int_eq(sa.g[0].port, NET_PORT_TOKEN);
    ck_assert(net_addr_equal(&sa.g[0].from, &cb.self));
    ck_assert_uint_eq(net_addr_port(&sa.g[0].from), net_addr_port(&b.bound));
    ck_assert_uint_eq(a.net.stats.tx, 2);
    ck_assert_uint_eq(b.net.stats.rx, 2);
    ck_assert_int_eq(sb.n, 2);

    net_close(&a.net);
    net_close(&b.net);
    ev_fini(&ev);
}
END_TEST

/* A datagram to a daemon whose process is gone comes back as ICMP port
 * unreachable: reported with the destination it was sent to, once, and
 * the pending error costs the next datagram to a live daemon nothing.
 * (Without IP_RECVERR the unconnected socket hears nothing.) */
START_TEST(udp_port_unreachable)
{
    struct net_udp a, b, c;
    struct net_udp_cfg ca = cfg_for("127.0.0.1", 0), cb = cfg_for("127.0.0.2", 0),
                       cc = cfg_for("127.0.0.3", 0);
    struct sink sa, sb, sc;
    struct ev ev;
    struct sockaddr_storage gone;
    uint64_t end;
    uint16_t pb, pc;

    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    memset(&sc, 0, sizeof sc);
    ck_assert_int_eq(ev_init(&ev), 0);
    open_free(&a, &ev, &ca, &sa);
    a.net.unreach = sink_unreach;
    pb = open_free(&b, &ev, &cb, &sb);
    pc = open_free(&c, &ev, &cc, &sc);
    net_close(&b.net); /* b's process is gone; its host is up */

    send_ok(&a.net, "127.0.0.2", (uint16_t)(pb + 1), "token");
    ev_update_time(&ev);
    end = ev_now(&ev) + 5000;
    while (sa.n_unreach == 0 && ev_now(&ev) < end)
        ev_run_once(&ev, 10);
    ck_assert_int_eq(sa.n_unreach, 1);
    gone = addr("127.0.0.2", (uint16_t)(pb + 1));
    ck_assert(net_addr_equal(&sa.unreach_to, &gone));
    ck_assert_uint_eq(net_addr_port(&sa.unreach_to), pb + 1);
    ck_assert_uint_eq(a.net.stats.unreach, 1);

    /* An error still pending when the next datagram leaves. */
    send_ok(&a.net, "127.0.0.2", pb, "again");
    send_ok(&a.net, "127.0.0.3", pc, "live");
    pump_until(&ev, &sc, 1);
    ck_assert_str_eq(sc.g[0].data, "live");
    ck_assert_int_eq(sa.n, 0);

    net_close(&a.net);
    net_close(&c.net);
    ev_fini(&ev);
}
END_TEST

/* Three daemons of one segment on one host share port P (each bound to
 * its own address); a segment broadcast without broadcast or multicast
 * is one unicast to each other configured daemon. */
START_TEST(udp_unicast_segment)
{
    static const char *const who[3] = { "127.0.0.1", "127.0.0.2", "127.0.0.3" };
    struct net_udp u[3];
    struct net_udp_cfg c[3];
    struct sink s[3];
    struct ev ev;
    uint16_t port = 0;
    int i, j;

    ck_assert_int_eq(ev_init(&ev), 0);
    memset(s, 0, sizeof s);
    for (i = 0; i < 3; i++) {
        c[i] = cfg_for(who[i], port);
        c[i].n_peers = 3;
        for (j = 0; j < 3; j++)
            c[i].peers[j] = addr(who[j], 0);
        if (i == 0) {
            port = open_free(&u[0], &ev, &c[0], &s[0]);
        } else {
            char err[256];
            ck_assert_msg(net_udp_open(&u[i], &ev, &c[i], sink_recv, &s[i],
                                       err, sizeof err) == 0, "%s", err);
        }
    }
    ck_assert_int_eq(u[0].n_dst, 2);
    ck_assert_int_eq(net_send_segment(&u[0].net, "seg", 3), 0);
    ck_assert_uint_eq(u[0].net.stats.tx, 2);
    pump_until(&ev, &s[1], 1);
    pump_until(&ev, &s[2], 1);
    for (i = 1; i < 3; i++) {
        ck_assert_int_eq(s[i].g[0].port, NET_PORT_DATA);
        ck_assert_str_eq(s[i].g[0].data, "seg");
        ck_assert(net_addr_equal(&s[i].g[0].from, &c[0].self));
    }
    /* Unicast to one of them reaches that one only. */
    send_ok(&u[2].net, "127.0.0.2", port, "one");
    pump_until(&ev, &s[1], 2);
    ck_assert_int_eq(s[0].n, 0);
    ck_assert_int_eq(s[2].n, 1);
    for (i = 0; i < 3; i++)
        net_close(&u[i].net);
    ev_fini(&ev);
}
END_TEST

/* Broadcast mode on lo's broadcast address: both daemons of the host
 * receive the broadcast, the sender included (as on a real segment; the
 * ring drops its own packets by their transmitter). */
START_TEST(udp_broadcast_segment)
{
    struct net_udp a, b;
    struct net_udp_cfg ca = cfg_for("127.0.0.1", 0), cb;
    struct sink sa, sb;
    struct ev ev;
    char err[256];
    int rc;

    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    ck_assert_int_eq(ev_init(&ev), 0);
    ca.unicast_segment = 0;
    ca.n_seg_addrs = 1;
    ca.seg_addrs[0] = addr("127.255.255.255", 0);
    open_free(&a, &ev, &ca, &sa);
    cb = ca;
    cb.self = addr("127.0.0.2", 0);
    rc = net_udp_open(&b, &ev, &cb, sink_recv, &sb, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_int_eq(a.n_rx, 3);
    ck_assert_int_eq(net_send_segment(&a.net, "bcast", 5), 0);
    pump_until(&ev, &sb, 1);
    pump_until(&ev, &sa, 1);
    ck_assert_int_eq(sb.g[0].port, NET_PORT_DATA);
    ck_assert_str_eq(sb.g[0].data, "bcast");
    ck_assert(net_addr_equal(&sb.g[0].from, &ca.self));
    net_close(&a.net);
    net_close(&b.net);
    ev_fini(&ev);
}
END_TEST

/* Multicast mode: the group is joined on self's interface and datagrams
 * loop back to the daemons of the host. Skipped where the loopback
 * interface cannot carry multicast (no route, no join). */
START_TEST(udp_multicast_segment)
{
    struct net_udp a, b;
    struct net_udp_cfg ca = cfg_for("127.0.0.1", 0), cb;
    struct sink sa, sb;
    struct ev ev;
    char err[256] = "";
    int rc, p = th_free_port();

    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    ck_assert_int_eq(ev_init(&ev), 0);
    ca.unicast_segment = 0;
    ca.n_seg_addrs = 1;
    ca.seg_addrs[0] = addr("239.255.77.1", 0);
    ca.port = (uint16_t)p;
    rc = net_udp_open(&a, &ev, &ca, sink_recv, &sa, err, sizeof err);
    if (rc == 0)
        rc = net_send_segment(&a.net, "mc", 2);
    if (rc < 0) {
        fprintf(stderr, "udp_multicast_segment: %s (%d), skipped\n", err, rc);
        if (a.send_fd >= 0)
            net_close(&a.net);
        ev_fini(&ev);
        return;
    }
    cb = ca;
    cb.self = addr("127.0.0.2", 0);
    rc = net_udp_open(&b, &ev, &cb, sink_recv, &sb, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    pump_until(&ev, &sa, 1);                    /* looped back to itself */
    ck_assert_int_eq(net_send_segment(&a.net, "mc2", 3), 0);
    pump_until(&ev, &sb, 1);
    ck_assert_str_eq(sb.g[0].data, "mc2");
    ck_assert(net_addr_equal(&sb.g[0].from, &ca.self));
    net_close(&a.net);
    net_close(&b.net);
    ev_fini(&ev);
}
END_TEST

/* A token that arrived before data is still handed over after that
 * data: the token socket's watcher reads the data sockets first. */
START_TEST(udp_data_before_token)
{
    struct net_udp a, b;
    struct net_udp_cfg ca = cfg_for("127.0.0.1", 0), cb = cfg_for("127.0.0.2", 0);
    struct sink sa, sb;
    struct ev ev;
    uint16_t pb;

    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    ck_assert_int_eq(ev_init(&ev), 0);
    open_free(&a, &ev, &ca, &sa);
    pb = open_free(&b, &ev, &cb, &sb);
    send_ok(&a.net, "127.0.0.2", (uint16_t)(pb + 1), "token");
    send_ok(&a.net, "127.0.0.2", pb, "data");
    pump_until(&ev, &sb, 2);
    ck_assert_str_eq(sb.g[0].data, "data");
    ck_assert_str_eq(sb.g[1].data, "token");
    net_close(&a.net);
    net_close(&b.net);
    ev_fini(&ev);
}
END_TEST

/* One pass reads at most NET_RECV_BATCH datagrams from one socket; the
 * rest come in the next pass. */
START_TEST(udp_read_bound_per_pass)
{
    struct net_udp a, b;
    struct net_udp_cfg ca = cfg_for("127.0.0.1", 0), cb = cfg_for("127.0.0.2", 0);
    struct sink sa, sb;
    struct ev ev;
    uint16_t pb;
    int i, first;

    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    ck_assert_int_eq(ev_init(&ev), 0);
    open_free(&a, &ev, &ca, &sa);
    pb = open_free(&b, &ev, &cb, &sb);
    for (i = 0; i < NET_RECV_BATCH + 36; i++)
        send_ok(&a.net, "127.0.0.2", pb, "x");
    /* Wait until the first pass found something, then look at it. */
    while (sb.n == 0)
        ev_run_once(&ev, 100);
    first = sb.n;
    ck_assert_int_le(first, NET_RECV_BATCH);
    pump_until(&ev, &sb, NET_RECV_BATCH + 36);
    net_close(&a.net);
    net_close(&b.net);
    ev_fini(&ev);
}
END_TEST

/* A daemon that answers from inside its receive callback. */
struct echo {
    struct sink sink;               /* first: sink_recv's context */
    struct net_udp *u;
    struct sockaddr_storage to;     /* the peer's address and port P */
    size_t big_len;
    uint64_t tx_in_cb;              /* stats.tx after the callback's sends */
};

static void echo_recv(void *ctx, enum net_port port,
                      const struct sockaddr_storage *from, const void *buf,
                      size_t len)
{
    struct echo *e = ctx;
    struct sockaddr_storage tok = e->to;
    unsigned char *big = calloc(1, e->big_len);

    sink_recv(&e->sink, port, from, buf, len);
    ck_assert_ptr_nonnull(big);
    net_addr_set_port(&tok, (uint16_t)(net_addr_port(&e->to) + 1));
    ck_assert_int_eq(net_send(&e->u->net, &e->to, "1", 1), 0);
    ck_assert_int_eq(net_send_segment(&e->u->net, "2", 1), 0);
    ck_assert_int_eq(net_send(&e->u->net, &e->to, big, e->big_len), 0);
    ck_assert_int_eq(net_send(&e->u->net, &tok, "3", 1), 0);
    free(big);
    e->tx_in_cb = e->u->net.stats.tx;
}

/* What a receive callback sends is held until the callback's batch is
 * over and then leaves in one sendmmsg(), in the order it was sent; the
 * largest datagram passes whole. On the old code, where each send was a
 * sendto() of its own, tx_in_cb was 4. */
START_TEST(udp_callback_sends_held)
{
    struct net_udp a, b;
    struct net_udp_cfg ca = cfg_for("127.0.0.1", 0), cb = cfg_for("127.0.0.2", 0);
    struct sink sa;
    struct echo eb;
    struct ev ev;
    uint16_t pa;
    char err[256];

    memset(&sa, 0, sizeof sa);
    memset(&eb, 0, sizeof eb);
    ck_assert_int_eq(ev_init(&ev), 0);
    pa = open_free(&a, &ev, &ca, &sa);
    cb.port = pa;               /* one segment: b's broadcast reaches a */
    cb.n_peers = 2;
    cb.peers[0] = ca.self;
    cb.peers[1] = cb.self;
    ck_assert_msg(net_udp_open(&b, &ev, &cb, echo_recv, &eb, err,
                               sizeof err) == 0, "%s", err);
    eb.u = &b;
    eb.to = addr("127.0.0.1", pa);
    eb.big_len = PKT_MAX_DATAGRAM_TEST;
    send_ok(&a.net, "127.0.0.2", pa, "go");
    pump_until(&ev, &sa, 4);
    ck_assert_int_eq(eb.sink.n, 1);
    ck_assert_uint_eq(eb.tx_in_cb, 0);
    ck_assert_uint_eq(b.net.stats.tx, 4);
    ck_assert_uint_eq(b.net.stats.tx_failed, 0);
    ck_assert_str_eq(sa.g[0].data, "1");
    ck_assert_str_eq(sa.g[1].data, "2");
    ck_assert_uint_eq(sa.g[2].len, PKT_MAX_DATAGRAM_TEST);
    ck_assert_int_eq(sa.g[3].port, NET_PORT_TOKEN);
    ck_assert_str_eq(sa.g[3].data, "3");
    /* Outside a callback a send goes at once. */
    send_ok(&b.net, "127.0.0.1", pa, "now");
    ck_assert_uint_eq(b.net.stats.tx, 5);
    pump_until(&ev, &sa, 5);
    net_close(&a.net);
    net_close(&b.net);
    ev_fini(&ev);
}
END_TEST

/* Whether this kernel takes UDP_SEGMENT (Linux 4.18 and later). */
static int udp_has_gso(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0), zero = 0, ok;

    ck_assert_int_ge(fd, 0);
    ok = setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) == 0;
    close(fd);
    return ok;
}

/* A callback that sends a run of segment broadcasts (sizes[i] bytes,
 * starting "d<i>") and then a token to `to`'s P+1. */
struct trainer {
    struct sink sink;               /* first: sink_recv's context */
    struct net_udp *u;
    struct sockaddr_storage to;
    const size_t *sizes;
    int n;
};

static void trainer_recv(void *ctx, enum net_port port,
                         const struct sockaddr_storage *from,
                         const void *buf, size_t len)
{
    struct trainer *t = ctx;
    struct sockaddr_storage tok = t->to;
    char d[200];
    int i;

    sink_recv(&t->sink, port, from, buf, len);
    for (i = 0; i < t->n; i++) {
        memset(d, 'x', sizeof d);
        snprintf(d, sizeof d, "d%d", i);
        ck_assert_int_eq(net_send_segment(&t->u->net, d, t->sizes[i]), 0);
    }
    net_addr_set_port(&tok, (uint16_t)(net_addr_port(&t->to) + 1));
    ck_assert_int_eq(net_send(&t->u->net, &tok, "tok", 3), 0);
}

/* Held datagrams of one destination and size leave as trains (one UDP
 * GSO buffer each, cut by the kernel into the same datagrams): a shorter
 * one ends a train, a longer one starts the next. Each receiver gets
 * every datagram whole and in order, and the token after the data. The
 * old code sent 17 datagrams in 17 messages (tx_trains did not exist). */
START_TEST(udp_trains)
{
    static const char *const who[3] = { "127.0.0.1", "127.0.0.2", "127.0.0.3" };
    static const size_t sizes[8] = { 100, 100, 100, 100, 100, 60, 100, 100 };
    struct net_udp u[3];
    struct net_udp_cfg c[3];
    struct sink s[3];
    struct trainer t;
    struct ev ev;
    char err[256];
    uint16_t port;
    int i, j;

    memset(s, 0, sizeof s);
    memset(&t, 0, sizeof t);
    ck_assert_int_eq(ev_init(&ev), 0);
    for (i = 0; i < 3; i++) {
        c[i] = cfg_for(who[i], 0);
        c[i].n_peers = 3;
        for (j = 0; j < 3; j++)
            c[i].peers[j] = addr(who[j], 0);
    }
    port = open_free(&u[0], &ev, &c[0], &s[0]);
    c[1].port = c[2].port = port;
    ck_assert_msg(net_udp_open(&u[1], &ev, &c[1], trainer_recv, &t, err,
                               sizeof err) == 0, "%s", err);
    ck_assert_msg(net_udp_open(&u[2], &ev, &c[2], sink_recv, &s[2], err,
                               sizeof err) == 0, "%s", err);
    t.u = &u[1];
    t.to = addr(who[0], port);
    t.sizes = sizes;
    t.n = 8;
    send_ok(&u[0].net, who[1], port, "go");
    pump_until(&ev, &s[0], 9);
    pump_until(&ev, &s[2], 8);
    for (i = 0; i < 8; i++) {
        char want[8];
        snprintf(want, sizeof want, "d%d", i);
        for (j = 0; j < 3; j += 2) {
            ck_assert_int_eq(s[j].g[i].port, NET_PORT_DATA);
            ck_assert_uint_eq(s[j].g[i].len, sizes[i]);
            ck_assert_int_eq(strncmp(s[j].g[i].data, want, strlen(want)), 0);
            ck_assert(net_addr_equal(&s[j].g[i].from, &c[1].self));
        }
    }
    ck_assert_int_eq(s[0].g[8].port, NET_PORT_TOKEN);
    ck_assert_str_eq(s[0].g[8].data, "tok");
    ck_assert_uint_eq(u[1].net.stats.tx, 17);
    ck_assert_uint_eq(u[1].net.stats.tx_failed, 0);
    /* Two trains per receiver, unless this kernel has no UDP_SEGMENT. */
    ck_assert_uint_eq(u[1].tx_trains, udp_has_gso() ? 4 : 0);
    for (i = 0; i < 3; i++)
        net_close(&u[i].net);
    ev_fini(&ev);
}
END_TEST

/* With IP_RECVERR on (how a daemon hears of a dead peer), an ICMP port
 * unreachable makes the next send on the socket fail, whatever its
 * destination. That datagram is tried once more and arrives. On the
 * code without the retry the second send returned -ECONNREFUSED. */
START_TEST(udp_stale_icmp_error_retried)
{
    struct net_udp a, b;
    struct net_udp_cfg ca = cfg_for("127.0.0.1", 0), cb = cfg_for("127.0.0.2", 0);
    struct sink sa, sb;
    struct ev ev;
    struct pollfd pf;
    uint16_t pa;
    int one = 1;

    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    ck_assert_int_eq(ev_init(&ev), 0);
    pa = open_free(&a, &ev, &ca, &sa);
    open_free(&b, &ev, &cb, &sb);
    ck_assert_int_eq(setsockopt(b.send_fd, IPPROTO_IP, IP_RECVERR, &one,
                                sizeof one), 0);
    send_ok(&b.net, "127.0.0.3", pa, "void");   /* nobody there */
    pf.fd = b.send_fd;
    pf.events = 0;
    if (poll(&pf, 1, 2000) != 1 || !(pf.revents & POLLERR)) {
        fprintf(stderr, "udp_stale_icmp_error_retried: no ICMP error "
                "came back, skipped\n");
    } else {
        send_ok(&b.net, "127.0.0.1", pa, "after");
        pump_until(&ev, &sa, 1);
        ck_assert_str_eq(sa.g[0].data, "after");
        ck_assert_uint_eq(b.net.stats.tx_failed, 0);
    }
    net_close(&a.net);
    net_close(&b.net);
    ev_fini(&ev);
}
END_TEST

START_TEST(udp_ipv6)
{
    struct net_udp a, b;
    struct net_udp_cfg ca = cfg_for("::1", 0), cb = cfg_for("::1", 0);
    struct sink sa, sb;
    struct ev ev;
    uint16_t pb;
    char err[256];
    int p = th_free_port();

    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    ck_assert_int_eq(ev_init(&ev), 0);
    ca.port = (uint16_t)p;
    if (net_udp_open(&a, &ev, &ca, sink_recv, &sa, err, sizeof err) ==
        -EADDRNOTAVAIL) {
        fprintf(stderr, "udp_ipv6: no ::1 here (%s), skipped\n", err);
        ev_fini(&ev);
        return;
    }
    pb = open_free(&b, &ev, &cb, &sb);
    send_ok(&a.net, "::1", (uint16_t)(pb + 1), "six");
    pump_until(&ev, &sb, 1);
    ck_assert_int_eq(sb.g[0].port, NET_PORT_TOKEN);
    ck_assert_int_eq(sb.g[0].from.ss_family, AF_INET6);
    ck_assert(net_addr_equal(&sb.g[0].from, &ca.self));
    ck_assert_uint_eq(net_addr_port(&sb.g[0].from), net_addr_port(&a.bound));
    /* The wrong family is refused, not sent. */
    {
        struct sockaddr_storage v4 = addr("127.0.0.1", pb);
        ck_assert_int_eq(net_send(&a.net, &v4, "x", 1), -EAFNOSUPPORT);
    }
    net_close(&a.net);
    net_close(&b.net);
    ev_fini(&ev);
}
END_TEST

START_TEST(udp_foreign_address_refused)
{
    struct net_udp u;
    struct net_udp_cfg c = cfg_for("198.51.100.77", 4803);
    struct ev ev;
    char err[256] = "";

    ck_assert_int_eq(ev_init(&ev), 0);
    ck_assert_int_eq(net_udp_open(&u, &ev, &c, sink_recv, NULL, err, sizeof err),
                     -EADDRNOTAVAIL);
    ck_assert_ptr_nonnull(strstr(err, "198.51.100.77:4803"));
    ck_assert_uint_eq(ev.n_active, 0);
    c = cfg_for("127.0.0.1", 65535);
    ck_assert_int_eq(net_udp_open(&u, &ev, &c, sink_recv, NULL, err, sizeof err),
                     -EINVAL);
    ev_fini(&ev);
}
END_TEST

/* The transport settings of a parsed configuration. */
static struct conf *parse(const char *text)
{
    struct conf *c = NULL;
    struct conf_diag err;

    ck_assert_msg(conf_parse_text(text, strlen(text), "t.conf", &c, &err,
                                  NULL, NULL) == 0, "%s:%d: %s", err.file,
                  err.line, err.reason);
    return c;
}

START_TEST(udp_cfg_from_conf)
{
    static struct net_udp_cfg nc;
    struct conf *c;
    char text[512];
    struct net_udp u[3];
    struct sink s[3];
    struct ev ev;
    char err[256];
    int i, p = th_free_port();

    c = parse("Spread_Segment 10.88.0.255:4803 {\n n1 10.88.0.1\n n2 10.88.0.2\n}\n"
              "Spread_Segment 239.1.1.1:4900 {\n n3 10.99.0.1\n}\n");
    net_udp_cfg_from_conf(&nc, c, 1);
    {
        struct sockaddr_storage want = addr("10.88.0.2", 0);
        ck_assert(net_addr_equal(&nc.self, &want));
        want = addr("10.88.0.255", 0);
        ck_assert_int_eq(nc.n_seg_addrs, 1);
        ck_assert(net_addr_equal(&nc.seg_addrs[0], &want));
    }
    ck_assert_uint_eq(nc.port, 4803);
    ck_assert_int_eq(nc.unicast_segment, 0);
    net_udp_cfg_from_conf(&nc, c, 2);           /* alone in its segment */
    ck_assert_uint_eq(nc.port, 4900);
    ck_assert_int_eq(nc.n_seg_addrs, 0);
    ck_assert_int_eq(nc.n_peers, 0);
    conf_free(c);

    /* A loopback ring: SegmentUnicast's default (auto) sends a segment
     * broadcast as unicasts; the three daemons open and reach each other. */
    snprintf(text, sizeof text, "Spread_Segment 127.0.0.255:%d {\n"
             " a 127.0.0.1\n b 127.0.0.2\n c 127.0.0.3\n}\n", p);
    c = parse(text);
    memset(s, 0, sizeof s);
    ck_assert_int_eq(ev_init(&ev), 0);
    for (i = 0; i < 3; i++) {
        net_udp_cfg_from_conf(&nc, c, i);
        ck_assert_int_eq(nc.unicast_segment, 1);
        ck_assert_int_eq(nc.n_peers, 3);
        ck_assert_msg(net_udp_open(&u[i], &ev, &nc, sink_recv, &s[i], err,
                                   sizeof err) == 0, "%s", err);
    }
    ck_assert_int_eq(net_send_segment(&u[2].net, "hi", 2), 0);
    pump_until(&ev, &s[0], 1);
    pump_until(&ev, &s[1], 1);
    ck_assert_int_eq(s[2].n, 0);
    for (i = 0; i < 3; i++)
        net_close(&u[i].net);
    ev_fini(&ev);
    conf_free(c);
}
END_TEST

/* ---- fake ---- */

struct fake_rig {
    struct clock_fake fc;
    struct ev ev;
    struct net_fake_hub hub;
    struct net_fake n[4];
    struct sink s[4];
};

static void fake_up(struct fake_rig *r, int n, const int *segments)
{
    static const char *const who[4] = { "10.0.0.1", "10.0.0.2", "10.0.0.3",
                                        "10.0.1.1" };
    int i;

    memset(r, 0, sizeof *r);
    clock_fake_init(&r->fc, 1000ull * CLOCK_NS_PER_MS, 0);
    ck_assert_int_eq(ev_init_clock(&r->ev, &r->fc.clock), 0);
    net_fake_hub_init(&r->hub, &r->ev);
    for (i = 0; i < n; i++) {
        struct sockaddr_storage a = addr(who[i], 0);
        r->s[i].ev = &r->ev;
        ck_assert_int_eq(net_fake_open(&r->n[i], &r->hub, &a, 4803,
                                       segments[i], sink_recv, &r->s[i]), 0);
    }
}

static void fake_down(struct fake_rig *r, int n)
{
    int i;
    for (i = 0; i < n; i++)
        net_close(&r->n[i].net);
    net_fake_hub_fini(&r->hub);
    ev_fini(&r->ev);
}

/* Step until nothing is left in flight. */
static void drain(struct fake_rig *r)
{
    int i;
    for (i = 0; i < 1000 && (r->hub.in_flight > 0 || r->ev.busy); i++)
        ck_assert_int_ge(ev_step(&r->ev, &r->fc, EV_NEVER), 0);
    ck_assert_uint_eq(r->hub.in_flight, 0);
}

START_TEST(fake_delivery)
{
    static const int seg[3] = { 0, 0, 0 };
    struct fake_rig r;
    struct sockaddr_storage same;

    fake_up(&r, 3, seg);
    same = addr("10.0.0.2", 0);
    ck_assert_int_eq(net_fake_open(&r.n[3], &r.hub, &same, 4804, 0, sink_recv,
                                   &r.s[3]), -EADDRINUSE);
    r.hub.latency_ms = 5;
    send_ok(&r.n[0].net, "10.0.0.2", 4804, "tok");
    send_ok(&r.n[0].net, "10.0.0.2", 4803, "dat");
    ck_assert_int_eq(r.s[1].n, 0);              /* never inside send */
    ck_assert_int_eq(ev_step(&r.ev, &r.fc, 4), 0);
    ck_assert_int_eq(r.s[1].n, 0);
    ck_assert_int_eq(ev_step(&r.ev, &r.fc, EV_NEVER), EV_STEP_TIMER);
    ck_assert_int_eq(r.s[1].n, 2);
    ck_assert_uint_eq(r.s[1].g[0].at_ms, 1005);
    ck_assert_int_eq(r.s[1].g[0].port, NET_PORT_TOKEN);
    ck_assert_int_eq(r.s[1].g[1].port, NET_PORT_DATA);
    ck_assert(net_addr_equal(&r.s[1].g[0].from, &r.n[0].addr));
    ck_assert_uint_eq(net_addr_port(&r.s[1].g[0].from), r.n[0].src_port);

    /* Nobody at that address, or that port: lost. */
    send_ok(&r.n[0].net, "10.0.0.9", 4803, "void");
    send_ok(&r.n[0].net, "10.0.0.2", 4805, "void");
    drain(&r);
    ck_assert_uint_eq(r.hub.unreachable, 2);
    ck_assert_int_eq(r.s[0].n_unreach, 0);      /* silent without icmp */

    /* With icmp, the sender hears of each, with the destination. */
    r.hub.icmp = 1;
    r.n[0].net.unreach = sink_unreach;
    send_ok(&r.n[0].net, "10.0.0.9", 4804, "void");
    drain(&r);
    ck_assert_int_eq(r.s[0].n_unreach, 1);
    same = addr("10.0.0.9", 4804);
    ck_assert(net_addr_equal(&r.s[0].unreach_to, &same));
    ck_assert_uint_eq(net_addr_port(&r.s[0].unreach_to), 4804);
    ck_assert_uint_eq(r.n[0].net.stats.unreach, 1);
    fake_down(&r, 3);
}
END_TEST

START_TEST(fake_segment_broadcast)
{
    static const int seg[4] = { 0, 0, 0, 1 };
    struct fake_rig r;

    fake_up(&r, 4, seg);
    ck_assert_int_eq(net_send_segment(&r.n[1].net, "all", 3), 0);
    drain(&r);
    ck_assert_int_eq(r.s[0].n, 1);
    ck_assert_int_eq(r.s[1].n, 0);              /* not to itself */
    ck_assert_int_eq(r.s[2].n, 1);
    ck_assert_int_eq(r.s[3].n, 0);              /* other segment */
    ck_assert_int_eq(r.s[0].g[0].port, NET_PORT_DATA);
    ck_assert(net_addr_equal(&r.s[2].g[0].from, &r.n[1].addr));
    /* A closed daemon gets nothing, and is unreachable in flight. */
    send_ok(&r.n[0].net, "10.0.0.3", 4803, "late");
    net_close(&r.n[2].net);
    drain(&r);
    ck_assert_int_eq(r.s[2].n, 1);
    ck_assert_uint_eq(r.hub.unreachable, 1);
    ck_assert_int_eq(net_send(&r.n[2].net, &r.n[0].addr, "x", 1), -EBADF);
    net_close(&r.n[0].net);
    net_close(&r.n[1].net);
    net_close(&r.n[3].net);
    net_fake_hub_fini(&r.hub);
    ev_fini(&r.ev);
}
END_TEST

/* Drops every datagram starting with 'd', duplicates those starting with
 * '2' (the copy 3 ms earlier), delays the rest by their second byte. */
static unsigned fate(void *ctx, const struct net_fake *from,
                     const struct sockaddr_storage *to, const void *buf,
                     size_t len, uint64_t *delay_ms, unsigned max)
{
    const char *b = buf;
    (void)ctx;
    (void)from;
    (void)to;
    ck_assert_uint_ge(max, 2);
    ck_assert_uint_ge(len, 2);
    if (b[0] == 'd')
        return 0;
    if (b[0] == '2') {
        delay_ms[0] = 10;
        delay_ms[1] = 7;
        return 2;
    }
    delay_ms[0] = (uint64_t)(b[1] - '0');
    return 1;
}

START_TEST(fake_fate_hooks)
{
    static const int seg[2] = { 0, 0 };
    struct fake_rig r;

    fake_up(&r, 2, seg);
    r.hub.fate = fate;
    send_ok(&r.n[0].net, "10.0.0.2", 4803, "d0");
    send_ok(&r.n[0].net, "10.0.0.2", 4803, "a9");
    send_ok(&r.n[0].net, "10.0.0.2", 4803, "b2");
    send_ok(&r.n[0].net, "10.0.0.2", 4803, "22");
    send_ok(&r.n[0].net, "10.0.0.2", 4803, "c2");
    drain(&r);
    ck_assert_uint_eq(r.hub.dropped, 1);
    ck_assert_int_eq(r.s[1].n, 5);
    /* Due time first, then send order: b2 and c2 at +2, 22's copy at +7,
     * a9 at +9, 22 at +10. */
    ck_assert_str_eq(r.s[1].g[0].data, "b2");
    ck_assert_str_eq(r.s[1].g[1].data, "c2");
    ck_assert_str_eq(r.s[1].g[2].data, "22");
    ck_assert_uint_eq(r.s[1].g[2].at_ms, 1007);
    ck_assert_str_eq(r.s[1].g[3].data, "a9");
    ck_assert_str_eq(r.s[1].g[4].data, "22");
    ck_assert_uint_eq(r.s[1].g[4].at_ms, 1010);
    ck_assert_uint_eq(r.n[0].net.stats.tx, 5);
    fake_down(&r, 2);
}
END_TEST

/* Two daemons bounce three counters over a lossy, jittery network (the
 * fate hook draws from a seeded generator); every receive answers at
 * once. The whole trace (value, time, port) is the same in two runs. */
struct trace {
    char buf[16384];
    size_t used;
};

struct pong {
    struct net_fake *self;
    struct sockaddr_storage peer;
    struct ev *ev;
    struct trace *t;
};

static void pong_recv(void *ctx, enum net_port port,
                      const struct sockaddr_storage *from, const void *buf,
                      size_t len)
{
    struct pong *p = ctx;
    struct trace *t = p->t;
    unsigned v;
    char out[16];
    (void)from;
    ck_assert_uint_lt(len, sizeof out);
    memcpy(out, buf, len);
    out[len] = '\0';
    v = (unsigned)strtoul(out, NULL, 10);
    t->used += (size_t)snprintf(t->buf + t->used, sizeof t->buf - t->used,
                                "%u@%llu:%d ", v,
                                (unsigned long long)ev_now(p->ev), (int)port);
    ck_assert_uint_lt(t->used, sizeof t->buf);
    if (v < 200) {
        int n = snprintf(out, sizeof out, "%u", v + 3);
        struct sockaddr_storage to = p->peer;
        net_addr_set_port(&to, (uint16_t)(4803 + (v & 1)));
        ck_assert_int_eq(net_send(&p->self->net, &to, out, (size_t)n), 0);
    }
}

/* Delay 1..16 ms, one datagram in 32 lost. */
static unsigned jitter(void *ctx, const struct net_fake *from,
                       const struct sockaddr_storage *to, const void *buf,
                       size_t len, uint64_t *delay_ms, unsigned max)
{
    uint64_t *x = ctx;
    (void)from;
    (void)to;
    (void)buf;
    (void)len;
    (void)max;
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    delay_ms[0] = 1 + ((*x >> 33) & 15);
    return ((*x >> 50) & 31) == 0 ? 0 : 1;
}

static void ping_pong(struct trace *t)
{
    struct clock_fake fc;
    struct ev ev;
    struct net_fake_hub hub;
    struct net_fake n[2];
    struct pong p[2];
    uint64_t rng = 42;
    int i;

    clock_fake_init(&fc, 0, 0);
    ck_assert_int_eq(ev_init_clock(&ev, &fc.clock), 0);
    net_fake_hub_init(&hub, &ev);
    hub.fate = jitter;
    hub.fate_ctx = &rng;
    t->used = 0;
    t->buf[0] = '\0';
    for (i = 0; i < 2; i++) {
        struct sockaddr_storage a = addr(i ? "10.0.0.2" : "10.0.0.1", 0);
        p[i].self = &n[i];
        p[i].peer = addr(i ? "10.0.0.1" : "10.0.0.2", 4803);
        p[i].ev = &ev;
        p[i].t = t;
        ck_assert_int_eq(net_fake_open(&n[i], &hub, &a, 4803, 0, pong_recv,
                                       &p[i]), 0);
    }
    for (i = 0; i < 3; i++) {
        char s[4];
        int k = snprintf(s, sizeof s, "%d", i);
        ck_assert_int_eq(net_send(&n[0].net, &p[0].peer, s, (size_t)k), 0);
    }
    while (hub.in_flight > 0)
        ck_assert_int_ge(ev_step(&ev, &fc, EV_NEVER), 0);
    ck_assert_uint_gt(hub.dropped, 0);
    net_close(&n[0].net);
    net_close(&n[1].net);
    net_fake_hub_fini(&hub);
    ev_fini(&ev);
}

START_TEST(fake_runs_repeat_exactly)
{
    static struct trace t1, t2;

    ping_pong(&t1);
    ping_pong(&t2);
    ck_assert_uint_gt(t1.used, 300);
    ck_assert_str_eq(t1.buf, t2.buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("net");
    TCase *udp = tcase_create("udp");
    TCase *fake = tcase_create("fake");

    tcase_set_timeout(udp, 20);
    tcase_add_test(udp, udp_exchange);
    tcase_add_test(udp, udp_unicast_segment);
    tcase_add_test(udp, udp_port_unreachable);
    tcase_add_test(udp, udp_broadcast_segment);
    tcase_add_test(udp, udp_multicast_segment);
    tcase_add_test(udp, udp_data_before_token);
    tcase_add_test(udp, udp_read_bound_per_pass);
    tcase_add_test(udp, udp_callback_sends_held);
    tcase_add_test(udp, udp_trains);
    tcase_add_test(udp, udp_stale_icmp_error_retried);
    tcase_add_test(udp, udp_ipv6);
    tcase_add_test(udp, udp_foreign_address_refused);
    tcase_add_test(udp, udp_cfg_from_conf);
    suite_add_tcase(s, udp);
    tcase_add_test(fake, fake_delivery);
    tcase_add_test(fake, fake_segment_broadcast);
    tcase_add_test(fake, fake_fate_hooks);
    tcase_add_test(fake, fake_runs_repeat_exactly);
    suite_add_tcase(s, fake);
    return ck_run_suite(s);
}
