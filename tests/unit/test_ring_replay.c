/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Upstream captures (shared/vectors/ring, 02 and 03) replayed through the
 * ring core of one non-leader daemon: what it received goes in, and every
 * token it sent, and every packet it broadcast first, must come out of
 * the core the same (see replay() for the input order).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring/core.h"
#include "ringrec.h"
#include "../lib/ckmain.h"
#include "../lib/ringvec.h"
#include "../lib/vec.h"

static int name_index(const struct rv_file *v, const char *name)
{
    int i;

    for (i = 0; i < v->nnames; i++)
        if (!strcmp(v->names[i], name))
            return i;
    return -1;
}

static int not_received_by(const struct rv_rec *r, const char *name)
{
    char pat[64];
    int i;

    snprintf(pat, sizeof(pat), "NOT received by %s", name);
    for (i = 0; i < r->nann; i++)
        if (strstr(r->ann[i], pat))
            return 1;
    return 0;
}

/* Compare a token the core sent with the one the capture shows. */
static void same_token(const struct out *o, const struct pkt_token *t,
                       int rec)
{
    struct pkt_rtr b;
    size_t off = 0;
    int nb = 0, i;

    ck_assert_msg(o->th.type == t->h.type && o->th.seq == t->h.seq &&
                  o->th.aru == t->h.aru &&
                  o->th.aru_setter == t->h.aru_setter &&
                  o->th.flow_control == t->h.flow_control &&
                  o->th.rtr_len == t->rtr.len,
                  "record %d: sent type %#x seq %d aru %d setter %u fc %d "
                  "rtr %u; captured type %#x seq %d aru %d setter %u fc %d "
                  "rtr %u", rec, (unsigned)o->th.type, o->th.seq, o->th.aru,
                  (unsigned)o->th.aru_setter, o->th.flow_control,
                  (unsigned)o->th.rtr_len, (unsigned)t->h.type, t->h.seq,
                  t->h.aru, (unsigned)t->h.aru_setter, t->h.flow_control,
                  (unsigned)t->rtr.len);
    while (pkt_rtr_next(&t->rtr, &off, &b)) {
        ck_assert_int_lt(nb, o->nblk);
        ck_assert_msg(o->b[nb].requester == b.requester &&
                      o->b[nb].seg == b.seg_index && o->b[nb].n == b.count,
                      "record %d: request block %d differs", rec, nb);
        for (i = 0; i < b.count; i++)
            ck_assert_int_eq(o->b[nb].seqs[i],
                             pkt_i32s_get(&b.seqs, (uint32_t)i));
        nb++;
    }
}

static void replay_feed(struct fix *f, const struct rv_rec *r,
                        struct pkt *p, uint64_t now)
{
    if (pkt_decode(r->data, r->len, p) < 0)
        return;
    if (p->kind == PKT_KIND_TOKEN)
        ring_token_receive(&f->r, &p->u.token, now);
    else if (p->kind == PKT_KIND_DATA)
        ck_assert_int_ge(ring_data_receive(&f->r, &p->u.data, now), 0);
}

/* The messages a daemon's clients gave it, recovered from the packets it
 * broadcast first (not its retransmissions): each with the record of its
 * first fragment, so that the replay can queue it before the visit on
 * which upstream sent it. */
struct own_msg {
    int first_rec;
    unsigned char *bytes;
    size_t len;
    uint32_t service;
    int queued;
};

struct own_msgs {
    struct own_msg m[256];
    int n;
};

static void collect_own(const struct rv_file *v, const char *name,
                        uint32_t id, struct pkt *p, struct own_msgs *out)
{
    struct frag_reasm *ra = malloc(sizeof(*ra));
    size_t i;

    ck_assert_ptr_nonnull(ra);
    frag_reasm_init(ra);
    out->n = 0;
    for (i = 0; i < v->n; i++) {
        const struct rv_rec *r = &v->recs[i];
        unsigned k;

        if (strcmp(r->src, name) || strcmp(r->dst, "bcast") ||
            pkt_decode(r->data, r->len, p) < 0 || p->kind != PKT_KIND_DATA ||
            p->u.data.h.originator != id)
            continue;
        for (k = 0; k < p->u.data.nfrags; k++) {
            const struct pkt_frag *fr = &p->u.data.frags[k];
            struct frag_done done;
            struct own_msg *m = &out->m[out->n];

            if (fr->index == 1 || fr->index == -1)
                m->first_rec = r->num;
            if (frag_reasm_add(ra, id, fr, &done) != 1)
                continue;
            ck_assert_int_lt(out->n, 256);
            m->bytes = malloc(done.len);
            ck_assert_ptr_nonnull(m->bytes);
            memcpy(m->bytes, done.bytes, done.len);
            m->len = done.len;
            m->service = frag_service_of(done.msg.type);
            ck_assert_uint_ne(m->service, 0);
            m->queued = 0;
            out->n++;
        }
    }
    frag_reasm_fini(ra);
    free(ra);
}

/* Queue every own message whose first fragment went out before record
 * `until` (the daemon's next token). */
static void queue_own(struct fix *f, struct own_msgs *om, int until,
                      uint64_t now)
{
    int i;

    for (i = 0; i < om->n; i++) {
        if (om->m[i].queued || om->m[i].first_rec >= until)
            continue;
        ck_assert_int_eq(ring_submit(&f->r, om->m[i].bytes, om->m[i].len,
                                     om->m[i].service, now), 0);
        om->m[i].queued = 1;
    }
}

static int next_token_from(const struct rv_file *v, size_t i,
                           const char *name, struct pkt *p)
{
    for (; i < v->n; i++)
        if (!strcmp(v->recs[i].src, name) &&
            pkt_decode(v->recs[i].data, v->recs[i].len, p) == 0 &&
            p->kind == PKT_KIND_TOKEN)
            return v->recs[i].num;
    return 1 << 30;
}

/* 1 if the next token `name` sends from record i on still asks for
 * seq. */
static int still_asked(const struct rv_file *v, size_t i, const char *name,
                       int32_t seq, uint32_t me, struct pkt *p)
{
    struct pkt_rtr b;
    size_t off = 0;
    int32_t k;

    for (; i < v->n; i++)
        if (!strcmp(v->recs[i].src, name) &&
            pkt_decode(v->recs[i].data, v->recs[i].len, p) == 0 &&
            p->kind == PKT_KIND_TOKEN)
            break;
    if (i == v->n)
        return 0;
    while (pkt_rtr_next(&p->u.token.rtr, &off, &b))
        for (k = 0; k < b.count; k++)
            if (b.requester == me &&
                pkt_i32s_get(&b.seqs, (uint32_t)k) == seq)
                return 1;
    return 0;
}

/* A packet the daemon broadcast first, against the core's next one. */
static void same_data(const struct fix *f, int *k, const struct pkt_data *d,
                      int rec)
{
    const struct out *o;
    int at = *k;

    do {
        o = rec_nth(f, 'D', at++);
    } while (o->how != RING_DEST_RING || o->transmitter != d->h.originator);
    *k = at;
    ck_assert_msg(o->seq == d->h.seq && o->nfrags == d->nfrags &&
                  o->index0 == d->frags[0].index &&
                  o->service == (d->h.type & PKT_SERVICE_MASK),
                  "record %d: sent seq %d with %u fragments (first %d), "
                  "captured seq %d with %u (first %d)", rec, o->seq,
                  o->nfrags, o->index0, d->h.seq, d->nfrags,
                  d->frags[0].index);
}

/* What a replay leaves to look at. */
struct replay_res {
    int tokens;                 /* tokens compared (copies counted) */
    int data;                   /* first transmissions compared */
    struct out kept;            /* the core's token of record keep_rec */
};

/* Look at a daemon from where its first received token finds the ring:
 * seq base and the round stamp before that token's. */
static void replay_resume(struct fix *f, const struct rv_file *v,
                          const char *name, struct pkt *p)
{
    size_t i;

    for (i = 0; i < v->n; i++)
        if (!strcmp(v->recs[i].dst, name) &&
            pkt_decode(v->recs[i].data, v->recs[i].len, p) == 0 &&
            p->kind == PKT_KIND_TOKEN)
            break;
    ck_assert_uint_lt(i, v->n);
    f->r.conf.ring_id = p->u.token.h.mid;
    window_fini(&f->r.win);
    ck_assert_int_eq(window_init(&f->r.win, (uint32_t)p->u.token.h.seq), 0);
    f->r.last_delivered = f->r.global_aru = (uint32_t)p->u.token.h.seq;
    f->r.stamp = (pkt_type_round(p->u.token.h.type) + 15) & 0xf;
}

/* A capture of a ring formed before it starts, through the core of one
 * non-leader daemon `name`. The daemon sends what its client gave it
 * (recovered from its own broadcasts and queued before the visit on
 * which upstream sent it); everything it received (the capture marks
 * what its host did not get) goes in in capture order. Every token it
 * sent must equal the next one the core sent (copies counted), every
 * packet it broadcast first the core's next new packet (seq, fragments,
 * service).
 *
 * The order a daemon read its input in: in 03, n3's host got the
 * retransmission of seq 16 (record 159, a unicast) before the token of
 * record 161, yet n3 asked for seq 16 again on its next token (162): it
 * had not read it yet (records 222-225 again; elsewhere, as in 300-303,
 * it had). The capture shows that order only through the daemon's
 * requests, so the replay hands it a retransmission after its next token
 * when that token still asks for it. Runs of idle tokens the file leaves
 * out are bridged by moving the round stamp on. */
static void replay(const char *file, const char *name, int keep_rec,
                   struct replay_res *res)
{
    struct rv_file v;
    struct ring_conf c;
    char path[4300];
    struct fix *f = calloc(1, sizeof(*f));
    struct pkt *p = malloc(sizeof(*p));
    struct own_msgs *om = malloc(sizeof(*om));
    const struct rv_rec *deferred = NULL;
    const struct out *cur = NULL;
    unsigned copies_left = 0;
    int sent = 0, datak = 0, gap = 0, me, k;
    size_t i;

    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(om);
    memset(res, 0, sizeof(*res));
    snprintf(path, sizeof(path), "%s/%s", rv_dir(), file);
    ck_assert_int_eq(rv_load(path, &v), 0);
    me = name_index(&v, name);
    ck_assert_int_gt(me, 0);
    ring_conf_default(&c);
    /* The captured daemons ran with upstream's default. */
    c.flow.personal_window = FLOW_UPSTREAM_PERSONAL_WINDOW;
    c.hash = v.hashes[0];
    c.n = (unsigned)v.nnames;
    for (k = 0; k < v.nnames; k++)
        c.ids[k] = v.ids[k];
    c.my_index = (unsigned)me;
    c.my_id = v.ids[me];
    c.ring_id.id = v.ids[0];
    ck_assert_int_eq(ring_core_init(&f->r, &c, &rec_ops, f), 0);
    ring_start(&f->r, 0);
    replay_resume(f, &v, name, p);
    f->n = 0;
    collect_own(&v, name, v.ids[me], p, om);

    for (i = 0; i < v.n; i++) {
        const struct rv_rec *r = &v.recs[i];
        uint64_t now = 10 * (uint64_t)i;

        if (i > 0 && r->num != v.recs[i - 1].num + 1)
            gap = 1;
        if (!strcmp(r->src, name)) {
            if (pkt_decode(r->data, r->len, p) < 0)
                continue;
            if (p->kind == PKT_KIND_DATA && !strcmp(r->dst, "bcast")) {
                same_data(f, &datak, &p->u.data, r->num);
                res->data++;
            }
            if (p->kind != PKT_KIND_TOKEN)
                continue;
            if (copies_left == 0) {
                ck_assert_msg(sent < rec_count(f, 'T'),
                              "record %d: %s sent a token the core did not",
                              r->num, name);
                cur = rec_nth(f, 'T', sent++);
                copies_left = cur->copies;
            }
            same_token(cur, &p->u.token, r->num);
            if (r->num == keep_rec)
                res->kept = *cur;
            copies_left--;
            res->tokens++;
            continue;
        }
        if ((strcmp(r->dst, name) && strcmp(r->dst, "bcast")) ||
            not_received_by(r, name) || pkt_decode(r->data, r->len, p) < 0)
            continue;
        if (p->kind == PKT_KIND_DATA && !strcmp(r->dst, name) &&
            still_asked(&v, i + 1, name, p->u.data.h.seq, v.ids[me], p)) {
            deferred = r;   /* read after its next token */
            continue;
        }
        if (p->kind == PKT_KIND_TOKEN) {
            if (gap) {
                /* Idle rounds left out of the file: the daemon went
                 * through them without sending anything. */
                f->r.stamp = (pkt_type_round(p->u.token.h.type) + 15) & 0xf;
                f->r.sent_prev_turn = 0;
                sent = rec_count(f, 'T');   /* its answers were left out too */
                copies_left = 0;
                gap = 0;
            }
            queue_own(f, om, next_token_from(&v, i + 1, name, p), now);
        }
        replay_feed(f, r, p, now);
        if (deferred)
            replay_feed(f, deferred, p, now);
        deferred = NULL;
        ring_tick(&f->r, now);
    }
    ck_assert_int_eq(f->lost, 0);
    ck_assert_int_eq(sent, rec_count(f, 'T'));
    ck_assert_uint_eq(f->r.stats.reasm_errors, 0);
    ck_assert_uint_gt(f->r.stats.delivered, 0);
    for (k = 0; k < om->n; k++) {
        ck_assert_int_eq(om->m[k].queued, 1);
        free(om->m[k].bytes);
    }
    ck_assert_uint_eq(sendq_len(&f->r.q), 0);
    free(om);
    rec_free(f);
    rv_free(&v);
    free(p);
}

/* 03 through n3: 20% loss toward n3, then a lost token. */
START_TEST(replay_03_n3)
{
    struct replay_res res;

    replay("03_retransmission.vec", "n3", 158, &res);
    ck_assert_int_ge(res.tokens, 290);
    ck_assert_int_gt(res.data, 0);
    /* Records 156-158: seq 16 lost on the way to n3; n3's token asks for
     * it alone (requester n3, segment 0) and lowers the aru to 15. */
    ck_assert_int_eq(res.kept.th.seq, 16);
    ck_assert_int_eq(res.kept.th.aru, 15);
    ck_assert_int_eq(res.kept.nblk, 1);
    ck_assert_int_eq(res.kept.b[0].seg, 0);
    ck_assert_int_eq(res.kept.b[0].n, 1);
    ck_assert_int_eq(res.kept.b[0].seqs[0], 16);
    ck_assert_uint_eq(res.kept.b[0].requester, res.kept.th.aru_setter);
}
END_TEST

/* The other non-leader of 03 and both of 02 (steady traffic: packing,
 * 4- and 70-fragment messages, 20 packets per visit). */
START_TEST(replay_others)
{
    static const char *const runs[][2] = {
        { "03_retransmission.vec", "n2" },
        { "02_steady_traffic.vec", "n2" },
        { "02_steady_traffic.vec", "n3" },
    };
    struct replay_res res;
    size_t k;

    for (k = 0; k < sizeof(runs) / sizeof(runs[0]); k++) {
        replay(runs[k][0], runs[k][1], 0, &res);
        ck_assert_int_ge(res.tokens, 100);
        ck_assert_int_gt(res.data, 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ring_replay");
    TCase *rp = tcase_create("replay");

    if (!vec_available())
        return 77;      /* skipped: no captures (automake's SKIP) */
    tcase_set_timeout(rp, 60);
    tcase_add_test(rp, replay_03_n3);
    tcase_add_test(rp, replay_others);
    suite_add_tcase(s, rp);
    return ck_run_suite(s);
}
