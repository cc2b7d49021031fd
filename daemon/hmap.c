/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * hmap: chained hashing with power-of-two bucket arrays. Chosen over a tree
 * because every hot lookup (destination group per message, session per
 * private group) is an exact match on a short name.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "hmap.h"

void hmap_init(struct hmap *m)
{
    m->buckets = NULL;
    m->n_buckets = 0;
    m->n = 0;
}

void hmap_fini(struct hmap *m)
{
    free(m->buckets);
    hmap_init(m);
}

uint32_t hmap_hash_name(const char *name, size_t maxlen)
{
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < maxlen && name[i] != '\0'; i++) {
        h ^= (unsigned char)name[i];
        h *= 16777619u;
    }
    return h;
}

static int resize(struct hmap *m, size_t nb)
{
    struct hmap_node **b = calloc(nb, sizeof *b);
    size_t i;

    if (b == NULL)
        return -ENOMEM;
    for (i = 0; i < m->n_buckets; i++) {
        struct hmap_node *n = m->buckets[i], *next;
        for (; n != NULL; n = next) {
            next = n->next;
            n->next = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->n_buckets = nb;
    return 0;
}

int hmap_insert(struct hmap *m, struct hmap_node *node, uint32_t hash)
{
    size_t i;

    if (m->n >= m->n_buckets) {
        int rc = resize(m, m->n_buckets ? m->n_buckets * 2 : 64);
        if (rc < 0)
            return rc;
    }
    node->hash = hash;
    i = hash & (m->n_buckets - 1);
    node->next = m->buckets[i];
    m->buckets[i] = node;
    m->n++;
    return 0;
}

void hmap_remove(struct hmap *m, struct hmap_node *node)
{
    struct hmap_node **pp;

    if (m->n_buckets == 0)
        return;
    for (pp = &m->buckets[node->hash & (m->n_buckets - 1)]; *pp != NULL;
         pp = &(*pp)->next) {
        if (*pp == node) {
            *pp = node->next;
            node->next = NULL;
            m->n--;
            return;
        }
    }
}

void hmap_each(const struct hmap *m, void (*fn)(struct hmap_node *, void *),
               void *ctx)
{
    size_t i;
    for (i = 0; i < m->n_buckets; i++) {
        struct hmap_node *n;
        for (n = m->buckets[i]; n != NULL; n = n->next)
            fn(n, ctx);
    }
}
