/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for tests/lib/evscheck: for every property of
 * shared/spec/ring.md section 15, small hand-written logs that keep it
 * (no report at all) and logs that break it and nothing else (reports of
 * that property only). Clients: #a#d1, #b#d1, #x#d1 on daemon d1, #c#d2
 * on d2, #y#d3 on d3; one group g. Then a generated run of many clients
 * and messages, to keep the checker near-linear.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/evscheck.h"
#include "../lib/ckmain.h"

/* Add the texts (NULL-terminated) as logs log0, log1 ..., check. */
static struct ec_checker *run_opts(const struct ec_opts *o,
                                   const char *const *texts)
{
    struct ec_opts def = {.out = stderr};
    struct ec_checker *ec = ec_new(o ? o : &def);
    char label[32];
    int i;

    for (i = 0; texts[i] != NULL; i++) {
        snprintf(label, sizeof label, "log%d", i);
        ec_add_text(ec, label, texts[i]);
    }
    ec_check(ec);
    return ec;
}

#define RUN(...) run_opts(NULL, (const char *const[]){__VA_ARGS__, NULL})
#define RUN_OPTS(o, ...) run_opts(o, (const char *const[]){__VA_ARGS__, NULL})

static void expect_clean(struct ec_checker *ec)
{
    int p;

    for (p = 0; p < EC_NPROPS; p++)
        ck_assert_msg(ec_count(ec, p) == 0, "property %d reported %ld "
                      "times", p, ec_count(ec, p));
    ec_free(ec);
}

/* Reports of `prop` and of no other property. */
static void expect_only(struct ec_checker *ec, int prop)
{
    int p;

    ck_assert_msg(ec_count(ec, prop) > 0, "property %d not reported", prop);
    for (p = 0; p < EC_NPROPS; p++)
        if (p != prop)
            ck_assert_msg(ec_count(ec, p) == 0, "property %d reported too "
                          "(%ld) while testing %d", p, ec_count(ec, p), prop);
    ec_free(ec);
}

/* ---- the base run: a, b on d1 and c on d2 join g, exchange two ---- */

#define A_JOINS \
    "0 CLIENT #a#d1\n" \
    "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n" \
    "2 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n" \
    "3 REG g 1:1:3 JOIN #a#d1 #b#d1 #c#d2 VS* #c#d2\n"
#define B_JOINS \
    "0 CLIENT #b#d1\n" \
    "2 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n" \
    "3 REG g 1:1:3 JOIN #a#d1 #b#d1 #c#d2 VS* #c#d2\n"
#define C_JOINS \
    "0 CLIENT #c#d2\n" \
    "3 REG g 1:1:3 JOIN #a#d1 #b#d1 #c#d2 VS* #c#d2\n"

static const char base_a[] = A_JOINS
    "4 SEND g AGREED #a#d1 1\n"
    "5 MSG g #a#d1 AGREED 1\n"
    "6 MSG g #c#d2 SAFE 1\n"
    "7 END quit\n";
static const char base_b[] = B_JOINS
    "5 MSG g #a#d1 AGREED 1\n"
    "6 MSG g #c#d2 SAFE 1\n"
    "7 END quit\n";
static const char base_c[] = C_JOINS
    "4 SEND g SAFE #c#d2 1\n"
    "5 MSG g #a#d1 AGREED 1\n"
    "6 MSG g #c#d2 SAFE 1\n"
    "7 END quit\n";

START_TEST(base_is_clean)
{
    expect_clean(RUN(base_a, base_b, base_c));
}
END_TEST

START_TEST(p0_malformed)
{
    expect_only(RUN(base_a, base_b, base_c, "0 CLIENT #z#d1\n1 REG g\n"), 0);
    expect_only(RUN(base_a, base_b, C_JOINS
                    "x SEND g SAFE #c#d2 2\n"
                    "4 SEND g SAFE #c#d2 1\n"
                    "5 MSG g #a#d1 AGREED 1\n"
                    "6 MSG g #c#d2 SAFE 1\n"
                    "7 END quit\n"), 0);
    /* a second log under the same name */
    expect_only(RUN(base_a, base_b, base_c, "0 CLIENT #c#d2\n"), 0);
}
END_TEST

/* ---- 1 ------------------------------------------------------------ */

START_TEST(p1_creation)
{
    /* b delivers a message nobody submitted */
    expect_only(RUN(base_a, base_c, B_JOINS
                    "5 MSG g #a#d1 AGREED 1\n"
                    "6 MSG g #c#d2 SAFE 1\n"
                    "7 MSG g #b#d1 AGREED 9\n"
                    "8 END quit\n"), 1);
    /* ... one with another service than it was sent with */
    expect_only(RUN(base_a, base_c, B_JOINS
                    "5 MSG g #a#d1 FIFO 1\n"
                    "6 MSG g #c#d2 SAFE 1\n"
                    "7 END quit\n"), 1);
    /* ... a body naming another sender than the header */
    expect_only(RUN(base_a, base_c, B_JOINS
                    "5 MSG g #a#d1 AGREED 1\n"
                    "6 MSG g #b#d1 SAFE 1 #c#d2\n"
                    "7 END quit\n"), 1);
}
END_TEST

START_TEST(p1_duplication)
{
    expect_only(RUN(base_a, base_c, B_JOINS
                    "5 MSG g #a#d1 AGREED 1\n"
                    "6 MSG g #c#d2 SAFE 1\n"
                    "7 MSG g #a#d1 AGREED 1\n"
                    "8 END quit\n"), 1);
}
END_TEST

/* ---- 2 ------------------------------------------------------------ */

static const char p2_a_lost[] = A_JOINS
    "4 SEND g AGREED #a#d1 1\n"
    "5 MSG g #a#d1 AGREED 1\n"
    "6 MSG g #c#d2 SAFE 1\n"
    "7 SEND g AGREED #a#d1 2\n"
    "8 END lost\n";

START_TEST(p2_self_delivery)
{
    static const char a_quit[] = A_JOINS
        "4 SEND g AGREED #a#d1 1\n"
        "5 MSG g #a#d1 AGREED 1\n"
        "6 MSG g #c#d2 SAFE 1\n"
        "7 SEND g AGREED #a#d1 2\n"
        "8 END quit\n";
    /* a connection that was lost owes nothing; a normal quit does */
    expect_clean(RUN(p2_a_lost, base_b, base_c));
    expect_only(RUN(a_quit, base_b, base_c), 2);
}
END_TEST

/* ---- 3 and 4 ------------------------------------------------------ */

static const char fifo_a[] = A_JOINS
    "4 SEND g FIFO #a#d1 1\n"
    "4 SEND g FIFO #a#d1 2\n"
    "4 SEND g FIFO #a#d1 3\n"
    "5 MSG g #a#d1 FIFO 1\n"
    "5 MSG g #a#d1 FIFO 2\n"
    "5 MSG g #a#d1 FIFO 3\n"
    "7 END quit\n";
static const char fifo_c[] = C_JOINS
    "5 MSG g #a#d1 FIFO 1\n"
    "5 MSG g #a#d1 FIFO 2\n"
    "5 MSG g #a#d1 FIFO 3\n"
    "7 END quit\n";

START_TEST(p3_sender_order)
{
    expect_clean(RUN(fifo_a, fifo_c, B_JOINS
                     "5 MSG g #a#d1 FIFO 1\n"
                     "5 MSG g #a#d1 FIFO 2\n"
                     "5 MSG g #a#d1 FIFO 3\n"
                     "7 END quit\n"));
    /* (1, 3, 2 would break 4 too: 2 does not come between 1 and 3) */
    expect_only(RUN(fifo_a, fifo_c, B_JOINS
                    "5 MSG g #a#d1 FIFO 2\n"
                    "5 MSG g #a#d1 FIFO 1\n"
                    "7 END lost\n"), 3);
}
END_TEST

START_TEST(p4_no_gaps)
{
    /* b misses 2 between 1 and 3 in one view interval */
    expect_only(RUN(fifo_a, fifo_c, B_JOINS
                    "5 MSG g #a#d1 FIFO 1\n"
                    "5 MSG g #a#d1 FIFO 3\n"
                    "7 END quit\n"), 4);
    /* a gap at the end of a log that is cut short is no gap */
    expect_clean(RUN(fifo_a, fifo_c, B_JOINS
                     "5 MSG g #a#d1 FIFO 1\n"
                     "7 END lost\n"));
}
END_TEST

/* ---- 5 ------------------------------------------------------------ */

#define TWO_SENT(serv) \
    "4 SEND g " serv " #a#d1 1\n"
#define C_SENT(serv) \
    "4 SEND g " serv " #c#d2 1\n"

START_TEST(p5_total_order)
{
    static const char a[] = A_JOINS TWO_SENT("AGREED")
        "5 MSG g #a#d1 AGREED 1\n"
        "6 MSG g #c#d2 AGREED 1\n"
        "7 END quit\n";
    static const char b_same[] = B_JOINS
        "5 MSG g #a#d1 AGREED 1\n"
        "6 MSG g #c#d2 AGREED 1\n"
        "7 END quit\n";
    static const char b_swapped[] = B_JOINS
        "5 MSG g #c#d2 AGREED 1\n"
        "6 MSG g #a#d1 AGREED 1\n"
        "7 END quit\n";
    static const char c[] = C_JOINS C_SENT("AGREED")
        "5 MSG g #a#d1 AGREED 1\n"
        "6 MSG g #c#d2 AGREED 1\n"
        "7 END quit\n";

    expect_clean(RUN(a, b_same, c));
    expect_only(RUN(a, b_swapped, c), 5);
}
END_TEST

START_TEST(p5_strict_fifo)
{
    static const char a[] = A_JOINS TWO_SENT("FIFO")
        "5 MSG g #a#d1 FIFO 1\n"
        "6 MSG g #c#d2 FIFO 1\n"
        "7 END quit\n";
    static const char b[] = B_JOINS
        "5 MSG g #c#d2 FIFO 1\n"
        "6 MSG g #a#d1 FIFO 1\n"
        "7 END quit\n";
    static const char c[] = C_JOINS C_SENT("FIFO")
        "5 MSG g #a#d1 FIFO 1\n"
        "6 MSG g #c#d2 FIFO 1\n"
        "7 END quit\n";
    struct ec_opts o = {.out = stderr, .strict_order = 1};

    /* FIFO messages of different senders may be ordered differently... */
    expect_clean(RUN(a, b, c));
    /* ... except in the strict mode */
    expect_only(RUN_OPTS(&o, a, b, c), 5);
}
END_TEST

START_TEST(p5_cycle_of_three)
{
    /* every two agree on the one message they share, but a delivers
     * 1 before 2, b 2 before 3 and c 3 before 1 */
    static const char a[] = A_JOINS
        "4 SEND g AGREED #a#d1 1\n"
        "4 SEND g AGREED #a#d1 2\n"
        "4 SEND g AGREED #a#d1 3\n"
        "5 MSG g #a#d1 AGREED 1\n"
        "5 MSG g #a#d1 AGREED 2\n"
        "7 END lost\n";
    static const char b[] = B_JOINS
        "5 MSG g #a#d1 AGREED 2\n"
        "5 MSG g #a#d1 AGREED 3\n"
        "7 END lost\n";
    static const char c[] = C_JOINS
        "5 MSG g #a#d1 AGREED 3\n"
        "5 MSG g #a#d1 AGREED 1\n"
        "7 END lost\n";
    struct ec_checker *ec = RUN(a, b, c);

    /* c also inverts a's own order of 1 and 3 (property 3) */
    ck_assert_int_gt(ec_count(ec, 5), 0);
    ec_free(ec);
}
END_TEST

/* ---- a partition: d1 (a, b) and d2 (c) part ---------------------- */

#define SPLIT_A(before, after) A_JOINS \
    "4 SEND g AGREED #a#d1 1\n" before \
    "5 TRANS g 1:1:3\n" after \
    "6 REG g 2:2:1 NETWORK #a#d1 #b#d1 VS* #a#d1 #b#d1\n" \
    "7 END quit\n"
#define SPLIT_B(before, after) B_JOINS before \
    "5 TRANS g 1:1:3\n" after \
    "6 REG g 2:2:1 NETWORK #a#d1 #b#d1 VS* #a#d1 #b#d1\n" \
    "7 END quit\n"
#define SPLIT_C(before, after) C_JOINS before \
    "5 TRANS g 1:1:3\n" after \
    "6 REG g 3:2:1 NETWORK #c#d2 VS* #c#d2\n" \
    "7 END quit\n"
#define A1 "5 MSG g #a#d1 AGREED 1\n"

START_TEST(partition_clean)
{
    /* a's message reaches c only on a's side of the change: c may still
     * deliver it, after its TRANS, or not at all */
    expect_clean(RUN(SPLIT_A(A1, ""), SPLIT_B(A1, ""), SPLIT_C("", A1)));
    expect_clean(RUN(SPLIT_A("", A1), SPLIT_B("", A1), SPLIT_C("", "")));
}
END_TEST

/* ---- 6 ------------------------------------------------------------ */

START_TEST(p6_same_view)
{
    /* s sends to g without being a member; a delivers it in the view
     * before b joined, b in the view after */
    static const char s[] =
        "0 CLIENT #s#d1\n"
        "1 SEND g AGREED #s#d1 1\n"
        "9 END quit\n";
    static const char a[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 MSG g #s#d1 AGREED 1\n"
        "3 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "9 END quit\n";
    static const char b_after[] =
        "0 CLIENT #b#d1\n"
        "3 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "4 MSG g #s#d1 AGREED 1\n"
        "9 END quit\n";
    static const char b_none[] =
        "0 CLIENT #b#d1\n"
        "3 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "9 END quit\n";

    expect_clean(RUN(s, a, b_none));
    expect_only(RUN(s, a, b_after), 6);
}
END_TEST

START_TEST(p6_same_side)
{
    /* a and b leave view 1:1:3 together for 2:2:1 with the same set, but
     * a delivers its message after the TRANS and b before */
    expect_only(RUN(SPLIT_A("", A1), SPLIT_B(A1, ""), SPLIT_C("", "")), 6);
}
END_TEST

/* Rule 74: d1 (a, and x joining) applies x's join only after its
 * transitional signal: its clients see the unsettled view 9:9:1 followed
 * at once by a TRANS; d3 (y) applied it before and saw the JOIN view
 * 1:1:4. y's message is delivered in 1:1:4 at y and in 9:9:1 at a and
 * x: allowed. c's daemon d2 crashed. (a's second TRANS carries the id of
 * the view before the unsettled one, x's the unsettled view's: both are
 * accepted there.) */
#define U_A(in_u, in_s) \
    "0 CLIENT #a#d1\n" \
    "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n" \
    "2 REG g 1:1:2 JOIN #a#d1 #c#d2 VS* #c#d2\n" \
    "3 REG g 1:1:3 JOIN #a#d1 #c#d2 #y#d3 VS* #y#d3\n" \
    "4 TRANS g 1:1:3\n" \
    "5 REG g 9:9:1 NETWORK #a#d1 #x#d1 #y#d3 VS* #a#d1 #y#d3 VS #x#d1\n" \
    "6 TRANS g 1:1:3\n" in_u \
    "8 REG g 2:2:1 NETWORK #a#d1 #x#d1 #y#d3 VS* #a#d1 #x#d1 VS #y#d3\n" \
    in_s "9 END quit\n"
#define U_X(in_u, in_s) \
    "0 CLIENT #x#d1\n" \
    "5 REG g 9:9:1 NETWORK #a#d1 #x#d1 #y#d3 VS #a#d1 #y#d3 VS* #x#d1\n" \
    "6 TRANS g 9:9:1\n" in_u \
    "8 REG g 2:2:1 NETWORK #a#d1 #x#d1 #y#d3 VS* #a#d1 #x#d1 VS #y#d3\n" \
    in_s "9 END quit\n"
#define U_Y(in_w, in_s) \
    "0 CLIENT #y#d3\n" \
    "3 REG g 1:1:3 JOIN #a#d1 #c#d2 #y#d3 VS* #y#d3\n" \
    "4 REG g 1:1:4 JOIN #a#d1 #x#d1 #c#d2 #y#d3 VS* #x#d1\n" \
    "4 SEND g AGREED #y#d3 1\n" in_w \
    "6 TRANS g 1:1:4\n" \
    "7 REG g 2:2:1 NETWORK #a#d1 #x#d1 #y#d3 VS #a#d1 #x#d1 VS* #y#d3\n" \
    in_s "9 END quit\n"
#define Y1 "7 MSG g #y#d3 AGREED 1\n"

START_TEST(p6_unsettled_allowed)
{
    expect_clean(RUN(U_A(Y1, ""), U_X(Y1, ""), U_Y(Y1, "")));
}
END_TEST

START_TEST(p6_unsettled_moved)
{
    /* a and x deliver it only in the settled view that follows */
    expect_only(RUN(U_A("", Y1), U_X("", Y1), U_Y(Y1, "")), 6);
    /* y delivers it in the settled view, a and x in the unsettled one
     * before it */
    expect_only(RUN(U_A(Y1, ""), U_X(Y1, ""), U_Y("", Y1)), 6);
}
END_TEST

/* ---- 7 ------------------------------------------------------------ */

START_TEST(p7_view_agreement)
{
    /* b lists the members of 1:1:2 in another order */
    static const char b[] =
        "0 CLIENT #b#d1\n"
        "2 REG g 1:1:2 JOIN #b#d1 #a#d1 VS* #b#d1\n"
        "7 END quit\n";
    static const char a[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "7 END quit\n";
    static const char a_twice[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 2:2:1 NETWORK #a#d1 VS* #a#d1\n"
        "2 REG g 2:2:1 NETWORK #a#d1 VS* #a#d1\n"
        "7 END quit\n";
    /* a merge: the same members, the sets in another order */
    static const char a_merge[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 REG g 4:4:1 NETWORK #a#d1 #c#d2 VS* #a#d1 VS #c#d2\n"
        "7 END quit\n";
    static const char c_merge[] =
        "0 CLIENT #c#d2\n"
        "1 REG g 3:3:1 JOIN #c#d2 VS* #c#d2\n"
        "2 REG g 4:4:1 NETWORK #a#d1 #c#d2 VS* #c#d2 VS #a#d1\n"
        "7 END quit\n";

    expect_only(RUN(a, b), 7);
    expect_only(RUN(a_twice), 7);
    expect_only(RUN(a_merge, c_merge), 7);
}
END_TEST

/* ---- 8 ------------------------------------------------------------ */

START_TEST(p8_virtual_synchrony)
{
    /* c's daemon... c's connection dies; a got c's message in 1:1:3,
     * b did not; both go on to the DISCONNECT view 1:1:4 */
    static const char c[] = C_JOINS
        "4 SEND g AGREED #c#d2 1\n"
        "5 MSG g #c#d2 AGREED 1\n"
        "6 END lost\n";
    static const char a[] = A_JOINS
        "5 MSG g #c#d2 AGREED 1\n"
        "6 REG g 1:1:4 DISCONNECT #a#d1 #b#d1 VS* #c#d2\n"
        "7 END quit\n";
    static const char b_with[] = B_JOINS
        "5 MSG g #c#d2 AGREED 1\n"
        "6 REG g 1:1:4 DISCONNECT #a#d1 #b#d1 VS* #c#d2\n"
        "7 END quit\n";
    static const char b_without[] = B_JOINS
        "6 REG g 1:1:4 DISCONNECT #a#d1 #b#d1 VS* #c#d2\n"
        "7 END quit\n";

    expect_clean(RUN(a, b_with, c));
    expect_only(RUN(a, b_without, c), 8);
}
END_TEST

/* a and c part and merge again before either saw the partition's view:
 * both go from 1:1:2 to 5:5:1, but in different sets of it, so they did
 * not move together and may differ; in one set they may not. */
#define MERGE_A(sets) \
    "0 CLIENT #a#d1\n" \
    "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n" \
    "2 REG g 1:1:2 JOIN #a#d1 #c#d2 VS* #c#d2\n" \
    "3 SEND g AGREED #a#d1 1\n" \
    "4 TRANS g 1:1:2\n" \
    "5 MSG g #a#d1 AGREED 1\n" \
    "6 REG g 5:5:1 NETWORK #a#d1 #c#d2 " sets "\n" \
    "7 END quit\n"
#define MERGE_C(sets) \
    "0 CLIENT #c#d2\n" \
    "2 REG g 1:1:2 JOIN #a#d1 #c#d2 VS* #c#d2\n" \
    "4 TRANS g 1:1:2\n" \
    "6 REG g 5:5:1 NETWORK #a#d1 #c#d2 " sets "\n" \
    "7 END quit\n"

START_TEST(p8_moved_apart)
{
    expect_clean(RUN(MERGE_A("VS* #a#d1 VS #c#d2"),
                     MERGE_C("VS #a#d1 VS* #c#d2")));
    expect_only(RUN(MERGE_A("VS* #a#d1 #c#d2"), MERGE_C("VS* #a#d1 #c#d2")),
                8);
}
END_TEST

/* ---- 9 ------------------------------------------------------------ */

START_TEST(p9_sender_in_view)
{
    /* b, a member, sends; a delivers it in its view before b joined
     * (b's connection is lost before its own copy comes) */
    static const char a[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 MSG g #b#d1 AGREED 1\n"
        "3 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "7 END quit\n";
    static const char a_ok[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "3 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "4 MSG g #b#d1 AGREED 1\n"
        "7 END quit\n";
    static const char b[] =
        "0 CLIENT #b#d1\n"
        "3 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "4 SEND g AGREED #b#d1 1\n"
        "5 END lost\n";

    expect_clean(RUN(a_ok, b));
    expect_only(RUN(a, b), 9);
}
END_TEST

/* ---- 10 ----------------------------------------------------------- */

/* a (d1) and c (d2), together in 1:1:2, part. */
#define PART_A(before, after) \
    "0 CLIENT #a#d1\n" \
    "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n" \
    "2 REG g 1:1:2 JOIN #a#d1 #c#d2 VS* #c#d2\n" \
    "3 SEND g SAFE #a#d1 1\n" before \
    "5 TRANS g 1:1:2\n" after \
    "6 REG g 2:2:1 NETWORK #a#d1 VS* #a#d1\n" \
    "7 END quit\n"
#define PART_C(before, after) \
    "0 CLIENT #c#d2\n" \
    "2 REG g 1:1:2 JOIN #a#d1 #c#d2 VS* #c#d2\n" before \
    "5 TRANS g 1:1:2\n" after \
    "6 REG g 3:2:1 NETWORK #c#d2 VS* #c#d2\n" \
    "7 END quit\n"
#define SAFE1 "4 MSG g #a#d1 SAFE 1\n"

START_TEST(p10_safe_delivery)
{
    /* SAFE after the TRANS binds only a's own set of the next view */
    expect_clean(RUN(PART_A("", SAFE1), PART_C("", "")));
    /* in the regular part it binds every member of the view */
    expect_clean(RUN(PART_A(SAFE1, ""), PART_C("", SAFE1)));
    expect_only(RUN(PART_A(SAFE1, ""), PART_C("", "")), 10);
    /* ... unless c's log ends before its next view */
    expect_clean(RUN(PART_A(SAFE1, ""),
                     "0 CLIENT #c#d2\n"
                     "2 REG g 1:1:2 JOIN #a#d1 #c#d2 VS* #c#d2\n"
                     "3 END lost\n"));
}
END_TEST

START_TEST(p10_safe_in_transitional_set)
{
    /* a and b share the next view's set: a's SAFE delivery after the
     * TRANS binds b (and as both go from 1:1:3 to 2:2:1, property 8
     * sees the difference as well) */
    static const char a[] = A_JOINS
        "4 SEND g SAFE #a#d1 1\n"
        "5 TRANS g 1:1:3\n"
        "5 MSG g #a#d1 SAFE 1\n"
        "6 REG g 2:2:1 NETWORK #a#d1 #b#d1 VS* #a#d1 #b#d1\n"
        "7 END quit\n";
    static const char b[] = B_JOINS
        "5 TRANS g 1:1:3\n"
        "6 REG g 2:2:1 NETWORK #a#d1 #b#d1 VS* #a#d1 #b#d1\n"
        "7 END quit\n";
    struct ec_checker *ec = RUN(a, b);

    ck_assert_int_gt(ec_count(ec, 10), 0);
    ec_free(ec);
}
END_TEST

/* ---- 11 ----------------------------------------------------------- */

START_TEST(p11_transitional_structure)
{
    static const char join_after_trans[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 TRANS g 1:1:1\n"
        "3 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "7 END quit\n";
    static const char two_trans[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 TRANS g 1:1:1\n"
        "3 TRANS g 1:1:1\n"
        "4 REG g 2:2:1 NETWORK #a#d1 VS* #a#d1\n"
        "7 END quit\n";
    static const char wrong_id[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 TRANS g 1:1:7\n"
        "4 REG g 2:2:1 NETWORK #a#d1 VS* #a#d1\n"
        "7 END quit\n";
    static const char no_view[] =
        "0 CLIENT #a#d1\n"
        "2 TRANS g\n"
        "7 END quit\n";
    static const char leave_in_trans[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 TRANS g\n"
        "3 LEFT g\n"
        "7 END quit\n";
    static const char ends_in_trans[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 TRANS g\n"
        "3 END lost\n";

    expect_only(RUN(join_after_trans), 11);
    expect_only(RUN(two_trans), 11);
    expect_only(RUN(wrong_id), 11);
    expect_only(RUN(no_view), 11);
    expect_only(RUN(leave_in_trans), 11);
    expect_clean(RUN(ends_in_trans));
}
END_TEST

/* A pure merge: a's component meets c's, nobody is lost, no TRANS. */
START_TEST(p11_pure_merge)
{
    static const char a[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 REG g 4:4:1 NETWORK #a#d1 #c#d2 VS* #a#d1 VS #c#d2\n"
        "7 END quit\n";
    static const char c[] =
        "0 CLIENT #c#d2\n"
        "1 REG g 3:3:1 JOIN #c#d2 VS* #c#d2\n"
        "2 REG g 4:4:1 NETWORK #a#d1 #c#d2 VS #a#d1 VS* #c#d2\n"
        "7 END quit\n";

    expect_clean(RUN(a, c));
}
END_TEST

/* ---- 12 ----------------------------------------------------------- */

START_TEST(p12_vs_sets)
{
    static const char not_subset[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 REG g 4:4:1 NETWORK #a#d1 #c#d2 VS* #a#d1 #c#d2\n"
        "7 END quit\n";
    static const char overlap[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 REG g 4:4:1 NETWORK #a#d1 #c#d2 VS* #a#d1 VS #c#d2 #a#d1\n"
        "7 END quit\n";
    static const char not_mine[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 REG g 4:4:1 NETWORK #a#d1 #c#d2 VS #a#d1 VS* #c#d2\n"
        "7 END quit\n";
    static const char no_sets[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 REG g 4:4:1 NETWORK #a#d1\n"
        "7 END quit\n";
    /* a and b come into 2:2:1 in one set, but b from another view */
    static const char a[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "4 REG g 2:2:1 NETWORK #a#d1 #b#d1 #c#d2 VS* #a#d1 #b#d1 VS #c#d2\n"
        "7 END quit\n";
    static const char b_other[] =
        "0 CLIENT #b#d1\n"
        "2 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "3 REG g 5:5:1 NETWORK #a#d1 #b#d1 VS* #a#d1 #b#d1\n"
        "4 REG g 2:2:1 NETWORK #a#d1 #b#d1 #c#d2 VS* #a#d1 #b#d1 VS #c#d2\n"
        "7 END quit\n";
    static const char b_same[] =
        "0 CLIENT #b#d1\n"
        "2 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "4 REG g 2:2:1 NETWORK #a#d1 #b#d1 #c#d2 VS* #a#d1 #b#d1 VS #c#d2\n"
        "7 END quit\n";

    expect_only(RUN(not_subset), 12);
    expect_only(RUN(overlap), 12);
    expect_only(RUN(not_mine), 12);
    expect_only(RUN(no_sets), 12);
    expect_clean(RUN(a, b_same));
    expect_only(RUN(a, b_other), 12);
}
END_TEST

/* ---- 13 ----------------------------------------------------------- */

START_TEST(p13_view_content)
{
    static const char leave_keeps[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "3 REG g 1:1:3 LEAVE #a#d1 #b#d1 VS* #b#d1\n"
        "7 END quit\n";
    static const char leave_ok[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "3 REG g 1:1:3 DISCONNECT #a#d1\n"
        "7 END quit\n";
    static const char join_adds_two[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 REG g 1:1:2 JOIN #a#d1 #b#d1 #c#d2 VS* #b#d1\n"
        "7 END quit\n";
    static const char first_not_self[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:2 JOIN #a#d1 #b#d1 VS* #b#d1\n"
        "7 END quit\n";
    static const char without_self[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #b#d1 VS* #b#d1\n"
        "7 END quit\n";

    expect_clean(RUN(leave_ok));
    expect_only(RUN(leave_keeps), 13);
    expect_only(RUN(join_adds_two), 13);
    expect_only(RUN(first_not_self), 13);
    expect_only(RUN(without_self), 13);
}
END_TEST

/* ---- 14 ----------------------------------------------------------- */

START_TEST(p14_isolation)
{
    /* c delivers a's message without being in g at all */
    static const char c_outside[] =
        "0 CLIENT #c#d2\n"
        "5 MSG g #a#d1 AGREED 1\n"
        "7 END quit\n";
    static const char a[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "2 SEND g AGREED #a#d1 1\n"
        "3 MSG g #a#d1 AGREED 1\n"
        "7 END quit\n";
    /* after a partition, c's component delivers what a's ordered (which
     * breaks 6 and 9 as well) */
    static const char c_other_side[] =
        "0 CLIENT #c#d2\n"
        "1 REG g 3:3:1 JOIN #c#d2 VS* #c#d2\n"
        "5 MSG g #a#d1 AGREED 1\n"
        "7 END quit\n";
    struct ec_checker *ec;

    expect_only(RUN(a, c_outside), 14);
    ec = RUN(a, c_other_side);
    ck_assert_int_gt(ec_count(ec, 14), 0);
    ec_free(ec);
}
END_TEST

/* ---- 15 ----------------------------------------------------------- */

START_TEST(p15_crash)
{
    static const char c_quits[] = C_JOINS
        "4 SEND g SAFE #c#d2 1\n"
        "5 MSG g #a#d1 AGREED 1\n"
        "6 MSG g #c#d2 SAFE 1\n"
        "8000 END quit\n";
    static const char c_lost[] = C_JOINS
        "4 SEND g SAFE #c#d2 1\n"
        "5 MSG g #a#d1 AGREED 1\n"
        "6 MSG g #c#d2 SAFE 1\n"
        "5000 END lost\n";
    static const char faults[] = "# the timeline\n100 CRASH d2\n";
    static const char c_after_end[] = C_JOINS
        "4 SEND g SAFE #c#d2 1\n"
        "5 MSG g #a#d1 AGREED 1\n"
        "6 MSG g #c#d2 SAFE 1\n"
        "7 END lost\n"
        "8 MSG g #a#d1 AGREED 1\n";
    static const char c_late[] = C_JOINS
        "4 SEND g SAFE #c#d2 1\n"
        "5 MSG g #a#d1 AGREED 1\n"
        "3000 MSG g #c#d2 SAFE 1\n"
        "5000 END lost\n";
    struct ec_opts slack = {.out = stderr, .crash_slack_ms = 1000};

    expect_clean(RUN(base_a, base_b, c_lost, faults));
    expect_only(RUN(base_a, base_b, c_after_end), 15);
    /* c quits normally although its daemon crashed */
    expect_only(RUN(base_a, base_b, c_quits, faults), 15);
    expect_clean(RUN(base_a, base_b, c_late, faults));
    expect_only(RUN_OPTS(&slack, base_a, base_b, c_late, faults), 15);
}
END_TEST

/* ---- 16 ----------------------------------------------------------- */

#define T_A(view_at, back_at) \
    "0 CLIENT #a#d1\n" \
    "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n" \
    "2 REG g 1:1:2 JOIN #a#d1 #c#d2 VS* #c#d2\n" \
    "1000 SEND g AGREED #a#d1 1\n" \
    back_at " MSG g #a#d1 AGREED 1\n" \
    "2000 TRANS g 1:1:2\n" \
    view_at " REG g 2:2:1 NETWORK #a#d1 VS* #a#d1\n" \
    "60000 END quit\n"
#define T_C \
    "0 CLIENT #c#d2\n" \
    "2 REG g 1:1:2 JOIN #a#d1 #c#d2 VS* #c#d2\n" \
    "2000 TRANS g 1:1:2\n" \
    "3000 REG g 3:2:1 NETWORK #c#d2 VS* #c#d2\n" \
    "60000 END quit\n"
#define T_FAULTS "1500 PARTITION d1 | d2\n"

START_TEST(p16_timeliness)
{
    struct ec_opts o = {.out = stderr, .net_view_ms = 10000,
                        .self_delivery_ms = 10000};
    struct ec_opts none = {.out = stderr};

    expect_clean(RUN_OPTS(&o, T_A("4000", "1100"), T_C, T_FAULTS));
    expect_only(RUN_OPTS(&o, T_A("20000", "1100"), T_C, T_FAULTS), 16);
    /* ... a late own message (the fault at 1500 moves its deadline to
     * 11500) */
    expect_clean(RUN_OPTS(&o, T_A("4000", "11000"), T_C, T_FAULTS));
    expect_only(RUN_OPTS(&o, T_A("4000", "11600"), T_C, T_FAULTS), 16);
    /* bounds not set: nothing checked */
    expect_clean(RUN_OPTS(&none, T_A("20000", "11600"), T_C, T_FAULTS));
}
END_TEST

START_TEST(p16_merge)
{
    static const char a[] =
        "0 CLIENT #a#d1\n"
        "1 REG g 1:1:1 JOIN #a#d1 VS* #a#d1\n"
        "9000 REG g 4:4:1 NETWORK #a#d1 #c#d2 VS* #a#d1 VS #c#d2\n"
        "60000 END quit\n";
    static const char c[] =
        "0 CLIENT #c#d2\n"
        "1 REG g 3:3:1 JOIN #c#d2 VS* #c#d2\n"
        "9000 REG g 4:4:1 NETWORK #a#d1 #c#d2 VS #a#d1 VS* #c#d2\n"
        "60000 END quit\n";
    static const char faults[] = "0 PARTITION d1 | d2\n1000 HEAL\n";
    struct ec_opts fast = {.out = stderr, .merge_view_ms = 5000};
    struct ec_opts slow = {.out = stderr, .merge_view_ms = 40000};

    expect_clean(RUN_OPTS(&slow, a, c, faults));
    expect_only(RUN_OPTS(&fast, a, c, faults), 16);
}
END_TEST

/* ---- scale -------------------------------------------------------- */

/* n clients on 4 daemons join g one after the other; each sends k
 * AGREED/SAFE/FIFO messages; everyone delivers everything in one order;
 * then daemon d3 crashes and the others install a NETWORK view. */
static char *gen_log(int me, int n, int k)
{
    size_t cap = 1 << 16, len = 0;
    char *s = malloc(cap);
    int i, j, t = 0;
    static const char *const serv[] = {"AGREED", "SAFE", "FIFO"};

#define PUT(...) do { \
        int w_; \
        while ((w_ = snprintf(s + len, cap - len, __VA_ARGS__)) >= 0 && \
               (size_t)w_ >= cap - len) \
            s = realloc(s, cap *= 2); \
        len += (size_t)w_; \
    } while (0)
    PUT("%d CLIENT #c%d#d%d\n", t++, me, me % 4);
    for (j = me; j < n; j++) {
        PUT("%d REG g 1:1:%d JOIN", t++, j + 1);
        for (i = 0; i <= j; i++)
            PUT(" #c%d#d%d", i, i % 4);
        PUT(" VS* #c%d#d%d\n", j, j % 4);
    }
    for (i = 0; i < k; i++)
        PUT("%d SEND g %s #c%d#d%d %d\n", t, serv[i % 3], me, me % 4, i);
    for (j = 0; j < k; j++)
        for (i = 0; i < n; i++)
            PUT("%d MSG g #c%d#d%d %s %d\n", t++, i, i % 4, serv[j % 3], j);
    if (me % 4 == 3) {
        PUT("%d END lost\n", t);
        return s;
    }
    PUT("%d TRANS g\n%d REG g 2:2:1 NETWORK", t, t + 1);
    for (i = 0; i < n; i++)
        if (i % 4 != 3)
            PUT(" #c%d#d%d", i, i % 4);
    PUT(" VS*");
    for (i = 0; i < n; i++)
        if (i % 4 != 3)
            PUT(" #c%d#d%d", i, i % 4);
    PUT("\n%d END quit\n", t + 2);
#undef PUT
    return s;
}

START_TEST(many_logs)
{
    enum { N = 200, K = 50 };
    struct ec_opts o = {.out = stderr, .self_delivery_ms = 1000000};
    struct ec_checker *ec = ec_new(&o);
    char label[32];
    long clients, events, msgs;
    int i;

    for (i = 0; i < N; i++) {
        char *s = gen_log(i, N, K);
        snprintf(label, sizeof label, "c%d.log", i);
        ec_add_text(ec, label, s);
        free(s);
    }
    ec_add_faults_text(ec, "run.faults", "1000000 CRASH d3\n");
    ck_assert_int_eq(ec_check(ec), 0);
    ec_stats(ec, &clients, &events, &msgs);
    ck_assert_int_eq(clients, N);
    ck_assert_int_eq(msgs, N * K);
    ck_assert_int_gt(events, (long)N * N * K);
    ec_free(ec);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("evscheck");
    TCase *tc = tcase_create("properties");
    TCase *big = tcase_create("scale");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, base_is_clean);
    tcase_add_test(tc, p0_malformed);
    tcase_add_test(tc, p1_creation);
    tcase_add_test(tc, p1_duplication);
    tcase_add_test(tc, p2_self_delivery);
    tcase_add_test(tc, p3_sender_order);
    tcase_add_test(tc, p4_no_gaps);
    tcase_add_test(tc, p5_total_order);
    tcase_add_test(tc, p5_strict_fifo);
    tcase_add_test(tc, p5_cycle_of_three);
    tcase_add_test(tc, partition_clean);
    tcase_add_test(tc, p6_same_view);
    tcase_add_test(tc, p6_same_side);
    tcase_add_test(tc, p6_unsettled_allowed);
    tcase_add_test(tc, p6_unsettled_moved);
    tcase_add_test(tc, p7_view_agreement);
    tcase_add_test(tc, p8_virtual_synchrony);
    tcase_add_test(tc, p8_moved_apart);
    tcase_add_test(tc, p9_sender_in_view);
    tcase_add_test(tc, p10_safe_delivery);
    tcase_add_test(tc, p10_safe_in_transitional_set);
    tcase_add_test(tc, p11_transitional_structure);
    tcase_add_test(tc, p11_pure_merge);
    tcase_add_test(tc, p12_vs_sets);
    tcase_add_test(tc, p13_view_content);
    tcase_add_test(tc, p14_isolation);
    tcase_add_test(tc, p15_crash);
    tcase_add_test(tc, p16_timeliness);
    tcase_add_test(tc, p16_merge);
    suite_add_tcase(s, tc);
    tcase_set_timeout(big, 120);
    tcase_add_test(big, many_logs);
    suite_add_tcase(s, big);
    return ck_run_suite(s);
}
