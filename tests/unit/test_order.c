/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/order.c: arrival order is the delivery order,
 * delivery never happens inside order_submit(), requests submitted during
 * delivery go behind, message references are dropped, the first view.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "order.h"
#include "../lib/ckmain.h"

struct rec {
    struct order *o;
    int seen[64];
    int n;
    int resubmit;
    int views;
    uint32_t view_time;
};

static void on_deliver(void *ctx, const struct order_req *r)
{
    struct rec *rc = ctx;
    rc->seen[rc->n++] = r->origin;
    if (rc->resubmit && r->origin == 1) {
        struct order_req k;
        memset(&k, 0, sizeof k);
        k.kind = ORDER_KILL;
        k.origin = 99;
        order_submit(rc->o, &k);
    }
}

static void on_view(void *ctx, const struct order_view *v)
{
    struct rec *rc = ctx;
    rc->views++;
    rc->view_time = v->memb_time;
    ck_assert_int_eq(v->n_members, 1);
    ck_assert_int_eq(v->transitional, 0);
}

START_TEST(arrival_order)
{
    struct order o;
    struct rec rc;
    struct order_ops ops = {on_deliver, on_view};
    int i;

    memset(&rc, 0, sizeof rc);
    rc.o = &o;
    order_init(&o, 0, 42, &ops, &rc);
    order_start(&o, 1234);
    ck_assert_int_eq(rc.views, 1);
    ck_assert_uint_eq(rc.view_time, 1234);
    for (i = 0; i < 40; i++) {
        struct order_req r;
        memset(&r, 0, sizeof r);
        r.kind = ORDER_DATA;
        r.origin = i;
        r.msg = msg_new(10);
        order_submit(&o, &r);
        ck_assert_int_eq(rc.n, 0); /* never re-entrant */
    }
    ck_assert_int_eq(order_run(&o), 0);
    ck_assert_int_eq(rc.n, 40);
    for (i = 0; i < 40; i++)
        ck_assert_int_eq(rc.seen[i], i);
    order_fini(&o);
}
END_TEST

START_TEST(submit_during_delivery)
{
    struct order o;
    struct rec rc;
    struct order_ops ops = {on_deliver, NULL};
    int i;

    memset(&rc, 0, sizeof rc);
    rc.o = &o;
    rc.resubmit = 1;
    order_init(&o, 0, 42, &ops, &rc);
    for (i = 0; i < 3; i++) {
        struct order_req r;
        memset(&r, 0, sizeof r);
        r.origin = i;
        order_submit(&o, &r);
    }
    ck_assert_int_eq(order_run(&o), 1);  /* the new one waits a pass */
    ck_assert_int_eq(rc.n, 3);
    ck_assert_int_eq(order_run(&o), 0);
    ck_assert_int_eq(rc.n, 4);
    ck_assert_int_eq(rc.seen[3], 99);
    order_fini(&o);
}
END_TEST

START_TEST(classes)
{
    ck_assert_int_eq(order_class_of(UNRELIABLE_MESS), ORDER_RELIABLE);
    ck_assert_int_eq(order_class_of(RELIABLE_MESS), ORDER_RELIABLE);
    ck_assert_int_eq(order_class_of(FIFO_MESS), ORDER_FIFO);
    ck_assert_int_eq(order_class_of(CAUSAL_MESS), ORDER_AGREED);
    ck_assert_int_eq(order_class_of(AGREED_MESS), ORDER_AGREED);
    ck_assert_int_eq(order_class_of(SAFE_MESS), ORDER_SAFE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("order");
    TCase *tc = tcase_create("single-daemon");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, arrival_order);
    tcase_add_test(tc, submit_during_delivery);
    tcase_add_test(tc, classes);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
