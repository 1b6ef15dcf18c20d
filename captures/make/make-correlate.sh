#!/usr/bin/env bash
# Makes the correlate captures (captures/correlate/): the SAME traffic captured at the same time at
# two points of its path, one beside the client and one beside the server, with a user-space wire
# between the two points (delay-relay.py) that delays every frame, drops chosen ones and, in `nat`,
# translates the client's address and port. Three namespaces of its own, in a line, with no route
# anywhere else (one /24, static neighbours, no default route, IPv6 off):
#
#   tcpc-cli 10.81.0.1 ==veth tcpc-c|tcpc-rc== tcpc-rly [delay-relay.py] ==veth tcpc-rs|tcpc-s== tcpc-srv 10.81.0.2
#      ^ tcpdump on tcpc-c: NAME-client.pcap                         tcpdump on tcpc-s: NAME-server.pcap ^
#
# Offloads are off on every veth, so every frame is at most the MTU and carries the checksums its
# kernel wrote (the relay computes them again where it translates). Both tcpdumps
# (--immediate-mode -U -n) are listening before any traffic and are stopped by one kill, about
# 0.5 s after the client's last exchange. A frame the relay drops is in the sender's file and not in
# the receiver's. NAME.truth.json: `ss -tan` and `ss -tanio` of the client and the server (truth.py)
# when the captures stopped, and under "induced" the delay each way, the NAT mapping, the planned
# drops and the relay's --log (every dropped frame with its four-tuple, sequence number, length,
# flags, IP ID and wall-clock time). Check them with captures/make/check-correlate.py.
#
#   sudo captures/make/make-correlate.sh              # all scenarios: loss nat asym
#   sudo captures/make/make-correlate.sh nat          # some
#
# Needs: iproute2, ethtool, tcpdump, python3.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")/correlate"
PEER="$HERE/peer.py"
C=tcpc-cli
R=tcpc-rly
S=tcpc-srv
NS=($C $R $S)
MAC_CLI=02:00:00:81:00:01
MAC_SRV=02:00:00:81:00:02
CLI_IP=10.81.0.1
SRV_IP=10.81.0.2
NAT_IP=10.81.0.100       # the client's address as the server sees it in `nat`
NAT_OFFSET=10000         # and its port + this
PORT=8080
WORK=$(mktemp -d)
PIDS=()
mkdir -p "$OUT"

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
  ip link add tcpc-c netns $C address $MAC_CLI type veth peer name tcpc-rc netns $R
  ip link add tcpc-rs netns $R type veth peer name tcpc-s netns $S address $MAC_SRV
  ip -n $C addr add $CLI_IP/24 dev tcpc-c
  ip -n $S addr add $SRV_IP/24 dev tcpc-s
  ip -n $C neigh add $SRV_IP lladdr $MAC_SRV dev tcpc-c
  ip -n $S neigh add $CLI_IP lladdr $MAC_CLI dev tcpc-s
  ip -n $S neigh add $NAT_IP lladdr $MAC_CLI dev tcpc-s
  for d in $C:tcpc-c $R:tcpc-rc $R:tcpc-rs $S:tcpc-s; do
    local ns=${d%%:*} dev=${d#*:}
    ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "$ns" link set "$dev" up
  done
}

# capture NS DEV FILE LOG: tcpdump in the background; its pid in CAPPID.
capture() {
  timeout 60 ip netns exec "$1" tcpdump --immediate-mode -U -n -i "$2" -w "$3" 2>"$4" &
  CAPPID=$!
  PIDS+=($CAPPID)
}

# listening LOG...: until every tcpdump says it listens, at most 5 s.
listening() {
  local log ok
  for _ in $(seq 50); do
    ok=1
    for log in "$@"; do grep -q -i "listening on" "$log" 2>/dev/null || ok=0; done
    [[ $ok == 1 ]] && return 0
    sleep 0.1
  done
  cat "$@" >&2
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

# scenario NAME NOTE INDUCED-JSON RELAY-ARGS...
scenario() {
  local name=$1 note=$2 induced=$3; shift 3
  echo "== $name"
  setup
  rm -f "$WORK"/*.log "$WORK"/relay.json
  timeout 45 ip netns exec $R python3 "$HERE/delay-relay.py" tcpc-rc tcpc-rs --seconds 40 --log "$WORK/relay.json" "$@" &
  local rp=$!
  PIDS+=($rp)
  sleep 0.3
  capture $C tcpc-c "$OUT/$name-client.pcap" "$WORK/tcpdump-client.log"
  local capc=$CAPPID
  capture $S tcpc-s "$OUT/$name-server.pcap" "$WORK/tcpdump-server.log"
  local caps=$CAPPID
  listening "$WORK/tcpdump-client.log" "$WORK/tcpdump-server.log"
  timeout 45 ip netns exec $S python3 "$PEER" server "correlate-$name" $SRV_IP $PORT 2>"$WORK/server.log" &
  local sp=$!
  sleep 0.3
  timeout 45 ip netns exec $C python3 "$PEER" client "correlate-$name" $SRV_IP $PORT 2>"$WORK/client.log" &
  local cp=$!
  PIDS+=($sp $cp)
  wait_log "$WORK/client.log" holding 30
  sleep 0.5
  kill -INT $capc $caps 2>/dev/null || true     # both at once
  wait $capc $caps 2>/dev/null || true
  chown --reference="$OUT" "$OUT/$name-client.pcap" "$OUT/$name-server.pcap"   # tcpdump writes as its own user
  local cs cti ss sti
  cs=$(ip netns exec $C ss -tanH | base64 -w0)
  cti=$(ip netns exec $C ss -tanioH | base64 -w0)
  ss=$(ip netns exec $S ss -tanH | base64 -w0)
  sti=$(ip netns exec $S ss -tanioH | base64 -w0)
  kill -TERM $rp 2>/dev/null || true
  wait $rp 2>/dev/null || true
  local extra
  extra=$(python3 - "$name" "$induced" "$WORK/relay.json" "$WORK/client.log" "$WORK/server.log" \
      "$WORK/tcpdump-client.log" "$WORK/tcpdump-server.log" <<'PY'
import json, sys
name = sys.argv[1]
induced = json.loads(sys.argv[2])
try:
    with open(sys.argv[3]) as fh:
        induced["relay"] = json.load(fh)
except OSError:
    induced["relay"] = None
logs = {}
for who, path in (("client", sys.argv[4]), ("server", sys.argv[5]), ("tcpdump_client", sys.argv[6]),
                  ("tcpdump_server", sys.argv[7])):
    with open(path) as fh:
        logs[who] = [l.rstrip("\n") for l in fh if l.strip()][:40]
induced["peer_logs"] = logs
print(json.dumps({"captures": {"client": f"{name}-client.pcap", "server": f"{name}-server.pcap"},
                  "capture_points": {"client": "tcpc-c in tcpc-cli (10.81.0.1), before the relay",
                                     "server": "tcpc-s in tcpc-srv (10.81.0.2), after the relay"},
                  "induced": induced}))
PY
)
  python3 "$HERE/truth.py" "$OUT/$name.truth.json" "$name" captures/make/make-correlate.sh "$(uname -r)" "$note" "" "$extra" \
    "client=$cs" "client.ti=$cti" "server=$ss" "server.ti=$sti"
  chown --reference="$OUT" "$OUT/$name.truth.json"
  cat "$WORK/client.log" "$WORK/server.log" >&2
  kill $sp $cp 2>/dev/null || true
  wait $sp $cp 2>/dev/null || true
  cleanup
  PIDS=()
}

want() { [[ $# -eq 0 ]] || [[ " $* " == *" $NAME "* ]]; }

run() {
  NAME=loss; want "$@" && scenario $NAME \
    "20 ms each way in the relay, between the two capture points. Six connections one after the other from client ports 42001-42006 (connection N = port 42000+N): 1: 300-byte request, 20,000-byte response, the client closes first; 2: 300/40,000, the server closes first; 3: a 5,000-byte request (4 segments), 30,000, the client closes first; 4: 300/25,000, the server closes first (after its data is acknowledged, so its FIN is a segment of its own); 5: 300/20,000, the client shuts down and the server never closes (FIN_WAIT_2 / CLOSE_WAIT); 6: 300/10,000, left open, the server then sends a 7-8 byte line every 0.2 s until the captures stop. The relay drops: the 3rd pure ACK from the client in 1, the 3rd and 7th segments of new data from the server in 2, the 2nd data segment of the client's request in 3, the server's first FIN in 4; the kernels retransmit them. Each dropped frame is in the sender's capture and not in the receiver's" \
    '{"one_way_delay_ms": {"c2s": 20, "s2c": 20}, "rtt_ms": 40, "nat": null, "connections": 6, "client_ports": "42001-42006, connection N = 42000+N", "planned_drops": ["c2s,1,ack,3: the 3rd pure ACK from the client in connection 1", "s2c,2,data,3 and s2c,2,data,7: the 3rd and 7th segments of new data from the server in connection 2", "c2s,3,data,2: the 2nd segment of the 5,000-byte request in connection 3", "s2c,4,fin,1: the first FIN of the server in connection 4"]}' \
    --delay-ms 20 --drop-nth c2s,1,ack,3 --drop-nth s2c,2,data,3 --drop-nth s2c,2,data,7 \
    --drop-nth c2s,3,data,2 --drop-nth s2c,4,fin,1
  NAME=nat; want "$@" && scenario $NAME \
    "10 ms each way; the relay translates the client 10.81.0.1:P to 10.81.0.100:P+10000 toward the server and back toward the client (checksums computed again): the client-side capture has the original four-tuple, the server-side one the translated. Three connections from client ports 42001-42003 (server side 52001-52003): 1: 300/20,000, the client closes first; 2: a 5,000-byte request, 20,000, the server closes first; 3: 300/10,000, left open (the server sends a line every 0.2 s). The relay drops the 4th segment of new data from the server in 1 and the 2nd data segment of the client's request in 2" \
    "{\"one_way_delay_ms\": {\"c2s\": 10, \"s2c\": 10}, \"rtt_ms\": 20, \"nat\": {\"kind\": \"source NAT in the relay, between the capture points\", \"client\": \"$CLI_IP\", \"translated\": \"$NAT_IP\", \"port_offset\": $NAT_OFFSET, \"mappings\": [{\"client_side\": \"$CLI_IP:42001\", \"server_side\": \"$NAT_IP:52001\"}, {\"client_side\": \"$CLI_IP:42002\", \"server_side\": \"$NAT_IP:52002\"}, {\"client_side\": \"$CLI_IP:42003\", \"server_side\": \"$NAT_IP:52003\"}]}, \"connections\": 3, \"planned_drops\": [\"s2c,1,data,4\", \"c2s,2,data,2\"]}" \
    --delay-ms 10 --snat $CLI_IP,$NAT_IP,$NAT_OFFSET --drop-nth s2c,1,data,4 --drop-nth c2s,2,data,2
  NAME=asym; want "$@" && scenario $NAME \
    "Asymmetric delay: 10 ms from the client to the server, 30 ms from the server to the client (RTT 40 ms). Three connections from client ports 42001-42003: 1: 300/8,000, the client closes first; 2: 300/20,000, the server closes first; 3: 300/4,000, left open (the server sends a line every 0.2 s). The relay drops the 2nd segment of new data from the server in 2" \
    '{"one_way_delay_ms": {"c2s": 10, "s2c": 30}, "rtt_ms": 40, "nat": null, "connections": 3, "planned_drops": ["s2c,2,data,2"]}' \
    --delay-ms 10 --delay-s2c-ms 30 --drop-nth s2c,2,data,2
  return 0
}

run "$@"
