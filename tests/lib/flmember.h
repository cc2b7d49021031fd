/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flmember: a flush-layer connection for integration tests, with the log
 * of everything FL_receive handed it. Receives never block blindly: they
 * use DONT_BLOCK and poll(2) on the mailbox up to a deadline, so a missing
 * message fails the test instead of hanging it. fm_check_log() checks the
 * guarantees of shared/spec/flush.md section 9 over several members' logs.
 */
#ifndef COHORT_TESTS_FLMEMBER_H
#define COHORT_TESTS_FLMEMBER_H

#include <fl.h>

#define FM_TIMEOUT (-1000)
#define FM_MAX_GROUPS 16
#define FM_MAX_BODY 2048
#define FM_MAX_LOG 512
#define FM_WAIT_MS 5000

struct fm_event {
    int ret;
    service serv;
    char sender[MAX_GROUP_NAME];
    int ng;
    char groups[FM_MAX_GROUPS][MAX_GROUP_NAME];
    int16 type;
    int endian;
    int more;
    char body[FM_MAX_BODY];
};

struct fm_member {
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    int nlog;
    struct fm_event *log;     /* FM_MAX_LOG entries */
};

/* FL_connect as user; 0 or the error (the test fails on it). */
int fm_connect(struct fm_member *m, const char *spread, const char *user);
/* FL_disconnect if still connected, free the log. */
void fm_close(struct fm_member *m);

/* Next message within deadline_ms: FL_receive's result, or FM_TIMEOUT.
 * Messages (result >= 0) are appended to the log; *e may be NULL. */
int fm_next(struct fm_member *m, struct fm_event *e, int deadline_ms);

/* Expectations on the next message; 1 if it holds, else 0 with the
 * reason on stderr. */
int fm_expect_req(struct fm_member *m, const char *group);
int fm_expect_trans(struct fm_member *m, const char *group);
int fm_expect_self_leave(struct fm_member *m, const char *group);
/* A view of `group` with cause bit `cause`, n members, the given index
 * (-1: any), and vs set names (k of them, NULL-terminated list). */
int fm_expect_view(struct fm_member *m, const char *group, service cause,
                   int n, int index, const char *const *vs);
/* A data message from sender with the body text (no NUL). */
int fm_expect_data(struct fm_member *m, const char *sender, const char *text);

/* 1 if nothing is handed out within ms (a check that can only miss a
 * bug, never invent one). */
int fm_quiet(struct fm_member *m, int ms);

/* FL_multicast of text (FIFO unless serv given); 1 if all bytes went. */
int fm_send(struct fm_member *m, service serv, const char *group,
            const char *text);

/* Section 9 over the logs of n members that used only `group`: at most
 * one flush request and one transitional signal per round, none before a
 * joiner's first view; the same id has the same member list everywhere;
 * data only from members of the current view; members moving together
 * from one view to the next delivered the same messages in it. Returns
 * 1, or 0 with the first violation on stderr. */
int fm_check_log(struct fm_member *const *members, int n, const char *group);

#endif /* COHORT_TESTS_FLMEMBER_H */
