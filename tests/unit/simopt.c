/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * simopt: shared option parsing of the simulators (simopt.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simopt.h"

static int number(const char *v, double lo, double hi, int whole,
                  double *out)
{
    char *end;
    double x;

    if (v == NULL)
        return -1;
    x = strtod(v, &end);
    if (end == v || *end != '\0' || !(x >= lo && x <= hi) ||
        (whole && x != (double)(long long)x))
        return -1;
    *out = x;
    return 0;
}

int simopt_number(const struct simopt *t, size_t n, void *opts, int argc,
                  char **argv, int *i)
{
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    char *field;
    size_t k;
    double x;

    for (k = 0; k < n && strcmp(argv[*i], t[k].name) != 0; k++)
        ;
    if (k == n)
        return 0;
    if (t[k].type == SIMOPT_CHOICE) {
        int c = simopt_choice(v, t[k].names, (int)t[k].hi + 1);
        if (c < 0)
            return -1;
        x = c;
    } else if (number(v, t[k].lo, t[k].hi, t[k].type != SIMOPT_DOUBLE,
                      &x) < 0) {
        return -1;
    }
    field = (char *)opts + t[k].offset;
    switch (t[k].type) {
    case SIMOPT_U64: {
        uint64_t u = (uint64_t)x;
        memcpy(field, &u, sizeof u);
        break;
    }
    case SIMOPT_UNSIGNED: {
        unsigned u = (unsigned)x;
        memcpy(field, &u, sizeof u);
        break;
    }
    case SIMOPT_INT:
    case SIMOPT_CHOICE: {
        int s = (int)x;
        memcpy(field, &s, sizeof s);
        break;
    }
    case SIMOPT_DOUBLE:
        memcpy(field, &x, sizeof x);
        break;
    }
    *i += 2;
    return 1;
}

int simopt_choice(const char *v, const char *const *names, int n)
{
    int k;

    for (k = 0; v != NULL && k < n; k++)
        if (strcmp(v, names[k]) == 0)
            return k;
    return -1;
}
