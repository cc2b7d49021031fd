/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evscheck internals, shared by its four files: evscheck.c (tables,
 * input, reports), evscheck_log.c (the pass over each client log: view
 * intervals and the properties one log shows), evscheck_props.c (the
 * properties that compare clients) and evscheck_time.c (fault timeline,
 * properties 15 and 16). Nothing here is for users of evscheck.h.
 *
 * Indices: names (clients, groups, daemons) are interned to ids; clients,
 * events (per client), views (view instances, one per REG line), vents
 * (one per distinct group id of a group), messages (one per payload id)
 * are indices into growing arrays. -1 means none.
 */
#ifndef COHORT_TESTS_EVSCHECK_INT_H
#define COHORT_TESTS_EVSCHECK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "evscheck.h"

#define EC_NOTIME INT64_MIN

/* Services, in increasing strength; the enum order is what the
 * properties compare (FIFO or stronger, AGREED or stronger). */
enum ec_serv { ES_NONE, ES_UNRELIABLE, ES_RELIABLE, ES_FIFO, ES_CAUSAL,
               ES_AGREED, ES_SAFE };
enum ec_cause { EC_JOIN = 1, EC_LEAVE, EC_DISCONNECT, EC_NETWORK };
enum ec_kind { EK_SEND, EK_REG, EK_TRANS, EK_MSG, EK_LEFT, EK_END };
enum ec_end { EE_NONE, EE_QUIT, EE_LOST };
enum ec_fkind { EF_CRASH, EF_RESTART, EF_PARTITION, EF_HEAL };

/* ---- small tools -------------------------------------------------- */

void *ec_xmalloc(size_t n);
void *ec_xcalloc(size_t n, size_t size);
void *ec_xrealloc(void *p, size_t n);
char *ec_xstrdup(const char *s);
/* Make room for one more element in a growing array. */
#define EC_GROW(arr, n, cap) do { \
        if ((n) >= (cap)) { \
            (cap) = (cap) ? (cap) * 2 : 16; \
            (arr) = ec_xrealloc((arr), (cap) * sizeof *(arr)); \
        } \
    } while (0)

uint64_t ec_mix64(uint64_t x);
int ec_cmp_i32(const void *a, const void *b);

/* Open-addressing map from a pair of 64-bit words to an int32. */
struct ec_slot {
    uint64_t a, b;
    int32_t v;
    int32_t used;
};
struct ec_map {
    struct ec_slot *slots;
    size_t cap, n;          /* cap: power of two or 0 */
};
int32_t ec_map_get(const struct ec_map *m, uint64_t a, uint64_t b);
/* Insert or overwrite. */
void ec_map_put(struct ec_map *m, uint64_t a, uint64_t b, int32_t v);
/* The value's slot, inserted as dflt if missing; valid until the next
 * insertion. */
int32_t *ec_map_ref(struct ec_map *m, uint64_t a, uint64_t b, int32_t dflt);
void ec_map_fini(struct ec_map *m);

/* ---- the records -------------------------------------------------- */

struct ec_gid {
    uint32_t proc, time, index;
};

/* One record of a client log: 32 bytes, as there may be tens of
 * millions of them. */
struct ec_event {
    int64_t t;
    int32_t line;
    int32_t group;          /* name id; -1 for END */
    int32_t sender;         /* SEND/MSG: the sender's name id */
    int32_t msg;            /* SEND/MSG: message index; TRANS: index of
                             * its group id in ec->tgids, or -1 */
    int32_t view;           /* REG: its instance; MSG, TRANS, SEND: the
                             * current view of group (log pass), or -1 */
    uint8_t kind;           /* enum ec_kind */
    uint8_t serv;           /* SEND/MSG: enum ec_serv; END: enum ec_end */
    uint8_t after_trans;    /* MSG: in the transitional part (log pass) */
    uint8_t dup;            /* MSG: a repeated delivery (log pass) */
};

/* Members and virtual-synchrony sets of a view; shared by every instance
 * that reported them identically. */
struct ec_vcontent {
    int32_t *members;       /* as listed */
    int32_t *sorted;        /* the same, sorted (membership tests) */
    uint32_t nmem;
    int32_t *sets;          /* concatenated */
    uint32_t *set_off;      /* nsets + 1 offsets into sets */
    uint32_t nsets;
};

/* One REG line. */
struct ec_view {
    int32_t client, group, vid, ev;
    struct ec_gid gid;
    uint8_t cause;
    uint8_t own_content;    /* content differs from the vent's (P7) */
    uint8_t unsettled;      /* NETWORK REG followed at once by TRANS */
    int32_t local;          /* index of the VS* set, -1 */
    struct ec_vcontent *vc;
    int32_t trans_ev, end_ev;   /* log pass */
    int32_t prev, next;         /* same client and group */
    int32_t *local_sorted;      /* the local set, sorted */
    uint32_t nlocal;
    uint64_t local_sig;
    /* A digest of the set of messages of the interval (count, sum and
     * xor of a hash of each). */
    uint64_t dig[3];
};

/* One distinct (group, group id). */
struct ec_vent {
    int32_t group;
    struct ec_gid gid;
    int32_t first;          /* first instance */
    int32_t last_client;    /* to see a client receiving it twice */
    struct ec_vcontent *vc; /* as its first instance reported it */
};

struct ec_client {
    char *path;
    int32_t name, daemon;   /* daemon: -1 if the name has none */
    struct ec_event *ev;
    size_t nev, cap;
    uint8_t end;            /* enum ec_end */
    uint8_t after_end;      /* a record followed END */
    int64_t first_t, last_t, end_t;
};

struct ec_msg {
    int32_t psender;
    uint32_t counter;
    int32_t sub_client, sub_ev; /* -1: never submitted */
    int32_t group;
    uint8_t serv;
    uint8_t member_at_submit;   /* log pass */
    int64_t sub_t;
    int32_t last_client;        /* duplicate detection (log pass) */
    uint32_t ndel, del_off;     /* into ec->dels */
};

struct ec_del {
    int32_t client, ev;
};

struct ec_fault {
    int64_t t;
    int32_t line;
    uint8_t kind;           /* enum ec_fkind */
    int32_t daemon;         /* CRASH, RESTART */
    int32_t *comp;          /* PARTITION: daemon ids, -1 between parts */
    uint32_t ncomp;
    const char *path;
};

struct ec_checker {
    struct ec_opts opts;
    long counts[EC_NPROPS];
    long printed;

    char **names;
    size_t nnames, cap_names;
    struct ec_map name_map;

    struct ec_client *clients;
    size_t nclients, cap_clients;
    struct ec_map client_of;    /* name id -> client */

    struct ec_view *views;
    size_t nviews, cap_views;
    struct ec_vent *vents;
    size_t nvents, cap_vents;
    struct ec_map vent_map;     /* (group, gid) -> vent */
    struct ec_map cview;        /* (client, vid) -> view instance */

    struct ec_msg *msgs;
    size_t nmsgs, cap_msgs;
    struct ec_map msg_map;      /* (payload sender, counter) -> msg */
    /* the same for small counters: per sender name id, a table indexed
     * by counter (most logs number from 1 up; no hashing, no misses) */
    struct ec_dense {
        int32_t *msg;
        uint32_t cap;
    } *dense;
    size_t cap_dense;
    struct ec_del *dels;
    size_t ndels;

    struct ec_fault *faults;
    size_t nfaults, cap_faults;

    struct ec_gid *tgids;       /* group ids carried by TRANS records */
    size_t ntgids, cap_tgids;

    int32_t *daemons;           /* every daemon name id seen */
    size_t ndaemons, cap_daemons;

    /* scratch, indexed by message or client; grown as needed */
    int32_t *mark;
    size_t cap_mark;
    int checked;
};

/* ---- evscheck.c --------------------------------------------------- */

int32_t ec_intern(struct ec_checker *ec, const char *s);
const char *ec_name(const struct ec_checker *ec, int32_t id);
/* The daemon part of a private group name (after the second '#'). */
int32_t ec_daemon_of(struct ec_checker *ec, int32_t name);
int32_t ec_client_by_name(const struct ec_checker *ec, int32_t name);
int32_t ec_view_of(const struct ec_checker *ec, int32_t client, int32_t vid);
const char *ec_serv_name(int serv);
const char *ec_cause_name(int cause);
int ec_has_member(const struct ec_vcontent *vc, int32_t name);
/* Frees a heap-allocated content and its arrays (NULL is fine). */
void ec_vcontent_free(struct ec_vcontent *vc);
/* gid as text in a caller's buffer of at least 36 bytes */
const char *ec_gid_str(const struct ec_gid *g, char *buf);
/* path:line of an event */
const char *ec_where(const struct ec_checker *ec, int32_t client,
                     int32_t ev, char *buf, size_t len);
void ec_report(struct ec_checker *ec, int prop, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A scratch array of n int32 set to -1 (valid until the next call). */
int32_t *ec_scratch(struct ec_checker *ec, size_t n);

/* ---- evscheck_log.c ----------------------------------------------- */

/* Parse one client log (text starting at its CLIENT line). */
void ec_parse_client(struct ec_checker *ec, const char *label,
                     const char *text);
/* The pass over every log: links views, marks transitional parts and
 * checks 1, 3, 4, 7 (repeats), 11, 12 (own view), 13, 15 (records after
 * END). Then builds ec->dels. */
void ec_log_pass(struct ec_checker *ec);

/* ---- evscheck_props.c --------------------------------------------- */

/* 1 (unsubmitted) and 2, 5, 6, 8, 9, 10, 12 (across clients), 14. */
void ec_cross_pass(struct ec_checker *ec);

/* ---- evscheck_time.c ---------------------------------------------- */

void ec_parse_faults(struct ec_checker *ec, const char *label,
                     const char *text);
/* 15 (crashes) and 16. */
void ec_time_pass(struct ec_checker *ec);

/* ---- shared by the parsers ---------------------------------------- */

/* Split a line in place into blank-separated words, growing *words
 * (capacity *cap) as needed. Returns the count. */
size_t ec_split(char *line, char ***words, size_t *cap);
/* A time field: 0 and *t, or -1. */
int ec_parse_time(const char *s, int64_t *t);
int ec_parse_u32(const char *s, uint32_t *v);

#endif /* COHORT_TESTS_EVSCHECK_INT_H */
