/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * bench/hash_flood: what one client joining many groups costs the daemon
 * and everybody else (issue 8). A joiner connects, joins N groups and
 * disconnects, first with random names, then with names an attacker would
 * pick against the old unkeyed hash (all equal in the low 20 bits of
 * FNV-1a: one bucket of any table up to 2^20 buckets). Meanwhile a prober
 * thread plays ping-pong between two other clients of the daemon, a
 * round, then a millisecond's pause, and records when each round started
 * and ended.
 *
 * Joins are sent with at most -w outstanding (the joiner reads its
 * membership notices as they come, as a real client must, or the daemon
 * would drop it for not reading; the default, 200, stays under a quarter
 * of the default MaxSessionMessages, where the daemon starts to hold
 * senders back). "join" ends when the last notice
 * arrives; "disconnect" runs from SP_disconnect until a message a control
 * client sends to itself afterwards comes back, i.e. until the daemon has
 * got through the teardown. A phase's round trips are those of the
 * prober's rounds that overlap it (a round stuck through a whole phase
 * counts in it). Prints key=value lines, times in microseconds unless the
 * key says seconds. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sp.h"
#include "stats.h"
#include "../tests/lib/flood_names.h"

#define PROG "hash_flood"
#define NAME_LEN 28
#define FNV_BITS 20
#define BODY_CAP 1024
#define MAX_GROUPS 8

enum phase { PH_IDLE, PH_JOIN_RANDOM, PH_DISC_RANDOM, PH_JOIN_CRAFTED,
             PH_DISC_CRAFTED, PH_COUNT };

struct round {
    double t0, t1;                  /* microseconds, bench_now_us() */
};

struct prober {
    const char *spread_name;
    mailbox a, b;
    char group[MAX_GROUP_NAME];
    long pause_us;
    atomic_int stop;
    atomic_llong done_t0;           /* start of the last finished round */
    struct round *r;                /* the prober thread's until stopped */
    size_t n, cap;
    double ph[PH_COUNT][2];         /* phase start and end, main thread */
};

static void die(const char *what, int err) __attribute__((noreturn));

static void die(const char *what, int err)
{
    fprintf(stderr, "%s: %s: %s (%d)\n", PROG, what, SP_strerror(err), err);
    exit(1);
}

/* One message or notice; dies on an error. Returns its service type. */
static service receive_one(mailbox m, char sender[MAX_GROUP_NAME],
                           int *ngroups)
{
    static _Thread_local char groups[MAX_GROUPS][MAX_GROUP_NAME];
    static _Thread_local char body[BODY_CAP];
    service st = DROP_RECV;
    int endian, ret;
    int16 mtype;

    ret = SP_receive(m, &st, sender, MAX_GROUPS, ngroups, groups, &mtype,
                     &endian, BODY_CAP, body);
    if (ret < 0 && ret != BUFFER_TOO_SHORT)
        die("receive", ret);
    return st;
}

static void wait_data(mailbox m)
{
    char sender[MAX_GROUP_NAME];
    int ngroups;
    service st;

    do      /* Is_regular_mess() reads its argument twice */
        st = receive_one(m, sender, &ngroups);
    while (!Is_regular_mess(st));
}

static void wait_members(mailbox m, const char *group, int want)
{
    char sender[MAX_GROUP_NAME];
    int ngroups;

    for (;;) {
        service st = receive_one(m, sender, &ngroups);
        if (Is_reg_memb_mess(st) && strcmp(sender, group) == 0 &&
            ngroups >= want)
            return;
    }
}

static mailbox connect_to(const char *spread_name, const char *group)
{
    char private_group[MAX_GROUP_NAME];
    mailbox m;
    int ret;

    ret = SP_connect(spread_name, "", 0, 1, &m, private_group);
    if (ret < 0)
        die("connect", ret);
    if (group != NULL && (ret = SP_join(m, group)) < 0)
        die("join", ret);
    return m;
}

static void round_add(struct prober *p, double t0, double t1)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4096;
        struct round *r = realloc(p->r, cap * sizeof *r);
        if (r == NULL)
            die("allocation", SP_BUG);
        p->r = r;
        p->cap = cap;
    }
    p->r[p->n].t0 = t0;
    p->r[p->n++].t1 = t1;
}

/* The other clients: a ping from a, a pong from b, every pause_us. */
static void *prober_run(void *arg)
{
    struct prober *p = arg;
    char msg[16] = "ping";
    struct timespec pause = { 0, p->pause_us * 1000 };
    int ret;

    while (!atomic_load(&p->stop)) {
        double t0 = bench_now_us();
        ret = SP_multicast(p->a, AGREED_MESS | SELF_DISCARD, p->group, 1,
                           sizeof msg, msg);
        if (ret < 0)
            die("send ping", ret);
        wait_data(p->b);
        ret = SP_multicast(p->b, AGREED_MESS | SELF_DISCARD, p->group, 2,
                           sizeof msg, msg);
        if (ret < 0)
            die("send pong", ret);
        wait_data(p->a);
        round_add(p, t0, bench_now_us());
        atomic_store(&p->done_t0, (long long)t0);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

static void prober_start(struct prober *p, pthread_t *th)
{
    snprintf(p->group, sizeof p->group, "hf-probe-%ld", (long)getpid());
    p->a = connect_to(p->spread_name, p->group);
    wait_members(p->a, p->group, 1);
    p->b = connect_to(p->spread_name, p->group);
    wait_members(p->b, p->group, 2);
    wait_members(p->a, p->group, 2);
    if (pthread_create(th, NULL, prober_run, p) != 0)
        die("pthread_create", SP_BUG);
}

/* Joins names[i * (NAME_LEN + 1)], i < n, with at most `window` joins
 * whose notice has not arrived yet. */
static void join_all(mailbox m, const char *names, long n, long window)
{
    char sender[MAX_GROUP_NAME];
    long sent = 0, done = 0;
    int ngroups, ret;
    service st;

    while (done < n) {
        while (sent < n && sent - done < window) {
            ret = SP_join(m, names + sent * (NAME_LEN + 1));
            if (ret < 0)
                die("join", ret);
            sent++;
        }
        st = receive_one(m, sender, &ngroups);
        if (Is_reg_memb_mess(st))
            done++;
    }
}

/* A message to the control client's own group, and back: every request
 * the daemon had before it has been handled. */
static void self_round(mailbox ctl, const char *group)
{
    char msg[8] = "sync";
    int ret = SP_multicast(ctl, AGREED_MESS, group, 3, sizeof msg, msg);

    if (ret < 0)
        die("send sync", ret);
    wait_data(ctl);
}

/* Waits until the prober has finished a round begun after this call: a
 * round held up by the previous phase must not count in the next. */
static void prober_settle(struct prober *p)
{
    long long t = (long long)bench_now_us();

    while (atomic_load(&p->done_t0) <= t)
        usleep(1000);
}

static void run_kind(struct prober *p, mailbox ctl, const char *ctl_group,
                     const char *names, long n, long window, int join_ph,
                     double out_s[2])
{
    mailbox j = connect_to(p->spread_name, NULL);
    double *join = p->ph[join_ph], *disc = p->ph[join_ph + 1];

    self_round(ctl, ctl_group);
    prober_settle(p);
    join[0] = bench_now_us();
    join_all(j, names, n, window);
    join[1] = disc[0] = bench_now_us();
    SP_disconnect(j);
    self_round(ctl, ctl_group);
    disc[1] = bench_now_us();
    out_s[0] = (join[1] - join[0]) / 1e6;
    out_s[1] = (disc[1] - disc[0]) / 1e6;
}

/* Round trips of the rounds that overlap phase `ph`. */
static void print_rtt(struct prober *p, const char *what, int ph)
{
    double *v = calloc(p->n + 1, sizeof *v);
    struct bench_summary sum;
    size_t i, n = 0;

    if (v == NULL)
        die("allocation", SP_BUG);
    for (i = 0; i < p->n; i++)
        if (p->r[i].t0 < p->ph[ph][1] && p->r[i].t1 > p->ph[ph][0])
            v[n++] = p->r[i].t1 - p->r[i].t0;
    bench_summarise(v, n, &sum);
    printf(" %s_rounds=%zu %s_rtt_p50_us=%.0f %s_rtt_p99_us=%.0f "
           "%s_rtt_max_us=%.0f", what, n, what, sum.p50, what, sum.p99,
           what, sum.max);
    free(v);
}

static void report(struct prober *p, const char *kind, long n, int join_ph,
                   const double s[2])
{
    printf("%s: names=%s groups=%ld join_s=%.3f disc_s=%.3f", PROG, kind,
           n, s[0], s[1]);
    print_rtt(p, "join", join_ph);
    print_rtt(p, "disc", join_ph + 1);
    printf("\n");
}

static char *make_names(long n, int crafted)
{
    char *names = malloc((size_t)n * (NAME_LEN + 1));

    if (names == NULL)
        die("allocation", SP_BUG);
    if (crafted ? flood_names_fnv(names, (size_t)n, NAME_LEN, FNV_BITS)
                : flood_names_random(names, (size_t)n, NAME_LEN,
                                     (uint64_t)time(NULL) ^
                                         ((uint64_t)getpid() << 32)))
        die("making names", SP_BUG);
    return names;
}

int main(int argc, char **argv)
{
    static struct prober p;
    long n = 100000, window = 200;
    char ctl_group[MAX_GROUP_NAME], *random_names, *crafted_names;
    double rs[2], cs[2];
    pthread_t th;
    mailbox ctl;
    int opt;

    p.spread_name = "4803";
    p.pause_us = 1000;
    while ((opt = getopt(argc, argv, "s:n:w:p:")) != -1) {
        switch (opt) {
        case 's': p.spread_name = optarg; break;
        case 'n': n = bench_parse_count(PROG, "-n", optarg); break;
        case 'w': window = bench_parse_count(PROG, "-w", optarg); break;
        case 'p': p.pause_us = bench_parse_count(PROG, "-p", optarg); break;
        default:
            fprintf(stderr, "usage: %s [-s <spread name>] [-n <groups>] "
                    "[-w <joins in flight>] [-p <probe pause, us>]\n", PROG);
            return 2;
        }
    }
    if (n < 1 || n > 1000000 || window < 1 || p.pause_us > 999999) {
        fprintf(stderr, "%s: need 1 <= n <= 1000000, w >= 1, p < 1 s\n",
                PROG);
        return 2;
    }
    random_names = make_names(n, 0);
    crafted_names = make_names(n, 1);
    snprintf(ctl_group, sizeof ctl_group, "hf-ctl-%ld", (long)getpid());
    ctl = connect_to(p.spread_name, ctl_group);
    wait_members(ctl, ctl_group, 1);
    prober_start(&p, &th);
    p.ph[PH_IDLE][0] = bench_now_us();
    usleep(300000);             /* idle round trips, for reference */
    p.ph[PH_IDLE][1] = bench_now_us();
    run_kind(&p, ctl, ctl_group, random_names, n, window, PH_JOIN_RANDOM, rs);
    run_kind(&p, ctl, ctl_group, crafted_names, n, window, PH_JOIN_CRAFTED,
             cs);
    atomic_store(&p.stop, 1);
    pthread_join(th, NULL);
    printf("%s: names=none", PROG);
    print_rtt(&p, "idle", PH_IDLE);
    printf("\n");
    report(&p, "random", n, PH_JOIN_RANDOM, rs);
    report(&p, "crafted", n, PH_JOIN_CRAFTED, cs);
    SP_disconnect(p.a);
    SP_disconnect(p.b);
    SP_disconnect(ctl);
    free(random_names);
    free(crafted_names);
    free(p.r);
    return 0;
}
