/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * pkt: the daemon-to-daemon packet codec, upstream Spread 5.0.1's wire
 * format (ring.md §13 and §2 rule 17; the captures in
 * ../shared/vectors/ring, README sections 5 and 6, win where they differ).
 * This is the only code that touches raw daemon packet bytes: everything
 * above it works on the decoded structs below.
 *
 * Contract
 * - Pure: no I/O, no clock, no logging, no allocation, no mutable state;
 *   any input of any length is safe (fuzzed by fuzz/fuzz_pkt.c). Never
 *   reads outside [buf, buf + len).
 * - Validate before trust: a decode function either returns 0 with every
 *   length, count and offset of the result checked against the datagram,
 *   or a negative PKT_E* code (pkt_strerror() names it) and leaves *out
 *   unspecified. Codes are pkt's own, not -errno.
 * - Byte order: a sender writes its native order; the type word carries
 *   the marker 0x80000080 when that order is little-endian and no marker
 *   bit when it is big-endian (README D10); one marker bit alone is
 *   refused. Decoding accepts both and returns every integer in host
 *   order; `order` in a decoded struct records the sender's. Encoding
 *   writes the order the caller asks for; PKT_ORDER_NATIVE (what upstream
 *   does) is the default.
 * - Zero copy: fragment bytes, message group names and data, request-list
 *   seqs and FORM holes point into the decoded datagram (or message); they
 *   live as long as that buffer. Lists with a protocol bound (members,
 *   representatives, ring records, commit ids, fragments of a packet) are
 *   copied into fixed arrays.
 * - Encoding writes exactly what decoding reads: decode(encode(x)) == x
 *   field for field, for every x that decode can return. Bytes the format
 *   leaves unspecified (padding before appended fragment descriptors,
 *   unused slots of the FORM member and representative structures) are
 *   written as zeros and ignored when read (README "Bytes that differ").
 *   Length fields (payload length, rtr_len, counts) are computed by the
 *   encoder from the content, not taken from the struct.
 * - The output buffer of an encode function must not overlap the bytes
 *   the struct points to.
 * - Which port a kind arrives on (pkt_kind_on_token_port()) and which
 *   daemons, hashes and rings are acceptable (ring.md §1.4) is the
 *   caller's business: pkt checks the format only.
 */
#ifndef COHORT_DAEMON_RING_PKT_H
#define COHORT_DAEMON_RING_PKT_H

#include <stddef.h>
#include <stdint.h>

/* ---- limits (ring.md §2, §8, §9.4; upstream 5.0.1) --------------------- */

#define PKT_HEADER_LEN 40          /* data/membership header, token header */
#define PKT_MAX_PAYLOAD 1432       /* payload of a data packet */
#define PKT_MAX_DATA_DATAGRAM (PKT_HEADER_LEN + PKT_MAX_PAYLOAD) /* 1472 */
#define PKT_MAX_DATAGRAM 65507     /* one UDP datagram (tokens, FORM) */
#define PKT_MAX_MEMBERS 128        /* daemons in a configuration */
#define PKT_MAX_REPS 25            /* representatives on JOIN / FORM1 */
#define PKT_MAX_RINGS 20           /* ring records on a FORM token */
#define PKT_MAX_SEGMENTS 20
#define PKT_MAX_MSG_FRAGS 100      /* fragments of one message */
/* Fragments in one data packet: a first fragment, then whole messages of
 * at least a message header each, 4-byte aligned with a descriptor:
 * 1 + (1432 - 48) / 52 = 27. */
#define PKT_MAX_FRAGS 27

#define PKT_MEMBERS_FULL_LEN (4 + 4 * PKT_MAX_MEMBERS)  /* 516 on FORM */
#define PKT_REPS_FULL_LEN (4 + 8 * PKT_MAX_REPS)        /* 204 on FORM1 */
#define PKT_RING_RECORD_LEN 28     /* fixed part of a FORM ring record */
#define PKT_RTR_BLOCK_LEN 16       /* fixed part of a token request block */

/* ---- type word (ring.md §13) ------------------------------------------- */

#define PKT_UNRELIABLE 0x00000001u
#define PKT_RELIABLE 0x00000002u
#define PKT_FIFO 0x00000004u
#define PKT_AGREED 0x00000008u
#define PKT_SAFE 0x00000010u
#define PKT_SERVICE_MASK 0x0000001fu
#define PKT_ROUTED 0x00000020u
#define PKT_HURRY 0x00000040u
#define PKT_ALIVE 0x00000100u
#define PKT_JOIN 0x00000200u
#define PKT_REFER 0x00000400u
#define PKT_FORM1 0x00001000u
#define PKT_FORM2 0x00002000u
#define PKT_ROUND_MASK 0x000f0000u   /* token round stamp ("ARQ") */
#define PKT_ROUND_SHIFT 16
#define PKT_RESEND_MASK 0x00f00000u  /* token resend count */
#define PKT_RESEND_SHIFT 20
#define PKT_STATUS 0x01000000u       /* monitor control packets: not */
#define PKT_PARTITION 0x02000000u    /* decoded here (PKT_ECONTROL) */
#define PKT_FC 0x04000000u
#define PKT_RELOAD 0x08000000u
#define PKT_CONTROL_MASK 0x0f000000u
#define PKT_ENDIAN_MARK 0x80000080u  /* little-endian sender */

static inline unsigned pkt_type_round(uint32_t type)
{
    return (type & PKT_ROUND_MASK) >> PKT_ROUND_SHIFT;
}

static inline unsigned pkt_type_resend(uint32_t type)
{
    return (type & PKT_RESEND_MASK) >> PKT_RESEND_SHIFT;
}

static inline uint32_t pkt_type_with_round(uint32_t type, unsigned round,
                                           unsigned resend)
{
    return (type & ~(PKT_ROUND_MASK | PKT_RESEND_MASK)) |
           (((uint32_t)round << PKT_ROUND_SHIFT) & PKT_ROUND_MASK) |
           (((uint32_t)resend << PKT_RESEND_SHIFT) & PKT_RESEND_MASK);
}

/* Representative kinds (JOIN, REFER, FORM1). */
#define PKT_REP_POTENTIAL 0
#define PKT_REP_SEG 1
#define PKT_REP_RING 2

#define PKT_ID_NONE 0xffffffffu      /* "nobody" / "several" (−1) */
#define PKT_SEG_SEVERAL (-1)         /* request block: several segments */

/* ---- errors ------------------------------------------------------------- */

enum pkt_error {
    PKT_OK = 0,
    PKT_ESHORT = -1001,   /* shorter than its fixed part */
    PKT_ELENGTH = -1002,  /* declared length differs from the datagram */
    PKT_EORDER = -1003,   /* only one of the two marker bits set */
    PKT_ETYPE = -1004,    /* unknown or contradictory type word */
    PKT_ECONTROL = -1005, /* a monitor control packet: not ours to decode */
    PKT_ERANGE = -1006,   /* a count or field outside its bound */
    PKT_EFRAG = -1007,    /* fragment layout of a data packet is invalid */
    PKT_ENOSPC = -1008,   /* encode: the output buffer is too small */
    PKT_EINVAL = -1009    /* encode: the struct cannot be encoded */
};

const char *pkt_strerror(int code);

/* ---- byte order --------------------------------------------------------- */

enum pkt_order {
    PKT_ORDER_NATIVE = 0, /* encode only: this host's order (default) */
    PKT_ORDER_LE = 1,     /* with the marker */
    PKT_ORDER_BE = 2      /* without the marker */
};

/* This host's order (PKT_ORDER_LE or PKT_ORDER_BE). */
enum pkt_order pkt_host_order(void);

/* A list of 32-bit integers left in the datagram (or any buffer) in a
 * given byte order: request-list seqs, FORM holes. To encode from an array
 * in memory, point `bytes` at it with order = pkt_host_order(), or use
 * pkt_i32s_host(). */
struct pkt_i32s {
    const unsigned char *bytes;
    uint32_t n;
    enum pkt_order order;   /* PKT_ORDER_LE or PKT_ORDER_BE */
};

int32_t pkt_i32s_get(const struct pkt_i32s *v, uint32_t i);
struct pkt_i32s pkt_i32s_host(const int32_t *a, uint32_t n);

/* ---- common pieces ------------------------------------------------------ */

/* Membership id: creator's proc id and its time (ring.md §1.5). */
struct pkt_mid {
    uint32_t id;
    int32_t time;
};

/* The 40-byte header of every port-P datagram (data, HURRY, ALIVE, JOIN,
 * REFER). All words are kept so that re-encoding gives the same bytes; the
 * ones a kind does not use were always 0 on the wire. */
struct pkt_head {
    uint32_t type;          /* host order, marker bits cleared */
    uint32_t transmitter;   /* last hop */
    uint32_t originator;
    struct pkt_mid mid;     /* REFER: (representative id, its kind) */
    int32_t seq;
    int32_t round;          /* tokens the sender has processed in the ring */
    uint32_t hash;          /* configuration hash */
    uint16_t payload_len;   /* decode: as read; encode: computed */
    uint16_t pad;           /* 16 bits after payload_len, kept as read */
    int16_t frag_index;     /* DATA: see pkt_data.frags[0]; else kept */
    uint16_t frag_len;
};

/* The 40-byte header of every port-P+1 datagram (token, FORM1, FORM2). */
struct pkt_token_head {
    uint32_t type;          /* host order, marker cleared; round, resend */
    uint32_t transmitter;
    uint32_t last;          /* last processor (== transmitter upstream) */
    struct pkt_mid mid;     /* ring id; FORM: the attempt id */
    int32_t seq;            /* FORM: the "above every old seq" marker */
    int32_t aru;
    uint32_t aru_setter;    /* PKT_ID_NONE on a new ring's first token */
    int16_t flow_control;
    uint16_t rtr_len;       /* decode: as read; encode: computed */
    uint32_t hash;
};

/* Member list: ALIVE and JOIN carry `nmembers` ids (used size only);
 * FORM tokens carry the full 128-slot structure, of which the first
 * `nmembers` are the visited members and the next `npending` the pending
 * ones. */
struct pkt_members {
    int16_t nmembers;
    int16_t npending;
    uint32_t ids[PKT_MAX_MEMBERS];
};

struct pkt_rep {
    uint32_t id;
    int16_t kind;           /* PKT_REP_* */
    int16_t seg;            /* segment index */
};

struct pkt_reps {
    int16_t nreps;
    int16_t cursor;         /* 0..nreps */
    struct pkt_rep r[PKT_MAX_REPS];
};

/* ---- data packets -------------------------------------------------------- */

/* One fragment: index 1..n-1 for the k-th fragment of an n-fragment
 * message, -n for its last one (-1: a whole single-packet message); never
 * 0 (README D3). `bytes` point into the datagram. */
struct pkt_frag {
    int16_t index;
    uint16_t len;
    const unsigned char *bytes;
};

/* A data packet. The packet service is h.type & PKT_SERVICE_MASK (exactly
 * one bit); h.type may also hold PKT_ROUTED. frags[0] is the fragment
 * described in the header; frags[1..] are appended whole messages (index
 * -1), each at the next 4-byte boundary behind its (index, len)
 * descriptor. Decoding checks: payload_len == datagram - 40 <= 1432,
 * every fragment inside the payload, the last one ending it exactly,
 * indices in -100..-1 or 1..99, a fragment that starts a message (index 1
 * or -1) at least 48 bytes long. */
struct pkt_data {
    struct pkt_head h;
    unsigned nfrags;        /* 1..PKT_MAX_FRAGS */
    struct pkt_frag frags[PKT_MAX_FRAGS];
};

/* ---- tokens -------------------------------------------------------------- */

/* One retransmission request block: ring id, requester (PKT_ID_NONE =
 * several), requester's segment index (PKT_SEG_SEVERAL = several), count,
 * then `count` seqs. */
struct pkt_rtr {
    struct pkt_mid ring;
    uint32_t requester;
    int16_t seg_index;
    int16_t count;          /* >= 0 */
    struct pkt_i32s seqs;   /* count seqs */
};

/* The request list as it lies in the datagram (or in a buffer the caller
 * built with pkt_rtr_put()): `len` bytes of whole blocks in `order`. */
struct pkt_rtr_list {
    const unsigned char *bytes;
    uint16_t len;
    enum pkt_order order;
    unsigned nblocks;       /* decode: counted; encode: ignored */
};

/* A regular token: h.type holds only round stamp and resend count (no kind
 * bit). Decoding checks: datagram == 40 + rtr_len, the blocks fill rtr_len
 * exactly, counts >= 0. */
struct pkt_token {
    struct pkt_token_head h;
    struct pkt_rtr_list rtr;
};

/* Iterate the request blocks of a decoded (validated) list: start with
 * *off = 0; returns 1 and fills *blk while blocks remain, else 0. On a
 * list that was not validated, returns 0 at the first block that does not
 * fit, never reading outside it. */
int pkt_rtr_next(const struct pkt_rtr_list *l, size_t *off,
                 struct pkt_rtr *blk);

/* Append one block in `order` (that of the list being built; NATIVE
 * means this host's) at buf[*len] and advance *len; returns 0, or
 * PKT_ENOSPC / PKT_EINVAL (count < 0 or != seqs.n) with nothing written.
 * The seqs are read through blk->seqs, in whatever order they are. */
int pkt_rtr_put(unsigned char *buf, size_t cap, size_t *len,
                enum pkt_order order, const struct pkt_rtr *blk);

/* ---- HURRY, ALIVE, JOIN, REFER ------------------------------------------ */

/* HURRY: header only, type PKT_HURRY, originator = the requester.
 * REFER: header only, type PKT_REFER, h.mid = (representative id, kind
 * PKT_REP_*, checked). Both decode to a pkt_head with payload_len == 0 ==
 * datagram - 40. */
static inline uint32_t pkt_refer_rep(const struct pkt_head *h)
{
    return h->mid.id;
}

static inline int32_t pkt_refer_kind(const struct pkt_head *h)
{
    return h->mid.time;
}

/* ALIVE: member list at its used size. JOIN: member list, then the
 * representative list at its used size. Decoding checks that the payload
 * is exactly that long, 0 <= nmembers, npending and nmembers + npending <=
 * 128, 0 <= cursor <= nreps <= 25, kinds 0..2, segments 0..19. */
struct pkt_memb {
    struct pkt_head h;
    struct pkt_members members;
    struct pkt_reps reps;       /* JOIN only */
};

/* ---- FORM1, FORM2 ------------------------------------------------------- */

/* One old ring's record on a FORM token (28 bytes, then the holes, then
 * the commit ids; the first ntrans commit ids are the transitional set). */
struct pkt_ring {
    struct pkt_mid mid;
    int32_t trans_time;
    int32_t aru;
    int32_t highest_seq;
    struct pkt_i32s holes;      /* n = number of holes */
    uint16_t ncommit;           /* <= 128 */
    uint16_t ntrans;            /* <= ncommit */
    uint32_t commit[PKT_MAX_MEMBERS];
};

/* FORM1 (h.type & PKT_FORM1) or FORM2 (PKT_FORM2): token header (mid =
 * attempt id, seq = marker), member structure (516 bytes), then FORM1's
 * representative structure (204 bytes) or FORM2's 8-byte new membership id,
 * then the ring count (int32) and the records. Decoding checks: datagram
 * == 40 + rtr_len == the end of the last record, 0 <= nmembers, npending,
 * nmembers + npending <= 128, reps as for JOIN, 0 <= nrings <= 20, per
 * record 0 <= holes, ntrans <= ncommit <= 128. Unused member and
 * representative slots are ignored (stale on the wire, README D8). */
struct pkt_form {
    struct pkt_token_head h;
    struct pkt_members members;
    struct pkt_reps reps;       /* FORM1 */
    struct pkt_mid new_mid;     /* FORM2 (README D6: before the first member
                                   fills it, a copy of the first 8 bytes of
                                   the representative structure) */
    int32_t nrings;
    struct pkt_ring rings[PKT_MAX_RINGS];
};

/* ---- any datagram ------------------------------------------------------- */

enum pkt_kind {
    PKT_KIND_DATA = 1,
    PKT_KIND_TOKEN,
    PKT_KIND_HURRY,
    PKT_KIND_ALIVE,
    PKT_KIND_JOIN,
    PKT_KIND_REFER,
    PKT_KIND_FORM1,
    PKT_KIND_FORM2
};

const char *pkt_kind_name(enum pkt_kind kind);

/* Tokens, FORM1 and FORM2 travel to port P+1; the rest to port P. */
static inline int pkt_kind_on_token_port(enum pkt_kind kind)
{
    return kind == PKT_KIND_TOKEN || kind == PKT_KIND_FORM1 ||
           kind == PKT_KIND_FORM2;
}

/* A decoded datagram. Large (a FORM token holds 20 full ring records):
 * keep it off small stacks. */
struct pkt {
    enum pkt_kind kind;
    enum pkt_order order;       /* the sender's */
    union {
        struct pkt_data data;       /* DATA */
        struct pkt_token token;     /* TOKEN */
        struct pkt_head head;       /* HURRY, REFER */
        struct pkt_memb memb;       /* ALIVE, JOIN */
        struct pkt_form form;       /* FORM1, FORM2 */
    } u;
};

/* The kind and sender's order from the type word alone (first 4 bytes):
 * 0, PKT_ESHORT, PKT_EORDER, PKT_ETYPE or PKT_ECONTROL. The type word
 * must hold exactly: a token's nothing but round stamp and resend count;
 * FORM1 or FORM2 alone; HURRY, ALIVE, JOIN or REFER alone; or exactly one
 * service bit, optionally with ROUTED (data). */
int pkt_classify(const unsigned char *buf, size_t len, enum pkt_kind *kind,
                 enum pkt_order *order);

/* Decode and validate any datagram. */
int pkt_decode(const unsigned char *buf, size_t len, struct pkt *out);

/* Encode p (p->kind selects the layout; p->order is ignored) in `order`
 * into buf[cap]. Returns the datagram length, or PKT_ENOSPC, or
 * PKT_EINVAL when the struct breaks a rule that decoding checks (type word
 * not of p->kind, a count out of range, a data packet over 1432 bytes...),
 * so that whatever is encoded decodes again. */
int pkt_encode(const struct pkt *p, enum pkt_order order, unsigned char *buf,
               size_t cap);

/* 1 if a and b carry the same content (kind and every field; fragment
 * bytes, seqs and holes compared by value; unused slots and the sender's
 * byte order ignored), else 0. What decode(encode(x)) == x means. */
int pkt_equal(const struct pkt *a, const struct pkt *b);

/* Per-kind entry points: the same checks, plus the kind must match
 * (PKT_ETYPE otherwise). pkt_memb_decode takes ALIVE and JOIN, pkt_head_
 * decode HURRY and REFER, pkt_form_decode FORM1 and FORM2. `order` may be
 * NULL. */
int pkt_data_decode(const unsigned char *buf, size_t len, struct pkt_data *d,
                    enum pkt_order *order);
int pkt_token_decode(const unsigned char *buf, size_t len,
                     struct pkt_token *t, enum pkt_order *order);
int pkt_head_decode(const unsigned char *buf, size_t len, struct pkt_head *h,
                    enum pkt_order *order);
int pkt_memb_decode(const unsigned char *buf, size_t len, struct pkt_memb *m,
                    enum pkt_order *order);
int pkt_form_decode(const unsigned char *buf, size_t len, struct pkt_form *f,
                    enum pkt_order *order);

int pkt_data_encode(const struct pkt_data *d, enum pkt_order order,
                    unsigned char *buf, size_t cap);
int pkt_token_encode(const struct pkt_token *t, enum pkt_order order,
                     unsigned char *buf, size_t cap);
int pkt_head_encode(const struct pkt_head *h, enum pkt_order order,
                    unsigned char *buf, size_t cap);
int pkt_memb_encode(const struct pkt_memb *m, enum pkt_order order,
                    unsigned char *buf, size_t cap);
int pkt_form_encode(const struct pkt_form *f, enum pkt_order order,
                    unsigned char *buf, size_t cap);

/* ---- the message header inside data fragments (ring.md §8 rule 43) ----- */

#define PKT_MSG_HEADER_LEN 48
#define PKT_GROUP_NAME 32
#define PKT_MAX_MSG_GROUPS 100
/* Largest message: 100 fragments of 1432 bytes. */
#define PKT_MAX_MSG_LEN (PKT_MAX_MSG_FRAGS * PKT_MAX_PAYLOAD)

/* A serialised message: 48-byte header (type word with the client's
 * flags, the sender's private group name, num_groups, hint, data_len),
 * num_groups group names of 32 bytes, data_len bytes of data. The header
 * has its own byte order (its type word's marker), independent of the
 * packet's. As in internal/wire.h, `hint` is the raw word as the writer
 * left it (it carries the writer's marker): read it with
 * spw_mess_type_from_hint(); encoding writes it back unchanged. */
struct pkt_msg {
    enum pkt_order order;       /* the header's */
    uint32_t type;              /* host order, marker cleared */
    char sender[PKT_GROUP_NAME]; /* raw 32 bytes (GROUPS: daemon name and
                                    an int32 in bytes 28..31) */
    int32_t num_groups;         /* 0..100 */
    uint32_t hint;              /* raw */
    int32_t data_len;           /* >= 0 */
    const unsigned char *groups; /* num_groups * 32 bytes, or NULL */
    const unsigned char *data;  /* data_len bytes, or NULL */
};

/* Total serialised length 48 + 32 * num_groups + data_len. */
size_t pkt_msg_len(const struct pkt_msg *m);

/* Decode the 48-byte header at buf (len >= 48: a first fragment, say),
 * checking the marker, 0 <= num_groups <= 100, 0 <= data_len, total
 * length <= PKT_MAX_MSG_LEN; groups/data are set to NULL. */
int pkt_msg_head_decode(const unsigned char *buf, size_t len,
                        struct pkt_msg *m);

/* Decode a whole message: as above, and len must equal pkt_msg_len();
 * groups and data then point into buf. */
int pkt_msg_decode(const unsigned char *buf, size_t len, struct pkt_msg *m);

/* Write header, group names and data in `order` (hint unchanged). Returns
 * pkt_msg_len(m) or PKT_ENOSPC / PKT_EINVAL. */
int pkt_msg_encode(const struct pkt_msg *m, enum pkt_order order,
                   unsigned char *buf, size_t cap);

/* ---- GROUPS message body (group state exchange, ring.md §11.3) --------- */

/* A GROUPS message (type GROUPS_MESS | AGREED_MESS, or RELIABLE_MESS for
 * all but a daemon's last one) has no group names; its sender field holds
 * the daemon name (bytes 0..27, NUL-padded) and in bytes 28..31 the number
 * of daemons the message speaks for, an int32 in the header's order. Its
 * body, all in the header's order and unaligned: the new membership id
 * (8), a flag byte (1 = this daemon's first GROUPS message), if the flag
 * is 1 the synced set (int32 count, ids), then group records to the end:
 * name (32), group id (membership id 8 + index int32), changed (16 bits),
 * number of daemons (16 bits), and per daemon: id, membership id (8),
 * number of local members (16 bits), the members' private names (32
 * each). The README's decode.py is the reference for the layout. */
#define PKT_GROUPS_NAME_LEN 28

/* Bytes 28..31 of a GROUPS message's sender field, read in m->order. */
int32_t pkt_groups_count(const struct pkt_msg *m);

/* Fill m->sender: `name` (at most 27 bytes, NUL-padded) and `count` in
 * m->order (NATIVE: this host's). Encode the message in that order. */
void pkt_groups_set_sender(struct pkt_msg *m, const char *name, int32_t count);

/* A decoded body; group records stay in the message (zero copy). */
struct pkt_groups {
    enum pkt_order order;
    struct pkt_mid mid;         /* the new membership id */
    uint8_t first;              /* 0 or 1 */
    struct pkt_i32s synced;     /* first == 1: the synced set's ids */
    const unsigned char *recs;  /* the group records */
    size_t recs_len;
    unsigned ngroups;
};

struct pkt_group {
    const unsigned char *name;  /* 32 bytes, raw */
    struct pkt_mid gid;         /* group id: membership id ... */
    int32_t gid_index;          /* ... and index */
    uint16_t changed;
    uint16_t ndaemons;
    const unsigned char *daemons;   /* the daemon records */
    size_t daemons_len;
    enum pkt_order order;
};

struct pkt_group_daemon {
    uint32_t id;
    struct pkt_mid mid;
    uint16_t nmembers;
    const unsigned char *members;   /* nmembers * 32 bytes, raw */
};

/* Decode and validate a body (m->data, m->data_len, m->order of a decoded
 * GROUPS message): flag 0 or 1, synced set <= 128 ids, the group records
 * fill the rest exactly. */
int pkt_groups_decode(const unsigned char *body, size_t len,
                      enum pkt_order order, struct pkt_groups *g);

/* Iterate the groups of a decoded body, then the daemons of a group:
 * start with *off = 0; 1 while records remain, else 0. */
int pkt_groups_next(const struct pkt_groups *g, size_t *off,
                    struct pkt_group *grp);
int pkt_group_daemon_next(const struct pkt_group *grp, size_t *off,
                          struct pkt_group_daemon *d);

/* Build a body at buf[*len] (advancing *len) in `order`: the head, then
 * for each group its record followed by its `ndaemons` daemon records.
 * Return 0, PKT_ENOSPC or PKT_EINVAL (nothing written then). */
int pkt_groups_put_head(unsigned char *buf, size_t cap, size_t *len,
                        enum pkt_order order, struct pkt_mid mid, int first,
                        const uint32_t *synced, unsigned nsynced);
int pkt_groups_put_group(unsigned char *buf, size_t cap, size_t *len,
                         enum pkt_order order, const char name[PKT_GROUP_NAME],
                         struct pkt_mid gid, int32_t gid_index,
                         uint16_t changed, uint16_t ndaemons);
int pkt_groups_put_daemon(unsigned char *buf, size_t cap, size_t *len,
                          enum pkt_order order, uint32_t id,
                          struct pkt_mid mid, uint16_t nmembers,
                          const unsigned char *members);

#endif /* COHORT_DAEMON_RING_PKT_H */
