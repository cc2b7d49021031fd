# SPDX-License-Identifier: BSD-2-Clause
# Integration tests: real daemons and real libspread clients.
if HAVE_CHECK
check_LTLIBRARIES += tests/lib/libtestclient.la
tests_lib_libtestclient_la_SOURCES = tests/lib/client.c tests/lib/client.h
tests_lib_libtestclient_la_LIBADD = libspread/libspread.la

TEST_CLIENT_LIBS = tests/lib/libtestclient.la tests/lib/libtesthelp.la \
	libspread/libspread.la $(CHECK_LIBS)

check_PROGRAMS += tests/integration/test_sessions \
	tests/integration/test_robustness tests/integration/test_limits \
	tests/integration/test_threads tests/integration/test_daemon
TESTS += tests/integration/test_sessions \
	tests/integration/test_robustness tests/integration/test_limits \
	tests/integration/test_threads tests/integration/test_daemon

tests_integration_test_sessions_SOURCES = tests/integration/test_sessions.c
tests_integration_test_sessions_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_sessions_LDADD = $(TEST_CLIENT_LIBS)
tests_integration_test_robustness_SOURCES = tests/integration/test_robustness.c
tests_integration_test_robustness_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_robustness_LDADD = $(TEST_CLIENT_LIBS)
tests_integration_test_limits_SOURCES = tests/integration/test_limits.c
tests_integration_test_limits_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_limits_LDADD = $(TEST_CLIENT_LIBS)
tests_integration_test_threads_SOURCES = tests/integration/test_threads.c
tests_integration_test_threads_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_threads_LDADD = $(TEST_CLIENT_LIBS)
tests_integration_test_daemon_SOURCES = tests/integration/test_daemon.c
tests_integration_test_daemon_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_daemon_LDADD = $(TEST_CLIENT_LIBS)

# The daemon side of the half-close acknowledgement (raw sockets plus
# libspread witnesses); daemon/ for SESS_DRAIN_MS.
check_PROGRAMS += tests/integration/test_halfclose
TESTS += tests/integration/test_halfclose
tests_integration_test_halfclose_SOURCES = tests/integration/test_halfclose.c
tests_integration_test_halfclose_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
tests_integration_test_halfclose_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_halfclose_LDADD = $(TEST_CLIENT_LIBS)
endif

# The tools, driven through pipes like the harnesses that use them.
TESTS += tests/integration/test_tools.sh
EXTRA_DIST += tests/integration/test_tools.sh tests/lib/daemon.sh

# The manual: a page for every program, exported function and
# configuration key, built with this release's version.
TESTS += tests/integration/test_manpages.sh
EXTRA_DIST += tests/integration/test_manpages.sh

# Signals, the log reopen, -d and -p, --help and --version.
TESTS += tests/integration/test_signals.sh
EXTRA_DIST += tests/integration/test_signals.sh

if HAVE_CHECK
# The connection lifecycle (shared/spec/lifecycle.md), one program per
# feature: half-close disconnect, SP_close/SP_kill, SP_init and fork, the
# reuse guard.
check_PROGRAMS += tests/integration/test_lifecycle
TESTS += tests/integration/test_lifecycle
tests_integration_test_lifecycle_SOURCES = tests/integration/test_lifecycle.c
tests_integration_test_lifecycle_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_lifecycle_LDADD = $(TEST_CLIENT_LIBS)
check_PROGRAMS += tests/integration/test_close
TESTS += tests/integration/test_close
tests_integration_test_close_SOURCES = tests/integration/test_close.c
tests_integration_test_close_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_close_LDADD = $(TEST_CLIENT_LIBS)
check_PROGRAMS += tests/integration/test_fork
TESTS += tests/integration/test_fork
tests_integration_test_fork_SOURCES = tests/integration/test_fork.c
tests_integration_test_fork_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_fork_LDADD = $(TEST_CLIENT_LIBS)
check_PROGRAMS += tests/integration/test_reuse
TESTS += tests/integration/test_reuse
tests_integration_test_reuse_SOURCES = tests/integration/test_reuse.c
tests_integration_test_reuse_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_reuse_LDADD = $(TEST_CLIENT_LIBS)
endif

if HAVE_CHECK
# Clients that vanish (end of stream together with their last bytes).
check_PROGRAMS += tests/integration/test_vanish
TESTS += tests/integration/test_vanish
tests_integration_test_vanish_SOURCES = tests/integration/test_vanish.c
tests_integration_test_vanish_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_vanish_LDADD = $(TEST_CLIENT_LIBS)
endif

if HAVE_CHECK
# Admission: no resource before authentication (quota, names, access).
check_PROGRAMS += tests/integration/test_admission
TESTS += tests/integration/test_admission
tests_integration_test_admission_SOURCES = tests/integration/test_admission.c
tests_integration_test_admission_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_admission_LDADD = $(TEST_CLIENT_LIBS)
endif

if HAVE_CHECK
# Flow control: membership floods, slow members, mixed senders.
check_PROGRAMS += tests/integration/test_fairness
TESTS += tests/integration/test_fairness
tests_integration_test_fairness_SOURCES = tests/integration/test_fairness.c
tests_integration_test_fairness_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_fairness_LDADD = $(TEST_CLIENT_LIBS)
endif

if HAVE_CHECK
# The hostile-client soak (every attack at once, about a minute).
check_PROGRAMS += tests/integration/test_soak
TESTS += tests/integration/test_soak
tests_integration_test_soak_SOURCES = tests/integration/test_soak.c \
	tests/lib/flood_names.c tests/lib/flood_names.h
tests_integration_test_soak_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_soak_LDADD = $(TEST_CLIENT_LIBS)
endif

if HAVE_CHECK
# IPv6: a daemon on ::1 (test_ipv6), and on ULA and link-local addresses
# inside a network namespace of the test's own (test_ipv6_netns, root
# only). Each reports SKIP (77) with the reason where it cannot run.
check_PROGRAMS += tests/integration/test_ipv6
TESTS += tests/integration/test_ipv6
tests_integration_test_ipv6_SOURCES = tests/integration/test_ipv6.c
tests_integration_test_ipv6_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_ipv6_LDADD = $(TEST_CLIENT_LIBS)
endif

if HAVE_CHECK
check_PROGRAMS += tests/integration/test_ipv6_netns
TESTS += tests/integration/test_ipv6_netns
tests_integration_test_ipv6_netns_SOURCES = tests/integration/test_ipv6_netns.c
tests_integration_test_ipv6_netns_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_ipv6_netns_LDADD = $(TEST_CLIENT_LIBS)
endif

if HAVE_CHECK
# The flush layer (fl.h) on a real daemon, over both transports.
check_PROGRAMS += tests/integration/test_flush
TESTS += tests/integration/test_flush
tests_integration_test_flush_SOURCES = tests/integration/test_flush.c \
	tests/lib/flmember.c tests/lib/flmember.h
tests_integration_test_flush_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_flush_LDADD = $(TEST_CLIENT_LIBS)
# The same from several threads and across fork (ThreadSanitizer in CI).
check_PROGRAMS += tests/integration/test_flush_threads
TESTS += tests/integration/test_flush_threads
tests_integration_test_flush_threads_SOURCES = \
	tests/integration/test_flush_threads.c \
	tests/lib/flmember.c tests/lib/flmember.h
tests_integration_test_flush_threads_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_integration_test_flush_threads_LDADD = $(TEST_CLIENT_LIBS)
endif
