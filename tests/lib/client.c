/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * client: see client.h.
 */
#include "config.h"

#include "client.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TC_TSAN 1
#endif
#if __has_feature(address_sanitizer)
#define TC_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) && !defined(TC_TSAN)
#define TC_TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(TC_ASAN)
#define TC_ASAN 1
#endif

struct tc_msg *tc_msg_new(void)
{
    return calloc(1, sizeof(struct tc_msg));
}

void tc_msg_free(struct tc_msg *m)
{
    free(m);
}

int tc_recv(mailbox mb, struct tc_msg *m, int deadline_ms)
{
    struct pollfd pfd = {mb, POLLIN, 0};
    if (poll(&pfd, 1, deadline_ms) <= 0)
        return m->ret = TC_TIMEOUT;
    m->service_type = 0;
    m->ret = SP_receive(mb, &m->service_type, m->sender, TC_MAX_GROUPS,
                        &m->num_groups, m->groups, &m->mess_type,
                        &m->endian_mismatch, TC_MAX_BODY, m->body);
    return m->ret;
}

int tc_expect_memb(mailbox mb, struct tc_msg *m, const char *group,
                   service cause, int n, const char *who)
{
    membership_info info;
    int r = tc_recv(mb, m, 5000);
    if (r < 0) {
        fprintf(stderr, "expected membership of %s, receive gave %d\n", group, r);
        return 0;
    }
    if (!Is_reg_memb_mess(m->service_type) || !(m->service_type & cause) ||
        strcmp(m->sender, group) != 0 || m->num_groups != n) {
        fprintf(stderr, "expected membership of %s cause 0x%x with %d members, "
                        "got service 0x%x from %s with %d groups\n",
                group, cause, n, m->service_type, m->sender, m->num_groups);
        return 0;
    }
    if (who != NULL) {
        if (SP_get_memb_info(m->body, m->service_type, &info) != 1 ||
            strcmp(info.changed_member, who) != 0) {
            fprintf(stderr, "expected %s as changed member, got %s\n", who,
                    info.changed_member);
            return 0;
        }
    }
    return 1;
}

int tc_expect_data(mailbox mb, struct tc_msg *m, const char *sender,
                   const char *body)
{
    int r = tc_recv(mb, m, 5000);
    int len = (int)strlen(body);
    if (r != len || !Is_regular_mess(m->service_type) ||
        strcmp(m->sender, sender) != 0 || memcmp(m->body, body, (size_t)len) != 0) {
        fprintf(stderr, "expected \"%s\" from %s, got ret %d service 0x%x from %s\n",
                body, sender, r, m->service_type, r >= 0 ? m->sender : "-");
        return 0;
    }
    return 1;
}

int tc_quiet(mailbox mb, int ms)
{
    struct pollfd pfd = {mb, POLLIN, 0};
    return poll(&pfd, 1, ms) == 0;
}

/* ---- repeated scenarios and threads ---------------------------------- */

int tc_asan(void)
{
#if defined(TC_ASAN)
    return 1;
#else
    return 0;
#endif
}

int tc_rounds(int full, int min)
{
    const char *env = getenv("COHORT_TEST_SCALE");
    double n = full;

    if (env != NULL && *env != '\0')
        n = full * strtod(env, NULL);
    else {
#if defined(TC_TSAN) || defined(TC_ASAN)
        n = full / 4.0;
#endif
    }
    return n < min ? min : (int)n;
}

pid_t tc_gettid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* Read a small /proc file of thread tid into buf. Returns the length or
 * -1. */
static int read_task_file(pid_t tid, const char *name, char *buf, size_t cap)
{
    char path[64];
    FILE *fp;
    size_t n;

    snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, name);
    fp = fopen(path, "r");
    if (fp == NULL)
        return -1;
    n = fread(buf, 1, cap - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return (int)n;
}

/* State letter of thread tid ('R', 'S', ...), or 0. */
static char task_state(pid_t tid)
{
    char buf[512];
    const char *p;

    if (read_task_file(tid, "stat", buf, sizeof buf) < 0)
        return 0;
    p = strrchr(buf, ')');   /* the command name may hold anything */
    return p != NULL && p[1] == ' ' ? p[2] : 0;
}

static int wchan_has(pid_t tid, const char *const *names)
{
    char buf[128];
    int k;

    if (task_state(tid) != 'S' || read_task_file(tid, "wchan", buf, sizeof buf) <= 0)
        return 0;
    for (k = 0; names[k] != NULL; k++)
        if (strstr(buf, names[k]) != NULL)
            return 1;
    return 0;
}

int tc_thread_in_socket_read(pid_t tid)
{
    /* Receive paths of unix and TCP stream sockets, and poll in case the
     * library waits for readability before it reads. */
    static const char *const names[] = {
        "unix_stream", "sk_wait_data", "tcp_recv", "inet_recv", "sock_recv",
        "wait_woken", "poll_schedule", "do_sys_poll", NULL};
    return wchan_has(tid, names);
}

int tc_wait_in_socket_read(pid_t tid, int deadline_ms)
{
    struct timespec start, now;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        long ms;
        if (tc_thread_in_socket_read(tid))
            return 1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        ms = (now.tv_sec - start.tv_sec) * 1000 +
             (now.tv_nsec - start.tv_nsec) / 1000000;
        if (ms >= deadline_ms)
            return 0;
        /* Polling a condition that /proc cannot signal: yield only. */
        sched_yield();
        if (ms > 10)
            poll(NULL, 0, 1);
    }
}

struct pipe_probe {
    int fd;
    pid_t tid;
    pthread_mutex_t lock;
};

static void *pipe_reader(void *arg)
{
    struct pipe_probe *p = arg;
    char c;

    pthread_mutex_lock(&p->lock);
    p->tid = tc_gettid();
    pthread_mutex_unlock(&p->lock);
    while (read(p->fd, &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static int wchan_ok;

static void probe_wchan(void)
{
    static const char *const names[] = {"pipe", NULL};
    struct pipe_probe p;
    pthread_t t;
    int fds[2], k;
    pid_t tid = 0;

    if (pipe(fds) != 0)
        return;
    p.fd = fds[0];
    p.tid = 0;
    pthread_mutex_init(&p.lock, NULL);
    if (pthread_create(&t, NULL, pipe_reader, &p) == 0) {
        for (k = 0; k < 2000 && !wchan_ok; k++) {
            pthread_mutex_lock(&p.lock);
            tid = p.tid;
            pthread_mutex_unlock(&p.lock);
            if (tid != 0 && wchan_has(tid, names))
                wchan_ok = 1;
            else
                poll(NULL, 0, 1);
        }
        if (write(fds[1], "x", 1) != 1)
            wchan_ok = 0;
        pthread_join(t, NULL);
    }
    pthread_mutex_destroy(&p.lock);
    close(fds[0]);
    close(fds[1]);
}

int tc_wchan_supported(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, probe_wchan);
    return wchan_ok;
}

int tc_join(pthread_t t, void **ret, int deadline_ms)
{
    struct timespec dl;
    int rc;

    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += deadline_ms / 1000;
    dl.tv_nsec += (deadline_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    do
        rc = pthread_timedjoin_np(t, ret, &dl);
    while (rc == EINTR);
    return rc == 0 ? 0 : -1;
}

long long tc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec tc_realtime_after(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int tc_recv_blocking(mailbox mb, struct tc_msg *m)
{
    m->service_type = 0;
    m->ret = SP_receive(mb, &m->service_type, m->sender, TC_MAX_GROUPS,
                        &m->num_groups, m->groups, &m->mess_type,
                        &m->endian_mismatch, TC_MAX_BODY - 1, m->body);
    if (m->ret >= 0)
        m->body[m->ret] = '\0';
    return m->ret;
}

int tc_all_refused(mailbox mb)
{
    struct tc_msg *m = tc_msg_new();
    const char *grp = "anything";
    const char *bad = NULL;
    scatter sc;
    int r;

    sc.num_elements = 1;
    sc.elements[0].buf = m->body;
    sc.elements[0].len = 16;
    if ((r = tc_recv_blocking(mb, m)) != ILLEGAL_SESSION)
        bad = "SP_receive";
    else if ((r = SP_scat_receive(mb, &m->service_type, m->sender, 0,
                                  &m->num_groups, NULL, &m->mess_type,
                                  &m->endian_mismatch, &sc)) != ILLEGAL_SESSION)
        bad = "SP_scat_receive";
    else if ((r = SP_multicast(mb, RELIABLE_MESS, grp, 0, 2, "x")) != ILLEGAL_SESSION)
        bad = "SP_multicast";
    else if ((r = SP_scat_multicast(mb, RELIABLE_MESS, grp, 0, &sc)) != ILLEGAL_SESSION)
        bad = "SP_scat_multicast";
    else if ((r = SP_join(mb, grp)) != ILLEGAL_SESSION)
        bad = "SP_join";
    else if ((r = SP_leave(mb, grp)) != ILLEGAL_SESSION)
        bad = "SP_leave";
    else if ((r = SP_poll(mb)) != ILLEGAL_SESSION)
        bad = "SP_poll";
    else if ((r = SP_disconnect(mb)) != ILLEGAL_SESSION)
        bad = "SP_disconnect";
    tc_msg_free(m);
    if (bad != NULL)
        fprintf(stderr, "%s on retired mailbox %d returned %d, not "
                        "ILLEGAL_SESSION\n", bad, mb, r);
    return bad == NULL;
}

static void *rx_main(void *arg)
{
    struct tc_rx *rx = arg;
    struct tc_msg *m = tc_msg_new();
    int r = tc_recv_blocking(rx->mb, m);
    int extra = 0, bad = 0;

    pthread_mutex_lock(&rx->lock);
    rx->tid = tc_gettid();
    rx->first = r;
    rx->ready = 1;
    pthread_cond_broadcast(&rx->cond);
    pthread_mutex_unlock(&rx->lock);
    while (r >= 0) {
        r = tc_recv_blocking(rx->mb, m);
        if (r >= 0) {
            extra++;
            if (rx->expect_body != NULL && strcmp(m->body, rx->expect_body) != 0)
                bad++;
        }
    }
    pthread_mutex_lock(&rx->lock);
    rx->extra = extra;
    rx->extra_bad = bad;
    rx->end = r;
    rx->end_ms = tc_now_ms();
    rx->done = 1;
    pthread_cond_broadcast(&rx->cond);
    pthread_mutex_unlock(&rx->lock);
    tc_msg_free(m);
    return NULL;
}

int tc_rx_start(struct tc_rx *rx, mailbox mb, const char *expect_body,
                int deadline_ms)
{
    struct timespec dl = tc_realtime_after(deadline_ms);
    int rc = 0, ready;
    pid_t tid;

    memset(rx, 0, sizeof *rx);
    rx->mb = mb;
    rx->expect_body = expect_body;
    rx->end = 1;
    pthread_mutex_init(&rx->lock, NULL);
    pthread_cond_init(&rx->cond, NULL);
    if (pthread_create(&rx->thread, NULL, rx_main, rx) != 0)
        return -1;
    pthread_mutex_lock(&rx->lock);
    while (!rx->ready && rc == 0)
        rc = pthread_cond_timedwait(&rx->cond, &rx->lock, &dl);
    ready = rx->ready && rx->first >= 0;
    tid = rx->tid;
    pthread_mutex_unlock(&rx->lock);
    if (!ready)
        return -1;
    return tc_wait_in_socket_read(tid, deadline_ms < 2000 ? deadline_ms : 2000);
}

int tc_rx_join(struct tc_rx *rx, int deadline_ms)
{
    if (tc_join(rx->thread, NULL, deadline_ms) != 0)
        return -1;
    pthread_mutex_destroy(&rx->lock);
    pthread_cond_destroy(&rx->cond);
    return 0;
}
