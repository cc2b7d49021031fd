# SPDX-License-Identifier: BSD-2-Clause
# daemon/ring/: the daemon-to-daemon protocol (ring.md). Its modules join
# daemon/libdaemon.la; pkt is the packet codec, frag packs messages into
# data packets and reassembles them.

daemon_libdaemon_la_SOURCES += \
	daemon/ring/pkt.c daemon/ring/pkt_eq.c daemon/ring/pkt_groups.c \
	daemon/ring/pkt.h daemon/ring/pkt_int.h \
	daemon/ring/frag.c daemon/ring/frag.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_pkt tests/unit/test_pkt_groups \
	tests/unit/test_frag
TESTS += tests/unit/test_pkt tests/unit/test_pkt_groups tests/unit/test_frag
tests_unit_test_pkt_SOURCES = tests/unit/test_pkt.c tests/unit/test_pkt.h \
	tests/lib/ringvec.c tests/lib/ringvec.h
tests_unit_test_pkt_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_pkt_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_pkt_LDADD = daemon/libdaemon.la daemon/libconf.la \
	tests/lib/libtesthelp.la $(CHECK_LIBS)

tests_unit_test_pkt_groups_SOURCES = tests/unit/test_pkt_groups.c \
	tests/unit/test_pkt.h tests/lib/ringvec.c tests/lib/ringvec.h
tests_unit_test_pkt_groups_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_pkt_groups_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_pkt_groups_LDADD = daemon/libdaemon.la \
	tests/lib/libtesthelp.la $(CHECK_LIBS)

tests_unit_test_frag_SOURCES = tests/unit/test_frag.c \
	tests/lib/ringvec.c tests/lib/ringvec.h
tests_unit_test_frag_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_frag_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_frag_LDADD = daemon/libdaemon.la tests/lib/libtesthelp.la \
	$(CHECK_LIBS)
endif
