/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * daemon: one spread daemon's modules, wired together: sessions hand
 * requests to order, order hands them in its total order to deliver, which
 * changes the group table and fans out to sessions. main.c runs one of
 * these per process; tests and the simulator may run several on one loop.
 *
 * Contract
 * - What belongs to the process stays out: signals, privileges, the pid
 *   file, the log's destination, readiness reports, malloc trimming. The
 *   caller owns the loop, the log, the configuration and the access rules;
 *   they outlive the daemon.
 * - daemon_init() registers the daemon's work phases on the loop (order's
 *   "deliver", then "flush" and "reap" of the sessions), in that order,
 *   after whatever the caller registered before. It fails rather than run
 *   with a phase missing.
 * - daemon_listen() opens the client sockets; daemon_start() raises the
 *   first view. Between the two the caller may drop privileges.
 * - Seams for the simulator (tests/unit/dsim.c), which runs several
 *   daemons on one loop and one fake clock (the loop's, ev_clock()):
 *   daemon_cfg.net_hub puts the ring on an in-memory network
 *   (net_fake.h) instead of UDP, and daemon_listen_unix() binds only a
 *   unix socket, in a directory of the caller's (daemons of one segment
 *   share a port, so the configured directory would give them one path;
 *   no TCP listener is opened). A daemon_fini()ed struct may be given to
 *   daemon_init() again (a restart).
 * - daemon_fini() closes every session (clients see their connection end),
 *   frees the queued requests and the group table, and takes the
 *   daemon's phases off the loop (the loop may go on carrying others).
 *   Call it at most once, after daemon_init() succeeded or failed.
 */
#ifndef COHORT_DAEMON_DAEMON_H
#define COHORT_DAEMON_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "deliver.h"
#include "groups.h"
#include "gstate.h"
#include "order.h"
#include "sess.h"

struct actlog;
struct auth;
struct conf;
struct ev;
struct log;
struct net_fake_hub;

struct daemon_cfg {
    const struct conf *conf;       /* validated */
    int self;                      /* this daemon's index in conf */
    struct ev *ev;
    struct log *log;
    const struct auth *auth;
    struct sess_opts sess;         /* sess_opts_default() and the limits */
    size_t order_max_queue;        /* 0: order's default */
    struct net_fake_hub *net_hub;  /* NULL (UDP), or the simulator's */
    /* Called after each view is applied (main.c prints it), or NULL. */
    void (*on_view)(void *ctx, const struct order_view *v);
    void *on_view_ctx;
};

struct daemon {
    struct daemon_cfg cfg;
    /* The configuration's daemons as the group-state exchange names them
     * (id and name by configuration index). */
    struct gstate_daemon *daemons;
    struct order *order;
    struct groups groups;
    struct deliver deliver;
    struct sessions sessions;
    int groups_up, sessions_up, deliver_up, phases_up;
};

/* Counters for status lines. */
struct daemon_stats {
    uint64_t sessions_open, groups;
    uint64_t accepted, rejected, refused_access, dropped;
    uint64_t throttled, unthrottled;
    uint64_t ordered, joins_refused;
    uint64_t churn;                /* groups and sessions freed so far */
};

/* Returns 0, or -ENOMEM / -ENOSPC (loop's phase table full) with a reason
 * in err. On failure call daemon_fini(). */
int daemon_init(struct daemon *d, const struct daemon_cfg *cfg, char *err,
                size_t errlen);
/* Binds the client sockets of the configuration; 0 or -1 with err. */
int daemon_listen(struct daemon *d, char *err, size_t errlen);
/* Binds only the unix socket, as `dir`/<segment port> (the simulator);
 * 0 or -1 with err. */
int daemon_listen_unix(struct daemon *d, const char *dir, char *err,
                       size_t errlen);
/* The unix socket's path when one is bound, else NULL (for priv_drop). */
const char *daemon_unix_path(const struct daemon *d);
/* Removes the unix socket file now (fatal exits skip daemon_fini()). */
void daemon_remove_socket(struct daemon *d);
/* Sessions report connects and disconnects to an activity log (-l y)
 * from now on; NULL stops it. */
void daemon_set_actlog(struct daemon *d, struct actlog *a);
/* The first view: this daemon's configuration formed at `now_s`. */
void daemon_start(struct daemon *d, uint32_t now_s);
void daemon_stats(const struct daemon *d, struct daemon_stats *st);
void daemon_fini(struct daemon *d);

#endif /* COHORT_DAEMON_DAEMON_H */
