/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evscheck: the checker's tables (names, maps), its inputs (files,
 * directories, text) and its reports. The properties live in
 * evscheck_log.c, evscheck_props.c and evscheck_time.c; see evscheck.h.
 */
#include "config.h"

#include "evscheck_int.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory ------------------------------------------------------- */

static void oom(void)
{
    fputs("evscheck: out of memory\n", stderr);
    abort();
}

void *ec_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        oom();
    return p;
}

void *ec_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
        oom();
    return p;
}

void *ec_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        oom();
    return p;
}

char *ec_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;

    return memcpy(ec_xmalloc(n), s, n);
}

/* ---- hashing and the map ------------------------------------------ */

/* The splitmix64 finaliser: a bijection that spreads every input bit;
 * the inputs are ids and numbers from our own logs, not adversarial. */
uint64_t ec_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

int ec_cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

    return (x > y) - (x < y);
}

static size_t slot_of(uint64_t a, uint64_t b, size_t cap)
{
    return (size_t)(ec_mix64(a ^ ec_mix64(b + 0x9e3779b97f4a7c15ull)) &
                    (cap - 1));
}

int32_t ec_map_get(const struct ec_map *m, uint64_t a, uint64_t b)
{
    size_t i;

    if (m->cap == 0)
        return -1;
    for (i = slot_of(a, b, m->cap); m->slots[i].used;
         i = (i + 1) & (m->cap - 1))
        if (m->slots[i].a == a && m->slots[i].b == b)
            return m->slots[i].v;
    return -1;
}

static void map_grow(struct ec_map *m)
{
    struct ec_slot *old = m->slots;
    size_t oldcap = m->cap, i, j;

    m->cap = oldcap ? oldcap * 2 : 64;
    m->slots = ec_xcalloc(m->cap, sizeof *m->slots);
    for (i = 0; i < oldcap; i++) {
        if (!old[i].used)
            continue;
        for (j = slot_of(old[i].a, old[i].b, m->cap); m->slots[j].used;
             j = (j + 1) & (m->cap - 1))
            ;
        m->slots[j] = old[i];
    }
    free(old);
}

void ec_map_put(struct ec_map *m, uint64_t a, uint64_t b, int32_t v)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap)
        map_grow(m);
    for (i = slot_of(a, b, m->cap); m->slots[i].used;
         i = (i + 1) & (m->cap - 1))
        if (m->slots[i].a == a && m->slots[i].b == b) {
            m->slots[i].v = v;
            return;
        }
    m->slots[i].a = a;
    m->slots[i].b = b;
    m->slots[i].v = v;
    m->slots[i].used = 1;
    m->n++;
}

int32_t *ec_map_ref(struct ec_map *m, uint64_t a, uint64_t b, int32_t dflt)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap)
        map_grow(m);
    for (i = slot_of(a, b, m->cap); m->slots[i].used;
         i = (i + 1) & (m->cap - 1))
        if (m->slots[i].a == a && m->slots[i].b == b)
            return &m->slots[i].v;
    m->slots[i].a = a;
    m->slots[i].b = b;
    m->slots[i].v = dflt;
    m->slots[i].used = 1;
    m->n++;
    return &m->slots[i].v;
}

void ec_map_fini(struct ec_map *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = 0;
}

/* ---- names -------------------------------------------------------- */

static uint64_t str_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
    return ec_mix64(h);
}

/* Names are keyed by (hash, 0) and compared in full while probing, so
 * two names that share a hash still get two ids. */
int32_t ec_intern(struct ec_checker *ec, const char *s)
{
    struct ec_map *m = &ec->name_map;
    uint64_t h = str_hash(s);
    size_t i;

    if ((m->n + 1) * 2 > m->cap)
        map_grow(m);
    for (i = slot_of(h, 0, m->cap); m->slots[i].used;
         i = (i + 1) & (m->cap - 1))
        if (m->slots[i].a == h && strcmp(ec->names[m->slots[i].v], s) == 0)
            return m->slots[i].v;
    EC_GROW(ec->names, ec->nnames, ec->cap_names);
    ec->names[ec->nnames] = ec_xstrdup(s);
    m->slots[i].a = h;
    m->slots[i].b = 0;
    m->slots[i].v = (int32_t)ec->nnames;
    m->slots[i].used = 1;
    m->n++;
    return (int32_t)ec->nnames++;
}

const char *ec_name(const struct ec_checker *ec, int32_t id)
{
    return id >= 0 && (size_t)id < ec->nnames ? ec->names[id] : "?";
}

int32_t ec_daemon_of(struct ec_checker *ec, int32_t name)
{
    const char *s = ec_name(ec, name), *p;
    int32_t d;
    size_t i;

    if (s[0] != '#' || (p = strchr(s + 1, '#')) == NULL || p[1] == '\0')
        return -1;
    d = ec_intern(ec, p + 1);
    for (i = 0; i < ec->ndaemons; i++)
        if (ec->daemons[i] == d)
            return d;
    EC_GROW(ec->daemons, ec->ndaemons, ec->cap_daemons);
    ec->daemons[ec->ndaemons++] = d;
    return d;
}

int32_t ec_client_by_name(const struct ec_checker *ec, int32_t name)
{
    return ec_map_get(&ec->client_of, (uint64_t)name, 0);
}

int32_t ec_view_of(const struct ec_checker *ec, int32_t client, int32_t vid)
{
    return ec_map_get(&ec->cview, (uint64_t)client, (uint64_t)vid);
}

int ec_has_member(const struct ec_vcontent *vc, int32_t name)
{
    return bsearch(&name, vc->sorted, vc->nmem, sizeof name,
                   ec_cmp_i32) != NULL;
}

static const char *const serv_names[] = {
    "?", "UNRELIABLE", "RELIABLE", "FIFO", "CAUSAL", "AGREED", "SAFE",
};
static const char *const cause_names[] = {
    "?", "JOIN", "LEAVE", "DISCONNECT", "NETWORK",
};

const char *ec_serv_name(int serv)
{
    return serv > 0 && serv <= ES_SAFE ? serv_names[serv] : "?";
}

const char *ec_cause_name(int cause)
{
    return cause > 0 && cause <= EC_NETWORK ? cause_names[cause] : "?";
}

const char *ec_gid_str(const struct ec_gid *g, char *buf)
{
    snprintf(buf, 36, "%" PRIu32 ":%" PRIu32 ":%" PRIu32, g->proc,
             g->time, g->index);
    return buf;
}

const char *ec_where(const struct ec_checker *ec, int32_t client,
                     int32_t ev, char *buf, size_t len)
{
    const struct ec_client *c = &ec->clients[client];

    if (ev < 0 || (size_t)ev >= c->nev)
        snprintf(buf, len, "%s", c->path);
    else
        snprintf(buf, len, "%s:%" PRId32, c->path, c->ev[ev].line);
    return buf;
}

int32_t *ec_scratch(struct ec_checker *ec, size_t n)
{
    if (n > ec->cap_mark) {
        free(ec->mark);
        ec->cap_mark = n;
        ec->mark = ec_xmalloc(n * sizeof *ec->mark);
    }
    memset(ec->mark, 0xff, (n ? n : 1) * sizeof *ec->mark);
    return ec->mark;
}

/* ---- parsing helpers ---------------------------------------------- */

size_t ec_split(char *line, char ***words, size_t *cap)
{
    size_t n = 0;
    char *p = line;

    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (*p == '\0')
            return n;
        EC_GROW(*words, n, *cap);
        (*words)[n++] = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
            p++;
        if (*p != '\0')
            *p++ = '\0';
    }
}

int ec_parse_time(const char *s, int64_t *t)
{
    char *end;
    long long v;

    if (strcmp(s, "-") == 0) {
        *t = EC_NOTIME;
        return 0;
    }
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *t = v;
    return 0;
}

/* Accepts 0..4294967295 and -2147483648..-1 (a signed print of the same
 * 32 bits, as spuser writes group ids). */
int ec_parse_u32(const char *s, uint32_t *v)
{
    char *end;
    long long x;

    if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' &&
                                       s[1] <= '9')))
        return -1;
    errno = 0;
    x = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || x < INT32_MIN || x > UINT32_MAX)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

/* ---- reports ------------------------------------------------------ */

void ec_report(struct ec_checker *ec, int prop, const char *fmt, ...)
{
    va_list ap;

    if (prop < 0 || prop >= EC_NPROPS)
        prop = 0;
    ec->counts[prop]++;
    if (ec->opts.out == NULL ||
        (ec->opts.max_reports > 0 && ec->printed >= ec->opts.max_reports))
        return;
    ec->printed++;
    fprintf(ec->opts.out, "P%d: ", prop);
    va_start(ap, fmt);
    vfprintf(ec->opts.out, fmt, ap);
    va_end(ap);
    fputc('\n', ec->opts.out);
}

long ec_count(const struct ec_checker *ec, int prop)
{
    return prop >= 0 && prop < EC_NPROPS ? ec->counts[prop] : 0;
}

void ec_stats(const struct ec_checker *ec, long *clients, long *events,
              long *messages)
{
    size_t i, n = 0;

    for (i = 0; i < ec->nclients; i++)
        n += ec->clients[i].nev;
    *clients = (long)ec->nclients;
    *events = (long)n;
    *messages = (long)ec->nmsgs;
}

/* ---- life cycle and inputs ---------------------------------------- */

struct ec_checker *ec_new(const struct ec_opts *opts)
{
    struct ec_checker *ec = ec_xcalloc(1, sizeof *ec);

    if (opts != NULL)
        ec->opts = *opts;
    else
        ec->opts.out = stderr;
    return ec;
}

void ec_vcontent_free(struct ec_vcontent *vc)
{
    if (vc == NULL)
        return;
    free(vc->members);
    free(vc->sorted);
    free(vc->sets);
    free(vc->set_off);
    free(vc);
}

void ec_free(struct ec_checker *ec)
{
    size_t i;

    if (ec == NULL)
        return;
    for (i = 0; i < ec->nnames; i++)
        free(ec->names[i]);
    free(ec->names);
    for (i = 0; i < ec->nclients; i++) {
        free(ec->clients[i].path);
        free(ec->clients[i].ev);
    }
    free(ec->clients);
    for (i = 0; i < ec->nviews; i++) {
        if (ec->views[i].own_content)
            ec_vcontent_free(ec->views[i].vc);
        free(ec->views[i].local_sorted);
    }
    free(ec->views);
    for (i = 0; i < ec->nvents; i++)
        ec_vcontent_free(ec->vents[i].vc);
    free(ec->vents);
    free(ec->msgs);
    for (i = 0; i < ec->cap_dense; i++)
        free(ec->dense[i].msg);
    free(ec->dense);
    free(ec->dels);
    for (i = 0; i < ec->nfaults; i++)
        free(ec->faults[i].comp);
    free(ec->faults);
    free(ec->tgids);
    free(ec->daemons);
    free(ec->mark);
    ec_map_fini(&ec->name_map);
    ec_map_fini(&ec->client_of);
    ec_map_fini(&ec->vent_map);
    ec_map_fini(&ec->cview);
    ec_map_fini(&ec->msg_map);
    free(ec);
}

/* The first record's kind: is this a client log? */
static int is_client_log(const char *text)
{
    const char *p = text;

    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p != '#')
            break;
        while (*p != '\0' && *p != '\n')
            p++;
    }
    while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n')
        p++;                                    /* the time */
    while (*p == ' ' || *p == '\t')
        p++;
    return strncmp(p, "CLIENT", 6) == 0 &&
           (p[6] == ' ' || p[6] == '\t' || p[6] == '\0' || p[6] == '\n' ||
            p[6] == '\r');
}

void ec_add_text(struct ec_checker *ec, const char *label, const char *text)
{
    if (is_client_log(text))
        ec_parse_client(ec, label, text);
    else
        ec_parse_faults(ec, label, text);
}

void ec_add_faults_text(struct ec_checker *ec, const char *label,
                        const char *text)
{
    ec_parse_faults(ec, label, text);
}

static char *slurp(const char *path, int *err)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t n = 0, cap = 0, r;

    if (f == NULL) {
        *err = -errno;
        return NULL;
    }
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 65536;
            buf = ec_xrealloc(buf, cap + 1);
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        *err = -EIO;
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

int ec_add_file(struct ec_checker *ec, const char *path)
{
    int err = 0;
    char *text = slurp(path, &err);

    if (text == NULL)
        return err;
    ec_add_text(ec, path, text);
    free(text);
    return 0;
}

int ec_add_faults_file(struct ec_checker *ec, const char *path)
{
    int err = 0;
    char *text = slurp(path, &err);

    if (text == NULL)
        return err;
    ec_parse_faults(ec, path, text);
    free(text);
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n > k && strcmp(s + n - k, suffix) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ec_add_dir(struct ec_checker *ec, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **files = NULL;
    size_t n = 0, cap = 0, i;
    int r = 0;

    if (d == NULL)
        return -errno;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !(ends_with(de->d_name, ".log") ||
                                      ends_with(de->d_name, ".faults")))
            continue;
        EC_GROW(files, n, cap);
        files[n] = ec_xmalloc(strlen(dir) + strlen(de->d_name) + 2);
        sprintf(files[n++], "%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (n > 1)
        qsort(files, n, sizeof *files, cmp_str);
    for (i = 0; i < n; i++) {
        int e = ends_with(files[i], ".faults") ?
                    ec_add_faults_file(ec, files[i]) :
                    ec_add_file(ec, files[i]);
        if (e < 0 && r == 0)
            r = e;
        free(files[i]);
    }
    free(files);
    return r < 0 ? r : (int)n;
}

long ec_check(struct ec_checker *ec)
{
    long total = 0;
    int p;

    if (!ec->checked) {
        ec->checked = 1;
        ec_log_pass(ec);
        ec_cross_pass(ec);
        ec_time_pass(ec);
    }
    for (p = 0; p < EC_NPROPS; p++)
        total += ec->counts[p];
    return total;
}
