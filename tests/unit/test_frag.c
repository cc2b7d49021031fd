/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/ring/frag.h. Against the upstream captures in
 * ../shared/vectors/ring: the first transmission of every data packet is
 * reassembled per originator and every completed message is checked
 * against decode.py's "message complete" lines; then every run of packets
 * one daemon sent in one go is packed again from the messages that start
 * in it, and must give the captured fragments (indices, lengths, bytes)
 * and, encoded with the captured header, the captured datagram. Also
 * hand-made cases for each packing rule and each reassembly violation.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring/frag.h"
#include "ring/pkt.h"
#include "../lib/ckmain.h"
#include "../lib/ringvec.h"

static char **files;
static size_t nfiles;

/* A first transmission of a data packet. */
struct fp {
    const struct rv_rec *r;
    struct pkt_data d;
    int bad;                /* holds part of a message never completed */
};

/* A message reassembled from the capture. */
struct fmsg {
    uint32_t orig;
    unsigned char *bytes;
    size_t len;
    unsigned nfrags;
    size_t start;           /* index of the fp of its first fragment */
};

struct cap {
    struct rv_file f;
    struct fp *fp;
    size_t nfp;
    struct fmsg *m;
    size_t nm;
};

static int seen_before(const struct cap *c, const struct pkt_data *d)
{
    for (size_t i = c->nfp; i-- > 0;) {
        const struct pkt_head *h = &c->fp[i].d.h;
        if (h->seq == d->h.seq && h->mid.id == d->h.mid.id &&
            h->mid.time == d->h.mid.time)
            return 1;
    }
    return 0;
}

/* The first transmissions, in capture order. */
static void collect(struct cap *c)
{
    c->fp = calloc(c->f.n, sizeof *c->fp);
    for (size_t i = 0; i < c->f.n; i++) {
        struct pkt_data d;
        if (pkt_data_decode(c->f.recs[i].data, c->f.recs[i].len, &d,
                            NULL) != 0 || seen_before(c, &d))
            continue;
        c->fp[c->nfp].r = &c->f.recs[i];
        c->fp[c->nfp].d = d;
        c->nfp++;
    }
}

/* Reassemble everything; check each completion against the annotation
 * of the packet that completes it. */
static void reassemble(struct cap *c)
{
    struct frag_reasm *ra = malloc(sizeof *ra);
    size_t start[PKT_MAX_MEMBERS];
    uint32_t who[PKT_MAX_MEMBERS];
    int nwho = 0;

    frag_reasm_init(ra);
    c->m = calloc(c->nfp * PKT_MAX_FRAGS, sizeof *c->m);
    for (size_t i = 0; i < c->nfp; i++) {
        const struct pkt_data *d = &c->fp[i].d;
        const struct rv_rec *r = c->fp[i].r;
        int line = 0, w;
        for (w = 0; w < nwho && who[w] != d->h.originator; w++)
            ;
        if (w == nwho) {
            ck_assert_int_lt(nwho, PKT_MAX_MEMBERS);
            who[nwho++] = d->h.originator;
        }
        for (unsigned k = 0; k < d->nfrags; k++) {
            struct frag_done done;
            unsigned nf;
            size_t len;
            int rc;
            if (d->frags[k].index == 1 || d->frags[k].index == -1)
                start[w] = i;
            rc = frag_reasm_add(ra, d->h.originator, &d->frags[k], &done);
            ck_assert_msg(rc >= 0, "%s P %d: %s", c->f.path, r->num,
                          frag_strerror(rc));
            if (rc == 0)
                continue;
            while (line < r->nann &&
                   sscanf(r->ann[line], "#   -> message complete: %u "
                          "fragment(s), %zu bytes", &nf, &len) != 2)
                line++;
            ck_assert_msg(line < r->nann && nf == done.nfrags &&
                              len == done.len,
                          "%s P %d: completion", c->f.path, r->num);
            line++;
            c->m[c->nm].orig = d->h.originator;
            c->m[c->nm].bytes = malloc(done.len);
            memcpy(c->m[c->nm].bytes, done.bytes, done.len);
            c->m[c->nm].len = done.len;
            c->m[c->nm].nfrags = done.nfrags;
            c->m[c->nm].start = start[w];
            c->nm++;
        }
        for (; line < r->nann; line++)
            ck_assert_msg(!strstr(r->ann[line], "message complete"),
                          "%s P %d: completion missed", c->f.path, r->num);
    }
    /* A message cut off by the end of the capture (or a crash): its
     * packets cannot be packed again. */
    for (int w = 0; w < nwho; w++) {
        if (!frag_reasm_pending(ra, who[w]))
            continue;
        for (size_t i = start[w]; i < c->nfp; i++)
            if (c->fp[i].d.h.originator == who[w])
                c->fp[i].bad = 1;
    }
    frag_reasm_fini(ra);
    free(ra);
}

static int load(struct cap *c, size_t i)
{
    char path[4400];

    memset(c, 0, sizeof *c);
    snprintf(path, sizeof path, "%s/%s", rv_dir(), files[i]);
    if (rv_load(path, &c->f) != 0)
        return -1;
    collect(c);
    reassemble(c);
    return 0;
}

static void unload(struct cap *c)
{
    for (size_t i = 0; i < c->nm; i++)
        free(c->m[i].bytes);
    free(c->m);
    free(c->fp);
    rv_free(&c->f);
}

START_TEST(reassembly)
{
    struct cap c;

    ck_assert_int_eq(load(&c, (size_t)_i), 0);
    ck_assert_uint_gt(c.nm, 0);
    unload(&c);
}
END_TEST

/* The messages of 02 that the README names. */
START_TEST(steady_traffic_messages)
{
    struct cap c;
    size_t i;
    int big = 0, four = 0, seven = 0;

    for (i = 0; i < nfiles && strncmp(files[i], "02_", 3) != 0; i++)
        ;
    ck_assert_uint_lt(i, nfiles);
    ck_assert_int_eq(load(&c, i), 0);
    for (i = 0; i < c.nm; i++) {
        struct pkt_msg m;
        ck_assert_int_eq(pkt_msg_decode(c.m[i].bytes, c.m[i].len, &m), 0);
        if (m.data_len == 100000) {
            big++;
            ck_assert_uint_eq(c.m[i].nfrags, 70);
            ck_assert_uint_eq(c.m[i].len, 100080);
            ck_assert_uint_eq(frag_service_of(m.type), PKT_SAFE);
            ck_assert_uint_eq(c.fp[c.m[i].start].d.h.type, PKT_SAFE);
        } else if (m.data_len == 5000) {
            four++;
            ck_assert_uint_eq(c.m[i].nfrags, 4);
            ck_assert_uint_eq(frag_count(c.m[i].len), 4);
        }
    }
    for (i = 0; i < c.nfp; i++) {
        const struct pkt_data *d = &c.fp[i].d;
        unsigned k, n101 = 0;
        for (k = 0; k < d->nfrags; k++) {
            struct pkt_msg m;
            if (pkt_msg_decode(d->frags[k].bytes, d->frags[k].len, &m) == 0 &&
                m.data_len == 101)
                n101++;
        }
        if (n101 == 7 && d->nfrags == 7)
            seven++;
    }
    ck_assert_int_eq(big, 1);
    ck_assert_int_eq(four, 2);
    ck_assert_int_ge(seven, 1);
    unload(&c);
}
END_TEST

/* True if the originator sent a token between fp a and fp b. */
static int token_between(const struct cap *c, size_t a, size_t b)
{
    const struct rv_rec *x = c->fp[a].r, *y = c->fp[b].r;
    for (const struct rv_rec *r = x + 1; r < y; r++) {
        enum pkt_kind k;
        if (pkt_classify(r->data, r->len, &k, NULL) == 0 &&
            k == PKT_KIND_TOKEN && strcmp(r->src, x->src) == 0)
            return 1;
    }
    return 0;
}

/* The end of the run of packets the originator of fp[a] sent in one go:
 * consecutive seqs of one ring, no token of its own in between. */
static size_t run_end(const struct cap *c, size_t a)
{
    const struct pkt_head *h0 = &c->fp[a].d.h;
    size_t last = a, i;

    for (i = a + 1; i < c->nfp; i++) {
        const struct pkt_head *h = &c->fp[i].d.h;
        if (h->originator != h0->originator)
            continue;
        if (h->mid.id != h0->mid.id || h->mid.time != h0->mid.time ||
            h->seq != c->fp[last].d.h.seq + 1 || token_between(c, last, i))
            break;
        last = i;
    }
    return last;
}

static void add_msg(struct frag_msg *q, size_t *n, const struct fmsg *m)
{
    struct pkt_msg pm;

    ck_assert_int_eq(pkt_msg_decode(m->bytes, m->len, &pm), 0);
    q[*n].bytes = m->bytes;
    q[*n].len = m->len;
    q[*n].service = frag_service_of(pm.type);
    (*n)++;
}

/* Pack the run starting at fp[a] again and compare. Returns the number of
 * packets compared, or 0 when the run cannot be rebuilt (bad). */
static int repack_run(const struct cap *c, size_t a, size_t last)
{
    const struct pkt_head *h0 = &c->fp[a].d.h;
    struct frag_msg q[512];
    struct frag_cursor cur = {0, 0};
    size_t n = 0, i;
    int16_t idx0 = c->fp[a].d.frags[0].index;
    int compared = 0;
    unsigned char out[PKT_MAX_DATA_DATAGRAM];

    /* The message in progress when the run starts (the last one its
     * originator started before), then those that start inside it. */
    if (idx0 != 1 && idx0 != -1) {
        size_t found = c->nm;
        for (i = 0; i < c->nm; i++)
            if (c->m[i].orig == h0->originator && c->m[i].start < a)
                found = i;
        if (found == c->nm)
            return 0;   /* its start is before the capture */
        add_msg(q, &n, &c->m[found]);
        cur.off = (size_t)((idx0 < 0 ? -idx0 : idx0) - 1) * PKT_MAX_PAYLOAD;
    }
    for (i = 0; i < c->nm && n < 512; i++)
        if (c->m[i].orig == h0->originator && c->m[i].start >= a &&
            c->m[i].start <= last)
            add_msg(q, &n, &c->m[i]);
    for (i = a; i <= last; i++) {
        const struct fp *p = &c->fp[i];
        struct pkt_data d;
        int k;
        if (p->d.h.originator != h0->originator)
            continue;
        if (p->bad)
            return compared;
        memset(&d, 0, sizeof d);
        d.h = p->d.h;
        k = frag_pack(q, n, &cur, &d);
        ck_assert_msg(k == (int)p->d.nfrags, "%s P %d: %d fragments packed",
                      c->f.path, p->r->num, k);
        for (int j = 0; j < k; j++)
            ck_assert_msg(d.frags[j].index == p->d.frags[j].index &&
                              d.frags[j].len == p->d.frags[j].len &&
                              memcmp(d.frags[j].bytes, p->d.frags[j].bytes,
                                     d.frags[j].len) == 0,
                          "%s P %d: fragment %d", c->f.path, p->r->num, j);
        ck_assert_uint_eq(d.h.type, p->d.h.type);
        ck_assert_int_eq(pkt_data_encode(&d, PKT_ORDER_LE, out, sizeof out),
                         (int)p->r->len);
        /* Bytes differ only in the padding before descriptors. */
        for (unsigned j = 0; j < d.nfrags; j++) {
            size_t at = (size_t)(p->d.frags[j].bytes - p->r->data);
            ck_assert_int_eq(memcmp(out + at, p->r->data + at,
                                    p->d.frags[j].len), 0);
            if (j > 0)
                ck_assert_int_eq(memcmp(out + at - 4, p->r->data + at - 4, 4),
                                 0);
        }
        ck_assert_int_eq(memcmp(out, p->r->data, PKT_HEADER_LEN), 0);
        compared++;
    }
    /* Whatever is left is the part of a message the next run continues. */
    ck_assert_msg(cur.msg == n || (cur.msg == n - 1 && cur.off > 0),
                  "%s P %d: packed too little", c->f.path, c->fp[a].r->num);
    return compared;
}

START_TEST(repacking)
{
    struct cap c;
    char *done;
    int packets = 0;

    ck_assert_int_eq(load(&c, (size_t)_i), 0);
    done = calloc(c.nfp + 1, 1);
    for (size_t a = 0; a < c.nfp; a++) {
        size_t last;
        if (done[a])
            continue;
        last = run_end(&c, a);
        for (size_t i = a; i <= last; i++)
            if (c.fp[i].d.h.originator == c.fp[a].d.h.originator)
                done[i] = 1;
        packets += repack_run(&c, a, last);
    }
    ck_assert_int_gt(packets, 0);
    free(done);
    unload(&c);
}
END_TEST

/* ---- hand-made ---------------------------------------------------------- */

/* A message of `len` bytes (>= 48) with type word `type`, little-endian. */
static unsigned char *make_msg(size_t len, uint32_t type, unsigned char fill)
{
    unsigned char *b = malloc(len);
    struct pkt_msg m;

    memset(&m, 0, sizeof m);
    m.type = type;
    memcpy(m.sender, "#c#n1", 5);
    m.data_len = (int32_t)(len - PKT_MSG_HEADER_LEN);
    memset(b, fill, len);
    m.data = b + PKT_MSG_HEADER_LEN;
    ck_assert_int_eq(pkt_msg_encode(&m, PKT_ORDER_LE, b, len), (int)len);
    return b;
}

START_TEST(service_map)
{
    ck_assert_uint_eq(frag_service_of(0x1), PKT_RELIABLE);
    ck_assert_uint_eq(frag_service_of(0x2), PKT_RELIABLE);
    ck_assert_uint_eq(frag_service_of(0x4), PKT_FIFO);
    ck_assert_uint_eq(frag_service_of(0x8), PKT_AGREED);
    ck_assert_uint_eq(frag_service_of(0x10), PKT_AGREED);
    ck_assert_uint_eq(frag_service_of(0x20), PKT_SAFE);
    ck_assert_uint_eq(frag_service_of(0x10000), PKT_AGREED);   /* JOIN */
    ck_assert_uint_eq(frag_service_of(0x20000), PKT_AGREED);   /* LEAVE */
    ck_assert_uint_eq(frag_service_of(0x40000), PKT_AGREED);   /* KILL */
    ck_assert_uint_eq(frag_service_of(0x80010), PKT_AGREED);   /* GROUPS */
    ck_assert_uint_eq(frag_service_of(0x24), 0);
    ck_assert_uint_eq(frag_service_of(0x1000), 0);
    ck_assert(frag_services_mix(PKT_FIFO, PKT_AGREED));
    ck_assert(frag_services_mix(PKT_SAFE, PKT_SAFE));
    ck_assert(!frag_services_mix(PKT_SAFE, PKT_AGREED));
    ck_assert(!frag_services_mix(PKT_RELIABLE, PKT_FIFO));
    ck_assert_uint_eq(frag_count(48), 1);
    ck_assert_uint_eq(frag_count(1432), 1);
    ck_assert_uint_eq(frag_count(1433), 2);
    ck_assert_uint_eq(frag_count(100080), 70);
}
END_TEST

START_TEST(packing_rules)
{
    static const struct {
        size_t len;
        uint32_t svc;
    } in[] = {{100, PKT_SAFE}, {100, PKT_SAFE}, {100, PKT_RELIABLE},
              {100, PKT_FIFO}, {100, PKT_AGREED}, {2000, PKT_AGREED},
              {100, PKT_FIFO}, {1432, PKT_RELIABLE}, {1433, PKT_RELIABLE}};
    static const struct {
        uint32_t svc;
        int n;
        int16_t idx0;
        uint16_t len0;
    } want[] = {{PKT_SAFE, 2, -1, 100},     {PKT_RELIABLE, 1, -1, 100},
                {PKT_FIFO, 2, -1, 100},     {PKT_AGREED, 1, 1, 1432},
                {PKT_AGREED, 2, -2, 568},   {PKT_RELIABLE, 1, -1, 1432},
                {PKT_RELIABLE, 1, 1, 1432}, {PKT_RELIABLE, 1, -2, 1}};
    struct frag_msg q[9];
    struct frag_cursor cur = {0, 0};
    struct pkt_data d;
    unsigned char out[PKT_MAX_DATA_DATAGRAM];

    for (int i = 0; i < 9; i++) {
        q[i].len = in[i].len;
        q[i].service = in[i].svc;
        q[i].bytes = make_msg(in[i].len, 0x2, (unsigned char)i);
    }
    memset(&d, 0, sizeof d);
    d.h.type = PKT_ROUTED;   /* kept */
    for (int p = 0; p < 8; p++) {
        ck_assert_int_eq(frag_pack(q, 9, &cur, &d), want[p].n);
        ck_assert_uint_eq(d.h.type, want[p].svc | PKT_ROUTED);
        ck_assert_int_eq(d.frags[0].index, want[p].idx0);
        ck_assert_uint_eq(d.frags[0].len, want[p].len0);
        for (unsigned k = 1; k < d.nfrags; k++)
            ck_assert_int_eq(d.frags[k].index, -1);
        ck_assert_int_gt(pkt_data_encode(&d, PKT_ORDER_LE, out, sizeof out),
                         0);
    }
    ck_assert_int_eq(frag_pack(q, 9, &cur, &d), 0);
    ck_assert_uint_eq(cur.msg, 9);
    for (int i = 0; i < 9; i++)
        free((void *)q[i].bytes);
}
END_TEST

/* 27 messages of 48 bytes fill a packet exactly up to 1400 bytes; a 28th
 * (1452) does not fit. Messages that break the rules are refused. */
START_TEST(packing_limits)
{
    struct frag_msg q[30];
    struct frag_cursor cur = {0, 0};
    struct pkt_data d;
    unsigned char *m = make_msg(48, 0x4, 0);
    unsigned char out[PKT_MAX_DATA_DATAGRAM];

    for (int i = 0; i < 30; i++) {
        q[i].bytes = m;
        q[i].len = 48;
        q[i].service = PKT_FIFO;
    }
    memset(&d, 0, sizeof d);
    ck_assert_int_eq(frag_pack(q, 30, &cur, &d), PKT_MAX_FRAGS);
    ck_assert_int_eq(pkt_data_encode(&d, PKT_ORDER_LE, out, sizeof out),
                     40 + 48 + 26 * 52);
    ck_assert_int_eq(frag_pack(q, 30, &cur, &d), 3);
    ck_assert_int_eq(frag_pack(q, 30, &cur, &d), 0);
    /* A bad message stops the packet before it, then is reported. */
    q[1].service = 0;
    cur.msg = 0;
    ck_assert_int_eq(frag_pack(q, 30, &cur, &d), 1);
    ck_assert_int_eq(frag_pack(q, 30, &cur, &d), PKT_EINVAL);
    ck_assert_uint_eq(cur.msg, 1);
    q[1].service = PKT_FIFO;
    q[1].len = 47;
    ck_assert_int_eq(frag_pack(q, 30, &cur, &d), PKT_EINVAL);
    q[1].len = 48;
    cur.off = 7;
    ck_assert_int_eq(frag_pack(q, 30, &cur, &d), PKT_EINVAL);
    free(m);
}
END_TEST

/* The largest message (100 fragments) packed, then reassembled. */
START_TEST(largest_message_round_trip)
{
    size_t len = PKT_MAX_MSG_LEN;
    unsigned char *m = make_msg(len, 0x20, 'x');
    struct frag_msg q = {m, len, PKT_SAFE};
    struct frag_cursor cur = {0, 0};
    struct frag_reasm *ra = malloc(sizeof *ra);
    struct pkt_data d;
    struct frag_done done;
    int n = 0, rc = 0;

    frag_reasm_init(ra);
    memset(&d, 0, sizeof d);
    while (frag_pack(&q, 1, &cur, &d) > 0) {
        n++;
        ck_assert_int_eq(d.frags[0].index, n < 100 ? n : -100);
        rc = frag_reasm_add(ra, 9, &d.frags[0], &done);
        ck_assert_int_eq(rc, n < 100 ? 0 : 1);
        ck_assert_int_eq(frag_reasm_pending(ra, 9), n < 100);
    }
    ck_assert_int_eq(n, 100);
    ck_assert_uint_eq(done.len, len);
    ck_assert_uint_eq(done.nfrags, 100);
    ck_assert_int_eq(memcmp(done.bytes, m, len), 0);
    ck_assert_int_eq(done.msg.data_len, (int)(len - 48));
    /* One byte more does not fit in 100 fragments. */
    q.len = len + 1;
    cur.msg = 0;
    ck_assert_int_eq(frag_pack(&q, 1, &cur, &d), PKT_EINVAL);
    frag_reasm_fini(ra);
    free(ra);
    free(m);
}
END_TEST

static struct pkt_frag fr(int16_t index, const unsigned char *b, size_t len)
{
    struct pkt_frag f;
    f.index = index;
    f.len = (uint16_t)len;
    f.bytes = b;
    return f;
}

START_TEST(reassembly_violations)
{
    unsigned char *m = make_msg(3000, 0x10, 'y');   /* 3 fragments */
    struct frag_reasm *ra = malloc(sizeof *ra);
    struct frag_done done;
    struct pkt_frag f1 = fr(1, m, 1432), f2 = fr(2, m + 1432, 1432),
                    f3 = fr(-3, m + 2864, 136);

    frag_reasm_init(ra);
    /* A continuation with nothing in progress. */
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f2, &done), FRAG_EINDEX);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f3, &done), FRAG_EINDEX);
    /* Skipping a fragment; the partial message is dropped. */
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f3, &done), FRAG_EINDEX);
    ck_assert(!frag_reasm_pending(ra, 1));
    /* A new message while one is in progress. */
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), FRAG_EINDEX);
    /* Originators are independent. */
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 2, &f1, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f2, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 2, &f2, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 2, &f3, &done), 1);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f3, &done), 1);
    ck_assert_int_eq(memcmp(done.bytes, m, 3000), 0);
    /* A last fragment that leaves the message short, or overflows it. */
    f3.len = 135;
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f2, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f3, &done), FRAG_EMSG);
    f3.len = 137;
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f2, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f3, &done), FRAG_EMSG);
    /* A middle fragment that completes it: nothing left for the last. */
    f2.len = 1568;
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f2, &done), FRAG_EMSG);
    f2.len = 1432;
    /* A single fragment whose header does not announce its length; a
     * first fragment announcing no more than it holds. */
    f1.index = -1;
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), FRAG_EMSG);
    f1 = fr(1, m, 200);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), 0);
    f1 = fr(-1, m, 3000);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), FRAG_EINDEX);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), 1);
    ck_assert_uint_eq(done.nfrags, 1);
    ck_assert_ptr_eq(done.bytes, m);
    f1 = fr(1, m, 3000);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), FRAG_EMSG);
    /* Drop and reset. */
    f1 = fr(1, m, 1432);
    ck_assert_int_eq(frag_reasm_add(ra, 1, &f1, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 2, &f1, &done), 0);
    frag_reasm_drop(ra, 1);
    ck_assert(!frag_reasm_pending(ra, 1));
    ck_assert(frag_reasm_pending(ra, 2));
    frag_reasm_reset(ra);
    ck_assert(!frag_reasm_pending(ra, 2));
    ck_assert_int_eq(frag_reasm_add(ra, 2, &f2, &done), FRAG_EINDEX);
    /* More originators in progress than a configuration holds. */
    for (uint32_t id = 100; id < 100 + PKT_MAX_MEMBERS; id++)
        ck_assert_int_eq(frag_reasm_add(ra, id, &f1, &done), 0);
    ck_assert_int_eq(frag_reasm_add(ra, 7, &f1, &done), FRAG_EFULL);
    frag_reasm_drop(ra, 100);
    ck_assert_int_eq(frag_reasm_add(ra, 7, &f1, &done), 0);
    frag_reasm_fini(ra);
    free(ra);
    free(m);
}
END_TEST

static Suite *frag_suite(void)
{
    Suite *s = suite_create("frag");
    TCase *tc = tcase_create("vectors");

    tcase_set_timeout(tc, 120);
    if (nfiles > 0) {
        tcase_add_loop_test(tc, reassembly, 0, (int)nfiles);
        tcase_add_test(tc, steady_traffic_messages);
        tcase_add_loop_test(tc, repacking, 0, (int)nfiles);
    }
    suite_add_tcase(s, tc);
    tc = tcase_create("rules");
    tcase_add_test(tc, service_map);
    tcase_add_test(tc, packing_rules);
    tcase_add_test(tc, packing_limits);
    tcase_add_test(tc, largest_message_round_trip);
    tcase_add_test(tc, reassembly_violations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc;

    files = rv_list(&nfiles);
    rc = ck_run_suite(frag_suite());
    rv_list_free(files, nfiles);
    return rc;
}
