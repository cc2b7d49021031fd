/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * fuzz_conf: libFuzzer target for the spread.conf parser (daemon/conf.h).
 * Any byte string goes to conf_parse_text_opts(); name lookups go to a
 * deterministic stub (never DNS) and %h expands to a fixed host name, so a
 * crash reproduces anywhere. Accepted configurations are checked against
 * the invariants the daemon relies on, then described and freed.
 * Also linked into fuzz/replay_conf, which `make check` runs.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Names starting with 'x' fail; others map to an address derived from the
 * name's hash, in the family asked for (IPv4 when either will do). */
static int fuzz_resolve(void *ctx, const char *name, int family,
                        struct conf_addr *out, char *why, size_t whylen)
{
    uint32_t h = conf_hash_bytes(name, strlen(name));
    unsigned char b[16] = {0xfd, 0};
    (void)ctx;
    if (name[0] == 'x') {
        strncpy(why, "refused by the fuzz resolver", whylen - 1);
        why[whylen - 1] = '\0';
        return -1;
    }
    if (family == AF_INET6) {
        memcpy(b + 12, &h, 4);
        conf_addr_set(out, AF_INET6, b, 0);
    } else {
        b[0] = 10;
        b[1] = (unsigned char)(h >> 16);
        b[2] = (unsigned char)(h >> 8);
        b[3] = (unsigned char)(h | 1);
        conf_addr_set(out, AF_INET, b, 0);
    }
    return 0;
}

static void check_diag(const struct conf_diag *d)
{
    if (!memchr(d->file, '\0', sizeof d->file) ||
        !memchr(d->reason, '\0', sizeof d->reason) || d->reason[0] == '\0' ||
        d->line < 0)
        abort();
}

static void on_warning(void *ctx, const struct conf_diag *w)
{
    (void)ctx;
    check_diag(w);
}

static void on_line(void *ctx, const char *text)
{
    size_t *total = ctx;
    *total += strlen(text);
}

/* What the daemon may assume about an accepted configuration. */
static void check_conf(const struct conf *c)
{
    int next = 0;
    if (c->n_segments < 1 || c->n_segments > CONF_MAX_SEGMENTS ||
        c->n_daemons < 1 || c->n_daemons > CONF_MAX_DAEMONS)
        abort();
    for (int s = 0; s < c->n_segments; s++) {
        const struct conf_segment *seg = &c->segments[s];
        if (seg->first_daemon != next || seg->n_daemons < 1 ||
            seg->n_addrs < 1 || seg->n_addrs > CONF_MAX_SEG_ADDRS ||
            seg->port == 0)
            abort();
        next += seg->n_daemons;
    }
    if (next != c->n_daemons)
        abort();
    for (int i = 0; i < c->n_daemons; i++) {
        const struct conf_daemon *d = &c->daemons[i];
        if (d->name[0] == '\0' || d->addr.family != c->active_ip_version ||
            d->n_ifaces < 1 || d->n_ifaces > CONF_MAX_IFACES ||
            d->segment < 0 || d->segment >= c->n_segments || d->id == 0)
            abort();
        for (int j = 0; j < i; j++)
            if (c->daemons[j].id == d->id ||
                strcmp(c->daemons[j].name, d->name) == 0)
                abort();
    }
    if (c->personal_window > c->window || c->window > 32767 ||
        c->max_session_messages == 0 || c->unix_socket_mode > 0777 ||
        strlen(c->auth_list) >= sizeof c->auth_list)
        abort();
    for (int t = 0; t < CONF_TO_COUNT; t++)
        if (c->timeouts_ms[t] == 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conf_parse_opts o = {.warn = on_warning,
                                .resolve = fuzz_resolve,
                                .hostname = "fuzzhost"};
    struct conf *c = NULL;
    struct conf_diag err;
    size_t total = 0;

    if (conf_parse_text_opts((const char *)data, size, "fuzz.conf", &o, &c,
                             &err) != 0) {
        if (c)
            abort();
        check_diag(&err);
        return 0;
    }
    check_conf(c);
    conf_describe(c, 0, on_line, &total);
    conf_free(c);
    return 0;
}
