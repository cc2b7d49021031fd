/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: the library side of the connection lifecycle
 * (shared/spec/lifecycle.md), first part: SP_disconnect is graceful and
 * safe from any thread. Against a real daemon that acknowledges the
 * disconnect (the half-close acknowledgement), over the unix socket (loop
 * index 0) and TCP (1) where the transport matters.
 *
 * Covers:
 * - scenario 1: a thread blocked in SP_receive returns CONNECTION_CLOSED
 *   within 1 s of another thread's SP_disconnect (after any messages sent
 *   before it); SP_disconnect returns 0 well within its 2 s bound; every
 *   later call on the mailbox gets ILLEGAL_SESSION;
 * - the three-thread regression: receiver, sender and disconnector on one
 *   mailbox, many rounds: all three end, with the expected codes;
 * - SP_disconnect from several threads at once: exactly one wins;
 * - SP_disconnect from a thread while the main thread is blocked in
 *   SP_receive on a mailbox without traffic;
 * - group members still see the ordinary CAUSED_BY_DISCONNECT view.
 *
 * "Blocked" is established, not hoped for: the receiver first takes one
 * message, says it is about to receive again, and the test then waits
 * until /proc shows that thread asleep in a socket read. Nothing sleeps
 * to synchronise; every wait has a deadline. Round counts scale down
 * under sanitizers (tc_rounds).
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

/* A blocked receiver must come back this fast after SP_disconnect starts
 * (the contract's bound), and SP_disconnect itself must return well
 * within its own 2 s limit, since our daemon acknowledges. */
#define WAKE_MS 1000
#define DISCONNECT_MS 1000
/* Generous bound for a thread that must end: a hang, not slowness. */
#define JOIN_MS 10000

#include "../lib/ckdaemon.h"

/* Every call on a retired mailbox is refused without effect. */
#define expect_retired(mb) ck_assert_msg(tc_all_refused(mb), \
                                         "mailbox %d not retired", (mb))

/* ---- scenario 1: blocked receiver, disconnect from another thread ---- */

/* Give the receiver of mailbox mb (private group pg) its first message
 * and start it; returns tc_rx_start's verdict. */
static int start_receiver(struct tc_rx *rx, mailbox mb, const char *pg,
                          const char *expect_body)
{
    int blocked;

    ck_assert_int_eq(SP_multicast(mb, RELIABLE_MESS, pg, 0, 6, "hello"), 6);
    blocked = tc_rx_start(rx, mb, expect_body, JOIN_MS);
    ck_assert_msg(blocked >= 0, "receiver did not take its first message "
                  "(%d)", rx->first);
    ck_assert_int_eq(rx->first, 6);
    return blocked;
}

START_TEST(blocked_receive_then_disconnect)
{
    int rounds = tc_rounds(300, 20), k, verified = 0, quiet = 0;
    long long worst_wake = 0, worst_disc = 0;

    for (k = 0; k < rounds; k++) {
        struct tc_rx b;
        char pg[MAX_GROUP_NAME], name[16];
        long long t0, t1;
        int blocked, more = k % 4 == 3 ? 2 : 0, i, rc;
        mailbox mb;

        snprintf(name, sizeof name, "blk%d", k);
        mb = connect_as(_i, name, 0, pg);
        blocked = start_receiver(&b, mb, pg, "more");
        /* Some rounds also have messages in flight at the disconnect:
         * the receiver may return them first. */
        for (i = 0; i < more; i++)
            ck_assert_int_eq(SP_multicast(mb, RELIABLE_MESS, pg, 0, 5, "more"), 5);
        t0 = th_now_ms();
        rc = SP_disconnect(mb);
        t1 = th_now_ms();
        ck_assert_int_eq(rc, 0);
        ck_assert_msg(tc_rx_join(&b, JOIN_MS) == 0,
                      "round %d: receiver still blocked after %d ms", k, JOIN_MS);
        ck_assert_msg(t1 - t0 < DISCONNECT_MS, "round %d: SP_disconnect took %lld ms",
                      k, t1 - t0);
        ck_assert_msg(b.end_ms - t0 < WAKE_MS, "round %d: receiver woke after %lld ms",
                      k, b.end_ms - t0);
        ck_assert_int_eq(b.extra_bad, 0);
        ck_assert_int_le(b.extra, more);
        if (blocked && more == 0) {
            /* Inside SP_receive when the disconnect began. */
            ck_assert_msg(b.end == CONNECTION_CLOSED,
                          "round %d: blocked receiver returned %d", k, b.end);
            verified++;
        } else {
            /* It may have come back with a message and called again after
             * the mailbox was retired. */
            ck_assert_msg(b.end == CONNECTION_CLOSED || b.end == ILLEGAL_SESSION,
                          "round %d: receiver returned %d", k, b.end);
        }
        if (more == 0)
            quiet++;
        if (b.end_ms - t0 > worst_wake)
            worst_wake = b.end_ms - t0;
        if (t1 - t0 > worst_disc)
            worst_disc = t1 - t0;
        expect_retired(mb);
    }
    fprintf(stderr, "blocked_receive_then_disconnect[%s]: %d rounds, %d of %d "
                    "quiet rounds seen blocked in the socket read; worst "
                    "wake-up %lld ms, worst SP_disconnect %lld ms\n",
            _i ? "tcp" : "unix", rounds, verified, quiet,
            worst_wake, worst_disc);
    /* Without /proc wait channels the claim is weaker; with them, almost
     * every quiet round must have been a real blocked receive. */
    if (tc_wchan_supported())
        ck_assert_int_ge(verified * 10, quiet * 9);
}
END_TEST

/* ---- the three-thread regression ----------------------------------- */

enum { TRIO_WINDOW = 32 };

struct trio {
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int target;         /* disconnect once this many have arrived */
    int wait_blocked;   /* then also give the receiver a moment to block */
    pid_t rx_tid;
    int received, sent, stop;
    int rx_end, tx_end, disc_rc;
    int out_of_order;
    int stopped_then_sent;  /* a multicast succeeded after the receiver ended */
};

static void *trio_receiver(void *arg)
{
    struct trio *tr = arg;
    struct tc_msg *m = tc_msg_new();
    int r;

    pthread_mutex_lock(&tr->lock);
    tr->rx_tid = tc_gettid();
    pthread_mutex_unlock(&tr->lock);
    for (;;) {
        r = tc_recv_blocking(tr->mb, m);
        pthread_mutex_lock(&tr->lock);
        if (r < 0) {
            tr->rx_end = r;
            tr->stop = 1;
        } else {
            if (atoi(m->body) != tr->received || strcmp(m->sender, tr->pg) != 0)
                tr->out_of_order++;
            tr->received++;
        }
        pthread_cond_broadcast(&tr->cond);
        pthread_mutex_unlock(&tr->lock);
        if (r < 0)
            break;
    }
    tc_msg_free(m);
    return NULL;
}

static void *trio_sender(void *arg)
{
    struct trio *tr = arg;
    int n = 0;

    for (;;) {
        char body[16];
        int len, r, stopped;

        /* A window keeps the daemon's queue for us short, so the session
         * ends by our disconnect and not by the daemon's flow control. */
        pthread_mutex_lock(&tr->lock);
        while (tr->sent - tr->received >= TRIO_WINDOW && !tr->stop)
            pthread_cond_wait(&tr->cond, &tr->lock);
        stopped = tr->stop;
        pthread_mutex_unlock(&tr->lock);
        len = snprintf(body, sizeof body, "%d", n);
        r = SP_multicast(tr->mb, FIFO_MESS, tr->pg, 0, len, body);
        pthread_mutex_lock(&tr->lock);
        if (r < 0)
            tr->tx_end = r;
        else {
            tr->sent = ++n;
            if (stopped)
                tr->stopped_then_sent++;
        }
        pthread_mutex_unlock(&tr->lock);
        if (r < 0 || stopped)
            break;
    }
    return NULL;
}

static void *trio_disconnector(void *arg)
{
    struct trio *tr = arg;
    struct timespec dl = tc_realtime_after(JOIN_MS);
    int rc = 0;
    pid_t pid;

    pthread_mutex_lock(&tr->lock);
    while (tr->received < tr->target && !tr->stop && rc == 0)
        rc = pthread_cond_timedwait(&tr->cond, &tr->lock, &dl);
    pid = tr->rx_tid;
    pthread_mutex_unlock(&tr->lock);
    /* Best effort, not asserted: in these rounds the disconnect more
     * often finds the receiver inside SP_receive than between calls. */
    if (tr->wait_blocked)
        tc_wait_in_socket_read(pid, 100);
    rc = SP_disconnect(tr->mb);
    pthread_mutex_lock(&tr->lock);
    tr->disc_rc = rc;
    pthread_mutex_unlock(&tr->lock);
    return NULL;
}

START_TEST(receiver_sender_disconnector)
{
    int rounds = tc_rounds(400, 30), k, cc = 0;

    for (k = 0; k < rounds; k++) {
        struct trio tr;
        pthread_t rx, tx, dx;
        char name[16];

        memset(&tr, 0, sizeof tr);
        pthread_mutex_init(&tr.lock, NULL);
        pthread_cond_init(&tr.cond, NULL);
        tr.target = 1 + k % 20;
        tr.wait_blocked = k % 2;
        tr.disc_rc = -12345;
        snprintf(name, sizeof name, "trio%d", k);
        tr.mb = connect_as(_i, name, 0, tr.pg);
        ck_assert_int_eq(pthread_create(&rx, NULL, trio_receiver, &tr), 0);
        ck_assert_int_eq(pthread_create(&tx, NULL, trio_sender, &tr), 0);
        ck_assert_int_eq(pthread_create(&dx, NULL, trio_disconnector, &tr), 0);
        ck_assert_msg(tc_join(dx, NULL, JOIN_MS) == 0, "round %d: disconnector hangs", k);
        ck_assert_msg(tc_join(rx, NULL, JOIN_MS) == 0, "round %d: receiver hangs", k);
        ck_assert_msg(tc_join(tx, NULL, JOIN_MS) == 0, "round %d: sender hangs", k);

        ck_assert_int_eq(tr.disc_rc, 0);
        ck_assert_msg(tr.received >= tr.target, "round %d: only %d messages before "
                      "the disconnect", k, tr.received);
        ck_assert_int_eq(tr.out_of_order, 0);
        ck_assert_msg(tr.rx_end == CONNECTION_CLOSED || tr.rx_end == ILLEGAL_SESSION,
                      "round %d: receiver ended with %d", k, tr.rx_end);
        ck_assert_msg(tr.tx_end == CONNECTION_CLOSED || tr.tx_end == ILLEGAL_SESSION,
                      "round %d: sender ended with %d", k, tr.tx_end);
        /* The receiver ends only after the mailbox was retired, so no
         * multicast can succeed after it. */
        ck_assert_int_eq(tr.stopped_then_sent, 0);
        cc += tr.rx_end == CONNECTION_CLOSED;
        expect_retired(tr.mb);
        pthread_mutex_destroy(&tr.lock);
        pthread_cond_destroy(&tr.cond);
    }
    fprintf(stderr, "receiver_sender_disconnector[%s]: %d rounds, receiver saw "
                    "CONNECTION_CLOSED in %d (else ILLEGAL_SESSION)\n",
            _i ? "tcp" : "unix", rounds, cc);
}
END_TEST

/* ---- concurrent SP_disconnect --------------------------------------- */

enum { RACERS = 4 };

struct racer {
    mailbox mb;
    pthread_barrier_t *go;
    int rc;
};

static void *racer_main(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->go);
    r->rc = SP_disconnect(r->mb);
    return NULL;
}

START_TEST(concurrent_disconnects)
{
    int rounds = tc_rounds(100, 20), k, i;

    for (k = 0; k < rounds; k++) {
        struct racer r[RACERS];
        pthread_barrier_t go;
        pthread_t t[RACERS];
        struct tc_rx b;
        char pg[MAX_GROUP_NAME];
        int winners = 0, blocked;
        mailbox mb = connect_as(0, "racer", 0, pg);

        /* Odd rounds also have a receiver blocked on the mailbox. */
        blocked = k % 2 ? start_receiver(&b, mb, pg, NULL) : 0;
        pthread_barrier_init(&go, NULL, RACERS);
        for (i = 0; i < RACERS; i++) {
            r[i].mb = mb;
            r[i].go = &go;
            r[i].rc = -12345;
            ck_assert_int_eq(pthread_create(&t[i], NULL, racer_main, &r[i]), 0);
        }
        for (i = 0; i < RACERS; i++)
            ck_assert_msg(tc_join(t[i], NULL, JOIN_MS) == 0, "round %d: racer hangs", k);
        for (i = 0; i < RACERS; i++) {
            ck_assert_msg(r[i].rc == 0 || r[i].rc == ILLEGAL_SESSION,
                          "round %d: SP_disconnect returned %d", k, r[i].rc);
            winners += r[i].rc == 0;
        }
        ck_assert_msg(winners == 1, "round %d: %d calls returned 0", k, winners);
        if (k % 2) {
            ck_assert_msg(tc_rx_join(&b, JOIN_MS) == 0, "round %d: receiver hangs", k);
            if (blocked)
                ck_assert_int_eq(b.end, CONNECTION_CLOSED);
        }
        expect_retired(mb);
        pthread_barrier_destroy(&go);
    }
}
END_TEST

/* ---- disconnect while the main thread is blocked --------------------- */

struct main_blocked {
    mailbox mb;
    pid_t main_tid;
    pthread_mutex_t lock;
    int seen_blocked;
    long long t0;
    int rc;
};

static void *disconnect_main_mailbox(void *arg)
{
    struct main_blocked *mbk = arg;
    int seen = tc_wait_in_socket_read(mbk->main_tid, 5000);
    long long t0 = th_now_ms();
    int rc;

    pthread_mutex_lock(&mbk->lock);
    mbk->seen_blocked = seen;
    mbk->t0 = t0;
    pthread_mutex_unlock(&mbk->lock);
    rc = SP_disconnect(mbk->mb);
    pthread_mutex_lock(&mbk->lock);
    mbk->rc = rc;
    pthread_mutex_unlock(&mbk->lock);
    return NULL;
}

START_TEST(disconnect_under_blocked_main_thread)
{
    int rounds = tc_rounds(50, 10), k;
    struct tc_msg *m = tc_msg_new();

    for (k = 0; k < rounds; k++) {
        struct main_blocked mbk;
        pthread_t t;
        long long woke;
        int r;

        memset(&mbk, 0, sizeof mbk);
        pthread_mutex_init(&mbk.lock, NULL);
        mbk.mb = connect_as(_i, "idle", 0, NULL);
        mbk.main_tid = tc_gettid();
        ck_assert_int_eq(pthread_create(&t, NULL, disconnect_main_mailbox, &mbk), 0);
        /* No traffic at all: only the disconnect can end this. */
        r = tc_recv_blocking(mbk.mb, m);
        woke = th_now_ms();
        ck_assert_msg(tc_join(t, NULL, JOIN_MS) == 0, "round %d: disconnector hangs", k);
        ck_assert_int_eq(mbk.rc, 0);
        if (tc_wchan_supported()) {
            ck_assert_msg(mbk.seen_blocked, "round %d: main thread never seen "
                          "blocked", k);
            ck_assert_msg(r == CONNECTION_CLOSED, "round %d: SP_receive "
                          "returned %d", k, r);
        } else {
            /* Unverified: SP_receive may have started after the retirement. */
            ck_assert_msg(r == CONNECTION_CLOSED || r == ILLEGAL_SESSION,
                          "round %d: SP_receive returned %d", k, r);
        }
        ck_assert_msg(woke - mbk.t0 < WAKE_MS, "round %d: woke after %lld ms", k,
                      woke - mbk.t0);
        expect_retired(mbk.mb);
        pthread_mutex_destroy(&mbk.lock);
    }
    tc_msg_free(m);
}
END_TEST

/* ---- what group members see ---------------------------------------- */

START_TEST(observer_sees_disconnect)
{
    struct tc_msg *m = tc_msg_new();
    char opg[MAX_GROUP_NAME];
    mailbox obs = connect_as(_i, "observer", 1, opg);
    int variant;

    ck_assert_int_eq(SP_join(obs, "watched"), 0);
    ck_assert(tc_expect_memb(obs, m, "watched", CAUSED_BY_JOIN, 1, opg));
    /* Variant 0: nobody else uses the client's mailbox; 1: a receiver is
     * blocked on it; 2: messages for it are still queued. */
    for (variant = 0; variant < 3; variant++) {
        struct tc_rx b;
        char pg[MAX_GROUP_NAME];
        mailbox cl = connect_as(_i, "client", 1, pg);
        int i;

        ck_assert_int_eq(SP_join(cl, "watched"), 0);
        ck_assert(tc_expect_memb(obs, m, "watched", CAUSED_BY_JOIN, 2, pg));
        /* The receiver's first message is its own join view. */
        if (variant == 1)
            ck_assert_int_eq(tc_rx_start(&b, cl, NULL, JOIN_MS), 1);
        for (i = 0; variant == 2 && i < 20; i++)
            ck_assert_int_eq(SP_multicast(obs, AGREED_MESS, "watched", 0, 3, "abc"), 3);
        for (i = 0; variant == 2 && i < 20; i++)
            ck_assert(tc_expect_data(obs, m, opg, "abc"));
        ck_assert_int_eq(SP_disconnect(cl), 0);
        ck_assert(tc_expect_memb(obs, m, "watched", CAUSED_BY_DISCONNECT, 1, pg));
        if (variant == 1) {
            ck_assert(tc_rx_join(&b, JOIN_MS) == 0);
            ck_assert_int_eq(b.end, CONNECTION_CLOSED);
            ck_assert_int_eq(b.extra, 0);
        }
        expect_retired(cl);
    }
    /* Nothing else was said about the group. */
    ck_assert(tc_quiet(obs, 200));
    ck_assert_int_eq(SP_disconnect(obs), 0);
    tc_msg_free(m);
}
END_TEST

static Suite *lifecycle_suite(void)
{
    Suite *s = suite_create("lifecycle");
    TCase *tc = tcase_create("disconnect");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, blocked_receive_then_disconnect, 0, 2);
    tcase_add_loop_test(tc, receiver_sender_disconnector, 0, 2);
    tcase_add_test(tc, concurrent_disconnects);
    tcase_add_loop_test(tc, disconnect_under_blocked_main_thread, 0, 2);
    tcase_add_loop_test(tc, observer_sees_disconnect, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(lifecycle_suite());
}
