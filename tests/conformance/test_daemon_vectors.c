/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Daemon conformance: replay the client side of the upstream captures in
 * ../shared/vectors against our daemon (named "localhost", like the one
 * captured) and require the daemon's side byte for byte, masked bytes
 * aside. Frames are replayed in file order: each C> frame is written, each
 * D> frame must be read in full within a deadline, and the connection
 * events the captures record (connect, client close, daemon close) are
 * reproduced or expected.
 *
 * Files left out here, and where they are covered instead:
 *   04 random names: the names' lengths vary, so frame lengths do
 *      (tests/integration/test_sessions.c);
 *   19, 28: upstream loses 44-destination messages and aborts on some
 *      large ones; we deliver them (tests/integration/test_limits.c);
 *   24: upstream echoes a client-set REJECT bit as a malformed reject
 *      notice; we refuse to forge reject notices (docs/protocol.md);
 *   29: two daemons (the ring milestone).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/harness.h"
#include "../lib/vec.h"
#include "../lib/ckmain.h"

static const char *const files[] = {
    "01_connect_tcp_nomemb", "02_connect_tcp_memb_prio1",
    "03_connect_unix_prio2", "05_connect_long_name",
    "06_reject_name_in_use", "07_reject_illegal_name",
    "08_handshake_raw_variants", "09_join_leave_self",
    "10_multicast_services", "11_multicast_self_discard",
    "12_mess_types_and_scatter", "13_multigroup_multicast",
    "14_private_group_messages", "15_membership_of_others",
    "16_join_without_membership_flag", "17_short_buffers",
    "18_message_size_limits", "20_illegal_service_types",
    "21_join_leave_edge_cases", "22_forged_sender_killed",
    "23_big_endian_sender", "25_service_bit_passthrough",
    "26_member_list_order", "27_api_misc",
};
#define N_FILES (sizeof files / sizeof files[0])

#define READ_DEADLINE_MS 5000

static void hexdump_diff(const struct vec_frame *f, const unsigned char *got,
                         size_t len)
{
    size_t i, shown = 0;
    for (i = 0; i < len && i < f->len && shown < 16; i++) {
        if (!f->mask[i] && got[i] != f->data[i]) {
            fprintf(stderr, "  byte %zu: expected %02x, got %02x\n", i,
                    f->data[i], got[i]);
            shown++;
        }
    }
}

/* 1 once the daemon ends the stream, skipping bytes sent before that. */
static int drain_to_eof(int fd)
{
    long long deadline = th_now_ms() + READ_DEADLINE_MS;
    int r;
    do {
        r = th_wait_eof(fd, (int)(deadline - th_now_ms()));
    } while (r == 0 && th_now_ms() < deadline);
    return r;
}

/* Replays one file; returns the number of mismatches (reported on stderr). */
static int replay(const char *name, const struct th_daemon *d,
                  const struct vec_file *v)
{
    int fds[26], errors = 0;
    size_t i;
    for (i = 0; i < 26; i++)
        fds[i] = -1;
    for (i = 0; i < v->n && errors == 0; i++) {
        const struct vec_frame *f = &v->frames[i];
        int c = f->conn - 'A';
        switch (f->dir) {
        case 'O':
        case 'U':
            if (fds[c] >= 0)
                close(fds[c]);
            fds[c] = f->dir == 'O' ? th_connect_tcp(d->port)
                                   : th_connect_unix(d->port);
            if (fds[c] < 0) {
                fprintf(stderr, "%s:%d: connect failed\n", name, f->line);
                errors++;
            }
            break;
        case 'C':
            if (fds[c] < 0)
                fds[c] = th_connect_tcp(d->port);
            /* A write may fail where the daemon already dropped the
             * session (the captures show that race); the reads decide. */
            (void)th_write_all(fds[c], f->data, f->len);
            break;
        case 'D': {
            unsigned char *buf = malloc(f->len ? f->len : 1);
            long got = th_read_exact(fds[c], buf, f->len, READ_DEADLINE_MS);
            if (got != (long)f->len || !vec_match(f, buf, f->len)) {
                fprintf(stderr,
                        "%s:%d: connection %c: daemon frame differs "
                        "(expected %zu bytes, read %ld)\n",
                        name, f->line, f->conn, f->len, got);
                if (got > 0)
                    hexdump_diff(f, buf, (size_t)got);
                errors++;
            }
            free(buf);
            break;
        }
        case 'S':
            /* The capture lacks the frame whose send failed (it made the
             * daemon drop the session), and everything after it depends on
             * that frame: the replay ends here. The integration tests
             * cover those drops (tests/integration/test_robustness.c). */
            i = v->n;
            break;
        case 'X':
            if (fds[c] >= 0)
                close(fds[c]);
            fds[c] = -1;
            break;
        case 'E':
            /* The captured client saw a reset, which discards whatever the
             * daemon had sent before closing; so skip such bytes here. */
            if (fds[c] >= 0 && drain_to_eof(fds[c]) != 1) {
                fprintf(stderr, "%s:%d: connection %c: expected the daemon "
                                "to close the connection\n",
                        name, f->line, f->conn);
                errors++;
            }
            break;
        }
    }
    for (i = 0; i < 26; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return errors;
}

START_TEST(replay_file)
{
    struct th_daemon d;
    struct vec_file v;
    char path[1024];
    int errors, status;

    snprintf(path, sizeof path, "%s/%s.vec", vec_dir(), files[_i]);
    ck_assert_msg(vec_load_ex(path, &v, VEC_EVENTS) == 0, "cannot load %s", path);
    ck_assert_msg(th_daemon_start(&d, "localhost", NULL) == 0,
                  "daemon did not start");
    errors = replay(files[_i], &d, &v);
    ck_assert_msg(th_daemon_alive(&d), "%s: the daemon died", files[_i]);
    status = th_daemon_stop(&d);
    vec_free(&v);
    ck_assert_msg(errors == 0, "%s: %d mismatches", files[_i], errors);
    ck_assert_msg(status == 0, "%s: daemon exit status %d", files[_i], status);
}
END_TEST

static Suite *vectors_suite(void)
{
    Suite *s = suite_create("daemon-vectors");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, replay_file, 0, (int)N_FILES);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!vec_available())
        return 77;
    return ck_run_suite(vectors_suite());
}
