#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# Integration: a ring of three daemons in network namespaces of the
# test's own, joined by a bridge (in a namespace of its own), with a real
# broadcast segment (10.77.x.255, SegmentUnicast = off), as upstream's
# ring captures were made. An evsclient on every daemon sends SAFE, AGREED
# and FIFO messages while n3 is cut off the bridge (a partition) and put
# back (the heal), and then killed with SIGKILL. The clients' logs are
# checked with evscheck. Needs root and `ip netns`; otherwise it says why
# and exits 77 (skipped). Nothing outside its namespaces is touched.
set -u
. "${top_srcdir:-.}/tests/lib/daemon.sh"
. "${top_srcdir:-.}/tests/lib/ring.sh"
. "${top_srcdir:-.}/tests/lib/netns.sh"

skip() { echo "SKIP: test_ring_netns: $*"; exit 77; }
why=$(netns_why_not) || skip "$why"

tag=cr$$
net=10.77.$(( $$ % 200 + 20 ))
trap 'cleanup; netns_cleanup' EXIT
netns_setup "$tag" "$net" 3 || skip "$netns_error"

ring_evs_setup

port=4803
{
    echo "Spread_Segment $net.255:$port {"
    for k in 1 2 3; do echo "    n$k $net.$k"; done
    echo "}"
    echo "SegmentUnicast = off"
    echo "$root_keys"
} > "$work/ring.conf"
declare -A ring_pid
start() {
    mkdir -p "$work/n$1"; chmod 777 "$work/n$1"
    { cat "$work/ring.conf"; echo "UnixSocketDir = \"$work/n$1\""; } > "$work/n$1.conf"
    ip netns exec "$tag-$1" "$top_builddir/daemon/spread" -n "n$1" \
        -c "$work/n$1.conf" >> "$work/n$1.log" 2>&1 &
    ring_pid[$1]=$!
    pids+=($!)
}
for k in 1 2 3; do start $k; done
for k in 1 2 3; do
    ring_wait_members $k 3 20 && ok "n$k in a ring of 3 (broadcast segment)" || fail "n$k: no ring of 3"
done
[ $fails -eq 0 ] || exit 1

client() { # NAME K
    ring_client "$1" "$port@$net.$2" 3 "$work" ip netns exec "$tag-$2"
}
client c1 1; client c2 2; client c3 3
for c in c1 c2 c3; do ring_wait_view $c 3 20 || fail "$c view of 3"; done
for c in c1 c2 c3; do ring_wait_more $c MSG 30 20 || fail "$c receives"; done
ok "clients on three daemons exchange messages"

# Partition: n3's link to the bridge goes down, then up again.
echo "$(now_ms) PARTITION n1 n2 | n3" >> "$faults"
t0=$(now_ms)
netns_link "$tag" 3 down
ring_wait_view c1 2 15 && ring_wait_view c3 1 15 &&
    ok "partition seen after $(( $(now_ms) - t0 )) ms" || fail "partition not seen"
for c in c1 c3; do ring_wait_more $c MSG 20 20 || fail "$c receives in its component"; done
echo "$(now_ms) HEAL" >> "$faults"
t0=$(now_ms)
netns_link "$tag" 3 up
ring_wait_view c1 3 60 && ring_wait_view c3 3 60 &&
    ok "healed: merged after $(( $(now_ms) - t0 )) ms" || fail "no merge after the heal"

# kill -9 of n3.
echo "$(now_ms) CRASH n3" >> "$faults"
t0=$(now_ms)
kill -9 "${ring_pid[3]}"
ring_wait_view c1 2 15 && ring_wait_view c2 2 15 &&
    ok "crash seen after $(( $(now_ms) - t0 )) ms" || fail "crash not seen"
for c in c1 c2; do ring_wait_more $c MSG 20 20 || fail "$c receives after the crash"; done

# c3's daemon was killed: its client ends by itself.
wait_exit "${cpid[c3]}" 20 || kill -9 "${cpid[c3]}" 2>/dev/null
ring_end_clients "$work" "" c1 c2

[ $fails -eq 0 ] || exit 1
exit 0
