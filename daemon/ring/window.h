/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * window: one daemon's packets of the current ring, indexed by seq
 * (ring.md §4.2, upstream's 8192-slot window, seq modulo 8192), with the
 * two reception points derived from it: my_aru (every seq up to it was
 * received) and highest_seq (the highest seq received or sent).
 *
 * Contract
 * - The window owns a private copy of every packet it holds (the decoded
 *   struct and its fragment bytes; a decoded datagram only points into
 *   the receive buffer, pkt.h). Pointers it returns stay valid until the
 *   packet is discarded or the window is reset or finalised.
 * - Slots: a packet is held only while discarded < seq <= discarded +
 *   WINDOW_SLOTS; anything else is refused, as is a seq already held or
 *   already discarded (duplicates and retransmissions arriving late).
 * - discarded <= my_aru <= highest_seq at all times; discarding never
 *   passes my_aru.
 * - No I/O, no clock, no logging; allocation only in window_init() and
 *   window_insert().
 */
#ifndef COHORT_DAEMON_RING_WINDOW_H
#define COHORT_DAEMON_RING_WINDOW_H

#include <stdint.h>

#include "pkt.h"

#define WINDOW_SLOTS 8192u

/* A held packet. d.frags[i].bytes point into bytes[]. */
struct window_pkt {
    struct pkt_data d;
    uint32_t early;         /* bit i: d.frags[i] was delivered early, out
                               of order (RELIABLE, ring.md rule 27) */
    unsigned char bytes[];
};

struct window {
    struct window_pkt **slot;   /* WINDOW_SLOTS entries */
    uint32_t discarded;     /* every seq <= discarded is gone */
    uint32_t my_aru;
    uint32_t highest_seq;
    unsigned count;         /* packets held */
};

/* An empty window whose seqs start after `base` (0 for a new ring).
 * Returns 0 or -ENOMEM. */
int window_init(struct window *w, uint32_t base);
/* Frees every packet and the slots. */
void window_fini(struct window *w);

/* Copy d (whose h.seq is its seq) into the window. Returns 1 when it was
 * stored (my_aru and highest_seq advance), 0 when it is refused (a
 * duplicate, already discarded, or beyond the slots), -ENOMEM. *out, if
 * not NULL, receives the held copy on 1. */
int window_insert(struct window *w, const struct pkt_data *d,
                  struct window_pkt **out);

/* Memory for one packet of up to PKT_MAX_PAYLOAD bytes, so that a packet
 * this daemon makes can be stored without a later allocation failure
 * (its seq is taken once it is cut from the send queue). NULL on ENOMEM. */
struct window_pkt *window_pkt_alloc(void);

/* As window_insert(), into memory from window_pkt_alloc(), which it takes
 * over (and frees when the packet is refused); cannot fail for memory. */
int window_insert_into(struct window *w, struct window_pkt *p,
                       const struct pkt_data *d);

/* The packet with this seq, or NULL when it is not held. */
struct window_pkt *window_get(const struct window *w, uint32_t seq);

/* 1 when seq may be stored now (inside the slots, neither held nor
 * discarded): a receiver lacks it. */
int window_missing(const struct window *w, uint32_t seq);

/* Free every packet with seq <= upto (clamped to my_aru). */
void window_discard(struct window *w, uint32_t upto);

#endif /* COHORT_DAEMON_RING_WINDOW_H */
