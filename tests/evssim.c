/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * tests/evssim: run the whole-daemon ring simulator (tests/unit/evssim.h)
 * once with the given options, or `--sweep N [--from K]` for sweep runs
 * K..K+N-1 (the ones test_evssim runs, and more). Prints the result, and
 * for every failure the command line that repeats it. Exit 0 when every
 * run passed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/evssim.h"

static int one(const struct evssim_opts *o, int quiet)
{
    struct evssim_result r;
    char cmd[512];
    int rc = evssim_run(o, &r);

    evssim_command(o, cmd, sizeof(cmd));
    if (rc != 0)
        printf("FAIL %s\n  %s\n", cmd, r.why);
    else if (!quiet)
        printf("ok %s\n  end %" PRIu64 " ms, last fault %" PRIu64
               " ms, converged %" PRIu64 " ms, %u faults, %u incarnations, "
               "%u configurations, %" PRIu64 " submitted, %" PRIu64
               " delivered, %" PRIu64 " views, %" PRIu64 " datagrams\n",
               cmd, r.end_ms, r.heal_ms, r.converge_ms, r.faults,
               r.incarnations, r.regular_confs, r.submitted, r.delivered,
               r.views, r.datagrams);
    return rc;
}

int main(int argc, char **argv)
{
    struct evssim_opts o;
    uint64_t sweep = 0, from = 0, k;
    unsigned failed = 0;
    int i = 1, verbose = 0, lenient = 0;
    unsigned window;

    evssim_opts_default(&o);
    while (i < argc) {
        if (!strcmp(argv[i], "--sweep") && i + 1 < argc) {
            sweep = strtoull(argv[i + 1], NULL, 10);
            i += 2;
        } else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
            from = strtoull(argv[i + 1], NULL, 10);
            i += 2;
        } else if (evssim_parse_opt(&o, argc, argv, &i) < 0) {
            fprintf(stderr, "usage: evssim [--seed N] [--daemons 2..16] "
                    "[--scenario steady|crash|restart|partition|cascade|"
                    "token|random] [--segments 1..3] [--loss P] [--dup P] "
                    "[--reorder P] [--delay MS] [--rate MS] [--max-size B] "
                    "[--window N] [--personal-window N] [--settle MS] "
                    "[--lenient-reliable] [-v] "
                    "| --sweep N [--from K]\n");
            return 2;
        }
    }
    verbose = o.verbose;
    lenient = o.lenient_reliable;
    window = o.window;
    if (!sweep)
        return one(&o, 0) == 0 ? 0 : 1;
    for (k = from; k < from + sweep; k++) {
        evssim_opts_sweep(&o, k);
        o.verbose = verbose;
        o.lenient_reliable = lenient;
        o.window = window;
        if (one(&o, 1) != 0)
            failed++;
    }
    printf("%u of %" PRIu64 " runs failed\n", failed, sweep);
    return failed ? 1 : 0;
}
