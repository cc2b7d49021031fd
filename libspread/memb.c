/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * memb: reading membership bodies (client-protocol.md section 9):
 * SP_get_memb_info, SP_get_vs_sets_info, SP_get_vs_set_members, their
 * SP_scat_* forms and SP_equal_group_ids; plus the byte-order conversion
 * SP_receive applies to bodies from a daemon of the other byte order.
 *
 * All of them work on a "body view" (struct spl_body): a list of buffers
 * read as one byte string. The flat forms use one buffer of unknown
 * length, so they trust offsets as upstream does; the scatter forms know
 * the total size of the elements and refuse (ILLEGAL_MESSAGE) anything
 * that would read past it. Fields may straddle element boundaries: every
 * access walks the elements byte-exactly (upstream's scatter walkers are
 * off by one there, see client-protocol.md 13.14).
 */
#include "config.h"

#include "lib.h"

#include <stdint.h>
#include <string.h>

#define OFF_GID 0
#define OFF_NUM_SETS 12
#define OFF_OWN_SET 16
#define OFF_SETS 20
#define OFF_FIRST_NAME 24

void spl_body_flat(struct spl_body *b, struct iovec *one, const void *buf,
                   size_t len)
{
    one->iov_base = (void *)buf;
    one->iov_len = len;
    b->iov = one;
    b->n = 1;
    b->len = len;
}

/* Copy n bytes at logical offset off between the view and flat memory:
 * out = 1 reads from the view, out = 0 writes into it. Returns 0, or -1
 * if the range is not inside the view. */
static int body_xfer(const struct spl_body *b, size_t off, void *mem,
                     size_t n, int out)
{
    unsigned char *p = mem;
    int i;

    if (off > b->len || n > b->len - off)
        return -1;
    for (i = 0; i < b->n && n > 0; i++) {
        size_t el = b->iov[i].iov_len, take;
        unsigned char *base = b->iov[i].iov_base;
        if (off >= el) {
            off -= el;
            continue;
        }
        take = el - off < n ? el - off : n;
        if (out)
            memcpy(p, base + off, take);
        else
            memcpy(base + off, p, take);
        p += take;
        n -= take;
        off = 0;
    }
    return n == 0 ? 0 : -1;
}

static int body_get32(const struct spl_body *b, uint64_t off, uint32_t *v)
{
    if (off > SIZE_MAX - 4)
        return -1;
    return body_xfer(b, (size_t)off, v, 4, 1);
}

static void body_swap32(const struct spl_body *b, uint64_t off)
{
    uint32_t v;

    if (body_get32(b, off, &v) == 0) {
        v = spw_swap32(v);
        body_xfer(b, (size_t)off, &v, 4, 0);
    }
}

/* Offset of the set after the one at pos with cnt members. */
static uint64_t next_set(uint64_t pos, uint32_t cnt)
{
    return pos + 4 + (uint64_t)cnt * MAX_GROUP_NAME;
}

void spl_memb_swap_gid(const struct spl_body *b)
{
    body_swap32(b, OFF_GID);
    body_swap32(b, OFF_GID + 4);
    body_swap32(b, OFF_GID + 8);
}

void spl_memb_swap_regular(const struct spl_body *b)
{
    uint32_t nsets, i, cnt;
    uint64_t pos = OFF_SETS;

    spl_memb_swap_gid(b);
    body_swap32(b, OFF_NUM_SETS);
    body_swap32(b, OFF_OWN_SET);
    if (body_get32(b, OFF_NUM_SETS, &nsets) < 0)
        return;
    for (i = 0; i < nsets; i++) {
        if (body_get32(b, pos, &cnt) < 0)
            return;
        cnt = spw_swap32(cnt);
        body_xfer(b, (size_t)pos, &cnt, 4, 0);
        pos = next_set(pos, cnt);
    }
}

/* ---- the helpers, on a body view ------------------------------------ */

static int body_memb_info(const struct spl_body *b, service t,
                     membership_info *info)
{
    uint32_t nsets, own, cnt;

    if (!(t & MEMBERSHIP_MESS) || info == NULL)
        return ILLEGAL_MESSAGE;
    if (!(t & REG_MEMB_MESS)) {
        /* Transitional or self-leave: only the group id, which for a
         * self-leave is whatever the buffer held before. */
        body_xfer(b, OFF_GID, &info->gid, sizeof info->gid, 1);
        info->num_vs_sets = 0;
        info->my_vs_set.num_members = 0;
        info->my_vs_set.members_offset = 0;
        return 1;
    }
    if (body_xfer(b, OFF_GID, &info->gid, sizeof info->gid, 1) < 0 ||
        body_get32(b, OFF_NUM_SETS, &nsets) < 0 ||
        body_get32(b, OFF_OWN_SET, &own) < 0 ||
        body_get32(b, (uint64_t)OFF_SETS + own, &cnt) < 0)
        return ILLEGAL_MESSAGE;
    if (t & (CAUSED_BY_JOIN | CAUSED_BY_LEAVE | CAUSED_BY_DISCONNECT)) {
        if (body_xfer(b, OFF_FIRST_NAME, info->changed_member,
                      MAX_GROUP_NAME, 1) < 0)
            return ILLEGAL_MESSAGE;
    } else if (t & CAUSED_BY_NETWORK) {
        memset(info->changed_member, 0, MAX_GROUP_NAME);
    }
    info->num_vs_sets = nsets;
    info->my_vs_set.num_members = cnt;
    info->my_vs_set.members_offset = OFF_SETS + own + 4;
    return 1;
}

static int vs_sets_info(const struct spl_body *b, vs_set_info *sets,
                        int num_sets, unsigned int *my_index)
{
    uint32_t nsets, own, i, cnt;
    uint64_t pos = OFF_SETS;

    if (body_get32(b, OFF_NUM_SETS, &nsets) < 0 ||
        body_get32(b, OFF_OWN_SET, &own) < 0)
        return ILLEGAL_MESSAGE;
    if (num_sets < 0 || (uint32_t)num_sets < nsets || nsets > INT32_MAX)
        return BUFFER_TOO_SHORT;
    for (i = 0; i < nsets; i++) {
        if (body_get32(b, pos, &cnt) < 0 || pos + 4 > UINT32_MAX)
            return ILLEGAL_MESSAGE;
        sets[i].num_members = cnt;
        sets[i].members_offset = (unsigned int)(pos + 4);
        if (pos == (uint64_t)OFF_SETS + own && my_index != NULL)
            *my_index = i;
        pos = next_set(pos, cnt);
    }
    return (int)nsets;
}

static int vs_set_members(const struct spl_body *b, const vs_set_info *set,
                          char names[][MAX_GROUP_NAME], int count)
{
    size_t bytes;

    if (set == NULL)
        return ILLEGAL_MESSAGE;
    if (count < 0 || (unsigned int)count < set->num_members)
        return BUFFER_TOO_SHORT;
    if (set->num_members > INT32_MAX)
        return ILLEGAL_MESSAGE;
    bytes = (size_t)set->num_members * MAX_GROUP_NAME;
    if (bytes > 0 && body_xfer(b, set->members_offset, names, bytes, 1) < 0)
        return ILLEGAL_MESSAGE;
    return (int)set->num_members;
}

/* ---- entry points --------------------------------------------------- */

static void flat_view(struct spl_body *b, struct iovec *one, const char *m)
{
    spl_body_flat(b, one, m, SIZE_MAX);
}

/* A scatter as a view; NULL if it is not a valid scatter. */
static const struct spl_body *
scat_view(struct spl_body *b, struct iovec *iov, const scatter *scat)
{
    size_t i, total = 0;

    if (scat == NULL || scat->num_elements > MAX_CLIENT_SCATTER_ELEMENTS)
        return NULL;
    for (i = 0; i < scat->num_elements; i++) {
        iov[i].iov_base = scat->elements[i].buf;
        iov[i].iov_len = scat->elements[i].buf ? scat->elements[i].len : 0;
        total += iov[i].iov_len;
    }
    b->iov = iov;
    b->n = (int)scat->num_elements;
    b->len = total;
    return b;
}

int SP_get_memb_info(const char *memb_mess, const service service_type,
                     membership_info *memb_info)
{
    struct spl_body b;
    struct iovec one;

    flat_view(&b, &one, memb_mess);
    return body_memb_info(&b, service_type, memb_info);
}

int SP_get_vs_sets_info(const char *memb_mess, vs_set_info *vs_sets,
                        int num_vs_sets, unsigned int *my_vs_set_index)
{
    struct spl_body b;
    struct iovec one;

    flat_view(&b, &one, memb_mess);
    return vs_sets_info(&b, vs_sets, num_vs_sets, my_vs_set_index);
}

int SP_get_vs_set_members(const char *memb_mess, const vs_set_info *vs_set,
                          char member_names[][MAX_GROUP_NAME],
                          int member_names_count)
{
    struct spl_body b;
    struct iovec one;

    flat_view(&b, &one, memb_mess);
    return vs_set_members(&b, vs_set, member_names, member_names_count);
}

int SP_scat_get_memb_info(const scatter *memb_mess_scat,
                          const service service_type,
                          membership_info *memb_info)
{
    struct spl_body b;
    struct iovec iov[MAX_CLIENT_SCATTER_ELEMENTS];

    if (scat_view(&b, iov, memb_mess_scat) == NULL)
        return ILLEGAL_MESSAGE;
    return body_memb_info(&b, service_type, memb_info);
}

int SP_scat_get_vs_sets_info(const scatter *memb_mess_scat,
                             vs_set_info *vs_sets, int num_vs_sets,
                             unsigned int *my_vs_set_index)
{
    struct spl_body b;
    struct iovec iov[MAX_CLIENT_SCATTER_ELEMENTS];

    if (scat_view(&b, iov, memb_mess_scat) == NULL)
        return ILLEGAL_MESSAGE;
    return vs_sets_info(&b, vs_sets, num_vs_sets, my_vs_set_index);
}

int SP_scat_get_vs_set_members(const scatter *memb_mess_scat,
                               const vs_set_info *vs_set,
                               char member_names[][MAX_GROUP_NAME],
                               int member_names_count)
{
    struct spl_body b;
    struct iovec iov[MAX_CLIENT_SCATTER_ELEMENTS];

    if (scat_view(&b, iov, memb_mess_scat) == NULL)
        return ILLEGAL_MESSAGE;
    return vs_set_members(&b, vs_set, member_names, member_names_count);
}

int SP_equal_group_ids(group_id g1, group_id g2)
{
    return g1.id[0] == g2.id[0] && g1.id[1] == g2.id[1] &&
           g1.id[2] == g2.id[2];
}
