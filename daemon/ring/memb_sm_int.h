/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * memb_sm_int: what memb_sm.c (states, timers, ALIVE/JOIN/REFER) and
 * memb_form.c (FORM1/FORM2 tokens and ring records) share. Not for other
 * modules.
 */
#ifndef COHORT_DAEMON_RING_MEMB_SM_INT_H
#define COHORT_DAEMON_RING_MEMB_SM_INT_H

#include "memb_sm.h"

/* FORM seq marker: above every old seq by this much (ring.md rule 56). */
#define MSM_SEQ_MARGIN 3333

/* Holes of all ring records on one token. The token must fit one UDP
 * datagram: 40 + 516 + 204 + 4 + 20 * (28 + 4 * 128) = 11564 bytes
 * without holes leaves room for 13485 of them. */
#define MSM_MAX_HOLES ((PKT_MAX_DATAGRAM - 11564) / 4)

struct msm_form_work {
    int in_attempt;              /* FORM1 (or the singleton's FORM2) done */
    struct pkt_mid attempt;
    int16_t seen_visited;        /* the FORM1 last processed, as received */
    int16_t seen_pending;
    int16_t seen_cursor;
    int seen_valid;
    int form2_done;
    struct pkt_mid old_ring;     /* my record's ring id in this attempt */
    enum msm_state before;       /* state when this daemon joined it */
    int before_alive;
    int have_stale;              /* the last attempt given up or finished */
    struct pkt_mid stale;
    struct pkt_form tok;         /* token being processed; its holes are
                                    in pool, record after record */
    int32_t *pool;               /* MSM_MAX_HOLES each */
    int32_t *tmp;
    uint32_t trans_sorted[PKT_MAX_MEMBERS];
};

/* memb_sm.c */
void msm_set_state(struct msm *m, enum msm_state to, const char *reason,
                   uint64_t now);
void msm_go_seg(struct msm *m, uint64_t now, const char *reason);
int32_t msm_fresh_time(struct msm *m, uint64_t now);
int msm_cfg_index(const struct msm *m, uint32_t id);
int msm_rep_cmp(const struct msm *m, const struct pkt_rep *a,
                const struct pkt_rep *b);
int msm_ids_has(const uint32_t *ids, unsigned n, uint32_t id);
void msm_send_out(struct msm *m, enum msm_dest how, uint32_t to,
                  unsigned copies);

/* memb_form.c */
int msmf_init(struct msm *m);
void msmf_fini(struct msm *m);
/* GatherTimeout at the smallest representative: create FORM1. */
void msmf_create(struct msm *m, uint64_t now);
int msmf_form1(struct msm *m, const struct pkt_form *f, uint64_t now);
int msmf_form2(struct msm *m, const struct pkt_form *f, uint64_t now);
/* Token loss: the current attempt (if any) is given up for good. */
void msmf_abandon(struct msm *m);
/* EVS finished: the attempt is over. */
void msmf_finish(struct msm *m);
/* Daemon `id` is on the FORM token of the attempt I am in. */
int msmf_in_attempt(const struct msm *m, uint32_t id);

/* memb_fast.c: what the fast membership knows (memb_sm.h, conf.fast).
 * The msmq_*_settled/ready answers are 0 without conf.fast. */
int msmq_suspect(const struct msm *m, int cfg_index, uint64_t now);
/* Returns the daemon's configuration index, or -1 (unknown, myself). */
int msmq_mark_unreachable(struct msm *m, uint32_t id, uint64_t now);
void msmq_seg_reset(struct msm *m);
/* In SEG: `from` listed these daemons (its ALIVE, or its JOIN as a
 * segment representative). */
void msmq_seg_said(struct msm *m, uint32_t from, const uint32_t *ids,
                   unsigned n);
int msmq_seg_settled(const struct msm *m, uint64_t now);
void msmq_gather_reset(struct msm *m, uint64_t now);
void msmq_gather_join(struct msm *m, const struct pkt_memb *j);
/* GATHER: configured daemons neither heard of nor unreachable, into ids
 * (room for PKT_MAX_MEMBERS); their count. */
unsigned msmq_gather_unheard(const struct msm *m, uint64_t now,
                             uint32_t *ids);
/* I am the smallest representative: may I create FORM1 now? */
int msmq_gather_ready(const struct msm *m, uint64_t now);

static inline int msm_mid_eq(struct pkt_mid a, struct pkt_mid b)
{
    return a.id == b.id && a.time == b.time;
}

#endif /* COHORT_DAEMON_RING_MEMB_SM_INT_H */
