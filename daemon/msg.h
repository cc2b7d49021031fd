/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * msg: a reference-counted, immutable-once-built frame as it goes on the
 * wire to clients. One message is built once and its single buffer is
 * referenced by every receiver's write queue (zero-copy fan-out).
 *
 * Contract
 * - msg_new() returns one reference; every queue holding it takes its own
 *   with msg_ref() and drops it with msg_unref(); the last unref frees.
 * - After it has been handed to a queue the bytes must not change.
 * - `stamp` is a fan-out serial: deliver gives every message a fresh one
 *   and marks each receiving session with it, so "already got a copy" is
 *   one comparison.
 * - Single-threaded: counts are plain integers.
 */
#ifndef COHORT_DAEMON_MSG_H
#define COHORT_DAEMON_MSG_H

#include <stddef.h>
#include <stdint.h>

struct msg {
    unsigned refs;
    uint32_t len;           /* bytes in data */
    unsigned char *data;    /* the whole frame: header, groups, body */
    unsigned char bytes[];  /* storage; data points here */
};

/* A message with room for `len` bytes (uninitialised). NULL on ENOMEM. */
struct msg *msg_new(size_t len);

static inline struct msg *msg_ref(struct msg *m)
{
    m->refs++;
    return m;
}

void msg_unref(struct msg *m);

#endif /* COHORT_DAEMON_MSG_H */
