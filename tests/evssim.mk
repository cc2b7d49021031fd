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
