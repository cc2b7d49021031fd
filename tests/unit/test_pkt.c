/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/ring/pkt.h against the upstream captures in
 * ../shared/vectors/ring: every datagram of every .vec file is decoded and
 * its fields checked against decode.py's annotation lines; re-encoded in
 * the sender's order it gives the captured bytes (masking only what the
 * README's "Bytes that differ" lists: padding before appended fragment
 * descriptors and unused FORM member slots); encoded big-endian and
 * decoded back it gives the same packet; every truncation of a sample is
 * refused. Also the configuration hash of every captured NN_*.conf, and
 * hand-made invalid packets and structs for each refusal.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ring/pkt.h"
#include "../lib/ckmain.h"
#include "../lib/ringvec.h"
#include "test_pkt.h"

static char **files;
static size_t nfiles;

static uint32_t wire_type(uint32_t type, enum pkt_order o)
{
    return o == PKT_ORDER_LE ? type | PKT_ENDIAN_MARK : type;
}

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) |
           (v << 24);
}

/* ---- annotation checks per kind ----------------------------------------- */

static void check_msg_head(const struct rv_file *f, const struct rv_rec *r,
                           const char *l, const struct pkt_frag *fr)
{
    struct pkt_msg m;
    const char *s = strstr(l, " sender=");
    size_t n;
    uint32_t hint;

    CHK(f, r, pkt_msg_head_decode(fr->bytes, fr->len, &m) == 0,
        "message header");
    EQ(f, r, strstr(l, " msg "), "type", wire_type(m.type, m.order));
    CHK(f, r, s != NULL, "no sender");
    s += 8;
    n = strcspn(s, " ");
    CHK(f, r, n <= PKT_GROUP_NAME && strncmp(m.sender, s, n) == 0 &&
                  (n == PKT_GROUP_NAME || m.sender[n] == '\0'),
        "sender");
    EQ(f, r, l, "num_groups", m.num_groups);
    hint = m.order == pkt_host_order() ? m.hint : swap32(m.hint);
    EQ(f, r, l, "hint", hint);
    EQ(f, r, strstr(l, " num_groups="), "data_len", m.data_len);
}

static void check_data(const struct rv_file *f, const struct rv_rec *r,
                       const struct pkt *p)
{
    const struct pkt_data *d = &p->u.data;
    const char *l0 = r->ann[0], *l1 = rv_ann(r, "#   memb_id=");
    unsigned k = 0, kd = 1;

    EQ(f, r, l0, "type", wire_type(d->h.type, p->order));
    EQ(f, r, l0, "trans", d->h.transmitter);
    EQ(f, r, l0, "orig", d->h.originator);
    EQ(f, r, l0, "hash", d->h.hash);
    EQ(f, r, l0, "data_len", d->h.payload_len);
    PAIR(f, r, l1, "memb_id", d->h.mid);
    EQ(f, r, l1, "seq", d->h.seq);
    EQ(f, r, l1, "round", d->h.round);
    EQ(f, r, l1, "pad16", d->h.pad);
    for (int i = 0; i < r->nann; i++) {
        const char *l = r->ann[i];
        int off, idx, len;
        if (sscanf(l, "#   frag@%d idx=%d len=%d", &off, &idx, &len) == 3) {
            CHK(f, r, k < d->nfrags, "more fragments annotated");
            CHK(f, r, d->frags[k].bytes - r->data == off &&
                          d->frags[k].index == idx && d->frags[k].len == len,
                "fragment %u", k);
            if (strstr(l, " msg type="))
                check_msg_head(f, r, l, &d->frags[k]);
            k++;
        } else if (sscanf(l, "#   descriptor@%d", &off) == 1) {
            CHK(f, r, kd < d->nfrags &&
                          d->frags[kd].bytes - r->data == off + 4,
                "descriptor %u", kd);
            kd++;
        }
    }
    if (k == 0)   /* a copy of a packet already shown: not decoded again */
        CHK(f, r, rv_ann(r, "#   RETRANSMISSION") ||
                      strstr(r->ann[r->nann - 1], "not decoded again"),
            "no fragment lines");
    else
        CHK(f, r, k == d->nfrags && kd == d->nfrags, "fragment count");
}

static void check_token(const struct rv_file *f, const struct rv_rec *r,
                        const struct pkt *p)
{
    const struct pkt_token *t = &p->u.token;
    const char *l0 = r->ann[0];
    struct pkt_rtr b;
    size_t off = 0, before = 0;
    int i = 1;

    EQ(f, r, l0, "type", wire_type(t->h.type, p->order));
    EQ(f, r, l0, "arq", pkt_type_round(t->h.type));
    EQ(f, r, l0, "resend", pkt_type_resend(t->h.type));
    EQ(f, r, l0, "trans", t->h.transmitter);
    EQ(f, r, l0, "last", t->h.last);
    PAIR(f, r, l0, "memb_id", t->h.mid);
    EQ(f, r, l0, "seq", t->h.seq);
    EQ(f, r, l0, "aru", t->h.aru);
    EQ(f, r, l0, "aru_setter", t->h.aru_setter);
    EQ(f, r, l0, "fc", t->h.flow_control);
    EQ(f, r, l0, "rtr_len", t->h.rtr_len);
    EQ(f, r, l0, "hash", t->h.hash);
    while (pkt_rtr_next(&t->rtr, &off, &b)) {
        const char *l = i < r->nann ? r->ann[i] : NULL;
        int at;
        int64_t seqs[512];
        int split, n;
        CHK(f, r, l && sscanf(l, "#   request block@%d", &at) == 1 &&
                      at == (int)(PKT_HEADER_LEN + before),
            "request block %d", i);
        PAIR(f, r, l, "memb_id", b.ring);
        EQ(f, r, l, "requester", b.requester);
        EQ(f, r, l, "seg_index", b.seg_index);
        EQ(f, r, l, "count", b.count);
        n = rv_list_vals(f, l, "seqs", seqs, 512, &split);
        CHK(f, r, n == b.count, "seq count");
        for (int j = 0; j < n; j++)
            CHK(f, r, seqs[j] == pkt_i32s_get(&b.seqs, (uint32_t)j), "seq");
        before = off;
        i++;
    }
    CHK(f, r, (int)t->rtr.nblocks == i - 1 &&
                  (i >= r->nann || !strstr(r->ann[i], "request block")),
        "block count");
}

static void check_ids(const struct rv_file *f, const struct rv_rec *r,
                      const char *l, const char *key, const uint32_t *ids,
                      int n, int split_at)
{
    int64_t v[PKT_MAX_MEMBERS];
    int split, got = rv_list_vals(f, l, key, v, PKT_MAX_MEMBERS, &split);

    CHK(f, r, got == n, "%s: %d listed, %d decoded", key, got, n);
    CHK(f, r, split_at < 0 || split == split_at, "%s split", key);
    for (int i = 0; i < n; i++)
        CHK(f, r, (uint32_t)v[i] == ids[i], "%s[%d]", key, i);
}

static void check_reps(const struct rv_file *f, const struct rv_rec *r,
                       const char *l, const struct pkt_reps *s)
{
    static const char *const kinds[] = {"potential", "seg-rep", "ring-rep"};
    const char *p = strstr(l, " reps=[");
    int i;

    EQ(f, r, l, "num_reps", s->nreps);
    EQ(f, r, l, "rep_index", s->cursor);
    CHK(f, r, p != NULL, "no reps");
    p += 7;
    for (i = 0; i < s->nreps; i++) {
        int64_t id;
        const char *k = strchr(p, '/');
        CHK(f, r, rv_token(f, p, &id) && (uint32_t)id == s->r[i].id && k,
            "rep %d id", i);
        CHK(f, r, strncmp(k + 1, kinds[s->r[i].kind],
                          strlen(kinds[s->r[i].kind])) == 0, "rep %d kind", i);
        k = strchr(k + 1, '/');
        CHK(f, r, k && atoi(k + 4) == s->r[i].seg, "rep %d seg", i);
        p = k + 4 + strcspn(k + 4, " ]");
        if (*p == ' ')
            p++;
    }
    CHK(f, r, *p == ']', "more reps listed");
}

static void check_memb(const struct rv_file *f, const struct rv_rec *r,
                       const struct pkt *p)
{
    const struct pkt_memb *m = &p->u.memb;
    const char *l0 = r->ann[0];
    const char *ml = rv_ann(r, "#   member list:");
    const char *ul = rv_ann(r, "#   unused header words:");
    int64_t a, b;

    EQ(f, r, l0, "type", wire_type(m->h.type, p->order));
    EQ(f, r, l0, "trans", m->h.transmitter);
    EQ(f, r, l0, "orig", m->h.originator);
    EQ(f, r, l0, "hash", m->h.hash);
    EQ(f, r, l0, "data_len", m->h.payload_len);
    EQ(f, r, ml, "num_members", m->members.nmembers);
    EQ(f, r, ml, "num_pending", m->members.npending);
    check_ids(f, r, ml, "ids", m->members.ids, m->members.nmembers, -1);
    if (p->kind == PKT_KIND_JOIN)
        check_reps(f, r, rv_ann(r, "#   rep list:"), &m->reps);
    CHK(f, r, rv_pair(f, ul, "memb_id", &a, &b) &&
                  a == (int32_t)m->h.mid.id && b == m->h.mid.time,
        "unused memb_id");
    EQ(f, r, ul, "seq", m->h.seq);
    EQ(f, r, ul, "round", m->h.round);
    EQ(f, r, ul, "pad16", m->h.pad);
    CHK(f, r, rv_pair(f, ul, "frag0", &a, &b) && a == m->h.frag_index &&
                  b == m->h.frag_len, "frag0");
}

static void check_head(const struct rv_file *f, const struct rv_rec *r,
                       const struct pkt *p)
{
    const struct pkt_head *h = &p->u.head;
    const char *l0 = r->ann[0];
    const char *ul = p->kind == PKT_KIND_HURRY
                         ? strstr(l0, "| other header words:")
                         : rv_ann(r, "#   unused header words:");
    int64_t a, b;

    EQ(f, r, l0, "type", wire_type(h->type, p->order));
    EQ(f, r, l0, "trans", h->transmitter);
    EQ(f, r, l0, "orig", h->originator);
    EQ(f, r, l0, "hash", h->hash);
    EQ(f, r, l0, "data_len", h->payload_len);
    if (p->kind == PKT_KIND_REFER) {
        EQ(f, r, l0, "representative", pkt_refer_rep(h));
        EQ(f, r, l0, "kind", pkt_refer_kind(h));
    } else {
        PAIR(f, r, ul, "memb_id", h->mid);
    }
    EQ(f, r, ul, "seq", h->seq);
    EQ(f, r, ul, "round", h->round);
    EQ(f, r, ul, "pad16", h->pad);
    CHK(f, r, rv_pair(f, ul, "frag0", &a, &b) && a == h->frag_index &&
                  b == h->frag_len, "frag0");
}

static void check_rings(const struct rv_file *f, const struct rv_rec *r,
                        const struct pkt_form *fm, int off)
{
    int i = 0;

    for (int j = 0; j < r->nann; j++) {
        const char *l = r->ann[j], *h = j + 1 < r->nann ? r->ann[j + 1] : "";
        const struct pkt_ring *g;
        uint32_t v[PKT_MAX_MEMBERS];
        int at;
        if (sscanf(l, "#   ring record@%d:", &at) != 1)
            continue;
        CHK(f, r, i < fm->nrings && at == off, "ring record %d at %d", i, at);
        g = &fm->rings[i];
        PAIR(f, r, l, "memb_id", g->mid);
        EQ(f, r, l, "trans_time", g->trans_time);
        EQ(f, r, l, "aru", g->aru);
        EQ(f, r, l, "highest_seq", g->highest_seq);
        EQ(f, r, l, "num_holes", g->holes.n);
        EQ(f, r, l, "num_commit", g->ncommit);
        EQ(f, r, l, "num_trans", g->ntrans);
        for (uint32_t k = 0; k < g->holes.n && k < PKT_MAX_MEMBERS; k++)
            v[k] = (uint32_t)pkt_i32s_get(&g->holes, k);
        check_ids(f, r, h, "holes", v,
                  g->holes.n < PKT_MAX_MEMBERS ? (int)g->holes.n
                                               : PKT_MAX_MEMBERS, -1);
        check_ids(f, r, h, "trans", g->commit, g->ntrans, -1);
        check_ids(f, r, h, "commit-only", g->commit + g->ntrans,
                  g->ncommit - g->ntrans, -1);
        off += PKT_RING_RECORD_LEN + 4 * (int)(g->holes.n + g->ncommit);
        i++;
    }
    CHK(f, r, i == fm->nrings, "ring record count");
}

static void check_form(const struct rv_file *f, const struct rv_rec *r,
                       const struct pkt *p)
{
    const struct pkt_form *fm = &p->u.form;
    const char *l0 = r->ann[0];
    const char *l1 = rv_ann(r, "#   other header words:");
    const char *ml = rv_ann(r, "#   members@40 (516 bytes):");
    const char *nl = rv_ann(r, "#   num_rings@");
    int at, n;

    EQ(f, r, l0, "type", wire_type(fm->h.type, p->order));
    EQ(f, r, l0, "trans", fm->h.transmitter);
    EQ(f, r, l0, "last", fm->h.last);
    PAIR(f, r, l0, "attempt_id", fm->h.mid);
    EQ(f, r, l0, "seq(marker)", fm->h.seq);
    EQ(f, r, l0, "hash", fm->h.hash);
    EQ(f, r, l0, "rtr_len(body)", fm->h.rtr_len);
    EQ(f, r, l1, "aru", fm->h.aru);
    EQ(f, r, l1, "aru_setter", fm->h.aru_setter);
    EQ(f, r, l1, "fc", fm->h.flow_control);
    EQ(f, r, ml, "num_members(visited/active)", fm->members.nmembers);
    EQ(f, r, ml, "num_pending", fm->members.npending);
    check_ids(f, r, ml, "ids", fm->members.ids,
              fm->members.nmembers + fm->members.npending,
              fm->members.nmembers);
    if (p->kind == PKT_KIND_FORM1) {
        check_reps(f, r, rv_ann(r, "#   reps@556 (204 bytes):"), &fm->reps);
    } else {
        const char *w = rv_ann(r, "#   new memb_id@556 (8 bytes):");
        unsigned long id;
        long t;
        CHK(f, r, w && sscanf(strstr(w, "[raw words"), "[raw words 0x%lx %ld",
                              &id, &t) == 2 &&
                      id == fm->new_mid.id && t == fm->new_mid.time,
            "new memb_id");
    }
    CHK(f, r, nl && sscanf(nl, "#   num_rings@%d (int32) = %d", &at, &n) == 2 &&
                  n == fm->nrings,
        "num_rings");
    check_rings(f, r, fm, at + 4);
}

/* ---- per datagram -------------------------------------------------------- */

static const char *kind_word(enum pkt_kind k)
{
    return pkt_kind_name(k);
}

/* Byte positions the README says differ from run to run and that the
 * encoder writes as zeros. */
static void make_mask(const struct pkt *p, const unsigned char *base,
                      size_t len, unsigned char *mask)
{
    memset(mask, 0, len);
    if (p->kind == PKT_KIND_DATA) {
        const struct pkt_data *d = &p->u.data;
        for (unsigned k = 1; k < d->nfrags; k++) {
            size_t end = (size_t)(d->frags[k - 1].bytes - base) +
                         d->frags[k - 1].len;
            size_t desc = (size_t)(d->frags[k].bytes - base) - 4;
            memset(mask + end, 1, desc - end);
        }
    } else if (p->kind == PKT_KIND_FORM1 || p->kind == PKT_KIND_FORM2) {
        size_t used = (size_t)(p->u.form.members.nmembers +
                               p->u.form.members.npending);
        memset(mask + PKT_HEADER_LEN + 4 + 4 * used, 1,
               4 * (PKT_MAX_MEMBERS - used));
    }
}

static void check_record(const struct rv_file *f, const struct rv_rec *r,
                         struct pkt *p, struct pkt *q, unsigned char *out,
                         unsigned char *mask)
{
    int n, rc;

    CHK(f, r, r->len == r->declared, "hex length");
    rc = pkt_decode(r->data, r->len, p);
    CHK(f, r, rc == 0, "decode: %s", pkt_strerror(rc));
    CHK(f, r, r->nann > 0, "no annotation");
    CHK(f, r, strncmp(r->ann[0] + 2, kind_word(p->kind),
                      strlen(kind_word(p->kind))) == 0,
        "kind %s", kind_word(p->kind));
    CHK(f, r, p->order == PKT_ORDER_LE, "captures are little-endian");
    CHK(f, r, pkt_kind_on_token_port(p->kind) == (r->dport == 5401), "port");
    switch (p->kind) {
    case PKT_KIND_DATA: check_data(f, r, p); break;
    case PKT_KIND_TOKEN: check_token(f, r, p); break;
    case PKT_KIND_ALIVE:
    case PKT_KIND_JOIN: check_memb(f, r, p); break;
    case PKT_KIND_HURRY:
    case PKT_KIND_REFER: check_head(f, r, p); break;
    case PKT_KIND_FORM1:
    case PKT_KIND_FORM2: check_form(f, r, p); break;
    }
    {
        uint32_t h = p->kind == PKT_KIND_DATA ? p->u.data.h.hash
                     : p->kind == PKT_KIND_TOKEN ? p->u.token.h.hash
                     : pkt_kind_on_token_port(p->kind) ? p->u.form.h.hash
                     : p->kind == PKT_KIND_ALIVE || p->kind == PKT_KIND_JOIN
                         ? p->u.memb.h.hash
                         : p->u.head.hash;
        CHK(f, r, h == f->hashes[0] || (f->nhashes > 1 && h == f->hashes[1]),
            "hash is not the configuration's");
    }

    /* Re-encode in the sender's order: the captured bytes. */
    n = pkt_encode(p, p->order, out, PKT_MAX_DATAGRAM);
    CHK(f, r, n == (int)r->len, "encoded length %d", n);
    make_mask(p, r->data, r->len, mask);
    for (size_t i = 0; i < r->len; i++)
        CHK(f, r, mask[i] ? out[i] == 0 : out[i] == r->data[i],
            "encoded byte %zu", i);
    CHK(f, r, pkt_encode(p, p->order, out, r->len - 1) == PKT_ENOSPC,
        "short output buffer");

    /* Big-endian and back. */
    n = pkt_encode(p, PKT_ORDER_BE, out, PKT_MAX_DATAGRAM);
    CHK(f, r, n == (int)r->len && !(out[0] & 0x80) && !(out[3] & 0x80),
        "big-endian encoding");
    rc = pkt_decode(out, (size_t)n, q);
    CHK(f, r, rc == 0 && q->order == PKT_ORDER_BE && pkt_equal(p, q),
        "big-endian round trip: %s", pkt_strerror(rc));
}

START_TEST(every_datagram)
{
    struct rv_file f;
    char path[4400];
    struct pkt *p = malloc(sizeof *p), *q = malloc(sizeof *q);
    unsigned char *out = malloc(PKT_MAX_DATAGRAM);
    unsigned char *mask = malloc(PKT_MAX_DATAGRAM);
    int kinds[PKT_KIND_FORM2 + 1] = {0};

    snprintf(path, sizeof path, "%s/%s", rv_dir(), files[_i]);
    ck_assert_int_eq(rv_load(path, &f), 0);
    ck_assert_uint_gt(f.n, 50);
    ck_assert_int_ge(f.nnames, 3);
    for (size_t i = 0; i < f.n; i++) {
        check_record(&f, &f.recs[i], p, q, out, mask);
        kinds[p->kind]++;
    }
    ck_assert_int_gt(kinds[PKT_KIND_TOKEN], 0);
    ck_assert_int_gt(kinds[PKT_KIND_DATA], 0);
    rv_free(&f);
    free(p);
    free(q);
    free(out);
    free(mask);
}
END_TEST

/* Every prefix of a sample of datagrams (each in a buffer of exactly that
 * size, so that a sanitizer sees any over-read) is refused. */
START_TEST(truncations)
{
    struct rv_file f;
    char path[4400];
    struct pkt *p = malloc(sizeof *p);
    int seen[PKT_KIND_FORM2 + 1] = {0};

    snprintf(path, sizeof path, "%s/%s", rv_dir(), files[_i]);
    ck_assert_int_eq(rv_load(path, &f), 0);
    for (size_t i = 0; i < f.n; i++) {
        const struct rv_rec *r = &f.recs[i];
        ck_assert_int_eq(pkt_decode(r->data, r->len, p), 0);
        if (seen[p->kind]++ >= 3 && i % 40 != 0)
            continue;
        for (size_t n = 0; n < r->len; n++) {
            unsigned char *b = malloc(n ? n : 1);
            memcpy(b, r->data, n);
            CHK(&f, r, pkt_decode(n ? b : NULL, n, p) < 0,
                "prefix of %zu bytes accepted", n);
            free(b);
        }
    }
    rv_free(&f);
    free(p);
}
END_TEST

/* ---- configuration hashes (README section 1) ------------------------------ */

static const struct {
    const char *file;
    uint32_t hash;
} conf_hashes[] = {
    {"01_formation.conf", 0xde090eb0u},
    {"02_steady_traffic.conf", 0xde090eb0u},
    {"03_retransmission.conf", 0xde090eb0u},
    {"04_crash_evs_merge.conf", 0xde090eb0u},
    {"05_accelerated_ring.conf", 0x743044bfu},
    {"06_explicit_original_ring.conf", 0xde090eb0u},
    {"07_hash_mismatch.conf", 0xde090eb0u},
    {"07_hash_mismatch.n3.conf", 0x743044bfu},
    {"08_two_segments.conf", 0x091db4d5u},
};

START_TEST(captured_conf_hashes)
{
    char path[4400], text[8192];
    FILE *fp;
    size_t n;
    struct conf *c = NULL;
    struct conf_diag err;
    static const struct {
        const char *name;
        uint32_t id;
    } ids[] = {{"n1", 1249384167u}, {"n2", 3002951344u},
               {"n3", 130749390u}, {"n4", 1426566386u}};

    snprintf(path, sizeof path, "%s/%s", rv_dir(), conf_hashes[_i].file);
    fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "%s missing", path);
    n = fread(text, 1, sizeof text, fp);
    fclose(fp);
    ck_assert_int_eq(conf_parse_text(text, n, path, &c, &err, NULL, NULL), 0);
    ck_assert_uint_eq(c->hash, conf_hashes[_i].hash);
    ck_assert_int_ge(c->n_daemons, 3);
    for (int i = 0; i < c->n_daemons; i++) {
        ck_assert_str_eq(c->daemons[i].name, ids[i].name);
        ck_assert_uint_eq(c->daemons[i].id, ids[i].id);
    }
    conf_free(c);
}
END_TEST

/* ---- hand-made packets ---------------------------------------------------- */

static void put32le(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void put16le(unsigned char *b, uint16_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
}

/* A little-endian data packet with one single-fragment message of `mlen`
 * bytes (a valid 48-byte header with data_len = mlen - 48). */
static size_t make_data(unsigned char *b, uint32_t type, size_t mlen)
{
    memset(b, 0, PKT_HEADER_LEN + mlen);
    put32le(b, type | PKT_ENDIAN_MARK);
    put32le(b + 4, 7);
    put32le(b + 8, 7);
    put16le(b + 32, (uint16_t)mlen);
    put16le(b + 36, (uint16_t)-1);
    put16le(b + 38, (uint16_t)mlen);
    put32le(b + 40, 0x10u | PKT_ENDIAN_MARK);   /* AGREED_MESS */
    memcpy(b + 44, "#a#n1", 5);
    put32le(b + 84, PKT_ENDIAN_MARK);
    put32le(b + 88, (uint32_t)(mlen - 48));
    return PKT_HEADER_LEN + mlen;
}

START_TEST(type_words)
{
    static const struct {
        uint32_t type;   /* little-endian, marker added */
        int rc;
        enum pkt_kind kind;
    } cases[] = {
        {0, 0, PKT_KIND_TOKEN},
        {0x00f30000u, 0, PKT_KIND_TOKEN},
        {PKT_AGREED, 0, PKT_KIND_DATA},
        {PKT_UNRELIABLE, 0, PKT_KIND_DATA},
        {PKT_SAFE | PKT_ROUTED, 0, PKT_KIND_DATA},
        {PKT_HURRY, 0, PKT_KIND_HURRY},
        {PKT_ALIVE, 0, PKT_KIND_ALIVE},
        {PKT_JOIN, 0, PKT_KIND_JOIN},
        {PKT_REFER, 0, PKT_KIND_REFER},
        {PKT_FORM1, 0, PKT_KIND_FORM1},
        {PKT_FORM2, 0, PKT_KIND_FORM2},
        {PKT_FIFO | PKT_AGREED, PKT_ETYPE, 0},
        {PKT_ROUTED, PKT_ETYPE, 0},
        {PKT_HURRY | PKT_ROUTED, PKT_ETYPE, 0},
        {PKT_ALIVE | PKT_JOIN, PKT_ETYPE, 0},
        {PKT_FORM1 | PKT_FORM2, PKT_ETYPE, 0},
        {PKT_FORM1 | 0x00010000u, PKT_ETYPE, 0},
        {PKT_SAFE | 0x00010000u, PKT_ETYPE, 0},
        {PKT_JOIN | PKT_AGREED, PKT_ETYPE, 0},
        {0x00000800u, PKT_ETYPE, 0},
        {0x00004000u, PKT_ETYPE, 0},
        {0x10000000u, PKT_ETYPE, 0},
        {PKT_STATUS, PKT_ECONTROL, 0},
        {PKT_RELOAD | PKT_AGREED, PKT_ECONTROL, 0},
    };
    unsigned char b[4];
    enum pkt_kind k;
    enum pkt_order o;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        put32le(b, cases[i].type | PKT_ENDIAN_MARK);
        ck_assert_int_eq(pkt_classify(b, 4, &k, &o), cases[i].rc);
        if (cases[i].rc == 0) {
            ck_assert_int_eq(k, cases[i].kind);
            ck_assert_int_eq(o, PKT_ORDER_LE);
        }
        /* The same word big-endian, without the marker. */
        b[0] = (unsigned char)(cases[i].type >> 24);
        b[1] = (unsigned char)(cases[i].type >> 16);
        b[2] = (unsigned char)(cases[i].type >> 8);
        b[3] = (unsigned char)cases[i].type;
        ck_assert_int_eq(pkt_classify(b, 4, &k, &o), cases[i].rc);
        if (cases[i].rc == 0)
            ck_assert_int_eq(o, PKT_ORDER_BE);
    }
    /* One marker bit alone. */
    put32le(b, PKT_AGREED | 0x80u);
    ck_assert_int_eq(pkt_classify(b, 4, &k, &o), PKT_EORDER);
    put32le(b, PKT_AGREED | 0x80000000u);
    ck_assert_int_eq(pkt_classify(b, 4, &k, &o), PKT_EORDER);
    ck_assert_int_eq(pkt_classify(b, 3, &k, &o), PKT_ESHORT);
    ck_assert_int_eq(pkt_classify(NULL, 0, &k, &o), PKT_ESHORT);
}
END_TEST

START_TEST(data_layout_rules)
{
    unsigned char b[PKT_MAX_DATA_DATAGRAM + 8];
    struct pkt_data d;
    size_t n;

    n = make_data(b, PKT_AGREED, 100);
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), 0);
    ck_assert_uint_eq(d.nfrags, 1);
    ck_assert_int_eq(pkt_data_decode(b, n + 1, &d, NULL), PKT_ELENGTH);
    ck_assert_int_eq(pkt_data_decode(b, n - 1, &d, NULL), PKT_ELENGTH);
    /* The largest payload, and one byte more. */
    n = make_data(b, PKT_AGREED, PKT_MAX_PAYLOAD);
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), 0);
    n = make_data(b, PKT_AGREED, PKT_MAX_PAYLOAD + 1);
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), PKT_ELENGTH);
    /* Index 0, out of range, a short first fragment. */
    n = make_data(b, PKT_AGREED, 100);
    put16le(b + 36, 0);
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), PKT_EFRAG);
    put16le(b + 36, (uint16_t)-101);
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), PKT_EFRAG);
    put16le(b + 36, 100);
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), PKT_EFRAG);
    put16le(b + 36, (uint16_t)-100);   /* the last of 100: any length */
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), 0);
    n = make_data(b, PKT_AGREED, 47);
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), PKT_EFRAG);
    put16le(b + 36, (uint16_t)-3);     /* a short last fragment is fine */
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), 0);
    /* The fragment overruns the payload / leaves bytes behind it. */
    n = make_data(b, PKT_AGREED, 100);
    put16le(b + 38, 101);
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), PKT_EFRAG);
    put16le(b + 38, 97);               /* 3 bytes: no room for a descriptor */
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), PKT_EFRAG);
    put16le(b + 38, 0);
    ck_assert_int_eq(pkt_data_decode(b, n, &d, NULL), PKT_EFRAG);
}
END_TEST

/* A packet of messages of 50, 49 and 48 bytes: descriptors at the 4-byte
 * boundaries 40+52, 40+104+... ; each rule on appended fragments. */
START_TEST(data_packing_layout)
{
    unsigned char m[3][64], b[PKT_MAX_DATA_DATAGRAM], c[PKT_MAX_DATA_DATAGRAM];
    struct pkt_data d, e;
    int n;

    memset(&d, 0, sizeof d);
    d.h.type = PKT_FIFO;
    d.h.transmitter = d.h.originator = 5;
    d.nfrags = 3;
    for (int i = 0; i < 3; i++) {
        memset(m[i], 'a' + i, sizeof m[i]);
        d.frags[i].index = -1;
        d.frags[i].len = (uint16_t)(50 - i);
        d.frags[i].bytes = m[i];
    }
    n = pkt_data_encode(&d, PKT_ORDER_LE, b, sizeof b);
    /* 40 + 50, pad 2, desc 4, 49, pad 3, desc 4, 48 */
    ck_assert_int_eq(n, 40 + 50 + 2 + 4 + 49 + 3 + 4 + 48);
    ck_assert_int_eq(pkt_data_decode(b, (size_t)n, &e, NULL), 0);
    ck_assert_uint_eq(e.nfrags, 3);
    ck_assert_int_eq(e.frags[1].bytes - b, 96);
    ck_assert_int_eq(e.frags[2].bytes - b, 152);
    ck_assert_int_eq(b[90] | b[91], 0);    /* padding written as zeros */
    ck_assert_uint_eq(e.h.payload_len, (unsigned)n - 40);
    /* An appended fragment must be a whole message (index -1). */
    memcpy(c, b, (size_t)n);
    put16le(c + 92, (uint16_t)-2);
    ck_assert_int_eq(pkt_data_decode(c, (size_t)n, &e, NULL), PKT_EFRAG);
    put16le(c + 92, 1);
    ck_assert_int_eq(pkt_data_decode(c, (size_t)n, &e, NULL), PKT_EFRAG);
    /* ... at least a message header long. */
    memcpy(c, b, (size_t)n);
    put16le(c + 94, 40);
    ck_assert_int_eq(pkt_data_decode(c, (size_t)n, &e, NULL), PKT_EFRAG);
    /* The encoder refuses what the decoder would. */
    d.frags[1].index = 2;
    ck_assert_int_eq(pkt_data_encode(&d, PKT_ORDER_LE, b, sizeof b),
                     PKT_EINVAL);
    d.frags[1].index = -1;
    d.h.type = PKT_FIFO | PKT_AGREED;
    ck_assert_int_eq(pkt_data_encode(&d, PKT_ORDER_LE, b, sizeof b),
                     PKT_EINVAL);
    d.h.type = PKT_FIFO;
    d.nfrags = 0;
    ck_assert_int_eq(pkt_data_encode(&d, PKT_ORDER_LE, b, sizeof b),
                     PKT_EINVAL);
    d.nfrags = 1;
    d.frags[0].len = PKT_MAX_PAYLOAD + 1;
    ck_assert_int_eq(pkt_data_encode(&d, PKT_ORDER_LE, b, sizeof b),
                     PKT_EINVAL);
}
END_TEST

/* A token built with pkt_rtr_put() from seqs in memory, both orders. */
START_TEST(token_requests)
{
    int32_t s1[3] = {5, 6, 9}, s2[1] = {70000};
    unsigned char list[256], b[512];
    size_t len = 0, off = 0;
    struct pkt_rtr r1, r2, got;
    struct pkt_token t, u;
    enum pkt_order o;
    int n;

    memset(&r1, 0, sizeof r1);
    r1.ring.id = 11;
    r1.ring.time = 12;
    r1.requester = 13;
    r1.seg_index = 0;
    r1.count = 3;
    r1.seqs = pkt_i32s_host(s1, 3);
    r2 = r1;
    r2.requester = PKT_ID_NONE;
    r2.seg_index = PKT_SEG_SEVERAL;
    r2.count = 1;
    r2.seqs = pkt_i32s_host(s2, 1);
    ck_assert_int_eq(pkt_rtr_put(list, sizeof list, &len, PKT_ORDER_BE, &r1), 0);
    ck_assert_int_eq(pkt_rtr_put(list, sizeof list, &len, PKT_ORDER_BE, &r2), 0);
    ck_assert_uint_eq(len, 16 + 12 + 16 + 4);
    ck_assert_int_eq(pkt_rtr_put(list, len + 19, &len, PKT_ORDER_BE, &r2),
                     PKT_ENOSPC);
    r2.count = 2;
    ck_assert_int_eq(pkt_rtr_put(list, sizeof list, &len, PKT_ORDER_BE, &r2),
                     PKT_EINVAL);
    r2.count = 1;
    memset(&t, 0, sizeof t);
    t.h.type = pkt_type_with_round(0, 5, 1);
    t.h.aru_setter = PKT_ID_NONE;
    t.rtr.bytes = list;
    t.rtr.len = (uint16_t)len;
    t.rtr.order = PKT_ORDER_BE;
    for (int ord = PKT_ORDER_LE; ord <= PKT_ORDER_BE; ord++) {
        n = pkt_token_encode(&t, (enum pkt_order)ord, b, sizeof b);
        ck_assert_int_eq(n, 40 + (int)len);
        ck_assert_int_eq(pkt_token_decode(b, (size_t)n, &u, &o), 0);
        ck_assert_int_eq(o, ord);
        ck_assert_uint_eq(pkt_type_round(u.h.type), 5);
        ck_assert_uint_eq(pkt_type_resend(u.h.type), 1);
        ck_assert_uint_eq(u.rtr.nblocks, 2);
        off = 0;
        ck_assert(pkt_rtr_next(&u.rtr, &off, &got));
        ck_assert_uint_eq(got.requester, 13);
        ck_assert_int_eq(pkt_i32s_get(&got.seqs, 2), 9);
        ck_assert(pkt_rtr_next(&u.rtr, &off, &got));
        ck_assert_int_eq(got.seg_index, -1);
        ck_assert_int_eq(pkt_i32s_get(&got.seqs, 0), 70000);
        ck_assert(!pkt_rtr_next(&u.rtr, &off, &got));
    }
    /* Damage: a block longer than the list, a negative count, a segment
     * index out of range, a list that ends inside a block header. */
    n = pkt_token_encode(&t, PKT_ORDER_LE, b, sizeof b);
    put16le(b + 40 + 14, 4);
    ck_assert_int_eq(pkt_token_decode(b, (size_t)n, &u, NULL), PKT_ELENGTH);
    put16le(b + 40 + 14, (uint16_t)-1);
    ck_assert_int_eq(pkt_token_decode(b, (size_t)n, &u, NULL), PKT_ELENGTH);
    put16le(b + 40 + 14, 3);
    put16le(b + 40 + 12, 20);
    ck_assert_int_eq(pkt_token_decode(b, (size_t)n, &u, NULL), PKT_ERANGE);
    put16le(b + 40 + 12, 0);
    ck_assert_int_eq(pkt_token_decode(b, (size_t)n, &u, NULL), 0);
    put16le(b + 34, (uint16_t)(len + 4));
    memset(b + n, 0, 4);
    ck_assert_int_eq(pkt_token_decode(b, (size_t)n + 4, &u, NULL),
                     PKT_ELENGTH);
    ck_assert_int_eq(pkt_token_decode(b, (size_t)n, &u, NULL), PKT_ELENGTH);
    t.h.type = PKT_FORM1;
    ck_assert_int_eq(pkt_token_encode(&t, PKT_ORDER_LE, b, sizeof b),
                     PKT_EINVAL);
}
END_TEST

START_TEST(membership_lists)
{
    struct pkt_memb m, e;
    unsigned char b[2048];
    int n;

    memset(&m, 0, sizeof m);
    m.h.type = PKT_JOIN;
    m.members.nmembers = 2;
    m.members.ids[0] = 1;
    m.members.ids[1] = 2;
    m.reps.nreps = 2;
    m.reps.cursor = 1;
    m.reps.r[0].id = 1;
    m.reps.r[0].kind = PKT_REP_RING;
    m.reps.r[1].id = 2;
    m.reps.r[1].kind = PKT_REP_SEG;
    m.reps.r[1].seg = 19;
    n = pkt_memb_encode(&m, PKT_ORDER_BE, b, sizeof b);
    ck_assert_int_eq(n, 40 + 4 + 8 + 4 + 16);
    ck_assert_int_eq(pkt_memb_decode(b, (size_t)n, &e, NULL), 0);
    ck_assert_int_eq(e.reps.r[1].seg, 19);
    /* ALIVE has no representative list: the same bytes are too long. */
    b[2] = (unsigned char)(PKT_ALIVE >> 8);
    ck_assert_int_eq(pkt_memb_decode(b, (size_t)n, &e, NULL), PKT_ELENGTH);
    b[2] = (unsigned char)(PKT_JOIN >> 8);
    b[71] = 20;                         /* second rep's segment */
    ck_assert_int_eq(pkt_memb_decode(b, (size_t)n, &e, NULL), PKT_ERANGE);
    b[71] = 0;
    b[69] = 3;                          /* second rep's kind */
    ck_assert_int_eq(pkt_memb_decode(b, (size_t)n, &e, NULL), PKT_ERANGE);
    b[69] = 1;
    b[55] = 3;                          /* cursor > nreps */
    ck_assert_int_eq(pkt_memb_decode(b, (size_t)n, &e, NULL), PKT_ERANGE);
    b[55] = 1;
    b[41] = 129;                    /* nmembers */
    ck_assert_int_eq(pkt_memb_decode(b, (size_t)n, &e, NULL), PKT_ERANGE);
    b[40 + 1] = 2;
    ck_assert_int_eq(pkt_memb_decode(b, (size_t)n, &e, NULL), 0);
    m.members.nmembers = 129;
    ck_assert_int_eq(pkt_memb_encode(&m, PKT_ORDER_BE, b, sizeof b),
                     PKT_EINVAL);
    m.members.nmembers = 2;
    m.reps.nreps = 26;
    ck_assert_int_eq(pkt_memb_encode(&m, PKT_ORDER_BE, b, sizeof b),
                     PKT_EINVAL);
}
END_TEST

START_TEST(form_rules)
{
    static struct pkt_form f, e;
    int32_t holes[3] = {7, 8, 12};
    unsigned char b[4096];
    int n;
    size_t rec;

    memset(&f, 0, sizeof f);
    f.h.type = PKT_FORM1;
    f.h.seq = 3333;
    f.members.nmembers = 1;
    f.members.npending = 1;
    f.members.ids[0] = 1;
    f.members.ids[1] = 2;
    f.members.ids[2] = 99;               /* beyond the used slots: dropped */
    f.reps.nreps = 1;
    f.reps.r[0].id = 1;
    f.nrings = 2;
    f.rings[1].holes = pkt_i32s_host(holes, 3);
    f.rings[1].ncommit = 2;
    f.rings[1].ntrans = 1;
    f.rings[1].commit[0] = 1;
    f.rings[1].commit[1] = 2;
    n = pkt_form_encode(&f, PKT_ORDER_LE, b, sizeof b);
    ck_assert_int_eq(n, 40 + 516 + 204 + 4 + 28 + 28 + 12 + 8);
    ck_assert_int_eq(b[40 + 4 + 8], 0);
    ck_assert_int_eq(pkt_form_decode(b, (size_t)n, &e, NULL), 0);
    ck_assert_int_eq(pkt_i32s_get(&e.rings[1].holes, 2), 12);
    ck_assert_uint_eq(e.members.ids[2], 0);
    /* Stale bytes in unused member and representative slots are ignored. */
    b[40 + 4 + 8] = 0x55;
    b[556 + 4 + 8] = 0x55;
    ck_assert_int_eq(pkt_form_decode(b, (size_t)n, &e, NULL), 0);
    rec = 40 + 516 + 204 + 4 + 28;       /* second ring record */
    put32le(b + rec + 20, (uint32_t)-1); /* holes */
    ck_assert_int_eq(pkt_form_decode(b, (size_t)n, &e, NULL), PKT_ERANGE);
    put32le(b + rec + 20, 0x40000000u);
    ck_assert_int_eq(pkt_form_decode(b, (size_t)n, &e, NULL), PKT_ELENGTH);
    put32le(b + rec + 20, 3);
    put16le(b + rec + 26, 3);            /* ntrans > ncommit */
    ck_assert_int_eq(pkt_form_decode(b, (size_t)n, &e, NULL), PKT_ERANGE);
    put16le(b + rec + 26, 1);
    put32le(b + 40 + 516 + 204, 21);     /* ring count */
    ck_assert_int_eq(pkt_form_decode(b, (size_t)n, &e, NULL), PKT_ERANGE);
    put32le(b + 40 + 516 + 204, 1);      /* fewer records than bytes */
    ck_assert_int_eq(pkt_form_decode(b, (size_t)n, &e, NULL), PKT_ELENGTH);
    put32le(b + 40 + 516 + 204, 2);
    ck_assert_int_eq(pkt_form_decode(b, (size_t)n, &e, NULL), 0);
    /* FORM2: 8 bytes instead of the representative structure. */
    f.h.type = PKT_FORM2;
    f.new_mid.id = 1;
    f.new_mid.time = 1234;
    n = pkt_form_encode(&f, PKT_ORDER_BE, b, sizeof b);
    ck_assert_int_eq(n, 40 + 516 + 8 + 4 + 28 + 28 + 12 + 8);
    ck_assert_int_eq(pkt_form_decode(b, (size_t)n, &e, NULL), 0);
    ck_assert_int_eq(e.new_mid.time, 1234);
    f.nrings = 21;
    ck_assert_int_eq(pkt_form_encode(&f, PKT_ORDER_BE, b, sizeof b),
                     PKT_EINVAL);
    f.nrings = 2;
    f.rings[1].ntrans = 3;
    ck_assert_int_eq(pkt_form_encode(&f, PKT_ORDER_BE, b, sizeof b),
                     PKT_EINVAL);
}
END_TEST

START_TEST(hurry_refer)
{
    struct pkt_head h, e;
    unsigned char b[64];
    int n;

    memset(&h, 0, sizeof h);
    h.type = PKT_REFER;
    h.transmitter = h.originator = 3;
    h.mid.id = 4;
    h.mid.time = PKT_REP_RING;
    n = pkt_head_encode(&h, PKT_ORDER_NATIVE, b, sizeof b);
    ck_assert_int_eq(n, 40);
    ck_assert_int_eq(pkt_head_decode(b, 40, &e, NULL), 0);
    ck_assert_uint_eq(pkt_refer_rep(&e), 4);
    ck_assert_int_eq(pkt_refer_kind(&e), PKT_REP_RING);
    ck_assert_int_eq(pkt_head_decode(b, 41, &e, NULL), PKT_ELENGTH);
    b[pkt_host_order() == PKT_ORDER_LE ? 32 : 33] = 1;   /* payload_len */
    ck_assert_int_eq(pkt_head_decode(b, 40, &e, NULL), PKT_ELENGTH);
    b[pkt_host_order() == PKT_ORDER_LE ? 32 : 33] = 0;
    b[pkt_host_order() == PKT_ORDER_LE ? 16 : 19] = 3;   /* kind 3 */
    ck_assert_int_eq(pkt_head_decode(b, 40, &e, NULL), PKT_ERANGE);
    h.mid.time = 3;
    ck_assert_int_eq(pkt_head_encode(&h, PKT_ORDER_LE, b, sizeof b),
                     PKT_EINVAL);
    h.type = PKT_ALIVE;
    ck_assert_int_eq(pkt_head_encode(&h, PKT_ORDER_LE, b, sizeof b),
                     PKT_EINVAL);
    h.type = PKT_HURRY;
    ck_assert_int_eq(pkt_head_encode(&h, PKT_ORDER_LE, b, 39), PKT_ENOSPC);
    ck_assert_int_eq(pkt_head_encode(&h, PKT_ORDER_LE, b, 40), 40);
    /* A kind-specific decoder refuses other kinds. */
    ck_assert_int_eq(pkt_memb_decode(b, 40, NULL, NULL), PKT_ETYPE);
}
END_TEST

START_TEST(message_header)
{
    unsigned char b[256], c[256];
    struct pkt_msg m, e;
    int n;

    memset(&m, 0, sizeof m);
    m.type = 0x10;
    memcpy(m.sender, "#a#n1", 5);
    m.num_groups = 2;
    m.hint = 0x80000180u;
    m.data_len = 5;
    memset(c, 'g', 64);
    m.groups = c;
    m.data = (const unsigned char *)"hello";
    ck_assert_uint_eq(pkt_msg_len(&m), 48 + 64 + 5);
    for (int ord = PKT_ORDER_LE; ord <= PKT_ORDER_BE; ord++) {
        n = pkt_msg_encode(&m, (enum pkt_order)ord, b, sizeof b);
        ck_assert_int_eq(n, 48 + 64 + 5);
        ck_assert_int_eq(pkt_msg_decode(b, (size_t)n, &e), 0);
        ck_assert_int_eq(e.order, ord);
        ck_assert_uint_eq(e.type, 0x10);
        ck_assert_uint_eq(e.hint, m.hint);
        ck_assert_int_eq(e.num_groups, 2);
        ck_assert_ptr_eq(e.groups, b + 48);
        ck_assert_int_eq(memcmp(e.data, "hello", 5), 0);
        ck_assert_int_eq(pkt_msg_decode(b, (size_t)n - 1, &e), PKT_ELENGTH);
        ck_assert_int_eq(pkt_msg_head_decode(b, 48, &e), 0);
        ck_assert_ptr_null(e.data);
        ck_assert_int_eq(pkt_msg_head_decode(b, 47, &e), PKT_ESHORT);
    }
    n = pkt_msg_encode(&m, PKT_ORDER_LE, b, sizeof b);
    put32le(b + 36, 101);
    ck_assert_int_eq(pkt_msg_head_decode(b, (size_t)n, &e), PKT_ERANGE);
    put32le(b + 36, 2);
    put32le(b + 44, (uint32_t)-1);
    ck_assert_int_eq(pkt_msg_head_decode(b, (size_t)n, &e), PKT_ERANGE);
    put32le(b + 44, PKT_MAX_MSG_LEN);   /* with the header: too long */
    ck_assert_int_eq(pkt_msg_head_decode(b, (size_t)n, &e), PKT_ERANGE);
    b[0] = 0x10;                        /* half a marker */
    ck_assert_int_eq(pkt_msg_head_decode(b, (size_t)n, &e), PKT_EORDER);
    m.num_groups = 101;
    ck_assert_int_eq(pkt_msg_encode(&m, PKT_ORDER_LE, b, sizeof b),
                     PKT_EINVAL);
    m.num_groups = 2;
    ck_assert_int_eq(pkt_msg_encode(&m, PKT_ORDER_LE, b, 100), PKT_ENOSPC);
}
END_TEST

static Suite *pkt_suite(void)
{
    Suite *s = suite_create("pkt");
    TCase *tc = tcase_create("vectors");

    tcase_set_timeout(tc, 120);
    if (nfiles > 0) {
        tcase_add_loop_test(tc, every_datagram, 0, (int)nfiles);
        tcase_add_loop_test(tc, truncations, 0, (int)nfiles);
        tcase_add_loop_test(tc, captured_conf_hashes, 0,
                            sizeof conf_hashes / sizeof conf_hashes[0]);
    }
    suite_add_tcase(s, tc);
    tc = tcase_create("rules");
    tcase_add_test(tc, type_words);
    tcase_add_test(tc, data_layout_rules);
    tcase_add_test(tc, data_packing_layout);
    tcase_add_test(tc, token_requests);
    tcase_add_test(tc, membership_lists);
    tcase_add_test(tc, form_rules);
    tcase_add_test(tc, hurry_refer);
    tcase_add_test(tc, message_header);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc;

    files = rv_list(&nfiles);
    if (nfiles < 8) {
        printf("SKIP: ring vectors not found in %s\n", rv_dir());
        rv_list_free(files, nfiles);
        return 77;
    }
    rc = ck_run_suite(pkt_suite());
    rv_list_free(files, nfiles);
    return rc;
}
