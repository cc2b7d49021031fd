/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * memb: membership frame layouts. Offsets follow client-protocol.md §9.2:
 * body = gid (12) | V (4) | own-set offset counted from body offset 20 (4)
 * | V x (count (4) | count x 32-byte names). And the reject notice of
 * §8.5: header | old type (4) | destinations + the sender | body.
 */
#include "config.h"

#include <string.h>

#include "internal/wire.h"
#include "memb.h"

static void put_header(unsigned char *p, uint32_t type, const char *group,
                       int32_t num_groups, int32_t data_len)
{
    struct spw_header h;

    memset(&h, 0, sizeof h);
    h.type = type;
    memcpy(h.sender, group, MAX_GROUP_NAME);
    h.num_groups = num_groups;
    h.hint = spw_native_mark();
    h.data_len = data_len;
    spw_header_encode(p, &h);
}

static size_t set_bytes(const struct memb_set *s)
{
    return 4 + (size_t)MAX_GROUP_NAME * (size_t)s->n;
}

struct msg *memb_regular(const char *group, uint32_t cause,
                         const struct memb_gid *gid,
                         const char *const *members, int n_members,
                         const struct memb_set *sets, int n_sets, int own_set)
{
    size_t body = 20, own_off = 0, len;
    unsigned char *p;
    struct msg *m;
    int i, j;

    for (i = 0; i < n_sets; i++) {
        if (i == own_set)
            own_off = body - 20;
        body += set_bytes(&sets[i]);
    }
    len = SPW_HEADER_LEN + (size_t)MAX_GROUP_NAME * (size_t)n_members + body;
    m = msg_new(len);
    if (m == NULL)
        return NULL;
    p = m->data;
    put_header(p, REG_MEMB_MESS | cause, group, n_members, (int32_t)body);
    p += SPW_HEADER_LEN;
    for (i = 0; i < n_members; i++, p += MAX_GROUP_NAME)
        memcpy(p, members[i], MAX_GROUP_NAME);
    spw_put32(p, gid->memb_id);
    spw_put32(p + 4, gid->memb_time);
    spw_put32(p + 8, gid->index);
    spw_put32(p + 12, (uint32_t)n_sets);
    spw_put32(p + 16, (uint32_t)own_off);
    p += 20;
    for (i = 0; i < n_sets; i++) {
        spw_put32(p, (uint32_t)sets[i].n);
        p += 4;
        for (j = 0; j < sets[i].n; j++, p += MAX_GROUP_NAME)
            memcpy(p, sets[i].names[j], MAX_GROUP_NAME);
    }
    return m;
}

struct msg *memb_change(const char *group, uint32_t cause,
                        const struct memb_gid *gid,
                        const char *const *members, int n_members,
                        const char *changed)
{
    struct memb_set set;
    set.n = 1;
    set.names = &changed;
    return memb_regular(group, cause, gid, members, n_members, &set, 1, 0);
}

struct msg *memb_self_leave(const char *group)
{
    struct msg *m = msg_new(SPW_HEADER_LEN);
    if (m != NULL)
        put_header(m->data, CAUSED_BY_LEAVE, group, 0, 0);
    return m;
}

struct msg *memb_transition(const char *group, const struct memb_gid *old)
{
    struct msg *m = msg_new(SPW_HEADER_LEN + 12);
    if (m == NULL)
        return NULL;
    put_header(m->data, TRANSITION_MESS, group, 0, 12);
    spw_put32(m->data + SPW_HEADER_LEN, old->memb_id);
    spw_put32(m->data + SPW_HEADER_LEN + 4, old->memb_time);
    spw_put32(m->data + SPW_HEADER_LEN + 8, old->index);
    return m;
}

struct msg *memb_reject_join(const char *sender, const char *group)
{
    size_t len = SPW_HEADER_LEN + 4 + 2 * (size_t)MAX_GROUP_NAME;
    struct msg *m = msg_new(len);
    unsigned char *p;

    if (m == NULL)
        return NULL;
    p = m->data;
    /* The refused request's sender, hint (no message type) and length
     * (none); one destination more than it had: the sender itself. */
    put_header(p, REJECT_MESS, sender, 2, 0);
    spw_put32(p + SPW_HEADER_LEN, SPW_JOIN_MESS);
    memcpy(p + SPW_HEADER_LEN + 4, group, MAX_GROUP_NAME);
    memcpy(p + SPW_HEADER_LEN + 4 + MAX_GROUP_NAME, sender, MAX_GROUP_NAME);
    return m;
}
