/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * sess: listeners, the session table, state changes, write queues and the
 * session lifecycle (accept -> handshake -> open -> killed -> [draining ->]
 * closed -> reaped). Handshake and framed reads live in sess_hs.c and
 * sess_io.c.
 *
 * Output follows the bounded-queue pattern: deliver appends message
 * references, the flush phase writes as much as the socket takes with
 * writev, EV_WRITE is watched only while bytes remain, and a session whose
 * queue passes max_queued is dropped with a logged reason.
 *
 * Draining (the half-close acknowledgement, docs/protocol.md) is the one
 * state that writes without the queue: its only output is a fixed 48-byte
 * frame, so it keeps that frame in the session and writes it directly,
 * then reads only to discard and to notice the client's end of stream.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal/wire.h"
#include "actlog.h"
#include "conf.h"
#include "log.h"
#include "order.h"
#include "sess_int.h"

#define SESS_SCRATCH (256u * 1024u)
#define SESS_IOV_MAX 64
#define SESS_RBUF_KEEP 4096u
#define SESS_ACCEPT_BATCH 64
/* Queued messages that make a delivery write at once instead of waiting
 * for the flush phase: one pass may carry many senders' messages to one
 * receiver, more than its queue may hold. */
#define SESS_EAGER_FLUSH 32

static const char *const state_names[] = {
    [SESS_HS_CONNECT] = "handshake-connect",
    [SESS_HS_AUTH] = "handshake-auth",
    [SESS_OPEN] = "open",
    [SESS_KILLED] = "killed",
    [SESS_DRAINING] = "draining",
    [SESS_CLOSED] = "closed",
};

const char *sess_state_name(enum sess_state st)
{
    if ((unsigned)st < sizeof state_names / sizeof state_names[0])
        return state_names[st];
    return "?";
}

void sess_opts_default(struct sess_opts *o)
{
    o->max_sessions = 10000;
    o->max_handshakes = 1024;
    o->max_hs_per_addr = 128;
    o->max_queued = 1000;
    o->wait_ms = 1000;
    o->connect_ms = 1000;
    o->hs_ms = 5000;
    o->partial_ms = 500;
    o->drain_ms = SESS_DRAIN_MS;
    o->backoff_ms = 50;
    o->frame_ms = SESS_FRAME_MS;
    o->write_ms = SESS_WRITE_MS;
}

static void order_space_back(void *ctx);

/* The seed of random names: they only need to differ from the names in
 * use here (a taken one is skipped), so the loop's clock is seed enough,
 * and a simulated daemon on a fake clock picks the same names every run.
 * xorshift must not start at 0. */
static uint32_t seed_from(const struct clock *c)
{
    uint64_t x = (uint64_t)clock_wall_ns(c) ^ clock_mono_ns(c);
    uint32_t seed = (uint32_t)x ^ (uint32_t)(x >> 32) ^ 0x9e3779b9u;
    return seed != 0 ? seed : 0x9e3779b9u;
}

int sess_init(struct sessions *ss, struct ev *ev, struct log *log,
              struct order *order, const struct auth *auth, int my_index,
              const char *my_name, const struct sess_opts *opts)
{
    memset(ss, 0, sizeof *ss);
    ss->unix_dirfd = -1;
    ss->spare_fd = -1;
    ss->ev = ev;
    ss->log = log;
    ss->order = order;
    ss->auth = auth;
    ss->my_index = my_index;
    snprintf(ss->my_name, sizeof ss->my_name, "%s", my_name);
    ss->opts = *opts;
    /* A quarter of MaxSessionMessages: with senders throttled once a
     * receiver's queue is a quarter full, one pass cannot take a receiver
     * from below that mark past the limit. */
    ss->pass_budget = opts->max_queued / 4;
    if (ss->pass_budget < 16)
        ss->pass_budget = 16;
    if (ss->pass_budget > 512)
        ss->pass_budget = 512;
    hmap_init(&ss->by_name);
    ev_timer_init(&ss->accept_timer, sess_accept_backoff_over, ss);
    ss->scratch_cap = SESS_SCRATCH;
    ss->scratch = malloc(ss->scratch_cap);
    if (ss->scratch == NULL)
        return -ENOMEM;
    order_on_space(order, order_space_back, ss);
    ss->rand_state = seed_from(ev_clock(ev));
    return 0;
}

const char *sess_label(const struct sess *s, char *buf, size_t len)
{
    if (s->name[0] != '\0')
        snprintf(buf, len, "session %u '%s' from %s", s->id, s->name, s->peer);
    else
        snprintf(buf, len, "session %u from %s", s->id, s->peer);
    return buf;
}

static void wait_end(struct sess *s);
static void wake_waiters(struct sess *r);

void sess_set_state(struct sess *s, enum sess_state st, const char *why)
{
    char lb[128];

    log_msg(s->ss->log, LOG_C_SESSION, LOG_DEBUG, "%s: %s -> %s (%s)",
            sess_label(s, lb, sizeof lb), sess_state_name(s->state),
            sess_state_name(st), why);
    if (s->state < SESS_OPEN && st >= SESS_OPEN)
        sess_hs_left(s);
    if (st == SESS_OPEN) {
        s->in_quota = 1;
        s->ss->n_sess++;
    }
    s->state = st;
    if (st > SESS_OPEN) {
        s->frame_deadline = s->write_deadline = 0;
        ev_timer_stop(s->ss->ev, &s->io_timer);
        wait_end(s);
        wake_waiters(s);
    }
    if (st == SESS_DRAINING)
        ev_timer_start(s->ss->ev, &s->timer, s->ss->opts.drain_ms);
    else if (st >= SESS_KILLED)
        ev_timer_stop(s->ss->ev, &s->timer);
}

/* ---- names ---- */

struct sess *sess_find(const struct sessions *ss, const char *pgroup)
{
    return sess_find_hashed(ss, pgroup,
                            hmap_hash(&ss->by_name, pgroup, MAX_GROUP_NAME));
}

struct sess *sess_find_hashed(const struct sessions *ss, const char *pgroup,
                              uint32_t h)
{
    struct hmap_node *n;

    for (n = hmap_bucket(&ss->by_name, h); n != NULL; n = n->next) {
        struct sess *s = hmap_entry(n, struct sess, hnode);
        if (n->hash == h && strncmp(s->pgroup, pgroup, MAX_GROUP_NAME) == 0)
            return s;
    }
    return NULL;
}

int sess_reserve_name(struct sess *s)
{
    if (sess_find(s->ss, s->pgroup) != NULL)
        return -1;
    if (hmap_insert(&s->ss->by_name, &s->hnode,
                    hmap_hash(&s->ss->by_name, s->pgroup, MAX_GROUP_NAME)) < 0)
        return -1;
    s->named = 1;
    return 0;
}

static void release_name(struct sess *s)
{
    if (s->named) {
        hmap_remove(&s->ss->by_name, &s->hnode);
        s->named = 0;
    }
}

/* ---- input buffer ---- */

int sess_rbuf_reserve(struct sess *s, size_t need)
{
    size_t cap;
    unsigned char *b;

    if (s->rcap >= need)
        return 0;
    cap = s->rcap ? s->rcap : 256;
    while (cap < need)
        cap *= 2;
    b = realloc(s->rbuf, cap);
    if (b == NULL)
        return -ENOMEM;
    s->rbuf = b;
    s->rcap = cap;
    return 0;
}

void sess_rbuf_consume(struct sess *s, size_t n)
{
    if (n >= s->rlen) {
        s->rlen = 0;
    } else {
        memmove(s->rbuf, s->rbuf + n, s->rlen - n);
        s->rlen -= n;
    }
    if (s->rlen == 0 && s->rcap > SESS_RBUF_KEEP) {
        free(s->rbuf);
        s->rbuf = NULL;
        s->rcap = 0;
    }
}

/* ---- output ---- */

static void wq_clear(struct sess *s)
{
    while (s->wq_len > 0) {
        msg_unref(s->wq[s->wq_head]);
        s->wq_head = (s->wq_head + 1) % s->wq_cap;
        s->wq_len--;
    }
    free(s->wq);
    s->wq = NULL;
    s->wq_cap = s->wq_head = 0;
    s->woff = 0;
}

static int wq_push(struct sess *s, struct msg *m)
{
    if (s->wq_len == s->wq_cap) {
        size_t cap = s->wq_cap ? s->wq_cap * 2 : 8, i;
        struct msg **q = malloc(cap * sizeof *q);
        if (q == NULL)
            return -ENOMEM;
        for (i = 0; i < s->wq_len; i++)
            q[i] = s->wq[(s->wq_head + i) % s->wq_cap];
        free(s->wq);
        s->wq = q;
        s->wq_cap = cap;
        s->wq_head = 0;
    }
    s->wq[(s->wq_head + s->wq_len) % s->wq_cap] = msg_ref(m);
    s->wq_len++;
    return 0;
}

static void write_some(struct sess *s);

void sess_deliver(struct sessions *ss, struct sess *s, struct msg *m)
{
    unsigned eager = ss->opts.max_queued / 2 < SESS_EAGER_FLUSH
                         ? ss->opts.max_queued / 2 : SESS_EAGER_FLUSH;

    if (s->state != SESS_OPEN)
        return;
    if (s->wq_len > 0 && s->wq_len >= eager)
        write_some(s);   /* hand the kernel what it takes before counting */
    if (s->state != SESS_OPEN)
        return;
    if (s->wq_len >= ss->opts.max_queued) {
        sess_drop(s, ORDER_F_ABRUPT, 1,
                  "too many undelivered messages (MaxSessionMessages = %u)",
                  ss->opts.max_queued);
        return;
    }
    if (wq_push(s, m) < 0) {
        sess_drop(s, ORDER_F_ABRUPT, 1, "out of memory for its send queue");
        return;
    }
    s->n_out++;
    if (!s->flush_pending) {
        s->flush_pending = 1;
        s->flush_next = ss->flush_list;
        ss->flush_list = s;
    }
}

int sess_write_all(struct sess *s, const void *buf, size_t len)
{
    ssize_t n;

    do {
        n = write(s->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n == (ssize_t)len ? 0 : -1;
}

/* Advance the queue past `n` written bytes. */
static void wq_advance(struct sess *s, size_t n)
{
    while (n > 0 && s->wq_len > 0) {
        struct msg *m = s->wq[s->wq_head];
        size_t left = m->len - s->woff;
        if (n < left) {
            s->woff += n;
            return;
        }
        n -= left;
        s->woff = 0;
        msg_unref(m);
        s->wq_head = (s->wq_head + 1) % s->wq_cap;
        s->wq_len--;
    }
}

/* Write as much as the socket takes. */
static void write_some(struct sess *s)
{
    struct iovec iov[SESS_IOV_MAX];
    size_t before = s->wq_len, off_before = s->woff;

    while (s->wq_len > 0) {
        size_t i, total = 0;
        int n = 0;
        ssize_t w;

        for (i = 0; i < s->wq_len && n < SESS_IOV_MAX; i++, n++) {
            struct msg *m = s->wq[(s->wq_head + i) % s->wq_cap];
            size_t off = i == 0 ? s->woff : 0;
            iov[n].iov_base = m->data + off;
            iov[n].iov_len = m->len - off;
            total += iov[n].iov_len;
        }
        w = writev(s->fd, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            sess_drop(s, ORDER_F_ABRUPT, errno != EPIPE && errno != ECONNRESET,
                      "write error: %s", strerror(errno));
            return;
        }
        wq_advance(s, (size_t)w);
        if ((size_t)w < total)
            break;
    }
    if (s->wq_len == 0 && s->wq_cap > 64) {
        free(s->wq);
        s->wq = NULL;
        s->wq_cap = s->wq_head = 0;
    }
    if (s->waiters != NULL && s->wq_len <= s->ss->opts.max_queued / 8)
        wake_waiters(s);
    /* Messages wait: the client must take some within write_ms (any
     * progress restarts the wait). */
    if (s->wq_len == 0)
        s->write_deadline = 0;
    else if (s->write_deadline == 0 || s->wq_len != before ||
             s->woff != off_before)
        s->write_deadline = ev_now(s->ss->ev) + s->ss->opts.write_ms;
    sess_io_deadlines(s);
    ev_io_set(s->ss->ev, &s->io,
              EV_READ | EV_EDGE | (s->wq_len ? EV_WRITE : 0));
}

void sess_backlog_push(struct sess *s, int served)
{
    struct sessions *ss = s->ss;
    struct sess **head = served ? &ss->served_head : &ss->starved_head;
    struct sess **tail = served ? &ss->served_tail : &ss->starved_tail;

    if (s->in_backlog)
        return;
    s->in_backlog = 1;
    s->backlog_next = NULL;
    if (*tail != NULL)
        (*tail)->backlog_next = s;
    else
        *head = s;
    *tail = s;
}

static void hold_remove(struct sessions *ss, struct sess *s)
{
    if (!s->held)
        return;
    if (s->hold_prev != NULL)
        s->hold_prev->hold_next = s->hold_next;
    else
        ss->held_head = s->hold_next;
    if (s->hold_next != NULL)
        s->hold_next->hold_prev = s->hold_prev;
    s->held = 0;
    s->in_backlog = 0;
    s->hold_prev = s->hold_next = NULL;
}

void sess_hold(struct sess *s)
{
    struct sessions *ss = s->ss;

    if (s->in_backlog)
        return;
    s->held = 1;
    s->in_backlog = 1;
    s->hold_prev = NULL;
    s->hold_next = ss->held_head;
    if (ss->held_head != NULL)
        ss->held_head->hold_prev = s;
    ss->held_head = s;
}

/* order's space callback: the held sessions read again from the next
 * pass on, before those that wait for a turn of their own. */
static void order_space_back(void *ctx)
{
    struct sessions *ss = ctx;

    while (ss->held_head != NULL) {
        struct sess *s = ss->held_head;
        hold_remove(ss, s);
        sess_backlog_push(s, 0);
    }
}

/* Hand the backlog to the loop for the next pass, starved before served.
 * Runs before the reap phase, so every session listed still exists. */
static void backlog_feed(struct sessions *ss)
{
    struct sess *lists[2] = {ss->starved_head, ss->served_head};
    int i;

    ss->starved_head = ss->starved_tail = NULL;
    ss->served_head = ss->served_tail = NULL;
    for (i = 0; i < 2; i++) {
        struct sess *s = lists[i];
        while (s != NULL) {
            struct sess *next = s->backlog_next;
            s->in_backlog = 0;
            s->backlog_next = NULL;
            if (s->state == SESS_OPEN)
                ev_io_feed(ss->ev, &s->io, EV_READ);
            s = next;
        }
    }
}

int sess_flush(struct ev *ev, void *ctx)
{
    struct sessions *ss = ctx;
    struct sess *s = ss->flush_list;

    (void)ev;
    ss->flush_list = NULL;
    backlog_feed(ss);
    ss->pass_frames = 0;        /* a new pass begins after this phase */
    while (s != NULL) {
        struct sess *next = s->flush_next;
        s->flush_pending = 0;
        s->flush_next = NULL;
        if (s->state == SESS_OPEN)
            write_some(s);
        s = next;
    }
    /* A failed write drops its session, which queues a kill after this
     * pass's deliver phase: poll without blocking so that it is delivered
     * now, not when unrelated traffic next wakes the loop. */
    return order_pending(ss->order) > 0;
}

/* ---- lifecycle ---- */

/* The activity log's "D" line, once per accepted session, when the
 * session ends for the rest of the daemon: at close, or for an
 * acknowledged disconnect when the kill is delivered (the name may be
 * taken by a new session before the draining socket closes). */
static void log_disconnect(struct sess *s)
{
    struct sessions *ss = s->ss;

    if (s->accepted && ss->actlog != NULL)
        actlog_disconnect(ss->actlog, order_delivered(ss->order), s->fd,
                          s->peer_ip, s->name, s->n_in);
    s->accepted = 0;
}

static void to_reap(struct sess *s)
{
    struct sessions *ss = s->ss;

    ev_io_stop(ss->ev, &s->io);
    ev_timer_stop(ss->ev, &s->timer);
    ev_timer_stop(ss->ev, &s->io_timer);
    if (s->fd >= 0) {
        log_disconnect(s);
        close(s->fd);
        s->fd = -1;
    }
    if (s->in_quota) {
        s->in_quota = 0;
        ss->n_sess--;
    }
    release_name(s);
    wq_clear(s);
    if (s->cut != NULL) {
        msg_unref(s->cut);
        s->cut = NULL;
    }
    s->reap_next = ss->reap_list;
    ss->reap_list = s;
}

void sess_close_now(struct sess *s, int reject_code, const char *why)
{
    char lb[128];

    if (s->state >= SESS_CLOSED)
        return;
    if (reject_code != 0) {
        unsigned char b = (unsigned char)(signed char)reject_code;
        (void)sess_write_all(s, &b, 1);
        s->ss->n_rejected++;
    }
    log_msg(s->ss->log, LOG_C_SESSION, LOG_INFO, "%s: %s%s",
            sess_label(s, lb, sizeof lb),
            reject_code ? "refused: " : "closed during handshake: ", why);
    sess_set_state(s, SESS_CLOSED, why);
    to_reap(s);
}

void sess_drop(struct sess *s, unsigned kill_flags, int warn,
               const char *fmt, ...)
{
    struct sessions *ss = s->ss;
    struct order_req r;
    char why[160], lb[128];
    va_list ap;

    if (s->state != SESS_OPEN) {
        if (s->state < SESS_OPEN)
            sess_close_now(s, 0, "dropped during handshake");
        return;
    }
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (warn) {
        ss->n_dropped++;
        log_msg(ss->log, LOG_C_SESSION | LOG_C_PRINT, LOG_WARNING,
                "%s dropped: %s", sess_label(s, lb, sizeof lb), why);
    } else {
        log_msg(ss->log, LOG_C_SESSION, LOG_INFO, "%s disconnecting: %s",
                sess_label(s, lb, sizeof lb), why);
    }
    sess_set_state(s, SESS_KILLED, why);
    ev_io_stop(ss->ev, &s->io);
    /* A client that waits for the acknowledgement parses the stream up to
     * it, so a message already partly written must be finished first;
     * everything not yet started is dropped, as without the ack. */
    if ((kill_flags & ORDER_F_ACK) && s->wq_len > 0 && s->woff > 0) {
        s->cut = msg_ref(s->wq[s->wq_head]);
        s->cut_off = s->woff;
        log_msg(ss->log, LOG_C_SESSION, LOG_DEBUG,
                "%s: %zu of %zu bytes of a message written; the rest goes "
                "before the acknowledgement", sess_label(s, lb, sizeof lb),
                s->cut_off, (size_t)s->cut->len);
    }
    wq_clear(s);
    s->kill_flags = kill_flags;
    memset(&r, 0, sizeof r);
    r.kind = ORDER_KILL;
    r.cls = (kill_flags & ORDER_F_ABRUPT) ? ORDER_SAFE : ORDER_AGREED;
    r.flags = kill_flags;
    r.origin = ss->my_index;
    memcpy(r.sender, s->pgroup, MAX_GROUP_NAME);
    r.sender_hash = s->hnode.hash;
    if (order_submit(ss->order, &r) < 0) {
        /* Without its kill the group table would keep a member whose
         * session is gone: a broken invariant, not a recoverable error. */
        log_msg(ss->log, LOG_C_PRINT, LOG_PRINT,
                "out of memory submitting the disconnect of %s", s->pgroup);
        log_flush(ss->log);
        abort();
    }
}

/* ---- draining: the half-close acknowledgement ---- */

/* Input a draining session may discard per wake-up before it yields to
 * other sessions (it continues in the next pass). */
#define SESS_DRAIN_BUDGET (1024u * 1024u)

static void drain_end(struct sess *s, const char *why)
{
    char lb[128];

    log_msg(s->ss->log, LOG_C_SESSION, LOG_INFO,
            "%s: closed after its acknowledged disconnect: %s",
            sess_label(s, lb, sizeof lb), why);
    sess_set_state(s, SESS_CLOSED, why);
    to_reap(s);
}

static int drain_fin_pending(const struct sess *s)
{
    return s->cut != NULL || s->fin_off < sizeof s->fin;
}

/* Watch for what is still to come: input until the client's end of
 * stream, writability while the acknowledgement is not all written. */
static void drain_watch(struct sess *s)
{
    unsigned ev = EV_EDGE | (s->peer_eof ? 0 : EV_READ) |
                  (drain_fin_pending(s) ? EV_WRITE : 0);

    if (ev_io_set(s->ss->ev, &s->io, ev) < 0)
        drain_end(s, "cannot watch the socket");
}

/* Write what is left of a cut message and of the acknowledgement; once
 * all is out, shut down the sending side. MSG_NOSIGNAL: the client may
 * have closed already, which is an ordinary end here. */
static void drain_write(struct sess *s)
{
    if (!drain_fin_pending(s))
        return;
    while (drain_fin_pending(s)) {
        struct iovec iov[2];
        struct msghdr mh;
        int n = 0;
        ssize_t w;

        if (s->cut != NULL) {
            iov[n].iov_base = s->cut->data + s->cut_off;
            iov[n++].iov_len = s->cut->len - s->cut_off;
        }
        iov[n].iov_base = s->fin + s->fin_off;
        iov[n++].iov_len = sizeof s->fin - s->fin_off;
        memset(&mh, 0, sizeof mh);
        mh.msg_iov = iov;
        mh.msg_iovlen = (size_t)n;
        w = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
        if (w < 0) {
            char why[96];
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;     /* the client is not reading: EV_WRITE */
            snprintf(why, sizeof why, "write error: %s", strerror(errno));
            drain_end(s, why);
            return;
        }
        if (s->cut != NULL) {
            size_t left = s->cut->len - s->cut_off;
            if ((size_t)w < left) {
                s->cut_off += (size_t)w;
                continue;
            }
            w -= (ssize_t)left;
            msg_unref(s->cut);
            s->cut = NULL;
        }
        s->fin_off += (size_t)w;
    }
    /* ENOTCONN (the peer reset meanwhile) shows up as a read error. */
    (void)shutdown(s->fd, SHUT_WR);
    if (s->peer_eof)
        drain_end(s, "acknowledged after the client's end of stream");
    else
        drain_watch(s);
}

/* Read and discard. The client's end of stream ends the session once the
 * acknowledgement is out; before that, only writing is left to wait for. */
static void drain_read(struct sess *s)
{
    struct sessions *ss = s->ss;
    size_t budget = SESS_DRAIN_BUDGET;

    while (budget > 0) {
        ssize_t n = read(s->fd, ss->scratch, ss->scratch_cap);
        if (n > 0) {
            budget = (size_t)n >= budget ? 0 : budget - (size_t)n;
            continue;
        }
        if (n == 0) {
            s->peer_eof = 1;
            if (drain_fin_pending(s))
                drain_watch(s);
            else
                drain_end(s, "end of stream from the client");
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            char why[96];
            snprintf(why, sizeof why, "read error: %s", strerror(errno));
            drain_end(s, why);
        }
        return;
    }
    /* Budget spent: the edge-triggered watcher would not fire again for
     * bytes already there, so continue in the next pass. */
    ev_io_feed(ss->ev, &s->io, EV_READ);
}

static void drain_start(struct sess *s)
{
    struct spw_header h;

    memset(&h, 0, sizeof h);
    h.type = SPW_KILL_MESS | SPW_KILL_ACK;
    memcpy(h.sender, s->pgroup, MAX_GROUP_NAME);
    h.num_groups = 0;
    h.hint = spw_native_mark();     /* like membership messages */
    h.data_len = 0;
    spw_header_encode(s->fin, &h);
    s->fin_off = 0;
    s->peer_eof = 0;
    sess_set_state(s, SESS_DRAINING, "disconnect delivered, acknowledging");
    drain_write(s);
    if (s->state == SESS_DRAINING)
        drain_watch(s);     /* no-op when drain_write() set it */
    /* Bytes the client sent after its KILL are already waiting; reading
     * now also sees an end of stream that came with them. */
    if (s->state == SESS_DRAINING)
        drain_read(s);
}

void sess_kill_delivered(struct sessions *ss, struct sess *s)
{
    (void)ss;
    /* The kill is delivered: the name is free for a new session now, also
     * while this one drains. */
    release_name(s);
    if (s->kill_flags & ORDER_F_ACK) {
        log_disconnect(s);
        drain_start(s);
        return;
    }
    sess_set_state(s, SESS_CLOSED, "disconnect delivered");
    to_reap(s);
}

int sess_reap(struct ev *ev, void *ctx)
{
    struct sessions *ss = ctx;
    struct sess *s = ss->reap_list;

    (void)ev;
    ss->reap_list = NULL;
    while (s != NULL) {
        struct sess *next = s->reap_next;
        hold_remove(ss, s);
        if (s->all_prev != NULL)
            s->all_prev->all_next = s->all_next;
        else
            ss->all = s->all_next;
        if (s->all_next != NULL)
            s->all_next->all_prev = s->all_prev;
        free(s->rbuf);
        free(s);
        ss->n_reaped++;
        s = next;
    }
    return 0;
}

void sess_io_deadlines(struct sess *s)
{
    uint64_t when = s->frame_deadline;

    if (s->write_deadline != 0 && (when == 0 || s->write_deadline < when))
        when = s->write_deadline;
    if (when == 0 || s->state != SESS_OPEN) {
        ev_timer_stop(s->ss->ev, &s->io_timer);
        return;
    }
    /* A later deadline needs no re-arming: the timer fires at the earlier
     * one, and io_deadline_cb() checks the deadlines and arms it again.
     * (write_some() moves the write deadline on almost every call.) */
    if (!ev_timer_active(&s->io_timer) || when < s->io_timer.when_ms) {
        uint64_t now = ev_now(s->ss->ev);
        ev_timer_start(s->ss->ev, &s->io_timer, when > now ? when - now : 0);
    }
}

/* A deadline of an open session passed. Time the daemon held the session
 * back itself (a pause, the backlog) is not the client's: start over. */
static void io_deadline_cb(struct ev *ev, struct ev_timer *t)
{
    struct sess *s = t->data;
    uint64_t now = ev_now(ev);

    if (s->state != SESS_OPEN)
        return;
    if (s->frame_deadline != 0 && now >= s->frame_deadline) {
        if (s->paused_until > now || s->in_backlog) {
            s->frame_deadline = now + s->ss->opts.frame_ms;
        } else {
            sess_drop(s, ORDER_F_ABRUPT, 1, "a frame not complete within "
                      "%u ms of its first byte (%zu bytes of it received)",
                      s->ss->opts.frame_ms, s->rlen);
            return;
        }
    }
    if (s->write_deadline != 0 && now >= s->write_deadline) {
        sess_drop(s, ORDER_F_ABRUPT, 1, "took none of its %zu queued "
                  "messages for %u ms", s->wq_len, s->ss->opts.write_ms);
        return;
    }
    sess_io_deadlines(s);
}

static void sess_io_cb(struct ev *ev, struct ev_io *w, unsigned revents)
{
    struct sess *s = w->data;

    (void)ev;
    /* Reported once per change: remember it (see EV_HUP). */
    if (revents & EV_HUP)
        s->peer_hup = 1;
    if (s->state == SESS_DRAINING) {
        if (revents & (EV_WRITE | EV_ERROR))
            drain_write(s);
        if (s->state == SESS_DRAINING && !s->peer_eof &&
            (revents & (EV_READ | EV_ERROR)))
            drain_read(s);
        return;
    }
    if ((revents & EV_WRITE) && s->state == SESS_OPEN)
        write_some(s);
    if (!(revents & EV_READ))
        return;
    if (s->state == SESS_OPEN)
        sess_io_readable(s);
    else if (s->state < SESS_OPEN)
        sess_hs_readable(s);
}

static void sess_timer_cb(struct ev *ev, struct ev_timer *t)
{
    struct sess *s = t->data;

    (void)ev;
    if (s->state < SESS_OPEN)
        sess_hs_timeout(s);
    else if (s->state == SESS_OPEN)
        sess_io_readable(s);    /* a pause is over */
    else if (s->state == SESS_DRAINING) {
        char why[64];
        snprintf(why, sizeof why, "%s within %u ms",
                 drain_fin_pending(s) ? "acknowledgement not written"
                                      : "no end of stream",
                 s->ss->opts.drain_ms);
        drain_end(s, why);
    }
}

void sess_flow_watch_begin(struct sess_flow *f, const struct sess *sender)
{
    int k;

    f->reached = 0;
    for (k = 0; k < SESS_WATCH; k++)
        f->watch_id[k] = sender->watch[k].id;
}

void sess_flow_reached(struct sess_flow *f, const struct sess *r)
{
    int k;

    for (k = 0; k < SESS_WATCH; k++)
        if (f->watch_id[k] != 0 && f->watch_id[k] == r->id)
            f->reached |= 1u << k;
}

/* The slot of receiver r in s->watch: its own, or a free or the least
 * recently used one, taken over. */
static int watch_slot(struct sess *s, const struct sess *r)
{
    int k, lru = 0;

    for (k = 0; k < SESS_WATCH; k++) {
        if (s->watch[k].id == r->id)
            return k;
        if (s->watch[k].used < s->watch[lru].used)
            lru = k;
    }
    if (s->watch[lru].id == 0)
        s->n_watch++;
    s->watch[lru].id = r->id;
    s->watch[lru].elsewhere = 0;
    return lru;
}

/* sess_fanout_done() when a receiver is congested or the sender keeps
 * track of receivers; s->n_sent counts this message already. */
void sess_fanout_slow(struct sessions *ss, struct sess *s,
                      const struct sess_flow *f)
{
    uint64_t now = ev_now(ss->ev);
    int k;

    if (s->state != SESS_OPEN)
        return;
    /* Receivers it keeps track of that did not get this message, which a
     * free receiver got: it sends elsewhere than to them. */
    if (f->watching && f->n_free > 0)
        for (k = 0; k < SESS_WATCH; k++)
            if (s->watch[k].id != 0 && !(f->reached & (1u << k)))
                s->watch[k].elsewhere = s->n_sent;
    if (!f->congested_any)
        return;
    k = watch_slot(s, f->congested);
    s->watch[k].used = s->n_sent;
    if (s->watch[k].elsewhere != 0 &&
        s->n_sent - s->watch[k].elsewhere <= SESS_MIXED_MSGS) {
        ss->n_unthrottled++;
        return;
    }
    if (s->waits_for != NULL)
        return;
    /* Wait for it to drain (wake_waiters). The bound is a safety net: a
     * receiver that stops reading is still dropped, at max_queued or at
     * its write deadline, and its waiters are woken then. */
    s->waits_for = f->congested;
    s->wait_prev = NULL;
    s->wait_next = f->congested->waiters;
    if (s->wait_next != NULL)
        s->wait_next->wait_prev = s;
    f->congested->waiters = s;
    s->paused_until = now + ss->opts.wait_ms;
    ss->n_throttled++;
}

/* s no longer waits for a receiver. */
static void wait_end(struct sess *s)
{
    if (s->waits_for == NULL)
        return;
    if (s->wait_prev != NULL)
        s->wait_prev->wait_next = s->wait_next;
    else
        s->waits_for->waiters = s->wait_next;
    if (s->wait_next != NULL)
        s->wait_next->wait_prev = s->wait_prev;
    s->wait_prev = s->wait_next = NULL;
    s->waits_for = NULL;
}

/* Receiver r drained, or is gone: its waiting senders are read again from
 * the next pass on. */
static void wake_waiters(struct sess *r)
{
    while (r->waiters != NULL) {
        struct sess *w = r->waiters;
        wait_end(w);
        w->paused_until = 0;
        if (w->state == SESS_OPEN) {
            ev_timer_stop(w->ss->ev, &w->timer);
            ev_io_feed(w->ss->ev, &w->io, EV_READ);
        }
    }
}

struct sess *sess_new(struct sessions *ss, int fd, int is_unix,
                      const struct sockaddr_storage *sa, socklen_t salen)
{
    struct sess *s = calloc(1, sizeof *s);

    if (s == NULL)
        return NULL;
    s->ss = ss;
    s->fd = fd;
    s->is_unix = is_unix;
    s->id = ++ss->next_id;
    if (salen > 0 && salen <= sizeof s->peer_addr)
        memcpy(&s->peer_addr, sa, salen);
    if (is_unix)
        s->peer_addr.ss_family = AF_UNIX;
    ev_io_init(&s->io, fd, sess_io_cb, s);
    ev_timer_init(&s->timer, sess_timer_cb, s);
    ev_timer_init(&s->io_timer, io_deadline_cb, s);
    s->all_next = ss->all;
    if (ss->all != NULL)
        ss->all->all_prev = s;
    ss->all = s;
    s->state = SESS_HS_CONNECT;
    s->hs_deadline = ev_now(ss->ev) + ss->opts.hs_ms;
    return s;
}

void sess_discard(struct sess *s)
{
    s->fd = -1;      /* the caller closed it */
    s->state = SESS_CLOSED;
    to_reap(s);
}

void sess_fini(struct sessions *ss)
{
    while (ss->all != NULL) {
        struct sess *s = ss->all;
        if (s->state < SESS_CLOSED) {
            sess_set_state(s, SESS_CLOSED, "daemon shutting down");
            to_reap(s);
        }
        sess_reap(ss->ev, ss);
    }
    sess_reap(ss->ev, ss);
    order_on_space(ss->order, NULL, NULL);
    sess_listeners_fini(ss);
    hmap_fini(&ss->by_name);
    free(ss->scratch);
    ss->scratch = NULL;
}
