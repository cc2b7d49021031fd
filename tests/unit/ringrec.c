/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ringrec: see ringrec.h.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ringrec.h"

static struct out *add(struct fix *f, char kind)
{
    struct out *o;

    ck_assert_int_lt(f->n, REC_MAX_LOG);
    o = &f->log[f->n++];
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    return o;
}

static void op_data(void *ctx, enum ring_dest how, uint32_t to,
                    const struct pkt_data *d)
{
    struct out *o = add(ctx, 'D');

    o->how = how;
    o->to = to;
    o->seq = d->h.seq;
    o->round = d->h.round;
    o->transmitter = d->h.transmitter;
    o->service = d->h.type & PKT_SERVICE_MASK;
    o->nfrags = d->nfrags;
    o->index0 = d->frags[0].index;
}

static void op_token(void *ctx, uint32_t to, const struct pkt_token *t,
                     unsigned copies)
{
    struct out *o = add(ctx, 'T');
    struct pkt_rtr b;
    size_t off = 0;

    o->to = to;
    o->copies = copies;
    o->th = t->h;
    o->th.rtr_len = t->rtr.len;
    while (pkt_rtr_next(&t->rtr, &off, &b)) {
        struct blk *x = &o->b[o->nblk++];
        int i;

        ck_assert_int_le(o->nblk, REC_MAX_BLK);
        x->ring = b.ring;
        x->requester = b.requester;
        x->seg = b.seg_index;
        x->n = b.count;
        ck_assert_int_le(b.count, REC_MAX_SEQS);
        for (i = 0; i < b.count; i++)
            x->seqs[i] = pkt_i32s_get(&b.seqs, (uint32_t)i);
    }
}

static void op_hurry(void *ctx, uint32_t to, const struct pkt_head *h)
{
    struct out *o = add(ctx, 'H');

    o->to = to;
    o->transmitter = h->originator;
}

static void op_deliver(void *ctx, const struct ring_delivery *m)
{
    struct out *o = add(ctx, 'M');

    o->seq = (int32_t)m->seq;
    o->service = m->service;
    o->originator = m->originator;
    o->early = m->early;
    o->len = m->len;
}

static void op_lost(void *ctx)
{
    ((struct fix *)ctx)->lost++;
}

const struct ring_ops rec_ops = {
    op_data, op_token, op_hurry, op_deliver, op_lost, NULL, NULL
};

void rec_free(struct fix *f)
{
    ring_core_fini(&f->r);
    free(f);
}

int rec_count(const struct fix *f, char kind)
{
    int i, k = 0;

    for (i = 0; i < f->n; i++)
        k += f->log[i].kind == kind;
    return k;
}

/* Index in the log of the k-th output of a kind (0-based), or -1. */
int rec_pos(const struct fix *f, char kind, int k)
{
    int i;

    for (i = 0; i < f->n; i++)
        if (f->log[i].kind == kind && k-- == 0)
            return i;
    return -1;
}

/* The k-th output of a kind (0-based), or fail. */
const struct out *rec_nth(const struct fix *f, char kind, int k)
{
    int i;

    for (i = 0; i < f->n; i++)
        if (f->log[i].kind == kind && k-- == 0)
            return &f->log[i];
    ck_abort_msg("no output %c #%d", kind, k);
    return NULL;
}

/* A valid serialised message of `len` bytes (>= 80) with one group. */
