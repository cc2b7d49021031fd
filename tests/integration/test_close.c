/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: the second phase of the connection lifecycle
 * (shared/spec/lifecycle.md, "SP_close and SP_kill"), against a real
 * daemon, over the unix socket (loop index 0) and TCP (1).
 *
 * Covers:
 * - SP_close on an active mailbox disconnects it (group members see the
 *   CAUSED_BY_DISCONNECT view, even while the test holds a dup() of the
 *   socket: SP_close speaks to the daemon), returns 0 promptly, and
 *   returns only after an SP_receive blocked in another thread has come
 *   back with CONNECTION_CLOSED: the descriptor is already closed when it
 *   returns;
 * - SP_close racing a sender and a receiver on the mailbox;
 * - SP_close from several threads at once: exactly one returns 0;
 * - SP_close and SP_kill on numbers the library does not know return
 *   ILLEGAL_SESSION and leave those descriptors alone;
 * - SP_kill returns int 0, says nothing to the daemon and does not shut
 *   the socket down (with a dup() held, the daemon keeps the session and
 *   still delivers to it; once the last descriptor closes, members see
 *   CAUSED_BY_DISCONNECT);
 * - SP_kill with an SP_receive blocked in another thread: the descriptor
 *   stays open until that call has left;
 * - SP_kill right after a join, racing the daemon's write of the join
 *   view: members still see the disconnect promptly.
 *
 * SP_close after SP_disconnect (the quarantine) is test_reuse.c's.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

#ifdef SP_HAVE_CLOSE

#define PROMPT_MS 1000      /* SP_close against our (acknowledging) daemon */
#define JOIN_MS 10000       /* a thread that must end: a hang, not slowness */

#include "../lib/ckdaemon.h"

#define expect_retired(mb) ck_assert_msg(tc_all_refused(mb), \
                                         "mailbox %d not retired", (mb))

static int fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* An observer in group "watched", and a client that joined it too. */
static mailbox observer(int transport, char *opg)
{
    mailbox obs = connect_as(transport, "observer", 1, opg);
    ck_assert_int_eq(SP_join(obs, "watched"), 0);
    ck_assert(tc_expect_memb(obs, msg, "watched", CAUSED_BY_JOIN, 1, opg));
    return obs;
}

static mailbox joined_client(int transport, mailbox obs, const char *name,
                             char *pg)
{
    mailbox cl = connect_as(transport, name, 1, pg);
    ck_assert_int_eq(SP_join(cl, "watched"), 0);
    ck_assert(tc_expect_memb(obs, msg, "watched", CAUSED_BY_JOIN, 2, pg));
    return cl;
}

/* ---- SP_close on an active mailbox ---------------------------------- */

START_TEST(close_active)
{
    char opg[MAX_GROUP_NAME];
    mailbox obs = observer(_i, opg);
    int variant;

    /* 0: nothing else on the mailbox; 1: an SP_receive blocked in another
     * thread; 2: the test holds a dup() of the socket; 3: both. */
    for (variant = 0; variant < 4; variant++) {
        struct tc_rx rx;
        char pg[MAX_GROUP_NAME];
        mailbox cl = joined_client(_i, obs, "client", pg);
        int with_rx = variant & 1, copy = -1;
        long long t0, took;

        if (with_rx)   /* its first message is its own join view */
            ck_assert_int_eq(tc_rx_start(&rx, cl, NULL, JOIN_MS), 1);
        if (variant & 2)
            ck_assert_int_ge(copy = dup(cl), 0);
        t0 = tc_now_ms();
        ck_assert_int_eq(SP_close(cl), 0);
        took = tc_now_ms() - t0;
        /* No call was left in flight: the last reference has closed the
         * descriptor before SP_close returned. */
        ck_assert_msg(!fd_is_open(cl), "variant %d: descriptor %d still open "
                      "after SP_close", variant, cl);
        ck_assert_msg(took < PROMPT_MS, "variant %d: SP_close took %lld ms",
                      variant, took);
        if (with_rx) {
            ck_assert(tc_rx_join(&rx, JOIN_MS) == 0);
            ck_assert_int_eq(rx.end, CONNECTION_CLOSED);
            ck_assert_int_eq(rx.extra, 0);
        }
        /* It said goodbye: the daemon ended the session although another
         * descriptor of the socket is still open in variants 2 and 3, and
         * half-closed its side of the stream. */
        ck_assert(tc_expect_memb(obs, msg, "watched", CAUSED_BY_DISCONNECT, 1, pg));
        if (copy >= 0) {
            ck_assert_int_eq(th_wait_eof(copy, 5000), 1);
            close(copy);
        }
        expect_retired(cl);
        ck_assert_int_eq(SP_close(cl), ILLEGAL_SESSION);
        ck_assert_int_eq(SP_kill(cl), ILLEGAL_SESSION);
    }
    ck_assert(tc_quiet(obs, 200));
    ck_assert_int_eq(SP_close(obs), 0);
}
END_TEST

/* ---- SP_close racing a sender and a receiver ------------------------- */

struct busy {
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int sent, received, rx_end, tx_end, stop;
};

static void *busy_receiver(void *arg)
{
    struct busy *b = arg;
    struct tc_msg *m = tc_msg_new();
    int r;

    do {
        r = tc_recv_blocking(b->mb, m);
        pthread_mutex_lock(&b->lock);
        if (r >= 0)
            b->received++;
        else {
            b->rx_end = r;
            b->stop = 1;
        }
        pthread_cond_broadcast(&b->cond);
        pthread_mutex_unlock(&b->lock);
    } while (r >= 0);
    tc_msg_free(m);
    return NULL;
}

static void *busy_sender(void *arg)
{
    struct busy *b = arg;
    int r;

    do {
        /* A bounded window keeps the daemon's queue for us short. */
        pthread_mutex_lock(&b->lock);
        while (b->sent - b->received >= 32 && !b->stop)
            pthread_cond_wait(&b->cond, &b->lock);
        pthread_mutex_unlock(&b->lock);
        r = SP_multicast(b->mb, FIFO_MESS, b->pg, 0, 4, "busy");
        pthread_mutex_lock(&b->lock);
        if (r >= 0)
            b->sent++;
        else
            b->tx_end = r;
        pthread_mutex_unlock(&b->lock);
    } while (r >= 0);
    return NULL;
}

START_TEST(close_while_busy)
{
    int rounds = tc_rounds(200, 20), k;

    for (k = 0; k < rounds; k++) {
        struct busy b;
        struct timespec dl = tc_realtime_after(JOIN_MS);
        pthread_t rx, tx;
        int rc = 0, want = 1 + k % 16;

        memset(&b, 0, sizeof b);
        pthread_mutex_init(&b.lock, NULL);
        pthread_cond_init(&b.cond, NULL);
        b.mb = connect_as(_i, "busy", 0, b.pg);
        ck_assert_int_eq(pthread_create(&rx, NULL, busy_receiver, &b), 0);
        ck_assert_int_eq(pthread_create(&tx, NULL, busy_sender, &b), 0);
        pthread_mutex_lock(&b.lock);
        while (b.received < want && rc == 0)
            rc = pthread_cond_timedwait(&b.cond, &b.lock, &dl);
        pthread_mutex_unlock(&b.lock);
        ck_assert_msg(rc == 0, "round %d: no traffic", k);
        ck_assert_int_eq(SP_close(b.mb), 0);
        ck_assert_msg(!fd_is_open(b.mb), "round %d: descriptor open after "
                      "SP_close", k);
        ck_assert_msg(tc_join(rx, NULL, JOIN_MS) == 0, "round %d: receiver hangs", k);
        ck_assert_msg(tc_join(tx, NULL, JOIN_MS) == 0, "round %d: sender hangs", k);
        ck_assert_msg(b.rx_end == CONNECTION_CLOSED || b.rx_end == ILLEGAL_SESSION,
                      "round %d: receiver ended with %d", k, b.rx_end);
        ck_assert_msg(b.tx_end == CONNECTION_CLOSED || b.tx_end == ILLEGAL_SESSION,
                      "round %d: sender ended with %d", k, b.tx_end);
        ck_assert_int_le(b.received, b.sent);
        expect_retired(b.mb);
        ck_assert_int_eq(SP_close(b.mb), ILLEGAL_SESSION);
        pthread_mutex_destroy(&b.lock);
        pthread_cond_destroy(&b.cond);
    }
}
END_TEST

/* ---- SP_close from several threads at once --------------------------- */

enum { CLOSERS = 4 };

struct closer {
    mailbox mb;
    pthread_barrier_t *go;
    int use_disconnect;     /* this one calls SP_disconnect instead */
    int rc;
};

static void *closer_main(void *arg)
{
    struct closer *c = arg;
    pthread_barrier_wait(c->go);
    c->rc = c->use_disconnect ? SP_disconnect(c->mb) : SP_close(c->mb);
    return NULL;
}

START_TEST(concurrent_closes)
{
    int rounds = tc_rounds(100, 20), k, i;

    for (k = 0; k < rounds; k++) {
        struct closer c[CLOSERS];
        pthread_barrier_t go;
        pthread_t t[CLOSERS];
        int zero = 0, mixed = k % 2;
        mailbox mb = connect_as(0, "closer", 0, NULL);

        pthread_barrier_init(&go, NULL, CLOSERS);
        for (i = 0; i < CLOSERS; i++) {
            c[i].mb = mb;
            c[i].go = &go;
            /* Odd rounds: one of them calls SP_disconnect instead. */
            c[i].use_disconnect = mixed && i == 0;
            c[i].rc = -12345;
            ck_assert_int_eq(pthread_create(&t[i], NULL, closer_main, &c[i]), 0);
        }
        for (i = 0; i < CLOSERS; i++)
            ck_assert_msg(tc_join(t[i], NULL, JOIN_MS) == 0, "round %d: hang", k);
        for (i = 0; i < CLOSERS; i++) {
            ck_assert_msg(c[i].rc == 0 || c[i].rc == ILLEGAL_SESSION,
                          "round %d: call %d returned %d", k, i, c[i].rc);
            zero += c[i].rc == 0 && !c[i].use_disconnect;
        }
        /* One SP_close either ended the session itself or (after a
         * winning SP_disconnect) released the quarantined number; every
         * other found nothing left to do. */
        ck_assert_msg(zero == 1, "round %d: %d SP_close calls returned 0", k, zero);
        ck_assert(!fd_is_open(mb));
        ck_assert_int_eq(SP_close(mb), ILLEGAL_SESSION);
        expect_retired(mb);
        pthread_barrier_destroy(&go);
    }
}
END_TEST

/* ---- numbers the library does not know ------------------------------ */

START_TEST(unknown_numbers)
{
    char path[] = "/tmp/cohort-close-XXXXXX";
    int fd = mkstemp(path);
    char buf[8];

    ck_assert_int_ge(fd, 0);
    unlink(path);
    ck_assert_int_eq(write(fd, "12345678", 8), 8);
    ck_assert_int_eq(SP_close(-1), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_kill(-1), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_close(1 << 20), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_kill(1 << 20), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_close(fd + 100), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_kill(fd + 100), ILLEGAL_SESSION);
    /* An open descriptor that is not a mailbox stays open and untouched. */
    ck_assert_int_eq(SP_close(fd), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_kill(fd), ILLEGAL_SESSION);
    ck_assert(fd_is_open(fd));
    ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 8);
    ck_assert_int_eq(pread(fd, buf, 8, 0), 8);
    ck_assert_int_eq(memcmp(buf, "12345678", 8), 0);
    close(fd);
    /* The same with a live session in the table. */
    {
        mailbox mb = connect_as(_i, "bystander", 0, NULL);
        ck_assert_int_eq(SP_close(mb + 1000), ILLEGAL_SESSION);
        ck_assert_int_eq(SP_kill(mb + 1000), ILLEGAL_SESSION);
        ck_assert_int_eq(SP_poll(mb), 0);
        ck_assert_int_eq(SP_close(mb), 0);
    }
}
END_TEST

/* ---- SP_kill --------------------------------------------------------- */

START_TEST(kill_says_nothing)
{
    char opg[MAX_GROUP_NAME], pg[MAX_GROUP_NAME];
    mailbox obs = observer(_i, opg);
    mailbox cl = joined_client(_i, obs, "killed", pg);
    unsigned char frame[48 + MAX_GROUP_NAME + 4];
    int copy, r;

    /* Take the client's own join view, so that what the copy reads
     * later was sent after SP_kill. */
    ck_assert(tc_expect_memb(cl, msg, "watched", CAUSED_BY_JOIN, 2, pg));
    ck_assert_int_ge(copy = dup(cl), 0);
    r = SP_kill(cl);    /* int since SP_HAVE_CLOSE */
    ck_assert_int_eq(r, 0);
    ck_assert(!fd_is_open(cl));     /* nothing was in flight */
    expect_retired(cl);
    ck_assert_int_eq(SP_kill(cl), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_close(cl), ILLEGAL_SESSION);   /* not quarantined */

    /* No KILL and no shutdown(): the daemon still has the session and
     * delivers the observer's next message to it, through the copy: one
     * header, one group name, the body. */
    ck_assert_int_eq(SP_multicast(obs, AGREED_MESS, "watched", 0, 4, "ping"), 4);
    ck_assert(tc_expect_data(obs, msg, opg, "ping"));
    ck_assert_int_eq(th_read_exact(copy, frame, sizeof frame, 5000), (long)sizeof frame);
    ck_assert_int_eq(memcmp(frame + sizeof frame - 4, "ping", 4), 0);
    ck_assert_int_eq(memcmp(frame + 48, "watched", 8), 0);
    ck_assert(tc_quiet(obs, 200));

    /* The last descriptor closes: the daemon sees the end now. */
    close(copy);
    ck_assert(tc_expect_memb(obs, msg, "watched", CAUSED_BY_DISCONNECT, 1, pg));

    /* Without a copy, SP_kill's close itself ends the session. */
    cl = joined_client(_i, obs, "killed2", pg);
    ck_assert(tc_expect_memb(cl, msg, "watched", CAUSED_BY_JOIN, 2, pg));
    ck_assert_int_eq(SP_kill(cl), 0);
    ck_assert(tc_expect_memb(obs, msg, "watched", CAUSED_BY_DISCONNECT, 1, pg));
    expect_retired(cl);
    ck_assert(tc_quiet(obs, 200));
    ck_assert_int_eq(SP_close(obs), 0);
}
END_TEST

/* SP_kill at once, before the daemon may even have written the client's
 * own join view: the daemon can then meet the closed socket while it
 * writes (EPIPE on the unix socket) instead of while it reads. Members
 * must see the disconnect either way, without waiting for other traffic. */
START_TEST(kill_before_daemon_writes)
{
    char opg[MAX_GROUP_NAME];
    mailbox obs = observer(_i, opg);
    int rounds = tc_rounds(100, 20), k;

    for (k = 0; k < rounds; k++) {
        char pg[MAX_GROUP_NAME];
        mailbox cl = joined_client(_i, obs, "hasty", pg);
        ck_assert_int_eq(SP_kill(cl), 0);
        ck_assert_msg(tc_expect_memb(obs, msg, "watched", CAUSED_BY_DISCONNECT, 1, pg),
                      "round %d: no disconnect view within 5 s", k);
    }
    ck_assert(tc_quiet(obs, 200));
    ck_assert_int_eq(SP_close(obs), 0);
}
END_TEST

START_TEST(kill_with_blocked_receiver)
{
    char opg[MAX_GROUP_NAME], pg[MAX_GROUP_NAME];
    mailbox obs = observer(_i, opg);
    mailbox cl = joined_client(_i, obs, "victim", pg);
    struct tc_rx rx;

    ck_assert_int_eq(tc_rx_start(&rx, cl, "wake", JOIN_MS), 1);
    ck_assert_int_eq(SP_kill(cl), 0);
    /* New calls are refused at once ... */
    ck_assert_int_eq(SP_poll(cl), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_multicast(cl, AGREED_MESS, "watched", 0, 2, "x"),
                     ILLEGAL_SESSION);
    /* ... but the receiver inside SP_receive still holds its reference,
     * so the descriptor stays open and the daemon sees nothing (SP_kill
     * does not shut the socket down, by design). */
    ck_assert(fd_is_open(cl));
    ck_assert(tc_quiet(obs, 200));
    /* Data wakes it; it leaves, and the last reference closes. */
    ck_assert_int_eq(SP_multicast(obs, AGREED_MESS, "watched", 0, 4, "wake"), 4);
    ck_assert(tc_expect_data(obs, msg, opg, "wake"));
    ck_assert(tc_rx_join(&rx, JOIN_MS) == 0);
    ck_assert_int_eq(rx.extra_bad, 0);
    ck_assert_msg(rx.end == CONNECTION_CLOSED || rx.end == ILLEGAL_SESSION,
                  "receiver ended with %d", rx.end);
    ck_assert(!fd_is_open(cl));
    ck_assert(tc_expect_memb(obs, msg, "watched", CAUSED_BY_DISCONNECT, 1, pg));
    expect_retired(cl);
    ck_assert_int_eq(SP_close(obs), 0);
}
END_TEST

static Suite *close_suite(void)
{
    Suite *s = suite_create("close");
    TCase *tc = tcase_create("close");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, close_active, 0, 2);
    tcase_add_loop_test(tc, close_while_busy, 0, 2);
    tcase_add_test(tc, concurrent_closes);
    tcase_add_loop_test(tc, unknown_numbers, 0, 2);
    tcase_add_loop_test(tc, kill_says_nothing, 0, 2);
    tcase_add_loop_test(tc, kill_with_blocked_receiver, 0, 2);
    tcase_add_loop_test(tc, kill_before_daemon_writes, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(close_suite());
}

#else /* !SP_HAVE_CLOSE */

int main(void)
{
    fprintf(stderr, "SKIP: this libspread has no SP_close (SP_HAVE_CLOSE)\n");
    return 77;
}

#endif
