/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * init: the library's one-time set-up, run implicitly by the first entry
 * point that needs it: it registers the fork handlers that keep the
 * library's locks usable in a child process (lock order: auth list, then
 * session table). This is where an explicit SP_init() will live.
 */
#include "config.h"

#include "lib.h"

#include <pthread.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
    spl_auth_atfork_prepare();
    spl_mbox_atfork_prepare(spl_mbox_global());
}

static void fork_parent(void)
{
    spl_mbox_atfork_parent(spl_mbox_global());
    spl_auth_atfork_parent();
}

static void fork_child(void)
{
    spl_mbox_atfork_child(spl_mbox_global());
    spl_auth_atfork_child();
}

static void init_library(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

struct spl_mbox_table *spl_lib_table(void)
{
    pthread_once(&init_once, init_library);
    return spl_mbox_global();
}
