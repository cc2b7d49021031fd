/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * daemon: the wiring of one daemon's modules (daemon.h). Kept apart from
 * main.c so that the unit tests and the simulator build daemons exactly as
 * the real one is built.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "daemon.h"
#include "ev.h"

int daemon_init(struct daemon *d, const struct daemon_cfg *cfg, char *err,
                size_t errlen)
{
    const struct conf *c = cfg->conf;
    const struct conf_daemon *me = &c->daemons[cfg->self];
    struct order_env env;
    struct order_ops ops;
    int rc;

    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    groups_init(&d->groups);
    d->groups_up = 1;
    memset(&env, 0, sizeof env);
    env.ev = cfg->ev;
    env.log = cfg->log;
    env.conf = c;
    env.self = cfg->self;
    env.max_queue = cfg->order_max_queue;
    env.net_hub = cfg->net_hub;
    env.err = err;
    env.errlen = errlen;
    ops.deliver = deliver_request;
    ops.view = deliver_view;
    err[0] = '\0';
    rc = order_new(&d->order, &env, &ops, &d->deliver);
    if (rc < 0) {
        if (err[0] == '\0')
            snprintf(err, errlen, "ordering layer: %s", strerror(-rc));
        return rc;
    }
    rc = sess_init(&d->sessions, cfg->ev, cfg->log, d->order, cfg->auth,
                   cfg->self, me->name, &cfg->sess);
    d->sessions_up = 1;         /* sess_fini() also undoes a failed init */
    if (rc < 0) {
        snprintf(err, errlen, "sessions: %s", strerror(-rc));
        return rc;
    }
    deliver_init(&d->deliver, &d->groups, &d->sessions, cfg->log, cfg->self);
    d->deliver_up = 1;
    d->daemons = calloc((size_t)c->n_daemons, sizeof *d->daemons);
    if (d->daemons == NULL) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (int i = 0; i < c->n_daemons; i++) {
        d->daemons[i].id = c->daemons[i].id;
        snprintf(d->daemons[i].name, sizeof d->daemons[i].name, "%s",
                 c->daemons[i].name);
    }
    deliver_set_daemons(&d->deliver, d->daemons, c->n_daemons);
    d->deliver.submit = deliver_order_submit;
    d->deliver.submit_ctx = d->order;
    d->deliver.limits.max_groups = c->max_groups;
    d->deliver.limits.max_member_groups = c->max_session_groups;
    d->deliver.limits.max_group_members = c->max_group_members;
    d->deliver.on_view = cfg->on_view;
    d->deliver.on_view_ctx = cfg->on_view_ctx;
    if (ev_add_phase(cfg->ev, "flush", sess_flush, &d->sessions) == 0) {
        d->phases_up = 1;
        if (ev_add_phase(cfg->ev, "reap", sess_reap, &d->sessions) == 0)
            d->phases_up = 2;
    }
    if (d->phases_up < 2) {
        snprintf(err, errlen, "the event loop has no room for the sessions' "
                 "phases");
        return -ENOSPC;
    }
    return 0;
}

int daemon_listen(struct daemon *d, char *err, size_t errlen)
{
    return sess_listen(&d->sessions, d->cfg.conf, d->cfg.self, err, errlen);
}

int daemon_listen_unix(struct daemon *d, const char *dir, char *err,
                       size_t errlen)
{
    const struct conf *c = d->cfg.conf;
    const struct conf_daemon *me = &c->daemons[d->cfg.self];

    return sess_listen_unix(&d->sessions, dir, c->unix_socket_mode,
                            c->segments[me->segment].port, err, errlen);
}

const char *daemon_unix_path(const struct daemon *d)
{
    return d->sessions.unix_bound ? d->sessions.unix_path : NULL;
}

void daemon_remove_socket(struct daemon *d)
{
    if (d->sessions_up)
        sess_remove_socket(&d->sessions);
}

void daemon_set_actlog(struct daemon *d, struct actlog *a)
{
    d->sessions.actlog = a;
}

void daemon_start(struct daemon *d, uint32_t now_s)
{
    order_start(d->order, now_s);
}

void daemon_stats(const struct daemon *d, struct daemon_stats *st)
{
    const struct sessions *ss = &d->sessions;

    memset(st, 0, sizeof *st);
    st->sessions_open = ss->n_sess;
    st->groups = d->groups.groups.n;
    st->accepted = ss->n_accepted;
    st->rejected = ss->n_rejected;
    st->refused_access = ss->n_refused_access;
    st->dropped = ss->n_dropped;
    st->throttled = ss->n_throttled;
    st->unthrottled = ss->n_unthrottled;
    st->ordered = d->order ? order_delivered(d->order) : 0;
    st->joins_refused = d->deliver.n_refused;
    st->churn = d->groups.n_destroyed + ss->n_reaped;
}

void daemon_fini(struct daemon *d)
{
    /* Sessions first: closing them may still touch order (its space
     * callback) and the group table. */
    if (d->sessions_up)
        sess_fini(&d->sessions);
    d->sessions_up = 0;
    /* Another daemon may go on using the loop: no phase of ours may run
     * again. */
    if (d->phases_up >= 2)
        ev_del_phase(d->cfg.ev, sess_reap, &d->sessions);
    if (d->phases_up >= 1)
        ev_del_phase(d->cfg.ev, sess_flush, &d->sessions);
    d->phases_up = 0;
    order_free(d->order);
    d->order = NULL;
    if (d->deliver_up)
        deliver_fini(&d->deliver);
    d->deliver_up = 0;
    free(d->daemons);
    d->daemons = NULL;
    if (d->groups_up)
        groups_fini(&d->groups);
    d->groups_up = 0;
}
