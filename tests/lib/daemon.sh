# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# Sourced by the shell integration tests: a private work directory, a
# daemon on a free port, deadline waits, and cleanup of every process the
# test started (by pid, in `pids`). The caller sets `set -u` and may add
# configuration lines in `extra_conf` before start_daemon.

# The daemons started here must not report readiness to whatever service
# manager runs the test.
unset NOTIFY_SOCKET
top_builddir=${top_builddir:-.}
sockdir=$(sed -n 's/^#define SP_UNIX_SOCKET "\(.*\)"$/\1/p' "$top_builddir/config.h")
work=$(mktemp -d /tmp/cohort-test-XXXXXX)
pids=()
fails=0
extra_conf=
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# Wait (deadline in seconds) until a file contains a line with fixed text.
wait_for() {
    local end=$((SECONDS + $3))
    until grep -qF -- "$2" "$1" 2>/dev/null; do
        if [ $SECONDS -ge $end ]; then
            echo "---- $1 (waiting for '$2'):"; cat "$1"; return 1
        fi
        sleep 0.02
    done
}

# Wait until a process has exited; its status in `waited_status`.
wait_exit() { # pid seconds
    local end=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.02
    done
    wait "$1" 2>/dev/null
    waited_status=$?
    return 0
}

# Started as root, the daemon must be given an account to switch to, and
# a root directory; the work directory serves (nobody may write in it).
root_keys=
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    chmod 777 "$work"
    root_keys="RuntimeDir = \"$work\"
DaemonUser = nobody
DaemonGroup = $(id -gn nobody)"
fi
# Inside the chroot there is no /proc, without which LeakSanitizer fails
# at exit (status 1) in a sanitizer build; leaks are checked by the tests
# that do not chroot.
if [ -n "$root_keys" ]; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi

# write_conf PORT: the configuration of a one-daemon segment on PORT.
write_conf() {
    cat > "$work/spread.conf" <<CONF
Spread_Segment 127.0.0.255:$1 {
    localhost 127.0.0.1
}
UnixSocketDir = "$sockdir"
$root_keys
$extra_conf
CONF
}

# start_daemon [ARGS...]: a daemon on a port below the ephemeral range (so
# no client connection holds it) whose unix socket name is unused, retried
# if it cannot bind; ready once it printed its first membership, the last
# line of start-up (after the privilege drop). Sets port, dpid, dlog.
start_daemon() {
    local p tries=0 low
    low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    dlog=$work/daemon.log
    for p in $(seq $((12000 + ($$ * 2 + RANDOM * 2) % (low - 14000))) 2 $((low - 2))); do
        [ -e "$sockdir/$p" ] && continue
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
        port=$p
        write_conf "$port"
        : > "$dlog"
        "$top_builddir/daemon/spread" -n localhost -c "$work/spread.conf" "$@" > "$dlog" 2>&1 &
        dpid=$!
        pids+=($dpid)
        local end=$((SECONDS + 10))
        while [ $SECONDS -lt $end ]; do
            grep -qF "Membership id is" "$dlog" "$work"/log/*.log 2>/dev/null && return 0
            kill -0 $dpid 2>/dev/null || break
            sleep 0.02
        done
        kill $dpid 2>/dev/null; wait $dpid 2>/dev/null
        tries=$((tries + 1))
        [ $tries -lt 5 ] || break
    done
    cat "$dlog"
    return 1
}
