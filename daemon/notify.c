/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * notify: the readiness datagrams of notify.h. The protocol is small
 * enough that a dependency on libsystemd would cost more than it saves.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

void notify_init(struct notify *n)
{
    n->fd = -1;
    n->addr[0] = '\0';
}

/* The socket address of NOTIFY_SOCKET's value; -errno if it has none. */
static int parse_addr(const char *text, struct sockaddr_un *sa,
                      socklen_t *salen)
{
    size_t len = strlen(text);

    if (text[0] != '/' && text[0] != '@')
        return -EINVAL;
    if (len >= sizeof sa->sun_path)
        return -ENAMETOOLONG;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, text, len);
    if (text[0] == '@') {
        /* Abstract names are counted bytes, without a terminator. */
        sa->sun_path[0] = '\0';
        *salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    } else {
        *salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    }
    return 0;
}

int notify_open(struct notify *n)
{
    const char *env = getenv(NOTIFY_ENV);
    struct sockaddr_un sa;
    socklen_t salen = 0;
    int fd, rc;

    notify_init(n);
    if (env == NULL || env[0] == '\0') {
        unsetenv(NOTIFY_ENV);
        return 0;
    }
    snprintf(n->addr, sizeof n->addr, "%s", env);
    rc = parse_addr(env, &sa, &salen);
    /* From here on env may be gone. */
    unsetenv(NOTIFY_ENV);
    if (rc < 0)
        return rc;
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    n->fd = fd;
    return 1;
}

static int send_state(struct notify *n, const char *text)
{
    ssize_t w;
    int e;

    if (n->fd < 0)
        return 0;
    /* The manager may be slow to read: better a lost report than a
     * daemon stuck in start-up or teardown. */
    do
        w = send(n->fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w >= 0)
        return 0;
    e = errno;
    notify_close(n);
    return -e;
}

int notify_ready(struct notify *n)
{
    char text[64];

    snprintf(text, sizeof text, "READY=1\nMAINPID=%ld\n", (long)getpid());
    return send_state(n, text);
}

int notify_stopping(struct notify *n)
{
    return send_state(n, "STOPPING=1\n");
}

void notify_close(struct notify *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}
