/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * conf: the spread.conf grammar (daemon.md §2.2-2.7) as a recursive-descent
 * parser over conf_lex tokens. It fills a fresh `struct conf`, checks every
 * rule it can at the token that breaks it (so errors name the right line),
 * and leaves the whole-file checks and the hash to conf_check.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

/* ---- diagnostics ------------------------------------------------------ */

static void fill_diag(struct conf_diag *d, const char *fname, int line,
                      const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void fill_diag(struct conf_diag *d, const char *fname, int line,
                      const char *fmt, va_list ap)
{
    memset(d, 0, sizeof *d);
    snprintf(d->file, sizeof d->file, "%s", fname);
    d->line = line;
    vsnprintf(d->reason, sizeof d->reason, fmt, ap);
}

int conf_error(struct conf_parse_state *p, int line, const char *fmt, ...)
{
    va_list ap;
    if (p->failed)
        return -1;
    p->failed = 1;
    va_start(ap, fmt);
    fill_diag(p->err, p->fname, line, fmt, ap);
    va_end(ap);
    return -1;
}

void conf_warning(struct conf_parse_state *p, int line, const char *fmt, ...)
{
    struct conf_diag d;
    va_list ap;
    if (!p->opts.warn || p->failed)
        return;
    va_start(ap, fmt);
    fill_diag(&d, p->fname, line, fmt, ap);
    va_end(ap);
    p->opts.warn(p->opts.warn_ctx, &d);
}

static void lex_warning(void *ctx, int line, const char *msg)
{
    conf_warning(ctx, line, "%s", msg);
}

/* ---- token stream ----------------------------------------------------- */

static const struct tok *peek(struct conf_parse_state *p)
{
    if (!p->have_look) {
        lex_next(&p->lx, &p->look);
        p->have_look = 1;
    }
    return &p->look;
}

static void next(struct conf_parse_state *p, struct tok *t)
{
    peek(p);
    *t = p->look;
    p->have_look = 0;
}

/* "expected <what>, found <token>"; a lexical error speaks for itself. */
static int syntax(struct conf_parse_state *p, const struct tok *t,
                  const char *what)
{
    char buf[96];
    if (t->kind == TK_ERROR)
        return conf_error(p, t->line, "%s", t->msg);
    return conf_error(p, t->line, "expected %s, found %s", what,
                      tok_describe(t, buf, sizeof buf));
}

static int expect(struct conf_parse_state *p, enum tok_kind kind,
                  struct tok *t, const char *what)
{
    next(p, t);
    return t->kind == kind ? 0 : syntax(p, t, what);
}

static const char *family_name(int family)
{
    return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* The first daemon (or ActiveIPVersion) fixes the family for the file. */
static int use_family(struct conf_parse_state *p, int family, int line,
                      const char *what)
{
    struct conf *c = p->c;
    if (c->active_ip_version == 0) {
        c->active_ip_version = family;
        p->family_line = line;
        return 0;
    }
    if (c->active_ip_version == family)
        return 0;
    return conf_error(p, line,
                      "%s is %s, but line %d fixed the address family to %s",
                      what, family_name(family), p->family_line,
                      family_name(c->active_ip_version));
}

/* ---- segments --------------------------------------------------------- */

static int add_seg_addr(struct conf_parse_state *p, struct conf_segment *seg,
                        const struct tok *t, int *lines)
{
    const struct conf_addr *a = &t->addr;
    if (seg->n_addrs >= CONF_MAX_SEG_ADDRS)
        return conf_error(p, t->line,
                          "too many segment addresses: at most %d are "
                          "allowed", CONF_MAX_SEG_ADDRS);
    if (conf_addr_is_unspec(a))
        return conf_error(p, t->line,
                          "a segment address cannot be the unspecified "
                          "address %s", a->text);
    if (!conf_addr_is_loopback(a) && a->family == AF_INET6 && !conf_addr_is_multicast(a))
        conf_warning(p, t->line,
                     "IPv6 segment address %s is not a multicast address",
                     a->text);
    lines[seg->n_addrs] = t->line;
    seg->addrs[seg->n_addrs++] = *a;
    return 0;
}

static int parse_daemon(struct conf_parse_state *p, struct conf_segment *seg);

static int parse_seg_addrs(struct conf_parse_state *p,
                           struct conf_segment *seg, int *lines)
{
    struct tok t;
    next(p, &t);
    if (t.kind != TK_ADDR && t.kind != TK_ADDR_PORT)
        return syntax(p, &t, "a segment address after Spread_Segment");
    seg->port = CONF_DEFAULT_PORT;
    if (t.kind == TK_ADDR_PORT && t.port != 0)
        seg->port = (uint16_t)t.port;
    if (add_seg_addr(p, seg, &t, lines) < 0)
        return -1;
    while (peek(p)->kind == TK_ADDR || peek(p)->kind == TK_ADDR_PORT) {
        next(p, &t);
        if (t.kind == TK_ADDR_PORT)
            return conf_error(p, t.line,
                              "only the first segment address may carry a "
                              "port (%.*s)", (int)t.len, t.text);
        if (add_seg_addr(p, seg, &t, lines) < 0)
            return -1;
    }
    return expect(p, TK_LBRACE, &t, "'{' or another segment address");
}

static int parse_segment(struct conf_parse_state *p, const struct tok *kw)
{
    struct conf *c = p->c;
    struct conf_segment *seg;
    int lines[CONF_MAX_SEG_ADDRS];
    struct tok t;

    if (c->n_segments >= CONF_MAX_SEGMENTS)
        return conf_error(p, kw->line,
                          "too many segments: at most %d are allowed",
                          CONF_MAX_SEGMENTS);
    seg = &c->segments[c->n_segments];
    memset(seg, 0, sizeof *seg);
    seg->line = kw->line;
    seg->first_daemon = c->n_daemons;
    if (parse_seg_addrs(p, seg, lines) < 0)
        return -1;
    for (;;) {
        enum tok_kind k = peek(p)->kind;
        if (k == TK_RBRACE)
            break;
        if (k != TK_WORD && k != TK_ADDR && k != TK_ADDR_PORT) {
            next(p, &t);
            return syntax(p, &t, "a daemon entry or '}'");
        }
        if (parse_daemon(p, seg) < 0)
            return -1;
    }
    next(p, &t);
    if (seg->n_daemons == 0)
        return conf_error(p, t.line,
                          "the segment started on line %d lists no daemons",
                          seg->line);
    for (int i = 0; i < seg->n_addrs; i++)
        if (seg->addrs[i].family != c->active_ip_version)
            return conf_error(p, lines[i],
                              "segment address %s is %s, but the daemons "
                              "use %s", seg->addrs[i].text,
                              family_name(seg->addrs[i].family),
                              family_name(c->active_ip_version));
    /* A loopback segment is how daemons on one host are configured; it
     * is a mistake only when it lists a daemon on another address. */
    for (int i = 0; i < seg->n_addrs; i++) {
        if (!conf_addr_is_loopback(&seg->addrs[i]))
            continue;
        for (int k = 0; k < seg->n_daemons; k++) {
            const struct conf_daemon *d = &c->daemons[seg->first_daemon + k];
            if (!conf_addr_is_loopback(&d->addr)) {
                conf_warning(p, lines[i],
                             "segment address %s is a loopback address, "
                             "but daemon %s (%s) is not on this host's "
                             "loopback: it cannot take part",
                             seg->addrs[i].text, d->name, d->addr.text);
                break;
            }
        }
    }
    c->n_segments++;
    return 0;
}

/* ---- daemons ---------------------------------------------------------- */

static void set_name(struct conf_parse_state *p, struct conf_daemon *d,
                     const char *s, size_t n, int line)
{
    if (n > 0 && s[n - 1] == ';')
        conf_warning(p, line,
                     "daemon name '%.*s' ends with ';': put spaces around "
                     "a ';' meant to separate two daemons", (int)n, s);
    if (n > CONF_MAX_PROC_NAME - 1)
        n = CONF_MAX_PROC_NAME - 1;
    memcpy(d->name, s, n);
    d->name[n] = '\0';
}

static int resolve_name(struct conf_parse_state *p, struct conf_daemon *d,
                        const struct tok *t)
{
    char name[256], why[160] = "";
    conf_resolve_fn fn = p->opts.resolve ? p->opts.resolve
                                         : conf_resolve_getaddrinfo;
    int family = p->c->active_ip_version;

    if (t->len >= sizeof name)
        return conf_error(p, t->line, "daemon name '%.40s...' is too long "
                          "to look up", t->text);
    memcpy(name, t->text, t->len);
    name[t->len] = '\0';
    if (fn(p->opts.resolve_ctx, name, family ? family : AF_UNSPEC, &d->addr,
           why, sizeof why) < 0)
        return conf_error(p, t->line, "cannot resolve daemon name '%s': %s",
                          name, why[0] ? why : "no address found");
    if (d->addr.family != AF_INET && d->addr.family != AF_INET6)
        return conf_error(p, t->line, "daemon name '%s' resolved to an "
                          "address of an unknown family", name);
    return 0;
}

/* The three entry forms: "name addr", "addr" and "name" (DNS). */
static int daemon_ident(struct conf_parse_state *p, struct conf_daemon *d,
                        const struct tok *t)
{
    struct tok a;

    if (t->kind == TK_ADDR_PORT)
        return conf_error(p, t->line, "a daemon address cannot carry a port "
                          "(the segment sets it): %.*s", (int)t->len,
                          t->text);
    if (t->kind == TK_ADDR) {
        d->addr = t->addr;
        set_name(p, d, t->text, t->name_len, t->line);
        return 0;
    }
    if (t->len == 0)
        return conf_error(p, t->line, "a daemon name cannot be empty");
    set_name(p, d, t->text, t->len, t->line);
    if (peek(p)->kind == TK_ERROR) {            /* before any DNS lookup */
        next(p, &a);
        return syntax(p, &a, "an address");
    }
    if (peek(p)->kind == TK_ADDR_PORT) {
        next(p, &a);
        return conf_error(p, a.line, "a daemon address cannot carry a port "
                          "(the segment sets it): %.*s", (int)a.len, a.text);
    }
    if (peek(p)->kind != TK_ADDR)
        return resolve_name(p, d, t);
    next(p, &a);
    d->addr = a.addr;
    return 0;
}

static int check_daemon(struct conf_parse_state *p, struct conf_daemon *d,
                        const struct conf_segment *seg)
{
    struct conf *c = p->c;

    if (conf_addr_is_unspec(&d->addr))
        return conf_error(p, d->line, "daemon '%s' cannot use the "
                          "unspecified address %s", d->name, d->addr.text);
    if (conf_addr_is_multicast(&d->addr))
        return conf_error(p, d->line, "daemon '%s' cannot use the multicast "
                          "address %s", d->name, d->addr.text);
    if (use_family(p, d->addr.family, d->line, "the daemon address") < 0)
        return -1;
    for (int i = 0; i < c->n_daemons; i++) {
        const struct conf_daemon *o = &c->daemons[i];
        if (strcmp(o->name, d->name) == 0)
            return conf_error(p, d->line, "daemon name '%s' is already used "
                              "by the daemon on line %d", d->name, o->line);
        if (conf_addr_equal(&o->addr, &d->addr) &&
            c->segments[o->segment].port == seg->port)
            return conf_error(p, d->line, "daemon '%s': address %s with "
                              "port %u is already used by '%s' (line %d)",
                              d->name, d->addr.text, seg->port, o->name,
                              o->line);
    }
    return 0;
}

static int parse_virtual_id(struct conf_parse_state *p,
                            struct conf_daemon *d)
{
    struct tok t;
    next(p, &t);
    if (expect(p, TK_EQUALS, &t, "'=' after VirtualID") < 0 ||
        expect(p, TK_NUMBER, &t, "a number after 'VirtualID ='") < 0)
        return -1;
    if (t.num == 0)
        return conf_error(p, t.line, "VirtualID must be at least 1");
    d->id = (uint32_t)t.num;
    d->id_explicit = 1;
    return 0;
}

static int add_iface(struct conf_parse_state *p, struct conf_daemon *d,
                     unsigned roles)
{
    struct tok t;
    next(p, &t);
    if (t.kind == TK_ADDR_PORT)
        return conf_error(p, t.line, "an interface address cannot carry a "
                          "port: %.*s", (int)t.len, t.text);
    if (t.kind != TK_ADDR)
        return syntax(p, &t, roles ? "an interface address after the tags"
                                   : "D, C, M, an address or '}'");
    if (d->n_ifaces >= CONF_MAX_IFACES)
        return conf_error(p, t.line, "daemon '%s' has too many interfaces: "
                          "at most %d are allowed", d->name,
                          CONF_MAX_IFACES);
    d->ifaces[d->n_ifaces].roles =
        roles ? roles : CONF_IF_DAEMON | CONF_IF_CLIENT | CONF_IF_MONITOR;
    d->ifaces[d->n_ifaces].addr = t.addr;
    d->n_ifaces++;
    return 0;
}

static int parse_ifaces(struct conf_parse_state *p, struct conf_daemon *d)
{
    struct tok t;
    next(p, &t);                                 /* '{' */
    while (peek(p)->kind != TK_RBRACE) {
        unsigned roles = 0;
        while (peek(p)->kind == TK_TAG) {
            next(p, &t);
            roles |= (unsigned)t.num;
        }
        if (add_iface(p, d, roles) < 0)
            return -1;
    }
    next(p, &t);                                 /* '}' */
    if (d->n_ifaces == 0)
        return conf_error(p, t.line, "daemon '%s' has an empty interface "
                          "block", d->name);
    for (int i = 0; i < d->n_ifaces; i++) {
        const struct conf_iface *f = &d->ifaces[i];
        if ((f->roles & CONF_IF_DAEMON) &&
            (conf_addr_equal(&f->addr, &d->addr) ||
             (f->addr.family == d->addr.family &&
              conf_addr_is_unspec(&f->addr))))
            return 0;
    }
    return conf_error(p, t.line, "the interface block of daemon '%s' needs "
                      "a D (or untagged) entry for its address %s or for "
                      "the unspecified address", d->name, d->addr.text);
}

static int set_id(struct conf_parse_state *p, struct conf_daemon *d)
{
    const struct conf *c = p->c;
    if (!d->id_explicit)
        d->id = conf_name_id(d->name);
    for (int i = 0; i < c->n_daemons; i++)
        if (c->daemons[i].id == d->id)
            return conf_error(p, d->line, "daemon id %u of '%s' is already "
                              "used by '%s' (line %d); give one of them an "
                              "explicit VirtualID", d->id, d->name,
                              c->daemons[i].name, c->daemons[i].line);
    return 0;
}

static int parse_daemon(struct conf_parse_state *p, struct conf_segment *seg)
{
    struct conf *c = p->c;
    struct conf_daemon *d;
    struct tok t;

    next(p, &t);
    if (c->n_daemons >= CONF_MAX_DAEMONS)
        return conf_error(p, t.line, "too many daemons: at most %d are "
                          "allowed", CONF_MAX_DAEMONS);
    d = &c->daemons[c->n_daemons];
    memset(d, 0, sizeof *d);
    d->line = t.line;
    d->segment = c->n_segments;
    if (daemon_ident(p, d, &t) < 0 || check_daemon(p, d, seg) < 0)
        return -1;
    if (peek(p)->kind == TK_VIRTUALID && parse_virtual_id(p, d) < 0)
        return -1;
    if (peek(p)->kind == TK_LBRACE) {
        if (parse_ifaces(p, d) < 0)
            return -1;
    } else {
        d->n_ifaces = 1;
        d->ifaces[0].roles = CONF_IF_DAEMON | CONF_IF_CLIENT |
                             CONF_IF_MONITOR | CONF_IF_ANY;
        conf_addr_unspec(&d->ifaces[0].addr, d->addr.family);
    }
    if (peek(p)->kind == TK_SEMI)
        next(p, &t);
    if (set_id(p, d) < 0)
        return -1;
    c->n_daemons++;
    seg->n_daemons++;
    return 0;
}

/* ---- settings --------------------------------------------------------- */

enum vtype { V_STRING, V_BOOL, V_TRI, V_NUMBER, V_TIMESTAMP, V_BARE,
             V_FLAGS, V_LEVEL };

/* A setting's value, already checked for its type. */
struct val {
    const struct tok *key;
    const char *s;                 /* V_STRING, V_TIMESTAMP (NULL: bare) */
    size_t len;
    long long n;                   /* everything else */
    const struct tok *t;           /* the value token (NULL: bare) */
};

typedef int (*apply_fn)(struct conf_parse_state *p, const struct val *v);

static int set_str(struct conf_parse_state *p, char **dst,
                   const struct val *v)
{
    if (conf_set_string(dst, v->s, v->len) < 0)
        return conf_error(p, v->key->line, "out of memory");
    return 0;
}

static int ap_log_file(struct conf_parse_state *p, const struct val *v)
{
    char host[256], out[4096];
    size_t o = 0;

    if (v->len == 0)
        return conf_error(p, v->key->line, "EventLogFile cannot be empty");
    conf_hostname(p, host, sizeof host);
    for (size_t i = 0; i < v->len; i++) {
        const char *piece = NULL;
        size_t n = 1;
        if (v->s[i] == '%' && i + 1 < v->len &&
            (v->s[i + 1] == 'h' || v->s[i + 1] == 'H')) {
            piece = host;
            n = strlen(host);
            i++;
        }
        if (o + n >= sizeof out)
            return conf_error(p, v->key->line, "EventLogFile is too long");
        memcpy(out + o, piece ? piece : v->s + i, n);
        o += n;
    }
    if (conf_set_string(&p->c->event_log_file, out, o) < 0)
        return conf_error(p, v->key->line, "out of memory");
    return 0;
}

static int ap_timestamp(struct conf_parse_state *p, const struct val *v)
{
    static const char def[] = "%m/%d/%y %H:%M:%S";
    size_t n = v->s ? v->len : strlen(def);
    if (n > 39)
        n = 39;             /* upstream keeps at most 39 characters */
    if (conf_set_string(&p->c->event_timestamp, v->s ? v->s : def, n) < 0)
        return conf_error(p, v->key->line, "out of memory");
    return 0;
}

static int ap_precise(struct conf_parse_state *p, const struct val *v)
{
    p->c->event_precise_timestamp = 1;
    return 0;
}

static int ap_priority(struct conf_parse_state *p, const struct val *v)
{
    p->c->event_priority = (int)v->n;
    return 0;
}

static int ap_flags(struct conf_parse_state *p, const struct val *v)
{
    p->c->debug_flags = (uint32_t)v->n;
    return 0;
}

static int ap_bool(struct conf_parse_state *p, const struct val *v)
{
    struct conf *c = p->c;
    int b = (int)v->n;
    switch ((enum conf_key)v->key->num) {
    case KEY_DANGEROUS_MONITOR: c->dangerous_monitor = b; break;
    case KEY_ACCELERATED_RING: c->accelerated_ring_explicit = b; break;
    case KEY_WIDE_AREA_NETWORK: c->wide_area = b; break;
    case KEY_EXCLUDE_SEG_ADDRS: c->exclude_seg_addrs_from_hash = b; break;
    case KEY_IGNORE_MCAST_JOIN: c->ignore_multicast_join_errors = b; break;
    default: break;
    }
    return 0;
}

static int ap_port_reuse(struct conf_parse_state *p, const struct val *v)
{
    p->c->port_reuse = (enum conf_port_reuse)v->n;
    return 0;
}

static int ap_segment_unicast(struct conf_parse_state *p, const struct val *v)
{
    p->c->segment_unicast = (enum conf_port_reuse)v->n;
    return 0;
}

/* RuntimeDir, DaemonUser, DaemonGroup: empty values are ignored with a
 * warning (as upstream), over-long ones are errors. */
static int ap_identity(struct conf_parse_state *p, const struct val *v)
{
    enum conf_key k = (enum conf_key)v->key->num;
    size_t max = k == KEY_RUNTIME_DIR ? 4096 : 32;
    char **dst = k == KEY_RUNTIME_DIR  ? &p->c->runtime_dir
                 : k == KEY_DAEMON_USER ? &p->c->daemon_user
                                        : &p->c->daemon_group;
    if (v->len == 0) {
        conf_warning(p, v->key->line, "empty %s ignored", conf_key_name(k));
        return 0;
    }
    if (v->len > max)
        return conf_error(p, v->key->line, "%s is longer than %zu bytes",
                          conf_key_name(k), max);
    return set_str(p, dst, v);
}

static unsigned auth_bit(const char *s, size_t n)
{
    if (n == 4 && memcmp(s, "NULL", 4) == 0)
        return CONF_AUTH_NULL;
    if (n == 2 && memcmp(s, "IP", 2) == 0)
        return CONF_AUTH_IP;
    return 0;
}

/* Both auth keys accumulate; the first one used drops the NULL default. */
static int ap_auth(struct conf_parse_state *p, const struct val *v)
{
    struct conf *c = p->c;
    size_t len = v->len > CONF_AUTH_LIST_MAX ? CONF_AUTH_LIST_MAX : v->len;
    size_t i = 0;

    if (!p->auth_seen) {
        c->allowed_auth = 0;
        p->auth_seen = 1;
    }
    while (i < len) {
        size_t j = i;
        unsigned bit;
        while (j < len && v->s[j] != ' ')
            j++;
        bit = auth_bit(v->s + i, j - i);
        if (bit == 0 && j > i)
            conf_warning(p, v->key->line, "unknown authentication method "
                         "'%.*s' ignored", (int)(j - i), v->s + i);
        c->allowed_auth |= bit;
        if (v->key->num == KEY_REQUIRED_AUTH)
            c->required_auth |= bit;
        i = j + 1;
    }
    return 0;
}

static int ap_policy(struct conf_parse_state *p, const struct val *v)
{
    if (v->len == 6 && memcmp(v->s, "PERMIT", 6) == 0)
        return 0;
    return conf_error(p, v->t->line, "unknown AccessControlPolicy '%.*s' "
                      "(only PERMIT exists)", (int)v->len, v->s);
}

static int ap_max_sess(struct conf_parse_state *p, const struct val *v)
{
    /* Cohort rejects 0: upstream accepts it and then drops every client
     * at its first message (daemon.md §8). */
    if (v->n == 0)
        return conf_error(p, v->t->line, "MaxSessionMessages must be at "
                          "least 1");
    p->c->max_session_messages = (unsigned)v->n;
    return 0;
}

/* Cohort's group limits: at least 1. */
static int ap_group_limit(struct conf_parse_state *p, const struct val *v)
{
    enum conf_key k = (enum conf_key)v->key->num;
    const char *name = k == KEY_MAX_SESSION_GROUPS ? "MaxSessionGroups"
                       : k == KEY_MAX_GROUPS       ? "MaxGroups"
                                                   : "MaxGroupMembers";

    /* A number token has at most nine digits: 999999999 is the most. */
    if (v->n < 1)
        return conf_error(p, v->t->line, "%s must be between 1 and "
                          "999999999", name);
    if (k == KEY_MAX_SESSION_GROUPS)
        p->c->max_session_groups = (unsigned)v->n;
    else if (k == KEY_MAX_GROUPS)
        p->c->max_groups = (unsigned)v->n;
    else
        p->c->max_group_members = (unsigned)v->n;
    return 0;
}

static int ap_ip_version(struct conf_parse_state *p, const struct val *v)
{
    int family;
    if (v->len == 4 && memcmp(v->s, "IPv4", 4) == 0)
        family = AF_INET;
    else if (v->len == 4 && memcmp(v->s, "IPv6", 4) == 0)
        family = AF_INET6;
    else
        return conf_error(p, v->t->line, "ActiveIPVersion must be IPv4 or "
                          "IPv6, not '%.*s'", (int)v->len, v->s);
    return use_family(p, family, v->key->line, "ActiveIPVersion");
}

static int ap_window(struct conf_parse_state *p, const struct val *v)
{
    enum conf_key k = (enum conf_key)v->key->num;
    long long min = k == KEY_ACCELERATED_WINDOW ? 0 : 1;

    /* Upstream stores windows in 16-bit fields; larger values wrap. */
    if (v->n < min || v->n > 32767)
        return conf_error(p, v->t->line, "%s must be between %lld and "
                          "32767", conf_key_name(k), min);
    if (k == KEY_WINDOW)
        p->c->window = (int)v->n;
    else if (k == KEY_PERSONAL_WINDOW)
        p->c->personal_window = (int)v->n;
    else
        p->c->accelerated_window = (int)v->n;
    return 0;
}

static int ap_timeout(struct conf_parse_state *p, const struct val *v)
{
    int i = (int)(v->key->num - KEY_TOKEN_TIMEOUT);
    if (v->n == 0)
        return conf_error(p, v->t->line, "%s must be at least 1 ms",
                          conf_key_name((enum conf_key)v->key->num));
    p->c->timeouts_ms[i] = (unsigned)v->n;
    p->c->timeouts_given |= 1u << i;
    return 0;
}

static int ap_unix_dir(struct conf_parse_state *p, const struct val *v)
{
    /* "<dir>/<port>" must fit a sockaddr_un path (108 bytes). */
    if (v->len == 0 || v->len > 100)
        return conf_error(p, v->key->line, "UnixSocketDir must hold 1 to "
                          "100 bytes");
    return set_str(p, &p->c->unix_socket_dir, v);
}

static int ap_unix_mode(struct conf_parse_state *p, const struct val *v)
{
    unsigned mode = 0;
    for (size_t i = 0; i < v->t->len; i++) {
        char ch = v->t->text[i];
        if (ch > '7' || mode > 0777)
            return conf_error(p, v->t->line, "UnixSocketMode must be an "
                              "octal mode no larger than 0777");
        mode = mode * 8 + (unsigned)(ch - '0');
    }
    if (mode > 0777)
        return conf_error(p, v->t->line, "UnixSocketMode must be an octal "
                          "mode no larger than 0777");
    p->c->unix_socket_mode = mode;
    return 0;
}

struct key_def {
    enum vtype type;
    apply_fn apply;
};

/* Indexed by enum conf_key. */
static const struct key_def key_defs[KEY_COUNT] = {
    [KEY_EVENT_LOG_FILE] = {V_STRING, ap_log_file},
    [KEY_EVENT_TIMESTAMP] = {V_TIMESTAMP, ap_timestamp},
    [KEY_EVENT_PRECISE_TIMESTAMP] = {V_BARE, ap_precise},
    [KEY_EVENT_PRIORITY] = {V_LEVEL, ap_priority},
    [KEY_DEBUG_FLAGS] = {V_FLAGS, ap_flags},
    [KEY_DANGEROUS_MONITOR] = {V_BOOL, ap_bool},
    [KEY_SOCKET_PORT_REUSE] = {V_TRI, ap_port_reuse},
    [KEY_SEGMENT_UNICAST] = {V_TRI, ap_segment_unicast},
    [KEY_RUNTIME_DIR] = {V_STRING, ap_identity},
    [KEY_DAEMON_USER] = {V_STRING, ap_identity},
    [KEY_DAEMON_GROUP] = {V_STRING, ap_identity},
    [KEY_REQUIRED_AUTH] = {V_STRING, ap_auth},
    [KEY_ALLOWED_AUTH] = {V_STRING, ap_auth},
    [KEY_ACCESS_CONTROL_POLICY] = {V_STRING, ap_policy},
    [KEY_MAX_SESSION_MESSAGES] = {V_NUMBER, ap_max_sess},
    [KEY_ACTIVE_IP_VERSION] = {V_STRING, ap_ip_version},
    [KEY_WINDOW] = {V_NUMBER, ap_window},
    [KEY_PERSONAL_WINDOW] = {V_NUMBER, ap_window},
    [KEY_ACCELERATED_RING] = {V_BOOL, ap_bool},
    [KEY_ACCELERATED_WINDOW] = {V_NUMBER, ap_window},
    [KEY_TOKEN_TIMEOUT] = {V_NUMBER, ap_timeout},
    [KEY_HURRY_TIMEOUT] = {V_NUMBER, ap_timeout},
    [KEY_ALIVE_TIMEOUT] = {V_NUMBER, ap_timeout},
    [KEY_JOIN_TIMEOUT] = {V_NUMBER, ap_timeout},
    [KEY_REP_TIMEOUT] = {V_NUMBER, ap_timeout},
    [KEY_SEG_TIMEOUT] = {V_NUMBER, ap_timeout},
    [KEY_GATHER_TIMEOUT] = {V_NUMBER, ap_timeout},
    [KEY_FORM_TIMEOUT] = {V_NUMBER, ap_timeout},
    [KEY_LOOKUP_TIMEOUT] = {V_NUMBER, ap_timeout},
    [KEY_WIDE_AREA_NETWORK] = {V_BOOL, ap_bool},
    [KEY_EXCLUDE_SEG_ADDRS] = {V_BOOL, ap_bool},
    [KEY_IGNORE_MCAST_JOIN] = {V_BOOL, ap_bool},
    [KEY_UNIX_SOCKET_DIR] = {V_STRING, ap_unix_dir},
    [KEY_UNIX_SOCKET_MODE] = {V_NUMBER, ap_unix_mode},
    [KEY_MAX_SESSION_GROUPS] = {V_NUMBER, ap_group_limit},
    [KEY_MAX_GROUPS] = {V_NUMBER, ap_group_limit},
    [KEY_MAX_GROUP_MEMBERS] = {V_NUMBER, ap_group_limit},
};

/* "{ [!]FLAG ... }": OR left to right, '!' clears from what came before. */
static int parse_flags(struct conf_parse_state *p, long long *mask)
{
    struct tok t;
    uint32_t m = 0;

    if (expect(p, TK_LBRACE, &t, "'{' to open the DebugFlags list") < 0)
        return -1;
    for (;;) {
        int neg = 0;
        next(p, &t);
        if (t.kind == TK_RBRACE)
            break;
        if (t.kind == TK_BANG) {
            neg = 1;
            next(p, &t);
        }
        if (t.kind != TK_FLAG)
            return syntax(p, &t, neg ? "a DebugFlags name after '!'"
                                     : "a DebugFlags name or '}'");
        if (neg)
            m &= ~(uint32_t)t.num;
        else
            m |= (uint32_t)t.num;
    }
    *mask = m;
    return 0;
}

static const char *const type_want[] = {
    [V_STRING] = "a word or a quoted string",
    [V_BOOL] = "true, yes, false or no",
    [V_TRI] = "on, off or auto",
    [V_NUMBER] = "a number of 1 to 9 digits",
    [V_TIMESTAMP] = "a word or a quoted string",
    [V_LEVEL] = "pDEBUG, INFO, WARNING, ERROR, CRITICAL or FATAL",
};

static const enum tok_kind type_kind[] = {
    [V_STRING] = TK_WORD, [V_BOOL] = TK_BOOL, [V_TRI] = TK_TRI,
    [V_NUMBER] = TK_NUMBER, [V_TIMESTAMP] = TK_WORD, [V_LEVEL] = TK_LEVEL,
};

static int parse_setting(struct conf_parse_state *p, const struct tok *key)
{
    const struct key_def *def = &key_defs[key->num];
    struct val v = {.key = key};
    struct tok eq, t;
    char what[64];

    if (def->type == V_BARE ||
        (def->type == V_TIMESTAMP && peek(p)->kind != TK_EQUALS))
        goto apply;
    snprintf(what, sizeof what, "'=' after %s",
             conf_key_name((enum conf_key)key->num));
    if (expect(p, TK_EQUALS, &eq, what) < 0)
        return -1;
    if (def->type == V_FLAGS) {
        if (parse_flags(p, &v.n) < 0)
            return -1;
        goto apply;
    }
    next(p, &t);
    if (t.kind != type_kind[def->type]) {
        snprintf(what, sizeof what, "%s",
                 type_want[def->type]);
        return syntax(p, &t, what);
    }
    v.t = &t;
    v.s = t.text;
    v.len = t.len;
    v.n = t.num;
apply:
    p->key_line[key->num] = key->line;
    return def->apply(p, &v);
}

/* ---- entry points ----------------------------------------------------- */

static int parse_file(struct conf_parse_state *p)
{
    struct tok t;
    for (;;) {
        next(p, &t);
        switch (t.kind) {
        case TK_EOF:
            return conf_finish(p);
        case TK_SEGMENT:
            if (parse_segment(p, &t) < 0)
                return -1;
            break;
        case TK_KEY:
            if (parse_setting(p, &t) < 0)
                return -1;
            break;
        case TK_WORD:
            return conf_error(p, t.line, "unknown setting '%.*s' (keywords "
                              "are case-sensitive)",
                              (int)(t.len > 48 ? 48 : t.len), t.text);
        default:
            return syntax(p, &t, "a setting or Spread_Segment");
        }
    }
}

int conf_parse_text_opts(const char *text, size_t len, const char *fname,
                         const struct conf_parse_opts *opts,
                         struct conf **out, struct conf_diag *err)
{
    struct conf_parse_state *p;
    int rc;

    *out = NULL;
    memset(err, 0, sizeof *err);
    if (!fname)
        fname = "<text>";
    p = calloc(1, sizeof *p);
    if (p)
        p->c = calloc(1, sizeof *p->c);
    if (!p || !p->c) {
        free(p);
        snprintf(err->file, sizeof err->file, "%s", fname);
        snprintf(err->reason, sizeof err->reason, "out of memory");
        return -1;
    }
    p->err = err;
    p->fname = fname;
    if (opts)
        p->opts = *opts;
    lex_init(&p->lx, text ? text : "", text ? len : 0, lex_warning, p);
    rc = conf_set_defaults(p->c);
    if (rc < 0)
        conf_error(p, 0, "out of memory");
    else
        rc = parse_file(p);
    if (rc == 0 && conf_set_string(&p->c->path, fname, strlen(fname)) < 0)
        rc = conf_error(p, 0, "out of memory");
    if (rc < 0)
        conf_free(p->c);
    else
        *out = p->c;
    free(p);
    return rc < 0 ? -1 : 0;
}

int conf_parse_text(const char *text, size_t len, const char *fname,
                    struct conf **out, struct conf_diag *err,
                    conf_warn_fn warn, void *warn_ctx)
{
    struct conf_parse_opts o = {.warn = warn, .warn_ctx = warn_ctx};
    return conf_parse_text_opts(text, len, fname, &o, out, err);
}

void conf_free(struct conf *c)
{
    if (!c)
        return;
    free(c->event_log_file);
    free(c->event_timestamp);
    free(c->runtime_dir);
    free(c->daemon_user);
    free(c->daemon_group);
    free(c->unix_socket_dir);
    free(c->path);
    free(c);
}
