/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * order: the ordering layer's front (order.h). With one daemon, arrival
 * order is the total order and the queue only makes delivery happen in
 * its own loop phase, never inside the handler that read the request.
 * With several daemons, requests go to the ring (order_ring.c) and what
 * the ring delivers, requests and configuration changes, comes back
 * through the same queue, so that sessions and deliver see one contract.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ev.h"
#include "order_int.h"

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
    uint64_t n_queued;                /* requests ever queued */
    /* Views the ring delivered, each at its place in the order: after
     * the request numbered `at` (n_queued when it came) was delivered. */
    struct order_qview *views;
    size_t vhead, vlen, vcap;
    struct order_ring *ring;          /* several daemons, else NULL */
};

struct order_qview {
    uint64_t at;
    struct order_view v;
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
    if (env->conf->n_daemons > 1) {
        char err[256] = "";
        int rc = order_ring_new(&o->ring, o, env, err, sizeof err);
        if (rc < 0) {
            if (env->err != NULL)
                snprintf(env->err, env->errlen, "%s", err[0] ? err
                         : strerror(-rc));
            ev_del_phase(env->ev, order_phase, o);
            free(o);
            return rc;
        }
    }
    *out = o;
    return 0;
}

void order_free(struct order *o)
{
    if (o == NULL)
        return;
    order_ring_free(o->ring);
    ev_del_phase(o->ev, order_phase, o);
    while (o->len > 0) {
        msg_unref(o->q[o->head].msg);
        o->head = (o->head + 1) % o->cap;
        o->len--;
    }
    free(o->q);
    free(o->views);
    free(o);
}

void order_start(struct order *o, uint32_t now_s)
{
    if (o->ring != NULL) {
        /* The first view comes from the ring, once it has formed. */
        order_ring_start(o->ring);
        return;
    }
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

int order_enqueue(struct order *o, const struct order_req *req)
{
    if (o->len == o->cap && grow(o) < 0) {
        msg_unref(req->msg);
        return -ENOMEM;
    }
    o->q[(o->head + o->len) % o->cap] = *req;
    o->len++;
    o->n_queued++;
    return 0;
}

int order_enqueue_view(struct order *o, const struct order_view *v)
{
    if (o->vlen == o->vcap) {
        size_t cap = o->vcap ? o->vcap * 2 : 4, i;
        struct order_qview *q = malloc(cap * sizeof *q);
        if (q == NULL)
            return -ENOMEM;
        for (i = 0; i < o->vlen; i++)
            q[i] = o->views[(o->vhead + i) % o->vcap];
        free(o->views);
        o->views = q;
        o->vcap = cap;
        o->vhead = 0;
    }
    o->views[(o->vhead + o->vlen) % o->vcap].at = o->n_queued;
    o->views[(o->vhead + o->vlen) % o->vcap].v = *v;
    o->vlen++;
    return 0;
}

int order_submit(struct order *o, const struct order_req *req)
{
    if (o->ring != NULL)
        return order_ring_submit(o->ring, req);
    return order_enqueue(o, req);
}

size_t order_send_space(struct order *o)
{
    size_t space = o->len >= o->max_queue ? 0 : o->max_queue - o->len;

    if (o->ring != NULL) {
        size_t rs = order_ring_send_space(o->ring);
        if (rs < space)
            space = rs;
    }
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

/* Views whose place in the order has come. */
static void run_views(struct order *o)
{
    while (o->vlen > 0 && o->views[o->vhead].at <= o->n_delivered) {
        struct order_view v = o->views[o->vhead].v;
        o->vhead = (o->vhead + 1) % o->vcap;
        o->vlen--;
        if (!v.transitional)
            o->view = v;
        if (o->ops.view != NULL)
            o->ops.view(o->ctx, &v);
    }
}

static int order_run(struct order *o)
{
    size_t n = o->len < ORDER_BATCH ? o->len : ORDER_BATCH;

    run_views(o);
    while (n-- > 0) {
        /* Copy out first: deliver may submit and so move the ring. */
        struct order_req r = o->q[o->head];
        o->head = (o->head + 1) % o->cap;
        o->len--;
        o->ops.deliver(o->ctx, &r);
        msg_unref(r.msg);
        o->n_delivered++;
        run_views(o);
    }
    if (o->len == 0 && o->cap > 65536) {
        /* A burst is over: give the memory back. */
        free(o->q);
        o->q = NULL;
        o->cap = o->head = 0;
    }
    /* Readers resume below half the bound, not at the first free slot:
     * one wake-up then buys them a useful amount of reading. */
    if (o->space_wanted && o->len <= o->max_queue / 2 &&
        (o->ring == NULL || order_ring_send_space(o->ring) > 0)) {
        o->space_wanted = 0;
        if (o->space_fn != NULL)
            o->space_fn(o->space_ctx);
    }
    /* Views left wait for requests still queued before them. */
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
