/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * evscheck: checks the Extended Virtual Synchrony properties of
 * shared/spec/ring.md section 15 over the logs of client connections, as
 * written by tests/lib/evsclient or by a simulator. One checker reads any
 * number of client logs and at most a few fault timelines, then
 * ec_check() reports every violation it finds (property number, the log
 * lines involved, a one-line reason) and returns how many there were.
 *
 * Log format (docs/evscheck.md has the same with examples)
 * -------------------------------------------------------
 * Text, one record per line, fields separated by blanks (spaces or tabs).
 * Blank lines and lines whose first non-blank character is `#` are
 * ignored (no record starts with `#`: every record starts with its time).
 * Every record is
 *
 *     TIME KIND FIELDS...
 *
 * TIME is a wall-clock time in milliseconds (any epoch, but the same for
 * every file of a run), or `-` when unknown. Times only matter to the
 * timeliness bounds (property 16) and to the crash checks of property 15;
 * the order of the lines is what every other property uses.
 *
 * A client log describes one connection, in the order its client saw
 * things. Its first record is CLIENT; the others follow in any order:
 *
 *   CLIENT NAME
 *       NAME is the connection's private group name, `#user#daemon`. The
 *       part after the second `#` is the daemon it is connected to. Every
 *       log of a run must have a different NAME.
 *   SEND GROUP SERVICE SENDER COUNTER
 *       The client submitted message COUNTER to GROUP. SENDER must be the
 *       log's NAME. Written before the message is handed to the library,
 *       so that a message delivered anywhere was always recorded (a client
 *       that dies between the two has submitted a message nobody gets,
 *       which is allowed). COUNTER is a per-sender number 0..4294967295
 *       that never repeats; (SENDER, COUNTER) is the payload identifier
 *       the body carries.
 *   REG GROUP GID CAUSE MEMBER... [{VS|VS*} MEMBER...]...
 *       A regular view of GROUP. GID is `PROC:TIME:INDEX` (three 32-bit
 *       numbers, decimal, signed or unsigned). CAUSE is JOIN, LEAVE,
 *       DISCONNECT or NETWORK. MEMBERs are private group names (they start
 *       with `#`), in the order the daemon gave them. Then the virtual-
 *       synchrony sets in order, each introduced by the word `VS`; the set
 *       the receiver was told is its own is introduced by `VS*` instead.
 *       NETWORK views must list their sets (property 12 says so if not;
 *       exactly one marked); for JOIN, LEAVE and DISCONNECT
 *       the sets are optional and, when given, are the one set holding the
 *       member that changed (which then need not be derived).
 *   TRANS GROUP [GID]
 *       A transitional signal for GROUP; GID, if given, is the group id
 *       the message carried: the current view's (right after an
 *       unsettled view, rule 74, the one before it is accepted too).
 *   MSG GROUP SENDER SERVICE COUNTER [PAYLOAD-SENDER]
 *       A data message of GROUP from SENDER (the header's sender) whose
 *       body carried COUNTER. PAYLOAD-SENDER is written only when the body
 *       named a sender other than SENDER; the payload id is then
 *       (PAYLOAD-SENDER, COUNTER).
 *   LEFT GROUP
 *       The self-leave notice for GROUP.
 *   END quit|lost
 *       The connection ended: `quit` when the client disconnected on
 *       purpose at the end of the run, `lost` when the library reported
 *       the connection closed. A log without END belongs to a client that
 *       was killed; it is a prefix like a lost one.
 *
 * SERVICE is one of UNRELIABLE RELIABLE FIFO CAUSAL AGREED SAFE.
 *
 * A fault timeline lists what the harness did to the daemons:
 *
 *   TIME CRASH DAEMON          the daemon was killed
 *   TIME RESTART DAEMON        it was started again (new connections only)
 *   TIME PARTITION D... [| D...]...
 *                              the network now has these components
 *                              (daemons not listed are alone)
 *   TIME HEAL                  the network is whole again
 *
 * TIME is required there. DAEMON names are the daemon parts of the
 * private names. A file is a timeline when its first record is not
 * CLIENT.
 *
 * What the checker assumes (section 15): clients send every message to
 * one ordinary group, do not use SELF_DISCARD, and do not leave groups
 * while checked traffic runs. A malformed line is reported as property 0
 * and skipped. How each property is read from the logs (and where two
 * properties necessarily fire together) is in docs/evscheck.md.
 *
 * Contract
 * - Properties 1-15 are always checked; 16 only for the bounds set in
 *   struct ec_opts (0 = unchecked) and only where the times needed are
 *   present. ec_check() runs the checks once, after every input was added;
 *   later calls return the same total.
 * - Cost: hash maps throughout (plain tables for counters below 65536);
 *   about linear in the number of events plus the members of the views
 *   touched (ten million events: about ten seconds, half a gigabyte;
 *   32 bytes an event). The total order is checked with one
 *   acyclicity test over every client's delivery order; only when that
 *   finds a cycle are pairs of clients compared, to name a witness.
 * - Reports are printed to opts.out as they are found (at most
 *   opts.max_reports of them, all counted in ec_count()). A report names
 *   the property as "P<n>: ", then file:line of the records involved,
 *   then the reason.
 * - Out of memory aborts the process (a test tool).
 * - Not thread-safe; several checkers may live in one process.
 */
#ifndef COHORT_TESTS_EVSCHECK_H
#define COHORT_TESTS_EVSCHECK_H

#include <stdint.h>
#include <stdio.h>

#define EC_NPROPS 17        /* property 0 (malformed input) .. 16 */

struct ec_opts {
    FILE *out;              /* where reports go; NULL: nowhere */
    long max_reports;       /* printed at most; 0: no limit */
    int strict_order;       /* property 5 also for FIFO and CAUSAL */
    /* Property 16 bounds in milliseconds (0: not checked). */
    int64_t net_view_ms;    /* NETWORK view after a crash or partition */
    int64_t merge_view_ms;  /* NETWORK view after a heal (merge) */
    int64_t self_delivery_ms; /* own message back after submission/fault */
    /* Property 15: a client of a crashed daemon delivers nothing stamped
     * later than the crash plus this (0: not checked; the socket may
     * still hold what the daemon sent before it died). */
    int64_t crash_slack_ms;
};

struct ec_checker;

/* A checker with a copy of opts (NULL: defaults, reports to stderr). */
struct ec_checker *ec_new(const struct ec_opts *opts);
void ec_free(struct ec_checker *ec);

/* Add a file: a client log if its first record is CLIENT, else a fault
 * timeline; reports name it by its path. Returns 0, or -errno if it
 * cannot be read (nothing is added then). Syntax errors are
 * not failures: they become property 0 reports. */
int ec_add_file(struct ec_checker *ec, const char *path);
/* The same for text in memory (unit tests, simulators). */
void ec_add_text(struct ec_checker *ec, const char *label, const char *text);
/* Force a file or text to be read as a fault timeline. */
int ec_add_faults_file(struct ec_checker *ec, const char *path);
void ec_add_faults_text(struct ec_checker *ec, const char *label,
                        const char *text);
/* Every `*.log` (client logs) and `*.faults` (timelines) file of a
 * directory, in name order. Returns the number of files added or -errno. */
int ec_add_dir(struct ec_checker *ec, const char *dir);

/* Check every property; the number of violations (also the sum of
 * ec_count() over all properties, property 0 included). */
long ec_check(struct ec_checker *ec);

/* Violations of one property found so far. */
long ec_count(const struct ec_checker *ec, int prop);

/* Numbers of logs, events and delivered messages read (for summaries). */
void ec_stats(const struct ec_checker *ec, long *clients, long *events,
              long *messages);

#endif /* COHORT_TESTS_EVSCHECK_H */
