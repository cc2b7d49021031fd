/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * nodesim: see nodesim.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "sp.h"
#include "nodesim.h"

#define NS_MONO0 ((uint64_t)1000000 * CLOCK_NS_PER_MS)
#define NS_WALL0 ((int64_t)1700000000 * CLOCK_NS_PER_S)

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        abort();
    return p;
}

uint32_t ns_id(const struct ns *s, int i)
{
    return s->conf->daemons[i].id;
}

static int index_of(const struct ns *s, uint32_t id)
{
    int i;

    for (i = 0; i < s->n; i++)
        if (ns_id(s, i) == id)
            return i;
    return -1;
}

static void log_add(struct ns_node *d, const struct ns_entry *e)
{
    if (d->nlog == d->caplog) {
        d->caplog = d->caplog ? 2 * d->caplog : 256;
        d->log = xrealloc(d->log, d->caplog * sizeof(*d->log));
    }
    d->log[d->nlog++] = *e;
}

/* ---- the network ------------------------------------------------------- */

static void put(struct ns *s, int from, int to, int token_port,
                const unsigned char *b, size_t len)
{
    struct ns_dgram g;

    if (to < 0 || to >= s->n || to == from || s->cut[from][to]) {
        s->dropped++;
        return;
    }
    g.at = clock_mono_ms(&s->clk.clock) + 1;
    g.seq = s->seq++;
    g.from = from;
    g.to = to;
    g.token_port = token_port;
    g.len = len;
    g.b = xrealloc(NULL, len);
    memcpy(g.b, b, len);
    if (s->nq == s->capq) {
        s->capq = s->capq ? 2 * s->capq : 256;
        s->q = xrealloc(s->q, s->capq * sizeof(*s->q));
    }
    s->q[s->nq++] = g;  /* appended in (at, seq) order: at never drops */
    s->sent++;
}

static void op_send(void *ctx, enum node_dest how, uint32_t to,
                    const struct pkt *p, unsigned copies)
{
    static unsigned char buf[PKT_MAX_DATAGRAM];
    struct ns_node *d = ctx;
    struct ns *s = d->s;
    int len = pkt_encode(p, d->i % 2 ? PKT_ORDER_BE : PKT_ORDER_LE, buf,
                         sizeof(buf));
    int tp = pkt_kind_on_token_port(p->kind), j;
    unsigned c;

    if (len < 0) {
        fprintf(stderr, "nodesim: encode %s: %s\n", pkt_kind_name(p->kind),
                pkt_strerror(len));
        abort();
    }
    for (c = 0; c < copies; c++) {
        if (p->kind == PKT_KIND_DATA && s->data_loss) {
            s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
            if ((s->rng >> 33) % 1000 < s->data_loss) {
                s->dropped++;
                continue;
            }
        }
        if (how == NODE_DEST_DAEMON) {
            put(s, d->i, index_of(s, to), tp, buf, (size_t)len);
            continue;
        }
        for (j = 0; j < s->n; j++)
            if (s->conf->daemons[j].segment == (int)to)
                put(s, d->i, j, tp, buf, (size_t)len);
    }
}

static void op_deliver(void *ctx, uint32_t originator,
                       const unsigned char *msg, size_t len, uint32_t svc)
{
    struct ns_node *d = ctx;
    struct ns_entry e;
    struct pkt_msg m;

    memset(&e, 0, sizeof(e));
    e.kind = NS_MSG;
    e.originator = originator;
    e.service = svc;
    if (pkt_msg_decode(msg, len, &m) == 0 && m.data_len >= 4)
        memcpy(&e.tag, m.data, 4);
    log_add(d, &e);
}

static void op_view(void *ctx, const struct node_view *v)
{
    struct ns_node *d = ctx;
    struct ns_entry e;

    memset(&e, 0, sizeof(e));
    e.kind = v->transitional ? NS_TRANS : NS_REG;
    e.id = v->id;
    e.n = v->n > NS_MAX ? NS_MAX : v->n;
    memcpy(e.ids, v->ids, e.n * sizeof(e.ids[0]));
    log_add(d, &e);
}

static void op_event(void *ctx, int level, const char *text)
{
    struct ns_node *d = ctx;

    (void)level;
    if (getenv("NODESIM_TRACE"))
        fprintf(stderr, "%8llu n%d %s\n",
                (unsigned long long)clock_mono_ms(&d->s->clk.clock), d->i + 1,
                text);
}

static const struct node_ops ns_ops = {
    .send = op_send, .deliver = op_deliver, .view = op_view,
    .event = op_event,
};

/* ---- life cycle ---------------------------------------------------------- */

int ns_init(struct ns *s, int n, int nsegs)
{
    char text[2048];
    size_t len = 0;
    struct conf_diag err;
    int seg, i;

    memset(s, 0, sizeof(*s));
    if (n < 1 || n > NS_MAX || nsegs < 1 || nsegs > n)
        return -1;
    s->n = n;
    for (seg = 0; seg < nsegs; seg++) {
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "Spread_Segment 10.9.%d.255:4803 {\n", seg);
        for (i = seg; i < n; i += nsegs)
            len += (size_t)snprintf(text + len, sizeof(text) - len,
                                    "  n%d 10.9.%d.%d\n", i + 1, seg, i + 1);
        len += (size_t)snprintf(text + len, sizeof(text) - len, "}\n");
    }
    if (conf_parse_text(text, len, "nodesim.conf", &s->conf, &err, NULL,
                        NULL) != 0) {
        fprintf(stderr, "nodesim: conf: %s\n", err.reason);
        return -1;
    }
    /* Configuration order groups daemons by segment; the harness
     * numbers them the same way. */
    clock_fake_init(&s->clk, NS_MONO0, NS_WALL0);
    for (i = 0; i < n; i++) {
        s->d[i].s = s;
        s->d[i].i = i;
    }
    s->next_tag = 1;
    return 0;
}

void ns_fini(struct ns *s)
{
    size_t k;
    int i;

    for (i = 0; i < s->n; i++) {
        node_free(s->d[i].node);
        free(s->d[i].log);
    }
    for (k = 0; k < s->nq; k++)
        free(s->q[k].b);
    free(s->q);
    conf_free(s->conf);
}

void ns_start(struct ns *s, int i)
{
    struct node_cfg cfg;
    struct ns_node *d = &s->d[i];

    cfg.conf = s->conf;
    cfg.self = i;
    cfg.clock = &s->clk.clock;
    if (node_new(&d->node, &cfg, &ns_ops, d) != 0)
        abort();
    d->up = 1;
    node_start(d->node);
}

void ns_kill(struct ns *s, int i)
{
    node_free(s->d[i].node);
    s->d[i].node = NULL;
    s->d[i].up = 0;
}

void ns_partition(struct ns *s, const int *group)
{
    int i, j;

    for (i = 0; i < s->n; i++)
        for (j = 0; j < s->n; j++)
            s->cut[i][j] = group && group[i] != group[j];
}

/* ---- running -------------------------------------------------------------- */

static void arrive(struct ns *s, const struct ns_dgram *g)
{
    struct pkt p;

    if (!s->d[g->to].up)
        return;
    if (pkt_decode(g->b, g->len, &p) != 0)
        abort();
    node_receive(s->d[g->to].node, &p, g->token_port);
}

void ns_run(struct ns *s, uint64_t ms)
{
    uint64_t end = clock_mono_ms(&s->clk.clock) + ms;

    for (;;) {
        uint64_t now = clock_mono_ms(&s->clk.clock), next = UINT64_MAX;
        size_t k = 0;
        int i;

        if (s->nq)
            next = s->q[0].at;
        for (i = 0; i < s->n; i++)
            if (s->d[i].up) {
                uint64_t t = node_next_deadline(s->d[i].node);
                if (t < next)
                    next = t;
            }
        if (next < now)
            next = now;
        if (next > end)
            break;
        if (next > now)
            clock_fake_advance_ms(&s->clk, next - now);
        /* Datagrams due now, in sending order; those they cause come
         * a millisecond later. */
        while (k < s->nq && s->q[k].at <= next)
            k++;
        if (k) {
            struct ns_dgram *due = xrealloc(NULL, k * sizeof(*due));
            size_t j;

            memcpy(due, s->q, k * sizeof(*due));
            memmove(s->q, s->q + k, (s->nq - k) * sizeof(*s->q));
            s->nq -= k;
            for (j = 0; j < k; j++) {
                arrive(s, &due[j]);
                free(due[j].b);
            }
            free(due);
        }
        for (i = 0; i < s->n; i++)
            if (s->d[i].up && node_next_deadline(s->d[i].node) <= next)
                node_tick(s->d[i].node);
    }
    if (clock_mono_ms(&s->clk.clock) < end)
        clock_fake_advance_ms(&s->clk, end - clock_mono_ms(&s->clk.clock));
}

uint32_t ns_submit(struct ns *s, int i, uint32_t svc, size_t len)
{
    static const char group[PKT_GROUP_NAME] = "g";
    static unsigned char data[PKT_MAX_MSG_LEN], buf[PKT_MAX_MSG_LEN];
    uint32_t tag = s->next_tag++;
    struct pkt_msg m;
    size_t dlen = len - PKT_MSG_HEADER_LEN - PKT_GROUP_NAME, j;
    int n;

    memset(&m, 0, sizeof(m));
    m.type = svc == PKT_RELIABLE ? RELIABLE_MESS
           : svc == PKT_FIFO ? FIFO_MESS
           : svc == PKT_AGREED ? AGREED_MESS : SAFE_MESS;
    snprintf(m.sender, sizeof(m.sender), "#c#n%d", i + 1);
    m.num_groups = 1;
    m.groups = (const unsigned char *)group;
    m.data_len = (int32_t)dlen;
    for (j = 0; j < dlen; j++)
        data[j] = (unsigned char)(tag * 31u + j);
    memcpy(data, &tag, 4);
    m.data = data;
    n = pkt_msg_encode(&m, PKT_ORDER_LE, buf, sizeof(buf));
    if (n < 0 || node_submit(s->d[i].node, buf, (size_t)n, svc) != 0)
        abort();
    return tag;
}

void ns_status(const struct ns *s, int i, struct node_status *st)
{
    node_status(s->d[i].node, st);
}

const struct ns_entry *ns_last_view(const struct ns *s, int i,
                                    enum ns_kind kind)
{
    const struct ns_node *d = &s->d[i];
    size_t k;

    for (k = d->nlog; k > 0; k--)
        if (d->log[k - 1].kind == kind)
            return &d->log[k - 1];
    return NULL;
}
