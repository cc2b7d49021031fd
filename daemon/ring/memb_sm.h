/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * memb_sm: the membership state machine of the ring (ring.md §9, §10,
 * §12; the captures' README sections 5 and 6 win where they differ):
 * token loss, SEG / REPRESENTED, GATHER (as a segment representative or
 * as a ring leader with the token alive), ALIVE / JOIN / REFER, the FORM1
 * token with its ring records (holes, transitional and commit sets), the
 * FORM2 token that installs the new ring, and the leader's lookup for
 * missing daemons. It owns the membership state of one daemon; the
 * ordering core (core.h) owns tokens, packets and EVS recovery.
 *
 * Contract
 * - Deterministic and pure: no sockets, no clock, no logging, no
 *   randomness. Every input carries `now`, the caller's monotonic clock in
 *   milliseconds; after every call the caller asks msm_next_deadline() and
 *   calls msm_tick() once that time has come (early or late is harmless).
 *   Membership ids need a wall clock in seconds: it is computed as
 *   (now + conf.wall_offset_ms) / 1000, so the caller sets the offset
 *   (realtime - monotonic at start-up) once.
 * - Outputs go through struct msm_ops, synchronously from inside the input
 *   calls. Ops must not call back into the state machine. Everything an op
 *   receives by pointer is valid only during the call.
 * - Inputs are decoded datagrams (pkt.h). msm_receive() checks what
 *   concerns membership (kind, sender known and not this daemon for
 *   ALIVE/JOIN/REFER, expected next hop and attempt for FORM tokens);
 *   it assumes the caller already dropped datagrams with a foreign
 *   configuration hash or a sender that is not configured (ring.md §1.4).
 * - FORM tokens addressed to this daemon itself (a daemon alone sends
 *   FORM2 to itself; the last representative may be the first member)
 *   MUST come back through msm_receive(): upstream sends them over the
 *   loopback and so does this module. JOINs a daemon unicasts to itself
 *   (README D2) are ignored on receipt.
 * - FORM tokens are sent with copies = 2 (README section 5); ALIVE, JOIN
 *   and REFER with copies = 1; a forwarded foreign data packet with 2.
 * - Bounds (ring.md §10): at most PKT_MAX_MEMBERS members, PKT_MAX_REPS
 *   representatives and PKT_MAX_RINGS ring records on a FORM token, and a
 *   token that fits one datagram; a daemon whose ring record would not
 *   fit removes itself from the attempt and starts over from SEG.
 * - The ordering core's part: report token loss (msm_token_loss()), the
 *   first token of the ring announced by ops.install (msm_ring_token())
 *   and the end of EVS (msm_evs_done()); hand foreign data to
 *   msm_foreign(); answer ops.query. On ops.state_changed to FORM it stops
 *   the old ring (no more tokens, no new seqs); to SEG it blocks delivery.
 * - Single-threaded; one struct msm per daemon, several may live in one
 *   process (tests run many against each other).
 */
#ifndef COHORT_DAEMON_RING_MEMB_SM_H
#define COHORT_DAEMON_RING_MEMB_SM_H

#include <stdint.h>

#include "pkt.h"

struct conf;

/* States, with upstream's numbers (ring.md §9.1). */
enum msm_state {
    MSM_OP = 1,            /* normal operation, token alive */
    MSM_SEG = 2,           /* token lost: who is alive in my segment? */
    MSM_REPRESENTED = 3,   /* a daemon of my segment represents me */
    MSM_GATHER = 4,        /* representative collecting representatives */
    MSM_FORM = 5,          /* FORM token processed: waiting for the ring */
    MSM_EVS = 6            /* new ring's token alive: EVS recovery runs */
};

const char *msm_state_name(enum msm_state s);

/* Membership timeouts (ring.md §10); TokenTimeout and HurryTimeout
 * belong to the ordering core. */
enum msm_timeout {
    MSM_TO_ALIVE = 0, MSM_TO_JOIN, MSM_TO_REP, MSM_TO_SEG, MSM_TO_GATHER,
    MSM_TO_FORM, MSM_TO_LOOKUP, MSM_TO_COUNT
};

struct msm_conf {
    uint32_t my_id;
    uint32_t hash;                       /* configuration hash */
    unsigned n;                          /* configured daemons, 1..128 */
    uint32_t ids[PKT_MAX_MEMBERS];       /* in configuration order */
    int16_t segs[PKT_MAX_MEMBERS];       /* segment index of each */
    uint32_t timeout_ms[MSM_TO_COUNT];
    int64_t wall_offset_ms;              /* wall clock ms = now + this */
    /* Cohort's faster membership (memb_fast.c): end SEG and GATHER as
     * soon as everyone heard agrees, use unreachable daemons, probe for
     * missing ones. 0: exactly upstream's timing (the capture replays). */
    int fast;
    int seg_unicast;                     /* my segment is sent as unicast */
};

/* LAN defaults (one segment) or WAN defaults (several segments or
 * WideAreaNetwork = true), ring.md §10. */
void msm_timeouts_default(struct msm_conf *c, int wide_area);

/* Fill c from a parsed configuration (daemons, segments, hash, the
 * effective timeouts) for the daemon with id my_id. Returns 0, or
 * -ENOENT when my_id is not configured. wall_offset_ms is left 0. */
int msm_conf_from(struct msm_conf *c, const struct conf *conf,
                  uint32_t my_id);

/* Where a datagram goes. Port P for ALIVE, JOIN, REFER and data, P+1 for
 * FORM tokens (pkt_kind_on_token_port()). */
enum msm_dest {
    MSM_DEST_SEGMENT = 1,  /* broadcast in this daemon's segment */
    MSM_DEST_DAEMON        /* unicast to daemon `to` (may be this one) */
};

/* What the ordering core knows about the ring whose packets it holds
 * ("my old ring"), filled by ops.query when a FORM1 token needs this
 * daemon's ring record (ring.md rules 56, 57). */
struct msm_ring_state {
    struct pkt_mid ring_id;      /* (my id, -1) before any ring */
    int32_t aru;                 /* that ring's stable point known here */
    int32_t my_aru;              /* own contiguous reception point */
    int32_t highest_seq;         /* highest seq known in that ring */
    const int32_t *missing;      /* ascending seqs in (my_aru,highest_seq]
                                    this daemon does not hold */
    uint32_t nmissing;
    const uint32_t *commit;      /* commit set kept from a committed but
                                    unfinished attempt (rules 61, 63) */
    unsigned ncommit;
};

/* The new ring, given to the core when this daemon processes FORM2
 * (rule 58). The core sets the ring up for EVS recovery (§9.5); the last
 * member creates the first regular token. */
struct msm_install {
    struct pkt_mid ring_id;      /* new membership id */
    struct pkt_mid attempt;      /* the FORM tokens' attempt id */
    int32_t seq_marker;          /* above every old seq (commit point) */
    unsigned n;                  /* members in ring (= configuration) order */
    const uint32_t *ids;
    const int16_t *segs;
    unsigned my_index;
    int last;                    /* this daemon makes the first token */
    /* This daemon's old ring, as recorded on the token. */
    struct pkt_mid old_ring;
    int32_t old_aru;             /* deliverable at once (stable) */
    int32_t old_highest;
    const int32_t *holes;        /* ascending: will never arrive */
    uint32_t nholes;
    struct pkt_mid trans_id;     /* transitional configuration id */
    const uint32_t *trans;       /* transitional set, configuration order */
    unsigned ntrans;
    const uint32_t *commit;      /* commit set: the transitional set first */
    unsigned ncommit;
};

struct msm_ops {
    /* Send p (ALIVE, JOIN, REFER, FORM1, FORM2, or a forwarded DATA
     * packet) `copies` times. */
    void (*send)(void *ctx, enum msm_dest how, uint32_t to,
                 const struct pkt *p, unsigned copies);
    /* Fill *out; its pointers must stay valid until the msm call that
     * asked returns. */
    void (*query)(void *ctx, struct msm_ring_state *out);
    void (*install)(void *ctx, const struct msm_install *in);
    /* Every state change, also re-entries (GATHER restarted, FORM2
     * processed); the one place to log `from -> to (reason)`. On FORM the
     * core stops the old ring's tokens; on SEG it blocks delivery. */
    void (*state_changed)(void *ctx, enum msm_state from, enum msm_state to,
                          const char *reason);
};

struct msm_stats {
    uint64_t ignored;            /* inputs that did not apply */
    uint64_t forms_created;      /* FORM1 tokens created */
    uint64_t forms_left;         /* attempts left: no room for my record */
    uint64_t installs;
    uint64_t token_losses;
};

/* Timers, fired in this order when due at the same instant: the ones
 * that change state first, then the repetitions. */
enum msm_timer {
    MSM_T_SEG = 0, MSM_T_REP, MSM_T_GATHER, MSM_T_FORM, MSM_T_LOOKUP,
    MSM_T_ALIVE, MSM_T_JOIN, MSM_T_PROBE, MSM_T_COUNT
};

struct msm_form_work;            /* memb_form.c */

/* A set of configured daemons, by configuration index. */
struct msm_set {
    uint64_t w[(PKT_MAX_MEMBERS + 63) / 64];
};

/* What the fast membership knows of each configured daemon
 * (memb_fast.c), by configuration index. */
struct msm_fast {
    uint64_t suspect_until[PKT_MAX_MEMBERS]; /* unreachable; 0: no */
    struct msm_set said;         /* SEG: an ALIVE (or a segment
                                    representative's JOIN) came */
    struct msm_set said_joined;  /* GATHER: a JOIN came since entry */
    struct msm_set heard[PKT_MAX_MEMBERS];   /* SEG: its ALIVE's list */
    struct msm_set reps_of[PKT_MAX_MEMBERS]; /* GATHER: its JOIN's reps */
    struct msm_set members_of[PKT_MAX_MEMBERS]; /* GATHER: JOIN's members */
    uint64_t gather_since;       /* GATHER entered */
    int seg_settled;             /* the last SEG ended settled, not by
                                    SegTimeout */
    int seg_from_ring;           /* ... and began with the loss of a
                                    running ring (all its reachable
                                    members lost it with me) */
    unsigned nsuspects;
};

struct msm {
    struct msm_conf conf;
    struct msm_ops ops;
    void *ctx;
    unsigned my_index;           /* in conf.ids */
    int16_t my_seg;
    unsigned seg_size;           /* configured daemons in my segment */

    enum msm_state state;
    int token_alive;             /* GATHER: as ring leader, ring running */
    int32_t last_time;           /* last membership-id time used */

    /* The installed ring (a singleton pseudo-ring at start). */
    struct pkt_mid ring_id;
    unsigned ring_n;
    uint32_t ring_ids[PKT_MAX_MEMBERS];
    /* The ring announced by install, until msm_evs_done(). */
    struct pkt_mid next_id;
    unsigned next_n;
    uint32_t next_ids[PKT_MAX_MEMBERS];
    int16_t next_segs[PKT_MAX_MEMBERS];
    int foreign_forwarded;       /* rule 65: first foreign packet only */

    /* SEG: daemons heard (me first); GATHER as segment representative:
     * the daemons I represent. */
    unsigned nmembers;
    uint32_t members[PKT_MAX_MEMBERS];
    uint32_t my_rep;             /* REPRESENTED */
    unsigned nseg_reps;          /* SEG: representatives of my segment */
    uint32_t seg_reps[PKT_MAX_MEMBERS];
    /* GATHER: representatives (me first) and the daemons every JOIN is
     * unicast to (potential representatives, README D2). */
    struct pkt_reps reps;
    unsigned ncontacts;
    uint32_t contacts[PKT_MAX_MEMBERS];
    unsigned char contact_guess[PKT_MAX_MEMBERS]; /* rule 49's guess */

    uint64_t due[MSM_T_COUNT];   /* 0: not armed */

    struct msm_form_work *fw;    /* FORM attempt state and buffers */
    struct pkt *out;             /* scratch for sends */
    char why[80];                /* reason text with ids in it */
    int16_t join_cursor;         /* segment representative's JOIN cursor */
    unsigned n_segments;         /* segments with configured daemons */
    struct msm_fast fast;
    struct msm_stats stats;
};

/* Set up (state SEG not yet entered: call msm_start()). Returns 0,
 * -EINVAL (conf inconsistent, my_id not configured, ops missing) or
 * -ENOMEM. */
int msm_init(struct msm *m, const struct msm_conf *conf,
             const struct msm_ops *ops, void *ctx);
void msm_fini(struct msm *m);

/* A starting daemon enters SEG at once (rule 49). Its first membership
 * id is at least a second past `now`'s (see memb_sm.c). */
void msm_start(struct msm *m, uint64_t now);

/* The core declares token loss (rules 24, 48: TokenTimeout, EVS round
 * limit, seq wrap). Any state goes to SEG. */
void msm_token_loss(struct msm *m, uint64_t now, const char *reason);

/* The core accepted a regular token of the ring announced by install:
 * FORM -> EVS. */
void msm_ring_token(struct msm *m, uint64_t now);

/* EVS recovery finished and the ring is installed: EVS -> OP; the
 * leader arms its lookup. */
void msm_evs_done(struct msm *m, uint64_t now);

/* ALIVE, JOIN, REFER, FORM1 or FORM2 (other kinds are ignored). Returns
 * 0 if the packet was used, 1 if ignored. */
int msm_receive(struct msm *m, const struct pkt *p, uint64_t now);

/* A data packet or token of another ring (rule 18, §9.6): the leader in
 * OP starts a lookup; a non-leader that leads its segment forwards the
 * first foreign data packet to its leader. */
void msm_foreign(struct msm *m, const struct pkt *p, uint64_t now);

void msm_tick(struct msm *m, uint64_t now);

/* A datagram this daemon sent to daemon `id` came back undeliverable
 * (ICMP port unreachable: nothing listens there, the process is gone).
 * With conf.fast, a member of the ring (or of the ring being formed)
 * means token loss at once, and the daemon is not waited for in SEG and
 * GATHER until it is heard from again (or for a LookupTimeout).
 * Ignored without conf.fast. */
void msm_unreachable(struct msm *m, uint32_t id, uint64_t now);

/* A valid datagram came from daemon `id` (the caller checked hash and
 * sender): it is no longer taken for unreachable. Cheap when no daemon
 * is. */
void msm_heard(struct msm *m, uint32_t id);

/* The earliest armed timer, or UINT64_MAX. */
uint64_t msm_next_deadline(const struct msm *m);

static inline enum msm_state msm_state(const struct msm *m)
{
    return m->state;
}

/* 1 when the (old or new) ring's token circulates: OP, EVS, and GATHER
 * as a ring leader. */
int msm_token_alive(const struct msm *m);

/* 1 if this daemon is the first member (leader) of the installed ring. */
int msm_is_leader(const struct msm *m);

#endif /* COHORT_DAEMON_RING_MEMB_SM_H */
