/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: one real daemon, several real clients through libspread,
 * over the unix socket (loop index 0) and over TCP (loop index 1). Every
 * test starts its own daemon on a free port and stops it by pid.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

#include "../lib/ckdaemon.h"

START_TEST(all_services)
{
    static const service svcs[] = {UNRELIABLE_MESS, RELIABLE_MESS, FIFO_MESS,
                                   CAUSAL_MESS, AGREED_MESS, SAFE_MESS};
    char pa[MAX_GROUP_NAME];
    mailbox a = connect_as(_i, "alice", 1, pa);
    mailbox b = connect_as(_i, "bob", 1, NULL);
    size_t k;

    ck_assert_int_eq(SP_join(a, "g"), 0);
    ck_assert(tc_expect_memb(a, msg, "g", CAUSED_BY_JOIN, 1, "#alice#localhost"));
    ck_assert_int_eq(SP_join(b, "g"), 0);
    ck_assert(tc_expect_memb(a, msg, "g", CAUSED_BY_JOIN, 2, "#bob#localhost"));
    ck_assert(tc_expect_memb(b, msg, "g", CAUSED_BY_JOIN, 2, "#bob#localhost"));
    for (k = 0; k < 6; k++) {
        char body[32];
        snprintf(body, sizeof body, "service %zu", k);
        ck_assert_int_eq(SP_multicast(a, svcs[k], "g", (int16)(k + 7),
                                      (int)strlen(body), body),
                         (int)strlen(body));
    }
    for (k = 0; k < 6; k++) {
        char body[32];
        snprintf(body, sizeof body, "service %zu", k);
        ck_assert(tc_expect_data(a, msg, pa, body));
        ck_assert(tc_expect_data(b, msg, pa, body));
        ck_assert_int_eq(msg->service_type, svcs[k]);
        ck_assert_int_eq(msg->mess_type, (int16)(k + 7));
        ck_assert_int_eq(msg->num_groups, 1);
        ck_assert_str_eq(msg->groups[0], "g");
        ck_assert_int_eq(msg->endian_mismatch, 0);
    }
    ck_assert_int_eq(SP_disconnect(a), 0);
    ck_assert_int_eq(SP_disconnect(b), 0);
}
END_TEST

START_TEST(self_discard)
{
    char pa[MAX_GROUP_NAME];
    mailbox a = connect_as(_i, "alice", 0, pa);
    mailbox b = connect_as(_i, "bob", 0, NULL);
    ck_assert_int_eq(SP_join(a, "g"), 0);
    ck_assert_int_eq(SP_join(b, "g"), 0);
    /* Without membership messages, a message to self shows the join is done. */
    ck_assert_int_eq(SP_multicast(b, AGREED_MESS, "g", 0, 5, "ready"), 5);
    ck_assert(tc_expect_data(b, msg, "#bob#localhost", "ready"));
    ck_assert(tc_expect_data(a, msg, "#bob#localhost", "ready"));
    ck_assert_int_eq(SP_multicast(a, AGREED_MESS | SELF_DISCARD, "g", 0, 3, "one"), 3);
    ck_assert_int_eq(SP_multicast(a, AGREED_MESS, "g", 0, 3, "two"), 3);
    ck_assert(tc_expect_data(b, msg, pa, "one"));
    ck_assert_int_eq(msg->service_type, AGREED_MESS | SELF_DISCARD);
    ck_assert(tc_expect_data(b, msg, pa, "two"));
    ck_assert(tc_expect_data(a, msg, pa, "two")); /* "one" was never sent to a */
    SP_disconnect(a);
    SP_disconnect(b);
}
END_TEST

START_TEST(membership_sequence)
{
    mailbox a = connect_as(_i, "alice", 1, NULL);
    mailbox b = connect_as(_i, "bob", 1, NULL);
    pid_t child;
    int status;
    group_id first;
    membership_info info;

    ck_assert_int_eq(SP_join(a, "g"), 0);
    ck_assert(tc_expect_memb(a, msg, "g", CAUSED_BY_JOIN, 1, "#alice#localhost"));
    SP_get_memb_info(msg->body, msg->service_type, &info);
    first = info.gid;
    ck_assert_int_eq(first.id[2], 1);
    ck_assert_int_eq(SP_join(b, "g"), 0);
    ck_assert(tc_expect_memb(a, msg, "g", CAUSED_BY_JOIN, 2, "#bob#localhost"));
    ck_assert_int_eq(msg->mess_type, 0); /* alice sorts before bob */
    ck_assert(tc_expect_memb(b, msg, "g", CAUSED_BY_JOIN, 2, "#bob#localhost"));
    ck_assert_int_eq(msg->mess_type, 1);
    SP_get_memb_info(msg->body, msg->service_type, &info);
    ck_assert_int_eq(info.gid.id[0], first.id[0]);
    ck_assert_int_eq(info.gid.id[2], 2);

    /* Leave: the leaver gets its own notice, the others a LEAVE view. */
    ck_assert_int_eq(SP_leave(b, "g"), 0);
    ck_assert_int_eq(tc_recv(b, msg, 5000), 0);
    ck_assert(Is_self_leave(msg->service_type));
    ck_assert_str_eq(msg->sender, "g");
    ck_assert(tc_expect_memb(a, msg, "g", CAUSED_BY_LEAVE, 1, "#bob#localhost"));

    /* Disconnect. */
    ck_assert_int_eq(SP_join(b, "g"), 0);
    ck_assert(tc_expect_memb(a, msg, "g", CAUSED_BY_JOIN, 2, "#bob#localhost"));
    ck_assert_int_eq(SP_disconnect(b), 0);
    ck_assert(tc_expect_memb(a, msg, "g", CAUSED_BY_DISCONNECT, 1, "#bob#localhost"));

    /* A client process killed with SIGKILL. */
    child = fork();
    ck_assert(child >= 0);
    if (child == 0) {
        mailbox c;
        char pg[MAX_GROUP_NAME];
        if (SP_connect(spread_name(_i), "carol", 0, 1, &c, pg) != ACCEPT_SESSION)
            _exit(1);
        SP_join(c, "g");
        for (;;)
            pause();
    }
    ck_assert(tc_expect_memb(a, msg, "g", CAUSED_BY_JOIN, 2, "#carol#localhost"));
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    ck_assert(tc_expect_memb(a, msg, "g", CAUSED_BY_DISCONNECT, 1, "#carol#localhost"));
    ck_assert(tc_quiet(a, 100));
    SP_disconnect(a);
}
END_TEST

START_TEST(multigroup_and_private)
{
    char pa[MAX_GROUP_NAME], pb[MAX_GROUP_NAME], pc[MAX_GROUP_NAME];
    char groups[4][MAX_GROUP_NAME];
    mailbox a = connect_as(_i, "alice", 0, pa);
    mailbox b = connect_as(_i, "bob", 0, pb);
    mailbox c = connect_as(_i, "carol", 0, pc);

    SP_join(a, "g1");
    SP_join(a, "g2");
    SP_join(b, "g2");
    /* Barrier: each sees its own message to itself once its joins are done. */
    ck_assert_int_eq(SP_multicast(a, FIFO_MESS, pa, 0, 1, "x"), 1);
    ck_assert(tc_expect_data(a, msg, pa, "x"));
    ck_assert_int_eq(SP_multicast(b, FIFO_MESS, pb, 0, 1, "y"), 1);
    ck_assert(tc_expect_data(b, msg, pb, "y"));

    memset(groups, 0, sizeof groups);
    strcpy(groups[0], "g1");
    strcpy(groups[1], "g2");
    strcpy(groups[2], pb);
    strcpy(groups[3], "nobody-here");
    ck_assert_int_eq(SP_multigroup_multicast(c, AGREED_MESS, 4,
                                             (const char(*)[MAX_GROUP_NAME])groups,
                                             3, 5, "multi"), 5);
    ck_assert(tc_expect_data(a, msg, pc, "multi"));
    ck_assert_int_eq(msg->num_groups, 4);
    ck_assert_str_eq(msg->groups[3], "nobody-here");
    ck_assert(tc_expect_data(b, msg, pc, "multi"));
    ck_assert(tc_quiet(a, 50));
    ck_assert(tc_quiet(b, 50));
    ck_assert(tc_quiet(c, 50));

    /* Private: to another client's private group, and to one's own. */
    ck_assert_int_eq(SP_multicast(c, SAFE_MESS, pa, 0, 4, "priv"), 4);
    ck_assert(tc_expect_data(a, msg, pc, "priv"));
    ck_assert_int_eq(SP_multicast(c, SAFE_MESS | SELF_DISCARD, pc, 0, 4, "self"), 4);
    ck_assert_int_eq(SP_multicast(c, SAFE_MESS, pc, 0, 4, "mine"), 4);
    ck_assert(tc_expect_data(c, msg, pc, "mine"));
    SP_disconnect(a);
    SP_disconnect(b);
    SP_disconnect(c);
}
END_TEST

START_TEST(names)
{
    char pg[MAX_GROUP_NAME], pg2[MAX_GROUP_NAME];
    mailbox a = connect_as(_i, "dup", 0, NULL), b = -1, r1, r2;
    long long deadline;
    int r;

    ck_assert_int_eq(SP_connect(spread_name(_i), "dup", 0, 0, &b, pg), REJECT_NOT_UNIQUE);
    ck_assert_int_eq(SP_connect(spread_name(_i), "a b", 0, 0, &b, pg), REJECT_ILLEGAL_NAME);
    ck_assert_int_eq(SP_connect(spread_name(_i), "x#y", 0, 0, &b, pg), REJECT_ILLEGAL_NAME);
    /* Truncated to 10 characters by the library. */
    b = connect_as(_i, "abcdefghijklmnop", 0, pg);
    ck_assert_str_eq(pg, "#abcdefghij#localhost");
    SP_disconnect(b);
    /* Random names, distinct. */
    r1 = connect_as(_i, NULL, 0, pg);
    r2 = connect_as(_i, "", 0, pg2);
    ck_assert(pg[0] == '#' && pg[1] == 'r');
    ck_assert_str_ne(pg, pg2);
    SP_disconnect(r1);
    SP_disconnect(r2);
    /* The name is free again once the disconnect has been processed. */
    SP_disconnect(a);
    deadline = th_now_ms() + 5000;
    do {
        r = SP_connect(spread_name(_i), "dup", 0, 0, &b, pg);
    } while (r == REJECT_NOT_UNIQUE && th_now_ms() < deadline);
    ck_assert_int_eq(r, ACCEPT_SESSION);
    SP_disconnect(b);
}
END_TEST

START_TEST(short_buffers)
{
    char pa[MAX_GROUP_NAME], small[4];
    mailbox a = connect_as(_i, "alice", 0, pa);
    service st = 0;
    char sender[MAX_GROUP_NAME], groups[1][MAX_GROUP_NAME];
    int ng = 0, endian = 0, r;
    int16 mt = 0;

    ck_assert_int_eq(SP_multicast(a, RELIABLE_MESS, pa, 9, 10, "0123456789"), 10);
    r = SP_receive(a, &st, sender, 1, &ng, groups, &mt, &endian, 4, small);
    ck_assert_int_eq(r, BUFFER_TOO_SHORT);
    ck_assert_int_eq(endian, -10);
    ck_assert_str_eq(sender, pa);
    /* The message is still there for a big enough buffer. */
    ck_assert(tc_expect_data(a, msg, pa, "0123456789"));
    ck_assert_int_eq(msg->mess_type, 9);
    /* With DROP_RECV the message is consumed and truncated. */
    ck_assert_int_eq(SP_multicast(a, RELIABLE_MESS, pa, 9, 10, "0123456789"), 10);
    st = DROP_RECV;
    r = SP_receive(a, &st, sender, 1, &ng, groups, &mt, &endian, 4, small);
    ck_assert_int_eq(r, BUFFER_TOO_SHORT);
    ck_assert(memcmp(small, "0123", 4) == 0);
    ck_assert(tc_quiet(a, 50));
    SP_disconnect(a);
}
END_TEST

/* Every view of a group has an id of its own (client-protocol.md §15),
 * also when the group empties and is created again: SP_equal_group_ids
 * must tell the two views apart. Upstream (and Cohort 0.2) restarted the
 * index at 1 with the same daemon view, so the ids compared equal. */
static group_id view_id(mailbox mb, const char *group, int n)
{
    membership_info mi;

    ck_assert(tc_expect_memb(mb, msg, group, CAUSED_BY_JOIN, n, NULL));
    ck_assert_int_eq(SP_get_memb_info(msg->body, msg->service_type, &mi), 1);
    return mi.gid;
}

START_TEST(recreated_group_new_id)
{
    group_id first, again, other;
    mailbox a, b;

    a = connect_as(_i, "ida", 1, NULL);
    b = connect_as(_i, "idb", 1, NULL);
    SP_join(a, "idg");
    first = view_id(a, "idg", 1);
    SP_leave(a, "idg");
    ck_assert_int_eq(tc_recv(a, msg, 5000), 0);     /* self-leave */
    ck_assert(Is_self_leave(msg->service_type));
    SP_join(a, "idg");                              /* the same name again */
    again = view_id(a, "idg", 1);
    ck_assert_msg(!SP_equal_group_ids(first, again),
                  "re-created group kept its id (%d %d %d)",
                  again.id[0], again.id[1], again.id[2]);
    SP_join(b, "idg");
    other = view_id(b, "idg", 2);
    ck_assert(!SP_equal_group_ids(again, other));
    ck_assert(SP_equal_group_ids(other, view_id(a, "idg", 2)));
    SP_disconnect(a);
    SP_disconnect(b);
}
END_TEST

static Suite *sessions_suite(void)
{
    Suite *s = suite_create("sessions");
    TCase *tc = tcase_create("one-daemon");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, all_services, 0, 2);
    tcase_add_loop_test(tc, self_discard, 0, 2);
    tcase_add_loop_test(tc, membership_sequence, 0, 2);
    tcase_add_loop_test(tc, multigroup_and_private, 0, 2);
    tcase_add_loop_test(tc, names, 0, 2);
    tcase_add_loop_test(tc, short_buffers, 0, 2);
    tcase_add_loop_test(tc, recreated_group_new_id, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(sessions_suite());
}
