/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * memb_form: the FORM tokens of the membership algorithm (ring.md §9.4,
 * README sections 5 and 6 D6, D7): FORM1 created by the smallest
 * representative and carried through every representative and its
 * members, each adding itself and merging its old ring's record (holes,
 * aru, highest seq, transitional and commit sets); then FORM2 around the
 * new ring, which stamps the new membership id and the transitional
 * times and hands each member its ring to install. The contract is in
 * memb_sm.h; memb_sm.c holds the states.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memb_sm_int.h"

int msmf_init(struct msm *m)
{
    struct msm_form_work *w = calloc(1, sizeof *w);

    if (!w)
        return -ENOMEM;
    w->pool = calloc(MSM_MAX_HOLES, sizeof *w->pool);
    w->tmp = calloc(MSM_MAX_HOLES, sizeof *w->tmp);
    if (!w->pool || !w->tmp) {
        free(w->pool);
        free(w->tmp);
        free(w);
        return -ENOMEM;
    }
    m->fw = w;
    return 0;
}

void msmf_fini(struct msm *m)
{
    if (!m->fw)
        return;
    free(m->fw->pool);
    free(m->fw->tmp);
    free(m->fw);
    m->fw = NULL;
}

void msmf_abandon(struct msm *m)
{
    struct msm_form_work *w = m->fw;

    if (w->in_attempt) {
        w->stale = w->attempt;
        w->have_stale = 1;
    }
    w->in_attempt = 0;
    w->form2_done = 0;
    w->seen_valid = 0;
}

void msmf_finish(struct msm *m)
{
    /* Late copies of the finished attempt's tokens are ignored too. */
    msmf_abandon(m);
}

/* ---- the token in memory ----------------------------------------------- */

static const int32_t *rec_holes(const struct pkt_ring *r)
{
    return (const int32_t *)(const void *)r->holes.bytes;
}

/* Bytes the token takes on the wire (ring.md §13, README section 5). */
static size_t form_len(const struct pkt_form *t, int form1)
{
    size_t len = PKT_HEADER_LEN + PKT_MEMBERS_FULL_LEN +
                 (form1 ? PKT_REPS_FULL_LEN : 8) + 4;
    int i;
    for (i = 0; i < t->nrings; i++)
        len += PKT_RING_RECORD_LEN + 4 * (size_t)t->rings[i].holes.n +
               4 * (size_t)t->rings[i].ncommit;
    return len;
}

/* Copy a received token into w->tok with its holes in the pool, record
 * after record. -1 if its counts break the bounds. */
static int import(struct msm_form_work *w, const struct pkt_form *f)
{
    uint32_t off = 0, k;
    int i;

    if (f->members.nmembers < 0 || f->members.npending < 0 ||
        f->members.nmembers + f->members.npending > PKT_MAX_MEMBERS ||
        f->reps.nreps < 0 || f->reps.nreps > PKT_MAX_REPS ||
        f->reps.cursor < 0 || f->reps.cursor > f->reps.nreps ||
        f->nrings < 0 || f->nrings > PKT_MAX_RINGS)
        return -1;
    w->tok = *f;
    for (i = 0; i < f->nrings; i++) {
        const struct pkt_ring *r = &f->rings[i];
        if (r->ntrans > r->ncommit || r->ncommit > PKT_MAX_MEMBERS ||
            r->holes.n > MSM_MAX_HOLES - off)
            return -1;
        for (k = 0; k < r->holes.n; k++)
            w->pool[off + k] = pkt_i32s_get(&r->holes, k);
        w->tok.rings[i].holes = pkt_i32s_host(w->pool + off, r->holes.n);
        off += r->holes.n;
    }
    return 0;
}

static int find_ring(const struct pkt_form *t, struct pkt_mid id)
{
    int i;
    for (i = 0; i < t->nrings; i++)
        if (msm_mid_eq(t->rings[i].mid, id))
            return i;
    return -1;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Does this daemon lack seq s of its old ring? */
static int lacks(const struct msm_ring_state *rs, int32_t s)
{
    if (s > rs->highest_seq)
        return 1;
    if (s <= rs->my_aru || rs->nmissing == 0)
        return 0;
    return bsearch(&s, rs->missing, rs->nmissing, sizeof s, cmp_i32) != NULL;
}

/* ---- ring records (rules 56, 57) --------------------------------------- */

/* Holes of my record into w->tmp: a new record lists what I lack above
 * the stable point; a merged one keeps the old holes I lack too, plus
 * what I lack above the old highest seq. Returns the count. */
static uint32_t merged_holes(struct msm_form_work *w,
                             const struct pkt_ring *old,
                             const struct msm_ring_state *rs, int32_t aru,
                             int32_t highest)
{
    int32_t from = old ? old->highest_seq : aru;
    uint32_t n = 0, k;

    if (old) {
        const int32_t *h = rec_holes(old);
        for (k = 0; k < old->holes.n && n < MSM_MAX_HOLES; k++)
            if (h[k] > aru && lacks(rs, h[k]))
                w->tmp[n++] = h[k];
    }
    if (from < aru)
        from = aru;
    for (k = 0; k < rs->nmissing && n < MSM_MAX_HOLES; k++)
        if (rs->missing[k] > from && rs->missing[k] <= highest &&
            rs->missing[k] > rs->my_aru)
            w->tmp[n++] = rs->missing[k];
    /* Seqs I know of but never had, above my own highest: none by
     * definition of highest_seq. */
    return n;
}

/* Transitional set += me (moved out of the commit-only part if there),
 * commit set += my kept commit set. */
static void merge_sets(struct pkt_ring *r, uint32_t me,
                       const struct msm_ring_state *rs)
{
    unsigned i;

    for (i = 0; i < r->ntrans; i++)
        if (r->commit[i] == me)
            goto commit;
    for (i = r->ntrans; i < r->ncommit; i++)
        if (r->commit[i] == me) {
            memmove(r->commit + i, r->commit + i + 1,
                    (r->ncommit - i - 1) * sizeof r->commit[0]);
            r->ncommit--;
            break;
        }
    if (r->ncommit < PKT_MAX_MEMBERS) {
        memmove(r->commit + r->ntrans + 1, r->commit + r->ntrans,
                (r->ncommit - r->ntrans) * sizeof r->commit[0]);
        r->commit[r->ntrans] = me;
        r->ntrans++;
        r->ncommit++;
    }
commit:
    for (i = 0; i < rs->ncommit; i++)
        if (r->ncommit < PKT_MAX_MEMBERS &&
            !msm_ids_has(r->commit, r->ncommit, rs->commit[i]))
            r->commit[r->ncommit++] = rs->commit[i];
}

/* Merge (or add) my old ring's record and move it last (README D7).
 * -ENOSPC when it does not fit: 20 records, the hole pool, or one
 * datagram. */
static int merge_record(struct msm *m, const struct msm_ring_state *rs)
{
    struct msm_form_work *w = m->fw;
    struct pkt_form *t = &w->tok;
    int idx = find_ring(t, rs->ring_id), i;
    struct pkt_ring rec;
    uint32_t nh, kept = 0, off = 0;

    if (idx < 0 && t->nrings >= PKT_MAX_RINGS)
        return -ENOSPC;
    if (idx >= 0) {
        rec = t->rings[idx];
        if (rs->aru > rec.aru)
            rec.aru = rs->aru;
        if (rs->highest_seq > rec.highest_seq)
            rec.highest_seq = rs->highest_seq;
        nh = merged_holes(w, &t->rings[idx], rs, rec.aru, rec.highest_seq);
    } else {
        memset(&rec, 0, sizeof rec);
        rec.mid = rs->ring_id;
        rec.aru = rs->aru;
        rec.highest_seq = rs->highest_seq;
        nh = merged_holes(w, NULL, rs, rec.aru, rec.highest_seq);
    }
    merge_sets(&rec, m->conf.my_id, rs);
    for (i = 0; i < t->nrings; i++)
        if (i != idx)
            kept += t->rings[i].holes.n;
    if (kept + nh > MSM_MAX_HOLES)
        return -ENOSPC;
    {   /* size with the new record in place of the old one */
        size_t len = form_len(t, 1) + PKT_RING_RECORD_LEN +
                     4 * ((size_t)nh + rec.ncommit);
        if (idx >= 0)
            len -= PKT_RING_RECORD_LEN + 4 * ((size_t)t->rings[idx].holes.n +
                                              t->rings[idx].ncommit);
        if (len > PKT_MAX_DATAGRAM)
            return -ENOSPC;
    }
    /* Repack: the other records keep their order, mine goes last. */
    for (i = 0; i < t->nrings; i++) {
        struct pkt_ring *r = &t->rings[i];
        if (i == idx)
            continue;
        memmove(w->pool + off, rec_holes(r), r->holes.n * sizeof(int32_t));
        r->holes = pkt_i32s_host(w->pool + off, r->holes.n);
        off += r->holes.n;
    }
    if (idx >= 0) {
        memmove(t->rings + idx, t->rings + idx + 1,
                (size_t)(t->nrings - idx - 1) * sizeof t->rings[0]);
        t->nrings--;
    }
    memcpy(w->pool + off, w->tmp, nh * sizeof(int32_t));
    rec.holes = pkt_i32s_host(w->pool + off, nh);
    t->rings[t->nrings++] = rec;
    return 0;
}

/* ---- FORM1 hops (rule 57) ---------------------------------------------- */

/* The daemon that must process the token next: the first pending member,
 * else the representative at the cursor. 0 when the token is complete. */
static int next_hop(const struct pkt_form *t, uint32_t *hop, int *as_rep)
{
    if (t->members.npending > 0) {
        *hop = t->members.ids[t->members.nmembers];
        *as_rep = 0;
        return 1;
    }
    if (t->reps.cursor < t->reps.nreps) {
        *hop = t->reps.r[t->reps.cursor].id;
        *as_rep = 1;
        return 1;
    }
    return 0;
}

static int visited(const struct pkt_form *t, uint32_t id)
{
    int i;
    for (i = 0; i < t->members.nmembers; i++)
        if (t->members.ids[i] == id)
            return 1;
    return 0;
}

static int listed(const struct pkt_form *t, uint32_t id)
{
    int i;
    for (i = 0; i < t->members.nmembers + t->members.npending; i++)
        if (t->members.ids[i] == id)
            return 1;
    return 0;
}

/* Drop the first pending member (me). */
static void pop_pending(struct pkt_form *t)
{
    int16_t v = t->members.nmembers;
    memmove(t->members.ids + v, t->members.ids + v + 1,
            (size_t)(t->members.npending - 1) * sizeof t->members.ids[0]);
    t->members.npending--;
}

/* The daemons a representative brings: a ring leader its ring, a
 * segment representative those it gathered, anyone else itself. */
static void rep_members(const struct msm *m, const uint32_t **ids,
                        unsigned *n)
{
    enum msm_state s = m->state;
    int alive = m->token_alive;

    if (s == MSM_FORM) { /* back as representative after a first visit */
        s = m->fw->before;
        alive = m->fw->before_alive;
    }
    if (s == MSM_OP || (s == MSM_GATHER && alive)) {
        *ids = m->ring_ids;
        *n = m->ring_n;
    } else if (s == MSM_GATHER) {
        *ids = m->members;
        *n = m->nmembers;
    } else {
        *ids = &m->conf.my_id;
        *n = 1;
    }
}

/* Process the token at this daemon once. Returns 1 if this daemon had to
 * leave the attempt (no room for its record). */
static int visit(struct msm *m, int as_rep)
{
    struct pkt_form *t = &m->fw->tok;
    uint32_t me = m->conf.my_id;
    int left = 0;

    if (!visited(t, me)) {
        struct msm_ring_state rs;
        memset(&rs, 0, sizeof rs);
        m->ops.query(m->ctx, &rs);
        if (merge_record(m, &rs) < 0) {
            left = 1;
            m->stats.forms_left++;
        } else {
            int64_t mark = (int64_t)rs.highest_seq + MSM_SEQ_MARGIN;
            m->fw->old_ring = rs.ring_id;
            if (mark > t->h.seq)
                t->h.seq = mark > INT32_MAX ? INT32_MAX : (int32_t)mark;
        }
        if (!as_rep && left) {
            pop_pending(t);
        } else if (!as_rep) {
            t->members.nmembers++;
            t->members.npending--;
        } else if (!left) {
            t->members.ids[t->members.nmembers++] = me;
        }
    } else if (!as_rep) {
        pop_pending(t); /* listed twice */
    }
    if (as_rep) {
        if (!left) {
            const uint32_t *ids;
            unsigned n, i;
            rep_members(m, &ids, &n);
            for (i = 0; i < n; i++)
                if (t->members.nmembers + t->members.npending <
                        PKT_MAX_MEMBERS &&
                    !listed(t, ids[i]))
                    t->members.ids[t->members.nmembers +
                                   t->members.npending++] = ids[i];
        }
        t->reps.cursor++;
    }
    return left;
}

/* FORM1 complete: sort the members in configuration order, all pending,
 * and make it FORM2 for the first member (rule 58). The new-id field
 * holds the first 8 bytes of the representative structure until the
 * first member fills it (README D6). */
static void to_form2(struct msm *m)
{
    struct pkt_form *t = &m->fw->tok;
    int n = t->members.nmembers + t->members.npending, i, j;
    int16_t cnt = t->reps.nreps, cur = t->reps.cursor;
    uint32_t w0;

    for (i = 1; i < n; i++) { /* insertion sort, n <= 128 */
        uint32_t id = t->members.ids[i];
        int ci = msm_cfg_index(m, id);
        for (j = i; j > 0 && msm_cfg_index(m, t->members.ids[j - 1]) > ci;
             j--)
            t->members.ids[j] = t->members.ids[j - 1];
        t->members.ids[j] = id;
    }
    t->members.nmembers = 0;
    t->members.npending = (int16_t)n;
    memcpy(&w0, &cnt, sizeof cnt);
    memcpy((unsigned char *)&w0 + sizeof cnt, &cur, sizeof cur);
    t->new_mid.id = w0;
    t->new_mid.time = t->reps.nreps > 0 ? (int32_t)t->reps.r[0].id : 0;
    t->h.type = PKT_FORM2;
}

static void send_tok(struct msm *m, uint32_t to)
{
    struct pkt_form *t = &m->fw->tok;

    t->h.transmitter = m->conf.my_id;
    t->h.last = m->conf.my_id;
    memset(m->out, 0, sizeof *m->out);
    m->out->kind = t->h.type == PKT_FORM2 ? PKT_KIND_FORM2 : PKT_KIND_FORM1;
    m->out->u.form = *t;
    msm_send_out(m, MSM_DEST_DAEMON, to, 2);
}

/* Visit as long as this daemon is the next hop (it may be a pending
 * member and the next representative), then pass the token on. */
static void run_hops(struct msm *m, uint64_t now, const char *reason)
{
    struct pkt_form *t = &m->fw->tok;
    uint32_t hop = 0;
    int as_rep = 0, left = 0, guard, more = 0;

    for (guard = 0; guard < 4; guard++) {
        more = next_hop(t, &hop, &as_rep);
        if (!more || hop != m->conf.my_id)
            break;
        left |= visit(m, as_rep);
    }
    if (!left) {
        if (m->state != MSM_FORM) {
            m->fw->before = m->state;
            m->fw->before_alive = m->token_alive;
        }
        m->fw->in_attempt = 1;
        m->fw->attempt = t->h.mid;
        m->fw->form2_done = 0;
        msm_set_state(m, MSM_FORM, reason, now);
    }
    if (more) {
        send_tok(m, hop);
    } else if (t->members.nmembers + t->members.npending > 0) {
        to_form2(m);
        send_tok(m, t->members.ids[0]);
    }
    if (left) {
        /* Its other copy, or a later pass, must not pull me back in. */
        m->fw->in_attempt = 1;
        m->fw->attempt = t->h.mid;
        msm_go_seg(m, now, "FORM1: no room for my ring record");
    }
}

void msmf_create(struct msm *m, uint64_t now)
{
    struct msm_form_work *w = m->fw;
    struct pkt_form *t = &w->tok;
    int i, j;

    memset(t, 0, sizeof *t);
    t->h.type = PKT_FORM1;
    t->h.mid.id = m->conf.my_id;
    t->h.mid.time = msm_fresh_time(m, now);
    t->h.hash = m->conf.hash;
    t->reps = m->reps;
    t->reps.cursor = 0;
    for (i = 1; i < t->reps.nreps; i++) { /* sort: smallest first */
        struct pkt_rep r = t->reps.r[i];
        for (j = i; j > 0 && msm_rep_cmp(m, &t->reps.r[j - 1], &r) > 0; j--)
            t->reps.r[j] = t->reps.r[j - 1];
        t->reps.r[j] = r;
    }
    w->seen_valid = 0;
    m->stats.forms_created++;
    m->join_cursor = 1;
    run_hops(m, now, "FORM1 created");
}

int msmf_form1(struct msm *m, const struct pkt_form *f, uint64_t now)
{
    struct msm_form_work *w = m->fw;
    uint32_t hop;
    int as_rep;

    if (m->state == MSM_EVS)
        return 1;
    if (w->have_stale && msm_mid_eq(w->stale, f->h.mid))
        return 1;
    if (m->state == MSM_FORM) {
        if (!w->in_attempt || !msm_mid_eq(w->attempt, f->h.mid) ||
            w->form2_done)
            return 1;
        if (w->seen_valid && w->seen_visited == f->members.nmembers &&
            w->seen_pending == f->members.npending &&
            w->seen_cursor == f->reps.cursor)
            return 1; /* the second copy */
    }
    if (!next_hop(f, &hop, &as_rep) || hop != m->conf.my_id)
        return 1;
    if (import(w, f) < 0)
        return 1;
    w->seen_valid = 1;
    w->seen_visited = f->members.nmembers;
    w->seen_pending = f->members.npending;
    w->seen_cursor = f->reps.cursor;
    run_hops(m, now, "FORM1 processed");
    return 0;
}

/* ---- FORM2 (rule 58) --------------------------------------------------- */

static int first_of_old_ring(const struct pkt_form *t,
                             const struct pkt_ring *r)
{
    int i;
    for (i = 0; i < t->members.nmembers; i++)
        if (msm_ids_has(r->commit, r->ntrans, t->members.ids[i]))
            return 0;
    return 1;
}

static void install(struct msm *m, const struct pkt_ring *r, int last)
{
    struct msm_form_work *w = m->fw;
    const struct pkt_form *t = &w->tok;
    struct msm_install in;
    unsigned i;
    int j;

    m->next_id = t->new_mid;
    m->next_n = (unsigned)(t->members.nmembers + t->members.npending);
    for (i = 0; i < m->next_n; i++) {
        m->next_ids[i] = t->members.ids[i];
        m->next_segs[i] = m->conf.segs[msm_cfg_index(m, m->next_ids[i])];
    }
    memcpy(w->trans_sorted, r->commit, r->ntrans * sizeof r->commit[0]);
    for (i = 1; i < r->ntrans; i++) {
        uint32_t id = w->trans_sorted[i];
        for (j = (int)i; j > 0 && msm_cfg_index(m, w->trans_sorted[j - 1]) >
                                      msm_cfg_index(m, id);
             j--)
            w->trans_sorted[j] = w->trans_sorted[j - 1];
        w->trans_sorted[j] = id;
    }
    memset(&in, 0, sizeof in);
    in.ring_id = t->new_mid;
    in.attempt = t->h.mid;
    in.seq_marker = t->h.seq;
    in.n = m->next_n;
    in.ids = m->next_ids;
    in.segs = m->next_segs;
    in.my_index = (unsigned)(t->members.nmembers - 1);
    in.last = last;
    in.old_ring = r->mid;
    in.old_aru = r->aru;
    in.old_highest = r->highest_seq;
    in.holes = rec_holes(r);
    in.nholes = r->holes.n;
    in.trans_id.id = r->ntrans ? w->trans_sorted[0] : m->conf.my_id;
    in.trans_id.time = r->trans_time;
    in.trans = w->trans_sorted;
    in.ntrans = r->ntrans;
    in.commit = r->commit;
    in.ncommit = r->ncommit;
    m->ops.install(m->ctx, &in);
}

int msmf_form2(struct msm *m, const struct pkt_form *f, uint64_t now)
{
    struct msm_form_work *w = m->fw;
    struct pkt_form *t = &w->tok;
    struct pkt_ring *r;
    int32_t stamp = 0;
    int idx, last;

    if (m->state != MSM_FORM || !w->in_attempt || w->form2_done ||
        !msm_mid_eq(w->attempt, f->h.mid))
        return 1;
    if (f->members.npending <= 0 || f->members.nmembers < 0 ||
        f->members.nmembers + f->members.npending > PKT_MAX_MEMBERS ||
        f->members.ids[f->members.nmembers] != m->conf.my_id)
        return 1;
    if (import(w, f) < 0)
        return 1;
    idx = find_ring(t, w->old_ring);
    if (idx < 0)
        return 1;
    r = &t->rings[idx];
    if (t->members.nmembers == 0) {
        /* First member: T for the transitional time, T+1 for the ring
         * (README section 5). */
        stamp = msm_fresh_time(m, now);
        t->new_mid.id = m->conf.my_id;
        t->new_mid.time = msm_fresh_time(m, now);
    }
    if (first_of_old_ring(t, r))
        r->trans_time = stamp ? stamp : msm_fresh_time(m, now);
    /* Holes of other implementations need not come sorted. */
    qsort(w->pool + (rec_holes(r) - w->pool), r->holes.n, sizeof(int32_t),
          cmp_i32);
    t->members.nmembers++;
    t->members.npending--;
    last = t->members.npending == 0;
    w->form2_done = 1;
    msm_set_state(m, MSM_FORM, "FORM2 processed", now);
    install(m, r, last);
    if (!last)
        send_tok(m, t->members.ids[t->members.nmembers]);
    return 0;
}

int msmf_in_attempt(const struct msm *m, uint32_t id)
{
    const struct pkt_form *t = &m->fw->tok;
    int n = t->members.nmembers + t->members.npending;

    if (!m->fw->in_attempt || n < 0 || n > PKT_MAX_MEMBERS)
        return 0;
    return msm_ids_has(t->members.ids, (unsigned)n, id);
}
