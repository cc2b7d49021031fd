/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evssim: a deterministic simulator of whole daemons' ring protocol
 * (daemon/ring/node.h: membership, ordering core and EVS recovery) with
 * membership changes, checked against the EVS guarantees of ring.md §14
 * by evslog.h.
 *
 * N nodes (2..16) in one or more segments run on one simulated clock
 * (monotonic milliseconds shared by all; each node's wall clock is the
 * shared one plus an offset that a restart moves ahead, so a restarted
 * daemon's membership-id times keep increasing). Every datagram goes
 * through the real codec (pkt_encode at the sender in the sender's byte
 * order, pkt_decode at each receiver) over a seeded fake network that
 * loses, duplicates, delays and reorders per receiver, and a reachability
 * matrix (partitions). Faults come from a scenario, its times and victims
 * drawn from the seed:
 *   steady      no fault: the ring forms and carries traffic;
 *   crash       some daemons killed (no input, no output; the log ends);
 *   restart     a daemon killed and restarted, often while the others
 *               are still changing the membership;
 *   partition   the daemons split into components that later heal;
 *   cascade     a second change (kill, re-partition or heal) while the
 *               first one is in GATHER/FORM/EVS;
 *   token       every token dropped for longer than TokenTimeout;
 *   random      a random sequence of the above.
 * Every scenario ends with every partition healed and the blackouts
 * over (killed daemons stay dead unless restarted); then the run goes on
 * for at most `settle_ms` and must end with all live daemons in one
 * ring, every message they accepted delivered (liveness).
 *
 * Clients on each live node submit messages of every service and of
 * sizes up to max_size, as rmsg.h/pkt_msg frames whose data start with
 * a payload id (node, incarnation, counter) and a pattern derived from
 * it, respecting node_send_space() and keeping at most `window` of their
 * own messages outstanding, as an application that waits for its own
 * messages does. Without that bound the clients offer more than a lossy
 * ring carries (12 daemons, 8% loss, wide-area timeouts: about 25
 * messages/s against 200 offered), the send queues fill up to their 500
 * messages, and draining them outlasts any fixed settle time: a
 * throughput test, not a liveness one. Deliveries and views go into per-
 * incarnation evslog logs; evssim_run() checks them at the end.
 *
 * Same options, same run: no real clock, no global state.
 */
#ifndef COHORT_TESTS_EVSSIM_H
#define COHORT_TESTS_EVSSIM_H

#include <stddef.h>
#include <stdint.h>

#define EVSSIM_MAX_DAEMONS 16
#define EVSSIM_WINDOW 20           /* default evssim_opts.window */

enum evssim_scenario {
    EVSSIM_STEADY = 0, EVSSIM_CRASH, EVSSIM_RESTART, EVSSIM_PARTITION,
    EVSSIM_CASCADE, EVSSIM_TOKEN, EVSSIM_RANDOM, EVSSIM_NSCENARIOS
};

struct evssim_opts {
    uint64_t seed;
    unsigned daemons;           /* 2..EVSSIM_MAX_DAEMONS */
    unsigned segments;          /* 1..3 */
    int scenario;               /* enum evssim_scenario */
    double loss;                /* per datagram and receiver */
    double dup;
    double reorder;             /* held back up to 20 ms more */
    unsigned delay_max_ms;      /* one-way delay uniform in 0..max */
    unsigned rate_ms;           /* mean gap between a client's messages */
    unsigned max_size;          /* largest message, bytes */
    unsigned personal_window;   /* PersonalWindow of every daemon; 0: the
                                   configuration default */
    unsigned window;            /* a client's own messages accepted but
                                   not yet delivered back to it, at most
                                   (0: only node_send_space() bounds) */
    unsigned settle_ms;         /* liveness bound after the last fault;
                                   0: 40 s, or 70 s with several segments
                                   (LookupTimeout 30 s / 45 s, ring.md §10) */
    int lenient_reliable;       /* evslog_lenient_reliable() */
    int verbose;                /* trace to stderr */
};

struct evssim_result {
    int ok;
    unsigned mask;              /* evslog properties violated */
    char why[768];              /* the first violation */
    uint64_t end_ms;            /* simulated time at the end */
    uint64_t heal_ms;           /* when the last fault ended */
    uint64_t converge_ms;       /* one ring again, all delivered (0: no) */
    uint64_t submitted, delivered, datagrams, views;
    unsigned faults, incarnations, regular_confs;
};

void evssim_opts_default(struct evssim_opts *o);

/* Run one simulation; 0 when every check passed, else -1 with res->why. */
int evssim_run(const struct evssim_opts *o, struct evssim_result *res);

/* The tests/evssim command line that repeats this run. */
void evssim_command(const struct evssim_opts *o, char *buf, size_t len);

/* Parse option argv[*i] (and its value); advances *i. 0, or -1 for an
 * unknown option or a bad value. */
int evssim_parse_opt(struct evssim_opts *o, int argc, char **argv, int *i);

/* Options of sweep run k: scenarios, sizes and networks in turn. */
void evssim_opts_sweep(struct evssim_opts *o, uint64_t k);

const char *evssim_scenario_name(int s);

#endif /* COHORT_TESTS_EVSSIM_H */
