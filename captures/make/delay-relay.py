"""A user-space wire with a fixed one-way delay between two veths, for the timing captures.

    delay-relay.py CLIENT_IF SERVER_IF [options]

Every frame that comes in on CLIENT_IF (from the client host, "c2s") leaves on SERVER_IF, and every
frame from SERVER_IF ("s2c") leaves on CLIENT_IF, each DELAY ms after it came in (a queue ordered by
send time; what it sends itself, seen again as PACKET_OUTGOING, is ignored). Nothing is changed in
what it carries: the hosts beside it have their offloads off, so the checksums are the kernels'.
The relay has no address; it is a bridge in user space. It may also, when asked:

  --drop-first-syns K      drop the first SYN (without ACK) of each of the first K connections from
                           the client; the retransmitted SYN goes through
  --blackhole DIR,bytes=N  drop every frame in DIR (c2s or s2c) once that direction has carried more
                           than N bytes of TCP payload: the frame that carries byte N+1 and all after
  --blackhole DIR,after=T  drop every frame in DIR from T seconds after the relay started
  --loss DIR,PCT,SEED      drop PCT % of the TCP segments with data in DIR. Each one is decided by a
                           hash of SEED, the connection's number (in the order of the client's first
                           SYNs), the segment's sequence number relative to its sender's ISN and how
                           many copies of that sequence number came before, not by the order frames
                           arrive in: the same run of segments loses the same ones every time
  --inject-rst PORT:SECS[:MODES]
                           SECS after the client's first SYN from port PORT, send toward the client a
                           forged RST,ACK claiming to come from the server, as an on-path middlebox
                           does: IPv4 TTL 255, ID 0, DF clear, no TCP option (no timestamp), window 0,
                           ack = the client's next sequence number. MODES (default "edge,exact"), one
                           RST each, 3 ms apart: "edge" has sequence number = the client's last
                           acknowledgment number plus its last advertised window (scaled): the right
                           edge of its window; "exact" = the server's next sequence number, as far as
                           the relay has delivered the server's segments to the client
  --delay-c2s-ms MS, --delay-s2c-ms MS
                           the delay of one direction only, instead of --delay-ms (which stays the
                           other's): asymmetric paths
  --drop-nth DIR,CONN,KIND,N
                           drop the Nth segment of KIND in DIR (c2s or s2c) of connection CONN
                           (1 = the first, in the order of the client's first SYNs), counted as
                           they reach the relay: "data" = the Nth segment that carries new payload
                           (one whose end is past every sequence number the direction carried
                           before, so a retransmission is not counted and goes through), "fin" =
                           the Nth segment with FIN (its retransmissions count), "ack" = the Nth
                           pure ACK (ACK only, no payload, no SYN/FIN/RST; the handshake's last
                           ACK is the first). Repeatable. Each drop is logged with the four-tuple
                           (as the sender sent it and, with --snat, as the other side would have
                           seen it), absolute sequence and acknowledgment numbers, payload length,
                           flags as tcpdump prints them, IP ID and wall-clock time
  --snat CLIENT,NEW,OFFSET source NAT: rewrite the client address CLIENT to NEW and its port P to
                           P+OFFSET in every frame toward the server, and back in every frame toward
                           the client (destination), with IPv4 and TCP checksums computed again;
                           the relay's own bookkeeping (connections, drops) sees the client's side
  --log FILE               at the end, a JSON summary: the options, what was forwarded and dropped
                           (each drop with its time, wall clock like the capture's) and each RST forged

Runs SECONDS (--seconds, default 30) or until SIGTERM/SIGINT, then writes the log and stops. Every
wait is a select() with a timeout; there is no busy loop.
"""
import argparse
import hashlib
import heapq
import json
import select
import signal
import socket
import struct
import time

ETH_P_ALL = 3
PACKET_OUTGOING = 4
SYN, RST, ACK, FIN = 0x02, 0x04, 0x10, 0x01

p = argparse.ArgumentParser()
p.add_argument("client_if")
p.add_argument("server_if")
p.add_argument("--delay-ms", type=float, default=20.0)
p.add_argument("--seconds", type=float, default=30.0)
p.add_argument("--drop-first-syns", type=int, default=0)
p.add_argument("--blackhole", action="append", default=[])
p.add_argument("--loss", default="")
p.add_argument("--inject-rst", action="append", default=[])
p.add_argument("--delay-c2s-ms", type=float, default=None)
p.add_argument("--delay-s2c-ms", type=float, default=None)
p.add_argument("--drop-nth", action="append", default=[])
p.add_argument("--snat", default="")
p.add_argument("--log", default="")
args = p.parse_args()

DELAY = args.delay_ms / 1000.0
DELAYS = {"c2s": (args.delay_ms if args.delay_c2s_ms is None else args.delay_c2s_ms) / 1000.0,
          "s2c": (args.delay_ms if args.delay_s2c_ms is None else args.delay_s2c_ms) / 1000.0}
drop_nth = []            # [dir, conn (1-based), kind, n]
for spec in args.drop_nth:
    d, cn, kind, nth = spec.split(",")
    assert d in ("c2s", "s2c") and kind in ("data", "fin", "ack") and int(cn) >= 1 and int(nth) >= 1, spec
    drop_nth.append([d, int(cn), kind, int(nth)])
snat = None
if args.snat:
    a, b, off = args.snat.split(",")
    snat = (socket.inet_aton(a), socket.inet_aton(b), int(off))
blackholes = []          # [dir, kind, value, triggered_at or None]
for spec in args.blackhole:
    d, cond = spec.split(",", 1)
    kind, value = cond.split("=", 1)
    assert d in ("c2s", "s2c") and kind in ("bytes", "after"), spec
    blackholes.append([d, kind, float(value), None])
loss = None
if args.loss:
    d, pct, seed = args.loss.split(",")
    assert d in ("c2s", "s2c"), args.loss
    loss = (d, float(pct), seed)
injects = {}             # client port -> [secs, modes, due or None, done]
for spec in args.inject_rst:
    f = spec.split(":")
    injects[int(f[0])] = [float(f[1]), (f[2] if len(f) > 2 else "edge,exact").split(","), None, False]

stopping = False


def stop(*_):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)


def checksum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def parse(frame):
    """(src, dst, sport, dport, seq, ack, flags, window, payload_len, wscale or None) of an IPv4 TCP
    frame, or None."""
    if len(frame) < 54 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 6:
        return None
    total = struct.unpack("!H", ip[2:4])[0]
    tcp = ip[ihl:total]
    if len(tcp) < 20:
        return None
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", tcp[:16])
    hl = (off >> 4) * 4
    ws = None
    if flags & SYN:
        i, opts = 0, tcp[20:hl]
        while i < len(opts):
            k = opts[i]
            if k == 0:
                break
            if k == 1:
                i += 1
                continue
            if i + 1 >= len(opts):
                break
            ln = opts[i + 1]
            if k == 3 and ln == 3:
                ws = opts[i + 2]
            i += max(ln, 2)
    return ip[12:16], ip[16:20], sport, dport, seq, ack, flags, win, len(tcp) - hl, ws


def flag_text(flags):
    return ",".join(n for b, n in ((SYN, "SYN"), (FIN, "FIN"), (RST, "RST"), (0x08, "PSH"), (ACK, "ACK")) if flags & b) or "none"


def sub32(a, b):
    return (a - b) & 0xFFFFFFFF


conns = {}               # client port -> state
order = []               # client ports in the order of their first SYN


def conn_of(d, t):
    cport = t[2] if d == "c2s" else t[3]
    c = conns.get(cport)
    if c is None and d == "c2s" and t[6] & SYN and not t[6] & ACK:
        c = conns[cport] = {"index": len(order), "cport": cport, "client": t[0], "server": t[1],
                            "sport": t[3], "c_isn": t[4], "s_isn": None, "c_ws": t[9], "s_ws": None,
                            "syns": 0, "c_ack": None, "c_win": None, "c_nxt": t[4], "s_nxt": None,
                            "copies": {}, "first_syn": time.monotonic()}
        order.append(cport)
        if cport in injects and injects[cport][2] is None:
            injects[cport][2] = c["first_syn"] + injects[cport][0]
    return c


def rel(c, d, seq):
    isn = c["c_isn"] if d == "c2s" else c["s_isn"]
    return None if isn is None else sub32(seq, isn)


stats = {"c2s": {"forwarded": 0, "dropped": 0}, "s2c": {"forwarded": 0, "dropped": 0}}
payload_bytes = {"c2s": 0, "s2c": 0}
drops = []
forged = []
START_MONO = time.monotonic()
START_WALL = time.time()


def wall(mono):
    return round(START_WALL + (mono - START_MONO), 6)


def verdict(d, t, now):
    """Why this frame is dropped, or None."""
    c = conn_of(d, t)
    flags, plen = t[6], t[8]
    if c is not None and d == "c2s" and flags & SYN and not flags & ACK:
        c["syns"] += 1
        if c["index"] < args.drop_first_syns and c["syns"] == 1:
            return "first SYN of the connection"
    for bh in blackholes:
        if bh[0] != d:
            continue
        if bh[3] is None:
            if bh[1] == "bytes" and payload_bytes[d] + plen > bh[2]:
                bh[3] = wall(now)
            elif bh[1] == "after" and now - START_MONO >= bh[2]:
                bh[3] = wall(now)
        if bh[3] is not None:
            return f"blackhole {d} ({bh[1]}={bh[2]:g})"
    if loss and loss[0] == d and plen > 0 and c is not None:
        r = rel(c, d, t[4])
        if r is not None:
            n = c["copies"].get((d, r), 0)
            c["copies"][(d, r)] = n + 1
            h = hashlib.sha256(f"{loss[2]}:{c['index']}:{r}:{n}".encode()).digest()
            if int.from_bytes(h[:4], "big") < loss[1] / 100.0 * 2 ** 32:
                return f"loss {loss[1]:g}% (seed {loss[2]}, copy {n})"
    if drop_nth and c is not None:
        kinds = []
        if plen > 0:
            r = rel(c, d, t[4])
            top = c.setdefault("top", {}).get(d)
            end = (t[4] + plen) & 0xFFFFFFFF
            if top is None or (sub32(end, top) < 1 << 31 and end != top):
                c["top"][d] = end
                kinds.append("data")
        if flags & FIN:
            kinds.append("fin")
        if flags & ACK and not flags & (SYN | FIN | RST) and plen == 0:
            kinds.append("ack")
        counts = c.setdefault("nth", {})
        hit = None
        for k in kinds:
            counts[(d, k)] = counts.get((d, k), 0) + 1
            for dn in drop_nth:
                if dn[0] == d and dn[1] == c["index"] + 1 and dn[2] == k and dn[3] == counts[(d, k)]:
                    hit = hit or f"drop-nth {d},{dn[1]},{k},{dn[3]}"
        if hit:
            return hit
    return None


def note_delivered(d, t):
    """What the far side has now been given: the state a forged RST is made from."""
    c = conns.get(t[2] if d == "c2s" else t[3])
    if c is None:
        return
    flags, seq, ack, win, plen = t[6], t[4], t[5], t[7], t[8]
    end = (seq + plen + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
    if d == "s2c":
        if flags & SYN:
            c["s_isn"], c["s_ws"] = seq, t[9]
        if c["s_nxt"] is None or sub32(end, c["s_nxt"]) < 1 << 31:
            c["s_nxt"] = end
    else:
        if sub32(end, c["c_nxt"]) < 1 << 31:
            c["c_nxt"] = end
        if flags & ACK and not flags & RST:
            c["c_ack"], c["c_win"] = ack, win
            if not flags & SYN:
                c["c_win_scaled"] = win << (c["c_ws"] if c["c_ws"] is not None and c["s_ws"] is not None else 0)


def tcpdump_flags(flags):
    """TCP flags as tcpdump prints them: "S", "S.", "P.", "F.", ".", "R", "R.", ..."""
    out = "".join(ch for b, ch in ((SYN, "S"), (FIN, "F"), (0x08, "P"), (RST, "R"), (0x20, "U"), (0x40, "E"), (0x80, "W")) if flags & b)
    return (out + "." if flags & ACK else out) or "none"


def nat_frame(frame, d):
    """The frame with --snat applied: toward the server the client's source rewritten, toward the
    client the destination put back; checksums computed again. Other frames unchanged."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return frame
    ip = bytearray(frame[14:])
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    a, b, off = snat
    at = 12 if d == "c2s" else 16            # source address toward the server, destination back
    if bytes(ip[at:at + 4]) != (a if d == "c2s" else b):
        return frame
    ip[at:at + 4] = b if d == "c2s" else a
    if ip[9] == 6 and total >= ihl + 20 and len(ip) >= total:
        pat = ihl + (0 if d == "c2s" else 2)
        port = struct.unpack("!H", ip[pat:pat + 2])[0]
        ip[pat:pat + 2] = struct.pack("!H", (port + off if d == "c2s" else port - off) & 0xFFFF)
        ip[ihl + 16:ihl + 18] = b"\x00\x00"
        seg = bytes(ip[ihl:total])
        pseudo = bytes(ip[12:20]) + struct.pack("!BBH", 0, 6, len(seg))
        ip[ihl + 16:ihl + 18] = struct.pack("!H", checksum(pseudo + seg))
    ip[10:12] = b"\x00\x00"
    ip[10:12] = struct.pack("!H", checksum(bytes(ip[:ihl])))
    return frame[:14] + bytes(ip)


def four_tuple(src, dst, sport, dport):
    return f"{socket.inet_ntoa(src)}:{sport} > {socket.inet_ntoa(dst)}:{dport}"


def drop_detail(d, frame, t, c, now):
    """What a --drop-nth drop adds to its log entry: enough to find the frame in each capture."""
    ip = frame[14:]
    e = {"wall": wall(now), "direction": d, "connection": c["index"] + 1 if c else None,
         "tuple": four_tuple(t[0], t[1], t[2], t[3]),
         "seq": t[4], "ack": t[5], "tcp_flags": tcpdump_flags(t[6]), "ip_id": struct.unpack("!H", ip[4:6])[0]}
    if snat:
        # The tuple as the sender sent it (what its side's capture holds) and as the receiver's
        # side would have seen it.
        if d == "c2s":
            e["tuple_server_side"] = four_tuple(snat[1], t[1], (t[2] + snat[2]) & 0xFFFF, t[3])
            e["tuple_client_side"] = e["tuple"]
        else:
            e["tuple_client_side"] = e["tuple"]
            e["tuple"] = e["tuple_server_side"] = four_tuple(t[0], snat[1], t[2], (t[3] + snat[2]) & 0xFFFF)
    return e


MACS = {}                # "client", "server" -> MAC, learnt from the frames


def forge_rst(c, mode, now):
    if c.get("c_win_scaled") is None or c["s_nxt"] is None:
        return None
    if mode == "edge":
        seq = (c["c_ack"] + c["c_win_scaled"]) & 0xFFFFFFFF
    else:
        seq = c["s_nxt"]
    ack = c["c_nxt"]
    tcp = struct.pack("!HHIIBBHHH", c["sport"], c["cport"], seq, ack, 5 << 4, RST | ACK, 0, 0, 0)
    pseudo = c["server"] + c["client"] + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 255, 6, 0, c["server"], c["client"])
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    forged.append({"at": wall(now), "client_port": c["cport"], "mode": mode, "seq": seq, "ack": ack,
                   "seq_rel": sub32(seq, c["s_isn"]), "ack_rel": sub32(ack, c["c_isn"]),
                   "server_next_seq_rel": sub32(c["s_nxt"], c["s_isn"]),
                   "client_last_ack_rel": sub32(c["c_ack"], c["s_isn"]),
                   "client_window_scaled": c["c_win_scaled"], "client_window_field": c["c_win"],
                   "ttl": 255, "ip_id": 0, "df": False, "tcp_options": "none"})
    return MACS["client"] + MACS["server"] + b"\x08\x00" + ip + tcp


def opened(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((name, 0))
    s.setblocking(False)
    return s


cli = opened(args.client_if)
srv = opened(args.server_if)
queue = []               # (send time, n, out socket, frame, direction, parsed)
n = 0
deadline = START_MONO + args.seconds
while not stopping:
    now = time.monotonic()
    if now >= deadline:
        break
    wake = deadline
    if queue:
        wake = min(wake, queue[0][0])
    for inj in injects.values():
        if inj[2] is not None and not inj[3]:
            wake = min(wake, inj[2])
    ready, _, _ = select.select([cli, srv], [], [], max(0.0, min(wake - now, 0.5)))
    for s in ready:
        for _ in range(256):
            try:
                frame, addr = s.recvfrom(65535)
            except BlockingIOError:
                break
            if addr[2] == PACKET_OUTGOING:
                continue
            now = time.monotonic()
            d = "c2s" if s is cli else "s2c"
            if snat and d == "s2c":
                frame = nat_frame(frame, d)    # back to the client's side before anything looks
            if d == "c2s" and len(frame) >= 14:
                MACS.setdefault("client", frame[6:12])
                MACS.setdefault("server", frame[0:6])
            t = parse(frame)
            why = verdict(d, t, now) if t else None
            if why:
                stats[d]["dropped"] += 1
                c = conns.get(t[2] if d == "c2s" else t[3])
                if len(drops) < 300:
                    drops.append({"at": wall(now), "dir": d, "client_port": c["cport"] if c else None,
                                  "conn": c["index"] if c else None, "flags": flag_text(t[6]),
                                  "seq_rel": rel(c, d, t[4]) if c else None, "len": t[8], "why": why})
                    if why.startswith("drop-nth"):
                        drops[-1].update(drop_detail(d, frame, t, c, now))
                continue
            if t:
                payload_bytes[d] += t[8]
            n += 1
            if snat and d == "c2s":
                frame = nat_frame(frame, d)
            heapq.heappush(queue, (now + DELAYS[d], n, srv if d == "c2s" else cli, frame, d, t))
    now = time.monotonic()
    while queue and queue[0][0] <= now:
        _, _, out, frame, d, t = heapq.heappop(queue)
        out.send(frame)
        stats[d]["forwarded"] += 1
        if t:
            note_delivered(d, t)
    for cport, inj in injects.items():
        if inj[2] is not None and not inj[3] and inj[2] <= now:
            inj[3] = True
            for i, mode in enumerate(inj[1]):
                if i:
                    time.sleep(0.003)
                f = forge_rst(conns[cport], mode, time.monotonic())
                if f:
                    cli.send(f)

if args.log:
    extra = {}
    if args.delay_c2s_ms is not None or args.delay_s2c_ms is not None:
        extra["delay_ms_by_direction"] = {k: v * 1000.0 for k, v in DELAYS.items()}
    if drop_nth:
        extra["drop_nth"] = [{"dir": x[0], "connection": x[1], "kind": x[2], "n": x[3]} for x in drop_nth]
    if snat:
        extra["snat"] = {"client": socket.inet_ntoa(snat[0]), "translated": socket.inet_ntoa(snat[1]),
                         "port_offset": snat[2],
                         "mappings": [{"connection": conns[p]["index"] + 1,
                                       "client_side": f"{socket.inet_ntoa(snat[0])}:{p}",
                                       "server_side": f"{socket.inet_ntoa(snat[1])}:{(p + snat[2]) & 0xFFFF}"}
                                      for p in order]}
    with open(args.log, "w") as fh:
        json.dump({"one_way_delay_ms": args.delay_ms,
                   "drop_first_syns": args.drop_first_syns or None,
                   "blackhole": [{"dir": b[0], b[1]: b[2], "triggered_at": b[3]} for b in blackholes] or None,
                   "loss": {"dir": loss[0], "percent": loss[1], "seed": loss[2]} if loss else None,
                   "frames": stats,
                   "connections": [{"index": conns[p]["index"], "client_port": p} for p in order],
                   "dropped": drops, "forged_rst": forged or None, **extra}, fh, indent=1)
