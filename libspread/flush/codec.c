/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flush/codec: bytes of the flush layer's traffic (see codec.h).
 */
#include "config.h"

#include "codec.h"

#include <errno.h>
#include <string.h>

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) |
           (v << 24);
}

static uint16_t swap16(uint16_t v)
{
    return (uint16_t)((v >> 8) | (v << 8));
}

void flc_id_encode(unsigned char out[FLC_ID_LEN], const group_id *id)
{
    memcpy(out, id->id, FLC_ID_LEN);
}

static void id_decode(const unsigned char *in, int swap, group_id *id)
{
    uint32_t w[3];
    int i;

    memcpy(w, in, sizeof w);
    for (i = 0; i < 3; i++)
        id->id[i] = (int32)(swap ? swap32(w[i]) : w[i]);
}

size_t flc_trailer_encode(unsigned char *out, int tagged, int16 app_type,
                          const group_id *view, const char *ref)
{
    size_t n = 0;

    if (tagged) {
        memcpy(out, &app_type, 2);
        flc_id_encode(out + 2, view);
        n = FLC_TAG_LEN;
    }
    if (ref != NULL) {
        memcpy(out + n, ref, FLC_REF_LEN);
        n += FLC_REF_LEN;
    }
    return n;
}

int flc_data_decode(const unsigned char *body, size_t len, service serv,
                    int16 wire_type, int swap, struct flc_data *out)
{
    memset(out, 0, sizeof *out);
    out->kind = FLC_KIND_DATA;
    out->app_type = wire_type;
    if (serv & SUBGROUP_CAST) {
        if (len < FLC_REF_LEN)
            return -EBADMSG;
        len -= FLC_REF_LEN;
        memcpy(out->ref, body + len, FLC_REF_LEN);
        out->has_ref = 1;
    }
    if (wire_type < FL_MIN_LEGAL_MESS_TYPE) {
        if (len < FLC_ID_LEN)
            return -EBADMSG;
        len -= FLC_ID_LEN;
        id_decode(body + len, swap, &out->id);
        if (wire_type == FLC_FLUSH_OK) {
            out->kind = FLC_KIND_FLUSH_OK;
        } else if (wire_type == FLC_FLUSH_RECV) {
            out->kind = FLC_KIND_FLUSH_RECV;
        } else {
            uint16_t t;
            if (len < 2)
                return -EBADMSG;
            len -= 2;
            memcpy(&t, body + len, 2);
            out->app_type = (int16)(swap ? swap16(t) : t);
            out->kind = FLC_KIND_TAGGED;
        }
    }
    out->app_len = len;
    return 0;
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

/* Layout: id (12), set count (4), own-set offset from byte 20 (4), then
 * the sets, each a count and that many names. The own set must start
 * exactly where one of the listed sets does. */
int flc_memb_decode(const unsigned char *body, size_t len,
                    struct flc_memb *out)
{
    uint32_t nsets, own_off, i;
    size_t pos = 20;
    int found = 0;

    if (len < 20)
        return -EBADMSG;
    id_decode(body, 0, &out->id);
    nsets = get32(body + 12);
    own_off = get32(body + 16);
    for (i = 0; i < nsets; i++) {
        uint32_t m;
        if (len - pos < 4)
            return -EBADMSG;
        m = get32(body + pos);
        if (m > (len - pos - 4) / MAX_GROUP_NAME)
            return -EBADMSG;
        if (pos - 20 == own_off) {
            found = 1;
            out->own_count = m;
            out->own_names = body + pos + 4;
        }
        pos += 4 + (size_t)m * MAX_GROUP_NAME;
    }
    return found ? 0 : -EBADMSG;
}

size_t flc_view_len(int k)
{
    return FLC_VIEW_SET_OFF + (size_t)k * MAX_GROUP_NAME;
}

void flc_view_encode(unsigned char *out, const group_id *id, int k,
                     const char (*names)[MAX_GROUP_NAME])
{
    int32 n = k;

    flc_id_encode(out + FLC_VIEW_GID_OFF, id);
    memcpy(out + FLC_VIEW_NUM_OFF, &n, 4);
    if (k > 0 && names != NULL)
        memcpy(out + FLC_VIEW_SET_OFF, names, (size_t)k * MAX_GROUP_NAME);
}

int flc_is_private(const char *name)
{
    return memchr(name, '#', strnlen(name, MAX_GROUP_NAME)) != NULL;
}
