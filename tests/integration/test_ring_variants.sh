#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# Integration: the ring in the two shapes test_ring.sh does not run, on
# real daemons on 127.0.x.y (no privileges):
#   accelerated  three daemons of one segment with AcceleratedRing = true
#                (ring.md §7: tokens passed before the new packets);
#   segments     four daemons in two segments (two each: wide-area
#                timeouts, data routed to the other segment through its
#                first daemon, rule 14; JOINs unicast across segments).
# In each, an evsclient on every daemon sends SAFE, AGREED and FIFO
# messages while the last daemon is killed with SIGKILL and started
# again (a new client joins on it); the clients' logs are checked with
# evscheck (ring.md §15). Every process is stopped by pid.
set -u
. "${top_srcdir:-.}/tests/lib/daemon.sh"
. "${top_srcdir:-.}/tests/lib/ring.sh"

evsclient=$top_builddir/tests/lib/evsclient
evscheck=$top_builddir/tests/evscheck

# client NAME K: an evsclient on daemon nK, sending until told to stop.
client() { ring_client "$1" "$port@$(ring_addr "$2")" 1 "$run"; }

# variant NAME N SEGMENTS EXTRA: the scenario on a ring of N daemons.
variant() {
    local name=$1 n=$2 segs=$3 extra=$4 k c last t0
    run=$work/$name
    logs=$run/logs
    mkdir -p "$logs"
    faults=$logs/run.faults
    : > "$faults"
    ring_pick_port || { echo "no free port"; exit 99; }
    ring_conf "$n" "$extra" "$segs"
    for k in $(seq 1 "$n"); do
        : > "$work/n$k.log"
        ring_start "$k" || { echo "n$k did not start"; exit 99; }
    done
    for k in $(seq 1 "$n"); do
        ring_wait_members "$k" "$n" 30 || { fail "$name: n$k: no ring of $n"; return; }
    done
    ok "$name: a ring of $n"
    for k in $(seq 1 "$n"); do client "c$k" "$k"; done
    for k in $(seq 1 "$n"); do
        ring_wait_view "c$k" "$n" 30 || fail "$name: c$k view of $n"
    done
    for k in $(seq 1 "$n"); do
        ring_wait_more "c$k" MSG 30 20 || fail "$name: c$k receives"
    done

    last=$n
    echo "$(now_ms) CRASH n$last" >> "$faults"
    t0=$(now_ms)
    kill -9 "${ring_pid[$last]}"
    for k in $(seq 1 $((n - 1))); do
        ring_wait_view "c$k" $((n - 1)) 15 || fail "$name: c$k view after the crash"
    done
    ok "$name: views without n$last after $(( $(now_ms) - t0 )) ms"
    wait_exit "${cpid[c$last]}" 10 || fail "$name: c$last still runs"
    for k in $(seq 1 $((n - 1))); do
        ring_wait_more "c$k" MSG 30 20 || fail "$name: c$k receives after the crash"
    done

    echo "$(now_ms) RESTART n$last" >> "$faults"
    ring_start "$last" || fail "$name: n$last restart"
    for k in $(seq 1 "$n"); do
        ring_wait_members "$k" "$n" 30 || fail "$name: n$k: no ring of $n after the restart"
    done
    client "c${last}b" "$last"
    ring_wait_view c1 "$n" 30 && ring_wait_view "c${last}b" "$n" 30 &&
        ok "$name: a client of the restarted n$last joined" || fail "$name: c${last}b view"
    for c in $(seq -f 'c%g' 1 $((n - 1))) "c${last}b"; do
        ring_wait_more "$c" MSG 30 20 || fail "$name: $c receives at the end"
    done

    ring_end_clients "$run" "$name: " $(seq -f 'c%g' 1 $((n - 1))) "c${last}b"
    for k in $(seq 1 "$n"); do
        kill -9 "${ring_pid[$k]}" 2>/dev/null
        wait_exit "${ring_pid[$k]}" 10
    done
}

variant accelerated 3 "3" "AcceleratedRing = true"
grep -q 'accelerated ring' "$work/n1.log" && ok "accelerated: the daemons say so" ||
    fail "accelerated: the log does not name the accelerated ring"
variant segments 4 "2 2" ""
grep -q 'wide area' "$work/n1.log" && ok "segments: wide-area timeouts" ||
    fail "segments: not in wide-area mode"

[ $fails -eq 0 ] || exit 1
exit 0
