/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Integration: the reuse guard (shared/spec/lifecycle.md, "Mailbox
 * identity and the reuse guard", scenarios 2, 3 and 6), against a real
 * daemon over the unix socket.
 *
 * Covers:
 * - scenario 2: thousands of rounds of connect, receiver thread,
 *   disconnect from the main thread or a second thread, and the next
 *   connect at once while earlier receivers may still be running; every
 *   message a receiver returns carries its own connection's identity;
 * - scenario 3: a retired number that the OS hands to an ordinary file:
 *   every Spread call on it returns ILLEGAL_SESSION and the file (its
 *   bytes and its offset) is untouched, also by SP_close/SP_kill, which
 *   release the number without closing a descriptor the library no
 *   longer owns; SP_connect never returns a quarantined number, even when
 *   the number is free in the kernel;
 * - SP_close and SP_kill release a quarantined number (0 once, then
 *   ILLEGAL_SESSION), after which SP_connect may hand it out again;
 * - the bound: after SPL_QUARANTINE_MAX (64) more retirements the oldest
 *   number is no longer guarded, and numbers stay below the lowest free
 *   descriptor + 64;
 * - scenario 6: 100,000 connect/disconnect rounds without SP_close:
 *   descriptor count and RSS flat, every mailbox below FD_SETSIZE.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/client.h"
#include "../lib/harness.h"
#include "../lib/ckmain.h"

#ifdef SP_HAVE_CLOSE

#define JOIN_MS 10000       /* a thread that must end: a hang, not slowness */
#define QUARANTINE_MAX 64   /* documented in SP_disconnect(3) */

#include "../lib/ckdaemon.h"

static int fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* The lowest descriptor number the kernel would hand out now. */
static int lowest_free_fd(void)
{
    int fd = open("/dev/null", O_RDONLY);
    ck_assert_int_ge(fd, 0);
    close(fd);
    return fd;
}

/* The n-th (from 0) descriptor number that is free in the kernel now.
 * The library hands out the first free number that is not quarantined,
 * so with q numbers quarantined a new mailbox is at most the q-th. */
static int nth_free_fd(int n)
{
    int fd;

    for (fd = 0;; fd++)
        if (!fd_is_open(fd) && n-- == 0)
            return fd;
}

/* ---- scenario 2 ----------------------------------------------------- */

/* Rounds in flight at once: a round's receiver and disconnector are
 * joined only when its slot comes round again, so new connections are
 * made while older receivers still run. */
enum { SLOTS = 4 };

/* How far the main thread has got: the number of rounds whose connection
 * is up and has sent its messages. Some receivers wait on it before
 * their first call, to play a thread that lost the CPU between two
 * SP_receive calls while its mailbox was retired and a new connection
 * was made (the moment the reuse guard is for). */
struct progress {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int connected;
};

static struct progress progress = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0
};

static void progress_set(int connected)
{
    pthread_mutex_lock(&progress.lock);
    progress.connected = connected;
    pthread_cond_broadcast(&progress.cond);
    pthread_mutex_unlock(&progress.lock);
}

struct round {
    int n;
    int active;         /* threads not joined yet */
    int late;           /* receiver starts once round n + 1 is connected */
    mailbox mb;
    char pg[MAX_GROUP_NAME];
    char body[32];
    pthread_t rx, dx;
    int has_dx;
    /* written by the threads, read after joining them */
    int got, stale, rx_end, dx_rc;
};

static void *round_receiver(void *arg)
{
    struct round *r = arg;
    struct tc_msg *m = tc_msg_new();
    int ret;

    if (r->late) {
        /* Bounded like every wait here; the main thread opens the gate
         * for all at the end. */
        struct timespec dl = tc_realtime_after(JOIN_MS);
        int rc = 0;
        pthread_mutex_lock(&progress.lock);
        while (progress.connected <= r->n + 1 && rc == 0)
            rc = pthread_cond_timedwait(&progress.cond, &progress.lock, &dl);
        pthread_mutex_unlock(&progress.lock);
    }
    while ((ret = tc_recv_blocking(r->mb, m)) >= 0) {
        if (strcmp(m->body, r->body) == 0 && strcmp(m->sender, r->pg) == 0)
            r->got++;
        else
            r->stale++;
    }
    r->rx_end = ret;
    tc_msg_free(m);
    return NULL;
}

static void *round_disconnector(void *arg)
{
    struct round *r = arg;
    r->dx_rc = SP_disconnect(r->mb);
    return NULL;
}

struct tally {
    int stale, stale_rounds, late, late_refused;
};

/* Join a round's threads, if not done yet, and check it. */
static void round_collect(struct round *r, struct tally *t)
{
    if (!r->active)
        return;
    r->active = 0;
    ck_assert_msg(tc_join(r->rx, NULL, JOIN_MS) == 0, "round %d: receiver "
                  "hangs", r->n);
    if (r->has_dx)
        ck_assert_msg(tc_join(r->dx, NULL, JOIN_MS) == 0, "round %d: "
                      "disconnector hangs", r->n);
    ck_assert_msg(r->dx_rc == 0, "round %d: SP_disconnect gave %d", r->n, r->dx_rc);
    ck_assert_msg(r->rx_end == CONNECTION_CLOSED || r->rx_end == ILLEGAL_SESSION,
                  "round %d: receiver ended with %d", r->n, r->rx_end);
    ck_assert_int_le(r->got, 2);
    t->stale += r->stale;
    t->stale_rounds += r->stale > 0;
    if (r->late) {
        t->late++;
        t->late_refused += r->got == 0 && r->rx_end == ILLEGAL_SESSION;
    }
}

START_TEST(reconnect_at_once)
{
    static struct round slots[SLOTS];
    int rounds = tc_rounds(3000, 300), k, i;
    struct tally t = {0, 0, 0, 0};
    long long t0 = tc_now_ms();

    memset(slots, 0, sizeof slots);
    progress_set(0);
    for (k = 0; k < rounds; k++) {
        struct round *r = &slots[k % SLOTS];
        char name[16];
        int len;

        /* Every sixth round plays the preempted receiver: it starts only
         * after its mailbox was disconnected and the next connection is
         * up. The rounds before it are finished first, so without the
         * guard the kernel would hand the next connection this round's
         * number (the lowest free one). */
        if (k % 6 == 0)
            for (i = 0; i < SLOTS; i++)
                round_collect(&slots[i], &t);
        round_collect(r, &t);
        memset(r, 0, sizeof *r);
        r->n = k;
        r->active = 1;
        r->late = k % 6 == 0;
        r->dx_rc = -12345;
        snprintf(name, sizeof name, "r%d", k);
        r->mb = connect_as(0, name, 0, r->pg);
        len = snprintf(r->body, sizeof r->body, "round %d", k);
        /* One message before the receiver starts, one while it runs. */
        ck_assert_int_eq(SP_multicast(r->mb, FIFO_MESS, r->pg, 0, len, r->body), len);
        ck_assert_int_eq(pthread_create(&r->rx, NULL, round_receiver, r), 0);
        ck_assert_int_eq(SP_multicast(r->mb, FIFO_MESS, r->pg, 0, len, r->body), len);
        progress_set(k + 1);
        /* Disconnect from a second thread or from this one ... */
        if (k % 2) {
            r->has_dx = 1;
            ck_assert_int_eq(pthread_create(&r->dx, NULL, round_disconnector, r), 0);
        } else {
            r->dx_rc = SP_disconnect(r->mb);
        }
        /* ... and the next round connects at once. */
    }
    progress_set(rounds + 2);   /* open every gate */
    for (i = 0; i < SLOTS; i++)
        round_collect(&slots[i], &t);
    fprintf(stderr, "reconnect_at_once: stale messages: %d in %d rounds "
                    "(%d rounds affected), %lld ms; %d of %d late receivers "
                    "refused on their retired mailbox\n",
            t.stale, rounds, t.stale_rounds, tc_now_ms() - t0,
            t.late_refused, t.late);
    ck_assert_int_eq(t.stale, 0);
    /* A late receiver's first call comes after its SP_disconnect returned
     * and after the next connect: it must be refused, not served by the
     * next connection. */
    ck_assert_int_eq(t.late_refused, t.late);
}
END_TEST

/* ---- scenario 3 ----------------------------------------------------- */

static const char file_bytes[] = "0123456789abcdef";

/* Put an ordinary file with known bytes, at offset 5, on descriptor
 * number `num` (which must be free). Returns 1 if open() picked the number
 * by itself, 0 if dup2() had to put it there. */
static int file_on_number(int num)
{
    char path[] = "/tmp/cohort-reuse-XXXXXX";
    int fd = mkstemp(path), natural;

    ck_assert_int_ge(fd, 0);
    unlink(path);
    ck_assert_int_eq(write(fd, file_bytes, 16), 16);
    ck_assert_int_eq(lseek(fd, 5, SEEK_SET), 5);
    natural = fd == num;
    if (!natural) {
        ck_assert_int_eq(dup2(fd, num), num);
        close(fd);
    }
    return natural;
}

static void file_untouched(int num)
{
    char buf[32];
    struct stat st;

    ck_assert_msg(fd_is_open(num), "the file on %d was closed", num);
    ck_assert_int_eq(fstat(num, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(st.st_size, 16);
    ck_assert_int_eq(lseek(num, 0, SEEK_CUR), 5);
    ck_assert_int_eq(pread(num, buf, sizeof buf, 0), 16);
    ck_assert_int_eq(memcmp(buf, file_bytes, 16), 0);
}

START_TEST(retired_number_on_a_file)
{
    mailbox old = connect_as(0, "old", 0, NULL), others[8];
    int i, natural;

    ck_assert_int_eq(SP_disconnect(old), 0);
    /* No call was in flight: the library closed the descriptor, and the
     * number is free in the kernel but quarantined in the library. */
    ck_assert(!fd_is_open(old));
    ck_assert_int_eq(lowest_free_fd(), old);
    for (i = 0; i < 8; i++) {
        others[i] = connect_as(0, "other", 0, NULL);
        ck_assert_msg(others[i] != old, "SP_connect returned quarantined "
                      "number %d", old);
        ck_assert_int_lt(others[i], FD_SETSIZE);
        ck_assert_int_eq(SP_close(others[i]), 0);
    }

    natural = file_on_number(old);
    ck_assert_msg(tc_all_refused(old), "calls on retired %d not refused", old);
    {
        char groups[2][MAX_GROUP_NAME] = {"a", "b"};
        ck_assert_int_eq(SP_multigroup_multicast(old, AGREED_MESS, 2,
                         (const char (*)[MAX_GROUP_NAME])groups, 0, 3, "abc"),
                         ILLEGAL_SESSION);
    }
    file_untouched(old);
    for (i = 0; i < 8; i++) {
        mailbox mb = connect_as(0, "while-file", 0, NULL);
        ck_assert_int_ne(mb, old);
        ck_assert_int_eq(SP_close(mb), 0);
    }
    file_untouched(old);

    /* The application lets go of the old mailbox: released, but the file
     * that now has the number is not the library's to close. */
    ck_assert_int_eq(SP_close(old), 0);
    file_untouched(old);
    ck_assert_int_eq(SP_close(old), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_kill(old), ILLEGAL_SESSION);
    ck_assert(tc_all_refused(old));
    file_untouched(old);
    close(old);
    fprintf(stderr, "retired_number_on_a_file: number %d, %s\n", old,
            natural ? "open() picked it by itself" : "placed with dup2()");
}
END_TEST

START_TEST(kill_releases_without_closing_the_file)
{
    mailbox old = connect_as(0, "old", 0, NULL);

    ck_assert_int_eq(SP_disconnect(old), 0);
    file_on_number(old);
    ck_assert(tc_all_refused(old));
    ck_assert_int_eq(SP_kill(old), 0);
    file_untouched(old);
    ck_assert_int_eq(SP_kill(old), ILLEGAL_SESSION);
    ck_assert_int_eq(SP_close(old), ILLEGAL_SESSION);
    file_untouched(old);
    close(old);
}
END_TEST

/* ---- release by SP_close / SP_kill ---------------------------------- */

START_TEST(close_releases_number)
{
    mailbox a = connect_as(0, "a", 0, NULL), b;
    int use_kill;

    for (use_kill = 0; use_kill < 2; use_kill++) {
        ck_assert_int_eq(SP_disconnect(a), 0);
        ck_assert_int_eq(lowest_free_fd(), a);
        b = connect_as(0, "b", 0, NULL);
        ck_assert_int_ne(b, a);             /* quarantined */
        ck_assert_int_eq(use_kill ? SP_kill(a) : SP_close(a), 0);
        ck_assert_int_eq(SP_close(a), ILLEGAL_SESSION);
        ck_assert_int_eq(SP_kill(a), ILLEGAL_SESSION);
        ck_assert_int_eq(SP_disconnect(a), ILLEGAL_SESSION);
        /* Released: the lowest free number is a, and SP_connect takes it. */
        ck_assert_int_eq(lowest_free_fd(), a);
        ck_assert_int_eq(connect_as(0, "a", 0, NULL), a);
        ck_assert_int_eq(SP_close(b), 0);
    }
    ck_assert_int_eq(SP_close(a), 0);
}
END_TEST

/* SP_close after SP_disconnect while a receiver is still inside
 * SP_receive on the old mailbox: it waits for that call. */
START_TEST(close_after_disconnect_waits_for_calls)
{
    int rounds = tc_rounds(100, 20), k;

    for (k = 0; k < rounds; k++) {
        char pg[MAX_GROUP_NAME];
        mailbox mb = connect_as(0, "w", 0, pg);
        struct tc_rx rx;

        ck_assert_int_eq(SP_multicast(mb, FIFO_MESS, pg, 0, 6, "hello"), 6);
        ck_assert_int_ge(tc_rx_start(&rx, mb, NULL, JOIN_MS), 0);
        ck_assert_int_eq(SP_disconnect(mb), 0);
        ck_assert_int_eq(SP_close(mb), 0);
        /* No call holds the record any more: the descriptor is closed. */
        ck_assert(!fd_is_open(mb));
        ck_assert(tc_rx_join(&rx, JOIN_MS) == 0);
        ck_assert(rx.end == CONNECTION_CLOSED || rx.end == ILLEGAL_SESSION);
        ck_assert_int_eq(SP_close(mb), ILLEGAL_SESSION);
    }
}
END_TEST

/* ---- the bound ------------------------------------------------------ */

START_TEST(quarantine_bound)
{
    mailbox nums[QUARANTINE_MAX + 1], mb;
    int base = lowest_free_fd(), i, j;

    /* 65 retirements of 65 distinct numbers: each connect takes the
     * first free number not retired before it (the numbers retired so
     * far are the first i free ones). */
    for (i = 0; i <= QUARANTINE_MAX; i++) {
        int want = nth_free_fd(i);
        nums[i] = connect_as(0, "q", 0, NULL);
        ck_assert_int_eq(nums[i], want);
        for (j = 0; j < i; j++)
            ck_assert_int_ne(nums[i], nums[j]);
        ck_assert_int_eq(SP_disconnect(nums[i]), 0);
    }
    ck_assert_int_eq(nums[0], base);
    /* The 65th pushed the oldest out: no longer known, and free to be
     * handed out again, while the other 64 stay guarded. */
    ck_assert_int_eq(SP_close(nums[0]), ILLEGAL_SESSION);
    ck_assert_int_eq(lowest_free_fd(), nums[0]);
    mb = connect_as(0, "again", 0, NULL);
    ck_assert_int_eq(mb, nums[0]);
    for (i = 1; i <= QUARANTINE_MAX; i++)
        ck_assert_int_ne(mb, nums[i]);
    ck_assert_int_eq(SP_close(mb), 0);
    for (i = 1; i <= QUARANTINE_MAX; i++)
        ck_assert_msg(SP_close(nums[i]) == 0, "number %d (retirement %d) not "
                      "quarantined", nums[i], i);
    ck_assert_int_eq(lowest_free_fd(), base);
}
END_TEST

/* ---- scenario 6 ----------------------------------------------------- */

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;   /* opendir's own */
}

static long rss_kib(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;

    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(fscanf(fp, "%ld %ld", &size, &resident), 2);
    fclose(fp);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

START_TEST(connect_disconnect_100k)
{
    /* 100,000 rounds take ~10 s in a normal build; stop early only if
     * this machine is much slower than that (the count is printed). */
    int rounds = tc_rounds(100000, 5000), k, fds1k = -1, fds_end, max_mb = 0;
    int bound = nth_free_fd(QUARANTINE_MAX);
    long rss1k = -1, rss_end;
    long long t0 = tc_now_ms(), budget_ms = 40000;

    for (k = 0; k < rounds; k++) {
        char pg[MAX_GROUP_NAME];
        mailbox mb;
        int r = SP_connect(daemon_.spread, "loop", 0, 0, &mb, pg);

        ck_assert_msg(r == ACCEPT_SESSION, "round %d: connect gave %d", k, r);
        ck_assert_msg(mb < FD_SETSIZE, "round %d: mailbox %d", k, mb);
        if (mb > max_mb)
            max_mb = mb;
        ck_assert_msg(SP_disconnect(mb) == 0, "round %d: disconnect", k);
        if (k + 1 == 1000) {
            fds1k = count_fds();
            rss1k = rss_kib();
        }
        if (k + 1 >= 2000 && tc_now_ms() - t0 > budget_ms)
            break;
    }
    fds_end = count_fds();
    rss_end = rss_kib();
    fprintf(stderr, "connect_disconnect_100k: %d of %d rounds in %lld ms; "
                    "descriptors %d at round 1000, %d at the end; RSS %ld KiB "
                    "at round 1000, %ld KiB at the end; highest mailbox %d "
                    "(bound %d)\n",
            k < rounds ? k + 1 : k, rounds, tc_now_ms() - t0, fds1k, fds_end,
            rss1k, rss_end, max_mb, bound);
    ck_assert_int_eq(fds_end, fds1k);
    /* Under AddressSanitizer freed blocks stay resident in its quarantine;
     * there LeakSanitizer, at exit, is the memory check. */
    if (!tc_asan())
        ck_assert_msg(rss_end - rss1k < 2048, "RSS grew by %ld KiB",
                      rss_end - rss1k);
    /* At most 64 numbers are held back, so no mailbox is above the 65th
     * free number (the process's other descriptors may leave gaps). */
    ck_assert_int_le(max_mb, bound);
}
END_TEST

static Suite *reuse_suite(void)
{
    Suite *s = suite_create("reuse");
    TCase *tc = tcase_create("reuse");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, reconnect_at_once);
    tcase_add_test(tc, retired_number_on_a_file);
    tcase_add_test(tc, kill_releases_without_closing_the_file);
    tcase_add_test(tc, close_releases_number);
    tcase_add_test(tc, close_after_disconnect_waits_for_calls);
    tcase_add_test(tc, quarantine_bound);
    tcase_add_test(tc, connect_disconnect_100k);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(reuse_suite());
}

#else /* !SP_HAVE_CLOSE */

int main(void)
{
    fprintf(stderr, "SKIP: this libspread has no SP_close (SP_HAVE_CLOSE)\n");
    return 77;
}

#endif
