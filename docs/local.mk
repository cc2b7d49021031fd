# SPDX-License-Identifier: BSD-2-Clause
# docs/: man pages, the sample configuration, and the design notes.
# The pages' sources are docs/man/*; what is installed is built into man/
# with this build's version and paths filled in.
man_MANS += man/spread.8 man/spread.1 man/spread.conf.5 man/spuser.1 \
	man/sptuser.1 man/spflooder.1 man/splifecycle.1 man/flush_user.1
EXTRA_DIST += $(man_MANS:man/%=docs/man/%) \
	docs/spread.conf.sample scripts/common.sh scripts/demo scripts/ring-demo scripts/check \
	scripts/check-tsan scripts/fuzz scripts/package .ci/run debian

# The sample configuration is installed as <sysconfdir>/spread.conf, but
# never over an existing one.
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(sysconfdir)'
	test -f '$(DESTDIR)$(sysconfdir)/spread.conf' || \
	  $(INSTALL_DATA) '$(srcdir)/docs/spread.conf.sample' '$(DESTDIR)$(sysconfdir)/spread.conf'

uninstall-local:
	-cmp -s '$(srcdir)/docs/spread.conf.sample' '$(DESTDIR)$(sysconfdir)/spread.conf' && \
	  rm -f '$(DESTDIR)$(sysconfdir)/spread.conf'

man_MANS += man/libspread.3 \
	man/SP_close.3 \
	man/SP_connect.3 \
	man/SP_connect_timeout.3 \
	man/SP_disconnect.3 \
	man/SP_equal_group_ids.3 \
	man/SP_error.3 \
	man/SP_get_memb_info.3 \
	man/SP_get_vs_sets_info.3 \
	man/SP_get_vs_set_members.3 \
	man/SP_init.3 \
	man/SP_join.3 \
	man/SP_kill.3 \
	man/SP_leave.3 \
	man/SP_multicast.3 \
	man/SP_multigroup_multicast.3 \
	man/SP_multigroup_scat_multicast.3 \
	man/SP_poll.3 \
	man/SP_receive.3 \
	man/SP_scat_get_memb_info.3 \
	man/SP_scat_get_vs_sets_info.3 \
	man/SP_scat_get_vs_set_members.3 \
	man/SP_scat_multicast.3 \
	man/SP_scat_receive.3 \
	man/SP_set_auth_method.3 \
	man/SP_set_auth_methods.3 \
	man/SP_strerror.3 \
	man/SP_version.3

# The event API of sp_events.h (one page, a link per function), and the
# two functions exported only for binary compatibility.
man_MANS += man/E_activate_fd.3 \
	man/E_add_time.3 \
	man/E_attach_fd.3 \
	man/E_compare_time.3 \
	man/E_deactivate_fd.3 \
	man/E_delay.3 \
	man/E_dequeue.3 \
	man/E_detach_fd.3 \
	man/E_detach_fd_priority.3 \
	man/E_exit_events.3 \
	man/E_exit_events_async_safe.3 \
	man/E_get_time.3 \
	man/E_get_time_monotonic.3 \
	man/E_handle_events.3 \
	man/E_in_queue.3 \
	man/E_init.3 \
	man/E_neg_time.3 \
	man/E_num_active.3 \
	man/E_queue.3 \
	man/E_set_active_threshold.3 \
	man/E_sub_time.3 \
	man/SP_query_groups.3 \
	man/SP_query_members.3 \
	man/sp_events.3

# The flush layer (fl.h): one page per group of calls, the others .so links.
man_MANS += man/FL_connect.3 \
	man/FL_disconnect.3 \
	man/FL_error.3 \
	man/FL_flush.3 \
	man/FL_get_gid_offset_memb_mess.3 \
	man/FL_get_num_vs_offset_memb_mess.3 \
	man/FL_get_vs_set_offset_memb_mess.3 \
	man/FL_join.3 \
	man/FL_leave.3 \
	man/FL_lib_init.3 \
	man/FL_more_msgs.3 \
	man/FL_multicast.3 \
	man/FL_poll.3 \
	man/FL_receive.3 \
	man/FL_scat_multicast.3 \
	man/FL_scat_receive.3 \
	man/FL_scat_subgroupcast.3 \
	man/FL_scat_unicast.3 \
	man/FL_subgroupcast.3 \
	man/FL_unicast.3 \
	man/FL_version.3

# Installed beside the README: what the man pages refer readers to.
dist_doc_DATA = README ChangeLog docs/daemon.md docs/design.md \
	docs/protocol.md docs/spread.conf.sample

man/%: $(srcdir)/docs/man/% Makefile
	$(AM_V_GEN)$(MKDIR_P) man && sed \
	    -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
	    -e 's|@MAN_DATE[@]|$(COHORT_RELEASE_DATE)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@docdir[@]|$(docdir)|g' \
	    -e 's|@unix_socket_dir[@]|$(unix_socket_dir)|g' \
	    $< > $@.tmp && mv $@.tmp $@

CLEANFILES += $(man_MANS)
