/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * conf: spread.conf text -> an immutable, validated `struct conf`.
 *
 * Contract
 * - The parser implements the whole grammar of ../shared/spec/daemon.md §2
 *   (segments, daemons, interface blocks, VirtualID, every global key) and
 *   its validation (§2.8, §4), including the keys that matter only with
 *   several daemons, plus Cohort's own keys (UnixSocketDir, UnixSocketMode,
 *   MaxSessionGroups, MaxGroups, MaxGroupMembers).
 * - It never logs and never exits. Errors come back as a negative return
 *   and a filled `struct conf_diag` ("file:line: reason"); warnings are
 *   handed to the caller's callback, in file order, with the same fields.
 * - The result is owned by the caller and freed with conf_free(); nothing
 *   in it points into the input text. It is read-only after parsing, so a
 *   reload can parse a new one and swap it in.
 * - Name lookups (daemon entries given only by name) go through
 *   getaddrinfo() unless conf_parse_opts.resolve replaces it (tests and the
 *   fuzzer stay off DNS that way).
 * - Cohort differences from upstream 5.0.1, all deliberate (daemon.md §8):
 *   every empty segment is an error; MaxSessionMessages = 0 and windows
 *   above 32767 are rejected; "only some timeouts" is a parse error, not a
 *   start-up one; errors name the exact line of the offending token.
 */
#ifndef COHORT_DAEMON_CONF_H
#define COHORT_DAEMON_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONF_MAX_PROC_NAME 20      /* 19 characters + NUL */
#define CONF_MAX_SEGMENTS 20
#define CONF_MAX_DAEMONS 128
#define CONF_MAX_SEG_ADDRS 5
#define CONF_MAX_IFACES 10
#define CONF_DEFAULT_PORT 4803
#define CONF_ADDR_TEXT 64

/* An IPv4 or IPv6 address. `bytes` is in network order (4 or 16 used). */
struct conf_addr {
    sa_family_t family;            /* AF_INET or AF_INET6 */
    unsigned char bytes[16];
    uint32_t scope_id;             /* IPv6 %iface, else 0 */
    char text[CONF_ADDR_TEXT];     /* canonical text, as used in the hash */
};

/* Interface roles (daemon.md §2.4). No tag = all three | CONF_IF_ANY. */
enum conf_iface_role {
    CONF_IF_DAEMON = 0x1,
    CONF_IF_CLIENT = 0x2,
    CONF_IF_MONITOR = 0x4,
    CONF_IF_ANY = 0x8              /* implicit interface: bind unspecified */
};

struct conf_iface {
    unsigned roles;                /* enum conf_iface_role bits */
    struct conf_addr addr;
};

struct conf_daemon {
    char name[CONF_MAX_PROC_NAME];
    struct conf_addr addr;
    uint32_t id;                   /* VirtualID, explicit or hashed */
    int id_explicit;
    int segment;                   /* index into conf.segments */
    int n_ifaces;                  /* 1 implicit ANY interface if no block */
    struct conf_iface ifaces[CONF_MAX_IFACES];
    int line;                      /* where the entry starts in the file */
};

struct conf_segment {
    uint16_t port;                 /* 4803 if absent or 0 */
    int n_addrs;
    struct conf_addr addrs[CONF_MAX_SEG_ADDRS];
    int first_daemon;              /* index into conf.daemons */
    int n_daemons;
    int line;                      /* line of its Spread_Segment keyword */
    int unicast;                   /* effective SegmentUnicast: a segment
                                    * broadcast goes as one unicast per
                                    * daemon of the segment */
};

/* on/off/auto values (SocketPortReuse, SegmentUnicast). */
enum conf_port_reuse { CONF_REUSE_AUTO = 0, CONF_REUSE_ON, CONF_REUSE_OFF };

/* Authentication methods known to this daemon. */
enum conf_auth {
    CONF_AUTH_NULL = 0x1,
    CONF_AUTH_IP = 0x2
};

/* Indexes into conf.timeouts_ms[]. */
enum conf_timeout {
    CONF_TO_TOKEN = 0, CONF_TO_HURRY, CONF_TO_ALIVE, CONF_TO_JOIN,
    CONF_TO_REP, CONF_TO_SEG, CONF_TO_GATHER, CONF_TO_FORM, CONF_TO_LOOKUP,
    CONF_TO_COUNT
};

/* EventPriority levels (daemon.md §2.6). */
enum conf_priority {
    CONF_PRIO_DEBUG = 1, CONF_PRIO_INFO, CONF_PRIO_WARNING, CONF_PRIO_ERROR,
    CONF_PRIO_CRITICAL, CONF_PRIO_FATAL
};

struct conf {
    int n_segments;
    struct conf_segment segments[CONF_MAX_SEGMENTS];
    int n_daemons;                 /* in configuration (= ring) order */
    struct conf_daemon daemons[CONF_MAX_DAEMONS];

    /* Logging. */
    char *event_log_file;          /* NULL: stdout; %h/%H already expanded */
    char *event_timestamp;         /* strftime format, NULL: no timestamps;
                                    * set to the bare-keyword default when
                                    * only EventPreciseTimeStamp is given */
    int event_precise_timestamp;
    int event_priority;            /* enum conf_priority, default INFO */
    uint32_t debug_flags;          /* default 0x111 */

    /* Daemon runtime. */
    int dangerous_monitor;
    enum conf_port_reuse port_reuse;
    char *runtime_dir;             /* default SP_RUNTIME_DIR */
    char *daemon_user;             /* default "spread" */
    char *daemon_group;            /* default "spread" */
    char *unix_socket_dir;         /* Cohort key; default SP_UNIX_SOCKET */
    unsigned unix_socket_mode;     /* Cohort key; default 0666 (upstream) */

    /* Clients. */
    unsigned allowed_auth;         /* enum conf_auth bits; default NULL;
                                    * includes every required method */
    unsigned required_auth;        /* enum conf_auth bits; default none */
    char auth_list[90];            /* "NULL " etc. as sent in the handshake */
    unsigned max_session_messages; /* default 1000 */
    /* Cohort keys: group limits, applied when a join is delivered. Every
     * daemon of a configuration must use the same values. */
    unsigned max_session_groups;   /* groups one member is in: 100000 */
    unsigned max_groups;           /* groups in total: 1000000 */
    unsigned max_group_members;    /* members of one group: 10000 */

    /* Ring (used once several daemons are supported). */
    int active_ip_version;         /* AF_INET / AF_INET6 */
    int window, personal_window, accelerated_window;
    int accelerated_ring;          /* effective value */
    int accelerated_ring_explicit; /* -1 unset, else 0/1 as written */
    int wide_area;                 /* effective value */
    unsigned timeouts_given;       /* bit per enum conf_timeout */
    unsigned timeouts_ms[CONF_TO_COUNT]; /* effective (given or defaults) */
    int exclude_seg_addrs_from_hash;
    int ignore_multicast_join_errors;
    /* Cohort key SegmentUnicast (on/off/auto, default auto: unicast for a
     * segment whose addresses are all loopback addresses, where nothing
     * broadcasts); the effective value is per segment. Not hashed: a
     * daemon that unicasts and one that broadcasts share a ring. */
    enum conf_port_reuse segment_unicast;

    uint32_t hash;                 /* configuration hash (daemon.md §2.9) */
    char *path;                    /* the file actually read */
};

/* Where a diagnostic points. line is 0 when it concerns the whole file. */
struct conf_diag {
    char file[256];
    int line;
    char reason[256];
};

typedef void (*conf_warn_fn)(void *ctx, const struct conf_diag *warning);

/* Parse `len` bytes of text named `fname` (for diagnostics). Returns 0 and
 * sets *out, or a negative value with *err filled. `warn` may be NULL. */
int conf_parse_text(const char *text, size_t len, const char *fname,
                    struct conf **out, struct conf_diag *err,
                    conf_warn_fn warn, void *warn_ctx);

/* Fill *a from raw network-order bytes (4 for AF_INET, 16 for AF_INET6)
 * and set its canonical text. Resolvers use it to build their result. */
void conf_addr_set(struct conf_addr *a, int family, const void *bytes,
                   uint32_t scope_id);

/* Resolve a daemon name (entries given by name only, daemon.md §2.4) to
 * one address of `family`, or of either family when it is AF_UNSPEC.
 * Returns 0 and fills *out (use conf_addr_set()), or negative with
 * a short reason in why[0..whylen). */
typedef int (*conf_resolve_fn)(void *ctx, const char *name, int family,
                               struct conf_addr *out, char *why,
                               size_t whylen);

/* The default resolver: getaddrinfo(), first result of the family. */
int conf_resolve_getaddrinfo(void *ctx, const char *name, int family,
                             struct conf_addr *out, char *why,
                             size_t whylen);

/* Optional knobs of conf_parse_text_opts(); zero-fill for the defaults. */
struct conf_parse_opts {
    conf_warn_fn warn;             /* NULL: warnings are dropped */
    void *warn_ctx;
    conf_resolve_fn resolve;       /* NULL: conf_resolve_getaddrinfo */
    void *resolve_ctx;
    const char *hostname;          /* %h/%H in EventLogFile; NULL: the
                                    * result of gethostname() */
};

/* conf_parse_text() with options (tests and the fuzzer stay off DNS and
 * get a fixed host name through them). `opts` may be NULL. */
int conf_parse_text_opts(const char *text, size_t len, const char *fname,
                         const struct conf_parse_opts *opts,
                         struct conf **out, struct conf_diag *err);

/* Read and parse the configuration. With a `path` (-c), exactly that file:
 * one that is missing, unreadable, not a regular file or larger than
 * 4 MiB is an error naming the reason. Without (NULL), the search of
 * daemon.md §1: ./spread.conf, then SYSCONFDIR/spread.conf; passing over
 * a ./spread.conf that exists but cannot be used is reported through
 * `warn`. c->path names the file read. */
int conf_load_file(const char *path, struct conf **out,
                   struct conf_diag *err, conf_warn_fn warn, void *warn_ctx);

void conf_free(struct conf *c);

/* Choose this daemon's entry (daemon.md §3): by `name` when not NULL, else
 * the first entry whose address is local. Returns the index or negative
 * with *err filled. */
int conf_select_self(const struct conf *c, const char *name,
                     struct conf_diag *err);

/* After conf_select_self(): warn (daemon.md §4, plain warning) about each
 * interface of entry `self` whose address is neither unspecified nor
 * present on this host. Returns how many were reported. */
int conf_check_local_ifaces(const struct conf *c, int self,
                            conf_warn_fn warn, void *warn_ctx);

/* "file:line: reason" (or "file: reason" when line is 0) into buf. */
const char *conf_diag_format(const struct conf_diag *d, char *buf,
                             size_t n);

/* The scope id of the local interface that owns address `a` (daemon.md
 * §3.5: IPv6 daemon and segment addresses take the scope of the matching
 * local address), or 0 if none matches or `a` is IPv4. */
uint32_t conf_local_scope_id(const struct conf_addr *a);

/* Describe a parsed configuration line by line for the start-up log:
 * segments with their daemons and interfaces (`self` marked; -1 for none),
 * the ring and client settings in effect, and last "Hash value for this
 * configuration is: <n>" (the line scripts grep for, daemon.md §2.8).
 * Lines carry no trailing newline. */
void conf_describe(const struct conf *c, int self,
                   void (*line)(void *ctx, const char *text), void *ctx);

/* Bob Jenkins' one-at-a-time hash with seed = len, bytes as signed char. */
uint32_t conf_hash_bytes(const void *data, size_t len);

/* The daemon id derived from a name (daemon.md §2.9). */
uint32_t conf_name_id(const char *name);

#endif /* COHORT_DAEMON_CONF_H */
