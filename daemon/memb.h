/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * memb: builds the membership frames clients receive, byte for byte as
 * client-protocol.md §8.2-8.4 and §9 lay them out: regular membership
 * (REG_MEMB_MESS | cause, member list, group id, vs sets, own-set offset),
 * the self-leave notice and the transitional message; and the reject
 * notice (§8.5) that refuses a join.
 *
 * Contract
 * - Pure builders: no state, no I/O. Each returns a new msg (one
 *   reference, see msg.h) or NULL when memory is short.
 * - Names are 32-byte NUL-padded fields (group names, private group names)
 *   and are copied as 32 bytes.
 * - Integers are written in this host's order with its marker, as the
 *   daemon writes everything it originates.
 */
#ifndef COHORT_DAEMON_MEMB_H
#define COHORT_DAEMON_MEMB_H

#include <stdint.h>

#include "msg.h"

/* Group id words: daemon-view id, view time, index. */
struct memb_gid {
    uint32_t memb_id;
    uint32_t memb_time;
    uint32_t index;
};

/* One virtual-synchrony set: `n` pointers to 32-byte name fields. */
struct memb_set {
    int n;
    const char *const *names;
};

/* REG_MEMB_MESS | cause. `members` is the complete new member list in
 * wire order. `own_set` is the index in `sets` of the receiving daemon's
 * set (0 for JOIN/LEAVE/DISCONNECT, which have exactly one set holding the
 * changed member). */
struct msg *memb_regular(const char *group, uint32_t cause,
                         const struct memb_gid *gid,
                         const char *const *members, int n_members,
                         const struct memb_set *sets, int n_sets, int own_set);

/* The usual single-change form: one vs set = { changed }. */
struct msg *memb_change(const char *group, uint32_t cause,
                        const struct memb_gid *gid,
                        const char *const *members, int n_members,
                        const char *changed);

/* CAUSED_BY_LEAVE alone, no body: sent only to the leaver. */
struct msg *memb_self_leave(const char *group);

/* TRANSITION_MESS carrying the group's previous id. */
struct msg *memb_transition(const char *group, const struct memb_gid *old);

/* The reject notice (client-protocol.md §8.5) of a JOIN of `group` by
 * `sender` (both 32-byte fields): REJECT_MESS from the sender, old type
 * JOIN_MESS, destinations { group, sender }, no body. The library returns
 * it as service type JOIN_MESS | REJECT_MESS with those two groups. */
struct msg *memb_reject_join(const char *sender, const char *group);

#endif /* COHORT_DAEMON_MEMB_H */
