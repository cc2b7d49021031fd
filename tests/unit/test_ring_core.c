/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests of the ring core (daemon/ring/core.h) on hand-built tokens
 * and packets: the token aru rules, request blocks and their answers,
 * duplicate and re-send suppression, the leader's round stamp, idle
 * holding and hurry re-sends, token loss, flow control of new packets,
 * the accelerated ring (early release, request limit), the delivery
 * services. test_ring_replay.c replays upstream captures.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring/core.h"
#include "ringrec.h"
#include "sp.h"
#include "../lib/ckmain.h"

#define HASH 0xde090eb0u
#define RING_TIME 1000

static const uint32_t ids[] = { 101, 102, 103, 104, 105 };

/* ---- building inputs -------------------------------------------------------- */

static struct pkt_mid ring_id(void)
{
    struct pkt_mid m = { 101, RING_TIME };

    return m;
}

/* A ring of n daemons 101.. with this one at index me; leader 101. */
static struct fix *setup(unsigned n, unsigned me, int accelerated)
{
    struct fix *f = calloc(1, sizeof(*f));
    struct ring_conf c;
    unsigned i;

    ck_assert_ptr_nonnull(f);
    ring_conf_default(&c);
    /* The figures below are upstream's, as in the captures. */
    c.flow.personal_window = FLOW_UPSTREAM_PERSONAL_WINDOW;
    c.my_id = ids[me];
    c.hash = HASH;
    c.ring_id = ring_id();
    c.n = n;
    for (i = 0; i < n; i++) {
        c.ids[i] = ids[i];
        c.segs[i] = 0;
    }
    c.my_index = me;
    c.accelerated = accelerated;
    ck_assert_int_eq(ring_core_init(&f->r, &c, &rec_ops, f), 0);
    ring_start(&f->r, 0);
    return f;
}

static void teardown(struct fix *f)
{
    rec_free(f);
}

static size_t mk_msg(unsigned char *buf, uint32_t svc, size_t len)
{
    static const char group[PKT_GROUP_NAME] = "g";
    static unsigned char data[PKT_MAX_MSG_LEN];
    struct pkt_msg m;
    int rc;

    memset(&m, 0, sizeof(m));
    m.type = svc == PKT_RELIABLE ? RELIABLE_MESS
           : svc == PKT_FIFO ? FIFO_MESS
           : svc == PKT_AGREED ? AGREED_MESS : SAFE_MESS;
    strcpy(m.sender, "#c#x");
    m.num_groups = 1;
    m.groups = (const unsigned char *)group;
    m.data_len = (int32_t)(len - PKT_MSG_HEADER_LEN - PKT_GROUP_NAME);
    m.data = data;
    rc = pkt_msg_encode(&m, PKT_ORDER_NATIVE, buf, len);
    ck_assert_int_eq(rc, (int)len);
    return len;
}

/* A data packet with one whole message (index -1). */
static void mk_data(struct pkt_data *d, unsigned char *buf, uint32_t orig,
                    int32_t seq, uint32_t svc, size_t len)
{
    memset(d, 0, sizeof(*d));
    d->h.type = svc;
    d->h.transmitter = d->h.originator = orig;
    d->h.mid = ring_id();
    d->h.seq = seq;
    d->h.hash = HASH;
    d->nfrags = 1;
    d->frags[0].index = -1;
    d->frags[0].len = (uint16_t)mk_msg(buf, svc, len);
    d->frags[0].bytes = buf;
}

static void give_data(struct fix *f, uint32_t orig, int32_t seq,
                      uint32_t svc, uint64_t now)
{
    unsigned char buf[200];
    struct pkt_data d;

    mk_data(&d, buf, orig, seq, svc, 100);
    ck_assert_int_eq(ring_data_receive(&f->r, &d, now), 0);
}

struct tok {
    struct pkt_token t;
    unsigned char rtr[RING_RTR_MAX];
    size_t len;
};

static void mk_token(struct tok *k, uint32_t from, unsigned stamp,
                     unsigned resend, int32_t seq, int32_t aru,
                     uint32_t setter, int16_t fc)
{
    memset(k, 0, sizeof(*k));
    k->t.h.type = pkt_type_with_round(0, stamp, resend);
    k->t.h.transmitter = k->t.h.last = from;
    k->t.h.mid = ring_id();
    k->t.h.seq = seq;
    k->t.h.aru = aru;
    k->t.h.aru_setter = setter;
    k->t.h.flow_control = fc;
    k->t.h.hash = HASH;
    k->t.rtr.order = pkt_host_order();
}

static void add_block(struct tok *k, struct pkt_mid ring, uint32_t req,
                      int16_t seg, const int32_t *seqs, int n)
{
    struct pkt_rtr b;

    b.ring = ring;
    b.requester = req;
    b.seg_index = seg;
    b.count = (int16_t)n;
    b.seqs = pkt_i32s_host(seqs, (uint32_t)n);
    ck_assert_int_eq(pkt_rtr_put(k->rtr, sizeof(k->rtr), &k->len,
                                 PKT_ORDER_NATIVE, &b), 0);
    k->t.rtr.bytes = k->rtr;
    k->t.rtr.len = (uint16_t)k->len;
    k->t.rtr.nblocks++;
}

static void give_token(struct fix *f, struct tok *k, uint64_t now)
{
    ck_assert_int_eq(ring_token_receive(&f->r, &k->t, now), 0);
}

/* ---- step 6: the token aru ----------------------------------------------- */

START_TEST(aru_lowered_to_my_aru)
{
    struct fix *f = setup(3, 1, 0);
    struct tok k;
    const struct out *o;

    give_data(f, 101, 1, PKT_AGREED, 1);
    give_data(f, 101, 2, PKT_AGREED, 1);
    give_data(f, 101, 4, PKT_AGREED, 1);
    give_data(f, 101, 5, PKT_AGREED, 1);
    ck_assert_uint_eq(f->r.win.my_aru, 2);
    mk_token(&k, 101, 1, 0, 5, 5, 101, 0);
    give_token(f, &k, 2);
    ck_assert_int_eq(rec_count(f, 'T'), 1);
    o = rec_nth(f, 'T', 0);
    ck_assert_uint_eq(o->to, 103);
    ck_assert_int_eq(o->th.seq, 5);
    ck_assert_int_eq(o->th.aru, 2);
    ck_assert_uint_eq(o->th.aru_setter, 102);
    ck_assert_uint_eq(o->th.transmitter, 102);
    ck_assert_uint_eq(o->th.last, 102);
    ck_assert_uint_eq(pkt_type_round(o->th.type), 1);
    ck_assert_uint_eq(pkt_type_resend(o->th.type), 0);
    teardown(f);
}
END_TEST

START_TEST(aru_kept_or_raised)
{
    struct fix *f = setup(3, 1, 0);
    struct tok k;
    int32_t s;

    for (s = 1; s <= 5; s++)
        give_data(f, 101, s, PKT_AGREED, 1);
    /* Lowered by someone else: not ours to raise. */
    mk_token(&k, 101, 1, 0, 5, 3, 103, 0);
    give_token(f, &k, 2);
    ck_assert_int_eq(rec_nth(f, 'T', 0)->th.aru, 3);
    ck_assert_uint_eq(rec_nth(f, 'T', 0)->th.aru_setter, 103);
    /* Lowered by us: we raise it to what we have now. */
    mk_token(&k, 101, 2, 0, 5, 3, 102, 0);
    give_token(f, &k, 3);
    ck_assert_int_eq(rec_nth(f, 'T', 1)->th.aru, 5);
    ck_assert_uint_eq(rec_nth(f, 'T', 1)->th.aru_setter, 102);
    /* aru == seq: everyone had everything; anyone may set it. */
    mk_token(&k, 101, 3, 0, 5, 5, 101, 0);
    give_token(f, &k, 4);
    ck_assert_int_eq(rec_nth(f, 'T', 2)->th.aru, 5);
    ck_assert_uint_eq(rec_nth(f, 'T', 2)->th.aru_setter, 102);
    teardown(f);
}
END_TEST

/* ---- step 2 / step 5: request blocks --------------------------------------- */

START_TEST(own_request_block)
{
    struct fix *f = setup(3, 1, 0);
    struct tok k;
    const struct out *o;

    give_data(f, 101, 2, PKT_AGREED, 1);
    give_data(f, 101, 5, PKT_AGREED, 1);
    mk_token(&k, 101, 1, 0, 6, 6, 101, 2);
    give_token(f, &k, 2);
    o = rec_nth(f, 'T', 0);
    ck_assert_int_eq(o->nblk, 1);
    ck_assert_uint_eq(o->b[0].requester, 102);
    ck_assert_int_eq(o->b[0].seg, 0);
    ck_assert_int_eq(o->b[0].ring.id, 101);
    ck_assert_int_eq(o->b[0].ring.time, RING_TIME);
    ck_assert_int_eq(o->b[0].n, 4);
    ck_assert_int_eq(o->b[0].seqs[0], 1);
    ck_assert_int_eq(o->b[0].seqs[1], 3);
    ck_assert_int_eq(o->b[0].seqs[2], 4);
    ck_assert_int_eq(o->b[0].seqs[3], 6);
    ck_assert_uint_eq(o->th.rtr_len, 16 + 4 * 4);
    ck_assert_int_eq(o->th.flow_control, 2);    /* sent nothing */
    ck_assert_uint_eq(f->r.stats.requests_made, 4);
    teardown(f);
}
END_TEST

START_TEST(answers_by_destination)
{
    struct fix *f = setup(3, 1, 0);
    struct pkt_mid other = { 99, 5 };
    static const int32_t to103[] = { 2, 4 }, seg[] = { 3 }, ring[] = { 5 },
                         foreign[] = { 7, 8 };
    struct tok k;
    const struct out *o;
    int32_t s;

    for (s = 1; s <= 5; s++)
        give_data(f, 101, s, PKT_AGREED, 1);
    mk_token(&k, 101, 1, 0, 5, 5, 101, 0);
    add_block(&k, ring_id(), 103, 0, to103, 2);
    add_block(&k, ring_id(), PKT_ID_NONE, 0, seg, 1);
    add_block(&k, ring_id(), PKT_ID_NONE, PKT_SEG_SEVERAL, ring, 1);
    add_block(&k, other, 103, 0, foreign, 2);
    give_token(f, &k, 2);
    ck_assert_int_eq(rec_count(f, 'D'), 4);
    o = rec_nth(f, 'D', 0);
    ck_assert_int_eq(o->how, RING_DEST_DAEMON);
    ck_assert_uint_eq(o->to, 103);
    ck_assert_int_eq(o->seq, 2);
    ck_assert_uint_eq(o->transmitter, 102);   /* only that changes */
    ck_assert_int_eq(rec_nth(f, 'D', 1)->seq, 4);
    ck_assert_int_eq(rec_nth(f, 'D', 2)->how, RING_DEST_SEGMENT);
    ck_assert_uint_eq(rec_nth(f, 'D', 2)->to, 0);
    ck_assert_int_eq(rec_nth(f, 'D', 2)->seq, 3);
    ck_assert_int_eq(rec_nth(f, 'D', 3)->how, RING_DEST_RING);
    ck_assert_int_eq(rec_nth(f, 'D', 3)->seq, 5);
    /* Retransmissions before the token; answered blocks are gone, the
     * other ring's block stays as it was. */
    ck_assert_int_eq(f->log[f->n - 1].kind, 'T');
    o = rec_nth(f, 'T', 0);
    ck_assert_int_eq(o->nblk, 1);
    ck_assert_uint_eq(o->b[0].ring.id, 99);
    ck_assert_uint_eq(o->b[0].requester, 103);
    ck_assert_int_eq(o->b[0].n, 2);
    ck_assert_int_eq(o->b[0].seqs[1], 8);
    ck_assert_int_eq(o->th.flow_control, 4);    /* 4 retransmissions */
    teardown(f);
}
END_TEST

/* A block we cannot answer is dropped, and our own block then asks for
 * a broadcast answer: requester "several", and "several segments" when
 * the other requester is in another segment (04 records 512-513 show
 * the same-segment case: requester -1, segment index kept). */
START_TEST(unanswerable_marks_several)
{
    struct fix *f;
    struct tok k;
    static const int32_t want[] = { 2, 3 };
    const struct out *o;

    f = setup(3, 1, 0);
    give_data(f, 101, 1, PKT_AGREED, 1);
    give_data(f, 101, 2, PKT_AGREED, 1);
    mk_token(&k, 101, 1, 0, 4, 1, 103, 0);
    add_block(&k, ring_id(), 103, 0, want, 2);
    give_token(f, &k, 2);
    o = rec_nth(f, 'T', 0);
    ck_assert_int_eq(rec_count(f, 'D'), 1);       /* seq 2 answered */
    ck_assert_int_eq(o->nblk, 1);
    ck_assert_uint_eq(o->b[0].requester, PKT_ID_NONE);
    ck_assert_int_eq(o->b[0].seg, 0);
    ck_assert_int_eq(o->b[0].n, 2);
    ck_assert_int_eq(o->b[0].seqs[0], 3);
    ck_assert_int_eq(o->b[0].seqs[1], 4);
    teardown(f);

    f = setup(3, 1, 0);
    f->r.conf.segs[2] = 1;          /* 103 lives in segment 1 */
    mk_token(&k, 101, 1, 0, 2, 0, 103, 0);
    add_block(&k, ring_id(), 103, 1, want, 1);
    give_token(f, &k, 2);
    o = rec_nth(f, 'T', 0);
    ck_assert_uint_eq(o->b[0].requester, PKT_ID_NONE);
    ck_assert_int_eq(o->b[0].seg, PKT_SEG_SEVERAL);
    teardown(f);
}
END_TEST

/* ---- step 1: duplicates and re-sends ---------------------------------------- */

START_TEST(nonleader_duplicates_and_resends)
{
    struct fix *f = setup(3, 1, 0);
    struct tok k;
    const struct out *o;

    give_data(f, 101, 2, PKT_AGREED, 1);
    mk_token(&k, 101, 1, 0, 2, 2, 101, 0);
    give_token(f, &k, 2);
    ck_assert_int_eq(rec_count(f, 'T'), 1);
    ck_assert_int_eq(rec_nth(f, 'T', 0)->nblk, 1);  /* asks for seq 1 */
    give_token(f, &k, 3);                       /* a duplicate */
    ck_assert_int_eq(rec_count(f, 'T'), 1);
    /* Same round, resend count up: the token was lost after us; send our
     * own last token again, header only (README D4). */
    mk_token(&k, 101, 1, 1, 2, 2, 101, 0);
    give_token(f, &k, 4);
    ck_assert_int_eq(rec_count(f, 'T'), 2);
    o = rec_nth(f, 'T', 1);
    ck_assert_uint_eq(pkt_type_round(o->th.type), 1);
    ck_assert_uint_eq(pkt_type_resend(o->th.type), 1);
    ck_assert_uint_eq(o->copies, 1);
    ck_assert_uint_eq(o->th.rtr_len, 0);
    ck_assert_int_eq(o->th.aru, 0);
    ck_assert_uint_eq(o->to, 103);
    /* From resend count 2 on, three copies. */
    mk_token(&k, 101, 1, 2, 2, 2, 101, 0);
    give_token(f, &k, 5);
    ck_assert_int_eq(rec_count(f, 'T'), 3);
    ck_assert_uint_eq(rec_nth(f, 'T', 2)->copies, 3);
    give_token(f, &k, 6);                       /* same resend: nothing */
    ck_assert_int_eq(rec_count(f, 'T'), 3);
    /* A round ahead of the next one, another ring, another sender. */
    mk_token(&k, 101, 3, 0, 2, 2, 101, 0);
    give_token(f, &k, 7);
    mk_token(&k, 103, 2, 0, 2, 2, 101, 0);
    k.t.h.transmitter = 103;
    give_token(f, &k, 7);
    mk_token(&k, 101, 2, 0, 2, 2, 101, 0);
    k.t.h.mid.time++;
    give_token(f, &k, 7);
    ck_assert_int_eq(rec_count(f, 'T'), 3);
    /* The next round is taken, whatever its resend count. */
    mk_token(&k, 101, 2, 1, 2, 2, 101, 0);
    give_token(f, &k, 8);
    ck_assert_int_eq(rec_count(f, 'T'), 4);
    ck_assert_uint_eq(pkt_type_resend(rec_nth(f, 'T', 3)->th.type), 1);
    ck_assert_uint_eq(f->r.stats.tokens_processed, 2);
    teardown(f);
}
END_TEST

START_TEST(leader_round_stamp)
{
    struct fix *f = setup(3, 0, 0);
    struct tok k;
    const struct out *o;

    ck_assert_int_eq(f->n, 0);          /* only the last member starts */
    mk_token(&k, 103, 0, 0, 0, RING_FIRST_ARU, PKT_ID_NONE, 0);
    give_token(f, &k, 1);
    o = rec_nth(f, 'T', 0);
    ck_assert_uint_eq(pkt_type_round(o->th.type), 1);
    ck_assert_uint_eq(pkt_type_resend(o->th.type), 0);
    ck_assert_int_eq(o->th.aru, 0);
    ck_assert_uint_eq(o->th.aru_setter, 101);
    ck_assert_uint_eq(o->to, 102);
    give_token(f, &k, 2);               /* the first token's 2nd copy */
    ck_assert_int_eq(rec_count(f, 'T'), 1);
    /* The round it sent comes back, even re-sent: a new round. */
    mk_token(&k, 103, 1, 1, 0, 0, 103, 0);
    give_token(f, &k, 3);
    ck_assert_int_eq(rec_count(f, 'T'), 2);
    ck_assert_uint_eq(pkt_type_round(rec_nth(f, 'T', 1)->th.type), 2);
    ck_assert_uint_eq(pkt_type_resend(rec_nth(f, 'T', 1)->th.type), 0);
    mk_token(&k, 103, 1, 0, 0, 0, 103, 0);     /* an old round */
    give_token(f, &k, 4);
    ck_assert_int_eq(rec_count(f, 'T'), 2);
    teardown(f);
}
END_TEST

START_TEST(last_member_sends_first_token)
{
    struct fix *f = setup(3, 2, 0);
    const struct out *o = rec_nth(f, 'T', 0);

    ck_assert_int_eq(f->n, 1);
    ck_assert_uint_eq(o->to, 101);
    ck_assert_uint_eq(o->copies, 2);
    ck_assert_uint_eq(o->th.type, 0);
    ck_assert_int_eq(o->th.seq, 0);
    ck_assert_int_eq(o->th.aru, RING_FIRST_ARU);
    ck_assert_uint_eq(o->th.aru_setter, PKT_ID_NONE);
    ck_assert_uint_eq(o->th.transmitter, 103);
    teardown(f);
}
END_TEST

/* ---- §4.5: hurry, holding, token loss -------------------------------------- */

/* Feed the leader of a ring of 3 the token of round `stamp` back. */
static void leader_round(struct fix *f, unsigned stamp, int32_t seq,
                         uint64_t now)
{
    struct tok k;

    if (stamp == 0)
        mk_token(&k, 103, 0, 0, 0, RING_FIRST_ARU, PKT_ID_NONE, 0);
    else
        mk_token(&k, 103, stamp, 0, seq, seq, 103, 0);
    give_token(f, &k, now);
}

START_TEST(leader_holds_idle_token)
{
    struct fix *f = setup(3, 0, 0);
    const struct out *o;

    leader_round(f, 0, 0, 10);
    leader_round(f, 1, 0, 20);          /* idle rotation 1 */
    ck_assert_int_eq(rec_count(f, 'T'), 2);
    leader_round(f, 2, 0, 30);          /* idle rotation 2: hold */
    ck_assert_int_eq(rec_count(f, 'T'), 2);
    ck_assert_int_eq(f->r.holding, 1);
    ck_assert_uint_eq(ring_next_deadline(&f->r), 30 + RING_HURRY_TIMEOUT_MS);
    ring_tick(&f->r, 30 + RING_HURRY_TIMEOUT_MS - 1);
    ck_assert_int_eq(rec_count(f, 'T'), 2);
    ring_tick(&f->r, 30 + RING_HURRY_TIMEOUT_MS);
    /* Released as upstream does (README D4): new stamp, resend 1. */
    ck_assert_int_eq(rec_count(f, 'T'), 3);
    o = rec_nth(f, 'T', 2);
    ck_assert_uint_eq(pkt_type_round(o->th.type), 3);
    ck_assert_uint_eq(pkt_type_resend(o->th.type), 1);
    ck_assert_uint_eq(o->copies, 1);
    ck_assert_int_eq(f->r.holding, 0);
    teardown(f);
}
END_TEST

START_TEST(hurry_and_submit_release)
{
    struct fix *f = setup(3, 0, 0);
    unsigned char buf[200];
    struct pkt_head h;

    leader_round(f, 0, 0, 10);
    leader_round(f, 1, 0, 20);
    leader_round(f, 2, 0, 30);
    ck_assert_int_eq(f->r.holding, 1);
    memset(&h, 0, sizeof(h));
    h.type = PKT_HURRY;
    h.transmitter = h.originator = 102;
    h.hash = HASH;
    ring_hurry_receive(&f->r, &h, 40);
    ck_assert_int_eq(rec_count(f, 'T'), 3);
    ck_assert_uint_eq(pkt_type_resend(rec_nth(f, 'T', 2)->th.type), 1);
    ring_hurry_receive(&f->r, &h, 41);  /* not holding: no re-send, */
    ck_assert_int_eq(rec_count(f, 'T'), 3);
    leader_round(f, 3, 0, 50);          /* but the token goes round once */
    ck_assert_int_eq(f->r.holding, 0);  /* more, so that the asker sends */
    ck_assert_int_eq(rec_count(f, 'T'), 4);  /* on its next visit */
    leader_round(f, 4, 0, 52);          /* idle again: held again */
    ck_assert_int_eq(rec_count(f, 'T'), 4);
    ck_assert_int_eq(f->r.holding, 1);
    ck_assert_int_eq(ring_submit(&f->r, buf, mk_msg(buf, PKT_AGREED, 100),
                                 PKT_AGREED, 60), 0);
    ck_assert_int_eq(rec_count(f, 'T'), 5);
    ck_assert_int_eq(rec_count(f, 'H'), 0);
    /* The message goes on the next visit, not on the release. */
    ck_assert_int_eq(rec_count(f, 'D'), 0);
    leader_round(f, 5, 0, 70);
    ck_assert_int_eq(rec_count(f, 'D'), 1);
    ck_assert_int_eq(rec_nth(f, 'T', 5)->th.seq, 1);
    teardown(f);
}
END_TEST

START_TEST(hurry_timer_resends)
{
    struct fix *f = setup(3, 0, 0);

    leader_round(f, 0, 0, 10);
    ring_tick(&f->r, 10 + RING_HURRY_TIMEOUT_MS);
    ck_assert_uint_eq(pkt_type_resend(rec_nth(f, 'T', 1)->th.type), 1);
    ck_assert_uint_eq(rec_nth(f, 'T', 1)->copies, 1);
    ring_tick(&f->r, 10 + 2 * RING_HURRY_TIMEOUT_MS);
    ck_assert_uint_eq(pkt_type_resend(rec_nth(f, 'T', 2)->th.type), 2);
    ck_assert_uint_eq(rec_nth(f, 'T', 2)->copies, 3);
    ck_assert_uint_eq(pkt_type_round(rec_nth(f, 'T', 2)->th.type), 1);
    /* Re-sends do not keep the leader's own token timer alive. */
    ck_assert_int_eq(f->lost, 0);
    ring_tick(&f->r, 10 + RING_TOKEN_TIMEOUT_MS);
    ck_assert_int_eq(f->lost, 1);
    teardown(f);
}
END_TEST

/* Ring 101 | 102 103: segment 0, then segment 1. */
static struct fix *setup_two_segments(unsigned me, int wide_area)
{
    struct fix *f = setup(3, me, 0);

    f->r.conf.wide_area = wide_area;
    f->r.conf.segs[1] = f->r.conf.segs[2] = 1;
    return f;
}

/* Copies of the re-send of non-leader `me` (wide-area mode) when round 1
 * comes again from its predecessor with resend count 1. */
static unsigned regenerated_copies(unsigned me)
{
    struct fix *f = setup_two_segments(me, 1);
    const struct out *o;
    struct tok k;
    unsigned copies;

    mk_token(&k, ids[me - 1], 1, 0, 0, 0, 101, 0);
    give_token(f, &k, 1);
    mk_token(&k, ids[me - 1], 1, 1, 0, 0, 101, 0);
    give_token(f, &k, 2);
    o = rec_nth(f, 'T', rec_count(f, 'T') - 1);
    ck_assert_uint_eq(pkt_type_round(o->th.type), 1);
    ck_assert_uint_eq(pkt_type_resend(o->th.type), 1);
    copies = o->copies;
    teardown(f);
    return copies;
}

/* Rule 79: in wide-area mode a re-sent token that crosses to another
 * segment goes twice (README 08 records 80-87); inside a segment, or in
 * local-area mode, once; from resend count 2 on, three times anyway. */
START_TEST(wide_area_resend_doubled)
{
    struct fix *f = setup_two_segments(0, 1);

    leader_round(f, 0, 0, 10);
    leader_round(f, 1, 0, 20);
    ck_assert_uint_eq(rec_nth(f, 'T', 1)->copies, 1);   /* not a re-send */
    ring_tick(&f->r, 20 + RING_HURRY_TIMEOUT_MS);
    ck_assert_uint_eq(pkt_type_resend(rec_nth(f, 'T', 2)->th.type), 1);
    ck_assert_uint_eq(rec_nth(f, 'T', 2)->copies, 2);
    ring_tick(&f->r, 20 + 2 * RING_HURRY_TIMEOUT_MS);
    ck_assert_uint_eq(rec_nth(f, 'T', 3)->copies, 3);
    teardown(f);

    /* Non-leaders regenerating the token: 102 -> 103 stays in segment
     * 1, 103 -> 101 crosses back to segment 0. */
    ck_assert_uint_eq(regenerated_copies(1), 1);
    ck_assert_uint_eq(regenerated_copies(2), 2);

    /* Local-area mode: once, whatever the segments. */
    f = setup_two_segments(0, 0);
    leader_round(f, 0, 0, 10);
    ring_tick(&f->r, 10 + RING_HURRY_TIMEOUT_MS);
    ck_assert_uint_eq(rec_nth(f, 'T', 1)->copies, 1);
    teardown(f);
}
END_TEST

START_TEST(nonleader_hurries_idle_leader)
{
    struct fix *f = setup(3, 1, 0);
    unsigned char buf[200];
    struct tok k;

    mk_token(&k, 101, 1, 1, 0, 0, 101, 0);      /* an idle rotation */
    give_token(f, &k, 10);
    ck_assert_int_eq(ring_submit(&f->r, buf, mk_msg(buf, PKT_SAFE, 90),
                                 PKT_SAFE, 20), 0);
    ck_assert_int_eq(rec_count(f, 'H'), 1);
    ck_assert_uint_eq(rec_nth(f, 'H', 0)->to, 101);
    ck_assert_uint_eq(rec_nth(f, 'H', 0)->transmitter, 102);
    ck_assert_int_eq(ring_submit(&f->r, buf, mk_msg(buf, PKT_SAFE, 90),
                                 PKT_SAFE, 21), 0);
    ck_assert_int_eq(rec_count(f, 'H'), 1);         /* queue was not empty */
    ck_assert_uint_eq(ring_send_space(&f->r), RING_SENDQ_HIGH - 2);
    teardown(f);
}
END_TEST

/* Cohort's poke (ring_conf.poke_ms): a non-leader that passed the token
 * and has not had the next one sends its successor one HURRY, so that a
 * successor that died holding the token is found by its port. Off, no
 * HURRY goes out; a new token re-arms it. */
START_TEST(poke_successor_once)
{
    struct fix *f = setup(3, 1, 0);
    struct tok k;

    f->r.conf.poke_ms = 625;
    mk_token(&k, 101, 1, 1, 0, 0, 101, 0);
    give_token(f, &k, 10);
    ck_assert_int_eq(rec_count(f, 'T'), 1);
    ck_assert_uint_eq(ring_next_deadline(&f->r), 10 + 625);
    ring_tick(&f->r, 634);
    ck_assert_int_eq(rec_count(f, 'H'), 0);
    ring_tick(&f->r, 635);
    ck_assert_int_eq(rec_count(f, 'H'), 1);
    ck_assert_uint_eq(rec_nth(f, 'H', 0)->to, 103);
    ck_assert_uint_eq(rec_nth(f, 'H', 0)->transmitter, 102);
    ring_tick(&f->r, 1200);
    ck_assert_int_eq(rec_count(f, 'H'), 1);         /* once per token */
    mk_token(&k, 101, 2, 0, 0, 0, 101, 0);
    give_token(f, &k, 1210);
    ring_tick(&f->r, 1210 + 625);
    ck_assert_int_eq(rec_count(f, 'H'), 2);
    ck_assert_int_eq(f->lost, 0);
    teardown(f);

    f = setup(3, 1, 0);                             /* the default: off */
    mk_token(&k, 101, 1, 1, 0, 0, 101, 0);
    give_token(f, &k, 10);
    ring_tick(&f->r, 1000);
    ck_assert_int_eq(rec_count(f, 'H'), 0);
    teardown(f);
}
END_TEST

START_TEST(token_loss)
{
    struct fix *f = setup(3, 1, 0);
    struct tok k;

    ck_assert_uint_eq(ring_next_deadline(&f->r), RING_TOKEN_TIMEOUT_MS);
    /* Own-ring data keeps the ring alive (rule 19). */
    give_data(f, 101, 1, PKT_AGREED, 1000);
    ring_tick(&f->r, RING_TOKEN_TIMEOUT_MS);
    ck_assert_int_eq(f->lost, 0);
    ring_tick(&f->r, 1000 + RING_TOKEN_TIMEOUT_MS);
    ck_assert_int_eq(f->lost, 1);
    ck_assert_int_eq(f->r.state, RING_LOST);
    ck_assert_uint_eq(ring_next_deadline(&f->r), UINT64_MAX);
    mk_token(&k, 101, 1, 0, 1, 1, 101, 0);
    give_token(f, &k, 3000);
    ck_assert_int_eq(rec_count(f, 'T'), 0);
    ring_tick(&f->r, 10000);
    ck_assert_int_eq(f->lost, 1);
    teardown(f);
}
END_TEST

/* ---- step 3/4: new packets and flow control --------------------------------- */

/* Queue n messages that take one packet each and cannot share one. */
static void queue_packets(struct fix *f, int n)
{
    unsigned char buf[PKT_MAX_PAYLOAD];
    int i;

    for (i = 0; i < n; i++)
        ck_assert_int_eq(ring_submit(&f->r, buf,
                                     mk_msg(buf, PKT_AGREED, 1000),
                                     PKT_AGREED, 1), 0);
}

START_TEST(flow_control_bounds_new_packets)
{
    struct fix *f = setup(3, 1, 0);
    struct tok k;
    const struct out *o;
    int i;

    queue_packets(f, 40);
    mk_token(&k, 101, 1, 0, 7, 7, 101, 5);
    for (i = 1; i <= 7; i++)
        give_data(f, 101, i, PKT_AGREED, 1);
    give_token(f, &k, 2);
    /* PersonalWindow: 20 new packets, seqs after the token's. */
    ck_assert_int_eq(rec_count(f, 'D'), 20);
    o = rec_nth(f, 'D', 0);
    ck_assert_int_eq(o->how, RING_DEST_RING);
    ck_assert_int_eq(o->seq, 8);
    ck_assert_int_eq(o->round, 1);
    ck_assert_int_eq(rec_nth(f, 'D', 19)->seq, 27);
    /* Original ring: everything before the token. */
    ck_assert_int_gt(rec_pos(f, 'T', 0), rec_pos(f, 'D', 19));
    o = rec_nth(f, 'T', 0);
    ck_assert_int_eq(o->th.seq, 27);
    ck_assert_int_eq(o->th.flow_control, 25);       /* 5 + 20 */
    ck_assert_int_eq(o->th.aru, 27);
    /* Window + PersonalWindow - fc = 180 - 172 = 8 this time; fc =
     * 172 - 20 (our previous visit) + 8. */
    mk_token(&k, 101, 2, 0, 27, 27, 101, 172);
    give_token(f, &k, 3);
    ck_assert_int_eq(rec_count(f, 'D'), 28);
    ck_assert_int_eq(rec_nth(f, 'T', 1)->th.flow_control, 160);
    ck_assert_int_eq(rec_nth(f, 'D', 27)->round, 2);
    /* Full: nothing. */
    mk_token(&k, 101, 3, 0, 35, 35, 101, 190);
    give_token(f, &k, 4);
    ck_assert_int_eq(rec_count(f, 'D'), 28);
    ck_assert_int_eq(rec_nth(f, 'T', 2)->th.flow_control, 182);
    ck_assert_uint_eq(sendq_len(&f->r.q), 12);
    teardown(f);
}
END_TEST

START_TEST(accelerated_sends_after_token)
{
    struct fix *f = setup(3, 1, 1);
    struct tok k;

    queue_packets(f, 28);
    mk_token(&k, 101, 1, 0, 0, 0, 101, 0);
    give_token(f, &k, 2);
    /* The HURRY of the first submit (rule 23), then 5 before the
     * token, the token (counting all 20), 15 after with the next round
     * (05 records 420-453). */
    ck_assert_int_eq(rec_pos(f, 'H', 0), 0);
    ck_assert_int_eq(rec_pos(f, 'T', 0), 6);
    ck_assert_int_eq(rec_pos(f, 'D', 5), 7);
    ck_assert_int_eq(rec_count(f, 'D'), 20);
    ck_assert_int_eq(rec_nth(f, 'T', 0)->th.seq, 20);
    ck_assert_int_eq(rec_nth(f, 'T', 0)->th.flow_control, 20);
    ck_assert_int_eq(rec_nth(f, 'D', 4)->round, 1);
    ck_assert_int_eq(rec_nth(f, 'D', 5)->round, 2);
    ck_assert_int_eq(rec_nth(f, 'D', 5)->seq, 6);
    ck_assert_int_eq(rec_nth(f, 'D', 19)->round, 2);
    /* Fewer than 15: all after the token. */
    mk_token(&k, 101, 2, 0, 20, 20, 101, 20);
    give_token(f, &k, 3);
    ck_assert_int_lt(rec_pos(f, 'T', 1), rec_pos(f, 'D', 20));
    ck_assert_int_eq(rec_nth(f, 'D', 20)->seq, 21);
    ck_assert_int_eq(rec_nth(f, 'D', 27)->seq, 28);
    teardown(f);
}
END_TEST

/* Rule 40: the accelerated ring asks only up to the seq of the token it
 * sent the visit before (packets behind the last token may be in
 * flight); the original ring up to the token's seq (README D1). */
START_TEST(request_limits)
{
    struct fix *f;
    struct tok k;

    f = setup(3, 1, 1);
    mk_token(&k, 101, 1, 0, 5, 0, 101, 5);
    give_token(f, &k, 2);
    ck_assert_int_eq(rec_nth(f, 'T', 0)->nblk, 0);
    mk_token(&k, 101, 2, 0, 10, 0, 102, 5);
    give_token(f, &k, 3);
    ck_assert_int_eq(rec_nth(f, 'T', 1)->nblk, 1);
    ck_assert_int_eq(rec_nth(f, 'T', 1)->b[0].n, 5);
    ck_assert_int_eq(rec_nth(f, 'T', 1)->b[0].seqs[4], 5);
    teardown(f);

    f = setup(3, 1, 0);
    mk_token(&k, 101, 1, 0, 5, 0, 101, 5);
    give_token(f, &k, 2);
    ck_assert_int_eq(rec_nth(f, 'T', 0)->b[0].n, 5);
    mk_token(&k, 101, 2, 0, 10, 0, 102, 5);
    give_token(f, &k, 3);
    ck_assert_int_eq(rec_nth(f, 'T', 1)->b[0].n, 10);
    teardown(f);
}
END_TEST

/* ---- §5: delivery services -------------------------------------------------- */

START_TEST(delivery_services)
{
    struct fix *f = setup(2, 1, 0);
    struct tok k;

    give_data(f, 101, 1, PKT_AGREED, 1);
    give_data(f, 101, 3, PKT_RELIABLE, 1);   /* early, out of order */
    ck_assert_int_eq(rec_count(f, 'M'), 2);
    ck_assert_int_eq(rec_nth(f, 'M', 1)->seq, 3);
    ck_assert_int_eq(rec_nth(f, 'M', 1)->early, 1);
    give_data(f, 101, 2, PKT_SAFE, 1);
    give_data(f, 101, 4, PKT_AGREED, 1);
    /* The SAFE packet 2 is not stable: nothing overtakes it. */
    ck_assert_int_eq(rec_count(f, 'M'), 2);
    ck_assert_uint_eq(f->r.last_delivered, 1);
    /* global_aru = min(aru of the last two tokens we sent). */
    mk_token(&k, 101, 1, 0, 4, 4, 101, 0);
    give_token(f, &k, 2);
    ck_assert_int_eq(rec_count(f, 'M'), 2);
    mk_token(&k, 101, 2, 0, 4, 4, 102, 0);
    give_token(f, &k, 3);
    ck_assert_uint_eq(f->r.global_aru, 4);
    ck_assert_int_eq(rec_count(f, 'M'), 4);
    ck_assert_int_eq(rec_nth(f, 'M', 2)->seq, 2);
    ck_assert_uint_eq(rec_nth(f, 'M', 2)->service, PKT_SAFE);
    ck_assert_int_eq(rec_nth(f, 'M', 3)->seq, 4);   /* 3 was delivered early */
    /* Stable and delivered: discarded (rule 31). */
    ck_assert_uint_eq(f->r.win.discarded, 4);
    ck_assert_uint_eq(f->r.win.count, 0);
    ck_assert_uint_eq(f->r.stats.reasm_errors, 0);
    teardown(f);
}
END_TEST

START_TEST(data_acceptance)
{
    struct fix *f = setup(3, 1, 0);
    unsigned char buf[200];
    struct pkt_data d;

    mk_data(&d, buf, 101, 1, PKT_AGREED, 100);
    d.h.mid.time++;
    ck_assert_int_eq(ring_data_receive(&f->r, &d, 1), 1);   /* foreign */
    mk_data(&d, buf, 107, 1, PKT_AGREED, 100);
    ck_assert_int_eq(ring_data_receive(&f->r, &d, 1), 0);   /* stranger */
    mk_data(&d, buf, 101, 1, PKT_AGREED, 100);
    d.h.hash++;
    ck_assert_int_eq(ring_data_receive(&f->r, &d, 1), 0);
    ck_assert_uint_eq(f->r.stats.data_dropped, 2);
    give_data(f, 101, 1, PKT_AGREED, 1);
    give_data(f, 101, 1, PKT_AGREED, 1);                     /* duplicate */
    give_data(f, 101, WINDOW_SLOTS + 2, PKT_AGREED, 1);      /* too far */
    ck_assert_uint_eq(f->r.stats.data_received, 1);
    ck_assert_uint_eq(f->r.stats.data_dropped, 4);
    ck_assert_int_eq(rec_count(f, 'M'), 1);
    teardown(f);
}
END_TEST

/* Rule 32: during the group state exchange RELIABLE waits its turn. */
START_TEST(early_reliable_off)
{
    struct fix *f = setup(2, 1, 0);

    ring_set_early_reliable(&f->r, 0);
    give_data(f, 101, 2, PKT_RELIABLE, 1);
    ck_assert_int_eq(rec_count(f, 'M'), 0);
    give_data(f, 101, 1, PKT_FIFO, 1);
    ck_assert_int_eq(rec_count(f, 'M'), 2);
    ck_assert_int_eq(rec_nth(f, 'M', 1)->seq, 2);
    ck_assert_int_eq(rec_nth(f, 'M', 1)->early, 0);
    teardown(f);
}
END_TEST

/* Rule 25: a token whose seq passed 2^30 is dropped, so that the ring
 * breaks and a new one starts seqs at 0. */
START_TEST(seq_wrap_drops_token)
{
    struct fix *f = setup(3, 1, 0);
    struct tok k;

    mk_token(&k, 101, 1, 0, (int32_t)RING_SEQ_WRAP + 1, 0, 101, 0);
    give_token(f, &k, 2);
    ck_assert_int_eq(rec_count(f, 'T'), 0);
    ck_assert_uint_eq(f->r.stats.tokens_dropped, 1);
    mk_token(&k, 101, 1, 0, 0, 0, 101, 0);      /* the round is still due */
    give_token(f, &k, 3);
    ck_assert_int_eq(rec_count(f, 'T'), 1);
    teardown(f);
}
END_TEST

START_TEST(conf_checked)
{
    struct ring_core *r = calloc(1, sizeof(*r));
    struct ring_conf c;

    ck_assert_ptr_nonnull(r);
    ring_conf_default(&c);
    c.n = 2;
    c.ids[0] = 101;
    c.ids[1] = 102;
    c.my_id = 102;
    c.my_index = 1;
    ck_assert_int_eq(ring_core_init(r, &c, &rec_ops, NULL), 0);
    ring_core_fini(r);
    c.my_id = 101;                      /* not ids[my_index] */
    ck_assert_int_eq(ring_core_init(r, &c, &rec_ops, NULL), -EINVAL);
    c.my_id = 102;
    c.ids[0] = 102;                     /* twice */
    ck_assert_int_eq(ring_core_init(r, &c, &rec_ops, NULL), -EINVAL);
    c.ids[0] = PKT_ID_NONE;
    ck_assert_int_eq(ring_core_init(r, &c, &rec_ops, NULL), -EINVAL);
    c.ids[0] = 101;
    c.leader_index = 2;
    ck_assert_int_eq(ring_core_init(r, &c, &rec_ops, NULL), -EINVAL);
    c.leader_index = 0;
    c.hurry_timeout_ms = c.token_timeout_ms;
    ck_assert_int_eq(ring_core_init(r, &c, &rec_ops, NULL), -EINVAL);
    free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ring_core");
    TCase *tc = tcase_create("token");
    TCase *dl = tcase_create("delivery");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, aru_lowered_to_my_aru);
    tcase_add_test(tc, aru_kept_or_raised);
    tcase_add_test(tc, own_request_block);
    tcase_add_test(tc, answers_by_destination);
    tcase_add_test(tc, unanswerable_marks_several);
    tcase_add_test(tc, nonleader_duplicates_and_resends);
    tcase_add_test(tc, leader_round_stamp);
    tcase_add_test(tc, last_member_sends_first_token);
    tcase_add_test(tc, leader_holds_idle_token);
    tcase_add_test(tc, hurry_and_submit_release);
    tcase_add_test(tc, hurry_timer_resends);
    tcase_add_test(tc, wide_area_resend_doubled);
    tcase_add_test(tc, nonleader_hurries_idle_leader);
    tcase_add_test(tc, poke_successor_once);
    tcase_add_test(tc, token_loss);
    tcase_add_test(tc, flow_control_bounds_new_packets);
    tcase_add_test(tc, accelerated_sends_after_token);
    tcase_add_test(tc, request_limits);
    suite_add_tcase(s, tc);
    tcase_set_timeout(dl, 10);
    tcase_add_test(dl, delivery_services);
    tcase_add_test(dl, data_acceptance);
    tcase_add_test(dl, early_reliable_off);
    tcase_add_test(tc, seq_wrap_drops_token);
    tcase_add_test(tc, conf_checked);
    suite_add_tcase(s, dl);
    return ck_run_suite(s);
}
