/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * conf_lex: the hand-written tokenizer for spread.conf (daemon.md §2.1) and
 * the address helpers shared by the configuration module. Internal to
 * daemon/conf*.c; nothing here is part of the conf.h contract.
 *
 * Tokens are chosen the way a longest-match scanner would: the candidate
 * "word" (a maximal run of non-separator bytes) competes with the address,
 * number, keyword and quoted-string shapes that start at the same place,
 * and the longer match wins; on a tie the more specific shape wins.
 */
#ifndef COHORT_DAEMON_CONF_LEX_H
#define COHORT_DAEMON_CONF_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

enum tok_kind {
    TK_EOF,
    TK_ERROR,        /* lexical error; tok.msg says why */
    TK_LBRACE, TK_RBRACE, TK_EQUALS, TK_COLON, TK_SEMI, TK_BANG,
    TK_WORD,         /* plain word or quoted string (tok.quoted) */
    TK_NUMBER,       /* 1..9 digits; tok.num */
    TK_BOOL,         /* tok.num 0/1 */
    TK_TRI,          /* tok.num: enum conf_port_reuse */
    TK_ADDR,         /* tok.addr */
    TK_ADDR_PORT,    /* tok.addr + tok.port */
    TK_SEGMENT,      /* Spread_Segment */
    TK_VIRTUALID,    /* VirtualID */
    TK_KEY,          /* a global setting; tok.num: enum conf_key */
    TK_FLAG,         /* a DebugFlags name; tok.num: mask */
    TK_LEVEL,        /* an EventPriority level; tok.num: enum conf_priority */
    TK_TAG           /* D, C or M; tok.num: enum conf_iface_role */
};

/* Global setting keywords, in the order of the parser's key table. */
enum conf_key {
    KEY_EVENT_LOG_FILE, KEY_EVENT_TIMESTAMP, KEY_EVENT_PRECISE_TIMESTAMP,
    KEY_EVENT_PRIORITY, KEY_DEBUG_FLAGS, KEY_DANGEROUS_MONITOR,
    KEY_SOCKET_PORT_REUSE, KEY_RUNTIME_DIR, KEY_DAEMON_USER,
    KEY_DAEMON_GROUP, KEY_REQUIRED_AUTH, KEY_ALLOWED_AUTH,
    KEY_ACCESS_CONTROL_POLICY, KEY_MAX_SESSION_MESSAGES,
    KEY_ACTIVE_IP_VERSION, KEY_WINDOW, KEY_PERSONAL_WINDOW,
    KEY_ACCELERATED_RING, KEY_ACCELERATED_WINDOW,
    KEY_TOKEN_TIMEOUT, KEY_HURRY_TIMEOUT, KEY_ALIVE_TIMEOUT,
    KEY_JOIN_TIMEOUT, KEY_REP_TIMEOUT, KEY_SEG_TIMEOUT, KEY_GATHER_TIMEOUT,
    KEY_FORM_TIMEOUT, KEY_LOOKUP_TIMEOUT,
    KEY_WIDE_AREA_NETWORK, KEY_EXCLUDE_SEG_ADDRS, KEY_IGNORE_MCAST_JOIN,
    KEY_UNIX_SOCKET_DIR, KEY_UNIX_SOCKET_MODE,
    KEY_MAX_SESSION_GROUPS, KEY_MAX_GROUPS, KEY_MAX_GROUP_MEMBERS,
    KEY_SEGMENT_UNICAST,
    KEY_COUNT
};

struct tok {
    enum tok_kind kind;
    int line;                  /* line of the token's first byte */
    const char *text;          /* into the input; quoted: without quotes */
    size_t len;
    int quoted;
    long long num;             /* number, bool, tri, key, flag mask, ... */
    unsigned port;             /* TK_ADDR_PORT */
    struct conf_addr addr;     /* TK_ADDR, TK_ADDR_PORT */
    size_t name_len;           /* address text length without %iface */
    const char *msg;           /* TK_ERROR */
};

typedef void (*lex_warn_fn)(void *ctx, int line, const char *msg);

struct lexer {
    const char *s;
    size_t len;
    size_t pos;
    int line;
    lex_warn_fn warn;
    void *warn_ctx;
    char errbuf[160];
};

void lex_init(struct lexer *lx, const char *text, size_t len,
              lex_warn_fn warn, void *warn_ctx);
void lex_next(struct lexer *lx, struct tok *t);

/* Human-readable description of a token for error messages. */
const char *tok_describe(const struct tok *t, char *buf, size_t n);

/* Name of a setting keyword (as written in the file). */
const char *conf_key_name(enum conf_key k);

/* Address helpers (conf_addr_set() itself is public, in conf.h). */
void conf_addr_unspec(struct conf_addr *a, int family);
int conf_addr_equal(const struct conf_addr *a, const struct conf_addr *b);
int conf_addr_is_unspec(const struct conf_addr *a);
int conf_addr_is_multicast(const struct conf_addr *a);
int conf_addr_is_loopback(const struct conf_addr *a);

#endif /* COHORT_DAEMON_CONF_LEX_H */
