/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ringvec: see ringvec.h.
 */
#include "ringvec.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

const char *rv_dir(void)
{
    static char buf[4200];
    snprintf(buf, sizeof buf, "%s/vectors/ring", vec_shared_dir());
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **rv_list(size_t *n)
{
    DIR *d = opendir(rv_dir());
    struct dirent *e;
    char **list = NULL;
    size_t cap = 0;

    *n = 0;
    if (d == NULL)
        return NULL;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".vec") != 0)
            continue;
        if (*n == cap) {
            char **g = realloc(list, (cap = cap ? 2 * cap : 16) * sizeof *g);
            if (g == NULL)
                break;
            list = g;
        }
        list[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (*n > 1)
        qsort(list, *n, sizeof *list, cmp_str);
    return list;
}

void rv_list_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* An "X oooo hh..." line: append its bytes at their offset. */
static int add_hex(struct rv_rec *r, const char *s)
{
    unsigned long off = strtoul(s + 2, NULL, 16);
    const char *h = s + 7;
    size_t n = 0;

    if (strlen(s) < 8 || off != r->len)
        return -1;
    while (hexval(h[0]) >= 0 && hexval(h[1]) >= 0) {
        if (r->len + n >= r->declared)
            return -1;
        r->data[r->len + n] = (unsigned char)(hexval(h[0]) * 16 + hexval(h[1]));
        n++;
        h += 2;
    }
    r->len += n;
    return 0;
}

static int starts_kind(const char *l)
{
    static const char *const kinds[] = {"# DATA ", "# TOKEN ", "# FORM1 ",
                                        "# FORM2 ", "# ALIVE ", "# JOIN ",
                                        "# REFER ", "# HURRY "};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strncmp(l, kinds[i], strlen(kinds[i])) == 0)
            return 1;
    return 0;
}

static void header_line(struct rv_file *f, const char *l)
{
    char name[16];
    unsigned long id;
    unsigned long h;
    int seg;

    if (sscanf(l, "#   seg %d %15s %*s id %lu", &seg, name, &id) == 3 &&
        f->nnames < RV_MAX_NAMES) {
        for (int i = 0; i < f->nnames; i++)
            if (strcmp(f->names[i], name) == 0)
                return;
        snprintf(f->names[f->nnames], sizeof f->names[0], "%s", name);
        f->ids[f->nnames++] = (uint32_t)id;
    } else if (sscanf(l, "# configuration hash computed from the file "
                         "(daemon.md 2.9): %lu", &h) == 1 &&
               f->nhashes < 2) {
        f->hashes[f->nhashes++] = (uint32_t)h;
    }
}

static struct rv_rec *new_rec(struct rv_file *f, size_t *cap)
{
    if (f->n == *cap) {
        struct rv_rec *g;
        *cap = *cap ? 2 * *cap : 256;
        g = realloc(f->recs, *cap * sizeof *g);
        if (g == NULL)
            return NULL;
        f->recs = g;
    }
    memset(&f->recs[f->n], 0, sizeof f->recs[0]);
    return &f->recs[f->n++];
}

int rv_load(const char *path, struct rv_file *f)
{
    FILE *fp = fopen(path, "r");
    char line[4096];
    char **ann = NULL;
    int nann = 0, lineno = 0;
    size_t cap = 0;
    struct rv_rec *cur = NULL;

    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    if (fp == NULL) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof line, fp) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        lineno++;
        if (line[0] == '#') {
            header_line(f, line);
            if (starts_kind(line)) {
                for (int i = 0; i < nann; i++)
                    free(ann[i]);
                nann = 0;
            } else if (nann == 0 || strncmp(line, "#   ", 4) != 0) {
                continue;
            }
            ann = realloc(ann, (size_t)(nann + 1) * sizeof *ann);
            ann[nann++] = strdup(line);
        } else if (line[0] == 'P') {
            cur = new_rec(f, &cap);
            if (cur == NULL ||
                sscanf(line, "P %d +%*s %15s %*s > %15s %*[0-9.]:%d %zu",
                       &cur->num, cur->src, cur->dst, &cur->dport,
                       &cur->declared) != 5) {
                fprintf(stderr, "%s:%d: bad P line\n", path, lineno);
                fclose(fp);
                return -1;
            }
            cur->line = lineno;
            cur->data = malloc(cur->declared ? cur->declared : 1);
            cur->ann = ann;
            cur->nann = nann;
            ann = NULL;
            nann = 0;
        } else if (line[0] == 'X' && cur != NULL) {
            if (add_hex(cur, line) < 0) {
                fprintf(stderr, "%s:%d: bad X line\n", path, lineno);
                fclose(fp);
                return -1;
            }
        }
    }
    for (int i = 0; i < nann; i++)
        free(ann[i]);
    free(ann);
    fclose(fp);
    return 0;
}

void rv_free(struct rv_file *f)
{
    for (size_t i = 0; i < f->n; i++) {
        for (int j = 0; j < f->recs[i].nann; j++)
            free(f->recs[i].ann[j]);
        free(f->recs[i].ann);
        free(f->recs[i].data);
    }
    free(f->recs);
    memset(f, 0, sizeof *f);
}

const char *rv_ann(const struct rv_rec *r, const char *prefix)
{
    for (int i = 0; i < r->nann; i++)
        if (strncmp(r->ann[i], prefix, strlen(prefix)) == 0)
            return r->ann[i];
    return NULL;
}

int rv_token(const struct rv_file *f, const char *s, int64_t *out)
{
    size_t n = strcspn(s, " ,)]|/");
    char *end;

    if (n == 0)
        return 0;
    for (int i = 0; i < f->nnames; i++) {
        if (strlen(f->names[i]) == n && strncmp(s, f->names[i], n) == 0) {
            *out = f->ids[i];
            return 1;
        }
    }
    if (n == 2 && strncmp(s, "-1", 2) == 0) {
        *out = 0xffffffffLL;
        return 1;
    }
    *out = strtoll(s, &end, 0);
    return end == s + n || (end > s && *end == '(') || (end > s && *end == '[');
}

static const char *after_key(const char *line, const char *key)
{
    char pat[64];
    const char *p;
    size_t kl = strlen(key);

    if (strncmp(line, key, kl) == 0 && line[kl] == '=')
        return line + kl + 1;
    snprintf(pat, sizeof pat, " %s=", key);
    p = strstr(line, pat);
    return p ? p + strlen(pat) : NULL;
}

int rv_num(const struct rv_file *f, const char *line, const char *key,
           int64_t *out)
{
    const char *p = line ? after_key(line, key) : NULL;
    return p != NULL && rv_token(f, p, out);
}

int rv_pair(const struct rv_file *f, const char *line, const char *key,
            int64_t *a, int64_t *b)
{
    const char *p = line ? (*key ? after_key(line, key) : line) : NULL;
    const char *c;

    if (p == NULL || *p != '(' || !rv_token(f, p + 1, a))
        return 0;
    c = strchr(p, ',');
    return c != NULL && rv_token(f, c + 1, b);
}

int rv_list_vals(const struct rv_file *f, const char *line, const char *key,
                 int64_t *vals, int max, int *split)
{
    const char *p = line ? after_key(line, key) : NULL;
    int n = 0;

    *split = -1;
    if (p == NULL || *p != '[')
        return -1;
    p++;
    while (*p && *p != ']') {
        if (*p == ' ') {
            p++;
        } else if (*p == '|') {
            *split = n;
            p++;
        } else {
            if (n == max || !rv_token(f, p, &vals[n]))
                return -1;
            n++;
            p += strcspn(p, " ]|");
        }
    }
    if (*split < 0)
        *split = n;
    return n;
}
