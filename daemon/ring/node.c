/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * node: memb_sm and the ring core of one daemon, composed (see node.h).
 * The node routes datagrams to the one that wants them, turns the core's
 * ring broadcasts into segment sends plus routed copies (rule 14), and
 * turns EVS recovery into views. Datagrams a daemon sends to itself (a
 * singleton's token, FORM tokens whose next hop is this daemon) never
 * leave it: they wait in a small queue and are taken once the call that
 * produced them is done, so no module is re-entered.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../clock.h"
#include "../conf.h"
#include "core.h"
#include "../log.h"
#include "memb_sm.h"
#include "node.h"

/* Own datagrams taken per call before the rest waits for node_tick():
 * a singleton ring passes its token to itself. */
#define NODE_SELF_BATCH 64

struct self_dgram {
    size_t len;
    unsigned char *b;
};

struct node {
    struct node_cfg cfg;
    struct node_ops ops;
    void *ctx;
    uint32_t my_id;
    int16_t my_seg;
    struct ring_conf base;      /* timeouts, flow, accelerated */
    struct msm m;
    struct ring_core r;
    int depth;                  /* inside an input call */

    /* Deferred: what must not re-enter the module that reported it. */
    int pend_loss;
    const char *loss_reason;
    int pend_done;

    /* Views: installed, and announced by the last install. */
    struct node_view reg, trans, next;

    struct self_dgram *selfq;
    size_t nself, capself;

    int32_t *missing;           /* ops.query's buffer */
    unsigned char *enc;         /* PKT_MAX_DATAGRAM */
    struct pkt out;
    uint64_t delivered, installs;
};

static uint64_t now_ms(const struct node *n)
{
    return clock_mono_ms(n->cfg.clock);
}

static void event(struct node *n, int level, const char *text)
{
    if (n->ops.event)
        n->ops.event(n->ctx, level, text);
}

/* ---- self queue -------------------------------------------------------- */

static void self_push(struct node *n, const struct pkt *p)
{
    int len = pkt_encode(p, PKT_ORDER_NATIVE, n->enc, PKT_MAX_DATAGRAM);
    struct self_dgram d;

    if (len < 0)
        return;
    if (n->nself == n->capself) {
        size_t cap = n->capself ? 2 * n->capself : 8;
        struct self_dgram *q = realloc(n->selfq, cap * sizeof(*q));

        if (!q)
            return;     /* lost like a dropped datagram */
        n->selfq = q;
        n->capself = cap;
    }
    d.len = (size_t)len;
    d.b = malloc(d.len);
    if (!d.b)
        return;
    memcpy(d.b, n->enc, d.len);
    n->selfq[n->nself++] = d;
}

/* ---- sending ----------------------------------------------------------- */

static void send_daemon(struct node *n, uint32_t to, const struct pkt *p,
                        unsigned copies)
{
    if (to == n->my_id)
        self_push(n, p);    /* one copy is enough over the loopback */
    else
        n->ops.send(n->ctx, NODE_DEST_DAEMON, to, p, copies);
}

/* Rule 14: the own segment by broadcast, every other segment of the
 * ring by a ROUTED copy to its first present member. */
static void ring_broadcast(struct node *n, struct pkt *p)
{
    const struct ring_conf *c = &n->r.conf;
    unsigned i, j;

    n->ops.send(n->ctx, NODE_DEST_SEGMENT, (uint32_t)n->my_seg, p, 1);
    p->u.data.h.type |= PKT_ROUTED;
    for (i = 0; i < c->n; i++) {
        if (c->segs[i] == n->my_seg)
            continue;
        for (j = 0; j < i && c->segs[j] != c->segs[i]; j++)
            ;
        if (j == i)     /* first member of its segment */
            n->ops.send(n->ctx, NODE_DEST_DAEMON, c->ids[i], p, 1);
    }
}

static void op_send_data(void *ctx, enum ring_dest how, uint32_t to,
                         const struct pkt_data *d)
{
    struct node *n = ctx;

    n->out.kind = PKT_KIND_DATA;
    n->out.u.data = *d;
    if (how == RING_DEST_RING)
        ring_broadcast(n, &n->out);
    else if (how == RING_DEST_SEGMENT)
        n->ops.send(n->ctx, NODE_DEST_SEGMENT, to, &n->out, 1);
    else
        send_daemon(n, to, &n->out, 1);
}

static void op_send_token(void *ctx, uint32_t to, const struct pkt_token *t,
                          unsigned copies)
{
    struct node *n = ctx;

    n->out.kind = PKT_KIND_TOKEN;
    n->out.u.token = *t;
    send_daemon(n, to, &n->out, copies);
}

static void op_send_hurry(void *ctx, uint32_t to, const struct pkt_head *h)
{
    struct node *n = ctx;

    n->out.kind = PKT_KIND_HURRY;
    n->out.u.head = *h;
    send_daemon(n, to, &n->out, 1);
}

static void op_deliver(void *ctx, const struct ring_delivery *m)
{
    struct node *n = ctx;

    n->delivered++;
    n->ops.deliver(n->ctx, m->originator, m->bytes, m->len, m->service);
}

static void op_token_lost(void *ctx)
{
    struct node *n = ctx;

    n->pend_loss = 1;
    n->loss_reason = n->r.evs.rounds > RING_EVS_MAX_ROUNDS
                         ? "EVS round limit" : "TokenTimeout";
}

static void op_evs_trans(void *ctx)
{
    struct node *n = ctx;

    n->ops.view(n->ctx, &n->trans);
}

static void op_evs_done(void *ctx)
{
    struct node *n = ctx;

    n->reg = n->next;
    n->installs++;
    n->pend_done = 1;
    n->ops.view(n->ctx, &n->reg);
}

static const struct ring_ops core_ops = {
    .send_data = op_send_data,
    .send_token = op_send_token,
    .send_hurry = op_send_hurry,
    .deliver = op_deliver,
    .token_lost = op_token_lost,
    .evs_trans = op_evs_trans,
    .evs_done = op_evs_done,
};

/* ---- membership ops ---------------------------------------------------- */

static void mop_send(void *ctx, enum msm_dest how, uint32_t to,
                     const struct pkt *p, unsigned copies)
{
    struct node *n = ctx;

    if (how == MSM_DEST_SEGMENT)
        n->ops.send(n->ctx, NODE_DEST_SEGMENT, (uint32_t)n->my_seg, p,
                    copies);
    else
        send_daemon(n, to, p, copies);
}

static void mop_query(void *ctx, struct msm_ring_state *out)
{
    struct node *n = ctx;
    struct ring_record rec;

    ring_query(&n->r, &rec, n->missing, WINDOW_SLOTS);
    memset(out, 0, sizeof(*out));
    out->ring_id = rec.ring_id;
    out->aru = (int32_t)rec.aru;
    out->my_aru = (int32_t)rec.my_aru;
    out->highest_seq = (int32_t)rec.highest;
    out->missing = n->missing;
    out->nmissing = rec.nmissing;
    out->commit = rec.commit;
    out->ncommit = rec.ncommit;
}

static void set_view(struct node_view *v, int transitional,
                     struct pkt_mid id, const uint32_t *ids, unsigned count)
{
    v->transitional = transitional;
    v->id = id;
    v->n = count > PKT_MAX_MEMBERS ? PKT_MAX_MEMBERS : count;
    memcpy(v->ids, ids, v->n * sizeof(ids[0]));
}

static void mop_install(void *ctx, const struct msm_install *in)
{
    struct node *n = ctx;
    struct ring_conf c = n->base;
    struct ring_install_rec rec;
    unsigned i;
    int rc;

    c.my_id = n->my_id;
    c.ring_id = in->ring_id;
    c.n = in->n;
    for (i = 0; i < in->n && i < PKT_MAX_MEMBERS; i++) {
        c.ids[i] = in->ids[i];
        c.segs[i] = in->segs[i];
    }
    c.my_index = in->my_index;
    c.leader_index = 0;
    set_view(&n->next, 0, in->ring_id, in->ids, in->n);
    set_view(&n->trans, 1, in->trans_id, in->trans, in->ntrans);
    memset(&rec, 0, sizeof(rec));
    rec.old_ring = in->old_ring;
    rec.seq_marker = (uint32_t)in->seq_marker;
    rec.old_aru = in->old_aru > 0 ? (uint32_t)in->old_aru : 0;
    rec.old_highest = in->old_highest > 0 ? (uint32_t)in->old_highest : 0;
    rec.holes = in->holes;
    rec.nholes = in->nholes;
    rec.commit = in->commit;
    rec.ncommit = in->ncommit;
    rec.last = in->last;
    rc = ring_install(&n->r, &c, &rec, now_ms(n));
    if (rc < 0) {
        event(n, LOG_WARNING, "ring install failed");
        n->pend_loss = 1;
        n->loss_reason = "install failed";
    }
}

static void mop_state_changed(void *ctx, enum msm_state from,
                              enum msm_state to, const char *reason)
{
    struct node *n = ctx;
    char text[160];

    /* FORM: the old ring stops giving seqs; SEG: delivery stops. */
    if (to == MSM_FORM || to == MSM_SEG)
        ring_stop(&n->r);
    snprintf(text, sizeof(text), "membership %s -> %s (%s)",
             msm_state_name(from), msm_state_name(to), reason);
    event(n, LOG_INFO, text);
}

static const struct msm_ops memb_ops = {
    .send = mop_send,
    .query = mop_query,
    .install = mop_install,
    .state_changed = mop_state_changed,
};

/* ---- life cycle -------------------------------------------------------- */

static void base_conf(struct node *n, const struct conf *conf)
{
    struct ring_conf *c = &n->base;

    ring_conf_default(c);
    if (conf->window > 0)
        c->flow.window = (unsigned)conf->window;
    if (conf->personal_window > 0)
        c->flow.personal_window = (unsigned)conf->personal_window;
    if (conf->accelerated_window > 0)
        c->flow.accel_window = (unsigned)conf->accelerated_window;
    /* README D1: the accelerated ring only when asked for explicitly. */
    c->accelerated = conf->accelerated_ring_explicit == 1;
    c->wide_area = conf->wide_area;
    c->token_timeout_ms = conf->timeouts_ms[CONF_TO_TOKEN];
    c->hurry_timeout_ms = conf->timeouts_ms[CONF_TO_HURRY];
    c->poke_ms = c->hurry_timeout_ms + c->hurry_timeout_ms / 4;
    c->hash = conf->hash;
}

static int make_core(struct node *n)
{
    struct ring_conf c = n->base;
    int rc;

    c.my_id = n->my_id;
    c.ring_id.id = n->my_id;      /* the singleton pseudo-ring (rule 10) */
    c.ring_id.time = -1;
    c.n = 1;
    c.ids[0] = n->my_id;
    c.segs[0] = n->my_seg;
    rc = ring_core_init(&n->r, &c, &core_ops, n);
    /* RELIABLE in the total order: delivered on receipt (rule 27), a
     * RELIABLE message can overtake a join ordered before it at some
     * daemons and not at others, and their clients then deliver it in
     * different views (ring.md §15 property 6; tests/dsim found it in
     * one run of six). Stronger than declared, as rule 30 allows. */
    if (rc == 0)
        ring_set_early_reliable(&n->r, 0);
    return rc;
}

int node_new(struct node **out, const struct node_cfg *cfg,
             const struct node_ops *ops, void *ctx)
{
    struct msm_conf mc;
    struct node *n;
    int rc;

    *out = NULL;
    if (!cfg || !cfg->conf || !cfg->clock || !ops || !ops->send ||
        !ops->deliver || !ops->view || cfg->self < 0 ||
        cfg->self >= cfg->conf->n_daemons)
        return -EINVAL;
    n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->cfg = *cfg;
    n->ops = *ops;
    n->ctx = ctx;
    n->my_id = cfg->conf->daemons[cfg->self].id;
    n->my_seg = (int16_t)cfg->conf->daemons[cfg->self].segment;
    base_conf(n, cfg->conf);
    n->missing = malloc(WINDOW_SLOTS * sizeof(int32_t));
    n->enc = malloc(PKT_MAX_DATAGRAM);
    if (!n->missing || !n->enc) {
        free(n->missing);
        free(n->enc);
        free(n);
        return -ENOMEM;
    }
    rc = msm_conf_from(&mc, cfg->conf, n->my_id);
    if (rc == 0) {
        mc.wall_offset_ms = clock_wall_ns(cfg->clock) / 1000000 -
                            (int64_t)clock_mono_ms(cfg->clock);
        rc = msm_init(&n->m, &mc, &memb_ops, n);
    }
    if (rc < 0) {
        free(n->missing);
        free(n->enc);
        free(n);
        return rc == -ENOENT ? -EINVAL : rc;
    }
    rc = make_core(n);
    if (rc < 0) {
        msm_fini(&n->m);
        free(n->missing);
        free(n->enc);
        free(n);
        return rc;
    }
    n->reg.id.id = n->my_id;
    n->reg.id.time = -1;
    n->reg.n = 1;
    n->reg.ids[0] = n->my_id;
    *out = n;
    return 0;
}

void node_free(struct node *n)
{
    size_t i;

    if (!n)
        return;
    ring_core_fini(&n->r);
    msm_fini(&n->m);
    for (i = 0; i < n->nself; i++)
        free(n->selfq[i].b);
    free(n->selfq);
    free(n->missing);
    free(n->enc);
    free(n);
}

/* ---- inputs ------------------------------------------------------------- */

static void dispatch(struct node *n, const struct pkt *p, uint64_t now);

/* What modules reported for the others, once they returned; then the
 * datagrams this daemon sent itself. */
static void settle(struct node *n, uint64_t now)
{
    unsigned budget = NODE_SELF_BATCH;

    if (n->depth > 0)
        return;
    n->depth++;
    for (;;) {
        if (n->pend_loss) {
            n->pend_loss = 0;
            msm_token_loss(&n->m, now, n->loss_reason);
            continue;
        }
        if (n->pend_done) {
            n->pend_done = 0;
            msm_evs_done(&n->m, now);
            continue;
        }
        if (n->nself > 0 && budget > 0) {
            struct self_dgram d = n->selfq[0];
            struct pkt p;

            memmove(n->selfq, n->selfq + 1,
                    (n->nself - 1) * sizeof(n->selfq[0]));
            n->nself--;
            budget--;
            if (pkt_decode(d.b, d.len, &p) == 0)
                dispatch(n, &p, now);
            free(d.b);
            continue;
        }
        break;
    }
    n->depth--;
}

static void data_in(struct node *n, const struct pkt *p, uint64_t now)
{
    if (p->u.data.h.type & PKT_ROUTED) {
        /* Rule 14: this daemon is its segment's entry point. */
        n->out = *p;
        n->out.u.data.h.type &= ~PKT_ROUTED;
        n->out.u.data.h.transmitter = n->my_id;
        n->ops.send(n->ctx, NODE_DEST_SEGMENT, (uint32_t)n->my_seg,
                    &n->out, 1);
    }
    if (ring_data_receive(&n->r, &p->u.data, now) == 1)
        msm_foreign(&n->m, p, now);
}

static void token_in(struct node *n, const struct pkt *p, uint64_t now)
{
    uint64_t before = n->r.stats.tokens_processed;

    if (p->u.token.h.mid.id != n->r.conf.ring_id.id ||
        p->u.token.h.mid.time != n->r.conf.ring_id.time) {
        msm_foreign(&n->m, p, now);
        return;
    }
    ring_token_receive(&n->r, &p->u.token, now);
    /* The first token of the installed ring moves msm to EVS (before
     * a finished EVS moves it on to OP in settle()). */
    if (n->r.stats.tokens_processed != before &&
        msm_state(&n->m) == MSM_FORM &&
        (n->r.state == RING_EVS || n->r.state == RING_OP))
        msm_ring_token(&n->m, now);
}

static void dispatch(struct node *n, const struct pkt *p, uint64_t now)
{
    switch (p->kind) {
    case PKT_KIND_DATA:
        data_in(n, p, now);
        break;
    case PKT_KIND_TOKEN:
        token_in(n, p, now);
        break;
    case PKT_KIND_HURRY:
        ring_hurry_receive(&n->r, &p->u.head, now);
        break;
    default:
        (void)msm_receive(&n->m, p, now);
        break;
    }
}

static int configured(const struct node *n, uint32_t id)
{
    const struct conf *c = n->cfg.conf;
    int i;

    for (i = 0; i < c->n_daemons; i++)
        if (c->daemons[i].id == id)
            return 1;
    return 0;
}

/* Rule 9, the part the node can check: hash, transmitter configured and
 * not this daemon. */
static int acceptable(const struct node *n, const struct pkt *p,
                      uint32_t *sender)
{
    uint32_t hash, from;

    switch (p->kind) {
    case PKT_KIND_TOKEN:
        hash = p->u.token.h.hash;
        from = p->u.token.h.transmitter;
        break;
    case PKT_KIND_FORM1:
    case PKT_KIND_FORM2:
        hash = p->u.form.h.hash;
        from = p->u.form.h.transmitter;
        break;
    case PKT_KIND_DATA:
        hash = p->u.data.h.hash;
        from = p->u.data.h.transmitter;
        break;
    case PKT_KIND_ALIVE:
    case PKT_KIND_JOIN:
        hash = p->u.memb.h.hash;
        from = p->u.memb.h.transmitter;
        break;
    default:
        hash = p->u.head.hash;
        from = p->u.head.transmitter;
        break;
    }
    *sender = from;
    return hash == n->cfg.conf->hash && from != n->my_id &&
           configured(n, from);
}

void node_receive(struct node *n, const struct pkt *p, int token_port)
{
    uint64_t now = now_ms(n);
    uint32_t from;

    if (!pkt_kind_on_token_port(p->kind) != !token_port ||
        !acceptable(n, p, &from))
        return;
    msm_heard(&n->m, from);
    n->depth++;
    dispatch(n, p, now);
    n->depth--;
    settle(n, now);
}

void node_unreachable(struct node *n, uint32_t id)
{
    uint64_t now = now_ms(n);

    n->depth++;
    msm_unreachable(&n->m, id, now);
    n->depth--;
    settle(n, now);
}

void node_start(struct node *n)
{
    uint64_t now = now_ms(n);

    n->depth++;
    msm_start(&n->m, now);
    n->depth--;
    settle(n, now);
}

void node_tick(struct node *n)
{
    uint64_t now = now_ms(n);

    n->depth++;
    msm_tick(&n->m, now);
    ring_tick(&n->r, now);
    n->depth--;
    settle(n, now);
}

uint64_t node_next_deadline(const struct node *n)
{
    uint64_t a = msm_next_deadline(&n->m), b = ring_next_deadline(&n->r);

    if (n->nself > 0 || n->pend_loss || n->pend_done)
        return now_ms(n);
    return a < b ? a : b;
}

int node_submit(struct node *n, const unsigned char *msg, size_t len,
                uint32_t service)
{
    uint64_t now = now_ms(n);
    int rc;

    if (!msg || len < PKT_MSG_HEADER_LEN || len > PKT_MAX_MSG_LEN)
        return -EINVAL;
    n->depth++;
    rc = ring_submit(&n->r, msg, len, service, now);
    n->depth--;
    settle(n, now);
    return rc;
}

unsigned node_send_space(const struct node *n)
{
    return ring_send_space(&n->r);
}

void node_status(const struct node *n, struct node_status *st)
{
    memset(st, 0, sizeof(*st));
    st->state = (int)msm_state(&n->m);
    st->ring_id = n->reg.id;
    st->n_members = n->reg.n;
    st->delivered = n->delivered;
    st->token_losses = n->m.stats.token_losses;
    st->installs = n->installs;
}
