/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/memb.c: membership frames built by the daemon must
 * equal, byte for byte outside the group-id words, the frames the upstream
 * daemon sent in vectors 09, 15 and 26; plus the NETWORK form's own-set
 * offset (client-protocol.md §9.3, vector 29's layout).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/wire.h"
#include "memb.h"
#include "../lib/vec.h"
#include "../lib/ckmain.h"

static void field(char out[32], const char *s)
{
    memset(out, 0, 32);
    strncpy(out, s, 31);
}

/* The nth daemon->client frame of connection `conn` whose type word is
 * `type` (marker included). */
static const struct vec_frame *find(const struct vec_file *v, char conn,
                                    uint32_t type, int nth)
{
    size_t i;
    for (i = 0; i < v->n; i++) {
        const struct vec_frame *f = &v->frames[i];
        if (f->conn == conn && f->dir == 'D' && f->len >= 48 &&
            spw_get32(f->data) == type && nth-- == 0)
            return f;
    }
    return NULL;
}

static void load(const char *name, struct vec_file *v)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", vec_dir(), name);
    ck_assert_msg(vec_load(path, v) == 0, "cannot load %s", path);
}

static void check_change(const struct vec_frame *f, uint32_t cause,
                         const char *group, const char **names, int n,
                         const char *changed, uint32_t index)
{
    char g[32], fields[8][32], ch[32];
    const char *ptrs[8];
    struct memb_gid gid = {0, 0, index};
    struct msg *m;
    int i;

    ck_assert_ptr_nonnull(f);
    field(g, group);
    field(ch, changed);
    for (i = 0; i < n; i++) {
        field(fields[i], names[i]);
        ptrs[i] = fields[i];
    }
    m = memb_change(g, cause, &gid, ptrs, n, ch);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(m->len, f->len);
    ck_assert_msg(vec_match(f, m->data, m->len), "frame of line %d differs",
                  f->line);
    msg_unref(m);
}

START_TEST(join_own_v09)
{
    struct vec_file v;
    const char *members[] = {"#alice#localhost"};
    load("09_join_leave_self.vec", &v);
    check_change(find(&v, 'A', 0x80001180u, 0), CAUSED_BY_JOIN, "grp1",
                 members, 1, "#alice#localhost", 1);
    vec_free(&v);
}
END_TEST

START_TEST(self_leave_v09)
{
    struct vec_file v;
    const struct vec_frame *f;
    char g[32];
    struct msg *m;

    load("09_join_leave_self.vec", &v);
    f = find(&v, 'A', 0x80000280u, 0);
    ck_assert_ptr_nonnull(f);
    field(g, "grp1");
    m = memb_self_leave(g);
    ck_assert_uint_eq(m->len, f->len);
    ck_assert(vec_match(f, m->data, m->len));
    msg_unref(m);
    vec_free(&v);
}
END_TEST

START_TEST(others_v15)
{
    struct vec_file v;
    const char *two[] = {"#alice#localhost", "#bob#localhost"};
    const char *one[] = {"#alice#localhost"};
    load("15_membership_of_others.vec", &v);
    /* bob joins (index 2), leaves (3), rejoins (4), disconnects (5). */
    check_change(find(&v, 'A', 0x80001180u, 1), CAUSED_BY_JOIN, "grp", two, 2,
                 "#bob#localhost", 2);
    check_change(find(&v, 'B', 0x80001180u, 0), CAUSED_BY_JOIN, "grp", two, 2,
                 "#bob#localhost", 2);
    check_change(find(&v, 'A', 0x80001280u, 0), CAUSED_BY_LEAVE, "grp", one, 1,
                 "#bob#localhost", 3);
    check_change(find(&v, 'A', 0x80001480u, 0), CAUSED_BY_DISCONNECT, "grp",
                 one, 1, "#bob#localhost", 5);
    check_change(find(&v, 'A', 0x80001480u, 1), CAUSED_BY_DISCONNECT, "grp",
                 one, 1, "#carol#localhost", 7);
    vec_free(&v);
}
END_TEST

START_TEST(order_v26)
{
    struct vec_file v;
    const char *three[] = {"#amy#localhost", "#mia#localhost", "#zed#localhost"};
    load("26_member_list_order.vec", &v);
    check_change(find(&v, 'Z', 0x80001180u, 2), CAUSED_BY_JOIN, "mo", three, 3,
                 "#mia#localhost", 3);
    vec_free(&v);
}
END_TEST

START_TEST(network_sets)
{
    char g[32], a[32], b[32];
    const char *members[2], *s0[1], *s1[1];
    struct memb_set sets[2];
    struct memb_gid gid = {7, 8, 1};
    struct msg *m;
    const unsigned char *body;

    field(g, "grp");
    field(a, "#alice#d1");
    field(b, "#bob#d2");
    members[0] = a;
    members[1] = b;
    s0[0] = b;
    s1[0] = a;
    sets[0].n = 1;
    sets[0].names = s0;
    sets[1].n = 1;
    sets[1].names = s1;
    m = memb_regular(g, CAUSED_BY_NETWORK, &gid, members, 2, sets, 2, 1);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(spw_get32(m->data), 0x80001880u);
    ck_assert_uint_eq(spw_get32(m->data + SPW_OFF_DATA_LEN), 92);
    body = m->data + 48 + 64;
    ck_assert_uint_eq(spw_get32(body + 8), 1);
    ck_assert_uint_eq(spw_get32(body + 12), 2);
    ck_assert_uint_eq(spw_get32(body + 16), 36);   /* vector 29: 0x24 */
    ck_assert_uint_eq(spw_get32(body + 20), 1);
    ck_assert_mem_eq(body + 24, b, 32);
    ck_assert_mem_eq(body + 60, a, 32);
    msg_unref(m);
}
END_TEST

START_TEST(transition)
{
    char g[32];
    struct memb_gid gid = {1, 2, 3};
    struct msg *m;

    field(g, "grp");
    m = memb_transition(g, &gid);
    ck_assert_uint_eq(m->len, 60);
    ck_assert_uint_eq(spw_get32(m->data), 0x80002080u);
    ck_assert_uint_eq(spw_get32(m->data + SPW_OFF_NUM_GROUPS), 0);
    ck_assert_uint_eq(spw_get32(m->data + SPW_OFF_DATA_LEN), 12);
    ck_assert_uint_eq(spw_get32(m->data + 56), 3);
    msg_unref(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("memb");
    TCase *tc = tcase_create("frames");

    if (!vec_available())
        return 77;
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, join_own_v09);
    tcase_add_test(tc, self_leave_v09);
    tcase_add_test(tc, others_v15);
    tcase_add_test(tc, order_v26);
    tcase_add_test(tc, network_sets);
    tcase_add_test(tc, transition);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
