/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: a daemon configured on the IPv6 loopback (::1, segment
 * ff02::1) serving libspread clients and the tools over TCP: sessions,
 * groups and messages; the "<port>@<host>" forms upstream takes for IPv6 (literals
 * as such, not bracketed); the daemon's view of its peers (logged and
 * counted as IPv4 when they come IPv4-mapped); IP access rules with IPv6
 * addresses and prefixes, for admitted and refused clients.
 *
 * Link-local (%iface) and ULA addresses need an interface of their own:
 * test_ipv6_netns does them inside a network namespace. Without ::1
 * (IPv6 disabled) this program says so and exits 77 (skipped).
 */
#include "config.h"

#include <check.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

static const sp_time five_s = {5, 0};

#define V6_EXTRA "ActiveIPVersion = IPv6\n" \
    "DebugFlags = { PRINT EXIT CONFIGURATION SESSION }\n"

static int accept_cb(int fd, void *data)
{
    (void)fd;
    (void)data;
    return 1;
}

/* A daemon "localhost6" on ::1 in segment ff02::1; ifaces: its interface
 * block or "" (then it listens on every address, both families). */
static void start_v6(struct th_daemon *d, const char *ifaces,
                     const char *access, const char *extra)
{
    char conf[512];

    ck_assert_int_eq(th_daemon_prepare(d), 0);
    snprintf(d->addr, sizeof d->addr, "::1");
    snprintf(d->seg, sizeof d->seg, "ff02::1");
    snprintf(d->ifaces, sizeof d->ifaces, "%s", ifaces);
    if (access != NULL) {
        /* The harness's readiness probe of the unix socket must not be
         * refused: refusals are logged one a second. */
        char text[256];
        snprintf(text, sizeof text, "unix\n%s", access);
        ck_assert_int_eq(th_write_access(d, text), 0);
    }
    snprintf(conf, sizeof conf, "%s%s", V6_EXTRA, extra ? extra : "");
    ck_assert_int_eq(th_daemon_launch(d, "localhost6", conf, 1), 0);
}

static mailbox v6_connect(const char *spread_name, const char *user,
                          char *pg)
{
    mailbox mb = -1;
    int r = SP_connect_timeout(spread_name, user, 0, 1, &mb, pg, five_s);

    ck_assert_msg(r == ACCEPT_SESSION, "connect %s as %s: %d", spread_name,
                  user, r);
    return mb;
}

/* Two clients over TCP on ::1 join a group, see each other's views and
 * each other's messages, and leave; the daemon names them by their IPv6
 * address. */
START_TEST(sessions_over_ipv6)
{
    struct th_daemon d;
    struct tc_msg *m = tc_msg_new();
    char pa[MAX_GROUP_NAME], pb[MAX_GROUP_NAME];
    mailbox a, b;

    start_v6(&d, "", NULL, NULL);
    ck_assert_str_eq(d.spread_tcp + strcspn(d.spread_tcp, "@"), "@::1");
    a = v6_connect(d.spread_tcp, "alice", pa);
    b = v6_connect(d.spread_tcp, "bob", pb);
    ck_assert_str_eq(pa, "#alice#localhost6");
    ck_assert_int_eq(SP_join(a, "v6group"), 0);
    ck_assert(tc_expect_memb(a, m, "v6group", CAUSED_BY_JOIN, 1, pa));
    ck_assert_int_eq(SP_join(b, "v6group"), 0);
    ck_assert(tc_expect_memb(a, m, "v6group", CAUSED_BY_JOIN, 2, pb));
    ck_assert(tc_expect_memb(b, m, "v6group", CAUSED_BY_JOIN, 2, pb));
    ck_assert_int_eq(SP_multicast(a, AGREED_MESS, "v6group", 7, 5, "hello"),
                     5);
    ck_assert(tc_expect_data(a, m, pa, "hello"));
    ck_assert(tc_expect_data(b, m, pa, "hello"));
    ck_assert_int_eq(SP_multicast(b, SAFE_MESS, "v6group", 8, 3, "bye"), 3);
    ck_assert(tc_expect_data(a, m, pb, "bye"));
    ck_assert(tc_expect_data(b, m, pb, "bye"));
    ck_assert_int_eq(SP_leave(b, "v6group"), 0);
    ck_assert(tc_expect_memb(a, m, "v6group", CAUSED_BY_LEAVE, 1, pb));
    ck_assert_int_eq(SP_disconnect(b), 0);
    ck_assert_int_eq(SP_disconnect(a), 0);
    ck_assert(th_log_wait(&d, "'alice' from [::1]:", 5000));
    ck_assert(th_log_wait(&d, "listening for clients on [::]:", 5000));
    tc_msg_free(m);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* spuser and sptuser connect to "<port>@::1" and say so. */
START_TEST(tools_over_ipv6)
{
    static const char *const tools[] = {"tools/spuser", "tools/sptuser"};
    struct th_daemon d;
    size_t i;

    start_v6(&d, "{ ::1 }", NULL, NULL);
    for (i = 0; i < sizeof tools / sizeof tools[0]; i++) {
        char cmd[1200], line[512], want[256];
        FILE *p;
        int found = 0;
        snprintf(cmd, sizeof cmd, "echo q | '%s' -s %s -u tool%zu 2>&1",
                 th_build_path(tools[i]), d.spread_tcp, i);
        snprintf(want, sizeof want, "connected to %s with private group "
                 "#tool%zu#localhost6", d.spread_tcp, i);
        p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        while (fgets(line, sizeof line, p) != NULL)
            found |= strstr(line, want) != NULL;
        ck_assert_int_eq(pclose(p), 0);
        ck_assert_msg(found, "%s: no line '%s'", tools[i], want);
    }
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* A name that resolves to ::1 here, or NULL. */
static const char *v6_loopback_name(void)
{
    static const char *const names[] = {"ip6-localhost", "localhost6",
                                        "ip6-loopback", "localhost"};
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct addrinfo hints, *res, *ai;
        int found = 0;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_INET6;
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(names[i], NULL, &hints, &res) != 0)
            continue;
        for (ai = res; ai != NULL; ai = ai->ai_next)
            found |= IN6_IS_ADDR_LOOPBACK(
                &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr);
        freeaddrinfo(res);
        if (found)
            return names[i];
    }
    return NULL;
}

/* The forms of "<port>@<host>" for a daemon that listens on ::1 alone:
 * IPv6 literals in any spelling, a host name whose addresses include ::1
 * (when the host has one); a bracketed literal is no form upstream takes
 * (its resolver finds no host "[::1]"): ILLEGAL_SPREAD. */
START_TEST(spread_name_forms)
{
    static const char *const literals[] = {"::1", "0:0:0:0:0:0:0:1",
                                           "0000::0001", "::0:1"};
    static const char *const illegal[] = {"[::1]", "[::1]:4803", "::1]"};
    struct th_daemon d;
    char name[128], pg[MAX_GROUP_NAME];
    const char *host;
    mailbox mb;
    size_t i;

    start_v6(&d, "{ ::1 }", NULL, NULL);
    ck_assert(th_log_wait(&d, "listening for clients on [::1]:", 5000));
    for (i = 0; i < sizeof literals / sizeof literals[0]; i++) {
        snprintf(name, sizeof name, "%d@%s", d.port, literals[i]);
        mb = v6_connect(name, "lit", pg);
        ck_assert_int_eq(SP_disconnect(mb), 0);
    }
    for (i = 0; i < sizeof illegal / sizeof illegal[0]; i++) {
        snprintf(name, sizeof name, "%d@%s", d.port, illegal[i]);
        ck_assert_int_eq(SP_connect_timeout(name, "bad", 0, 0, &mb, pg,
                                            five_s), ILLEGAL_SPREAD);
    }
    /* Nothing listens on IPv4 now. */
    snprintf(name, sizeof name, "%d@127.0.0.1", d.port);
    ck_assert_int_eq(SP_connect_timeout(name, "v4", 0, 0, &mb, pg, five_s),
                     COULD_NOT_CONNECT);
    host = v6_loopback_name();
    if (host != NULL) {
        /* "localhost" may come with 127.0.0.1 first: the library goes on
         * to the next address (upstream tried only the first). */
        snprintf(name, sizeof name, "%d@%s", d.port, host);
        mb = v6_connect(name, "byname", pg);
        ck_assert_int_eq(SP_disconnect(mb), 0);
    } else {
        fprintf(stderr, "spread_name_forms: no host name resolves to ::1 "
                "here; the host name form is skipped (test_ipv6_netns "
                "covers it with a hosts file of its own)\n");
    }
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* An IPv4 client of the daemon's dual-stack listener arrives
 * IPv4-mapped; the daemon shows it as the IPv4 address it is. */
START_TEST(ipv4_client_of_dual_stack_listener)
{
    struct th_daemon d;
    char name[64], pg[MAX_GROUP_NAME];
    mailbox mb;

    start_v6(&d, "", NULL, NULL);
    snprintf(name, sizeof name, "%d@127.0.0.1", d.port);
    mb = v6_connect(name, "carol", pg);
    ck_assert(th_log_wait(&d, "'carol' from 127.0.0.1:", 5000));
    ck_assert(!th_file_contains(d.log, "::ffff:"));
    ck_assert_int_eq(SP_disconnect(mb), 0);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* IP access rules against IPv6 clients: each access list decides for a
 * client on ::1 and one on 127.0.0.1 (the dual-stack listener takes
 * both). A refused client gets REJECT_AUTH, and the daemon logs its
 * address (the IPv4 one as such, not IPv4-mapped). */
static const struct {
    const char *access;
    int v6;         /* expected for the ::1 client */
    int v4;         /* for the 127.0.0.1 client */
} rules[] = {
    {"::1\n", ACCEPT_SESSION, REJECT_AUTH},
    {"# a prefix\n::/127\n", ACCEPT_SESSION, REJECT_AUTH},
    {"127.0.0.0/8\n", REJECT_AUTH, ACCEPT_SESSION},
    {"local\n", ACCEPT_SESSION, ACCEPT_SESSION},
    {"2001:db8::/32\n::2\n", REJECT_AUTH, REJECT_AUTH},
};

START_TEST(access_rules)
{
    struct th_daemon d;
    char name[64], pg[MAX_GROUP_NAME];
    mailbox mb;
    int r;

    start_v6(&d, "", rules[_i].access,
             "RequiredAuthMethods = IP\nAllowedAuthMethods = IP\n");
    ck_assert_int_eq(SP_set_auth_method("IP", accept_cb, NULL), 1);
    r = SP_connect_timeout(d.spread_tcp, "six", 0, 0, &mb, pg, five_s);
    ck_assert_int_eq(r, rules[_i].v6);
    if (r == ACCEPT_SESSION)
        SP_disconnect(mb);
    else
        ck_assert(th_log_wait(&d, "refused a connection from ::1:", 5000));
    snprintf(name, sizeof name, "%d@127.0.0.1", d.port);
    r = SP_connect_timeout(name, "four", 0, 0, &mb, pg, five_s);
    ck_assert_int_eq(r, rules[_i].v4);
    if (r == ACCEPT_SESSION)
        SP_disconnect(mb);
    else if (rules[_i].v6 == ACCEPT_SESSION)    /* one such line a second */
        ck_assert(th_log_wait(&d, "refused a connection from 127.0.0.1:",
                              5000));
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* The same rules when NULL is allowed as well and the client picks IP:
 * the daemon decides in the handshake, not at accept. */
START_TEST(access_rules_in_handshake)
{
    struct th_daemon d;
    char pg[MAX_GROUP_NAME];
    mailbox mb;

    start_v6(&d, "", "::1\n", "AllowedAuthMethods = \"NULL IP\"\n");
    ck_assert_int_eq(SP_set_auth_method("IP", accept_cb, NULL), 1);
    ck_assert_int_eq(SP_connect_timeout(d.spread_tcp, "six", 0, 0, &mb, pg,
                                        five_s), ACCEPT_SESSION);
    SP_disconnect(mb);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
    start_v6(&d, "", "fd00::/8\n", "AllowedAuthMethods = \"NULL IP\"\n");
    ck_assert_int_eq(SP_set_auth_method("IP", accept_cb, NULL), 1);
    ck_assert_int_eq(SP_connect_timeout(d.spread_tcp, "six", 0, 0, &mb, pg,
                                        five_s), REJECT_AUTH);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* Can a socket be bound to [::1]? If not, why. */
static const char *no_ipv6_loopback(void)
{
    struct sockaddr_in6 sa;
    int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

    if (fd < 0)
        return "no IPv6 sockets (IPv6 is disabled or not built in)";
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok ? NULL : "cannot bind to ::1 (IPv6 disabled on lo?)";
}

static Suite *suite(void)
{
    Suite *s = suite_create("ipv6");
    TCase *tc = tcase_create("ipv6");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sessions_over_ipv6);
    tcase_add_test(tc, spread_name_forms);
    tcase_add_test(tc, tools_over_ipv6);
    tcase_add_test(tc, ipv4_client_of_dual_stack_listener);
    tcase_add_loop_test(tc, access_rules, 0,
                        (int)(sizeof rules / sizeof rules[0]));
    tcase_add_test(tc, access_rules_in_handshake);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *why = no_ipv6_loopback();

    if (why != NULL) {
        fprintf(stderr, "SKIP: test_ipv6: %s\n", why);
        return 77;
    }
    return ck_run_suite(suite());
}
