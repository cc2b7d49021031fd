# SPDX-License-Identifier: BSD-2-Clause
# docs/: man pages, the sample configuration, and the design notes.
man_MANS += docs/man/spread.1 docs/man/spread.conf.5 docs/man/spuser.1 \
	docs/man/sptuser.1 docs/man/spflooder.1 docs/man/splifecycle.1
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

man_MANS += docs/man/libspread.3 \
	docs/man/SP_close.3 \
	docs/man/SP_connect.3 \
	docs/man/SP_connect_timeout.3 \
	docs/man/SP_disconnect.3 \
	docs/man/SP_equal_group_ids.3 \
	docs/man/SP_error.3 \
	docs/man/SP_get_memb_info.3 \
	docs/man/SP_get_vs_sets_info.3 \
	docs/man/SP_get_vs_set_members.3 \
	docs/man/SP_init.3 \
	docs/man/SP_join.3 \
	docs/man/SP_kill.3 \
	docs/man/SP_leave.3 \
	docs/man/SP_multicast.3 \
	docs/man/SP_multigroup_multicast.3 \
	docs/man/SP_multigroup_scat_multicast.3 \
	docs/man/SP_poll.3 \
	docs/man/SP_receive.3 \
	docs/man/SP_scat_get_memb_info.3 \
	docs/man/SP_scat_get_vs_sets_info.3 \
	docs/man/SP_scat_get_vs_set_members.3 \
	docs/man/SP_scat_multicast.3 \
	docs/man/SP_scat_receive.3 \
	docs/man/SP_set_auth_method.3 \
	docs/man/SP_set_auth_methods.3 \
	docs/man/SP_strerror.3 \
	docs/man/SP_version.3
