/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/gstate.c: GROUPS messages byte for byte as
 * upstream's daemons sent them (ring vector 04, records 1372 and 1375),
 * both byte orders on decode, bodies split at the chunk size and merged
 * back, the exchange's rules (stale, out of order, overlapping sets,
 * completion), and hostile input: every truncation, every single-byte
 * change, and a list of crafted defects are refused without effect.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/wire.h"
#include "groups.h"
#include "gstate.h"
#include "../lib/ckmain.h"

#define N1 0x4a7816e7u
#define N2 0xb2fd66b0u
#define N3 0x07cb13ceu
#define T829 1796598829u
#define T832 1796598832u

static const struct gstate_daemon daemons[] = {
    {N1, "n1"}, {N2, "n2"}, {N3, "n3"},
};
static const struct gstate_dir dir = {daemons, 3};

/* Record 1372: n1's state for {n1, n2}: g1 {#c1#n1, #c2#n2}, g2 {#c1#n1}. */
static const char *const v1372 =
    "900008806e310000000000000000000000000000000000000000000000000000"
    "020000000000000080000080ff000000e716784a30ec156b0102000000e71678"
    "4ab066fdb2673100000000000000000000000000000000000000000000000000"
    "0000000000e716784a2dec156b0100000000000200e716784ae716784a2dec15"
    "6b0100236331236e310000000000000000000000000000000000000000000000"
    "000000b066fdb2e716784a2dec156b0100236332236e32000000000000000000"
    "0000000000000000000000000000000000673200000000000000000000000000"
    "0000000000000000000000000000000000e716784a2dec156b01000000000001"
    "00e716784ae716784a2dec156b0100236331236e310000000000000000000000"
    "000000000000000000000000000000";

/* Record 1375: n3's, alone and without groups. */
static const char *const v1375 =
    "900008806e330000000000000000000000000000000000000000000000000000"
    "01000000000000008000008011000000e716784a30ec156b0101000000ce13cb"
    "07";

static struct msg *from_hex(const char *hex)
{
    size_t n = strlen(hex) / 2, i;
    struct msg *m = msg_new(n);
    unsigned v;

    ck_assert_ptr_nonnull(m);
    for (i = 0; i < n; i++) {
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        m->data[i] = (unsigned char)v;
    }
    return m;
}

static struct msg *copy_msg(const struct msg *m)
{
    struct msg *c = msg_new(m->len);
    ck_assert_ptr_nonnull(c);
    memcpy(c->data, m->data, m->len);
    return c;
}

static int little_endian(void)
{
    return spw_native_mark() != 0;
}

static const char *key32(char out[32], const char *s)
{
    memset(out, 0, 32);
    strncpy(out, s, 31);
    return out;
}

static void join(struct groups *gs, const char *group, const char *member,
                 int daemon, uint32_t kid, uint32_t kt)
{
    char k[32], n[32];
    struct group *g;

    key32(k, group);
    key32(n, member);
    ck_assert_int_ge(groups_join(gs, k, n, daemon, NULL, &g), 0);
    groups_member(g, n, daemon)->key.memb_id = kid;
    groups_member(g, n, daemon)->key.memb_time = kt;
}

static struct group *find(struct groups *gs, const char *name)
{
    char k[32];
    return groups_find(gs, key32(k, name));
}

/* The state of record 1372 in a table. */
static void table_1372(struct groups *gs)
{
    struct groups_gid gid = {N1, T829, 1};

    groups_init(gs);
    join(gs, "g1", "#c1#n1", 0, N1, T829);
    join(gs, "g1", "#c2#n2", 1, N1, T829);
    join(gs, "g2", "#c1#n1", 0, N1, T829);
    find(gs, "g1")->gid = gid;
    find(gs, "g2")->gid = gid;
}

/* ---- the table as text ---- */

struct collect {
    const struct group *v[512];
    int n;
};

static void collect_cb(struct hmap_node *n, void *ctx)
{
    struct collect *c = ctx;
    ck_assert_int_lt(c->n, 512);
    c->v[c->n++] = hmap_entry(n, struct group, hnode);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp((*(const struct group *const *)a)->name,
                  (*(const struct group *const *)b)->name);
}

static char *table(const struct groups *gs)
{
    struct collect c;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    int i, j;

    ck_assert_ptr_nonnull(buf);
    c.n = 0;
    hmap_each(&gs->groups, collect_cb, &c);
    qsort(c.v, (size_t)c.n, sizeof c.v[0], name_cmp);
    buf[0] = '\0';
    for (i = 0; i < c.n; i++) {
        const struct group *g = c.v[i];
        len += (size_t)snprintf(buf + len, cap - len, "%s (%u,%u,%u) c%d:",
                                g->name, g->gid.memb_id, g->gid.memb_time,
                                g->gid.index, (g->flags & GROUP_CHANGED) != 0);
        for (j = 0; j < g->n_members; j++) {
            const struct gmember *m = g->members[j];
            len += (size_t)snprintf(buf + len, cap - len, " %d:%s@%u.%u",
                                    m->owner->daemon, m->owner->name,
                                    m->key.memb_id, m->key.memb_time);
        }
        len += (size_t)snprintf(buf + len, cap - len, "\n");
        ck_assert_uint_lt(len, cap - 256);
    }
    return buf;
}

/* ---- the other byte order ---- */

static void flip32(unsigned char *p)
{
    spw_put32(p, spw_swap32(spw_get32(p)));
}

static void flip16(unsigned char *p)
{
    unsigned char t = p[0];
    p[0] = p[1];
    p[1] = t;
}

/* A copy of host-order message m as a writer of the other byte order
 * would have sent it (its marker bits say so). */
static struct msg *foreign(const struct msg *m)
{
    struct msg *f = copy_msg(m);
    unsigned char *p = f->data, *b = p + SPW_HEADER_LEN;
    uint32_t type = spw_get32(p), len = spw_get32(p + 44), off, n, i;

    type &= ~(uint32_t)ENDIAN_RESERVED;
    type |= spw_native_mark() ? 0 : (uint32_t)ENDIAN_RESERVED;
    spw_put32(p, spw_swap32(type));
    flip32(p + 4 + 28);
    flip32(p + 36);
    spw_put32(p + 40, spw_native_mark() ? 0 : (uint32_t)ENDIAN_RESERVED);
    flip32(p + 44);
    flip32(b);
    flip32(b + 4);
    off = 9;
    if (b[8]) {
        n = spw_get32(b + off);
        flip32(b + off);
        off += 4;
        for (i = 0; i < n; i++, off += 4)
            flip32(b + off);
    }
    while (off < len) {
        uint16_t ne;
        off += 32;
        flip32(b + off);
        flip32(b + off + 4);
        flip32(b + off + 8);
        flip16(b + off + 12);
        memcpy(&ne, b + off + 14, 2);
        flip16(b + off + 14);
        off += 16;
        for (i = 0; i < ne; i++) {
            uint16_t nm;
            flip32(b + off);
            flip32(b + off + 4);
            flip32(b + off + 8);
            memcpy(&nm, b + off + 12, 2);
            flip16(b + off + 12);
            off += 14 + 32u * nm;
        }
    }
    ck_assert_uint_eq(off, len);
    return f;
}

/* ---- tests ---- */

static const unsigned char set01[ORDER_MAX_DAEMONS] = {1, 1};
static const unsigned char set2[ORDER_MAX_DAEMONS] = {0, 0, 1};
static const unsigned char conf012[ORDER_MAX_DAEMONS] = {1, 1, 1};

/* Our encoder writes record 1372's and 1375's messages byte for byte. */
START_TEST(encode_v04)
{
    struct groups gs, empty;
    struct msg **out, *want;
    int n;

    table_1372(&gs);
    ck_assert_int_eq(gstate_encode(&gs, &dir, 0, N1, T832, set01,
                                   GSTATE_CHUNK, &out, &n), 0);
    ck_assert_int_eq(n, 1);
    want = from_hex(v1372);
    ck_assert_uint_eq(out[0]->len, want->len);
    if (little_endian())
        ck_assert(memcmp(out[0]->data, want->data, want->len) == 0);
    gstate_free_msgs(out, n);
    msg_unref(want);
    groups_init(&empty);
    ck_assert_int_eq(gstate_encode(&empty, &dir, 2, N1, T832, set2,
                                   GSTATE_CHUNK, &out, &n), 0);
    ck_assert_int_eq(n, 1);
    want = from_hex(v1375);
    ck_assert_uint_eq(out[0]->len, want->len);
    if (little_endian())
        ck_assert(memcmp(out[0]->data, want->data, want->len) == 0);
    gstate_free_msgs(out, n);
    msg_unref(want);
    groups_fini(&empty);
    groups_fini(&gs);
}
END_TEST

/* Feed messages to a fresh exchange of {n1,n2,n3}; returns the last
 * result. */
static int feed(struct gstate_xchg *x, int origin, struct msg **v, int n)
{
    char why[128];
    int i, rc = GSTATE_MORE;

    for (i = 0; i < n; i++) {
        rc = gstate_accept(x, &dir, origin, v[i], why, sizeof why);
        ck_assert_msg(rc > 0, "message %d refused: %s", i, why);
    }
    return rc;
}

/* n3 merges the captured state of {n1, n2}: it gets both groups with
 * their ids, unchanged (no members on n3's side), members with their
 * sync ids. The same from a writer of the other byte order. */
static void merge_1372(int flip)
{
    struct gstate_xchg x;
    struct groups gs;
    struct msg *m1 = from_hex(v1372), *m3 = from_hex(v1375), *f;
    char *t;

    if (!little_endian()) {
        /* The capture is little-endian: on this host it is the foreign
         * form already, and the native one is what foreign() makes. */
        flip = !flip;
    }
    if (flip) {
        f = foreign(m1);
        msg_unref(m1);
        m1 = f;
        f = foreign(m3);
        msg_unref(m3);
        m3 = f;
    }
    memset(&x, 0, sizeof x);
    gstate_begin(&x, N1, T832, conf012);
    ck_assert_int_eq(feed(&x, 0, &m1, 1), GSTATE_MORE);
    ck_assert_int_eq(feed(&x, 2, &m3, 1), GSTATE_DONE);
    groups_init(&gs);
    ck_assert_int_eq(gstate_merge(&x, &gs, &dir, 2), 0);
    t = table(&gs);
    ck_assert_str_eq(t,
        "g1 (1249384167,1796598829,1) c0: 0:#c1#n1@1249384167.1796598829 "
        "1:#c2#n2@1249384167.1796598829\n"
        "g2 (1249384167,1796598829,1) c0: 0:#c1#n1@1249384167.1796598829\n");
    free(t);
    groups_fini(&gs);
    gstate_end(&x);
    msg_unref(m1);
    msg_unref(m3);
}

START_TEST(decode_v04)
{
    merge_1372(0);
}
END_TEST

START_TEST(decode_other_order)
{
    merge_1372(1);
}
END_TEST

/* A table far larger than one chunk: many groups, one group with more
 * members than fit in a body, and members of one daemon with two sync
 * ids. It leaves in several messages (the first with the synced set, the
 * last AGREED with the count, none over the chunk) and merges back into
 * exactly the same table, from either byte order. */
START_TEST(chunks_round_trip)
{
    struct groups gs, back, back2;
    struct gstate_xchg x;
    struct msg **out, **flipped;
    char name[32], who[32], *t0, *t1, *t2;
    int n, i, rc;
    struct gstate_msg c;
    char why[128];

    groups_init(&gs);
    for (i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "group%03d", i);
        snprintf(who, sizeof who, "#u%d#n1", i % 7);
        join(&gs, name, who, 0, N1, T829);
    }
    for (i = 0; i < 100; i++) {
        snprintf(who, sizeof who, "#m%d#n2", i);
        join(&gs, "big", who, 1, i % 3 ? N1 : N2, T829 + (i % 3 == 0));
    }
    join(&gs, "big", "#a#n1", 0, N1, T829);
    groups_mark_changed(&gs, find(&gs, "big"));
    ck_assert_int_eq(gstate_encode(&gs, &dir, 0, N1, T832, set01, 1024, &out,
                                   &n), 0);
    ck_assert_int_gt(n, 10);
    for (i = 0; i < n; i++) {
        ck_assert_uint_le(out[i]->len, SPW_HEADER_LEN + 1024);
        ck_assert_int_eq(gstate_check(out[i], 0, &dir, set01, &c, why,
                                      sizeof why), 0);
        ck_assert_int_eq(c.first, i == 0);
        ck_assert_int_eq(c.last, i == n - 1);
    }
    ck_assert_int_eq(c.represents, 2);
    flipped = calloc((size_t)n, sizeof *flipped);
    ck_assert_ptr_nonnull(flipped);
    for (i = 0; i < n; i++)
        flipped[i] = foreign(out[i]);
    t0 = table(&gs);
    for (rc = 0; rc < 2; rc++) {
        struct groups *into = rc == 0 ? &back : &back2;
        memset(&x, 0, sizeof x);
        gstate_begin(&x, N1, T832, conf012);
        ck_assert_int_eq(feed(&x, 0, rc == 0 ? out : flipped, n), GSTATE_MORE);
        groups_init(into);
        ck_assert_int_eq(gstate_merge(&x, into, &dir, 2), 0);
        gstate_end(&x);
    }
    t1 = table(&back);
    t2 = table(&back2);
    ck_assert_str_eq(t1, t0);
    ck_assert_str_eq(t2, t0);
    free(t0);
    free(t1);
    free(t2);
    gstate_free_msgs(out, n);
    gstate_free_msgs(flipped, n);
    groups_fini(&gs);
    groups_fini(&back);
    groups_fini(&back2);
}
END_TEST

/* Merging two sides: a group with members on both is changed and keeps
 * the id its local members last saw; a group from one side only keeps
 * its id and is unchanged; a group marked changed by its side is
 * changed. No id is bumped. */
START_TEST(merge_two_sides)
{
    struct groups a, b;
    struct gstate_xchg x;
    struct msg **oa, **ob;
    int na, nb;
    char *t;
    struct groups_gid ga = {N1, 100, 7}, gb = {N3, 200, 2};

    groups_init(&a);
    join(&a, "both", "#a#n1", 0, N1, 100);
    join(&a, "onlya", "#a#n1", 0, N1, 100);
    find(&a, "both")->gid = ga;
    find(&a, "onlya")->gid = ga;
    groups_init(&b);
    join(&b, "both", "#c#n3", 2, N3, 200);
    join(&b, "flagged", "#c#n3", 2, N3, 200);
    find(&b, "both")->gid = gb;
    find(&b, "flagged")->gid = gb;
    groups_mark_changed(&b, find(&b, "flagged"));
    ck_assert_int_eq(gstate_encode(&a, &dir, 0, N1, T832, set01,
                                   GSTATE_CHUNK, &oa, &na), 0);
    ck_assert_int_eq(gstate_encode(&b, &dir, 2, N1, T832, set2,
                                   GSTATE_CHUNK, &ob, &nb), 0);
    memset(&x, 0, sizeof x);
    gstate_begin(&x, N1, T832, conf012);
    ck_assert_int_eq(feed(&x, 2, ob, nb), GSTATE_MORE);
    ck_assert_int_eq(feed(&x, 0, oa, na), GSTATE_DONE);
    ck_assert_int_eq(gstate_merge(&x, &a, &dir, 0), 0);
    ck_assert_int_eq(gstate_merge(&x, &b, &dir, 2), 0);
    t = table(&a);
    ck_assert_str_eq(t,
        "both (1249384167,100,7) c1: 0:#a#n1@1249384167.100 "
        "2:#c#n3@130749390.200\n"
        "flagged (130749390,200,2) c1: 2:#c#n3@130749390.200\n"
        "onlya (1249384167,100,7) c0: 0:#a#n1@1249384167.100\n");
    free(t);
    /* n3's side: the same members and flags; "both" keeps n3's id there,
     * which the NETWORK view replaces on both sides. */
    t = table(&b);
    ck_assert_str_eq(t,
        "both (130749390,200,2) c1: 0:#a#n1@1249384167.100 "
        "2:#c#n3@130749390.200\n"
        "flagged (130749390,200,2) c1: 2:#c#n3@130749390.200\n"
        "onlya (1249384167,100,7) c0: 0:#a#n1@1249384167.100\n");
    free(t);
    gstate_end(&x);
    gstate_free_msgs(oa, na);
    gstate_free_msgs(ob, nb);
    groups_fini(&a);
    groups_fini(&b);
}
END_TEST

/* The exchange's own rules. */
START_TEST(exchange_rules)
{
    struct gstate_xchg x;
    struct groups gs;
    struct msg **out, **o2, *m3 = from_hex(v1375), *n3as1;
    int n, n2;
    char why[128];

    if (!little_endian()) {
        struct msg *f = foreign(m3);
        msg_unref(m3);
        m3 = f;
    }
    groups_init(&gs);
    memset(&x, 0, sizeof x);
    /* Not running: stale. */
    ck_assert_int_eq(gstate_accept(&x, &dir, 2, m3, why, sizeof why),
                     GSTATE_STALE);
    /* Another configuration's: stale. */
    gstate_begin(&x, N1, T832 + 1, conf012);
    ck_assert_int_eq(gstate_accept(&x, &dir, 2, m3, why, sizeof why),
                     GSTATE_STALE);
    /* A sender outside the configuration. */
    {
        static const unsigned char c01[ORDER_MAX_DAEMONS] = {1, 1};
        gstate_begin(&x, N1, T832, c01);
        ck_assert_int_eq(gstate_accept(&x, &dir, 2, m3, why, sizeof why),
                         GSTATE_BAD);
    }
    gstate_begin(&x, N1, T832, conf012);
    /* Sent by n1 under n3's name: the sender field says n3. */
    ck_assert_int_eq(gstate_accept(&x, &dir, 0, m3, why, sizeof why),
                     GSTATE_BAD);
    ck_assert_int_eq(gstate_accept(&x, &dir, 2, m3, why, sizeof why),
                     GSTATE_MORE);
    /* Twice. */
    ck_assert_int_eq(gstate_accept(&x, &dir, 2, m3, why, sizeof why),
                     GSTATE_BAD);
    /* n1 claiming n3 too: overlapping sets. */
    {
        static const unsigned char s013[ORDER_MAX_DAEMONS] = {1, 1, 1};
        ck_assert_int_eq(gstate_encode(&gs, &dir, 0, N1, T832, s013,
                                       GSTATE_CHUNK, &o2, &n2), 0);
        ck_assert_int_eq(gstate_accept(&x, &dir, 0, o2[0], why, sizeof why),
                         GSTATE_BAD);
        gstate_free_msgs(o2, n2);
    }
    /* A later message without a first one: several messages from n1,
     * fed from the second on. */
    table_1372(&gs);
    {
        int i;
        char nm[32];
        for (i = 0; i < 80; i++) {
            snprintf(nm, sizeof nm, "x%d", i);
            join(&gs, nm, "#c1#n1", 0, N1, T829);
        }
    }
    ck_assert_int_eq(gstate_encode(&gs, &dir, 0, N1, T832, set01, 1024,
                                   &out, &n), 0);
    ck_assert_int_gt(n, 2);
    ck_assert_int_eq(gstate_accept(&x, &dir, 0, out[1], why, sizeof why),
                     GSTATE_BAD);
    /* In order, it completes only with the last. */
    ck_assert_int_eq(gstate_accept(&x, &dir, 0, out[0], why, sizeof why),
                     GSTATE_MORE);
    ck_assert_int_eq(gstate_accept(&x, &dir, 0, out[1], why, sizeof why),
                     GSTATE_MORE);
    /* n2 is in n1's set: it cannot speak for itself. */
    n3as1 = NULL;
    {
        static const unsigned char s1[ORDER_MAX_DAEMONS] = {0, 1};
        struct groups e;
        groups_init(&e);
        ck_assert_int_eq(gstate_encode(&e, &dir, 1, N1, T832, s1,
                                       GSTATE_CHUNK, &o2, &n2), 0);
        ck_assert_int_eq(gstate_accept(&x, &dir, 1, o2[0], why, sizeof why),
                         GSTATE_BAD);
        gstate_free_msgs(o2, n2);
        groups_fini(&e);
    }
    ck_assert_int_eq(feed(&x, 0, out + 2, n - 2), GSTATE_DONE);
    /* After its last message. */
    ck_assert_int_eq(gstate_accept(&x, &dir, 0, out[1], why, sizeof why),
                     GSTATE_BAD);
    (void)n3as1;
    gstate_free_msgs(out, n);
    gstate_end(&x);
    msg_unref(m3);
    groups_fini(&gs);
}
END_TEST

static int check_msg(const struct msg *m, int origin)
{
    struct gstate_msg c;
    char why[128];
    return gstate_check(m, origin, &dir, NULL, &c, why, sizeof why);
}

/* A copy of m with body byte `at` (counted from the body) set to v. */
static struct msg *patched(const struct msg *m, size_t at, unsigned char v)
{
    struct msg *c = copy_msg(m);
    c->data[SPW_HEADER_LEN + at] = v;
    return c;
}

static void expect_bad(struct msg *m, int origin, const char *what)
{
    struct gstate_msg c;
    char why[128];
    int rc = gstate_check(m, origin, &dir, NULL, &c, why, sizeof why);
    ck_assert_msg(rc == -EINVAL, "%s accepted", what);
    msg_unref(m);
}

/* Crafted defects, each refused. Offsets are in record 1372's body:
 * 0 memb id, 8 flag, 9 set size, 13 ids, 21 g1 name, 53 gid, 65 changed,
 * 67 entries, 69 entry (id, memb, count at 81), 83 #c1#n1. */
START_TEST(crafted_defects)
{
    struct msg *m = from_hex(v1372), *c;
    size_t len;

    if (!little_endian()) {
        struct msg *f = foreign(m);
        msg_unref(m);
        m = f;
    }
    ck_assert_int_eq(check_msg(m, 0), 0);
    expect_bad(patched(m, 8, 2), 0, "flag byte 2");
    expect_bad(patched(m, 9, 0), 0, "empty synced set");
    expect_bad(patched(m, 9, 200), 0, "synced set past the body");
    expect_bad(patched(m, 13, 0x11), 0, "unknown daemon id in the set");
    c = patched(m, 17, 0xe7);          /* n2's id -> n1's: n1 twice */
    memcpy(c->data + SPW_HEADER_LEN + 17, m->data + SPW_HEADER_LEN + 13, 4);
    expect_bad(c, 0, "daemon twice in the set");
    expect_bad(patched(m, 65, 2), 0, "changed flag 2");
    expect_bad(patched(m, 67, 0), 0, "group without entries");
    expect_bad(patched(m, 67, 9), 0, "more entries than bytes");
    expect_bad(patched(m, 81, 0), 0, "entry without members");
    expect_bad(patched(m, 81, 200), 0, "more members than bytes");
    expect_bad(patched(m, 69, 0x11), 0, "entry of an unknown daemon");
    c = copy_msg(m);                   /* the entry names n3 */
    {
        struct msg *m3 = from_hex(v1375);
        memcpy(c->data + SPW_HEADER_LEN + 69, m3->data + SPW_HEADER_LEN + 13,
               4);
        msg_unref(m3);
    }
    expect_bad(c, 0, "entry of a daemon outside the set");
    expect_bad(patched(m, 88, '2'), 0, "member named for another daemon");
    expect_bad(patched(m, 84, '#'), 0, "member name with a third #");
    c = copy_msg(m);                   /* group name without its NUL */
    memset(c->data + SPW_HEADER_LEN + 21, 'x', 32);
    expect_bad(c, 0, "group name not terminated");
    c = copy_msg(m);                   /* member name without its NUL */
    memset(c->data + SPW_HEADER_LEN + 83 + 6, 'x', 26);
    expect_bad(c, 0, "member name not terminated");
    expect_bad(copy_msg(m), 1, "sender field of another daemon");
    expect_bad(copy_msg(m), 7, "sender outside the configuration");
    c = copy_msg(m);
    c->data[SPW_OFF_SENDER + 28] = 0;  /* represents 0 */
    c->data[SPW_OFF_SENDER + 31] = 0;
    expect_bad(c, 0, "represents nobody");
    c = copy_msg(m);
    spw_put32(c->data, spw_get32(c->data) ^ (little_endian() ? 0x10u
                                                               : 0x10000000u));
    expect_bad(c, 0, "no service bit");
    c = copy_msg(m);
    c->data[SPW_OFF_NUM_GROUPS] ^= 1;
    c->data[SPW_OFF_NUM_GROUPS + 3] ^= 1;
    expect_bad(c, 0, "a group name count");
    /* data_len that does not match the real size, both ways. */
    len = m->len;
    c = msg_new(len + 1);
    memcpy(c->data, m->data, len);
    c->data[len] = 0;
    expect_bad(c, 0, "a byte past data_len");
    c = msg_new(len - 1);
    memcpy(c->data, m->data, len - 1);
    expect_bad(c, 0, "a byte short of data_len");
    c = msg_new(10);
    memset(c->data, 0, 10);
    expect_bad(c, 0, "shorter than a header");
    msg_unref(m);
}
END_TEST

/* Every truncation (with data_len made to match, so that the body parser
 * itself meets the end) and every single-byte change: refused or
 * accepted, never read past the message (AddressSanitizer builds), and a
 * message that passes the check merges without error. */
START_TEST(hostile_bytes)
{
    struct msg *m = from_hex(v1372);
    size_t len = m->len, i, cut;
    int v, ok = 0;

    if (!little_endian()) {
        struct msg *f = foreign(m);
        msg_unref(m);
        m = f;
    }
    for (cut = SPW_HEADER_LEN; cut < len; cut++) {
        struct msg *c = msg_new(cut);
        memcpy(c->data, m->data, cut);
        spw_put32(c->data + SPW_OFF_DATA_LEN,
                  little_endian() == (spw_get32(m->data) & 0x80u ? 1 : 0)
                      ? (uint32_t)(cut - SPW_HEADER_LEN)
                      : spw_swap32((uint32_t)(cut - SPW_HEADER_LEN)));
        /* A cut at a group boundary is a valid message of fewer groups. */
        if (check_msg(c, 0) == 0)
            ok++;
        msg_unref(c);
    }
    ck_assert_int_eq(ok, 2);   /* after the set, after g1 */
    for (i = 0; i < len; i++) {
        for (v = 0; v < 256; v += 51) {
            struct msg *c = copy_msg(m);
            struct gstate_xchg x;
            struct groups gs;
            char why[128];
            c->data[i] = (unsigned char)(c->data[i] ^ (v | 1));
            memset(&x, 0, sizeof x);
            gstate_begin(&x, N1, T832, conf012);
            if (gstate_accept(&x, &dir, 0, c, why, sizeof why) > 0) {
                groups_init(&gs);
                ck_assert_int_eq(gstate_merge(&x, &gs, &dir, 2), 0);
                groups_fini(&gs);
            }
            gstate_end(&x);
            msg_unref(c);
        }
    }
    msg_unref(m);
}
END_TEST

START_TEST(private_names)
{
    char f[32];

    ck_assert(gstate_private_name_ok(key32(f, "#c1#n1"), "n1"));
    ck_assert(gstate_private_name_ok(key32(f, "#abcdefghij#n1"), "n1"));
    ck_assert(!gstate_private_name_ok(key32(f, "#abcdefghijk#n1"), "n1"));
    ck_assert(!gstate_private_name_ok(key32(f, "##n1"), "n1"));
    ck_assert(!gstate_private_name_ok(key32(f, "#c1#n12"), "n1"));
    ck_assert(!gstate_private_name_ok(key32(f, "#c1#n"), "n1"));
    ck_assert(!gstate_private_name_ok(key32(f, "c1#n1"), "n1"));
    ck_assert(!gstate_private_name_ok(key32(f, "#c1"), "n1"));
    memset(f, 'a', 32);
    f[0] = '#';
    f[3] = '#';
    ck_assert(!gstate_private_name_ok(f, "aaaa"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gstate");
    TCase *tc = tcase_create("groups messages");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, encode_v04);
    tcase_add_test(tc, decode_v04);
    tcase_add_test(tc, decode_other_order);
    tcase_add_test(tc, chunks_round_trip);
    tcase_add_test(tc, merge_two_sides);
    tcase_add_test(tc, exchange_rules);
    tcase_add_test(tc, crafted_defects);
    tcase_add_test(tc, hostile_bytes);
    tcase_add_test(tc, private_names);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
