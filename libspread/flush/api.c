/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flush/api: the FL_* entry points except receiving (flush/recv.c):
 * connection and group calls, the send family, and the small fixed
 * answers (version, errors, offsets). Section numbers refer to
 * shared/spec/flush.md.
 *
 * Every call that takes a mailbox resolves it once through the connection
 * table (flush/conn.h), holds that reference to its single exit, and
 * applies the destroy-on-failure rule to SP errors that end the session.
 */
#include "config.h"

#include "conn.h"
#include "codec.h"

#include <stdio.h>
#include <string.h>

/* Service bits an application may not send with (6.2 step 3). */
#define ILLEGAL_SEND_BITS \
    (FLUSH_REQ_MESS | MEMBERSHIP_MESS | ENDIAN_RESERVED | RESERVED)

int FL_lib_init(void)
{
    return flx_lib_init_once();
}

void FL_version(int *major_ver, int *minor_ver, int *patch_ver)
{
    if (major_ver != NULL)
        *major_ver = 2;
    if (minor_ver != NULL)
        *minor_ver = 0;
    if (patch_ver != NULL)
        *patch_ver = 0;
}

int FL_get_gid_offset_memb_mess(void)
{
    return FLC_VIEW_GID_OFF;
}

int FL_get_num_vs_offset_memb_mess(void)
{
    return FLC_VIEW_NUM_OFF;
}

int FL_get_vs_set_offset_memb_mess(void)
{
    return FLC_VIEW_SET_OFF;
}

/* The layer's own error lines; programs and scripts compare them with
 * upstream's, spelling included (5.1). */
void FL_error(int error_code)
{
    const char *text = NULL;

    switch (error_code) {
    case ILLEGAL_PARAM:
        text = "Illegal parameter (eg a negative size) passed to a function.";
        break;
    case WOULD_BLOCK:
        text = "Function call would have blocked.";
        break;
    case ILLEGAL_MESSAGE_TYPE:
        text = "Illegal message type (int16) used, value < "
               "FL_MIN_LEGAL_MESS_TYPE(-32765).";
        break;
    case ILLEGAL_STATE:
        text = "Function call peformed in a prohibited state.";
        break;
    case ILLEGAL_RECEIVERS:
        text = "Illegal receivers specified.";
        break;
    }
    if (text == NULL) {
        SP_error(error_code);
        return;
    }
    printf("FL_error: (%d) %s\n", error_code, text);
}

/* ---- connections (5.2, 5.3) ---------------------------------------- */

int FL_connect(const char *daemon_name, const char *user_name, int priority,
               mailbox *mbox, char *private_name)
{
    char group[MAX_GROUP_NAME];
    mailbox m = -1;
    int rc;

    flx_init();
    memset(group, 0, sizeof group);
    rc = SP_connect(daemon_name, user_name, priority, 1, &m, group);
    if (rc != ACCEPT_SESSION)
        return rc;
    if (flx_conn_create(m, group) < 0) {
        /* Out of memory: the session is of no use without its record. */
        (void)SP_disconnect(m);
        (void)SP_close(m);
        return COULD_NOT_CONNECT;
    }
    if (mbox != NULL)
        *mbox = m;
    if (private_name != NULL)
        memcpy(private_name, group, strnlen(group, MAX_GROUP_NAME - 1) + 1);
    return rc;
}

int FL_disconnect(mailbox mbox)
{
    struct flx_conn *c = flx_conn_get(mbox);
    int rc;

    if (c == NULL)
        return ILLEGAL_SESSION;
    if (flx_conn_unlink(c) < 0) {
        flx_conn_put(c);
        return ILLEGAL_SESSION;   /* another thread got there first */
    }
    /* Ending the SP session wakes a receiver blocked on it; then wait for
     * every call in flight to leave before the state goes. */
    rc = SP_disconnect(mbox);
    flx_conn_wait_alone(c);
    flx_conn_put(c);
    return rc;
}

/* ---- groups (5.4 - 5.6) -------------------------------------------- */

int FL_join(mailbox mbox, const char *group_name)
{
    struct flx_conn *c = flx_conn_get(mbox);
    int rc = 0;

    if (c == NULL)
        return ILLEGAL_SESSION;
    if (group_name == NULL)
        rc = ILLEGAL_GROUP;
    if (rc == 0) {
        pthread_mutex_lock(&c->state_lock);
        if (fle_group_find(&c->eng, group_name) != NULL)
            rc = ILLEGAL_GROUP;
        pthread_mutex_unlock(&c->state_lock);
    }
    if (rc == 0)
        rc = flx_conn_fail(c, SP_join(mbox, group_name));
    flx_conn_put(c);
    return rc;
}

/* FL_leave and FL_flush: a state check and its action in the engine,
 * under the state lock so that no send slips in between. */
static int group_call(mailbox mbox, const char *group_name,
                      int (*fn)(struct flx_conn *, const char *))
{
    struct flx_conn *c = flx_conn_get(mbox);
    int rc;

    if (c == NULL)
        return ILLEGAL_SESSION;
    if (group_name == NULL) {
        flx_conn_put(c);
        return ILLEGAL_GROUP;
    }
    pthread_mutex_lock(&c->state_lock);
    rc = fn(c, group_name);
    pthread_mutex_unlock(&c->state_lock);
    flx_conn_fail(c, rc);
    flx_conn_put(c);
    return rc;
}

static int leave_locked(struct flx_conn *c, const char *group_name)
{
    int rc = fle_leave(&c->eng, group_name);

    return rc == 0 ? SP_leave(c->mbox, group_name) : rc;
}

static int flush_locked(struct flx_conn *c, const char *group_name)
{
    return fle_flush(&c->eng, group_name);
}

int FL_leave(mailbox mbox, const char *group_name)
{
    return group_call(mbox, group_name, leave_locked);
}

int FL_flush(mailbox mbox, const char *group_name)
{
    return group_call(mbox, group_name, flush_locked);
}

/* ---- sending (6) --------------------------------------------------- */

struct send_req {
    service serv;
    const char *group;
    int nrecvrs;                              /* -1: a multicast */
    const char (*recvrs)[MAX_GROUP_NAME];
    int16 mess_type;
    const scatter *scat;
    int bad_len;                              /* a negative mess_len */
};

/* The caller's elements plus the trailer, in a scatter of our own: the
 * caller's may be read-only and is never written (6.1). Called with the
 * state lock held, so the state the tag was chosen in is the state the
 * message leaves in. Returns the SP result. */
static int send_locked(struct flx_conn *c, const struct send_req *r,
                       int tagged, const group_id *view, int *trailer_len)
{
    unsigned char trailer[FLC_TRAILER_MAX];
    char ref[MAX_GROUP_NAME];
    scatter s;   /* 1.6 kB */
    size_t i, tlen;
    service serv = r->serv & ~SUBGROUP_CAST;

    memset(ref, 0, sizeof ref);
    memcpy(ref, r->group, strnlen(r->group, MAX_GROUP_NAME));
    tlen = flc_trailer_encode(trailer, tagged, r->mess_type, view,
                              r->nrecvrs >= 0 ? ref : NULL);
    for (i = 0; i < r->scat->num_elements; i++)
        s.elements[i] = r->scat->elements[i];
    s.num_elements = r->scat->num_elements;
    if (tlen > 0) {
        s.elements[s.num_elements].buf = (char *)trailer;
        s.elements[s.num_elements].len = tlen;
        s.num_elements++;
    }
    *trailer_len = (int)tlen;
    if (r->nrecvrs < 0)
        return SP_scat_multicast(c->mbox, serv, r->group,
                                 tagged ? FLC_TAGGED : r->mess_type, &s);
    return SP_multigroup_scat_multicast(
        c->mbox, serv | SUBGROUP_CAST, r->nrecvrs,
        (char (*)[MAX_GROUP_NAME])r->recvrs,
        tagged ? FLC_TAGGED : r->mess_type, &s);
}

/* 6.2: the checks in the order upstream makes them, then the send. */
static int fl_send(mailbox mbox, const struct send_req *r)
{
    struct flx_conn *c = flx_conn_get(mbox);
    group_id view;
    int rc, tagged = 0, tlen = 0;

    if (c == NULL)
        return ILLEGAL_SESSION;
    if (r->nrecvrs < -1 || (r->nrecvrs > 0 && r->recvrs == NULL))
        rc = ILLEGAL_PARAM;
    else if (r->serv & ILLEGAL_SEND_BITS)
        rc = ILLEGAL_SERVICE;
    else if (r->mess_type < FL_MIN_LEGAL_MESS_TYPE)
        rc = ILLEGAL_MESSAGE_TYPE;
    else if (r->scat == NULL)
        rc = ILLEGAL_PARAM;
    else if (r->bad_len || r->scat->num_elements > FL_MAX_SCATTER_ELEMENTS)
        rc = ILLEGAL_MESSAGE;
    else if (r->group == NULL)
        rc = ILLEGAL_GROUP;
    else
        rc = 0;
    if (rc == 0) {
        pthread_mutex_lock(&c->state_lock);
        rc = fle_send_check(&c->eng, r->group, r->nrecvrs, r->recvrs,
                            r->serv, &tagged, &view);
        if (rc == 0)
            rc = send_locked(c, r, tagged, &view, &tlen);
        pthread_mutex_unlock(&c->state_lock);
        if (rc >= 0)
            rc -= tlen;   /* the application's bytes only (6.4) */
        flx_conn_fail(c, rc);
    }
    flx_conn_put(c);
    return rc;
}

int FL_scat_multicast(mailbox mbox, service serv_type, const char *group_name,
                      int16 mess_type, const scatter *scat_mess)
{
    struct send_req r = { serv_type, group_name, -1, NULL, mess_type,
                          scat_mess, 0 };

    return fl_send(mbox, &r);
}

/* A flat body as a one-element scatter; a negative length is reported
 * in its place among the checks. */
static void flat(scatter *s, const char *mess, int mess_len, int *bad_len)
{
    s->num_elements = 1;
    s->elements[0].buf = (char *)mess;
    s->elements[0].len = mess_len < 0 ? 0 : (size_t)mess_len;
    *bad_len = mess_len < 0;
}

int FL_multicast(mailbox mbox, service serv_type, const char *group_name,
                 int16 mess_type, int mess_len, const char *mess)
{
    scatter s;
    struct send_req r = { serv_type, group_name, -1, NULL, mess_type, &s,
                          0 };

    flat(&s, mess, mess_len, &r.bad_len);
    return fl_send(mbox, &r);
}

int FL_scat_subgroupcast(mailbox mbox, service serv_type,
                         const char *group_name, int num_recvrs,
                         char recvr_names[][MAX_GROUP_NAME], int16 mess_type,
                         const scatter *scat)
{
    struct send_req r = { serv_type, group_name, num_recvrs,
                          (const char (*)[MAX_GROUP_NAME])recvr_names,
                          mess_type, scat, 0 };

    /* -1 marks a multicast inside; a caller's negative count is illegal. */
    if (num_recvrs < 0)
        r.nrecvrs = -2;
    return fl_send(mbox, &r);
}

int FL_subgroupcast(mailbox mbox, service serv_type, const char *group_name,
                    int num_recvrs, char recvr_names[][MAX_GROUP_NAME],
                    int16 mess_type, int mess_len, const char *mess)
{
    scatter s;
    struct send_req r = { serv_type, group_name,
                          num_recvrs < 0 ? -2 : num_recvrs,
                          (const char (*)[MAX_GROUP_NAME])recvr_names,
                          mess_type, &s, 0 };

    flat(&s, mess, mess_len, &r.bad_len);
    return fl_send(mbox, &r);
}

int FL_scat_unicast(mailbox mbox, service serv_type, const char *group_name,
                    const char *recvr_name, int16 mess_type,
                    const scatter *scat)
{
    char one[1][MAX_GROUP_NAME];

    /* A NUL-padded copy: the caller's string may be shorter than 32. */
    memset(one, 0, sizeof one);
    if (recvr_name != NULL)
        memcpy(one[0], recvr_name, strnlen(recvr_name, MAX_GROUP_NAME));
    return FL_scat_subgroupcast(mbox, serv_type, group_name, 1, one,
                                mess_type, scat);
}

int FL_unicast(mailbox mbox, service serv_type, const char *group_name,
               const char *recvr_name, int16 mess_type, int mess_len,
               const char *mess)
{
    char one[1][MAX_GROUP_NAME];
    scatter s;
    struct send_req r = { serv_type, group_name, 1,
                          (const char (*)[MAX_GROUP_NAME])one, mess_type, &s,
                          0 };

    memset(one, 0, sizeof one);
    if (recvr_name != NULL)
        memcpy(one[0], recvr_name, strnlen(recvr_name, MAX_GROUP_NAME));
    flat(&s, mess, mess_len, &r.bad_len);
    return fl_send(mbox, &r);
}

/* ---- queue queries (5.7) ------------------------------------------- */

int FL_more_msgs(mailbox mbox)
{
    struct flx_conn *c = flx_conn_get(mbox);
    int n;

    if (c == NULL)
        return ILLEGAL_SESSION;
    pthread_mutex_lock(&c->state_lock);
    n = c->eng.nready;
    pthread_mutex_unlock(&c->state_lock);
    flx_conn_put(c);
    return n;
}

int FL_poll(mailbox mbox)
{
    struct flx_conn *c = flx_conn_get(mbox);
    long queued;
    int rc;

    if (c == NULL)
        return ILLEGAL_SESSION;
    pthread_mutex_lock(&c->state_lock);
    queued = c->eng.ready_bytes;
    pthread_mutex_unlock(&c->state_lock);
    rc = SP_poll(mbox);
    flx_conn_put(c);
    if (rc < 0)
        return rc;
    return queued + rc > 0x7fffffff ? 0x7fffffff : (int)(queued + rc);
}
