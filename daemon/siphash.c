/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * siphash: see siphash.h. Written from the paper's description; checked
 * against its published vectors by tests/unit/test_hmap.c.
 */
#include "config.h"

#include "siphash.h"

static uint64_t load_le64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
           (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

static inline uint64_t rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

/* One SipRound: two add-rotate-xor halves that meet by the 32-bit
 * rotations of v0 and v2. */
static inline void sipround(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = rotl(v[1], 13) ^ v[0];
    v[0] = rotl(v[0], 32);
    v[2] += v[3];
    v[3] = rotl(v[3], 16) ^ v[2];
    v[0] += v[3];
    v[3] = rotl(v[3], 21) ^ v[0];
    v[2] += v[1];
    v[1] = rotl(v[1], 17) ^ v[2];
    v[2] = rotl(v[2], 32);
}

/* SipHash-c-d: c rounds per message word, d at the end. Inlined with
 * constant c and d into the two variants below, so the loops unroll. */
static inline uint64_t siphash_cd(const struct siphash_key *k,
                                  const void *data, size_t len, int c, int d)
{
    const unsigned char *p = data;
    /* The initial state is the key xored with the ASCII of
     * "somepseudorandomlygeneratedbytes", as specified. */
    uint64_t v[4] = {
        k->k0 ^ 0x736f6d6570736575ull, k->k1 ^ 0x646f72616e646f6dull,
        k->k0 ^ 0x6c7967656e657261ull, k->k1 ^ 0x7465646279746573ull,
    };
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    size_t i, tail = len & 7;
    int r;

    for (i = 0; i + 8 <= len; i += 8) {
        uint64_t m = load_le64(p + i);
        v[3] ^= m;
        for (r = 0; r < c; r++)
            sipround(v);
        v[0] ^= m;
    }
    /* The last word: the remaining 0..7 bytes, the length in its top byte. */
    while (tail > 0) {
        tail--;
        last |= (uint64_t)p[i + tail] << (8 * tail);
    }
    v[3] ^= last;
    for (r = 0; r < c; r++)
        sipround(v);
    v[0] ^= last;
    v[2] ^= 0xff;
    for (r = 0; r < d; r++)
        sipround(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

void siphash_key_set(struct siphash_key *k,
                     const unsigned char bytes[SIPHASH_KEY_LEN])
{
    k->k0 = load_le64(bytes);
    k->k1 = load_le64(bytes + 8);
}

uint64_t siphash24(const struct siphash_key *k, const void *data, size_t len)
{
    return siphash_cd(k, data, len, 2, 4);
}

/* The variant hmap calls for every message: written out rather than
 * through siphash_cd(), so that the rounds and the tail load are straight
 * code (a name is usually a single word: the tail and the length). */
uint64_t siphash13(const struct siphash_key *k, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t v[4] = {
        k->k0 ^ 0x736f6d6570736575ull, k->k1 ^ 0x646f72616e646f6dull,
        k->k0 ^ 0x6c7967656e657261ull, k->k1 ^ 0x7465646279746573ull,
    };
    uint64_t m, last = (uint64_t)(len & 0xff) << 56;
    const unsigned char *end = p + (len & ~(size_t)7);

    for (; p != end; p += 8) {
        m = load_le64(p);
        v[3] ^= m;
        sipround(v);
        v[0] ^= m;
    }
    switch (len & 7) {
    case 7: last |= (uint64_t)p[6] << 48; /* fall through */
    case 6: last |= (uint64_t)p[5] << 40; /* fall through */
    case 5: last |= (uint64_t)p[4] << 32; /* fall through */
    case 4: last |= (uint64_t)p[3] << 24; /* fall through */
    case 3: last |= (uint64_t)p[2] << 16; /* fall through */
    case 2: last |= (uint64_t)p[1] << 8;  /* fall through */
    case 1: last |= (uint64_t)p[0];       /* fall through */
    default: break;
    }
    v[3] ^= last;
    sipround(v);
    v[0] ^= last;
    v[2] ^= 0xff;
    sipround(v);
    sipround(v);
    sipround(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}
