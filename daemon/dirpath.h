/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * dirpath: hold on to the directory of a file named by a path, so that
 * the file can be reopened or removed by its name after the daemon has
 * changed its root directory (RuntimeDir), where the path would no longer
 * resolve. Used for the log file and the pid file.
 *
 * Contract: dirpath_open() opens the directory part of `path` ("." when
 * there is none) as an O_PATH descriptor with close-on-exec, and copies
 * the last component into base. It returns the descriptor, or -errno:
 * -ENAMETOOLONG when a part does not fit, -EINVAL when the path ends in
 * '/' (no file name), or what open(2) failed with.
 */
#ifndef COHORT_DAEMON_DIRPATH_H
#define COHORT_DAEMON_DIRPATH_H

#include <stddef.h>

int dirpath_open(const char *path, char *base, size_t baselen);

#endif /* COHORT_DAEMON_DIRPATH_H */
