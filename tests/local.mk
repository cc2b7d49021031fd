# SPDX-License-Identifier: BSD-2-Clause
# tests/: unit suites (Check), conformance against ../shared/vectors and
# integration tests with real daemons. Modules add their own unit suites in
# their local.mk; this file holds the shared ones and the helpers.

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_wire
TESTS += tests/unit/test_wire
tests_unit_test_wire_SOURCES = tests/unit/test_wire.c
tests_unit_test_wire_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_wire_LDADD = $(CHECK_LIBS)
endif
