# SPDX-License-Identifier: BSD-2-Clause
# Cohort, a maintained, clean-room fork of the Spread Toolkit.
#
# Network namespaces of a test's (or benchmark's) own: K namespaces
# TAG-1..TAG-K, each with eth0 = NET.k/24 (broadcast NET.255), joined by
# a bridge in namespace TAG-br. Nothing outside them is touched; traffic
# stays on NET.x. Source it, then:
#   netns_why_not                 prints why namespaces cannot be used
#                                 here (and returns 1), or returns 0
#   netns_setup TAG NET K         creates them (returns 1 on failure,
#                                 with the reason in $netns_error)
#   netns_link TAG K up|down      cuts namespace k off the bridge or
#                                 puts it back (a partition and a heal)
#   netns_cleanup                 deletes every namespace created
# netns_cleanup must run on exit: call it from the caller's trap.

netns_spaces=()
netns_error=

netns_why_not() {
    if [ "$(id -u)" -ne 0 ]; then echo "needs root (network namespaces)"; return 1; fi
    if ! command -v ip >/dev/null; then echo "no ip command"; return 1; fi
    if ! ip netns list >/dev/null 2>&1; then echo "ip netns does not work here"; return 1; fi
    return 0
}

netns_setup() { # TAG NET K
    local tag=$1 net=$2 n=$3 k br=$1-br
    ip netns add "$br" || { netns_error="ip netns add failed"; return 1; }
    netns_spaces+=("$br")
    ip -n "$br" link add br0 type bridge || { netns_error="no bridge support"; return 1; }
    ip -n "$br" link set br0 up
    ip -n "$br" link set lo up
    for k in $(seq 1 "$n"); do
        ip netns add "$tag-$k" || { netns_error="ip netns add failed"; return 1; }
        netns_spaces+=("$tag-$k")
        ip link add "${tag}v$k" type veth peer name "${tag}p$k" ||
            { netns_error="no veth support"; return 1; }
        ip link set "${tag}v$k" netns "$br"
        ip -n "$br" link set "${tag}v$k" master br0 up
        ip link set "${tag}p$k" netns "$tag-$k"
        ip -n "$tag-$k" link set "${tag}p$k" name eth0
        ip -n "$tag-$k" addr add "$net.$k/24" brd "$net.255" dev eth0
        ip -n "$tag-$k" link set eth0 up
        ip -n "$tag-$k" link set lo up
    done
}

netns_link() { # TAG K up|down
    ip -n "$1-br" link set "${1}v$2" "$3"
}

netns_cleanup() {
    local ns
    for ns in "${netns_spaces[@]}"; do ip netns delete "$ns" 2>/dev/null; done
    netns_spaces=()
}
