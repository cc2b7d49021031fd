/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * clock: the daemon's two sources of time behind one small interface, so
 * that tests and the simulator can run the daemon on a clock they set by
 * hand (STYLE.md habit 11).
 *
 * Contract
 * - Monotonic time (clock_mono_*) never decreases and has an arbitrary
 *   origin; it measures intervals (timers, deadlines). Wall-clock time
 *   (clock_wall_*) counts from the Unix epoch and may jump; it only labels
 *   things (log lines, membership ids, seeds).
 * - clock_real() is the process's CLOCK_MONOTONIC and CLOCK_REALTIME. It
 *   has no state: one instance serves every loop and every thread.
 * - A struct clock_fake is owned by its test or simulator and moves only
 *   when told: clock_fake_advance_*() moves both times forward together,
 *   as real time would; clock_fake_set_wall_ns() makes the wall clock jump
 *   alone. Not thread-safe. Readers (an ev loop, actlog, sess) keep a
 *   pointer to the embedded struct clock, so the fake must outlive them.
 * - Other implementations embed struct clock first and fill its ops.
 */
#ifndef COHORT_DAEMON_CLOCK_H
#define COHORT_DAEMON_CLOCK_H

#include <stdint.h>

struct clock;

struct clock_ops {
    uint64_t (*mono_ns)(const struct clock *c);
    int64_t (*wall_ns)(const struct clock *c);
};

struct clock {
    const struct clock_ops *ops;
};

#define CLOCK_NS_PER_MS 1000000u
#define CLOCK_NS_PER_S 1000000000

static inline uint64_t clock_mono_ns(const struct clock *c)
{
    return c->ops->mono_ns(c);
}

static inline uint64_t clock_mono_ms(const struct clock *c)
{
    return clock_mono_ns(c) / CLOCK_NS_PER_MS;
}

static inline int64_t clock_wall_ns(const struct clock *c)
{
    return c->ops->wall_ns(c);
}

/* Whole seconds since the epoch, rounded down like time(2). */
static inline int64_t clock_wall_s(const struct clock *c)
{
    int64_t ns = clock_wall_ns(c);
    int64_t s = ns / CLOCK_NS_PER_S;
    return (ns % CLOCK_NS_PER_S < 0) ? s - 1 : s;
}

/* The system's clocks; never NULL. */
const struct clock *clock_real(void);

struct clock_fake {
    struct clock clock;            /* hand &f->clock to the readers */
    uint64_t mono_ns;
    int64_t wall_ns;
};

/* Start at the given times. A simulator usually picks a monotonic origin
 * far from 0, as a booted host has, and a fixed wall time. */
void clock_fake_init(struct clock_fake *f, uint64_t mono_ns, int64_t wall_ns);
/* Let `ns` pass: both clocks move forward by it. */
void clock_fake_advance_ns(struct clock_fake *f, uint64_t ns);
static inline void clock_fake_advance_ms(struct clock_fake *f, uint64_t ms)
{
    clock_fake_advance_ns(f, ms * CLOCK_NS_PER_MS);
}
/* Step the wall clock (an administrator or NTP setting the time); the
 * monotonic clock does not move. */
void clock_fake_set_wall_ns(struct clock_fake *f, int64_t wall_ns);

#endif /* COHORT_DAEMON_CLOCK_H */
