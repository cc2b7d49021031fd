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

# Helpers shared by conformance and integration tests.
check_LTLIBRARIES += tests/lib/libtesthelp.la
tests_lib_libtesthelp_la_SOURCES = tests/lib/vec.c tests/lib/vec.h \
	tests/lib/harness.c tests/lib/harness.h tests/lib/ckmain.h \
	tests/lib/ckdaemon.h

if HAVE_CHECK
TEST_HELP_LIBS = tests/lib/libtesthelp.la $(CHECK_LIBS)

# Daemon conformance against the upstream captures.
check_PROGRAMS += tests/conformance/test_daemon_vectors
TESTS += tests/conformance/test_daemon_vectors
tests_conformance_test_daemon_vectors_SOURCES = tests/conformance/test_daemon_vectors.c
tests_conformance_test_daemon_vectors_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_conformance_test_daemon_vectors_LDADD = $(TEST_HELP_LIBS)
endif

if HAVE_CHECK
# ABI: type layouts and constants of sp.h, a few daemon-free behaviours.
check_PROGRAMS += tests/unit/test_abi
TESTS += tests/unit/test_abi
tests_unit_test_abi_SOURCES = tests/unit/test_abi.c
tests_unit_test_abi_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_abi_LDADD = libspread/libspread.la $(CHECK_LIBS)
endif

# Sonames, exported symbols and dependencies of the shared libraries.
TESTS += tests/integration/test_symbols.sh
EXTRA_DIST += tests/integration/test_symbols.sh

# patches/ applied to the compatibility baseline and built (skips without
# git history, as in a release tarball).
TESTS += tests/integration/test_patches.sh
EXTRA_DIST += tests/integration/test_patches.sh patches/README \
	patches/series patches/BASE \
	patches/0001-Acknowledge-marked-disconnects-with-a-half-close.patch \
	patches/0002-libspread-SP_close-and-SP_kill-returning-int.patch \
	patches/0003-libspread-public-SP_init-with-fork-handlers.patch \
	patches/0004-libspread-quarantine-retired-mailbox-numbers.patch
