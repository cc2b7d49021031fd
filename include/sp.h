/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * sp.h: the public client API. Applications include only this header; it
 * pulls in sp_events.h and sp_func.h. Every name, value and layout here is
 * fixed by compatibility with Spread 5.0.1 (see docs/protocol.md); do not
 * change one without a soname bump.
 */
#ifndef INC_SP
#define INC_SP

#include <stddef.h>

/* Upstream spells these as macros, not typedefs; programs rely on that. */
#define int16 short
#define int32 int

/* Upstream's header says 5.0.0 here although the release is 5.0.1. */
#define SPREAD_VERSION ((5 << 24) | (0 << 16) | 0)

#define DEFAULT_SPREAD_PORT 4803

#define MAX_GROUP_NAME 32
#define MAX_PRIVATE_NAME 10
#define MAX_PROC_NAME 20

#if MAX_PRIVATE_NAME >= 128
#error "MAX_PRIVATE_NAME must be below 128: it travels in a signed byte"
#endif

#define LOW_PRIORITY 0
#define MEDIUM_PRIORITY 1
#define HIGH_PRIORITY 2

/* Service and message-type bits. */
#define UNRELIABLE_MESS 0x00000001
#define RELIABLE_MESS 0x00000002
#define FIFO_MESS 0x00000004
#define CAUSAL_MESS 0x00000008
#define AGREED_MESS 0x00000010
#define SAFE_MESS 0x00000020
#define REGULAR_MESS 0x0000003f

#define SELF_DISCARD 0x00000040
#define DROP_RECV 0x01000000

#define REG_MEMB_MESS 0x00001000
#define TRANSITION_MESS 0x00002000
#define CAUSED_BY_JOIN 0x00000100
#define CAUSED_BY_LEAVE 0x00000200
#define CAUSED_BY_DISCONNECT 0x00000400
#define CAUSED_BY_NETWORK 0x00000800
#define MEMBERSHIP_MESS 0x00003f00

#define ENDIAN_RESERVED 0x80000080
#define RESERVED 0x003fc000
#define REJECT_MESS 0x00400000

/* Results and errors. */
#define ACCEPT_SESSION 1
#define ILLEGAL_SPREAD -1
#define COULD_NOT_CONNECT -2
#define REJECT_QUOTA -3
#define REJECT_NO_NAME -4
#define REJECT_ILLEGAL_NAME -5
#define REJECT_NOT_UNIQUE -6
#define REJECT_VERSION -7
#define CONNECTION_CLOSED -8
#define REJECT_AUTH -9
#define ILLEGAL_SESSION -11
#define ILLEGAL_SERVICE -12
#define ILLEGAL_MESSAGE -13
#define ILLEGAL_GROUP -14
#define BUFFER_TOO_SHORT -15
#define GROUPS_TOO_SHORT -16
#define MESSAGE_TOO_LONG -17
#define NET_ERROR_ON_SESSION -18
#define SP_BUG -19
#define ILLEGAL_TIME -20

#define MAX_CLIENT_SCATTER_ELEMENTS 100

/* Cohort extensions a program can test for with #ifdef (lifecycle, see
 * libspread(3)): SP_close() and an SP_kill() that returns int. */
#define SP_HAVE_CLOSE 1
/* SP_init(), with fork handlers that make the library usable in a child. */
#define SP_HAVE_INIT 1

typedef int mailbox;
typedef int service;

typedef struct dummy_scat_element {
    char *buf;
    size_t len;
} scat_element;

typedef struct dummy_scatter {
    size_t num_elements;
    scat_element elements[MAX_CLIENT_SCATTER_ELEMENTS];
} scatter;

typedef struct dummy_group_id {
    int32 id[3];
} group_id;

typedef struct dummy_vs_set_info {
    unsigned int num_members;
    unsigned int members_offset;
} vs_set_info;

typedef struct dummy_membership_info {
    group_id gid;
    char changed_member[MAX_GROUP_NAME];
    unsigned int num_vs_sets;
    vs_set_info my_vs_set;
} membership_info;

#define Flip_int16(t) ((int16)((((t) >> 8) & 0x00ff) | (((t) << 8) & 0xff00)))
#define Flip_int32(t) \
    ((int32)((((unsigned int)(t) >> 24) & 0x000000ff) | \
             (((unsigned int)(t) >> 8) & 0x0000ff00) | \
             (((unsigned int)(t) << 8) & 0x00ff0000) | \
             (((unsigned int)(t) << 24) & 0xff000000)))

#define Is_unreliable_mess(t) ((t) & UNRELIABLE_MESS)
#define Is_reliable_mess(t) ((t) & RELIABLE_MESS)
#define Is_fifo_mess(t) ((t) & FIFO_MESS)
#define Is_causal_mess(t) ((t) & CAUSAL_MESS)
#define Is_agreed_mess(t) ((t) & AGREED_MESS)
#define Is_safe_mess(t) ((t) & SAFE_MESS)
#define Is_regular_mess(t) (((t) & REGULAR_MESS) && !((t) & REJECT_MESS))
#define Is_self_discard(t) ((t) & SELF_DISCARD)
#define Is_reg_memb_mess(t) ((t) & REG_MEMB_MESS)
#define Is_transition_mess(t) ((t) & TRANSITION_MESS)
#define Is_caused_join_mess(t) ((t) & CAUSED_BY_JOIN)
#define Is_caused_leave_mess(t) ((t) & CAUSED_BY_LEAVE)
#define Is_caused_disconnect_mess(t) ((t) & CAUSED_BY_DISCONNECT)
#define Is_caused_network_mess(t) ((t) & CAUSED_BY_NETWORK)
#define Is_membership_mess(t) (((t) & MEMBERSHIP_MESS) && !((t) & REJECT_MESS))
#define Is_reject_mess(t) ((t) & REJECT_MESS)
#define Is_self_leave(t) \
    (((t) & CAUSED_BY_LEAVE) && !((t) & (REG_MEMB_MESS | TRANSITION_MESS)))

#ifdef __cplusplus
extern "C" {
#endif

#include "sp_events.h"
#include "sp_func.h"

#ifdef __cplusplus
}
#endif

#endif /* INC_SP */
