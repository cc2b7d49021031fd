# SPDX-License-Identifier: BSD-2-Clause
# Extended Virtual Synchrony checking (shared/spec/ring.md section 15):
# the checker as a library (for simulators) and a program, the logging
# client for real daemons, and their tests. Format: docs/evscheck.md.
check_LTLIBRARIES += tests/lib/libevscheck.la
tests_lib_libevscheck_la_SOURCES = tests/lib/evscheck.c tests/lib/evscheck.h \
	tests/lib/evscheck_int.h tests/lib/evscheck_log.c \
	tests/lib/evscheck_props.c tests/lib/evscheck_time.c

check_PROGRAMS += tests/evscheck tests/lib/evsclient
tests_evscheck_SOURCES = tests/lib/evscheck_main.c
tests_evscheck_LDADD = tests/lib/libevscheck.la
tests_lib_evsclient_SOURCES = tests/lib/evsclient.c
tests_lib_evsclient_LDADD = libspread/libspread.la

if HAVE_CHECK
# Every property, kept and broken, on hand-written logs.
check_PROGRAMS += tests/unit/test_evscheck
TESTS += tests/unit/test_evscheck
tests_unit_test_evscheck_SOURCES = tests/unit/test_evscheck.c
tests_unit_test_evscheck_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_evscheck_LDADD = tests/lib/libevscheck.la $(CHECK_LIBS)
endif

# Three logging clients on a real daemon, one killed, logs checked.
TESTS += tests/integration/test_evs.sh
EXTRA_DIST += tests/integration/test_evs.sh docs/evscheck.md

# A ring of three real daemons on 127.0.0.1-3 with a crash, a stop and a
# restart, the clients' logs checked with evscheck.
TESTS += tests/integration/test_ring.sh
EXTRA_DIST += tests/integration/test_ring.sh tests/lib/ring.sh

# The same on a ring of five, with two daemons stopped together (a
# partition of two against two) while the fifth is down.
TESTS += tests/integration/test_ring5.sh
EXTRA_DIST += tests/integration/test_ring5.sh

# The same in network namespaces joined by a bridge, with a broadcast
# segment and a partition by link (root and `ip netns`; skips otherwise).
TESTS += tests/integration/test_ring_netns.sh
EXTRA_DIST += tests/integration/test_ring_netns.sh tests/lib/netns.sh

# The accelerated ring, and two segments (wide area, routed data), each
# with a crash and a restart under traffic, checked with evscheck.
TESTS += tests/integration/test_ring_variants.sh
EXTRA_DIST += tests/integration/test_ring_variants.sh
