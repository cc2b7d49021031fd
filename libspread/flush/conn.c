/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flush/conn: the flush connection table (see conn.h). The table is a
 * short list: a process has a handful of flush connections, and every
 * lookup also asks the SP layer's table whether the session is still the
 * one FL_connect made.
 */
#include "config.h"

#include "conn.h"
#include "codec.h"
#include "lib.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The table is process state by nature (mailboxes are process-wide), like
 * libspread's session table; these are its only statics. */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t table_cond = PTHREAD_COND_INITIALIZER;
static struct flx_conn *table;
static atomic_int lib_init_called;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
    pthread_mutex_lock(&table_lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&table_lock);
}

/* Only this thread exists in the child: locks are made anew rather than
 * unlocked for owners that are gone, and only the table's references
 * remain. Records already unlinked in the parent stay allocated. */
static void fork_child(void)
{
    struct flx_conn *c;

    /* The table lock was taken in prepare by the forking thread, the only
     * one here: its own unlock is legitimate (and what ThreadSanitizer
     * understands); then it is made anew like the rest. Connection locks
     * may be held by parent threads that do not exist here: re-created. */
    pthread_mutex_unlock(&table_lock);
    pthread_mutex_destroy(&table_lock);
    pthread_mutex_init(&table_lock, NULL);
    pthread_cond_init(&table_cond, NULL);
    for (c = table; c != NULL; c = c->next) {
        c->refs = 1;
        pthread_mutex_init(&c->recv_lock, NULL);
        pthread_mutex_init(&c->state_lock, NULL);
    }
}

static void register_fork(void)
{
    /* libspread's handlers first, so that ours nest outside them (prepare
     * handlers run in reverse order of registration). Failure leaves a
     * library that works in a process that never forks, as SP_init's. */
    (void)SP_init();
    (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void flx_init(void)
{
    pthread_once(&fork_once, register_fork);
}

__attribute__((constructor)) static void flx_init_at_load(void)
{
    flx_init();
}

int flx_lib_init_once(void)
{
    int expected = 0;

    flx_init();
    return atomic_compare_exchange_strong(&lib_init_called, &expected, 1)
               ? 0 : ILLEGAL_STATE;
}

/* The engine's way out: FLUSH_OK and FLUSH_RECV (spec 4.2, 4.3). */
static int send_control(void *ctx, const char *group, int16 type,
                        const group_id *id)
{
    struct flx_conn *c = ctx;
    unsigned char body[FLC_ID_LEN];
    char name[MAX_GROUP_NAME + 1];
    int rc;

    memcpy(name, group, MAX_GROUP_NAME);
    name[MAX_GROUP_NAME] = '\0';
    flc_id_encode(body, id);
    rc = SP_multicast(c->mbox, FIFO_MESS, name, type, FLC_ID_LEN,
                      (const char *)body);
    return rc < 0 ? rc : 0;
}

static void conn_free(struct flx_conn *c)
{
    fle_conn_fini(&c->eng);
    pthread_mutex_destroy(&c->recv_lock);
    pthread_mutex_destroy(&c->state_lock);
    free(c);
}

/* With the table lock held: take c out of the list. */
static int unlink_locked(struct flx_conn *c)
{
    struct flx_conn **pp;

    if (!c->linked)
        return -ENOENT;
    for (pp = &table; *pp != NULL; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    c->linked = 0;
    c->refs--;            /* the table's; the caller still holds one */
    return 0;
}

static int sp_gen_of(mailbox mbox, uint64_t *gen)
{
    struct spl_sess *s = spl_mbox_lookup(spl_lib_table(), mbox);

    if (s == NULL)
        return -ENOENT;
    *gen = s->gen;
    spl_mbox_unref(s);
    return 0;
}

static int sp_alive(const struct flx_conn *c)
{
    struct spl_sess *s = spl_mbox_lookup_gen(spl_lib_table(), c->mbox,
                                             c->sp_gen);

    if (s == NULL)
        return 0;
    spl_mbox_unref(s);
    return 1;
}

/* With the table lock held: find mbox's record, dropping a stale one.
 * A dropped record whose count falls to zero is returned in *dead for
 * the caller to free outside the lock. */
static struct flx_conn *find_locked(mailbox mbox, struct flx_conn **dead)
{
    struct flx_conn *c;

    *dead = NULL;
    for (c = table; c != NULL; c = c->next)
        if (c->mbox == mbox)
            break;
    if (c == NULL || sp_alive(c))
        return c;
    unlink_locked(c);
    if (c->refs == 0)
        *dead = c;
    else
        pthread_cond_broadcast(&table_cond);
    return NULL;
}

int flx_conn_create(mailbox mbox, const char *private_group)
{
    struct flx_conn *c = calloc(1, sizeof *c), *dead;

    flx_init();
    if (c == NULL)
        return -ENOMEM;
    c->mbox = mbox;
    if (sp_gen_of(mbox, &c->sp_gen) < 0) {
        free(c);
        return -ENOENT;
    }
    pthread_mutex_init(&c->recv_lock, NULL);
    pthread_mutex_init(&c->state_lock, NULL);
    fle_conn_init(&c->eng, private_group, send_control, c);
    c->refs = 1;
    c->linked = 1;
    pthread_mutex_lock(&table_lock);
    (void)find_locked(mbox, &dead);
    c->next = table;
    table = c;
    pthread_mutex_unlock(&table_lock);
    if (dead != NULL)
        conn_free(dead);
    return 0;
}

struct flx_conn *flx_conn_get(mailbox mbox)
{
    struct flx_conn *c, *dead;

    flx_init();
    pthread_mutex_lock(&table_lock);
    c = find_locked(mbox, &dead);
    if (c != NULL)
        c->refs++;
    pthread_mutex_unlock(&table_lock);
    if (dead != NULL)
        conn_free(dead);
    return c;
}

void flx_conn_put(struct flx_conn *c)
{
    int last;

    pthread_mutex_lock(&table_lock);
    last = --c->refs == 0;
    if (!last)
        pthread_cond_broadcast(&table_cond);
    pthread_mutex_unlock(&table_lock);
    if (last)
        conn_free(c);
}

int flx_conn_unlink(struct flx_conn *c)
{
    int rc;

    pthread_mutex_lock(&table_lock);
    rc = unlink_locked(c);
    pthread_mutex_unlock(&table_lock);
    return rc;
}

void flx_conn_wait_alone(struct flx_conn *c)
{
    pthread_mutex_lock(&table_lock);
    while (c->refs > 1)
        pthread_cond_wait(&table_cond, &table_lock);
    pthread_mutex_unlock(&table_lock);
}

int flx_conn_fail(struct flx_conn *c, int rc)
{
    if ((rc == CONNECTION_CLOSED || rc == ILLEGAL_SESSION) &&
        flx_conn_unlink(c) == 0)
        (void)SP_disconnect(c->mbox);
    return rc;
}

int flx_conn_count(void)
{
    struct flx_conn *c;
    int n = 0;

    pthread_mutex_lock(&table_lock);
    for (c = table; c != NULL; c = c->next)
        n++;
    pthread_mutex_unlock(&table_lock);
    return n;
}
