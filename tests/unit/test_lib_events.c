/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_lib_events: the E_* API (libspread/events.c): time arithmetic,
 * timer ordering and replacement, descriptor callbacks by priority,
 * thresholds and (de)activation, and both ways of leaving the loop.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp.h"
#include "../lib/ckmain.h"

static sp_time T(long sec, long usec)
{
    sp_time t;

    t.sec = sec;
    t.usec = usec;
    return t;
}

#define ck_time(t, s, u)                                                    \
    do {                                                                   \
        sp_time t_ = (t);                                                  \
        ck_assert_int_eq(t_.sec, (s));                                     \
        ck_assert_int_eq(t_.usec, (u));                                    \
    } while (0)

START_TEST(time_arithmetic)
{
    ck_time(E_add_time(T(1, 600000), T(2, 700000)), 4, 300000);
    ck_time(E_sub_time(T(3, 100000), T(1, 200000)), 1, 900000);
    ck_time(E_sub_time(T(1, 0), T(2, 500000)), -1, -500000);
    ck_time(E_neg_time(T(2, 250000)), -2, -250000);
    ck_time(E_add_time(T(-1, -500000), T(2, 0)), 0, 500000);
    ck_assert_int_eq(E_compare_time(T(1, 2), T(1, 2)), 0);
    ck_assert_int_eq(E_compare_time(T(1, 3), T(1, 2)), 1);
    ck_assert_int_eq(E_compare_time(T(0, 999999), T(1, 0)), -1);
    ck_assert_int_eq(E_compare_time(T(-1, 0), T(0, -1)), -1);
    ck_assert_int_eq(E_init(), 0);
}
END_TEST

START_TEST(clocks_move_forward)
{
    sp_time a = E_get_time_monotonic(), b;

    E_delay(T(0, 20000));
    b = E_get_time_monotonic();
    ck_assert_int_ge(E_compare_time(E_sub_time(b, a), T(0, 19000)), 0);
    ck_assert_int_gt(E_get_time().sec, 1600000000L);
}
END_TEST

static char order[32];
static int norder;

static void note(int code, void *data)
{
    (void)data;
    order[norder++] = (char)('0' + code);
    if (code == 9)
        E_exit_events();
}

START_TEST(timers_run_in_time_order)
{
    int tag;

    norder = 0;
    memset(order, 0, sizeof order);
    ck_assert_int_eq(E_queue(note, 3, NULL, T(0, 30000)), 0);
    ck_assert_int_eq(E_queue(note, 1, NULL, T(0, 10000)), 0);
    ck_assert_int_eq(E_queue(note, 2, NULL, T(0, 20000)), 0);
    ck_assert_int_eq(E_queue(note, 5, &tag, T(0, 1000)), 0);
    ck_assert_int_eq(E_queue(note, 4, NULL, T(0, 0)), 0);
    /* Same func/code/data: replaced, so code 1 runs once, last. */
    ck_assert_int_eq(E_queue(note, 1, NULL, T(0, 40000)), 0);
    ck_assert_int_eq(E_in_queue(note, 5, &tag), 1);
    ck_assert_int_eq(E_dequeue(note, 5, &tag), 0);
    ck_assert_int_eq(E_dequeue(note, 5, &tag), -1);
    ck_assert_int_eq(E_in_queue(note, 5, &tag), 0);
    ck_assert_int_eq(E_queue(note, 9, NULL, T(0, 50000)), 0);
    E_handle_events();
    ck_assert_str_eq(order, "42319");
    ck_assert_int_eq(E_in_queue(note, 1, NULL), 0);
}
END_TEST

static int pipes[3][2];

static void on_read(int fd, int code, void *data)
{
    char c;

    (void)data;
    ck_assert_int_eq(read(fd, &c, 1), 1);
    order[norder++] = (char)('a' + code);
    if (norder == 3)
        E_exit_events();
}

START_TEST(fd_callbacks_by_priority)
{
    int i;

    norder = 0;
    memset(order, 0, sizeof order);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(pipe(pipes[i]), 0);
        ck_assert_int_eq(write(pipes[i][1], "x", 1), 1);
    }
    ck_assert_int_eq(E_attach_fd(pipes[0][0], READ_FD, on_read, 0, NULL,
                                 LOW_PRIORITY), 0);
    ck_assert_int_eq(E_attach_fd(pipes[1][0], READ_FD, on_read, 1, NULL,
                                 HIGH_PRIORITY), 0);
    ck_assert_int_eq(E_attach_fd(pipes[2][0], READ_FD, on_read, 9, NULL,
                                 MEDIUM_PRIORITY), 0);
    /* Re-attaching replaces the registration. */
    ck_assert_int_eq(E_attach_fd(pipes[2][0], READ_FD, on_read, 2, NULL,
                                 MEDIUM_PRIORITY), 1);
    ck_assert_int_eq(E_attach_fd(-1, READ_FD, on_read, 0, NULL, 0), -1);
    ck_assert_int_eq(E_attach_fd(3, 7, on_read, 0, NULL, 0), -1);
    ck_assert_int_eq(E_attach_fd(3, READ_FD, on_read, 0, NULL, 3), -1);
    ck_assert_int_eq(E_num_active(HIGH_PRIORITY), 1);
    ck_assert_int_eq(E_num_active(5), -1);
    E_handle_events();
    ck_assert_str_eq(order, "bca");
    ck_assert_int_eq(E_detach_fd(pipes[0][0], READ_FD), 0);
    ck_assert_int_eq(E_detach_fd(pipes[0][0], READ_FD), -1);
    ck_assert_int_eq(E_detach_fd_priority(pipes[1][0], READ_FD,
                                          LOW_PRIORITY), -1);
    ck_assert_int_eq(E_detach_fd_priority(pipes[1][0], READ_FD,
                                          HIGH_PRIORITY), 0);
}
END_TEST

static void stop_loop(int code, void *data)
{
    (void)code;
    (void)data;
    E_exit_events();
}

START_TEST(threshold_and_deactivation)
{
    int p[2];

    norder = 0;
    memset(order, 0, sizeof order);
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], "x", 1), 1);
    ck_assert_int_eq(E_attach_fd(p[0], READ_FD, on_read, 0, NULL,
                                 LOW_PRIORITY), 0);
    ck_assert_int_eq(E_set_active_threshold(MEDIUM_PRIORITY),
                     MEDIUM_PRIORITY);
    ck_assert_int_eq(E_set_active_threshold(4), -1);
    E_queue(stop_loop, 0, NULL, T(0, 30000));
    E_handle_events();
    ck_assert_int_eq(norder, 0);          /* below the threshold */
    ck_assert_int_eq(E_set_active_threshold(LOW_PRIORITY), LOW_PRIORITY);
    ck_assert_int_eq(E_deactivate_fd(p[0], READ_FD), 0);
    ck_assert_int_eq(E_num_active(LOW_PRIORITY), 0);
    E_queue(stop_loop, 0, NULL, T(0, 30000));
    E_handle_events();
    ck_assert_int_eq(norder, 0);          /* inactive */
    ck_assert_int_eq(E_activate_fd(p[0], READ_FD), 0);
    ck_assert_int_eq(E_activate_fd(p[1], READ_FD), -1);
    E_queue(stop_loop, 0, NULL, T(5, 0));
    /* on_read exits only at norder 3; stop through a second timer. */
    E_queue(stop_loop, 1, NULL, T(0, 30000));
    E_handle_events();
    ck_assert_int_eq(norder, 1);
    ck_assert_str_eq(order, "a");
}
END_TEST

static void on_alarm(int sig)
{
    (void)sig;
    E_exit_events_async_safe();
}

START_TEST(async_exit_wakes_loop)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    E_init();
    /* Nothing registered and no timer: only the signal can end this. */
    alarm(1);
    E_handle_events();
    alarm(0);
}
END_TEST

static Suite *events_suite(void)
{
    Suite *s = suite_create("lib_events");
    TCase *tc = tcase_create("events");

    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, time_arithmetic);
    tcase_add_test(tc, clocks_move_forward);
    tcase_add_test(tc, timers_run_in_time_order);
    tcase_add_test(tc, fd_callbacks_by_priority);
    tcase_add_test(tc, threshold_and_deactivation);
    tcase_add_test(tc, async_exit_wakes_loop);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(events_suite());
}
