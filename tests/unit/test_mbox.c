/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * test_mbox: the mailbox table's contract (libspread/mbox.h): lookup,
 * reference counting, removal while referenced (the descriptor stays open
 * until the last reference), generations, growth to large descriptor
 * numbers, concurrent lookup/unref against unlink, and the quarantine of
 * retired numbers (the reuse guard).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mbox.h"
#include "../lib/ckmain.h"

static int fd_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* A fresh descriptor to own (one end of a pipe; the other is closed). */
static int new_fd(void)
{
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    close(p[1]);
    return p[0];
}

static struct spl_mbox_table T;

static void setup(void)
{
    ck_assert_int_eq(spl_mbox_table_init(&T), 0);
}

static void teardown(void)
{
    spl_mbox_table_fini(&T);
}

START_TEST(lookup_and_unknown)
{
    int fd = new_fd();
    struct spl_sess *s = spl_mbox_sess_new(fd, "#a#localhost"), *g;

    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_null(spl_mbox_lookup(&T, fd));
    ck_assert_int_eq(spl_mbox_link(&T, s), 0);
    ck_assert_uint_eq(spl_mbox_count(&T), 1);
    g = spl_mbox_lookup(&T, fd);
    ck_assert_ptr_eq(g, s);
    ck_assert_str_eq(g->private_group, "#a#localhost");
    spl_mbox_unref(g);
    ck_assert_ptr_null(spl_mbox_lookup(&T, fd + 1));
    ck_assert_ptr_null(spl_mbox_lookup(&T, -1));
    ck_assert_ptr_null(spl_mbox_lookup(&T, 1 << 20));
    spl_mbox_unref(s);                      /* creator's reference */
    ck_assert(fd_open(fd));               /* the table still holds one */
    ck_assert_int_eq(spl_mbox_unlink(&T, s), 0);
    ck_assert(!fd_open(fd));
}
END_TEST

START_TEST(link_rules)
{
    int fd = new_fd();
    struct spl_sess *s = spl_mbox_sess_new(fd, NULL);
    struct spl_sess *t = spl_mbox_sess_new(fd, NULL);
    struct spl_sess *bad = spl_mbox_sess_new(-1, NULL);

    struct spl_sess *held;

    ck_assert_int_eq(spl_mbox_link(&T, s), 0);
    ck_assert_int_eq(spl_mbox_link(&T, s), -EINVAL);
    ck_assert_int_eq(spl_mbox_link(&T, bad), -EINVAL);
    /* The same number again: the application closed s's descriptor behind
     * the library's back and the kernel reused it. t takes the slot; s is
     * retired and must not close what is now t's descriptor. */
    ck_assert_int_eq(spl_mbox_link(&T, t), 0);
    held = spl_mbox_lookup(&T, fd);
    ck_assert_ptr_eq(held, t);
    spl_mbox_unref(held);
    ck_assert_int_eq(spl_mbox_unlink(&T, s), -ENOENT);
    spl_mbox_unref(s);
    spl_mbox_unref(bad);
    ck_assert(fd_open(fd));
    ck_assert_int_eq(spl_mbox_unlink(&T, t), 0);
    spl_mbox_unref(t);
    ck_assert(!fd_open(fd));
}
END_TEST

START_TEST(remove_while_referenced)
{
    int fd = new_fd();
    struct spl_sess *s = spl_mbox_sess_new(fd, NULL), *held;

    ck_assert_int_eq(spl_mbox_link(&T, s), 0);
    spl_mbox_unref(s);
    held = spl_mbox_lookup(&T, fd);          /* a call in flight */
    ck_assert_ptr_nonnull(held);
    ck_assert_int_eq(spl_mbox_unlink(&T, held), 0);
    ck_assert_int_eq(spl_mbox_unlink(&T, held), -ENOENT);
    ck_assert_ptr_null(spl_mbox_lookup(&T, fd));   /* retired: unknown */
    ck_assert_uint_eq(spl_mbox_count(&T), 0);
    ck_assert(fd_open(fd));               /* not closed under the call */
    spl_mbox_ref(held);
    spl_mbox_unref(held);
    ck_assert(fd_open(fd));
    spl_mbox_unref(held);                   /* last reference */
    ck_assert(!fd_open(fd));
}
END_TEST

START_TEST(generations)
{
    int fd = new_fd(), copy;
    struct spl_sess *s1 = spl_mbox_sess_new(fd, NULL), *s2, *g;
    uint64_t gen1, gen2;

    ck_assert_int_eq(spl_mbox_link(&T, s1), 0);
    gen1 = s1->gen;
    ck_assert_uint_ne(gen1, 0);
    g = spl_mbox_lookup_gen(&T, fd, gen1);
    ck_assert_ptr_eq(g, s1);
    spl_mbox_unref(g);
    /* Retire s1 but keep it referenced; the number then comes back for a
     * new session (as the kernel would after the close). */
    ck_assert_int_eq(spl_mbox_unlink(&T, s1), 0);
    copy = dup(fd);
    spl_mbox_sess_forget_fd(s1);
    spl_mbox_unref(s1);
    ck_assert(fd_open(fd));
    s2 = spl_mbox_sess_new(fd, NULL);
    ck_assert_int_eq(spl_mbox_link(&T, s2), 0);
    gen2 = s2->gen;
    ck_assert_uint_gt(gen2, gen1);
    ck_assert_ptr_null(spl_mbox_lookup_gen(&T, fd, gen1));
    g = spl_mbox_lookup_gen(&T, fd, gen2);
    ck_assert_ptr_eq(g, s2);
    spl_mbox_unref(g);
    spl_mbox_unref(s2);
    ck_assert_int_eq(spl_mbox_unlink(&T, s2), 0);
    ck_assert(!fd_open(fd));
    close(copy);
}
END_TEST

START_TEST(grows_for_large_descriptors)
{
    int base = new_fd(), big = 5000 + (int)(getpid() % 1000), i;
    struct spl_sess *s;

    if (dup2(base, big) < 0) {
        close(base);
        return;     /* descriptor limit too low here; nothing to test */
    }
    close(base);
    s = spl_mbox_sess_new(big, NULL);
    ck_assert_int_eq(spl_mbox_link(&T, s), 0);
    spl_mbox_unref(s);
    ck_assert_uint_ge(T.cap, (size_t)big + 1);
    for (i = 0; i < big; i++)
        ck_assert_ptr_null(T.slots[i]);
    s = spl_mbox_lookup(&T, big);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(spl_mbox_unlink(&T, s), 0);
    spl_mbox_unref(s);
    ck_assert(!fd_open(big));
}
END_TEST

/* Threads hammer lookup/unref while the main thread unlinks: each lookup
 * fails or returns a live record, and the descriptor closes exactly once,
 * after the last unref. */
struct hammer {
    int fd;
    int stop;
    long hits;
};

static void *hammer_main(void *arg)
{
    struct hammer *h = arg;

    while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
        struct spl_sess *s = spl_mbox_lookup(&T, h->fd);
        if (s == NULL)
            continue;
        ck_assert_int_eq(s->fd, h->fd);
        ck_assert(fd_open(s->fd));
        __atomic_add_fetch(&h->hits, 1, __ATOMIC_RELAXED);
        spl_mbox_unref(s);
    }
    return NULL;
}

START_TEST(concurrent_get_put_unlink)
{
    pthread_t th[4];
    struct hammer h;
    int round, i;

    for (round = 0; round < 200; round++) {
        struct spl_sess *s;
        h.fd = new_fd();
        h.stop = 0;
        h.hits = 0;
        s = spl_mbox_sess_new(h.fd, NULL);
        ck_assert_int_eq(spl_mbox_link(&T, s), 0);
        spl_mbox_unref(s);
        for (i = 0; i < 4; i++)
            pthread_create(&th[i], NULL, hammer_main, &h);
        while (__atomic_load_n(&h.hits, __ATOMIC_RELAXED) < 50)
            ;
        s = spl_mbox_lookup(&T, h.fd);
        ck_assert_int_eq(spl_mbox_unlink(&T, s), 0);
        spl_mbox_unref(s);
        __atomic_store_n(&h.stop, 1, __ATOMIC_RELEASE);
        for (i = 0; i < 4; i++)
            pthread_join(th[i], NULL);
        ck_assert(!fd_open(h.fd));
    }
}
END_TEST

START_TEST(fini_releases_linked)
{
    int fd = new_fd();
    struct spl_sess *s = spl_mbox_sess_new(fd, NULL);

    ck_assert_int_eq(spl_mbox_link(&T, s), 0);
    spl_mbox_unref(s);
    spl_mbox_table_fini(&T);
    ck_assert(!fd_open(fd));
    ck_assert_int_eq(spl_mbox_table_init(&T), 0);
}
END_TEST

/* A new linked record for a fresh descriptor; the caller keeps one
 * reference (like an SP_* call in flight). */
static struct spl_sess *linked_held(int *fd)
{
    struct spl_sess *s;

    *fd = new_fd();
    s = spl_mbox_sess_new(*fd, NULL);
    ck_assert_int_eq(spl_mbox_link(&T, s), 0);
    return s;
}

START_TEST(retire_into_quarantine)
{
    int fd, moved;
    struct spl_sess *s = linked_held(&fd), *q;

    ck_assert_int_eq(spl_mbox_retire(&T, s, 1), 0);
    ck_assert_int_eq(spl_mbox_retire(&T, s, 1), -ENOENT);
    ck_assert(atomic_load(&s->retired));
    ck_assert_ptr_null(spl_mbox_lookup(&T, fd));
    ck_assert_uint_eq(spl_mbox_quarantined(&T), 1);
    ck_assert(fd_open(fd));                 /* a call still holds it */
    spl_mbox_unref(s);                      /* the last user */
    ck_assert(!fd_open(fd));                /* closed, number held back */
    ck_assert_uint_eq(spl_mbox_quarantined(&T), 1);

    /* The OS hands the number out again: the guard moves it. */
    moved = new_fd();
    ck_assert_int_eq(moved, fd);
    moved = spl_mbox_avoid_quarantined(&T, moved);
    ck_assert_int_gt(moved, fd);
    ck_assert(!fd_open(fd));
    ck_assert(fd_open(moved));
    ck_assert_int_eq(spl_mbox_avoid_quarantined(&T, moved), moved);
    close(moved);

    q = spl_mbox_unquarantine(&T, fd);
    ck_assert_ptr_eq(q, s);
    ck_assert_uint_eq(spl_mbox_users(q), 0);
    ck_assert_ptr_null(spl_mbox_unquarantine(&T, fd));
    spl_mbox_release(q);                    /* frees (ASan checks) */
    ck_assert_uint_eq(spl_mbox_quarantined(&T), 0);
}
END_TEST

/* Released while a call is still in flight: that call frees the record
 * and closes the descriptor when it leaves. */
START_TEST(release_before_last_user)
{
    int fd;
    struct spl_sess *s = linked_held(&fd), *q;

    ck_assert_int_eq(spl_mbox_retire(&T, s, 1), 0);
    q = spl_mbox_unquarantine(&T, fd);
    ck_assert_ptr_eq(q, s);
    ck_assert_uint_eq(spl_mbox_users(q), 1);
    spl_mbox_release(q);
    ck_assert(fd_open(fd));
    spl_mbox_unref(s);
    ck_assert(!fd_open(fd));
}
END_TEST

/* Retired without quarantine (SP_kill, SP_close): the number is free. */
START_TEST(retire_without_quarantine)
{
    int fd, again;
    struct spl_sess *s = linked_held(&fd);

    ck_assert_int_eq(spl_mbox_retire(&T, s, 0), 0);
    ck_assert_uint_eq(spl_mbox_quarantined(&T), 0);
    spl_mbox_unref(s);
    ck_assert(!fd_open(fd));
    again = new_fd();
    ck_assert_int_eq(spl_mbox_avoid_quarantined(&T, again), again);
    close(again);
}
END_TEST

/* The bound: the oldest entry goes when the quarantine is full, and the
 * numbers the guard hands out stay close to the lowest free one. */
START_TEST(quarantine_is_bounded)
{
    int first = -1, fd, i, highest = 0, first_again = -1;

    for (i = 0; i < SPL_QUARANTINE_MAX + 5; i++) {
        struct spl_sess *s;
        fd = spl_mbox_avoid_quarantined(&T, new_fd());
        ck_assert_int_ge(fd, 0);
        if (fd > highest)
            highest = fd;
        s = spl_mbox_sess_new(fd, NULL);
        ck_assert_int_eq(spl_mbox_link(&T, s), 0);
        ck_assert_int_eq(spl_mbox_retire(&T, s, 1), 0);
        spl_mbox_unref(s);
        ck_assert(!fd_open(fd));
        if (i == 0)
            first = fd;
        else if (fd == first && first_again < 0)
            first_again = i;
        ck_assert_uint_le(spl_mbox_quarantined(&T), SPL_QUARANTINE_MAX);
    }
    ck_assert_uint_eq(spl_mbox_quarantined(&T), SPL_QUARANTINE_MAX);
    /* The first number came back only after the retirement that
     * overflowed the quarantine evicted it. */
    ck_assert_int_eq(first_again, SPL_QUARANTINE_MAX + 1);
    ck_assert_int_lt(highest, first + SPL_QUARANTINE_MAX + 2);
}
END_TEST

/* Near the descriptor limit there is no free number above a quarantined
 * one: the guard gives way (releases that number) instead of failing. */
START_TEST(quarantine_gives_way_at_fd_limit)
{
    struct rlimit rl;
    int fd, again;
    struct spl_sess *s = linked_held(&fd);

    ck_assert_int_eq(spl_mbox_retire(&T, s, 1), 0);
    spl_mbox_unref(s);
    ck_assert_uint_eq(spl_mbox_quarantined(&T), 1);
    /* Only numbers up to fd are allowed now (this test runs in its own
     * process under Check's fork mode). */
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = (rlim_t)fd + 1;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    again = open("/dev/null", O_RDONLY);
    ck_assert_int_eq(again, fd);
    ck_assert_int_eq(spl_mbox_avoid_quarantined(&T, again), fd);
    ck_assert(fd_open(fd));
    ck_assert_uint_eq(spl_mbox_quarantined(&T), 0);
    close(fd);
}
END_TEST

START_TEST(global_table)
{
    ck_assert_ptr_eq(spl_mbox_global(), spl_mbox_global());
    ck_assert_ptr_null(spl_mbox_lookup(spl_mbox_global(), 0));
}
END_TEST

static Suite *mbox_suite(void)
{
    Suite *s = suite_create("mbox");
    TCase *tc = tcase_create("table");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, lookup_and_unknown);
    tcase_add_test(tc, link_rules);
    tcase_add_test(tc, remove_while_referenced);
    tcase_add_test(tc, generations);
    tcase_add_test(tc, grows_for_large_descriptors);
    tcase_add_test(tc, concurrent_get_put_unlink);
    tcase_add_test(tc, fini_releases_linked);
    tcase_add_test(tc, retire_into_quarantine);
    tcase_add_test(tc, release_before_last_user);
    tcase_add_test(tc, retire_without_quarantine);
    tcase_add_test(tc, quarantine_is_bounded);
    tcase_add_test(tc, quarantine_gives_way_at_fd_limit);
    tcase_add_test(tc, global_table);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ck_run_suite(mbox_suite());
}
