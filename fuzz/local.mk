# SPDX-License-Identifier: BSD-2-Clause
# fuzz: libFuzzer targets (built with --enable-fuzzers and CC=clang) and
# their replay drivers, which run the same target code over the fixtures
# and seed corpora in every `make check`, with no libFuzzer needed.
#
#   ./configure CC=clang --enable-fuzzers && make fuzz/fuzz_conf
#   fuzz/fuzz_conf -dict=$(srcdir)/fuzz/conf.dict fuzz/corpus/conf

EXTRA_DIST += fuzz/corpus fuzz/conf.dict

check_PROGRAMS += fuzz/replay_conf
TESTS += fuzz/replay_conf
fuzz_replay_conf_SOURCES = fuzz/fuzz_conf.c fuzz/replay_conf.c
fuzz_replay_conf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon \
	-DFUZZ_TOP_SRCDIR='"$(abs_top_srcdir)"'
fuzz_replay_conf_LDADD = daemon/libconf.la

if ENABLE_FUZZERS
noinst_PROGRAMS += fuzz/fuzz_conf
# The parser sources are compiled into the target itself so that they get
# libFuzzer's coverage instrumentation.
fuzz_fuzz_conf_SOURCES = fuzz/fuzz_conf.c $(daemon_libconf_la_SOURCES)
fuzz_fuzz_conf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
fuzz_fuzz_conf_CFLAGS = $(AM_CFLAGS) -g -fsanitize=fuzzer,address,undefined
fuzz_fuzz_conf_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
endif

# The daemon's client-frame decoder (daemon/frame.c).
EXTRA_DIST += fuzz/corpus/frame
check_PROGRAMS += fuzz/replay_frame
TESTS += fuzz/replay_frame
fuzz_replay_frame_SOURCES = fuzz/fuzz_frame.c fuzz/replay_frame.c
fuzz_replay_frame_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
fuzz_replay_frame_LDADD = daemon/libdaemon.la tests/lib/libtesthelp.la

if ENABLE_FUZZERS
noinst_PROGRAMS += fuzz/fuzz_frame
fuzz_fuzz_frame_SOURCES = fuzz/fuzz_frame.c daemon/frame.c
fuzz_fuzz_frame_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
fuzz_fuzz_frame_CFLAGS = $(AM_CFLAGS) -g -fsanitize=fuzzer,address,undefined
fuzz_fuzz_frame_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
endif

# The daemon packet codec and reassembler (daemon/ring/pkt.c, frag.c).
EXTRA_DIST += fuzz/corpus/pkt
check_PROGRAMS += fuzz/replay_pkt
TESTS += fuzz/replay_pkt
fuzz_replay_pkt_SOURCES = fuzz/fuzz_pkt.c fuzz/replay_pkt.c \
	tests/lib/ringvec.c tests/lib/ringvec.h
fuzz_replay_pkt_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
fuzz_replay_pkt_LDADD = daemon/libdaemon.la tests/lib/libtesthelp.la

if ENABLE_FUZZERS
noinst_PROGRAMS += fuzz/fuzz_pkt
fuzz_fuzz_pkt_SOURCES = fuzz/fuzz_pkt.c daemon/ring/pkt.c \
	daemon/ring/pkt_eq.c daemon/ring/pkt_groups.c daemon/ring/frag.c
fuzz_fuzz_pkt_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
fuzz_fuzz_pkt_CFLAGS = $(AM_CFLAGS) -g -fsanitize=fuzzer,address,undefined
fuzz_fuzz_pkt_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
endif

# What scripts/fuzz builds.
fuzz-targets:
if ENABLE_FUZZERS
	$(MAKE) $(AM_MAKEFLAGS) fuzz/fuzz_conf$(EXEEXT) fuzz/fuzz_frame$(EXEEXT) \
	  fuzz/fuzz_pkt$(EXEEXT)
else
	@echo "configure with CC=clang --enable-fuzzers to build the fuzz targets"; exit 1
endif
.PHONY: fuzz-targets
