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

#include "conf.h"
#include "ev.h"
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

/* One daemon (id 42) on a loop of its own; the layer's phase runs when
 * the test runs a pass. */
struct bed {
    struct ev ev;
    struct conf *conf;
    struct order *o;
};

static void bed_up(struct bed *b, const struct order_ops *ops, void *ctx,
                   size_t max_queue)
{
    struct order_env env;

    ck_assert_int_eq(ev_init(&b->ev), 0);
    b->conf = calloc(1, sizeof *b->conf);
    ck_assert_ptr_nonnull(b->conf);
    b->conf->n_segments = 1;
    b->conf->n_daemons = 1;
    b->conf->daemons[0].id = 42;
    memset(&env, 0, sizeof env);
    env.ev = &b->ev;
    env.conf = b->conf;
    env.self = 0;
    env.max_queue = max_queue;
    ck_assert_int_eq(order_new(&b->o, &env, ops, ctx), 0);
}

static void bed_down(struct bed *b)
{
    order_free(b->o);
    ev_fini(&b->ev);
    free(b->conf);
}

static void submit_data(struct order *o, int origin)
{
    struct order_req r;

    memset(&r, 0, sizeof r);
    r.kind = ORDER_DATA;
    r.origin = origin;
    r.msg = msg_new(10);
    ck_assert_int_eq(order_submit(o, &r), 0);
}

START_TEST(arrival_order)
{
    struct bed b;
    struct rec rc;
    struct order_ops ops = {on_deliver, on_view};
    int i;

    memset(&rc, 0, sizeof rc);
    bed_up(&b, &ops, &rc, 0);
    rc.o = b.o;
    order_start(b.o, 1234);
    ck_assert_int_eq(rc.views, 1);
    ck_assert_uint_eq(rc.view_time, 1234);
    for (i = 0; i < 40; i++) {
        submit_data(b.o, i);
        ck_assert_int_eq(rc.n, 0); /* never re-entrant */
    }
    ck_assert_uint_eq(order_pending(b.o), 40);
    ev_run_once(&b.ev, 0);
    ck_assert_int_eq(rc.n, 40);
    for (i = 0; i < 40; i++)
        ck_assert_int_eq(rc.seen[i], i);
    ck_assert_uint_eq(order_pending(b.o), 0);
    ck_assert_uint_eq(order_delivered(b.o), 40);
    bed_down(&b);
}
END_TEST

START_TEST(submit_during_delivery)
{
    struct bed b;
    struct rec rc;
    struct order_ops ops = {on_deliver, NULL};
    int i;

    memset(&rc, 0, sizeof rc);
    rc.resubmit = 1;
    bed_up(&b, &ops, &rc, 0);
    rc.o = b.o;
    for (i = 0; i < 3; i++) {
        struct order_req r;
        memset(&r, 0, sizeof r);
        r.origin = i;
        order_submit(b.o, &r);
    }
    ev_run_once(&b.ev, 0);
    ck_assert_int_eq(rc.n, 3);           /* the new one waits a pass */
    ck_assert_uint_eq(order_pending(b.o), 1);
    ev_run_once(&b.ev, 0);
    ck_assert_int_eq(rc.n, 4);
    ck_assert_int_eq(rc.seen[3], 99);
    bed_down(&b);
}
END_TEST

static void on_space(void *ctx)
{
    (*(int *)ctx)++;
}

/* The send-space query counts down to 0 at the bound, submissions beyond
 * it are still taken (a daemon's own kills must never be refused), and
 * the callback comes once, from the phase, after the queue has drained;
 * never while the readers were not told to stop. */
START_TEST(send_space)
{
    struct bed b;
    struct rec rc;
    struct order_ops ops = {on_deliver, NULL};
    int i, calls = 0;

    memset(&rc, 0, sizeof rc);
    bed_up(&b, &ops, &rc, 8);
    rc.o = b.o;
    order_on_space(b.o, on_space, &calls);
    ck_assert_uint_eq(order_send_space(b.o), 8);
    for (i = 0; i < 7; i++)
        submit_data(b.o, i);
    ck_assert_uint_eq(order_send_space(b.o), 1);
    ev_run_once(&b.ev, 0);
    ck_assert_int_eq(calls, 0);          /* nobody was told to stop */
    for (i = 0; i < 10; i++)
        submit_data(b.o, i);
    ck_assert_uint_eq(order_pending(b.o), 10);
    ck_assert_uint_eq(order_send_space(b.o), 0);
    ck_assert_uint_eq(order_send_space(b.o), 0);
    ck_assert_int_eq(calls, 0);          /* never from the query */
    ev_run_once(&b.ev, 0);
    ck_assert_int_eq(calls, 1);
    ck_assert_uint_eq(order_send_space(b.o), 8);
    ev_run_once(&b.ev, 0);
    ck_assert_int_eq(calls, 1);          /* once per stop */
    ck_assert_int_eq(rc.n, 17);
    bed_down(&b);
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
    tcase_add_test(tc, send_space);
    tcase_add_test(tc, classes);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
