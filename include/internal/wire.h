/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * internal/wire.h: what the daemon and the client library must agree on
 * byte for byte: the client protocol's constants, the 48-byte message
 * header, and the name rules. Never installed.
 *
 * Byte order (docs/protocol.md): each writer uses its native order and
 * marks it with SPW_ENDIAN_MARK in the type word (and hint word); a reader
 * whose own mark differs swaps type, num_groups and data_len. The helpers
 * here never allocate, never log and never fail on any input: decoding is
 * total, validation is the caller's (see spw_header_check_client()).
 */
#ifndef COHORT_INTERNAL_WIRE_H
#define COHORT_INTERNAL_WIRE_H

#include <stdint.h>
#include <string.h>

#include "sp.h"

/* Protocol version this code speaks (and reports through SP_version). */
#define SPW_VERSION_MAJOR 5
#define SPW_VERSION_MINOR 0
#define SPW_VERSION_PATCH 1

/* Type-word bits that sp.h does not export. */
#define SPW_RETRANSMIT_TYPE 0x00004000u
#define SPW_LATENCY_MESS 0x00008000u
#define SPW_JOIN_MESS 0x00010000u
#define SPW_LEAVE_MESS 0x00020000u
#define SPW_KILL_MESS 0x00040000u
#define SPW_GROUPS_MESS 0x00080000u
/* Daemon-internal kinds a client's data frame may carry unchecked
 * (client-protocol.md §7.5) and the daemon clears: RETRANSMIT_TYPE,
 * LATENCY_MESS, GROUPS_MESS, DUMMY_MESS, STATETRANS_MESS. */
#define SPW_INTERNAL_KINDS 0x0038c000u
#define SPW_DUMMY_MESS 0x00100000u
#define SPW_STATETRANS_MESS 0x00200000u
#define SPW_NOT_REGULAR_MESS 0x00ffff00u

/* Half-close acknowledgement (lifecycle.md; docs/protocol.md). Both bits
 * lie outside every mask upstream defines or checks (data, membership,
 * RESERVED, REJECT_MESS, DROP_RECV, the FL layer's 0x10000000 and above),
 * and upstream's daemon ignores type bits of a KILL other than KILL_MESS.
 *   SPW_KILL_WANTS_ACK  client -> daemon, on a KILL_MESS frame: please
 *                       acknowledge before closing.
 *   SPW_KILL_ACK        daemon -> client: the acknowledgement's type is
 *                       KILL_MESS | SPW_KILL_ACK, sender = the client's
 *                       private group, no groups, empty body; the daemon
 *                       then shuts down its sending side. */
#define SPW_KILL_WANTS_ACK 0x02000000u
#define SPW_KILL_ACK 0x04000000u

/* Limits shared by both sides. */
#define SPW_HEADER_LEN 48
#define SPW_MAX_GROUPS_PER_MESSAGE 100
#define SPW_MAX_MESSAGE_BODY_LEN 144000
#define SPW_MAX_AUTH_NAME 30
#define SPW_MAX_AUTH_METHODS 3
#define SPW_AUTH_CHOICE_LEN (SPW_MAX_AUTH_NAME * SPW_MAX_AUTH_METHODS)
#define SPW_HINT_VALID_MASK 0x80ffff80u

/* Handshake: flag bits of the connect message. */
#define SPW_CONNECT_FLAG_MEMBERSHIP 0x01
#define SPW_CONNECT_FLAG_PRIORITY 0x10

/* Field offsets of the 48-byte header. */
#define SPW_OFF_TYPE 0
#define SPW_OFF_SENDER 4
#define SPW_OFF_NUM_GROUPS 36
#define SPW_OFF_HINT 40
#define SPW_OFF_DATA_LEN 44

/* The marker a writer on this host puts in type and hint. */
static inline uint32_t spw_native_mark(void)
{
    const uint32_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first ? (uint32_t)ENDIAN_RESERVED : 0u;
}

/* True when a word written by someone else is in our byte order. Works
 * before knowing the order because the mask is symmetric under reversal. */
static inline int spw_same_endian(uint32_t word)
{
    return (word & (uint32_t)ENDIAN_RESERVED) == spw_native_mark();
}

static inline uint32_t spw_swap32(uint32_t v)
{
    return ((v >> 24) & 0xffu) | ((v >> 8) & 0xff00u) |
           ((v << 8) & 0xff0000u) | ((v << 24) & 0xff000000u);
}

static inline uint32_t spw_get32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline void spw_put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* A decoded header, always in host order. */
struct spw_header {
    uint32_t type;            /* marker bits as they were on the wire */
    char sender[MAX_GROUP_NAME]; /* raw 32 bytes, not necessarily NUL-terminated */
    int32_t num_groups;
    uint32_t hint;            /* never swapped: carries the writer's marker */
    int32_t data_len;
    int foreign;              /* 1 if the writer's byte order differs */
};

/* Decode 48 bytes. Never fails; range checks are the caller's. */
static inline void spw_header_decode(const unsigned char *buf,
                                     struct spw_header *h)
{
    uint32_t type = spw_get32(buf + SPW_OFF_TYPE);
    uint32_t ng = spw_get32(buf + SPW_OFF_NUM_GROUPS);
    uint32_t dl = spw_get32(buf + SPW_OFF_DATA_LEN);

    h->foreign = !spw_same_endian(type);
    if (h->foreign) {
        type = spw_swap32(type);
        ng = spw_swap32(ng);
        dl = spw_swap32(dl);
    }
    h->type = type;
    memcpy(h->sender, buf + SPW_OFF_SENDER, MAX_GROUP_NAME);
    h->num_groups = (int32_t)ng;
    h->hint = spw_get32(buf + SPW_OFF_HINT);
    h->data_len = (int32_t)dl;
}

/* Encode in host order. `type` gets this host's marker; `hint` is written
 * exactly as given (callers forwarding a message keep the sender's). */
static inline void spw_header_encode(unsigned char *buf,
                                     const struct spw_header *h)
{
    uint32_t type = (h->type & ~(uint32_t)ENDIAN_RESERVED) | spw_native_mark();
    spw_put32(buf + SPW_OFF_TYPE, type);
    memcpy(buf + SPW_OFF_SENDER, h->sender, MAX_GROUP_NAME);
    spw_put32(buf + SPW_OFF_NUM_GROUPS, (uint32_t)h->num_groups);
    spw_put32(buf + SPW_OFF_HINT, h->hint);
    spw_put32(buf + SPW_OFF_DATA_LEN, (uint32_t)h->data_len);
}

/* mess_type <-> hint. The hint a writer sends carries its own marker. */
static inline uint32_t spw_hint_from_mess_type(int16_t mess_type)
{
    return (((uint32_t)(uint16_t)mess_type << 8) & 0x00ffff00u) |
           spw_native_mark();
}

static inline int16_t spw_mess_type_from_hint(uint32_t hint)
{
    if (!spw_same_endian(hint))
        hint = spw_swap32(hint);
    return (int16_t)(uint16_t)((hint >> 8) & 0xffffu);
}

/* Name characters: 0x24 ('$') to 0x7e ('~'); bytes >= 0x80 are refused. */
static inline int spw_name_char_ok(unsigned char c)
{
    return c > '#' && c <= '~';
}

/* A joinable group name: 1..31 legal characters. Returns 1 if valid. */
static inline int spw_group_name_ok(const char *name)
{
    size_t i;
    if (name == NULL || name[0] == '\0')
        return 0;
    for (i = 0; name[i] != '\0'; i++) {
        if (i >= MAX_GROUP_NAME - 1 || !spw_name_char_ok((unsigned char)name[i]))
            return 0;
    }
    return 1;
}

/* Bounded length of a name held in a 32-byte wire field. */
static inline size_t spw_field_len(const char field[MAX_GROUP_NAME])
{
    size_t n = 0;
    while (n < MAX_GROUP_NAME && field[n] != '\0')
        n++;
    return n;
}

/* Exactly one of the six data bits, JOIN, LEAVE or KILL. */
static inline int spw_single_kind(uint32_t type)
{
    uint32_t k = type & (REGULAR_MESS | SPW_JOIN_MESS | SPW_LEAVE_MESS |
                         SPW_KILL_MESS);
    return k != 0 && (k & (k - 1)) == 0;
}

/* Reasons a client header is refused (the daemon drops the session). */
enum spw_header_fault {
    SPW_HDR_OK = 0,
    SPW_HDR_BAD_KIND,      /* not exactly one data/JOIN/LEAVE/KILL bit */
    SPW_HDR_BAD_GROUPS,    /* num_groups outside 0..100 */
    SPW_HDR_BAD_HINT,      /* bits outside 0x80ffff80 */
    SPW_HDR_BAD_LENGTH,    /* data_len outside 0..144000 */
    SPW_HDR_TOO_BIG        /* body + 32*groups above 144000 */
};

/* The header checks of a client frame that do not need session state (the
 * sender check does). Returns an spw_header_fault. */
static inline int spw_header_check_client(const struct spw_header *h)
{
    uint32_t hint = h->hint;
    if (!spw_same_endian(hint))
        hint = spw_swap32(hint);
    if (!spw_single_kind(h->type))
        return SPW_HDR_BAD_KIND;
    if (h->num_groups < 0 || h->num_groups > SPW_MAX_GROUPS_PER_MESSAGE)
        return SPW_HDR_BAD_GROUPS;
    if (hint & ~SPW_HINT_VALID_MASK)
        return SPW_HDR_BAD_HINT;
    if (h->data_len < 0 || h->data_len > SPW_MAX_MESSAGE_BODY_LEN)
        return SPW_HDR_BAD_LENGTH;
    /* Upstream's daemon refused above 144000 - 48 although its library
     * sends up to 144000; this daemon accepts every message the library
     * does (daemon.md §7). */
    if ((long)h->data_len + (long)MAX_GROUP_NAME * h->num_groups >
        SPW_MAX_MESSAGE_BODY_LEN)
        return SPW_HDR_TOO_BIG;
    return SPW_HDR_OK;
}

static inline const char *spw_header_fault_str(int fault)
{
    switch (fault) {
    case SPW_HDR_OK: return "ok";
    case SPW_HDR_BAD_KIND: return "type word must hold exactly one of the data, join, leave or kill bits";
    case SPW_HDR_BAD_GROUPS: return "group count outside 0..100";
    case SPW_HDR_BAD_HINT: return "hint word has bits outside the message-type field";
    case SPW_HDR_BAD_LENGTH: return "body length outside 0..144000";
    case SPW_HDR_TOO_BIG: return "body plus group names larger than 144000 bytes";
    }
    return "unknown fault";
}

#endif /* COHORT_INTERNAL_WIRE_H */
