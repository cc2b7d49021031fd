/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ev: epoll watchers, a timer heap and the per-pass phase list. Watchers
 * are level-triggered unless they ask for EV_EDGE (client sessions do, for
 * arrival order; see ev.h), and every reader is told about the peer's end
 * of stream (EV_HUP) as well as about readable bytes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "ev.h"

#define EV_NO_IDX ((size_t)-1)
#define EV_BATCH 256
#define EV_BATCH_HIGH 16    /* high-priority watchers are a few sockets */

int ev_init(struct ev *ev)
{
    return ev_init_clock(ev, clock_real());
}

/* The high-priority set sits in the main set as one readable descriptor
 * (data.ptr NULL), so that a wait on the main set wakes for it too. */
int ev_init_clock(struct ev *ev, const struct clock *clock)
{
    struct epoll_event e;
    int rc;

    memset(ev, 0, sizeof *ev);
    ev->clock = clock;
    ev->epfd_high = -1;
    ev->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (ev->epfd < 0)
        return -errno;
    ev->epfd_high = epoll_create1(EPOLL_CLOEXEC);
    memset(&e, 0, sizeof e);
    e.events = EPOLLIN;
    e.data.ptr = NULL;
    if (ev->epfd_high < 0 ||
        epoll_ctl(ev->epfd, EPOLL_CTL_ADD, ev->epfd_high, &e) < 0) {
        rc = -errno;
        ev_fini(ev);
        return rc;
    }
    ev->phases = calloc(EV_PHASES_RESERVED, sizeof *ev->phases);
    if (ev->phases == NULL) {
        ev_fini(ev);
        return -ENOMEM;
    }
    ev->cap_phases = EV_PHASES_RESERVED;
    sigemptyset(&ev->wait_mask);
    ev_update_time(ev);
    return 0;
}

void ev_fini(struct ev *ev)
{
    if (ev->epfd_high >= 0)
        close(ev->epfd_high);
    ev->epfd_high = -1;
    if (ev->epfd >= 0)
        close(ev->epfd);
    ev->epfd = -1;
    free(ev->heap);
    ev->heap = NULL;
    ev->n_timers = ev->cap_timers = 0;
    free(ev->phases);
    ev->phases = NULL;
    ev->n_phases = ev->cap_phases = 0;
}

void ev_update_time(struct ev *ev)
{
    ev->now_ms = clock_mono_ms(ev->clock);
}

/* ---- I/O watchers ---- */

static void fed_unlink(struct ev *ev, struct ev_io *w)
{
    struct ev_fed *l = &ev->fed[w->prio];

    if (w->fed_prev != NULL)
        w->fed_prev->fed_next = w->fed_next;
    else
        l->head = w->fed_next;
    if (w->fed_next != NULL)
        w->fed_next->fed_prev = w->fed_prev;
    else
        l->tail = w->fed_prev;
    w->fed_prev = w->fed_next = NULL;
    w->fed = 0;
}

void ev_io_init(struct ev_io *w, int fd, ev_io_fn cb, void *data)
{
    w->fd = fd;
    w->events = 0;
    w->active = 0;
    w->cb = cb;
    w->data = data;
    w->fed = 0;
    w->fed_prev = w->fed_next = NULL;
    w->prio = EV_PRIO_NORMAL;
}

int ev_io_set_priority(struct ev_io *w, int prio)
{
    if (prio != EV_PRIO_NORMAL && prio != EV_PRIO_HIGH)
        return -EINVAL;
    if (w->active || w->fed)
        return -EBUSY;
    w->prio = prio;
    return 0;
}

static int epfd_of(const struct ev *ev, const struct ev_io *w)
{
    return w->prio == EV_PRIO_HIGH ? ev->epfd_high : ev->epfd;
}

int ev_io_set(struct ev *ev, struct ev_io *w, unsigned events)
{
    struct epoll_event e;
    int op;

    if (events == 0) {
        ev_io_stop(ev, w);
        return 0;
    }
    if (w->active && w->events == events)
        return 0;
    memset(&e, 0, sizeof e);
    e.events = ((events & EV_READ) ? EPOLLIN | EPOLLRDHUP : 0) |
               ((events & EV_WRITE) ? EPOLLOUT : 0) |
               ((events & EV_EDGE) ? EPOLLET : 0);
    e.data.ptr = w;
    op = w->active ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(epfd_of(ev, w), op, w->fd, &e) < 0)
        return -errno;
    if (!w->active) {
        ev->n_active++;
        ev->n_active_high += w->prio == EV_PRIO_HIGH;
    }
    w->active = 1;
    w->events = events;
    return 0;
}

void ev_io_stop(struct ev *ev, struct ev_io *w)
{
    if (w->fed)
        fed_unlink(ev, w);
    if (!w->active)
        return;
    epoll_ctl(epfd_of(ev, w), EPOLL_CTL_DEL, w->fd, NULL);
    ev->n_active--;
    ev->n_active_high -= w->prio == EV_PRIO_HIGH;
    w->active = 0;
    w->events = 0;
}

/* ---- timers: a binary min-heap on (when_ms, seq) ---- */

/* Equal deadlines fire in the order the timers were started: a heap alone
 * would pop them in an order that depends on the heap's history, and
 * with several daemons on one loop that order must not be luck. */
static int timer_before(const struct ev_timer *a, const struct ev_timer *b)
{
    return a->when_ms < b->when_ms ||
           (a->when_ms == b->when_ms && a->seq < b->seq);
}

static void heap_swap(struct ev *ev, size_t a, size_t b)
{
    struct ev_timer *t = ev->heap[a];
    ev->heap[a] = ev->heap[b];
    ev->heap[b] = t;
    ev->heap[a]->heap_idx = a;
    ev->heap[b]->heap_idx = b;
}

static void heap_up(struct ev *ev, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!timer_before(ev->heap[i], ev->heap[p]))
            break;
        heap_swap(ev, p, i);
        i = p;
    }
}

static void heap_down(struct ev *ev, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < ev->n_timers && timer_before(ev->heap[l], ev->heap[m]))
            m = l;
        if (r < ev->n_timers && timer_before(ev->heap[r], ev->heap[m]))
            m = r;
        if (m == i)
            break;
        heap_swap(ev, i, m);
        i = m;
    }
}

void ev_timer_init(struct ev_timer *t, ev_timer_fn cb, void *data)
{
    t->when_ms = 0;
    t->seq = 0;
    t->heap_idx = EV_NO_IDX;
    t->cb = cb;
    t->data = data;
}

void ev_timer_stop(struct ev *ev, struct ev_timer *t)
{
    size_t i = t->heap_idx;

    if (i == EV_NO_IDX)
        return;
    ev->n_timers--;
    if (i != ev->n_timers) {
        ev->heap[i] = ev->heap[ev->n_timers];
        ev->heap[i]->heap_idx = i;
        heap_down(ev, i);
        heap_up(ev, i);
    }
    t->heap_idx = EV_NO_IDX;
}

void ev_timer_start(struct ev *ev, struct ev_timer *t, uint64_t after_ms)
{
    ev_timer_stop(ev, t);
    if (ev->n_timers == ev->cap_timers) {
        size_t cap = ev->cap_timers ? ev->cap_timers * 2 : 64;
        struct ev_timer **h = realloc(ev->heap, cap * sizeof *h);
        if (h == NULL)
            abort(); /* broken invariant: cannot keep a timer promise */
        ev->heap = h;
        ev->cap_timers = cap;
    }
    t->when_ms = ev->now_ms + after_ms;
    t->seq = ev->timer_seq++;
    t->heap_idx = ev->n_timers;
    ev->heap[ev->n_timers++] = t;
    heap_up(ev, t->heap_idx);
}

/* ---- phases ---- */

int ev_add_phase(struct ev *ev, const char *name, ev_phase_fn fn, void *ctx)
{
    if (ev->n_phases == ev->cap_phases) {
        size_t cap = ev->cap_phases * 2;
        struct ev_phase *p = realloc(ev->phases, cap * sizeof *p);
        if (p == NULL)
            return -ENOMEM;
        ev->phases = p;
        ev->cap_phases = cap;
    }
    ev->phases[ev->n_phases].name = name;
    ev->phases[ev->n_phases].fn = fn;
    ev->phases[ev->n_phases].ctx = ctx;
    ev->n_phases++;
    return 0;
}

/* Close the holes that ev_del_phase() left during a pass. */
static void compact_phases(struct ev *ev)
{
    size_t i, k = 0;

    for (i = 0; i < ev->n_phases; i++)
        if (ev->phases[i].fn != NULL)
            ev->phases[k++] = ev->phases[i];
    ev->n_phases = k;
    ev->phase_holes = 0;
}

int ev_del_phase(struct ev *ev, ev_phase_fn fn, void *ctx)
{
    size_t i;

    for (i = 0; i < ev->n_phases; i++) {
        if (ev->phases[i].fn == fn && ev->phases[i].ctx == ctx) {
            ev->phases[i].fn = NULL;
            ev->phase_holes = 1;
            if (!ev->in_phases)
                compact_phases(ev);
            return 0;
        }
    }
    return -ENOENT;
}

void ev_set_stop_flag(struct ev *ev, volatile sig_atomic_t *flag,
                      const sigset_t *wait_mask)
{
    ev->stop_flag = flag;
    if (wait_mask != NULL)
        ev->wait_mask = *wait_mask;
}

void ev_stop(struct ev *ev)
{
    ev->stop = 1;
}

static int stopping(const struct ev *ev)
{
    return ev->stop || (ev->stop_flag != NULL && *ev->stop_flag);
}

/* Timers due now, except those (re)started by this phase's callbacks:
 * they wait for the next pass, so that a timer that re-arms itself at 0
 * (or two that arm each other) cannot keep the loop from its I/O. Such a
 * timer sorts after every older due one (its seq is larger, its deadline
 * not earlier), so the first one seen ends the phase. */
static void run_timers(struct ev *ev)
{
    uint64_t started_before = ev->timer_seq;

    while (ev->n_timers > 0 && ev->heap[0]->when_ms <= ev->now_ms &&
           ev->heap[0]->seq < started_before) {
        struct ev_timer *t = ev->heap[0];
        ev_timer_stop(ev, t);
        ev->n_timer_calls++;
        t->cb(ev, t);
    }
}

static int poll_timeout(const struct ev *ev, int max_wait_ms)
{
    uint64_t wait;

    if (ev->fed[EV_PRIO_HIGH].head != NULL ||
        ev->fed[EV_PRIO_NORMAL].head != NULL)
        return 0;
    if (ev->n_timers == 0)
        return max_wait_ms;
    if (ev->heap[0]->when_ms <= ev->now_ms)
        return 0;
    wait = ev->heap[0]->when_ms - ev->now_ms;
    if (max_wait_ms >= 0 && wait > (uint64_t)max_wait_ms)
        return max_wait_ms;
    return wait > 60000 ? 60000 : (int)wait;
}

void ev_io_feed(struct ev *ev, struct ev_io *w, unsigned revents)
{
    struct ev_fed *l = &ev->fed[w->prio];

    if (w->fed || revents == 0) {
        w->fed |= revents;
        return;
    }
    w->fed = revents;
    w->fed_prev = l->tail;
    w->fed_next = NULL;
    if (l->tail != NULL)
        l->tail->fed_next = w;
    else
        l->head = w;
    l->tail = w;
}

/* Watchers of one priority fed before this point; ones fed from here on
 * wait a pass. */
static void run_fed(struct ev *ev, int prio)
{
    struct ev_fed *l = &ev->fed[prio];
    struct ev_io *end = l->tail;

    while (l->head != NULL) {
        struct ev_io *w = l->head;
        unsigned re = w->fed;
        int last = (w == end);
        fed_unlink(ev, w);
        if (w->active) {
            ev->n_io_calls++;
            w->cb(ev, w, re);
        }
        if (last)
            break;
    }
}

static void dispatch(struct ev *ev, const struct epoll_event *evs, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        struct ev_io *w = evs[i].data.ptr;
        unsigned re = 0;
        if (w == NULL)
            continue;   /* the high-priority set: asked on its own */
        if (evs[i].events & EPOLLIN)
            re |= EV_READ;
        if (evs[i].events & EPOLLOUT)
            re |= EV_WRITE;
        if (evs[i].events & EPOLLRDHUP)
            re |= EV_HUP | EV_READ;
        if (evs[i].events & (EPOLLERR | EPOLLHUP))
            re |= EV_ERROR | EV_HUP | EV_READ;
        re &= (w->events & (EV_READ | EV_WRITE)) | EV_ERROR | EV_HUP;
        /* A callback earlier in this batch may have stopped this watcher. */
        if (w->active && re != 0) {
            ev->n_io_calls++;
            w->cb(ev, w, re);
        }
    }
}

/* Whether the high-priority set may have something ready: the main
 * wait reported it, or its batch was full and might have left it out.
 * Otherwise the set had nothing when the wait returned, and asking it
 * again would be a system call for nothing, once per pass. */
static int high_may_be_ready(const struct epoll_event *evs, int n)
{
    int i;

    if (n >= EV_BATCH)
        return 1;
    for (i = 0; i < n; i++)
        if (evs[i].data.ptr == NULL)
            return 1;
    return 0;
}

/* High priority first: its fed watchers, then what its own set reports
 * now. That set is asked directly rather than through the main batch, so
 * no crowd of ready or fed clients can push the token out of the pass. */
static void run_high(struct ev *ev, int ask)
{
    struct epoll_event evs[EV_BATCH_HIGH];
    int n;

    run_fed(ev, EV_PRIO_HIGH);
    if (ev->n_active_high == 0 || !ask)
        return;
    ev->n_polls++;
    n = epoll_wait(ev->epfd_high, evs, EV_BATCH_HIGH, 0);
    if (n > 0)
        dispatch(ev, evs, n);
}

static int poll_io(struct ev *ev, int timeout)
{
    struct epoll_event evs[EV_BATCH];
    int n = 0;

    /* Without watchers a zero wait has nothing to ask the kernel; a loop
     * stepped on a fake clock with a fake transport never enters it. */
    if (timeout != 0 || ev->n_active > 0) {
        ev->n_polls++;
        n = epoll_pwait(ev->epfd, evs, EV_BATCH, timeout, &ev->wait_mask);
    }
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    ev_update_time(ev);
    run_high(ev, high_may_be_ready(evs, n));
    run_fed(ev, EV_PRIO_NORMAL);
    dispatch(ev, evs, n);
    return 0;
}

/* Phases added during the pass run in it (they go to the end); removed
 * ones leave a hole until the pass is over, so none is skipped. The
 * table may move under a phase: each entry is read afresh. */
static int run_phases(struct ev *ev)
{
    size_t i;
    int busy = 0;

    ev->in_phases = 1;
    for (i = 0; i < ev->n_phases; i++) {
        ev_phase_fn fn = ev->phases[i].fn;
        if (fn != NULL)
            busy |= fn(ev, ev->phases[i].ctx) != 0;
    }
    ev->in_phases = 0;
    if (ev->phase_holes)
        compact_phases(ev);
    return busy;
}

/* One pass after the clock was read: I/O with at most `timeout` ms of
 * waiting, timers, work. */
static int run_pass(struct ev *ev, int timeout)
{
    int rc;

    rc = poll_io(ev, timeout);                       /* 2: fed, then I/O */
    if (rc < 0)
        return rc;
    run_timers(ev);                                  /* 3: due timers */
    /* Work phases last, so that whatever I/O and timer callbacks queued
     * is handled in this pass, never left behind a blocking wait. */
    ev->busy = run_phases(ev);                       /* 4: work */
    ev->passes++;
    return ev->busy;
}

int ev_run_once(struct ev *ev, int max_wait_ms)
{
    ev_update_time(ev);                              /* 1: clock */
    return run_pass(ev, poll_timeout(ev, max_wait_ms));
}

int ev_run(struct ev *ev)
{
    while (!stopping(ev)) {
        int rc = ev_run_once(ev, ev->busy ? 0 : -1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- stepping on a fake clock ---- */

uint64_t ev_next_deadline(const struct ev *ev)
{
    return ev->n_timers > 0 ? ev->heap[0]->when_ms : EV_NEVER;
}

/* Work the next pass would do without any time passing. Ready
 * descriptors are not known without asking the kernel; see ev.h. */
static int work_now(const struct ev *ev, uint64_t now_ms)
{
    return ev->busy || ev->fed[EV_PRIO_HIGH].head != NULL ||
           ev->fed[EV_PRIO_NORMAL].head != NULL ||
           ev_next_deadline(ev) <= now_ms;
}

/* Move the fake clock to min(next deadline, now + max_ms), to the
 * millisecond boundary, so that the ms the loop reads is exactly the
 * deadline. */
static void advance(struct ev *ev, struct clock_fake *fc, uint64_t max_ms)
{
    uint64_t now_ms = clock_mono_ms(&fc->clock);
    uint64_t target = now_ms + max_ms < now_ms ? EV_NEVER : now_ms + max_ms;
    uint64_t when = ev_next_deadline(ev);

    if (when < target)
        target = when;
    if (max_ms == 0 || target <= now_ms ||
        target > UINT64_MAX / CLOCK_NS_PER_MS)
        return;                /* EV_NEVER: nothing to advance to */
    clock_fake_advance_ns(fc, target * CLOCK_NS_PER_MS - fc->mono_ns);
}

int ev_step(struct ev *ev, struct clock_fake *fc, uint64_t max_advance_ms)
{
    uint64_t io = ev->n_io_calls, timers = ev->n_timer_calls;
    int rc;

    if (ev->clock != &fc->clock)
        return -EINVAL;
    if (!work_now(ev, clock_mono_ms(&fc->clock)))
        advance(ev, fc, max_advance_ms);
    ev_update_time(ev);                              /* 1: clock */
    rc = run_pass(ev, 0);
    if (rc < 0)
        return rc;
    return (ev->n_io_calls != io ? EV_STEP_IO : 0) |
           (ev->n_timer_calls != timers ? EV_STEP_TIMER : 0) |
           (rc ? EV_STEP_BUSY : 0);
}
