/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Helpers shared by the conf unit tests (test_conf.c, test_conf_rules.c):
 * parse with a stub resolver and a fixed host name, collect warnings,
 * assert an error's line and reason.
 */
#ifndef COHORT_TEST_CONF_H
#define COHORT_TEST_CONF_H

#include <check.h>

#include "conf.h"

/* One valid segment, for tests about settings (lines 1-3). */
#define SEG "Spread_Segment 10.0.0.255 {\n\ta 10.0.0.1\n}\n"

struct warns {
    int n;
    struct conf_diag d[32];
};

void collect(void *ctx, const struct conf_diag *w);
int stub_resolve(void *ctx, const char *name, int family,
                 struct conf_addr *out, char *why, size_t whylen);
int parse(const char *text, struct conf **c, struct conf_diag *err,
          struct warns *ws);
struct conf *ok_w(const char *text, struct warns *ws);
struct conf *ok(const char *text);
void fails(const char *text, int line, const char *what);
int has_warning(const struct warns *ws, int line, const char *what);
char *cat(const char *a, const char *b);
const char *srcdir(void);

void conf_rules_tests(Suite *s);

#endif /* COHORT_TEST_CONF_H */
