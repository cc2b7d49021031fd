/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * sendq: one daemon's queue of messages waiting for the token. It owns a
 * copy of every message and cuts the queue into data packets with
 * frag_pack() (ring.md §8: fragments, packing of services that mix).
 *
 * Contract
 * - Messages leave strictly in submission order; a message may be cut
 *   over several packets and token visits.
 * - A packet from sendq_next() points into the queued messages: it stays
 *   valid until sendq_release(), which frees the messages that are
 *   entirely in packets. The ring copies the packet into its window in
 *   between.
 * - No I/O, no clock; allocation in sendq_push() only.
 */
#ifndef COHORT_DAEMON_RING_SENDQ_H
#define COHORT_DAEMON_RING_SENDQ_H

#include <stddef.h>
#include <stdint.h>

#include "frag.h"
#include "pkt.h"

struct sendq {
    struct frag_msg *m;         /* m[head .. head + count - 1] are queued */
    size_t head, count, cap;
    struct frag_cursor cur;     /* relative to m + head */
};

void sendq_init(struct sendq *q);
void sendq_fini(struct sendq *q);

/* Queue a copy of msg[len] with packet service `service` (exactly one of
 * PKT_RELIABLE, PKT_FIFO, PKT_AGREED, PKT_SAFE). Returns 0, -EINVAL
 * (length outside PKT_MSG_HEADER_LEN..PKT_MAX_MSG_LEN, bad service) or
 * -ENOMEM. */
int sendq_push(struct sendq *q, const unsigned char *msg, size_t len,
               uint32_t service);

/* Cut the next packet: d->nfrags, d->frags and the service bit of
 * d->h.type; other header fields are the caller's. Returns 1, or 0 when
 * nothing is left to send. */
int sendq_next(struct sendq *q, struct pkt_data *d);

/* Free the messages that are entirely in packets already cut. */
void sendq_release(struct sendq *q);

/* Messages queued, partly sent ones included. */
static inline size_t sendq_len(const struct sendq *q)
{
    return q->count;
}

#endif /* COHORT_DAEMON_RING_SENDQ_H */
