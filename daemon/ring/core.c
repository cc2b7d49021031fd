/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * core: lifecycle, inputs and timers of the ring core (see core.h). The
 * token itself is processed in token.c, delivery in svc.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

void ring_conf_default(struct ring_conf *c)
{
    memset(c, 0, sizeof(*c));
    flow_params_default(&c->flow);
    c->token_timeout_ms = RING_TOKEN_TIMEOUT_MS;
    c->hurry_timeout_ms = RING_HURRY_TIMEOUT_MS;
    c->sendq_high = RING_SENDQ_HIGH;
}

int core_member_index(const struct ring_core *r, uint32_t id)
{
    unsigned i;

    for (i = 0; i < r->conf.n; i++)
        if (r->conf.ids[i] == id)
            return (int)i;
    return -1;
}

int core_conf_ok(const struct ring_conf *c)
{
    unsigned i, j;

    if (c->n == 0 || c->n > PKT_MAX_MEMBERS || c->my_index >= c->n ||
        c->leader_index >= c->n || c->ids[c->my_index] != c->my_id ||
        c->hurry_timeout_ms == 0 ||
        c->hurry_timeout_ms >= c->token_timeout_ms)
        return 0;   /* an idle ring is held for HurryTimeout: it must
                       come round before the token is taken for lost */
    for (i = 0; i < c->n; i++) {
        if (c->ids[i] == 0 || c->ids[i] == PKT_ID_NONE)
            return 0;
        for (j = i + 1; j < c->n; j++)
            if (c->ids[i] == c->ids[j])
                return 0;
    }
    return 1;
}

int ring_core_init(struct ring_core *r, const struct ring_conf *conf,
                   const struct ring_ops *ops, void *ctx)
{
    int rc;

    memset(r, 0, sizeof(*r));
    if (!core_conf_ok(conf))
        return -EINVAL;
    r->conf = *conf;
    r->ops = *ops;
    r->ctx = ctx;
    r->state = RING_NEW;
    r->early_reliable = 1;
    sendq_init(&r->q);
    rc = window_init(&r->win, 0);
    if (rc < 0)
        return rc;
    rc = svc_init(r);
    if (rc < 0) {
        window_fini(&r->win);
        return rc;
    }
    return 0;
}

void ring_core_fini(struct ring_core *r)
{
    evs_back_out(r);
    if (r->old.valid) {
        window_fini(&r->old.win);
        frag_reasm_fini(r->old.reasm);
        free(r->old.reasm);
        r->old.valid = 0;
    }
    svc_fini(r);
    window_fini(&r->win);
    sendq_fini(&r->q);
}

void ring_start(struct ring_core *r, uint64_t now)
{
    if (r->state != RING_NEW)
        return;
    r->state = RING_OP;
    r->token_deadline = now + r->conf.token_timeout_ms;
    if (r->conf.my_index == r->conf.n - 1)
        token_first(r);
}

/* Step 1 of §4.3: is this the token this daemon should process now?
 * Returns 1 to process, 0 to drop; answers a re-sent round itself. */
static int token_accept(struct ring_core *r, const struct pkt_token *t)
{
    unsigned stamp = pkt_type_round(t->h.type);
    unsigned resend = pkt_type_resend(t->h.type);

    if (!core_mid_eq(t->h.mid, r->conf.ring_id) ||
        t->h.hash != r->conf.hash || t->h.transmitter != core_pred_id(r))
        return 0;
    /* Rule 25: a seq this high forces a membership change (that starts
     * seqs again at 0): drop the token and let it be lost. */
    if (t->h.seq < 0 || (uint32_t)t->h.seq > RING_SEQ_WRAP)
        return 0;
    if (ring_is_leader(r))
        return stamp == r->stamp;   /* the round it sent last */
    if (stamp == ((r->stamp + 1) & 0xf))
        return 1;
    if (stamp == r->stamp && resend > r->resend && r->have_last) {
        /* The round was re-sent because the token got lost after this
         * daemon: regenerate it from here (rule 21). */
        token_resend(r, resend);
        return 0;
    }
    return 0;
}

int ring_token_receive(struct ring_core *r, const struct pkt_token *t,
                       uint64_t now)
{
    /* Rule 19: any token of this ring from the predecessor, even one for
     * a round already processed, shows the ring is alive: a re-sent
     * round means the leader is regenerating a lost token. */
    int live = r->state == RING_OP || r->state == RING_EVS;

    if (live && core_mid_eq(t->h.mid, r->conf.ring_id) &&
        t->h.transmitter == core_pred_id(r))
        r->token_deadline = now + r->conf.token_timeout_ms;
    if (!live || !token_accept(r, t)) {
        r->stats.tokens_dropped++;
        return 0;
    }
    token_process(r, t, now);
    return 0;
}

int ring_data_receive(struct ring_core *r, const struct pkt_data *d,
                      uint64_t now)
{
    struct window_pkt *p;
    int rc;

    if (r->old.valid && core_mid_eq(d->h.mid, r->old.ring_id) &&
        !core_mid_eq(d->h.mid, r->conf.ring_id)) {
        if (d->h.hash != r->conf.hash || d->nfrags == 0) {
            r->stats.data_dropped++;
            return 0;
        }
        return evs_old_data(r, d);
    }
    if (!core_mid_eq(d->h.mid, r->conf.ring_id))
        return 1;
    if (r->state == RING_NEW || d->h.hash != r->conf.hash ||
        core_member_index(r, d->h.originator) < 0 || d->nfrags == 0) {
        r->stats.data_dropped++;
        return 0;
    }
    if (r->state == RING_OP) {
        /* Rule 19: own-ring traffic shows the ring is alive. */
        r->token_deadline = now + r->conf.token_timeout_ms;
        if (ring_is_leader(r) && !r->holding && r->hurry_deadline)
            r->hurry_deadline = now + r->conf.hurry_timeout_ms;
    }
    rc = window_insert(&r->win, d, &p);
    if (rc <= 0) {
        r->stats.data_dropped++;
        return rc;
    }
    /* Stored for the packets' own sake even after token loss: EVS
     * recovery will want them. Delivery waits for the membership. */
    r->stats.data_received++;
    if (r->state == RING_OP) {
        svc_on_insert(r, p);
        svc_deliver(r);
    }
    return 0;
}

void ring_hurry_receive(struct ring_core *r, const struct pkt_head *h,
                        uint64_t now)
{
    if (r->state != RING_OP || !ring_is_leader(r) ||
        h->hash != r->conf.hash || core_member_index(r, h->originator) < 0)
        return;
    if (r->holding) {
        token_release(r, now);
        return;
    }
    /* Not holding yet: the token may be about to come back to a leader
     * that would hold it, while the asker waits for its next visit to
     * send. Count the ring as busy again, so that the leader passes the
     * token on until the asker's message is out (a HURRY that raced the
     * hold cost a whole HurryTimeout). */
    r->idle_rotations = 0;
}

void core_token_lost(struct ring_core *r)
{
    evs_back_out(r);
    r->state = RING_LOST;
    r->token_deadline = r->hurry_deadline = r->poke_deadline = 0;
    r->holding = 0;
    r->ops.token_lost(r->ctx);
}

static void send_hurry_to(struct ring_core *r, uint32_t to);

void ring_tick(struct ring_core *r, uint64_t now)
{
    if (r->state != RING_OP && r->state != RING_EVS)
        return;
    if (r->token_deadline && now >= r->token_deadline) {
        core_token_lost(r);
        return;
    }
    if (r->hurry_deadline && now >= r->hurry_deadline)
        token_release(r, now);
    if (r->poke_deadline && now >= r->poke_deadline) {
        r->poke_deadline = 0;
        r->stats.pokes++;
        send_hurry_to(r, core_succ_id(r));
    }
}

uint64_t ring_next_deadline(const struct ring_core *r)
{
    uint64_t d = UINT64_MAX;

    if (r->state != RING_OP && r->state != RING_EVS)
        return d;
    if (r->token_deadline && r->token_deadline < d)
        d = r->token_deadline;
    if (r->hurry_deadline && r->hurry_deadline < d)
        d = r->hurry_deadline;
    if (r->poke_deadline && r->poke_deadline < d)
        d = r->poke_deadline;
    return d;
}

static void send_hurry_to(struct ring_core *r, uint32_t to)
{
    struct pkt_head h;

    memset(&h, 0, sizeof(h));
    h.type = PKT_HURRY;
    h.transmitter = h.originator = r->conf.my_id;
    h.hash = r->conf.hash;
    r->ops.send_hurry(r->ctx, to, &h);
}

static void send_hurry(struct ring_core *r)
{
    send_hurry_to(r, r->conf.ids[r->conf.leader_index]);
}

int ring_submit(struct ring_core *r, const unsigned char *msg, size_t len,
                uint32_t service, uint64_t now)
{
    int was_empty = sendq_len(&r->q) == 0;
    int rc = sendq_push(&r->q, msg, len, service);

    if (rc < 0 || r->state != RING_OP || !was_empty)
        return rc;
    /* Rule 23: a held token must not keep a new message waiting for a
     * whole HurryTimeout. A non-leader cannot see whether the leader
     * holds it: the ring may have gone idle after the last token this
     * daemon saw (a reply to a message it has just delivered, say). So
     * the first message after an empty queue always asks; a leader that
     * is not holding ignores the HURRY, and a busy queue sends none. */
    if (ring_is_leader(r)) {
        if (r->holding)
            token_release(r, now);
    } else {
        send_hurry(r);
    }
    return 0;
}

unsigned ring_send_space(const struct ring_core *r)
{
    size_t n = sendq_len(&r->q);

    return n >= r->conf.sendq_high ? 0
                                   : r->conf.sendq_high - (unsigned)n;
}

void ring_set_early_reliable(struct ring_core *r, int on)
{
    r->early_reliable = on ? 1 : 0;
}
