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
#include <limits.h>
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
    r->sender_hash = s->hnode.hash;
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
    else if (f->h.type & SPW_KILL_WANTS_ACK)
        sess_drop(s, ORDER_F_ACK, 0, "disconnect requested (acknowledged)");
    else
        sess_drop(s, 0, 0, "disconnect requested");
}

/* Frames this session may still handle in this loop pass: its own share
 * (IO_FRAMES_PER_PASS) and what is left of the pass's budget for all
 * sessions together (see sess.h: pass_budget). */
static int frames_allowed(const struct sess *s)
{
    const struct sessions *ss = s->ss;
    unsigned left = ss->pass_frames >= ss->pass_budget
                        ? 0 : ss->pass_budget - ss->pass_frames;
    size_t space = order_send_space(ss->order);

    if (space < left)
        left = (unsigned)space;
    return left < IO_FRAMES_PER_PASS ? (int)left : IO_FRAMES_PER_PASS;
}

/* Handle the complete frames of buf, at most max_frames; returns the bytes
 * consumed and sets *limited when whole frames were left over. */
static size_t parse_frames(struct sess *s, const unsigned char *buf,
                           size_t len, int max_frames, int *limited)
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
        if (frames++ == max_frames) {
            *limited = 1;
            break;
        }
        s->ss->pass_frames++;
        handle_frame(s, &f);
        off += f.len;
    }
    return off;
}

/* Keep an incomplete tail for the next read; `progress`: frames were
 * completed, so the tail is a new frame and its deadline starts now. */
static void keep_tail(struct sess *s, const unsigned char *tail, size_t n,
                      int progress)
{
    if (n == 0 || s->state != SESS_OPEN) {
        s->rlen = 0;
        sess_rbuf_consume(s, 0);
        if (s->state == SESS_OPEN && s->frame_deadline != 0) {
            s->frame_deadline = 0;
            sess_io_deadlines(s);
        }
        return;
    }
    if (progress || s->frame_deadline == 0) {
        s->frame_deadline = ev_now(s->ss->ev) + s->ss->opts.frame_ms;
        sess_io_deadlines(s);
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

/* Not now: paused, or frames left for the next pass (served: this
 * session handled some in this pass). */
static int io_later(struct sess *s, int limited, int served)
{
    struct sessions *ss = s->ss;

    if (s->paused_until > ev_now(ss->ev)) {
        if (!ev_timer_active(&s->timer))
            ev_timer_start(ss->ev, &s->timer, s->paused_until - ev_now(ss->ev));
        return 1;
    }
    if (limited) {
        /* Out of order's space, not of this pass's share: wait for the
         * space callback instead of polling every pass. */
        if (order_send_space(ss->order) == 0)
            sess_hold(s);
        else
            sess_backlog_push(s, served);
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

/* 1 if buf starts with a whole frame (or one that cannot be followed,
 * which parse_frames() will refuse): nothing needs to be read first. */
static int whole_frame_buffered(const struct sess *s, const unsigned char *buf,
                                size_t len)
{
    struct frame f;
    char why[8];
    return frame_next(buf, len, s->pgroup, &f, why, sizeof why) != FRAME_PARTIAL;
}

/* The client's end of the stream (or a read error) came after `have`
 * buffered bytes: its complete requests, a final KILL among them, are
 * still handled, in order, before the session ends. */
static void finish_at_eof(struct sess *s, size_t have, int warn, const char *why)
{
    int limited;
    parse_frames(s, s->ss->scratch, have, INT_MAX, &limited);
    if (s->state == SESS_OPEN)
        sess_drop(s, ORDER_F_ABRUPT, warn, "%s", why);
}

void sess_io_readable(struct sess *s)
{
    struct sessions *ss = s->ss;
    size_t budget = IO_BUDGET;
    int limited = 0, served = 0;

    while (s->state == SESS_OPEN && budget > 0 &&
           !io_later(s, limited, served)) {
        size_t have = s->rlen, used, room = 0;
        ssize_t n = 0;
        int drained = 0;

        if (have > 0)
            memcpy(ss->scratch, s->rbuf, have);
        /* Whole frames left from an earlier pass go first; the socket is
         * read only when the first buffered frame is incomplete. Then
         * read_room() always leaves room (a frame is at most 144048 bytes,
         * the buffer 256 KiB), so every turn of this loop progresses. */
        if (!whole_frame_buffered(s, ss->scratch, have)) {
            room = read_room(ss, have);
            n = read(s->fd, ss->scratch + have, room);
            if (n == 0) {
                finish_at_eof(s, have, 0, "connection closed by the client");
                return;
            }
            if (n < 0) {
                char why[96];
                if (errno == EINTR)
                    continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK) {
                    snprintf(why, sizeof why, "read error: %s", strerror(errno));
                    finish_at_eof(s, have, errno != ECONNRESET, why);
                    return;
                }
                n = -1;         /* nothing now: drained, whatever else */
            }
            /* A short read emptied the socket. Bytes arriving later raise
             * a new edge and are read in their turn: reading on until
             * EAGAIN would let this session's newer requests overtake
             * older ones of other sessions already queued in epoll. An end
             * of stream that came with the bytes raises no edge of its own,
             * though: once the client has hung up, read on until the read
             * says so. */
            drained = n < 0 || ((size_t)n < room && !s->peer_hup);
            if (n < 0)
                n = 0;
        }
        have += (size_t)n;
        used = parse_frames(s, ss->scratch, have, frames_allowed(s), &limited);
        served |= used > 0;
        keep_tail(s, ss->scratch + used, have - used, used > 0);
        budget = (size_t)n >= budget ? 0 : budget - (size_t)n;
        if (drained) {
            if (s->state == SESS_OPEN)
                io_later(s, limited, served);
            return;
        }
    }
    /* Budget spent with the socket possibly not drained: an edge-triggered
     * watcher would not fire again, so continue in the next pass. */
    if (s->state == SESS_OPEN && budget == 0)
        ev_io_feed(ss->ev, &s->io, EV_READ);
}
