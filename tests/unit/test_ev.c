/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/ev.c: timers fire in deadline order, stopped
 * timers do not fire, fd watchers see readiness, phases run each pass and
 * a busy phase keeps the poll from blocking, an end of stream that comes
 * with the last bytes is reported with them, a loop on a fake clock sees
 * only the time it is given, and ev_step() moves that clock from deadline
 * to deadline but never past work that is due now, and the high-priority
 * set is asked on its own only when the wait saw it ready.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ev.h"
#include "../lib/ckmain.h"

struct rec {
    int order[8];
    int n;
    int reads;
    int phase_runs;
    int busy_left;
};

static void tcb(struct ev *ev, struct ev_timer *t)
{
    struct rec *r = t->data;
    (void)ev;
    r->order[r->n++] = (int)(t->when_ms % 1000);
}

START_TEST(timer_order)
{
    struct ev ev;
    struct ev_timer t[4];
    struct rec r;
    uint64_t base;
    int i;

    memset(&r, 0, sizeof r);
    ck_assert_int_eq(ev_init(&ev), 0);
    ev_timer_init(&t[0], tcb, &r);
    ev_timer_init(&t[1], tcb, &r);
    ev_timer_init(&t[2], tcb, &r);
    ev_timer_init(&t[3], tcb, &r);
    ev_timer_start(&ev, &t[0], 30);
    ev_timer_start(&ev, &t[1], 10);
    ev_timer_start(&ev, &t[2], 20);
    ev_timer_start(&ev, &t[3], 15);
    ev_timer_stop(&ev, &t[3]);
    ck_assert(!ev_timer_active(&t[3]));
    base = t[1].when_ms;
    for (i = 0; i < 20 && r.n < 3; i++)
        ev_run_once(&ev, 50);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(r.order[0], (int)(base % 1000));
    ck_assert_int_eq(r.order[1], (int)((base + 10) % 1000));
    ck_assert_int_eq(r.order[2], (int)((base + 20) % 1000));
    ev_fini(&ev);
}
END_TEST

static void rcb(struct ev *ev, struct ev_io *w, unsigned re)
{
    struct rec *r = w->data;
    char c;
    (void)ev;
    ck_assert(re & EV_READ);
    ck_assert_int_eq(read(w->fd, &c, 1), 1);
    r->reads++;
}

static int phase(struct ev *ev, void *ctx)
{
    struct rec *r = ctx;
    (void)ev;
    r->phase_runs++;
    if (r->busy_left > 0)
        return r->busy_left-- > 0;
    return 0;
}

START_TEST(io_and_phases)
{
    struct ev ev;
    struct ev_io w;
    struct rec r;
    int p[2];

    memset(&r, 0, sizeof r);
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(ev_init(&ev), 0);
    ev_io_init(&w, p[0], rcb, &r);
    ck_assert_int_eq(ev_io_set(&ev, &w, EV_READ), 0);
    ck_assert_int_eq(ev_add_phase(&ev, "count", phase, &r), 0);
    ck_assert_int_eq(write(p[1], "ab", 2), 2);
    ev_run_once(&ev, 100);
    ev_run_once(&ev, 100);
    ck_assert_int_eq(r.reads, 2);
    ck_assert_int_eq(r.phase_runs, 2);
    r.busy_left = 1;
    ck_assert_int_eq(ev_run_once(&ev, 0), 1);
    ev_io_stop(&ev, &w);
    ck_assert_int_eq(write(p[1], "c", 1), 1);
    ev_run_once(&ev, 10);
    ck_assert_int_eq(r.reads, 2);
    ev_fini(&ev);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* Bytes and the end of stream arriving together raise one edge; the
 * watcher must learn of both from it (EV_HUP). */
static void hup_cb(struct ev *ev, struct ev_io *w, unsigned revents)
{
    unsigned *seen = w->data;
    (void)ev;
    *seen |= revents;
}

START_TEST(end_of_stream_reported)
{
    struct ev ev;
    struct ev_io w;
    unsigned seen = 0;
    int sv[2], i;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(ev_init(&ev), 0);
    ev_io_init(&w, sv[0], hup_cb, &seen);
    ck_assert_int_eq(ev_io_set(&ev, &w, EV_READ | EV_EDGE), 0);
    ck_assert_int_eq(write(sv[1], "bye", 3), 3);
    ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
    for (i = 0; i < 10 && seen == 0; i++)
        ev_run_once(&ev, 100);
    ck_assert_uint_eq(seen & (EV_READ | EV_HUP), EV_READ | EV_HUP);
    ev_io_stop(&ev, &w);
    ev_fini(&ev);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

static void count_cb(struct ev *ev, struct ev_timer *t)
{
    (void)ev;
    (*(int *)t->data)++;
}

/* Time on a fake clock stands still however long the machine takes, and
 * a timer fires exactly when the clock reaches its deadline. */
START_TEST(fake_clock_drives_timers)
{
    struct clock_fake fc;
    struct ev ev;
    struct ev_timer t;
    int fired = 0;

    clock_fake_init(&fc, 7000ull * CLOCK_NS_PER_MS, 0);
    ck_assert_int_eq(ev_init_clock(&ev, &fc.clock), 0);
    ck_assert_ptr_eq(ev_clock(&ev), &fc.clock);
    ck_assert_uint_eq(ev_now(&ev), 7000);
    ev_timer_init(&t, count_cb, &fired);
    ev_timer_start(&ev, &t, 100);
    ck_assert_uint_eq(t.when_ms, 7100);
    ev_run_once(&ev, 0);
    ck_assert_int_eq(fired, 0);
    clock_fake_advance_ms(&fc, 99);
    ev_run_once(&ev, 0);
    ck_assert_uint_eq(ev_now(&ev), 7099);
    ck_assert_int_eq(fired, 0);
    clock_fake_advance_ns(&fc, CLOCK_NS_PER_MS);
    ev_run_once(&ev, 0);
    ck_assert_int_eq(fired, 1);
    ck_assert(!ev_timer_active(&t));
    ev_fini(&ev);
}
END_TEST

/* Timers record when (on the fake clock) they ran. */
struct trace {
    uint64_t at[16];
    int n;
};

static void trace_cb(struct ev *ev, struct ev_timer *t)
{
    struct trace *tr = t->data;
    tr->at[tr->n++] = ev_now(ev);
}

START_TEST(step_moves_clock_to_deadlines)
{
    struct clock_fake fc;
    struct ev ev;
    struct ev_timer t[2];
    struct trace tr;

    memset(&tr, 0, sizeof tr);
    clock_fake_init(&fc, 1000ull * CLOCK_NS_PER_MS + 123, 0);
    ck_assert_int_eq(ev_init_clock(&ev, &fc.clock), 0);
    ck_assert_uint_eq(ev_next_deadline(&ev), EV_NEVER);
    ev_timer_init(&t[0], trace_cb, &tr);
    ev_timer_init(&t[1], trace_cb, &tr);
    ev_timer_start(&ev, &t[0], 30);
    ev_timer_start(&ev, &t[1], 10);
    ck_assert_uint_eq(ev_next_deadline(&ev), 1010);

    ck_assert_int_eq(ev_step(&ev, &fc, EV_NEVER), EV_STEP_TIMER);
    ck_assert_int_eq(tr.n, 1);
    ck_assert_uint_eq(tr.at[0], 1010);
    ck_assert_uint_eq(fc.mono_ns, 1010ull * CLOCK_NS_PER_MS);
    ck_assert_uint_eq(ev_next_deadline(&ev), 1030);

    /* A bound shorter than the wait: time passes, nothing fires. */
    ck_assert_int_eq(ev_step(&ev, &fc, 5), 0);
    ck_assert_uint_eq(ev_now(&ev), 1015);
    ck_assert_int_eq(tr.n, 1);
    /* No advance at all. */
    ck_assert_int_eq(ev_step(&ev, &fc, 0), 0);
    ck_assert_uint_eq(ev_now(&ev), 1015);

    ck_assert_int_eq(ev_step(&ev, &fc, EV_NEVER), EV_STEP_TIMER);
    ck_assert_uint_eq(tr.at[1], 1030);
    /* Nothing armed: EV_NEVER leaves the clock, a bound moves it. */
    ck_assert_uint_eq(ev_next_deadline(&ev), EV_NEVER);
    ck_assert_int_eq(ev_step(&ev, &fc, EV_NEVER), 0);
    ck_assert_uint_eq(ev_now(&ev), 1030);
    ck_assert_int_eq(ev_step(&ev, &fc, 250), 0);
    ck_assert_uint_eq(ev_now(&ev), 1280);
    ev_fini(&ev);
}
END_TEST

static int busy_phase(struct ev *ev, void *ctx)
{
    struct rec *r = ctx;
    (void)ev;
    r->phase_runs++;
    return r->busy_left > 0 ? r->busy_left-- > 0 : 0;
}

static void fed_cb(struct ev *ev, struct ev_io *w, unsigned re)
{
    struct rec *r = w->data;
    (void)ev;
    (void)re;
    r->reads++;
}

/* Work due now (a busy phase, a fed watcher, a due timer) is done before
 * the clock may move. */
START_TEST(step_finishes_work_before_time_passes)
{
    struct clock_fake fc;
    struct clock_fake other;
    struct ev ev;
    struct ev_timer t;
    struct ev_io w;
    struct trace tr;
    struct rec r;
    int p[2];

    memset(&tr, 0, sizeof tr);
    memset(&r, 0, sizeof r);
    clock_fake_init(&fc, 0, 0);
    clock_fake_init(&other, 0, 0);
    ck_assert_int_eq(ev_init_clock(&ev, &fc.clock), 0);
    ck_assert_int_eq(ev_step(&ev, &other, 10), -EINVAL);
    ck_assert_int_eq(ev_add_phase(&ev, "busy", busy_phase, &r), 0);
    ev_timer_init(&t, trace_cb, &tr);
    ev_timer_start(&ev, &t, 100);

    r.busy_left = 2;
    ck_assert_int_eq(ev_step(&ev, &fc, 0), EV_STEP_BUSY);
    ck_assert_int_eq(ev_step(&ev, &fc, EV_NEVER), EV_STEP_BUSY);
    ck_assert_uint_eq(ev_now(&ev), 0);      /* busy after pass 1 */
    ck_assert_int_eq(ev_step(&ev, &fc, EV_NEVER), 0);
    ck_assert_uint_eq(ev_now(&ev), 0);      /* busy after pass 2 */
    ck_assert_int_eq(tr.n, 0);

    ck_assert_int_eq(pipe(p), 0);
    ev_io_init(&w, p[0], fed_cb, &r);
    ck_assert_int_eq(ev_io_set(&ev, &w, EV_READ), 0);
    ev_io_feed(&ev, &w, EV_READ);
    ck_assert_int_eq(ev_step(&ev, &fc, EV_NEVER), EV_STEP_IO);
    ck_assert_int_eq(r.reads, 1);
    ck_assert_uint_eq(ev_now(&ev), 0);

    ck_assert_int_eq(ev_step(&ev, &fc, EV_NEVER), EV_STEP_TIMER);
    ck_assert_uint_eq(tr.at[0], 100);
    ck_assert_int_eq(r.phase_runs, 5);
    ev_io_stop(&ev, &w);
    ev_fini(&ev);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* Timers know their index from their place in the array. */
struct fifo {
    struct ev_timer t[40];
    int order[40];
    int n;
};

static void fifo_cb(struct ev *ev, struct ev_timer *t)
{
    struct fifo *f = t->data;
    (void)ev;
    f->order[f->n++] = (int)(t - f->t);
}

/* Equal deadlines fire in start order (a restart counts as a new start);
 * earlier deadlines still come first. A plain heap pops equal timers in
 * an order set by its history: the old loop fired 33, 32, then 15 here. */
START_TEST(equal_deadlines_fire_in_start_order)
{
    static struct fifo f;
    struct clock_fake fc;
    struct ev ev;
    int i, k = 0;
    int want[34];

    clock_fake_init(&fc, 0, 0);
    ck_assert_int_eq(ev_init_clock(&ev, &fc.clock), 0);
    for (i = 0; i < 34; i++)
        ev_timer_init(&f.t[i], fifo_cb, &f);
    for (i = 0; i < 32; i++)
        ev_timer_start(&ev, &f.t[i], 50);
    ev_timer_start(&ev, &f.t[33], 40);
    ev_timer_start(&ev, &f.t[32], 40);
    ev_timer_start(&ev, &f.t[3], 50);           /* restarted: now last */
    want[k++] = 33;
    want[k++] = 32;
    for (i = 0; i < 32; i++)
        if (i != 3)
            want[k++] = i;
    want[k++] = 3;
    while (ev_next_deadline(&ev) != EV_NEVER)
        ck_assert_int_ge(ev_step(&ev, &fc, EV_NEVER), 0);
    ck_assert_int_eq(f.n, 34);
    for (i = 0; i < 34; i++)
        ck_assert_msg(f.order[i] == want[i], "timer %d fired at %d, wanted %d",
                      f.order[i], i, want[i]);
    ev_fini(&ev);
}
END_TEST

/* Client-like readers: pipes with a few bytes each, edge-triggered, one
 * byte read per callback and then fed again (a fair reader that stops
 * early). One high-priority socket among them records where in its pass
 * it ran. */
#define CROWD 300           /* more than one epoll batch (256) */

struct crowd {
    int pos;                /* callbacks so far in this pass */
    int high_pos[4];        /* pos of each high-priority dispatch */
    int n_high;
    int client_calls;
};

static void client_cb(struct ev *ev, struct ev_io *w, unsigned re)
{
    struct crowd *c = w->data;
    char b;
    (void)re;
    c->pos++;
    c->client_calls++;
    if (read(w->fd, &b, 1) == 1)
        ev_io_feed(ev, w, EV_READ);
}

static void high_cb(struct ev *ev, struct ev_io *w, unsigned re)
{
    struct crowd *c = w->data;
    char b;
    (void)ev;
    (void)re;
    ck_assert_int_eq(read(w->fd, &b, 1), 1);
    c->high_pos[c->n_high++] = c->pos++;
}

static int pass_end(struct ev *ev, void *ctx)
{
    struct crowd *c = ctx;
    (void)ev;
    c->pos = 0;
    return 0;
}

static void enough_fds(unsigned n)
{
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < n) {
        rl.rlim_cur = rl.rlim_max < n ? rl.rlim_max : n;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    ck_assert_uint_ge(rl.rlim_cur, n);
}

START_TEST(high_priority_first_in_pass)
{
    static struct ev_io cw[CROWD];
    static int cp[CROWD][2];
    struct crowd c;
    struct ev ev;
    struct ev_io hw;
    int hs[2], i;

    enough_fds(2 * CROWD + 64);
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(ev_init(&ev), 0);
    ck_assert_int_eq(ev_add_phase(&ev, "pass-end", pass_end, &c), 0);
    for (i = 0; i < CROWD; i++) {
        ck_assert_int_eq(pipe(cp[i]), 0);
        ck_assert_int_eq(write(cp[i][1], "abcd", 4), 4);
        ev_io_init(&cw[i], cp[i][0], client_cb, &c);
        ck_assert_int_eq(ev_io_set(&ev, &cw[i], EV_READ | EV_EDGE), 0);
    }
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, hs), 0);
    ev_io_init(&hw, hs[0], high_cb, &c);
    ck_assert_int_eq(ev_io_set_priority(&hw, 7), -EINVAL);
    ck_assert_int_eq(ev_io_set_priority(&hw, EV_PRIO_HIGH), 0);
    ck_assert_int_eq(ev_io_set(&ev, &hw, EV_READ), 0);
    ck_assert_int_eq(ev_io_set_priority(&hw, EV_PRIO_NORMAL), -EBUSY);

    /* Pass 1: 300 clients and the token ready at once. */
    ck_assert_int_eq(write(hs[1], "t", 1), 1);
    ck_assert_int_eq(ev_run_once(&ev, 100), 0);
    ck_assert_int_eq(c.n_high, 1);
    ck_assert_int_eq(c.high_pos[0], 0);
    ck_assert_int_gt(c.client_calls, 0);
    /* Pass 2: every client fed or ready again; the token comes first. */
    ck_assert_int_eq(write(hs[1], "u", 1), 1);
    ck_assert_int_eq(ev_run_once(&ev, 100), 0);
    ck_assert_int_eq(c.n_high, 2);
    ck_assert_int_eq(c.high_pos[1], 0);
    ck_assert_int_ge(c.client_calls, CROWD);
    /* Pass 3: a token while clients are still being fed. */
    ck_assert_int_eq(write(hs[1], "v", 1), 1);
    ck_assert_int_eq(ev_run_once(&ev, 100), 0);
    ck_assert_int_eq(c.n_high, 3);
    ck_assert_int_eq(c.high_pos[2], 0);
    ck_assert_int_gt(c.client_calls, CROWD + 256);

    for (i = 0; i < CROWD; i++) {
        ev_io_stop(&ev, &cw[i]);
        close(cp[i][0]);
        close(cp[i][1]);
    }
    ev_io_stop(&ev, &hw);
    ev_fini(&ev);
    close(hs[0]);
    close(hs[1]);
}
END_TEST

/* The high-priority set is asked on its own only when the pass's wait
 * saw it ready: a pass woken by a client alone makes one epoll call, not
 * two (the old code made two in every pass). */
START_TEST(high_set_asked_only_when_ready)
{
    struct crowd c;
    struct ev ev;
    struct ev_io hw, nw;
    int hs[2], ns[2];
    uint64_t polls;

    memset(&c, 0, sizeof c);
    ck_assert_int_eq(ev_init(&ev), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, hs), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, ns), 0);
    ev_io_init(&hw, hs[0], high_cb, &c);
    ck_assert_int_eq(ev_io_set_priority(&hw, EV_PRIO_HIGH), 0);
    ck_assert_int_eq(ev_io_set(&ev, &hw, EV_READ), 0);
    ev_io_init(&nw, ns[0], client_cb, &c);
    ck_assert_int_eq(ev_io_set(&ev, &nw, EV_READ), 0);

    ck_assert_int_eq(write(ns[1], "c", 1), 1);
    polls = ev.n_polls;
    ck_assert_int_eq(ev_run_once(&ev, 100), 0);
    ck_assert_int_eq(c.client_calls, 1);
    ck_assert_uint_eq(ev.n_polls - polls, 1);

    ck_assert_int_eq(write(hs[1], "t", 1), 1);
    polls = ev.n_polls;
    ck_assert_int_eq(ev_run_once(&ev, 100), 0);
    ck_assert_int_eq(c.n_high, 1);
    ck_assert_uint_eq(ev.n_polls - polls, 2);

    ev_io_stop(&ev, &hw);
    ev_io_stop(&ev, &nw);
    ev_fini(&ev);
    close(hs[0]);
    close(hs[1]);
    close(ns[0]);
    close(ns[1]);
}
END_TEST

/* Fed watchers: a high-priority one fed last still runs first. */
static void order_cb(struct ev *ev, struct ev_io *w, unsigned re)
{
    struct fifo *f = w->data;
    (void)ev;
    (void)re;
    f->order[f->n++] = w->fd;
}

START_TEST(fed_high_priority_first)
{
    struct fifo f;
    struct ev ev;
    struct ev_io w[3];
    int p[3][2], i;

    memset(&f, 0, sizeof f);
    ck_assert_int_eq(ev_init(&ev), 0);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(pipe(p[i]), 0);
        ev_io_init(&w[i], p[i][0], order_cb, &f);
    }
    ck_assert_int_eq(ev_io_set_priority(&w[2], EV_PRIO_HIGH), 0);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(ev_io_set(&ev, &w[i], EV_READ), 0);
        ev_io_feed(&ev, &w[i], EV_READ);
    }
    ev_run_once(&ev, 0);
    ck_assert_int_eq(f.n, 3);
    ck_assert_int_eq(f.order[0], p[2][0]);
    ck_assert_int_eq(f.order[1], p[0][0]);
    ck_assert_int_eq(f.order[2], p[1][0]);
    for (i = 0; i < 3; i++) {
        ev_io_stop(&ev, &w[i]);
        close(p[i][0]);
        close(p[i][1]);
    }
    ev_fini(&ev);
}
END_TEST

/* Sixteen daemons' worth of phases on one loop, as the simulator will
 * have them: each fake daemon registers deliver, flush, reap and order
 * phases with itself as the context. */
#define N_FAKE 16

struct fake_daemon {
    int id;
    int crash;              /* reap removes this daemon's phases */
    int *log, *n_log;
    struct ev *ev;
};

static int fd_phase(struct fake_daemon *d, int k)
{
    d->log[(*d->n_log)++] = d->id * 4 + k;
    return 0;
}

static int ph_deliver(struct ev *ev, void *ctx) { (void)ev; return fd_phase(ctx, 0); }
static int ph_flush(struct ev *ev, void *ctx) { (void)ev; return fd_phase(ctx, 1); }
static int ph_order(struct ev *ev, void *ctx) { (void)ev; return fd_phase(ctx, 3); }

static int ph_reap(struct ev *ev, void *ctx)
{
    struct fake_daemon *d = ctx;
    fd_phase(d, 2);
    if (d->crash) {
        ck_assert_int_eq(ev_del_phase(ev, ph_deliver, d), 0);
        ck_assert_int_eq(ev_del_phase(ev, ph_flush, d), 0);
        ck_assert_int_eq(ev_del_phase(ev, ph_reap, d), 0);
        ck_assert_int_eq(ev_del_phase(ev, ph_order, d), 0);
        ck_assert_int_eq(ev_del_phase(ev, ph_order, d), -ENOENT);
    }
    return 0;
}

START_TEST(phases_of_many_daemons)
{
    static struct fake_daemon d[N_FAKE];
    static int log[4 * N_FAKE];
    int n_log = 0, i, k;
    struct ev ev;

    ck_assert_int_eq(ev_init(&ev), 0);
    for (i = 0; i < N_FAKE; i++) {
        d[i].id = i;
        d[i].crash = 0;
        d[i].log = log;
        d[i].n_log = &n_log;
        ck_assert_int_eq(ev_add_phase(&ev, "deliver", ph_deliver, &d[i]), 0);
        ck_assert_int_eq(ev_add_phase(&ev, "flush", ph_flush, &d[i]), 0);
        ck_assert_int_eq(ev_add_phase(&ev, "reap", ph_reap, &d[i]), 0);
        ck_assert_int_eq(ev_add_phase(&ev, "order", ph_order, &d[i]), 0);
    }
    ck_assert_uint_eq(ev.n_phases, 4 * N_FAKE);
    ev_run_once(&ev, 0);
    ck_assert_int_eq(n_log, 4 * N_FAKE);
    for (i = 0; i < 4 * N_FAKE; i++)
        ck_assert_int_eq(log[i], i);

    /* Daemon 5 goes away from inside its own reap phase: its order phase
     * does not run, nobody else's phase is skipped. */
    d[5].crash = 1;
    n_log = 0;
    ev_run_once(&ev, 0);
    ck_assert_int_eq(n_log, 4 * N_FAKE - 1);
    for (i = 0, k = 0; i < 4 * N_FAKE; i++)
        if (i != 23)
            ck_assert_int_eq(log[k++], i);
    n_log = 0;
    ev_run_once(&ev, 0);
    ck_assert_uint_eq(ev.n_phases, 4 * (N_FAKE - 1));
    ck_assert_int_eq(n_log, 4 * (N_FAKE - 1));
    for (i = 0, k = 0; i < 4 * N_FAKE; i++)
        if (i / 4 != 5)
            ck_assert_int_eq(log[k++], i);
    /* Removed outside a pass, and again. */
    ck_assert_int_eq(ev_del_phase(&ev, ph_flush, &d[0]), 0);
    ck_assert_int_eq(ev_del_phase(&ev, ph_flush, &d[0]), -ENOENT);
    ck_assert_uint_eq(ev.n_phases, 4 * (N_FAKE - 1) - 1);
    ev_fini(&ev);
}
END_TEST

/* A timer that re-arms itself at 0 ms runs once per pass, not forever
 * within one: the loop still gets to its I/O and phases. */
static void rearm_cb(struct ev *ev, struct ev_timer *t)
{
    int *n = t->data;
    if (++*n < 1000)
        ev_timer_start(ev, t, 0);
}

START_TEST(rearmed_timer_waits_a_pass)
{
    struct clock_fake fc;
    struct ev ev;
    struct ev_timer t;
    struct rec r;
    int n = 0;

    memset(&r, 0, sizeof r);
    clock_fake_init(&fc, 0, 0);
    ck_assert_int_eq(ev_init_clock(&ev, &fc.clock), 0);
    ck_assert_int_eq(ev_add_phase(&ev, "count", phase, &r), 0);
    ev_timer_init(&t, rearm_cb, &n);
    ev_timer_start(&ev, &t, 0);
    ck_assert_int_eq(ev_step(&ev, &fc, 0), EV_STEP_TIMER);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(ev_step(&ev, &fc, 0), EV_STEP_TIMER);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(r.phase_runs, 2);
    ev_fini(&ev);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ev");
    TCase *tc = tcase_create("loop");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, timer_order);
    tcase_add_test(tc, io_and_phases);
    tcase_add_test(tc, end_of_stream_reported);
    tcase_add_test(tc, fake_clock_drives_timers);
    tcase_add_test(tc, step_moves_clock_to_deadlines);
    tcase_add_test(tc, step_finishes_work_before_time_passes);
    tcase_add_test(tc, equal_deadlines_fire_in_start_order);
    tcase_add_test(tc, high_priority_first_in_pass);
    tcase_add_test(tc, high_set_asked_only_when_ready);
    tcase_add_test(tc, fed_high_priority_first);
    tcase_add_test(tc, phases_of_many_daemons);
    tcase_add_test(tc, rearmed_timer_waits_a_pass);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
