/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/hmap.c and daemon/siphash.c: SipHash-2-4 against
 * the published vectors, SipHash-1-3 (what hmap uses) against CPython's
 * str hash, per-table keys, and the property issue 8 asks
 * for: names crafted to collide under the old unkeyed hash (FNV-1a) spread
 * over the buckets like random names do. Chains are measured, never time.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "internal/wire.h"
#include "../lib/ckmain.h"
#include "../lib/flood_names.h"

#define N_FLOOD 100000
#define NAME_LEN 28
/* With 100,000 names in 131,072 buckets the longest chain is about 8 for
 * random hashing and 100,000 for the old hash on crafted names. */
#define CHAIN_BOUND 32

/* SipHash-2-4 outputs for key 00 01 .. 0f and the messages of length
 * 0..63 made of the bytes 00 01 02 ..: the reference vectors published
 * with the algorithm. */
static const uint64_t sip24_vectors[64] = {
    0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull,
    0x85676696d7fb7e2dull, 0xcf2794e0277187b7ull, 0x18765564cd99a68dull,
    0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull, 0x93f5f5799a932462ull,
    0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
    0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull,
    0xa129ca6149be45e5ull, 0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull,
    0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull, 0xbed65cf21aa2ee98ull,
    0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
    0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull,
    0x2f2e6163076bcfadull, 0xde4daaaca71dc9a5ull, 0xa6a2506687956571ull,
    0xad87a3535c49ef28ull, 0x32d892fad841c342ull, 0x7127512f72f27cceull,
    0xa7f32346f95978e3ull, 0x12e0b01abb051238ull, 0x15e034d40fa197aeull,
    0x314dffbe0815a3b4ull, 0x027990f029623981ull, 0xcadcd4e59ef40c4dull,
    0x9abfd8766a33735cull, 0x0e3ea96b5304a7d0ull, 0xad0c42d6fc585992ull,
    0x187306c89bc215a9ull, 0xd4a60abcf3792b95ull, 0xf935451de4f21df2ull,
    0xa9538f0419755787ull, 0xdb9acddff56ca510ull, 0xd06c98cd5c0975ebull,
    0xe612a3cb9ecba951ull, 0xc766e62cfcadaf96ull, 0xee64435a9752fe72ull,
    0xa192d576b245165aull, 0x0a8787bf8ecb74b2ull, 0x81b3e73d20b49b6full,
    0x7fa8220ba3b2eceaull, 0x245731c13ca42499ull, 0xb78dbfaf3a8d83bdull,
    0xea1ad565322a1a0bull, 0x60e61c23a3795013ull, 0x6606d7e446282b93ull,
    0x6ca4ecb15c5f91e1ull, 0x9f626da15c9625f3ull, 0xe51b38608ef25f57ull,
    0x958a324ceb064572ull,
};

static const unsigned char test_key[SIPHASH_KEY_LEN] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};

struct item {
    struct hmap_node node;
    char name[MAX_GROUP_NAME];
    int visits;                         /* by hmap_each */
};

static struct item *find(const struct hmap *m, const char *name)
{
    uint32_t h = hmap_hash(m, name, MAX_GROUP_NAME);
    struct hmap_node *n;

    for (n = hmap_bucket(m, h); n != NULL; n = n->next) {
        struct item *it = hmap_entry(n, struct item, node);
        if (n->hash == h && strncmp(it->name, name, MAX_GROUP_NAME) == 0)
            return it;
    }
    return NULL;
}

static size_t longest_chain(const struct hmap *m)
{
    size_t i, best = 0;

    for (i = 0; i < m->n_buckets; i++) {
        const struct hmap_node *n;
        size_t len = 0;
        for (n = m->buckets[i]; n != NULL; n = n->next)
            len++;
        if (len > best)
            best = len;
    }
    return best;
}

/* n items named from names[i * (NAME_LEN + 1)], NUL-padded. */
static struct item *items_from(const char *names, size_t n)
{
    struct item *items = calloc(n, sizeof *items);
    size_t i;

    ck_assert_ptr_nonnull(items);
    for (i = 0; i < n; i++)
        memcpy(items[i].name, names + i * (NAME_LEN + 1), NAME_LEN);
    return items;
}

/* Inserts all, checks the chains, finds all, removes all. (Loops test
 * and abort rather than ck_assert each item: every ck_assert that passes
 * writes a mark to Check's pipe.) */
static void spread_check(struct hmap *m, struct item *items, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (hmap_insert(m, &items[i].node,
                        hmap_hash(m, items[i].name, MAX_GROUP_NAME)) != 0)
            ck_abort_msg("insert %zu failed", i);
    ck_assert_uint_eq(m->n, n);
    ck_assert_uint_le(m->n, m->n_buckets);
    ck_assert_uint_lt(longest_chain(m), CHAIN_BOUND);
    for (i = 0; i < n; i++)
        if (find(m, items[i].name) != &items[i])
            ck_abort_msg("'%s' not found", items[i].name);
    for (i = 0; i < n; i++)
        hmap_remove(m, &items[i].node);
    ck_assert_uint_eq(m->n, 0);
    ck_assert_uint_eq(longest_chain(m), 0);
}

START_TEST(siphash_reference_vectors)
{
    struct siphash_key k;
    unsigned char msg[64];
    int i;

    siphash_key_set(&k, test_key);
    for (i = 0; i < 64; i++)
        msg[i] = (unsigned char)i;
    for (i = 0; i < 64; i++)
        ck_assert_msg(siphash24(&k, msg, (size_t)i) == sip24_vectors[i],
                      "vector %d", i);
}
END_TEST

/* SipHash-1-3 under the all-zero key, as CPython 3.11 computes it for the
 * hash of an ASCII str with PYTHONHASHSEED=0 (hash(s) modulo 2^64): an
 * independent implementation of the variant hmap uses. Lengths 1 to 31,
 * across the 8-byte word boundaries. */
START_TEST(siphash13_against_cpython)
{
    static const struct {
        const char *s;
        uint64_t h;
    } v[] = {
        {"a", 4644417185603328019ull},
        {"abc", 13851880170939887858ull},
        {"flooder", 9370246905227853266ull},
        {"abcdefgh", 4574395652268504554ull},
        {"#alice#localhost", 9847274608347123502ull},
        {"0123456789abcdef", 2108444454683020324ull},
        {"group-number-042-padded-name", 9392073207459396948ull},
        {"abcdefghijklmnopqrstuvwxyz01234", 4823101306739905440ull},
    };
    struct siphash_key zero = {0, 0};
    size_t i;

    for (i = 0; i < sizeof v / sizeof v[0]; i++)
        ck_assert_msg(siphash13(&zero, v[i].s, strlen(v[i].s)) == v[i].h,
                      "%s", v[i].s);
}
END_TEST

START_TEST(hash_is_keyed_siphash_of_the_name)
{
    struct hmap a, b;
    struct siphash_key k;
    char field[MAX_GROUP_NAME];
    int differ = 0, i;

    hmap_init_keyed(&a, test_key);
    siphash_key_set(&k, test_key);
    /* The name ends at the first NUL or at maxlen. */
    ck_assert_uint_eq(hmap_hash(&a, "abc\0xyz", MAX_GROUP_NAME),
                      (uint32_t)siphash13(&k, "abc", 3));
    memset(field, 'x', sizeof field);
    ck_assert_uint_eq(hmap_hash(&a, field, MAX_GROUP_NAME),
                      (uint32_t)siphash13(&k, field, MAX_GROUP_NAME));
    ck_assert_uint_eq(hmap_hash(&a, field, 5),
                      (uint32_t)siphash13(&k, "xxxxx", 5));
    /* Two tables, two keys: the same names hash differently. */
    hmap_init(&a);
    hmap_init(&b);
    ck_assert(a.key.k0 != b.key.k0 || a.key.k1 != b.key.k1);
    for (i = 0; i < 8; i++) {
        field[0] = (char)('a' + i);
        differ += hmap_hash(&a, field, MAX_GROUP_NAME) !=
                  hmap_hash(&b, field, MAX_GROUP_NAME);
    }
    ck_assert_int_gt(differ, 0);
    hmap_fini(&a);
    hmap_fini(&b);
}
END_TEST

static int cmp_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The attack input is real: distinct legal names, one old bucket. */
START_TEST(flood_names_collide_under_fnv)
{
    char *names = malloc((size_t)N_FLOOD * (NAME_LEN + 1));
    uint32_t low17;
    size_t i;

    ck_assert_ptr_nonnull(names);
    ck_assert_int_eq(flood_names_fnv(names, N_FLOOD, NAME_LEN, 17), 0);
    low17 = flood_fnv1a(names) & 0x1ffff;
    for (i = 0; i < N_FLOOD; i++) {
        const char *s = names + i * (NAME_LEN + 1);
        if (strlen(s) != NAME_LEN || !spw_group_name_ok(s) ||
            (flood_fnv1a(s) & 0x1ffff) != low17)
            ck_abort_msg("bad crafted name '%s'", s);
    }
    qsort(names, N_FLOOD, NAME_LEN + 1, cmp_names);
    for (i = 1; i < N_FLOOD; i++)
        if (strcmp(names + (i - 1) * (NAME_LEN + 1),
                   names + i * (NAME_LEN + 1)) == 0)
            ck_abort_msg("'%s' twice", names + i * (NAME_LEN + 1));
    free(names);
}
END_TEST

/* Issue 8: on the unkeyed hash all of these share one chain. */
START_TEST(crafted_names_spread)
{
    char *names = malloc((size_t)N_FLOOD * (NAME_LEN + 1));
    struct item *items;
    struct hmap m;

    ck_assert_ptr_nonnull(names);
    ck_assert_int_eq(flood_names_fnv(names, N_FLOOD, NAME_LEN, 17), 0);
    items = items_from(names, N_FLOOD);
    hmap_init_keyed(&m, test_key);      /* repeatable */
    spread_check(&m, items, N_FLOOD);
    hmap_fini(&m);
    hmap_init(&m);                      /* as the daemon runs */
    spread_check(&m, items, N_FLOOD);
    hmap_fini(&m);
    free(items);
    free(names);
}
END_TEST

START_TEST(random_names_spread)
{
    char *names = malloc((size_t)N_FLOOD * (NAME_LEN + 1));
    struct item *items;
    struct hmap m;

    ck_assert_ptr_nonnull(names);
    ck_assert_int_eq(flood_names_random(names, N_FLOOD, NAME_LEN, 42), 0);
    items = items_from(names, N_FLOOD);
    hmap_init(&m);
    spread_check(&m, items, N_FLOOD);
    hmap_fini(&m);
    free(items);
    free(names);
}
END_TEST

static void count_cb(struct hmap_node *n, void *ctx)
{
    hmap_entry(n, struct item, node)->visits++;
    (*(size_t *)ctx)++;
}

START_TEST(insert_find_remove_each)
{
    struct item items[300];
    struct hmap m;
    size_t i, seen = 0;

    memset(items, 0, sizeof items);
    hmap_init(&m);
    ck_assert_ptr_null(hmap_bucket(&m, 0));
    ck_assert_ptr_null(find(&m, "g0"));
    for (i = 0; i < 300; i++) {
        snprintf(items[i].name, MAX_GROUP_NAME - 1, "g%zu", i);
        ck_assert_int_eq(hmap_insert(&m, &items[i].node,
                                     hmap_hash(&m, items[i].name,
                                               MAX_GROUP_NAME)), 0);
        ck_assert_uint_le(m.n, m.n_buckets);     /* load factor <= 1 */
    }
    ck_assert_uint_eq(m.n_buckets, 512);         /* 64, doubled three times */
    for (i = 0; i < 300; i++)   /* every node survived the resizes */
        ck_assert_ptr_eq(find(&m, items[i].name), &items[i]);
    hmap_each(&m, count_cb, &seen);
    ck_assert_uint_eq(seen, 300);
    for (i = 0; i < 300; i++)
        ck_assert_int_eq(items[i].visits, 1);
    for (i = 0; i < 300; i += 2)
        hmap_remove(&m, &items[i].node);
    ck_assert_uint_eq(m.n, 150);
    for (i = 0; i < 300; i++)
        ck_assert_ptr_eq(find(&m, items[i].name),
                         i % 2 ? &items[i] : NULL);
    hmap_fini(&m);
    ck_assert_uint_eq(m.n, 0);
    ck_assert_ptr_null(find(&m, items[1].name));
    /* Usable again after fini, with the same key. */
    ck_assert_int_eq(hmap_insert(&m, &items[1].node,
                                 hmap_hash(&m, items[1].name,
                                           MAX_GROUP_NAME)), 0);
    ck_assert_ptr_eq(find(&m, items[1].name), &items[1]);
    hmap_fini(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hmap");
    TCase *tc = tcase_create("hmap");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, siphash_reference_vectors);
    tcase_add_test(tc, siphash13_against_cpython);
    tcase_add_test(tc, hash_is_keyed_siphash_of_the_name);
    tcase_add_test(tc, flood_names_collide_under_fnv);
    tcase_add_test(tc, crafted_names_spread);
    tcase_add_test(tc, random_names_spread);
    tcase_add_test(tc, insert_find_remove_each);
    suite_add_tcase(s, tc);
    return ck_run_suite(s);
}
