/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flush/engine: the per-connection state of the flush layer and the state
 * machine behind FL_receive (shared/spec/flush.md sections 3 and 7): group
 * records, Spread changes waiting to be installed, FLUSH_OK bookkeeping,
 * postponed messages and the ready queue of messages produced for the
 * application.
 *
 * Contract
 * --------
 * - No I/O and no locks of its own: the caller (flush/conn.c) serialises
 *   every call on one fle_conn with the connection's state lock. The only
 *   way out is the send hook, called with that lock held, to multicast a
 *   FLUSH_OK or FLUSH_RECV; it returns 0 or an SP_* error.
 * - Every message given to fle_process() is owned by the engine from then
 *   on: it is queued for the application, postponed, or freed.
 * - Malformed input (a membership body that does not parse, a control or
 *   tagged message too short for its trailer, a tagged message for the
 *   next view from a sender outside it) is dropped and counted in
 *   `dropped`; the engine never aborts.
 * - Nothing here logs: libspread writes nothing to the program's streams.
 */
#ifndef COHORT_LIBSPREAD_FLUSH_ENGINE_H
#define COHORT_LIBSPREAD_FLUSH_ENGINE_H

#include <stddef.h>

#include "fl.h"

/* A message as the application will see it, or as read from Spread. One
 * allocation holds the record, the group list and the body. */
struct fle_msg {
    struct fle_msg *next;
    service serv;
    int16 mess_type;
    int endian;                       /* 0/1, as SP_receive reports it */
    char sender[MAX_GROUP_NAME];
    int ngroups;
    char (*groups)[MAX_GROUP_NAME];   /* room for ngroups + 1 entries */
    size_t len;
    unsigned char *body;
    /* Read from Spread with DROP_RECV into buffers that were too small:
     * a truncated copy puts the reference group into the last slot that
     * fits (spec 7.2). */
    int direct;
};

/* A message with room for ngroups (+1) names and len body bytes, fields
 * zeroed. NULL when out of memory. */
struct fle_msg *fle_msg_new(int ngroups, size_t len);
void fle_msg_free(struct fle_msg *m);

enum fle_memb_state { FLE_JOINING, FLE_MEMBER, FLE_LEAVING };
enum fle_view_state { FLE_STEADY, FLE_REQUESTED, FLE_FLUSHED, FLE_SETTLING };

const char *fle_view_state_name(enum fle_view_state s);
const char *fle_memb_state_name(enum fle_memb_state s);

/* One Spread change (a regular membership of the group), installed or not. */
struct fle_change {
    struct fle_change *next;
    group_id id;
    int n;                            /* listed members */
    char (*members)[MAX_GROUP_NAME];
    unsigned char *remaining;         /* per listed member: not known gone */
    int nremaining;
    int index;                        /* own position in members */
    service cause;                    /* REG_MEMB_MESS | CAUSED_BY_* */
    char changed[MAX_GROUP_NAME];     /* JOIN/LEAVE/DISCONNECT */
    int noks, oks_cap;                /* distinct FLUSH_OK senders */
    char (*oks)[MAX_GROUP_NAME];
    int transitional;                 /* signal already given in this view */
    int age;                          /* orphans: memberships seen since */
};

struct fle_group {
    struct fle_group *next;
    char name[MAX_GROUP_NAME];
    enum fle_memb_state memb;
    enum fle_view_state view;
    struct fle_change *cur_view;      /* owned: the installed flush view */
    struct fle_change *pending;       /* owned, oldest first */
    struct fle_change *current;       /* borrowed: the round's change */
    struct fle_change *latest;        /* borrowed: latest Spread view */
    struct fle_change *orphans;       /* owned: FLUSH_OKs of unseen ids */
    int recv_count;                   /* FLUSH_RECVs counted */
    struct fle_msg *postponed, **postponed_tail;
};

typedef int (*fle_send_fn)(void *ctx, const char *group, int16 type,
                           const group_id *id);

struct fle_conn {
    char private_group[MAX_GROUP_NAME];
    struct fle_group *groups;
    struct fle_msg *ready, **ready_tail;
    int nready;
    long ready_bytes;                 /* FL_poll's accounting (5.7) */
    fle_send_fn send;
    void *send_ctx;
    unsigned long dropped;            /* malformed or unexpected input */
};

void fle_conn_init(struct fle_conn *c, const char *private_group,
                   fle_send_fn send, void *send_ctx);
/* Frees every record and queued message. */
void fle_conn_fini(struct fle_conn *c);

struct fle_group *fle_group_find(struct fle_conn *c, const char *name);

/* Process one message read from Spread. Returns 0, or the error of a
 * control message the engine had to send (the connection is then
 * unusable if it is CONNECTION_CLOSED or ILLEGAL_SESSION). */
int fle_process(struct fle_conn *c, struct fle_msg *m);

/* FL_flush's checks and action (5.6): 0, ILLEGAL_GROUP, ILLEGAL_STATE, or
 * the error of sending the FLUSH_OK. */
int fle_flush(struct fle_conn *c, const char *group);

/* FL_leave's check (5.5): ILLEGAL_GROUP unless the group's state is
 * member; otherwise it becomes leaving and 0 is returned. */
int fle_leave(struct fle_conn *c, const char *group);

/* The send checks that depend on group state (6.2 steps 6-8): returns 0
 * with *tagged and *view set, or ILLEGAL_GROUP / ILLEGAL_STATE /
 * ILLEGAL_RECEIVERS. recvrs is NULL for a multicast. */
int fle_send_check(struct fle_conn *c, const char *group, int nrecvrs,
                   const char (*recvrs)[MAX_GROUP_NAME], service serv,
                   int *tagged, group_id *view);

/* Ready queue. */
struct fle_msg *fle_ready_head(struct fle_conn *c);
void fle_ready_pop(struct fle_conn *c);

#endif /* COHORT_LIBSPREAD_FLUSH_ENGINE_H */
