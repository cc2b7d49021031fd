/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * mbox: reference-counted session records and the descriptor-indexed
 * table that finds them. The contract (ownership, lock order, generations)
 * is in mbox.h.
 *
 * The table is a plain array indexed by descriptor number, grown to the
 * next power of two when a larger descriptor shows up: descriptors are
 * small dense integers, so direct indexing beats hashing and any number
 * the kernel hands out fits.
 */
#include "config.h"

#include "mbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MBOX_MIN_CAP 64

int spl_mbox_table_init(struct spl_mbox_table *t)
{
    memset(t, 0, sizeof *t);
    if (pthread_mutex_init(&t->lock, NULL) != 0)
        return -ENOMEM;
    t->next_gen = 1;
    return 0;
}

void spl_mbox_table_fini(struct spl_mbox_table *t)
{
    size_t i;

    for (i = 0; i < t->cap; i++) {
        struct spl_sess *s = t->slots[i];
        if (s == NULL)
            continue;
        t->slots[i] = NULL;
        s->linked = 0;
        spl_mbox_unref(s);
    }
    free(t->slots);
    t->slots = NULL;
    t->cap = 0;
    t->count = 0;
    pthread_mutex_destroy(&t->lock);
}

struct spl_mbox_table *spl_mbox_global(void)
{
    static struct spl_mbox_table table = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .next_gen = 1,
    };
    return &table;
}

struct spl_sess *spl_mbox_sess_new(int fd, const char *private_group)
{
    struct spl_sess *s = calloc(1, sizeof *s);

    if (s == NULL)
        return NULL;
    if (pthread_mutex_init(&s->send_lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    if (pthread_mutex_init(&s->recv_lock, NULL) != 0) {
        pthread_mutex_destroy(&s->send_lock);
        free(s);
        return NULL;
    }
    s->fd = fd;
    if (private_group != NULL)
        strncpy(s->private_group, private_group, MAX_GROUP_NAME - 1);
    atomic_init(&s->refs, 1);
    atomic_init(&s->broken, 0);
    atomic_init(&s->close_fd, 1);
    atomic_init(&s->retired, SPL_RETIRED_ACTIVE);
    atomic_init(&s->inherited, 0);
    return s;
}

void spl_mbox_sess_forget_fd(struct spl_sess *s)
{
    atomic_store(&s->close_fd, 0);
}

/* Grow so that index fd exists. Called with t->lock held. */
static int table_reserve(struct spl_mbox_table *t, int fd)
{
    size_t need = (size_t)fd + 1, cap = t->cap ? t->cap : MBOX_MIN_CAP;
    struct spl_sess **slots;

    if (need <= t->cap)
        return 0;
    while (cap < need)
        cap *= 2;
    slots = realloc(t->slots, cap * sizeof *slots);
    if (slots == NULL)
        return -ENOMEM;
    memset(slots + t->cap, 0, (cap - t->cap) * sizeof *slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

int spl_mbox_link(struct spl_mbox_table *t, struct spl_sess *s)
{
    struct spl_sess *stale = NULL;
    int rc;

    if (s->fd < 0)
        return -EINVAL;
    pthread_mutex_lock(&t->lock);
    if (s->linked) {
        rc = -EINVAL;
    } else if ((rc = table_reserve(t, s->fd)) == 0) {
        /* The kernel just handed out this number, so a record still filed
         * under it lost its descriptor to a close() outside the library
         * (the library itself closes only after unlinking). Retire that
         * record without letting it close the new descriptor. */
        stale = t->slots[s->fd];
        if (stale != NULL) {
            spl_mbox_sess_forget_fd(stale);
            stale->linked = 0;
            t->count--;
        }
        s->gen = t->next_gen++;
        s->linked = 1;
        atomic_fetch_add(&s->refs, 1);
        t->slots[s->fd] = s;
        t->count++;
    }
    pthread_mutex_unlock(&t->lock);
    if (stale != NULL)
        spl_mbox_unref(stale); /* the table's reference */
    return rc;
}

struct spl_sess *spl_mbox_lookup_gen(struct spl_mbox_table *t, int fd,
                                  uint64_t gen)
{
    struct spl_sess *s = NULL;

    if (fd < 0)
        return NULL;
    pthread_mutex_lock(&t->lock);
    if ((size_t)fd < t->cap) {
        s = t->slots[fd];
        if (s != NULL && gen != 0 && s->gen != gen)
            s = NULL;
        if (s != NULL)
            atomic_fetch_add(&s->refs, 1);
    }
    pthread_mutex_unlock(&t->lock);
    return s;
}

struct spl_sess *spl_mbox_lookup(struct spl_mbox_table *t, int fd)
{
    return spl_mbox_lookup_gen(t, fd, 0);
}

void spl_mbox_ref(struct spl_sess *s)
{
    atomic_fetch_add(&s->refs, 1);
}

int spl_mbox_unlink(struct spl_mbox_table *t, struct spl_sess *s)
{
    int removed = 0;

    pthread_mutex_lock(&t->lock);
    if (s->linked && s->fd >= 0 && (size_t)s->fd < t->cap &&
        t->slots[s->fd] == s) {
        t->slots[s->fd] = NULL;
        t->count--;
        s->linked = 0;
        removed = 1;
    }
    pthread_mutex_unlock(&t->lock);
    if (!removed)
        return -ENOENT;
    spl_mbox_unref(s);
    return 0;
}

void spl_mbox_unref(struct spl_sess *s)
{
    if (atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    /* Last reference: nobody can reach s any more (a linked record always
     * holds the table's reference), so no lock is needed. */
    if (atomic_load(&s->close_fd) && s->fd >= 0)
        close(s->fd);
    pthread_mutex_destroy(&s->send_lock);
    pthread_mutex_destroy(&s->recv_lock);
    free(s);
}

size_t spl_mbox_count(struct spl_mbox_table *t)
{
    size_t n;

    pthread_mutex_lock(&t->lock);
    n = t->count;
    pthread_mutex_unlock(&t->lock);
    return n;
}

void spl_mbox_atfork_prepare(struct spl_mbox_table *t)
{
    pthread_mutex_lock(&t->lock);
}

void spl_mbox_atfork_parent(struct spl_mbox_table *t)
{
    pthread_mutex_unlock(&t->lock);
}

void spl_mbox_atfork_child(struct spl_mbox_table *t)
{
    size_t i;

    /* The table lock was taken in prepare by the thread that forked, the
     * only thread of the child: releasing it is its owner's own unlock.
     * It is then made anew like every other library lock. The session
     * locks below are never taken by prepare; a parent thread that no
     * longer exists may hold one, so they are only re-created. */
    pthread_mutex_unlock(&t->lock);
    pthread_mutex_destroy(&t->lock);
    pthread_mutex_init(&t->lock, NULL);
    for (i = 0; i < t->cap; i++) {
        struct spl_sess *s = t->slots[i];
        if (s == NULL)
            continue;
        pthread_mutex_init(&s->send_lock, NULL);
        pthread_mutex_init(&s->recv_lock, NULL);
        atomic_store(&s->refs, 1);
        atomic_store(&s->inherited, 1);
    }
}
