/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * lib.h: what the modules of libspread share and nothing else sees (none
 * of these symbols is exported from the shared objects; the export list
 * keeps only SP_* and E_*, and FL_* in libspread.so). The flush layer in
 * flush/ uses the SP_* calls and, for its staleness check, mbox.h.
 *
 *   io.c      socket I/O: whole-frame blocking send/receive for sessions,
 *             deadline-bounded I/O for the handshake
 *   connect.c daemon names, socket set-up and the connect handshake
 *   init.c    one-time initialisation and fork handlers
 *   auth.c    the process-wide list of authentication methods
 *   send.c    SP_join/leave/multicast/poll
 *   close.c   SP_disconnect, SP_close, SP_kill: ending sessions
 *   recv.c    SP_receive and SP_scat_receive
 *   memb.c    membership-body helpers over flat buffers and scatters
 *   errors.c  SP_strerror, SP_error, SP_version and other small entry points
 *   events.c  the E_* event loop and time arithmetic
 *
 * Error vocabulary: internal helpers return 0 or a negative value; the
 * SP_* codes are produced only at the entry points.
 */
#ifndef COHORT_LIBSPREAD_LIB_H
#define COHORT_LIBSPREAD_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#include "sp.h"
#include "internal/wire.h"
#include "mbox.h"

/* ---- io.c ---------------------------------------------------------- */

/* A piece of an incoming frame: buf == NULL means read and discard. */
struct spl_seg {
    void *buf;
    size_t len;
};

/* Most pieces one read can be split into: groups kept, groups dropped,
 * up to MAX_CLIENT_SCATTER_ELEMENTS body elements, body dropped. */
#define SPL_MAX_SEGS (MAX_CLIENT_SCATTER_ELEMENTS + 3)

/* Blocking sends of a whole frame in as few system calls as the kernel
 * allows. SIGPIPE is never raised (MSG_NOSIGNAL). iov is consumed.
 * Returns 0 or -1 (connection unusable). */
int spl_io_sendv(int fd, struct iovec *iov, int iovcnt);

/* Blocking receive of exactly len bytes. Returns 0, or -1 on end of
 * stream or error. */
int spl_io_recv(int fd, void *buf, size_t len);

/* Blocking receive of the concatenation of segs (at most SPL_MAX_SEGS).
 * Returns 0 or -1. */
int spl_io_recv_segs(int fd, const struct spl_seg *segs, int nsegs);

/* Handshake receive on a non-blocking socket with an absolute
 * CLOCK_MONOTONIC deadline (NULL: none). Returns the number of bytes
 * read, which is less than len only at end of stream (or an error after
 * some bytes: a reject byte followed by a reset), or -1 on error or
 * timeout. */
long spl_io_recv_by(int fd, void *buf, size_t len,
                    const struct timespec *deadline);

/* I/O bounded by an absolute CLOCK_MONOTONIC deadline (NULL: none),
 * without touching the descriptor's blocking mode (other threads may be
 * blocked on it): the handshake's sends and SP_disconnect's exchange.
 * recv with buf == NULL reads and discards len bytes. Both return 0 when
 * all len bytes moved, SPL_IO_ENDED on end of stream or a socket error,
 * SPL_IO_TIMEOUT when the deadline passed first. */
#define SPL_IO_ENDED (-1)
#define SPL_IO_TIMEOUT (-2)
int spl_io_send_dl(int fd, const void *buf, size_t len,
                   const struct timespec *deadline);
int spl_io_recv_dl(int fd, void *buf, size_t len,
                   const struct timespec *deadline);

/* Wait for fd to become writable (a non-blocking connect). Returns 0, or
 * -1 on timeout or error. */
int spl_io_wait_writable(int fd, const struct timespec *deadline);

/* ---- auth.c -------------------------------------------------------- */

typedef int (*spl_auth_fn)(int, void *);

struct spl_auth_list {
    int n;
    char name[SPW_MAX_AUTH_METHODS][SPW_MAX_AUTH_NAME];
    spl_auth_fn fn[SPW_MAX_AUTH_METHODS];
    void *data[SPW_MAX_AUTH_METHODS];
};

/* Copy of the methods registered now (a connect uses one consistent
 * list even if another thread changes it meanwhile). */
void spl_auth_snapshot(struct spl_auth_list *out);

/* fork() handlers for the method list's lock (see init.c). */
void spl_auth_atfork_prepare(void);
void spl_auth_atfork_parent(void);
void spl_auth_atfork_child(void);

/* ---- init.c -------------------------------------------------------- */

/* The session table every entry point uses; the first call initialises
 * the library once (fork handlers). Safe from any thread. */
struct spl_mbox_table *spl_lib_table(void);

/* ---- send.c -------------------------------------------------------- */

/* Write one message on a session whose send_lock the caller does not
 * hold. groups is num_groups raw 32-byte entries. Returns 0 or
 * CONNECTION_CLOSED (the session is then marked broken). */
int spl_send_frame(struct spl_sess *s, uint32_t type, int16_t mess_type,
                   int num_groups, const void *groups,
                   const struct iovec *body, int nbody, int32_t data_len);

/* ---- recv.c -------------------------------------------------------- */

/* For SP_disconnect, with s->recv_lock held: read and drop whatever the
 * daemon still sends until its acknowledgement or end of stream. Returns
 * 0 when the daemon's side has ended, -1 if the deadline passed first.
 * Either way the session is marked broken. */
int spl_recv_drain(struct spl_sess *s, const struct timespec *deadline);

/* ---- memb.c -------------------------------------------------------- */

/* A read-only or writable view of a message body that may be spread over
 * several buffers. len is the usable length (SIZE_MAX: unknown, trust the
 * caller as the flat SP_get_* functions must). */
struct spl_body {
    const struct iovec *iov;
    int n;
    size_t len;
};

void spl_body_flat(struct spl_body *b, struct iovec *one, const void *buf,
                   size_t len);

/* Swap, in place, the integers of a regular membership body written in
 * the other byte order: group id, set count, own-set offset and every
 * set's member count, as far as they lie within b->len. */
void spl_memb_swap_regular(const struct spl_body *b);

/* Swap the group id of a transitional body (12 bytes) in place. */
void spl_memb_swap_gid(const struct spl_body *b);

/* ---- time helpers (io.c) ------------------------------------------- */

/* Absolute CLOCK_MONOTONIC deadline sec/usec from now. */
void spl_deadline_after(struct timespec *out, long sec, long usec);

/* Milliseconds left until deadline for poll(): -1 for no deadline, 0 if
 * it has passed. */
int spl_ms_until(const struct timespec *deadline);

#endif /* COHORT_LIBSPREAD_LIB_H */
