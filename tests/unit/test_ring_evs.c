/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_ring_evs: EVS recovery in the ring core on hand-built cases
 * (ring.md §9.5 rules 58-61): the deliveries around the transitional
 * configuration with holes, a commit set and SAFE messages, requests
 * tagged with the old ring and answered only from it, commit at the
 * marker, seq 0 on EVS tokens (README D5), back-out and ring_query().
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring/core.h"
#include "sp.h"
#include "../lib/ckmain.h"

#define HASH 0x1234u
#define MARKER 3339u

static const struct pkt_mid ring_a = { 1, 5 }, ring_b = { 1, 9 },
                            ring_c = { 7, 3 };

struct fx {
    struct ring_core r;
    char log[64];               /* 'M' message, 'T' trans, 'D' done */
    uint32_t tags[64];
    int n;
    struct pkt_token tok;       /* last token sent */
    unsigned char rtr[RING_RTR_MAX];
    int ntok;
    int ndata;
    struct pkt_data data;       /* last data sent */
    int lost;
};

static void add(struct fx *f, char c, uint32_t tag)
{
    if (f->n < 64) {
        f->tags[f->n] = tag;
        f->log[f->n++] = c;
        f->log[f->n] = 0;
    }
}

static void op_data(void *ctx, enum ring_dest how, uint32_t to,
                    const struct pkt_data *d)
{
    struct fx *f = ctx;
    (void)how;
    (void)to;
    f->ndata++;
    f->data = *d;
}

static void op_token(void *ctx, uint32_t to, const struct pkt_token *t,
                     unsigned copies)
{
    struct fx *f = ctx;
    (void)to;
    (void)copies;
    f->ntok++;
    f->tok = *t;
    memcpy(f->rtr, t->rtr.bytes ? t->rtr.bytes : f->rtr, t->rtr.len);
    f->tok.rtr.bytes = f->rtr;
}

static void op_hurry(void *ctx, uint32_t to, const struct pkt_head *h)
{
    (void)ctx;
    (void)to;
    (void)h;
}

static void op_deliver(void *ctx, const struct ring_delivery *m)
{
    struct pkt_msg msg;
    uint32_t tag = 0;

    if (pkt_msg_decode(m->bytes, m->len, &msg) == 0 && msg.data_len >= 4)
        memcpy(&tag, msg.data, 4);
    add(ctx, 'M', tag);
}

static void op_lost(void *ctx)
{
    ((struct fx *)ctx)->lost++;
}

static void op_trans(void *ctx)
{
    add(ctx, 'T', 0);
}

static void op_done(void *ctx)
{
    add(ctx, 'D', 0);
}

static const struct ring_ops fx_ops = {
    op_data, op_token, op_hurry, op_deliver, op_lost, op_trans, op_done
};

static void conf_of(struct ring_conf *c, struct pkt_mid id, unsigned n,
                    unsigned me)
{
    unsigned i;

    ring_conf_default(c);
    c->hash = HASH;
    c->ring_id = id;
    c->n = n;
    for (i = 0; i < n; i++)
        c->ids[i] = i + 1;
    c->my_index = me;
    c->my_id = me + 1;
}

/* Ring A = {1, 2, 3}, this daemon 1, stopped (token lost). */
static struct fx *fx_new(void)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct ring_conf c;

    ck_assert_ptr_nonnull(f);
    conf_of(&c, ring_a, 3, 0);
    ck_assert_int_eq(ring_core_init(&f->r, &c, &fx_ops, f), 0);
    ring_start(&f->r, 0);
    ring_stop(&f->r);
    return f;
}

static void fx_free(struct fx *f)
{
    ring_core_fini(&f->r);
    free(f);
}

/* Old-ring packet `seq` from `orig` with one message tagged seq. */
static void old_pkt(struct fx *f, int32_t seq, uint32_t orig, uint32_t svc)
{
    static const char group[PKT_GROUP_NAME] = "g";
    unsigned char msg[128];
    uint32_t tag = (uint32_t)seq;
    struct pkt_msg m;
    struct pkt_data d;
    int len;

    memset(&m, 0, sizeof(m));
    m.type = svc == PKT_SAFE ? SAFE_MESS : AGREED_MESS;
    strcpy(m.sender, "#c#n1");
    m.num_groups = 1;
    m.groups = (const unsigned char *)group;
    m.data_len = 4;
    m.data = (const unsigned char *)&tag;
    len = pkt_msg_encode(&m, PKT_ORDER_NATIVE, msg, sizeof(msg));
    ck_assert_int_gt(len, 0);
    memset(&d, 0, sizeof(d));
    d.h.type = svc;
    d.h.transmitter = d.h.originator = orig;
    d.h.mid = ring_a;
    d.h.seq = seq;
    d.h.hash = HASH;
    d.nfrags = 1;
    d.frags[0].index = -1;
    d.frags[0].len = (uint16_t)len;
    d.frags[0].bytes = msg;
    ck_assert_int_eq(ring_data_receive(&f->r, &d, 10), 0);
}

/* Install ring B: this daemon alone (last: it makes the first token),
 * or {1, 2} as first member. */
static void install(struct fx *f, unsigned n, uint32_t aru, uint32_t high,
                    const int32_t *holes, uint32_t nholes,
                    const uint32_t *commit, unsigned ncommit)
{
    struct ring_conf c;
    struct ring_install_rec in;

    conf_of(&c, ring_b, n, 0);
    memset(&in, 0, sizeof(in));
    in.old_ring = ring_a;
    in.seq_marker = MARKER;
    in.old_aru = aru;
    in.old_highest = high;
    in.holes = holes;
    in.nholes = nholes;
    in.commit = commit;
    in.ncommit = ncommit;
    in.last = n == 1;
    ck_assert_int_eq(ring_install(&f->r, &c, &in, 20), 0);
    ck_assert_int_eq(f->r.state, RING_EVS);
}

/* Alone: feed the token back to itself until EVS is over. */
static void spin(struct fx *f)
{
    int k;

    for (k = 0; k < 10 && f->r.state == RING_EVS; k++) {
        struct pkt_token t = f->tok;

        ck_assert_int_eq(t.h.seq, 0);   /* README D5 */
        ring_token_receive(&f->r, &t, 30 + (uint64_t)k);
    }
    ck_assert_int_eq(f->r.state, RING_OP);
}

START_TEST(holes_and_commit_set)
{
    static const int32_t holes[] = { 3 };
    static const uint32_t commit[] = { 1, 2 };
    struct fx *f = fx_new();

    old_pkt(f, 1, 2, PKT_AGREED);
    old_pkt(f, 2, 3, PKT_AGREED);
    old_pkt(f, 4, 3, PKT_AGREED);   /* after the hole, from outside */
    old_pkt(f, 5, 1, PKT_AGREED);   /* after the hole, own */
    old_pkt(f, 6, 2, PKT_AGREED);   /* after the hole, commit set */
    install(f, 1, 0, 6, holes, 1, commit, 2);
    ck_assert_int_eq(f->n, 0);
    spin(f);
    ck_assert_str_eq(f->log, "MMTMMD");
    ck_assert_uint_eq(f->tags[0], 1);
    ck_assert_uint_eq(f->tags[1], 2);
    ck_assert_uint_eq(f->tags[3], 5);
    ck_assert_uint_eq(f->tags[4], 6);
    ck_assert_uint_eq(f->r.stats.evs_dropped, 1);
    fx_free(f);
}
END_TEST

START_TEST(safe_after_transitional)
{
    static const uint32_t commit[] = { 1 };
    struct fx *f = fx_new();

    old_pkt(f, 1, 2, PKT_AGREED);
    old_pkt(f, 2, 2, PKT_SAFE);     /* not known stable: after T */
    old_pkt(f, 3, 3, PKT_AGREED);
    install(f, 1, 0, 3, NULL, 0, commit, 1);
    spin(f);
    ck_assert_str_eq(f->log, "MTMMD");
    ck_assert_uint_eq(f->tags[2], 2);
    fx_free(f);
}
END_TEST

START_TEST(safe_stable_in_old_ring)
{
    static const uint32_t commit[] = { 1 };
    struct fx *f = fx_new();

    old_pkt(f, 1, 2, PKT_AGREED);
    old_pkt(f, 2, 2, PKT_SAFE);
    old_pkt(f, 3, 3, PKT_AGREED);
    /* The old ring's aru (from the record) is 2: stable there, so
     * delivered in the old regular configuration at install. */
    install(f, 1, 2, 3, NULL, 0, commit, 1);
    ck_assert_str_eq(f->log, "MM");
    spin(f);
    ck_assert_str_eq(f->log, "MMMTD");
    fx_free(f);
}
END_TEST

/* RELIABLE single-packet messages that came only in recovery go out
 * before the transitional signal wherever they lie: another member may
 * have delivered them early in the old regular configuration (§14 items
 * 3 and 6). Before, 3 came after T behind the unstable SAFE 2, and 5 was
 * dropped as following the hole from outside the commit set. */
START_TEST(reliable_before_transitional)
{
    static const int32_t holes[] = { 4 };
    static const uint32_t commit[] = { 1 };
    struct fx *f = fx_new();

    old_pkt(f, 1, 2, PKT_AGREED);
    old_pkt(f, 2, 2, PKT_SAFE);     /* not known stable: after T */
    old_pkt(f, 3, 3, PKT_RELIABLE); /* behind the SAFE one */
    old_pkt(f, 5, 3, PKT_RELIABLE); /* after the hole, from outside */
    old_pkt(f, 6, 3, PKT_AGREED);   /* after the hole, from outside */
    install(f, 1, 0, 6, holes, 1, commit, 1);
    ck_assert_int_eq(f->n, 0);      /* the ring was stopped: nothing early */
    spin(f);
    ck_assert_str_eq(f->log, "MMMTMD");
    ck_assert_uint_eq(f->tags[0], 3);
    ck_assert_uint_eq(f->tags[1], 5);
    ck_assert_uint_eq(f->tags[2], 1);
    ck_assert_uint_eq(f->tags[4], 2);
    ck_assert_uint_eq(f->r.stats.evs_dropped, 1);   /* 6 only */
    fx_free(f);
}
END_TEST

/* Two members: requests for the old ring, commit, marker, back-out. */
START_TEST(requests_commit_backout)
{
    static const uint32_t commit[] = { 1, 2 };
    struct fx *f = fx_new();
    struct ring_record rec;
    int32_t missing[8];
    struct pkt_token t;
    struct pkt_rtr b;
    unsigned char rtr[256];
    size_t off = 0, len = 0;
    int32_t want1[] = { 1 }, want9[] = { 9 };

    old_pkt(f, 1, 2, PKT_AGREED);
    old_pkt(f, 2, 2, PKT_AGREED);
    old_pkt(f, 4, 3, PKT_AGREED);
    ring_query(&f->r, &rec, missing, 8);
    ck_assert(rec.ring_id.id == ring_a.id && rec.ring_id.time == ring_a.time);
    ck_assert_uint_eq(rec.my_aru, 2);
    ck_assert_uint_eq(rec.highest, 4);
    ck_assert_uint_eq(rec.nmissing, 1);
    ck_assert_int_eq(missing[0], 3);
    install(f, 2, 0, 4, NULL, 0, commit, 2);
    ck_assert_int_eq(f->ntok, 0);

    /* The first token, from the last member (2), with a request of 2
     * for old seq 1 and one of another old ring. */
    memset(&t, 0, sizeof(t));
    t.h.transmitter = t.h.last = 2;
    t.h.mid = ring_b;
    t.h.aru = RING_FIRST_ARU;
    t.h.aru_setter = PKT_ID_NONE;
    t.h.hash = HASH;
    b.ring = ring_a;
    b.requester = 2;
    b.seg_index = 0;
    b.count = 1;
    b.seqs = pkt_i32s_host(want1, 1);
    ck_assert_int_eq(pkt_rtr_put(rtr, sizeof(rtr), &len, PKT_ORDER_NATIVE,
                                 &b), 0);
    b.ring = ring_c;
    b.requester = 7;
    b.seqs = pkt_i32s_host(want9, 1);
    ck_assert_int_eq(pkt_rtr_put(rtr, sizeof(rtr), &len, PKT_ORDER_NATIVE,
                                 &b), 0);
    t.rtr.bytes = rtr;
    t.rtr.len = (uint16_t)len;
    t.rtr.order = pkt_host_order();
    ring_token_receive(&f->r, &t, 30);
    ck_assert_int_eq(f->ntok, 1);
    /* Old seq 1 re-sent as it was: ring A's id. */
    ck_assert_int_eq(f->ndata, 1);
    ck_assert_int_eq(f->data.h.seq, 1);
    ck_assert(f->data.h.mid.time == ring_a.time);
    /* The token: seq 0, aru = old my_aru (not committed), ring C's block
     * kept, own block for old seq 3 tagged with ring A. */
    ck_assert_int_eq(f->tok.h.seq, 0);
    ck_assert_int_eq(f->tok.h.aru, 2);
    ck_assert(pkt_rtr_next(&f->tok.rtr, &off, &b));
    ck_assert(b.ring.id == ring_c.id && b.ring.time == ring_c.time);
    ck_assert(pkt_rtr_next(&f->tok.rtr, &off, &b));
    ck_assert(b.ring.id == ring_a.id && b.ring.time == ring_a.time);
    ck_assert_int_eq(b.count, 1);
    ck_assert_int_eq(pkt_i32s_get(&b.seqs, 0), 3);
    ck_assert(!f->r.evs.committed);

    /* Seq 3 comes: committed, the next token carries the marker. */
    old_pkt(f, 3, 3, PKT_AGREED);
    ck_assert(f->r.evs.committed);
    t = f->tok;
    t.h.transmitter = t.h.last = 2;
    t.rtr.len = 0;
    t.h.aru = MARKER;
    ring_token_receive(&f->r, &t, 40);
    ck_assert_int_eq(f->ntok, 2);
    ck_assert_int_eq(f->tok.h.aru, (int32_t)MARKER);
    ck_assert_int_eq(f->tok.h.seq, 0);

    /* Token lost: back out; the old ring is reported again with the
     * commit set kept (rule 61), nothing delivered yet. */
    ring_tick(&f->r, 40 + RING_TOKEN_TIMEOUT_MS);
    ck_assert_int_eq(f->lost, 1);
    ck_assert_int_eq(f->r.state, RING_LOST);
    ck_assert_int_eq(f->n, 0);
    ring_query(&f->r, &rec, missing, 8);
    ck_assert(rec.ring_id.id == ring_a.id && rec.ring_id.time == ring_a.time);
    ck_assert_uint_eq(rec.my_aru, 4);
    ck_assert_uint_eq(rec.nmissing, 0);
    ck_assert_uint_eq(rec.ncommit, 2);

    /* The next attempt, alone: everything delivered. */
    install(f, 1, 0, 4, NULL, 0, commit, 1);
    spin(f);
    ck_assert_str_eq(f->log, "MMMMTD");
    fx_free(f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ring_evs");
    TCase *tc = tcase_create("evs");

    tcase_add_test(tc, holes_and_commit_set);
    tcase_add_test(tc, safe_after_transitional);
    tcase_add_test(tc, safe_stable_in_old_ring);
    tcase_add_test(tc, reliable_before_transitional);
    tcase_add_test(tc, requests_commit_backout);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
