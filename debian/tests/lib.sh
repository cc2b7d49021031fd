# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
# Shared by the package tests: start the installed daemon the way the
# system does (the systemd unit when systemd runs, else by hand as root,
# where it switches to the spread account inside /run/spread), wait for
# it with a deadline, and stop whatever was started.
set -eu
work=${AUTOPKGTEST_TMP:-$(mktemp -d)}
port=4803
started_by=
daemon_pid=

wait_for_socket() {
    local end=$((SECONDS + 20))
    until [ -S /run/spread/$port ]; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.1
    done
}

start_spread() {
    if [ -d /run/systemd/system ] && systemctl --version >/dev/null 2>&1; then
        systemctl restart spread.service
        started_by=systemd
        # Type=notify: restart returns once the daemon reported READY=1.
        systemctl is-active --quiet spread.service
        daemon_pid=$(systemctl show -p MainPID --value spread.service)
        echo "daemon started by systemd: pid $daemon_pid"
    else
        # No systemd here: what the unit's RuntimeDirectory would create.
        systemd-tmpfiles --create /usr/lib/tmpfiles.d/spread.conf 2>/dev/null ||
            install -d -o spread -g spread -m 0755 /run/spread
        # -d returns once the daemon is ready (privileges dropped), with
        # status 1 if it failed; the pid file is how it is stopped.
        if ! /usr/sbin/spread -c /etc/spread/spread.conf -d \
                -p /run/spread/spread.pid > "$work/spread.log" 2>&1; then
            cat "$work/spread.log"
            return 1
        fi
        daemon_pid=$(cat /run/spread/spread.pid)
        started_by=hand
        echo "daemon started by hand: pid $daemon_pid"
    fi
    if ! wait_for_socket; then
        echo "the daemon did not create /run/spread/$port"
        [ -f "$work/spread.log" ] && cat "$work/spread.log"
        return 1
    fi
}

stop_spread() {
    case $started_by in
    systemd) systemctl stop spread.service ;;
    hand)
        kill "$daemon_pid" 2>/dev/null || true
        local end=$((SECONDS + 10))
        while kill -0 "$daemon_pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
        if kill -0 "$daemon_pid" 2>/dev/null; then
            echo "the daemon did not stop on SIGTERM"
            kill -9 "$daemon_pid"
            return 1
        fi
        # Removed at exit: the daemon's account owns /run/spread.
        [ ! -e /run/spread/spread.pid ] || { echo "pid file left behind"; return 1; }
        ;;
    esac
    started_by=
}

# The account the daemon must run as, whoever started it.
check_daemon_user() {
    local user
    user=$(ps -o user= -p "$daemon_pid" | tr -d ' ')
    [ "$user" = spread ] || { echo "the daemon runs as '$user'"; return 1; }
    echo "ok: the daemon runs as spread"
}
