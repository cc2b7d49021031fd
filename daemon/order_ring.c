/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * order_ring: order.h for a configuration of several daemons. The ring
 * protocol itself is node.c (membership, ordering, EVS recovery); this
 * file is its place in the daemon: UDP through net_udp (or the simulator's
 * net_fake hub, order_env.net_hub), the loop's timer,
 * order requests as ring messages (rmsg.h), and deliveries and views
 * queued for order's phase, so that sessions see the same contract as
 * with one daemon (order.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ev.h"
#include "log.h"
#include "msg.h"
#include "net_fake.h"
#include "net_udp.h"
#include "order_int.h"
#include "rmsg.h"
#include "ring/node.h"
#include "ring/pkt.h"

#define TX_CAP 65536

struct order_ring {
    struct order *o;
    const struct conf *conf;
    int self;
    struct log *log;
    struct ev *ev;
    /* Both embed struct net first: r->net.net is the transport either
     * way, whichever was opened. */
    union {
        struct net net;
        struct net_udp udp;
        struct net_fake fake;
    } net;
    int net_up;
    struct node *node;
    struct ev_timer timer;
    /* Configured address (port P) of every daemon, by index. */
    struct sockaddr_storage addr[CONF_MAX_DAEMONS];
    struct pkt *rx;                 /* decode scratch: a FORM is large */
    unsigned char *tx;              /* encode scratch */
    unsigned char op[RMSG_GROUP_OP_LEN];
    struct log_limit bad_limit;     /* lines about refused datagrams */
    uint64_t n_bad_packets, n_bad_messages, n_send_errors;
};

static int index_of(const struct order_ring *r, uint32_t id)
{
    int i;

    for (i = 0; i < r->conf->n_daemons; i++)
        if (r->conf->daemons[i].id == id)
            return i;
    return -1;
}

/* After every call into the node: its timer at its next deadline. */
static void rearm(struct order_ring *r)
{
    uint64_t when = node_next_deadline(r->node), now = ev_now(r->ev);

    if (when == UINT64_MAX) {
        ev_timer_stop(r->ev, &r->timer);
        return;
    }
    ev_timer_start(r->ev, &r->timer, when > now ? when - now : 0);
}

static void timer_cb(struct ev *ev, struct ev_timer *t)
{
    struct order_ring *r = t->data;

    (void)ev;
    node_tick(r->node);
    rearm(r);
}

/* ---- node -> network ---------------------------------------------------- */

/* A "broadcast" in another segment (a retransmission its members asked
 * for, ring.md rule 14): no broadcast reaches past our own segment, so
 * one unicast to each of its configured daemons. */
static int send_to_segment(struct order_ring *r, int seg, size_t len)
{
    int i, rc = 0, e;

    for (i = 0; i < r->conf->n_daemons; i++) {
        if (i == r->self || r->conf->daemons[i].segment != seg)
            continue;
        e = net_send(&r->net.net, &r->addr[i], r->tx, len);
        if (e < 0 && rc == 0)
            rc = e;
    }
    return rc;
}

static void node_send(void *ctx, enum node_dest how, uint32_t to,
                      const struct pkt *p, unsigned copies)
{
    struct order_ring *r = ctx;
    int len = pkt_encode(p, PKT_ORDER_NATIVE, r->tx, TX_CAP), rc = 0;
    unsigned k;

    if (len < 0) {
        /* The node built something the codec refuses: a bug, not input. */
        log_print(r->log, "ring: cannot encode a %s packet: %s",
                  pkt_kind_name(p->kind), pkt_strerror(len));
        return;
    }
    for (k = 0; k < copies; k++) {
        if (how == NODE_DEST_SEGMENT &&
            (int)to == r->conf->daemons[r->self].segment) {
            rc = net_send_segment(&r->net.net, r->tx, (size_t)len);
        } else if (how == NODE_DEST_SEGMENT) {
            rc = send_to_segment(r, (int)to, (size_t)len);
        } else {
            int i = index_of(r, to);
            struct sockaddr_storage a;
            if (i < 0)
                return;
            a = r->addr[i];
            if (pkt_kind_on_token_port(p->kind))
                net_addr_set_port(&a, (uint16_t)(net_addr_port(&a) + 1));
            rc = net_send(&r->net.net, &a, r->tx, (size_t)len);
        }
        if (rc < 0)
            r->n_send_errors++;
    }
}

/* ---- node -> order's queue ---------------------------------------------- */

static void node_deliver(void *ctx, uint32_t originator,
                         const unsigned char *bytes, size_t len,
                         uint32_t svc)
{
    struct order_ring *r = ctx;
    struct order_req req;
    char why[160];
    unsigned long held;
    int origin = index_of(r, originator), rc;

    (void)svc;
    rc = origin < 0 ? RMSG_INVALID
                    : rmsg_decode(bytes, len, r->conf, origin, &req, why,
                                  sizeof why);
    if (rc == RMSG_STATE) {
        memset(&req, 0, sizeof req);
        req.kind = ORDER_STATE;
        req.cls = ORDER_AGREED;
        req.origin = origin;
        req.msg = msg_new(len);
        if (req.msg == NULL)
            rc = RMSG_INVALID;
        else
            memcpy(req.msg->data, bytes, len);
        snprintf(why, sizeof why, "out of memory");
    }
    if (rc == RMSG_INVALID) {
        r->n_bad_messages++;
        if (origin < 0)
            snprintf(why, sizeof why, "unknown daemon id %u", originator);
        if (log_limit_pass(&r->bad_limit, ev_now(r->ev), 1000, &held))
            log_print(r->log, "ring: message from %s dropped: %s "
                      "(%lu so far)",
                      origin >= 0 ? r->conf->daemons[origin].name : "?", why,
                      (unsigned long)r->n_bad_messages);
        return;
    }
    order_enqueue(r->o, &req);
}

static void node_view(void *ctx, const struct node_view *nv)
{
    struct order_ring *r = ctx;
    struct order_view v;
    unsigned i;

    memset(&v, 0, sizeof v);
    v.transitional = nv->transitional;
    v.memb_id = nv->id.id;
    v.memb_time = (uint32_t)nv->id.time;
    for (i = 0; i < nv->n; i++) {
        int k = index_of(r, nv->ids[i]);
        if (k >= 0)
            v.members[v.n_members++] = k;
    }
    order_enqueue_view(r->o, &v);
}

static void node_event(void *ctx, int level, const char *text)
{
    struct order_ring *r = ctx;

    log_msg(r->log, LOG_C_MEMBERSHIP, level, "ring: %s", text);
}

/* ---- network -> node ---------------------------------------------------- */

static void net_recv(void *ctx, enum net_port port,
                     const struct sockaddr_storage *from, const void *buf,
                     size_t len)
{
    struct order_ring *r = ctx;
    uint32_t transmitter;
    int rc = pkt_decode(buf, len, r->rx), i;

    if (rc < 0) {
        r->n_bad_packets++;
        unsigned long held;
        if (log_limit_pass(&r->bad_limit, ev_now(r->ev), 1000, &held)) {
            char a[NET_ADDR_TEXT];
            log_msg(r->log, LOG_C_NETWORK, LOG_WARNING, "ring: datagram of "
                    "%zu bytes from %s dropped: %s (%lu so far)", len,
                    net_addr_format(from, a, sizeof a), pkt_strerror(rc),
                    (unsigned long)r->n_bad_packets);
        }
        return;
    }
    if (pkt_kind_on_token_port(r->rx->kind) != (port == NET_PORT_TOKEN))
        return;                 /* a kind on the wrong port: not ours */
    transmitter = pkt_kind_on_token_port(r->rx->kind)
                      ? r->rx->u.token.h.transmitter
                      : r->rx->u.head.transmitter;
    /* ring.md rule 9: the source address must be the transmitter's own
     * (the port is ephemeral, README D9). The node checks the rest. */
    i = index_of(r, transmitter);
    if (i < 0 || !net_addr_equal(from, &r->addr[i]))
        return;
    node_receive(r->node, r->rx, port == NET_PORT_TOKEN);
    rearm(r);
}

/* Nothing listens where a datagram went: that daemon's process is gone
 * (its host answered for it). Ports are not compared: P and P+1 belong
 * to the same daemon. */
static void net_unreach(void *ctx, const struct sockaddr_storage *to)
{
    struct order_ring *r = ctx;
    int i;

    for (i = 0; i < r->conf->n_daemons; i++)
        if (i != r->self && net_addr_equal(to, &r->addr[i])) {
            node_unreachable(r->node, r->conf->daemons[i].id);
            rearm(r);
            return;
        }
}

/* ---- set-up --------------------------------------------------------------- */

static int open_net(struct order_ring *r, struct net_fake_hub *hub,
                    char *err, size_t errlen)
{
    struct net_udp_cfg nc;
    int rc;

    if (hub != NULL) {
        const struct conf_daemon *d = &r->conf->daemons[r->self];
        rc = net_fake_open(&r->net.fake, hub, &r->addr[r->self],
                           r->conf->segments[d->segment].port, d->segment,
                           net_recv, r);
        if (rc < 0)
            snprintf(err, errlen, "ring: fake network: %s", strerror(-rc));
    } else {
        net_udp_cfg_from_conf(&nc, r->conf, r->self);
        rc = net_udp_open(&r->net.udp, r->ev, &nc, net_recv, r, err, errlen);
    }
    if (rc == 0)
        r->net.net.unreach = net_unreach;
    return rc;
}

int order_ring_new(struct order_ring **out, struct order *o,
                   const struct order_env *env, char *err, size_t errlen)
{
    struct order_ring *r = calloc(1, sizeof *r);
    struct node_cfg nc;
    struct node_ops ops = {node_send, node_deliver, node_view, node_event};
    int i, rc;

    *out = NULL;
    if (r == NULL)
        return -ENOMEM;
    r->o = o;
    r->conf = env->conf;
    r->self = env->self;
    r->log = env->log;
    r->ev = env->ev;
    for (i = 0; i < env->conf->n_daemons; i++) {
        const struct conf_daemon *d = &env->conf->daemons[i];
        net_addr_from_conf(&r->addr[i], &d->addr,
                           env->conf->segments[d->segment].port);
    }
    r->rx = malloc(sizeof *r->rx);
    r->tx = malloc(TX_CAP);
    if (r->rx == NULL || r->tx == NULL) {
        order_ring_free(r);
        return -ENOMEM;
    }
    memset(&nc, 0, sizeof nc);
    nc.conf = env->conf;
    nc.self = env->self;
    nc.clock = ev_clock(env->ev);
    rc = node_new(&r->node, &nc, &ops, r);
    if (rc < 0) {
        snprintf(err, errlen, "ring: %s", strerror(-rc));
        order_ring_free(r);
        return rc;
    }
    rc = open_net(r, env->net_hub, err, errlen);
    if (rc < 0) {
        order_ring_free(r);
        return rc;
    }
    r->net_up = 1;
    ev_timer_init(&r->timer, timer_cb, r);
    *out = r;
    return 0;
}

void order_ring_free(struct order_ring *r)
{
    if (r == NULL)
        return;
    if (r->ev != NULL)
        ev_timer_stop(r->ev, &r->timer);
    if (r->net_up)
        net_close(&r->net.net);
    node_free(r->node);
    free(r->rx);
    free(r->tx);
    free(r);
}

void order_ring_start(struct order_ring *r)
{
    node_start(r->node);
    rearm(r);
}

int order_ring_submit(struct order_ring *r, const struct order_req *req)
{
    const unsigned char *bytes;
    size_t len;
    uint32_t svc;
    int rc;

    if (req->kind == ORDER_STATE) {
        /* The state exchange built the message; its class says which of
         * RELIABLE (all but the last) or AGREED (the last) it is. */
        bytes = req->msg->data;
        len = req->msg->len;
        svc = rmsg_service_of(req->cls);
        rc = 0;
    } else {
        rc = rmsg_encode(req, r->op, sizeof r->op, &bytes, &len, &svc);
    }
    if (rc == 0)
        rc = node_submit(r->node, bytes, len, svc);
    msg_unref(req->msg);
    rearm(r);
    return rc;
}

size_t order_ring_send_space(const struct order_ring *r)
{
    return node_send_space(r->node);
}
