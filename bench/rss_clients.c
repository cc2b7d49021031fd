/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * bench/rss_clients: opens many client connections to one daemon and holds
 * them, so a script can read the daemon's memory use under that load. The
 * connections are spread over child processes (the library keeps a bounded
 * session table per process); each child holds its sessions until the
 * parent goes away. When all are up the parent prints a summary line,
 * optionally writes it to a "ready" file, and waits for SIGTERM/SIGINT. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sp.h"
#include "stats.h"

#define PROG "rss_clients"
#define MAX_PROCS 1000

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Child: connect `count` sessions, report "<ok> <first error>" on `report`,
 * then hold them until `life` reaches end of file. */
static void child(const char *spread_name, const char *group, long count,
                  int life, int report)
{
    char private_group[MAX_GROUP_NAME], line[64], c;
    long ok = 0;
    int first_err = 0, ret, n;
    mailbox mbox;

    raise_fd_limit();
    for (; ok < count; ok++) {
        ret = SP_connect(spread_name, "", 0, 0, &mbox, private_group);
        if (ret >= 0 && group != NULL)
            ret = SP_join(mbox, group);
        if (ret < 0) {
            first_err = ret;
            break;
        }
    }
    n = snprintf(line, sizeof(line), "%ld %d\n", ok, first_err);
    if (write(report, line, (size_t)n) != n)
        _exit(1);
    close(report);
    while (read(life, &c, 1) < 0 && errno == EINTR)
        continue;
    _exit(0);
}

static void usage(void) __attribute__((noreturn));

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [-s <spread name>] [-c <connections>] "
            "[-p <connections per process>] [-j <group>] [-r <ready file>]\n",
            PROG);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *spread_name = "4803", *group = NULL, *ready = NULL;
    long total = 1000, per = 500, ok = 0, got, left;
    int life_w[MAX_PROCS], report_r[MAX_PROCS];
    int nprocs = 0, i, opt, first_err = 0, err;
    struct sigaction sa;
    sigset_t block, old;
    char line[128];
    FILE *f;

    while ((opt = getopt(argc, argv, "s:c:p:j:r:")) != -1) {
        switch (opt) {
        case 's': spread_name = optarg; break;
        case 'c': total = bench_parse_count(PROG, "-c", optarg); break;
        case 'p': per = bench_parse_count(PROG, "-p", optarg); break;
        case 'j': group = optarg; break;
        case 'r': ready = optarg; break;
        default: usage();
        }
    }
    if (per < 1 || (total + per - 1) / per > MAX_PROCS)
        usage();

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* Held blocked until sigsuspend(), so a signal cannot slip in between
     * the flag test and the wait. */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    raise_fd_limit();
    fflush(stdout);

    for (left = total; left > 0; left -= per) {
        int lp[2], rp[2];
        pid_t pid;

        if (pipe(lp) < 0 || pipe(rp) < 0) {
            perror(PROG ": pipe");
            break;
        }
        pid = fork();
        if (pid < 0) {
            perror(PROG ": fork");
            close(lp[0]); close(lp[1]); close(rp[0]); close(rp[1]);
            break;
        }
        if (pid == 0) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            for (i = 0; i < nprocs; i++) {
                close(life_w[i]);
                close(report_r[i]);
            }
            close(lp[1]);
            close(rp[0]);
            child(spread_name, group, left < per ? left : per, lp[0], rp[1]);
        }
        close(lp[0]);
        close(rp[1]);
        life_w[nprocs] = lp[1];
        report_r[nprocs] = rp[0];
        nprocs++;
    }

    for (i = 0; i < nprocs; i++) {
        ssize_t n = read(report_r[i], line, sizeof(line) - 1);

        got = 0;
        err = 0;
        if (n > 0) {
            line[n] = '\0';
            if (sscanf(line, "%ld %d", &got, &err) != 2)
                got = 0;
        }
        ok += got;
        if (err != 0 && first_err == 0)
            first_err = err;
        close(report_r[i]);
    }

    snprintf(line, sizeof(line), "connected=%ld requested=%ld processes=%d "
             "first_error=%d", ok, total, nprocs, first_err);
    printf("%s: %s\n", PROG, line);
    fflush(stdout);
    if (ready != NULL && (f = fopen(ready, "w")) != NULL) {
        fprintf(f, "%s\n", line);
        fclose(f);
    }

    while (!stop_requested)
        sigsuspend(&old);

    for (i = 0; i < nprocs; i++)
        close(life_w[i]);
    while (wait(NULL) > 0 || errno == EINTR)
        continue;
    return 0;
}
