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

/* What to do about a missing RuntimeDir (the default /var/run/spread is
 * created by the packages' tmpfiles.d entry and by the unit). */
#define RUNTIME_DIR_HINT " (create it, owned by root, for example with " \
    "`systemd-tmpfiles --create spread.conf` or mkdir; or set RuntimeDir)"

int priv_is_root(void)
{
    return geteuid() == 0;
}

int priv_check_socket_dir(struct log *log, const char *dir,
                          const char *user, char *err, size_t errlen)
{
    struct passwd *pw;
    struct stat st;

    if (!priv_is_root())
        return 0;
    if (stat(dir, &st) < 0) {
        snprintf(err, errlen, "cannot examine the unix socket directory %s: %s",
                 dir, strerror(errno));
        return -1;
    }
    if (st.st_mode & S_IWOTH) {
        log_msg(log, LOG_C_SECURITY | LOG_C_PRINT, LOG_WARNING,
                "security: the unix socket directory %s is writable by every "
                "user: another local user could remove the socket, or create "
                "one first and pose as the daemon (a root-owned directory, "
                "such as /run/spread, avoids it: configure "
                "--with-unix-socket-dir)", dir);
        return 0;
    }
    /* Root's own directory, or the daemon account's (the packages' and the
     * unit's /run/spread): nobody else can touch the socket. */
    pw = user != NULL ? getpwnam(user) : NULL;
    if (st.st_uid != 0 && (pw == NULL || st.st_uid != pw->pw_uid))
        log_msg(log, LOG_C_SECURITY | LOG_C_PRINT, LOG_WARNING,
                "security: the unix socket directory %s belongs to uid %u, "
                "neither root nor the daemon's account %s; that user could "
                "remove or replace the socket", dir, (unsigned)st.st_uid,
                user != NULL ? user : "(none)");
    if (st.st_mode & S_IWGRP)
        log_msg(log, LOG_C_SECURITY | LOG_C_PRINT, LOG_WARNING,
                "security: the unix socket directory %s is writable by its "
                "group (gid %u), whose members could remove or replace the "
                "socket", dir, (unsigned)st.st_gid);
    return 0;
}

/* The ids of DaemonUser/DaemonGroup; -1 with "unknown ..." in err. */
static int lookup_account(const char *user, const char *group, uid_t *uid,
                          gid_t *gid, char *err, size_t errlen)
{
    struct group *gr = getgrnam(group);
    struct passwd *pw = gr != NULL ? getpwnam(user) : NULL;

    if (gr == NULL || pw == NULL) {
        /* The defaults need an account nothing but a package creates. */
        snprintf(err, errlen, "unknown %s '%s': create the account (for "
                 "example `adduser --system --group --no-create-home %s`, or "
                 "systemd-sysusers with the installed sysusers.d file), or "
                 "name another one with DaemonUser and DaemonGroup",
                 gr == NULL ? "group" : "user", gr == NULL ? group : user,
                 user);
        return -1;
    }
    *gid = gr->gr_gid;
    *uid = pw->pw_uid;
    return 0;
}

int priv_check_drop(const char *runtime_dir, const char *user,
                    const char *group, char *err, size_t errlen)
{
    struct stat st;
    char why[400];
    uid_t uid;
    gid_t gid;

    if (!priv_is_root())
        return 0;
    if (lookup_account(user, group, &uid, &gid, why, sizeof why) < 0) {
        snprintf(err, errlen, "the privilege drop would fail: %s", why);
        return -1;
    }
    if (stat(runtime_dir, &st) < 0) {
        int e = errno;
        snprintf(err, errlen, "the chroot to RuntimeDir '%s' would fail: %s%s",
                 runtime_dir, strerror(e), e == ENOENT ? RUNTIME_DIR_HINT : "");
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        return 0;
    snprintf(err, errlen, "the chroot to RuntimeDir '%s' would fail: not a "
             "directory", runtime_dir);
    return -1;
}

int priv_drop(struct log *log, const char *runtime_dir, const char *user,
              const char *group, const char *own_path, char *err,
              size_t errlen)
{
    char why[400];
    uid_t uid;
    gid_t gid;

    if (!priv_is_root()) {
        log_msg(log, LOG_C_SECURITY, LOG_INFO,
                "not running as root: no chroot, no identity change");
        return 0;
    }
    if (lookup_account(user, group, &uid, &gid, why, sizeof why) < 0) {
        snprintf(err, errlen, "privilege drop failed: %s", why);
        return -1;
    }
    if (own_path != NULL && chown(own_path, uid, gid) < 0)
        log_msg(log, LOG_C_SECURITY, LOG_WARNING,
                "cannot hand %s to %s/%s: %s; it may stay behind at exit",
                own_path, user, group, strerror(errno));
    if (chdir(runtime_dir) < 0 || chroot(runtime_dir) < 0 || chdir("/") < 0) {
        int e = errno;
        snprintf(err, errlen, "chroot to RuntimeDir '%s' failed: %s%s",
                 runtime_dir, strerror(e), e == ENOENT ? RUNTIME_DIR_HINT : "");
        return -1;
    }
    if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
        snprintf(err, errlen, "privilege drop to %s/%s failed: %s", user,
                 group, strerror(errno));
        return -1;
    }
    log_msg(log, LOG_C_SECURITY | LOG_C_CONFIGURATION, LOG_INFO,
            "now running as %s/%s inside %s", user, group, runtime_dir);
    return 0;
}
