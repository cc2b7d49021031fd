/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_fl_codec: the flush layer's wire codec (libspread/flush/codec.h)
 * against the bytes of shared/spec/flush.md section 4 (the captured
 * examples), in both byte orders, and on malformed and truncated input.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "flush/codec.h"
#include "../lib/ckmain.h"

/* The captured id 26 97 c5 1c  e9 ec 15 6b  01 00 00 00 (little-endian). */
static const unsigned char cap_id[12] = { 0x26, 0x97, 0xc5, 0x1c, 0xe9, 0xec,
                                          0x15, 0x6b, 0x01, 0x00, 0x00, 0x00 };

static int host_big(void)
{
    const uint16_t one = 1;

    return *(const unsigned char *)&one == 0;
}

static void check_cap_id(const group_id *id)
{
    ck_assert_uint_eq((uint32_t)id->id[0], 0x1cc59726u);
    ck_assert_uint_eq((uint32_t)id->id[1], 0x6b15ece9u);
    ck_assert_int_eq(id->id[2], 1);
}

/* 4.4's capture: "abc", type 5, FIFO while settling, from a
 * little-endian sender; read on either host. */
START_TEST(tagged_capture)
{
    unsigned char body[17] = { 'a', 'b', 'c', 0x05, 0x00 };
    struct flc_data d;

    memcpy(body + 5, cap_id, 12);
    ck_assert_int_eq(flc_data_decode(body, sizeof body, FIFO_MESS, FLC_TAGGED,
                                     host_big(), &d), 0);
    ck_assert_int_eq(d.kind, FLC_KIND_TAGGED);
    ck_assert_int_eq(d.app_type, 5);
    ck_assert_uint_eq(d.app_len, 3);
    ck_assert_int_eq(d.has_ref, 0);
    check_cap_id(&d.id);
}
END_TEST

/* The same message written by a big-endian sender. */
START_TEST(tagged_other_order)
{
    unsigned char body[17] = { 'a', 'b', 'c', 0x00, 0x05,
                               0x1c, 0xc5, 0x97, 0x26, 0x6b, 0x15, 0xec, 0xe9,
                               0, 0, 0, 1 };
    struct flc_data d;

    ck_assert_int_eq(flc_data_decode(body, sizeof body, FIFO_MESS, FLC_TAGGED,
                                     !host_big(), &d), 0);
    ck_assert_int_eq(d.app_type, 5);
    ck_assert_uint_eq(d.app_len, 3);
    check_cap_id(&d.id);
}
END_TEST

/* 4.2/4.3: control bodies are just the id; encode is host order. */
START_TEST(control_roundtrip)
{
    group_id id = { { 0x1cc59726, 0x6b15ece9, 1 } };
    unsigned char b[FLC_ID_LEN];
    struct flc_data d;

    flc_id_encode(b, &id);
    if (!host_big())
        ck_assert_int_eq(memcmp(b, cap_id, 12), 0);
    ck_assert_int_eq(flc_data_decode(b, 12, FIFO_MESS, FLC_FLUSH_OK, 0, &d), 0);
    ck_assert_int_eq(d.kind, FLC_KIND_FLUSH_OK);
    ck_assert_uint_eq(d.app_len, 0);
    check_cap_id(&d.id);
    ck_assert_int_eq(flc_data_decode(b, 12, FIFO_MESS, FLC_FLUSH_RECV, 0, &d),
                     0);
    ck_assert_int_eq(d.kind, FLC_KIND_FLUSH_RECV);
}
END_TEST

/* 4.5's capture: FL_subgroupcast(AGREED, "cg", ..., "xy"): 2 + 32 bytes. */
START_TEST(subgroup_capture)
{
    unsigned char body[34] = { 'x', 'y', 'c', 'g' };
    unsigned char t[FLC_TRAILER_MAX];
    struct flc_data d;
    char ref[MAX_GROUP_NAME] = "cg";

    ck_assert_uint_eq(flc_trailer_encode(t, 0, 6, NULL, ref), 32);
    ck_assert_int_eq(memcmp(t, body + 2, 32), 0);
    ck_assert_int_eq(flc_data_decode(body, sizeof body,
                                     AGREED_MESS | SUBGROUP_CAST, 6, 0, &d), 0);
    ck_assert_int_eq(d.kind, FLC_KIND_DATA);
    ck_assert_int_eq(d.has_ref, 1);
    ck_assert_str_eq(d.ref, "cg");
    ck_assert_uint_eq(d.app_len, 2);
    ck_assert_int_eq(d.app_type, 6);
}
END_TEST

/* Tag and reference group together: body | type | id | group (46). */
START_TEST(tagged_subgroup_roundtrip)
{
    group_id id = { { 7, 8, 9 } };
    unsigned char b[3 + FLC_TRAILER_MAX] = { 'h', 'e', 'y' };
    char ref[MAX_GROUP_NAME] = "grp";
    struct flc_data d;
    size_t n = flc_trailer_encode(b + 3, 1, -5, &id, ref);

    ck_assert_uint_eq(n, 46);
    ck_assert_int_eq(flc_data_decode(b, 3 + n, RELIABLE_MESS | SUBGROUP_CAST,
                                     FLC_TAGGED, 0, &d), 0);
    ck_assert_int_eq(d.kind, FLC_KIND_TAGGED);
    ck_assert_int_eq(d.app_type, -5);
    ck_assert_uint_eq(d.app_len, 3);
    ck_assert_str_eq(d.ref, "grp");
    ck_assert_int_eq(d.id.id[0], 7);
    ck_assert_int_eq(d.id.id[2], 9);
}
END_TEST

/* Any length short of the trailer is refused (upstream trusts it). */
START_TEST(truncated)
{
    unsigned char b[64];
    struct flc_data d;
    size_t n;

    memset(b, 0, sizeof b);
    for (n = 0; n < 12; n++) {
        ck_assert_int_eq(flc_data_decode(b, n, FIFO_MESS, FLC_FLUSH_OK, 0, &d),
                         -EBADMSG);
        ck_assert_int_eq(flc_data_decode(b, n, FIFO_MESS, FLC_FLUSH_RECV, 1,
                                         &d), -EBADMSG);
    }
    for (n = 0; n < 14; n++)
        ck_assert_int_eq(flc_data_decode(b, n, FIFO_MESS, FLC_TAGGED, 0, &d),
                         -EBADMSG);
    ck_assert_int_eq(flc_data_decode(b, 14, FIFO_MESS, FLC_TAGGED, 0, &d), 0);
    for (n = 0; n < 32; n++)
        ck_assert_int_eq(flc_data_decode(b, n, AGREED_MESS | SUBGROUP_CAST, 1,
                                         0, &d), -EBADMSG);
    for (n = 32; n < 46; n++)
        ck_assert_int_eq(flc_data_decode(b, n, FIFO_MESS | SUBGROUP_CAST,
                                         FLC_TAGGED, 0, &d), -EBADMSG);
    /* Ordinary types are never taken apart: even an empty body is fine. */
    ck_assert_int_eq(flc_data_decode(b, 0, FIFO_MESS, -32765, 0, &d), 0);
    ck_assert_int_eq(d.app_type, -32765);
}
END_TEST

static size_t memb_body(unsigned char *b, uint32_t nsets, uint32_t own,
                        const uint32_t *counts)
{
    group_id id = { { 1, 2, 3 } };
    size_t pos = 20;
    uint32_t i, j;

    memcpy(b, id.id, 12);
    memcpy(b + 12, &nsets, 4);
    memcpy(b + 16, &own, 4);
    for (i = 0; i < nsets; i++) {
        memcpy(b + pos, &counts[i], 4);
        pos += 4;
        for (j = 0; j < counts[i]; j++) {
            memset(b + pos, 0, MAX_GROUP_NAME);
            snprintf((char *)b + pos, MAX_GROUP_NAME, "#m%u_%u#h", i, j);
            pos += MAX_GROUP_NAME;
        }
    }
    return pos;
}

START_TEST(membership_bodies)
{
    unsigned char b[512];
    uint32_t one[] = { 1 }, two[] = { 1, 2 }, huge[] = { 0x10000000u };
    struct flc_memb mb;
    size_t n = memb_body(b, 1, 0, one), k;

    ck_assert_uint_eq(n, 56);
    ck_assert_int_eq(flc_memb_decode(b, n, &mb), 0);
    ck_assert_uint_eq(mb.own_count, 1);
    ck_assert_str_eq((const char *)mb.own_names, "#m0_0#h");
    ck_assert_int_eq(mb.id.id[2], 3);
    for (k = 0; k < n; k++)
        ck_assert_int_eq(flc_memb_decode(b, k, &mb), -EBADMSG);

    n = memb_body(b, 2, 36, two);
    ck_assert_int_eq(flc_memb_decode(b, n, &mb), 0);
    ck_assert_uint_eq(mb.own_count, 2);
    ck_assert_str_eq((const char *)mb.own_names + 32, "#m1_1#h");
    /* An own-set offset that is not where a set starts. */
    n = memb_body(b, 2, 20, two);
    ck_assert_int_eq(flc_memb_decode(b, n, &mb), -EBADMSG);
    /* A member count that runs past the body (no overflow). */
    n = memb_body(b, 1, 0, one);
    memcpy(b + 20, huge, 4);
    ck_assert_int_eq(flc_memb_decode(b, n, &mb), -EBADMSG);
    /* Many sets announced, none present. */
    memb_body(b, 0, 0, NULL);
    memcpy(b + 12, huge, 4);
    ck_assert_int_eq(flc_memb_decode(b, 20, &mb), -EBADMSG);
}
END_TEST

START_TEST(view_and_names)
{
    char names[2][MAX_GROUP_NAME] = { "#a#h", "#b#h" };
    group_id id = { { 4, 5, 6 } };
    unsigned char b[16 + 64];
    int32_t k;

    ck_assert_uint_eq(flc_view_len(1), 48);
    ck_assert_uint_eq(flc_view_len(2), 80);
    flc_view_encode(b, &id, 2, (const char (*)[MAX_GROUP_NAME])names);
    ck_assert_int_eq(memcmp(b, id.id, 12), 0);
    memcpy(&k, b + 12, 4);
    ck_assert_int_eq(k, 2);
    ck_assert_str_eq((char *)b + 48, "#b#h");
    ck_assert(flc_is_private("#a#localhost"));
    ck_assert(flc_is_private("x#y"));
    ck_assert(!flc_is_private("group"));
    {
        char unterminated[40];
        memset(unterminated, 'g', sizeof unterminated);
        unterminated[35] = '#';   /* beyond the 32 bytes that count */
        ck_assert(!flc_is_private(unterminated));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fl_codec");
    TCase *tc = tcase_create("codec");

    tcase_add_test(tc, tagged_capture);
    tcase_add_test(tc, tagged_other_order);
    tcase_add_test(tc, control_roundtrip);
    tcase_add_test(tc, subgroup_capture);
    tcase_add_test(tc, tagged_subgroup_roundtrip);
    tcase_add_test(tc, truncated);
    tcase_add_test(tc, membership_bodies);
    tcase_add_test(tc, view_and_names);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
