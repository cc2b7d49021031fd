/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * bench/flush: the flush layer (fl.h) in figures. All members of one flush
 * group live in this process, each on its own connection with a thread
 * that receives and answers flush requests at once, as an application that
 * keeps up would.
 *
 *   throughput  member 0 multicasts AGREED messages of -b bytes with at
 *               most -W of them not yet received by every member; the
 *               figure is messages per second received by all -n members
 *               (member 0 included).
 *   view        -n - 1 members are in the group; the last one joins, and
 *               the time runs from its FL_join until every member has
 *               installed the new view; then it leaves, and the time runs
 *               from FL_leave until the others have the smaller view (the
 *               next join waits for its leave confirmation too). -r rounds
 *               of each.
 *
 * With -P the same runs use the plain SP_* calls (no flush round: a view is
 * the daemon's membership), to show what the layer costs. Prints one line
 * of key=value figures; never fails on slowness, only on errors. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl.h"
#include "stats.h"

#define PROG "flush"
#define MAX_MEMBERS 64
#define MAX_BODY 144000
#define MAX_GROUPS 100
#define TYPE_DATA 1
#define TYPE_STOP 2

struct member {
    int idx;
    mailbox mbox;
    char name[MAX_GROUP_NAME];
    pthread_t thread;
    char *buf;
    /* Written by the member's thread under bench.lock. */
    long received;              /* TYPE_DATA messages */
    int views;                  /* views (or memberships) installed */
    int view_size;              /* members in the last one */
    int left;                   /* leave confirmations */
    double view_us;             /* when the last view arrived */
};

struct bench {
    const char *spread_name;
    char group[MAX_GROUP_NAME];
    int plain;                  /* -P: SP_* instead of FL_* */
    int n;
    struct member m[MAX_MEMBERS];
    char *sbuf;                 /* what member 0 sends (main thread) */
    long sent;                  /* messages member 0 has sent */
    pthread_mutex_t lock;
    pthread_cond_t cond;        /* any counter above changed */
    int waiting;                /* the main thread sleeps on cond */
};

static void usage(void) __attribute__((noreturn));

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [-s <spread name>] [-n <members>] [-P]\n"
            "       throughput: [-b <bytes>] [-m <max messages>] [-t <seconds>]\n"
            "                   [-W <window>]\n"
            "       view change: -V [-r <rounds>]\n",
            PROG);
    exit(2);
}

static void die(const char *what, int err) __attribute__((noreturn));

static void die(const char *what, int err)
{
    fprintf(stderr, "%s: %s: ", PROG, what);
    fflush(stderr);
    FL_error(err);
    fflush(stdout);
    exit(1);
}

/* ---- the two APIs behind one face -------------------------------------- */

static int b_connect(struct bench *b, struct member *m)
{
    if (b->plain)
        return SP_connect(b->spread_name, "", 0, 1, &m->mbox, m->name);
    return FL_connect(b->spread_name, "", 0, &m->mbox, m->name);
}

static int b_join(struct bench *b, struct member *m)
{
    return b->plain ? SP_join(m->mbox, b->group) : FL_join(m->mbox, b->group);
}

static int b_leave(struct bench *b, struct member *m)
{
    return b->plain ? SP_leave(m->mbox, b->group) : FL_leave(m->mbox, b->group);
}

static int b_send(struct bench *b, struct member *m, int16 type, int len)
{
    if (b->plain)
        return SP_multicast(m->mbox, AGREED_MESS, b->group, type, len,
                            b->sbuf);
    return FL_multicast(m->mbox, AGREED_MESS, b->group, type, len, b->sbuf);
}

static void b_disconnect(struct bench *b, struct member *m)
{
    if (b->plain)
        SP_disconnect(m->mbox);
    else
        FL_disconnect(m->mbox);
}

static int b_receive(struct bench *b, struct member *m, service *st,
                     char *sender, int *ngroups, int16 *type)
{
    static __thread char groups[MAX_GROUPS][MAX_GROUP_NAME];
    int endian, more;

    *st = 0;
    if (b->plain)
        return SP_receive(m->mbox, st, sender, MAX_GROUPS, ngroups, groups,
                          type, &endian, MAX_BODY, m->buf);
    return FL_receive(m->mbox, st, sender, MAX_GROUPS, ngroups, groups, type,
                      &endian, MAX_BODY, m->buf, &more);
}

/* ---- member threads ---------------------------------------------------- */

struct member_arg {
    struct bench *b;
    struct member *m;
};

static void changed(struct bench *b)
{
    if (b->waiting)
        pthread_cond_broadcast(&b->cond);
}

/* Receives until the stop message: counts data, answers flush requests at
 * once, notes views and leave confirmations. */
static void *member_main(void *arg)
{
    struct member_arg *a = arg;
    struct bench *b = a->b;
    struct member *m = a->m;
    char sender[MAX_GROUP_NAME];
    service st;
    int16 type;
    int ngroups, ret;

    for (;;) {
        ret = b_receive(b, m, &st, sender, &ngroups, &type);
        if (ret < 0)
            die("receive", ret);
        if (!b->plain && Is_flush_req_mess(st)) {
            ret = FL_flush(m->mbox, sender);
            if (ret < 0)
                die("flush", ret);
        } else if (Is_regular_mess(st)) {
            if (type == TYPE_STOP)
                break;
            pthread_mutex_lock(&b->lock);
            m->received++;
            changed(b);
            pthread_mutex_unlock(&b->lock);
        } else if (Is_reg_memb_mess(st)) {
            pthread_mutex_lock(&b->lock);
            m->views++;
            m->view_size = ngroups;
            m->view_us = bench_now_us();
            changed(b);
            pthread_mutex_unlock(&b->lock);
        } else if (Is_self_leave(st)) {
            pthread_mutex_lock(&b->lock);
            m->left++;
            m->view_size = 0;
            changed(b);
            pthread_mutex_unlock(&b->lock);
        }
    }
    return NULL;
}

/* ---- waiting for the members ------------------------------------------ */

typedef int (*ready_fn)(struct bench *b, long arg);

/* Sleeps until ready(b, arg) holds; called and returns with b->lock held. */
static void wait_until(struct bench *b, ready_fn ready, long arg)
{
    b->waiting = 1;
    while (!ready(b, arg))
        pthread_cond_wait(&b->cond, &b->lock);
    b->waiting = 0;
}

/* Members 0..arg-1 have a view of arg members. */
static int views_of(struct bench *b, long arg)
{
    int i;

    for (i = 0; i < arg; i++)
        if (b->m[i].view_size != arg)
            return 0;
    return 1;
}

/* Every member is less than arg messages behind what member 0 sent. */

static int window_open(struct bench *b, long window)
{
    int i;

    for (i = 0; i < b->n; i++)
        if (b->sent - b->m[i].received >= window)
            return 0;
    return 1;
}

/* The last member has its leave confirmation number arg. */
static int left_count(struct bench *b, long arg)
{
    return b->m[b->n - 1].left >= arg && views_of(b, b->n - 1);
}

/* Latest view time among members 0..n-1. */
static double last_view_us(struct bench *b, int n)
{
    double t = 0;
    int i;

    for (i = 0; i < n; i++)
        if (b->m[i].view_us > t)
            t = b->m[i].view_us;
    return t;
}

/* Connects member i, starts its thread and joins the group; returns once
 * members 0..i all have the view of i + 1 members. */
static void add_member(struct bench *b, int i, struct member_arg *args)
{
    struct member *m = &b->m[i];
    int ret;

    m->idx = i;
    m->buf = calloc(1, MAX_BODY);
    if (m->buf == NULL)
        die("allocation", SP_BUG);
    ret = b_connect(b, m);
    if (ret < 0)
        die("connect", ret);
    args[i].b = b;
    args[i].m = m;
    if (pthread_create(&m->thread, NULL, member_main, &args[i]) != 0)
        die("thread", SP_BUG);
    ret = b_join(b, m);
    if (ret < 0)
        die("join", ret);
    pthread_mutex_lock(&b->lock);
    wait_until(b, views_of, i + 1);
    pthread_mutex_unlock(&b->lock);
}

/* ---- the runs ---------------------------------------------------------- */

static void run_throughput(struct bench *b, long bytes, long max, double secs,
                           long window)
{
    struct member *m0 = &b->m[0];
    double t0, t1, stop_at;
    long i;
    int ret;

    pthread_mutex_lock(&b->lock);
    t0 = bench_now_us();
    stop_at = t0 + secs * 1e6;
    for (i = 0; i < max; i++) {
        wait_until(b, window_open, window);
        b->sent++;
        pthread_mutex_unlock(&b->lock);
        ret = b_send(b, m0, TYPE_DATA, (int)bytes);
        if (ret < 0)
            die("send", ret);
        pthread_mutex_lock(&b->lock);
        if ((i & 63) == 0 && bench_now_us() > stop_at)
            break;
    }
    wait_until(b, window_open, 1);
    t1 = bench_now_us();
    pthread_mutex_unlock(&b->lock);
    printf("%s: api=%s members=%d bytes=%ld messages=%ld seconds=%.3f "
           "msgs_per_s=%.0f MB_per_s=%.2f\n",
           PROG, b->plain ? "SP" : "FL", b->n, bytes, b->sent,
           (t1 - t0) / 1e6, b->sent / ((t1 - t0) / 1e6),
           b->sent * (double)bytes / (t1 - t0));
}

static void run_views(struct bench *b, long rounds, struct member_arg *args)
{
    struct member *last = &b->m[b->n - 1];
    double *join_us, *leave_us, t0;
    struct bench_summary js, ls;
    long r;
    int ret;

    join_us = calloc((size_t)rounds, sizeof(*join_us));
    leave_us = calloc((size_t)rounds, sizeof(*leave_us));
    if (join_us == NULL || leave_us == NULL)
        die("allocation", SP_BUG);
    add_member(b, b->n - 1, args);     /* warm-up join, not timed */
    for (r = 0; r < rounds; r++) {
        t0 = bench_now_us();
        ret = b_leave(b, last);
        if (ret < 0)
            die("leave", ret);
        pthread_mutex_lock(&b->lock);
        wait_until(b, left_count, r + 1);
        leave_us[r] = last_view_us(b, b->n - 1) - t0;
        pthread_mutex_unlock(&b->lock);

        t0 = bench_now_us();
        ret = b_join(b, last);
        if (ret < 0)
            die("join", ret);
        pthread_mutex_lock(&b->lock);
        wait_until(b, views_of, b->n);
        join_us[r] = last_view_us(b, b->n) - t0;
        pthread_mutex_unlock(&b->lock);
    }
    bench_summarise(join_us, (size_t)rounds, &js);
    bench_summarise(leave_us, (size_t)rounds, &ls);
    printf("%s: api=%s members=%d rounds=%ld join_mean_us=%.0f "
           "join_p50_us=%.0f join_p99_us=%.0f leave_mean_us=%.0f "
           "leave_p50_us=%.0f leave_p99_us=%.0f\n",
           PROG, b->plain ? "SP" : "FL", b->n, rounds, js.mean, js.p50,
           js.p99, ls.mean, ls.p50, ls.p99);
    free(join_us);
    free(leave_us);
}

int main(int argc, char **argv)
{
    static struct bench bench;
    static struct member_arg args[MAX_MEMBERS];
    struct bench *b = &bench;
    long bytes = 100, max = 1000000, window = 200, rounds = 20;
    double secs = 1.5;
    int opt, i, views = 0, ret;

    b->spread_name = "4803";
    b->n = 2;
    while ((opt = getopt(argc, argv, "s:n:Pb:m:t:W:Vr:")) != -1) {
        switch (opt) {
        case 's': b->spread_name = optarg; break;
        case 'n': b->n = (int)bench_parse_count(PROG, "-n", optarg); break;
        case 'P': b->plain = 1; break;
        case 'b': bytes = bench_parse_count(PROG, "-b", optarg); break;
        case 'm': max = bench_parse_count(PROG, "-m", optarg); break;
        case 't': secs = atof(optarg); break;
        case 'W': window = bench_parse_count(PROG, "-W", optarg); break;
        case 'V': views = 1; break;
        case 'r': rounds = bench_parse_count(PROG, "-r", optarg); break;
        default: usage();
        }
    }
    if (b->n < 1 || b->n > MAX_MEMBERS || (views && b->n < 2) ||
        bytes > 100000 || window < 1 || rounds < 1 || secs <= 0)
        usage();
    b->sbuf = calloc(1, MAX_BODY);
    if (b->sbuf == NULL)
        die("allocation", SP_BUG);
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->cond, NULL);
    snprintf(b->group, sizeof(b->group), "flb-%ld", (long)getpid());

    for (i = 0; i < b->n - views; i++)
        add_member(b, i, args);
    if (views)
        run_views(b, rounds, args);
    else
        run_throughput(b, bytes, max, secs, window);

    /* One stop message ends every member thread (each is in the view). */
    ret = b_send(b, &b->m[0], TYPE_STOP, 0);
    if (ret < 0)
        die("send stop", ret);
    for (i = 0; i < b->n; i++)
        pthread_join(b->m[i].thread, NULL);
    for (i = 0; i < b->n; i++) {
        b_disconnect(b, &b->m[i]);
        free(b->m[i].buf);
    }
    free(b->sbuf);
    return 0;
}
