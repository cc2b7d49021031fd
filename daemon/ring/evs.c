/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evs: the ring core's side of a membership change (ring.md §9.4 rule
 * 58, §9.5 rules 59-63): stopping the old ring, installing the new one
 * in EVS with the old ring's packets kept aside, committing, the final
 * deliveries around the transitional configuration, backing out on token
 * loss, and the ring record the membership asks for (rules 56, 57).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

int evs_is_hole(const struct ring_core *r, uint32_t seq)
{
    uint32_t lo = 0, hi = r->evs.nholes;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t h = r->evs.holes[mid];

        if (h == (int64_t)seq)
            return 1;
        if (h < (int64_t)seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

uint32_t evs_my_aru(const struct ring_core *r)
{
    return r->evs.committed ? r->evs.marker : r->old.win.my_aru;
}

static int in_set(const uint32_t *ids, unsigned n, uint32_t id)
{
    unsigned i;

    for (i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* Rule 60: every old-ring seq up to the recorded highest is held or a
 * hole: adopt the commit set; my_aru becomes the marker. */
static void evs_check_commit(struct ring_core *r)
{
    uint32_t s;

    if (r->state != RING_EVS || r->evs.committed)
        return;
    for (s = r->old.win.my_aru + 1; s <= r->evs.old_highest; s++)
        if (!window_get(&r->old.win, s) && !evs_is_hole(r, s))
            return;
    r->evs.committed = 1;
    r->evs.nkept = r->evs.ncommit;
    memcpy(r->evs.kept, r->evs.commit, r->evs.ncommit * sizeof(uint32_t));
}

int evs_old_data(struct ring_core *r, const struct pkt_data *d)
{
    int rc;

    if (r->state == RING_EVS &&
        (d->h.seq <= 0 || (uint32_t)d->h.seq > r->evs.old_highest ||
         evs_is_hole(r, (uint32_t)d->h.seq))) {
        r->stats.data_dropped++;    /* forgotten at install (rule 58) */
        return 0;
    }
    rc = window_insert(&r->old.win, d, NULL);
    if (rc <= 0) {
        r->stats.data_dropped++;
        return rc;
    }
    r->stats.data_received++;
    evs_check_commit(r);
    return 0;
}

/* Deliver the old packet with seq `seq` (held) in order. */
static void old_deliver(struct ring_core *r, uint32_t seq)
{
    const struct window_pkt *p = window_get(&r->old.win, seq);

    r->old.last_delivered = seq;
    if (p)
        svc_deliver_packet(r, r->old.reasm, p);
}

static void old_free(struct ring_core *r)
{
    if (!r->old.valid)
        return;
    window_fini(&r->old.win);
    frag_reasm_fini(r->old.reasm);
    free(r->old.reasm);
    r->old.reasm = NULL;
    r->old.valid = 0;
}

/* Rule 60 step 1, first part: every held RELIABLE single-packet message
 * of the old ring, wherever it lies. Such a message may have gone out
 * early (rule 27) at another member of the transitional configuration,
 * in the old regular one, while here it came only in recovery, behind a
 * SAFE message or a hole; left to steps 1 and 3 it would fall after the
 * transitional signal here, or be dropped as following a hole (§14
 * items 3 and 6). Every member holds the same packets now (holes
 * aside), so every member delivers the same ones here, before the
 * signal, whether its early delivery was on or not. */
static void evs_deliver_reliable(struct ring_core *r)
{
    uint32_t s;

    /* With early delivery off (the daemon's choice, node.c), no member
     * delivered out of order, and steps 1 and 3 keep them all in it. */
    if (!r->early_reliable)
        return;
    for (s = r->old.last_delivered + 1; s <= r->evs.old_highest; s++) {
        struct window_pkt *p = window_get(&r->old.win, s);

        if (p && !evs_is_hole(r, s))
            svc_early(r, p);
    }
}

/* Rule 60 steps 1-4, once global_aru reached the marker. */
static void evs_finish(struct ring_core *r)
{
    uint32_t s = r->old.last_delivered + 1, top = r->evs.old_highest;
    int after_hole = 0;

    evs_deliver_reliable(r);
    for (; s <= top && !evs_is_hole(r, s); s++) {          /* step 1 */
        const struct window_pkt *p = window_get(&r->old.win, s);

        if (!p || (p->d.h.type & PKT_SERVICE_MASK) == PKT_SAFE)
            break;
        old_deliver(r, s);
    }
    if (r->ops.evs_trans)                                  /* step 2 */
        r->ops.evs_trans(r->ctx);
    for (; s <= top; s++) {                                /* step 3 */
        const struct window_pkt *p = window_get(&r->old.win, s);

        if (!p || evs_is_hole(r, s)) {
            after_hole = 1;
            continue;
        }
        if (after_hole &&
            !in_set(r->evs.commit, r->evs.ncommit, p->d.h.originator)) {
            /* It may depend on the lost message: dropped everywhere. */
            frag_reasm_drop(r->old.reasm, p->d.h.originator);
            if (p->early != (1u << p->d.nfrags) - 1u)
                r->stats.evs_dropped++;     /* not all gone out early */
            continue;
        }
        old_deliver(r, s);
    }
    /* Step 4: partial messages of the old ring die with it (rule 47);
     * this daemon's own partly sent one starts again from its first
     * fragment in the new ring. */
    old_free(r);
    free(r->evs.holes);
    r->evs.holes = NULL;
    r->evs.nholes = 0;
    r->evs.committed = 0;
    r->evs.nkept = 0;
    r->q.cur.off = 0;
    r->state = RING_OP;
    r->global_aru = 0;
    r->last_delivered = 0;
    r->have_prev_aru = 0;   /* the EVS arus were markers, not seqs */
    r->rounds = 0;
    if (r->ops.evs_done)
        r->ops.evs_done(r->ctx);
    svc_deliver(r);
}

void evs_after_token(struct ring_core *r)
{
    r->evs.rounds++;
    if (r->evs.committed && r->global_aru >= r->evs.marker) {
        evs_finish(r);
        return;
    }
    if (r->evs.rounds > RING_EVS_MAX_ROUNDS)
        core_token_lost(r);
}

void evs_back_out(struct ring_core *r)
{
    /* Rule 61: hole markers are forgotten (what is held is reported
     * again); an adopted commit set stays in evs.kept. */
    free(r->evs.holes);
    r->evs.holes = NULL;
    r->evs.nholes = 0;
    r->evs.committed = 0;
}

void ring_stop(struct ring_core *r)
{
    if (r->state == RING_EVS)
        evs_back_out(r);
    if (r->state == RING_OP || r->state == RING_EVS)
        r->state = RING_LOST;
    r->token_deadline = r->hurry_deadline = r->poke_deadline = 0;
    r->holding = 0;
}

/* The current ring's packets become the old ring's. */
static int keep_old(struct ring_core *r)
{
    struct frag_reasm *fresh = malloc(sizeof(*fresh));
    struct window w;

    if (!fresh)
        return -ENOMEM;
    if (window_init(&w, 0) < 0) {
        free(fresh);
        return -ENOMEM;
    }
    frag_reasm_init(fresh);
    if (r->old.valid) {
        /* An earlier attempt backed out (rule 61): its old ring is still
         * the one to recover; the failed ring held nothing. */
        window_fini(&r->win);
        frag_reasm_fini(r->reasm);
        free(r->reasm);
    } else {
        r->old.valid = 1;
        r->old.ring_id = r->conf.ring_id;
        r->old.win = r->win;
        r->old.reasm = r->reasm;
        r->old.global_aru = r->global_aru;
        r->old.last_delivered = r->last_delivered;
    }
    r->win = w;
    r->reasm = fresh;
    return 0;
}

static int set_attempt(struct ring_core *r, const struct ring_install_rec *in)
{
    struct ring_evs *e = &r->evs;

    free(e->holes);
    e->holes = NULL;
    e->nholes = 0;
    if (in->nholes) {
        e->holes = malloc(in->nholes * sizeof(int32_t));
        if (!e->holes)
            return -ENOMEM;
        memcpy(e->holes, in->holes, in->nholes * sizeof(int32_t));
        e->nholes = in->nholes;
    }
    e->marker = in->seq_marker;
    e->old_highest = in->old_highest;
    e->ncommit = in->ncommit > PKT_MAX_MEMBERS ? PKT_MAX_MEMBERS
                                               : in->ncommit;
    memcpy(e->commit, in->commit, e->ncommit * sizeof(uint32_t));
    e->committed = 0;
    e->rounds = 0;
    return 0;
}

static void reset_token_state(struct ring_core *r, uint64_t now)
{
    r->stamp = r->resend = 0;
    r->have_last = 0;
    r->prev_aru = 0;
    r->have_prev_aru = 0;
    r->sent_prev_turn = 0;
    r->prev_token_seq = 0;
    r->rounds = 0;
    r->idle_rotations = 0;
    r->holding = 0;
    r->looked_idle = 0;
    r->global_aru = 0;
    r->last_delivered = 0;
    r->token_deadline = now + r->conf.token_timeout_ms;
    r->hurry_deadline = r->poke_deadline = 0;
}

int ring_install(struct ring_core *r, const struct ring_conf *conf,
                 const struct ring_install_rec *in, uint64_t now)
{
    uint32_t upto;
    int rc;

    ring_stop(r);
    if (!core_conf_ok(conf))
        return -EINVAL;
    rc = keep_old(r);
    if (rc == 0)
        rc = set_attempt(r, in);
    if (rc < 0)
        return rc;
    r->conf = *conf;
    r->state = RING_EVS;
    reset_token_state(r, now);
    /* Stable in the old configuration (rule 58): delivered there. */
    if (in->old_aru > r->old.global_aru)
        r->old.global_aru = in->old_aru;
    upto = r->old.global_aru < r->old.win.my_aru ? r->old.global_aru
                                                 : r->old.win.my_aru;
    while (r->old.last_delivered < upto)
        old_deliver(r, r->old.last_delivered + 1);
    evs_check_commit(r);
    if (in->last)
        token_first(r);
    return 0;
}

void ring_query(const struct ring_core *r, struct ring_record *out,
                int32_t *missing, uint32_t max)
{
    const struct window *w = r->old.valid ? &r->old.win : &r->win;
    uint32_t s;

    memset(out, 0, sizeof(*out));
    out->ring_id = r->old.valid ? r->old.ring_id : r->conf.ring_id;
    out->aru = r->old.valid ? r->old.global_aru : r->global_aru;
    out->my_aru = w->my_aru;
    out->highest = w->highest_seq;
    if (out->aru > out->my_aru)
        out->aru = out->my_aru;
    for (s = w->my_aru + 1; s <= w->highest_seq && out->nmissing < max; s++)
        if (!window_get(w, s))
            missing[out->nmissing++] = (int32_t)s;
    out->commit = r->evs.kept;
    out->ncommit = r->evs.nkept;
}
