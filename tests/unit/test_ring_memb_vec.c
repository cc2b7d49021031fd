/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * The membership state machine (daemon/ring/memb_sm.h) against the
 * upstream captures in ../shared/vectors/ring: one daemon's state machine
 * is fed, in capture order, every datagram that daemon received (decoded
 * with pkt.h), with a clock taken from the capture, and must emit the
 * same ALIVE, JOIN, REFER, FORM1 and FORM2 datagrams to the same
 * destinations in the same order as the captured daemon did, field by
 * field. The wall clock is the capture's (its unix time origin), so even
 * the membership-id times (attempt ids, new ids, trans_time: T and T+1,
 * forced above every time used before) come out equal; the README's
 * masking of times is not needed here. A timer may fire within TOL ms of
 * the captured datagram it produced (upstream re-arms from the firing
 * time and drifts).
 * Tokens and data packets drive a tiny fake core: the first token of the
 * ring announced by install ends FORM, and EVS ends at the first data
 * packet of the new ring or at the first token after the commit marker.
 *
 * Replayed: every daemon of every capture with membership traffic (01,
 * 04, 05, 06, 07, 08; 02 and 03 have none): start, singleton ring,
 * merges, a crash with holes in the old ring (04, where n1 and n2 start
 * in the captured ring and their losses come from the rx annotations),
 * a daemon alone with another configuration hash (07), two segments with
 * unicast JOINs, REFERs and FORM across segments (08).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ring/memb_sm.h"
#include "ring/memb_sm_int.h" /* msm_set_state() to seed 04 */
#include "ring/pkt.h"
#include "../lib/ckmain.h"
#include "../lib/ringvec.h"

#define TOL 40          /* ms a timer may be off the captured datagram */
#define BASE 1000000    /* fake monotonic ms at capture time 0 */
#define MAXQ 64

struct expect {
    enum msm_dest how;
    uint32_t to;
    struct pkt p;
};

struct replay {
    struct rv_file f;
    const char *file;
    int d;                       /* index in f.names */
    struct msm m;
    struct msm_conf conf;
    int16_t segs[RV_MAX_NAMES];
    uint64_t now;
    struct expect q[MAXQ];
    int nq, head;
    /* fake core: what this daemon holds of its old ring */
    struct pkt_mid data_ring;
    int32_t highest, base_aru;
    unsigned char held[8192];
    int32_t missing[8192];
    int have_pend, committed;
    struct pkt_mid pend;
    int32_t marker;
    int compared, installs;
    const struct rv_rec *r;      /* record being handled, for messages */
};

/* ---- ops --------------------------------------------------------------- */

static void op_send(void *ctx, enum msm_dest how, uint32_t to,
                    const struct pkt *p, unsigned copies)
{
    struct replay *x = ctx;
    unsigned c;

    for (c = 0; c < copies; c++) {
        ck_assert_msg(x->nq < MAXQ, "output queue overflow");
        x->q[x->nq].how = how;
        x->q[x->nq].to = to;
        x->q[x->nq].p = *p;
        x->nq++;
    }
}

static void op_query(void *ctx, struct msm_ring_state *out)
{
    struct replay *x = ctx;

    int32_t s = x->base_aru;
    uint32_t n = 0;

    while (s + 1 < x->highest + 1 && s + 1 < 8192 && x->held[s + 1])
        s++;
    memset(out, 0, sizeof *out);
    out->ring_id = x->data_ring;
    out->aru = out->my_aru = s;
    out->highest_seq = x->highest;
    for (s = out->my_aru + 1; s <= x->highest && s < 8192; s++)
        if (!x->held[s])
            x->missing[n++] = s;
    out->missing = x->missing;
    out->nmissing = n;
}

static void op_install(void *ctx, const struct msm_install *in)
{
    struct replay *x = ctx;

    x->have_pend = 1;
    x->committed = 0;
    x->pend = in->ring_id;
    x->marker = in->seq_marker;
    x->installs++;
}

static const struct msm_ops ops = {op_send, op_query, op_install, NULL};

/* ---- comparing --------------------------------------------------------- */

#define CHK(cond, ...)                                                       \
    do {                                                                     \
        if (!(cond)) {                                                       \
            char m_[200];                                                    \
            snprintf(m_, sizeof m_, __VA_ARGS__);                            \
            ck_abort_msg("%s %s P %d: %s (%s)", x->file,                     \
                         x->f.names[x->d], x->r ? x->r->num : 0, m_, #cond);  \
        }                                                                    \
    } while (0)

static int name_index(const struct rv_file *f, const char *name)
{
    int i;
    for (i = 0; i < f->nnames; i++)
        if (strcmp(f->names[i], name) == 0)
            return i;
    return -1;
}

static void cmp_members(struct replay *x, const struct pkt_members *e,
                        const struct pkt_members *c)
{
    int i;
    CHK(e->nmembers == c->nmembers, "nmembers %d, captured %d", e->nmembers,
        c->nmembers);
    CHK(e->npending == c->npending, "npending %d, captured %d", e->npending,
        c->npending);
    for (i = 0; i < c->nmembers + c->npending; i++)
        CHK(e->ids[i] == c->ids[i], "member %d: %u, captured %u", i,
            e->ids[i], c->ids[i]);
}

static void cmp_reps(struct replay *x, const struct pkt_reps *e,
                     const struct pkt_reps *c)
{
    int i;
    CHK(e->nreps == c->nreps, "nreps %d, captured %d", e->nreps, c->nreps);
    CHK(e->cursor == c->cursor, "cursor %d, captured %d", e->cursor,
        c->cursor);
    for (i = 0; i < c->nreps; i++) {
        CHK(e->r[i].id == c->r[i].id, "rep %d: %u, captured %u", i,
            e->r[i].id, c->r[i].id);
        CHK(e->r[i].kind == c->r[i].kind, "rep %d kind", i);
        CHK(e->r[i].seg == c->r[i].seg, "rep %d segment", i);
    }
}

static void cmp_ring(struct replay *x, int i, const struct pkt_ring *e,
                     const struct pkt_ring *c)
{
    uint32_t k;
    CHK(e->mid.id == c->mid.id && e->mid.time == c->mid.time, "ring %d id",
        i);
    CHK(e->trans_time == c->trans_time, "ring %d trans_time %d, captured %d",
        i, e->trans_time, c->trans_time);
    CHK(e->aru == c->aru, "ring %d aru %d, captured %d", i, e->aru, c->aru);
    CHK(e->highest_seq == c->highest_seq, "ring %d highest", i);
    CHK(e->holes.n == c->holes.n, "ring %d holes", i);
    for (k = 0; k < c->holes.n; k++)
        CHK(pkt_i32s_get(&e->holes, k) == pkt_i32s_get(&c->holes, k),
            "ring %d hole %u", i, k);
    CHK(e->ntrans == c->ntrans, "ring %d ntrans", i);
    CHK(e->ncommit == c->ncommit, "ring %d ncommit", i);
    for (k = 0; k < c->ncommit; k++)
        CHK(e->commit[k] == c->commit[k], "ring %d commit %u", i, k);
}

static void cmp_form(struct replay *x, const struct pkt_form *e,
                     const struct pkt_form *c, int form1)
{
    int i;

    CHK(e->h.transmitter == c->h.transmitter, "transmitter");
    CHK(e->h.last == c->h.last, "last");
    CHK(e->h.mid.id == c->h.mid.id && e->h.mid.time == c->h.mid.time,
        "attempt (%u,%d), captured (%u,%d)", e->h.mid.id, e->h.mid.time,
        c->h.mid.id, c->h.mid.time);
    CHK(e->h.seq == c->h.seq, "seq marker %d, captured %d", e->h.seq,
        c->h.seq);
    CHK(e->h.aru == c->h.aru && e->h.aru_setter == c->h.aru_setter &&
            e->h.flow_control == c->h.flow_control,
        "other header words");
    CHK(e->h.hash == c->h.hash, "hash");
    cmp_members(x, &e->members, &c->members);
    if (form1)
        cmp_reps(x, &e->reps, &c->reps);
    else /* before the first member: README D6 */
        CHK(e->new_mid.id == c->new_mid.id &&
                e->new_mid.time == c->new_mid.time,
            "new-id field %#x/%d, captured %#x/%d", e->new_mid.id,
            e->new_mid.time, c->new_mid.id, c->new_mid.time);
    CHK(e->nrings == c->nrings, "nrings %d, captured %d", e->nrings,
        c->nrings);
    for (i = 0; i < c->nrings; i++)
        cmp_ring(x, i, &e->rings[i], &c->rings[i]);
}

static void compare(struct replay *x, const struct expect *e,
                    const struct pkt *c)
{
    const struct rv_rec *r = x->r;

    CHK(e->p.kind == c->kind, "kind %s, captured %s", pkt_kind_name(e->p.kind),
        pkt_kind_name(c->kind));
    if (strcmp(r->dst, "bcast") == 0)
        CHK(e->how == MSM_DEST_SEGMENT, "unicast to %u, captured broadcast",
            e->to);
    else
        CHK(e->how == MSM_DEST_DAEMON &&
                e->to == x->f.ids[name_index(&x->f, r->dst)],
            "to %s%u, captured %s", e->how == MSM_DEST_SEGMENT ? "bcast " : "",
            e->to, r->dst);
    switch (c->kind) {
    case PKT_KIND_ALIVE:
    case PKT_KIND_JOIN:
        CHK(e->p.u.memb.h.transmitter == c->u.memb.h.transmitter &&
                e->p.u.memb.h.originator == c->u.memb.h.originator &&
                e->p.u.memb.h.hash == c->u.memb.h.hash &&
                e->p.u.memb.h.mid.id == c->u.memb.h.mid.id,
            "header");
        cmp_members(x, &e->p.u.memb.members, &c->u.memb.members);
        if (c->kind == PKT_KIND_JOIN)
            cmp_reps(x, &e->p.u.memb.reps, &c->u.memb.reps);
        break;
    case PKT_KIND_REFER:
        CHK(e->p.u.head.mid.id == c->u.head.mid.id &&
                e->p.u.head.mid.time == c->u.head.mid.time,
            "REFER representative");
        break;
    case PKT_KIND_FORM1:
    case PKT_KIND_FORM2:
        cmp_form(x, &e->p.u.form, &c->u.form, c->kind == PKT_KIND_FORM1);
        break;
    default:
        break;
    }
    x->compared++;
}

/* ---- the fake core ----------------------------------------------------- */

static void evs_done(struct replay *x)
{
    msm_evs_done(&x->m, x->now);
    x->data_ring = x->pend;
    x->highest = 0;
    x->base_aru = 0;
    memset(x->held, 0, sizeof x->held);
    x->have_pend = 0;
}

static void core_token(struct replay *x, const struct pkt_token *t)
{
    if (t->h.mid.id == x->data_ring.id && t->h.mid.time == x->data_ring.time &&
        t->h.seq > x->highest && t->h.seq < 8192)
        x->highest = t->h.seq;
    if (x->have_pend && msm_state(&x->m) == MSM_FORM &&
        t->h.mid.id == x->pend.id && t->h.mid.time == x->pend.time)
        msm_ring_token(&x->m, x->now);
    if (msm_state(&x->m) != MSM_EVS || t->h.mid.id != x->pend.id ||
        t->h.mid.time != x->pend.time)
        return;
    if (t->h.aru == x->marker)
        x->committed = 1;
    else if (x->committed)
        evs_done(x);
}

static void core_data(struct replay *x, const struct pkt_data *d,
                      int dropped)
{
    if (msm_state(&x->m) == MSM_EVS && d->h.mid.id == x->pend.id &&
        d->h.mid.time == x->pend.time)
        evs_done(x);
    if (dropped || d->h.mid.id != x->data_ring.id ||
        d->h.mid.time != x->data_ring.time || d->h.seq < 1 || d->h.seq >= 8192)
        return;
    x->held[d->h.seq] = 1;
    if (d->h.seq > x->highest)
        x->highest = d->h.seq;
}

/* ---- the replay -------------------------------------------------------- */

static int memb_kind(enum pkt_kind k)
{
    return k == PKT_KIND_ALIVE || k == PKT_KIND_JOIN || k == PKT_KIND_REFER ||
           k == PKT_KIND_FORM1 || k == PKT_KIND_FORM2;
}

/* A copy of the state machine, to try a timer and take it back. */
static struct msm snap_m;
static struct msm_form_work snap_fw;
static int32_t snap_pool[MSM_MAX_HOLES];

static void snap_save(struct replay *x)
{
    snap_m = x->m;
    snap_fw = *x->m.fw;
    memcpy(snap_pool, x->m.fw->pool, sizeof snap_pool);
}

static void snap_restore(struct replay *x)
{
    struct msm_form_work *fw = x->m.fw;

    x->m = snap_m;
    *fw = snap_fw;
    memcpy(fw->pool, snap_pool, sizeof snap_pool);
}

/* Before an input at t: timers due before t - TOL must have fired
 * without a datagram (the capture shows none before this record). A
 * timer due within TOL before t fires first only if it sends nothing
 * (SegTimeout into REPRESENTED, 04 P526 at n2); one that sends fires
 * after the input, as upstream's drifting timer did. */
static void fire_silent(struct replay *x, uint64_t t)
{
    for (;;) {
        uint64_t dl = msm_next_deadline(&x->m), keep = x->now;
        int nq = x->nq;
        if (dl == UINT64_MAX || dl > t)
            return;
        if (dl + TOL > t)
            snap_save(x);
        if (dl > x->now)
            x->now = dl;
        msm_tick(&x->m, x->now);
        if (x->nq == nq)
            continue;
        CHK(dl + TOL > t, "%s sent by a timer at +%llu ms, not captured",
            pkt_kind_name(x->q[x->head].p.kind),
            (unsigned long long)(dl - BASE));
        snap_restore(x);
        x->nq = nq;
        x->now = keep;
        return;
    }
}

/* The state machine's next datagram: queued by an input, else from the
 * timer due by then. An ALIVE out of a running ring is the core's
 * TokenTimeout (04 P522), which this replay has no token timer for. */
static const struct expect *next_output(struct replay *x, uint64_t t,
                                        enum pkt_kind kind)
{
    while (x->head == x->nq) {
        uint64_t dl = msm_next_deadline(&x->m);
        if (kind == PKT_KIND_ALIVE && msm_token_alive(&x->m) &&
            (dl == UINT64_MAX || dl > t + TOL)) {
            if (t > x->now)
                x->now = t;
            msm_token_loss(&x->m, x->now, "TokenTimeout");
            continue;
        }
        CHK(dl <= t + TOL, "no output due (next timer at +%lld ms)",
            dl == UINT64_MAX ? -1LL : (long long)(dl - BASE));
        CHK(dl + TOL >= t, "timer at +%llu ms, too early",
            (unsigned long long)(dl - BASE));
        if (dl > x->now)
            x->now = dl;
        msm_tick(&x->m, x->now);
    }
    return &x->q[x->head++];
}

/* A datagram that reached the daemon less than 0.08 ms before it sent a
 * JOIN or ALIVE on a timer was not read yet when the timer fired (08 P96,
 * P98: 0.065 ms): the timer goes first. At 0.09 ms it was read (01 P84,
 * P86), and at 0.12 ms (01 P24, P26). Which of two near-simultaneous
 * events comes first is timing (README section 3); this threshold only
 * reproduces these captures. */
static void concurrent(struct replay *x, size_t k, const double *t)
{
    size_t j;
    uint64_t dl = msm_next_deadline(&x->m), then;

    if (x->head != x->nq || dl == UINT64_MAX)
        return;
    for (j = k + 1; j < x->f.n && t[j] - t[k] < 0.00008; j++) {
        const struct rv_rec *r = &x->f.recs[j];
        enum pkt_kind kind;
        enum pkt_order o;
        if (name_index(&x->f, r->src) != x->d ||
            pkt_classify(r->data, r->len, &kind, &o) != 0 || !memb_kind(kind))
            continue;
        if (kind != PKT_KIND_JOIN && kind != PKT_KIND_ALIVE)
            return;
        then = BASE + (uint64_t)(t[j] * 1000 + 0.5);
        if (dl > then + 5)
            return;
        if (dl > x->now)
            x->now = dl;
        msm_tick(&x->m, x->now);
        return;
    }
}

/* Capture times of the records, from their P lines. */
static double *record_times(const struct rv_file *f, double *unix0)
{
    FILE *fp = fopen(f->path, "r");
    double *t = calloc(f->n + 1, sizeof *t);
    char line[512];
    int ln = 0;
    size_t k = 0;

    ck_assert(fp && t);
    while (fgets(line, sizeof line, fp)) {
        ln++;
        sscanf(line, "# time origin (t = +0.000000) = first datagram, unix "
                     "time %lf", unix0);
        if (k < f->n && f->recs[k].line == ln) {
            int num;
            ck_assert(sscanf(line, "P %d +%lf", &num, &t[k]) == 2);
            k++;
        }
    }
    fclose(fp);
    ck_assert_uint_eq(k, f->n);
    return t;
}

static void load(struct replay *x, const char *file, const char *conf,
                 const char *daemon)
{
    char path[4400], text[8192];
    struct conf *c = NULL;
    struct conf_diag err;
    FILE *fp;
    size_t n;
    int i;

    x->file = file;
    snprintf(path, sizeof path, "%s/%s.vec", rv_dir(), file);
    ck_assert_int_eq(rv_load(path, &x->f), 0);
    snprintf(path, sizeof path, "%s/%s.conf", rv_dir(), conf);
    fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "%s missing", path);
    n = fread(text, 1, sizeof text, fp);
    fclose(fp);
    ck_assert_int_eq(conf_parse_text(text, n, path, &c, &err, NULL, NULL), 0);
    x->d = name_index(&x->f, daemon);
    ck_assert_int_ge(x->d, 0);
    ck_assert_int_eq(msm_conf_from(&x->conf, c, 12345), -ENOENT);
    ck_assert_int_eq(msm_conf_from(&x->conf, c, x->f.ids[x->d]), 0);
    ck_assert_int_eq(x->conf.fast, 1); /* the daemon's default */
    x->conf.fast = 0; /* the captures show upstream's timing */
    for (i = 0; i < x->f.nnames; i++)
        x->segs[i] = (int16_t)c->daemons[i].segment;
    conf_free(c);
    x->data_ring.id = x->f.ids[x->d];
    x->data_ring.time = -1;
}

/* 04 starts with the ring {n1, n2, n3} running: put the state machine in
 * it, holding every seq up to the first token's aru. */
static void seed_ring(struct replay *x, uint64_t now)
{
    static struct pkt p;
    size_t k;
    int i;

    for (k = 0; k < x->f.n; k++)
        if (pkt_decode(x->f.recs[k].data, x->f.recs[k].len, &p) == 0 &&
            p.kind == PKT_KIND_TOKEN)
            break;
    ck_assert(k < x->f.n);
    x->m.ring_id = p.u.token.h.mid;
    x->m.ring_n = (unsigned)x->f.nnames;
    for (i = 0; i < x->f.nnames; i++)
        x->m.ring_ids[i] = x->f.ids[i];
    x->data_ring = x->m.ring_id;
    x->base_aru = x->highest = p.u.token.h.aru;
    /* n1 created that ring's FORM1 (it was the first to start): the stale
     * cursor its segment-representative JOIN shows (04 P526). */
    x->m.join_cursor = 1;
    x->now = now;
    msm_set_state(&x->m, MSM_OP, "seeded from the capture", now);
}

static uint32_t hash_of(const struct pkt *p)
{
    switch (p->kind) {
    case PKT_KIND_TOKEN:
        return p->u.token.h.hash;
    case PKT_KIND_FORM1:
    case PKT_KIND_FORM2:
        return p->u.form.h.hash;
    case PKT_KIND_DATA:
        return p->u.data.h.hash;
    default:
        return p->u.head.hash;
    }
}

/* The record is a datagram this daemon missed (03, 04, 05 loss). */
static int dropped(const struct replay *x, const struct rv_rec *r)
{
    char want[48];
    int i;

    snprintf(want, sizeof want, "#   !! NOT received by %s ",
             x->f.names[x->d]);
    for (i = 0; i < r->nann; i++)
        if (strncmp(r->ann[i], want, strlen(want)) == 0)
            return 1;
    return 0;
}

struct replay_case {
    const char *file, *conf, *daemon;
    int seeded;              /* starts in the running ring of the capture */
    int installs;
};

static void run(const struct replay_case *rc)
{
    static struct replay xr;
    static struct pkt p;
    struct replay *x = &xr;
    double *t, unix0 = 0;
    size_t k;
    int started = 0;

    memset(x, 0, sizeof *x);
    load(x, rc->file, rc->conf ? rc->conf : rc->file, rc->daemon);
    t = record_times(&x->f, &unix0);
    x->conf.wall_offset_ms = (int64_t)(unix0 * 1000 + 0.5) - BASE;
    ck_assert_int_eq(msm_init(&x->m, &x->conf, &ops, x), 0);
    if (rc->seeded) {
        seed_ring(x, BASE + (uint64_t)(t[0] * 1000 + 0.5));
        started = 1;
    }
    for (k = 0; k < x->f.n; k++) {
        const struct rv_rec *r = &x->f.recs[k];
        uint64_t now = BASE + (uint64_t)(t[k] * 1000 + 0.5);
        int src = name_index(&x->f, r->src), dst;
        int out = src == x->d, in;

        x->r = r;
        if (pkt_decode(r->data, r->len, &p) != 0)
            continue;
        dst = name_index(&x->f, r->dst);
        in = dst == x->d || (dst < 0 && !out && src >= 0 &&
                             x->segs[src] == x->segs[x->d]);
        in = in && !dropped(x, r) && hash_of(&p) == x->conf.hash;
        if (!started) {
            if (!out || !memb_kind(p.kind))
                continue;
            started = 1;
            x->now = now;
            msm_start(&x->m, x->now);
        }
        if (out && memb_kind(p.kind))
            compare(x, next_output(x, now, p.kind), &p);
        if (out && p.kind == PKT_KIND_TOKEN)
            core_token(x, &p.u.token);
        if (out && p.kind == PKT_KIND_DATA)
            core_data(x, &p.u.data, 0);
        if (!in || (out && memb_kind(p.kind) && p.kind != PKT_KIND_FORM1 &&
                    p.kind != PKT_KIND_FORM2))
            continue;
        concurrent(x, k, t);
        fire_silent(x, now);
        if (now > x->now)
            x->now = now;
        if (memb_kind(p.kind))
            msm_receive(&x->m, &p, x->now);
        else if (p.kind == PKT_KIND_TOKEN && !out)
            core_token(x, &p.u.token);
        else if (p.kind == PKT_KIND_DATA && !out)
            core_data(x, &p.u.data, 0);
    }
    x->r = NULL;
    CHK(x->head == x->nq, "%d outputs not captured", x->nq - x->head);
    if (getenv("MSM_TRACE"))
        fprintf(stderr, "%s %s: %d datagrams compared\n", rc->file,
                rc->daemon, x->compared);
    CHK(x->compared > 0, "nothing compared");
    CHK(x->installs == rc->installs, "%d installs", x->installs);
    CHK(msm_state(&x->m) == MSM_OP, "ends in %s",
        msm_state_name(msm_state(&x->m)));
    free(t);
    msm_fini(&x->m);
    rv_free(&x->f);
}

static const struct replay_case cases[] = {
    {"01_formation", NULL, "n1", 0, 3},
    {"01_formation", NULL, "n2", 0, 2},
    {"01_formation", NULL, "n3", 0, 1},
    {"04_crash_evs_merge", NULL, "n1", 1, 2},
    {"04_crash_evs_merge", NULL, "n2", 1, 2},
    {"04_crash_evs_merge", NULL, "n3", 0, 1},
    {"05_accelerated_ring", NULL, "n1", 0, 3},
    {"05_accelerated_ring", NULL, "n2", 0, 2},
    {"05_accelerated_ring", NULL, "n3", 0, 1},
    {"06_explicit_original_ring", NULL, "n1", 0, 3},
    {"06_explicit_original_ring", NULL, "n2", 0, 2},
    {"06_explicit_original_ring", NULL, "n3", 0, 1},
    {"07_hash_mismatch", NULL, "n1", 0, 1},
    {"07_hash_mismatch", NULL, "n2", 0, 1},
    {"07_hash_mismatch", "07_hash_mismatch.n3", "n3", 0, 1},
    {"08_two_segments", NULL, "n1", 0, 2},
    {"08_two_segments", NULL, "n3", 0, 2},
    {"08_two_segments", NULL, "n2", 0, 1},
    {"08_two_segments", NULL, "n4", 0, 1},
};

START_TEST(replay)
{
    run(&cases[_i]);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ring_memb_vec");
    TCase *tc = tcase_create("replay");

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, replay, 0,
                        (int)(sizeof cases / sizeof cases[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    char path[4400];
    FILE *fp;

    snprintf(path, sizeof path, "%s/01_formation.vec", rv_dir());
    fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "no captures in %s: skipped\n", rv_dir());
        return 77;
    }
    fclose(fp);
    return ck_run_suite(suite());
}
