# SPDX-License-Identifier: BSD-2-Clause
# daemon/ring/: node, one daemon's whole ring protocol (memb_sm + core +
# EVS), and its suite over an in-memory network (tests/unit/nodesim.c).

daemon_libdaemon_la_SOURCES += daemon/ring/node.c daemon/ring/node.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_ring_node
TESTS += tests/unit/test_ring_node
tests_unit_test_ring_node_SOURCES = tests/unit/test_ring_node.c \
	tests/unit/nodesim.c tests/unit/nodesim.h
tests_unit_test_ring_node_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_ring_node_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ring_node_LDADD = daemon/libdaemon.la daemon/libconf.la \
	tests/lib/libtesthelp.la $(CHECK_LIBS)
endif

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_ring_evs
TESTS += tests/unit/test_ring_evs
tests_unit_test_ring_evs_SOURCES = tests/unit/test_ring_evs.c
tests_unit_test_ring_evs_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_ring_evs_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ring_evs_LDADD = $(DAEMON_TEST_LIBS)
endif
