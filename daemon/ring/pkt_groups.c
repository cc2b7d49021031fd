/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * pkt_groups: the body of GROUPS (group state exchange) messages, see
 * pkt.h. Decoding validates the whole body once; the iterators then only
 * walk what was validated, and still check every length they use.
 */
#include "config.h"

#include "pkt.h"

#include <string.h>

#include "pkt_int.h"

#define GROUP_REC_LEN (PKT_GROUP_NAME + 8 + 4 + 2 + 2)   /* 48 */
#define DAEMON_REC_LEN (4 + 8 + 2)                       /* 14 */

int32_t pkt_groups_count(const struct pkt_msg *m)
{
    return (int32_t)pkt_ld32((const unsigned char *)m->sender +
                                 PKT_GROUPS_NAME_LEN,
                             pkt_resolve(m->order));
}

void pkt_groups_set_sender(struct pkt_msg *m, const char *name, int32_t count)
{
    size_t n = strnlen(name, PKT_GROUPS_NAME_LEN - 1);

    memset(m->sender, 0, sizeof m->sender);
    memcpy(m->sender, name, n);
    pkt_st32((unsigned char *)m->sender + PKT_GROUPS_NAME_LEN,
             (uint32_t)count, pkt_resolve(m->order));
}

/* One group record at recs + *off with its daemons; 1 and advances *off
 * past them, or 0 if it does not fit (or has too many daemons). */
static int group_at(const unsigned char *recs, size_t len, enum pkt_order o,
                    size_t *off, struct pkt_group *grp)
{
    const unsigned char *p;
    size_t at, left;

    if (*off >= len || len - *off < GROUP_REC_LEN)
        return 0;
    p = recs + *off;
    left = len - *off;
    grp->name = p;
    grp->gid.id = pkt_ld32(p + 32, o);
    grp->gid.time = (int32_t)pkt_ld32(p + 36, o);
    grp->gid_index = (int32_t)pkt_ld32(p + 40, o);
    grp->changed = pkt_ld16(p + 44, o);
    grp->ndaemons = pkt_ld16(p + 46, o);
    grp->order = o;
    if (grp->ndaemons > PKT_MAX_MEMBERS)
        return 0;
    grp->daemons = p + GROUP_REC_LEN;
    at = GROUP_REC_LEN;
    for (unsigned i = 0; i < grp->ndaemons; i++) {
        uint16_t nm;
        if (left - at < DAEMON_REC_LEN)
            return 0;
        nm = pkt_ld16(p + at + 12, o);
        at += DAEMON_REC_LEN;
        if ((left - at) / PKT_GROUP_NAME < nm)
            return 0;
        at += (size_t)nm * PKT_GROUP_NAME;
    }
    grp->daemons_len = at - GROUP_REC_LEN;
    *off += at;
    return 1;
}

int pkt_groups_decode(const unsigned char *body, size_t len,
                      enum pkt_order order, struct pkt_groups *g)
{
    enum pkt_order o = pkt_resolve(order);
    size_t off = 9;
    struct pkt_group grp;

    memset(g, 0, sizeof *g);
    if (body == NULL || len < 9)
        return PKT_ESHORT;
    g->order = o;
    g->mid.id = pkt_ld32(body, o);
    g->mid.time = (int32_t)pkt_ld32(body + 4, o);
    g->first = body[8];
    if (g->first > 1)
        return PKT_ERANGE;
    g->synced.order = o;
    if (g->first) {
        uint32_t n;
        if (len - off < 4)
            return PKT_ELENGTH;
        n = pkt_ld32(body + off, o);
        if (n > PKT_MAX_MEMBERS)
            return PKT_ERANGE;
        if (len - off - 4 < 4 * (size_t)n)
            return PKT_ELENGTH;
        g->synced.bytes = body + off + 4;
        g->synced.n = n;
        off += 4 + 4 * (size_t)n;
    }
    g->recs = body + off;
    g->recs_len = len - off;
    off = 0;
    while (group_at(g->recs, g->recs_len, o, &off, &grp))
        g->ngroups++;
    return off == g->recs_len ? 0 : PKT_ELENGTH;
}

int pkt_groups_next(const struct pkt_groups *g, size_t *off,
                    struct pkt_group *grp)
{
    return g->recs != NULL && group_at(g->recs, g->recs_len, g->order, off,
                                       grp);
}

int pkt_group_daemon_next(const struct pkt_group *grp, size_t *off,
                          struct pkt_group_daemon *d)
{
    const unsigned char *p;
    size_t left;

    if (grp->daemons == NULL || *off >= grp->daemons_len ||
        grp->daemons_len - *off < DAEMON_REC_LEN)
        return 0;
    p = grp->daemons + *off;
    left = grp->daemons_len - *off;
    d->id = pkt_ld32(p, grp->order);
    d->mid.id = pkt_ld32(p + 4, grp->order);
    d->mid.time = (int32_t)pkt_ld32(p + 8, grp->order);
    d->nmembers = pkt_ld16(p + 12, grp->order);
    if ((left - DAEMON_REC_LEN) / PKT_GROUP_NAME < d->nmembers)
        return 0;
    d->members = p + DAEMON_REC_LEN;
    *off += DAEMON_REC_LEN + (size_t)d->nmembers * PKT_GROUP_NAME;
    return 1;
}

/* Room for n more bytes at buf[*len]? */
static int room(size_t cap, const size_t *len, size_t n)
{
    return *len <= cap && cap - *len >= n;
}

int pkt_groups_put_head(unsigned char *buf, size_t cap, size_t *len,
                        enum pkt_order order, struct pkt_mid mid, int first,
                        const uint32_t *synced, unsigned nsynced)
{
    enum pkt_order o = pkt_resolve(order);
    unsigned char *p;

    if ((first != 0 && first != 1) || nsynced > PKT_MAX_MEMBERS ||
        (!first && nsynced > 0) || (nsynced > 0 && synced == NULL))
        return PKT_EINVAL;
    if (!room(cap, len, 9 + (first ? 4 + 4 * (size_t)nsynced : 0)))
        return PKT_ENOSPC;
    p = buf + *len;
    pkt_st32(p, mid.id, o);
    pkt_st32(p + 4, (uint32_t)mid.time, o);
    p[8] = (unsigned char)first;
    *len += 9;
    if (first) {
        pkt_st32(p + 9, nsynced, o);
        for (unsigned i = 0; i < nsynced; i++)
            pkt_st32(p + 13 + 4 * i, synced[i], o);
        *len += 4 + 4 * (size_t)nsynced;
    }
    return 0;
}

int pkt_groups_put_group(unsigned char *buf, size_t cap, size_t *len,
                         enum pkt_order order, const char name[PKT_GROUP_NAME],
                         struct pkt_mid gid, int32_t gid_index,
                         uint16_t changed, uint16_t ndaemons)
{
    enum pkt_order o = pkt_resolve(order);
    unsigned char *p;

    if (ndaemons > PKT_MAX_MEMBERS || name == NULL)
        return PKT_EINVAL;
    if (!room(cap, len, GROUP_REC_LEN))
        return PKT_ENOSPC;
    p = buf + *len;
    memcpy(p, name, PKT_GROUP_NAME);
    pkt_st32(p + 32, gid.id, o);
    pkt_st32(p + 36, (uint32_t)gid.time, o);
    pkt_st32(p + 40, (uint32_t)gid_index, o);
    pkt_st16(p + 44, changed, o);
    pkt_st16(p + 46, ndaemons, o);
    *len += GROUP_REC_LEN;
    return 0;
}

int pkt_groups_put_daemon(unsigned char *buf, size_t cap, size_t *len,
                          enum pkt_order order, uint32_t id,
                          struct pkt_mid mid, uint16_t nmembers,
                          const unsigned char *members)
{
    enum pkt_order o = pkt_resolve(order);
    unsigned char *p;
    size_t names = (size_t)nmembers * PKT_GROUP_NAME;

    if (nmembers > 0 && members == NULL)
        return PKT_EINVAL;
    if (!room(cap, len, DAEMON_REC_LEN + names))
        return PKT_ENOSPC;
    p = buf + *len;
    pkt_st32(p, id, o);
    pkt_st32(p + 4, mid.id, o);
    pkt_st32(p + 8, (uint32_t)mid.time, o);
    pkt_st16(p + 12, nmembers, o);
    if (names > 0)
        memcpy(p + DAEMON_REC_LEN, members, names);
    *len += DAEMON_REC_LEN + names;
    return 0;
}
