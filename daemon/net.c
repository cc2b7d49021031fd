/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * net: address helpers shared by the transports.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "net.h"

socklen_t net_addr_len(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET)
        return sizeof(struct sockaddr_in);
    if (a->ss_family == AF_INET6)
        return sizeof(struct sockaddr_in6);
    return 0;
}

int net_addr_equal(const struct sockaddr_storage *a,
                   const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
               x->sin6_scope_id == y->sin6_scope_id;
    }
    return 0;
}

uint16_t net_addr_port(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)(const void *)a)->sin_port);
    if (a->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)(const void *)a)->sin6_port);
    return 0;
}

void net_addr_set_port(struct sockaddr_storage *a, uint16_t port)
{
    if (a->ss_family == AF_INET)
        ((struct sockaddr_in *)(void *)a)->sin_port = htons(port);
    else if (a->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)(void *)a)->sin6_port = htons(port);
}

int net_addr_is_multicast(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a;
        return IN_MULTICAST(ntohl(x->sin_addr.s_addr));
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a;
        return IN6_IS_ADDR_MULTICAST(&x->sin6_addr);
    }
    return 0;
}

void net_addr_from_conf(struct sockaddr_storage *a, const struct conf_addr *c,
                        uint16_t port)
{
    memset(a, 0, sizeof *a);
    if (c->family == AF_INET6) {
        struct sockaddr_in6 *x = (void *)a;
        x->sin6_family = AF_INET6;
        memcpy(&x->sin6_addr, c->bytes, 16);
        x->sin6_scope_id = c->scope_id;
        x->sin6_port = htons(port);
    } else {
        struct sockaddr_in *x = (void *)a;
        x->sin_family = AF_INET;
        memcpy(&x->sin_addr, c->bytes, 4);
        x->sin_port = htons(port);
    }
}

const char *net_addr_format(const struct sockaddr_storage *a, char *buf,
                            size_t len)
{
    char host[INET6_ADDRSTRLEN];

    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a;
        inet_ntop(AF_INET, &x->sin_addr, host, sizeof host);
        snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(x->sin_port));
    } else if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a;
        inet_ntop(AF_INET6, &x->sin6_addr, host, sizeof host);
        snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(x->sin6_port));
    } else {
        snprintf(buf, len, "(family %d)", (int)a->ss_family);
    }
    return buf;
}
