# SPDX-License-Identifier: BSD-2-Clause
# daemon/: the spread daemon. Every module except main.c goes into a
# convenience library so that the unit suites link exactly the modules
# they test; the configuration parser is daemon/libconf.la (daemon/conf.mk).

noinst_LTLIBRARIES += daemon/libdaemon.la
daemon_libdaemon_la_SOURCES = \
	daemon/actlog.c daemon/actlog.h \
	daemon/auth.c daemon/auth.h \
	daemon/daemon.c daemon/daemon.h \
	daemon/clock.c daemon/clock.h \
	daemon/deliver.c daemon/deliver.h \
	daemon/ev.c daemon/ev.h \
	daemon/frame.c daemon/frame.h \
	daemon/groups.c daemon/groups.h \
	daemon/gstate.c daemon/gstate.h \
	daemon/hmap.c daemon/hmap.h \
	daemon/log.c daemon/log.h \
	daemon/dirpath.c daemon/dirpath.h \
	daemon/memb.c daemon/memb.h \
	daemon/msg.c daemon/msg.h \
	daemon/net.c daemon/net.h daemon/net_udp.c daemon/net_udp.h \
	daemon/net_fake.c daemon/net_fake.h \
	daemon/notify.c daemon/notify.h \
	daemon/order.c daemon/order.h daemon/order_int.h daemon/order_ring.c \
	daemon/priv.c daemon/priv.h \
	daemon/rmsg.c daemon/rmsg.h \
	daemon/sess.c daemon/sess.h daemon/sess_int.h \
	daemon/sess_hs.c daemon/sess_io.c daemon/sess_accept.c \
	daemon/siphash.c daemon/siphash.h

sbin_PROGRAMS += daemon/spread
daemon_spread_SOURCES = daemon/main.c
daemon_spread_LDADD = daemon/libdaemon.la daemon/libconf.la

if HAVE_CHECK
DAEMON_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
DAEMON_TEST_LIBS = daemon/libdaemon.la $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test_memb tests/unit/test_groups \
	tests/unit/test_order tests/unit/test_sess_hs tests/unit/test_auth \
	tests/unit/test_ev tests/unit/test_sess tests/unit/test_notify \
	tests/unit/test_hmap tests/unit/test_rmsg \
	tests/unit/test_clock tests/unit/test_actlog \
	tests/unit/test_net \
	tests/unit/test_deliver \
	tests/unit/test_gstate
TESTS += tests/unit/test_memb tests/unit/test_groups \
	tests/unit/test_order tests/unit/test_sess_hs tests/unit/test_auth \
	tests/unit/test_ev tests/unit/test_sess tests/unit/test_notify \
	tests/unit/test_hmap tests/unit/test_rmsg \
	tests/unit/test_clock tests/unit/test_actlog \
	tests/unit/test_net \
	tests/unit/test_deliver \
	tests/unit/test_gstate

tests_unit_test_rmsg_SOURCES = tests/unit/test_rmsg.c
tests_unit_test_rmsg_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_rmsg_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_rmsg_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_memb_SOURCES = tests/unit/test_memb.c
tests_unit_test_memb_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_memb_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_memb_LDADD = daemon/libdaemon.la tests/lib/libtesthelp.la $(CHECK_LIBS)

tests_unit_test_groups_SOURCES = tests/unit/test_groups.c \
	tests/lib/flood_names.c tests/lib/flood_names.h
tests_unit_test_groups_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_groups_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_groups_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_order_SOURCES = tests/unit/test_order.c
tests_unit_test_order_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_order_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_order_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_sess_hs_SOURCES = tests/unit/test_sess_hs.c
tests_unit_test_sess_hs_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_sess_hs_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_sess_hs_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_auth_SOURCES = tests/unit/test_auth.c
tests_unit_test_auth_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_auth_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_auth_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_ev_SOURCES = tests/unit/test_ev.c
tests_unit_test_ev_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_ev_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ev_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_sess_SOURCES = tests/unit/test_sess.c
tests_unit_test_sess_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_sess_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_sess_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_notify_SOURCES = tests/unit/test_notify.c
tests_unit_test_notify_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_notify_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_notify_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_hmap_SOURCES = tests/unit/test_hmap.c \
	tests/lib/flood_names.c tests/lib/flood_names.h
tests_unit_test_hmap_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_hmap_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_hmap_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_clock_SOURCES = tests/unit/test_clock.c
tests_unit_test_clock_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_clock_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_clock_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_actlog_SOURCES = tests/unit/test_actlog.c
tests_unit_test_actlog_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_actlog_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_actlog_LDADD = $(DAEMON_TEST_LIBS)

tests_unit_test_net_SOURCES = tests/unit/test_net.c
tests_unit_test_net_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_net_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_net_LDADD = daemon/libdaemon.la daemon/libconf.la \
	tests/lib/libtesthelp.la $(CHECK_LIBS)
tests_unit_test_gstate_SOURCES = tests/unit/test_gstate.c
tests_unit_test_gstate_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_gstate_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_gstate_LDADD = $(DAEMON_TEST_LIBS)

# deliver with fake sessions (the sess_* functions it calls are the
# test's own): built from the sources it needs, not from libdaemon.la.
tests_unit_test_deliver_SOURCES = tests/unit/test_deliver.c \
	daemon/deliver.c daemon/groups.c daemon/gstate.c daemon/memb.c \
	daemon/msg.c daemon/ev.c daemon/clock.c \
	daemon/hmap.c daemon/siphash.c \
	daemon/log.c daemon/dirpath.c daemon/ring/pkt.c daemon/ring/pkt_groups.c
tests_unit_test_deliver_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_deliver_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_deliver_LDADD = $(CHECK_LIBS)
endif
