/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_lib_recv: SP_receive / SP_scat_receive and the membership helpers
 * on input the upstream captures do not contain: a daemon of the other
 * byte order, reject notices, multi-set network memberships, bodies spread
 * over scatter elements of odd sizes, malformed headers, truncated member
 * lists. A fake daemon (test_lib_fake) feeds hand-built frames.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp.h"
#include "internal/wire.h"
#include "test_lib_fake.h"
#include "../lib/ckmain.h"

static struct fake_daemon D;
static int dfd = -1;
static mailbox M;
static char G[MAX_GROUP_NAME];

static void setup(void)
{
    ck_assert_int_eq(fake_listen(&D), 0);
    dfd = fake_session(&D, "me", 1, &M, G);
    ck_assert_int_ge(dfd, 0);
    ck_assert_str_eq(G, "#me#localhost");
}

static void teardown(void)
{
    SP_kill(M);
    if (dfd >= 0)
        close(dfd);
    fake_close(&D);
}

static void put_word(unsigned char *p, uint32_t v, int foreign)
{
    spw_put32(p, foreign ? spw_swap32(v) : v);
}

/* A regular membership body: sets[i] has counts[i] of the names, in
 * order; own is the index of the receiver's set. */
static size_t memb_body(unsigned char *out, int index, int nsets,
                        const int *counts, const char *const *names, int own,
                        int foreign)
{
    size_t off = 20, own_off = 0;
    int i, j, k = 0;

    put_word(out, 1111, foreign);
    put_word(out + 4, 2222, foreign);
    put_word(out + 8, (uint32_t)index, foreign);
    put_word(out + 12, (uint32_t)nsets, foreign);
    for (i = 0; i < nsets; i++) {
        if (i == own)
            own_off = off - 20;
        put_word(out + off, (uint32_t)counts[i], foreign);
        off += 4;
        for (j = 0; j < counts[i]; j++, k++) {
            memset(out + off, 0, MAX_GROUP_NAME);
            strcpy((char *)out + off, names[k]);
            off += MAX_GROUP_NAME;
        }
    }
    put_word(out + 16, (uint32_t)own_off, foreign);
    return off;
}

static const char *const NAMES[3] = { "#bob#d2", "#me#localhost",
                                      "#zoe#localhost" };
static const int COUNTS[2] = { 1, 2 };
static char MEMBERS[3][MAX_GROUP_NAME];

/* Send a network membership of group "net": sets {bob}, {me, zoe}. */
static int send_network_memb(int foreign)
{
    unsigned char body[512], frame[1024];
    size_t blen, flen;
    int i;

    memset(MEMBERS, 0, sizeof MEMBERS);
    for (i = 0; i < 3; i++)
        strcpy(MEMBERS[i], NAMES[i]);
    blen = memb_body(body, 7, 2, COUNTS, NAMES, 1, foreign);
    flen = fake_frame(frame, REG_MEMB_MESS | CAUSED_BY_NETWORK, "net", 3,
                      (const char (*)[32])MEMBERS, 0, body, (int32_t)blen,
                      foreign);
    ck_assert_int_eq(fake_write(dfd, frame, flen), 0);
    return (int)blen;
}

struct rx {
    service st;
    char sender[MAX_GROUP_NAME];
    int ng;
    char groups[8][MAX_GROUP_NAME];
    int16 mt;
    int em;
};

static int rx_flat(struct rx *r, service in, int max_groups, char *buf,
                   int len)
{
    memset(r, 0, sizeof *r);
    r->st = in;
    return SP_receive(M, &r->st, r->sender, max_groups, &r->ng, r->groups,
                      &r->mt, &r->em, len, buf);
}

/* Check the helpers on the network membership, through any reader. */
static void check_network(int (*info)(const void *, service,
                                      membership_info *),
                          int (*sets)(const void *, vs_set_info *, int,
                                      unsigned int *),
                          int (*members)(const void *, const vs_set_info *,
                                         char (*)[32], int),
                          const void *msg)
{
    membership_info mi;
    vs_set_info vs[2];
    unsigned int my = 9;
    char names[2][MAX_GROUP_NAME];

    ck_assert_int_eq(info(msg, REG_MEMB_MESS | CAUSED_BY_NETWORK, &mi), 1);
    ck_assert_int_eq(mi.gid.id[0], 1111);
    ck_assert_int_eq(mi.gid.id[1], 2222);
    ck_assert_int_eq(mi.gid.id[2], 7);
    ck_assert_uint_eq(mi.num_vs_sets, 2);
    ck_assert_uint_eq(mi.my_vs_set.num_members, 2);
    ck_assert_uint_eq(mi.my_vs_set.members_offset, 20 + 36 + 4);
    ck_assert_int_eq(mi.changed_member[0], 0);
    ck_assert_int_eq(sets(msg, vs, 1, &my), BUFFER_TOO_SHORT);
    ck_assert_int_eq(sets(msg, vs, 2, &my), 2);
    ck_assert_uint_eq(my, 1);
    ck_assert_uint_eq(vs[0].num_members, 1);
    ck_assert_uint_eq(vs[0].members_offset, 24);
    ck_assert_uint_eq(vs[1].num_members, 2);
    ck_assert_uint_eq(vs[1].members_offset, 60);
    ck_assert_int_eq(members(msg, &vs[1], names, 1), BUFFER_TOO_SHORT);
    ck_assert_int_eq(members(msg, &vs[1], names, 2), 2);
    ck_assert_str_eq(names[0], "#me#localhost");
    ck_assert_str_eq(names[1], "#zoe#localhost");
    ck_assert_int_eq(members(msg, &vs[0], names, 2), 1);
    ck_assert_str_eq(names[0], "#bob#d2");
}

static int flat_info(const void *m, service t, membership_info *i)
{
    return SP_get_memb_info(m, t, i);
}
static int flat_sets(const void *m, vs_set_info *v, int n, unsigned int *my)
{
    return SP_get_vs_sets_info(m, v, n, my);
}
static int flat_members(const void *m, const vs_set_info *v, char (*n)[32],
                        int c)
{
    return SP_get_vs_set_members(m, v, n, c);
}
static int scat_info(const void *m, service t, membership_info *i)
{
    return SP_scat_get_memb_info(m, t, i);
}
static int scat_sets(const void *m, vs_set_info *v, int n, unsigned int *my)
{
    return SP_scat_get_vs_sets_info(m, v, n, my);
}
static int scat_members(const void *m, const vs_set_info *v, char (*n)[32],
                        int c)
{
    return SP_scat_get_vs_set_members(m, v, n, c);
}

static void network_flat(int foreign)
{
    static char buf[1024];
    struct rx r;
    int blen = send_network_memb(foreign);

    ck_assert_int_eq(rx_flat(&r, 0, 8, buf, sizeof buf), blen);
    ck_assert_int_eq(r.st, REG_MEMB_MESS | CAUSED_BY_NETWORK);
    ck_assert_str_eq(r.sender, "net");
    ck_assert_int_eq(r.ng, 3);
    ck_assert_int_eq(r.mt, 1);          /* own index in the member list */
    ck_assert_int_eq(r.em, 0);
    check_network(flat_info, flat_sets, flat_members, buf);
}

START_TEST(network_membership_native)
{
    network_flat(0);
}
END_TEST

START_TEST(network_membership_foreign_daemon)
{
    network_flat(1);
}
END_TEST

/* Element sizes chosen so that every field of the body straddles a
 * boundary somewhere. */
static const size_t PIECES[] = { 5, 9, 1, 17, 3, 2, 30, 11, 1, 4, 1000 };
#define NPIECES (sizeof PIECES / sizeof PIECES[0])

static void make_scatter(scatter *sc, char *store)
{
    size_t i, off = 0;

    memset(sc, 0, sizeof *sc);
    sc->num_elements = NPIECES;
    for (i = 0; i < NPIECES; i++) {
        sc->elements[i].buf = store + off;
        sc->elements[i].len = PIECES[i];
        off += PIECES[i] + 3;   /* gaps: the elements are not contiguous */
    }
}

static void network_scatter(int foreign)
{
    static char store[2048];
    scatter sc;
    struct rx r;
    int blen = send_network_memb(foreign);

    make_scatter(&sc, store);
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(SP_scat_receive(M, &r.st, r.sender, 8, &r.ng, r.groups,
                                     &r.mt, &r.em, &sc), blen);
    ck_assert_int_eq(r.mt, 1);
    check_network(scat_info, scat_sets, scat_members, &sc);
}

START_TEST(network_membership_scatter)
{
    network_scatter(0);
}
END_TEST

START_TEST(network_membership_scatter_foreign)
{
    network_scatter(1);
}
END_TEST

START_TEST(scatter_helpers_bounded)
{
    static char store[64];
    scatter sc;
    membership_info mi;
    vs_set_info set = { 3, 40 };
    char names[3][MAX_GROUP_NAME];

    /* A 16-byte scatter cannot hold a regular membership body. */
    memset(&sc, 0, sizeof sc);
    sc.num_elements = 2;
    sc.elements[0].buf = store;
    sc.elements[0].len = 10;
    sc.elements[1].buf = store + 20;
    sc.elements[1].len = 6;
    ck_assert_int_eq(SP_scat_get_memb_info(&sc, REG_MEMB_MESS |
                                           CAUSED_BY_JOIN, &mi),
                     ILLEGAL_MESSAGE);
    ck_assert_int_eq(SP_scat_get_memb_info(&sc, AGREED_MESS, &mi),
                     ILLEGAL_MESSAGE);
    ck_assert_int_eq(SP_scat_get_vs_set_members(&sc, &set, names, 3),
                     ILLEGAL_MESSAGE);
    sc.num_elements = MAX_CLIENT_SCATTER_ELEMENTS + 1;
    ck_assert_int_eq(SP_scat_get_memb_info(&sc, TRANSITION_MESS, &mi),
                     ILLEGAL_MESSAGE);
}
END_TEST

START_TEST(foreign_data_message)
{
    unsigned char frame[256];
    char groups[1][MAX_GROUP_NAME] = { "grp" }, buf[64];
    size_t n = fake_frame(frame, SAFE_MESS | SELF_DISCARD, "#x#y", 1,
                          (const char (*)[32])groups, -2, "payload", 7, 1);
    struct rx r;

    ck_assert_int_eq(fake_write(dfd, frame, n), 0);
    ck_assert_int_eq(rx_flat(&r, 0, 8, buf, sizeof buf), 7);
    ck_assert_int_eq(r.st, SAFE_MESS | SELF_DISCARD);
    ck_assert_str_eq(r.sender, "#x#y");
    ck_assert_int_eq(r.ng, 1);
    ck_assert_str_eq(r.groups[0], "grp");
    ck_assert_int_eq(r.mt, -2);
    ck_assert_int_eq(r.em, 1);
    ck_assert(memcmp(buf, "payload", 7) == 0);
}
END_TEST

START_TEST(transitional_foreign_gid)
{
    unsigned char frame[128], body[12];
    char buf[64];
    membership_info mi;
    struct rx r;
    size_t n;

    put_word(body, 10, 1);
    put_word(body + 4, 20, 1);
    put_word(body + 8, 30, 1);
    n = fake_frame(frame, TRANSITION_MESS, "net", 0, NULL, 0, body, 12, 1);
    ck_assert_int_eq(fake_write(dfd, frame, n), 0);
    ck_assert_int_eq(rx_flat(&r, 0, 8, buf, sizeof buf), 12);
    ck_assert_int_eq(r.st, TRANSITION_MESS);
    ck_assert_int_eq(r.ng, 0);
    ck_assert_int_eq(r.mt, -1);
    ck_assert_int_eq(SP_get_memb_info(buf, r.st, &mi), 1);
    ck_assert_int_eq(mi.gid.id[0], 10);
    ck_assert_int_eq(mi.gid.id[1], 20);
    ck_assert_int_eq(mi.gid.id[2], 30);
    ck_assert_uint_eq(mi.num_vs_sets, 0);
}
END_TEST

/* Reject notice: header, 4-byte old type, groups (+ sender), body. */
static size_t reject_frame(unsigned char *out, uint32_t old_type, int foreign)
{
    char groups[2][MAX_GROUP_NAME] = { "target", "#me#localhost" };
    unsigned char tmp[512];
    size_t n = fake_frame(tmp, REJECT_MESS, "#me#localhost", 2,
                          (const char (*)[32])groups, 33, "refused", 7,
                          foreign);

    memcpy(out, tmp, SPW_HEADER_LEN);
    put_word(out + SPW_HEADER_LEN, old_type | spw_native_mark(), foreign);
    memcpy(out + SPW_HEADER_LEN + 4, tmp + SPW_HEADER_LEN,
           n - SPW_HEADER_LEN);
    return n + 4;
}

static void check_reject(int foreign)
{
    unsigned char frame[512];
    char buf[64];
    struct rx r;
    size_t n = reject_frame(frame, AGREED_MESS | SELF_DISCARD, foreign);

    ck_assert_int_eq(fake_write(dfd, frame, n), 0);
    /* Too small first: the old type is kept with the parked header. */
    ck_assert_int_eq(rx_flat(&r, 0, 1, buf, sizeof buf), GROUPS_TOO_SHORT);
    ck_assert_int_eq(r.st, AGREED_MESS | SELF_DISCARD | REJECT_MESS);
    ck_assert_int_eq(r.mt, 33);
    ck_assert_int_eq(r.ng, -2);
    ck_assert_int_eq(rx_flat(&r, 0, 8, buf, sizeof buf), 7);
    ck_assert_int_eq(r.st, AGREED_MESS | SELF_DISCARD | REJECT_MESS);
    ck_assert_int_eq(r.ng, 2);
    ck_assert_str_eq(r.groups[0], "target");
    ck_assert_str_eq(r.groups[1], "#me#localhost");
    ck_assert_int_eq(r.mt, 33);
    ck_assert(memcmp(buf, "refused", 7) == 0);
    ck_assert_int_eq(SP_poll(M), 0);
}

START_TEST(reject_notice)
{
    check_reject(0);
}
END_TEST

START_TEST(reject_notice_foreign)
{
    check_reject(1);
}
END_TEST

START_TEST(negative_counts_are_illegal)
{
    unsigned char frame[128];
    char buf[64];
    struct rx r;
    size_t n = fake_frame(frame, AGREED_MESS, "#x#y", 0, NULL, 0, NULL, 0, 0);

    spw_put32(frame + SPW_OFF_NUM_GROUPS, (uint32_t)-1);
    ck_assert_int_eq(fake_write(dfd, frame, n), 0);
    ck_assert_int_eq(rx_flat(&r, 0, 8, buf, sizeof buf), ILLEGAL_MESSAGE);
    ck_assert_int_eq(rx_flat(&r, 0, 8, buf, sizeof buf),
                     NET_ERROR_ON_SESSION);
    ck_assert_int_eq(SP_multicast(M, AGREED_MESS, "g", 0, 1, "x"),
                     NET_ERROR_ON_SESSION);
}
END_TEST

START_TEST(drop_recv_truncated_membership)
{
    static char buf[1024];
    struct rx r;
    int blen = send_network_memb(0);

    /* Only two of three members fit: own index unknown, body intact. */
    ck_assert_int_eq(rx_flat(&r, DROP_RECV, 2, buf, sizeof buf), blen);
    ck_assert_int_eq(r.ng, -3);
    ck_assert_int_eq(r.mt, -1);
    ck_assert_str_eq(r.groups[1], "#me#localhost");
    check_network(flat_info, flat_sets, flat_members, buf);
    /* Body too short too: what fits is kept, the rest dropped. */
    send_network_memb(0);
    memset(buf, 0, sizeof buf);
    ck_assert_int_eq(rx_flat(&r, DROP_RECV, 8, buf, 30), BUFFER_TOO_SHORT);
    ck_assert_int_eq(r.ng, 3);
    ck_assert_int_eq(r.mt, 1);
    ck_assert_int_eq(buf[30], 0);
    ck_assert_int_eq(SP_poll(M), 0);
}
END_TEST

START_TEST(short_membership_reports_zero_mess_type)
{
    static char buf[1024];
    struct rx r;
    int blen = send_network_memb(0);

    ck_assert_int_eq(rx_flat(&r, 0, 8, buf, 10), BUFFER_TOO_SHORT);
    ck_assert_int_eq(r.st, REG_MEMB_MESS | CAUSED_BY_NETWORK);
    ck_assert_str_eq(r.sender, "net");
    ck_assert_int_eq(r.mt, 0);
    ck_assert_int_eq(r.ng, 0);
    ck_assert_int_eq(r.em, -blen);
    ck_assert_int_eq(SP_poll(M), blen + 3 * 32);
    ck_assert_int_eq(rx_flat(&r, 0, 8, buf, sizeof buf), blen);
    ck_assert_int_eq(r.mt, 1);
}
END_TEST

START_TEST(large_message_scatter_receive)
{
    static unsigned char frame[150000];
    static char body[143120], out[143120 + 100];
    char groups[1][MAX_GROUP_NAME] = { "big" };
    scatter sc;
    size_t i, n;
    struct rx r;

    for (i = 0; i < sizeof body; i++)
        body[i] = (char)(i * 7);
    n = fake_frame(frame, AGREED_MESS, "#x#y", 1, (const char (*)[32])groups,
                   1, body, (int32_t)sizeof body, 0);
    memset(&sc, 0, sizeof sc);
    sc.num_elements = MAX_CLIENT_SCATTER_ELEMENTS;
    for (i = 0; i < MAX_CLIENT_SCATTER_ELEMENTS; i++) {
        sc.elements[i].buf = out + i * 1432;
        sc.elements[i].len = 1432;
    }
    ck_assert_int_eq(fake_write(dfd, frame, n), 0);
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(SP_scat_receive(M, &r.st, r.sender, 8, &r.ng, r.groups,
                                     &r.mt, &r.em, &sc), (int)sizeof body);
    ck_assert(memcmp(out, body, sizeof body) == 0);
}
END_TEST

static Suite *recv_suite(void)
{
    Suite *s = suite_create("lib_recv");
    TCase *tc = tcase_create("recv");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, network_membership_native);
    tcase_add_test(tc, network_membership_foreign_daemon);
    tcase_add_test(tc, network_membership_scatter);
    tcase_add_test(tc, network_membership_scatter_foreign);
    tcase_add_test(tc, scatter_helpers_bounded);
    tcase_add_test(tc, foreign_data_message);
    tcase_add_test(tc, transitional_foreign_gid);
    tcase_add_test(tc, reject_notice);
    tcase_add_test(tc, reject_notice_foreign);
    tcase_add_test(tc, negative_counts_are_illegal);
    tcase_add_test(tc, drop_recv_truncated_membership);
    tcase_add_test(tc, short_membership_reports_zero_mess_type);
    tcase_add_test(tc, large_message_scatter_receive);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(recv_suite());
}
