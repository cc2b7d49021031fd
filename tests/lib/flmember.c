/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flmember: flush-layer test members and the section 9 checker (see
 * flmember.h).
 */
#include "config.h"

#include "flmember.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fm_connect(struct fm_member *m, const char *spread, const char *user)
{
    memset(m, 0, sizeof *m);
    m->log = calloc(FM_MAX_LOG, sizeof *m->log);
    if (m->log == NULL)
        return -1;
    return FL_connect(spread, user, 0, &m->mb, m->pg) == ACCEPT_SESSION
               ? 0 : -1;
}

void fm_close(struct fm_member *m)
{
    if (m->mb > 0)
        (void)FL_disconnect(m->mb);
    free(m->log);
    m->log = NULL;
}

int fm_next(struct fm_member *m, struct fm_event *e, int deadline_ms)
{
    long long end = now_ms() + deadline_ms;
    struct fm_event tmp;
    struct pollfd p;

    if (e == NULL)
        e = &tmp;
    for (;;) {
        memset(e, 0, sizeof *e);
        e->serv = DONT_BLOCK;
        e->more = -1;
        e->ret = FL_receive(m->mb, &e->serv, e->sender, FM_MAX_GROUPS,
                            &e->ng, e->groups, &e->type, &e->endian,
                            FM_MAX_BODY, e->body, &e->more);
        if (e->ret != WOULD_BLOCK)
            break;
        long long left = end - now_ms();
        if (left <= 0)
            return e->ret = FM_TIMEOUT;
        p.fd = m->mb;
        p.events = POLLIN;
        (void)poll(&p, 1, (int)left);
    }
    if (e->ret >= 0 && m->log != NULL && m->nlog < FM_MAX_LOG)
        m->log[m->nlog++] = *e;
    return e->ret;
}

static int fail(const struct fm_member *m, const struct fm_event *e,
                const char *what)
{
    fprintf(stderr, "%s: expected %s, got ret %d serv 0x%x sender '%s' "
            "type %d ng %d\n", m->pg, what, e->ret, (unsigned)e->serv,
            e->sender, e->type, e->ng);
    return 0;
}

static int expect_notice(struct fm_member *m, const char *group, service serv,
                         int16 type, const char *what)
{
    struct fm_event e;

    if (fm_next(m, &e, FM_WAIT_MS) != 0 || e.serv != serv ||
        strcmp(e.sender, group) != 0 || e.ng != 0 || e.type != type)
        return fail(m, &e, what);
    return 1;
}

int fm_expect_req(struct fm_member *m, const char *group)
{
    return expect_notice(m, group, FLUSH_REQ_MESS, 0, "a flush request");
}

int fm_expect_trans(struct fm_member *m, const char *group)
{
    return expect_notice(m, group, TRANSITION_MESS, 0,
                         "a transitional signal");
}

int fm_expect_self_leave(struct fm_member *m, const char *group)
{
    return expect_notice(m, group, CAUSED_BY_LEAVE, -1, "a self-leave");
}

int fm_expect_view(struct fm_member *m, const char *group, service cause,
                   int n, int index, const char *const *vs)
{
    struct fm_event e;
    int k = 0, i, num;

    while (vs != NULL && vs[k] != NULL)
        k++;
    if (fm_next(m, &e, FM_WAIT_MS) < 0 || e.serv != (REG_MEMB_MESS | cause) ||
        strcmp(e.sender, group) != 0 || e.ng != n ||
        (index >= 0 && e.type != index) ||
        e.ret != FL_get_vs_set_offset_memb_mess() + k * MAX_GROUP_NAME)
        return fail(m, &e, "a view");
    memcpy(&num, e.body + FL_get_num_vs_offset_memb_mess(), sizeof num);
    if (num != k)
        return fail(m, &e, "a view with that vs set size");
    for (i = 0; i < k; i++)
        if (strcmp(e.body + FL_get_vs_set_offset_memb_mess() +
                       i * MAX_GROUP_NAME, vs[i]) != 0)
            return fail(m, &e, "a view with that vs set");
    return 1;
}

int fm_expect_data(struct fm_member *m, const char *sender, const char *text)
{
    struct fm_event e;
    int len = (int)strlen(text);

    if (fm_next(m, &e, FM_WAIT_MS) != len ||
        !(e.serv & REGULAR_MESS) || strcmp(e.sender, sender) != 0 ||
        memcmp(e.body, text, (size_t)len) != 0)
        return fail(m, &e, text);
    return 1;
}

int fm_quiet(struct fm_member *m, int ms)
{
    struct fm_event e;
    int r = fm_next(m, &e, ms);

    if (r == FM_TIMEOUT)
        return 1;
    return fail(m, &e, "nothing");
}

int fm_send(struct fm_member *m, service serv, const char *group,
            const char *text)
{
    int len = (int)strlen(text);

    return FL_multicast(m->mb, serv ? serv : FIFO_MESS, group, 1, len,
                        text) == len;
}

/* ---- section 9 ----------------------------------------------------- */

struct seen_view {
    char id[12];
    int n;
    char (*members)[MAX_GROUP_NAME];
};

/* One member's stretch of data between view `from` and view `to`. */
struct segment {
    char from[12], to[12];
    int nbodies;
    char **bodies;
};

static int data_for(const struct fm_event *e, const char *group)
{
    if (!(e->serv & REGULAR_MESS) || e->ng < 1)
        return 0;
    return strcmp(e->groups[(e->serv & SUBGROUP_CAST) ? e->ng - 1 : 0],
                  group) == 0;
}

static int in_list(char (*list)[MAX_GROUP_NAME], int n, const char *name)
{
    int i;

    for (i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct checker {
    struct seen_view views[FM_MAX_LOG];
    int nviews;
    struct segment segs[4 * FM_MAX_LOG];
    int nsegs;
};

static int check_view_same(struct checker *ck, const struct fm_event *e)
{
    int i;

    for (i = 0; i < ck->nviews; i++)
        if (memcmp(ck->views[i].id, e->body, 12) == 0) {
            if (ck->views[i].n != e->ng ||
                memcmp(ck->views[i].members, e->groups,
                       (size_t)e->ng * MAX_GROUP_NAME) != 0) {
                fprintf(stderr, "g8: view with one id, two member lists\n");
                return 0;
            }
            return 1;
        }
    if (ck->nviews < FM_MAX_LOG) {
        struct seen_view *v = &ck->views[ck->nviews++];
        memcpy(v->id, e->body, 12);
        v->n = e->ng;
        v->members = (char (*)[MAX_GROUP_NAME])e->groups;
    }
    return 1;
}

static int walk_member(struct checker *ck, const struct fm_member *m,
                       const char *group)
{
    const struct fm_event *view = NULL;
    int nreq = 0, ntrans = 0, i;
    struct segment *seg = NULL;

    for (i = 0; i < m->nlog; i++) {
        const struct fm_event *e = &m->log[i];
        int notice = strcmp(e->sender, group) == 0 && !(e->serv & REGULAR_MESS);

        if (notice && e->serv == FLUSH_REQ_MESS && ++nreq > 1) {
            fprintf(stderr, "g6: %s got two flush requests in a round\n",
                    m->pg);
            return 0;
        }
        if (notice && e->serv == TRANSITION_MESS &&
            (view == NULL || ++ntrans > 1)) {
            fprintf(stderr, "g7: %s: transitional signal %s\n", m->pg,
                    view == NULL ? "before its first view" : "twice");
            return 0;
        }
        if (notice && (e->serv & REG_MEMB_MESS)) {
            if (!check_view_same(ck, e))
                return 0;
            if (seg != NULL)
                memcpy(seg->to, e->body, 12);
            seg = ck->nsegs < 4 * FM_MAX_LOG ? &ck->segs[ck->nsegs++] : NULL;
            if (seg != NULL) {
                memset(seg, 0, sizeof *seg);
                memcpy(seg->from, e->body, 12);
                seg->bodies = calloc(FM_MAX_LOG, sizeof *seg->bodies);
            }
            view = e;
            nreq = ntrans = 0;
        }
        if (notice && e->serv == CAUSED_BY_LEAVE) {
            view = NULL;
            seg = NULL;
        }
        if (data_for(e, group)) {
            if (view == NULL ||
                !in_list((char (*)[MAX_GROUP_NAME])view->groups, view->ng,
                         e->sender)) {
                fprintf(stderr, "g5: %s shown data from %s outside its "
                        "view\n", m->pg, e->sender);
                return 0;
            }
            if (seg != NULL && seg->bodies != NULL)
                seg->bodies[seg->nbodies++] = (char *)e->body;
        }
    }
    return 1;
}

/* Two members that both went from V to V' saw the same messages in V. */
static int check_segments(struct checker *ck)
{
    static const char none[12];
    int i, j, k;

    for (i = 0; i < ck->nsegs; i++)
        if (ck->segs[i].bodies != NULL)
            qsort(ck->segs[i].bodies, (size_t)ck->segs[i].nbodies,
                  sizeof(char *), cmp_str);
    for (i = 0; i < ck->nsegs; i++)
        for (j = i + 1; j < ck->nsegs; j++) {
            struct segment *a = &ck->segs[i], *b = &ck->segs[j];
            if (memcmp(a->to, none, 12) == 0 || memcmp(a->from, b->from, 12) ||
                memcmp(a->to, b->to, 12) || a->bodies == NULL ||
                b->bodies == NULL)
                continue;
            if (a->nbodies != b->nbodies) {
                fprintf(stderr, "g4: %d vs %d messages in one view\n",
                        a->nbodies, b->nbodies);
                return 0;
            }
            for (k = 0; k < a->nbodies; k++)
                if (strcmp(a->bodies[k], b->bodies[k]) != 0) {
                    fprintf(stderr, "g4: '%s' vs '%s' in one view\n",
                            a->bodies[k], b->bodies[k]);
                    return 0;
                }
        }
    return 1;
}

int fm_check_log(struct fm_member *const *members, int n, const char *group)
{
    struct checker *ck = calloc(1, sizeof *ck);
    int ok = ck != NULL, i;

    for (i = 0; ok && i < n; i++)
        ok = walk_member(ck, members[i], group);
    if (ok)
        ok = check_segments(ck);
    for (i = 0; ck != NULL && i < ck->nsegs; i++)
        free(ck->segs[i].bodies);
    free(ck);
    return ok;
}
