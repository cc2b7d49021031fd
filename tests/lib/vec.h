/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * vec: reader for the capture files in ../shared/vectors (format in their
 * README.md): frames per connection letter and direction, run-length
 * shorthand expanded, "~" mask lines turned into per-byte masks.
 */
#ifndef COHORT_TESTS_VEC_H
#define COHORT_TESTS_VEC_H

#include <stddef.h>

struct vec_frame {
    char conn;              /* 'A'..'Z' */
    char dir;               /* 'C' client->daemon, 'D' daemon->client */
    unsigned char *data;
    unsigned char *mask;    /* mask[i] != 0: byte i varies, do not compare */
    size_t len;
    int line;               /* line number in the file, for messages */
};

struct vec_file {
    struct vec_frame *frames;
    size_t n;
};

/* Returns 0, or -1 with a message on stderr. */
int vec_load(const char *path, struct vec_file *out);

/* With VEC_EVENTS, connection events recorded in comments become frames of
 * length 0 too: dir 'O' connect over TCP, 'U' connect over the unix socket,
 * 'X' the client closes, 'E' the daemon ended the connection (end of
 * stream, or a reset seen by a recv), 'S' a send failed because the daemon
 * had already reset the connection: the frame that send carried is not in
 * the file, since it never crossed the connection whole. */
#define VEC_EVENTS 0x1
int vec_load_ex(const char *path, struct vec_file *out, int flags);
void vec_free(struct vec_file *v);

/* 1 if buf equals the frame outside its masked bytes. */
int vec_match(const struct vec_frame *f, const unsigned char *buf, size_t len);

/* The shared material: $COHORT_SHARED, else $top_srcdir/../shared. */
const char *vec_shared_dir(void);

/* Directory of the vectors: $COHORT_VECTORS, else <shared>/vectors. */
const char *vec_dir(void);

/* 1 if the vectors are there; else 0, after printing why (a test program
 * then exits 77, automake's "skipped"). */
int vec_available(void);

#endif
