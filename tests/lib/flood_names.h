/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flood_names: group names an attacker would send to a daemon that hashes
 * names with unkeyed 32-bit FNV-1a (Cohort up to 0.2.0, issue 8), and
 * random names to compare them with. Used by the hmap and groups unit
 * suites and by bench/hash_flood.
 *
 * FNV-1a's low k bits depend only on the low k bits of the state and of
 * each byte, and every step can be undone (the prime is odd), so the
 * names are built as a distinct prefix followed by a 3-character suffix
 * that steers the state back to one target: a table of the 64^3 suffixes
 * run backwards from the target, looked up with each prefix's state.
 * 100,000 names of 28 characters take a few milliseconds.
 */
#ifndef COHORT_TESTS_FLOOD_NAMES_H
#define COHORT_TESTS_FLOOD_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* Longest name asked for: a group name holds at most 31 characters. */
#define FLOOD_NAME_MAX 31

/* 32-bit FNV-1a of a NUL-terminated string: the old daemon hash. */
uint32_t flood_fnv1a(const char *s);

/* Writes n distinct names of len characters (4 <= len <= FLOOD_NAME_MAX)
 * into names[i * (len + 1)], each NUL-terminated, whose FNV-1a hashes
 * agree in their low `bits` bits (1 <= bits <= 20): one bucket in any
 * FNV-hashed table of up to 2^bits buckets. Every character is a legal
 * group name character. Returns 0, or -1 on bad arguments or ENOMEM. */
int flood_names_fnv(char *names, size_t n, size_t len, unsigned bits);

/* n names of len legal characters from a xorshift generator seeded with
 * `seed`, in the same layout; distinct with overwhelming probability. */
int flood_names_random(char *names, size_t n, size_t len, uint64_t seed);

#endif /* COHORT_TESTS_FLOOD_NAMES_H */
