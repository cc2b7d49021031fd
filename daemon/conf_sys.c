/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * conf_sys: the parts of the configuration module that ask the system:
 * finding and reading the file (daemon.md §1: a -c file exactly, or the
 * search without one), name lookups for daemons
 * given by name (§2.4), the host name for %h, and the local addresses that
 * decide which entry is "this daemon" (§3). Kept apart so the parser itself
 * stays pure and fuzzable.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef HAVE_GETIFADDRS
#include <ifaddrs.h>
#endif

#include "conf_int.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* ---- names ------------------------------------------------------------ */

static int addr_from_sockaddr(struct conf_addr *out, const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        conf_addr_set(out, AF_INET, &in->sin_addr, 0);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        conf_addr_set(out, AF_INET6, &in6->sin6_addr, in6->sin6_scope_id);
        return 0;
    }
    return -1;
}

int conf_resolve_getaddrinfo(void *ctx, const char *name, int family,
                             struct conf_addr *out, char *why,
                             size_t whylen)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = SOCK_DGRAM;
    rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(why, whylen, "%s", gai_strerror(rc));
        return -1;
    }
    rc = -1;
    for (ai = res; ai && rc < 0; ai = ai->ai_next)
        rc = addr_from_sockaddr(out, ai->ai_addr);
    freeaddrinfo(res);
    if (rc < 0)
        snprintf(why, whylen, "no IPv4 or IPv6 address found");
    return rc;
}

void conf_hostname(const struct conf_parse_state *p, char *buf, size_t n)
{
    if (p->opts.hostname) {
        snprintf(buf, n, "%s", p->opts.hostname);
        return;
    }
    if (gethostname(buf, n) != 0)
        snprintf(buf, n, "localhost");
    buf[n - 1] = '\0';
}

/* ---- the file --------------------------------------------------------- */

/* Open a configuration file for reading after the checks that give the
 * clearest reasons. Returns the descriptor and its size, or -errno with
 * the reason in why[]. */
static int open_conf(const char *path, off_t *size, char *why, size_t whylen)
{
    struct stat st;
    /* O_NONBLOCK: a FIFO must not hang the daemon in open(). */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), e = 0;

    if (fd < 0 || fstat(fd, &st) < 0) {
        e = errno;
        snprintf(why, whylen, "cannot read it: %s", strerror(e));
    } else if (S_ISDIR(st.st_mode)) {
        e = EISDIR;
        snprintf(why, whylen, "is a directory, not a configuration file");
    } else if (!S_ISREG(st.st_mode)) {
        e = EINVAL;
        snprintf(why, whylen, "is not a regular file");
    } else if (st.st_size > (off_t)CONF_MAX_FILE_SIZE) {
        e = EFBIG;
        snprintf(why, whylen, "%lld bytes, larger than the limit for a "
                 "configuration file (%u bytes, %u MiB)",
                 (long long)st.st_size, CONF_MAX_FILE_SIZE,
                 CONF_MAX_FILE_SIZE >> 20);
    }
    if (e == 0) {
        *size = st.st_size;
        return fd;
    }
    if (fd >= 0)
        close(fd);
    return -e;
}

/* Read the whole of a regular file of at most CONF_MAX_FILE_SIZE bytes.
 * Returns 0, or an errno value with the reason in why[] (ENOENT is the
 * one reason a search passes over silently). */
static int read_file(const char *path, char **text, size_t *len, char *why,
                     size_t whylen)
{
    off_t size = 0;
    size_t cap, n = 0;
    char *b;
    ssize_t got;
    int e = 0, fd = open_conf(path, &size, why, whylen);

    if (fd < 0)
        return -fd;
    /* One byte more than the size: a file that grows meanwhile is seen. */
    cap = (size_t)size + 1;
    b = malloc(cap);
    if (b == NULL)
        e = ENOMEM;
    while (e == 0 && (got = read(fd, b + n, cap - n)) != 0) {
        if (got < 0) {
            if (errno != EINTR)
                e = errno;
            continue;
        }
        n += (size_t)got;
        if (n > CONF_MAX_FILE_SIZE) {
            e = EFBIG;
        } else if (n == cap) {
            char *nb = realloc(b, cap * 2);
            if (nb == NULL) {
                e = ENOMEM;
            } else {
                b = nb;
                cap *= 2;
            }
        }
    }
    close(fd);
    if (e) {
        free(b);
        snprintf(why, whylen, "cannot read it: %s", strerror(e));
        return e;
    }
    *text = b;
    *len = n;
    return 0;
}

static void diag(struct conf_diag *d, const char *file, int line,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void diag(struct conf_diag *d, const char *file, int line,
                 const char *fmt, ...)
{
    va_list ap;
    memset(d, 0, sizeof *d);
    snprintf(d->file, sizeof d->file, "%s", file);
    d->line = line;
    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof d->reason, fmt, ap);
    va_end(ap);
}

static int parse_file_text(char *text, size_t len, const char *path,
                           struct conf **out, struct conf_diag *err,
                           conf_warn_fn warn, void *warn_ctx)
{
    int rc = conf_parse_text(text, len, path, out, err, warn, warn_ctx);
    free(text);
    return rc;
}

/* No -c: ./spread.conf, then the system file, as upstream. A local file
 * that exists but cannot be used is passed over with a warning. */
static int search_file(struct conf **out, struct conf_diag *err,
                       conf_warn_fn warn, void *warn_ctx)
{
    static const char local[] = "spread.conf", sys[] = SYSCONFDIR "/spread.conf";
    char why[200], why_sys[200];
    char *text = NULL;
    size_t len = 0;
    int e = read_file(local, &text, &len, why, sizeof why);

    if (e == 0)
        return parse_file_text(text, len, local, out, err, warn, warn_ctx);
    if (read_file(sys, &text, &len, why_sys, sizeof why_sys) == 0) {
        if (e != ENOENT && warn != NULL) {
            struct conf_diag w;
            diag(&w, local, 0, "%s; using %s instead", why, sys);
            warn(warn_ctx, &w);
        }
        return parse_file_text(text, len, sys, out, err, warn, warn_ctx);
    }
    diag(err, local, 0, "%s; nor can %s be used: %s", why, sys, why_sys);
    return -1;
}

int conf_load_file(const char *path, struct conf **out,
                   struct conf_diag *err, conf_warn_fn warn, void *warn_ctx)
{
    char why[200];
    char *text = NULL;
    size_t len = 0;

    *out = NULL;
    if (path == NULL)
        return search_file(out, err, warn, warn_ctx);
    if (strlen(path) >= sizeof err->file) {
        diag(err, "spread.conf", 0, "the configuration path is longer "
             "than %zu bytes", sizeof err->file - 1);
        return -1;
    }
    /* Named on purpose: another file in its place would be a surprise. */
    if (read_file(path, &text, &len, why, sizeof why) != 0) {
        diag(err, path, 0, "%s", why);
        return -1;
    }
    return parse_file_text(text, len, path, out, err, warn, warn_ctx);
}

/* ---- local addresses -------------------------------------------------- */

struct addr_list {
    struct conf_addr *a;
    int n, cap;
};

static void list_add(struct addr_list *l, const struct sockaddr *sa)
{
    struct conf_addr a;
    if (!sa || addr_from_sockaddr(&a, sa) < 0)
        return;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        struct conf_addr *na = realloc(l->a, (size_t)cap * sizeof *na);
        if (!na)
            return;
        l->a = na;
        l->cap = cap;
    }
    l->a[l->n++] = a;
}

static void list_ifaddrs(struct addr_list *l)
{
#ifdef HAVE_GETIFADDRS
    struct ifaddrs *ifa, *i;
    if (getifaddrs(&ifa) != 0)
        return;
    for (i = ifa; i; i = i->ifa_next)
        list_add(l, i->ifa_addr);
    freeifaddrs(ifa);
#else
    (void)l;
#endif
}

/* Every address the host name resolves to (daemon.md §3, step 1). */
static void list_hostname(struct addr_list *l)
{
    char host[256];
    struct addrinfo hints, *res = NULL, *ai;

    if (gethostname(host, sizeof host) != 0)
        return;
    host[sizeof host - 1] = '\0';
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return;
    for (ai = res; ai; ai = ai->ai_next)
        list_add(l, ai->ai_addr);
    freeaddrinfo(res);
}

static int in_list(const struct addr_list *l, const struct conf_addr *a)
{
    for (int i = 0; i < l->n; i++)
        if (conf_addr_equal(&l->a[i], a))
            return 1;
    return 0;
}

/* Linux routes all of 127.0.0.0/8 to the loopback device, so 127.0.0.2
 * is this host's although no interface lists it: several daemons of one
 * ring on one machine use such aliases. Asked of the kernel with a bind,
 * and only for that range: with ip_nonlocal_bind set, a bind succeeds for
 * any address and would prove nothing. */
static int loopback_alias(const struct conf_addr *a)
{
    struct sockaddr_in sin;
    int fd, ok;

    if (a->family != AF_INET || a->bytes[0] != 127)
        return 0;
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    memcpy(&sin.sin_addr, a->bytes, 4);
    ok = bind(fd, (const struct sockaddr *)&sin, sizeof sin) == 0;
    close(fd);
    return ok;
}

/* The host-name lookup may be slow, so it runs only when the interface
 * list has no match. */
static int is_local(struct addr_list *l, int *have_host,
                    const struct conf_addr *a)
{
    if (l->n == 0)
        list_ifaddrs(l);
    if (in_list(l, a) || loopback_alias(a))
        return 1;
    if (!*have_host) {
        *have_host = 1;
        list_hostname(l);
        return in_list(l, a);
    }
    return 0;
}

static int find_by_name(const struct conf *c, const char *name,
                        struct conf_diag *err, const char *file)
{
    if (strlen(name) > CONF_MAX_PROC_NAME - 1) {
        diag(err, file, 0, "daemon name '%.40s' is longer than %d "
             "characters", name, CONF_MAX_PROC_NAME - 1);
        return -1;
    }
    for (int i = 0; i < c->n_daemons; i++)
        if (strcmp(c->daemons[i].name, name) == 0)
            return i;
    diag(err, file, 0, "no daemon named '%s' in the configuration", name);
    return -1;
}

int conf_select_self(const struct conf *c, const char *name,
                     struct conf_diag *err)
{
    struct addr_list l = {0};
    const char *file = c->path ? c->path : "spread.conf";
    int have_host = 0, self = -1;

    memset(err, 0, sizeof *err);
    if (name) {
        self = find_by_name(c, name, err, file);
        if (self >= 0 && !is_local(&l, &have_host, &c->daemons[self].addr)) {
            const struct conf_daemon *d = &c->daemons[self];
            diag(err, file, d->line, "the address %s of daemon '%s' is not "
                 "an address of this host", d->addr.text, d->name);
            self = -1;
        }
    } else {
        for (int i = 0; i < c->n_daemons && self < 0; i++)
            if (is_local(&l, &have_host, &c->daemons[i].addr))
                self = i;
        if (self < 0)
            diag(err, file, 0, "none of this host's addresses is the "
                 "address of a configured daemon");
    }
    free(l.a);
    return self;
}

int conf_check_local_ifaces(const struct conf *c, int self,
                            conf_warn_fn warn, void *warn_ctx)
{
    struct addr_list l = {0};
    const struct conf_daemon *d;
    int have_host = 0, n = 0;

    if (self < 0 || self >= c->n_daemons)
        return 0;
    d = &c->daemons[self];
    for (int i = 0; i < d->n_ifaces; i++) {
        const struct conf_iface *f = &d->ifaces[i];
        struct conf_diag w;
        if ((f->roles & CONF_IF_ANY) || conf_addr_is_unspec(&f->addr) ||
            is_local(&l, &have_host, &f->addr))
            continue;
        n++;
        if (!warn)
            continue;
        diag(&w, c->path ? c->path : "spread.conf", d->line,
             "interface %s of daemon '%s' is not an address of this host",
             f->addr.text, d->name);
        warn(warn_ctx, &w);
    }
    free(l.a);
    return n;
}

uint32_t conf_local_scope_id(const struct conf_addr *a)
{
    struct addr_list l = {0};
    uint32_t scope = 0;

    if (a->family != AF_INET6)
        return 0;
    list_ifaddrs(&l);
    for (int i = 0; i < l.n && scope == 0; i++)
        if (conf_addr_equal(&l.a[i], a))
            scope = l.a[i].scope_id;
    free(l.a);
    return scope;
}
