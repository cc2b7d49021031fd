# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
# libspread: the client library. One set of objects (a convenience library)
# linked into the three installed libraries that upstream ships; all three
# are thread-safe. Only SP_* and E_* symbols are exported.

noinst_LTLIBRARIES += libspread/libspread-impl.la
libspread_libspread_impl_la_SOURCES = \
	libspread/lib.h \
	libspread/mbox.c libspread/mbox.h \
	libspread/init.c \
	libspread/io.c \
	libspread/auth.c \
	libspread/connect.c \
	libspread/send.c \
	libspread/close.c \
	libspread/recv.c \
	libspread/memb.c \
	libspread/errors.c \
	libspread/events.c

EXTRA_DIST += libspread/README.md

# current:revision:age. 4:0:1 = upstream's interface (3) plus SP_init and
# SP_close (4); age 1 keeps the soname libspread.so.3 that upstream
# programs are linked against.
SPREAD_LIB_LDFLAGS = -version-info 4:0:1 -export-symbols-regex '^(SP_|E_)'

lib_LTLIBRARIES += libspread/libspread.la libspread/libspread-core.la \
	libspread/libtspread-core.la

libspread_libspread_la_SOURCES =
libspread_libspread_la_LIBADD = libspread/libspread-impl.la
libspread_libspread_la_LDFLAGS = $(AM_LDFLAGS) $(SPREAD_LIB_LDFLAGS)

libspread_libspread_core_la_SOURCES =
libspread_libspread_core_la_LIBADD = libspread/libspread-impl.la
libspread_libspread_core_la_LDFLAGS = $(AM_LDFLAGS) $(SPREAD_LIB_LDFLAGS)

libspread_libtspread_core_la_SOURCES =
libspread_libtspread_core_la_LIBADD = libspread/libspread-impl.la
libspread_libtspread_core_la_LDFLAGS = $(AM_LDFLAGS) $(SPREAD_LIB_LDFLAGS)

# Tests of this module: unit suites on the internal objects, and the
# conformance replay of ../shared/vectors against the shared library.
if HAVE_CHECK
SPREAD_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libspread \
	-I$(top_srcdir)/tests/unit -I$(top_srcdir)/tests/lib
SPREAD_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

SPREAD_TESTS = tests/unit/test_mbox tests/unit/test_lib_events \
	tests/unit/test_lib_api tests/unit/test_lib_recv \
	tests/conformance/test_lib_vectors
check_PROGRAMS += $(SPREAD_TESTS)
TESTS += $(SPREAD_TESTS)

tests_unit_test_mbox_SOURCES = tests/unit/test_mbox.c
tests_unit_test_mbox_CPPFLAGS = $(SPREAD_TEST_CPPFLAGS)
tests_unit_test_mbox_CFLAGS = $(SPREAD_TEST_CFLAGS)
tests_unit_test_mbox_LDADD = libspread/libspread-impl.la $(CHECK_LIBS)

tests_unit_test_lib_events_SOURCES = tests/unit/test_lib_events.c
tests_unit_test_lib_events_CPPFLAGS = $(SPREAD_TEST_CPPFLAGS)
tests_unit_test_lib_events_CFLAGS = $(SPREAD_TEST_CFLAGS)
tests_unit_test_lib_events_LDADD = libspread/libspread.la $(CHECK_LIBS)

tests_unit_test_lib_api_SOURCES = tests/unit/test_lib_api.c \
	tests/unit/test_lib_fake.c tests/unit/test_lib_fake.h
tests_unit_test_lib_api_CPPFLAGS = $(SPREAD_TEST_CPPFLAGS)
tests_unit_test_lib_api_CFLAGS = $(SPREAD_TEST_CFLAGS)
tests_unit_test_lib_api_LDADD = libspread/libspread.la $(CHECK_LIBS)

tests_unit_test_lib_recv_SOURCES = tests/unit/test_lib_recv.c \
	tests/unit/test_lib_fake.c tests/unit/test_lib_fake.h
tests_unit_test_lib_recv_CPPFLAGS = $(SPREAD_TEST_CPPFLAGS)
tests_unit_test_lib_recv_CFLAGS = $(SPREAD_TEST_CFLAGS)
tests_unit_test_lib_recv_LDADD = libspread/libspread.la $(CHECK_LIBS)

tests_conformance_test_lib_vectors_SOURCES = \
	tests/conformance/test_lib_vectors.c \
	tests/unit/test_lib_replay.c tests/unit/test_lib_replay.h \
	tests/unit/test_lib_fake.c tests/unit/test_lib_fake.h
tests_conformance_test_lib_vectors_CPPFLAGS = $(SPREAD_TEST_CPPFLAGS)
tests_conformance_test_lib_vectors_CFLAGS = $(SPREAD_TEST_CFLAGS)
tests_conformance_test_lib_vectors_LDADD = libspread/libspread.la \
	tests/lib/libtesthelp.la $(CHECK_LIBS)
endif
