#!/usr/bin/env bash
# Makes the benchmark capture: many short HTTP/1.0 connections (no keep-alive) from ApacheBench
# to nginx, real kernel TCP between two private network namespaces (10.78.0.1 -> 10.78.0.2,
# one veth pair, no route anywhere else), captured by tcpdump at the client.
#
#   bench/make-capture.sh OUT.pcap [REQUESTS]
#
# Needs root, iproute2, nginx, ab (apache2-utils) and tcpdump.
set -euo pipefail
OUT=$1
REQUESTS=${2:-200000}
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
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_timeout 0;
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

timeout 600 ip netns exec $C tcpdump --immediate-mode -n -B 262144 -i tcpb-c -w "$OUT" tcp 2> "$WORK/tcpdump.log" &
TD=$!
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.log" && break; sleep 0.1; done
timeout 600 ip netns exec $C ab -q -n "$REQUESTS" -c 32 http://10.78.0.2/ > "$WORK/ab.log"
sleep 1
kill -INT $TD
wait $TD || true
grep -E "Complete requests|Failed requests|Requests per second" "$WORK/ab.log"
grep -E "captured|dropped" "$WORK/tcpdump.log"
