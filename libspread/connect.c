/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * connect: SP_connect and SP_connect_timeout. Turns a daemon name into a
 * socket address, opens the connection, runs the client side of the
 * handshake (client-protocol.md section 3) and registers the new session
 * in the mailbox table.
 *
 * The whole handshake runs on a non-blocking socket against one deadline;
 * the socket is switched to blocking mode only once the daemon accepted.
 * Every message the daemon reads in one go (the connect message and the
 * 90-byte method choice) is written with a single send, because the
 * daemon rejects a connect message that arrives in pieces.
 */
#include "config.h"

#include "lib.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

/* Longest host part accepted in "<port>@<host>". */
#define HOST_NAME_BUF 256
/* Longest method list the library accepts from the daemon. */
#define MAX_METHOD_LIST SPW_AUTH_CHOICE_LEN

struct target {
    int family;
    struct sockaddr_storage addr;
    socklen_t addrlen;
};

/* ---- daemon names -------------------------------------------------- */

static int target_unix(struct target *t, long port)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&t->addr;
    int n;

    memset(&t->addr, 0, sizeof t->addr);
    sun->sun_family = AF_UNIX;
    n = snprintf(sun->sun_path, sizeof sun->sun_path, "%s/%ld",
                 SP_UNIX_SOCKET, port);
    if (n < 0 || (size_t)n >= sizeof sun->sun_path)
        return ILLEGAL_SPREAD;
    t->family = AF_UNIX;
    t->addrlen = (socklen_t)sizeof *sun;
    return 0;
}

/* The addresses of "<port>@<host>": *res (freed by the caller), in the
 * resolver's order. Bracketed literals ("[::1]") are not a form upstream
 * takes (its resolver finds no such name): they get ILLEGAL_SPREAD here
 * at once, without a lookup going out to DNS. */
static int resolve_tcp(const char *host, struct addrinfo **res)
{
    struct addrinfo hints;
    int rc;

    if (strlen(host) >= HOST_NAME_BUF || host[0] == '[')
        return ILLEGAL_SPREAD;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, NULL, &hints, res);
    if (rc == EAI_NONAME)
        return ILLEGAL_SPREAD;
    if (rc != 0 || *res == NULL)
        return COULD_NOT_CONNECT;
    return 0;
}

/* One resolved address as a target; -1 if it is not IPv4 or IPv6. The
 * scope id of a link-local literal ("fe80::1%eth0") comes with it. */
static int target_from_ai(struct target *t, const struct addrinfo *ai,
                          long port)
{
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
        ai->ai_addrlen > sizeof t->addr)
        return -1;
    memset(&t->addr, 0, sizeof t->addr);
    memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
    t->addrlen = ai->ai_addrlen;
    t->family = ai->ai_family;
    if (ai->ai_family == AF_INET)
        ((struct sockaddr_in *)&t->addr)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)&t->addr)->sin6_port = htons((uint16_t)port);
    return 0;
}

/* NULL or "" -> default port on the unix socket; "<port>" -> unix socket;
 * "<port>@<host>" -> TCP: *port and *res are set, t is left alone.
 * Anything else is ILLEGAL_SPREAD. */
static int parse_spread_name(const char *spread_name, struct target *t,
                             long *tcp_port, struct addrinfo **res)
{
    const char *p = spread_name;
    long port = 0;

    *res = NULL;
    if (p == NULL || *p == '\0')
        return target_unix(t, DEFAULT_SPREAD_PORT);
    if (*p < '0' || *p > '9')
        return ILLEGAL_SPREAD;
    while (*p >= '0' && *p <= '9') {
        port = port * 10 + (*p - '0');
        if (port > 65535)
            return ILLEGAL_SPREAD;
        p++;
    }
    if (*p == '\0')
        return target_unix(t, port);
    if (*p != '@')
        return ILLEGAL_SPREAD;
    *tcp_port = port;
    return resolve_tcp(p + 1, res);
}

/* ---- socket ------------------------------------------------------- */

static void tune_tcp(int fd)
{
    int on = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
}

static int set_nonblocking(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0)
        return -1;
    fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, fl);
}

/* A non-blocking connect to a unix socket whose accept queue is full
 * fails with EAGAIN instead of waiting, and poll() cannot say when room
 * appears. Upstream's blocking connect simply waited, so retry, backing
 * off from 1 ms to 50 ms, until the deadline (none: until accepted). */
static int unix_connect_retry(int fd, const struct target *t,
                              const struct timespec *dl)
{
    long wait_us = 1000;

    for (;;) {
        struct timespec pause;
        int left = spl_ms_until(dl);
        if (left == 0)
            break;
        pause.tv_sec = 0;
        pause.tv_nsec = wait_us * 1000;
        if (left > 0 && (long)left * 1000 < wait_us)
            pause.tv_nsec = (long)left * 1000000;
        nanosleep(&pause, NULL);
        if (connect(fd, (const struct sockaddr *)&t->addr, t->addrlen) == 0)
            return fd;
        if (errno != EAGAIN && errno != EINTR)
            break;
        if (wait_us < 50000)
            wait_us *= 2;
    }
    close(fd);
    return COULD_NOT_CONNECT;
}

/* Returns a connected non-blocking socket or a negative SP code. */
static int open_socket(const struct target *t, const struct timespec *dl)
{
    int fd, err = 0;
    socklen_t elen = sizeof err;

    fd = socket(t->family, SOCK_STREAM, 0);
    if (fd < 0)
        return COULD_NOT_CONNECT;
    /* Never a number the application may still hold from a disconnected
     * mailbox (the reuse guard, mbox.h). */
    fd = spl_mbox_avoid_quarantined(spl_lib_table(), fd);
    if (fd < 0)
        return COULD_NOT_CONNECT;
    if (t->family != AF_UNIX)
        tune_tcp(fd);
    if (set_nonblocking(fd, 1) < 0)
        goto fail;
    if (connect(fd, (const struct sockaddr *)&t->addr, t->addrlen) == 0)
        return fd;
    if (t->family == AF_UNIX && errno == EAGAIN)
        return unix_connect_retry(fd, t, dl);
    if (errno != EINPROGRESS && errno != EINTR)
        goto fail;
    if (spl_io_wait_writable(fd, dl) < 0) {
        /* Upstream does not notice a connect timeout; its next handshake
         * send fails, so the caller sees CONNECTION_CLOSED. */
        close(fd);
        return CONNECTION_CLOSED;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0)
        goto fail;
    return fd;
fail:
    close(fd);
    return COULD_NOT_CONNECT;
}

/* Upstream tries only the first address of a name. Cohort tries them in
 * the resolver's order until one connects: a name such as "localhost"
 * often gives ::1 before 127.0.0.1, and a daemon may listen on only one
 * of them. One deadline covers all the attempts; running out of it ends
 * the search (CONNECTION_CLOSED, as for a single address). */
static int open_tcp(const struct addrinfo *res, long port,
                    const struct timespec *dl)
{
    const struct addrinfo *ai;
    struct target t;
    int fd = COULD_NOT_CONNECT;

    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if (target_from_ai(&t, ai, port) < 0)
            continue;
        fd = open_socket(&t, dl);
        if (fd >= 0 || fd == CONNECTION_CLOSED)
            break;
    }
    return fd;
}

/* ---- handshake ---------------------------------------------------- */

/* A daemon that refuses a connection at once (REJECT_QUOTA) writes its
 * code and closes, possibly before our connect message is out, so that
 * message's send fails. The code may still be waiting to be read: report
 * it rather than a bare CONNECTION_CLOSED. */
static int hs_early_reject(int fd)
{
    signed char code;
    if (recv(fd, &code, 1, MSG_DONTWAIT) == 1 && code < 0)
        return code;
    return CONNECTION_CLOSED;
}

static int hs_send_connect(int fd, const char *private_name, int priority,
                           int group_membership, const struct timespec *dl)
{
    unsigned char msg[5 + MAX_PRIVATE_NAME];
    size_t n = private_name != NULL ? strnlen(private_name, MAX_PRIVATE_NAME)
                                    : 0;

    msg[0] = SPW_VERSION_MAJOR;
    msg[1] = SPW_VERSION_MINOR;
    msg[2] = SPW_VERSION_PATCH;
    msg[3] = (unsigned char)((group_membership ? SPW_CONNECT_FLAG_MEMBERSHIP
                                               : 0) |
                             (priority >= 1 ? SPW_CONNECT_FLAG_PRIORITY : 0));
    msg[4] = (unsigned char)n;
    if (n > 0)
        memcpy(msg + 5, private_name, n);
    if (spl_io_send_dl(fd, msg, 5 + n, dl) != 0)
        return hs_early_reject(fd);
    return 0;
}

/* The length byte is read as signed: a negative value is the daemon's
 * early reject code. list receives a NUL-terminated copy. */
static int hs_read_methods(int fd, char *list, const struct timespec *dl)
{
    signed char len;
    long got;

    if (spl_io_recv_by(fd, &len, 1, dl) != 1)
        return CONNECTION_CLOSED;
    if (len < 0)
        return len;
    if (len > MAX_METHOD_LIST)
        return CONNECTION_CLOSED;
    got = spl_io_recv_by(fd, list, (size_t)len, dl);
    if (got != len)
        return CONNECTION_CLOSED;
    list[len] = '\0';
    return 0;
}

/* 1 if name is one of the space-separated words of list. */
static int method_offered(const char *list, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = list;

    while (*p != '\0') {
        size_t wlen;
        while (*p == ' ')
            p++;
        wlen = strcspn(p, " ");
        if (wlen > 0 && wlen == nlen && memcmp(p, name, nlen) == 0)
            return 1;
        p += wlen;
    }
    return 0;
}

static int hs_choose(int fd, const struct spl_auth_list *auth,
                     const char *list, const struct timespec *dl)
{
    unsigned char choice[SPW_AUTH_CHOICE_LEN];
    int i;

    for (i = 0; i < auth->n; i++)
        if (!method_offered(list, auth->name[i]))
            return REJECT_AUTH;
    memset(choice, 0, sizeof choice);
    for (i = 0; i < auth->n; i++)
        memcpy(choice + i * SPW_MAX_AUTH_NAME, auth->name[i],
               strnlen(auth->name[i], SPW_MAX_AUTH_NAME));
    if (spl_io_send_dl(fd, choice, sizeof choice, dl) != 0)
        return CONNECTION_CLOSED;
    for (i = 0; i < auth->n; i++)
        if (!auth->fn[i](fd, auth->data[i]))
            return REJECT_AUTH;
    return 0;
}

/* Reply: 1, major, minor, patch, group length, group name. */
static int hs_read_accept(int fd, int priority, char *group,
                          const struct timespec *dl)
{
    unsigned char r[5];
    signed char major, minor, patch, glen;
    long got = spl_io_recv_by(fd, r, sizeof r, dl);

    if (got <= 0)
        return CONNECTION_CLOSED;
    if (r[0] != ACCEPT_SESSION)
        return (signed char)r[0] < 0 ? (signed char)r[0] : CONNECTION_CLOSED;
    if (got < (long)sizeof r)
        return CONNECTION_CLOSED;
    major = (signed char)r[1];
    minor = (signed char)r[2];
    patch = (signed char)r[3];
    glen = (signed char)r[4];
    if (major < 0 || minor < 0 || patch < 0 || glen < 0 ||
        glen >= MAX_GROUP_NAME)
        return CONNECTION_CLOSED;
    if (major < 3 || (priority > 0 && major == 3 && minor < 8))
        return REJECT_VERSION;
    if (spl_io_recv_by(fd, group, (size_t)glen, dl) != glen)
        return CONNECTION_CLOSED;
    memset(group + glen, 0, MAX_GROUP_NAME - (size_t)glen);
    return ACCEPT_SESSION;
}

static int handshake(int fd, const char *private_name, int priority,
                     int group_membership, char *group,
                     const struct timespec *dl)
{
    struct spl_auth_list auth;
    char list[MAX_METHOD_LIST + 1];
    int rc;

    spl_auth_snapshot(&auth);
    rc = hs_send_connect(fd, private_name, priority, group_membership, dl);
    if (rc == 0)
        rc = hs_read_methods(fd, list, dl);
    if (rc == 0)
        rc = hs_choose(fd, &auth, list, dl);
    if (rc == 0)
        rc = hs_read_accept(fd, priority, group, dl);
    return rc;
}

/* ---- entry points ------------------------------------------------- */

static int time_ok(sp_time t)
{
    if (t.usec <= -1000000 || t.usec >= 1000000)
        return 0;
    if ((t.sec > 0 && t.usec < 0) || (t.sec < 0 && t.usec > 0))
        return 0;
    return 1;
}

/* Enter the accepted socket in the mailbox table. */
static int register_session(int fd, const char *group)
{
    struct spl_sess *s;
    int rc;

    if (set_nonblocking(fd, 0) < 0)
        return CONNECTION_CLOSED;
    s = spl_mbox_sess_new(fd, group);
    if (s == NULL)
        return REJECT_QUOTA;
    rc = spl_mbox_link(spl_lib_table(), s);
    if (rc != 0) {
        /* The caller closes fd; this record must not close it too. */
        spl_mbox_sess_forget_fd(s);
        spl_mbox_unref(s);
        return rc == -EEXIST ? SP_BUG : REJECT_QUOTA;
    }
    spl_mbox_unref(s);    /* the table's reference keeps it alive */
    return ACCEPT_SESSION;
}

int SP_connect_timeout(const char *spread_name, const char *private_name,
                       int priority, int group_membership, mailbox *mbox,
                       char *private_group, sp_time time_out)
{
    struct timespec deadline, *dl = NULL;
    struct target t;
    struct addrinfo *res;
    long port = 0;
    char group[MAX_GROUP_NAME];
    int fd, rc;

    spl_lib_table();    /* first use initialises the library */
    if (!time_ok(time_out))
        return ILLEGAL_TIME;
    if (time_out.sec != 0 || time_out.usec != 0) {
        spl_deadline_after(&deadline, time_out.sec, time_out.usec);
        dl = &deadline;
    }
    rc = parse_spread_name(spread_name, &t, &port, &res);
    if (rc != 0)
        return rc;
    if (res != NULL) {
        fd = open_tcp(res, port, dl);
        freeaddrinfo(res);
    } else {
        fd = open_socket(&t, dl);
    }
    if (fd < 0)
        return fd;
    rc = handshake(fd, private_name, priority, group_membership, group, dl);
    if (rc == ACCEPT_SESSION)
        rc = register_session(fd, group);
    if (rc != ACCEPT_SESSION) {
        close(fd);
        return rc;
    }
    if (mbox != NULL)
        *mbox = fd;
    if (private_group != NULL)
        memcpy(private_group, group, MAX_GROUP_NAME);
    return ACCEPT_SESSION;
}

int SP_connect(const char *spread_name, const char *private_name,
               int priority, int group_membership, mailbox *mbox,
               char *private_group)
{
    sp_time none = { 0, 0 };

    return SP_connect_timeout(spread_name, private_name, priority,
                              group_membership, mbox, private_group, none);
}
