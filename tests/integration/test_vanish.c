/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: clients that vanish. A client that sends something and
 * then closes its socket (exit, crash, kill -9, or a client library that
 * disconnects by closing) must be noticed whatever arrived together with
 * its end of stream: the others get CAUSED_BY_DISCONNECT, its name is
 * freed, and the daemon closes its socket (nothing left in CLOSE-WAIT,
 * the descriptor count back where it was). Hundreds of raw clients do
 * it at once, over both transports, while other clients keep the daemon
 * busy. The vanishing clients never get anything written to them, so a
 * failed write cannot be what reveals them: only reading can.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal/wire.h"
#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"
#include "../lib/ckdaemon.h"

#define N_CLIENTS 200
#define GROUP "vanish"

/* ---- background load: a client that keeps the daemon busy ---- */

struct load {
    pthread_t thread;
    mailbox mb;
    volatile int stop;
    long rounds;
};

static void *load_main(void *arg)
{
    struct load *l = arg;
    static char body[1000];
    struct tc_msg *m = tc_msg_new();
    int k;

    while (!l->stop) {
        for (k = 0; k < 8; k++)
            if (SP_multicast(l->mb, AGREED_MESS, "load", 0, sizeof body, body) < 0)
                goto out;
        for (k = 0; k < 8; k++)
            if (tc_recv(l->mb, m, 5000) < 0)
                goto out;
        l->rounds++;
    }
out:
    tc_msg_free(m);
    return NULL;
}

static void load_start(struct load *l, int transport)
{
    memset(l, 0, sizeof *l);
    l->mb = connect_as(transport, "load", 0, NULL);
    ck_assert_int_eq(SP_join(l->mb, "load"), 0);
    ck_assert_int_eq(pthread_create(&l->thread, NULL, load_main, l), 0);
}

static void load_stop(struct load *l)
{
    l->stop = 1;
    ck_assert_int_eq(tc_join(l->thread, NULL, 10000), 0);
    ck_assert_msg(l->rounds > 0, "the load client made no progress");
    SP_disconnect(l->mb);
}

/* ---- raw clients ---- */

static void raw_join(int fd, const char *pg, const char *group)
{
    unsigned char f[48 + MAX_GROUP_NAME];

    th_raw_header(f, SPW_JOIN_MESS, pg, 1, 0, 0);
    memset(f + 48, 0, MAX_GROUP_NAME);
    memcpy(f + 48, group, strnlen(group, MAX_GROUP_NAME - 1));
    ck_assert_int_eq(th_write_all(fd, f, sizeof f), 0);
}

static void raw_send(int fd, const char *pg, const char *to, const char *body)
{
    unsigned char f[48 + MAX_GROUP_NAME + 64];
    size_t len = strlen(body);

    th_raw_header(f, RELIABLE_MESS, pg, 1, 0, (int)len);
    memset(f + 48, 0, MAX_GROUP_NAME);
    memcpy(f + 48, to, strnlen(to, MAX_GROUP_NAME - 1));
    memcpy(f + 48 + MAX_GROUP_NAME, body, len);
    ck_assert_int_eq(th_write_all(fd, f, 48 + MAX_GROUP_NAME + len), 0);
}

/* The daemon's descriptors and CLOSE-WAIT sockets return to `fds0` (or
 * fewer: the baseline may include a connection of the harness's start-up
 * check that the daemon was still closing) and 0. */
static void expect_released(int fds0, int deadline_ms)
{
    long long deadline = th_now_ms() + deadline_ms;
    int fds, cw;

    do {
        fds = th_daemon_fd_count(&daemon_);
        cw = th_tcp_count_state(daemon_.port, TH_TCP_CLOSE_WAIT);
        if (fds <= fds0 && cw == 0)
            return;
        usleep(10000);
    } while (th_now_ms() < deadline);
    ck_abort_msg("after %d ms the daemon still holds %d descriptors (%d "
                 "before) and %d sockets in CLOSE-WAIT", deadline_ms, fds,
                 fds0, cw);
}

/* N raw sessions join GROUP, each writes one message to the watcher and
 * then ends its stream (close, or shutdown of its sending side); the
 * watcher must see every message and every disconnect. */
static void vanish_after_write(int transport, int half_close)
{
    static int fd[N_CLIENTS];
    char wpg[MAX_GROUP_NAME], pg[MAX_GROUP_NAME], name[16];
    struct load load;
    mailbox w;
    int k, fds0, data = 0, gone = 0;
    long long deadline;

    w = connect_as(transport, "watcher", 1, wpg);
    ck_assert_int_eq(SP_join(w, GROUP), 0);
    ck_assert(tc_expect_memb(w, msg, GROUP, CAUSED_BY_JOIN, 1, NULL));
    load_start(&load, transport);
    fds0 = th_daemon_fd_count(&daemon_);
    ck_assert_int_gt(fds0, 0);
    for (k = 0; k < N_CLIENTS; k++) {
        snprintf(name, sizeof name, "v%d", k);
        fd[k] = th_raw_session_on(transport, daemon_.port, name, 0, pg);
        ck_assert_msg(fd[k] >= 0, "raw session %d", k);
        raw_join(fd[k], pg, GROUP);
        ck_assert(tc_expect_memb(w, msg, GROUP, CAUSED_BY_JOIN, k + 2, pg));
    }
    /* All at once: the message and the end of stream travel together. */
    for (k = 0; k < N_CLIENTS; k++) {
        snprintf(name, sizeof name, "#v%d#localhost", k);
        raw_send(fd[k], name, wpg, "last words");
        if (half_close)
            shutdown(fd[k], SHUT_WR);
        else
            close(fd[k]);
    }
    deadline = th_now_ms() + 20000;
    while ((data < N_CLIENTS || gone < N_CLIENTS) && th_now_ms() < deadline) {
        int r = tc_recv(w, msg, (int)(deadline - th_now_ms()));
        if (r == TC_TIMEOUT)
            break;
        ck_assert_int_ge(r, 0);
        if (Is_regular_mess(msg->service_type))
            data++;
        else if (Is_caused_disconnect_mess(msg->service_type)) {
            gone++;
            ck_assert_int_eq(msg->num_groups, N_CLIENTS + 1 - gone);
        }
    }
    ck_assert_msg(data == N_CLIENTS && gone == N_CLIENTS,
                  "%s: %d of %d messages and %d of %d disconnects seen",
                  half_close ? "shutdown" : "close", data, N_CLIENTS, gone,
                  N_CLIENTS);
    if (half_close)
        for (k = 0; k < N_CLIENTS; k++)
            close(fd[k]);
    expect_released(fds0, 5000);
    /* Every name is free again. */
    ck_assert_int_eq(close(th_raw_session_on(transport, daemon_.port, "v0", 0,
                                             pg)), 0);
    load_stop(&load);
    SP_disconnect(w);
}

START_TEST(write_then_close)
{
    vanish_after_write(_i, 0);
}
END_TEST

START_TEST(write_then_shutdown)
{
    vanish_after_write(_i, 1);
}
END_TEST

/* Connect messages followed at once by the end of the stream: the daemon
 * must close these handshakes at once, not when the wait for an
 * authentication choice runs out (10 s before 0.3, 5 s now). */
START_TEST(handshake_then_shutdown)
{
    static int fd[N_CLIENTS];
    int k, fds0 = th_daemon_fd_count(&daemon_);

    ck_assert_int_gt(fds0, 0);
    for (k = 0; k < N_CLIENTS; k++) {
        fd[k] = _i ? th_connect_tcp(daemon_.port) : th_connect_unix(daemon_.port);
        ck_assert_int_ge(fd[k], 0);
    }
    for (k = 0; k < N_CLIENTS; k++) {
        unsigned char hello[16] = {5, 0, 1, 0};
        int n = snprintf((char *)hello + 5, 11, "h%d", k);
        hello[4] = (unsigned char)n;
        ck_assert_int_eq(th_write_all(fd[k], hello, 5 + (size_t)n), 0);
        shutdown(fd[k], SHUT_WR);
    }
    /* Well inside the 5 s a handshake may take. */
    expect_released(fds0, 3000);
    for (k = 0; k < N_CLIENTS; k++) {
        unsigned char list[6];
        /* The method list, or (beyond the handshakes one address may have
         * in progress at once) the quota reject. */
        ck_assert_int_eq(th_read_exact(fd[k], list, 1, 5000), 1);
        if ((signed char)list[0] != REJECT_QUOTA) {
            ck_assert_int_eq(list[0], 5);
            ck_assert_int_eq(th_read_exact(fd[k], list + 1, 5, 5000), 5);
        }
        ck_assert_int_eq(th_wait_eof(fd[k], 5000), 1);
        close(fd[k]);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vanish");
    TCase *tc = tcase_create("vanish");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, write_then_close, 0, 2);
    tcase_add_loop_test(tc, write_then_shutdown, 0, 2);
    tcase_add_loop_test(tc, handshake_then_shutdown, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
