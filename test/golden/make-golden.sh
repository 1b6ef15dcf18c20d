#!/usr/bin/env bash
# Makes test/golden/tshark.json once, with Debian's tshark: for each capture in captures/
# (and captures/zeek/), how many frames tshark decodes as TCP. Rerun after changing captures.
set -euo pipefail
cd "$(dirname "$0")/../.."
{
  printf '{\n  "tshark": "%s",\n  "files": {\n' "$(tshark --version | head -1)"
  first=1
  for f in $(ls captures/*.pcap captures/*.pcapng captures/*.gz captures/zeek/*.pcap* | sort); do
    # TCP headers quoted inside ICMP errors are not TCP segments.
    n=$(tshark -r "$f" -Y 'tcp && !icmp && !icmpv6' -T fields -e frame.number 2>/dev/null | wc -l)
    [ $first = 1 ] || printf ',\n'
    first=0
    printf '    "%s": { "tcpFrames": %d }' "$f" "$n"
  done
  printf '\n  }\n}\n'
} > test/golden/tshark.json
