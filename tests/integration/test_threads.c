/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: libspread used from several threads at once, against a
 * real daemon. Built and run under ThreadSanitizer in CI. Covers: a sender
 * thread and a receiver thread on one mailbox; several threads connecting,
 * joining, multicasting and disconnecting their own mailboxes at once; two
 * receivers on one mailbox (serialised: each message goes to one of them).
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/client.h"
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

enum { ROUNDS = 2000 };

struct shared_mb {
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    int received;
    int bad;
};

static void *send_loop(void *arg)
{
    struct shared_mb *s = arg;
    int k;
    for (k = 0; k < ROUNDS; k++) {
        char body[16];
        int len = snprintf(body, sizeof body, "%d", k);
        if (SP_multicast(s->mb, FIFO_MESS, s->pg, 0, len, body) != len)
            s->bad++;
    }
    return NULL;
}

static void *recv_loop(void *arg)
{
    struct shared_mb *s = arg;
    struct tc_msg *m = tc_msg_new();
    int k;
    for (k = 0; k < ROUNDS; k++) {
        int r = tc_recv(s->mb, m, 10000);
        if (r < 0 || r >= 16) {
            s->bad++;
            break;
        }
        m->body[r] = '\0';
        if (atoi(m->body) != k) {
            s->bad++;
            break;
        }
        s->received++;
    }
    tc_msg_free(m);
    return NULL;
}

START_TEST(send_and_receive_threads)
{
    struct shared_mb s;
    pthread_t tx, rx;
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(SP_connect(daemon_.spread, "duplex", 0, 0, &s.mb, s.pg), ACCEPT_SESSION);
    pthread_create(&rx, NULL, recv_loop, &s);
    pthread_create(&tx, NULL, send_loop, &s);
    pthread_join(tx, NULL);
    pthread_join(rx, NULL);
    ck_assert_int_eq(s.bad, 0);
    ck_assert_int_eq(s.received, ROUNDS);
    ck_assert_int_eq(SP_disconnect(s.mb), 0);
}
END_TEST

static void *own_session(void *arg)
{
    long id = (long)arg;
    struct tc_msg *m = tc_msg_new();
    long fails = 0;
    int round;
    for (round = 0; round < 20; round++) {
        mailbox mb;
        char pg[MAX_GROUP_NAME], name[16];
        snprintf(name, sizeof name, "t%ld-%d", id, round);
        if (SP_connect(daemon_.spread, name, 0, 1, &mb, pg) != ACCEPT_SESSION) {
            fails++;
            continue;
        }
        if (SP_join(mb, "crowd") != 0 ||
            SP_multicast(mb, AGREED_MESS, pg, 0, 2, "hi") != 2)
            fails++;
        /* Our own message comes back after our own join view; others'
         * join and leave views may come in between. */
        while (tc_recv(mb, m, 10000) >= 0 && !Is_regular_mess(m->service_type))
            ;
        if (m->ret != 2)
            fails++;
        if (SP_disconnect(mb) != 0)
            fails++;
    }
    tc_msg_free(m);
    return (void *)fails;
}

START_TEST(parallel_sessions)
{
    pthread_t t[8];
    long k;
    for (k = 0; k < 8; k++)
        pthread_create(&t[k], NULL, own_session, (void *)k);
    for (k = 0; k < 8; k++) {
        void *fails;
        pthread_join(t[k], &fails);
        ck_assert_int_eq((long)fails, 0);
    }
}
END_TEST

struct two_readers {
    mailbox mb;
    int got[2];
};

struct reader_arg {
    struct two_readers *tr;
    int idx;
};

static void *reader(void *arg)
{
    struct reader_arg *ra = arg;
    struct tc_msg *m = tc_msg_new();
    /* Each reader stops at the first "end" it takes; there is one "end"
     * per reader, so neither can be left blocked on an empty mailbox. */
    while (tc_recv(ra->tr->mb, m, 10000) > 0 && strcmp(m->body, "end") != 0)
        ra->tr->got[ra->idx]++;
    tc_msg_free(m);
    return NULL;
}

START_TEST(two_receivers_one_mailbox)
{
    struct two_readers tr;
    struct reader_arg a0 = {&tr, 0}, a1 = {&tr, 1};
    char pg[MAX_GROUP_NAME];
    pthread_t r0, r1;
    int k;
    memset(&tr, 0, sizeof tr);
    ck_assert_int_eq(SP_connect(daemon_.spread, "two", 0, 0, &tr.mb, pg), ACCEPT_SESSION);
    for (k = 0; k < 500; k++)
        ck_assert_int_eq(SP_multicast(tr.mb, RELIABLE_MESS, pg, 0, 2, "m"), 2);
    for (k = 0; k < 2; k++)
        ck_assert_int_eq(SP_multicast(tr.mb, RELIABLE_MESS, pg, 0, 4, "end"), 4);
    pthread_create(&r0, NULL, reader, &a0);
    pthread_create(&r1, NULL, reader, &a1);
    pthread_join(r0, NULL);
    pthread_join(r1, NULL);
    /* Every message went to exactly one reader, whole. */
    ck_assert_int_eq(tr.got[0] + tr.got[1], 500);
    ck_assert_int_eq(SP_disconnect(tr.mb), 0);
}
END_TEST

static Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("threads");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, send_and_receive_threads);
    tcase_add_test(tc, parallel_sessions);
    tcase_add_test(tc, two_receivers_one_mailbox);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(threads_suite());
}
