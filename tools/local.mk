# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
# tools/: the bundled clients (spuser, sptuser, spflooder), thin programs
# over the shared libspread. sptuser is spuser.c built with a reader thread.

bin_PROGRAMS += tools/spuser tools/sptuser tools/spflooder

tools_spuser_SOURCES = tools/spuser.c
tools_spuser_LDADD = libspread/libspread.la

tools_sptuser_SOURCES = tools/spuser.c
tools_sptuser_CPPFLAGS = $(AM_CPPFLAGS) -DSPTUSER
tools_sptuser_LDADD = libspread/libspread.la

tools_spflooder_SOURCES = tools/spflooder.c
tools_spflooder_LDADD = libspread/libspread.la
