/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * actlog: activity log lines with the column widths of daemon.md §5.6.
 * In view lines every present daemon gets its own index (upstream repeated
 * the index of the first present daemon, a defect).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "actlog.h"

#define ACTLOG_REOPEN_MS 10000

/* Line times come from the loop's clock, so a simulated daemon writes
 * simulated times. */
static long wall_s(const struct actlog *a)
{
    return (long)clock_wall_s(ev_clock(a->ev));
}

static void reopen_cb(struct ev *ev, struct ev_timer *t)
{
    struct actlog *a = t->data;
    FILE *f;

    if (a->f == NULL)
        return;
    f = fopen(a->path, "a");
    if (f != NULL) {
        fclose(a->f);
        a->f = f;
    }
    ev_timer_start(ev, t, ACTLOG_REOPEN_MS);
}

int actlog_open(struct actlog *a, struct ev *ev, const char *name)
{
    memset(a, 0, sizeof *a);
    a->ev = ev;
    snprintf(a->path, sizeof a->path, "%s", name);
    a->f = fopen(a->path, "a");
    if (a->f == NULL)
        return -errno;
    ev_timer_init(&a->reopen, reopen_cb, a);
    ev_timer_start(ev, &a->reopen, ACTLOG_REOPEN_MS);
    fprintf(a->f, "B %13ld\n", wall_s(a));
    fflush(a->f);
    return 0;
}

void actlog_close(struct actlog *a)
{
    if (a->f == NULL)
        return;
    ev_timer_stop(a->ev, &a->reopen);
    fclose(a->f);
    a->f = NULL;
}

void actlog_view(struct actlog *a, uint32_t memb_time, uint64_t seq,
                 const int *present, int n_daemons)
{
    int i;

    if (a->f == NULL)
        return;
    fprintf(a->f, "M %13ld %13lu %11lu > ", wall_s(a),
            (unsigned long)memb_time, (unsigned long)seq);
    for (i = 0; i < n_daemons; i++) {
        if (present[i])
            fprintf(a->f, " %2d", i);
        else
            fprintf(a->f, " --");
    }
    fputc('\n', a->f);
    fflush(a->f);
}

void actlog_connect(struct actlog *a, uint64_t seq, int fd,
                    const char *peer, const char *name)
{
    if (a->f == NULL)
        return;
    fprintf(a->f, "C %13ld %11lu %3d %-16s %-10s\n", wall_s(a),
            (unsigned long)seq, fd, peer, name);
    fflush(a->f);
}

void actlog_disconnect(struct actlog *a, uint64_t seq, int fd,
                       const char *peer, const char *name, uint64_t messages)
{
    if (a->f == NULL)
        return;
    fprintf(a->f, "D %13ld %11lu %3d %-46s %-10s %lu\n", wall_s(a),
            (unsigned long)seq, fd, peer, name, (unsigned long)messages);
    fflush(a->f);
}
