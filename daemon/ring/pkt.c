/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * pkt: see pkt.h. Every read goes through rd_* helpers that check the
 * remaining length first, and every write through wr_* helpers that check
 * the capacity; integers are assembled byte by byte in the sender's (or
 * the requested) order, so nothing depends on alignment or on the host.
 */
#include "config.h"

#include "pkt.h"

#include <string.h>

#include "pkt_int.h"

/* ---- byte order --------------------------------------------------------- */

enum pkt_order pkt_host_order(void)
{
    const uint32_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first ? PKT_ORDER_LE : PKT_ORDER_BE;
}

int32_t pkt_i32s_get(const struct pkt_i32s *v, uint32_t i)
{
    return (int32_t)pkt_ld32(v->bytes + 4 * (size_t)i, pkt_resolve(v->order));
}

struct pkt_i32s pkt_i32s_host(const int32_t *a, uint32_t n)
{
    struct pkt_i32s v;
    v.bytes = (const unsigned char *)a;
    v.n = n;
    v.order = pkt_host_order();
    return v;
}

/* A bounded reader: `ok` drops to 0 at the first read past the end, after
 * which every read returns 0 and nothing is touched. */
struct rd {
    const unsigned char *p;
    size_t len;
    size_t off;
    enum pkt_order o;
    int ok;
};

static void rd_init(struct rd *r, const unsigned char *p, size_t len,
                    size_t off, enum pkt_order o)
{
    r->p = p;
    r->len = len;
    r->off = off;
    r->o = o;
    r->ok = off <= len;
}

static int rd_has(struct rd *r, size_t n)
{
    if (!r->ok || r->len - r->off < n)
        r->ok = 0;
    return r->ok;
}

static void rd_skip(struct rd *r, size_t n)
{
    if (rd_has(r, n))
        r->off += n;
}

static uint32_t rd32(struct rd *r)
{
    uint32_t v;
    if (!rd_has(r, 4))
        return 0;
    v = pkt_ld32(r->p + r->off, r->o);
    r->off += 4;
    return v;
}

static uint16_t rd16(struct rd *r)
{
    uint16_t v;
    if (!rd_has(r, 2))
        return 0;
    v = pkt_ld16(r->p + r->off, r->o);
    r->off += 2;
    return v;
}

/* A bounded writer, same idea: `ok` drops at the first write past cap. */
struct wr {
    unsigned char *p;
    size_t cap;
    size_t off;
    enum pkt_order o;
    int ok;
};

static void wr_init(struct wr *w, unsigned char *p, size_t cap,
                    enum pkt_order o)
{
    w->p = p;
    w->cap = cap;
    w->off = 0;
    w->o = pkt_resolve(o);
    w->ok = 1;
}

static int wr_has(struct wr *w, size_t n)
{
    if (!w->ok || w->cap - w->off < n)
        w->ok = 0;
    return w->ok;
}

static void wr32(struct wr *w, uint32_t v)
{
    if (!wr_has(w, 4))
        return;
    pkt_st32(w->p + w->off, v, w->o);
    w->off += 4;
}

static void wr16(struct wr *w, uint16_t v)
{
    if (!wr_has(w, 2))
        return;
    pkt_st16(w->p + w->off, v, w->o);
    w->off += 2;
}

static void wr_bytes(struct wr *w, const void *src, size_t n)
{
    if (!wr_has(w, n))
        return;
    if (n > 0)
        memcpy(w->p + w->off, src, n);
    w->off += n;
}

static void wr_zero(struct wr *w, size_t n)
{
    if (!wr_has(w, n))
        return;
    memset(w->p + w->off, 0, n);
    w->off += n;
}

/* The length written, or PKT_ENOSPC if anything did not fit. */
static int wr_finish(struct wr *w)
{
    return w->ok ? (int)w->off : PKT_ENOSPC;
}

/* ---- names -------------------------------------------------------------- */

const char *pkt_strerror(int code)
{
    switch (code) {
    case PKT_OK: return "ok";
    case PKT_ESHORT: return "datagram shorter than its fixed part";
    case PKT_ELENGTH: return "declared length does not match the datagram";
    case PKT_EORDER: return "byte-order marker only half set";
    case PKT_ETYPE: return "unknown or contradictory type word";
    case PKT_ECONTROL: return "monitor control packet";
    case PKT_ERANGE: return "count or field out of range";
    case PKT_EFRAG: return "invalid fragment layout";
    case PKT_ENOSPC: return "output buffer too small";
    case PKT_EINVAL: return "struct cannot be encoded";
    }
    return "unknown pkt error";
}

const char *pkt_kind_name(enum pkt_kind kind)
{
    switch (kind) {
    case PKT_KIND_DATA: return "DATA";
    case PKT_KIND_TOKEN: return "TOKEN";
    case PKT_KIND_HURRY: return "HURRY";
    case PKT_KIND_ALIVE: return "ALIVE";
    case PKT_KIND_JOIN: return "JOIN";
    case PKT_KIND_REFER: return "REFER";
    case PKT_KIND_FORM1: return "FORM1";
    case PKT_KIND_FORM2: return "FORM2";
    }
    return "?";
}

/* ---- type word ---------------------------------------------------------- */

static int one_bit(uint32_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* The kind a type word (host order, marker cleared) stands for, or
 * PKT_ETYPE / PKT_ECONTROL. */
static int kind_of_type(uint32_t type)
{
    const uint32_t memb = PKT_HURRY | PKT_ALIVE | PKT_JOIN | PKT_REFER;

    if (type & PKT_CONTROL_MASK)
        return PKT_ECONTROL;
    if (type == PKT_FORM1)
        return PKT_KIND_FORM1;
    if (type == PKT_FORM2)
        return PKT_KIND_FORM2;
    if (type == PKT_HURRY)
        return PKT_KIND_HURRY;
    if (type == PKT_ALIVE)
        return PKT_KIND_ALIVE;
    if (type == PKT_JOIN)
        return PKT_KIND_JOIN;
    if (type == PKT_REFER)
        return PKT_KIND_REFER;
    if ((type & ~(PKT_ROUND_MASK | PKT_RESEND_MASK)) == 0)
        return PKT_KIND_TOKEN;
    if ((type & memb) == 0 && one_bit(type & PKT_SERVICE_MASK) &&
        (type & ~(PKT_SERVICE_MASK | PKT_ROUTED)) == 0)
        return PKT_KIND_DATA;
    return PKT_ETYPE;
}

/* Byte order from the marker bits, which are symmetric under reversal:
 * both set = little-endian, neither = big-endian. */
static int order_of(const unsigned char *b, enum pkt_order *o)
{
    int lo = (b[0] & 0x80) != 0, hi = (b[3] & 0x80) != 0;
    if (lo != hi)
        return PKT_EORDER;
    *o = lo ? PKT_ORDER_LE : PKT_ORDER_BE;
    return 0;
}

int pkt_classify(const unsigned char *buf, size_t len, enum pkt_kind *kind,
                 enum pkt_order *order)
{
    enum pkt_order o;
    int k;

    if (buf == NULL || len < 4)
        return PKT_ESHORT;
    if (order_of(buf, &o) < 0)
        return PKT_EORDER;
    k = kind_of_type(pkt_ld32(buf, o) & ~PKT_ENDIAN_MARK);
    if (k < 0)
        return k;
    *kind = (enum pkt_kind)k;
    if (order != NULL)
        *order = o;
    return 0;
}

/* Classify and insist on one of two kinds (b may equal a). */
static int expect_kind(const unsigned char *buf, size_t len,
                       enum pkt_kind a, enum pkt_kind b, enum pkt_order *o)
{
    enum pkt_kind k;
    int rc = pkt_classify(buf, len, &k, o);
    if (rc < 0)
        return rc;
    if (k != a && k != b)
        return PKT_ETYPE;
    if (len < PKT_HEADER_LEN)
        return PKT_ESHORT;
    return 0;
}

/* ---- headers ------------------------------------------------------------ */

static void rd_head(struct rd *r, struct pkt_head *h)
{
    h->type = rd32(r) & ~PKT_ENDIAN_MARK;
    h->transmitter = rd32(r);
    h->originator = rd32(r);
    h->mid.id = rd32(r);
    h->mid.time = (int32_t)rd32(r);
    h->seq = (int32_t)rd32(r);
    h->round = (int32_t)rd32(r);
    h->hash = rd32(r);
    h->payload_len = rd16(r);
    h->pad = rd16(r);
    h->frag_index = (int16_t)rd16(r);
    h->frag_len = rd16(r);
}

static uint32_t type_word(uint32_t type, enum pkt_order o)
{
    type &= ~PKT_ENDIAN_MARK;
    return o == PKT_ORDER_LE ? type | PKT_ENDIAN_MARK : type;
}

static void wr_head(struct wr *w, const struct pkt_head *h, uint16_t plen,
                    int16_t fidx, uint16_t flen)
{
    wr32(w, type_word(h->type, w->o));
    wr32(w, h->transmitter);
    wr32(w, h->originator);
    wr32(w, h->mid.id);
    wr32(w, (uint32_t)h->mid.time);
    wr32(w, (uint32_t)h->seq);
    wr32(w, (uint32_t)h->round);
    wr32(w, h->hash);
    wr16(w, plen);
    wr16(w, h->pad);
    wr16(w, (uint16_t)fidx);
    wr16(w, flen);
}

static void rd_token_head(struct rd *r, struct pkt_token_head *h)
{
    h->type = rd32(r) & ~PKT_ENDIAN_MARK;
    h->transmitter = rd32(r);
    h->last = rd32(r);
    h->mid.id = rd32(r);
    h->mid.time = (int32_t)rd32(r);
    h->seq = (int32_t)rd32(r);
    h->aru = (int32_t)rd32(r);
    h->aru_setter = rd32(r);
    h->flow_control = (int16_t)rd16(r);
    h->rtr_len = rd16(r);
    h->hash = rd32(r);
}

static void wr_token_head(struct wr *w, const struct pkt_token_head *h,
                          uint16_t rtr_len)
{
    wr32(w, type_word(h->type, w->o));
    wr32(w, h->transmitter);
    wr32(w, h->last);
    wr32(w, h->mid.id);
    wr32(w, (uint32_t)h->mid.time);
    wr32(w, (uint32_t)h->seq);
    wr32(w, (uint32_t)h->aru);
    wr32(w, h->aru_setter);
    wr16(w, (uint16_t)h->flow_control);
    wr16(w, rtr_len);
    wr32(w, h->hash);
}

/* ---- data packets ------------------------------------------------------- */

/* The rules for fragment k (0 = the one in the header) of a packet. */
static int frag_ok(unsigned k, int16_t index, uint16_t len)
{
    if (index == 0 || index < -PKT_MAX_MSG_FRAGS ||
        index >= PKT_MAX_MSG_FRAGS || len == 0)
        return 0;
    if (k > 0 && index != -1)
        return 0;   /* only whole single-packet messages are appended */
    if ((index == 1 || index == -1) && len < PKT_MSG_HEADER_LEN)
        return 0;   /* a message starts with its 48-byte header */
    return 1;
}

static size_t align4(size_t off)
{
    return (off + 3) & ~(size_t)3;
}

int pkt_data_decode(const unsigned char *buf, size_t len, struct pkt_data *d,
                    enum pkt_order *order)
{
    enum pkt_order o;
    struct rd r;
    size_t off, end;
    int16_t idx;
    uint16_t flen;
    int rc = expect_kind(buf, len, PKT_KIND_DATA, PKT_KIND_DATA, &o);

    if (rc < 0)
        return rc;
    memset(d, 0, sizeof *d);
    rd_init(&r, buf, len, 0, o);
    rd_head(&r, &d->h);
    if (d->h.payload_len > PKT_MAX_PAYLOAD ||
        len != PKT_HEADER_LEN + (size_t)d->h.payload_len)
        return PKT_ELENGTH;
    end = len;
    off = PKT_HEADER_LEN;
    idx = d->h.frag_index;
    flen = d->h.frag_len;
    for (;;) {
        if (d->nfrags == PKT_MAX_FRAGS || !frag_ok(d->nfrags, idx, flen) ||
            end - off < flen)
            return PKT_EFRAG;
        d->frags[d->nfrags].index = idx;
        d->frags[d->nfrags].len = flen;
        d->frags[d->nfrags].bytes = buf + off;
        d->nfrags++;
        off += flen;
        if (off == end)
            break;
        off = align4(off);
        if (off > end || end - off < 4)
            return PKT_EFRAG;   /* bytes after the last fragment */
        idx = (int16_t)pkt_ld16(buf + off, o);
        flen = pkt_ld16(buf + off + 2, o);
        off += 4;
    }
    if (order != NULL)
        *order = o;
    return 0;
}

/* Payload length of a data packet, or PKT_EINVAL if it breaks a rule. */
static int data_layout(const struct pkt_data *d)
{
    size_t off = 0;
    unsigned k;

    if (kind_of_type(d->h.type & ~PKT_ENDIAN_MARK) != PKT_KIND_DATA ||
        d->nfrags == 0 || d->nfrags > PKT_MAX_FRAGS)
        return PKT_EINVAL;
    for (k = 0; k < d->nfrags; k++) {
        const struct pkt_frag *f = &d->frags[k];
        if (!frag_ok(k, f->index, f->len) || f->bytes == NULL)
            return PKT_EINVAL;
        if (k > 0)
            off = align4(off) + 4;
        off += f->len;
        if (off > PKT_MAX_PAYLOAD)
            return PKT_EINVAL;
    }
    return (int)off;
}

int pkt_data_encode(const struct pkt_data *d, enum pkt_order order,
                    unsigned char *buf, size_t cap)
{
    struct wr w;
    unsigned k;
    int plen = data_layout(d);

    if (plen < 0)
        return plen;
    wr_init(&w, buf, cap, order);
    wr_head(&w, &d->h, (uint16_t)plen, d->frags[0].index, d->frags[0].len);
    for (k = 0; k < d->nfrags; k++) {
        const struct pkt_frag *f = &d->frags[k];
        if (k > 0) {
            /* Upstream leaves stale bytes here (README D8); we clear. */
            wr_zero(&w, align4(w.off) - w.off);
            wr16(&w, (uint16_t)f->index);
            wr16(&w, f->len);
        }
        wr_bytes(&w, f->bytes, f->len);
    }
    return wr_finish(&w);
}

/* ---- tokens ------------------------------------------------------------- */

/* Read one block at l->bytes + *off without trusting anything. */
int pkt_rtr_next(const struct pkt_rtr_list *l, size_t *off,
                 struct pkt_rtr *blk)
{
    struct rd r;
    enum pkt_order o = pkt_resolve(l->order);

    if (l->bytes == NULL || *off >= l->len)
        return 0;
    rd_init(&r, l->bytes, l->len, *off, o);
    blk->ring.id = rd32(&r);
    blk->ring.time = (int32_t)rd32(&r);
    blk->requester = rd32(&r);
    blk->seg_index = (int16_t)rd16(&r);
    blk->count = (int16_t)rd16(&r);
    if (!r.ok || blk->count < 0 || !rd_has(&r, 4 * (size_t)blk->count))
        return 0;
    blk->seqs.bytes = l->bytes + r.off;
    blk->seqs.n = (uint32_t)blk->count;
    blk->seqs.order = o;
    *off = r.off + 4 * (size_t)blk->count;
    return 1;
}

/* Number of blocks when they fill the list exactly and are in range, else
 * a negative code. */
static int rtr_check(const struct pkt_rtr_list *l)
{
    size_t off = 0;
    struct pkt_rtr b;
    int n = 0;

    while (pkt_rtr_next(l, &off, &b)) {
        if (b.seg_index < PKT_SEG_SEVERAL || b.seg_index >= PKT_MAX_SEGMENTS)
            return PKT_ERANGE;
        n++;
    }
    return off == l->len ? n : PKT_ELENGTH;
}

int pkt_rtr_put(unsigned char *buf, size_t cap, size_t *len,
                enum pkt_order order, const struct pkt_rtr *blk)
{
    struct wr w;
    uint32_t i;

    if (blk->count < 0 || (uint32_t)blk->count != blk->seqs.n ||
        (blk->count > 0 && blk->seqs.bytes == NULL) || *len > cap)
        return PKT_EINVAL;
    wr_init(&w, buf + *len, cap - *len, order);
    if (!wr_has(&w, PKT_RTR_BLOCK_LEN + 4 * (size_t)blk->count))
        return PKT_ENOSPC;
    wr32(&w, blk->ring.id);
    wr32(&w, (uint32_t)blk->ring.time);
    wr32(&w, blk->requester);
    wr16(&w, (uint16_t)blk->seg_index);
    wr16(&w, (uint16_t)blk->count);
    for (i = 0; i < blk->seqs.n; i++)
        wr32(&w, (uint32_t)pkt_i32s_get(&blk->seqs, i));
    *len += w.off;
    return 0;
}

int pkt_token_decode(const unsigned char *buf, size_t len,
                     struct pkt_token *t, enum pkt_order *order)
{
    enum pkt_order o;
    struct rd r;
    int n, rc = expect_kind(buf, len, PKT_KIND_TOKEN, PKT_KIND_TOKEN, &o);

    if (rc < 0)
        return rc;
    memset(t, 0, sizeof *t);
    rd_init(&r, buf, len, 0, o);
    rd_token_head(&r, &t->h);
    if (len > PKT_MAX_DATAGRAM ||
        len != PKT_HEADER_LEN + (size_t)t->h.rtr_len)
        return PKT_ELENGTH;
    t->rtr.bytes = buf + PKT_HEADER_LEN;
    t->rtr.len = t->h.rtr_len;
    t->rtr.order = o;
    n = rtr_check(&t->rtr);
    if (n < 0)
        return n;
    t->rtr.nblocks = (unsigned)n;
    if (order != NULL)
        *order = o;
    return 0;
}

int pkt_token_encode(const struct pkt_token *t, enum pkt_order order,
                     unsigned char *buf, size_t cap)
{
    struct wr w;
    struct pkt_rtr b;
    size_t off = 0, body;
    int rc;

    if (kind_of_type(t->h.type & ~PKT_ENDIAN_MARK) != PKT_KIND_TOKEN)
        return PKT_EINVAL;
    if (t->rtr.len > 0 && rtr_check(&t->rtr) < 0)
        return PKT_EINVAL;
    if (PKT_HEADER_LEN + (size_t)t->rtr.len > PKT_MAX_DATAGRAM)
        return PKT_EINVAL;
    wr_init(&w, buf, cap, order);
    wr_token_head(&w, &t->h, t->rtr.len);
    if (!w.ok)
        return PKT_ENOSPC;
    body = w.off;
    while (t->rtr.len > 0 && pkt_rtr_next(&t->rtr, &off, &b)) {
        rc = pkt_rtr_put(buf, cap, &body, w.o, &b);
        if (rc < 0)
            return rc;
    }
    return (int)body;
}

/* ---- HURRY, REFER, ALIVE, JOIN ------------------------------------------ */

static int refer_kind_ok(const struct pkt_head *h)
{
    return pkt_refer_kind(h) >= PKT_REP_POTENTIAL &&
           pkt_refer_kind(h) <= PKT_REP_RING;
}

int pkt_head_decode(const unsigned char *buf, size_t len, struct pkt_head *h,
                    enum pkt_order *order)
{
    enum pkt_order o;
    struct rd r;
    int rc = expect_kind(buf, len, PKT_KIND_HURRY, PKT_KIND_REFER, &o);

    if (rc < 0)
        return rc;
    rd_init(&r, buf, len, 0, o);
    rd_head(&r, h);
    if (h->payload_len != 0 || len != PKT_HEADER_LEN)
        return PKT_ELENGTH;
    if (h->type == PKT_REFER && !refer_kind_ok(h))
        return PKT_ERANGE;
    if (order != NULL)
        *order = o;
    return 0;
}

int pkt_head_encode(const struct pkt_head *h, enum pkt_order order,
                    unsigned char *buf, size_t cap)
{
    struct wr w;
    int k = kind_of_type(h->type & ~PKT_ENDIAN_MARK);

    if ((k != PKT_KIND_HURRY && k != PKT_KIND_REFER) ||
        (k == PKT_KIND_REFER && !refer_kind_ok(h)))
        return PKT_EINVAL;
    wr_init(&w, buf, cap, order);
    wr_head(&w, h, 0, h->frag_index, h->frag_len);
    return wr_finish(&w);
}

/* Member list counts and, with `ids`, that many ids; ALIVE/JOIN carry
 * nmembers ids, FORM all 128 slots. */
static int rd_members(struct rd *r, struct pkt_members *m, int full)
{
    int i, n;

    m->nmembers = (int16_t)rd16(r);
    m->npending = (int16_t)rd16(r);
    if (!r->ok)
        return PKT_ESHORT;
    if (m->nmembers < 0 || m->npending < 0 ||
        m->nmembers + m->npending > PKT_MAX_MEMBERS)
        return PKT_ERANGE;
    n = full ? m->nmembers + m->npending : m->nmembers;
    for (i = 0; i < n; i++)
        m->ids[i] = rd32(r);
    if (full)
        rd_skip(r, 4 * (size_t)(PKT_MAX_MEMBERS - n));  /* stale: ignored */
    return r->ok ? 0 : PKT_ESHORT;
}

static int members_ok(const struct pkt_members *m)
{
    return m->nmembers >= 0 && m->npending >= 0 &&
           m->nmembers + m->npending <= PKT_MAX_MEMBERS;
}

static void wr_members(struct wr *w, const struct pkt_members *m, int full)
{
    int n = full ? m->nmembers + m->npending : m->nmembers;

    wr16(w, (uint16_t)m->nmembers);
    wr16(w, (uint16_t)m->npending);
    for (int i = 0; i < n; i++)
        wr32(w, m->ids[i]);
    if (full)
        wr_zero(w, 4 * (size_t)(PKT_MAX_MEMBERS - n));
}

static int rep_ok(const struct pkt_rep *p)
{
    return p->kind >= PKT_REP_POTENTIAL && p->kind <= PKT_REP_RING &&
           p->seg >= 0 && p->seg < PKT_MAX_SEGMENTS;
}

static int reps_ok(const struct pkt_reps *s)
{
    if (s->nreps < 0 || s->nreps > PKT_MAX_REPS || s->cursor < 0 ||
        s->cursor > s->nreps)
        return 0;
    for (int i = 0; i < s->nreps; i++)
        if (!rep_ok(&s->r[i]))
            return 0;
    return 1;
}

static int rd_reps(struct rd *r, struct pkt_reps *s, int full)
{
    int i;

    s->nreps = (int16_t)rd16(r);
    s->cursor = (int16_t)rd16(r);
    if (!r->ok)
        return PKT_ESHORT;
    if (s->nreps < 0 || s->nreps > PKT_MAX_REPS)
        return PKT_ERANGE;
    for (i = 0; i < s->nreps; i++) {
        s->r[i].id = rd32(r);
        s->r[i].kind = (int16_t)rd16(r);
        s->r[i].seg = (int16_t)rd16(r);
    }
    if (full)
        rd_skip(r, 8 * (size_t)(PKT_MAX_REPS - s->nreps));
    if (!r->ok)
        return PKT_ESHORT;
    return reps_ok(s) ? 0 : PKT_ERANGE;
}

static void wr_reps(struct wr *w, const struct pkt_reps *s, int full)
{
    wr16(w, (uint16_t)s->nreps);
    wr16(w, (uint16_t)s->cursor);
    for (int i = 0; i < s->nreps; i++) {
        wr32(w, s->r[i].id);
        wr16(w, (uint16_t)s->r[i].kind);
        wr16(w, (uint16_t)s->r[i].seg);
    }
    if (full)
        wr_zero(w, 8 * (size_t)(PKT_MAX_REPS - s->nreps));
}

int pkt_memb_decode(const unsigned char *buf, size_t len, struct pkt_memb *m,
                    enum pkt_order *order)
{
    enum pkt_order o;
    struct rd r;
    int rc = expect_kind(buf, len, PKT_KIND_ALIVE, PKT_KIND_JOIN, &o);

    if (rc < 0)
        return rc;
    memset(m, 0, sizeof *m);
    rd_init(&r, buf, len, 0, o);
    rd_head(&r, &m->h);
    if (len != PKT_HEADER_LEN + (size_t)m->h.payload_len)
        return PKT_ELENGTH;
    rc = rd_members(&r, &m->members, 0);
    if (rc == 0 && m->h.type == PKT_JOIN)
        rc = rd_reps(&r, &m->reps, 0);
    if (rc == PKT_ESHORT || (rc == 0 && r.off != len))
        return PKT_ELENGTH;   /* the payload is not exactly the lists */
    if (rc < 0)
        return rc;
    if (order != NULL)
        *order = o;
    return 0;
}

int pkt_memb_encode(const struct pkt_memb *m, enum pkt_order order,
                    unsigned char *buf, size_t cap)
{
    struct wr w;
    int k = kind_of_type(m->h.type & ~PKT_ENDIAN_MARK);
    size_t plen;

    if ((k != PKT_KIND_ALIVE && k != PKT_KIND_JOIN) || !members_ok(&m->members))
        return PKT_EINVAL;
    if (k == PKT_KIND_JOIN && !reps_ok(&m->reps))
        return PKT_EINVAL;
    plen = 4 + 4 * (size_t)m->members.nmembers;
    if (k == PKT_KIND_JOIN)
        plen += 4 + 8 * (size_t)m->reps.nreps;
    wr_init(&w, buf, cap, order);
    wr_head(&w, &m->h, (uint16_t)plen, m->h.frag_index, m->h.frag_len);
    wr_members(&w, &m->members, 0);
    if (k == PKT_KIND_JOIN)
        wr_reps(&w, &m->reps, 0);
    return wr_finish(&w);
}

/* ---- FORM1, FORM2 ------------------------------------------------------- */

static int rd_ring(struct rd *r, const unsigned char *buf, struct pkt_ring *g)
{
    int32_t nholes;
    uint32_t i;

    g->mid.id = rd32(r);
    g->mid.time = (int32_t)rd32(r);
    g->trans_time = (int32_t)rd32(r);
    g->aru = (int32_t)rd32(r);
    g->highest_seq = (int32_t)rd32(r);
    nholes = (int32_t)rd32(r);
    g->ncommit = rd16(r);
    g->ntrans = rd16(r);
    if (!r->ok)
        return PKT_ELENGTH;
    if (nholes < 0 || g->ncommit > PKT_MAX_MEMBERS || g->ntrans > g->ncommit)
        return PKT_ERANGE;
    if (!rd_has(r, 4 * (size_t)nholes))
        return PKT_ELENGTH;
    g->holes.bytes = buf + r->off;
    g->holes.n = (uint32_t)nholes;
    g->holes.order = r->o;
    rd_skip(r, 4 * (size_t)nholes);
    for (i = 0; i < g->ncommit; i++)
        g->commit[i] = rd32(r);
    return r->ok ? 0 : PKT_ELENGTH;
}

int pkt_form_decode(const unsigned char *buf, size_t len, struct pkt_form *f,
                    enum pkt_order *order)
{
    enum pkt_order o;
    struct rd r;
    int i, rc = expect_kind(buf, len, PKT_KIND_FORM1, PKT_KIND_FORM2, &o);

    if (rc < 0)
        return rc;
    memset(f, 0, sizeof *f);
    rd_init(&r, buf, len, 0, o);
    rd_token_head(&r, &f->h);
    if (len > PKT_MAX_DATAGRAM ||
        len != PKT_HEADER_LEN + (size_t)f->h.rtr_len)
        return PKT_ELENGTH;
    rc = rd_members(&r, &f->members, 1);
    if (rc == 0 && f->h.type == PKT_FORM1) {
        rc = rd_reps(&r, &f->reps, 1);
    } else if (rc == 0) {
        f->new_mid.id = rd32(&r);
        f->new_mid.time = (int32_t)rd32(&r);
    }
    f->nrings = (int32_t)rd32(&r);
    if (rc == PKT_ESHORT || !r.ok)
        return PKT_ELENGTH;
    if (rc < 0)
        return rc;
    if (f->nrings < 0 || f->nrings > PKT_MAX_RINGS)
        return PKT_ERANGE;
    for (i = 0; i < f->nrings; i++) {
        rc = rd_ring(&r, buf, &f->rings[i]);
        if (rc < 0)
            return rc;
    }
    if (r.off != len)
        return PKT_ELENGTH;
    if (order != NULL)
        *order = o;
    return 0;
}

static int ring_ok(const struct pkt_ring *g)
{
    return g->ncommit <= PKT_MAX_MEMBERS && g->ntrans <= g->ncommit &&
           g->holes.n <= INT32_MAX / 4 &&
           (g->holes.n == 0 || g->holes.bytes != NULL);
}

/* Body length of a FORM token, or PKT_EINVAL. */
static int form_layout(const struct pkt_form *f, int form1)
{
    size_t n = PKT_MEMBERS_FULL_LEN + (form1 ? PKT_REPS_FULL_LEN : 8) + 4;

    if (!members_ok(&f->members) || (form1 && !reps_ok(&f->reps)) ||
        f->nrings < 0 || f->nrings > PKT_MAX_RINGS)
        return PKT_EINVAL;
    for (int i = 0; i < f->nrings; i++) {
        const struct pkt_ring *g = &f->rings[i];
        if (!ring_ok(g))
            return PKT_EINVAL;
        n += PKT_RING_RECORD_LEN + 4 * ((size_t)g->holes.n + g->ncommit);
        if (n > PKT_MAX_DATAGRAM - PKT_HEADER_LEN)
            return PKT_EINVAL;
    }
    return (int)n;
}

int pkt_form_encode(const struct pkt_form *f, enum pkt_order order,
                    unsigned char *buf, size_t cap)
{
    struct wr w;
    int k = kind_of_type(f->h.type & ~PKT_ENDIAN_MARK);
    int body;

    if (k != PKT_KIND_FORM1 && k != PKT_KIND_FORM2)
        return PKT_EINVAL;
    body = form_layout(f, k == PKT_KIND_FORM1);
    if (body < 0)
        return body;
    wr_init(&w, buf, cap, order);
    wr_token_head(&w, &f->h, (uint16_t)body);
    wr_members(&w, &f->members, 1);
    if (k == PKT_KIND_FORM1) {
        wr_reps(&w, &f->reps, 1);
    } else {
        wr32(&w, f->new_mid.id);
        wr32(&w, (uint32_t)f->new_mid.time);
    }
    wr32(&w, (uint32_t)f->nrings);
    for (int i = 0; i < f->nrings; i++) {
        const struct pkt_ring *g = &f->rings[i];
        wr32(&w, g->mid.id);
        wr32(&w, (uint32_t)g->mid.time);
        wr32(&w, (uint32_t)g->trans_time);
        wr32(&w, (uint32_t)g->aru);
        wr32(&w, (uint32_t)g->highest_seq);
        wr32(&w, g->holes.n);
        wr16(&w, g->ncommit);
        wr16(&w, g->ntrans);
        for (uint32_t j = 0; j < g->holes.n && w.ok; j++)
            wr32(&w, (uint32_t)pkt_i32s_get(&g->holes, j));
        for (unsigned j = 0; j < g->ncommit; j++)
            wr32(&w, g->commit[j]);
    }
    return wr_finish(&w);
}

/* ---- any datagram ------------------------------------------------------- */

int pkt_decode(const unsigned char *buf, size_t len, struct pkt *out)
{
    enum pkt_kind k;
    int rc = pkt_classify(buf, len, &k, NULL);

    if (rc < 0)
        return rc;
    out->kind = k;
    switch (k) {
    case PKT_KIND_DATA:
        return pkt_data_decode(buf, len, &out->u.data, &out->order);
    case PKT_KIND_TOKEN:
        return pkt_token_decode(buf, len, &out->u.token, &out->order);
    case PKT_KIND_HURRY:
    case PKT_KIND_REFER:
        return pkt_head_decode(buf, len, &out->u.head, &out->order);
    case PKT_KIND_ALIVE:
    case PKT_KIND_JOIN:
        return pkt_memb_decode(buf, len, &out->u.memb, &out->order);
    case PKT_KIND_FORM1:
    case PKT_KIND_FORM2:
        return pkt_form_decode(buf, len, &out->u.form, &out->order);
    }
    return PKT_ETYPE;
}

int pkt_encode(const struct pkt *p, enum pkt_order order, unsigned char *buf,
               size_t cap)
{
    switch (p->kind) {
    case PKT_KIND_DATA:
        return pkt_data_encode(&p->u.data, order, buf, cap);
    case PKT_KIND_TOKEN:
        return pkt_token_encode(&p->u.token, order, buf, cap);
    case PKT_KIND_HURRY:
    case PKT_KIND_REFER:
        return pkt_head_encode(&p->u.head, order, buf, cap);
    case PKT_KIND_ALIVE:
    case PKT_KIND_JOIN:
        return pkt_memb_encode(&p->u.memb, order, buf, cap);
    case PKT_KIND_FORM1:
    case PKT_KIND_FORM2:
        return pkt_form_encode(&p->u.form, order, buf, cap);
    }
    return PKT_EINVAL;
}

/* ---- message header ----------------------------------------------------- */

size_t pkt_msg_len(const struct pkt_msg *m)
{
    size_t ng = m->num_groups > 0 ? (size_t)m->num_groups : 0;
    size_t dl = m->data_len > 0 ? (size_t)m->data_len : 0;
    return PKT_MSG_HEADER_LEN + PKT_GROUP_NAME * ng + dl;
}

static int msg_counts_ok(const struct pkt_msg *m)
{
    return m->num_groups >= 0 && m->num_groups <= PKT_MAX_MSG_GROUPS &&
           m->data_len >= 0 && m->data_len <= PKT_MAX_MSG_LEN &&
           pkt_msg_len(m) <= PKT_MAX_MSG_LEN;
}

int pkt_msg_head_decode(const unsigned char *buf, size_t len,
                        struct pkt_msg *m)
{
    struct rd r;

    if (buf == NULL || len < PKT_MSG_HEADER_LEN)
        return PKT_ESHORT;
    if (order_of(buf, &m->order) < 0)
        return PKT_EORDER;
    rd_init(&r, buf, len, 0, m->order);
    m->type = rd32(&r) & ~PKT_ENDIAN_MARK;
    memcpy(m->sender, buf + 4, PKT_GROUP_NAME);
    r.off += PKT_GROUP_NAME;
    m->num_groups = (int32_t)rd32(&r);
    memcpy(&m->hint, buf + r.off, 4);   /* raw, see pkt.h */
    r.off += 4;
    m->data_len = (int32_t)rd32(&r);
    m->groups = NULL;
    m->data = NULL;
    return msg_counts_ok(m) ? 0 : PKT_ERANGE;
}

int pkt_msg_decode(const unsigned char *buf, size_t len, struct pkt_msg *m)
{
    int rc = pkt_msg_head_decode(buf, len, m);

    if (rc < 0)
        return rc;
    if (len != pkt_msg_len(m))
        return PKT_ELENGTH;
    m->groups = m->num_groups > 0 ? buf + PKT_MSG_HEADER_LEN : NULL;
    m->data = m->data_len > 0 ? buf + PKT_MSG_HEADER_LEN +
                                    PKT_GROUP_NAME * (size_t)m->num_groups
                              : NULL;
    return 0;
}

int pkt_msg_encode(const struct pkt_msg *m, enum pkt_order order,
                   unsigned char *buf, size_t cap)
{
    struct wr w;

    if (!msg_counts_ok(m) || (m->num_groups > 0 && m->groups == NULL) ||
        (m->data_len > 0 && m->data == NULL))
        return PKT_EINVAL;
    wr_init(&w, buf, cap, order);
    wr32(&w, type_word(m->type, w.o));
    wr_bytes(&w, m->sender, PKT_GROUP_NAME);
    wr32(&w, (uint32_t)m->num_groups);
    wr_bytes(&w, &m->hint, 4);
    wr32(&w, (uint32_t)m->data_len);
    wr_bytes(&w, m->groups, PKT_GROUP_NAME * (size_t)m->num_groups);
    wr_bytes(&w, m->data, (size_t)m->data_len);
    return wr_finish(&w);
}
