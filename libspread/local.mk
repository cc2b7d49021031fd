# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
# libspread: the client library. One set of objects (a convenience library)
# linked into the three installed libraries that upstream ships; all three
# are thread-safe. Only SP_* and E_* symbols are exported, and FL_* (the
# flush layer, libspread/flush/, its own convenience library) from
# libspread.so only, as upstream ships it.

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

# The flush layer (fl.h): built on the SP_* API above, linked into
# libspread.la only.
noinst_LTLIBRARIES += libspread/libspread-flush.la
libspread_libspread_flush_la_SOURCES = \
	libspread/flush/codec.c libspread/flush/codec.h \
	libspread/flush/engine.c libspread/flush/engine.h \
	libspread/flush/conn.c libspread/flush/conn.h \
	libspread/flush/api.c \
	libspread/flush/recv.c
libspread_libspread_flush_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/libspread

# current:revision:age. 4:0:1 = upstream's interface (3) plus SP_init and
# SP_close (4); age 1 keeps the soname libspread.so.3 that upstream
# programs are linked against. The core libraries stay there.
SPREAD_LIB_LDFLAGS = -version-info 4:0:1 -export-symbols-regex '^(SP_|E_)'
# libspread.so adds the 21 FL_* functions: one more interface (5), and
# age 2 so that the soname is still libspread.so.3 (current - age).
SPREAD_FL_LIB_LDFLAGS = -version-info 5:0:2 \
	-export-symbols-regex '^(SP_|E_|FL_)'

lib_LTLIBRARIES += libspread/libspread.la libspread/libspread-core.la \
	libspread/libtspread-core.la

libspread_libspread_la_SOURCES =
libspread_libspread_la_LIBADD = libspread/libspread-flush.la \
	libspread/libspread-impl.la
libspread_libspread_la_LDFLAGS = $(AM_LDFLAGS) $(SPREAD_FL_LIB_LDFLAGS)

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
	tests/conformance/test_lib_vectors \
	tests/unit/test_fl_codec tests/unit/test_fl_engine
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

# The flush layer: its codec alone, and its state machine (FL_receive and
# friends over the SP layer) against the scripted daemon of test_lib_fake.
# Both link the convenience libraries, for the internal headers and the
# seam that adopts a session made by SP_connect (flx_conn_create).
tests_unit_test_fl_codec_SOURCES = tests/unit/test_fl_codec.c
tests_unit_test_fl_codec_CPPFLAGS = $(SPREAD_TEST_CPPFLAGS)
tests_unit_test_fl_codec_CFLAGS = $(SPREAD_TEST_CFLAGS)
tests_unit_test_fl_codec_LDADD = libspread/libspread-flush.la \
	libspread/libspread-impl.la $(CHECK_LIBS)

tests_unit_test_fl_engine_SOURCES = tests/unit/test_fl_engine.c \
	tests/unit/test_lib_fake.c tests/unit/test_lib_fake.h
tests_unit_test_fl_engine_CPPFLAGS = $(SPREAD_TEST_CPPFLAGS)
tests_unit_test_fl_engine_CFLAGS = $(SPREAD_TEST_CFLAGS)
tests_unit_test_fl_engine_LDADD = libspread/libspread-flush.la \
	libspread/libspread-impl.la $(CHECK_LIBS)
endif
