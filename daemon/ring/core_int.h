/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * core_int: what the files of the ring core share and nobody else uses.
 * core.c holds the lifecycle, the inputs and the timers; token.c the
 * token processing of ring.md §4.3; svc.c the delivery services of §5;
 * evs.c the install, EVS recovery and back-out of §9.4-9.5.
 */
#ifndef COHORT_DAEMON_RING_CORE_INT_H
#define COHORT_DAEMON_RING_CORE_INT_H

#include "core.h"

static inline uint32_t core_succ_id(const struct ring_core *r)
{
    return r->conf.ids[(r->conf.my_index + 1) % r->conf.n];
}

static inline uint32_t core_pred_id(const struct ring_core *r)
{
    return r->conf.ids[(r->conf.my_index + r->conf.n - 1) % r->conf.n];
}

static inline int core_mid_eq(struct pkt_mid a, struct pkt_mid b)
{
    return a.id == b.id && a.time == b.time;
}

/* Index of daemon `id` in the ring, or -1. */
int core_member_index(const struct ring_core *r, uint32_t id);

/* 1 when the conf is consistent (ring_core_init()'s -EINVAL). */
int core_conf_ok(const struct ring_conf *c);

/* Declare token loss: the core stops and tells ops.token_lost. */
void core_token_lost(struct ring_core *r);

/* token.c */
/* Steps 2-10 for a token that passed step 1. */
void token_process(struct ring_core *r, const struct pkt_token *t,
                   uint64_t now);
/* Send the last token again with this resend count (rule 21, README D4:
 * header only, three copies from resend count 2 on). */
void token_resend(struct ring_core *r, unsigned resend);
/* Leader: the hurry timer fired, a HURRY came or a message was submitted
 * while the token is held: re-send the last token, resend count + 1. */
void token_release(struct ring_core *r, uint64_t now);
/* The last member's first token of the ring. */
void token_first(struct ring_core *r);

/* svc.c */
int svc_init(struct ring_core *r);
void svc_fini(struct ring_core *r);
/* A packet just stored: RELIABLE single-packet messages go out now
 * (unless rule 32 turned early delivery off). */
void svc_on_insert(struct ring_core *r, struct window_pkt *p);
/* The packet's RELIABLE single-packet messages not yet delivered go out
 * now, out of order, marked early. */
void svc_early(struct ring_core *r, struct window_pkt *p);
/* Deliver in seq order what the services allow, then discard what is
 * delivered and stable. */
void svc_deliver(struct ring_core *r);
/* One packet's fragments through `reasm`, delivering what completes. */
void svc_deliver_packet(struct ring_core *r, struct frag_reasm *reasm,
                        const struct window_pkt *p);

/* evs.c */
/* 1 when seq is one of the install record's holes. */
int evs_is_hole(const struct ring_core *r, uint32_t seq);
/* The my_aru the EVS token sees: the marker once committed. */
uint32_t evs_my_aru(const struct ring_core *r);
/* A data packet of the old ring (r->old valid). */
int evs_old_data(struct ring_core *r, const struct pkt_data *d);
/* After an EVS token was sent: finish (rule 60) or give up (rule 62). */
void evs_after_token(struct ring_core *r);
/* Token loss: the attempt backs out (rule 61). */
void evs_back_out(struct ring_core *r);

#endif /* COHORT_DAEMON_RING_CORE_INT_H */
