/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * sess_hs: the connect handshake (client-protocol.md §3) as a per-session,
 * non-blocking state machine.
 *
 * Deliberate differences from upstream 5.0.1, which handled one new
 * connection at a time with single non-blocking reads:
 * - other connections are accepted and served while a client is slow;
 * - the connect message and the 90-byte choice may arrive split across any
 *   number of segments, and a choice pipelined right behind the connect
 *   message is kept: bytes are buffered until a phase is complete;
 * - timeouts replace the single reads: a connect message not complete
 *   within 1 s is dropped (silently, or with REJECT_ILLEGAL_NAME when it
 *   stopped inside the name, which is what upstream answered); a choice
 *   that started but is not complete within 0.5 s gets REJECT_AUTH (what
 *   upstream answered to a short choice), and so does any handshake not
 *   complete 5 s after the accept (opts.hs_ms);
 * - a name in use by a session is refused after the connect message, as
 *   upstream does, but a name is reserved only once the connection is
 *   authenticated (and a random name is chosen only then), so that a
 *   connection that never authenticates cannot keep a name taken; two
 *   handshakes racing for a free name: the first to authenticate gets it,
 *   the other gets REJECT_NOT_UNIQUE in place of the accept;
 * - a client naming three methods is judged on the three slots (upstream
 *   read past the block and always refused);
 * - the accept reply goes out in one write.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal/wire.h"
#include "actlog.h"
#include "auth.h"
#include "log.h"
#include "order.h"
#include "sess_int.h"

#define HS_BUF 256

static int version_of(const unsigned char *b, int patch)
{
    return b[0] * 10000 + b[1] * 100 + patch;
}

int hs_parse_connect(const unsigned char *b, size_t len, struct hs_connect *c)
{
    size_t off;
    int i;

    memset(c, 0, sizeof *c);
    if (len < 2)
        return HS_MORE;
    c->major = b[0];
    c->minor = b[1];
    off = 2;
    if (version_of(b, 0) > 31400) {
        if (len < 3)
            return HS_MORE;
        c->patch = b[2];
        c->has_patch = 1;
        off = 3;
    }
    if (version_of(b, c->patch) < 30100)
        return REJECT_VERSION;
    c->auth_list = version_of(b, c->patch) >= 31600;
    if (len < off + 2)
        return HS_MORE;
    c->flags = b[off];
    c->name_len = (signed char)b[off + 1];
    off += 2;
    if (c->name_len < 0 || c->name_len > MAX_PRIVATE_NAME)
        return REJECT_ILLEGAL_NAME;
    if (len < off + (size_t)c->name_len)
        return HS_MORE;
    for (i = 0; i < c->name_len; i++) {
        if (!spw_name_char_ok(b[off + (size_t)i]))
            return REJECT_ILLEGAL_NAME;
        c->name[i] = (char)b[off + (size_t)i];
    }
    c->name[c->name_len] = '\0';
    c->consumed = off + (size_t)c->name_len;
    return HS_OK;
}

int hs_in_name(const unsigned char *b, size_t len)
{
    size_t off;

    if (len < 2)
        return 0;
    off = version_of(b, 0) > 31400 ? 3 : 2;
    return len >= off + 2;
}

int hs_parse_choice(const unsigned char b[90], unsigned allowed,
                    unsigned *requested)
{
    int i;

    *requested = 0;
    for (i = 0; i < SPW_MAX_AUTH_METHODS; i++) {
        const char *slot = (const char *)b + i * SPW_MAX_AUTH_NAME;
        size_t n = 0;
        unsigned bit;

        while (n < SPW_MAX_AUTH_NAME && slot[n] != '\0')
            n++;
        if (n == 0)
            break;
        bit = auth_method_bit(slot, n);
        if (bit == 0 || !(allowed & bit))
            return REJECT_AUTH;
        *requested |= bit;
    }
    return *requested ? 0 : REJECT_AUTH;
}

/* Arm the session timer for `ms`, but never past the end of the whole
 * handshake. */
static void hs_arm(struct sess *s, unsigned ms)
{
    uint64_t now = ev_now(s->ss->ev);
    uint64_t left = s->hs_deadline > now ? s->hs_deadline - now : 0;

    ev_timer_start(s->ss->ev, &s->timer, ms < left ? ms : left);
}

void sess_hs_start(struct sess *s)
{
    hs_arm(s, s->ss->opts.connect_ms);
}

/* name (at most 10 characters) and "#name#daemon" (at most 31). */
static void set_name(struct sess *s, const char *name)
{
    size_t n = strnlen(name, MAX_PRIVATE_NAME);
    size_t dn = strnlen(s->ss->my_name, sizeof s->ss->my_name - 1);

    memset(s->name, 0, sizeof s->name);
    memcpy(s->name, name, n);
    memset(s->pgroup, 0, sizeof s->pgroup);
    s->pgroup[0] = '#';
    memcpy(s->pgroup + 1, name, n);
    s->pgroup[1 + n] = '#';
    memcpy(s->pgroup + 2 + n, s->ss->my_name, dn);
}

/* An empty name asks for one: r<0..9998>-<fd>, at most 9 characters,
 * chosen and reserved once the session is authenticated. */
static int random_name(struct sess *s)
{
    int tries;

    for (tries = 0; tries < 10000; tries++) {
        char buf[32];
        uint32_t x = s->ss->rand_state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s->ss->rand_state = x;
        snprintf(buf, sizeof buf, "r%u-%d", x % 9999u, s->fd);
        buf[9] = '\0';
        set_name(s, buf);
        if (sess_reserve_name(s) == 0)
            return 0;
    }
    return -1;
}

/* The session is authenticated: only now may it take a place in the
 * quota and a name. A name another session took during this handshake,
 * or a quota filled meanwhile, is refused in place of the accept. */
static int take_place(struct sess *s)
{
    if (s->ss->n_sess >= s->ss->opts.max_sessions) {
        sess_close_now(s, REJECT_QUOTA, "session limit reached during the "
                       "handshake");
        return -1;
    }
    if (s->random_name ? random_name(s) < 0 : sess_reserve_name(s) < 0) {
        sess_close_now(s, REJECT_NOT_UNIQUE, s->random_name
                       ? "no free random name" : "name taken during the handshake");
        return -1;
    }
    return 0;
}

static void accept_session(struct sess *s, int has_patch)
{
    unsigned char reply[5 + MAX_GROUP_NAME];
    size_t n = 0, glen;
    char lb[128];

    if (take_place(s) < 0)
        return;
    glen = strlen(s->pgroup);
    reply[n++] = ACCEPT_SESSION;
    reply[n++] = SPW_VERSION_MAJOR;
    reply[n++] = SPW_VERSION_MINOR;
    if (has_patch)
        reply[n++] = SPW_VERSION_PATCH;
    reply[n++] = (unsigned char)glen;
    memcpy(reply + n, s->pgroup, glen);
    n += glen;
    if (sess_write_all(s, reply, n) < 0) {
        sess_close_now(s, 0, "could not send the accept reply");
        return;
    }
    ev_timer_stop(s->ss->ev, &s->timer);
    sess_set_state(s, SESS_OPEN, "accepted");
    s->accepted = 1;
    if (s->ss->actlog != NULL)
        actlog_connect(s->ss->actlog, order_delivered(s->ss->order), s->fd,
                       s->peer_ip, s->name);
    log_msg(s->ss->log, LOG_C_SESSION, LOG_INFO,
            "%s: accepted as %s (client %u.%u.%u%s)",
            sess_label(s, lb, sizeof lb), s->pgroup, s->major, s->minor,
            s->patch, s->membership ? ", membership" : "");
    /* Frames pipelined behind the handshake are handled now; the socket
     * is read on only if the last read may have left bytes behind, or the
     * client's end of stream is still to be read (later bytes raise their
     * own edge). */
    sess_io_start(s, s->hs_full || s->peer_hup);
}

/* Methods for clients that send no choice (older than 3.16): NULL, or IP
 * when it is enabled; plus the required ones. */
static void decide_old_client(struct sess *s, int has_patch)
{
    const struct auth *a = s->ss->auth;
    unsigned methods = (a->allowed & AUTH_IP) ? AUTH_IP : (a->allowed & AUTH_NULL);

    methods |= a->required;
    if (!auth_check(a, methods, (const struct sockaddr *)&s->peer_addr)) {
        sess_close_now(s, REJECT_AUTH, "authentication failed");
        return;
    }
    accept_session(s, has_patch);
}

static int has_patch_byte(const struct sess *s)
{
    return s->major * 10000 + s->minor * 100 > 31400;
}

static void hs_connect_phase(struct sess *s)
{
    struct hs_connect c;
    int rc = hs_parse_connect(s->rbuf, s->rlen, &c);
    const struct auth *a = s->ss->auth;
    unsigned char list[1 + sizeof a->list];
    size_t ll;

    if (rc == HS_MORE)
        return;
    if (rc < 0) {
        sess_close_now(s, rc, rc == REJECT_VERSION ? "client version older than 3.1"
                                                   : "illegal private name");
        return;
    }
    sess_rbuf_consume(s, c.consumed);
    s->major = c.major;
    s->minor = c.minor;
    s->patch = c.patch;
    s->flags = c.flags;
    s->membership = c.flags & SPW_CONNECT_FLAG_MEMBERSHIP;
    /* A name held by a session refuses the connection now, as upstream
     * does; but a name is reserved only after authentication, so that an
     * unauthenticated connection can never keep a name from its owner. */
    if (c.name_len == 0) {
        s->random_name = 1;
    } else {
        set_name(s, c.name);
        if (sess_find(s->ss, s->pgroup) != NULL) {
            sess_close_now(s, REJECT_NOT_UNIQUE, "name already in use");
            return;
        }
    }
    if (!c.auth_list) {
        decide_old_client(s, c.has_patch);
        return;
    }
    ll = strlen(a->list);
    list[0] = (unsigned char)ll;
    memcpy(list + 1, a->list, ll);
    if (sess_write_all(s, list, ll + 1) < 0) {
        sess_close_now(s, 0, "could not send the method list");
        return;
    }
    if (ll == 0) {
        sess_close_now(s, REJECT_AUTH, "no authentication method enabled");
        return;
    }
    sess_set_state(s, SESS_HS_AUTH, "method list sent");
    hs_arm(s, s->rlen ? s->ss->opts.partial_ms : s->ss->opts.hs_ms);
}

static void hs_auth_phase(struct sess *s)
{
    const struct auth *a = s->ss->auth;
    unsigned requested;

    if (s->rlen < SPW_AUTH_CHOICE_LEN) {
        /* A started choice must complete soon (upstream refused at once). */
        if (s->rlen > 0 && s->timer.when_ms > ev_now(s->ss->ev) + s->ss->opts.partial_ms)
            hs_arm(s, s->ss->opts.partial_ms);
        return;
    }
    if (hs_parse_choice(s->rbuf, a->allowed, &requested) < 0) {
        sess_close_now(s, REJECT_AUTH, "unknown or disabled authentication method");
        return;
    }
    sess_rbuf_consume(s, SPW_AUTH_CHOICE_LEN);
    if (!auth_check(a, requested | a->required,
                    (const struct sockaddr *)&s->peer_addr)) {
        sess_close_now(s, REJECT_AUTH, "authentication failed");
        return;
    }
    accept_session(s, has_patch_byte(s));
}

/* Edge-triggered: read until a short read (the socket is empty), the
 * session is open (the open-state reader takes over) or closed. */
void sess_hs_readable(struct sess *s)
{
    while (s->state < SESS_OPEN) {
        size_t room;
        ssize_t n;

        if (sess_rbuf_reserve(s, HS_BUF) < 0) {
            sess_close_now(s, 0, "out of memory");
            return;
        }
        if (s->rlen >= HS_BUF) {
            /* Impossible for a well-formed client: phases are shorter. */
            sess_close_now(s, 0, "handshake overflow");
            return;
        }
        room = HS_BUF - s->rlen;
        n = read(s->fd, s->rbuf + s->rlen, room);
        if (n == 0) {
            sess_close_now(s, 0, "peer closed the connection");
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                sess_close_now(s, 0, strerror(errno));
            return;
        }
        s->rlen += (size_t)n;
        s->hs_full = (size_t)n == room;
        if (s->state == SESS_HS_CONNECT)
            hs_connect_phase(s);
        if (s->state == SESS_HS_AUTH)
            hs_auth_phase(s);
        /* A short read emptied the socket, unless the client hung up:
         * then its end of stream is still to be read (see EV_HUP). */
        if (!s->hs_full && !s->peer_hup)
            return;
    }
}

void sess_hs_timeout(struct sess *s)
{
    int late = ev_now(s->ss->ev) >= s->hs_deadline;

    if (s->state == SESS_HS_CONNECT) {
        if (hs_in_name(s->rbuf, s->rlen))
            sess_close_now(s, REJECT_ILLEGAL_NAME, "private name incomplete in time");
        else
            sess_close_now(s, 0, "no connect message in time");
    } else if (s->state == SESS_HS_AUTH) {
        sess_close_now(s, REJECT_AUTH,
                       late ? "handshake not complete in time"
                       : s->rlen ? "authentication choice incomplete"
                                 : "no authentication choice");
    }
}
