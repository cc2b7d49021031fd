/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evssim: the simulated clients (messages with a payload id and a
 * pattern), the fault scenarios as timed actions drawn from the seed,
 * and the options of a run (see evssim.h).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "ring/node.h"
#include "ring/pkt.h"
#include "sp.h"
#include "evslog.h"
#include "evssim.h"
#include "simopt.h"
#include "evssim_int.h"

static const char *const scen_names[EVSSIM_NSCENARIOS] = {
    "steady", "crash", "restart", "partition", "cascade", "token", "random"
};

const char *evssim_scenario_name(int sc)
{
    return sc >= 0 && sc < EVSSIM_NSCENARIOS ? scen_names[sc] : "?";
}

/* ---- messages ------------------------------------------------------------ */

static unsigned char pattern(uint64_t pid, size_t j)
{
    return (unsigned char)(pid * 131u + j * 7u + (j >> 8));
}

static size_t pick_size(struct esim *s)
{
    unsigned r = simnet_below(&s->net, 100);
    size_t len;

    if (r < 65)
        len = ESIM_MIN_MSG + simnet_below(&s->net, 300);
    else if (r < 90)
        len = 400 + simnet_below(&s->net, 3000);
    else if (r < 98)
        len = 3400 + simnet_below(&s->net, 12000);
    else
        len = s->o.max_size / 2 + simnet_below(&s->net, s->o.max_size / 2 + 1);
    if (len > s->o.max_size)
        len = s->o.max_size;
    return len < ESIM_MIN_MSG ? ESIM_MIN_MSG : len;
}

/* Message `pid` of `len` bytes as its client serialises it into s->buf;
 * returns the length, 0 on failure. */
static size_t build_msg(struct esim *s, const struct esim_node *d,
                        uint64_t pid, size_t len, uint32_t svc, int causal)
{
    static const char group[PKT_GROUP_NAME] = "g";
    unsigned char *data = s->enc;
    size_t j, dlen = len - PKT_MSG_HEADER_LEN - PKT_GROUP_NAME;
    uint32_t magic = ESIM_MAGIC, l32 = (uint32_t)len;
    struct pkt_msg m;
    int rc;

    memset(&m, 0, sizeof(m));
    m.type = svc == PKT_RELIABLE ? RELIABLE_MESS
           : svc == PKT_FIFO ? FIFO_MESS
           : svc == PKT_AGREED ? (causal ? CAUSAL_MESS : AGREED_MESS)
           : SAFE_MESS;
    snprintf(m.sender, sizeof(m.sender), "#c%u#n%d", d->inc, d->idx);
    m.num_groups = 1;
    m.data_len = (int32_t)dlen;
    m.groups = (const unsigned char *)group;
    m.data = data;
    memcpy(data, &magic, 4);
    memcpy(data + 4, &pid, 8);
    memcpy(data + 12, &l32, 4);
    for (j = 16; j < dlen; j++)
        data[j] = pattern(pid, j);
    rc = pkt_msg_encode(&m, d->order, s->buf, ESIM_MAX_MSG);
    return rc < 0 ? 0 : (size_t)rc;
}

int esim_msg_check(struct esim *s, const unsigned char *msg, size_t len,
                   uint64_t *pid)
{
    struct pkt_msg m;
    uint32_t magic, l32;
    size_t j;

    (void)s;
    if (pkt_msg_decode(msg, len, &m) < 0 || m.data_len < 16 ||
        pkt_msg_len(&m) != len)
        return -1;
    memcpy(&magic, m.data, 4);
    memcpy(pid, m.data + 4, 8);
    memcpy(&l32, m.data + 12, 4);
    if (magic != ESIM_MAGIC || l32 != len)
        return -1;
    for (j = 16; j < (size_t)m.data_len; j++)
        if (m.data[j] != pattern(*pid, j))
            return -1;
    return 0;
}

/* ---- clients --------------------------------------------------------------- */

static void client_next(struct esim *s, int i, uint64_t at, int retry)
{
    struct simnet_ev e;

    memset(&e, 0, sizeof(e));
    e.t = at;
    e.kind = ESIM_SUBMIT;
    e.to = i;
    e.arg = s->d[i].inc;
    e.token_port = retry;
    if (retry)
        s->d[i].retry_pending = 1;
    esim_push(s, e);
}

int esim_client_start(struct esim *s, int i)
{
    client_next(s, i, s->now + simnet_below(&s->net, s->o.rate_ms + 1), 0);
    return s->failed ? -ENOMEM : 0;
}

void esim_client_run(struct esim *s, const struct simnet_ev *e)
{
    static const uint32_t svcs[] = {
        PKT_RELIABLE, PKT_FIFO, PKT_AGREED, PKT_SAFE
    };
    struct esim_node *d = &s->d[e->to];
    uint64_t pid;
    uint32_t svc;
    size_t len;
    int rc;

    if (!d->up || e->arg != d->inc || s->now >= s->traffic_end)
        return;
    if (e->token_port)
        d->retry_pending = 0;
    else if (d->retry_pending)
        return;                 /* the retry will carry on */
    if (node_send_space(d->node) == 0 ||
        (s->o.window && d->accepted - d->self_got >= s->o.window)) {
        client_next(s, e->to, s->now + ESIM_RETRY_MS, 1);
        return;
    }
    pid = ESIM_PID(d->idx, d->inc, d->ctr);
    svc = svcs[simnet_below(&s->net, 4)];
    len = build_msg(s, d, pid, pick_size(s), svc, (int)simnet_below(&s->net, 2));
    if (!len) {
        esim_fail(s, "n%d: message does not encode", d->idx);
        return;
    }
    rc = node_submit(d->node, s->buf, len, svc);
    if (rc < 0) {
        esim_fail(s, "n%d: node_submit (%zu bytes, space %u): %d", d->idx,
                  len, node_send_space(d->node), rc);
        return;
    }
    esim_trace(s, "n%d submit %#" PRIx64 " svc %#x len %zu", d->idx, pid,
               (unsigned)svc, len);
    if (evslog_sent(s->log, d->log, pid, svc) < 0)
        esim_fail(s, "out of memory");
    d->ctr++;
    d->accepted++;
    s->res->submitted++;
    client_next(s, e->to, s->now + 1 + simnet_below(&s->net, 2 * s->o.rate_ms), 0);
}

/* ---- scenarios ---------------------------------------------------------------- */

static void add(struct esim *s, uint64_t t, int kind, int who,
                const unsigned char *comp)
{
    struct esim_act *a;
    struct simnet_ev e;
    void *p = realloc(s->acts, (s->nacts + 1) * sizeof(*s->acts));

    if (!p) {
        esim_fail(s, "out of memory");
        return;
    }
    s->acts = p;
    a = &s->acts[s->nacts];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->who = who;
    if (comp)
        memcpy(a->comp, comp, sizeof(a->comp));
    memset(&e, 0, sizeof(e));
    e.t = t;
    e.kind = ESIM_ACT;
    e.arg = s->nacts++;
    esim_push(s, e);
    if (t > s->heal)
        s->heal = t;
    if (kind != ESIM_HEAL && kind != ESIM_BLACK_OFF)
        s->res->faults++;
}

/* A split into 2 or 3 non-empty components. */
static void random_split(struct esim *s, unsigned char *comp)
{
    unsigned perm[EVSSIM_MAX_DAEMONS], i, k = 2;

    if (s->n >= 3 && simnet_below(&s->net, 3) == 0)
        k = 3;
    for (i = 0; i < s->n; i++)
        perm[i] = i;
    for (i = s->n - 1; i > 0; i--) {
        unsigned j = simnet_below(&s->net, i + 1), x = perm[i];

        perm[i] = perm[j];
        perm[j] = x;
    }
    memset(comp, 0, EVSSIM_MAX_DAEMONS);
    for (i = 0; i < s->n; i++)
        comp[perm[i]] = (unsigned char)(i < k ? i : simnet_below(&s->net, k));
}

static int random_victim(struct esim *s, const unsigned char *dead)
{
    unsigned alive = 0, i, k;

    for (i = 0; i < s->n; i++)
        alive += !dead[i];
    if (alive <= 1)
        return -1;
    k = simnet_below(&s->net, alive);
    for (i = 0; i < s->n; i++)
        if (!dead[i] && k-- == 0)
            return (int)i;
    return -1;
}

/* One fault of the random scenario at time t; dead[] tracks victims. */
static uint64_t random_fault(struct esim *s, uint64_t t, unsigned char *dead)
{
    unsigned char comp[EVSSIM_MAX_DAEMONS];
    unsigned r = simnet_below(&s->net, 6), i;
    int v;

    if (r == 0 && (v = random_victim(s, dead)) >= 0) {
        add(s, t, ESIM_KILL, v, NULL);
        dead[v] = 1;
    } else if (r == 1) {
        for (i = 0; i < s->n && !dead[i]; i++)
            ;
        if (i < s->n) {
            add(s, t, ESIM_RESTART, (int)i, NULL);
            dead[i] = 0;
        }
    } else if (r <= 3) {
        random_split(s, comp);
        add(s, t, ESIM_SPLIT, 0, comp);
    } else if (r == 4) {
        add(s, t, ESIM_HEAL, 0, NULL);
    } else {
        uint64_t len = 1500 + simnet_below(&s->net, 1500);

        add(s, t, ESIM_BLACK_ON, 0, NULL);
        add(s, t + len, ESIM_BLACK_OFF, 0, NULL);
    }
    return t;
}

int esim_script(struct esim *s)
{
    unsigned char comp[EVSSIM_MAX_DAEMONS], dead[EVSSIM_MAX_DAEMONS];
    uint64_t t0 = (s->o.segments > 1 ? 7000 : 3000) + simnet_below(&s->net, 2000);
    uint64_t t;
    unsigned i, k;
    int v;

    memset(dead, 0, sizeof(dead));
    s->heal = t0;
    switch (s->o.scenario) {
    case EVSSIM_STEADY:
        break;
    case EVSSIM_CRASH:
        k = 1 + simnet_below(&s->net, s->n / 2 ? s->n / 2 : 1);
        for (i = 0; i < k && (v = random_victim(s, dead)) >= 0; i++) {
            add(s, t0 + simnet_below(&s->net, 300), ESIM_KILL, v, NULL);
            dead[v] = 1;
        }
        break;
    case EVSSIM_RESTART:
        k = s->n >= 4 ? 1 + simnet_below(&s->net, 2) : 1;
        for (i = 0; i < k && (v = random_victim(s, dead)) >= 0; i++) {
            t = t0 + simnet_below(&s->net, 1000);
            add(s, t, ESIM_KILL, v, NULL);
            add(s, t + 200 + simnet_below(&s->net, 4000), ESIM_RESTART, v, NULL);
            dead[v] = 1;
        }
        break;
    case EVSSIM_PARTITION:
        random_split(s, comp);
        add(s, t0, ESIM_SPLIT, 0, comp);
        add(s, t0 + 4000 + simnet_below(&s->net, 4000), ESIM_HEAL, 0, NULL);
        break;
    case EVSSIM_CASCADE:
        random_split(s, comp);
        add(s, t0, ESIM_SPLIT, 0, comp);
        /* Token loss is seen after ~1.25 s, then SEG, GATHER, FORM and
         * EVS follow within ~3.5 s: hit them. */
        t = t0 + 800 + simnet_below(&s->net, 3200);
        k = simnet_below(&s->net, 3);
        if (k == 0 && (v = random_victim(s, dead)) >= 0) {
            add(s, t, ESIM_KILL, v, NULL);
        } else if (k == 1) {
            random_split(s, comp);
            add(s, t, ESIM_SPLIT, 0, comp);
        } else {
            add(s, t, ESIM_HEAL, 0, NULL);
        }
        add(s, t + 2000 + simnet_below(&s->net, 3000), ESIM_HEAL, 0, NULL);
        break;
    case EVSSIM_TOKEN:
        add(s, t0, ESIM_BLACK_ON, 0, NULL);
        add(s, t0 + 1500 + simnet_below(&s->net, 1500), ESIM_BLACK_OFF, 0, NULL);
        break;
    default:
        k = 2 + simnet_below(&s->net, 4);
        for (i = 0, t = t0; i < k; i++)
            t = random_fault(s, t, dead) + 200 + simnet_below(&s->net, 3500);
        add(s, t, ESIM_HEAL, 0, NULL);
        break;
    }
    /* Traffic goes on a little past the last fault: a merge is started
     * by a foreign packet sooner than by the lookup timer. */
    s->traffic_end = s->heal + 1000;
    return s->failed ? -ENOMEM : 0;
}

void esim_act(struct esim *s, const struct simnet_ev *e)
{
    const struct esim_act *a = &s->acts[e->arg];
    unsigned i, alive = 0;

    for (i = 0; i < s->n; i++)
        alive += s->d[i].up;
    switch (a->kind) {
    case ESIM_KILL:
        if (alive > 1)
            esim_node_kill(s, a->who);
        break;
    case ESIM_RESTART:
        esim_node_up(s, a->who);
        break;
    case ESIM_SPLIT:
        memcpy(s->comp, a->comp, sizeof(s->comp));
        esim_trace(s, "SPLIT");
        break;
    case ESIM_HEAL:
        memset(s->comp, 0, sizeof(s->comp));
        esim_trace(s, "HEAL");
        break;
    case ESIM_BLACK_ON:
        s->blackout = 1;
        esim_trace(s, "TOKEN BLACKOUT");
        break;
    default:
        s->blackout = 0;
        esim_trace(s, "TOKEN BLACKOUT ENDS");
        break;
    }
}

/* ---- options ---------------------------------------------------------------------- */

void evssim_opts_default(struct evssim_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->daemons = 4;
    o->segments = 1;
    o->scenario = EVSSIM_PARTITION;
    o->delay_max_ms = 2;
    o->rate_ms = 100;
    o->max_size = 20000;
    o->window = EVSSIM_WINDOW;
    o->settle_ms = 0;           /* 40 s, 70 s with several segments */
}

void evssim_command(const struct evssim_opts *o, char *buf, size_t len)
{
    char pw[40] = "";

    if (o->personal_window)
        snprintf(pw, sizeof pw, " --personal-window %u", o->personal_window);
    snprintf(buf, len,
             "tests/evssim --seed %" PRIu64 " --daemons %u --scenario %s "
             "--segments %u --loss %g --dup %g --reorder %g --delay %u "
             "--rate %u --max-size %u --window %u --settle %u%s%s",
             o->seed, o->daemons, evssim_scenario_name(o->scenario),
             o->segments, o->loss, o->dup, o->reorder, o->delay_max_ms,
             o->rate_ms, o->max_size, o->window, o->settle_ms,
             o->lenient_reliable ? " --lenient-reliable" : "", pw);
}

#define EVSSIM_OPT(name, lo, hi, type, field) \
    { name, lo, hi, type, offsetof(struct evssim_opts, field), scen_names }

int evssim_parse_opt(struct evssim_opts *o, int argc, char **argv, int *i)
{
    static const struct simopt t[] = {
        EVSSIM_OPT("--seed", 0, 1e18, SIMOPT_U64, seed),
        EVSSIM_OPT("--daemons", 2, EVSSIM_MAX_DAEMONS, SIMOPT_UNSIGNED,
                   daemons),
        EVSSIM_OPT("--segments", 1, 3, SIMOPT_UNSIGNED, segments),
        EVSSIM_OPT("--loss", 0, 1, SIMOPT_DOUBLE, loss),
        EVSSIM_OPT("--dup", 0, 1, SIMOPT_DOUBLE, dup),
        EVSSIM_OPT("--reorder", 0, 1, SIMOPT_DOUBLE, reorder),
        EVSSIM_OPT("--delay", 0, 1000, SIMOPT_UNSIGNED, delay_max_ms),
        EVSSIM_OPT("--rate", 1, 1e6, SIMOPT_UNSIGNED, rate_ms),
        EVSSIM_OPT("--max-size", ESIM_MIN_MSG, ESIM_MAX_MSG,
                   SIMOPT_UNSIGNED, max_size),
        EVSSIM_OPT("--settle", 0, 1e9, SIMOPT_UNSIGNED, settle_ms),
        EVSSIM_OPT("--window", 0, 1e6, SIMOPT_UNSIGNED, window),
        EVSSIM_OPT("--personal-window", 0, 32767, SIMOPT_UNSIGNED,
                   personal_window),
        EVSSIM_OPT("--scenario", 0, EVSSIM_NSCENARIOS - 1, SIMOPT_CHOICE,
                   scenario),
    };
    const char *a = argv[*i];

    if (!strcmp(a, "--lenient-reliable")) {
        o->lenient_reliable = 1;
        (*i)++;
        return 0;
    }
    if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
        o->verbose = 1;
        (*i)++;
        return 0;
    }
    return simopt_number(t, sizeof t / sizeof t[0], o, argc, argv, i) == 1
               ? 0 : -1;
}

void evssim_opts_sweep(struct evssim_opts *o, uint64_t k)
{
    static const double losses[] = { 0, 0.01, 0.03, 0.05, 0.08, 0.1 };

    evssim_opts_default(o);
    o->seed = k + 1;
    o->scenario = (int)(k % EVSSIM_NSCENARIOS);
    o->daemons = 2 + (unsigned)((k / EVSSIM_NSCENARIOS) % 7);
    if (k % 11 == 10)
        o->daemons = 9 + (unsigned)(k % 8);
    /* Several segments (wide-area timeouts) one run in six or so. */
    if (k % 13 == 5 && o->daemons >= 4)
        o->segments = 2;
    else if (k % 17 == 8 && o->daemons >= 3)
        o->segments = 3;
    o->loss = losses[(k / 3) % 6];
    o->dup = k % 5 == 0 ? 0.02 : 0;
    o->reorder = k % 4 == 1 ? 0.05 : 0;
    o->delay_max_ms = 1 + (unsigned)(k % 3);
    o->rate_ms = 60 + (unsigned)(k % 5) * 40;
    o->max_size = k % 9 == 0 ? 140000 : 12000;
    /* Every third run with upstream's flow control (see dsim). */
    o->personal_window = k % 3 == 2 ? 20 : 0;
}
