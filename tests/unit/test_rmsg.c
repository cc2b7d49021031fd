/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/rmsg.c: order requests as ring messages, byte for
 * byte as upstream lays them out (vectors/ring/02_steady_traffic.vec), and
 * the checks on messages other daemons ordered: every field, every
 * truncation, foreign byte order, impersonation.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "internal/wire.h"
#include "conf.h"
#include "frame.h"
#include "msg.h"
#include "rmsg.h"
#include "../lib/ckmain.h"

static struct conf *two_daemons(void)
{
    struct conf *c = calloc(1, sizeof *c);

    ck_assert_ptr_nonnull(c);
    c->n_segments = 1;
    c->n_daemons = 2;
    strcpy(c->daemons[0].name, "n1");
    strcpy(c->daemons[1].name, "n2");
    return c;
}

static void name32(char *dst, const char *s)
{
    memset(dst, 0, MAX_GROUP_NAME);
    memcpy(dst, s, strlen(s));
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A message as a sender of either byte order writes it. */
static size_t build(unsigned char *b, int big, uint32_t type,
                    const char *sender, const char *const *groups, int ng,
                    const char *data)
{
    void (*put)(unsigned char *, uint32_t) = big ? put_be32 : put_le32;
    uint32_t mark = big ? 0 : 0x80000080u;
    size_t dl = data ? strlen(data) : 0;
    int i;

    memset(b, 0, 48 + 32 * (size_t)ng + dl);
    put(b, type | mark);
    memcpy(b + 4, sender, strlen(sender));
    put(b + 36, (uint32_t)ng);
    put(b + 40, mark);
    put(b + 44, (uint32_t)dl);
    for (i = 0; i < ng; i++)
        memcpy(b + 48 + 32 * i, groups[i], strlen(groups[i]));
    if (dl)
        memcpy(b + 48 + 32 * ng, data, dl);
    return 48 + 32 * (size_t)ng + dl;
}

/* 02_steady_traffic.vec, record 16: c1's join of g1, an 80-byte
 * message in an AGREED packet. */
START_TEST(join_as_captured)
{
    struct order_req r;
    unsigned char buf[128], want[128];
    const unsigned char *bytes;
    const char *g[] = {"g1"};
    size_t len, wlen;
    uint32_t svc;

    memset(&r, 0, sizeof r);
    r.kind = ORDER_JOIN;
    r.cls = ORDER_AGREED;
    name32(r.sender, "#c1#n1");
    name32(r.group, "g1");
    ck_assert_int_eq(rmsg_encode(&r, buf, sizeof buf, &bytes, &len, &svc), 0);
    wlen = build(want, spw_native_mark() == 0, SPW_JOIN_MESS, "#c1#n1", g, 1,
                 NULL);
    ck_assert_uint_eq(len, 80);
    ck_assert_uint_eq(wlen, 80);
    ck_assert_mem_eq(bytes, want, 80);
    ck_assert_uint_eq(svc, RMSG_AGREED);
}
END_TEST

/* A kill names the client itself (record 390: KILL_MESS of #c2#n2). */
START_TEST(kill_names_sender)
{
    struct conf *c = two_daemons();
    struct order_req r, back;
    unsigned char buf[128];
    const unsigned char *bytes;
    size_t len;
    uint32_t svc;
    char why[128];

    memset(&r, 0, sizeof r);
    r.kind = ORDER_KILL;
    r.cls = ORDER_SAFE;
    name32(r.sender, "#c2#n2");
    ck_assert_int_eq(rmsg_encode(&r, buf, sizeof buf, &bytes, &len, &svc), 0);
    ck_assert_uint_eq(svc, RMSG_SAFE);
    ck_assert_mem_eq(bytes + 48, r.sender, 32);
    ck_assert_int_eq(rmsg_decode(bytes, len, c, 1, &back, why, sizeof why),
                     RMSG_REQUEST);
    ck_assert_int_eq(back.kind, ORDER_KILL);
    ck_assert_int_eq(back.origin, 1);
    ck_assert_str_eq(back.sender, "#c2#n2");
    free(c);
}
END_TEST

/* Data from a daemon of the other byte order: delivered with the header
 * in ours, names, hint and body as sent. */
START_TEST(data_foreign_order)
{
    struct conf *c = two_daemons();
    unsigned char b[256];
    const char *g[] = {"g1", "#c1#n1"};
    struct order_req r;
    struct spw_header h;
    char why[128];
    int big = spw_native_mark() != 0;   /* the order that is not ours */
    size_t n = build(b, big, AGREED_MESS, "#c2#n2", g, 2, "hello");

    ck_assert_int_eq(rmsg_decode(b, n, c, 1, &r, why, sizeof why),
                     RMSG_REQUEST);
    ck_assert_int_eq(r.kind, ORDER_DATA);
    ck_assert_int_eq(r.cls, ORDER_AGREED);
    ck_assert_uint_eq(r.msg->len, n);
    spw_header_decode(r.msg->data, &h);
    ck_assert_int_eq(h.foreign, 0);
    ck_assert_uint_eq(h.type & ~(uint32_t)ENDIAN_RESERVED, AGREED_MESS);
    ck_assert_int_eq(h.num_groups, 2);
    ck_assert_int_eq(h.data_len, 5);
    ck_assert_mem_eq(r.msg->data + 48, b + 48, n - 48);
    msg_unref(r.msg);
    free(c);
}
END_TEST

START_TEST(groups_handed_back)
{
    struct conf *c = two_daemons();
    unsigned char b[128];
    struct order_req r;
    char why[128];
    size_t n = build(b, 0, AGREED_MESS | SPW_GROUPS_MESS, "n1", NULL, 0,
                     "x");

    ck_assert_int_eq(rmsg_decode(b, n, c, 0, &r, why, sizeof why),
                     RMSG_STATE);
    ck_assert_ptr_null(r.msg);
    free(c);
}
END_TEST

struct bad {
    const char *what;
    uint32_t type;
    const char *sender;
    const char *group;     /* one group, or NULL for none */
    int origin;
    int tweak;             /* 1: length +1, 2: group not NUL-terminated,
                            * 3: num_groups 101, 4: kill names another */
};

static const struct bad bads[] = {
    {"impersonates another daemon's client", AGREED_MESS, "#c1#n1", "g", 1, 0},
    {"sender not private", AGREED_MESS, "c1", "g", 0, 0},
    {"sender empty user", AGREED_MESS, "##n1", "g", 0, 0},
    {"two kinds", AGREED_MESS | SAFE_MESS, "#c1#n1", "g", 0, 0},
    {"no kind", 0, "#c1#n1", "g", 0, 0},
    {"join without group", SPW_JOIN_MESS, "#c1#n1", NULL, 0, 0},
    {"join of an illegal name", SPW_JOIN_MESS, "#c1#n1", "a b", 0, 0},
    {"join of a private name", SPW_JOIN_MESS, "#c1#n1", "#x#n1", 0, 0},
    {"length mismatch", AGREED_MESS, "#c1#n1", "g", 0, 1},
    {"unterminated group", AGREED_MESS, "#c1#n1", "g", 0, 2},
    {"too many groups", AGREED_MESS, "#c1#n1", "g", 0, 3},
    {"kill naming another", SPW_KILL_MESS, "#c1#n1", "#c1#n1", 0, 4},
    {"origin outside", AGREED_MESS, "#c1#n1", "g", 7, 0},
};

START_TEST(refused)
{
    const struct bad *t = &bads[_i];
    struct conf *c = two_daemons();
    unsigned char b[512];
    const char *g[] = {t->group};
    struct order_req r;
    char why[128] = "";
    size_t n = build(b, 0, t->type, t->sender, g, t->group ? 1 : 0, NULL);

    if (t->tweak == 1)
        b[n++] = 'x';
    if (t->tweak == 2)
        memset(b + 48, 'a', 32);
    if (t->tweak == 3)
        put_le32(b + 36, 101);
    if (t->tweak == 4)
        b[48 + 2] = '2';
    ck_assert_msg(rmsg_decode(b, n, c, t->origin, &r, why, sizeof why) ==
                  RMSG_INVALID, "%s: accepted", t->what);
    ck_assert_msg(why[0] != '\0', "%s: no reason", t->what);
    ck_assert_ptr_null(r.msg);
    free(c);
}
END_TEST

/* Every prefix of a valid message is refused, without reading past it
 * (run under ASan in CI). */
START_TEST(truncations)
{
    struct conf *c = two_daemons();
    unsigned char b[256];
    const char *g[] = {"g1"};
    size_t n = build(b, 0, SAFE_MESS, "#c1#n1", g, 1, "payload"), k;
    struct order_req r;
    char why[128];

    for (k = 0; k < n; k++) {
        unsigned char *p = malloc(k ? k : 1);
        memcpy(p, b, k);
        ck_assert_int_eq(rmsg_decode(p, k, c, 0, &r, why, sizeof why),
                         RMSG_INVALID);
        free(p);
    }
    ck_assert_int_eq(rmsg_decode(b, n, c, 0, &r, why, sizeof why),
                     RMSG_REQUEST);
    msg_unref(r.msg);
    free(c);
}
END_TEST

/* A client cannot smuggle a daemon-internal kind into the ring: the frame
 * receivers (and the ring) get has those bits cleared. */
START_TEST(client_internal_bits_cleared)
{
    unsigned char in[128], out[128];
    const char *g[] = {"g1"};
    struct frame f;
    struct spw_header h;
    char pg[MAX_GROUP_NAME], why[64];
    size_t n = build(in, spw_native_mark() == 0,
                     AGREED_MESS | SPW_GROUPS_MESS | 0x4000u, "#c1#n1", g, 1,
                     "d");

    name32(pg, "#c1#n1");
    ck_assert_int_eq(frame_next(in, n, pg, &f, why, sizeof why), FRAME_WHOLE);
    frame_for_delivery(&f, out);
    spw_header_decode(out, &h);
    ck_assert_uint_eq(h.type & ~(uint32_t)ENDIAN_RESERVED, AGREED_MESS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rmsg");
    TCase *tc = tcase_create("rmsg");

    tcase_add_test(tc, join_as_captured);
    tcase_add_test(tc, kill_names_sender);
    tcase_add_test(tc, data_foreign_order);
    tcase_add_test(tc, groups_handed_back);
    tcase_add_loop_test(tc, refused, 0, (int)(sizeof bads / sizeof bads[0]));
    tcase_add_test(tc, truncations);
    tcase_add_test(tc, client_internal_bits_cleared);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
