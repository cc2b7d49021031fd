/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Runs the frame fuzz target without libFuzzer, in every `make check`:
 * over the seed corpus, over the client streams of every capture in
 * ../shared/vectors (each connection's messages, concatenated), and over
 * every prefix of those streams (all the partial reads a daemon can see).
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/lib/vec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    unsigned char buf[1 << 16];
    size_t n;
    if (fp == NULL)
        return 0;
    n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, n);
    return 1;
}

static int run_corpus(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    char path[1600];
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%.1200s/%.255s", dir, e->d_name);
        n += run_file(path);
    }
    closedir(d);
    return n;
}

/* Alice's messages in one capture, as one stream; then every prefix. */
static int run_vector(const char *path)
{
    struct vec_file v;
    unsigned char *stream = NULL;
    size_t len = 0, i;
    if (vec_load(path, &v) < 0)
        return 0;
    for (i = 0; i < v.n; i++) {
        const struct vec_frame *f = &v.frames[i];
        unsigned char *grown;
        /* Messages only: the handshake frames are shorter than a header
         * or exactly the 90-byte authentication choice. */
        if (f->conn != 'A' || f->dir != 'C' || f->len < 48 || f->len == 90)
            continue;
        grown = realloc(stream, len + f->len);
        if (grown == NULL)
            break;
        stream = grown;
        memcpy(stream + len, f->data, f->len);
        len += f->len;
    }
    for (i = 0; i <= len && len < 400000; i += (i < 4096 ? 1 : 997))
        LLVMFuzzerTestOneInput(stream, i);
    LLVMFuzzerTestOneInput(stream, len);
    free(stream);
    vec_free(&v);
    return 1;
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char dir[1600];
    DIR *d;
    struct dirent *e;
    int files;

    snprintf(dir, sizeof dir, "%.1000s/fuzz/corpus/frame", top ? top : ".");
    files = run_corpus(dir);
    d = opendir(vec_dir());
    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n > 4 && strcmp(e->d_name + n - 4, ".vec") == 0) {
                snprintf(dir, sizeof dir, "%.1000s/%.255s", vec_dir(), e->d_name);
                files += run_vector(dir);
            }
        }
        closedir(d);
    }
    printf("replay_frame: %d inputs\n", files);
    return 0;
}
