/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * hmap: an intrusive, chained hash table for the daemon's name tables
 * (groups, members, sessions). Keys are names of at most 32 bytes held in
 * the containing object; the table stores only nodes and hashes, and the
 * caller compares keys while walking a bucket.
 *
 * Names come from clients, so the hash is keyed: SipHash-1-3 (siphash.h)
 * under a secret 128-bit key of the table's own, drawn when the table is
 * initialised. A client that does not know the key cannot choose names
 * that share a bucket (issue 8: an unkeyed hash let 100,000 crafted names
 * fall into one chain and stall the daemon for a minute).
 *
 * Contract
 * - Keys: a hash is valid only in the table that computed it
 *   (hmap_hash(m, ...)); the key never changes while the table lives, so
 *   the hashes stored in nodes stay valid across resizes.
 * - Cost: hmap_hash() is one SipHash of the name (at most 7 rounds, as
 *   names have at most 31 bytes). The bucket array doubles when the table
 *   holds as many nodes as buckets and halves when it holds fewer than an
 *   eighth (not below 64 buckets), so the load factor is at most 1 and a
 *   table that a flood filled gives its memory back. A lookup walks one chain: on average about one node;
 *   the longest chain grows like ln n / ln ln n (6 to 8 for 100,000).
 * - Worst case without the key: the same as for random names. Whatever
 *   names an attacker picks, their buckets are as if drawn at random. To
 *   lengthen one chain by a name he must find one that shares its bucket,
 *   which takes about n_buckets tries, each seen only through timing.
 * - Worst case with the key (which must never leave the process; see
 *   hmap_init() for when it could be guessed): every name can be put in
 *   one bucket. Lookups and removals are then O(n), and callers that look
 *   up before they insert pay O(n^2) for n names. Nothing here bounds a
 *   chain; that is the price of no per-bucket bookkeeping.
 * - hmap_each() visits nodes in bucket order, which depends on the key:
 *   never show clients anything in that order, it would tell them which
 *   names share a bucket.
 * - No allocation per insert except when the bucket array doubles;
 *   insertion fails only on ENOMEM of that resize. Removing never fails:
 *   it may allocate the halved array, and keeps the table as it is if
 *   that allocation fails. Not thread-safe.
 */
#ifndef COHORT_DAEMON_HMAP_H
#define COHORT_DAEMON_HMAP_H

#include <stddef.h>
#include <stdint.h>

#include "siphash.h"

struct hmap_node {
    struct hmap_node *next;
    uint32_t hash;
};

struct hmap {
    struct hmap_node **buckets;
    size_t n_buckets;          /* power of two, 0 before the first insert */
    size_t n;
    struct siphash_key key;    /* secret; fixed from init to fini */
};

/* An empty table with a fresh key from the kernel (getrandom(2), else
 * /dev/urandom). Never fails and never blocks: if neither source answers
 * (a kernel without getrandom and no /dev/urandom), the key is mixed from
 * both clocks, the process id and two addresses. That key is unknown to
 * a remote client but could be narrowed down by a local user who sees
 * the process start and knows its memory layout; the table then works
 * as before, only without the guarantee above. */
void hmap_init(struct hmap *m);

/* An empty table with a chosen key: for tests that need a repeatable
 * bucket layout. Never use it for names that come from clients. */
void hmap_init_keyed(struct hmap *m,
                     const unsigned char key[SIPHASH_KEY_LEN]);

/* Frees the bucket array; the table is empty afterwards, keeps its key
 * and may be used again. */
void hmap_fini(struct hmap *m);

/* The table's hash of a NUL-padded name field: the bytes up to the first
 * NUL or maxlen, whichever comes first. */
uint32_t hmap_hash(const struct hmap *m, const char *name, size_t maxlen);

/* `hash` must be hmap_hash() of the node's name in this same table. */
int hmap_insert(struct hmap *m, struct hmap_node *node, uint32_t hash);
void hmap_remove(struct hmap *m, struct hmap_node *node);

/* First node of the bucket of `hash` (follow ->next, check ->hash). */
static inline struct hmap_node *hmap_bucket(const struct hmap *m, uint32_t hash)
{
    if (m->n_buckets == 0)
        return NULL;
    return m->buckets[hash & (m->n_buckets - 1)];
}

/* Visit every node; `fn` must not insert or remove. */
void hmap_each(const struct hmap *m, void (*fn)(struct hmap_node *, void *),
               void *ctx);

#define hmap_entry(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif /* COHORT_DAEMON_HMAP_H */
