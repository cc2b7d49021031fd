/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * deliver: what happens when order hands back a request. Applies joins,
 * leaves and kills to the group table, builds the membership notices
 * (memb.c) and fans data and notices out to local sessions.
 *
 * Contract
 * - deliver_request()/deliver_view() are order's callbacks; nothing else
 *   changes the group table.
 * - Fan-out (client-protocol.md §7.1): a destination starting with '#' is
 *   a private group and reaches the session of that name on this daemon;
 *   any other name reaches the group's local members; each session gets at
 *   most one copy per message (a per-message serial stamped on the
 *   session); SELF_DISCARD keeps the sender out; the membership flag does
 *   not matter for data. One shared msg for all receivers.
 * - Membership notices go only to sessions with the membership flag, in
 *   the order of client-protocol.md §10 (the leaver's self-leave notice
 *   before the others' CAUSED_BY_LEAVE view).
 * - Client data never carries REJECT_MESS here: sess_io.c clears it.
 * - Daemon configuration changes (ring.md §11.2, client-protocol.md §10):
 *   a regular view without some daemons of the previous one removes their
 *   members; every group that had some is shown, in name order, a
 *   TRANSITION_MESS with its old id, then a REG_MEMB_MESS |
 *   CAUSED_BY_NETWORK with the new member list, the new id (the view's,
 *   index 1) and its virtual-synchrony sets (groups_vs_sets: by the
 *   configuration in which each member last synchronised), each receiver
 *   told which set is its own. Groups without such members see nothing.
 * - The TRANSITION_MESS goes out when the transitional configuration is
 *   delivered (ring.md rule 71), at that point of the order: the messages
 *   of the old view that follow it form its transitional part. A join,
 *   leave or disconnect in a changed group during that part shows an
 *   unsettled NETWORK view (rule 74): the transitional configuration's id,
 *   members whose daemon is not in it in sets of their own, a joiner in a
 *   set of its own at the end; immediately followed by a TRANSITION_MESS
 *   with that id. Other groups see joins and leaves as usual.
 * - Group-state exchange (ring.md §11.3, rules 73 and 76-78): a regular
 *   configuration with daemons this one is not synchronised with starts
 *   it. The first daemon of each synced set hands its table, as GROUPS
 *   messages (gstate.h), to d->submit (ORDER_STATE requests); they come
 *   back in order like any request. When every daemon of the
 *   configuration is represented, the states are merged and the changed
 *   groups shown their NETWORK views: with a TRANSITION_MESS before only
 *   where members were lost; nothing for a group whose members all come
 *   from one side. If the configuration changes again first, the
 *   exchange goes on through the transitional part (completing there, it
 *   only signals the groups to be reported) and is given up at the next
 *   regular configuration, which starts its own.
 * - Client requests delivered while an exchange runs are held and
 *   applied in order once it ends (completed or given up), after the
 *   views it causes. The ordering layer is expected to hold client
 *   traffic during the exchange (rule 77), so normally none arrive.
 * - Until an exchange's merged views are shown (or, if it is given up
 *   or completes in the transitional part, until the next regular
 *   configuration), each side's clients are in their own side's views:
 *   a data message of a client of a daemon outside the generation of a
 *   group's view (gens below), held or not, is not given to the group's
 *   local members (§15 properties 6, 9, 14); its own side delivers it.
 *   Joins, leaves and kills apply as usual; a view shown from the
 *   common table is the same on every side of it, and data to that
 *   group is delivered again.
 * - An exchange given up, or completed in the transitional part, leaves
 *   each side's memberships synchronised under keys of their own (made
 *   up from the old key, the side's first daemon and the configuration's
 *   time, marked so as never to equal a configuration's key), so that
 *   its clients are not put in one virtual-synchrony set with clients
 *   of daemons that did not deliver the same.
 * - With one daemon (order.c today) the regular configuration is always
 *   the synced set: no exchange, no GROUPS message.
 * - Phases (deliver_set_phase is their only writer): "settled" (groups
 *   agree with the regular configuration), "transitional" (a transitional
 *   configuration was delivered, the regular one is due), "exchange"
 *   (regular configuration delivered, group states being exchanged).
 *
 * Wiring for several daemons (main.c): deliver_set_daemons() with the
 * configuration's daemons, submit = deliver_order_submit with
 * submit_ctx = the struct order, and deliver_fini() at exit.
 */
#ifndef COHORT_DAEMON_DELIVER_H
#define COHORT_DAEMON_DELIVER_H

#include <stdint.h>

#include "groups.h"
#include "gstate.h"
#include "log.h"
#include "order.h"

struct sessions;
struct log;

/* Group limits (spread.conf MaxGroups, MaxSessionGroups, MaxGroupMembers),
 * checked when a join is delivered: the same decision on every daemon,
 * since all of them see the same joins in the same order. A refused join
 * changes nothing; its sender, when it is a session of this daemon, gets a
 * reject notice (client-protocol.md §8.5: JOIN_MESS | REJECT_MESS with the
 * group and its own name); the refusal is logged, at most once a second. */
struct deliver_limits {
    unsigned max_groups;           /* groups in total */
    unsigned max_member_groups;    /* groups one member (session) is in */
    unsigned max_group_members;    /* members of one group */
};

#define DELIVER_MAX_GROUPS 1000000u
#define DELIVER_MAX_MEMBER_GROUPS 100000u
#define DELIVER_MAX_GROUP_MEMBERS 10000u

/* A set of daemon indexes (configuration order). */
struct deliver_dset {
    unsigned char in[ORDER_MAX_DAEMONS];
};

enum deliver_phase {
    DELIVER_SETTLED = 0,
    DELIVER_TRANS,
    DELIVER_EXCHANGE
};

struct deliver {
    struct groups *gs;
    struct sessions *ss;
    struct log *log;
    int my_index;
    uint64_t serial;           /* fan-out stamp source */
    void (*on_view)(void *ctx, const struct order_view *v);
    void *on_view_ctx;
    struct deliver_limits limits;  /* deliver_init sets the defaults */
    struct log_limit refuse_limit; /* lines about refused joins */
    struct order_view conf;    /* current regular configuration; no
                                * members before the first */
    enum deliver_phase phase;
    struct order_view trans;   /* the transitional configuration, while
                                * phase is DELIVER_TRANS */
    struct deliver_dset synced;    /* daemons whose group state this one
                                    * shares: the regular configuration
                                    * once settled, cut down by each
                                    * transitional one */
    struct gstate_dir dir;     /* the configured daemons (ids, names) */
    int (*submit)(void *ctx, const struct order_req *r);
    void *submit_ctx;          /* where GROUPS messages go (order); the
                                * msg reference moves to the callee */
    size_t chunk;              /* GROUPS body bytes: GSTATE_CHUNK */
    struct gstate_xchg xchg;   /* the running exchange */
    struct deliver_dset *gens; /* view generations since the last
                                * settled configuration: an exchange
                                * that completes in a transitional part
                                * merges the tables, not the views, and
                                * starts the next one. gens[k]: the
                                * synced set of generation k, cut down
                                * by each transitional configuration
                                * since; the last is `synced`; none:
                                * every view is common with `synced`. A
                                * view of a group shown in generation k
                                * (group.vgen) is common with gens[k] */
    size_t n_gens, cap_gens;
    int own_table;             /* while a given-up exchange's held
                                * requests are applied: the table is this
                                * synced set's alone, so a view shown
                                * from it keeps GROUP_SPLIT (its
                                * generation says with whom it is
                                * common) */
    int split;                 /* from an exchange's start to its merged
                                * views (or the next regular
                                * configuration): clients outside the
                                * generation of a group's view are in
                                * other views of it */
    struct order_req *held;    /* requests held during the exchange */
    size_t n_held, cap_held;
    struct log_limit bad_limit;    /* lines about refused daemon input */
    uint64_t n_data, n_memb, n_nomem, n_refused;
    uint64_t n_network;        /* NETWORK views built (one per own set) */
    uint64_t n_bad;            /* daemon messages refused */
    uint64_t n_held_total;     /* requests held by exchanges */
    uint64_t n_split_dropped;  /* requests made in other group views */
};

void deliver_init(struct deliver *d, struct groups *gs, struct sessions *ss,
                  struct log *log, int my_index);

/* Drops a running exchange and held requests. */
void deliver_fini(struct deliver *d);

/* The configuration's daemons by index (kept by pointer: they must live
 * as long as d; the configuration does). */
void deliver_set_daemons(struct deliver *d, const struct gstate_daemon *v,
                         int n);

/* d->submit for an order instance (ctx = struct order *). */
int deliver_order_submit(void *ctx, const struct order_req *r);

void deliver_request(void *ctx, const struct order_req *req);
void deliver_view(void *ctx, const struct order_view *view);

#endif /* COHORT_DAEMON_DELIVER_H */
