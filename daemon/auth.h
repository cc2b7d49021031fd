/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * auth: the client authentication methods of the handshake (NULL and IP)
 * and the IP method's access list (spread.access_ip, daemon.md §2.7).
 *
 * Deliberate fixes against upstream 5.0.1, documented here because they
 * change who gets in:
 * - a `unix` line admits unix-socket clients (upstream refused them);
 * - IPv6 addresses and prefixes work (`::1`, `2001:db8::/32`), and `local`
 *   admits ::1 as well as 127.0.0.0/8; IPv4-mapped IPv6 peers are compared
 *   as IPv4, and so are IPv4-mapped rules (`::ffff:10.0.0.0/104`); a rule
 *   may name a link (`fe80::%eth0/64`, interface name or index), and
 *   then admits peers on that link only (a rule without one: any link);
 * - empty lines are skipped instead of ending the file, and the file is
 *   also looked for in SYSCONFDIR before the fixed /etc.
 *
 * Contract: loading may fail with a file:line diagnostic; checks never log
 * and never fail except by answering "refused".
 */
#ifndef COHORT_DAEMON_AUTH_H
#define COHORT_DAEMON_AUTH_H

#include <stddef.h>
#include <sys/socket.h>

#define AUTH_NULL 0x1u      /* same bits as enum conf_auth */
#define AUTH_IP 0x2u

struct auth_rule {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int prefix;             /* bits */
    unsigned scope_id;      /* IPv6 `%iface`: the peer's link must be this
                             * interface; 0 = any */
};

struct auth {
    unsigned allowed;       /* methods a client may choose */
    unsigned required;      /* methods every client must pass */
    char list[90];          /* method list as sent in the handshake */
    int loaded;             /* an access file was read */
    char path[256];         /* which one */
    int allow_unix;
    struct auth_rule *rules;
    size_t n_rules;
};

/* `list` is the text sent to clients ("NULL " etc.), from the config. */
void auth_init(struct auth *a, unsigned allowed, unsigned required,
               const char *list);
void auth_fini(struct auth *a);

/* Parse access-list text. Returns 0, or -1 with "line N: reason" in err. */
int auth_parse_access(struct auth *a, const char *text, char *err,
                      size_t errlen);

/* Read the first of ./spread.access_ip, SYSCONFDIR/spread.access_ip,
 * /etc/spread.access_ip. Returns 1 if loaded, 0 if none exists,
 * -1 with "path:line: reason" in err on a bad file. */
int auth_load_access(struct auth *a, char *err, size_t errlen);

/* The method bit of a name as sent in the 90-byte choice, 0 if unknown. */
unsigned auth_method_bit(const char *name, size_t len);

/* 1 if every way through the handshake runs the IP method (it is
 * required, or the only one allowed), so that a peer's address alone
 * decides: the daemon can then turn a refused peer away at accept. */
int auth_ip_decides(const struct auth *a);

/* Run the methods in `methods` for a peer (NULL peer = unix socket).
 * Returns 1 when every one of them accepts. */
int auth_check(const struct auth *a, unsigned methods,
               const struct sockaddr *peer);

#endif /* COHORT_DAEMON_AUTH_H */
