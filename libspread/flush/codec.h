/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flush/codec: the only code that touches the bytes of the flush layer's
 * own traffic (shared/spec/flush.md section 4) and of the Spread
 * membership bodies the layer reads (client-protocol.md section 9).
 *
 * Contract
 * --------
 * - Pure functions: no allocation, no locks, no logging, no I/O.
 * - Decoders check every length before they read; a malformed input gives
 *   -EBADMSG and leaves the output undefined. They never write into the
 *   input.
 * - Integers the layer puts into bodies are in this host's byte order;
 *   decoders swap them when told the sender's order differs.
 */
#ifndef COHORT_LIBSPREAD_FLUSH_CODEC_H
#define COHORT_LIBSPREAD_FLUSH_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "fl.h"

/* The reserved message types (below FL_MIN_LEGAL_MESS_TYPE). */
#define FLC_FLUSH_OK ((int16)-32768)
#define FLC_FLUSH_RECV ((int16)-32767)
#define FLC_TAGGED ((int16)-32766)

#define FLC_ID_LEN 12                    /* a group id: three 32-bit words */
#define FLC_TAG_LEN (2 + FLC_ID_LEN)     /* app mess_type + view id */
#define FLC_REF_LEN MAX_GROUP_NAME       /* a subgroup cast's reference group */
#define FLC_TRAILER_MAX (FLC_TAG_LEN + FLC_REF_LEN)

/* Offsets in the body of a view message the layer builds (8.3). */
#define FLC_VIEW_GID_OFF 0
#define FLC_VIEW_NUM_OFF 12
#define FLC_VIEW_SET_OFF 16

/* Kinds of incoming data messages, by wire message type only. */
enum flc_kind { FLC_KIND_DATA, FLC_KIND_FLUSH_OK, FLC_KIND_FLUSH_RECV,
                FLC_KIND_TAGGED };

/* A data message taken apart (4.7). The application body is the first
 * app_len bytes of the input; the rest was trailer. */
struct flc_data {
    enum flc_kind kind;
    int16 app_type;      /* the type to report (the tag's, if tagged) */
    group_id id;         /* control and tagged messages only */
    size_t app_len;
    int has_ref;         /* a subgroup cast: ref is its reference group */
    char ref[MAX_GROUP_NAME];
};

/* 12 bytes of a group id in this host's order. */
void flc_id_encode(unsigned char out[FLC_ID_LEN], const group_id *id);

/* The trailer a sender appends to the application body (4.4, 4.5):
 * [app_type | view id] if tagged, then the reference group if ref is not
 * NULL (32 bytes copied as given). Returns its length (at most
 * FLC_TRAILER_MAX). */
size_t flc_trailer_encode(unsigned char *out, int tagged, int16 app_type,
                          const group_id *view, const char *ref);

/* Take apart an incoming data message (4.7): serv is its service type,
 * wire_type its message type, swap non-zero when the sender's byte order
 * differs. Returns 0 or -EBADMSG (too short for its trailer). */
int flc_data_decode(const unsigned char *body, size_t len, service serv,
                    int16 wire_type, int swap, struct flc_data *out);

/* A regular membership body, already in host order (the SP layer converts
 * it): its id and the receiver's own vs set. Returns 0 or -EBADMSG (short
 * body, set count or offsets pointing outside it, or an own set that is
 * not one of the listed sets). */
struct flc_memb {
    group_id id;
    uint32_t own_count;
    const unsigned char *own_names;   /* own_count x MAX_GROUP_NAME */
};
int flc_memb_decode(const unsigned char *body, size_t len,
                    struct flc_memb *out);

/* Length of a view body with k names, and its encoding into out (which
 * must hold that many bytes); names is k x MAX_GROUP_NAME, or NULL when
 * the caller has written them at FLC_VIEW_SET_OFF already. */
size_t flc_view_len(int k);
void flc_view_encode(unsigned char *out, const group_id *id, int k,
                     const char (*names)[MAX_GROUP_NAME]);

/* A name counts as a private group when it has '#' before its NUL within
 * MAX_GROUP_NAME bytes (6.3). */
int flc_is_private(const char *name);

#endif /* COHORT_LIBSPREAD_FLUSH_CODEC_H */
