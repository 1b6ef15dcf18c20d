"""One end of a tunnel the kernel here cannot make (GENEVE, GRE, IP-in-IP), in user space.

    encap-relay.py KIND PLAIN_IF TUNNEL_IF LOCAL REMOTE TUNNEL_PEER_MAC HOST_MAC OTHER_MAC SECONDS

Every IPv4 frame that comes in on PLAIN_IF (from the host beside this end) leaves on TUNNEL_IF
inside an outer IPv4 header from LOCAL to REMOTE, to TUNNEL_PEER_MAC: GRE (RFC 2784, protocol
0x0800), IP-in-IP (protocol 4), or GENEVE (RFC 8926, UDP 6081, VNI 0x2a, one 8-byte option, the
host's whole Ethernet frame inside). What comes in on TUNNEL_IF for LOCAL loses that header and goes
out on PLAIN_IF, to HOST_MAC from OTHER_MAC where only the IP packet was carried. Runs SECONDS,
then stops. Checksums are written whole: the hosts beside it have their offloads off, so what the
relay carries is what their kernels made.
"""
import select
import socket
import struct
import sys
import time

kind, plain_if, tunnel_if, local, remote, peer_mac, host_mac, other_mac, seconds = sys.argv[1:10]
LOCAL = socket.inet_aton(local)
REMOTE = socket.inet_aton(remote)
PEER = bytes.fromhex(peer_mac.replace(":", ""))
HOST = bytes.fromhex(host_mac.replace(":", ""))
OTHER = bytes.fromhex(other_mac.replace(":", ""))
ETH_P_ALL = 3
PACKET_OUTGOING = 4
PROTO = {"gre": 47, "ipip": 4, "geneve": 17}[kind]
GENEVE_PORT = 6081
VNI = 0x2A
# One option: class 0x0103, type 0x01 (the critical bit clear), 4 bytes of data.
GENEVE_OPTION = struct.pack("!HBB", 0x0103, 0x01, 1) + b"\x00\x00\x00\x2a"


def checksum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


ip_id = 0


def outer_ip(payload_len):
    global ip_id
    ip_id = (ip_id + 1) & 0xFFFF
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ip_id, 0x4000, 64, PROTO, 0, LOCAL, REMOTE)
    return h[:10] + struct.pack("!H", checksum(h)) + h[12:]


def encapsulate(frame):
    """The outer frame for a host's frame, or None for what is not IPv4."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    inner = frame[14:]
    if kind == "gre":
        body = struct.pack("!HH", 0, 0x0800) + inner
    elif kind == "ipip":
        body = inner
    else:
        opt = GENEVE_OPTION
        geneve = struct.pack("!BBH", len(opt) // 4, 0, 0x6558) + struct.pack("!I", VNI << 8) + opt
        # The source port varies with the inner flow, as RFC 8926 section 3.3 asks, from its addresses and ports.
        sport = 49152 + (sum(frame[26:38]) & 0x3FFF)
        payload = geneve + frame
        body = struct.pack("!HHHH", sport, GENEVE_PORT, 8 + len(payload), 0) + payload
    return PEER + OWN_TUNNEL_MAC + b"\x08\x00" + outer_ip(len(body)) + body


def decapsulate(frame):
    """The host's frame carried in an outer frame for LOCAL, or None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != PROTO or ip[16:20] != LOCAL:
        return None
    total = struct.unpack("!H", ip[2:4])[0]
    body = ip[ihl:total]
    if kind == "gre":
        if len(body) < 4 or struct.unpack("!H", body[2:4])[0] != 0x0800:
            return None
        return HOST + OTHER + b"\x08\x00" + body[4:]
    if kind == "ipip":
        return HOST + OTHER + b"\x08\x00" + body
    if len(body) < 16 or struct.unpack("!H", body[2:4])[0] != GENEVE_PORT:
        return None
    opt_len = (body[8] & 0x3F) * 4
    return body[8 + 8 + opt_len:]


plain = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
plain.bind((plain_if, 0))
tunnel = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
tunnel.bind((tunnel_if, 0))
OWN_TUNNEL_MAC = tunnel.getsockname()[4]
deadline = time.monotonic() + float(seconds)
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        break
    ready, _, _ = select.select([plain, tunnel], [], [], min(left, 0.5))
    for s in ready:
        frame, addr = s.recvfrom(65535)
        if addr[2] == PACKET_OUTGOING:
            continue
        out = encapsulate(frame) if s is plain else decapsulate(frame)
        if out is not None:
            (tunnel if s is plain else plain).send(out)
