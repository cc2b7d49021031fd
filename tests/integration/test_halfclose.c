/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: the daemon side of the half-close acknowledgement
 * (docs/protocol.md, "Half-close acknowledgement"). Raw sockets play the
 * disconnecting client, so that every byte the daemon sends back is
 * seen; real libspread clients play the observers and witnesses. Loop
 * index 0 runs over the unix socket, 1 over TCP.
 *
 * Nothing here sleeps to synchronise: every wait polls a socket, a
 * mailbox or the daemon's log up to a deadline. The drain timeout is the
 * daemon's fixed SESS_DRAIN_MS; the two tests that need it to pass wait
 * for it with a deadline of SESS_DRAIN_MS + 3 s.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"
#include "internal/wire.h"
#include "sess.h"           /* SESS_DRAIN_MS */

#define DEADLINE 5000
#define DRAIN_DEADLINE (SESS_DRAIN_MS + 3000)

/* Session lines at INFO: "disconnecting", "closed after its acknowledged
 * disconnect: <reason>". A large MaxSessionMessages lets the flood test
 * fill the kernel buffers without the receiver being dropped for it. */
#define DAEMON_EXTRA "EventPriority = pDEBUG\n" \
                     "DebugFlags = { EXIT PRINT CONFIGURATION SESSION }\n" \
                     "MaxSessionMessages = 4000\n"

#define CKDAEMON_EXTRA DAEMON_EXTRA
#include "../lib/ckdaemon.h"

/* ---- raw sessions ---- */

/* Connect over the loop's transport; rcvbuf > 0 fixes the receive buffer
 * (set before connecting, so that TCP does not grow it). */
static int raw_connect(int transport, int rcvbuf)
{
    int fd, one = 1;

    if (transport == 0) {
        struct sockaddr_un sa;
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        ck_assert_int_ge(fd, 0);
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%d", SP_UNIX_SOCKET,
                 daemon_.port);
        if (rcvbuf > 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    } else {
        struct sockaddr_in sa;
        fd = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_ge(fd, 0);
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((unsigned short)daemon_.port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (rcvbuf > 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* The 5.0.1 handshake with the NULL method, by hand. 0 when accepted,
 * with the private group NUL-padded into pg[MAX_GROUP_NAME]. */
static int raw_handshake(int fd, const char *name, char *pg)
{
    unsigned char hello[16], choice[90], reply[64];
    size_t nlen = strlen(name);

    hello[0] = 5;
    hello[1] = 0;
    hello[2] = 1;
    hello[3] = 0;   /* no membership messages: only the ack comes back */
    hello[4] = (unsigned char)nlen;
    memcpy(hello + 5, name, nlen);
    if (th_write_all(fd, hello, 5 + nlen) < 0 ||
        th_read_exact(fd, reply, 1, DEADLINE) != 1 || reply[0] != 5 ||
        th_read_exact(fd, reply, 5, DEADLINE) != 5)
        return -1;
    memset(choice, 0, sizeof choice);
    memcpy(choice, "NULL", 4);
    if (th_write_all(fd, choice, sizeof choice) < 0 ||
        th_read_exact(fd, reply, 5, DEADLINE) != 5 || reply[0] != 1 ||
        reply[4] >= MAX_GROUP_NAME ||
        th_read_exact(fd, reply + 5, reply[4], DEADLINE) != reply[4])
        return -1;
    memset(pg, 0, MAX_GROUP_NAME);
    memcpy(pg, reply + 5, reply[4]);
    return 0;
}

static int raw_session(int transport, const char *name, char *pg, int rcvbuf)
{
    int fd = raw_connect(transport, rcvbuf);
    ck_assert_msg(raw_handshake(fd, name, pg) == 0, "handshake of %s failed",
                  name);
    return fd;
}

static void raw_kill(int fd, const char *pg, int wants_ack)
{
    unsigned char h[SPW_HEADER_LEN];
    th_raw_header(h, SPW_KILL_MESS | (wants_ack ? SPW_KILL_WANTS_ACK : 0),
                  pg, 0, 0, 0);
    ck_assert_int_eq(th_write_all(fd, h, sizeof h), 0);
}

static void raw_join(int fd, const char *pg, const char *group)
{
    unsigned char f[SPW_HEADER_LEN + MAX_GROUP_NAME];
    th_raw_header(f, SPW_JOIN_MESS, pg, 1, 0, 0);
    memset(f + SPW_HEADER_LEN, 0, MAX_GROUP_NAME);
    strcpy((char *)f + SPW_HEADER_LEN, group);
    ck_assert_int_eq(th_write_all(fd, f, sizeof f), 0);
}

/* A message to its own private group, read back: everything the session
 * sent before it (its joins) has been applied. */
static void raw_barrier(int fd, const char *pg)
{
    unsigned char f[SPW_HEADER_LEN + MAX_GROUP_NAME + 4];
    struct spw_header h;

    th_raw_header(f, AGREED_MESS, pg, 1, 0, 4);
    memset(f + SPW_HEADER_LEN, 0, MAX_GROUP_NAME);
    memcpy(f + SPW_HEADER_LEN, pg, MAX_GROUP_NAME);
    memcpy(f + SPW_HEADER_LEN + MAX_GROUP_NAME, "sync", 4);
    ck_assert_int_eq(th_write_all(fd, f, sizeof f), 0);
    memset(f, 0, sizeof f);
    ck_assert_int_eq(th_read_exact(fd, f, sizeof f, DEADLINE), (long)sizeof f);
    spw_header_decode(f, &h);
    ck_assert(h.type & AGREED_MESS);
    ck_assert_int_eq(h.data_len, 4);
    ck_assert(memcmp(f + SPW_HEADER_LEN + MAX_GROUP_NAME, "sync", 4) == 0);
}

/* Read the acknowledgement and check every field (docs/protocol.md). */
static void expect_ack(int fd, const char *pg)
{
    unsigned char b[SPW_HEADER_LEN], want[4];
    struct spw_header h;

    ck_assert_int_eq(th_read_exact(fd, b, sizeof b, DEADLINE), SPW_HEADER_LEN);
    spw_header_decode(b, &h);
    /* The daemon runs on this host: its byte order is ours. */
    spw_put32(want, SPW_KILL_MESS | SPW_KILL_ACK | spw_native_mark());
    ck_assert(memcmp(b + SPW_OFF_TYPE, want, 4) == 0);
    if (spw_native_mark() != 0) {
        /* The example of docs/protocol.md, little-endian host. */
        ck_assert(memcmp(b, "\x80\x00\x04\x84", 4) == 0);
    }
    ck_assert_int_eq(h.foreign, 0);
    ck_assert(memcmp(h.sender, pg, MAX_GROUP_NAME) == 0);
    ck_assert_int_eq(h.num_groups, 0);
    ck_assert_uint_eq(h.hint, spw_native_mark());
    ck_assert_int_eq(h.data_len, 0);
}

/* 1: end of stream (recv returns 0) within ms and no byte before it;
 * 0: a byte came; -1: timeout; -2: an error such as a reset. */
static int strict_eof(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    char c;
    ssize_t n;

    if (poll(&p, 1, ms) <= 0)
        return -1;
    n = recv(fd, &c, 1, 0);
    if (n == 0)
        return 1;
    return n > 0 ? 0 : -2;
}

/* 1 once the daemon's end is gone (closed): a write fails or is answered
 * by a reset. The stream must already be at its end for reading. */
static int peer_closed(int fd, int ms)
{
    long long deadline = th_now_ms() + ms;

    while (th_now_ms() < deadline) {
        struct pollfd p = {fd, 0, 0};
        if (send(fd, "x", 1, MSG_NOSIGNAL) < 0)
            return errno == EPIPE || errno == ECONNRESET;
        if (poll(&p, 1, 50) > 0 && (p.revents & (POLLERR | POLLHUP)))
            return 1;
    }
    return 0;
}

/* Read whatever the daemon still sends until end of stream (or reset). */
static int read_to_end(int fd, int ms)
{
    static char buf[65536];
    long long deadline = th_now_ms() + ms;

    while (th_now_ms() < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n;
        if (poll(&p, 1, 100) <= 0)
            continue;
        n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return 1;
        if (n < 0 && errno != EINTR)
            return 0;
    }
    return 0;
}

/* ---- libspread witnesses ---- */

/* a and b (both in group "w") still exchange a message. */
static void witnesses_talk(mailbox a, mailbox b, const char *pa)
{
    ck_assert(th_daemon_alive(&daemon_));
    ck_assert_int_eq(SP_multicast(a, AGREED_MESS, "w", 0, 4, "ping"), 4);
    ck_assert(tc_expect_data(a, msg, pa, "ping"));
    ck_assert(tc_expect_data(b, msg, pa, "ping"));
}

static void witnesses_up(int transport, mailbox *a, mailbox *b, char *pa)
{
    char pb[MAX_GROUP_NAME];
    *a = connect_as(transport, "wa", 0, pa);
    *b = connect_as(!transport, "wb", 0, pb);
    ck_assert_int_eq(SP_join(*a, "w"), 0);
    ck_assert_int_eq(SP_join(*b, "w"), 0);
    ck_assert_int_eq(SP_multicast(*b, AGREED_MESS, "w", 0, 5, "ready"), 5);
    ck_assert(tc_expect_data(*b, msg, pb, "ready"));
    ck_assert(tc_expect_data(*a, msg, pb, "ready"));
}

/* ---- tests ---- */

/* (1) A marked KILL gets exactly one 48-byte acknowledgement, then end of
 * stream; the daemon closes once the client does. */
START_TEST(marked_kill_acked)
{
    char pg[MAX_GROUP_NAME];
    int fd = raw_session(_i, "acker", pg, 0);

    raw_kill(fd, pg, 1);
    expect_ack(fd, pg);
    ck_assert_int_eq(strict_eof(fd, DEADLINE), 1);
    close(fd);
    ck_assert_msg(th_log_wait(&daemon_, "closed after its acknowledged "
                              "disconnect: end of stream from the client",
                              DEADLINE), "drain end not logged");
}
END_TEST

/* (2) An unmarked KILL (every upstream client): nothing comes back, the
 * stream just ends. */
START_TEST(unmarked_kill_silent)
{
    char pg[MAX_GROUP_NAME];
    int fd = raw_session(_i, "plain", pg, 0);

    raw_kill(fd, pg, 0);
    ck_assert_int_eq(strict_eof(fd, DEADLINE), 1);
    close(fd);
    ck_assert(th_log_wait(&daemon_, "disconnecting: disconnect requested",
                          DEADLINE));
    ck_assert(!th_file_contains(daemon_.log, "acknowledged"));
}
END_TEST

/* One leaver's disconnect as the observer sees it, per group. */
struct seen {
    struct tc_msg m[2];
    membership_info info[2];
};

static void leave_and_watch(int transport, mailbox obs, int wants_ack,
                            struct seen *out)
{
    char pg[MAX_GROUP_NAME];
    int fd = raw_session(transport, "leaver", pg, 0), k;

    raw_join(fd, pg, "g1");
    raw_join(fd, pg, "g2");
    ck_assert(tc_expect_memb(obs, msg, "g1", CAUSED_BY_JOIN, 2, pg));
    ck_assert(tc_expect_memb(obs, msg, "g2", CAUSED_BY_JOIN, 2, pg));
    raw_kill(fd, pg, wants_ack);
    /* The daemon handles a disconnect's groups in name order. */
    for (k = 0; k < 2; k++) {
        ck_assert(tc_expect_memb(obs, &out->m[k], k ? "g2" : "g1",
                                 CAUSED_BY_DISCONNECT, 1, pg));
        ck_assert_int_eq(SP_get_memb_info(out->m[k].body,
                                          out->m[k].service_type,
                                          &out->info[k]), 1);
    }
    if (wants_ack)
        expect_ack(fd, pg);
    /* Either way, the session (and its name) is gone once the stream
     * ends; the next leaver can take the same name. */
    ck_assert_int_eq(strict_eof(fd, DEADLINE), 1);
    close(fd);
    ck_assert(tc_quiet(obs, 50));
}

/* (3) Members of the leaver's groups see the same membership messages
 * for a marked and an unmarked disconnect: same type, cause, members, and
 * body, apart from the group id's index (two changes later). */
START_TEST(same_membership_messages)
{
    static struct seen plain, acked;
    char po[MAX_GROUP_NAME];
    mailbox obs = connect_as(_i, "obs", 1, po);
    int k;

    ck_assert_int_eq(SP_join(obs, "g1"), 0);
    ck_assert(tc_expect_memb(obs, msg, "g1", CAUSED_BY_JOIN, 1, po));
    ck_assert_int_eq(SP_join(obs, "g2"), 0);
    ck_assert(tc_expect_memb(obs, msg, "g2", CAUSED_BY_JOIN, 1, po));
    leave_and_watch(_i, obs, 0, &plain);
    leave_and_watch(_i, obs, 1, &acked);
    for (k = 0; k < 2; k++) {
        const struct tc_msg *a = &plain.m[k], *b = &acked.m[k];
        uint32_t ia, ib;
        ck_assert_str_eq(a->sender, b->sender);
        ck_assert_int_eq(a->service_type, b->service_type);
        ck_assert(Is_reg_memb_mess(a->service_type));
        ck_assert(a->service_type & CAUSED_BY_DISCONNECT);
        ck_assert_int_eq(a->mess_type, b->mess_type);
        ck_assert_int_eq(a->num_groups, b->num_groups);
        ck_assert_int_eq(a->num_groups, 1);
        ck_assert_str_eq(a->groups[0], b->groups[0]);
        ck_assert_str_eq(a->groups[0], po);
        ck_assert_int_eq(a->ret, b->ret);
        ck_assert_str_eq(plain.info[k].changed_member,
                         acked.info[k].changed_member);
        /* Body: gid (id, time, index), then the sets: all equal except
         * the index, which grew by the join and the disconnect. */
        ck_assert(memcmp(a->body, b->body, 8) == 0);
        ck_assert(memcmp(a->body + 12, b->body + 12, (size_t)a->ret - 12) == 0);
        memcpy(&ia, a->body + 8, 4);
        memcpy(&ib, b->body + 8, 4);
        ck_assert_uint_eq(ib, ia + 2);
    }
    SP_disconnect(obs);
}
END_TEST

/* (4) The private name is free as soon as the kill is delivered: the same
 * name connects again while the old socket is still open and draining. */
START_TEST(reconnect_while_draining)
{
    char pg[MAX_GROUP_NAME], pg2[MAX_GROUP_NAME];
    int old = raw_session(_i, "again", pg, 0), fresh;

    raw_kill(old, pg, 1);
    expect_ack(old, pg);
    /* The old client has not closed: the daemon is draining it. */
    fresh = raw_connect(_i, 0);
    ck_assert_msg(raw_handshake(fresh, "again", pg2) == 0,
                  "same name refused while the old session drains");
    ck_assert(memcmp(pg, pg2, MAX_GROUP_NAME) == 0);
    ck_assert(!th_file_contains(daemon_.log, "closed after its acknowledged"));
    /* The new session is a full session: join, and hear itself. */
    raw_join(fresh, pg2, "g");
    raw_barrier(fresh, pg2);
    /* The old one still ends normally, and ending it leaves the new one
     * alone. */
    ck_assert_int_eq(strict_eof(old, DEADLINE), 1);
    close(old);
    ck_assert(th_log_wait(&daemon_, "end of stream from the client", DEADLINE));
    raw_barrier(fresh, pg2);
    raw_kill(fresh, pg2, 1);
    expect_ack(fresh, pg2);
    ck_assert_int_eq(strict_eof(fresh, DEADLINE), 1);
    close(fresh);
}
END_TEST

/* (5) A client that never closes after the acknowledgement (and keeps
 * sending junk, which is discarded) is closed by the daemon after
 * SESS_DRAIN_MS; other sessions work throughout. */
START_TEST(drain_timeout)
{
    static char junk[100000];
    char pg[MAX_GROUP_NAME], pa[MAX_GROUP_NAME];
    mailbox wa, wb;
    long long acked, closed;
    int fd;

    witnesses_up(_i, &wa, &wb, pa);
    fd = raw_session(_i, "idle", pg, 0);
    raw_kill(fd, pg, 1);
    expect_ack(fd, pg);
    acked = th_now_ms();
    ck_assert_int_eq(strict_eof(fd, DEADLINE), 1);
    memset(junk, 'j', sizeof junk);
    ck_assert_int_eq(th_write_all(fd, junk, sizeof junk), 0);
    while (!th_file_contains(daemon_.log, "no end of stream within")) {
        ck_assert_msg(th_now_ms() - acked < DRAIN_DEADLINE,
                      "draining session not closed after %d ms",
                      DRAIN_DEADLINE);
        witnesses_talk(wa, wb, pa);
        ck_assert(tc_quiet(wa, 20));
    }
    closed = th_now_ms();
    /* Not before the timeout: junk is not an end of stream. The timer
     * starts just before the ack is written, so allow for its trip. */
    ck_assert_msg(closed - acked >= SESS_DRAIN_MS - 1000,
                  "closed after %lld ms only", closed - acked);
    ck_assert(peer_closed(fd, DEADLINE));
    close(fd);
    witnesses_talk(wa, wb, pa);
    SP_disconnect(wa);
    SP_disconnect(wb);
}
END_TEST

/* A raw session "sleepy" in group "flood" that does not read, with its
 * kernel buffers full and messages queued for it in the daemon: a flooder
 * sends 120 x 100 kB, well beyond what the kernel holds for a receiver
 * that fixed its buffer (the daemon's send buffer grows to tcp_wmem's
 * maximum, 4 MB by default; a unix socket holds less), well below
 * MaxSessionMessages and the throttle mark (a quarter of it). */
static int flood_non_reader(int transport, char *pg, mailbox *fl, char *pf)
{
    static char body[100000];
    int fd = raw_session(transport, "sleepy", pg, 16384), k;

    raw_join(fd, pg, "flood");
    raw_barrier(fd, pg);
    *fl = connect_as(transport, "flooder", 0, pf);
    memset(body, 'f', sizeof body);
    for (k = 0; k < 120; k++)
        ck_assert_int_eq(SP_multicast(*fl, RELIABLE_MESS, "flood", 0,
                                      sizeof body, body), (int)sizeof body);
    /* Everything the flooder sent has been fanned out when this returns. */
    ck_assert_int_eq(SP_multicast(*fl, AGREED_MESS, pf, 0, 4, "done"), 4);
    ck_assert(tc_expect_data(*fl, msg, pf, "done"));
    return fd;
}

/* (6) A client that does not read sends a marked KILL. The
 * acknowledgement mostly cannot be written (always over the unix socket;
 * over TCP the kernel may still take the 48 bytes once the queue is
 * dropped, and the client, not reading, never sees the end of stream);
 * either way the daemon keeps serving everyone else and closes the
 * session after SESS_DRAIN_MS. */
START_TEST(ack_to_non_reader)
{
    char pg[MAX_GROUP_NAME], pa[MAX_GROUP_NAME], pf[MAX_GROUP_NAME];
    char timed_out[32];
    mailbox wa, wb, fl;
    long long start;
    int fd;

    witnesses_up(_i, &wa, &wb, pa);
    fd = flood_non_reader(_i, pg, &fl, pf);
    witnesses_talk(wa, wb, pa);
    raw_kill(fd, pg, 1);
    start = th_now_ms();
    snprintf(timed_out, sizeof timed_out, "within %d ms", SESS_DRAIN_MS);
    while (!th_file_contains(daemon_.log, timed_out)) {
        ck_assert_msg(th_now_ms() - start < DRAIN_DEADLINE,
                      "non-reading session not closed after %d ms",
                      DRAIN_DEADLINE);
        witnesses_talk(wa, wb, pa);
        ck_assert_int_eq(SP_multicast(fl, AGREED_MESS, pf, 0, 4, "live"), 4);
        ck_assert(tc_expect_data(fl, msg, pf, "live"));
        ck_assert(tc_quiet(wa, 20));
    }
    ck_assert(th_file_contains(daemon_.log, "disconnect requested (acknowledged)"));
    if (_i == 0)
        ck_assert(th_file_contains(daemon_.log,
                                   "acknowledgement not written within"));
    ck_assert_msg(!th_file_contains(daemon_.log, "dropped:"),
                  "a session was dropped");
    /* The client reads at last: what the kernel held, then the end. */
    ck_assert(read_to_end(fd, DEADLINE));
    close(fd);
    witnesses_talk(wa, wb, pa);
    SP_disconnect(fl);
    SP_disconnect(wa);
    SP_disconnect(wb);
}
END_TEST

/* The same backlog, but the client starts reading right after its KILL:
 * it gets whole frames only (a message the kill cut short is finished),
 * the acknowledgement last, then end of stream. */
START_TEST(ack_after_backlog)
{
    static unsigned char frame[SPW_HEADER_LEN + MAX_GROUP_NAME + 100000];
    char pg[MAX_GROUP_NAME], pf[MAX_GROUP_NAME];
    mailbox fl;
    int fd, data = 0;

    fd = flood_non_reader(_i, pg, &fl, pf);
    raw_kill(fd, pg, 1);
    for (;;) {
        struct spw_header h;
        long body;
        ck_assert_int_eq(th_read_exact(fd, frame, SPW_HEADER_LEN, DEADLINE),
                         SPW_HEADER_LEN);
        spw_header_decode(frame, &h);
        if (h.type & SPW_KILL_ACK)
            break;
        /* Only the flood can come before the acknowledgement. */
        ck_assert_msg(h.type & RELIABLE_MESS, "type 0x%x", h.type);
        ck_assert(memcmp(h.sender, pf, MAX_GROUP_NAME) == 0);
        ck_assert_int_eq(h.num_groups, 1);
        ck_assert_int_eq(h.data_len, 100000);
        body = MAX_GROUP_NAME + 100000;
        ck_assert_int_eq(th_read_exact(fd, frame + SPW_HEADER_LEN,
                                       (size_t)body, DEADLINE), body);
        ck_assert(frame[SPW_HEADER_LEN + MAX_GROUP_NAME] == 'f' &&
                  frame[sizeof frame - 1] == 'f');
        data++;
    }
    ck_assert_int_lt(data, 120);   /* the rest was dropped with the queue */
    ck_assert_uint_eq(spw_get32(frame), SPW_KILL_MESS | SPW_KILL_ACK |
                                        spw_native_mark());
    ck_assert(memcmp(frame + SPW_OFF_SENDER, pg, MAX_GROUP_NAME) == 0);
    ck_assert_int_eq(strict_eof(fd, DEADLINE), 1);
    close(fd);
    ck_assert(th_log_wait(&daemon_, "end of stream from the client", DEADLINE));
    ck_assert_int_eq(SP_multicast(fl, AGREED_MESS, pf, 0, 4, "live"), 4);
    ck_assert(tc_expect_data(fl, msg, pf, "live"));
    SP_disconnect(fl);
}
END_TEST

/* SIGTERM while a session drains: the daemon exits cleanly (status 0,
 * well within the harness's 5 s) and the client's connection is gone. */
START_TEST(sigterm_while_draining)
{
    char pg[MAX_GROUP_NAME];
    int fd = raw_session(_i, "stay", pg, 0);
    long long t0;

    raw_kill(fd, pg, 1);
    expect_ack(fd, pg);
    ck_assert_int_eq(strict_eof(fd, DEADLINE), 1);
    t0 = th_now_ms();
    daemon_stopped = 1;
    ck_assert_int_eq(th_daemon_stop(&daemon_), 0);
    ck_assert(th_now_ms() - t0 < SESS_DRAIN_MS);
    ck_assert(peer_closed(fd, DEADLINE));
    close(fd);
}
END_TEST

static Suite *halfclose_suite(void)
{
    Suite *s = suite_create("halfclose");
    TCase *tc = tcase_create("one-daemon");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, marked_kill_acked, 0, 2);
    tcase_add_loop_test(tc, unmarked_kill_silent, 0, 2);
    tcase_add_loop_test(tc, same_membership_messages, 0, 2);
    tcase_add_loop_test(tc, reconnect_while_draining, 0, 2);
    tcase_add_loop_test(tc, drain_timeout, 0, 2);
    tcase_add_loop_test(tc, ack_to_non_reader, 0, 2);
    tcase_add_loop_test(tc, ack_after_backlog, 0, 2);
    tcase_add_loop_test(tc, sigterm_while_draining, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(halfclose_suite());
}
