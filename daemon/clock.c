/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * clock: the real clock (clock_gettime) and the hand-driven fake.
 */
#include "config.h"

#include <time.h>

#include "clock.h"

static uint64_t real_mono_ns(const struct clock *c)
{
    struct timespec ts;
    (void)c;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t real_wall_ns(const struct clock *c)
{
    struct timespec ts;
    (void)c;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * CLOCK_NS_PER_S + (int64_t)ts.tv_nsec;
}

static const struct clock_ops real_ops = { real_mono_ns, real_wall_ns };
static const struct clock real_clock = { &real_ops };

const struct clock *clock_real(void)
{
    return &real_clock;
}

/* The fake's struct clock is its first member. */
static uint64_t fake_mono_ns(const struct clock *c)
{
    return ((const struct clock_fake *)(const void *)c)->mono_ns;
}

static int64_t fake_wall_ns(const struct clock *c)
{
    return ((const struct clock_fake *)(const void *)c)->wall_ns;
}

static const struct clock_ops fake_ops = { fake_mono_ns, fake_wall_ns };

void clock_fake_init(struct clock_fake *f, uint64_t mono_ns, int64_t wall_ns)
{
    f->clock.ops = &fake_ops;
    f->mono_ns = mono_ns;
    f->wall_ns = wall_ns;
}

void clock_fake_advance_ns(struct clock_fake *f, uint64_t ns)
{
    f->mono_ns += ns;
    f->wall_ns += (int64_t)ns;
}

void clock_fake_set_wall_ns(struct clock_fake *f, int64_t wall_ns)
{
    f->wall_ns = wall_ns;
}
