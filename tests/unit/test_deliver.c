/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/deliver.c with several daemons in one process:
 * each simulated daemon has its own group table and deliver instance, and
 * the test feeds them, by hand, the ordered requests and daemon views a
 * ring would give them. Client sessions are fakes (the sess_* functions
 * deliver.c calls are defined here) that keep every message they get, so
 * the tests read the exact bytes clients would receive.
 *
 * Checked: departed daemons' members removed with TRANSITION_MESS and
 * CAUSED_BY_NETWORK views laid out as client-protocol.md §8-§10 and
 * vector 29 show them; the transitional signal at its place in the
 * order, unsettled views (ring.md rule 74); the group-state exchange and
 * its cascades (rules 73, 76-78), with vector 29's merge views; identical
 * group tables on every daemon of a configuration; requests of other
 * daemons that do not add up refused without effect.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/wire.h"
#include "deliver.h"
#include "groups.h"
#include "log.h"
#include "msg.h"
#include "sess.h"
#include "../lib/ckmain.h"

/* ---- fake sessions ---- */

#define MAX_FAKES 32
#define MAX_GOT 1024

struct fake {
    struct sess s;                   /* first: deliver hands us &s */
    struct sessions *ss;
    struct msg *got[MAX_GOT];
    int n_got, n_read;
    int killed;
};

static struct fake fakes[MAX_FAKES];
static int n_fakes;

struct sess *sess_find(const struct sessions *ss, const char *pgroup)
{
    int i;

    for (i = 0; i < n_fakes; i++)
        if (fakes[i].ss == ss && !fakes[i].killed &&
            memcmp(fakes[i].s.pgroup, pgroup, MAX_GROUP_NAME) == 0)
            return &fakes[i].s;
    return NULL;
}

struct sess *sess_find_hashed(const struct sessions *ss, const char *pgroup,
                              uint32_t hash)
{
    (void)hash;
    return sess_find(ss, pgroup);
}

void sess_deliver(struct sessions *ss, struct sess *s, struct msg *m)
{
    struct fake *f = (struct fake *)(void *)s;

    (void)ss;
    ck_assert_int_lt(f->n_got, MAX_GOT);
    f->got[f->n_got++] = msg_ref(m);
}

void sess_kill_delivered(struct sessions *ss, struct sess *s)
{
    (void)ss;
    ((struct fake *)(void *)s)->killed = 1;
}

void sess_flow_watch_begin(struct sess_flow *f, const struct sess *sender)
{
    (void)f;
    (void)sender;
}

void sess_flow_reached(struct sess_flow *f, const struct sess *receiver)
{
    (void)f;
    (void)receiver;
}

void sess_fanout_slow(struct sessions *ss, struct sess *sender,
                      const struct sess_flow *f)
{
    (void)ss;
    (void)sender;
    (void)f;
}

/* ---- simulated daemons ---- */

#define MAX_SIMS 4

struct sim {
    struct groups gs;
    struct deliver d;
    struct sessions ss;
    struct ev ev;
    struct log log;
};

static struct sim sims[MAX_SIMS];
static int n_sims;
static struct gstate_daemon dir[MAX_SIMS];

/* What the daemons submitted (GROUPS messages), in submission order: the
 * order a ring would deliver them in. */
#define MAX_WIRE 256
static struct order_req wire[MAX_WIRE];
static int n_wire;
static int n_submitted;

/* deliver_order_submit() (the daemon's wiring) calls order; these tests
 * wire deliver to submit() below instead, so order itself, with its ring,
 * is not linked in. */
int order_submit(struct order *o, const struct order_req *r)
{
    (void)o;
    (void)r;
    ck_abort_msg("order_submit: the tests submit through submit()");
    return -1;
}

static int submit(void *ctx, const struct order_req *r)
{
    (void)ctx;
    ck_assert_int_lt(n_wire, MAX_WIRE);
    wire[n_wire++] = *r;
    n_submitted++;
    return 0;
}

static void setup(void)
{
    n_fakes = 0;
    n_sims = 0;
    n_wire = 0;
    n_submitted = 0;
    memset(fakes, 0, sizeof fakes);
    memset(sims, 0, sizeof sims);
}

static void teardown(void)
{
    int i, j;

    for (i = 0; i < n_fakes; i++)
        for (j = 0; j < fakes[i].n_got; j++)
            msg_unref(fakes[i].got[j]);
    for (i = 0; i < n_wire; i++)
        msg_unref(wire[i].msg);
    for (i = 0; i < n_sims; i++) {
        deliver_fini(&sims[i].d);
        groups_fini(&sims[i].gs);
        log_fini(&sims[i].log);
    }
}

/* n daemons named "<prefix>1".."<prefix>n", ids 1000 + index. */
static void sims_named(int n, const char *prefix)
{
    int i;

    for (i = 0; i < n; i++) {
        struct sim *s = &sims[i];
        dir[i].id = 1000u + (uint32_t)i;
        snprintf(dir[i].name, sizeof dir[i].name, "%s%d", prefix, i + 1);
        log_init(&s->log);
        log_configure(&s->log, LOG_ERROR, LOG_C_DEFAULT_MASK, NULL, 0);
        s->ss.ev = &s->ev;
        s->ss.my_index = i;
        groups_init(&s->gs);
        deliver_init(&s->d, &s->gs, &s->ss, &s->log, i);
        deliver_set_daemons(&s->d, dir, n);
        s->d.submit = submit;
    }
    n_sims = n;
}

static void sims_new(int n)
{
    sims_named(n, "n");
}

static void name32(char out[MAX_GROUP_NAME], const char *s)
{
    memset(out, 0, MAX_GROUP_NAME);
    strncpy(out, s, MAX_GROUP_NAME - 1);
}

/* A client of daemon `daemon` with the membership flag. */
static struct fake *client(int daemon, const char *pgroup)
{
    struct fake *f = &fakes[n_fakes++];

    f->ss = &sims[daemon].ss;
    f->s.ss = &sims[daemon].ss;
    f->s.state = SESS_OPEN;
    f->s.membership = 1;
    name32(f->s.pgroup, pgroup);
    return f;
}

/* Deliver a view to the daemons in `to` (bit i: daemon i). */
static void view_to(unsigned to, int trans, uint32_t id, uint32_t t,
                    unsigned members)
{
    struct order_view v;
    int i;

    memset(&v, 0, sizeof v);
    v.transitional = trans;
    v.memb_id = id;
    v.memb_time = t;
    for (i = 0; i < ORDER_MAX_DAEMONS && i < 32; i++)
        if (members & (1u << i))
            v.members[v.n_members++] = i;
    for (i = 0; i < n_sims; i++)
        if (to & (1u << i))
            deliver_view(&sims[i].d, &v);
}

/* Deliver the first `n` submitted GROUPS messages, in order, to the
 * daemons in `to`, and forget them. */
static void pump_n(unsigned to, int n)
{
    int i, j;

    ck_assert_int_le(n, n_wire);
    for (i = 0; i < n; i++)
        for (j = 0; j < n_sims; j++)
            if (to & (1u << j))
                deliver_request(&sims[j].d, &wire[i]);
    for (i = 0; i < n; i++)
        msg_unref(wire[i].msg);
    memmove(wire, wire + n, (size_t)(n_wire - n) * sizeof wire[0]);
    n_wire -= n;
}

static void pump(unsigned to)
{
    while (n_wire > 0)
        pump_n(to, n_wire);
}

/* A regular view delivered to its own members, and the exchange it
 * starts run to its end. */
static void regular(uint32_t id, uint32_t t, unsigned members)
{
    view_to(members, 0, id, t, members);
    pump(members);
}

static void request(unsigned to, enum order_kind kind, int origin,
                    const char *sender, const char *group)
{
    struct order_req r;
    int i;

    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.cls = ORDER_AGREED;
    r.origin = origin;
    name32(r.sender, sender);
    if (group != NULL)
        name32(r.group, group);
    for (i = 0; i < n_sims; i++)
        if (to & (1u << i))
            deliver_request(&sims[i].d, &r);
}

/* A data message from `sender` to `group`, as sess_io.c builds it. */
static void data(unsigned to, int origin, const char *sender,
                 const char *group, const char *body)
{
    struct order_req r;
    struct spw_header h;
    size_t bl = strlen(body);
    struct msg *m = msg_new(SPW_HEADER_LEN + MAX_GROUP_NAME + bl);
    int i;

    ck_assert_ptr_nonnull(m);
    memset(&h, 0, sizeof h);
    h.type = AGREED_MESS;
    name32(h.sender, sender);
    h.num_groups = 1;
    h.hint = spw_native_mark();
    h.data_len = (int32_t)bl;
    spw_header_encode(m->data, &h);
    name32((char *)m->data + SPW_HEADER_LEN, group);
    memcpy(m->data + SPW_HEADER_LEN + MAX_GROUP_NAME, body, bl);
    memset(&r, 0, sizeof r);
    r.kind = ORDER_DATA;
    r.cls = ORDER_AGREED;
    r.origin = origin;
    name32(r.sender, sender);
    r.msg = m;
    for (i = 0; i < n_sims; i++)
        if (to & (1u << i))
            deliver_request(&sims[i].d, &r);
    msg_unref(m);
}

/* Deliver a data request carrying raw bytes (the test builds them). */
static void raw_data(unsigned to, int origin, const char *sender,
                     const unsigned char *bytes, size_t len)
{
    struct order_req r;
    struct msg *m = msg_new(len ? len : 1);
    int i;

    ck_assert_ptr_nonnull(m);
    memcpy(m->data, bytes, len);
    m->len = (uint32_t)len;
    memset(&r, 0, sizeof r);
    r.kind = ORDER_DATA;
    r.cls = ORDER_AGREED;
    r.origin = origin;
    name32(r.sender, sender);
    r.msg = m;
    for (i = 0; i < n_sims; i++)
        if (to & (1u << i))
            deliver_request(&sims[i].d, &r);
    msg_unref(m);
}

/* A data frame in `out`: header (this host's order, or the other one),
 * `ng` copies of `group`, body; returns its length. */
static size_t frame(unsigned char *out, const char *sender, const char *group,
                    int ng, const char *body, int other_order)
{
    struct spw_header h;
    size_t bl = strlen(body), n;
    int i;

    memset(&h, 0, sizeof h);
    h.type = AGREED_MESS;
    name32(h.sender, sender);
    h.num_groups = ng;
    h.hint = spw_native_mark();
    h.data_len = (int32_t)bl;
    spw_header_encode(out, &h);
    for (i = 0; i < ng; i++)
        name32((char *)out + SPW_HEADER_LEN + 32 * i, group);
    n = SPW_HEADER_LEN + 32 * (size_t)ng;
    memcpy(out + n, body, bl);
    if (other_order) {
        uint32_t type = AGREED_MESS |
                        (spw_native_mark() ? 0 : (uint32_t)ENDIAN_RESERVED);
        spw_put32(out, spw_swap32(type));
        spw_put32(out + SPW_OFF_NUM_GROUPS, spw_swap32((uint32_t)ng));
        spw_put32(out + SPW_OFF_DATA_LEN, spw_swap32((uint32_t)bl));
    }
    return n + bl;
}

/* The next message a fake got, or NULL. */
static struct msg *next_msg(struct fake *f)
{
    return f->n_read < f->n_got ? f->got[f->n_read++] : NULL;
}

static void drain(struct fake *f)
{
    f->n_read = f->n_got;
}

/* ---- reading membership messages ---- */

struct view {
    uint32_t type;
    char group[MAX_GROUP_NAME];
    int n_members;
    const char *members[16];
    uint32_t gid[3];
    int n_sets, own;
    int set_len[16];
    const char *sets[16][16];
};

static uint32_t host32(const unsigned char *p)
{
    return spw_get32(p);
}

static void read_view(const struct msg *m, struct view *v)
{
    const unsigned char *p = m->data, *b;
    int32_t dl;
    uint32_t off;
    int i, j;

    memset(v, 0, sizeof *v);
    ck_assert_uint_ge(m->len, SPW_HEADER_LEN);
    v->type = host32(p) & ~(uint32_t)ENDIAN_RESERVED;
    memcpy(v->group, p + SPW_OFF_SENDER, MAX_GROUP_NAME);
    v->n_members = (int)host32(p + SPW_OFF_NUM_GROUPS);
    dl = (int32_t)host32(p + SPW_OFF_DATA_LEN);
    ck_assert_uint_eq(m->len, SPW_HEADER_LEN +
                      (size_t)MAX_GROUP_NAME * (size_t)v->n_members +
                      (size_t)dl);
    ck_assert_int_le(v->n_members, 16);
    for (i = 0; i < v->n_members; i++)
        v->members[i] = (const char *)p + SPW_HEADER_LEN + 32 * i;
    b = p + SPW_HEADER_LEN + 32 * v->n_members;
    if (dl >= 12)
        for (i = 0; i < 3; i++)
            v->gid[i] = host32(b + 4 * i);
    if (!(v->type & REG_MEMB_MESS))
        return;
    v->n_sets = (int)host32(b + 12);
    off = host32(b + 16);
    v->own = -1;
    b += 20;
    for (i = 0, j = 0; i < v->n_sets; i++) {
        int k;
        if ((uint32_t)j == off)
            v->own = i;
        v->set_len[i] = (int)host32(b + j);
        for (k = 0; k < v->set_len[i]; k++)
            v->sets[i][k] = (const char *)b + j + 4 + 32 * k;
        j += 4 + 32 * v->set_len[i];
    }
    ck_assert_int_eq(20 + j, dl);
}

/* Expect a message from f: TRANSITION_MESS of `group` with id gid. */
static void expect_trans(struct fake *f, const char *group, uint32_t id,
                         uint32_t t, uint32_t index)
{
    struct msg *m = next_msg(f);
    struct view v;

    ck_assert_msg(m != NULL, "%s: no TRANSITION_MESS", f->s.pgroup);
    read_view(m, &v);
    ck_assert_uint_eq(v.type, TRANSITION_MESS);
    ck_assert_str_eq(v.group, group);
    ck_assert_uint_eq(v.gid[0], id);
    ck_assert_uint_eq(v.gid[1], t);
    ck_assert_uint_eq(v.gid[2], index);
}

/* Expect a regular membership message; `sets` is like "a b|c" (names
 * without the daemon part are matched as prefixes "#a#"); own = index
 * of the receiver's set. */
static void expect_reg(struct fake *f, const char *group, uint32_t cause,
                       uint32_t id, uint32_t t, uint32_t index,
                       const char *members, const char *sets, int own)
{
    struct msg *m = next_msg(f);
    struct view v;
    char buf[256], *tok, *save;
    int i = 0, k = 0, j = 0;

    ck_assert_msg(m != NULL, "%s: no view of %s", f->s.pgroup, group);
    read_view(m, &v);
    ck_assert_uint_eq(v.type, REG_MEMB_MESS | cause);
    ck_assert_str_eq(v.group, group);
    ck_assert_uint_eq(v.gid[0], id);
    ck_assert_uint_eq(v.gid[1], t);
    ck_assert_uint_eq(v.gid[2], index);
    snprintf(buf, sizeof buf, "%s", members);
    for (tok = strtok_r(buf, " ", &save); tok != NULL;
         tok = strtok_r(NULL, " ", &save), i++) {
        ck_assert_int_lt(i, v.n_members);
        ck_assert_str_eq(v.members[i], tok);
    }
    ck_assert_int_eq(i, v.n_members);
    snprintf(buf, sizeof buf, "%s", sets);
    for (tok = buf; ; ) {
        char *end = tok + strcspn(tok, " |");
        char c = *end;
        *end = '\0';
        ck_assert_int_lt(k, v.n_sets);
        ck_assert_int_lt(j, v.set_len[k]);
        ck_assert_str_eq(v.sets[k][j], tok);
        j++;
        if (c == '\0')
            break;
        if (c == '|') {
            ck_assert_int_eq(j, v.set_len[k]);
            k++;
            j = 0;
        }
        tok = end + 1;
    }
    ck_assert_int_eq(j, v.set_len[k]);
    ck_assert_int_eq(k + 1, v.n_sets);
    ck_assert_int_eq(v.own, own);
}

static void expect_data(struct fake *f, const char *body)
{
    struct msg *m = next_msg(f);
    size_t bl = strlen(body);
    struct spw_header h;

    ck_assert_msg(m != NULL, "%s: no data", f->s.pgroup);
    spw_header_decode(m->data, &h);
    ck_assert_uint_eq(h.type & ~(uint32_t)ENDIAN_RESERVED, AGREED_MESS);
    ck_assert_uint_ge(m->len, bl);
    ck_assert(memcmp(m->data + m->len - bl, body, bl) == 0);
}

static void expect_self_leave(struct fake *f, const char *group)
{
    struct msg *m = next_msg(f);
    struct view v;

    ck_assert_ptr_nonnull(m);
    read_view(m, &v);
    ck_assert_uint_eq(v.type, CAUSED_BY_LEAVE);
    ck_assert_str_eq(v.group, group);
}

static void expect_none(struct fake *f)
{
    ck_assert_msg(f->n_read == f->n_got, "%s: %d unexpected message(s)",
                  f->s.pgroup, f->n_got - f->n_read);
}

/* ---- comparing tables ---- */

struct dump {
    char *buf;
    size_t len, cap;
};

static void dump_put(struct dump *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void dump_put(struct dump *d, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (d->len + (size_t)n + 1 > d->cap) {
        d->cap = (d->len + (size_t)n + 1) * 2;
        d->buf = realloc(d->buf, d->cap);
        ck_assert_ptr_nonnull(d->buf);
    }
    va_start(ap, fmt);
    vsnprintf(d->buf + d->len, d->cap - d->len, fmt, ap);
    va_end(ap);
    d->len += (size_t)n;
}

struct collect {
    const struct group *v[64];
    int n;
};

static void collect_cb(struct hmap_node *n, void *ctx)
{
    struct collect *c = ctx;
    ck_assert_int_lt(c->n, 64);
    c->v[c->n++] = hmap_entry(n, struct group, hnode);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp((*(const struct group *const *)a)->name,
                  (*(const struct group *const *)b)->name);
}

/* The table as text: groups by name, ids, members with their keys. */
static char *table(const struct sim *s)
{
    struct collect c;
    struct dump d = {NULL, 0, 0};
    int i, j;

    c.n = 0;
    hmap_each(&s->gs.groups, collect_cb, &c);
    qsort(c.v, (size_t)c.n, sizeof c.v[0], name_cmp);
    dump_put(&d, "%s", "");
    for (i = 0; i < c.n; i++) {
        const struct group *g = c.v[i];
        dump_put(&d, "%s (%u,%u,%u) f%u:", g->name, g->gid.memb_id,
                 g->gid.memb_time, g->gid.index, g->flags);
        for (j = 0; j < g->n_members; j++) {
            const struct gmember *m = g->members[j];
            dump_put(&d, " %d:%s@%u.%u", m->owner->daemon, m->owner->name,
                     m->key.memb_id, m->key.memb_time);
        }
        dump_put(&d, "\n");
    }
    return d.buf;
}

/* Every daemon in `which` has the same table; returns it (free it). */
static char *same_tables(unsigned which)
{
    char *first = NULL;
    int i;

    for (i = 0; i < n_sims; i++) {
        char *t;
        if (!(which & (1u << i)))
            continue;
        t = table(&sims[i]);
        if (first == NULL) {
            first = t;
            continue;
        }
        ck_assert_msg(strcmp(first, t) == 0, "daemon %d differs:\n%s\nvs\n%s",
                      i, t, first);
        free(t);
    }
    return first;
}

/* ---- vector 29: the client-visible views of a partition ---- */

static size_t unhex(unsigned char *out, const char *hex)
{
    size_t n = 0;
    unsigned v;

    while (sscanf(hex, "%2x", &v) == 1) {
        out[n++] = (unsigned char)v;
        hex += 2;
    }
    return n;
}

/* The vector is little-endian; membership words are in the daemon's
 * order: turn the words at the given offsets into this host's order. */
static void le_words(unsigned char *b, const size_t *off, int n)
{
    int i;

    if (spw_native_mark() != 0)
        return;  /* little-endian host: as captured */
    for (i = 0; i < n; i++)
        spw_put32(b + off[i], spw_swap32(spw_get32(b + off[i])));
}

static void expect_bytes(struct fake *f, const char *hex, const size_t *words,
                         int n_words)
{
    unsigned char want[512];
    size_t n = unhex(want, hex);
    struct msg *m = next_msg(f);

    le_words(want, words, n_words);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(m->len, n);
    ck_assert_msg(memcmp(m->data, want, n) == 0, "%s: bytes differ",
                  f->s.pgroup);
}

#define X 1552775919u    /* the gid daemon id of vector 29 */
#define T655 1795668655u /* {d1,d2} */
#define T669 1795668669u /* {d1} after the partition */

#define T690 1795668690u /* transitional configurations of the merge */
#define T691 1795668691u /* {d1,d2} again */

/* Vector 29: d1 loses d2: A (on d1) gets TRANSITION_MESS with the old id,
 * then its NETWORK view. d2, frozen meanwhile, comes back: B (on d2) gets
 * its TRANSITION_MESS; the group-state exchange of the merged ring gives
 * both the merged NETWORK view, whose VS sets put B's (last synchronised
 * in {d1,d2}) before A's (last synchronised in {d1}) and tell each which
 * is its own. A gets no TRANSITION_MESS for the merge. Byte for byte as
 * captured. */
START_TEST(partition_merge_v29)
{
    struct fake *a, *b;
    static const size_t trans_words[] = {0, 36, 40, 44, 48, 52, 56};
    static const size_t net_words[] = {0, 36, 40, 44, 80, 84, 88, 92, 96,
                                       100};
    static const size_t merge_words[] = {0, 36, 40, 44, 112, 116, 120, 124,
                                         128, 132, 168};

    sims_named(2, "d");
    regular(X, T655, 0x3);
    a = client(0, "#alice#d1");
    b = client(1, "#bob#d2");
    request(0x3, ORDER_JOIN, 0, "#alice#d1", "net");
    request(0x3, ORDER_JOIN, 1, "#bob#d2", "net");
    drain(a);
    drain(b);
    free(same_tables(0x3));
    regular(X, T669, 0x1);
    expect_bytes(a,
        "802000806e657400000000000000000000000000000000000000000000000000"
        "0000000000000000800000800c000000ef7a8d5cafba076b02000000",
        trans_words, 7);
    expect_bytes(a,
        "801800806e657400000000000000000000000000000000000000000000000000"
        "0000000001000000800000803800000023616c69636523643100000000000000"
        "00000000000000000000000000000000ef7a8d5cbdba076b0100000001000000"
        "000000000100000023616c696365236431000000000000000000000000000000"
        "0000000000000000",
        net_words, 10);
    expect_none(a);
    expect_none(b);
    /* d2 resumes: both see a transitional configuration of themselves,
     * then the merged ring. */
    view_to(0x2, 1, 1001, T690, 0x2);
    expect_bytes(b,
        "802000806e657400000000000000000000000000000000000000000000000000"
        "0000000000000000800000800c000000ef7a8d5cafba076b02000000",
        trans_words, 7);
    view_to(0x1, 1, X, T690, 0x1);
    expect_none(a);
    regular(X, T691, 0x3);
    expect_bytes(b,
        "801800806e657400000000000000000000000000000000000000000000000000"
        "0000000002000000800000805c00000023616c69636523643100000000000000"
        "0000000000000000000000000000000023626f62236432000000000000000000"
        "00000000000000000000000000000000ef7a8d5cd3ba076b0100000002000000"
        "000000000100000023626f622364320000000000000000000000000000000000"
        "00000000000000000100000023616c6963652364310000000000000000000000"
        "000000000000000000000000",
        merge_words, 11);
    expect_bytes(a,
        "801800806e657400000000000000000000000000000000000000000000000000"
        "0000000002000000800000805c00000023616c69636523643100000000000000"
        "0000000000000000000000000000000023626f62236432000000000000000000"
        "00000000000000000000000000000000ef7a8d5cd3ba076b0100000002000000"
        "240000000100000023626f622364320000000000000000000000000000000000"
        "00000000000000000100000023616c6963652364310000000000000000000000"
        "000000000000000000000000",
        merge_words, 11);
    expect_none(a);
    expect_none(b);
    free(same_tables(0x3));
}
END_TEST

/* Three daemons, n3 crashes: groups with members on n3 get TRANSITION
 * then NETWORK (one VS set: everyone left came from the same view);
 * a group without members there gets nothing; n1 and n2 end with the same
 * table, in which the survivors count as synchronised in the new view. */
START_TEST(crash_removes_members)
{
    struct fake *a, *b, *c, *a2;
    char *t;

    sims_new(3);
    regular(10, 100, 0x7);
    a = client(0, "#a#n1");
    a2 = client(0, "#a2#n1");
    b = client(1, "#b#n2");
    c = client(2, "#c#n3");
    request(0x7, ORDER_JOIN, 0, "#a#n1", "g");
    request(0x7, ORDER_JOIN, 1, "#b#n2", "g");
    request(0x7, ORDER_JOIN, 2, "#c#n3", "g");
    request(0x7, ORDER_JOIN, 2, "#c#n3", "only3");
    request(0x7, ORDER_JOIN, 0, "#a2#n1", "h");
    request(0x7, ORDER_JOIN, 1, "#b#n2", "h");
    drain(a);
    drain(a2);
    drain(b);
    drain(c);
    regular(10, 120, 0x3);
    expect_trans(a, "g", 10, 100, 3);
    expect_reg(a, "g", CAUSED_BY_NETWORK, 10, 120, 1, "#a#n1 #b#n2",
               "#a#n1 #b#n2", 0);
    expect_trans(b, "g", 10, 100, 3);
    expect_reg(b, "g", CAUSED_BY_NETWORK, 10, 120, 1, "#a#n1 #b#n2",
               "#a#n1 #b#n2", 0);
    expect_none(a);
    expect_none(a2);
    expect_none(b);
    t = same_tables(0x3);
    ck_assert_str_eq(t, "g (10,120,1) f0: 0:#a#n1@10.120 1:#b#n2@10.120\n"
                        "h (10,100,2) f0: 0:#a2#n1@10.120 1:#b#n2@10.120\n");
    free(t);
    /* Joins go on from the new id. */
    request(0x3, ORDER_JOIN, 1, "#b#n2", "only3");
    expect_reg(b, "only3", CAUSED_BY_JOIN, 10, 120, 1, "#b#n2", "#b#n2", 0);
    request(0x3, ORDER_LEAVE, 1, "#b#n2", "g");
    ck_assert_ptr_nonnull(next_msg(b));   /* self-leave */
    expect_reg(a, "g", CAUSED_BY_LEAVE, 10, 120, 2, "#a#n1", "#b#n2", 0);
}
END_TEST

/* Three daemons in {n1,n2,n3}; a, a2 on n1, b on n2, c on n3; g = {a, b,
 * c} (10,100,3), h = {a2, b} (10,100,2). */
static void three_daemons(struct fake **a, struct fake **a2, struct fake **b,
                          struct fake **c)
{
    sims_new(3);
    regular(10, 100, 0x7);
    *a = client(0, "#a#n1");
    *a2 = client(0, "#a2#n1");
    *b = client(1, "#b#n2");
    *c = client(2, "#c#n3");
    request(0x7, ORDER_JOIN, 0, "#a#n1", "g");
    request(0x7, ORDER_JOIN, 1, "#b#n2", "g");
    request(0x7, ORDER_JOIN, 2, "#c#n3", "g");
    request(0x7, ORDER_JOIN, 0, "#a2#n1", "h");
    request(0x7, ORDER_JOIN, 1, "#b#n2", "h");
    drain(*a);
    drain(*a2);
    drain(*b);
    drain(*c);
}

/* The TRANSITION_MESS comes with the transitional configuration, before
 * the messages of the old view delivered in its transitional part. */
START_TEST(transition_at_its_place)
{
    struct fake *a, *a2, *b, *c;

    three_daemons(&a, &a2, &b, &c);
    view_to(0x3, 1, 10, 110, 0x3);
    expect_trans(a, "g", 10, 100, 3);
    expect_trans(b, "g", 10, 100, 3);
    expect_none(a2);
    data(0x3, 2, "#c#n3", "g", "late from c");
    expect_data(a, "late from c");
    expect_data(b, "late from c");
    regular(10, 120, 0x3);
    expect_reg(a, "g", CAUSED_BY_NETWORK, 10, 120, 1, "#a#n1 #b#n2",
               "#a#n1 #b#n2", 0);
    expect_reg(b, "g", CAUSED_BY_NETWORK, 10, 120, 1, "#a#n1 #b#n2",
               "#a#n1 #b#n2", 0);
    expect_none(a);
    expect_none(b);
    expect_none(a2);
    free(same_tables(0x3));
}
END_TEST

/* Rule 74: a join in a changed group during the transitional part shows
 * an unsettled NETWORK view under the transitional configuration's id
 * (the lost daemon's member alone, the joiner alone at the end), then a
 * TRANSITION_MESS at once; the settled view keeps the joiner in a set of
 * its own. A leave there does the same; an unchanged group sees plain
 * joins. */
START_TEST(unsettled_join_and_leave)
{
    struct fake *a, *a2, *b, *c, *d;
    char *t;

    three_daemons(&a, &a2, &b, &c);
    d = client(0, "#d#n1");
    view_to(0x3, 1, 10, 110, 0x3);
    drain(a);
    drain(b);
    request(0x3, ORDER_JOIN, 0, "#d#n1", "g");
    expect_reg(a, "g", CAUSED_BY_NETWORK, 10, 110, 4,
               "#a#n1 #d#n1 #b#n2 #c#n3", "#a#n1 #b#n2|#c#n3|#d#n1", 0);
    expect_trans(a, "g", 10, 110, 4);
    expect_reg(d, "g", CAUSED_BY_NETWORK, 10, 110, 4,
               "#a#n1 #d#n1 #b#n2 #c#n3", "#a#n1 #b#n2|#c#n3|#d#n1", 2);
    expect_trans(d, "g", 10, 110, 4);
    expect_reg(b, "g", CAUSED_BY_NETWORK, 10, 110, 4,
               "#a#n1 #d#n1 #b#n2 #c#n3", "#a#n1 #b#n2|#c#n3|#d#n1", 0);
    expect_trans(b, "g", 10, 110, 4);
    request(0x3, ORDER_JOIN, 0, "#d#n1", "h");
    expect_reg(a2, "h", CAUSED_BY_JOIN, 10, 100, 3, "#a2#n1 #d#n1 #b#n2",
               "#d#n1", 0);
    drain(b);
    drain(d);
    request(0x3, ORDER_LEAVE, 1, "#b#n2", "g");
    expect_self_leave(b, "g");
    expect_reg(a, "g", CAUSED_BY_NETWORK, 10, 110, 5,
               "#a#n1 #d#n1 #c#n3", "#a#n1|#c#n3|#d#n1", 0);
    expect_trans(a, "g", 10, 110, 5);
    drain(d);
    regular(10, 120, 0x3);
    expect_reg(a, "g", CAUSED_BY_NETWORK, 10, 120, 1, "#a#n1 #d#n1",
               "#a#n1|#d#n1", 0);
    expect_reg(d, "g", CAUSED_BY_NETWORK, 10, 120, 1, "#a#n1 #d#n1",
               "#a#n1|#d#n1", 1);
    expect_none(a);
    expect_none(a2);
    expect_none(b);
    expect_none(d);
    t = same_tables(0x3);
    ck_assert_str_eq(t,
        "g (10,120,1) f0: 0:#a#n1@10.120 0:#d#n1@10.120\n"
        "h (10,100,3) f0: 0:#a2#n1@10.120 0:#d#n1@10.120 1:#b#n2@10.120\n");
    free(t);
}
END_TEST

/* Two rings {n1,n2} and {n3} merge (rule 73): a group with members on
 * both sides is changed everywhere (NETWORK view, no TRANSITION_MESS: no
 * member was lost); a group with members on one side only shows nothing
 * to them and keeps its id, which the other side learns. The group state
 * went out once per synced set, from its first daemon, and every daemon
 * ends with the same table. */
START_TEST(merge_rings)
{
    struct fake *a, *b, *c;
    char *t;

    sims_new(3);
    view_to(0x3, 0, 10, 100, 0x3);
    view_to(0x4, 0, 30, 300, 0x4);
    pump(0x3);   /* n1's and n2's states to n1 and n2 only */
    ck_assert_int_eq(n_wire, 0);
    a = client(0, "#a#n1");
    b = client(1, "#b#n2");
    c = client(2, "#c#n3");
    request(0x3, ORDER_JOIN, 0, "#a#n1", "both");
    request(0x3, ORDER_JOIN, 1, "#b#n2", "ab");
    request(0x3, ORDER_JOIN, 0, "#a#n1", "ab");
    request(0x4, ORDER_JOIN, 2, "#c#n3", "both");
    request(0x4, ORDER_JOIN, 2, "#c#n3", "conly");
    drain(a);
    drain(b);
    drain(c);
    view_to(0x3, 1, 10, 399, 0x3);
    view_to(0x4, 1, 30, 399, 0x4);
    expect_none(a);
    expect_none(c);
    n_submitted = 0;
    regular(10, 400, 0x7);
    ck_assert_int_eq(n_submitted, 2);   /* n1 for {n1,n2}, n3 for {n3} */
    expect_reg(a, "both", CAUSED_BY_NETWORK, 10, 400, 1, "#a#n1 #c#n3",
               "#a#n1|#c#n3", 0);
    expect_reg(c, "both", CAUSED_BY_NETWORK, 10, 400, 1, "#a#n1 #c#n3",
               "#a#n1|#c#n3", 1);
    expect_none(a);
    expect_none(b);
    expect_none(c);
    t = same_tables(0x7);
    ck_assert_str_eq(t,
        "ab (10,100,2) f0: 0:#a#n1@10.400 1:#b#n2@10.400\n"
        "both (10,400,1) f0: 0:#a#n1@10.400 2:#c#n3@10.400\n"
        "conly (30,300,1) f0: 2:#c#n3@10.400\n");
    free(t);
    /* Joins go on from there, everywhere alike. */
    request(0x7, ORDER_JOIN, 2, "#c#n3", "ab");
    expect_reg(a, "ab", CAUSED_BY_JOIN, 10, 100, 3,
               "#a#n1 #b#n2 #c#n3", "#c#n3", 0);
    free(same_tables(0x7));
}
END_TEST

/* Two sides: n1 and n2 synchronised in (10,100), n3 alone in (30,300);
 * for each pointer given, its client (#a#n1, #b#n2, #c#n3) joins g on
 * its side, and the join views are drained. */
static void two_sides(struct fake **a, struct fake **b, struct fake **c)
{
    sims_new(3);
    regular(10, 100, 0x3);
    regular(30, 300, 0x4);
    if (a != NULL)
        *a = client(0, "#a#n1");
    if (b != NULL)
        *b = client(1, "#b#n2");
    if (c != NULL)
        *c = client(2, "#c#n3");
    if (a != NULL)
        request(0x3, ORDER_JOIN, 0, "#a#n1", "g");
    if (b != NULL)
        request(0x3, ORDER_JOIN, 1, "#b#n2", "g");
    if (c != NULL)
        request(0x4, ORDER_JOIN, 2, "#c#n3", "g");
    if (a != NULL)
        drain(*a);
    if (b != NULL)
        drain(*b);
    if (c != NULL)
        drain(*c);
}

/* Requests delivered while the exchange runs wait for it: the NETWORK
 * view comes first, then the join and the data, in their order. */
START_TEST(requests_wait_for_exchange)
{
    struct fake *a, *c;

    two_sides(&a, NULL, &c);
    view_to(0x3, 1, 10, 399, 0x3);
    view_to(0x4, 1, 30, 399, 0x4);
    view_to(0x7, 0, 10, 400, 0x7);
    request(0x7, ORDER_JOIN, 2, "#c#n3", "h");
    request(0x7, ORDER_JOIN, 0, "#a#n1", "h");
    data(0x7, 2, "#c#n3", "g", "early");
    expect_none(a);
    expect_none(c);
    ck_assert_uint_eq(sims[0].d.n_held, 3);
    pump(0x7);
    ck_assert_uint_eq(sims[0].d.n_held, 0);
    expect_reg(a, "g", CAUSED_BY_NETWORK, 10, 400, 1, "#a#n1 #c#n3",
               "#a#n1|#c#n3", 0);
    expect_reg(a, "h", CAUSED_BY_JOIN, 10, 400, 2, "#a#n1 #c#n3", "#a#n1",
               0);
    expect_data(a, "early");
    expect_none(a);
    free(same_tables(0x7));
}
END_TEST

/* Rule 78: n3 goes away while {n1,n2} and {n3} exchange their states;
 * the exchange still completes in the transitional part (both states
 * were ordered before n3 left): n1 and n2 merge and tell the group that
 * will change (members on both sides) with a TRANSITION_MESS; the next
 * regular configuration, {n1,n2} again, shows the NETWORK view without
 * n3's member, whom a and b never saw. */
START_TEST(cascade_completes_in_transitional)
{
    struct fake *a, *b, *c;     /* c joins g; the test reads a and b */
    char *t;

    two_sides(&a, &b, &c);
    view_to(0x3, 1, 10, 399, 0x3);
    view_to(0x7, 0, 10, 400, 0x7);
    ck_assert_int_eq(n_wire, 2);
    view_to(0x3, 1, 10, 410, 0x3);   /* n3 is gone */
    expect_none(a);
    pump(0x3);
    expect_trans(a, "g", 10, 100, 2);
    expect_trans(b, "g", 10, 100, 2);
    regular(10, 411, 0x3);
    expect_reg(a, "g", CAUSED_BY_NETWORK, 10, 411, 1, "#a#n1 #b#n2",
               "#a#n1 #b#n2", 0);
    expect_reg(b, "g", CAUSED_BY_NETWORK, 10, 411, 1, "#a#n1 #b#n2",
               "#a#n1 #b#n2", 0);
    expect_none(a);
    expect_none(b);
    t = same_tables(0x3);
    ck_assert_str_eq(t, "g (10,411,1) f0: 0:#a#n1@10.411 1:#b#n2@10.411\n");
    free(t);
}
END_TEST

/* The same, but n3's state never arrives: the exchange is given up at
 * the next regular configuration, which finds n1 and n2 synchronised
 * with each other: nothing changed for their clients. A join held
 * meanwhile is applied then; the late GROUPS message is ignored. */
START_TEST(cascade_gives_up)
{
    struct fake *a, *b;
    char *t;

    two_sides(&a, &b, NULL);
    view_to(0x3, 1, 10, 399, 0x3);
    view_to(0x7, 0, 10, 400, 0x7);
    ck_assert_int_eq(n_wire, 2);     /* n1's first, then n3's */
    pump_n(0x3, 1);
    request(0x3, ORDER_JOIN, 1, "#b#n2", "h");
    view_to(0x3, 1, 10, 410, 0x3);
    regular(10, 411, 0x3);           /* n3's message is lost with it... */
    expect_reg(b, "h", CAUSED_BY_JOIN, 10, 400, 1, "#b#n2", "#b#n2", 0);
    expect_none(a);
    expect_none(b);
    t = same_tables(0x3);
    ck_assert_str_eq(t, "g (10,100,2) f0: 0:#a#n1@10.411 1:#b#n2@10.411\n"
                        "h (10,400,1) f0: 1:#b#n2@10.411\n");
    free(t);
    ck_assert_int_eq(n_wire, 0);
}
END_TEST

/* {n1,n2} and {n3} merge; their exchange completes only in the
 * transitional part of the merged configuration, so no merged view is
 * shown before the next one. Until then a's view of g is {n1,n2}'s and
 * c's is n3's: a message of c, held or not, is c's side's only, and one
 * of a is not c's (§15 properties 6 and 14, dsim seed 47). */
START_TEST(cascade_data_stays_in_its_views)
{
    struct fake *a, *b, *c;

    two_sides(&a, &b, &c);
    view_to(0x3, 1, 10, 399, 0x3);
    view_to(0x4, 1, 30, 399, 0x4);
    view_to(0x7, 0, 10, 400, 0x7);
    data(0x7, 2, "#c#n3", "g", "held from c");
    data(0x7, 0, "#a#n1", "g", "held from a");
    view_to(0x7, 1, 10, 410, 0x7);   /* the merged ring changes again */
    pump(0x7);                       /* completes in its transitional part */
    data(0x7, 2, "#c#n3", "g", "late from c");
    data(0x7, 1, "#b#n2", "g", "late from b");
    expect_trans(a, "g", 10, 100, 2);
    expect_data(a, "held from a");
    expect_data(a, "late from b");
    expect_none(a);
    expect_trans(b, "g", 10, 100, 2);
    expect_data(b, "held from a");
    expect_data(b, "late from b");
    expect_none(b);
    expect_trans(c, "g", 30, 300, 1);
    expect_data(c, "held from c");
    expect_data(c, "late from c");
    expect_none(c);
    regular(10, 411, 0x7);
    expect_reg(a, "g", CAUSED_BY_NETWORK, 10, 411, 1,
               "#a#n1 #b#n2 #c#n3", "#a#n1 #b#n2|#c#n3", 0);
    expect_reg(c, "g", CAUSED_BY_NETWORK, 10, 411, 1,
               "#a#n1 #b#n2 #c#n3", "#a#n1 #b#n2|#c#n3", 1);
    data(0x7, 2, "#c#n3", "g", "merged");
    expect_data(a, "merged");
    expect_data(c, "merged");
    free(same_tables(0x7));
}
END_TEST

/* The same merge, but n3's state never comes: the exchange is given up
 * at the next configuration. What n3's client sent meanwhile was sent in
 * n3's views, which a never had: not delivered to it. */
START_TEST(given_up_data_stays_in_its_views)
{
    struct fake *a, *c;

    two_sides(&a, NULL, &c);
    view_to(0x3, 1, 10, 399, 0x3);
    view_to(0x4, 1, 30, 399, 0x4);
    view_to(0x7, 0, 10, 400, 0x7);
    ck_assert_int_eq(n_wire, 2);     /* n1's first, then n3's */
    pump_n(0x7, 1);
    data(0x7, 2, "#c#n3", "g", "from c");
    data(0x7, 0, "#a#n1", "g", "from a");
    view_to(0x7, 1, 10, 410, 0x7);
    pump_n(0x0, 1);                  /* n3's state is lost */
    view_to(0x7, 0, 10, 411, 0x7);
    expect_data(a, "from a");
    expect_none(a);
    expect_data(c, "from c");
    expect_none(c);
    pump(0x7);
    expect_reg(a, "g", CAUSED_BY_NETWORK, 10, 411, 1, "#a#n1 #c#n3",
               "#a#n1|#c#n3", 0);
    expect_reg(c, "g", CAUSED_BY_NETWORK, 10, 411, 1, "#a#n1 #c#n3",
               "#a#n1|#c#n3", 1);
    free(same_tables(0x7));
}
END_TEST

/* n1 and n2 were synchronised in (10,100); n1 then goes through a
 * configuration with n3 whose exchange is given up, and its client a
 * delivers what it sent there, which b never gets. In the merged view
 * a and b must not share a virtual-synchrony set (§15 properties 8,
 * 10; dsim seeds 550, 1643): n1's memberships take a key of their own
 * (deliver.c, rekey_given_up). */
START_TEST(given_up_splits_vs_sets)
{
    struct fake *a, *b, *c;

    two_sides(&a, &b, &c);
    view_to(0x1, 1, 10, 150, 0x1);
    view_to(0x2, 1, 10, 150, 0x2);
    view_to(0x4, 1, 30, 150, 0x4);
    view_to(0x5, 0, 10, 200, 0x5);
    ck_assert_int_eq(n_wire, 2);     /* n1's first, then n3's */
    data(0x5, 0, "#a#n1", "g", "from a");
    view_to(0x5, 1, 10, 210, 0x5);
    pump_n(0x5, 1);
    pump_n(0x0, 1);                  /* n3's state is lost */
    view_to(0x7, 0, 10, 220, 0x7);
    expect_trans(a, "g", 10, 100, 2);
    expect_data(a, "from a");
    expect_none(a);
    expect_trans(b, "g", 10, 100, 2);
    expect_none(b);
    expect_none(c);
    pump(0x7);
    expect_reg(a, "g", CAUSED_BY_NETWORK, 10, 220, 1, "#a#n1 #b#n2 #c#n3",
               "#b#n2|#a#n1|#c#n3", 1);
    expect_reg(b, "g", CAUSED_BY_NETWORK, 10, 220, 1, "#a#n1 #b#n2 #c#n3",
               "#b#n2|#a#n1|#c#n3", 0);
    expect_reg(c, "g", CAUSED_BY_NETWORK, 10, 220, 1, "#a#n1 #b#n2 #c#n3",
               "#b#n2|#a#n1|#c#n3", 2);
    free(same_tables(0x7));
}
END_TEST

/* The same without anything held: a delivers its message in the
 * transitional part of (10,100) that n1 went through alone, then n1's
 * exchange with n3 is given up. a and b are still in separate sets in
 * the merged view (dsim seed 1342: property 6, one side of the TRANS
 * each). */
START_TEST(given_up_without_held_splits_vs_sets)
{
    struct fake *a, *b, *c;

    two_sides(&a, &b, &c);
    view_to(0x1, 1, 10, 150, 0x1);
    view_to(0x2, 1, 10, 150, 0x2);
    view_to(0x4, 1, 30, 150, 0x4);
    data(0x1, 0, "#a#n1", "g", "from a");
    view_to(0x5, 0, 10, 200, 0x5);
    ck_assert_int_eq(n_wire, 2);
    view_to(0x5, 1, 10, 210, 0x5);
    pump_n(0x0, 2);                  /* both states are lost */
    view_to(0x7, 0, 10, 220, 0x7);
    expect_trans(a, "g", 10, 100, 2);
    expect_data(a, "from a");
    expect_none(a);
    expect_trans(b, "g", 10, 100, 2);
    expect_none(b);
    pump(0x7);
    expect_reg(a, "g", CAUSED_BY_NETWORK, 10, 220, 1, "#a#n1 #b#n2 #c#n3",
               "#b#n2|#a#n1|#c#n3", 1);
    expect_reg(b, "g", CAUSED_BY_NETWORK, 10, 220, 1, "#a#n1 #b#n2 #c#n3",
               "#b#n2|#a#n1|#c#n3", 0);
    free(same_tables(0x7));
}
END_TEST

/* n2 comes back empty while n1 holds g; its client joins during the
 * exchange, which completes in the transitional part: the joins are
 * shown from the merged table, the same view on both sides, so what is
 * sent to g then reaches both (dsim seed 178). */
START_TEST(joined_view_is_shared)
{
    struct fake *a, *b;

    sims_new(2);
    regular(10, 100, 0x1);
    regular(20, 200, 0x2);
    a = client(0, "#a#n1");
    b = client(1, "#b#n2");
    request(0x1, ORDER_JOIN, 0, "#a#n1", "g");
    drain(a);
    view_to(0x1, 1, 10, 399, 0x1);
    view_to(0x2, 1, 20, 399, 0x2);
    view_to(0x3, 0, 10, 400, 0x3);
    request(0x3, ORDER_JOIN, 1, "#b#n2", "g");
    data(0x3, 0, "#a#n1", "g", "after the join");
    view_to(0x3, 1, 10, 410, 0x3);
    pump(0x3);
    expect_reg(a, "g", CAUSED_BY_JOIN, 10, 100, 2, "#a#n1 #b#n2", "#b#n2",
               0);
    expect_data(a, "after the join");
    expect_none(a);
    expect_reg(b, "g", CAUSED_BY_JOIN, 10, 100, 2, "#a#n1 #b#n2", "#b#n2",
               0);
    expect_data(b, "after the join");
    expect_none(b);
    free(same_tables(0x3));
}
END_TEST

/* One daemon (order.c today): its configuration is always its synced
 * set, nothing is sent. */
START_TEST(one_daemon_no_exchange)
{
    struct fake *a;

    sims_new(1);
    sims[0].d.submit = NULL;
    regular(7, 70, 0x1);
    ck_assert_int_eq(sims[0].d.phase, DELIVER_SETTLED);
    a = client(0, "#a#n1");
    request(0x1, ORDER_JOIN, 0, "#a#n1", "g");
    expect_reg(a, "g", CAUSED_BY_JOIN, 7, 70, 1, "#a#n1", "#a#n1", 0);
    ck_assert_int_eq(n_submitted, 0);
}
END_TEST

/* Requests of another daemon are input: a group count, data length or
 * sender that does not fit is refused with a (rate-limited) log line and
 * changes nothing; a disconnect or join that names another daemon's
 * client does not touch it (the old code looped for ever on such a
 * disconnect). A valid message of the other byte order gets through. */
START_TEST(hostile_requests)
{
    struct fake *a;
    unsigned char b[4096];
    char *t0, *t1;
    size_t n;
    uint64_t bad0;
    int i;

    sims_new(2);
    regular(10, 100, 0x3);
    a = client(0, "#a#n1");
    request(0x3, ORDER_JOIN, 0, "#a#n1", "g");
    request(0x3, ORDER_JOIN, 1, "#b#n2", "g");
    drain(a);
    t0 = table(&sims[0]);
    bad0 = sims[0].d.n_bad;

    n = frame(b, "#b#n2", "g", 1, "fine", 1);
    raw_data(0x1, 1, "#b#n2", b, n);
    expect_data(a, "fine");
    ck_assert_uint_eq(sims[0].d.n_bad, bad0);

    n = frame(b, "#b#n2", "g", 1, "count", 0);
    spw_put32(b + SPW_OFF_NUM_GROUPS, 101);
    raw_data(0x1, 1, "#b#n2", b, n);
    spw_put32(b + SPW_OFF_NUM_GROUPS, (uint32_t)-1);
    raw_data(0x1, 1, "#b#n2", b, n);
    spw_put32(b + SPW_OFF_NUM_GROUPS, 90);   /* more names than bytes */
    raw_data(0x1, 1, "#b#n2", b, n);
    n = frame(b, "#b#n2", "g", 1, "length", 0);
    raw_data(0x1, 1, "#b#n2", b, n - 1);     /* data_len past the end */
    raw_data(0x1, 1, "#b#n2", b, n + 1);     /* a byte past data_len */
    raw_data(0x1, 1, "#b#n2", b, 20);        /* no whole header */
    spw_put32(b + SPW_OFF_DATA_LEN, (uint32_t)-6);
    raw_data(0x1, 1, "#b#n2", b, n);
    n = frame(b, "#a#n1", "g", 1, "forged", 0);  /* n1's client, from n2 */
    raw_data(0x1, 1, "#b#n2", b, n);
    n = frame(b, "#b#n2", "g", 1, "noservice", 0);
    spw_put32(b, spw_native_mark());
    raw_data(0x1, 1, "#b#n2", b, n);
    n = frame(b, "#b#n2", "g", 1, "stranger", 0);
    raw_data(0x1, 7, "#b#n2", b, n);         /* daemon not in the ring */
    raw_data(0x1, -1, "#b#n2", b, n);
    raw_data(0x1, 200, "#b#n2", b, n);
    request(0x1, ORDER_JOIN, 1, "#x#n1", "g");   /* names n1's client */
    request(0x1, ORDER_JOIN, 1, "b#n2", "g");
    request(0x1, ORDER_JOIN, 1, "#b#n3", "g");
    {
        struct order_req r;
        memset(&r, 0, sizeof r);
        r.kind = ORDER_JOIN;
        r.origin = 1;
        memset(r.sender, 'x', sizeof r.sender);
        r.sender[0] = '#';
        name32(r.group, "g");
        deliver_request(&sims[0].d, &r);
    }
    request(0x1, ORDER_KILL, 1, "#a#n1", NULL);  /* kills n1's client */
    request(0x1, ORDER_LEAVE, 1, "#a#n1", "g");
    expect_none(a);
    ck_assert_uint_eq(sims[0].d.n_bad - bad0, 18);
    ck_assert_int_eq(fakes[0].killed, 0);
    t1 = table(&sims[0]);
    ck_assert_str_eq(t1, t0);
    free(t1);

    /* Any single-byte change of a valid message: refused or delivered,
     * never read past its end (AddressSanitizer builds). */
    n = frame(b, "#b#n2", "g", 3, "payload", 0);
    for (i = 0; i < (int)n; i++) {
        unsigned char c[4096];
        memcpy(c, b, n);
        c[i] ^= 0xa5;
        raw_data(0x1, 1, "#b#n2", c, n);
    }
    drain(a);
    t1 = table(&sims[0]);
    ck_assert_str_eq(t1, t0);
    free(t1);
    free(t0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("deliver");
    TCase *tc = tcase_create("views");

    tcase_set_timeout(tc, 10);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, partition_merge_v29);
    tcase_add_test(tc, crash_removes_members);
    tcase_add_test(tc, transition_at_its_place);
    tcase_add_test(tc, unsettled_join_and_leave);
    tcase_add_test(tc, merge_rings);
    tcase_add_test(tc, requests_wait_for_exchange);
    tcase_add_test(tc, cascade_completes_in_transitional);
    tcase_add_test(tc, cascade_gives_up);
    tcase_add_test(tc, cascade_data_stays_in_its_views);
    tcase_add_test(tc, given_up_data_stays_in_its_views);
    tcase_add_test(tc, joined_view_is_shared);
    tcase_add_test(tc, given_up_splits_vs_sets);
    tcase_add_test(tc, given_up_without_held_splits_vs_sets);
    tcase_add_test(tc, one_daemon_no_exchange);
    tcase_add_test(tc, hostile_requests);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
