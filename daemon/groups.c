/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * groups: group table, sorted member arrays, owner index. Member arrays are
 * kept sorted on insert (binary search + memmove): reads (fan-out, member
 * lists in membership messages) vastly outnumber changes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"

void groups_init(struct groups *gs)
{
    memset(gs, 0, sizeof *gs);
    hmap_init(&gs->groups);
    hmap_init(&gs->owners);
    hmap_init(&gs->tombs);
    gs->max_tombs = GROUPS_MAX_TOMBS;
}

/* ---- tombstones ---- */

static void tomb_kill(struct groups *gs, struct gtomb *t)
{
    if (t->live) {
        hmap_remove(&gs->tombs, &t->hnode);
        t->live = 0;
    }
}

static void tombs_clear(struct groups *gs)
{
    size_t i;

    for (i = 0; i < gs->tomb_len; i++)
        tomb_kill(gs, &gs->tomb_ring[(gs->tomb_head + i) % gs->max_tombs]);
    free(gs->tomb_ring);
    gs->tomb_ring = NULL;
    gs->tomb_head = gs->tomb_len = 0;
    gs->index_floor = 0;
}

static struct gtomb *tomb_find(const struct groups *gs, const char *name)
{
    uint32_t h = hmap_hash(&gs->tombs, name, MAX_GROUP_NAME);
    struct hmap_node *n;

    for (n = hmap_bucket(&gs->tombs, h); n != NULL; n = n->next) {
        struct gtomb *t = hmap_entry(n, struct gtomb, hnode);
        if (n->hash == h && strncmp(t->name, name, MAX_GROUP_NAME) == 0)
            return t;
    }
    return NULL;
}

/* Remember the last index of a destroyed group, in the ring's next slot;
 * a full ring evicts its oldest slot, whose index raises the floor.
 * Without memory for the ring, the floor takes the tombstone's place: ids
 * stay unique, only less tidy. */
static void tomb_add(struct groups *gs, const struct group *g)
{
    struct gtomb *t;

    if (gs->max_tombs == 0)
        goto no_tomb;
    if (gs->tomb_ring == NULL &&
        (gs->tomb_ring = calloc(gs->max_tombs, sizeof *t)) == NULL)
        goto no_tomb;
    if (gs->tomb_len == gs->max_tombs) {
        t = &gs->tomb_ring[gs->tomb_head];
        if (t->live && t->index > gs->index_floor)
            gs->index_floor = t->index;
        tomb_kill(gs, t);
        gs->tomb_head = (gs->tomb_head + 1) % gs->max_tombs;
        gs->tomb_len--;
    }
    t = &gs->tomb_ring[(gs->tomb_head + gs->tomb_len) % gs->max_tombs];
    memcpy(t->name, g->name, MAX_GROUP_NAME);
    t->index = g->gid.index;
    if (hmap_insert(&gs->tombs, &t->hnode,
                    hmap_hash(&gs->tombs, t->name, MAX_GROUP_NAME)) < 0)
        goto no_tomb;
    t->live = 1;
    gs->tomb_len++;
    return;
no_tomb:
    if (g->gid.index > gs->index_floor)
        gs->index_floor = g->gid.index;
}

/* The index a group created now under `name` starts from (its first join
 * adds 1), taking its tombstone if it has one. */
static uint32_t start_index(struct groups *gs, const char *name)
{
    struct gtomb *t = tomb_find(gs, name);
    uint32_t start = gs->index_floor;

    if (t != NULL) {
        if (t->index > start)
            start = t->index;
        tomb_kill(gs, t);
    }
    return start;
}

static void free_group_cb(struct hmap_node *n, void *ctx)
{
    struct group *g = hmap_entry(n, struct group, hnode);
    int i;
    (void)ctx;
    for (i = 0; i < g->n_members; i++)
        free(g->members[i]);
    free(g->members);
    /* The node itself is freed after the walk (see groups_fini). */
}

static void collect_cb(struct hmap_node *n, void *ctx)
{
    void ***cursor = ctx;
    **cursor = n;
    (*cursor)++;
}

static void free_all(struct hmap *m, size_t off)
{
    void **all = calloc(m->n ? m->n : 1, sizeof *all), **cur = all;
    size_t i, n = m->n;

    if (all == NULL)
        return; /* leaking at exit is better than crashing */
    hmap_each(m, collect_cb, &cur);
    for (i = 0; i < n; i++)
        free((char *)all[i] - off);
    free(all);
}

void groups_fini(struct groups *gs)
{
    hmap_each(&gs->groups, free_group_cb, NULL);
    free_all(&gs->groups, offsetof(struct group, hnode));
    free_all(&gs->owners, offsetof(struct gowner, hnode));
    hmap_fini(&gs->groups);
    hmap_fini(&gs->owners);
    tombs_clear(gs);
    hmap_fini(&gs->tombs);
}

void groups_set_view(struct groups *gs, uint32_t memb_id, uint32_t memb_time)
{
    if (memb_id != gs->memb_id || memb_time != gs->memb_time)
        tombs_clear(gs);
    gs->memb_id = memb_id;
    gs->memb_time = memb_time;
}

void groups_restamp(struct groups *gs, struct group *g, uint32_t memb_id,
                    uint32_t memb_time)
{
    int same = g->gid.memb_id == memb_id && g->gid.memb_time == memb_time;

    g->gid.memb_id = memb_id;
    g->gid.memb_time = memb_time;
    if (!same && memb_id == gs->memb_id && memb_time == gs->memb_time)
        g->gid.index = 1;
    else
        g->gid.index++;
}

void groups_retag(struct group *g, uint32_t memb_id, uint32_t memb_time)
{
    g->gid.memb_id = memb_id;
    g->gid.memb_time = memb_time;
}

void groups_name_key(char out[MAX_GROUP_NAME], const char *field)
{
    size_t n = 0;
    while (n < MAX_GROUP_NAME - 1 && field[n] != '\0')
        n++;
    memset(out, 0, MAX_GROUP_NAME);
    memcpy(out, field, n);
}

static int name_eq(const char *a, const char *b)
{
    return strncmp(a, b, MAX_GROUP_NAME) == 0;
}

struct group *groups_find(const struct groups *gs, const char *name)
{
    uint32_t h = hmap_hash(&gs->groups, name, MAX_GROUP_NAME);
    struct hmap_node *n;

    for (n = hmap_bucket(&gs->groups, h); n != NULL; n = n->next) {
        struct group *g = hmap_entry(n, struct group, hnode);
        if (n->hash == h && name_eq(g->name, name))
            return g;
    }
    return NULL;
}

struct gowner *groups_owner(const struct groups *gs, const char *member)
{
    uint32_t h = hmap_hash(&gs->owners, member, MAX_GROUP_NAME);
    struct hmap_node *n;

    for (n = hmap_bucket(&gs->owners, h); n != NULL; n = n->next) {
        struct gowner *o = hmap_entry(n, struct gowner, hnode);
        if (n->hash == h && name_eq(o->name, member))
            return o;
    }
    return NULL;
}

static int member_cmp(int da, const char *na, int db, const char *nb)
{
    if (da != db)
        return da < db ? -1 : 1;
    return strncmp(na, nb, MAX_GROUP_NAME);
}

/* Index of the first member not less than (daemon, name). */
static int lower_bound(const struct group *g, const char *name, int daemon)
{
    int lo = 0, hi = g->n_members;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const struct gowner *o = g->members[mid]->owner;
        if (member_cmp(o->daemon, o->name, daemon, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct gmember *groups_member(const struct group *g, const char *member,
                              int daemon)
{
    int i = lower_bound(g, member, daemon);
    if (i < g->n_members && g->members[i]->owner->daemon == daemon &&
        name_eq(g->members[i]->owner->name, member))
        return g->members[i];
    return NULL;
}

static struct group *group_new(struct groups *gs, const char *name)
{
    struct group *g = calloc(1, sizeof *g);
    if (g == NULL)
        return NULL;
    groups_name_key(g->name, name);
    g->gid.memb_id = gs->memb_id;
    g->gid.memb_time = gs->memb_time;
    /* The first join adds 1: 1 for a new name, one more than the last
     * view of a group re-created under its name. */
    g->gid.index = start_index(gs, name);
    if (hmap_insert(&gs->groups, &g->hnode,
                    hmap_hash(&gs->groups, g->name, MAX_GROUP_NAME)) < 0) {
        free(g);
        return NULL;
    }
    return g;
}

static struct gowner *owner_get(struct groups *gs, const char *member,
                                int daemon, void *local)
{
    struct gowner *o = groups_owner(gs, member);
    if (o != NULL)
        return o;
    o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    groups_name_key(o->name, member);
    o->daemon = daemon;
    o->local = local;
    if (hmap_insert(&gs->owners, &o->hnode,
                    hmap_hash(&gs->owners, o->name, MAX_GROUP_NAME)) < 0) {
        free(o);
        return NULL;
    }
    return o;
}

static void owner_put(struct groups *gs, struct gowner *o)
{
    if (o->n > 0)
        return;
    hmap_remove(&gs->owners, &o->hnode);
    free(o);
}

int groups_join(struct groups *gs, const char *name, const char *member,
                int daemon, void *local, struct group **out)
{
    struct group *g = groups_find(gs, name);
    struct gowner *o;
    struct gmember *m;
    int i;

    *out = NULL;
    if (g == NULL && (g = group_new(gs, name)) == NULL)
        return -ENOMEM;
    *out = g;
    i = lower_bound(g, member, daemon);
    if (i < g->n_members && g->members[i]->owner->daemon == daemon &&
        name_eq(g->members[i]->owner->name, member))
        return 0;
    if (g->n_members == g->cap_members) {
        int cap = g->cap_members ? g->cap_members * 2 : 4;
        struct gmember **a = realloc(g->members, (size_t)cap * sizeof *a);
        if (a == NULL)
            goto nomem;
        g->members = a;
        g->cap_members = cap;
    }
    o = owner_get(gs, member, daemon, local);
    if (o == NULL)
        goto nomem;
    m = calloc(1, sizeof *m);
    if (m == NULL) {
        owner_put(gs, o);
        goto nomem;
    }
    m->owner = o;
    m->group = g;
    m->key.memb_id = gs->memb_id;
    m->key.memb_time = gs->memb_time;
    m->next_of_owner = o->first;
    if (o->first != NULL)
        o->first->prev_of_owner = m;
    o->first = m;
    o->n++;
    memmove(&g->members[i + 1], &g->members[i],
            (size_t)(g->n_members - i) * sizeof g->members[0]);
    g->members[i] = m;
    g->n_members++;
    g->gid.index++;
    return 1;
nomem:
    groups_reap(gs, g);
    *out = NULL;
    return -ENOMEM;
}

void groups_remove(struct groups *gs, struct gmember *m)
{
    struct group *g = m->group;
    struct gowner *o = m->owner;
    int i = lower_bound(g, o->name, o->daemon);

    if (i < g->n_members && g->members[i] == m) {
        memmove(&g->members[i], &g->members[i + 1],
                (size_t)(g->n_members - i - 1) * sizeof g->members[0]);
        g->n_members--;
    }
    if (m->prev_of_owner != NULL)
        m->prev_of_owner->next_of_owner = m->next_of_owner;
    else
        o->first = m->next_of_owner;
    if (m->next_of_owner != NULL)
        m->next_of_owner->prev_of_owner = m->prev_of_owner;
    o->n--;
    free(m);
    owner_put(gs, o);
    g->gid.index++;
}

int groups_reap(struct groups *gs, struct group *g)
{
    if (g->n_members > 0)
        return 0;
    groups_settled(gs, g);
    tomb_add(gs, g);
    hmap_remove(&gs->groups, &g->hnode);
    free(g->members);
    free(g);
    gs->n_destroyed++;
    return 1;
}

static int group_name_cmp(const void *a, const void *b)
{
    const struct group *ga = *(const struct group *const *)a;
    const struct group *gb = *(const struct group *const *)b;
    return strncmp(ga->name, gb->name, MAX_GROUP_NAME);
}

int groups_of(const struct gowner *o, struct group **out, int max)
{
    const struct gmember *m;
    int n = 0;

    for (m = o->first; m != NULL; m = m->next_of_owner) {
        if (n < max)
            out[n] = m->group;
        n++;
    }
    qsort(out, (size_t)(n < max ? n : max), sizeof *out, group_name_cmp);
    return n;
}

size_t groups_count(const struct groups *gs)
{
    return gs->groups.n;
}

/* ---- configuration changes ---- */

void groups_mark_changed(struct groups *gs, struct group *g)
{
    if (g->flags & GROUP_CHANGED)
        return;
    g->flags |= GROUP_CHANGED;
    g->chg_prev = NULL;
    g->chg_next = gs->changed;
    if (gs->changed != NULL)
        gs->changed->chg_prev = g;
    gs->changed = g;
    gs->n_changed++;
}

void groups_settled(struct groups *gs, struct group *g)
{
    if (g->flags & GROUP_CHANGED) {
        if (g->chg_prev != NULL)
            g->chg_prev->chg_next = g->chg_next;
        else
            gs->changed = g->chg_next;
        if (g->chg_next != NULL)
            g->chg_next->chg_prev = g->chg_prev;
        g->chg_prev = g->chg_next = NULL;
        gs->n_changed--;
    }
    g->flags &= ~(GROUP_CHANGED | GROUP_SIGNALLED);
}

struct keep_walk {
    struct groups *gs;
    groups_keep_fn keep;
    void *ctx;
    size_t count;                    /* what the walk found */
    struct gowner **out;             /* owners to remove, up to cap */
    size_t cap;
};

static void mark_owner_cb(struct hmap_node *n, void *ctx)
{
    struct keep_walk *w = ctx;
    struct gowner *o = hmap_entry(n, struct gowner, hnode);
    struct gmember *m;

    if (w->keep(w->ctx, o->daemon))
        return;
    for (m = o->first; m != NULL; m = m->next_of_owner) {
        if (!(m->group->flags & GROUP_CHANGED)) {
            groups_mark_changed(w->gs, m->group);
            w->count++;
        }
    }
}

size_t groups_mark_daemons(struct groups *gs, groups_keep_fn keep, void *ctx)
{
    struct keep_walk w = {gs, keep, ctx, 0, NULL, 0};

    hmap_each(&gs->owners, mark_owner_cb, &w);
    return w.count;
}

static void pick_owner_cb(struct hmap_node *n, void *ctx)
{
    struct keep_walk *w = ctx;
    struct gowner *o = hmap_entry(n, struct gowner, hnode);

    if (w->keep(w->ctx, o->daemon))
        return;
    if (w->count < w->cap)
        w->out[w->count] = o;
    w->count++;
}

/* Every membership of `o`, which is freed with its last one. */
static size_t remove_owner(struct groups *gs, struct gowner *o)
{
    size_t n = 0;
    int last;

    do {
        struct gmember *m = o->first;
        struct group *g = m->group;
        uint32_t index = g->gid.index;

        last = (o->n == 1);
        groups_remove(gs, m);
        g->gid.index = index;
        groups_mark_changed(gs, g);
        groups_reap(gs, g);
        n++;
    } while (!last);
    return n;
}

size_t groups_remove_daemons(struct groups *gs, groups_keep_fn keep,
                             void *ctx)
{
    struct gowner *batch[256];
    struct keep_walk w = {gs, keep, ctx, 0, NULL, 0};
    size_t removed = 0, i;

    /* Owners cannot be removed during the walk: collect them first, all at
     * once, or a batch per walk when memory is short. */
    hmap_each(&gs->owners, pick_owner_cb, &w);
    if (w.count == 0)
        return 0;
    w.cap = w.count;
    w.out = malloc(w.cap * sizeof *w.out);
    if (w.out == NULL) {
        w.out = batch;
        w.cap = sizeof batch / sizeof batch[0];
    }
    do {
        w.count = 0;
        hmap_each(&gs->owners, pick_owner_cb, &w);
        for (i = 0; i < w.count && i < w.cap; i++)
            removed += remove_owner(gs, w.out[i]);
    } while (w.count > w.cap);
    if (w.out != batch)
        free(w.out);
    return removed;
}

static void stamp_cb(struct hmap_node *n, void *ctx)
{
    const struct groups_key *key = ctx;
    struct group *g = hmap_entry(n, struct group, hnode);
    int i;

    for (i = 0; i < g->n_members; i++)
        g->members[i]->key = *key;
}

void groups_stamp_keys(struct groups *gs, const struct groups_key *key)
{
    hmap_each(&gs->groups, stamp_cb, (void *)key);
}

struct stamp_of {
    groups_key_fn fn;
    void *ctx;
};

static void stamp_of_cb(struct hmap_node *n, void *ctx)
{
    const struct stamp_of *s = ctx;
    struct group *g = hmap_entry(n, struct group, hnode);
    struct groups_key key;
    int i;

    for (i = 0; i < g->n_members; i++) {
        key = g->members[i]->key;
        if (s->fn(s->ctx, g->members[i]->owner->daemon, &key))
            g->members[i]->key = key;
    }
}

void groups_stamp_keys_of(struct groups *gs, groups_key_fn fn, void *ctx)
{
    struct stamp_of s = {fn, ctx};

    hmap_each(&gs->groups, stamp_of_cb, &s);
}

void groups_forget_tombs(struct groups *gs)
{
    tombs_clear(gs);
}

struct group **groups_changed_sorted(const struct groups *gs, size_t *n)
{
    struct group **v, *g;
    size_t i = 0;

    *n = gs->n_changed;
    if (gs->n_changed == 0 || (v = malloc(gs->n_changed * sizeof *v)) == NULL)
        return NULL;
    for (g = gs->changed; g != NULL; g = g->chg_next)
        v[i++] = g;
    qsort(v, i, sizeof *v, group_name_cmp);
    return v;
}

struct vs_item {
    struct gmember *m;
    enum groups_vs_class cls;
};

static int vs_cmp(const void *a, const void *b)
{
    const struct vs_item *x = a, *y = b;
    const struct gowner *ox = x->m->owner, *oy = y->m->owner;

    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    if (x->cls == GROUPS_VS_KEY) {
        const struct groups_key *kx = &x->m->key, *ky = &y->m->key;
        if (kx->memb_id != ky->memb_id)
            return kx->memb_id < ky->memb_id ? -1 : 1;
        if (kx->memb_time != ky->memb_time)
            return kx->memb_time < ky->memb_time ? -1 : 1;
    }
    return member_cmp(ox->daemon, ox->name, oy->daemon, oy->name);
}

int groups_vs_sets(const struct group *g,
                   enum groups_vs_class (*cls)(void *ctx,
                                               const struct gmember *m),
                   void *ctx, struct gmember **out, int *len)
{
    struct vs_item *v;
    int i, n_sets = 0;

    if (g->n_members == 0)
        return 0;
    v = malloc((size_t)g->n_members * sizeof *v);
    if (v == NULL)
        return -ENOMEM;
    for (i = 0; i < g->n_members; i++) {
        v[i].m = g->members[i];
        v[i].cls = cls != NULL ? cls(ctx, g->members[i]) : GROUPS_VS_KEY;
    }
    qsort(v, (size_t)g->n_members, sizeof *v, vs_cmp);
    for (i = 0; i < g->n_members; i++) {
        const struct vs_item *p = i > 0 ? &v[i - 1] : NULL;
        out[i] = v[i].m;
        if (p != NULL && v[i].cls == GROUPS_VS_KEY &&
            p->cls == GROUPS_VS_KEY &&
            p->m->key.memb_id == v[i].m->key.memb_id &&
            p->m->key.memb_time == v[i].m->key.memb_time)
            len[n_sets - 1]++;
        else
            len[n_sets++] = 1;
    }
    free(v);
    return n_sets;
}
