# SPDX-License-Identifier: BSD-2-Clause
# daemon/ring/: the daemon-to-daemon protocol (ring.md). Its modules join
# daemon/libdaemon.la; pkt is the packet codec, frag packs messages into
# data packets and reassembles them.

daemon_libdaemon_la_SOURCES += \
	daemon/ring/pkt.c daemon/ring/pkt_eq.c daemon/ring/pkt.h

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_pkt
TESTS += tests/unit/test_pkt
tests_unit_test_pkt_SOURCES = tests/unit/test_pkt.c \
	tests/lib/ringvec.c tests/lib/ringvec.h
tests_unit_test_pkt_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_pkt_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_pkt_LDADD = daemon/libdaemon.la daemon/libconf.la \
	tests/lib/libtesthelp.la $(CHECK_LIBS)
endif
