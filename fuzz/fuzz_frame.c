/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * libFuzzer target for the daemon's client-frame decoder (daemon/frame.c):
 * the input is a session's byte stream after the handshake, from the
 * session "#alice#localhost". Besides "no crash, no out-of-bounds read",
 * it checks what the decoder promises: a whole frame lies inside the
 * input, and the delivered copy differs from the client's bytes only in
 * the three re-encoded header words, never carrying the REJECT bit.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char pg[MAX_GROUP_NAME] = "#alice#localhost";
    size_t off = 0;

    if (data == NULL || size == 0)
        return 0;
    for (;;) {
        struct frame f;
        struct spw_header g;
        char why[128];
        unsigned char *out;

        if (frame_next(data + off, size - off, pg, &f, why, sizeof why) !=
            FRAME_WHOLE)
            break;
        if (f.len < SPW_HEADER_LEN || f.len > size - off)
            abort();
        out = malloc(f.len);
        if (out == NULL)
            abort();
        frame_for_delivery(&f, out);
        spw_header_decode(out, &g);
        if ((g.type & REJECT_MESS) || g.foreign ||
            g.num_groups != f.h.num_groups || g.data_len != f.h.data_len ||
            memcmp(out + SPW_OFF_SENDER, data + off + SPW_OFF_SENDER,
                   MAX_GROUP_NAME) != 0 ||
            memcmp(out + SPW_OFF_HINT, data + off + SPW_OFF_HINT, 4) != 0 ||
            memcmp(out + SPW_HEADER_LEN, data + off + SPW_HEADER_LEN,
                   f.len - SPW_HEADER_LEN) != 0)
            abort();
        free(out);
        off += f.len;
    }
    return 0;
}
