/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * msg: allocation and release of shared frames. The header and the bytes
 * live in one allocation: one malloc per message, whatever the number of
 * receivers.
 */
#include "config.h"

#include <stdlib.h>

#include "msg.h"

struct msg *msg_new(size_t len)
{
    struct msg *m = malloc(sizeof *m + (len ? len : 1));
    if (m == NULL)
        return NULL;
    m->refs = 1;
    m->len = (uint32_t)len;
    m->data = m->bytes;
    return m;
}

void msg_unref(struct msg *m)
{
    if (m == NULL)
        return;
    if (--m->refs == 0) {
        free(m);
    }
}
