/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * splifecycle: a walk through the race-free connection lifecycle
 * (../shared/spec/lifecycle.md) against a running daemon. Each of seven
 * steps prints one numbered line with what it observed and "ok" or
 * "FAILED"; the exit status is 0 only if every step behaved as the
 * contract says. Every wait has a deadline, and a watchdog thread ends the
 * program if a library call never returns, so a broken library shows up
 * as FAILED, never as a hang. Threads share state with the main thread
 * only through the mutex and condition variable of each record below.
 * About 1,200 lines: one function per step (the fork child has its own),
 * plus the receiver threads and timed waits they share; it is kept in one
 * file so that it reads top to bottom as the walk it demonstrates. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "sp.h"

#define PROG "splifecycle"
#define OPT_NAME_LEN 80
#define PREFIX_MAX (MAX_PRIVATE_NAME - 1)  /* a letter is appended */
#define DEFAULT_GROUP "lifecycle-demo"
#define MAX_MEMBERS 100
#define RECV_BUF 2048
#define TOKEN_TYPE 7            /* mess_type of the demo's own messages */
#define NSTEPS 7
#define FILE_TEXT "splifecycle: this file must stay untouched\n"

/* Deadlines, in milliseconds. */
#define WAKE_MS 1000            /* a blocked receiver returns within 1 s */
#define DISCONNECT_MS 2500      /* SP_disconnect's own bound is 2 s */
#define WAIT_MS 5000            /* a message, a thread, a call */
#define CHILD_MS 15000          /* the whole fork child */
#define WATCHDOG_MS 90000       /* the whole run */

/* The receiving thread of one mailbox. It counts what it receives and
 * ends at the first error, which is the point of the demonstration. */
struct receiver {
    const char *name;           /* "A" or "B" */
    mailbox mbox;
    char self[MAX_GROUP_NAME];  /* the mailbox's private group */
    pthread_t thread;
    int running;                /* created and not yet joined */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* lock: */
    long tid;                   /* kernel thread id (Linux), else 0 */
    int receiving;              /* inside, or about to enter, SP_receive */
    unsigned long returns;      /* SP_receive calls that returned */
    int last_token;             /* highest own "token N" received */
    int done;                   /* SP_receive failed; the thread ended */
    int result;
    double done_at;
    /* the thread's own buffers */
    char sender[MAX_GROUP_NAME];
    char groups[MAX_MEMBERS][MAX_GROUP_NAME];
    char body[RECV_BUF];
};

/* One library call made from a thread of its own, so that the caller can
 * wait for it with a deadline (and, for SP_disconnect, to show that it is
 * safe from any thread). */
struct call {
    int (*fn)(mailbox);
    mailbox mbox;
    pthread_t thread;
    int running;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* lock: */
    int done;
    int result;
    double started, ended;
};

struct demo {
    /* options */
    char spread_name[OPT_NAME_LEN];
    char prefix[PREFIX_MAX + 1];
    char group[MAX_GROUP_NAME];
    int quiet;
    /* outcome */
    atomic_int step;            /* the step running, for the watchdog */
    int failed;
    char first_failure[1040];   /* "step N: " and a line */
    /* the walk */
    mailbox a, b;
    char pg_a[MAX_GROUP_NAME], pg_b[MAX_GROUP_NAME];
    struct receiver ra, rb;
    struct call disconnect_a, close_a, close_b;
    int file_fd;
    char file_path[256];
};

/* One output line, built piece by piece. */
struct line {
    char text[1024];
    size_t len;
};

/* A message received by the fork child. */
struct msg {
    service st;
    char sender[MAX_GROUP_NAME];
    char groups[MAX_MEMBERS][MAX_GROUP_NAME];
    int ngroups;
    int16 type;
    char body[RECV_BUF];
    int len;
};

#define RECV_TIMEOUT (-1000)    /* recv_by(): the deadline passed */

/* ---- small helpers ----------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static struct timespec deadline_in(long ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Condition variables wait on the monotonic clock: deadlines must not
 * move with the wall clock. */
static void sync_init(pthread_mutex_t *m, pthread_cond_t *c)
{
    pthread_condattr_t attr;

    pthread_mutex_init(m, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
}

static void add(struct line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (l->len >= sizeof(l->text) - 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(l->text + l->len, sizeof(l->text) - l->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n;
    if (l->len > sizeof(l->text) - 1)
        l->len = sizeof(l->text) - 1;
}

/* The name of an SP_* result, as written in sp.h. */
static const char *code_name(int rc)
{
    static const struct { int code; const char *name; } names[] = {
        { ACCEPT_SESSION, "ACCEPT_SESSION" },
        { CONNECTION_CLOSED, "CONNECTION_CLOSED" },
        { ILLEGAL_SESSION, "ILLEGAL_SESSION" },
        { ILLEGAL_MESSAGE, "ILLEGAL_MESSAGE" },
        { ILLEGAL_GROUP, "ILLEGAL_GROUP" },
        { BUFFER_TOO_SHORT, "BUFFER_TOO_SHORT" },
        { GROUPS_TOO_SHORT, "GROUPS_TOO_SHORT" },
        { NET_ERROR_ON_SESSION, "NET_ERROR_ON_SESSION" },
        { SP_BUG, "SP_BUG" },
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].code == rc)
            return names[i].name;
    return NULL;
}

static void add_code(struct line *l, int rc)
{
    const char *name = code_name(rc);

    if (rc >= 0 && rc != ACCEPT_SESSION)
        add(l, "%d", rc);
    else if (name != NULL)
        add(l, "%s", name);
    else
        add(l, "%d (%s)", rc, SP_strerror(rc));
}

/* ---- output and outcome ------------------------------------------------ */

static void final_line(struct demo *d)
{
    if (d->failed == 0)
        printf(PROG ": all %d steps ok\n", NSTEPS);
    else
        printf(PROG ": FAILED (%d step%s): %s\n", d->failed,
               d->failed == 1 ? "" : "s", d->first_failure);
    fflush(stdout);
}

static void step_end(struct demo *d, int n, const struct line *l, int ok)
{
    if (!d->quiet) {
        printf("%d. %s ... %s\n", n, l->text, ok ? "ok" : "FAILED");
        fflush(stdout);
    }
    if (!ok && d->failed++ == 0)
        snprintf(d->first_failure, sizeof(d->first_failure), "step %d: %s",
                 n, l->text);
}

static void detail(const struct demo *d, const char *text, size_t len)
{
    if (!d->quiet && len > 0) {
        printf("   %.*s\n", (int)len, text);
        fflush(stdout);
    }
}

static void cleanup_file(struct demo *d)
{
    if (d->file_fd >= 0)
        close(d->file_fd);
    d->file_fd = -1;
    if (d->file_path[0] != '\0')
        unlink(d->file_path);
    d->file_path[0] = '\0';
}

/* The walk cannot go on: report the step and leave. Threads still blocked
 * in the library end with the process. */
static void give_up(struct demo *d, int n, struct line *l)
    __attribute__((noreturn));

static void give_up(struct demo *d, int n, struct line *l)
{
    step_end(d, n, l, 0);
    cleanup_file(d);
    final_line(d);
    exit(1);
}

static void timed_out(struct demo *d, int n, struct line *l, long ms,
                      const char *what) __attribute__((noreturn));

static void timed_out(struct demo *d, int n, struct line *l, long ms,
                      const char *what)
{
    add(l, "timed out after %ld ms waiting for %s", ms, what);
    give_up(d, n, l);
}

static void *watchdog_main(void *arg)
{
    struct demo *d = arg;

    nap_ms(WATCHDOG_MS);
    printf(PROG ": FAILED: step %d did not finish within %d s (a library "
           "call never returned)\n", atomic_load(&d->step), WATCHDOG_MS / 1000);
    fflush(stdout);
    if (d->file_path[0] != '\0')
        unlink(d->file_path);
    _exit(1);
}

/* ---- the receiver thread ----------------------------------------------- */

static long my_tid(void)
{
#ifdef __linux__
    return (long)syscall(SYS_gettid);
#else
    return 0;
#endif
}

/* Notes one received message (r->lock held). */
static void rx_note(struct receiver *r, int ret, service st, int16 type)
{
    int token;

    if (ret < 0 || !Is_regular_mess(st) || type != TOKEN_TYPE ||
        strncmp(r->sender, r->self, MAX_GROUP_NAME) != 0)
        return;
    r->body[ret < RECV_BUF ? ret : RECV_BUF - 1] = '\0';
    if (sscanf(r->body, "token %d", &token) == 1 && token > r->last_token)
        r->last_token = token;
}

static void *rx_main(void *arg)
{
    struct receiver *r = arg;
    service st;
    int16 type;
    int ret, ngroups, endian;

    pthread_mutex_lock(&r->lock);
    r->tid = my_tid();
    r->receiving = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    for (;;) {
        st = DROP_RECV;         /* cut what does not fit; never stall */
        type = 0;
        ngroups = endian = 0;
        ret = SP_receive(r->mbox, &st, r->sender, MAX_MEMBERS, &ngroups,
                         r->groups, &type, &endian, RECV_BUF - 1, r->body);
        pthread_mutex_lock(&r->lock);
        r->receiving = 0;
        r->returns++;
        if (ret < 0 && ret != BUFFER_TOO_SHORT && ret != GROUPS_TOO_SHORT) {
            r->done = 1;
            r->result = ret;
            r->done_at = now_ms();
            pthread_cond_broadcast(&r->cond);
            pthread_mutex_unlock(&r->lock);
            return NULL;
        }
        rx_note(r, ret, st, type);
        r->receiving = 1;
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
    }
}

static int rx_start(struct receiver *r, const char *name, mailbox m,
                    const char *self)
{
    r->name = name;
    r->mbox = m;
    memcpy(r->self, self, MAX_GROUP_NAME);
    sync_init(&r->lock, &r->cond);
    if (pthread_create(&r->thread, NULL, rx_main, r) != 0)
        return -1;
    r->running = 1;
    return 0;
}

enum rx_until { RX_TOKEN, RX_RECEIVING, RX_DONE };

static int rx_holds(const struct receiver *r, enum rx_until u, int token)
{
    switch (u) {
    case RX_TOKEN:
        return r->last_token >= token || r->done;
    case RX_RECEIVING:
        return r->receiving || r->done;
    case RX_DONE:
        return r->done;
    }
    return 1;
}

/* 1 once the condition holds, 0 if the deadline passed first. */
static int rx_wait(struct receiver *r, enum rx_until u, int token, long ms)
{
    struct timespec dl = deadline_in(ms);
    int ok;

    pthread_mutex_lock(&r->lock);
    while (!(ok = rx_holds(r, u, token)))
        if (pthread_cond_timedwait(&r->cond, &r->lock, &dl) == ETIMEDOUT) {
            ok = rx_holds(r, u, token);
            break;
        }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

/* Whether the receiver has ended, and with what (read under its lock). */
static int rx_ended(struct receiver *r, int *result)
{
    int done;

    pthread_mutex_lock(&r->lock);
    done = r->done;
    *result = r->result;
    pthread_mutex_unlock(&r->lock);
    return done;
}

/* Tells how the receiver, blocked when a call that ends its mailbox
 * began at `started` (`mark`: its returns until then), came back. 1 if
 * the contract allows it: CONNECTION_CLOSED within WAKE_MS; or messages
 * the daemon had sent before, and then ILLEGAL_SESSION from a next call
 * that started after the mailbox was retired. */
static int add_wake(struct line *l, struct receiver *r, unsigned long mark,
                    double started)
{
    unsigned long first;
    double wake;
    int result;

    pthread_mutex_lock(&r->lock);
    first = r->returns - 1 - mark;
    wake = r->done_at - started;
    result = r->result;
    pthread_mutex_unlock(&r->lock);
    if (first > 0)
        add(l, "%lu message%s sent before, then ", first,
            first == 1 ? "" : "s");
    add_code(l, result);
    if (first > 0 && result == ILLEGAL_SESSION)
        add(l, " (its next call started after the mailbox was retired)");
    add(l, " %.1f ms after the call began", wake);
    return wake <= WAKE_MS &&
           (result == CONNECTION_CLOSED ||
            (first > 0 && result == ILLEGAL_SESSION));
}

/* State letter of a thread of this process from /proc ('S': asleep), or
 * 0 where there is no /proc. */
static char thread_state(long tid)
{
    char path[64], buf[512];
    const char *p;
    FILE *fp;
    size_t n;

    if (tid <= 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/self/task/%ld/stat", tid);
    fp = fopen(path, "r");
    if (fp == NULL)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    p = strrchr(buf, ')');      /* the thread name may hold anything */
    return p != NULL && p[1] == ' ' ? p[2] : 0;
}

/* After the receiver took its own message: wait until it sits in
 * SP_receive again. Established through /proc where there is one (the
 * thread is asleep, and has not returned meanwhile), else by giving it
 * 100 ms to get there. Returns 1 (how says which; mark is the number of
 * calls returned before the blocked one), 0 if the receiver ended, -1 at
 * the deadline. */
static int rx_blocked(struct receiver *r, const char **how,
                      unsigned long *mark)
{
    double end = now_ms() + WAIT_MS;
    unsigned long returns;
    long tid;
    int done;
    char st;

    while (now_ms() < end) {
        if (!rx_wait(r, RX_RECEIVING, 0, (long)(end - now_ms()) + 1))
            return -1;
        pthread_mutex_lock(&r->lock);
        returns = r->returns;
        tid = r->tid;
        done = r->done;
        pthread_mutex_unlock(&r->lock);
        if (done)
            return 0;
        st = thread_state(tid);
        if (st == 0) {
            nap_ms(100);
            *how = "still there after 100 ms";
        } else if (st != 'S') {
            nap_ms(1);
            continue;
        } else {
            *how = "the thread is asleep according to /proc";
        }
        pthread_mutex_lock(&r->lock);
        st = r->receiving && r->returns == returns;
        pthread_mutex_unlock(&r->lock);
        if (st) {
            *mark = returns;    /* the calls returned before this one */
            return 1;
        }                       /* else another message came in: again */
    }
    return -1;
}

/* Step n needs r blocked in SP_receive: returns how that was established
 * and sets *mark (see rx_blocked), or ends the walk. */
static const char *ensure_blocked(struct demo *d, int n, struct line *l,
                                  struct receiver *r, unsigned long *mark)
{
    const char *how = "";
    int rc = rx_blocked(r, &how, mark), result;

    if (rc < 0)
        timed_out(d, n, l, WAIT_MS, r == &d->ra
                  ? "the receiver on A to block in SP_receive(A)"
                  : "the receiver on B to block in SP_receive(B)");
    if (rc == 0) {
        rx_ended(r, &result);
        add(l, "SP_receive(%s) = ", r->name);
        add_code(l, result);
        add(l, " while it should have been blocked");
        give_up(d, n, l);
    }
    return how;
}

/* Waits for a thread that has announced it is done (or is about to be). */
static int join_thread(pthread_t *t, int *running)
{
    if (!*running)
        return 0;
    pthread_join(*t, NULL);
    *running = 0;
    return 1;
}

/* ---- calls in a thread of their own ------------------------------------ */

static void *call_main(void *arg)
{
    struct call *c = arg;
    double t0, t1;
    int rc;

    t0 = now_ms();
    pthread_mutex_lock(&c->lock);
    c->started = t0;
    pthread_mutex_unlock(&c->lock);
    rc = c->fn(c->mbox);
    t1 = now_ms();
    pthread_mutex_lock(&c->lock);
    c->result = rc;
    c->ended = t1;
    c->done = 1;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Runs fn(m) in a new thread and waits at most ms for it to return.
 * Returns 1 if it returned, 0 at the deadline, -1 if no thread. */
static int call_run(struct call *c, int (*fn)(mailbox), mailbox m, long ms)
{
    struct timespec dl;
    int done;

    c->fn = fn;
    c->mbox = m;
    sync_init(&c->lock, &c->cond);
    if (pthread_create(&c->thread, NULL, call_main, c) != 0)
        return -1;
    c->running = 1;
    dl = deadline_in(ms);
    pthread_mutex_lock(&c->lock);
    while (!c->done)
        if (pthread_cond_timedwait(&c->cond, &c->lock, &dl) == ETIMEDOUT)
            break;
    done = c->done;
    pthread_mutex_unlock(&c->lock);
    return done;
}

/* ---- Spread helpers ---------------------------------------------------- */

static int connect_as(const struct demo *d, char letter, mailbox *m,
                      char *private_group)
{
    char name[MAX_PRIVATE_NAME + 1];
    sp_time timeout = { 5, 0 };

    snprintf(name, sizeof(name), "%s%c", d->prefix, letter);
    return SP_connect_timeout(d->spread_name, name, 0, 1, m, private_group,
                              timeout);
}

static int send_token(const struct demo *d, mailbox m, int token)
{
    char body[32];
    int len = snprintf(body, sizeof(body), "token %d", token);

    return SP_multicast(m, AGREED_MESS, d->group, TOKEN_TYPE, len, body);
}

/* A receive that gives up at a deadline (the mailbox is the socket, so
 * poll() tells when SP_receive will not block). Returns SP_receive's
 * result or RECV_TIMEOUT. */
static int recv_by(mailbox m, struct msg *msg, double deadline)
{
    struct pollfd p;
    int left, ret, endian = 0;

    for (;;) {
        left = (int)(deadline - now_ms());
        if (left <= 0)
            return RECV_TIMEOUT;
        p.fd = m;
        p.events = POLLIN;
        p.revents = 0;
        ret = poll(&p, 1, left);
        if (ret > 0)
            break;
        if (ret < 0 && errno != EINTR)
            return RECV_TIMEOUT;
    }
    msg->st = DROP_RECV;
    msg->ngroups = 0;
    ret = SP_receive(m, &msg->st, msg->sender, MAX_MEMBERS, &msg->ngroups,
                     msg->groups, &msg->type, &endian, RECV_BUF - 1,
                     msg->body);
    msg->len = ret < 0 ? 0 : ret > RECV_BUF - 1 ? RECV_BUF - 1 : ret;
    msg->body[msg->len] = '\0';
    return ret;
}

/* ---- the steps ----------------------------------------------------------- */

static void step1_connect(struct demo *d)
{
    struct line l = { .len = 0 };
    int rc, ok;

    atomic_store(&d->step, 1);
    rc = SP_init();
    ok = rc == 0;
    add(&l, "SP_init() = %d; ", rc);
    rc = connect_as(d, 'a', &d->a, d->pg_a);
    if (rc != ACCEPT_SESSION) {
        add(&l, "SP_connect(\"%s\", \"%sa\") = %d (%s)", d->spread_name,
            d->prefix, rc, SP_strerror(rc));
        if (rc == COULD_NOT_CONNECT)
            add(&l, " (is a daemon running? see -s)");
        give_up(d, 1, &l);
    }
    add(&l, "mailbox A = %d, private group %s; ", d->a, d->pg_a);
    rc = SP_join(d->a, d->group);
    add(&l, "SP_join(A, \"%s\") = ", d->group);
    add_code(&l, rc);
    step_end(d, 1, &l, ok && rc == 0);
}

static void step2_block(struct demo *d)
{
    struct line l = { .len = 0 };
    const char *how = "";
    unsigned long mark;
    int rc;

    atomic_store(&d->step, 2);
    if (rx_start(&d->ra, "A", d->a, d->pg_a) != 0) {
        add(&l, "cannot start a thread");
        give_up(d, 2, &l);
    }
    add(&l, "receiver thread on A: ");
    rc = send_token(d, d->a, 1);
    if (rc < 0) {
        add(&l, "SP_multicast(A) to itself = ");
        add_code(&l, rc);
        give_up(d, 2, &l);
    }
    if (!rx_wait(&d->ra, RX_TOKEN, 1, WAIT_MS))
        timed_out(d, 2, &l, WAIT_MS, "the receiver to get A's own message");
    if (rx_ended(&d->ra, &rc)) {
        add(&l, "SP_receive(A) = ");
        add_code(&l, rc);
        add(&l, " before A's own message arrived");
        give_up(d, 2, &l);
    }
    add(&l, "got A's own message, ");
    how = ensure_blocked(d, 2, &l, &d->ra, &mark);
    add(&l, "then blocked in SP_receive(A) again (%s)", how);
    step_end(d, 2, &l, 1);
}

static void step3_disconnect(struct demo *d)
{
    struct line l = { .len = 0 };
    struct receiver *r = &d->ra;
    struct call *c = &d->disconnect_a;
    unsigned long mark;
    double took;
    int rc, ok;

    atomic_store(&d->step, 3);
    /* Messages from other members may have woken it since step 2. */
    ensure_blocked(d, 3, &l, r, &mark);
    add(&l, "closer thread: SP_disconnect(A) = ");
    rc = call_run(c, SP_disconnect, d->a, DISCONNECT_MS + WAIT_MS);
    if (rc < 0) {
        add(&l, "(cannot start a thread)");
        give_up(d, 3, &l);
    }
    if (rc == 0)
        timed_out(d, 3, &l, DISCONNECT_MS + WAIT_MS,
                  "SP_disconnect(A) to return");
    took = c->ended - c->started;
    add_code(&l, c->result);
    add(&l, " in %.1f ms; ", took);
    if (!rx_wait(r, RX_DONE, 0, WAIT_MS))
        timed_out(d, 3, &l, WAIT_MS,
                  "the blocked SP_receive(A) to return after SP_disconnect(A)");
    add(&l, "the blocked receiver returned ");
    ok = add_wake(&l, r, mark, c->started);
    ok = ok && c->result == 0 && took <= DISCONNECT_MS;
    if (!ok)
        add(&l, " [expected: 0 within %d ms; CONNECTION_CLOSED within %d ms]",
            DISCONNECT_MS, WAKE_MS);
    step_end(d, 3, &l, ok);
}

static void step4_retired(struct demo *d)
{
    struct line l = { .len = 0 };
    struct msg *m = calloc(1, sizeof(*m));
    int rc1, rc2, closed, ok, endian = 0;

    atomic_store(&d->step, 4);
    if (m == NULL) {
        add(&l, "out of memory");
        give_up(d, 4, &l);
    }
    m->st = 0;
    rc1 = SP_receive(d->a, &m->st, m->sender, MAX_MEMBERS, &m->ngroups,
                     m->groups, &m->type, &endian, RECV_BUF, m->body);
    rc2 = SP_multicast(d->a, AGREED_MESS, d->group, TOKEN_TYPE, 5, "hello");
    closed = fcntl(d->a, F_GETFD) == -1 && errno == EBADF;
    free(m);
    add(&l, "calls on A after the disconnect: SP_receive(A) = ");
    add_code(&l, rc1);
    add(&l, ", SP_multicast(A) = ");
    add_code(&l, rc2);
    add(&l, "; descriptor %d is %s", d->a,
        closed ? "closed (the library touched nothing)"
               : "STILL OPEN after every call on it returned");
    ok = rc1 == ILLEGAL_SESSION && rc2 == ILLEGAL_SESSION && closed;
    step_end(d, 4, &l, ok);
}

/* A temporary file on descriptor number A. The OS normally picks that
 * number by itself (the lowest free one); if not, and A is free, the file
 * is moved there. Returns 0, or -1 with the reason added to l. */
static int file_on_a(struct demo *d, struct line *l)
{
    const char *tmp = getenv("TMPDIR");
    size_t len = strlen(FILE_TEXT);
    int fd;

    snprintf(d->file_path, sizeof(d->file_path), "%s/" PROG "-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    fd = mkstemp(d->file_path);
    if (fd < 0) {
        add(l, "cannot create %s: %s", d->file_path, strerror(errno));
        d->file_path[0] = '\0';
        return -1;
    }
    d->file_fd = fd;
    if (write(fd, FILE_TEXT, len) != (ssize_t)len) {
        add(l, "cannot write %s", d->file_path);
        return -1;
    }
    add(l, "a temporary file opened as descriptor %d", fd);
    if (fd == d->a) {
        add(l, " (the OS gave it A's number); ");
    } else if (fcntl(d->a, F_GETFD) == -1 && errno == EBADF &&
               dup2(fd, d->a) == d->a) {
        close(fd);
        d->file_fd = d->a;
        add(l, ", moved to A's number %d with dup2(); ", d->a);
    } else {
        add(l, ", and descriptor %d (A) is in use by something else", d->a);
        return -1;
    }
    lseek(d->file_fd, 0, SEEK_SET);   /* a stray read or write would move it */
    return 0;
}

/* 1 if the file still holds exactly FILE_TEXT and its offset is 0. */
static int file_untouched(const struct demo *d)
{
    char buf[sizeof(FILE_TEXT) + 16];
    struct stat st;
    ssize_t n;

    if (fstat(d->file_fd, &st) != 0 ||
        st.st_size != (off_t)strlen(FILE_TEXT) ||
        lseek(d->file_fd, 0, SEEK_CUR) != 0)
        return 0;
    n = pread(d->file_fd, buf, sizeof(buf), 0);
    return n == (ssize_t)strlen(FILE_TEXT) &&
           memcmp(buf, FILE_TEXT, (size_t)n) == 0;
}

static void step5_reuse(struct demo *d)
{
    struct line l = { .len = 0 };
    struct msg *m;
    int rc, rc1, rc2, ok, endian = 0;

    atomic_store(&d->step, 5);
    rc = connect_as(d, 'b', &d->b, d->pg_b);
    if (rc != ACCEPT_SESSION) {
        add(&l, "reconnecting: SP_connect = ");
        add_code(&l, rc);
        give_up(d, 5, &l);
    }
    rc = SP_join(d->b, d->group);
    add(&l, "reconnected at once: mailbox B = %d (%s), %s A = %d, which is "
        "quarantined; SP_join(B) = ", d->b, d->pg_b,
        d->b != d->a ? "not" : "THE SAME AS", d->a);
    add_code(&l, rc);
    add(&l, "; ");
    ok = d->b != d->a && rc == 0;
    if (file_on_a(d, &l) != 0)
        give_up(d, 5, &l);
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        add(&l, "out of memory");
        give_up(d, 5, &l);
    }
    rc1 = SP_multicast(d->a, AGREED_MESS, d->group, TOKEN_TYPE, 5, "hello");
    rc2 = SP_receive(d->a, &m->st, m->sender, MAX_MEMBERS, &m->ngroups,
                     m->groups, &m->type, &endian, RECV_BUF, m->body);
    free(m);
    add(&l, "SP_multicast(A) = ");
    add_code(&l, rc1);
    add(&l, ", SP_receive(A) = ");
    add_code(&l, rc2);
    rc = file_untouched(d);
    add(&l, "; the file is %s", rc ? "untouched" : "MODIFIED OR READ");
    ok = ok && rc1 == ILLEGAL_SESSION && rc2 == ILLEGAL_SESSION && rc;
    step_end(d, 5, &l, ok);
}

/* The fork child's walk, reported line by line on out. Returns the exit
 * status: 0 if everything went as the contract says. */
static int child_walk(const struct demo *d, FILE *out, struct msg *m)
{
    double deadline = now_ms() + CHILD_MS - 1000;
    char pg_c[MAX_GROUP_NAME];
    membership_info info;
    mailbox c = -1;
    int rc, i, found = 0, ok;

    rc = SP_kill(d->b);
    fprintf(out, "child: SP_kill(B = %d) = %d (closes the child's copy "
            "only; nothing is sent to the daemon)\n", d->b, rc);
    ok = rc == 0;
    rc = connect_as(d, 'c', &c, pg_c);
    if (rc != ACCEPT_SESSION) {
        fprintf(out, "child: SP_connect = %d: %s\n", rc, SP_strerror(rc));
        return 1;
    }
    rc = SP_join(c, d->group);
    fprintf(out, "child: new mailbox C = %d, private group %s; "
            "SP_join(C) = %d\n", c, pg_c, rc);
    ok = ok && rc == 0;
    /* Our own join: its member list shows whether B is still there. */
    for (;;) {
        rc = recv_by(c, m, deadline);
        if (rc < 0 && rc != BUFFER_TOO_SHORT && rc != GROUPS_TOO_SHORT)
            break;
        if (Is_reg_memb_mess(m->st) && Is_caused_join_mess(m->st) &&
            SP_get_memb_info(m->body, m->st, &info) >= 0 &&
            strncmp(info.changed_member, pg_c, MAX_GROUP_NAME) == 0)
            break;
    }
    if (rc < 0) {
        fprintf(out, "child: no membership for C's join (%s)\n",
                rc == RECV_TIMEOUT ? "timed out" : SP_strerror(rc));
        return 1;
    }
    for (i = 0; i < m->ngroups && i < MAX_MEMBERS; i++)
        if (strncmp(m->groups[i], d->pg_b, MAX_GROUP_NAME) == 0)
            found = 1;
    fprintf(out, "child: the join shows %d members, %s\n", m->ngroups,
            found ? "B among them: the daemon saw no disconnect of B"
                  : "B NOT AMONG THEM: the daemon lost B");
    ok = ok && found;
    rc = send_token(d, c, 1);
    while (rc >= 0) {
        rc = recv_by(c, m, deadline);
        if (rc >= 0 && Is_regular_mess(m->st) && m->type == TOKEN_TYPE &&
            strncmp(m->sender, pg_c, MAX_GROUP_NAME) == 0 &&
            strcmp(m->body, "token 1") == 0)
            break;
    }
    fprintf(out, "child: multicast on C and received it back: %s\n",
            rc >= 0 ? "yes" : rc == RECV_TIMEOUT ? "NO (timed out)"
                                                 : SP_strerror(rc));
    ok = ok && rc >= 0;
    rc = SP_close(c);
    fprintf(out, "child: SP_close(C) = %d; exiting with status %d\n", rc,
            ok && rc == 0 ? 0 : 1);
    return ok && rc == 0 ? 0 : 1;
}

static void child_main(const struct demo *d, int fd) __attribute__((noreturn));

static void child_main(const struct demo *d, int fd)
{
    FILE *out = fdopen(fd, "w");
    struct msg *m = calloc(1, sizeof(*m));
    int status = 1;

    if (out != NULL && m != NULL) {
        setvbuf(out, NULL, _IOLBF, 0);
        status = child_walk(d, out, m);
        fclose(out);
    }
    _exit(status);
}

/* Collects the child's report until end of file and reaps the child, both
 * by one deadline. Returns 1 and the wait status, or 0 at the deadline. */
static int child_collect(pid_t pid, int fd, char *buf, size_t cap,
                         size_t *len, int *status)
{
    double end = now_ms() + CHILD_MS;
    struct pollfd p;
    ssize_t n;
    int left;

    for (;;) {
        left = (int)(end - now_ms());
        if (left <= 0)
            return 0;
        p.fd = fd;
        p.events = POLLIN;
        p.revents = 0;
        if (poll(&p, 1, left) <= 0)
            continue;
        n = read(fd, buf + *len, cap - 1 - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || *len + (size_t)n >= cap - 1)
            break;
        *len += (size_t)n;
    }
    while (waitpid(pid, status, WNOHANG) == 0) {
        if (now_ms() >= end)
            return 0;
        nap_ms(5);
    }
    return 1;
}

/* Prints the child's report, indented, line by line. */
static void child_report(const struct demo *d, const char *buf, size_t len)
{
    const char *p = buf, *nl;

    while (p < buf + len) {
        nl = memchr(p, '\n', (size_t)(buf + len - p));
        if (nl == NULL)
            nl = buf + len;
        detail(d, p, (size_t)(nl - p));
        p = nl + 1;
    }
}

/* B's receiver, blocked before the fork: the first part of step 6. */
static void step6_prepare(struct demo *d, struct line *l)
{
    const char *how = "";
    unsigned long mark;
    int rc;

    if (rx_start(&d->rb, "B", d->b, d->pg_b) != 0) {
        add(l, "cannot start a thread");
        give_up(d, 6, l);
    }
    rc = send_token(d, d->b, 1);
    if (rc < 0) {
        add(l, "SP_multicast(B) to itself = ");
        add_code(l, rc);
        give_up(d, 6, l);
    }
    if (!rx_wait(&d->rb, RX_TOKEN, 1, WAIT_MS))
        timed_out(d, 6, l, WAIT_MS, "B's receiver to get B's own message");
    how = ensure_blocked(d, 6, l, &d->rb, &mark);
    add(l, "receiver thread blocked in SP_receive(B) (%s); ", how);
}

static void step6_fork(struct demo *d)
{
    struct line l = { .len = 0 };
    char report[4096];
    size_t len = 0;
    int fds[2], status = 0, rc, ok, result;
    double t;
    pid_t pid;

    atomic_store(&d->step, 6);
    step6_prepare(d, &l);
    if (pipe(fds) != 0) {
        add(&l, "pipe: %s", strerror(errno));
        give_up(d, 6, &l);
    }
    fflush(stdout);             /* the child must not inherit output */
    t = now_ms();
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_main(d, fds[1]);
    }
    t = now_ms() - t;
    close(fds[1]);
    if (pid < 0) {
        add(&l, "fork: %s", strerror(errno));
        give_up(d, 6, &l);
    }
    add(&l, "fork() returned in %.1f ms; ", t);
    if (!child_collect(pid, fds[0], report, sizeof(report), &len, &status)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        close(fds[0]);
        if (!d->quiet)
            child_report(d, report, len);
        timed_out(d, 6, &l, CHILD_MS, "the fork child");
    }
    close(fds[0]);
    ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (WIFEXITED(status))
        add(&l, "the child exited with status %d; ", WEXITSTATUS(status));
    else
        add(&l, "the child was killed by signal %d; ", WTERMSIG(status));
    rc = send_token(d, d->b, 2);
    if (rc < 0 || !rx_wait(&d->rb, RX_TOKEN, 2, WAIT_MS) ||
        rx_ended(&d->rb, &result)) {
        add(&l, "B's multicast after the child's SP_kill(B): SP_multicast = ");
        add_code(&l, rc);
        if (rx_ended(&d->rb, &result)) {
            add(&l, ", the receiver got ");
            add_code(&l, result);
        } else {
            add(&l, ", not received within %d ms", WAIT_MS);
        }
        ok = 0;
    } else {
        add(&l, "B's receiver got B's next multicast: the connection "
            "survived the child's SP_kill(B)");
    }
    step_end(d, 6, &l, ok);
    child_report(d, report, len);
}

static void step7_close(struct demo *d)
{
    struct line l = { .len = 0 };
    struct receiver *r = &d->rb;
    struct call *c;
    unsigned long mark;
    int file_ok, joined = 0, ok;

    atomic_store(&d->step, 7);
    c = &d->close_a;
    add(&l, "SP_close(A) = ");
    if (call_run(c, SP_close, d->a, WAIT_MS) != 1)
        timed_out(d, 7, &l, WAIT_MS, "SP_close(A) to return");
    add_code(&l, c->result);
    file_ok = fcntl(d->file_fd, F_GETFD) != -1 && file_untouched(d);
    add(&l, " (quarantine released; the file on descriptor %d is %s); ",
        d->a, file_ok ? "still open and untouched" : "CLOSED OR MODIFIED");
    ok = c->result == 0 && file_ok;
    cleanup_file(d);
    c = &d->close_b;
    ensure_blocked(d, 7, &l, r, &mark);
    add(&l, "SP_close(B) = ");
    if (call_run(c, SP_close, d->b, DISCONNECT_MS + WAIT_MS) != 1)
        timed_out(d, 7, &l, DISCONNECT_MS + WAIT_MS, "SP_close(B) to return");
    add_code(&l, c->result);
    add(&l, " in %.1f ms; ", c->ended - c->started);
    if (!rx_wait(r, RX_DONE, 0, WAIT_MS))
        timed_out(d, 7, &l, WAIT_MS,
                  "B's receiver to return after SP_close(B)");
    add(&l, "B's receiver returned ");
    ok = add_wake(&l, r, mark, c->started) && ok && c->result == 0;
    add(&l, "; ");
    joined += join_thread(&d->ra.thread, &d->ra.running);
    joined += join_thread(&d->rb.thread, &d->rb.running);
    joined += join_thread(&d->disconnect_a.thread, &d->disconnect_a.running);
    joined += join_thread(&d->close_a.thread, &d->close_a.running);
    joined += join_thread(&d->close_b.thread, &d->close_b.running);
    add(&l, "%d threads joined", joined);
    step_end(d, 7, &l, ok && joined == 5);
}

/* ---- start-up ---------------------------------------------------------- */

static void usage(int status) __attribute__((noreturn));

static void usage(int status)
{
    printf("Usage: " PROG "\n"
           "\t[-s <spread name>] daemon: <port> (local socket) or <port>@<host> (default: 4803)\n"
           "\t[-u <prefix>]      private names are <prefix>a, <prefix>b, <prefix>c\n"
           "\t                   (at most %d characters; default: lc<process id>)\n"
           "\t[-g <group>]       group to join (default: " DEFAULT_GROUP ")\n"
           "\t[-q]               quiet: print only the final line\n"
           "\t[-h]               print this help\n",
           PREFIX_MAX);
    exit(status);
}

static void copy_opt(char *dst, size_t cap, const char *opt, const char *val)
{
    size_t len = strlen(val);

    if (len == 0 || len >= cap) {
        printf(PROG ": the value of %s must be 1 to %zu characters long\n",
               opt, cap - 1);
        usage(1);
    }
    memcpy(dst, val, len + 1);
}

static void parse_args(struct demo *d, int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strncmp(a, "-q", 2) == 0) {
            d->quiet = 1;
            continue;
        }
        if (strncmp(a, "-h", 2) == 0)
            usage(0);
        if (i + 1 >= argc)
            usage(1);
        if (strncmp(a, "-s", 2) == 0)
            copy_opt(d->spread_name, sizeof(d->spread_name), "-s", argv[++i]);
        else if (strncmp(a, "-u", 2) == 0)
            copy_opt(d->prefix, sizeof(d->prefix), "-u", argv[++i]);
        else if (strncmp(a, "-g", 2) == 0)
            copy_opt(d->group, sizeof(d->group), "-g", argv[++i]);
        else
            usage(1);
    }
}

int main(int argc, char **argv)
{
    static struct demo demo;
    struct demo *d = &demo;
    pthread_t watchdog;

    snprintf(d->spread_name, sizeof(d->spread_name), "4803");
    /* Distinct private names per run, so that runs can share a daemon. */
    snprintf(d->prefix, sizeof(d->prefix), "lc%ld", (long)getpid() % 1000000);
    snprintf(d->group, sizeof(d->group), DEFAULT_GROUP);
    d->a = d->b = d->file_fd = -1;
    parse_args(d, argc, argv);
    if (pthread_create(&watchdog, NULL, watchdog_main, d) == 0)
        pthread_detach(watchdog);
    if (!d->quiet) {
        printf(PROG ": the connection lifecycle against daemon %s, group %s\n",
               d->spread_name, d->group);
        fflush(stdout);
    }
    step1_connect(d);
    step2_block(d);
    step3_disconnect(d);
    step4_retired(d);
    step5_reuse(d);
    step6_fork(d);
    step7_close(d);
    final_line(d);
    return d->failed == 0 ? 0 : 1;
}
