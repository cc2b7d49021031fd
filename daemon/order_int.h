/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * order_int: between order.c (the front of order.h) and order_ring.c (the
 * ring of several daemons). Nothing else includes it.
 *
 * Contract
 * - order_ring.c hands what the ring delivers to order.c's queue with
 *   order_enqueue() (requests, in the total order) and
 *   order_enqueue_view() (a configuration change at its place: after
 *   every request queued before it); order.c's phase delivers both in
 *   that order. Neither delivers re-entrantly.
 * - order_ring_submit() owns the msg reference of the request it is given
 *   (dropped once the ring has copied the message).
 */
#ifndef COHORT_DAEMON_ORDER_INT_H
#define COHORT_DAEMON_ORDER_INT_H

#include "order.h"

struct order_ring;

int order_enqueue(struct order *o, const struct order_req *req);
int order_enqueue_view(struct order *o, const struct order_view *v);

/* Set up the ring for env's configuration: 0, or -errno with a reason in
 * err (a socket that cannot be bound, say). */
int order_ring_new(struct order_ring **out, struct order *o,
                   const struct order_env *env, char *err, size_t errlen);
/* NULL is a no-op. */
void order_ring_free(struct order_ring *r);
void order_ring_start(struct order_ring *r);
int order_ring_submit(struct order_ring *r, const struct order_req *req);
size_t order_ring_send_space(const struct order_ring *r);

#endif /* COHORT_DAEMON_ORDER_INT_H */
