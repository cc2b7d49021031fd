# SPDX-License-Identifier: BSD-2-Clause
# Daemon-level EVS checking of the ring protocol (shared/spec/ring.md
# §14): the checker over per-daemon delivery logs (tests/unit/evslog.c)
# with its own suite on hand-made logs.
if HAVE_CHECK
check_PROGRAMS += tests/unit/test_evslog
TESTS += tests/unit/test_evslog

tests_unit_test_evslog_SOURCES = tests/unit/test_evslog.c \
	tests/unit/evslog.c tests/unit/evslog.h
tests_unit_test_evslog_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_evslog_LDADD = $(CHECK_LIBS)
endif

# The whole-daemon ring simulator with membership changes, checked by
# evslog (tests/unit/evssim.c); tests/evssim is its command line.
EVSSIM_SOURCES = tests/unit/evssim.c tests/unit/evssim_scen.c \
	tests/unit/simnet.c tests/unit/simnet.h \
	tests/unit/simopt.c tests/unit/simopt.h \
	tests/unit/evssim.h tests/unit/evssim_int.h \
	tests/unit/evslog.c tests/unit/evslog.h
if HAVE_CHECK
check_PROGRAMS += tests/unit/test_evssim tests/evssim tests/unit/test_simnet
TESTS += tests/unit/test_evssim tests/unit/test_simnet

# simnet: the PRNG, event queue and lossy network of the simulators
# (evssim, ringsim, memb_sim).
tests_unit_test_simnet_SOURCES = tests/unit/test_simnet.c \
	tests/unit/simnet.c tests/unit/simnet.h
tests_unit_test_simnet_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_simnet_LDADD = $(CHECK_LIBS)

tests_unit_test_evssim_SOURCES = tests/unit/test_evssim.c $(EVSSIM_SOURCES)
tests_unit_test_evssim_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_evssim_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_evssim_LDADD = daemon/libdaemon.la daemon/libconf.la \
	$(CHECK_LIBS)

tests_evssim_SOURCES = tests/evssim.c $(EVSSIM_SOURCES)
tests_evssim_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS) -I$(top_srcdir)/tests
tests_evssim_LDADD = daemon/libdaemon.la daemon/libconf.la
endif
