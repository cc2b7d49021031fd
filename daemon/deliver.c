/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * deliver: ordered application of requests and fan-out, and of daemon
 * configuration changes (transitional signals, NETWORK views, the
 * group-state exchange's steps; gstate.c does its messages and merge).
 * Cost per data message: one hash lookup per destination plus one step
 * per local member of each destination group; nothing proportional to the
 * session count. A configuration change costs a walk of the whole table.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/wire.h"
#include "deliver.h"
#include "log.h"
#include "memb.h"
#include "sess.h"

void deliver_init(struct deliver *d, struct groups *gs, struct sessions *ss,
                  struct log *log, int my_index)
{
    memset(d, 0, sizeof *d);
    d->gs = gs;
    d->ss = ss;
    d->log = log;
    d->my_index = my_index;
    d->limits.max_groups = DELIVER_MAX_GROUPS;
    d->limits.max_member_groups = DELIVER_MAX_MEMBER_GROUPS;
    d->limits.max_group_members = DELIVER_MAX_GROUP_MEMBERS;
    d->chunk = GSTATE_CHUNK;
    /* Before the first configuration: alone, with whatever table there is,
     * as if a transitional configuration of this daemon had come. */
    d->phase = DELIVER_TRANS;
    if (my_index >= 0 && my_index < ORDER_MAX_DAEMONS)
        d->synced.in[my_index] = 1;
    d->trans.transitional = 1;
    d->trans.n_members = 1;
    d->trans.members[0] = my_index;
}

void deliver_fini(struct deliver *d)
{
    size_t i;

    gstate_end(&d->xchg);
    free(d->gens);
    d->gens = NULL;
    d->n_gens = d->cap_gens = 0;
    for (i = 0; i < d->n_held; i++)
        if (d->held[i].msg != NULL)
            msg_unref(d->held[i].msg);
    free(d->held);
    d->held = NULL;
    d->n_held = d->cap_held = 0;
}

void deliver_set_daemons(struct deliver *d, const struct gstate_daemon *v,
                         int n)
{
    d->dir.d = v;
    d->dir.n = n;
}

int deliver_order_submit(void *ctx, const struct order_req *r)
{
    return order_submit(ctx, r);
}


/* The session of a request's sender, if it is one of this daemon's. */
static struct sess *local_sess(struct deliver *d, const struct order_req *r)
{
    if (r->origin != d->my_index)
        return NULL;
    /* A request that went round the ring comes back without the hint:
     * the message carries names, not this daemon's table hashes. */
    if (r->sender_hash == 0)
        return sess_find(d->ss, r->sender);
    return sess_find_hashed(d->ss, r->sender, r->sender_hash);
}

/* Daemons that cannot be trusted to send well-formed messages are still
 * peers: refuse the message, say so, at most once a second. */
static void refuse(struct deliver *d, int origin, const char *what,
                   const char *why)
{
    unsigned long held;

    d->n_bad++;
    if (log_limit_pass(&d->bad_limit, ev_now(d->ss->ev), 1000, &held))
        log_msg(d->log, LOG_C_GROUPS | LOG_C_PRINT, LOG_WARNING,
                "groups: %s from daemon %d refused: %s (%lu more refusals "
                "not logged)", what, origin, why, held);
}

/* Queue m for s, and note in *flow how congested its receivers are, so
 * that its originator can be held back or not (sess_fanout_done). */
static void give(struct deliver *d, struct sess *s, struct msg *m,
                 struct sess_flow *flow)
{
    sess_deliver(d->ss, s, m);
    sess_flow_note(d->ss, s, flow);
}

static void to_group_members(struct deliver *d, const struct group *g,
                             struct msg *m, uint64_t stamp,
                             struct sess_flow *flow)
{
    int i;
    for (i = 0; i < g->n_members; i++) {
        struct sess *s = g->members[i]->owner->local;
        if (s != NULL && sess_stamp(s, stamp))
            give(d, s, m, flow);
    }
}

/* The top bit of a membership time, which no configuration's time has
 * before 2038: marks keys and group ids this daemon makes up for a side
 * of a configuration (rekey_*), so that they never equal one a
 * configuration gave. */
#define DELIVER_OWN_KEY 0x80000000u

static int dset_has(const struct deliver_dset *s, int daemon)
{
    return daemon >= 0 && daemon < ORDER_MAX_DAEMONS && s->in[daemon];
}

/* ---- view generations (deliver.h, gens) ---- */

static const struct deliver_dset *gen_of(const struct deliver *d,
                                         const struct group *g)
{
    return g->vgen < d->n_gens ? &d->gens[g->vgen] : &d->synced;
}

static unsigned gen_now(const struct deliver *d)
{
    return d->n_gens > 0 ? (unsigned)(d->n_gens - 1) : 0;
}

static int gens_add(struct deliver *d, const struct deliver_dset *s)
{
    if (d->n_gens == d->cap_gens) {
        size_t cap = d->cap_gens ? d->cap_gens * 2 : 4;
        struct deliver_dset *v = realloc(d->gens, cap * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        d->gens = v;
        d->cap_gens = cap;
    }
    d->gens[d->n_gens++] = *s;
    return 0;
}

/* The synced set becomes `next`: views shown from now on are common with
 * it, the ones shown before keep their generation. Short of memory, the
 * current generation is widened instead (logged). */
static void gens_next(struct deliver *d, const struct deliver_dset *next)
{
    if ((d->n_gens == 0 && gens_add(d, &d->synced) < 0) ||
        gens_add(d, next) < 0) {
        d->n_nomem++;
        log_msg(d->log, LOG_C_GROUPS | LOG_C_PRINT, LOG_ERROR,
                "groups: out of memory for a view generation: messages "
                "of daemons merged in may reach views they do not share");
        if (d->n_gens > 0)
            d->gens[d->n_gens - 1] = *next;
    }
    d->synced = *next;
}

static void vgen_zero(struct hmap_node *n, void *ctx)
{
    (void)ctx;
    hmap_entry(n, struct group, hnode)->vgen = 0;
}

/* A settled configuration: every view is common with the synced set. */
static void gens_reset(struct deliver *d)
{
    d->n_gens = 0;
    hmap_each(&d->gs->groups, vgen_zero, NULL);
}

/* A view of g is shown now: it belongs to the current generation. One
 * from the common table lifts the split; one from a given-up
 * exchange's own table sets it, also on a group it creates. */
static void view_shown(struct deliver *d, struct group *g)
{
    g->vgen = gen_now(d);
    if (d->own_table)
        g->flags |= GROUP_SPLIT;
    else
        g->flags &= ~GROUP_SPLIT;
}

/* Whether a message of a client of `origin` to g was sent in a view of
 * g that g's local members do not have. From an exchange's start until
 * its merged views are shown (or the next regular configuration), a
 * view is common only with the daemons of its generation (gens): a
 * client elsewhere sends in its own side's views, and delivering its
 * message here puts it in another view than at its sender (§15
 * properties 6, 9, 14). Its side delivers it. A view shown after an
 * exchange completed in a transitional part comes from the merged
 * table, the same on every side of it; one shown while a given-up
 * exchange's requests are applied, from this synced set's table only. */
static int other_views(struct deliver *d, const struct group *g, int origin)
{
    if (!d->split || !(g->flags & GROUP_SPLIT) ||
        dset_has(gen_of(d, g), origin))
        return 0;
    d->n_split_dropped++;
    return 1;
}

static void deliver_data(struct deliver *d, const struct order_req *r)
{
    struct msg *m = r->msg;
    const unsigned char *f = m->data;
    struct spw_header h;
    uint32_t type;
    int32_t ng, i;
    struct sess *sender = local_sess(d, r);
    uint64_t stamp = ++d->serial;
    struct sess_flow flow;

    /* Checked by check_data(): the counts fit the message. A message of
     * another daemon may be in that daemon's byte order. */
    spw_header_decode(f, &h);
    type = h.type;
    ng = h.num_groups;
    d->n_data++;
    sess_flow_begin(&flow, sender);
    if ((type & SELF_DISCARD) && sender != NULL)
        sess_stamp(sender, stamp);
    for (i = 0; i < ng; i++) {
        const char *dst = (const char *)f + SPW_HEADER_LEN +
                          (size_t)MAX_GROUP_NAME * (size_t)i;
        if (dst[0] == '#') {
            /* A private group: the whole field is the session's key; names
             * of other daemons or malformed ones simply do not match. */
            struct sess *s = sess_find(d->ss, dst);
            if (s != NULL && sess_stamp(s, stamp))
                give(d, s, m, &flow);
        } else {
            char key[MAX_GROUP_NAME];
            struct group *g;
            groups_name_key(key, dst);
            g = groups_find(d->gs, key);
            if (g != NULL && !other_views(d, g, r->origin))
                to_group_members(d, g, m, stamp, &flow);
        }
    }
    sess_fanout_done(d->ss, sender, &flow);
}

/* Member names of g in wire order; `buf` holds up to `max`. Returns a
 * pointer to use (buf or a heap array the caller frees when != buf). */
static const char **member_names(const struct group *g, const char **buf,
                                 int max)
{
    const char **names = buf;
    int i;

    if (g->n_members > max) {
        names = malloc((size_t)g->n_members * sizeof *names);
        if (names == NULL)
            return NULL;
    }
    for (i = 0; i < g->n_members; i++)
        names[i] = g->members[i]->owner->name;
    return names;
}

/* Tell every local member with the membership flag about a change that
 * `origin` (the joining or leaving session, NULL for a disconnect) made;
 * an origin that floods congested members is held back like a sender of
 * data. */
static void notify(struct deliver *d, struct group *g, uint32_t cause,
                   const char *changed, struct sess *origin)
{
    const char *buf[64] = {NULL};
    const char **names;
    struct memb_gid gid;
    struct msg *m;
    uint64_t stamp;
    int i;
    struct sess_flow flow;

    if (g->n_members == 0)
        return;
    names = member_names(g, buf, 64);
    if (names == NULL) {
        d->n_nomem++;
        return;
    }
    gid.memb_id = g->gid.memb_id;
    gid.memb_time = g->gid.memb_time;
    gid.index = g->gid.index;
    view_shown(d, g);
    m = memb_change(g->name, cause, &gid, names, g->n_members, changed);
    if (names != buf)
        free((void *)names);
    if (m == NULL) {
        d->n_nomem++;
        return;
    }
    d->n_memb++;
    stamp = ++d->serial;
    sess_flow_begin(&flow, origin);
    for (i = 0; i < g->n_members; i++) {
        struct sess *s = g->members[i]->owner->local;
        if (s != NULL && sess_wants_membership(s) && sess_stamp(s, stamp))
            give(d, s, m, &flow);
    }
    msg_unref(m);
    sess_fanout_done(d->ss, origin, &flow);
}

/* ---- network views ---- */

static void dset_of_view(struct deliver_dset *s, const struct order_view *v)
{
    int i;

    memset(s, 0, sizeof *s);
    for (i = 0; i < v->n_members && i < ORDER_MAX_DAEMONS; i++)
        if (v->members[i] >= 0 && v->members[i] < ORDER_MAX_DAEMONS)
            s->in[v->members[i]] = 1;
}

static int dset_keep(void *ctx, int daemon)
{
    return dset_has(ctx, daemon);
}

/* Give m to every local member of g that wants membership notices. */
static void to_watchers(struct deliver *d, const struct group *g,
                        struct msg *m)
{
    int i;

    for (i = 0; i < g->n_members; i++) {
        struct sess *s = g->members[i]->owner->local;
        if (s != NULL && sess_wants_membership(s))
            sess_deliver(d->ss, s, m);
    }
}

/* TRANSITION_MESS with g's current id, once per change (ring.md rule 71;
 * two never follow each other, §15 property 11). */
static void signal_transition(struct deliver *d, struct group *g)
{
    struct memb_gid gid;
    struct msg *m;

    if (g->flags & GROUP_SIGNALLED)
        return;
    g->flags |= GROUP_SIGNALLED;
    gid.memb_id = g->gid.memb_id;
    gid.memb_time = g->gid.memb_time;
    gid.index = g->gid.index;
    m = memb_transition(g->name, &gid);
    if (m == NULL) {
        d->n_nomem++;
        return;
    }
    to_watchers(d, g, m);
    msg_unref(m);
}

/* TRANSITION_MESS to every changed group not told yet, in name order. */
static void signal_changed(struct deliver *d)
{
    struct group **v, *g;
    size_t n, i;

    v = groups_changed_sorted(d->gs, &n);
    if (v != NULL) {
        for (i = 0; i < n; i++)
            signal_transition(d, v[i]);
        free(v);
        return;
    }
    for (g = d->gs->changed; g != NULL; g = g->chg_next)
        signal_transition(d, g);  /* short of memory: unsorted */
}

/* The REG_MEMB_MESS | CAUSED_BY_NETWORK view of g to its local members:
 * one message per virtual-synchrony set that holds local members, since
 * only the own-set offset differs (client-protocol.md §9.3). */
static void notify_network(struct deliver *d, struct group *g,
                           enum groups_vs_class (*cls)(
                               void *, const struct gmember *),
                           void *cls_ctx)
{
    size_t n = (size_t)g->n_members;
    struct gmember **order = NULL;
    const char **names = NULL, **list = NULL;
    struct memb_set *sets = NULL;
    struct msg **msgs = NULL;
    int *len = NULL, n_sets, i, k, pos;
    struct memb_gid gid;

    if (n == 0)
        return;
    view_shown(d, g);
    order = malloc(n * sizeof *order);
    names = malloc(n * sizeof *names);
    list = malloc(n * sizeof *list);
    sets = malloc(n * sizeof *sets);
    msgs = calloc(n, sizeof *msgs);
    len = malloc(n * sizeof *len);
    if (order == NULL || names == NULL || list == NULL || sets == NULL ||
        msgs == NULL || len == NULL ||
        (n_sets = groups_vs_sets(g, cls, cls_ctx, order, len)) < 0) {
        d->n_nomem++;
        goto out;
    }
    for (i = 0; i < g->n_members; i++) {
        list[i] = g->members[i]->owner->name;
        names[i] = order[i]->owner->name;
    }
    for (k = 0, pos = 0; k < n_sets; pos += len[k], k++) {
        sets[k].n = len[k];
        sets[k].names = &names[pos];
    }
    gid.memb_id = g->gid.memb_id;
    gid.memb_time = g->gid.memb_time;
    gid.index = g->gid.index;
    for (k = 0, pos = 0; k < n_sets; pos += len[k], k++) {
        for (i = pos; i < pos + len[k]; i++) {
            struct sess *s = order[i]->owner->local;
            if (s == NULL || !sess_wants_membership(s))
                continue;
            if (msgs[k] == NULL) {
                msgs[k] = memb_regular(g->name, CAUSED_BY_NETWORK, &gid,
                                       list, g->n_members, sets, n_sets, k);
                if (msgs[k] == NULL) {
                    d->n_nomem++;
                    break;
                }
                d->n_network++;
            }
            sess_deliver(d->ss, s, msgs[k]);
        }
    }
    for (k = 0; k < n_sets; k++)
        if (msgs[k] != NULL)
            msg_unref(msgs[k]);
out:
    free(order);
    free(names);
    free(list);
    free(sets);
    free(msgs);
    free(len);
}

/* Whether `m` joined while its group's change is unsettled: its sync key
 * is the transitional configuration's id. */
static enum groups_vs_class unsettled_class(void *ctx,
                                            const struct gmember *m)
{
    const struct deliver *d = ctx;

    if (m->key.memb_id == d->trans.memb_id &&
        m->key.memb_time == d->trans.memb_time)
        return GROUPS_VS_LAST;
    if (!dset_keep((void *)&d->synced, m->owner->daemon))
        return GROUPS_VS_ALONE;
    return GROUPS_VS_KEY;
}

/* Show the members of g a change (join, leave, disconnect of `changed`)
 * that `origin` made. During the transitional part of a change that
 * affects g, that is an unsettled NETWORK view under the transitional
 * configuration's id, then a TRANSITION_MESS again (ring.md rule 74). */
static void show_change(struct deliver *d, struct group *g, uint32_t cause,
                        const char *changed, struct sess *origin)
{
    if (d->phase != DELIVER_TRANS || !(g->flags & GROUP_CHANGED)) {
        notify(d, g, cause, changed, origin);
        return;
    }
    groups_retag(g, d->trans.memb_id, d->trans.memb_time);
    notify_network(d, g, unsettled_class, d);
    g->flags &= ~GROUP_SIGNALLED;
    signal_transition(d, g);
}

/* The limit a join of r->sender to g (NULL: a new group) would pass, as
 * a text naming the key and its value, or NULL if it passes none. */
static const char *join_limit(const struct deliver *d, const struct group *g,
                              const char *member, char *buf, size_t len)
{
    const struct gowner *o = groups_owner(d->gs, member);

    if (g == NULL && groups_count(d->gs) >= d->limits.max_groups)
        snprintf(buf, len, "MaxGroups = %u reached", d->limits.max_groups);
    else if (g != NULL && (unsigned)g->n_members >= d->limits.max_group_members)
        snprintf(buf, len, "MaxGroupMembers = %u reached",
                 d->limits.max_group_members);
    else if (o != NULL && (unsigned)o->n >= d->limits.max_member_groups)
        snprintf(buf, len, "MaxSessionGroups = %u reached",
                 d->limits.max_member_groups);
    else
        return NULL;
    return buf;
}

/* A join that changes nothing: tell its sender, log (rate-limited). */
static void refuse_join(struct deliver *d, const struct order_req *r,
                        struct sess *s, const char *why)
{
    unsigned long held;

    d->n_refused++;
    if (s != NULL) {
        struct msg *n = memb_reject_join(r->sender, r->group);
        if (n != NULL) {
            sess_deliver(d->ss, s, n);
            msg_unref(n);
        } else {
            d->n_nomem++;
        }
    }
    if (log_limit_pass(&d->refuse_limit, ev_now(d->ss->ev), 1000, &held))
        log_msg(d->log, LOG_C_GROUPS | LOG_C_PRINT, LOG_WARNING,
                "groups: join of %.32s to %.32s refused: %s (%lu more "
                "refusals not logged)", r->sender, r->group, why, held);
}

static void deliver_join(struct deliver *d, const struct order_req *r)
{
    struct sess *s = local_sess(d, r);
    struct group *g = groups_find(d->gs, r->group);
    const char *why;
    const struct gowner *o = groups_owner(d->gs, r->sender);
    char buf[64];
    int rc;

    if (r->origin == d->my_index && s == NULL)
        return; /* cannot happen: names stay reserved until the kill */
    if (o != NULL && o->daemon != r->origin) {
        refuse(d, r->origin, "join", "sender is a client of another daemon");
        return;
    }
    if (g != NULL && groups_member(g, r->sender, r->origin) != NULL)
        return; /* already a member: nothing at all (vector 21) */
    why = join_limit(d, g, r->sender, buf, sizeof buf);
    if (why != NULL) {
        refuse_join(d, r, s, why);
        return;
    }
    rc = groups_join(d->gs, r->group, r->sender, r->origin, s, &g);
    if (rc < 0) {
        d->n_nomem++;
        refuse_join(d, r, s, "out of memory");
        return;
    }
    if (rc == 0)
        return; /* already a member (checked above) */
    log_msg(d->log, LOG_C_GROUPS, LOG_DEBUG, "groups: %.32s joined %.32s",
            r->sender, g->name);
    if (d->phase == DELIVER_TRANS && (g->flags & GROUP_CHANGED)) {
        /* Not synchronised with anyone yet: a set of its own. */
        struct gmember *m = groups_member(g, r->sender, r->origin);
        m->key.memb_id = d->trans.memb_id;
        m->key.memb_time = d->trans.memb_time;
    }
    show_change(d, g, CAUSED_BY_JOIN, r->sender, s);
}

static void deliver_leave(struct deliver *d, const struct order_req *r)
{
    struct group *g = groups_find(d->gs, r->group);
    struct gmember *m;
    struct sess *s;
    char who[MAX_GROUP_NAME];

    if (g == NULL || (m = groups_member(g, r->sender, r->origin)) == NULL)
        return; /* not a member: nothing (vector 21) */
    s = m->owner->local;
    memcpy(who, m->owner->name, MAX_GROUP_NAME);
    groups_remove(d->gs, m);
    if (s != NULL && sess_wants_membership(s)) {
        struct msg *n = memb_self_leave(g->name);
        if (n != NULL) {
            sess_deliver(d->ss, s, n);
            msg_unref(n);
        }
    }
    log_msg(d->log, LOG_C_GROUPS, LOG_DEBUG, "groups: %.32s left %.32s",
            who, g->name);
    show_change(d, g, CAUSED_BY_LEAVE, who, s);
    groups_reap(d->gs, g);
}

static void deliver_kill(struct deliver *d, const struct order_req *r)
{
    struct gowner *o = groups_owner(d->gs, r->sender);
    struct sess *s = local_sess(d, r);
    char who[MAX_GROUP_NAME];

    memcpy(who, r->sender, MAX_GROUP_NAME);
    if (o != NULL && o->daemon != r->origin) {
        refuse(d, r->origin, "disconnect", "sender is a client of another "
               "daemon");
        o = NULL;
    }
    while (o != NULL && o->n > 0) {
        struct group *gbuf[32], **gl = gbuf;
        int n = groups_of(o, gbuf, 32), i;
        if (n > 32) {
            gl = malloc((size_t)n * sizeof *gl);
            if (gl == NULL) {
                gl = gbuf;
                n = 32;  /* handle a batch now, the rest next round */
            } else {
                groups_of(o, gl, n);
            }
        }
        for (i = 0; i < n; i++) {
            struct group *g = gl[i];
            struct gmember *m = groups_member(g, who, r->origin);
            int last = (o->n == 1);
            if (m == NULL)
                continue;
            groups_remove(d->gs, m);  /* may free o when last */
            show_change(d, g, CAUSED_BY_DISCONNECT, who, NULL);
            groups_reap(d->gs, g);
            if (last) {
                o = NULL;
                break;
            }
        }
        if (gl != gbuf)
            free(gl);
    }
    if (s != NULL)
        sess_kill_delivered(d->ss, s);
}

/* The configuration `conf` is settled: every changed group gets its
 * NETWORK view under a new id (ring.md rule 72), in name order; then all
 * memberships count as synchronised in it, and the tombstones of the
 * change are forgotten, so that every daemon of the configuration goes
 * on from the same table. */
static void settle(struct deliver *d)
{
    struct groups_key key;
    struct group **v, *g;
    size_t n, i;

    key.memb_id = d->conf.memb_id;
    key.memb_time = d->conf.memb_time;
    groups_forget_tombs(d->gs);
    v = groups_changed_sorted(d->gs, &n);
    for (i = 0; i < n; i++) {
        g = v != NULL ? v[i] : d->gs->changed;  /* short of memory */
        groups_restamp(d->gs, g, key.memb_id, key.memb_time);
        notify_network(d, g, NULL, NULL);
        groups_settled(d->gs, g);
    }
    free(v);
    groups_stamp_keys(d->gs, &key);
    gens_reset(d);
}

static int view_valid(const struct deliver *d, const struct order_view *v)
{
    int i, mine = 0;

    if (v->n_members < 1 || v->n_members > ORDER_MAX_DAEMONS)
        return 0;
    for (i = 0; i < v->n_members; i++) {
        if (v->members[i] < 0 || v->members[i] >= ORDER_MAX_DAEMONS)
            return 0;
        if (i > 0 && v->members[i] <= v->members[i - 1])
            return 0;  /* configuration order, no repeats */
        mine |= v->members[i] == d->my_index;
    }
    return mine;
}

static const char *phase_name(enum deliver_phase p)
{
    switch (p) {
    case DELIVER_SETTLED:
        return "settled";
    case DELIVER_TRANS:
        return "transitional";
    case DELIVER_EXCHANGE:
        return "exchange";
    }
    return "?";
}

/* The only writer of d->phase. */
static void deliver_set_phase(struct deliver *d, enum deliver_phase p,
                              const char *why)
{
    log_msg(d->log, LOG_C_GROUPS, LOG_INFO, "groups: %s -> %s (%s)",
            phase_name(d->phase), phase_name(p), why);
    d->phase = p;
}

/* A transitional configuration: the daemons of the regular one that move
 * on together. Groups with members elsewhere will change: their local
 * members are told now, before the transitional part of the order. */
static void transitional_view(struct deliver *d, const struct order_view *v)
{
    struct deliver_dset keep;
    size_t k;
    int i;

    dset_of_view(&keep, v);
    groups_mark_daemons(d->gs, dset_keep, &keep);
    signal_changed(d);
    for (i = 0; i < ORDER_MAX_DAEMONS; i++) {
        d->synced.in[i] &= keep.in[i];
        for (k = 0; k < d->n_gens; k++)
            d->gens[k].in[i] &= keep.in[i];
    }
    d->trans = *v;
    deliver_set_phase(d, DELIVER_TRANS, "transitional configuration");
}

static int dset_equal_view(const struct deliver_dset *s,
                           const struct order_view *v)
{
    struct deliver_dset w;

    dset_of_view(&w, v);
    return memcmp(s->in, w.in, sizeof w.in) == 0;
}

/* ---- the group-state exchange ---- */

/* Keep a request until the exchange ends; -ENOMEM if it cannot be kept
 * (it is then applied at once: better than losing it). */
static int hold(struct deliver *d, const struct order_req *r)
{
    if (d->n_held == d->cap_held) {
        size_t cap = d->cap_held ? d->cap_held * 2 : 16;
        struct order_req *v = realloc(d->held, cap * sizeof *v);
        if (v == NULL) {
            d->n_nomem++;
            log_msg(d->log, LOG_C_GROUPS | LOG_C_PRINT, LOG_ERROR,
                    "groups: out of memory holding a request during the "
                    "group-state exchange: applied at once");
            return -ENOMEM;
        }
        d->held = v;
        d->cap_held = cap;
    }
    d->held[d->n_held] = *r;
    if (r->msg != NULL)
        msg_ref(r->msg);
    d->n_held++;
    d->n_held_total++;
    return 0;
}

static void mark_split(struct hmap_node *n, void *ctx)
{
    struct group *g = hmap_entry(n, struct group, hnode);

    if (ctx != NULL)
        g->flags |= GROUP_SPLIT;
    else
        g->flags &= ~GROUP_SPLIT;
}

/* Whether the views shown are this daemon's synced set's only (see
 * other_views): from an exchange's start, for every group there is. */
static void set_split(struct deliver *d, int on)
{
    if (!on && !d->split)
        return;
    d->split = on;
    hmap_each(&d->gs->groups, mark_split, on ? d : NULL);
}

/* Apply the held requests in their order (the exchange has ended). */
static void replay(struct deliver *d)
{
    struct order_req *v = d->held;
    size_t n = d->n_held, i;

    d->held = NULL;
    d->n_held = d->cap_held = 0;
    for (i = 0; i < n; i++) {
        deliver_request(d, &v[i]);
        if (v[i].msg != NULL)
            msg_unref(v[i].msg);
    }
    free(v);
}

static int dset_first(const struct deliver_dset *s)
{
    int i;

    for (i = 0; i < ORDER_MAX_DAEMONS; i++)
        if (s->in[i])
            return i;
    return -1;
}

/* ---- keys after an exchange whose merged views were not shown ----
 *
 * The exchange of configuration d->conf was given up, or completed in
 * its transitional part. Each synced set that came to it went through
 * that configuration (and the transitional one that cut it down)
 * without the daemons it was synchronised with before, and its clients
 * stayed in the views of their own side: they may have delivered
 * messages (held ones, or in the transitional part of their old views)
 * that the others never had, and must not share a virtual-synchrony set
 * with theirs in the next NETWORK view (§15 properties 6, 8, 10, 12).
 *
 * So the memberships of every such set (a "part") take new keys: the
 * configuration's time with the id of the part's first daemon that
 * holds a membership of the old key. The time carries DELIVER_OWN_KEY
 * (the top bit, which no configuration's time has before 2038): that
 * daemon may have formed a configuration in the same second, whose key
 * this must not be. Two memberships keep sharing a key
 * exactly when they shared it before and are in one part: within a
 * part, a merged table can still hold keys of sides whose views were
 * never merged (an exchange that completed in a transitional part
 * merges the tables, not the views). Every daemon that went through the
 * configuration together computes the same keys from the same table. */
struct rekey_ent {
    int part;                  /* the part's first daemon */
    struct groups_key old;
    int first;                 /* its first daemon holding `old` */
};

struct rekey {
    const struct deliver *d;
    int part[ORDER_MAX_DAEMONS];    /* -1: keeps its keys */
    struct rekey_ent *e;
    size_t n, cap;
    int nomem;
};

static struct rekey_ent *rekey_find(struct rekey *r, int part,
                                    const struct groups_key *old)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        if (r->e[i].part == part && r->e[i].old.memb_id == old->memb_id &&
            r->e[i].old.memb_time == old->memb_time)
            return &r->e[i];
    return NULL;
}

static int in_part(const struct rekey *r, int daemon)
{
    return daemon >= 0 && daemon < ORDER_MAX_DAEMONS && r->part[daemon] >= 0;
}

/* First pass: the first holder of every (part, old key); changes none. */
static int rekey_collect(void *ctx, int daemon, struct groups_key *key)
{
    struct rekey *r = ctx;
    struct rekey_ent *e;

    if (!in_part(r, daemon) || r->nomem)
        return 0;
    e = rekey_find(r, r->part[daemon], key);
    if (e != NULL) {
        if (daemon < e->first)
            e->first = daemon;
        return 0;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        struct rekey_ent *v = realloc(r->e, cap * sizeof *v);
        if (v == NULL) {
            r->nomem = 1;
            return 0;
        }
        r->e = v;
        r->cap = cap;
    }
    e = &r->e[r->n++];
    e->part = r->part[daemon];
    e->old = *key;
    e->first = daemon;
    return 0;
}

/* Second pass: the new keys. Short of memory, a part's key only. */
static int rekey_apply(void *ctx, int daemon, struct groups_key *key)
{
    struct rekey *r = ctx;
    const struct rekey_ent *e;
    int first;

    if (!in_part(r, daemon))
        return 0;
    e = r->nomem ? NULL : rekey_find(r, r->part[daemon], key);
    first = e != NULL ? e->first : r->part[daemon];
    key->memb_id = r->d->dir.d[first].id;
    key->memb_time = r->d->conf.memb_time | DELIVER_OWN_KEY;
    return 1;
}

static void rekey_run(struct deliver *d, struct rekey *r)
{
    r->d = d;
    groups_stamp_keys_of(d->gs, rekey_collect, r);
    if (r->nomem)
        d->n_nomem++;
    groups_stamp_keys_of(d->gs, rekey_apply, r);
    free(r->e);
}

static void rekey_init(struct rekey *r)
{
    int i;

    memset(r, 0, sizeof *r);
    for (i = 0; i < ORDER_MAX_DAEMONS; i++)
        r->part[i] = -1;
}

/* Given up: the table holds this daemon's synced set's state only (and
 * members of daemons that left, about to be removed): one part. */
static void rekey_given_up(struct deliver *d)
{
    struct rekey r;
    int first = dset_first(&d->synced), k;

    if (first < 0 || first >= d->dir.n)
        return;
    rekey_init(&r);
    for (k = 0; k < d->dir.n && k < ORDER_MAX_DAEMONS; k++)
        if (d->synced.in[k])
            r.part[k] = first;
    rekey_run(d, &r);
}

/* Completed in the transitional part: the table is merged; a part is
 * the daemons of the transitional configuration that came to the
 * exchange in one synced set (as its GROUPS messages named it). */
static void rekey_completed_in_trans(struct deliver *d)
{
    struct rekey r;
    struct deliver_dset trans;
    int k, i;

    rekey_init(&r);
    dset_of_view(&trans, &d->trans);
    for (k = 0; k < d->dir.n && k < ORDER_MAX_DAEMONS; k++) {
        const unsigned char *set = gstate_set_of(&d->xchg, k);
        if (!trans.in[k] || set == NULL)
            continue;
        for (i = 0; i < k && !(set[i] && trans.in[i]); i++)
            ;
        r.part[k] = i;      /* k itself at the latest */
    }
    rekey_run(d, &r);
}

/* The exchange of the previous configuration (d->conf) is given up:
 * new keys first, then what it held (a join among that is a set of its
 * own, deliver_join). */
static void give_up(struct deliver *d)
{
    log_msg(d->log, LOG_C_GROUPS, LOG_INFO, "groups: exchange of the "
            "previous configuration given up");
    gstate_end(&d->xchg);
    rekey_given_up(d);
    d->own_table = 1;
    replay(d);
    d->own_table = 0;
}

/* As the first daemon of its synced set, send the table (rule 76). */
static void send_state(struct deliver *d)
{
    struct msg **v;
    int n, i, rc;

    if (d->submit == NULL || d->my_index >= d->dir.n) {
        log_msg(d->log, LOG_C_GROUPS | LOG_C_PRINT, LOG_ERROR,
                "groups: no way to send the group state to the other "
                "daemons (no daemon list or ordering layer): the exchange "
                "cannot complete");
        return;
    }
    rc = gstate_encode(d->gs, &d->dir, d->my_index, d->conf.memb_id,
                       d->conf.memb_time, d->synced.in, d->chunk, &v, &n);
    if (rc < 0) {
        log_msg(d->log, LOG_C_GROUPS | LOG_C_PRINT, LOG_ERROR,
                "groups: cannot encode the group state (%s): the exchange "
                "cannot complete", rc == -ENOMEM ? "out of memory" : "bad "
                "daemon list");
        return;
    }
    for (i = 0; i < n; i++) {
        struct order_req r;
        memset(&r, 0, sizeof r);
        r.kind = ORDER_STATE;
        r.cls = i == n - 1 ? ORDER_AGREED : ORDER_RELIABLE;
        r.origin = d->my_index;
        groups_name_key(r.sender, d->dir.d[d->my_index].name);
        r.msg = v[i];           /* the reference moves */
        if (d->submit(d->submit_ctx, &r) < 0)
            log_msg(d->log, LOG_C_GROUPS | LOG_C_PRINT, LOG_ERROR,
                    "groups: group-state message %d of %d not sent", i + 1,
                    n);
    }
    free(v);
    log_msg(d->log, LOG_C_GROUPS, LOG_INFO, "groups: state of %zu groups "
            "sent in %d message(s)", groups_count(d->gs), n);
}

/* Every daemon's state is in: merge and show the views (rules 73, 77),
 * or, when the configuration changed meanwhile, only signal the groups
 * that will be reported (rule 78). */
static void exchange_done(struct deliver *d)
{
    struct deliver_dset next;

    if (gstate_merge(&d->xchg, d->gs, &d->dir, d->my_index) < 0) {
        d->n_nomem++;
        log_msg(d->log, LOG_C_GROUPS | LOG_C_PRINT, LOG_ERROR,
                "groups: out of memory merging the group states: this "
                "daemon's groups may differ from the others'");
    }
    if (d->phase == DELIVER_EXCHANGE) {
        gstate_end(&d->xchg);
        dset_of_view(&d->synced, &d->conf);
        settle(d);
        deliver_set_phase(d, DELIVER_SETTLED, "group states merged");
        set_split(d, 0);
        replay(d);
        return;
    }
    /* The tables are merged, the views not: a view shown from now on is
     * common with the whole transitional configuration, one shown
     * before is not. */
    dset_of_view(&next, &d->trans);
    gens_next(d, &next);
    groups_mark_daemons(d->gs, dset_keep, &d->synced);
    signal_changed(d);
    log_msg(d->log, LOG_C_GROUPS, LOG_INFO, "groups: exchange of the "
            "previous configuration completed in its transitional part");
    /* Before the replay: a join it applies in this transitional part is
     * a set of its own (deliver_join), which a later stamp would undo. */
    rekey_completed_in_trans(d);
    gstate_end(&d->xchg);
    replay(d);
}

static void deliver_state(struct deliver *d, const struct order_req *r)
{
    char why[160];
    int rc;

    why[0] = '\0';
    rc = gstate_accept(&d->xchg, &d->dir, r->origin, r->msg, why, sizeof why);
    switch (rc) {
    case GSTATE_BAD:
        refuse(d, r->origin, "GROUPS message", why);
        break;
    case GSTATE_STALE:
        log_msg(d->log, LOG_C_GROUPS, LOG_DEBUG, "groups: GROUPS message "
                "from daemon %d of another exchange ignored", r->origin);
        break;
    case GSTATE_MORE:
        break;
    case GSTATE_DONE:
        exchange_done(d);
        break;
    default:
        d->n_nomem++;
        log_msg(d->log, LOG_C_GROUPS | LOG_C_PRINT, LOG_ERROR,
                "groups: out of memory keeping a GROUPS message: the "
                "exchange cannot complete");
        break;
    }
}

static void regular_view(struct deliver *d, const struct order_view *v)
{
    struct deliver_dset keep;
    struct order_view t;
    int i;

    if (d->phase != DELIVER_TRANS) {
        /* No transitional configuration came first: it is the daemons of
         * the old configuration that are in the new one. */
        memset(&t, 0, sizeof t);
        t.transitional = 1;
        t.memb_id = v->memb_id;
        t.memb_time = v->memb_time;
        for (i = 0; i < v->n_members; i++)
            if (d->synced.in[v->members[i]])
                t.members[t.n_members++] = v->members[i];
        transitional_view(d, &t);
    }
    if (d->xchg.active)
        give_up(d);
    set_split(d, 0);
    groups_set_view(d->gs, v->memb_id, v->memb_time);
    /* Only the state of the daemons this one is synchronised with goes
     * on; members elsewhere are gone, or come back by the exchange. */
    groups_remove_daemons(d->gs, dset_keep, &d->synced);
    d->conf = *v;
    if (dset_equal_view(&d->synced, v)) {
        settle(d);
        deliver_set_phase(d, DELIVER_SETTLED, "regular configuration");
        return;
    }
    dset_of_view(&keep, v);
    set_split(d, 1);
    gstate_begin(&d->xchg, v->memb_id, v->memb_time, keep.in);
    deliver_set_phase(d, DELIVER_EXCHANGE, "daemons joined");
    if (dset_first(&d->synced) == d->my_index)
        send_state(d);
}

void deliver_view(void *ctx, const struct order_view *v)
{
    struct deliver *d = ctx;

    if (!view_valid(d, v)) {
        log_msg(d->log, LOG_C_MEMBERSHIP | LOG_C_PRINT, LOG_ERROR,
                "groups: %s view of %d daemons without this one or out of "
                "order ignored", v->transitional ? "transitional" : "regular",
                v->n_members);
        return;
    }
    if (v->transitional) {
        transitional_view(d, v);
        return;
    }
    regular_view(d, v);
    if (d->on_view != NULL)
        d->on_view(d->on_view_ctx, v);
}

/* ---- checks of what order hands over ---- */

/* Whether `daemon` is in the current configuration (before the first:
 * only this one). */
static int in_conf(const struct deliver *d, int daemon)
{
    int i;

    if (d->conf.n_members == 0)
        return daemon == d->my_index;
    for (i = 0; i < d->conf.n_members; i++)
        if (d->conf.members[i] == daemon)
            return 1;
    return 0;
}

/* A data message: the group count and data length must add up to the
 * message's real size before any of it is read; one of another daemon
 * must name one of that daemon's clients as its sender. Destination
 * names are read at most 31 bytes long, as at the origin. */
static const char *check_data(const struct deliver *d, const struct msg *m,
                              int origin)
{
    struct spw_header h;
    size_t want;

    if (m == NULL || m->len < SPW_HEADER_LEN)
        return "data message shorter than a header";
    spw_header_decode(m->data, &h);
    if (h.num_groups < 0 || h.num_groups > SPW_MAX_GROUPS_PER_MESSAGE)
        return "group count out of range";
    if (h.data_len < 0 || h.data_len > SPW_MAX_MESSAGE_BODY_LEN)
        return "data length out of range";
    want = SPW_HEADER_LEN + (size_t)MAX_GROUP_NAME * (size_t)h.num_groups +
           (size_t)h.data_len;
    if (want != m->len)
        return "group count and data length do not match the size";
    if (!(h.type & REGULAR_MESS))
        return "no service in the type word";
    if (origin != d->my_index &&
        !gstate_private_name_ok(h.sender, d->dir.d[origin].name))
        return "sender field is no client of its daemon";
    return NULL;
}

/* What every request passes before it is applied or held, decided from
 * the request and the configuration alone, so the same on every daemon.
 * Requests of this daemon's sessions always pass (sess and frame.c made
 * them); those of other daemons are input. *out is the request with its
 * names NUL-padded as the group table keys them. */
static const char *check_request(const struct deliver *d,
                                 const struct order_req *r,
                                 struct order_req *out)
{
    *out = *r;
    if (r->origin < 0 || r->origin >= ORDER_MAX_DAEMONS ||
        !in_conf(d, r->origin))
        return "its daemon is not in the configuration";
    if (r->origin != d->my_index && r->origin >= d->dir.n)
        return "its daemon is not configured here";
    if (memchr(r->sender, '\0', MAX_GROUP_NAME) == NULL)
        return "sender name not terminated";
    if (r->origin != d->my_index &&
        !gstate_private_name_ok(r->sender, d->dir.d[r->origin].name))
        return "sender is no client of its daemon";
    groups_name_key(out->sender, r->sender);
    switch (r->kind) {
    case ORDER_JOIN:
    case ORDER_LEAVE:
        groups_name_key(out->group, r->group);
        return NULL;
    case ORDER_KILL:
        return NULL;
    case ORDER_DATA:
        return check_data(d, r->msg, r->origin);
    case ORDER_STATE:
        break;
    }
    return "unknown request kind";
}

static const char *kind_name(enum order_kind k)
{
    switch (k) {
    case ORDER_DATA:
        return "data message";
    case ORDER_JOIN:
        return "join";
    case ORDER_LEAVE:
        return "leave";
    case ORDER_KILL:
        return "disconnect";
    case ORDER_STATE:
        return "GROUPS message";
    }
    return "request";
}

void deliver_request(void *ctx, const struct order_req *in)
{
    struct deliver *d = ctx;
    struct order_req req;
    const struct order_req *r = &req;
    const char *why;

    if (in->kind == ORDER_STATE) {
        deliver_state(d, in);
        return;
    }
    if ((why = check_request(d, in, &req)) != NULL) {
        refuse(d, in->origin, kind_name(in->kind), why);
        return;
    }
    if (d->xchg.active && hold(d, r) == 0)
        return;
    switch (r->kind) {
    case ORDER_DATA:
        deliver_data(d, r);
        break;
    case ORDER_JOIN:
        deliver_join(d, r);
        break;
    case ORDER_LEAVE:
        deliver_leave(d, r);
        break;
    case ORDER_KILL:
        deliver_kill(d, r);
        break;
    case ORDER_STATE:
        break;
    }
}
