/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests of the ring core's small parts: flow-control arithmetic
 * (daemon/ring/flow.h, ring.md rules 33-35 and 38), the packet window
 * (window.h: slots, my_aru, discarding) and the send queue (sendq.h).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring/flow.h"
#include "ring/sendq.h"
#include "ring/window.h"
#include "sp.h"
#include "../lib/ckmain.h"

/* ---- flow ----------------------------------------------------------------- */

START_TEST(flow_defaults)
{
    struct flow_params p;

    flow_params_default(&p);
    ck_assert_uint_eq(p.window, 160);
    ck_assert_uint_eq(p.personal_window, 60);
    ck_assert_uint_eq(p.accel_window, 15);
    ck_assert_uint_eq(p.max_gap, 1600);
}
END_TEST

START_TEST(flow_allowed_rule_34)
{
    struct flow_params p;

    flow_params_default(&p);
    p.personal_window = FLOW_UPSTREAM_PERSONAL_WINDOW;
    /* min(Window, PersonalWindow, Window + PersonalWindow - fc) */
    ck_assert_uint_eq(flow_allowed(&p, 0, 0, 0, 0), 20);
    ck_assert_uint_eq(flow_allowed(&p, 160, 0, 0, 0), 20);
    ck_assert_uint_eq(flow_allowed(&p, 161, 0, 0, 0), 19);
    ck_assert_uint_eq(flow_allowed(&p, 172, 0, 0, 0), 8);
    ck_assert_uint_eq(flow_allowed(&p, 180, 0, 0, 0), 0);
    ck_assert_uint_eq(flow_allowed(&p, 5000, 0, 0, 0), 0);
    /* A Window smaller than PersonalWindow bounds a visit too. */
    p.window = 10;
    ck_assert_uint_eq(flow_allowed(&p, 0, 0, 0, 0), 10);
    ck_assert_uint_eq(flow_allowed(&p, 25, 0, 0, 0), 5);
    flow_params_default(&p);
    p.personal_window = FLOW_UPSTREAM_PERSONAL_WINDOW;
    /* Nothing new in EVS, nor while the unstable tail is too long. */
    ck_assert_uint_eq(flow_allowed(&p, 0, 0, 0, 1), 0);
    ck_assert_uint_eq(flow_allowed(&p, 0, 1700, 100, 0), 20);
    ck_assert_uint_eq(flow_allowed(&p, 0, 1701, 100, 0), 0);
    ck_assert_uint_eq(flow_allowed(&p, 0, 100, 200, 0), 20);
}
END_TEST

START_TEST(flow_update_step_4)
{
    /* old - previous visit's + this visit's (new and retransmitted) */
    ck_assert_uint_eq(flow_update(20, 0, 20), 40);
    ck_assert_uint_eq(flow_update(40, 20, 0), 20);
    ck_assert_uint_eq(flow_update(172, 20, 8), 160);
    /* 03 records 157-161: 2 -> n1 answers one request (3) -> n2 whose
     * previous visit sent 2 (1). */
    ck_assert_uint_eq(flow_update(2, 0, 1), 3);
    ck_assert_uint_eq(flow_update(3, 2, 0), 1);
    /* A re-sent token can carry less than we subtract. */
    ck_assert_uint_eq(flow_update(3, 10, 1), 1);
    ck_assert_uint_eq(flow_update(FLOW_FC_MAX, 0, 10), FLOW_FC_MAX);
}
END_TEST

START_TEST(flow_after_token_rule_38)
{
    struct flow_params p;

    flow_params_default(&p);
    ck_assert_uint_eq(flow_after_token(&p, 20, 0, 0), 0);
    ck_assert_uint_eq(flow_after_token(&p, 20, 1, 0), 15);
    ck_assert_uint_eq(flow_after_token(&p, 8, 1, 0), 8);
    ck_assert_uint_eq(flow_after_token(&p, 20, 1, 1), 0);
    ck_assert_uint_eq(flow_after_token(&p, 0, 1, 0), 0);
}
END_TEST

/* ---- window ------------------------------------------------------------------ */

static void mk_pkt(struct pkt_data *d, unsigned char *buf, int32_t seq)
{
    memset(d, 0, sizeof(*d));
    d->h.type = PKT_AGREED;
    d->h.seq = seq;
    d->nfrags = 1;
    d->frags[0].index = -1;
    d->frags[0].len = 60;
    d->frags[0].bytes = buf;
    memset(buf, (int)seq, 60);
}

START_TEST(window_aru_and_discard)
{
    struct window w;
    struct pkt_data d;
    struct window_pkt *p;
    unsigned char buf[60];

    ck_assert_int_eq(window_init(&w, 0), 0);
    mk_pkt(&d, buf, 2);
    ck_assert_int_eq(window_insert(&w, &d, &p), 1);
    /* The window keeps its own copy. */
    memset(buf, 0, sizeof(buf));
    ck_assert_uint_eq(p->d.frags[0].bytes[0], 2);
    ck_assert_ptr_ne(p->d.frags[0].bytes, buf);
    ck_assert_uint_eq(w.my_aru, 0);
    ck_assert_uint_eq(w.highest_seq, 2);
    ck_assert_int_eq(window_missing(&w, 1), 1);
    ck_assert_int_eq(window_missing(&w, 2), 0);
    mk_pkt(&d, buf, 1);
    ck_assert_int_eq(window_insert(&w, &d, NULL), 1);
    ck_assert_uint_eq(w.my_aru, 2);
    ck_assert_int_eq(window_insert(&w, &d, NULL), 0);    /* duplicate */
    mk_pkt(&d, buf, 0);
    ck_assert_int_eq(window_insert(&w, &d, NULL), 0);    /* no seq 0 */
    mk_pkt(&d, buf, WINDOW_SLOTS);
    ck_assert_int_eq(window_insert(&w, &d, NULL), 1);    /* last slot */
    mk_pkt(&d, buf, WINDOW_SLOTS + 1);
    ck_assert_int_eq(window_insert(&w, &d, NULL), 0);    /* beyond */
    window_discard(&w, 5);                               /* up to my_aru */
    ck_assert_uint_eq(w.discarded, 2);
    ck_assert_ptr_null(window_get(&w, 1));
    ck_assert_int_eq(window_missing(&w, 1), 0);          /* gone for good */
    mk_pkt(&d, buf, 1);
    ck_assert_int_eq(window_insert(&w, &d, NULL), 0);
    mk_pkt(&d, buf, WINDOW_SLOTS + 2);                   /* room again */
    ck_assert_int_eq(window_insert(&w, &d, NULL), 1);
    ck_assert_uint_eq(w.count, 2);
    window_fini(&w);
}
END_TEST

START_TEST(window_insert_into_own)
{
    struct window w;
    struct pkt_data d;
    unsigned char buf[60];

    ck_assert_int_eq(window_init(&w, 100), 0);
    mk_pkt(&d, buf, 101);
    ck_assert_int_eq(window_insert_into(&w, window_pkt_alloc(), &d), 1);
    ck_assert_uint_eq(w.my_aru, 101);
    ck_assert_int_eq(window_insert_into(&w, window_pkt_alloc(), &d), 0);
    ck_assert_uint_eq(window_get(&w, 101)->d.frags[0].bytes[59], 101);
    window_fini(&w);
}
END_TEST

/* ---- send queue ------------------------------------------------------------- */

static size_t mk_msg(unsigned char *buf, size_t len)
{
    static unsigned char data[PKT_MAX_MSG_LEN];
    struct pkt_msg m;
    int rc;

    memset(&m, 0, sizeof(m));
    m.type = AGREED_MESS;
    m.data_len = (int32_t)(len - PKT_MSG_HEADER_LEN);
    m.data = data;
    rc = pkt_msg_encode(&m, PKT_ORDER_NATIVE, buf, len);
    ck_assert_int_eq(rc, (int)len);
    return len;
}

START_TEST(sendq_cuts_and_packs)
{
    static unsigned char big[5000];
    unsigned char small[100];
    struct sendq q;
    struct pkt_data d;
    int k;

    sendq_init(&q);
    ck_assert_int_eq(sendq_push(&q, small, 47, PKT_AGREED), -EINVAL);
    ck_assert_int_eq(sendq_push(&q, small, 100, PKT_AGREED | PKT_SAFE),
                     -EINVAL);
    ck_assert_int_eq(sendq_push(&q, big, mk_msg(big, 5000), PKT_AGREED), 0);
    for (k = 0; k < 3; k++)
        ck_assert_int_eq(sendq_push(&q, small, mk_msg(small, 100),
                                    k < 2 ? PKT_FIFO : PKT_SAFE), 0);
    ck_assert_uint_eq(sendq_len(&q), 4);
    /* 5000 bytes: 1, 2, 3 (1432 each), then -4 with two FIFO messages
     * packed behind it; the SAFE one waits for its own packet. */
    for (k = 1; k <= 3; k++) {
        ck_assert_int_eq(sendq_next(&q, &d), 1);
        ck_assert_int_eq(d.frags[0].index, k);
        ck_assert_uint_eq(d.frags[0].len, PKT_MAX_PAYLOAD);
        sendq_release(&q);
        ck_assert_uint_eq(sendq_len(&q), 4);
    }
    ck_assert_int_eq(sendq_next(&q, &d), 1);
    ck_assert_int_eq(d.frags[0].index, -4);
    ck_assert_uint_eq(d.frags[0].len, 5000 - 3 * PKT_MAX_PAYLOAD);
    ck_assert_uint_eq(d.nfrags, 3);
    ck_assert_uint_eq(d.h.type & PKT_SERVICE_MASK, PKT_AGREED);
    sendq_release(&q);
    ck_assert_uint_eq(sendq_len(&q), 1);
    ck_assert_int_eq(sendq_next(&q, &d), 1);
    ck_assert_uint_eq(d.nfrags, 1);
    ck_assert_uint_eq(d.h.type & PKT_SERVICE_MASK, PKT_SAFE);
    sendq_release(&q);
    ck_assert_uint_eq(sendq_len(&q), 0);
    ck_assert_int_eq(sendq_next(&q, &d), 0);
    sendq_fini(&q);
}
END_TEST

/* Many pushes and releases: the array slides and grows without losing
 * order. */
START_TEST(sendq_order_kept)
{
    unsigned char m[200];
    struct sendq q;
    struct pkt_data d;
    int i, next = 0;

    sendq_init(&q);
    for (i = 0; i < 3000; i++) {
        mk_msg(m, 200);
        memcpy(m + 100, &i, sizeof(i));
        ck_assert_int_eq(sendq_push(&q, m, 200, PKT_RELIABLE), 0);
        if (i % 3 == 2) {
            unsigned k;

            ck_assert_int_eq(sendq_next(&q, &d), 1);
            for (k = 0; k < d.nfrags; k++) {
                int got;

                memcpy(&got, d.frags[k].bytes + 100, sizeof(got));
                ck_assert_int_eq(got, next++);
            }
            sendq_release(&q);
        }
    }
    while (sendq_next(&q, &d)) {
        unsigned k;

        for (k = 0; k < d.nfrags; k++) {
            int got;

            memcpy(&got, d.frags[k].bytes + 100, sizeof(got));
            ck_assert_int_eq(got, next++);
        }
        sendq_release(&q);
    }
    ck_assert_int_eq(next, 3000);
    sendq_fini(&q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ring_flow");
    TCase *tc = tcase_create("flow");
    TCase *w = tcase_create("window");
    TCase *q = tcase_create("sendq");

    tcase_add_test(tc, flow_defaults);
    tcase_add_test(tc, flow_allowed_rule_34);
    tcase_add_test(tc, flow_update_step_4);
    tcase_add_test(tc, flow_after_token_rule_38);
    suite_add_tcase(s, tc);
    tcase_add_test(w, window_aru_and_discard);
    tcase_add_test(w, window_insert_into_own);
    suite_add_tcase(s, w);
    tcase_add_test(q, sendq_cuts_and_packs);
    tcase_add_test(q, sendq_order_kept);
    suite_add_tcase(s, q);
    return ck_run_suite(s);
}
