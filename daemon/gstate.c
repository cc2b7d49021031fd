/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * gstate: GROUPS messages and the exchange. One parser serves both the
 * check of an arriving message (no side effects) and the merge (a sink
 * that applies records to the group table), so what was checked is
 * exactly what is applied.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/wire.h"
#include "gstate.h"
#include "ring/pkt.h"

#define GROUP_REC 48        /* name 32, gid 12, changed 2, entries 2 */
#define ENTRY_REC 14        /* id 4, membership id 8, members 2 */
#define SERVICE_BITS 0x3fu  /* UNRELIABLE .. SAFE */

int gstate_dir_find(const struct gstate_dir *dir, uint32_t id)
{
    int i;

    for (i = 0; i < dir->n; i++)
        if (dir->d[i].id == id)
            return i;
    return -1;
}

int gstate_private_name_ok(const char *field, const char *daemon)
{
    const char *h2;
    size_t ulen, dlen, at;

    if (field[0] != '#')
        return 0;
    h2 = memchr(field + 1, '#', MAX_GROUP_NAME - 1);
    if (h2 == NULL)
        return 0;
    ulen = (size_t)(h2 - field) - 1;
    if (ulen < 1 || ulen > MAX_PRIVATE_NAME ||
        memchr(field + 1, '\0', ulen) != NULL)
        return 0;
    dlen = strnlen(daemon, GSTATE_NAME_LEN);
    at = (size_t)(h2 - field) + 1;
    if (dlen == 0 || dlen == GSTATE_NAME_LEN || at + dlen >= MAX_GROUP_NAME)
        return 0;
    return memcmp(field + at, daemon, dlen) == 0 && field[at + dlen] == '\0';
}

/* ---- encoding ---- */

struct wr {
    const struct gstate_dir *dir;
    int me;
    uint32_t memb_id, memb_time;
    const unsigned char *synced;
    size_t chunk;
    unsigned char *body;             /* chunk bytes */
    size_t len;                      /* used */
    int n_groups_in;                 /* group records in this body */
    struct msg **out;
    int n, cap;
    const struct group *g;           /* the open group record */
    size_t g_off;
    unsigned g_entries;
    int e_open;                      /* an entry record is open */
    size_t e_off;
    unsigned e_members;
    int e_daemon;
    struct groups_key e_key;
};

static void put16(unsigned char *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

static void w32(struct wr *w, uint32_t v)
{
    spw_put32(w->body + w->len, v);
    w->len += 4;
}

static void body_start(struct wr *w)
{
    int i, n = 0;

    w->len = 0;
    w->n_groups_in = 0;
    w32(w, w->memb_id);
    w32(w, w->memb_time);
    w->body[w->len++] = w->n == 0;
    if (w->n > 0)
        return;
    for (i = 0; i < ORDER_MAX_DAEMONS; i++)
        n += w->synced[i] != 0;
    w32(w, (uint32_t)n);
    for (i = 0; i < ORDER_MAX_DAEMONS; i++)
        if (w->synced[i])
            w32(w, w->dir->d[i].id);
}

/* The body so far becomes a message (RELIABLE; the last is fixed up). */
static int body_flush(struct wr *w)
{
    struct spw_header h;
    struct msg *m;

    if (w->n == w->cap) {
        int cap = w->cap ? w->cap * 2 : 4;
        struct msg **v = realloc(w->out, (size_t)cap * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        w->out = v;
        w->cap = cap;
    }
    m = msg_new(SPW_HEADER_LEN + w->len);
    if (m == NULL)
        return -ENOMEM;
    memset(&h, 0, sizeof h);
    h.type = SPW_GROUPS_MESS | RELIABLE_MESS;
    memcpy(h.sender, w->dir->d[w->me].name,
           strnlen(w->dir->d[w->me].name, GSTATE_NAME_LEN - 1));
    h.num_groups = 0;
    h.hint = spw_native_mark();
    h.data_len = (int32_t)w->len;
    spw_header_encode(m->data, &h);
    memcpy(m->data + SPW_HEADER_LEN, w->body, w->len);
    w->out[w->n++] = m;
    body_start(w);
    return 0;
}

static void group_open(struct wr *w, const struct group *g)
{
    unsigned char *p = w->body + w->len;

    memcpy(p, g->name, MAX_GROUP_NAME);
    spw_put32(p + 32, g->gid.memb_id);
    spw_put32(p + 36, g->gid.memb_time);
    spw_put32(p + 40, g->gid.index);
    put16(p + 44, (g->flags & GROUP_CHANGED) ? 1 : 0);
    put16(p + 46, 0);
    w->g = g;
    w->g_off = w->len;
    w->g_entries = 0;
    w->len += GROUP_REC;
    w->n_groups_in++;
}

static void entry_open(struct wr *w, int daemon, const struct groups_key *k)
{
    unsigned char *p = w->body + w->len;

    spw_put32(p, w->dir->d[daemon].id);
    spw_put32(p + 4, k->memb_id);
    spw_put32(p + 8, k->memb_time);
    put16(p + 12, 0);
    w->e_open = 1;
    w->e_off = w->len;
    w->e_members = 0;
    w->e_daemon = daemon;
    w->e_key = *k;
    w->len += ENTRY_REC;
    w->g_entries++;
}

static void entry_close(struct wr *w)
{
    if (w->e_open)
        put16(w->body + w->e_off + 12, (uint16_t)w->e_members);
    w->e_open = 0;
}

static void group_close(struct wr *w)
{
    entry_close(w);
    put16(w->body + w->g_off + 46, (uint16_t)w->g_entries);
}

static size_t room(const struct wr *w)
{
    return w->chunk - w->len;
}

/* End the body inside the open group record and go on in a new body with
 * the record (and the open entry, if any) repeated. */
static int split_group(struct wr *w)
{
    int had_entry = w->e_open, daemon = w->e_daemon;
    struct groups_key k = w->e_key;
    const struct group *g = w->g;

    group_close(w);
    if (body_flush(w) < 0)
        return -ENOMEM;
    group_open(w, g);
    if (had_entry)
        entry_open(w, daemon, &k);
    return 0;
}

static int add_member(struct wr *w, const struct gmember *m)
{
    if (room(w) < MAX_GROUP_NAME && split_group(w) < 0)
        return -ENOMEM;
    if (w->e_members == 0xffff) {
        int daemon = w->e_daemon;
        struct groups_key k = w->e_key;
        entry_close(w);
        if (w->g_entries == 0xffff || room(w) < ENTRY_REC + MAX_GROUP_NAME) {
            if (split_group(w) < 0)   /* reopens no entry: none is open */
                return -ENOMEM;
        }
        entry_open(w, daemon, &k);
    }
    memcpy(w->body + w->len, m->owner->name, MAX_GROUP_NAME);
    w->len += MAX_GROUP_NAME;
    w->e_members++;
    return 0;
}

static int same_key(const struct groups_key *a, const struct groups_key *b)
{
    return a->memb_id == b->memb_id && a->memb_time == b->memb_time;
}

/* The members of daemon `d` in g->members[lo..hi), one entry per sync
 * id, ids in order of first appearance. */
static int add_daemon(struct wr *w, const struct group *g, int lo, int hi,
                      unsigned char *done)
{
    int i, j;

    for (i = lo; i < hi; i++) {
        const struct groups_key *k = &g->members[i]->key;
        if (done[i - lo])
            continue;
        entry_close(w);
        if ((w->g_entries == 0xffff ||
             room(w) < ENTRY_REC + MAX_GROUP_NAME) && split_group(w) < 0)
            return -ENOMEM;
        entry_open(w, g->members[i]->owner->daemon, k);
        for (j = i; j < hi; j++) {
            if (done[j - lo] || !same_key(&g->members[j]->key, k))
                continue;
            done[j - lo] = 1;
            if (add_member(w, g->members[j]) < 0)
                return -ENOMEM;
        }
    }
    entry_close(w);
    return 0;
}

static int add_group(struct wr *w, const struct group *g, unsigned char *done)
{
    int lo, hi;

    if (g->n_members == 0)
        return 0;
    if (room(w) < GROUP_REC + ENTRY_REC + MAX_GROUP_NAME &&
        w->n_groups_in > 0 && body_flush(w) < 0)
        return -ENOMEM;
    group_open(w, g);
    for (lo = 0; lo < g->n_members; lo = hi) {
        int d = g->members[lo]->owner->daemon;
        if (d < 0 || d >= w->dir->n)
            return -EINVAL;
        for (hi = lo; hi < g->n_members &&
                      g->members[hi]->owner->daemon == d; hi++)
            ;
        memset(done, 0, (size_t)(hi - lo));
        if (add_daemon(w, g, lo, hi, done) < 0)
            return -ENOMEM;
    }
    group_close(w);
    return 0;
}

struct collect {
    const struct group **v;
    size_t n;
};

static void collect_cb(struct hmap_node *n, void *ctx)
{
    struct collect *c = ctx;
    c->v[c->n++] = hmap_entry(n, struct group, hnode);
}

static int by_name(const void *a, const void *b)
{
    return strncmp((*(const struct group *const *)a)->name,
                   (*(const struct group *const *)b)->name, MAX_GROUP_NAME);
}

static int encode_all(struct wr *w, const struct groups *gs)
{
    struct collect c = {NULL, 0};
    unsigned char *done = NULL;
    size_t i;
    int rc = -ENOMEM, most = 1;

    c.v = malloc((gs->groups.n ? gs->groups.n : 1) * sizeof *c.v);
    if (c.v == NULL)
        return -ENOMEM;
    hmap_each(&gs->groups, collect_cb, &c);
    qsort(c.v, c.n, sizeof *c.v, by_name);
    for (i = 0; i < c.n; i++)
        if (c.v[i]->n_members > most)
            most = c.v[i]->n_members;
    done = malloc((size_t)most);
    if (done == NULL)
        goto out;
    body_start(w);
    for (i = 0; i < c.n; i++)
        if ((rc = add_group(w, c.v[i], done)) < 0)
            goto out;
    rc = body_flush(w);
out:
    free(done);
    free(c.v);
    return rc;
}

int gstate_encode(const struct groups *gs, const struct gstate_dir *dir,
                  int me, uint32_t memb_id, uint32_t memb_time,
                  const unsigned char *synced, size_t chunk,
                  struct msg ***out, int *n_out)
{
    struct wr w;
    int i, n_set = 0, rc;

    *out = NULL;
    *n_out = 0;
    if (me < 0 || me >= dir->n || !synced[me])
        return -EINVAL;
    for (i = 0; i < ORDER_MAX_DAEMONS; i++) {
        if (!synced[i])
            continue;
        if (i >= dir->n)
            return -EINVAL;
        n_set++;
    }
    memset(&w, 0, sizeof w);
    w.dir = dir;
    w.me = me;
    w.memb_id = memb_id;
    w.memb_time = memb_time;
    w.synced = synced;
    w.chunk = chunk < GSTATE_MIN_CHUNK ? GSTATE_MIN_CHUNK : chunk;
    if (w.chunk > GSTATE_MAX_BODY)
        w.chunk = GSTATE_MAX_BODY;
    w.body = malloc(w.chunk);
    if (w.body == NULL)
        return -ENOMEM;
    rc = encode_all(&w, gs);
    free(w.body);
    if (rc < 0) {
        gstate_free_msgs(w.out, w.n);
        return rc;
    }
    /* The last message is AGREED and says how many daemons it stands for;
     * the type word keeps this host's marker. */
    {
        unsigned char *p = w.out[w.n - 1]->data;
        uint32_t type = spw_get32(p + SPW_OFF_TYPE);
        type = (type & ~(uint32_t)RELIABLE_MESS) | AGREED_MESS;
        spw_put32(p + SPW_OFF_TYPE, type);
        spw_put32(p + SPW_OFF_SENDER + 28, (uint32_t)n_set);
    }
    *out = w.out;
    *n_out = w.n;
    return 0;
}

void gstate_free_msgs(struct msg **v, int n)
{
    int i;

    for (i = 0; i < n; i++)
        msg_unref(v[i]);
    free(v);
}

/* ---- decoding ---- */

/* The body's layout is pkt_groups' (ring/pkt.h: the one codec of these
 * bytes); what it means is checked here: names, daemons, the synced
 * set. */

/* What a parse tells the merge; NULL for a check. */
struct sink {
    int (*group)(void *ctx, const char *name, const struct groups_gid *gid,
                 int changed);
    void (*entry)(void *ctx, int daemon, const struct groups_key *key);
    int (*member)(void *ctx, const char *name);
    void *ctx;
};

static int bad(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int parse_entry(const struct pkt_group_daemon *e,
                       const struct gstate_dir *dir, const unsigned char *set,
                       const struct sink *sk, char *why, size_t wl)
{
    struct groups_key key;
    int d, i;

    key.memb_id = e->mid.id;
    key.memb_time = (uint32_t)e->mid.time;
    d = gstate_dir_find(dir, e->id);
    if (d < 0 || d >= ORDER_MAX_DAEMONS)
        return bad(why, wl, "entry of unknown daemon id %u", e->id);
    if (set != NULL && !set[d])
        return bad(why, wl, "entry of daemon %s outside the synced set",
                   dir->d[d].name);
    if (e->nmembers == 0)
        return bad(why, wl, "entry of %s without members", dir->d[d].name);
    if (sk != NULL)
        sk->entry(sk->ctx, d, &key);
    for (i = 0; i < e->nmembers; i++) {
        const char *name = (const char *)e->members + i * MAX_GROUP_NAME;
        if (!gstate_private_name_ok(name, dir->d[d].name))
            return bad(why, wl, "member %d of %s is no private name of it",
                       i, dir->d[d].name);
        if (sk != NULL && sk->member(sk->ctx, name) < 0)
            return -ENOMEM;
    }
    return 0;
}

static int parse_groups(const struct pkt_groups *g,
                        const struct gstate_dir *dir,
                        const unsigned char *set, const struct sink *sk,
                        int *n_groups, char *why, size_t wl)
{
    struct pkt_group grp;
    size_t off = 0;
    int rc;

    *n_groups = 0;
    while (pkt_groups_next(g, &off, &grp)) {
        struct pkt_group_daemon e;
        char name[MAX_GROUP_NAME];
        struct groups_gid gid;
        size_t eoff = 0;
        unsigned n = 0;

        if (memchr(grp.name, '\0', MAX_GROUP_NAME) == NULL)
            return bad(why, wl, "group name %d not terminated", *n_groups);
        memcpy(name, grp.name, MAX_GROUP_NAME);
        gid.memb_id = grp.gid.id;
        gid.memb_time = (uint32_t)grp.gid.time;
        gid.index = (uint32_t)grp.gid_index;
        if (grp.changed > 1)
            return bad(why, wl, "group %.32s: changed flag %u", name,
                       grp.changed);
        if (grp.ndaemons == 0)
            return bad(why, wl, "group %.32s without daemons", name);
        if (sk != NULL && sk->group(sk->ctx, name, &gid, grp.changed) < 0)
            return -ENOMEM;
        while (pkt_group_daemon_next(&grp, &eoff, &e)) {
            if ((rc = parse_entry(&e, dir, set, sk, why, wl)) < 0)
                return rc;
            n++;
        }
        if (n != grp.ndaemons)
            return bad(why, wl, "group %.32s: %u of %u daemons", name, n,
                       grp.ndaemons);
        (*n_groups)++;
    }
    return 0;
}

/* The message header and the body's head; *g is then ready for
 * parse_groups. */
static int parse_head(const struct msg *m, int origin,
                      const struct gstate_dir *dir, struct gstate_msg *c,
                      struct pkt_groups *g, char *why, size_t wl)
{
    struct pkt_msg pm;
    uint32_t svc, i;
    int rc;

    memset(c, 0, sizeof *c);
    if (m == NULL || m->len < SPW_HEADER_LEN)
        return bad(why, wl, "shorter than a message header");
    if (origin < 0 || origin >= dir->n || origin >= ORDER_MAX_DAEMONS)
        return bad(why, wl, "from unknown daemon %d", origin);
    rc = pkt_msg_decode(m->data, m->len, &pm);
    if (rc < 0)
        return bad(why, wl, "message: %s", pkt_strerror(rc));
    svc = pm.type & SERVICE_BITS;
    if (!(pm.type & SPW_GROUPS_MESS) ||
        (svc != RELIABLE_MESS && svc != AGREED_MESS))
        return bad(why, wl, "type 0x%08x", pm.type);
    if (pm.num_groups != 0)
        return bad(why, wl, "%d group names", (int)pm.num_groups);
    if (pm.data_len > GSTATE_MAX_BODY)
        return bad(why, wl, "data_len %d", (int)pm.data_len);
    if (memchr(pm.sender, '\0', GSTATE_NAME_LEN) == NULL ||
        strncmp(pm.sender, dir->d[origin].name, GSTATE_NAME_LEN) != 0)
        return bad(why, wl, "sender name is not %s's", dir->d[origin].name);
    c->represents = pkt_groups_count(&pm);
    c->last = svc == AGREED_MESS;
    rc = pkt_groups_decode(pm.data, (size_t)pm.data_len, pm.order, g);
    if (rc < 0)
        return bad(why, wl, "body: %s", pkt_strerror(rc));
    c->memb_id = g->mid.id;
    c->memb_time = (uint32_t)g->mid.time;
    c->first = g->first;
    if (c->last && (c->represents < 1 || c->represents > ORDER_MAX_DAEMONS))
        return bad(why, wl, "represents %d daemons", (int)c->represents);
    if (!c->first)
        return 0;
    if (g->synced.n < 1 || g->synced.n > ORDER_MAX_DAEMONS)
        return bad(why, wl, "synced set of %u daemons", g->synced.n);
    for (i = 0; i < g->synced.n; i++) {
        uint32_t id = (uint32_t)pkt_i32s_get(&g->synced, i);
        int d = gstate_dir_find(dir, id);
        if (d < 0 || d >= ORDER_MAX_DAEMONS)
            return bad(why, wl, "synced set names unknown id %u", id);
        if (c->set[d])
            return bad(why, wl, "synced set names %s twice", dir->d[d].name);
        c->set[d] = 1;
    }
    c->n_set = (int)g->synced.n;
    if (!c->set[origin])
        return bad(why, wl, "synced set without its sender");
    return 0;
}

int gstate_check(const struct msg *m, int origin, const struct gstate_dir *dir,
                 const unsigned char *set, struct gstate_msg *out,
                 char *why, size_t whylen)
{
    struct pkt_groups g;
    int rc = parse_head(m, origin, dir, out, &g, why, whylen);

    if (rc < 0)
        return rc;
    return parse_groups(&g, dir, out->first ? out->set : set, NULL,
                        &out->n_groups, why, whylen);
}

/* ---- the exchange ---- */

void gstate_begin(struct gstate_xchg *x, uint32_t memb_id, uint32_t memb_time,
                  const unsigned char *conf)
{
    gstate_end(x);
    x->active = 1;
    x->memb_id = memb_id;
    x->memb_time = memb_time;
    memcpy(x->conf, conf, sizeof x->conf);
}

void gstate_end(struct gstate_xchg *x)
{
    int i, j;

    for (i = 0; i < ORDER_MAX_DAEMONS; i++) {
        struct gstate_src *s = x->src[i];
        if (s == NULL)
            continue;
        for (j = 0; j < s->n_msgs; j++)
            msg_unref(s->msgs[j]);
        free(s->msgs);
        free(s);
    }
    memset(x, 0, sizeof *x);
}

const unsigned char *gstate_set_of(const struct gstate_xchg *x, int k)
{
    int i;

    if (k < 0 || k >= ORDER_MAX_DAEMONS)
        return NULL;
    for (i = 0; i < ORDER_MAX_DAEMONS; i++)
        if (x->src[i] != NULL && x->src[i]->set[k])
            return x->src[i]->set;
    return NULL;
}

static int xchg_done(const struct gstate_xchg *x)
{
    int i;

    for (i = 0; i < ORDER_MAX_DAEMONS; i++) {
        if (x->conf[i] && !x->covered[i])
            return 0;
        if (x->src[i] != NULL && !x->src[i]->done)
            return 0;
    }
    return 1;
}

/* The rules of gstate_accept() beyond the message itself. */
static int accept_rules(const struct gstate_xchg *x,
                        const struct gstate_src *s, const struct gstate_msg *c,
                        char *why, size_t wl)
{
    int i;

    if (c->first) {
        if (s != NULL)
            return bad(why, wl, "a second first message");
        for (i = 0; i < ORDER_MAX_DAEMONS; i++) {
            if (c->set[i] && !x->conf[i])
                return bad(why, wl, "synced set reaches outside the "
                           "configuration (daemon %d)", i);
            if (c->set[i] && x->covered[i])
                return bad(why, wl, "daemon %d is already represented", i);
        }
    } else if (s == NULL) {
        return bad(why, wl, "no first message before it");
    } else if (s->done) {
        return bad(why, wl, "after its last message");
    }
    if (c->last && c->represents != (c->first ? c->n_set : s->n_set))
        return bad(why, wl, "represents %d daemons, its set has %d",
                   (int)c->represents, c->first ? c->n_set : s->n_set);
    return 0;
}

int gstate_accept(struct gstate_xchg *x, const struct gstate_dir *dir,
                  int origin, struct msg *m, char *why, size_t whylen)
{
    struct gstate_msg c;
    struct gstate_src *s;
    int fresh = 0, i;

    if (!x->active)
        return GSTATE_STALE;
    s = origin >= 0 && origin < ORDER_MAX_DAEMONS ? x->src[origin] : NULL;
    if (gstate_check(m, origin, dir, s != NULL ? s->set : NULL, &c, why,
                     whylen) < 0)
        return GSTATE_BAD;
    if (c.memb_id != x->memb_id || c.memb_time != x->memb_time)
        return GSTATE_STALE;
    if (!x->conf[origin]) {
        bad(why, whylen, "sender outside the configuration");
        return GSTATE_BAD;
    }
    if (accept_rules(x, s, &c, why, whylen) < 0)
        return GSTATE_BAD;
    if (s == NULL) {
        s = calloc(1, sizeof *s);
        if (s == NULL)
            return -ENOMEM;
        memcpy(s->set, c.set, sizeof s->set);
        s->n_set = c.n_set;
        fresh = 1;
    }
    if (s->n_msgs == s->cap_msgs) {
        int cap = s->cap_msgs ? s->cap_msgs * 2 : 2;
        struct msg **v = realloc(s->msgs, (size_t)cap * sizeof *v);
        if (v == NULL) {
            if (fresh)
                free(s);
            return -ENOMEM;
        }
        s->msgs = v;
        s->cap_msgs = cap;
    }
    s->msgs[s->n_msgs++] = msg_ref(m);
    if (fresh) {
        x->src[origin] = s;
        for (i = 0; i < ORDER_MAX_DAEMONS; i++)
            if (s->set[i])
                x->covered[i] = 1;
    }
    if (c.last)
        s->done = 1;
    return xchg_done(x) ? GSTATE_DONE : GSTATE_MORE;
}

/* ---- the merge ---- */

struct merge {
    struct groups *gs;
    char name[MAX_GROUP_NAME];       /* the current record's group */
    char last[MAX_GROUP_NAME];       /* the sender's previous record */
    int have_last;
    int created;                     /* the sender brought this group */
    struct groups_gid gid;
    int changed;
    int daemon;
    struct groups_key key;
};

static int merge_group(void *ctx, const char *name,
                       const struct groups_gid *gid, int changed)
{
    struct merge *mg = ctx;
    struct group *g;

    groups_name_key(mg->name, name);
    g = groups_find(mg->gs, mg->name);
    /* A record right after one of the same group continues it (a group
     * split over bodies): it is still the group this sender brought. */
    if (!mg->have_last || strncmp(mg->last, mg->name, MAX_GROUP_NAME) != 0)
        mg->created = g == NULL;
    memcpy(mg->last, mg->name, MAX_GROUP_NAME);
    mg->have_last = 1;
    mg->gid = *gid;
    mg->changed = changed;
    if (g != NULL && (!mg->created || changed))
        groups_mark_changed(mg->gs, g);
    return 0;
}

static void merge_entry(void *ctx, int daemon, const struct groups_key *key)
{
    struct merge *mg = ctx;

    mg->daemon = daemon;
    mg->key = *key;
}

static int merge_member(void *ctx, const char *name)
{
    struct merge *mg = ctx;
    struct group *g = groups_find(mg->gs, mg->name);
    const struct gowner *o = groups_owner(mg->gs, name);
    struct groups_gid keep = mg->gid;
    struct gmember *m;
    int rc;

    if (o != NULL && o->daemon != mg->daemon)
        return 0;   /* a name of another daemon: cannot be (names say
                     * their daemon, sets do not overlap) */
    if (g != NULL)
        keep = g->gid;
    rc = groups_join(mg->gs, mg->name, name, mg->daemon, NULL, &g);
    if (rc < 0)
        return -ENOMEM;
    /* Merging never bumps an id: a group this sender brought has its
     * id, one that was here keeps the id its members last saw. */
    g->gid = mg->created ? mg->gid : keep;
    if (rc == 1 && (m = groups_member(g, name, mg->daemon)) != NULL)
        m->key = mg->key;
    if (!mg->created || mg->changed)
        groups_mark_changed(mg->gs, g);
    return 0;
}

int gstate_merge(const struct gstate_xchg *x, struct groups *gs,
                 const struct gstate_dir *dir, int me)
{
    char why[128];
    int i, j, n;

    for (i = 0; i < ORDER_MAX_DAEMONS; i++) {
        const struct gstate_src *s = x->src[i];
        struct merge mg;
        struct sink sk = {merge_group, merge_entry, merge_member, NULL};

        if (s == NULL || (me >= 0 && me < ORDER_MAX_DAEMONS && s->set[me]))
            continue;
        memset(&mg, 0, sizeof mg);
        mg.gs = gs;
        sk.ctx = &mg;
        for (j = 0; j < s->n_msgs; j++) {
            struct gstate_msg c;
            struct pkt_groups g;
            /* Checked on arrival: only memory can fail here. */
            if (parse_head(s->msgs[j], i, dir, &c, &g, why, sizeof why) < 0)
                continue;
            if (parse_groups(&g, dir, s->set, &sk, &n, why, sizeof why) ==
                -ENOMEM)
                return -ENOMEM;
        }
    }
    return 0;
}
