/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * The ring simulator (ringsim.h) as a Check suite: a sweep of a few
 * hundred runs over ring sizes 2..16, loss, duplication, reordering,
 * message sizes up to 140 KB, the original and the accelerated ring,
 * and token blackouts; plus a few fixed scenarios. Every run is
 * deterministic (simulated time, seeded PRNG), so a failure repeats: the
 * message gives the tests/ringsim command line that does it.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "ringsim.h"
#include "../lib/ckmain.h"

#define SWEEP_RUNS 300
#define SWEEP_PARTS 6
/* Runs whose ring ended in a random token loss (several tokens lost in
 * a row, as the network of that run may do): allowed, but rare. */
#define MAX_ENDED_PER_PART 3

static void expect_ok(const struct ringsim_opts *o,
                      struct ringsim_result *res)
{
    char cmd[512];

    ringsim_command(o, cmd, sizeof(cmd));
    ck_assert_msg(ringsim_run(o, res) == 0, "%s\n  repeat: %s", res->why,
                  cmd);
}

START_TEST(sweep)
{
    unsigned k, per = SWEEP_RUNS / SWEEP_PARTS, ended = 0;

    for (k = (unsigned)_i * per; k < ((unsigned)_i + 1) * per; k++) {
        struct ringsim_opts o;
        struct ringsim_result res;

        ringsim_opts_sweep(&o, k);
        expect_ok(&o, &res);
        if (res.lost && !o.expect_token_loss)
            ended++;
    }
    ck_assert_uint_le(ended, MAX_ENDED_PER_PART);
}
END_TEST

/* Lossless network: everything arrives, nothing needs the hurry timer
 * except idle holding. */
START_TEST(lossless)
{
    struct ringsim_opts o;
    struct ringsim_result res;

    ringsim_opts_default(&o);
    o.daemons = 5;
    o.delay_max_ms = 0;
    o.msgs = 50;
    expect_ok(&o, &res);
    ck_assert_uint_eq(res.delivered, 5 * 5 * 50);
    ck_assert_uint_eq(res.retrans, 0);
    ck_assert_uint_eq(res.lost, 0);
    ck_assert_uint_gt(res.holds, 0);
}
END_TEST

/* One daemon: the token goes round a ring of one. */
START_TEST(singleton)
{
    struct ringsim_opts o;
    struct ringsim_result res;

    ringsim_opts_default(&o);
    o.daemons = 1;
    o.max_size = 140000;
    expect_ok(&o, &res);
    ck_assert_uint_eq(res.delivered, 20);
}
END_TEST

/* All tokens dropped for longer than TokenTimeout: every daemon reports
 * the loss, within TokenTimeout of the blackout (checked by ringsim). */
START_TEST(blackout_loses_token)
{
    struct ringsim_opts o;
    struct ringsim_result res;

    ringsim_opts_default(&o);
    o.seed = 7;
    o.daemons = 4;
    o.loss = 0.05;
    o.blackout_at_ms = 800;
    o.blackout_ms = 3000;
    o.expect_token_loss = 1;
    expect_ok(&o, &res);
    ck_assert_uint_eq(res.lost, 4);
}
END_TEST

/* A blackout shorter than TokenTimeout minus HurryTimeout: the leader's
 * re-sends bring the token back and nothing is lost. */
START_TEST(short_blackout_recovers)
{
    struct ringsim_opts o;
    struct ringsim_result res;

    ringsim_opts_default(&o);
    o.seed = 11;
    o.daemons = 6;
    o.accelerated = 1;
    o.blackout_at_ms = 500;
    o.blackout_ms = 400;
    expect_ok(&o, &res);
    ck_assert_uint_eq(res.lost, 0);
}
END_TEST

/* Heavy traffic: the send queues fill past the back-pressure mark and
 * flow control bounds every rotation. */
START_TEST(flood)
{
    struct ringsim_opts o;
    struct ringsim_result res;

    ringsim_opts_default(&o);
    o.seed = 3;
    o.daemons = 4;
    o.loss = 0.02;
    o.msgs = 1500;
    o.max_size = 2000;
    o.duration_ms = 50;
    expect_ok(&o, &res);
    ck_assert_uint_eq(res.delivered, 4 * 4 * 1500);
    ck_assert_uint_gt(res.blocked, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ringsim");
    TCase *tc = tcase_create("scenarios");
    TCase *sw = tcase_create("sweep");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lossless);
    tcase_add_test(tc, singleton);
    tcase_add_test(tc, blackout_loses_token);
    tcase_add_test(tc, short_blackout_recovers);
    tcase_add_test(tc, flood);
    suite_add_tcase(s, tc);
    tcase_set_timeout(sw, 120);
    tcase_add_loop_test(sw, sweep, 0, SWEEP_PARTS);
    suite_add_tcase(s, sw);
    return ck_run_suite(s);
}
