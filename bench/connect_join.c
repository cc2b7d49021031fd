/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * bench/connect_join: how long a client takes to connect and to become a
 * member of a group (from the start of SP_connect to the arrival of the
 * membership notice of its own join). Each round uses a new connection
 * with a daemon-chosen private name and disconnects at the end. Prints one
 * line of key=value figures in microseconds. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp.h"
#include "stats.h"

#define PROG "connect_join"
#define MAX_GROUPS 100
#define BODY_CAP 4096

static void die(const char *what, int err) __attribute__((noreturn));

static void die(const char *what, int err)
{
    fprintf(stderr, "%s: %s: %s (%d)\n", PROG, what, SP_strerror(err), err);
    exit(1);
}

/* Waits for the membership notice of our own join to `group`. */
static void wait_joined(mailbox mbox, const char *group)
{
    static char groups[MAX_GROUPS][MAX_GROUP_NAME];
    static char body[BODY_CAP];
    char sender[MAX_GROUP_NAME];
    service st;
    int ngroups, endian, ret;
    int16 mtype;

    for (;;) {
        st = DROP_RECV;
        ret = SP_receive(mbox, &st, sender, MAX_GROUPS, &ngroups, groups,
                         &mtype, &endian, BODY_CAP, body);
        if (ret < 0 && ret != BUFFER_TOO_SHORT)
            die("receive", ret);
        if (Is_reg_memb_mess(st) && strcmp(sender, group) == 0)
            return;
    }
}

static void print_summary(const char *what, double *s, size_t n)
{
    struct bench_summary sum;

    bench_summarise(s, n, &sum);
    printf(" %s_mean_us=%.1f %s_p50_us=%.1f %s_p99_us=%.1f", what, sum.mean,
           what, sum.p50, what, sum.p99);
}

int main(int argc, char **argv)
{
    const char *spread_name = "4803";
    char group[MAX_GROUP_NAME], private_group[MAX_GROUP_NAME];
    double *conn, *total, t0;
    long rounds = 200, i;
    mailbox mbox;
    int opt, ret;

    while ((opt = getopt(argc, argv, "s:n:")) != -1) {
        switch (opt) {
        case 's': spread_name = optarg; break;
        case 'n': rounds = bench_parse_count(PROG, "-n", optarg); break;
        default:
            fprintf(stderr, "usage: %s [-s <spread name>] [-n <rounds>]\n",
                    PROG);
            return 2;
        }
    }
    if (rounds < 1)
        rounds = 1;
    conn = calloc((size_t)rounds, sizeof(*conn));
    total = calloc((size_t)rounds, sizeof(*total));
    if (conn == NULL || total == NULL)
        die("allocation", SP_BUG);
    snprintf(group, sizeof(group), "cj-%ld", (long)getpid());

    for (i = 0; i < rounds; i++) {
        t0 = bench_now_us();
        ret = SP_connect(spread_name, "", 0, 1, &mbox, private_group);
        if (ret < 0)
            die("connect", ret);
        conn[i] = bench_now_us() - t0;
        ret = SP_join(mbox, group);
        if (ret < 0)
            die("join", ret);
        wait_joined(mbox, group);
        total[i] = bench_now_us() - t0;
        SP_disconnect(mbox);
    }
    printf("connect_join: rounds=%ld", rounds);
    print_summary("connect", conn, (size_t)rounds);
    print_summary("join", total, (size_t)rounds);
    printf("\n");
    free(conn);
    free(total);
    return 0;
}
