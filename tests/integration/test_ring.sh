#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# Integration: a ring of three real daemons on 127.0.0.1-3 (no privileges:
# the loopback segment sends as unicast). An evsclient on every daemon
# joins one group and sends SAFE, AGREED and FIFO messages while:
#   1. daemon n3 is killed with SIGKILL (its client's connection ends);
#   2. daemon n2 is stopped with SIGSTOP for longer than the token
#      timeout and continued (a partition of n2, then a merge);
#   3. n3 is started again and merges (a new client joins on it).
# Every daemon must reach the expected view within its deadline, and the
# clients' logs are checked with evscheck (ring.md §15) against the fault
# timeline. Every process is stopped by pid.
set -u
. "${top_srcdir:-.}/tests/lib/daemon.sh"
. "${top_srcdir:-.}/tests/lib/ring.sh"

ring_evs_setup

ring_pick_port || { echo "no free port"; exit 99; }
ring_conf 3
for k in 1 2 3; do ring_start $k || { echo "n$k did not start"; exit 99; }; done
for k in 1 2 3; do
    ring_wait_members $k 3 20 && ok "n$k in a ring of 3" || fail "n$k: no ring of 3"
done
[ $fails -eq 0 ] || exit 1

# client NAME K [MEMBERS]: an evsclient on daemon nK, sending until told
# to stop.
client() { ring_client "$1" "$port@$(ring_addr "$2")" "${3:-1}" "$work"; }
client c1 1 3; client c2 2 3; client c3 3 3
for c in c1 c2 c3; do
    ring_wait_view $c 3 20 && ok "$c sees 3 members" || fail "$c view"
done
for c in c1 c2 c3; do
    ring_wait_more $c MSG 30 20 && ok "$c receives" || fail "$c receives"
done

# 1. kill -9 of n3 while messages are in flight.
echo "$(now_ms) CRASH n3" >> "$faults"
t0=$(now_ms)
kill -9 "${ring_pid[3]}"
ring_wait_view c1 2 10 && ring_wait_view c2 2 10 && ok "c1, c2: view without c3 after $(( $(now_ms) - t0 )) ms" ||
    fail "no view without c3"
wait_exit "${cpid[c3]}" 10 || fail "c3 still runs"
for c in c1 c2; do ring_wait_more $c MSG 30 20 || fail "$c receives after the crash"; done

# 2. SIGSTOP n2 beyond the token timeout: n1 goes on alone, then merges.
echo "$(now_ms) PARTITION n1 | n2" >> "$faults"
kill -STOP "${ring_pid[2]}"
ring_wait_members 1 1 10 && ok "n1 alone while n2 is stopped" || fail "n1 did not notice n2"
echo "$(now_ms) HEAL" >> "$faults"
t0=$(now_ms)
kill -CONT "${ring_pid[2]}"
ring_wait_members 1 2 20 && ring_wait_members 2 2 20 &&
    ok "n1 and n2 merged after $(( $(now_ms) - t0 )) ms" || fail "no merge after SIGCONT"
ring_wait_view c1 2 20 || fail "c1 view after the merge"
for c in c1 c2; do ring_wait_more $c MSG 30 20 || fail "$c receives after the merge"; done

# 3. n3 again, with a new client.
echo "$(now_ms) RESTART n3" >> "$faults"
ring_start 3 || fail "n3 restart"
for k in 1 2 3; do ring_wait_members $k 3 30 || fail "n$k: no ring of 3 after the restart"; done
client c4 3 1
ring_wait_view c1 3 30 && ring_wait_view c4 3 30 && ok "c4 on the restarted n3 joined" || fail "c4 view"
for c in c1 c2 c4; do ring_wait_more $c MSG 30 20 || fail "$c receives at the end"; done

ring_end_clients "$work" "" c1 c2 c4

[ $fails -eq 0 ] || exit 1
exit 0
