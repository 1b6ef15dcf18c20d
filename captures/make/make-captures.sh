#!/usr/bin/env bash
# Regenerates the captures in captures/ from real Linux TCP traffic between two network
# namespaces made here (tcps-cli 10.77.0.1 / fd77::1 and tcps-srv 10.77.0.2 / fd77::2,
# joined by one veth pair, no route anywhere else), and next to each capture the states
# `ss -tan` showed in each namespace when the capture stopped (*.truth.json).
#
#   sudo captures/make/make-captures.sh            # all scenarios
#   sudo captures/make/make-captures.sh refused    # one
#
# Needs: iproute2, nftables, tcpdump, dumpcap (wireshark-common), python3, editcap, gzip.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
PEER="$HERE/peer.py"
C=tcps-cli
S=tcps-srv
M=tcps-mir
PORT=8080

cleanup() {
  for ns in $C $S $M; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

setup() {
  cleanup
  ip netns add $C
  ip netns add $S
  ip link add tcps-c netns $C type veth peer name tcps-s netns $S
  ip -n $C addr add 10.77.0.1/24 dev tcps-c
  ip -n $S addr add 10.77.0.2/24 dev tcps-s
  ip -n $C -6 addr add fd77::1/64 dev tcps-c nodad
  ip -n $S -6 addr add fd77::2/64 dev tcps-s nodad
  for ns in $C $S; do ip -n $ns link set lo up; done
  ip -n $C link set tcps-c up
  ip -n $S link set tcps-s up
}

setup_mirror() {
  ip netns add $M
  ip link add tcps-m0 netns $C type veth peer name tcps-m1 netns $M
  ip link add tcps-q0 netns $C type veth peer name tcps-q1 netns $M
  for i in tcps-m0 tcps-q0; do ip -n $C link set $i up; done
  for i in tcps-m1 tcps-q1; do ip -n $M link set $i up; done
}

# capture NS FILE TOOL-ARGS...: starts a capture in the background and waits until it listens.
PIDS=()
capture() {
  local ns=$1 file=$2; shift 2
  local log; log=$(mktemp)
  timeout 60 ip netns exec "$ns" "$@" -w "$file" 2>"$log" &
  PIDS+=($!)
  for _ in $(seq 50); do
    if grep -q -i "listening on\|capturing on" "$log"; then rm -f "$log"; return; fi
    sleep 0.1
  done
  cat "$log" >&2
  echo "capture did not start: $*" >&2
  exit 1
}

stop_captures() {
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}

# truth NAME NOTE: what the kernel believes, read from ss in every namespace.
truth() {
  local name=$1 note=${2:-} unowned=${3:-}
  python3 "$HERE/truth.py" "$OUT/$name.truth.json" "$name" captures/make/make-captures.sh "$(uname -r)" "$note" "$unowned" "" \
    "client=$(ip netns exec $C ss -tanH | base64 -w0)" \
    "server=$(ip netns exec $S ss -tanH | base64 -w0)"
}

# scenario NAME SCENARIO SERVER-ADDR SECONDS CAPTURE-NS CAPTURE-TOOL-ARGS...
scenario() {
  local name=$1 scen=$2 addr=$3 secs=$4 cns=$5; shift 5
  local ext=pcap
  [[ "$1" == dumpcap ]] && ext=pcapng
  echo "== $name"
  setup
  [[ -n "${PREP:-}" ]] && $PREP
  capture "$cns" "$OUT/$name.$ext" "$@"
  timeout 40 ip netns exec $S python3 "$PEER" server "$scen" "$addr" $PORT &
  local sp=$!
  sleep 0.3
  timeout 40 ip netns exec $C python3 "$PEER" client "$scen" "$addr" $PORT &
  local cp=$!
  sleep "$secs"
  stop_captures
  truth "$name" "${NOTE:-}" "${UNOWNED:-}"
  kill "$sp" "$cp" 2>/dev/null || true
  wait "$sp" "$cp" 2>/dev/null || true
  cleanup
}

TD=(tcpdump --immediate-mode -U -n -i tcps-c)
want() { [[ $# -eq 0 ]] || [[ " $* " == *" $NAME "* ]]; }

run() {
  NAME=client-closes-first;  want "$@" && scenario $NAME client-closes-first 10.77.0.2 1.5 $C "${TD[@]}"
  NAME=server-closes-first;  want "$@" && scenario $NAME server-closes-first 10.77.0.2 1.5 $C "${TD[@]}"
  NAME=server-never-closes;  want "$@" && scenario $NAME server-never-closes 10.77.0.2 6.5 $C "${TD[@]}"
  NAME=refused;              want "$@" && scenario $NAME refused 10.77.0.2 1 $C "${TD[@]}"
  NAME=abort-linger0;        want "$@" && scenario $NAME abort-linger0 10.77.0.2 1.5 $C "${TD[@]}"
  # Captured at the server, where the dropped ACK is seen arriving before nft discards it.
  NAME=final-ack-dropped;    want "$@" && NOTE="the client's ACK of the server's FIN is captured, then dropped by nft inside the server" \
                                scenario $NAME final-ack-dropped 10.77.0.2 3.5 $S tcpdump --immediate-mode -U -n -i tcps-s
  NAME=half-open;            want "$@" && NOTE="the client host drops all traffic of the connection after 0.7 s; its kernel still holds ESTABLISHED" \
                                scenario $NAME half-open 10.77.0.2 4 $S tcpdump --immediate-mode -U -n -i tcps-s
  NAME=peer-reset;           want "$@" && scenario $NAME peer-reset 10.77.0.2 3 $S tcpdump --immediate-mode -U -n -i tcps-s
  NAME=reset-storm;          want "$@" && NOTE="24 requests, each read by the server and then aborted with SO_LINGER 0 (a RST): a front end resetting its clients" \
                                scenario $NAME reset-storm 10.77.0.2 3 $C "${TD[@]}" -s 128
  NAME=syn-dropped;          want "$@" && scenario $NAME syn-dropped 10.77.0.2 3 $C "${TD[@]}"
  NAME=time-wait-pileup;     want "$@" && scenario $NAME time-wait-pileup 10.77.0.2 2 $C "${TD[@]}" -s 96
  NAME=simultaneous-close;   want "$@" && scenario $NAME simultaneous-close 10.77.0.2 2.5 $C "${TD[@]}"
  NAME=ipv6;                 want "$@" && scenario $NAME ipv6 fd77::2 1.5 $C "${TD[@]}"
  NAME=nanosecond;           want "$@" && scenario $NAME nanosecond 10.77.0.2 2 $C "${TD[@]}" --time-stamp-precision=nano
  NAME=any-sll;              want "$@" && scenario $NAME sll 10.77.0.2 1.5 $C tcpdump --immediate-mode -U -n -i any -y LINUX_SLL
  NAME=any-sll2;             want "$@" && scenario $NAME sll2 10.77.0.2 1.5 $C tcpdump --immediate-mode -U -n -i any -y LINUX_SLL2
  NAME=pcapng;               want "$@" && scenario $NAME pcapng 10.77.0.2 1.5 $C dumpcap -q -i tcps-c
  NAME=syn-flood;            want "$@" && NOTE="5000 SYNs from spoofed sources in 10.78.0.0/16 (no host owns them) at a listener with backlog 8 and tcp_syncookies=0; two real clients then find the SYN queue full" \
                                UNOWNED=10.78. PREP=flood_prep scenario $NAME syn-flood 10.77.0.2 5 $S tcpdump --immediate-mode -U -n -i tcps-s -s 96
  NAME=fin-wait-1-stuck;     want "$@" && NOTE="nft in the client drops everything from the server after the response; the client's FIN is acknowledged on the wire but the ACKs never reach it" \
                                scenario $NAME fin-wait-1-stuck 10.77.0.2 3.5 $C "${TD[@]}"
  NAME=handshake-ack-lost;   want "$@" && NOTE="captured at the server; nft inside the server drops the client's ACKs (the handshake's last one first); the server retransmits its SYN,ACK" \
                                scenario $NAME handshake-ack-lost 10.77.0.2 4.5 $S tcpdump --immediate-mode -U -n -i tcps-s
  NAME=normal-traffic;       want "$@" && scenario $NAME normal-traffic 10.77.0.2 3 $C "${TD[@]}" -s 128
  NAME=mixed;                want "$@" && NOTE="300 ordinary requests; meanwhile 3 leaked sockets (CLOSE_WAIT), 4 refused, 2 filtered SYNs, 2 aborts (RST)" \
                                scenario $NAME mixed 10.77.0.2 7 $C "${TD[@]}" -s 128
  NAME=synack-lost;          want "$@" && NOTE="nft in the client drops every SYN,ACK from the server after tcpdump saw it; the client retransmits its SYN, the server its SYN,ACK" \
                                scenario $NAME synack-lost 10.77.0.2 4 $C "${TD[@]}"
  NAME=synack-lost-twice;    want "$@" && NOTE="nft in the client drops the server's SYN,ACKs until its counter shows at least two, then its table is deleted: the next SYN,ACK gets through, then a request and a response; both keep the connection open" \
                                scenario $NAME synack-lost-twice 10.77.0.2 5 $C "${TD[@]}"
  NAME=fin-lost;             want "$@" && NOTE="captured at the server; after the response nft inside the server drops every segment from the client with FIN set; the client closes and retransmits its FIN" \
                                scenario $NAME fin-lost 10.77.0.2 4.5 $S tcpdump --immediate-mode -U -n -i tcps-s
  NAME=fin-zero-window;      want "$@" && NOTE="the server never reads (SO_RCVBUF 4096 on its listener); the client (SO_SNDBUF 4096) fills the window and shuts down with data still queued: its FIN waits behind the unsent data and never goes on the wire while it probes the zero window" \
                                scenario $NAME fin-zero-window 10.77.0.2 5 $C "${TD[@]}"
  NAME=crossing-fins-lost;   want "$@" && NOTE="both sides shut down at the same moment and their FINs cross; nft in each lets the peer's first FIN through and drops everything after it (the ACK of its own FIN first), so both stay in CLOSING" \
                                scenario $NAME crossing-fins-lost 10.77.0.2 3 $C "${TD[@]}"
  NAME=data-lost-reset;      want "$@" && NOTE="captured at the server; after one exchange nft inside the server drops the client's segments with data (IP length over 52); the client's data is retransmitted, then it aborts with SO_LINGER 0: its RST (sequence past the lost data) draws a challenge ACK, answered with a second RST that the server accepts" \
                                scenario $NAME data-lost-reset 10.77.0.2 3 $S tcpdump --immediate-mode -U -n -i tcps-s
  NAME=port-reuse;           want "$@" && NOTE="three requests from one client port (45001), each 20 ms after the one before closed; the server closes first, so the client ends each in LAST_ACK, then CLOSED, and the server's TIME_WAIT is taken by the next SYN" \
                                scenario $NAME port-reuse 10.77.0.2 1.5 $C "${TD[@]}"
  NAME=two-points;           want "$@" && two_points
  NAME=two-interfaces;       want "$@" && two_interfaces
  NAME=vlan;                 want "$@" && vlan
  NAME=rotated;              want "$@" && rotated
  return 0
}

# The flood's SYN,ACKs go back into the client namespace, which owns none of the spoofed
# addresses and does not forward: they end there. The listener keeps no syncookies.
flood_prep() {
  ip netns exec $S sysctl -q -w net.ipv4.tcp_syncookies=0
  ip -n $S route add 10.78.0.0/16 via 10.77.0.1 dev tcps-s
}

# pcapng with two interfaces (veth and loopback) of the client host.
two_interfaces() {
  echo "== two-interfaces"
  setup
  capture $C "$OUT/two-interfaces.pcapng" dumpcap -q -i tcps-c -i lo
  timeout 40 ip netns exec $S python3 "$PEER" server two-interfaces 10.77.0.2 $PORT &
  local sp=$!
  timeout 40 ip netns exec $C python3 "$PEER" lo-server two-interfaces 127.0.0.1 9090 &
  local lp=$!
  sleep 0.3
  timeout 40 ip netns exec $C python3 "$PEER" client two-interfaces 10.77.0.2 $PORT &
  local cp=$!
  sleep 1.5
  stop_captures
  truth two-interfaces "client host's loopback traffic is in the client namespace too"
  kill $sp $lp $cp 2>/dev/null || true
  wait $sp $lp $cp 2>/dev/null || true
  cleanup
}

# One connection captured at both ends at once: on the client's interface (two-points-client.pcap)
# and on the server's (two-points-server.pcap). The client closes first; its first FIN is dropped
# by nft inside the server (both captures show it), the retransmitted one gets through.
two_points() {
  echo "== two-points"
  setup
  capture $C "$OUT/two-points-client.pcap" "${TD[@]}"
  capture $S "$OUT/two-points-server.pcap" tcpdump --immediate-mode -U -n -i tcps-s
  timeout 40 ip netns exec $S python3 "$PEER" server two-points 10.77.0.2 $PORT &
  local sp=$!
  sleep 0.3
  timeout 40 ip netns exec $C python3 "$PEER" client two-points 10.77.0.2 $PORT &
  local cp=$!
  sleep 2
  stop_captures
  local note="one connection captured at the client's interface and at the server's at the same time; the client's first FIN is dropped by nft inside the server, its retransmission gets through"
  truth two-points-client "$note"
  truth two-points-server "$note"
  kill $sp $cp 2>/dev/null || true
  wait $sp $cp 2>/dev/null || true
  cleanup
}

# 802.1Q and QinQ frames from a software mirror port of the client's interface.
vlan() {
  echo "== vlan, qinq"
  setup
  setup_mirror
  capture $M "$OUT/vlan.pcap" tcpdump --immediate-mode -U -n -i tcps-m1
  capture $M "$OUT/qinq.pcap" tcpdump --immediate-mode -U -n -i tcps-q1
  timeout 20 ip netns exec $C python3 "$HERE/mirror.py" tcps-c tcps-m0 3 0x8100:100 &
  local m1=$!
  timeout 20 ip netns exec $C python3 "$HERE/mirror.py" tcps-c tcps-q0 3 0x88a8:200 0x8100:100 &
  local m2=$!
  sleep 0.5
  timeout 40 ip netns exec $S python3 "$PEER" server vlan 10.77.0.2 $PORT &
  local sp=$!
  sleep 0.3
  timeout 40 ip netns exec $C python3 "$PEER" client vlan 10.77.0.2 $PORT &
  local cp=$!
  sleep 1.5
  stop_captures
  truth vlan "mirrored with an 802.1Q tag (VLAN 100) by captures/make/mirror.py"
  cp "$OUT/vlan.truth.json" "$OUT/qinq.truth.json"
  kill $sp $cp 2>/dev/null || true
  wait $sp $cp $m1 $m2 2>/dev/null || true
  cleanup
}

# What tcpdump -C/-G rotation leaves: the time-wait pile-up split into three consecutive files.
rotated() {
  echo "== rotated"
  mkdir -p "$OUT/rotated"
  rm -f "$OUT"/rotated/*.pcap
  editcap -F pcap -c 30 "$OUT/time-wait-pileup.pcap" "$OUT/rotated/part.pcap"
  local i=0
  for f in $(ls "$OUT"/rotated/part_*.pcap | sort); do mv "$f" "$OUT/rotated/time-wait-pileup.pcap$i"; i=$((i + 1)); done
  gzip -9 -n -c "$OUT/server-never-closes.pcap" > "$OUT/server-never-closes.pcap.gz"
}

run "$@"
echo "done"
