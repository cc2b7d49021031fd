/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * token: processing a regular token (ring.md §4.3 steps 2-10, §4.5, §7)
 * for the ring core; step 1 (acceptance) is in core.c. The order of the
 * steps matters for what goes on the wire and is the one the captures
 * show: retransmissions, then new packets, then the token (and, on the
 * accelerated ring, the rest of the new packets after it).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core_int.h"

/* What one visit did so far. */
struct visit {
    uint32_t seq_in;            /* seq on the token received */
    unsigned fc_in;
    size_t rtr_len;             /* bytes in r->rtr_buf */
    unsigned n_retrans;
    unsigned n_new, n_after;    /* new packets; of them sent after */
    int several_req;            /* a request could not be answered */
    int several_seg;            /* ... and it came from another segment */
};

static unsigned copies_for(unsigned resend)
{
    return resend >= RING_RESEND_TRIPLE ? 3 : 1;
}

static void send_token(struct ring_core *r, const struct pkt_token *t)
{
    r->ops.send_token(r->ctx, core_succ_id(r), t,
                      copies_for(pkt_type_resend(t->h.type)));
}

void token_first(struct ring_core *r)
{
    struct pkt_token *t = &r->last;

    memset(t, 0, sizeof(*t));
    t->h.type = pkt_type_with_round(0, 0, 0);
    t->h.transmitter = t->h.last = r->conf.my_id;
    t->h.mid = r->conf.ring_id;
    t->h.seq = 0;
    t->h.aru = RING_FIRST_ARU;
    t->h.aru_setter = PKT_ID_NONE;
    t->h.hash = r->conf.hash;
    t->rtr.order = pkt_host_order();
    r->stamp = r->resend = 0;
    r->have_last = 1;
    r->ops.send_token(r->ctx, core_succ_id(r), t, 2);
}

/* Rule 79: in wide-area mode a re-sent token that crosses to another
 * segment goes at least twice (README: 08 records 80-87, idle releases
 * of resend count 1 doubled by the daemon handing the token over). A
 * lost re-send there costs another HurryTimeout of 1.5 s. */
static unsigned resend_copies(const struct ring_core *r, unsigned resend)
{
    unsigned copies = copies_for(resend);
    unsigned succ = (r->conf.my_index + 1) % r->conf.n;

    if (r->conf.wide_area && copies < 2 &&
        r->conf.segs[succ] != r->conf.segs[r->conf.my_index])
        copies = 2;
    return copies;
}

void token_resend(struct ring_core *r, unsigned resend)
{
    if (!r->have_last)
        return;
    if (resend > 15)
        resend = 15;
    r->resend = resend;
    r->last.h.type = pkt_type_with_round(r->last.h.type, r->stamp, resend);
    r->stats.tokens_resent++;
    r->ops.send_token(r->ctx, core_succ_id(r), &r->last,
                      resend_copies(r, resend));
}

void token_release(struct ring_core *r, uint64_t now)
{
    if (!r->have_last) {
        r->hurry_deadline = 0;
        return;
    }
    /* An idle hold ends the same way as a lost token is regenerated:
     * the last token again, resend count + 1 (README D4: a release
     * carries resend 1). */
    r->holding = 0;
    token_resend(r, r->resend + 1);
    r->hurry_deadline = now + r->conf.hurry_timeout_ms;
}

/* ---- step 2: retransmission requests ---------------------------------- */

static void retransmit(struct ring_core *r, const struct window_pkt *p,
                       const struct pkt_rtr *b)
{
    struct pkt_data d = p->d;
    enum ring_dest how = RING_DEST_RING;
    uint32_t to = 0;

    d.h.transmitter = r->conf.my_id;
    d.h.type &= ~PKT_ROUTED;
    if (b->requester != PKT_ID_NONE) {
        how = RING_DEST_DAEMON;
        to = b->requester;
    } else if (b->seg_index != PKT_SEG_SEVERAL) {
        how = RING_DEST_SEGMENT;
        to = (uint32_t)b->seg_index;
    }
    r->ops.send_data(r->ctx, how, to, &d);
    r->stats.retrans_sent++;
}

static void answer_block(struct ring_core *r, const struct window *w,
                         const struct pkt_rtr *b, struct visit *v)
{
    int32_t i;

    for (i = 0; i < b->count; i++) {
        int32_t s = pkt_i32s_get(&b->seqs, (uint32_t)i);
        const struct window_pkt *p =
            s > 0 ? window_get(w, (uint32_t)s) : NULL;

        /* In EVS a packet forgotten at install (a hole, or above the
         * recorded highest seq) is not given to anyone (rule 58). */
        if (p && r->state == RING_EVS &&
            ((uint32_t)s > r->evs.old_highest || evs_is_hole(r, (uint32_t)s)))
            p = NULL;

        if (p) {
            retransmit(r, p, b);
            v->n_retrans++;
            continue;
        }
        /* Dropped from the token; whoever answers our own block must
         * broadcast, as someone else lacks a packet too. */
        v->several_req = 1;
        if (b->seg_index != r->conf.segs[r->conf.my_index])
            v->several_seg = 1;
    }
}

static void answer_requests(struct ring_core *r, const struct pkt_token *t,
                            struct visit *v)
{
    struct pkt_rtr b;
    size_t off = 0;
    /* In EVS the requests concern the old rings (rule 59): this daemon
     * answers those of its own old ring from the old window. */
    int evs = r->state == RING_EVS;
    struct pkt_mid mine = evs ? r->old.ring_id : r->conf.ring_id;
    const struct window *w = evs ? &r->old.win : &r->win;

    while (pkt_rtr_next(&t->rtr, &off, &b)) {
        if (evs && core_mid_eq(b.ring, r->conf.ring_id))
            continue;   /* nothing of the new ring is missing yet */
        if (!core_mid_eq(b.ring, mine)) {
            /* Another ring's (EVS recovery): not ours to answer. */
            (void)pkt_rtr_put(r->rtr_buf, sizeof(r->rtr_buf), &v->rtr_len,
                              PKT_ORDER_NATIVE, &b);
            continue;
        }
        if (b.requester == r->conf.my_id)
            continue;   /* came all the way round: nobody had it */
        answer_block(r, w, &b, v);
    }
}

/* ---- step 3: new packets ----------------------------------------------- */

/* Cut one packet with seq `seq` from the send queue into the window.
 * Returns the stored packet, or NULL (queue empty, no memory). */
static struct window_pkt *new_packet(struct ring_core *r, uint32_t seq)
{
    struct window_pkt *p;
    struct pkt_data d;

    if (sendq_len(&r->q) == 0)
        return NULL;
    /* Memory first: once cut from the queue, the packet must be stored. */
    p = window_pkt_alloc();
    if (!p)
        return NULL;
    memset(&d.h, 0, sizeof(d.h));
    if (!sendq_next(&r->q, &d)) {
        free(p);
        return NULL;
    }
    d.h.transmitter = d.h.originator = r->conf.my_id;
    d.h.mid = r->conf.ring_id;
    d.h.seq = (int32_t)seq;
    d.h.round = (int32_t)r->rounds;
    d.h.hash = r->conf.hash;
    (void)window_insert_into(&r->win, p, &d);   /* new_packets() checked
                                                   the seq is free */
    sendq_release(&r->q);
    return window_get(&r->win, seq);
}

static void new_packets(struct ring_core *r, struct visit *v)
{
    unsigned allowed, i;
    uint32_t room;

    allowed = flow_allowed(&r->conf.flow, v->fc_in, r->win.highest_seq,
                           r->global_aru, 0);
    /* Never let a seq land on a slot still in use; and a daemon that
     * holds packets beyond the token's seq is out of step: add nothing. */
    if (r->win.highest_seq > v->seq_in)
        allowed = 0;
    room = r->win.discarded + WINDOW_SLOTS;
    room = room > v->seq_in ? room - v->seq_in : 0;
    if (allowed > room)
        allowed = room;
    for (i = 0; i < allowed; i++) {
        struct window_pkt *p = new_packet(r, v->seq_in + 1 + i);

        if (!p)
            break;
        v->n_new++;
        r->stats.data_sent++;
        svc_on_insert(r, p);
    }
    /* Rule 38: the last ones wait until the token is gone; they carry
     * the next round (rule 39). */
    v->n_after = flow_after_token(&r->conf.flow, v->n_new,
                                  r->conf.accelerated, 0);
    for (i = v->n_new - v->n_after; i < v->n_new; i++)
        window_get(&r->win, v->seq_in + 1 + i)->d.h.round++;
}

static void broadcast_new(struct ring_core *r, const struct visit *v,
                          unsigned from, unsigned to)
{
    unsigned i;

    for (i = from; i < to; i++)
        r->ops.send_data(r->ctx, RING_DEST_RING, 0,
                         &window_get(&r->win, v->seq_in + 1 + i)->d);
}

/* ---- step 5: own request block ----------------------------------------- */

static void add_requests(struct ring_core *r, uint32_t limit, struct visit *v)
{
    int32_t seqs[(RING_RTR_MAX - PKT_RTR_BLOCK_LEN) / 4];
    size_t max = 0;
    uint32_t n = 0, s;
    struct pkt_rtr b;

    if (v->rtr_len + PKT_RTR_BLOCK_LEN + 4 <= sizeof(r->rtr_buf))
        max = (sizeof(r->rtr_buf) - v->rtr_len - PKT_RTR_BLOCK_LEN) / 4;
    const struct window *w = &r->win;

    b.ring = r->conf.ring_id;
    if (r->state == RING_EVS) {
        /* Rule 59: what is missing of the old ring, holes aside. */
        w = &r->old.win;
        limit = r->evs.old_highest;
        b.ring = r->old.ring_id;
    }
    for (s = w->my_aru + 1; s <= limit && n < max; s++)
        if (window_missing(w, s) &&
            (r->state != RING_EVS || !evs_is_hole(r, s)))
            seqs[n++] = (int32_t)s;
    if (n == 0)
        return;
    b.requester = v->several_req ? PKT_ID_NONE : r->conf.my_id;
    b.seg_index = v->several_seg ? PKT_SEG_SEVERAL
                                 : r->conf.segs[r->conf.my_index];
    b.count = (int16_t)n;
    b.seqs = pkt_i32s_host(seqs, n);
    if (pkt_rtr_put(r->rtr_buf, sizeof(r->rtr_buf), &v->rtr_len,
                    PKT_ORDER_NATIVE, &b) == 0)
        r->stats.requests_made += n;
}

/* ---- steps 6-9 ------------------------------------------------------------ */

/* Step 6: the token aru. It only goes down to a member's my_aru, and only
 * the member that lowered it (or anyone, once it equals seq) raises it. */
static void token_aru(const struct ring_core *r, const struct pkt_token *t,
                      const struct visit *v, struct pkt_token *out)
{
    int64_t aru = t->h.aru;
    uint32_t setter = t->h.aru_setter;
    uint32_t me = r->conf.my_id;
    uint32_t my_aru = r->win.my_aru;
    int64_t top = v->seq_in;

    if (r->state == RING_EVS) {
        /* The token's seq stays 0 in EVS (README D5): "everyone has
         * everything" is the marker, which only committed daemons
         * reach. */
        my_aru = evs_my_aru(r);
        top = r->evs.marker;
    }
    if (aru > (int64_t)my_aru || setter == me || aru == top) {
        aru = my_aru;
        setter = me;
    }
    out->h.aru = (int32_t)aru;
    out->h.aru_setter = setter;
}

/* Step 9 (§4.4): stable = min of the arus of the last two tokens sent. */
static void update_global_aru(struct ring_core *r, uint32_t aru)
{
    if (r->have_prev_aru) {
        uint32_t g = aru < r->prev_aru ? aru : r->prev_aru;

        if (g > r->global_aru)
            r->global_aru = g;
    }
    r->prev_aru = aru;
    r->have_prev_aru = 1;
}

/* Rule 22: the leader keeps the token once the ring has gone round
 * twice with nothing to do and everything is stable. */
static int leader_holds(struct ring_core *r, const struct pkt_token *t,
                        const struct visit *v)
{
    int idle_in = v->fc_in == 0 && t->rtr.len == 0 &&
                  (int64_t)t->h.aru == (int64_t)v->seq_in;

    if (!idle_in)
        r->idle_rotations = 0;
    else if (r->idle_rotations < RING_IDLE_ROTATIONS)
        r->idle_rotations++;
    return r->idle_rotations >= RING_IDLE_ROTATIONS && v->n_new == 0 &&
           v->n_retrans == 0 && v->rtr_len == 0 && sendq_len(&r->q) == 0 &&
           r->global_aru == r->win.highest_seq;
}

static void build_token(struct ring_core *r, const struct pkt_token *t,
                        const struct visit *v, struct pkt_token *out)
{
    unsigned sent = v->n_new + v->n_retrans;

    memset(out, 0, sizeof(*out));
    out->h.transmitter = out->h.last = r->conf.my_id;
    out->h.mid = r->conf.ring_id;
    out->h.hash = r->conf.hash;
    out->h.flow_control =
        (int16_t)flow_update(v->fc_in, r->sent_prev_turn, sent);
    r->sent_prev_turn = sent;
    token_aru(r, t, v, out);
    out->h.seq = r->state == RING_EVS ? 0 : (int32_t)(v->seq_in + v->n_new);
    if (ring_is_leader(r)) {
        /* Step 7: a new round. */
        r->stamp = (r->stamp + 1) & 0xf;
        r->resend = 0;
    }
    out->h.type = pkt_type_with_round(0, r->stamp, r->resend);
    out->rtr.bytes = v->rtr_len ? r->rtr_buf : NULL;
    out->rtr.len = (uint16_t)v->rtr_len;
    out->rtr.order = pkt_host_order();
}

void token_process(struct ring_core *r, const struct pkt_token *t,
                   uint64_t now)
{
    struct pkt_token out;
    struct visit v;
    int hold = 0;

    memset(&v, 0, sizeof(v));
    v.seq_in = (uint32_t)t->h.seq;
    v.fc_in = t->h.flow_control > 0 ? (unsigned)t->h.flow_control : 0;
    r->stats.tokens_processed++;
    r->rounds++;
    if (!ring_is_leader(r)) {
        r->stamp = pkt_type_round(t->h.type);
        r->resend = pkt_type_resend(t->h.type);
    }
    r->token_deadline = now + r->conf.token_timeout_ms;
    r->looked_idle = t->h.flow_control == 0 && t->rtr.len == 0 &&
                     (int64_t)t->h.aru == (int64_t)v.seq_in;

    answer_requests(r, t, &v);                           /* step 2 */
    if (r->state != RING_EVS)                            /* rule 59 */
        new_packets(r, &v);                              /* step 3 */
    broadcast_new(r, &v, 0, v.n_new - v.n_after);
    add_requests(r, r->conf.accelerated ? r->prev_token_seq : v.seq_in,
                 &v);                                    /* step 5 */
    build_token(r, t, &v, &out);                         /* steps 4, 6, 7 */
    update_global_aru(r, (uint32_t)out.h.aru);           /* step 9 */
    if (ring_is_leader(r) && r->state != RING_EVS)
        hold = leader_holds(r, t, &v);

    r->last = out;                                       /* step 8 */
    r->last.rtr.bytes = NULL;   /* re-sends carry no requests (D4) */
    r->last.rtr.len = 0;
    r->have_last = 1;
    r->prev_token_seq = (uint32_t)out.h.seq;
    if (hold) {
        r->holding = 1;
        r->stats.holds++;
    } else {
        send_token(r, &out);
        if (r->conf.poke_ms && !ring_is_leader(r))
            r->poke_deadline = now + r->conf.poke_ms;
    }
    if (ring_is_leader(r))
        r->hurry_deadline = now + r->conf.hurry_timeout_ms;
    broadcast_new(r, &v, v.n_new - v.n_after, v.n_new);

    if (r->state == RING_EVS)
        evs_after_token(r);                              /* rules 60, 62 */
    else
        svc_deliver(r);                                  /* step 10 */
}
