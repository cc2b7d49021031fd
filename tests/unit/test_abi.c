/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ABI: programs compiled against upstream's sp.h must run against our
 * libspread.so.3 unchanged, so every type's size and layout and every
 * constant's value must be upstream's (api.md §2-3, LP64 sizes). Also
 * checks a few behaviours that do not need a daemon.
 */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sp.h>
#include "../lib/ckmain.h"

START_TEST(type_layouts)
{
    ck_assert_uint_eq(sizeof(mailbox), 4);
    ck_assert_uint_eq(sizeof(service), 4);
    ck_assert_uint_eq(sizeof(int16), 2);
    ck_assert_uint_eq(sizeof(int32), 4);
    ck_assert_uint_eq(sizeof(scat_element), 16);
    ck_assert_uint_eq(offsetof(scat_element, len), 8);
    ck_assert_uint_eq(sizeof(scatter), 1608);
    ck_assert_uint_eq(offsetof(scatter, elements), 8);
    ck_assert_uint_eq(sizeof(group_id), 12);
    ck_assert_uint_eq(sizeof(vs_set_info), 8);
    ck_assert_uint_eq(sizeof(membership_info), 56);
    ck_assert_uint_eq(offsetof(membership_info, changed_member), 12);
    ck_assert_uint_eq(offsetof(membership_info, num_vs_sets), 44);
    ck_assert_uint_eq(offsetof(membership_info, my_vs_set), 48);
    ck_assert_uint_eq(sizeof(sp_time), 16);
}
END_TEST

START_TEST(constants)
{
    ck_assert_int_eq(SPREAD_VERSION, 0x05000000);
    ck_assert_int_eq(DEFAULT_SPREAD_PORT, 4803);
    ck_assert_int_eq(MAX_GROUP_NAME, 32);
    ck_assert_int_eq(MAX_PRIVATE_NAME, 10);
    ck_assert_int_eq(MAX_PROC_NAME, 20);
    ck_assert_int_eq(MAX_CLIENT_SCATTER_ELEMENTS, 100);
    ck_assert_int_eq(REGULAR_MESS, 0x3f);
    ck_assert_int_eq(SELF_DISCARD, 0x40);
    ck_assert_int_eq(DROP_RECV, 0x01000000);
    ck_assert_int_eq(MEMBERSHIP_MESS, 0x3f00);
    ck_assert_int_eq((unsigned)ENDIAN_RESERVED, 0x80000080u);
    ck_assert_int_eq(RESERVED, 0x003fc000);
    ck_assert_int_eq(REJECT_MESS, 0x00400000);
    ck_assert_int_eq(ILLEGAL_TIME, -20);
    ck_assert_int_eq(MAX_FD_EVENTS, 2000);
    ck_assert_int_eq(NUM_PRIORITY, 3);
    ck_assert_int_eq(EXCEPT_FD, 2);
}
END_TEST

START_TEST(macros)
{
    ck_assert(Is_regular_mess(AGREED_MESS));
    ck_assert(!Is_regular_mess(AGREED_MESS | REJECT_MESS));
    ck_assert(Is_self_leave(CAUSED_BY_LEAVE));
    ck_assert(!Is_self_leave(CAUSED_BY_LEAVE | REG_MEMB_MESS));
    ck_assert(Is_membership_mess(TRANSITION_MESS));
    ck_assert_int_eq(Flip_int16(0x1234), 0x3412);
    ck_assert_int_eq(Flip_int32(0x12345678), 0x78563412);
}
END_TEST

START_TEST(library_basics)
{
    int a = 0, b = 0, c = 0;
    group_id g1 = {{1, 2, 3}}, g2 = {{1, 2, 3}};
    ck_assert_int_eq(SP_version(&a, &b, &c), 1);
    ck_assert(a == 5 && b == 0 && c == 1);
    ck_assert_int_eq(SP_version(NULL, &b, &c), 0);
    ck_assert_str_eq(SP_strerror(ILLEGAL_SESSION), "Illegal session was supplied.");
    ck_assert_str_eq(SP_strerror(-10), "Unrecognized error.");
    ck_assert_str_eq(SP_strerror(NET_ERROR_ON_SESSION),
                     "Network socket error. SP_kill() the mailbox.");
    ck_assert_int_eq(SP_equal_group_ids(g1, g2), 1);
    g2.id[2] = 4;
    ck_assert_int_eq(SP_equal_group_ids(g1, g2), 0);
    ck_assert_int_eq(SP_poll(12345), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_disconnect(12345), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_join(12345, "g"), ILLEGAL_SESSION);
}
END_TEST

/* The lifecycle extensions keep upstream's signatures where upstream has
 * the function (SP_kill gains only a return value) and are detectable. */
START_TEST(lifecycle_extensions)
{
#ifndef SP_HAVE_CLOSE
    ck_abort_msg("SP_HAVE_CLOSE is not defined");
#endif
#ifndef SP_HAVE_INIT
    ck_abort_msg("SP_HAVE_INIT is not defined");
#endif
    int (*kill_fn)(mailbox) = SP_kill;
    int (*close_fn)(mailbox) = SP_close;

    ck_assert_int_eq(kill_fn(12345), ILLEGAL_SESSION);
    ck_assert_int_eq(close_fn(12345), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_init(), 0);
    ck_assert_int_eq(SP_init(), 0);
}
END_TEST

static int timer_ran;

static void on_timer(int code, void *data)
{
    (void)code;
    (void)data;
    timer_ran = 1;
    E_exit_events();
}

START_TEST(exit_before_loop_is_forgotten)
{
    sp_time soon = {0, 1000};
    ck_assert_int_eq(E_init(), 0);
    /* Upstream forgets an exit requested before the loop starts. */
    E_exit_events();
    E_queue(on_timer, 0, NULL, soon);
    E_handle_events();
    ck_assert_int_eq(timer_ran, 1);
}
END_TEST

static Suite *abi_suite(void)
{
    Suite *s = suite_create("abi");
    TCase *tc = tcase_create("abi");
    tcase_add_test(tc, type_layouts);
    tcase_add_test(tc, constants);
    tcase_add_test(tc, macros);
    tcase_add_test(tc, library_basics);
    tcase_add_test(tc, lifecycle_extensions);
    tcase_add_test(tc, exit_before_loop_is_forgotten);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(abi_suite());
}
