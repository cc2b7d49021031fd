/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_lib_fake: a scripted stand-in for the daemon, used by the library's
 * unit and conformance tests. It listens on 127.0.0.1 (an ephemeral port,
 * so tests can run in parallel), runs SP_connect in a helper thread while
 * the test plays the daemon's side of the handshake, and offers
 * deadline-bounded reads and writes on the daemon end. Nothing here
 * sleeps: every wait is a poll() with a deadline.
 */
#ifndef COHORT_TESTS_LIB_FAKE_H
#define COHORT_TESTS_LIB_FAKE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "sp.h"

#define FAKE_TIMEOUT_MS 5000

struct fake_daemon {
    int lfd;
    int port;
    char spread_name[64];   /* "<port>@127.0.0.1" */
};

/* Listen on 127.0.0.1 at a free port. Returns 0 or -1. */
int fake_listen(struct fake_daemon *d);
void fake_close(struct fake_daemon *d);

/* Accept one connection within timeout_ms. Returns the fd or -1. */
int fake_accept(struct fake_daemon *d, int timeout_ms);

/* Read exactly len bytes. Returns 0, -1 on timeout or error, -2 on end of
 * stream before len bytes. */
int fake_read(int fd, void *buf, size_t len, int timeout_ms);
/* Write everything (the daemon side is blocking). Returns 0 or -1. */
int fake_write(int fd, const void *buf, size_t len);
/* 1 if the peer closed (end of stream or reset) with nothing more sent,
 * 0 if bytes arrived instead, -1 on timeout. */
int fake_expect_eof(int fd, int timeout_ms);

/* SP_connect (or SP_connect_timeout when use_timeout) in a thread. */
struct fake_connect {
    pthread_t th;
    const char *spread_name;
    const char *private_name;
    int priority;
    int membership;
    int use_timeout;
    sp_time timeout;
    int rc;
    mailbox mbox;
    char group[MAX_GROUP_NAME];
};

int fake_connect_start(struct fake_connect *c);
int fake_connect_join(struct fake_connect *c);

/* Run a whole successful handshake as daemon "localhost": returns the
 * daemon-side fd, with *mbox and group set; -1 on failure. */
int fake_session(struct fake_daemon *d, const char *private_name,
                 int membership, mailbox *mbox, char group[MAX_GROUP_NAME]);

/* Encode a daemon->client message into out (host byte order, or the
 * opposite order when foreign). groups holds ngroups 32-byte names.
 * Returns the frame length. */
size_t fake_frame(unsigned char *out, uint32_t type, const char *sender,
                  int ngroups, const char (*groups)[MAX_GROUP_NAME],
                  int16_t mess_type, const void *body, int32_t len,
                  int foreign);

/* SP_disconnect in a thread, since it waits for the daemon's side of the
 * stream to end (the acknowledgement or end of stream). */
struct fake_disconnect {
    pthread_t th;
    mailbox mbox;
    int rc;
    long elapsed_ms;     /* how long SP_disconnect took */
};

int fake_disconnect_start(struct fake_disconnect *d, mailbox mbox);
/* Joins the thread; returns SP_disconnect's result. */
int fake_disconnect_join(struct fake_disconnect *d);

/* Daemon side of a disconnect on fd: read the client's KILL frame (80
 * bytes) into kill (may be NULL), check the acknowledgement marker, then
 * either send the acknowledgement (ack != 0; this project's daemon) or
 * not (an upstream daemon), and end the daemon's side of the stream with
 * shutdown(SHUT_WR). Returns 0, or -1 if the frame was not a marked KILL. */
int fake_answer_disconnect(int fd, const char group[MAX_GROUP_NAME], int ack,
                           unsigned char kill[80]);

#endif /* COHORT_TESTS_LIB_FAKE_H */
