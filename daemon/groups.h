/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * groups: the group table of the whole configuration. Owns groups, their
 * member lists, their group ids, and the index of members by private
 * group name (so a disconnect, local or remote, finds every group of the
 * member without scanning the table).
 *
 * Contract
 * - Pure state: no I/O, no logging. Only the ordered-delivery path
 *   (deliver.c from order's callback, and the merge of gstate.c that it
 *   calls) may call the mutators, so every daemon applies the same
 *   changes at the same point of the total order.
 * - A member is identified by its private group name ("#name#daemon",
 *   NUL-padded 32 bytes) and its daemon's configuration index. Local
 *   members also carry an opaque pointer to their session.
 * - Member lists are kept sorted: daemon index (configuration order), then
 *   strcmp of the names (client-protocol.md §8.2).
 * - Group id = (daemon view id, view time, index) (ring.md rule 70). A
 *   new group starts at index 1; every join, leave and disconnect adds 1.
 *   A network change that clients see gives the group a new id
 *   (groups_restamp): the new daemon view's id with index 1, or, for the
 *   views shown while a change is unsettled (rule 74), the transitional
 *   configuration's id with the index counting on. A group is destroyed
 *   by groups_reap() when empty. Every view of a group has an id of its
 *   own (client-protocol.md §15), also across a re-creation within one
 *   daemon view: a destroyed group leaves a tombstone (its name and last
 *   index), and a group created under that name continues from there.
 *   Tombstones are kept first in, first out, at most max_tombs of them;
 *   an evicted one raises a floor above which every group created later
 *   starts (so a group may start above 1 after heavy churn). Upstream
 *   restarted at 1, so two views could carry equal ids. A new daemon view
 *   (groups_set_view) forgets tombstones and floor: its ids differ anyway.
 *   Deterministic: the same joins and leaves in the same order give the
 *   same ids on every daemon. The tombstones live in one ring array of
 *   max_tombs entries (about 0.9 MB), allocated at the first one, so that
 *   they do not pin pages all over the heap after a flood has gone.
 * - Every membership carries the id of the daemon configuration in which
 *   it was last synchronised (gmember.key, ring.md rule 74): the daemon
 *   view's id when it is made, restamped for the whole table when a
 *   configuration settles (groups_stamp_keys). Members that arrive
 *   together from one previous view share it, which is what splits a
 *   NETWORK view into virtual-synchrony sets (groups_vs_sets).
 * - Groups that will be shown a NETWORK view are "changed" and kept on a
 *   list (groups_mark_changed) until the view is delivered.
 * - Pointers to groups and members stay valid until the member is removed
 *   or the group reaped.
 */
#ifndef COHORT_DAEMON_GROUPS_H
#define COHORT_DAEMON_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "sp.h"
#include "hmap.h"

struct groups_gid {
    uint32_t memb_id;
    uint32_t memb_time;
    uint32_t index;
};

/* A daemon configuration's membership id (ring.md §1.5). */
struct groups_key {
    uint32_t memb_id;
    uint32_t memb_time;
};

struct group;

/* Everything known about one member across its groups. */
struct gowner {
    struct hmap_node hnode;
    char name[MAX_GROUP_NAME];       /* private group, NUL-padded */
    int daemon;
    void *local;                     /* session, or NULL for remote members */
    struct gmember *first;           /* this member's memberships */
    int n;
};

struct gmember {
    struct gowner *owner;
    struct group *group;
    struct gmember *next_of_owner, *prev_of_owner;
    struct groups_key key;           /* configuration of its last sync */
};

/* group.flags */
#define GROUP_CHANGED 0x1u      /* a NETWORK view is due (on the list) */
#define GROUP_SIGNALLED 0x2u    /* its local members got TRANSITION_MESS
                                 * since their last regular view */
#define GROUP_SPLIT 0x4u        /* its local members' view is one the
                                 * other side of an unfinished group-state
                                 * exchange does not have (deliver.c) */

struct group {
    struct hmap_node hnode;
    char name[MAX_GROUP_NAME];       /* NUL-padded, at most 31 characters */
    struct groups_gid gid;
    struct gmember **members;        /* sorted, see above */
    int n_members, cap_members;
    unsigned flags;                  /* GROUP_* */
    unsigned vgen;                   /* deliver.c's generation of its last
                                        view (0 when created) */
    struct group *chg_prev, *chg_next;   /* groups.changed, if CHANGED */
};

/* The last index of a destroyed group (see above). */
struct gtomb {
    struct hmap_node hnode;
    char name[MAX_GROUP_NAME];
    uint32_t index;
    int live;                        /* in `tombs`; 0: taken or evicted */
};

#define GROUPS_MAX_TOMBS 16384

struct groups {
    struct hmap groups;              /* struct group by name */
    struct hmap owners;              /* struct gowner by private group name */
    uint32_t memb_id, memb_time;     /* current daemon view */
    struct hmap tombs;               /* live struct gtomb by name */
    struct gtomb *tomb_ring;         /* max_tombs slots, oldest at head */
    size_t tomb_head, tomb_len;
    size_t max_tombs;                /* GROUPS_MAX_TOMBS; tests lower it */
    uint32_t index_floor;            /* highest index of an evicted tomb */
    uint64_t n_destroyed;            /* groups reaped so far */
    struct group *changed;           /* the CHANGED groups, any order */
    size_t n_changed;
};

void groups_init(struct groups *gs);
void groups_fini(struct groups *gs);

/* A new regular daemon view: groups created from now on carry its id;
 * tombstones and the floor are forgotten. */
void groups_set_view(struct groups *gs, uint32_t memb_id, uint32_t memb_time);

/* A view of `g` caused by the network (ring.md rules 70-74), with the id
 * (memb_id, memb_time) of the daemon configuration that shows it:
 * - the daemon view's own id (groups_set_view): index 1. The caller
 *   guarantees that nothing of the group carried that id before (deliver
 *   settles a new daemon view before it applies any of its requests);
 * - the id the group already carries: the next index;
 * - another id (a transitional configuration's): the index counts on from
 *   the group's, so that a tombstone keeps covering every index the name
 *   used in this daemon view, whatever the id's first two words were. */
void groups_restamp(struct groups *gs, struct group *g, uint32_t memb_id,
                    uint32_t memb_time);

/* The view that a join, leave or disconnect shows while a network change
 * is unsettled (ring.md rule 74) carries the transitional configuration's
 * id: (memb_id, memb_time) with the index that change has just given, so
 * the index keeps counting on as for groups_restamp(). */
void groups_retag(struct group *g, uint32_t memb_id, uint32_t memb_time);

/* Copy a wire name field into a NUL-padded group name key (at most 31
 * characters are kept). */
void groups_name_key(char out[MAX_GROUP_NAME], const char *field);

struct group *groups_find(const struct groups *gs, const char *name);
struct gowner *groups_owner(const struct groups *gs, const char *member);
struct gmember *groups_member(const struct group *g, const char *member,
                              int daemon);

/* Add `member` to group `name` (creating it). Returns 1 when added, 0 when
 * already a member (nothing changed), -ENOMEM. *out is the group. */
int groups_join(struct groups *gs, const char *name, const char *member,
                int daemon, void *local, struct group **out);

/* Remove a membership; bumps the group's index. The group may now be
 * empty: call groups_reap() after telling the remaining members. */
void groups_remove(struct groups *gs, struct gmember *m);

/* Destroy `g` if it has no members. Returns 1 if destroyed. */
int groups_reap(struct groups *gs, struct group *g);

/* The groups of a member, sorted by group name, into `out` (at most max).
 * Returns the total count (may exceed max). */
int groups_of(const struct gowner *o, struct group **out, int max);

size_t groups_count(const struct groups *gs);

/* ---- configuration changes (deliver.c) ---- */

/* Which daemons stay: keep(ctx, daemon index) != 0. */
typedef int (*groups_keep_fn)(void *ctx, int daemon);

/* Put `g` on the changed list (no-op if it is on it). */
void groups_mark_changed(struct groups *gs, struct group *g);

/* Take `g` off the changed list and clear CHANGED and SIGNALLED: its
 * NETWORK view was delivered. */
void groups_settled(struct groups *gs, struct group *g);

/* Mark changed every group with a member on a daemon that does not stay.
 * Returns how many groups were newly marked. */
size_t groups_mark_daemons(struct groups *gs, groups_keep_fn keep, void *ctx);

/* Remove every member on a daemon that does not stay, without bumping
 * group indexes (the NETWORK view that follows gets a new id anyway);
 * mark their groups changed and reap those left empty. Returns the
 * number of memberships removed. */
size_t groups_remove_daemons(struct groups *gs, groups_keep_fn keep,
                             void *ctx);

/* Every membership is now synchronised in configuration `key`. */
void groups_stamp_keys(struct groups *gs, const struct groups_key *key);

/* Called with a membership's daemon and its key: 1 if *key now holds the
 * key it is synchronised under, 0 to keep the one it has. */
typedef int (*groups_key_fn)(void *ctx, int daemon, struct groups_key *key);

/* Restamp every membership whose daemon `fn` gives a key for. */
void groups_stamp_keys_of(struct groups *gs, groups_key_fn fn, void *ctx);

/* Forget tombstones and the index floor (a settled configuration starts
 * from the same empty set on every daemon). */
void groups_forget_tombs(struct groups *gs);

/* The changed groups sorted by name (never in hash order: clients see the
 * order of the views), in a new array the caller frees; *n gets the
 * count. NULL when there are none or memory is short (*n is then 0 or
 * the count). */
struct group **groups_changed_sorted(const struct groups *gs, size_t *n);

/* Virtual-synchrony sets of a NETWORK view of `g` (client-protocol.md
 * §9.3, ring.md rule 74). cls(ctx, m) puts each member in a class:
 *   GROUPS_VS_KEY   grouped with the members of the same key; these sets
 *                   come first, sorted by key (id word, then time word);
 *   GROUPS_VS_ALONE a set of its own (a member whose daemon's state is
 *                   unknown), after those;
 *   GROUPS_VS_LAST  a set of its own at the very end (a member that
 *                   joined while the change was unsettled).
 * cls NULL puts everyone in GROUPS_VS_KEY. Within a class, daemon order
 * then name. Fills out[g->n_members] with the members in set order and
 * len[] with the sizes of the sets; returns the number of sets, or
 * -ENOMEM. */
enum groups_vs_class { GROUPS_VS_KEY = 0, GROUPS_VS_ALONE, GROUPS_VS_LAST };
int groups_vs_sets(const struct group *g,
                   enum groups_vs_class (*cls)(void *ctx,
                                               const struct gmember *m),
                   void *ctx, struct gmember **out, int *len);

#endif /* COHORT_DAEMON_GROUPS_H */
