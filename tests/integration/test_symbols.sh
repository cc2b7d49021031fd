#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# The shared libraries as a dynamic linker sees them: upstream's sonames,
# every SP_* and E_* function upstream exports, nothing internal leaking
# out, and libc (plus pthread on old systems) as the only dependencies.
# The flush layer's FL_* functions are in libspread.so and in neither core
# library, as upstream ships them.
set -u
top_builddir=${top_builddir:-.}
command -v readelf >/dev/null && command -v nm >/dev/null || { echo "no binutils"; exit 77; }
fails=0
want="SP_init SP_version SP_set_auth_method SP_set_auth_methods SP_connect SP_connect_timeout
SP_disconnect SP_kill SP_close SP_join SP_leave SP_multicast SP_scat_multicast
SP_multigroup_multicast SP_multigroup_scat_multicast SP_receive SP_scat_receive
SP_get_memb_info SP_get_vs_sets_info SP_get_vs_set_members SP_scat_get_memb_info
SP_scat_get_vs_sets_info SP_scat_get_vs_set_members SP_poll SP_equal_group_ids
SP_strerror SP_error SP_query_groups SP_query_members
E_init E_get_time E_get_time_monotonic E_sub_time E_add_time E_neg_time
E_compare_time E_queue E_in_queue E_dequeue E_delay E_attach_fd E_detach_fd
E_detach_fd_priority E_set_active_threshold E_activate_fd E_deactivate_fd
E_num_active E_handle_events E_exit_events E_exit_events_async_safe"
want_fl="FL_lib_init FL_version FL_connect FL_disconnect FL_join FL_leave FL_flush
FL_unicast FL_scat_unicast FL_subgroupcast FL_scat_subgroupcast FL_multicast
FL_scat_multicast FL_receive FL_scat_receive FL_more_msgs FL_poll FL_error
FL_get_gid_offset_memb_mess FL_get_num_vs_offset_memb_mess
FL_get_vs_set_offset_memb_mess"
for lib in libspread libspread-core libtspread-core; do
    # libtool current:revision:age 5:0:2 for libspread (FL_*), 4:0:1 for
    # the core libraries: the same soname, different file names.
    file=$lib.so.3.1.0
    [ "$lib" = libspread ] && file=$lib.so.3.2.0
    so="$top_builddir/libspread/.libs/$file"
    [ -f "$so" ] || { echo "FAIL: $so missing"; fails=$((fails + 1)); continue; }
    soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$soname" = "$lib.so.3" ] || { echo "FAIL: $lib soname is '$soname'"; fails=$((fails + 1)); }
    syms=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDB]/ {print $3}')
    for s in $want; do
        echo "$syms" | grep -qx "$s" || { echo "FAIL: $lib does not export $s"; fails=$((fails + 1)); }
    done
    nfl=$(echo "$syms" | grep -c '^FL_' || true)
    if [ "$lib" = libspread ]; then
        for s in $want_fl; do
            echo "$syms" | grep -qx "$s" || { echo "FAIL: $lib does not export $s"; fails=$((fails + 1)); }
        done
        [ "$nfl" -eq 21 ] || { echo "FAIL: $lib exports $nfl FL_* symbols, not 21"; fails=$((fails + 1)); }
    else
        [ "$nfl" -eq 0 ] || { echo "FAIL: $lib exports FL_* symbols"; fails=$((fails + 1)); }
    fi
    extra=$(echo "$syms" | grep -Ev '^(SP_|E_|FL_)' | grep -Ev '^(_init|_fini|_edata|_end|__bss_start)$' || true)
    [ -z "$extra" ] || { echo "FAIL: $lib leaks internal symbols: $extra"; fails=$((fails + 1)); }
    deps=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -Ev '^(libc\.so\.6|libpthread\.so\.0)$' || true)
    [ -z "$deps" ] || { echo "FAIL: $lib needs $deps"; fails=$((fails + 1)); }
    echo "ok: $lib"
done
exit $((fails > 0))
