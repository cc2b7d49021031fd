/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * frag: see frag.h.
 */
#include "config.h"

#include "frag.h"

#include <stdlib.h>
#include <string.h>

#include "internal/wire.h"

const char *frag_strerror(int code)
{
    switch (code) {
    case FRAG_EINDEX: return "fragment index does not continue the message";
    case FRAG_EMSG: return "reassembled message is not the one its header announces";
    case FRAG_ENOMEM: return "out of memory for a message buffer";
    case FRAG_EFULL: return "too many originators with partial messages";
    }
    return pkt_strerror(code);
}

/* ---- sending ------------------------------------------------------------ */

uint32_t frag_service_of(uint32_t msg_type)
{
    uint32_t reg = msg_type & REGULAR_MESS;

    if (reg & (reg - 1))
        return 0;   /* more than one service */
    switch (reg) {
    case UNRELIABLE_MESS:
    case RELIABLE_MESS: return PKT_RELIABLE;
    case FIFO_MESS: return PKT_FIFO;
    case CAUSAL_MESS:
    case AGREED_MESS: return PKT_AGREED;
    case SAFE_MESS: return PKT_SAFE;
    }
    if (msg_type & (SPW_JOIN_MESS | SPW_LEAVE_MESS | SPW_KILL_MESS))
        return PKT_AGREED;
    return 0;
}

int frag_services_mix(uint32_t a, uint32_t b)
{
    const uint32_t fa = PKT_FIFO | PKT_AGREED;
    return a == b || ((a & fa) && (b & fa));
}

unsigned frag_count(size_t len)
{
    return len <= PKT_MAX_PAYLOAD
               ? 1u
               : (unsigned)((len + PKT_MAX_PAYLOAD - 1) / PKT_MAX_PAYLOAD);
}

static int msg_ok(const struct frag_msg *m)
{
    return m->bytes != NULL && m->len >= PKT_MSG_HEADER_LEN &&
           m->len <= PKT_MAX_MSG_LEN &&
           (m->service == PKT_RELIABLE || m->service == PKT_FIFO ||
            m->service == PKT_AGREED || m->service == PKT_SAFE);
}

static size_t align4(size_t off)
{
    return (off + 3) & ~(size_t)3;
}

/* The next fragment of the queue head into d->frags[0]; advances cur.
 * Returns its length. */
static size_t take_head(const struct frag_msg *m, struct frag_cursor *cur,
                        struct pkt_data *d)
{
    unsigned n = frag_count(m->len);
    unsigned k = (unsigned)(cur->off / PKT_MAX_PAYLOAD) + 1;
    size_t take = m->len - cur->off;

    if (take > PKT_MAX_PAYLOAD)
        take = PKT_MAX_PAYLOAD;
    d->frags[0].index = (int16_t)(k < n ? (int)k : -(int)n);
    d->frags[0].len = (uint16_t)take;
    d->frags[0].bytes = m->bytes + cur->off;
    cur->off += take;
    if (cur->off == m->len) {
        cur->msg++;
        cur->off = 0;
    }
    return take;
}

int frag_pack(const struct frag_msg *q, size_t n, struct frag_cursor *cur,
              struct pkt_data *d)
{
    const struct frag_msg *head;
    uint32_t svc;
    size_t used;
    unsigned k = 1;

    if (cur->msg >= n)
        return 0;
    head = &q[cur->msg];
    if (!msg_ok(head) || cur->off >= head->len ||
        cur->off % PKT_MAX_PAYLOAD != 0)
        return PKT_EINVAL;
    svc = head->service;
    used = take_head(head, cur, d);
    /* Whole single-packet messages behind it, while they fit. A message
     * that breaks the rules stops the packet; the next call reports it. */
    while (cur->off == 0 && cur->msg < n && k < PKT_MAX_FRAGS) {
        const struct frag_msg *m = &q[cur->msg];
        size_t at = align4(used) + 4;
        if (!msg_ok(m) || m->len > PKT_MAX_PAYLOAD ||
            !frag_services_mix(svc, m->service) ||
            at + m->len > PKT_MAX_PAYLOAD)
            break;
        d->frags[k].index = -1;
        d->frags[k].len = (uint16_t)m->len;
        d->frags[k].bytes = m->bytes;
        k++;
        used = at + m->len;
        cur->msg++;
    }
    d->nfrags = k;
    d->h.type = (d->h.type & ~PKT_SERVICE_MASK) | svc;
    return (int)k;
}

/* ---- receiving ---------------------------------------------------------- */

void frag_reasm_init(struct frag_reasm *r)
{
    memset(r, 0, sizeof *r);
}

void frag_reasm_fini(struct frag_reasm *r)
{
    for (int i = 0; i < PKT_MAX_MEMBERS; i++)
        free(r->slot[i].buf);
    memset(r, 0, sizeof *r);
}

static struct frag_partial *find(const struct frag_reasm *r, uint32_t id)
{
    for (int i = 0; i < PKT_MAX_MEMBERS; i++)
        if (r->slot[i].used && r->slot[i].originator == id)
            return (struct frag_partial *)&r->slot[i];
    return NULL;
}

/* The originator's slot; a new one is a free slot or an idle one of
 * another originator (its buffer is reused). */
static struct frag_partial *slot_for(struct frag_reasm *r, uint32_t id)
{
    struct frag_partial *p = find(r, id), *idle = NULL;

    if (p != NULL)
        return p;
    for (int i = 0; i < PKT_MAX_MEMBERS && p == NULL; i++) {
        if (!r->slot[i].used)
            p = &r->slot[i];
        else if (r->slot[i].nfrags == 0 && idle == NULL)
            idle = &r->slot[i];
    }
    if (p == NULL)
        p = idle;
    if (p != NULL) {
        p->used = 1;
        p->originator = id;
        p->nfrags = 0;
    }
    return p;
}

static int violation(struct frag_partial *p, int code)
{
    p->nfrags = 0;
    p->len = p->total = 0;
    return code;
}

/* Index 1 or -1: a new message. */
static int first_fragment(struct frag_partial *p, const struct pkt_frag *f,
                          struct frag_done *out)
{
    struct pkt_msg m;

    if (p->nfrags != 0)
        return violation(p, FRAG_EINDEX);
    if (f->index == -1) {
        if (pkt_msg_decode(f->bytes, f->len, &out->msg) < 0)
            return FRAG_EMSG;
        out->bytes = f->bytes;
        out->len = f->len;
        out->nfrags = 1;
        return 1;
    }
    if (pkt_msg_head_decode(f->bytes, f->len, &m) < 0 ||
        pkt_msg_len(&m) <= f->len)
        return FRAG_EMSG;
    if (p->cap < pkt_msg_len(&m)) {
        unsigned char *b = realloc(p->buf, pkt_msg_len(&m));
        if (b == NULL)
            return FRAG_ENOMEM;
        p->buf = b;
        p->cap = pkt_msg_len(&m);
    }
    memcpy(p->buf, f->bytes, f->len);
    p->len = f->len;
    p->total = pkt_msg_len(&m);
    p->nfrags = 1;
    return 0;
}

int frag_reasm_add(struct frag_reasm *r, uint32_t originator,
                   const struct pkt_frag *f, struct frag_done *out)
{
    struct frag_partial *p = slot_for(r, originator);
    int next;

    if (p == NULL)
        return FRAG_EFULL;
    if (f->index == 1 || f->index == -1)
        return first_fragment(p, f, out);
    next = (int)p->nfrags + 1;
    if (p->nfrags == 0 || (f->index != next && f->index != -next))
        return violation(p, FRAG_EINDEX);
    if (f->len > p->total - p->len)
        return violation(p, FRAG_EMSG);
    memcpy(p->buf + p->len, f->bytes, f->len);
    p->len += f->len;
    p->nfrags++;
    if (f->index > 0)   /* more to come: there must be room for them */
        return p->len < p->total ? 0 : violation(p, FRAG_EMSG);
    if (p->len != p->total ||
        pkt_msg_decode(p->buf, p->len, &out->msg) < 0)
        return violation(p, FRAG_EMSG);
    out->bytes = p->buf;
    out->len = p->len;
    out->nfrags = p->nfrags;
    p->nfrags = 0;
    return 1;
}

void frag_reasm_drop(struct frag_reasm *r, uint32_t originator)
{
    struct frag_partial *p = find(r, originator);
    if (p != NULL)
        violation(p, 0);
}

void frag_reasm_reset(struct frag_reasm *r)
{
    for (int i = 0; i < PKT_MAX_MEMBERS; i++)
        violation(&r->slot[i], 0);
}

int frag_reasm_pending(const struct frag_reasm *r, uint32_t originator)
{
    const struct frag_partial *p = find(r, originator);
    return p != NULL && p->nfrags > 0;
}
