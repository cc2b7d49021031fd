/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * send: the entry points that write to the daemon (join, leave, the
 * multicast family) and SP_poll. Ending a session is close.c's.
 *
 * Every outgoing message is one writev of header + group names + body
 * under the session's send lock, so concurrent senders never interleave
 * frames and the group list is never copied for the multigroup forms.
 * Each entry point resolves its mailbox once through the mailbox table
 * and drops that reference on its single exit path.
 */
#include "config.h"

#include "lib.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

/* ---- framing -------------------------------------------------------- */

int spl_send_frame(struct spl_sess *s, uint32_t type, int16_t mess_type,
                   int num_groups, const void *groups,
                   const struct iovec *body, int nbody, int32_t data_len)
{
    struct iovec iov[2 + MAX_CLIENT_SCATTER_ELEMENTS];
    struct spw_header h;
    unsigned char hdr[SPW_HEADER_LEN];
    int n = 0, i, rc = 0;

    h.type = type;
    memcpy(h.sender, s->private_group, MAX_GROUP_NAME);
    h.num_groups = num_groups;
    h.hint = spw_hint_from_mess_type(mess_type);
    h.data_len = data_len;
    h.foreign = 0;
    spw_header_encode(hdr, &h);

    iov[n].iov_base = hdr;
    iov[n++].iov_len = sizeof hdr;
    if (num_groups > 0) {
        iov[n].iov_base = (void *)groups;
        iov[n++].iov_len = (size_t)num_groups * MAX_GROUP_NAME;
    }
    for (i = 0; i < nbody && data_len > 0; i++)
        iov[n++] = body[i];

    pthread_mutex_lock(&s->send_lock);
    if (atomic_load(&s->retired))
        rc = CONNECTION_CLOSED;   /* a call that raced SP_disconnect */
    else if (atomic_load(&s->broken))
        rc = NET_ERROR_ON_SESSION;
    else if (spl_io_sendv(s->fd, iov, n) < 0) {
        atomic_store(&s->broken, 1);
        rc = CONNECTION_CLOSED;
    }
    pthread_mutex_unlock(&s->send_lock);
    return rc;
}

/* ---- join / leave --------------------------------------------------- */

static int send_group_request(mailbox mbox, const char *group, uint32_t kind)
{
    char field[MAX_GROUP_NAME];
    struct spl_sess *s;
    int rc;

    if (!spw_group_name_ok(group))
        return ILLEGAL_GROUP;
    s = spl_mbox_lookup(spl_lib_table(), mbox);
    if (s == NULL)
        return ILLEGAL_SESSION;
    memset(field, 0, sizeof field);
    memcpy(field, group, strlen(group));
    rc = spl_send_frame(s, kind, 0, 1, field, NULL, 0, 0);
    spl_mbox_unref(s);
    return rc;
}

int SP_join(mailbox mbox, const char *group)
{
    return send_group_request(mbox, group, SPW_JOIN_MESS);
}

int SP_leave(mailbox mbox, const char *group)
{
    return send_group_request(mbox, group, SPW_LEAVE_MESS);
}

/* ---- multicast ------------------------------------------------------ */

/* The checks every multicast form makes before touching the session.
 * Returns 0 or an SP code. */
static int multicast_check(service service_type, int num_groups,
                           long long body_len)
{
    if (!(service_type & REGULAR_MESS))
        return ILLEGAL_SERVICE;
    if (num_groups < 0)
        return ILLEGAL_GROUP;
    if (body_len + (long long)MAX_GROUP_NAME * num_groups >
        SPW_MAX_MESSAGE_BODY_LEN)
        return MESSAGE_TOO_LONG;
    return 0;
}

/* Shared tail of the four forms. data_len may be negative (only the
 * header and groups are then sent, as upstream does). */
static int multicast(mailbox mbox, service service_type, int num_groups,
                     const void *groups, int16 mess_type,
                     const struct iovec *body, int nbody, long long data_len)
{
    struct spl_sess *s;
    int rc;

    rc = multicast_check(service_type, num_groups, data_len);
    if (rc != 0)
        return rc;
    s = spl_mbox_lookup(spl_lib_table(), mbox);
    if (s == NULL)
        return ILLEGAL_SESSION;
    rc = spl_send_frame(s, (uint32_t)service_type, mess_type, num_groups,
                        groups, body, nbody, (int32_t)data_len);
    spl_mbox_unref(s);
    if (rc != 0)
        return rc;
    return data_len > 0 ? (int)data_len : 0;
}

/* A single destination goes out in a zero-filled field, cut to 31
 * characters. */
static void group_field(char field[MAX_GROUP_NAME], const char *group)
{
    memset(field, 0, MAX_GROUP_NAME);
    if (group != NULL)
        memcpy(field, group, strnlen(group, MAX_GROUP_NAME - 1));
}

/* Body vector of a scatter; returns the element count or -1. */
static int scatter_iov(const scatter *scat, struct iovec *iov,
                       long long *total)
{
    size_t i;

    *total = 0;
    if (scat == NULL || scat->num_elements > MAX_CLIENT_SCATTER_ELEMENTS)
        return -1;
    for (i = 0; i < scat->num_elements; i++) {
        size_t len = scat->elements[i].len;
        iov[i].iov_base = scat->elements[i].buf;
        iov[i].iov_len = len;
        /* Saturate instead of wrapping: anything this large is refused
         * as MESSAGE_TOO_LONG by the caller, never sent. */
        if (len > (size_t)SPW_MAX_MESSAGE_BODY_LEN + 1)
            len = (size_t)SPW_MAX_MESSAGE_BODY_LEN + 1;
        *total += (long long)len;
    }
    return (int)scat->num_elements;
}

int SP_multicast(mailbox mbox, service service_type, const char *group,
                 int16 mess_type, int mess_len, const char *mess)
{
    char field[MAX_GROUP_NAME];
    struct iovec body;

    group_field(field, group);
    body.iov_base = (void *)mess;
    body.iov_len = mess_len > 0 ? (size_t)mess_len : 0;
    return multicast(mbox, service_type, 1, field, mess_type, &body, 1,
                     mess_len);
}

int SP_scat_multicast(mailbox mbox, service service_type, const char *group,
                      int16 mess_type, const scatter *scat_mess)
{
    char field[MAX_GROUP_NAME];
    struct iovec body[MAX_CLIENT_SCATTER_ELEMENTS];
    long long total;
    int n = scatter_iov(scat_mess, body, &total);

    if (n < 0)
        return ILLEGAL_MESSAGE;
    group_field(field, group);
    return multicast(mbox, service_type, 1, field, mess_type, body, n, total);
}

int SP_multigroup_multicast(mailbox mbox, service service_type,
                            int num_groups,
                            const char groups[][MAX_GROUP_NAME],
                            int16 mess_type, int mess_len, const char *mess)
{
    struct iovec body;

    body.iov_base = (void *)mess;
    body.iov_len = mess_len > 0 ? (size_t)mess_len : 0;
    return multicast(mbox, service_type, num_groups, groups, mess_type, &body,
                     1, mess_len);
}

int SP_multigroup_scat_multicast(mailbox mbox, service service_type,
                                 int num_groups,
                                 const char groups[][MAX_GROUP_NAME],
                                 int16 mess_type, const scatter *scat_mess)
{
    struct iovec body[MAX_CLIENT_SCATTER_ELEMENTS];
    long long total;
    int n = scatter_iov(scat_mess, body, &total);

    if (n < 0)
        return ILLEGAL_MESSAGE;
    return multicast(mbox, service_type, num_groups, groups, mess_type, body,
                     n, total);
}

/* ---- poll ---------------------------------------------------------- */

int SP_poll(mailbox mbox)
{
    struct spl_sess *s = spl_mbox_lookup(spl_lib_table(), mbox);
    int n = 0, rc;

    if (s == NULL)
        return ILLEGAL_SESSION;
    rc = ioctl(s->fd, FIONREAD, &n);
    spl_mbox_unref(s);
    return rc < 0 ? ILLEGAL_SESSION : n;
}
