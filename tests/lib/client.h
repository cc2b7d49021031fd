/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * client: small wrappers over the SP_* API for integration tests: receive
 * with a deadline (poll on the mailbox first, so a missing message fails
 * the test instead of hanging it) and expectations on membership messages.
 */
#ifndef COHORT_TESTS_CLIENT_H
#define COHORT_TESTS_CLIENT_H

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

#include <sp.h>

#define TC_TIMEOUT (-1000)
#define TC_MAX_GROUPS 512
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

/* ---- for tests that repeat a scenario and use threads -------------- */

/* How many rounds to run of a scenario that runs `full` rounds in a normal
 * build: full times COHORT_TEST_SCALE when that is set (a factor such as
 * 0.1 or 3), else full / 4 under ThreadSanitizer or AddressSanitizer
 * (the lifecycle scenarios, mostly system calls, run 2-4 times slower
 * there), else full. Never fewer than min. */
int tc_rounds(int full, int min);

/* 1 in an AddressSanitizer build (freed memory stays resident in its
 * quarantine, so RSS says nothing about leaks there). */
int tc_asan(void);

/* The calling thread's kernel id. */
pid_t tc_gettid(void);

/* 1 if /proc shows thread tid of this process asleep in the kernel, in
 * a socket read (its wait channel names a socket receive path). */
int tc_thread_in_socket_read(pid_t tid);

/* Wait up to deadline_ms for tc_thread_in_socket_read(tid). Returns 1 as
 * soon as it holds, 0 at the deadline. A thread that told us "I am about
 * to call SP_receive" is then known to be inside it, blocked. */
int tc_wait_in_socket_read(pid_t tid, int deadline_ms);

/* 1 if this kernel reports wait channels (probed once with a helper
 * thread blocked on a pipe); tests that rely on
 * tc_wait_in_socket_read() relax their claims without it. */
int tc_wchan_supported(void);

/* pthread_join bounded by deadline_ms: 0 when joined, -1 when the thread
 * is still running at the deadline (the caller fails the test; the
 * process then ends, so the thread does not outlive it). */
int tc_join(pthread_t t, void **ret, int deadline_ms);

/* Absolute CLOCK_REALTIME time ms from now (pthread_cond_timedwait). */
struct timespec tc_realtime_after(int ms);

/* SP_receive straight away, blocking (no poll first: lifecycle tests want
 * the thread inside the library). The body is NUL-terminated. */
int tc_recv_blocking(mailbox mb, struct tc_msg *m);

/* 1 if every call on mb (SP_receive, SP_scat_receive, SP_multicast,
 * SP_scat_multicast, SP_join, SP_leave, SP_poll, SP_disconnect) returns
 * ILLEGAL_SESSION; else 0 with the first offender on stderr. */
int tc_all_refused(mailbox mb);

/* A receiver thread for lifecycle tests. It takes one message (the caller
 * makes sure one comes: its own join view, a message to its private
 * group), announces that it is about to call SP_receive again, and then
 * receives, blocking, until a call fails. */
struct tc_rx {
    mailbox mb;
    const char *expect_body;    /* later messages must carry this body
                                 * (NULL: anything goes) */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pid_t tid;
    int ready;          /* took the first message */
    int first;          /* result of the first SP_receive */
    int extra;          /* messages returned after the first */
    int extra_bad;      /* of those, ones without expect_body */
    int end;            /* the failing call's result */
    long long end_ms;   /* when it returned (CLOCK_MONOTONIC ms) */
    int done;
};

/* Start rx on mb and wait (deadline_ms) until it took its first message.
 * Returns 1 if /proc then shows it asleep in the socket read, 0 if that
 * could not be seen (it is at least about to call SP_receive), -1 if it
 * did not get its first message in time (rx->first says what it got; the
 * thread is then still running: fail the test). */
int tc_rx_start(struct tc_rx *rx, mailbox mb, const char *expect_body,
                int deadline_ms);

/* Join rx by a deadline and free its lock and condition. 0, or -1 if it
 * is still running. */
int tc_rx_join(struct tc_rx *rx, int deadline_ms);

/* Milliseconds from CLOCK_MONOTONIC. */
long long tc_now_ms(void);

#endif
