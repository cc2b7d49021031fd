/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * tests/dsim: run the whole-daemon simulator with clients
 * (tests/unit/dsim.h) once with the given options, or `--sweep N
 * [--from K]` for sweep runs K..K+N-1 (test_dsim runs a few hundred of
 * them; thousands are a matter of N). Prints the result, and for every
 * failure the command line that repeats it. `--logs DIR` also writes the
 * client logs and the fault timeline of the run to DIR, for
 * `tests/evscheck DIR`; `--services` and `--icmp 1` with `--sweep`
 * replace the sweep's choice of services and its silent crashes. Exit 0 when every run passed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit/dsim.h"

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int one(const struct dsim_opts *o, int quiet)
{
    struct dsim_result r;
    char cmd[512];
    double t0 = mono_s();
    int rc = dsim_run(o, &r);

    dsim_command(o, cmd, sizeof cmd);
    if (rc != 0)
        printf("FAIL %s\n  %s\n", cmd, r.why);
    else if (!quiet)
        printf("ok %s\n  end %" PRIu64 " ms, last fault %" PRIu64
               " ms, converged %" PRIu64 " ms, %u faults, %u incarnations,"
               " %u clients, %" PRIu64 " sent, %" PRIu64 " received, %"
               PRIu64 " views, %" PRIu64 " datagrams, %" PRIu64 " passes,"
               " digest %016" PRIx64 ", %.2f s\n",
               cmd, r.end_ms, r.heal_ms, r.converge_ms, r.faults,
               r.incarnations, r.clients, r.sent, r.received, r.views,
               r.datagrams, r.passes, r.digest, mono_s() - t0);
    fflush(stdout);
    return rc;
}

int main(int argc, char **argv)
{
    struct dsim_opts o;
    uint64_t sweep = 0, from = 0, k;
    unsigned failed = 0;
    unsigned services;
    int icmp;
    int i = 1, verbose;
    const char *logs;
    double t0;

    dsim_opts_default(&o);
    o.services = 0;             /* given or not */
    while (i < argc) {
        if (!strcmp(argv[i], "--sweep") && i + 1 < argc) {
            sweep = strtoull(argv[i + 1], NULL, 10);
            i += 2;
        } else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
            from = strtoull(argv[i + 1], NULL, 10);
            i += 2;
        } else if (dsim_parse_opt(&o, argc, argv, &i) < 0) {
            fprintf(stderr, "usage: dsim [--seed N] [--daemons 2..16] "
                    "[--scenario steady|crash|restart|partition|cascade|"
                    "token|random] [--segments 1..3] [--clients 1..3] "
                    "[--loss P] [--dup P] [--reorder P] [--delay MS] "
                    "[--rate MS] [--max-size B] [--services S,S...] "
                    "[--settle MS] [--logs DIR] "
                    "[--icmp 0|1] [--personal-window N] [-v] "
                    "| --sweep N [--from K]\n");
            return 2;
        }
    }
    services = o.services;
    icmp = o.icmp;
    if (!sweep) {
        if (!o.services)
            o.services = DSIM_SVC_ALL;
        return one(&o, 0) == 0 ? 0 : 1;
    }
    verbose = o.verbose;
    logs = o.logs_dir;
    t0 = mono_s();
    for (k = from; k < from + sweep; k++) {
        dsim_opts_sweep(&o, k);
        o.verbose = verbose;
        o.logs_dir = logs;
        if (services)
            o.services = services;
        o.icmp = icmp;
        if (one(&o, 1) != 0)
            failed++;
    }
    printf("%u of %" PRIu64 " runs failed (%.2f s a run)\n", failed, sweep,
           (mono_s() - t0) / (double)sweep);
    return failed ? 1 : 0;
}
