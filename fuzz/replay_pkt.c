/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Runs the packet fuzz target without libFuzzer, in every `make check`:
 * over the seed corpus, over every datagram of the ring captures in
 * ../shared/vectors/ring, over every prefix of the first datagrams of
 * each capture, and over each datagram with single bytes flipped.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/lib/ringvec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    static unsigned char buf[1 << 17];
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

/* Each datagram in a buffer of its own size (a sanitizer then sees any
 * over-read); the first ones also cut short and with bytes flipped. */
static int run_vector(const char *path)
{
    struct rv_file f;
    int n = 0;
    if (rv_load(path, &f) != 0)
        return 0;
    for (size_t i = 0; i < f.n; i++) {
        const struct rv_rec *r = &f.recs[i];
        unsigned char *b = malloc(r->len ? r->len : 1);
        if (b == NULL)
            break;
        memcpy(b, r->data, r->len);
        LLVMFuzzerTestOneInput(b, r->len);
        n++;
        for (size_t k = 0; i < 40 && k < r->len; k++) {
            LLVMFuzzerTestOneInput(b, k);
            b[k] ^= 0x41;
            LLVMFuzzerTestOneInput(b, r->len);
            b[k] ^= 0x41;
            n += 2;
        }
        free(b);
    }
    rv_free(&f);
    return n;
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char dir[1600];
    char **files;
    size_t nfiles;
    int inputs;

    snprintf(dir, sizeof dir, "%.1000s/fuzz/corpus/pkt", top ? top : ".");
    inputs = run_corpus(dir);
    files = rv_list(&nfiles);
    for (size_t i = 0; i < nfiles; i++) {
        snprintf(dir, sizeof dir, "%.1000s/%.255s", rv_dir(), files[i]);
        inputs += run_vector(dir);
    }
    rv_list_free(files, nfiles);
    printf("replay_pkt: %d inputs\n", inputs);
    return 0;
}
