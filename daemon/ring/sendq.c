/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * sendq: the send queue of the ring core (see sendq.h). An array, so that
 * frag_pack() sees the queue as one run of messages; it slides down when
 * the free space at its start is as large as what is queued.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sendq.h"

void sendq_init(struct sendq *q)
{
    memset(q, 0, sizeof(*q));
}

void sendq_fini(struct sendq *q)
{
    size_t i;

    for (i = 0; i < q->count; i++)
        free((void *)q->m[q->head + i].bytes);
    free(q->m);
    memset(q, 0, sizeof(*q));
}

static int valid_service(uint32_t s)
{
    return s == PKT_RELIABLE || s == PKT_FIFO || s == PKT_AGREED ||
           s == PKT_SAFE;
}

/* Room for one more entry at the end. */
static int make_room(struct sendq *q)
{
    struct frag_msg *m;
    size_t cap;

    if (q->head + q->count < q->cap)
        return 0;
    if (q->head >= q->count && q->head > 0) {
        memmove(q->m, q->m + q->head, q->count * sizeof(*q->m));
        q->head = 0;
        return 0;
    }
    cap = q->cap ? 2 * q->cap : 64;
    m = realloc(q->m, cap * sizeof(*m));
    if (!m)
        return -ENOMEM;
    q->m = m;
    q->cap = cap;
    return 0;
}

int sendq_push(struct sendq *q, const unsigned char *msg, size_t len,
               uint32_t service)
{
    unsigned char *copy;

    if (len < PKT_MSG_HEADER_LEN || len > PKT_MAX_MSG_LEN ||
        !valid_service(service))
        return -EINVAL;
    if (make_room(q) < 0)
        return -ENOMEM;
    copy = malloc(len);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, msg, len);
    q->m[q->head + q->count].bytes = copy;
    q->m[q->head + q->count].len = len;
    q->m[q->head + q->count].service = service;
    q->count++;
    return 0;
}

int sendq_next(struct sendq *q, struct pkt_data *d)
{
    /* Every queued message passed sendq_push()'s checks, which are
     * frag_pack()'s: it cannot refuse one. */
    return frag_pack(q->m + q->head, q->count, &q->cur, d) > 0;
}

void sendq_release(struct sendq *q)
{
    size_t i;

    for (i = 0; i < q->cur.msg; i++)
        free((void *)q->m[q->head + i].bytes);
    q->head += q->cur.msg;
    q->count -= q->cur.msg;
    q->cur.msg = 0;
    if (q->count == 0)
        q->head = 0;
}
