/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: SP_init and fork() (shared/spec/lifecycle.md, "SP_init and
 * fork", scenario 4), against a real daemon over the unix socket.
 *
 * Covers:
 * - SP_init returns 0, is idempotent, and may be called by many threads at
 *   once as the process's first library call;
 * - scenario 4, repeated: a thread of the parent is blocked in SP_receive
 *   when the main thread forks; fork returns; the child SP_kills (or
 *   SP_closes) the inherited mailboxes, then connects, joins, multicasts
 *   and receives its own message on a new mailbox; the parent's receiver
 *   keeps receiving on its connection, and a member of the parent's group
 *   sees no membership change: the daemon saw no disconnect;
 * - SP_disconnect in the child on an inherited mailbox ends that session
 *   (members see it; the parent's copy then reads the end of stream);
 * - the child may use an inherited mailbox while the parent leaves it
 *   alone (upstream's rule);
 * - fork while another thread connects and disconnects in a loop.
 *
 * A child never returns into Check: it reports through its exit status
 * (a bit per failed step, see the CHILD_* values) and leaves with _exit,
 * so neither Check's nor the harness's exit handlers run there. The parent
 * waits for it with a deadline and kills it (by pid) if it hangs.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

#if defined(SP_HAVE_INIT) && defined(SP_HAVE_CLOSE)

#define JOIN_MS 10000       /* a thread or child that must end */
#define CHILD_MS 10000

/* Exit status bits of a child: the steps that failed. */
enum {
    CHILD_KILL = 1,         /* SP_kill/SP_close of an inherited mailbox */
    CHILD_CONNECT = 2,
    CHILD_JOIN = 4,         /* join, or its membership view */
    CHILD_SEND = 8,
    CHILD_RECV = 16,        /* its own message did not come back */
    CHILD_DISCONNECT = 32,
    CHILD_RETIRED = 64      /* calls on the killed mailbox not refused */
};

#include "../lib/ckdaemon.h"

/* Wait for child pid by a deadline; kill it if it is still there. Returns
 * its exit code, 128 + signal, or -1 if it had to be killed. */
static int wait_child(pid_t pid, int deadline_ms)
{
    long long end = tc_now_ms() + deadline_ms;
    int status;

    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return -2;
        if (tc_now_ms() >= end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        poll(NULL, 0, 2);   /* polling the child's state by a deadline */
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -3;
}

/* What a child does on a fresh mailbox: connect, join its own group,
 * multicast to it, receive the join view and its own message, and
 * disconnect. Returns CHILD_* bits. Runs in the child: no Check calls. */
static int child_fresh_session(const char *name)
{
    struct tc_msg *m = tc_msg_new();
    char pg[MAX_GROUP_NAME], group[MAX_GROUP_NAME];
    mailbox mb;
    int bits = 0;

    if (m == NULL)
        return CHILD_CONNECT;
    snprintf(group, sizeof group, "kid-%s", name);
    if (SP_connect(daemon_.spread, name, 0, 1, &mb, pg) != ACCEPT_SESSION) {
        tc_msg_free(m);
        return CHILD_CONNECT;
    }
    if (SP_join(mb, group) != 0 ||
        !tc_expect_memb(mb, m, group, CAUSED_BY_JOIN, 1, pg))
        bits |= CHILD_JOIN;
    if (SP_multicast(mb, AGREED_MESS, group, 3, 5, "child") != 5)
        bits |= CHILD_SEND;
    else if (!tc_expect_data(mb, m, pg, "child"))
        bits |= CHILD_RECV;
    if (SP_disconnect(mb) != 0)
        bits |= CHILD_DISCONNECT;
    tc_msg_free(m);
    return bits;
}

/* ---- SP_init ------------------------------------------------------- */

enum { INITS = 8 };

struct init_arg {
    pthread_barrier_t *go;
    int rc;
};

static void *init_main(void *arg)
{
    struct init_arg *a = arg;
    pthread_barrier_wait(a->go);
    a->rc = SP_init();
    return NULL;
}

/* No fixture: SP_init must be this process's first library call (Check
 * runs each test in a fresh child of the runner, which calls none). */
START_TEST(init_concurrent_first_call)
{
    struct init_arg a[INITS];
    pthread_barrier_t go;
    pthread_t t[INITS];
    int i;

    pthread_barrier_init(&go, NULL, INITS);
    for (i = 0; i < INITS; i++) {
        a[i].go = &go;
        a[i].rc = -12345;
        ck_assert_int_eq(pthread_create(&t[i], NULL, init_main, &a[i]), 0);
    }
    for (i = 0; i < INITS; i++)
        ck_assert_int_eq(tc_join(t[i], NULL, JOIN_MS), 0);
    for (i = 0; i < INITS; i++)
        ck_assert_int_eq(a[i].rc, 0);
    pthread_barrier_destroy(&go);
    /* Idempotent, also after implicit initialisation by other calls. */
    ck_assert_int_eq(SP_init(), 0);
    ck_assert_int_eq(SP_poll(-1), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_init(), 0);
}
END_TEST

START_TEST(init_then_use)
{
    char pg[MAX_GROUP_NAME];
    mailbox mb;

    ck_assert_int_eq(SP_init(), 0);
    ck_assert_int_eq(SP_init(), 0);
    mb = connect_as(0, "init", 0, pg);
    ck_assert_int_eq(SP_init(), 0);
    ck_assert_int_eq(SP_multicast(mb, FIFO_MESS, pg, 0, 1, "x"), 1);
    ck_assert(tc_expect_data(mb, msg, pg, "x"));
    ck_assert_int_eq(SP_close(mb), 0);
}
END_TEST

/* ---- scenario 4 ---------------------------------------------------- */

/* The parent's receiver: takes P's join view first, then counts the
 * "parent N" messages, which must come in order. */
struct prx {
    mailbox mb;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pid_t tid;
    int started;    /* took the join view */
    int got;        /* "parent N" messages, in order */
    int wrong;      /* anything else */
    int end;
};

static void *prx_main(void *arg)
{
    struct prx *p = arg;
    struct tc_msg *m = tc_msg_new();
    int r = tc_recv_blocking(p->mb, m), first_ok = r >= 0 && Is_reg_memb_mess(m->service_type);

    pthread_mutex_lock(&p->lock);
    p->tid = tc_gettid();
    p->started = 1;
    p->wrong += !first_ok;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    while (r >= 0) {
        char want[32];
        r = tc_recv_blocking(p->mb, m);
        pthread_mutex_lock(&p->lock);
        if (r >= 0) {
            snprintf(want, sizeof want, "parent %d", p->got);
            if (Is_regular_mess(m->service_type) && strcmp(m->body, want) == 0)
                p->got++;
            else
                p->wrong++;
        } else
            p->end = r;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
    }
    tc_msg_free(m);
    return NULL;
}

/* Wait until the receiver has counted n messages (or anything went
 * wrong). Returns its count. */
static int prx_wait(struct prx *p, int n, int deadline_ms)
{
    struct timespec dl = tc_realtime_after(deadline_ms);
    int rc = 0, got;

    pthread_mutex_lock(&p->lock);
    while (p->got < n && p->wrong == 0 && rc == 0)
        rc = pthread_cond_timedwait(&p->cond, &p->lock, &dl);
    got = p->got;
    pthread_mutex_unlock(&p->lock);
    return got;
}

/* Scenario 4's child: drop the inherited mailboxes without a word to the
 * daemon, then work on a fresh one. */
static void scenario4_child(mailbox p, mailbox obs, int k)
{
    char name[16];
    int bits = 0;

    /* Alternate SP_kill and SP_close: on an inherited mailbox both close
     * only the child's descriptor. */
    if ((k % 2 ? SP_close(p) : SP_kill(p)) != 0 ||
        (k % 2 ? SP_kill(obs) : SP_close(obs)) != 0)
        bits |= CHILD_KILL;
    if (SP_poll(p) != ILLEGAL_SESSION || SP_poll(obs) != ILLEGAL_SESSION ||
        SP_multicast(p, AGREED_MESS, "fam", 0, 1, "x") != ILLEGAL_SESSION)
        bits |= CHILD_RETIRED;
    snprintf(name, sizeof name, "c%d", k);
    bits |= child_fresh_session(name);
    _exit(bits);
}

START_TEST(fork_while_receiving)
{
    int rounds = tc_rounds(500, 30), k, blocked = 0;
    char ppg[MAX_GROUP_NAME], opg[MAX_GROUP_NAME];
    mailbox obs = connect_as(0, "observer", 1, opg);
    mailbox p = connect_as(0, "parent", 1, ppg);
    struct prx rx;
    pthread_t t;
    long long t0 = tc_now_ms(), worst_fork = 0;

    ck_assert_int_eq(SP_join(obs, "fam"), 0);
    ck_assert(tc_expect_memb(obs, msg, "fam", CAUSED_BY_JOIN, 1, opg));
    ck_assert_int_eq(SP_join(p, "fam"), 0);
    ck_assert(tc_expect_memb(obs, msg, "fam", CAUSED_BY_JOIN, 2, ppg));

    memset(&rx, 0, sizeof rx);
    rx.mb = p;
    pthread_mutex_init(&rx.lock, NULL);
    pthread_cond_init(&rx.cond, NULL);
    ck_assert_int_eq(pthread_create(&t, NULL, prx_main, &rx), 0);
    {
        struct timespec dl = tc_realtime_after(JOIN_MS);
        int rc = 0;
        pthread_mutex_lock(&rx.lock);
        while (!rx.started && rc == 0)
            rc = pthread_cond_timedwait(&rx.cond, &rx.lock, &dl);
        pthread_mutex_unlock(&rx.lock);
        ck_assert_msg(rc == 0 && rx.wrong == 0, "receiver did not start");
    }

    for (k = 0; k < rounds; k++) {
        long long f0;
        char body[32];
        pid_t pid;
        int code, len;

        /* The receiver is inside SP_receive, holding its locks. */
        blocked += tc_wait_in_socket_read(rx.tid, 2000);
        f0 = tc_now_ms();
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            scenario4_child(p, obs, k);     /* does not return */
        if (tc_now_ms() - f0 > worst_fork)
            worst_fork = tc_now_ms() - f0;
        code = wait_child(pid, CHILD_MS);
        ck_assert_msg(code == 0, "round %d: child exit status %d (bits of "
                      "CHILD_*; -1: hung and killed)", k, code);

        /* The parent's connection is intact: its receiver gets the next
         * message, and the observer sees it with no view before it. */
        len = snprintf(body, sizeof body, "parent %d", k);
        ck_assert_int_eq(SP_multicast(p, AGREED_MESS, "fam", 0, len, body), len);
        ck_assert_msg(prx_wait(&rx, k + 1, 5000) == k + 1, "round %d: the "
                      "parent's receiver did not get its message", k);
        ck_assert_msg(tc_expect_data(obs, msg, ppg, body), "round %d: observer", k);
    }
    ck_assert(tc_quiet(obs, 200));
    ck_assert_int_eq(rx.wrong, 0);

    ck_assert_int_eq(SP_disconnect(p), 0);
    ck_assert_int_eq(tc_join(t, NULL, JOIN_MS), 0);
    ck_assert_int_eq(rx.end, CONNECTION_CLOSED);
    ck_assert(tc_expect_memb(obs, msg, "fam", CAUSED_BY_DISCONNECT, 1, ppg));
    ck_assert_int_eq(SP_close(obs), 0);
    pthread_mutex_destroy(&rx.lock);
    pthread_cond_destroy(&rx.cond);
    fprintf(stderr, "fork_while_receiving: %d rounds in %lld ms, receiver seen "
                    "blocked before %d forks, slowest fork() %lld ms\n",
            rounds, tc_now_ms() - t0, blocked, worst_fork);
    if (tc_wchan_supported())
        ck_assert_int_ge(blocked * 10, rounds * 9);
}
END_TEST

/* ---- SP_disconnect in the child ------------------------------------ */

START_TEST(child_disconnect_ends_session)
{
    char ppg[MAX_GROUP_NAME], opg[MAX_GROUP_NAME];
    mailbox obs = connect_as(0, "observer", 1, opg);
    mailbox p = connect_as(0, "parent", 1, ppg);
    long long t0;
    pid_t pid;
    int r;

    ck_assert_int_eq(SP_join(obs, "fam"), 0);
    ck_assert(tc_expect_memb(obs, msg, "fam", CAUSED_BY_JOIN, 1, opg));
    ck_assert_int_eq(SP_join(p, "fam"), 0);
    ck_assert(tc_expect_memb(obs, msg, "fam", CAUSED_BY_JOIN, 2, ppg));
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* An explicit request to end the session, then the child's own
         * copy is gone too. */
        int bits = SP_disconnect(p) == 0 ? 0 : CHILD_DISCONNECT;
        if (SP_poll(p) != ILLEGAL_SESSION)
            bits |= CHILD_RETIRED;
        _exit(bits);
    }
    ck_assert_int_eq(wait_child(pid, CHILD_MS), 0);
    ck_assert(tc_expect_memb(obs, msg, "fam", CAUSED_BY_DISCONNECT, 1, ppg));
    /* The parent's copy: the child took everything up to the daemon's
     * acknowledgement, so what is left is the end of the stream. */
    r = tc_recv(p, msg, 5000);
    ck_assert_msg(r == CONNECTION_CLOSED, "parent's receive gave %d", r);
    t0 = tc_now_ms();
    ck_assert_int_eq(SP_close(p), 0);
    ck_assert_int_lt(tc_now_ms() - t0, 2500);
    ck_assert(tc_quiet(obs, 200));
    ck_assert_int_eq(SP_close(obs), 0);
}
END_TEST

/* ---- the child uses an inherited mailbox ---------------------------- */

START_TEST(child_uses_inherited_mailbox)
{
    char ppg[MAX_GROUP_NAME], opg[MAX_GROUP_NAME];
    mailbox obs = connect_as(0, "observer", 1, opg);
    mailbox p = connect_as(0, "parent", 1, ppg);
    pid_t pid;

    ck_assert_int_eq(SP_join(obs, "fam"), 0);
    ck_assert(tc_expect_memb(obs, msg, "fam", CAUSED_BY_JOIN, 1, opg));
    ck_assert_int_eq(SP_join(p, "fam"), 0);
    ck_assert(tc_expect_memb(obs, msg, "fam", CAUSED_BY_JOIN, 2, ppg));
    ck_assert(tc_expect_memb(p, msg, "fam", CAUSED_BY_JOIN, 2, ppg));
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* The parent leaves p alone meanwhile: the child may send on it,
         * and then lets go of its copy without telling the daemon. */
        int bits = 0;
        if (SP_multicast(p, AGREED_MESS, "fam", 0, 10, "from child") != 10)
            bits |= CHILD_SEND;
        if (SP_close(p) != 0 || SP_kill(obs) != 0)
            bits |= CHILD_KILL;
        _exit(bits);
    }
    ck_assert_int_eq(wait_child(pid, CHILD_MS), 0);
    ck_assert(tc_expect_data(obs, msg, ppg, "from child"));
    ck_assert(tc_expect_data(p, msg, ppg, "from child"));
    ck_assert_int_eq(SP_multicast(p, AGREED_MESS, "fam", 0, 11, "from parent"), 11);
    ck_assert(tc_expect_data(obs, msg, ppg, "from parent"));
    ck_assert(tc_expect_data(p, msg, ppg, "from parent"));
    ck_assert_int_eq(SP_close(p), 0);
    ck_assert(tc_expect_memb(obs, msg, "fam", CAUSED_BY_DISCONNECT, 1, ppg));
    ck_assert_int_eq(SP_close(obs), 0);
}
END_TEST

/* ---- fork while another thread churns the session table ------------- */

struct churn {
    pthread_mutex_t lock;
    int stop, rounds, fails;
};

static void *churn_main(void *arg)
{
    struct churn *c = arg;
    int stop = 0, n = 0, fails = 0;

    while (!stop) {
        char pg[MAX_GROUP_NAME];
        mailbox mb;
        if (SP_connect(daemon_.spread, "churn", 0, 0, &mb, pg) != ACCEPT_SESSION ||
            SP_multicast(mb, FIFO_MESS, pg, 0, 2, "c") != 2 ||
            (n % 2 ? SP_disconnect(mb) : SP_close(mb)) != 0)
            fails++;
        n++;
        pthread_mutex_lock(&c->lock);
        stop = c->stop;
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_lock(&c->lock);
    c->rounds = n;
    c->fails = fails;
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

START_TEST(fork_during_connect_churn)
{
    int rounds = tc_rounds(100, 10), k;
    struct churn c;
    pthread_t t;

    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.lock, NULL);
    ck_assert_int_eq(pthread_create(&t, NULL, churn_main, &c), 0);
    for (k = 0; k < rounds; k++) {
        char name[16];
        pid_t pid;
        int code;

        snprintf(name, sizeof name, "f%d", k);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            _exit(child_fresh_session(name));
        code = wait_child(pid, CHILD_MS);
        ck_assert_msg(code == 0, "round %d: child exit status %d", k, code);
    }
    pthread_mutex_lock(&c.lock);
    c.stop = 1;
    pthread_mutex_unlock(&c.lock);
    ck_assert_int_eq(tc_join(t, NULL, JOIN_MS), 0);
    ck_assert_int_eq(c.fails, 0);
    fprintf(stderr, "fork_during_connect_churn: %d forks while the other "
                    "thread ran %d connect/disconnect rounds\n", rounds, c.rounds);
    pthread_mutex_destroy(&c.lock);
}
END_TEST

static Suite *fork_suite(void)
{
    Suite *s = suite_create("fork");
    TCase *bare = tcase_create("init");
    TCase *tc = tcase_create("fork");

    tcase_set_timeout(bare, 30);
    tcase_add_test(bare, init_concurrent_first_call);
    suite_add_tcase(s, bare);

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, init_then_use);
    tcase_add_test(tc, fork_while_receiving);
    tcase_add_test(tc, child_disconnect_ends_session);
    tcase_add_test(tc, child_uses_inherited_mailbox);
    tcase_add_test(tc, fork_during_connect_churn);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(fork_suite());
}

#else /* !(SP_HAVE_INIT && SP_HAVE_CLOSE) */

int main(void)
{
    fprintf(stderr, "SKIP: this libspread has no SP_init/SP_close\n");
    return 77;
}

#endif
