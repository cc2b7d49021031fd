/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * net_fake: the in-memory network (see net_fake.h). The queue is a list
 * sorted on (due_ms, seq); a simulation keeps few datagrams in flight, so
 * an insertion walk is cheap and keeps the order plain to read.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net_fake.h"

#define NET_FAKE_FIRST_PORT 40000

struct net_fake_dgram {
    struct net_fake_dgram *next;
    uint64_t due_ms, seq;
    struct sockaddr_storage from, to;
    size_t len;
    unsigned char data[];
};

static void arm(struct net_fake_hub *h)
{
    uint64_t now = ev_now(h->ev);

    if (h->queue == NULL) {
        ev_timer_stop(h->ev, &h->timer);
        return;
    }
    ev_timer_start(h->ev, &h->timer,
                   h->queue->due_ms > now ? h->queue->due_ms - now : 0);
}

static void enqueue(struct net_fake_hub *h, struct net_fake_dgram *d)
{
    struct net_fake_dgram **p = &h->queue;

    while (*p != NULL && ((*p)->due_ms < d->due_ms ||
                          ((*p)->due_ms == d->due_ms && (*p)->seq < d->seq)))
        p = &(*p)->next;
    d->next = *p;
    *p = d;
    h->in_flight++;
}

/* The open net that listens on `to`, and on which of its ports. */
static struct net_fake *resolve(struct net_fake_hub *h,
                                const struct sockaddr_storage *to,
                                enum net_port *port)
{
    uint16_t p = net_addr_port(to);
    struct net_fake *f;

    for (f = h->nets; f != NULL; f = f->next) {
        if (!net_addr_equal(&f->addr, to))
            continue;
        if (p == f->port || p == f->port + 1) {
            *port = p == f->port ? NET_PORT_DATA : NET_PORT_TOKEN;
            return f;
        }
    }
    return NULL;
}

/* The sender of d, if it is still open, hears that nothing listens at
 * d's destination. */
static void answer_unreachable(struct net_fake_hub *h,
                               const struct net_fake_dgram *d)
{
    struct net_fake *f;

    for (f = h->nets; f != NULL; f = f->next)
        if (f->open && net_addr_equal(&f->addr, &d->from) &&
            net_addr_port(&d->from) == f->src_port) {
            if (f->net.unreach != NULL) {
                f->net.stats.unreach++;
                f->net.unreach(f->net.recv_ctx, &d->to);
            }
            return;
        }
}

static void deliver_cb(struct ev *ev, struct ev_timer *t)
{
    struct net_fake_hub *h = t->data;
    uint64_t last = h->seq;     /* what later sends queue waits a turn */

    while (h->queue != NULL && h->queue->due_ms <= ev_now(ev) &&
           h->queue->seq < last) {
        struct net_fake_dgram *d = h->queue;
        struct net_fake *f;
        enum net_port port = NET_PORT_DATA;

        h->queue = d->next;
        h->in_flight--;
        f = resolve(h, &d->to, &port);
        if (f == NULL) {
            h->unreachable++;
            if (h->icmp)
                answer_unreachable(h, d);
        } else {
            h->delivered++;
            f->net.stats.rx++;
            f->net.recv(f->net.recv_ctx, port, &d->from, d->data, d->len);
        }
        free(d);
    }
    arm(h);
}

/* Queue the copies the fate hook grants one datagram. */
static int fake_send(struct net *n, const struct sockaddr_storage *to,
                     const void *buf, size_t len)
{
    struct net_fake *f = (struct net_fake *)n;
    struct net_fake_hub *h = f->hub;
    uint64_t delay[NET_FAKE_MAX_COPIES];
    unsigned copies = 1, i;

    if (!f->open || net_addr_len(to) == 0 ||
        to->ss_family != f->addr.ss_family) {
        n->stats.tx_failed++;
        return f->open ? -EAFNOSUPPORT : -EBADF;
    }
    for (i = 0; i < NET_FAKE_MAX_COPIES; i++)
        delay[i] = h->latency_ms;
    if (h->fate != NULL) {
        copies = h->fate(h->fate_ctx, f, to, buf, len, delay,
                         NET_FAKE_MAX_COPIES);
        if (copies > NET_FAKE_MAX_COPIES)
            copies = NET_FAKE_MAX_COPIES;
    }
    n->stats.tx++;
    if (copies == 0)
        h->dropped++;
    for (i = 0; i < copies; i++) {
        struct net_fake_dgram *d = malloc(sizeof *d + len);
        if (d == NULL) {
            n->stats.tx_failed++;
            return -ENOBUFS;
        }
        d->due_ms = ev_now(h->ev) + delay[i];
        d->seq = h->seq++;
        d->from = f->addr;
        net_addr_set_port(&d->from, f->src_port);
        d->to = *to;
        d->len = len;
        memcpy(d->data, buf, len);
        enqueue(h, d);
    }
    arm(h);
    return 0;
}

static int fake_send_segment(struct net *n, const void *buf, size_t len)
{
    struct net_fake *f = (struct net_fake *)n, *o;
    int r, rc = 0;

    for (o = f->hub->nets; o != NULL; o = o->next) {
        if (o == f || o->segment != f->segment)
            continue;
        r = fake_send(n, &o->addr, buf, len);
        if (r < 0 && rc == 0)
            rc = r;
    }
    return rc;
}

static void fake_close(struct net *n)
{
    struct net_fake *f = (struct net_fake *)n, **p;

    for (p = &f->hub->nets; *p != NULL; p = &(*p)->next) {
        if (*p == f) {
            *p = f->next;
            break;
        }
    }
    f->next = NULL;
    f->open = 0;
}

static const struct net_ops fake_ops = { fake_send, fake_send_segment,
                                         fake_close };

void net_fake_hub_init(struct net_fake_hub *h, struct ev *ev)
{
    memset(h, 0, sizeof *h);
    h->ev = ev;
    h->next_port = NET_FAKE_FIRST_PORT;
    ev_timer_init(&h->timer, deliver_cb, h);
}

void net_fake_hub_fini(struct net_fake_hub *h)
{
    ev_timer_stop(h->ev, &h->timer);
    while (h->queue != NULL) {
        struct net_fake_dgram *d = h->queue;
        h->queue = d->next;
        free(d);
    }
    h->in_flight = 0;
}

int net_fake_open(struct net_fake *f, struct net_fake_hub *h,
                  const struct sockaddr_storage *addr, uint16_t port,
                  int segment, net_recv_fn recv, void *ctx)
{
    struct net_fake **p;

    if (net_addr_len(addr) == 0 || port == 0 || port == 65535)
        return -EINVAL;
    for (p = &h->nets; *p != NULL; p = &(*p)->next)
        if (net_addr_equal(&(*p)->addr, addr) &&
            (*p)->port <= port + 1 && port <= (*p)->port + 1)
            return -EADDRINUSE;
    memset(f, 0, sizeof *f);
    f->net.ops = &fake_ops;
    f->net.recv = recv;
    f->net.recv_ctx = ctx;
    f->hub = h;
    f->addr = *addr;
    net_addr_set_port(&f->addr, port);
    f->port = port;
    f->src_port = h->next_port++;
    f->segment = segment;
    f->open = 1;
    f->next = NULL;
    *p = f;                     /* at the end: open order */
    return 0;
}
