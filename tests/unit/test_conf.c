/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/conf.h: lexical rules, grammar, every setting and
 * its default, every validation error (with its line) and warning of
 * daemon.md §2 and §4, the daemon ids and configuration hashes of §2.9,
 * the example files in ../shared/spec/examples and the fixtures in
 * tests/fixtures/conf. Name lookups go to a stub resolver, never to DNS.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "test_conf.h"
#include "../lib/ckmain.h"

#ifndef CONF_TOP_SRCDIR
#define CONF_TOP_SRCDIR "."
#endif

/* ---- helpers ---------------------------------------------------------- */

void collect(void *ctx, const struct conf_diag *w)
{
    struct warns *ws = ctx;
    if (ws->n < 32)
        ws->d[ws->n] = *w;
    ws->n++;
}

/* Stub resolver: a few fixed names, everything else fails. */
int stub_resolve(void *ctx, const char *name, int family,
                        struct conf_addr *out, char *why, size_t whylen)
{
    static const struct {
        const char *name;
        int family;
        const char *addr;
    } names[] = {
        {"node", AF_INET, "10.0.0.77"},   {"hostA", AF_INET, "10.0.0.10"},
        {"hostB", AF_INET, "10.0.0.11"},  {"v6host", AF_INET6, "fd00::10"},
        {"lh", AF_INET, "127.0.0.1"},
    };
    unsigned char b[16];
    (void)ctx;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i].name, name) != 0)
            continue;
        if (family != AF_UNSPEC && family != names[i].family)
            break;
        inet_pton(names[i].family, names[i].addr, b);
        conf_addr_set(out, names[i].family, b, 0);
        return 0;
    }
    snprintf(why, whylen, "unknown to the test resolver");
    return -1;
}

int parse(const char *text, struct conf **c, struct conf_diag *err,
                 struct warns *ws)
{
    struct conf_parse_opts o = {.warn = collect, .warn_ctx = ws,
                                .resolve = stub_resolve,
                                .hostname = "testhost"};
    memset(ws, 0, sizeof *ws);
    return conf_parse_text_opts(text, strlen(text), "t.conf", &o, c, err);
}

struct conf *ok_w(const char *text, struct warns *ws)
{
    struct conf *c = NULL;
    struct conf_diag err;
    char buf[600];
    if (parse(text, &c, &err, ws) != 0)
        ck_abort_msg("unexpected error %s for:\n%s",
                     conf_diag_format(&err, buf, sizeof buf), text);
    ck_assert_ptr_nonnull(c);
    return c;
}

struct conf *ok(const char *text)
{
    struct warns ws;
    return ok_w(text, &ws);
}

void fails(const char *text, int line, const char *what)
{
    struct conf *c = (struct conf *)1;
    struct conf_diag err;
    struct warns ws;
    ck_assert_msg(parse(text, &c, &err, &ws) < 0, "accepted:\n%s", text);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(err.file, "t.conf");
    ck_assert_msg(err.line == line, "line %d, wanted %d (%s) for:\n%s",
                  err.line, line, err.reason, text);
    ck_assert_msg(strstr(err.reason, what) != NULL,
                  "reason '%s' lacks '%s'", err.reason, what);
}

int has_warning(const struct warns *ws, int line, const char *what)
{
    for (int i = 0; i < ws->n && i < 32; i++)
        if (ws->d[i].line == line && strstr(ws->d[i].reason, what))
            return 1;
    return 0;
}

char *cat(const char *a, const char *b)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s%s", a, b);
    return buf;
}

const char *srcdir(void)
{
    const char *s = getenv("top_srcdir");
    return s && *s ? s : CONF_TOP_SRCDIR;
}

/* ---- ids and hashes (daemon.md §2.9) ---------------------------------- */

START_TEST(name_ids)
{
    ck_assert_uint_eq(conf_name_id("localhost"), 482711334u);
    ck_assert_uint_eq(conf_hash_bytes("localhost", 10), 482711334u);
    /* Bytes >= 0x80 are signed: differs from the unsigned reading. */
    ck_assert_uint_ne(conf_hash_bytes("\xe9", 1), conf_hash_bytes("\x69", 1));
    ck_assert_uint_eq(conf_hash_bytes("", 0), 0u);
}
END_TEST

static const struct {
    const char *text;
    uint32_t hash;
} hashes[] = {
    {"Spread_Segment 127.0.0.255:4803 { localhost 127.0.0.1 }", 970868126u},
    {"Spread_Segment 127.0.0.255 { localhost 127.0.0.1 }", 970868126u},
    {"Spread_Segment 127.0.0.255:0 { localhost 127.0.0.1 }", 970868126u},
    {"Spread_Segment 127.0.0.255:5000 { localhost 127.0.0.1 }", 2962952926u},
    {"Spread_Segment 127.0.0.255:5000 { localhost 127.0.0.1 }\n"
     "AcceleratedRing = true\n", 334408048u},
    {"Spread_Segment 127.0.0.255:5000 { localhost 127.0.0.1 }\n"
     "AcceleratedRing = false\n", 2962952926u},
    {"Spread_Segment 127.0.0.255:5000 { localhost 127.0.0.1 }\n"
     "ExcludeSegAddrsFromHash = true\n", 4212423768u},
    {"Spread_Segment 10.88.0.255:4803 {\n node1 10.88.0.1\n"
     " node2 10.88.0.2\n node3 10.88.0.3\n}\n", 1689319780u},
    /* Settings outside the hashed text do not change it. */
    {"Window = 100 Spread_Segment 127.0.0.255:5000 { localhost 127.0.0.1 "
     "{ D C 127.0.0.1 } } DebugFlags = { }", 2962952926u},
};

START_TEST(known_hashes)
{
    struct conf *c = ok(hashes[_i].text);
    ck_assert_uint_eq(c->hash, hashes[_i].hash);
    conf_free(c);
}
END_TEST

START_TEST(ids_explicit_and_hashed)
{
    struct conf *c = ok("Spread_Segment 10.0.0.255 {\n localhost 10.0.0.1\n"
                        " b 10.0.0.2 VirtualID = 42\n}\n");
    ck_assert_uint_eq(c->daemons[0].id, 482711334u);
    ck_assert_int_eq(c->daemons[0].id_explicit, 0);
    ck_assert_uint_eq(c->daemons[1].id, 42u);
    ck_assert_int_eq(c->daemons[1].id_explicit, 1);
    conf_free(c);
    c = ok("Spread_Segment 10.0.0.255 { a 10.0.0.1 VirtualID = 999999999 }");
    ck_assert_uint_eq(c->daemons[0].id, 999999999u);
    conf_free(c);
}
END_TEST

/* The §2.9 text written out by hand for IPv6, two segments, explicit ids,
 * several segment addresses and the accelerated-ring flag. */
START_TEST(hash_text)
{
    static const char expect[] =
        "Segment: port = 5000; [ff02:0000:0000:0000:0000:0000:0000:0001] "
        "[ff05:0000:0000:0000:0000:0000:0001:0003]\n"
        "\t'a' [fd00:0000:0000:0000:0000:0000:0000:0001] [7]\n"
        "\t'fd00::2' [fd00:0000:0000:0000:0000:0000:0000:0002] [%u]\n"
        "\n"
        "Segment: port = 4803; [ff02:0000:0000:0000:0000:0000:0000:0002]\n"
        "\t'c' [fd00:0000:0000:0000:0000:0000:0000:0003] [%u]\n"
        "\n"
        "Version: 5\nProtocol: Accelerated Ring\n";
    char text[1024];
    int n;
    struct conf *c = ok("AcceleratedRing = yes\n"
                        "Spread_Segment [ff02::1]:5000 ff05::1:3 {\n"
                        " a fd00::1 VirtualID = 7\n fd00::2%3\n}\n"
                        "Spread_Segment ff02::2 { c fd00::3 }\n");
    n = snprintf(text, sizeof text, expect, conf_name_id("fd00::2"),
                 conf_name_id("c"));
    ck_assert_uint_eq(c->hash, conf_hash_bytes(text, (size_t)n + 1));
    ck_assert_int_eq(c->wide_area, 1);
    ck_assert_int_eq(c->accelerated_ring, 1);
    conf_free(c);
}
END_TEST

/* ---- examples and fixtures -------------------------------------------- */

static struct conf *load(const char *path, struct warns *ws)
{
    struct conf *c = NULL;
    struct conf_diag err;
    char buf[600];
    memset(ws, 0, sizeof *ws);
    if (conf_load_file(path, &c, &err, collect, ws) != 0)
        ck_abort_msg("%s", conf_diag_format(&err, buf, sizeof buf));
    return c;
}

/* The project's shared specs: $COHORT_SHARED, else ../shared. */
static const char *shared_dir(void)
{
    static char buf[1024];
    const char *env = getenv("COHORT_SHARED");
    if (env != NULL && *env)
        return env;
    snprintf(buf, sizeof buf, "%s/../shared", srcdir());
    return buf;
}

START_TEST(example_files)
{
    char path[1024];
    struct warns ws;
    struct conf *c;

    snprintf(path, sizeof path, "%s/spec/examples", shared_dir());
    if (access(path, R_OK) != 0) {
        printf("example_files: skipped, no %s\n", path);
        return;
    }

    snprintf(path, sizeof path, "%s/spec/examples/"
             "loopback-single.conf", shared_dir());
    c = load(path, &ws);
    ck_assert_uint_eq(c->hash, 970868126u);
    ck_assert_str_eq(c->path, path);
    /* Upstream warns about the loopback segment address; Cohort does
     * only when a daemon of the segment is not on loopback. */
    ck_assert_int_eq(ws.n, 0);
    ck_assert_int_eq(c->daemons[0].n_ifaces, 1);
    ck_assert_uint_eq(c->daemons[0].ifaces[0].roles,
                      CONF_IF_DAEMON | CONF_IF_CLIENT);
    conf_free(c);

    snprintf(path, sizeof path, "%s/spec/examples/"
             "three-hosts-one-segment.conf", shared_dir());
    c = load(path, &ws);
    ck_assert_uint_eq(c->hash, 1689319780u);
    ck_assert_int_eq(c->n_daemons, 3);
    /* No AcceleratedRing key: the original ring, as upstream runs it. */
    ck_assert_int_eq(c->accelerated_ring, 0);
    conf_free(c);

    snprintf(path, sizeof path, "%s/spec/examples/"
             "two-segments.conf", shared_dir());
    c = load(path, &ws);
    ck_assert_int_eq(c->n_segments, 2);
    ck_assert_int_eq(c->wide_area, 1);
    ck_assert_int_eq(c->accelerated_ring, 0);
    ck_assert_uint_eq(c->timeouts_ms[CONF_TO_TOKEN], 5000);
    ck_assert_int_eq(c->daemons[2].n_ifaces, 3);
    ck_assert_uint_eq(c->daemons[2].ifaces[1].roles, CONF_IF_CLIENT);
    ck_assert_int_eq(c->segments[1].first_daemon, 2);
    conf_free(c);
}
END_TEST

START_TEST(fixture_all_keys)
{
    char path[1024];
    struct warns ws;
    struct conf *c;
    char host[256];

    snprintf(path, sizeof path, "%s/tests/fixtures/conf/good/all-keys.conf",
             srcdir());
    c = load(path, &ws);
    ck_assert_int_eq(ws.n, 0);
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    ck_assert_ptr_nonnull(strstr(c->event_log_file, host));
    ck_assert_str_eq(c->event_timestamp, "[%a %d %b %Y %H:%M:%S]");
    ck_assert_int_eq(c->event_precise_timestamp, 1);
    ck_assert_int_eq(c->event_priority, CONF_PRIO_WARNING);
    ck_assert_uint_eq(c->debug_flags, 0xfffffff9u);
    ck_assert_int_eq(c->dangerous_monitor, 1);
    ck_assert_int_eq(c->port_reuse, CONF_REUSE_OFF);
    ck_assert_str_eq(c->runtime_dir, "/srv/spread");
    ck_assert_str_eq(c->daemon_user, "nobody");
    ck_assert_str_eq(c->daemon_group, "nogroup");
    ck_assert_uint_eq(c->required_auth, CONF_AUTH_IP);
    ck_assert_uint_eq(c->allowed_auth, CONF_AUTH_IP | CONF_AUTH_NULL);
    ck_assert_str_eq(c->auth_list, "NULL IP ");
    ck_assert_uint_eq(c->max_session_messages, 5000);
    ck_assert_int_eq(c->active_ip_version, AF_INET);
    ck_assert_int_eq(c->window, 200);
    ck_assert_int_eq(c->personal_window, 40);
    ck_assert_int_eq(c->accelerated_window, 20);
    ck_assert_int_eq(c->accelerated_ring_explicit, 1);
    ck_assert_uint_eq(c->timeouts_given, 0x1ff);
    ck_assert_uint_eq(c->timeouts_ms[CONF_TO_TOKEN], 2000);
    ck_assert_uint_eq(c->timeouts_ms[CONF_TO_HURRY], 600);
    ck_assert_uint_eq(c->timeouts_ms[CONF_TO_ALIVE], 300);
    ck_assert_uint_eq(c->timeouts_ms[CONF_TO_JOIN], 300);
    ck_assert_uint_eq(c->timeouts_ms[CONF_TO_REP], 700);
    ck_assert_uint_eq(c->timeouts_ms[CONF_TO_SEG], 600);
    ck_assert_uint_eq(c->timeouts_ms[CONF_TO_GATHER], 1500);
    ck_assert_uint_eq(c->timeouts_ms[CONF_TO_FORM], 1500);
    ck_assert_uint_eq(c->timeouts_ms[CONF_TO_LOOKUP], 20000);
    ck_assert_int_eq(c->wide_area, 0);
    ck_assert_int_eq(c->exclude_seg_addrs_from_hash, 1);
    ck_assert_int_eq(c->ignore_multicast_join_errors, 1);
    ck_assert_str_eq(c->unix_socket_dir, "/run/cohort");
    ck_assert_uint_eq(c->unix_socket_mode, 0660);
    ck_assert_int_eq(c->segments[0].port, 4900);
    ck_assert_int_eq(c->segments[0].n_addrs, 2);
    ck_assert_uint_eq(c->daemons[0].id, 11);
    ck_assert_int_eq(c->daemons[1].n_ifaces, 2);
    conf_free(c);
}
END_TEST

/* The first line of a bad fixture reads "# error-line: N". */
static void run_fixture(const char *dir, const char *name, int good)
{
    char path[1024], buf[600], first[128] = "";
    struct conf *c = NULL;
    struct conf_diag err;
    struct warns ws = {0};
    FILE *f;
    int line = -1;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    if (!fgets(first, sizeof first, f))
        first[0] = '\0';
    fclose(f);
    if (good) {
        if (conf_load_file(path, &c, &err, collect, &ws) != 0)
            ck_abort_msg("%s", conf_diag_format(&err, buf, sizeof buf));
        conf_free(c);
        return;
    }
    ck_assert_msg(sscanf(first, "# error-line: %d", &line) == 1,
                  "%s lacks its '# error-line: N' header", path);
    ck_assert_msg(conf_load_file(path, &c, &err, collect, &ws) < 0,
                  "%s was accepted", path);
    ck_assert_msg(err.line == line, "%s", conf_diag_format(&err, buf,
                                                           sizeof buf));
}

static int run_fixture_dir(const char *sub, int good)
{
    char dir[1024];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(dir, sizeof dir, "%s/tests/fixtures/conf/%s", srcdir(), sub);
    d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".conf") != 0)
            continue;
        run_fixture(dir, e->d_name, good);
        n++;
    }
    closedir(d);
    return n;
}

START_TEST(fixtures_good)
{
    ck_assert_int_gt(run_fixture_dir("good", 1), 3);
}
END_TEST

START_TEST(fixtures_bad)
{
    ck_assert_int_gt(run_fixture_dir("bad", 0), 10);
}
END_TEST

static Suite *conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("hash");
    tcase_add_test(tc, name_ids);
    tcase_add_loop_test(tc, known_hashes, 0,
                        sizeof hashes / sizeof hashes[0]);
    tcase_add_test(tc, ids_explicit_and_hashed);
    tcase_add_test(tc, hash_text);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, example_files);
    tcase_add_test(tc, fixtures_good);
    tcase_add_test(tc, fixture_all_keys);
    tcase_add_test(tc, fixtures_bad);
    suite_add_tcase(s, tc);

    conf_rules_tests(s);
    return s;
}

int main(void)
{
    return ck_run_suite(conf_suite());
}
