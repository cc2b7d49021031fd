/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * io: every byte libspread moves goes through here. Sessions use blocking
 * sockets and whole-frame helpers (one writev per outgoing message, one
 * readv per incoming group list + body, straight into the caller's
 * buffers). The handshake runs non-blocking against a deadline so that
 * SP_connect_timeout can give up.
 *
 * SIGPIPE: the library never changes the process's signal dispositions;
 * all its sends use MSG_NOSIGNAL instead, so a dead daemon shows up as
 * CONNECTION_CLOSED rather than a signal. (Upstream sets SIGPIPE to
 * "ignore" process-wide on first use; programs that relied on that side
 * effect for their own pipes must ignore SIGPIPE themselves.)
 */
#include "config.h"

#include "lib.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#define DISCARD_CHUNK 4096

/* ---- time --------------------------------------------------------- */

/* Timeouts beyond this many seconds (about 30,000 years) are treated as
 * that long: adding them to the clock would overflow. */
#define SPL_MAX_TIMEOUT_SEC (1L << 40)

void spl_deadline_after(struct timespec *out, long sec, long usec)
{
    if (sec > SPL_MAX_TIMEOUT_SEC)
        sec = SPL_MAX_TIMEOUT_SEC;
    clock_gettime(CLOCK_MONOTONIC, out);
    out->tv_sec += sec + usec / 1000000;
    out->tv_nsec += (usec % 1000000) * 1000;
    if (out->tv_nsec >= 1000000000L) {
        out->tv_sec++;
        out->tv_nsec -= 1000000000L;
    } else if (out->tv_nsec < 0) {
        out->tv_sec--;
        out->tv_nsec += 1000000000L;
    }
}

int spl_ms_until(const struct timespec *deadline)
{
    struct timespec now;
    long long ms;

    if (deadline == NULL)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
         (deadline->tv_nsec - now.tv_nsec + 999999) / 1000000;
    if (ms <= 0)
        return 0;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* ---- blocking session I/O ----------------------------------------- */

static int wait_for(int fd, short events, const struct timespec *deadline);

/* A failed call that may be retried: interrupted, or the application put
 * the mailbox in non-blocking mode (then wait until it is ready). */
static int retry_after(int fd, short events)
{
    if (errno == EINTR)
        return 1;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return wait_for(fd, events, NULL) == 0;
    return 0;
}

int spl_io_sendv(int fd, struct iovec *iov, int iovcnt)
{
    struct msghdr mh;

    while (iovcnt > 0 && iov->iov_len == 0) {
        iov++;
        iovcnt--;
    }
    while (iovcnt > 0) {
        ssize_t n;

        memset(&mh, 0, sizeof mh);
        mh.msg_iov = iov;
        mh.msg_iovlen = (size_t)(iovcnt > IOV_MAX ? IOV_MAX : iovcnt);
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        if (n < 0) {
            if (retry_after(fd, POLLOUT))
                continue;
            return -1;
        }
        /* Skip what went out; zero-length entries are skipped too. */
        while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            iov->iov_base = (char *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
    return 0;
}

int spl_io_recv(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = recv(fd, p, len, MSG_WAITALL);
        if (n < 0) {
            if (retry_after(fd, POLLIN))
                continue;
            return -1;
        }
        if (n == 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Fill iov from segment position (*i, off), mapping discarded pieces to
 * scratch. A discard piece longer than the scratch buffer ends the
 * vector, since later pieces cannot be placed before it is consumed. */
static int build_iov(struct iovec *iov, const struct spl_seg *segs,
                     int nsegs, int i, size_t off, char *scratch)
{
    int n = 0;

    for (; i < nsegs; i++, off = 0) {
        size_t left = segs[i].len - off;
        if (left == 0)
            continue;
        if (segs[i].buf != NULL) {
            iov[n].iov_base = (char *)segs[i].buf + off;
            iov[n].iov_len = left;
            n++;
            continue;
        }
        iov[n].iov_base = scratch;
        iov[n].iov_len = left < DISCARD_CHUNK ? left : DISCARD_CHUNK;
        n++;
        if (left > DISCARD_CHUNK)
            break;
    }
    return n;
}

int spl_io_recv_segs(int fd, const struct spl_seg *segs, int nsegs)
{
    struct iovec iov[SPL_MAX_SEGS];
    char scratch[DISCARD_CHUNK];
    int i = 0;
    size_t off = 0;

    if (nsegs > SPL_MAX_SEGS)
        return -1;
    for (;;) {
        int cnt;
        ssize_t n;

        while (i < nsegs && off == segs[i].len) {
            i++;
            off = 0;
        }
        if (i == nsegs)
            return 0;
        cnt = build_iov(iov, segs, nsegs, i, off, scratch);
        n = readv(fd, iov, cnt);
        if (n < 0) {
            if (retry_after(fd, POLLIN))
                continue;
            return -1;
        }
        if (n == 0)
            return -1;
        while (n > 0) {
            size_t left = segs[i].len - off;
            if ((size_t)n < left) {
                off += (size_t)n;
                n = 0;
            } else {
                n -= (ssize_t)left;
                i++;
                off = 0;
            }
        }
    }
}

/* ---- deadline-bounded handshake I/O -------------------------------- */

static int wait_for(int fd, short events, const struct timespec *deadline)
{
    struct pollfd pfd;

    for (;;) {
        int ms = spl_ms_until(deadline), rc;
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        rc = poll(&pfd, 1, ms);
        if (rc > 0)
            return 0;
        if (rc == 0)
            return -1;
        if (errno != EINTR)
            return -1;
    }
}

int spl_io_wait_writable(int fd, const struct timespec *deadline)
{
    return wait_for(fd, POLLOUT, deadline);
}

long spl_io_recv_by(int fd, void *buf, size_t len,
                    const struct timespec *deadline)
{
    char *p = buf;
    size_t got = 0;

    while (got < len) {
        ssize_t n = recv(fd, p + got, len - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* A reset right after a one-byte reject must still report
             * the byte, so an error after partial data ends the read. */
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return got > 0 ? (long)got : -1;
            if (wait_for(fd, POLLIN, deadline) < 0)
                return got > 0 ? (long)got : -1;
            continue;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (long)got;
}

/* ---- deadline-bounded I/O (handshake sends, disconnect) ------------ */

/* These use MSG_DONTWAIT per call instead of changing the descriptor's
 * mode: other threads may be blocked on the same socket, and the
 * application may have chosen its mode itself. (The handshake's socket is
 * non-blocking anyway.) */

int spl_io_send_dl(int fd, const void *buf, size_t len,
                   const struct timespec *deadline)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n;

        /* Checked on every turn, not only when the socket would block: a
         * peer that keeps it ready must not stretch the deadline. */
        if (spl_ms_until(deadline) == 0)
            return SPL_IO_TIMEOUT;
        n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return SPL_IO_ENDED;
            if (wait_for(fd, POLLOUT, deadline) < 0)
                return SPL_IO_TIMEOUT;
            continue;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int spl_io_recv_dl(int fd, void *buf, size_t len,
                   const struct timespec *deadline)
{
    char scratch[DISCARD_CHUNK];
    char *p = buf;

    while (len > 0) {
        size_t want = len;
        ssize_t n;

        if (spl_ms_until(deadline) == 0)
            return SPL_IO_TIMEOUT;   /* see spl_io_send_dl */
        if (buf == NULL && want > sizeof scratch)
            want = sizeof scratch;
        n = recv(fd, buf != NULL ? p : scratch, want, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return SPL_IO_ENDED;
            if (wait_for(fd, POLLIN, deadline) < 0)
                return SPL_IO_TIMEOUT;
            continue;
        }
        if (n == 0)
            return SPL_IO_ENDED;
        if (buf != NULL)
            p += n;
        len -= (size_t)n;
    }
    return 0;
}
