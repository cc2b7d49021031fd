/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_ring_node: whole daemons' ring protocol (daemon/ring/node.h:
 * memb_sm + core + EVS recovery) over nodesim's in-memory network:
 * formation, one total order, a crash with messages in flight (virtual
 * synchrony, transitional then regular view), restart and merge, a 2|2
 * partition and its healing, and two segments.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring/memb_sm.h"
#include "nodesim.h"
#include "../lib/ckmain.h"

static const uint32_t svcs[4] = { PKT_RELIABLE, PKT_FIFO, PKT_AGREED,
                                  PKT_SAFE };

static int mid_eq(struct pkt_mid a, struct pkt_mid b)
{
    return a.id == b.id && a.time == b.time;
}

/* Nodes in `who` (-1 ended) are in OP in one ring of exactly them, and
 * their last regular view says so. */
static void assert_ring(struct ns *s, const int *who)
{
    struct node_status st0, st;
    unsigned k, cnt = 0;

    while (who[cnt] >= 0)
        cnt++;
    ns_status(s, who[0], &st0);
    for (k = 0; k < cnt; k++) {
        const struct ns_entry *v = ns_last_view(s, who[k], NS_REG);
        unsigned j;

        ns_status(s, who[k], &st);
        ck_assert_msg(st.state == MSM_OP, "n%d in state %d", who[k] + 1,
                      st.state);
        ck_assert_uint_eq(st.n_members, cnt);
        ck_assert(mid_eq(st.ring_id, st0.ring_id));
        ck_assert_ptr_nonnull(v);
        ck_assert(mid_eq(v->id, st0.ring_id));
        ck_assert_uint_eq(v->n, cnt);
        for (j = 0; j < cnt; j++)
            ck_assert_uint_eq(v->ids[j], ns_id(s, who[j]));
    }
}

static void start_all(struct ns *s)
{
    int i;

    for (i = 0; i < s->n; i++)
        ns_start(s, i);
}

/* The entries of node i from index `from`: messages as tags, views as
 * markers, RELIABLE ones left out (delivered early, rule 27). */
static size_t ordered(const struct ns *s, int i, size_t from, uint64_t *out,
                      size_t max)
{
    const struct ns_node *d = &s->d[i];
    size_t k, n = 0;

    for (k = from; k < d->nlog && n < max; k++) {
        const struct ns_entry *e = &d->log[k];

        if (e->kind == NS_MSG && e->service == PKT_RELIABLE)
            continue;
        out[n++] = e->kind == NS_MSG
                       ? e->tag
                       : ((uint64_t)e->kind << 60) ^
                             ((uint64_t)e->id.id << 32) ^ (uint32_t)e->id.time;
    }
    return n;
}

/* Index in node i's log of its first regular view that node j also
 * installed: where the two start sharing configurations. */
static size_t first_shared(const struct ns *s, int i, int j)
{
    const struct ns_node *a = &s->d[i], *b = &s->d[j];
    size_t k, l;

    for (k = 0; k < a->nlog; k++)
        if (a->log[k].kind == NS_REG)
            for (l = 0; l < b->nlog; l++)
                if (b->log[l].kind == NS_REG &&
                    mid_eq(b->log[l].id, a->log[k].id))
                    return k;
    return a->nlog;
}

static void assert_same_order(const struct ns *s, int a, int b)
{
    static uint64_t x[8192], y[8192];
    size_t nx = ordered(s, a, first_shared(s, a, b), x, 8192),
           ny = ordered(s, b, first_shared(s, b, a), y, 8192);
    size_t k;

    ck_assert_uint_gt(nx, 0);
    ck_assert_uint_eq(nx, ny);
    for (k = 0; k < nx; k++)
        ck_assert_msg(x[k] == y[k], "n%d and n%d differ at %zu", a + 1,
                      b + 1, k);
}

/* How often node i delivered message `tag`. */
static unsigned count_tag(const struct ns *s, int i, uint32_t tag)
{
    const struct ns_node *d = &s->d[i];
    unsigned c = 0;
    size_t k;

    for (k = 0; k < d->nlog; k++)
        c += d->log[k].kind == NS_MSG && d->log[k].tag == tag;
    return c;
}

START_TEST(formation)
{
    static const int sizes[] = { 1, 2, 3, 5 };
    int n = sizes[_i], who[NS_MAX + 1], i;
    struct ns s;

    ck_assert_int_eq(ns_init(&s, n, 1), 0);
    start_all(&s);
    ns_run(&s, 8000);
    for (i = 0; i < n; i++)
        who[i] = i;
    who[n] = -1;
    assert_ring(&s, who);
    for (i = 0; i < n; i++) {
        /* One transitional view (itself) then the regular one. */
        const struct ns_entry *t = ns_last_view(&s, i, NS_TRANS);
        ck_assert_ptr_nonnull(t);
        ck_assert_uint_eq(t->n, 1);
        ck_assert_uint_eq(t->ids[0], ns_id(&s, i));
    }
    ns_fini(&s);
}
END_TEST

START_TEST(singleton_delivers)
{
    struct ns s;
    uint32_t tags[8];
    int k;

    ck_assert_int_eq(ns_init(&s, 1, 1), 0);
    ns_start(&s, 0);
    ns_run(&s, 5000);
    for (k = 0; k < 8; k++)
        tags[k] = ns_submit(&s, 0, svcs[k % 4], 90 + 900 * (unsigned)k);
    ns_run(&s, 1000);
    for (k = 0; k < 8; k++)
        ck_assert_uint_eq(count_tag(&s, 0, tags[k]), 1);
    ns_fini(&s);
}
END_TEST

START_TEST(total_order)
{
    static const int who[] = { 0, 1, 2, -1 };
    struct ns s;
    uint32_t tags[3][40];
    int i, k;

    ck_assert_int_eq(ns_init(&s, 3, 1), 0);
    start_all(&s);
    ns_run(&s, 6000);
    assert_ring(&s, who);
    for (k = 0; k < 40; k++)
        for (i = 0; i < 3; i++)
            tags[i][k] = ns_submit(&s, i, svcs[(k + i) % 4],
                                   k % 7 == 0 ? 4000 : 90 + 13 * (size_t)k);
    ns_run(&s, 3000);
    for (i = 0; i < 3; i++)
        for (k = 0; k < 120; k++)
            ck_assert_uint_eq(count_tag(&s, i, tags[k % 3][k / 3]), 1);
    assert_same_order(&s, 0, 1);
    assert_same_order(&s, 0, 2);
    ns_fini(&s);
}
END_TEST

/* Crash of n3 with messages in flight, then its restart. */
START_TEST(crash_and_merge)
{
    static const int two[] = { 0, 1, -1 }, all[] = { 0, 1, 2, -1 };
    struct ns s;
    uint32_t tags[3][30];
    const struct ns_node *d;
    size_t k;
    int i, j, seen_trans;

    ck_assert_int_eq(ns_init(&s, 3, 1), 0);
    start_all(&s);
    ns_run(&s, 6000);
    assert_ring(&s, all);
    for (j = 0; j < 30; j++)
        for (i = 0; i < 3; i++)
            tags[i][j] = ns_submit(&s, i, svcs[1 + (j + i) % 3],
                                   j % 5 == 0 ? 3000 : 100);
    ns_run(&s, 4);
    ns_kill(&s, 2);
    ns_run(&s, 10000);
    assert_ring(&s, two);
    /* Virtual synchrony: the survivors went through the same
     * configurations and delivered the same messages in the same order,
     * their own every one. */
    assert_same_order(&s, 0, 1);
    for (i = 0; i < 2; i++)
        for (j = 0; j < 30; j++) {
            ck_assert_uint_eq(count_tag(&s, i, tags[0][j]), 1);
            ck_assert_uint_eq(count_tag(&s, i, tags[1][j]), 1);
            ck_assert_uint_le(count_tag(&s, i, tags[2][j]), 1);
        }
    /* The last change: transitional {n1, n2} then regular {n1, n2}. */
    d = &s.d[0];
    seen_trans = 0;
    for (k = d->nlog; k > 0; k--)
        if (d->log[k - 1].kind == NS_TRANS) {
            ck_assert_uint_eq(d->log[k - 1].n, 2);
            ck_assert(d->log[k].kind == NS_REG || d->log[k].kind == NS_MSG);
            seen_trans = 1;
            break;
        }
    ck_assert(seen_trans);

    ns_start(&s, 2);
    ns_run(&s, 45000);
    assert_ring(&s, all);
    assert_same_order(&s, 0, 1);
    ns_fini(&s);
}
END_TEST

/* The same with data lost at random: EVS recovery has to fetch the
 * old ring's packets from the other survivor (rule 59). */
START_TEST(crash_with_loss)
{
    static const int all[] = { 0, 1, 2, 3, -1 }, three[] = { 0, 1, 3, -1 };
    struct ns s;
    uint32_t tags[4][25];
    int i, j;

    ck_assert_int_eq(ns_init(&s, 4, 1), 0);
    s.rng = 1000u + (unsigned)_i;
    start_all(&s);
    ns_run(&s, 6000);
    assert_ring(&s, all);
    s.data_loss = 150;
    for (j = 0; j < 25; j++)
        for (i = 0; i < 4; i++)
            tags[i][j] = ns_submit(&s, i, svcs[(j + i) % 4],
                                   j % 6 == 0 ? 5000 : 120);
    ns_run(&s, 3 + (uint64_t)_i);
    ns_kill(&s, 2);
    ns_run(&s, 15000);
    assert_ring(&s, three);
    assert_same_order(&s, 0, 1);
    assert_same_order(&s, 0, 3);
    for (j = 0; j < 25; j++)
        for (i = 0; i < 4; i++) {
            unsigned c = count_tag(&s, 0, tags[i][j]);
            ck_assert_uint_eq(count_tag(&s, 1, tags[i][j]), c);
            ck_assert_uint_eq(count_tag(&s, 3, tags[i][j]), c);
            if (i != 2)     /* self delivery (§14 item 5) */
                ck_assert_uint_eq(c, 1);
            else
                ck_assert_uint_le(c, 1);
        }
    ns_fini(&s);
}
END_TEST

START_TEST(partition_and_heal)
{
    static const int halves[] = { 0, 0, 1, 1 };
    static const int a[] = { 0, 1, -1 }, b[] = { 2, 3, -1 },
                     all[] = { 0, 1, 2, 3, -1 };
    struct ns s;
    int j;

    ck_assert_int_eq(ns_init(&s, 4, 1), 0);
    start_all(&s);
    ns_run(&s, 6000);
    assert_ring(&s, all);
    for (j = 0; j < 20; j++) {
        ns_submit(&s, j % 4, svcs[j % 4], 200);
    }
    ns_run(&s, 2);
    ns_partition(&s, halves);
    for (j = 0; j < 20; j++)
        ns_submit(&s, j % 4, svcs[(j + 1) % 4], 300);
    ns_run(&s, 10000);
    assert_ring(&s, a);
    assert_ring(&s, b);
    assert_same_order(&s, 0, 1);
    assert_same_order(&s, 2, 3);
    ns_partition(&s, NULL);
    ns_run(&s, 45000);
    assert_ring(&s, all);
    ns_fini(&s);
}
END_TEST

START_TEST(two_segments)
{
    static const int all[] = { 0, 1, 2, 3, -1 };
    struct ns s;
    uint32_t tags[20];
    int i, j;

    ck_assert_int_eq(ns_init(&s, 4, 2), 0);
    start_all(&s);
    ns_run(&s, 15000);
    assert_ring(&s, all);
    for (j = 0; j < 20; j++)
        tags[j] = ns_submit(&s, j % 4, svcs[j % 4], 150);
    ns_run(&s, 5000);
    for (i = 0; i < 4; i++)
        for (j = 0; j < 20; j++)
            ck_assert_uint_eq(count_tag(&s, i, tags[j]), 1);
    assert_same_order(&s, 0, 3);
    ns_fini(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ring_node");
    TCase *tc = tcase_create("node");

    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, formation, 0, 4);
    tcase_add_test(tc, singleton_delivers);
    tcase_add_test(tc, total_order);
    tcase_add_test(tc, crash_and_merge);
    tcase_add_loop_test(tc, crash_with_loss, 0, 12);
    tcase_add_test(tc, partition_and_heal);
    tcase_add_test(tc, two_segments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
