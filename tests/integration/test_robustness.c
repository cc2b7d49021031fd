/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: bad input from one client affects only that client. Each
 * test runs a daemon with two well-behaved witnesses (libspread clients in
 * group "g"), lets a raw-socket client misbehave, and then requires that
 * the misbehaving session was ended where the protocol says so, that the
 * daemon logged it, and that the witnesses still exchange messages.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/client.h"
#include "../lib/harness.h"
#include "internal/wire.h"
#include "../lib/ckmain.h"

static struct th_daemon daemon_;
static struct tc_msg *msg;
static mailbox wa, wb;

static void setup(void)
{
    char pg[MAX_GROUP_NAME];
    ck_assert_msg(th_daemon_start(&daemon_, "localhost", NULL) == 0,
                  "daemon did not start");
    msg = tc_msg_new();
    ck_assert_int_eq(SP_connect(daemon_.spread, "wa", 0, 0, &wa, pg), ACCEPT_SESSION);
    ck_assert_int_eq(SP_connect(daemon_.spread, "wb", 0, 0, &wb, pg), ACCEPT_SESSION);
    SP_join(wa, "g");
    SP_join(wb, "g");
    ck_assert_int_eq(SP_multicast(wb, AGREED_MESS, "g", 0, 5, "ready"), 5);
    ck_assert(tc_expect_data(wb, msg, "#wb#localhost", "ready"));
    ck_assert(tc_expect_data(wa, msg, "#wb#localhost", "ready"));
}

static void teardown(void)
{
    SP_disconnect(wa);
    SP_disconnect(wb);
    tc_msg_free(msg);
    ck_assert_int_eq(th_daemon_stop(&daemon_), 0);
}

/* The witnesses still talk, and nothing else reached them. */
static void witnesses_ok(void)
{
    ck_assert(th_daemon_alive(&daemon_));
    ck_assert_int_eq(SP_multicast(wa, SAFE_MESS, "g", 0, 4, "ping"), 4);
    ck_assert(tc_expect_data(wa, msg, "#wa#localhost", "ping"));
    ck_assert(tc_expect_data(wb, msg, "#wa#localhost", "ping"));
}

static int evil(char *pg)
{
    int fd = th_raw_session(daemon_.port, "evil", 0, pg);
    ck_assert_msg(fd >= 0, "raw handshake failed");
    return fd;
}

/* Send one header and expect the daemon to end the session and say so. */
static void expect_dropped_after(unsigned type, const char *sender, int ngroups,
                                 int len)
{
    unsigned char frame[48 + 32];
    char pg[MAX_GROUP_NAME];
    int fd = evil(pg);
    th_raw_header(frame, type, sender ? sender : pg, ngroups, 0, len);
    memset(frame + 48, 0, 32);
    strcpy((char *)frame + 48, "g");
    th_write_all(fd, frame, ngroups > 0 ? sizeof frame : 48);
    ck_assert_int_eq(th_wait_eof(fd, 5000), 1);
    close(fd);
    ck_assert_msg(th_log_wait(&daemon_, "evil", 5000), "no log line names the session");
    witnesses_ok();
}

START_TEST(negative_length)
{
    expect_dropped_after(AGREED_MESS, NULL, 1, -1);
}
END_TEST

START_TEST(two_services)
{
    expect_dropped_after(AGREED_MESS | SAFE_MESS, NULL, 1, 0);
}
END_TEST

START_TEST(no_kind)
{
    expect_dropped_after(0x00080000u /* GROUPS_MESS */, NULL, 1, 0);
}
END_TEST

START_TEST(forged_sender)
{
    expect_dropped_after(AGREED_MESS, "#wa#localhost", 1, 0);
}
END_TEST

START_TEST(too_many_groups)
{
    expect_dropped_after(AGREED_MESS, NULL, 101, 0);
}
END_TEST

START_TEST(oversize)
{
    /* 143969 + 32 > 144000: more than the library ever sends. */
    expect_dropped_after(AGREED_MESS, NULL, 1, 143969);
}
END_TEST

START_TEST(truncated_header)
{
    unsigned char frame[48];
    char pg[MAX_GROUP_NAME];
    int fd = evil(pg);
    th_raw_header(frame, AGREED_MESS, pg, 1, 0, 0);
    th_write_all(fd, frame, 20);
    close(fd);
    witnesses_ok();
}
END_TEST

START_TEST(lying_length)
{
    unsigned char frame[48 + 32 + 10];
    char pg[MAX_GROUP_NAME];
    int fd = evil(pg);
    th_raw_header(frame, AGREED_MESS, pg, 1, 0, 1000);
    memset(frame + 48, 0, 32 + 10);
    strcpy((char *)frame + 48, "g");
    th_write_all(fd, frame, sizeof frame);
    /* The daemon waits for the rest; others are served meanwhile. */
    witnesses_ok();
    close(fd);
    /* The partial message is never delivered. */
    witnesses_ok();
}
END_TEST

START_TEST(garbage_before_handshake)
{
    static const char junk[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
    int fd = th_connect_tcp(daemon_.port);
    unsigned char buf[256];
    ck_assert(fd >= 0);
    th_write_all(fd, junk, sizeof junk - 1);
    /* Whatever it answers (a reject byte or nothing), it must close. */
    while (th_read_exact(fd, buf, 1, 5000) == 1)
        ;
    close(fd);
    witnesses_ok();
}
END_TEST

START_TEST(split_handshake)
{
    static const unsigned char hello[] = {5, 0, 1, 0, 5, 's', 'p', 'l', 'i', 't'};
    unsigned char choice[90], reply[64];
    size_t i;
    int fd = th_connect_tcp(daemon_.port);
    ck_assert(fd >= 0);
    /* One byte per write; pauses make separate segments likely, and the
     * outcome must be the same whether or not they coalesce. */
    for (i = 0; i < sizeof hello; i++) {
        th_write_all(fd, hello + i, 1);
        usleep(2000);
    }
    ck_assert_int_eq(th_read_exact(fd, reply, 6, 5000), 6);
    ck_assert(memcmp(reply, "\x05NULL ", 6) == 0);
    memset(choice, 0, sizeof choice);
    memcpy(choice, "NULL", 4);
    th_write_all(fd, choice, 45);
    usleep(2000);
    th_write_all(fd, choice + 45, 45);
    ck_assert_int_eq(th_read_exact(fd, reply, 5, 5000), 5);
    ck_assert_int_eq(reply[0], 1);
    close(fd);
    witnesses_ok();
}
END_TEST

START_TEST(odd_group_names)
{
    unsigned char frame[48 + 32];
    char pg[MAX_GROUP_NAME];
    int fd = evil(pg);
    /* A JOIN whose name fills all 32 bytes, one that is empty, one that
     * starts with '#': none may crash or disturb the daemon. */
    th_raw_header(frame, SPW_JOIN_MESS, pg, 1, 0, 0);
    memset(frame + 48, 'A', 32);
    th_write_all(fd, frame, sizeof frame);
    memset(frame + 48, 0, 32);
    th_write_all(fd, frame, sizeof frame);
    strcpy((char *)frame + 48, "#wa#localhost");
    th_write_all(fd, frame, sizeof frame);
    th_raw_header(frame, SPW_LEAVE_MESS, pg, 1, 0, 0);
    memset(frame + 48, 'A', 32);
    th_write_all(fd, frame, sizeof frame);
    witnesses_ok();
    close(fd);
    witnesses_ok();
}
END_TEST

START_TEST(big_frame_in_pieces)
{
    /* A large message whose bytes trickle in: once more than half of the
     * daemon's read buffer held an incomplete frame it stopped reading and
     * spun. It must be delivered, and everyone else served meanwhile. */
    enum { BODY = 143968 };
    unsigned char *frame = malloc(48 + 32 + BODY);
    char pg[MAX_GROUP_NAME];
    size_t off, total = 48 + 32 + BODY;
    int fd = evil(pg);
    ck_assert_ptr_nonnull(frame);
    th_raw_header(frame, AGREED_MESS, pg, 1, 0, BODY);
    memset(frame + 48, 0, 32);
    strcpy((char *)frame + 48, "g");
    memset(frame + 80, 'z', BODY);
    for (off = 0; off < total; off += 1448) {
        size_t n = total - off < 1448 ? total - off : 1448;
        ck_assert_int_eq(th_write_all(fd, frame + off, n), 0);
        if (off == 140 * 1448)
            witnesses_ok(); /* mid-frame: the daemon still serves others */
    }
    ck_assert_int_eq(tc_recv(wa, msg, 10000), BODY);
    ck_assert_int_eq(tc_recv(wb, msg, 10000), BODY);
    ck_assert(msg->body[BODY - 1] == 'z');
    close(fd);
    free(frame);
    witnesses_ok();
}
END_TEST

START_TEST(requests_before_close_are_kept)
{
    /* Many messages written back to back, then the connection closed at
     * once: every message before the end of the stream is delivered. */
    enum { N = 300 };
    unsigned char frame[48 + 32 + 4];
    char pg[MAX_GROUP_NAME];
    int fd = evil(pg), k;
    for (k = 0; k < N; k++) {
        th_raw_header(frame, FIFO_MESS, pg, 1, 0, 4);
        memset(frame + 48, 0, 32);
        strcpy((char *)frame + 48, "g");
        memcpy(frame + 80, &k, 4);
        ck_assert_int_eq(th_write_all(fd, frame, sizeof frame), 0);
    }
    close(fd);
    for (k = 0; k < N; k++) {
        int got;
        ck_assert_int_eq(tc_recv(wa, msg, 5000), 4);
        memcpy(&got, msg->body, 4);
        ck_assert_int_eq(got, k);
        ck_assert_int_eq(tc_recv(wb, msg, 5000), 4);
        memcpy(&got, msg->body, 4);
        ck_assert_int_eq(got, k);
    }
    witnesses_ok();
}
END_TEST

static Suite *robustness_suite(void)
{
    Suite *s = suite_create("robustness");
    TCase *tc = tcase_create("bad-input");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, negative_length);
    tcase_add_test(tc, two_services);
    tcase_add_test(tc, no_kind);
    tcase_add_test(tc, forged_sender);
    tcase_add_test(tc, too_many_groups);
    tcase_add_test(tc, oversize);
    tcase_add_test(tc, truncated_header);
    tcase_add_test(tc, lying_length);
    tcase_add_test(tc, garbage_before_handshake);
    tcase_add_test(tc, split_handshake);
    tcase_add_test(tc, odd_group_names);
    tcase_add_test(tc, big_frame_in_pieces);
    tcase_add_test(tc, requests_before_close_are_kept);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(robustness_suite());
}
