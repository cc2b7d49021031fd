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

#include "conf.h"
#include "ev.h"
#include "order.h"

#define ORDER_BATCH 4096

struct order {
    struct order_ops ops;
    void *ctx;
    struct ev *ev;
    int my_index;
    uint32_t my_id;
    size_t max_queue;
    void (*space_fn)(void *ctx);      /* order_on_space() */
    void *space_ctx;
    int space_wanted;                 /* send_space() said 0 since the last
                                       * callback */
    struct order_req *q;              /* ring buffer */
    size_t head, len, cap;
    struct order_view view;           /* current regular view */
    uint64_t n_delivered;
};

static int order_phase(struct ev *ev, void *ctx);

int order_new(struct order **out, const struct order_env *env,
              const struct order_ops *ops, void *ctx)
{
    struct order *o = calloc(1, sizeof *o);

    *out = NULL;
    if (o == NULL)
        return -ENOMEM;
    o->ops = *ops;
    o->ctx = ctx;
    o->ev = env->ev;
    o->my_index = env->self;
    o->my_id = env->conf->daemons[env->self].id;
    o->max_queue = env->max_queue ? env->max_queue : ORDER_MAX_QUEUE;
    if (ev_add_phase(env->ev, "deliver", order_phase, o) < 0) {
        free(o);
        return -ENOSPC;
    }
    *out = o;
    return 0;
}

void order_free(struct order *o)
{
    if (o == NULL)
        return;
    while (o->len > 0) {
        msg_unref(o->q[o->head].msg);
        o->head = (o->head + 1) % o->cap;
        o->len--;
    }
    free(o->q);
    free(o);
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

size_t order_send_space(struct order *o)
{
    size_t space = o->len >= o->max_queue ? 0 : o->max_queue - o->len;

    /* A reader told to stop waits for the callback: remember to give it. */
    if (space == 0)
        o->space_wanted = 1;
    return space;
}

void order_on_space(struct order *o, void (*fn)(void *ctx), void *ctx)
{
    o->space_fn = fn;
    o->space_ctx = ctx;
}

size_t order_pending(const struct order *o)
{
    return o->len;
}

uint64_t order_delivered(const struct order *o)
{
    return o->n_delivered;
}

static int order_run(struct order *o)
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
    /* Readers resume below half the bound, not at the first free slot:
     * one wake-up then buys them a useful amount of reading. */
    if (o->space_wanted && o->len <= o->max_queue / 2) {
        o->space_wanted = 0;
        if (o->space_fn != NULL)
            o->space_fn(o->space_ctx);
    }
    return o->len > 0;
}

static int order_phase(struct ev *ev, void *ctx)
{
    (void)ev;
    return order_run(ctx);
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
