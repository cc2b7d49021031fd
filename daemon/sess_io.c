/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * sess_io: framed input of open sessions. Bytes are read in large chunks
 * into the daemon's shared scratch buffer, every complete frame is handled
 * straight from there, and only an incomplete tail is kept in the
 * session's own buffer until the next read. Idle sessions therefore hold no
 * input memory, and a burst of small messages costs one read for many
 * frames.
 *
 * Each frame is validated as soon as its 48-byte header is in (before its
 * groups and body are waited for): the client checks of wire.h, then the
 * sender check. Any failure drops only this session, with a logged reason.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "internal/wire.h"
#include "groups.h"
#include "log.h"
#include "order.h"
#include "frame.h"
#include "sess_int.h"

#define IO_BUDGET (1024u * 1024u)   /* bytes per wake-up, for fairness */
#define IO_FRAMES_PER_PASS 64       /* frames per session per loop pass */
#define IO_READ_CHUNK (64u * 1024u) /* bytes per read beyond a pending frame */

static void submit(struct sess *s, struct order_req *r)
{
    r->origin = s->ss->my_index;
    memcpy(r->sender, s->pgroup, MAX_GROUP_NAME);
    if (order_submit(s->ss->order, r) < 0)
        sess_drop(s, ORDER_F_ABRUPT, 1, "out of memory queueing its request");
}

static void handle_data(struct sess *s, const struct frame *f)
{
    struct order_req r;
    struct msg *m = msg_new(f->len);

    if (m == NULL) {
        sess_drop(s, ORDER_F_ABRUPT, 1, "out of memory for a %zu-byte message",
                  f->len);
        return;
    }
    /* Built once, as every receiver gets it. A client's REJECT bit is
     * cleared there (upstream echoed it to the sender as a malformed
     * reject notice, vector 24). */
    frame_for_delivery(f, m->data);
    memset(&r, 0, sizeof r);
    r.kind = ORDER_DATA;
    r.cls = order_class_of(f->h.type);
    r.msg = m;
    submit(s, &r);
}

static void handle_group_req(struct sess *s, const struct frame *f,
                             enum order_kind kind)
{
    struct order_req r;

    if (f->h.num_groups < 1) {
        log_msg(s->ss->log, LOG_C_SESSION, LOG_DEBUG,
                "session %u: %s without a group name ignored", s->id,
                kind == ORDER_JOIN ? "join" : "leave");
        return;
    }
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.cls = ORDER_AGREED;
    groups_name_key(r.group, (const char *)f->bytes + SPW_HEADER_LEN);
    log_msg(s->ss->log, LOG_C_SESSION, LOG_DEBUG, "session %u: %s %s",
            s->id, kind == ORDER_JOIN ? "join" : "leave", r.group);
    submit(s, &r);
}

static void handle_frame(struct sess *s, const struct frame *f)
{
    s->n_in++;
    if (f->h.type & REGULAR_MESS)
        handle_data(s, f);
    else if (f->h.type & SPW_JOIN_MESS)
        handle_group_req(s, f, ORDER_JOIN);
    else if (f->h.type & SPW_LEAVE_MESS)
        handle_group_req(s, f, ORDER_LEAVE);
    else
        sess_drop(s, 0, 0, "disconnect requested");
}

/* Handle the complete frames of buf, at most IO_FRAMES_PER_PASS; returns
 * the bytes consumed and sets *limited when frames were left over. */
static size_t parse_frames(struct sess *s, const unsigned char *buf,
                           size_t len, int *limited)
{
    size_t off = 0;
    int frames = 0;

    *limited = 0;
    while (s->state == SESS_OPEN) {
        struct frame f;
        char why[128];
        int st = frame_next(buf + off, len - off, s->pgroup, &f, why, sizeof why);

        if (st == FRAME_INVALID) {
            sess_drop(s, ORDER_F_ABRUPT, 1, "%s", why);
            return len;
        }
        if (st == FRAME_PARTIAL)
            break;
        if (frames++ == IO_FRAMES_PER_PASS) {
            *limited = 1;
            break;
        }
        handle_frame(s, &f);
        off += f.len;
    }
    return off;
}

/* Keep an incomplete tail for the next read. */
static void keep_tail(struct sess *s, const unsigned char *tail, size_t n)
{
    if (n == 0 || s->state != SESS_OPEN) {
        s->rlen = 0;
        sess_rbuf_consume(s, 0);
        return;
    }
    if (sess_rbuf_reserve(s, n) < 0) {
        sess_drop(s, ORDER_F_ABRUPT, 1, "out of memory for its input");
        return;
    }
    memmove(s->rbuf, tail, n);
    s->rlen = n;
}

void sess_io_start(struct sess *s, int more)
{
    if (more || s->rlen > 0)
        sess_io_readable(s);
    else
        sess_rbuf_consume(s, 0);
}

/* Not now: paused, or frames left for the next pass. */
static int io_later(struct sess *s, int limited)
{
    struct sessions *ss = s->ss;

    if (s->paused_until > ev_now(ss->ev)) {
        if (!ev_timer_active(&s->timer))
            ev_timer_start(ss->ev, &s->timer, s->paused_until - ev_now(ss->ev));
        return 1;
    }
    if (limited) {
        ev_io_feed(ss->ev, &s->io, EV_READ);
        return 1;
    }
    return 0;
}

/* How much to read on top of `have` pending bytes: 64 KiB, or what the
 * pending frame still needs. Bounded so that a paused sender keeps at
 * most about that much input while it waits. */
static size_t read_room(const struct sessions *ss, size_t have)
{
    size_t want = IO_READ_CHUNK;

    if (have >= SPW_HEADER_LEN) {
        struct spw_header h;
        size_t need;
        spw_header_decode(ss->scratch, &h);   /* already validated */
        need = SPW_HEADER_LEN + (size_t)MAX_GROUP_NAME * (size_t)h.num_groups +
               (size_t)h.data_len;
        if (need > have + want)
            want = need - have;
    }
    if (want > ss->scratch_cap - have)
        want = ss->scratch_cap - have;
    return want;
}

void sess_io_readable(struct sess *s)
{
    struct sessions *ss = s->ss;
    size_t budget = IO_BUDGET;
    int limited = 0;

    while (s->state == SESS_OPEN && budget > 0 && !io_later(s, limited)) {
        size_t have = s->rlen, used;
        ssize_t n = 0;
        int drained = 0;

        if (have > 0)
            memcpy(ss->scratch, s->rbuf, have);
        /* Frames left over from the last pass are handled before the
         * socket is read again once they fill half the buffer. */
        if (have < ss->scratch_cap / 2) {
            size_t room = read_room(ss, have);
            n = read(s->fd, ss->scratch + have, room);
            if (n == 0) {
                sess_drop(s, ORDER_F_ABRUPT, 0, "connection closed by the client");
                return;
            }
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK) {
                    sess_drop(s, ORDER_F_ABRUPT, errno != ECONNRESET,
                              "read error: %s", strerror(errno));
                    return;
                }
                n = 0;
            }
            /* A short read emptied the socket. Bytes arriving later raise
             * a new edge and are read in their turn: reading on until
             * EAGAIN would let this session's newer requests overtake
             * older ones of other sessions already queued in epoll. */
            drained = (size_t)n < room;
        }
        have += (size_t)n;
        used = parse_frames(s, ss->scratch, have, &limited);
        keep_tail(s, ss->scratch + used, have - used);
        budget = (size_t)n >= budget ? 0 : budget - (size_t)n;
        if (drained) {
            if (s->state == SESS_OPEN)
                io_later(s, limited);
            return;
        }
    }
    /* Budget spent with the socket possibly not drained: an edge-triggered
     * watcher would not fire again, so continue in the next pass. */
    if (s->state == SESS_OPEN && budget == 0)
        ev_io_feed(ss->ev, &s->io, EV_READ);
}
