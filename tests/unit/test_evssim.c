/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * The whole-daemon ring simulator (evssim.h) as a Check suite: a sweep of
 * 5000 seeded runs (about 8 ms each) over every fault scenario (crashes,
 * restarts, partitions and heals, cascading changes during GATHER/FORM/
 * EVS, token blackouts), 2..16 daemons in 1..3 segments, networks losing
 * up to 10% of the datagrams and message sizes up to 140 KB, each
 * checked against ring.md §14 and for liveness after the last fault.
 * EVSSIM_SWEEP=N in the environment runs N instead (the sanitizer build
 * of CI: about 40 ms a run there); `tests/evssim --sweep N --from K`
 * runs more of the same.
 * Every run is deterministic, so a failure repeats: its message gives
 * the tests/evssim command line that does it.
 *
 * The runs are strict: an early-delivered RELIABLE message must fall on
 * the same side of the transitional signal at every daemon sharing it
 * (ring.md §14 items 3 and 11). Runs that once failed are kept below as
 * regression scenarios, by their command lines.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evssim.h"
#include "../lib/ckmain.h"

#define SWEEP_RUNS 5000
#define SWEEP_PARTS 10

static void expect_ok(const struct evssim_opts *o)
{
    struct evssim_result res;
    char cmd[512];

    evssim_command(o, cmd, sizeof(cmd));
    ck_assert_msg(evssim_run(o, &res) == 0, "%s\n  repeat: %s", res.why,
                  cmd);
}

static unsigned sweep_runs(void)
{
    const char *v = getenv("EVSSIM_SWEEP");
    char *end;
    unsigned long n;

    if (!v || !*v)
        return SWEEP_RUNS;
    n = strtoul(v, &end, 10);
    ck_assert_msg(!*end && n <= 10000000, "EVSSIM_SWEEP=%s", v);
    return (unsigned)n;
}

START_TEST(sweep)
{
    unsigned runs = sweep_runs(), k;

    for (k = (unsigned)_i * runs / SWEEP_PARTS;
         k < ((unsigned)_i + 1) * runs / SWEEP_PARTS; k++) {
        struct evssim_opts o;

        evssim_opts_sweep(&o, k);
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
    expect_ok(&o);
}
END_TEST

/* Runs that failed once, as tests/evssim options. */
static const char *const regressions[] = {
    /* An early RELIABLE message at one daemon came to the other only in
     * EVS recovery, behind a SAFE one, and fell after the transitional
     * signal there (§14 item 3). */
    "--seed 56 --daemons 2 --scenario random --segments 1 --loss 0.03 "
    "--dup 0.02 --reorder 0 --delay 2 --rate 60 --max-size 12000 "
    "--settle 0 --personal-window 20",
    /* n2 delivered n5's RELIABLE message early; n0 got it in recovery
     * behind a hole and dropped it as coming from outside its commit
     * set; both went on to the same configuration (§14 item 6). */
    "--seed 718 --daemons 6 --scenario partition --segments 1 "
    "--loss 0.08 --dup 0 --reorder 0.05 --delay 1 --rate 140 "
    "--max-size 12000 --settle 0 --personal-window 20",
    /* 12 daemons in two segments, 8% loss: 63% of the token rotations
     * lose the token, each loss costs a HurryTimeout of 1.5 s, and the
     * ring carries about 25 messages/s. Clients without a window had
     * queued 1243 messages by the merge; draining them took past the
     * 70 s settle time. With the default window of 20 the run is about
     * liveness again. */
    "--seed 396 --daemons 12 --scenario partition --segments 2 "
    "--loss 0.08 --dup 0.02 --reorder 0 --delay 3 --rate 60 "
    "--max-size 12000 --settle 0 --personal-window 20",
};

START_TEST(regression)
{
    struct evssim_opts o;
    char buf[512], *argv[64], *tok, *save = NULL;
    int argc = 0, i = 0;

    evssim_opts_default(&o);
    snprintf(buf, sizeof(buf), "%s", regressions[_i]);
    for (tok = strtok_r(buf, " ", &save); tok && argc < 64;
         tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    while (i < argc)
        ck_assert_msg(evssim_parse_opt(&o, argc, argv, &i) == 0,
                      "bad option %s", argv[i]);
    expect_ok(&o);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("evssim");
    TCase *tc = tcase_create("scenarios");

    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, each_scenario, 0, EVSSIM_NSCENARIOS);
    tcase_add_loop_test(tc, regression, 0,
                        (int)(sizeof(regressions) / sizeof(regressions[0])));
    tcase_add_loop_test(tc, sweep, 0, SWEEP_PARTS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
