/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evscheck (program): check client logs for the EVS properties of
 * shared/spec/ring.md section 15; see tests/lib/evscheck.h and
 * docs/evscheck.md. Exit status: 0 clean, 1 violations, 2 usage or an
 * unreadable input.
 */
#include "config.h"

#include "evscheck.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fputs("Usage: evscheck [OPTIONS] PATH...\n"
          "Check client logs (files, or directories of *.log and *.faults)\n"
          "for the EVS properties 1-16 of the ring specification.\n"
          "  -f, --faults FILE        read FILE as a fault timeline\n"
          "  -s, --strict-order       property 5 also for FIFO and CAUSAL\n"
          "  -n, --net-view MS        16: NETWORK view within MS of a crash\n"
          "                           or partition\n"
          "  -m, --merge-view MS      16: NETWORK view within MS of a heal\n"
          "  -d, --self-delivery MS   16: own message back within MS of its\n"
          "                           submission or the last fault\n"
          "  -c, --crash-slack MS     15: nothing received later than MS\n"
          "                           after the client's daemon crashed\n"
          "  -r, --max-reports N      print at most N violations (100;\n"
          "                           0: all); all are counted\n"
          "  -q, --quiet              print only the summary\n"
          "  -h, --help\n", f);
}

static int ms_arg(const char *s, int64_t *v)
{
    char *end;
    long long x;

    errno = 0;
    x = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || x < 0)
        return -1;
    *v = x;
    return 0;
}

static int add_path(struct ec_checker *ec, const char *path)
{
    struct stat st;
    int r;

    if (stat(path, &st) != 0)
        r = -errno;
    else if (S_ISDIR(st.st_mode))
        r = ec_add_dir(ec, path);
    else
        r = ec_add_file(ec, path);
    if (r < 0)
        fprintf(stderr, "evscheck: %s: %s\n", path, strerror(-r));
    return r < 0 ? -1 : 0;
}

struct args {
    struct ec_opts o;
    const char *faults[64];
    int nfaults;
};

/* Options into a; 0, or the exit status to leave with. */
static int parse_opts(struct args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"faults", required_argument, NULL, 'f'},
        {"strict-order", no_argument, NULL, 's'},
        {"net-view", required_argument, NULL, 'n'},
        {"merge-view", required_argument, NULL, 'm'},
        {"self-delivery", required_argument, NULL, 'd'},
        {"crash-slack", required_argument, NULL, 'c'},
        {"max-reports", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    int64_t v;

    while ((c = getopt_long(argc, argv, "f:sn:m:d:c:r:qh", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            if (a->nfaults == 64) {
                fputs("evscheck: too many -f\n", stderr);
                return 2;
            }
            a->faults[a->nfaults++] = optarg;
            break;
        case 's':
            a->o.strict_order = 1;
            break;
        case 'q':
            a->o.out = NULL;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'n': case 'm': case 'd': case 'c': case 'r':
            if (ms_arg(optarg, &v) != 0) {
                fprintf(stderr, "evscheck: -%c needs a number >= 0\n", c);
                return 2;
            }
            if (c == 'n')
                a->o.net_view_ms = v;
            else if (c == 'm')
                a->o.merge_view_ms = v;
            else if (c == 'd')
                a->o.self_delivery_ms = v;
            else if (c == 'c')
                a->o.crash_slack_ms = v;
            else
                a->o.max_reports = (long)v;
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

static void summary(const struct ec_checker *ec, long n)
{
    long clients, events, msgs;
    const char *sep = " (";
    int i;

    ec_stats(ec, &clients, &events, &msgs);
    printf("evscheck: %ld logs, %ld events, %ld messages: %ld violation%s",
           clients, events, msgs, n, n == 1 ? "" : "s");
    for (i = 0; i < EC_NPROPS && n > 0; i++)
        if (ec_count(ec, i) > 0) {
            printf("%sP%d: %ld", sep, i, ec_count(ec, i));
            sep = ", ";
        }
    puts(n > 0 ? ")" : "");
}

int main(int argc, char **argv)
{
    struct args a;
    struct ec_checker *ec;
    int bad = 0, i, r;
    long n;

    memset(&a, 0, sizeof a);
    a.o.out = stdout;
    a.o.max_reports = 100;
    if ((r = parse_opts(&a, argc, argv)) >= 0)
        return r;
    ec = ec_new(&a.o);
    for (i = 0; i < a.nfaults; i++) {
        r = ec_add_faults_file(ec, a.faults[i]);
        if (r < 0) {
            fprintf(stderr, "evscheck: %s: %s\n", a.faults[i], strerror(-r));
            bad = 1;
        }
    }
    for (i = optind; i < argc; i++)
        bad |= add_path(ec, argv[i]) != 0;
    n = ec_check(ec);
    summary(ec, n);
    ec_free(ec);
    if (bad)
        return 2;
    return n > 0 ? 1 : 0;
}
