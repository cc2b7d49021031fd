/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flood_names: see flood_names.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "flood_names.h"

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u
#define SUFFIX_LEN 3
#define N_SUFFIXES (64u * 64u * 64u)
#define NO_SUFFIX UINT32_MAX

/* 64 legal group name characters (0x24..0x7e): one per 6 bits. */
static const char alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-";

uint32_t flood_fnv1a(const char *s)
{
    uint32_t h = FNV_BASIS;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= FNV_PRIME;
    }
    return h;
}

/* The inverse of an odd number modulo 2^32 by Newton's iteration: each
 * step doubles the number of correct low bits (x = a is right in 3). */
static uint32_t inverse_mod32(uint32_t a)
{
    uint32_t x = a;
    int i;

    for (i = 0; i < 5; i++)
        x *= 2u - a * x;
    return x;
}

static void suffix_of(uint32_t i, char out[SUFFIX_LEN])
{
    out[0] = alphabet[(i >> 12) & 63];
    out[1] = alphabet[(i >> 6) & 63];
    out[2] = alphabet[i & 63];
}

/* back[s] = a suffix that takes any state whose low bits are s to a state
 * whose low bits are 0, or NO_SUFFIX. */
static uint32_t *suffix_table(uint32_t mask)
{
    uint32_t *back = malloc(((size_t)mask + 1) * sizeof *back);
    uint32_t pinv = inverse_mod32(FNV_PRIME), i;
    char sfx[SUFFIX_LEN];

    if (back == NULL)
        return NULL;
    memset(back, 0xff, ((size_t)mask + 1) * sizeof *back);
    for (i = 0; i < N_SUFFIXES; i++) {
        uint32_t h = 0;
        int k;
        suffix_of(i, sfx);
        for (k = SUFFIX_LEN - 1; k >= 0; k--)      /* undo one step */
            h = (h * pinv) ^ (unsigned char)sfx[k];
        if (back[h & mask] == NO_SUFFIX)
            back[h & mask] = i;
    }
    return back;
}

/* The prefix of number `i`: a fixed letter, then i in base 64 (most
 * significant digit first), so distinct numbers give distinct names. */
static void prefix_of(uint64_t i, char *out, size_t plen)
{
    size_t k;

    out[0] = 'F';
    for (k = plen - 1; k >= 1; k--) {
        out[k] = alphabet[i & 63];
        i >>= 6;
    }
}

int flood_names_fnv(char *names, size_t n, size_t len, unsigned bits)
{
    uint32_t mask, *back;
    size_t plen = len - SUFFIX_LEN, got = 0;
    uint64_t i, limit;

    if (len < SUFFIX_LEN + 1 || len > FLOOD_NAME_MAX || bits < 1 || bits > 20)
        return -1;
    mask = (1u << bits) - 1;
    back = suffix_table(mask);
    if (back == NULL)
        return -1;
    /* Prefixes hold 6 * (plen - 1) bits of counter. About one in seven
     * finds no suffix at 17 bits (64^3 suffixes in 2^17 slots), three in
     * four at 20: short names may run out before n. */
    limit = plen - 1 >= 10 ? UINT64_MAX : (uint64_t)1 << (6 * (plen - 1));
    for (i = 0; got < n && i < limit; i++) {
        char *name = names + got * (len + 1);
        uint32_t h = FNV_BASIS, sfx;
        size_t k;
        prefix_of(i, name, plen);
        for (k = 0; k < plen; k++)
            h = (h ^ (unsigned char)name[k]) * FNV_PRIME;
        sfx = back[h & mask];
        if (sfx == NO_SUFFIX)
            continue;
        suffix_of(sfx, name + plen);
        name[len] = '\0';
        got++;
    }
    free(back);
    return got == n ? 0 : -1;
}

int flood_names_random(char *names, size_t n, size_t len, uint64_t seed)
{
    uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ull;
    size_t i, k;

    if (len < 1 || len > FLOOD_NAME_MAX)
        return -1;
    for (i = 0; i < n; i++) {
        char *name = names + i * (len + 1);
        for (k = 0; k < len; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            name[k] = alphabet[(x >> 58) & 63];
        }
        name[len] = '\0';
    }
    return 0;
}
