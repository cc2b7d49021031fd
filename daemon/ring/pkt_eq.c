/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * pkt_equal (see pkt.h): field-by-field comparison of decoded packets,
 * through pkt.h's public accessors only. Kept apart from pkt.c, which
 * touches the bytes.
 */
#include "config.h"

#include "pkt.h"

#include <string.h>

static int i32s_equal(const struct pkt_i32s *a, const struct pkt_i32s *b)
{
    if (a->n != b->n)
        return 0;
    for (uint32_t i = 0; i < a->n; i++)
        if (pkt_i32s_get(a, i) != pkt_i32s_get(b, i))
            return 0;
    return 1;
}

static int head_equal(const struct pkt_head *a, const struct pkt_head *b)
{
    return a->type == b->type && a->transmitter == b->transmitter &&
           a->originator == b->originator && a->mid.id == b->mid.id &&
           a->mid.time == b->mid.time && a->seq == b->seq &&
           a->round == b->round && a->hash == b->hash &&
           a->payload_len == b->payload_len && a->pad == b->pad &&
           a->frag_index == b->frag_index && a->frag_len == b->frag_len;
}

static int token_head_equal(const struct pkt_token_head *a,
                            const struct pkt_token_head *b)
{
    return a->type == b->type && a->transmitter == b->transmitter &&
           a->last == b->last && a->mid.id == b->mid.id &&
           a->mid.time == b->mid.time && a->seq == b->seq &&
           a->aru == b->aru && a->aru_setter == b->aru_setter &&
           a->flow_control == b->flow_control && a->rtr_len == b->rtr_len &&
           a->hash == b->hash;
}

static int data_equal(const struct pkt_data *a, const struct pkt_data *b)
{
    if (!head_equal(&a->h, &b->h) || a->nfrags != b->nfrags)
        return 0;
    for (unsigned k = 0; k < a->nfrags; k++) {
        const struct pkt_frag *x = &a->frags[k], *y = &b->frags[k];
        if (x->index != y->index || x->len != y->len ||
            memcmp(x->bytes, y->bytes, x->len) != 0)
            return 0;
    }
    return 1;
}

static int token_equal(const struct pkt_token *a, const struct pkt_token *b)
{
    size_t oa = 0, ob = 0;
    struct pkt_rtr x, y;
    int ma, mb;

    if (!token_head_equal(&a->h, &b->h) || a->rtr.len != b->rtr.len ||
        a->rtr.nblocks != b->rtr.nblocks)
        return 0;
    for (;;) {
        ma = pkt_rtr_next(&a->rtr, &oa, &x);
        mb = pkt_rtr_next(&b->rtr, &ob, &y);
        if (ma != mb)
            return 0;
        if (!ma)
            return 1;
        if (x.ring.id != y.ring.id || x.ring.time != y.ring.time ||
            x.requester != y.requester || x.seg_index != y.seg_index ||
            x.count != y.count || !i32s_equal(&x.seqs, &y.seqs))
            return 0;
    }
}

static int members_equal(const struct pkt_members *a,
                         const struct pkt_members *b, int full)
{
    int n = full ? a->nmembers + a->npending : a->nmembers;
    if (a->nmembers != b->nmembers || a->npending != b->npending)
        return 0;
    return n <= 0 || memcmp(a->ids, b->ids, sizeof a->ids[0] * (size_t)n) == 0;
}

static int reps_equal(const struct pkt_reps *a, const struct pkt_reps *b)
{
    if (a->nreps != b->nreps || a->cursor != b->cursor)
        return 0;
    for (int i = 0; i < a->nreps; i++)
        if (a->r[i].id != b->r[i].id || a->r[i].kind != b->r[i].kind ||
            a->r[i].seg != b->r[i].seg)
            return 0;
    return 1;
}

static int form_equal(const struct pkt_form *a, const struct pkt_form *b)
{
    if (!token_head_equal(&a->h, &b->h) ||
        !members_equal(&a->members, &b->members, 1) || a->nrings != b->nrings)
        return 0;
    if (a->h.type == PKT_FORM1 ? !reps_equal(&a->reps, &b->reps)
                               : (a->new_mid.id != b->new_mid.id ||
                                  a->new_mid.time != b->new_mid.time))
        return 0;
    for (int i = 0; i < a->nrings; i++) {
        const struct pkt_ring *x = &a->rings[i], *y = &b->rings[i];
        if (x->mid.id != y->mid.id || x->mid.time != y->mid.time ||
            x->trans_time != y->trans_time || x->aru != y->aru ||
            x->highest_seq != y->highest_seq || x->ncommit != y->ncommit ||
            x->ntrans != y->ntrans || !i32s_equal(&x->holes, &y->holes) ||
            (x->ncommit > 0 &&
             memcmp(x->commit, y->commit, sizeof x->commit[0] * x->ncommit)))
            return 0;
    }
    return 1;
}

int pkt_equal(const struct pkt *a, const struct pkt *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case PKT_KIND_DATA:
        return data_equal(&a->u.data, &b->u.data);
    case PKT_KIND_TOKEN:
        return token_equal(&a->u.token, &b->u.token);
    case PKT_KIND_HURRY:
    case PKT_KIND_REFER:
        return head_equal(&a->u.head, &b->u.head);
    case PKT_KIND_ALIVE:
    case PKT_KIND_JOIN:
        return head_equal(&a->u.memb.h, &b->u.memb.h) &&
               members_equal(&a->u.memb.members, &b->u.memb.members, 0) &&
               (a->kind == PKT_KIND_ALIVE ||
                reps_equal(&a->u.memb.reps, &b->u.memb.reps));
    case PKT_KIND_FORM1:
    case PKT_KIND_FORM2:
        return form_equal(&a->u.form, &b->u.form);
    }
    return 0;
}
