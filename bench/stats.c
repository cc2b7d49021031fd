/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * bench/stats: the clock and the sample summaries shared by the benchmark
 * programs. Percentiles use the nearest-rank method, clamped to the last
 * sample. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "stats.h"

double bench_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

void bench_summarise(double *samples, size_t n, struct bench_summary *out)
{
    double sum = 0;
    size_t i;

    if (n == 0) {
        out->mean = out->min = out->p50 = out->p99 = out->max = 0;
        return;
    }
    qsort(samples, n, sizeof(*samples), cmp_double);
    for (i = 0; i < n; i++)
        sum += samples[i];
    out->mean = sum / (double)n;
    out->min = samples[0];
    out->max = samples[n - 1];
    out->p50 = percentile(samples, n, 50);
    out->p99 = percentile(samples, n, 99);
}

long bench_parse_count(const char *prog, const char *opt, const char *val)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(val, &end, 10);
    if (end == val || *end != '\0' || errno != 0 || v < 0) {
        fprintf(stderr, "%s: %s needs a non-negative number, not '%s'\n",
                prog, opt, val);
        exit(2);
    }
    return v;
}
