/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * pkt_int.h: byte helpers shared by the pkt*.c files only (not part of
 * pkt.h's interface). Integers are assembled byte by byte in an explicit
 * order, so nothing depends on alignment or on the host.
 */
#ifndef COHORT_DAEMON_RING_PKT_INT_H
#define COHORT_DAEMON_RING_PKT_INT_H

#include <stdint.h>

#include "pkt.h"

static inline enum pkt_order pkt_resolve(enum pkt_order o)
{
    return o == PKT_ORDER_LE || o == PKT_ORDER_BE ? o : pkt_host_order();
}

static inline uint32_t pkt_ld32(const unsigned char *p, enum pkt_order o)
{
    if (o == PKT_ORDER_LE)
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
               (uint32_t)p[3] << 24;
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
           (uint32_t)p[0] << 24;
}

static inline uint16_t pkt_ld16(const unsigned char *p, enum pkt_order o)
{
    if (o == PKT_ORDER_LE)
        return (uint16_t)(p[0] | p[1] << 8);
    return (uint16_t)(p[1] | p[0] << 8);
}

static inline void pkt_st32(unsigned char *p, uint32_t v, enum pkt_order o)
{
    int i;
    for (i = 0; i < 4; i++) {
        int shift = o == PKT_ORDER_LE ? 8 * i : 8 * (3 - i);
        p[i] = (unsigned char)(v >> shift);
    }
}

static inline void pkt_st16(unsigned char *p, uint16_t v, enum pkt_order o)
{
    p[o == PKT_ORDER_LE ? 0 : 1] = (unsigned char)v;
    p[o == PKT_ORDER_LE ? 1 : 0] = (unsigned char)(v >> 8);
}

#endif /* COHORT_DAEMON_RING_PKT_INT_H */
