/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * vec: see vec.h.
 */
#include "vec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decode hex with "(hh*N)" runs. Returns the length or -1. */
static long decode_hex(const char *s, unsigned char **out)
{
    size_t cap = 256, n = 0;
    unsigned char *buf = malloc(cap);
    if (buf == NULL)
        return -1;
    while (*s && *s != '\n' && *s != '\r') {
        int hi, lo;
        long count = 1;
        if (*s == '(') {
            char *end;
            hi = hexval(s[1]);
            lo = hexval(s[2]);
            if (hi < 0 || lo < 0 || s[3] != '*')
                goto bad;
            count = strtol(s + 4, &end, 10);
            if (*end != ')' || count <= 0)
                goto bad;
            s = end + 1;
        } else {
            hi = hexval(s[0]);
            lo = s[0] ? hexval(s[1]) : -1;
            if (hi < 0 || lo < 0)
                goto bad;
            s += 2;
        }
        while (n + (size_t)count > cap) {
            unsigned char *nb;
            cap *= 2;
            nb = realloc(buf, cap);
            if (nb == NULL)
                goto bad;
            buf = nb;
        }
        memset(buf + n, hi * 16 + lo, (size_t)count);
        n += (size_t)count;
    }
    *out = buf;
    return (long)n;
bad:
    free(buf);
    return -1;
}

static int apply_mask(struct vec_frame *f, const char *s)
{
    while (*s) {
        unsigned long a, b;
        char *end;
        while (*s == ' ')
            s++;
        if (!isdigit((unsigned char)*s))
            break;
        a = strtoul(s, &end, 10);
        if (*end != '-')
            return -1;
        b = strtoul(end + 1, &end, 10);
        if (b < a || b >= f->len)
            return -1;
        memset(f->mask + a, 1, b - a + 1);
        s = end;
        while (*s && *s != ' ')
            s++;
    }
    return 0;
}

/* Which connection event, if any, a comment line records. */
static char event_of(const char *line, char *conn)
{
    if (line[0] != '#' || line[1] != ' ' || line[2] < 'A' || line[2] > 'Z' ||
        line[3] != ':' || line[4] != ' ')
        return 0;
    *conn = line[2];
    line += 5;
    if (strncmp(line, "connects over TCP", 17) == 0)
        return 'O';
    if (strncmp(line, "connects over the unix-domain socket", 36) == 0)
        return 'U';
    if (strncmp(line, "client closes its socket", 24) == 0)
        return 'X';
    if (strncmp(line, "recv returned 0", 15) == 0 ||
        strncmp(line, "recv failed with ECONNRESET", 27) == 0)
        return 'E';
    if (strncmp(line, "send() of ", 10) == 0 && strstr(line, "ECONNRESET"))
        return 'S';
    return 0;
}

static struct vec_frame *push_frame(struct vec_file *out, size_t *fcap)
{
    if (out->n == *fcap) {
        struct vec_frame *nf;
        size_t ncap = *fcap ? *fcap * 2 : 32;
        nf = realloc(out->frames, ncap * sizeof *nf);
        if (nf == NULL)
            return NULL;
        out->frames = nf;
        *fcap = ncap;
    }
    memset(&out->frames[out->n], 0, sizeof out->frames[0]);
    return &out->frames[out->n];
}

int vec_load(const char *path, struct vec_file *out)
{
    return vec_load_ex(path, out, 0);
}

int vec_load_ex(const char *path, struct vec_file *out, int flags)
{
    FILE *fp = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, fcap = 0;
    char conn, ev;
    ssize_t got;
    int lineno = 0;

    memset(out, 0, sizeof *out);
    if (fp == NULL) {
        fprintf(stderr, "vec: cannot open %s\n", path);
        return -1;
    }
    while ((got = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        if (line[0] == '~' && line[1] == ' ') {
            if (out->n == 0 || apply_mask(&out->frames[out->n - 1], line + 2) < 0)
                goto bad;
            continue;
        }
        if ((flags & VEC_EVENTS) && (ev = event_of(line, &conn)) != 0) {
            struct vec_frame *f = push_frame(out, &fcap);
            if (f == NULL || (f->mask = calloc(1, 1)) == NULL ||
                (f->data = calloc(1, 1)) == NULL)
                goto bad;
            f->conn = conn;
            f->dir = ev;
            f->line = lineno;
            out->n++;
            continue;
        }
        if (line[0] >= 'A' && line[0] <= 'Z' &&
            (line[1] == 'C' || line[1] == 'D') && line[2] == '>' &&
            line[3] == ' ') {
            struct vec_frame *f = push_frame(out, &fcap);
            long len;
            if (f == NULL)
                goto bad;
            len = decode_hex(line + 4, &f->data);
            if (len < 0)
                goto bad;
            f->len = (size_t)len;
            f->mask = calloc(f->len ? f->len : 1, 1);
            if (f->mask == NULL) {
                free(f->data);
                goto bad;
            }
            f->conn = line[0];
            f->dir = line[1];
            f->line = lineno;
            out->n++;
        }
    }
    free(line);
    fclose(fp);
    return 0;
bad:
    fprintf(stderr, "vec: %s:%d: malformed line\n", path, lineno);
    free(line);
    fclose(fp);
    vec_free(out);
    return -1;
}

void vec_free(struct vec_file *v)
{
    size_t i;
    for (i = 0; i < v->n; i++) {
        free(v->frames[i].data);
        free(v->frames[i].mask);
    }
    free(v->frames);
    memset(v, 0, sizeof *v);
}

int vec_match(const struct vec_frame *f, const unsigned char *buf, size_t len)
{
    size_t i;
    if (len != f->len)
        return 0;
    for (i = 0; i < len; i++)
        if (!f->mask[i] && buf[i] != f->data[i])
            return 0;
    return 1;
}

const char *vec_shared_dir(void)
{
    static char buf[4096];
    const char *env = getenv("COHORT_SHARED");
    const char *top = getenv("top_srcdir");
    if (env != NULL && *env)
        return env;
    snprintf(buf, sizeof buf, "%s/../shared", top ? top : ".");
    return buf;
}

const char *vec_dir(void)
{
    static char buf[4200];
    const char *env = getenv("COHORT_VECTORS");
    if (env != NULL && *env)
        return env;
    snprintf(buf, sizeof buf, "%s/vectors", vec_shared_dir());
    return buf;
}

int vec_available(void)
{
    char probe[4300];
    FILE *fp;
    snprintf(probe, sizeof probe, "%s/README.md", vec_dir());
    fp = fopen(probe, "r");
    if (fp == NULL) {
        printf("SKIP: no capture vectors at %s (set COHORT_SHARED or "
               "configure --with-shared)\n", vec_dir());
        return 0;
    }
    fclose(fp);
    return 1;
}
