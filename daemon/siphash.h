/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * siphash: SipHash (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012), the keyed hash behind hmap's name tables, in its 2-4 and
 * 1-3 variants (rounds per message word - rounds at the end).
 *
 * hmap uses SipHash-1-3: it hashes one name for every message a client
 * sends, and on our names of at most 31 bytes 1-3 costs 5 to 7 rounds
 * against 2-4's 8 to 12 (measured: a message's hashing from about 170 to
 * about 110 instructions). 1-3 is the variant general-purpose hash tables
 * use against hash flooding (Rust's standard HashMap; CPython from 3.11,
 * whose str hash is checked against it in tests/unit/test_hmap.c); 2-4
 * is the conservative PRF, with the paper's published vectors, which
 * check the rounds, the key and the padding both variants share.
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
uint64_t siphash13(const struct siphash_key *k, const void *data, size_t len);

#endif /* COHORT_DAEMON_SIPHASH_H */
