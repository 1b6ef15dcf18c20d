#!/usr/bin/env bash
# Makes captures/vxlan.pcap from real kernel TCP carried in the kernel's own VXLAN (RFC 7348):
# two network namespaces made here joined by one veth pair (the underlay, vxl-cli 10.80.0.1 and
# vxl-srv 10.80.0.2, no route anywhere else), a VXLAN device in each (VNI 42, UDP 4789, the other
# end as its remote) carrying the overlay 10.81.0.1 / 10.81.0.2. A request and its answer over the
# overlay, the client closing first, then a second connection refused by a closed port. tcpdump
# captures the client's underlay interface, so every segment is seen inside its VXLAN header.
# Beside it, captures/vxlan.truth.json: `ss -tan` in each namespace at the end.
#
#   sudo captures/make/make-vxlan.sh
#
# Needs: iproute2 (with VXLAN in the kernel), tcpdump, python3.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
C=vxl-cli
S=vxl-srv
cleanup() {
  ip netns del $C 2>/dev/null || true
  ip netns del $S 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add $C
ip netns add $S
ip link add vxl-c netns $C type veth peer name vxl-s netns $S
ip -n $C addr add 10.80.0.1/24 dev vxl-c
ip -n $S addr add 10.80.0.2/24 dev vxl-s
for ns in $C $S; do ip -n $ns link set lo up; done
ip -n $C link set vxl-c up
ip -n $S link set vxl-s up
ip -n $C link add vx42 type vxlan id 42 remote 10.80.0.2 local 10.80.0.1 dstport 4789 dev vxl-c
ip -n $S link add vx42 type vxlan id 42 remote 10.80.0.1 local 10.80.0.2 dstport 4789 dev vxl-s
ip -n $C addr add 10.81.0.1/24 dev vx42
ip -n $S addr add 10.81.0.2/24 dev vx42
ip -n $C link set vx42 up
ip -n $S link set vx42 up

ip netns exec $C tcpdump --immediate-mode -i vxl-c -w "$OUT/vxlan.pcap" 'udp port 4789' 2>/dev/null &
TD=$!
sleep 1
ip netns exec $S timeout 20 python3 - <<'PY' &
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.81.0.2", 8080))
s.listen(1)
c, _ = s.accept()
c.recv(1000)
c.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello over vxlan\n")
c.recv(1000)
c.close()
PY
SP=$!
sleep 0.5
ip netns exec $C timeout 20 python3 - <<'PY'
import socket, time
s = socket.create_connection(("10.81.0.2", 8080))
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
s.recv(1000)
time.sleep(0.2)
s.close()
time.sleep(0.5)
try:
    socket.create_connection(("10.81.0.2", 8081), timeout=2)
except OSError:
    pass
time.sleep(0.3)
PY
wait $SP || true
sleep 0.5
kill -INT $TD 2>/dev/null || true
wait $TD 2>/dev/null || true
python3 "$HERE/truth.py" "$OUT/vxlan.truth.json" vxlan captures/make/make-vxlan.sh "$(uname -r)" \
  "TCP over the kernel's VXLAN (VNI 42), captured on the underlay: one request and answer, the client closing first, then a refused connection" "" "" \
  "client=$(ip netns exec $C ss -tanH | base64 -w0)" "server=$(ip netns exec $S ss -tanH | base64 -w0)"
echo "wrote $OUT/vxlan.pcap"
