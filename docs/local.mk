# SPDX-License-Identifier: BSD-2-Clause
# docs/: man pages, the sample configuration, and the design notes.
man_MANS += docs/man/spread.1 docs/man/spuser.1 docs/man/sptuser.1 \
	docs/man/spflooder.1
EXTRA_DIST += $(man_MANS) docs/design.md docs/protocol.md docs/daemon.md \
	docs/spread.conf.sample scripts/common.sh scripts/demo scripts/check \
	scripts/check-tsan scripts/fuzz .ci/run

# The sample configuration is installed as <sysconfdir>/spread.conf, but
# never over an existing one.
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(sysconfdir)'
	test -f '$(DESTDIR)$(sysconfdir)/spread.conf' || \
	  $(INSTALL_DATA) '$(srcdir)/docs/spread.conf.sample' '$(DESTDIR)$(sysconfdir)/spread.conf'

uninstall-local:
	-cmp -s '$(srcdir)/docs/spread.conf.sample' '$(DESTDIR)$(sysconfdir)/spread.conf' && \
	  rm -f '$(DESTDIR)$(sysconfdir)/spread.conf'
