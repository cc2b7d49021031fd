/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * window: the seq-indexed packet store of one daemon (see window.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

static inline size_t slot_of(uint32_t seq)
{
    return seq % WINDOW_SLOTS;
}

int window_init(struct window *w, uint32_t base)
{
    memset(w, 0, sizeof(*w));
    w->slot = calloc(WINDOW_SLOTS, sizeof(*w->slot));
    if (!w->slot)
        return -ENOMEM;
    w->discarded = w->my_aru = w->highest_seq = base;
    return 0;
}

void window_fini(struct window *w)
{
    size_t i;

    if (!w->slot)
        return;
    for (i = 0; i < WINDOW_SLOTS; i++)
        free(w->slot[i]);
    free(w->slot);
    w->slot = NULL;
    w->count = 0;
}

static int in_slots(const struct window *w, uint32_t seq)
{
    return seq > w->discarded && seq - w->discarded <= WINDOW_SLOTS;
}

struct window_pkt *window_get(const struct window *w, uint32_t seq)
{
    if (!in_slots(w, seq))
        return NULL;
    return w->slot[slot_of(seq)];
}

int window_missing(const struct window *w, uint32_t seq)
{
    return in_slots(w, seq) && !w->slot[slot_of(seq)];
}

static size_t payload_of(const struct pkt_data *d)
{
    size_t total = 0;
    unsigned i;

    for (i = 0; i < d->nfrags; i++)
        total += d->frags[i].len;
    return total;
}

/* One allocation holds the struct and the fragment bytes behind it. */
static void copy_into(struct window_pkt *p, const struct pkt_data *d)
{
    size_t off = 0;
    unsigned i;

    p->d = *d;
    p->early = 0;
    for (i = 0; i < d->nfrags; i++) {
        if (d->frags[i].len)
            memcpy(p->bytes + off, d->frags[i].bytes, d->frags[i].len);
        p->d.frags[i].bytes = p->bytes + off;
        off += d->frags[i].len;
    }
}

struct window_pkt *window_pkt_alloc(void)
{
    return malloc(sizeof(struct window_pkt) + PKT_MAX_PAYLOAD);
}

static void store(struct window *w, struct window_pkt *p)
{
    uint32_t seq = (uint32_t)p->d.h.seq;

    w->slot[slot_of(seq)] = p;
    w->count++;
    if (seq > w->highest_seq)
        w->highest_seq = seq;
    while (w->my_aru < w->highest_seq && w->slot[slot_of(w->my_aru + 1)])
        w->my_aru++;
}

int window_insert(struct window *w, const struct pkt_data *d,
                  struct window_pkt **out)
{
    struct window_pkt *p;

    if (d->h.seq <= 0 || !window_missing(w, (uint32_t)d->h.seq))
        return 0;
    p = malloc(sizeof(*p) + payload_of(d));
    if (!p)
        return -ENOMEM;
    copy_into(p, d);
    store(w, p);
    if (out)
        *out = p;
    return 1;
}

int window_insert_into(struct window *w, struct window_pkt *p,
                       const struct pkt_data *d)
{
    if (d->h.seq <= 0 || !window_missing(w, (uint32_t)d->h.seq) ||
        payload_of(d) > PKT_MAX_PAYLOAD) {
        free(p);
        return 0;
    }
    copy_into(p, d);
    store(w, p);
    return 1;
}

void window_discard(struct window *w, uint32_t upto)
{
    if (upto > w->my_aru)
        upto = w->my_aru;
    while (w->discarded < upto) {
        size_t s = slot_of(++w->discarded);

        if (w->slot[s]) {
            free(w->slot[s]);
            w->slot[s] = NULL;
            w->count--;
        }
    }
}
