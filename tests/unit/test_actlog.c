/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/actlog.c: the lines carry the wall time of the
 * loop's clock (a fake one here), in the columns of daemon.md §5.6.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actlog.h"
#include "ev.h"
#include "../lib/ckmain.h"

START_TEST(lines_use_loop_clock)
{
    char dir[] = "/tmp/cohort-actlog-XXXXXX";
    char text[512];
    struct clock_fake fc;
    struct actlog a;
    struct ev ev;
    int present[2] = { 1, 0 };
    FILE *f;
    size_t n;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chdir(dir), 0);
    clock_fake_init(&fc, 1000ull * CLOCK_NS_PER_MS, 1234567890ll * CLOCK_NS_PER_S);
    ck_assert_int_eq(ev_init_clock(&ev, &fc.clock), 0);
    ck_assert_int_eq(actlog_open(&a, &ev, "n1"), 0);
    clock_fake_advance_ms(&fc, 2000);
    actlog_view(&a, 77, 5, present, 2);
    clock_fake_set_wall_ns(&fc, 1300000000ll * CLOCK_NS_PER_S);
    actlog_connect(&a, 6, 9, "127.0.0.1", "c1");
    actlog_disconnect(&a, 7, 9, "127.0.0.1", "c1", 3);
    actlog_close(&a);
    ev_fini(&ev);

    f = fopen("n1", "r");
    ck_assert_ptr_nonnull(f);
    n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    ck_assert_str_eq(text,
        "B    1234567890\n"
        "M    1234567892            77           5 >   0 --\n"
        "C    1300000000           6   9 127.0.0.1        c1        \n"
        "D    1300000000           7   9 127.0.0.1                                      c1         3\n");
    unlink("n1");
    ck_assert_int_eq(chdir("/"), 0);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("actlog");
    TCase *tc = tcase_create("actlog");

    tcase_add_test(tc, lines_use_loop_clock);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
