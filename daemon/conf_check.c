/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * conf_check: what is decided once the whole file has been read
 * (daemon.md §2.8): the whole-file checks, the effective values that depend
 * on other settings (wide area, ring protocol, default timeouts, the auth
 * list), the daemon ids and the configuration hash (§2.9), plus the
 * defaults and the text dump for the start-up log.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

#ifndef SP_UNIX_SOCKET
#define SP_UNIX_SOCKET "/tmp"
#endif
#ifndef SP_RUNTIME_DIR
#define SP_RUNTIME_DIR "/var/run/spread"
#endif
#ifndef SP_USER
#define SP_USER "spread"
#endif
#ifndef SP_GROUP
#define SP_GROUP "spread"
#endif

/* LAN (one segment) and WAN defaults, in enum conf_timeout order. */
static const unsigned lan_timeouts[CONF_TO_COUNT] = {
    1250, 500, 250, 250, 625, 500, 1250, 1250, 30000};
static const unsigned wan_timeouts[CONF_TO_COUNT] = {
    5000, 1500, 250, 250, 1250, 500, 2500, 2500, 45000};

int conf_set_string(char **dst, const char *s, size_t len)
{
    char *n = malloc(len + 1);
    if (!n)
        return -1;
    memcpy(n, s, len);
    n[len] = '\0';
    free(*dst);
    *dst = n;
    return 0;
}

static int set_default(char **dst, const char *s)
{
    return conf_set_string(dst, s, strlen(s));
}

int conf_set_defaults(struct conf *c)
{
    c->event_priority = CONF_PRIO_INFO;
    c->debug_flags = 0x111;                  /* PRINT | EXIT | CONFIGURATION */
    c->port_reuse = CONF_REUSE_AUTO;
    c->unix_socket_mode = 0666;
    c->allowed_auth = CONF_AUTH_NULL;
    c->required_auth = 0;
    c->max_session_messages = 1000;
    c->max_session_groups = 100000;
    c->max_groups = 1000000;
    c->max_group_members = 10000;
    c->window = 160;
    c->personal_window = 60;     /* not upstream's 20: ring/flow.h */
    c->accelerated_window = 15;
    c->accelerated_ring_explicit = -1;
    if (set_default(&c->runtime_dir, SP_RUNTIME_DIR) < 0 ||
        set_default(&c->daemon_user, SP_USER) < 0 ||
        set_default(&c->daemon_group, SP_GROUP) < 0 ||
        set_default(&c->unix_socket_dir, SP_UNIX_SOCKET) < 0)
        return -1;
    return 0;
}

/* ---- hashing ---------------------------------------------------------- */

uint32_t conf_hash_bytes(const void *data, size_t len)
{
    const signed char *s = data;
    uint32_t h = (uint32_t)len;
    for (size_t i = 0; i < len; i++) {
        /* Bytes count as signed char, as on upstream's x86 builds. */
        h += (uint32_t)(int32_t)s[i];
        h += h << 10;
        h ^= h >> 6;
    }
    h += h << 3;
    h ^= h >> 11;
    h += h << 15;
    return h;
}

uint32_t conf_name_id(const char *name)
{
    size_t n = strlen(name) + 1;             /* the NUL is hashed too */
    uint32_t id = conf_hash_bytes(name, n);
    if (id == 0 || id == 0xffffffffu)        /* reserved values */
        id = (uint32_t)n << 16;
    return id;
}

struct sbuf {
    char *b;
    size_t len, cap;
    int oom;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (sb->oom)
        return;
    va_start(ap, fmt);
    n = vsnprintf(sb->b + sb->len, sb->cap - sb->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->oom = 1;
        return;
    }
    if ((size_t)n >= sb->cap - sb->len) {
        size_t cap = (sb->cap + (size_t)n + 1) * 2;
        char *b = realloc(sb->b, cap);
        if (!b) {
            sb->oom = 1;
            return;
        }
        sb->b = b;
        sb->cap = cap;
        va_start(ap, fmt);
        vsnprintf(sb->b + sb->len, sb->cap - sb->len, fmt, ap);
        va_end(ap);
    }
    sb->len += (size_t)n;
}

/* The canonical text of daemon.md §2.9, hashed with its NUL. */
static int config_hash(const struct conf *c, uint32_t *out)
{
    struct sbuf sb = {.b = malloc(1024), .cap = 1024};

    if (!sb.b)
        return -1;
    sb.b[0] = '\0';
    for (int s = 0; s < c->n_segments; s++) {
        const struct conf_segment *seg = &c->segments[s];
        sb_printf(&sb, "Segment: port = %u;", seg->port);
        for (int i = 0; i < seg->n_addrs && !c->exclude_seg_addrs_from_hash;
             i++)
            sb_printf(&sb, " [%s]", seg->addrs[i].text);
        sb_printf(&sb, "\n");
        for (int i = 0; i < seg->n_daemons; i++) {
            const struct conf_daemon *d = &c->daemons[seg->first_daemon + i];
            sb_printf(&sb, "\t'%s' [%s] [%u]\n", d->name, d->addr.text,
                      d->id);
        }
        sb_printf(&sb, "\n");
    }
    /* Upstream hashes the flag as written, not the effective protocol. */
    sb_printf(&sb, "Version: 5\nProtocol: %s\n",
              c->accelerated_ring_explicit == 1 ? "Accelerated Ring"
                                                : "Original Ring");
    if (!sb.oom)
        *out = conf_hash_bytes(sb.b, sb.len + 1);
    free(sb.b);
    return sb.oom ? -1 : 0;
}

/* ---- end-of-file checks ----------------------------------------------- */

static int max_line(const struct conf_parse_state *p, enum conf_key a,
                    enum conf_key b, enum conf_key c)
{
    int l = p->key_line[a];
    if (p->key_line[b] > l)
        l = p->key_line[b];
    if (p->key_line[c] > l)
        l = p->key_line[c];
    return l;
}

static int check_windows(struct conf_parse_state *p)
{
    const struct conf *c = p->c;

    if (c->personal_window > c->window)
        return conf_error(p, max_line(p, KEY_WINDOW, KEY_PERSONAL_WINDOW,
                                      KEY_PERSONAL_WINDOW),
                          "PersonalWindow (%d) is larger than Window (%d)",
                          c->personal_window, c->window);
    if (c->accelerated_window <= c->personal_window)
        return 0;
    if (c->accelerated_ring_explicit == 1)
        return conf_error(p, max_line(p, KEY_ACCELERATED_WINDOW,
                                      KEY_PERSONAL_WINDOW,
                                      KEY_ACCELERATED_RING),
                          "AcceleratedWindow (%d) is larger than "
                          "PersonalWindow (%d)", c->accelerated_window,
                          c->personal_window);
    /* Upstream checks only with "AcceleratedRing = true" written. */
    conf_warning(p, max_line(p, KEY_ACCELERATED_WINDOW, KEY_PERSONAL_WINDOW,
                             KEY_PERSONAL_WINDOW),
                 "AcceleratedWindow (%d) is larger than PersonalWindow (%d)",
                 c->accelerated_window, c->personal_window);
    return 0;
}

static int check_timeouts(struct conf_parse_state *p)
{
    const unsigned all = (1u << CONF_TO_COUNT) - 1;
    unsigned given = p->c->timeouts_given;
    char missing[200] = "";
    size_t o = 0;
    int line = 0;

    if (given == 0 || given == all)
        return 0;
    for (int i = 0; i < CONF_TO_COUNT; i++) {
        int l = p->key_line[KEY_TOKEN_TIMEOUT + i];
        if (given & (1u << i)) {
            if (line == 0 || l < line)
                line = l;
        } else {
            o += (size_t)snprintf(missing + o, sizeof missing - o, "%s%s",
                                  o ? ", " : "",
                                  conf_key_name(KEY_TOKEN_TIMEOUT + i));
        }
    }
    return conf_error(p, line, "set all nine membership timeouts or none; "
                      "missing: %s", missing);
}

static void effective_values(struct conf_parse_state *p)
{
    struct conf *c = p->c;
    const unsigned *def;

    if (!p->key_line[KEY_WIDE_AREA_NETWORK])
        c->wide_area = c->n_segments > 1;
    /* Upstream 5.0.1 runs the accelerated ring only when the file says
     * "AcceleratedRing = true": the captures show the default and an
     * explicit false running the original ring (vectors/ring/README.md,
     * D1), as the hash's "Original Ring" says. A daemon of a mixed ring
     * must do the same. */
    c->accelerated_ring = c->accelerated_ring_explicit == 1;
    for (int s = 0; s < c->n_segments; s++) {
        struct conf_segment *seg = &c->segments[s];
        int all_loop = seg->n_addrs > 0;
        for (int i = 0; i < seg->n_addrs; i++)
            if (!conf_addr_is_loopback(&seg->addrs[i]))
                all_loop = 0;
        seg->unicast = c->segment_unicast == CONF_REUSE_ON ||
                       (c->segment_unicast == CONF_REUSE_AUTO && all_loop);
    }
    def = c->wide_area ? wan_timeouts : lan_timeouts;
    if (c->timeouts_given == 0)
        memcpy(c->timeouts_ms, def, sizeof c->timeouts_ms);
}

static const struct {
    unsigned bit;
    const char *name;
} auth_methods[] = {{CONF_AUTH_NULL, "NULL"}, {CONF_AUTH_IP, "IP"}};

static void build_auth_list(struct conf_parse_state *p)
{
    struct conf *c = p->c;
    size_t o = 0;

    c->auth_list[0] = '\0';
    for (size_t i = 0; i < sizeof auth_methods / sizeof auth_methods[0];
         i++)
        if (c->allowed_auth & auth_methods[i].bit)
            o += (size_t)snprintf(c->auth_list + o, sizeof c->auth_list - o,
                                  "%s ", auth_methods[i].name);
    if (c->allowed_auth == 0)
        conf_warning(p, max_line(p, KEY_ALLOWED_AUTH, KEY_REQUIRED_AUTH,
                                 KEY_REQUIRED_AUTH),
                     "no known authentication method is enabled: every "
                     "client will be refused");
}

int conf_finish(struct conf_parse_state *p)
{
    struct conf *c = p->c;

    if (c->n_segments == 0)
        return conf_error(p, 0, "no Spread_Segment in the file");
    if (c->n_daemons == 0)
        return conf_error(p, 0, "no daemon in any segment");
    if (check_windows(p) < 0 || check_timeouts(p) < 0)
        return -1;
    effective_values(p);
    build_auth_list(p);
    /* EventPreciseTimeStamp alone switches timestamps on (daemon.md §2.5). */
    if (c->event_precise_timestamp && !c->event_timestamp &&
        conf_set_string(&c->event_timestamp, "%m/%d/%y %H:%M:%S", 17) < 0)
        return conf_error(p, 0, "out of memory");
    if (config_hash(c, &c->hash) < 0)
        return conf_error(p, 0, "out of memory");
    return 0;
}

/* ---- text output ------------------------------------------------------ */

const char *conf_diag_format(const struct conf_diag *d, char *buf, size_t n)
{
    if (d->line > 0)
        snprintf(buf, n, "%s:%d: %s", d->file, d->line, d->reason);
    else
        snprintf(buf, n, "%s: %s", d->file, d->reason);
    return buf;
}

static void roles_text(unsigned roles, char *buf, size_t n)
{
    if (roles & CONF_IF_ANY) {
        snprintf(buf, n, "any");
        return;
    }
    snprintf(buf, n, "%s%s%s", roles & CONF_IF_DAEMON ? "D" : "",
             roles & CONF_IF_CLIENT ? "C" : "",
             roles & CONF_IF_MONITOR ? "M" : "");
}

static void describe_segment(const struct conf *c, int s, int self,
                             void (*line)(void *, const char *), void *ctx)
{
    const struct conf_segment *seg = &c->segments[s];
    char buf[512], roles[8];
    int o;

    o = snprintf(buf, sizeof buf, "segment %d, port %u, address", s,
                 seg->port);
    for (int i = 0; i < seg->n_addrs; i++)
        o += snprintf(buf + o, sizeof buf - (size_t)o, " %s",
                      seg->addrs[i].text);
    snprintf(buf + o, sizeof buf - (size_t)o, "%s, %d daemon%s:",
             seg->unicast ? " (sent as unicast to each daemon)" : "",
             seg->n_daemons, seg->n_daemons == 1 ? "" : "s");
    line(ctx, buf);
    for (int i = 0; i < seg->n_daemons; i++) {
        int k = seg->first_daemon + i;
        const struct conf_daemon *d = &c->daemons[k];
        snprintf(buf, sizeof buf, "\t%20s: %s id %u (%s)%s", d->name,
                 d->addr.text, d->id, d->id_explicit ? "VirtualID" : "hashed",
                 k == self ? " <- this daemon" : "");
        line(ctx, buf);
        for (int f = 0; f < d->n_ifaces; f++) {
            roles_text(d->ifaces[f].roles, roles, sizeof roles);
            snprintf(buf, sizeof buf, "\t%20s  interface %s %s", "", roles,
                     d->ifaces[f].addr.text);
            line(ctx, buf);
        }
    }
}

void conf_describe(const struct conf *c, int self,
                   void (*line)(void *ctx, const char *text), void *ctx)
{
    static const char *const reuse[] = {"auto", "on", "off"};
    char buf[512];

    snprintf(buf, sizeof buf, "configuration %s: %d segment%s, %d daemon%s",
             c->path ? c->path : "?", c->n_segments,
             c->n_segments == 1 ? "" : "s", c->n_daemons,
             c->n_daemons == 1 ? "" : "s");
    line(ctx, buf);
    for (int s = 0; s < c->n_segments; s++)
        describe_segment(c, s, self, line, ctx);
    snprintf(buf, sizeof buf, "ring: %s ring, %s, windows %d/%d/%d, "
             "timeouts token %u hurry %u alive %u join %u rep %u seg %u "
             "gather %u form %u lookup %u ms%s",
             c->accelerated_ring ? "accelerated" : "original",
             c->wide_area ? "wide area" : "local area", c->window,
             c->personal_window, c->accelerated_window,
             c->timeouts_ms[0], c->timeouts_ms[1], c->timeouts_ms[2],
             c->timeouts_ms[3], c->timeouts_ms[4], c->timeouts_ms[5],
             c->timeouts_ms[6], c->timeouts_ms[7], c->timeouts_ms[8],
             c->timeouts_given ? "" : " (defaults)");
    line(ctx, buf);
    snprintf(buf, sizeof buf, "clients: auth methods '%s', max %u queued "
             "messages, unix sockets in %s (mode %04o), port reuse %s%s",
             c->auth_list, c->max_session_messages, c->unix_socket_dir,
             c->unix_socket_mode, reuse[c->port_reuse],
             c->dangerous_monitor ? ", dangerous monitor commands on" : "");
    line(ctx, buf);
    snprintf(buf, sizeof buf, "groups: at most %u in total, %u per member, "
             "%u members each", c->max_groups, c->max_session_groups,
             c->max_group_members);
    line(ctx, buf);
    snprintf(buf, sizeof buf, "Hash value for this configuration is: %u",
             c->hash);
    line(ctx, buf);
}
