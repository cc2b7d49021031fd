/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_fl_engine: the flush layer's state machine (shared/spec/flush.md
 * section 7) through FL_receive and friends, against the scripted daemon
 * of test_lib_fake. The test plays the daemon and the other members: it
 * writes Spread memberships, FLUSH_OKs, FLUSH_RECVs and data, reads what
 * the layer sends (its FLUSH_OK, FLUSH_RECV and tagged messages, checked
 * byte by byte), and looks at what FL_receive hands out. Every
 * transition of the state table in section 3 and of 7.3-7.9 is driven
 * here; the layer's own messages are echoed back as a daemon would.
 */
#include "config.h"

#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fl.h"
#include "internal/wire.h"
#include "flush/conn.h"
#include "test_lib_fake.h"
#include "../lib/ckmain.h"

#define A "#a#localhost"
#define B "#b#localhost"
#define C "#c#localhost"
#define X "#x#localhost"

static struct fake_daemon D;
static int dfd = -1;               /* daemon end of the session */
static mailbox mb = -1;

static void setup(void)
{
    char pg[MAX_GROUP_NAME];

    ck_assert_int_eq(fake_listen(&D), 0);
    dfd = fake_session(&D, "a", 1, &mb, pg);
    ck_assert_int_ge(dfd, 0);
    ck_assert_str_eq(pg, A);
    /* The seam: adopt the SP session as FL_connect would have. */
    ck_assert_int_eq(flx_conn_create(mb, pg), 0);
}

static void teardown(void)
{
    if (dfd >= 0)
        close(dfd);
    (void)FL_disconnect(mb);
    (void)SP_kill(mb);
    fake_close(&D);
}

/* ---- the daemon's side --------------------------------------------- */

static int queued(void)
{
    int n = 0;

    ck_assert_int_eq(ioctl(mb, FIONREAD, &n), 0);
    return n;
}

/* Write a frame and wait until all of it is readable on the library's
 * end (this process holds both ends and nobody else reads meanwhile), so
 * that a DONT_BLOCK receive right after sees it: TCP may hold a small
 * segment back (Nagle) until the previous one is acknowledged. */
static void put(const unsigned char *b, size_t n)
{
    int before = queued(), waited = 0;

    ck_assert_int_eq(fake_write(dfd, b, n), 0);
    while (queued() < before + (int)n && waited < FAKE_TIMEOUT_MS) {
        struct pollfd p = { -1, 0, 0 };
        (void)poll(&p, 0, 1);
        waited++;
    }
    ck_assert_int_ge(queued(), before + (int)n);
}

static group_id gid(int idx)
{
    group_id g = { { 0x1cc59726, 0x6b15ece9, idx } };
    return g;
}

/* A regular membership of "G" (host order) with own vs set `vs`. */
static void memb(service cause, const char *const *members, int n, int index,
                 const char *const *vs, int nvs, int idx)
{
    unsigned char body[20 + 4 + 8 * MAX_GROUP_NAME], frame[1024];
    char groups[8][MAX_GROUP_NAME];
    uint32_t w;
    group_id g = gid(idx);
    int i;

    memset(body, 0, sizeof body);
    memset(groups, 0, sizeof groups);
    memcpy(body, g.id, 12);
    w = 1;
    memcpy(body + 12, &w, 4);
    w = 0;
    memcpy(body + 16, &w, 4);
    w = (uint32_t)nvs;
    memcpy(body + 20, &w, 4);
    for (i = 0; i < nvs; i++)
        strcpy((char *)body + 24 + i * MAX_GROUP_NAME, vs[i]);
    for (i = 0; i < n; i++)
        strcpy(groups[i], members[i]);
    put(frame, fake_frame(frame, REG_MEMB_MESS | cause, "G", n,
                          (const char (*)[MAX_GROUP_NAME])groups,
                          (int16_t)index, body, 24 + nvs * MAX_GROUP_NAME,
                          0));
}

static void trans_memb(int idx)
{
    unsigned char frame[128];
    group_id g = gid(idx);

    put(frame, fake_frame(frame, TRANSITION_MESS, "G", 0, NULL, -1, g.id, 12,
                          0));
}

/* A data message from sender to "G" (or to groups given), as the daemon
 * forwards it; `foreign`: written by a host of the other byte order. */
static void data(service serv, const char *sender, int16 type,
                 const void *body, int len, int foreign)
{
    unsigned char frame[512];
    char g[1][MAX_GROUP_NAME] = { "G" };

    put(frame, fake_frame(frame, serv, sender, 1,
                          (const char (*)[MAX_GROUP_NAME])g, type, body, len,
                          foreign));
}

static void ctl(const char *sender, int16 type, int idx)
{
    group_id g = gid(idx);

    data(FIFO_MESS, sender, type, g.id, 12, 0);
}

/* One frame the layer wrote: header, groups, body. */
struct wframe {
    struct spw_header h;
    int16 mess_type;
    char groups[4][MAX_GROUP_NAME];
    unsigned char body[256];
    unsigned char raw[48 + 4 * 32 + 256];
};

static void expect_frame(struct wframe *f)
{
    size_t glen;

    ck_assert_int_eq(fake_read(dfd, f->raw, 48, FAKE_TIMEOUT_MS), 0);
    spw_header_decode(f->raw, &f->h);
    f->mess_type = spw_mess_type_from_hint(f->h.hint);
    ck_assert_int_le(f->h.num_groups, 4);
    ck_assert_int_le(f->h.data_len, 256);
    glen = (size_t)f->h.num_groups * MAX_GROUP_NAME;
    ck_assert_int_eq(fake_read(dfd, f->raw + 48, glen + (size_t)f->h.data_len,
                               FAKE_TIMEOUT_MS), 0);
    memcpy(f->groups, f->raw + 48, glen);
    memcpy(f->body, f->raw + 48 + glen, (size_t)f->h.data_len);
}

/* The layer's control message: FIFO, one group "G", body = id idx. Echo
 * it back as the daemon delivers it to its sender too. */
static void expect_ctl(int16 type, int idx)
{
    struct wframe f;
    group_id g = gid(idx);

    expect_frame(&f);
    ck_assert_uint_eq(f.h.type & ~(uint32_t)ENDIAN_RESERVED, FIFO_MESS);
    ck_assert_int_eq(f.mess_type, type);
    ck_assert_int_eq(f.h.num_groups, 1);
    ck_assert_str_eq(f.groups[0], "G");
    ck_assert_int_eq(f.h.data_len, 12);
    ck_assert_int_eq(memcmp(f.body, g.id, 12), 0);
    ctl(A, type, idx);
}

static void expect_nothing_sent(void)
{
    struct pollfd p = { dfd, POLLIN, 0 };

    ck_assert_int_eq(poll(&p, 1, 50), 0);
}

/* ---- the application's side ---------------------------------------- */

struct ev {
    int ret, ng, em, more;
    service serv;
    char sender[MAX_GROUP_NAME];
    char groups[8][MAX_GROUP_NAME];
    int16 type;
    char body[256];
};

/* FL_receive with DONT_BLOCK, polling the mailbox up to the deadline. */
static int rcv_flags(struct ev *e, int max_groups, int cap, service flags)
{
    int waited = 0;

    for (;;) {
        struct pollfd p = { mb, POLLIN, 0 };
        memset(e, 0, sizeof *e);
        e->serv = flags | DONT_BLOCK;
        e->more = -7;
        e->ret = FL_receive(mb, &e->serv, e->sender, max_groups, &e->ng,
                            e->groups, &e->type, &e->em, cap, e->body,
                            &e->more);
        if (e->ret != WOULD_BLOCK || waited >= FAKE_TIMEOUT_MS)
            return e->ret;
        (void)poll(&p, 1, 100);
        waited += 100;
    }
}

static int rcv(struct ev *e)
{
    return rcv_flags(e, 8, sizeof e->body, 0);
}

static void expect_notice(service serv, int16 type)
{
    struct ev e;

    ck_assert_int_eq(rcv(&e), 0);
    ck_assert_uint_eq((unsigned)e.serv, (unsigned)serv);
    ck_assert_str_eq(e.sender, "G");
    ck_assert_int_eq(e.ng, 0);
    ck_assert_int_eq(e.type, type);
}

static void expect_req(void)
{
    expect_notice(FLUSH_REQ_MESS, 0);
}

static void expect_trans(void)
{
    expect_notice(TRANSITION_MESS, 0);
}

/* A view of "G": cause, n members, own index, id idx, vs names. */
static void expect_view(service cause, int n, int index, int idx,
                        const char *const *vs, int k)
{
    struct ev e;
    group_id g = gid(idx);
    int32_t num;
    int i;

    ck_assert_int_eq(rcv(&e), 16 + 32 * k);
    ck_assert_uint_eq((unsigned)e.serv, (unsigned)(REG_MEMB_MESS | cause));
    ck_assert_str_eq(e.sender, "G");
    ck_assert_int_eq(e.ng, n);
    ck_assert_int_eq(e.type, index);
    ck_assert_int_eq(e.em, 0);
    ck_assert_int_eq(memcmp(e.body, g.id, 12), 0);
    memcpy(&num, e.body + 12, 4);
    ck_assert_int_eq(num, k);
    for (i = 0; i < k; i++)
        ck_assert_str_eq(e.body + 16 + 32 * i, vs[i]);
}

static void expect_data(const char *sender, const char *text, int16 type)
{
    struct ev e;

    ck_assert_int_eq(rcv(&e), (int)strlen(text));
    ck_assert_str_eq(e.sender, sender);
    ck_assert_int_eq(e.type, type);
    ck_assert_int_eq(memcmp(e.body, text, strlen(text)), 0);
}

static void expect_would_block(void)
{
    struct ev e;

    memset(&e, 0, sizeof e);
    e.serv = DONT_BLOCK;
    e.more = -7;
    ck_assert_int_eq(FL_receive(mb, &e.serv, e.sender, 8, &e.ng, e.groups,
                                &e.type, &e.em, sizeof e.body, e.body,
                                &e.more), WOULD_BLOCK);
    ck_assert_int_eq(e.more, -7);
}

/* A's first view: joining/flushed -> auto FLUSH_OK -> install -> FLUSH_RECV
 * -> settling -> steady once the FLUSH_RECV comes back. */
static void first_view(void)
{
    const char *m[] = { A };

    ck_assert_int_eq(FL_join(mb, "G"), 0);
    ck_assert_int_eq(fake_read(dfd, (unsigned char[80]){ 0 }, 80,
                               FAKE_TIMEOUT_MS), 0);   /* the JOIN frame */
    memb(CAUSED_BY_JOIN, m, 1, 0, m, 1, 1);
    expect_would_block();       /* membership processed, FLUSH_OK sent */
    expect_ctl(-32768, 1);
    expect_view(CAUSED_BY_JOIN, 1, 0, 1, m, 1);
    expect_ctl(-32767, 1);      /* FLUSH_RECV, echoed */
    expect_would_block();       /* counted: steady */
    ck_assert_int_eq(FL_poll(mb), 0);
    ck_assert_int_eq(FL_more_msgs(mb), 0);
}

/* B joins a steady [A]: request, flush, both FLUSH_OKs, view [A,B]. */
static void b_joins(void)
{
    const char *m[] = { A, B }, *vs[] = { B };

    memb(CAUSED_BY_JOIN, m, 2, 0, vs, 1, 2);
    expect_req();
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 2);
    ctl(B, -32768, 2);
    expect_view(CAUSED_BY_JOIN, 2, 0, 2, vs, 1);
    expect_ctl(-32767, 2);
}

/* [A,B] installed (settling), then C joins: the flush request is out. */
static void c_joins(void)
{
    const char *m3[] = { A, B, C }, *vs[] = { C };

    first_view();
    b_joins();
    memb(CAUSED_BY_JOIN, m3, 3, 0, vs, 1, 3);
    expect_req();
}

/* ---- tests ---------------------------------------------------------- */

/* 4.2/4.3 byte for byte on a little-endian host (the spec's capture). */
START_TEST(wire_bytes_of_control)
{
    static const unsigned char want[] = { 0x84, 0x00, 0x00, 0x80 };
    static const unsigned char hint[] = { 0x80, 0x00, 0x80, 0x80 };
    const char *m[] = { A };
    struct wframe f;
    struct ev e;

    ck_assert_int_eq(FL_join(mb, "G"), 0);
    ck_assert_int_eq(fake_read(dfd, (unsigned char[80]){ 0 }, 80,
                               FAKE_TIMEOUT_MS), 0);
    memb(CAUSED_BY_JOIN, m, 1, 0, m, 1, 1);
    ck_assert_int_eq(rcv_flags(&e, 8, 256, 0), WOULD_BLOCK);
    expect_frame(&f);
    if (spw_native_mark() == 0x80000080u) {
        ck_assert_int_eq(memcmp(f.raw, want, 4), 0);
        ck_assert_int_eq(memcmp(f.raw + 40, hint, 4), 0);
    }
    ck_assert_str_eq(f.h.sender, A);
    ck_assert_int_eq(f.h.data_len, 12);
}
END_TEST

START_TEST(first_view_and_join)
{
    first_view();
    b_joins();
    /* settling: both FLUSH_RECVs make it steady; until then FIFO sends
     * are tagged with the new view's id (4.4). */
    {
        struct wframe f;
        group_id g = gid(2);
        ck_assert_int_eq(FL_multicast(mb, FIFO_MESS, "G", 5, 3, "abc"), 3);
        expect_frame(&f);
        ck_assert_int_eq(f.mess_type, -32766);
        ck_assert_int_eq(f.h.data_len, 17);
        ck_assert_int_eq(memcmp(f.body, "abc", 3), 0);
        {
            int16 t;
            memcpy(&t, f.body + 3, 2);
            ck_assert_int_eq(t, 5);
        }
        ck_assert_int_eq(memcmp(f.body + 5, g.id, 12), 0);
        /* AGREED is never tagged. */
        ck_assert_int_eq(FL_multicast(mb, AGREED_MESS, "G", 5, 3, "abc"), 3);
        expect_frame(&f);
        ck_assert_int_eq(f.mess_type, 5);
        ck_assert_int_eq(f.h.data_len, 3);
    }
    ctl(B, -32767, 2);
    expect_would_block();
    {
        struct wframe f;
        ck_assert_int_eq(FL_multicast(mb, FIFO_MESS, "G", 5, 3, "abc"), 3);
        expect_frame(&f);
        ck_assert_int_eq(f.mess_type, 5);   /* steady: plain */
    }
}
END_TEST

/* requested: sends tagged with the old view's id; flushed: ILLEGAL_STATE;
 * a second FL_flush ILLEGAL_STATE; messages of the old view delivered. */
START_TEST(requested_and_flushed)
{
    const char *m3[] = { A, B, C }, *vs[] = { C };
    struct wframe f;
    group_id old = gid(2);

    first_view();
    b_joins();
    ctl(B, -32767, 2);
    expect_would_block();
    ck_assert_int_eq(FL_flush(mb, "G"), ILLEGAL_STATE);   /* no request */
    memb(CAUSED_BY_JOIN, m3, 3, 0, vs, 1, 3);
    expect_req();
    ck_assert_int_eq(FL_more_msgs(mb), 0);
    ck_assert_int_eq(FL_multicast(mb, RELIABLE_MESS, "G", 9, 2, "hi"), 2);
    expect_frame(&f);
    ck_assert_int_eq(f.mess_type, -32766);
    ck_assert_int_eq(memcmp(f.body + 4, old.id, 12), 0);
    data(FIFO_MESS, B, 4, "old", 3, 0);
    expect_data(B, "old", 4);
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 3);
    ck_assert_int_eq(FL_flush(mb, "G"), ILLEGAL_STATE);
    ck_assert_int_eq(FL_multicast(mb, FIFO_MESS, "G", 1, 1, "x"),
                     ILLEGAL_STATE);
    /* To a private group sending is still allowed and never tagged. */
    ck_assert_int_eq(FL_multicast(mb, FIFO_MESS, B, 1, 1, "p"), 1);
    expect_frame(&f);
    ck_assert_int_eq(f.mess_type, 1);
    ctl(B, -32768, 3);
    expect_would_block();          /* C has not answered */
    ctl(C, -32768, 3);
    expect_view(CAUSED_BY_JOIN, 3, 0, 3, vs, 1);
    expect_ctl(-32767, 3);
}
END_TEST

/* flushed: a tagged message of the coming view from one of its members is
 * postponed until the view; from a sender outside it, dropped (upstream
 * aborts); untagged data from a non-member is never shown. */
START_TEST(postponed_and_closed)
{
    const char *vs[] = { C };
    unsigned char body[2 + 2 + 12];
    group_id g = gid(3);
    int16 t = 8;

    c_joins();
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 3);
    memcpy(body, "nw", 2);
    memcpy(body + 2, &t, 2);
    memcpy(body + 4, g.id, 12);
    data(FIFO_MESS, C, -32766, body, 16, 0);     /* C, in the new view */
    data(FIFO_MESS, X, -32766, body, 16, 0);     /* X, not in it */
    data(AGREED_MESS, X, 1, "nope", 4, 0);       /* X, plain */
    ctl(B, -32768, 3);
    expect_would_block();
    ck_assert_int_eq(FL_more_msgs(mb), 0);
    ctl(C, -32768, 3);
    expect_view(CAUSED_BY_JOIN, 3, 0, 3, vs, 1);
    expect_data(C, "nw", 8);
    expect_ctl(-32767, 3);
    expect_would_block();
}
END_TEST

/* 7.8: a FLUSH_RECV for the coming view that arrives while we are still
 * flushed (another member installed first) is counted and carried into
 * settling: steady comes with the last listed member's FLUSH_RECV. */
START_TEST(flush_recv_carried)
{
    const char *vs[] = { C };
    struct wframe f;

    c_joins();
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 3);
    ctl(B, -32768, 3);
    ctl(B, -32767, 3);   /* B saw C's FLUSH_OK before us and installed */
    expect_would_block();
    ctl(C, -32768, 3);
    expect_view(CAUSED_BY_JOIN, 3, 0, 3, vs, 1);
    expect_ctl(-32767, 3);             /* ours, echoed: 2 of 3 */
    expect_would_block();
    ck_assert_int_eq(FL_multicast(mb, FIFO_MESS, "G", 5, 1, "s"), 1);
    expect_frame(&f);
    ck_assert_int_eq(f.mess_type, -32766);   /* still settling */
    ctl(C, -32767, 3);
    expect_would_block();
    ck_assert_int_eq(FL_multicast(mb, FIFO_MESS, "G", 5, 1, "s"), 1);
    expect_frame(&f);
    ck_assert_int_eq(f.mess_type, 5);        /* steady */
}
END_TEST

/* Leave: request then transitional signal (7.3 step 9); a Spread
 * transitional membership adds no second signal. Network: transitional
 * first. A FLUSH_RECV that never comes leaves the view settling. */
START_TEST(leave_and_network_order)
{
    const char *m1[] = { A }, *vb[] = { B };

    first_view();
    b_joins();
    trans_memb(2);
    expect_trans();             /* 7.4: signal at once */
    memb(CAUSED_BY_LEAVE, m1, 1, 0, vb, 1, 3);
    expect_req();               /* no second transitional signal */
    ck_assert_int_eq(FL_more_msgs(mb), 0);
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 3);
    expect_view(CAUSED_BY_LEAVE, 1, 0, 3, vb, 1);
    expect_ctl(-32767, 3);
}
END_TEST

START_TEST(disconnect_gives_request_then_signal)
{
    const char *m1[] = { A }, *vb[] = { B };

    first_view();
    b_joins();
    memb(CAUSED_BY_DISCONNECT, m1, 1, 0, vb, 1, 3);
    expect_req();
    expect_trans();
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 3);
    expect_view(CAUSED_BY_DISCONNECT, 1, 0, 3, vb, 1);
}
END_TEST

/* A joiner that disconnects before its FLUSH_OK: the round is discarded
 * and the next change absorbs it (NETWORK, vs = previous view); being
 * flushed, the layer answers the new change by itself (7.3 steps 6, 8). */
START_TEST(collapse_discarded_round)
{
    const char *m2[] = { A, B }, *vc[] = { C };

    c_joins();
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 3);
    memb(CAUSED_BY_DISCONNECT, m2, 2, 0, vc, 1, 4);
    expect_would_block();                  /* no second request */
    expect_ctl(-32768, 4);                 /* automatic FLUSH_OK */
    ctl(B, -32768, 4);
    expect_view(CAUSED_BY_NETWORK, 2, 0, 4, m2, 2);
}
END_TEST

/* In requested, a replaced current change produces no new request, and
 * the application's one FL_flush answers the new change. */
START_TEST(requested_replaced)
{
    const char *m2[] = { A, B }, *vc[] = { C };

    c_joins();
    memb(CAUSED_BY_DISCONNECT, m2, 2, 0, vc, 1, 4);
    expect_would_block();
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 4);
    ctl(B, -32768, 4);
    expect_view(CAUSED_BY_NETWORK, 2, 0, 4, m2, 2);
}
END_TEST

/* Cascade (7.7 example): C sent its FLUSH_OK and then disconnected: the
 * join is installed, then at once the next request and the transitional
 * signal, and no FLUSH_RECV for the view that is already old. */
START_TEST(cascade)
{
    const char *m2[] = { A, B }, *vc[] = { C };
    struct ev e;

    c_joins();
    ctl(C, -32768, 3);
    ctl(B, -32768, 3);
    memb(CAUSED_BY_DISCONNECT, m2, 2, 0, vc, 1, 4);
    expect_would_block();
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 3);
    ck_assert_int_eq(rcv(&e), 48);
    ck_assert_uint_eq((unsigned)e.serv, REG_MEMB_MESS | CAUSED_BY_JOIN);
    ck_assert_int_eq(e.more, 2);
    ck_assert_int_eq(rcv(&e), 0);
    ck_assert_uint_eq((unsigned)e.serv, FLUSH_REQ_MESS);
    ck_assert_int_eq(e.more, 1);
    ck_assert_int_eq(rcv(&e), 0);
    ck_assert_uint_eq((unsigned)e.serv, TRANSITION_MESS);
    ck_assert_int_eq(e.more, 0);
    expect_nothing_sent();                 /* no FLUSH_RECV */
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 4);
    ctl(B, -32768, 4);
    expect_view(CAUSED_BY_DISCONNECT, 2, 0, 4, vc, 1);
}
END_TEST

/* FLUSH_OKs that arrive before their membership are kept (orphans) and
 * count when it comes. */
START_TEST(orphan_flush_ok)
{
    const char *m2[] = { A, B }, *vb[] = { B };

    first_view();
    ctl(B, -32768, 2);
    memb(CAUSED_BY_JOIN, m2, 2, 0, vb, 1, 2);
    expect_req();
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 2);
    expect_view(CAUSED_BY_JOIN, 2, 0, 2, vb, 1);
}
END_TEST

/* Self-leave (7.5): the record goes, the notice is handed out, FL_join is
 * allowed again; FL_leave/FL_flush/FL_join state errors (5.4-5.6). */
START_TEST(self_leave)
{
    unsigned char frame[128];
    struct ev e;

    ck_assert_int_eq(FL_leave(mb, "G"), ILLEGAL_GROUP);
    first_view();
    ck_assert_int_eq(FL_join(mb, "G"), ILLEGAL_GROUP);
    ck_assert_int_eq(FL_leave(mb, "G"), 0);
    ck_assert_int_eq(FL_leave(mb, "G"), ILLEGAL_GROUP);
    ck_assert_int_eq(FL_flush(mb, "G"), ILLEGAL_GROUP);
    ck_assert_int_eq(FL_multicast(mb, AGREED_MESS, "G", 1, 1, "x"),
                     ILLEGAL_GROUP);
    put(frame, fake_frame(frame, CAUSED_BY_LEAVE, "G", 0, NULL, -1, NULL, 0,
                          0));
    ck_assert_int_eq(rcv(&e), 0);
    ck_assert_uint_eq((unsigned)e.serv, CAUSED_BY_LEAVE);
    ck_assert_int_eq(e.type, -1);
    ck_assert_str_eq(e.sender, "G");
    ck_assert_int_eq(FL_join(mb, "G"), 0);
}
END_TEST

/* Malformed input is dropped, never trusted: short control and tagged
 * messages, a subgroup cast without its reference group, a membership
 * whose body does not parse or whose index is out of range. Messages to
 * our own private group are delivered as sent, to other groups dropped. */
START_TEST(malformed_dropped)
{
    const char *vb[] = { B };
    unsigned char frame[256], body[20];
    char g[1][MAX_GROUP_NAME] = { A };

    first_view();
    data(FIFO_MESS, B, -32768, "abcd", 4, 0);
    data(FIFO_MESS, B, -32767, "", 0, 0);
    data(FIFO_MESS, B, -32766, "abcdefghijklm", 13, 0);
    data(AGREED_MESS | SUBGROUP_CAST, B, 1, "short", 5, 0);
    memset(body, 0, sizeof body);
    put(frame, fake_frame(frame, REG_MEMB_MESS | CAUSED_BY_JOIN, "G", 1,
                          (const char (*)[MAX_GROUP_NAME])g, 0, body, 10, 0));
    /* A list without us (the SP layer reports index -1). */
    memb(CAUSED_BY_JOIN, (const char *const[]){ B, C }, 2, 0, vb, 1, 7);
    put(frame, fake_frame(frame, AGREED_MESS, B, 1,
                          (const char (*)[MAX_GROUP_NAME])g, 3, "me", 2, 0));
    expect_data(B, "me", 3);
    data(AGREED_MESS, A, 1, "self", 4, 0);
    expect_data(A, "self", 1);
    expect_would_block();
    expect_nothing_sent();
}
END_TEST

/* A sender of the other byte order: its tag's type and id are swapped. */
START_TEST(other_byte_order)
{
    unsigned char body[3 + 14];
    group_id g = gid(1);
    struct ev e;
    int i;

    first_view();
    memb(CAUSED_BY_JOIN, (const char *const[]){ A, B }, 2, 0,
         (const char *const[]){ B }, 1, 2);
    expect_req();
    memcpy(body, "big", 3);
    body[3] = 0;
    body[4] = 7;
    for (i = 0; i < 3; i++) {
        uint32_t w = spw_swap32((uint32_t)g.id[i]);
        memcpy(body + 5 + 4 * i, &w, 4);
    }
    /* From A itself (in the current view), tagged with the old view. */
    data(FIFO_MESS, A, -32766, body, 17, 1);
    ck_assert_int_eq(rcv(&e), 3);
    ck_assert_int_eq(e.type, 7);
    ck_assert_int_eq(e.em, 1);
}
END_TEST

/* 7.2: DROP_RECV and a subgroup cast whose groups do not fit: the
 * reference group goes into the last slot, *num_groups is -(total). */
START_TEST(drop_recv_subgroup)
{
    unsigned char frame[512], body[2 + 32];
    char g[2][MAX_GROUP_NAME] = { A, B };
    struct ev e;

    first_view();
    memcpy(body, "xy", 2);
    memset(body + 2, 0, 32);
    strcpy((char *)body + 2, "G");
    put(frame, fake_frame(frame, AGREED_MESS | SUBGROUP_CAST, A, 2,
                          (const char (*)[MAX_GROUP_NAME])g, 6, body, 34, 0));
    /* Without DROP_RECV: groups short, counting the reference slot. */
    ck_assert_int_eq(rcv_flags(&e, 2, 256, 0), GROUPS_TOO_SHORT);
    ck_assert_int_eq(e.ng, -3);
    ck_assert_int_eq(e.type, 6);
    ck_assert_int_eq(e.more, -7);
    ck_assert_int_eq(rcv_flags(&e, 2, 1, DROP_RECV), GROUPS_TOO_SHORT);
    ck_assert_int_eq(e.ng, -3);
    ck_assert_str_eq(e.groups[0], A);
    ck_assert_str_eq(e.groups[1], "G");
    ck_assert_int_eq(e.body[0], 'x');
    expect_would_block();
}
END_TEST

/* 7.9: a view the layer made does not fit. Without DROP_RECV it stays
 * at the head of the queue (nothing but the sizes written); with it, it
 * is copied as far as it fits and leaves the queue. */
START_TEST(queued_short_buffers)
{
    const char *m[] = { A, B }, *vs[] = { B };
    struct ev e;

    first_view();
    memb(CAUSED_BY_JOIN, m, 2, 0, vs, 1, 2);
    expect_req();
    ck_assert_int_eq(FL_flush(mb, "G"), 0);
    expect_ctl(-32768, 2);
    ctl(B, -32768, 2);
    ck_assert_int_eq(rcv_flags(&e, 8, 20, 0), BUFFER_TOO_SHORT);
    ck_assert_int_eq(e.em, -48);
    ck_assert_int_eq(e.ng, 0);
    ck_assert_int_eq(e.type, 0);
    ck_assert_str_eq(e.sender, "");
    ck_assert_int_eq(e.more, -7);
    ck_assert_int_eq(FL_more_msgs(mb), 1);
    ck_assert_int_eq(rcv_flags(&e, 1, 20, 0), GROUPS_TOO_SHORT);
    ck_assert_int_eq(e.ng, -2);
    ck_assert_int_eq(e.em, -48);
    ck_assert_int_eq(rcv_flags(&e, 1, 20, DROP_RECV), GROUPS_TOO_SHORT);
    ck_assert_int_eq(e.ng, -2);
    ck_assert_str_eq(e.groups[0], A);
    ck_assert_str_eq(e.sender, "G");
    ck_assert_uint_eq((unsigned)e.serv, REG_MEMB_MESS | CAUSED_BY_JOIN);
    ck_assert_int_eq(FL_more_msgs(mb), 0);
    expect_ctl(-32767, 2);
}
END_TEST

/* Destroy-on-failure (5): the daemon goes away under a receive; the
 * connection is gone for every later call. */
START_TEST(daemon_gone)
{
    struct ev e;

    first_view();
    close(dfd);
    dfd = -1;
    ck_assert_int_eq(rcv(&e), CONNECTION_CLOSED);
    ck_assert_int_eq(FL_flush(mb, "G"), ILLEGAL_SESSION);
    ck_assert_int_eq(FL_more_msgs(mb), ILLEGAL_SESSION);
    ck_assert_int_eq(rcv(&e), ILLEGAL_SESSION);
}
END_TEST

/* P11: FL_disconnect from another thread wakes a blocked FL_receive. */
struct blocked {
    pthread_t th;
    int rc;
};

static void *blocked_main(void *arg)
{
    struct blocked *b = arg;
    struct ev e;

    e.serv = 0;
    b->rc = FL_receive(mb, &e.serv, e.sender, 8, &e.ng, e.groups, &e.type,
                       &e.em, sizeof e.body, e.body, &e.more);
    return NULL;
}

static void *disc_main(void *arg)
{
    *(int *)arg = FL_disconnect(mb);
    return NULL;
}

START_TEST(disconnect_wakes_receiver)
{
    struct blocked b;
    pthread_t dt;
    int drc = 1;

    first_view();
    ck_assert_int_eq(pthread_create(&b.th, NULL, blocked_main, &b), 0);
    expect_nothing_sent();       /* give it time to block; not required */
    ck_assert_int_eq(pthread_create(&dt, NULL, disc_main, &drc), 0);
    {
        char pg[MAX_GROUP_NAME] = A;
        ck_assert_int_eq(fake_answer_disconnect(dfd, pg, 1, NULL), 0);
    }
    pthread_join(dt, NULL);
    pthread_join(b.th, NULL);
    ck_assert_int_eq(drc, 0);
    ck_assert_int_lt(b.rc, 0);
    ck_assert_int_eq(FL_disconnect(mb), ILLEGAL_SESSION);
    ck_assert_int_eq(flx_conn_count(), 0);
}
END_TEST

/* Stale records: SP_kill on the mailbox (a fork child dropping what it
 * inherited) makes the flush connection unknown too. */
START_TEST(sp_kill_drops_flush_state)
{
    first_view();
    ck_assert_int_eq(flx_conn_count(), 1);
    ck_assert_int_eq(SP_kill(mb), 0);
    ck_assert_int_eq(FL_more_msgs(mb), ILLEGAL_SESSION);
    ck_assert_int_eq(flx_conn_count(), 0);
}
END_TEST

START_TEST(fixed_answers)
{
    int a = -1, b = -1, c = -1;

    FL_version(&a, &b, &c);
    ck_assert_int_eq(a, 2);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(c, 0);
    ck_assert_int_eq(FL_get_gid_offset_memb_mess(), 0);
    ck_assert_int_eq(FL_get_num_vs_offset_memb_mess(), 12);
    ck_assert_int_eq(FL_get_vs_set_offset_memb_mess(), 16);
    ck_assert_int_eq(FL_lib_init(), 0);
    ck_assert_int_eq(FL_lib_init(), ILLEGAL_STATE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fl_engine");
    TCase *tc = tcase_create("engine");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, wire_bytes_of_control);
    tcase_add_test(tc, first_view_and_join);
    tcase_add_test(tc, requested_and_flushed);
    tcase_add_test(tc, postponed_and_closed);
    tcase_add_test(tc, flush_recv_carried);
    tcase_add_test(tc, leave_and_network_order);
    tcase_add_test(tc, disconnect_gives_request_then_signal);
    tcase_add_test(tc, collapse_discarded_round);
    tcase_add_test(tc, requested_replaced);
    tcase_add_test(tc, cascade);
    tcase_add_test(tc, orphan_flush_ok);
    tcase_add_test(tc, self_leave);
    tcase_add_test(tc, malformed_dropped);
    tcase_add_test(tc, other_byte_order);
    tcase_add_test(tc, drop_recv_subgroup);
    tcase_add_test(tc, queued_short_buffers);
    tcase_add_test(tc, daemon_gone);
    tcase_add_test(tc, disconnect_wakes_receiver);
    tcase_add_test(tc, sp_kill_drops_flush_state);
    tcase_add_test(tc, fixed_answers);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
