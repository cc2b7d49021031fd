/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flush/conn: the table of flush connections behind the FL_* mailboxes,
 * their references, locks and fork behaviour (spec flush.md 2.4 and
 * lifecycle.md).
 *
 * Contract
 * --------
 * Ownership. The table holds one reference on every linked connection;
 * each flx_conn_get() that succeeds holds one more and must be paired with
 * flx_conn_put(). The put that drops the count to zero frees the record
 * (engine state included); it can only happen after flx_conn_unlink().
 *
 * Locks, in the only order in which they may nest:
 *   table lock     the list, `linked` and every `refs`; short work only,
 *                  never held across an SP_* call that does I/O.
 *   c->recv_lock   one FL_receive at a time per connection; held while
 *                  blocked in SP_receive.
 *   c->state_lock  the engine (c->eng); held across the SP sends whose
 *                  order matters (FLUSH_OK, FLUSH_RECV, tagged data), never
 *                  while blocked in SP_receive, so other threads can send
 *                  and flush while a receiver waits.
 * SP_* locks nest inside all of these.
 *
 * Staleness. A record remembers the SP session's generation. When the SP
 * layer no longer knows that session (the application called SP_kill or
 * SP_close on the mailbox, e.g. a fork child dropping what it inherited),
 * flx_conn_get() unlinks the record and answers NULL.
 *
 * Fork. The table's fork handlers run after libspread's (prepare before):
 * prepare takes only the table lock; the child re-creates every lock and
 * forgets the references of threads that do not exist there. A child that
 * forked while another thread was inside a call on a connection must not
 * use that connection's flush state (it may be half-updated); dropping it
 * with SP_kill or SP_close is always safe.
 */
#ifndef COHORT_LIBSPREAD_FLUSH_CONN_H
#define COHORT_LIBSPREAD_FLUSH_CONN_H

#include <pthread.h>
#include <stdint.h>

#include "engine.h"

struct flx_conn {
    struct flx_conn *next;            /* table lock */
    mailbox mbox;                     /* immutable */
    uint64_t sp_gen;                  /* immutable */
    int refs;                         /* table lock */
    int linked;                       /* table lock */
    pthread_mutex_t recv_lock;
    pthread_mutex_t state_lock;
    struct fle_conn eng;              /* state_lock */
};

/* Register the fork handlers (once; also done when the library loads). */
void flx_init(void);

/* FL_lib_init's answer: 0 the first time, ILLEGAL_STATE afterwards. */
int flx_lib_init_once(void);

/* Make and link a record for a mailbox SP_connect just accepted. Returns
 * 0 or -ENOMEM; a stale record under the same number is dropped. */
int flx_conn_create(mailbox mbox, const char *private_group);

/* The linked, live record for mbox with a reference, or NULL. */
struct flx_conn *flx_conn_get(mailbox mbox);
void flx_conn_put(struct flx_conn *c);

/* Take c out of the table (later gets find nothing). Returns 0 if this
 * call did it, -ENOENT if another call already had. */
int flx_conn_unlink(struct flx_conn *c);

/* Wait until the caller's reference is the only one left. */
void flx_conn_wait_alone(struct flx_conn *c);

/* The destroy-on-failure rule (spec 5): on CONNECTION_CLOSED or
 * ILLEGAL_SESSION from the SP layer, end the connection as FL_disconnect
 * would. Returns rc unchanged. The caller still holds its reference. */
int flx_conn_fail(struct flx_conn *c, int rc);

/* Number of linked records (tests). */
int flx_conn_count(void);

#endif /* COHORT_LIBSPREAD_FLUSH_CONN_H */
