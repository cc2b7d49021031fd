/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * rmsg: see rmsg.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal/wire.h"
#include "conf.h"
#include "msg.h"
#include "rmsg.h"

uint32_t rmsg_service_of(enum order_class cls)
{
    switch (cls) {
    case ORDER_RELIABLE: return RMSG_RELIABLE;
    case ORDER_FIFO: return RMSG_FIFO;
    case ORDER_SAFE: return RMSG_SAFE;
    case ORDER_AGREED:
    default: return RMSG_AGREED;
    }
}

static uint32_t group_op_type(enum order_kind kind)
{
    switch (kind) {
    case ORDER_JOIN: return SPW_JOIN_MESS;
    case ORDER_LEAVE: return SPW_LEAVE_MESS;
    case ORDER_KILL: return SPW_KILL_MESS;
    default: return 0;
    }
}

int rmsg_encode(const struct order_req *r, unsigned char *buf, size_t cap,
                const unsigned char **bytes, size_t *len, uint32_t *svc)
{
    struct spw_header h;
    uint32_t type;

    *svc = rmsg_service_of(r->cls);
    if (r->kind == ORDER_DATA) {
        if (r->msg == NULL)
            return -EINVAL;
        *bytes = r->msg->data;
        *len = r->msg->len;
        return 0;
    }
    type = group_op_type(r->kind);
    if (type == 0 || cap < RMSG_GROUP_OP_LEN)
        return -EINVAL;
    memset(&h, 0, sizeof h);
    h.type = type;
    memcpy(h.sender, r->sender, MAX_GROUP_NAME);
    h.num_groups = 1;
    h.hint = spw_hint_from_mess_type(0);
    h.data_len = 0;
    spw_header_encode(buf, &h);
    /* A kill names the leaving client itself (captures: KILL_MESS of c2
     * carries the group #c2#n2). */
    memcpy(buf + SPW_HEADER_LEN,
           r->kind == ORDER_KILL ? r->sender : r->group, MAX_GROUP_NAME);
    *bytes = buf;
    *len = RMSG_GROUP_OP_LEN;
    return 0;
}

/* A 32-byte name field holding a NUL-terminated name of legal
 * characters; with private = 1, "#user#daemon" of daemon `dname`. */
static int name_ok(const unsigned char *field, int private_name,
                   const char *dname)
{
    char name[MAX_GROUP_NAME];
    const char *second;
    size_t n = spw_field_len((const char *)field), i;

    if (n == 0 || n >= MAX_GROUP_NAME)
        return 0;
    memcpy(name, field, n);
    name[n] = '\0';
    for (i = n; i < MAX_GROUP_NAME; i++)
        if (field[i] != '\0')
            return 0;
    if (!private_name)
        return spw_group_name_ok(name);
    if (name[0] != '#')
        return 0;
    second = strchr(name + 1, '#');
    if (second == NULL || second == name + 1)
        return 0;
    for (i = 1; name + i < second; i++)
        if (!spw_name_char_ok((unsigned char)name[i]))
            return 0;
    return strcmp(second + 1, dname) == 0;
}

static int refuse(char *why, size_t whylen, const char *what)
{
    snprintf(why, whylen, "%s", what);
    return RMSG_INVALID;
}

/* Every destination of a data message: a group or a private name. */
static int dests_ok(const unsigned char *groups, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        const unsigned char *g = groups + (size_t)i * MAX_GROUP_NAME;
        size_t len = spw_field_len((const char *)g);
        if (len == 0 || len >= MAX_GROUP_NAME)
            return 0;
        if (g[0] == '#') {
            /* Private names of any daemon: '#' is not a group character,
             * so check the rest the way name_ok() does. */
            size_t k;
            for (k = 1; k < len; k++)
                if (g[k] != '#' && !spw_name_char_ok(g[k]))
                    return 0;
        } else if (!spw_group_name_ok((const char *)g)) {
            return 0;
        }
    }
    return 1;
}

int rmsg_decode(const unsigned char *bytes, size_t len, const struct conf *c,
                int origin, struct order_req *out, char *why, size_t whylen)
{
    struct spw_header h;
    const unsigned char *groups = bytes + SPW_HEADER_LEN;
    size_t want;
    int fault;

    memset(out, 0, sizeof *out);
    if (origin < 0 || origin >= c->n_daemons)
        return refuse(why, whylen, "ordered by a daemon outside the "
                      "configuration");
    if (len < SPW_HEADER_LEN)
        return refuse(why, whylen, "shorter than a message header");
    spw_header_decode(bytes, &h);
    /* Only daemons write GROUPS_MESS: a client's data frame with the bit
     * has it cleared before it enters the ring (frame_for_delivery). */
    if (h.type & SPW_GROUPS_MESS)
        return RMSG_STATE;
    fault = spw_header_check_client(&h);
    if (fault != SPW_HDR_OK) {
        snprintf(why, whylen, "invalid message header: %s",
                 spw_header_fault_str(fault));
        return RMSG_INVALID;
    }
    want = SPW_HEADER_LEN + (size_t)MAX_GROUP_NAME * (size_t)h.num_groups +
           (size_t)h.data_len;
    if (want != len)
        return refuse(why, whylen, "length differs from what its header "
                      "declares");
    if (!name_ok((const unsigned char *)h.sender, 1, c->daemons[origin].name))
        return refuse(why, whylen, "sender is not a private group of the "
                      "daemon that ordered it");
    memcpy(out->sender, h.sender, MAX_GROUP_NAME);
    out->origin = origin;
    if (h.type & REGULAR_MESS) {
        if (!dests_ok(groups, h.num_groups))
            return refuse(why, whylen, "a destination is not a group name");
        out->kind = ORDER_DATA;
        out->cls = order_class_of(h.type);
        out->msg = msg_new(len);
        if (out->msg == NULL)
            return refuse(why, whylen, "out of memory");
        memcpy(out->msg->data, bytes, len);
        /* Receivers get the header in this daemon's order, as a local
         * sender's frame; sender, hint, names and data stay as sent. */
        h.type &= ~(uint32_t)REJECT_MESS;
        spw_header_encode(out->msg->data, &h);
        return RMSG_REQUEST;
    }
    if (h.num_groups != 1 || h.data_len != 0)
        return refuse(why, whylen, "a group operation must name exactly one "
                      "group and carry no data");
    out->cls = ORDER_AGREED;
    if (h.type & SPW_KILL_MESS) {
        if (memcmp(groups, h.sender, MAX_GROUP_NAME) != 0)
            return refuse(why, whylen, "a kill must name its sender");
        out->kind = ORDER_KILL;
        return RMSG_REQUEST;
    }
    if (!name_ok(groups, 0, NULL))
        return refuse(why, whylen, "the group name is not a valid name");
    out->kind = (h.type & SPW_JOIN_MESS) ? ORDER_JOIN : ORDER_LEAVE;
    memcpy(out->group, groups, MAX_GROUP_NAME);
    return RMSG_REQUEST;
}
