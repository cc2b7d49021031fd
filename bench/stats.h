/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 * bench/stats: the clock and the sample summaries (mean, percentiles) that
 * the benchmark programs share. */
#ifndef COHORT_BENCH_STATS_H
#define COHORT_BENCH_STATS_H

#include <stddef.h>

/* Monotonic time in microseconds. */
double bench_now_us(void);

struct bench_summary {
    double mean, min, p50, p99, max;
};

/* Sorts samples[0..n-1] in place and summarises them; n may be 0. */
void bench_summarise(double *samples, size_t n, struct bench_summary *out);

/* Parses a non-negative decimal number for option `opt`; exits with a
 * message on anything else. */
long bench_parse_count(const char *prog, const char *opt, const char *val);

#endif /* COHORT_BENCH_STATS_H */
