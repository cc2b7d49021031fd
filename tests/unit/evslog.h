/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evslog: what each daemon of a run delivered, and a checker of the
 * Extended Virtual Synchrony guarantees at the daemon level
 * (shared/spec/ring.md §14, items 1-12) over those logs, plus a liveness
 * check for the end of a run (item 13 here).
 *
 * A log is one incarnation of a daemon: a restarted daemon gets a new
 * log with the same daemon id. It holds, in order, the configurations
 * (transitional and regular views) and the messages the daemon
 * delivered. The harness also records every message a client handed to
 * a daemon (evslog_sent) and whether a log ended because its daemon was
 * killed (it "failed"; a log that is not killed belongs to a daemon alive
 * at the end of the run).
 *
 * How the properties are judged from logs alone (the checker does not
 * see packets):
 * - An epoch is the span of a log from one regular view C to the next
 *   one (`next`), split by the transitional view T, if any, into a
 *   regular and a transitional part. A message delivered in an epoch is
 *   delivered "in C".
 * - Ordered services are FIFO, AGREED (CAUSAL) and SAFE. RELIABLE
 *   messages may be delivered early, out of the total order (rule 27),
 *   so they are left out of the order and gap checks.
 * - "x precedes m in the order of C" is known only from evidence: some
 *   daemon delivered x before m in C.
 * - No gaps (8): a daemon that delivers ordered m in the regular part of
 *   C has delivered every ordered x that any daemon delivered before m
 *   in C. In the transitional part, x may be missing only if no daemon of
 *   the same transitional configuration delivered it.
 * - Safe delivery (9): a SAFE message delivered in the regular part of C
 *   is delivered by every member of C that reaches its next configuration
 *   after C; one delivered after T by every daemon that delivered T. A
 *   daemon whose log ends in C (killed, or the run ended) is excused; a
 *   member of C that never installed C is excused only if one of its
 *   incarnations was killed.
 * - A log may start with a transitional view that contains at most its
 *   own daemon (the start-up pseudo-ring) before its first regular view;
 *   a message before the first regular view is a foreign delivery (12).
 *
 * Not thread-safe; one struct evslog per run. Functions return 0 or
 * -ENOMEM / -EINVAL.
 */
#ifndef COHORT_TESTS_EVSLOG_H
#define COHORT_TESTS_EVSLOG_H

#include <stddef.h>
#include <stdint.h>

#define EVSLOG_MAX_MEMBERS 128

/* Packet services as on the wire (rmsg.h RMSG_*). */
#define EVSLOG_RELIABLE 0x02u
#define EVSLOG_FIFO 0x04u
#define EVSLOG_AGREED 0x08u
#define EVSLOG_SAFE 0x10u

/* Property numbers: §14 items, and liveness. */
enum evslog_prop {
    EVS_UNIQUE_IDS = 1, EVS_CONSISTENT_CONF, EVS_ONE_CONF, EVS_INTEGRITY,
    EVS_SELF_DELIVERY, EVS_FAILURE_ATOMICITY, EVS_TOTAL_ORDER, EVS_NO_GAPS,
    EVS_SAFE, EVS_TRANSITIONAL, EVS_CHANGE_ORDER, EVS_NO_FOREIGN,
    EVS_LIVENESS, EVS_NPROPS
};

struct evslog_view {
    int transitional;
    uint32_t id;                /* membership id: creator and time */
    int32_t time;
    unsigned n;
    uint32_t ids[EVSLOG_MAX_MEMBERS];   /* daemon ids, configuration order */
};

struct evslog;

int evslog_new(struct evslog **out);
void evslog_free(struct evslog *e);

/* Leniency for a known deviation: with on = 1, RELIABLE messages (which
 * a daemon may deliver early, rule 27) are exempt from the same-side-of-T
 * part of item 3. Off by default: §14 makes no such exception. */
void evslog_lenient_reliable(struct evslog *e, int on);

/* A new log for an incarnation of daemon `daemon`; returns its index
 * (>= 0) or -ENOMEM. */
int evslog_open(struct evslog *e, uint32_t daemon);
/* The log's daemon was killed: the log ends here. */
void evslog_killed(struct evslog *e, int log);

/* A client handed message `pid` (unique in the run) to log's daemon,
 * which accepted it (node_submit returned 0). Messages of one log are
 * recorded in submission order. */
int evslog_sent(struct evslog *e, int log, uint64_t pid, uint32_t service);
/* Log's daemon delivered message `pid`, ordered by daemon `originator`,
 * with packet service `service`. */
int evslog_deliver(struct evslog *e, int log, uint32_t originator,
                   uint64_t pid, uint32_t service);
int evslog_view(struct evslog *e, int log, const struct evslog_view *v);

/* Check items 1-12. Returns a bit mask of the violated properties (bit
 * 1 << prop), 0 when all hold, or -ENOMEM; `why` gets the first
 * violation found (properties in number order). */
int evslog_check(struct evslog *e, char *why, size_t whylen);

/* Liveness at the end of a healed run: the logs `live` (one per daemon
 * alive) all end in one regular configuration whose members are exactly
 * their daemons, delivered the same messages in it, and every message
 * their daemons accepted was delivered by its sender. Returns 0, or
 * 1 << EVS_LIVENESS with `why` set, or -ENOMEM. */
int evslog_check_live(struct evslog *e, const int *live, unsigned n,
                      char *why, size_t whylen);

/* Counts for reports. */
struct evslog_stats {
    unsigned logs, regular_confs, views;
    uint64_t sent, delivered;
};
void evslog_stats(const struct evslog *e, struct evslog_stats *st);

/* The name of a property, for messages. */
const char *evslog_prop_name(int prop);

#endif /* COHORT_TESTS_EVSLOG_H */
