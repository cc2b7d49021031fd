/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * The whole-daemon ring simulator (evssim.h) as a Check suite: a sweep of
 * seeded runs over every fault scenario (crashes, restarts, partitions
 * and heals, cascading changes during GATHER/FORM/EVS, token blackouts),
 * 2..16 daemons, lossy networks and message sizes up to 140 KB, each
 * checked against ring.md §14 and for liveness after the last fault.
 * Every run is deterministic, so a failure repeats: its message gives
 * the tests/evssim command line that does it.
 *
 * The runs are lenient about one known deviation of node.c (reported to
 * the integrator): an early-delivered RELIABLE message may fall on
 * different sides of the transitional signal at daemons sharing it
 * (ring.md §14 items 3 and 11). tests/evssim without --lenient-reliable
 * shows it.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "evssim.h"
#include "../lib/ckmain.h"

#define SWEEP_RUNS 300
#define SWEEP_PARTS 6

static void expect_ok(const struct evssim_opts *o)
{
    struct evssim_result res;
    char cmd[512];

    evssim_command(o, cmd, sizeof(cmd));
    ck_assert_msg(evssim_run(o, &res) == 0, "%s\n  repeat: %s", res.why,
                  cmd);
}

START_TEST(sweep)
{
    unsigned k, per = SWEEP_RUNS / SWEEP_PARTS;

    for (k = (unsigned)_i * per; k < ((unsigned)_i + 1) * per; k++) {
        struct evssim_opts o;

        evssim_opts_sweep(&o, k);
        o.lenient_reliable = 1;
        expect_ok(&o);
    }
}
END_TEST

/* One of every scenario on a clean network, 5 daemons. */
START_TEST(each_scenario)
{
    struct evssim_opts o;

    evssim_opts_default(&o);
    o.daemons = 5;
    o.scenario = _i;
    o.seed = 100 + (unsigned)_i;
    o.lenient_reliable = 1;
    expect_ok(&o);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("evssim");
    TCase *tc = tcase_create("scenarios");

    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, each_scenario, 0, EVSSIM_NSCENARIOS);
    tcase_add_loop_test(tc, sweep, 0, SWEEP_PARTS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
