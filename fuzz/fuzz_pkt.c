/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * libFuzzer target for the daemon packet codec (daemon/ring/pkt.c) and the
 * reassembler behind it (daemon/ring/frag.c): the input is one datagram as
 * it arrives from the network. Besides "no crash, no out-of-bounds read",
 * it checks what pkt.h promises: a packet that decodes re-encodes, in
 * either byte order, to a datagram of the same length that decodes to the
 * same packet (pkt_equal); the fragments of a data packet lie inside the
 * input; a message header that decodes re-encodes to the same header;
 * a GROUPS body that decodes is rebuilt byte for byte by the builders.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring/frag.h"
#include "ring/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct pkt *p, size_t size, unsigned char *out,
                       struct pkt *q)
{
    static const enum pkt_order orders[] = {PKT_ORDER_LE, PKT_ORDER_BE,
                                            PKT_ORDER_NATIVE};
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
        int n = pkt_encode(p, orders[i], out, PKT_MAX_DATAGRAM);
        if (n < 0 || (size_t)n != size)
            abort();
        if (pkt_decode(out, (size_t)n, q) != 0 || !pkt_equal(p, q))
            abort();
        if (orders[i] != PKT_ORDER_NATIVE && q->order != orders[i])
            abort();
        /* One byte less of room is refused, never overrun. */
        if (pkt_encode(p, orders[i], out, (size_t)n - 1) != PKT_ENOSPC)
            abort();
    }
}

/* Rebuild a decoded GROUPS body through the iterators and builders. */
static void check_groups(const struct pkt_msg *m, unsigned char *out)
{
    struct pkt_groups g;
    struct pkt_group grp;
    struct pkt_group_daemon d;
    uint32_t ids[PKT_MAX_MEMBERS];
    size_t off = 0, len = 0;
    unsigned n = 0;

    if (pkt_groups_decode(m->data, (size_t)m->data_len, m->order, &g) != 0)
        return;
    for (uint32_t i = 0; i < g.synced.n; i++)
        ids[i] = (uint32_t)pkt_i32s_get(&g.synced, i);
    if (pkt_groups_put_head(out, PKT_MAX_DATAGRAM, &len, g.order, g.mid,
                            g.first, ids, g.synced.n) != 0)
        abort();
    while (pkt_groups_next(&g, &off, &grp)) {
        size_t doff = 0;
        unsigned nd = 0;
        n++;
        if (pkt_groups_put_group(out, PKT_MAX_DATAGRAM, &len, g.order,
                                 (const char *)grp.name, grp.gid,
                                 grp.gid_index, grp.changed,
                                 grp.ndaemons) != 0)
            abort();
        while (pkt_group_daemon_next(&grp, &doff, &d)) {
            nd++;
            if (pkt_groups_put_daemon(out, PKT_MAX_DATAGRAM, &len, g.order,
                                      d.id, d.mid, d.nmembers,
                                      d.members) != 0)
                abort();
        }
        if (nd != grp.ndaemons || doff != grp.daemons_len)
            abort();
    }
    if (n != g.ngroups || len != (size_t)m->data_len ||
        memcmp(out, m->data, len) != 0)
        abort();
}

static void check_msg(const uint8_t *data, size_t size, unsigned char *out)
{
    struct pkt_msg m, e;
    int n;

    if (pkt_msg_decode(data, size, &m) != 0)
        return;
    if ((m.type & 0x00080000u) && size <= PKT_MAX_DATAGRAM)   /* GROUPS */
        check_groups(&m, out);
    n = pkt_msg_encode(&m, PKT_ORDER_BE, out, PKT_MAX_DATAGRAM);
    if (size <= PKT_MAX_DATAGRAM && (n < 0 || (size_t)n != size))
        abort();
    if (n > 0 && (pkt_msg_decode(out, (size_t)n, &e) != 0 ||
                  e.type != m.type || e.num_groups != m.num_groups ||
                  e.hint != m.hint || e.data_len != m.data_len ||
                  memcmp(e.sender, m.sender, sizeof m.sender) != 0 ||
                  memcmp(out + PKT_MSG_HEADER_LEN, data + PKT_MSG_HEADER_LEN,
                         size - PKT_MSG_HEADER_LEN) != 0))
        abort();
}

static void check_data(const struct pkt_data *d, const uint8_t *data,
                       size_t size, unsigned char *out)
{
    struct frag_reasm *ra = malloc(sizeof *ra);
    struct frag_done done;

    if (ra == NULL)
        abort();
    frag_reasm_init(ra);
    for (unsigned k = 0; k < d->nfrags; k++) {
        const struct pkt_frag *f = &d->frags[k];
        if (f->bytes < data || f->bytes + f->len > data + size)
            abort();
        if (f->index == -1)
            check_msg(f->bytes, f->len, out);
        if (frag_reasm_add(ra, d->h.originator, f, &done) == 1 &&
            (done.len < PKT_MSG_HEADER_LEN || done.len != pkt_msg_len(&done.msg)))
            abort();
    }
    frag_reasm_fini(ra);
    free(ra);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pkt *p = malloc(sizeof *p), *q = malloc(sizeof *q);
    unsigned char *out = malloc(PKT_MAX_DATAGRAM);

    if (p == NULL || q == NULL || out == NULL)
        abort();
    if (pkt_decode(data, size, p) == 0) {
        round_trip(p, size, out, q);
        if (p->kind == PKT_KIND_DATA)
            check_data(&p->u.data, data, size, out);
    }
    check_msg(data, size, out);
    free(p);
    free(q);
    free(out);
    return 0;
}
