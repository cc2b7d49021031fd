/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * Unit tests for daemon/conf.h, part two: one table of rejected texts
 * (each error of daemon.md §4 with the line it must name), one table of
 * warnings, then the settings one by one, the lexical corner cases, the
 * limits of §7, file lookup and the choice of this daemon's entry (§3).
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "test_conf.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define S1 "Spread_Segment 10.0.0.255 {\n"

static const struct {
    const char *text;
    int line;
    const char *what;
} errors[] = {
    /* whole file */
    {"", 0, "no Spread_Segment"},
    {"Window = 10\n", 0, "no Spread_Segment"},
    /* empty segments, first or later, with or without ActiveIPVersion */
    {S1 "}\n", 2, "lists no daemons"},
    {SEG "Spread_Segment 10.0.1.255:4805 {\n}\n", 5,
     "started on line 4 lists no daemons"},
    {"ActiveIPVersion = IPv4\nSpread_Segment 10.0.0.255 { }\n", 2,
     "lists no daemons"},
    /* syntax */
    {S1 " a 10.0.0.1\n", 3, "found the end of the file"},
    {SEG "window = 5\n", 4, "unknown setting 'window'"},
    {"spread_segment 10.0.0.255 { a 10.0.0.1 }\n", 1, "unknown setting"},
    {S1 " auto 10.0.0.1\n}\n", 2, "expected a daemon entry"},
    {S1 " M 10.0.0.1\n}\n", 2, "expected a daemon entry"},
    {S1 " 123 10.0.0.1\n}\n", 2, "expected a daemon entry"},
    {S1 " a 10.0.0.1 {\n  DC 10.0.0.1\n }\n}\n", 3, "expected D, C, M"},
    {SEG "Window = -1\n", 4, "expected a number"},
    {SEG "MaxSessionMessages =\n 1234567890\n", 5, "found the number 0"},
    {SEG "DangerousMonitor = on\n", 4, "expected true, yes"},
    {SEG "SocketPortReuse = true\n", 4, "expected on, off or auto"},
    {SEG "EventPriority = DEBUG\n", 4, "expected pDEBUG"},
    {SEG "DebugFlags = { PRINT FOO }\n", 4, "DebugFlags name"},
    {SEG "DebugFlags = PRINT\n", 4, "'{' to open"},
    {SEG "DebugFlags = { ! }\n", 4, "after '!'"},
    {SEG "EventTimeStamp =\n", 5, "a word or a quoted string"},
    {SEG "Window 10\n", 4, "'=' after Window"},
    {SEG "DaemonUser = 1000\n", 4, "a word or a quoted string"},
    {"VirtualID = 3\n" SEG, 1, "a setting or Spread_Segment"},
    {SEG ";\n", 4, "a setting or Spread_Segment"},
    {S1 " a 10.0.0.1 ; ;\n}\n", 2, "expected a daemon entry"},
    {"Spread_Segment {\n a 10.0.0.1\n}\n", 1, "a segment address"},
    {"Spread_Segment 10.0.0.255\n a 10.0.0.1\n}\n", 2,
     "'{' or another segment address"},
    {SEG "EventLogFile = \"a\nb\"\nwindow = 1\n", 6, "unknown setting"},
    {SEG "]\n", 4, "without a matching '['"},
    {SEG ":\n", 4, "found ':'"},
    {SEG "Window = 10.0.0.1\n", 4, "found the address '10.0.0.1'"},
    {"Spread_Segment [10.0.0.1] {\n a 10.0.0.1\n}\n", 1, "valid IPv6"},
    {"Spread_Segment [ff02::1 {\n a fd00::1\n}\n", 1, "without a matching"},
    /* ports */
    {S1 " a 10.0.0.1:4803\n}\n", 2, "cannot carry a port"},
    {S1 " 10.0.0.1:4803\n}\n", 2, "cannot carry a port"},
    {S1 " a 10.0.0.1 { D 10.0.0.1:4803 }\n}\n", 2,
     "interface address cannot carry a port"},
    {"Spread_Segment 239.0.0.1:5000\n 239.0.0.2:5000 {\n a 10.0.0.1\n}\n",
     2, "only the first segment address"},
    {"Spread_Segment 10.0.0.255:65536 {\n a 10.0.0.1\n}\n", 1,
     "out of range"},
    {"Spread_Segment [ff02::1]:99999 {\n a fd00::1\n}\n", 1, "out of range"},
    {S1 " a\n 10.0.0.1:99999\n}\n", 3, "out of range"},
    /* windows and timeouts */
    {"Window = 10\n" SEG "PersonalWindow = 11\n", 5,
     "PersonalWindow (11) is larger than Window (10)"},
    {"PersonalWindow = 5\nAcceleratedRing = true\nAcceleratedWindow = 6\n"
     SEG, 3, "AcceleratedWindow (6) is larger than PersonalWindow (5)"},
    {SEG "Window = 0\n", 4, "Window must be between 1 and 32767"},
    {SEG "PersonalWindow = 0\n", 4, "PersonalWindow must be between 1"},
    {SEG "Window = 32768\n", 4, "32767"},
    {SEG "AcceleratedWindow = 40000\n", 4, "AcceleratedWindow must be"},
    {SEG "TokenTimeout = 0\n", 4, "TokenTimeout must be at least 1"},
    {SEG "LookupTimeout = 0\n", 4, "LookupTimeout must be at least 1"},
    {SEG "HurryTimeout = 100\nTokenTimeout = 200\n", 4,
     "missing: AliveTimeout, JoinTimeout, RepTimeout, SegTimeout, "
     "GatherTimeout, FormTimeout, LookupTimeout"},
    /* uniqueness */
    {S1 " a 10.0.0.1\n a 10.0.0.2\n}\n", 3,
     "'a' is already used by the daemon on line 2"},
    {SEG "Spread_Segment 10.0.1.255:5000 {\n a 10.0.0.1\n}\n", 5,
     "'a' is already used"},
    {SEG "Spread_Segment 10.0.1.255 {\n b 10.0.0.1\n}\n", 5,
     "10.0.0.1 with port 4803 is already used by 'a' (line 2)"},
    {S1 " 10.0.0.2\n b 10.0.0.2\n}\n", 3, "already used by '10.0.0.2'"},
    {S1 " a 10.0.0.1 VirtualID = 7\n b 10.0.0.2\n VirtualID = 7\n}\n", 3,
     "daemon id 7 of 'b' is already used by 'a'"},
    {S1 " a 10.0.0.1 VirtualID = 482711334\n localhost 10.0.0.2\n}\n", 3,
     "482711334"},
    {S1 " a 10.0.0.1 VirtualID = 0\n}\n", 2, "VirtualID must be at least 1"},
    {S1 " a 10.0.0.1 VirtualID = 1234567890\n}\n", 2, "found the number 0"},
    {S1 " a 10.0.0.1 VirtualID 5\n}\n", 2, "'=' after VirtualID"},
    /* interface blocks */
    {S1 " a 10.0.0.1 {\n  C 10.0.0.1\n  D 10.0.0.2\n }\n}\n", 5,
     "needs a D (or untagged) entry for its address 10.0.0.1"},
    {S1 " a 10.0.0.1 { D :: }\n}\n", 2, "needs a D"},
    {S1 " a 10.0.0.1 { }\n}\n", 2, "empty interface block"},
    {S1 " a 10.0.0.1 { D }\n}\n", 2, "an interface address after the tags"},
    /* addresses and families */
    {S1 " a 0.0.0.0\n}\n", 2, "unspecified address"},
    {S1 " a 224.0.0.1\n}\n", 2, "multicast"},
    {"Spread_Segment ff02::1 {\n a ff02::2\n}\n", 2, "multicast"},
    {S1 " a 10.0.0.1\n b fd00::1\n}\n", 3,
     "but line 2 fixed the address family to IPv4"},
    {"ActiveIPVersion = IPv6\n" S1 " a 10.0.0.1\n}\n", 3,
     "line 1 fixed the address family to IPv6"},
    {"Spread_Segment ff02::1 {\n a 10.0.0.1\n}\n", 1,
     "is IPv6, but the daemons use IPv4"},
    {"Spread_Segment 10.0.0.255 239.1.1.1\n ff02::1 {\n a 10.0.0.1\n}\n", 2,
     "but the daemons use IPv4"},
    {"Spread_Segment 0.0.0.0 {\n a 10.0.0.1\n}\n", 1,
     "unspecified address 0.0.0.0"},
    {SEG "ActiveIPVersion = IPv5\n", 4, "IPv4 or IPv6, not 'IPv5'"},
    {SEG "ActiveIPVersion = IPv6\n", 4, "line 2 fixed"},
    {S1 " nosuchhost\n}\n", 2, "cannot resolve daemon name 'nosuchhost'"},
    {"ActiveIPVersion = IPv6\n" S1 " hostA\n}\n", 3, "cannot resolve"},
    {S1 " \"\" 10.0.0.1\n}\n", 2, "cannot be empty"},
    /* other settings */
    {SEG "AccessControlPolicy = DENY\n", 4, "only PERMIT"},
    {SEG "MaxSessionMessages = 0\n", 4, "at least 1"},
    {SEG "UnixSocketMode = 0778\n", 4, "octal"},
    {SEG "UnixSocketMode = 1000\n", 4, "0777"},
    {SEG "UnixSocketDir = \"\"\n", 4, "UnixSocketDir"},
    {SEG "EventLogFile = \"\"\n", 4, "cannot be empty"},
    {SEG "DaemonUser = abcdefghijklmnopqrstuvwxyz0123456\n", 4,
     "longer than 32"},
    {SEG "DaemonGroup = abcdefghijklmnopqrstuvwxyz0123456\n", 4,
     "DaemonGroup is longer than 32"},
};

START_TEST(rejected)
{
    fails(errors[_i].text, errors[_i].line, errors[_i].what);
}
END_TEST

static const struct {
    const char *text;
    int line;
    const char *what;
} warnings[] = {
    {"Spread_Segment 127.0.0.255 {\n a 127.0.0.1\n b 10.0.0.1\n}\n", 1,
     "loopback"},
    {"Spread_Segment ::1 {\n a fd00::1\n}\n", 1, "loopback"},
    {"Spread_Segment fd00::ff {\n a fd00::1\n}\n", 1, "not a multicast"},
    {S1 " lh; 10.0.0.1\n}\n", 2, "ends with ';'"},
    {S1 " 300.1.1.1 10.0.0.5\n}\n", 2, "not a valid one"},
    {S1 " ab::cd::ef 10.0.0.5\n}\n", 2, "not a valid one"},
    {SEG "RuntimeDir = \"\"\n", 4, "empty RuntimeDir ignored"},
    {SEG "DaemonUser = ''\n", 4, "empty DaemonUser ignored"},
    {SEG "AllowedAuthMethods = \"NULL PWORD\"\n", 4,
     "unknown authentication method 'PWORD'"},
    {SEG "AllowedAuthMethods = PWORD\n", 4, "no known authentication"},
    {SEG "AcceleratedWindow = 70\n", 4, "AcceleratedWindow (70) is larger"},
    {"Spread_Segment ff02::1 {\n a fe80::1%nosuchif0\n}\n", 2,
     "unknown on this host"},
};

START_TEST(warned)
{
    struct warns ws;
    struct conf *c = ok_w(warnings[_i].text, &ws);
    ck_assert_msg(has_warning(&ws, warnings[_i].line, warnings[_i].what),
                  "no warning '%s' on line %d (%d warnings, first: %d %s)",
                  warnings[_i].what, warnings[_i].line, ws.n,
                  ws.n ? ws.d[0].line : 0, ws.n ? ws.d[0].reason : "");
    ck_assert_str_eq(ws.d[0].file, "t.conf");
    conf_free(c);
}
END_TEST

START_TEST(no_warnings_for_plain_file)
{
    struct warns ws;
    struct conf *c = ok_w(SEG, &ws);
    ck_assert_int_eq(ws.n, 0);
    conf_free(c);
    /* Daemons of one host on a loopback segment: the usual local setup,
     * nothing a newcomer should take for a failure. */
    c = ok_w("Spread_Segment 127.0.0.255:4803 {\n a 127.0.0.1\n}\n", &ws);
    ck_assert_int_eq(ws.n, 0);
    conf_free(c);
}
END_TEST

/* ---- settings ---------------------------------------------------------- */

/* SegmentUnicast: on, off, and auto = unicast exactly for segments whose
 * addresses are all loopback. */
START_TEST(segment_unicast)
{
    struct conf *c = ok("Spread_Segment 127.0.0.255:4803 {\n a 127.0.0.1\n"
                        " b 127.0.0.2\n}\nSpread_Segment 10.0.1.255 {\n"
                        " c 10.0.1.1\n}\n");
    ck_assert_int_eq(c->segment_unicast, CONF_REUSE_AUTO);
    ck_assert_int_eq(c->segments[0].unicast, 1);
    ck_assert_int_eq(c->segments[1].unicast, 0);
    conf_free(c);
    c = ok("Spread_Segment 10.0.1.255 {\n c 10.0.1.1\n}\n"
           "SegmentUnicast = on\n");
    ck_assert_int_eq(c->segments[0].unicast, 1);
    conf_free(c);
    c = ok("Spread_Segment 127.0.0.255 {\n a 127.0.0.1\n}\n"
           "SegmentUnicast = off\n");
    ck_assert_int_eq(c->segments[0].unicast, 0);
    conf_free(c);
    /* Outside the hash: a unicasting daemon shares a broadcasting one's. */
    c = ok("Spread_Segment 10.0.1.255 {\n c 10.0.1.1\n}\n");
    {
        uint32_t h = c->hash;
        conf_free(c);
        c = ok("Spread_Segment 10.0.1.255 {\n c 10.0.1.1\n}\n"
               "SegmentUnicast = on\n");
        ck_assert_uint_eq(c->hash, h);
    }
    conf_free(c);
}
END_TEST

START_TEST(defaults)
{
    struct conf *c = ok(SEG);
    ck_assert_ptr_null(c->event_log_file);
    ck_assert_ptr_null(c->event_timestamp);
    ck_assert_int_eq(c->event_precise_timestamp, 0);
    ck_assert_int_eq(c->event_priority, CONF_PRIO_INFO);
    ck_assert_uint_eq(c->debug_flags, 0x111);
    ck_assert_int_eq(c->dangerous_monitor, 0);
    ck_assert_int_eq(c->port_reuse, CONF_REUSE_AUTO);
    ck_assert_str_eq(c->runtime_dir, "/var/run/spread");
    ck_assert_str_eq(c->daemon_user, "spread");
    ck_assert_str_eq(c->daemon_group, "spread");
    ck_assert_str_eq(c->unix_socket_dir, SP_UNIX_SOCKET);
    ck_assert_uint_eq(c->unix_socket_mode, 0666);
    ck_assert_uint_eq(c->allowed_auth, CONF_AUTH_NULL);
    ck_assert_uint_eq(c->required_auth, 0);
    ck_assert_str_eq(c->auth_list, "NULL ");
    ck_assert_uint_eq(c->max_session_messages, 1000);
    ck_assert_int_eq(c->active_ip_version, AF_INET);
    ck_assert_int_eq(c->window, 160);
    ck_assert_int_eq(c->personal_window, 60);
    ck_assert_int_eq(c->accelerated_window, 15);
    /* Upstream documents the accelerated ring as the default but runs the
     * original one unless "AcceleratedRing = true" is written (ring
     * captures, README D1). */
    ck_assert_int_eq(c->accelerated_ring, 0);
    ck_assert_int_eq(c->accelerated_ring_explicit, -1);
    ck_assert_int_eq(c->wide_area, 0);
    ck_assert_uint_eq(c->timeouts_given, 0);
    ck_assert_int_eq(c->exclude_seg_addrs_from_hash, 0);
    ck_assert_int_eq(c->ignore_multicast_join_errors, 0);
    ck_assert_str_eq(c->path, "t.conf");
    ck_assert_int_eq(c->segments[0].port, CONF_DEFAULT_PORT);
    ck_assert_int_eq(c->segments[0].line, 1);
    ck_assert_int_eq(c->daemons[0].line, 2);
    ck_assert_int_eq(c->daemons[0].segment, 0);
    conf_free(c);
}
END_TEST

START_TEST(logging_keys)
{
    struct conf *c = ok(SEG "EventLogFile = /var/log/%h/spread-%H.log\n"
                        "EventTimeStamp\nEventPriority = WARNING\n");
    ck_assert_str_eq(c->event_log_file,
                     "/var/log/testhost/spread-testhost.log");
    ck_assert_str_eq(c->event_timestamp, "%m/%d/%y %H:%M:%S");
    ck_assert_int_eq(c->event_priority, CONF_PRIO_WARNING);
    conf_free(c);

    c = ok(SEG "EventTimeStamp = \"[%a %d %b %Y %H:%M:%S] and much more "
           "text than fits\"\nEventPriority = pDEBUG\n");
    ck_assert_str_eq(c->event_timestamp,
                     "[%a %d %b %Y %H:%M:%S] and much more te");
    ck_assert_int_eq(strlen(c->event_timestamp), 39);
    ck_assert_int_eq(c->event_priority, CONF_PRIO_DEBUG);
    conf_free(c);

    /* The precise form switches timestamps on by itself. */
    c = ok(SEG "EventPreciseTimeStamp\nEventPriority = FATAL\n");
    ck_assert_int_eq(c->event_precise_timestamp, 1);
    ck_assert_str_eq(c->event_timestamp, "%m/%d/%y %H:%M:%S");
    ck_assert_int_eq(c->event_priority, CONF_PRIO_FATAL);
    conf_free(c);

    c = ok(SEG "EventPriority = ERROR\nEventPriority = CRITICAL\n");
    ck_assert_int_eq(c->event_priority, CONF_PRIO_CRITICAL);
    conf_free(c);
}
END_TEST

START_TEST(debug_flags)
{
    static const struct {
        const char *v;
        uint32_t mask;
    } t[] = {
        {"{ ALL !DATA_LINK }", 0xfffffffdu},
        {"{ }", 0},
        {"{ PRINT EXIT }", 0x11},
        {"{ EXIT DATA_LINK MEMORY EVENTS PRINT NETWORK PROTOCOL SESSION "
         "CONFIGURATION MEMBERSHIP FLOW_CONTROL STATUS DEBUG GROUPS SKIPLIST "
         "ACM SECURITY }", 0x00e03fffu},
        {"{ NONE }", 0},
        {"{ !PRINT PRINT }", 0x10},
        {"{ ALL ! EXIT !SECURITY }", 0xff7ffffeu},
        {"{\n PRINT\n # comment\n STATUS\n}", 0x810},
    };
    char text[512];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct conf *c;
        snprintf(text, sizeof text, "%sDebugFlags = %s\n", SEG, t[i].v);
        c = ok(text);
        ck_assert_msg(c->debug_flags == t[i].mask, "%s -> %x", t[i].v,
                      c->debug_flags);
        conf_free(c);
    }
}
END_TEST

START_TEST(boolean_keys)
{
    struct conf *c = ok(SEG "DangerousMonitor = YES\nAcceleratedRing = False"
                        "\nWideAreaNetwork = True\nExcludeSegAddrsFromHash "
                        "= yes\nIgnoreMulticastJoinErrors = TRUE\n");
    ck_assert_int_eq(c->dangerous_monitor, 1);
    ck_assert_int_eq(c->accelerated_ring_explicit, 0);
    ck_assert_int_eq(c->accelerated_ring, 0);
    ck_assert_int_eq(c->wide_area, 1);
    ck_assert_int_eq(c->exclude_seg_addrs_from_hash, 1);
    ck_assert_int_eq(c->ignore_multicast_join_errors, 1);
    ck_assert_uint_eq(c->timeouts_ms[CONF_TO_TOKEN], 5000);
    conf_free(c);
    c = ok(SEG "DangerousMonitor = yes\nDangerousMonitor = no\n");
    ck_assert_int_eq(c->dangerous_monitor, 0);
    conf_free(c);
}
END_TEST

START_TEST(port_reuse)
{
    struct conf *c = ok(SEG "SocketPortReuse = ON\n");
    ck_assert_int_eq(c->port_reuse, CONF_REUSE_ON);
    conf_free(c);
    c = ok(SEG "SocketPortReuse = off\n");
    ck_assert_int_eq(c->port_reuse, CONF_REUSE_OFF);
    conf_free(c);
    c = ok(SEG "SocketPortReuse = off\nSocketPortReuse = Auto\n");
    ck_assert_int_eq(c->port_reuse, CONF_REUSE_AUTO);
    conf_free(c);
}
END_TEST

START_TEST(identity_keys)
{
    struct warns ws;
    struct conf *c = ok(SEG "RuntimeDir = /srv/spread\nDaemonUser = "
                        "\"sp user\"\nDaemonGroup = daemon\n");
    ck_assert_str_eq(c->runtime_dir, "/srv/spread");
    ck_assert_str_eq(c->daemon_user, "sp user");
    ck_assert_str_eq(c->daemon_group, "daemon");
    conf_free(c);
    /* Empty values keep the earlier value. */
    c = ok_w(SEG "DaemonGroup = wheel\nDaemonGroup = ''\n", &ws);
    ck_assert_str_eq(c->daemon_group, "wheel");
    ck_assert_int_eq(ws.n, 1);
    conf_free(c);
    c = ok(SEG "DaemonUser = abcdefghijklmnopqrstuvwxyz012345\n");
    ck_assert_int_eq(strlen(c->daemon_user), 32);
    conf_free(c);
}
END_TEST

START_TEST(auth_keys)
{
    static const struct {
        const char *lines;
        unsigned allowed, required;
        const char *list;
    } t[] = {
        {"AllowedAuthMethods = IP\n", CONF_AUTH_IP, 0, "IP "},
        {"AllowedAuthMethods = NULL\n", CONF_AUTH_NULL, 0, "NULL "},
        {"AllowedAuthMethods = \"IP NULL\"\n", CONF_AUTH_NULL | CONF_AUTH_IP,
         0, "NULL IP "},
        {"AllowedAuthMethods = \"IP  NULL \"\n",
         CONF_AUTH_NULL | CONF_AUTH_IP, 0, "NULL IP "},
        {"AllowedAuthMethods = IP\nAllowedAuthMethods = NULL\n",
         CONF_AUTH_NULL | CONF_AUTH_IP, 0, "NULL IP "},
        {"RequiredAuthMethods = IP\n", CONF_AUTH_IP, CONF_AUTH_IP, "IP "},
        {"RequiredAuthMethods = IP\nAllowedAuthMethods = NULL\n",
         CONF_AUTH_NULL | CONF_AUTH_IP, CONF_AUTH_IP, "NULL IP "},
        {"AllowedAuthMethods = \"null ip\"\n", 0, 0, ""},
        /* Past 89 characters the value is cut: the IP is lost. */
        {"AllowedAuthMethods = \"NULL                                    "
         "                                                  IP\"\n",
         CONF_AUTH_NULL, 0, "NULL "},
    };
    char text[512];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct conf *c;
        snprintf(text, sizeof text, "%s%s", SEG, t[i].lines);
        c = ok(text);
        ck_assert_msg(c->allowed_auth == t[i].allowed, "%zu", i);
        ck_assert_msg(c->required_auth == t[i].required, "%zu", i);
        ck_assert_str_eq(c->auth_list, t[i].list);
        conf_free(c);
    }
}
END_TEST

START_TEST(client_keys)
{
    struct conf *c = ok(SEG "AccessControlPolicy = PERMIT\n"
                        "MaxSessionMessages = 999999999\n"
                        "UnixSocketDir = /run/cohort\nUnixSocketMode = 0660\n");
    ck_assert_uint_eq(c->max_session_messages, 999999999u);
    ck_assert_str_eq(c->unix_socket_dir, "/run/cohort");
    ck_assert_uint_eq(c->unix_socket_mode, 0660);
    conf_free(c);
    c = ok(SEG "UnixSocketMode = 600\n");
    ck_assert_uint_eq(c->unix_socket_mode, 0600);
    conf_free(c);
    c = ok(SEG "UnixSocketMode = 0777\nMaxSessionMessages = 1\n");
    ck_assert_uint_eq(c->unix_socket_mode, 0777);
    ck_assert_uint_eq(c->max_session_messages, 1);
    conf_free(c);
    c = ok(SEG "UnixSocketMode = 0\n");
    ck_assert_uint_eq(c->unix_socket_mode, 0);
    conf_free(c);
}
END_TEST

START_TEST(window_keys)
{
    struct conf *c = ok(SEG "Window = 32767\nPersonalWindow = 32767\n"
                        "AcceleratedWindow = 0\nAcceleratedRing = true\n");
    ck_assert_int_eq(c->window, 32767);
    ck_assert_int_eq(c->personal_window, 32767);
    ck_assert_int_eq(c->accelerated_window, 0);
    ck_assert_int_eq(c->accelerated_ring, 1);
    ck_assert_int_eq(c->accelerated_ring_explicit, 1);
    conf_free(c);
    c = ok(SEG "PersonalWindow = 5\nAcceleratedWindow = 5\n"
           "AcceleratedRing = true\n");
    ck_assert_int_eq(c->accelerated_window, 5);
    conf_free(c);
}
END_TEST

#define ALL_TIMEOUTS                                                        \
    "TokenTimeout = 1\nHurryTimeout = 2\nAliveTimeout = 3\nJoinTimeout = "  \
    "4\nRepTimeout = 5\nSegTimeout = 6\nGatherTimeout = 7\nFormTimeout = "  \
    "8\nLookupTimeout = 999999999\n"

START_TEST(timeouts)
{
    static const unsigned lan[] = {1250, 500, 250, 250, 625, 500, 1250,
                                   1250, 30000};
    static const unsigned wan[] = {5000, 1500, 250, 250, 1250, 500, 2500,
                                   2500, 45000};
    static const unsigned given[] = {1, 2, 3, 4, 5, 6, 7, 8, 999999999};
    struct conf *c = ok(SEG);
    ck_assert_mem_eq(c->timeouts_ms, lan, sizeof lan);
    conf_free(c);
    c = ok(SEG "Spread_Segment 10.0.1.255 { b 10.0.1.1 }\n");
    ck_assert_int_eq(c->wide_area, 1);
    ck_assert_int_eq(c->accelerated_ring, 0);
    ck_assert_mem_eq(c->timeouts_ms, wan, sizeof wan);
    conf_free(c);
    c = ok(SEG "Spread_Segment 10.0.1.255 { b 10.0.1.1 }\n"
           "WideAreaNetwork = false\n");
    ck_assert_int_eq(c->wide_area, 0);
    ck_assert_int_eq(c->accelerated_ring, 0);
    ck_assert_mem_eq(c->timeouts_ms, lan, sizeof lan);
    conf_free(c);
    c = ok(ALL_TIMEOUTS SEG "WideAreaNetwork = yes\n");
    ck_assert_uint_eq(c->timeouts_given, 0x1ff);
    ck_assert_mem_eq(c->timeouts_ms, given, sizeof given);
    conf_free(c);
}
END_TEST

/* ---- lexical structure and entry forms ------------------------------- */

START_TEST(comments_and_layout)
{
    struct conf *c = ok("# leading comment\nSpread_Segment#c\n10.0.0.255"
                        "\n#x\n{ node#1 10.0.0.1\n}Window = 5#x\n"
                        "Window = 7 PersonalWindow = 7\n");
    ck_assert_int_eq(c->n_daemons, 1);
    ck_assert_str_eq(c->daemons[0].name, "node");
    ck_assert_str_eq(c->daemons[0].addr.text, "10.0.0.77");
    ck_assert_int_eq(c->daemons[0].line, 5);
    ck_assert_int_eq(c->window, 7);
    conf_free(c);
    /* CR LF line ends. */
    c = ok("Spread_Segment 10.0.0.255 {\r\n a 10.0.0.1\r\n}\r\nWindow = 90\r\n");
    ck_assert_int_eq(c->window, 90);
    conf_free(c);
}
END_TEST

START_TEST(names)
{
    struct conf *c = ok(S1 " \"auto\" 10.0.0.1\n 'my host' 10.0.0.2 ;\n"
                        " abcdefghijklmnopqrstuvwxyz 10.0.0.3 ; hostA\n"
                        " hostB 10.0.0.4 VirtualID = 9 v6x 10.0.0.5\n"
                        " M1 10.0.0.6 \"a#b{c}\" 10.0.0.7\n}\n");
    ck_assert_int_eq(c->n_daemons, 8);
    ck_assert_str_eq(c->daemons[0].name, "auto");
    ck_assert_str_eq(c->daemons[1].name, "my host");
    ck_assert_str_eq(c->daemons[2].name, "abcdefghijklmnopqrs");
    ck_assert_str_eq(c->daemons[3].name, "hostA");
    ck_assert_str_eq(c->daemons[3].addr.text, "10.0.0.10");
    ck_assert_str_eq(c->daemons[4].name, "hostB");
    ck_assert_str_eq(c->daemons[4].addr.text, "10.0.0.4");
    ck_assert_str_eq(c->daemons[5].name, "v6x");
    ck_assert_str_eq(c->daemons[6].name, "M1");
    ck_assert_str_eq(c->daemons[7].name, "a#b{c}");
    conf_free(c);
    /* The truncated name is what must be unique. */
    fails(S1 " abcdefghijklmnopqrsXX 10.0.0.1\n abcdefghijklmnopqrsYY "
          "10.0.0.2\n}\n", 3, "already used");
    c = ok(S1 " a#b{c} 10.0.0.7\n 10.0.0.1\n}\n");
    ck_assert_str_eq(c->daemons[0].name, "a");
    ck_assert_str_eq(c->daemons[0].addr.text, "10.0.0.1");
    conf_free(c);
}
END_TEST

START_TEST(daemon_forms)
{
    struct conf *c = ok(S1 " 10.0.0.1\n hostA hostB\n lh ;\n"
                        " 10.0.0.2 { 10.0.0.2 }\n}\n");
    ck_assert_int_eq(c->n_daemons, 5);
    ck_assert_str_eq(c->daemons[0].name, "10.0.0.1");
    ck_assert_str_eq(c->daemons[1].name, "hostA");
    ck_assert_str_eq(c->daemons[2].name, "hostB");
    ck_assert_str_eq(c->daemons[2].addr.text, "10.0.0.11");
    ck_assert_str_eq(c->daemons[3].addr.text, "127.0.0.1");
    ck_assert_str_eq(c->daemons[4].name, "10.0.0.2");
    ck_assert_int_eq(c->segments[0].n_daemons, 5);
    conf_free(c);
    /* A name-only entry resolves in the family fixed so far. */
    c = ok("Spread_Segment ff02::1 {\n v6host\n}\n");
    ck_assert_int_eq(c->active_ip_version, AF_INET6);
    ck_assert_str_eq(c->daemons[0].addr.text,
                     "fd00:0000:0000:0000:0000:0000:0000:0010");
    conf_free(c);
}
END_TEST

START_TEST(ipv6_forms)
{
    struct conf *c = ok("Spread_Segment [FF02::1]:5000 ff02::2 {\n"
                        " a fd00::1 fd00::2\n fe80::1%lo\n"
                        " c fe80::2%7 { D fe80::2%7 C :: }\n}\n");
    ck_assert_int_eq(c->active_ip_version, AF_INET6);
    ck_assert_int_eq(c->segments[0].port, 5000);
    ck_assert_int_eq(c->segments[0].n_addrs, 2);
    ck_assert_str_eq(c->segments[0].addrs[0].text,
                     "ff02:0000:0000:0000:0000:0000:0000:0001");
    ck_assert_str_eq(c->daemons[1].name, "fd00::2");
    ck_assert_str_eq(c->daemons[2].name, "fe80::1");
    ck_assert_uint_eq(c->daemons[2].addr.scope_id, if_nametoindex("lo"));
    ck_assert_uint_eq(c->daemons[3].addr.scope_id, 7);
    ck_assert_int_eq(c->daemons[3].n_ifaces, 2);
    ck_assert_str_eq(c->daemons[3].ifaces[1].addr.text,
                     "0000:0000:0000:0000:0000:0000:0000:0000");
    conf_free(c);
    /* Unbracketed, the last group is part of the address, not a port. */
    c = ok("Spread_Segment ff02::1:4803 {\n a fd00::1\n}\n"
           "ActiveIPVersion = IPv6\n");
    ck_assert_int_eq(c->segments[0].port, CONF_DEFAULT_PORT);
    ck_assert_str_eq(c->segments[0].addrs[0].text,
                     "ff02:0000:0000:0000:0000:0000:0001:4803");
    conf_free(c);
    c = ok("Spread_Segment [ff02::1%3] {\n a ::ffff:10.0.0.1\n}\n");
    ck_assert_str_eq(c->daemons[0].addr.text,
                     "0000:0000:0000:0000:0000:ffff:0a00:0001");
    conf_free(c);
}
END_TEST

START_TEST(ipv4_forms)
{
    struct conf *c = ok("Spread_Segment 239.0.0.1:0 239.0.0.2 239.0.0.3 "
                        "239.0.0.4 239.0.0.5 {\n a 010.0.0.001\n}\n"
                        "Spread_Segment 10.1.255.255:65535 { b 10.0.0.1 }\n");
    ck_assert_int_eq(c->segments[0].port, CONF_DEFAULT_PORT);
    ck_assert_int_eq(c->segments[0].n_addrs, 5);
    ck_assert_str_eq(c->daemons[0].addr.text, "10.0.0.1");
    ck_assert_int_eq(c->segments[1].port, 65535);
    /* Same address, different port: allowed. */
    ck_assert_int_eq(c->n_daemons, 2);
    conf_free(c);
}
END_TEST

START_TEST(interfaces)
{
    struct conf *c = ok(S1 " a 10.0.0.1 {\n  D C 10.0.0.1 M 10.0.0.9\n"
                        "  10.0.0.8 C C 0.0.0.0\n }\n b 10.0.0.2 { D 0.0.0.0 }"
                        "\n c 10.0.0.3 VirtualID = 3 { M D 10.0.0.3 } ;\n}\n");
    const struct conf_daemon *d = &c->daemons[0];
    ck_assert_int_eq(d->n_ifaces, 4);
    ck_assert_uint_eq(d->ifaces[0].roles, CONF_IF_DAEMON | CONF_IF_CLIENT);
    ck_assert_uint_eq(d->ifaces[1].roles, CONF_IF_MONITOR);
    ck_assert_uint_eq(d->ifaces[2].roles,
                      CONF_IF_DAEMON | CONF_IF_CLIENT | CONF_IF_MONITOR);
    ck_assert_uint_eq(d->ifaces[3].roles, CONF_IF_CLIENT);
    ck_assert_str_eq(d->ifaces[3].addr.text, "0.0.0.0");
    ck_assert_int_eq(c->daemons[1].n_ifaces, 1);
    ck_assert_uint_eq(c->daemons[2].id, 3);
    ck_assert_uint_eq(c->daemons[2].ifaces[0].roles,
                      CONF_IF_DAEMON | CONF_IF_MONITOR);
    conf_free(c);
    c = ok(SEG);
    d = &c->daemons[0];
    ck_assert_int_eq(d->n_ifaces, 1);
    ck_assert_uint_eq(d->ifaces[0].roles, CONF_IF_DAEMON | CONF_IF_CLIENT |
                                              CONF_IF_MONITOR | CONF_IF_ANY);
    ck_assert_str_eq(d->ifaces[0].addr.text, "0.0.0.0");
    conf_free(c);
}
END_TEST

START_TEST(numbers_and_repeats)
{
    struct conf *c = ok(SEG "Window = 000000100\nWindow = 200\n");
    ck_assert_int_eq(c->window, 200);
    conf_free(c);
    /* Separators need blanks around them: this is one word. */
    fails(SEG "PersonalWindow=30\n", 4, "unknown setting 'PersonalWindow=30'");
    fails(SEG "Window =30\n", 4, "found '=30'");
}
END_TEST

/* ---- limits (daemon.md §7) -------------------------------------------- */

static char *big_text(int segments, int per_segment, int addrs, int ifaces)
{
    static char buf[65536];
    size_t o = 0;
    int k = 0;
    for (int s = 0; s < segments; s++) {
        o += (size_t)snprintf(buf + o, sizeof buf - o,
                              "Spread_Segment 239.0.%d.1:%d", s, 5000 + s);
        for (int a = 1; a < addrs; a++)
            o += (size_t)snprintf(buf + o, sizeof buf - o, " 239.1.%d.%d",
                                  s, a);
        o += (size_t)snprintf(buf + o, sizeof buf - o, " {\n");
        for (int d = 0; d < per_segment; d++, k++) {
            o += (size_t)snprintf(buf + o, sizeof buf - o,
                                  " n%d 10.%d.%d.1", k, k / 200, k % 200);
            if (ifaces)
                o += (size_t)snprintf(buf + o, sizeof buf - o,
                                      " { D 10.%d.%d.1", k / 200, k % 200);
            for (int f = 1; f < ifaces; f++)
                o += (size_t)snprintf(buf + o, sizeof buf - o,
                                      " C 10.9.9.%d", f);
            o += (size_t)snprintf(buf + o, sizeof buf - o,
                                  ifaces ? " }\n" : "\n");
        }
        o += (size_t)snprintf(buf + o, sizeof buf - o, "}\n");
    }
    return buf;
}

START_TEST(limits)
{
    struct conf *c = ok(big_text(20, 6, 5, 10));
    ck_assert_int_eq(c->n_segments, 20);
    ck_assert_int_eq(c->n_daemons, 120);
    ck_assert_int_eq(c->daemons[119].n_ifaces, 10);
    ck_assert_int_eq(c->segments[19].first_daemon, 114);
    conf_free(c);
    c = ok(big_text(1, 128, 1, 0));
    ck_assert_int_eq(c->n_daemons, 128);
    conf_free(c);
    c = ok(big_text(2, 64, 1, 0));
    ck_assert_int_eq(c->n_daemons, 128);
    conf_free(c);
    fails(big_text(21, 1, 1, 0), 61, "too many segments");
    fails(big_text(1, 129, 1, 0), 130, "too many daemons");
    fails(big_text(3, 43, 1, 0), 134, "too many daemons");
    fails(big_text(1, 1, 6, 0), 1, "too many segment addresses");
    fails(big_text(1, 1, 1, 11), 2, "too many interfaces");
}
END_TEST

START_TEST(nul_byte)
{
    static const char text[] = SEG "Window = 5\0\n";
    struct conf *c = NULL;
    struct conf_diag err;
    ck_assert_int_lt(conf_parse_text(text, sizeof text - 1, "nul.conf", &c,
                                     &err, NULL, NULL), 0);
    ck_assert_int_eq(err.line, 4);
    ck_assert_ptr_nonnull(strstr(err.reason, "NUL"));
    static const char quoted[] = SEG "EventLogFile = \"a\0b\"\n";
    ck_assert_int_lt(conf_parse_text(quoted, sizeof quoted - 1, "nul.conf",
                                     &c, &err, NULL, NULL), 0);
    ck_assert_int_eq(err.line, 4);
    ck_assert_ptr_nonnull(strstr(err.reason, "quoted string contains a NUL"));
    /* A NUL inside a comment is harmless; the length bounds the text. */
    ck_assert_int_eq(conf_parse_text(SEG "# x\0y\n", sizeof SEG + 4, "n", &c,
                                     &err, NULL, NULL), 0);
    conf_free(c);
    ck_assert_int_eq(conf_parse_text(SEG "Window = 5", sizeof SEG - 1, "n",
                                     &c, &err, NULL, NULL), 0);
    ck_assert_int_eq(c->window, 160);
    conf_free(c);
}
END_TEST

/* ---- files ------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Without -c: ./spread.conf, then the system file, as upstream. */
START_TEST(load_search)
{
    char dir[] = "/tmp/conf-test-XXXXXX";
    struct conf *c = NULL;
    struct conf_diag err;
    struct warns ws = {0};
    int have_sys = access(SYSCONFDIR "/spread.conf", R_OK) == 0;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chdir(dir), 0);
    write_file("spread.conf", SEG "Window = 101\n");
    ck_assert_int_eq(conf_load_file(NULL, &c, &err, collect, &ws), 0);
    ck_assert_int_eq(c->window, 101);
    ck_assert_str_eq(c->path, "spread.conf");
    ck_assert_int_eq(ws.n, 0);
    conf_free(c);

    /* Errors name the file actually read. */
    write_file("spread.conf", SEG "Window = 0\n");
    ck_assert_int_lt(conf_load_file(NULL, &c, &err, NULL, NULL), 0);
    ck_assert_str_eq(err.file, "spread.conf");
    ck_assert_int_eq(err.line, 4);
    unlink("spread.conf");

    /* A local file that exists but cannot be used is passed over with a
     * warning, as upstream passes over any file it cannot open. */
    ck_assert_int_eq(mkdir("spread.conf", 0700), 0);
    ws.n = 0;
    if (have_sys) {
        ck_assert_int_eq(conf_load_file(NULL, &c, &err, collect, &ws), 0);
        ck_assert_str_eq(c->path, SYSCONFDIR "/spread.conf");
        ck_assert_int_eq(ws.n, 1);
        ck_assert_ptr_nonnull(strstr(ws.d[0].reason, "is a directory"));
        conf_free(c);
    } else {
        ck_assert_int_lt(conf_load_file(NULL, &c, &err, collect, &ws), 0);
        ck_assert_ptr_null(c);
        ck_assert_str_eq(err.file, "spread.conf");
        ck_assert_ptr_nonnull(strstr(err.reason, "is a directory"));
        ck_assert_ptr_nonnull(strstr(err.reason, SYSCONFDIR "/spread.conf"));
    }
    rmdir("spread.conf");
    /* None at all. */
    if (!have_sys) {
        ck_assert_int_lt(conf_load_file(NULL, &c, &err, collect, &ws), 0);
        ck_assert_int_eq(err.line, 0);
        ck_assert_ptr_nonnull(strstr(err.reason, "No such file"));
    }
    ck_assert_int_eq(chdir("/"), 0);
    rmdir(dir);
}
END_TEST

/* A configuration of exactly `size` bytes: SEG, Window = 77, comments. */
static void write_sized(const char *path, long size)
{
    static const char head[] = SEG "Window = 77\n";
    FILE *f = fopen(path, "w");
    long left = size - (long)(sizeof head - 1);

    ck_assert_ptr_nonnull(f);
    fputs(head, f);
    while (left > 0) {
        long n = left < 64 ? left : 64;
        fputc('#', f);
        for (long i = 1; i < n - 1; i++)
            fputc('x', f);
        if (n > 1)
            fputc('\n', f);
        left -= n;
    }
    fclose(f);
}

/* With -c: exactly that file, or an error that says why (issue 8). */
START_TEST(load_explicit)
{
    char dir[] = "/tmp/conf-test-XXXXXX";
    char path[700], big[600];
    struct conf *c = NULL;
    struct conf_diag err;
    struct warns ws = {0};

    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chdir(dir), 0);
    snprintf(path, sizeof path, "%s/named.conf", dir);
    write_file(path, SEG "Window = 100\n");
    ck_assert_int_eq(conf_load_file(path, &c, &err, collect, &ws), 0);
    ck_assert_str_eq(c->path, path);
    ck_assert_int_eq(ws.n, 0);
    conf_free(c);
    unlink(path);

    /* A usable ./spread.conf is no substitute for the file asked for. */
    write_file("spread.conf", SEG);
    ck_assert_int_lt(conf_load_file("missing.conf", &c, &err, collect, &ws), 0);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(err.file, "missing.conf");
    ck_assert_int_eq(err.line, 0);
    ck_assert_str_eq(err.reason, "cannot read it: No such file or directory");

    ck_assert_int_eq(mkdir("sub", 0700), 0);
    ck_assert_int_lt(conf_load_file("sub", &c, &err, collect, &ws), 0);
    ck_assert_str_eq(err.file, "sub");
    ck_assert_str_eq(err.reason, "is a directory, not a configuration file");
    rmdir("sub");

    /* Not even opened for long: a FIFO would block a reader forever. */
    ck_assert_int_eq(mkfifo("fifo", 0600), 0);
    ck_assert_int_lt(conf_load_file("fifo", &c, &err, collect, &ws), 0);
    ck_assert_str_eq(err.reason, "is not a regular file");
    unlink("fifo");

    write_file("locked.conf", SEG);
    ck_assert_int_eq(chmod("locked.conf", 0), 0);
    if (geteuid() == 0) {
        printf("load_explicit: mode 000 not tried (root reads it anyway)\n");
    } else {
        ck_assert_int_lt(conf_load_file("locked.conf", &c, &err, NULL, NULL), 0);
        ck_assert_str_eq(err.reason, "cannot read it: Permission denied");
    }
    unlink("locked.conf");

    /* The limit is 4 MiB: up to it is fine, one byte more is not. */
    write_sized("big.conf", 4L << 20);
    ck_assert_int_eq(conf_load_file("big.conf", &c, &err, NULL, NULL), 0);
    ck_assert_int_eq(c->window, 77);
    conf_free(c);
    write_sized("big.conf", (4L << 20) + 1);
    ck_assert_int_lt(conf_load_file("big.conf", &c, &err, collect, &ws), 0);
    ck_assert_ptr_nonnull(strstr(err.reason, "4194305 bytes, larger than the "
                                             "limit"));
    ck_assert_ptr_nonnull(strstr(err.reason, "4194304 bytes, 4 MiB"));
    ck_assert_int_eq(ws.n, 0);
    unlink("big.conf");

    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_lt(conf_load_file(big, &c, &err, NULL, NULL), 0);
    ck_assert_ptr_nonnull(strstr(err.reason, "longer than"));

    unlink("spread.conf");
    ck_assert_int_eq(chdir("/"), 0);
    rmdir(dir);
}
END_TEST

START_TEST(getaddrinfo_resolver)
{
    struct conf_addr a;
    char why[128];
    /* Numeric names only: getaddrinfo() answers them without DNS. */
    ck_assert_int_eq(conf_resolve_getaddrinfo(NULL, "127.0.0.1", AF_UNSPEC,
                                              &a, why, sizeof why), 0);
    ck_assert_int_eq(a.family, AF_INET);
    ck_assert_str_eq(a.text, "127.0.0.1");
    ck_assert_int_eq(conf_resolve_getaddrinfo(NULL, "fe80::1%1", AF_INET6,
                                              &a, why, sizeof why), 0);
    ck_assert_str_eq(a.text, "fe80:0000:0000:0000:0000:0000:0000:0001");
    ck_assert_uint_eq(a.scope_id, 1);
}
END_TEST

/* ---- this daemon's entry (daemon.md §3) ------------------------------- */

START_TEST(select_self)
{
    struct conf *c = ok("Spread_Segment 127.0.0.255 {\n far 192.0.2.1\n"
                        " localhost 127.0.0.1 { D 127.0.0.1 C 192.0.2.9 }\n"
                        "}\nSpread_Segment 127.0.0.255:4810 {\n"
                        " other 127.0.0.1\n}\n");
    struct conf_diag err;
    struct warns ws = {0};

    ck_assert_int_eq(conf_select_self(c, NULL, &err), 1);
    ck_assert_int_eq(conf_select_self(c, "localhost", &err), 1);
    ck_assert_int_eq(conf_check_local_ifaces(c, 1, collect, &ws), 1);
    ck_assert_int_eq(ws.n, 1);
    ck_assert_int_eq(ws.d[0].line, 3);
    ck_assert_ptr_nonnull(strstr(ws.d[0].reason, "192.0.2.9"));
    ck_assert_int_eq(conf_check_local_ifaces(c, 0, NULL, NULL), 0);

    ck_assert_int_lt(conf_select_self(c, "far", &err), 0);
    ck_assert_int_eq(err.line, 2);
    ck_assert_str_eq(err.file, "t.conf");
    ck_assert_ptr_nonnull(strstr(err.reason, "192.0.2.1"));
    ck_assert_int_lt(conf_select_self(c, "nobody", &err), 0);
    ck_assert_ptr_nonnull(strstr(err.reason, "no daemon named 'nobody'"));
    ck_assert_int_lt(conf_select_self(c, "abcdefghijklmnopqrst", &err), 0);
    ck_assert_ptr_nonnull(strstr(err.reason, "longer than 19"));

    ck_assert_uint_eq(conf_local_scope_id(&c->daemons[0].addr), 0);
    conf_free(c);

    /* Loopback aliases are this host's (Linux routes 127/8 to lo), so
     * three daemons of one ring can run on one machine (issue 9); no
     * interface lists 127.0.0.3, and it used to be refused. */
    c = ok("Spread_Segment 127.0.0.255:4803 {\n n1 127.0.0.1\n"
           " n2 127.0.0.2\n n3 127.0.0.3\n}\n");
    ck_assert_int_eq(conf_select_self(c, "n3", &err), 2);
    ck_assert_int_eq(conf_select_self(c, "n2", &err), 1);
    ck_assert_int_eq(conf_select_self(c, NULL, &err), 0);
    conf_free(c);

    /* ::1 is local whenever IPv6 is enabled; it is not link-local, so it
     * has no scope. */
    c = ok("Spread_Segment ff02::1 {\n a ::1\n}\n");
    if (conf_select_self(c, NULL, &err) == 0)
        ck_assert_uint_eq(conf_local_scope_id(&c->daemons[0].addr), 0);
    conf_free(c);

    /* Loopback aliases are this host's (Linux routes 127/8 to lo), so
     * three daemons of one ring can run on one machine (issue 9); no
     * interface lists 127.0.0.3, and it used to be refused. */
    c = ok("Spread_Segment 127.0.0.255:4803 {\n n1 127.0.0.1\n"
           " n2 127.0.0.2\n n3 127.0.0.3\n}\n");
    ck_assert_int_eq(conf_select_self(c, "n3", &err), 2);
    ck_assert_int_eq(conf_select_self(c, "n2", &err), 1);
    ck_assert_int_eq(conf_select_self(c, NULL, &err), 0);
    conf_free(c);

    c = ok("Spread_Segment 192.0.2.255 {\n a 192.0.2.1\n}\n");
    ck_assert_int_lt(conf_select_self(c, NULL, &err), 0);
    ck_assert_int_eq(err.line, 0);
    conf_free(c);
}
END_TEST

static void add_line(void *ctx, const char *text)
{
    char *buf = ctx;
    strncat(buf, text, 8191 - strlen(buf));
    strncat(buf, "\n", 8191 - strlen(buf));
}

START_TEST(describe_and_format)
{
    static char out[8192];
    struct conf *c = ok("Spread_Segment 127.0.0.255 { localhost 127.0.0.1 }");
    struct conf_diag d = {.file = "f.conf", .line = 3, .reason = "bad"};
    char buf[600];

    out[0] = '\0';
    conf_describe(c, -1, add_line, out);
    ck_assert_ptr_null(strstr(out, "<- this daemon"));
    conf_free(c);
    c = ok(S1 " a 10.0.0.1 { D 10.0.0.1 C M 10.0.0.2 }\n}\nSocketPortReuse = on"
           "\nDangerousMonitor = yes\n");
    out[0] = '\0';
    conf_describe(c, -1, add_line, out);
    ck_assert_ptr_nonnull(strstr(out, "interface D 10.0.0.1\n"));
    ck_assert_ptr_nonnull(strstr(out, "interface CM 10.0.0.2\n"));
    ck_assert_ptr_nonnull(strstr(out, "port reuse on, dangerous"));
    conf_free(c);
    c = ok("Spread_Segment 127.0.0.255 { localhost 127.0.0.1 }");

    out[0] = '\0';
    conf_describe(c, 0, add_line, out);
    ck_assert_ptr_nonnull(strstr(out, "localhost: 127.0.0.1 id 482711334"));
    ck_assert_ptr_nonnull(strstr(out, "<- this daemon"));
    ck_assert_ptr_nonnull(
        strstr(out, "Hash value for this configuration is: 970868126\n"));
    conf_free(c);
    ck_assert_str_eq(conf_diag_format(&d, buf, sizeof buf), "f.conf:3: bad");
    d.line = 0;
    ck_assert_str_eq(conf_diag_format(&d, buf, sizeof buf), "f.conf: bad");
}
END_TEST

START_TEST(plain_entry_point)
{
    struct conf *c = NULL;
    struct conf_diag err;
    ck_assert_int_eq(conf_parse_text(SEG, strlen(SEG), NULL, &c, &err, NULL,
                                     NULL), 0);
    ck_assert_str_eq(c->path, "<text>");
    conf_free(c);
    conf_free(NULL);
}
END_TEST

void conf_rules_tests(Suite *s)
{
    TCase *tc = tcase_create("errors");
    tcase_add_loop_test(tc, rejected, 0, sizeof errors / sizeof errors[0]);
    tcase_add_loop_test(tc, warned, 0, sizeof warnings / sizeof warnings[0]);
    tcase_add_test(tc, no_warnings_for_plain_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("settings");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, segment_unicast);
    tcase_add_test(tc, logging_keys);
    tcase_add_test(tc, debug_flags);
    tcase_add_test(tc, boolean_keys);
    tcase_add_test(tc, port_reuse);
    tcase_add_test(tc, identity_keys);
    tcase_add_test(tc, auth_keys);
    tcase_add_test(tc, client_keys);
    tcase_add_test(tc, window_keys);
    tcase_add_test(tc, timeouts);
    suite_add_tcase(s, tc);

    tc = tcase_create("syntax");
    tcase_add_test(tc, comments_and_layout);
    tcase_add_test(tc, names);
    tcase_add_test(tc, daemon_forms);
    tcase_add_test(tc, ipv6_forms);
    tcase_add_test(tc, ipv4_forms);
    tcase_add_test(tc, interfaces);
    tcase_add_test(tc, numbers_and_repeats);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, nul_byte);
    suite_add_tcase(s, tc);

    tc = tcase_create("system");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, load_search);
    tcase_add_test(tc, load_explicit);
    tcase_add_test(tc, getaddrinfo_resolver);
    tcase_add_test(tc, select_self);
    tcase_add_test(tc, describe_and_format);
    tcase_add_test(tc, plain_entry_point);
    suite_add_tcase(s, tc);
}
