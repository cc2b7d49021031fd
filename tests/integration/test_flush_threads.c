/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: the flush layer used from several threads and across
 * fork(), on the tree's own daemon (flush.md 2.4, P11; lifecycle.md).
 * Runs under ThreadSanitizer in CI (scripts/check-tsan). Covers: a
 * receiver blocked in FL_receive while other threads flush and send on
 * the same connection, and FL_disconnect from another thread waking it;
 * several members, one thread each, going through their joins and
 * leaves at once, with every log checked against section 9; a fork
 * while a receiver is blocked, the child dropping the inherited flush
 * connection with SP_kill and using a new one.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/flmember.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

static struct th_daemon daemon_;

static void setup(void)
{
    ck_assert_msg(th_daemon_start(&daemon_, "localhost", NULL) == 0,
                  "daemon did not start");
}

static void teardown(void)
{
    ck_assert_int_eq(th_daemon_stop(&daemon_), 0);
}

static const char *spread(int transport)
{
    return transport == 0 ? daemon_.spread : daemon_.spread_tcp;
}

/* ---- a receiver thread that blocks in FL_receive -------------------- */

struct inbox {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct fm_member *m;
    int n;                 /* events in m->log */
    int done, last_ret;
};

static void *receiver_main(void *arg)
{
    struct inbox *in = arg;
    struct fm_event *e = malloc(sizeof *e);

    for (;;) {
        memset(e, 0, sizeof *e);
        e->serv = 0;    /* blocking */
        e->ret = FL_receive(in->m->mb, &e->serv, e->sender, FM_MAX_GROUPS,
                            &e->ng, e->groups, &e->type, &e->endian,
                            FM_MAX_BODY, e->body, &e->more);
        pthread_mutex_lock(&in->lock);
        if (e->ret < 0) {
            in->done = 1;
            in->last_ret = e->ret;
        } else if (in->m->nlog < FM_MAX_LOG) {
            in->m->log[in->m->nlog++] = *e;
            in->n = in->m->nlog;
        }
        pthread_cond_broadcast(&in->cond);
        pthread_mutex_unlock(&in->lock);
        if (e->ret < 0)
            break;
    }
    free(e);
    return NULL;
}

static void inbox_init(struct inbox *in, struct fm_member *m)
{
    memset(in, 0, sizeof *in);
    pthread_mutex_init(&in->lock, NULL);
    pthread_cond_init(&in->cond, NULL);
    in->m = m;
}

/* Wait until the receiver has logged `count` events (or ended). */
static int inbox_wait(struct inbox *in, int count)
{
    struct timespec dl;
    int ok;

    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    pthread_mutex_lock(&in->lock);
    while (in->n < count && !in->done &&
           pthread_cond_timedwait(&in->cond, &in->lock, &dl) == 0)
        ;
    ok = in->n >= count;
    pthread_mutex_unlock(&in->lock);
    return ok;
}

static service inbox_serv(struct inbox *in, int i)
{
    service s;

    pthread_mutex_lock(&in->lock);
    s = in->m->log[i].serv;
    pthread_mutex_unlock(&in->lock);
    return s;
}

struct sender_arg {
    mailbox mb;
    int from, n;
};

static void *sender_main(void *arg)
{
    struct sender_arg *s = arg;
    char text[32];
    int i;

    for (i = 0; i < s->n; i++) {
        int len = snprintf(text, sizeof text, "t%d-%d", s->from, i);
        if (FL_multicast(s->mb, FIFO_MESS, "G", 1, len, text) != len) {
            s->n = -i;
            break;
        }
    }
    return NULL;
}

enum { PER_SENDER = 150 };   /* 3 x 150 events fit in one log */

/* P11: A's receiver is blocked in FL_receive; meanwhile the main thread
 * answers the flush request on A, two threads send on A itself, and one
 * more on B. Then FL_disconnect(A) from the main thread wakes it. */
START_TEST(blocked_receiver)
{
    struct fm_member a, b;
    struct inbox in;
    pthread_t rt, st[2];
    struct sender_arg sa[2];
    int i, base;

    ck_assert_int_eq(fm_connect(&a, spread(_i), "a"), 0);
    ck_assert_int_eq(fm_connect(&b, spread(_i), "b"), 0);
    inbox_init(&in, &a);
    ck_assert_int_eq(pthread_create(&rt, NULL, receiver_main, &in), 0);
    ck_assert_int_eq(FL_join(a.mb, "G"), 0);
    ck_assert(inbox_wait(&in, 1));                  /* view [A] */
    ck_assert_int_eq(FL_join(b.mb, "G"), 0);
    ck_assert(inbox_wait(&in, 2));
    ck_assert_uint_eq((unsigned)inbox_serv(&in, 1), FLUSH_REQ_MESS);
    /* The receiver is (or soon will be) blocked: flush from here. */
    ck_assert_int_eq(FL_flush(a.mb, "G"), 0);
    ck_assert(fm_next(&b, NULL, FM_WAIT_MS) == 48);
    ck_assert(inbox_wait(&in, 3));
    ck_assert(Is_reg_memb_mess(inbox_serv(&in, 2)));
    base = 3;
    for (i = 0; i < 2; i++) {
        sa[i].mb = a.mb;
        sa[i].from = i;
        sa[i].n = PER_SENDER;
        ck_assert_int_eq(pthread_create(&st[i], NULL, sender_main, &sa[i]),
                         0);
    }
    for (i = 0; i < PER_SENDER; i++) {
        char text[32];
        snprintf(text, sizeof text, "b-%d", i);
        ck_assert(fm_send(&b, FIFO_MESS, "G", text));
    }
    for (i = 0; i < 2; i++)
        pthread_join(st[i], NULL);
    ck_assert_msg(inbox_wait(&in, base + 3 * PER_SENDER), "%d of %d, sent %d",
                  in.n, base + 3 * PER_SENDER, sa[0].n + sa[1].n);
    ck_assert_int_eq(FL_disconnect(a.mb), 0);
    pthread_join(rt, NULL);
    ck_assert_int_lt(in.last_ret, 0);
    a.mb = -1;
    /* B sees A's departure as a disconnect round. */
    ck_assert(fm_next(&b, NULL, FM_WAIT_MS) >= 0);
    {
        struct fm_member *all[] = { &a, &b };
        int k;
        for (k = 0; k < 3 * PER_SENDER; k++)
            if (fm_next(&b, NULL, 0) == FM_TIMEOUT)
                break;
        ck_assert(fm_check_log(all, 2, "G"));
    }
    fm_close(&a);
    fm_close(&b);
    pthread_mutex_destroy(&in.lock);
    pthread_cond_destroy(&in.cond);
}
END_TEST

/* ---- several members at once ---------------------------------------- */

enum { MEMBERS = 4, MSGS = 20 };

struct crowd {
    int transport;
    struct fm_member m[MEMBERS];
    int ok[MEMBERS];
};

struct crowd_arg {
    struct crowd *c;
    int id;
};

/* One member: join, flush whenever asked, send MSGS once the view holds
 * everybody, disconnect once it has everybody's messages. */
static void *member_main(void *arg)
{
    struct crowd_arg *ca = arg;
    struct fm_member *m = &ca->c->m[ca->id];
    struct fm_event *e = malloc(sizeof *e);
    int sent = 0, got = 0, i;
    long long end = th_now_ms() + 30000;

    if (FL_join(m->mb, "G") != 0)
        goto out;
    while (got < MEMBERS * MSGS && th_now_ms() < end) {
        int r = fm_next(m, e, 1000);
        if (r == FM_TIMEOUT)
            continue;
        if (r < 0)
            goto out;
        if (Is_flush_req_mess(e->serv) && FL_flush(m->mb, "G") != 0)
            goto out;
        if (Is_reg_memb_mess(e->serv) && e->ng == MEMBERS && !sent) {
            for (i = 0; i < MSGS; i++) {
                char text[32];
                snprintf(text, sizeof text, "m%d-%d", ca->id, i);
                if (!fm_send(m, AGREED_MESS, "G", text))
                    goto out;
            }
            sent = 1;
        }
        if ((e->serv & REGULAR_MESS) && e->body[0] == 'm')
            got++;
    }
    ca->c->ok[ca->id] = got == MEMBERS * MSGS;
    /* Keep answering rounds until the others are done too, then go. */
    (void)FL_leave(m->mb, "G");
    while (th_now_ms() < end) {
        int r = fm_next(m, e, 1000);
        if (r < 0 && r != FM_TIMEOUT)
            break;
        if (r >= 0 && Is_self_leave(e->serv))
            break;
    }
out:
    free(e);
    return NULL;
}

START_TEST(crowd_joins)
{
    static struct crowd c;
    struct crowd_arg args[MEMBERS];
    pthread_t th[MEMBERS];
    struct fm_member *all[MEMBERS];
    int i;

    memset(&c, 0, sizeof c);
    c.transport = _i;
    for (i = 0; i < MEMBERS; i++) {
        char user[8];
        snprintf(user, sizeof user, "m%d", i);
        ck_assert_int_eq(fm_connect(&c.m[i], spread(_i), user), 0);
        all[i] = &c.m[i];
    }
    for (i = 0; i < MEMBERS; i++) {
        args[i].c = &c;
        args[i].id = i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, member_main, &args[i]),
                         0);
    }
    for (i = 0; i < MEMBERS; i++)
        pthread_join(th[i], NULL);
    for (i = 0; i < MEMBERS; i++)
        ck_assert_msg(c.ok[i], "member %d missed messages", i);
    ck_assert(fm_check_log(all, MEMBERS, "G"));
    for (i = 0; i < MEMBERS; i++)
        fm_close(&c.m[i]);
}
END_TEST

/* ---- fork ----------------------------------------------------------- */

/* The child drops the inherited flush connection without telling the
 * daemon (SP_kill), and a new flush connection works at once. */
static int child_main(mailbox inherited, int transport)
{
    struct fm_member c;
    const char *v[] = { NULL, NULL };

    if (SP_kill(inherited) != 0 || FL_more_msgs(inherited) != ILLEGAL_SESSION)
        return 2;
    if (fm_connect(&c, spread(transport), "kid") != 0 ||
        FL_join(c.mb, "H") != 0)
        return 3;
    v[0] = c.pg;
    if (!fm_expect_view(&c, "H", CAUSED_BY_JOIN, 1, 0, v))
        return 4;
    if (!fm_send(&c, FIFO_MESS, "H", "kid") || !fm_expect_data(&c, c.pg, "kid"))
        return 5;
    fm_close(&c);
    return 0;
}

START_TEST(fork_with_blocked_receiver)
{
    struct fm_member a, b;
    struct inbox in;
    pthread_t rt;
    pid_t pid;
    int st;

    ck_assert_int_eq(fm_connect(&a, spread(_i), "a"), 0);
    ck_assert_int_eq(fm_connect(&b, spread(_i), "b"), 0);
    inbox_init(&in, &a);
    ck_assert_int_eq(FL_join(b.mb, "G"), 0);
    ck_assert(fm_next(&b, NULL, FM_WAIT_MS) >= 0);
    ck_assert_int_eq(pthread_create(&rt, NULL, receiver_main, &in), 0);
    ck_assert_int_eq(FL_join(a.mb, "G"), 0);
    ck_assert(fm_expect_req(&b, "G"));
    ck_assert_int_eq(FL_flush(b.mb, "G"), 0);
    ck_assert(inbox_wait(&in, 1));                 /* A's first view */
    ck_assert(fm_next(&b, NULL, FM_WAIT_MS) == 48);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(child_main(a.mb, _i));
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d",
                  st);
    /* The parent's receiver still gets G's traffic, and B saw no change. */
    ck_assert(fm_send(&b, FIFO_MESS, "G", "after-fork"));
    ck_assert(inbox_wait(&in, 2));
    ck_assert(fm_expect_data(&b, b.pg, "after-fork"));
    ck_assert(fm_quiet(&b, 200));
    ck_assert_int_eq(FL_disconnect(a.mb), 0);
    pthread_join(rt, NULL);
    a.mb = -1;
    fm_close(&a);
    fm_close(&b);
    pthread_mutex_destroy(&in.lock);
    pthread_cond_destroy(&in.cond);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("flush_threads");
    TCase *tc = tcase_create("threads");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, blocked_receiver, 0, 2);
    tcase_add_loop_test(tc, crowd_joins, 0, 2);
    tcase_add_loop_test(tc, fork_with_blocked_receiver, 0, 2);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
