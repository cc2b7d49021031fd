/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flush/engine: the flush layer's state machine (see engine.h). Section
 * numbers below refer to shared/spec/flush.md.
 *
 * A group record moves through two state variables, each written only by
 * its set_*() function:
 *   view:  steady -> requested (a Spread change became current: flush
 *          request handed out) -> flushed (our FLUSH_OK sent) -> settling
 *          (view installed, FLUSH_RECVs outstanding) -> steady.
 *   memb:  joining (record made by the first Spread membership) -> member
 *          (first view installed) -> leaving (FL_leave); the record is
 *          discarded at the self-leave notice.
 */
#include "config.h"

#include "engine.h"
#include "codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Orphan FLUSH_OK records older than this many memberships go (7.3). */
#define ORPHAN_MAX_AGE 200
/* FL_poll's per-message bookkeeping figure (5.7). */
#define READY_RECORD_BYTES 88

static int name_eq(const char *a, const char *b)
{
    return strncmp(a, b, MAX_GROUP_NAME) == 0;
}

/* ---- messages ------------------------------------------------------ */

struct fle_msg *fle_msg_new(int ngroups, size_t len)
{
    size_t gbytes = ((size_t)ngroups + 1) * MAX_GROUP_NAME;
    struct fle_msg *m;

    if (ngroups < 0)
        return NULL;
    m = calloc(1, sizeof *m + gbytes + len + 1);
    if (m == NULL)
        return NULL;
    m->groups = (char (*)[MAX_GROUP_NAME])(void *)(m + 1);
    m->body = (unsigned char *)(m + 1) + gbytes;
    m->ngroups = ngroups;
    m->len = len;
    return m;
}

void fle_msg_free(struct fle_msg *m)
{
    free(m);
}

static void msg_list_free(struct fle_msg *m)
{
    while (m != NULL) {
        struct fle_msg *next = m->next;
        fle_msg_free(m);
        m = next;
    }
}

/* Hand a message to the application (7.9): the ready queue's order is
 * the order FL_receive returns them. */
static void hand_out(struct fle_conn *c, struct fle_msg *m)
{
    m->next = NULL;
    *c->ready_tail = m;
    c->ready_tail = &m->next;
    c->nready++;
    c->ready_bytes += READY_RECORD_BYTES + (long)m->ngroups * MAX_GROUP_NAME +
                      (long)m->len;
}

struct fle_msg *fle_ready_head(struct fle_conn *c)
{
    return c->ready;
}

void fle_ready_pop(struct fle_conn *c)
{
    struct fle_msg *m = c->ready;

    if (m == NULL)
        return;
    c->ready = m->next;
    if (c->ready == NULL)
        c->ready_tail = &c->ready;
    c->nready--;
    c->ready_bytes -= READY_RECORD_BYTES +
                      (long)m->ngroups * MAX_GROUP_NAME + (long)m->len;
    fle_msg_free(m);
}

/* A bodiless notice from the layer about group g (8.1). */
static void hand_out_notice(struct fle_conn *c, const struct fle_group *g,
                            service serv, int16 type)
{
    struct fle_msg *m = fle_msg_new(0, 0);

    if (m == NULL) {
        c->dropped++;
        return;
    }
    m->serv = serv;
    m->mess_type = type;
    memcpy(m->sender, g->name, MAX_GROUP_NAME);
    hand_out(c, m);
}

/* ---- changes ------------------------------------------------------- */

static struct fle_change *change_new(int n)
{
    struct fle_change *ch = calloc(1, sizeof *ch);

    if (ch == NULL)
        return NULL;
    ch->members = calloc((size_t)n + 1, MAX_GROUP_NAME);
    ch->remaining = calloc((size_t)n + 1, 1);
    if (ch->members == NULL || ch->remaining == NULL) {
        free(ch->members);
        free(ch->remaining);
        free(ch);
        return NULL;
    }
    ch->n = n;
    return ch;
}

static void change_free(struct fle_change *ch)
{
    if (ch == NULL)
        return;
    free(ch->members);
    free(ch->remaining);
    free(ch->oks);
    free(ch);
}

static void change_list_free(struct fle_change *ch)
{
    while (ch != NULL) {
        struct fle_change *next = ch->next;
        change_free(ch);
        ch = next;
    }
}

static int change_member(const struct fle_change *ch, const char *name)
{
    int i;

    for (i = 0; i < ch->n; i++)
        if (name_eq(ch->members[i], name))
            return i;
    return -1;
}

static int change_remains(const struct fle_change *ch, const char *name)
{
    int i = change_member(ch, name);

    return i >= 0 && ch->remaining[i];
}

/* Take name out of the remaining set. Returns 1 if it was there. */
static int change_remove(struct fle_change *ch, const char *name)
{
    int i = change_member(ch, name);

    if (i < 0 || !ch->remaining[i])
        return 0;
    ch->remaining[i] = 0;
    ch->nremaining--;
    return 1;
}

static int change_has_ok(const struct fle_change *ch, const char *name)
{
    int i;

    for (i = 0; i < ch->noks; i++)
        if (name_eq(ch->oks[i], name))
            return 1;
    return 0;
}

static int change_add_ok(struct fle_change *ch, const char *name)
{
    if (change_has_ok(ch, name))
        return 0;
    if (ch->noks == ch->oks_cap) {
        int cap = ch->oks_cap ? ch->oks_cap * 2 : 4;
        void *p = realloc(ch->oks, (size_t)cap * MAX_GROUP_NAME);
        if (p == NULL)
            return -ENOMEM;
        ch->oks = p;
        ch->oks_cap = cap;
    }
    memcpy(ch->oks[ch->noks++], name, MAX_GROUP_NAME);
    return 0;
}

static int id_eq(const group_id *a, const group_id *b)
{
    return memcmp(a->id, b->id, sizeof a->id) == 0;
}

/* ---- group records ------------------------------------------------- */

const char *fle_view_state_name(enum fle_view_state s)
{
    static const char *const names[] = { "steady", "requested", "flushed",
                                         "settling" };
    return (unsigned)s < 4 ? names[s] : "?";
}

const char *fle_memb_state_name(enum fle_memb_state s)
{
    static const char *const names[] = { "joining", "member", "leaving" };
    return (unsigned)s < 3 ? names[s] : "?";
}

/* The one door for the view state (the library does not log; the names
 * above are for tests and debuggers). */
static void set_view(struct fle_group *g, enum fle_view_state s)
{
    g->view = s;
}

static void set_memb(struct fle_group *g, enum fle_memb_state s)
{
    g->memb = s;
}

struct fle_group *fle_group_find(struct fle_conn *c, const char *name)
{
    struct fle_group *g;

    for (g = c->groups; g != NULL; g = g->next)
        if (name_eq(g->name, name))
            return g;
    return NULL;
}

/* A new record (section 3): joining, flushed so that the first round is
 * answered without the application, flush view = just us with an
 * all-zero id and the transitional flag set (no signal before the first
 * view). */
static struct fle_group *group_new(struct fle_conn *c, const char *name)
{
    struct fle_group *g = calloc(1, sizeof *g);
    struct fle_change *v = change_new(1);

    if (g == NULL || v == NULL) {
        free(g);
        change_free(v);
        return NULL;
    }
    memcpy(g->name, name, MAX_GROUP_NAME);
    memcpy(v->members[0], c->private_group, MAX_GROUP_NAME);
    v->remaining[0] = 1;
    v->nremaining = 1;
    v->transitional = 1;
    g->cur_view = v;
    g->latest = v;
    g->postponed_tail = &g->postponed;
    set_memb(g, FLE_JOINING);
    set_view(g, FLE_FLUSHED);
    g->next = c->groups;
    c->groups = g;
    return g;
}

static void group_free(struct fle_group *g)
{
    change_free(g->cur_view);
    change_list_free(g->pending);
    change_list_free(g->orphans);
    msg_list_free(g->postponed);
    free(g);
}

static void group_discard(struct fle_conn *c, struct fle_group *g)
{
    struct fle_group **pp;

    for (pp = &c->groups; *pp != NULL; pp = &(*pp)->next)
        if (*pp == g) {
            *pp = g->next;
            break;
        }
    group_free(g);
}

static void drop_postponed(struct fle_group *g)
{
    msg_list_free(g->postponed);
    g->postponed = NULL;
    g->postponed_tail = &g->postponed;
}

/* ---- connection ---------------------------------------------------- */

void fle_conn_init(struct fle_conn *c, const char *private_group,
                   fle_send_fn send, void *send_ctx)
{
    memset(c, 0, sizeof *c);
    if (private_group != NULL)
        memcpy(c->private_group, private_group,
               strnlen(private_group, MAX_GROUP_NAME));
    c->ready_tail = &c->ready;
    c->send = send;
    c->send_ctx = send_ctx;
}

void fle_conn_fini(struct fle_conn *c)
{
    while (c->groups != NULL)
        group_discard(c, c->groups);
    msg_list_free(c->ready);
    c->ready = NULL;
    c->ready_tail = &c->ready;
    c->nready = 0;
    c->ready_bytes = 0;
}

static int send_ctl(struct fle_conn *c, const struct fle_group *g,
                    int16 type, const group_id *id)
{
    return c->send(c->send_ctx, g->name, type, id);
}

/* ---- rounds and installs (7.3 step 8, 7.7) ------------------------- */

/* The head of the pending queue became the change the round is about. */
static int start_round(struct fle_conn *c, struct fle_group *g)
{
    g->current = g->pending;
    g->recv_count = 0;
    switch (g->view) {
    case FLE_STEADY:
    case FLE_SETTLING:
        set_view(g, FLE_REQUESTED);
        hand_out_notice(c, g, FLUSH_REQ_MESS, 0);
        return 0;
    case FLE_REQUESTED:
        return 0;   /* the request already handed out stands for it */
    case FLE_FLUSHED:
        /* An earlier FL_flush, or being a joiner, is permission enough. */
        return send_ctl(c, g, FLC_FLUSH_OK, &g->current->id);
    }
    return 0;
}

static struct fle_msg *view_message(const struct fle_group *g,
                                    const struct fle_change *ch)
{
    const struct fle_change *prev = g->cur_view;
    struct fle_msg *m;
    int k = 1, i;

    if (ch->cause & CAUSED_BY_NETWORK)
        k = prev->nremaining;
    m = fle_msg_new(ch->n, flc_view_len(k));
    if (m == NULL)
        return NULL;
    m->serv = ch->cause;
    m->mess_type = (int16)ch->index;
    memcpy(m->sender, g->name, MAX_GROUP_NAME);
    memcpy(m->groups, ch->members, (size_t)ch->n * MAX_GROUP_NAME);
    if (ch->cause & CAUSED_BY_NETWORK) {
        char (*vs)[MAX_GROUP_NAME] = (void *)(m->body + FLC_VIEW_SET_OFF);
        int j = 0;
        for (i = 0; i < prev->n; i++)
            if (prev->remaining[i])
                memcpy(vs[j++], prev->members[i], MAX_GROUP_NAME);
        flc_view_encode(m->body, &ch->id, k, NULL);
    } else {
        flc_view_encode(m->body, &ch->id, 1,
                        (const char (*)[MAX_GROUP_NAME])ch->changed);
    }
    return m;
}

static int install(struct fle_conn *c, struct fle_group *g)
{
    struct fle_change *ch = g->current;
    struct fle_msg *m = view_message(g, ch);
    int rc = 0;

    if (m != NULL)
        hand_out(c, m);
    else
        c->dropped++;
    set_view(g, FLE_SETTLING);
    if (g->memb == FLE_JOINING)
        set_memb(g, FLE_MEMBER);
    g->pending = ch->next;
    ch->next = NULL;
    change_free(g->cur_view);
    g->cur_view = ch;
    g->current = NULL;
    if (g->pending == NULL)
        rc = send_ctl(c, g, FLC_FLUSH_RECV, &ch->id);
    else
        rc = start_round(c, g);
    if (ch->nremaining < ch->n) {
        ch->transitional = 1;
        hand_out_notice(c, g, TRANSITION_MESS, 0);
    }
    /* What the view's members sent in it, held back until now. */
    while (g->postponed != NULL) {
        struct fle_msg *p = g->postponed;
        g->postponed = p->next;
        hand_out(c, p);
    }
    g->postponed_tail = &g->postponed;
    return rc;
}

static int maybe_install(struct fle_conn *c, struct fle_group *g)
{
    if (g->view == FLE_FLUSHED && g->current != NULL &&
        g->current->noks == g->current->n)
        return install(c, g);
    return 0;
}

/* ---- a Spread regular membership (7.3) ----------------------------- */

/* The change for id: an orphan FLUSH_OK record becomes it (keeping its
 * senders); otherwise a new one. */
static struct fle_change *claim_change(struct fle_group *g, const group_id *id,
                                       int n)
{
    struct fle_change **pp, *ch;

    for (pp = &g->orphans; *pp != NULL; pp = &(*pp)->next)
        if (id_eq(&(*pp)->id, id)) {
            struct fle_change *o = *pp;
            ch = change_new(n);
            if (ch == NULL)
                return NULL;
            *pp = o->next;
            ch->oks = o->oks;
            ch->noks = o->noks;
            ch->oks_cap = o->oks_cap;
            o->oks = NULL;
            change_free(o);
            ch->id = *id;
            return ch;
        }
    ch = change_new(n);
    if (ch != NULL)
        ch->id = *id;
    return ch;
}

static void age_orphans(struct fle_group *g)
{
    struct fle_change **pp, *o;
    int gone = 0;

    for (pp = &g->orphans; *pp != NULL;) {
        o = *pp;
        if (++o->age > ORPHAN_MAX_AGE && !gone) {
            *pp = o->next;
            change_free(o);
            gone = 1;
            continue;
        }
        pp = &o->next;
    }
}

/* Who the change that just arrived says has gone (step 3). */
struct leavers {
    int n;
    char (*names)[MAX_GROUP_NAME];
    int own;   /* names points into a change that is not ours */
};

static int compute_leavers(const struct fle_group *g,
                           const struct fle_change *ch,
                           const struct flc_memb *mb, struct leavers *out)
{
    const struct fle_change *latest = g->latest;
    uint32_t j;
    int i;

    out->n = 0;
    out->names = NULL;
    if (ch->cause & CAUSED_BY_JOIN)
        return 0;
    if (ch->cause & (CAUSED_BY_LEAVE | CAUSED_BY_DISCONNECT)) {
        out->names = calloc(1, MAX_GROUP_NAME);
        if (out->names == NULL)
            return -ENOMEM;
        memcpy(out->names[0], ch->changed, MAX_GROUP_NAME);
        out->n = 1;
        return 0;
    }
    out->names = calloc((size_t)latest->n + 1, MAX_GROUP_NAME);
    if (out->names == NULL)
        return -ENOMEM;
    for (i = 0; i < latest->n; i++) {
        int in_own = 0;
        for (j = 0; j < mb->own_count; j++)
            if (name_eq(latest->members[i],
                        (const char *)mb->own_names + j * MAX_GROUP_NAME))
                in_own = 1;
        if (!in_own)
            memcpy(out->names[out->n++], latest->members[i], MAX_GROUP_NAME);
    }
    return 0;
}

/* Step 6: a pending change that counts on a leaver's FLUSH_OK that will
 * never come is discarded; the next survivor absorbs it (NETWORK). */
static void collapse(struct fle_group *g, const struct leavers *lv,
                     struct fle_change *incoming)
{
    struct fle_change **pp = &g->pending, *ch;
    int discarded_before = 0, i;

    while ((ch = *pp) != NULL) {
        int discard = 0;
        for (i = 0; i < lv->n && !discard; i++) {
            if (!change_remains(ch, lv->names[i]))
                continue;
            if (!change_has_ok(ch, lv->names[i]))
                discard = 1;
            else
                change_remove(ch, lv->names[i]);
        }
        if (discard) {
            *pp = ch->next;
            if (g->current == ch)
                g->current = NULL;
            if (g->latest == ch)
                g->latest = NULL;
            change_free(ch);
            discarded_before = 1;
            continue;
        }
        if (discarded_before)
            ch->cause = REG_MEMB_MESS | CAUSED_BY_NETWORK;
        discarded_before = 0;
        pp = &ch->next;
    }
    if (discarded_before)
        incoming->cause = REG_MEMB_MESS | CAUSED_BY_NETWORK;
}

static int fill_change(struct fle_change *ch, const struct fle_msg *m,
                       const struct flc_memb *mb)
{
    int i;

    memcpy(ch->members, m->groups, (size_t)m->ngroups * MAX_GROUP_NAME);
    for (i = 0; i < ch->n; i++)
        ch->remaining[i] = 1;
    ch->nremaining = ch->n;
    ch->index = m->mess_type;
    ch->cause = m->serv & (REG_MEMB_MESS | CAUSED_BY_JOIN | CAUSED_BY_LEAVE |
                           CAUSED_BY_DISCONNECT | CAUSED_BY_NETWORK);
    if (!(ch->cause & (CAUSED_BY_JOIN | CAUSED_BY_LEAVE |
                       CAUSED_BY_DISCONNECT | CAUSED_BY_NETWORK)))
        return -EBADMSG;
    if (!(ch->cause & CAUSED_BY_NETWORK)) {
        if (mb->own_count != 1)
            return -EBADMSG;
        memcpy(ch->changed, mb->own_names, MAX_GROUP_NAME);
    }
    return 0;
}

static int on_regular(struct fle_conn *c, struct fle_msg *m)
{
    struct flc_memb mb;
    struct fle_group *g;
    struct fle_change *ch, **tail;
    struct leavers lv;
    int shrank = 0, i, rc = 0;

    if (flc_memb_decode(m->body, m->len, &mb) < 0 || m->ngroups < 1 ||
        m->mess_type < 0 || m->mess_type >= m->ngroups) {
        c->dropped++;
        return 0;
    }
    g = fle_group_find(c, m->sender);
    if (g == NULL && (g = group_new(c, m->sender)) == NULL) {
        c->dropped++;
        return 0;
    }
    ch = claim_change(g, &mb.id, m->ngroups);
    if (ch == NULL || fill_change(ch, m, &mb) < 0 ||
        compute_leavers(g, ch, &mb, &lv) < 0) {
        change_free(ch);
        c->dropped++;
        return 0;
    }
    for (i = 0; i < lv.n; i++)
        shrank |= change_remove(g->cur_view, lv.names[i]);
    age_orphans(g);
    collapse(g, &lv, ch);
    free(lv.names);
    for (tail = &g->pending; *tail != NULL; tail = &(*tail)->next)
        ;
    *tail = ch;
    g->latest = ch;
    if (g->pending != g->current) {
        drop_postponed(g);
        rc = start_round(c, g);
    }
    if (shrank && !g->cur_view->transitional) {
        g->cur_view->transitional = 1;
        hand_out_notice(c, g, TRANSITION_MESS, 0);
    }
    return rc;
}

/* ---- other Spread notices (7.4, 7.5) ------------------------------- */

static void on_transitional(struct fle_conn *c, const struct fle_msg *m)
{
    struct fle_group *g = fle_group_find(c, m->sender);

    if (g == NULL)
        return;
    /* The flush view's flag is read before the latest change's is set:
     * they are one record when no change is pending. */
    if (!g->cur_view->transitional) {
        g->cur_view->transitional = 1;
        hand_out_notice(c, g, TRANSITION_MESS, 0);
    }
    if (g->latest != NULL)
        g->latest->transitional = 1;
}

static void on_self_leave(struct fle_conn *c, struct fle_msg *m)
{
    struct fle_group *g = fle_group_find(c, m->sender);

    if (g != NULL)
        group_discard(c, g);
    m->serv = CAUSED_BY_LEAVE;
    m->ngroups = 0;
    m->mess_type = -1;
    m->endian = 0;
    m->len = 0;
    hand_out(c, m);
}

/* ---- data messages (4.7, 4.8, 7.6, 7.8) ---------------------------- */

static struct fle_change *find_change(struct fle_group *g, const group_id *id)
{
    struct fle_change *ch;

    for (ch = g->pending; ch != NULL; ch = ch->next)
        if (id_eq(&ch->id, id))
            return ch;
    for (ch = g->orphans; ch != NULL; ch = ch->next)
        if (id_eq(&ch->id, id))
            return ch;
    return NULL;
}

static int on_flush_ok(struct fle_conn *c, struct fle_group *g,
                       const char *sender, const group_id *id)
{
    struct fle_change *ch = find_change(g, id);

    if (ch == NULL) {
        ch = change_new(0);
        if (ch == NULL) {
            c->dropped++;
            return 0;
        }
        ch->id = *id;
        ch->next = g->orphans;
        g->orphans = ch;
    }
    if (change_add_ok(ch, sender) < 0) {
        c->dropped++;
        return 0;
    }
    return maybe_install(c, g);
}

static void on_flush_recv(struct fle_group *g, const group_id *id)
{
    if (g->view == FLE_SETTLING && id_eq(id, &g->cur_view->id)) {
        if (++g->recv_count >= g->cur_view->n)
            set_view(g, FLE_STEADY);
    } else if (g->view == FLE_FLUSHED && g->current != NULL &&
               id_eq(id, &g->current->id)) {
        g->recv_count++;
    }
}

static void on_group_data(struct fle_conn *c, struct fle_group *g,
                          struct fle_msg *m, const struct flc_data *d)
{
    if (g->view == FLE_FLUSHED && d->kind == FLC_KIND_TAGGED &&
        g->current != NULL && id_eq(&d->id, &g->current->id)) {
        if (!change_remains(g->current, m->sender)) {
            c->dropped++;          /* upstream aborts here */
            fle_msg_free(m);
            return;
        }
        m->next = NULL;
        m->direct = 0;   /* copied out later under the queue's rules */
        *g->postponed_tail = m;
        g->postponed_tail = &m->next;
        return;
    }
    if (change_remains(g->cur_view, m->sender))
        hand_out(c, m);
    else
        fle_msg_free(m);           /* closed group: not a member */
}

static int on_data(struct fle_conn *c, struct fle_msg *m)
{
    struct flc_data d;
    struct fle_group *g;
    const char *dest;
    int rc = 0;

    if (flc_data_decode(m->body, m->len, m->serv, m->mess_type, m->endian,
                        &d) < 0 ||
        (m->ngroups < 1 && !d.has_ref)) {
        c->dropped++;
        fle_msg_free(m);
        return 0;
    }
    m->len = d.app_len;
    m->mess_type = d.app_type;
    if (d.has_ref) {
        memcpy(m->groups[m->ngroups], d.ref, MAX_GROUP_NAME);
        m->ngroups++;
    }
    dest = d.has_ref ? m->groups[m->ngroups - 1] : m->groups[0];
    g = fle_group_find(c, dest);
    if (g == NULL) {
        if (name_eq(dest, c->private_group))
            hand_out(c, m);
        else
            fle_msg_free(m);
        return 0;
    }
    switch (d.kind) {
    case FLC_KIND_FLUSH_OK:
        rc = on_flush_ok(c, g, m->sender, &d.id);
        fle_msg_free(m);
        break;
    case FLC_KIND_FLUSH_RECV:
        on_flush_recv(g, &d.id);
        fle_msg_free(m);
        break;
    default:
        on_group_data(c, g, m, &d);
        break;
    }
    return rc;
}

int fle_process(struct fle_conn *c, struct fle_msg *m)
{
    service t = m->serv;

    if (t & (REGULAR_MESS | REJECT_MESS))
        return on_data(c, m);
    if (t & REG_MEMB_MESS) {
        int rc = on_regular(c, m);
        fle_msg_free(m);
        return rc;
    }
    if (t & TRANSITION_MESS) {
        on_transitional(c, m);
        fle_msg_free(m);
        return 0;
    }
    if (t & CAUSED_BY_LEAVE) {
        on_self_leave(c, m);
        return 0;
    }
    c->dropped++;
    fle_msg_free(m);
    return 0;
}

/* ---- calls from the application ------------------------------------ */

int fle_flush(struct fle_conn *c, const char *group)
{
    struct fle_group *g = fle_group_find(c, group);
    int rc;

    if (g == NULL || g->memb == FLE_LEAVING)
        return ILLEGAL_GROUP;
    if (g->view != FLE_REQUESTED || g->current == NULL)
        return ILLEGAL_STATE;
    set_view(g, FLE_FLUSHED);
    rc = send_ctl(c, g, FLC_FLUSH_OK, &g->current->id);
    return rc < 0 ? rc : 0;
}

int fle_leave(struct fle_conn *c, const char *group)
{
    struct fle_group *g = fle_group_find(c, group);

    if (g == NULL || g->memb != FLE_MEMBER)
        return ILLEGAL_GROUP;
    set_memb(g, FLE_LEAVING);
    return 0;
}

int fle_send_check(struct fle_conn *c, const char *group, int nrecvrs,
                   const char (*recvrs)[MAX_GROUP_NAME], service serv,
                   int *tagged, group_id *view)
{
    struct fle_group *g;
    int i;

    *tagged = 0;
    memset(view, 0, sizeof *view);
    if (flc_is_private(group)) {
        for (i = 0; recvrs != NULL && i < nrecvrs; i++)
            if (strncmp(recvrs[i], group, MAX_GROUP_NAME) != 0)
                return ILLEGAL_RECEIVERS;
        return 0;
    }
    g = fle_group_find(c, group);
    if (g == NULL || g->memb != FLE_MEMBER)
        return ILLEGAL_GROUP;
    if (g->view == FLE_FLUSHED)
        return ILLEGAL_STATE;
    for (i = 0; recvrs != NULL && i < nrecvrs; i++)
        if (change_member(g->cur_view, recvrs[i]) < 0)
            return ILLEGAL_RECEIVERS;
    if ((g->view == FLE_REQUESTED || g->view == FLE_SETTLING) &&
        (serv & (UNRELIABLE_MESS | RELIABLE_MESS | FIFO_MESS)))
        *tagged = 1;
    *view = g->cur_view->id;
    return 0;
}
