/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * frame: see frame.h. Kept apart from sess_io.c so that the code that
 * first touches untrusted bytes can be fuzzed and tested alone.
 */
#include "config.h"

#include "frame.h"

#include <stdio.h>
#include <string.h>

int frame_next(const unsigned char *buf, size_t len,
               const char pgroup[MAX_GROUP_NAME], struct frame *f,
               char *why, size_t whylen)
{
    int fault;

    if (len < SPW_HEADER_LEN)
        return FRAME_PARTIAL;
    spw_header_decode(buf, &f->h);
    fault = spw_header_check_client(&f->h);
    if (fault != SPW_HDR_OK) {
        snprintf(why, whylen, "invalid message header: %s",
                 spw_header_fault_str(fault));
        return FRAME_INVALID;
    }
    if (strncmp(f->h.sender, pgroup, MAX_GROUP_NAME) != 0) {
        snprintf(why, whylen, "sender field '%.32s' is not its private group",
                 f->h.sender);
        return FRAME_INVALID;
    }
    /* The checks above bound both counts, so this cannot overflow. */
    f->len = SPW_HEADER_LEN + (size_t)MAX_GROUP_NAME * (size_t)f->h.num_groups +
             (size_t)f->h.data_len;
    f->bytes = buf;
    return len < f->len ? FRAME_PARTIAL : FRAME_WHOLE;
}

void frame_for_delivery(const struct frame *f, unsigned char *out)
{
    struct spw_header hd = f->h;

    memcpy(out, f->bytes, f->len);
    hd.type &= ~((uint32_t)REJECT_MESS | SPW_INTERNAL_KINDS);
    spw_header_encode(out, &hd);
}
