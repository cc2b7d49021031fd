# SPDX-License-Identifier: BSD-2-Clause
# daemon/ring/: the ordering core of the token ring (core, token, svc),
# its packet window, send queue and flow-control arithmetic, with their
# unit suites and the ring simulator (tests/unit/ringsim.c, the command
# tests/ringsim).

daemon_libdaemon_la_SOURCES += \
	daemon/ring/flow.c daemon/ring/flow.h \
	daemon/ring/window.c daemon/ring/window.h \
	daemon/ring/sendq.c daemon/ring/sendq.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_ring_flow
TESTS += tests/unit/test_ring_flow

tests_unit_test_ring_flow_SOURCES = tests/unit/test_ring_flow.c
tests_unit_test_ring_flow_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_ring_flow_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ring_flow_LDADD = $(DAEMON_TEST_LIBS)
endif
