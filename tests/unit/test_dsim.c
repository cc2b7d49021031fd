/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * The whole-daemon simulator with clients (dsim.h) as a Check suite:
 * one run of every scenario, a repeat that must give the same logs byte
 * for byte, and a bounded sweep of seeded runs over every scenario, 2..16
 * daemons, lossy and reordering networks and messages up to 60 KB, each
 * checked against ring.md §15 by evscheck and for liveness after the last
 * fault. A failure names the tests/dsim command line that repeats it.
 *
 * More seeds by hand (each run is independent; about 0.05 s a run on one
 * core on average: 40 ms for most, up to 1 s for a run with two segments
 * that waits out the WAN timeouts; 2000 runs take about 100 s):
 *     tests/dsim --sweep 5000            runs 0..4999
 *     tests/dsim --sweep 2000 --from 600 past what make check runs
 * and one failing run with its logs kept for tests/evscheck:
 *     mkdir /tmp/l && tests/dsim --seed 17 ... --logs /tmp/l -v
 * Every service is used: RELIABLE is delivered in the total order
 * (ring/node.c says why).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsim.h"
#include "../lib/ckmain.h"

#define SWEEP_RUNS 600
#define SWEEP_PARTS 10

static void expect_ok(const struct dsim_opts *o, struct dsim_result *res)
{
    char cmd[512];

    dsim_command(o, cmd, sizeof cmd);
    ck_assert_msg(dsim_run(o, res) == 0, "%s\n  repeat: %s", res->why, cmd);
}

/* Options from a tests/dsim command line (without the program name). */
static void parse_line(struct dsim_opts *o, const char *line)
{
    char buf[512], *argv[64], *tok, *save = NULL;
    int argc = 0, i = 0;

    dsim_opts_default(o);
    snprintf(buf, sizeof buf, "%s", line);
    for (tok = strtok_r(buf, " ", &save); tok && argc < 64;
         tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    while (i < argc)
        ck_assert_msg(dsim_parse_opt(o, argc, argv, &i) == 0,
                      "bad option %s", argv[i]);
}

/* Runs that failed once and pass since the fix named. */
static const char *const regressions[] = {
    /* Early RELIABLE delivery (rule 27): n3 delivered #c5#n2's RELIABLE
     * message 1 before the join it follows in the total order, so
     * #c6#n3 had it in view g:10 and its sender in g:11 (property 6).
     * RELIABLE is now delivered in the total order (ring/node.c). */
    "--seed 38 --daemons 7 --scenario restart --segments 1 --clients 2 "
    "--loss 0 --dup 0 --reorder 0.05 --delay 2 --rate 200 "
    "--max-size 4000 --settle 0 --personal-window 20",
    /* order_ring sent a retransmission meant for another segment
     * (node.h NODE_DEST_SEGMENT `to`) as a broadcast in its own: the
     * other segment never got it, and EVS recovery went round to its
     * limit again and again (liveness). */
    "--seed 578 --daemons 7 --scenario partition --segments 2 "
    "--clients 2 --loss 0 --dup 0 --reorder 0.05 --delay 2 --rate 200 "
    "--max-size 4000 --services FIFO,CAUSAL,AGREED,SAFE --settle 0 "
    "--personal-window 20",
    "--seed 110 --daemons 14 --scenario cascade --segments 2 --clients 1 "
    "--loss 0 --dup 0 --reorder 0.05 --delay 2 --rate 300 --max-size 4000 "
    "--services FIFO,CAUSAL,AGREED,SAFE --settle 0 --personal-window 20",
    /* A configuration change interrupted a group-state exchange. Until
     * the merged views are shown, each side's clients are in their own
     * side's views of a group; a message of the other side, held during
     * the exchange or delivered after a merge in the transitional part,
     * reached them in a view that was not its sender's (properties 6,
     * 9, 14). It is now delivered on its sender's side only
     * (deliver.c other_views). */
    "--seed 47 --daemons 8 --scenario cascade --segments 1 --clients 1 "
    "--loss 0.08 --dup 0 --reorder 0 --delay 2 --rate 150 "
    "--max-size 4000 --settle 0 --personal-window 20",
    "--seed 154 --daemons 10 --scenario random --segments 1 --clients 1 "
    "--loss 0.08 --dup 0 --reorder 0.05 --delay 1 --rate 250 "
    "--max-size 60000 --settle 0 --personal-window 20",
    "--seed 430 --daemons 7 --scenario restart --segments 1 --clients 2 "
    "--loss 0.08 --dup 0 --reorder 0.05 --delay 1 --rate 300 "
    "--max-size 4000 --settle 0 --personal-window 20",
    "--seed 490 --daemons 8 --scenario random --segments 1 --clients 2 "
    "--loss 0.08 --dup 0 --reorder 0.05 --delay 1 --rate 300 "
    "--max-size 4000 --settle 0 --personal-window 20",
    "--seed 516 --daemons 5 --scenario cascade --segments 1 --clients 2 "
    "--loss 0.08 --dup 0.02 --reorder 0 --delay 3 --rate 100 "
    "--max-size 4000 --settle 0 --personal-window 20",
    /* After a given-up exchange, a daemon's clients delivered (in their
     * old views) what it held, which clients of daemons synchronised
     * with it before but not in that configuration never had; both
     * still shared a virtual-synchrony set in the next NETWORK view
     * (property 10). The memberships are now synchronised under a key
     * of the given-up configuration (deliver.c give_up). */
    "--seed 550 --daemons 14 --scenario partition --segments 1 "
    "--clients 1 --loss 0.08 --dup 0 --reorder 0.05 --delay 1 "
    "--rate 300 --max-size 60000 --settle 0 --personal-window 20",
    "--seed 1643 --daemons 5 --scenario cascade --segments 1 --clients 1 "
    "--loss 0.08 --dup 0 --reorder 0 --delay 2 --rate 200 "
    "--max-size 4000 --settle 0 --personal-window 20",
    "--seed 1270 --daemons 8 --scenario restart --segments 1 --clients 2 "
    "--loss 0.08 --dup 0 --reorder 0.05 --delay 1 --rate 300 "
    "--max-size 60000 --settle 0 --personal-window 20",
    /* The same when nothing was held: n4 and n7 went through different
     * transitional configurations of one view, n4 then through a
     * given-up exchange; #c4#n4 and #c7#n7 delivered the transitional
     * part's messages on different sides of the TRANS and still shared
     * a set (property 6). The key now changes at every give-up. */
    "--seed 1342 --daemons 14 --scenario cascade --segments 1 "
    "--clients 1 --loss 0.08 --dup 0 --reorder 0.05 --delay 1 "
    "--rate 150 --max-size 60000 --settle 0 --personal-window 20",
    /* An exchange completed in a transitional part: the tables were
     * merged but each side's clients stayed in their own views, and
     * what was held was delivered there. The two sides kept their old
     * keys and shared a virtual-synchrony set in the next NETWORK view
     * (property 10); once keyed apart, a next exchange took the merged
     * table for one synced set and gave one side's messages to the
     * other side's old views (property 6). Keys are now renewed per old
     * key and part (deliver.c rekey_*), and a view is common only with
     * the daemons of its generation (deliver.c gens). */
    "--seed 756 --daemons 4 --scenario random --segments 1 --clients 2 "
    "--loss 0.08 --dup 0.02 --reorder 0 --delay 3 --rate 100 "
    "--max-size 4000 --settle 0 --personal-window 20",
    "--seed 1764 --daemons 8 --scenario random --segments 1 --clients 2 "
    "--loss 0.08 --dup 0 --reorder 0 --delay 3 --rate 250 "
    "--max-size 4000 --settle 0 --personal-window 20",
    /* A given-up exchange's held kill showed #c7#n7 a view from its own
     * side's table, which had lost the members of daemons outside its
     * synced set; showing a view lifted the split, and #c6#n6's held
     * messages followed in a view without #c6#n6 (property 9). */
    "--seed 2772 --daemons 12 --scenario random --segments 1 --clients 1 "
    "--loss 0.08 --dup 0 --reorder 0 --delay 3 --rate 150 "
    "--max-size 4000 --settle 0 --personal-window 20",
    /* Views shown after a completed-in-transitional exchange are common
     * with the merged daemons: a first try that judged by the daemon's
     * own views dropped #c6#n3's message at n4 (property 8). */
    "--seed 4534 --daemons 5 --scenario cascade --segments 1 --clients 2 "
    "--loss 0.08 --dup 0 --reorder 0.05 --delay 1 --rate 250 "
    "--max-size 4000 --settle 0",
    /* Keys made up for a side equalled the key of a configuration its
     * first daemon formed in the same second (property 12): made-up
     * keys now carry the top bit of the time (deliver.c). */
    "--seed 8844 --daemons 12 --scenario restart --segments 1 "
    "--clients 1 --loss 0.08 --dup 0 --reorder 0 --delay 3 --rate 250 "
    "--max-size 4000 --settle 0 --personal-window 20",
    /* A group created by a join a given-up exchange held had no
     * GROUP_SPLIT: another side's messages reached its one member
     * (properties 6, 9). Runs 6660 and 6996 of the sweep. */
    "--seed 6660 --daemons 8 --scenario restart --segments 1 --clients 2 "
    "--loss 0.08 --dup 0 --reorder 0 --delay 3 --rate 300 "
    "--max-size 4000 --settle 0 --personal-window 20",
    "--seed 6996 --daemons 12 --scenario restart --segments 1 "
    "--clients 1 --loss 0.08 --dup 0.02 --reorder 0 --delay 3 --rate 100 "
    "--max-size 4000 --settle 0 --personal-window 20",
};

START_TEST(regression)
{
    struct dsim_opts o;
    struct dsim_result res;

    parse_line(&o, regressions[_i]);
    expect_ok(&o, &res);
}
END_TEST

/* DSIM_SWEEP=N in the environment runs N sweep runs instead (the
 * sanitizer build of CI runs fewer: they cost about five times more
 * there); the sweep with dead ports answering runs a third as many. */
static unsigned sweep_runs(void)
{
    const char *v = getenv("DSIM_SWEEP");
    char *end;
    unsigned long n;

    if (!v || !*v)
        return SWEEP_RUNS;
    n = strtoul(v, &end, 10);
    ck_assert_msg(!*end && n <= 1000000, "DSIM_SWEEP=%s", v);
    return (unsigned)n;
}

START_TEST(sweep)
{
    unsigned k, per = (sweep_runs() + SWEEP_PARTS - 1) / SWEEP_PARTS;

    for (k = (unsigned)_i * per; k < ((unsigned)_i + 1) * per; k++) {
        struct dsim_opts o;
        struct dsim_result res;

        dsim_opts_sweep(&o, k);
        expect_ok(&o, &res);
    }
}
END_TEST

/* The first sweep runs again with crashed daemons' hosts answering
 * "port unreachable" (net_fake icmp), as a live host does for a dead
 * process: the faster membership (ring/memb_fast.c) then takes a crash
 * for token loss at once and forms without waiting for its timeouts. */
START_TEST(sweep_icmp)
{
    unsigned k, per = (sweep_runs() / 3 + SWEEP_PARTS - 1) / SWEEP_PARTS;

    for (k = (unsigned)_i * per; k < ((unsigned)_i + 1) * per; k++) {
        struct dsim_opts o;
        struct dsim_result res;

        dsim_opts_sweep(&o, k);
        o.icmp = 1;
        expect_ok(&o, &res);
    }
}
END_TEST


/* One of every scenario on a clean network, 5 daemons, 2 clients each. */
START_TEST(each_scenario)
{
    struct dsim_opts o;
    struct dsim_result res;

    dsim_opts_default(&o);
    o.daemons = 5;
    o.services = DSIM_SVC_ALL;
    o.scenario = _i;
    o.seed = 100 + (unsigned)_i;
    expect_ok(&o, &res);
    ck_assert_uint_gt(res.sent, 0);
    ck_assert_uint_gt(res.received, res.sent);
}
END_TEST

/* Same options, same run: every log byte for byte (the digest). */
START_TEST(repeatable)
{
    struct dsim_opts o;
    struct dsim_result a, b;

    dsim_opts_default(&o);
    o.daemons = 4;
    o.scenario = DSIM_RANDOM;
    o.seed = 7;
    o.services = DSIM_SVC_ORDERED;
    o.loss = 0.03;
    o.reorder = 0.05;
    expect_ok(&o, &a);
    expect_ok(&o, &b);
    ck_assert_uint_eq(a.digest, b.digest);
    ck_assert_uint_eq(a.passes, b.passes);
    ck_assert_uint_eq(a.datagrams, b.datagrams);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dsim");
    TCase *tc = tcase_create("scenarios");

    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, each_scenario, 0, DSIM_NSCENARIOS);
    tcase_add_test(tc, repeatable);
    tcase_add_loop_test(tc, regression, 0,
                        (int)(sizeof regressions / sizeof regressions[0]));
    tcase_add_loop_test(tc, sweep, 0, SWEEP_PARTS);
    tcase_add_loop_test(tc, sweep_icmp, 0, SWEEP_PARTS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
