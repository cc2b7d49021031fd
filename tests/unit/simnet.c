/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * simnet: the simulators' PRNG, event queue and lossy network (see
 * simnet.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "simnet.h"

void simnet_init(struct simnet *net, uint64_t rng, double dup,
                 double reorder, unsigned delay_max_ms)
{
    memset(net, 0, sizeof(*net));
    net->rng = rng;
    net->dup = dup;
    net->reorder = reorder;
    net->delay_max_ms = delay_max_ms;
}

void simnet_fini(struct simnet *net)
{
    while (net->nheap)
        free(simnet_pop(net).bytes);
    free(net->heap);
    net->heap = NULL;
    net->capheap = 0;
}

/* ---- PRNG (splitmix64) --------------------------------------------------- */

uint64_t simnet_rnd(struct simnet *net)
{
    uint64_t z = (net->rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double simnet_rnd01(struct simnet *net)
{
    return (double)(simnet_rnd(net) >> 11) * (1.0 / 9007199254740992.0);
}

unsigned simnet_below(struct simnet *net, unsigned n)
{
    return n ? (unsigned)(simnet_rnd(net) % n) : 0;
}

/* ---- event heap ------------------------------------------------------------ */

static int ev_before(const struct simnet_ev *a, const struct simnet_ev *b)
{
    return a->t < b->t || (a->t == b->t && a->n < b->n);
}

int simnet_push(struct simnet *net, struct simnet_ev e)
{
    size_t i;

    if (net->nheap == net->capheap) {
        size_t cap = net->capheap ? 2 * net->capheap : 1024;
        struct simnet_ev *h = realloc(net->heap, cap * sizeof(*h));

        if (!h)
            return -ENOMEM;
        net->heap = h;
        net->capheap = cap;
    }
    e.n = net->evn++;
    i = net->nheap++;
    while (i > 0 && ev_before(&e, &net->heap[(i - 1) / 2])) {
        net->heap[i] = net->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    net->heap[i] = e;
    return 0;
}

uint64_t simnet_next_time(const struct simnet *net)
{
    return net->nheap ? net->heap[0].t : UINT64_MAX;
}

struct simnet_ev simnet_pop(struct simnet *net)
{
    struct simnet_ev top = net->heap[0], last = net->heap[--net->nheap];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= net->nheap)
            break;
        if (c + 1 < net->nheap && ev_before(&net->heap[c + 1], &net->heap[c]))
            c++;
        if (!ev_before(&net->heap[c], &last))
            break;
        net->heap[i] = net->heap[c];
        i = c;
    }
    if (net->nheap)
        net->heap[i] = last;
    return top;
}

enum simnet_next simnet_next(const struct simnet *net, uint64_t deadline,
                             uint64_t end, uint64_t *now)
{
    uint64_t te = simnet_next_time(net);

    *now = te < deadline ? te : deadline;
    if (*now == UINT64_MAX || *now > end) {
        *now = end;
        return SIMNET_END;
    }
    return deadline <= te ? SIMNET_TIMERS : SIMNET_EVENT;
}

/* ---- the lossy network -------------------------------------------------------- */

int simnet_send(struct simnet *net, uint64_t now, int kind, int from,
                int to, int token_port, double loss,
                const unsigned char *b, size_t len)
{
    unsigned copies, c;

    if (simnet_rnd01(net) < loss)
        return 1;
    copies = simnet_rnd01(net) < net->dup ? 2 : 1;
    for (c = 0; c < copies; c++) {
        struct simnet_ev e;

        memset(&e, 0, sizeof(e));
        e.t = now + simnet_below(net, net->delay_max_ms + 1);
        if (simnet_rnd01(net) < net->reorder)
            e.t += 1 + simnet_below(net, SIMNET_REORDER_MS);
        e.kind = kind;
        e.from = from;
        e.to = to;
        e.token_port = token_port;
        e.len = len;
        e.bytes = malloc(len ? len : 1);
        if (!e.bytes)
            return -ENOMEM;
        memcpy(e.bytes, b, len);
        if (simnet_push(net, e) < 0) {
            free(e.bytes);
            return -ENOMEM;
        }
    }
    return 0;
}
