# SPDX-License-Identifier: BSD-2-Clause
# Whole daemons (daemon/daemon.h) with real client sessions on one
# stepped loop and a fake network, their clients' logs checked against
# ring.md §15 by evscheck (tests/unit/dsim.h); tests/dsim is its command
# line.
DSIM_SOURCES = tests/unit/dsim.c tests/unit/dsim_client.c \
	tests/unit/dsim_scen.c tests/unit/dsim.h tests/unit/dsim_int.h \
	tests/unit/simopt.c tests/unit/simopt.h
if HAVE_CHECK
check_PROGRAMS += tests/unit/test_dsim tests/dsim
TESTS += tests/unit/test_dsim

tests_unit_test_dsim_SOURCES = tests/unit/test_dsim.c $(DSIM_SOURCES)
tests_unit_test_dsim_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS) \
	-I$(top_srcdir)/tests/lib
tests_unit_test_dsim_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_dsim_LDADD = tests/lib/libevscheck.la daemon/libdaemon.la \
	daemon/libconf.la $(CHECK_LIBS)

tests_dsim_SOURCES = tests/dsim.c $(DSIM_SOURCES)
tests_dsim_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/tests/lib
tests_dsim_LDADD = tests/lib/libevscheck.la daemon/libdaemon.la \
	daemon/libconf.la
endif
