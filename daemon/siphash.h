/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * siphash: SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012), the keyed hash behind hmap's name tables.
 *
 * Why 2-4 and not the faster 1-3: 2-4 is the variant the authors specify
 * and publish reference vectors for, and its margin is the one that has
 * been analysed. Our inputs are names of at most 31 bytes, i.e. at most
 * four message words: 2-4 costs 12 rounds per name against 1-3's 7, tens
 * of nanoseconds next to the system calls every message already costs.
 *
 * Contract
 * - Pure: no state, no allocation, any length (including 0) is safe.
 * - Byte order independent: the key and the message are read as
 *   little-endian words, as the specification says, on every host.
 * - As a PRF, its outputs tell nothing about the key; someone who does
 *   not know the key cannot find inputs whose outputs collide in any
 *   chosen bits faster than by trying inputs and observing collisions.
 */
#ifndef COHORT_DAEMON_SIPHASH_H
#define COHORT_DAEMON_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/* The 128-bit key as the two little-endian words the rounds use. */
struct siphash_key {
    uint64_t k0, k1;
};

void siphash_key_set(struct siphash_key *k,
                     const unsigned char bytes[SIPHASH_KEY_LEN]);

uint64_t siphash24(const struct siphash_key *k, const void *data, size_t len);

#endif /* COHORT_DAEMON_SIPHASH_H */
