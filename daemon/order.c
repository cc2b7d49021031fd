/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * order: single-daemon ordering. Arrival order is the total order; the
 * queue exists so that delivery happens in its own loop phase, never inside
 * the handler that read the request, exactly as it will with a ring.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "order.h"

#define ORDER_BATCH 4096

int order_init(struct order *o, int my_index, uint32_t my_id,
               const struct order_ops *ops, void *ctx)
{
    memset(o, 0, sizeof *o);
    o->ops = *ops;
    o->ctx = ctx;
    o->my_index = my_index;
    o->my_id = my_id;
    return 0;
}

void order_fini(struct order *o)
{
    while (o->len > 0) {
        msg_unref(o->q[o->head].msg);
        o->head = (o->head + 1) % o->cap;
        o->len--;
    }
    free(o->q);
    o->q = NULL;
    o->cap = o->head = 0;
}

void order_start(struct order *o, uint32_t now_s)
{
    memset(&o->view, 0, sizeof o->view);
    o->view.transitional = 0;
    o->view.memb_id = o->my_id;
    o->view.memb_time = now_s;
    o->view.n_members = 1;
    o->view.members[0] = o->my_index;
    if (o->ops.view != NULL)
        o->ops.view(o->ctx, &o->view);
}

static int grow(struct order *o)
{
    size_t cap = o->cap ? o->cap * 2 : 256, i;
    struct order_req *q = malloc(cap * sizeof *q);

    if (q == NULL)
        return -ENOMEM;
    for (i = 0; i < o->len; i++)
        q[i] = o->q[(o->head + i) % o->cap];
    free(o->q);
    o->q = q;
    o->cap = cap;
    o->head = 0;
    return 0;
}

int order_submit(struct order *o, const struct order_req *req)
{
    if (o->len == o->cap && grow(o) < 0) {
        msg_unref(req->msg);
        return -ENOMEM;
    }
    o->q[(o->head + o->len) % o->cap] = *req;
    o->len++;
    return 0;
}

int order_run(struct order *o)
{
    size_t n = o->len < ORDER_BATCH ? o->len : ORDER_BATCH;

    while (n-- > 0) {
        /* Copy out first: deliver may submit and so move the ring. */
        struct order_req r = o->q[o->head];
        o->head = (o->head + 1) % o->cap;
        o->len--;
        o->ops.deliver(o->ctx, &r);
        msg_unref(r.msg);
        o->n_delivered++;
    }
    if (o->len == 0 && o->cap > 65536) {
        /* A burst is over: give the memory back. */
        free(o->q);
        o->q = NULL;
        o->cap = o->head = 0;
    }
    return o->len > 0;
}

enum order_class order_class_of(uint32_t type)
{
    if (type & (UNRELIABLE_MESS | RELIABLE_MESS))
        return ORDER_RELIABLE;
    if (type & FIFO_MESS)
        return ORDER_FIFO;
    if (type & SAFE_MESS)
        return ORDER_SAFE;
    return ORDER_AGREED;
}
