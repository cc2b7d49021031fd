/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: a hostile-client soak (issue 8, item 9). For about 40 s one
 * daemon takes every attack of the hardening issue at once, while
 * ordinary clients exchange numbered messages and a pair of clients
 * measures its round trip. Then the attackers go away and the daemon must
 * be as it was. The attacks (one thread each):
 *   vanish    raw clients join a watched group, write, and close at once
 *   squat     handshakes that never finish, from 127.0.0.2, renewed
 *   half      sessions that stop in the middle of a 100 KB message (the
 *             daemon must close them after its 30 s frame deadline)
 *   hash      joins of 12,500 names that share one bucket under the old
 *             hash, 500 beyond MaxSessionGroups, then a disconnect
 *   toggle    JOIN/LEAVE of a group as fast as the daemon takes them,
 *             with a membership-aware member reading every notice
 *   junk      frames with a forged sender or an impossible header
 *   slow      a member reading 1,000 messages/s behind a sender that also
 *             writes to a fast member's group
 *   quota     sessions from 127.0.0.4 until REJECT_QUOTA, held, dropped
 * Checks: the ordinary clients lose nothing and see their messages in
 * order; their round trip stays under 2 s; every vanished client is
 * reported gone; the half-sent sessions were closed by the daemon; the
 * member reading the toggler's notices is kept; afterwards the daemon's
 * descriptors return to their start, nothing is left in CLOSE-WAIT, its
 * resident memory comes back to within 4 MB of the start (not checked
 * under AddressSanitizer, whose quarantine keeps freed memory) and it
 * exits cleanly (so LeakSanitizer finds nothing in an ASan build).
 */
#include "config.h"

#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal/wire.h"
#include "../lib/client.h"
#include "../lib/flood_names.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

#define ATTACK_MS 36000
#define N_PEERS 3
#define N_HALF 8
#define HASH_NAMES 12500
#define MAX_SESSION_GROUPS 12000
#define RTT_MAX 4096

static struct th_daemon d;
static atomic_int stop_attacks, stop_peers;

/* ---- small helpers ---- */

static void nap_ms(int ms)
{
    usleep((useconds_t)ms * 1000u);
}

static long rss_kb(void)
{
    char path[64], line[256];
    long kb = -1;
    FILE *fp;

    snprintf(path, sizeof path, "/proc/%d/status", (int)d.pid);
    fp = fopen(path, "r");
    if (fp == NULL)
        return -1;
    while (fgets(line, sizeof line, fp) != NULL)
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(fp);
    return kb;
}

static int tcp_from(const char *src)
{
    return th_connect_tcp_from(d.port, src);
}

/* A raw session from a chosen source address; -1 if refused. */
static int raw_from(const char *src, const char *name, char *pg)
{
    return th_raw_session_from(src, d.port, name, 0, pg);
}

static int raw_frame(int fd, unsigned type, const char *pg, const char *group,
                     const void *body, int len)
{
    unsigned char f[48 + MAX_GROUP_NAME + 256];

    th_raw_header(f, type, pg, group ? 1 : 0, 0, len);
    memset(f + 48, 0, MAX_GROUP_NAME);
    if (group != NULL)
        memcpy(f + 48, group, strnlen(group, MAX_GROUP_NAME - 1));
    if (len > 0)
        memcpy(f + 48 + (group ? MAX_GROUP_NAME : 0), body, (size_t)len);
    return th_write_all(fd, f, 48 + (group ? MAX_GROUP_NAME : 0) + (size_t)len);
}

static mailbox join_as(int transport, const char *name, int memb,
                       const char *group, char *pg)
{
    const sp_time t = {10, 0};
    mailbox mb;
    char tmp[MAX_GROUP_NAME];

    ck_assert_int_eq(SP_connect_timeout(transport ? d.spread_tcp : d.spread,
                                        name, 0, memb, &mb, pg ? pg : tmp, t),
                     ACCEPT_SESSION);
    if (group != NULL)
        ck_assert_int_eq(SP_join(mb, group), 0);
    return mb;
}

/* ---- ordinary clients ---- */

struct peer {
    pthread_t thread;
    int idx;
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    long sent;
    long got[N_PEERS];          /* messages from each peer, in order */
    int ended[N_PEERS];
    char error[160];
};

static struct peer peers[N_PEERS];

static int peer_of(const char *sender)
{
    int k;
    for (k = 0; k < N_PEERS; k++)
        if (strcmp(peers[k].pg, sender) == 0)
            return k;
    return -1;
}

/* Handle one message; 1 when every peer's end marker has arrived. */
static int peer_take(struct peer *p, const struct tc_msg *m)
{
    long seq;
    int from, k, all = 1;

    if (!Is_regular_mess(m->service_type))
        return 0;
    from = peer_of(m->sender);
    if (from < 0)
        return 0;
    if (strcmp(m->body, "end") == 0) {
        p->ended[from] = 1;
    } else if (sscanf(m->body, "seq %ld", &seq) != 1 ||
               seq != p->got[from]) {
        if (p->error[0] == '\0')
            snprintf(p->error, sizeof p->error, "peer %d: from %d expected "
                     "%ld, got '%.20s'", p->idx, from, p->got[from], m->body);
    } else {
        p->got[from]++;
    }
    for (k = 0; k < N_PEERS; k++)
        all &= p->ended[k];
    return all;
}

static void *peer_main(void *arg)
{
    struct peer *p = arg;
    struct tc_msg *m = tc_msg_new();
    char body[64];
    int done = 0, n;

    while (!atomic_load(&stop_peers)) {
        n = snprintf(body, sizeof body, "seq %ld", p->sent);
        if (SP_multicast(p->mb, AGREED_MESS, "ordinary", 0, n + 1, body) < 0) {
            snprintf(p->error, sizeof p->error, "peer %d: send failed", p->idx);
            goto out;
        }
        p->sent++;
        /* Take what has come, for about 10 ms. */
        while (tc_recv(p->mb, m, 10) >= 0)
            if (peer_take(p, m))
                done = 1;
    }
    SP_multicast(p->mb, AGREED_MESS, "ordinary", 0, 4, "end");
    while (!done) {
        int r = tc_recv(p->mb, m, 20000);
        if (r < 0) {
            snprintf(p->error, sizeof p->error, "peer %d: receive gave %d "
                     "before the end markers", p->idx, r);
            break;
        }
        done = peer_take(p, m);
    }
out:
    tc_msg_free(m);
    return NULL;
}

/* A ping pair: `a` sends to `b`'s private group, b answers to a's. */
struct pinger {
    pthread_t thread;
    mailbox a, b;
    char apg[MAX_GROUP_NAME], bpg[MAX_GROUP_NAME];
    double rtt_ms[RTT_MAX];
    int n;
    char error[128];
};

static struct pinger ping;

static void *ping_main(void *arg)
{
    struct pinger *p = arg;
    struct tc_msg *m = tc_msg_new();

    while (!atomic_load(&stop_peers)) {
        long long t0 = tc_now_ms();
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (SP_multicast(p->a, AGREED_MESS, p->bpg, 0, 5, "ping") < 0 ||
            tc_recv(p->b, m, 30000) < 0 ||
            SP_multicast(p->b, AGREED_MESS, p->apg, 0, 5, "pong") < 0 ||
            tc_recv(p->a, m, 30000) < 0) {
            snprintf(p->error, sizeof p->error, "ping failed after %lld ms",
                     tc_now_ms() - t0);
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (p->n < RTT_MAX)
            p->rtt_ms[p->n++] = (double)(b.tv_sec - a.tv_sec) * 1e3 +
                                (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        nap_ms(10);
    }
    tc_msg_free(m);
    return NULL;
}

/* ---- attacks ---- */

struct attack {
    const char *name;
    void *(*fn)(void *);
    pthread_t thread;
    long rounds;
    char error[160];
};

/* The watcher of the vanishers' group counts joins and disconnects. */
static mailbox vwatch;
static long v_joins, v_gone;

static void *vanish_main(void *arg)
{
    struct attack *a = arg;
    char pg[MAX_GROUP_NAME], name[24];
    long i = 0;

    while (!atomic_load(&stop_attacks)) {
        int fd;
        snprintf(name, sizeof name, "v%ld", i++);
        fd = th_raw_session_on((int)(i & 1), d.port, name, 0, pg);
        if (fd < 0) {           /* the quota attack may fill the daemon */
            nap_ms(20);
            continue;
        }
        raw_frame(fd, SPW_JOIN_MESS, pg, "vgrp", NULL, 0);
        raw_frame(fd, RELIABLE_MESS, pg, "vgrp", "bye", 3);
        close(fd);
        a->rounds++;
    }
    return NULL;
}

static void *squat_main(void *arg)
{
    struct attack *a = arg;
    unsigned char b[32];
    char name[24];
    int fd[40], k;

    while (!atomic_load(&stop_attacks)) {
        for (k = 0; k < 40; k++) {
            snprintf(name, sizeof name, "s%d", k);
            fd[k] = tcp_from("127.0.0.2");
            if (fd[k] >= 0)
                (void)th_write_all(fd[k], b, th_connect_msg(b, name, 0));
        }
        nap_ms(2000);
        for (k = 0; k < 40; k++)
            if (fd[k] >= 0)
                close(fd[k]);
        a->rounds++;
    }
    return NULL;
}

static int half_fd[N_HALF];
static char half_pg[N_HALF][MAX_GROUP_NAME];

static void *half_main(void *arg)
{
    struct attack *a = arg;
    static unsigned char body[50000];
    unsigned char f[48 + MAX_GROUP_NAME];
    int k;

    for (k = 0; k < N_HALF; k++) {
        th_raw_header(f, RELIABLE_MESS, half_pg[k], 1, 0, 100000);
        memset(f + 48, 0, MAX_GROUP_NAME);
        memcpy(f + 48, "void", 4);
        if (th_write_all(half_fd[k], f, sizeof f) < 0 ||
            th_write_all(half_fd[k], body, sizeof body) < 0) {
            snprintf(a->error, sizeof a->error, "half %d: write", k);
            return NULL;
        }
        a->rounds++;
    }
    return NULL;
}

static void *hash_main(void *arg)
{
    struct attack *a = arg;
    char *names = malloc((size_t)HASH_NAMES * 29);
    struct tc_msg *m = tc_msg_new();
    char name[24];
    long i = 0;

    if (names == NULL || flood_names_fnv(names, HASH_NAMES, 28, 17) < 0) {
        snprintf(a->error, sizeof a->error, "no names");
        goto out;
    }
    while (!atomic_load(&stop_attacks)) {
        const sp_time t = {10, 0};
        char pg[MAX_GROUP_NAME];
        mailbox mb;
        int k, rejects = 0;

        snprintf(name, sizeof name, "hf%ld", i++);
        if (SP_connect_timeout(d.spread, name, 0, 0, &mb, pg, t) != ACCEPT_SESSION) {
            nap_ms(20);
            continue;
        }
        for (k = 0; k < HASH_NAMES && !atomic_load(&stop_attacks); k++)
            if (SP_join(mb, names + (size_t)k * 29) < 0)
                break;
        /* The joins beyond MaxSessionGroups come back refused. */
        while (k == HASH_NAMES && rejects < HASH_NAMES - MAX_SESSION_GROUPS) {
            if (tc_recv(mb, m, 20000) < 0 || !Is_reject_mess(m->service_type)) {
                snprintf(a->error, sizeof a->error, "round %ld: %d of %d "
                         "refusals", i, rejects, HASH_NAMES - MAX_SESSION_GROUPS);
                break;
            }
            rejects++;
        }
        SP_disconnect(mb);
        if (a->error[0] != '\0')
            break;
        a->rounds++;
    }
out:
    tc_msg_free(m);
    free(names);
    return NULL;
}

/* The membership-aware member of the toggled group. */
static struct {
    pthread_t thread;
    mailbox mb;
    long notices;
    int end;
} busy;

static void *busy_main(void *arg)
{
    struct tc_msg *m = tc_msg_new();

    (void)arg;
    while (!atomic_load(&stop_peers)) {
        int r = tc_recv(busy.mb, m, 200);
        if (r == TC_TIMEOUT)
            continue;
        if (r < 0) {
            busy.end = r;
            break;
        }
        busy.notices++;
    }
    tc_msg_free(m);
    return NULL;
}

static int toggle_fd;
static char toggle_pg[MAX_GROUP_NAME];

static void *toggle_main(void *arg)
{
    struct attack *a = arg;
    const char *pg = toggle_pg;
    int fd = toggle_fd, k;

    while (!atomic_load(&stop_attacks)) {
        for (k = 0; k < 100; k++)
            if (raw_frame(fd, SPW_JOIN_MESS, pg, "busy", NULL, 0) < 0 ||
                raw_frame(fd, SPW_LEAVE_MESS, pg, "busy", NULL, 0) < 0) {
                snprintf(a->error, sizeof a->error, "toggler dropped");
                goto out;
            }
        a->rounds++;
    }
out:
    close(fd);
    return NULL;
}

static void *junk_main(void *arg)
{
    struct attack *a = arg;
    char pg[MAX_GROUP_NAME], name[24];
    long i = 0;

    while (!atomic_load(&stop_attacks)) {
        unsigned char f[48];
        int fd;
        snprintf(name, sizeof name, "j%ld", i++);
        fd = th_raw_session_on((int)(i & 1), d.port, name, 0, pg);
        if (fd < 0) {
            nap_ms(20);
            continue;
        }
        if (i % 2)
            raw_frame(fd, AGREED_MESS, "#someone#else", "ordinary", "x", 1);
        else {
            th_raw_header(f, AGREED_MESS, pg, 5000, 0, 1);
            (void)th_write_all(fd, f, sizeof f);
        }
        th_wait_eof(fd, 5000);      /* the daemon drops it */
        close(fd);
        a->rounds++;
        nap_ms(5);
    }
    return NULL;
}

struct reader {
    pthread_t thread;
    mailbox mb;
    int rate;
    long got;
    int end;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    struct tc_msg *m = tc_msg_new();
    long long start = tc_now_ms();

    while (!atomic_load(&stop_attacks)) {
        int rc = tc_recv(r->mb, m, 200);
        if (rc == TC_TIMEOUT)
            continue;
        if (rc < 0) {
            r->end = rc;
            break;
        }
        r->got++;
        if (r->rate > 0) {
            long long due = start + r->got * 1000LL / r->rate;
            if (due > tc_now_ms())
                nap_ms((int)(due - tc_now_ms()));
        }
    }
    tc_msg_free(m);
    return NULL;
}

static struct reader slow, sink;
static mailbox mixed;

static void *slow_main(void *arg)
{
    struct attack *a = arg;
    static char body[500];
    mailbox p = mixed;
    int k;

    pthread_create(&slow.thread, NULL, reader_main, &slow);
    pthread_create(&sink.thread, NULL, reader_main, &sink);
    while (!atomic_load(&stop_attacks)) {
        for (k = 0; k < 500; k++)
            if (SP_multicast(p, RELIABLE_MESS, "slowgrp", 0, sizeof body, body) < 0 ||
                SP_multicast(p, RELIABLE_MESS, "sinkgrp", 0, sizeof body, body) < 0)
                break;
        a->rounds++;
        nap_ms(50);
    }
    pthread_join(slow.thread, NULL);
    pthread_join(sink.thread, NULL);
    if (slow.end == 0)
        snprintf(a->error, sizeof a->error, "the slow member was kept");
    else if (sink.end != 0)
        snprintf(a->error, sizeof a->error, "the fast member was dropped");
    SP_close(p);
    SP_close(slow.mb);
    SP_close(sink.mb);
    return NULL;
}

static void *quota_main(void *arg)
{
    static int fd[1024];
    struct attack *a = arg;
    char pg[MAX_GROUP_NAME], name[24];
    int n, k, refused = 0;

    while (!atomic_load(&stop_attacks)) {
        for (n = 0; n < 1024 && !atomic_load(&stop_attacks); n++) {
            snprintf(name, sizeof name, "q%d", n);
            fd[n] = raw_from("127.0.0.4", name, pg);
            if (fd[n] < 0) {
                refused++;
                break;
            }
        }
        nap_ms(3000);
        for (k = 0; k < n; k++)
            close(fd[k]);
        a->rounds++;
        nap_ms(1000);
    }
    if (refused == 0)
        snprintf(a->error, sizeof a->error, "never reached the quota");
    return NULL;
}

static struct attack attacks[] = {
    {"vanish", vanish_main, 0, 0, ""}, {"squat", squat_main, 0, 0, ""},
    {"half", half_main, 0, 0, ""},     {"hash", hash_main, 0, 0, ""},
    {"toggle", toggle_main, 0, 0, ""}, {"junk", junk_main, 0, 0, ""},
    {"slow", slow_main, 0, 0, ""},     {"quota", quota_main, 0, 0, ""},
};
#define N_ATTACKS (sizeof attacks / sizeof attacks[0])

/* ---- the soak ---- */

static void start_ordinary(void)
{
    struct tc_msg *m = tc_msg_new();
    int k;

    for (k = 0; k < N_PEERS; k++) {
        char name[8];
        snprintf(name, sizeof name, "peer%d", k);
        peers[k].idx = k;
        peers[k].mb = join_as(k & 1, name, 0, "ordinary", peers[k].pg);
    }
    ping.a = join_as(0, "pinga", 0, NULL, ping.apg);
    ping.b = join_as(1, "pingb", 0, NULL, ping.bpg);
    busy.mb = join_as(0, "busy", 1, "busy", NULL);
    ck_assert(tc_expect_memb(busy.mb, m, "busy", CAUSED_BY_JOIN, 1, NULL));
    vwatch = join_as(1, "vwatch", 1, "vgrp", NULL);
    ck_assert(tc_expect_memb(vwatch, m, "vgrp", CAUSED_BY_JOIN, 1, NULL));
    for (k = 0; k < N_PEERS; k++)
        pthread_create(&peers[k].thread, NULL, peer_main, &peers[k]);
    pthread_create(&ping.thread, NULL, ping_main, &ping);
    pthread_create(&busy.thread, NULL, busy_main, NULL);
    tc_msg_free(m);
}

/* The vanish watcher reads during the attack (its queue must not fill). */
static void watch_vanishers(int ms)
{
    struct tc_msg *m = tc_msg_new();
    long long end = tc_now_ms() + ms;

    while (tc_now_ms() < end) {
        int r = tc_recv(vwatch, m, 100);
        if (r == TC_TIMEOUT)
            continue;
        ck_assert_int_ge(r, 0);
        if (Is_caused_join_mess(m->service_type))
            v_joins++;
        else if (Is_caused_disconnect_mess(m->service_type))
            v_gone++;
    }
    tc_msg_free(m);
}

static double rtt_pct(double pct)
{
    double *v = malloc(sizeof(double) * (size_t)(ping.n ? ping.n : 1));
    double r;
    int i, j;

    for (i = 0; i < ping.n; i++)
        v[i] = ping.rtt_ms[i];
    for (i = 1; i < ping.n; i++)          /* insertion sort: n is small */
        for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    r = ping.n ? v[(int)((ping.n - 1) * pct)] : 0;
    free(v);
    return r;
}

/* Sessions the attacks start with, opened before any attack can fill the
 * daemon's quota. */
static void prepare_attacks(void)
{
    char name[24];
    int k;

    for (k = 0; k < N_HALF; k++) {
        snprintf(name, sizeof name, "half%d", k);
        half_fd[k] = raw_from("127.0.0.3", name, half_pg[k]);
        ck_assert_int_ge(half_fd[k], 0);
    }
    toggle_fd = th_raw_session_on(1, d.port, "toggler", 0, toggle_pg);
    ck_assert_int_ge(toggle_fd, 0);
    slow.mb = join_as(0, "slow", 0, "slowgrp", NULL);
    slow.rate = 1000;
    sink.mb = join_as(1, "sink", 0, "sinkgrp", NULL);
    mixed = join_as(0, "mixed", 0, NULL, NULL);
}

START_TEST(soak)
{
    struct rlimit rl;
    long rss0, rss1;
    int fds0, fds, cw, k;
    long long deadline;
    char extra[128];

    /* Many sockets here: the quota attack alone holds hundreds. */
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    ck_assert_int_eq(th_daemon_prepare(&d), 0);
    d.nofile = 1024;
    snprintf(extra, sizeof extra, "MaxSessionGroups = %d", MAX_SESSION_GROUPS);
    ck_assert_int_eq(th_daemon_launch(&d, "localhost", extra, 1), 0);
    start_ordinary();
    watch_vanishers(1000);
    fds0 = th_daemon_fd_count(&d);
    rss0 = rss_kb();
    prepare_attacks();
    for (k = 0; k < (int)N_ATTACKS; k++)
        pthread_create(&attacks[k].thread, NULL, attacks[k].fn, &attacks[k]);
    watch_vanishers(ATTACK_MS);
    atomic_store(&stop_attacks, 1);
    for (k = 0; k < (int)N_ATTACKS; k++) {
        ck_assert_msg(tc_join(attacks[k].thread, NULL, 30000) == 0,
                      "attack %s still running", attacks[k].name);
        fprintf(stderr, "soak: %-7s %6ld rounds %s\n", attacks[k].name,
                attacks[k].rounds, attacks[k].error);
        ck_assert_msg(attacks[k].error[0] == '\0', "%s: %s", attacks[k].name,
                      attacks[k].error);
        ck_assert_msg(attacks[k].rounds > 0, "%s made no progress",
                      attacks[k].name);
    }
    /* The daemon closed the half-sent sessions itself, after 30 s. */
    for (k = 0; k < N_HALF; k++) {
        ck_assert_msg(th_wait_eof(half_fd[k], 10000) == 1,
                      "half-sent session %d still open", k);
        close(half_fd[k]);
    }
    /* Every vanished client is reported gone. */
    deadline = tc_now_ms() + 20000;
    while (v_gone < v_joins && tc_now_ms() < deadline)
        watch_vanishers(100);
    fprintf(stderr, "soak: vanishers: %ld joined, %ld reported gone\n",
            v_joins, v_gone);
    ck_assert_int_gt(v_joins, 0);
    ck_assert_int_eq(v_gone, v_joins);
    /* The daemon lets go of everything the attackers held. */
    deadline = tc_now_ms() + 20000;
    do {
        fds = th_daemon_fd_count(&d);
        cw = th_tcp_count_state(d.port, TH_TCP_CLOSE_WAIT);
        if (fds <= fds0 && cw == 0)
            break;
        nap_ms(50);
    } while (tc_now_ms() < deadline);
    ck_assert_msg(fds <= fds0 && cw == 0, "%d descriptors (%d at the start), "
                  "%d in CLOSE-WAIT", fds, fds0, cw);
    /* Memory comes back too, once the daemon's housekeeping (every 5 s)
     * has seen the churn: what is left is the bounded ring of group-id
     * tombstones (under 1 MB) and allocator slack. */
    deadline = tc_now_ms() + 15000;
    do {
        rss1 = rss_kb();
        if (rss1 - rss0 < 4 * 1024)
            break;
        nap_ms(100);
    } while (tc_now_ms() < deadline);
    fprintf(stderr, "soak: daemon RSS %ld kB at the start, %ld kB after\n",
            rss0, rss1);
    if (!tc_asan())
        ck_assert_msg(rss1 - rss0 < 4 * 1024, "RSS %ld kB -> %ld kB", rss0,
                      rss1);
    /* The ordinary clients lost nothing. */
    atomic_store(&stop_peers, 1);
    for (k = 0; k < N_PEERS; k++) {
        int j;
        ck_assert_int_eq(tc_join(peers[k].thread, NULL, 30000), 0);
        ck_assert_msg(peers[k].error[0] == '\0', "%s", peers[k].error);
        for (j = 0; j < N_PEERS; j++)
            ck_assert_int_eq(peers[k].got[j], peers[j].sent);
        fprintf(stderr, "soak: peer %d sent %ld, received all\n", k,
                peers[k].sent);
        SP_disconnect(peers[k].mb);
    }
    ck_assert_int_eq(tc_join(ping.thread, NULL, 30000), 0);
    ck_assert_msg(ping.error[0] == '\0', "%s", ping.error);
    fprintf(stderr, "soak: round trip over %d pings: p50 %.2f ms, p99 %.2f ms, "
            "max %.2f ms\n", ping.n, rtt_pct(0.5), rtt_pct(0.99),
            rtt_pct(1.0));
    ck_assert_int_gt(ping.n, 100);
    ck_assert_msg(rtt_pct(1.0) < 2000.0, "round trip up to %.0f ms",
                  rtt_pct(1.0));
    ck_assert_int_eq(tc_join(busy.thread, NULL, 30000), 0);
    ck_assert_msg(busy.end == 0, "the toggled group's member was dropped "
                  "(%d) after %ld notices", busy.end, busy.notices);
    fprintf(stderr, "soak: the toggled group's member read %ld notices\n",
            busy.notices);
    SP_disconnect(ping.a);
    SP_disconnect(ping.b);
    SP_disconnect(busy.mb);
    SP_disconnect(vwatch);
    ck_assert_int_eq(th_daemon_stop(&d), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("soak");
    TCase *tc = tcase_create("soak");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, soak);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(suite());
}
