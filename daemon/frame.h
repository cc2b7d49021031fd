/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * frame: the daemon's decoder of client frames. Finds the next complete
 * frame in a session's byte stream and validates its header (wire.h's
 * checks plus the sender rule) before anything else of the frame is used.
 *
 * Contract
 * - Pure: no I/O, no session state, no logging, no allocation; any input
 *   of any length is safe (fuzzed by fuzz/fuzz_frame.c).
 * - FRAME_INVALID means the stream cannot be followed any further: the
 *   caller ends the session and logs `why`.
 * - A frame is never read past `len`; FRAME_PARTIAL asks for more bytes.
 */
#ifndef COHORT_DAEMON_FRAME_H
#define COHORT_DAEMON_FRAME_H

#include <stddef.h>

#include "internal/wire.h"

enum frame_status {
    FRAME_INVALID = -1,
    FRAME_PARTIAL = 0,
    FRAME_WHOLE = 1
};

struct frame {
    struct spw_header h;         /* decoded, host order */
    const unsigned char *bytes;  /* the whole frame, inside the input */
    size_t len;                  /* header + 32 * num_groups + data_len */
};

/* Look at the start of buf. `pgroup` is the session's own private group
 * (32 bytes, NUL-padded): the only sender a client may name. */
int frame_next(const unsigned char *buf, size_t len,
               const char pgroup[MAX_GROUP_NAME], struct frame *f,
               char *why, size_t whylen);

/* Write a whole data frame into out[f->len] as its receivers get it: type,
 * num_groups and data_len in this daemon's order with its marker and the
 * REJECT bit cleared (reject notices are the daemon's to make); sender,
 * hint, group names and body exactly as the client sent them. The
 * daemon-internal kind bits (GROUPS_MESS and the others of
 * SPW_INTERNAL_KINDS) are cleared too: upstream let them through, and a
 * data message carrying GROUPS_MESS would pass for a daemon's group
 * state once it crossed the ring. */
void frame_for_delivery(const struct frame *f, unsigned char *out);

#endif /* COHORT_DAEMON_FRAME_H */
