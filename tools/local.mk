# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
# tools/: the bundled clients (spuser, sptuser, spflooder, flush_user), thin
# programs over the shared libspread. sptuser is spuser.c built with a reader
# thread; flush_user is the interactive client of the flush layer (fl.h).
# splifecycle walks through the connection lifecycle (SP_init, SP_disconnect
# from another thread, the reuse guard, fork, SP_kill, SP_close).
# tools/libcli holds what the interactive tools share (cli.h).

bin_PROGRAMS += tools/spuser tools/sptuser tools/spflooder tools/splifecycle \
	tools/flush_user

noinst_LTLIBRARIES += tools/libcli.la
tools_libcli_la_SOURCES = tools/cli.c tools/cli.h

tools_spuser_SOURCES = tools/spuser.c
tools_spuser_LDADD = tools/libcli.la libspread/libspread.la

tools_sptuser_SOURCES = tools/spuser.c
tools_sptuser_CPPFLAGS = $(AM_CPPFLAGS) -DSPTUSER
tools_sptuser_LDADD = tools/libcli.la libspread/libspread.la

tools_spflooder_SOURCES = tools/spflooder.c
tools_spflooder_LDADD = libspread/libspread.la

tools_splifecycle_SOURCES = tools/splifecycle.c
tools_splifecycle_LDADD = libspread/libspread.la

tools_flush_user_SOURCES = tools/flush_user.c
tools_flush_user_LDADD = tools/libcli.la libspread/libspread.la
