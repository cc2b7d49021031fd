/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for include/internal/wire.h: the 48-byte header codec, the
 * byte-order marker, mess_type packing and the client header checks.
 * Expected bytes come from the captures in ../shared/vectors.
 */
#include <check.h>
#include <stdlib.h>

#include "internal/wire.h"
#include "../lib/ckmain.h"

/* Vector 09: alice's JOIN of grp1, little-endian. */
static const unsigned char join_frame[48] = {
    0x80, 0x00, 0x01, 0x80, '#', 'a', 'l', 'i', 'c', 'e', '#', 'l', 'o', 'c',
    'a', 'l', 'h', 'o', 's', 't', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0x01, 0, 0, 0, 0x80, 0, 0, 0x80, 0, 0, 0, 0};

START_TEST(decode_join)
{
    struct spw_header h;
    spw_header_decode(join_frame, &h);
    ck_assert_uint_eq(h.type, 0x80010080u);
    ck_assert_int_eq(h.num_groups, 1);
    ck_assert_int_eq(h.data_len, 0);
    ck_assert_int_eq(h.foreign, 0);
    ck_assert_str_eq(h.sender, "#alice#localhost");
    ck_assert_int_eq(spw_header_check_client(&h), SPW_HDR_OK);
}
END_TEST

START_TEST(encode_roundtrip)
{
    unsigned char buf[48];
    struct spw_header h, g;
    memset(&h, 0, sizeof h);
    h.type = AGREED_MESS;
    strcpy(h.sender, "#bob#localhost");
    h.num_groups = 3;
    h.hint = spw_hint_from_mess_type(0x1234);
    h.data_len = 77;
    spw_header_encode(buf, &h);
    spw_header_decode(buf, &g);
    ck_assert_uint_eq(g.type, AGREED_MESS | ENDIAN_RESERVED);
    ck_assert_int_eq(g.num_groups, 3);
    ck_assert_int_eq(g.data_len, 77);
    ck_assert_int_eq(spw_mess_type_from_hint(g.hint), 0x1234);
}
END_TEST

START_TEST(hint_values)
{
    /* Vector 12: mess_type -> hint on a little-endian writer. */
    ck_assert_uint_eq(spw_hint_from_mess_type(0), 0x80000080u);
    ck_assert_uint_eq(spw_hint_from_mess_type(1), 0x80000180u);
    ck_assert_uint_eq(spw_hint_from_mess_type(-1), 0x80ffff80u);
    ck_assert_uint_eq(spw_hint_from_mess_type(-32768), 0x80800080u);
    ck_assert_int_eq(spw_mess_type_from_hint(0x80ffff80u), -1);
    /* A big-endian writer's hint carries mess_type 0x1234 as 00 12 34 00. */
    ck_assert_int_eq(spw_mess_type_from_hint(spw_swap32(0x00123400u)), 0x1234);
}
END_TEST

START_TEST(big_endian_header)
{
    unsigned char buf[48];
    struct spw_header h;
    memcpy(buf, join_frame, 48);
    /* Rewrite type, num_groups, data_len big-endian, marker cleared. */
    spw_put32(buf + 0, spw_swap32(0x00000010u));
    spw_put32(buf + 36, spw_swap32(2));
    spw_put32(buf + 44, spw_swap32(1000));
    spw_header_decode(buf, &h);
    ck_assert_int_eq(h.foreign, 1);
    ck_assert_uint_eq(h.type, 0x10u);
    ck_assert_int_eq(h.num_groups, 2);
    ck_assert_int_eq(h.data_len, 1000);
}
END_TEST

START_TEST(client_checks)
{
    struct spw_header h;
    spw_header_decode(join_frame, &h);
    h.type = AGREED_MESS | SAFE_MESS | ENDIAN_RESERVED;
    ck_assert_int_eq(spw_header_check_client(&h), SPW_HDR_BAD_KIND);
    h.type = SPW_GROUPS_MESS | ENDIAN_RESERVED;
    ck_assert_int_eq(spw_header_check_client(&h), SPW_HDR_BAD_KIND);
    h.type = AGREED_MESS | REJECT_MESS | CAUSED_BY_LEAVE | ENDIAN_RESERVED;
    ck_assert_int_eq(spw_header_check_client(&h), SPW_HDR_OK);
    h.num_groups = 101;
    ck_assert_int_eq(spw_header_check_client(&h), SPW_HDR_BAD_GROUPS);
    h.num_groups = -1;
    ck_assert_int_eq(spw_header_check_client(&h), SPW_HDR_BAD_GROUPS);
    h.num_groups = 1;
    h.data_len = -5;
    ck_assert_int_eq(spw_header_check_client(&h), SPW_HDR_BAD_LENGTH);
    h.data_len = 143968; /* + 32 = 144000: the largest the library sends */
    ck_assert_int_eq(spw_header_check_client(&h), SPW_HDR_OK);
    h.data_len = 143969;
    ck_assert_int_eq(spw_header_check_client(&h), SPW_HDR_TOO_BIG);
    h.data_len = 0;
    h.hint = 0x81000080u;
    ck_assert_int_eq(spw_header_check_client(&h), SPW_HDR_BAD_HINT);
}
END_TEST

START_TEST(name_rules)
{
    ck_assert(spw_group_name_ok("grp1"));
    ck_assert(spw_group_name_ok("$~"));
    ck_assert(!spw_group_name_ok(""));
    ck_assert(!spw_group_name_ok("a b"));
    ck_assert(!spw_group_name_ok("#priv"));
    ck_assert(spw_group_name_ok("abcdefghijklmnopqrstuvwxyz01234"));   /* 31 */
    ck_assert(!spw_group_name_ok("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
    ck_assert(!spw_group_name_ok("caf\xc3\xa9"));
}
END_TEST

static Suite *wire_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, decode_join);
    tcase_add_test(tc, encode_roundtrip);
    tcase_add_test(tc, hint_values);
    tcase_add_test(tc, big_endian_header);
    tcase_add_test(tc, client_checks);
    tcase_add_test(tc, name_rules);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(wire_suite());
}
