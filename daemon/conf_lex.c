/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * conf_lex: turns spread.conf bytes into tokens (daemon.md §2.1), plus the
 * canonical address text used by the configuration hash. Hand-written so
 * the daemon needs no flex/bison and so every token carries its own line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_lex.h"

struct kw {
    const char *name;
    enum tok_kind kind;
    long long value;
};

/* Every reserved word. Setting keys must follow enum conf_key's order. */
static const struct kw keywords[] = {
    {"EventLogFile", TK_KEY, KEY_EVENT_LOG_FILE},
    {"EventTimeStamp", TK_KEY, KEY_EVENT_TIMESTAMP},
    {"EventPreciseTimeStamp", TK_KEY, KEY_EVENT_PRECISE_TIMESTAMP},
    {"EventPriority", TK_KEY, KEY_EVENT_PRIORITY},
    {"DebugFlags", TK_KEY, KEY_DEBUG_FLAGS},
    {"DangerousMonitor", TK_KEY, KEY_DANGEROUS_MONITOR},
    {"SocketPortReuse", TK_KEY, KEY_SOCKET_PORT_REUSE},
    {"RuntimeDir", TK_KEY, KEY_RUNTIME_DIR},
    {"DaemonUser", TK_KEY, KEY_DAEMON_USER},
    {"DaemonGroup", TK_KEY, KEY_DAEMON_GROUP},
    {"RequiredAuthMethods", TK_KEY, KEY_REQUIRED_AUTH},
    {"AllowedAuthMethods", TK_KEY, KEY_ALLOWED_AUTH},
    {"AccessControlPolicy", TK_KEY, KEY_ACCESS_CONTROL_POLICY},
    {"MaxSessionMessages", TK_KEY, KEY_MAX_SESSION_MESSAGES},
    {"ActiveIPVersion", TK_KEY, KEY_ACTIVE_IP_VERSION},
    {"Window", TK_KEY, KEY_WINDOW},
    {"PersonalWindow", TK_KEY, KEY_PERSONAL_WINDOW},
    {"AcceleratedRing", TK_KEY, KEY_ACCELERATED_RING},
    {"AcceleratedWindow", TK_KEY, KEY_ACCELERATED_WINDOW},
    {"TokenTimeout", TK_KEY, KEY_TOKEN_TIMEOUT},
    {"HurryTimeout", TK_KEY, KEY_HURRY_TIMEOUT},
    {"AliveTimeout", TK_KEY, KEY_ALIVE_TIMEOUT},
    {"JoinTimeout", TK_KEY, KEY_JOIN_TIMEOUT},
    {"RepTimeout", TK_KEY, KEY_REP_TIMEOUT},
    {"SegTimeout", TK_KEY, KEY_SEG_TIMEOUT},
    {"GatherTimeout", TK_KEY, KEY_GATHER_TIMEOUT},
    {"FormTimeout", TK_KEY, KEY_FORM_TIMEOUT},
    {"LookupTimeout", TK_KEY, KEY_LOOKUP_TIMEOUT},
    {"WideAreaNetwork", TK_KEY, KEY_WIDE_AREA_NETWORK},
    {"ExcludeSegAddrsFromHash", TK_KEY, KEY_EXCLUDE_SEG_ADDRS},
    {"IgnoreMulticastJoinErrors", TK_KEY, KEY_IGNORE_MCAST_JOIN},
    {"UnixSocketDir", TK_KEY, KEY_UNIX_SOCKET_DIR},
    {"UnixSocketMode", TK_KEY, KEY_UNIX_SOCKET_MODE},
    {"MaxSessionGroups", TK_KEY, KEY_MAX_SESSION_GROUPS},
    {"MaxGroups", TK_KEY, KEY_MAX_GROUPS},
    {"MaxGroupMembers", TK_KEY, KEY_MAX_GROUP_MEMBERS},
    {"SegmentUnicast", TK_KEY, KEY_SEGMENT_UNICAST},
    {"Spread_Segment", TK_SEGMENT, 0},
    {"VirtualID", TK_VIRTUALID, 0},
    {"ALL", TK_FLAG, 0xffffffffLL},
    {"NONE", TK_FLAG, 0},
    {"EXIT", TK_FLAG, 0x00000001},
    {"DATA_LINK", TK_FLAG, 0x00000002},
    {"MEMORY", TK_FLAG, 0x00000004},
    {"EVENTS", TK_FLAG, 0x00000008},
    {"PRINT", TK_FLAG, 0x00000010},
    {"NETWORK", TK_FLAG, 0x00000020},
    {"PROTOCOL", TK_FLAG, 0x00000040},
    {"SESSION", TK_FLAG, 0x00000080},
    {"CONFIGURATION", TK_FLAG, 0x00000100},
    {"MEMBERSHIP", TK_FLAG, 0x00000200},
    {"FLOW_CONTROL", TK_FLAG, 0x00000400},
    {"STATUS", TK_FLAG, 0x00000800},
    {"DEBUG", TK_FLAG, 0x00001000},
    {"GROUPS", TK_FLAG, 0x00002000},
    {"SKIPLIST", TK_FLAG, 0x00200000},
    {"ACM", TK_FLAG, 0x00400000},
    {"SECURITY", TK_FLAG, 0x00800000},
    {"pDEBUG", TK_LEVEL, CONF_PRIO_DEBUG},
    {"INFO", TK_LEVEL, CONF_PRIO_INFO},
    {"WARNING", TK_LEVEL, CONF_PRIO_WARNING},
    {"ERROR", TK_LEVEL, CONF_PRIO_ERROR},
    {"CRITICAL", TK_LEVEL, CONF_PRIO_CRITICAL},
    {"FATAL", TK_LEVEL, CONF_PRIO_FATAL},
    {"D", TK_TAG, CONF_IF_DAEMON},
    {"C", TK_TAG, CONF_IF_CLIENT},
    {"M", TK_TAG, CONF_IF_MONITOR},
};

/* Case-insensitive value words. */
static const struct kw value_words[] = {
    {"true", TK_BOOL, 1}, {"yes", TK_BOOL, 1},
    {"false", TK_BOOL, 0}, {"no", TK_BOOL, 0},
    {"on", TK_TRI, CONF_REUSE_ON}, {"off", TK_TRI, CONF_REUSE_OFF},
    {"auto", TK_TRI, CONF_REUSE_AUTO},
};

#define N_KEYWORDS (sizeof keywords / sizeof keywords[0])
#define N_VALUE_WORDS (sizeof value_words / sizeof value_words[0])

const char *conf_key_name(enum conf_key k)
{
    if ((int)k < 0 || k >= KEY_COUNT)
        return "?";
    return keywords[k].name;
}

void lex_init(struct lexer *lx, const char *text, size_t len,
              lex_warn_fn warn, void *warn_ctx)
{
    memset(lx, 0, sizeof *lx);
    lx->s = text;
    lx->len = len;
    lx->line = 1;
    lx->warn = warn;
    lx->warn_ctx = warn_ctx;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Bytes that end a word (besides the end of the text). */
static int is_sep(char c)
{
    return is_blank(c) || c == '#' || c == '{' || c == '}' || c == '[' ||
           c == ']' || c == '\0';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Value of n (at most 9) decimal digits; the input is not NUL-terminated,
 * so no strtol(). */
static long long digits_value(const char *p, size_t n)
{
    long long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

static void skip_blank(struct lexer *lx)
{
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos];
        if (c == '#') {
            while (lx->pos < lx->len && lx->s[lx->pos] != '\n')
                lx->pos++;
        } else if (is_blank(c)) {
            if (c == '\n')
                lx->line++;
            lx->pos++;
        } else {
            break;
        }
    }
}

static size_t word_run(const struct lexer *lx, size_t pos)
{
    size_t n = 0;
    while (pos + n < lx->len && !is_sep(lx->s[pos + n]))
        n++;
    return n;
}

static void set_error(struct lexer *lx, struct tok *t, const char *msg)
{
    snprintf(lx->errbuf, sizeof lx->errbuf, "%s", msg);
    t->kind = TK_ERROR;
    t->msg = lx->errbuf;
}

static void warn(struct lexer *lx, int line, const char *msg)
{
    if (lx->warn)
        lx->warn(lx->warn_ctx, line, msg);
}

/* ---- addresses ---------------------------------------------------- */

void conf_addr_set(struct conf_addr *a, int family, const void *bytes,
                   uint32_t scope_id)
{
    const unsigned char *b = bytes;
    memset(a, 0, sizeof *a);
    a->family = (sa_family_t)family;
    a->scope_id = scope_id;
    if (family == AF_INET) {
        memcpy(a->bytes, b, 4);
        snprintf(a->text, sizeof a->text, "%u.%u.%u.%u", b[0], b[1], b[2],
                 b[3]);
        return;
    }
    memcpy(a->bytes, b, 16);
    /* Eight groups of four lower-case digits, no "::" (daemon.md §2.9). */
    for (int i = 0; i < 8; i++)
        snprintf(a->text + i * 5, sizeof a->text - (size_t)i * 5,
                 i < 7 ? "%02x%02x:" : "%02x%02x", b[2 * i], b[2 * i + 1]);
}

void conf_addr_unspec(struct conf_addr *a, int family)
{
    static const unsigned char zero[16];
    conf_addr_set(a, family, zero, 0);
}

int conf_addr_equal(const struct conf_addr *a, const struct conf_addr *b)
{
    size_t n = a->family == AF_INET ? 4 : 16;
    return a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

int conf_addr_is_unspec(const struct conf_addr *a)
{
    static const unsigned char zero[16];
    return memcmp(a->bytes, zero, a->family == AF_INET ? 4 : 16) == 0;
}

int conf_addr_is_multicast(const struct conf_addr *a)
{
    if (a->family == AF_INET)
        return (a->bytes[0] & 0xf0) == 0xe0;
    return a->bytes[0] == 0xff;
}

int conf_addr_is_loopback(const struct conf_addr *a)
{
    static const unsigned char v6lo[16] = {[15] = 1};
    if (a->family == AF_INET)
        return a->bytes[0] == 127;
    return memcmp(a->bytes, v6lo, 16) == 0;
}

/* Length of the "d{1,3}.d{1,3}.d{1,3}.d{1,3}[:d{1,5}]" shape at p, or 0.
 * Octet values and the port are returned unchecked. */
static size_t match_ipv4(const char *p, size_t n, unsigned oct[4],
                         long *port, size_t *addr_len)
{
    size_t i = 0;
    for (int g = 0; g < 4; g++) {
        size_t d = 0;
        unsigned v = 0;
        while (d < 3 && i < n && is_digit(p[i])) {
            v = v * 10 + (unsigned)(p[i] - '0');
            d++;
            i++;
        }
        if (d == 0)
            return 0;
        oct[g] = v;
        if (g < 3) {
            if (i >= n || p[i] != '.')
                return 0;
            i++;
        }
    }
    *addr_len = i;
    *port = -1;
    if (i + 1 < n && p[i] == ':' && is_digit(p[i + 1])) {
        size_t d = 0;
        long v = 0;
        i++;
        while (d < 5 && i < n && is_digit(p[i])) {
            v = v * 10 + (p[i] - '0');
            d++;
            i++;
        }
        *port = v;
    }
    return i;
}

/* Attach the %iface part of an IPv6 literal. */
static void set_scope(struct lexer *lx, struct tok *t, const char *ifc,
                      size_t n)
{
    char name[IF_NAMESIZE + 1];
    size_t i;
    for (i = 0; i < n && is_digit(ifc[i]); i++)
        ;
    if (i == n && n <= 9) {
        t->addr.scope_id = (uint32_t)digits_value(ifc, n);
        return;
    }
    if (n < sizeof name) {
        memcpy(name, ifc, n);
        name[n] = '\0';
        t->addr.scope_id = if_nametoindex(name);
    }
    if (t->addr.scope_id == 0) {
        char msg[96];
        snprintf(msg, sizeof msg,
                 "interface '%.*s' is unknown on this host; the address "
                 "gets no scope", (int)(n > 40 ? 40 : n), ifc);
        warn(lx, t->line, msg);
    }
}

/* Does p[0..n) look like an IPv6 literal, with an optional %iface? On
 * success fills t->addr and t->name_len and returns 1; returns -1 when it
 * has the shape but is no valid address, 0 when it is no candidate. */
static int parse_ipv6(struct lexer *lx, struct tok *t, const char *p,
                      size_t n)
{
    size_t head = 0, colons = 0;
    char buf[64];
    unsigned char bytes[16];

    while (head < n && p[head] != '%') {
        char c = p[head];
        if (!is_hex(c) && c != ':' && c != '.')
            return 0;
        if (c == ':')
            colons++;
        head++;
    }
    if (colons < 2)
        return 0;
    if (head >= sizeof buf || (head < n && head + 1 == n))
        return -1;
    memcpy(buf, p, head);
    buf[head] = '\0';
    if (inet_pton(AF_INET6, buf, bytes) != 1)
        return -1;
    conf_addr_set(&t->addr, AF_INET6, bytes, 0);
    t->name_len = head;
    if (head < n)
        set_scope(lx, t, p + head + 1, n - head - 1);
    return 1;
}

static void malformed(struct lexer *lx, struct tok *t)
{
    char msg[120];
    snprintf(msg, sizeof msg,
             "'%.*s' looks like an IP address but is not a valid one; it "
             "is read as a name", (int)(t->len > 60 ? 60 : t->len), t->text);
    warn(lx, t->line, msg);
}

static int set_port(struct lexer *lx, struct tok *t, long port)
{
    if (port > 65535) {
        char msg[80];
        snprintf(msg, sizeof msg, "port %ld is out of range (0..65535)",
                 port);
        set_error(lx, t, msg);
        return -1;
    }
    t->kind = TK_ADDR_PORT;
    t->port = (unsigned)port;
    return 0;
}

/* Try the IPv4 and IPv6 shapes on the word t->text[0..t->len). Returns 1
 * when the token became an address (or an error), 0 to keep a word. */
static int lex_address(struct lexer *lx, struct tok *t)
{
    unsigned oct[4];
    long port;
    size_t alen;
    size_t m = match_ipv4(t->text, t->len, oct, &port, &alen);

    if (m != 0 && m == t->len) {
        unsigned char b[4];
        if (oct[0] > 255 || oct[1] > 255 || oct[2] > 255 || oct[3] > 255) {
            malformed(lx, t);
            return 0;
        }
        for (int i = 0; i < 4; i++)
            b[i] = (unsigned char)oct[i];
        conf_addr_set(&t->addr, AF_INET, b, 0);
        t->name_len = alen;
        t->kind = TK_ADDR;
        if (port >= 0)
            set_port(lx, t, port);
        return 1;
    }
    switch (parse_ipv6(lx, t, t->text, t->len)) {
    case 1:
        t->kind = TK_ADDR;
        return 1;
    case -1:
        malformed(lx, t);
        return 0;
    default:
        return 0;
    }
}

/* "[v6addr%iface]" optionally followed by ":port". */
static void lex_bracket(struct lexer *lx, struct tok *t)
{
    const char *s = lx->s;
    size_t start = lx->pos + 1, j = start;

    while (j < lx->len && s[j] != ']' && !is_sep(s[j]))
        j++;
    if (j >= lx->len || s[j] != ']') {
        lx->pos = j;
        set_error(lx, t, "'[' without a matching ']' on the same word");
        return;
    }
    t->text = s + start;
    t->len = j - start;
    if (parse_ipv6(lx, t, t->text, t->len) != 1) {
        lx->pos = j + 1;
        set_error(lx, t, "brackets must hold a valid IPv6 address");
        return;
    }
    t->kind = TK_ADDR;
    j++;
    if (j + 1 < lx->len && s[j] == ':' && is_digit(s[j + 1])) {
        long port = 0;
        size_t d = 0;
        j++;
        while (d < 5 && j < lx->len && is_digit(s[j])) {
            port = port * 10 + (s[j] - '0');
            d++;
            j++;
        }
        set_port(lx, t, port);
    }
    lx->pos = j;
}

/* A quoted string; returns 0 and leaves pos alone when a plain word
 * starting at the quote would be longer (longest match wins). */
static int lex_quoted(struct lexer *lx, struct tok *t)
{
    const char *s = lx->s;
    char q = s[lx->pos];
    size_t j = lx->pos + 1;
    int lines = 0;

    while (j < lx->len && s[j] != q) {
        if (s[j] == '\n')
            lines++;
        j++;
    }
    if (j >= lx->len || word_run(lx, lx->pos) > j + 1 - lx->pos)
        return 0;
    t->text = s + lx->pos + 1;
    t->len = j - lx->pos - 1;
    if (memchr(t->text, '\0', t->len)) {
        lx->pos = j + 1;
        set_error(lx, t, "a quoted string contains a NUL byte");
        return 1;
    }
    t->kind = TK_WORD;
    t->quoted = 1;
    lx->pos = j + 1;
    lx->line += lines;
    return 1;
}

static void classify_word(struct lexer *lx, struct tok *t)
{
    size_t i;

    for (i = 0; i < t->len && is_digit(t->text[i]); i++)
        ;
    if (i == t->len) {
        /* Pure digits: at most nine make one number; the rest is the next
         * token (daemon.md §2.1). */
        if (t->len > 9)
            t->len = 9;
        t->kind = TK_NUMBER;
        t->num = digits_value(t->text, t->len);
        return;
    }
    if (lex_address(lx, t))
        return;
    for (i = 0; i < N_KEYWORDS; i++) {
        if (strlen(keywords[i].name) == t->len &&
            memcmp(keywords[i].name, t->text, t->len) == 0) {
            t->kind = keywords[i].kind;
            t->num = keywords[i].value;
            return;
        }
    }
    for (i = 0; i < N_VALUE_WORDS; i++) {
        if (strlen(value_words[i].name) == t->len &&
            strncasecmp(value_words[i].name, t->text, t->len) == 0) {
            t->kind = value_words[i].kind;
            t->num = value_words[i].value;
            return;
        }
    }
    if (t->len == 1 && t->text[0] == '=')
        t->kind = TK_EQUALS;
    else if (t->len == 1 && t->text[0] == ':')
        t->kind = TK_COLON;
    else if (t->len == 1 && t->text[0] == ';')
        t->kind = TK_SEMI;
    else
        t->kind = TK_WORD;
}

void lex_next(struct lexer *lx, struct tok *t)
{
    char c;

    memset(t, 0, sizeof *t);
    skip_blank(lx);
    t->line = lx->line;
    t->text = lx->s + lx->pos;
    if (lx->pos >= lx->len) {
        t->kind = TK_EOF;
        return;
    }
    c = lx->s[lx->pos];
    switch (c) {
    case '{':
    case '}':
        t->kind = c == '{' ? TK_LBRACE : TK_RBRACE;
        t->len = 1;
        lx->pos++;
        return;
    case '[':
        lex_bracket(lx, t);
        return;
    case ']':
        lx->pos++;
        set_error(lx, t, "']' without a matching '['");
        return;
    case '\0':
        lx->pos++;
        set_error(lx, t, "the text contains a NUL byte");
        return;
    case '"':
    case '\'':
        if (lex_quoted(lx, t))
            return;
        break;
    case '!':
        if (lx->pos + 1 < lx->len && lx->s[lx->pos + 1] != '\n') {
            t->kind = TK_BANG;
            t->len = 1;
            lx->pos++;
            return;
        }
        break;
    default:
        break;
    }
    t->len = word_run(lx, lx->pos);
    classify_word(lx, t);
    lx->pos += t->len;
}

const char *tok_describe(const struct tok *t, char *buf, size_t n)
{
    int len = (int)(t->len > 48 ? 48 : t->len);
    const char *more = t->len > 48 ? "..." : "";

    switch (t->kind) {
    case TK_EOF:
        snprintf(buf, n, "the end of the file");
        break;
    case TK_ERROR:
        snprintf(buf, n, "%s", t->msg);
        break;
    case TK_WORD:
        snprintf(buf, n, t->quoted ? "\"%.*s%s\"" : "'%.*s%s'", len, t->text,
                 more);
        break;
    case TK_NUMBER:
        snprintf(buf, n, "the number %lld", t->num);
        break;
    case TK_ADDR:
    case TK_ADDR_PORT:
        snprintf(buf, n, "the address '%.*s%s'", len, t->text, more);
        break;
    default:
        snprintf(buf, n, "'%.*s%s'", len, t->text, more);
        break;
    }
    return buf;
}
