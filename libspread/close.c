/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * close: ending a session (shared/spec/lifecycle.md): SP_disconnect,
 * SP_close and SP_kill.
 *
 * SP_disconnect marks the record retired, so sends end with
 * CONNECTION_CLOSED, asks the daemon for a half-close acknowledgement (a
 * KILL frame carrying SPW_KILL_WANTS_ACK) and waits, at most
 * SPL_DISCONNECT_WAIT_MS, for the daemon's side of the stream to end: our
 * acknowledgement frame, or end of stream from a daemon that does not know
 * the marker. A thread blocked in SP_receive on the same mailbox is woken
 * by exactly that: it returns the messages sent before, then reads the
 * acknowledgement or the end of stream and returns CONNECTION_CLOSED. If
 * the daemon does not answer in time, shutdown(SHUT_RDWR) wakes every
 * thread still blocked on the socket. Only then is the mailbox taken out
 * of the table (later calls: ILLEGAL_SESSION) and its number filed in the
 * quarantine (mbox.h), so SP_connect does not hand it out again while the
 * application may still hold it. SP_kill retires a mailbox without a word to the daemon; SP_close
 * is the application's final word: it disconnects an active mailbox, then
 * waits until every other call on it has returned. Both release the
 * number from the quarantine.
 *
 * The descriptor is never closed here directly: the last reference to the
 * record closes it (mbox.h), so no running call can see its descriptor
 * number recycled.
 */
#include "config.h"

#include "lib.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* How long SP_disconnect waits for the daemon (documented in
 * SP_disconnect(3)). */
#define SPL_DISCONNECT_WAIT_MS 2000

/* Lock m by an absolute CLOCK_MONOTONIC deadline. 0, or -1 on timeout.
 * Polls with trylock instead of pthread_mutex_timedlock, whose deadline
 * is on the wall clock: a clock step would stretch the documented bound.
 * The wait is rare (another thread is mid-call) and short. */
static int lock_by(pthread_mutex_t *m, const struct timespec *deadline)
{
    struct timespec nap = { 0, 50000 };   /* 50 us, doubling to 1 ms */

    while (pthread_mutex_trylock(m) != 0) {
        if (spl_ms_until(deadline) == 0)
            return -1;
        nanosleep(&nap, NULL);
        nap.tv_nsec = nap.tv_nsec * 2 > 1000000L ? 1000000L : nap.tv_nsec * 2;
    }
    return 0;
}

/* The marked KILL: names the session's own private group, the rest of the
 * field zeros (upstream sent uninitialised bytes there). */
static void send_marked_kill(struct spl_sess *s, const struct timespec *dl)
{
    unsigned char frame[SPW_HEADER_LEN + MAX_GROUP_NAME];
    struct spw_header h;

    memset(&h, 0, sizeof h);
    h.type = SPW_KILL_MESS | SPW_KILL_WANTS_ACK;
    memcpy(h.sender, s->private_group, MAX_GROUP_NAME);
    h.num_groups = 1;
    h.hint = spw_hint_from_mess_type(0);
    h.data_len = 0;
    spw_header_encode(frame, &h);
    memcpy(frame + SPW_HEADER_LEN, s->private_group, MAX_GROUP_NAME);
    if (spl_io_send_dl(s->fd, frame, sizeof frame, dl) == SPL_IO_ENDED)
        atomic_store(&s->broken, 1);
}

/* Say goodbye on a retired session and wait for the daemon's side to end
 * (see the top of the file). Never blocks past the deadline. */
static void end_session(struct spl_sess *s)
{
    struct timespec deadline;
    int ended = 0;

    spl_deadline_after(&deadline, 0, SPL_DISCONNECT_WAIT_MS * 1000L);
    /* A sender stuck on a full socket holds send_lock; if it cannot finish
     * in time the KILL is not sent and the shutdown below ends it all. */
    if (lock_by(&s->send_lock, &deadline) == 0) {
        if (!atomic_load(&s->broken))
            send_marked_kill(s, &deadline);
        pthread_mutex_unlock(&s->send_lock);
    }
    /* A receiver blocked in SP_receive holds recv_lock and will consume
     * the acknowledgement itself; then the drain finds the session
     * broken and returns at once. */
    if (lock_by(&s->recv_lock, &deadline) == 0) {
        ended = spl_recv_drain(s, &deadline) == 0;
        pthread_mutex_unlock(&s->recv_lock);
    }
    if (!ended) {
        atomic_store(&s->broken, 1);
        shutdown(s->fd, SHUT_RDWR);
    }
}

/* Take s out of the table (the caller holds a reference from its lookup):
 * calls that start afterwards get ILLEGAL_SESSION, calls in flight
 * CONNECTION_CLOSED. With `quarantine` the number is held back from
 * SP_connect until the application releases it (mbox.h). 0, or -1 if
 * another call got there first. */
static int retire(struct spl_mbox_table *t, struct spl_sess *s,
                  int quarantine)
{
    return spl_mbox_retire(t, s, quarantine) == 0 ? 0 : -1;
}

int SP_disconnect(mailbox mbox)
{
    struct spl_mbox_table *t = spl_lib_table();
    struct spl_sess *s = spl_mbox_lookup(t, mbox);

    if (s == NULL)
        return ILLEGAL_SESSION;
    /* Whoever sets the flag owns the disconnect; a concurrent second
     * SP_disconnect gets ILLEGAL_SESSION. The mailbox stays in the table
     * until the daemon's side has ended, so a receive loop in another
     * thread keeps getting the messages sent before the acknowledgement
     * and then CONNECTION_CLOSED, rather than ILLEGAL_SESSION half-way. */
    if (!atomic_compare_exchange_strong(&s->retired, &(int){SPL_RETIRED_ACTIVE},
                                        SPL_RETIRED_ENDING)) {
        spl_mbox_unref(s);
        return ILLEGAL_SESSION;
    }
    end_session(s);
    /* From here on ILLEGAL_SESSION, and the number is held back. This
     * fails only if SP_kill or SP_close took the mailbox meanwhile; they
     * released the number, which is theirs to do. */
    retire(t, s, 1);
    spl_mbox_unref(s);
    return 0;
}

/* Wait until at most `mine` references are held by calls: every other
 * call on the mailbox has returned. Those calls were woken by the
 * disconnect (or notice the retirement when they next touch the record),
 * so this is short; it polls instead of making every call's unref signal
 * a condition variable. */
static void wait_for_calls(struct spl_sess *s, unsigned mine)
{
    struct timespec nap = { 0, 100000 };  /* 0.1 ms, doubling to 10 ms */

    while (spl_mbox_users(s) > mine) {
        nanosleep(&nap, NULL);
        nap.tv_nsec = nap.tv_nsec * 2 > 10000000L ? 10000000L
                                                  : nap.tv_nsec * 2;
    }
}

/* SP_close/SP_kill of a number that is no longer active: release it from
 * the quarantine (after the calls still in flight, if `wait`). */
static int release_retired(struct spl_mbox_table *t, mailbox mbox, int wait)
{
    struct spl_sess *q = spl_mbox_unquarantine(t, mbox);

    if (q == NULL)
        return ILLEGAL_SESSION;
    if (wait)
        wait_for_calls(q, 0);
    spl_mbox_release(q);
    return 0;
}

int SP_kill(mailbox mbox)
{
    struct spl_mbox_table *t = spl_lib_table();
    struct spl_sess *s = spl_mbox_lookup(t, mbox);
    int rc;

    if (s == NULL)
        return release_retired(t, mbox, 0);
    /* No KILL, no shutdown(): after fork() another process may still use
     * this connection. The last reference closes the descriptor, and the
     * number is not held back: the application has let go of it. */
    rc = retire(t, s, 0) == 0 ? 0 : ILLEGAL_SESSION;
    spl_mbox_unref(s);
    return rc;
}

int SP_close(mailbox mbox)
{
    struct spl_mbox_table *t = spl_lib_table();
    struct spl_sess *s = spl_mbox_lookup(t, mbox);
    int ending;

    if (s == NULL)
        return release_retired(t, mbox, 1);
    /* Set by a disconnect already under way in another thread: that one
     * talks to the daemon; this call only has to outlast it. */
    ending = atomic_exchange(&s->retired, SPL_RETIRED_OUT) ==
             SPL_RETIRED_ENDING;
    if (retire(t, s, 0) != 0) {
        /* Another thread's SP_kill or SP_close got there first. */
        spl_mbox_unref(s);
        return release_retired(t, mbox, 1);
    }
    /* An inherited connection may still be the parent's: like SP_kill,
     * close only this process's descriptor. */
    if (!ending && !atomic_load(&s->inherited))
        end_session(s);
    wait_for_calls(s, 1);
    spl_mbox_unref(s);   /* the last reference: closes the descriptor */
    return 0;
}
