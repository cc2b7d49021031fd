/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * frag: messages in and out of data packets (ring.md §8 rules 43-47,
 * README D3). The sending side packs a FIFO queue of serialised messages
 * (48-byte header + group names + data) into data-packet fragments; the
 * receiving side reassembles each originator's fragments, taken in seq
 * order, into whole messages.
 *
 * Contract
 * - No sockets, no clock, no logging; frag_pack() allocates nothing and
 *   points the fragments into the caller's messages (zero copy), the
 *   reassembler allocates one buffer per originator with a message in
 *   progress, sized from the message header (at most PKT_MAX_MSG_LEN).
 * - Packing (rule 45): a packet starts with the next fragment of the queue
 *   head; whole single-packet messages follow, each 4-byte aligned behind
 *   its descriptor, while they fit in PKT_MAX_PAYLOAD bytes and share the
 *   first message's packet service (FIFO and AGREED count as one). A
 *   message longer than one payload is cut into PKT_MAX_PAYLOAD-byte
 *   fragments indexed 1, 2, ..., n-1 and -n for the last (-1: a message
 *   in one piece); after its last fragment, whole messages may follow.
 * - Reassembly (rule 46): a fragment that does not continue the
 *   originator's partial message (index 1 or -1 while one is in progress,
 *   a continuation with none, a wrong index, more bytes than the header
 *   announced, a last fragment that leaves the message short) is a
 *   protocol violation: FRAG_EINDEX or FRAG_EMSG, and the partial message
 *   is dropped. Nothing is half-delivered.
 */
#ifndef COHORT_DAEMON_RING_FRAG_H
#define COHORT_DAEMON_RING_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

enum frag_error {
    FRAG_EINDEX = -1101,  /* index does not continue the partial message */
    FRAG_EMSG = -1102,    /* message header invalid or length not its own */
    FRAG_ENOMEM = -1103,  /* no memory for a message buffer */
    FRAG_EFULL = -1104    /* more originators than PKT_MAX_MEMBERS */
};

const char *frag_strerror(int code);

/* ---- sending ------------------------------------------------------------ */

/* A serialised message waiting in a send queue. */
struct frag_msg {
    const unsigned char *bytes;
    size_t len;             /* PKT_MSG_HEADER_LEN..PKT_MAX_MSG_LEN */
    uint32_t service;       /* packet service: PKT_RELIABLE, PKT_FIFO,
                               PKT_AGREED or PKT_SAFE */
};

/* The packet service of a message type word (ring.md §3): UNRELIABLE and
 * RELIABLE -> PKT_RELIABLE, FIFO -> PKT_FIFO, CAUSAL and AGREED ->
 * PKT_AGREED, SAFE -> PKT_SAFE, internal JOIN / LEAVE / KILL -> PKT_AGREED;
 * 0 for anything else. (GROUPS messages carry AGREED_MESS and map to
 * PKT_AGREED; all but a daemon's last one must be queued as PKT_RELIABLE
 * by the caller, §11.3.) */
uint32_t frag_service_of(uint32_t msg_type);

/* 1 if messages of these two packet services may share a packet. */
int frag_services_mix(uint32_t a, uint32_t b);

/* Where the sender is in its queue: q[msg] is the head, `off` of its
 * bytes already sent. Starts zeroed. */
struct frag_cursor {
    size_t msg;
    size_t off;
};

/* Fill d->frags, d->nfrags and the service bit of d->h.type (other header
 * fields are the caller's) with the next packet's worth of q[cur->msg ..
 * n-1], and advance the cursor past what was taken: messages before
 * cur->msg are then entirely in packets. Returns the number of fragments
 * (>= 1), 0 when nothing is left, or PKT_EINVAL for a message outside
 * the frag_msg rules (the cursor then stays on it). The fragments point
 * into the messages. */
int frag_pack(const struct frag_msg *q, size_t n, struct frag_cursor *cur,
              struct pkt_data *d);

/* Fragments a message of `len` bytes takes (1 for one payload or less). */
unsigned frag_count(size_t len);

/* ---- receiving ---------------------------------------------------------- */

/* One originator's message in progress. */
struct frag_partial {
    uint32_t originator;
    int used;               /* slot in use */
    unsigned nfrags;        /* fragments taken; 0: none in progress */
    size_t len;             /* bytes taken */
    size_t total;           /* length its header announced */
    unsigned char *buf;     /* `cap` bytes, kept for reuse */
    size_t cap;
};

struct frag_reasm {
    struct frag_partial slot[PKT_MAX_MEMBERS];
};

/* A completed message. bytes/len and msg's pointers stay valid until the
 * next call for the same originator (or frag_reasm_reset/fini): a message
 * in one fragment points into the packet, a longer one into the
 * originator's buffer. */
struct frag_done {
    const unsigned char *bytes;
    size_t len;
    unsigned nfrags;
    struct pkt_msg msg;     /* decoded and validated (pkt_msg_decode) */
};

void frag_reasm_init(struct frag_reasm *r);
void frag_reasm_fini(struct frag_reasm *r);

/* Take fragment f of a data packet from `originator` (packets in seq
 * order, fragments in packet order). Returns 1 and fills *out when a
 * message is complete, 0 when more fragments are needed, or a negative
 * FRAG_E* code (the originator's partial message is then dropped). */
int frag_reasm_add(struct frag_reasm *r, uint32_t originator,
                   const struct pkt_frag *f, struct frag_done *out);

/* Drop one originator's partial message, or every one (a configuration
 * change, rule 47). Buffers are kept for reuse. */
void frag_reasm_drop(struct frag_reasm *r, uint32_t originator);
void frag_reasm_reset(struct frag_reasm *r);

/* 1 if `originator` has a partial message. */
int frag_reasm_pending(const struct frag_reasm *r, uint32_t originator);

#endif /* COHORT_DAEMON_RING_FRAG_H */
