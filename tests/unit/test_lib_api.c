/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_lib_api: libspread entry points against a fake daemon: handshake
 * replies the captures do not show, authentication-method rules, the
 * multicast checks, broken sessions, SP_kill, the error texts, and the
 * threading contract (send while another thread receives, concurrent
 * receivers and senders, disconnect while a receive is blocked).
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sp.h"
#include "internal/wire.h"
#include "test_lib_fake.h"
#include "../lib/ckmain.h"

static struct fake_daemon D;
static int dfd = -1;
static mailbox M = -1;
static char G[MAX_GROUP_NAME];

static void setup(void)
{
    ck_assert_int_eq(fake_listen(&D), 0);
}

static void teardown(void)
{
    if (M >= 0)
        SP_kill(M);
    if (dfd >= 0)
        close(dfd);
    fake_close(&D);
}

static void open_session(void)
{
    dfd = fake_session(&D, "me", 1, &M, G);
    ck_assert_int_ge(dfd, 0);
}

/* Read one client frame on the daemon side; returns its header. */
static struct spw_header read_frame(char *groups, size_t gcap, char *body,
                                    size_t bcap)
{
    unsigned char hdr[SPW_HEADER_LEN];
    struct spw_header h;
    size_t gl, bl;

    ck_assert_int_eq(fake_read(dfd, hdr, sizeof hdr, FAKE_TIMEOUT_MS), 0);
    spw_header_decode(hdr, &h);
    gl = (size_t)h.num_groups * MAX_GROUP_NAME;
    bl = h.data_len > 0 ? (size_t)h.data_len : 0;
    ck_assert_uint_le(gl, gcap);
    ck_assert_uint_le(bl, bcap);
    ck_assert_int_eq(fake_read(dfd, groups, gl, FAKE_TIMEOUT_MS), 0);
    ck_assert_int_eq(fake_read(dfd, body, bl, FAKE_TIMEOUT_MS), 0);
    return h;
}

/* ---- handshake -------------------------------------------------------- */

struct hs_script {
    const char *list;       /* bytes after the connect message */
    size_t list_len;
    int read_choice;
    const char *accept;
    size_t accept_len;
    int closes;             /* the daemon then closes the connection */
};

/* Connect as "me" and answer with the script. */
static int scripted_connect(const struct hs_script *sc, sp_time timeout)
{
    struct fake_connect c;
    unsigned char buf[128];
    int fd, rc;

    memset(&c, 0, sizeof c);
    c.spread_name = D.spread_name;
    c.private_name = "me";
    c.use_timeout = 1;
    c.timeout = timeout;
    ck_assert_int_eq(fake_connect_start(&c), 0);
    fd = fake_accept(&D, FAKE_TIMEOUT_MS);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fake_read(fd, buf, 7, FAKE_TIMEOUT_MS), 0);
    ck_assert_int_eq(fake_write(fd, sc->list, sc->list_len), 0);
    if (sc->read_choice)
        ck_assert_int_eq(fake_read(fd, buf, 90, FAKE_TIMEOUT_MS), 0);
    if (sc->accept_len)
        ck_assert_int_eq(fake_write(fd, sc->accept, sc->accept_len), 0);
    if (sc->closes) {
        close(fd);
        fd = -1;
    }
    rc = fake_connect_join(&c);
    if (rc == ACCEPT_SESSION) {
        dfd = fd;
        M = c.mbox;
        memcpy(G, c.group, sizeof G);
    } else if (fd >= 0) {
        close(fd);
    }
    return rc;
}

#define LIST "\x05NULL "
static const sp_time NO_TIMEOUT = { 0, 0 };

START_TEST(handshake_accept_variants)
{
    struct hs_script ok = { LIST, 6, 1, "\x01\x05\x00\x01\x07#me#d1x", 12,
                            0 };

    ck_assert_int_eq(scripted_connect(&ok, NO_TIMEOUT), ACCEPT_SESSION);
    ck_assert_str_eq(G, "#me#d1x");
}
END_TEST

/* Runs a script whose reply ends with the daemon closing the socket. */
static int closing_script(struct hs_script *sc)
{
    sc->closes = 1;
    return scripted_connect(sc, NO_TIMEOUT);
}

START_TEST(handshake_rejects)
{
    struct hs_script early = { "\xf9", 1, 0, NULL, 0, 0 };
    struct hs_script long_list = { "\x5b", 1, 0, NULL, 0, 0 };
    struct hs_script auth = { LIST, 6, 1, "\xf7", 1, 0 };
    struct hs_script old = { LIST, 6, 1, "\x01\x02\x00\x01\x03#m#", 8, 0 };
    struct hs_script glen = { LIST, 6, 1, "\x01\x05\x00\x01\x20", 5, 0 };
    struct hs_script neg = { LIST, 6, 1, "\x01\x05\xff\x01\x03#m#", 8, 0 };
    struct hs_script odd = { LIST, 6, 1, "\x02\x05\x00\x01\x03#m#", 8, 0 };
    struct hs_script cut = { LIST, 6, 1, "\x01\x05", 2, 0 };
    struct hs_script silent = { LIST, 6, 1, NULL, 0, 0 };

    ck_assert_int_eq(closing_script(&early), REJECT_VERSION);
    ck_assert_int_eq(closing_script(&long_list), CONNECTION_CLOSED);
    ck_assert_int_eq(closing_script(&auth), REJECT_AUTH);
    ck_assert_int_eq(closing_script(&old), REJECT_VERSION);
    ck_assert_int_eq(closing_script(&glen), CONNECTION_CLOSED);
    ck_assert_int_eq(closing_script(&neg), CONNECTION_CLOSED);
    ck_assert_int_eq(closing_script(&odd), CONNECTION_CLOSED);
    ck_assert_int_eq(closing_script(&cut), CONNECTION_CLOSED);
    ck_assert_int_eq(closing_script(&silent), CONNECTION_CLOSED);
}
END_TEST

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(connect_timeout)
{
    struct fake_connect c;
    sp_time t = { 0, 200000 };
    unsigned char buf[8];
    long long start = now_ms(), took;
    int fd;

    memset(&c, 0, sizeof c);
    c.spread_name = D.spread_name;
    c.private_name = "me";
    c.use_timeout = 1;
    c.timeout = t;
    ck_assert_int_eq(fake_connect_start(&c), 0);
    fd = fake_accept(&D, FAKE_TIMEOUT_MS);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fake_read(fd, buf, 7, FAKE_TIMEOUT_MS), 0);
    /* The daemon never answers. */
    ck_assert_int_eq(fake_connect_join(&c), CONNECTION_CLOSED);
    took = now_ms() - start;
    ck_assert_int_ge(took, 150);
    ck_assert_int_lt(took, 3000);
    ck_assert_int_eq(fake_expect_eof(fd, FAKE_TIMEOUT_MS), 1);
    close(fd);
}
END_TEST

START_TEST(connect_argument_errors)
{
    sp_time bad[3] = { { 1, -1 }, { -1, 1 }, { 0, -1000000 } };
    char group[MAX_GROUP_NAME];
    mailbox m;
    int i;

    for (i = 0; i < 3; i++)
        ck_assert_int_eq(SP_connect_timeout(D.spread_name, "me", 0, 0, &m,
                                            group, bad[i]), ILLEGAL_TIME);
    ck_assert_int_eq(SP_connect("70000@127.0.0.1", "me", 0, 0, &m, group),
                     ILLEGAL_SPREAD);
    ck_assert_int_eq(SP_connect("@127.0.0.1", "me", 0, 0, &m, group),
                     ILLEGAL_SPREAD);
    ck_assert_int_eq(SP_connect("12x", "me", 0, 0, &m, group),
                     ILLEGAL_SPREAD);
    /* IPv6 literals go unbracketed ("4803@::1"), as upstream takes them. */
    ck_assert_int_eq(SP_connect("4803@[::1]", "me", 0, 0, &m, group),
                     ILLEGAL_SPREAD);
}
END_TEST

/* ---- authentication methods -------------------------------------------- */

static int cb_ok(int fd, void *data)
{
    (void)fd;
    (void)data;
    return 1;
}

START_TEST(auth_method_rules)
{
    const char *names[4] = { "NULL", "NULL", "NULL", "NULL" };
    int (*fns[4])(int, void *) = { cb_ok, cb_ok, cb_ok, cb_ok };
    int (*nofn[1])(int, void *) = { NULL };
    char name29[30], name30[31];
    struct hs_script none = { LIST, 6, 1, "\xf7", 1, 1 };

    memset(name29, 'a', 29);
    name29[29] = '\0';
    memset(name30, 'a', 30);
    name30[30] = '\0';
    ck_assert_int_eq(SP_set_auth_method(name30, cb_ok, NULL), 0);
    ck_assert_int_eq(SP_set_auth_method("NULL", NULL, NULL), 0);
    ck_assert_int_eq(SP_set_auth_method(NULL, cb_ok, NULL), 0);
    ck_assert_int_eq(SP_set_auth_method(name29, cb_ok, NULL), 1);
    ck_assert_int_eq(SP_set_auth_methods(4, names, fns, NULL), 0);
    ck_assert_int_eq(SP_set_auth_methods(-1, names, fns, NULL), 0);
    ck_assert_int_eq(SP_set_auth_methods(1, names, nofn, NULL), 0);
    ck_assert_int_eq(SP_set_auth_methods(3, names, fns, NULL), 1);
    /* No methods: 90 zero bytes go out and the daemon refuses. */
    ck_assert_int_eq(SP_set_auth_methods(0, NULL, NULL, NULL), 1);
    ck_assert_int_eq(scripted_connect(&none, NO_TIMEOUT), REJECT_AUTH);
}
END_TEST

/* ---- sending --------------------------------------------------------- */

START_TEST(multicast_checks)
{
    static char big[144001];
    char groups[3][MAX_GROUP_NAME] = { "a", "b", "c" };
    char rg[4][MAX_GROUP_NAME], body[64];
    scatter sc;
    struct spw_header h;

    open_session();
    ck_assert_int_eq(SP_multicast(M, 0, "g", 0, 1, "x"), ILLEGAL_SERVICE);
    ck_assert_int_eq(SP_multicast(M, SELF_DISCARD, "g", 0, 1, "x"),
                     ILLEGAL_SERVICE);
    ck_assert_int_eq(SP_multicast(M, REG_MEMB_MESS, "g", 0, 1, "x"),
                     ILLEGAL_SERVICE);
    ck_assert_int_eq(SP_multicast(M, AGREED_MESS, "g", 0, 143969, big),
                     MESSAGE_TOO_LONG);
    ck_assert_int_eq(SP_multigroup_multicast(M, AGREED_MESS, 3,
                                             (const char (*)[32])groups, 0,
                                             144000 - 95, big),
                     MESSAGE_TOO_LONG);
    ck_assert_int_eq(SP_multigroup_multicast(M, AGREED_MESS, -1,
                                             (const char (*)[32])groups, 0,
                                             1, big), ILLEGAL_GROUP);
    memset(&sc, 0, sizeof sc);
    sc.num_elements = MAX_CLIENT_SCATTER_ELEMENTS + 1;
    ck_assert_int_eq(SP_scat_multicast(M, AGREED_MESS, "g", 0, &sc),
                     ILLEGAL_MESSAGE);
    ck_assert_int_eq(SP_multicast(M + 1000, AGREED_MESS, "g", 0, 1, "x"),
                     ILLEGAL_SESSION);
    /* Nothing of the above reached the daemon: the next frame is this. */
    ck_assert_int_eq(SP_multicast(M, AGREED_MESS | CAUSED_BY_LEAVE,
                                  "0123456789012345678901234567890123", -7,
                                  4, "mark"), 4);
    h = read_frame((char *)rg, sizeof rg, body, sizeof body);
    ck_assert_uint_eq(h.type & ~(uint32_t)ENDIAN_RESERVED,
                      AGREED_MESS | CAUSED_BY_LEAVE);
    ck_assert_str_eq(h.sender, "#me#localhost");
    ck_assert_int_eq(h.num_groups, 1);
    ck_assert_int_eq(spw_mess_type_from_hint(h.hint), -7);
    ck_assert_str_eq(rg[0], "0123456789012345678901234567890");
    ck_assert(memcmp(rg[0] + 31, "\0", 1) == 0);
    ck_assert(memcmp(body, "mark", 4) == 0);
    ck_assert_int_eq(SP_poll(M), 0);
}
END_TEST

START_TEST(largest_message_goes_out)
{
    static char big[144000], got[144000];
    char rg[1][MAX_GROUP_NAME];
    struct spw_header h;
    size_t i;

    open_session();
    for (i = 0; i < sizeof big; i++)
        big[i] = (char)(i % 251);
    ck_assert_int_eq(SP_multicast(M, SAFE_MESS, "g", 1, 144000 - 32, big),
                     144000 - 32);
    h = read_frame((char *)rg, sizeof rg, got, sizeof got);
    ck_assert_int_eq(h.data_len, 144000 - 32);
    ck_assert(memcmp(got, big, 144000 - 32) == 0);
}
END_TEST

/* The daemon resets the connection; the session becomes broken. */
START_TEST(broken_session)
{
    struct linger lg = { 1, 0 };
    struct pollfd p;
    char buf[MAX_GROUP_NAME];
    service st = 0;
    int ng;
    int16 mt;
    int em;

    open_session();
    setsockopt(dfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(dfd);
    dfd = -1;
    p.fd = M;
    p.events = POLLIN;
    ck_assert_int_eq(poll(&p, 1, FAKE_TIMEOUT_MS), 1);
    ck_assert_int_eq(SP_multicast(M, AGREED_MESS, "g", 0, 1, "x"),
                     CONNECTION_CLOSED);
    ck_assert_int_eq(SP_multicast(M, AGREED_MESS, "g", 0, 1, "x"),
                     NET_ERROR_ON_SESSION);
    ck_assert_int_eq(SP_join(M, "g"), NET_ERROR_ON_SESSION);
    ck_assert_int_eq(SP_receive(M, &st, buf, 0, &ng, NULL, &mt, &em,
                                sizeof buf, buf), NET_ERROR_ON_SESSION);
    ck_assert_int_eq(SP_disconnect(M), 0);
    ck_assert_int_eq(SP_disconnect(M), ILLEGAL_SESSION);
    M = -1;
}
END_TEST

START_TEST(kill_sends_nothing)
{
    mailbox m;

    open_session();
    m = M;
    ck_assert_int_eq(SP_kill(m), 0);
    M = -1;
    ck_assert_int_eq(fake_expect_eof(dfd, FAKE_TIMEOUT_MS), 1);
    ck_assert_int_eq(SP_poll(m), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_join(m, "g"), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_kill(m), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_kill(-1), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_close(-1), ILLEGAL_SESSION);
}
END_TEST

START_TEST(connect_disconnect_reuses_numbers)
{
    int i, fd;

    for (i = 0; i < 50; i++) {
        char hdr[256];
        struct fake_disconnect d;
        fd = fake_session(&D, "me", 1, &M, G);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(fake_disconnect_start(&d, M), 0);
        ck_assert_int_eq(fake_answer_disconnect(fd, G, i % 2,
                                                (unsigned char *)hdr), 0);
        ck_assert_int_eq(fake_disconnect_join(&d), 0);
        ck_assert_int_eq(fake_expect_eof(fd, FAKE_TIMEOUT_MS), 1);
        close(fd);
    }
    M = -1;
}
END_TEST

/* ---- threads ---------------------------------------------------------- */

struct receiver {
    pthread_t th;
    atomic_int tid;       /* the thread's kernel id, once it runs */
    mailbox m;
    int rc;
    service st;
    char sender[MAX_GROUP_NAME];
    int ng;
    char groups[4][MAX_GROUP_NAME];
    int16 mt;
    int em;
    char body[64];
};

static void *receiver_main(void *arg)
{
    struct receiver *r = arg;

    atomic_store(&r->tid, (int)syscall(SYS_gettid));
    r->st = 0;
    r->rc = SP_receive(r->m, &r->st, r->sender, 4, &r->ng, r->groups, &r->mt,
                       &r->em, sizeof r->body, r->body);
    return NULL;
}

static void start_receiver(struct receiver *r)
{
    memset(r, 0, sizeof *r);
    r->m = M;
    ck_assert_int_eq(pthread_create(&r->th, NULL, receiver_main, r), 0);
}

/* Wait until the receiver sleeps in the kernel: blocked in its read, so a
 * test exercises "blocked in SP_receive" and not a thread still starting
 * (Linux /proc; elsewhere this only waits for the thread to run). */
static void wait_receiver_blocked(struct receiver *r)
{
    int ms;

    for (ms = 0; ms < FAKE_TIMEOUT_MS; ms++) {
        char path[64], buf[256], *p;
        FILE *f;
        int tid = atomic_load(&r->tid);

        if (tid != 0) {
            snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
            f = fopen(path, "r");
            if (f == NULL)
                return;
            p = fgets(buf, sizeof buf, f);
            fclose(f);
            p = p != NULL ? strrchr(buf, ')') : NULL;
            if (p == NULL || (p[1] == ' ' && p[2] == 'S'))
                return;
        }
        poll(NULL, 0, 1);
    }
    ck_abort_msg("the receiver never blocked");
}

static void daemon_send(const char *body, int16 mt)
{
    unsigned char frame[256];
    char groups[1][MAX_GROUP_NAME] = { "g" };
    size_t n = fake_frame(frame, AGREED_MESS, "#x#y", 1,
                          (const char (*)[32])groups, mt, body,
                          (int32_t)strlen(body), 0);

    ck_assert_int_eq(fake_write(dfd, frame, n), 0);
}

START_TEST(send_while_receiving)
{
    struct receiver r;
    char rg[2][MAX_GROUP_NAME], body[16];

    open_session();
    start_receiver(&r);
    /* The receiver may already be blocked in its read: sending must not
     * wait for it. */
    ck_assert_int_eq(SP_multicast(M, FIFO_MESS, "g", 3, 5, "hello"), 5);
    read_frame((char *)rg, sizeof rg, body, sizeof body);
    ck_assert(memcmp(body, "hello", 5) == 0);
    daemon_send("reply", 4);
    pthread_join(r.th, NULL);
    ck_assert_int_eq(r.rc, 5);
    ck_assert_int_eq(r.mt, 4);
    ck_assert(memcmp(r.body, "reply", 5) == 0);
}
END_TEST

START_TEST(concurrent_receivers_get_whole_messages)
{
    struct receiver r[2];
    int i;

    open_session();
    for (i = 0; i < 2; i++)
        start_receiver(&r[i]);
    daemon_send("first-message", 1);
    daemon_send("second", 2);
    for (i = 0; i < 2; i++)
        pthread_join(r[i].th, NULL);
    ck_assert_int_eq(r[0].mt + r[1].mt, 3);
    for (i = 0; i < 2; i++) {
        ck_assert_str_eq(r[i].groups[0], "g");
        ck_assert_str_eq(r[i].sender, "#x#y");
        if (r[i].mt == 1)
            ck_assert(r[i].rc == 13 && memcmp(r[i].body, "first-message",
                                              13) == 0);
        else
            ck_assert(r[i].rc == 6 && memcmp(r[i].body, "second", 6) == 0);
    }
}
END_TEST

#define SENDERS 4
#define PER_SENDER 300

static void *sender_main(void *arg)
{
    long id = (long)arg;
    char body[64];
    int i, len;

    for (i = 0; i < PER_SENDER; i++) {
        len = snprintf(body, sizeof body, "sender %ld message %d", id, i);
        ck_assert_int_eq(SP_multicast(M, AGREED_MESS, "g",
                                      (int16)(id * 1000 + i), len, body),
                         len);
    }
    return NULL;
}

START_TEST(concurrent_senders_never_interleave)
{
    pthread_t th[SENDERS];
    int next[SENDERS] = { 0 }, n;
    long i;

    open_session();
    for (i = 0; i < SENDERS; i++)
        pthread_create(&th[i], NULL, sender_main, (void *)i);
    for (n = 0; n < SENDERS * PER_SENDER; n++) {
        char rg[1][MAX_GROUP_NAME], body[64], want[64];
        struct spw_header h = read_frame((char *)rg, sizeof rg, body,
                                         sizeof body);
        int mt = spw_mess_type_from_hint(h.hint), id = mt / 1000;
        ck_assert(id >= 0 && id < SENDERS);
        ck_assert_int_eq(mt % 1000, next[id]);
        snprintf(want, sizeof want, "sender %d message %d", id, next[id]);
        ck_assert_int_eq(h.data_len, (int)strlen(want));
        ck_assert(memcmp(body, want, strlen(want)) == 0);
        next[id]++;
    }
    for (i = 0; i < SENDERS; i++)
        pthread_join(th[i], NULL);
}
END_TEST

static int close_rc;

static void *close_main(void *arg)
{
    close_rc = SP_close(*(mailbox *)arg);
    return NULL;
}

/* SP_close on an active mailbox: the marked KILL goes out, a receive
 * blocked in another thread ends with CONNECTION_CLOSED, and SP_close
 * returns only after that call has left (the descriptor is closed: the
 * daemon side sees end of stream). */
START_TEST(close_waits_for_receiver)
{
    struct receiver r;
    pthread_t th;
    mailbox m;

    open_session();
    start_receiver(&r);
    wait_receiver_blocked(&r);
    m = M;
    close_rc = 1;
    ck_assert_int_eq(pthread_create(&th, NULL, close_main, &m), 0);
    ck_assert_int_eq(fake_answer_disconnect(dfd, G, 1, NULL), 0);
    pthread_join(th, NULL);
    pthread_join(r.th, NULL);
    ck_assert_int_eq(r.rc, CONNECTION_CLOSED);
    ck_assert_int_eq(close_rc, 0);
    ck_assert_int_eq(fake_expect_eof(dfd, FAKE_TIMEOUT_MS), 1);
    ck_assert_int_eq(SP_close(M), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_kill(M), ILLEGAL_SESSION);
    M = -1;
}
END_TEST

START_TEST(disconnect_while_receiving)
{
    struct receiver r;
    char rg[1][MAX_GROUP_NAME], body[8];
    struct spw_header h;
    struct fake_disconnect d;
    unsigned char ack[SPW_HEADER_LEN];
    size_t n;

    open_session();
    start_receiver(&r);
    wait_receiver_blocked(&r);
    ck_assert_int_eq(fake_disconnect_start(&d, M), 0);
    h = read_frame((char *)rg, sizeof rg, body, sizeof body);
    ck_assert_uint_eq(h.type & ~(uint32_t)ENDIAN_RESERVED,
                      SPW_KILL_MESS | SPW_KILL_WANTS_ACK);
    ck_assert_str_eq(rg[0], "#me#localhost");
    ck_assert(memcmp(rg[0], G, MAX_GROUP_NAME) == 0);
    /* While the disconnect waits for the daemon, sends are refused; */
    ck_assert_int_eq(SP_join(M, "g"), CONNECTION_CLOSED);
    /* a message sent before the acknowledgement may still be delivered;
     * then the acknowledgement ends the blocked receive. */
    daemon_send("late", 7);
    n = fake_frame(ack, SPW_KILL_MESS | SPW_KILL_ACK, G, 0, NULL, 0, NULL, 0,
                   0);
    ck_assert_int_eq(fake_write(dfd, ack, n), 0);
    shutdown(dfd, SHUT_WR);
    pthread_join(r.th, NULL);
    ck_assert_msg(r.rc == 4 || r.rc == CONNECTION_CLOSED, "rc %d", r.rc);
    ck_assert_int_eq(fake_disconnect_join(&d), 0);
    ck_assert_int_eq(fake_expect_eof(dfd, FAKE_TIMEOUT_MS), 1);
    ck_assert_int_eq(SP_join(M, "g"), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_poll(M), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_receive(M, &r.st, r.sender, 4, &r.ng, r.groups,
                                &r.mt, &r.em, sizeof r.body, r.body),
                     ILLEGAL_SESSION);
    M = -1;
}
END_TEST

static char big_body[144000 - 32];

static void *big_sender_main(void *arg)
{
    long *rc = arg;

    *rc = SP_multicast(M, SAFE_MESS, "g", 0, (int)sizeof big_body, big_body);
    return NULL;
}

/* Programs may put the mailbox in non-blocking mode for their own event
 * loop; the library's calls still block until their frame is done. */
START_TEST(nonblocking_mailbox)
{
    static char got[sizeof big_body];
    char rg[1][MAX_GROUP_NAME];
    struct receiver r;
    pthread_t th;
    long rc = 0;
    size_t i;

    open_session();
    ck_assert_int_eq(fcntl(M, F_SETFL, fcntl(M, F_GETFL) | O_NONBLOCK), 0);
    start_receiver(&r);
    daemon_send("later", 5);
    pthread_join(r.th, NULL);
    ck_assert_int_eq(r.rc, 5);
    for (i = 0; i < sizeof big_body; i++)
        big_body[i] = (char)(i % 13);
    pthread_create(&th, NULL, big_sender_main, &rc);
    read_frame((char *)rg, sizeof rg, got, sizeof got);
    pthread_join(th, NULL);
    ck_assert_int_eq(rc, (long)sizeof big_body);
    ck_assert(memcmp(got, big_body, sizeof got) == 0);
}
END_TEST

/* Lifecycle scenario 4 against the fake daemon: fork while another thread
 * is blocked in SP_receive. The fork returns; in the child the mailbox is
 * inherited, so SP_close closes only the child's descriptor and sends
 * nothing; the parent's receiver and the connection are untouched (the
 * next frame the daemon side reads is the parent's, not a KILL). */
START_TEST(fork_while_receiving)
{
    struct receiver r;
    char rg[1][MAX_GROUP_NAME], body[16];
    struct spw_header h;
    int round;

    ck_assert_int_eq(SP_init(), 0);
    open_session();
    for (round = 0; round < 20; round++) {
        pid_t pid;
        int status = -1, waited;

        start_receiver(&r);
        wait_receiver_blocked(&r);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            int ok = SP_init() == 0 && SP_close(M) == 0 &&
                     SP_join(M, "g") == ILLEGAL_SESSION &&
                     SP_kill(M) == ILLEGAL_SESSION;
            _exit(ok ? 0 : 1);
        }
        for (waited = 0; waited < FAKE_TIMEOUT_MS; waited++) {
            if (waitpid(pid, &status, WNOHANG) == pid)
                break;
            poll(NULL, 0, 1);
        }
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "child failed (status %d)", status);
        daemon_send("after fork", 9);
        pthread_join(r.th, NULL);
        ck_assert_int_eq(r.rc, 10);
        ck_assert_int_eq(SP_multicast(M, AGREED_MESS, "g", 0, 2, "ok"), 2);
        h = read_frame((char *)rg, sizeof rg, body, sizeof body);
        ck_assert_uint_eq(h.type & ~(uint32_t)ENDIAN_RESERVED, AGREED_MESS);
    }
}
END_TEST

/* A fork handler the program registers (after the library's, which are
 * registered when the library is loaded) may call the library in the
 * child: the table lock is already re-created by then. */
static void child_calls_library(void)
{
    if (SP_poll(12345) != ILLEGAL_SESSION)
        _exit(3);
}

START_TEST(library_usable_in_program_fork_handler)
{
    pid_t pid;
    int status = -1, waited;

    ck_assert_int_eq(pthread_atfork(NULL, NULL, child_calls_library), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    for (waited = 0; waited < FAKE_TIMEOUT_MS; waited++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        poll(NULL, 0, 1);
    }
    if (waited == FAKE_TIMEOUT_MS) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ck_abort_msg("the child hung in its fork handler");
    }
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

/* SP_disconnect keeps its 2 s bound against a peer that never
 * acknowledges and keeps sending. */
static void *flood_main(void *arg)
{
    unsigned char frame[SPW_HEADER_LEN + 4096];
    static const char body[4096];
    size_t n = fake_frame(frame, AGREED_MESS, "#x#y", 0, NULL, 1, body,
                          (int32_t)sizeof body, 0);

    while (fake_write(*(int *)arg, frame, n) == 0)
        ;
    return NULL;
}

START_TEST(disconnect_bounded_under_flood)
{
    struct fake_disconnect d;
    pthread_t th;

    open_session();
    ck_assert_int_eq(pthread_create(&th, NULL, flood_main, &dfd), 0);
    ck_assert_int_eq(fake_disconnect_start(&d, M), 0);
    ck_assert_int_eq(fake_disconnect_join(&d), 0);
    ck_assert_msg(d.elapsed_ms < 3500, "SP_disconnect took %ld ms",
                  d.elapsed_ms);
    /* The library shut the connection down: the flooder fails and ends. */
    pthread_join(th, NULL);
    M = -1;
}
END_TEST

/* Lifecycle scenario 2 in small: rounds of connect, a receiver thread,
 * disconnect from this thread, connect again at once. Each connection's
 * messages carry its round number; no receiver may see another round's. */
START_TEST(disconnect_reconnect_rounds)
{
    int round;

    for (round = 0; round < 300; round++) {
        struct receiver r;
        char tag[16];
        int len = snprintf(tag, sizeof tag, "round%d", round);
        struct fake_disconnect d;

        open_session();
        start_receiver(&r);
        if (round % 2 == 0)
            daemon_send(tag, 1);
        ck_assert_int_eq(fake_disconnect_start(&d, M), 0);
        ck_assert_int_eq(fake_answer_disconnect(dfd, G, round % 3 != 0,
                                                NULL), 0);
        ck_assert_int_eq(fake_disconnect_join(&d), 0);
        close(dfd);
        dfd = -1;
        pthread_join(r.th, NULL);
        if (r.rc >= 0) {
            ck_assert_int_eq(r.rc, len);
            ck_assert(memcmp(r.body, tag, (size_t)len) == 0);
        } else {
            ck_assert(r.rc == CONNECTION_CLOSED || r.rc == ILLEGAL_SESSION);
        }
        ck_assert_int_eq(SP_poll(M), ILLEGAL_SESSION);
        M = -1;
    }
}
END_TEST

START_TEST(connect_over_ipv6)
{
    struct sockaddr_in6 sin6;
    socklen_t len = sizeof sin6;
    struct fake_daemon d6;
    char group[MAX_GROUP_NAME];
    int fd = socket(AF_INET6, SOCK_STREAM, 0);

    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_loopback;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin6, sizeof sin6) < 0 ||
        listen(fd, 4) < 0) {
        if (fd >= 0)
            close(fd);
        return;             /* no IPv6 loopback here */
    }
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin6, &len), 0);
    d6.lfd = fd;
    d6.port = ntohs(sin6.sin6_port);
    snprintf(d6.spread_name, sizeof d6.spread_name, "%d@::1", d6.port);
    dfd = fake_session(&d6, "six", 0, &M, group);
    ck_assert_int_ge(dfd, 0);
    ck_assert_str_eq(group, "#six#localhost");
    fake_close(&d6);
}
END_TEST

/* ---- errors and small functions ---------------------------------------- */

START_TEST(strerror_table)
{
    static const struct {
        int code;
        const char *text;
    } t[] = {
        { ACCEPT_SESSION, "Unrecognized error." },
        { 0, "Unrecognized error." },
        { ILLEGAL_SPREAD, "Illegal spread name provided." },
        { COULD_NOT_CONNECT, "Could not connect." },
        { REJECT_QUOTA, "Connection rejected, too many users." },
        { REJECT_NO_NAME, "Connection rejected, no name was supplied." },
        { REJECT_ILLEGAL_NAME, "Connection rejected, illegal name." },
        { REJECT_NOT_UNIQUE, "Connection rejected, name not unique." },
        { REJECT_VERSION, "Connection rejected, client library "
                          "incompatible with daemon." },
        { CONNECTION_CLOSED, "Connection closed by Spread." },
        { REJECT_AUTH, "Connection rejected, authentication failed." },
        { -10, "Unrecognized error." },
        { ILLEGAL_SESSION, "Illegal session was supplied." },
        { ILLEGAL_SERVICE, "Illegal service request." },
        { ILLEGAL_MESSAGE, "Illegal message." },
        { ILLEGAL_GROUP, "Illegal group." },
        { BUFFER_TOO_SHORT, "Buffer too short." },
        { GROUPS_TOO_SHORT, "Groups list too short." },
        { MESSAGE_TOO_LONG, "Message (body + group names) too large." },
        { NET_ERROR_ON_SESSION, "Network socket error. SP_kill() the "
                                "mailbox." },
        { SP_BUG, "Internal Spread bug detected." },
        { ILLEGAL_TIME, "Illegal time." },
        { -21, "Unrecognized error." },
        { -1000, "Unrecognized error." },
    };
    size_t i;

    for (i = 0; i < sizeof t / sizeof t[0]; i++)
        ck_assert_str_eq(SP_strerror(t[i].code), t[i].text);
}
END_TEST

START_TEST(sp_error_prints_to_stdout)
{
    int p[2], saved;
    char buf[128];
    ssize_t n;

    ck_assert_int_eq(pipe(p), 0);
    fflush(stdout);
    saved = dup(1);
    dup2(p[1], 1);
    SP_error(CONNECTION_CLOSED);
    fflush(stdout);
    dup2(saved, 1);
    close(p[1]);
    n = read(p[0], buf, sizeof buf - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert_str_eq(buf, "SP_error: (-8) Connection closed by Spread.\n");
    close(p[0]);
    close(saved);
}
END_TEST

START_TEST(small_functions)
{
    int a = 9, b = 9, c = 9;
    group_id g1 = { { 1, 2, 3 } }, g2 = { { 1, 2, 3 } };

    ck_assert_int_eq(SP_version(&a, &b, NULL), 0);
    ck_assert_int_eq(a, 9);
    ck_assert_int_eq(SP_version(&a, &b, &c), 1);
    ck_assert(a == 5 && b == 0 && c == 1);
    ck_assert_int_eq(SP_equal_group_ids(g1, g2), 1);
    g2.id[0] = 4;
    ck_assert_int_eq(SP_equal_group_ids(g1, g2), 0);
    ck_assert_int_eq(SP_poll(-1), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_disconnect(12345), ILLEGAL_SESSION);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("lib_api");
    TCase *tc = tcase_create("api");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, handshake_accept_variants);
    tcase_add_test(tc, handshake_rejects);
    tcase_add_test(tc, connect_timeout);
    tcase_add_test(tc, connect_argument_errors);
    tcase_add_test(tc, auth_method_rules);
    tcase_add_test(tc, multicast_checks);
    tcase_add_test(tc, largest_message_goes_out);
    tcase_add_test(tc, broken_session);
    tcase_add_test(tc, kill_sends_nothing);
    tcase_add_test(tc, connect_disconnect_reuses_numbers);
    tcase_add_test(tc, send_while_receiving);
    tcase_add_test(tc, concurrent_receivers_get_whole_messages);
    tcase_add_test(tc, concurrent_senders_never_interleave);
    tcase_add_test(tc, disconnect_while_receiving);
    tcase_add_test(tc, close_waits_for_receiver);
    tcase_add_test(tc, fork_while_receiving);
    tcase_add_test(tc, library_usable_in_program_fork_handler);
    tcase_add_test(tc, disconnect_bounded_under_flood);
    tcase_add_test(tc, nonblocking_mailbox);
    tcase_add_test(tc, disconnect_reconnect_rounds);
    tcase_add_test(tc, connect_over_ipv6);
    tcase_add_test(tc, strerror_table);
    tcase_add_test(tc, sp_error_prints_to_stdout);
    tcase_add_test(tc, small_functions);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(api_suite());
}
