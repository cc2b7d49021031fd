/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evscheck_log: reading client logs into records, and the pass over each
 * log that turns REG/TRANS/LEFT lines into view intervals and checks what
 * one log shows by itself: 1 (each delivery against its submission),
 * 3, 4, 7 (a group id seen twice, or listed differently than elsewhere),
 * 11, 12 (the receiver's own view), 13 and 15 (records after END).
 */
#include "config.h"

#include "evscheck_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ------------------------------------------------------ */

struct parse {
    struct ec_checker *ec;
    struct ec_client *c;
    int32_t ci;
    int32_t line;
    int64_t t;
    char **w;
    size_t nw;
    int skipped;            /* the line followed END and was ignored */
};

static int serv_of(const char *s)
{
    static const char *const names[] = {
        "UNRELIABLE", "RELIABLE", "FIFO", "CAUSAL", "AGREED", "SAFE",
    };
    int i;

    for (i = 0; i < 6; i++)
        if (strcmp(s, names[i]) == 0)
            return ES_UNRELIABLE + i;
    return ES_NONE;
}

static int cause_of(const char *s)
{
    if (strcmp(s, "JOIN") == 0)
        return EC_JOIN;
    if (strcmp(s, "LEAVE") == 0)
        return EC_LEAVE;
    if (strcmp(s, "DISCONNECT") == 0)
        return EC_DISCONNECT;
    if (strcmp(s, "NETWORK") == 0)
        return EC_NETWORK;
    return 0;
}

static int parse_gid(const char *s, struct ec_gid *g)
{
    char buf[64], *a, *b;

    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    if ((a = strchr(buf, ':')) == NULL || (b = strchr(a + 1, ':')) == NULL)
        return -1;
    *a++ = '\0';
    *b++ = '\0';
    return ec_parse_u32(buf, &g->proc) == 0 &&
           ec_parse_u32(a, &g->time) == 0 &&
           ec_parse_u32(b, &g->index) == 0 ? 0 : -1;
}

static struct ec_event *new_event(struct parse *p, int kind)
{
    struct ec_client *c = p->c;
    struct ec_event *e;

    EC_GROW(c->ev, c->nev, c->cap);
    e = &c->ev[c->nev++];
    memset(e, 0, sizeof *e);
    e->t = p->t;
    e->line = p->line;
    e->kind = (uint8_t)kind;
    e->group = e->sender = e->msg = e->view = -1;
    return e;
}

/* Counters below this go to ec->dense: at most 256 KiB per sender. */
#define EC_DENSE_MAX (1u << 16)

static int32_t *msg_slot(struct ec_checker *ec, int32_t psender,
                         uint32_t counter)
{
    struct ec_dense *d;
    uint32_t cap;

    if (counter >= EC_DENSE_MAX)
        return ec_map_ref(&ec->msg_map, (uint64_t)psender, counter, -1);
    if ((size_t)psender >= ec->cap_dense) {
        size_t n = ec->cap_dense ? ec->cap_dense : 64;
        while (n <= (size_t)psender)
            n *= 2;
        ec->dense = ec_xrealloc(ec->dense, n * sizeof *ec->dense);
        memset(ec->dense + ec->cap_dense, 0,
               (n - ec->cap_dense) * sizeof *ec->dense);
        ec->cap_dense = n;
    }
    d = &ec->dense[psender];
    if (counter >= d->cap) {
        for (cap = d->cap ? d->cap : 64; cap <= counter; cap *= 2)
            ;
        d->msg = ec_xrealloc(d->msg, cap * sizeof *d->msg);
        memset(d->msg + d->cap, 0xff, (cap - d->cap) * sizeof *d->msg);
        d->cap = cap;
    }
    return &d->msg[counter];
}

static int32_t msg_get(struct ec_checker *ec, int32_t psender,
                       uint32_t counter)
{
    int32_t *slot = msg_slot(ec, psender, counter);
    struct ec_msg *r;

    if (*slot >= 0)
        return *slot;
    *slot = (int32_t)ec->nmsgs;
    EC_GROW(ec->msgs, ec->nmsgs, ec->cap_msgs);
    r = &ec->msgs[ec->nmsgs];
    memset(r, 0, sizeof *r);
    r->psender = psender;
    r->counter = counter;
    r->sub_client = r->sub_ev = r->group = r->last_client = -1;
    r->sub_t = EC_NOTIME;
    return (int32_t)ec->nmsgs++;
}

static const char *parse_send(struct parse *p)
{
    struct ec_checker *ec = p->ec;
    uint32_t counter;
    int serv;
    int32_t sender, m;
    struct ec_msg *r;
    struct ec_event *e;

    if (p->nw != 6)
        return "SEND needs GROUP SERVICE SENDER COUNTER";
    if ((serv = serv_of(p->w[3])) == ES_NONE)
        return "unknown service";
    if (ec_parse_u32(p->w[5], &counter) != 0 || p->w[5][0] == '-')
        return "bad counter";
    sender = ec_intern(ec, p->w[4]);
    if (sender != p->c->name)
        return "SEND names a sender other than the log's CLIENT";
    m = msg_get(ec, sender, counter);
    r = &ec->msgs[m];
    if (r->sub_client >= 0)
        return "this payload id was submitted before";
    e = new_event(p, EK_SEND);
    e->group = ec_intern(ec, p->w[2]);
    e->serv = (uint8_t)serv;
    e->sender = sender;
    e->msg = m;
    r->sub_client = p->ci;
    r->sub_ev = (int32_t)p->c->nev - 1;
    r->group = e->group;
    r->serv = (uint8_t)serv;
    r->sub_t = p->t;
    return NULL;
}

static const char *parse_msg(struct parse *p)
{
    struct ec_checker *ec = p->ec;
    uint32_t counter;
    int serv;
    int32_t sender, psender, m;
    struct ec_event *e;

    if (p->nw != 6 && p->nw != 7)
        return "MSG needs GROUP SENDER SERVICE COUNTER [PAYLOAD-SENDER]";
    if ((serv = serv_of(p->w[4])) == ES_NONE)
        return "unknown service";
    if (ec_parse_u32(p->w[5], &counter) != 0 || p->w[5][0] == '-')
        return "bad counter";
    sender = ec_intern(ec, p->w[3]);
    psender = p->nw == 7 ? ec_intern(ec, p->w[6]) : sender;
    m = msg_get(ec, psender, counter);
    e = new_event(p, EK_MSG);
    e->group = ec_intern(ec, p->w[2]);
    e->sender = sender;
    e->serv = (uint8_t)serv;
    e->msg = m;
    if (ec->msgs[m].serv == ES_NONE) {     /* until a SEND says better */
        ec->msgs[m].serv = (uint8_t)serv;
        ec->msgs[m].group = e->group;
    }
    return NULL;
}

/* Members and sets of a REG line (words from index 5) into vc. */
static const char *parse_members(struct parse *p, struct ec_vcontent *vc,
                                 int32_t *local)
{
    size_t i, nsetw = 0;
    int in_sets = 0;

    vc->members = ec_xmalloc(p->nw * sizeof *vc->members);
    vc->sets = ec_xmalloc(p->nw * sizeof *vc->sets);
    vc->set_off = ec_xmalloc((p->nw + 1) * sizeof *vc->set_off);
    *local = -1;
    for (i = 5; i < p->nw; i++) {
        const char *w = p->w[i];
        if (strcmp(w, "VS") == 0 || strcmp(w, "VS*") == 0) {
            if (w[2] == '*') {
                if (*local >= 0)
                    return "two sets marked VS*";
                *local = (int32_t)vc->nsets;
            }
            vc->set_off[vc->nsets++] = (uint32_t)nsetw;
            in_sets = 1;
            continue;
        }
        if (w[0] != '#')
            return "a member name must start with #";
        if (in_sets)
            vc->sets[nsetw++] = ec_intern(p->ec, w);
        else
            vc->members[vc->nmem++] = ec_intern(p->ec, w);
    }
    vc->set_off[vc->nsets] = (uint32_t)nsetw;
    vc->sorted = ec_xmalloc((vc->nmem + 1) * sizeof *vc->sorted);
    memcpy(vc->sorted, vc->members, vc->nmem * sizeof *vc->sorted);
    qsort(vc->sorted, vc->nmem, sizeof *vc->sorted, ec_cmp_i32);
    return NULL;
}

static int same_content(const struct ec_vcontent *a,
                        const struct ec_vcontent *b)
{
    return a->nmem == b->nmem && a->nsets == b->nsets &&
           memcmp(a->members, b->members, a->nmem * sizeof *a->members) ==
               0 &&
           memcmp(a->set_off, b->set_off,
                  (a->nsets + 1) * sizeof *a->set_off) == 0 &&
           memcmp(a->sets, b->sets, a->set_off[a->nsets] * sizeof *a->sets) ==
               0;
}

static void set_local(struct ec_view *v)
{
    const struct ec_vcontent *vc = v->vc;
    uint64_t h = 0x51ed27;
    uint32_t i, off, n;

    if (v->local < 0)
        return;
    off = vc->set_off[v->local];
    n = vc->set_off[v->local + 1] - off;
    v->local_sorted = ec_xmalloc((n + 1) * sizeof *v->local_sorted);
    memcpy(v->local_sorted, vc->sets + off, n * sizeof *v->local_sorted);
    qsort(v->local_sorted, n, sizeof *v->local_sorted, ec_cmp_i32);
    v->nlocal = n;
    for (i = 0; i < n; i++)
        h = ec_mix64(h ^ (uint64_t)(uint32_t)v->local_sorted[i]);
    v->local_sig = h ^ n;
}

/* The instance's content: the vent's if identical, else its own (P7). */
static void attach_vent(struct parse *p, struct ec_view *v,
                        struct ec_vcontent *vc)
{
    struct ec_checker *ec = p->ec;
    uint64_t a = ((uint64_t)(uint32_t)v->group << 32) | v->gid.proc;
    uint64_t b = ((uint64_t)v->gid.time << 32) | v->gid.index;
    int32_t vid = ec_map_get(&ec->vent_map, a, b), vi = (int32_t)(v - ec->views);
    struct ec_vent *ve;
    char w1[512], w2[512], g[36];

    if (vid < 0) {
        EC_GROW(ec->vents, ec->nvents, ec->cap_vents);
        ve = &ec->vents[ec->nvents];
        ve->group = v->group;
        ve->gid = v->gid;
        ve->first = vi;
        ve->last_client = -1;
        ve->vc = vc;
        vid = (int32_t)ec->nvents++;
        ec_map_put(&ec->vent_map, a, b, vid);
        v->vc = vc;
    } else {
        ve = &ec->vents[vid];
        if (same_content(ve->vc, vc)) {
            ec_vcontent_free(vc);
            v->vc = ve->vc;
        } else {
            const struct ec_view *f = &ec->views[ve->first];
            v->vc = vc;
            v->own_content = 1;
            ec_report(ec, 7, "%s, %s: view %s of %s lists %s than at %s",
                      ec_where(ec, v->client, v->ev, w1, sizeof w1),
                      ec_where(ec, f->client, f->ev, w2, sizeof w2),
                      ec_gid_str(&v->gid, g), ec_name(ec, v->group),
                      vc->nmem != ve->vc->nmem ? "other members" :
                      memcmp(vc->members, ve->vc->members,
                             vc->nmem * sizeof *vc->members) != 0 ?
                      "other members or another order" :
                      "other virtual-synchrony sets",
                      ec_name(ec, f->client >= 0 ?
                              ec->clients[f->client].name : -1));
        }
    }
    v->vid = vid;
    if (ve->last_client == p->ci) {
        int32_t first = ec_view_of(ec, p->ci, vid);
        ec_report(ec, 7, "%s, %s: the client sees group id %s of %s twice",
                  ec_where(ec, p->ci, ec->views[first].ev, w1, sizeof w1),
                  ec_where(ec, p->ci, v->ev, w2, sizeof w2),
                  ec_gid_str(&v->gid, g), ec_name(ec, v->group));
    } else {
        ve->last_client = p->ci;
        ec_map_put(&ec->cview, (uint64_t)p->ci, (uint64_t)vid, vi);
    }
}

static const char *parse_reg(struct parse *p)
{
    struct ec_checker *ec = p->ec;
    struct ec_gid gid;
    struct ec_vcontent *vc;
    struct ec_view *v;
    struct ec_event *e;
    const char *err;
    int32_t local;
    int cause;

    if (p->nw < 5)
        return "REG needs GROUP GID CAUSE MEMBERS";
    if (parse_gid(p->w[3], &gid) != 0)
        return "bad group id (PROC:TIME:INDEX)";
    if ((cause = cause_of(p->w[4])) == 0)
        return "unknown cause";
    vc = ec_xcalloc(1, sizeof *vc);
    if ((err = parse_members(p, vc, &local)) != NULL) {
        ec_vcontent_free(vc);
        return err;
    }
    e = new_event(p, EK_REG);
    e->group = ec_intern(ec, p->w[2]);
    EC_GROW(ec->views, ec->nviews, ec->cap_views);
    v = &ec->views[ec->nviews];
    memset(v, 0, sizeof *v);
    v->client = p->ci;
    v->group = e->group;
    v->ev = (int32_t)p->c->nev - 1;
    v->gid = gid;
    v->cause = (uint8_t)cause;
    v->local = local;
    v->trans_ev = v->end_ev = v->prev = v->next = -1;
    e->view = (int32_t)ec->nviews++;
    attach_vent(p, v, vc);
    set_local(v);
    return NULL;
}

static const char *parse_other(struct parse *p, const char *kind)
{
    struct ec_event *e;
    struct ec_gid gid;

    if (strcmp(kind, "TRANS") == 0) {
        if (p->nw != 3 && p->nw != 4)
            return "TRANS needs GROUP [GID]";
        if (p->nw == 4 && parse_gid(p->w[3], &gid) != 0)
            return "bad group id (PROC:TIME:INDEX)";
        e = new_event(p, EK_TRANS);
        e->group = ec_intern(p->ec, p->w[2]);
        if (p->nw == 4) {
            struct ec_checker *ec = p->ec;
            EC_GROW(ec->tgids, ec->ntgids, ec->cap_tgids);
            ec->tgids[ec->ntgids] = gid;
            e->msg = (int32_t)ec->ntgids++;
        }
        return NULL;
    }
    if (strcmp(kind, "LEFT") == 0) {
        if (p->nw != 3)
            return "LEFT needs GROUP";
        new_event(p, EK_LEFT)->group = ec_intern(p->ec, p->w[2]);
        return NULL;
    }
    if (strcmp(kind, "END") == 0) {
        if (p->nw != 3 || (strcmp(p->w[2], "quit") != 0 &&
                           strcmp(p->w[2], "lost") != 0))
            return "END needs quit or lost";
        e = new_event(p, EK_END);
        e->serv = p->w[2][0] == 'q' ? EE_QUIT : EE_LOST;
        p->c->end = e->serv;
        p->c->end_t = p->t;
        return NULL;
    }
    return "unknown record";
}

static const char *parse_client_line(struct parse *p)
{
    struct ec_checker *ec = p->ec;
    const char *kind = p->w[1];

    if (strcmp(kind, "CLIENT") == 0) {
        if (p->c->name >= 0)
            return "a second CLIENT record";
        if (p->nw != 3 || p->w[2][0] != '#')
            return "CLIENT needs a private group name";
        p->c->name = ec_intern(ec, p->w[2]);
        p->c->daemon = ec_daemon_of(ec, p->c->name);
        if (ec_client_by_name(ec, p->c->name) >= 0)
            return "another log has the same CLIENT name";
        ec_map_put(&ec->client_of, (uint64_t)p->c->name, 0, p->ci);
        return NULL;
    }
    if (p->c->name < 0)
        return "a record before CLIENT";
    if (p->c->end != EE_NONE) {
        char w[512];
        if (!p->c->after_end)
            ec_report(ec, 15, "%s:%" PRId32 ": %s after the connection "
                      "ended (%s)", p->c->path, p->line, kind,
                      ec_where(ec, p->ci, (int32_t)p->c->nev - 1, w,
                               sizeof w));
        p->c->after_end = 1;
        p->skipped = 1;
        return NULL;
    }
    if (strcmp(kind, "SEND") == 0)
        return parse_send(p);
    if (strcmp(kind, "MSG") == 0)
        return parse_msg(p);
    if (strcmp(kind, "REG") == 0)
        return parse_reg(p);
    return parse_other(p, kind);
}

void ec_parse_client(struct ec_checker *ec, const char *label,
                     const char *text)
{
    struct parse p;
    char *buf = ec_xstrdup(text), *line = buf, *nl;
    size_t cap = 0;

    memset(&p, 0, sizeof p);
    p.ec = ec;
    EC_GROW(ec->clients, ec->nclients, ec->cap_clients);
    p.ci = (int32_t)ec->nclients++;
    p.c = &ec->clients[p.ci];
    memset(p.c, 0, sizeof *p.c);
    p.c->path = ec_xstrdup(label);
    p.c->name = p.c->daemon = -1;
    p.c->first_t = p.c->last_t = p.c->end_t = EC_NOTIME;
    for (nl = buf; (nl = strchr(nl, '\n')) != NULL; nl++)
        p.c->cap++;                     /* at most one event a line */
    p.c->ev = ec_xmalloc((p.c->cap + 1) * sizeof *p.c->ev);
    for (; line != NULL; line = nl) {
        const char *err;
        if ((nl = strchr(line, '\n')) != NULL)
            *nl++ = '\0';
        p.line++;
        p.nw = ec_split(line, &p.w, &cap);
        p.skipped = 0;
        if (p.nw == 0 || p.w[0][0] == '#')
            continue;
        if (p.nw < 2 || ec_parse_time(p.w[0], &p.t) != 0)
            err = "a record is TIME KIND FIELDS";
        else
            err = parse_client_line(&p);
        if (err != NULL) {
            ec_report(ec, 0, "%s:%" PRId32 ": %s", label, p.line, err);
            continue;
        }
        if (p.t != EC_NOTIME && !p.skipped) {
            if (p.c->first_t == EC_NOTIME)
                p.c->first_t = p.t;
            p.c->last_t = p.t;
        }
    }
    if (p.c->name < 0)
        ec_report(ec, 0, "%s: no CLIENT record", label);
    free(p.w);
    free(buf);
}

/* ---- the pass over each log --------------------------------------- */

/* Per-group state of the client being walked, indexed by group name. */
struct walk {
    struct ec_checker *ec;
    int32_t ci;
    struct ec_client *c;
    int32_t *gview;         /* current view instance, -1 */
    uint8_t *gtrans;        /* inside the transitional part */
    uint8_t *gjust;         /* the last record of the group was its REG */
    int64_t *last;          /* per sender: highest FIFO+ counter (P3) */
    int32_t *touched;       /* group and sender ids to reset */
    size_t ntouched, cap_touched;
    /* P4: FIFO+ submissions sorted by (sender, group, counter) */
    struct p4sub *subs;
    size_t nsubs;
    struct ec_map p4range;  /* (sender, group) -> first index in subs */
    struct ec_map p4state;  /* (client|group, sender) -> state index */
    struct p4st *st;
    size_t nst, cap_st;
    /* per sender: the state of its group last delivered from (one map
     * lookup per switch of group instead of per message) */
    int32_t *fgroup;
    struct p4st *fst;
    char where[512];        /* at()'s buffer */
};

struct p4sub {
    int32_t sender, group;
    uint32_t counter;
};

struct p4st {
    int32_t seg;
    uint32_t counter;
};

static int cmp_p4sub(const void *a, const void *b)
{
    const struct p4sub *x = a, *y = b;

    if (x->sender != y->sender)
        return x->sender < y->sender ? -1 : 1;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return (x->counter > y->counter) - (x->counter < y->counter);
}

static void p4_index(struct walk *w)
{
    struct ec_checker *ec = w->ec;
    size_t i;

    w->subs = ec_xmalloc((ec->nmsgs + 1) * sizeof *w->subs);
    for (i = 0; i < ec->nmsgs; i++) {
        const struct ec_msg *m = &ec->msgs[i];
        if (m->sub_client < 0 || m->serv < ES_FIFO)
            continue;
        w->subs[w->nsubs].sender = m->psender;
        w->subs[w->nsubs].group = m->group;
        w->subs[w->nsubs++].counter = m->counter;
    }
    qsort(w->subs, w->nsubs, sizeof *w->subs, cmp_p4sub);
    for (i = w->nsubs; i-- > 0;)
        ec_map_put(&w->p4range, (uint64_t)w->subs[i].sender,
                   (uint64_t)w->subs[i].group, (int32_t)i);
}

/* How many FIFO+ messages of sender to group were submitted with a
 * counter strictly between lo and hi; the first in *first. */
static size_t p4_between(const struct walk *w, int32_t sender, int32_t group,
                         uint32_t lo, uint32_t hi, uint32_t *first)
{
    int32_t s = ec_map_get(&w->p4range, (uint64_t)sender, (uint64_t)group);
    size_t a, b, lo_i, n = 0;

    if (s < 0)
        return 0;
    for (b = (size_t)s; b < w->nsubs && w->subs[b].sender == sender &&
                        w->subs[b].group == group; b++)
        ;
    a = (size_t)s;
    lo_i = b;
    while (a < lo_i) {                  /* first counter > lo */
        size_t mid = a + (lo_i - a) / 2;
        if (w->subs[mid].counter <= lo)
            a = mid + 1;
        else
            lo_i = mid;
    }
    for (; a < b && w->subs[a].counter < hi; a++) {
        if (n++ == 0)
            *first = w->subs[a].counter;
        if (n > 1)
            break;                      /* one is enough to know */
    }
    return n;
}

static void touch(struct walk *w, int32_t id)
{
    EC_GROW(w->touched, w->ntouched, w->cap_touched);
    w->touched[w->ntouched++] = id;
}

/* path:line of one of this client's events, for a report. */
static const char *at(struct walk *w, int32_t ev)
{
    return ec_where(w->ec, w->ci, ev, w->where, sizeof w->where);
}

static int is_subset(const int32_t *a, uint32_t na, const int32_t *b,
                     uint32_t nb)
{
    uint32_t i = 0, j = 0;

    for (; i < na; i++) {
        while (j < nb && b[j] < a[i])
            j++;
        if (j == nb || b[j] != a[i])
            return 0;
        j++;
    }
    return 1;
}

/* The member a JOIN/LEAVE/DISCONNECT view names, from its set or, when no
 * set was logged, as the difference with the previous view; -1 if none
 * can be told. */
static int32_t changed_member(const struct ec_view *v,
                              const struct ec_vcontent *prev)
{
    const struct ec_vcontent *vc = v->vc, *big, *small;
    uint32_t i;

    if (vc->nsets > 0)
        return vc->nsets == 1 && vc->set_off[1] == 1 ? vc->sets[0] : -1;
    if (prev == NULL)
        return -1;
    big = v->cause == EC_JOIN ? vc : prev;
    small = v->cause == EC_JOIN ? prev : vc;
    if (big->nmem != small->nmem + 1)
        return -1;
    for (i = 0; i < big->nmem; i++)
        if (!ec_has_member(small, big->members[i]))
            return big->members[i];
    return -1;
}

static void check_content(struct walk *w, const struct ec_view *v,
                          const struct ec_view *pv)
{
    struct ec_checker *ec = w->ec;
    const struct ec_vcontent *vc = v->vc, *pc = pv ? pv->vc : NULL;
    int32_t x;
    const char *why = NULL;

    if (!ec_has_member(vc, w->c->name))
        ec_report(ec, 13, "%s: a view of %s without the receiver %s",
                  at(w, v->ev), ec_name(ec, v->group),
                  ec_name(ec, w->c->name));
    if (v->cause == EC_NETWORK)
        return;
    x = changed_member(v, pc);
    if (x < 0)
        why = "no single changed member can be told";
    else if (pc == NULL && v->cause == EC_JOIN && x != w->c->name)
        why = "the client's first view is the JOIN of another member";
    else if (pc == NULL && v->cause != EC_JOIN)
        why = "the client's first view is a LEAVE or DISCONNECT";
    else if (pc != NULL && v->cause == EC_JOIN &&
             (vc->nmem != pc->nmem + 1 || ec_has_member(pc, x) ||
              !ec_has_member(vc, x) ||
              !is_subset(pc->sorted, pc->nmem, vc->sorted, vc->nmem)))
        why = "the JOIN view is not the previous view plus the joiner";
    else if (pc != NULL && v->cause != EC_JOIN &&
             (vc->nmem + 1 != pc->nmem || !ec_has_member(pc, x) ||
              ec_has_member(vc, x) ||
              !is_subset(vc->sorted, vc->nmem, pc->sorted, pc->nmem)))
        why = "the view is not the previous view minus the member named";
    if (why != NULL)
        ec_report(ec, 13, "%s: %s view of %s (%s): %s", at(w, v->ev),
                  ec_cause_name(v->cause), ec_name(ec, v->group),
                  x >= 0 ? ec_name(ec, x) : "?", why);
}

/* Property 12, what the receiver's own NETWORK view shows. */
static void check_vs_sets(struct walk *w, const struct ec_view *v,
                          const struct ec_view *pv)
{
    struct ec_checker *ec = w->ec;
    const struct ec_vcontent *vc = v->vc;
    uint32_t n = vc->set_off[vc->nsets], i;
    int32_t *all;
    const char *why = NULL;

    if (v->cause != EC_NETWORK)
        return;
    all = ec_xmalloc((n + 1) * sizeof *all);
    memcpy(all, vc->sets, n * sizeof *all);
    qsort(all, n, sizeof *all, ec_cmp_i32);
    if (vc->nsets == 0)
        why = "a NETWORK view without virtual-synchrony sets";
    else if (n != vc->nmem ||
             memcmp(all, vc->sorted, n * sizeof *all) != 0) {
        why = "the sets are not a partition of the members";
        for (i = 1; i < n; i++)
            if (all[i] == all[i - 1])
                why = "the sets are not disjoint";
    } else if (v->local < 0)
        why = "no set is marked as the receiver's (VS*)";
    else if (bsearch(&w->c->name, v->local_sorted, v->nlocal,
                     sizeof w->c->name, ec_cmp_i32) == NULL)
        why = "the receiver is not in the set marked as its own";
    else if (pv == NULL && v->nlocal != 1)
        why = "a joiner's own set holds others";
    else if (pv != NULL && !is_subset(v->local_sorted, v->nlocal,
                                      pv->vc->sorted, pv->vc->nmem))
        why = "the own set is not part of the receiver's previous view";
    free(all);
    if (why != NULL)
        ec_report(ec, 12, "%s: view %s of %s: %s", at(w, v->ev),
                  ec_gid_str(&v->gid, (char[36]){0}), ec_name(ec, v->group),
                  why);
}

static void walk_reg(struct walk *w, int32_t i)
{
    struct ec_checker *ec = w->ec;
    int32_t vi = w->c->ev[i].view, g = w->c->ev[i].group, pv;
    struct ec_view *v = &ec->views[vi];

    pv = w->gview[g];
    if (pv < 0)
        touch(w, g);
    else {
        ec->views[pv].next = vi;
        ec->views[pv].end_ev = i;
    }
    v->prev = pv;
    if (w->gtrans[g] && v->cause != EC_NETWORK)
        ec_report(ec, 11, "%s: a %s view of %s in a transitional part "
                  "(only NETWORK may end it)",
                  at(w, i),
                  ec_cause_name(v->cause), ec_name(ec, g));
    check_content(w, v, pv >= 0 ? &ec->views[pv] : NULL);
    check_vs_sets(w, v, pv >= 0 ? &ec->views[pv] : NULL);
    w->gview[g] = vi;
    w->gtrans[g] = 0;
    w->gjust[g] = 1;
}

static int same_gid(const struct ec_gid *a, const struct ec_gid *b)
{
    return a->proc == b->proc && a->time == b->time && a->index == b->index;
}

static void walk_trans(struct walk *w, int32_t i)
{
    struct ec_checker *ec = w->ec;
    struct ec_event *e = &w->c->ev[i];
    int32_t g = e->group, cur = w->gview[g];
    char g1[36], g2[36];

    e->view = cur;
    if (cur < 0) {
        ec_report(ec, 11, "%s: TRANS of %s outside any view", at(w, i),
                  ec_name(ec, g));
        return;
    }
    if (w->gtrans[g]) {
        ec_report(ec, 11, "%s: a second TRANS of %s in one view", at(w, i),
                  ec_name(ec, g));
        return;
    }
    ec->views[cur].trans_ev = i;
    if (w->gjust[g] && ec->views[cur].cause == EC_NETWORK)
        ec->views[cur].unsettled = 1;
    /* The id a TRANS carries is the view's; right after an unsettled
     * view (rule 74) the previous view's is accepted as well, as the
     * spec does not say which of the two the daemon sends there. */
    if (e->msg >= 0 && !same_gid(&ec->tgids[e->msg], &ec->views[cur].gid) &&
        !(ec->views[cur].unsettled && ec->views[cur].prev >= 0 &&
          same_gid(&ec->tgids[e->msg],
                   &ec->views[ec->views[cur].prev].gid)))
        ec_report(ec, 11, "%s: TRANS of %s carries %s, the view is %s",
                  at(w, i), ec_name(ec, g), ec_gid_str(&ec->tgids[e->msg], g1),
                  ec_gid_str(&ec->views[cur].gid, g2));
    w->gtrans[g] = 1;
    w->gjust[g] = 0;
}

static void walk_left(struct walk *w, int32_t i)
{
    struct ec_checker *ec = w->ec;
    int32_t g = w->c->ev[i].group, cur = w->gview[g];

    if (cur < 0)
        ec_report(ec, 11, "%s: self-leave of %s outside any view", at(w, i),
                  ec_name(ec, g));
    else if (w->gtrans[g])
        ec_report(ec, 11, "%s: self-leave of %s in a transitional part",
                  at(w, i), ec_name(ec, g));
    if (cur >= 0)
        ec->views[cur].end_ev = i;
    w->gview[g] = -1;
    w->gtrans[g] = w->gjust[g] = 0;
}

/* Property 1 for one delivery: a submission that matches. */
static void check_origin(struct walk *w, int32_t i)
{
    struct ec_checker *ec = w->ec;
    struct ec_event *e = &w->c->ev[i];
    struct ec_msg *m = &ec->msgs[e->msg];
    char w2[512];
    const char *why = NULL;

    if (m->last_client == w->ci) {
        e->dup = 1;
        ec_report(ec, 1, "%s: (%s,%" PRIu32 ") delivered a second time",
                  at(w, i), ec_name(ec, m->psender), m->counter);
        return;
    }
    m->last_client = w->ci;
    if (m->sub_client < 0)
        why = "was never submitted";
    else if (e->sender != m->psender)
        why = "names another sender than its submitter";
    else if (e->group != m->group)
        why = "was submitted to another group";
    else if (e->serv != m->serv)
        why = "was submitted with another service";
    if (why != NULL)
        ec_report(ec, 1, "%s%s%s: %s message (%s,%" PRIu32 ") of %s from %s "
                  "%s", at(w, i), m->sub_client >= 0 ? ", " : "",
                  m->sub_client >= 0 ?
                  ec_where(ec, m->sub_client, m->sub_ev, w2, sizeof w2) : "",
                  ec_serv_name(e->serv), ec_name(ec, m->psender),
                  m->counter, ec_name(ec, e->group), ec_name(ec, e->sender),
                  why);
}

/* Keep the sender's state for its old group, fetch the new group's. */
static void p4_switch(struct walk *w, int32_t ps, int32_t group)
{
    uint64_t key = (uint64_t)(uint32_t)w->ci << 32;
    int32_t *slot;

    if (w->fgroup[ps] >= 0) {
        slot = ec_map_ref(&w->p4state, key | (uint32_t)w->fgroup[ps],
                          (uint64_t)ps, -1);
        if (*slot < 0) {
            EC_GROW(w->st, w->nst, w->cap_st);
            *slot = (int32_t)w->nst++;
        }
        w->st[*slot] = w->fst[ps];
    }
    slot = ec_map_ref(&w->p4state, key | (uint32_t)group, (uint64_t)ps, -1);
    if (*slot >= 0)
        w->fst[ps] = w->st[*slot];
    else {
        w->fst[ps].seg = -1;
        w->fst[ps].counter = 0;
    }
    w->fgroup[ps] = group;
}

/* Properties 3 and 4 for one FIFO-or-stronger delivery. */
static void check_fifo(struct walk *w, int32_t i)
{
    struct ec_checker *ec = w->ec;
    const struct ec_event *e = &w->c->ev[i];
    const struct ec_msg *m = &ec->msgs[e->msg];
    int32_t ps = m->psender, seg;
    uint32_t first = 0;
    struct p4st *st;

    if (w->last[ps] < 0)
        touch(w, ps);
    else if ((int64_t)m->counter <= w->last[ps])
        ec_report(ec, 3, "%s: (%s,%" PRIu32 ") delivered after counter "
                  "%" PRId64 " of the same sender", at(w, i),
                  ec_name(ec, ps), m->counter, w->last[ps]);
    if ((int64_t)m->counter > w->last[ps])
        w->last[ps] = m->counter;
    if (e->view < 0)
        return;
    seg = e->view * 2 + e->after_trans;
    if (w->fgroup[ps] != e->group)
        p4_switch(w, ps, e->group);
    st = &w->fst[ps];
    if (st->seg == seg && m->counter > st->counter + 1 &&
        p4_between(w, ps, e->group, st->counter, m->counter, &first) > 0)
        ec_report(ec, 4, "%s: (%s,%" PRIu32 ") follows (%s,%" PRIu32 ") in "
                  "one view interval of %s without (%s,%" PRIu32 ")", at(w, i),
                  ec_name(ec, ps), m->counter, ec_name(ec, ps), st->counter,
                  ec_name(ec, e->group), ec_name(ec, ps), first);
    st->seg = seg;
    st->counter = m->counter;
}

static void digest_add(uint64_t *d, int32_t msg)
{
    uint64_t h = ec_mix64((uint64_t)(uint32_t)msg + 0x632be59bd9b4e019ull);

    d[0]++;
    d[1] += h;
    d[2] ^= ec_mix64(h);
}

static void walk_msg(struct walk *w, int32_t i)
{
    struct ec_checker *ec = w->ec;
    struct ec_event *e = &w->c->ev[i];
    int32_t g = e->group, cur = w->gview[g];

    e->view = cur;
    e->after_trans = cur >= 0 ? w->gtrans[g] : 0;
    if (cur >= 0)
        w->gjust[g] = 0;
    check_origin(w, i);
    if (e->dup)
        return;
    if (ec->msgs[e->msg].serv >= ES_FIFO)
        check_fifo(w, i);
    if (cur >= 0)
        digest_add(ec->views[cur].dig, e->msg);
}

static void walk_client(struct walk *w)
{
    struct ec_checker *ec = w->ec;
    struct ec_client *c = w->c;
    size_t k;
    int32_t i;

    for (i = 0; (size_t)i < c->nev; i++) {
        struct ec_event *e = &c->ev[i];
        switch (e->kind) {
        case EK_SEND:
            e->view = w->gview[e->group];
            ec->msgs[e->msg].member_at_submit = e->view >= 0;
            break;
        case EK_REG:
            walk_reg(w, i);
            break;
        case EK_TRANS:
            walk_trans(w, i);
            break;
        case EK_MSG:
            walk_msg(w, i);
            break;
        case EK_LEFT:
            walk_left(w, i);
            break;
        default:
            break;
        }
    }
    for (k = 0; k < w->ntouched; k++) {
        int32_t id = w->touched[k];
        if (w->gview[id] >= 0)
            ec->views[w->gview[id]].end_ev = (int32_t)c->nev;
        w->gview[id] = -1;
        w->gtrans[id] = w->gjust[id] = 0;
        w->last[id] = -1;
        w->fgroup[id] = -1;
    }
    w->ntouched = 0;
}

/* ec->dels: every first delivery, grouped by message, in client order. */
static void build_dels(struct ec_checker *ec)
{
    size_t ci, k, n = 0;

    for (k = 0; k < ec->nmsgs; k++)
        ec->msgs[k].ndel = 0;
    for (ci = 0; ci < ec->nclients; ci++)
        for (k = 0; k < ec->clients[ci].nev; k++) {
            const struct ec_event *e = &ec->clients[ci].ev[k];
            if (e->kind == EK_MSG && !e->dup) {
                ec->msgs[e->msg].ndel++;
                n++;
            }
        }
    ec->dels = ec_xmalloc((n + 1) * sizeof *ec->dels);
    ec->ndels = n;
    for (k = 0, n = 0; k < ec->nmsgs; k++) {
        ec->msgs[k].del_off = (uint32_t)n;
        n += ec->msgs[k].ndel;
        ec->msgs[k].ndel = 0;
    }
    for (ci = 0; ci < ec->nclients; ci++)
        for (k = 0; k < ec->clients[ci].nev; k++) {
            const struct ec_event *e = &ec->clients[ci].ev[k];
            struct ec_msg *m;
            if (e->kind != EK_MSG || e->dup)
                continue;
            m = &ec->msgs[e->msg];
            ec->dels[m->del_off + m->ndel].client = (int32_t)ci;
            ec->dels[m->del_off + m->ndel++].ev = (int32_t)k;
        }
}

void ec_log_pass(struct ec_checker *ec)
{
    struct walk w;
    size_t ci, n = ec->nnames + 1;

    memset(&w, 0, sizeof w);
    w.ec = ec;
    w.gview = ec_xmalloc(n * sizeof *w.gview);
    memset(w.gview, 0xff, n * sizeof *w.gview);
    w.gtrans = ec_xcalloc(n, 1);
    w.gjust = ec_xcalloc(n, 1);
    w.last = ec_xmalloc(n * sizeof *w.last);
    w.fgroup = ec_xmalloc(n * sizeof *w.fgroup);
    memset(w.fgroup, 0xff, n * sizeof *w.fgroup);
    w.fst = ec_xcalloc(n, sizeof *w.fst);
    for (ci = 0; ci < n; ci++)
        w.last[ci] = -1;
    p4_index(&w);
    for (ci = 0; ci < ec->nclients; ci++) {
        w.ci = (int32_t)ci;
        w.c = &ec->clients[ci];
        walk_client(&w);
    }
    build_dels(ec);
    free(w.gview);
    free(w.gtrans);
    free(w.gjust);
    free(w.last);
    free(w.fgroup);
    free(w.fst);
    free(w.touched);
    free(w.subs);
    free(w.st);
    ec_map_fini(&w.p4range);
    ec_map_fini(&w.p4state);
}
