#!/usr/bin/env bash
# Makes test/golden/tshark-analysis.json with Debian's tshark: for each capture in captures/ (and
# captures/zeek/), every TCP frame that Wireshark's TCP analysis flags, with its tcp.analysis.* flags.
# tcpstate's per-connection counters are checked against it frame by frame. Rerun after changing captures.
set -euo pipefail
cd "$(dirname "$0")/../.."
TSHARK_OPTS="-o teredo.heuristic_teredo:TRUE"
FIELDS=(retransmission out_of_order duplicate_ack zero_window zero_window_probe keep_alive ack_lost_segment lost_segment)
ARGS=()
for f in "${FIELDS[@]}"; do ARGS+=(-e "tcp.analysis.$f"); done
python3 - "$(tshark --version | head -1)" "${FIELDS[*]}" > test/golden/tshark-analysis.json <<PY
import json, subprocess, sys, glob
version, fields = sys.argv[1], sys.argv[2].split()
files = sorted(glob.glob("captures/*.pcap") + glob.glob("captures/*.pcapng") + glob.glob("captures/zeek/*.pcap*"))
out = {"tshark": version, "flags": fields, "files": {}}
for f in files:
    res = subprocess.run(["tshark", "-r", f, *"$TSHARK_OPTS".split(), "-Y", "tcp && !icmp && !icmpv6", "-T", "fields",
                          "-e", "frame.number", *"${ARGS[*]}".split()], capture_output=True, text=True, check=True)
    frames = {}
    for line in res.stdout.splitlines():
        cols = line.split("\t")
        flags = [fields[i] for i, v in enumerate(cols[1:]) if v.strip()]
        if flags:
            frames[cols[0]] = flags
    out["files"][f] = frames
json.dump(out, sys.stdout, indent=1, sort_keys=False)
print()
PY
