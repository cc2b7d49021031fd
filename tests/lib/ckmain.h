/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ckmain: the one way a Check test program runs its suite and turns the
 * result into an exit status (0 passed, 1 failed).
 */
#ifndef COHORT_TESTS_CKMAIN_H
#define COHORT_TESTS_CKMAIN_H

#include <check.h>
#include <stdlib.h>

static inline int ck_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
