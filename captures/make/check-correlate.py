#!/usr/bin/env python3
"""Checks the correlate captures (captures/correlate/, made by make-correlate.sh) against their truth.

    check-correlate.py [SCENARIO ...]        # default: loss nat asym

For each scenario, NAME-client.pcap (near the client) and NAME-server.pcap (near the server):

  - every frame is IPv4 TCP with correct IPv4 and TCP checksums (full snap length, offloads off;
    in `nat` the relay computed them again);
  - `nat`: the client-side file only holds the client's own address, the server-side file only the
    translated one (and ports + the offset);
  - every dropped frame in the relay's log is in the sender's file once (tuple as the sender sent it,
    absolute sequence number, payload length, tcpdump flags, IP ID) and not in the receiver's; and
    tcpdump agrees (`tcpdump -nn -S -r FILE 'ip[4:2] = ID and tcp[4:4] = SEQ'`: one line in the
    sender's file, with that tuple, flags and length; none in the receiver's); a dropped segment with
    data or FIN reaches the receiver again, retransmitted (same sequence number, another IP ID);
  - every frame of the sender's file that is not in the receiver's is a logged drop or was still in
    flight when the captures stopped (sent less than the delay + 20 ms before the receiver's file
    ends), and every frame in the receiver's file is in the sender's;
  - the one-way delay of each direction (receiver's timestamp minus sender's, frames matched by
    tuple, sequence and acknowledgment numbers, flags, length and IP ID): the median within 3 ms of
    the induced delay and none below it by more than 0.5 ms;
  - the end states `ss` showed are the expected ones.

Prints a summary and exits 1 on any mismatch.
"""
import json
import os
import socket
import statistics
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DIR = os.path.join(os.path.dirname(HERE), "correlate")
SERVER_PORT = 8080

# The end states `ss -tan` should show, by host, as sorted "STATE local peer" lines.
EXPECTED = {
    "loss": {
        "client": ["ESTAB 10.81.0.1:42006 10.81.0.2:8080", "FIN-WAIT-2 10.81.0.1:42005 10.81.0.2:8080",
                   "TIME-WAIT 10.81.0.1:42001 10.81.0.2:8080", "TIME-WAIT 10.81.0.1:42003 10.81.0.2:8080"],
        "server": ["CLOSE-WAIT 10.81.0.2:8080 10.81.0.1:42005", "ESTAB 10.81.0.2:8080 10.81.0.1:42006",
                   "LISTEN 10.81.0.2:8080 0.0.0.0:*", "TIME-WAIT 10.81.0.2:8080 10.81.0.1:42002",
                   "TIME-WAIT 10.81.0.2:8080 10.81.0.1:42004"],
    },
    "nat": {
        "client": ["ESTAB 10.81.0.1:42003 10.81.0.2:8080", "TIME-WAIT 10.81.0.1:42001 10.81.0.2:8080"],
        "server": ["ESTAB 10.81.0.2:8080 10.81.0.100:52003", "LISTEN 10.81.0.2:8080 0.0.0.0:*",
                   "TIME-WAIT 10.81.0.2:8080 10.81.0.100:52002"],
    },
    "asym": {
        "client": ["ESTAB 10.81.0.1:42003 10.81.0.2:8080", "TIME-WAIT 10.81.0.1:42001 10.81.0.2:8080"],
        "server": ["ESTAB 10.81.0.2:8080 10.81.0.1:42003", "LISTEN 10.81.0.2:8080 0.0.0.0:*",
                   "TIME-WAIT 10.81.0.2:8080 10.81.0.1:42002"],
    },
}

FLAGS = ((0x02, "S"), (0x01, "F"), (0x08, "P"), (0x04, "R"), (0x20, "U"), (0x40, "E"), (0x80, "W"))


def tcpdump_flags(f):
    s = "".join(ch for b, ch in FLAGS if f & b)
    return (s + "." if f & 0x10 else s) or "none"


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def read_pcap(path):
    """[(ts, packet dict)] of a classic pcap with Ethernet frames."""
    with open(path, "rb") as fh:
        data = fh.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    assert linktype == 1, f"{path}: linktype {linktype}"
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        out.append((sec + frac / (1e9 if nano else 1e6), parse(frame, incl == orig)))
    return out


def parse(frame, whole):
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return {"other": frame[12:14].hex()}
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    p = {"src": socket.inet_ntoa(ip[12:16]), "dst": socket.inet_ntoa(ip[16:20]),
         "ip_id": struct.unpack("!H", ip[4:6])[0], "ip_ok": csum(ip[:ihl]) == 0xFFFF}
    if ip[9] != 6:
        p["other"] = f"ip proto {ip[9]}"
        return p
    tcp = ip[ihl:total]
    sport, dport, seq, ack, offb, flags = struct.unpack("!HHIIBB", tcp[:14])
    p.update(sport=sport, dport=dport, seq=seq, ack=ack, flags=tcpdump_flags(flags),
             len=len(tcp) - (offb >> 4) * 4)
    if whole:
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
        p["tcp_ok"] = csum(pseudo + tcp) == 0xFFFF
    return p


def direction(p):
    return "c2s" if p["dport"] == SERVER_PORT else "s2c"


def key(p):
    return (p["src"], p["sport"], p["dst"], p["dport"], p["seq"], p["ack"], p["flags"], p["len"], p["ip_id"])


def to_server_side(p, nat):
    """The client-side packet p as it should look at the server's point."""
    if not nat:
        return key(p)
    q = dict(p)
    if direction(p) == "c2s" and p["src"] == nat["client"]:
        q["src"], q["sport"] = nat["translated"], (p["sport"] + nat["port_offset"]) & 0xFFFF
    elif direction(p) == "s2c" and p["dst"] == nat["client"]:
        q["dst"], q["dport"] = nat["translated"], (p["dport"] + nat["port_offset"]) & 0xFFFF
    return key(q)


def tuple_of(t):
    """"a:p > b:q" -> (a, p, b, q)."""
    a, b = t.split(" > ")
    return a.rsplit(":", 1)[0], int(a.rsplit(":", 1)[1]), b.rsplit(":", 1)[0], int(b.rsplit(":", 1)[1])


def tcpdump_lines(path, ip_id, seq):
    r = subprocess.run(["tcpdump", "-nn", "-S", "-r", path, f"tcp and ip[4:2] = {ip_id} and tcp[4:4] = {seq}"],
                       capture_output=True, text=True, timeout=30)
    return [l for l in r.stdout.splitlines() if l.strip()]


def check(name):
    bad = []

    def fail(msg):
        bad.append(msg)
        print("  FAIL", msg)

    truth = json.load(open(os.path.join(DIR, f"{name}.truth.json")))
    induced = truth["induced"]
    nat = induced.get("nat")
    delay = induced["one_way_delay_ms"]
    files = {side: os.path.join(DIR, f"{name}-{side}.pcap") for side in ("client", "server")}
    pk = {side: read_pcap(f) for side, f in files.items()}
    print(f"== {name}: induced delay c2s {delay['c2s']} ms, s2c {delay['s2c']} ms"
          + (f"; NAT {nat['client']}:P -> {nat['translated']}:P+{nat['port_offset']}" if nat else ""))
    for side in pk:
        size = os.path.getsize(files[side])
        print(f"  {side}-side: {len(pk[side])} frames, {size} bytes, "
              f"{pk[side][0][0]:.6f} .. {pk[side][-1][0]:.6f}")
        if size > 300_000:
            fail(f"{side}: {size} bytes, over 300 KB")
    print(f"  the captures' last frames {abs(pk['client'][-1][0] - pk['server'][-1][0]) * 1000:.1f} ms apart, "
          f"first frames {abs(pk['client'][0][0] - pk['server'][0][0]) * 1000:.1f} ms apart")

    # Frames, checksums, addresses.
    for side, lst in pk.items():
        others = [p for _, p in lst if "sport" not in p]
        if others:
            fail(f"{side}: {len(others)} frames that are not IPv4 TCP: {others[:3]}")
        badsum = [p for _, p in lst if "sport" in p and (not p["ip_ok"] or p.get("tcp_ok") is False)]
        unchecked = [p for _, p in lst if "sport" in p and "tcp_ok" not in p]
        if badsum:
            fail(f"{side}: {len(badsum)} frames with a bad checksum")
        if unchecked:
            fail(f"{side}: {len(unchecked)} frames cut by the snap length (checksum not checked)")
        addrs = sorted({p[k] for _, p in lst if "sport" in p for k in ("src", "dst")})
        want = ["10.81.0.1", "10.81.0.2"]
        if nat and side == "server":
            want = sorted([nat["translated"], "10.81.0.2"])
        if addrs != want:
            fail(f"{side}: addresses {addrs}, expected {want}")
    print("  checksums: all IPv4 and TCP checksums correct in both files" if not any("checksum" in b for b in bad) else "")
    if nat:
        cports = sorted({p["sport"] for _, p in pk["client"] if "sport" in p and direction(p) == "c2s"})
        sports = sorted({p["sport"] for _, p in pk["server"] if "sport" in p and direction(p) == "c2s"})
        print(f"  NAT: client side {nat['client']}:{cports}, server side {nat['translated']}:{sports}")
        if sports != [c + nat["port_offset"] for c in cports]:
            fail("NAT: the server side's ports are not the client's + the offset")

    # Index the receiver-side frames in server-side terms.
    idx = {"client": {}, "server": {}}
    for side in pk:
        for ts, p in pk[side]:
            if "sport" in p:
                k = to_server_side(p, nat) if side == "client" else key(p)
                idx[side].setdefault(k, []).append((ts, p))

    # Every logged drop.
    drops = induced["relay"]["dropped"]
    planned = induced["relay"].get("drop_nth") or []
    if len(drops) != len(planned):
        fail(f"{len(drops)} drops logged, {len(planned)} planned")
    drop_keys = set()
    print(f"  dropped by the relay: {len(drops)}")
    for d in drops:
        sender, receiver = ("client", "server") if d["direction"] == "c2s" else ("server", "client")
        at_sender = tuple_of(d["tuple"])
        at_server = tuple_of(d.get("tuple_server_side", d["tuple"]))
        k = (at_server[0], at_server[1], at_server[2], at_server[3], d["seq"], d["ack"], d["tcp_flags"], d["len"], d["ip_id"])
        drop_keys.add(k)
        s_hits = idx[sender].get(k, [])
        r_hits = idx[receiver].get(k, [])
        # The retransmission: a segment of the same tuple toward the receiver, with another IP ID,
        # whose data covers the dropped sequence number (or, for a FIN, a FIN at it); its flags
        # and length may differ (PSH, segments joined).
        def covers(p):
            if d["len"]:
                return p["len"] > 0 and ((d["seq"] - p["seq"]) & 0xFFFFFFFF) < p["len"]
            return "F" in p["flags"] and ((d["seq"] - p["seq"]) & 0xFFFFFFFF) == p["len"]
        retrans = sorted(((ts, p) for kk, v in idx[receiver].items() for ts, p in v
                          if kk[:4] == k[:4] and kk[8] != k[8] and covers(p)), key=lambda x: x[0]) \
            if (d["len"] or "F" in d["tcp_flags"]) else []
        line = (f"    {d['direction']} conn {d['connection']} {d['tuple']} seq {d['seq']} len {d['len']} "
                f"[{d['tcp_flags']}] id {d['ip_id']} at {d['wall']:.6f} ({d['why']}): "
                f"{sender}-side {len(s_hits)}, {receiver}-side {len(r_hits)}")
        if retrans:
            r0 = retrans[0][1]
            line += (f"; retransmitted, reached the {receiver} {(retrans[0][0] - s_hits[0][0]) * 1000 if s_hits else float('nan'):.1f} ms"
                     f" after (id {r0['ip_id']}, seq {r0['seq']} len {r0['len']} [{r0['flags']}])")
        print(line)
        if len(s_hits) != 1:
            fail(f"drop {d['ip_id']}: {len(s_hits)} times in the {sender}'s file, expected 1")
        if r_hits:
            fail(f"drop {d['ip_id']}: in the {receiver}'s file")
        if (d["len"] or "F" in d["tcp_flags"]) and not retrans:
            fail(f"drop {d['ip_id']}: no retransmission reached the {receiver}")
        # tcpdump's view.
        tl = tcpdump_lines(files[sender], d["ip_id"], d["seq"])
        # tcpdump prints no sequence number for a segment without data, SYN or FIN: its ack then.
        text = f"{at_sender[0]}.{at_sender[1]} > {at_sender[2]}.{at_sender[3]}: Flags [{d['tcp_flags']}], " + (
            f"seq {d['seq']}" if d["len"] or "F" in d["tcp_flags"] or "S" in d["tcp_flags"] else f"ack {d['ack']}")
        if len(tl) != 1 or text not in tl[0] or f"length {d['len']}" not in tl[0]:
            fail(f"tcpdump on the {sender}'s file for id {d['ip_id']} seq {d['seq']}: {tl}")
        tr = tcpdump_lines(files[receiver], d["ip_id"], d["seq"])
        if tr:
            fail(f"tcpdump on the {receiver}'s file for id {d['ip_id']} seq {d['seq']}: {tr}")
    if drops and not any(b.startswith("tcpdump") for b in bad):
        print("  tcpdump -nn -S agrees: each dropped frame once in the sender's file, not in the receiver's")

    # One-way delays and unmatched frames.
    for dname, sender, receiver in (("c2s", "client", "server"), ("s2c", "server", "client")):
        want = delay[dname]
        end = pk[receiver][-1][0]
        diffs, missing, inflight, extra = [], [], [], []
        for k, v in idx[sender].items():
            for i, (ts, p) in enumerate(v):
                if direction(p) != dname:
                    continue
                r = idx[receiver].get(k, [])
                if i < len(r):
                    diffs.append((r[i][0] - ts) * 1000)
                elif k in drop_keys:
                    pass
                elif ts > end - (want + 20) / 1000:
                    inflight.append((ts, p))
                else:
                    missing.append((ts, p))
        for k, v in idx[receiver].items():
            for i, (ts, p) in enumerate(v):
                if direction(p) == dname and i >= len(idx[sender].get(k, [])):
                    extra.append((ts, p))
        med = statistics.median(diffs)
        print(f"  {dname} ({sender} -> {receiver}): {len(diffs)} frames in both, one-way delay "
              f"min {min(diffs):.2f} median {med:.2f} max {max(diffs):.2f} ms (induced {want} ms); "
              f"dropped {sum(1 for d in drops if d['direction'] == dname)}, in flight at the stop {len(inflight)}")
        for ts, p in inflight:
            print(f"    in flight: {p['src']}.{p['sport']} > {p['dst']}.{p['dport']} [{p['flags']}] seq {p['seq']} "
                  f"len {p['len']} id {p['ip_id']}, sent {(end - ts) * 1000:.1f} ms before the {receiver}'s capture ended")
        if abs(med - want) > 3 or min(diffs) < want - 0.5:
            fail(f"{dname}: delay median {med:.2f} / min {min(diffs):.2f} ms, induced {want} ms")
        if missing:
            fail(f"{dname}: {len(missing)} frames of the {sender} not at the {receiver} and not logged as dropped: "
                 + "; ".join(f"{p['flags']} seq {p['seq']} len {p['len']} id {p['ip_id']}" for _, p in missing[:5]))
        if extra:
            fail(f"{dname}: {len(extra)} frames at the {receiver} that the {sender}'s file does not have")

    # End states.
    for host in ("client", "server"):
        got = sorted(f"{r['state']} {r['local']} {r['peer']}" for r in truth["hosts"][host]["ss"])
        print(f"  ss {host}: " + ", ".join(got))
        if name in EXPECTED and got != sorted(EXPECTED[name][host]):
            fail(f"ss {host}: {got}, expected {sorted(EXPECTED[name][host])}")
    print(f"  {name}: {'OK' if not bad else f'{len(bad)} mismatches'}")
    return bad


def main():
    names = sys.argv[1:] or ["loss", "nat", "asym"]
    bad = []
    for n in names:
        bad += [f"{n}: {b}" for b in check(n)]
    print("ALL OK" if not bad else f"{len(bad)} MISMATCHES")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
