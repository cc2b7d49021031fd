/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * sess_int.h: what sess.c, sess_hs.c and sess_io.c share and nobody else
 * uses. The handshake parsers are exposed here for the unit tests.
 */
#ifndef COHORT_DAEMON_SESS_INT_H
#define COHORT_DAEMON_SESS_INT_H

#include <stdarg.h>

#include "sess.h"

/* ---- sess.c ---- */
void sess_set_state(struct sess *s, enum sess_state st, const char *why);
/* Handshake phases: close at once (optionally after a one-byte reject,
 * code 0 = none). */
void sess_close_now(struct sess *s, int reject_code, const char *why);
/* Open session: stop I/O, submit the kill, log. `warn` selects a
 * default-visible warning (protocol violations, overflow, errors). */
void sess_drop(struct sess *s, unsigned kill_flags, int warn,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Reserve s->pgroup. 0, or -1 if another session holds it. */
int sess_reserve_name(struct sess *s);
/* Arm (or stop) the open session's deadline timer for the earlier of
 * frame_deadline and write_deadline. */
void sess_io_deadlines(struct sess *s);
/* Make the input buffer hold at least `need` bytes. 0 or -ENOMEM. */
int sess_rbuf_reserve(struct sess *s, size_t need);
/* Drop consumed input; give memory back when nothing is pending. */
void sess_rbuf_consume(struct sess *s, size_t n);
const char *sess_label(const struct sess *s, char *buf, size_t len);
/* Queue-independent write of a small handshake reply; 0 or -1. */
int sess_write_all(struct sess *s, const void *buf, size_t len);

/* A new session in the first handshake state, linked into ss->all, with
 * its watchers initialised but not started; NULL without memory. */
struct sess *sess_new(struct sessions *ss, int fd, int is_unix,
                      const struct sockaddr_storage *sa, socklen_t salen);
/* Reap a session sess_new() made that admission turned away; its
 * descriptor is already closed and it was never in a handshake count. */
void sess_discard(struct sess *s);

/* ---- sess_accept.c ---- */
/* s leaves the handshake states (sess_set_state calls it): uncount it, and
 * watch the listeners again if the handshake cap had paused them. */
void sess_hs_left(struct sess *s);
/* The accept backoff timer's callback (sess_init sets it up). */
void sess_accept_backoff_over(struct ev *ev, struct ev_timer *t);
/* Close the listeners and the spare descriptor, remove the unix socket. */
void sess_listeners_fini(struct sessions *ss);

/* ---- sess_hs.c ---- */
void sess_hs_start(struct sess *s);
void sess_hs_readable(struct sess *s);
void sess_hs_timeout(struct sess *s);

/* The parsed connect message (client-protocol.md §3.1, §3.7). */
struct hs_connect {
    unsigned char major, minor, patch, flags;
    int name_len;
    char name[MAX_PRIVATE_NAME + 1];
    size_t consumed;          /* bytes of the message */
    int has_patch;            /* 3 version bytes read (>= 3.15): reply has one */
    int auth_list;            /* >= 3.16: auth list and choice follow */
};
#define HS_MORE 0
#define HS_OK 1
/* HS_MORE, HS_OK, or a negative REJECT_* code. */
int hs_parse_connect(const unsigned char *b, size_t len, struct hs_connect *c);
/* 0 with *requested = method bits, or REJECT_AUTH. */
int hs_parse_choice(const unsigned char b[90], unsigned allowed,
                    unsigned *requested);
/* 1 if the connect message is cut inside the name (for timeouts). */
int hs_in_name(const unsigned char *b, size_t len);

/* ---- sess_io.c ---- */
/* Read what the socket holds (edge-triggered: until a short read or the
 * fairness budget), starting with bytes left in the input buffer. */
void sess_io_readable(struct sess *s);
/* s has whole frames left that a per-pass limit kept it from handling;
 * served: it handled some in this pass. See sessions.starved_head. */
void sess_backlog_push(struct sess *s, int served);
/* s stops reading until order has send space again (order_on_space). */
void sess_hold(struct sess *s);
/* Right after acceptance: handle frames buffered with the handshake; read
 * on only when `more` (the last handshake read filled its buffer). */
void sess_io_start(struct sess *s, int more);

#endif /* COHORT_DAEMON_SESS_INT_H */
