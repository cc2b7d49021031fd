/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ringsim: command line of the ring simulator (tests/unit/ringsim.h).
 * Repeats one run from its options (what a failing test prints), or runs
 * a range of the test's sweep: `ringsim --sweep 0:300`.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/ringsim.h"

static int run_one(const struct ringsim_opts *o, int quiet, int *ended)
{
    struct ringsim_result res;
    char cmd[512];
    int rc = ringsim_run(o, &res);

    ringsim_command(o, cmd, sizeof(cmd));
    if (rc < 0) {
        printf("FAIL: %s\n  repeat: %s\n", res.why, cmd);
        return 1;
    }
    if (res.lost && !o->expect_token_loss)
        (*ended)++;
    if (!quiet)
        printf("ok: %s\n  t=%" PRIu64 " ms, %" PRIu64 " messages, %" PRIu64
               " deliveries, %" PRIu64 " datagrams (%" PRIu64 " dropped), "
               "%" PRIu64 " retransmissions, %" PRIu64 " tokens, %" PRIu64
               " holds, %u token losses, %" PRIu64 " submissions blocked\n", cmd,
               res.end_ms, res.submitted,
               res.delivered, res.datagrams, res.dropped, res.retrans,
               res.tokens, res.holds, res.lost, res.blocked);
    return 0;
}

int main(int argc, char **argv)
{
    struct ringsim_opts o;
    unsigned long long from = 0, to = 0;
    int i = 1, sweep = 0, failed = 0, ended = 0;

    ringsim_opts_default(&o);
    while (i < argc) {
        if (!strcmp(argv[i], "--sweep") && i + 1 < argc &&
            sscanf(argv[i + 1], "%llu:%llu", &from, &to) == 2) {
            sweep = 1;
            i += 2;
        } else if (ringsim_parse_opt(&o, argc, argv, &i) < 0) {
            fprintf(stderr, "usage: ringsim [--seed N] [--daemons K] "
                    "[--loss P] [--token-loss P] [--dup P] [--reorder P] "
                    "[--delay MS] [--msgs N] [--max-size B] [--duration MS] "
                    "[--settle MS] [--accelerated] [--blackout AT:LEN] "
                    "[--expect-token-loss] [--allow-token-loss] [-v] | "
                    "--sweep FROM:TO\n");
            return 2;
        }
    }
    if (!sweep)
        return run_one(&o, 0, &ended);
    for (; from < to; from++) {
        ringsim_opts_sweep(&o, from);
        failed += run_one(&o, 1, &ended);
    }
    printf("%d failed, %d ended by random token loss\n", failed, ended);
    return failed ? 1 : 0;
}
