/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * dsim: the fault scenarios as timed actions drawn from the seed, their
 * application to the running daemons and network, and the options of a
 * run (see dsim.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "dsim_int.h"
#include "simopt.h"

static const char *const scen_names[DSIM_NSCENARIOS] = {
    "steady", "crash", "restart", "partition", "cascade", "token", "random"
};

const char *dsim_scenario_name(int sc)
{
    return sc >= 0 && sc < DSIM_NSCENARIOS ? scen_names[sc] : "?";
}

/* ---- scenarios --------------------------------------------------------------- */

static void add(struct dsim *s, uint64_t t, int kind, int who,
                const unsigned char *comp)
{
    struct dsim_act *a, *v = realloc(s->acts, (s->nacts + 1) * sizeof *v);
    unsigned i;

    if (v == NULL) {
        dsim_fail(s, "out of memory");
        return;
    }
    s->acts = v;
    /* Kept sorted by time; equal times in the order added. */
    for (i = s->nacts; i > 0 && s->acts[i - 1].t > t; i--)
        s->acts[i] = s->acts[i - 1];
    a = &s->acts[i];
    memset(a, 0, sizeof *a);
    a->t = t;
    a->kind = kind;
    a->who = who;
    if (comp)
        memcpy(a->comp, comp, sizeof a->comp);
    s->nacts++;
    if (t > s->heal)
        s->heal = t;
    if (kind != DSIM_A_HEAL && kind != DSIM_A_BLACK_OFF)
        s->res->faults++;
    if (kind == DSIM_A_BLACK_ON)
        s->token_loss = 1;
}

/* A split into 2 or 3 non-empty components. */
static void random_split(struct dsim *s, unsigned char *comp)
{
    unsigned perm[DSIM_MAX_DAEMONS], i, k = 2;

    if (s->n >= 3 && dsim_below(s, 3) == 0)
        k = 3;
    for (i = 0; i < s->n; i++)
        perm[i] = i;
    for (i = s->n - 1; i > 0; i--) {
        unsigned j = dsim_below(s, i + 1), x = perm[i];

        perm[i] = perm[j];
        perm[j] = x;
    }
    memset(comp, 0, DSIM_MAX_DAEMONS);
    for (i = 0; i < s->n; i++)
        comp[perm[i]] = (unsigned char)(i < k ? i : dsim_below(s, k));
}

static int random_victim(struct dsim *s, const unsigned char *dead)
{
    unsigned alive = 0, i, k;

    for (i = 0; i < s->n; i++)
        alive += !dead[i];
    if (alive <= 1)
        return -1;
    k = dsim_below(s, alive);
    for (i = 0; i < s->n; i++)
        if (!dead[i] && k-- == 0)
            return (int)i;
    return -1;
}

/* A restart comes at least 1.5 s after its kill: the new incarnation's
 * membership times (wall seconds) must not repeat the old one's. */
#define RESTART_MIN_MS 1500

static void random_fault(struct dsim *s, uint64_t t, unsigned char *dead,
                         uint64_t *killed_at)
{
    unsigned char comp[DSIM_MAX_DAEMONS];
    unsigned r = dsim_below(s, 6), i;
    int v;

    if (r == 0 && (v = random_victim(s, dead)) >= 0) {
        add(s, t, DSIM_A_KILL, v, NULL);
        dead[v] = 1;
        killed_at[v] = t;
    } else if (r == 1) {
        for (i = 0; i < s->n && !(dead[i] && killed_at[i] + RESTART_MIN_MS
                                               <= t); i++)
            ;
        if (i < s->n) {
            add(s, t, DSIM_A_RESTART, (int)i, NULL);
            dead[i] = 0;
        }
    } else if (r <= 3) {
        random_split(s, comp);
        add(s, t, DSIM_A_SPLIT, 0, comp);
    } else if (r == 4) {
        add(s, t, DSIM_A_HEAL, 0, NULL);
    } else {
        add(s, t, DSIM_A_BLACK_ON, 0, NULL);
        add(s, t + 1500 + dsim_below(s, 1500), DSIM_A_BLACK_OFF, 0, NULL);
    }
}

int dsim_script(struct dsim *s)
{
    unsigned char comp[DSIM_MAX_DAEMONS], dead[DSIM_MAX_DAEMONS];
    uint64_t killed_at[DSIM_MAX_DAEMONS];
    uint64_t t0 = (s->o.segments > 1 ? 7000 : 3000) + dsim_below(s, 2000);
    uint64_t t;
    unsigned i, k;
    int v;

    memset(dead, 0, sizeof dead);
    memset(killed_at, 0, sizeof killed_at);
    s->heal = t0;
    switch (s->o.scenario) {
    case DSIM_STEADY:
        break;
    case DSIM_CRASH:
        k = 1 + dsim_below(s, s->n / 2 ? s->n / 2 : 1);
        for (i = 0; i < k && (v = random_victim(s, dead)) >= 0; i++) {
            add(s, t0 + dsim_below(s, 300), DSIM_A_KILL, v, NULL);
            dead[v] = 1;
        }
        break;
    case DSIM_RESTART:
        k = s->n >= 4 ? 1 + dsim_below(s, 2) : 1;
        for (i = 0; i < k && (v = random_victim(s, dead)) >= 0; i++) {
            t = t0 + dsim_below(s, 1000);
            add(s, t, DSIM_A_KILL, v, NULL);
            add(s, t + RESTART_MIN_MS + dsim_below(s, 4000), DSIM_A_RESTART,
                v, NULL);
            dead[v] = 1;
        }
        break;
    case DSIM_PARTITION:
        random_split(s, comp);
        add(s, t0, DSIM_A_SPLIT, 0, comp);
        add(s, t0 + 4000 + dsim_below(s, 4000), DSIM_A_HEAL, 0, NULL);
        break;
    case DSIM_CASCADE:
        random_split(s, comp);
        add(s, t0, DSIM_A_SPLIT, 0, comp);
        /* Token loss is seen after ~1.25 s, then GATHER, FORM and EVS
         * recovery follow within a few seconds: hit them. */
        t = t0 + 800 + dsim_below(s, 3200);
        k = dsim_below(s, 3);
        if (k == 0 && (v = random_victim(s, dead)) >= 0) {
            add(s, t, DSIM_A_KILL, v, NULL);
        } else if (k == 1) {
            random_split(s, comp);
            add(s, t, DSIM_A_SPLIT, 0, comp);
        } else {
            add(s, t, DSIM_A_HEAL, 0, NULL);
        }
        add(s, t + 2000 + dsim_below(s, 3000), DSIM_A_HEAL, 0, NULL);
        break;
    case DSIM_TOKEN:
        add(s, t0, DSIM_A_BLACK_ON, 0, NULL);
        add(s, t0 + 1500 + dsim_below(s, 1500), DSIM_A_BLACK_OFF, 0, NULL);
        break;
    default:
        k = 2 + dsim_below(s, 4);
        for (i = 0, t = t0; i < k; i++) {
            random_fault(s, t, dead, killed_at);
            t += 200 + dsim_below(s, 3500);
        }
        add(s, t, DSIM_A_HEAL, 0, NULL);
        break;
    }
    /* Sometimes a client is killed too: its group sees DISCONNECT. */
    if (s->o.kill_clients && dsim_below_kill(s, 3) == 0)
        add(s, t0 - 1000 + dsim_below_kill(s, 4000), DSIM_A_CLIENT_KILL, 0,
            NULL);
    /* Traffic goes on a little past the last fault: a merge is started
     * by a foreign packet sooner than by the lookup timer. */
    s->traffic_end = s->heal + 1000;
    return s->failed ? -1 : 0;
}

static void log_split(struct dsim *s, const unsigned char *comp)
{
    char line[256];
    size_t k = 0;
    unsigned c, i;
    int any = 0;

    k += (size_t)snprintf(line, sizeof line, "PARTITION");
    for (c = 0; c < DSIM_MAX_DAEMONS; c++) {
        int first = 1;

        for (i = 0; i < s->n; i++) {
            if (comp[i] != c)
                continue;
            k += (size_t)snprintf(line + k, sizeof line - k, "%s n%u",
                                  first && any ? " |" : "", i);
            first = 0;
            any = 1;
        }
    }
    dsim_timeline(s, "%s", line);
}

/* One of the clients in session now, drawn from the seed. */
static void kill_a_client(struct dsim *s)
{
    unsigned i, n = 0, k;

    for (i = 0; i < s->ncl; i++)
        n += s->cl[i]->state == DC_OPEN;
    if (n == 0)
        return;
    k = dsim_below_kill(s, n);
    for (i = 0; i < s->ncl; i++)
        if (s->cl[i]->state == DC_OPEN && k-- == 0) {
            dsim_client_kill(s->cl[i]);
            return;
        }
}

int dsim_act_apply(struct dsim *s, const struct dsim_act *a)
{
    unsigned i, alive = 0;

    for (i = 0; i < s->n; i++)
        alive += s->d[i].up;
    switch (a->kind) {
    case DSIM_A_KILL:
        if (alive > 1)
            dsim_daemon_kill(s, a->who);
        break;
    case DSIM_A_RESTART:
        return dsim_daemon_up(s, a->who);
    case DSIM_A_SPLIT:
        memcpy(s->comp, a->comp, sizeof s->comp);
        log_split(s, a->comp);
        break;
    case DSIM_A_HEAL:
        memset(s->comp, 0, sizeof s->comp);
        dsim_timeline(s, "HEAL");
        break;
    case DSIM_A_CLIENT_KILL:
        kill_a_client(s);
        break;
    case DSIM_A_BLACK_ON:
        s->blackout = 1;
        dsim_trace(s, "TOKEN LOSS begins");
        break;
    default:
        s->blackout = 0;
        dsim_trace(s, "TOKEN LOSS ends");
        break;
    }
    return 0;
}

/* ---- options ------------------------------------------------------------------- */

void dsim_opts_default(struct dsim_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->daemons = 4;
    o->segments = 1;
    o->scenario = DSIM_PARTITION;
    o->clients = 2;
    o->delay_max_ms = 2;
    o->rate_ms = 150;
    o->max_size = 8000;
    o->services = DSIM_SVC_ALL;
    o->timely = 1;
    o->kill_clients = 1;
    o->settle_ms = 0;           /* 40 s, 70 s with several segments */
}

static const char *const svc_names[6] = {
    "UNRELIABLE", "RELIABLE", "FIFO", "CAUSAL", "AGREED", "SAFE"
};

void dsim_command(const struct dsim_opts *o, char *buf, size_t len)
{
    char svcs[64] = "", pw[40] = "";
    size_t k = 0;
    unsigned i;

    if (o->personal_window)
        snprintf(pw, sizeof pw, " --personal-window %u", o->personal_window);
    for (i = 0; i < 6; i++)
        if (o->services & (1u << i))
            k += (size_t)snprintf(svcs + k, sizeof svcs - k, "%s%s",
                                  k ? "," : "", svc_names[i]);
    snprintf(buf, len,
             "tests/dsim --seed %" PRIu64 " --daemons %u --scenario %s "
             "--segments %u --clients %u --loss %g --dup %g --reorder %g "
             "--delay %u --rate %u --max-size %u --services %s --settle %u "
             "--timely %d --kill-clients %d --icmp %d%s",
             o->seed, o->daemons, dsim_scenario_name(o->scenario),
             o->segments, o->clients, o->loss, o->dup, o->reorder,
             o->delay_max_ms, o->rate_ms, o->max_size, svcs, o->settle_ms,
             o->timely, o->kill_clients, o->icmp, pw);
}

static int parse_services(const char *v, unsigned *out)
{
    char buf[128], *tok, *save = NULL;
    unsigned bits = 0, i;

    if (v == NULL || strlen(v) >= sizeof buf)
        return -1;
    strcpy(buf, v);
    for (tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        for (i = 0; i < 6 && strcmp(tok, svc_names[i]) != 0; i++)
            ;
        if (i == 6)
            return -1;
        bits |= 1u << i;
    }
    if (bits == 0)
        return -1;
    *out = bits;
    return 0;
}

#define DSIM_OPT(name, lo, hi, type, field) \
    { name, lo, hi, type, offsetof(struct dsim_opts, field), scen_names }

int dsim_parse_opt(struct dsim_opts *o, int argc, char **argv, int *i)
{
    static const struct simopt t[] = {
        DSIM_OPT("--seed", 0, 1e18, SIMOPT_U64, seed),
        DSIM_OPT("--daemons", 2, DSIM_MAX_DAEMONS, SIMOPT_UNSIGNED, daemons),
        DSIM_OPT("--segments", 1, 3, SIMOPT_UNSIGNED, segments),
        DSIM_OPT("--clients", 1, DSIM_MAX_CLIENTS, SIMOPT_UNSIGNED, clients),
        DSIM_OPT("--loss", 0, 1, SIMOPT_DOUBLE, loss),
        DSIM_OPT("--dup", 0, 1, SIMOPT_DOUBLE, dup),
        DSIM_OPT("--reorder", 0, 1, SIMOPT_DOUBLE, reorder),
        DSIM_OPT("--delay", 0, 1000, SIMOPT_UNSIGNED, delay_max_ms),
        DSIM_OPT("--rate", 1, 1e6, SIMOPT_UNSIGNED, rate_ms),
        DSIM_OPT("--max-size", 32, SPW_MAX_MESSAGE_BODY_LEN - 64,
                 SIMOPT_UNSIGNED, max_size),
        DSIM_OPT("--settle", 0, 1e9, SIMOPT_UNSIGNED, settle_ms),
        DSIM_OPT("--timely", 0, 1, SIMOPT_INT, timely),
        DSIM_OPT("--kill-clients", 0, 1, SIMOPT_INT, kill_clients),
        DSIM_OPT("--icmp", 0, 1, SIMOPT_INT, icmp),
        DSIM_OPT("--personal-window", 0, 32767, SIMOPT_UNSIGNED,
                 personal_window),
        DSIM_OPT("--scenario", 0, DSIM_NSCENARIOS - 1, SIMOPT_CHOICE,
                 scenario),
    };
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;

    if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
        o->verbose = 1;
        (*i)++;
        return 0;
    }
    if (!strcmp(a, "--services")) {
        if (parse_services(v, &o->services) < 0)
            return -1;
        *i += 2;
        return 0;
    }
    if (!strcmp(a, "--logs") && v) {
        o->logs_dir = v;
        *i += 2;
        return 0;
    }
    return simopt_number(t, sizeof t / sizeof t[0], o, argc, argv, i) == 1
               ? 0 : -1;
}

void dsim_opts_sweep(struct dsim_opts *o, uint64_t k)
{
    static const double losses[] = { 0, 0.01, 0.03, 0.08 };

    dsim_opts_default(o);
    o->seed = k + 1;
    o->scenario = (int)(k % DSIM_NSCENARIOS);
    o->daemons = 2 + (unsigned)((k / DSIM_NSCENARIOS) % 7);
    if (k % 11 == 10)
        o->daemons = 9 + (unsigned)(k % 8);
    o->segments = k % 13 == 5 && o->daemons >= 4 ? 2 : 1;
    o->clients = o->daemons > 8 ? 1 : 1 + (unsigned)(k % 2);
    o->loss = losses[(k / 3) % 4];
    o->dup = k % 5 == 0 ? 0.02 : 0;
    o->reorder = k % 4 == 1 ? 0.05 : 0;
    o->delay_max_ms = 1 + (unsigned)(k % 3);
    o->rate_ms = 100 + (unsigned)(k % 5) * 50;
    o->max_size = k % 9 == 0 ? 60000 : 4000;
    o->services = DSIM_SVC_ALL;
    /* Every third run with upstream's flow control (both sides of a
     * mixed ring, and the bursts of the scenarios found before Cohort's
     * default changed). */
    o->personal_window = k % 3 == 2 ? 20 : 0;
}
