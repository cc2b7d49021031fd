/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * The daemon-level EVS checker (evslog.h) on hand-made logs: a run of
 * three daemons (a partition and a merge) that keeps every property, and
 * for every property a variant that breaks it and must be flagged.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "evslog.h"
#include "../lib/ckmain.h"

#define A 1u
#define B 2u
#define C 3u

struct t {
    struct evslog *e;
    int log[8];
    char why[512];
};

/* Payload id: sender daemon and counter. */
#define PID(d, k) (((uint64_t)(d) << 32) | (k))

static void t_init(struct t *t, unsigned ndaemons)
{
    unsigned i;

    ck_assert_int_eq(evslog_new(&t->e), 0);
    for (i = 0; i < ndaemons; i++)
        t->log[i] = evslog_open(t->e, i + 1);
}

/* A view at daemon d's log: members as a list ending in 0. */
static void view(struct t *t, int l, int trans, uint32_t id, int32_t time,
                 const uint32_t *m)
{
    struct evslog_view v;

    memset(&v, 0, sizeof(v));
    v.transitional = trans;
    v.id = id;
    v.time = time;
    while (m[v.n])
        v.ids[v.n] = m[v.n], v.n++;
    ck_assert_int_eq(evslog_view(t->e, t->log[l], &v), 0);
}

static void sent(struct t *t, int l, uint64_t pid, uint32_t svc)
{
    ck_assert_int_eq(evslog_sent(t->e, t->log[l], pid, svc), 0);
}

static void dlv(struct t *t, int l, uint64_t pid, uint32_t svc)
{
    ck_assert_int_eq(evslog_deliver(t->e, t->log[l], (uint32_t)(pid >> 32),
                                    pid, svc), 0);
}

static const uint32_t ABC[] = { A, B, C, 0 }, AB[] = { A, B, 0 },
    CC[] = { C, 0 }, AA[] = { A, 0 }, BB[] = { B, 0 };

#define M1 PID(A, 0)
#define M2 PID(B, 0)
#define M3 PID(C, 0)
#define M4 PID(A, 1)
#define M5 PID(C, 1)
#define M6 PID(B, 1)

/* The base run: C1 = {A,B,C}; C splits off (C2 = {A,B}, C3 = {C});
 * they merge into C4. `cut` stops it after step k (1: C1 only, 2: after
 * the split, 3: all). */
static void base(struct t *t, int cut)
{
    int l;

    t_init(t, 3);
    sent(t, 0, M1, EVSLOG_AGREED);
    sent(t, 1, M2, EVSLOG_SAFE);
    sent(t, 2, M3, EVSLOG_RELIABLE);
    for (l = 0; l < 3; l++) {
        view(t, l, 0, A, 100, ABC);
        if (l == 2)
            dlv(t, l, M3, EVSLOG_RELIABLE);
        dlv(t, l, M1, EVSLOG_AGREED);
        dlv(t, l, M2, EVSLOG_SAFE);
        if (l != 2)
            dlv(t, l, M3, EVSLOG_RELIABLE);
    }
    if (cut < 2)
        return;
    sent(t, 0, M4, EVSLOG_FIFO);
    sent(t, 2, M5, EVSLOG_AGREED);
    for (l = 0; l < 2; l++) {
        view(t, l, 1, A, 101, AB);
        view(t, l, 0, A, 102, AB);
        dlv(t, l, M4, EVSLOG_FIFO);
    }
    view(t, 2, 1, C, 101, CC);
    view(t, 2, 0, C, 102, CC);
    dlv(t, 2, M5, EVSLOG_AGREED);
    if (cut < 3)
        return;
    sent(t, 1, M6, EVSLOG_SAFE);
    view(t, 0, 1, A, 103, AB);
    view(t, 1, 1, A, 103, AB);
    view(t, 2, 1, C, 103, CC);
    for (l = 0; l < 3; l++) {
        view(t, l, 0, A, 104, ABC);
        dlv(t, l, M6, EVSLOG_SAFE);
    }
}

static int check(struct t *t)
{
    int rc = evslog_check(t->e, t->why, sizeof(t->why));

    ck_assert_int_ge(rc, 0);
    return rc;
}

/* Property p (alone or with others) is flagged. */
static void expect(struct t *t, int p)
{
    int rc = check(t);

    ck_assert_msg(rc & (1 << p), "%s not flagged (mask %#x: %s)",
                  evslog_prop_name(p), (unsigned)rc, t->why);
    ck_assert_str_ne(t->why, "");
    evslog_free(t->e);
}

/* Only property p is flagged. */
static void expect_only(struct t *t, int p)
{
    int rc = check(t);

    ck_assert_msg(rc == (1 << p), "wanted only %s, got mask %#x: %s",
                  evslog_prop_name(p), (unsigned)rc, t->why);
    evslog_free(t->e);
}

START_TEST(valid_run)
{
    struct t t;
    int live[3];
    struct evslog_stats st;

    base(&t, 3);
    ck_assert_msg(check(&t) == 0, "%s", t.why);
    memcpy(live, t.log, sizeof(live));
    ck_assert_int_eq(evslog_check_live(t.e, live, 3, t.why, sizeof(t.why)),
                     0);
    evslog_stats(t.e, &st);
    ck_assert_uint_eq(st.logs, 3);
    ck_assert_uint_eq(st.regular_confs, 4);
    ck_assert_uint_eq(st.sent, 6);
    evslog_free(t.e);
}
END_TEST

/* A fresh daemon may start with a transitional view of itself. */
START_TEST(valid_startup_trans)
{
    struct t t;

    t_init(&t, 2);
    view(&t, 0, 1, A, -1, AA);
    view(&t, 0, 0, A, 5, AB);
    view(&t, 1, 1, B, -1, BB);
    view(&t, 1, 0, A, 5, AB);
    ck_assert_msg(check(&t) == 0, "%s", t.why);
    evslog_free(t.e);
}
END_TEST

START_TEST(p1_installed_twice)
{
    struct t t;
    int l;

    base(&t, 3);
    /* A restarted incarnation of A installs C1 again. */
    l = evslog_open(t.e, A);
    t.log[3] = l;
    view(&t, 3, 0, A, 100, ABC);
    expect_only(&t, EVS_UNIQUE_IDS);
}
END_TEST

START_TEST(p2_members_differ)
{
    static const uint32_t ACB[] = { A, C, B, 0 };
    struct t t;

    t_init(&t, 3);
    view(&t, 0, 0, A, 100, ABC);
    view(&t, 1, 0, A, 100, ABC);
    view(&t, 2, 0, A, 100, ACB);
    expect_only(&t, EVS_CONSISTENT_CONF);
}
END_TEST

START_TEST(p2_without_itself)
{
    struct t t;

    t_init(&t, 3);
    view(&t, 2, 0, A, 100, AB);
    expect(&t, EVS_CONSISTENT_CONF);
}
END_TEST

START_TEST(p3_two_configurations)
{
    struct t t;
    int l;

    t_init(&t, 2);
    sent(&t, 0, M1, EVSLOG_AGREED);
    for (l = 0; l < 2; l++)
        view(&t, l, 0, A, 100, AB);
    dlv(&t, 0, M1, EVSLOG_AGREED);
    for (l = 0; l < 2; l++) {
        view(&t, l, 1, A, 101, AB);
        view(&t, l, 0, A, 102, AB);
    }
    dlv(&t, 1, M1, EVSLOG_AGREED);     /* one configuration too late */
    expect(&t, EVS_ONE_CONF);
}
END_TEST

START_TEST(p3_sides_of_trans)
{
    struct t t;
    int l;

    t_init(&t, 2);
    sent(&t, 0, M1, EVSLOG_AGREED);
    for (l = 0; l < 2; l++)
        view(&t, l, 0, A, 100, AB);
    dlv(&t, 0, M1, EVSLOG_AGREED);
    for (l = 0; l < 2; l++)
        view(&t, l, 1, A, 101, AB);
    dlv(&t, 1, M1, EVSLOG_AGREED);     /* after T here, before T at A */
    expect(&t, EVS_ONE_CONF);
}
END_TEST

/* Different transitional configurations may differ on the side. */
START_TEST(p3_sides_differ_across_components)
{
    struct t t;
    int l;

    t_init(&t, 2);
    sent(&t, 0, M1, EVSLOG_AGREED);
    for (l = 0; l < 2; l++)
        view(&t, l, 0, A, 100, AB);
    dlv(&t, 0, M1, EVSLOG_AGREED);
    view(&t, 0, 1, A, 101, AA);
    view(&t, 1, 1, B, 101, BB);
    dlv(&t, 1, M1, EVSLOG_AGREED);
    view(&t, 0, 0, A, 102, AA);
    view(&t, 1, 0, B, 102, BB);
    ck_assert_msg(check(&t) == 0, "%s", t.why);
    evslog_free(t.e);
}
END_TEST

START_TEST(p4_duplicate)
{
    struct t t;

    base(&t, 1);
    dlv(&t, 1, M1, EVSLOG_AGREED);
    expect(&t, EVS_INTEGRITY);
}
END_TEST

START_TEST(p4_never_sent)
{
    struct t t;

    base(&t, 1);
    dlv(&t, 1, PID(B, 7), EVSLOG_AGREED);
    expect(&t, EVS_INTEGRITY);
}
END_TEST

START_TEST(p4_wrong_originator)
{
    struct t t;

    base(&t, 1);
    sent(&t, 0, M4, EVSLOG_AGREED);
    ck_assert_int_eq(evslog_deliver(t.e, t.log[0], B, M4, EVSLOG_AGREED), 0);
    expect(&t, EVS_INTEGRITY);
}
END_TEST

START_TEST(p4_wrong_service)
{
    struct t t;

    base(&t, 1);
    sent(&t, 0, M4, EVSLOG_AGREED);
    dlv(&t, 0, M4, EVSLOG_SAFE);
    expect(&t, EVS_INTEGRITY);
}
END_TEST

START_TEST(p5_not_delivered_by_sender)
{
    struct t t;

    base(&t, 3);
    sent(&t, 0, PID(A, 9), EVSLOG_AGREED);
    expect_only(&t, EVS_SELF_DELIVERY);
}
END_TEST

START_TEST(p5_killed_sender_excused)
{
    struct t t;

    base(&t, 3);
    sent(&t, 0, PID(A, 9), EVSLOG_AGREED);
    evslog_killed(t.e, t.log[0]);
    ck_assert_msg(check(&t) == 0, "%s", t.why);
    evslog_free(t.e);
}
END_TEST

START_TEST(p6_one_misses_a_message)
{
    struct t t;
    int l;

    t_init(&t, 2);
    sent(&t, 0, M1, EVSLOG_RELIABLE);
    for (l = 0; l < 2; l++)
        view(&t, l, 0, A, 100, AB);
    for (l = 0; l < 2; l++)
        view(&t, l, 1, A, 101, AB);
    dlv(&t, 0, M1, EVSLOG_RELIABLE);   /* after T: only A has it */
    for (l = 0; l < 2; l++)
        view(&t, l, 0, A, 102, AB);
    expect_only(&t, EVS_FAILURE_ATOMICITY);
}
END_TEST

START_TEST(p7_two_orders)
{
    struct t t;
    int l;

    t_init(&t, 2);
    sent(&t, 0, M1, EVSLOG_AGREED);
    sent(&t, 1, M2, EVSLOG_AGREED);
    for (l = 0; l < 2; l++)
        view(&t, l, 0, A, 100, AB);
    dlv(&t, 0, M1, EVSLOG_AGREED);
    dlv(&t, 0, M2, EVSLOG_AGREED);
    dlv(&t, 1, M2, EVSLOG_AGREED);
    dlv(&t, 1, M1, EVSLOG_AGREED);
    expect_only(&t, EVS_TOTAL_ORDER);
}
END_TEST

/* Pairwise consistent, globally cyclic: a<b at A, b<c at B, c<a at C. */
START_TEST(p7_three_cycle)
{
    struct t t;
    int l;

    t_init(&t, 3);
    sent(&t, 0, M1, EVSLOG_AGREED);
    sent(&t, 1, M2, EVSLOG_AGREED);
    sent(&t, 2, M3, EVSLOG_AGREED);
    for (l = 0; l < 3; l++)
        view(&t, l, 0, A, 100, ABC);
    dlv(&t, 0, M1, EVSLOG_AGREED);
    dlv(&t, 0, M2, EVSLOG_AGREED);
    dlv(&t, 1, M2, EVSLOG_AGREED);
    dlv(&t, 1, M3, EVSLOG_AGREED);
    dlv(&t, 2, M3, EVSLOG_AGREED);
    dlv(&t, 2, M1, EVSLOG_AGREED);
    /* Also gaps and self delivery: the logs end here, nobody finished. */
    expect(&t, EVS_TOTAL_ORDER);
}
END_TEST

/* RELIABLE messages are delivered early, in any order. */
START_TEST(p7_reliable_any_order)
{
    struct t t;
    int l;

    t_init(&t, 2);
    sent(&t, 0, M1, EVSLOG_RELIABLE);
    sent(&t, 1, M2, EVSLOG_RELIABLE);
    for (l = 0; l < 2; l++)
        view(&t, l, 0, A, 100, AB);
    dlv(&t, 0, M1, EVSLOG_RELIABLE);
    dlv(&t, 0, M2, EVSLOG_RELIABLE);
    dlv(&t, 1, M2, EVSLOG_RELIABLE);
    dlv(&t, 1, M1, EVSLOG_RELIABLE);
    ck_assert_msg(check(&t) == 0, "%s", t.why);
    evslog_free(t.e);
}
END_TEST

START_TEST(p7_sender_order)
{
    struct t t;

    t_init(&t, 1);
    sent(&t, 0, M1, EVSLOG_AGREED);
    sent(&t, 0, M4, EVSLOG_SAFE);
    view(&t, 0, 0, A, 100, AA);
    dlv(&t, 0, M4, EVSLOG_SAFE);
    dlv(&t, 0, M1, EVSLOG_AGREED);
    expect_only(&t, EVS_TOTAL_ORDER);
}
END_TEST

/* B delivers M2 in the regular part without M1, which A delivered
 * before M2; B's log then ends (the run ended), so atomicity does not
 * apply. */
START_TEST(p8_regular_gap)
{
    struct t t;
    int l;

    t_init(&t, 2);
    sent(&t, 0, M1, EVSLOG_AGREED);
    sent(&t, 1, M2, EVSLOG_AGREED);
    for (l = 0; l < 2; l++)
        view(&t, l, 0, A, 100, AB);
    dlv(&t, 0, M1, EVSLOG_AGREED);
    dlv(&t, 0, M2, EVSLOG_AGREED);
    dlv(&t, 1, M2, EVSLOG_AGREED);
    expect_only(&t, EVS_NO_GAPS);
}
END_TEST

/* A gap after the transitional signal is allowed when nobody of the
 * transitional configuration had the message. */
START_TEST(p8_trans_hole_allowed)
{
    struct t t;
    int l;

    t_init(&t, 3);
    sent(&t, 2, M3, EVSLOG_AGREED);
    sent(&t, 0, M1, EVSLOG_AGREED);
    for (l = 0; l < 3; l++)
        view(&t, l, 0, A, 100, ABC);
    dlv(&t, 2, M3, EVSLOG_AGREED);
    dlv(&t, 2, M1, EVSLOG_AGREED);
    evslog_killed(t.e, t.log[2]);
    for (l = 0; l < 2; l++) {
        view(&t, l, 1, A, 101, AB);
        dlv(&t, l, M1, EVSLOG_AGREED);
        view(&t, l, 0, A, 102, AB);
    }
    ck_assert_msg(check(&t) == 0, "%s", t.why);
    evslog_free(t.e);
}
END_TEST

/* ... and flagged when a partner of the transitional configuration had
 * it: here B got M3 (its log ends in the transitional part). */
START_TEST(p8_trans_gap)
{
    struct t t;
    int l;

    t_init(&t, 3);
    sent(&t, 2, M3, EVSLOG_AGREED);
    sent(&t, 0, M1, EVSLOG_AGREED);
    for (l = 0; l < 3; l++)
        view(&t, l, 0, A, 100, ABC);
    dlv(&t, 2, M3, EVSLOG_AGREED);
    dlv(&t, 2, M1, EVSLOG_AGREED);
    evslog_killed(t.e, t.log[2]);
    view(&t, 0, 1, A, 101, AB);
    dlv(&t, 0, M1, EVSLOG_AGREED);
    view(&t, 1, 1, A, 101, AB);
    dlv(&t, 1, M3, EVSLOG_AGREED);
    dlv(&t, 1, M1, EVSLOG_AGREED);
    evslog_killed(t.e, t.log[1]);
    expect(&t, EVS_NO_GAPS);
}
END_TEST

START_TEST(p9_safe_member_moves_on_without)
{
    struct t t;
    int l;

    t_init(&t, 3);
    sent(&t, 1, M2, EVSLOG_SAFE);
    for (l = 0; l < 3; l++)
        view(&t, l, 0, A, 100, ABC);
    dlv(&t, 0, M2, EVSLOG_SAFE);
    dlv(&t, 1, M2, EVSLOG_SAFE);
    for (l = 0; l < 2; l++) {
        view(&t, l, 1, A, 101, AB);
        view(&t, l, 0, A, 102, AB);
    }
    view(&t, 2, 1, C, 101, CC);
    view(&t, 2, 0, C, 102, CC);
    expect_only(&t, EVS_SAFE);
}
END_TEST

START_TEST(p9_safe_member_never_installed)
{
    struct t t;
    int l;

    t_init(&t, 3);
    sent(&t, 1, M2, EVSLOG_SAFE);
    for (l = 0; l < 2; l++)
        view(&t, l, 0, A, 100, ABC);
    dlv(&t, 0, M2, EVSLOG_SAFE);
    dlv(&t, 1, M2, EVSLOG_SAFE);
    expect_only(&t, EVS_SAFE);
}
END_TEST

START_TEST(p9_safe_killed_member_excused)
{
    struct t t;
    int l;

    t_init(&t, 3);
    sent(&t, 1, M2, EVSLOG_SAFE);
    for (l = 0; l < 2; l++)
        view(&t, l, 0, A, 100, ABC);
    dlv(&t, 0, M2, EVSLOG_SAFE);
    dlv(&t, 1, M2, EVSLOG_SAFE);
    evslog_killed(t.e, t.log[2]);
    ck_assert_msg(check(&t) == 0, "%s", t.why);
    evslog_free(t.e);
}
END_TEST

START_TEST(p10_no_transitional)
{
    struct t t;
    int l;

    t_init(&t, 2);
    for (l = 0; l < 2; l++) {
        view(&t, l, 0, A, 100, AB);
        view(&t, l, 0, A, 102, AB);
    }
    expect_only(&t, EVS_TRANSITIONAL);
}
END_TEST

START_TEST(p10_trans_not_subset)
{
    struct t t;

    base(&t, 1);
    view(&t, 0, 1, A, 101, ABC);       /* C stays in the old ring only */
    view(&t, 0, 0, A, 102, AB);
    view(&t, 1, 1, A, 101, ABC);
    view(&t, 1, 0, A, 102, AB);
    expect(&t, EVS_TRANSITIONAL);
}
END_TEST

START_TEST(p10_trans_missing_partner)
{
    struct t t;

    base(&t, 1);
    view(&t, 0, 1, A, 101, AA);        /* B comes along but is left out */
    view(&t, 0, 0, A, 102, AB);
    view(&t, 1, 1, B, 101, BB);
    view(&t, 1, 0, A, 102, AB);
    expect(&t, EVS_TRANSITIONAL);
}
END_TEST

START_TEST(p10_two_transitionals)
{
    struct t t;

    base(&t, 1);
    view(&t, 0, 1, A, 101, AB);
    view(&t, 0, 1, A, 103, AB);
    expect(&t, EVS_TRANSITIONAL);
}
END_TEST

START_TEST(p11_before_trans_differs)
{
    struct t t;
    int l;

    t_init(&t, 2);
    sent(&t, 0, M1, EVSLOG_RELIABLE);
    for (l = 0; l < 2; l++)
        view(&t, l, 0, A, 100, AB);
    dlv(&t, 0, M1, EVSLOG_RELIABLE);
    for (l = 0; l < 2; l++)
        view(&t, l, 1, A, 101, AB);
    evslog_killed(t.e, t.log[1]);
    expect_only(&t, EVS_CHANGE_ORDER);
}
END_TEST

START_TEST(p12_before_any_configuration)
{
    struct t t;

    t_init(&t, 1);
    sent(&t, 0, M1, EVSLOG_AGREED);
    dlv(&t, 0, M1, EVSLOG_AGREED);
    view(&t, 0, 0, A, 100, AA);
    expect(&t, EVS_NO_FOREIGN);
}
END_TEST

START_TEST(p12_originator_not_member)
{
    struct t t;

    base(&t, 2);
    sent(&t, 2, PID(C, 5), EVSLOG_AGREED);
    evslog_killed(t.e, t.log[2]);
    dlv(&t, 0, PID(C, 5), EVSLOG_AGREED);   /* in {A,B} */
    expect_only(&t, EVS_NO_FOREIGN);
}
END_TEST

START_TEST(live_split)
{
    struct t t;
    int live[3];

    base(&t, 2);
    ck_assert_msg(check(&t) == 0, "%s", t.why);
    memcpy(live, t.log, sizeof(live));
    ck_assert_int_eq(evslog_check_live(t.e, live, 3, t.why, sizeof(t.why)),
                     1 << EVS_LIVENESS);
    /* A and B alone are one ring, but C's ring is of one member. */
    ck_assert_int_eq(evslog_check_live(t.e, live, 2, t.why, sizeof(t.why)),
                     0);
    evslog_free(t.e);
}
END_TEST

START_TEST(live_stuck_in_change)
{
    struct t t;
    int live[3];

    base(&t, 3);
    view(&t, 0, 1, A, 105, AA);
    memcpy(live, t.log, sizeof(live));
    ck_assert_int_eq(evslog_check_live(t.e, live, 3, t.why, sizeof(t.why)),
                     1 << EVS_LIVENESS);
    ck_assert_str_ne(t.why, "");
    evslog_free(t.e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("evslog");
    TCase *tc = tcase_create("props");

    tcase_add_test(tc, valid_run);
    tcase_add_test(tc, valid_startup_trans);
    tcase_add_test(tc, p1_installed_twice);
    tcase_add_test(tc, p2_members_differ);
    tcase_add_test(tc, p2_without_itself);
    tcase_add_test(tc, p3_two_configurations);
    tcase_add_test(tc, p3_sides_of_trans);
    tcase_add_test(tc, p3_sides_differ_across_components);
    tcase_add_test(tc, p4_duplicate);
    tcase_add_test(tc, p4_never_sent);
    tcase_add_test(tc, p4_wrong_originator);
    tcase_add_test(tc, p4_wrong_service);
    tcase_add_test(tc, p5_not_delivered_by_sender);
    tcase_add_test(tc, p5_killed_sender_excused);
    tcase_add_test(tc, p6_one_misses_a_message);
    tcase_add_test(tc, p7_two_orders);
    tcase_add_test(tc, p7_three_cycle);
    tcase_add_test(tc, p7_reliable_any_order);
    tcase_add_test(tc, p7_sender_order);
    tcase_add_test(tc, p8_regular_gap);
    tcase_add_test(tc, p8_trans_hole_allowed);
    tcase_add_test(tc, p8_trans_gap);
    tcase_add_test(tc, p9_safe_member_moves_on_without);
    tcase_add_test(tc, p9_safe_member_never_installed);
    tcase_add_test(tc, p9_safe_killed_member_excused);
    tcase_add_test(tc, p10_no_transitional);
    tcase_add_test(tc, p10_trans_not_subset);
    tcase_add_test(tc, p10_trans_missing_partner);
    tcase_add_test(tc, p10_two_transitionals);
    tcase_add_test(tc, p11_before_trans_differs);
    tcase_add_test(tc, p12_before_any_configuration);
    tcase_add_test(tc, p12_originator_not_member);
    tcase_add_test(tc, live_split);
    tcase_add_test(tc, live_stuck_in_change);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
