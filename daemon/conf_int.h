/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * conf_int: what the parts of the configuration module share (the parse
 * state and the diagnostics helpers). Internal to daemon/conf*.c.
 *   conf.c        grammar: segments, daemons, interface blocks, settings
 *   conf_lex.c    tokens and address text
 *   conf_check.c  end-of-parse checks, effective values, ids and the hash
 *   conf_sys.c    what touches the system: files, DNS, local addresses
 */
#ifndef COHORT_DAEMON_CONF_INT_H
#define COHORT_DAEMON_CONF_INT_H

#include "conf.h"
#include "conf_lex.h"

#define CONF_MAX_FILE_SIZE (4u << 20)
#define CONF_AUTH_LIST_MAX 89      /* longest auth key value kept */

struct conf_parse_state {
    struct conf *c;
    struct conf_diag *err;
    const char *fname;
    struct conf_parse_opts opts;
    struct lexer lx;
    struct tok look;               /* one token of lookahead */
    int have_look;
    int failed;
    int family_line;               /* line that fixed the family; 0: open */
    int key_line[KEY_COUNT];       /* last line each key was set on */
    int auth_seen;                 /* an auth key was used */
};

/* Record the first error; always returns -1 so callers can return it. */
int conf_error(struct conf_parse_state *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void conf_warning(struct conf_parse_state *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* conf_check.c: checks and derived values once the whole file is read. */
int conf_finish(struct conf_parse_state *p);
int conf_set_defaults(struct conf *c);
int conf_set_string(char **dst, const char *s, size_t len);

/* conf_sys.c: the host name for %h (opts.hostname or gethostname()). */
void conf_hostname(const struct conf_parse_state *p, char *buf, size_t n);

#endif /* COHORT_DAEMON_CONF_INT_H */
