# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# Sourced after daemon.sh by the tests of several daemons: a ring of N
# daemons n1..nN on 127.0.0.1..127.0.0.N (one segment, which sends its
# "broadcasts" as unicasts: SegmentUnicast = auto), each with its own log
# and unix-socket directory, started and killed by pid.

# ring_pick_port: a port P with P and P+1 unused on 127.0.0.1 (TCP for
# clients, UDP for the ring; the check is for TCP, the port range the
# same as start_daemon's). Sets `port`.
ring_pick_port() {
    local p low
    low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    for p in $(seq $((12000 + ($$ * 2 + RANDOM * 2) % (low - 14000))) 2 $((low - 4))); do
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
        (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1))") 2>/dev/null && continue
        port=$p
        return 0
    done
    return 1
}

# ring_conf N [EXTRA] [SEGMENTS]: nK.conf for every daemon, its own
# UnixSocketDir (the socket is named after the port, so two daemons of
# one host need two directories; the key is not hashed). SEGMENTS lists
# how many daemons each segment has (default: one segment of N); segment
# s is 127.0.s.255 and its daemons 127.0.s.K (ring_addr K).
declare -A ring_addrs
ring_conf() {
    local n=$1 k=1 s=0 m i
    ring_n=$n
    {
        for m in ${3:-$n}; do
            echo "Spread_Segment 127.0.$s.255:$port {"
            # The interface block keeps each daemon's client port on its
            # own address: without one, each would listen on 0.0.0.0:P.
            for i in $(seq 1 "$m"); do
                ring_addrs[$k]=127.0.$s.$k
                echo "    n$k 127.0.$s.$k { 127.0.$s.$k }"
                k=$((k + 1))
            done
            echo "}"
            s=$((s + 1))
        done
        echo "$root_keys"
        echo "${2:-}"
    } > "$work/ring.conf"
    for k in $(seq 1 "$n"); do
        mkdir -p "$work/n$k"
        chmod 777 "$work/n$k"
        { cat "$work/ring.conf"; echo "UnixSocketDir = \"$work/n$k\""; } > "$work/n$k.conf"
    done
}

# ring_addr K: daemon nK's address (after ring_conf).
ring_addr() { echo "${ring_addrs[$1]}"; }

# ring_start K: start daemon nK (appending to $work/nK.log); its pid in
# ring_pid[K]. Returns once it has bound its sockets (the log says which
# daemon it is) or fails.
declare -A ring_pid
ring_start() {
    local k=$1 end
    echo "==== start $(date +%s.%N)" >> "$work/n$k.log"
    "$top_builddir/daemon/spread" -n "n$k" -c "$work/n$k.conf" >> "$work/n$k.log" 2>&1 &
    ring_pid[$k]=$!
    pids+=($!)
    end=$((SECONDS + 10))
    until grep -qF "this daemon: n$k" "$work/n$k.log"; do
        kill -0 "${ring_pid[$k]}" 2>/dev/null || { cat "$work/n$k.log"; return 1; }
        [ $SECONDS -lt $end ] || { cat "$work/n$k.log"; return 1; }
        sleep 0.02
    done
}

# ring_members K: the number of daemons in nK's latest regular view, from
# its log ("Configuration at nK is:" block: one line per daemon).
ring_members() {
    awk '/^Configuration at /{n=0; on=1; next} /^=+$/{if (on) last=n; on=0}
         on && /ID:/{n++} END{print last+0}' "$work/n$1.log"
}

# ring_wait_members K COUNT SECONDS
ring_wait_members() {
    local end=$((SECONDS + $3))
    until [ "$(ring_members "$1")" -eq "$2" ]; do
        if [ $SECONDS -ge $end ]; then
            echo "---- n$1.log (waiting for $2 members):"; tail -n 40 "$work/n$1.log"
            return 1
        fi
        sleep 0.05
    done
}

# now_ms: wall clock in ms, as evsclient stamps its logs.
now_ms() { date +%s%3N; }

# Client logs (tests/lib/evsclient, format in docs/evscheck.md) live in
# $logs/NAME.log.
# ring_count NAME KIND: lines of KIND (MSG, REG, ...) in NAME's log.
ring_count() { awk -v k=" $2 " 'index($0, k){n++} END{print n+0}' "$logs/$1.log" 2>/dev/null || echo 0; }
# ring_wait_more NAME KIND N SECONDS: N more lines of KIND than now.
ring_wait_more() {
    local want=$(( $(ring_count "$1" "$2") + $3 )) end=$((SECONDS + $4))
    until [ "$(ring_count "$1" "$2")" -ge $want ]; do
        [ $SECONDS -lt $end ] || { echo "---- $1:"; tail -n 20 "$logs/$1.log"; return 1; }
        sleep 0.05
    done
}
# ring_view_size NAME: members in the latest REG of group evs (the names
# before the first VS set).
ring_view_size() {
    grep ' REG evs ' "$logs/$1.log" 2>/dev/null | tail -n 1 |
        awk '{c=0; for (i=6;i<=NF;i++) {if ($i ~ /^VS/) break; if ($i ~ /^#/) c++} print c}'
}
# ring_wait_view NAME MEMBERS SECONDS: a REG of evs with that many members.
ring_wait_view() {
    local end=$((SECONDS + $3))
    until [ "$(ring_view_size "$1")" = "$2" ]; do
        [ $SECONDS -lt $end ] || { echo "---- $1:"; tail -n 20 "$logs/$1.log"; return 1; }
        sleep 0.05
    done
}

# ring_evs_setup: the programs of a test whose clients' logs evscheck
# reads (ring.md §15), the logs' directory $work/logs and an empty fault
# timeline $faults in it.
ring_evs_setup() {
    evsclient=$top_builddir/tests/lib/evsclient
    evscheck=$top_builddir/tests/evscheck
    logs=$work/logs
    mkdir -p "$logs"
    faults=$logs/run.faults
    : > "$faults"
}

# ring_client NAME SERVER MEMBERS DIR [WRAP...]: an evsclient NAME on
# SERVER (port@address) in group evs, sending SAFE, AGREED and FIFO
# messages once the group has MEMBERS members, until DIR/stop exists;
# its log is $logs/NAME.log, its output DIR/NAME.out. WRAP, if given,
# runs it (ip netns exec NS). Its pid goes to cpid[NAME] and pids.
declare -A cpid
ring_client() {
    local name=$1 server=$2 members=$3 dir=$4
    shift 4
    "$@" "$evsclient" -s "$server" -u "$name" -o "$logs/$name.log" -g evs \
        -t evs -n 100000 -S SAFE,AGREED,FIFO -r 100 -m "$members" \
        -x "$dir/stop" -w 15000 > "$dir/$name.out" 2>&1 &
    cpid[$name]=$!
    pids+=($!)
}

# ring_end_clients DIR LABEL CLIENT...: tell the clients started with
# DIR to stop, check that each quits with status 0, then check the logs
# in $logs with evscheck against the fault timeline $faults. LABEL
# (may be empty) starts every line it prints.
ring_end_clients() {
    local dir=$1 label=$2 c out rc
    shift 2
    touch "$dir/stop"
    for c in "$@"; do
        waited_status=timeout
        if wait_exit "${cpid[$c]}" 40 && [ "$waited_status" -eq 0 ]; then
            ok "$label$c quit"
        else
            fail "$label$c exit (${waited_status:-timeout})"; tail -n 5 "$dir/$c.out"
        fi
    done
    out=$("$evscheck" -f "$faults" -d 15000 "$logs"/*.log 2>&1); rc=$?
    echo "$out" | tail -n 20
    [ $rc -eq 0 ] && ok "${label}evscheck: the clients' logs keep every property" ||
        fail "${label}evscheck: status $rc"
}
