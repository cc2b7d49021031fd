/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * hmap: an intrusive, chained hash table for the daemon's name tables
 * (groups, members, sessions). Keys are names of at most 32 bytes held in
 * the containing object; the table stores only nodes and hashes, and the
 * caller compares keys while walking a bucket.
 *
 * Contract: no allocation per insert except when the bucket array doubles
 * (load factor 1); insertion fails only on ENOMEM of that resize. Removing
 * never allocates. Not thread-safe.
 */
#ifndef COHORT_DAEMON_HMAP_H
#define COHORT_DAEMON_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_node {
    struct hmap_node *next;
    uint32_t hash;
};

struct hmap {
    struct hmap_node **buckets;
    size_t n_buckets;          /* power of two, 0 before the first insert */
    size_t n;
};

void hmap_init(struct hmap *m);
void hmap_fini(struct hmap *m);

/* FNV-1a over a NUL-padded name field (stops at NUL or maxlen). */
uint32_t hmap_hash_name(const char *name, size_t maxlen);

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
