#!/usr/bin/env bash
# Makes test/golden/tcpdump/*.txt once with Debian's tcpdump: `TZ=UTC tcpdump -nn -r CAPTURE`
# for every capture in captures/, captures/zeek/ and test/fixtures/. It runs inside a new, empty network
# namespace: tcpdump names Linux cooked v2 interfaces by looking their index up on the reading
# host, and there only index 1 (lo) resolves, as it does for tcpstate print.
set -euo pipefail
cd "$(dirname "$0")/../.."
NS=tcpstate-golden
ip netns del $NS 2>/dev/null || true
ip netns add $NS
trap 'ip netns del $NS 2>/dev/null || true' EXIT
out=test/golden/tcpdump
tcpdump --version 2>&1 | head -2 > $out/VERSION
for f in captures/*.pcap captures/*.pcapng captures/zeek/*.pcap captures/zeek/*.pcapng test/fixtures/*.pcap; do
  # Named by the capture's path in the repository, with / as __ (captures__zeek__ipv6.pcap.txt).
  name=$(echo "$f" | sed 's|/|__|g')
  TZ=UTC ip netns exec $NS tcpdump -nn -r "$f" > "$out/$name.txt" 2>/dev/null
  TZ=UTC ip netns exec $NS tcpdump -nn -S -r "$f" > "$out/$name.S.txt" 2>/dev/null
done
