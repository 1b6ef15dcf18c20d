#!/usr/bin/env bash
# Makes test/golden/tshark.json once, with Debian's tshark: for each capture in captures/
# (and captures/zeek/), how many frames tshark decodes as TCP, and its TCP conversation table
# (`tshark -q -z conv,tcp`) in test/golden/tshark-conv/. Rerun after changing captures.
set -euo pipefail
cd "$(dirname "$0")/../.."
# Teredo clients use any UDP port; tshark finds them only with its heuristic on (tcpstate and Zeek always look).
TSHARK_OPTS="-o teredo.heuristic_teredo:TRUE"
{
  printf '{\n  "tshark": "%s",\n  "files": {\n' "$(tshark --version | head -1)"
  first=1
  for f in $(ls captures/*.pcap captures/*.pcapng captures/*.gz captures/zeek/*.pcap* | sort); do
    # TCP headers quoted inside ICMP errors are not TCP segments.
    n=$(tshark -r "$f" $TSHARK_OPTS -Y 'tcp && !icmp && !icmpv6' -T fields -e frame.number 2>/dev/null | wc -l)
    [ $first = 1 ] || printf ',\n'
    first=0
    printf '    "%s": { "tcpFrames": %d }' "$f" "$n"
  done
  printf '\n  }\n}\n'
} > test/golden/tshark.json
mkdir -p test/golden/tshark-conv
for f in $(ls captures/*.pcap captures/*.pcapng captures/zeek/*.pcap* | sort); do
  tshark -r "$f" $TSHARK_OPTS -q -z conv,tcp 2>/dev/null > "test/golden/tshark-conv/$(echo "$f" | sed 's|/|__|g').txt"
done
# MPTCP: which MPTCP connection (mptcp.stream) tshark gives each TCP connection (tcp.stream) that carries MPTCP options.
mkdir -p test/golden/tshark-mptcp
for f in captures/mptcp*.pcap; do
  tshark -r "$f" -T fields -e tcp.stream -e mptcp.stream 2>/dev/null | awk 'NF == 2' | sort -un > "test/golden/tshark-mptcp/$(echo "$f" | sed 's|/|__|g').txt"
done
