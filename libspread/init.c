/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * init: SP_init, the library's one-time set-up. It runs when the library
 * is loaded; programs may also call it explicitly (SP_HAVE_INIT), and
 * every entry point that needs the library's state makes sure it ran, so
 * programs written for upstream need no change.
 *
 * Its job is the fork handlers (lifecycle.md, "SP_init and fork"):
 *   prepare  takes the auth-method list lock, then the session table lock.
 *            Both are held only for short, non-blocking work, and no
 *            per-session lock is taken, so a fork never waits for a thread
 *            blocked in SP_receive or in a send.
 *   parent   releases them in reverse order.
 *   child    re-creates every library lock instead of unlocking locks whose
 *            owners do not exist in the child, and marks every mailbox
 *            inherited (see mbox.h).
 */
#include "config.h"

#include "lib.h"

#include <pthread.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;   /* written once, inside pthread_once */

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
    /* Without the handlers a child could inherit a lock held by a thread
     * that does not exist there; the library still works in a process
     * that never forks, so the failure is reported, not fatal. */
    init_result = pthread_atfork(fork_prepare, fork_parent, fork_child) == 0
                      ? 0 : SP_BUG;
}

int SP_init(void)
{
    pthread_once(&init_once, init_library);
    return init_result;
}

/* Run SP_init when the library is loaded, so that its fork handlers are
 * registered before any the program registers in main(). POSIX runs
 * child and parent handlers in registration order: a program's child
 * handler registered earlier than the library's would run while the
 * session table lock is still held from the prepare step, and an SP_*
 * call there would wait for ever. */
__attribute__((constructor)) static void init_at_load(void)
{
    (void)SP_init();
}

struct spl_mbox_table *spl_lib_table(void)
{
    pthread_once(&init_once, init_library);
    return spl_mbox_global();
}
