/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * replay_conf: runs the fuzz_conf target over files without libFuzzer, so
 * every `make check` exercises it (and any sanitizer build checks it).
 * With arguments it replays those files or directories (e.g. a crash
 * file); without, the conf fixtures, the seed corpus and the spec's
 * example files under $top_srcdir.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FUZZ_TOP_SRCDIR
#define FUZZ_TOP_SRCDIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;

    if (!f)
        return -1;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    /* Every prefix too: truncated files reach the end-of-input paths. */
    for (long cut = 0; cut < n; cut += 1 + n / 64)
        LLVMFuzzerTestOneInput(buf, (size_t)cut);
    free(buf);
    return 0;
}

/* Replays a file, or every regular file below a directory; returns the
 * number of files replayed, or -1 if `path` cannot be read. */
static int replay_path(const char *path)
{
    struct stat st;
    struct dirent *e;
    DIR *d;
    int n = 0;

    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return replay_file(path) == 0 ? 1 : -1;
    d = opendir(path);
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char sub[4096];
        int k;
        if (e->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        k = replay_path(sub);
        if (k > 0)
            n += k;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    static const char *const dirs[] = {"tests/fixtures/conf",
                                       "fuzz/corpus/conf",
                                       "../shared/spec/examples"};
    const char *top = getenv("top_srcdir");
    int total = 0;

    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            int k = replay_path(argv[i]);
            if (k < 0) {
                fprintf(stderr, "replay_conf: cannot read %s\n", argv[i]);
                return 1;
            }
            total += k;
        }
        printf("replay_conf: %d files\n", total);
        return 0;
    }
    if (!top || !*top)
        top = FUZZ_TOP_SRCDIR;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[4096];
        int k;
        snprintf(path, sizeof path, "%s/%s", top, dirs[i]);
        k = replay_path(path);
        if (k < 0 && i < 2) {
            fprintf(stderr, "replay_conf: cannot read %s\n", path);
            return 1;
        }
        if (k > 0)
            total += k;
    }
    printf("replay_conf: %d files\n", total);
    return total > 0 ? 0 : 1;
}
