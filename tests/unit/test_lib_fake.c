/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_lib_fake: see test_lib_fake.h.
 */
#include "config.h"

#include "test_lib_fake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal/wire.h"

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, long long deadline)
{
    struct pollfd p;

    for (;;) {
        long long left = deadline - now_ms();
        int rc;
        if (left < 0)
            left = 0;
        p.fd = fd;
        p.events = events;
        p.revents = 0;
        rc = poll(&p, 1, (int)left);
        if (rc > 0)
            return 0;
        if (rc == 0 || errno != EINTR)
            return -1;
    }
}

int fake_listen(struct fake_daemon *d)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    int on = 1;

    d->lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (d->lfd < 0)
        return -1;
    setsockopt(d->lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = 0;
    if (bind(d->lfd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        listen(d->lfd, 16) < 0 ||
        getsockname(d->lfd, (struct sockaddr *)&sin, &len) < 0) {
        close(d->lfd);
        d->lfd = -1;
        return -1;
    }
    d->port = ntohs(sin.sin_port);
    snprintf(d->spread_name, sizeof d->spread_name, "%d@127.0.0.1",
             d->port);
    return 0;
}

void fake_close(struct fake_daemon *d)
{
    if (d->lfd >= 0)
        close(d->lfd);
    d->lfd = -1;
}

int fake_accept(struct fake_daemon *d, int timeout_ms)
{
    if (wait_fd(d->lfd, POLLIN, now_ms() + timeout_ms) < 0)
        return -1;
    return accept(d->lfd, NULL, NULL);
}

int fake_read(int fd, void *buf, size_t len, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    char *p = buf;

    while (len > 0) {
        ssize_t n;
        if (wait_fd(fd, POLLIN, deadline) < 0)
            return -1;
        n = recv(fd, p, len, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return errno == ECONNRESET ? -2 : -1;
        }
        if (n == 0)
            return -2;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fake_write(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fake_expect_eof(int fd, int timeout_ms)
{
    char c;
    ssize_t n;

    if (wait_fd(fd, POLLIN, now_ms() + timeout_ms) < 0)
        return -1;
    n = recv(fd, &c, 1, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET))
        return 1;
    return n > 0 ? 0 : -1;
}

static void *connect_main(void *arg)
{
    struct fake_connect *c = arg;

    if (c->use_timeout)
        c->rc = SP_connect_timeout(c->spread_name, c->private_name,
                                   c->priority, c->membership, &c->mbox,
                                   c->group, c->timeout);
    else
        c->rc = SP_connect(c->spread_name, c->private_name, c->priority,
                           c->membership, &c->mbox, c->group);
    return NULL;
}

int fake_connect_start(struct fake_connect *c)
{
    c->rc = 0;
    c->mbox = -1;
    memset(c->group, 0, sizeof c->group);
    return pthread_create(&c->th, NULL, connect_main, c) == 0 ? 0 : -1;
}

int fake_connect_join(struct fake_connect *c)
{
    pthread_join(c->th, NULL);
    return c->rc;
}

int fake_session(struct fake_daemon *d, const char *private_name,
                 int membership, mailbox *mbox, char group[MAX_GROUP_NAME])
{
    static const unsigned char list[] = { 5, 'N', 'U', 'L', 'L', ' ' };
    struct fake_connect c;
    unsigned char buf[128];
    size_t n = strlen(private_name);
    int fd, len;

    memset(&c, 0, sizeof c);
    c.spread_name = d->spread_name;
    c.private_name = private_name;
    c.membership = membership;
    if (fake_connect_start(&c) < 0)
        return -1;
    fd = fake_accept(d, FAKE_TIMEOUT_MS);
    if (fd < 0 || fake_read(fd, buf, 5 + n, FAKE_TIMEOUT_MS) < 0 ||
        fake_write(fd, list, sizeof list) < 0 ||
        fake_read(fd, buf, SPW_AUTH_CHOICE_LEN, FAKE_TIMEOUT_MS) < 0)
        goto fail;
    len = snprintf((char *)buf + 5, sizeof buf - 5, "#%s#localhost",
                   private_name);
    buf[0] = 1;
    buf[1] = 5;
    buf[2] = 0;
    buf[3] = 1;
    buf[4] = (unsigned char)len;
    if (fake_write(fd, buf, 5 + (size_t)len) < 0)
        goto fail;
    if (fake_connect_join(&c) != ACCEPT_SESSION) {
        close(fd);
        return -1;
    }
    *mbox = c.mbox;
    memcpy(group, c.group, MAX_GROUP_NAME);
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    fake_connect_join(&c);
    return -1;
}

static uint32_t order(uint32_t v, int foreign)
{
    return foreign ? spw_swap32(v) : v;
}

size_t fake_frame(unsigned char *out, uint32_t type, const char *sender,
                  int ngroups, const char (*groups)[MAX_GROUP_NAME],
                  int16_t mess_type, const void *body, int32_t len,
                  int foreign)
{
    uint32_t mark = foreign ? (spw_native_mark() ^ (uint32_t)ENDIAN_RESERVED)
                            : spw_native_mark();
    uint32_t hint = (((uint32_t)(uint16_t)mess_type << 8) & 0x00ffff00u);
    size_t off = SPW_HEADER_LEN;

    memset(out, 0, SPW_HEADER_LEN);
    spw_put32(out + SPW_OFF_TYPE,
              order((type & ~(uint32_t)ENDIAN_RESERVED) | mark, foreign));
    strncpy((char *)out + SPW_OFF_SENDER, sender, MAX_GROUP_NAME);
    spw_put32(out + SPW_OFF_NUM_GROUPS, order((uint32_t)ngroups, foreign));
    spw_put32(out + SPW_OFF_HINT, order(hint | mark, foreign));
    spw_put32(out + SPW_OFF_DATA_LEN, order((uint32_t)len, foreign));
    if (ngroups > 0) {
        memcpy(out + off, groups, (size_t)ngroups * MAX_GROUP_NAME);
        off += (size_t)ngroups * MAX_GROUP_NAME;
    }
    if (len > 0) {
        memcpy(out + off, body, (size_t)len);
        off += (size_t)len;
    }
    return off;
}

/* ---- disconnect -------------------------------------------------------- */

static void *disconnect_main(void *arg)
{
    struct fake_disconnect *d = arg;
    struct timespec a, b;

    clock_gettime(CLOCK_MONOTONIC, &a);
    d->rc = SP_disconnect(d->mbox);
    clock_gettime(CLOCK_MONOTONIC, &b);
    d->elapsed_ms = (long)(b.tv_sec - a.tv_sec) * 1000 +
                    (b.tv_nsec - a.tv_nsec) / 1000000;
    return NULL;
}

int fake_disconnect_start(struct fake_disconnect *d, mailbox mbox)
{
    memset(d, 0, sizeof *d);
    d->mbox = mbox;
    return pthread_create(&d->th, NULL, disconnect_main, d) == 0 ? 0 : -1;
}

int fake_disconnect_join(struct fake_disconnect *d)
{
    pthread_join(d->th, NULL);
    return d->rc;
}

int fake_answer_disconnect(int fd, const char group[MAX_GROUP_NAME], int ack,
                           unsigned char kill[80])
{
    unsigned char buf[SPW_HEADER_LEN + MAX_GROUP_NAME];
    struct spw_header h;

    if (fake_read(fd, buf, sizeof buf, FAKE_TIMEOUT_MS) != 0)
        return -1;
    if (kill != NULL)
        memcpy(kill, buf, sizeof buf);
    spw_header_decode(buf, &h);
    if ((h.type & ~(uint32_t)ENDIAN_RESERVED) !=
        (SPW_KILL_MESS | SPW_KILL_WANTS_ACK))
        return -1;
    if (ack) {
        unsigned char out[SPW_HEADER_LEN];
        size_t n = fake_frame(out, SPW_KILL_MESS | SPW_KILL_ACK, group, 0,
                              NULL, 0, NULL, 0, 0);
        if (fake_write(fd, out, n) != 0)
            return -1;
    }
    shutdown(fd, SHUT_WR);
    return 0;
}
