/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * svc: the delivery services of the ring core (ring.md §5 rules 26-31):
 * RELIABLE single-packet messages as soon as they arrive, everything else
 * in seq order up to my_aru, stopping at the first SAFE packet that is not
 * yet stable (seq > global_aru); multi-packet messages are reassembled per
 * originator in that order; packets both delivered and stable leave the
 * window.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

int svc_init(struct ring_core *r)
{
    r->reasm = malloc(sizeof(*r->reasm));
    if (!r->reasm)
        return -ENOMEM;
    frag_reasm_init(r->reasm);
    return 0;
}

void svc_fini(struct ring_core *r)
{
    if (!r->reasm)
        return;
    frag_reasm_fini(r->reasm);
    free(r->reasm);
    r->reasm = NULL;
}

static void deliver(struct ring_core *r, const unsigned char *bytes,
                    size_t len, const struct window_pkt *p, int early)
{
    struct ring_delivery m;

    m.bytes = bytes;
    m.len = len;
    m.seq = (uint32_t)p->d.h.seq;
    m.originator = p->d.h.originator;
    m.service = p->d.h.type & PKT_SERVICE_MASK;
    m.early = early;
    r->stats.delivered++;
    r->ops.deliver(r->ctx, &m);
}

void svc_on_insert(struct ring_core *r, struct window_pkt *p)
{
    if (r->early_reliable)
        svc_early(r, p);
}

void svc_early(struct ring_core *r, struct window_pkt *p)
{
    struct pkt_msg msg;
    unsigned i;

    if ((p->d.h.type & PKT_SERVICE_MASK) != PKT_RELIABLE)
        return;
    for (i = 0; i < p->d.nfrags; i++) {
        const struct pkt_frag *f = &p->d.frags[i];

        if (f->index != -1 || (p->early & (1u << i)))
            continue;
        /* Marked either way: a message that is not what its header says
         * is dropped here, not again in order. */
        p->early |= 1u << i;
        if (pkt_msg_decode(f->bytes, f->len, &msg) < 0)
            r->stats.reasm_errors++;
        else
            deliver(r, f->bytes, f->len, p, 1);
    }
}

/* The packet's fragments in order through the originator's reassembly.
 * A fragment that does not continue the originator's message, or a
 * message that is not what its header announces, is a protocol violation
 * (rule 46): frag drops the partial message; it is counted. Correct
 * daemons never cause one: one originator's fragments follow each other
 * in the total order. */
void svc_deliver_packet(struct ring_core *r, struct frag_reasm *reasm,
                        const struct window_pkt *p)
{
    struct frag_done done;
    unsigned i;

    for (i = 0; i < p->d.nfrags; i++) {
        int rc;

        if (p->early & (1u << i))
            continue;
        rc = frag_reasm_add(reasm, p->d.h.originator, &p->d.frags[i],
                            &done);
        if (rc < 0)
            r->stats.reasm_errors++;
        else if (rc == 1)
            deliver(r, done.bytes, done.len, p, 0);
    }
}

void svc_deliver(struct ring_core *r)
{
    uint32_t upto;

    if (r->state != RING_OP)
        return;
    while (r->last_delivered < r->win.my_aru) {
        uint32_t seq = r->last_delivered + 1;
        const struct window_pkt *p = window_get(&r->win, seq);

        if ((p->d.h.type & PKT_SERVICE_MASK) == PKT_SAFE &&
            seq > r->global_aru)
            break;      /* rule 28: nothing overtakes an unstable SAFE */
        r->last_delivered = seq;
        svc_deliver_packet(r, r->reasm, p);
    }
    /* Rule 31: delivered and held by everyone: nobody will ask again. */
    upto = r->global_aru < r->last_delivered ? r->global_aru
                                             : r->last_delivered;
    window_discard(&r->win, upto);
}
