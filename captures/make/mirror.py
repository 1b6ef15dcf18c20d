#!/usr/bin/env python3
"""A SPAN port in software: copies every frame seen on IN to OUT with 802.1Q tags inserted.

    mirror.py IN OUT SECONDS TAG [TAG...]     e.g. mirror.py tcps-c tcps-m0 8 0x8100:100

This kernel has no 802.1Q module, so tagged frames are made here, in userspace, and
captured by tcpdump on the far end of OUT, as a monitoring port would deliver them.
"""
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def main():
    src, dst, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    tags = b"".join(struct.pack("!HH", int(t.split(":")[0], 16), int(t.split(":")[1])) for t in sys.argv[4:])
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.bind((src, 0))
    rx.settimeout(0.2)
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((dst, 0))
    deadline = time.time() + seconds
    copied = 0
    while time.time() < deadline:
        try:
            frame = rx.recv(65535)
        except socket.timeout:
            continue
        tagged = frame[:12] + tags + frame[12:]
        try:
            tx.send(tagged)
            copied += 1
        except OSError as e:
            print(f"mirror: {len(tagged)}-byte frame not copied: {e}", file=sys.stderr)
    print(f"mirror: {copied} frames copied", file=sys.stderr)


if __name__ == "__main__":
    main()
