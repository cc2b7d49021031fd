#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# Integration: a ring of five real daemons on 127.0.0.1-5 (no privileges:
# the loopback segment sends as unicast). An evsclient on every daemon
# joins one group and sends SAFE, AGREED and FIFO messages while:
#   1. daemon n5 is killed with SIGKILL (its client's connection ends;
#      the others see a view of four);
#   2. n3 and n4 are stopped together with SIGSTOP for longer than the
#      token timeout (n1 and n2 go on as a ring of two: a partition
#      n1 n2 | n3 n4), then continued together (a merge back to four);
#   3. n5 is started again and merges (a new client joins on it).
# Every daemon must reach the expected ring within its deadline, and the
# clients' logs are checked with evscheck (ring.md §15) against the fault
# timeline. Every process is stopped by pid. RING_KEEP=DIR copies the
# work directory (daemon logs nK.log, client logs logs/*.log) to DIR at
# the end.
set -u
. "${top_srcdir:-.}/tests/lib/daemon.sh"
. "${top_srcdir:-.}/tests/lib/ring.sh"

if [ -n "${RING_KEEP:-}" ]; then
    # Files only: the daemons' unix sockets cannot be copied.
    trap 'mkdir -p "$RING_KEEP" && (cd "$work" && find . -type f -print0 |
        xargs -0 cp --parents -t "$RING_KEEP"); cleanup' EXIT
fi

ring_evs_setup
t_start=$SECONDS

ring_pick_port || { echo "no free port"; exit 99; }
ring_conf 5
for k in 1 2 3 4 5; do ring_start $k || { echo "n$k did not start"; exit 99; }; done
for k in 1 2 3 4 5; do
    ring_wait_members $k 5 20 && ok "n$k in a ring of 5" || fail "n$k: no ring of 5"
done
[ $fails -eq 0 ] || exit 1

# client NAME K [MEMBERS]: an evsclient on daemon nK, sending (once the
# group has MEMBERS) until told to stop.
client() { ring_client "$1" "$port@$(ring_addr "$2")" "${3:-1}" "$work"; }
for k in 1 2 3 4 5; do client c$k $k 5; done
for c in c1 c2 c3 c4 c5; do
    ring_wait_view $c 5 20 && ok "$c sees 5 members" || fail "$c view"
done
for c in c1 c2 c3 c4 c5; do
    ring_wait_more $c MSG 30 20 && ok "$c receives" || fail "$c receives"
done

# 1. kill -9 of n5 while messages are in flight.
echo "$(now_ms) CRASH n5" >> "$faults"
t0=$(now_ms)
kill -9 "${ring_pid[5]}"
v=0
for c in c1 c2 c3 c4; do ring_wait_view $c 4 10 && v=$((v + 1)); done
[ $v -eq 4 ] && ok "c1-c4: view without c5 after $(( $(now_ms) - t0 )) ms" ||
    fail "no view without c5 ($v of 4 clients)"
for k in 1 2 3 4; do ring_wait_members $k 4 10 || fail "n$k: no ring of 4 after the crash"; done
wait_exit "${cpid[c5]}" 10 || fail "c5 still runs"
for c in c1 c2 c3 c4; do ring_wait_more $c MSG 30 20 || fail "$c receives after the crash"; done

# 2. SIGSTOP n3 and n4 together beyond the token timeout: n1 and n2 go on
# as a ring of two (and their clients keep sending), then all four merge.
echo "$(now_ms) PARTITION n1 n2 | n3 n4" >> "$faults"
t0=$(now_ms)
kill -STOP "${ring_pid[3]}" "${ring_pid[4]}"
ring_wait_members 1 2 10 && ring_wait_members 2 2 10 &&
    ok "n1, n2 a ring of 2 while n3, n4 are stopped after $(( $(now_ms) - t0 )) ms" ||
    fail "n1, n2 did not notice n3, n4"
ring_wait_view c1 2 10 && ring_wait_view c2 2 10 && ok "c1, c2: a view of 2" ||
    fail "c1, c2: no view of 2"
for c in c1 c2; do ring_wait_more $c MSG 30 20 || fail "$c receives in the ring of 2"; done
echo "$(now_ms) HEAL" >> "$faults"
t0=$(now_ms)
kill -CONT "${ring_pid[3]}" "${ring_pid[4]}"
m=0
for k in 1 2 3 4; do ring_wait_members $k 4 20 && m=$((m + 1)); done
[ $m -eq 4 ] && ok "n1-n4 merged after $(( $(now_ms) - t0 )) ms" ||
    fail "no merge after SIGCONT ($m of 4 daemons)"
for c in c1 c2 c3 c4; do ring_wait_view $c 4 20 || fail "$c view after the merge"; done
for c in c1 c2 c3 c4; do ring_wait_more $c MSG 30 20 || fail "$c receives after the merge"; done

# 3. n5 again, with a new client.
echo "$(now_ms) RESTART n5" >> "$faults"
t0=$(now_ms)
ring_start 5 || fail "n5 restart"
m=0
for k in 1 2 3 4 5; do ring_wait_members $k 5 30 && m=$((m + 1)); done
[ $m -eq 5 ] && ok "a ring of 5 again after $(( $(now_ms) - t0 )) ms" ||
    fail "no ring of 5 after the restart ($m of 5 daemons)"
client c5b 5 1
v=0
for c in c1 c2 c3 c4 c5b; do ring_wait_view $c 5 30 && v=$((v + 1)); done
[ $v -eq 5 ] && ok "c5b on the restarted n5 joined; all see 5" ||
    fail "views of 5 after the restart ($v of 5 clients)"
for c in c1 c2 c3 c4 c5b; do ring_wait_more $c MSG 30 20 || fail "$c receives at the end"; done

ring_end_clients "$work" "" c1 c2 c3 c4 c5b

# The daemons stop cleanly on SIGTERM (status 0: not hung, and no
# sanitizer ended them), and no sanitizer reported anything on the way.
for k in 1 2 3 4 5; do
    kill -TERM "${ring_pid[$k]}"
    waited_status=timeout
    wait_exit "${ring_pid[$k]}" 10 && [ "$waited_status" -eq 0 ] ||
        { fail "n$k: exit on SIGTERM (${waited_status:-timeout})"; tail -n 20 "$work/n$k.log"; }
done
if grep -l -e 'runtime error:' -e 'Sanitizer' "$work"/n*.log "$work"/*.out; then
    fail "sanitizer reports in the files above"
else
    ok "n1-n5 stopped cleanly, no sanitizer report"
fi
echo "# $((SECONDS - t_start)) s"

[ $fails -eq 0 ] || exit 1
exit 0
