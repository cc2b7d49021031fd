# SPDX-License-Identifier: BSD-2-Clause
# daemon/ring/: the membership state machine (memb_sm, memb_form) and its
# unit suites: many instances against each other over an in-memory
# network (test_ring_memb), and replays of the upstream captures
# (test_ring_memb_vec).

daemon_libdaemon_la_SOURCES += \
	daemon/ring/memb_sm.c daemon/ring/memb_form.c daemon/ring/memb_fast.c \
	daemon/ring/memb_sm.h daemon/ring/memb_sm_int.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_ring_memb
TESTS += tests/unit/test_ring_memb
tests_unit_test_ring_memb_SOURCES = tests/unit/test_ring_memb.c \
	tests/unit/simnet.c tests/unit/simnet.h \
	tests/unit/memb_sim.c tests/unit/memb_sim.h
tests_unit_test_ring_memb_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_ring_memb_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ring_memb_LDADD = daemon/libdaemon.la $(CHECK_LIBS)
endif

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_ring_memb_vec
TESTS += tests/unit/test_ring_memb_vec
tests_unit_test_ring_memb_vec_SOURCES = tests/unit/test_ring_memb_vec.c \
	tests/lib/ringvec.c tests/lib/ringvec.h
tests_unit_test_ring_memb_vec_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_ring_memb_vec_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ring_memb_vec_LDADD = daemon/libdaemon.la daemon/libconf.la \
	tests/lib/libtesthelp.la $(CHECK_LIBS)
endif
