# SPDX-License-Identifier: BSD-2-Clause
# dist/: what a service manager and a distribution need around the daemon:
# the systemd unit, the sysusers.d and tmpfiles.d files, and a logrotate
# snippet (installed by packages; see README, "For packagers").

# Paths in the unit are those of this build (make time, so that
# `make prefix=...` is honoured too).
dist/spread.service: $(srcdir)/dist/spread.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist && sed \
	    -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    -e 's|@unit_private_tmp[@]|$(unit_private_tmp)|g' \
	    -e 's|@unit_rw_paths[@]|$(unit_rw_paths)|g' \
	    $(srcdir)/dist/spread.service.in > $@.tmp && mv $@.tmp $@

CLEANFILES += dist/spread.service
EXTRA_DIST += dist/spread.service.in dist/spread.sysusers \
	dist/spread.tmpfiles dist/spread.logrotate

if INSTALL_UNIT
systemdsystemunit_DATA = dist/spread.service
else
noinst_DATA = dist/spread.service
endif

install-data-hook: install-dist-extras
uninstall-hook: uninstall-dist-extras
install-dist-extras:
if INSTALL_SYSUSERS
	$(MKDIR_P) '$(DESTDIR)$(sysusersdir)'
	$(INSTALL_DATA) '$(srcdir)/dist/spread.sysusers' '$(DESTDIR)$(sysusersdir)/spread.conf'
endif
if INSTALL_TMPFILES
	$(MKDIR_P) '$(DESTDIR)$(tmpfilesdir)'
	$(INSTALL_DATA) '$(srcdir)/dist/spread.tmpfiles' '$(DESTDIR)$(tmpfilesdir)/spread.conf'
endif
uninstall-dist-extras:
if INSTALL_SYSUSERS
	rm -f '$(DESTDIR)$(sysusersdir)/spread.conf'
endif
if INSTALL_TMPFILES
	rm -f '$(DESTDIR)$(tmpfilesdir)/spread.conf'
endif
.PHONY: install-dist-extras uninstall-dist-extras
