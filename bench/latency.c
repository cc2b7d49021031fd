/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * bench/latency: round-trip time between two clients of one daemon. Client
 * A multicasts a ping to a group, client B (the other member) answers with
 * a pong to the same group; both use SELF_DISCARD so each sees only the
 * other's message. One thread drives both mailboxes in turn, so a round is
 * exactly: A send, daemon, B receive, B send, daemon, A receive. Prints one
 * line of key=value figures in microseconds. With -t, B connects to
 * another daemon of the ring, so a round crosses the ring twice. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp.h"
#include "stats.h"

#define PROG "latency"
#define MAX_BODY 144000
#define MAX_GROUPS 100

struct peer {
    mailbox mbox;
    char name[MAX_GROUP_NAME];
};

static void usage(void) __attribute__((noreturn));

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [-s <spread name>] [-t <B's spread name>] [-n <rounds>]\n"
            "       [-w <warm-up rounds>]\n"
            "       [-b <bytes>] [-S agreed|safe|fifo|reliable|causal]\n",
            PROG);
    exit(2);
}

static void die(const char *what, int err) __attribute__((noreturn));

static void die(const char *what, int err)
{
    fprintf(stderr, "%s: %s: %s (%d)\n", PROG, what, SP_strerror(err), err);
    exit(1);
}

static service parse_service(const char *s, const char **label)
{
    static const struct {
        const char *name, *label;
        service svc;
    } table[] = {
        { "agreed", "AGREED", AGREED_MESS }, { "safe", "SAFE", SAFE_MESS },
        { "fifo", "FIFO", FIFO_MESS }, { "reliable", "RELIABLE", RELIABLE_MESS },
        { "causal", "CAUSAL", CAUSAL_MESS },
    };
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(s, table[i].name) == 0) {
            *label = table[i].label;
            return table[i].svc;
        }
    }
    usage();
}

/* One receive (oversized bodies are cut, groups beyond MAX_GROUPS
 * dropped); dies on an error. Returns the service type, fills sender and
 * *ngroups. */
static service receive_one(struct peer *p, char *buf, int cap,
                           char sender[MAX_GROUP_NAME], int *ngroups,
                           const char *what)
{
    static char groups[MAX_GROUPS][MAX_GROUP_NAME];
    service st = DROP_RECV;
    int endian, ret;
    int16 mtype;

    ret = SP_receive(p->mbox, &st, sender, MAX_GROUPS, ngroups, groups,
                     &mtype, &endian, cap, buf);
    if (ret < 0 && ret != BUFFER_TOO_SHORT)
        die(what, ret);
    return st;
}

/* Receives until a data message arrives (membership notices are skipped).
 * Returns the service type of the regular message. */
static service receive_data(struct peer *p, char *buf, int cap)
{
    char sender[MAX_GROUP_NAME];
    int ngroups;

    for (;;) {
        service st = receive_one(p, buf, cap, sender, &ngroups, "receive");
        if (Is_regular_mess(st))
            return st;
    }
}

/* Waits until this peer sees a membership of `group` with `want` members. */
static void wait_members(struct peer *p, const char *group, int want,
                         char *buf, int cap)
{
    char sender[MAX_GROUP_NAME];
    int ngroups;

    for (;;) {
        service st = receive_one(p, buf, cap, sender, &ngroups,
                                 "receive (membership)");
        if (Is_reg_memb_mess(st) && strcmp(sender, group) == 0 &&
            ngroups >= want)
            return;
    }
}

static void connect_peer(struct peer *p, const char *spread_name,
                         const char *group)
{
    int ret;

    ret = SP_connect(spread_name, "", 0, 1, &p->mbox, p->name);
    if (ret < 0)
        die("connect", ret);
    ret = SP_join(p->mbox, group);
    if (ret < 0)
        die("join", ret);
}

int main(int argc, char **argv)
{
    const char *spread_name = "4803", *spread_b = NULL, *label = "AGREED";
    service svc = AGREED_MESS;
    long rounds = 1000, warmup = 100, bytes = 16, i;
    struct peer a, b;
    struct bench_summary sum;
    char group[MAX_GROUP_NAME];
    double *samples, t0;
    char *buf;
    int opt, ret;

    while ((opt = getopt(argc, argv, "s:t:n:w:b:S:")) != -1) {
        switch (opt) {
        case 's': spread_name = optarg; break;
        case 't': spread_b = optarg; break;
        case 'n': rounds = bench_parse_count(PROG, "-n", optarg); break;
        case 'w': warmup = bench_parse_count(PROG, "-w", optarg); break;
        case 'b': bytes = bench_parse_count(PROG, "-b", optarg); break;
        case 'S': svc = parse_service(optarg, &label); break;
        default: usage();
        }
    }
    if (rounds < 1 || bytes > 100000)
        usage();
    samples = calloc((size_t)rounds, sizeof(*samples));
    buf = calloc(1, MAX_BODY);
    if (samples == NULL || buf == NULL)
        die("allocation", SP_BUG);

    snprintf(group, sizeof(group), "lat-%ld", (long)getpid());
    connect_peer(&a, spread_name, group);
    wait_members(&a, group, 1, buf, MAX_BODY);
    connect_peer(&b, spread_b ? spread_b : spread_name, group);
    wait_members(&b, group, 2, buf, MAX_BODY);
    wait_members(&a, group, 2, buf, MAX_BODY);

    for (i = -warmup; i < rounds; i++) {
        t0 = bench_now_us();
        ret = SP_multicast(a.mbox, svc | SELF_DISCARD, group, 1, (int)bytes,
                           buf);
        if (ret < 0)
            die("send ping", ret);
        receive_data(&b, buf, MAX_BODY);
        ret = SP_multicast(b.mbox, svc | SELF_DISCARD, group, 2, (int)bytes,
                           buf);
        if (ret < 0)
            die("send pong", ret);
        receive_data(&a, buf, MAX_BODY);
        if (i >= 0)
            samples[i] = bench_now_us() - t0;
    }
    bench_summarise(samples, (size_t)rounds, &sum);
    printf("latency: service=%s bytes=%ld rounds=%ld mean_us=%.1f "
           "p50_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f\n",
           label, bytes, rounds, sum.mean, sum.p50, sum.p99, sum.min,
           sum.max);
    SP_disconnect(b.mbox);
    SP_disconnect(a.mbox);
    free(samples);
    free(buf);
    return 0;
}
