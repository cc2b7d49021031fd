/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evssim: whole ring nodes over a seeded fake network with membership
 * changes (see evssim.h). Time is simulated in milliseconds; the next
 * step is always the earliest of the pending events (datagrams, client
 * submissions, scenario actions, ordered by time, then by insertion:
 * simnet.h) and the live nodes' deadlines, so a run depends on its
 * options only. The scenarios and options are in evssim_scen.c.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "ring/node.h"
#include "ring/pkt.h"
#include "sp.h"
#include "evslog.h"
#include "evssim.h"
#include "evssim_int.h"

#define SIM_MONO0 (1000000ull)              /* ms; a booted host */
#define SIM_WALL0 (1796598803ll)            /* s */
#define SIM_RESTART_AHEAD_S 1000            /* wall jump per restart */

/* ---- failures and the event queue ------------------------------------- */

void esim_fail(struct esim *s, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (s->failed)
        return;
    s->failed = 1;
    k = snprintf(s->res->why, sizeof(s->res->why), "t=%" PRIu64 ": ",
                 s->now);
    va_start(ap, fmt);
    vsnprintf(s->res->why + k, sizeof(s->res->why) - (size_t)k, fmt, ap);
    va_end(ap);
}

void esim_trace(struct esim *s, const char *fmt, ...)
{
    va_list ap;

    if (!s->o.verbose)
        return;
    fprintf(stderr, "%7" PRIu64 " ", s->now);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int esim_push(struct esim *s, struct simnet_ev e)
{
    if (simnet_push(&s->net, e) < 0) {
        esim_fail(s, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

/* ---- clocks ---------------------------------------------------------------- */

static uint64_t clk_mono(const struct clock *c)
{
    const struct esim_clock *k = (const struct esim_clock *)c;

    return (SIM_MONO0 + k->s->now) * CLOCK_NS_PER_MS;
}

static int64_t clk_wall(const struct clock *c)
{
    const struct esim_clock *k = (const struct esim_clock *)c;

    return (SIM_WALL0 + k->ahead_s) * CLOCK_NS_PER_S +
           (int64_t)k->s->now * CLOCK_NS_PER_MS;
}

static const struct clock_ops clk_ops = { clk_mono, clk_wall };

/* ---- network ----------------------------------------------------------------- */

static int index_of(const struct esim *s, uint32_t id)
{
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (s->conf->daemons[i].id == id)
            return (int)i;
    return -1;
}

/* One copy towards daemon `to`: partitions and blackout here, then loss,
 * duplication, delay and reordering (simnet), per receiver. */
static void net_one(struct esim *s, int from, int to, enum pkt_kind kind,
                    const unsigned char *b, size_t len)
{
    s->res->datagrams++;
    if (s->comp[from] != s->comp[to] || (kind == PKT_KIND_TOKEN &&
                                         s->blackout))
        return;
    if (simnet_send(&s->net, s->now, ESIM_DGRAM, from, to,
                    pkt_kind_on_token_port(kind), s->o.loss, b, len) < 0)
        esim_fail(s, "out of memory");
}

static void op_send(void *ctx, enum node_dest how, uint32_t to,
                    const struct pkt *p, unsigned copies)
{
    struct esim_node *d = ctx;
    struct esim *s = d->s;
    int len = pkt_encode(p, d->order, s->enc, PKT_MAX_DATAGRAM);
    unsigned c, j;

    if (len < 0) {
        esim_fail(s, "n%d: %s does not encode: %s", d->idx,
                  pkt_kind_name(p->kind), pkt_strerror(len));
        return;
    }
    for (c = 0; c < copies; c++) {
        if (how == NODE_DEST_DAEMON) {
            int k = index_of(s, to);

            if (k < 0 || k == d->idx)
                esim_fail(s, "n%d: %s sent to %#x", d->idx,
                          pkt_kind_name(p->kind), (unsigned)to);
            else
                net_one(s, d->idx, k, p->kind, s->enc, (size_t)len);
            continue;
        }
        if (how == NODE_DEST_SEGMENT &&
            (to >= (uint32_t)s->conf->n_segments)) {
            esim_fail(s, "n%d: broadcast to segment %u", d->idx,
                      (unsigned)to);
            return;
        }
        for (j = 0; j < s->n; j++) {
            int seg = how == NODE_DEST_SEGMENT ? (int)to
                      : s->conf->daemons[d->idx].segment;

            if ((int)j != d->idx && s->conf->daemons[j].segment == seg)
                net_one(s, d->idx, (int)j, p->kind, s->enc, (size_t)len);
        }
    }
}

static void receive(struct esim *s, const struct simnet_ev *e)
{
    struct esim_node *d = &s->d[e->to];
    int rc;

    if (!d->up)
        return;
    memset(s->pkt, 0, sizeof(*s->pkt));
    rc = pkt_decode(e->bytes, e->len, s->pkt);
    if (rc < 0)
        esim_fail(s, "n%d: undecodable datagram: %s", e->to,
                  pkt_strerror(rc));
    else if (pkt_kind_on_token_port(s->pkt->kind) != e->token_port)
        esim_fail(s, "n%d: %s on the wrong port", e->to,
                  pkt_kind_name(s->pkt->kind));
    else
        node_receive(d->node, s->pkt, e->token_port);
}

/* ---- deliveries and views ---------------------------------------------------- */

static void op_deliver(void *ctx, uint32_t originator,
                       const unsigned char *msg, size_t len, uint32_t svc)
{
    struct esim_node *d = ctx;
    struct esim *s = d->s;
    uint64_t pid;
    int rc = esim_msg_check(s, msg, len, &pid);

    if (rc < 0) {
        esim_fail(s, "n%d: delivered %zu bytes from %#x that no client "
                  "sent (or corrupt)", d->idx, len, (unsigned)originator);
        return;
    }
    esim_trace(s, "n%d deliver %#" PRIx64 " from %#x svc %#x", d->idx, pid,
               (unsigned)originator, (unsigned)svc);
    if (evslog_deliver(s->log, d->log, originator, pid, svc) < 0)
        esim_fail(s, "out of memory");
    s->res->delivered++;
    d->since_reg++;
    if (ESIM_PID_NODE(pid) == (unsigned)d->idx &&
        ESIM_PID_INC(pid) == d->inc)
        d->self_got++;
}

static void op_view(void *ctx, const struct node_view *v)
{
    struct esim_node *d = ctx;
    struct esim *s = d->s;
    struct evslog_view ev;
    unsigned i;

    memset(&ev, 0, sizeof(ev));
    ev.transitional = v->transitional;
    ev.id = v->id.id;
    ev.time = v->id.time;
    ev.n = v->n < EVSLOG_MAX_MEMBERS ? v->n : EVSLOG_MAX_MEMBERS;
    for (i = 0; i < ev.n; i++)
        ev.ids[i] = v->ids[i];
    esim_trace(s, "n%d %s view %#x.%d of %u", d->idx,
               v->transitional ? "TRANS" : "REG", (unsigned)v->id.id,
               (int)v->id.time, v->n);
    if (evslog_view(s->log, d->log, &ev) < 0)
        esim_fail(s, "n%d: view of %u members not logged", d->idx, v->n);
    s->res->views++;
    d->in_trans = v->transitional;
    if (!v->transitional) {
        d->have_reg = 1;
        d->reg = v->id;
        d->reg_n = v->n;
        d->since_reg = 0;
    }
}

static void op_event(void *ctx, int level, const char *text)
{
    struct esim_node *d = ctx;

    (void)level;
    esim_trace(d->s, "n%d %s", d->idx, text);
}

static const struct node_ops sim_ops = {
    .send = op_send,
    .deliver = op_deliver,
    .view = op_view,
    .event = op_event,
};

/* ---- nodes ----------------------------------------------------------------------- */

int esim_node_up(struct esim *s, int i)
{
    struct esim_node *d = &s->d[i];
    struct node_cfg cfg;
    int l;

    if (d->up)
        return 0;
    d->s = s;
    d->idx = i;
    d->inc++;
    d->clk.clock.ops = &clk_ops;
    d->clk.s = s;
    d->clk.ahead_s = (int64_t)(d->inc - 1) * SIM_RESTART_AHEAD_S;
    d->order = ((s->o.seed + (unsigned)i + d->inc) & 1) ? PKT_ORDER_BE
                                                         : PKT_ORDER_LE;
    d->have_reg = d->in_trans = 0;
    d->since_reg = d->accepted = d->self_got = 0;
    d->ctr = 0;
    l = evslog_open(s->log, s->conf->daemons[i].id);
    if (l < 0)
        return -ENOMEM;
    d->log = l;
    cfg.conf = s->conf;
    cfg.self = i;
    cfg.clock = &d->clk.clock;
    if (node_new(&d->node, &cfg, &sim_ops, d) < 0) {
        esim_fail(s, "n%d: node_new failed", i);
        return -ENOMEM;
    }
    d->up = 1;
    s->res->incarnations++;
    esim_trace(s, "n%d START (incarnation %u)", i, d->inc);
    node_start(d->node);
    return esim_client_start(s, i);
}

void esim_node_kill(struct esim *s, int i)
{
    struct esim_node *d = &s->d[i];

    if (!d->up)
        return;
    esim_trace(s, "n%d KILL", i);
    node_free(d->node);
    d->node = NULL;
    d->up = 0;
    evslog_killed(s->log, d->log);
}

/* ---- the run ------------------------------------------------------------------------ */

static int make_conf(struct esim *s)
{
    char *text = malloc(8192);
    size_t len = 0;
    unsigned seg, i = 0;
    struct conf_diag err;
    int rc;

    if (!text)
        return -ENOMEM;
    /* Daemons spread evenly, in order, none of the segments empty. */
    for (seg = 0; seg < s->o.segments; seg++) {
        unsigned k;

        len += (size_t)snprintf(text + len, 8192 - len,
                                "Spread_Segment 10.7.%u.255:4803 {\n", seg);
        for (k = 0; i < s->n && i * s->o.segments / s->n == seg; k++, i++)
            len += (size_t)snprintf(text + len, 8192 - len,
                                    "  n%u 10.7.%u.%u\n", i, seg, k + 1);
        len += (size_t)snprintf(text + len, 8192 - len, "}\n");
    }
    if (s->o.personal_window)
        len += (size_t)snprintf(text + len, 8192 - len,
                                "PersonalWindow = %u\n", s->o.personal_window);
    rc = conf_parse_text(text, len, "evssim.conf", &s->conf, &err, NULL,
                         NULL);
    if (rc < 0)
        esim_fail(s, "configuration: %s", err.reason);
    free(text);
    return rc < 0 ? -EINVAL : 0;
}

static uint64_t next_deadline(const struct esim *s)
{
    uint64_t t = UINT64_MAX;
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (s->d[i].up) {
            uint64_t x = node_next_deadline(s->d[i].node);

            if (x < SIM_MONO0)
                x = SIM_MONO0;
            x -= SIM_MONO0;
            if (x < t)
                t = x;
        }
    return t;
}

/* Every live node in OP in one ring of all live nodes, clients done and
 * every accepted message delivered by its sender. */
static int converged(const struct esim *s)
{
    const struct esim_node *first = NULL;
    unsigned i, live = 0;

    if (s->now < s->traffic_end || s->blackout)
        return 0;
    for (i = 0; i < s->n; i++)
        live += s->d[i].up;
    for (i = 0; i < s->n; i++) {
        const struct esim_node *d = &s->d[i];
        struct node_status st;

        if (!d->up)
            continue;
        node_status(d->node, &st);
        if (!d->have_reg || d->in_trans || d->reg_n != live ||
            st.state != 1 || d->self_got != d->accepted)
            return 0;
        if (!first)
            first = d;
        else if (d->reg.id != first->reg.id ||
                 d->reg.time != first->reg.time ||
                 d->since_reg != first->since_reg)
            return 0;
    }
    return 1;
}

static void step(struct esim *s, uint64_t end)
{
    enum simnet_next next = simnet_next(&s->net, next_deadline(s), end,
                                        &s->now);
    unsigned i;

    if (next == SIMNET_END)
        return;
    if (next == SIMNET_TIMERS) {
        for (i = 0; i < s->n; i++)
            if (s->d[i].up &&
                node_next_deadline(s->d[i].node) <= SIM_MONO0 + s->now)
                node_tick(s->d[i].node);
        return;
    }
    {
        struct simnet_ev e = simnet_pop(&s->net);

        if (e.kind == ESIM_DGRAM)
            receive(s, &e);
        else if (e.kind == ESIM_SUBMIT)
            esim_client_run(s, &e);
        else
            esim_act(s, &e);
        free(e.bytes);
    }
}

static void final_checks(struct esim *s)
{
    int live[EVSSIM_MAX_DAEMONS];
    unsigned i, n = 0;
    char why[512];
    int rc = evslog_check(s->log, why, sizeof(why));
    struct evslog_stats st;

    evslog_stats(s->log, &st);
    s->res->regular_confs = st.regular_confs;
    if (rc < 0) {
        esim_fail(s, "out of memory");
        return;
    }
    if (rc) {
        s->res->mask = (unsigned)rc;
        esim_fail(s, "%s", why);
        return;
    }
    for (i = 0; i < s->n; i++)
        if (s->d[i].up)
            live[n++] = s->d[i].log;
    rc = evslog_check_live(s->log, live, n, why, sizeof(why));
    if (rc) {
        s->res->mask = rc < 0 ? 0 : (unsigned)rc;
        esim_fail(s, "%s (after the last fault at %" PRIu64 " ms, within "
                  "%u ms)", why, s->heal, s->o.settle_ms);
    } else if (!s->res->converge_ms) {
        esim_fail(s, "liveness: no single ring of all live nodes with "
                  "everything delivered within %u ms of the last fault "
                  "(at %" PRIu64 " ms)", s->o.settle_ms, s->heal);
    }
}

static void sim_free(struct esim *s)
{
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (s->d[i].up)
            node_free(s->d[i].node);
    simnet_fini(&s->net);
    free(s->acts);
    free(s->enc);
    free(s->buf);
    free(s->pkt);
    evslog_free(s->log);
    if (s->conf)
        conf_free(s->conf);
}

static void run(struct esim *s)
{
    uint64_t end, next_probe = 0;
    unsigned i;

    for (i = 0; i < s->n && !s->failed; i++)
        esim_node_up(s, (int)i);
    end = s->heal + s->o.settle_ms;
    while (!s->failed && s->now < end) {
        step(s, end);
        if (s->now >= s->heal && s->now >= next_probe) {
            next_probe = s->now + 50;
            if (converged(s)) {
                s->res->converge_ms = s->now;
                break;
            }
        }
    }
    if (!s->failed)
        final_checks(s);
}

int evssim_run(const struct evssim_opts *o, struct evssim_result *res)
{
    struct esim *s = calloc(1, sizeof(*s));

    memset(res, 0, sizeof(*res));
    if (!s) {
        snprintf(res->why, sizeof(res->why), "out of memory");
        return -1;
    }
    s->o = *o;
    if (!s->o.settle_ms)    /* WAN timeouts: LookupTimeout 45 s */
        s->o.settle_ms = o->segments > 1 ? 70000 : 40000;
    s->res = res;
    simnet_init(&s->net, o->seed * 0x2545f4914f6cdd1dull + 7, o->dup,
                o->reorder, o->delay_max_ms);
    s->n = o->daemons;
    if (s->n < 2 || s->n > EVSSIM_MAX_DAEMONS || o->segments < 1 ||
        o->segments > 3 || o->segments > s->n || o->scenario < 0 ||
        o->scenario >= EVSSIM_NSCENARIOS || o->max_size < ESIM_MIN_MSG ||
        o->max_size > ESIM_MAX_MSG) {
        snprintf(res->why, sizeof(res->why), "bad options");
        free(s);
        return -1;
    }
    s->enc = malloc(PKT_MAX_DATAGRAM > ESIM_MAX_MSG ? PKT_MAX_DATAGRAM
                                                    : ESIM_MAX_MSG);
    s->buf = malloc(ESIM_MAX_MSG);
    s->pkt = malloc(sizeof(*s->pkt));
    if (!s->enc || !s->buf || !s->pkt || evslog_new(&s->log) < 0)
        esim_fail(s, "out of memory");
    else
        evslog_lenient_reliable(s->log, o->lenient_reliable);
    if (!s->failed && make_conf(s) == 0 && esim_script(s) == 0)
        run(s);
    res->end_ms = s->now;
    res->heal_ms = s->heal;
    res->ok = !s->failed;
    sim_free(s);
    free(s);
    return res->ok ? 0 : -1;
}
