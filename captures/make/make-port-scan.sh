#!/usr/bin/env bash
# Makes captures/port-scan.pcap: one client probing 40 ports of one server with real kernel
# connects (a connect() scan, as `nmap -sT` does), between two namespaces of its own with no route
# anywhere else: ps-cli 10.95.0.1 ==veth== ps-srv 10.95.0.2. The server listens on 22 and 8080
# (each probe there completes its handshake and the client closes it); every other port answers
# the SYN with RST. tcpdump captures the client's end. Beside it, port-scan.truth.json: the probed
# ports, the listening ones, and `ss -tan` in both namespaces at the end.
#
#   sudo captures/make/make-port-scan.sh
#
# Needs: iproute2, tcpdump, python3.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
C=ps-cli
S=ps-srv
WORK=$(mktemp -d)
cleanup() {
  [ -f "$WORK/listen.pid" ] && kill "$(cat "$WORK/listen.pid")" 2>/dev/null || true
  ip netns del $C 2>/dev/null || true
  ip netns del $S 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
ip netns del $C 2>/dev/null || true
ip netns del $S 2>/dev/null || true
ip netns add $C
ip netns add $S
ip link add ps-c netns $C type veth peer name ps-s netns $S
ip -n $C addr add 10.95.0.1/24 dev ps-c
ip -n $S addr add 10.95.0.2/24 dev ps-s
for ns in $C $S; do
  ip -n $ns link set lo up
  ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n $C link set ps-c up
ip -n $S link set ps-s up
# Ports listened on: a tiny server that accepts and closes (bounded: it exits after 60 s).
ip netns exec $S timeout 60 python3 -c '
import socket, select
ls = []
for p in (22, 8080):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("10.95.0.2", p)); s.listen(16); ls.append(s)
while True:
    r, _, _ = select.select(ls, [], [], 1)
    for s in r:
        c, _ = s.accept(); c.close()
' & echo $! > "$WORK/listen.pid"
sleep 0.5
ip netns exec $C tcpdump -i ps-c -U --immediate-mode -n -w "$WORK/scan.pcap" tcp 2>/dev/null & TD=$!
sleep 1
PORTS="21 22 23 25 53 80 110 111 135 139 143 443 445 993 995 1433 1521 2049 3306 3389 5432 5900 6379 8000 8080 8081 8443 8888 9000 9090 9200 9300 11211 27017 1723 5060 5672 6443 10250 15672"
ip netns exec $C timeout 30 python3 -c '
import socket, sys, time
for p in sys.argv[1:]:
    s = socket.socket(); s.settimeout(0.3)
    try:
        s.connect(("10.95.0.2", int(p)))
    except OSError:
        pass
    s.close()
    time.sleep(0.02)
' $PORTS
sleep 1
kill $TD; wait $TD 2>/dev/null || true
SS_C=$(ip netns exec $C ss -tan | tail -n +2 || true)
SS_S=$(ip netns exec $S ss -tan | tail -n +2 || true)
cp "$WORK/scan.pcap" "$OUT/port-scan.pcap"
python3 - "$OUT/port-scan.truth.json" "$PORTS" "$SS_C" "$SS_S" "$(uname -r)" <<'PY'
import json, sys
out, ports, ss_c, ss_s, kernel = sys.argv[1:]
rows = lambda t: [{'state': f[0], 'local': f[3], 'peer': f[4]} for f in (l.split() for l in t.splitlines() if l.strip())]
json.dump({
  'scenario': 'port-scan', 'made_by': 'captures/make/make-port-scan.sh', 'kernel': kernel,
  'hosts': {'client': {'ss': rows(ss_c)}, 'server': {'ss': rows(ss_s)}},
  'probed': [int(p) for p in ports.split()], 'listening': [22, 8080],
}, open(out, 'w'), indent=2)
PY
echo "wrote $OUT/port-scan.pcap"
