#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
# bench/run.sh: starts a private daemon from a build tree on a free port and
# prints benchmark figures: spflooder throughput over the unix socket and
# TCP, round-trip latency (AGREED, SAFE), connect+join time, joining many
# groups with random and with hash-flooding names, the daemon's resident
# memory idle and with many clients, and the flush layer (throughput
# through flush groups, the time of a view change).
#
# Usage: bench/run.sh [<build dir>]       (default: the current directory)
# Environment:
#   BENCH_QUICK=1        short runs (smoke test; the figures are rough)
#   BENCH_TARGET_S=1.5   seconds each throughput run should take
#   BENCH_CLIENTS="1000 10000"   client counts for the memory figures
#   BENCH_FLOOD_GROUPS=100000    groups joined by the hash flooding run
#   BENCH_KEEP=1         keep the temporary directory (config, daemon log)
#   BENCH_COMPARE=<dir>  A/B mode: only throughput, spflooder of build <dir>
#                        ("before", e.g. the compatibility baseline) against
#                        this build's ("after"), alternating runs through
#                        this build's daemon; prints medians and the change
#   BENCH_COMPARE_DAEMON=<dir>  A/B mode for the daemon: only throughput
#                        and round trip, through the daemon of build <dir>
#                        ("before") and this build's ("after"), both running,
#                        alternating runs with this build's clients; prints
#                        medians and the change
#   BENCH_ROUNDS=7       runs per side in A/B mode
set -u
# The daemons started here must not report readiness to whatever service
# manager runs this script.
unset NOTIFY_SOCKET

builddir=$(cd "${1:-.}" && pwd) || exit 2
quick=${BENCH_QUICK:-0}
target_s=${BENCH_TARGET_S:-1.5}
clients=${BENCH_CLIENTS:-1000 10000}

daemon=$builddir/daemon/spread
flooder=$builddir/tools/spflooder
latency=$builddir/bench/latency
connect_join=$builddir/bench/connect_join
rss_clients=$builddir/bench/rss_clients
fairness=$builddir/bench/fairness
hash_flood=$builddir/bench/hash_flood
flush_bench=$builddir/bench/flush

for prog in "$daemon" "$flooder" "$latency" "$connect_join" "$rss_clients" \
    "$fairness" "$hash_flood" "$flush_bench"; do
    if [ ! -x "$prog" ]; then
        echo "run.sh: $prog is missing; build it first (make bench)" >&2
        exit 2
    fi
done

# The library looks for "<port>" sockets in its compile-time directory, so
# the daemon must put its socket there too.
sockdir=$(sed -n 's/^#define SP_UNIX_SOCKET "\(.*\)"$/\1/p' \
    "$builddir/config.h" 2>/dev/null)
sockdir=${sockdir:-/tmp}

# Many clients need many descriptors, in the daemon and in rss_clients.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/cohort-bench.XXXXXX") || exit 2
daemon_pid=
daemon2_pid=
holder_pid=
port=
port2=

cleanup() {
    if [ -n "$holder_pid" ]; then
        kill "$holder_pid" 2>/dev/null
        wait "$holder_pid" 2>/dev/null
    fi
    for pid in $daemon_pid $daemon2_pid; do
        kill "$pid" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    # The sockets did not exist before we started (port_busy checks).
    for p in $port $port2; do
        if [ -S "$sockdir/$p" ]; then
            rm -f "$sockdir/$p"
        fi
    done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        echo "run.sh: kept $tmpdir" >&2
    else
        rm -rf "$tmpdir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port is free if neither it nor port+1 is bound (TCP or UDP) and no
# socket file of that name exists.
port_busy() {
    local p hex
    for p in "$1" $(($1 + 1)); do
        hex=$(printf '%04X' "$p")
        if cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 \
            2>/dev/null | awk '{print $2}' | grep -qi ":$hex\$"; then
            return 0
        fi
    done
    [ -e "$sockdir/$1" ]
}

# Starts daemon binary $1 on a free port with its own config and log
# (tag $2) and waits until it is ready: a one-message flood makes the round
# trip on both transports (a delivered message means start-up is over and
# the loop runs; a connect alone would succeed as soon as the daemon
# listens, before it is ready; its NOTIFY_SOCKET report would need a
# datagram listener this script does not have). Sets started_pid and
# started_port; exits on failure.
start_daemon() {
    local bin=$1 tag=$2 p= cfg deadline ready=0
    for _ in $(seq 1 100); do
        candidate=$((20000 + (RANDOM % 20000) * 2))
        if ! port_busy "$candidate"; then
            p=$candidate
            break
        fi
    done
    if [ -z "$p" ]; then
        echo "run.sh: no free port found" >&2
        exit 1
    fi
    cfg=$tmpdir/spread-$tag.conf
    {
        echo "Spread_Segment 127.0.0.255:$p {"
        echo "    localhost 127.0.0.1"
        echo "}"
        echo "UnixSocketDir = \"$sockdir\""
        if [ "$(id -u)" = 0 ]; then
            # A root daemon chroots and drops privileges: keep both harmless.
            echo "RuntimeDir = \"$tmpdir\""
            echo "DaemonUser = root"
            echo "DaemonGroup = root"
        fi
    } > "$cfg"
    (cd "$tmpdir" && exec "$bin" -n localhost -c "$cfg") \
        > "$tmpdir/daemon-$tag.log" 2>&1 &
    started_pid=$!
    started_port=$p
    deadline=$((SECONDS + 20))
    while [ $SECONDS -lt $deadline ]; do
        kill -0 "$started_pid" 2>/dev/null || break
        if [ -S "$sockdir/$p" ] &&
            timeout 5 "$flooder" -u probe -s "$p" -m 1 -b 16 \
                >/dev/null 2>&1 &&
            timeout 5 "$flooder" -u probe -s "$p@127.0.0.1" -m 1 -b 16 \
                >/dev/null 2>&1; then
            ready=1
            break
        fi
        sleep 0.2
    done
    if [ $ready != 1 ]; then
        echo "run.sh: the daemon $bin did not become ready; its log:" >&2
        tail -n 30 "$tmpdir/daemon-$tag.log" >&2
        exit 1
    fi
}

start_daemon "$daemon" main
daemon_pid=$started_pid
port=$started_port
unix_name=$port
tcp_name=$port@127.0.0.1

daemon_alive() {
    kill -0 "$daemon_pid" 2>/dev/null
}

rss_kb() {
    awk '/^VmRSS:/ {print $2}' "/proc/$daemon_pid/status" 2>/dev/null
}

# key=value lookup in a line of bench output
field() {
    echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

rss_idle=$(rss_kb)

echo "Cohort benchmarks$([ "$quick" = 1 ] && echo ' (quick mode: rough figures)')"
echo "host: $(uname -srm), $(nproc 2>/dev/null || echo '?') CPUs," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "daemon: $daemon (pid $daemon_pid), port $port, unix socket $sockdir/$port"
echo

# ---- throughput ------------------------------------------------------------

# Runs one flood; prints "<messages> <seconds> <msgs/s> <MB/s> <Mbit/s>" or
# nothing on failure.
flood() {
    local name=$1 size=$2 count=$3 out
    out=$(timeout 300 "$flooder" -u bench -s "$name" -m "$count" -b "$size" \
        2>&1) || return 1
    echo "$out" | awk '/^flooder: [0-9]+ messages of/ {
        print $2, $8, $10, $12, $14 }'
}

clamp() {
    local v=$1 lo=$2 hi=$3
    [ "$v" -lt "$lo" ] && v=$lo
    [ "$v" -gt "$hi" ] && v=$hi
    echo "$v"
}

# ---- A/B comparison of two libraries ------------------------------------------

# Median of the numbers on stdin.
median() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2];
        else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# One flood; prints "<msgs/s> <client CPU microseconds per message>".
flood_cpu() {
    local name=$1 size=$2 count=$3 out t TIMEFORMAT='%U %S'
    t=$( { time flood "$name" "$size" "$count" > "$tmpdir/flood.out"; } 2>&1 ) ||
        return 1
    out=$(cat "$tmpdir/flood.out")
    [ -n "$out" ] || return 1
    echo "$out $t" | awk -v c="$count" '{ printf "%s %.2f\n", $3, ($6 + $7) * 1e6 / c }'
}

if [ -n "${BENCH_COMPARE:-}" ]; then
    before=$(cd "$BENCH_COMPARE" && pwd)/tools/spflooder
    after=$flooder
    rounds=${BENCH_ROUNDS:-7}
    [ -x "$before" ] || { echo "run.sh: $before is missing" >&2; exit 2; }
    echo "A/B throughput, msgs/s (median of $rounds runs each, alternating, RELIABLE)"
    echo "  before: $before"
    echo "  after:  $after"
    echo "  (throughput: medians; client CPU: spflooder's user+system time per"
    echo "  message in microseconds, mean: the library's own cost, less noisy)"
    printf '  %-7s %-5s %10s %12s %12s %9s %9s %9s\n' size via messages before after \
        change cpu_bef cpu_aft
    for via in unix tcp; do
        if [ $via = unix ]; then name=$unix_name; else name=$tcp_name; fi
        for size in 100 1000 10000; do
            count=$(clamp $((200000000 / (size + 200))) 20000 400000)
            a=; b=; ac=; bc=
            # before/after, then after/before: neither side always runs
            # second (on a warmer cache, a settled TCP stack).
            for r in $(seq 1 "$rounds"); do
                for side in $( [ $((r % 2)) = 1 ] && echo "b a" || echo "a b"); do
                    if [ "$side" = b ]; then
                        flooder=$before
                        res=$(flood_cpu "$name" "$size" "$count")
                        b="$b ${res% *}"; bc="$bc ${res#* }"
                    else
                        flooder=$after
                        res=$(flood_cpu "$name" "$size" "$count")
                        a="$a ${res% *}"; ac="$ac ${res#* }"
                    fi
                done
            done
            mb=$(echo "$b" | tr ' ' '\n' | grep . | median)
            ma=$(echo "$a" | tr ' ' '\n' | grep . | median)
            cb=$(echo "$bc" | tr ' ' '\n' | grep . | awk '{ s += $1 } END { if (NR) printf "%.2f", s / NR }')
            ca=$(echo "$ac" | tr ' ' '\n' | grep . | awk '{ s += $1 } END { if (NR) printf "%.2f", s / NR }')
            printf '  %-7s %-5s %10s %12s %12s %8s%% %9s %9s\n' "$size" "$via" \
                "$count" "${mb:-FAILED}" "${ma:-FAILED}" \
                "$(awk -v a="${ma:-0}" -v b="${mb:-0}" 'BEGIN {
                    if (b > 0) printf "%+.1f", (a - b) * 100 / b; else print "?" }')" \
                "${cb:-?}" "${ca:-?}"
        done
    done
    exit 0
fi

# Change from $2 (before) to $1 (after), in percent, or "?".
change() {
    awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN {
        if (b > 0) printf "%+.1f", (a - b) * 100 / b; else print "?" }'
}

if [ -n "${BENCH_COMPARE_DAEMON:-}" ]; then
    before_bin=$(cd "$BENCH_COMPARE_DAEMON" && pwd)/daemon/spread
    [ -x "$before_bin" ] || { echo "run.sh: $before_bin is missing" >&2; exit 2; }
    start_daemon "$before_bin" before
    daemon2_pid=$started_pid
    port2=$started_port
    rounds=${BENCH_ROUNDS:-7}
    # CPU time the daemon spent, in nanoseconds (schedstat: exact, unlike
    # the 10 ms ticks of /proc/<pid>/stat; the daemon has one thread).
    cpu_ns() { awk '{print $1}' "/proc/$1/schedstat" 2>/dev/null; }
    # One flood through the daemon with pid $1: "<msgs/s> <daemon ns/msg>".
    flood_ab() {
        local pid=$1 c0 c1 res
        c0=$(cpu_ns "$pid")
        res=$(flood "$2" "$3" "$4") || return 1
        c1=$(cpu_ns "$pid")
        echo "$res $c0 $c1" | awk -v c="$4" '{ printf "%s %.0f\n", $3, ($7 - $6) / c }'
    }
    echo "A/B daemons, median of $rounds runs each, alternating, RELIABLE:"
    echo "throughput (msgs/s) and the daemon's own CPU time per message (ns)"
    echo "  before: $before_bin (port $port2)"
    echo "  after:  $daemon (port $port)"
    echo "  clients: this build's spflooder and latency for both"
    echo "  (TCP over loopback is bimodal here: throughput medians can land in"
    echo "  either mode; the CPU cost per message is the steadier figure)"
    printf '  %-7s %-5s %9s %10s %10s %8s %9s %9s %8s\n' size via messages \
        before after change ns_bef ns_aft change
    for via in unix tcp; do
        for size in 16 100 1000 10000 100000; do
            if [ $via = unix ]; then a_name=$port; b_name=$port2
            else a_name=$port@127.0.0.1; b_name=$port2@127.0.0.1; fi
            # Aim at about a second per run, calibrated on "after".
            count=$(clamp $((20000000 / size)) 500 20000)
            secs=$(flood "$a_name" "$size" "$count" | awk '{print $2}')
            count=$(awk -v c="$count" -v s="${secs:-1}" -v t="$target_s" \
                'BEGIN { if (s < 0.001) s = 0.001; printf "%d", c * t / s }')
            count=$(clamp "$count" 1000 5000000)
            a=; b=; ac=; bc=
            for r in $(seq 1 "$rounds"); do
                for side in $( [ $((r % 2)) = 1 ] && echo "b a" || echo "a b"); do
                    if [ "$side" = b ]; then
                        res=$(flood_ab "$daemon2_pid" "$b_name" "$size" "$count")
                        b="$b ${res% *}"; bc="$bc ${res#* }"
                    else
                        res=$(flood_ab "$daemon_pid" "$a_name" "$size" "$count")
                        a="$a ${res% *}"; ac="$ac ${res#* }"
                    fi
                done
            done
            mb=$(echo "$b" | tr ' ' '\n' | grep . | median)
            ma=$(echo "$a" | tr ' ' '\n' | grep . | median)
            cb=$(echo "$bc" | tr ' ' '\n' | grep . | median)
            ca=$(echo "$ac" | tr ' ' '\n' | grep . | median)
            printf '  %-7s %-5s %9s %10s %10s %7s%% %9s %9s %7s%%\n' "$size" "$via" \
                "$count" "${mb:-FAILED}" "${ma:-FAILED}" "$(change "$ma" "$mb")" \
                "${cb:-?}" "${ca:-?}" "$(change "$ca" "$cb")"
        done
    done
    echo
    if [ "$quick" = 1 ]; then n=300; else n=3000; fi
    echo "A/B daemons: round trip, AGREED, 16 bytes, microseconds (median over $rounds runs of $n rounds)"
    printf '  %-5s %-4s %10s %10s %9s\n' via stat before after change
    for via in unix tcp; do
        if [ $via = unix ]; then a_name=$port; b_name=$port2
        else a_name=$port@127.0.0.1; b_name=$port2@127.0.0.1; fi
        a50=; b50=; a99=; b99=
        for r in $(seq 1 "$rounds"); do
            for side in $( [ $((r % 2)) = 1 ] && echo "b a" || echo "a b"); do
                if [ "$side" = b ]; then name=$b_name; else name=$a_name; fi
                out=$(timeout 300 "$latency" -s "$name" -S agreed -n $n -b 16 2>&1) ||
                    continue
                if [ "$side" = b ]; then
                    b50="$b50 $(field p50_us "$out")"; b99="$b99 $(field p99_us "$out")"
                else
                    a50="$a50 $(field p50_us "$out")"; a99="$a99 $(field p99_us "$out")"
                fi
            done
        done
        for stat in p50 p99; do
            if [ $stat = p50 ]; then bv=$b50; av=$a50; else bv=$b99; av=$a99; fi
            mb=$(echo "$bv" | tr ' ' '\n' | grep . | median)
            ma=$(echo "$av" | tr ' ' '\n' | grep . | median)
            printf '  %-5s %-4s %10s %10s %8s%%\n' "$via" "$stat" "${mb:-?}" "${ma:-?}" \
                "$(change "$ma" "$mb")"
        done
    done
    exit 0
fi

echo "Throughput: one spflooder, self-clocked (200 messages in flight), RELIABLE"
printf '  %-9s %-6s %10s %9s %12s %10s %11s\n' \
    size via messages seconds msgs/s MB/s Mbit/s
for via in unix tcp; do
    if [ $via = unix ]; then name=$unix_name; else name=$tcp_name; fi
    for size in 16 100 1000 10000 100000; do
        if [ "$quick" = 1 ]; then
            count=$(clamp $((20000000 / size)) 2000 20000)
        else
            # Calibrate on a short run, then aim at target_s seconds.
            count=$(clamp $((20000000 / size)) 500 20000)
            res=$(flood "$name" "$size" "$count")
            secs=$(echo "$res" | awk '{print $2}')
            if [ -n "$secs" ]; then
                count=$(awk -v c="$count" -v s="$secs" -v t="$target_s" \
                    'BEGIN { if (s < 0.001) s = 0.001; printf "%d", c * t / s }')
                count=$(clamp "$count" 1000 5000000)
            fi
        fi
        res=$(flood "$name" "$size" "$count")
        if [ -z "$res" ]; then
            printf '  %-9s %-6s %10s %9s\n' "$size" "$via" "$count" FAILED
            continue
        fi
        # shellcheck disable=SC2086
        set -- $res
        printf '  %-9s %-6s %10s %9s %12s %10s %11s\n' \
            "$size" "$via" "$1" "$2" "$3" "$4" "$5"
    done
done
echo

# ---- latency -------------------------------------------------------------------

if [ "$quick" = 1 ]; then rounds=300; else rounds=5000; fi
echo "Round trip between two clients (ping-pong over a group, 16 bytes, microseconds)"
printf '  %-8s %-6s %8s %10s %10s %10s\n' service via rounds p50 p99 mean
for svc in agreed safe; do
    for via in unix tcp; do
        if [ $via = unix ]; then name=$unix_name; else name=$tcp_name; fi
        if ! out=$(timeout 300 "$latency" -s "$name" -S $svc -n $rounds \
            -b 16 2>&1); then
            printf '  %-8s %-6s %8s %10s\n' "$svc" "$via" "$rounds" FAILED
            continue
        fi
        printf '  %-8s %-6s %8s %10s %10s %10s\n' \
            "$(field service "$out")" "$via" "$rounds" \
            "$(field p50_us "$out")" "$(field p99_us "$out")" \
            "$(field mean_us "$out")"
    done
done
echo

# ---- connect + join --------------------------------------------------------------

if [ "$quick" = 1 ]; then rounds=50; else rounds=1000; fi
echo "Connect, and connect+join until the membership notice (microseconds)"
printf '  %-6s %7s %13s %12s %12s %11s %11s %11s\n' via rounds \
    connect_mean p50 p99 join_mean p50 p99
for via in unix tcp; do
    if [ $via = unix ]; then name=$unix_name; else name=$tcp_name; fi
    if ! out=$(timeout 300 "$connect_join" -s "$name" -n $rounds 2>&1); then
        printf '  %-6s %7s %13s\n' "$via" "$rounds" FAILED
        continue
    fi
    printf '  %-6s %7s %13s %12s %12s %11s %11s %11s\n' "$via" "$rounds" \
        "$(field connect_mean_us "$out")" "$(field connect_p50_us "$out")" \
        "$(field connect_p99_us "$out")" "$(field join_mean_us "$out")" \
        "$(field join_p50_us "$out")" "$(field join_p99_us "$out")"
done
echo

# ---- memory ----------------------------------------------------------------------

echo "Daemon resident memory (VmRSS)"
printf '  %-32s %10s\n' state kB
printf '  %-32s %10s\n' "idle, at start" "$rss_idle"
printf '  %-32s %10s\n' "idle, after the runs above" "$(rss_kb)"
for n in $clients; do
    ready_file=$tmpdir/ready.$n
    "$rss_clients" -s "$unix_name" -c "$n" -p 500 -r "$ready_file" \
        > /dev/null 2>&1 &
    holder_pid=$!
    deadline=$((SECONDS + 180))
    while [ ! -s "$ready_file" ] && [ $SECONDS -lt $deadline ] &&
        kill -0 "$holder_pid" 2>/dev/null; do
        sleep 0.2
    done
    if [ -s "$ready_file" ] && daemon_alive; then
        sleep 0.5           # let the daemon finish the last handshakes
        line=$(cat "$ready_file")
        got=$(field connected "$line")
        err=$(field first_error "$line")
        label="$n clients"
        if [ "$got" != "$n" ]; then
            label="$n clients ($got connected, error $err)"
        fi
        printf '  %-32s %10s\n' "$label" "$(rss_kb)"
    else
        printf '  %-32s %10s\n' "$n clients" FAILED
    fi
    kill "$holder_pid" 2>/dev/null
    wait "$holder_pid" 2>/dev/null
    holder_pid=
    if ! daemon_alive; then
        echo "run.sh: the daemon died; its log:" >&2
        tail -n 30 "$tmpdir/daemon.log" >&2
        exit 1
    fi
    sleep 1
    printf '  %-32s %10s\n' "idle, after $n clients left" "$(rss_kb)"
done
echo

# ---- fairness --------------------------------------------------------------------

if [ "$quick" = 1 ]; then secs=0.5; else secs=3; fi
echo "Fairness: a slow member, a membership flood (unix socket, ${secs} s each)"
if out=$(timeout 120 "$fairness" -s "$unix_name" -t "$secs" -r 3000 2>&1); then
    alone=$(field fast "$(echo "$out" | grep 'case=mixed-alone')")
    slow_line=$(echo "$out" | grep 'case=mixed-slow')
    flood_line=$(echo "$out" | grep 'case=flood')
    printf '  %-60s %12s\n' "a sender to two groups, msgs/s reaching the other group:" ""
    printf '  %-60s %12s\n' "  nobody in the first group" "$alone"
    printf '  %-60s %12s\n' "  a member reading 3000 msgs/s in the first group" \
        "$(field fast "$slow_line")"
    dropped=$(field slow_dropped_ms "$slow_line")
    printf '  %-60s %12s\n' "  that member dropped after (ms; -1: kept)" "$dropped"
    printf '  %-60s %12s\n' "join+leave flood: notices/s reaching each of 2 members" \
        "$(field notices "$flood_line")"
    printf '  %-60s %12s\n' "  members dropped" "$(field dropped "$flood_line")"
else
    echo "  FAILED: $out" | head -n 3
fi
echo

# ---- hash flooding ---------------------------------------------------------------

if [ "$quick" = 1 ]; then n=10000; else n=${BENCH_FLOOD_GROUPS:-100000}; fi
echo "One client joins $n groups, then disconnects; names random, or crafted to"
echo "share one bucket under the old unkeyed hash (FNV-1a). Seconds; and the round"
echo "trip of two other clients meanwhile, in milliseconds (issue 8)"
flood_row() {
    printf '  %-8s %8s %8s %9s %9s %9s %12s\n' "$@"
}
# microseconds in field $1 of line $2, as milliseconds
ms() {
    awk -v v="$(field "$1" "$2")" 'BEGIN {
        if (v == "") print "?"; else printf "%.2f\n", v / 1000 }'
}
flood_row names join_s disc_s rtt_p50 rtt_p99 rtt_max disc_rtt_max
if out=$(timeout 1200 "$hash_flood" -s "$unix_name" -n "$n" 2>&1); then
    line=$(echo "$out" | grep 'names=none')
    flood_row idle - - "$(ms idle_rtt_p50_us "$line")" \
        "$(ms idle_rtt_p99_us "$line")" "$(ms idle_rtt_max_us "$line")" -
    for kind in random crafted; do
        line=$(echo "$out" | grep "names=$kind ")
        flood_row "$kind" "$(field join_s "$line")" "$(field disc_s "$line")" \
            "$(ms join_rtt_p50_us "$line")" "$(ms join_rtt_p99_us "$line")" \
            "$(ms join_rtt_max_us "$line")" "$(ms disc_rtt_max_us "$line")"
    done
else
    flood_row all FAILED
fi
echo

# ---- flush layer -----------------------------------------------------------------

if [ "$quick" = 1 ]; then secs=0.3; rounds=5; else secs=$target_s; rounds=30; fi
echo "Flush layer (fl.h, issue 10): one member multicasts AGREED messages to a"
echo "flush group, 200 in flight; msgs/s received by every member (unix socket)."
echo "SP: the same through the plain SP_* calls, for comparison"
printf '  %-7s %-6s %-4s %10s %9s %12s %10s\n' members bytes api messages seconds \
    msgs/s MB/s
for members in 2 8; do
    for size in 100 10000; do
        for api in FL SP; do
            plain=; [ $api = SP ] && plain=-P
            # shellcheck disable=SC2086
            if ! out=$(timeout 300 "$flush_bench" -s "$unix_name" -n $members \
                -b $size -t "$secs" $plain 2>&1); then
                printf '  %-7s %-6s %-4s %10s\n' $members $size $api FAILED
                continue
            fi
            printf '  %-7s %-6s %-4s %10s %9s %12s %10s\n' $members $size $api \
                "$(field messages "$out")" "$(field seconds "$out")" \
                "$(field msgs_per_s "$out")" "$(field MB_per_s "$out")"
        done
    done
done
echo
echo "Flush layer: view change with 8 members, $rounds rounds (microseconds):"
echo "join: from the 8th member's join until all 8 have the new view;"
echo "leave: from its leave until the other 7 have theirs"
printf '  %-4s %10s %10s %10s %10s %10s %10s\n' api join_p50 join_p99 join_mean \
    leave_p50 leave_p99 leave_mean
for api in FL SP; do
    plain=; [ $api = SP ] && plain=-P
    # shellcheck disable=SC2086
    if ! out=$(timeout 300 "$flush_bench" -s "$unix_name" -n 8 -V -r $rounds \
        $plain 2>&1); then
        printf '  %-4s %10s\n' $api FAILED
        continue
    fi
    printf '  %-4s %10s %10s %10s %10s %10s %10s\n' $api \
        "$(field join_p50_us "$out")" "$(field join_p99_us "$out")" \
        "$(field join_mean_us "$out")" "$(field leave_p50_us "$out")" \
        "$(field leave_p99_us "$out")" "$(field leave_mean_us "$out")"
done
echo
