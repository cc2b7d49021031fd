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

# ring_conf N [EXTRA]: nK.conf for every daemon: the same segment, its own
# UnixSocketDir (the socket is named after the port, so two daemons of
# one host need two directories; the key is not hashed).
ring_conf() {
    local n=$1 k
    ring_n=$n
    {
        echo "Spread_Segment 127.0.0.255:$port {"
        # The interface block keeps each daemon's client port on its own
        # address: without one, each would listen on 0.0.0.0:P.
        for k in $(seq 1 "$n"); do echo "    n$k 127.0.0.$k { 127.0.0.$k }"; done
        echo "}"
        echo "$root_keys"
        echo "${2:-}"
    } > "$work/ring.conf"
    for k in $(seq 1 "$n"); do
        mkdir -p "$work/n$k"
        chmod 777 "$work/n$k"
        { cat "$work/ring.conf"; echo "UnixSocketDir = \"$work/n$k\""; } > "$work/n$k.conf"
    done
}

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
