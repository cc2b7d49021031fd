#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# Integration: spuser, sptuser, spflooder, splifecycle and flush_user against a real
# daemon, driven through pipes the way test harnesses drive them, checking
# the exact lines scripts parse (tools.md). Every process started here is
# stopped by pid.
set -u
. "${top_srcdir:-.}/tests/lib/daemon.sh"
start_daemon || { echo "daemon did not start"; exit 99; }

# start_user NAME PROGRAM SPREADNAME: a client reading commands from a fifo.
start_user() {
    mkfifo "$work/$1.in"
    "$top_builddir/tools/$2" -u "$1" -s "$3" < "$work/$1.in" > "$work/$1.out" 2>&1 &
    pids+=($!)
    eval "exec {fd_$1}>\"$work/$1.in\""
}
say() { local fd="fd_$1"; shift; printf '%s\n' "$@" >&"${!fd}"; }

start_user alice spuser "$port"
start_user bob sptuser "$port@127.0.0.1"
wait_for "$work/alice.out" "User: connected to $port with private group #alice#localhost" 10 || fail "spuser connect line"
wait_for "$work/bob.out" "User: connected to $port@127.0.0.1 with private group #bob#localhost" 10 || fail "sptuser connect line"

say alice "j grp"
wait_for "$work/alice.out" "Received REGULAR membership for group grp with 1 members, where I am member 0:" 10 &&
    wait_for "$work/alice.out" "Due to the JOIN of #alice#localhost" 5 && ok "join block" || fail "join block"
grep -qE '^grp id is -?[0-9]+ -?[0-9]+ 1$' "$work/alice.out" && ok "grp id line" || fail "grp id line"
grep -qP '^\t#alice#localhost$' "$work/alice.out" && ok "member line" || fail "member line"

say bob "j grp"
wait_for "$work/alice.out" "Received REGULAR membership for group grp with 2 members, where I am member 0:" 10 || fail "second join"
wait_for "$work/bob.out" "where I am member 1:" 10 || fail "sptuser join block"

say alice "s grp" "hello bob"
wait_for "$work/bob.out" "received SAFE message from #alice#localhost, of type 1, (endian 0) to 1 groups " 10 &&
    wait_for "$work/bob.out" "(10 bytes): hello bob" 5 && ok "message block" || fail "message block"

say bob "b grp" "64"
wait_for "$work/bob.out" "sending 10 messages of 64 bytes" 10 || fail "burst line"
wait_for "$work/alice.out" "received FIFO message from #bob#localhost, of type 2, (endian 0) to 1 groups " 10 &&
    ok "burst received" || fail "burst received"

say alice "l grp"
wait_for "$work/alice.out" "received membership message that left group grp" 10 && ok "self-leave line" || fail "self-leave line"
wait_for "$work/bob.out" "Due to the LEAVE of #alice#localhost" 10 || fail "leave seen by others"

say alice "p"
wait_for "$work/alice.out" "Polling sais: 0" 10 && ok "poll line" || fail "poll line"
say alice "x"
wait_for "$work/alice.out" "Unknown commnad" 10 && ok "unknown command" || fail "unknown command"

say bob "q"
wait_for "$work/bob.out" "Bye." 10 && ok "quit" || fail "quit"
say alice "q"
wait_for "$work/alice.out" "Bye." 10 || fail "quit alice"

# Connection errors print the library's line and exit 0.
out=$("$top_builddir/tools/spuser" -u "a#b" -s "$port" </dev/null 2>&1); rc=$?
case "$out" in *"SP_error: (-5) Connection rejected, illegal name."*) [ $rc -eq 0 ] && ok "illegal name" || fail "exit status $rc";; *) fail "illegal name: $out";; esac

# spflooder: a full run with its completion and throughput lines.
out=$(timeout 60 "$top_builddir/tools/spflooder" -s "$port" -m 3000 -b 200 2>&1); rc=$?
case "$out" in *"flooder: completed multicast of 3000 messages, 200 bytes each."*) [ $rc -eq 0 ] && ok "spflooder" || fail "spflooder status $rc";; *) fail "spflooder: $out";; esac
echo "$out" | grep -q 'msgs/s' && ok "spflooder throughput line" || fail "no throughput line"
out=$("$top_builddir/tools/spflooder" -b 0 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q '^Usage: spflooder' && ok "spflooder -b check" || fail "spflooder -b 0: $rc"

# splifecycle: the lifecycle walk over the unix socket and TCP. Every step
# line must end in "ok", the fork child must report, and the status be 0.
for sp in "$port" "$port@127.0.0.1"; do
    out=$(timeout 120 "$top_builddir/tools/splifecycle" -s "$sp" 2>&1); rc=$?
    bad=0
    for n in 1 2 3 4 5 6 7; do
        echo "$out" | grep -qE "^$n\. .* \.\.\. ok\$" || { fail "splifecycle -s $sp: step $n not ok"; bad=1; }
    done
    for line in "child: SP_kill(B = " "B among them" "child: multicast on C and received it back: yes" \
                "splifecycle: all 7 steps ok"; do
        echo "$out" | grep -qF -- "$line" || { fail "splifecycle -s $sp: no '$line'"; bad=1; }
    done
    [ $rc -eq 0 ] || { fail "splifecycle -s $sp: exit status $rc"; bad=1; }
    [ $bad -eq 0 ] && ok "splifecycle -s $sp" || echo "$out"
done
out=$(timeout 120 "$top_builddir/tools/splifecycle" -q -s "$port" -u lcq -g lc-quiet 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$out" = "splifecycle: all 7 steps ok" ] && ok "splifecycle -q" || fail "splifecycle -q: $rc: $out"
# No daemon there: step 1 fails, status 1, no hang.
out=$(timeout 60 "$top_builddir/tools/splifecycle" -q -s 1 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q '^splifecycle: FAILED (1 step): step 1: ' && ok "splifecycle without a daemon" ||
    fail "splifecycle without a daemon: $rc: $out"

# flush_user: a flush round driven by hand (flush.md section 11). fa is a
# member when fb joins: fa gets the flush request, sends in the old view,
# flushes, and only then do both get the view; fb never sees the old view's
# message. Every `r` is one FL_receive, so each step waits for its line.
start_user fa flush_user "$port"
start_user fb flush_user "$port@127.0.0.1"
wait_for "$work/fa.out" "Flush library version is 2.0.0" 10 && ok "flush_user version line" || fail "flush_user version line"
wait_for "$work/fa.out" "User: connected to $port with private group #fa#localhost" 10 || fail "flush_user connect line"
wait_for "$work/fb.out" "User: connected to $port@127.0.0.1 with private group #fb#localhost" 10 || fail "flush_user connect line (TCP)"

say fa "j fg" "r"
wait_for "$work/fa.out" "Received REGULAR membership for group fg with 1 members, where I am member 0:" 10 &&
    wait_for "$work/fa.out" "Due to the JOIN of #fa#localhost" 5 &&
    wait_for "$work/fa.out" "There are 0 buffered messages waiting to be delivered" 5 &&
    ok "flush_user first view" || fail "flush_user first view"
grep -qE '^grp id is -?[0-9]+ -?[0-9]+ -?[0-9]+$' "$work/fa.out" && ok "flush_user grp id line" || fail "flush_user grp id line"

# fb's layer answers the round by itself inside its (blocking) receive.
say fb "j fg" "r"
say fa "r"
wait_for "$work/fa.out" "received a FLUSH_REQ message for group fg" 10 && ok "flush request" || fail "flush request"
say fa "s fg" "old view text"
wait_for "$work/fa.out" "'old view text" 10 && ok "flush_user send echo" || fail "flush_user send echo"
say fa "f fg"
wait_for "$work/fa.out" "Sent a FLUSH_OK message to group 'fg'" 10 && ok "flush line" || fail "flush line"
say fa "r" "r"
wait_for "$work/fa.out" "received SAFE message from #fa#localhost, of type 1, (endian 0) to 1 groups " 10 &&
    wait_for "$work/fa.out" "(14 bytes): old view text" 5 && ok "old-view message before the view" ||
    fail "old-view message before the view"
wait_for "$work/fa.out" "Received REGULAR membership for group fg with 2 members, where I am member 0:" 10 &&
    wait_for "$work/fa.out" "Due to the JOIN of #fb#localhost" 5 && ok "view after the flush" || fail "view after the flush"
wait_for "$work/fb.out" "Received REGULAR membership for group fg with 2 members, where I am member 1:" 10 &&
    ok "joiner's first view" || fail "joiner's first view"
grep -qF "old view text" "$work/fb.out" && fail "the joiner saw an old-view message" || ok "joiner sees no old-view message"

# New-view traffic, a subgroup cast, poll.
say fb "s fg" "hello fa"
say fa "r"
wait_for "$work/fa.out" "received SAFE message from #fb#localhost, of type 1, (endian 0) to 1 groups " 10 &&
    ok "message in the new view" || fail "message in the new view"
say fa "g fg" "1" "#fb#localhost" "sub text"
say fb "r" "r"
wait_for "$work/fb.out" "received SAFE message from #fa#localhost, of type 0, (endian 0) to 2 groups " 10 &&
    wait_for "$work/fb.out" "Received a subgroupcast message to group fg: receivers:" 5 &&
    ok "subgroup cast lines" || fail "subgroup cast lines"
grep -qP '^\t#fb#localhost$' "$work/fb.out" && ok "subgroup receiver line" || fail "subgroup receiver line"
say fa "p"
wait_for "$work/fa.out" "Polling says: " 10 && ok "flush_user poll line" || fail "flush_user poll line"

# fb leaves: fb gets its confirmation; fa the request, then the
# transitional signal (queued behind it), and after its flush the view.
say fb "l fg" "r"
wait_for "$work/fb.out" "received membership message that left group fg" 10 && ok "flush self-leave line" || fail "flush self-leave line"
say fa "r"
wait_for "$work/fa.out" "There are 1 buffered messages waiting to be delivered" 10 && ok "request with a signal queued" ||
    fail "request with a signal queued"
say fa "r"
wait_for "$work/fa.out" "received TRANSITIONAL membership for group fg" 10 && ok "transitional signal" || fail "transitional signal"
say fa "f fg" "r"
wait_for "$work/fa.out" "Received REGULAR membership for group fg with 1 members, where I am member 0:" 10 &&
    wait_for "$work/fa.out" "Due to the LEAVE of #fb#localhost" 5 && ok "view after the leave" || fail "view after the leave"

say fb "q"
wait_for "$work/fb.out" "Calling FL_disconnect(mbox = " 10 && ok "flush_user quit" || fail "flush_user quit"
# A flush without a request is an error that ends the program.
say fa "f fg"
wait_for "$work/fa.out" "FL_error: (-27) Function call peformed in a prohibited state." 10 &&
    wait_for "$work/fa.out" "Calling FL_disconnect(mbox = " 5 && ok "flush error exits" || fail "flush error exits"
out=$("$top_builddir/tools/flush_user" -x 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '^Usage: flush_user' && ok "flush_user usage" || fail "flush_user usage: $rc"
out=$("$top_builddir/tools/flush_user" -u 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '^Usage: flush_user' && ok "flush_user missing value" || fail "flush_user -u: $rc"

kill -0 $dpid 2>/dev/null && ok "daemon alive" || fail "daemon died"
[ $fails -eq 0 ] && exit 0 || exit 1
