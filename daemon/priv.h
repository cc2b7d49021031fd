/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * priv: what a daemon started as root does about it (daemon.md §5.2):
 * warn about an unsafe unix-socket directory before binding, then, after
 * every socket is bound, chroot into RuntimeDir and switch to
 * DaemonUser/DaemonGroup with only that one group.
 *
 * Contract: no-ops unless the effective uid is 0. Errors come back as -1
 * with a message; the caller treats them as fatal.
 */
#ifndef COHORT_DAEMON_PRIV_H
#define COHORT_DAEMON_PRIV_H

#include <stddef.h>

struct log;

int priv_is_root(void);

/* -1 if the directory cannot be examined; a warning if anyone but root
 * and `user` (DaemonUser, whose daemon owns the socket anyway) could
 * remove or replace a socket in it. */
int priv_check_socket_dir(struct log *log, const char *dir, const char *user,
                          char *err, size_t errlen);

/* What priv_drop() would refuse, without changing anything (-k): when
 * root, an unknown user or group, or a RuntimeDir that is not a directory.
 * 0, or -1 with the reason in err. */
int priv_check_drop(const char *runtime_dir, const char *user,
                    const char *group, char *err, size_t errlen);

/* When root: chroot into runtime_dir and become user/group; a missing
 * account or a failing step is an error (the daemon must not go on as
 * root by accident). `own_path`, if not NULL, is handed to the new
 * identity first (the unix socket: so that the daemon can remove it from
 * a sticky directory such as /tmp at exit). */
int priv_drop(struct log *log, const char *runtime_dir, const char *user,
              const char *group, const char *own_path, char *err,
              size_t errlen);

#endif /* COHORT_DAEMON_PRIV_H */
