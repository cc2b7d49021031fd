/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: message and group limits and slow receivers. Every message
 * the library accepts is delivered intact or refused with the documented
 * error; upstream's defects (44+ destinations lost, abort on large bodies)
 * must not show here. A client that stops reading is dropped once
 * MaxSessionMessages are queued for it, and nobody else notices.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/wire.h"
#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

static struct th_daemon daemon_;
static struct tc_msg *msg;

static void start(const char *extra)
{
    ck_assert_msg(th_daemon_start(&daemon_, "localhost", extra) == 0,
                  "daemon did not start");
    msg = tc_msg_new();
}

static void stop(void)
{
    tc_msg_free(msg);
    ck_assert_int_eq(th_daemon_stop(&daemon_), 0);
}

static mailbox conn(const char *spread, const char *name, int memb)
{
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    ck_assert_int_eq(SP_connect(spread, name, 0, memb, &mb, pg), ACCEPT_SESSION);
    return mb;
}

/* Self-addressed message: once it is back, every earlier request of this
 * session has been processed. */
static void barrier(mailbox mb, const char *pg)
{
    ck_assert_int_eq(SP_multicast(mb, AGREED_MESS, pg, 0, 7, "barrier"), 7);
    ck_assert(tc_expect_data(mb, msg, pg, "barrier"));
}

START_TEST(many_destinations)
{
    static char groups[100][MAX_GROUP_NAME];
    mailbox a, b, c;
    int n, k;

    start(NULL);
    a = conn(daemon_.spread, "a", 0);
    b = conn(daemon_.spread, "b", 0);
    c = conn(daemon_.spread, "c", 0);
    for (k = 0; k < 100; k++)
        snprintf(groups[k], MAX_GROUP_NAME, "group-number-%03d-padded-name", k);
    SP_join(a, groups[43]);
    SP_join(b, groups[99]);
    barrier(a, "#a#localhost");
    barrier(b, "#b#localhost");
    for (n = 44; n <= 100; n += 56) {
        ck_assert_int_eq(SP_multigroup_multicast(c, AGREED_MESS, n,
                                                 (const char(*)[MAX_GROUP_NAME])groups,
                                                 1, 5, "many!"), 5);
        ck_assert(tc_expect_data(a, msg, "#c#localhost", "many!"));
        ck_assert_int_eq(msg->num_groups, n);
        ck_assert_str_eq(msg->groups[n - 1], groups[n - 1]);
        if (n == 100) {
            ck_assert(tc_expect_data(b, msg, "#c#localhost", "many!"));
            ck_assert_int_eq(msg->num_groups, 100);
        }
    }
    ck_assert(tc_quiet(b, 50));
    SP_disconnect(a);
    SP_disconnect(b);
    SP_disconnect(c);
    stop();
}
END_TEST

static void big_roundtrip(const char *spread, int len)
{
    char *body = malloc((size_t)len);
    mailbox a = conn(spread, "big", 0);
    int k;
    for (k = 0; k < len; k++)
        body[k] = (char)(k * 31 + 7);
    ck_assert_int_eq(SP_multicast(a, SAFE_MESS, "#big#localhost", 0, len, body), len);
    ck_assert_int_eq(tc_recv(a, msg, 10000), len);
    ck_assert(memcmp(msg->body, body, (size_t)len) == 0);
    SP_disconnect(a);
    free(body);
}

START_TEST(large_bodies)
{
    start(NULL);
    /* 143121 made upstream abort, and upstream refused above 143920 with
     * one destination; 143968 is the largest body the library sends. */
    big_roundtrip(daemon_.spread, 143121);
    big_roundtrip(daemon_.spread, 143968);
    big_roundtrip(daemon_.spread_tcp, 100000);
    big_roundtrip(daemon_.spread_tcp, 143968);
    stop();
}
END_TEST

START_TEST(library_refuses)
{
    static char body[144001];
    mailbox a;
    start(NULL);
    a = conn(daemon_.spread, "a", 0);
    ck_assert_int_eq(SP_multicast(a, AGREED_MESS, "g", 0, 143969, body), MESSAGE_TOO_LONG);
    ck_assert_int_eq(SP_multicast(a, SELF_DISCARD, "g", 0, 1, body), ILLEGAL_SERVICE);
    ck_assert_int_eq(SP_join(a, ""), ILLEGAL_GROUP);
    ck_assert_int_eq(SP_join(a, "bad name"), ILLEGAL_GROUP);
    barrier(a, "#a#localhost");
    SP_disconnect(a);
    stop();
}
END_TEST

START_TEST(slow_receiver)
{
    static char body[1000];
    mailbox a, b;
    int k, sent = 0;
    start("MaxSessionMessages = 100");
    a = conn(daemon_.spread, "alice", 1);
    b = conn(daemon_.spread, "bob", 1);
    SP_join(a, "watch");
    ck_assert(tc_expect_memb(a, msg, "watch", CAUSED_BY_JOIN, 1, "#alice#localhost"));
    SP_join(b, "flood");
    SP_join(b, "watch");
    ck_assert(tc_expect_memb(a, msg, "watch", CAUSED_BY_JOIN, 2, "#bob#localhost"));
    /* bob never reads again. alice floods "flood" (not a member) until
     * the daemon gives up on bob. */
    for (k = 0; k < 20000; k++) {
        ck_assert_int_eq(SP_multicast(a, RELIABLE_MESS, "flood", 0, sizeof body, body),
                         (int)sizeof body);
        sent++;
        if (SP_poll(a) > 0)
            break;
    }
    ck_assert(tc_expect_memb(a, msg, "watch", CAUSED_BY_DISCONNECT, 1, "#bob#localhost"));
    ck_assert_msg(th_log_wait(&daemon_, "bob", 5000), "drop not logged");
    barrier(a, "#alice#localhost");
    SP_kill(b);
    SP_disconnect(a);
    stop();
}
END_TEST

START_TEST(many_clients)
{
    enum { N = 300 };
    static mailbox mb[N];
    int k;
    start(NULL);
    for (k = 0; k < N; k++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", k);
        mb[k] = conn(k % 2 ? daemon_.spread : daemon_.spread_tcp, name, 0);
        SP_join(mb[k], "all");
    }
    for (k = 0; k < N; k++) {
        char pg[MAX_GROUP_NAME];
        snprintf(pg, sizeof pg, "#c%d#localhost", k);
        barrier(mb[k], pg);
    }
    ck_assert_int_eq(SP_multicast(mb[0], AGREED_MESS, "all", 0, 3, "hey"), 3);
    for (k = 0; k < N; k++)
        ck_assert(tc_expect_data(mb[k], msg, "#c0#localhost", "hey"));
    for (k = 0; k < N; k++)
        SP_disconnect(mb[k]);
    stop();
}
END_TEST

START_TEST(library_edges)
{
    static char big[16];
    scatter sc;
    mailbox a, b;
    char pg[MAX_GROUP_NAME];
    sp_time forever = {1L << 62, 0};
    start(NULL);

    /* A scatter whose lengths add up past any limit is refused, and the
     * session stays usable. */
    memset(&sc, 0, sizeof sc);
    sc.num_elements = 2;
    sc.elements[0].buf = big;
    sc.elements[0].len = (size_t)-1;
    sc.elements[1].buf = big;
    sc.elements[1].len = 2;
    a = conn(daemon_.spread, "a", 0);
    ck_assert_int_eq(SP_scat_multicast(a, AGREED_MESS, "g", 0, &sc), MESSAGE_TOO_LONG);
    barrier(a, "#a#localhost");

    /* A huge timeout means "wait as long as it takes", not "already late". */
    ck_assert_int_eq(SP_connect_timeout(daemon_.spread_tcp, "late", 0, 0, &b, pg,
                                        forever), ACCEPT_SESSION);
    SP_disconnect(b);

    /* The application closes a mailbox's descriptor itself; the library
     * must not refuse the next session that gets the same number. */
    close(a);
    ck_assert_int_eq(SP_connect(daemon_.spread, "again", 0, 0, &b, pg), ACCEPT_SESSION);
    barrier(b, "#again#localhost");
    SP_disconnect(b);
    stop();
}
END_TEST

/* The group limits of spread.conf: a join beyond them changes nothing,
 * the application gets a reject notice (service JOIN_MESS | REJECT_MESS,
 * groups: the group and its own name) and the daemon logs why. */
static void expect_join_refused(mailbox mb, const char *group, const char *pg)
{
    ck_assert_int_eq(tc_recv(mb, msg, 5000), 0);
    ck_assert_msg(Is_reject_mess(msg->service_type), "service 0x%x",
                  (unsigned)msg->service_type);
    ck_assert_uint_eq(msg->service_type & SPW_JOIN_MESS, SPW_JOIN_MESS);
    ck_assert_int_eq(msg->num_groups, 2);
    ck_assert_str_eq(msg->groups[0], group);
    ck_assert_str_eq(msg->groups[1], pg);
}

START_TEST(group_limits)
{
    char apg[MAX_GROUP_NAME], bpg[MAX_GROUP_NAME], cpg[MAX_GROUP_NAME];
    mailbox a, b, c;

    start("MaxSessionGroups = 2\nMaxGroups = 3\nMaxGroupMembers = 2");
    ck_assert_int_eq(SP_connect(daemon_.spread, "a", 0, 1, &a, apg), ACCEPT_SESSION);
    ck_assert_int_eq(SP_connect(daemon_.spread_tcp, "b", 0, 1, &b, bpg), ACCEPT_SESSION);
    ck_assert_int_eq(SP_connect(daemon_.spread, "c", 0, 1, &c, cpg), ACCEPT_SESSION);
    SP_join(a, "g1");
    ck_assert(tc_expect_memb(a, msg, "g1", CAUSED_BY_JOIN, 1, apg));
    SP_join(a, "g2");
    ck_assert(tc_expect_memb(a, msg, "g2", CAUSED_BY_JOIN, 1, apg));
    SP_join(a, "g3");
    expect_join_refused(a, "g3", apg);
    ck_assert(th_log_wait(&daemon_, "refused: MaxSessionGroups = 2 reached", 5000));
    SP_join(b, "g1");
    ck_assert(tc_expect_memb(b, msg, "g1", CAUSED_BY_JOIN, 2, bpg));
    ck_assert(tc_expect_memb(a, msg, "g1", CAUSED_BY_JOIN, 2, bpg));
    SP_join(c, "g1");
    expect_join_refused(c, "g1", cpg);
    SP_join(c, "g3");
    ck_assert(tc_expect_memb(c, msg, "g3", CAUSED_BY_JOIN, 1, cpg));
    SP_join(c, "g4");
    expect_join_refused(c, "g4", cpg);
    /* Nothing else happened: the members of g1 heard of no third join. */
    barrier(a, apg);
    barrier(b, bpg);
    SP_disconnect(a);
    SP_disconnect(b);
    SP_disconnect(c);
    stop();
}
END_TEST

static Suite *limits_suite(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, many_destinations);
    tcase_add_test(tc, large_bodies);
    tcase_add_test(tc, library_refuses);
    tcase_add_test(tc, slow_receiver);
    tcase_add_test(tc, many_clients);
    tcase_add_test(tc, library_edges);
    tcase_add_test(tc, group_limits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(limits_suite());
}
