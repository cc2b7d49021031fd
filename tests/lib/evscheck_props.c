/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evscheck_props: the properties that compare clients. Per message, over
 * its deliveries (ec->dels): 2, 6, 9, 10, 14. Per pair of consecutive
 * views: 8. Per shared NETWORK view: 12. Over everything: 5, as one
 * acyclicity test of the union of every client's delivery order, with a
 * pairwise search for a witness only when it fails.
 */
#include "config.h"

#include "evscheck_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct cross {
    struct ec_checker *ec;
    int32_t *mark;          /* per client: the message it delivered last */
    int32_t m;
    const struct ec_msg *msg;
    const struct ec_del *dels;
    char pid[96];           /* "(sender,counter)" of the message */
};

static const struct ec_event *del_ev(const struct cross *x, uint32_t k)
{
    return &x->ec->clients[x->dels[k].client].ev[x->dels[k].ev];
}

static int32_t del_view(const struct cross *x, uint32_t k)
{
    return del_ev(x, k)->view;
}

static const char *del_where(const struct cross *x, uint32_t k, char *buf,
                             size_t len)
{
    return ec_where(x->ec, x->dels[k].client, x->dels[k].ev, buf, len);
}

static const char *cname(const struct ec_checker *ec, int32_t client)
{
    return ec_name(ec, ec->clients[client].name);
}

/* ---- 2: self delivery --------------------------------------------- */

static void check_self(struct cross *x)
{
    struct ec_checker *ec = x->ec;
    const struct ec_msg *m = x->msg;
    char w[512];

    if (m->sub_client < 0 || !m->member_at_submit ||
        ec->clients[m->sub_client].end != EE_QUIT ||
        x->mark[m->sub_client] == x->m)
        return;
    ec_report(ec, 2, "%s: %s submitted %s to %s as a member and quit "
              "normally, but never delivered it",
              ec_where(ec, m->sub_client, m->sub_ev, w, sizeof w),
              cname(ec, m->sub_client), x->pid, ec_name(ec, m->group));
}

/* ---- 6: same view for every receiver ------------------------------ */

struct side {
    int32_t next_vid;
    uint64_t sig;
    uint32_t k;
    uint8_t after;
};

static int cmp_side(const void *a, const void *b)
{
    const struct side *x = a, *y = b;

    if (x->next_vid != y->next_vid)
        return x->next_vid < y->next_vid ? -1 : 1;
    if (x->sig != y->sig)
        return x->sig < y->sig ? -1 : 1;
    return (x->after > y->after) - (x->after < y->after);
}

/* The reference delivery: the sender's own if it is in a settled view,
 * else the first in a settled view; -1 if all are unsettled. */
static int64_t reference(const struct cross *x)
{
    const struct ec_checker *ec = x->ec;
    int64_t ref = -1;
    uint32_t k;

    for (k = 0; k < x->msg->ndel; k++) {
        int32_t v = del_view(x, k);
        if (v < 0 || ec->views[v].unsettled)
            continue;
        if (ref < 0)
            ref = k;
        if (ec->clients[x->dels[k].client].name == x->msg->psender)
            return k;
    }
    return ref;
}

static void check_sides(struct cross *x, int32_t vid)
{
    struct ec_checker *ec = x->ec;
    struct side *s = ec_xmalloc((x->msg->ndel + 1) * sizeof *s);
    size_t n = 0, i;
    uint32_t k;
    char w1[512], w2[512];

    for (k = 0; k < x->msg->ndel; k++) {
        int32_t v = del_view(x, k), nv;
        if (v < 0 || ec->views[v].vid != vid || ec->views[v].next < 0)
            continue;
        nv = ec->views[v].next;
        s[n].next_vid = ec->views[nv].vid;
        s[n].sig = ec->views[nv].local_sig;
        s[n].k = k;
        s[n++].after = del_ev(x, k)->after_trans;
    }
    qsort(s, n, sizeof *s, cmp_side);
    for (i = 1; i < n; i++)
        if (s[i].next_vid == s[i - 1].next_vid && s[i].sig == s[i - 1].sig &&
            s[i].after != s[i - 1].after) {
            ec_report(ec, 6, "%s, %s: %s and %s leave the view together "
                      "(same next view and set) but deliver %s on "
                      "different sides of its TRANS",
                      del_where(x, s[i - 1].k, w1, sizeof w1),
                      del_where(x, s[i].k, w2, sizeof w2),
                      cname(ec, x->dels[s[i - 1].k].client),
                      cname(ec, x->dels[s[i].k].client), x->pid);
            break;
        }
    free(s);
}

static void check_same_view(struct cross *x)
{
    struct ec_checker *ec = x->ec;
    int64_t ref = reference(x);
    int32_t vid = -1, rv;
    uint32_t k;
    char w1[512], w2[512], g1[36], g2[36];

    if (ref < 0)
        return;
    rv = del_view(x, (uint32_t)ref);
    vid = ec->views[rv].vid;
    for (k = 0; k < x->msg->ndel; k++) {
        int32_t v = del_view(x, k), later;
        const struct ec_view *vv;
        if (v < 0)
            continue;
        vv = &ec->views[v];
        if (!vv->unsettled) {
            if (vv->vid == vid)
                continue;
            ec_report(ec, 6, "%s, %s: %s delivered in view %s at %s but in "
                      "%s at %s", del_where(x, (uint32_t)ref, w1, sizeof w1),
                      del_where(x, k, w2, sizeof w2), x->pid,
                      ec_gid_str(&ec->views[rv].gid, g1),
                      cname(ec, x->dels[ref].client),
                      ec_gid_str(&vv->gid, g2), cname(ec, x->dels[k].client));
            return;
        }
        /* Rule 74's unsettled view may stand for the others' view, but
         * not for one that this client installs only after it. */
        later = ec_view_of(ec, x->dels[k].client, vid);
        if (later >= 0 && ec->views[later].ev > vv->ev) {
            ec_report(ec, 6, "%s, %s: %s delivered in the unsettled view %s "
                      "at %s, but in %s, a later view there, at %s",
                      del_where(x, k, w1, sizeof w1),
                      del_where(x, (uint32_t)ref, w2, sizeof w2), x->pid,
                      ec_gid_str(&vv->gid, g1), cname(ec, x->dels[k].client),
                      ec_gid_str(&ec->views[rv].gid, g2),
                      cname(ec, x->dels[ref].client));
            return;
        }
    }
    check_sides(x, vid);
}

/* ---- 9 and 14: who may deliver ------------------------------------ */

static void check_members(struct cross *x)
{
    struct ec_checker *ec = x->ec;
    const struct ec_msg *m = x->msg;
    int32_t sc = ec_client_by_name(ec, m->psender), sv = -1;
    uint32_t k;
    int r9 = 0, r14 = 0;
    char w1[512], w2[512], g[36];

    if (sc >= 0 && x->mark[sc] == x->m)
        for (k = 0; k < m->ndel; k++)
            if (x->dels[k].client == sc) {
                sv = del_view(x, k);
                break;
            }
    for (k = 0; k < m->ndel; k++) {
        int32_t v = del_view(x, k);
        if (v < 0) {
            if (!r14++)
                ec_report(ec, 14, "%s: %s delivered outside any view of %s",
                          del_where(x, k, w1, sizeof w1), x->pid,
                          ec_name(ec, m->group));
            continue;
        }
        if (m->member_at_submit && !r9 &&
            !ec_has_member(ec->views[v].vc, m->psender)) {
            r9 = 1;
            ec_report(ec, 9, "%s, %s: %s, a member of %s when it sent %s, is "
                      "not in the view %s it was delivered in",
                      del_where(x, k, w1, sizeof w1),
                      ec_where(ec, m->sub_client, m->sub_ev, w2, sizeof w2),
                      ec_name(ec, m->psender), ec_name(ec, m->group), x->pid,
                      ec_gid_str(&ec->views[v].gid, g));
        }
        if (sv >= 0 && !r14 &&
            !ec_has_member(ec->views[sv].vc,
                           ec->clients[x->dels[k].client].name)) {
            r14 = 1;
            ec_report(ec, 14, "%s, %s: %s delivered %s, but is not a member "
                      "of view %s the sender delivered it in",
                      del_where(x, k, w1, sizeof w1),
                      ec_where(ec, sc, ec->views[sv].ev, w2, sizeof w2),
                      cname(ec, x->dels[k].client), x->pid,
                      ec_gid_str(&ec->views[sv].gid, g));
        }
    }
}

/* ---- 10: safe delivery -------------------------------------------- */

struct safe_key {
    int32_t vid;            /* the view (regular) or the next view */
    uint64_t sig;           /* 0, or the local set's signature */
    uint32_t k;
    int32_t view;           /* the instance whose members are checked */
};

static int cmp_safe(const void *a, const void *b)
{
    const struct safe_key *x = a, *y = b;

    if (x->vid != y->vid)
        return x->vid < y->vid ? -1 : 1;
    return (x->sig > y->sig) - (x->sig < y->sig);
}

/* Members (names) that must deliver: any whose log holds view vid with
 * a successor (regular) or holds vid at all (next view). */
static int missing_member(struct cross *x, const int32_t *names, uint32_t n,
                          int32_t vid, int need_next, int32_t *who)
{
    struct ec_checker *ec = x->ec;
    uint32_t i;

    for (i = 0; i < n; i++) {
        int32_t c2 = ec_client_by_name(ec, names[i]), inst;
        if (c2 < 0 || x->mark[c2] == x->m)
            continue;
        inst = ec_view_of(ec, c2, vid);
        if (inst < 0 || (need_next && ec->views[inst].next < 0))
            continue;
        *who = inst;
        return 1;
    }
    return 0;
}

static void check_safe(struct cross *x)
{
    struct ec_checker *ec = x->ec;
    struct safe_key *s = ec_xmalloc((x->msg->ndel + 1) * sizeof *s);
    size_t n = 0, i;
    uint32_t k;
    int32_t who;
    char w1[512], w2[512], g[36];

    for (k = 0; k < x->msg->ndel; k++) {
        int32_t v = del_view(x, k);
        const struct ec_view *vv;
        if (v < 0)
            continue;
        vv = &ec->views[v];
        if (!del_ev(x, k)->after_trans) {
            s[n].vid = vv->vid;
            s[n].sig = 0;
            s[n].view = v;
        } else if (vv->next >= 0) {
            s[n].vid = ec->views[vv->next].vid;
            s[n].sig = ec->views[vv->next].local_sig | 1;
            s[n].view = vv->next;
        } else
            continue;
        s[n++].k = k;
    }
    qsort(s, n, sizeof *s, cmp_safe);
    for (i = 0; i < n; i++) {
        const struct ec_view *vv = &ec->views[s[i].view];
        int found;
        if (i > 0 && cmp_safe(&s[i], &s[i - 1]) == 0)
            continue;
        if (s[i].sig == 0)
            found = missing_member(x, vv->vc->members, vv->vc->nmem,
                                   s[i].vid, 1, &who);
        else
            found = missing_member(x, vv->local_sorted, vv->nlocal,
                                   s[i].vid, 0, &who);
        if (!found)
            continue;
        ec_report(ec, 10, "%s, %s: SAFE %s delivered %s of view %s, but %s, "
                  "%s, went on to its next view without it",
                  del_where(x, s[i].k, w1, sizeof w1),
                  ec_where(ec, ec->views[who].client, ec->views[who].ev, w2,
                           sizeof w2), x->pid,
                  s[i].sig == 0 ? "in the regular part" :
                  "after the TRANS", ec_gid_str(
                      &ec->views[del_view(x, s[i].k)].gid, g),
                  cname(ec, ec->views[who].client),
                  s[i].sig == 0 ? "a member of that view" :
                  "in the same set of the next view");
        break;
    }
    free(s);
}

/* ---- 8: virtual synchrony ----------------------------------------- */

/* The messages of a view interval, sorted. */
static size_t interval_msgs(const struct ec_checker *ec,
                            const struct ec_view *v, int32_t **out)
{
    const struct ec_client *c = &ec->clients[v->client];
    int32_t i, *a = ec_xmalloc(((size_t)(v->end_ev - v->ev) + 1) *
                               sizeof *a);
    size_t n = 0;

    for (i = v->ev + 1; i < v->end_ev && (size_t)i < c->nev; i++) {
        const struct ec_event *e = &c->ev[i];
        if (e->kind == EK_MSG && e->group == v->group && !e->dup)
            a[n++] = e->msg;
    }
    qsort(a, n, sizeof *a, ec_cmp_i32);
    *out = a;
    return n;
}

/* A message in one interval and not the other: *only_a tells which. */
static int32_t interval_diff(const struct ec_checker *ec,
                             const struct ec_view *a,
                             const struct ec_view *b, int *only_a)
{
    int32_t *x, *y, r = -1;
    size_t nx = interval_msgs(ec, a, &x), ny = interval_msgs(ec, b, &y);
    size_t i = 0, j = 0;

    while (i < nx || j < ny) {
        if (j == ny || (i < nx && x[i] < y[j])) {
            r = x[i];
            *only_a = 1;
            break;
        }
        if (i == nx || y[j] < x[i]) {
            r = y[j];
            *only_a = 0;
            break;
        }
        i++;
        j++;
    }
    free(x);
    free(y);
    return r;
}

/* 1 if a report was made. */
static int vsync_report(struct ec_checker *ec, const struct ec_view *a,
                        const struct ec_view *b)
{
    int only_a = 0;
    int32_t m = interval_diff(ec, a, b, &only_a);
    const struct ec_msg *r;
    char w1[512], w2[512], g1[36], g2[36];

    if (m < 0)
        return 0;               /* equal after all: a digest collision */
    r = &ec->msgs[m];
    ec_report(ec, 8, "%s, %s: %s and %s both go from view %s to %s of %s, "
              "but (%s,%" PRIu32 ") is delivered in the first only at %s",
              ec_where(ec, a->client, a->ev, w1, sizeof w1),
              ec_where(ec, b->client, b->ev, w2, sizeof w2),
              cname(ec, a->client), cname(ec, b->client),
              ec_gid_str(&a->gid, g1),
              ec_gid_str(&ec->views[a->next].gid, g2), ec_name(ec, a->group),
              ec_name(ec, r->psender), r->counter,
              cname(ec, only_a ? a->client : b->client));
    return 1;
}

/* Clients moving together from V to V' (for a NETWORK V', in one own
 * set of it: ring.md 14.6) compare their intervals of V by digest, each
 * against the first such client; one report per pair of views and set.
 * Which side of the TRANS a message is on is property 6's business. */
static void check_vsync(struct ec_checker *ec)
{
    struct ec_map first = {0};
    size_t i;

    for (i = 0; i < ec->nviews; i++) {
        const struct ec_view *v = &ec->views[i], *f;
        uint64_t ka, kb;
        int32_t *slot;
        if (v->next < 0)
            continue;
        ka = ((uint64_t)(uint32_t)v->vid << 32) |
             (uint32_t)ec->views[v->next].vid;
        kb = ec->views[v->next].local_sig;
        slot = ec_map_ref(&first, ka, kb, -1);
        if (*slot < 0) {
            *slot = (int32_t)i * 2;
            continue;
        }
        if (*slot & 1)
            continue;           /* reported already */
        f = &ec->views[*slot / 2];
        if (memcmp(f->dig, v->dig, sizeof v->dig) != 0 &&
            vsync_report(ec, f, v))
            *slot |= 1;
    }
    ec_map_fini(&first);
}

/* ---- 12: the members of a set agree on it ------------------------- */

static void check_sets_agree(struct ec_checker *ec)
{
    struct ec_map seen = {0};
    size_t i;
    uint32_t j;
    char w1[512], w2[512], g[36];

    for (i = 0; i < ec->nviews; i++) {
        const struct ec_view *v = &ec->views[i];
        int32_t pvid = v->prev >= 0 ? ec->views[v->prev].vid : -1;
        if (v->cause != EC_NETWORK || v->local < 0 ||
            ec_map_get(&seen, (uint64_t)(uint32_t)v->vid, v->local_sig) >= 0)
            continue;
        ec_map_put(&seen, (uint64_t)(uint32_t)v->vid, v->local_sig, 1);
        for (j = 0; j < v->nlocal; j++) {
            int32_t c2 = ec_client_by_name(ec, v->local_sorted[j]), o;
            const struct ec_view *u;
            const char *why = NULL;
            if (c2 < 0 || c2 == v->client ||
                (o = ec_view_of(ec, c2, v->vid)) < 0)
                continue;
            u = &ec->views[o];
            if (u->local < 0)
                continue;       /* its own report says so */
            if (u->nlocal != v->nlocal ||
                memcmp(u->local_sorted, v->local_sorted,
                       v->nlocal * sizeof *v->local_sorted) != 0)
                why = "reports another own set";
            else if ((u->prev >= 0 ? ec->views[u->prev].vid : -1) != pvid)
                why = "came from another previous view";
            if (why == NULL)
                continue;
            ec_report(ec, 12, "%s, %s: in view %s of %s, %s (in %s's own "
                      "set) %s", ec_where(ec, v->client, v->ev, w1,
                                          sizeof w1),
                      ec_where(ec, u->client, u->ev, w2, sizeof w2),
                      ec_gid_str(&v->gid, g), ec_name(ec, v->group),
                      cname(ec, u->client), cname(ec, v->client), why);
            break;
        }
    }
    ec_map_fini(&seen);
}

/* ---- 5: total order ----------------------------------------------- */

struct order {
    struct ec_checker *ec;
    int min_serv;
    uint32_t *off;          /* CSR of the successor edges */
    int32_t *succ;
    int32_t *indeg;
    uint8_t *in_cycle;
};

static int eligible(const struct order *o, const struct ec_event *e)
{
    return e->kind == EK_MSG && !e->dup &&
           o->ec->msgs[e->msg].serv >= o->min_serv;
}

/* The edges: consecutive eligible deliveries of every client. */
static void order_graph(struct order *o)
{
    struct ec_checker *ec = o->ec;
    size_t ci, k, n = ec->nmsgs;

    o->off = ec_xcalloc(n + 2, sizeof *o->off);
    o->indeg = ec_xcalloc(n + 1, sizeof *o->indeg);
    for (int pass = 0; pass < 2; pass++) {
        for (ci = 0; ci < ec->nclients; ci++) {
            int32_t prev = -1;
            for (k = 0; k < ec->clients[ci].nev; k++) {
                const struct ec_event *e = &ec->clients[ci].ev[k];
                if (!eligible(o, e))
                    continue;
                if (prev >= 0 && pass == 0)
                    o->off[prev + 1]++;
                else if (prev >= 0) {
                    o->succ[o->off[prev]++] = e->msg;
                    o->indeg[e->msg]++;
                }
                prev = e->msg;
            }
        }
        if (pass == 0) {
            for (k = 0; k < n; k++)
                o->off[k + 1] += o->off[k];
            o->succ = ec_xmalloc((o->off[n] + 1) * sizeof *o->succ);
        } else {
            for (k = n; k > 0; k--)     /* off[k] advanced to off[k+1] */
                o->off[k] = o->off[k - 1];
            o->off[0] = 0;
        }
    }
}

/* Kahn's algorithm; what is left is on a cycle or after one. */
static size_t order_cycles(struct order *o)
{
    size_t n = o->ec->nmsgs, head = 0, tail = 0, k, left = 0;
    int32_t *queue = ec_xmalloc((n + 1) * sizeof *queue);
    uint32_t j;

    for (k = 0; k < n; k++)
        if (o->indeg[k] == 0)
            queue[tail++] = (int32_t)k;
    while (head < tail) {
        int32_t m = queue[head++];
        for (j = o->off[m]; j < o->off[m + 1]; j++)
            if (--o->indeg[o->succ[j]] == 0)
                queue[tail++] = o->succ[j];
    }
    free(queue);
    o->in_cycle = ec_xcalloc(n + 1, 1);
    for (k = 0; k < n; k++)
        if (o->indeg[k] > 0) {
            o->in_cycle[k] = 1;
            left++;
        }
    return left;
}

/* For one pair: the first two messages A and B deliver in opposite
 * orders. pos holds B's event index per message (-1: not delivered). */
static int order_pair(struct order *o, int32_t a, int32_t b,
                      const int32_t *pos)
{
    struct ec_checker *ec = o->ec;
    const struct ec_client *c = &ec->clients[a];
    int32_t lastpos = -1, lastev = -1;
    size_t k;
    char w1[512], w2[512];

    for (k = 0; k < c->nev; k++) {
        const struct ec_event *e = &c->ev[k];
        int32_t p;
        if (!eligible(o, e) || !o->in_cycle[e->msg] || (p = pos[e->msg]) < 0)
            continue;
        if (p < lastpos) {
            const struct ec_msg *m1 = &ec->msgs[c->ev[lastev].msg];
            const struct ec_msg *m2 = &ec->msgs[e->msg];
            ec_report(ec, 5, "%s, %s: %s delivers (%s,%" PRIu32 ") before "
                      "(%s,%" PRIu32 "), but %s delivers the first after the "
                      "second (%s:%" PRId32 ")",
                      ec_where(ec, a, lastev, w1, sizeof w1),
                      ec_where(ec, a, (int32_t)k, w2, sizeof w2),
                      cname(ec, a), ec_name(ec, m1->psender), m1->counter,
                      ec_name(ec, m2->psender), m2->counter, cname(ec, b),
                      ec->clients[b].path, ec->clients[b].ev[lastpos].line);
            return 1;
        }
        lastpos = p;
        lastev = (int32_t)k;
    }
    return 0;
}

/* Pairs of clients that deliver messages of the cyclic part, until a
 * budget of steps: a witness for each inverted pair. */
static void order_witnesses(struct order *o)
{
    struct ec_checker *ec = o->ec;
    int32_t *pos = ec_xmalloc((ec->nmsgs + 1) * sizeof *pos);
    size_t a, b, k, found = 0;
    uint64_t budget = 200000000;

    memset(pos, 0xff, (ec->nmsgs + 1) * sizeof *pos);
    for (b = 0; b < ec->nclients && budget > 0; b++) {
        const struct ec_client *cb = &ec->clients[b];
        for (k = 0; k < cb->nev; k++)
            if (eligible(o, &cb->ev[k]) && o->in_cycle[cb->ev[k].msg])
                pos[cb->ev[k].msg] = (int32_t)k;
        for (a = b + 1; a < ec->nclients && budget > 0; a++) {
            found += (size_t)order_pair(o, (int32_t)a, (int32_t)b, pos);
            budget -= budget < ec->clients[a].nev ? budget :
                      ec->clients[a].nev;
        }
        for (k = 0; k < cb->nev; k++)
            if (cb->ev[k].kind == EK_MSG)
                pos[cb->ev[k].msg] = -1;
    }
    if (found == 0 || budget == 0)
        ec_report(ec, 5, "%s: the delivery orders of the clients admit no "
                  "single total order%s", ec->nclients ?
                  ec->clients[0].path : "-", budget == 0 ?
                  " (search for more pairs stopped)" :
                  " although every two clients agree");
    free(pos);
}

static void check_total_order(struct ec_checker *ec)
{
    struct order o;

    memset(&o, 0, sizeof o);
    o.ec = ec;
    o.min_serv = ec->opts.strict_order ? ES_FIFO : ES_AGREED;
    order_graph(&o);
    if (order_cycles(&o) > 0)
        order_witnesses(&o);
    free(o.off);
    free(o.succ);
    free(o.indeg);
    free(o.in_cycle);
}

/* ---- the pass ----------------------------------------------------- */

void ec_cross_pass(struct ec_checker *ec)
{
    struct cross x;
    size_t i;
    uint32_t k;

    memset(&x, 0, sizeof x);
    x.ec = ec;
    x.mark = ec_xmalloc((ec->nclients + 1) * sizeof *x.mark);
    memset(x.mark, 0xff, (ec->nclients + 1) * sizeof *x.mark);
    for (i = 0; i < ec->nmsgs; i++) {
        x.m = (int32_t)i;
        x.msg = &ec->msgs[i];
        x.dels = ec->dels + x.msg->del_off;
        snprintf(x.pid, sizeof x.pid, "(%s,%" PRIu32 ")",
                 ec_name(ec, x.msg->psender), x.msg->counter);
        for (k = 0; k < x.msg->ndel; k++)
            x.mark[x.dels[k].client] = x.m;
        check_self(&x);
        if (x.msg->ndel == 0)
            continue;
        check_same_view(&x);
        check_members(&x);
        if (x.msg->serv == ES_SAFE)
            check_safe(&x);
    }
    free(x.mark);
    check_total_order(ec);
    check_vsync(ec);
    check_sets_agree(ec);
}
