/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: daemons on a ULA address and on a link-local address
 * (with its %iface) serving clients over TCP, inside a network namespace
 * this program creates for itself ("cohort-v6-<pid>", deleted at the
 * end): a veth pair, both ends inside, so that no packet leaves it.
 *
 *   cv6a  fd00:c0::1/64  fe80::c0:1/64            (the daemons)
 *   cv6b  fd00:c0::2/64  fe80::c0:2/64  fe80::c0:3/64   (other "hosts")
 *
 * The program also runs in a mount namespace of its own, with a hosts
 * file of its own bind-mounted on /etc/hosts, to test host names that
 * resolve to IPv6 addresses: "cohort-ula" (fd00:c0::1) and "cohort-two"
 * (::1, then fd00:c0::1).
 *
 * It needs root and `ip netns`; without them it says why and exits 77
 * (skipped).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

#define ULA "fd00:c0::1"
#define ULA_OTHER "fd00:c0::2"
#define LL "fe80::c0:1%cv6a"
#define LL_OTHER "fe80::c0:2%cv6b"
#define LL_THIRD "fe80::c0:3%cv6b"
/* The daemon's link-local address as its neighbours on cv6b reach it. */
#define LL_FROM_B "fe80::c0:1%cv6b"
#define MAX_FLOOD 300

static const sp_time five_s = {5, 0};

static char ns_name[64];
static int home_ns = -1;
static pid_t main_pid;

static int accept_cb(int fd, void *data)
{
    (void)fd;
    (void)data;
    return 1;
}

/* ---- the namespaces ---- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    int st;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    st = system(cmd);
    return st == 0 ? 0 : -1;
}

/* Only the main process deletes the namespace: Check runs every test in
 * a child that may exit() through this handler too. */
static void ns_delete(void)
{
    if (getpid() != main_pid || ns_name[0] == '\0')
        return;
    if (home_ns >= 0 && setns(home_ns, CLONE_NEWNET) < 0)
        fprintf(stderr, "test_ipv6_netns: cannot go back to the first "
                "network namespace: %s\n", strerror(errno));
    if (sh("ip netns delete %s", ns_name) < 0)
        fprintf(stderr, "test_ipv6_netns: could not delete network "
                "namespace %s\n", ns_name);
    ns_name[0] = '\0';
}

static const char *const links[] = {
    "link set lo up",
    "link add cv6a type veth peer name cv6b",
    "link set cv6a up",
    "link set cv6b up",
    "-6 addr add " ULA "/64 dev cv6a nodad",
    "-6 addr add fe80::c0:1/64 dev cv6a nodad",
    "-6 addr add " ULA_OTHER "/64 dev cv6b nodad",
    "-6 addr add fe80::c0:2/64 dev cv6b nodad",
    "-6 addr add fe80::c0:3/64 dev cv6b nodad",
};

static const char hosts[] =
    "127.0.0.1 localhost\n"
    "::1 localhost ip6-localhost\n"
    ULA " cohort-ula\n"
    "::1 cohort-two\n"
    ULA " cohort-two\n";

/* A hosts file of our own on /etc/hosts, seen only by this process and
 * its children. */
static const char *hosts_enter(void)
{
    char path[64];
    FILE *fp;
    int rc;

    if (unshare(CLONE_NEWNS) < 0)
        return "cannot make a mount namespace";
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return "cannot make the mounts private";
    snprintf(path, sizeof path, "/tmp/cohort-v6-hosts-%ld", (long)main_pid);
    fp = fopen(path, "w");
    if (fp == NULL)
        return "cannot write a hosts file";
    fputs(hosts, fp);
    fclose(fp);
    rc = mount(path, "/etc/hosts", NULL, MS_BIND, NULL);
    unlink(path);
    return rc < 0 ? "cannot bind-mount a hosts file on /etc/hosts" : NULL;
}

/* Make the namespace and enter it. NULL, or why not (then nothing is
 * left behind). */
static const char *ns_enter(void)
{
    char path[128];
    size_t i;
    int fd;

    if (geteuid() != 0)
        return "not root (network namespaces need it)";
    if (sh("command -v ip >/dev/null 2>&1") < 0)
        return "no ip command (iproute2)";
    snprintf(ns_name, sizeof ns_name, "cohort-v6-%ld", (long)main_pid);
    if (sh("ip netns add %s", ns_name) < 0) {
        ns_name[0] = '\0';
        return "`ip netns add` failed";
    }
    atexit(ns_delete);
    for (i = 0; i < sizeof links / sizeof links[0]; i++)
        if (sh("ip -n %s %s", ns_name, links[i]) < 0)
            return "cannot set up a veth pair with IPv6 addresses in the "
                   "namespace";
    home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    /* Where `ip netns` keeps the name: /run/netns, or /var/run/netns in
     * older iproute2 (the same place where /var/run is /run). */
    snprintf(path, sizeof path, "/run/netns/%s", ns_name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(path, sizeof path, "/var/run/netns/%s", ns_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (home_ns < 0 || fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
        if (fd >= 0)
            close(fd);
        return "cannot enter the network namespace";
    }
    close(fd);
    return hosts_enter();
}

/* ---- helpers ---- */

/* A daemon `name` on addr (its only client address), segment seg. */
static void start_on(struct th_daemon *d, const char *name, const char *addr,
                     const char *seg, const char *access, const char *extra)
{
    char conf[512];

    ck_assert_int_eq(th_daemon_prepare(d), 0);
    d->nofile = 256;
    snprintf(d->addr, sizeof d->addr, "%s", addr);
    snprintf(d->seg, sizeof d->seg, "%s", seg);
    snprintf(d->ifaces, sizeof d->ifaces, "{ %s }", addr);
    if (access != NULL)
        ck_assert_int_eq(th_write_access(d, access), 0);
    snprintf(conf, sizeof conf,
             "DebugFlags = { PRINT EXIT CONFIGURATION SESSION }\n%s",
             extra != NULL ? extra : "");
    ck_assert_int_eq(th_daemon_launch(d, name, conf, 1), 0);
}

static mailbox connect_ok(const char *spread_name, const char *user,
                          char *pg)
{
    mailbox mb = -1;
    int r = SP_connect_timeout(spread_name, user, 0, 1, &mb, pg, five_s);

    ck_assert_msg(r == ACCEPT_SESSION, "connect %s as %s: %d", spread_name,
                  user, r);
    return mb;
}

/* Two clients through spread_name join, exchange a message each way. */
static void talk(const char *spread_name)
{
    struct tc_msg *m = tc_msg_new();
    char pa[MAX_GROUP_NAME], pb[MAX_GROUP_NAME];
    mailbox a = connect_ok(spread_name, "a", pa);
    mailbox b = connect_ok(spread_name, "b", pb);

    ck_assert_int_eq(SP_join(a, "g6"), 0);
    ck_assert(tc_expect_memb(a, m, "g6", CAUSED_BY_JOIN, 1, pa));
    ck_assert_int_eq(SP_join(b, "g6"), 0);
    ck_assert(tc_expect_memb(a, m, "g6", CAUSED_BY_JOIN, 2, pb));
    ck_assert(tc_expect_memb(b, m, "g6", CAUSED_BY_JOIN, 2, pb));
    ck_assert_int_eq(SP_multicast(a, AGREED_MESS, "g6", 1, 4, "ping"), 4);
    ck_assert(tc_expect_data(a, m, pa, "ping"));
    ck_assert(tc_expect_data(b, m, pa, "ping"));
    ck_assert_int_eq(SP_multicast(b, FIFO_MESS, pa, 2, 4, "pong"), 4);
    ck_assert(tc_expect_data(a, m, pb, "pong"));
    ck_assert_int_eq(SP_disconnect(b), 0);
    ck_assert(tc_expect_memb(a, m, "g6", CAUSED_BY_DISCONNECT, 1, pb));
    ck_assert_int_eq(SP_disconnect(a), 0);
    tc_msg_free(m);
}

/* The first byte the daemon answers a raw connect message with, sent
 * from src: the length of its method list (5 for "NULL ", 3 for "IP "),
 * the session goes on; or a (negative) reject code. */
static int first_answer(const char *src, const char *dst, int port)
{
    unsigned char b[32];
    int fd = th_connect_tcp_addr_from(src, dst, port), r = -1000;

    ck_assert_msg(fd >= 0, "connect from %s to %s", src, dst);
    if (th_write_all(fd, b, th_connect_msg(b, "raw", 0)) == 0 &&
        th_read_exact(fd, b, 1, 5000) == 1)
        r = (signed char)b[0];
    close(fd);
    return r;
}

/* ---- tests ---- */

/* A daemon on a ULA address, by literal and by host name. */
START_TEST(ula_daemon)
{
    struct th_daemon d;
    char name[96], pg[MAX_GROUP_NAME];
    mailbox mb;

    start_on(&d, "ula", ULA, "ff02::1", NULL, NULL);
    ck_assert(th_log_wait(&d, "listening for clients on [" ULA "]:", 5000));
    talk(d.spread_tcp);
    ck_assert(th_log_wait(&d, "'a' from [" ULA "]:", 5000));
    snprintf(name, sizeof name, "%d@cohort-ula", d.port);
    mb = connect_ok(name, "byname", pg);
    ck_assert_int_eq(SP_disconnect(mb), 0);
    /* Nothing listens on ::1: the literal fails, */
    snprintf(name, sizeof name, "%d@::1", d.port);
    ck_assert_int_eq(SP_connect_timeout(name, "lo", 0, 0, &mb, pg, five_s),
                     COULD_NOT_CONNECT);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* A name whose first address has no daemon behind it: the library goes
 * on to the next one (upstream gave up with COULD_NOT_CONNECT). */
START_TEST(host_name_tries_every_address)
{
    struct th_daemon d;
    struct addrinfo hints, *res;
    char name[96], pg[MAX_GROUP_NAME];
    mailbox mb;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    ck_assert_int_eq(getaddrinfo("cohort-two", NULL, &hints, &res), 0);
    if (!(res->ai_family == AF_INET6 &&
          IN6_IS_ADDR_LOOPBACK(
              &((struct sockaddr_in6 *)(void *)res->ai_addr)->sin6_addr)))
        fprintf(stderr, "host_name_tries_every_address: the resolver does "
                "not put ::1 first here; the fallback is not exercised\n");
    freeaddrinfo(res);
    start_on(&d, "ula", ULA, "ff02::1", NULL, NULL);
    snprintf(name, sizeof name, "%d@cohort-two", d.port);
    mb = connect_ok(name, "two", pg);
    ck_assert_int_eq(SP_disconnect(mb), 0);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* A daemon on a link-local address of cv6a: clients name the link
 * ("%cv6a" or its index); without it the address is no destination. The
 * daemon shows the link of its listener and of its peers. */
START_TEST(link_local_daemon)
{
    struct th_daemon d;
    char name[96], pg[MAX_GROUP_NAME];
    unsigned idx = if_nametoindex("cv6a");
    mailbox mb;

    ck_assert_uint_ne(idx, 0);
    start_on(&d, "ll", LL, "ff02::1%cv6a", NULL, NULL);
    ck_assert(th_log_wait(&d, "listening for clients on [" LL "]:", 5000));
    talk(d.spread_tcp);
    ck_assert(th_log_wait(&d, "'a' from [fe80::", 5000));
    ck_assert(th_log_wait(&d, "%cv6a]:", 5000));
    snprintf(name, sizeof name, "%d@fe80::c0:1%%%u", d.port, idx);
    mb = connect_ok(name, "byindex", pg);
    ck_assert_int_eq(SP_disconnect(mb), 0);
    snprintf(name, sizeof name, "%d@fe80::c0:1", d.port);
    ck_assert_int_eq(SP_connect_timeout(name, "noscope", 0, 0, &mb, pg,
                                        five_s), COULD_NOT_CONNECT);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* Handshakes are counted per link-local address, not per fe80::/64 (the
 * prefix of every neighbour): one neighbour that floods the daemon with
 * handshakes it never finishes gets REJECT_QUOTA, another still gets in.
 * Before, both were one "/64" and the second was refused too. */
START_TEST(link_local_neighbours_counted_apart)
{
    static int fd[MAX_FLOOD];
    struct th_daemon d;
    unsigned char b[32];
    int k, refused = 0;

    start_on(&d, "ll", LL, "ff02::1%cv6a", NULL, NULL);
    for (k = 0; k < MAX_FLOOD; k++) {
        fd[k] = th_connect_tcp_addr_from(LL_OTHER, LL_FROM_B, d.port);
        ck_assert_int_ge(fd[k], 0);
        ck_assert_int_eq(th_write_all(fd[k], b, th_connect_msg(b, "f", 0)), 0);
    }
    for (k = 0; k < MAX_FLOOD; k++) {
        ck_assert_int_eq(th_read_exact(fd[k], b, 1, 5000), 1);
        refused += (signed char)b[0] == REJECT_QUOTA;
    }
    ck_assert_int_gt(refused, 0);
    ck_assert_int_eq(first_answer(LL_THIRD, LL_FROM_B, d.port), 5);
    for (k = 0; k < MAX_FLOOD; k++)
        close(fd[k]);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

/* IP access rules for ULA and link-local peers: the listed address gets
 * in, its neighbour is refused (REJECT_AUTH at accept); a rule that
 * names a link admits that link only. */
START_TEST(access_rules)
{
    struct th_daemon d;
    char pg[MAX_GROUP_NAME];
    mailbox mb;

    ck_assert_int_eq(SP_set_auth_method("IP", accept_cb, NULL), 1);
    start_on(&d, "ula", ULA, "ff02::1", "unix\n" ULA "/128\n",
             "RequiredAuthMethods = IP\nAllowedAuthMethods = IP\n");
    ck_assert_int_eq(SP_connect_timeout(d.spread_tcp, "in", 0, 0, &mb, pg,
                                        five_s), ACCEPT_SESSION);
    SP_disconnect(mb);
    ck_assert_int_eq(first_answer(ULA_OTHER, ULA, d.port), REJECT_AUTH);
    ck_assert(th_log_wait(&d, "refused a connection from " ULA_OTHER ": ",
                          5000));
    ck_assert_int_eq(th_daemon_stop(&d), 0);

    /* The harness's readiness probes (unix socket, and fe80::c0:1 itself)
     * are admitted: refusals are logged only one a second. The daemon
     * sees its neighbours on cv6a, so the rule for fe80::c0:3 on cv6b
     * admits nobody. */
    start_on(&d, "ll", LL, "ff02::1%cv6a",
             "unix\nfe80::c0:1\nfe80::c0:2%cv6a\nfe80::c0:3%cv6b\n",
             "RequiredAuthMethods = IP\nAllowedAuthMethods = IP\n");
    ck_assert_int_eq(first_answer(LL_OTHER, LL_FROM_B, d.port), 3);
    ck_assert_int_eq(first_answer(LL_THIRD, LL_FROM_B, d.port), REJECT_AUTH);
    ck_assert(th_log_wait(&d, "refused a connection from fe80::c0:3%cv6a: ",
                          5000));
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ipv6_netns");
    TCase *tc = tcase_create("ipv6_netns");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ula_daemon);
    tcase_add_test(tc, host_name_tries_every_address);
    tcase_add_test(tc, link_local_daemon);
    tcase_add_test(tc, link_local_neighbours_counted_apart);
    tcase_add_test(tc, access_rules);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *why;
    int rc;

    main_pid = getpid();
    why = ns_enter();
    if (why != NULL) {
        ns_delete();
        fprintf(stderr, "SKIP: test_ipv6_netns: %s\n", why);
        return 77;
    }
    rc = ck_run_suite(suite());
    ns_delete();
    return rc;
}
