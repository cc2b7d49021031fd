/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/auth.c: the access-list syntax and the IP method,
 * including the deliberate fixes (unix lines, IPv6, empty lines).
 */
#include <check.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "auth.h"
#include "../lib/ckmain.h"

static struct sockaddr_storage v4(const char *a)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *s = (struct sockaddr_in *)&ss;
    memset(&ss, 0, sizeof ss);
    s->sin_family = AF_INET;
    inet_pton(AF_INET, a, &s->sin_addr);
    return ss;
}

static struct sockaddr_storage v6(const char *a)
{
    struct sockaddr_storage ss;
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
    memset(&ss, 0, sizeof ss);
    s->sin6_family = AF_INET6;
    inet_pton(AF_INET6, a, &s->sin6_addr);
    return ss;
}

#define SA(x) ((const struct sockaddr *)&(x))

START_TEST(rules)
{
    struct auth a;
    char err[128];
    struct sockaddr_storage p;
    struct sockaddr_un un;

    auth_init(&a, AUTH_IP, 0, "IP ");
    ck_assert_int_eq(auth_parse_access(&a,
        "# comment\n\n10.1.0.0/16\n192.168.1.7\n2001:db8::/32\n  unix\n", err,
        sizeof err), 0);
    p = v4("10.1.200.3");
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 1);
    p = v4("10.2.0.1");
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 0);
    p = v4("192.168.1.7");
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 1);
    p = v4("192.168.1.8");
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 0);
    p = v6("2001:db8:1::5");
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 1);
    p = v6("::ffff:10.1.0.9");   /* mapped IPv4 */
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 1);
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    ck_assert_int_eq(auth_check(&a, AUTH_IP, (const struct sockaddr *)&un), 1);
    ck_assert_int_eq(auth_check(&a, AUTH_NULL, NULL), 1);
    auth_fini(&a);
}
END_TEST

START_TEST(local_and_refusals)
{
    struct auth a;
    char err[128];
    struct sockaddr_storage p;

    auth_init(&a, AUTH_IP, 0, "IP ");
    ck_assert_int_eq(auth_parse_access(&a, "local\n", err, sizeof err), 0);
    p = v4("127.0.0.5");
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 1);
    p = v6("::1");
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 1);
    ck_assert_int_eq(auth_check(&a, AUTH_IP, NULL), 0);  /* no unix line */
    ck_assert_int_eq(auth_check(&a, 0, NULL), 0);
    auth_fini(&a);
    auth_init(&a, AUTH_IP, 0, "IP ");
    ck_assert_int_eq(auth_parse_access(&a, "10.0.0.1\nbogus\n", err, sizeof err), -1);
    ck_assert_str_eq(err, "line 2: not an address, address/prefix, `unix' or `local'");
    ck_assert_int_eq(auth_parse_access(&a, "10.0.0.0/33\n", err, sizeof err), -1);
    auth_fini(&a);
}
END_TEST

static struct sockaddr_storage v6_on(const char *a, unsigned scope)
{
    struct sockaddr_storage ss = v6(a);
    ((struct sockaddr_in6 *)&ss)->sin6_scope_id = scope;
    return ss;
}

/* Rules that name a link admit that link only; IPv4-mapped rules are
 * IPv4 rules. */
START_TEST(links_and_mapped_rules)
{
    struct auth a;
    char err[128];
    struct sockaddr_storage p;
    unsigned lo = if_nametoindex("lo");

    ck_assert_uint_ne(lo, 0);
    auth_init(&a, AUTH_IP, 0, "IP ");
    ck_assert_int_eq(auth_parse_access(&a,
        "fe80::%lo/64\nfe80::c0:2\n::ffff:10.9.0.0/112\n", err,
        sizeof err), 0);
    p = v6_on("fe80::77", lo);
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 1);
    p = v6_on("fe80::77", lo + 1000);
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 0);
    p = v6_on("fe80::c0:2", lo + 1000);    /* no link named: any link */
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 1);
    p = v4("10.9.3.4");
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 1);
    p = v6("::ffff:10.9.3.4");
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 1);
    p = v4("10.8.3.4");
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 0);
    auth_fini(&a);
    auth_init(&a, AUTH_IP, 0, "IP ");
    ck_assert_int_eq(auth_parse_access(&a, "fe80::1%1\n", err, sizeof err), 0);
    p = v6_on("fe80::1", 1);
    ck_assert_int_eq(auth_check(&a, AUTH_IP, SA(p)), 1);
    ck_assert_int_eq(auth_parse_access(&a, "fe80::1%nosuchif0\n", err,
                                       sizeof err), -1);
    ck_assert_str_eq(err, "line 1: no such interface after `%'");
    ck_assert_int_eq(auth_parse_access(&a, "10.0.0.1%lo\n", err,
                                       sizeof err), -1);
    auth_fini(&a);
}
END_TEST

START_TEST(method_names)
{
    ck_assert_uint_eq(auth_method_bit("NULL", 4), AUTH_NULL);
    ck_assert_uint_eq(auth_method_bit("IP", 2), AUTH_IP);
    ck_assert_uint_eq(auth_method_bit("NUL", 3), 0);
    ck_assert_uint_eq(auth_method_bit("PWORD", 5), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("ip");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, rules);
    tcase_add_test(tc, local_and_refusals);
    tcase_add_test(tc, links_and_mapped_rules);
    tcase_add_test(tc, method_names);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
