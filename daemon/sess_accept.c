/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * sess_accept: the client listeners and admission. Owns the listening
 * sockets, the decision to take a new connection or turn it away, the
 * accounting of connections that have not authenticated yet, and the
 * backoff when accept() itself fails.
 *
 * Nobody gets a resource before authentication that could keep others
 * out (see sess.h for the caps):
 * - a connection is turned away at once, with one reject byte, when the
 *   authenticated sessions fill the quota (REJECT_QUOTA, as upstream),
 *   when its source address already has max_hs_per_addr handshakes in
 *   progress (REJECT_QUOTA), or when the access rules alone decide and
 *   refuse it (REJECT_AUTH; see auth_ip_decides());
 * - handshakes have their own cap, max_handshakes, below the quota: at the
 *   cap the listeners are no longer watched, so further connections wait
 *   in the kernel's accept queue instead of being refused; each handshake
 *   has its own deadline (sess_hs.c), and its private name is reserved
 *   only once it is authenticated.
 * - A failing accept() (out of descriptors, kernel memory, ...) pauses the
 *   listeners for a backoff (doubling, up to a second) instead of spinning
 *   on a listener that stays readable; existing sessions are served all
 *   the while. Out of descriptors, one kept spare descriptor is given up
 *   to accept the waiting connection and refuse it with REJECT_QUOTA, so
 *   that the client gets an answer instead of a hang. An episode is logged
 *   when it starts and, with its count, when accepting works again.
 * Lines about refused connections are rate-limited (one per second, with
 * the count of those held back): a peer must not be able to flood the log.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "auth.h"
#include "conf.h"
#include "log.h"
#include "sess_int.h"

#define ACCEPT_BATCH 64
#define BACKOFF_MAX_MS 1000u
#define REFUSE_LOG_MS 1000u

/* ---- source addresses ---- */

/* An IPv4-mapped IPv6 peer (an IPv4 client of a dual-stack listener)
 * is shown and counted as the IPv4 address it is. */
static const unsigned char *mapped_v4(const struct sockaddr_in6 *v6)
{
    return IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) ? &v6->sin6_addr.s6_addr[12]
                                                : NULL;
}

/* "addr" or, for a scoped (link-local) address, "addr%iface": the same
 * address on two links is two different peers. */
static void v6_text(const struct sockaddr_in6 *v6, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE];

    inet_ntop(AF_INET6, &v6->sin6_addr, a, sizeof a);
    if (v6->sin6_scope_id == 0)
        snprintf(buf, len, "%s", a);
    else if (if_indextoname(v6->sin6_scope_id, ifname) != NULL)
        snprintf(buf, len, "%s%%%s", a, ifname);
    else
        snprintf(buf, len, "%s%%%u", a, (unsigned)v6->sin6_scope_id);
}

static void peer_text(struct sess *s, const struct sockaddr *sa)
{
    char a[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
    const struct sockaddr_in6 *v6 = (const void *)sa;
    const unsigned char *v4 = NULL;
    unsigned port = 0;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        v4 = (const unsigned char *)&in->sin_addr;
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        v4 = mapped_v4(v6);
        port = ntohs(v6->sin6_port);
    }
    if (v4 != NULL) {
        inet_ntop(AF_INET, v4, a, sizeof a);
        snprintf(s->peer, sizeof s->peer, "%s:%u", a, port);
        snprintf(s->peer_ip, sizeof s->peer_ip, "%s", a);
    } else if (sa->sa_family == AF_INET6) {
        v6_text(v6, a, sizeof a);
        snprintf(s->peer, sizeof s->peer, "[%s]:%u", a, port);
        snprintf(s->peer_ip, sizeof s->peer_ip, "%s", a);
    } else {
        snprintf(s->peer, sizeof s->peer, "unix socket");
        snprintf(s->peer_ip, sizeof s->peer_ip, "unix");
    }
}

/* The key handshakes are counted under: an IPv4 address (also when it
 * comes IPv4-mapped); the /64 of an IPv6 address, which one host usually
 * has whole; but for a link-local address the whole address and its link,
 * since fe80::/64 is the prefix of every neighbour on every link.
 * Unix-socket clients have no address to tell them apart and share only
 * the global cap. */
static void addr_key(struct sess *s)
{
    const struct sockaddr *sa = (const struct sockaddr *)&s->peer_addr;

    memset(s->addr_key, 0, sizeof s->addr_key);
    s->addr_family = 0;
    if (sa->sa_family == AF_INET) {
        memcpy(s->addr_key, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        s->addr_family = AF_INET;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const void *)sa;
        const unsigned char *v4 = mapped_v4(v6);
        uint32_t scope = v6->sin6_scope_id;

        if (v4 != NULL) {
            memcpy(s->addr_key, v4, 4);
            s->addr_family = AF_INET;
        } else if (IN6_IS_ADDR_LINKLOCAL(&v6->sin6_addr)) {
            memcpy(s->addr_key, v6->sin6_addr.s6_addr, 16);
            memcpy(s->addr_key + 16, &scope, sizeof scope);
            s->addr_family = AF_INET6;
        } else {
            memcpy(s->addr_key, v6->sin6_addr.s6_addr, 8);
            s->addr_family = AF_INET6;
        }
    }
}

/* Handshakes in progress from the address of s (s itself not counted).
 * A walk over at most max_handshakes sessions. */
static unsigned hs_from_same(const struct sessions *ss, const struct sess *s)
{
    const struct sess *o;
    unsigned n = 0;

    for (o = ss->hs_head; o != NULL; o = o->hs_next)
        if (o != s && o->addr_family == s->addr_family &&
            memcmp(o->addr_key, s->addr_key, sizeof o->addr_key) == 0)
            n++;
    return n;
}

/* ---- listener pause ---- */

static void listeners_watch(struct sessions *ss)
{
    int i;

    for (i = 0; i < ss->n_lst; i++)
        ev_io_set(ss->ev, &ss->lst[i].io, ss->accept_paused ? 0 : EV_READ);
}

static void pause_set(struct sessions *ss, unsigned why, int on)
{
    unsigned was = ss->accept_paused;

    ss->accept_paused = on ? was | why : was & ~why;
    if ((was == 0) != (ss->accept_paused == 0))
        listeners_watch(ss);
}

static void hs_enter(struct sess *s)
{
    struct sessions *ss = s->ss;
    unsigned long held;

    s->hs_prev = NULL;
    s->hs_next = ss->hs_head;
    if (ss->hs_head != NULL)
        ss->hs_head->hs_prev = s;
    ss->hs_head = s;
    ss->n_hs++;
    if (ss->n_hs >= ss->opts.max_handshakes) {
        if (log_limit_pass(&ss->pause_limit, ev_now(ss->ev), REFUSE_LOG_MS,
                           &held))
            log_msg(ss->log, LOG_C_SESSION | LOG_C_PRINT, LOG_WARNING,
                    "%u handshakes in progress: new connections wait until "
                    "one ends (%lu such pauses not logged)",
                    ss->opts.max_handshakes, held);
        pause_set(ss, SESS_PAUSE_HANDSHAKES, 1);
    }
}

void sess_hs_left(struct sess *s)
{
    struct sessions *ss = s->ss;

    if (s->hs_prev != NULL)
        s->hs_prev->hs_next = s->hs_next;
    else
        ss->hs_head = s->hs_next;
    if (s->hs_next != NULL)
        s->hs_next->hs_prev = s->hs_prev;
    s->hs_prev = s->hs_next = NULL;
    ss->n_hs--;
    if (ss->n_hs < ss->opts.max_handshakes)
        pause_set(ss, SESS_PAUSE_HANDSHAKES, 0);
}

/* ---- refusing ---- */

/* One reject byte and close. The client is waiting for the method list
 * and reads the code in its place. */
static void refuse_fd(int fd, int code)
{
    unsigned char b = (unsigned char)(signed char)code;

    if (write(fd, &b, 1) < 0) {
        /* nothing to do: the connection is refused either way */
    }
    close(fd);
}

static void refused(struct sessions *ss, const char *peer, const char *why)
{
    unsigned long held;

    ss->n_rejected++;
    if (log_limit_pass(&ss->refuse_limit, ev_now(ss->ev), REFUSE_LOG_MS,
                       &held))
        log_msg(ss->log, LOG_C_SESSION | LOG_C_PRINT, LOG_WARNING,
                "refused a connection from %s: %s (%lu more refusals not "
                "logged)", peer, why, held);
}

/* Admission of an accepted descriptor. */
static void accept_one(struct sessions *ss, struct sess_listener *l, int fd,
                       const struct sockaddr_storage *sa, socklen_t salen)
{
    struct sess *s;
    char why[96];

    if (ss->n_sess >= ss->opts.max_sessions) {
        refuse_fd(fd, REJECT_QUOTA);
        snprintf(why, sizeof why, "session limit (%u) reached",
                 ss->opts.max_sessions);
        refused(ss, l->is_unix ? "the unix socket" : "a TCP client", why);
        return;
    }
    s = sess_new(ss, fd, l->is_unix, sa, salen);
    if (s == NULL) {
        close(fd);
        return;
    }
    peer_text(s, (const struct sockaddr *)&s->peer_addr);
    addr_key(s);
    if (s->addr_family != 0 &&
        hs_from_same(ss, s) >= ss->opts.max_hs_per_addr) {
        refuse_fd(fd, REJECT_QUOTA);
        snprintf(why, sizeof why, "%u handshakes from that address in "
                 "progress", ss->opts.max_hs_per_addr);
        refused(ss, s->peer_ip, why);
        sess_discard(s);
        return;
    }
    if (auth_ip_decides(ss->auth) &&
        !auth_check(ss->auth, AUTH_IP, (const struct sockaddr *)&s->peer_addr)) {
        refuse_fd(fd, REJECT_AUTH);
        ss->n_refused_access++;
        refused(ss, s->peer_ip, "not admitted by the IP access list");
        sess_discard(s);
        return;
    }
    if (!l->is_unix) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    }
    ss->n_accepted++;
    hs_enter(s);
    /* Edge-triggered: requests from different connections are then seen
     * in arrival order (see ev.h); every reader drains its socket. */
    if (ev_io_set(ss->ev, &s->io, EV_READ | EV_EDGE) < 0) {
        sess_close_now(s, 0, "cannot watch the socket");
        return;
    }
    sess_hs_start(s);
}

/* ---- accept errors ---- */

void sess_accept_backoff_over(struct ev *ev, struct ev_timer *t)
{
    struct sessions *ss = t->data;

    (void)ev;
    pause_set(ss, SESS_PAUSE_ERROR, 0);
}

/* Out of descriptors: give up the spare one to take the waiting
 * connection and refuse it, then take a spare again. */
static void refuse_with_spare(struct sessions *ss, struct sess_listener *l)
{
    int fd;

    if (ss->spare_fd < 0)
        return;
    close(ss->spare_fd);
    fd = accept4(l->io.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
        refuse_fd(fd, REJECT_QUOTA);
        ss->n_rejected++;
    }
    ss->spare_fd = fcntl(l->io.fd, F_DUPFD_CLOEXEC, 0);
}

static void accept_failed(struct sessions *ss, struct sess_listener *l,
                          int err)
{
    if (ss->accept_errors++ == 0) {
        ss->backoff_ms = ss->opts.backoff_ms;
        log_msg(ss->log, LOG_C_SESSION | LOG_C_PRINT, LOG_ERROR,
                "accept on %s failed: %s; new connections paused (%zu "
                "sessions, %zu handshakes)", l->where, strerror(err),
                ss->n_sess, ss->n_hs);
    } else if (ss->backoff_ms < BACKOFF_MAX_MS) {
        ss->backoff_ms = ss->backoff_ms * 2 > BACKOFF_MAX_MS
                             ? BACKOFF_MAX_MS : ss->backoff_ms * 2;
    }
    if (err == EMFILE || err == ENFILE)
        refuse_with_spare(ss, l);
    pause_set(ss, SESS_PAUSE_ERROR, 1);
    ev_timer_start(ss->ev, &ss->accept_timer, ss->backoff_ms);
}

static void accept_worked(struct sessions *ss, struct sess_listener *l)
{
    if (ss->accept_errors == 0)
        return;
    log_msg(ss->log, LOG_C_SESSION | LOG_C_PRINT, LOG_WARNING,
            "accepting on %s again after %lu failed accepts", l->where,
            ss->accept_errors);
    ss->accept_errors = 0;
}

static void listener_cb(struct ev *ev, struct ev_io *w, unsigned revents)
{
    struct sess_listener *l = w->data;
    struct sessions *ss = l->ss;
    int i;

    (void)ev;
    (void)revents;
    for (i = 0; i < ACCEPT_BATCH && ss->accept_paused == 0; i++) {
        struct sockaddr_storage sa;
        socklen_t salen = sizeof sa;
        int fd = accept4(w->fd, (struct sockaddr *)&sa, &salen,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                accept_failed(ss, l, errno);
            return;
        }
        accept_worked(ss, l);
        accept_one(ss, l, fd, &sa, salen);
    }
}

/* ---- listening sockets ---- */

static int add_listener(struct sessions *ss, int fd, int is_unix,
                        const char *where, char *err, size_t errlen)
{
    struct sess_listener *l;

    if (ss->n_lst == SESS_MAX_LISTENERS) {
        snprintf(err, errlen, "too many client listeners");
        close(fd);
        return -1;
    }
    l = &ss->lst[ss->n_lst++];
    l->is_unix = is_unix;
    l->ss = ss;
    snprintf(l->where, sizeof l->where, "%s", where);
    ev_io_init(&l->io, fd, listener_cb, l);
    if (ev_io_set(ss->ev, &l->io, EV_READ) < 0) {
        snprintf(err, errlen, "cannot watch listener %s", where);
        return -1;
    }
    return 0;
}

static int listen_tcp(struct sessions *ss, const struct conf_iface *ifc,
                      int family, uint16_t port, enum conf_port_reuse reuse,
                      char *err, size_t errlen)
{
    struct sockaddr_storage sa;
    socklen_t salen;
    char where[96], a[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
    int any = (ifc->roles & CONF_IF_ANY) != 0, fd, one = 1;

    memset(&sa, 0, sizeof sa);
    if (!any)
        family = ifc->addr.family;
    if (family == AF_INET6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        if (!any) {
            memcpy(&v6->sin6_addr, ifc->addr.bytes, 16);
            v6->sin6_scope_id = ifc->addr.scope_id;
        }
        salen = sizeof *v6;
        v6_text(v6, a, sizeof a);
    } else {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        if (!any)
            memcpy(&v4->sin_addr, ifc->addr.bytes, 4);
        salen = sizeof *v4;
        inet_ntop(AF_INET, &v4->sin_addr, a, sizeof a);
    }
    snprintf(where, sizeof where, "[%s]:%u", a, port);
    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket for %s: %s", where, strerror(errno));
        return -1;
    }
    /* SocketPortReuse. Upstream's `auto` leaves the all-addresses listener
     * without SO_REUSEADDR, so a restart soon after clients were connected
     * fails with "Address already in use". On Linux SO_REUSEADDR never lets
     * a second listener onto a port in use, so `auto` sets it everywhere;
     * `off` keeps the old behaviour. */
    if (reuse != CONF_REUSE_OFF)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, salen) < 0) {
        int e = errno;
        /* Say what the operator can do about it. */
        const char *hint =
            e == EADDRINUSE ? "; another process (another daemon?) is "
                              "listening on it"
            : e == EACCES && port < 1024 ? "; ports below 1024 need root "
                                           "or CAP_NET_BIND_SERVICE"
            : e == EADDRNOTAVAIL ? "; the address is not one of this "
                                   "host's"
            : "";
        snprintf(err, errlen, "cannot listen for clients on %s: %s%s",
                 where, strerror(e), hint);
        close(fd);
        return -1;
    }
    if (listen(fd, SOMAXCONN) < 0) {
        snprintf(err, errlen, "listen on %s: %s", where, strerror(errno));
        close(fd);
        return -1;
    }
    log_msg(ss->log, LOG_C_SESSION, LOG_INFO, "listening for clients on %s",
            where);
    return add_listener(ss, fd, 0, where, err, errlen);
}

static int listen_unix(struct sessions *ss, const char *dir, unsigned mode,
                       uint16_t port, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if ((size_t)snprintf(ss->unix_path, sizeof ss->unix_path, "%s/%u", dir,
                         port) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "unix socket path %s/%u too long", dir, port);
        return -1;
    }
    memcpy(sa.sun_path, ss->unix_path, strlen(ss->unix_path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "unix socket: %s", strerror(errno));
        return -1;
    }
    unlink(ss->unix_path); /* a stale socket from an earlier run */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        snprintf(err, errlen, "bind %s: %s", ss->unix_path, strerror(errno));
        close(fd);
        return -1;
    }
    ss->unix_bound = 1;
    /* Kept open so that the socket can be removed at exit even from inside
     * the RuntimeDir chroot of a root start (upstream left it behind). */
    ss->unix_dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ss->unix_name = ss->unix_path + strlen(dir) + 1;
    if (chmod(ss->unix_path, (mode_t)mode) < 0 || listen(fd, SOMAXCONN) < 0) {
        snprintf(err, errlen, "unix socket %s: %s", ss->unix_path,
                 strerror(errno));
        close(fd);
        return -1;
    }
    log_msg(ss->log, LOG_C_SESSION, LOG_INFO,
            "listening for clients on %s (mode %04o)", ss->unix_path, mode);
    return add_listener(ss, fd, 1, ss->unix_path, err, errlen);
}

int sess_listen(struct sessions *ss, const struct conf *c, int self,
                char *err, size_t errlen)
{
    const struct conf_daemon *d = &c->daemons[self];
    uint16_t port = c->segments[d->segment].port;
    int i;

    for (i = 0; i < d->n_ifaces; i++) {
        const struct conf_iface *ifc = &d->ifaces[i];
        if (!(ifc->roles & (CONF_IF_CLIENT | CONF_IF_ANY)))
            continue;
        if (listen_tcp(ss, ifc, d->addr.family, port, c->port_reuse, err,
                       errlen) < 0)
            return -1;
    }
    return sess_listen_unix(ss, c->unix_socket_dir ? c->unix_socket_dir
                                                    : SP_UNIX_SOCKET,
                            c->unix_socket_mode, port, err, errlen);
}

int sess_listen_unix(struct sessions *ss, const char *dir, unsigned mode,
                     uint16_t port, char *err, size_t errlen)
{
    if (listen_unix(ss, dir, mode, port, err, errlen) < 0)
        return -1;
    /* Kept for the day descriptors run out (refuse_with_spare). */
    if (ss->spare_fd < 0)
        ss->spare_fd = fcntl(ss->lst[0].io.fd, F_DUPFD_CLOEXEC, 0);
    return 0;
}

void sess_remove_socket(struct sessions *ss)
{
    if (ss->unix_bound) {
        if (ss->unix_dirfd >= 0)
            unlinkat(ss->unix_dirfd, ss->unix_name, 0);
        else
            unlink(ss->unix_path);
        ss->unix_bound = 0;
    }
    if (ss->unix_dirfd >= 0)
        close(ss->unix_dirfd);
    ss->unix_dirfd = -1;
}

void sess_listeners_fini(struct sessions *ss)
{
    int i;

    ev_timer_stop(ss->ev, &ss->accept_timer);
    for (i = 0; i < ss->n_lst; i++) {
        ev_io_stop(ss->ev, &ss->lst[i].io);
        close(ss->lst[i].io.fd);
    }
    ss->n_lst = 0;
    if (ss->spare_fd >= 0)
        close(ss->spare_fd);
    ss->spare_fd = -1;
    sess_remove_socket(ss);
}
