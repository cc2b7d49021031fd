/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * memb_sim: see memb_sim.h.
 */
#include "memb_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t sim_id(int i)
{
    return 1001u + (uint32_t)i;
}

int sim_index(const struct sim *s, uint32_t id)
{
    int i = (int)id - 1001;
    return i >= 0 && i < s->n ? i : -1;
}

static int mid_eq(struct pkt_mid a, struct pkt_mid b)
{
    return a.id == b.id && a.time == b.time;
}

static int msm_ids_has_id(const uint32_t *ids, unsigned n, uint32_t id)
{
    unsigned i;
    for (i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* ---- the network ------------------------------------------------------- */

static void net_put(struct sim *s, int from, int to, const unsigned char *b,
                    size_t len)
{
    struct simnet_ev m;

    if (to < 0 || to >= s->n || s->cut[from][to])
        return;
    memset(&m, 0, sizeof m);
    m.t = s->now + 1;
    m.from = from;
    m.to = to;
    m.len = len;
    m.bytes = malloc(len);
    if (!m.bytes)
        abort();
    memcpy(m.bytes, b, len);
    if (simnet_push(&s->net, m) < 0)
        abort();
}

static void net_send(struct sim *s, int from, enum msm_dest how, uint32_t to,
                     const struct pkt *p, unsigned copies)
{
    static unsigned char buf[PKT_MAX_DATAGRAM];
    enum pkt_order o = from % 2 ? PKT_ORDER_BE : PKT_ORDER_LE;
    int len = pkt_encode(p, o, buf, sizeof buf), j;
    unsigned c;

    if (len < 0) {
        fprintf(stderr, "sim: encode %s: %s\n", pkt_kind_name(p->kind),
                pkt_strerror(len));
        abort();
    }
    s->sent[p->kind] += copies;
    for (c = 0; c < copies; c++) {
        if (how == MSM_DEST_DAEMON) {
            net_put(s, from, sim_index(s, to), buf, (size_t)len);
            continue;
        }
        for (j = 0; j < s->n; j++)
            if (j != from && s->conf.segs[j] == s->conf.segs[from])
                net_put(s, from, j, buf, (size_t)len);
    }
}

/* ---- the fake core ----------------------------------------------------- */

static int core_runs(const struct sim_node *d)
{
    return msm_token_alive(&d->m) && d->cn > 0;
}

static void token_pass(struct sim_node *d, const struct pkt_token *t)
{
    struct pkt p;

    memset(&p, 0, sizeof p);
    p.kind = PKT_KIND_TOKEN;
    p.u.token = *t;
    p.u.token.h.transmitter = d->m.conf.my_id;
    p.u.token.h.last = d->m.conf.my_id;
    net_send(d->s, d->i, MSM_DEST_DAEMON, d->cids[(d->cme + 1) % d->cn], &p,
             1);
}

/* Two rotations of EVS, then installed; the leader holds an idle token
 * HurryTimeout in OP. The rotation count travels in the seq field. */
static void token_receive(struct sim_node *d, const struct pkt_token *tk)
{
    struct sim *s = d->s;
    struct pkt_token t = *tk;

    if (d->have_pend && mid_eq(t.h.mid, d->pend) &&
        msm_state(&d->m) == MSM_FORM) {
        d->cring = d->pend;
        d->cn = d->pn;
        d->cme = d->pme;
        memcpy(d->cids, d->pids, d->pn * sizeof d->pids[0]);
        d->have_pend = 0;
        d->release_at = 0;
        msm_ring_token(&d->m, s->now);
    }
    if (!mid_eq(t.h.mid, d->cring) || !core_runs(d))
        return;
    d->token_due = s->now + SIM_TOKEN_MS;
    if (d->cme == 0)
        t.h.seq++;
    if (msm_state(&d->m) == MSM_EVS && t.h.seq >= 2) {
        msm_evs_done(&d->m, s->now);
        d->data_ring = d->cring;
        d->aru = d->my_aru = d->highest = 0;
        d->nmissing = 0;
        d->ncommit = 0;
    }
    if (d->cme == 0 && msm_state(&d->m) == MSM_OP && t.h.seq > 3) {
        d->held = t;
        d->release_at = s->now + SIM_HURRY_MS;
        return;
    }
    token_pass(d, &t);
}

static void core_tick(struct sim_node *d)
{
    struct sim *s = d->s;

    if (!core_runs(d)) {
        d->token_due = 0;
        d->release_at = 0;
        return;
    }
    if (d->release_at && d->release_at <= s->now) {
        d->release_at = 0;
        token_pass(d, &d->held);
    }
    if (d->token_due && d->token_due <= s->now) {
        d->token_due = 0;
        msm_token_loss(&d->m, s->now, "TokenTimeout");
    }
}

/* ---- ops --------------------------------------------------------------- */

static void op_send(void *ctx, enum msm_dest how, uint32_t to,
                    const struct pkt *p, unsigned copies)
{
    struct sim_node *d = ctx;

    if (d->s->trace)
        fprintf(stderr, "%6llu n%d send %s %s%u x%u\n",
                (unsigned long long)d->s->now, d->i, pkt_kind_name(p->kind),
                how == MSM_DEST_SEGMENT ? "bcast " : "to ",
                how == MSM_DEST_SEGMENT ? 0 : (unsigned)to - 1000, copies);
    net_send(d->s, d->i, how, to, p, copies);
}

static void op_query(void *ctx, struct msm_ring_state *out)
{
    struct sim_node *d = ctx;

    out->ring_id = d->data_ring;
    out->aru = d->aru;
    out->my_aru = d->my_aru;
    out->highest_seq = d->highest;
    out->missing = d->missing;
    out->nmissing = d->nmissing;
    out->commit = d->commit;
    out->ncommit = d->ncommit;
}

static void violation(struct sim *s, const char *what, struct pkt_mid id)
{
    if (s->bad++ == 0)
        snprintf(s->why, sizeof s->why, "at %llu: %s (ring %u/%d)",
                 (unsigned long long)s->now, what, id.id, id.time);
}

static void ring_check(struct sim *s, const struct msm_install *in)
{
    size_t i;

    for (i = 0; i < s->nrings; i++) {
        struct sim_ring *r = &s->rings[i];
        if (!mid_eq(r->id, in->ring_id))
            continue;
        if (r->n != in->n || memcmp(r->ids, in->ids, in->n * 4) != 0)
            violation(s, "one ring id, two member lists", in->ring_id);
        return;
    }
    if (s->nrings % 64 == 0) {
        s->rings = realloc(s->rings, (s->nrings + 64) * sizeof *s->rings);
        if (!s->rings)
            abort();
    }
    s->rings[s->nrings].id = in->ring_id;
    s->rings[s->nrings].n = in->n;
    memcpy(s->rings[s->nrings].ids, in->ids, in->n * 4);
    s->nrings++;
}

static void op_install(void *ctx, const struct msm_install *in)
{
    struct sim_node *d = ctx;
    struct sim_install *l = &d->last;
    struct pkt_token t;

    ring_check(d->s, in);
    if (d->installs && mid_eq(d->last.in.ring_id, in->ring_id))
        violation(d->s, "a ring installed twice", in->ring_id);
    if (in->ids[in->my_index] != d->m.conf.my_id || in->ntrans == 0 ||
        !msm_ids_has_id(in->trans, in->ntrans, d->m.conf.my_id))
        violation(d->s, "install without me in ring and trans set",
                  in->ring_id);
    d->installs++;
    l->in = *in;
    memcpy(l->ids, in->ids, in->n * sizeof *l->ids);
    if (in->nholes <= 256)
        memcpy(l->holes, in->holes, in->nholes * sizeof *l->holes);
    memcpy(l->trans, in->trans, in->ntrans * sizeof *l->trans);
    memcpy(l->commit, in->commit, in->ncommit * sizeof *l->commit);
    l->in.ids = l->ids;
    l->in.holes = l->holes;
    l->in.trans = l->trans;
    l->in.commit = l->commit;
    d->have_pend = 1;
    d->pend = in->ring_id;
    d->pn = in->n;
    d->pme = in->my_index;
    memcpy(d->pids, in->ids, in->n * sizeof *d->pids);
    if (!in->last)
        return;
    memset(&t, 0, sizeof t);
    t.h.mid = in->ring_id;
    t.h.aru = 0x7fffffff;
    t.h.aru_setter = PKT_ID_NONE;
    t.h.hash = d->m.conf.hash;
    t.h.transmitter = t.h.last = d->m.conf.my_id;
    {
        struct pkt p;
        memset(&p, 0, sizeof p);
        p.kind = PKT_KIND_TOKEN;
        p.u.token = t;
        net_send(d->s, d->i, MSM_DEST_DAEMON, in->ids[0], &p, 1);
    }
}

static void op_state(void *ctx, enum msm_state from, enum msm_state to,
                     const char *reason)
{
    struct sim_node *d = ctx;

    d->changes++;
    if (to == MSM_OP)
        d->t_op = d->s->now;
    if (to == MSM_SEG && d->t_loss == 0)
        d->t_loss = d->s->now;
    if (to == MSM_SEG)
        d->have_pend = 0;
    if (d->s->trace)
        fprintf(stderr, "%6llu n%d %s -> %s (%s)\n",
                (unsigned long long)d->s->now, d->i, msm_state_name(from),
                msm_state_name(to), reason);
}

static const struct msm_ops sim_ops = {op_send, op_query, op_install,
                                       op_state};

/* ---- life -------------------------------------------------------------- */

struct sim *sim_new(const int *per_seg, int nseg, int wide)
{
    struct sim *s = calloc(1, sizeof *s);
    int k, j;

    if (!s)
        abort();
    s->now = 1000;
    simnet_init(&s->net, 0, 0, 0, 0);     /* no draws: a lossless network */
    s->trace = getenv("MSM_TRACE") != NULL;
    s->conf.hash = 0x1234abcd;
    s->conf.wall_offset_ms = 1700000000000LL;
    msm_timeouts_default(&s->conf, wide);
    for (k = 0; k < nseg; k++)
        for (j = 0; j < per_seg[k]; j++) {
            s->conf.ids[s->n] = sim_id(s->n);
            s->conf.segs[s->n] = (int16_t)k;
            s->n++;
        }
    s->conf.n = (unsigned)s->n;
    for (j = 0; j < s->n; j++) {
        s->nd[j].s = s;
        s->nd[j].i = j;
    }
    return s;
}

void sim_free(struct sim *s)
{
    int i;

    for (i = 0; i < s->n; i++)
        if (s->nd[i].m.out)
            msm_fini(&s->nd[i].m);
    simnet_fini(&s->net);
    free(s->rings);
    free(s);
}

void sim_start(struct sim *s, int i)
{
    struct sim_node *d = &s->nd[i];
    struct msm_conf c = s->conf;
    int r;

    if (d->m.out)
        msm_fini(&d->m);
    memset(&d->m, 0, sizeof d->m);
    d->up = 1;
    d->data_ring.id = sim_id(i);
    d->data_ring.time = -1;
    d->aru = d->my_aru = d->highest = 0;
    d->nmissing = d->ncommit = 0;
    d->cn = 0;
    d->have_pend = 0;
    d->token_due = d->release_at = 0;
    c.my_id = sim_id(i);
    c.fast = (s->fast_mask >> i) & 1;
    c.seg_unicast = 0;
    r = msm_init(&d->m, &c, &sim_ops, d);
    if (r < 0)
        abort();
    msm_start(&d->m, s->now);
}

void sim_crash(struct sim *s, int i)
{
    s->nd[i].up = 0;
}

void sim_cut(struct sim *s, uint32_t a, uint32_t b, int cut)
{
    int i, j;

    for (i = 0; i < s->n; i++)
        for (j = 0; j < s->n; j++)
            if (((a >> i) & 1) && ((b >> j) & 1))
                s->cut[i][j] = s->cut[j][i] = cut;
}

void sim_mark(struct sim *s)
{
    int i;
    for (i = 0; i < s->n; i++)
        s->nd[i].t_loss = 0;
}

static void deliver(struct sim *s, const struct simnet_ev *m)
{
    struct sim_node *d = &s->nd[m->to];
    static struct pkt p;

    if (!s->nd[m->from].up || s->cut[m->from][m->to])
        return;
    if (!d->up) {
        if (s->icmp)
            msm_unreachable(&s->nd[m->from].m, sim_id(m->to), s->now);
        return;
    }
    if (pkt_decode(m->bytes, m->len, &p) != 0)
        abort();
    msm_heard(&d->m, sim_id(m->from));
    if (p.kind == PKT_KIND_TOKEN)
        token_receive(d, &p.u.token);
    else
        msm_receive(&d->m, &p, s->now);
}

static uint64_t node_next(const struct sim_node *d)
{
    uint64_t t = msm_next_deadline(&d->m);
    if (d->token_due && d->token_due < t)
        t = d->token_due;
    if (d->release_at && d->release_at < t)
        t = d->release_at;
    return t;
}

void sim_run(struct sim *s, uint64_t until)
{
    for (;;) {
        uint64_t t = simnet_next_time(&s->net);
        int i;
        for (i = 0; i < s->n; i++)
            if (s->nd[i].up && node_next(&s->nd[i]) < t)
                t = node_next(&s->nd[i]);
        if (t > until) {
            s->now = until;
            return;
        }
        if (t > s->now)
            s->now = t;
        if (simnet_next_time(&s->net) <= s->now) {
            struct simnet_ev m = simnet_pop(&s->net);
            deliver(s, &m);
            free(m.bytes);
            continue;
        }
        for (i = 0; i < s->n; i++) {
            struct sim_node *d = &s->nd[i];
            if (!d->up || node_next(d) > s->now)
                continue;
            msm_tick(&d->m, s->now);
            core_tick(d);
        }
    }
}

int sim_ring_is(const struct sim *s, uint32_t set)
{
    const struct msm *ref = NULL;
    int i, k = 0;

    for (i = 0; i < s->n; i++) {
        const struct msm *m = &s->nd[i].m;
        if (!((set >> i) & 1) || !s->nd[i].up)
            continue;
        if (msm_state(m) != MSM_OP)
            return 0;
        if (!ref)
            ref = m;
        if (!mid_eq(m->ring_id, ref->ring_id) || m->ring_n != ref->ring_n ||
            memcmp(m->ring_ids, ref->ring_ids,
                   m->ring_n * sizeof m->ring_ids[0]) != 0)
            return 0;
    }
    if (!ref)
        return 0;
    for (i = 0; i < s->n; i++)
        if ((set >> i) & 1) {
            if ((unsigned)k >= ref->ring_n || ref->ring_ids[k] != sim_id(i))
                return 0;
            k++;
        }
    return (unsigned)k == ref->ring_n;
}

int sim_run_until(struct sim *s, const uint32_t *sets, int nsets,
                  uint64_t limit)
{
    while (s->now < limit) {
        int k, ok = 1;
        for (k = 0; k < nsets; k++)
            ok &= sim_ring_is(s, sets[k]);
        if (ok)
            return 1;
        sim_run(s, s->now + 1);
    }
    return 0;
}
