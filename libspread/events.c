/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * events: the E_* API of sp_events.h (api.md section 8): time arithmetic,
 * one-shot timers and descriptor callbacks at three priorities, served by
 * a poll() loop. There is one loop per process and, as upstream, it is
 * meant to be driven from one thread; only E_exit_events_async_safe may be
 * called from elsewhere (a signal handler), and it wakes the loop through
 * a self-pipe.
 *
 * Timers live in a list kept sorted by due time on the monotonic clock
 * (equal times run in the order they were queued). Descriptor callbacks
 * are dispatched highest priority first; a callback may attach, detach or
 * (de)activate anything, because every dispatch re-checks that the
 * registration it polled still exists.
 */
#include "config.h"

#include "lib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_events.h"

typedef void (*fd_cb)(int fd, int code, void *data);
typedef void (*timer_cb)(int code, void *data);

struct fd_reg {
    int fd;
    int type;
    int priority;
    int active;
    fd_cb func;
    int code;
    void *data;
    unsigned long serial;
};

struct timer {
    struct timer *next;
    sp_time when;       /* monotonic */
    timer_cb func;
    int code;
    void *data;
};

static struct {
    struct fd_reg *regs;
    int nregs, capregs;
    struct pollfd *pfds;
    unsigned long *pserial;
    int cappfds;
    struct timer *timers;
    int threshold;
    int exit_flag;
    int wake[2];
    unsigned long next_serial;
} ev = { .wake = { -1, -1 } };

static volatile sig_atomic_t exit_async;

/* ---- time ----------------------------------------------------------- */

/* Bring usec into (-1e6, 1e6) with the same sign as sec. */
static sp_time normalise(long sec, long usec)
{
    sp_time t;

    sec += usec / 1000000;
    usec %= 1000000;
    if (sec > 0 && usec < 0) {
        sec--;
        usec += 1000000;
    } else if (sec < 0 && usec > 0) {
        sec++;
        usec -= 1000000;
    }
    t.sec = sec;
    t.usec = usec;
    return t;
}

static sp_time from_clock(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return normalise((long)ts.tv_sec, ts.tv_nsec / 1000);
}

sp_time E_get_time(void)
{
    return from_clock(CLOCK_REALTIME);
}

sp_time E_get_time_monotonic(void)
{
    return from_clock(CLOCK_MONOTONIC);
}

sp_time E_add_time(sp_time t, sp_time delta_t)
{
    return normalise(t.sec + delta_t.sec, t.usec + delta_t.usec);
}

sp_time E_sub_time(sp_time t, sp_time delta_t)
{
    return normalise(t.sec - delta_t.sec, t.usec - delta_t.usec);
}

sp_time E_neg_time(sp_time t)
{
    return normalise(-t.sec, -t.usec);
}

int E_compare_time(sp_time t1, sp_time t2)
{
    t1 = normalise(t1.sec, t1.usec);
    t2 = normalise(t2.sec, t2.usec);
    if (t1.sec != t2.sec)
        return t1.sec > t2.sec ? 1 : -1;
    if (t1.usec != t2.usec)
        return t1.usec > t2.usec ? 1 : -1;
    return 0;
}

void E_delay(sp_time t)
{
    struct timespec req, rem;

    t = normalise(t.sec, t.usec);
    if (t.sec < 0 || (t.sec == 0 && t.usec <= 0))
        return;
    req.tv_sec = t.sec;
    req.tv_nsec = t.usec * 1000;
    while (nanosleep(&req, &rem) < 0 && errno == EINTR)
        req = rem;
}

/* ---- set-up ----------------------------------------------------------- */

static int make_wake_pipe(void)
{
    int i;

    if (ev.wake[0] >= 0)
        return 0;
    if (pipe(ev.wake) < 0) {
        ev.wake[0] = ev.wake[1] = -1;
        return -1;
    }
    for (i = 0; i < 2; i++) {
        fcntl(ev.wake[i], F_SETFL, fcntl(ev.wake[i], F_GETFL) | O_NONBLOCK);
        fcntl(ev.wake[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

int E_init(void)
{
    make_wake_pipe();
    return 0;
}

/* ---- timers ----------------------------------------------------------- */

static struct timer **find_timer(timer_cb func, int code, void *data)
{
    struct timer **pp;

    for (pp = &ev.timers; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->func == func && (*pp)->code == code &&
            (*pp)->data == data)
            return pp;
    return NULL;
}

int E_dequeue(void (*func)(int code, void *data), int code, void *data)
{
    struct timer **pp = find_timer(func, code, data), *t;

    if (pp == NULL)
        return -1;
    t = *pp;
    *pp = t->next;
    free(t);
    return 0;
}

int E_in_queue(void (*func)(int code, void *data), int code, void *data)
{
    return find_timer(func, code, data) != NULL;
}

int E_queue(void (*func)(int code, void *data), int code, void *data,
            sp_time delta_time)
{
    struct timer *t, **pp;

    E_dequeue(func, code, data);
    t = malloc(sizeof *t);
    if (t == NULL)
        return -1;
    t->when = E_add_time(E_get_time_monotonic(), delta_time);
    t->func = func;
    t->code = code;
    t->data = data;
    for (pp = &ev.timers; *pp != NULL; pp = &(*pp)->next)
        if (E_compare_time((*pp)->when, t->when) > 0)
            break;
    t->next = *pp;
    *pp = t;
    return 0;
}

/* Run every timer due now; returns 1 if the loop was asked to stop. */
static int run_due_timers(void)
{
    sp_time now = E_get_time_monotonic();

    while (ev.timers != NULL && E_compare_time(ev.timers->when, now) <= 0) {
        struct timer *t = ev.timers;
        timer_cb func = t->func;
        int code = t->code;
        void *data = t->data;

        ev.timers = t->next;
        free(t);
        func(code, data);
        if (ev.exit_flag || exit_async)
            return 1;
    }
    return 0;
}

/* ---- descriptors ------------------------------------------------------ */

static int fd_args_ok(int fd, int fd_type)
{
    return fd >= 0 && fd_type >= READ_FD && fd_type <= EXCEPT_FD;
}

static int prio_ok(int priority)
{
    return priority >= LOW_PRIORITY && priority <= HIGH_PRIORITY;
}

static struct fd_reg *find_reg(int fd, int fd_type, int priority)
{
    int i;

    for (i = 0; i < ev.nregs; i++)
        if (ev.regs[i].fd == fd && ev.regs[i].type == fd_type &&
            ev.regs[i].priority == priority)
            return &ev.regs[i];
    return NULL;
}

static int count_at(int priority)
{
    int i, n = 0;

    for (i = 0; i < ev.nregs; i++)
        if (ev.regs[i].priority == priority)
            n++;
    return n;
}

int E_attach_fd(int fd, int fd_type,
                void (*func)(int fd, int code, void *data), int code,
                void *data, int priority)
{
    struct fd_reg *r = NULL;

    if (!fd_args_ok(fd, fd_type) || !prio_ok(priority) || func == NULL)
        return -1;
    r = find_reg(fd, fd_type, priority);
    if (r != NULL) {
        r->func = func;
        r->code = code;
        r->data = data;
        r->active = 1;
        return 1;
    }
    if (count_at(priority) >= MAX_FD_EVENTS)
        return -1;
    if (ev.nregs == ev.capregs) {
        int cap = ev.capregs ? ev.capregs * 2 : 16;
        struct fd_reg *n = realloc(ev.regs, (size_t)cap * sizeof *n);
        if (n == NULL)
            return -1;
        ev.regs = n;
        ev.capregs = cap;
    }
    r = &ev.regs[ev.nregs++];
    r->fd = fd;
    r->type = fd_type;
    r->priority = priority;
    r->active = 1;
    r->func = func;
    r->code = code;
    r->data = data;
    r->serial = ++ev.next_serial;
    return 0;
}

/* Remove registrations of fd/type at one priority (or all if -1). */
static int detach(int fd, int fd_type, int priority)
{
    int i = 0, found = 0;

    while (i < ev.nregs) {
        struct fd_reg *r = &ev.regs[i];
        if (r->fd == fd && r->type == fd_type &&
            (priority < 0 || r->priority == priority)) {
            memmove(r, r + 1, (size_t)(ev.nregs - i - 1) * sizeof *r);
            ev.nregs--;
            found = 1;
            continue;
        }
        i++;
    }
    return found ? 0 : -1;
}

int E_detach_fd(int fd, int fd_type)
{
    if (!fd_args_ok(fd, fd_type))
        return -1;
    return detach(fd, fd_type, -1);
}

int E_detach_fd_priority(int fd, int fd_type, int priority)
{
    if (!fd_args_ok(fd, fd_type) || !prio_ok(priority))
        return -1;
    return detach(fd, fd_type, priority);
}

static int set_active(int fd, int fd_type, int active)
{
    int i, found = 0;

    if (!fd_args_ok(fd, fd_type))
        return -1;
    for (i = 0; i < ev.nregs; i++)
        if (ev.regs[i].fd == fd && ev.regs[i].type == fd_type) {
            ev.regs[i].active = active;
            found = 1;
        }
    return found ? 0 : -1;
}

int E_activate_fd(int fd, int fd_type)
{
    return set_active(fd, fd_type, 1);
}

int E_deactivate_fd(int fd, int fd_type)
{
    return set_active(fd, fd_type, 0);
}

int E_num_active(int priority)
{
    int i, n = 0;

    if (!prio_ok(priority))
        return -1;
    for (i = 0; i < ev.nregs; i++)
        if (ev.regs[i].priority == priority && ev.regs[i].active)
            n++;
    return n;
}

int E_set_active_threshold(int priority)
{
    if (!prio_ok(priority))
        return -1;
    ev.threshold = priority;
    return priority;
}

/* ---- the loop --------------------------------------------------------- */

static const short poll_events[NUM_FDTYPES] = { POLLIN, POLLOUT, POLLPRI };
static const short ready_events[NUM_FDTYPES] = {
    POLLIN | POLLHUP | POLLERR | POLLNVAL,
    POLLOUT | POLLHUP | POLLERR | POLLNVAL,
    POLLPRI | POLLNVAL,
};

static int reserve_pfds(int n)
{
    struct pollfd *p;
    unsigned long *s;

    if (n <= ev.cappfds)
        return 0;
    p = realloc(ev.pfds, (size_t)n * sizeof *p);
    if (p == NULL)
        return -1;
    ev.pfds = p;
    s = realloc(ev.pserial, (size_t)n * sizeof *s);
    if (s == NULL)
        return -1;
    ev.pserial = s;
    ev.cappfds = n;
    return 0;
}

/* Fill the poll set: slot 0 is the wake pipe. Returns the count. */
static int build_poll_set(void)
{
    int i, n = 0;

    if (reserve_pfds(ev.nregs + 1) < 0)
        return -1;
    ev.pfds[n].fd = ev.wake[0];
    ev.pfds[n].events = POLLIN;
    ev.pserial[n++] = 0;
    for (i = 0; i < ev.nregs; i++) {
        const struct fd_reg *r = &ev.regs[i];
        if (!r->active || r->priority < ev.threshold)
            continue;
        ev.pfds[n].fd = r->fd;
        ev.pfds[n].events = poll_events[r->type];
        ev.pserial[n++] = r->serial;
    }
    return n;
}

static struct fd_reg *reg_by_serial(unsigned long serial)
{
    int i;

    for (i = 0; i < ev.nregs; i++)
        if (ev.regs[i].serial == serial)
            return &ev.regs[i];
    return NULL;
}

/* Call back every ready registration, highest priority first. */
static void dispatch(int n)
{
    int p, i;

    for (p = HIGH_PRIORITY; p >= LOW_PRIORITY; p--) {
        for (i = 1; i < n; i++) {
            struct fd_reg *r;
            if (ev.pfds[i].revents == 0)
                continue;
            r = reg_by_serial(ev.pserial[i]);
            if (r == NULL || r->priority != p || !r->active ||
                r->priority < ev.threshold ||
                !(ev.pfds[i].revents & ready_events[r->type]))
                continue;
            r->func(r->fd, r->code, r->data);
            if (ev.exit_flag || exit_async)
                return;
        }
    }
}

static void drain_wake_pipe(void)
{
    char buf[64];

    while (read(ev.wake[0], buf, sizeof buf) > 0)
        ;
}

/* poll() timeout until a monotonic time, capped to what an int holds. */
static int ms_until(sp_time when)
{
    sp_time left = E_sub_time(when, E_get_time_monotonic());
    long long ms;

    if (left.sec < 0 || left.usec < 0)
        return 0;
    ms = (long long)left.sec * 1000 + (left.usec + 999) / 1000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

void E_handle_events(void)
{
    make_wake_pipe();
    /* Only an E_exit_events() from inside this run ends it (upstream
     * forgets one made before the loop started); a signal-driven request
     * is kept, since it may have arrived just before the call. */
    ev.exit_flag = 0;
    while (!ev.exit_flag && !exit_async) {
        int n, ms = -1, rc;

        if (run_due_timers())
            break;
        n = build_poll_set();
        if (n < 0)
            break;
        if (ev.timers != NULL)
            ms = ms_until(ev.timers->when);
        rc = poll(ev.pfds, (nfds_t)n, ms);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        if (ev.pfds[0].revents)
            drain_wake_pipe();
        dispatch(n);
    }
    ev.exit_flag = 0;
    exit_async = 0;
}

void E_exit_events(void)
{
    ev.exit_flag = 1;
}

void E_exit_events_async_safe(void)
{
    int saved = errno;

    exit_async = 1;
    if (ev.wake[1] >= 0) {
        ssize_t rc = write(ev.wake[1], "x", 1);
        (void)rc;
    }
    errno = saved;
}
