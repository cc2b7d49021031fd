/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evslog: per-daemon delivery logs and the daemon-level EVS checker (see
 * evslog.h). The logs are recorded as they come; evslog_check() first
 * analyses them (configurations by id, epochs, deliveries by message),
 * then runs one function per property over that analysis.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evslog.h"

enum { EV_MSG = 1, EV_VIEW };

struct lev {
    int kind;
    uint32_t svc, orig;
    uint64_t pid;
    int view;                   /* EV_VIEW: index into e->views */
};

struct llog {
    uint32_t daemon;
    int killed;
    uint32_t nsent;
    struct lev *ev;
    size_t n, cap;
};

struct sent {
    uint64_t pid;
    int log;
    uint32_t svc, ctr;
};

struct evslog {
    struct llog *logs;
    int nlogs, caplogs;
    struct evslog_view *views;
    size_t nviews, capviews;
    struct sent *sent;
    size_t nsent, capsent;
    uint64_t ndeliv;
    int lenient_reliable;
};

/* ---- the analysis ------------------------------------------------------- */

struct conf {
    const struct evslog_view *v;
};

struct del {
    uint32_t msg;
    int part;                   /* 0 regular, 1 after the transitional view */
};

struct epoch {
    int log;
    uint32_t daemon;
    int c, t, next;             /* configurations; -1 none */
    size_t first, n;            /* deliveries e->dl[first .. first + n) */
    uint32_t *all, *reg;        /* sorted message indexes; all, regular */
    size_t nall, nreg;
};

struct an {
    struct evslog *e;
    struct conf *confs;
    int nconfs;
    struct epoch *ep;
    int nep, capep;
    struct del *dl;
    size_t ndl, capdl;
    unsigned mask;
    char why[EVS_NPROPS][320];
    int nomem;
};

static const char *const prop_names[EVS_NPROPS] = {
    "?", "unique configuration ids", "consistent configurations",
    "delivery in one configuration", "integrity", "self delivery",
    "failure atomicity", "total order", "no gaps", "safe delivery",
    "transitional configuration", "configuration-change order",
    "no foreign delivery", "liveness"
};

const char *evslog_prop_name(int prop)
{
    return prop > 0 && prop < EVS_NPROPS ? prop_names[prop] : "?";
}

static void bad(struct an *a, int prop, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void bad(struct an *a, int prop, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (a->mask & (1u << prop))
        return;
    a->mask |= 1u << prop;
    k = snprintf(a->why[prop], sizeof(a->why[prop]), "%s: ",
                 prop_names[prop]);
    va_start(ap, fmt);
    vsnprintf(a->why[prop] + k, sizeof(a->why[prop]) - (size_t)k, fmt, ap);
    va_end(ap);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t c = *cap ? *cap : 16;
    void *q;

    if (need <= *cap)
        return 0;
    while (c < need)
        c *= 2;
    q = realloc(*p, c * size);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

/* ---- recording -------------------------------------------------------------- */

int evslog_new(struct evslog **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

void evslog_free(struct evslog *e)
{
    int i;

    if (!e)
        return;
    for (i = 0; i < e->nlogs; i++)
        free(e->logs[i].ev);
    free(e->logs);
    free(e->views);
    free(e->sent);
    free(e);
}

int evslog_open(struct evslog *e, uint32_t daemon)
{
    size_t cap = (size_t)e->caplogs;

    if (grow((void **)&e->logs, &cap, (size_t)e->nlogs + 1,
             sizeof(*e->logs)) < 0)
        return -ENOMEM;
    e->caplogs = (int)cap;
    memset(&e->logs[e->nlogs], 0, sizeof(e->logs[0]));
    e->logs[e->nlogs].daemon = daemon;
    return e->nlogs++;
}

void evslog_lenient_reliable(struct evslog *e, int on)
{
    e->lenient_reliable = on;
}

void evslog_killed(struct evslog *e, int log)
{
    if (log >= 0 && log < e->nlogs)
        e->logs[log].killed = 1;
}

int evslog_sent(struct evslog *e, int log, uint64_t pid, uint32_t service)
{
    struct sent *s;

    if (log < 0 || log >= e->nlogs)
        return -EINVAL;
    if (grow((void **)&e->sent, &e->capsent, e->nsent + 1,
             sizeof(*e->sent)) < 0)
        return -ENOMEM;
    s = &e->sent[e->nsent++];
    s->pid = pid;
    s->log = log;
    s->svc = service;
    s->ctr = e->logs[log].nsent++;
    return 0;
}

static int add_ev(struct evslog *e, int log, const struct lev *v)
{
    struct llog *l;

    if (log < 0 || log >= e->nlogs)
        return -EINVAL;
    l = &e->logs[log];
    if (grow((void **)&l->ev, &l->cap, l->n + 1, sizeof(*l->ev)) < 0)
        return -ENOMEM;
    l->ev[l->n++] = *v;
    return 0;
}

int evslog_deliver(struct evslog *e, int log, uint32_t originator,
                   uint64_t pid, uint32_t service)
{
    struct lev v = { EV_MSG, service, originator, pid, -1 };

    e->ndeliv++;
    return add_ev(e, log, &v);
}

int evslog_view(struct evslog *e, int log, const struct evslog_view *view)
{
    struct lev v = { EV_VIEW, 0, 0, 0, (int)e->nviews };

    if (view->n > EVSLOG_MAX_MEMBERS)
        return -EINVAL;
    if (grow((void **)&e->views, &e->capviews, e->nviews + 1,
             sizeof(*e->views)) < 0)
        return -ENOMEM;
    e->views[e->nviews] = *view;
    if (add_ev(e, log, &v) < 0)
        return -ENOMEM;
    e->nviews++;
    return 0;
}

void evslog_stats(const struct evslog *e, struct evslog_stats *st)
{
    size_t i;

    memset(st, 0, sizeof(*st));
    st->logs = (unsigned)e->nlogs;
    st->views = (unsigned)e->nviews;
    st->sent = e->nsent;
    st->delivered = e->ndeliv;
    for (i = 0; i < e->nviews; i++) {
        size_t j;

        if (e->views[i].transitional)
            continue;
        for (j = 0; j < i; j++)
            if (!e->views[j].transitional && e->views[j].id ==
                e->views[i].id && e->views[j].time == e->views[i].time)
                break;
        st->regular_confs += j == i;
    }
}

/* ---- helpers ------------------------------------------------------------------ */

static int cmp_sent(const void *x, const void *y)
{
    const struct sent *a = x, *b = y;

    return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

    return a < b ? -1 : a > b;
}

static long msg_of(const struct evslog *e, uint64_t pid)
{
    size_t lo = 0, hi = e->nsent;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (e->sent[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < e->nsent && e->sent[lo].pid == pid ? (long)lo : -1;
}

static int has(const uint32_t *v, size_t n, uint32_t x)
{
    return bsearch(&x, v, n, sizeof(*v), cmp_u32) != NULL;
}

static int member(const struct evslog_view *v, uint32_t id)
{
    unsigned i;

    for (i = 0; i < v->n; i++)
        if (v->ids[i] == id)
            return 1;
    return 0;
}

static int ordered(uint32_t svc)
{
    return svc != EVSLOG_RELIABLE && svc != 0x01u;
}

static const char *msgname(const struct an *a, uint32_t msg, char *buf,
                           size_t len)
{
    const struct sent *s = &a->e->sent[msg];

    snprintf(buf, len, "message %#" PRIx64 " (log %d #%u svc %#x)", s->pid,
             s->log, (unsigned)s->ctr, (unsigned)s->svc);
    return buf;
}

static const char *confname(const struct an *a, int c, char *buf,
                            size_t len)
{
    const struct evslog_view *v;

    if (c < 0) {
        snprintf(buf, len, "(none)");
        return buf;
    }
    v = a->confs[c].v;
    snprintf(buf, len, "%s %#x.%d", v->transitional ? "T" : "C",
             (unsigned)v->id, (int)v->time);
    return buf;
}

/* The configuration of view v: an index into a->confs, added if new;
 * items 2 (and 1 for the member lists) checked on the way. */
static int conf_of(struct an *a, const struct evslog_view *v)
{
    size_t cap = (size_t)a->nconfs;
    int i;

    for (i = 0; i < a->nconfs; i++) {
        const struct evslog_view *w = a->confs[i].v;

        if (w->transitional != v->transitional || w->id != v->id ||
            w->time != v->time)
            continue;
        if (w->n != v->n ||
            memcmp(w->ids, v->ids, v->n * sizeof(v->ids[0])) != 0) {
            char b[64];

            bad(a, EVS_CONSISTENT_CONF, "%s installed with %u and with %u "
                "members (or another order)", confname(a, i, b, sizeof(b)),
                w->n, v->n);
        }
        return i;
    }
    if (grow((void **)&a->confs, &cap, (size_t)a->nconfs + 1,
             sizeof(*a->confs)) < 0) {
        a->nomem = 1;
        return 0;
    }
    a->confs[a->nconfs].v = v;
    return a->nconfs++;
}

static struct epoch *new_epoch(struct an *a, int log, int c)
{
    size_t cap = (size_t)a->capep;
    struct epoch *ep;

    if (grow((void **)&a->ep, &cap, (size_t)a->nep + 1, sizeof(*a->ep)) < 0) {
        a->nomem = 1;
        return NULL;
    }
    a->capep = (int)cap;
    ep = &a->ep[a->nep++];
    memset(ep, 0, sizeof(*ep));
    ep->log = log;
    ep->daemon = a->e->logs[log].daemon;
    ep->c = c;
    ep->t = ep->next = -1;
    ep->first = a->ndl;
    return ep;
}

/* A view event in log l; *cur is the open epoch (NULL before the first
 * regular view). */
static void walk_view(struct an *a, int l, const struct evslog_view *v,
                      struct epoch **cur)
{
    const struct llog *lg = &a->e->logs[l];
    int c = conf_of(a, v);
    char b[64];

    if (a->nomem)
        return;
    if (v->transitional) {
        if (!member(v, lg->daemon))
            bad(a, EVS_TRANSITIONAL, "log %d (daemon %#x): %s without "
                "itself", l, (unsigned)lg->daemon,
                confname(a, c, b, sizeof(b)));
        if (!*cur) {
            if (v->n != 1)
                bad(a, EVS_TRANSITIONAL, "log %d: %s of %u members before "
                    "any regular one", l, confname(a, c, b, sizeof(b)),
                    v->n);
        } else if ((*cur)->t >= 0) {
            bad(a, EVS_TRANSITIONAL, "log %d: two transitional "
                "configurations in %s", l,
                confname(a, (*cur)->c, b, sizeof(b)));
        } else {
            (*cur)->t = c;
        }
        return;
    }
    if (!member(v, lg->daemon))
        bad(a, EVS_CONSISTENT_CONF, "log %d (daemon %#x): %s without "
            "itself", l, (unsigned)lg->daemon, confname(a, c, b, sizeof(b)));
    if (*cur) {
        (*cur)->next = c;
        (*cur)->n = a->ndl - (*cur)->first;
    }
    *cur = new_epoch(a, l, c);
}

static void walk_msg(struct an *a, int l, const struct lev *v,
                     struct epoch *cur, int *seen)
{
    const struct llog *lg = &a->e->logs[l];
    long m = msg_of(a->e, v->pid);
    const struct sent *s;
    char b[96];

    if (m < 0) {
        bad(a, EVS_INTEGRITY, "log %d delivered %#" PRIx64 ", never sent",
            l, v->pid);
        return;
    }
    s = &a->e->sent[m];
    if (seen[m] == l + 1) {
        bad(a, EVS_INTEGRITY, "log %d delivered %s twice", l,
            msgname(a, (uint32_t)m, b, sizeof(b)));
        return;
    }
    seen[m] = l + 1;
    if (v->orig != a->e->logs[s->log].daemon ||
        ordered(v->svc) != ordered(s->svc) ||
        (v->svc == EVSLOG_SAFE) != (s->svc == EVSLOG_SAFE))
        bad(a, EVS_INTEGRITY, "log %d delivered %s from %#x svc %#x",
            l, msgname(a, (uint32_t)m, b, sizeof(b)), (unsigned)v->orig,
            (unsigned)v->svc);
    if (!cur) {
        bad(a, EVS_NO_FOREIGN, "log %d (daemon %#x) delivered %s before "
            "any configuration", l, (unsigned)lg->daemon,
            msgname(a, (uint32_t)m, b, sizeof(b)));
        return;
    }
    if (grow((void **)&a->dl, &a->capdl, a->ndl + 1, sizeof(*a->dl)) < 0) {
        a->nomem = 1;
        return;
    }
    a->dl[a->ndl].msg = (uint32_t)m;
    a->dl[a->ndl].part = cur->t >= 0;
    a->ndl++;
}

static int sorted_lists(struct an *a)
{
    int i;

    for (i = 0; i < a->nep; i++) {
        struct epoch *ep = &a->ep[i];
        size_t k;

        ep->all = malloc((ep->n ? ep->n : 1) * sizeof(*ep->all));
        ep->reg = malloc((ep->n ? ep->n : 1) * sizeof(*ep->reg));
        if (!ep->all || !ep->reg)
            return -ENOMEM;
        for (k = 0; k < ep->n; k++) {
            const struct del *d = &a->dl[ep->first + k];

            ep->all[ep->nall++] = d->msg;
            /* Leniency: which side of T an early RELIABLE delivery falls
             * on is not compared (item 3), nor then item 11. */
            if (!d->part && !(a->e->lenient_reliable &&
                              !ordered(a->e->sent[d->msg].svc)))
                ep->reg[ep->nreg++] = d->msg;
        }
        qsort(ep->all, ep->nall, sizeof(*ep->all), cmp_u32);
        qsort(ep->reg, ep->nreg, sizeof(*ep->reg), cmp_u32);
    }
    return 0;
}

static void an_free(struct an *a)
{
    int i;

    for (i = 0; i < a->nep; i++) {
        free(a->ep[i].all);
        free(a->ep[i].reg);
    }
    free(a->ep);
    free(a->dl);
    free(a->confs);
}

/* Configurations, epochs and deliveries of every log; items 2 and 4 and
 * parts of 10 and 12 are checked on the way. */
static int analyse(struct an *a, struct evslog *e)
{
    int *seen;
    int l;
    size_t i;

    memset(a, 0, sizeof(*a));
    a->e = e;
    if (e->nsent)
        qsort(e->sent, e->nsent, sizeof(*e->sent), cmp_sent);
    for (i = 1; i < e->nsent; i++)
        if (e->sent[i].pid == e->sent[i - 1].pid)
            bad(a, EVS_INTEGRITY, "payload id %#" PRIx64 " sent twice",
                e->sent[i].pid);
    seen = calloc(e->nsent ? e->nsent : 1, sizeof(*seen));
    if (!seen)
        return -ENOMEM;
    for (l = 0; l < e->nlogs && !a->nomem; l++) {
        const struct llog *lg = &e->logs[l];
        struct epoch *cur = NULL;

        for (i = 0; i < lg->n && !a->nomem; i++) {
            if (lg->ev[i].kind == EV_VIEW)
                walk_view(a, l, &e->views[lg->ev[i].view], &cur);
            else
                walk_msg(a, l, &lg->ev[i], cur, seen);
        }
        if (cur)
            cur->n = a->ndl - cur->first;
    }
    free(seen);
    if (a->nomem || sorted_lists(a) < 0)
        return -ENOMEM;
    return 0;
}

/* ---- the properties ------------------------------------------------------------ */

/* 1: a daemon installs a regular configuration at most once, over all its
 * incarnations. */
static void p_unique(struct an *a)
{
    int i, j;
    char b[64];

    for (i = 0; i < a->nep; i++)
        for (j = i + 1; j < a->nep; j++)
            if (a->ep[i].daemon == a->ep[j].daemon &&
                a->ep[i].c == a->ep[j].c)
                bad(a, EVS_UNIQUE_IDS, "daemon %#x installed %s twice "
                    "(logs %d and %d)", (unsigned)a->ep[i].daemon,
                    confname(a, a->ep[i].c, b, sizeof(b)), a->ep[i].log,
                    a->ep[j].log);
}

struct side {
    uint32_t msg;
    int c, t, part, log;
};

static int cmp_side(const void *x, const void *y)
{
    const struct side *a = x, *b = y;

    if (a->msg != b->msg)
        return a->msg < b->msg ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->log - b->log;
}

/* 3: one configuration per message; one side of T among daemons that
 * share T. 12: the originator is a member of that configuration. */
static int p_one_conf(struct an *a)
{
    struct side *s = malloc((a->ndl ? a->ndl : 1) * sizeof(*s));
    size_t n = 0, k;
    int i;
    char b[96], b2[64], b3[64];

    if (!s)
        return -ENOMEM;
    for (i = 0; i < a->nep; i++) {
        const struct epoch *ep = &a->ep[i];
        const struct evslog_view *cv = a->confs[ep->c].v;

        for (k = 0; k < ep->n; k++) {
            const struct del *d = &a->dl[ep->first + k];
            uint32_t orig = a->e->logs[a->e->sent[d->msg].log].daemon;

            s[n].msg = d->msg;
            s[n].c = ep->c;
            s[n].t = d->part ? ep->t : -1;
            s[n].part = d->part;
            s[n].log = ep->log;
            n++;
            if (!member(cv, orig))
                bad(a, EVS_NO_FOREIGN, "log %d delivered %s in %s, which "
                    "its originator %#x is not in", ep->log,
                    msgname(a, d->msg, b, sizeof(b)),
                    confname(a, ep->c, b2, sizeof(b2)), (unsigned)orig);
        }
    }
    qsort(s, n, sizeof(*s), cmp_side);
    for (k = 1; k < n; k++) {
        if (s[k].msg != s[k - 1].msg)
            continue;
        if (s[k].c != s[k - 1].c)
            bad(a, EVS_ONE_CONF, "%s delivered in %s (log %d) and in %s "
                "(log %d)", msgname(a, s[k].msg, b, sizeof(b)),
                confname(a, s[k - 1].c, b2, sizeof(b2)), s[k - 1].log,
                confname(a, s[k].c, b3, sizeof(b3)), s[k].log);
    }
    free(s);
    return 0;
}

/* 3 (same side of T): compare each delivery after a T with the other
 * daemons of that T. A daemon before T has part 0 and t of its epoch; so
 * the comparison is done per (message, T of the epoch). */
static int p_same_side(struct an *a)
{
    struct side *s = malloc((a->ndl ? a->ndl : 1) * sizeof(*s));
    size_t n = 0, k;
    int i;
    char b[96], b2[64];

    if (!s)
        return -ENOMEM;
    for (i = 0; i < a->nep; i++) {
        const struct epoch *ep = &a->ep[i];

        if (ep->t < 0)
            continue;
        for (k = 0; k < ep->n; k++) {
            if (a->e->lenient_reliable &&
                !ordered(a->e->sent[a->dl[ep->first + k].msg].svc))
                continue;
            s[n].msg = a->dl[ep->first + k].msg;
            s[n].c = ep->c;
            s[n].t = ep->t;
            s[n].part = a->dl[ep->first + k].part;
            s[n].log = ep->log;
            n++;
        }
    }
    qsort(s, n, sizeof(*s), cmp_side);
    for (k = 1; k < n; k++)
        if (s[k].msg == s[k - 1].msg && s[k].t == s[k - 1].t &&
            s[k].part != s[k - 1].part)
            bad(a, EVS_ONE_CONF, "%s delivered %s %s at log %d, %s it at "
                "log %d", msgname(a, s[k].msg, b, sizeof(b)),
                s[k - 1].part ? "after" : "before",
                confname(a, s[k].t, b2, sizeof(b2)), s[k - 1].log,
                s[k].part ? "after" : "before", s[k].log);
    free(s);
    return 0;
}

/* 5: every message accepted by a daemon that was not killed is delivered
 * by that daemon. */
static int p_self(struct an *a)
{
    unsigned char *got = calloc(a->e->nsent ? a->e->nsent : 1, 1);
    size_t m, k;
    int i;
    char b[96];

    if (!got)
        return -ENOMEM;
    for (i = 0; i < a->nep; i++)
        for (k = 0; k < a->ep[i].n; k++) {
            uint32_t msg = a->dl[a->ep[i].first + k].msg;

            if (a->e->sent[msg].log == a->ep[i].log)
                got[msg] = 1;
        }
    for (m = 0; m < a->e->nsent; m++)
        if (!got[m] && !a->e->logs[a->e->sent[m].log].killed)
            bad(a, EVS_SELF_DELIVERY, "%s never delivered by its sender",
                msgname(a, (uint32_t)m, b, sizeof(b)));
    free(got);
    return 0;
}

static int same_list(const uint32_t *x, size_t nx, const uint32_t *y,
                     size_t ny, uint32_t *diff)
{
    size_t i = 0, j = 0;

    while (i < nx || j < ny) {
        if (i < nx && j < ny && x[i] == y[j]) {
            i++;
            j++;
        } else {
            *diff = (j >= ny || (i < nx && x[i] < y[j])) ? x[i] : y[j];
            return 0;
        }
    }
    return 1;
}

/* 6: same (C, next) => same messages in C. 11: same (C, T) => same
 * messages before T. */
static void p_atomic(struct an *a)
{
    int i, j;
    uint32_t d;
    char b[96], b2[64], b3[64];

    for (i = 0; i < a->nep; i++)
        for (j = i + 1; j < a->nep; j++) {
            const struct epoch *x = &a->ep[i], *y = &a->ep[j];

            if (x->c != y->c)
                continue;
            if (x->next >= 0 && x->next == y->next &&
                !same_list(x->all, x->nall, y->all, y->nall, &d))
                bad(a, EVS_FAILURE_ATOMICITY, "logs %d and %d went from "
                    "%s to %s but only one delivered %s", x->log, y->log,
                    confname(a, x->c, b2, sizeof(b2)),
                    confname(a, x->next, b3, sizeof(b3)),
                    msgname(a, d, b, sizeof(b)));
            if (x->t >= 0 && x->t == y->t &&
                !same_list(x->reg, x->nreg, y->reg, y->nreg, &d))
                bad(a, EVS_CHANGE_ORDER, "logs %d and %d share %s but "
                    "only one delivered %s before it", x->log, y->log,
                    confname(a, x->t, b2, sizeof(b2)),
                    msgname(a, d, b, sizeof(b)));
        }
}

struct edge {
    uint32_t from, to;
};

static int cmp_edge(const void *x, const void *y)
{
    const struct edge *a = x, *b = y;

    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    return a->to < b->to ? -1 : a->to > b->to;
}

/* 7: one order. Consecutive ordered deliveries of every epoch are edges
 * of a graph over the messages; the orders agree iff it has no cycle. */
static int p_total_order(struct an *a)
{
    size_t nm = a->e->nsent, ne = 0, k, done = 0, head = 0;
    struct edge *ed = malloc((a->ndl ? a->ndl : 1) * sizeof(*ed));
    uint32_t *indeg = calloc(nm + 1, sizeof(*indeg));
    uint32_t *queue = malloc((nm + 1) * sizeof(*queue));
    unsigned char *node = calloc(nm + 1, 1);
    int i;
    char b[96];

    if (!ed || !indeg || !queue || !node) {
        free(ed), free(indeg), free(queue), free(node);
        return -ENOMEM;
    }
    for (i = 0; i < a->nep; i++) {
        long prev = -1;

        for (k = 0; k < a->ep[i].n; k++) {
            uint32_t m = a->dl[a->ep[i].first + k].msg;

            if (!ordered(a->e->sent[m].svc))
                continue;
            node[m] = 1;
            if (prev >= 0) {
                ed[ne].from = (uint32_t)prev;
                ed[ne++].to = m;
            }
            prev = m;
        }
    }
    qsort(ed, ne, sizeof(*ed), cmp_edge);
    for (k = 0; k < ne; k++) {
        if (k && !cmp_edge(&ed[k], &ed[k - 1]))
            continue;           /* the same edge seen by another daemon */
        indeg[ed[k].to]++;
    }
    for (k = 0; k < nm; k++)
        if (node[k] && !indeg[k])
            queue[done++] = (uint32_t)k;
    /* Kahn: edges of `from` are ed[...] with from == u, deduplicated. */
    while (head < done) {
        uint32_t u = queue[head++];
        struct edge key = { u, 0 };
        size_t lo = 0, hi = ne;

        while (lo < hi) {
            size_t mid = (lo + hi) / 2;

            if (cmp_edge(&ed[mid], &key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (k = lo; k < ne && ed[k].from == u; k++) {
            if (k && !cmp_edge(&ed[k], &ed[k - 1]))
                continue;
            if (--indeg[ed[k].to] == 0)
                queue[done++] = ed[k].to;
        }
    }
    for (k = 0; k < nm; k++)
        if (node[k] && indeg[k]) {
            bad(a, EVS_TOTAL_ORDER, "daemons disagree on the order around "
                "%s", msgname(a, (uint32_t)k, b, sizeof(b)));
            break;
        }
    free(ed), free(indeg), free(queue), free(node);
    return 0;
}

/* 7 (per-sender order): ordered messages of one sender log are delivered
 * in submission order by every log. */
static int p_sender_order(struct an *a)
{
    long *last = malloc((size_t)(a->e->nlogs ? a->e->nlogs : 1) *
                        sizeof(*last));
    int l, i;
    size_t k;
    char b[96];

    if (!last)
        return -ENOMEM;
    for (l = 0; l < a->e->nlogs; l++) {
        memset(last, 0xff, (size_t)a->e->nlogs * sizeof(*last));
        for (i = 0; i < a->nep; i++) {
            if (a->ep[i].log != l)
                continue;
            for (k = 0; k < a->ep[i].n; k++) {
                const struct sent *s =
                    &a->e->sent[a->dl[a->ep[i].first + k].msg];

                if (!ordered(s->svc))
                    continue;
                if ((long)s->ctr < last[s->log])
                    bad(a, EVS_TOTAL_ORDER, "log %d delivered %s after "
                        "#%ld of the same sender", l,
                        msgname(a, a->dl[a->ep[i].first + k].msg, b,
                                sizeof(b)), last[s->log]);
                last[s->log] = s->ctr;
            }
        }
    }
    free(last);
    return 0;
}

/* 8 for epoch x against epoch y of the same configuration; mark[m] is
 * 1 + part for the messages x delivered, 0 otherwise. */
static void gaps_vs(struct an *a, const struct epoch *x, const struct epoch *y,
                    const unsigned char *mark)
{
    size_t k, kreg = 0, ktr = 0;
    int i;
    char b[96], b2[64];

    for (k = 0; k < y->n; k++) {
        uint32_t m = a->dl[y->first + k].msg;

        if (!ordered(a->e->sent[m].svc))
            continue;
        if (mark[m] == 1)
            kreg = k + 1;
        else if (mark[m] == 2)
            ktr = k + 1;
    }
    for (k = 0; k < (kreg > ktr ? kreg : ktr); k++) {
        uint32_t m = a->dl[y->first + k].msg;

        if (!ordered(a->e->sent[m].svc) || mark[m])
            continue;
        if (k < kreg) {
            bad(a, EVS_NO_GAPS, "log %d skipped %s in the regular part of "
                "%s (log %d delivered it earlier in the order)", x->log,
                msgname(a, m, b, sizeof(b)),
                confname(a, x->c, b2, sizeof(b2)), y->log);
            return;
        }
        for (i = 0; i < a->nep; i++) {
            const struct epoch *g = &a->ep[i];

            if (g != x && g->c == x->c && g->t == x->t &&
                has(g->all, g->nall, m)) {
                bad(a, EVS_NO_GAPS, "log %d skipped %s after %s, which "
                    "log %d of the same transitional configuration "
                    "delivered", x->log, msgname(a, m, b, sizeof(b)),
                    confname(a, x->t, b2, sizeof(b2)), g->log);
                return;
            }
        }
    }
}

static int p_gaps(struct an *a)
{
    unsigned char *mark = calloc(a->e->nsent + 1, 1);
    int i, j;
    size_t k;

    if (!mark)
        return -ENOMEM;
    for (i = 0; i < a->nep; i++) {
        const struct epoch *x = &a->ep[i];

        for (k = 0; k < x->n; k++)
            mark[a->dl[x->first + k].msg] =
                (unsigned char)(1 + a->dl[x->first + k].part);
        for (j = 0; j < a->nep; j++)
            if (j != i && a->ep[j].c == x->c)
                gaps_vs(a, x, &a->ep[j], mark);
        for (k = 0; k < x->n; k++)
            mark[a->dl[x->first + k].msg] = 0;
    }
    free(mark);
    return 0;
}

static int daemon_killed(const struct an *a, uint32_t d)
{
    int l;

    for (l = 0; l < a->e->nlogs; l++)
        if (a->e->logs[l].daemon == d && a->e->logs[l].killed)
            return 1;
    return 0;
}

/* 9 for one SAFE message m that epoch x delivered (part 0 or 1). */
static void safe_one(struct an *a, const struct epoch *x, uint32_t m,
                     int part)
{
    const struct evslog_view *cv = a->confs[x->c].v;
    unsigned q;
    int i;
    char b[96], b2[64];

    for (q = 0; q < cv->n; q++) {
        int found = 0;

        if (cv->ids[q] == x->daemon)
            continue;
        for (i = 0; i < a->nep; i++) {
            const struct epoch *y = &a->ep[i];

            if (y->daemon != cv->ids[q] || y->c != x->c)
                continue;
            found = 1;
            if (part && y->t != x->t)
                continue;       /* not of my transitional configuration */
            if (y->next < 0 || has(y->all, y->nall, m))
                continue;
            bad(a, EVS_SAFE, "log %d delivered SAFE %s in %s%s; log %d "
                "moved on without it", x->log, msgname(a, m, b, sizeof(b)),
                part ? "the transitional part of " : "",
                confname(a, x->c, b2, sizeof(b2)), y->log);
            return;
        }
        if (!found && !part && !daemon_killed(a, cv->ids[q]))
            bad(a, EVS_SAFE, "log %d delivered SAFE %s in %s; member %#x "
                "never installed it and was not killed", x->log,
                msgname(a, m, b, sizeof(b)),
                confname(a, x->c, b2, sizeof(b2)), (unsigned)cv->ids[q]);
    }
}

static void p_safe(struct an *a)
{
    int i;
    size_t k;

    for (i = 0; i < a->nep; i++)
        for (k = 0; k < a->ep[i].n; k++) {
            const struct del *d = &a->dl[a->ep[i].first + k];

            if (a->e->sent[d->msg].svc == EVSLOG_SAFE)
                safe_one(a, &a->ep[i], d->msg, d->part);
        }
}

/* 10: between C and next a transitional T with T <= C & next, holding
 * exactly the daemons that go from C to next. */
static void p_trans(struct an *a)
{
    int i, j;
    unsigned k;
    char b[64], b2[64];

    for (i = 0; i < a->nep; i++) {
        const struct epoch *x = &a->ep[i];
        const struct evslog_view *tv;

        if (x->next < 0)
            continue;
        if (x->t < 0) {
            bad(a, EVS_TRANSITIONAL, "log %d went from %s to %s without a "
                "transitional configuration", x->log,
                confname(a, x->c, b, sizeof(b)),
                confname(a, x->next, b2, sizeof(b2)));
            continue;
        }
        tv = a->confs[x->t].v;
        for (k = 0; k < tv->n; k++)
            if (!member(a->confs[x->c].v, tv->ids[k]) ||
                !member(a->confs[x->next].v, tv->ids[k]))
                bad(a, EVS_TRANSITIONAL, "log %d: %#x of %s is not in both "
                    "%s and the next", x->log, (unsigned)tv->ids[k],
                    confname(a, x->t, b, sizeof(b)),
                    confname(a, x->c, b2, sizeof(b2)));
        for (j = 0; j < a->nep; j++) {
            const struct epoch *y = &a->ep[j];

            if (j == i || y->next != x->next)
                continue;
            if (member(tv, y->daemon) && (y->c != x->c || y->t != x->t))
                bad(a, EVS_TRANSITIONAL, "%#x is in %s of log %d but came "
                    "to the next configuration another way (log %d)",
                    (unsigned)y->daemon, confname(a, x->t, b, sizeof(b)),
                    x->log, y->log);
            else if (!member(tv, y->daemon) && y->c == x->c)
                bad(a, EVS_TRANSITIONAL, "log %d went from %s to the same "
                    "next configuration as log %d but is not in its %s",
                    y->log, confname(a, x->c, b2, sizeof(b2)), x->log,
                    confname(a, x->t, b, sizeof(b)));
        }
    }
}

int evslog_check(struct evslog *e, char *why, size_t whylen)
{
    struct an a;
    int p, rc = 0;

    if (analyse(&a, e) < 0) {
        an_free(&a);
        return -ENOMEM;
    }
    p_unique(&a);
    if (p_one_conf(&a) < 0 || p_same_side(&a) < 0 || p_self(&a) < 0 ||
        p_total_order(&a) < 0 || p_sender_order(&a) < 0 || p_gaps(&a) < 0)
        rc = -ENOMEM;
    p_atomic(&a);
    p_safe(&a);
    p_trans(&a);
    if (whylen)
        why[0] = 0;
    for (p = 1; p < EVS_NPROPS && whylen; p++)
        if (a.mask & (1u << p)) {
            snprintf(why, whylen, "%s", a.why[p]);
            break;
        }
    if (!rc)
        rc = (int)a.mask;
    an_free(&a);
    return rc;
}

static int live_one(struct an *a, const int *live, unsigned n,
                    const struct epoch **last)
{
    unsigned i;
    int k;
    char b[64];

    for (i = 0; i < n; i++) {
        last[i] = NULL;
        for (k = 0; k < a->nep; k++)
            if (a->ep[k].log == live[i])
                last[i] = &a->ep[k];
        if (!last[i] || last[i]->t >= 0) {
            bad(a, EVS_LIVENESS, "log %d (daemon %#x) ends %s", live[i],
                (unsigned)a->e->logs[live[i]].daemon, last[i] ?
                "inside a configuration change" : "with no configuration");
            return -1;
        }
        if (last[i]->c != last[0]->c) {
            bad(a, EVS_LIVENESS, "logs %d and %d end in different "
                "configurations", live[0], live[i]);
            return -1;
        }
    }
    if (n && a->confs[last[0]->c].v->n != n) {
        bad(a, EVS_LIVENESS, "the final %s has %u members, %u daemons live",
            confname(a, last[0]->c, b, sizeof(b)),
            a->confs[last[0]->c].v->n, n);
        return -1;
    }
    return 0;
}

int evslog_check_live(struct evslog *e, const int *live, unsigned n,
                      char *why, size_t whylen)
{
    const struct epoch **last = calloc(n ? n : 1, sizeof(*last));
    struct an a;
    unsigned i;
    uint32_t d;
    int rc;
    char b[96];

    if (!last)
        return -ENOMEM;
    if (analyse(&a, e) < 0) {
        free(last);
        an_free(&a);
        return -ENOMEM;
    }
    a.mask = 0;
    if (live_one(&a, live, n, last) == 0)
        for (i = 1; i < n; i++)
            if (!same_list(last[0]->all, last[0]->nall, last[i]->all,
                           last[i]->nall, &d)) {
                bad(&a, EVS_LIVENESS, "logs %d and %d end in one "
                    "configuration but only one delivered %s in it",
                    live[0], live[i], msgname(&a, d, b, sizeof(b)));
                break;
            }
    if (!a.mask && p_self(&a) == 0 && (a.mask & (1u << EVS_SELF_DELIVERY)))
        bad(&a, EVS_LIVENESS, "%s", a.why[EVS_SELF_DELIVERY]);
    if (whylen)
        snprintf(why, whylen, "%s", a.mask ? a.why[EVS_LIVENESS] : "");
    rc = a.mask & (1u << EVS_LIVENESS);
    free(last);
    an_free(&a);
    return rc;
}
