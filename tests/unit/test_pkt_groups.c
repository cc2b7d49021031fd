/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for the GROUPS message body codec of daemon/ring/pkt.h
 * (pkt_groups.c): every GROUPS message in ../shared/vectors/ring checked
 * against decode.py's annotation, rebuilt byte for byte with the builders
 * and in the other byte order; hand-made bodies for each refusal.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring/pkt.h"
#include "../lib/ckmain.h"
#include "../lib/ringvec.h"
#include "test_pkt.h"

static char **files;
static size_t nfiles;

/* ---- GROUPS message bodies ------------------------------------------------ */

/* Rebuild g in the other byte order: it decodes to the same content. */
static void check_other_order(const struct rv_file *f, const struct rv_rec *r,
                              const struct pkt_groups *g, const uint32_t *ids)
{
    static unsigned char out[8192];
    enum pkt_order other = g->order == PKT_ORDER_LE ? PKT_ORDER_BE
                                                    : PKT_ORDER_LE;
    size_t o1 = 0, o2 = 0, len = 0;
    struct pkt_groups h;
    struct pkt_group x, y;
    struct pkt_group_daemon dm;

    pkt_groups_put_head(out, sizeof out, &len, other, g->mid, g->first, ids,
                        g->synced.n);
    while (pkt_groups_next(g, &o1, &x)) {
        size_t d1 = 0;
        pkt_groups_put_group(out, sizeof out, &len, other,
                             (const char *)x.name, x.gid, x.gid_index,
                             x.changed, x.ndaemons);
        while (pkt_group_daemon_next(&x, &d1, &dm))
            pkt_groups_put_daemon(out, sizeof out, &len, other, dm.id,
                                  dm.mid, dm.nmembers, dm.members);
    }
    CHK(f, r, pkt_groups_decode(out, len, other, &h) == 0 &&
                  h.ngroups == g->ngroups && h.mid.time == g->mid.time &&
                  h.synced.n == g->synced.n, "other order");
    o1 = 0;
    while (pkt_groups_next(g, &o1, &x))
        CHK(f, r, pkt_groups_next(&h, &o2, &y) &&
                      x.gid_index == y.gid_index &&
                      x.ndaemons == y.ndaemons &&
                      x.daemons_len == y.daemons_len,
            "other order group");
}

/* Check one decoded body against the annotation lines from `at` on, then
 * build it again with the pkt_groups_put_* functions: the same bytes in
 * its order; then the other order. */
static void check_groups_body(const struct rv_file *f, const struct rv_rec *r,
                              int at, const struct pkt_msg *m)
{
    struct pkt_groups g;
    struct pkt_group grp;
    struct pkt_group_daemon dm;
    size_t off = 0, len = 0;
    const char *l = r->ann[at];
    char key[32];
    int64_t v[PKT_MAX_MEMBERS];
    uint32_t ids[PKT_MAX_MEMBERS];
    int split, n;
    static unsigned char out[8192];

    CHK(f, r, pkt_groups_decode(m->data, (size_t)m->data_len, m->order,
                                &g) == 0, "GROUPS body");
    PAIR(f, r, l, "memb_id", g.mid);
    EQ(f, r, l, "first_flag", g.first);
    snprintf(key, sizeof key, "synced_set(%u)", g.synced.n);
    n = rv_list_vals(f, l, key, v, PKT_MAX_MEMBERS, &split);
    CHK(f, r, g.first ? n == (int)g.synced.n : !strstr(l, "synced_set"),
        "synced set");
    for (int i = 0; i < n; i++) {
        ids[i] = (uint32_t)pkt_i32s_get(&g.synced, (uint32_t)i);
        CHK(f, r, (uint32_t)v[i] == ids[i], "synced[%d]", i);
    }
    CHK(f, r, pkt_groups_put_head(out, sizeof out, &len, m->order, g.mid,
                                  g.first, ids, g.synced.n) == 0, "put head");
    while (pkt_groups_next(&g, &off, &grp)) {
        size_t doff = 0;
        int64_t a, b, c;
        l = r->ann[++at];
        CHK(f, r, strncmp(l, "#      group ", 13) == 0 &&
                      strncmp(l + 13, (const char *)grp.name,
                              strcspn(l + 13, " ")) == 0,
            "group name");
        CHK(f, r, rv_pair(f, l, "id", &a, &b) &&
                      rv_token(f, strrchr(l, ',') + 1, &c) &&
                      (uint32_t)a == grp.gid.id && b == grp.gid.time &&
                      c == grp.gid_index, "group id");
        EQ(f, r, l, "changed", grp.changed);
        EQ(f, r, l, "daemons", grp.ndaemons);
        CHK(f, r, pkt_groups_put_group(out, sizeof out, &len, m->order,
                                       (const char *)grp.name, grp.gid,
                                       grp.gid_index, grp.changed,
                                       grp.ndaemons) == 0, "put group");
        while (pkt_group_daemon_next(&grp, &doff, &dm)) {
            l = r->ann[++at];
            CHK(f, r, strncmp(l, "#        daemon ", 16) == 0 &&
                          rv_token(f, l + 16, &a) && (uint32_t)a == dm.id,
                "daemon");
            PAIR(f, r, l, "memb_id", dm.mid);
            snprintf(key, sizeof key, "members(%u)", dm.nmembers);
            CHK(f, r, strstr(l, key) != NULL, "member count");
            for (unsigned k = 0; k < dm.nmembers; k++) {
                char nm[PKT_GROUP_NAME + 1];
                memcpy(nm, dm.members + PKT_GROUP_NAME * k, PKT_GROUP_NAME);
                nm[PKT_GROUP_NAME] = '\0';
                CHK(f, r, strstr(l, nm) != NULL, "member %u", k);
            }
            CHK(f, r, pkt_groups_put_daemon(out, sizeof out, &len, m->order,
                                            dm.id, dm.mid, dm.nmembers,
                                            dm.members) == 0, "put daemon");
        }
    }
    CHK(f, r, at + 1 >= r->nann || !strstr(r->ann[at + 1], "group "),
        "more groups listed");
    CHK(f, r, len == (size_t)m->data_len &&
                  memcmp(out, m->data, len) == 0, "rebuilt body");
    check_other_order(f, r, &g, ids);
}

START_TEST(groups_messages)
{
    struct rv_file f;
    char path[4400];
    struct pkt *p = malloc(sizeof *p);
    int seen = 0;

    snprintf(path, sizeof path, "%s/%s", rv_dir(), files[_i]);
    ck_assert_int_eq(rv_load(path, &f), 0);
    for (size_t i = 0; i < f.n; i++) {
        const struct rv_rec *r = &f.recs[i];
        int k = -1;
        if (pkt_decode(r->data, r->len, p) != 0 || p->kind != PKT_KIND_DATA)
            continue;
        for (int j = 0; j < r->nann; j++) {
            int off, idx, len, cnt;
            struct pkt_msg m;
            const char *s;
            if (sscanf(r->ann[j], "#   frag@%d idx=%d len=%d", &off, &idx,
                       &len) == 3)
                k++;
            if (strncmp(r->ann[j], "#      GROUPS body:", 19) != 0)
                continue;
            /* A single-fragment message: the fragment before it. */
            CHK(&f, r, k >= 0 && p->u.data.frags[k].index == -1 &&
                           pkt_msg_decode(p->u.data.frags[k].bytes,
                                          p->u.data.frags[k].len, &m) == 0 &&
                           (m.type & 0x80000u), "GROUPS message");
            s = strstr(r->ann[j - 2], "(name field bytes 28..31 = ");
            CHK(&f, r, s && sscanf(s, "(name field bytes 28..31 = %d", &cnt)
                                == 1 && cnt == pkt_groups_count(&m),
                "sender count");
            check_groups_body(&f, r, j, &m);
            seen++;
        }
    }
    rv_free(&f);
    free(p);
    ck_assert_int_ge(seen, files[_i][1] == '2' || files[_i][1] == '3' ? 0 : 2);
}
END_TEST

START_TEST(groups_rules)
{
    unsigned char b[512], names[64];
    char g1[PKT_GROUP_NAME] = "g1";
    size_t len = 0;
    struct pkt_groups g;
    struct pkt_group grp;
    struct pkt_group_daemon d;
    struct pkt_msg m;
    struct pkt_mid mid = {7, 8};
    uint32_t ids[2] = {1, 2};
    size_t off = 0, doff = 0;

    memset(names, 0, sizeof names);
    memcpy(names, "#a#n1", 5);
    memcpy(names + 32, "#b#n1", 5);
    ck_assert_int_eq(pkt_groups_put_head(b, sizeof b, &len, PKT_ORDER_BE,
                                         mid, 1, ids, 2), 0);
    ck_assert_uint_eq(len, 9 + 4 + 8);
    ck_assert_int_eq(pkt_groups_put_group(b, sizeof b, &len, PKT_ORDER_BE,
                                          g1, mid, 3, 1, 1), PKT_OK);
    ck_assert_int_eq(pkt_groups_put_daemon(b, sizeof b, &len, PKT_ORDER_BE,
                                           1, mid, 2, names), 0);
    ck_assert_uint_eq(len, 21 + 48 + 14 + 64);
    ck_assert_int_eq(pkt_groups_decode(b, len, PKT_ORDER_BE, &g), 0);
    ck_assert_uint_eq(g.ngroups, 1);
    ck_assert(pkt_groups_next(&g, &off, &grp));
    ck_assert_str_eq((const char *)grp.name, "g1");
    ck_assert(pkt_group_daemon_next(&grp, &doff, &d));
    ck_assert_uint_eq(d.nmembers, 2);
    ck_assert_str_eq((const char *)d.members + 32, "#b#n1");
    ck_assert(!pkt_group_daemon_next(&grp, &doff, &d));
    ck_assert(!pkt_groups_next(&g, &off, &grp));
    /* Every truncation is refused but the one between records (the body
     * has no length of its own: the message's data_len bounds it); so are
     * a flag of 2, a synced set of 129, a group with 129 daemons, a
     * member list past the end. */
    for (size_t n = 0; n < len; n++)
        ck_assert_int_eq(pkt_groups_decode(n ? b : NULL, n, PKT_ORDER_BE, &g)
                             < 0, n != 21);
    b[8] = 2;
    ck_assert_int_eq(pkt_groups_decode(b, len, PKT_ORDER_BE, &g), PKT_ERANGE);
    b[8] = 1;
    b[12] = 129;
    ck_assert_int_eq(pkt_groups_decode(b, len, PKT_ORDER_BE, &g), PKT_ERANGE);
    b[12] = 2;
    b[21 + 47] = 129;
    ck_assert_int_eq(pkt_groups_decode(b, len, PKT_ORDER_BE, &g),
                     PKT_ELENGTH);
    b[21 + 47] = 1;
    b[21 + 48 + 13] = 3;
    ck_assert_int_eq(pkt_groups_decode(b, len, PKT_ORDER_BE, &g),
                     PKT_ELENGTH);
    b[21 + 48 + 13] = 2;
    ck_assert_int_eq(pkt_groups_decode(b, len, PKT_ORDER_BE, &g), 0);
    /* Builders refuse what cannot be decoded, and full buffers. */
    ck_assert_int_eq(pkt_groups_put_head(b, sizeof b, &len, PKT_ORDER_BE,
                                         mid, 0, ids, 2), PKT_EINVAL);
    ck_assert_int_eq(pkt_groups_put_group(b, sizeof b, &len, PKT_ORDER_BE,
                                          g1, mid, 3, 1, 129), PKT_EINVAL);
    ck_assert_int_eq(pkt_groups_put_daemon(b, len + 20, &len, PKT_ORDER_BE,
                                           1, mid, 2, names), PKT_ENOSPC);
    /* The sender field. */
    memset(&m, 0, sizeof m);
    m.order = PKT_ORDER_BE;
    pkt_groups_set_sender(&m, "daemon-with-a-rather-long-name", 3);
    ck_assert_int_eq(m.sender[26] != 0 && m.sender[27] == 0, 1);
    ck_assert_int_eq((unsigned char)m.sender[31], 3);
    ck_assert_int_eq(pkt_groups_count(&m), 3);
}
END_TEST

static Suite *groups_suite(void)
{
    Suite *s = suite_create("pkt_groups");
    TCase *tc = tcase_create("vectors");

    tcase_set_timeout(tc, 60);
    if (nfiles > 0)
        tcase_add_loop_test(tc, groups_messages, 0, (int)nfiles);
    suite_add_tcase(s, tc);
    tc = tcase_create("rules");
    tcase_add_test(tc, groups_rules);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc;

    files = rv_list(&nfiles);
    rc = ck_run_suite(groups_suite());
    rv_list_free(files, nfiles);
    return rc;
}
