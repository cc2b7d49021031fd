/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flush/recv: FL_receive and FL_scat_receive (shared/spec/flush.md 7.1,
 * 7.2, 7.9). Each call serves the head of the ready queue if there is
 * one; otherwise it reads one Spread message, gives it to the engine, and
 * looks again.
 *
 * Reading is done in two steps on the SP layer: a call with no room at
 * all learns the message's size (the SP layer keeps its header for the
 * next call), then the whole message is read into memory of our own.
 * So the engine always parses complete messages - never a caller's
 * truncated buffer - and the short-buffer answers of 7.2 are computed
 * from the real sizes before anything is consumed.
 */
#include "config.h"

#include "conn.h"
#include "codec.h"

#include <limits.h>
#include <poll.h>
#include <string.h>

/* The caller's side of one receive. */
struct recv_out {
    service *serv_type;
    char *sender;
    int max_groups;
    int *num_groups;
    char (*groups)[MAX_GROUP_NAME];
    int16 *mess_type;
    int *endian_mismatch;
    const scatter *body;
    size_t cap;
    int drop;             /* DROP_RECV asked for */
};

static void copy_body(const struct recv_out *o, const unsigned char *src,
                      size_t len)
{
    size_t i;

    for (i = 0; i < o->body->num_elements && len > 0; i++) {
        size_t n = o->body->elements[i].len < len ? o->body->elements[i].len
                                                  : len;
        if (n > 0)
            memcpy(o->body->elements[i].buf, src, n);
        src += n;
        len -= n;
    }
}

/* Copy the head of the ready queue out (7.9; and 7.2 for a message just
 * read under DROP_RECV). Returns the result and whether it was consumed. */
static int copy_out(const struct recv_out *o, const struct fle_msg *m,
                    int *consumed)
{
    int gshort = m->ngroups > o->max_groups;
    int bshort = m->len > o->cap;
    int n;

    *o->serv_type = m->serv;
    *o->mess_type = m->mess_type;
    if ((gshort || bshort) && !o->drop) {
        *o->endian_mismatch = bshort ? -(int)m->len : 0;
        *o->num_groups = gshort ? -m->ngroups : 0;
        *consumed = 0;
        return gshort ? GROUPS_TOO_SHORT : BUFFER_TOO_SHORT;
    }
    n = gshort ? o->max_groups : m->ngroups;
    memcpy(o->sender, m->sender, MAX_GROUP_NAME);
    if (n > 0)
        memcpy(o->groups, m->groups, (size_t)n * MAX_GROUP_NAME);
    /* A subgroup cast read straight from Spread keeps its reference
     * group visible even when the list is cut short (7.2). */
    if (gshort && n > 0 && m->direct && (m->serv & SUBGROUP_CAST))
        memcpy(o->groups[n - 1], m->groups[m->ngroups - 1], MAX_GROUP_NAME);
    *o->num_groups = gshort ? -m->ngroups : m->ngroups;
    *o->endian_mismatch = m->endian;
    copy_body(o, m->body, bshort ? o->cap : m->len);
    *consumed = 1;
    if (gshort)
        return GROUPS_TOO_SHORT;
    return bshort ? BUFFER_TOO_SHORT : (int)m->len;
}

/* Read one whole message from the SP layer into *out (7.2). Returns 0, a
 * short-buffer error with the caller's outputs written (the message stays
 * with the SP layer), or another SP error. */
static int read_one(struct flx_conn *c, const struct recv_out *o,
                    struct fle_msg **out)
{
    char sender[MAX_GROUP_NAME], nog[1][MAX_GROUP_NAME], nob[1];
    service st = 0;
    int ng = 0, em = 0, rc, sp_cap, sub, sp_gshort, bshort, gfit;
    int16 mt = 0;
    size_t ngroups, blen;
    struct fle_msg *m;

    rc = SP_receive(c->mbox, &st, sender, 0, &ng, nog, &mt, &em, 0, nob);
    if (rc >= 0) {
        /* Nothing but a header: a self-leave notice, or a message with
         * neither groups nor body. */
        m = fle_msg_new(0, 0);
        if (m == NULL)
            return SP_BUG;
        m->serv = st;
        m->mess_type = mt;
        m->endian = em;
        memcpy(m->sender, sender, MAX_GROUP_NAME);
        *out = m;
        return 0;
    }
    if (rc != BUFFER_TOO_SHORT && rc != GROUPS_TOO_SHORT)
        return rc;
    ngroups = ng < 0 ? (size_t)-(long)ng : 0;
    blen = em < 0 ? (size_t)-(long)em : 0;
    sub = (st & (REGULAR_MESS | REJECT_MESS)) && (st & SUBGROUP_CAST);
    sp_cap = o->max_groups > 0 ? o->max_groups - 1 : 0;
    sp_gshort = ngroups > (size_t)sp_cap;
    bshort = blen > o->cap;
    gfit = ngroups + (size_t)sub <= (size_t)o->max_groups;
    if (!o->drop && (!gfit || bshort)) {
        /* What the SP layer would have said with the caller's buffers,
         * counting the reference group's slot. */
        *o->serv_type = st;
        *o->mess_type = mt;
        memcpy(o->sender, sender, MAX_GROUP_NAME);
        *o->num_groups = sp_gshort ? -(int)(ngroups + (size_t)sub) : 0;
        *o->endian_mismatch = bshort ? -(int)blen : 0;
        return sp_gshort ? GROUPS_TOO_SHORT : BUFFER_TOO_SHORT;
    }
    m = fle_msg_new((int)ngroups, blen);
    if (m == NULL)
        return SP_BUG;
    st = 0;
    rc = SP_receive(c->mbox, &st, m->sender, (int)ngroups, &ng, m->groups,
                    &mt, &em, (int)blen, (char *)m->body);
    if (rc < 0 || (size_t)rc != blen || ng != (int)ngroups) {
        fle_msg_free(m);
        return rc < 0 ? rc : SP_BUG;
    }
    m->serv = st;
    m->mess_type = mt;
    m->endian = em;
    m->direct = o->drop && (!gfit || bshort);
    *out = m;
    return 0;
}

static int scatter_cap(const scatter *s, size_t *cap)
{
    size_t i, sum = 0;

    if (s->num_elements > MAX_CLIENT_SCATTER_ELEMENTS)
        return ILLEGAL_MESSAGE;
    for (i = 0; i < s->num_elements; i++) {
        if (s->elements[i].len > INT_MAX || sum > INT_MAX)
            return ILLEGAL_MESSAGE;   /* a negative int length, cast */
        if (s->elements[i].len > 0 && s->elements[i].buf == NULL)
            return ILLEGAL_PARAM;
        sum += s->elements[i].len;
    }
    if (sum > INT_MAX)
        return ILLEGAL_MESSAGE;
    *cap = sum;
    return 0;
}

/* SP_poll counts bytes, so it says 0 both for "nothing yet" and for a
 * stream the daemon has ended. A read would not block in the second case
 * (it reports CONNECTION_CLOSED at once), and without it a program that
 * polls with DONT_BLOCK would spin on a dead connection for ever. */
static int ended(mailbox mbox)
{
    struct pollfd p = { mbox, POLLIN, 0 };

    return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLIN));
}

/* The loop of 7.1 with the connection's receive lock held. */
static int receive_loop(struct flx_conn *c, const struct recv_out *o,
                        int dont_block, int *more_msgs)
{
    struct fle_msg *m;
    int rc, consumed;

    for (;;) {
        pthread_mutex_lock(&c->state_lock);
        m = fle_ready_head(&c->eng);
        if (m != NULL) {
            rc = copy_out(o, m, &consumed);
            if (consumed)
                fle_ready_pop(&c->eng);
            if (rc >= 0 && more_msgs != NULL)
                *more_msgs = c->eng.nready;
            pthread_mutex_unlock(&c->state_lock);
            return rc;
        }
        pthread_mutex_unlock(&c->state_lock);
        if (dont_block) {
            rc = SP_poll(c->mbox);
            if (rc < 0)
                return rc;
            if (rc == 0 && !ended(c->mbox))
                return WOULD_BLOCK;
        }
        rc = read_one(c, o, &m);
        if (rc < 0)
            return rc;
        pthread_mutex_lock(&c->state_lock);
        rc = fle_process(&c->eng, m);
        pthread_mutex_unlock(&c->state_lock);
        if (rc == CONNECTION_CLOSED || rc == ILLEGAL_SESSION)
            return rc;
    }
}

int FL_scat_receive(mailbox mbox, service *serv_type, char *sender_name,
                    int max_groups, int *num_groups,
                    char group_names[][MAX_GROUP_NAME], int16 *mess_type,
                    int *endian_mismatch, scatter *scat_mess, int *more_msgs)
{
    struct recv_out o;
    struct flx_conn *c;
    int rc, dont_block;

    if (max_groups < 0)
        return ILLEGAL_PARAM;
    c = flx_conn_get(mbox);
    if (c == NULL)
        return ILLEGAL_SESSION;
    o.serv_type = serv_type;
    o.sender = sender_name;
    o.max_groups = max_groups;
    o.num_groups = num_groups;
    o.groups = group_names;
    o.mess_type = mess_type;
    o.endian_mismatch = endian_mismatch;
    o.body = scat_mess;
    rc = 0;
    if (serv_type == NULL || sender_name == NULL || num_groups == NULL ||
        mess_type == NULL || endian_mismatch == NULL || scat_mess == NULL ||
        (max_groups > 0 && group_names == NULL))
        rc = ILLEGAL_PARAM;
    else
        rc = scatter_cap(scat_mess, &o.cap);
    if (rc == 0) {
        o.drop = (*serv_type & DROP_RECV) != 0;
        dont_block = (*serv_type & DONT_BLOCK) != 0;
        pthread_mutex_lock(&c->recv_lock);
        rc = receive_loop(c, &o, dont_block, more_msgs);
        pthread_mutex_unlock(&c->recv_lock);
        flx_conn_fail(c, rc);
    }
    flx_conn_put(c);
    return rc;
}

int FL_receive(mailbox mbox, service *serv_type, char *sender_name,
               int max_groups, int *num_groups,
               char group_names[][MAX_GROUP_NAME], int16 *mess_type,
               int *endian_mismatch, int max_mess_len, char *mess,
               int *more_msgs)
{
    scatter s;

    if (max_groups < 0)
        return ILLEGAL_PARAM;
    s.num_elements = 1;
    s.elements[0].buf = mess;
    /* A negative length is caught with the scatter checks. */
    s.elements[0].len = max_mess_len < 0 ? (size_t)-1 : (size_t)max_mess_len;
    if (mess == NULL && max_mess_len == 0)
        s.num_elements = 0;
    return FL_scat_receive(mbox, serv_type, sender_name, max_groups,
                           num_groups, group_names, mess_type,
                           endian_mismatch, &s, more_msgs);
}
