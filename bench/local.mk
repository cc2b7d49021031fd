# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
# bench/: benchmark programs and the script that runs them against a
# private daemon. The programs are EXTRA_PROGRAMS: built only by
# `make bench`, never by `make` or `make check`.
#
# EXTRA_PROGRAMS is set here with '=' because Makefile.am does not define
# it; a module included after this one may use '+='.

EXTRA_PROGRAMS = bench/latency bench/connect_join bench/rss_clients \
	bench/fairness bench/hash_flood bench/flush
bench_bins = bench/latency$(EXEEXT) bench/connect_join$(EXEEXT) \
	bench/rss_clients$(EXEEXT) bench/fairness$(EXEEXT) \
	bench/hash_flood$(EXEEXT) bench/flush$(EXEEXT)
CLEANFILES += $(bench_bins)

bench_common = bench/stats.c bench/stats.h
bench_latency_SOURCES = bench/latency.c $(bench_common)
bench_latency_LDADD = libspread/libspread.la
bench_connect_join_SOURCES = bench/connect_join.c $(bench_common)
bench_connect_join_LDADD = libspread/libspread.la
bench_rss_clients_SOURCES = bench/rss_clients.c $(bench_common)
bench_rss_clients_LDADD = libspread/libspread.la
bench_fairness_SOURCES = bench/fairness.c $(bench_common)
bench_fairness_LDADD = libspread/libspread.la
# The crafted names come from the generator the unit suites use.
bench_hash_flood_SOURCES = bench/hash_flood.c $(bench_common) \
	tests/lib/flood_names.c tests/lib/flood_names.h
bench_hash_flood_LDADD = libspread/libspread.la
# The flush layer (fl.h): throughput through a flush group, view changes.
bench_flush_SOURCES = bench/flush.c $(bench_common)
bench_flush_LDADD = libspread/libspread.la

EXTRA_DIST += bench/run.sh bench/cost.sh bench/ring.sh

# Needs the daemon and spflooder from this build tree. BENCH_QUICK=1 makes
# every measurement short (a smoke run, not figures to quote).
bench: $(bench_bins) tools/spflooder$(EXEEXT) daemon/spread$(EXEEXT)
	$(SHELL) $(srcdir)/bench/run.sh '$(abs_top_builddir)'

.PHONY: bench
