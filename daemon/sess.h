/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * sess: client sessions. Owns the client listeners (TCP and the unix
 * socket), every accepted connection from the first handshake byte to the
 * reaping of its memory, the table of reserved private names, framed reads
 * and bounded write queues.
 *
 * Split over four files: sess.c (table, lifecycle, write queues),
 * sess_accept.c (listeners and admission), sess_hs.c (the handshake state
 * machine), sess_io.c (framed reads and request submission). sess_int.h
 * is private to them.
 *
 * Admission (sess_accept.c): only authenticated sessions count against
 * max_sessions; handshakes have their own caps (max_handshakes at a time,
 * max_hs_per_addr from one address) and deadline (hs_ms), and reserve
 * their private name only once authenticated. sess_set_state() keeps the
 * counts (n_hs, n_sess).
 *
 * Contract
 * - Request handlers only validate and submit to order; they never touch
 *   groups (STYLE habit 3). Delivery comes back through deliver.c, which
 *   uses sess_find()/sess_deliver()/sess_kill_delivered().
 * - States: handshake-connect -> handshake-auth -> open -> killed ->
 *   [draining ->] closed; sess_set_state() is the only writer and logs
 *   transitions; from "killed" on it also owns the session timer (none
 *   while killed, the drain bound while draining).
 *   "killed" = a kill was submitted: nothing more is read or written, the
 *   name stays reserved until the kill is delivered. Then the socket is
 *   closed ("closed") and the memory reaped in the reap phase; or, when
 *   the client asked for a half-close acknowledgement (a KILL frame with
 *   SPW_KILL_WANTS_ACK, docs/protocol.md), the session goes to "draining".
 * - "draining": the kill is delivered and the private name released (a
 *   client may reconnect under it at once). The session writes one final
 *   frame (the acknowledgement, after the rest of a message the kill cut
 *   short, if any), shuts down its sending side, reads and discards input,
 *   and closes at the client's end of stream, a read or write error, or
 *   opts.drain_ms after the delivery, whichever comes first. A draining
 *   session is in no group and not findable by name: nothing is delivered
 *   to it, it is never a member and never a target. It still holds its
 *   descriptor, so it still counts against max_sessions.
 * - A session is dropped (logged with its name, peer and reason; treated
 *   like an abrupt disconnect) for an invalid frame, a read or write error,
 *   more than max_queued undelivered messages, a frame not complete
 *   within frame_ms of its first byte, or queued messages of which it
 *   took nothing for write_ms.
 * - sess_deliver() takes its own message reference; writes happen in the
 *   flush phase (sess_flush), so several messages leave in one writev, or
 *   at once when a queue reaches 32 messages (or half of max_queued), so
 *   that only what the kernel refuses counts against max_queued.
 * - Flow: a session's frames are handled at most IO_FRAMES_PER_PASS per
 *   loop pass, and a sender whose messages land in a congested receiver's
 *   queue waits until that receiver has drained (sess_fanout_done), so a
 *   receiver that reads at any steady pace is not dropped because its
 *   senders are faster; but only a sender whose traffic all goes to
 *   congested receivers.
 */
#ifndef COHORT_DAEMON_SESS_H
#define COHORT_DAEMON_SESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sp.h"
#include "internal/wire.h"
#include "ev.h"
#include "hmap.h"
#include "log.h"
#include "msg.h"

struct actlog;
struct log;
struct order;
struct auth;
struct conf;

enum sess_state {
    SESS_HS_CONNECT = 0,   /* reading the connect message */
    SESS_HS_AUTH,          /* auth list sent, reading the 90-byte choice */
    SESS_OPEN,             /* accepted: framed messages both ways */
    SESS_KILLED,           /* kill submitted, waiting for its delivery */
    SESS_DRAINING,         /* kill delivered and acknowledged: waiting for
                            * the client's end of stream (drain_ms) */
    SESS_CLOSED            /* socket closed, waiting for the reap phase */
};

/* Receivers a sender keeps track of for flow control (sess_fanout_done). */
#define SESS_WATCH 4

/* How long a draining session waits for its client's end of stream (and,
 * if the client does not read, for the acknowledgement to be written). */
#define SESS_DRAIN_MS 5000

struct sess_opts {
    unsigned max_sessions;     /* authenticated sessions; REJECT_QUOTA
                                * beyond; default 10000 */
    unsigned max_handshakes;   /* handshakes at a time; at the cap new
                                * connections wait in the kernel's accept
                                * queue; default 1024 */
    unsigned max_hs_per_addr;  /* handshakes at a time from one IPv4
                                * address, IPv6 /64, or link-local IPv6
                                * address on one link (unix-socket clients
                                * share only the global cap); REJECT_QUOTA
                                * beyond; default 128 */
    unsigned max_queued;       /* MaxSessionMessages; default 1000 */
    unsigned wait_ms;          /* longest a sender waits for a congested
                                * receiver to drain: 1000 */
    unsigned connect_ms;       /* connect-message phase timeout: 1000 */
    unsigned hs_ms;            /* the whole handshake, from accept: 5000 */
    unsigned partial_ms;       /* a started auth choice must complete: 500 */
    unsigned drain_ms;         /* draining state bound: SESS_DRAIN_MS */
    unsigned backoff_ms;       /* first pause after a failed accept: 50,
                                * doubling up to 1000 */
    unsigned frame_ms;         /* a frame must complete within this of its
                                * first byte: SESS_FRAME_MS */
    unsigned write_ms;         /* a client with messages queued must take
                                * some within this: SESS_WRITE_MS */
};

/* Deadlines of an open session (see sess_opts.frame_ms, write_ms). Time
 * the daemon itself holds a session back (a sender pause, the per-pass
 * limits) does not count against the client. */
#define SESS_FRAME_MS 30000
#define SESS_WRITE_MS 60000

struct sessions;

struct sess {
    struct hmap_node hnode;    /* by_name, while the name is reserved */
    struct ev_io io;
    struct ev_timer timer;     /* handshake phases, sender pauses, the
                                * drain bound */
    struct ev_timer io_timer;  /* open: the earlier of the two below */
    uint64_t frame_deadline;   /* the pending partial frame (0: none) */
    uint64_t write_deadline;   /* queued output must move (0: none) */
    struct sessions *ss;
    enum sess_state state;
    int fd;
    int is_unix;
    int named;                 /* hnode is in ss->by_name */
    uint32_t id;               /* serial, for logs */
    char peer[80];             /* address and port, for logs */
    char peer_ip[64];          /* address only, for the activity log */
    struct sockaddr_storage peer_addr;
    int in_quota;              /* counted in sessions.n_sess */
    int accepted;              /* reached the open state; cleared once its
                                * activity-log "D" line is written */
    int hs_full;               /* the last handshake read filled its room */
    uint64_t hs_deadline;      /* end of the handshake (ms, ev clock) */
    struct sess *hs_prev, *hs_next;    /* sessions.hs_head, in handshake */
    int addr_family;           /* per-address key: AF_INET, AF_INET6, or
                                * 0 (not counted: unix socket) */
    unsigned char addr_key[20];/* see addr_key() in sess_accept.c */
    int peer_hup;              /* the client ended its stream (or the
                                * connection failed): read on to the end,
                                * a short read is no longer "drained" */
    uint64_t paused_until;     /* reads paused (ms, ev clock): it waits
                                * for a congested receiver (at most this
                                * long; sooner when that one drains) */
    struct sess *waits_for;    /* that receiver, or NULL */
    struct sess *wait_prev, *wait_next;    /* in waits_for->waiters */
    struct sess *waiters;      /* senders waiting for this one to drain */
    uint64_t n_sent;           /* messages it originated (fan-outs) */
    int n_watch;               /* slots of watch[] in use */
    struct {                   /* receivers it found congested: */
        uint32_t id;           /* sess.id, 0: free slot */
        uint64_t elsewhere;    /* n_sent of its last message that this
                                * one did not get but a free one did */
        uint64_t used;         /* n_sent when last found congested */
    } watch[SESS_WATCH];
    char name[MAX_PRIVATE_NAME + 1];
    char pgroup[MAX_GROUP_NAME];   /* "#name#daemon", NUL-padded */
    unsigned char major, minor, patch, flags;
    int membership;
    int random_name;           /* asked for a name chosen by the daemon */
    /* input: only while bytes are pending (idle sessions hold none) */
    unsigned char *rbuf;
    size_t rlen, rcap;
    /* output: ring of message references */
    struct msg **wq;
    size_t wq_head, wq_len, wq_cap;
    size_t woff;               /* bytes of wq[wq_head] already written */
    int flush_pending;
    struct sess *flush_next;
    int in_backlog;            /* whole frames wait for a later pass, or
                                * held: for space in order */
    struct sess *backlog_next;
    int held;                  /* on the held list (sess.c: sess_hold) */
    struct sess *hold_prev, *hold_next;
    struct sess *reap_next;
    struct sess *all_prev, *all_next;
    uint64_t stamp;            /* last fan-out serial delivered (deliver.c) */
    uint64_t n_in, n_out;
    unsigned kill_flags;
    /* Half-close acknowledgement (killed with ORDER_F_ACK, draining). */
    struct msg *cut;           /* the message the kill cut short after
                                * cut_off bytes, finished before the ack */
    size_t cut_off;
    unsigned char fin[SPW_HEADER_LEN]; /* the acknowledgement frame */
    size_t fin_off;            /* bytes of it written */
    int peer_eof;              /* the client's end of stream was read */
};

#define SESS_MAX_LISTENERS 12

struct sess_listener {
    struct ev_io io;
    int is_unix;
    struct sessions *ss;
    char where[96];
};

/* Why the listeners are not being watched (sessions.accept_paused). */
#define SESS_PAUSE_HANDSHAKES 0x1u   /* max_handshakes in progress */
#define SESS_PAUSE_ERROR 0x2u        /* accept() failed: backing off */

struct sessions {
    struct ev *ev;
    struct log *log;
    struct order *order;
    const struct auth *auth;
    int my_index;
    char my_name[20];          /* CONF_MAX_PROC_NAME */
    struct sess_opts opts;
    struct sess_listener lst[SESS_MAX_LISTENERS];
    int n_lst;
    char unix_path[128];
    int unix_bound;
    int unix_dirfd;            /* the socket's directory, to remove the
                                * socket at exit even after a chroot */
    const char *unix_name;     /* points into unix_path */
    struct hmap by_name;       /* reserved private group names */
    struct sess *all;          /* every session not yet reaped */
    size_t n_sess;             /* sessions past the handshake that hold a
                                * descriptor (open, killed, draining): the
                                * quota counts these */
    size_t n_hs;               /* sessions in a handshake state */
    struct sess *hs_head;      /* those, newest first */
    unsigned accept_paused;    /* SESS_PAUSE_* bits; 0: listeners watched */
    struct ev_timer accept_timer;  /* end of an accept backoff */
    unsigned backoff_ms;       /* length of the current backoff */
    unsigned long accept_errors;   /* failed accepts in this episode */
    int spare_fd;              /* given up to accept and refuse one
                                * connection when descriptors run out */
    struct log_limit refuse_limit; /* lines about refused connections */
    struct log_limit pause_limit;  /* lines about the handshake cap */
    struct sess *flush_list;
    struct sess *reap_list;
    unsigned char *scratch;    /* shared read buffer */
    size_t scratch_cap;
    uint32_t next_id;
    uint32_t rand_state;
    uint64_t n_accepted, n_dropped, n_rejected, n_throttled;
    uint64_t n_reaped;         /* sessions freed so far */
    uint64_t n_unthrottled;    /* congestion seen, sender not paused:
                                * it also sends elsewhere */
    uint64_t n_refused_access; /* turned away at accept by the access list */
    /* Frames all sessions together may hand to order in one loop pass.
     * It bounds how much one deliver phase can queue for a receiver (so a
     * receiver below the throttle threshold cannot pass MaxSessionMessages
     * in one pass, however many senders burst at once) and how long the
     * order queue can get. Reset by the flush phase. */
    unsigned pass_budget;
    unsigned pass_frames;
    /* Sessions left with whole frames by a per-pass limit, fed to the loop
     * again at the end of the pass: those that got no turn first, then
     * those that did, so that every session gets its turn. */
    struct sess *starved_head, *starved_tail;
    struct sess *served_head, *served_tail;
    /* Sessions that stopped reading because order had no send space
     * (order_send_space() said 0). They wait, with no busy loop, until
     * order's space callback hands them to the next pass; a session that
     * closes meanwhile leaves the list when it is reaped. */
    struct sess *held_head;
    struct actlog *actlog;     /* -l y, or NULL */
};

void sess_opts_default(struct sess_opts *o);

int sess_init(struct sessions *ss, struct ev *ev, struct log *log,
              struct order *order, const struct auth *auth, int my_index,
              const char *my_name, const struct sess_opts *opts);
/* Close every connection and listener, unlink the unix socket. */
void sess_fini(struct sessions *ss);

/* Remove the unix socket's file (also after a chroot); safe to call on
 * the fatal path and more than once. sess_fini() calls it. */
void sess_remove_socket(struct sessions *ss);

/* Bind the TCP listeners of daemon `self` of `c` and the unix socket.
 * Returns 0 or -1 with a message in err. */
int sess_listen(struct sessions *ss, const struct conf *c, int self,
                char *err, size_t errlen);

/* Bind only the unix socket, `dir`/`port` (the simulator gives every
 * daemon its own directory). Returns 0 or -1 with a message in err. */
int sess_listen_unix(struct sessions *ss, const char *dir, unsigned mode,
                     uint16_t port, char *err, size_t errlen);

/* Loop phases: write queued data; free closed sessions. */
int sess_flush(struct ev *ev, void *ctx);
int sess_reap(struct ev *ev, void *ctx);

/* For deliver.c. */
struct sess *sess_find(const struct sessions *ss, const char *pgroup);
/* The same with the name's hash in the name table already known (an
 * order_req's sender_hash, which sess takes from the reserved name). */
struct sess *sess_find_hashed(const struct sessions *ss, const char *pgroup,
                              uint32_t hash);
void sess_deliver(struct sessions *ss, struct sess *s, struct msg *m);
/* The kill of `s` was delivered (its group memberships are gone): close
 * it, or start draining when it asked for an acknowledgement. Releases the
 * private name either way; `s` stays valid until the reap phase. */
void sess_kill_delivered(struct sessions *ss, struct sess *s);

static inline int sess_wants_membership(const struct sess *s)
{
    return s->membership && s->state == SESS_OPEN;
}

/* A receiver whose queue is a quarter full slows down its senders. */
static inline int sess_congested(const struct sessions *ss, const struct sess *s)
{
    return s->wq_len > ss->opts.max_queued / 4;
}

/* Flow control (docs/design.md, "Flow control and fairness"). A receiver
 * is congested while its queue is a quarter of max_queued full. A sender
 * whose message finds a receiver R congested stops being read until R has
 * drained to an eighth of max_queued (or is gone), at most opts.wait_ms
 * at a time; unless, among its last SESS_MIXED_MSGS messages, it sent one
 * that R did not receive but some receiver that was not congested did:
 * waiting would slow that other traffic as much. So a slow receiver slows
 * down, to its own pace, the senders whose traffic all reaches it (and
 * only the groups it is in); one that cannot keep up with a sender that
 * also sends elsewhere fills its queue and is dropped at max_queued, with
 * a logged reason. A message that reached nobody slows nobody down when
 * its sender waits, so it does not count.
 *
 * Per message: sess_flow_begin() with its originator (NULL: not a local
 * session), sess_flow_note() for each receiver after queueing the message
 * for it, sess_fanout_done() at the end. */
#define SESS_MIXED_MSGS 64

struct sess_flow {
    int congested_any;          /* a receiver is congested now */
    struct sess *congested;     /* one of them */
    unsigned n_free;            /* receivers not congested */
    int watching;               /* the sender keeps track of receivers
                                * (if not, the next two are unused) */
    unsigned reached;           /* bit k: watch[k] of the sender got it */
    uint32_t watch_id[SESS_WATCH];
};
/* These run for every message and every receiver: the common case (no
 * congestion, a sender that never met any) is inline; the rest is in
 * sess.c. */
void sess_flow_watch_begin(struct sess_flow *f, const struct sess *sender);
void sess_flow_reached(struct sess_flow *f, const struct sess *receiver);
void sess_fanout_slow(struct sessions *ss, struct sess *sender,
                      const struct sess_flow *f);

static inline void sess_flow_begin(struct sess_flow *f,
                                   const struct sess *sender)
{
    f->congested_any = 0;
    f->congested = NULL;
    f->n_free = 0;
    f->watching = sender != NULL && sender->n_watch > 0;
    if (f->watching)
        sess_flow_watch_begin(f, sender);
}

static inline void sess_flow_note(struct sessions *ss, struct sess *r,
                                  struct sess_flow *f)
{
    if (sess_congested(ss, r)) {
        f->congested_any = 1;
        f->congested = r;
    } else {
        f->n_free++;
    }
    if (f->watching)
        sess_flow_reached(f, r);
}

static inline void sess_fanout_done(struct sessions *ss, struct sess *sender,
                                    const struct sess_flow *f)
{
    if (sender == NULL)
        return;
    sender->n_sent++;
    if (f->congested_any || (f->watching && f->n_free > 0))
        sess_fanout_slow(ss, sender, f);
}

/* Mark the session for fan-out serial `stamp`; 1 if it had not got it. */
static inline int sess_stamp(struct sess *s, uint64_t stamp)
{
    if (s->stamp == stamp)
        return 0;
    s->stamp = stamp;
    return 1;
}

const char *sess_state_name(enum sess_state st);

#endif /* COHORT_DAEMON_SESS_H */
