/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * ringsim: N ring cores over a seeded fake network (see ringsim.h).
 * Time is simulated in milliseconds; the next step is always the earliest
 * of the pending datagrams and submissions (ordered by time, then by
 * insertion: simnet.h) and the cores' deadlines (ring_next_deadline()),
 * so a run depends on its options only.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring/core.h"
#include "sp.h"
#include "ringsim.h"
#include "simnet.h"

#define SIM_MAGIC 0x4d495352u       /* "RSIM" */
#define SIM_RETRY_MS 5              /* a client blocked by back-pressure */
#define SIM_MAX_MSG 143200
/* Header, one group name, the 8 bytes that name the message. */
#define SIM_MIN_MSG (PKT_MSG_HEADER_LEN + PKT_GROUP_NAME + 8)

/* Events (struct simnet_ev): datagrams, and a client's submissions
 * (to = its daemon). */
enum ev_kind { EV_DGRAM = 1, EV_SUBMIT };

struct msgdesc {
    int sender;
    unsigned ctr;               /* per-sender counter, from 0 */
    uint32_t service;
    size_t len;
    uint64_t at;                /* submission time */
};

struct sim;

struct simd {
    struct sim *sim;
    int idx;
    enum pkt_order order;       /* this daemon's byte order on the wire */
    struct ring_core core;
    int started;
    int lost;
    uint64_t lost_at;
    unsigned char *got;         /* per message: delivered here */
    long *last_ctr;             /* per sender: last in-order counter */
    size_t pos;                 /* in-order deliveries so far */
    uint64_t ndeliv;
    unsigned next_submit;       /* client: next own message */
    int retry_pending;
};

struct sim {
    struct ringsim_opts o;
    struct ringsim_result *res;
    struct simnet net;          /* every random draw, the events */
    uint64_t now;
    unsigned n;
    struct simd d[RINGSIM_MAX_DAEMONS];
    uint32_t ids[RINGSIM_MAX_DAEMONS];
    struct msgdesc *msgs;
    size_t nmsgs;
    uint32_t *ref;              /* the common in-order sequence */
    size_t nref;
    int failed;
    unsigned char *scratch;     /* encoding and message building */
    unsigned char *expect;
    unsigned char *data;        /* message data being built */
};

/* ---- failures and tracing ---------------------------------------------- */

static void fail(struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct sim *s, const char *fmt, ...)
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

static void trace(struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void trace(struct sim *s, const char *fmt, ...)
{
    va_list ap;

    if (!s->o.verbose)
        return;
    fprintf(stderr, "%6" PRIu64 " ", s->now);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int push(struct sim *s, struct simnet_ev e)
{
    if (simnet_push(&s->net, e) < 0) {
        fail(s, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

/* ---- network --------------------------------------------------------------- */

static int in_blackout(const struct sim *s)
{
    return s->o.blackout_ms && s->now >= s->o.blackout_at_ms &&
           s->now < (uint64_t)s->o.blackout_at_ms + s->o.blackout_ms;
}

static void net_send(struct sim *s, int from, int to,
                     const unsigned char *b, size_t len, int token_port)
{
    int rc = 1;

    s->res->datagrams++;
    if (!(token_port && in_blackout(s)))
        rc = simnet_send(&s->net, s->now, EV_DGRAM, from, to, token_port,
                         token_port ? s->o.token_loss : s->o.loss, b, len);
    if (rc < 0) {
        fail(s, "out of memory");
    } else if (rc > 0) {
        if (token_port)
            trace(s, "drop token -> n%d", to);
        s->res->dropped++;
    }
}

static int index_of(const struct sim *s, uint32_t id)
{
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (s->ids[i] == id)
            return (int)i;
    return -1;
}

static void op_send_data(void *ctx, enum ring_dest how, uint32_t to,
                         const struct pkt_data *d)
{
    struct simd *sd = ctx;
    struct sim *s = sd->sim;
    int len = pkt_data_encode(d, sd->order, s->scratch, PKT_MAX_DATAGRAM);
    unsigned i;

    if (len < 0) {
        fail(s, "n%d: data seq %d does not encode: %s", sd->idx, d->h.seq,
             pkt_strerror(len));
        return;
    }
    if (how == RING_DEST_DAEMON) {
        int k = index_of(s, to);

        trace(s, "n%d retrans seq %d -> n%d", sd->idx, d->h.seq, k);
        if (k < 0 || k == sd->idx)
            fail(s, "n%d: retransmission to %u", sd->idx, (unsigned)to);
        else
            net_send(s, sd->idx, k, s->scratch, (size_t)len, 0);
        return;
    }
    trace(s, "n%d %s seq %d round %d nfrags %u", sd->idx,
          d->h.originator == s->ids[sd->idx] && d->h.transmitter ==
          d->h.originator ? "bcast" : "rebcast", d->h.seq, d->h.round,
          d->nfrags);
    for (i = 0; i < s->n; i++)
        if ((int)i != sd->idx)
            net_send(s, sd->idx, (int)i, s->scratch, (size_t)len, 0);
}

static void op_send_token(void *ctx, uint32_t to, const struct pkt_token *t,
                          unsigned copies)
{
    struct simd *sd = ctx;
    struct sim *s = sd->sim;
    int k = index_of(s, to);
    int len = pkt_token_encode(t, sd->order, s->scratch, PKT_MAX_DATAGRAM);
    unsigned c;

    if (len < 0 || k < 0) {
        fail(s, "n%d: token to %u does not encode: %s", sd->idx,
             (unsigned)to, len < 0 ? pkt_strerror(len) : "stranger");
        return;
    }
    s->res->tokens++;
    trace(s, "n%d token -> n%d round %u resend %u seq %d aru %d fc %d "
          "rtr %u x%u", sd->idx, k, pkt_type_round(t->h.type),
          pkt_type_resend(t->h.type), t->h.seq, t->h.aru,
          t->h.flow_control, (unsigned)t->rtr.len, copies);
    for (c = 0; c < copies; c++)
        net_send(s, sd->idx, k, s->scratch, (size_t)len, 1);
}

static void op_send_hurry(void *ctx, uint32_t to, const struct pkt_head *h)
{
    struct simd *sd = ctx;
    struct sim *s = sd->sim;
    int k = index_of(s, to);
    int len = pkt_head_encode(h, sd->order, s->scratch, PKT_MAX_DATAGRAM);

    if (len < 0 || k < 0) {
        fail(s, "n%d: hurry does not encode", sd->idx);
        return;
    }
    trace(s, "n%d hurry -> n%d", sd->idx, k);
    net_send(s, sd->idx, k, s->scratch, (size_t)len, 0);
}

/* ---- messages --------------------------------------------------------------- */

/* Message g as its sender serialises it: a valid message header (the
 * client service that maps to the packet service, sender "#c#n<i>", one
 * group), then data that names the message and a pattern of it. */
static size_t build_msg(struct sim *s, uint32_t g, unsigned char *out)
{
    static const char group[PKT_GROUP_NAME] = "g";
    const struct msgdesc *md = &s->msgs[g];
    struct pkt_msg m;
    size_t j, dlen = md->len - PKT_MSG_HEADER_LEN - PKT_GROUP_NAME;
    uint32_t magic = SIM_MAGIC;
    int len;

    memset(&m, 0, sizeof(m));
    m.type = md->service == PKT_RELIABLE ? RELIABLE_MESS
           : md->service == PKT_FIFO ? FIFO_MESS
           : md->service == PKT_AGREED ? (g & 1 ? CAUSAL_MESS : AGREED_MESS)
           : SAFE_MESS;
    snprintf(m.sender, sizeof(m.sender), "#c#n%d", md->sender);
    m.num_groups = 1;
    m.data_len = (int32_t)dlen;
    m.groups = (const unsigned char *)group;
    m.data = s->data;
    for (j = 0; j < dlen; j++)
        s->data[j] = (unsigned char)(g * 131u + j * 7u + (j >> 8));
    memcpy(s->data, &magic, 4);
    memcpy(s->data + 4, &g, 4);
    len = pkt_msg_encode(&m, s->d[md->sender].order, out, SIM_MAX_MSG);
    return len < 0 ? 0 : (size_t)len;
}

static int msg_in_order(const struct msgdesc *m)
{
    /* Only single-packet RELIABLE messages go out early (rule 27). */
    return m->service != PKT_RELIABLE || m->len > PKT_MAX_PAYLOAD;
}

static int safe_everywhere(struct sim *s, const struct ring_delivery *m)
{
    unsigned k;

    for (k = 0; k < s->n; k++)
        if (s->d[k].core.win.my_aru < m->seq)
            return (int)k;
    return -1;
}

/* Which submitted message this delivery is, checked byte for byte;
 * -1 (and the run failed) if none. */
static long identify(struct sim *s, const struct simd *sd,
                     const struct ring_delivery *m)
{
    const struct msgdesc *md;
    uint32_t g, magic = SIM_MAGIC;
    struct pkt_msg pm;

    if (pkt_msg_decode(m->bytes, m->len, &pm) < 0 || pm.data_len < 8 ||
        memcmp(pm.data, &magic, 4) != 0) {
        fail(s, "n%d: delivery of %zu bytes that no client sent", sd->idx,
             m->len);
        return -1;
    }
    memcpy(&g, pm.data + 4, 4);
    if (g >= s->nmsgs) {
        fail(s, "n%d: delivered a message never submitted", sd->idx);
        return -1;
    }
    md = &s->msgs[g];
    if (build_msg(s, g, s->expect) != m->len ||
        memcmp(m->bytes, s->expect, m->len) != 0 ||
        m->originator != s->ids[md->sender] ||
        !frag_services_mix(m->service, md->service)) {
        fail(s, "n%d: message %u (n%d #%u) delivered corrupt (len %zu "
             "of %zu, service %#x of %#x)", sd->idx, g, md->sender, md->ctr,
             m->len, md->len, (unsigned)m->service, (unsigned)md->service);
        return -1;
    }
    return (long)g;
}

/* An in-order delivery: per-sender order, and the same place in the one
 * common sequence at every daemon. */
static void check_order(struct sim *s, struct simd *sd, uint32_t g)
{
    const struct msgdesc *md = &s->msgs[g];

    if (!msg_in_order(md)) {
        fail(s, "n%d: n%d #%u (single RELIABLE) not early", sd->idx,
             md->sender, md->ctr);
        return;
    }
    if ((long)md->ctr <= sd->last_ctr[md->sender]) {
        fail(s, "n%d: n%d #%u after #%ld (per-sender order)", sd->idx,
             md->sender, md->ctr, sd->last_ctr[md->sender]);
        return;
    }
    sd->last_ctr[md->sender] = (long)md->ctr;
    if (sd->pos < s->nref && s->ref[sd->pos] != g) {
        const struct msgdesc *o = &s->msgs[s->ref[sd->pos]];

        fail(s, "n%d: total order: position %zu is n%d #%u here, "
             "n%d #%u elsewhere", sd->idx, sd->pos, md->sender, md->ctr,
             o->sender, o->ctr);
        return;
    }
    if (sd->pos == s->nref)
        s->ref[s->nref++] = g;
    sd->pos++;
}

static void op_deliver(void *ctx, const struct ring_delivery *m)
{
    struct simd *sd = ctx;
    struct sim *s = sd->sim;
    const struct msgdesc *md;
    long g = identify(s, sd, m);
    int k;

    if (g < 0)
        return;
    md = &s->msgs[g];
    if (sd->got[g]) {
        fail(s, "n%d: message %ld (n%d #%u) delivered twice", sd->idx, g,
             md->sender, md->ctr);
        return;
    }
    sd->got[g] = 1;
    sd->ndeliv++;
    s->res->delivered++;
    trace(s, "n%d deliver n%d #%u seq %u svc %#x len %zu%s", sd->idx,
          md->sender, md->ctr, (unsigned)m->seq, (unsigned)m->service,
          m->len, m->early ? " early" : "");
    if (m->service == PKT_SAFE && (k = safe_everywhere(s, m)) >= 0)
        fail(s, "n%d: SAFE n%d #%u (seq %u) delivered before n%d had it",
             sd->idx, md->sender, md->ctr, (unsigned)m->seq, k);
    else if (m->early && msg_in_order(md))
        fail(s, "n%d: n%d #%u delivered early", sd->idx, md->sender,
             md->ctr);
    else if (!m->early)
        check_order(s, sd, (uint32_t)g);
}

static void op_token_lost(void *ctx)
{
    struct simd *sd = ctx;
    struct sim *s = sd->sim;

    trace(s, "n%d TOKEN LOST", sd->idx);
    sd->lost = 1;
    sd->lost_at = s->now;
    s->res->lost++;
    if (!s->o.expect_token_loss && !s->o.allow_token_loss)
        fail(s, "n%d: token loss reported", sd->idx);
}

static const struct ring_ops sim_ops = {
    .send_data = op_send_data,
    .send_token = op_send_token,
    .send_hurry = op_send_hurry,
    .deliver = op_deliver,
    .token_lost = op_token_lost,
};

/* ---- clients --------------------------------------------------------------- */

static size_t pick_size(struct sim *s)
{
    unsigned r = simnet_below(&s->net, 100);
    size_t len;

    if (r < 60)
        len = SIM_MIN_MSG + simnet_below(&s->net, 321);
    else if (r < 85)
        len = 401 + simnet_below(&s->net, 4600);
    else if (r < 95)
        len = 5001 + simnet_below(&s->net, 25000);
    else
        len = s->o.max_size / 2 + simnet_below(&s->net, s->o.max_size / 2 + 1);
    if (len > s->o.max_size)
        len = s->o.max_size;
    return len < SIM_MIN_MSG ? SIM_MIN_MSG : len;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static int make_msgs(struct sim *s)
{
    static const uint32_t services[] = {
        PKT_RELIABLE, PKT_FIFO, PKT_AGREED, PKT_SAFE
    };
    uint64_t *times;
    unsigned i, k;

    s->nmsgs = (size_t)s->n * s->o.msgs;
    s->msgs = calloc(s->nmsgs ? s->nmsgs : 1, sizeof(*s->msgs));
    s->ref = calloc(s->nmsgs ? s->nmsgs : 1, sizeof(*s->ref));
    times = calloc(s->o.msgs ? s->o.msgs : 1, sizeof(*times));
    if (!s->msgs || !s->ref || !times) {
        free(times);
        return -ENOMEM;
    }
    for (i = 0; i < s->n; i++) {
        for (k = 0; k < s->o.msgs; k++)
            times[k] = simnet_below(&s->net, s->o.duration_ms ? s->o.duration_ms : 1);
        qsort(times, s->o.msgs, sizeof(*times), cmp_u64);
        for (k = 0; k < s->o.msgs; k++) {
            struct msgdesc *m = &s->msgs[i * s->o.msgs + k];
            struct simnet_ev e;

            m->sender = (int)i;
            m->ctr = k;
            m->service = services[simnet_below(&s->net, 4)];
            m->len = pick_size(s);
            m->at = times[k];
            memset(&e, 0, sizeof(e));
            e.t = m->at;
            e.kind = EV_SUBMIT;
            e.to = (int)i;
            if (push(s, e) < 0) {
                free(times);
                return -ENOMEM;
            }
        }
    }
    free(times);
    return 0;
}

/* Submit, in order, every due message of daemon i while its queue takes
 * them; a client stopped by back-pressure tries again a little later. */
static void client_run(struct sim *s, int i)
{
    struct simd *sd = &s->d[i];

    while (sd->next_submit < s->o.msgs && !sd->lost) {
        uint32_t g = (uint32_t)i * s->o.msgs + sd->next_submit;
        const struct msgdesc *m = &s->msgs[g];
        int rc;

        if (m->at > s->now)
            return;
        if (ring_send_space(&sd->core) == 0) {
            struct simnet_ev e;

            s->res->blocked++;
            if (sd->retry_pending)
                return;
            memset(&e, 0, sizeof(e));
            e.t = s->now + SIM_RETRY_MS;
            e.kind = EV_SUBMIT;
            e.to = i;
            sd->retry_pending = 1;
            push(s, e);
            return;
        }
        if (build_msg(s, g, s->scratch) != m->len) {
            fail(s, "n%d: message #%u does not encode", i, m->ctr);
            return;
        }
        rc = ring_submit(&sd->core, s->scratch, m->len, m->service, s->now);
        if (rc < 0) {
            fail(s, "n%d: submit #%u: %d", i, m->ctr, rc);
            return;
        }
        trace(s, "n%d submit #%u svc %#x len %zu", i, m->ctr,
              (unsigned)m->service, m->len);
        s->res->submitted++;
        sd->next_submit++;
    }
}

/* ---- the run ------------------------------------------------------------------ */

static void receive(struct sim *s, const struct simnet_ev *e)
{
    struct simd *sd = &s->d[e->to];
    static const struct pkt zero;
    struct pkt *p = malloc(sizeof(*p));
    int rc;

    if (!p) {
        fail(s, "out of memory");
        return;
    }
    *p = zero;
    rc = pkt_decode(e->bytes, e->len, p);
    if (rc < 0) {
        fail(s, "n%d: undecodable datagram: %s", e->to, pkt_strerror(rc));
    } else if (pkt_kind_on_token_port(p->kind) != e->token_port) {
        fail(s, "n%d: %s on the wrong port", e->to, pkt_kind_name(p->kind));
    } else if (p->kind == PKT_KIND_DATA) {
        if (ring_data_receive(&sd->core, &p->u.data, s->now) < 0)
            fail(s, "out of memory");
    } else if (p->kind == PKT_KIND_TOKEN) {
        ring_token_receive(&sd->core, &p->u.token, s->now);
    } else if (p->kind == PKT_KIND_HURRY) {
        ring_hurry_receive(&sd->core, &p->u.head, s->now);
    } else {
        fail(s, "n%d: unexpected %s", e->to, pkt_kind_name(p->kind));
    }
    free(p);
}

static int sim_setup(struct sim *s)
{
    struct ring_conf c;
    unsigned i;

    ring_conf_default(&c);
    c.hash = 0xde090eb0u;
    c.ring_id.id = 0;
    c.ring_id.time = 1796598803;
    c.n = s->n;
    c.accelerated = s->o.accelerated;
    for (i = 0; i < s->n; i++) {
        /* Ids as the hash of names gives them: unordered. */
        s->ids[i] = (uint32_t)(simnet_rnd(&s->net) | 1u);
        if (s->ids[i] == PKT_ID_NONE)
            s->ids[i] = 3;
        c.ids[i] = s->ids[i];
        c.segs[i] = 0;
    }
    c.ring_id.id = s->ids[0];
    c.leader_index = 0;
    for (i = 0; i < s->n; i++) {
        struct simd *sd = &s->d[i];

        sd->sim = s;
        sd->idx = (int)i;
        sd->order = ((s->o.seed + i) & 1) ? PKT_ORDER_BE : PKT_ORDER_LE;
        c.my_id = s->ids[i];
        c.my_index = i;
        if (ring_core_init(&sd->core, &c, &sim_ops, sd) < 0)
            return -ENOMEM;
        sd->started = 1;
        sd->got = calloc(s->nmsgs ? s->nmsgs : 1, 1);
        sd->last_ctr = malloc(s->n * sizeof(*sd->last_ctr));
        if (!sd->got || !sd->last_ctr)
            return -ENOMEM;
        memset(sd->last_ctr, 0xff, s->n * sizeof(*sd->last_ctr));
    }
    return 0;
}

static void sim_free(struct sim *s)
{
    unsigned i;

    for (i = 0; i < s->n; i++) {
        if (s->d[i].started)
            ring_core_fini(&s->d[i].core);
        free(s->d[i].got);
        free(s->d[i].last_ctr);
    }
    simnet_fini(&s->net);
    free(s->msgs);
    free(s->ref);
    free(s->scratch);
    free(s->expect);
    free(s->data);
}

static uint64_t next_deadline(struct sim *s)
{
    uint64_t t = UINT64_MAX;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        uint64_t d = ring_next_deadline(&s->d[i].core);

        if (d < t)
            t = d;
    }
    return t;
}

static int all_lost(const struct sim *s)
{
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (!s->d[i].lost)
            return 0;
    return 1;
}

static int all_delivered(const struct sim *s)
{
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (s->d[i].ndeliv != s->nmsgs)
            return 0;
    return 1;
}

static void step(struct sim *s, uint64_t end)
{
    enum simnet_next next = simnet_next(&s->net, next_deadline(s), end,
                                        &s->now);
    unsigned i;

    if (next == SIMNET_END)
        return;
    if (next == SIMNET_TIMERS) {
        for (i = 0; i < s->n; i++)
            if (ring_next_deadline(&s->d[i].core) <= s->now)
                ring_tick(&s->d[i].core, s->now);
        return;
    }
    {
        struct simnet_ev e = simnet_pop(&s->net);

        if (e.kind == EV_DGRAM)
            receive(s, &e);
        else {
            s->d[e.to].retry_pending = 0;
            client_run(s, e.to);
        }
        free(e.bytes);
    }
}

/* What must hold once the run is over. */
static void final_checks(struct sim *s)
{
    unsigned i;
    uint64_t lo = s->o.blackout_at_ms;
    uint64_t hi = lo + s->d[0].core.conf.token_timeout_ms +
                  2 * (s->o.delay_max_ms + SIMNET_REORDER_MS + 1);

    for (i = 0; i < s->n && !s->failed; i++) {
        const struct simd *sd = &s->d[i];

        if (sd->core.stats.reasm_errors)
            fail(s, "n%u: %" PRIu64 " reassembly errors", i,
                 sd->core.stats.reasm_errors);
        else if (s->o.expect_token_loss && !sd->lost)
            fail(s, "n%u: token loss not reported (blackout %u ms)", i,
                 s->o.blackout_ms);
        else if (s->o.expect_token_loss &&
                 (sd->lost_at < lo || sd->lost_at > hi))
            fail(s, "n%u: token loss at %" PRIu64 ", outside [%" PRIu64
                 ", %" PRIu64 "]", i, sd->lost_at, lo, hi);
        else if (s->o.expect_token_loss || s->res->lost)
            continue;   /* the ring ended: nothing more is owed */
        else if (sd->ndeliv != s->nmsgs)
            fail(s, "n%u: delivered %" PRIu64 " of %zu messages (my_aru "
                 "%u highest %u global_aru %u queued %zu)", i, sd->ndeliv,
                 s->nmsgs, (unsigned)sd->core.win.my_aru,
                 (unsigned)sd->core.win.highest_seq,
                 (unsigned)sd->core.global_aru, sendq_len(&sd->core.q));
        else if (sd->pos != s->nref)
            fail(s, "n%u: %zu in-order deliveries, %zu elsewhere", i,
                 sd->pos, s->nref);
    }
}

int ringsim_run(const struct ringsim_opts *o, struct ringsim_result *res)
{
    struct sim *s = calloc(1, sizeof(*s));
    uint64_t end;
    unsigned i;

    memset(res, 0, sizeof(*res));
    if (!s) {
        snprintf(res->why, sizeof(res->why), "out of memory");
        return -1;
    }
    s->o = *o;
    s->res = res;
    simnet_init(&s->net, o->seed * 0x2545f4914f6cdd1dull + 1, o->dup,
                o->reorder, o->delay_max_ms);
    s->n = o->daemons;
    if (s->n < 1 || s->n > RINGSIM_MAX_DAEMONS || o->max_size < SIM_MIN_MSG ||
        o->max_size > SIM_MAX_MSG) {
        snprintf(res->why, sizeof(res->why), "bad options");
        free(s);
        return -1;
    }
    s->scratch = malloc(PKT_MAX_DATAGRAM > SIM_MAX_MSG ? PKT_MAX_DATAGRAM
                                                       : SIM_MAX_MSG);
    s->expect = malloc(SIM_MAX_MSG);
    s->data = malloc(SIM_MAX_MSG);
    if (!s->scratch || !s->expect || !s->data || make_msgs(s) < 0 || sim_setup(s) < 0) {
        fail(s, "out of memory");
    } else {
        end = (uint64_t)o->duration_ms + o->settle_ms;
        for (i = 0; i < s->n; i++)
            ring_start(&s->d[i].core, 0);
        while (!s->failed && s->now < end) {
            step(s, end);
            if (all_lost(s) ||
                (all_delivered(s) && simnet_next_time(&s->net) == UINT64_MAX))
                break;
        }
        if (!s->failed)
            final_checks(s);
    }
    res->end_ms = s->now;
    for (i = 0; i < s->n; i++) {
        res->retrans += s->d[i].core.stats.retrans_sent;
        res->holds += s->d[i].core.stats.holds;
    }
    res->ok = !s->failed;
    sim_free(s);
    free(s);
    return res->ok ? 0 : -1;
}

/* ---- options ------------------------------------------------------------------ */

void ringsim_opts_default(struct ringsim_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->daemons = 3;
    o->delay_max_ms = 2;
    o->msgs = 20;
    o->max_size = 20000;
    o->duration_ms = 2000;
    o->settle_ms = 30000;
}

void ringsim_command(const struct ringsim_opts *o, char *buf, size_t len)
{
    char extra[96] = "";

    if (o->blackout_ms)
        snprintf(extra, sizeof(extra), " --blackout %u:%u%s",
                 o->blackout_at_ms, o->blackout_ms,
                 o->expect_token_loss ? " --expect-token-loss" : "");
    if (o->allow_token_loss)
        strncat(extra, " --allow-token-loss",
                sizeof(extra) - strlen(extra) - 1);
    snprintf(buf, len,
             "tests/ringsim --seed %" PRIu64 " --daemons %u --loss %g "
             "--token-loss %g --dup %g --reorder %g --delay %u --msgs %u "
             "--max-size %u --duration %u --settle %u%s%s",
             o->seed, o->daemons, o->loss, o->token_loss, o->dup,
             o->reorder, o->delay_max_ms, o->msgs, o->max_size,
             o->duration_ms, o->settle_ms,
             o->accelerated ? " --accelerated" : "", extra);
}

static int num(const char *v, double lo, double hi, double *out)
{
    char *end;
    double x;

    if (!v)
        return -1;
    x = strtod(v, &end);
    if (end == v || *end || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

int ringsim_parse_opt(struct ringsim_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    double x;

    if (!strcmp(a, "--accelerated")) {
        o->accelerated = 1;
    } else if (!strcmp(a, "--expect-token-loss")) {
        o->expect_token_loss = 1;
    } else if (!strcmp(a, "--allow-token-loss")) {
        o->allow_token_loss = 1;
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
        o->verbose = 1;
    } else if (!strcmp(a, "--blackout")) {
        unsigned at, len;

        if (!v || sscanf(v, "%u:%u", &at, &len) != 2)
            return -1;
        o->blackout_at_ms = at;
        o->blackout_ms = len;
        (*i)++;
    } else {
        static const struct { const char *name; double lo, hi; } t[] = {
            { "--seed", 0, 1e18 }, { "--daemons", 1, RINGSIM_MAX_DAEMONS },
            { "--loss", 0, 1 }, { "--token-loss", 0, 1 }, { "--dup", 0, 1 },
            { "--reorder", 0, 1 }, { "--delay", 0, 1000 },
            { "--msgs", 0, 100000 }, { "--max-size", SIM_MIN_MSG, SIM_MAX_MSG },
            { "--duration", 0, 1e9 }, { "--settle", 0, 1e9 },
        };
        size_t k;

        for (k = 0; k < sizeof(t) / sizeof(t[0]); k++)
            if (!strcmp(a, t[k].name))
                break;
        if (k == sizeof(t) / sizeof(t[0]) || num(v, t[k].lo, t[k].hi, &x))
            return -1;
        switch (k) {
        case 0: o->seed = (uint64_t)x; break;
        case 1: o->daemons = (unsigned)x; break;
        case 2: o->loss = x; break;
        case 3: o->token_loss = x; break;
        case 4: o->dup = x; break;
        case 5: o->reorder = x; break;
        case 6: o->delay_max_ms = (unsigned)x; break;
        case 7: o->msgs = (unsigned)x; break;
        case 8: o->max_size = (unsigned)x; break;
        case 9: o->duration_ms = (unsigned)x; break;
        default: o->settle_ms = (unsigned)x; break;
        }
        (*i)++;
    }
    (*i)++;
    return 0;
}

void ringsim_opts_sweep(struct ringsim_opts *o, uint64_t k)
{
    static const double losses[] = { 0, 0.01, 0.05, 0.1, 0.2 };

    ringsim_opts_default(o);
    o->seed = k + 1;
    o->daemons = 2 + (unsigned)(k % 15);
    o->loss = losses[(k / 15) % 5];
    o->token_loss = o->loss / 5;
    o->allow_token_loss = o->token_loss > 0;
    o->dup = k % 3 == 0 ? 0.02 : 0;
    o->reorder = k % 4 == 1 ? 0.05 : 0;
    o->delay_max_ms = 1 + (unsigned)(k % 3);
    o->accelerated = (k / 2) % 2;
    o->msgs = 6 + (unsigned)(k % 11);
    o->max_size = k % 7 == 0 ? 140000 : 12000;
    o->duration_ms = 1500;
    if (k % 25 == 24) {
        /* Every token dropped for longer than TokenTimeout. */
        o->blackout_at_ms = 1000;
        o->blackout_ms = 2000;
        o->expect_token_loss = 1;
        o->allow_token_loss = 0;
    } else if (k % 25 == 11) {
        /* A short blackout: re-sends must bring the token back. */
        o->blackout_at_ms = 700;
        o->blackout_ms = 300;
    }
}
