/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: the daemon as an administrator sees it: configuration
 * checking (-k, including what start-up would refuse) and errors reported
 * as file:line: reason, -c files that cannot be used, one daemon per
 * configuration, EventLogFile, IP authentication (including the
 * unix-socket rule upstream ignores), clean exit on SIGTERM, the privilege
 * drop of a root start, and the readiness reports (NOTIFY_SOCKET) the
 * harness waits for.
 */
#include "config.h"

#include <check.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

/* The harness writes 5 lines before the extra text: the extra text's first
 * line is line 6 of spread.conf. */
#define EXTRA_FIRST_LINE 6

/* Run the prepared daemon d, with -k if `check`, and return its exit
 * status (-1 if it is still running after 10 s: it started). */
static int exit_status(struct th_daemon *d, const char *extra, int check)
{
    if (check)
        snprintf(d->extra_arg, sizeof d->extra_arg, "-k");
    ck_assert_int_eq(th_daemon_launch(d, "localhost", extra, 0), 0);
    return th_daemon_wait_exit(d, 10000);
}

static int run_check(const char *extra, struct th_daemon *d)
{
    ck_assert_int_eq(th_daemon_prepare(d), 0);
    return exit_status(d, extra, 1);
}

static const char *mode_name(int check)
{
    return check ? "-k" : "start";
}

START_TEST(check_mode_accepts)
{
    struct th_daemon d;
    ck_assert_int_eq(run_check("MaxSessionMessages = 50", &d), 0);
    th_daemon_stop(&d);
}
END_TEST

START_TEST(check_mode_reports_line)
{
    struct th_daemon d;
    char where[400];
    ck_assert_int_eq(run_check("MaxSessionMessages = 50\nWindow = 0", &d), 1);
    snprintf(where, sizeof where, "spread.conf:%d:", EXTRA_FIRST_LINE + 1);
    ck_assert_msg(th_file_contains(d.log, where), "no '%s' in the output", where);
    th_daemon_stop(&d);
}
END_TEST

/* ---- configuration paths fail loudly (issue 8, item 7) ---------------
 * The daemon runs in its directory, where the harness has written a valid
 * spread.conf: before, an unusable -c file made the daemon fall back to
 * that one and run, and -k say OK. */

static void make_dir(const char *path)
{
    ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void make_fifo(const char *path)
{
    ck_assert_int_eq(mkfifo(path, 0644), 0);
}

/* A valid configuration padded with comments to one byte over 4 MiB. */
static void make_big(const char *path)
{
    FILE *fp = fopen(path, "w");
    long k;
    ck_assert_ptr_nonnull(fp);
    fputs("Spread_Segment 127.0.0.255:4803 {\n\tlocalhost 127.0.0.1\n}\n", fp);
    for (k = ftell(fp); k < 4L << 20; k++)
        fputc(k % 64 == 0 ? '\n' : '#', fp);
    fputc('\n', fp);   /* byte 4 MiB + 1 */
    fclose(fp);
}

static void make_locked(const char *path)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("Spread_Segment 127.0.0.255:4803 {\n\tlocalhost 127.0.0.1\n}\n", fp);
    fclose(fp);
    ck_assert_int_eq(chmod(path, 0), 0);
}

/* -c <name>, made by make() in the daemon's directory, is refused with
 * "<name>: <reason>" at start and with -k. */
static void conf_refused(const char *name, void (*make)(const char *),
                         const char *reason)
{
    int check;

    for (check = 0; check < 2; check++) {
        struct th_daemon d;
        char path[400], want[300];
        ck_assert_int_eq(th_daemon_prepare(&d), 0);
        snprintf(path, sizeof path, "%s/%s", d.dir, name);
        make(path);
        snprintf(d.conf_arg, sizeof d.conf_arg, "%s", name);
        ck_assert_msg(exit_status(&d, NULL, check) == 1, "%s: -c %s not "
                      "refused", mode_name(check), name);
        snprintf(want, sizeof want, "%s: %s", name, reason);
        ck_assert_msg(th_file_contains(d.log, want), "%s: no '%s' in the "
                      "output", mode_name(check), want);
        ck_assert(!th_file_contains(d.log, "configuration OK"));
        th_daemon_stop(&d);
    }
}

START_TEST(conf_is_directory)
{
    conf_refused("confdir", make_dir, "is a directory");
}
END_TEST

START_TEST(conf_unreadable)
{
    /* Root reads a file of mode 000, but nobody reads a FIFO as a file. */
    conf_refused("conf.fifo", make_fifo, "is not a regular file");
    if (geteuid() == 0)
        printf("conf_unreadable: mode 000 not tried (root reads it)\n");
    else
        conf_refused("locked.conf", make_locked,
                     "cannot read it: Permission denied");
}
END_TEST

START_TEST(conf_too_large)
{
    conf_refused("big.conf", make_big, "4194305 bytes, larger than the limit "
                 "for a configuration file (4194304 bytes, 4 MiB)");
}
END_TEST

/* A configuration of several daemons is a ring's: -k accepts it (it
 * was refused while the daemon ran one daemon per configuration), and
 * describes the ring. */
START_TEST(several_daemons_accepted)
{
    struct th_daemon d;

    ck_assert_int_eq(run_check("Spread_Segment 127.0.1.255:4900 {\n"
                               "\tother 127.0.1.1\n}", &d), 0);
    th_daemon_stop(&d);
}
END_TEST

/* -k without -n chooses this daemon's entry as start-up does. */
START_TEST(check_mode_finds_this_host)
{
    struct th_daemon d;
    char path[400];
    FILE *fp;

    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    d.no_name = 1;
    ck_assert_int_eq(exit_status(&d, NULL, 1), 0);
    ck_assert(th_file_contains(d.log, "configuration OK, hash "));
    ck_assert(th_file_contains(d.log, ", daemon localhost"));
    th_daemon_stop(&d);

    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    d.no_name = 1;
    snprintf(path, sizeof path, "%s/far.conf", d.dir);
    fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("Spread_Segment 192.0.2.255:4803 {\n\tfar 192.0.2.1\n}\n", fp);
    fclose(fp);
    snprintf(d.conf_arg, sizeof d.conf_arg, "far.conf");
    ck_assert_int_eq(exit_status(&d, NULL, 1), 1);
    ck_assert(th_file_contains(d.log, "far.conf: none of this host's "
                                      "addresses"));
    th_daemon_stop(&d);
}
END_TEST

/* -k fails where start-up would fail to open EventLogFile for appending,
 * and creates nothing when it would succeed. */
START_TEST(check_mode_event_log)
{
    struct th_daemon d;
    char path[400];

    ck_assert_int_eq(run_check("EventLogFile = nodir/events.log", &d), 1);
    ck_assert(th_file_contains(d.log, "EventLogFile nodir/events.log cannot "
                                      "be opened for appending: No such file"));
    th_daemon_stop(&d);

    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    snprintf(path, sizeof path, "%s/logdir", d.dir);
    make_dir(path);
    ck_assert_int_eq(exit_status(&d, "EventLogFile = logdir", 1), 1);
    ck_assert(th_file_contains(d.log, "EventLogFile logdir cannot be opened "
                                      "for appending: Is a directory"));
    th_daemon_stop(&d);

    if (geteuid() == 0) {
        printf("check_mode_event_log: read-only file not tried (root "
               "writes it)\n");
    } else {
        ck_assert_int_eq(th_daemon_prepare(&d), 0);
        snprintf(path, sizeof path, "%s/ro.log", d.dir);
        make_locked(path);
        ck_assert_int_eq(exit_status(&d, "EventLogFile = ro.log", 1), 1);
        ck_assert(th_file_contains(d.log, "Permission denied"));
        th_daemon_stop(&d);
    }

    ck_assert_int_eq(run_check("EventLogFile = events.log", &d), 0);
    snprintf(path, sizeof path, "%s/events.log", d.dir);
    ck_assert_msg(access(path, F_OK) != 0, "-k created the EventLogFile");
    th_daemon_stop(&d);
}
END_TEST

START_TEST(check_mode_runtime)
{
    struct th_daemon d;

    /* The IP access list start-up would read. */
    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    ck_assert_int_eq(th_write_access(&d, "# one bad rule\nnot-an-address\n"),
                     0);
    ck_assert_int_eq(exit_status(&d, "AllowedAuthMethods = IP", 1), 1);
    ck_assert(th_file_contains(d.log, "spread.access_ip:2: "));
    th_daemon_stop(&d);

    /* The unix socket directory. */
    ck_assert_int_eq(run_check("UnixSocketDir = \"/nonexistent/cohort\"", &d), 1);
    ck_assert(th_file_contains(d.log, "/nonexistent/cohort"));
    th_daemon_stop(&d);

    if (geteuid() != 0) {
        printf("check_mode_runtime: account check skipped (needs root)\n");
        return;
    }
    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    d.no_root_keys = 1;
    ck_assert_int_eq(exit_status(&d, "DaemonUser = no-such-user-here\n"
                                     "DaemonGroup = root", 1), 1);
    ck_assert(th_file_contains(d.log, "the privilege drop would fail: "
                                      "unknown user 'no-such-user-here'"));
    /* ...and says how to create it. */
    ck_assert(th_file_contains(d.log, "adduser --system --group"));
    th_daemon_stop(&d);

    /* A RuntimeDir that does not exist: the error says how to make it. */
    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    d.no_root_keys = 1;
    ck_assert_int_eq(exit_status(&d, "DaemonUser = root\nDaemonGroup = root\n"
                                     "RuntimeDir = \"/nonexistent/cohort-rt\"",
                                 1), 1);
    ck_assert(th_file_contains(d.log, "RuntimeDir '/nonexistent/cohort-rt' "
                                      "would fail: No such file or directory "
                                      "(create it"));
    th_daemon_stop(&d);
}
END_TEST

START_TEST(bad_config_refuses_to_start)
{
    struct th_daemon d;
    char where[400];
    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    ck_assert_int_eq(th_daemon_launch(&d, "localhost", "\nBogusKey = 3", 0), 0);
    ck_assert_int_eq(th_daemon_wait_exit(&d, 10000), 1);
    snprintf(where, sizeof where, "spread.conf:%d:", EXTRA_FIRST_LINE + 1);
    ck_assert_msg(th_file_contains(d.log, where), "no '%s' in the output", where);
    th_daemon_stop(&d);
}
END_TEST

START_TEST(event_log_file)
{
    struct th_daemon d;
    char path[400];
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    ck_assert_int_eq(th_daemon_start(&d, "localhost", "EventLogFile = events.log"), 0);
    snprintf(path, sizeof path, "%s/events.log", d.dir);
    ck_assert_int_eq(SP_connect(d.spread, "logme", 0, 0, &mb, pg), ACCEPT_SESSION);
    SP_disconnect(mb);
    ck_assert_int_eq(th_daemon_stop_keep(&d), 0);
    ck_assert_msg(th_file_contains(path, "Spread daemon exiting normally!"),
                  "EventLogFile did not receive the log");
    th_daemon_cleanup(&d);
}
END_TEST

static int accept_cb(int fd, void *data)
{
    (void)fd;
    (void)data;
    return 1;
}

START_TEST(ip_auth_unix_rule)
{
    struct th_daemon d;
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    ck_assert_int_eq(th_write_access(&d, "# only local unix-socket clients\n"
                                         "unix\n"), 0);
    ck_assert_int_eq(th_daemon_launch(&d, "localhost", "AllowedAuthMethods = IP", 1), 0);
    ck_assert_int_eq(SP_set_auth_method("IP", accept_cb, NULL), 1);
    ck_assert_int_eq(SP_connect(d.spread, "viaunix", 0, 0, &mb, pg), ACCEPT_SESSION);
    SP_disconnect(mb);
    ck_assert_int_eq(SP_connect(d.spread_tcp, "viatcp", 0, 0, &mb, pg), REJECT_AUTH);
    /* The default method, NULL, is not offered any more. */
    ck_assert_int_eq(SP_set_auth_method("NULL", accept_cb, NULL), 1);
    ck_assert_int_eq(SP_connect(d.spread, "null", 0, 0, &mb, pg), REJECT_AUTH);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

START_TEST(ip_auth_address_rule)
{
    struct th_daemon d;
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    ck_assert_int_eq(th_write_access(&d, "127.0.0.0/8\n"), 0);
    ck_assert_int_eq(th_daemon_launch(&d, "localhost", "AllowedAuthMethods = IP", 1), 0);
    ck_assert_int_eq(SP_set_auth_method("IP", accept_cb, NULL), 1);
    ck_assert_int_eq(SP_connect(d.spread_tcp, "viatcp", 0, 0, &mb, pg), ACCEPT_SESSION);
    SP_disconnect(mb);
    ck_assert_int_eq(SP_connect(d.spread, "viaunix", 0, 0, &mb, pg), REJECT_AUTH);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

START_TEST(clean_exit)
{
    struct th_daemon d;
    mailbox mb;
    char pg[MAX_GROUP_NAME], sock[300];
    struct stat st;
    ck_assert_int_eq(th_daemon_start(&d, "localhost", NULL), 0);
    snprintf(sock, sizeof sock, "%s/%d", SP_UNIX_SOCKET, d.port);
    ck_assert_int_eq(stat(sock, &st), 0);
    ck_assert_int_eq(SP_connect(d.spread, "stay", 0, 1, &mb, pg), ACCEPT_SESSION);
    SP_join(mb, "g");
    ck_assert_int_eq(th_daemon_stop_keep(&d), 0);
    ck_assert(th_file_contains(d.log, "Spread daemon exiting normally!"));
    ck_assert_msg(stat(sock, &st) != 0, "unix socket left behind");
    SP_kill(mb);
    th_daemon_cleanup(&d);
}
END_TEST

static const char *getgrgid_name(gid_t gid)
{
    struct group *gr = getgrgid(gid);
    return gr != NULL ? gr->gr_name : "nogroup";
}

/* 1 if /proc says process pid runs with real and effective uid `uid`. */
static int runs_as(pid_t pid, uid_t uid)
{
    char path[64], line[256], want[64];
    FILE *fp;
    int found = 0;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    snprintf(want, sizeof want, "Uid:\t%u\t%u", (unsigned)uid, (unsigned)uid);
    fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    while (fgets(line, sizeof line, fp) != NULL)
        found |= strncmp(line, want, strlen(want)) == 0;
    fclose(fp);
    return found;
}

/* The harness returns when the daemon says READY=1, and the daemon says
 * so only once it has dropped its privileges: the uid the kernel attached
 * to that datagram is nobody's, every time. (The old harness returned on
 * the first connect, which the kernel completes as soon as the daemon
 * listens, before the drop: this test failed when the daemon was slow.) */
START_TEST(privilege_drop)
{
    struct th_daemon d;
    struct passwd *pw = getpwnam("nobody");
    char extra[600];
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    int round;

    if (geteuid() != 0 || pw == NULL) {
        printf("privilege_drop: skipped (needs root and user nobody)\n");
        return;
    }
    /* LeakSanitizer cannot inspect a process that switched uid. */
    setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    for (round = 0; round < 5; round++) {
        ck_assert_int_eq(th_daemon_prepare(&d), 0);
        d.no_root_keys = 1;
        snprintf(extra, sizeof extra,
                 "RuntimeDir = \"%s\"\nDaemonUser = nobody\nDaemonGroup = %s",
                 d.dir, getgrgid_name(pw->pw_gid));
        ck_assert_int_eq(th_daemon_launch(&d, "localhost", extra, 1), 0);
        ck_assert_msg(d.notify_uid == (long)pw->pw_uid, "round %d: READY=1 "
                      "sent as uid %ld, not as nobody", round, d.notify_uid);
        ck_assert_msg(runs_as(d.pid, pw->pw_uid), "round %d: daemon does not "
                      "run as nobody", round);
        ck_assert_int_eq(SP_connect(d.spread, "after", 0, 0, &mb, pg), ACCEPT_SESSION);
        SP_disconnect(mb);
        ck_assert_int_eq(th_daemon_stop(&d), 0);
    }
}
END_TEST

/* READY=1 once started, from the daemon itself; STOPPING=1 as soon as
 * SIGTERM begins the teardown; no complaint in the log. */
START_TEST(readiness_reports)
{
    struct th_daemon d;
    ck_assert_int_eq(th_daemon_start(&d, "localhost", NULL), 0);
    /* The harness keeps a root daemon root (see harness.c). */
    ck_assert_int_eq(d.notify_uid, (long)geteuid());
    ck_assert(th_file_contains(d.log, "readiness reports go to"));
    ck_assert_int_eq(kill(d.pid, SIGTERM), 0);
    ck_assert_msg(th_notify_wait(&d, "STOPPING=1", 5000), "no STOPPING=1");
    ck_assert_int_eq(th_daemon_stop_keep(&d), 0);
    ck_assert(!th_file_contains(d.log, "cannot report"));
    th_daemon_cleanup(&d);
}
END_TEST

/* The service manager goes away before the daemon reports: the daemon
 * says so once and serves anyway. */
START_TEST(readiness_without_listener)
{
    struct th_daemon d;
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    ck_assert_int_eq(th_daemon_launch(&d, "localhost", NULL, 0), 0);
    close(d.notify_fd);
    d.notify_fd = -1;
    unlink(d.notify);
    /* The configuration dump is the last thing start-up writes. */
    ck_assert(th_log_wait(&d, "Membership id is", 10000));
    ck_assert_int_eq(SP_connect(d.spread, "anyway", 0, 0, &mb, pg), ACCEPT_SESSION);
    SP_disconnect(mb);
    ck_assert_int_eq(th_daemon_stop_keep(&d), 0);
    ck_assert(th_file_contains(d.log, "cannot report"));
    th_daemon_cleanup(&d);
}
END_TEST

START_TEST(root_without_account_refuses)
{
    struct th_daemon d;
    if (geteuid() != 0) {
        printf("root_without_account_refuses: skipped (needs root)\n");
        return;
    }
    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    d.no_root_keys = 1;
    ck_assert_int_eq(th_daemon_launch(&d, "localhost",
                                      "DaemonUser = no-such-user-here\nDaemonGroup = root", 0), 0);
    ck_assert_int_eq(th_daemon_wait_exit(&d, 10000), 1);
    ck_assert(th_file_contains(d.log, "privilege drop failed"));
    th_daemon_stop(&d);
}
END_TEST

/* The session limit the daemon announced at start-up, or -1. */
static int announced_limit(const struct th_daemon *d)
{
    FILE *fp = fopen(d->log, "r");
    char line[512];
    int n = -1;

    if (fp == NULL)
        return -1;
    while (n < 0 && fgets(line, sizeof line, fp) != NULL) {
        const char *p = strstr(line, "accepting up to ");
        if (p != NULL && sscanf(p, "accepting up to %d client sessions", &n) != 1)
            n = -1;
    }
    fclose(fp);
    return n;
}

START_TEST(quota_reject)
{
    /* With a hard limit of 64 descriptors the daemon derives its session
     * limit from what is left after its own descriptors and the
     * handshakes' share, and announces it; one connection more gets the
     * quota reject byte, not a hang behind a failing accept(). */
    enum { MAX = 64 };
    static mailbox mb[MAX];
    const sp_time five_s = {5, 0};
    struct th_daemon d;
    char pg[MAX_GROUP_NAME], name[16];
    mailbox extra;
    int k, limit;
    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    d.nofile = MAX;
    ck_assert_int_eq(th_daemon_launch(&d, "localhost", NULL, 1), 0);
    limit = announced_limit(&d);
    ck_assert_msg(limit > 0 && limit < MAX, "announced limit %d", limit);
    for (k = 0; k < limit; k++) {
        snprintf(name, sizeof name, "q%d", k);
        ck_assert_int_eq(SP_connect_timeout(d.spread, name, 0, 0, &mb[k], pg,
                                            five_s), ACCEPT_SESSION);
    }
    ck_assert_int_eq(SP_connect_timeout(d.spread, "onemore", 0, 0, &extra, pg,
                                        five_s), REJECT_QUOTA);
    ck_assert_int_eq(SP_connect_timeout(d.spread_tcp, "onemore", 0, 0, &extra,
                                        pg, five_s), REJECT_QUOTA);
    /* A freed place is usable again. */
    SP_disconnect(mb[0]);
    {
        long long deadline = th_now_ms() + 5000;
        int r;
        do
            r = SP_connect_timeout(d.spread, "onemore", 0, 0, &extra, pg, five_s);
        while (r == REJECT_QUOTA && th_now_ms() < deadline);
        ck_assert_int_eq(r, ACCEPT_SESSION);
        SP_disconnect(extra);
    }
    for (k = 1; k < limit; k++)
        SP_disconnect(mb[k]);
    ck_assert(!th_file_contains(d.log, "accept on"));
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

START_TEST(log_controls)
{
    struct th_daemon d;
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    /* Debug level and every category: session requests are logged, each
     * line behind a timestamp. */
    ck_assert_int_eq(th_daemon_start(&d, "localhost",
                                     "EventPriority = pDEBUG\n"
                                     "DebugFlags = { ALL }\n"
                                     "EventTimeStamp = \"<%Y>\""), 0);
    ck_assert_int_eq(SP_connect(d.spread, "talk", 0, 0, &mb, pg), ACCEPT_SESSION);
    SP_join(mb, "loggedgroup");
    SP_disconnect(mb);
    ck_assert_msg(th_log_wait(&d, "loggedgroup", 5000), "debug line missing");
    ck_assert_int_eq(th_daemon_stop_keep(&d), 0);
    ck_assert(th_file_contains(d.log, "<20"));
    th_daemon_cleanup(&d);

    /* The defaults: no debug lines. */
    ck_assert_int_eq(th_daemon_start(&d, "localhost", NULL), 0);
    ck_assert_int_eq(SP_connect(d.spread, "talk", 0, 0, &mb, pg), ACCEPT_SESSION);
    SP_join(mb, "loggedgroup");
    SP_disconnect(mb);
    ck_assert_int_eq(th_daemon_stop_keep(&d), 0);
    ck_assert(!th_file_contains(d.log, "loggedgroup"));
    th_daemon_cleanup(&d);

    /* No categories at all: informational lines go, script lines stay. */
    ck_assert_int_eq(th_daemon_start(&d, "localhost", "DebugFlags = { }"), 0);
    ck_assert_int_eq(th_daemon_stop_keep(&d), 0);
    ck_assert(th_file_contains(d.log, "Spread daemon exiting normally!"));
    ck_assert(!th_file_contains(d.log, "accepting up to"));
    th_daemon_cleanup(&d);
}
END_TEST

START_TEST(socket_mode)
{
    struct th_daemon d;
    char sock[300];
    struct stat st;
    ck_assert_int_eq(th_daemon_start(&d, "localhost", NULL), 0);
    snprintf(sock, sizeof sock, "%s/%d", SP_UNIX_SOCKET, d.port);
    ck_assert_int_eq(stat(sock, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0666); /* upstream's default */
    ck_assert_int_eq(th_daemon_stop(&d), 0);
    ck_assert_int_eq(th_daemon_start(&d, "localhost", "UnixSocketMode = 0600"), 0);
    snprintf(sock, sizeof sock, "%s/%d", SP_UNIX_SOCKET, d.port);
    ck_assert_int_eq(stat(sock, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

START_TEST(activity_log)
{
    struct th_daemon d;
    char path[400];
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    char extra[400] = "";
    char line[256], kinds[8];
    int held, n = 0;
    FILE *f;

    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    snprintf(d.extra_arg, sizeof d.extra_arg, "-l");
    snprintf(d.extra_arg2, sizeof d.extra_arg2, "y");
    if (geteuid() == 0) {
        /* A root start writes the log inside its RuntimeDir chroot, where
         * LeakSanitizer cannot work (no /proc). */
        d.no_root_keys = 1;
        setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
        snprintf(extra, sizeof extra,
                 "RuntimeDir = \"%s\"\nDaemonUser = root\nDaemonGroup = root",
                 d.dir);
    }
    ck_assert_int_eq(th_daemon_launch(&d, "localhost", extra, 1), 0);
    ck_assert_int_eq(SP_connect(d.spread, "active", 0, 0, &mb, pg), ACCEPT_SESSION);
    /* A copy of the socket keeps the acknowledged session draining in the
     * daemon while the same name connects again: its "D" line must still
     * come first (written when the disconnect is delivered). */
    held = dup(mb);
    ck_assert_int_ge(held, 0);
    ck_assert_int_eq(SP_disconnect(mb), 0);
    ck_assert_int_eq(SP_connect(d.spread, "active", 0, 0, &mb, pg), ACCEPT_SESSION);
    ck_assert_int_eq(SP_disconnect(mb), 0);
    close(held);
    ck_assert_int_eq(th_daemon_stop_keep(&d), 0);
    /* Named after the daemon, in its directory: start, view, connect and
     * disconnect lines. */
    snprintf(path, sizeof path, "%s/localhost", d.dir);
    ck_assert_msg(th_file_contains(path, "B "), "no start line in %s", path);
    ck_assert(th_file_contains(path, "M "));
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, "active") != NULL && n < (int)sizeof kinds - 1)
            kinds[n++] = line[0];
    fclose(f);
    kinds[n] = '\0';
    ck_assert_str_eq(kinds, "CDCD");
    th_daemon_cleanup(&d);
}
END_TEST

static Suite *daemon_suite(void)
{
    Suite *s = suite_create("daemon");
    TCase *tc = tcase_create("admin");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, check_mode_accepts);
    tcase_add_test(tc, check_mode_reports_line);
    tcase_add_test(tc, bad_config_refuses_to_start);
    tcase_add_test(tc, conf_is_directory);
    tcase_add_test(tc, conf_unreadable);
    tcase_add_test(tc, conf_too_large);
    tcase_add_test(tc, several_daemons_accepted);
    tcase_add_test(tc, check_mode_finds_this_host);
    tcase_add_test(tc, check_mode_event_log);
    tcase_add_test(tc, check_mode_runtime);
    tcase_add_test(tc, event_log_file);
    tcase_add_test(tc, ip_auth_unix_rule);
    tcase_add_test(tc, ip_auth_address_rule);
    tcase_add_test(tc, clean_exit);
    tcase_add_test(tc, privilege_drop);
    tcase_add_test(tc, readiness_reports);
    tcase_add_test(tc, readiness_without_listener);
    tcase_add_test(tc, root_without_account_refuses);
    tcase_add_test(tc, quota_reject);
    tcase_add_test(tc, log_controls);
    tcase_add_test(tc, socket_mode);
    tcase_add_test(tc, activity_log);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(daemon_suite());
}
