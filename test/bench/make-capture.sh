#!/usr/bin/env bash
# Makes a benchmark capture of real kernel TCP between two private network namespaces
# (10.78.0.1 -> 10.78.0.2, one veth pair, no route anywhere else), captured by tcpdump at the client:
#   short: many short HTTP/1.0 connections (no keep-alive) from ApacheBench to nginx;
#   bulk:  a few long transfers (a 96 MiB file, 16 times over 4 kept-alive connections), segmentation
#          offloads off so that every segment is a packet, headers only (snap length 128).
#
#   test/bench/make-capture.sh OUT.pcap [short|bulk] [REQUESTS]
#
# Needs root, iproute2, nginx, ab (apache2-utils), tcpdump, and for bulk ethtool.
set -euo pipefail
OUT=$1
KIND=${2:-short}
REQUESTS=${3:-200000}
C=tcpb-cli
S=tcpb-srv
WORK=$(mktemp -d)
cleanup() {
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  ip netns del $C 2>/dev/null || true
  ip netns del $S 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup_ns() { ip netns del $C 2>/dev/null || true; ip netns del $S 2>/dev/null || true; }
cleanup_ns
ip netns add $C
ip netns add $S
ip link add tcpb-c netns $C type veth peer name tcpb-s netns $S
ip -n $C addr add 10.78.0.1/24 dev tcpb-c
ip -n $S addr add 10.78.0.2/24 dev tcpb-s
for ns in $C $S; do ip -n $ns link set lo up; done
ip -n $C link set tcpb-c up
ip -n $S link set tcpb-s up
ip netns exec $C sysctl -qw net.ipv4.ip_local_port_range="10000 65000"

mkdir -p "$WORK/www"
head -c 512 /dev/zero | tr '\0' 'x' > "$WORK/www/index.html"
SNAP=()
URL=http://10.78.0.2/
AB=(-n "$REQUESTS" -c 32)
KEEPALIVE=0
if [ "$KIND" = bulk ]; then
  head -c $((96 << 20)) /dev/zero > "$WORK/www/big.bin"
  for ns in $C $S; do
    for dev in $(ip -n $ns -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1); do
      ip netns exec $ns ethtool -K "$dev" tso off gso off gro off >/dev/null
    done
  done
  SNAP=(-s 128)
  URL=http://10.78.0.2/big.bin
  AB=(-k -n 16 -c 4)
  KEEPALIVE=65
fi
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_timeout $KEEPALIVE;
  client_body_temp_path $WORK;
  proxy_temp_path $WORK;
  fastcgi_temp_path $WORK;
  uwsgi_temp_path $WORK;
  scgi_temp_path $WORK;
  server { listen 10.78.0.2:80 backlog=4096; root $WORK/www; }
}
NGINX
ip netns exec $S nginx -c "$WORK/nginx.conf"
sleep 0.5

timeout 600 ip netns exec $C tcpdump --immediate-mode -n -B 262144 "${SNAP[@]}" -i tcpb-c -w "$OUT" tcp 2> "$WORK/tcpdump.log" &
TD=$!
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.log" && break; sleep 0.1; done
timeout 600 ip netns exec $C ab -q "${AB[@]}" "$URL" > "$WORK/ab.log"
sleep 1
kill -INT $TD
wait $TD || true
grep -E "Complete requests|Failed requests|Requests per second" "$WORK/ab.log"
grep -E "captured|dropped" "$WORK/tcpdump.log"
