/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/groups.c: member order (daemon, then name), group
 * id index rules and network restamps, destruction when empty, the owner
 * index used for disconnects, and a member of 100,000 groups with crafted
 * names.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"
#include "../lib/ckmain.h"
#include "../lib/flood_names.h"

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
    /* Re-created, it goes on from its last view (join 1, leave 2): no
     * two views of one group share an id. */
    groups_join(&gs, k, n, 0, NULL, &g);
    ck_assert_uint_eq(g->gid.index, 3);
    ck_assert_uint_eq(groups_count(&gs), 1);
    groups_fini(&gs);
}
END_TEST

/* Tombstones are bounded: the oldest is evicted and raises the floor, so
 * a group re-created after its tombstone went still gets a new id, and so
 * does every group created later. A new daemon view starts afresh. */
START_TEST(tombstones_bounded)
{
    struct groups gs;
    struct group *g;
    char k[32], n[32];
    const char *names[] = {"g1", "g2", "g3"};
    int i, j;

    groups_init(&gs);
    gs.max_tombs = 2;
    groups_set_view(&gs, 7, 100);
    key(n, "#x#a");
    for (i = 0; i < 3; i++) {
        /* g1 reaches index 4, g2 and g3 index 2. */
        for (j = 0; j < (i == 0 ? 2 : 1); j++) {
            groups_join(&gs, key(k, names[i]), n, 0, NULL, &g);
            groups_remove(&gs, groups_member(g, n, 0));
            ck_assert_int_eq(groups_reap(&gs, g), 1);
        }
    }
    ck_assert_uint_eq(gs.tombs.n, 2);   /* g1's was evicted: floor 4 */
    ck_assert_uint_eq(gs.index_floor, 4);
    groups_join(&gs, key(k, "g1"), n, 0, NULL, &g);
    ck_assert_uint_eq(g->gid.index, 5);
    groups_join(&gs, key(k, "g2"), n, 0, NULL, &g);
    ck_assert_uint_eq(g->gid.index, 5); /* max(floor, its own 2) + 1 */
    groups_join(&gs, key(k, "new"), n, 0, NULL, &g);
    ck_assert_uint_eq(g->gid.index, 5);
    ck_assert_uint_eq(gs.tombs.n, 1);   /* g3's is still there */
    groups_set_view(&gs, 7, 101);
    ck_assert_uint_eq(gs.tombs.n, 0);
    ck_assert_uint_eq(gs.index_floor, 0);
    groups_join(&gs, key(k, "fresh"), n, 0, NULL, &g);
    ck_assert_uint_eq(g->gid.index, 1);
    ck_assert_uint_eq(g->gid.memb_time, 101);
    groups_fini(&gs);
}
END_TEST

/* A network change gives the group the id of the view that shows it,
 * index 1, and joins count on from there (ring.md rule 70). */
START_TEST(restamp_network)
{
    struct groups gs;
    struct group *g;
    char k[32], a[32], b[32];

    groups_init(&gs);
    groups_set_view(&gs, 7, 100);
    groups_join(&gs, key(k, "g"), key(a, "#a#n1"), 0, NULL, &g);
    groups_join(&gs, k, key(b, "#b#n2"), 1, NULL, &g);
    ck_assert_uint_eq(g->gid.index, 2);
    groups_set_view(&gs, 9, 130);
    groups_restamp(&gs, g, 9, 130);
    ck_assert_uint_eq(g->gid.memb_id, 9);
    ck_assert_uint_eq(g->gid.memb_time, 130);
    ck_assert_uint_eq(g->gid.index, 1);
    groups_remove(&gs, groups_member(g, b, 1));
    ck_assert_uint_eq(g->gid.index, 2);
    /* A second network view in the same daemon view: the next index. */
    groups_restamp(&gs, g, 9, 130);
    ck_assert_uint_eq(g->gid.index, 3);
    groups_fini(&gs);
}
END_TEST

/* Views under a transitional configuration's id (rule 74) count on from
 * the group's index, so a group destroyed after them and re-created under
 * the daemon view's id repeats no id: g had 1..3 under (7,100) and 4 under
 * (8,99); re-created, it has 6. A second stretch under (8,99) after the
 * re-creation cannot meet the first one either. */
START_TEST(restamp_then_recreate)
{
    struct groups gs;
    struct group *g;
    char k[32], a[32], b[32];

    groups_init(&gs);
    groups_set_view(&gs, 7, 100);
    groups_join(&gs, key(k, "g"), key(a, "#a#n1"), 0, NULL, &g);
    groups_join(&gs, k, key(b, "#b#n1"), 0, NULL, &g);
    groups_remove(&gs, groups_member(g, b, 0));
    ck_assert_uint_eq(g->gid.index, 3);
    groups_restamp(&gs, g, 8, 99);
    ck_assert_uint_eq(g->gid.memb_id, 8);
    ck_assert_uint_eq(g->gid.index, 4);
    groups_remove(&gs, groups_member(g, a, 0));
    ck_assert_int_eq(groups_reap(&gs, g), 1);
    groups_join(&gs, k, a, 0, NULL, &g);
    ck_assert_uint_eq(g->gid.memb_id, 7);
    ck_assert_uint_eq(g->gid.index, 6);
    groups_restamp(&gs, g, 8, 99);
    ck_assert_uint_eq(g->gid.memb_id, 8);
    ck_assert_uint_eq(g->gid.index, 7);
    groups_fini(&gs);
}
END_TEST

static int keep_below_2(void *ctx, int daemon)
{
    (void)ctx;
    return daemon < 2;
}

/* Daemon 2 leaves: its members go, their groups are changed (kept on the
 * list for the NETWORK view), a group left empty is destroyed, indexes do
 * not move (the view that follows gets a new id). */
START_TEST(remove_departed)
{
    struct groups gs;
    struct group *g, *h, *e, **v;
    char k[32], a[32], b[32], c[32], c2[32];
    size_t n;

    groups_init(&gs);
    groups_set_view(&gs, 7, 100);
    groups_join(&gs, key(k, "g"), key(a, "#a#n1"), 0, NULL, &g);
    groups_join(&gs, k, key(c, "#c#n3"), 2, NULL, &g);
    groups_join(&gs, k, key(c2, "#d#n3"), 2, NULL, &g);
    groups_join(&gs, key(k, "h"), key(b, "#b#n2"), 1, NULL, &h);
    groups_join(&gs, key(k, "e"), c, 2, NULL, &e);
    ck_assert_uint_eq(g->gid.index, 3);
    ck_assert_uint_eq(groups_mark_daemons(&gs, keep_below_2, NULL), 2);
    ck_assert_uint_eq(gs.n_changed, 2);
    ck_assert_uint_eq(groups_mark_daemons(&gs, keep_below_2, NULL), 0);
    ck_assert_uint_eq(groups_remove_daemons(&gs, keep_below_2, NULL), 3);
    ck_assert_ptr_null(groups_find(&gs, key(k, "e")));
    ck_assert_ptr_null(groups_owner(&gs, c));
    ck_assert_ptr_null(groups_owner(&gs, c2));
    ck_assert_int_eq(g->n_members, 1);
    ck_assert_uint_eq(g->gid.index, 3);
    ck_assert(g->flags & GROUP_CHANGED);
    ck_assert(!(h->flags & GROUP_CHANGED));
    ck_assert_uint_eq(gs.n_changed, 1);
    groups_mark_changed(&gs, h);
    v = groups_changed_sorted(&gs, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(v[0]->name, "g");
    ck_assert_str_eq(v[1]->name, "h");
    free(v);
    groups_settled(&gs, g);
    ck_assert_uint_eq(gs.n_changed, 1);
    ck_assert_ptr_eq(gs.changed, h);
    ck_assert_uint_eq(g->flags, 0);
    groups_fini(&gs);
}
END_TEST

static enum groups_vs_class cls_by_name(void *ctx, const struct gmember *m)
{
    (void)ctx;
    if (strcmp(m->owner->name, "#j#n1") == 0)
        return GROUPS_VS_LAST;
    if (m->owner->daemon == 3)
        return GROUPS_VS_ALONE;
    return GROUPS_VS_KEY;
}

/* VS sets: by the configuration of the last sync (id word, then time
 * word), then daemon order, then name; unknown daemons alone after them,
 * members that joined during the change alone at the end. */
START_TEST(vs_sets_order)
{
    struct groups gs;
    struct group *g;
    struct gmember *out[8];
    int len[8], n;
    char k[32], nm[32];
    const struct { const char *name; int daemon; uint32_t id, t; } in[] = {
        {"#z#n1", 0, 5, 200}, {"#a#n1", 0, 5, 200}, {"#b#n2", 1, 5, 100},
        {"#c#n3", 2, 5, 200}, {"#u#n4", 3, 5, 100}, {"#v#n4", 3, 5, 100},
        {"#j#n1", 0, 5, 200}, {"#x#n3", 2, 4, 900},
    };
    int i;

    groups_init(&gs);
    key(k, "g");
    for (i = 0; i < 8; i++) {
        groups_join(&gs, k, key(nm, in[i].name), in[i].daemon, NULL, &g);
        groups_member(g, nm, in[i].daemon)->key.memb_id = in[i].id;
        groups_member(g, nm, in[i].daemon)->key.memb_time = in[i].t;
    }
    n = groups_vs_sets(g, cls_by_name, NULL, out, len);
    ck_assert_int_eq(n, 6);
    ck_assert_int_eq(len[0], 1);   /* (4,900): #x#n3 */
    ck_assert_str_eq(out[0]->owner->name, "#x#n3");
    ck_assert_int_eq(len[1], 1);   /* (5,100): #b#n2 */
    ck_assert_str_eq(out[1]->owner->name, "#b#n2");
    ck_assert_int_eq(len[2], 3);   /* (5,200): n1's then n3's */
    ck_assert_str_eq(out[2]->owner->name, "#a#n1");
    ck_assert_str_eq(out[3]->owner->name, "#z#n1");
    ck_assert_str_eq(out[4]->owner->name, "#c#n3");
    ck_assert_int_eq(len[3], 1);   /* unknown n4, one by one */
    ck_assert_str_eq(out[5]->owner->name, "#u#n4");
    ck_assert_int_eq(len[4], 1);
    ck_assert_str_eq(out[6]->owner->name, "#v#n4");
    ck_assert_int_eq(len[5], 1);   /* the joiner last */
    ck_assert_str_eq(out[7]->owner->name, "#j#n1");
    /* Without classes: sets by key only. */
    ck_assert_int_eq(groups_vs_sets(g, NULL, NULL, out, len), 3);
    ck_assert_int_eq(len[0], 1);
    ck_assert_int_eq(len[1], 3);   /* (5,100): #b#n2, #u#n4, #v#n4 */
    ck_assert_int_eq(len[2], 4);
    groups_fini(&gs);
}
END_TEST

START_TEST(keys_stamped)
{
    struct groups gs;
    struct group *g;
    struct groups_key k2 = {9, 300};
    char k[32], a[32];

    groups_init(&gs);
    groups_set_view(&gs, 7, 100);
    groups_join(&gs, key(k, "g"), key(a, "#a#n1"), 0, NULL, &g);
    ck_assert_uint_eq(g->members[0]->key.memb_id, 7);
    ck_assert_uint_eq(g->members[0]->key.memb_time, 100);
    groups_stamp_keys(&gs, &k2);
    ck_assert_uint_eq(g->members[0]->key.memb_id, 9);
    ck_assert_uint_eq(g->members[0]->key.memb_time, 300);
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

/* Issue 8: names that all shared one FNV-1a bucket, joined by one member
 * and then dropped as a disconnect does. On the unkeyed hash each join and
 * each reap walked one chain of up to 100,000 groups. */
START_TEST(crafted_names)
{
    enum { N = 100000, LEN = 28 };
    char *names = malloc((size_t)N * (LEN + 1)), k[32], n[32];
    struct group *g, **all = malloc(N * sizeof *all);
    struct groups gs;
    struct gowner *o;
    size_t b, longest = 0;
    int i;

    ck_assert_ptr_nonnull(names);
    ck_assert_ptr_nonnull(all);
    ck_assert_int_eq(flood_names_fnv(names, N, LEN, 17), 0);
    groups_init(&gs);
    key(n, "#flood#a");
    for (i = 0; i < N; i++)     /* no ck_assert per join: see test_hmap.c */
        if (groups_join(&gs, key(k, names + i * (LEN + 1)), n, 0, NULL,
                        &g) != 1)
            ck_abort_msg("join %d failed", i);
    ck_assert_uint_eq(groups_count(&gs), N);
    for (b = 0; b < gs.groups.n_buckets; b++) {
        const struct hmap_node *hn;
        size_t len = 0;
        for (hn = gs.groups.buckets[b]; hn != NULL; hn = hn->next)
            len++;
        if (len > longest)
            longest = len;
    }
    ck_assert_uint_lt(longest, 32);
    o = groups_owner(&gs, n);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(groups_of(o, all, N), N);
    for (i = 0; i < N; i++) {
        groups_remove(&gs, groups_member(all[i], n, 0));
        if (groups_reap(&gs, all[i]) != 1)
            ck_abort_msg("group %d not reaped", i);
    }
    ck_assert_uint_eq(groups_count(&gs), 0);
    ck_assert_ptr_null(groups_owner(&gs, n));
    groups_fini(&gs);
    free(all);
    free(names);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("groups");
    TCase *tc = tcase_create("table");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, order_and_index);
    tcase_add_test(tc, destroy_and_recreate);
    tcase_add_test(tc, tombstones_bounded);
    tcase_add_test(tc, restamp_network);
    tcase_add_test(tc, restamp_then_recreate);
    tcase_add_test(tc, remove_departed);
    tcase_add_test(tc, vs_sets_order);
    tcase_add_test(tc, keys_stamped);
    tcase_add_test(tc, owner_index);
    tcase_add_test(tc, many_members);
    tcase_add_test(tc, name_key_cuts);
    tcase_add_test(tc, crafted_names);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
