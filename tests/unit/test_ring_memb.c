/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/ring/memb_sm.h: many state machines against each
 * other over the in-memory network of memb_sim.c (fake clock, every
 * datagram through the packet codec). A daemon alone forms a singleton
 * ring; 2..16 daemons started at once or one after another converge on
 * one ring; a crash leads to a new ring within SegTimeout + GatherTimeout
 * + FormTimeout of the token loss; a partition gives two rings and the
 * heal one; failures during GATHER and FORM still converge; several
 * segments; the FORM ring records (holes, aru, highest seq, transitional
 * and commit sets, seq marker); the bounds on records and
 * representatives. The replays of the upstream captures are in
 * test_ring_memb_vec.c.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memb_sim.h"
#include "../lib/ckmain.h"

#define ALL(n) ((uint32_t)((1ull << (n)) - 1))
#define LAN_LOSS_TO_RING (500 + 1250 + 1250) /* Seg + Gather + Form */

static struct sim *one_segment(int n)
{
    int per[1];
    per[0] = n;
    return sim_new(per, 1, 0);
}

static void start_all(struct sim *s)
{
    int i;
    for (i = 0; i < s->n; i++)
        sim_start(s, i);
}

static void converge(struct sim *s, uint32_t set, uint64_t within)
{
    ck_assert_msg(sim_run_until(s, &set, 1, s->now + within),
                  "no single ring of %#x after %llu ms", (unsigned)set,
                  (unsigned long long)within);
    ck_assert_msg(s->bad == 0, "%s", s->why);
}

/* ---- formation --------------------------------------------------------- */

START_TEST(singleton)
{
    struct sim *s = one_segment(3);
    struct sim_node *d = &s->nd[0];

    sim_start(s, 0);
    sim_run(s, s->now + 5000);
    ck_assert_int_eq(msm_state(&d->m), MSM_OP);
    ck_assert_uint_eq(d->m.ring_n, 1);
    ck_assert_uint_eq(d->m.ring_ids[0], sim_id(0));
    ck_assert_uint_eq(d->m.ring_id.id, sim_id(0));
    /* README section 5: no FORM1 on the wire, FORM2 to itself twice. */
    ck_assert_uint_eq(s->sent[PKT_KIND_FORM1], 0);
    ck_assert_uint_eq(s->sent[PKT_KIND_FORM2], 2);
    ck_assert_uint_eq(s->sent[PKT_KIND_ALIVE], 2);
    ck_assert_int_eq(d->installs, 1);
    ck_assert_int_eq(d->last.in.last, 1);
    ck_assert_int_eq(d->last.in.seq_marker, 3333);
    ck_assert_int_eq(d->last.in.old_ring.time, -1);
    /* SegTimeout + GatherTimeout after the start. */
    ck_assert_uint_ge(d->t_op, 1000 + 1750);
    ck_assert_uint_le(d->t_op, 1000 + 1750 + 20);
    sim_free(s);
}
END_TEST

/* A daemon alone in its segment sends no ALIVE (rule 13). */
START_TEST(alone_in_segment)
{
    struct sim *s = one_segment(1);

    sim_start(s, 0);
    converge(s, 1, 3000);
    ck_assert_uint_eq(s->sent[PKT_KIND_ALIVE], 0);
    ck_assert_uint_eq(s->sent[PKT_KIND_JOIN], 0);
    sim_free(s);
}
END_TEST

START_TEST(at_once)
{
    int n = _i;
    struct sim *s = one_segment(n);
    int i;

    start_all(s);
    converge(s, ALL(n), 2000 + 50 * (uint64_t)n);
    for (i = 0; i < n; i++)
        ck_assert_int_eq(s->nd[i].installs, 1);
    /* One representative, the others represented: one FORM1 pass. */
    ck_assert_uint_eq(s->sent[PKT_KIND_FORM1], n > 1 ? 2 * (n - 1) : 0);
    ck_assert_uint_eq(s->nd[0].m.stats.forms_created, 1);
    sim_free(s);
}
END_TEST

static void staggered(int n, uint64_t gap)
{
    struct sim *s = one_segment(n);
    int i;

    for (i = 0; i < n; i++) {
        sim_start(s, i);
        sim_run(s, s->now + gap);
    }
    converge(s, ALL(n), 10000);
    sim_free(s);
}

START_TEST(one_after_another_fast)
{
    staggered(_i, 300);
}
END_TEST

START_TEST(one_after_another_slow)
{
    staggered(_i, 2600);
}
END_TEST

/* ---- failures ---------------------------------------------------------- */

static uint64_t first_loss(const struct sim *s, uint32_t set)
{
    uint64_t t = UINT64_MAX;
    int i;
    for (i = 0; i < s->n; i++)
        if (((set >> i) & 1) && s->nd[i].t_loss && s->nd[i].t_loss < t)
            t = s->nd[i].t_loss;
    return t;
}

static uint64_t last_op(const struct sim *s, uint32_t set)
{
    uint64_t t = 0;
    int i;
    for (i = 0; i < s->n; i++)
        if (((set >> i) & 1) && s->nd[i].t_op > t)
            t = s->nd[i].t_op;
    return t;
}

/* Crash daemon `victim` of a ring of n; the others form a ring within
 * Seg + Gather + Form of the first token loss (plus the few ms the FORM
 * tokens and the EVS rotations take on the fake network). */
static void crash_one(int n, int victim)
{
    struct sim *s = one_segment(n);
    uint32_t rest = ALL(n) & ~(1u << victim);
    uint64_t t0;

    start_all(s);
    converge(s, ALL(n), 3000);
    sim_run(s, s->now + 2000);
    sim_mark(s);
    t0 = s->now;
    sim_crash(s, victim);
    converge(s, rest, 8000);
    ck_assert_uint_ge(first_loss(s, rest), t0);
    /* Detection: TokenTimeout (the last token may be a hold old). */
    ck_assert_uint_le(first_loss(s, rest) - t0, SIM_TOKEN_MS + SIM_HURRY_MS);
    ck_assert_uint_le(last_op(s, rest) - first_loss(s, rest),
                      LAN_LOSS_TO_RING);
    sim_free(s);
}

START_TEST(crash_member)
{
    crash_one(5, 2);
}
END_TEST

START_TEST(crash_leader)
{
    crash_one(5, 0);
}
END_TEST

START_TEST(crash_last)
{
    crash_one(4, 3);
}
END_TEST

START_TEST(partition_and_heal)
{
    struct sim *s = one_segment(6);
    uint32_t a = 0x07, b = 0x38, sets[2] = {0x07, 0x38};

    start_all(s);
    converge(s, 0x3f, 3000);
    sim_cut(s, a, b, 1);
    ck_assert(sim_run_until(s, sets, 2, s->now + 8000));
    ck_assert(!sim_ring_is(s, 0x3f));
    sim_cut(s, a, b, 0);
    /* Idle: the leaders' lookups merge them (rule 66). */
    converge(s, 0x3f, 30000 + 1250 + 5000);
    sim_free(s);
}
END_TEST

/* Traffic after the heal: a foreign data packet at a leader starts the
 * lookup at once (rule 65). */
START_TEST(heal_by_foreign_data)
{
    struct sim *s = one_segment(5);
    uint32_t a = 0x07, b = 0x18, sets[2] = {0x07, 0x18};
    struct pkt p;

    start_all(s);
    converge(s, 0x1f, 3000);
    sim_cut(s, a, b, 1);
    ck_assert(sim_run_until(s, sets, 2, s->now + 8000));
    sim_cut(s, a, b, 0);
    sim_run(s, s->now + 10);
    memset(&p, 0, sizeof p);
    p.kind = PKT_KIND_DATA;
    p.u.data.h.mid = s->nd[3].m.ring_id;
    msm_foreign(&s->nd[0].m, &p, s->now);
    ck_assert_int_eq(msm_state(&s->nd[0].m), MSM_GATHER);
    converge(s, 0x1f, 1250 + 1000);
    sim_free(s);
}
END_TEST

/* A crash while the others gather (the representative itself), then
 * another while the FORM token travels. */
START_TEST(cascade)
{
    struct sim *s = one_segment(7);
    uint32_t live = ALL(7);
    int guard;

    start_all(s);
    converge(s, live, 3000);
    sim_run(s, s->now + 1000);
    sim_crash(s, 3);
    live &= ~(1u << 3);
    for (guard = 0; guard < 5000 && msm_state(&s->nd[0].m) != MSM_GATHER;
         guard++)
        sim_run(s, s->now + 1);
    sim_run(s, s->now + 300);
    sim_crash(s, 0); /* the segment representative, mid GATHER */
    live &= ~1u;
    for (guard = 0; guard < 10000 && msm_state(&s->nd[1].m) != MSM_FORM;
         guard++)
        sim_run(s, s->now + 1);
    ck_assert_int_eq(msm_state(&s->nd[1].m), MSM_FORM);
    sim_crash(s, 5); /* the FORM token is on its way */
    live &= ~(1u << 5);
    converge(s, live, 15000);
    /* The crashed daemons come back and are merged. */
    sim_start(s, 0);
    sim_start(s, 3);
    converge(s, live | 0x09, 10000);
    sim_free(s);
}
END_TEST

/* Crash in the middle of a FORM2 pass, over and over. */
START_TEST(crash_during_form2)
{
    struct sim *s = one_segment(6);
    uint32_t live = ALL(6);
    int guard, victim;

    start_all(s);
    converge(s, live, 3000);
    for (victim = 5; victim >= 3; victim--) {
        sim_crash(s, victim == 5 ? 1 : victim);
        live &= ~(1u << (victim == 5 ? 1 : victim));
        for (guard = 0; guard < 10000 && !(s->nd[2].have_pend &&
                                           msm_state(&s->nd[2].m) == MSM_FORM);
             guard++)
            sim_run(s, s->now + 1);
    }
    converge(s, live, 20000);
    sim_free(s);
}
END_TEST

static uint32_t rnd(uint64_t *st)
{
    *st = *st * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*st >> 33);
}

/* Crashes, restarts, partitions and heals at random moments (a fixed
 * seed per run); no ring id with two member lists, no ring installed
 * twice; once everything is healed and up again, one ring. */
static void chaos_run(int seed, uint32_t fast_mask, int icmp)
{
    int per[2] = {5, 3};
    struct sim *s = seed % 2 ? sim_new(per, 2, 1) : one_segment(8);
    uint64_t st = 0x9e3779b97f4a7c15ull * (uint64_t)(seed + 1);
    int round, i, up;

    s->fast_mask = fast_mask;
    s->icmp = icmp;
    start_all(s);
    for (round = 0; round < 30; round++) {
        uint32_t r = rnd(&st) % 10, mask;
        i = (int)(rnd(&st) % (uint32_t)s->n);
        for (up = 0, mask = 0; mask < (uint32_t)s->n; mask++)
            up += s->nd[mask].up;
        if (r < 3 && up > 1) {
            sim_crash(s, i);
        } else if (r < 6 && !s->nd[i].up) {
            sim_start(s, i);
        } else if (r < 8) {
            mask = rnd(&st) & ALL(s->n);
            sim_cut(s, mask, ALL(s->n) & ~mask, 1);
        } else {
            sim_cut(s, ALL(s->n), ALL(s->n), 0);
        }
        sim_run(s, s->now + rnd(&st) % 3000);
        ck_assert_msg(s->bad == 0, "%s", s->why);
    }
    sim_cut(s, ALL(s->n), ALL(s->n), 0);
    for (i = 0; i < s->n; i++)
        if (!s->nd[i].up)
            sim_start(s, i);
    converge(s, ALL(s->n), 120000);
    sim_free(s);
}

START_TEST(chaos)
{
    chaos_run(_i, 0, 0);
}
END_TEST

/* The same with Cohort's fast membership everywhere, and with a ring
 * that mixes it with upstream's timing (every other daemon), both with
 * dead daemons' ports answering. */
START_TEST(chaos_fast)
{
    chaos_run(_i, ALL(8), 1);
}
END_TEST

START_TEST(chaos_mixed)
{
    chaos_run(_i, 0x55, 1);
}
END_TEST

/* ---- Cohort's fast membership (memb_fast.c) ---------------------------- */

/* A crash in an idle ring of 5 whose host reports the dead port: the
 * token reaches the dead daemon within a hold period, and the others
 * need neither SegTimeout nor GatherTimeout. Upstream's timing takes
 * Seg + Gather (1750 ms) after the token loss. */
static void fast_crash(int victim, uint32_t fast_mask, uint64_t detect_ms,
                       uint64_t loss_to_ring_ms)
{
    struct sim *s = one_segment(5);
    uint32_t rest = ALL(5) & ~(1u << victim);
    uint64_t t0;

    s->fast_mask = fast_mask;
    s->icmp = 1;
    start_all(s);
    converge(s, ALL(5), 3000);
    sim_run(s, s->now + 2000);
    sim_mark(s);
    t0 = s->now;
    sim_crash(s, victim);
    converge(s, rest, 8000);
    ck_assert_uint_le(first_loss(s, rest) - t0, detect_ms);
    ck_assert_uint_le(last_op(s, rest) - first_loss(s, rest),
                      loss_to_ring_ms);
    sim_free(s);
}

START_TEST(fast_crash_member)
{
    fast_crash(2, ALL(5), SIM_HURRY_MS + 20, 50);
}
END_TEST

/* The fake core has no pokes: a dead leader is noticed by TokenTimeout,
 * then everything else is fast. */
START_TEST(fast_crash_leader)
{
    fast_crash(0, ALL(5), SIM_TOKEN_MS + SIM_HURRY_MS, 50);
}
END_TEST

/* Upstream daemons among them (1 and 3) end SEG and GATHER by their
 * timers only: the ring still forms, no faster than they let it. */
START_TEST(fast_crash_mixed)
{
    fast_crash(2, 0x15, SIM_TOKEN_MS + SIM_HURRY_MS, LAN_LOSS_TO_RING);
}
END_TEST

/* A partition gives no ICMP: SEG waits for the silent old members
 * (SegTimeout); the representative, alone in GATHER, forms at once. */
START_TEST(fast_partition_and_heal)
{
    struct sim *s = one_segment(6);
    uint32_t a = 0x07, b = 0x38, sets[2] = {0x07, 0x38};
    uint64_t t0;

    s->fast_mask = ALL(6);
    start_all(s);
    converge(s, 0x3f, 3000);
    sim_run(s, s->now + 2000);
    sim_mark(s);
    sim_cut(s, a, b, 1);
    ck_assert(sim_run_until(s, sets, 2, s->now + 8000));
    ck_assert_uint_le(last_op(s, a) - first_loss(s, a), 500 + 50);
    ck_assert_uint_le(last_op(s, b) - first_loss(s, b), 500 + 50);
    /* Idle: the leaders' probes merge them within about a second, not
     * at the next LookupTimeout (30 s). */
    sim_run(s, s->now + 3000);
    t0 = s->now;
    sim_cut(s, a, b, 0);
    converge(s, 0x3f, 1000 + 250 + 100);
    ck_assert_uint_le(last_op(s, 0x3f) - t0, 1000 + 250 + 100);
    sim_free(s);
}
END_TEST

/* Two segments (wide area), a dead daemon's port answering: the
 * segment representatives' JOINs cover their segments, so the smallest
 * forms without waiting for GatherTimeout (2500 ms). */
START_TEST(fast_two_segments_crash)
{
    int per[2] = {2, 2};
    struct sim *s = sim_new(per, 2, 1);
    uint32_t rest = 0x7;
    uint64_t t0;

    s->fast_mask = ALL(4);
    s->icmp = 1;
    start_all(s);
    converge(s, ALL(4), 10000);
    sim_run(s, s->now + 4000);
    sim_mark(s);
    t0 = s->now;
    sim_crash(s, 3);
    converge(s, rest, 10000);
    ck_assert_uint_le(first_loss(s, rest) - t0, 1500 + 100);
    ck_assert_uint_le(last_op(s, rest) - first_loss(s, rest), 100);
    sim_free(s);
}
END_TEST

/* A SEG in which everyone agrees ends at once, with the outcome
 * SegTimeout would give: the first daemon represents the segment. */
START_TEST(fast_seg_outcome)
{
    struct sim *s = one_segment(4);
    struct pkt_mid old;
    int i;

    s->fast_mask = ALL(4);
    start_all(s);
    converge(s, ALL(4), 3000);
    sim_run(s, s->now + 2000);
    old = s->nd[0].m.ring_id;
    msm_token_loss(&s->nd[2].m, s->now, "test");
    /* A few hops of ALIVEs, FORM1, FORM2 and EVS on the fake network. */
    converge(s, ALL(4), 40);
    ck_assert(s->nd[0].m.ring_id.time != old.time);
    ck_assert_uint_eq(s->nd[0].m.stats.forms_created, 2);
    for (i = 1; i < 4; i++)
        ck_assert_uint_eq(s->nd[i].m.stats.forms_created, 0);
    sim_free(s);
}
END_TEST

/* ---- several segments -------------------------------------------------- */

START_TEST(two_segments_at_once)
{
    int per[2] = {2, 2};
    struct sim *s = sim_new(per, 2, 1);

    start_all(s);
    converge(s, 0x0f, 8000);
    sim_free(s);
}
END_TEST

/* The 08 capture's order: n1 and n3 first, n2 and n4 seven seconds
 * later; REFERs send them to the ring's leader. */
START_TEST(two_segments_staggered)
{
    int per[2] = {2, 2};
    struct sim *s = sim_new(per, 2, 1);

    sim_start(s, 0);
    sim_run(s, s->now + 500);
    sim_start(s, 2);
    converge(s, 0x05, 5000);
    sim_run(s, s->now + 4000);
    sim_start(s, 1);
    sim_run(s, s->now + 500);
    sim_start(s, 3);
    converge(s, 0x0f, 10000);
    ck_assert_uint_gt(s->sent[PKT_KIND_REFER], 0);
    sim_free(s);
}
END_TEST

START_TEST(three_segments_crash)
{
    int per[3] = {3, 2, 2};
    struct sim *s = sim_new(per, 3, 1);

    start_all(s);
    converge(s, 0x7f, 10000);
    sim_run(s, s->now + 3000);
    sim_crash(s, 3); /* the first daemon of segment 1 */
    converge(s, 0x77, 5000 + 1500 + 500 + 2500 + 2500 + 1000);
    sim_start(s, 3);
    converge(s, 0x7f, 45000 + 2500 + 5000);
    sim_free(s);
}
END_TEST

static int lost_token(const struct sim_node *d)
{
    enum msm_state st = msm_state(&d->m);

    return st == MSM_SEG || st == MSM_REPRESENTED || st == MSM_GATHER;
}

/* Rule 49: after a failed merge of two rings, one per segment, their
 * daemons still know the daemons of the other segment that the attempt
 * had; JOINs to those bring them together again at once. They used to
 * fall back to the first daemon of their old ring there (none) or the
 * segment's first configured daemon (down here), and stayed two rings
 * until the next LookupTimeout, 45 s later (evssim seed 968). */
START_TEST(two_segments_failed_merge)
{
    int per[2] = {3, 3};
    struct sim *s = sim_new(per, 2, 1);
    uint32_t sets[2] = {0x06, 0x30};
    int guard;

    /* The first daemon of each segment never runs; the segments form
     * a ring each, then see each other again. */
    sim_cut(s, 0x07, 0x38, 1);
    sim_start(s, 1);
    sim_start(s, 2);
    sim_start(s, 4);
    sim_start(s, 5);
    ck_assert(sim_run_until(s, sets, 2, s->now + 10000));
    sim_cut(s, 0x07, 0x38, 0);
    /* The lookup merges them: break the attempt once every daemon has
     * processed its FORM2, then heal while they gather again. */
    for (guard = 0; guard < 60000 &&
         !(s->nd[1].m.next_n == 4 && s->nd[2].m.next_n == 4 &&
           s->nd[4].m.next_n == 4 && s->nd[5].m.next_n == 4); guard++)
        sim_run(s, s->now + 1);
    ck_assert_int_lt(guard, 60000);
    sim_cut(s, 0x07, 0x38, 1);
    for (guard = 0; guard < 20000 &&
         !(lost_token(&s->nd[1]) && lost_token(&s->nd[4])); guard++)
        sim_run(s, s->now + 1);
    ck_assert_int_lt(guard, 20000);
    sim_cut(s, 0x07, 0x38, 0);
    converge(s, 0x36, 500 + 2500 + 2500 + 2500);
    sim_free(s);
}
END_TEST

/* Rule 65: a non-leader leading its segment forwards the first foreign
 * data packet to the ring leader, twice. */
START_TEST(foreign_forwarded_once)
{
    int per[2] = {2, 2};
    struct sim *s = sim_new(per, 2, 1);
    struct pkt p;

    start_all(s);
    converge(s, 0x0f, 8000);
    memset(&p, 0, sizeof p);
    p.kind = PKT_KIND_DATA;
    p.u.data.h.type = PKT_AGREED;
    p.u.data.h.mid.id = 77;
    p.u.data.h.mid.time = 5;
    p.u.data.nfrags = 1;
    {
        static const unsigned char body[48] = {0x80, 0, 0, 0x80};
        p.u.data.frags[0].index = -1;
        p.u.data.frags[0].len = sizeof body;
        p.u.data.frags[0].bytes = body;
        p.u.data.h.frag_index = -1;
        p.u.data.h.frag_len = sizeof body;
    }
    msm_foreign(&s->nd[3].m, &p, s->now); /* not leading segment 1 */
    ck_assert_uint_eq(s->sent[PKT_KIND_DATA], 0);
    msm_foreign(&s->nd[2].m, &p, s->now);
    ck_assert_uint_eq(s->sent[PKT_KIND_DATA], 2);
    msm_foreign(&s->nd[2].m, &p, s->now);
    ck_assert_uint_eq(s->sent[PKT_KIND_DATA], 2);
    sim_free(s);
}
END_TEST

/* ---- FORM ring records ------------------------------------------------- */

static const int32_t n1_lacks[8] = {40, 43, 44, 46, 47, 50, 52, 53};

/* The 04 capture's crash: old ring aru 39, highest 54; n1 lacks 8 of
 * n3's last 15 packets, n2 all of them; n3 dies. The holes are what
 * both lack, the marker 54 + 3333, both are transitional. */
START_TEST(record_holes_04)
{
    struct sim *s = one_segment(3);
    struct pkt_mid old;
    int i, k;

    start_all(s);
    converge(s, 0x07, 3000);
    old = s->nd[0].m.ring_id;
    for (i = 0; i < 2; i++) {
        struct sim_node *d = &s->nd[i];
        d->aru = d->my_aru = 39;
        d->highest = 54;
        if (i == 0) {
            memcpy(d->missing, n1_lacks, sizeof n1_lacks);
            d->nmissing = 8;
        } else {
            for (k = 0; k < 15; k++)
                d->missing[k] = 40 + k;
            d->nmissing = 15;
        }
    }
    sim_crash(s, 2);
    converge(s, 0x03, 6000);
    for (i = 0; i < 2; i++) {
        const struct msm_install *in = &s->nd[i].last.in;
        ck_assert_int_eq(in->seq_marker, 54 + 3333);
        ck_assert_uint_eq(in->old_ring.id, old.id);
        ck_assert_int_eq(in->old_ring.time, old.time);
        ck_assert_int_eq(in->old_aru, 39);
        ck_assert_int_eq(in->old_highest, 54);
        ck_assert_uint_eq(in->nholes, 8);
        ck_assert_mem_eq(in->holes, n1_lacks, sizeof n1_lacks);
        ck_assert_uint_eq(in->ntrans, 2);
        ck_assert_uint_eq(in->trans[0], sim_id(0));
        ck_assert_uint_eq(in->trans[1], sim_id(1));
        ck_assert_uint_eq(in->ncommit, 2);
        ck_assert_uint_eq(in->trans_id.id, sim_id(0));
        ck_assert_int_gt(in->trans_id.time, 0);
        ck_assert_uint_eq(in->n, 2);
        ck_assert_uint_eq(in->my_index, (unsigned)i);
        ck_assert_int_eq(in->last, i == 1);
        ck_assert_uint_eq(in->ring_id.id, sim_id(0));
        /* First member: T for the transitional time, T + 1 for the id. */
        ck_assert_int_eq(in->ring_id.time, in->trans_id.time + 1);
    }
    sim_free(s);
}
END_TEST

/* Holes shrink to what a later visitor lacks too, and grow by what it
 * lacks above the recorded highest seq; aru and highest take the
 * maximum; a kept commit set travels along. */
START_TEST(record_merge_rules)
{
    struct sim *s = one_segment(3);
    struct sim_node *a = &s->nd[0], *b = &s->nd[1];
    const struct msm_install *in;

    start_all(s);
    converge(s, 0x07, 3000);
    a->aru = 40;
    a->my_aru = 44;
    a->highest = 50;
    a->missing[0] = 45;
    a->missing[1] = 48;
    a->nmissing = 2;
    b->aru = 42;
    b->my_aru = 44;
    b->highest = 54;
    b->missing[0] = 45;
    b->missing[1] = 52;
    b->nmissing = 2;
    b->commit[0] = sim_id(2);
    b->ncommit = 1;
    sim_crash(s, 2);
    converge(s, 0x03, 6000);
    in = &a->last.in;
    ck_assert_int_eq(in->old_aru, 42);
    ck_assert_int_eq(in->old_highest, 54);
    ck_assert_uint_eq(in->nholes, 2);
    ck_assert_int_eq(in->holes[0], 45);
    ck_assert_int_eq(in->holes[1], 52);
    ck_assert_int_eq(in->seq_marker, 54 + 3333);
    ck_assert_uint_eq(in->ntrans, 2);
    ck_assert_uint_eq(in->ncommit, 3);
    ck_assert_uint_eq(in->commit[2], sim_id(2));
    ck_assert_mem_eq(&b->last.in.old_aru, &in->old_aru, sizeof in->old_aru);
    ck_assert_uint_eq(b->last.in.nholes, 2);
    sim_free(s);
}
END_TEST

/* Two old rings merge: one record each, each daemon's own in its
 * install, the marker above both. */
START_TEST(record_two_rings)
{
    struct sim *s = one_segment(4);
    struct pkt_mid ra, rb;
    uint32_t sets[2] = {0x03, 0x0c};
    int i;

    start_all(s);
    converge(s, 0x0f, 3000);
    sim_cut(s, 0x03, 0x0c, 1);
    ck_assert(sim_run_until(s, sets, 2, s->now + 8000));
    ra = s->nd[0].m.ring_id;
    rb = s->nd[2].m.ring_id;
    for (i = 0; i < 4; i++) {
        s->nd[i].aru = s->nd[i].my_aru = s->nd[i].highest = i < 2 ? 10 : 5;
    }
    sim_cut(s, 0x03, 0x0c, 0);
    converge(s, 0x0f, 40000);
    for (i = 0; i < 4; i++) {
        const struct msm_install *in = &s->nd[i].last.in;
        struct pkt_mid r = i < 2 ? ra : rb;
        ck_assert_int_eq(in->seq_marker, 10 + 3333);
        ck_assert_uint_eq(in->old_ring.id, r.id);
        ck_assert_int_eq(in->old_ring.time, r.time);
        ck_assert_uint_eq(in->ntrans, 2);
        ck_assert_uint_eq(in->trans[0], sim_id(i < 2 ? 0 : 2));
        ck_assert_uint_eq(in->trans_id.id, sim_id(i < 2 ? 0 : 2));
        ck_assert_int_eq(in->old_highest, i < 2 ? 10 : 5);
        ck_assert_uint_eq(in->n, 4);
    }
    sim_free(s);
}
END_TEST

/* ---- bounds ------------------------------------------------------------ */

/* 21 fresh daemons are 21 old rings: the one whose record does not fit
 * leaves the attempt, and joins the ring of 20 afterwards. */
START_TEST(twenty_one_records)
{
    struct sim *s = one_segment(21);
    int i;
    uint64_t left = 0;

    start_all(s);
    converge(s, ALL(20), 4000);
    for (i = 0; i < 21; i++)
        left += s->nd[i].m.stats.forms_left;
    ck_assert_uint_eq(left, 1);
    ck_assert_uint_eq(s->nd[20].m.stats.forms_left, 1);
    converge(s, ALL(21), 6000);
    sim_free(s);
}
END_TEST

struct capture {
    struct pkt last_join;
    int joins;
};

static void cap_send(void *ctx, enum msm_dest how, uint32_t to,
                     const struct pkt *p, unsigned copies)
{
    struct capture *c = ctx;
    (void)how;
    (void)to;
    (void)copies;
    if (p->kind == PKT_KIND_JOIN) {
        c->last_join = *p;
        c->joins++;
    }
}

static void cap_query(void *ctx, struct msm_ring_state *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
    out->ring_id.id = 1;
    out->ring_id.time = -1;
}

static void cap_install(void *ctx, const struct msm_install *in)
{
    (void)ctx;
    (void)in;
}

/* At most 25 representatives on a JOIN; a 26th JOIN is not listed. */
START_TEST(reps_bounded)
{
    static struct msm m;
    static struct capture c;
    struct msm_ops ops = {cap_send, cap_query, cap_install, NULL};
    struct msm_conf conf;
    struct pkt p;
    unsigned i;

    memset(&conf, 0, sizeof conf);
    conf.n = 40;
    for (i = 0; i < conf.n; i++) {
        conf.ids[i] = 1 + i;
        conf.segs[i] = 0;
    }
    conf.my_id = 1;
    msm_timeouts_default(&conf, 0);
    ck_assert_int_eq(msm_init(&m, &conf, &ops, &c), 0);
    msm_start(&m, 0);
    msm_tick(&m, 500);
    ck_assert_int_eq(msm_state(&m), MSM_GATHER);
    for (i = 0; i < 30; i++) {
        memset(&p, 0, sizeof p);
        p.kind = PKT_KIND_JOIN;
        p.u.memb.h.type = PKT_JOIN;
        p.u.memb.h.transmitter = p.u.memb.h.originator = 10 + i;
        p.u.memb.members.nmembers = 1;
        p.u.memb.members.ids[0] = 10 + i;
        p.u.memb.reps.nreps = 1;
        p.u.memb.reps.r[0].id = 10 + i;
        p.u.memb.reps.r[0].kind = PKT_REP_SEG;
        ck_assert_int_eq(msm_receive(&m, &p, 600), 0);
    }
    msm_tick(&m, 750);
    ck_assert_int_gt(c.joins, 0);
    ck_assert_int_eq(c.last_join.u.memb.reps.nreps, PKT_MAX_REPS);
    msm_fini(&m);
}
END_TEST

/* A restarted daemon does not reuse the membership id its previous
 * incarnation gave a ring in the same second: the first id it can make
 * is past the second it starts in (the old code started from 0 and used
 * the current second). */
START_TEST(first_id_past_start_second)
{
    static struct msm m;
    static struct capture c;
    struct msm_ops ops = {cap_send, cap_query, cap_install, NULL};
    struct msm_conf conf;

    memset(&conf, 0, sizeof conf);
    conf.n = 2;
    conf.ids[0] = 1;
    conf.ids[1] = 2;
    conf.my_id = 1;
    conf.wall_offset_ms = 1700000000000LL;
    msm_timeouts_default(&conf, 0);
    ck_assert_int_eq(msm_init(&m, &conf, &ops, &c), 0);
    msm_start(&m, 1500);
    ck_assert_int_eq(m.last_time, 1700000001);
    msm_fini(&m);
}
END_TEST

/* Bad configurations and ops are refused; names and the default
 * timeouts. */
START_TEST(init_checks)
{
    static struct msm m;
    struct msm_ops ops = {cap_send, cap_query, cap_install, NULL};
    struct msm_conf conf;

    memset(&conf, 0, sizeof conf);
    conf.n = 2;
    conf.ids[0] = 5;
    conf.ids[1] = 6;
    conf.my_id = 7;
    msm_timeouts_default(&conf, 0);
    ck_assert_int_eq(conf.timeout_ms[MSM_TO_GATHER], 1250);
    ck_assert_int_eq(msm_init(&m, &conf, &ops, NULL), -EINVAL);
    conf.my_id = 6;
    conf.ids[1] = 5;
    ck_assert_int_eq(msm_init(&m, &conf, &ops, NULL), -EINVAL);
    conf.ids[1] = 6;
    ops.query = NULL;
    ck_assert_int_eq(msm_init(&m, &conf, &ops, NULL), -EINVAL);
    ops.query = cap_query;
    ck_assert_int_eq(msm_init(&m, &conf, &ops, NULL), 0);
    ck_assert_int_eq(msm_next_deadline(&m), UINT64_MAX);
    msm_fini(&m);
    msm_timeouts_default(&conf, 1);
    ck_assert_int_eq(conf.timeout_ms[MSM_TO_LOOKUP], 45000);
    ck_assert_str_eq(msm_state_name(MSM_REPRESENTED), "REPRESENTED");
    ck_assert_str_eq(msm_state_name((enum msm_state)0), "NONE");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ring_memb");
    TCase *tc = tcase_create("form");
    TCase *tf = tcase_create("failures");
    TCase *tr = tcase_create("records");

    tcase_set_timeout(tc, 120);
    tcase_set_timeout(tf, 120);
    tcase_set_timeout(tr, 120);
    tcase_add_test(tc, singleton);
    tcase_add_test(tc, alone_in_segment);
    tcase_add_loop_test(tc, at_once, 2, 17);
    tcase_add_loop_test(tc, one_after_another_fast, 2, 17);
    tcase_add_loop_test(tc, one_after_another_slow, 2, 9);
    tcase_add_test(tc, two_segments_at_once);
    tcase_add_test(tc, two_segments_staggered);
    tcase_add_test(tc, two_segments_failed_merge);
    tcase_add_test(tc, init_checks);
    suite_add_tcase(s, tc);
    tcase_add_test(tf, crash_member);
    tcase_add_test(tf, crash_leader);
    tcase_add_test(tf, crash_last);
    tcase_add_test(tf, partition_and_heal);
    tcase_add_test(tf, heal_by_foreign_data);
    tcase_add_test(tf, cascade);
    tcase_add_test(tf, crash_during_form2);
    tcase_add_test(tf, three_segments_crash);
    tcase_add_test(tf, foreign_forwarded_once);
    tcase_add_loop_test(tf, chaos, 0, 40);
    tcase_add_loop_test(tf, chaos_fast, 0, 40);
    tcase_add_loop_test(tf, chaos_mixed, 0, 40);
    tcase_add_test(tf, fast_crash_member);
    tcase_add_test(tf, fast_crash_leader);
    tcase_add_test(tf, fast_crash_mixed);
    tcase_add_test(tf, fast_partition_and_heal);
    tcase_add_test(tf, fast_seg_outcome);
    tcase_add_test(tf, fast_two_segments_crash);
    suite_add_tcase(s, tf);
    tcase_add_test(tr, record_holes_04);
    tcase_add_test(tr, record_merge_rules);
    tcase_add_test(tr, record_two_rings);
    tcase_add_test(tr, twenty_one_records);
    tcase_add_test(tr, reps_bounded);
    tcase_add_test(tr, first_id_past_start_second);
    suite_add_tcase(s, tr);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
