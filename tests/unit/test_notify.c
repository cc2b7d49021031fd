/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/notify.c: the datagrams a service manager gets,
 * path and abstract addresses, NOTIFY_SOCKET removed from the environment,
 * and failures reported once without harm. Check runs each test in its own
 * process, so the environment changes stay there.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "../lib/ckmain.h"

/* A datagram socket bound at `addr` (a path, or "@name"). */
static int listener(const char *addr)
{
    struct sockaddr_un sa;
    socklen_t len = (socklen_t)sizeof sa;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    ck_assert_int_ge(fd, 0);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", addr);
    if (addr[0] == '@') {
        sa.sun_path[0] = '\0';
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(addr));
    } else {
        unlink(addr);
    }
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, len), 0);
    return fd;
}

/* The next datagram, NUL-terminated, or "" if none comes within 2 s. */
static const char *next_datagram(int fd)
{
    static char buf[256];
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n;

    buf[0] = '\0';
    if (poll(&p, 1, 2000) != 1)
        return buf;
    n = recv(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void path_of(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/cohort-notify-%ld", (long)getpid());
}

START_TEST(unset_is_quiet)
{
    struct notify n;

    unsetenv(NOTIFY_ENV);
    ck_assert_int_eq(notify_open(&n), 0);
    ck_assert_int_eq(n.fd, -1);
    ck_assert_int_eq(notify_ready(&n), 0);
    ck_assert_int_eq(notify_stopping(&n), 0);
    notify_close(&n);
    /* Empty counts as unset, and is removed too. */
    setenv(NOTIFY_ENV, "", 1);
    ck_assert_int_eq(notify_open(&n), 0);
    ck_assert_ptr_null(getenv(NOTIFY_ENV));
}
END_TEST

START_TEST(path_socket)
{
    struct notify n;
    char path[64], want[64];
    int fd;

    path_of(path, sizeof path);
    fd = listener(path);
    setenv(NOTIFY_ENV, path, 1);
    ck_assert_int_eq(notify_open(&n), 1);
    ck_assert_str_eq(n.addr, path);
    /* Children of the daemon must not report in its name. */
    ck_assert_ptr_null(getenv(NOTIFY_ENV));
    /* Connected: the address may go away (a chroot would hide it). */
    unlink(path);
    ck_assert_int_eq(notify_ready(&n), 0);
    snprintf(want, sizeof want, "READY=1\nMAINPID=%ld\n", (long)getpid());
    ck_assert_str_eq(next_datagram(fd), want);
    ck_assert_int_eq(notify_stopping(&n), 0);
    ck_assert_str_eq(next_datagram(fd), "STOPPING=1\n");
    notify_close(&n);
    ck_assert_int_eq(n.fd, -1);
    close(fd);
}
END_TEST

START_TEST(abstract_socket)
{
    struct notify n;
    char name[64];
    int fd;

    snprintf(name, sizeof name, "@cohort-notify-%ld", (long)getpid());
    fd = listener(name);
    setenv(NOTIFY_ENV, name, 1);
    ck_assert_int_eq(notify_open(&n), 1);
    ck_assert_int_eq(notify_ready(&n), 0);
    ck_assert_int_eq(strncmp(next_datagram(fd), "READY=1\n", 8), 0);
    notify_close(&n);
    close(fd);
}
END_TEST

START_TEST(bad_addresses)
{
    struct notify n;
    char longname[200];

    setenv(NOTIFY_ENV, "relative/notify", 1);
    ck_assert_int_eq(notify_open(&n), -EINVAL);
    ck_assert_str_eq(n.addr, "relative/notify");
    ck_assert_ptr_null(getenv(NOTIFY_ENV));
    ck_assert_int_eq(notify_ready(&n), 0);

    memset(longname, 'x', sizeof longname - 1);
    longname[0] = '/';
    longname[sizeof longname - 1] = '\0';
    setenv(NOTIFY_ENV, longname, 1);
    ck_assert_int_eq(notify_open(&n), -ENAMETOOLONG);

    setenv(NOTIFY_ENV, "/nonexistent-dir/cohort/notify", 1);
    ck_assert_int_eq(notify_open(&n), -ENOENT);
    ck_assert_int_eq(notify_stopping(&n), 0);
    notify_close(&n);
}
END_TEST

START_TEST(manager_gone)
{
    struct notify n;
    char path[64];
    int fd;

    path_of(path, sizeof path);
    fd = listener(path);
    setenv(NOTIFY_ENV, path, 1);
    ck_assert_int_eq(notify_open(&n), 1);
    close(fd);
    unlink(path);
    /* One error for the caller to log, then silence. */
    ck_assert_int_lt(notify_ready(&n), 0);
    ck_assert_int_eq(n.fd, -1);
    ck_assert_int_eq(notify_stopping(&n), 0);
}
END_TEST

static Suite *notify_suite(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("notify");
    tcase_add_test(tc, unset_is_quiet);
    tcase_add_test(tc, path_socket);
    tcase_add_test(tc, abstract_socket);
    tcase_add_test(tc, bad_addresses);
    tcase_add_test(tc, manager_gone);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(notify_suite());
}
