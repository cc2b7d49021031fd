#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# Integration: three evsclients on one real daemon join a group and
# exchange SAFE, AGREED and FIFO messages; one is killed with SIGKILL
# half-way; the others finish, drain and quit. evscheck must find their
# logs clean (with the self-delivery bound), and must reject the same
# logs once one delivery is removed. Every process is stopped by pid.
set -u
. "${top_srcdir:-.}/tests/lib/daemon.sh"
start_daemon || { echo "daemon did not start"; exit 99; }

evsclient=$top_builddir/tests/lib/evsclient
evscheck=$top_builddir/tests/evscheck
logs=$work/logs
mkdir -p "$logs"
N=60

# start_client NAME SERVICES: N messages at 60/s once all three joined.
start_client() {
    "$evsclient" -s "$port" -u "$1" -o "$logs/$1.log" -g evs -g other \
        -t evs -n $N -S "$2" -r 60 -m 3 -x "$work/stop" -w 15000 \
        > "$work/$1.out" 2>&1 &
    pids+=($!)
    eval "pid_$1=$!"
}
sends() { awk '/ SEND /{n++} END{print n+0}' "$logs/$1.log" 2>/dev/null || echo 0; }
# wait_sends NAME COUNT SECONDS
wait_sends() {
    local end=$((SECONDS + $3))
    until [ "$(sends "$1")" -ge "$2" ]; do
        [ $SECONDS -lt $end ] || { echo "---- $1.log:"; cat "$logs/$1.log"; return 1; }
        sleep 0.05
    done
}

start_client alpha SAFE,AGREED,FIFO
start_client bravo AGREED,FIFO,SAFE
start_client charlie FIFO,SAFE,AGREED

wait_for "$logs/alpha.log" "REG evs" 10 || fail "alpha joined"
wait_sends charlie $((N / 2)) 30 && ok "charlie sends" || fail "charlie sends"
kill -9 "$pid_charlie"
wait_exit "$pid_charlie" 10 || fail "charlie did not die"
ok "charlie killed with SIGKILL"

wait_sends alpha $N 60 && wait_sends bravo $N 60 && ok "all sent" || fail "sending"
wait_for "$logs/alpha.log" "DISCONNECT" 20 && ok "alpha saw the disconnect" || fail "no DISCONNECT view at alpha"
wait_for "$logs/bravo.log" "DISCONNECT" 20 || fail "no DISCONNECT view at bravo"
touch "$work/stop"
for n in alpha bravo; do
    eval "p=\$pid_$n"
    if wait_exit "$p" 30 && [ "$waited_status" -eq 0 ]; then
        ok "$n quit"
    else
        fail "$n exit (${waited_status:-timeout})"; cat "$work/$n.out"
    fi
    tail -n 1 "$logs/$n.log" | grep -q ' END quit$' || fail "$n: no END quit"
done
grep -q ' END ' "$logs/charlie.log" && fail "charlie's log has an END"
grep -q ' MSG evs #charlie#localhost SAFE ' "$logs/alpha.log" || fail "no SAFE from charlie at alpha"
grep -q ' MSG evs #bravo#localhost FIFO ' "$logs/alpha.log" || fail "no FIFO from bravo at alpha"

out=$("$evscheck" -d 10000 "$logs" 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] && echo "$out" | grep -q '^evscheck: 3 logs, .*: 0 violations$' &&
    ok "logs clean" || fail "evscheck on the logs: status $rc"

# The same logs with alpha missing one of bravo's messages: a gap, and
# alpha and bravo leave the view with different messages.
mkdir "$work/bad"
cp "$logs"/*.log "$work/bad/"
line=$(grep -n ' MSG evs #bravo#localhost ' "$work/bad/alpha.log" | sed -n '5s/:.*//p')
sed -i "${line}d" "$work/bad/alpha.log"
out=$("$evscheck" "$work/bad" 2>&1); rc=$?
echo "$out" | tail -n 3
[ $rc -eq 1 ] && echo "$out" | grep -q '^P8: ' && ok "a removed delivery is caught" ||
    fail "evscheck on the damaged logs: status $rc"

[ $fails -eq 0 ] || exit 1
exit 0
