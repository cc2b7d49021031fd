/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * notify: tells a service manager (systemd Type=notify, or the test
 * harness) when the daemon is ready and when it begins to stop, with the
 * sd_notify datagram protocol and no library: if NOTIFY_SOCKET names an
 * AF_UNIX datagram address (a path, or "@name" for the Linux abstract
 * namespace), each report is one datagram of "KEY=value" lines.
 *
 * Contract
 * - notify_open() reads NOTIFY_SOCKET and removes it from the environment
 *   (nothing the daemon might start should report for it), then connects.
 *   Call it before priv_drop(): a connected socket keeps working inside the
 *   RuntimeDir chroot and under the daemon account, where the address may
 *   be out of reach.
 * - Reports are sent without blocking and never log (the caller does, once:
 *   after a failure the socket is closed and later reports do nothing and
 *   return 0). Nothing here is fatal to the daemon.
 * - Not thread-safe; the daemon is single-threaded.
 */
#ifndef COHORT_DAEMON_NOTIFY_H
#define COHORT_DAEMON_NOTIFY_H

#define NOTIFY_ENV "NOTIFY_SOCKET"

struct notify {
    int fd;                /* connected datagram socket, or -1 */
    char addr[128];        /* NOTIFY_SOCKET as found, for log lines */
};

/* Not connected; notify_close() is safe after this alone. */
void notify_init(struct notify *n);

/* Returns 1 when connected, 0 when NOTIFY_SOCKET is unset or empty, or
 * -errno: -EINVAL for an address that is neither absolute nor "@name",
 * -ENAMETOOLONG, or what socket()/connect() said. n->addr is set whenever
 * the variable was. */
int notify_open(struct notify *n);

/* "READY=1" with this process's MAINPID: start-up is complete. */
int notify_ready(struct notify *n);

/* "STOPPING=1": teardown has begun. */
int notify_stopping(struct notify *n);

void notify_close(struct notify *n);

#endif /* COHORT_DAEMON_NOTIFY_H */
