/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flow: the flow-control arithmetic of the token ring (ring.md §6 rules
 * 33-35 and §7 rule 38). How many new packets a daemon may broadcast on a
 * token visit, how the token's flow_control field is carried from visit to
 * visit, and, on the accelerated ring, how many of the new packets go out
 * after the token has been passed.
 *
 * Contract
 * - Pure functions of their arguments: no state, no I/O, no clock.
 * - Counts are packets; seqs are the ring's (below 2^30 outside EVS,
 *   ring.md rule 25), so plain unsigned arithmetic cannot wrap.
 */
#ifndef COHORT_DAEMON_RING_FLOW_H
#define COHORT_DAEMON_RING_FLOW_H

#include <stdint.h>

/* Upstream's defaults (ring.md rule 33 and §10), except PersonalWindow:
 * upstream's 20 lets a lone sender fill an eighth of the Window per
 * rotation, and a rotation on a busy host is slow; 60 moves a 1 KB flood
 * of one sender about 1.5 times faster (bench/ring.sh). The windows are
 * each daemon's own arithmetic on the token's flow_control, so a mixed
 * ring does not need them to agree. */
#define FLOW_WINDOW 160            /* packets per rotation, whole ring */
#define FLOW_PERSONAL_WINDOW 60    /* new packets per daemon per visit */
#define FLOW_UPSTREAM_PERSONAL_WINDOW 20  /* 5.0.1's, in the captures */
#define FLOW_ACCEL_WINDOW 15       /* sent after the token (accelerated) */
#define FLOW_MAX_GAP 1600          /* highest_seq - global_aru bound */
/* The token's flow_control is a signed 16-bit field on the wire. */
#define FLOW_FC_MAX 32767u

struct flow_params {
    unsigned window;           /* Window */
    unsigned personal_window;  /* PersonalWindow */
    unsigned accel_window;     /* AcceleratedWindow */
    unsigned max_gap;          /* no new packets while the unstable tail
                                  is longer than this */
};

/* The upstream defaults above. */
void flow_params_default(struct flow_params *p);

/* Rule 34: new packets this daemon may send on this visit, given the
 * flow_control of the token it received:
 *   min(window, personal_window, window + personal_window - token_fc),
 * not below 0; 0 in EVS; 0 while highest_seq > global_aru + max_gap. */
unsigned flow_allowed(const struct flow_params *p, unsigned token_fc,
                      uint32_t highest_seq, uint32_t global_aru, int in_evs);

/* §4.3 step 4: the token's new flow_control after this visit:
 * token_fc - sent_prev_turn + sent_now (new + retransmitted packets of
 * this daemon's previous and current visits), kept in 0..FLOW_FC_MAX. A
 * token re-sent after a loss can make the subtraction go below 0 (the
 * previous visit's count is not on it): that clamps to 0. */
unsigned flow_update(unsigned token_fc, unsigned sent_prev_turn,
                     unsigned sent_now);

/* Rule 38: of n_new new packets, how many are broadcast after the token
 * was passed: up to accel_window on the accelerated ring, none on the
 * original ring or in EVS. The rest go before the token. */
unsigned flow_after_token(const struct flow_params *p, unsigned n_new,
                          int accelerated, int in_evs);

#endif /* COHORT_DAEMON_RING_FLOW_H */
