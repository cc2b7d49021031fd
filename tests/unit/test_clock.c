/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/clock.c: the real clock agrees with the system's,
 * the fake one moves only when told, and wall seconds round down like
 * time(2) also before the epoch.
 */
#include <check.h>
#include <time.h>

#include "clock.h"
#include "../lib/ckmain.h"

START_TEST(real_clock)
{
    const struct clock *c = clock_real();
    uint64_t m1, m2;
    int64_t w;
    time_t t0, t1;

    ck_assert_ptr_nonnull(c);
    t0 = time(NULL);
    w = clock_wall_s(c);
    t1 = time(NULL);
    ck_assert_int_ge(w, (int64_t)t0);
    ck_assert_int_le(w, (int64_t)t1);
    m1 = clock_mono_ns(c);
    m2 = clock_mono_ns(c);
    ck_assert_uint_ge(m2, m1);
    ck_assert_uint_eq(clock_mono_ms(c) / 1000u, clock_mono_ns(c) / 1000000000u);
}
END_TEST

START_TEST(fake_clock)
{
    struct clock_fake f;
    const struct clock *c = &f.clock;

    clock_fake_init(&f, 5000000000ull, 1700000000ll * CLOCK_NS_PER_S);
    ck_assert_uint_eq(clock_mono_ms(c), 5000);
    ck_assert_int_eq(clock_wall_s(c), 1700000000ll);
    ck_assert_uint_eq(clock_mono_ms(c), 5000);      /* reading moves nothing */
    clock_fake_advance_ms(&f, 1500);
    ck_assert_uint_eq(clock_mono_ms(c), 6500);
    ck_assert_int_eq(clock_wall_s(c), 1700000001ll);
    ck_assert_int_eq(clock_wall_ns(c), 1700000001500000000ll);
    clock_fake_advance_ns(&f, 1);
    ck_assert_uint_eq(clock_mono_ns(c), 6500000001ull);
    /* A wall-clock step leaves the monotonic clock alone. */
    clock_fake_set_wall_ns(&f, 42ll * CLOCK_NS_PER_S);
    ck_assert_int_eq(clock_wall_s(c), 42);
    ck_assert_uint_eq(clock_mono_ns(c), 6500000001ull);
}
END_TEST

START_TEST(wall_seconds_round_down)
{
    struct clock_fake f;

    clock_fake_init(&f, 0, -1);
    ck_assert_int_eq(clock_wall_s(&f.clock), -1);
    clock_fake_set_wall_ns(&f, -(int64_t)CLOCK_NS_PER_S);
    ck_assert_int_eq(clock_wall_s(&f.clock), -1);
    clock_fake_set_wall_ns(&f, CLOCK_NS_PER_S - 1);
    ck_assert_int_eq(clock_wall_s(&f.clock), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("clock");

    tcase_add_test(tc, real_clock);
    tcase_add_test(tc, fake_clock);
    tcase_add_test(tc, wall_seconds_round_down);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
