/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * bench/fairness: what one slow member, or one client flooding joins and
 * leaves, costs everybody else (docs/design.md, "Flow control and
 * fairness"). Prints key=value lines, one per case:
 *
 *   case=mixed-alone   a sender writes to group "fast" and to group
 *                      "slow" in turn, as fast as the daemon takes it;
 *                      "slow" has no member. fast=<messages/s that reached
 *                      the member of "fast">
 *   case=mixed-slow    the same with a member in "slow" that reads
 *                      <rate> messages a second. fast=..., and
 *                      slow_dropped_ms=<when the slow member was dropped,
 *                      counted from the start> or -1 if it was kept
 *   case=flood         a client writes JOIN/LEAVE of group "flip" as fast
 *                      as it is taken while two membership-aware members
 *                      read every notice: notices=<per second that reached
 *                      one member>, dropped=<members dropped>
 *
 * Every client is a libspread client in its own thread. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp.h"
#include "stats.h"

#define PROG "fairness"

static const char *spread = "4803";
static double seconds = 3.0;
static long slow_rate = 3000;

struct reader {
    pthread_t thread;
    mailbox mb;
    long rate;                  /* messages a second, 0: as fast as it can */
    atomic_long got;
    atomic_int stop;
    double ended_us;            /* when a receive failed, 0 if none */
};

static void die(const char *what, int err) __attribute__((noreturn));

static void die(const char *what, int err)
{
    fprintf(stderr, "%s: %s: %s (%d)\n", PROG, what, SP_strerror(err), err);
    exit(1);
}

static mailbox connect_to(const char *name, int membership)
{
    char pg[MAX_GROUP_NAME];
    mailbox mb;
    int r = SP_connect(spread, name, 0, membership, &mb, pg);

    if (r != ACCEPT_SESSION)
        die("SP_connect", r);
    return mb;
}

/* Blocks in SP_receive; reader_stop() ends it by disconnecting the
 * mailbox from the main thread, which libspread allows. */
static void *reader_main(void *arg)
{
    struct reader *r = arg;
    static __thread char body[2048];
    char sender[MAX_GROUP_NAME], groups[8][MAX_GROUP_NAME];
    double start = bench_now_us();
    service st;
    int16 mt;
    int ng, em;

    for (;;) {
        long n;
        st = 0;
        if (SP_receive(r->mb, &st, sender, 8, &ng, groups, &mt, &em,
                       sizeof body, body) < 0) {
            if (!atomic_load(&r->stop))
                r->ended_us = bench_now_us() - start;
            return NULL;
        }
        n = atomic_fetch_add(&r->got, 1) + 1;
        if (r->rate > 0) {
            double due = start + (double)n * 1e6 / (double)r->rate;
            double now = bench_now_us();
            if (due > now)
                usleep((useconds_t)(due - now));
        }
    }
}

static void reader_start(struct reader *r, const char *name, const char *group,
                         long rate, int membership)
{
    memset(r, 0, sizeof *r);
    r->mb = connect_to(name, membership);
    r->rate = rate;
    if (group != NULL && SP_join(r->mb, group) < 0)
        die("SP_join", -1);
    pthread_create(&r->thread, NULL, reader_main, r);
}

static void reader_stop(struct reader *r)
{
    atomic_store(&r->stop, 1);
    if (r->ended_us == 0)
        SP_disconnect(r->mb);
    pthread_join(r->thread, NULL);
    SP_close(r->mb);
}

/* A sender writing to "fast" and "slow" in turn for `seconds`; returns the
 * messages per second the member of "fast" received meanwhile. */
static double mixed(struct reader *slow)
{
    static char body[100];
    struct reader fast;
    mailbox p = connect_to("mixed", 0);
    double start, end;
    long before;

    reader_start(&fast, "fast", "fast", 0, 0);
    usleep(100000);             /* the joins are delivered */
    start = bench_now_us();
    before = atomic_load(&fast.got);
    end = start + seconds * 1e6;
    while (bench_now_us() < end) {
        if (SP_multicast(p, RELIABLE_MESS, "slow", 0, sizeof body, body) < 0 ||
            SP_multicast(p, RELIABLE_MESS, "fast", 0, sizeof body, body) < 0)
            die("SP_multicast", -1);
    }
    end = bench_now_us();
    before = atomic_load(&fast.got) - before;
    SP_disconnect(p);
    reader_stop(&fast);
    (void)slow;
    return (double)before * 1e6 / (end - start);
}

static void flood(void)
{
    struct reader m[2];
    mailbox t = connect_to("toggler", 0);
    double start, end;
    long before;
    int k, dropped = 0;

    reader_start(&m[0], "m0", "flip", 0, 1);
    reader_start(&m[1], "m1", "flip", 0, 1);
    usleep(100000);
    start = bench_now_us();
    before = atomic_load(&m[0].got);
    end = start + seconds * 1e6;
    while (bench_now_us() < end)
        if (SP_join(t, "flip") < 0 || SP_leave(t, "flip") < 0)
            die("SP_join/SP_leave", -1);
    end = bench_now_us();
    before = atomic_load(&m[0].got) - before;
    SP_disconnect(t);
    for (k = 0; k < 2; k++) {
        dropped += m[k].ended_us != 0;
        reader_stop(&m[k]);
    }
    printf("case=flood notices=%.0f dropped=%d\n",
           (double)before * 1e6 / (end - start), dropped);
}

int main(int argc, char **argv)
{
    struct reader slow;
    int c;

    while ((c = getopt(argc, argv, "s:t:r:")) != -1) {
        switch (c) {
        case 's': spread = optarg; break;
        case 't': seconds = atof(optarg); break;
        case 'r': slow_rate = bench_parse_count(PROG, "-r", optarg); break;
        default:
            fprintf(stderr, "usage: %s [-s <spread name>] [-t <seconds>] "
                    "[-r <slow member's messages/s>]\n", PROG);
            return 2;
        }
    }
    printf("case=mixed-alone fast=%.0f\n", mixed(NULL));
    reader_start(&slow, "slow", "slow", slow_rate, 0);
    usleep(100000);
    {
        double fast = mixed(&slow);
        printf("case=mixed-slow fast=%.0f slow_dropped_ms=%.0f rate=%ld\n",
               fast, slow.ended_us ? slow.ended_us / 1000 : -1.0, slow_rate);
    }
    reader_stop(&slow);
    flood();
    return 0;
}
