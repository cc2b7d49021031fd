/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * auth: the process-wide list of authentication methods that the next
 * SP_connect calls ask the daemon for (SP_set_auth_method[s]). Guarded by
 * its own lock; connects work from a snapshot.
 */
#include "config.h"

#include "lib.h"

#include <pthread.h>
#include <string.h>

static int null_auth(int fd, void *data)
{
    (void)fd;
    (void)data;
    return 1;
}

static pthread_mutex_t auth_lock = PTHREAD_MUTEX_INITIALIZER;
static struct spl_auth_list auth_methods = {
    .n = 1,
    .name = { "NULL" },
    .fn = { null_auth },
    .data = { NULL },
};

void spl_auth_snapshot(struct spl_auth_list *out)
{
    pthread_mutex_lock(&auth_lock);
    *out = auth_methods;
    pthread_mutex_unlock(&auth_lock);
}

/* A registrable name leaves room for its NUL in a 30-byte slot. */
static int auth_name_ok(const char *name)
{
    return name != NULL && strlen(name) < SPW_MAX_AUTH_NAME;
}

int SP_set_auth_method(const char *auth_name,
                       int (*auth_function)(int, void *), void *auth_data)
{
    struct spl_auth_list l;

    spl_lib_table();    /* first use initialises the library */
    if (!auth_name_ok(auth_name) || auth_function == NULL)
        return 0;
    memset(&l, 0, sizeof l);
    l.n = 1;
    strcpy(l.name[0], auth_name);
    l.fn[0] = auth_function;
    l.data[0] = auth_data;
    pthread_mutex_lock(&auth_lock);
    auth_methods = l;
    pthread_mutex_unlock(&auth_lock);
    return 1;
}

int SP_set_auth_methods(int num_methods, const char *auth_name[],
                        int (*auth_function[])(int, void *),
                        void *auth_data[])
{
    struct spl_auth_list l;
    int i;

    spl_lib_table();
    if (num_methods < 0 || num_methods > SPW_MAX_AUTH_METHODS)
        return 0;
    if (num_methods > 0 && (auth_name == NULL || auth_function == NULL))
        return 0;
    memset(&l, 0, sizeof l);
    for (i = 0; i < num_methods; i++) {
        if (!auth_name_ok(auth_name[i]) || auth_function[i] == NULL)
            return 0;
        strcpy(l.name[i], auth_name[i]);
        l.fn[i] = auth_function[i];
        l.data[i] = auth_data != NULL ? auth_data[i] : NULL;
    }
    l.n = num_methods;
    pthread_mutex_lock(&auth_lock);
    auth_methods = l;
    pthread_mutex_unlock(&auth_lock);
    return 1;
}

void spl_auth_atfork_prepare(void)
{
    pthread_mutex_lock(&auth_lock);
}

void spl_auth_atfork_parent(void)
{
    pthread_mutex_unlock(&auth_lock);
}

void spl_auth_atfork_child(void)
{
    /* Taken in prepare by the thread that forked, which is the one thread
     * of the child: it releases its own lock, then the lock is made anew
     * (see spl_mbox_atfork_child). */
    pthread_mutex_unlock(&auth_lock);
    pthread_mutex_destroy(&auth_lock);
    pthread_mutex_init(&auth_lock, NULL);
}
