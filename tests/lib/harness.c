/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * harness: see harness.h. Everything here reports failures on stderr,
 * because its callers are tests that want to know why a start failed.
 */
#include "config.h"

#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

/* Daemons started by this process and not yet stopped. No daemon may
 * outlive its test, however the test ends:
 * - a test that returns or exit()s: the exit handler below stops them;
 * - a test that fails (Check's fork mode then uses _exit) or is killed:
 *   each daemon has a watchdog process that keeps its credentials, dies
 *   with the test through PR_SET_PDEATHSIG and then kills the daemon. The
 *   daemon's own PDEATHSIG would not do: the kernel clears it when the
 *   daemon switches to an unprivileged account. */
#define MAX_RUNNING 16
static struct th_daemon *running[MAX_RUNNING];

static void stop_leftovers(void)
{
    int i;
    for (i = 0; i < MAX_RUNNING; i++)
        if (running[i] != NULL)
            th_daemon_stop(running[i]);
}

static void track(struct th_daemon *d, int add)
{
    static int registered;
    int i;
    if (!registered) {
        atexit(stop_leftovers);
        registered = 1;
    }
    for (i = 0; i < MAX_RUNNING; i++) {
        if (add && running[i] == NULL) {
            running[i] = d;
            return;
        }
        if (!add && running[i] == d)
            running[i] = NULL;
    }
}

long long th_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *th_build_path(const char *rel)
{
    static char buf[1024];
    const char *top = getenv("top_builddir");
    snprintf(buf, sizeof buf, "%s/%s", top && *top ? top : ".", rel);
    return buf;
}

/* Free on every address of both families. Where IPv6 is missing or
 * disabled, only a port in use there counts as taken. */
static int port_is_free(int type, int port)
{
    struct sockaddr_in sa;
    struct sockaddr_in6 sa6;
    int fd = socket(AF_INET, type, 0), ok, one = 1;
    if (fd < 0)
        return 0;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    if (!ok)
        return 0;
    fd = socket(AF_INET6, type, 0);
    if (fd < 0)
        return 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    memset(&sa6, 0, sizeof sa6);
    sa6.sin6_family = AF_INET6;
    sa6.sin6_port = htons((unsigned short)port);
    sa6.sin6_addr = in6addr_any;
    ok = bind(fd, (struct sockaddr *)&sa6, sizeof sa6) == 0 ||
         errno != EADDRINUSE;
    close(fd);
    return ok;
}

/* Lowest port the kernel hands out as an ephemeral (client) port: test
 * ports stay below it, so no outgoing connection can take one between the
 * probe and the daemon's bind. */
static int ephemeral_low(void)
{
    FILE *fp = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    int low = 32768, high;
    if (fp != NULL) {
        if (fscanf(fp, "%d %d", &low, &high) != 2)
            low = 32768;
        fclose(fp);
    }
    return low;
}

int th_free_port(void)
{
    /* Even ports from 10000 up to the ephemeral range, starting from a
     * pid-derived offset so that test programs running in parallel rarely
     * probe the same ones. */
    int top = ephemeral_low() - 2, span, i, start;
    if (top < 12000)
        top = 12000;
    span = (top - 10000) / 2;
    start = (int)((getpid() * 7919L) % span);
    for (i = 0; i < span; i++) {
        int port = 10000 + 2 * ((start + i) % span);
        char path[300];
        struct stat st;
        snprintf(path, sizeof path, "%s/%d", SP_UNIX_SOCKET, port);
        if (stat(path, &st) == 0)
            continue;
        if (port_is_free(SOCK_STREAM, port) && port_is_free(SOCK_DGRAM, port) &&
            port_is_free(SOCK_DGRAM, port + 1))
            return port;
    }
    return -1;
}

/* A daemon started as root switches to DaemonUser/DaemonGroup inside
 * RuntimeDir and refuses to go on if that account is missing. Test daemons
 * are told to stay root in "/", which changes no credentials: sanitizers
 * (LeakSanitizer above all) cannot inspect a process that switched uid.
 * The switch itself is tested by test_daemon.c's privilege_drop, which
 * sets no_root_keys and its own keys. These lines come last, so the extra
 * text's line numbers stay as documented. */
static void write_root_keys(FILE *fp, const struct th_daemon *d)
{
    if (geteuid() != 0 || d->no_root_keys)
        return;
    fprintf(fp, "RuntimeDir = \"/\"\nDaemonUser = root\nDaemonGroup = root\n");
}

static int write_config(struct th_daemon *d, const char *extra)
{
    FILE *fp = fopen(d->conf, "w");
    const char *seg = d->seg[0] != '\0' ? d->seg : "127.0.0.255";
    int v6 = strchr(seg, ':') != NULL;

    if (fp == NULL) {
        fprintf(stderr, "harness: cannot write %s: %s\n", d->conf, strerror(errno));
        return -1;
    }
    fprintf(fp, "# written by the Cohort test harness\n"
                "Spread_Segment %s%s%s:%d {\n\t%s %s %s\n}\n"
                "UnixSocketDir = \"%s\"\n%s\n",
            v6 ? "[" : "", seg, v6 ? "]" : "", d->port, d->name,
            d->addr[0] != '\0' ? d->addr : "127.0.0.1", d->ifaces,
            SP_UNIX_SOCKET, extra ? extra : "");
    write_root_keys(fp, d);
    return fclose(fp);
}

static void dump_log(const struct th_daemon *d)
{
    char buf[4096];
    size_t n;
    FILE *fp = fopen(d->log, "r");
    fprintf(stderr, "---- daemon log %s ----\n", d->log);
    if (fp == NULL)
        return;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(fp);
    fprintf(stderr, "---- end of log ----\n");
}

/* A sanity check once the daemon has said READY=1: it accepts on both
 * transports, where the library will look for it. */
static int daemon_ready(struct th_daemon *d)
{
    int a = d->addr[0] != '\0' ? th_connect_tcp_addr(d->addr, d->port)
                               : th_connect_tcp(d->port), b;
    if (a < 0)
        return 0;
    close(a);
    b = th_connect_unix(d->port);
    if (b < 0)
        return 0;
    close(b);
    return 1;
}

int th_daemon_prepare(struct th_daemon *d)
{
    char tmpl[] = "/tmp/cohort-test-XXXXXX";
    memset(d, 0, sizeof *d);
    d->pid = -1;
    d->notify_fd = -1;
    d->notify_uid = -1;
    if (mkdtemp(tmpl) == NULL)
        return -1;
    /* The daemon may drop privileges to an unprivileged account. */
    chmod(tmpl, 0755);
    snprintf(d->dir, sizeof d->dir, "%s", tmpl);
    return 0;
}

/* The watchdog of daemon d (see above). Returns its pid, or -1. */
static pid_t spawn_watchdog(const struct th_daemon *d)
{
    sigset_t set;
    int sig;
    char sock[300];
    pid_t parent = getpid(), w = fork();
    if (w != 0)
        return w;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
#ifdef HAVE_SYS_PRCTL_H
    prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
    if (d->notify_fd >= 0)
        close(d->notify_fd);
    if (getppid() == parent)
        sigwait(&set, &sig);
    /* Here only when the test is gone (a normal stop SIGKILLs us first):
     * kill the daemon and remove the sockets it can no longer remove. */
    kill(d->pid, SIGKILL);
    snprintf(sock, sizeof sock, "%s/%d", SP_UNIX_SOCKET, d->port);
    unlink(sock);
    unlink(d->notify);
    _exit(0);
}

static void stop_watchdog(struct th_daemon *d)
{
    if (d->watchdog > 0) {
        kill(d->watchdog, SIGKILL);
        waitpid(d->watchdog, NULL, 0);
        d->watchdog = 0;
    }
}

int th_daemon_start(struct th_daemon *d, const char *name, const char *extra)
{
    if (th_daemon_prepare(d) < 0)
        return -1;
    return th_daemon_launch(d, name, extra, 1);
}

/* The daemon's readiness socket, bound before the daemon starts so that
 * no report is lost. With SO_PASSCRED the kernel attaches the sender's pid
 * and uid as they are when it sends: a daemon that reported READY=1 before
 * dropping its privileges would be caught every time, not by luck. */
static int notify_bind(struct th_daemon *d)
{
    struct sockaddr_un sa;
    int fd, one = 1;

    snprintf(d->notify, sizeof d->notify, "%s/notify", d->dir);
    if (strlen(d->notify) >= sizeof sa.sun_path) {
        fprintf(stderr, "harness: %s: path too long\n", d->notify);
        return -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, d->notify, strlen(d->notify) + 1);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
#ifdef SO_PASSCRED
    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
#else
    (void)one;
#endif
    unlink(d->notify);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "harness: bind %s: %s\n", d->notify, strerror(errno));
        close(fd);
        return -1;
    }
    d->notify_fd = fd;
    return 0;
}

static void notify_unbind(struct th_daemon *d)
{
    if (d->notify_fd < 0)
        return;
    close(d->notify_fd);
    d->notify_fd = -1;
    unlink(d->notify);
}

/* 1 if `text` has `line` as one of its newline-separated lines. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    while (*text != '\0') {
        if (strncmp(text, line, n) == 0 && (text[n] == '\n' || text[n] == '\0'))
            return 1;
        text = strchr(text, '\n');
        if (text == NULL)
            break;
        text++;
    }
    return 0;
}

/* Take one datagram. -1 if none is queued; 1 if it comes from process
 * `pid` (any, when 0 or without credentials) and has the line `state`;
 * else 0 (read and ignored). */
static int notify_read(struct th_daemon *d, pid_t pid, const char *state)
{
    char buf[512];
    struct iovec iov = {buf, sizeof buf - 1};
    struct msghdr mh;
    long from = 0, uid = -1;
    ssize_t n;
#ifdef SCM_CREDENTIALS
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(struct ucred))];
    } ctl;
    struct cmsghdr *c;
#endif

    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
#ifdef SCM_CREDENTIALS
    mh.msg_control = &ctl;
    mh.msg_controllen = sizeof ctl;
#endif
    n = recvmsg(d->notify_fd, &mh, MSG_DONTWAIT);
    if (n < 0)
        return -1;
    buf[n] = '\0';
#ifdef SCM_CREDENTIALS
    for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
        struct ucred cr;
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS)
            continue;
        memcpy(&cr, CMSG_DATA(c), sizeof cr);
        from = (long)cr.pid;
        uid = (long)cr.uid;
    }
#endif
    if ((pid > 0 && from > 0 && from != (long)pid) || !has_line(buf, state))
        return 0;
    d->notify_uid = uid;
    return 1;
}

int th_notify_wait(struct th_daemon *d, const char *state, int deadline_ms)
{
    long long deadline = th_now_ms() + deadline_ms;
    pid_t pid = d->pid > 0 ? d->pid : 0;
    int alive = 1, r;

    if (d->notify_fd < 0)
        return 0;
    for (;;) {
        struct pollfd p = {d->notify_fd, POLLIN, 0};
        long long left;
        /* Whatever is queued first: a daemon may report and exit at once. */
        while ((r = notify_read(d, pid, state)) >= 0)
            if (r == 1)
                return 1;
        left = deadline - th_now_ms();
        if (!alive || left <= 0)
            return 0;
        alive = th_daemon_alive(d);
        /* A slice of the deadline, not a sleep: a datagram ends it at once,
         * and a daemon that exits is noticed within 50 ms. */
        poll(&p, 1, left < 50 ? (int)left : 50);
    }
}

extern char **environ;

/* The test's environment with NOTIFY_SOCKET naming d's socket. Built
 * before fork, so that the child of a threaded test only has to exec. */
static char **daemon_env(const struct th_daemon *d, char *var, size_t varlen)
{
    size_t n = 0, k = 0, i;
    char **env;

    while (environ[n] != NULL)
        n++;
    env = calloc(n + 2, sizeof *env);
    if (env == NULL)
        return NULL;
    for (i = 0; i < n; i++)
        if (strncmp(environ[i], "NOTIFY_SOCKET=", 14) != 0)
            env[k++] = environ[i];
    snprintf(var, varlen, "NOTIFY_SOCKET=%s", d->notify);
    env[k++] = var;
    env[k] = NULL;
    return env;
}

/* Start the daemon process (and its watchdog) with the current config. */
static int spawn_daemon(struct th_daemon *d)
{
    char prog[1024], var[400], **env;
    char *argv[8];
    int k = 0;

    snprintf(prog, sizeof prog, "%s", th_build_path("daemon/spread"));
    argv[k++] = "spread";
    if (!d->no_name) {
        argv[k++] = "-n";
        argv[k++] = d->name;
    }
    argv[k++] = "-c";
    argv[k++] = d->conf_arg[0] != '\0' ? d->conf_arg : d->conf;
    if (d->extra_arg[0] != '\0')
        argv[k++] = d->extra_arg;
    if (d->extra_arg2[0] != '\0')
        argv[k++] = d->extra_arg2;
    argv[k] = NULL;
    if (notify_bind(d) < 0)
        return -1;
    env = daemon_env(d, var, sizeof var);
    if (env == NULL)
        return -1;
    d->pid = fork();
    if (d->pid == 0) {
        int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
#ifdef HAVE_SYS_PRCTL_H
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        if (d->nofile > 0) {
            struct rlimit rl;
            rl.rlim_cur = rl.rlim_max = (rlim_t)d->nofile;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        /* Relative files (access list, activity log, EventLogFile) live
         * in the daemon's own directory. */
        if (chdir(d->dir) != 0)
            _exit(126);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execve(prog, argv, env);
        fprintf(stderr, "harness: exec %s: %s\n", prog, strerror(errno));
        _exit(127);
    }
    free(env);
    if (d->pid < 0) {
        notify_unbind(d);
        return -1;
    }
    track(d, 1);
    d->watchdog = spawn_watchdog(d);
    return 0;
}

/* Another test program may bind the port between th_free_port() and the
 * daemon's bind; that is bad luck, not a failure of the daemon. */
static int lost_port(struct th_daemon *d)
{
    FILE *fp;

    if (th_daemon_alive(d) ||
        !th_file_contains(d->log, "cannot listen for clients on"))
        return 0;
    fprintf(stderr, "harness: port %d was taken before the daemon bound it; "
            "trying another\n", d->port);
    th_daemon_stop_keep(d);
    fp = fopen(d->log, "w");
    if (fp != NULL)
        fclose(fp);
    return 1;
}

/* For a daemon without readiness reports (an older Cohort, upstream's),
 * when COHORT_TEST_NO_NOTIFY is set: ready once it accepts on both
 * transports. Only for comparisons: a connect succeeds before the daemon
 * has finished starting (it may not have dropped its privileges yet). */
static int connect_ready(struct th_daemon *d)
{
    long long deadline = th_now_ms() + 10000;

    while (th_now_ms() < deadline && th_daemon_alive(d)) {
        if (daemon_ready(d))
            return 1;
        usleep(10000);
    }
    return 0;
}

int th_daemon_launch(struct th_daemon *d, const char *name, const char *extra,
                     int wait_ready)
{
    int attempt;

    snprintf(d->conf, sizeof d->conf, "%s/spread.conf", d->dir);
    snprintf(d->log, sizeof d->log, "%s/daemon.log", d->dir);
    snprintf(d->name, sizeof d->name, "%s", name);
    for (attempt = 1;; attempt++) {
        d->port = th_free_port();
        if (d->port < 0 || write_config(d, extra) < 0)
            return -1;
        snprintf(d->spread, sizeof d->spread, "%d", d->port);
        snprintf(d->spread_tcp, sizeof d->spread_tcp, "%d@%s", d->port,
                 d->addr[0] != '\0' ? d->addr : "127.0.0.1");
        if (spawn_daemon(d) < 0)
            return -1;
        if (!wait_ready)
            return 0;
        if (getenv("COHORT_TEST_NO_NOTIFY") != NULL && connect_ready(d))
            return 0;
        if (th_notify_wait(d, "READY=1", 10000)) {
            if (daemon_ready(d))
                return 0;
            fprintf(stderr, "harness: daemon on port %d reported READY=1 but "
                    "does not accept on TCP and its unix socket\n", d->port);
            break;
        }
        if (attempt < 3 && lost_port(d))
            continue;
        fprintf(stderr, "harness: daemon on port %d did not come up (%s)\n",
                d->port, th_daemon_alive(d) ? "no READY=1 within 10 s"
                                            : "it exited");
        break;
    }
    dump_log(d);
    th_daemon_stop(d);
    return -1;
}

int th_daemon_alive(struct th_daemon *d)
{
    int status;
    if (d->pid <= 0)
        return 0;
    if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
        d->pid = -status - 1000; /* reaped; remember it is gone */
        stop_watchdog(d);        /* its pid may be reused from now on */
        return 0;
    }
    return 1;
}

static void remove_dir(const char *dir)
{
    char path[600];
    DIR *dp;
    struct dirent *e;
    if (dir[0] == '\0' || (dp = opendir(dir)) == NULL)
        return;
    while ((e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(dp);
    rmdir(dir);
}

int th_daemon_stop_keep(struct th_daemon *d)
{
    int status = -1;
    long long deadline;
    char sock[300];

    track(d, 0);
    stop_watchdog(d);
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        deadline = th_now_ms() + 5000;
        while (th_now_ms() < deadline) {
            if (waitpid(d->pid, &status, WNOHANG) == d->pid)
                break;
            usleep(5000);
        }
        if (th_now_ms() >= deadline) {
            fprintf(stderr, "harness: daemon %d ignored SIGTERM, killing\n", (int)d->pid);
            dump_log(d);
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &status, 0);
            status = -1;
        }
        d->pid = -1;
    } else if (d->pid < -1) {
        status = -(d->pid + 1000);
        d->pid = -1;
    }
    notify_unbind(d);
    if (status == -1 && d->port > 0) {
        /* Only if the daemon could not remove it itself. */
        snprintf(sock, sizeof sock, "%s/%d", SP_UNIX_SOCKET, d->port);
        unlink(sock);
    }
    return status;
}

void th_daemon_cleanup(struct th_daemon *d)
{
    if (getenv("COHORT_KEEP_LOGS") == NULL)
        remove_dir(d->dir);
}

int th_daemon_stop(struct th_daemon *d)
{
    int status = th_daemon_stop_keep(d);
    th_daemon_cleanup(d);
    return status;
}

int th_log_wait(const struct th_daemon *d, const char *text, int deadline_ms)
{
    long long deadline = th_now_ms() + deadline_ms;
    do {
        FILE *fp = fopen(d->log, "r");
        char line[4096];
        int found = 0;
        if (fp != NULL) {
            while (!found && fgets(line, sizeof line, fp) != NULL)
                found = strstr(line, text) != NULL;
            fclose(fp);
        }
        if (found)
            return 1;
        usleep(5000);
    } while (th_now_ms() < deadline);
    return 0;
}

int th_connect_tcp(int port)
{
    struct sockaddr_in sa;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static struct addrinfo *numeric_addr(const char *addr, int port)
{
    struct addrinfo hints, *res;
    char serv[16];

    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(serv, sizeof serv, "%d", port);
    return getaddrinfo(addr, serv, &hints, &res) == 0 ? res : NULL;
}

int th_connect_tcp_addr_from(const char *src, const char *addr, int port)
{
    struct addrinfo *to = numeric_addr(addr, port), *from = NULL;
    int one = 1, fd = -1;

    if (to == NULL || (src != NULL && (from = numeric_addr(src, 0)) == NULL))
        goto out;
    fd = socket(to->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && ((from != NULL &&
                     bind(fd, from->ai_addr, from->ai_addrlen) < 0) ||
                    connect(fd, to->ai_addr, to->ai_addrlen) < 0)) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
out:
    if (to != NULL)
        freeaddrinfo(to);
    if (from != NULL)
        freeaddrinfo(from);
    return fd;
}

int th_connect_tcp_addr(const char *addr, int port)
{
    return th_connect_tcp_addr_from(NULL, addr, port);
}

int th_connect_unix(int port)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%d", SP_UNIX_SOCKET, port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int th_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

long th_read_exact(int fd, void *buf, size_t len, int deadline_ms)
{
    char *p = buf;
    size_t got = 0;
    long long deadline = th_now_ms() + deadline_ms;
    while (got < len) {
        struct pollfd pfd = {fd, POLLIN, 0};
        long long left = deadline - th_now_ms();
        ssize_t n;
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            return -1;
        n = recv(fd, p + got, len - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == ECONNRESET)
            return (long)got;
        if (n < 0)
            return -1;
        if (n == 0)
            return (long)got;
        got += (size_t)n;
    }
    return (long)got;
}

int th_wait_eof(int fd, int deadline_ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    char c;
    ssize_t n;
    if (poll(&pfd, 1, deadline_ms) <= 0)
        return -1;
    n = recv(fd, &c, 1, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET))
        return 1;
    return n > 0 ? 0 : 1;
}

int th_raw_session(int port, const char *name, int membership, char *pg)
{
    return th_raw_session_on(1, port, name, membership, pg);
}

size_t th_connect_msg(unsigned char *b, const char *name, int membership)
{
    size_t n = strnlen(name, 10);

    b[0] = 5;
    b[1] = 0;
    b[2] = 1;
    b[3] = membership ? 1 : 0;
    b[4] = (unsigned char)n;
    memcpy(b + 5, name, n);
    return 5 + n;
}

int th_connect_tcp_from(int port, const char *src)
{
    struct sockaddr_in sa;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    if (inet_pton(AF_INET, src, &sa.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        goto fail;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        goto fail;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
fail:
    close(fd);
    return -1;
}

/* The 5.0.1 handshake with the NULL method on connected fd; returns fd,
 * or -1 with fd closed. */
static int raw_handshake(int fd, const char *name, int membership, char *pg)
{
    unsigned char hello[16], choice[90], reply[64];

    if (fd < 0 || strlen(name) > 10)
        goto fail;
    if (th_write_all(fd, hello, th_connect_msg(hello, name, membership)) < 0 ||
        th_read_exact(fd, reply, 1, 5000) != 1 || reply[0] != 5 ||
        th_read_exact(fd, reply, 5, 5000) != 5)
        goto fail;
    memset(choice, 0, sizeof choice);
    memcpy(choice, "NULL", 4);
    if (th_write_all(fd, choice, sizeof choice) < 0 ||
        th_read_exact(fd, reply, 5, 5000) != 5 || reply[0] != 1 ||
        reply[4] >= 32 ||
        th_read_exact(fd, reply + 5, reply[4], 5000) != reply[4])
        goto fail;
    if (pg != NULL) {
        memcpy(pg, reply + 5, reply[4]);
        pg[reply[4]] = '\0';
    }
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    return -1;
}

int th_raw_session_on(int transport, int port, const char *name,
                      int membership, char *pg)
{
    return raw_handshake(transport ? th_connect_tcp(port) : th_connect_unix(port),
                         name, membership, pg);
}

int th_raw_session_from(const char *src, int port, const char *name,
                        int membership, char *pg)
{
    return raw_handshake(th_connect_tcp_from(port, src), name, membership, pg);
}

void th_raw_header(unsigned char *buf, unsigned type, const char *sender,
                   int num_groups, short mess_type, int data_len)
{
    const unsigned one = 1;
    unsigned mark = *(const unsigned char *)&one ? 0x80000080u : 0u;
    unsigned hint = (((unsigned)(unsigned short)mess_type << 8) & 0x00ffff00u) | mark;
    unsigned t = type | mark;
    memset(buf, 0, 48);
    memcpy(buf, &t, 4);
    strncpy((char *)buf + 4, sender, 32);
    memcpy(buf + 36, &num_groups, 4);
    memcpy(buf + 40, &hint, 4);
    memcpy(buf + 44, &data_len, 4);
}

int th_daemon_wait_exit(struct th_daemon *d, int deadline_ms)
{
    long long deadline = th_now_ms() + deadline_ms;
    int status;
    if (d->pid < -1)
        status = -(d->pid + 1000);
    else {
        for (;;) {
            if (d->pid > 0 && waitpid(d->pid, &status, WNOHANG) == d->pid)
                break;
            if (th_now_ms() >= deadline)
                return -1;
            usleep(5000);
        }
        d->pid = -status - 1000;
        stop_watchdog(d);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int th_write_access(const struct th_daemon *d, const char *text)
{
    char path[400];
    FILE *fp;

    snprintf(path, sizeof path, "%s/spread.access_ip", d->dir);
    fp = fopen(path, "w");
    if (fp == NULL)
        return -1;
    fputs(text, fp);
    return fclose(fp);
}

int th_file_contains(const char *path, const char *text)
{
    FILE *fp = fopen(path, "r");
    char line[4096];
    int found = 0;
    if (fp == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, fp) != NULL)
        found = strstr(line, text) != NULL;
    fclose(fp);
    return found;
}

int th_daemon_fd_count(const struct th_daemon *d)
{
    char path[64];
    DIR *dp;
    struct dirent *e;
    int n = 0;

    snprintf(path, sizeof path, "/proc/%d/fd", (int)d->pid);
    if (d->pid <= 0 || (dp = opendir(path)) == NULL)
        return -1;
    while ((e = readdir(dp)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(dp);
    return n;
}

/* One table of /proc/net/tcp or tcp6: lines "sl local rem st ...", with
 * addresses as hex "ADDR:PORT". */
static int count_tcp_state(const char *table, int port, int state)
{
    FILE *fp = fopen(table, "r");
    char line[512];
    int n = 0;

    if (fp == NULL)
        return 0;
    while (fgets(line, sizeof line, fp) != NULL) {
        char local[80], remote[80];
        unsigned st;
        const char *colon;
        if (sscanf(line, " %*d: %79s %79s %x", local, remote, &st) != 3)
            continue;
        colon = strrchr(local, ':');
        if (colon != NULL && strtol(colon + 1, NULL, 16) == port &&
            (int)st == state)
            n++;
    }
    fclose(fp);
    return n;
}

int th_tcp_count_state(int port, int state)
{
    return count_tcp_state("/proc/net/tcp", port, state) +
           count_tcp_state("/proc/net/tcp6", port, state);
}
