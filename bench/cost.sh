#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
# bench/cost.sh: the daemon's cost per message in instructions, counted by
# valgrind's callgrind, for one or two daemon builds. On a shared or
# virtual machine timings of a loopback flood vary by tens of percent
# from run to run (batching depends on scheduling); instruction counts of
# a daemon slowed down by valgrind, which is then always the bottleneck
# and batches alike, vary by well under a percent, so they can show a
# change of a few percent.
#
# For each size and transport: start the daemon under callgrind, flood N
# messages through it with this build's spflooder (self-clocked, RELIABLE),
# stop it, and read the instruction total; subtract the total of a run
# with no flood (start-up, the readiness probes, teardown) and divide by N.
# How many messages one read or write of the daemon carries still varies
# with scheduling, so small messages vary by some percent from run to run
# even so; the ping-pong rows (bench/latency: one message in flight, so
# every message costs exactly one pass of the loop) do not.
#
# Usage: bench/cost.sh <build dir> [<before build dir>]
# Environment: COST_MESSAGES=20000 (per run; large messages use fewer),
#              COST_SIZES="16 100 1000 10000 100000"
set -u
unset NOTIFY_SOCKET

after=$(cd "${1:?usage: cost.sh <build dir> [<before build dir>]}" && pwd) || exit 2
before=
[ $# -ge 2 ] && { before=$(cd "$2" && pwd) || exit 2; }
flooder=$after/tools/spflooder
latency=$after/bench/latency
sizes=${COST_SIZES:-16 100 1000 10000 100000}
nmsg=${COST_MESSAGES:-20000}
command -v valgrind >/dev/null || { echo "cost.sh: valgrind is needed" >&2; exit 2; }
for b in "$after" $before; do
    [ -x "$b/daemon/spread" ] || { echo "cost.sh: $b/daemon/spread is missing" >&2; exit 2; }
done
[ -x "$flooder" ] || { echo "cost.sh: $flooder is missing" >&2; exit 2; }
[ -x "$latency" ] || { echo "cost.sh: $latency is missing (make bench)" >&2; exit 2; }
sockdir=$(sed -n 's/^#define SP_UNIX_SOCKET "\(.*\)"$/\1/p' "$after/config.h" 2>/dev/null)
sockdir=${sockdir:-/tmp}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cohort-cost.XXXXXX") || exit 2
pid=
port=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    [ -n "$port" ] && rm -f "$sockdir/$port"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    local p hex
    for _ in $(seq 1 100); do
        p=$((20000 + (RANDOM % 20000) * 2))
        hex=$(printf '%04X' "$p")
        if ! cat /proc/net/tcp /proc/net/udp 2>/dev/null | awk '{print $2}' |
            grep -qi ":$hex\$" && [ ! -e "$sockdir/$p" ]; then
            echo "$p"
            return
        fi
    done
    return 1
}

# run <daemon> <via> <size> <messages> [pingpong]: prints the daemon's
# instruction total for a run with that flood (messages 0: no flood), or
# with messages/2 ping-pong rounds.
run() {
    local bin=$1 via=$2 size=$3 n=$4 kind=${5:-flood} name deadline
    port=$(free_port) || { echo "cost.sh: no free port" >&2; exit 1; }
    {
        echo "Spread_Segment 127.0.0.255:$port {"
        echo "    localhost 127.0.0.1"
        echo "}"
        echo "UnixSocketDir = \"$sockdir\""
        if [ "$(id -u)" = 0 ]; then
            echo "RuntimeDir = \"/\""
            echo "DaemonUser = root"
            echo "DaemonGroup = root"
        fi
    } > "$tmp/spread.conf"
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$bin" -n localhost -c "$tmp/spread.conf" > "$tmp/daemon.log" 2>&1 &
    pid=$!
    deadline=$((SECONDS + 60))
    until timeout 20 "$flooder" -u probe -s "$port" -m 1 -b 16 >/dev/null 2>&1 &&
        timeout 20 "$flooder" -u probe -s "$port@127.0.0.1" -m 1 -b 16 >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ] || ! kill -0 "$pid" 2>/dev/null; then
            echo "cost.sh: $bin did not start; its log:" >&2
            tail -n 20 "$tmp/daemon.log" >&2
            exit 1
        fi
        sleep 0.5
    done
    if [ "$n" -gt 0 ]; then
        if [ "$via" = unix ]; then name=$port; else name=$port@127.0.0.1; fi
        if [ "$kind" = pingpong ]; then
            timeout 600 "$latency" -s "$name" -S agreed -n $((n / 2)) -w 0 \
                -b "$size" >/dev/null 2>&1 ||
                echo "cost.sh: the ping-pong through $bin failed" >&2
        else
            timeout 600 "$flooder" -u cost -s "$name" -m "$n" -b "$size" \
                >/dev/null 2>&1 || echo "cost.sh: the flood through $bin failed" >&2
        fi
    fi
    kill "$pid"
    wait "$pid" 2>/dev/null
    pid=
    rm -f "$sockdir/$port"
    port=
    sed -n 's/^==[0-9]*== Collected : \([0-9]*\).*/\1/p' "$tmp/daemon.log"
}

echo "Cohort daemon cost: instructions per message (callgrind). Rows \"pp\":"
echo "ping-pong between two clients, AGREED, one message in flight; others:"
echo "a RELIABLE flood, self-clocked, one spflooder sending and receiving"
for b in $before "$after"; do
    echo "  $( [ "$b" = "$before" ] && echo before || echo after ): $b/daemon/spread"
done
if [ -n "$before" ]; then
    printf '  %-7s %-5s %9s %12s %12s %8s\n' size via messages before after change
else
    printf '  %-7s %-5s %9s %12s\n' size via messages instructions
fi
declare -A base
for b in $before "$after"; do
    base[$b]=$(run "$b/daemon/spread" unix 16 0)
done
# One table row: kind, via, size, messages.
row() {
    local kind=$1 via=$2 size=$3 n=$4 label=$3 total
    [ "$kind" = pingpong ] && label="$size pp"
    vals=()
    for b in $before "$after"; do
        total=$(run "$b/daemon/spread" "$via" "$size" "$n" "$kind")
        vals+=("$(awk -v t="$total" -v z="${base[$b]}" -v n="$n" \
            'BEGIN { if (t == "" || z == "") print "?"; else printf "%.0f", (t - z) / n }')")
    done
    if [ -n "$before" ]; then
        printf '  %-7s %-5s %9s %12s %12s %7s%%\n' "$label" "$via" "$n" \
            "${vals[0]}" "${vals[1]}" "$(awk -v a="${vals[1]}" -v b="${vals[0]}" \
            'BEGIN { if (b > 0) printf "%+.1f", (a - b) * 100 / b; else print "?" }')"
    else
        printf '  %-7s %-5s %9s %12s\n' "$label" "$via" "$n" "${vals[0]}"
    fi
}
for via in unix tcp; do
    for size in 16 1000; do
        row pingpong "$via" "$size" $((nmsg / 4))
    done
    for size in $sizes; do
        n=$nmsg
        [ "$size" -ge 10000 ] && n=$((nmsg / 4))
        row flood "$via" "$size" "$n"
    done
done
