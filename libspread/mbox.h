/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * mbox: the session record behind a mailbox and the table that finds it
 * from the descriptor number. Every SP_* call resolves its mailbox here and
 * holds a reference for its whole duration; the descriptor is closed only
 * when the last reference is dropped, so no call can ever find its
 * descriptor number recycled underneath it.
 *
 * Contract
 * --------
 * Ownership. A session record is created with one reference, owned by the
 * creator. spl_mbox_link() makes the table hold a second reference of its
 * own; spl_mbox_unlink() drops it. Each spl_mbox_lookup() that succeeds must
 * be paired with one spl_mbox_unref(). The unref that drops the count to zero
 * closes the descriptor (unless spl_mbox_sess_forget_fd() was called) and
 * frees the record; it may run in any thread, in whichever call happened
 * to hold the last reference.
 *
 * Locks, in the only order in which they may nest:
 *   table->lock   guards slots[], cap, count, next_gen and every record's
 *                 `linked` flag. Held only for short, non-blocking work;
 *                 never held while a session lock is taken or I/O is done.
 *   sess->recv_lock  serialises receivers: the pending-header state below
 *                 and reads from the socket.
 *   sess->send_lock  serialises senders, so frames never interleave.
 * A thread may hold recv_lock and send_lock at once only in that order.
 * The reference count and the `broken` flag are atomics and need no lock.
 *
 * Generations. Each link assigns the record a fresh, never reused,
 * generation number. A caller that remembered (fd, generation) can ask
 * spl_mbox_lookup_gen() for exactly that session and will not be handed a
 * later session that happens to use the same descriptor number.
 *
 * Fork: see spl_mbox_atfork_*() below. `inherited` tells SP_close and
 * SP_kill that the connection may be shared with the parent process, so
 * they must close only this process's descriptor and say nothing to the
 * daemon.
 *
 * Nothing here logs, and no function blocks except on table->lock.
 */
#ifndef COHORT_LIBSPREAD_MBOX_H
#define COHORT_LIBSPREAD_MBOX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sp.h"
#include "internal/wire.h"

/* spl_sess.retired: where a record is on its way out of service.
 *   ACTIVE  in service.
 *   ENDING  SP_disconnect is waiting for the daemon's side to end: sends
 *           end with CONNECTION_CLOSED; receives go on reading (messages
 *           sent before the acknowledgement) until the stream ends, then
 *           return CONNECTION_CLOSED.
 *   OUT     taken out of the table (spl_mbox_retire): calls starting now
 *           get ILLEGAL_SESSION, calls in flight CONNECTION_CLOSED. */
#define SPL_RETIRED_ACTIVE 0
#define SPL_RETIRED_ENDING 1
#define SPL_RETIRED_OUT 2

struct spl_sess {
    /* Immutable once the record is linked. */
    int fd;
    uint64_t gen;
    char private_group[MAX_GROUP_NAME]; /* NUL-padded, as sent on the wire */

    atomic_uint refs;       /* users, plus SPL_REF_QUARANTINE */
    atomic_int broken;      /* 1 once a send or receive failed */
    atomic_int close_fd;    /* 0: last unref must leave the descriptor open */
    atomic_int retired;     /* SPL_RETIRED_*, only ever increasing */

    int linked;             /* table->lock */
    atomic_int inherited;   /* 1 in a fork child for every record that
                             * existed at the fork: the connection may be
                             * shared with the parent */

    pthread_mutex_t send_lock;
    pthread_mutex_t recv_lock;

    /* recv_lock: a header already read from the socket whose message is
     * still waiting for large enough buffers (BUFFER/GROUPS_TOO_SHORT). */
    int pending;
    struct spw_header pending_hdr;
    uint32_t pending_old_type;  /* reject notices only, host order */
};

/* Most retired mailbox numbers held back from reuse at once (documented
 * in SP_disconnect(3) and libspread(3)). Each entry costs one retired
 * record (a few hundred bytes); mailbox numbers handed out by SP_connect
 * are always among the (bound + 1) lowest free descriptor numbers. */
#define SPL_QUARANTINE_MAX 64

/* The high bit of spl_sess.refs: the quarantine owns the record's memory
 * (it is not a user: the descriptor is closed once the other references
 * are gone, see spl_mbox_unref). */
#define SPL_REF_QUARANTINE 0x80000000u

struct spl_mbox_table {
    pthread_mutex_t lock;
    struct spl_sess **slots;    /* indexed by descriptor; grows on demand */
    size_t cap;
    size_t count;
    uint64_t next_gen;
    /* Retired records, oldest first, in a ring. */
    struct spl_sess *quarantine[SPL_QUARANTINE_MAX];
    size_t q_first, q_len;
};

/* Table set-up. init returns 0 or -ENOMEM; fini unlinks every record
 * (dropping the table's references) and frees the slot array. */
int spl_mbox_table_init(struct spl_mbox_table *t);
void spl_mbox_table_fini(struct spl_mbox_table *t);

/* The process-wide table that the SP_* entry points use. */
struct spl_mbox_table *spl_mbox_global(void);

/* A new record for descriptor fd, with one reference owned by the caller.
 * private_group may be NULL (all zero). Returns NULL if out of memory. */
struct spl_sess *spl_mbox_sess_new(int fd, const char *private_group);

/* Make the last unref leave the descriptor open (it belongs to someone
 * else now). */
void spl_mbox_sess_forget_fd(struct spl_sess *s);

/* Enter s in the table under s->fd and take the table's reference.
 * Returns 0, -EINVAL for a negative fd or a record already linked,
 * -ENOMEM. A record still filed under the same number lost its descriptor
 * to a close() outside the library (the kernel could not otherwise have
 * handed the number out again): it is retired, and it will never close
 * the descriptor, which is now s's. */
int spl_mbox_link(struct spl_mbox_table *t, struct spl_sess *s);

/* Look up a descriptor and take a reference. NULL if not linked. */
struct spl_sess *spl_mbox_lookup(struct spl_mbox_table *t, int fd);

/* Same, but only if the linked record has generation gen. */
struct spl_sess *spl_mbox_lookup_gen(struct spl_mbox_table *t, int fd,
                                  uint64_t gen);

/* Take one more reference on a record the caller already holds. */
void spl_mbox_ref(struct spl_sess *s);

/* Take s out of service: remove it from the table (like spl_mbox_unlink)
 * and, if `quarantine`, file its number in the quarantine in the same
 * critical section, so no other thread ever sees the number neither
 * active nor quarantined. A full quarantine releases its oldest entry.
 * Returns 0, or -ENOENT if s was not linked (another call retired it). */
int spl_mbox_retire(struct spl_mbox_table *t, struct spl_sess *s,
                    int quarantine);

/* Take the quarantined record filed under fd out of the quarantine. The
 * caller then owns the quarantine's hold on it and must end with
 * spl_mbox_release(). NULL if fd is not quarantined. */
struct spl_sess *spl_mbox_unquarantine(struct spl_mbox_table *t, int fd);

/* Number of calls still holding references on a record the caller got
 * from spl_mbox_unquarantine() (0: none in flight, descriptor closed). */
unsigned spl_mbox_users(struct spl_sess *s);

/* Give up the quarantine's hold: the record is freed now if no call is in
 * flight, otherwise by the last one. */
void spl_mbox_release(struct spl_sess *s);

/* SP_connect's side of the guard: if descriptor fd's number is
 * quarantined, move the descriptor to the lowest number above it that is
 * not (F_DUPFD) and close fd. Near the descriptor limit, where there is no
 * such number, release fd's number from the quarantine and keep fd.
 * Returns the descriptor to use. */
int spl_mbox_avoid_quarantined(struct spl_mbox_table *t, int fd);

/* Remove s from the table if it is still the record linked under its
 * descriptor, dropping the table's reference. Returns 0 if this call
 * removed it, -ENOENT otherwise (never linked, or already removed). The
 * caller's own references stay valid. */
int spl_mbox_unlink(struct spl_mbox_table *t, struct spl_sess *s);

/* Drop a reference; the last one closes the descriptor and frees s. On a
 * quarantined record, the last user reference closes the descriptor and
 * the quarantine keeps the memory. */
void spl_mbox_unref(struct spl_sess *s);

/* Number of linked records (for tests and diagnostics). */
size_t spl_mbox_count(struct spl_mbox_table *t);
/* Number of quarantined numbers (for tests and diagnostics). */
size_t spl_mbox_quarantined(struct spl_mbox_table *t);

/* fork() support, called from the library's pthread_atfork handlers.
 * prepare takes table->lock (held only briefly by anyone, so this never
 * waits on I/O); parent releases it. child runs in the new process, where
 * only the forking thread exists: it re-creates the table lock and every
 * linked record's session locks instead of unlocking them on behalf of
 * threads that are gone, drops the references those threads held (a
 * linked record keeps just the table's), and marks the records
 * inherited. Quarantined records keep only the quarantine's hold; a
 * descriptor that a parent thread still had in use is closed in the child.
 * Records unlinked but not quarantined (SP_kill, SP_close) that a parent
 * thread still had in use, and one that SP_close was releasing from the
 * quarantine at the fork, stay allocated in the child. */
void spl_mbox_atfork_prepare(struct spl_mbox_table *t);
void spl_mbox_atfork_parent(struct spl_mbox_table *t);
void spl_mbox_atfork_child(struct spl_mbox_table *t);

#endif /* COHORT_LIBSPREAD_MBOX_H */
