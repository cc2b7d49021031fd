/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * recv: SP_receive and SP_scat_receive (api.md 5.7).
 *
 * A message costs two system calls: one recv of the 48-byte header and one
 * readv that puts the group names and the body straight into the caller's
 * buffers (pieces that do not fit under DROP_RECV are read into a scratch
 * buffer and dropped). Nothing is read beyond the current message, so the
 * socket stays an honest readiness indicator for select/poll and SP_poll.
 *
 * When the buffers are too small and DROP_RECV is not set, only the
 * header has been consumed; it is parked in the session (pending_hdr,
 * guarded by recv_lock) and the next call continues with it.
 */
#include "config.h"

#include "lib.h"

#include <string.h>

enum msg_kind { KIND_DATA, KIND_REG_MEMB, KIND_OTHER_MEMB };

struct recv_args {
    service *service_type;
    char *sender;
    int max_groups;
    int *num_groups;
    char (*groups)[MAX_GROUP_NAME];
    int16 *mess_type;
    int *endian_mismatch;
    const struct iovec *body;
    int nbody;
    size_t body_cap;
};

/* Data and reject notices carry an application mess_type; everything
 * else from the daemon is a membership notice of some kind. */
static enum msg_kind msg_kind(uint32_t type)
{
    if (type & (REGULAR_MESS | REJECT_MESS))
        return KIND_DATA;
    if (type & REG_MEMB_MESS)
        return KIND_REG_MEMB;
    return KIND_OTHER_MEMB;
}

static service out_type(const struct spl_sess *s)
{
    uint32_t t = s->pending_hdr.type;

    if (t & REJECT_MESS)
        t = s->pending_old_type | REJECT_MESS;
    return (service)(t & ~(uint32_t)ENDIAN_RESERVED);
}

/* The daemon's last frame after a marked KILL (wire.h, protocol.md). */
static int is_kill_ack(const struct spw_header *h)
{
    return (h->type & SPW_KILL_MESS) && (h->type & SPW_KILL_ACK);
}

/* Read and park the next header (and a reject notice's old-type word).
 * The disconnect acknowledgement is never parked: it ends the session. */
static int read_header(struct spl_sess *s)
{
    unsigned char buf[SPW_HEADER_LEN];
    unsigned char word[4];

    if (spl_io_recv(s->fd, buf, sizeof buf) < 0)
        return CONNECTION_CLOSED;
    spw_header_decode(buf, &s->pending_hdr);
    if (is_kill_ack(&s->pending_hdr))
        return CONNECTION_CLOSED;   /* empty by definition; nothing follows */
    s->pending_old_type = 0;
    if (s->pending_hdr.type & REJECT_MESS) {
        uint32_t w;
        if (spl_io_recv(s->fd, word, sizeof word) < 0)
            return CONNECTION_CLOSED;
        w = spw_get32(word);
        s->pending_old_type = s->pending_hdr.foreign ? spw_swap32(w) : w;
    }
    s->pending = 1;
    return 0;
}

static void put_common(const struct spl_sess *s, struct recv_args *a)
{
    if (a->service_type != NULL)
        *a->service_type = out_type(s);
    if (a->sender != NULL)
        memcpy(a->sender, s->pending_hdr.sender, MAX_GROUP_NAME);
}

/* Buffers too small, no DROP_RECV: report what would be needed. */
static int report_short(const struct spl_sess *s, struct recv_args *a,
                        int groups_short, int body_short)
{
    const struct spw_header *h = &s->pending_hdr;

    put_common(s, a);
    if (a->mess_type != NULL)
        *a->mess_type = msg_kind(h->type) == KIND_DATA
                            ? spw_mess_type_from_hint(h->hint) : 0;
    if (a->num_groups != NULL)
        *a->num_groups = groups_short ? -h->num_groups : 0;
    if (a->endian_mismatch != NULL)
        *a->endian_mismatch = body_short ? -h->data_len : 0;
    return groups_short ? GROUPS_TOO_SHORT : BUFFER_TOO_SHORT;
}

static int own_index(const struct spl_sess *s,
                     char (*groups)[MAX_GROUP_NAME], int n)
{
    int i;

    for (i = 0; i < n; i++)
        if (strncmp(groups[i], s->private_group, MAX_GROUP_NAME) == 0)
            return i;
    return -1;
}

/* Lay out the body part of the read: caller's pieces up to `keep` bytes.
 * Fills segs and a matching iovec list; returns the number used. */
static int body_segs(const struct recv_args *a, size_t keep,
                     struct spl_seg *segs, struct iovec *iov)
{
    int i, n = 0;

    for (i = 0; i < a->nbody && keep > 0; i++) {
        size_t take = a->body[i].iov_len < keep ? a->body[i].iov_len : keep;
        if (take == 0)
            continue;
        segs[n].buf = a->body[i].iov_base;
        segs[n].len = take;
        iov[n].iov_base = a->body[i].iov_base;
        iov[n].iov_len = take;
        keep -= take;
        n++;
    }
    return n;
}

/* Convert a membership body written by a daemon of the other order. */
static void fix_body_order(const struct spw_header *h, const struct iovec *iov,
                           int n, size_t len)
{
    struct spl_body b;

    if (!h->foreign)
        return;
    b.iov = iov;
    b.n = n;
    b.len = len;
    if (msg_kind(h->type) == KIND_REG_MEMB)
        spl_memb_swap_regular(&b);
    else if (h->type & TRANSITION_MESS)
        spl_memb_swap_gid(&b);
}

static void put_delivered(const struct spl_sess *s, struct recv_args *a,
                          int groups_short)
{
    const struct spw_header *h = &s->pending_hdr;
    enum msg_kind kind = msg_kind(h->type);
    int16 mt = -1;

    put_common(s, a);
    if (a->num_groups != NULL)
        *a->num_groups = groups_short ? -h->num_groups : h->num_groups;
    if (kind == KIND_DATA)
        mt = spw_mess_type_from_hint(h->hint);
    else if (kind == KIND_REG_MEMB && !groups_short)
        mt = (int16)own_index(s, a->groups, h->num_groups);
    if (a->mess_type != NULL)
        *a->mess_type = mt;
    if (a->endian_mismatch != NULL)
        *a->endian_mismatch = kind == KIND_DATA && !spw_same_endian(h->hint);
}

/* Read the rest of the parked message into the caller's buffers. */
static int deliver(struct spl_sess *s, struct recv_args *a, size_t max_groups,
                   int groups_short, int body_short)
{
    const struct spw_header *h = &s->pending_hdr;
    struct spl_seg segs[SPL_MAX_SEGS];
    struct iovec body_iov[MAX_CLIENT_SCATTER_ELEMENTS];
    size_t ngroups = (size_t)h->num_groups, body_len = (size_t)h->data_len;
    size_t gkeep = groups_short ? max_groups : ngroups;
    size_t bkeep = body_short ? a->body_cap : body_len;
    int n = 0, nb;

    s->pending = 0;
    segs[n].buf = a->groups;
    segs[n++].len = gkeep * MAX_GROUP_NAME;
    segs[n].buf = NULL;
    segs[n++].len = (ngroups - gkeep) * MAX_GROUP_NAME;
    nb = body_segs(a, bkeep, segs + n, body_iov);
    n += nb;
    segs[n].buf = NULL;
    segs[n++].len = body_len - bkeep;
    if (spl_io_recv_segs(s->fd, segs, n) < 0) {
        atomic_store(&s->broken, 1);
        return CONNECTION_CLOSED;
    }
    fix_body_order(h, body_iov, nb, bkeep);
    put_delivered(s, a, groups_short);
    return body_short ? BUFFER_TOO_SHORT : h->data_len;
}

static int receive_locked(struct spl_sess *s, struct recv_args *a)
{
    const struct spw_header *h = &s->pending_hdr;
    int drop = a->service_type != NULL && (*a->service_type & DROP_RECV);
    size_t max_groups = a->max_groups > 0 ? (size_t)a->max_groups : 0;
    int groups_short, body_short;

    /* Once the mailbox is on its way out, the end of the session is the
     * expected outcome, not a network error; and after SP_kill or SP_close
     * nothing more is read. */
    int retired = atomic_load(&s->retired);

    if (retired == SPL_RETIRED_OUT)
        return CONNECTION_CLOSED;
    if (atomic_load(&s->broken))
        return retired != SPL_RETIRED_ACTIVE ? CONNECTION_CLOSED
                                             : NET_ERROR_ON_SESSION;
    if (!s->pending && read_header(s) < 0) {
        atomic_store(&s->broken, 1);
        return CONNECTION_CLOSED;
    }
    if (h->num_groups < 0 || h->data_len < 0) {
        /* The stream cannot be followed past this header. */
        s->pending = 0;
        atomic_store(&s->broken, 1);
        return ILLEGAL_MESSAGE;
    }
    groups_short = (size_t)h->num_groups > max_groups;
    body_short = (size_t)h->data_len > a->body_cap;
    if ((groups_short || body_short) && !drop)
        return report_short(s, a, groups_short, body_short);
    return deliver(s, a, max_groups, groups_short, body_short);
}

static int receive(mailbox mbox, struct recv_args *a)
{
    struct spl_sess *s = spl_mbox_lookup(spl_lib_table(), mbox);
    int rc;

    if (s == NULL)
        return ILLEGAL_SESSION;
    pthread_mutex_lock(&s->recv_lock);
    rc = receive_locked(s, a);
    pthread_mutex_unlock(&s->recv_lock);
    spl_mbox_unref(s);
    return rc;
}

int SP_receive(mailbox mbox, service *service_type,
               char sender[MAX_GROUP_NAME], int max_groups, int *num_groups,
               char groups[][MAX_GROUP_NAME], int16 *mess_type,
               int *endian_mismatch, int max_mess_len, char *mess)
{
    struct iovec body;
    struct recv_args a;

    body.iov_base = mess;
    body.iov_len = max_mess_len > 0 && mess != NULL ? (size_t)max_mess_len
                                                     : 0;
    a.service_type = service_type;
    a.sender = sender;
    a.max_groups = groups != NULL ? max_groups : 0;
    a.num_groups = num_groups;
    a.groups = groups;
    a.mess_type = mess_type;
    a.endian_mismatch = endian_mismatch;
    a.body = &body;
    a.nbody = 1;
    a.body_cap = body.iov_len;
    return receive(mbox, &a);
}

int SP_scat_receive(mailbox mbox, service *service_type,
                    char sender[MAX_GROUP_NAME], int max_groups,
                    int *num_groups, char groups[][MAX_GROUP_NAME],
                    int16 *mess_type, int *endian_mismatch,
                    scatter *scat_mess)
{
    struct iovec body[MAX_CLIENT_SCATTER_ELEMENTS];
    struct recv_args a;
    size_t i, cap = 0;

    if (scat_mess == NULL ||
        scat_mess->num_elements > MAX_CLIENT_SCATTER_ELEMENTS)
        return ILLEGAL_MESSAGE;
    for (i = 0; i < scat_mess->num_elements; i++) {
        body[i].iov_base = scat_mess->elements[i].buf;
        body[i].iov_len = scat_mess->elements[i].buf != NULL
                              ? scat_mess->elements[i].len : 0;
        cap += body[i].iov_len;
    }
    a.service_type = service_type;
    a.sender = sender;
    a.max_groups = groups != NULL ? max_groups : 0;
    a.num_groups = num_groups;
    a.groups = groups;
    a.mess_type = mess_type;
    a.endian_mismatch = endian_mismatch;
    a.body = body;
    a.nbody = (int)scat_mess->num_elements;
    a.body_cap = cap;
    return receive(mbox, &a);
}

/* ---- draining for SP_disconnect ------------------------------------ */

/* Bytes that follow a parked header: the reject word (if not yet read, it
 * never is for parked headers: read_header takes it), groups and body. */
static size_t rest_of(const struct spw_header *h)
{
    return (size_t)h->num_groups * MAX_GROUP_NAME + (size_t)h->data_len;
}

int spl_recv_drain(struct spl_sess *s, const struct timespec *deadline)
{
    unsigned char buf[SPW_HEADER_LEN];
    struct spw_header h;
    int rc = 0;

    if (s->pending) {
        s->pending = 0;
        if (s->pending_hdr.num_groups >= 0 && s->pending_hdr.data_len >= 0)
            rc = spl_io_recv_dl(s->fd, NULL, rest_of(&s->pending_hdr),
                                deadline);
        else
            rc = SPL_IO_ENDED;  /* the stream cannot be followed */
    }
    while (rc == 0 && !atomic_load(&s->broken)) {
        rc = spl_io_recv_dl(s->fd, buf, sizeof buf, deadline);
        if (rc != 0)
            break;
        spw_header_decode(buf, &h);
        if (is_kill_ack(&h) || h.num_groups < 0 || h.data_len < 0) {
            rc = SPL_IO_ENDED;
            break;
        }
        rc = spl_io_recv_dl(s->fd, NULL,
                            rest_of(&h) + ((h.type & REJECT_MESS) ? 4 : 0),
                            deadline);
    }
    /* Whatever happened, the stream is no longer usable: at the end, or cut
     * inside a frame by the deadline. */
    atomic_store(&s->broken, 1);
    return rc == SPL_IO_TIMEOUT ? -1 : 0;
}
