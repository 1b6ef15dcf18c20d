#!/usr/bin/env bash
# Makes the timing captures (delayed, rto-backoff, slow-handshake, lossy, middlebox-rst): real Linux
# TCP between two namespaces with a user-space wire between them that delays every frame and, when a
# scenario asks, drops chosen ones or forges a RST (delay-relay.py). Three namespaces made here, in a
# line, with no route anywhere else (the two hosts share one /24, static neighbours, IPv6 off):
#
#   tcpt-cli 10.79.0.1 ==veth tcpt-c|tcpt-rc== tcpt-rly [delay-relay.py] ==veth tcpt-rs|tcpt-s== tcpt-srv 10.79.0.2
#
# Offloads are off on every veth, so the relay carries whole frames no larger than the MTU with the
# checksums the kernels wrote (unlike make-captures.sh's captures, these have correct TCP checksums).
# tcpdump captures the client's veth inside the client namespace (near the client). When the capture
# stops, NAME.truth.json gets for each host `ss -tan` and, per socket, what `ss -tanio` showed (rtt,
# rttvar, rto, retrans, backoff, timer, ...: truth.py's "ti"), and under "induced" the delay, the
# server's sleeps and what the relay dropped or forged (its --log).
#
#   sudo captures/make/make-timing.sh                   # all scenarios
#   sudo captures/make/make-timing.sh lossy delayed     # some
#
# Needs: iproute2, ethtool, tcpdump, python3.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
PEER="$HERE/peer.py"
C=tcpt-cli
R=tcpt-rly
S=tcpt-srv
NS=($C $R $S)
MAC_CLI=02:00:00:79:00:01
MAC_SRV=02:00:00:79:00:02
PORT=8080
WORK=$(mktemp -d)
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap 'cleanup; rm -rf "$WORK"' EXIT

setup() {
  cleanup
  for ns in "${NS[@]}"; do
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip link add tcpt-c netns $C address $MAC_CLI type veth peer name tcpt-rc netns $R
  ip link add tcpt-rs netns $R type veth peer name tcpt-s netns $S address $MAC_SRV
  ip -n $C addr add 10.79.0.1/24 dev tcpt-c
  ip -n $S addr add 10.79.0.2/24 dev tcpt-s
  ip -n $C neigh add 10.79.0.2 lladdr $MAC_SRV dev tcpt-c
  ip -n $S neigh add 10.79.0.1 lladdr $MAC_CLI dev tcpt-s
  for d in $C:tcpt-c $R:tcpt-rc $R:tcpt-rs $S:tcpt-s; do
    local ns=${d%%:*} dev=${d#*:}
    ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "$ns" link set "$dev" up
  done
}

# capture FILE TCPDUMP-ARGS...: tcpdump on the client's veth, in the background, once it listens.
capture() {
  local file=$1; shift
  local log=$WORK/tcpdump.log
  timeout 60 ip netns exec $C tcpdump --immediate-mode -U -n -i tcpt-c "$@" -w "$file" 2>"$log" &
  CAP=$!
  PIDS+=($CAP)
  for _ in $(seq 50); do
    if grep -q -i "listening on" "$log"; then return; fi
    sleep 0.1
  done
  cat "$log" >&2
  echo "capture did not start" >&2
  exit 1
}

# wait_log FILE TEXT SECONDS: until TEXT shows in FILE, at most SECONDS.
wait_log() {
  local i
  for i in $(seq $(($3 * 10))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "(no \"$2\" in $1 after $3 s)" >&2
}

# scenario NAME SECONDS-AFTER-CLIENT-HOLDS NOTE INDUCED-JSON RELAY-ARGS... [-- TCPDUMP-ARGS...]
scenario() {
  local name=$1 after=$2 note=$3 induced=$4; shift 4
  local relay=() td=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do relay+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift && td=("$@")
  echo "== $name"
  setup
  rm -f "$WORK"/*.log "$WORK"/relay.json
  timeout 40 ip netns exec $R python3 "$HERE/delay-relay.py" tcpt-rc tcpt-rs --seconds 35 --log "$WORK/relay.json" "${relay[@]}" &
  local rp=$!
  PIDS+=($rp)
  sleep 0.3
  capture "$OUT/$name.pcap" "${td[@]}"
  timeout 40 ip netns exec $S python3 "$PEER" server "$name" 10.79.0.2 $PORT 2>"$WORK/server.log" &
  local sp=$!
  sleep 0.3
  timeout 40 ip netns exec $C python3 "$PEER" client "$name" 10.79.0.2 $PORT 2>"$WORK/client.log" &
  local cp=$!
  PIDS+=($sp $cp)
  wait_log "$WORK/client.log" holding 25
  sleep "$after"
  sleep 0.3
  kill -INT $CAP 2>/dev/null || true
  wait $CAP 2>/dev/null || true
  chown --reference="$OUT" "$OUT/$name.pcap"     # tcpdump writes it as its own user
  local cs cti ss sti
  cs=$(ip netns exec $C ss -tanH | base64 -w0)
  cti=$(ip netns exec $C ss -tanioH | base64 -w0)
  ss=$(ip netns exec $S ss -tanH | base64 -w0)
  sti=$(ip netns exec $S ss -tanioH | base64 -w0)
  kill -TERM $rp 2>/dev/null || true
  wait $rp 2>/dev/null || true
  local extra
  extra=$(python3 - "$induced" "$WORK/relay.json" "$WORK/client.log" "$WORK/server.log" <<'PY'
import json, sys
induced = json.loads(sys.argv[1])
try:
    with open(sys.argv[2]) as fh:
        induced["relay"] = json.load(fh)
except OSError:
    induced["relay"] = None
logs = {}
for who, path in (("client", sys.argv[3]), ("server", sys.argv[4])):
    with open(path) as fh:
        logs[who] = [l.rstrip("\n") for l in fh if l.strip()][:40]
induced["peer_logs"] = logs
print(json.dumps({"induced": induced}))
PY
)
  python3 "$HERE/truth.py" "$OUT/$name.truth.json" "$name" captures/make/make-timing.sh "$(uname -r)" "$note" "" "$extra" \
    "client=$cs" "client.ti=$cti" "server=$ss" "server.ti=$sti"
  cat "$WORK/client.log" "$WORK/server.log" >&2
  kill $sp $cp 2>/dev/null || true
  wait $sp $cp 2>/dev/null || true
  cleanup
  PIDS=()
}

want() { [[ $# -eq 0 ]] || [[ " $* " == *" $NAME "* ]]; }

run() {
  NAME=delayed; want "$@" && scenario $NAME 0.3 \
    "20 ms each way in the relay; three requests one after the other, each answered 150 ms after it arrived with 60,000 bytes; both keep every connection open. Captured near the client with -s 128: handshake and data RTT about 40 ms, first byte about 190 ms after the request" \
    '{"one_way_delay_ms": 20, "rtt_ms": 40, "server_sleep_ms": 150, "response_bytes": 60000, "connections": 3, "expect_first_byte_after_request_ms": 190}' \
    --delay-ms 20 -- -s 128
  NAME=rto-backoff; want "$@" && scenario $NAME 6.2 \
    "20 ms each way; a request (18 bytes) and its answer, then the relay drops every frame from the client to the server; the client's 100-byte write 0.5 s later is retransmitted with exponential backoff for about 6 s" \
    '{"one_way_delay_ms": 20, "rtt_ms": 40, "dropped": "every frame from the client to the server after its first 18 bytes of payload (the request): its 100-byte write and everything after", "client_write_bytes": 100}' \
    --delay-ms 20 --blackhole c2s,bytes=18
  NAME=slow-handshake; want "$@" && scenario $NAME 0.3 \
    "20 ms each way; the relay drops the first SYN of each of two connections, one after the other: each client retransmits its SYN about 1 s later, then a request and an answer; both keep both connections open" \
    '{"one_way_delay_ms": 20, "rtt_ms": 40, "dropped": "the first SYN of each of the two connections"}' \
    --delay-ms 20 --drop-first-syns 2
  NAME=lossy; want "$@" && scenario $NAME 0.5 \
    "5 ms each way; the relay drops about 8% of the server's segments with data (seeded hash, repeatable); 20 connections one after the other, each a request and a 30,000-byte answer, the server closing first. -s 128" \
    '{"one_way_delay_ms": 5, "rtt_ms": 10, "dropped": "8% of the data-bearing segments from the server to the client (seed 20261122); the list is relay.dropped", "connections": 20, "response_bytes": 30000}' \
    --delay-ms 5 --loss s2c,8,20261122 -- -s 128
  NAME=middlebox-rst; want "$@" && scenario $NAME 0.3 \
    "5 ms each way; two connections (client ports 41001 = A, 41002 = B), the server sends a line on each every 0.2 s. 1.5 s after A's SYN the relay forges two RST,ACKs toward the client claiming to be the server (TTL 255, IP ID 0, no DF, no timestamp option): one at the right edge of the client's window (this kernel answers it with a challenge ACK, RFC 5961), then 3 ms later one at the exact next sequence number, which resets the client's socket; the server's next line on A draws a RST from the client's kernel. B is aborted by the server itself (SO_LINGER 0) 2.4 s after it was accepted: a real RST from the peer" \
    '{"one_way_delay_ms": 5, "rtt_ms": 10, "forged_rst": {"client_port": 41001, "connection": "A", "from": "the relay (on path), claiming 10.79.0.2:8080", "ttl": 255, "ip_id": 0, "tcp_options": "none (the connection uses timestamps)", "sent": ["edge: client ack + its advertised window: challenge ACK", "exact: the next sequence number: accepted"]}, "peer_rst": {"client_port": 41002, "connection": "B", "from": "the server, SO_LINGER 0 close 2.4 s after accept", "ttl": 64}}' \
    --delay-ms 5 --inject-rst 41001:1.5:edge,exact
  return 0
}

run "$@"
