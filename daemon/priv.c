/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * priv: chroot and identity switch for root starts. The user and group are
 * looked up before the chroot (the databases are outside it).
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

#define SPREAD_DEFAULT_USER "spread"
#define SPREAD_DEFAULT_GROUP "spread"

int priv_is_root(void)
{
    return geteuid() == 0;
}

int priv_check_socket_dir(struct log *log, const char *dir, char *err,
                          size_t errlen)
{
    struct stat st;

    if (!priv_is_root())
        return 0;
    if (stat(dir, &st) < 0) {
        snprintf(err, errlen, "cannot examine the unix socket directory %s: %s",
                 dir, strerror(errno));
        return -1;
    }
    if ((st.st_mode & S_IWOTH) || st.st_uid != 0)
        log_msg(log, LOG_C_SECURITY | LOG_C_PRINT, LOG_WARNING,
                "security: running as root with the unix socket in %s, a "
                "directory others can write to; they could remove or replace "
                "the socket", dir);
    return 0;
}

int priv_drop(struct log *log, const char *runtime_dir, const char *user,
              const char *group, const char *own_path, char *err,
              size_t errlen)
{
    struct passwd *pw;
    struct group *gr;
    gid_t gid;

    if (!priv_is_root()) {
        log_msg(log, LOG_C_SECURITY, LOG_INFO,
                "not running as root: no chroot, no identity change");
        return 0;
    }
    gr = getgrnam(group);
    pw = getpwnam(user);
    if (gr == NULL || pw == NULL) {
        snprintf(err, errlen,
                 "privilege drop failed: unknown %s '%s' (create it, or name "
                 "another account with DaemonUser and DaemonGroup)",
                 gr == NULL ? "group" : "user", gr == NULL ? group : user);
        return -1;
    }
    gid = gr->gr_gid;
    if (own_path != NULL && chown(own_path, pw->pw_uid, gid) < 0)
        log_msg(log, LOG_C_SECURITY, LOG_WARNING,
                "cannot hand %s to %s/%s: %s; it may stay behind at exit",
                own_path, user, group, strerror(errno));
    if (chdir(runtime_dir) < 0 || chroot(runtime_dir) < 0 || chdir("/") < 0) {
        snprintf(err, errlen, "chroot to '%s' failed: %s", runtime_dir,
                 strerror(errno));
        return -1;
    }
    if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(pw->pw_uid) < 0) {
        snprintf(err, errlen, "privilege drop to %s/%s failed: %s", user,
                 group, strerror(errno));
        return -1;
    }
    log_msg(log, LOG_C_SECURITY | LOG_C_CONFIGURATION, LOG_INFO,
            "now running as %s/%s inside %s", user, group, runtime_dir);
    return 0;
}
