/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: flow control under membership floods and slow members
 * (docs/design.md, "Flow control and fairness").
 * - One client toggling a group's membership as fast as it can is held
 *   back like a data sender: members that read at full speed are never
 *   dropped.
 * - A member that reads steadily but slowly slows down the senders that
 *   send only to its groups, and nobody else: it is not dropped.
 * - It does not hold back a sender that also sends to other groups: it is
 *   dropped at MaxSessionMessages, with a logged reason, and the sender's
 *   other traffic goes on at full speed.
 * Speed itself is measured in bench/ (fairness); here only who is dropped
 * and what arrives.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal/wire.h"
#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"
#include "../lib/ckdaemon.h"

/* A receiving member in a thread: counts messages until it has `want`
 * or a receive fails; reads at most `rate` messages a second if rate > 0
 * (a steady, slow reader). */
struct member {
    pthread_t thread;
    mailbox mb;
    long want;
    int rate;
    long got, memb, data;
    int end;            /* the failing receive's result, 0 if none */
};

static void *member_main(void *arg)
{
    struct member *m = arg;
    struct tc_msg *buf = tc_msg_new();
    long long start = tc_now_ms();

    while (m->got < m->want) {
        int r = tc_recv(m->mb, buf, 20000);
        if (r < 0) {
            m->end = r;
            break;
        }
        m->got++;
        if (Is_membership_mess(buf->service_type))
            m->memb++;
        else if (Is_regular_mess(buf->service_type))
            m->data++;
        if (m->rate > 0) {
            /* Keep to the rate: sleep until this message's time. */
            long long due = start + m->got * 1000LL / m->rate;
            long long now = tc_now_ms();
            if (due > now)
                usleep((useconds_t)(due - now) * 1000u);
        }
    }
    tc_msg_free(buf);
    return NULL;
}

static void member_start(struct member *m, mailbox mb, long want, int rate)
{
    memset(m, 0, sizeof *m);
    m->mb = mb;
    m->want = want;
    m->rate = rate;
    ck_assert_int_eq(pthread_create(&m->thread, NULL, member_main, m), 0);
}

static void member_join(struct member *m, int deadline_ms)
{
    ck_assert_msg(tc_join(m->thread, NULL, deadline_ms) == 0,
                  "member still receiving after %d ms (%ld of %ld)",
                  deadline_ms, m->got, m->want);
}

#define TOGGLES 40000

/* One raw client writes JOIN and LEAVE of "flip" back to back as fast as
 * the daemon takes them; two membership-aware members read every notice.
 * Before: the notices were not throttled, and both members were dropped
 * ("too many undelivered messages") after some 27,000 of them. */
START_TEST(membership_flood)
{
    static unsigned char frames[2][48 + MAX_GROUP_NAME];
    struct member m[2];
    char pg[MAX_GROUP_NAME];
    int t, k, i;

    for (k = 0; k < 2; k++) {
        char name[8];
        snprintf(name, sizeof name, "m%d", k);
        m[k].mb = connect_as(_i, name, 1, NULL);
        ck_assert_int_eq(SP_join(m[k].mb, "flip"), 0);
    }
    ck_assert(tc_expect_memb(m[0].mb, msg, "flip", CAUSED_BY_JOIN, 1, NULL));
    ck_assert(tc_expect_memb(m[0].mb, msg, "flip", CAUSED_BY_JOIN, 2, NULL));
    ck_assert(tc_expect_memb(m[1].mb, msg, "flip", CAUSED_BY_JOIN, 2, NULL));
    for (k = 0; k < 2; k++)
        member_start(&m[k], m[k].mb, 2L * TOGGLES, 0);
    t = th_raw_session_on(_i, daemon_.port, "toggler", 0, pg);
    ck_assert_int_ge(t, 0);
    th_raw_header(frames[0], SPW_JOIN_MESS, pg, 1, 0, 0);
    th_raw_header(frames[1], SPW_LEAVE_MESS, pg, 1, 0, 0);
    for (k = 0; k < 2; k++) {
        memset(frames[k] + 48, 0, MAX_GROUP_NAME);
        memcpy(frames[k] + 48, "flip", 4);
    }
    for (i = 0; i < TOGGLES; i++)
        for (k = 0; k < 2; k++)
            ck_assert_int_eq(th_write_all(t, frames[k], sizeof frames[k]), 0);
    for (k = 0; k < 2; k++) {
        member_join(&m[k], 60000);
        ck_assert_msg(m[k].end == 0, "member %d: receive failed with %d "
                      "after %ld notices", k, m[k].end, m[k].got);
        ck_assert_int_eq(m[k].memb, 2L * TOGGLES);
        SP_disconnect(m[k].mb);
    }
    ck_assert(!th_file_contains(daemon_.log, "dropped"));
    close(t);
}
END_TEST

/* Two senders, one reader at 2000 messages a second in "slow". The pure
 * sender writes only to "slow": it is slowed to the reader's pace and
 * the reader, which keeps up with it, is never dropped. */
START_TEST(slow_member_pure_sender)
{
    enum { N = 2000 };
    static char body[1000];
    struct member slow;
    mailbox p, s;
    int i;

    s = connect_as(_i, "slow", 0, NULL);
    ck_assert_int_eq(SP_join(s, "slow"), 0);
    p = connect_as(_i, "pure", 0, NULL);
    member_start(&slow, s, N, 2000);
    for (i = 0; i < N; i++)
        ck_assert_int_eq(SP_multicast(p, RELIABLE_MESS, "slow", 0, sizeof body,
                                      body), (int)sizeof body);
    member_join(&slow, 30000);
    ck_assert_int_eq(slow.end, 0);
    ck_assert_int_eq(slow.data, N);
    ck_assert(!th_file_contains(daemon_.log, "dropped"));
    SP_disconnect(p);
    SP_disconnect(s);
}
END_TEST

/* The mixed sender writes to "slow" and to "fast" in turn. Holding it
 * back for the slow reader would slow its "fast" traffic as much: the
 * slow reader is dropped instead, at MaxSessionMessages, and the fast
 * reader gets every message. Before: the sender was paused over and over
 * and the slow reader was never dropped. */
START_TEST(slow_member_mixed_sender)
{
    enum { N = 20000 };
    static char body[1000];
    struct member slow, fast;
    mailbox p, s, f;
    int i;

    s = connect_as(_i, "slow", 0, NULL);
    ck_assert_int_eq(SP_join(s, "slow"), 0);
    f = connect_as(_i, "fast", 0, NULL);
    ck_assert_int_eq(SP_join(f, "fast"), 0);
    p = connect_as(_i, "mixed", 0, NULL);
    member_start(&slow, s, N, 2000);
    member_start(&fast, f, N, 0);
    for (i = 0; i < N; i++) {
        ck_assert_int_eq(SP_multicast(p, RELIABLE_MESS, "slow", 0, sizeof body,
                                      body), (int)sizeof body);
        ck_assert_int_eq(SP_multicast(p, RELIABLE_MESS, "fast", 0, sizeof body,
                                      body), (int)sizeof body);
    }
    member_join(&fast, 30000);
    ck_assert_int_eq(fast.end, 0);
    ck_assert_int_eq(fast.data, N);
    member_join(&slow, 30000);
    ck_assert_msg(slow.end != 0, "the slow reader was not dropped (%ld of "
                  "%d messages)", slow.got, N);
    ck_assert(th_log_wait(&daemon_, "'slow' from", 5000));
    ck_assert(th_log_wait(&daemon_, "dropped: too many undelivered messages",
                          5000));
    SP_disconnect(p);
    SP_disconnect(f);
    SP_kill(s);
}
END_TEST

/* Messages to a group nobody is in slow nobody down when their sender
 * waits: a sender writing to such a group and to a reading member is
 * held back for that member like a sender to it alone, and the member,
 * however far behind the sender's bursts it falls, is never dropped. */
START_TEST(sender_to_empty_group)
{
    enum { N = 20000 };
    static char body[1000];
    struct member fast;
    mailbox p, f;
    int i;

    f = connect_as(_i, "fast", 0, NULL);
    ck_assert_int_eq(SP_join(f, "fast"), 0);
    p = connect_as(_i, "sender", 0, NULL);
    member_start(&fast, f, N, 0);
    for (i = 0; i < N; i++) {
        ck_assert_int_eq(SP_multicast(p, RELIABLE_MESS, "nobody", 0,
                                      sizeof body, body), (int)sizeof body);
        ck_assert_int_eq(SP_multicast(p, RELIABLE_MESS, "fast", 0, sizeof body,
                                      body), (int)sizeof body);
    }
    member_join(&fast, 30000);
    ck_assert_int_eq(fast.end, 0);
    ck_assert_int_eq(fast.data, N);
    ck_assert(!th_file_contains(daemon_.log, "dropped"));
    SP_disconnect(p);
    SP_disconnect(f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fairness");
    TCase *tc = tcase_create("fairness");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, membership_flood, 0, 2);
    tcase_add_loop_test(tc, slow_member_pure_sender, 0, 2);
    tcase_add_loop_test(tc, slow_member_mixed_sender, 0, 2);
    tcase_add_loop_test(tc, sender_to_empty_group, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
