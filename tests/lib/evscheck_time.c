/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evscheck_time: the fault timeline and the properties that need it or
 * need times: 15 (clients of a crashed daemon) and 16 (timeliness
 * bounds). The network is modelled as a partition of the daemons into
 * components plus the set of live daemons; a daemon's component is the
 * live daemons that share its part.
 */
#include "config.h"

#include "evscheck_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void add_daemon(struct ec_checker *ec, int32_t d)
{
    size_t i;

    for (i = 0; i < ec->ndaemons; i++)
        if (ec->daemons[i] == d)
            return;
    EC_GROW(ec->daemons, ec->ndaemons, ec->cap_daemons);
    ec->daemons[ec->ndaemons++] = d;
}

static const char *parse_fault(struct ec_checker *ec, struct ec_fault *f,
                               char **w, size_t nw)
{
    size_t i;

    if (ec_parse_time(w[0], &f->t) != 0 || f->t == EC_NOTIME)
        return "a fault needs a time in milliseconds";
    if (strcmp(w[1], "HEAL") == 0) {
        f->kind = EF_HEAL;
        return nw == 2 ? NULL : "HEAL takes no fields";
    }
    if (strcmp(w[1], "CRASH") == 0 || strcmp(w[1], "RESTART") == 0) {
        if (nw != 3)
            return "CRASH and RESTART need one daemon";
        f->kind = w[1][0] == 'C' ? EF_CRASH : EF_RESTART;
        f->daemon = ec_intern(ec, w[2]);
        add_daemon(ec, f->daemon);
        return NULL;
    }
    if (strcmp(w[1], "PARTITION") != 0)
        return "unknown fault (CRASH, RESTART, PARTITION, HEAL)";
    f->kind = EF_PARTITION;
    f->comp = ec_xmalloc((nw + 1) * sizeof *f->comp);
    for (i = 2; i < nw; i++) {
        if (strcmp(w[i], "|") == 0)
            f->comp[f->ncomp++] = -1;
        else {
            f->comp[f->ncomp] = ec_intern(ec, w[i]);
            add_daemon(ec, f->comp[f->ncomp++]);
        }
    }
    return f->ncomp > 0 ? NULL : "PARTITION needs daemons";
}

void ec_parse_faults(struct ec_checker *ec, const char *label,
                     const char *text)
{
    char *buf = ec_xstrdup(text), *line = buf, *nl, **w = NULL;
    size_t cap = 0, nw;
    int32_t lineno = 0;

    for (; line != NULL; line = nl) {
        struct ec_fault f;
        const char *err;
        if ((nl = strchr(line, '\n')) != NULL)
            *nl++ = '\0';
        lineno++;
        nw = ec_split(line, &w, &cap);
        if (nw == 0 || w[0][0] == '#')
            continue;
        memset(&f, 0, sizeof f);
        f.line = lineno;
        f.daemon = -1;
        err = nw < 2 ? "a record is TIME KIND FIELDS" :
                       parse_fault(ec, &f, w, nw);
        if (err != NULL) {
            ec_report(ec, 0, "%s:%" PRId32 ": %s", label, lineno, err);
            free(f.comp);
            continue;
        }
        EC_GROW(ec->faults, ec->nfaults, ec->cap_faults);
        f.path = label;
        ec->faults[ec->nfaults++] = f;
    }
    free(w);
    free(buf);
    /* The label must outlive the parse: keep a copy as a name. */
    for (nw = 0; nw < ec->nfaults; nw++)
        if (ec->faults[nw].path == label)
            ec->faults[nw].path = ec_name(ec, ec_intern(ec, label));
}

/* ---- the model ---------------------------------------------------- */

struct net {
    size_t nd;
    uint8_t *alive, *alive0;
    int32_t *comp, *comp0;
    int32_t *idx;           /* per name id: daemon index, -1 */
    int32_t *of;            /* per name id: its daemon's index, -1 */
};

static void apply(const struct ec_fault *f, struct net *n)
{
    size_t i;
    int32_t part = 1;

    memcpy(n->alive0, n->alive, n->nd);
    memcpy(n->comp0, n->comp, n->nd * sizeof *n->comp);
    switch (f->kind) {
    case EF_CRASH:
        n->alive[n->idx[f->daemon]] = 0;
        break;
    case EF_RESTART:
        n->alive[n->idx[f->daemon]] = 1;
        break;
    case EF_HEAL:
        memset(n->comp, 0, n->nd * sizeof *n->comp);
        break;
    default:
        for (i = 0; i < n->nd; i++)
            n->comp[i] = -1 - (int32_t)i;       /* alone unless listed */
        for (i = 0; i < f->ncomp; i++) {
            if (f->comp[i] < 0)
                part++;
            else
                n->comp[n->idx[f->comp[i]]] = part;
        }
        break;
    }
}

static int together(const uint8_t *alive, const int32_t *comp, int32_t a,
                    int32_t b)
{
    return alive[a] && alive[b] && comp[a] == comp[b];
}

static int cmp_fault(const void *a, const void *b)
{
    const struct ec_fault *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->path != y->path)
        return strcmp(x->path, y->path);
    return (x->line > y->line) - (x->line < y->line);
}

/* The deadline of something due `bound` after t, restarted by every
 * fault that happens before it is due (faults sorted). */
static int64_t deadline(const struct ec_checker *ec, int64_t t, int64_t bound)
{
    int64_t d = t + bound;
    size_t i;

    for (i = 0; i < ec->nfaults; i++)
        if (ec->faults[i].t > t && ec->faults[i].t <= d &&
            ec->faults[i].t + bound > d)
            d = ec->faults[i].t + bound;
    return d;
}

/* Until when the log tells what the client got. */
static int64_t seen_until(const struct ec_client *c)
{
    return c->end != EE_NONE && c->end_t != EC_NOTIME ? c->end_t : c->last_t;
}

static int open_at(const struct ec_client *c, int64_t t)
{
    return c->first_t != EC_NOTIME && c->first_t <= t &&
           !(c->end != EE_NONE && c->end_t != EC_NOTIME && c->end_t <= t);
}

/* ---- 15: crashes -------------------------------------------------- */

static void check_crash(struct ec_checker *ec, const struct ec_fault *f)
{
    size_t ci, k;
    char w[512];

    for (ci = 0; ci < ec->nclients; ci++) {
        const struct ec_client *c = &ec->clients[ci];
        if (c->daemon != f->daemon || !open_at(c, f->t))
            continue;
        if (c->end == EE_QUIT && c->end_t != EC_NOTIME) {
            ec_report(ec, 15, "%s:%" PRId32 ", %s:%" PRId32 ": %s ended its "
                      "connection normally after its daemon crashed",
                      f->path, f->line, c->path, c->ev[c->nev - 1].line,
                      ec_name(ec, c->name));
            continue;
        }
        if (ec->opts.crash_slack_ms <= 0)
            continue;
        for (k = 0; k < c->nev; k++)
            if (c->ev[k].kind != EK_END && c->ev[k].t != EC_NOTIME &&
                c->ev[k].t > f->t + ec->opts.crash_slack_ms) {
                ec_report(ec, 15, "%s:%" PRId32 ", %s: %s still received "
                          "%" PRId64 " ms after its daemon crashed",
                          f->path, f->line,
                          ec_where(ec, (int32_t)ci, (int32_t)k, w, sizeof w),
                          ec_name(ec, c->name), c->ev[k].t - f->t);
                break;
            }
    }
}

/* ---- 16: views after faults --------------------------------------- */

struct gd {
    int32_t group, daemon;
};

static int cmp_gd(const void *a, const void *b)
{
    const struct gd *x = a, *y = b;

    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return (x->daemon > y->daemon) - (x->daemon < y->daemon);
}

struct views_at {
    struct ec_checker *ec;
    struct net *n;
    int32_t *gcur;          /* per name id: current view at t, -1 */
    int32_t *groups;        /* groups with a current view */
    size_t ngroups, cap_groups;
    struct gd *gd;          /* who is a member of what at t */
    size_t ngd, cap_gd;
};

/* The client's current views at t, in va->gcur / va->groups. */
static void views_at(struct views_at *va, const struct ec_client *c,
                     int64_t t)
{
    size_t k;

    for (k = 0; k < va->ngroups; k++)
        va->gcur[va->groups[k]] = -1;
    va->ngroups = 0;
    for (k = 0; k < c->nev && (c->ev[k].t == EC_NOTIME || c->ev[k].t <= t);
         k++) {
        const struct ec_event *e = &c->ev[k];
        if (e->kind == EK_REG) {
            if (va->gcur[e->group] < 0) {
                EC_GROW(va->groups, va->ngroups, va->cap_groups);
                va->groups[va->ngroups++] = e->group;
            }
            va->gcur[e->group] = e->view;
        } else if (e->kind == EK_LEFT)
            va->gcur[e->group] = -1;
    }
}

static int gained(const struct views_at *va, int32_t g, int32_t dc)
{
    const struct net *n = va->n;
    struct gd key = {g, -1};
    size_t lo = 0, hi = va->ngd;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_gd(&va->gd[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < va->ngd && va->gd[lo].group == g; lo++) {
        int32_t d = va->gd[lo].daemon;
        if (together(n->alive, n->comp, d, dc) &&
            !together(n->alive0, n->comp0, d, dc))
            return 1;
    }
    return 0;
}

static int lost(const struct views_at *va, const struct ec_view *v,
                int32_t dc)
{
    const struct net *n = va->n;
    uint32_t i;

    for (i = 0; i < v->vc->nmem; i++) {
        int32_t d = n->of[v->vc->members[i]];
        if (d >= 0 && d != dc && !together(n->alive, n->comp, d, dc))
            return 1;
    }
    return 0;
}

static void member_index(struct views_at *va, int64_t t)
{
    struct ec_checker *ec = va->ec;
    size_t ci, k;

    va->ngd = 0;
    for (ci = 0; ci < ec->nclients; ci++) {
        const struct ec_client *c = &ec->clients[ci];
        if (c->daemon < 0 || !open_at(c, t))
            continue;
        views_at(va, c, t);
        for (k = 0; k < va->ngroups; k++) {
            if (va->gcur[va->groups[k]] < 0)
                continue;
            EC_GROW(va->gd, va->ngd, va->cap_gd);
            va->gd[va->ngd].group = va->groups[k];
            va->gd[va->ngd++].daemon = va->n->idx[c->daemon];
        }
    }
    if (va->ngd > 1)
        qsort(va->gd, va->ngd, sizeof *va->gd, cmp_gd);
}

/* A NETWORK view of g in (t, until]? */
static int network_view(const struct ec_client *c, int32_t g, int64_t t,
                        int64_t until, const struct ec_checker *ec)
{
    size_t k;

    for (k = 0; k < c->nev; k++) {
        const struct ec_event *e = &c->ev[k];
        if (e->kind == EK_REG && e->group == g && e->t != EC_NOTIME &&
            e->t > t && e->t <= until &&
            ec->views[e->view].cause == EC_NETWORK)
            return 1;
    }
    return 0;
}

static void check_views_after(struct views_at *va, const struct ec_fault *f)
{
    struct ec_checker *ec = va->ec;
    size_t ci, k;

    member_index(va, f->t);
    for (ci = 0; ci < ec->nclients; ci++) {
        const struct ec_client *c = &ec->clients[ci];
        int32_t dc = c->daemon >= 0 ? va->n->idx[c->daemon] : -1;
        if (dc < 0 || !va->n->alive[dc] || !open_at(c, f->t))
            continue;
        views_at(va, c, f->t);
        for (k = 0; k < va->ngroups; k++) {
            int32_t g = va->groups[k], v = va->gcur[g];
            int64_t bound = 0, due;
            if (v < 0)
                continue;
            if (ec->opts.net_view_ms > 0 && lost(va, &ec->views[v], dc))
                bound = ec->opts.net_view_ms;
            if (ec->opts.merge_view_ms > bound && gained(va, g, dc))
                bound = ec->opts.merge_view_ms;
            if (bound == 0)
                continue;
            due = deadline(ec, f->t, bound);
            if (network_view(c, g, f->t, due, ec) || seen_until(c) < due)
                continue;
            ec_report(ec, 16, "%s:%" PRId32 ", %s: %s got no NETWORK view of "
                      "%s within %" PRId64 " ms of this fault",
                      f->path, f->line, c->path, ec_name(ec, c->name),
                      ec_name(ec, g), due - f->t);
        }
    }
}

/* ---- 16: own messages back ---------------------------------------- */

static void check_self_delivery(struct ec_checker *ec)
{
    int64_t bound = ec->opts.self_delivery_ms;
    size_t i;
    uint32_t k;
    char w[512];

    for (i = 0; i < ec->nmsgs; i++) {
        const struct ec_msg *m = &ec->msgs[i];
        const struct ec_client *s;
        int64_t due, got = EC_NOTIME;
        if (m->sub_client < 0 || !m->member_at_submit ||
            m->sub_t == EC_NOTIME)
            continue;
        s = &ec->clients[m->sub_client];
        due = deadline(ec, m->sub_t, bound);
        for (k = 0; k < m->ndel; k++) {
            const struct ec_del *d = &ec->dels[m->del_off + k];
            if (d->client == m->sub_client) {
                got = s->ev[d->ev].t;
                break;
            }
        }
        if (k < m->ndel ? got == EC_NOTIME || got <= due :
                          seen_until(s) == EC_NOTIME || seen_until(s) < due)
            continue;
        ec_report(ec, 16, "%s: (%s,%" PRIu32 ") %s within %" PRId64 " ms",
                  ec_where(ec, m->sub_client, m->sub_ev, w, sizeof w),
                  ec_name(ec, m->psender), m->counter,
                  k < m->ndel ? "came back to its sender, but not" :
                  "never came back to its sender", due - m->sub_t);
    }
}

/* ---- the pass ----------------------------------------------------- */

void ec_time_pass(struct ec_checker *ec)
{
    struct net n;
    struct views_at va;
    size_t i;

    if (ec->nfaults > 1)
        qsort(ec->faults, ec->nfaults, sizeof *ec->faults, cmp_fault);
    if (ec->opts.self_delivery_ms > 0)
        check_self_delivery(ec);
    if (ec->nfaults == 0)
        return;
    /* Every member's daemon, first: naming them may add names. */
    for (i = 0; i < ec->nnames; i++)
        if (ec->names[i][0] == '#')
            (void)ec_daemon_of(ec, (int32_t)i);
    memset(&n, 0, sizeof n);
    memset(&va, 0, sizeof va);
    n.nd = ec->ndaemons;
    n.alive = ec_xmalloc(n.nd + 1);
    n.alive0 = ec_xmalloc(n.nd + 1);
    memset(n.alive, 1, n.nd + 1);
    n.comp = ec_xcalloc(n.nd + 1, sizeof *n.comp);
    n.comp0 = ec_xcalloc(n.nd + 1, sizeof *n.comp0);
    n.idx = ec_xmalloc((ec->nnames + 1) * sizeof *n.idx);
    memset(n.idx, 0xff, (ec->nnames + 1) * sizeof *n.idx);
    for (i = 0; i < n.nd; i++)
        n.idx[ec->daemons[i]] = (int32_t)i;
    n.of = ec_xmalloc((ec->nnames + 1) * sizeof *n.of);
    for (i = 0; i < ec->nnames; i++) {
        int32_t d = ec->names[i][0] == '#' ? ec_daemon_of(ec, (int32_t)i) : -1;
        n.of[i] = d >= 0 ? n.idx[d] : -1;
    }
    va.ec = ec;
    va.n = &n;
    va.gcur = ec_xmalloc((ec->nnames + 1) * sizeof *va.gcur);
    memset(va.gcur, 0xff, (ec->nnames + 1) * sizeof *va.gcur);
    for (i = 0; i < ec->nfaults; i++) {
        const struct ec_fault *f = &ec->faults[i];
        apply(f, &n);
        if (f->kind == EF_CRASH)
            check_crash(ec, f);
        if (f->kind != EF_RESTART &&
            (ec->opts.net_view_ms > 0 || ec->opts.merge_view_ms > 0))
            check_views_after(&va, f);
    }
    free(n.alive);
    free(n.alive0);
    free(n.comp);
    free(n.comp0);
    free(n.idx);
    free(n.of);
    free(va.gcur);
    free(va.groups);
    free(va.gd);
}
