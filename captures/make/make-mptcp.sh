#!/usr/bin/env bash
# Makes captures/mptcp.pcap from the Linux kernel's own MPTCP (RFC 8684) between two network
# namespaces made here, joined by two veth pairs (mptc-cli 10.79.0.1 and 10.79.1.1, mptc-srv
# 10.79.0.2 and 10.79.1.2; no route anywhere else). The client opens an MPTCP socket
# (IPPROTO_MPTCP, 262) to 10.79.0.2:8080; its path manager adds a second subflow from 10.79.1.1
# (`ip mptcp endpoint ... subflow`). Three requests and answers, then an orderly close; then a
# second MPTCP connection that the client aborts (SO_LINGER 0: MP_FASTCLOSE). Each client
# interface is captured by tcpdump, and the two are merged by time (mergecap), so that the capture
# is Ethernet, not Linux cooked (whose interface names only the capturing host can resolve).
# Beside it, captures/mptcp.truth.json: `ss -tan` in each namespace at the end, and the MPTCP
# connections' tokens as `ss -Mti` showed them in each namespace while they were open (a joining
# subflow names the server's).
#
#   sudo captures/make/make-mptcp.sh
#
# Needs: iproute2 (ip mptcp), tcpdump, mergecap (wireshark-common), python3, and a kernel with MPTCP.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
C=mptc-cli
S=mptc-srv
WORK=$(mktemp -d)
cleanup() {
  ip netns del $C 2>/dev/null || true
  ip netns del $S 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
WORK=$(mktemp -d)
ip netns add $C
ip netns add $S
ip link add mptc-c1 netns $C type veth peer name mptc-s1 netns $S
ip link add mptc-c2 netns $C type veth peer name mptc-s2 netns $S
ip -n $C addr add 10.79.0.1/24 dev mptc-c1
ip -n $S addr add 10.79.0.2/24 dev mptc-s1
ip -n $C addr add 10.79.1.1/24 dev mptc-c2
ip -n $S addr add 10.79.1.2/24 dev mptc-s2
for ns in $C $S; do
  ip -n $ns link set lo up
  ip netns exec $ns sysctl -qw net.mptcp.enabled=1
  ip -n $ns mptcp limits set subflow 2 add_addr_accepted 2
done
for l in mptc-c1 mptc-c2; do ip -n $C link set $l up; done
for l in mptc-s1 mptc-s2; do ip -n $S link set $l up; done
ip -n $C mptcp endpoint add 10.79.1.1 dev mptc-c2 id 2 subflow

PIDS=()
for l in mptc-c1 mptc-c2; do
  ip netns exec $C tcpdump --immediate-mode -i $l -s 256 -w "$WORK/$l.pcap" 'tcp port 8080' 2>/dev/null &
  PIDS+=($!)
done
sleep 1

# The server answers each request of 3000 bytes with 20000, twice a connection (the second connection's client aborts).
ip netns exec $S timeout 30 python3 - "$WORK/server-tokens.txt" <<'PY' &
import socket, subprocess, sys, time
seen = []
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080))
s.listen(4)
for conn in range(2):
    c, _ = s.accept()
    for k in range(3 if conn == 0 else 1):
        n = 0
        while n < 3000:
            d = c.recv(100000)
            if not d:
                break
            n += len(d)
        # The server's MPTCP sockets with their tokens (the token a joining subflow names), once the first request came.
        if k == 0:
            seen.append(subprocess.run(["ss", "-Mtin"], capture_output=True, text=True).stdout)
            open(sys.argv[1], "w").write("\n".join(seen))
        c.sendall(b"y" * 20000)
    if conn == 0:
        time.sleep(0.5)
        c.close()
    else:
        try:
            c.recv(100000)
        except OSError:
            pass
        c.close()
PY
SP=$!
sleep 0.5
ip netns exec $C timeout 30 python3 - "$WORK/tokens.txt" <<'PY'
import socket, struct, subprocess, sys, time
tokens = []
def ss():
    tokens.append(subprocess.run(["ss", "-Mtin"], capture_output=True, text=True).stdout)
for conn in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    s.connect(("10.79.0.2", 8080))
    time.sleep(0.5)
    ss()
    for k in range(3 if conn == 0 else 1):
        s.sendall(b"x" * 3000)
        n = 0
        while n < 20000:
            n += len(s.recv(100000))
        time.sleep(0.2)
    if conn == 0:
        time.sleep(1)
        s.close()
        time.sleep(0.5)
    else:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        time.sleep(0.5)
open(sys.argv[1], "w").write("\n".join(tokens))
PY
wait $SP || true
sleep 0.5
for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
mergecap -F pcap -w "$OUT/mptcp.pcap" "$WORK/mptc-c1.pcap" "$WORK/mptc-c2.pcap"

# The MPTCP connections' tokens, as ss -Mti showed them in each namespace.
tokens() { grep -o 'token:[0-9a-f]\{8\}\b' "$1" | cut -d: -f2 | sort -u | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().split()))'; }
python3 "$HERE/truth.py" "$OUT/mptcp.truth.json" mptcp captures/make/make-mptcp.sh "$(uname -r)" \
  "two MPTCP connections, the first with a second subflow from 10.79.1.1 and an orderly close, the second aborted by the client (SO_LINGER 0)" "" \
  "{\"mptcp\": {\"clientTokens\": $(tokens "$WORK/tokens.txt"), \"serverTokens\": $(tokens "$WORK/server-tokens.txt")}}" \
  "client=$(ip netns exec $C ss -tanH | base64 -w0)" "server=$(ip netns exec $S ss -tanH | base64 -w0)"
echo "wrote $OUT/mptcp.pcap"
