/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_pkt.h: assertion helpers shared by the pkt suites (test_pkt.c,
 * test_pkt_groups.c): a failed check names the capture file and record
 * ("02_steady_traffic.vec P 161") and the annotation field it compared.
 */
#ifndef COHORT_TESTS_TEST_PKT_H
#define COHORT_TESTS_TEST_PKT_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../lib/ringvec.h"

#define CHK(f, r, cond, ...)                                                 \
    do {                                                                     \
        if (!(cond)) {                                                       \
            char m_[256];                                                    \
            snprintf(m_, sizeof m_, __VA_ARGS__);                            \
            ck_abort_msg("%s P %d: %s (%s)", strrchr((f)->path, '/') + 1,    \
                         (r)->num, m_, #cond);                               \
        }                                                                    \
    } while (0)

/* Field `key` of annotation `line` equals v. */
#define EQ(f, r, line, key, v)                                               \
    do {                                                                     \
        int64_t x_;                                                          \
        CHK(f, r, rv_num(f, line, key, &x_), "no %s in '%s'", key,           \
            line ? line : "(none)");                                         \
        CHK(f, r, x_ == (int64_t)(v), "%s: capture %lld, decoded %lld", key, \
            (long long)x_, (long long)(v));                                  \
    } while (0)

#define PAIR(f, r, line, key, m)                                             \
    do {                                                                     \
        int64_t a_, b_;                                                      \
        CHK(f, r, rv_pair(f, line, key, &a_, &b_), "no pair %s", key);       \
        CHK(f, r, (uint32_t)a_ == (m).id && (int32_t)b_ == (m).time,         \
            "%s differs", key);                                              \
    } while (0)

#endif
