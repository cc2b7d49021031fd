# SPDX-License-Identifier: BSD-2-Clause
# daemon/ring/: the ordering core of the token ring (core, token, svc),
# its packet window, send queue and flow-control arithmetic, with their
# unit suites and the ring simulator (tests/unit/ringsim.c, the command
# tests/ringsim).

daemon_libdaemon_la_SOURCES += \
	daemon/ring/flow.c daemon/ring/flow.h \
	daemon/ring/window.c daemon/ring/window.h \
	daemon/ring/sendq.c daemon/ring/sendq.h \
	daemon/ring/core.c daemon/ring/core.h daemon/ring/core_int.h \
	daemon/ring/token.c daemon/ring/svc.c daemon/ring/evs.c

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_ring_flow tests/unit/test_ring_core \
	tests/unit/test_ring_replay tests/unit/test_ringsim tests/ringsim
TESTS += tests/unit/test_ring_flow tests/unit/test_ring_core \
	tests/unit/test_ring_replay tests/unit/test_ringsim

tests_unit_test_ring_flow_SOURCES = tests/unit/test_ring_flow.c
tests_unit_test_ring_flow_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_ring_flow_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ring_flow_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_ring_core_SOURCES = tests/unit/test_ring_core.c \
	tests/unit/ringrec.c tests/unit/ringrec.h
tests_unit_test_ring_core_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_ring_core_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ring_core_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_ring_replay_SOURCES = tests/unit/test_ring_replay.c \
	tests/unit/ringrec.c tests/unit/ringrec.h \
	tests/lib/ringvec.c tests/lib/ringvec.h
tests_unit_test_ring_replay_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_ring_replay_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ring_replay_LDADD = daemon/libdaemon.la \
	tests/lib/libtesthelp.la $(CHECK_LIBS)

tests_unit_test_ringsim_SOURCES = tests/unit/test_ringsim.c \
	tests/unit/simnet.c tests/unit/simnet.h \
	tests/unit/ringsim.c tests/unit/ringsim.h
tests_unit_test_ringsim_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_ringsim_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ringsim_LDADD = $(DAEMON_TEST_LIBS)

tests_ringsim_SOURCES = tests/ringsim.c tests/unit/ringsim.c \
	tests/unit/simnet.c tests/unit/simnet.h \
	tests/unit/ringsim.h
tests_ringsim_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS) -I$(top_srcdir)/tests
tests_ringsim_LDADD = daemon/libdaemon.la
endif
