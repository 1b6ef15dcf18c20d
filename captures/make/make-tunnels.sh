#!/usr/bin/env bash
# Makes captures/geneve.pcap, gre.pcap and ipip.pcap: real kernel TCP carried in tunnels this kernel
# cannot make itself, by two user-space tunnel ends (encap-relay.py). Four namespaces made here, in a
# line, with no route anywhere else:
#
#   tun-cli 10.93.0.1 ==veth== tun-enc [relay] ==veth, the tunnel== tun-dec [relay] ==veth== tun-srv 10.93.0.2
#
# The hosts are on one /24 with static neighbours (no ARP crosses an IP tunnel) and offloads off (the
# relays carry the checksums the kernels wrote, and no segment larger than the MTU of 1400). The
# tunnel link has no addresses: the outer header is 10.94.0.1 <-> 10.94.0.2, in the frames only.
# tcpdump captures tun-enc's end of the tunnel link. In each capture: a request and its answer with
# the client closing first, a 20,000-byte answer with the server closing first, and a connection to a
# closed port. Beside each, KIND.truth.json: `ss -tan` in the two hosts at the end.
#
#   sudo captures/make/make-tunnels.sh [geneve|gre|ipip ...]
#
# Needs: iproute2, ethtool, tcpdump, python3.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
NS=(tun-cli tun-enc tun-dec tun-srv)
MAC_CLI=02:00:00:93:00:01
MAC_SRV=02:00:00:93:00:02
MAC_ENC=02:00:00:94:00:01
MAC_DEC=02:00:00:94:00:02
cleanup() {
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

one() {
  local kind=$1
  cleanup
  for ns in "${NS[@]}"; do
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip link add tc0 netns tun-cli address $MAC_CLI type veth peer name te0 netns tun-enc
  ip link add te1 netns tun-enc address $MAC_ENC type veth peer name td1 netns tun-dec address $MAC_DEC
  ip link add td0 netns tun-dec type veth peer name ts0 netns tun-srv address $MAC_SRV
  ip -n tun-cli addr add 10.93.0.1/24 dev tc0
  ip -n tun-srv addr add 10.93.0.2/24 dev ts0
  ip -n tun-cli neigh add 10.93.0.2 lladdr $MAC_SRV dev tc0
  ip -n tun-srv neigh add 10.93.0.1 lladdr $MAC_CLI dev ts0
  for d in tun-cli:tc0 tun-enc:te0 tun-enc:te1 tun-dec:td1 tun-dec:td0 tun-srv:ts0; do
    local ns=${d%%:*} dev=${d#*:}
    ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "$ns" link set "$dev" mtu 1400 up
  done
  ip -n tun-enc link set te1 mtu 1500
  ip -n tun-dec link set td1 mtu 1500
  ip netns exec tun-enc timeout 30 python3 "$HERE/encap-relay.py" "$kind" te0 te1 10.94.0.1 10.94.0.2 $MAC_DEC $MAC_CLI $MAC_SRV 14 &
  local r1=$!
  ip netns exec tun-dec timeout 30 python3 "$HERE/encap-relay.py" "$kind" td0 td1 10.94.0.2 10.94.0.1 $MAC_ENC $MAC_SRV $MAC_CLI 14 &
  local r2=$!
  ip netns exec tun-enc tcpdump --immediate-mode -i te1 -w "$OUT/$kind.pcap" 2>/dev/null &
  local td=$!
  sleep 1
  ip netns exec tun-srv timeout 20 python3 - <<'PY' &
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.93.0.2", 8080))
s.listen(2)
c, _ = s.accept()
c.recv(1000)
c.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello through the tunnel\n")
c.recv(1000)
c.close()
c, _ = s.accept()
c.recv(1000)
c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 20000)
c.close()
PY
  local sp=$!
  sleep 0.5
  ip netns exec tun-cli timeout 20 python3 - <<'PY'
import socket, time
s = socket.create_connection(("10.93.0.2", 8080), timeout=5)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
s.recv(1000)
time.sleep(0.2)
s.close()
time.sleep(0.3)
s = socket.create_connection(("10.93.0.2", 8080), timeout=5)
s.sendall(b"GET /big HTTP/1.0\r\n\r\n")
got = 0
while True:
    b = s.recv(65536)
    if not b:
        break
    got += len(b)
time.sleep(0.2)
s.close()
time.sleep(0.3)
try:
    socket.create_connection(("10.93.0.2", 8081), timeout=2)
except OSError:
    pass
time.sleep(0.3)
PY
  wait $sp || true
  sleep 0.5
  kill -INT $td 2>/dev/null || true
  wait $td 2>/dev/null || true
  python3 "$HERE/truth.py" "$OUT/$kind.truth.json" "$kind" captures/make/make-tunnels.sh "$(uname -r)" \
    "TCP carried in $kind by two user-space tunnel ends (encap-relay.py), captured on the tunnel link: a request and answer with the client closing first, a 20,000-byte answer with the server closing first, then a refused connection" "" "" \
    "client=$(ip netns exec tun-cli ss -tanH | base64 -w0)" "server=$(ip netns exec tun-srv ss -tanH | base64 -w0)"
  kill $r1 $r2 2>/dev/null || true
  wait $r1 $r2 2>/dev/null || true
  cleanup
  echo "wrote $OUT/$kind.pcap"
}

for kind in "${@:-geneve gre ipip}"; do
  for k in $kind; do one "$k"; done
done
