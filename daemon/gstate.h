/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * gstate: the group-state exchange that follows a daemon configuration
 * change (ring.md §11.3, rules 76-78). Owns the GROUPS message layout
 * (encoding the group table, validating and decoding what other daemons
 * send), the bookkeeping of which daemons' states have arrived, and the
 * merge of those states into the group table.
 *
 * Wire layout (upstream 5.0.1, vectors/ring/README.md §5, decode.py): a
 * client-style 48-byte header, type GROUPS_MESS | RELIABLE_MESS (all but
 * a daemon's last message) or | AGREED_MESS (its last), sender field = the
 * daemon's name with bytes 28..31 = the number of daemons the message
 * represents (int32; written in the last message, 0 before), num_groups 0,
 * hint = marker, data_len = body length. Body, all integers in the
 * writer's byte order (the header's marker says which), nothing aligned:
 *   membership id (id 4, time 4), flag (1 byte: 1 = the daemon's first
 *   message), if flag: synced-set size (4) and that many daemon ids (4);
 *   then per group: name (32), group id (4+4+4), changed (2), number of
 *   entries (2), and per entry: daemon id (4), membership id of its last
 *   sync (4+4), number of members (2), their private names (32 each).
 * A body holds at most `chunk` bytes (GSTATE_CHUNK, daemon.md §7); a group
 * too big for one body continues in the next with its header repeated
 * (the two records are adjacent in the daemon's stream), and a daemon's
 * members of one group whose sync ids differ are in one entry per id
 * (ring.md rule 74's joiners): both are this implementation's choices
 * where upstream's captures show nothing.
 *
 * Contract
 * - Pure: no I/O, no logging; errors come back as codes with a reason.
 * - GROUPS messages come from other daemons: gstate_check() verifies
 *   every length, count, name and daemon id against the message's real
 *   size and the configuration before anything is used, and decides only
 *   from the message, the configuration and the exchange's own state, so
 *   every daemon decides the same. Nothing is changed by a message that
 *   fails.
 * - Daemons are configuration indexes inside the daemon and ids on the
 *   wire; gstate_dir maps them. Daemon sets are arrays of
 *   ORDER_MAX_DAEMONS flags indexed by configuration index.
 * - An exchange holds references to the messages it accepted until
 *   gstate_end().
 */
#ifndef COHORT_DAEMON_GSTATE_H
#define COHORT_DAEMON_GSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "groups.h"
#include "msg.h"
#include "order.h"

#define GSTATE_NAME_LEN 20          /* daemon name, NUL included */
#define GSTATE_CHUNK 100000         /* body bytes per GROUPS message */
#define GSTATE_MIN_CHUNK 1024       /* smaller chunks are raised to this */
#define GSTATE_MAX_BODY 144000      /* largest body accepted */

struct gstate_daemon {
    uint32_t id;
    char name[GSTATE_NAME_LEN];
};

/* The configured daemons, by configuration index. */
struct gstate_dir {
    const struct gstate_daemon *d;
    int n;
};

/* The index of the daemon with this id, or -1. */
int gstate_dir_find(const struct gstate_dir *dir, uint32_t id);

/* Whether a 32-byte field is a private group name of daemon `daemon`:
 * "#user#daemon", NUL-terminated, user of 1..MAX_PRIVATE_NAME characters
 * without '#', the rest NUL. */
int gstate_private_name_ok(const char *field, const char *daemon);

/* The GROUPS messages that tell the state of `gs` as daemon `me`, the
 * representative of the daemons in `synced`, in the configuration
 * (memb_id, memb_time). Groups in name order. *out gets a new array of
 * *n_out messages (one reference each), the last one AGREED.
 * Returns 0, -ENOMEM or -EINVAL (`me` or a synced daemon not in dir). */
int gstate_encode(const struct groups *gs, const struct gstate_dir *dir,
                  int me, uint32_t memb_id, uint32_t memb_time,
                  const unsigned char *synced, size_t chunk,
                  struct msg ***out, int *n_out);

/* Drop what gstate_encode() gave. */
void gstate_free_msgs(struct msg **v, int n);

/* A checked GROUPS message. */
struct gstate_msg {
    uint32_t memb_id, memb_time;
    int first;                        /* flag byte: the synced set follows */
    int last;                         /* AGREED: the daemon's last */
    int32_t represents;               /* header bytes 28..31 */
    unsigned char set[ORDER_MAX_DAEMONS];   /* first: the synced set */
    int n_set;
    int n_groups;                     /* group records */
};

/* Check message m from daemon `origin` completely. `set`: the synced set
 * its entries must belong to when it is not a first message (a first one
 * brings its own); NULL: any configured daemon. Returns 0 with *out
 * filled, or -EINVAL with a reason in why. */
int gstate_check(const struct msg *m, int origin, const struct gstate_dir *dir,
                 const unsigned char *set, struct gstate_msg *out,
                 char *why, size_t whylen);

/* One daemon's (one synced set's) state as it arrives. */
struct gstate_src {
    unsigned char set[ORDER_MAX_DAEMONS];
    int n_set;
    int done;                         /* its last message arrived */
    struct msg **msgs;
    int n_msgs, cap_msgs;
};

/* The exchange of one configuration. */
struct gstate_xchg {
    int active;
    uint32_t memb_id, memb_time;
    unsigned char conf[ORDER_MAX_DAEMONS];      /* its daemons */
    unsigned char covered[ORDER_MAX_DAEMONS];   /* in some source's set */
    struct gstate_src *src[ORDER_MAX_DAEMONS];  /* by sending daemon */
};

enum gstate_result {
    GSTATE_BAD = -1,     /* invalid: dropped, why says why */
    GSTATE_STALE = 0,    /* not for this exchange: dropped */
    GSTATE_MORE = 1,     /* kept; states still missing */
    GSTATE_DONE = 2      /* kept; every daemon's state is in */
};

/* Start the exchange of configuration (memb_id, memb_time) whose daemons
 * are `conf` (flags). Ends a running one first. */
void gstate_begin(struct gstate_xchg *x, uint32_t memb_id, uint32_t memb_time,
                  const unsigned char *conf);

/* Forget the exchange and drop its messages. */
void gstate_end(struct gstate_xchg *x);

/* The synced set (flags, ORDER_MAX_DAEMONS of them) that daemon k came
 * to the exchange with, as its set's first message named it; NULL if no
 * accepted message names k. */
const unsigned char *gstate_set_of(const struct gstate_xchg *x, int k);

/* A GROUPS message delivered in order. Rules on top of gstate_check():
 * the membership id must be the exchange's; a daemon's first message
 * names a synced set inside the configuration, containing the sender and
 * sharing no daemon with another sender's; its later messages follow it
 * until the AGREED one, which represents exactly that set. Takes its own
 * reference of m when kept. -ENOMEM if it could not be kept. */
int gstate_accept(struct gstate_xchg *x, const struct gstate_dir *dir,
                  int origin, struct msg *m, char *why, size_t whylen);

/* Merge the states of every sender whose set does not hold daemon `me`
 * (whose state gs already is) into gs: their members join with their
 * sync ids; a group that had members already, or that its sender marks
 * changed, is marked changed; a group new to gs takes its sender's id.
 * Group ids are not bumped. Returns 0, or -ENOMEM (gs then holds part of
 * the merge). */
int gstate_merge(const struct gstate_xchg *x, struct groups *gs,
                 const struct gstate_dir *dir, int me);

#endif /* COHORT_DAEMON_GSTATE_H */
