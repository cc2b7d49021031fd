/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * log: the daemon's only way to print. Owns the output stream (stdout or
 * EventLogFile), the priority threshold (EventPriority), the category mask
 * (DebugFlags) and the timestamp format, so that every line looks the same
 * and is filtered the same way.
 *
 * Contract
 * - A line is printed when its priority >= the threshold and its category
 *   is in the mask; LOG_PRINT lines are always printed (daemon.md §2.6).
 * - Never exits. Fatal start-up errors are main's business (log_fatal()
 *   only prints and flushes; the caller exits).
 * - Not thread-safe; the daemon is single-threaded.
 */
#ifndef COHORT_DAEMON_LOG_H
#define COHORT_DAEMON_LOG_H

#include <stdint.h>
#include <stdio.h>

/* Categories (DebugFlags masks, daemon.md §2.6). */
#define LOG_C_EXIT 0x00000001u
#define LOG_C_DATA_LINK 0x00000002u
#define LOG_C_MEMORY 0x00000004u
#define LOG_C_EVENTS 0x00000008u
#define LOG_C_PRINT 0x00000010u
#define LOG_C_NETWORK 0x00000020u
#define LOG_C_PROTOCOL 0x00000040u
#define LOG_C_SESSION 0x00000080u
#define LOG_C_CONFIGURATION 0x00000100u
#define LOG_C_MEMBERSHIP 0x00000200u
#define LOG_C_FLOW_CONTROL 0x00000400u
#define LOG_C_STATUS 0x00000800u
#define LOG_C_DEBUG 0x00001000u
#define LOG_C_GROUPS 0x00002000u
#define LOG_C_SKIPLIST 0x00200000u
#define LOG_C_ACM 0x00400000u
#define LOG_C_SECURITY 0x00800000u
#define LOG_C_DEFAULT_MASK 0x00000111u

/* Priorities (EventPriority values 1..6, plus the always-printed ones). */
enum log_prio {
    LOG_DEBUG = 1,
    LOG_INFO = 2,
    LOG_WARNING = 3,
    LOG_ERROR = 4,
    LOG_CRITICAL = 5,
    LOG_FATAL_LEVEL = 6,
    LOG_PRINT = 7          /* always printed, whatever mask and threshold */
};

struct log {
    FILE *out;
    int owns_out;          /* out was opened by log_open_file() */
    int dir_fd;            /* the log file's directory (O_PATH), or -1:
                            * log_reopen() finds the file through it even
                            * after a chroot */
    char base[256];        /* the log file's name inside dir_fd */
    int threshold;         /* enum log_prio */
    uint32_t mask;
    char ts_fmt[64];       /* strftime format; empty: no timestamp */
    int precise;           /* append .uuuuuu */
};

/* Stdout, INFO, the default mask, no timestamps. */
void log_init(struct log *l);
void log_fini(struct log *l);

/* Apply EventPriority/DebugFlags/EventTimeStamp/EventPreciseTimeStamp.
 * ts_fmt NULL means no timestamp unless precise is set. */
void log_configure(struct log *l, int threshold, uint32_t mask,
                   const char *ts_fmt, int precise);

/* Redirect all output (stdout and stderr too) to `path` in append mode.
 * Returns 0 or -errno; on error the old destination stays in use. */
int log_open_file(struct log *l, const char *path);

/* Open the log file again by its name (after a rotation moved it away),
 * creating it if needed, and send all output there. 1 if reopened, 0 if
 * the log is not a file (nothing to do), -errno on failure, in which case
 * output stays on the old file. Works after chroot() and a privilege drop
 * as long as the new identity may create files in the log's directory. */
int log_reopen(struct log *l);

/* Whether log_open_file(path) could succeed, without creating, truncating
 * or opening anything (-k): 0, or -errno (a directory is -EISDIR; a file
 * that does not exist needs a writable directory). */
int log_check_file(const char *path);

int log_enabled(const struct log *l, uint32_t cat, int prio);

void log_msg(struct log *l, uint32_t cat, int prio, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A line without category or timestamp filtering (continuation lines). */
void log_raw(struct log *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void log_flush(struct log *l);

#define log_print(l, ...) log_msg((l), LOG_C_PRINT, LOG_PRINT, __VA_ARGS__)

/* A bound on lines that peers can cause at will (refused connections,
 * refused joins, failing accepts): at most one line per interval; the
 * next line that passes reports how many were held back meanwhile. */
struct log_limit {
    uint64_t next_ms;          /* no line before this time (ev clock) */
    unsigned long held;        /* lines held back since the last one */
};

/* 1 if a line may be written at now_ms; *held then gets the number held
 * back since the previous line (and the count restarts). 0 if this line
 * is to be held back (it is counted). */
int log_limit_pass(struct log_limit *ll, uint64_t now_ms,
                   unsigned interval_ms, unsigned long *held);

#endif /* COHORT_DAEMON_LOG_H */
