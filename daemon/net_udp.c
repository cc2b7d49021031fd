/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * net_udp: the ring's UDP sockets (see net_udp.h for which and why).
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conf.h"
#include "net_udp.h"

static int fail(char *err, size_t errlen, const char *what,
                const struct sockaddr_storage *a, int e)
{
    char at[NET_ADDR_TEXT];

    if (a != NULL)
        snprintf(err, errlen, "%s %s: %s", what,
                 net_addr_format(a, at, sizeof at), strerror(e));
    else
        snprintf(err, errlen, "%s: %s", what, strerror(e));
    return -e;
}

/* What one recvmmsg() fills: NET_RECV_VEC datagrams, each with a slot
 * of NET_MAX_DGRAM bytes in net_udp.buf. */
struct net_udp_slot {
    struct mmsghdr mm[NET_RECV_VEC];
    struct iovec iov[NET_RECV_VEC];
    struct sockaddr_storage from[NET_RECV_VEC];
};

/* Datagrams on their way out: copies of their bytes and destinations, in
 * the order they were sent, handed to sendmmsg() together. */
struct net_udp_txq {
    int hold;                   /* in a receive callback: keep until its end */
    int no_gso;                 /* the kernel refused a train: none again */
    int n;                      /* datagrams queued */
    size_t used;                /* bytes of buf in use */
    struct iovec iov[NET_TX_VEC];           /* the queue, in send order */
    struct sockaddr_storage to[NET_TX_VEC];
    /* One sendmmsg() message per train (txq_trains()). */
    struct mmsghdr mm[NET_TX_VEC];
    struct iovec out[NET_TX_VEC];           /* the queue in train order */
    const struct sockaddr_storage *out_to[NET_TX_VEC];
    union {                                 /* UDP_SEGMENT of each train */
        struct cmsghdr align;
        unsigned char bytes[CMSG_SPACE(sizeof(uint16_t))];
    } seg[NET_TX_VEC];
    unsigned char buf[NET_TX_BYTES];
};

static void txq_flush(struct net_udp *u);

/* ---- receiving ---- */

/* Up to NET_RECV_VEC datagrams in one recvmmsg(): returns how many, 0
 * when none was waiting, or -errno. Each slot gets a whole NET_MAX_DGRAM
 * buffer, so no datagram is ever cut. */
static int recv_vec(struct net_udp *u, int fd)
{
    struct net_udp_slot *sl = u->slots;
    int i, n;

    for (i = 0; i < NET_RECV_VEC; i++) {
        struct msghdr *mh = &sl->mm[i].msg_hdr;
        sl->iov[i].iov_base = u->buf + (size_t)i * NET_MAX_DGRAM;
        sl->iov[i].iov_len = NET_MAX_DGRAM;
        memset(mh, 0, sizeof *mh);
        mh->msg_name = &sl->from[i];
        mh->msg_namelen = sizeof sl->from[i];
        mh->msg_iov = &sl->iov[i];
        mh->msg_iovlen = 1;
    }
    do {
        n = recvmmsg(fd, sl->mm, NET_RECV_VEC, MSG_DONTWAIT, NULL);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
    return n;
}

/* Read until the socket is empty or the per-pass bound, NET_RECV_VEC
 * datagrams per system call: on a virtual machine a call costs more than
 * copying a datagram. A short batch means the queue was empty at that
 * moment, so no further call is made to hear EAGAIN. The callback may
 * send (on the send socket) but never reads, so one set of buffers
 * serves every socket. */
static void recv_batch(struct net_udp_rx *rx)
{
    struct net_udp *u = rx->u;
    int got = 0;

    while (got < NET_RECV_BATCH) {
        int i, n = recv_vec(u, rx->io.fd);
        if (n < 0)
            u->net.stats.rx_dropped++;
        if (n <= 0)
            return;
        for (i = 0; i < n; i++) {
            const struct mmsghdr *m = &u->slots->mm[i];
            if (m->msg_hdr.msg_flags & MSG_TRUNC) {
                u->net.stats.rx_dropped++;
                continue;
            }
            u->net.stats.rx++;
            u->net.recv(u->net.recv_ctx, rx->port, &u->slots->from[i],
                        u->slots->iov[i].iov_base, m->msg_len);
        }
        got += n;
        if (n < NET_RECV_VEC)
            return;
    }
}

static void rx_cb(struct ev *ev, struct ev_io *w, unsigned revents)
{
    struct net_udp_rx *rx = w->data;
    struct net_udp *u = rx->u;
    int i;

    (void)ev;
    (void)revents;
    /* What the callbacks send goes out together at the end (net_udp.h). */
    u->txq->hold = 1;
    /* Data that came before the token first (net_udp.h). */
    if (rx->port == NET_PORT_TOKEN)
        for (i = 0; i < u->n_rx; i++)
            if (u->rx[i].port == NET_PORT_DATA)
                recv_batch(&u->rx[i]);
    recv_batch(rx);
    u->txq->hold = 0;
    txq_flush(u);
}

/* ---- the send socket's errors ---- */

/* An ICMP port unreachable for what we sent (IPv4 type 3 code 3, IPv6
 * type 1 code 4). */
static int port_unreachable(const struct msghdr *mh)
{
    const struct cmsghdr *c;

    for (c = CMSG_FIRSTHDR((struct msghdr *)mh); c != NULL;
         c = CMSG_NXTHDR((struct msghdr *)mh, (struct cmsghdr *)c)) {
        const struct sock_extended_err *ee;
        if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
              (c->cmsg_level == IPPROTO_IPV6 &&
               c->cmsg_type == IPV6_RECVERR)))
            continue;
        ee = (const struct sock_extended_err *)CMSG_DATA(c);
        if (ee->ee_origin == SO_EE_ORIGIN_ICMP)
            return ee->ee_type == ICMP_DEST_UNREACH &&
                   ee->ee_code == ICMP_PORT_UNREACH;
        if (ee->ee_origin == SO_EE_ORIGIN_ICMP6)
            return ee->ee_type == ICMP6_DST_UNREACH &&
                   ee->ee_code == ICMP6_DST_UNREACH_NOPORT;
    }
    return 0;
}

/* Read the error queue (the destination of each failed datagram comes
 * back as msg_name), then anything that arrived on the ephemeral port:
 * nobody should send there, so it is dropped. */
static void send_cb(struct ev *ev, struct ev_io *w, unsigned revents)
{
    struct net_udp *u = w->data;
    int i;

    (void)ev;
    (void)revents;
    for (i = 0; i < NET_RECV_BATCH; i++) {
        struct sockaddr_storage to;
        union {
            char buf[512];
            struct cmsghdr align;
        } ctl;
        char one;
        struct iovec iov = { &one, 1 };
        struct msghdr mh;

        memset(&mh, 0, sizeof mh);
        memset(&to, 0, sizeof to);
        mh.msg_name = &to;
        mh.msg_namelen = sizeof to;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof ctl.buf;
        if (recvmsg(u->send_fd, &mh, MSG_ERRQUEUE) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (port_unreachable(&mh) && u->net.unreach) {
            u->net.stats.unreach++;
            u->net.unreach(u->net.recv_ctx, &to);
        }
    }
    for (i = 0; i < NET_RECV_BATCH; i++)
        if (recv(u->send_fd, u->buf, NET_MAX_DGRAM, 0) < 0 && errno != EINTR)
            break;
}

/* ---- sending ---- */

/* A train: datagrams of one destination and one size (the last may be
 * shorter) that the kernel takes as one buffer and cuts into those same
 * datagrams (UDP generic segmentation offload): one trip through the IP
 * stack, and on loopback one wake-up of the receiver, for them all. The
 * datagrams on the wire are the ones sendto() would have sent. */
static int same_dest(const struct sockaddr_storage *a,
                     const struct sockaddr_storage *b)
{
    return net_addr_equal(a, b) && net_addr_port(a) == net_addr_port(b);
}

static void txq_msg(struct net_udp_txq *q, int m, int first, int cnt)
{
    struct msghdr *h = &q->mm[m].msg_hdr;

    memset(h, 0, sizeof *h);
    h->msg_name = (void *)q->out_to[first];
    h->msg_namelen = net_addr_len(q->out_to[first]);
    h->msg_iov = &q->out[first];
    h->msg_iovlen = (size_t)cnt;
    if (cnt > 1) {
        struct cmsghdr *c = &q->seg[m].align;
        uint16_t size = (uint16_t)q->out[first].iov_len;
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof size);
        memcpy(CMSG_DATA(c), &size, sizeof size);
        h->msg_control = q->seg[m].bytes;
        h->msg_controllen = sizeof q->seg[m].bytes;
    }
}

/* Order the queue into trains, one message each; returns how many.
 * Datagrams to one host (any port) keep their order: the data packets
 * sent before a token stay before it. Datagrams to different hosts may
 * pass each other, as they may on any network. */
static int txq_trains(struct net_udp_txq *q)
{
    unsigned char taken[NET_TX_VEC];
    int i, j, k = 0, m = 0;

    memset(taken, 0, sizeof taken);
    for (i = 0; i < q->n; i++) {
        size_t seg = q->iov[i].iov_len, total = seg;
        int first = k, open = !q->no_gso && seg <= NET_GSO_SEG_MAX;

        if (taken[i])
            continue;
        q->out[k] = q->iov[i];
        q->out_to[k++] = &q->to[i];
        for (j = i + 1; j < q->n && open; j++) {
            size_t len = q->iov[j].iov_len;
            if (taken[j] || !net_addr_equal(&q->to[j], &q->to[i]))
                continue;
            if (!same_dest(&q->to[j], &q->to[i]) || len > seg ||
                k - first == NET_GSO_SEGS || total + len > NET_GSO_BYTES)
                break;          /* same host: nothing may pass it */
            taken[j] = 1;
            total += len;
            q->out[k] = q->iov[j];
            q->out_to[k++] = &q->to[j];
            open = len == seg;
        }
        txq_msg(q, m++, first, k - first);
    }
    return m;
}

/* The errors of a kernel or device without UDP segmentation offload
 * (or with an MTU too small for a train's datagrams). */
static int no_offload(int e)
{
    return e == EIO || e == EINVAL || e == ENOPROTOOPT || e == EOPNOTSUPP;
}

/* The kernel refused train `m` (no segmentation offload there): from it
 * on, one message per datagram, and no trains again. Returns the new
 * number of messages. */
static int txq_untrain(struct net_udp_txq *q, int m)
{
    int t, first = (int)(q->mm[m].msg_hdr.msg_iov - q->out);

    q->no_gso = 1;
    for (t = first; t < q->n; t++)
        txq_msg(q, m + t - first, t, 1);
    return m + q->n - first;
}

/* Errors that an ICMP message left on the socket (IP_RECVERR): the
 * next send reports them and fails, but they belong to an earlier
 * datagram, so the one refused is worth one more try. */
static int stale_error(int e)
{
    return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH ||
           e == EHOSTDOWN || e == EPROTO;
}

/* Send everything queued, in as few calls as the kernel allows. A
 * datagram (or train) the kernel refuses is counted and skipped, and the
 * ones after it still go. Returns 0 or the first error. */
static int txq_send(struct net_udp *u)
{
    struct net_udp_txq *q = u->txq;
    int off = 0, rc = 0, nm = txq_trains(q), retried = -1;

    while (off < nm) {
        int r = sendmmsg(u->send_fd, q->mm + off, (unsigned)(nm - off), 0);
        size_t cnt = q->mm[off].msg_hdr.msg_iovlen;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && cnt > 1 && no_offload(errno)) {
            nm = txq_untrain(q, off);
            continue;
        }
        if (r < 0 && stale_error(errno) && retried != off) {
            retried = off;
            continue;
        }
        if (r < 0) {
            if (rc == 0)
                rc = -errno;
            u->net.stats.tx_failed += cnt;
            r = 1;
        } else {
            int i;
            for (i = off; i < off + r; i++) {
                u->net.stats.tx += q->mm[i].msg_hdr.msg_iovlen;
                u->tx_trains += q->mm[i].msg_hdr.msg_iovlen > 1;
            }
        }
        off += r;
    }
    q->n = 0;
    q->used = 0;
    return rc;
}

/* Errors of held datagrams are only counted: their senders were told 0
 * (net.h: a datagram the network refused is a loss for the ring). */
static void txq_flush(struct net_udp *u)
{
    if (u->txq != NULL && u->txq->n > 0)
        (void)txq_send(u);
}

/* Queue len bytes for each of the n addresses (one copy of the bytes),
 * and send now unless held. */
static int txq_add(struct net_udp *u, const struct sockaddr_storage *to,
                   int n, const void *buf, size_t len)
{
    struct net_udp_txq *q = u->txq;
    unsigned char *copy;
    int i;

    if (q->n + n > NET_TX_VEC || q->used + len > NET_TX_BYTES)
        txq_flush(u);
    copy = q->buf + q->used;
    memcpy(copy, buf, len);
    q->used += len;
    for (i = 0; i < n; i++) {
        q->to[q->n] = to[i];
        q->iov[q->n].iov_base = copy;
        q->iov[q->n].iov_len = len;
        q->n++;
    }
    return q->hold ? 0 : txq_send(u);
}

static int udp_send(struct net *n, const struct sockaddr_storage *to,
                    const void *buf, size_t len)
{
    struct net_udp *u = (struct net_udp *)n;

    if (net_addr_len(to) == 0 || to->ss_family != u->family) {
        n->stats.tx_failed++;
        return -EAFNOSUPPORT;
    }
    if (len > NET_TX_BYTES) {
        n->stats.tx_failed++;
        return -EMSGSIZE;
    }
    return txq_add(u, to, 1, buf, len);
}

/* The copies of a segment broadcast share one buffer and, unless held,
 * leave in one call. */
static int udp_send_segment(struct net *n, const void *buf, size_t len)
{
    struct net_udp *u = (struct net_udp *)n;
    int i, rc = 0;

    if (len > NET_TX_BYTES) {
        n->stats.tx_failed += (uint64_t)u->n_dst;
        return u->n_dst > 0 ? -EMSGSIZE : 0;
    }
    for (i = 0; i < u->n_dst; i += NET_TX_VEC) {
        int k = u->n_dst - i < NET_TX_VEC ? u->n_dst - i : NET_TX_VEC;
        int r = txq_add(u, &u->dst[i], k, buf, len);
        if (r < 0 && rc == 0)
            rc = r;
    }
    return rc;
}

static void udp_close(struct net *n)
{
    struct net_udp *u = (struct net_udp *)n;
    int i;

    for (i = 0; i < u->n_rx; i++) {
        ev_io_stop(u->ev, &u->rx[i].io);
        close(u->rx[i].io.fd);
    }
    u->n_rx = 0;
    txq_flush(u);
    if (u->send_watched)
        ev_io_stop(u->ev, &u->send_io);
    u->send_watched = 0;
    if (u->send_fd >= 0)
        close(u->send_fd);
    u->send_fd = -1;
    free(u->buf);
    u->buf = NULL;
    free(u->slots);
    u->slots = NULL;
    free(u->txq);
    u->txq = NULL;
}

static const struct net_ops udp_ops = { udp_send, udp_send_segment, udp_close };

/* ---- opening ---- */

static void set_bufs(int fd, int bytes)
{
    /* Best effort: the kernel caps the size at its maximum. */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

/* A non-blocking datagram socket bound to addr:port. */
static int bound_socket(const struct net_udp *u,
                        const struct sockaddr_storage *addr, uint16_t port,
                        int reuse, int *fdp, char *err, size_t errlen)
{
    int family = u->family;
    struct sockaddr_storage a = *addr;
    int one = 1, fd, e;

    fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(err, errlen, "UDP socket for", addr, errno);
    net_addr_set_port(&a, port);
    if ((family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) ||
        (reuse &&
         setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ||
        bind(fd, (const struct sockaddr *)&a, net_addr_len(&a)) < 0) {
        e = errno;
        close(fd);
        return fail(err, errlen, "bind", &a, e);
    }
    set_bufs(fd, u->sockbuf);
    *fdp = fd;
    return 0;
}

/* The index of the interface that holds an IPv6 addr (multicast needs
 * it): its scope for a link-local address, else looked up; 0 when none is
 * found (the kernel then picks by route). */
static unsigned ifindex_of(const struct sockaddr_storage *addr)
{
    const struct sockaddr_in6 *self = (const void *)addr;
    struct ifaddrs *all, *i;
    unsigned idx = 0;

    if (self->sin6_scope_id != 0)
        return self->sin6_scope_id;
    if (getifaddrs(&all) < 0)
        return 0;
    for (i = all; i != NULL && idx == 0; i = i->ifa_next) {
        const struct sockaddr_in6 *a = (const void *)i->ifa_addr;
        if (a != NULL && a->sin6_family == AF_INET6 &&
            memcmp(&a->sin6_addr, &self->sin6_addr, 16) == 0)
            idx = if_nametoindex(i->ifa_name);
    }
    freeifaddrs(all);
    return idx;
}

static int join_group(int fd, const struct sockaddr_storage *group,
                      const struct sockaddr_storage *self, unsigned ifindex)
{
    if (group->ss_family == AF_INET) {
        struct ip_mreqn m;
        memset(&m, 0, sizeof m);
        m.imr_multiaddr = ((const struct sockaddr_in *)(const void *)group)->sin_addr;
        m.imr_address = ((const struct sockaddr_in *)(const void *)self)->sin_addr;
        return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
    } else {
        struct ipv6_mreq m;
        memset(&m, 0, sizeof m);
        m.ipv6mr_multiaddr = ((const struct sockaddr_in6 *)(const void *)group)->sin6_addr;
        m.ipv6mr_interface = ifindex;
        return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m);
    }
}

static int add_rx(struct net_udp *u, int fd, enum net_port port)
{
    struct net_udp_rx *rx = &u->rx[u->n_rx];
    int rc;

    rx->u = u;
    rx->port = port;
    ev_io_init(&rx->io, fd, rx_cb, rx);
    ev_io_set_priority(&rx->io, EV_PRIO_HIGH);
    rc = ev_io_set(u->ev, &rx->io, EV_READ);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    u->n_rx++;
    return 0;
}

/* One receive socket per segment address (broadcast/multicast mode). */
static int open_segment_rx(struct net_udp *u, const struct net_udp_cfg *cfg,
                           unsigned ifindex, char *err, size_t errlen)
{
    int i, fd, rc;

    for (i = 0; i < cfg->n_seg_addrs; i++) {
        struct sockaddr_storage g = cfg->seg_addrs[i];
        struct sockaddr_in6 *g6 = (void *)&g;
        int mc = net_addr_is_multicast(&g);

        if (g.ss_family == AF_INET6 && !mc)
            return fail(err, errlen, "IPv6 segment address is not multicast",
                        &g, EINVAL);
        if (g.ss_family == AF_INET6 && g6->sin6_scope_id == 0 &&
            IN6_IS_ADDR_MC_LINKLOCAL(&g6->sin6_addr))
            g6->sin6_scope_id = ifindex;
        rc = bound_socket(u, &g, cfg->port, 1, &fd, err, errlen);
        if (rc < 0)
            return rc;
        if (mc && join_group(fd, &g, &cfg->self, ifindex) < 0) {
            int e = errno;
            close(fd);
            if (cfg->ignore_join_errors)
                continue;
            return fail(err, errlen, "join multicast group", &g, e);
        }
        rc = add_rx(u, fd, NET_PORT_DATA);
        if (rc < 0)
            return fail(err, errlen, "watch", &g, -rc);
    }
    return 0;
}

/* Multicast leaves through self's interface, one hop, and loops back to
 * the daemons of this host. */
static int multicast_out(struct net_udp *u, const struct net_udp_cfg *cfg,
                         unsigned ifindex)
{
    int fd = u->send_fd, one = 1;

    if (u->family == AF_INET) {
        struct ip_mreqn m;
        memset(&m, 0, sizeof m);
        m.imr_address = ((const struct sockaddr_in *)(const void *)&cfg->self)->sin_addr;
        if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &one, sizeof one) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof one) < 0)
            return -1;
        return 0;
    }
    if ((ifindex != 0 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
                    sizeof ifindex) < 0) ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &one, sizeof one) < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one, sizeof one) < 0)
        return -1;
    return 0;
}

/* The send socket: self, an ephemeral port, broadcast and multicast. */
static int open_send(struct net_udp *u, const struct net_udp_cfg *cfg,
                     unsigned ifindex, char *err, size_t errlen)
{
    socklen_t sl = sizeof u->bound;
    int one = 1, i, rc;

    rc = bound_socket(u, &cfg->self, 0, 0, &u->send_fd, err, errlen);
    if (rc < 0)
        return rc;
    if (getsockname(u->send_fd, (struct sockaddr *)&u->bound, &sl) < 0)
        return fail(err, errlen, "getsockname", &cfg->self, errno);
    if (u->family == AF_INET &&
        setsockopt(u->send_fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0)
        return fail(err, errlen, "SO_BROADCAST on", &u->bound, errno);
    if (u->family == AF_INET
            ? setsockopt(u->send_fd, IPPROTO_IP, IP_RECVERR, &one,
                         sizeof one)
            : setsockopt(u->send_fd, IPPROTO_IPV6, IPV6_RECVERR, &one,
                         sizeof one))
        return fail(err, errlen, "RECVERR on", &u->bound, errno);
    ev_io_init(&u->send_io, u->send_fd, send_cb, u);
    ev_io_set_priority(&u->send_io, EV_PRIO_HIGH);
    rc = ev_io_set(u->ev, &u->send_io, EV_READ);
    if (rc < 0)
        return fail(err, errlen, "watch", &u->bound, -rc);
    u->send_watched = 1;
    for (i = 0; i < cfg->n_seg_addrs && !cfg->unicast_segment; i++)
        if (net_addr_is_multicast(&cfg->seg_addrs[i])) {
            if (multicast_out(u, cfg, ifindex) < 0)
                return fail(err, errlen, "multicast options on", &u->bound,
                            errno);
            break;
        }
    return 0;
}

static int check_cfg(const struct net_udp_cfg *cfg, char *err, size_t errlen)
{
    int fam = cfg->self.ss_family, i;

    if (fam != AF_INET && fam != AF_INET6)
        return fail(err, errlen, "own address", NULL, EAFNOSUPPORT);
    if (cfg->port == 0 || cfg->port == 65535)
        return fail(err, errlen, "segment port", &cfg->self, EINVAL);
    if (cfg->n_seg_addrs < 0 || cfg->n_seg_addrs > NET_MAX_SEG_ADDRS ||
        cfg->n_peers < 0 || cfg->n_peers > NET_MAX_PEERS)
        return fail(err, errlen, "segment size", &cfg->self, EINVAL);
    for (i = 0; i < cfg->n_seg_addrs; i++)
        if (cfg->seg_addrs[i].ss_family != fam)
            return fail(err, errlen, "segment address family",
                        &cfg->seg_addrs[i], EAFNOSUPPORT);
    for (i = 0; i < cfg->n_peers; i++)
        if (cfg->peers[i].ss_family != fam)
            return fail(err, errlen, "daemon address family",
                        &cfg->peers[i], EAFNOSUPPORT);
    return 0;
}

static void set_destinations(struct net_udp *u, const struct net_udp_cfg *cfg)
{
    int i;

    u->n_dst = 0;
    if (cfg->unicast_segment) {
        for (i = 0; i < cfg->n_peers; i++)
            if (!net_addr_equal(&cfg->peers[i], &cfg->self))
                u->dst[u->n_dst++] = cfg->peers[i];
    } else {
        for (i = 0; i < cfg->n_seg_addrs; i++)
            u->dst[u->n_dst++] = cfg->seg_addrs[i];
    }
    for (i = 0; i < u->n_dst; i++)
        net_addr_set_port(&u->dst[i], cfg->port);
}

static int open_all(struct net_udp *u, const struct net_udp_cfg *cfg,
                    char *err, size_t errlen)
{
    unsigned ifindex = u->family == AF_INET6 ? ifindex_of(&cfg->self) : 0;
    int fd, rc, k;

    u->buf = malloc((size_t)NET_RECV_VEC * NET_MAX_DGRAM);
    u->slots = malloc(sizeof *u->slots);
    u->txq = calloc(1, sizeof *u->txq);
    if (u->buf == NULL || u->slots == NULL || u->txq == NULL)
        return fail(err, errlen, "receive buffer", NULL, ENOMEM);
    for (k = 0; k < 2; k++) {
        rc = bound_socket(u, &cfg->self, (uint16_t)(cfg->port + k), 0, &fd,
                          err, errlen);
        if (rc < 0)
            return rc;
        rc = add_rx(u, fd, k == 0 ? NET_PORT_DATA : NET_PORT_TOKEN);
        if (rc < 0)
            return fail(err, errlen, "watch", &cfg->self, -rc);
    }
    if (!cfg->unicast_segment) {
        rc = open_segment_rx(u, cfg, ifindex, err, errlen);
        if (rc < 0)
            return rc;
    }
    rc = open_send(u, cfg, ifindex, err, errlen);
    if (rc < 0)
        return rc;
    set_destinations(u, cfg);
    return 0;
}

void net_udp_cfg_from_conf(struct net_udp_cfg *cfg, const struct conf *c,
                           int self)
{
    const struct conf_daemon *me = &c->daemons[self];
    const struct conf_segment *seg = &c->segments[me->segment];
    int i;

    memset(cfg, 0, sizeof *cfg);
    net_addr_from_conf(&cfg->self, &me->addr, 0);
    cfg->port = seg->port;
    cfg->unicast_segment = seg->unicast;
    cfg->ignore_join_errors = c->ignore_multicast_join_errors;
    if (seg->n_daemons < 2)
        return;
    if (seg->unicast) {
        for (i = 0; i < seg->n_daemons && i < NET_MAX_PEERS; i++)
            net_addr_from_conf(&cfg->peers[cfg->n_peers++],
                               &c->daemons[seg->first_daemon + i].addr, 0);
    } else {
        for (i = 0; i < seg->n_addrs && i < NET_MAX_SEG_ADDRS; i++)
            net_addr_from_conf(&cfg->seg_addrs[cfg->n_seg_addrs++],
                               &seg->addrs[i], 0);
    }
}

int net_udp_open(struct net_udp *u, struct ev *ev,
                 const struct net_udp_cfg *cfg, net_recv_fn recv, void *ctx,
                 char *err, size_t errlen)
{
    int rc;

    memset(u, 0, sizeof *u);
    u->net.ops = &udp_ops;
    u->net.recv = recv;
    u->net.recv_ctx = ctx;
    u->ev = ev;
    u->send_fd = -1;
    rc = check_cfg(cfg, err, errlen);
    if (rc < 0)
        return rc;
    u->sockbuf = cfg->sockbuf > 0 ? cfg->sockbuf : NET_SOCKBUF;
    u->family = cfg->self.ss_family;
    rc = open_all(u, cfg, err, errlen);
    if (rc < 0)
        udp_close(&u->net);
    return rc;
}
