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
#include <fcntl.h>
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
    while (t->q_len > 0) {
        struct spl_sess *q = t->quarantine[t->q_first];
        t->q_first = (t->q_first + 1) % SPL_QUARANTINE_MAX;
        t->q_len--;
        spl_mbox_release(q);
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
    atomic_init(&s->retired, 0);
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

static void sess_free(struct spl_sess *s)
{
    pthread_mutex_destroy(&s->send_lock);
    pthread_mutex_destroy(&s->recv_lock);
    free(s);
}

void spl_mbox_unref(struct spl_sess *s)
{
    /* Read first: once this call's reference is gone, a quarantined record
     * may be freed by spl_mbox_release() in another thread. */
    int fd = s->fd, close_fd = atomic_load(&s->close_fd);
    unsigned r = atomic_load(&s->refs);

    for (;;) {
        if (r == (SPL_REF_QUARANTINE | 1u)) {
            /* The last user of a retired, quarantined mailbox (no user can
             * be added: it is in no table). Close before letting go, so
             * that SP_close, which waits for the users to reach zero,
             * returns with the descriptor closed; the number stays held
             * back from SP_connect. If the quarantine let go meanwhile,
             * freeing is ours. */
            if (close_fd && fd >= 0) {
                /* Tell a fork child that lands between this close and the
                 * decrement not to close the number again: by then it
                 * may be another file's. */
                atomic_store(&s->close_fd, 0);
                close(fd);
            }
            if (atomic_fetch_sub(&s->refs, 1) == 1u)
                sess_free(s);
            return;
        }
        if (atomic_compare_exchange_weak(&s->refs, &r, r - 1))
            break;
    }
    if (r == 1u) {
        /* Nobody can reach s any more (a linked record holds the table's
         * reference, a quarantined one the quarantine bit). */
        if (close_fd && fd >= 0)
            close(fd);
        sess_free(s);
    }
}

unsigned spl_mbox_users(struct spl_sess *s)
{
    return atomic_load(&s->refs) & ~SPL_REF_QUARANTINE;
}

void spl_mbox_release(struct spl_sess *s)
{
    unsigned old = atomic_fetch_and(&s->refs, ~SPL_REF_QUARANTINE);

    /* No user left: the one that left last closed the descriptor before
     * it let go (retirement happens under a user's reference, so the last
     * user always sees the bit). Otherwise the last user frees s. */
    if ((old & ~SPL_REF_QUARANTINE) == 0)
        sess_free(s);
}

/* Called with t->lock held. */
static int in_quarantine(const struct spl_mbox_table *t, int fd)
{
    size_t i;

    for (i = 0; i < t->q_len; i++)
        if (t->quarantine[(t->q_first + i) % SPL_QUARANTINE_MAX]->fd == fd)
            return 1;
    return 0;
}

int spl_mbox_retire(struct spl_mbox_table *t, struct spl_sess *s,
                    int quarantine)
{
    struct spl_sess *evicted = NULL;
    int removed = 0;

    pthread_mutex_lock(&t->lock);
    if (s->linked && s->fd >= 0 && (size_t)s->fd < t->cap &&
        t->slots[s->fd] == s) {
        t->slots[s->fd] = NULL;
        t->count--;
        s->linked = 0;
        removed = 1;
        atomic_store(&s->retired, SPL_RETIRED_OUT);
        if (quarantine) {
            if (t->q_len == SPL_QUARANTINE_MAX) {
                evicted = t->quarantine[t->q_first];
                t->q_first = (t->q_first + 1) % SPL_QUARANTINE_MAX;
                t->q_len--;
            }
            t->quarantine[(t->q_first + t->q_len) % SPL_QUARANTINE_MAX] = s;
            t->q_len++;
            atomic_fetch_or(&s->refs, SPL_REF_QUARANTINE);
        }
    }
    /* Released before unlocking, so that a fork (whose prepare handler
     * takes t->lock) never sees a record in neither ring nor table. */
    if (evicted != NULL)
        spl_mbox_release(evicted);
    pthread_mutex_unlock(&t->lock);
    if (!removed)
        return -ENOENT;
    spl_mbox_unref(s);  /* the table's reference; the caller still has one */
    return 0;
}

/* Take the record filed under fd out of the ring. t->lock held. */
static struct spl_sess *quarantine_take(struct spl_mbox_table *t, int fd)
{
    size_t i;

    for (i = 0; i < t->q_len; i++) {
        size_t at = (t->q_first + i) % SPL_QUARANTINE_MAX;
        struct spl_sess *found = t->quarantine[at];
        if (found->fd != fd)
            continue;
        /* Close the gap: shift the younger entries down by one. */
        for (; i + 1 < t->q_len; i++)
            t->quarantine[(t->q_first + i) % SPL_QUARANTINE_MAX] =
                t->quarantine[(t->q_first + i + 1) % SPL_QUARANTINE_MAX];
        t->q_len--;
        return found;
    }
    return NULL;
}

struct spl_sess *spl_mbox_unquarantine(struct spl_mbox_table *t, int fd)
{
    struct spl_sess *found;

    pthread_mutex_lock(&t->lock);
    found = quarantine_take(t, fd);
    pthread_mutex_unlock(&t->lock);
    return found;
}

int spl_mbox_avoid_quarantined(struct spl_mbox_table *t, int fd)
{
    int moved = fd;

    pthread_mutex_lock(&t->lock);
    /* The quarantine is bounded, so this ends after at most
     * SPL_QUARANTINE_MAX + 1 tries; each try looks above the last. */
    while (in_quarantine(t, moved)) {
        int next = fcntl(fd, F_DUPFD, moved + 1);
        if (moved != fd)
            close(moved);
        if (next < 0) {
            /* No free number above (the descriptor limit is near): the
             * guard gives way rather than fail the connect. The number
             * the kernel handed out is released; its old descriptor is
             * closed, or the kernel could not have reused it. */
            struct spl_sess *q = quarantine_take(t, fd);
            if (q != NULL)
                spl_mbox_release(q);
            moved = fd;
            break;
        }
        moved = next;
    }
    pthread_mutex_unlock(&t->lock);
    if (moved != fd)
        close(fd);
    return moved;
}

size_t spl_mbox_quarantined(struct spl_mbox_table *t)
{
    size_t n;

    pthread_mutex_lock(&t->lock);
    n = t->q_len;
    pthread_mutex_unlock(&t->lock);
    return n;
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
    for (i = 0; i < t->q_len; i++) {
        struct spl_sess *s = t->quarantine[(t->q_first + i) %
                                           SPL_QUARANTINE_MAX];
        /* Users of a retired mailbox were parent threads; their copy of
         * the descriptor in this process would never be closed. */
        if (spl_mbox_users(s) > 0 && atomic_load(&s->close_fd) && s->fd >= 0)
            close(s->fd);
        atomic_store(&s->refs, SPL_REF_QUARANTINE);
        /* Freed (and its locks destroyed) on release: re-create them, as a
         * parent thread may have held one at the fork. */
        pthread_mutex_init(&s->send_lock, NULL);
        pthread_mutex_init(&s->recv_lock, NULL);
    }
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
