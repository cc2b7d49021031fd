/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * memb_sm: states, timers and the gathering half of the membership
 * algorithm (ring.md §9.1-9.3, §9.6, §12): token loss, SEG, REPRESENTED,
 * GATHER, ALIVE / JOIN / REFER and the leader's lookup. The FORM tokens
 * are in memb_form.c. The contract is in memb_sm.h.
 *
 * Where ring.md is silent this follows the captures (shared/vectors/ring;
 * test_ring_memb_vec replays every daemon of them): JOINs go to every
 * representative named to this daemon, itself included (README D2), with
 * a guess per other segment until one is named there; in SEG a
 * segment representative's JOIN is answered at once and counts for the
 * choice at SegTimeout; the ALIVE that makes a member lose the token is
 * listed in its first ALIVE; a segment representative's JOIN carries a
 * stale cursor. Each place says which records show it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../conf.h"
#include "memb_sm_int.h"

static const char *const state_names[] = {
    [MSM_OP] = "OP", [MSM_SEG] = "SEG", [MSM_REPRESENTED] = "REPRESENTED",
    [MSM_GATHER] = "GATHER", [MSM_FORM] = "FORM", [MSM_EVS] = "EVS"
};

const char *msm_state_name(enum msm_state s)
{
    if ((unsigned)s < sizeof state_names / sizeof state_names[0] &&
        state_names[s])
        return state_names[s];
    return "NONE";
}

/* ring.md §10, in enum msm_timeout order: alive, join, rep, seg, gather,
 * form, lookup. */
static const uint32_t lan_ms[MSM_TO_COUNT] = {250, 250, 625, 500, 1250,
                                              1250, 30000};
static const uint32_t wan_ms[MSM_TO_COUNT] = {250, 250, 1250, 500, 2500,
                                              2500, 45000};

/* Which timeout each timer waits. */
static const enum msm_timeout timer_to[MSM_T_COUNT] = {
    [MSM_T_SEG] = MSM_TO_SEG, [MSM_T_REP] = MSM_TO_REP,
    [MSM_T_GATHER] = MSM_TO_GATHER, [MSM_T_FORM] = MSM_TO_FORM,
    [MSM_T_LOOKUP] = MSM_TO_LOOKUP, [MSM_T_ALIVE] = MSM_TO_ALIVE,
    [MSM_T_JOIN] = MSM_TO_JOIN, [MSM_T_PROBE] = MSM_TO_JOIN
};

/* The leader's probe for missing daemons (conf.fast) runs every this
 * many JoinTimeouts: an idle partition heals within about one period. */
#define MSM_PROBE_JOINS 4

void msm_timeouts_default(struct msm_conf *c, int wide_area)
{
    memcpy(c->timeout_ms, wide_area ? wan_ms : lan_ms, sizeof c->timeout_ms);
}

int msm_conf_from(struct msm_conf *c, const struct conf *conf,
                  uint32_t my_id)
{
    static const enum conf_timeout map[MSM_TO_COUNT] = {
        CONF_TO_ALIVE, CONF_TO_JOIN, CONF_TO_REP, CONF_TO_SEG,
        CONF_TO_GATHER, CONF_TO_FORM, CONF_TO_LOOKUP
    };
    int i, found = 0;

    memset(c, 0, sizeof *c);
    c->my_id = my_id;
    c->hash = conf->hash;
    c->n = (unsigned)conf->n_daemons;
    c->fast = 1;
    for (i = 0; i < conf->n_daemons && i < PKT_MAX_MEMBERS; i++) {
        c->ids[i] = conf->daemons[i].id;
        c->segs[i] = (int16_t)conf->daemons[i].segment;
        if (conf->daemons[i].id == my_id) {
            found = 1;
            c->seg_unicast =
                conf->segments[conf->daemons[i].segment].unicast;
        }
    }
    for (i = 0; i < MSM_TO_COUNT; i++)
        c->timeout_ms[i] = conf->timeouts_ms[map[i]];
    return found ? 0 : -ENOENT;
}

/* ---- small helpers ----------------------------------------------------- */

static void seg_try_end(struct msm *m, uint64_t now);
static void gather_try_end(struct msm *m, uint64_t now);

int msm_cfg_index(const struct msm *m, uint32_t id)
{
    unsigned i;
    for (i = 0; i < m->conf.n; i++)
        if (m->conf.ids[i] == id)
            return (int)i;
    return -1;
}

static int16_t seg_of(const struct msm *m, uint32_t id)
{
    int i = msm_cfg_index(m, id);
    return i < 0 ? -1 : m->conf.segs[i];
}

int msm_ids_has(const uint32_t *ids, unsigned n, uint32_t id)
{
    unsigned i;
    for (i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static void ids_add(uint32_t *ids, unsigned *n, uint32_t id)
{
    if (*n < PKT_MAX_MEMBERS && !msm_ids_has(ids, *n, id))
        ids[(*n)++] = id;
}

static void ids_remove(uint32_t *ids, unsigned *n, uint32_t id)
{
    unsigned i;
    for (i = 0; i < *n; i++)
        if (ids[i] == id) {
            memmove(ids + i, ids + i + 1, (*n - i - 1) * sizeof *ids);
            (*n)--;
            return;
        }
}

/* "Smallest" representative first (ring.md §9.1): segment
 * representatives before ring representatives, lower segment first, then
 * configuration order. */
int msm_rep_cmp(const struct msm *m, const struct pkt_rep *a,
                const struct pkt_rep *b)
{
    int ka = a->kind == PKT_REP_SEG ? 0 : a->kind == PKT_REP_RING ? 1 : 2;
    int kb = b->kind == PKT_REP_SEG ? 0 : b->kind == PKT_REP_RING ? 1 : 2;
    if (ka != kb)
        return ka - kb;
    if (a->seg != b->seg)
        return a->seg - b->seg;
    return msm_cfg_index(m, a->id) - msm_cfg_index(m, b->id);
}

static const struct pkt_rep *smallest_rep(const struct msm *m)
{
    const struct pkt_rep *best = &m->reps.r[0];
    int i;
    for (i = 1; i < m->reps.nreps; i++)
        if (msm_rep_cmp(m, &m->reps.r[i], best) < 0)
            best = &m->reps.r[i];
    return best;
}

static int rep_find(const struct pkt_reps *r, uint32_t id)
{
    int i;
    for (i = 0; i < r->nreps; i++)
        if (r->r[i].id == id)
            return i;
    return -1;
}

static void rep_remove(struct pkt_reps *r, uint32_t id)
{
    int i = rep_find(r, id);
    if (i > 0) { /* never myself, entry 0 */
        memmove(r->r + i, r->r + i + 1,
                (size_t)(r->nreps - i - 1) * sizeof r->r[0]);
        r->nreps--;
    }
}

int32_t msm_fresh_time(struct msm *m, uint64_t now)
{
    int64_t wall = ((int64_t)now + m->conf.wall_offset_ms) / 1000;
    int32_t t = wall > INT32_MAX ? INT32_MAX : (int32_t)wall;
    if (t <= m->last_time)
        t = m->last_time + 1;
    m->last_time = t;
    return t;
}

static int in_ring(const struct msm *m, uint32_t id)
{
    return msm_ids_has(m->ring_ids, m->ring_n, id);
}

int msm_is_leader(const struct msm *m)
{
    return m->ring_n > 0 && m->ring_ids[0] == m->conf.my_id;
}

/* First member of my ring in my segment (rule 54, 65). */
static int leads_segment(const struct msm *m)
{
    unsigned i;
    for (i = 0; i < m->ring_n; i++)
        if (seg_of(m, m->ring_ids[i]) == m->my_seg)
            return m->ring_ids[i] == m->conf.my_id;
    return 0;
}

int msm_token_alive(const struct msm *m)
{
    return m->state == MSM_OP || m->state == MSM_EVS ||
           (m->state == MSM_GATHER && m->token_alive);
}

/* ---- the one door ------------------------------------------------------ */

static uint64_t period(const struct msm *m, enum msm_timer t)
{
    uint64_t ms = m->conf.timeout_ms[timer_to[t]];
    return t == MSM_T_PROBE ? ms * MSM_PROBE_JOINS : ms;
}

static void arm(struct msm *m, enum msm_timer t, uint64_t now)
{
    m->due[t] = now + period(m, t);
}

/* Writes the state, cancels every timer and arms the new state's ones
 * (a re-entry restarts them), then reports `from -> to (reason)`. */
void msm_set_state(struct msm *m, enum msm_state to, const char *reason,
                   uint64_t now)
{
    enum msm_state from = m->state;

    memset(m->due, 0, sizeof m->due);
    m->state = to;
    switch (to) {
    case MSM_SEG:
        arm(m, MSM_T_SEG, now);
        arm(m, MSM_T_ALIVE, now);
        break;
    case MSM_REPRESENTED:
        arm(m, MSM_T_REP, now);
        break;
    case MSM_GATHER:
        arm(m, MSM_T_GATHER, now);
        arm(m, MSM_T_JOIN, now);
        break;
    case MSM_FORM:
        arm(m, MSM_T_FORM, now);
        break;
    case MSM_OP:
        m->token_alive = 0;
        if (msm_is_leader(m)) {
            arm(m, MSM_T_LOOKUP, now);
            if (m->conf.fast)
                arm(m, MSM_T_PROBE, now);
        }
        break;
    case MSM_EVS:
        break;
    }
    if (m->ops.state_changed)
        m->ops.state_changed(m->ctx, from, to, reason);
}

/* ---- sending ----------------------------------------------------------- */

void msm_send_out(struct msm *m, enum msm_dest how, uint32_t to,
                  unsigned copies)
{
    m->ops.send(m->ctx, how, to, m->out, copies);
}

static void head_init(struct msm *m, struct pkt_head *h, uint32_t type)
{
    memset(h, 0, sizeof *h);
    h->type = type;
    h->transmitter = m->conf.my_id;
    h->originator = m->conf.my_id;
    h->hash = m->conf.hash;
}

static void members_put(struct pkt_members *pm, const uint32_t *ids,
                        unsigned n)
{
    pm->nmembers = (int16_t)n;
    pm->npending = 0;
    memcpy(pm->ids, ids, n * sizeof *ids);
}

/* ALIVE: the daemons heard so far, me first (README section 5). Only
 * broadcast when my segment has other daemons (rule 13). */
static void send_alive(struct msm *m)
{
    struct pkt_memb *a = &m->out->u.memb;

    if (m->seg_size < 2)
        return;
    memset(m->out, 0, sizeof *m->out);
    m->out->kind = PKT_KIND_ALIVE;
    head_init(m, &a->h, PKT_ALIVE);
    members_put(&a->members, m->members, m->nmembers);
    msm_send_out(m, MSM_DEST_SEGMENT, 0, 1);
}

/* conf.fast, on a segment that broadcasts: my first ALIVE also goes to
 * each member of my old ring that I have not heard, so that a dead
 * one's port answers (ICMP) and it is not waited for. */
static void send_alive_to_silent(struct msm *m)
{
    unsigned i;

    if (!m->conf.fast || m->conf.seg_unicast || m->seg_size < 2)
        return;
    for (i = 0; i < m->ring_n; i++)
        if (seg_of(m, m->ring_ids[i]) == m->my_seg &&
            !msm_ids_has(m->members, m->nmembers, m->ring_ids[i]))
            msm_send_out(m, MSM_DEST_DAEMON, m->ring_ids[i], 1);
}

/* The JOIN a representative sends: a segment representative lists the
 * daemons it represents, a ring leader gathering with the token alive an
 * empty list and cursor 1 (README section 5). A segment representative's
 * cursor is a stale byte upstream: 0 in a fresh daemon, 1 once it has
 * created a FORM token (04 P526; 01 and 08 P3). */
static void join_build(struct msm *m, int token_alive)
{
    struct pkt_memb *j = &m->out->u.memb;

    memset(m->out, 0, sizeof *m->out);
    m->out->kind = PKT_KIND_JOIN;
    head_init(m, &j->h, PKT_JOIN);
    if (token_alive)
        members_put(&j->members, m->members, 0);
    else
        members_put(&j->members, m->members, m->nmembers);
    j->reps = m->reps;
    j->reps.cursor = token_alive ? 1 : m->join_cursor;
}

/* Rule 52 and README D2: broadcast in my segment when the token is not
 * alive, and unicast to every potential representative heard of,
 * including myself when another daemon named me. */
static void send_join(struct msm *m, uint64_t now)
{
    uint32_t unheard[PKT_MAX_MEMBERS];
    unsigned i, n;
    int seg_sent = !m->token_alive && m->seg_size > 1;

    join_build(m, m->token_alive);
    if (seg_sent)
        msm_send_out(m, MSM_DEST_SEGMENT, 0, 1);
    for (i = 0; i < m->ncontacts; i++)
        msm_send_out(m, MSM_DEST_DAEMON, m->contacts[i], 1);
    /* conf.fast: also to every daemon not accounted for (memb_fast.c),
     * unless a unicast segment broadcast or a contact's copy reached it. */
    n = msmq_gather_unheard(m, now, unheard);
    for (i = 0; i < n; i++) {
        uint32_t id = unheard[i];
        if (id == m->conf.my_id ||
            msm_ids_has(m->contacts, m->ncontacts, id) ||
            (seg_sent && m->conf.seg_unicast && seg_of(m, id) == m->my_seg))
            continue;
        msm_send_out(m, MSM_DEST_DAEMON, id, 1);
    }
}

static void send_refer(struct msm *m, uint32_t to, uint32_t rep, int kind)
{
    struct pkt_head *h = &m->out->u.head;

    memset(m->out, 0, sizeof *m->out);
    m->out->kind = PKT_KIND_REFER;
    head_init(m, h, PKT_REFER);
    h->mid.id = rep;
    h->mid.time = kind;
    msm_send_out(m, MSM_DEST_DAEMON, to, 1);
}

/* ---- state entries ----------------------------------------------------- */

/* A potential representative to unicast JOINs to (README D2): everyone
 * named to me as a representative, in the order named; the daemon
 * guessed for another segment at token loss (rule 49) gives its place to
 * the first named there (08 P116: n2 turns from its guess n3 to n4 once
 * n1's JOIN names n4; P121: n4's guess n1 is named, then n2 is added). */
static void contact_add(struct msm *m, uint32_t id)
{
    int16_t s = seg_of(m, id);
    unsigned i;

    if (s < 0)
        return;
    for (i = 0; i < m->ncontacts; i++)
        if (m->contacts[i] == id) {
            m->contact_guess[i] = 0; /* named: no longer a guess */
            return;
        }
    for (i = 0; i < m->ncontacts; i++)
        if (m->contact_guess[i] && seg_of(m, m->contacts[i]) == s) {
            m->contacts[i] = id;
            m->contact_guess[i] = 0;
            return;
        }
    if (m->ncontacts < PKT_MAX_MEMBERS) {
        m->contact_guess[m->ncontacts] = 0;
        m->contacts[m->ncontacts++] = id;
    }
}

/* The first of ids[0..n) in segment s, or 0. */
static uint32_t first_in_seg(const struct msm *m, const uint32_t *ids,
                             unsigned n, int16_t s)
{
    unsigned j;

    for (j = 0; j < n; j++)
        if (seg_of(m, ids[j]) == s)
            return ids[j];
    return 0;
}

/* Rule 49: potential representatives of every other segment, the first
 * member I knew there: of my ring, else of the last ring I processed a
 * FORM2 for, else the segment's first configured daemon. The FORM2 ring
 * matters when a merge of two rings, one per segment, broke in FORM or
 * EVS: my old ring has nobody there and the first configured daemon may
 * be down, while the other ring's daemons were alive a moment ago;
 * without them the two rings stayed apart until the next LookupTimeout
 * (45 s). */
static void contacts_initial(struct msm *m)
{
    unsigned i, j;

    m->ncontacts = 0;
    for (i = 0; i < m->conf.n; i++) {
        int16_t s = m->conf.segs[i];
        uint32_t pick;
        int seen = 0;
        if (s == m->my_seg)
            continue;
        for (j = 0; j < i; j++)
            seen |= m->conf.segs[j] == s;
        if (seen)
            continue;
        pick = first_in_seg(m, m->ring_ids, m->ring_n, s);
        if (!pick)
            pick = first_in_seg(m, m->next_ids, m->next_n, s);
        if (!pick)
            pick = m->conf.ids[i];
        m->contact_guess[m->ncontacts] = 1;
        m->contacts[m->ncontacts++] = pick;
    }
}

static void seg_enter(struct msm *m, uint64_t now, const char *reason,
                      uint32_t heard)
{
    m->fast.seg_from_ring = msm_token_alive(m);
    m->token_alive = 0;
    m->nmembers = 1;
    m->members[0] = m->conf.my_id;
    m->nseg_reps = 0;
    if (heard && seg_of(m, heard) == m->my_seg)
        ids_add(m->members, &m->nmembers, heard);
    m->reps.nreps = 0;
    m->reps.cursor = 0;
    msmq_seg_reset(m);
    msm_set_state(m, MSM_SEG, reason, now);
    send_alive(m);
    send_alive_to_silent(m);
    seg_try_end(m, now);
}

/* Token loss (rules 48, 49): the working membership shrinks to me (and
 * the daemon of my segment whose ALIVE told me, README section 5: 04
 * P523 lists it), the attempt in progress is dropped, SEG. */
static void go_seg_heard(struct msm *m, uint64_t now, const char *reason,
                         uint32_t heard)
{
    m->stats.token_losses++;
    msmf_abandon(m);
    contacts_initial(m);
    seg_enter(m, now, reason, heard);
}

void msm_go_seg(struct msm *m, uint64_t now, const char *reason)
{
    go_seg_heard(m, now, reason, 0);
}

static void gather_enter(struct msm *m, uint64_t now, int token_alive,
                         int send_now, const char *reason)
{
    m->token_alive = token_alive;
    m->reps.nreps = 1;
    m->reps.cursor = 0;
    m->reps.r[0].id = m->conf.my_id;
    m->reps.r[0].kind = token_alive ? PKT_REP_RING : PKT_REP_SEG;
    m->reps.r[0].seg = m->my_seg;
    msmq_gather_reset(m, now);
    msm_set_state(m, MSM_GATHER, reason, now);
    if (send_now) {
        send_join(m, now);
        gather_try_end(m, now);
    }
}

/* Rule 64: the leader looks for configured daemons outside its ring.
 * Returns 0 when none is missing (nothing sent). */
static int lookup(struct msm *m, uint64_t now, const char *reason)
{
    unsigned i, missing = 0;

    for (i = 0; i < m->conf.n; i++)
        missing += !in_ring(m, m->conf.ids[i]);
    if (missing == 0)
        return 0;
    m->token_alive = 1;
    m->reps.nreps = 1;
    m->reps.r[0].id = m->conf.my_id;
    m->reps.r[0].kind = PKT_REP_RING;
    m->reps.r[0].seg = m->my_seg;
    join_build(m, 1);
    if (m->n_segments == 1) {
        if (m->seg_size > 1)
            msm_send_out(m, MSM_DEST_SEGMENT, 0, 1);
    } else {
        for (i = 0; i < m->conf.n; i++)
            if (!in_ring(m, m->conf.ids[i]))
                msm_send_out(m, MSM_DEST_DAEMON, m->conf.ids[i], 1);
    }
    m->ncontacts = 0;
    gather_enter(m, now, 1, 0, reason);
    return 1;
}

/* conf.fast: while configured daemons are missing from my ring, its
 * leader unicasts them the JOIN of a lookup every MSM_PROBE_JOINS
 * JoinTimeouts, without gathering. A ring on the other side of a healed
 * partition answers with its own JOIN (rule 54), and then both leaders
 * gather: an idle partition heals in about a second instead of at the
 * next LookupTimeout. A daemon that is not running costs one datagram
 * per period. */
static void probe(struct msm *m, uint64_t now)
{
    unsigned i;

    (void)now;
    if (m->state != MSM_OP || !msm_is_leader(m))
        return;
    m->reps.nreps = 1;
    m->reps.r[0].id = m->conf.my_id;
    m->reps.r[0].kind = PKT_REP_RING;
    m->reps.r[0].seg = m->my_seg;
    join_build(m, 1);
    for (i = 0; i < m->conf.n; i++)
        if (!in_ring(m, m->conf.ids[i]))
            msm_send_out(m, MSM_DEST_DAEMON, m->conf.ids[i], 1);
}

/* ---- timers ------------------------------------------------------------ */

/* Rule 50: after SegTimeout the first of the daemons heard (ALIVEs, and
 * JOINs of segment representatives) represents the segment. `settled`:
 * earlier, everyone heard agrees (memb_fast.c). */
static void seg_decide(struct msm *m, uint64_t now, int settled)
{
    m->fast.seg_settled = settled;
    uint32_t first = m->members[0];
    unsigned i;

    for (i = 1; i < m->nmembers; i++)
        if (msm_cfg_index(m, m->members[i]) < msm_cfg_index(m, first))
            first = m->members[i];
    for (i = 0; i < m->nseg_reps; i++)
        if (msm_cfg_index(m, m->seg_reps[i]) < msm_cfg_index(m, first))
            first = m->seg_reps[i];
    if (first == m->conf.my_id) {
        gather_enter(m, now, 0, 1,
                     settled ? "SEG settled: segment representative"
                             : "SegTimeout: segment representative");
        return;
    }
    m->my_rep = first;
    snprintf(m->why, sizeof m->why, "%s: represented by %u",
             settled ? "SEG settled" : "SegTimeout", (unsigned)first);
    msm_set_state(m, MSM_REPRESENTED, m->why, now);
}

static void seg_try_end(struct msm *m, uint64_t now)
{
    if (m->state == MSM_SEG && msmq_seg_settled(m, now))
        seg_decide(m, now, 1);
}

/* The smallest representative forms as soon as memb_fast.c lets it. */
static void gather_try_end(struct msm *m, uint64_t now)
{
    if (m->state == MSM_GATHER && smallest_rep(m)->id == m->conf.my_id &&
        msmq_gather_ready(m, now))
        msmf_create(m, now);
}

/* Rule 55. */
static void on_gather_timeout(struct msm *m, uint64_t now)
{
    const struct pkt_rep *s = smallest_rep(m);

    if (s->id == m->conf.my_id) {
        if (m->token_alive && m->reps.nreps == 1) {
            msm_set_state(m, MSM_OP, "GatherTimeout: nobody found", now);
            return;
        }
        msmf_create(m, now);
        return;
    }
    if (m->token_alive) {
        msm_set_state(m, MSM_OP, "GatherTimeout: another will form", now);
        return;
    }
    /* The representatives heard stay potential ones (contacts). */
    gather_enter(m, now, 0, 1, "GatherTimeout: restart, not smallest");
}

static void fire(struct msm *m, enum msm_timer t, uint64_t now)
{
    switch (t) {
    case MSM_T_SEG:
        seg_decide(m, now, 0);
        break;
    case MSM_T_REP:
        seg_enter(m, now, "RepTimeout", 0);
        break;
    case MSM_T_GATHER:
        on_gather_timeout(m, now);
        break;
    case MSM_T_FORM:
        msm_go_seg(m, now, "FormTimeout");
        break;
    case MSM_T_LOOKUP:
        if (!lookup(m, now, "LookupTimeout"))
            arm(m, MSM_T_LOOKUP, now);
        break;
    case MSM_T_ALIVE:
        send_alive(m);
        break;
    case MSM_T_JOIN:
        send_join(m, now);
        gather_try_end(m, now);
        break;
    case MSM_T_PROBE:
        probe(m, now);
        break;
    case MSM_T_COUNT:
        break;
    }
}

/* Repetitions keep their own rhythm (deadline + period) so that they do
 * not drift with late ticks; after a long stall they restart from now. */
static void rearm_periodic(struct msm *m, enum msm_timer t, uint64_t due,
                           uint64_t now)
{
    uint64_t next = due + period(m, t);
    m->due[t] = next > now ? next : now + period(m, t);
}

void msm_tick(struct msm *m, uint64_t now)
{
    for (;;) {
        enum msm_timer best = MSM_T_COUNT;
        uint64_t due;
        int t;
        for (t = 0; t < MSM_T_COUNT; t++)
            if (m->due[t] && m->due[t] <= now &&
                (best == MSM_T_COUNT || m->due[t] < m->due[best]))
                best = (enum msm_timer)t;
        if (best == MSM_T_COUNT)
            return;
        due = m->due[best];
        m->due[best] = 0;
        if (best == MSM_T_ALIVE || best == MSM_T_JOIN ||
            best == MSM_T_PROBE)
            rearm_periodic(m, best, due, now);
        /* What a late timer arms runs from now, so that a stalled caller
         * still gives the next state its full time. */
        fire(m, best, now);
    }
}

uint64_t msm_next_deadline(const struct msm *m)
{
    uint64_t best = UINT64_MAX;
    int t;
    for (t = 0; t < MSM_T_COUNT; t++)
        if (m->due[t] && m->due[t] < best)
            best = m->due[t];
    return best;
}

/* ---- received ALIVE, JOIN, REFER --------------------------------------- */

static int member_of_next(const struct msm *m, uint32_t id)
{
    return msm_ids_has(m->next_ids, m->next_n, id);
}

/* A received member list's length, bounded. */
static unsigned memb_count(const struct pkt_members *pm)
{
    int n = pm->nmembers;
    return n < 0 ? 0 : n > PKT_MAX_MEMBERS ? PKT_MAX_MEMBERS : (unsigned)n;
}

static int on_alive(struct msm *m, const struct pkt *p, uint64_t now)
{
    uint32_t s = p->u.memb.h.transmitter;

    switch (m->state) {
    case MSM_OP:
        if (!in_ring(m, s))
            return 1;
        snprintf(m->why, sizeof m->why, "ALIVE from ring member %u",
                 (unsigned)s);
        go_seg_heard(m, now, m->why, s);
        return 0;
    case MSM_EVS:
        if (!member_of_next(m, s))
            return 1;
        snprintf(m->why, sizeof m->why, "ALIVE from new ring member %u",
                 (unsigned)s);
        go_seg_heard(m, now, m->why, s);
        return 0;
    case MSM_SEG: {
        unsigned before = m->nmembers;
        if (seg_of(m, s) != m->my_seg)
            return 1;
        ids_add(m->members, &m->nmembers, s);
        msmq_seg_said(m, s, p->u.memb.members.ids,
                      memb_count(&p->u.memb.members));
        /* conf.fast: the others learn my grown list at once. */
        if (m->conf.fast && m->nmembers != before)
            send_alive(m);
        seg_try_end(m, now);
        return 0;
    }
    case MSM_REPRESENTED:
        ids_add(m->members, &m->nmembers, s);
        arm(m, MSM_T_REP, now);
        return 0;
    case MSM_GATHER:
        if (m->token_alive) {
            if (!in_ring(m, s))
                return 1;
            snprintf(m->why, sizeof m->why, "ALIVE from ring member %u",
                     (unsigned)s);
            go_seg_heard(m, now, m->why, s);
            return 0;
        }
        /* A daemon of my segment without a representative: I am one. */
        if (seg_of(m, s) != m->my_seg)
            return 1;
        rep_remove(&m->reps, s);
        ids_add(m->members, &m->nmembers, s);
        return 0;
    case MSM_FORM:
        return 1;
    }
    return 1;
}

/* The kind a JOIN's sender gives itself in its own list. */
static int16_t join_sender_kind(const struct pkt_memb *j)
{
    int i = rep_find(&j->reps, j->h.transmitter);
    if (i >= 0)
        return j->reps.r[i].kind;
    return j->members.nmembers == 0 ? PKT_REP_RING : PKT_REP_SEG;
}

/* Rule 53 in GATHER. */
static void gather_join(struct msm *m, const struct pkt_memb *j,
                        uint64_t now)
{
    uint32_t s = j->h.transmitter;
    int i = rep_find(&m->reps, s);
    int16_t k = join_sender_kind(j);

    int grew = 0;

    ids_remove(m->members, &m->nmembers, s);
    if (i > 0) {
        m->reps.r[i].kind = k;
    } else if (i < 0 && m->reps.nreps < PKT_MAX_REPS) {
        struct pkt_rep *r = &m->reps.r[m->reps.nreps++];
        r->id = s;
        r->kind = k;
        r->seg = seg_of(m, s);
        grew = 1;
    }
    for (i = 0; i < j->reps.nreps && i < PKT_MAX_REPS; i++)
        contact_add(m, j->reps.r[i].id);
    if (smallest_rep(m)->id == s)
        arm(m, MSM_T_GATHER, now);
    msmq_gather_join(m, j);
    /* conf.fast: the others learn my grown list at once. */
    if (m->conf.fast && grew)
        send_join(m, now);
    gather_try_end(m, now);
}

static int on_join_op(struct msm *m, const struct pkt_memb *j, uint64_t now)
{
    uint32_t s = j->h.transmitter;
    int i;

    if (in_ring(m, s)) {
        /* Rule 48: only with several segments (in one, ALIVE comes
         * first). */
        if (m->n_segments < 2)
            return 1;
        snprintf(m->why, sizeof m->why, "JOIN from ring member %u",
                 (unsigned)s);
        msm_go_seg(m, now, m->why);
        return 0;
    }
    if (msm_is_leader(m)) {
        m->ncontacts = 0;
        for (i = 0; i < j->reps.nreps && i < PKT_MAX_REPS; i++)
            contact_add(m, j->reps.r[i].id);
        snprintf(m->why, sizeof m->why, "JOIN from %u: merge attempt",
                 (unsigned)s);
        if (!m->conf.fast) {
            gather_enter(m, now, 1, 1, m->why);
            return 0;
        }
        /* conf.fast: the JOIN that started it counts (and my first JOIN
         * already names its sender). */
        gather_enter(m, now, 1, 0, m->why);
        gather_join(m, j, now);
        return 0;
    }
    /* Rule 54. */
    if (seg_of(m, s) != m->my_seg || leads_segment(m)) {
        send_refer(m, s, m->ring_ids[0], PKT_REP_RING);
        return 0;
    }
    return 1;
}

static int on_join(struct msm *m, const struct pkt *p, uint64_t now)
{
    const struct pkt_memb *j = &p->u.memb;
    uint32_t s = j->h.transmitter;

    if (j->reps.nreps < 0 || j->reps.nreps > PKT_MAX_REPS)
        return 1;
    switch (m->state) {
    case MSM_OP:
        return on_join_op(m, j, now);
    case MSM_GATHER:
        if (m->token_alive && in_ring(m, s)) {
            if (m->n_segments < 2)
                return 1;
            snprintf(m->why, sizeof m->why, "JOIN from ring member %u",
                     (unsigned)s);
            msm_go_seg(m, now, m->why);
            return 0;
        }
        gather_join(m, j, now);
        return 0;
    case MSM_REPRESENTED:
        /* Rule 51. */
        if (seg_of(m, s) != m->my_seg) {
            send_refer(m, s, m->my_rep, PKT_REP_SEG);
            return 0;
        }
        if (join_sender_kind(j) != PKT_REP_SEG)
            return 1;
        send_alive(m);
        arm(m, MSM_T_REP, now);
        return 0;
    case MSM_EVS:
        if (!member_of_next(m, s))
            return 1;
        snprintf(m->why, sizeof m->why, "JOIN from new ring member %u",
                 (unsigned)s);
        msm_go_seg(m, now, m->why);
        return 0;
    case MSM_SEG:
        /* A representative of my segment is alive too: it counts for the
         * choice at SegTimeout, and hears from me at once, the ALIVE
         * period restarting (07 P5-P8: n2, hearing only n1's JOINs,
         * answers each and is represented by n1; its ALIVEs do not list
         * n1). A ring leader's JOIN does not count: it would never
         * represent me. */
        if (seg_of(m, s) != m->my_seg || join_sender_kind(j) != PKT_REP_SEG)
            return 1;
        ids_add(m->seg_reps, &m->nseg_reps, s);
        send_alive(m);
        arm(m, MSM_T_ALIVE, now);
        if (m->conf.fast) {
            /* Its list counts as its ALIVE's: it heard what I heard. */
            ids_add(m->members, &m->nmembers, s);
            msmq_seg_said(m, s, j->members.ids, memb_count(&j->members));
            seg_try_end(m, now);
        }
        return 0;
    case MSM_FORM:
        return 1;
    }
    return 1;
}

static int on_refer(struct msm *m, const struct pkt *p, uint64_t now)
{
    uint32_t rep = pkt_refer_rep(&p->u.head);

    (void)now;
    if (m->state != MSM_GATHER || msm_cfg_index(m, rep) < 0)
        return 1;
    contact_add(m, rep);
    return 0;
}

static int on_form1(struct msm *m, const struct pkt *p, uint64_t now)
{
    return msmf_form1(m, &p->u.form, now);
}

static int on_form2(struct msm *m, const struct pkt *p, uint64_t now)
{
    return msmf_form2(m, &p->u.form, now);
}

typedef int (*handler_fn)(struct msm *m, const struct pkt *p, uint64_t now);

static const handler_fn handlers[] = {
    [PKT_KIND_ALIVE] = on_alive, [PKT_KIND_JOIN] = on_join,
    [PKT_KIND_REFER] = on_refer, [PKT_KIND_FORM1] = on_form1,
    [PKT_KIND_FORM2] = on_form2
};

int msm_receive(struct msm *m, const struct pkt *p, uint64_t now)
{
    handler_fn h = NULL;
    int r;

    if ((unsigned)p->kind < sizeof handlers / sizeof handlers[0])
        h = handlers[p->kind];
    if (!h || m->state == 0) {
        m->stats.ignored++;
        return 1;
    }
    if (p->kind == PKT_KIND_ALIVE || p->kind == PKT_KIND_JOIN ||
        p->kind == PKT_KIND_REFER) {
        uint32_t s = p->u.head.transmitter;
        if (s == m->conf.my_id || msm_cfg_index(m, s) < 0) {
            m->stats.ignored++;
            return 1;
        }
    }
    r = h(m, p, now);
    if (r)
        m->stats.ignored++;
    return r;
}

/* ---- events from the core ---------------------------------------------- */

void msm_start(struct msm *m, uint64_t now)
{
    /* Membership ids are (creator, second). A daemon restarted within the
     * second its previous incarnation formed a ring in (a crash noticed
     * in half a second, a restart: it happens) would give the new ring
     * the old one's id, and clients would see group ids again (§15
     * property 7). The first id is therefore past the current second;
     * only an incarnation that formed rings ahead of the clock (several
     * in one second, just before it died) can still collide. */
    int64_t wall = ((int64_t)now + m->conf.wall_offset_ms) / 1000;

    if (wall > m->last_time && wall < INT32_MAX)
        m->last_time = (int32_t)wall;
    msm_go_seg(m, now, "start");
}

void msm_token_loss(struct msm *m, uint64_t now, const char *reason)
{
    /* In SEG, REPRESENTED and GATHER (token not alive) the token is lost
     * already; in FORM, FormTimeout decides. */
    if (!msm_token_alive(m)) {
        m->stats.ignored++;
        return;
    }
    msm_go_seg(m, now, reason ? reason : "token loss");
}

void msm_ring_token(struct msm *m, uint64_t now)
{
    if (m->state != MSM_FORM || !m->fw->form2_done) {
        m->stats.ignored++;
        return;
    }
    msm_set_state(m, MSM_EVS, "first token of the new ring", now);
}

void msm_evs_done(struct msm *m, uint64_t now)
{
    if (m->state != MSM_EVS &&
        !(m->state == MSM_FORM && m->fw->form2_done)) {
        m->stats.ignored++;
        return;
    }
    m->ring_id = m->next_id;
    m->ring_n = m->next_n;
    memcpy(m->ring_ids, m->next_ids, m->next_n * sizeof m->ring_ids[0]);
    m->foreign_forwarded = 0;
    m->stats.installs++;
    msmf_finish(m);
    msm_set_state(m, MSM_OP, "ring installed", now);
}

/* Whether a daemon is part of what the current state depends on. */
static int depends_on(const struct msm *m, uint32_t id)
{
    switch (m->state) {
    case MSM_OP:
        return in_ring(m, id);
    case MSM_GATHER:
        return m->token_alive && in_ring(m, id);
    case MSM_EVS:
        return member_of_next(m, id);
    case MSM_FORM:
        return msmf_in_attempt(m, id);
    case MSM_REPRESENTED:
        return id == m->my_rep;
    case MSM_SEG:
        break;
    }
    return 0;
}

void msm_unreachable(struct msm *m, uint32_t id, uint64_t now)
{
    if (!m->conf.fast || m->state == 0 ||
        msmq_mark_unreachable(m, id, now) < 0) {
        m->stats.ignored++;
        return;
    }
    if (depends_on(m, id)) {
        snprintf(m->why, sizeof m->why, "daemon %u unreachable",
                 (unsigned)id);
        if (m->state == MSM_REPRESENTED)
            seg_enter(m, now, m->why, 0);
        else
            msm_go_seg(m, now, m->why);
        return;
    }
    /* Heard earlier in this SEG or GATHER, gone since: not brought into
     * the new ring (its FORM token would only be lost there). */
    if (m->state == MSM_SEG || (m->state == MSM_GATHER && !m->token_alive))
        ids_remove(m->members, &m->nmembers, id);
    seg_try_end(m, now);
    gather_try_end(m, now);
}

void msm_foreign(struct msm *m, const struct pkt *p, uint64_t now)
{
    if (m->state != MSM_OP) {
        m->stats.ignored++;
        return;
    }
    if (msm_is_leader(m)) {
        if (!lookup(m, now, "foreign ring seen"))
            m->stats.ignored++;
        return;
    }
    /* Rule 65: the segment's leader tells the ring leader, once. */
    if (p->kind != PKT_KIND_DATA || m->foreign_forwarded ||
        !leads_segment(m)) {
        m->stats.ignored++;
        return;
    }
    m->foreign_forwarded = 1;
    *m->out = *p;
    m->out->u.data.h.transmitter = m->conf.my_id;
    m->out->u.data.h.type &= ~PKT_ROUTED;
    msm_send_out(m, MSM_DEST_DAEMON, m->ring_ids[0], 2);
}

/* ---- life cycle -------------------------------------------------------- */

static int conf_check(const struct msm_conf *c)
{
    unsigned i, j;
    int me = 0;

    if (c->n < 1 || c->n > PKT_MAX_MEMBERS)
        return -EINVAL;
    for (i = 0; i < c->n; i++) {
        if (c->ids[i] == 0 || c->ids[i] == PKT_ID_NONE || c->segs[i] < 0 ||
            c->segs[i] >= PKT_MAX_SEGMENTS)
            return -EINVAL;
        if (i > 0 && c->segs[i] < c->segs[i - 1])
            return -EINVAL;
        for (j = 0; j < i; j++)
            if (c->ids[j] == c->ids[i])
                return -EINVAL;
        me |= c->ids[i] == c->my_id;
    }
    for (i = 0; i < MSM_TO_COUNT; i++)
        if (c->timeout_ms[i] == 0)
            return -EINVAL;
    return me ? 0 : -EINVAL;
}

int msm_init(struct msm *m, const struct msm_conf *conf,
             const struct msm_ops *ops, void *ctx)
{
    unsigned i;
    int r;

    memset(m, 0, sizeof *m);
    if (!ops || !ops->send || !ops->query || !ops->install)
        return -EINVAL;
    r = conf_check(conf);
    if (r < 0)
        return r;
    m->conf = *conf;
    m->ops = *ops;
    m->ctx = ctx;
    m->my_index = (unsigned)msm_cfg_index(m, conf->my_id);
    m->my_seg = conf->segs[m->my_index];
    for (i = 0; i < conf->n; i++) {
        m->seg_size += conf->segs[i] == m->my_seg;
        m->n_segments += i == 0 || conf->segs[i] != conf->segs[i - 1];
    }
    /* Before any ring: the singleton pseudo-ring (rule 10). */
    m->ring_id.id = conf->my_id;
    m->ring_id.time = -1;
    m->ring_n = 1;
    m->ring_ids[0] = conf->my_id;
    m->out = calloc(1, sizeof *m->out);
    if (!m->out)
        return -ENOMEM;
    r = msmf_init(m);
    if (r < 0) {
        free(m->out);
        m->out = NULL;
        return r;
    }
    return 0;
}

void msm_fini(struct msm *m)
{
    msmf_fini(m);
    free(m->out);
    m->out = NULL;
}
