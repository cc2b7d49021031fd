# SPDX-License-Identifier: BSD-2-Clause
# daemon/conf.mk: the configuration module (spread.conf -> struct conf),
# its Check suite, and the fuzz replay driver's dependency on it. Included
# by the top-level Makefile.am.

noinst_LTLIBRARIES += daemon/libconf.la
daemon_libconf_la_SOURCES = daemon/conf.c daemon/conf.h \
	daemon/conf_lex.c daemon/conf_lex.h \
	daemon/conf_check.c daemon/conf_sys.c daemon/conf_int.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_conf
TESTS += tests/unit/test_conf
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c \
	tests/unit/test_conf_rules.c tests/unit/test_conf.h
tests_unit_test_conf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon \
	-DCONF_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_conf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_conf_LDADD = daemon/libconf.la $(CHECK_LIBS)
endif

EXTRA_DIST += tests/fixtures/conf
