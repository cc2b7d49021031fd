/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: nobody gets a resource before authentication. Connections
 * that never authenticate must not lock authorized clients out of the
 * session quota, must not keep a private name taken, and a host the access
 * rules refuse is turned away at accept when the rules alone decide.
 * Every scenario here succeeds for the attacker against Cohort 0.2.
 */
#include "config.h"

#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

#define MAX_FLOOD 400

static const sp_time five_s = {5, 0};

static int accept_cb(int fd, void *data)
{
    (void)fd;
    (void)data;
    return 1;
}

/* n connections to the daemon, each sending a connect message (names
 * f0, f1, ...) and then nothing; the daemon may answer and close any of
 * them at once. The first byte each got is left in first[]. */
static void flood_hellos(int *fd, signed char *first, int n, int port)
{
    unsigned char b[32];
    char name[16];
    int k;

    for (k = 0; k < n; k++) {
        fd[k] = th_connect_tcp(port);
        ck_assert_int_ge(fd[k], 0);
        snprintf(name, sizeof name, "f%d", k);
        (void)th_write_all(fd[k], b, th_connect_msg(b, name, 0));
    }
    for (k = 0; k < n; k++) {
        ck_assert_int_eq(th_read_exact(fd[k], b, 1, 5000), 1);
        first[k] = (signed char)b[0];
    }
}

/* With IP authentication required and only unix-socket clients admitted,
 * TCP connections are refused at accept with REJECT_AUTH: however many a
 * refused host opens, the authorized client still gets in. Before, each
 * one held a session until its handshake timed out (10 s after a connect
 * message), so they filled the quota and the authorized client got
 * REJECT_QUOTA. */
START_TEST(refused_host_turned_away_at_accept)
{
    static int fd[MAX_FLOOD];
    static signed char first[MAX_FLOOD];
    struct th_daemon d;
    char pg[MAX_GROUP_NAME];
    mailbox mb;
    int k;

    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    d.nofile = 256;
    ck_assert_int_eq(th_write_access(&d, "unix\n"), 0);
    ck_assert_int_eq(th_daemon_launch(&d, "localhost",
                                      "RequiredAuthMethods = IP\n"
                                      "AllowedAuthMethods = IP", 1), 0);
    ck_assert_int_eq(SP_set_auth_method("IP", accept_cb, NULL), 1);
    flood_hellos(fd, first, MAX_FLOOD, d.port);
    for (k = 0; k < MAX_FLOOD; k++)
        ck_assert_int_eq(first[k], REJECT_AUTH);
    ck_assert_int_eq(SP_connect_timeout(d.spread, "legit", 0, 0, &mb, pg,
                                        five_s), ACCEPT_SESSION);
    SP_disconnect(mb);
    for (k = 0; k < MAX_FLOOD; k++)
        close(fd[k]);
    ck_assert(th_log_wait(&d, "not admitted by the IP access list", 5000));
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* A connection that sent its connect message but never authenticates
 * does not hold the name: its owner logs in meanwhile, and the squatter,
 * should it authenticate later, gets REJECT_NOT_UNIQUE. Before, the name
 * was reserved from the connect message on and the owner was refused. */
START_TEST(name_reserved_only_after_authentication)
{
    struct th_daemon d;
    unsigned char b[128], choice[90];
    char pg[MAX_GROUP_NAME];
    mailbox mb;
    int sq;

    ck_assert_int_eq(th_daemon_start(&d, "localhost", NULL), 0);
    sq = th_connect_tcp(d.port);
    ck_assert_int_ge(sq, 0);
    ck_assert_int_eq(th_write_all(sq, b, th_connect_msg(b, "victim", 0)), 0);
    ck_assert_int_eq(th_read_exact(sq, b, 6, 5000), 6);   /* the method list */
    ck_assert_int_eq(SP_connect_timeout(d.spread, "victim", 0, 0, &mb, pg,
                                        five_s), ACCEPT_SESSION);
    ck_assert_str_eq(pg, "#victim#localhost");
    memset(choice, 0, sizeof choice);
    memcpy(choice, "NULL", 4);
    ck_assert_int_eq(th_write_all(sq, choice, sizeof choice), 0);
    ck_assert_int_eq(th_read_exact(sq, b, 1, 5000), 1);
    ck_assert_int_eq((signed char)b[0], REJECT_NOT_UNIQUE);
    ck_assert_int_eq(th_wait_eof(sq, 5000), 1);
    close(sq);
    /* While the owner has it, the name is refused straight away, as
     * upstream does (vector 06). */
    sq = th_connect_tcp(d.port);
    ck_assert_int_eq(th_write_all(sq, b, th_connect_msg(b, "victim", 0)), 0);
    ck_assert_int_eq(th_read_exact(sq, b, 1, 5000), 1);
    ck_assert_int_eq((signed char)b[0], REJECT_NOT_UNIQUE);
    close(sq);
    SP_disconnect(mb);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* One address opening hundreds of handshakes that never finish gets a
 * few handshake slots and REJECT_QUOTA beyond them; authorized clients
 * over the unix socket and from another address still get in at once.
 * Before, every such connection counted against the session quota, so
 * the others got REJECT_QUOTA. */
START_TEST(handshake_flood_from_one_address)
{
    static int fd[MAX_FLOOD];
    static signed char first[MAX_FLOOD];
    struct th_daemon d;
    unsigned char b[32];
    char pg[MAX_GROUP_NAME];
    mailbox mb;
    int k, refused = 0, listed = 0, other;

    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    d.nofile = 256;
    ck_assert_int_eq(th_daemon_launch(&d, "localhost", NULL, 1), 0);
    flood_hellos(fd, first, MAX_FLOOD, d.port);
    for (k = 0; k < MAX_FLOOD; k++) {
        if (first[k] == REJECT_QUOTA)
            refused++;
        else if (first[k] == 5)
            listed++;
    }
    ck_assert_int_eq(refused + listed, MAX_FLOOD);
    ck_assert_int_gt(refused, MAX_FLOOD / 2);
    /* The squatters are still there (their handshakes have 5 s). */
    ck_assert_int_eq(SP_connect_timeout(d.spread, "legit", 0, 0, &mb, pg,
                                        five_s), ACCEPT_SESSION);
    SP_disconnect(mb);
    other = th_connect_tcp_from(d.port, "127.0.0.2");
    ck_assert_int_ge(other, 0);
    ck_assert_int_eq(th_write_all(other, b, th_connect_msg(b, "other", 0)), 0);
    ck_assert_int_eq(th_read_exact(other, b, 6, 5000), 6);
    ck_assert_int_eq(b[0], 5);
    close(other);
    for (k = 0; k < MAX_FLOOD; k++)
        close(fd[k]);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("admission");
    TCase *tc = tcase_create("admission");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, refused_host_turned_away_at_accept);
    tcase_add_test(tc, name_reserved_only_after_authentication);
    tcase_add_test(tc, handshake_flood_from_one_address);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
