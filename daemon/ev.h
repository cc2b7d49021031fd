/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ev: the daemon's event loop. Owns the epoll set, a binary heap of timers,
 * the cached time and the list of per-pass work phases. It reads time from
 * the struct clock it was given (clock.h): the real one in the daemon, a
 * fake one in tests and the simulator.
 *
 * Contract
 * - ev_run() repeats a fixed sequence of phases (see ev_run_once()): read
 *   the clock, wait for and dispatch I/O (by priority, and within one
 *   priority fed watchers first), run due timers, then run the registered
 *   work phases in registration order (ordered delivery, write flushing,
 *   reaping closed sessions).
 * - Callbacks may add/modify/remove any watcher or timer, including their
 *   own. Freeing the memory of a watcher from inside its own callback is
 *   not allowed: close it with ev_io_stop() and free it in a later phase
 *   (deferred destruction, see sess.c's reap phase).
 * - A work phase returns non-zero when it left work behind; the next poll
 *   then does not block.
 * - Timers fire in deadline order; timers with the same deadline fire in
 *   the order they were (last) started. A timer started by a timer
 *   callback fires in a later pass at the earliest, even if already due.
 * - Watchers have a priority (ev_io_set_priority()). In every pass all
 *   high-priority watchers (fed, then ready) are dispatched before any
 *   normal one, and the ready ones are found through a separate epoll set,
 *   so however many client sockets are ready or fed, a high-priority
 *   watcher (the ring's sockets) that was ready when the pass's wait
 *   returned runs in that pass, first. (That set is asked only when the
 *   wait reported it or returned a full batch: one system call less per
 *   pass.) Normal watchers run after: fed ones, then the ready ones.
 * - Within one pass and priority, fd events are dispatched in the order
 *   the kernel queued them. With EV_EDGE that is the order in which the
 *   descriptors became ready, i.e. the arrival order of requests written
 *   back to back on different connections (level-triggered watchers are
 *   re-queued after each report and lose that property).
 * - The loop stops when ev_stop() is called or *stop_flag becomes non-zero
 *   (a signal flag). SIGINT/SIGTERM are unblocked only inside epoll_pwait,
 *   so a signal can never slip in between the flag test and the wait.
 *
 * Stepping (tests and the simulator)
 * - A loop made with ev_init_clock() on a struct clock_fake can be driven
 *   by ev_step() instead of ev_run(): one pass that never waits, after the
 *   fake clock was moved forward to the next timer deadline (bounded by
 *   max_advance_ms) when nothing was left to do at the current time. Time
 *   then passes only at ev_step() or where the driver moves the clock
 *   itself, so a run is a function of its inputs: same timers, same
 *   callbacks, same order.
 * - Ready descriptors still work (the pass polls with a zero timeout) but
 *   do not hold the clock back, and their order is the kernel's; a
 *   deterministic run uses none (a fake transport delivers through
 *   timers), and then the kernel is never asked.
 * - One loop can carry the modules of several daemons: nothing in it
 *   belongs to one daemon. Each daemon registers its own watchers, timers
 *   and phases with its own context pointer; phases run in the order
 *   they were registered, and a daemon that stops takes its phases out
 *   with ev_del_phase() (and stops its watchers and timers).
 */
#ifndef COHORT_DAEMON_EV_H
#define COHORT_DAEMON_EV_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

struct ev;
struct ev_io;
struct ev_timer;

#define EV_READ 0x1u
#define EV_WRITE 0x2u
#define EV_ERROR 0x4u   /* EPOLLERR/EPOLLHUP seen; a read will tell more */
#define EV_EDGE 0x8u    /* edge-triggered: the callback must drain the fd
                         * (or ev_io_feed() itself to continue next pass) */
#define EV_HUP 0x10u    /* reported with EV_READ: the peer has ended its
                         * sending side (EPOLLRDHUP) or the connection is
                         * gone (EPOLLHUP, EPOLLERR). After the bytes already
                         * buffered, a read returns 0 or an error. The kernel
                         * reports this once per change, so an edge-triggered
                         * reader must remember it: a short read no longer
                         * proves that nothing more is to be read. */

typedef void (*ev_io_fn)(struct ev *ev, struct ev_io *w, unsigned revents);
typedef void (*ev_timer_fn)(struct ev *ev, struct ev_timer *t);
typedef int (*ev_phase_fn)(struct ev *ev, void *ctx);

#define EV_PRIO_NORMAL 0    /* client sockets, listeners */
#define EV_PRIO_HIGH 1      /* the ring's sockets */
#define EV_NPRIO 2

struct ev_io {
    int fd;
    unsigned events;        /* EV_READ | EV_WRITE | EV_EDGE currently set */
    int active;
    int prio;               /* EV_PRIO_*; ev_io_set_priority() */
    ev_io_fn cb;
    void *data;
    unsigned fed;           /* revents queued by ev_io_feed(), 0 if none */
    struct ev_io *fed_prev, *fed_next;
};

struct ev_timer {
    uint64_t when_ms;
    uint64_t seq;           /* start order: breaks ties of when_ms */
    size_t heap_idx;        /* SIZE_MAX when not armed */
    ev_timer_fn cb;
    void *data;
};

/* The first EV_PHASES_RESERVED registrations on a loop cannot fail:
 * ev_init() reserves that room. */
#define EV_PHASES_RESERVED 16

struct ev_phase {
    const char *name;
    ev_phase_fn fn;
    void *ctx;
};

struct ev_fed {
    struct ev_io *head, *tail;
};

struct ev {
    int epfd;               /* normal watchers, and epfd_high itself */
    int epfd_high;          /* high-priority watchers */
    const struct clock *clock;
    uint64_t now_ms;        /* clock_mono_ms(clock), read once per pass */
    struct ev_timer **heap;
    size_t n_timers, cap_timers;
    uint64_t timer_seq;     /* next ev_timer.seq */
    struct ev_phase *phases; /* grows; holes (fn NULL) only mid-pass */
    size_t n_phases, cap_phases;
    int in_phases;          /* running the phases now */
    int phase_holes;        /* ev_del_phase() left a hole */
    int stop;
    volatile sig_atomic_t *stop_flag;
    sigset_t wait_mask;     /* signal mask during epoll_pwait */
    struct ev_fed fed[EV_NPRIO]; /* ev_io_feed() queues, per priority */
    int busy;               /* the last pass's phases left work */
    unsigned n_active;      /* watchers in either epoll set */
    unsigned n_active_high; /* of which high priority */
    uint64_t passes;
    uint64_t n_io_calls, n_timer_calls; /* callbacks run, ever */
    uint64_t n_polls;       /* epoll_pwait/epoll_wait calls, ever */
};

/* A loop on the real clock; ev_init_clock(ev, clock_real()). */
int ev_init(struct ev *ev);
/* A loop reading time from `clock`, which must outlive the loop. Returns
 * 0 or -errno. */
int ev_init_clock(struct ev *ev, const struct clock *clock);
void ev_fini(struct ev *ev);

/* The loop's clock: modules that label things with the wall time (actlog,
 * membership ids) or seed from it read it here, so that one fake clock
 * drives a whole simulated daemon. */
static inline const struct clock *ev_clock(const struct ev *ev)
{
    return ev->clock;
}

/* Current cached time (ms, monotonic) and a fresh read of the clock. */
static inline uint64_t ev_now(const struct ev *ev) { return ev->now_ms; }
void ev_update_time(struct ev *ev);

/* A watcher of normal priority, not started. */
void ev_io_init(struct ev_io *w, int fd, ev_io_fn cb, void *data);
/* Set the priority (EV_PRIO_*) of a watcher that is neither started nor
 * fed. Returns 0, -EINVAL for an unknown priority or -EBUSY. */
int ev_io_set_priority(struct ev_io *w, int prio);
/* Start or change the watched set; events 0 removes the fd from epoll. */
int ev_io_set(struct ev *ev, struct ev_io *w, unsigned events);
void ev_io_stop(struct ev *ev, struct ev_io *w);
/* Dispatch `revents` to w in the next pass, before that pass's ready
 * watchers of w's priority (an edge-triggered reader that stopped early
 * for fairness). */
void ev_io_feed(struct ev *ev, struct ev_io *w, unsigned revents);

void ev_timer_init(struct ev_timer *t, ev_timer_fn cb, void *data);
void ev_timer_start(struct ev *ev, struct ev_timer *t, uint64_t after_ms);
void ev_timer_stop(struct ev *ev, struct ev_timer *t);
static inline int ev_timer_active(const struct ev_timer *t)
{
    return t->heap_idx != (size_t)-1;
}

/* Register a work phase at the end of the list. The table grows: several
 * daemons (each with its deliver, flush, reap and ring phases) can share
 * one loop. `name` must outlive the registration. Returns 0, or -ENOMEM
 * (never for the first EV_PHASES_RESERVED phases). May be called from
 * a callback; a phase added during the work phase runs in that pass. */
int ev_add_phase(struct ev *ev, const char *name, ev_phase_fn fn, void *ctx);
/* Remove the first phase registered with (fn, ctx), e.g. those of a
 * daemon the simulator stops. May be called from a callback, also from
 * the phase itself; the others of the pass still run. Returns 0 or
 * -ENOENT. */
int ev_del_phase(struct ev *ev, ev_phase_fn fn, void *ctx);

void ev_set_stop_flag(struct ev *ev, volatile sig_atomic_t *flag,
                      const sigset_t *wait_mask);
void ev_stop(struct ev *ev);
/* Runs until stopped. Returns 0, or -errno if epoll failed. */
int ev_run(struct ev *ev);
/* One pass with the given maximum wait; for tests. */
int ev_run_once(struct ev *ev, int max_wait_ms);

#define EV_NEVER UINT64_MAX

/* The earliest armed timer's deadline (ms on the loop's clock), or
 * EV_NEVER when no timer is armed. */
uint64_t ev_next_deadline(const struct ev *ev);

/* What an ev_step() pass did (bits). */
#define EV_STEP_IO 0x1      /* watcher callbacks ran (fed or ready fds) */
#define EV_STEP_TIMER 0x2   /* timer callbacks ran */
#define EV_STEP_BUSY 0x4    /* a work phase left work: step again before
                             * letting time pass */

/* One pass of a loop on the fake clock `fc` (ev_init_clock(ev,
 * &fc->clock)), never waiting. If no work is due at the current time (no
 * busy phase, no fed watcher, no due timer), the clock first moves to the
 * earliest of the next deadline and now + max_advance_ms (0: time stands
 * still; EV_NEVER: to the next deadline, if any). Phases run every pass.
 * Returns EV_STEP_* bits (0: nothing ran and nothing is left at this
 * time), or -EINVAL if the loop reads another clock, or -errno if polling
 * failed. Not to be called from inside a callback. A driver that wants
 * "until time T" loops: while (ev_now(ev) < T) ev_step(ev, fc, T -
 * ev_now(ev)); and then steps with 0 until the result is 0. */
int ev_step(struct ev *ev, struct clock_fake *fc, uint64_t max_advance_ms);

#endif /* COHORT_DAEMON_EV_H */
