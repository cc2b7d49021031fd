/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ckdaemon.h: the Check fixture most integration tests share: one daemon
 * "localhost" per test (unix socket and TCP), a message buffer, and a
 * connect that must succeed. Include once, after check.h, client.h and
 * harness.h; it defines file-scope statics for that test program:
 *   daemon_, msg           the daemon and a receive buffer
 *   daemon_stopped         set it when a test stopped daemon_ itself
 * Define CKDAEMON_EXTRA first to add lines to the daemon's configuration.
 *   setup(), teardown()    for tcase_add_checked_fixture()
 *   spread_name(t)         0: the unix socket, 1: TCP
 *   connect_as(t, name, membership, pg)   SP_connect or fail the test
 */
#ifndef COHORT_TESTS_CKDAEMON_H
#define COHORT_TESTS_CKDAEMON_H

#ifndef CKDAEMON_EXTRA
#define CKDAEMON_EXTRA NULL
#endif

static struct th_daemon daemon_;
static struct tc_msg *msg;
static int daemon_stopped;

static void setup(void)
{
    ck_assert_msg(th_daemon_start(&daemon_, "localhost", CKDAEMON_EXTRA) == 0,
                  "daemon did not start");
    msg = tc_msg_new();
    daemon_stopped = 0;
}

static void teardown(void)
{
    tc_msg_free(msg);
    if (!daemon_stopped)
        ck_assert_int_eq(th_daemon_stop(&daemon_), 0);
}

static const char *spread_name(int transport)
{
    return transport == 0 ? daemon_.spread : daemon_.spread_tcp;
}

/* pg (may be NULL) receives the private group name. */
static mailbox connect_as(int transport, const char *name, int memb, char *pg)
{
    mailbox mb = -1;
    char tmp[MAX_GROUP_NAME];
    int r = SP_connect(spread_name(transport), name, 0, memb, &mb,
                       pg != NULL ? pg : tmp);

    ck_assert_msg(r == ACCEPT_SESSION, "connect %s: %d", name, r);
    return mb;
}

#endif /* COHORT_TESTS_CKDAEMON_H */
