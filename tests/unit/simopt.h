/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * simopt: the numeric and named options the simulators' command lines
 * share (tests/evssim, tests/dsim, and their Check suites that parse
 * the same lines). A table says, per option, its name, its bounds, the
 * type of the field it sets and that field's offset in the caller's
 * options struct.
 *
 * Contract
 * - simopt_number() looks at argv[*i]: not in the table, it returns 0
 *   and leaves everything alone; in it, with a value argv[*i + 1] that is
 *   a whole number (or, for SIMOPT_DOUBLE, any number) within
 *   [lo, hi] (SIMOPT_CHOICE: one of the names), it sets the field,
 *   advances *i by 2 and returns 1; with no or a bad value, -1.
 * - simopt_choice() returns the index of v among names[0..n-1], or -1.
 * - No state; nothing is written on error.
 */
#ifndef COHORT_TESTS_SIMOPT_H
#define COHORT_TESTS_SIMOPT_H

#include <stddef.h>

enum simopt_type {
    SIMOPT_U64, SIMOPT_UNSIGNED, SIMOPT_INT, SIMOPT_DOUBLE,
    SIMOPT_CHOICE               /* an int field: the index of the value
                                   among names[0..hi] (lo unused) */
};

struct simopt {
    const char *name;
    double lo, hi;
    enum simopt_type type;
    size_t offset;              /* offsetof(the options struct, field) */
    const char *const *names;   /* SIMOPT_CHOICE */
};

int simopt_number(const struct simopt *t, size_t n, void *opts, int argc,
                  char **argv, int *i);
int simopt_choice(const char *v, const char *const *names, int n);

#endif /* COHORT_TESTS_SIMOPT_H */
