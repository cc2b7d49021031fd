/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * The simulators' shared PRNG, event queue and lossy network (simnet.h):
 * order by time then insertion, timers against events, the same draws
 * from the same state, and what loss, duplication, delay and reordering
 * do to a datagram.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "simnet.h"
#include "../lib/ckmain.h"

static struct simnet_ev at(uint64_t t, int kind)
{
    struct simnet_ev e;

    memset(&e, 0, sizeof(e));
    e.t = t;
    e.kind = kind;
    return e;
}

START_TEST(queue_order)
{
    static const uint64_t times[] = { 5, 1, 5, 3, 1, 0, 9, 3 };
    static const int want[] = { 5, 1, 4, 3, 7, 0, 2, 6 };
    struct simnet net;
    unsigned i;

    simnet_init(&net, 1, 0, 0, 0);
    ck_assert_uint_eq(simnet_next_time(&net), UINT64_MAX);
    for (i = 0; i < 8; i++)
        ck_assert_int_eq(simnet_push(&net, at(times[i], (int)i)), 0);
    for (i = 0; i < 8; i++) {
        struct simnet_ev e;

        ck_assert_uint_eq(simnet_next_time(&net), times[want[i]]);
        e = simnet_pop(&net);
        ck_assert_int_eq(e.kind, want[i]);     /* equal times: FIFO */
    }
    ck_assert_uint_eq(simnet_next_time(&net), UINT64_MAX);
    simnet_fini(&net);
}
END_TEST

START_TEST(next_step)
{
    struct simnet net;
    uint64_t now = 0;

    simnet_init(&net, 1, 0, 0, 0);
    ck_assert_int_eq(simnet_next(&net, UINT64_MAX, 50, &now), SIMNET_END);
    ck_assert_uint_eq(now, 50);
    ck_assert_int_eq(simnet_next(&net, 40, 50, &now), SIMNET_TIMERS);
    ck_assert_uint_eq(now, 40);
    ck_assert_int_eq(simnet_push(&net, at(30, 0)), 0);
    ck_assert_int_eq(simnet_next(&net, 40, 50, &now), SIMNET_EVENT);
    ck_assert_uint_eq(now, 30);
    ck_assert_int_eq(simnet_next(&net, 30, 50, &now), SIMNET_TIMERS);
    ck_assert_int_eq(simnet_next(&net, 60, 20, &now), SIMNET_END);
    ck_assert_uint_eq(now, 20);
    simnet_fini(&net);
}
END_TEST

START_TEST(same_state_same_draws)
{
    struct simnet a, b;
    unsigned i;

    simnet_init(&a, 42, 0, 0, 0);
    simnet_init(&b, 42, 0.5, 0.5, 7);
    for (i = 0; i < 1000; i++) {
        double x = simnet_rnd01(&a);

        ck_assert(x >= 0 && x < 1);
        ck_assert(x == simnet_rnd01(&b));
        ck_assert_uint_lt(simnet_below(&a, 10), 10);
        simnet_below(&b, 10);
    }
    ck_assert_uint_eq(simnet_below(&a, 0), 0);
    ck_assert_uint_eq(simnet_rnd(&a), simnet_rnd(&b));
    simnet_fini(&a);
    simnet_fini(&b);
}
END_TEST

START_TEST(send_copies_bytes)
{
    unsigned char b[3] = { 1, 2, 3 };
    struct simnet net;
    struct simnet_ev e;

    simnet_init(&net, 7, 0, 0, 0);
    ck_assert_int_eq(simnet_send(&net, 100, 9, 2, 4, 1, 0, b, 3), 0);
    b[0] = 0;
    e = simnet_pop(&net);
    ck_assert_uint_eq(e.t, 100);                /* no delay */
    ck_assert_int_eq(e.kind, 9);
    ck_assert_int_eq(e.from, 2);
    ck_assert_int_eq(e.to, 4);
    ck_assert_int_eq(e.token_port, 1);
    ck_assert_uint_eq(e.len, 3);
    ck_assert_int_eq(e.bytes[0], 1);
    free(e.bytes);
    ck_assert_uint_eq(simnet_next_time(&net), UINT64_MAX);
    /* Lost: nothing queued. */
    ck_assert_int_eq(simnet_send(&net, 100, 9, 2, 4, 1, 1.0, b, 3), 1);
    ck_assert_uint_eq(simnet_next_time(&net), UINT64_MAX);
    simnet_fini(&net);
}
END_TEST

START_TEST(dup_delay_reorder)
{
    unsigned char b[1] = { 0 };
    struct simnet net;
    unsigned i, n = 0, late = 0;

    simnet_init(&net, 3, 1.0, 0, 5);    /* every datagram twice */
    for (i = 0; i < 100; i++)
        ck_assert_int_eq(simnet_send(&net, 1000, 1, 0, 1, 0, 0, b, 1), 0);
    while (simnet_next_time(&net) != UINT64_MAX) {
        struct simnet_ev e = simnet_pop(&net);

        ck_assert(e.t >= 1000 && e.t <= 1005);
        free(e.bytes);
        n++;
    }
    ck_assert_uint_eq(n, 200);
    simnet_fini(&net);

    simnet_init(&net, 3, 0, 1.0, 5);    /* every copy reordered */
    for (i = 0; i < 100; i++)
        ck_assert_int_eq(simnet_send(&net, 1000, 1, 0, 1, 0, 0, b, 1), 0);
    for (i = 0; i < 100; i++) {
        struct simnet_ev e = simnet_pop(&net);

        ck_assert(e.t >= 1001 && e.t <= 1005 + SIMNET_REORDER_MS);
        late += e.t > 1005;
        free(e.bytes);
    }
    ck_assert_uint_gt(late, 0);
    /* What is still queued at the end is freed with the queue. */
    ck_assert_int_eq(simnet_send(&net, 1000, 1, 0, 1, 0, 0, b, 1), 0);
    simnet_fini(&net);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("simnet");
    TCase *tc = tcase_create("simnet");

    tcase_add_test(tc, queue_order);
    tcase_add_test(tc, next_step);
    tcase_add_test(tc, same_state_same_draws);
    tcase_add_test(tc, send_copies_bytes);
    tcase_add_test(tc, dup_delay_reorder);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
