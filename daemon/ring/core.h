/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * core: the ordering core of the token ring for one installed membership
 * (ring.md §4 to §8): the packet window, token processing (§4.3 steps
 * 1-10), flow control, the original and the accelerated ring, hurry and
 * idle holding at the leader, token-loss detection, and the delivery
 * services (RELIABLE early, AGREED/FIFO/CAUSAL in seq order, SAFE at the
 * stable point), and EVS recovery (§9.5): after an install the core
 * keeps the old ring's packets, runs the new ring's token with window
 * zero until every member holds the old ring's packets (holes aside),
 * delivers the old ring's rest around the transitional configuration and
 * only then opens the new ring. The membership state machine (memb_sm.h)
 * decides about rings; the core reports token loss and stops.
 *
 * The core is a deterministic state machine: no sockets, no clock, no
 * logging, no randomness. Inputs are the calls below, each given the
 * current time; outputs go through struct ring_ops. The daemon decodes
 * datagrams (pkt.h) before and encodes after; a simulator runs several
 * cores in one process over a fake network (tests/unit/ringsim.c).
 *
 * Contract
 * - Time is a caller-supplied monotonic millisecond count. The core never
 *   reads a clock: after every call the caller asks ring_next_deadline()
 *   and calls ring_tick() once that time has come (calling it early or
 *   late is harmless).
 * - Ops are called synchronously from inside the input calls. They must
 *   not call back into the core, with one exception: ops.deliver may call
 *   ring_submit() (a delivery may cause new messages, e.g. a kill).
 * - Packets handed to ops (data, token, hurry) are the core's: valid only
 *   during the call; the callee encodes or copies them. Data packets are
 *   given with the transmitter set to this daemon and ROUTED cleared; the
 *   receiver of a ring broadcast in several segments is the transport's
 *   business (ring.md rule 14).
 * - Inputs are decoded and format-checked (pkt.h); the core checks what
 *   concerns the ring: ring id, configuration hash, that a token comes
 *   from the predecessor, that an originator is a member, seq bounds.
 *   Anything else is dropped silently and counted in struct ring_stats.
 * - ring_submit() copies the message. The send queue has no hard bound;
 *   ring_send_space() tells the session layer when to stop reading
 *   (ring.md rule 36).
 * - Single-threaded. One struct ring_core per daemon and ring; several
 *   may live in one process.
 */
#ifndef COHORT_DAEMON_RING_CORE_H
#define COHORT_DAEMON_RING_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "frag.h"
#include "pkt.h"
#include "sendq.h"
#include "window.h"

/* Upstream LAN defaults (ring.md §10) and constants. */
#define RING_TOKEN_TIMEOUT_MS 1250
#define RING_HURRY_TIMEOUT_MS 500
#define RING_SENDQ_HIGH 500        /* rule 36 */
#define RING_SEQ_WRAP (1u << 30)   /* rule 25 */
#define RING_IDLE_ROTATIONS 2      /* idle rotations before holding */
#define RING_RESEND_TRIPLE 2       /* from this resend count on, x3 */
#define RING_FIRST_ARU 0x7fffffff  /* aru on a new ring's first token */
/* The request list is kept within one 1472-byte datagram (rule 12). */
#define RING_RTR_MAX PKT_MAX_PAYLOAD
#define RING_EVS_MAX_ROUNDS 500    /* rule 62 */

struct ring_conf {
    uint32_t my_id;
    uint32_t hash;              /* configuration hash */
    struct pkt_mid ring_id;     /* membership id of this ring */
    unsigned n;                 /* members, 1..PKT_MAX_MEMBERS */
    uint32_t ids[PKT_MAX_MEMBERS];    /* in ring order */
    int16_t segs[PKT_MAX_MEMBERS];    /* segment index of each member */
    unsigned my_index;          /* ids[my_index] == my_id */
    unsigned leader_index;      /* normally 0: first in configuration order */
    int accelerated;            /* rules 38-40; only with an explicit
                                   AcceleratedRing = true (README D1) */
    int wide_area;              /* rule 79: re-sent tokens that cross to
                                   another segment go twice */
    struct flow_params flow;
    uint32_t token_timeout_ms;
    uint32_t hurry_timeout_ms;
    /* 0: off. A non-leader that passed the token and has not had the
     * next one for this long sends its successor a HURRY, once per
     * token. A live successor ignores it (or, as leader, releases a held
     * token, as after any HURRY); a dead one's host answers "port
     * unreachable", and that is how a daemon that died holding the
     * token (an idle leader holds it for HurryTimeout) is noticed before
     * TokenTimeout (node_unreachable). Cohort's choice: the node sets it
     * to 5/4 HurryTimeout, just past the idle rotation period. */
    uint32_t poke_ms;
    unsigned sendq_high;        /* ring_send_space() bound */
};

/* Fill everything except the membership: upstream defaults, original
 * ring. */
void ring_conf_default(struct ring_conf *c);

/* Where a data packet goes (ring.md §2 and §4.3 step 2). */
enum ring_dest {
    RING_DEST_RING = 1,         /* ring broadcast (new packets too) */
    RING_DEST_SEGMENT,          /* segment broadcast in segment `to` */
    RING_DEST_DAEMON            /* unicast to daemon id `to` */
};

/* A message delivered in order. `bytes` are the serialised message
 * (pkt.h: 48-byte header, group names, data), valid during the call. */
struct ring_delivery {
    const unsigned char *bytes;
    size_t len;
    uint32_t seq;               /* seq of its last packet (rule 26) */
    uint32_t originator;        /* daemon id */
    uint32_t service;           /* its packet's PKT_RELIABLE .. PKT_SAFE;
                                   FIFO and AGREED messages share packets
                                   (rule 45), so either may show the
                                   other: the message header has the
                                   client's own service */
    int early;                  /* out of seq order: on receipt (rule
                                   27), or at the start of EVS step 1
                                   (RELIABLE, rule 60; see evs.c) */
};

struct ring_ops {
    void (*send_data)(void *ctx, enum ring_dest how, uint32_t to,
                      const struct pkt_data *d);
    /* `copies`: 1, 2 (a new ring's first token) or 3 (resend >= 2). */
    void (*send_token)(void *ctx, uint32_t to, const struct pkt_token *t,
                       unsigned copies);
    void (*send_hurry)(void *ctx, uint32_t to, const struct pkt_head *h);
    void (*deliver)(void *ctx, const struct ring_delivery *m);
    /* TokenTimeout passed without a token or own-ring data (rule 24).
     * The core stops: no tokens are processed and nothing is delivered
     * any more; the membership layer takes over. Also after more than
     * RING_EVS_MAX_ROUNDS tokens in EVS (rule 62). */
    void (*token_lost)(void *ctx);
    /* EVS recovery (rule 60), both optional: evs_trans comes where the
     * transitional configuration belongs in the order (after step 1's
     * deliveries, before step 3's); evs_done when the new regular
     * configuration is installed (the core is in RING_OP again). */
    void (*evs_trans)(void *ctx);
    void (*evs_done)(void *ctx);
};

enum ring_state {
    RING_NEW = 0,               /* initialised, not started */
    RING_OP,                    /* normal operation */
    RING_LOST,                  /* token lost or ring stopped: waiting
                                   for the membership */
    RING_EVS                    /* installed ring in EVS recovery */
};

struct ring_stats {
    uint64_t tokens_processed;
    uint64_t tokens_dropped;    /* duplicates, stale rounds, strangers */
    uint64_t tokens_resent;     /* re-sends (hurry, answers to re-sends) */
    uint64_t pokes;             /* HURRYs to the successor (conf.poke_ms) */
    uint64_t data_sent;         /* new packets */
    uint64_t retrans_sent;
    uint64_t data_received;     /* stored in the window */
    uint64_t data_dropped;      /* duplicates, out of window, strangers */
    uint64_t requests_made;     /* seqs put in own request blocks */
    uint64_t delivered;
    uint64_t holds;             /* idle holds at the leader */
    uint64_t reasm_errors;      /* fragment sequence violations */
    uint64_t evs_dropped;       /* old-ring messages dropped by rule 60.3 */
};

/* The ring whose packets EVS recovery carries into the next
 * configuration (ring.md §9.5): moved out of the core's current-ring
 * fields by ring_install(), kept when EVS backs out (rule 61). */
struct ring_old {
    int valid;
    struct pkt_mid ring_id;
    struct window win;
    struct frag_reasm *reasm;
    uint32_t global_aru;
    uint32_t last_delivered;
};

/* The EVS attempt under way (from the install record). */
struct ring_evs {
    uint32_t marker;            /* FORM seq marker: my_aru once committed */
    uint32_t old_highest;       /* nothing above it is delivered */
    int32_t *holes;             /* ascending; will never arrive */
    uint32_t nholes;
    unsigned ncommit;           /* future commit set */
    uint32_t commit[PKT_MAX_MEMBERS];
    int committed;              /* rule 60: holds all but the holes */
    unsigned nkept;             /* commit set adopted and not finished
                                   (rules 61, 63): reported by query */
    uint32_t kept[PKT_MAX_MEMBERS];
    unsigned rounds;            /* tokens processed in EVS (rule 62) */
};

/* What ring_install() needs besides the new ring's conf (memb_sm.h's
 * struct msm_install, reduced). */
struct ring_install_rec {
    struct pkt_mid old_ring;    /* must be what ring_query() reported */
    uint32_t seq_marker;
    uint32_t old_aru;           /* stable in the old ring: delivered now */
    uint32_t old_highest;
    const int32_t *holes;       /* ascending */
    uint32_t nholes;
    const uint32_t *commit;
    unsigned ncommit;
    int last;                   /* this daemon makes the first token */
};

/* The ring record of ring_query(): the ring whose packets the core
 * holds (the old ring during and after an EVS attempt). */
struct ring_record {
    struct pkt_mid ring_id;
    uint32_t aru, my_aru, highest;
    uint32_t nmissing;          /* seqs written to the caller's array */
    const uint32_t *commit;     /* kept commit set (rule 61) */
    unsigned ncommit;
};


struct ring_core {
    struct ring_conf conf;
    struct ring_ops ops;
    void *ctx;
    enum ring_state state;

    struct window win;
    struct sendq q;
    uint32_t global_aru;        /* every seq <= it is held by all members */
    uint32_t last_delivered;
    int early_reliable;         /* rule 27 on (rule 32 turns it off) */
    struct frag_reasm *reasm;   /* per-originator reassembly */

    /* Token: the round stamp and resend count of the last token this
     * daemon accepted or produced, and that token itself (header only:
     * re-sent tokens carry no request list, README D4). */
    unsigned stamp, resend;
    int have_last;
    struct pkt_token last;
    uint32_t prev_aru;          /* aru of the token sent one turn earlier */
    int have_prev_aru;
    unsigned sent_prev_turn;    /* new + retransmitted, previous visit */
    uint32_t prev_token_seq;    /* seq on the token sent last visit */
    uint32_t rounds;            /* tokens processed in this ring */
    unsigned idle_rotations;    /* leader: idle rotations in a row */
    int holding;                /* leader: holding the last token */
    int looked_idle;            /* last token processed was idle */
    unsigned char rtr_buf[RING_RTR_MAX];

    uint64_t token_deadline;    /* 0: not armed */
    uint64_t hurry_deadline;    /* leader only; 0: not armed */
    uint64_t poke_deadline;     /* non-leader: conf.poke_ms; 0: not armed */

    struct ring_old old;
    struct ring_evs evs;

    struct ring_stats stats;
};

/* Set up for conf's ring (copied) in state RING_NEW. Returns 0,
 * -EINVAL (inconsistent conf: ids not unique or reserved, indexes out of
 * range, HurryTimeout not below TokenTimeout) or -ENOMEM. */
int ring_core_init(struct ring_core *r, const struct ring_conf *conf,
                   const struct ring_ops *ops, void *ctx);
/* Frees the window, the send queue and reassembly buffers. */
void ring_core_fini(struct ring_core *r);

/* Enter RING_OP at `now`: arm the token-loss timer; the last member in
 * ring order sends the ring's first token (seq 0, aru RING_FIRST_ARU,
 * setter none, round 0) twice to the leader, as the FORM2 holder does
 * upstream (README section 5). */
void ring_start(struct ring_core *r, uint64_t now);

/* Inputs. Each returns 0, or -ENOMEM when a packet could not be stored
 * (the ring then recovers it like a loss). ring_data_receive() returns 1
 * for a data packet of another ring (foreign, rule 18): not stored, for
 * the membership layer. */
int ring_token_receive(struct ring_core *r, const struct pkt_token *t,
                       uint64_t now);
int ring_data_receive(struct ring_core *r, const struct pkt_data *d,
                      uint64_t now);
void ring_hurry_receive(struct ring_core *r, const struct pkt_head *h,
                        uint64_t now);
void ring_tick(struct ring_core *r, uint64_t now);

/* The next time ring_tick() has something to do, or UINT64_MAX. */
uint64_t ring_next_deadline(const struct ring_core *r);

/* Queue a serialised message (48 <= len <= PKT_MAX_MSG_LEN) for
 * broadcast with packet service `service` (one of PKT_RELIABLE, PKT_FIFO,
 * PKT_AGREED, PKT_SAFE). Returns 0, -EINVAL or -ENOMEM. A non-leader
 * whose ring looked idle sends a HURRY to the leader; a holding leader
 * releases the token (rule 23). */
int ring_submit(struct ring_core *r, const unsigned char *msg, size_t len,
                uint32_t service, uint64_t now);

/* Messages the send queue takes before the session layer must stop
 * reading from clients (rule 36): conf.sendq_high - queued, or 0. */
unsigned ring_send_space(const struct ring_core *r);

/* Rule 32: early RELIABLE delivery on or off (off during the group state
 * exchange). On by default. EVS recovery delivers the old ring's held
 * RELIABLE single-packet messages before the transitional signal either
 * way, as every member of it must (ring.md §14 item 3). */
void ring_set_early_reliable(struct ring_core *r, int on);

/* ---- membership changes (ring.md §9.4, §9.5) ---------------------------- */

/* Stop the ring (msm went to FORM or SEG): no more tokens, no new seqs,
 * no delivery; packets of the ring are still stored for recovery. */
void ring_stop(struct ring_core *r);

/* Install the new ring `conf` (rule 58) at `now`: the current ring's
 * packets become the old ring's (unless an EVS attempt for that old ring
 * backed out before, whose old ring is kept), packets stable there are
 * delivered (old configuration), the ring enters RING_EVS and, if
 * in->last, the first token goes out. Returns 0, -EINVAL (conf) or
 * -ENOMEM (the core is then RING_LOST). */
int ring_install(struct ring_core *r, const struct ring_conf *conf,
                 const struct ring_install_rec *in, uint64_t now);

/* This daemon's record of the ring whose packets it holds (rules 56,
 * 57): missing seqs in (my_aru, highest] go to missing[0..max). */
void ring_query(const struct ring_core *r, struct ring_record *out,
                int32_t *missing, uint32_t max);

static inline int ring_is_leader(const struct ring_core *r)
{
    return r->conf.my_index == r->conf.leader_index;
}

#endif /* COHORT_DAEMON_RING_CORE_H */
