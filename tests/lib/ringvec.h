/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ringvec: reader for the daemon-to-daemon captures in
 * ../shared/vectors/ring (format: their README.md section 3): every
 * datagram (P/X lines) with the annotation comment lines above it, the
 * daemon names and ids and the configuration hashes of the file header,
 * and small parsers for the "key=value" annotations decode.py writes.
 */
#ifndef COHORT_TESTS_RINGVEC_H
#define COHORT_TESTS_RINGVEC_H

#include <stddef.h>
#include <stdint.h>

#define RV_MAX_NAMES 8

struct rv_rec {
    int num;                /* record number */
    int line;               /* line of the P line in the file */
    char src[16], dst[16];  /* daemon names, dst may be "bcast" */
    int dport;
    unsigned char *data;
    size_t len;             /* bytes of the X lines */
    size_t declared;        /* length on the P line (== len) */
    char **ann;             /* annotation lines ("# ..."), may be 0 */
    int nann;
};

struct rv_file {
    char path[1024];
    struct rv_rec *recs;
    size_t n;
    char names[RV_MAX_NAMES][16];
    uint32_t ids[RV_MAX_NAMES];
    int nnames;
    uint32_t hashes[2];     /* from the header's "configuration hash" */
    int nhashes;
};

/* <shared>/vectors/ring, found as tests/lib/vec.c finds the vectors. */
const char *rv_dir(void);

/* Names of the NN_*.vec files in rv_dir(), sorted; *n set. NULL and n = 0
 * when the directory is missing. Free with rv_list_free(). */
char **rv_list(size_t *n);
void rv_list_free(char **list, size_t n);

/* Returns 0, or -1 with a message on stderr. */
int rv_load(const char *path, struct rv_file *out);
void rv_free(struct rv_file *f);

/* The first annotation line of r that starts with `prefix`, or NULL. */
const char *rv_ann(const struct rv_rec *r, const char *prefix);

/* Value after " key=" (or at the line start) in line: a daemon name of
 * the file, "-1" (0xffffffff), or a number (decimal or 0x hex). Returns 1
 * if found and parsed. */
int rv_num(const struct rv_file *f, const char *line, const char *key,
           int64_t *out);

/* A "(creator,time)" pair after " key=" (the pair may also start right
 * at `key` when key is "" : then line must point at the '('). */
int rv_pair(const struct rv_file *f, const char *line, const char *key,
            int64_t *a, int64_t *b);

/* A list "[a b c]" after " key=": up to max values (names resolved);
 * a '|' inside ends the first part: *split gets its index (or the count
 * when there is none). Returns the count, or -1. */
int rv_list_vals(const struct rv_file *f, const char *line, const char *key,
                 int64_t *vals, int max, int *split);

/* One token: name, "-1" or number. */
int rv_token(const struct rv_file *f, const char *s, int64_t *out);

#endif
