/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * hmap: chained hashing with power-of-two bucket arrays. Chosen over a tree
 * because every hot lookup (destination group per message, session per
 * private group) is an exact match on a short name. Each table owns its
 * SipHash key (see hmap.h for what the key buys and when it is weak).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_RANDOM_H
#include <sys/random.h>
#endif

#include "hmap.h"

static int read_urandom(unsigned char *buf, size_t len)
{
    size_t got = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    return got == len ? 0 : -EIO;
}

/* GRND_NONBLOCK: a daemon started early in boot must not hang on an
 * uninitialised pool; /dev/urandom then answers without waiting. */
static int kernel_random(unsigned char *buf, size_t len)
{
#if defined(HAVE_GETRANDOM) && defined(GRND_NONBLOCK)
    size_t got = 0;

    while (got < len) {
        ssize_t r = getrandom(buf + got, len - got, GRND_NONBLOCK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got == len)
        return 0;
#endif
    return read_urandom(buf, len);
}

/* The last resort of hmap_init(): whatever differs between runs and
 * processes (both clocks, the pid, where ASLR put the table and the
 * stack), condensed by SipHash under a fixed key. */
static void weak_key(struct hmap *m)
{
    static const struct siphash_key fixed = { 0x636f686f7274ull, 0x686d6170ull };
    struct timespec rt = { 0, 0 }, mono = { 0, 0 };
    uint64_t w[6];

    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    w[0] = (uint64_t)rt.tv_sec;
    w[1] = (uint64_t)rt.tv_nsec;
    w[2] = (uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec;
    w[3] = (uint64_t)getpid();
    w[4] = (uint64_t)(uintptr_t)m;
    w[5] = (uint64_t)(uintptr_t)&rt;
    m->key.k0 = siphash24(&fixed, w, sizeof w);
    w[0] ^= m->key.k0;
    m->key.k1 = siphash24(&fixed, w, sizeof w);
}

static void empty(struct hmap *m)
{
    m->buckets = NULL;
    m->n_buckets = 0;
    m->n = 0;
}

void hmap_init(struct hmap *m)
{
    unsigned char key[SIPHASH_KEY_LEN];

    empty(m);
    if (kernel_random(key, sizeof key) == 0)
        siphash_key_set(&m->key, key);
    else
        weak_key(m);
}

void hmap_init_keyed(struct hmap *m, const unsigned char key[SIPHASH_KEY_LEN])
{
    empty(m);
    siphash_key_set(&m->key, key);
}

void hmap_fini(struct hmap *m)
{
    free(m->buckets);
    empty(m);
}

uint32_t hmap_hash(const struct hmap *m, const char *name, size_t maxlen)
{
    /* The low half: bucket indexes use the low bits, and every bit of a
     * SipHash output is as good as any other. */
    return (uint32_t)siphash13(&m->key, name, strnlen(name, maxlen));
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
            /* Give memory back after a flood has gone (down to a load of
             * about 1/4, so that it does not grow again at once). Without
             * memory for the smaller array the table simply stays. */
            if (m->n_buckets > 64 && m->n < m->n_buckets / 8)
                (void)resize(m, m->n_buckets / 2);
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
