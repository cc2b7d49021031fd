/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * actlog: the `-l y` activity log (daemon.md §5.6): a text file named like
 * the daemon in the current directory (RuntimeDir when chrooted), appended
 * to, re-opened every 10 s so it can be rotated, with one line per start
 * (B), daemon view (M), client connect (C) and client disconnect (D).
 *
 * Contract: every function is a no-op on a log that is not open; write
 * errors are ignored (the log is informative, never fatal after start).
 * The times on the lines are the wall clock of the loop's clock
 * (ev_clock()).
 */
#ifndef COHORT_DAEMON_ACTLOG_H
#define COHORT_DAEMON_ACTLOG_H

#include <stdint.h>
#include <stdio.h>

#include "ev.h"

struct order_view;

struct actlog {
    FILE *f;
    char path[64];
    struct ev *ev;
    struct ev_timer reopen;
};

/* Open <name> in the current directory and write the B line. Returns 0
 * or -errno. */
int actlog_open(struct actlog *a, struct ev *ev, const char *name);
void actlog_close(struct actlog *a);

/* n_daemons entries: present[i] != 0 when daemon i is in the view. */
void actlog_view(struct actlog *a, uint32_t memb_time, uint64_t seq,
                 const int *present, int n_daemons);
void actlog_connect(struct actlog *a, uint64_t seq, int fd,
                    const char *peer, const char *name);
void actlog_disconnect(struct actlog *a, uint64_t seq, int fd,
                       const char *peer, const char *name, uint64_t messages);

#endif /* COHORT_DAEMON_ACTLOG_H */
