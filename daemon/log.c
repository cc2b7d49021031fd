/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * log: filtering, timestamps and the output stream of the daemon's log.
 * Upstream silently lost all output when EventLogFile could not be opened;
 * here log_open_file() reports the error and keeps the old stream, and the
 * caller decides to exit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "dirpath.h"
#include "log.h"

void log_init(struct log *l)
{
    memset(l, 0, sizeof *l);
    l->out = stdout;
    l->dir_fd = -1;
    /* Line-buffered even into a pipe or file: a crash or kill must not
     * swallow the last lines (upstream lost up to 4 KiB). */
    setvbuf(stdout, NULL, _IOLBF, 0);
    l->threshold = LOG_INFO;
    l->mask = LOG_C_DEFAULT_MASK;
}

void log_fini(struct log *l)
{
    log_flush(l);
    if (l->owns_out && l->out != NULL)
        fclose(l->out);
    l->out = stdout;
    l->owns_out = 0;
    if (l->dir_fd >= 0)
        close(l->dir_fd);
    l->dir_fd = -1;
}

void log_configure(struct log *l, int threshold, uint32_t mask,
                   const char *ts_fmt, int precise)
{
    l->threshold = threshold;
    l->mask = mask;
    l->precise = precise;
    l->ts_fmt[0] = '\0';
    if (ts_fmt != NULL) {
        snprintf(l->ts_fmt, sizeof l->ts_fmt, "%.39s", ts_fmt);
    } else if (precise) {
        snprintf(l->ts_fmt, sizeof l->ts_fmt, "%s", "%m/%d/%y %H:%M:%S");
    }
    if (precise && l->ts_fmt[0] != '\0') {
        size_t n = strlen(l->ts_fmt);
        /* Microseconds only make sense right after seconds. */
        if (n < 2 || l->ts_fmt[n - 2] != '%' ||
            (l->ts_fmt[n - 1] != 'S' && l->ts_fmt[n - 1] != 's'))
            snprintf(l->ts_fmt + n, sizeof l->ts_fmt - n, " %%s");
    }
}

/* Make `f` the destination of every line and of stray writes to stdout
 * and stderr (libc, assertions). On failure `f` is closed and the old
 * destination stays. */
static int log_switch_to(struct log *l, FILE *f)
{
    fflush(stdout);
    fflush(stderr);
    if (dup2(fileno(f), STDOUT_FILENO) < 0 || dup2(fileno(f), STDERR_FILENO) < 0) {
        int e = errno;
        fclose(f);
        return -e;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    if (l->owns_out)
        fclose(l->out);
    l->out = f;
    l->owns_out = 1;
    return 0;
}

int log_open_file(struct log *l, const char *path)
{
    char base[sizeof l->base];
    FILE *f;
    int dfd, rc;

    /* Kept for log_reopen(): the path would no longer resolve after the
     * chroot into RuntimeDir. */
    dfd = dirpath_open(path, base, sizeof base);
    if (dfd < 0)
        return dfd;
    f = fopen(path, "ae");
    if (f == NULL) {
        rc = -errno;
        close(dfd);
        return rc;
    }
    rc = log_switch_to(l, f);
    if (rc < 0) {
        close(dfd);
        return rc;
    }
    if (l->dir_fd >= 0)
        close(l->dir_fd);
    l->dir_fd = dfd;
    memcpy(l->base, base, sizeof base);
    return 0;
}

int log_reopen(struct log *l)
{
    FILE *f;
    int fd;

    if (l->dir_fd < 0)
        return 0;
    fd = openat(l->dir_fd, l->base, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                0640);
    if (fd < 0)
        return -errno;
    f = fdopen(fd, "a");
    if (f == NULL) {
        int e = errno;
        close(fd);
        return -e;
    }
    {
        int rc = log_switch_to(l, f);
        return rc < 0 ? rc : 1;
    }
}

int log_check_file(const char *path)
{
    struct stat st;
    char base[256];
    int dfd, rc;

    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return -EISDIR;
        return access(path, W_OK) == 0 ? 0 : -errno;
    }
    if (errno != ENOENT)
        return -errno;
    /* fopen(path, "a") would create it in its directory. */
    dfd = dirpath_open(path, base, sizeof base);
    if (dfd < 0)
        return dfd;
    rc = faccessat(dfd, ".", W_OK | X_OK, 0) == 0 ? 0 : -errno;
    close(dfd);
    return rc;
}

int log_enabled(const struct log *l, uint32_t cat, int prio)
{
    if (prio >= LOG_PRINT)
        return 1;
    return prio >= l->threshold && (l->mask & cat) != 0;
}

static void put_stamp(struct log *l)
{
    struct timeval tv;
    struct tm tm;
    char buf[128];
    size_t n;

    if (l->ts_fmt[0] == '\0')
        return;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    /* The format is the configuration's EventTimeStamp: not a literal. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    n = strftime(buf, sizeof buf, l->ts_fmt, &tm);
#pragma GCC diagnostic pop
    if (l->precise && n < sizeof buf - 8)
        snprintf(buf + n, sizeof buf - n, ".%06ld", (long)tv.tv_usec);
    fputs(buf, l->out);
    fputc(' ', l->out);
}

void log_msg(struct log *l, uint32_t cat, int prio, const char *fmt, ...)
{
    va_list ap;

    if (!log_enabled(l, cat, prio))
        return;
    put_stamp(l);
    va_start(ap, fmt);
    vfprintf(l->out, fmt, ap);
    va_end(ap);
    fputc('\n', l->out);
}

void log_raw(struct log *l, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(l->out, fmt, ap);
    va_end(ap);
}

void log_flush(struct log *l)
{
    if (l->out != NULL)
        fflush(l->out);
}

int log_limit_pass(struct log_limit *ll, uint64_t now_ms,
                   unsigned interval_ms, unsigned long *held)
{
    if (now_ms < ll->next_ms) {
        ll->held++;
        return 0;
    }
    *held = ll->held;
    ll->held = 0;
    ll->next_ms = now_ms + interval_ms;
    return 1;
}
