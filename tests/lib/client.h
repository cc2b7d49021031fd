/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * client: small wrappers over the SP_* API for integration tests: receive
 * with a deadline (poll on the mailbox first, so a missing message fails
 * the test instead of hanging it) and expectations on membership messages.
 */
#ifndef COHORT_TESTS_CLIENT_H
#define COHORT_TESTS_CLIENT_H

#include <sp.h>

#define TC_TIMEOUT (-1000)
#define TC_MAX_GROUPS 128
#define TC_MAX_BODY 150000

struct tc_msg {
    int ret;
    service service_type;
    char sender[MAX_GROUP_NAME];
    int num_groups;
    char groups[TC_MAX_GROUPS][MAX_GROUP_NAME];
    int16 mess_type;
    int endian_mismatch;
    char body[TC_MAX_BODY];
};

struct tc_msg *tc_msg_new(void);
void tc_msg_free(struct tc_msg *m);

/* SP_receive after waiting up to deadline_ms for the mailbox to become
 * readable. Returns SP_receive's result or TC_TIMEOUT. */
int tc_recv(mailbox mb, struct tc_msg *m, int deadline_ms);

/* Receive the next message and require a regular membership message for
 * `group` with the cause bit `cause` (CAUSED_BY_JOIN ...), `n` members and,
 * if `who` is not NULL, that changed member. Returns 1 if all hold, else 0
 * with the reason on stderr. */
int tc_expect_memb(mailbox mb, struct tc_msg *m, const char *group,
                   service cause, int n, const char *who);

/* Receive the next message and require a data message from `sender` with
 * body `body` (length strlen(body)). */
int tc_expect_data(mailbox mb, struct tc_msg *m, const char *sender,
                   const char *body);

/* 1 if nothing arrives on the mailbox within ms (used after a message
 * that must be the last one). */
int tc_quiet(mailbox mb, int ms);

#endif
