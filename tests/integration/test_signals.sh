#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# Integration: what the daemon does on each signal (spread(8), SIGNALS),
# the log reopen logrotate relies on, -d and -p, -h and -V. Every daemon
# started here is stopped by pid; waits have deadlines.
set -u
. "${top_srcdir:-.}/tests/lib/daemon.sh"
spread=$top_builddir/daemon/spread

# --help and --version: stdout, status 0; a wrong option: stderr, status 1.
out=$("$spread" --help 2>/dev/null); st=$?
[ $st -eq 0 ] && echo "$out" | grep -q '^Usage: spread' && ok "--help" || fail "--help (status $st)"
out=$("$spread" -h 2>/dev/null); st=$?
[ $st -eq 0 ] && echo "$out" | grep -q '^Usage: spread' && ok "-h" || fail "-h (status $st)"
out=$("$spread" --version 2>/dev/null); st=$?
[ $st -eq 0 ] && [ "$out" = "spread (Cohort) $PACKAGE_VERSION, wire protocol 5.0.1" ] &&
    ok "--version" || fail "--version: status $st, '$out'"
"$spread" -x >/dev/null 2>"$work/err"; st=$?
[ $st -eq 1 ] && grep -q '^Usage: spread' "$work/err" && ok "wrong option" || fail "wrong option (status $st)"

# The log file, in a directory the daemon's account may write to (it must
# create the new file after a rotation, as root after the switch to
# nobody too).
mkdir -p "$work/log"
chmod 777 "$work/log"
extra_conf="EventLogFile = $work/log/spread.log"
start_daemon || { echo "daemon did not start"; exit 99; }
log=$work/log/spread.log

# SIGHUP after a rotation: a new file by the same name, the old one keeps
# what was written before, nothing lost or mixed.
mv "$log" "$log.1"
kill -HUP "$dpid"
wait_for "$log" "SIGHUP: log file $log reopened" 10 && ok "SIGHUP reopens the log" ||
    fail "SIGHUP did not reopen the log"
grep -qF "Membership id is" "$log.1" && ! grep -qF "reopened" "$log.1" &&
    ok "the rotated file keeps the earlier lines" || fail "rotated file contents"
kill -0 "$dpid" 2>/dev/null && ok "the daemon survives SIGHUP" || fail "SIGHUP killed the daemon"

# SIGHUP twice more in a row: still one file, still running.
kill -HUP "$dpid"; kill -HUP "$dpid"
wait_for "$log" "SIGHUP: log file" 10 || fail "second SIGHUP"
kill -0 "$dpid" 2>/dev/null || fail "repeated SIGHUP killed the daemon"

# SIGUSR1: a status line.
kill -USR1 "$dpid"
wait_for "$log" "status: 0 sessions open" 10 && ok "SIGUSR1 status line" || fail "SIGUSR1"

# Signals that used to kill the daemon without cleanup now stop it like
# SIGTERM: status 0, the unix socket removed, the signal named.
for sig in USR2 QUIT ALRM; do
    [ -e "$sockdir/$port" ] || fail "no socket $sockdir/$port before SIG$sig"
    kill -"$sig" "$dpid"
    if wait_exit "$dpid" 10; then
        [ "$waited_status" -eq 0 ] && ok "SIG$sig: clean exit" || fail "SIG$sig: status $waited_status"
    else
        fail "SIG$sig: still running"
    fi
    grep -qF "Spread daemon exiting normally!" "$log" || fail "SIG$sig: no exit line"
    [ -e "$sockdir/$port" ] && fail "SIG$sig: socket $sockdir/$port left behind"
    rm -f "$work"/log/*
    start_daemon || { echo "daemon did not restart"; exit 99; }
done

# -d and -p: the starting process returns once the daemon is ready; the pid
# file names the running daemon and is locked; a second daemon with the
# same pid file is refused; SIGTERM removes the file.
kill "$dpid"; wait_exit "$dpid" 10 || fail "SIGTERM"
rm -f "$work"/log/*
pidf=$work/log/spread.pid
"$spread" -n localhost -c "$work/spread.conf" -d -p "$pidf" > "$work/detach.out" 2>&1; st=$?
if [ $st -eq 0 ] && [ -s "$pidf" ]; then
    bg=$(cat "$pidf")
    pids+=("$bg")
    grep -qF "Membership id is" "$log" && ok "-d returns once ready" || fail "-d returned before the first membership"
    [ "$(cat /proc/"$bg"/comm 2>/dev/null)" = spread ] && ok "-p names the daemon" || fail "pid file holds $bg"
    [ "$(ps -o sid= -p "$bg" | tr -d ' ')" = "$bg" ] && ok "-d: a session of its own" || fail "-d: not a session leader"
    "$spread" -n localhost -c "$work/spread.conf" -p "$pidf" > "$work/second.out" 2>&1; st=$?
    [ $st -eq 1 ] && grep -q "held by a running daemon (pid $bg)" "$log" &&
        ok "a second daemon with the same pid file is refused" || fail "second daemon: status $st"
    [ "$(cat "$pidf")" = "$bg" ] || fail "the refused daemon changed the pid file"
    kill "$bg"
    # Not our child: wait until it is gone.
    end=$((SECONDS + 10))
    while kill -0 "$bg" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.02; done
    kill -0 "$bg" 2>/dev/null && fail "detached daemon did not stop"
    [ -e "$pidf" ] && fail "pid file left behind" || ok "pid file removed at exit"
else
    fail "-d -p: status $st"; cat "$work/detach.out"
fi

# A failing start with -d: the starting process says why and returns 1.
cp "$work/spread.conf" "$work/bad.conf"
echo "NoSuchKey = 1" >> "$work/bad.conf"
"$spread" -n localhost -c "$work/bad.conf" -d > "$work/bad.out" 2>&1; st=$?
[ $st -eq 1 ] && grep -q "bad.conf:" "$work/bad.out" && ok "-d: a failed start returns 1" ||
    fail "-d with a bad configuration: status $st"

# A privileged port for a daemon that is not root: the error says why.
# (As root, the daemon runs as nobody through setpriv for this check.)
printf 'Spread_Segment 127.0.0.255:%s {\n    localhost 127.0.0.1\n}\n' 1 > "$work/low.conf"
chmod 644 "$work/low.conf"
as_user=
if [ "$(id -u)" -eq 0 ]; then
    command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 &&
        as_user="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
fi
if [ "$(id -u)" -ne 0 ] || [ -n "$as_user" ]; then
    (cd "$work" && $as_user "$spread" -n localhost -c "$work/low.conf") > "$work/low.out" 2>&1; st=$?
    [ $st -eq 1 ] && grep -q "ports below 1024 need root or CAP_NET_BIND_SERVICE" "$work/low.out" &&
        ok "privileged port: the reason is given" || { fail "privileged port: status $st"; cat "$work/low.out"; }
else
    echo "SKIP part: root without setpriv or nobody, privileged-port message not checked"
fi

exit $((fails > 0))
