#!/usr/bin/env bash
# Makes test/golden/tshark-irtt.json with Debian's tshark: for each capture in captures/ (and
# captures/zeek/), each TCP stream's first frame and Wireshark's tcp.analysis.initial_rtt (the
# first SYN to the ACK that completes the handshake), for the streams it computes one for.
# test/timing.test.ts checks tcpstate's handshakeRtt against it. Rerun after changing captures.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 - "$(tshark --version | head -1)" > test/golden/tshark-irtt.json <<'PY'
import json, subprocess, sys, glob
files = sorted(glob.glob("captures/*.pcap") + glob.glob("captures/*.pcapng") + glob.glob("captures/zeek/*.pcap*"))
out = {"tshark": sys.argv[1], "files": {}}
for f in files:
    res = subprocess.run(["tshark", "-r", f, "-o", "teredo.heuristic_teredo:TRUE", "-Y", "tcp && !icmp && !icmpv6", "-T", "fields",
                          "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.analysis.initial_rtt"], capture_output=True, text=True, check=True)
    first, irtt = {}, {}
    for line in res.stdout.splitlines():
        cols = line.split("\t")
        if len(cols) < 3 or not cols[1]:
            continue
        frame, stream, rtt = int(cols[0]), cols[1].split(",")[0], cols[2].split(",")[0]
        first.setdefault(stream, frame)
        if rtt and stream not in irtt:
            irtt[stream] = rtt
    # By the stream's first frame: the packet a connection begins with, in tcpstate's numbering too.
    out["files"][f] = {str(first[s]): irtt[s] for s in sorted(irtt, key=lambda s: first[s])}
json.dump(out, sys.stdout, indent=1)
print()
PY
