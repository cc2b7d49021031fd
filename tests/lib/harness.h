/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * harness: what integration and conformance tests share: free ports, a
 * private daemon started from the build tree and stopped by pid, raw
 * sockets to it, and waits that poll a condition until a deadline (tests
 * never sleep for a fixed time and hope).
 *
 * A daemon started here has its own temporary directory holding its
 * config, its log (stdout+stderr) and its readiness socket "notify" (the
 * daemon's NOTIFY_SOCKET, see daemon/notify.h). Its unix socket is in
 * SP_UNIX_SOCKET (where the library looks for "<port>" names), at a port
 * whose socket file did not exist when the port was chosen.
 *
 * "Started" means the daemon said READY=1: the kernel completes connects as
 * soon as a socket listens, long before the daemon has dropped privileges
 * and entered its loop, so a connect that succeeds proves nothing.
 */
#ifndef COHORT_TESTS_HARNESS_H
#define COHORT_TESTS_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

struct th_daemon {
    pid_t pid;
    int port;
    char dir[256];      /* temporary directory */
    char conf[320];     /* config file path */
    char log[320];      /* log file path */
    char name[32];      /* daemon name, e.g. "localhost" */
    char spread[64];    /* "<port>" (unix socket) */
    char spread_tcp[96];/* "<port>@<addr>", "<port>@127.0.0.1" by default */
    char addr[64];      /* if set before th_daemon_launch(): the daemon's
                         * address (an IPv6 one may carry %iface) instead
                         * of 127.0.0.1 */
    char seg[64];       /* and its segment address instead of 127.0.0.255
                         * (an IPv6 one is written bracketed) */
    char ifaces[160];   /* and if set, its interface block, e.g.
                         * "{ C ::1 D ::1 }" */
    char extra_arg[16]; /* one more daemon argument (e.g. "-k"), or "" */
    char extra_arg2[16];/* and its value, or "" */
    char conf_arg[320]; /* if set, the -c argument instead of conf (which
                         * is still written; relative to dir) */
    int no_name;        /* no -n: the daemon picks its entry by address */
    int no_root_keys;   /* don't add RuntimeDir/DaemonUser/DaemonGroup
                         * for a root start (the test sets them) */
    pid_t watchdog;     /* kills the daemon if the test dies first */
    int nofile;         /* if > 0, the daemon's descriptor limit (soft
                         * and hard), which bounds its session count */
    char notify[320];   /* path of the readiness socket */
    int notify_fd;      /* its bound datagram socket, -1 when closed */
    long notify_uid;    /* the uid the daemon had when it sent the state
                         * th_notify_wait() last found, -1 if unknown */
};

/* A port P such that TCP P and UDP P, P+1 are free on every IPv4 and
 * IPv6 address and no unix socket file for P exists. Ports are spread by
 * pid to keep parallel test programs apart. Returns P or -1. */
int th_free_port(void);

/* With COHORT_TEST_NO_NOTIFY set in the environment, a daemon that sends
 * no READY=1 (an older build, upstream's) counts as ready once it accepts
 * on both transports: for running tests against such daemons, to show
 * what they get wrong, never in the suite itself. */
/* Start `$top_builddir/daemon/spread -n <name> -c <conf>` with a config of
 * one segment 127.0.0.255:P holding `<name> 127.0.0.1` (or d->seg and
 * d->addr, see above; th_daemon_prepare() clears them), followed by
 * `extra` (may be NULL) as more config text. Waits until the daemon reports
 * READY=1 (deadline 10 s; at once if it exits first), then checks that it
 * accepts on TCP and on its unix socket. A daemon that lost its port to
 * another process meanwhile is started again on a new one. Returns 0 or
 * -1 (the log is then printed to stderr). */
int th_daemon_start(struct th_daemon *d, const char *name, const char *extra);

/* The same in two steps, for tests that put files in d->dir first or
 * expect the daemon not to come up: prepare makes the directory; launch
 * writes the config and starts the daemon, waiting for it only when
 * wait_ready is set. */
int th_daemon_prepare(struct th_daemon *d);
int th_daemon_launch(struct th_daemon *d, const char *name, const char *extra,
                     int wait_ready);

/* Wait for a datagram from the daemon on d->notify_fd with the line
 * `state` (e.g. "READY=1", "STOPPING=1"), up to deadline_ms, and set
 * d->notify_uid from its sender's credentials. 1 if it came; 0 at the
 * deadline or once the daemon has exited without sending it. */
int th_notify_wait(struct th_daemon *d, const char *state, int deadline_ms);

/* SIGTERM, wait up to 5 s, then SIGKILL. Returns the exit status as
 * waitpid reports it, or -1. Closes and removes the readiness socket and
 * the temporary directory. */
int th_daemon_stop(struct th_daemon *d);

/* th_daemon_stop() in two steps, to look at the daemon's files after it
 * has exited: stop (same result) and then remove the directory. */
int th_daemon_stop_keep(struct th_daemon *d);
void th_daemon_cleanup(struct th_daemon *d);

/* Wait for the daemon to exit by itself. Returns its exit code (128 + n
 * for a signal), or -1 at the deadline. */
int th_daemon_wait_exit(struct th_daemon *d, int deadline_ms);

/* Write the IP access list spread.access_ip into the daemon's directory
 * (its working directory), before th_daemon_launch(). 0 or -1. */
int th_write_access(const struct th_daemon *d, const char *text);

/* 1 if the file has a line containing text. */
int th_file_contains(const char *path, const char *text);

/* True while the daemon process is alive (not reaped). */
int th_daemon_alive(struct th_daemon *d);

/* Wait until the daemon's log contains `text` (deadline ms). 1 if found. */
int th_log_wait(const struct th_daemon *d, const char *text, int deadline_ms);

/* Raw connections. All return a blocking descriptor or -1. */
int th_connect_tcp(int port);
/* To a numeric address ("::1", "fe80::1%veth0", "127.0.0.1"). */
int th_connect_tcp_addr(const char *addr, int port);
/* The same from the local numeric address src (NULL: any). */
int th_connect_tcp_addr_from(const char *src, const char *addr, int port);
int th_connect_unix(int port);

/* Write all of buf. 0 or -1. */
int th_write_all(int fd, const void *buf, size_t len);

/* Read exactly len bytes within deadline_ms. Returns len, the number read
 * before end of stream, or -1 on error/timeout. */
long th_read_exact(int fd, void *buf, size_t len, int deadline_ms);

/* 1 if the peer ended the stream (EOF or reset) within deadline_ms without
 * sending more bytes; 0 if bytes arrived; -1 on timeout. */
int th_wait_eof(int fd, int deadline_ms);

/* Milliseconds from a monotonic clock. */
long long th_now_ms(void);

/* Path of a program in the build tree (static buffer per call site: copy it). */
const char *th_build_path(const char *rel);



/* A raw session: TCP connect + 5.0.1 handshake with the NULL method, by
 * hand (no libspread). Returns the descriptor or -1; *pg gets the private
 * group name (MAX_GROUP_NAME bytes) when not NULL. */
int th_raw_session(int port, const char *name, int membership, char *pg);

/* The same over either transport: 0 the unix socket, 1 TCP. */
int th_raw_session_on(int transport, int port, const char *name,
                      int membership, char *pg);

/* The same from a chosen source address of this host (e.g. 127.0.0.2,
 * a second "host" on loopback), over TCP. */
int th_raw_session_from(const char *src, int port, const char *name,
                        int membership, char *pg);

/* A TCP connection to 127.0.0.1:port from the local address src; a
 * blocking descriptor or -1. */
int th_connect_tcp_from(int port, const char *src);

/* A 5.0.1 connect message for `name` (at most 10 characters are used)
 * into b (at least 15 bytes); returns its length. */
size_t th_connect_msg(unsigned char *b, const char *name, int membership);

/* Descriptors the daemon process has open (from /proc), or -1. */
int th_daemon_fd_count(const struct th_daemon *d);

/* TCP sockets on this host whose local port is `port` and whose state is
 * `state` (the kernel's numbering: TH_TCP_CLOSE_WAIT), IPv4 and IPv6. */
#define TH_TCP_CLOSE_WAIT 8
int th_tcp_count_state(int port, int state);

/* Build a client frame header (host order) into buf[48]. */
void th_raw_header(unsigned char *buf, unsigned type, const char *sender,
                   int num_groups, short mess_type, int data_len);
#endif
