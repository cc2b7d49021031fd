/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for the handshake parsers of daemon/sess_hs.c, with the
 * client bytes of vectors 04, 07 and 08 (client-protocol.md §3).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "internal/wire.h"
#include "auth.h"
#include "sess_int.h"
#include "../lib/ckmain.h"

START_TEST(connect_501)
{
    static const unsigned char b[] = {5, 0, 1, 1, 5, 'a', 'l', 'i', 'c', 'e'};
    struct hs_connect c;
    size_t i;

    for (i = 0; i < sizeof b; i++)
        ck_assert_int_eq(hs_parse_connect(b, i, &c), HS_MORE);
    ck_assert_int_eq(hs_parse_connect(b, sizeof b, &c), HS_OK);
    ck_assert_uint_eq(c.consumed, sizeof b);
    ck_assert_str_eq(c.name, "alice");
    ck_assert_int_eq(c.flags, 1);
    ck_assert_int_eq(c.has_patch, 1);
    ck_assert_int_eq(c.auth_list, 1);
}
END_TEST

START_TEST(connect_pipelined_choice)
{
    unsigned char b[8 + 90];
    struct hs_connect c;

    memcpy(b, "\x05\x00\x01\x00\x03raw", 8);
    memset(b + 8, 0, 90);
    memcpy(b + 8, "NULL", 4);
    ck_assert_int_eq(hs_parse_connect(b, sizeof b, &c), HS_OK);
    ck_assert_uint_eq(c.consumed, 8);
}
END_TEST

START_TEST(connect_rejects)
{
    /* Vector 08 R1: length 11. */
    static const unsigned char r1[] = {5, 0, 1, 1, 11, 'a', 'b', 'c', 'd', 'e',
                                       'f', 'g', 'h', 'i', 'j', 'k'};
    /* R2: version 3.0. */
    static const unsigned char r2[] = {3, 0, 1, 1, 'z', 'z'};
    /* Vector 07: space and '#' in names. */
    static const unsigned char sp[] = {5, 0, 1, 1, 3, 'a', ' ', 'b'};
    static const unsigned char hs[] = {5, 0, 1, 1, 3, 'a', '#', 'b'};
    static const unsigned char hi[] = {5, 0, 1, 1, 1, 0x80};
    static const unsigned char neg[] = {5, 0, 1, 1, 0xff};
    struct hs_connect c;

    ck_assert_int_eq(hs_parse_connect(r1, sizeof r1, &c), REJECT_ILLEGAL_NAME);
    ck_assert_int_eq(hs_parse_connect(r2, sizeof r2, &c), REJECT_VERSION);
    ck_assert_int_eq(hs_parse_connect(r2, 2, &c), REJECT_VERSION);
    ck_assert_int_eq(hs_parse_connect(sp, sizeof sp, &c), REJECT_ILLEGAL_NAME);
    ck_assert_int_eq(hs_parse_connect(hs, sizeof hs, &c), REJECT_ILLEGAL_NAME);
    ck_assert_int_eq(hs_parse_connect(hi, sizeof hi, &c), REJECT_ILLEGAL_NAME);
    ck_assert_int_eq(hs_parse_connect(neg, sizeof neg, &c), REJECT_ILLEGAL_NAME);
}
END_TEST

START_TEST(connect_old_versions)
{
    /* R5: 3.14 sends two version bytes; R6: 3.15.0 three. */
    static const unsigned char r5[] = {3, 14, 1, 3, 'o', 'l', 'd'};
    static const unsigned char r6[] = {3, 15, 0, 1, 3, 'o', '1', '5'};
    static const unsigned char v31[] = {3, 1, 0, 0};
    struct hs_connect c;

    ck_assert_int_eq(hs_parse_connect(r5, sizeof r5, &c), HS_OK);
    ck_assert_int_eq(c.has_patch, 0);
    ck_assert_int_eq(c.auth_list, 0);
    ck_assert_str_eq(c.name, "old");
    ck_assert_int_eq(hs_parse_connect(r6, sizeof r6, &c), HS_OK);
    ck_assert_int_eq(c.has_patch, 1);
    ck_assert_int_eq(c.auth_list, 0);
    ck_assert_str_eq(c.name, "o15");
    ck_assert_int_eq(hs_parse_connect(v31, sizeof v31, &c), HS_OK);
    ck_assert_int_eq(c.name_len, 0);
}
END_TEST

START_TEST(in_name)
{
    static const unsigned char b[] = {5, 0, 1, 1, 5, 'a', 'l'};
    ck_assert_int_eq(hs_in_name(b, 2), 0);
    ck_assert_int_eq(hs_in_name(b, 4), 0);
    ck_assert_int_eq(hs_in_name(b, 5), 1);
    ck_assert_int_eq(hs_in_name(b, 7), 1);
}
END_TEST

START_TEST(choices)
{
    unsigned char b[90];
    unsigned req;

    memset(b, 0, sizeof b);
    memcpy(b, "NULL", 4);
    ck_assert_int_eq(hs_parse_choice(b, AUTH_NULL, &req), 0);
    ck_assert_uint_eq(req, AUTH_NULL);
    /* R3: FOO. */
    memset(b, 0, sizeof b);
    memcpy(b, "FOO", 3);
    ck_assert_int_eq(hs_parse_choice(b, AUTH_NULL, &req), REJECT_AUTH);
    /* R8: NULL + IP while only NULL is enabled. */
    memset(b, 0, sizeof b);
    memcpy(b, "NULL", 4);
    memcpy(b + 30, "IP", 2);
    ck_assert_int_eq(hs_parse_choice(b, AUTH_NULL, &req), REJECT_AUTH);
    ck_assert_int_eq(hs_parse_choice(b, AUTH_NULL | AUTH_IP, &req), 0);
    ck_assert_uint_eq(req, AUTH_NULL | AUTH_IP);
    /* Nothing chosen. */
    memset(b, 0, sizeof b);
    ck_assert_int_eq(hs_parse_choice(b, AUTH_NULL, &req), REJECT_AUTH);
    /* Three slots: judged on the three (upstream always refused). */
    memcpy(b, "NULL", 4);
    memcpy(b + 30, "NULL", 4);
    memcpy(b + 60, "NULL", 4);
    ck_assert_int_eq(hs_parse_choice(b, AUTH_NULL, &req), 0);
    /* A 30-character name fills its slot without a NUL. */
    memset(b, 'A', 30);
    ck_assert_int_eq(hs_parse_choice(b, AUTH_NULL, &req), REJECT_AUTH);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sess_hs");
    TCase *tc = tcase_create("parsers");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, connect_501);
    tcase_add_test(tc, connect_pipelined_choice);
    tcase_add_test(tc, connect_rejects);
    tcase_add_test(tc, connect_old_versions);
    tcase_add_test(tc, in_name);
    tcase_add_test(tc, choices);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
