/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * main: the spread daemon's command line, start-up in the order of
 * daemon.md §1, the wiring of the modules (sess -> order -> deliver ->
 * groups/memb -> sess), the readiness reports to a service manager, and
 * the signals (spread(1), SIGNALS), the optional detach with a pid file,
 * and the ordered teardown.
 * Fatal start-up errors flush the log, print one reason and exit(1)
 * (upstream aborted and lost buffered output).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "internal/wire.h"
#include "actlog.h"
#include "auth.h"
#include "conf.h"
#include "daemon.h"
#include "dirpath.h"
#include "ev.h"
#include "log.h"
#include "notify.h"
#include "priv.h"

/* The only mutable file-scope state: set by the signal handlers and
 * read by the loop (stop) and by phase_signals (the others). */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t reopen_requested;
static volatile sig_atomic_t status_requested;

struct options {
    const char *name;          /* -n */
    const char *conf_path;     /* -c; NULL: the search of daemon.md §1 */
    const char *pid_file;      /* -p */
    int activity_log;          /* -l y */
    int check_only;            /* -k */
    int detach;                /* -d */
};

/* The process: what one spread process holds around its daemon. */
struct proc {
    struct options opt;
    struct log log;
    struct conf *conf;
    int self;
    struct auth auth;
    struct ev ev;
    struct daemon daemon;          /* the modules, wired (daemon.h) */
    int daemon_up;
    struct actlog actlog;
    struct notify notify;
    struct ev_timer trim_timer;    /* memory housekeeping (trim_cb) */
    uint64_t trimmed_at;           /* churn at the last trim */
    int ready_fd;                  /* -d: tells the waiting parent, or -1 */
    int pid_fd;                    /* -p: the locked pid file, or -1 */
    int pid_dir_fd;                /* -p: its directory, for the unlink */
    char pid_base[256];            /* -p: its name in pid_dir_fd */
};

/* How often the daemon looks whether to give freed memory back, and how
 * many groups and sessions must have been freed since it last did. */
#define TRIM_MS 5000
#define TRIM_CHURN 1000

static void on_stop_signal(int sig)
{
    stop_signal = sig;
    stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reopen_requested = 1;
}

static void on_usr1(int sig)
{
    (void)sig;
    status_requested = 1;
}

static void print_usage(FILE *to)
{
    fprintf(to,
            "Usage: spread [-n <name>] [-c <file>] [-l y|n] [-k] [-d] [-p <file>]\n"
            "\t-n <name>  use the configuration entry called <name>\n"
            "\t-c <file>  configuration file (default: ./spread.conf, then\n"
            "\t           " SYSCONFDIR "/spread.conf)\n"
            "\t-l y|n     activity log in the current directory\n"
            "\t-k         check the configuration and exit\n"
            "\t-d         detach: run in the background once ready\n"
            "\t-p <file>  write the daemon's pid to <file> (locked while it runs)\n"
            "\t-h, --help     this text\n"
            "\t-V, --version  the version\n"
            "Signals: TERM, INT, QUIT, USR2 stop cleanly; HUP reopens the\n"
            "log file; USR1 logs a status line. See spread(1).\n");
}

/* A command-line mistake: the usage on stderr, status 1. */
static void usage(void) __attribute__((noreturn));

static void usage(void)
{
    print_usage(stderr);
    exit(1);
}

static void close_pid_file(struct proc *d);
static void fatal(struct proc *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void fatal(struct proc *d, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_print(&d->log, "%s", buf);
    log_print(&d->log, "spread: exiting because of the error above");
    log_flush(&d->log);
    /* Give back the unix socket path, which would otherwise stay behind
     * in a shared directory; nothing else matters at exit. */
    if (d->daemon_up)
        daemon_remove_socket(&d->daemon);
    close_pid_file(d);
    fflush(stdout);
    fflush(stderr);
    exit(1);
}

/* Upstream-compatible option matching: any word starting with -n, -c or
 * -l is that option, and its value is always the next word. Cohort's own
 * options (-k, -d, -p, -h, -V and the long forms) are matched exactly. */
static void parse_args(struct options *o, int argc, char **argv)
{
    int i;

    memset(o, 0, sizeof *o);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            print_usage(stdout);
            exit(0);
        }
        if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("spread (Cohort) %s, wire protocol %d.%d.%d\n",
                   PACKAGE_VERSION, SPW_VERSION_MAJOR, SPW_VERSION_MINOR,
                   SPW_VERSION_PATCH);
            exit(0);
        }
        if (strncmp(a, "-k", 2) == 0) {
            o->check_only = 1;
            continue;
        }
        if (strcmp(a, "-d") == 0) {
            o->detach = 1;
            continue;
        }
        if (strcmp(a, "-p") == 0) {
            if (i + 1 >= argc)
                usage();
            o->pid_file = argv[++i];
            continue;
        }
        if (strncmp(a, "-n", 2) != 0 && strncmp(a, "-c", 2) != 0 &&
            strncmp(a, "-l", 2) != 0)
            usage();
        if (i + 1 >= argc)
            usage();
        if (a[1] == 'n') {
            o->name = argv[++i];
            if (strlen(o->name) >= CONF_MAX_PROC_NAME) {
                fprintf(stderr, "spread: daemon name '%s' is longer than %d "
                        "characters\n", o->name, CONF_MAX_PROC_NAME - 1);
                exit(1);
            }
        } else if (a[1] == 'c') {
            o->conf_path = argv[++i];
            if (strlen(o->conf_path) >= 256) {
                fprintf(stderr, "spread: configuration file name too long\n");
                exit(1);
            }
        } else {
            const char *v = argv[++i];
            if (strcmp(v, "y") == 0)
                o->activity_log = 1;
            else if (strcmp(v, "n") == 0)
                o->activity_log = 0;
            else
                usage();
        }
    }
}

static void conf_warning(void *ctx, const struct conf_diag *w)
{
    struct proc *d = ctx;
    if (w->line > 0)
        log_print(&d->log, "%s:%d: warning: %s", w->file, w->line, w->reason);
    else
        log_print(&d->log, "%s: warning: %s", w->file, w->reason);
}

static void describe_line(void *ctx, const char *text)
{
    struct proc *d = ctx;
    log_msg(&d->log, LOG_C_CONFIGURATION, LOG_INFO, "%s", text);
}

static void print_diag(const struct conf_diag *e)
{
    if (e->line > 0)
        fprintf(stderr, "%s:%d: %s\n", e->file, e->line, e->reason);
    else
        fprintf(stderr, "%s: %s\n", e->file[0] ? e->file : "spread", e->reason);
}

/* -k: a reason start-up would fail, on stderr, and status 1. */
static void check_failed(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void check_failed(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void load_config(struct proc *d)
{
    struct conf_diag err;
    const struct conf *c;
    const struct conf_daemon *me;

    memset(&err, 0, sizeof err);
    if (conf_load_file(d->opt.conf_path, &d->conf, &err, conf_warning, d) < 0) {
        print_diag(&err);
        if (d->opt.check_only)
            exit(1);
        fatal(d, "configuration error (see above)");
    }
    c = d->conf;
    /* -k too: a configuration this host has no entry in cannot start. */
    d->self = conf_select_self(c, d->opt.name, &err);
    if (d->self < 0) {
        print_diag(&err);
        if (d->opt.check_only)
            exit(1);
        fatal(d, "cannot find this daemon in the configuration");
    }
    if (d->opt.check_only)
        return;
    if (c->event_log_file != NULL) {
        int rc = log_open_file(&d->log, c->event_log_file);
        if (rc < 0)
            fatal(d, "cannot open EventLogFile %s: %s", c->event_log_file,
                  strerror(-rc));
    }
    log_configure(&d->log, c->event_priority, c->debug_flags,
                  c->event_timestamp, c->event_precise_timestamp);
    me = &c->daemons[d->self];
    log_msg(&d->log, LOG_C_CONFIGURATION, LOG_INFO,
            "configuration file: %s", c->path);
    conf_describe(c, d->self, describe_line, d);
    log_msg(&d->log, LOG_C_CONFIGURATION, LOG_INFO,
            "Finished configuration file.");
    conf_check_local_ifaces(c, d->self, conf_warning, d);
    log_msg(&d->log, LOG_C_CONFIGURATION, LOG_INFO,
            "this daemon: %s, id %u, address %s, port %u",
            me->name, me->id, me->addr.text, c->segments[me->segment].port);
}

static void setup_auth(struct proc *d)
{
    const struct conf *c = d->conf;
    char err[300];
    int rc;

    auth_init(&d->auth, c->allowed_auth, c->required_auth, c->auth_list);
    if (!((c->allowed_auth | c->required_auth) & AUTH_IP))
        return;
    rc = auth_load_access(&d->auth, err, sizeof err);
    if (rc < 0 && d->opt.check_only)
        check_failed("%s", err);
    if (rc < 0)
        fatal(d, "access list: %s", err);
    if (rc == 0)
        log_print(&d->log, "IP authentication is enabled but no "
                  "spread.access_ip was found: every client using it will "
                  "be refused");
    else
        log_msg(&d->log, LOG_C_SECURITY | LOG_C_CONFIGURATION, LOG_INFO,
                "IP access list loaded from %s", d->auth.path);
}

static unsigned raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 30)
        return 1u << 30;
    return (unsigned)rl.rlim_cur;
}

/* Descriptors open right now (the log, the loop, inherited ones). */
static unsigned open_descriptors(void)
{
    DIR *dp = opendir("/proc/self/fd");
    struct dirent *e;
    unsigned n = 0;

    if (dp == NULL)
        return 16;      /* no /proc: a guess, covered by the margin */
    while ((e = readdir(dp)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(dp);
    return n;
}

/* Fit the client limits into the descriptor limit, so that clients meet
 * REJECT_QUOTA (or wait for a handshake slot), never a failing accept():
 * what is open now, the listeners and a margin (activity log, readiness
 * socket, the spare descriptor, a log reopen) come first; a quarter of the
 * rest at most goes to handshakes, the others to sessions; and one
 * address gets at most a quarter of the handshakes. */
static void fit_sessions(struct proc *d, struct sess_opts *so,
                         unsigned fd_limit)
{
    unsigned reserve = open_descriptors() + SESS_MAX_LISTENERS + 16;
    unsigned avail, hs;

    if (fd_limit < reserve + 4)
        fatal(d, "the descriptor limit (%u) leaves no room for clients: "
              "raise it to at least %u (ulimit -n)", fd_limit, reserve + 4);
    avail = fd_limit - reserve;
    hs = avail / 4;
    if (so->max_handshakes > hs)
        so->max_handshakes = hs;
    /* One address never holds more than a quarter of the slots. */
    if (so->max_hs_per_addr > so->max_handshakes / 4)
        so->max_hs_per_addr = so->max_handshakes >= 4 ? so->max_handshakes / 4 : 1;
    if (so->max_sessions > avail - so->max_handshakes)
        so->max_sessions = avail - so->max_handshakes;
}

/* The membership report scripts grep for (daemon.md §5.3). */
static void print_view(void *ctx, const struct order_view *v)
{
    struct proc *d = ctx;
    const struct conf *c = d->conf;
    int s, i, k;

    log_print(&d->log, "Membership id is ( %d, %d)", (int32_t)v->memb_id,
              (int32_t)v->memb_time);
    log_raw(&d->log, "--------------------\n");
    log_raw(&d->log, "Configuration at %s is:\n", c->daemons[d->self].name);
    log_raw(&d->log, "Num Segments %d\n", c->n_segments);
    for (s = 0; s < c->n_segments; s++) {
        const struct conf_segment *seg = &c->segments[s];
        int present = 0;
        for (k = 0; k < v->n_members; k++)
            if (c->daemons[v->members[k]].segment == s)
                present++;
        log_raw(&d->log, "\t%d\t", present);
        for (i = 0; i < seg->n_addrs; i++)
            log_raw(&d->log, "%s[%s]:%u", i ? " " : "", seg->addrs[i].text,
                    seg->port);
        log_raw(&d->log, "\n");
        for (k = 0; k < v->n_members; k++) {
            const struct conf_daemon *cd = &c->daemons[v->members[k]];
            if (cd->segment == s)
                log_raw(&d->log, "\t\t%-20s\t%s\tID: %-16u\n", cd->name,
                        cd->addr.text, cd->id);
        }
    }
    log_raw(&d->log, "====================\n\n");
    log_flush(&d->log);
    {
        int present[CONF_MAX_DAEMONS] = {0};
        for (k = 0; k < v->n_members; k++)
            present[v->members[k]] = 1;
        actlog_view(&d->actlog, v->memb_time,
                    d->daemon.order ? order_delivered(d->daemon.order) : 0,
                    present, c->n_daemons);
    }
}

/* What each signal does (spread(1), SIGNALS). Signals whose default
 * would kill the daemon without its teardown stop it cleanly instead, so
 * the unix socket and the pid file never stay behind. */
static const int stop_signals[] = {
    SIGINT, SIGTERM, SIGQUIT, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO,
    SIGPWR, SIGXCPU
};

static void setup_signals(struct proc *d)
{
    struct sigaction sa;
    sigset_t block, wait_mask;
    size_t i;

    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    /* A log file grown past its limit fails the write (EFBIG) instead. */
    sigaction(SIGXFSZ, &sa, NULL);
    sigemptyset(&block);
    sa.sa_handler = on_stop_signal;
    for (i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++) {
        sigaction(stop_signals[i], &sa, NULL);
        sigaddset(&block, stop_signals[i]);
    }
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sigaddset(&block, SIGHUP);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigaddset(&block, SIGUSR1);
    /* Blocked except while the loop waits: no lost wake-ups. */
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    for (i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigdelset(&wait_mask, stop_signals[i]);
    sigdelset(&wait_mask, SIGHUP);
    sigdelset(&wait_mask, SIGUSR1);
    ev_set_stop_flag(&d->ev, &stop_requested, &wait_mask);
}

static void log_status(struct proc *d)
{
    struct daemon_stats st;

    daemon_stats(&d->daemon, &st);
    log_print(&d->log, "status: %lu sessions open, %lu groups; since start "
              "%lu sessions accepted, %lu refused, %lu dropped, %lu requests "
              "ordered, %lu joins refused",
              (unsigned long)st.sessions_open, (unsigned long)st.groups,
              (unsigned long)st.accepted, (unsigned long)st.rejected,
              (unsigned long)st.dropped, (unsigned long)st.ordered,
              (unsigned long)st.joins_refused);
}

/* SIGHUP and SIGUSR1, handled in the loop rather than in the handler. */
static int phase_signals(struct ev *ev, void *ctx)
{
    struct proc *d = ctx;
    (void)ev;

    if (reopen_requested) {
        int rc;
        reopen_requested = 0;
        rc = log_reopen(&d->log);
        if (rc > 0)
            log_print(&d->log, "SIGHUP: log file %s reopened",
                      d->conf->event_log_file);
        else if (rc == 0)
            log_print(&d->log, "SIGHUP: the log goes to standard output; "
                      "nothing to reopen");
        else
            log_print(&d->log, "SIGHUP: cannot reopen log file %s: %s; "
                      "still writing to the old one",
                      d->conf->event_log_file, strerror(-rc));
    }
    if (status_requested) {
        status_requested = 0;
        log_status(d);
    }
    return 0;
}

/* -k, after load_config() and setup_auth(): what start_runtime() would
 * refuse, found without binding, creating or opening anything. */
static void check_runtime(struct proc *d)
{
    const struct conf *c = d->conf;
    const char *sockdir = c->unix_socket_dir ? c->unix_socket_dir : SP_UNIX_SOCKET;
    unsigned port = c->segments[c->daemons[d->self].segment].port;
    struct sockaddr_un sa;
    char err[512], sock[512];
    int rc;

    if (c->event_log_file != NULL &&
        (rc = log_check_file(c->event_log_file)) < 0)
        check_failed("%s: EventLogFile %s cannot be opened for appending: %s",
                     c->path, c->event_log_file, strerror(-rc));
    if (priv_check_socket_dir(&d->log, sockdir, c->daemon_user, err,
                              sizeof err) < 0)
        check_failed("%s: %s", c->path, err);
    if ((size_t)snprintf(sock, sizeof sock, "%s/%u", sockdir, port) >=
        sizeof sa.sun_path)
        check_failed("%s: unix socket path %s is too long", c->path, sock);
    if (access(sockdir, W_OK | X_OK) < 0)
        check_failed("%s: the unix socket cannot be created in %s: %s",
                     c->path, sockdir, strerror(errno));
    if (priv_check_drop(c->runtime_dir, c->daemon_user, c->daemon_group, err,
                        sizeof err) < 0)
        check_failed("%s: %s", c->path, err);
    printf("%s: configuration OK, hash %u, daemon %s\n", c->path, c->hash,
           c->daemons[d->self].name);
    exit(0);
}

/* glibc keeps freed chunks inside the heap until told otherwise, so a
 * daemon that held a flood of groups or sessions would keep that much
 * memory after they have gone. After enough churn, return what is free. */
static void trim_cb(struct ev *ev, struct ev_timer *t)
{
    struct proc *d = t->data;
    struct daemon_stats st;
    uint64_t churn;

    daemon_stats(&d->daemon, &st);
    churn = st.churn;

    if (churn - d->trimmed_at >= TRIM_CHURN) {
#ifdef HAVE_MALLOC_TRIM
        malloc_trim(0);
#endif
        d->trimmed_at = churn;
    }
    ev_timer_start(ev, t, TRIM_MS);
}

static void start_runtime(struct proc *d, unsigned fd_limit)
{
    const struct conf *c = d->conf;
    const struct conf_daemon *me = &c->daemons[d->self];
    struct daemon_cfg dc;
    const char *sockdir = c->unix_socket_dir ? c->unix_socket_dir : SP_UNIX_SOCKET;
    char err[512];
    int rc;

    rc = ev_init(&d->ev);
    if (rc < 0)
        fatal(d, "event loop: %s", strerror(-rc));
    setup_signals(d);
    if (priv_check_socket_dir(&d->log, sockdir, c->daemon_user, err,
                              sizeof err) < 0)
        fatal(d, "%s", err);
    if (ev_add_phase(&d->ev, "signals", phase_signals, d) < 0)
        fatal(d, "event loop: no room for the signal phase");
    memset(&dc, 0, sizeof dc);
    dc.conf = c;
    dc.self = d->self;
    dc.ev = &d->ev;
    dc.log = &d->log;
    dc.auth = &d->auth;
    sess_opts_default(&dc.sess);
    dc.sess.max_queued = c->max_session_messages;
    fit_sessions(d, &dc.sess, fd_limit);
    dc.on_view = print_view;
    dc.on_view_ctx = d;
    d->daemon_up = 1;
    if (daemon_init(&d->daemon, &dc, err, sizeof err) < 0)
        fatal(d, "%s", err);
    if (daemon_listen(&d->daemon, err, sizeof err) < 0)
        fatal(d, "%s", err);
    if (priv_drop(&d->log, c->runtime_dir, c->daemon_user, c->daemon_group,
                  daemon_unix_path(&d->daemon), err, sizeof err) < 0)
        fatal(d, "%s", err);
    if (d->opt.activity_log) {
        rc = actlog_open(&d->actlog, &d->ev, me->name);
        if (rc < 0)
            fatal(d, "cannot open the activity log %s: %s", me->name,
                  strerror(-rc));
        daemon_set_actlog(&d->daemon, &d->actlog);
    }
    ev_timer_init(&d->trim_timer, trim_cb, d);
    ev_timer_start(&d->ev, &d->trim_timer, TRIM_MS);
    log_msg(&d->log, LOG_C_SESSION | LOG_C_CONFIGURATION, LOG_INFO,
            "accepting up to %u client sessions (descriptor limit %u), %u "
            "handshakes at a time (%u per address), %u queued messages each",
            dc.sess.max_sessions, fd_limit, dc.sess.max_handshakes,
            dc.sess.max_hs_per_addr, dc.sess.max_queued);
    daemon_start(&d->daemon, (uint32_t)clock_wall_s(ev_clock(&d->ev)));
}

/* -d: fork; the parent waits until the child is ready (or has failed)
 * and exits with status 0 (or 1), so that an init script learns whether
 * the start worked. The child leaves the terminal's session. */
static void detach(struct proc *d)
{
    int p[2];
    pid_t pid;
    char c;
    int devnull;

    if (d->conf->event_log_file == NULL)
        fprintf(stderr, "spread: note: detached without an EventLogFile, "
                "the log after start-up is discarded\n");
    fflush(stdout);
    fflush(stderr);
    if (pipe2(p, O_CLOEXEC) < 0)
        fatal(d, "-d: pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        fatal(d, "-d: fork: %s", strerror(errno));
    if (pid > 0) {
        ssize_t n;
        close(p[1]);
        do
            n = read(p[0], &c, 1);
        while (n < 0 && errno == EINTR);
        /* The child's own messages said why if it failed. */
        _exit(n == 1 ? 0 : 1);
    }
    close(p[0]);
    d->ready_fd = p[1];
    setsid();
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        close(devnull);
    }
}

/* Once ready: release the waiting parent and, without a log file, stop
 * writing to its terminal. */
static void detach_done(struct proc *d)
{
    int devnull;

    if (d->ready_fd < 0)
        return;
    if (write(d->ready_fd, "r", 1) != 1)
        log_print(&d->log, "-d: cannot tell the parent: %s", strerror(errno));
    close(d->ready_fd);
    d->ready_fd = -1;
    if (d->conf->event_log_file != NULL)
        return;
    log_flush(&d->log);
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0) {
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        close(devnull);
    }
}

/* -p: create the pid file and hold a lock on it for the daemon's life,
 * so that a second daemon given the same file refuses to start and a
 * file left behind by a crash is recognised as stale (unlocked). Its
 * directory stays open: the file is removed at exit even after the
 * chroot (when the new identity may still write there). */
static void open_pid_file(struct proc *d)
{
    const char *path = d->opt.pid_file;
    char text[32];
    int n;

    d->pid_dir_fd = dirpath_open(path, d->pid_base, sizeof d->pid_base);
    if (d->pid_dir_fd < 0)
        fatal(d, "pid file %s: %s", path, strerror(-d->pid_dir_fd));
    d->pid_fd = openat(d->pid_dir_fd, d->pid_base, O_RDWR | O_CREAT | O_CLOEXEC,
                       0644);
    if (d->pid_fd < 0)
        fatal(d, "pid file %s: %s", path, strerror(errno));
    if (flock(d->pid_fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        ssize_t r = pread(d->pid_fd, text, sizeof text - 1, 0);
        text[r > 0 ? r : 0] = '\0';
        text[strcspn(text, "\n")] = '\0';
        close(d->pid_fd);
        d->pid_fd = -1;     /* not ours: never remove it */
        if (e == EWOULDBLOCK)
            fatal(d, "pid file %s is held by a running daemon (pid %s)",
                  path, text[0] ? text : "unknown");
        fatal(d, "pid file %s: cannot lock it: %s", path, strerror(e));
    }
    n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(d->pid_fd, 0) < 0 || pwrite(d->pid_fd, text, n, 0) != n)
        fatal(d, "pid file %s: cannot write it: %s", path, strerror(errno));
}

static void close_pid_file(struct proc *d)
{
    if (d->pid_fd < 0)
        return;
    /* Removed while still locked: a daemon starting now either sees our
     * lock or creates a fresh file, never loses its own to our unlink. */
    if (unlinkat(d->pid_dir_fd, d->pid_base, 0) < 0)
        log_print(&d->log, "pid file %s left behind: %s (harmless: it is "
                  "no longer locked)", d->opt.pid_file, strerror(errno));
    close(d->pid_fd);
    close(d->pid_dir_fd);
    d->pid_fd = -1;
    d->pid_dir_fd = -1;
}

/* Readiness reports to a service manager (notify.h). Optional: a failure
 * is logged once and the daemon runs on as it would without a manager. */
static void open_notify(struct proc *d)
{
    int rc = notify_open(&d->notify);

    if (rc < 0)
        log_msg(&d->log, LOG_C_PRINT, LOG_WARNING,
                "cannot report readiness to %s=%s: %s", NOTIFY_ENV,
                d->notify.addr, strerror(-rc));
    else if (rc > 0)
        log_msg(&d->log, LOG_C_CONFIGURATION, LOG_INFO,
                "readiness reports go to %s", d->notify.addr);
}

static void report_state(struct proc *d, int stopping)
{
    int rc = stopping ? notify_stopping(&d->notify)
                      : notify_ready(&d->notify);

    if (rc < 0)
        log_msg(&d->log, LOG_C_PRINT, LOG_WARNING,
                "cannot report %s to %s: %s; no further reports",
                stopping ? "STOPPING=1" : "READY=1", d->notify.addr,
                strerror(-rc));
}

static void teardown(struct proc *d)
{
    if (d->daemon_up) {
        struct daemon_stats st;
        daemon_stats(&d->daemon, &st);
        log_msg(&d->log, LOG_C_SESSION | LOG_C_EXIT, LOG_INFO,
                "totals: %lu sessions accepted, %lu refused (%lu by the "
                "access list at accept), %lu dropped; %lu requests ordered, "
                "%lu joins refused; senders held back %lu times, not held "
                "back %lu times as they also sent elsewhere",
                (unsigned long)st.accepted, (unsigned long)st.rejected,
                (unsigned long)st.refused_access, (unsigned long)st.dropped,
                (unsigned long)st.ordered, (unsigned long)st.joins_refused,
                (unsigned long)st.throttled, (unsigned long)st.unthrottled);
        daemon_fini(&d->daemon);
    }
    actlog_close(&d->actlog);
    ev_fini(&d->ev);
    auth_fini(&d->auth);
    notify_close(&d->notify);
    close_pid_file(d);
    if (stop_signal != 0)
        log_msg(&d->log, LOG_C_EXIT, LOG_INFO, "stopped by signal %d (%s)",
                (int)stop_signal, strsignal(stop_signal));
    log_print(&d->log, "Spread daemon exiting normally!");
    log_fini(&d->log);
    conf_free(d->conf);
}

int main(int argc, char **argv)
{
    struct proc d;
    unsigned fd_limit;
    int rc;

    memset(&d, 0, sizeof d);
    d.ready_fd = d.pid_fd = d.pid_dir_fd = -1;
    notify_init(&d.notify);
    log_init(&d.log);
    parse_args(&d.opt, argc, argv);
    if (!d.opt.check_only)
        log_print(&d.log, "Cohort spread daemon %s (wire protocol %d.%d.%d)",
                  PACKAGE_VERSION, SPW_VERSION_MAJOR, SPW_VERSION_MINOR,
                  SPW_VERSION_PATCH);
    fd_limit = raise_fd_limit();
    load_config(&d);
    setup_auth(&d);
    if (d.opt.check_only)
        check_runtime(&d);
    if (d.opt.detach)
        detach(&d);
    if (d.opt.pid_file != NULL)
        open_pid_file(&d);
    /* Connected now: priv_drop() may chroot away from the address. */
    open_notify(&d);
    start_runtime(&d, fd_limit);
    /* Only now: bound, chrooted, no longer root, loop phases in place. */
    report_state(&d, 0);
    detach_done(&d);
    rc = ev_run(&d.ev);
    report_state(&d, 1);
    if (rc < 0)
        log_print(&d.log, "event loop failed: %s", strerror(-rc));
    teardown(&d);
    return rc < 0 ? 1 : 0;
}
