/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * fl.h: the flush layer, view-synchronous groups built on the SP_* API
 * (see FL_connect(3) and docs/design.md). Programs include this header
 * instead of, or besides, sp.h and link with libspread (the thread-safe
 * library; libspread-core and libtspread-core do not contain FL_*).
 *
 * Every name, value and prototype here is fixed by source and binary
 * compatibility with Spread 5.0.1's fl.h: the header adds no types, only
 * the constants and functions below over the types of sp.h.
 */
#ifndef COHORT_FL_H
#define COHORT_FL_H

#include <sp.h>

/* Receive flag: return WOULD_BLOCK instead of waiting for a message. */
#define DONT_BLOCK 0x10000000
/* Service type of a flush request the layer hands to the application; it
 * never travels on the wire. */
#define FLUSH_REQ_MESS 0x20000000
/* Service bit of messages sent with FL_unicast/FL_subgroupcast; it does
 * travel, and receivers see it. */
#define SUBGROUP_CAST 0x40000000

/* Errors of the layer itself; -1..-20 are those of sp.h, -21..-23 are
 * unused. */
#define ILLEGAL_PARAM -24
#define WOULD_BLOCK -25
#define ILLEGAL_MESSAGE_TYPE -26
#define ILLEGAL_STATE -27
#define ILLEGAL_RECEIVERS -28

/* One scatter element is kept for the layer's own trailer. */
#define FL_MAX_SCATTER_ELEMENTS (MAX_CLIENT_SCATTER_ELEMENTS - 1)
/* The three types below this are the layer's control and tagged traffic. */
#define FL_MIN_LEGAL_MESS_TYPE ((int16)-32765)

#define Is_flush_req_mess(serv) (((serv) & FLUSH_REQ_MESS) != 0)
#define Is_subgroup_mess(serv) (((serv) & SUBGROUP_CAST) != 0)

#ifdef __cplusplus
extern "C" {
#endif

/* Optional: creates the lock of the connection table and returns 0 the
 * first time, ILLEGAL_STATE afterwards. The layer is thread-safe whether
 * or not it is called. */
int FL_lib_init(void);

/* The layer's own version (2.0.0), not Spread's. */
void FL_version(int *major_ver, int *minor_ver, int *patch_ver);

/* Connection level: FL_connect always asks for membership messages. */
int FL_connect(const char *daemon_name, const char *user_name, int priority,
               mailbox *mbox, char *private_name);
int FL_disconnect(mailbox mbox);

/* Group level. FL_flush answers the flush request handed out last. */
int FL_join(mailbox mbox, const char *group_name);
int FL_leave(mailbox mbox, const char *group_name);
int FL_flush(mailbox mbox, const char *group_name);

/* Sending. The subgroup forms send to members of group_name's current
 * view only; recvr_names entries are MAX_GROUP_NAME bytes each. */
int FL_unicast(mailbox mbox, service serv_type, const char *group_name,
               const char *recvr_name, int16 mess_type, int mess_len,
               const char *mess);
int FL_scat_unicast(mailbox mbox, service serv_type, const char *group_name,
                    const char *recvr_name, int16 mess_type,
                    const scatter *scat);
int FL_subgroupcast(mailbox mbox, service serv_type, const char *group_name,
                    int num_recvrs, char recvr_names[][MAX_GROUP_NAME],
                    int16 mess_type, int mess_len, const char *mess);
int FL_scat_subgroupcast(mailbox mbox, service serv_type,
                         const char *group_name, int num_recvrs,
                         char recvr_names[][MAX_GROUP_NAME], int16 mess_type,
                         const scatter *scat);
int FL_multicast(mailbox mbox, service serv_type, const char *group_name,
                 int16 mess_type, int mess_len, const char *mess);
int FL_scat_multicast(mailbox mbox, service serv_type, const char *group_name,
                      int16 mess_type, const scatter *scat_mess);

/* Receiving. All of the layer's work (answering and completing flush
 * rounds) happens inside these two calls. On entry only DONT_BLOCK and
 * DROP_RECV of *serv_type are read. */
int FL_receive(mailbox mbox, service *serv_type, char *sender_name,
               int max_groups, int *num_groups,
               char group_names[][MAX_GROUP_NAME], int16 *mess_type,
               int *endian_mismatch, int max_mess_len, char *mess,
               int *more_msgs);
int FL_scat_receive(mailbox mbox, service *serv_type, char *sender_name,
                    int max_groups, int *num_groups,
                    char group_names[][MAX_GROUP_NAME], int16 *mess_type,
                    int *endian_mismatch, scatter *scat_mess,
                    int *more_msgs);

/* Messages already produced for the application (never blocks), and a
 * zero/positive hint that something may be there to read. */
int FL_more_msgs(mailbox mbox);
int FL_poll(mailbox mbox);

void FL_error(int error_code);

/* Offsets inside the body of a view message: group id, vs-set count,
 * vs-set names (0, 12, 16). */
int FL_get_gid_offset_memb_mess(void);
int FL_get_num_vs_offset_memb_mess(void);
int FL_get_vs_set_offset_memb_mess(void);

#ifdef __cplusplus
}
#endif

#endif /* COHORT_FL_H */
