/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * auth: NULL and IP methods. The IP method admits a peer when a rule of
 * the access list covers its address (prefix match, and for a rule with
 * `%iface` the same link), or a `unix` line exists and the client came
 * through the unix socket.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

void auth_init(struct auth *a, unsigned allowed, unsigned required,
               const char *list)
{
    memset(a, 0, sizeof *a);
    snprintf(a->list, sizeof a->list, "%s", list ? list : "");
    a->allowed = allowed;
    a->required = required;
}

void auth_fini(struct auth *a)
{
    free(a->rules);
    a->rules = NULL;
    a->n_rules = 0;
}

static int add_rule(struct auth *a, int family, const void *addr, int prefix,
                    unsigned scope_id)
{
    struct auth_rule *r = realloc(a->rules, (a->n_rules + 1) * sizeof *r);
    if (r == NULL)
        return -1;
    a->rules = r;
    r += a->n_rules++;
    memset(r, 0, sizeof *r);
    r->family = family;
    memcpy(r->addr, addr, family == AF_INET ? 4 : 16);
    r->prefix = prefix;
    r->scope_id = scope_id;
    return 0;
}

/* The `%iface` of an IPv6 rule (cut off line): its interface index, 0
 * when there is none, -1 when no such interface exists. */
static long rule_scope(char *line)
{
    char *pct = strchr(line, '%');
    unsigned idx;

    if (pct == NULL)
        return 0;
    *pct++ = '\0';
    if (*pct >= '0' && *pct <= '9' &&
        strspn(pct, "0123456789") == strlen(pct)) {
        long n = strtol(pct, NULL, 10);
        return n > 0 && n <= 0x7fffffffL ? n : -1;
    }
    idx = if_nametoindex(pct);
    return idx != 0 ? (long)idx : -1;
}

/* One non-comment line: unix | local | address[%iface][/prefix]. */
static int parse_line(struct auth *a, char *line, const char **why)
{
    unsigned char buf[16];
    char *slash, *end;
    long prefix, scope;
    int family, maxbits;

    if (strncmp(line, "unix", 4) == 0) {
        a->allow_unix = 1;
        return 0;
    }
    if (strncmp(line, "local", 5) == 0) {
        static const unsigned char v4[4] = {127, 0, 0, 0};
        if (add_rule(a, AF_INET, v4, 8, 0) < 0)
            return -1;
        return add_rule(a, AF_INET6, &in6addr_loopback, 128, 0);
    }
    slash = strchr(line, '/');
    if (slash != NULL)
        *slash = '\0';
    scope = rule_scope(line);
    if (scope < 0) {
        *why = "no such interface after `%'";
        return -1;
    }
    if (scope == 0 && inet_pton(AF_INET, line, buf) == 1) {
        family = AF_INET;
        maxbits = 32;
    } else if (inet_pton(AF_INET6, line, buf) == 1) {
        family = AF_INET6;
        maxbits = 128;
    } else {
        *why = "not an address, address/prefix, `unix' or `local'";
        return -1;
    }
    prefix = maxbits;
    if (slash != NULL) {
        errno = 0;
        prefix = strtol(slash + 1, &end, 10);
        if (errno != 0 || end == slash + 1 || *end != '\0' || prefix < 0 ||
            prefix > maxbits) {
            *why = "bad prefix length";
            return -1;
        }
    }
    /* Peers that come IPv4-mapped are compared as IPv4: so is such a
     * rule, or it could never match. */
    if (family == AF_INET6 && scope == 0 &&
        IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)buf) &&
        prefix >= 96)
        return add_rule(a, AF_INET, buf + 12, (int)prefix - 96, 0);
    return add_rule(a, family, buf, (int)prefix, (unsigned)scope);
}

int auth_parse_access(struct auth *a, const char *text, char *err,
                      size_t errlen)
{
    const char *p = text;
    int lineno = 0;

    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[256];
        const char *why = "out of memory";
        char *s = line, *e;

        lineno++;
        if (n >= sizeof line) {
            snprintf(err, errlen, "line %d: line too long", lineno);
            return -1;
        }
        memcpy(line, p, n);
        line[n] = '\0';
        p += n + (nl ? 1 : 0);
        while (*s == ' ' || *s == '\t')
            s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            *--e = '\0';
        if (*s == '\0' || *s == '#')
            continue;
        if (parse_line(a, s, &why) < 0) {
            snprintf(err, errlen, "line %d: %s", lineno, why);
            return -1;
        }
    }
    return 0;
}

int auth_load_access(struct auth *a, char *err, size_t errlen)
{
    /* The working directory, the configured sysconfdir, and /etc where
     * upstream always looked. */
    static const char *const paths[] = {
        "spread.access_ip", SYSCONFDIR "/spread.access_ip",
        "/etc/spread.access_ip"};
    size_t i;

    for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        FILE *f = fopen(paths[i], "r");
        char *text;
        long len;
        char why[200];
        int rc;

        if (f == NULL)
            continue;
        if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
            len > (1 << 20) || fseek(f, 0, SEEK_SET) != 0 ||
            (text = malloc((size_t)len + 1)) == NULL) {
            fclose(f);
            snprintf(err, errlen, "%s: cannot read", paths[i]);
            return -1;
        }
        len = (long)fread(text, 1, (size_t)len, f);
        text[len] = '\0';
        fclose(f);
        rc = auth_parse_access(a, text, why, sizeof why);
        free(text);
        if (rc < 0) {
            snprintf(err, errlen, "%s:%s", paths[i], why + 5);
            return -1;
        }
        a->loaded = 1;
        snprintf(a->path, sizeof a->path, "%s", paths[i]);
        return 1;
    }
    return 0;
}

unsigned auth_method_bit(const char *name, size_t len)
{
    if (len == 4 && memcmp(name, "NULL", 4) == 0)
        return AUTH_NULL;
    if (len == 2 && memcmp(name, "IP", 2) == 0)
        return AUTH_IP;
    return 0;
}

static int prefix_match(const unsigned char *a, const unsigned char *b,
                        int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((a[full] ^ b[full]) & (0xff << (8 - rest))) == 0;
}

static int ip_allowed(const struct auth *a, const struct sockaddr *peer)
{
    unsigned char addr[16];
    unsigned scope = 0;
    int family;
    size_t i;

    if (peer == NULL || peer->sa_family == AF_UNIX)
        return a->allow_unix;
    if (peer->sa_family == AF_INET) {
        family = AF_INET;
        memcpy(addr, &((const struct sockaddr_in *)(const void *)peer)->sin_addr, 4);
    } else if (peer->sa_family == AF_INET6) {
        const struct in6_addr *v6 =
            &((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(v6)) {
            family = AF_INET;
            memcpy(addr, &v6->s6_addr[12], 4);
        } else {
            family = AF_INET6;
            memcpy(addr, v6->s6_addr, 16);
            scope = ((const struct sockaddr_in6 *)(const void *)peer)
                        ->sin6_scope_id;
        }
    } else {
        return 0;
    }
    for (i = 0; i < a->n_rules; i++) {
        if (a->rules[i].family == family &&
            (a->rules[i].scope_id == 0 || a->rules[i].scope_id == scope) &&
            prefix_match(a->rules[i].addr, addr, a->rules[i].prefix))
            return 1;
    }
    return 0;
}

int auth_check(const struct auth *a, unsigned methods,
               const struct sockaddr *peer)
{
    if ((methods & AUTH_IP) && !ip_allowed(a, peer))
        return 0;
    return methods != 0;
}

int auth_ip_decides(const struct auth *a)
{
    return (a->required & AUTH_IP) || a->allowed == AUTH_IP;
}
