/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/groups.c: member order (daemon, then name), group
 * id index rules, destruction when empty, the owner index used for
 * disconnects.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"
#include "../lib/ckmain.h"

static const char *key(char buf[32], const char *s)
{
    memset(buf, 0, 32);
    strncpy(buf, s, 31);
    return buf;
}

START_TEST(order_and_index)
{
    struct groups gs;
    struct group *g;
    char k[32], n1[32], n2[32], n3[32], n4[32];

    groups_init(&gs);
    groups_set_view(&gs, 11, 22);
    ck_assert_int_eq(groups_join(&gs, key(k, "mo"), key(n1, "#zed#a"), 0, NULL, &g), 1);
    ck_assert_uint_eq(g->gid.index, 1);
    ck_assert_uint_eq(g->gid.memb_id, 11);
    ck_assert_uint_eq(g->gid.memb_time, 22);
    ck_assert_int_eq(groups_join(&gs, k, key(n2, "#amy#a"), 0, NULL, &g), 1);
    ck_assert_int_eq(groups_join(&gs, k, key(n3, "#mia#a"), 0, NULL, &g), 1);
    ck_assert_int_eq(groups_join(&gs, k, key(n4, "#abe#b"), 1, NULL, &g), 1);
    ck_assert_int_eq(groups_join(&gs, k, n3, 0, NULL, &g), 0);
    ck_assert_uint_eq(g->gid.index, 4);
    ck_assert_int_eq(g->n_members, 4);
    ck_assert_str_eq(g->members[0]->owner->name, "#amy#a");
    ck_assert_str_eq(g->members[1]->owner->name, "#mia#a");
    ck_assert_str_eq(g->members[2]->owner->name, "#zed#a");
    ck_assert_str_eq(g->members[3]->owner->name, "#abe#b"); /* daemon 1 last */
    groups_remove(&gs, groups_member(g, n3, 0));
    ck_assert_uint_eq(g->gid.index, 5);
    ck_assert_ptr_null(groups_member(g, n3, 0));
    ck_assert_int_eq(groups_reap(&gs, g), 0);
    groups_fini(&gs);
}
END_TEST

START_TEST(destroy_and_recreate)
{
    struct groups gs;
    struct group *g;
    char k[32], n[32];

    groups_init(&gs);
    groups_join(&gs, key(k, "g"), key(n, "#x#a"), 0, NULL, &g);
    groups_join(&gs, k, n, 0, NULL, &g);
    groups_remove(&gs, groups_member(g, n, 0));
    ck_assert_int_eq(groups_reap(&gs, g), 1);
    ck_assert_ptr_null(groups_find(&gs, k));
    ck_assert_ptr_null(groups_owner(&gs, n));
    groups_join(&gs, k, n, 0, NULL, &g);
    ck_assert_uint_eq(g->gid.index, 1);
    ck_assert_uint_eq(groups_count(&gs), 1);
    groups_fini(&gs);
}
END_TEST

START_TEST(owner_index)
{
    struct groups gs;
    struct group *g, *list[8];
    struct gowner *o;
    char k[32], n[32];
    int dummy;
    const char *names[] = {"c", "a", "b"};
    int i;

    groups_init(&gs);
    key(n, "#x#a");
    for (i = 0; i < 3; i++)
        groups_join(&gs, key(k, names[i]), n, 0, &dummy, &g);
    o = groups_owner(&gs, n);
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_eq(o->local, &dummy);
    ck_assert_int_eq(groups_of(o, list, 8), 3);
    ck_assert_str_eq(list[0]->name, "a");
    ck_assert_str_eq(list[1]->name, "b");
    ck_assert_str_eq(list[2]->name, "c");
    groups_fini(&gs);
}
END_TEST

START_TEST(many_members)
{
    struct groups gs;
    struct group *g = NULL;
    char k[32], n[32];
    int i;

    groups_init(&gs);
    key(k, "big");
    for (i = 999; i >= 0; i--) {
        snprintf(n, sizeof n, "#m%04d#a", i);
        memset(n + strlen(n), 0, 32 - strlen(n));
        ck_assert_int_eq(groups_join(&gs, k, n, 0, NULL, &g), 1);
    }
    ck_assert_int_eq(g->n_members, 1000);
    for (i = 1; i < 1000; i++)
        ck_assert_int_lt(strcmp(g->members[i - 1]->owner->name,
                                g->members[i]->owner->name), 0);
    groups_fini(&gs);
}
END_TEST

START_TEST(name_key_cuts)
{
    char out[32], field[32];
    memset(field, 'x', 32);
    groups_name_key(out, field);
    ck_assert_uint_eq(strlen(out), 31);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("groups");
    TCase *tc = tcase_create("table");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, order_and_index);
    tcase_add_test(tc, destroy_and_recreate);
    tcase_add_test(tc, owner_index);
    tcase_add_test(tc, many_members);
    tcase_add_test(tc, name_key_cuts);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
