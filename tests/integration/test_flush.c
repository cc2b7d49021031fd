/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: the flush layer (fl.h) on the tree's own daemon, over the
 * unix socket and TCP. Several flush connections in this process (and one
 * in a child process) go through the sequences of shared/spec/flush.md
 * 8.4 - joins, leaves, disconnects, kill -9 of a member, a member that
 * never flushes, subgroup casts, closed groups - and every member's log
 * is checked against the guarantees of section 9 (tests/lib/flmember.h).
 *
 * The daemon orders near-simultaneous sends of different sessions as it
 * likes, so each step waits for what it caused (a message it must see)
 * before the next connection acts; nothing sleeps for a fixed time.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/flmember.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

static struct th_daemon daemon_;

static void setup(void)
{
    ck_assert_msg(th_daemon_start(&daemon_, "localhost", NULL) == 0,
                  "daemon did not start");
}

static void teardown(void)
{
    ck_assert_int_eq(th_daemon_stop(&daemon_), 0);
}

static const char *spread(int transport)
{
    return transport == 0 ? daemon_.spread : daemon_.spread_tcp;
}

static void conn(struct fm_member *m, int transport, const char *user)
{
    ck_assert_msg(fm_connect(m, spread(transport), user) == 0,
                  "FL_connect %s", user);
}

/* A alone, then B joins: A flushes, both install [A,B]. */
static void form_ab(struct fm_member *a, struct fm_member *b)
{
    const char *va[] = { a->pg, NULL }, *vb[] = { b->pg, NULL };

    ck_assert_int_eq(FL_join(a->mb, "G"), 0);
    ck_assert(fm_expect_view(a, "G", CAUSED_BY_JOIN, 1, 0, va));
    ck_assert_int_eq(FL_join(b->mb, "G"), 0);
    ck_assert(fm_expect_req(a, "G"));
    ck_assert_int_eq(FL_flush(a->mb, "G"), 0);
    /* The joiner's layer answers inside its FL_receive: B first. */
    ck_assert(fm_expect_view(b, "G", CAUSED_BY_JOIN, 2, 1, vb));
    ck_assert(fm_expect_view(a, "G", CAUSED_BY_JOIN, 2, 0, vb));
}

/* A and B in a view; C joins: both are asked to flush. */
static void c_joins(struct fm_member *a, struct fm_member *b,
                    struct fm_member *c)
{
    form_ab(a, b);
    ck_assert_int_eq(FL_join(c->mb, "G"), 0);
    ck_assert(fm_expect_req(a, "G"));
    ck_assert(fm_expect_req(b, "G"));
}

static void connect3(struct fm_member *a, struct fm_member *b,
                     struct fm_member *c, int transport)
{
    conn(a, transport, "a");
    conn(b, transport, "b");
    conn(c, transport, "c");
}

/* Section 9 over the members' logs, then disconnect them all. */
static void finish(struct fm_member *const *all, int n)
{
    int i;

    ck_assert(fm_check_log(all, n, "G"));
    for (i = 0; i < n; i++)
        fm_close(all[i]);
}

/* 8.4 row 2: what A sends between the request and its flush reaches A
 * (old view) but never the joiner; afterwards both talk in the new view
 * (tagged while settling) and see each other. */
START_TEST(join_sequence)
{
    struct fm_member a, b;
    const char *va[] = { NULL, NULL }, *vb[] = { NULL, NULL };

    conn(&a, _i, "a");
    conn(&b, _i, "b");
    va[0] = a.pg;
    vb[0] = b.pg;
    ck_assert_int_eq(FL_join(a.mb, "G"), 0);
    ck_assert(fm_expect_view(&a, "G", CAUSED_BY_JOIN, 1, 0, va));
    ck_assert_int_eq(FL_join(b.mb, "G"), 0);
    ck_assert(fm_expect_req(&a, "G"));
    ck_assert(fm_send(&a, FIFO_MESS, "G", "old-view"));
    ck_assert(fm_expect_data(&a, a.pg, "old-view"));
    ck_assert_int_eq(FL_flush(a.mb, "G"), 0);
    /* Silence after flush (9.2). */
    ck_assert_int_eq(FL_multicast(a.mb, FIFO_MESS, "G", 1, 1, "x"),
                     ILLEGAL_STATE);
    ck_assert_int_eq(FL_flush(a.mb, "G"), ILLEGAL_STATE);
    ck_assert(fm_expect_view(&b, "G", CAUSED_BY_JOIN, 2, 1, vb));
    ck_assert(fm_expect_view(&a, "G", CAUSED_BY_JOIN, 2, 0, vb));
    /* One sender at a time: the daemon orders different senders freely. */
    ck_assert(fm_send(&a, FIFO_MESS, "G", "from-a"));
    ck_assert(fm_expect_data(&b, a.pg, "from-a"));
    ck_assert(fm_expect_data(&a, a.pg, "from-a"));
    ck_assert(fm_send(&b, AGREED_MESS, "G", "from-b"));
    ck_assert(fm_expect_data(&b, b.pg, "from-b"));
    ck_assert(fm_expect_data(&a, b.pg, "from-b"));
    {
        struct fm_member *all[] = { &a, &b };
        finish(all, 2);
    }
}
END_TEST

/* 8.4 rows 3 and 4: C leaves, then B disconnects. */
START_TEST(leave_and_disconnect)
{
    struct fm_member a, b, c;
    const char *vc[] = { NULL, NULL }, *vb[] = { NULL, NULL };

    connect3(&a, &b, &c, _i);
    vc[0] = c.pg;
    vb[0] = b.pg;
    c_joins(&a, &b, &c);
    ck_assert_int_eq(FL_flush(a.mb, "G"), 0);
    ck_assert_int_eq(FL_flush(b.mb, "G"), 0);
    ck_assert(fm_expect_view(&c, "G", CAUSED_BY_JOIN, 3, -1, vc));
    ck_assert(fm_expect_view(&a, "G", CAUSED_BY_JOIN, 3, -1, vc));
    ck_assert(fm_expect_view(&b, "G", CAUSED_BY_JOIN, 3, -1, vc));

    ck_assert(fm_send(&c, FIFO_MESS, "G", "c-last"));
    ck_assert(fm_expect_data(&c, c.pg, "c-last"));
    ck_assert_int_eq(FL_leave(c.mb, "G"), 0);
    ck_assert_int_eq(FL_leave(c.mb, "G"), ILLEGAL_GROUP);
    ck_assert_int_eq(FL_multicast(c.mb, FIFO_MESS, "G", 1, 1, "x"),
                     ILLEGAL_GROUP);
    ck_assert_int_eq(FL_flush(c.mb, "G"), ILLEGAL_GROUP);
    ck_assert(fm_expect_self_leave(&c, "G"));
    ck_assert(fm_expect_data(&a, c.pg, "c-last"));
    ck_assert(fm_expect_req(&a, "G"));
    ck_assert(fm_expect_trans(&a, "G"));
    ck_assert(fm_expect_data(&b, c.pg, "c-last"));
    ck_assert(fm_expect_req(&b, "G"));
    ck_assert(fm_expect_trans(&b, "G"));
    ck_assert_int_eq(FL_flush(a.mb, "G"), 0);
    ck_assert_int_eq(FL_flush(b.mb, "G"), 0);
    ck_assert(fm_expect_view(&a, "G", CAUSED_BY_LEAVE, 2, -1, vc));
    ck_assert(fm_expect_view(&b, "G", CAUSED_BY_LEAVE, 2, -1, vc));

    /* After the self-leave C may join again (7.5). */
    ck_assert_int_eq(FL_join(c.mb, "G"), 0);
    ck_assert(fm_expect_req(&a, "G"));
    ck_assert(fm_expect_req(&b, "G"));
    ck_assert_int_eq(FL_flush(a.mb, "G"), 0);
    ck_assert_int_eq(FL_flush(b.mb, "G"), 0);
    ck_assert(fm_expect_view(&c, "G", CAUSED_BY_JOIN, 3, -1, vc));
    ck_assert(fm_expect_view(&a, "G", CAUSED_BY_JOIN, 3, -1, vc));
    ck_assert(fm_expect_view(&b, "G", CAUSED_BY_JOIN, 3, -1, vc));

    ck_assert_int_eq(FL_disconnect(b.mb), 0);
    ck_assert_int_eq(FL_disconnect(b.mb), ILLEGAL_SESSION);
    b.mb = -1;
    ck_assert(fm_expect_req(&a, "G"));
    ck_assert(fm_expect_trans(&a, "G"));
    ck_assert(fm_expect_req(&c, "G"));
    ck_assert(fm_expect_trans(&c, "G"));
    ck_assert_int_eq(FL_flush(a.mb, "G"), 0);
    ck_assert_int_eq(FL_flush(c.mb, "G"), 0);
    ck_assert(fm_expect_view(&a, "G", CAUSED_BY_DISCONNECT, 2, -1, vb));
    ck_assert(fm_expect_view(&c, "G", CAUSED_BY_DISCONNECT, 2, -1, vb));
    {
        struct fm_member *all[] = { &a, &b, &c };
        finish(all, 3);
    }
}
END_TEST

/* 8.4 last row, and "a member that never flushes": B does not flush a
 * round for C's join; A waits (no view), until B leaves instead. */
START_TEST(member_never_flushes)
{
    struct fm_member a, b, c;
    const char *va[] = { NULL, NULL }, *vc[] = { NULL, NULL };

    connect3(&a, &b, &c, _i);
    va[0] = a.pg;
    vc[0] = c.pg;
    c_joins(&a, &b, &c);
    ck_assert_int_eq(FL_flush(a.mb, "G"), 0);
    /* No view while B holds the round (9.1). */
    ck_assert(fm_quiet(&a, 300));
    ck_assert(fm_quiet(&c, 100));
    ck_assert_int_eq(FL_leave(b.mb, "G"), 0);
    ck_assert(fm_expect_self_leave(&b, "G"));
    ck_assert(fm_expect_trans(&a, "G"));
    /* C's round was discarded with B's leave; C's and A's layers answer
     * the new one by themselves (both are flushed): one view, NETWORK,
     * whose vs set is each member's own previous view. */
    ck_assert(fm_expect_view(&c, "G", CAUSED_BY_NETWORK, 2, -1, vc));
    ck_assert(fm_expect_view(&a, "G", CAUSED_BY_NETWORK, 2, -1, va));
    {
        struct fm_member *all[] = { &a, &b, &c };
        finish(all, 3);
    }
}
END_TEST

/* A member process killed with SIGKILL: the others see a disconnect. */
START_TEST(member_killed)
{
    struct fm_member a;
    const char *vk[] = { NULL, NULL };
    int p[2], st;
    char pg[MAX_GROUP_NAME];
    pid_t pid;

    conn(&a, _i, "a");
    ck_assert_int_eq(FL_join(a.mb, "G"), 0);
    ck_assert(fm_next(&a, NULL, FM_WAIT_MS) >= 0);
    ck_assert_int_eq(pipe(p), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct fm_member k;
        close(p[0]);
        if (fm_connect(&k, spread(_i), "k") != 0 || FL_join(k.mb, "G") != 0 ||
            fm_next(&k, NULL, FM_WAIT_MS) < 0)
            _exit(1);
        if (write(p[1], k.pg, MAX_GROUP_NAME) != MAX_GROUP_NAME)
            _exit(1);
        for (;;)
            pause();
    }
    close(p[1]);
    ck_assert(fm_expect_req(&a, "G"));
    ck_assert_int_eq(FL_flush(a.mb, "G"), 0);
    ck_assert_int_eq(fm_next(&a, NULL, FM_WAIT_MS), 16 + 32);
    ck_assert_int_eq(read(p[0], pg, sizeof pg), (int)sizeof pg);
    close(p[0]);
    vk[0] = pg;
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(fm_expect_req(&a, "G"));
    ck_assert(fm_expect_trans(&a, "G"));
    ck_assert_int_eq(FL_flush(a.mb, "G"), 0);
    ck_assert(fm_expect_view(&a, "G", CAUSED_BY_DISCONNECT, 1, 0, vk));
    {
        struct fm_member *all[] = { &a };
        ck_assert(fm_check_log(all, 1, "G"));
    }
    fm_close(&a);
}
END_TEST

/* Subgroup casts (4.5, 8.1): only the receivers get it, with the
 * receivers then the group as groups; receivers outside the view are
 * refused. A plain SP session's messages to the group are never shown,
 * to a member's private group they are (P7). */
START_TEST(subgroup_and_closed)
{
    struct fm_member a, b, c;
    char rc_[2][MAX_GROUP_NAME], pg[MAX_GROUP_NAME], bad[1][MAX_GROUP_NAME];
    struct fm_event e;
    mailbox plain;

    connect3(&a, &b, &c, _i);
    form_ab(&a, &b);
    memset(rc_, 0, sizeof rc_);
    strcpy(rc_[0], b.pg);
    ck_assert_int_eq(FL_subgroupcast(a.mb, AGREED_MESS, "G", 1, rc_, 6, 2,
                                     "xy"), 2);
    ck_assert_int_eq(fm_next(&b, &e, FM_WAIT_MS), 2);
    ck_assert_uint_eq((unsigned)e.serv, AGREED_MESS | SUBGROUP_CAST);
    ck_assert_int_eq(e.ng, 2);
    ck_assert_str_eq(e.groups[0], b.pg);
    ck_assert_str_eq(e.groups[1], "G");
    ck_assert_int_eq(e.type, 6);
    ck_assert_int_eq(FL_unicast(a.mb, FIFO_MESS, "G", a.pg, 7, 3, "abc"), 3);
    ck_assert_int_eq(fm_next(&a, &e, FM_WAIT_MS), 3);
    ck_assert(Is_subgroup_mess(e.serv));
    ck_assert_int_eq(e.type, 7);
    memset(bad, 0, sizeof bad);
    strcpy(bad[0], c.pg);
    ck_assert_int_eq(FL_subgroupcast(a.mb, AGREED_MESS, "G", 1, bad, 6, 2,
                                     "xy"), ILLEGAL_RECEIVERS);
    ck_assert_int_eq(FL_subgroupcast(a.mb, AGREED_MESS, "G", -1, bad, 6, 2,
                                     "xy"), ILLEGAL_PARAM);
    /* A private group: no record needed; it arrives as sent. */
    ck_assert_int_eq(FL_multicast(c.mb, AGREED_MESS, b.pg, 9, 4, "priv"), 4);
    ck_assert_int_eq(fm_next(&b, &e, FM_WAIT_MS), 4);
    ck_assert_str_eq(e.sender, c.pg);
    ck_assert_int_eq(e.type, 9);

    ck_assert_int_eq(SP_connect(spread(_i), "plain", 0, 0, &plain, pg),
                     ACCEPT_SESSION);
    ck_assert_int_eq(SP_multicast(plain, AGREED_MESS, "G", 1, 5, "plain"), 5);
    ck_assert_int_eq(SP_multicast(plain, AGREED_MESS, b.pg, 1, 4, "mine"), 4);
    ck_assert(fm_expect_data(&b, pg, "mine"));
    ck_assert(fm_quiet(&a, 200));
    ck_assert_int_eq(SP_disconnect(plain), 0);
    (void)SP_close(plain);
    {
        struct fm_member *all[] = { &a, &b, &c };
        finish(all, 3);
    }
}
END_TEST

/* Errors of illegal calls in the spec's order (P2, P3, P8). */
START_TEST(illegal_calls)
{
    struct fm_member a, b;
    scatter big;
    char buf[16], sender[MAX_GROUP_NAME], groups[2][MAX_GROUP_NAME];
    int ng, em, more;
    int16 mt;
    service st = 0;
    size_t i;

    conn(&a, _i, "a");
    conn(&b, _i, "b");
    ck_assert_int_eq(FL_receive(a.mb, &st, sender, -1, &ng, groups, &mt, &em,
                                16, buf, &more), ILLEGAL_PARAM);
    ck_assert_int_eq(FL_receive(12345, &st, sender, -1, &ng, groups, &mt, &em,
                                16, buf, &more), ILLEGAL_PARAM);
    ck_assert_int_eq(FL_receive(12345, &st, sender, 2, &ng, groups, &mt, &em,
                                16, buf, &more), ILLEGAL_SESSION);
    ck_assert_int_eq(FL_multicast(12345, AGREED_MESS, "G", 1, 1, "x"),
                     ILLEGAL_SESSION);
    ck_assert_int_eq(FL_flush(a.mb, "G"), ILLEGAL_GROUP);
    ck_assert_int_eq(FL_leave(a.mb, "G"), ILLEGAL_GROUP);
    form_ab(&a, &b);
    ck_assert_int_eq(FL_join(a.mb, "G"), ILLEGAL_GROUP);
    ck_assert_int_eq(FL_flush(a.mb, "G"), ILLEGAL_STATE);
    ck_assert_int_eq(FL_multicast(a.mb, FLUSH_REQ_MESS | AGREED_MESS, "G",
                                  -32768, 1, "x"), ILLEGAL_SERVICE);
    big.num_elements = 100;
    for (i = 0; i < 100; i++) {
        big.elements[i].buf = buf;
        big.elements[i].len = 1;
    }
    ck_assert_int_eq(FL_scat_multicast(a.mb, AGREED_MESS, "G", -32768, &big),
                     ILLEGAL_MESSAGE_TYPE);
    ck_assert_int_eq(FL_scat_multicast(a.mb, AGREED_MESS, "H", 1, &big),
                     ILLEGAL_MESSAGE);
    ck_assert_int_eq(FL_multicast(a.mb, AGREED_MESS, "H", 1, 1, "x"),
                     ILLEGAL_GROUP);
    ck_assert_int_eq(FL_multicast(a.mb, 0, "G", 1, 1, "x"), ILLEGAL_SERVICE);
    /* -32765 is legal and arrives unchanged. */
    ck_assert_int_eq(FL_multicast(a.mb, AGREED_MESS, "G", -32765, 1, "x"), 1);
    {
        struct fm_event e;
        ck_assert_int_eq(fm_next(&b, &e, FM_WAIT_MS), 1);
        ck_assert_int_eq(e.type, -32765);
    }
    /* Receive scatter checks before anything is read. */
    big.num_elements = 101;
    ck_assert_int_eq(FL_scat_receive(a.mb, &st, sender, 2, &ng, groups, &mt,
                                     &em, &big, &more), ILLEGAL_MESSAGE);
    ck_assert_int_eq(FL_receive(a.mb, &st, sender, 2, &ng, groups, &mt, &em,
                                -1, buf, &more), ILLEGAL_MESSAGE);
    /* NULL user and private name (upstream crashes on them, 5.2). */
    {
        mailbox m = -1;
        ck_assert_int_eq(FL_connect(spread(_i), NULL, 0, &m, NULL),
                         ACCEPT_SESSION);
        ck_assert_int_eq(FL_more_msgs(m), 0);
        ck_assert_int_eq(FL_disconnect(m), 0);
        ck_assert_int_eq(FL_more_msgs(m), ILLEGAL_SESSION);
        (void)SP_close(m);
    }
    fm_close(&a);
    fm_close(&b);
}
END_TEST

/* Short buffers (7.2, 7.9): a view that does not fit stays queued; a
 * tagged message needs room for its wire form unless DROP_RECV. */
START_TEST(short_buffers)
{
    struct fm_member a, b;
    char sender[MAX_GROUP_NAME], groups[4][MAX_GROUP_NAME], buf[64];
    int ng, em, more, r;
    int16 mt;
    service st;

    conn(&a, _i, "a");
    conn(&b, _i, "b");
    ck_assert_int_eq(FL_join(a.mb, "G"), 0);
    ck_assert(fm_next(&a, NULL, FM_WAIT_MS) >= 0);
    ck_assert_int_eq(FL_join(b.mb, "G"), 0);
    ck_assert(fm_expect_req(&a, "G"));
    ck_assert_int_eq(FL_flush(a.mb, "G"), 0);
    ck_assert_int_eq(fm_next(&b, NULL, FM_WAIT_MS), 48);
    /* A's two-member view with room for one group: the FLUSH_OKs (one
     * group each) are read, the view is made and stays queued (7.9). */
    do {
        st = DONT_BLOCK;
        more = -7;
        r = FL_receive(a.mb, &st, sender, 1, &ng, groups, &mt, &em,
                       sizeof buf, buf, &more);
    } while (r == WOULD_BLOCK);
    ck_assert_int_eq(r, GROUPS_TOO_SHORT);
    ck_assert_int_eq(ng, -2);
    ck_assert_int_eq(mt, 0);
    ck_assert_int_eq(em, 0);
    ck_assert_int_eq(more, -7);           /* not written on errors */
    ck_assert_int_eq(FL_more_msgs(a.mb), 1);
    ck_assert_int_gt(FL_poll(a.mb), 0);
    ck_assert_int_eq(fm_next(&a, NULL, FM_WAIT_MS), 48);
    ck_assert_int_eq(FL_more_msgs(a.mb), 0);
    /* A is settling: its FIFO message is tagged (+14 on the wire), too
     * long for B's 12 bytes until DROP_RECV strips it (7.2). */
    ck_assert(fm_send(&a, FIFO_MESS, "G", "0123456789"));
    do {
        st = DONT_BLOCK;
        r = FL_receive(b.mb, &st, sender, 4, &ng, groups, &mt, &em, 12, buf,
                       &more);
    } while (r == WOULD_BLOCK);
    ck_assert_int_eq(r, BUFFER_TOO_SHORT);
    ck_assert_int_eq(em, -24);
    ck_assert_int_eq(mt, -32766);
    st = DROP_RECV;
    r = FL_receive(b.mb, &st, sender, 4, &ng, groups, &mt, &em, 12, buf,
                   &more);
    ck_assert_int_eq(r, 10);
    ck_assert_int_eq(mt, 1);
    ck_assert_int_eq(ng, 1);
    ck_assert_str_eq(groups[0], "G");
    ck_assert_int_eq(memcmp(buf, "0123456789", 10), 0);
    fm_close(&a);
    fm_close(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("flush");
    TCase *tc = tcase_create("sequences");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, join_sequence, 0, 2);
    tcase_add_loop_test(tc, leave_and_disconnect, 0, 2);
    tcase_add_loop_test(tc, member_never_flushes, 0, 2);
    tcase_add_loop_test(tc, member_killed, 0, 2);
    tcase_add_loop_test(tc, subgroup_and_closed, 0, 2);
    tcase_add_loop_test(tc, illegal_calls, 0, 2);
    tcase_add_loop_test(tc, short_buffers, 0, 2);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
