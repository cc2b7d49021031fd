/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_lib_vectors: conformance of libspread against the upstream captures
 * in ../shared/vectors. The test plays the daemon (tests/unit/
 * test_lib_replay.h): every C> frame the library writes must match byte
 * for byte outside the masks, and the D> frames are played back. The API
 * calls of each capture's "# X: SP_..." annotations are written out by
 * hand below, with the values the upstream library returned.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sp.h"
#include "test_lib_replay.h"
#include "../lib/ckmain.h"

/* ---- connect and disconnect (01-07) ---------------------------------- */

START_TEST(v01_connect_tcp_nomemb)
{
    sc_load("01_connect_tcp_nomemb.vec");
    sc_connect_ok('A', "alice", 0, 0, ALICE);
    sc_disconnect('A');
    sc_end();
}
END_TEST

START_TEST(v02_connect_tcp_memb_prio1)
{
    sc_load("02_connect_tcp_memb_prio1.vec");
    sc_connect_ok('A', "alice", 1, 1, ALICE);
    sc_disconnect('A');
    sc_end();
}
END_TEST

/* A unix-domain listener at SP_UNIX_SOCKET/<port> replaces the TCP one. */
static int listen_unix(char *name, size_t namelen)
{
    struct sockaddr_un sun;
    int port, fd = socket(AF_UNIX, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    for (port = 40000 + (int)(getpid() % 20000); port < 65536; port += 7) {
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        snprintf(sun.sun_path, sizeof sun.sun_path, "%s/%d", SP_UNIX_SOCKET,
                 port);
        if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == 0 &&
            listen(fd, 4) == 0) {
            snprintf(name, namelen, "%d", port);
            snprintf(S.unix_path, sizeof S.unix_path, "%s", sun.sun_path);
            return fd;
        }
        if (errno != EADDRINUSE)
            break;
    }
    close(fd);
    return -1;
}

START_TEST(v03_connect_unix_prio2)
{
    char name[16];
    int fd;

    sc_load("03_connect_unix_prio2.vec");
    fd = listen_unix(name, sizeof name);
    if (fd < 0) {
        /* The socket directory is not writable here: nothing to test. */
        sc_end();
        return;
    }
    close(S.d.lfd);
    S.d.lfd = fd;
    ck_assert_int_eq(sc_connect_as('A', name, "alice", 2, 1),
                     ACCEPT_SESSION);
    ck_assert_str_eq(S.group[0], ALICE);
    sc_disconnect('A');
    unlink(S.unix_path);
    sc_end();
}
END_TEST

START_TEST(v04_connect_random_name)
{
    sc_load("04_connect_random_name.vec");
    sc_connect_ok('A', NULL, 0, 1, "#r2052-9#localhost");
    sc_connect_ok('B', "", 0, 0, "#r6819-11#localhost");
    sc_disconnect('A');
    sc_disconnect('B');
    sc_end();
}
END_TEST

START_TEST(v05_connect_long_name)
{
    sc_load("05_connect_long_name.vec");
    sc_connect_ok('A', "abcdefghijklmnop", 0, 1, "#abcdefghij#localhost");
    sc_disconnect('A');
    sc_end();
}
END_TEST

START_TEST(v06_reject_name_in_use)
{
    sc_load("06_reject_name_in_use.vec");
    sc_connect_ok('A', "dup", 0, 1, "#dup#localhost");
    ck_assert_int_eq(sc_connect('B', "dup", 0, 1), REJECT_NOT_UNIQUE);
    sc_disconnect('A');
    sc_end();
}
END_TEST

START_TEST(v07_reject_illegal_name)
{
    sc_load("07_reject_illegal_name.vec");
    ck_assert_int_eq(sc_connect('A', "a b", 0, 1), REJECT_ILLEGAL_NAME);
    ck_assert_int_eq(sc_connect('B', "x#y", 0, 1), REJECT_ILLEGAL_NAME);
    sc_end();
}
END_TEST

/* ---- groups and messages (09-17) -------------------------------------- */

START_TEST(v09_join_leave_self)
{
    membership_info mi;

    sc_load("09_join_leave_self.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    join_alone('A', "grp1", ALICE);
    leave('A', "grp1");
    sc_d('A');
    sc_rx('A', 0, CAUSED_BY_LEAVE, "grp1", 0, -1, 0);
    ck_assert(Is_self_leave(R.st));
    ck_assert_int_eq(SP_get_memb_info(R.body, R.st, &mi), 1);
    ck_assert_uint_eq(mi.num_vs_sets, 0);
    sc_disconnect('A');
    sc_end();
}
END_TEST

/* A and B join `group` in that order and read the memberships. */
static void join_pair(const char *group)
{
    join_alone('A', group, ALICE);
    join('B', group);
    sc_d('A');
    sc_rx('A', 56, JOINED, group, 2, 0, 0);
    check_group(0, ALICE);
    check_group(1, BOB);
    check_memb(2, BOB);
    sc_d('B');
    sc_rx('B', 56, JOINED, group, 2, 1, 0);
    check_memb(2, BOB);
}


/* B leaves by disconnecting; A sees it; A disconnects. */
static void pair_finish(const char *group)
{
    sc_disconnect('B');
    sc_d('A');
    sc_rx('A', 56, GONE, group, 1, 0, 0);
    check_group(0, ALICE);
    check_memb(3, BOB);
    sc_disconnect('A');
}

static const char *const svc_names[6] = {
    "UNRELIABLE", "RELIABLE", "FIFO", "CAUSAL", "AGREED", "SAFE"
};

START_TEST(v10_multicast_services)
{
    int i;
    char L;

    sc_load("10_multicast_services.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join_pair("svc");
    for (i = 0; i < 6; i++)
        mcast('A', 1 << i, "svc", (int16)(i + 1), svc_names[i]);
    for (L = 'A'; L <= 'B'; L++)
        for (i = 0; i < 6; i++)
            rx_data(L, 1 << i, ALICE, i + 1, "svc", svc_names[i]);
    pair_finish("svc");
    sc_end();
}
END_TEST

START_TEST(v11_multicast_self_discard)
{
    char body[32];
    int i;

    sc_load("11_multicast_self_discard.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join_pair("svc");
    for (i = 0; i < 6; i++) {
        snprintf(body, sizeof body, "%s+SD", svc_names[i]);
        mcast('A', (1 << i) | SELF_DISCARD, "svc", (int16)(0x101 + i), body);
    }
    mcast('A', AGREED_MESS, "svc", 32767, "marker");
    rx_data('A', AGREED_MESS, ALICE, 32767, "svc", "marker");
    for (i = 0; i < 6; i++) {
        snprintf(body, sizeof body, "%s+SD", svc_names[i]);
        rx_data('B', (1 << i) | SELF_DISCARD, ALICE, 0x101 + i, "svc", body);
    }
    rx_data('B', AGREED_MESS, ALICE, 32767, "svc", "marker");
    pair_finish("svc");
    sc_end();
}
END_TEST

START_TEST(v12_mess_types_and_scatter)
{
    static char pattern[300];
    scatter sc;
    int i;

    sc_load("12_mess_types_and_scatter.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    join_alone('A', "mt", ALICE);
    ck_assert_int_eq(SP_multicast(S.mb[0], AGREED_MESS, "mt", 0, 0, ""), 0);
    sc_c('A');
    sc_d('A');
    sc_rx('A', 0, AGREED_MESS, ALICE, 1, 0, 0);
    mcast('A', FIFO_MESS, "mt", -1, "neg");
    rx_data('A', FIFO_MESS, ALICE, -1, "mt", "neg");
    mcast('A', FIFO_MESS, "mt", -32768, "min");
    rx_data('A', FIFO_MESS, ALICE, -32768, "mt", "min");
    mcast('A', RELIABLE_MESS, "mt", 0x1234, "hex");
    rx_data('A', RELIABLE_MESS, ALICE, 0x1234, "mt", "hex");
    for (i = 0; i < 300; i++)
        pattern[i] = (char)i;
    memset(&sc, 0, sizeof sc);
    sc.num_elements = 3;
    sc.elements[0].buf = pattern;
    sc.elements[0].len = 100;
    sc.elements[1].buf = pattern + 100;
    sc.elements[1].len = 150;
    sc.elements[2].buf = pattern + 250;
    sc.elements[2].len = 50;
    ck_assert_int_eq(SP_scat_multicast(S.mb[0], SAFE_MESS, "mt", 77, &sc),
                     300);
    sc_c('A');
    sc_d('A');
    sc_rx('A', 300, SAFE_MESS, ALICE, 1, 77, 0);
    ck_assert(memcmp(R.body, pattern, 300) == 0);
    sc_disconnect('A');
    sc_end();
}
END_TEST

START_TEST(v13_multigroup_multicast)
{
    char groups[4][MAX_GROUP_NAME];
    static const char *const names[4] = { "g1", "g2", BOB, "nosuch" };
    char L;
    int i;

    sc_load("13_multigroup_multicast.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join_alone('B', "g1", BOB);
    join_alone('B', "g2", BOB);
    join('A', "g1");
    sc_d('A');
    sc_rx('A', 56, JOINED, "g1", 2, 0, 0);
    check_memb(2, ALICE);
    sc_d('B');
    sc_rx('B', 56, JOINED, "g1", 2, 1, 0);
    check_memb(2, ALICE);
    memset(groups, 0, sizeof groups);
    for (i = 0; i < 4; i++)
        strcpy(groups[i], names[i]);
    ck_assert_int_eq(SP_multigroup_multicast(S.mb[0], AGREED_MESS, 4,
                                             (const char (*)[32])groups, 42,
                                             11, "to-4-groups"), 11);
    sc_c('A');
    for (L = 'A'; L <= 'B'; L++) {
        sc_d(L);
        sc_rx(L, 11, AGREED_MESS, ALICE, 4, 42, 0);
        for (i = 0; i < 4; i++)
            check_group(i, names[i]);
        check_body("to-4-groups");
    }
    ck_assert_int_eq(SP_poll(S.mb[1]), 0);
    sc_disconnect('A');
    sc_d('B');
    sc_rx('B', 56, GONE, "g1", 1, 0, 0);
    check_memb(3, ALICE);
    sc_disconnect('B');
    sc_end();
}
END_TEST

START_TEST(v14_private_group_messages)
{
    sc_load("14_private_group_messages.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 0, BOB);
    mcast('A', RELIABLE_MESS, BOB, 5, "hi bob");
    rx_data('B', RELIABLE_MESS, ALICE, 5, BOB, "hi bob");
    mcast('B', FIFO_MESS, ALICE, 6, "hi alice");
    rx_data('A', FIFO_MESS, BOB, 6, ALICE, "hi alice");
    mcast('A', AGREED_MESS, ALICE, 7, "to self");
    rx_data('A', AGREED_MESS, ALICE, 7, ALICE, "to self");
    mcast('A', AGREED_MESS | SELF_DISCARD, ALICE, 8, "discarded");
    mcast('A', AGREED_MESS, ALICE, 9, "after");
    rx_data('A', AGREED_MESS, ALICE, 9, ALICE, "after");
    sc_disconnect('B');
    sc_disconnect('A');
    sc_end();
}
END_TEST

START_TEST(v16_join_without_membership_flag)
{
    sc_load("16_join_without_membership_flag.vec");
    sc_connect_ok('A', "alice", 0, 0, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join('A', "nm");
    join('B', "nm");
    sc_d('B');
    sc_rx('B', 56, JOINED, "nm", 2, 1, 0);
    check_memb(2, BOB);
    mcast('B', AGREED_MESS, "nm", 1, "data");
    rx_data('A', AGREED_MESS, BOB, 1, "nm", "data");
    rx_data('B', AGREED_MESS, BOB, 1, "nm", "data");
    leave('A', "nm");
    sc_d('B');
    sc_rx('B', 56, LEFT, "nm", 1, 0, 0);
    check_group(0, BOB);
    check_memb(3, ALICE);
    mcast('B', AGREED_MESS, "nm", 2, "data2");
    rx_data('B', AGREED_MESS, BOB, 2, "nm", "data2");
    ck_assert_int_eq(SP_poll(S.mb[0]), 0);
    sc_disconnect('A');
    sc_disconnect('B');
    sc_end();
}
END_TEST

START_TEST(v17_short_buffers)
{
    char groups[3][MAX_GROUP_NAME], body[101];
    int i;

    sc_load("17_short_buffers.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join_alone('B', "sb", BOB);
    memset(groups, 0, sizeof groups);
    strcpy(groups[0], "sb");
    strcpy(groups[1], BOB);
    strcpy(groups[2], "zz");
    for (i = 0; i < 100; i++)
        body[i] = (char)('a' + i % 26);
    body[100] = '\0';
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(SP_multigroup_multicast(S.mb[0], AGREED_MESS, 3,
                                                 (const char (*)[32])groups,
                                                 (int16)(300 + i), 100, body),
                         100);
        sc_c('A');
    }
    /* Without DROP_RECV: nothing but the header is consumed, repeatedly. */
    sc_d('B');
    sc_recv('B', 0, 10, 50, BUFFER_TOO_SHORT, AGREED_MESS, ALICE, 0, 300,
            -100);
    sc_recv('B', 0, 10, 50, BUFFER_TOO_SHORT, AGREED_MESS, ALICE, 0, 300,
            -100);
    sc_recv('B', 0, 1, 50, GROUPS_TOO_SHORT, AGREED_MESS, ALICE, -3, 300,
            -100);
    sc_recv('B', 0, 2, 200, GROUPS_TOO_SHORT, AGREED_MESS, ALICE, -3, 300, 0);
    sc_recv('B', 0, 3, 200, 100, AGREED_MESS, ALICE, 3, 300, 0);
    check_group(0, "sb");
    check_group(1, BOB);
    check_group(2, "zz");
    check_body(body);
    /* With DROP_RECV: the message is consumed and cut to the buffers. */
    sc_d('B');
    sc_recv('B', DROP_RECV, 2, 40, BUFFER_TOO_SHORT, AGREED_MESS, ALICE, -3,
            301, 0);
    ck_assert(memcmp(R.body, body, 40) == 0);
    check_group(1, BOB);
    sc_d('B');
    sc_recv('B', DROP_RECV, 1, 200, 100, AGREED_MESS, ALICE, -3, 302, 0);
    check_group(0, "sb");
    check_body(body);
    ck_assert_int_eq(SP_poll(S.mb[1]), 0);
    sc_disconnect('A');
    sc_disconnect('B');
    sc_end();
}
END_TEST

START_TEST(v21_join_leave_edge_cases)
{
    static const char long_ok[] = "abcdefghijklmnopqrstuvwxyz01234";
    static const char too_long[] = "abcdefghijklmnopqrstuvwxyz012345";
    mailbox a;

    sc_load("21_join_leave_edge_cases.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    a = S.mb[0];
    join_alone('A', "je", ALICE);
    join('A', "je");
    leave('A', "other");
    ck_assert_int_eq(SP_join(a, ""), ILLEGAL_GROUP);
    ck_assert_int_eq(SP_join(a, "has space"), ILLEGAL_GROUP);
    ck_assert_int_eq(SP_join(a, "#priv"), ILLEGAL_GROUP);
    join_alone('A', long_ok, ALICE);
    ck_assert_int_eq(SP_join(a, too_long), ILLEGAL_GROUP);
    mcast('A', AGREED_MESS, "je", 1, "marker");
    rx_data('A', AGREED_MESS, ALICE, 1, "je", "marker");
    mcast('A', AGREED_MESS, "nobody-here", 2, "lost");
    mcast('A', AGREED_MESS, "je", 3, "marker2");
    rx_data('A', AGREED_MESS, ALICE, 3, "je", "marker2");
    sc_disconnect('A');
    memset(&R, 0, sizeof R);
    ck_assert_int_eq(SP_receive(a, &R.st, R.sender, 120, &R.ng, R.groups,
                                &R.mt, &R.em, 200000, R.body),
                     ILLEGAL_SESSION);
    ck_assert_int_eq(SP_multicast(a, AGREED_MESS, "je", 3, 1, "x"),
                     ILLEGAL_SESSION);
    sc_end();
}
END_TEST

START_TEST(v23_big_endian_sender)
{
    const struct vec_frame *f;
    size_t i;

    sc_load("23_big_endian_sender.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join_alone('B', "be", BOB);
    /* A's frame was written raw on the library's socket. */
    f = sc_peek('A');
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fake_write(S.mb[0], f->data, f->len), 0);
    sc_c('A');
    sc_d('B');
    sc_rx('B', 5, AGREED_MESS, ALICE, 1, 4660, 1);
    check_group(0, "be");
    check_body("bigen");
    for (i = 0; i < 2; i++)
        sc_disconnect((char)('A' + i));
    sc_end();
}
END_TEST

static const char ZED[] = "#zed#localhost";
static const char AMY[] = "#amy#localhost";
static const char MIA[] = "#mia#localhost";

START_TEST(v26_member_list_order)
{
    sc_load("26_member_list_order.vec");
    sc_connect_ok('Z', "zed", 0, 1, ZED);
    sc_connect_ok('A', "amy", 0, 1, AMY);
    sc_connect_ok('M', "mia", 0, 1, MIA);
    join_alone('Z', "mo", ZED);
    join('A', "mo");
    sc_d('Z');
    sc_rx('Z', 56, JOINED, "mo", 2, 1, 0);
    check_group(0, AMY);
    check_group(1, ZED);
    check_memb(2, AMY);
    sc_d('A');
    sc_rx('A', 56, JOINED, "mo", 2, 0, 0);
    check_memb(2, AMY);
    join('M', "mo");
    sc_d('Z');
    sc_rx('Z', 56, JOINED, "mo", 3, 2, 0);
    check_group(0, AMY);
    check_group(1, MIA);
    check_group(2, ZED);
    check_memb(3, MIA);
    sc_d('A');
    sc_rx('A', 56, JOINED, "mo", 3, 0, 0);
    check_memb(3, MIA);
    sc_d('M');
    sc_rx('M', 56, JOINED, "mo", 3, 1, 0);
    check_memb(3, MIA);
    sc_disconnect('A');
    sc_d('Z');
    sc_rx('Z', 56, GONE, "mo", 2, 1, 0);
    check_memb(4, AMY);
    sc_d('M');
    sc_rx('M', 56, GONE, "mo", 2, 0, 0);
    check_memb(4, AMY);
    sc_disconnect('M');
    sc_d('Z');
    sc_rx('Z', 56, GONE, "mo", 1, 0, 0);
    check_group(0, ZED);
    check_memb(5, MIA);
    sc_disconnect('Z');
    sc_end();
}
END_TEST


START_TEST(v15_membership_of_others)
{
    static const char CAROL[] = "#carol#localhost";

    sc_load("15_membership_of_others.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    join_alone('A', "grp", ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join('B', "grp");
    sc_d('A');
    sc_rx('A', 56, JOINED, "grp", 2, 0, 0);
    check_memb(2, BOB);
    sc_d('B');
    sc_rx('B', 56, JOINED, "grp", 2, 1, 0);
    check_memb(2, BOB);
    self_leave('B', "grp");
    sc_d('A');
    sc_rx('A', 56, LEFT, "grp", 1, 0, 0);
    check_memb(3, BOB);
    join('B', "grp");
    sc_d('A');
    sc_rx('A', 56, JOINED, "grp", 2, 0, 0);
    check_memb(4, BOB);
    sc_d('B');
    sc_rx('B', 56, JOINED, "grp", 2, 1, 0);
    check_memb(4, BOB);
    sc_disconnect('B');
    sc_d('A');
    sc_rx('A', 56, GONE, "grp", 1, 0, 0);
    check_memb(5, BOB);
    sc_connect_ok('C', "carol", 0, 1, CAROL);
    join('C', "grp");
    sc_d('A');
    sc_rx('A', 56, JOINED, "grp", 2, 0, 0);
    check_group(1, CAROL);
    check_memb(6, CAROL);
    sc_d('C');
    sc_rx('C', 56, JOINED, "grp", 2, 1, 0);
    check_memb(6, CAROL);
    SP_kill(S.mb[LI('C')]);          /* closes without a KILL message */
    sc_eof('C');
    sc_d('A');
    sc_rx('A', 56, GONE, "grp", 1, 0, 0);
    check_memb(7, CAROL);
    self_leave('A', "grp");
    sc_disconnect('A');
    sc_end();
}
END_TEST




/* B joins `group` first, then A: both read the two-member membership. */
static void join_b_then_a(const char *group)
{
    join_alone('B', group, BOB);
    join('A', group);
    sc_d('A');
    sc_rx('A', 56, JOINED, group, 2, 0, 0);
    check_memb(2, ALICE);
    sc_d('B');
    sc_rx('B', 56, JOINED, group, 2, 1, 0);
    check_memb(2, ALICE);
}

/* A was dropped by the daemon: B sees it leave; A's mailbox is broken. */
static void a_was_killed(const char *group)
{
    sc_d('B');
    sc_rx('B', 56, GONE, group, 1, 0, 0);
    check_memb(3, ALICE);
    sc_rx('A', NET_ERROR_ON_SESSION, 0, "", 0, 0, 0);
    sc_rx('A', NET_ERROR_ON_SESSION, 0, "", 0, 0, 0);
    ck_assert_int_eq(SP_multicast(S.mb[0], AGREED_MESS, group, 4, 1, "x"),
                     NET_ERROR_ON_SESSION);
    SP_kill(S.mb[0]);
    sc_disconnect('B');
}

START_TEST(v18_message_size_limits)
{
    static char xs[143969];
    char L;

    memset(xs, 'x', sizeof xs);
    sc_load("18_message_size_limits.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join_b_then_a("big");
    ck_assert_int_eq(SP_multicast(S.mb[0], AGREED_MESS, "big", 1, 143969, xs),
                     MESSAGE_TOO_LONG);
    ck_assert_int_eq(SP_multicast(S.mb[0], AGREED_MESS, "big", 2, 143120, xs),
                     143120);
    sc_c('A');
    for (L = 'B'; L >= 'A'; L--) {
        sc_d(L);
        sc_recv(L, DROP_RECV, 120, 16, BUFFER_TOO_SHORT, AGREED_MESS, ALICE,
                1, 2, 0);
        check_group(0, "big");
        ck_assert(memcmp(R.body, xs, 16) == 0);
    }
    killed_send('A', AGREED_MESS, "big", 3, 143960, xs);
    a_was_killed("big");
    sc_end();
}
END_TEST

START_TEST(v20_illegal_service_types)
{
    mailbox a;

    sc_load("20_illegal_service_types.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    a = S.mb[0];
    join_b_then_a("bs");
    ck_assert_int_eq(SP_multicast(a, 0, "bs", 1, 4, "zero"), ILLEGAL_SERVICE);
    ck_assert_int_eq(SP_multicast(a, SELF_DISCARD, "bs", 1, 7, "discard"),
                     ILLEGAL_SERVICE);
    ck_assert_int_eq(SP_multicast(a, REG_MEMB_MESS, "bs", 1, 4, "memb"),
                     ILLEGAL_SERVICE);
    mcast('A', AGREED_MESS | REJECT_MESS, "bs", 1, "rej");
    killed_send('A', AGREED_MESS | SAFE_MESS, "bs", 1, 3, "two");
    a_was_killed("bs");
    sc_end();
}
END_TEST

START_TEST(v22_forged_sender_killed)
{
    const struct vec_frame *f;

    sc_load("22_forged_sender_killed.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join_b_then_a("cd");
    f = sc_peek('A');             /* written raw on the library's socket */
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fake_write(S.mb[0], f->data, f->len), 0);
    sc_c('A');
    close(S.dfd[0]);              /* the daemon drops A */
    S.dfd[0] = -1;
    sc_rx('A', CONNECTION_CLOSED, 0, "", 0, 0, 0);
    a_was_killed("cd");
    sc_end();
}
END_TEST


/* A client-set REJECT_MESS bit goes out unchanged; the daemon echoes the
 * message as a malformed reject notice that A reads raw (upstream
 * defect), so only the bytes are compared. */
START_TEST(v24_reject_bit_from_client)
{
    const struct vec_frame *f;
    unsigned char raw[256];

    sc_load("24_reject_bit_from_client.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join('B', "rj");
    sc_d('B');
    sc_rx('B', 56, JOINED, "rj", 1, 0, 0);
    check_memb_sets(482711334, 1795668916, 1, BOB, 1,
                    (const char *const[]){ BOB }, 0);
    mcast('A', AGREED_MESS | REJECT_MESS, "rj", 9, "rej");
    mcast('B', AGREED_MESS, ALICE, 10, "after");
    f = sc_d('A');
    ck_assert_uint_le(f->len, sizeof raw);
    ck_assert_int_eq(fake_read(S.mb[0], raw, f->len, FAKE_TIMEOUT_MS), 0);
    ck_assert(memcmp(raw, f->data, f->len) == 0);
    ck_assert_int_eq(SP_poll(S.mb[1]), 0);
    sc_disconnect('B');
    SP_kill(S.mb[0]);
    sc_eof('A');
    sc_end();
}
END_TEST

START_TEST(v25_service_bit_passthrough)
{
    const char *body;
    int len;

    sc_load("25_service_bit_passthrough.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join_alone('B', "fp", BOB);
    mcast('A', AGREED_MESS | CAUSED_BY_LEAVE, "fp", 1, "fake-leave");
    rx_data('B', AGREED_MESS | CAUSED_BY_LEAVE, ALICE, 1, "fp", "fake-leave");
    body = next_body('A', &len);
    ck_assert_int_eq(len, 56);
    ck_assert_int_eq(SP_multicast(S.mb[0], AGREED_MESS | JOINED, "fp", 2, len,
                                  body), 56);
    sc_c('A');
    sc_d('B');
    sc_rx('B', 56, AGREED_MESS | JOINED, ALICE, 1, 2, 0);
    mcast('A', FIFO_MESS | DROP_RECV, "fp", 3, "drop-bit");
    rx_data('B', FIFO_MESS | DROP_RECV, ALICE, 3, "fp", "drop-bit");
    mcast('A', RELIABLE_MESS | 0x800000, "fp", 4, "bit23");
    rx_data('B', RELIABLE_MESS | 0x800000, ALICE, 4, "fp", "bit23");
    sc_disconnect('A');
    sc_disconnect('B');
    sc_end();
}
END_TEST

/* {tm, n001, n002, ...}: n names. */
static void numbered_groups(char (*g)[MAX_GROUP_NAME], int n)
{
    int i;

    memset(g, 0, (size_t)n * MAX_GROUP_NAME);
    strcpy(g[0], "tm");
    for (i = 1; i < n; i++)
        snprintf(g[i], MAX_GROUP_NAME, "n%03d", i);
}

START_TEST(v19_group_count_limits)
{
    static char g[101][MAX_GROUP_NAME];
    char L;

    sc_load("19_group_count_limits.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    join_b_then_a("tm");
    numbered_groups(g, 43);
    ck_assert_int_eq(SP_multigroup_multicast(S.mb[0], AGREED_MESS, 43,
                                             (const char (*)[32])g, 43, 2,
                                             "43"), 2);
    sc_c('A');
    for (L = 'B'; L >= 'A'; L--) {
        sc_d(L);
        sc_recv(L, DROP_RECV, 3, 100, 2, AGREED_MESS, ALICE, -43, 43, 0);
        check_group(2, "n002");
        check_body("43");
    }
    /* 44 destinations: accepted, delivered to nobody (upstream defect). */
    numbered_groups(g, 44);
    ck_assert_int_eq(SP_multigroup_multicast(S.mb[0], AGREED_MESS, 44,
                                             (const char (*)[32])g, 44, 2,
                                             "44"), 2);
    sc_c('A');
    mcast('A', AGREED_MESS, "tm", 1, "marker");
    rx_data('B', AGREED_MESS, ALICE, 1, "tm", "marker");
    rx_data('A', AGREED_MESS, ALICE, 1, "tm", "marker");
    /* 101 destinations: the library sends, the daemon drops A. */
    numbered_groups(g, 101);
    killed_multicast('A', AGREED_MESS, 101, (const char (*)[32])g, 101, 3,
                     "101");
    sc_d('B');
    sc_rx('B', 56, GONE, "tm", 1, 0, 0);
    check_memb(3, ALICE);
    SP_kill(S.mb[0]);
    sc_disconnect('B');
    sc_end();
}
END_TEST

START_TEST(v28_daemon_abort_oversized)
{
    static char xs[143121];

    memset(xs, 'x', sizeof xs);
    sc_load("28_daemon_abort_oversized.vec");
    sc_connect_ok('A', "alice", 0, 1, ALICE);
    sc_connect_ok('B', "bob", 0, 1, BOB);
    /* The daemon reads the whole message and dies: both sessions end. */
    killed_send('A', AGREED_MESS, BOB, 1, (int)sizeof xs, xs);
    close(S.dfd[1]);
    S.dfd[1] = -1;
    sc_rx('B', CONNECTION_CLOSED, 0, "", 0, 0, 0);
    SP_kill(S.mb[0]);
    SP_kill(S.mb[1]);
    sc_end();
}
END_TEST

#define D1_ID 1552775919

START_TEST(v29_network_partition_merge)
{
    static const char AD1[] = "#alice#d1", BD2[] = "#bob#d2";
    static const char *const merged[2] = { BD2, AD1 };
    const char *one;
    char L;

    sc_load("29_network_partition_merge.vec");
    sc_connect_ok('A', "alice", 0, 1, AD1);
    sc_connect_ok('B', "bob", 0, 1, BD2);
    join('A', "net");
    sc_d('A');
    sc_rx('A', 56, JOINED, "net", 1, 0, 0);
    check_memb_sets(D1_ID, 1795668655, 1, AD1, 1, (one = AD1, &one), 0);
    join('B', "net");
    for (L = 'A'; L <= 'B'; L++) {
        sc_d(L);
        sc_rx(L, 56, JOINED, "net", 2, L - 'A', 0);
        check_memb_sets(D1_ID, 1795668655, 2, BD2, 1, (one = BD2, &one), 0);
    }
    mcast('A', AGREED_MESS, "net", 1, "hello");
    rx_data('A', AGREED_MESS, AD1, 1, "net", "hello");
    rx_data('B', AGREED_MESS, AD1, 1, "net", "hello");
    /* Partition: A sees the transitional view, then A alone. */
    sc_d('A');
    sc_rx('A', 12, TRANSITION_MESS, "net", 0, -1, 0);
    check_memb_sets(D1_ID, 1795668655, 2, "", 0, NULL, 0);
    sc_d('A');
    sc_rx('A', 56, REG_MEMB_MESS | CAUSED_BY_NETWORK, "net", 1, 0, 0);
    check_memb_sets(D1_ID, 1795668669, 1, "", 1, (one = AD1, &one), 0);
    /* Merge: two vs sets; each side's own set differs. */
    sc_d('B');
    sc_rx('B', 12, TRANSITION_MESS, "net", 0, -1, 0);
    for (L = 'B'; L >= 'A'; L--) {
        sc_d(L);
        sc_rx(L, 92, REG_MEMB_MESS | CAUSED_BY_NETWORK, "net", 2, L - 'A', 0);
        check_memb_sets(D1_ID, 1795668691, 1, "", 2, merged, L == 'A');
    }
    mcast('A', AGREED_MESS, "net", 2, "again");
    rx_data('A', AGREED_MESS, AD1, 2, "net", "again");
    rx_data('B', AGREED_MESS, AD1, 2, "net", "again");
    sc_disconnect('B');
    sc_d('A');
    sc_rx('A', 56, GONE, "net", 1, 0, 0);
    check_memb_sets(D1_ID, 1795668691, 2, BD2, 1, (one = BD2, &one), 0);
    sc_disconnect('A');
    sc_end();
}
END_TEST

/* ---- 27: assorted API behaviour --------------------------------------- */

static int auth_fail(int fd, void *data)
{
    (void)fd;
    (void)data;
    return 0;
}

static int auth_ok(int fd, void *data)
{
    (void)fd;
    *(int *)data += 1;
    return 1;
}

/* A TCP port with nothing listening: bound, never listened on. */
static int refused_port(int *fd)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;

    *fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(*fd, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(*fd, (struct sockaddr *)&sin, sizeof sin), 0);
    ck_assert_int_eq(getsockname(*fd, (struct sockaddr *)&sin, &len), 0);
    return ntohs(sin.sin_port);
}

/* Upstream got ILLEGAL_SPREAD because its resolver said "no such name";
 * a host without any resolver may fail differently (COULD_NOT_CONNECT). */
static int unknown_host_result(void)
{
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo("no.such.host.invalid", NULL, &hints, &res);
    if (res != NULL)
        freeaddrinfo(res);
    return rc == EAI_NONAME ? ILLEGAL_SPREAD : COULD_NOT_CONNECT;
}

static void v27_names(void)
{
    char name[64], group[MAX_GROUP_NAME];
    sp_time bad = { 0, 1000000 };
    struct stat st;
    mailbox m;
    int fd, port, maj = 0, min = 0, pat = 0;

    ck_assert_int_eq(SP_version(&maj, &min, &pat), 1);
    ck_assert(maj == 5 && min == 0 && pat == 1);
    ck_assert_int_eq(SP_connect("abc", "x", 0, 0, &m, group), ILLEGAL_SPREAD);
    ck_assert_int_eq(SP_connect("4900#127.0.0.1", "x", 0, 0, &m, group),
                     ILLEGAL_SPREAD);
    port = refused_port(&fd);
    snprintf(name, sizeof name, "%d@127.0.0.1", port);
    ck_assert_int_eq(SP_connect(name, "x", 0, 0, &m, group),
                     COULD_NOT_CONNECT);
    close(fd);
    for (port = 4999;; port++) {
        snprintf(name, sizeof name, "%s/%d", SP_UNIX_SOCKET, port);
        if (stat(name, &st) < 0)
            break;
    }
    snprintf(name, sizeof name, "%d", port);
    ck_assert_int_eq(SP_connect(name, "x", 0, 0, &m, group),
                     COULD_NOT_CONNECT);
    ck_assert_int_eq(SP_connect("4900@no.such.host.invalid", "x", 0, 0, &m,
                                group), unknown_host_result());
    ck_assert_int_eq(SP_connect_timeout(S.d.spread_name, "x", 0, 0, &m, group,
                                        bad), ILLEGAL_TIME);
}

static void v27_auth(void)
{
    const char *foo[1] = { "FOO" }, *nulls[2] = { "NULL", "NULL" };
    int (*fns[2])(int, void *) = { auth_ok, auth_ok };
    static int calls;
    void *data[2] = { &calls, &calls };

    ck_assert_int_eq(SP_set_auth_methods(1, foo, fns, data), 1);
    ck_assert_int_eq(sc_connect('X', "x", 0, 0), REJECT_AUTH);
    ck_assert_int_eq(calls, 0);
    ck_assert_int_eq(SP_set_auth_methods(2, nulls, fns, data), 1);
    ck_assert_int_eq(sc_connect('Y', "y", 0, 0), ACCEPT_SESSION);
    ck_assert_int_eq(calls, 2);
    ck_assert_str_eq(S.group[LI('Y')], "#y#localhost");
    sc_disconnect('Y');
    ck_assert_int_eq(SP_set_auth_method("NULL", auth_fail, NULL), 1);
    ck_assert_int_eq(sc_connect('W', "w", 0, 0), REJECT_AUTH);
    ck_assert_int_eq(SP_set_auth_method("NULL", auth_ok, &calls), 1);
}

static void v27_helpers(void)
{
    membership_info mi;
    vs_set_info set = { 1, 24 };
    unsigned int my;
    char names[1][MAX_GROUP_NAME];
    group_id g1 = { { 1, 2, 3 } }, g2 = { { 1, 2, 4 } };

    ck_assert_int_eq(SP_get_memb_info(R.body, R.st, &mi), 1);
    ck_assert_int_eq(mi.gid.id[2], 1);
    ck_assert_int_eq(SP_get_vs_sets_info(R.body, NULL, 0, &my),
                     BUFFER_TOO_SHORT);
    ck_assert_int_eq(SP_get_vs_set_members(R.body, &set, names, 0),
                     BUFFER_TOO_SHORT);
    ck_assert_int_eq(SP_get_memb_info(R.body, AGREED_MESS, &mi),
                     ILLEGAL_MESSAGE);
    ck_assert_int_eq(SP_get_memb_info(R.body, REG_MEMB_MESS | REJECT_MESS,
                                      &mi), 1);
    ck_assert_int_eq(SP_equal_group_ids(g1, g1), 1);
    ck_assert_int_eq(SP_equal_group_ids(g1, g2), 0);
}

static void v27_session(void)
{
    struct pollfd p;
    char e0[10], e1[10];
    scatter sc;
    mailbox a;

    sc_connect_ok('A', "alice", 0, 1, ALICE);
    a = S.mb[0];
    join('A', "api");
    sc_d('A');
    p.fd = a;
    p.events = POLLIN;
    ck_assert_int_eq(poll(&p, 1, FAKE_TIMEOUT_MS), 1);
    ck_assert_int_eq(SP_poll(a), 136);
    sc_rx('A', 56, JOINED, "api", 1, 0, 0);
    v27_helpers();
    ck_assert_int_eq(SP_poll(a), 0);
    mcast('A', AGREED_MESS, "api", 7, "0123456789abcdef");
    sc_d('A');
    memset(&sc, 0, sizeof sc);
    sc.num_elements = 2;
    sc.elements[0].buf = e0;
    sc.elements[0].len = sizeof e0;
    sc.elements[1].buf = e1;
    sc.elements[1].len = sizeof e1;
    ck_assert_int_eq(SP_scat_receive(a, &R.st, R.sender, 120, &R.ng, R.groups,
                                     &R.mt, &R.em, &sc), 16);
    ck_assert(memcmp(e0, "0123456789", 10) == 0);
    ck_assert(memcmp(e1, "abcdef", 6) == 0);
    /* A negative length goes out as a bare header; the daemon drops us. */
    ck_assert_int_eq(SP_multicast(a, AGREED_MESS, "api", 1, -5, "x"), 0);
    sc_c('A');
    close(S.dfd[0]);
    S.dfd[0] = -1;
    sc_rx('A', CONNECTION_CLOSED, 0, "", 0, 0, 0);
    sc_rx('A', NET_ERROR_ON_SESSION, 0, "", 0, 0, 0);
    ck_assert_int_eq(SP_disconnect(a), 0);
    ck_assert_int_eq(SP_disconnect(a), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_join(a, "api"), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_poll(a), ILLEGAL_SESSION);
}

START_TEST(v27_api_misc)
{
    sc_load("27_api_misc.vec");
    v27_names();
    v27_auth();
    v27_session();
    ck_assert_str_eq(SP_strerror(0), "Unrecognized error.");
    ck_assert_str_eq(SP_strerror(-10), "Unrecognized error.");
    ck_assert_str_eq(SP_strerror(ACCEPT_SESSION), "Unrecognized error.");
    sc_end();
}
END_TEST

static Suite *vectors_suite(void)
{
    Suite *s = suite_create("lib_vectors");
    TCase *tc = tcase_create("replay");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, v01_connect_tcp_nomemb);
    tcase_add_test(tc, v02_connect_tcp_memb_prio1);
    tcase_add_test(tc, v03_connect_unix_prio2);
    tcase_add_test(tc, v04_connect_random_name);
    tcase_add_test(tc, v05_connect_long_name);
    tcase_add_test(tc, v06_reject_name_in_use);
    tcase_add_test(tc, v07_reject_illegal_name);
    tcase_add_test(tc, v09_join_leave_self);
    tcase_add_test(tc, v10_multicast_services);
    tcase_add_test(tc, v11_multicast_self_discard);
    tcase_add_test(tc, v12_mess_types_and_scatter);
    tcase_add_test(tc, v13_multigroup_multicast);
    tcase_add_test(tc, v14_private_group_messages);
    tcase_add_test(tc, v15_membership_of_others);
    tcase_add_test(tc, v16_join_without_membership_flag);
    tcase_add_test(tc, v17_short_buffers);
    tcase_add_test(tc, v18_message_size_limits);
    tcase_add_test(tc, v19_group_count_limits);
    tcase_add_test(tc, v20_illegal_service_types);
    tcase_add_test(tc, v21_join_leave_edge_cases);
    tcase_add_test(tc, v22_forged_sender_killed);
    tcase_add_test(tc, v23_big_endian_sender);
    tcase_add_test(tc, v24_reject_bit_from_client);
    tcase_add_test(tc, v25_service_bit_passthrough);
    tcase_add_test(tc, v26_member_list_order);
    tcase_add_test(tc, v27_api_misc);
    tcase_add_test(tc, v28_daemon_abort_oversized);
    tcase_add_test(tc, v29_network_partition_merge);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!vec_available())
        return 77;
    return ck_run_suite(vectors_suite());
}
