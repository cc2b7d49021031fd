/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * memb_fast: what Cohort's faster membership knows, and when it lets a
 * phase end early (memb_sm.h, conf.fast). Upstream ends SEG only at
 * SegTimeout and GATHER only at GatherTimeout, however early everyone
 * has spoken; after a crash that is 1.75 s of waiting on top of the
 * token timeout. Here a phase ends once every daemon that could still
 * change its outcome has been heard and agrees, or is known to be gone:
 *
 * - unreachable daemons: a datagram to a daemon came back as ICMP port
 *   unreachable, so no process listens there. It is not waited for
 *   until it is heard from again, or for one LookupTimeout at most (a
 *   restarted daemon speaks first: it starts in SEG).
 * - SEG ends when each member of my old ring either sent an ALIVE whose
 *   list is exactly my list or is unreachable, and every other daemon I
 *   heard did the same. Everyone heard then computes the same first
 *   daemon, so the outcome (who represents the segment) is the one
 *   SegTimeout would give. Only after a ring existed: a starting daemon
 *   knows nobody to wait for and keeps upstream's SegTimeout.
 * - GATHER ends at the smallest representative when every other
 *   representative's JOIN since I entered lists exactly my
 *   representatives, and either every configured daemon is accounted
 *   for (represented, or unreachable), or, with one segment, a
 *   JoinTimeout has passed since I entered (everyone in the segment has
 *   had my JOIN and time to answer), or at once when I represent my
 *   segment alone after the loss of a ring. Another ring that answers late is
 *   merged by the leader's probe (memb_sm.c) a moment later. My JOINs
 *   also go to each configured daemon not accounted for, so that a dead
 *   one's host answers for it (and a live one hears of me).
 *
 * This is a local choice of timing: the packets are upstream's, and an
 * upstream daemon that is not done waiting receives the FORM1 token as it
 * would after its own timeout (docs/protocol.md, D11).
 */
#include <string.h>

#include "memb_sm_int.h"

/* ---- sets of configured daemons ---------------------------------------- */

static void set_add(struct msm_set *s, int idx)
{
    if (idx >= 0 && idx < PKT_MAX_MEMBERS)
        s->w[idx / 64] |= (uint64_t)1 << (idx % 64);
}

static int set_has(const struct msm_set *s, int idx)
{
    return idx >= 0 && idx < PKT_MAX_MEMBERS &&
           (s->w[idx / 64] >> (idx % 64)) & 1;
}

static int set_eq(const struct msm_set *a, const struct msm_set *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

static void set_or(struct msm_set *a, const struct msm_set *b)
{
    unsigned i;
    for (i = 0; i < sizeof a->w / sizeof a->w[0]; i++)
        a->w[i] |= b->w[i];
}

static void set_of_ids(const struct msm *m, struct msm_set *s,
                       const uint32_t *ids, unsigned n)
{
    unsigned i;

    memset(s, 0, sizeof *s);
    for (i = 0; i < n; i++)
        set_add(s, msm_cfg_index(m, ids[i]));
}

static void set_of_reps(const struct msm *m, struct msm_set *s,
                        const struct pkt_reps *r)
{
    int i;

    memset(s, 0, sizeof *s);
    for (i = 0; i < r->nreps && i < PKT_MAX_REPS; i++)
        set_add(s, msm_cfg_index(m, r->r[i].id));
}

/* ---- unreachable daemons ----------------------------------------------- */

int msmq_suspect(const struct msm *m, int idx, uint64_t now)
{
    return idx >= 0 && (unsigned)idx < m->conf.n &&
           m->fast.suspect_until[idx] > now;
}

int msmq_mark_unreachable(struct msm *m, uint32_t id, uint64_t now)
{
    int idx = msm_cfg_index(m, id);

    if (idx < 0 || id == m->conf.my_id)
        return -1;
    if (m->fast.suspect_until[idx] == 0)
        m->fast.nsuspects++;
    m->fast.suspect_until[idx] = now + m->conf.timeout_ms[MSM_TO_LOOKUP];
    return idx;
}

void msm_heard(struct msm *m, uint32_t id)
{
    int idx;

    if (m->fast.nsuspects == 0)
        return;
    idx = msm_cfg_index(m, id);
    if (idx >= 0 && m->fast.suspect_until[idx] != 0) {
        m->fast.suspect_until[idx] = 0;
        m->fast.nsuspects--;
    }
}

/* ---- SEG ------------------------------------------------------------------ */

void msmq_seg_reset(struct msm *m)
{
    memset(&m->fast.said, 0, sizeof m->fast.said);
}

void msmq_seg_said(struct msm *m, uint32_t from, const uint32_t *ids,
                   unsigned n)
{
    int idx = msm_cfg_index(m, from);

    if (idx < 0)
        return;
    set_add(&m->fast.said, idx);
    set_of_ids(m, &m->fast.heard[idx], ids, n);
}

/* a and b agree on every daemon not known to be unreachable. */
static int set_eq_alive(const struct msm *m, const struct msm_set *a,
                        const struct msm_set *b, uint64_t now)
{
    unsigned i;

    if (m->fast.nsuspects == 0)
        return set_eq(a, b);
    for (i = 0; i < m->conf.n; i++)
        if (set_has(a, (int)i) != set_has(b, (int)i) &&
            !msmq_suspect(m, (int)i, now))
            return 0;
    return 1;
}

int msmq_seg_settled(const struct msm *m, uint64_t now)
{
    struct msm_set mine;
    unsigned i;

    if (!m->conf.fast || m->ring_n < 2)
        return 0;
    set_of_ids(m, &mine, m->members, m->nmembers);
    for (i = 0; i < m->nmembers; i++) {
        int idx = msm_cfg_index(m, m->members[i]);
        if (m->members[i] == m->conf.my_id)
            continue;
        if (!set_has(&m->fast.said, idx) ||
            !set_eq_alive(m, &m->fast.heard[idx], &mine, now))
            return 0;
    }
    /* The old ring's members of my segment: members of other segments
     * speak in GATHER (their representatives' JOINs). */
    for (i = 0; i < m->ring_n; i++) {
        int idx = msm_cfg_index(m, m->ring_ids[i]);
        if (idx >= 0 && m->conf.segs[idx] == m->my_seg &&
            !set_has(&mine, idx) && !msmq_suspect(m, idx, now))
            return 0;
    }
    return 1;
}

/* ---- GATHER ----------------------------------------------------------- */

void msmq_gather_reset(struct msm *m, uint64_t now)
{
    memset(&m->fast.said_joined, 0, sizeof m->fast.said_joined);
    m->fast.gather_since = now;
}

void msmq_gather_join(struct msm *m, const struct pkt_memb *j)
{
    int idx = msm_cfg_index(m, j->h.transmitter);
    int16_t n = j->members.nmembers;

    if (idx < 0)
        return;
    if (n < 0 || n > PKT_MAX_MEMBERS)
        n = 0;
    set_add(&m->fast.said_joined, idx);
    set_of_reps(m, &m->fast.reps_of[idx], &j->reps);
    set_of_ids(m, &m->fast.members_of[idx], j->members.ids, (unsigned)n);
}

/* What my GATHER has heard of: the daemons I bring (my members, or my
 * ring when the token is alive), the representatives and the members
 * their JOINs list. Returns 0 if a representative's latest JOIN since I
 * entered does not list exactly my representatives. */
static int gather_seen(const struct msm *m, struct msm_set *seen)
{
    struct msm_set reps;
    int r;

    set_of_reps(m, &reps, &m->reps);
    if (m->token_alive)
        set_of_ids(m, seen, m->ring_ids, m->ring_n);
    else
        set_of_ids(m, seen, m->members, m->nmembers);
    set_or(seen, &reps);
    for (r = 1; r < m->reps.nreps; r++) {
        int idx = msm_cfg_index(m, m->reps.r[r].id);
        if (!set_has(&m->fast.said_joined, idx) ||
            !set_eq(&m->fast.reps_of[idx], &reps))
            return 0;
        set_or(seen, &m->fast.members_of[idx]);
    }
    return 1;
}

unsigned msmq_gather_unheard(const struct msm *m, uint64_t now,
                             uint32_t *ids)
{
    struct msm_set seen;
    unsigned i, n = 0;

    if (!m->conf.fast)
        return 0;
    (void)gather_seen(m, &seen);
    for (i = 0; i < m->conf.n; i++)
        if (!set_has(&seen, (int)i) && !msmq_suspect(m, (int)i, now))
            ids[n++] = m->conf.ids[i];
    return n;
}

int msmq_gather_ready(const struct msm *m, uint64_t now)
{
    struct msm_set seen;
    unsigned i;

    if (!m->conf.fast || (m->token_alive && m->reps.nreps < 2))
        return 0;
    if (!gather_seen(m, &seen))
        return 0;
    for (i = 0; i < m->conf.n; i++)
        if (!set_has(&seen, (int)i) && !msmq_suspect(m, (int)i, now))
            break;
    if (i == m->conf.n)
        return 1; /* nobody else can still come */
    if (m->n_segments != 1)
        return 0;
    /* Alone after a SEG that settled (everyone of my old ring in my
     * segment heard and agreeing, or dead), or that began with the loss
     * of a running ring (its reachable members lost it with me and
     * spoke in SEG; the silent ones are cut off): another ring of the
     * segment that speaks up later is merged then. Not after a SEG
     * entered from REPRESENTED or FORM that timed out: daemons
     * represented by someone else stay silent in SEG and only answer my
     * JOINs. */
    if (m->reps.nreps == 1 && !m->token_alive &&
        (m->fast.seg_settled || m->fast.seg_from_ring))
        return 1;
    return now >= m->fast.gather_since + m->conf.timeout_ms[MSM_TO_JOIN];
}
