/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * rmsg: order requests as the messages daemons exchange through the ring
 * (ring.md §8 rule 43, §3's service mapping; the ring captures show the
 * layouts: vectors/ring/02_steady_traffic.vec). A message is a 48-byte
 * header in its writer's byte order (the type word's marker says which),
 * the destination group names (32 bytes each) and the data: the very
 * frame clients receive. So a client's data message crosses the ring as
 * the msg the session built, without a copy, and a delivered one is given
 * to local receivers as it came, with its header turned into this
 * daemon's order.
 *
 * Group operations are 80-byte messages with no data: JOIN_MESS and
 * LEAVE_MESS name the group, KILL_MESS names the leaving client's own
 * private group; all go in AGREED packets. GROUPS_MESS (the state
 * exchange after a configuration change) is recognised and handed back
 * unparsed, for the state-exchange module.
 *
 * Contract
 * - Pure: no I/O, no logging; rmsg_decode() allocates the msg of a data
 *   request and nothing else.
 * - rmsg_decode() trusts nothing: another daemon's message is checked as
 *   strictly as frame.c checks a client's frame (kind, counts, lengths
 *   against the real size, hint bits), and also: the sender is a private
 *   group name "#user#daemon" whose daemon part is the name of the daemon
 *   that ordered it, the group names are NUL-terminated legal names, a
 *   group operation names exactly one group. A message that fails is
 *   refused with a reason; the caller drops it and logs.
 */
#ifndef COHORT_DAEMON_RMSG_H
#define COHORT_DAEMON_RMSG_H

#include <stddef.h>
#include <stdint.h>

#include "order.h"

struct conf;

/* Packet services (ring.md §13 type word; what rmsg_encode() returns). */
#define RMSG_RELIABLE 0x02u
#define RMSG_FIFO 0x04u
#define RMSG_AGREED 0x08u
#define RMSG_SAFE 0x10u

#define RMSG_GROUP_OP_LEN 80       /* header + one group name */

enum rmsg_result {
    RMSG_REQUEST = 0,              /* *out is an order request */
    RMSG_STATE = 1,                /* GROUPS_MESS: for the state exchange */
    RMSG_INVALID = -1              /* refused; `why` says why */
};

/* The message of request r: for ORDER_DATA the frame of r->msg itself
 * (*bytes points into it; no copy), otherwise an 80-byte group operation
 * written into buf (cap >= RMSG_GROUP_OP_LEN). Sets the packet service
 * from r->cls. Returns 0 or -EINVAL (a kind rmsg does not carry). */
int rmsg_encode(const struct order_req *r, unsigned char *buf, size_t cap,
                const unsigned char **bytes, size_t *len, uint32_t *svc);

/* Check the message `bytes` that daemon `origin` (index in c) ordered and
 * turn it into a request for deliver: RMSG_REQUEST with *out filled (a
 * data request owns a new msg reference), RMSG_STATE (nothing allocated;
 * the caller passes the bytes on), or RMSG_INVALID with a reason in why. */
int rmsg_decode(const unsigned char *bytes, size_t len, const struct conf *c,
                int origin, struct order_req *out, char *why, size_t whylen);

/* The packet service of an order class. */
uint32_t rmsg_service_of(enum order_class cls);

#endif /* COHORT_DAEMON_RMSG_H */
