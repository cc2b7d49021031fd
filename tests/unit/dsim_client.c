/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * dsim clients: a small non-blocking client of the client protocol
 * (shared/spec/client-protocol.md §3, §5, §7-§9) over a real unix socket,
 * stepped by the simulator, that writes the client log evscheck reads
 * (tests/lib/evscheck.h), like tests/lib/evsclient does with libspread.
 * libspread cannot be used here: its calls block, and the daemon they
 * wait for runs on the caller's own loop.
 *
 * A client connects with the membership flag, joins the group it sends
 * to ("g" or "h") and sometimes the other one too, and once it has a view
 * of its group sends numbered messages of the six services, each logged
 * (SEND) before its frame is queued. The body is "<private group>
 * <counter> " then a filler derived from the counter, so that a receiver
 * checks what it got byte for byte. Every frame received is checked and
 * logged as it comes; the end of the connection is END lost, the end of
 * the run END quit.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal/wire.h"
#include "dsim_int.h"

#define MAX_FRAME_GROUPS 4096       /* members in a view: far more than
                                     * 16 daemons' clients */

static const char *serv_word(uint32_t t)
{
    if (t & SAFE_MESS)
        return "SAFE";
    if (t & AGREED_MESS)
        return "AGREED";
    if (t & CAUSAL_MESS)
        return "CAUSAL";
    if (t & FIFO_MESS)
        return "FIFO";
    if (t & RELIABLE_MESS)
        return "RELIABLE";
    return "UNRELIABLE";
}

static void begin(struct dsim_client *c, const char *kind)
{
    dsim_printf(&c->log, "%" PRId64 " %s", dsim_wall_ms(c->s), kind);
}

static void name_field(char out[MAX_GROUP_NAME], const char *name)
{
    memset(out, 0, MAX_GROUP_NAME);
    memcpy(out, name, strnlen(name, MAX_GROUP_NAME - 1));
}

/* A 32-byte name field as text (bounded, no NUL needed). */
static void add_name(struct dsim_client *c, const unsigned char *field)
{
    char name[MAX_GROUP_NAME + 1];
    size_t n = spw_field_len((const char *)field);

    memcpy(name, field, n);
    name[n] = '\0';
    dsim_printf(&c->log, " %s", name);
}

static unsigned char filler(uint32_t counter, size_t j)
{
    return (unsigned char)('a' + (counter * 7u + (unsigned)j) % 26u);
}

/* ---- frames out ------------------------------------------------------------ */

static void queue_frame(struct dsim_client *c, uint32_t type,
                        const char *group, const void *body, size_t len)
{
    unsigned char hdr[SPW_HEADER_LEN];
    struct spw_header h;
    char g[MAX_GROUP_NAME];

    memset(&h, 0, sizeof h);
    h.type = type;
    name_field(h.sender, c->pg);
    h.num_groups = 1;
    h.hint = spw_hint_from_mess_type(0);
    h.data_len = (int32_t)len;
    spw_header_encode(hdr, &h);
    name_field(g, group);
    dsim_append(&c->out, hdr, sizeof hdr);
    dsim_append(&c->out, g, sizeof g);
    if (len)
        dsim_append(&c->out, body, len);
}

static size_t pick_size(struct dsim *s)
{
    unsigned r = dsim_below(s, 100);
    size_t len;

    if (r < 70)
        len = 20 + dsim_below(s, 300);
    else if (r < 95)
        len = 300 + dsim_below(s, 3000);
    else
        len = s->o.max_size / 2 + dsim_below(s, s->o.max_size / 2 + 1);
    return len > s->o.max_size ? s->o.max_size : len;
}

static void send_one(struct dsim_client *c)
{
    static const uint32_t servs[] = {
        UNRELIABLE_MESS, RELIABLE_MESS, FIFO_MESS, CAUSAL_MESS, AGREED_MESS,
        SAFE_MESS
    };
    struct dsim *s = c->s;
    uint32_t counter = c->sent + 1;
    uint32_t type;
    unsigned k, n_on = 0, pick;
    unsigned char *body = s->scratch;
    size_t len, n, j;

    for (k = 0; k < 6; k++)
        n_on += (s->o.services >> k) & 1u;
    pick = dsim_below(s, n_on);
    for (k = 0; k < 6; k++)
        if (((s->o.services >> k) & 1u) && pick-- == 0)
            break;
    type = servs[k];
    len = pick_size(s);
    n = (size_t)snprintf((char *)body, 64, "%s %" PRIu32 " ", c->pg,
                         counter);
    if (len < n)
        len = n;
    for (j = n; j < len; j++)
        body[j] = filler(counter, j);
    begin(c, "SEND");
    dsim_printf(&c->log, " %s %s %s %" PRIu32 "\n", c->dest,
                serv_word(type), c->pg, counter);
    queue_frame(c, type, c->dest, body, len);
    c->sent++;
    s->res->sent++;
    dsim_trace(s, "c%u@n%d SEND %s %s %u (%zu bytes)", c->id, c->daemon,
               c->dest, serv_word(type), counter, len);
}

/* ---- frames in ---------------------------------------------------------------- */

static int log_data(struct dsim_client *c, uint32_t type,
                    const unsigned char *sender, const unsigned char *group,
                    const unsigned char *body, size_t len)
{
    char who[MAX_GROUP_NAME + 1], snd[MAX_GROUP_NAME + 1], text[80];
    unsigned long counter;
    size_t n = len < sizeof text - 1 ? len : sizeof text - 1, j, k;
    int used = 0;

    memcpy(text, body, n);
    text[n] = '\0';
    memcpy(snd, sender, MAX_GROUP_NAME);
    snd[spw_field_len((const char *)sender)] = '\0';
    if (sscanf(text, "%32s %lu %n", who, &counter, &used) != 2 || used == 0) {
        dsim_fail(c->s, "c%u: a message from %s that no client built",
                  c->id, snd);
        return -1;
    }
    for (j = (size_t)used, k = 0; j < len; j++, k++)
        if (body[j] != filler((uint32_t)counter, j)) {
            dsim_fail(c->s, "c%u: message %s %lu corrupt at byte %zu of %zu",
                      c->id, who, counter, j, len);
            return -1;
        }
    begin(c, "MSG");
    add_name(c, group);
    dsim_printf(&c->log, " %s %s %lu", snd, serv_word(type), counter);
    if (strcmp(who, snd) != 0)
        dsim_printf(&c->log, " %s", who);
    dsim_append(&c->log, "\n", 1);
    c->s->res->received++;
    if (strcmp(who, c->pg) == 0)
        c->own_back++;
    return 0;
}

static uint32_t get32(const unsigned char *p)
{
    return spw_get32(p);
}

static int log_view(struct dsim_client *c, uint32_t type,
                    const unsigned char *group, const unsigned char *members,
                    int n_members, const unsigned char *body, size_t len)
{
    const char *cause = (type & CAUSED_BY_JOIN) ? "JOIN"
                        : (type & CAUSED_BY_LEAVE) ? "LEAVE"
                        : (type & CAUSED_BY_DISCONNECT) ? "DISCONNECT"
                        : "NETWORK";
    uint32_t nsets, own, off = 20, i, k;
    int i_am;

    if (len < 20)
        goto bad;
    nsets = get32(body + 12);
    own = get32(body + 16);
    begin(c, "REG");
    add_name(c, group);
    dsim_printf(&c->log, " %" PRIu32 ":%" PRIu32 ":%" PRIu32 " %s",
                get32(body), get32(body + 4), get32(body + 8), cause);
    for (i = 0; i < (uint32_t)n_members; i++)
        add_name(c, members + (size_t)i * MAX_GROUP_NAME);
    for (i = 0; i < nsets; i++) {
        uint32_t m;

        if (off + 4 > len)
            goto bad;
        m = get32(body + off);
        if (m > (len - off - 4) / MAX_GROUP_NAME)
            goto bad;
        dsim_printf(&c->log, " %s", off - 20 == own ? "VS*" : "VS");
        for (k = 0; k < m; k++)
            add_name(c, body + off + 4 + (size_t)k * MAX_GROUP_NAME);
        off += 4 + m * MAX_GROUP_NAME;
    }
    dsim_append(&c->log, "\n", 1);
    i_am = strncmp((const char *)group, c->dest, MAX_GROUP_NAME) == 0;
    if (i_am)
        c->in_view = 1;
    return 0;
bad:
    dsim_fail(c->s, "c%u: a view body of %zu bytes that does not parse",
              c->id, len);
    return -1;
}

/* One whole frame; 0, or -1 (the run failed). */
static int on_frame(struct dsim_client *c, const struct spw_header *h,
                    const unsigned char *groups, const unsigned char *body)
{
    uint32_t t = h->type & ~(uint32_t)ENDIAN_RESERVED;
    const unsigned char *sender = (const unsigned char *)h->sender;
    size_t len = (size_t)h->data_len;

    if (t & REJECT_MESS) {
        dsim_fail(c->s, "c%u: a reject notice (type %#x)", c->id,
                  (unsigned)t);
        return -1;
    }
    if (t & REGULAR_MESS) {
        if (h->num_groups < 1) {
            dsim_fail(c->s, "c%u: a data message without groups", c->id);
            return -1;
        }
        return log_data(c, t, sender, groups, body, len);
    }
    if (t & REG_MEMB_MESS)
        return log_view(c, t, sender, groups, h->num_groups, body, len);
    if (t & TRANSITION_MESS) {
        begin(c, "TRANS");
        add_name(c, sender);
        if (len >= 12)
            dsim_printf(&c->log, " %" PRIu32 ":%" PRIu32 ":%" PRIu32,
                        get32(body), get32(body + 4), get32(body + 8));
        dsim_append(&c->log, "\n", 1);
        return 0;
    }
    if (t & CAUSED_BY_LEAVE) {
        begin(c, "LEFT");
        add_name(c, sender);
        dsim_append(&c->log, "\n", 1);
        return 0;
    }
    dsim_fail(c->s, "c%u: a frame of type %#x", c->id, (unsigned)t);
    return -1;
}

/* Every whole frame in c->in; 0 or -1. */
static int parse_frames(struct dsim_client *c)
{
    size_t off = 0;
    int rc = 0;

    while (rc == 0 && c->in.len - off >= SPW_HEADER_LEN) {
        const unsigned char *p = (const unsigned char *)c->in.p + off;
        struct spw_header h;
        size_t need;

        spw_header_decode(p, &h);
        if (h.num_groups < 0 || h.num_groups > MAX_FRAME_GROUPS ||
            h.data_len < 0 || h.data_len > SPW_MAX_MESSAGE_BODY_LEN) {
            dsim_fail(c->s, "c%u: a frame header with %d groups and %d "
                      "bytes", c->id, (int)h.num_groups, (int)h.data_len);
            return -1;
        }
        need = SPW_HEADER_LEN + (size_t)h.num_groups * MAX_GROUP_NAME +
               (size_t)h.data_len;
        if (c->in.len - off < need)
            break;
        rc = on_frame(c, &h, p + SPW_HEADER_LEN,
                      p + SPW_HEADER_LEN +
                          (size_t)h.num_groups * MAX_GROUP_NAME);
        off += need;
    }
    dsim_consume(&c->in, off);
    return rc;
}

/* ---- the handshake --------------------------------------------------------------- */

static int start(struct dsim_client *c)
{
    struct dsim_daemon *dd = &c->s->d[c->daemon];
    const char *path = daemon_unix_path(&dd->d);
    struct sockaddr_un sa;
    unsigned char hello[5 + 10];
    char user[16];
    size_t n;
    int fd;

    if (!dd->up || dd->inc != c->inc || path == NULL) {
        c->state = DC_ENDED;    /* its daemon died before it connected */
        return 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        dsim_fail(c->s, "c%u: connect %s: %s", c->id, path,
                  strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    c->fd = fd;
    n = (size_t)snprintf(user, sizeof user, "c%u", c->id);
    hello[0] = SPW_VERSION_MAJOR;
    hello[1] = SPW_VERSION_MINOR;
    hello[2] = SPW_VERSION_PATCH;
    hello[3] = SPW_CONNECT_FLAG_MEMBERSHIP;
    hello[4] = (unsigned char)n;
    memcpy(hello + 5, user, n);
    dsim_append(&c->out, hello, 5 + n);
    c->state = DC_HELLO;
    return 1;
}

/* The handshake's replies in c->in; 0 to go on, -1 on a failure. */
static int handshake(struct dsim_client *c)
{
    const unsigned char *p = (const unsigned char *)c->in.p;
    unsigned char choice[SPW_AUTH_CHOICE_LEN];

    if (c->state == DC_HELLO && c->in.len >= 1) {
        int l = (signed char)p[0];

        if (l < 0 || l > SPW_AUTH_CHOICE_LEN) {
            dsim_fail(c->s, "c%u: connect refused (%d)", c->id, l);
            return -1;
        }
        if (c->in.len < 1 + (size_t)l)
            return 0;
        dsim_consume(&c->in, 1 + (size_t)l);
        memset(choice, 0, sizeof choice);
        memcpy(choice, "NULL", 4);
        dsim_append(&c->out, choice, sizeof choice);
        c->state = DC_ACCEPT;
        p = (const unsigned char *)c->in.p;
    }
    if (c->state == DC_ACCEPT && c->in.len >= 5) {
        size_t g = p[4];

        if (p[0] != 1 || g == 0 || g >= MAX_GROUP_NAME) {
            dsim_fail(c->s, "c%u: handshake refused (%d, %zu)", c->id,
                      (signed char)p[0], g);
            return -1;
        }
        if (c->in.len < 5 + g)
            return 0;
        memcpy(c->pg, p + 5, g);
        c->pg[g] = '\0';
        dsim_consume(&c->in, 5 + g);
        c->state = DC_OPEN;
        begin(c, "CLIENT");
        dsim_printf(&c->log, " %s\n", c->pg);
        queue_frame(c, SPW_JOIN_MESS, c->dest, NULL, 0);
        if (c->both)
            queue_frame(c, SPW_JOIN_MESS, c->dest[0] == 'g' ? "h" : "g",
                        NULL, 0);
        dsim_trace(c->s, "c%u@n%d OPEN %s", c->id, c->daemon, c->pg);
    }
    return 0;
}

/* ---- stepping -------------------------------------------------------------------- */

static void end(struct dsim_client *c, const char *how)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    if (c->state >= DC_OPEN) {
        begin(c, "END");
        dsim_printf(&c->log, " %s\n", how);
    }
    c->state = DC_ENDED;
    dsim_trace(c->s, "c%u@n%d END %s", c->id, c->daemon, how);
}

/* Read all there is; 1 if bytes came, -1 at the end of the stream. */
static int read_all(struct dsim_client *c)
{
    char buf[65536];
    int got = 0;

    for (;;) {
        ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);

        if (r > 0) {
            dsim_append(&c->in, buf, (size_t)r);
            got = 1;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return got;
        return -1;              /* EOF, or the daemon reset it */
    }
}

/* Write what is queued; 1 if bytes went. */
static int write_some(struct dsim_client *c)
{
    int went = 0;

    while (c->out.len > 0 && !c->peer_gone) {
        ssize_t r = send(c->fd, c->out.p, c->out.len,
                         MSG_DONTWAIT | MSG_NOSIGNAL);

        if (r > 0) {
            dsim_consume(&c->out, (size_t)r);
            went = 1;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            c->peer_gone = 1;   /* read what is left, then the end */
        }
    }
    return went;
}

int dsim_client_step(struct dsim_client *c, int readable)
{
    struct dsim *s = c->s;
    uint64_t now = dsim_now(s);
    int did = 0, r = 0;

    if (c->fd < 0)
        return start(c) < 0 ? 0 : 1;
    if (readable || c->peer_gone) {
        r = read_all(c);
        did |= r > 0;
        if (c->state != DC_OPEN && handshake(c) < 0)
            return 0;
        if (c->state == DC_OPEN && parse_frames(c) < 0)
            return 0;
        if (r < 0) {
            end(c, "lost");
            return 1;
        }
    }
    if (c->state == DC_OPEN && c->in_view && c->out.len == 0 &&
        now >= c->next_send_ms && now < s->traffic_end) {
        send_one(c);
        c->next_send_ms = now + 1 + dsim_below(s, 2 * s->o.rate_ms);
        did = 1;
    }
    did |= write_some(c);
    return did;
}

uint64_t dsim_client_next(const struct dsim_client *c)
{
    if (c->state == DC_ENDED)
        return UINT64_MAX;
    if (c->fd < 0)
        return c->start_ms;
    if (c->state == DC_OPEN && c->in_view && c->out.len == 0 &&
        c->next_send_ms < c->s->traffic_end)
        return c->next_send_ms;
    return UINT64_MAX;
}

int dsim_client_settled(const struct dsim_client *c)
{
    return c->state == DC_OPEN && c->in_view && c->out.len == 0 &&
           c->own_back == c->sent;
}

void dsim_client_kill(struct dsim_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = DC_ENDED;
    dsim_trace(c->s, "c%u@n%d KILLED", c->id, c->daemon);
}

void dsim_client_quit(struct dsim_client *c)
{
    if (c->state == DC_OPEN) {
        /* SP_disconnect: a KILL naming itself, then close. */
        c->out.len = 0;
        queue_frame(c, SPW_KILL_MESS, c->pg, NULL, 0);
        write_some(c);
    }
    end(c, "quit");
}

int dsim_client_new(struct dsim *s, int i, uint64_t at)
{
    struct dsim_client *c = calloc(1, sizeof *c);

    if (c == NULL) {
        dsim_fail(s, "out of memory");
        return -1;
    }
    if (s->ncl == s->capcl) {
        unsigned cap = s->capcl ? 2 * s->capcl : 32;
        struct dsim_client **v = realloc(s->cl, cap * sizeof *v);

        if (v == NULL) {
            free(c);
            dsim_fail(s, "out of memory");
            return -1;
        }
        s->cl = v;
        s->capcl = cap;
    }
    c->s = s;
    c->id = s->ncl;
    c->daemon = i;
    c->inc = s->d[i].inc;
    c->fd = -1;
    c->start_ms = at;
    c->dest = dsim_below(s, 3) == 0 ? "h" : "g";
    c->both = dsim_below(s, 2) == 0;
    c->next_send_ms = at + dsim_below(s, s->o.rate_ms + 1);
    s->cl[s->ncl++] = c;
    return 0;
}

void dsim_client_free(struct dsim_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->in.p);
    free(c->out.p);
    free(c->log.p);
    free(c);
}
