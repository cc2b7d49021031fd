#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
# bench/ring.sh: figures of a ring of three daemons on 127.0.0.1-3 (one
# segment sent as unicast) or, with RING_NETNS=1, in three network
# namespaces of its own on a bridge (a broadcast segment, as upstream's
# captures were made; needs root): throughput with one flooding sender and
# with a sender on every daemon at 100 B, 1 KB, 10 KB and 100 KB (every
# message reaches a receiver on each daemon), AGREED and SAFE round trips
# between clients of two daemons (p50/p99), the daemons' CPU time per
# message, and the time from a fault to the new membership at the other
# daemons, in an idle ring: kill -9 of a member and of the leader, a
# partition of one daemon (SIGSTOP on 127.0.0.x; its link cut in
# namespaces) and its heal (SIGCONT; the link back), and a restart.
#
# Usage: bench/ring.sh [<build dir>]     (make bench first)
# Environment: RING_MESSAGES=20000 (per throughput run; 100 KB runs use a
#              tenth), RING_SIZES="100 1000 10000 100000", RING_KEEP=1,
#              RING_PARTS="throughput latency faults" (the parts to run),
#              RING_NETNS=1 (namespaces instead of 127.0.0.x),
#              RING_CONF="PersonalWindow = 40" (lines added to each
#              daemon's configuration file)
set -u
unset NOTIFY_SOCKET

builddir=$(cd "${1:-.}" && pwd) || exit 2
daemon=$builddir/daemon/spread
flooder=$builddir/tools/spflooder
latency=$builddir/bench/latency
for prog in "$daemon" "$flooder" "$latency"; do
    [ -x "$prog" ] || { echo "ring.sh: $prog is missing (make bench)" >&2; exit 2; }
done
sizes=${RING_SIZES:-100 1000 10000 100000}
parts=" ${RING_PARTS:-throughput latency faults} "
part() { [[ $parts == *" $1 "* ]]; }
nmsg=${RING_MESSAGES:-20000}
netns=${RING_NETNS:-}
if [ -n "$netns" ]; then
    . "$(dirname "$0")/../tests/lib/netns.sh"
    why=$(netns_why_not) || { echo "ring.sh: namespaces: $why" >&2; exit 2; }
    tag=rb$$
    net=10.78.$(( $$ % 200 + 20 ))
fi
addr() { if [ -n "$netns" ]; then echo "$net.$1"; else echo "127.0.0.$1"; fi; }
# on_host K CMD...: become CMD where daemon K's clients live (it execs:
# call it in the background or in a subshell; $! is then CMD's pid).
on_host() {
    local k=$1; shift
    if [ -n "$netns" ]; then exec ip netns exec "$tag-$k" "$@"; else exec "$@"; fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/cohort-ring-bench.XXXXXX") || exit 2
declare -A dpid
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "$netns" ] && netns_cleanup
    [ -n "${RING_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

port=
if [ -n "$netns" ]; then
    netns_setup "$tag" "$net" 3 || { echo "ring.sh: namespaces: $netns_error" >&2; exit 2; }
    port=4803
else
    low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    for p in $(seq 14000 2 $((low - 4))); do
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
        port=$p; break
    done
fi
[ -n "$port" ] || { echo "ring.sh: no free port" >&2; exit 2; }

for k in 1 2 3; do
    mkdir -p "$work/n$k"
    chmod 777 "$work/n$k"
    if [ -n "$netns" ]; then
        echo "Spread_Segment $net.255:$port {"
        for j in 1 2 3; do echo "    n$j $net.$j"; done
        echo "}"
        echo "SegmentUnicast = off"
    else
        echo "Spread_Segment 127.0.0.255:$port {"
        for j in 1 2 3; do echo "    n$j 127.0.0.$j { 127.0.0.$j }"; done
        echo "}"
    fi > "$work/n$k.conf"
    echo "UnixSocketDir = \"$work/n$k\"" >> "$work/n$k.conf"
    [ -n "${RING_CONF:-}" ] && printf '%s\n' "$RING_CONF" >> "$work/n$k.conf"
done

start() {
    on_host "$1" "$daemon" -n "n$1" -c "$work/n$1.conf" >> "$work/n$1.log" 2>&1 &
    dpid[$1]=$!
    pids+=($!)
}
members() { # daemon index: daemons in its latest view
    awk '/^Configuration at /{n=0; on=1; next} /^=+$/{if (on) last=n; on=0}
         on && /ID:/{n++} END{print last+0}' "$work/n$1.log"
}
now_ms() { date +%s%3N; }
# wait_members K COUNT SECONDS: prints the ms it took, since $T0 (the
# fault) if set.
wait_members() {
    local t0 end
    t0=${T0:-$(now_ms)}; end=$((SECONDS + $3))
    until [ "$(members "$1")" -eq "$2" ]; do
        [ $SECONDS -lt $end ] || { echo timeout; return 1; }
        sleep 0.005
    done
    echo $(( $(now_ms) - t0 ))
}
cpu_ticks() { # total utime+stime of the three daemons, in clock ticks
    local t=0 k f
    for k in 1 2 3; do
        f=/proc/${dpid[$k]}/stat
        [ -r "$f" ] && t=$((t + $(awk '{print $14 + $15}' "$f")))
    done
    echo $t
}
hz=$(getconf CLK_TCK)

for k in 1 2 3; do start $k; done
for k in 1 2 3; do
    wait_members $k 3 30 > /dev/null || { echo "ring.sh: no ring of 3" >&2; tail "$work/n$k.log" >&2; exit 1; }
done
if [ -n "$netns" ]; then
    echo "ring of 3 daemons in namespaces on a bridge, $net.1-3, port $port (broadcast)"
else
    echo "ring of 3 daemons on 127.0.0.1-3, port $port (SegmentUnicast)"
fi

# flood SIZE SENDERS: messages/s and MB/s seen by the receivers, and the
# daemons' CPU per message.
flood() {
    local size=$1 senders=$2 n=$nmsg k t0 t1 c0 c1 total
    [ "$size" -ge 100000 ] && n=$((nmsg / 10))
    local rp=()
    for k in 1 2 3; do
        on_host "$k" "$flooder" -u "r$k" -s "$port@$(addr "$k")" -ro -m $((n * senders)) -b "$size" \
            > "$work/r$k.out" 2>&1 &
        rp+=($!)
    done
    sleep 0.5
    c0=$(cpu_ticks); t0=$(date +%s.%N)
    local sp=()
    for k in $(seq 1 "$senders"); do
        on_host "$k" "$flooder" -u "s$k" -s "$port@$(addr "$k")" -wo -m "$n" -b "$size" \
            > "$work/s$k.out" 2>&1 &
        sp+=($!)
    done
    for p in "${rp[@]}"; do wait "$p"; done
    t1=$(date +%s.%N); c1=$(cpu_ticks)
    for p in "${sp[@]}"; do wait "$p"; done
    total=$((n * senders))
    awk -v n="$total" -v s="$size" -v t0="$t0" -v t1="$t1" -v c="$((c1 - c0))" \
        -v hz="$hz" -v snd="$senders" 'BEGIN {
        d = t1 - t0;
        printf "  %6d B, %d sender%s: %9.0f msg/s %8.1f MB/s  daemons %.1f us CPU/msg\n",
            s, snd, (snd > 1 ? "s" : " "), n / d, n * s / d / 1e6, c / hz / n * 1e6 }'
}

if part throughput; then
    echo "throughput (every message delivered to a receiver on each daemon)"
    for s in $sizes; do flood "$s" 1; done
    for s in $sizes; do flood "$s" 3; done
fi

if part latency; then
    echo "round trip between clients of n1 and n2"
    for svc in agreed safe; do
        printf '  %-6s ' "$svc"
        (on_host 1 "$latency" -s "$port@$(addr 1)" -t "$port@$(addr 2)" -S "$svc" -n 2000 -w 200 -b 100)
    done
fi

part faults || exit 0
# The faults hit an idle ring (the worst case for noticing them: an idle
# leader holds the token for up to HurryTimeout), after a pause that
# lets the token settle into its idle rhythm.
echo "membership changes (time until the other daemons show the new view)"
sleep 1
T0=$(now_ms); kill -9 "${dpid[3]}"
echo "  kill -9 of n3:          n1 $(wait_members 1 2 20) ms, n2 $(wait_members 2 2 20) ms"
sleep 1
if [ -n "$netns" ]; then
    T0=$(now_ms); netns_link "$tag" 2 down
    echo "  n2 cut off (partition): n1 $(wait_members 1 1 20) ms, n2 $(wait_members 2 1 20) ms"
    sleep 3
    T0=$(now_ms); netns_link "$tag" 2 up
    echo "  n2 back (idle heal):    n1 $(wait_members 1 2 30) ms"
else
    T0=$(now_ms); kill -STOP "${dpid[2]}"
    echo "  SIGSTOP of n2:          n1 $(wait_members 1 1 20) ms"
    sleep 1
    T0=$(now_ms); kill -CONT "${dpid[2]}"
    echo "  SIGCONT of n2 (heal):   n1 $(wait_members 1 2 30) ms"
fi
T0=$(now_ms); start 3
echo "  n3 started again:       n1 $(wait_members 1 3 30) ms"
sleep 1
T0=$(now_ms); kill -9 "${dpid[1]}"
echo "  kill -9 of n1 (leader): n2 $(wait_members 2 2 20) ms, n3 $(wait_members 3 2 20) ms"
