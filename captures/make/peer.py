#!/usr/bin/env python3
"""One side of a tcpstate capture scenario, run inside its own network namespace.

    peer.py server SCENARIO ADDR PORT
    peer.py client SCENARIO ADDR PORT

Each side does what its scenario needs, then holds its sockets open (so `ss -tan`
can read the kernel's states) until it is killed or HOLD seconds pass. Every
wait is bounded; nothing here talks to any address but the one given.
"""
import os
import socket
import struct
import subprocess
import sys
import time

HOLD = 30.0


def log(*a):
    print(f"[{sys.argv[1]} {sys.argv[2]}]", *a, file=sys.stderr, flush=True)


def nft(*rule):
    subprocess.run(["nft", *rule], check=True)


def hold(*socks):
    time.sleep(HOLD)


def listener(addr, port, backlog=16):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(backlog)
    s.settimeout(15)
    return s


def connect(addr, port, timeout=10.0, sport=0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM)
    if sport:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        c.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    c.settimeout(timeout)
    c.connect((addr, port))
    return c


def read_all(s, limit=1 << 20):
    data = b""
    s.settimeout(10)
    while len(data) < limit:
        b = s.recv(65536)
        if not b:
            break
        data += b
    return data


def linger0(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


# ---------------------------------------------------------------- servers

def server(scenario, addr, port):
    # In the refused scenario nothing listens on the port the client tries.
    ls = listener(addr, port + 1 if scenario == "refused" else port)
    kept = []
    if scenario in ("client-closes-first", "ipv6", "pcapng", "nanosecond"):
        for _ in range(1 if scenario != "nanosecond" else 2):
            c, _ = ls.accept()
            req = c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 300 + req)
            read_all(c)          # the client closes first
            c.close()
    elif scenario in ("server-closes-first", "sll", "sll2", "vlan"):
        c, _ = ls.accept()
        c.recv(4096)
        c.sendall(b"220 bye\r\n")
        c.close()                # the server closes first
    elif scenario == "time-wait-pileup":
        for _ in range(8):
            c, _ = ls.accept()
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n" + b"y" * 1200)
            c.close()
    elif scenario == "server-never-closes":
        # The application leaks two sockets: it reads the request and EOF but never closes.
        for i in range(3):
            c, _ = ls.accept()
            c.sendall(b"+OK ready\r\n")
            c.recv(4096)
            read_all(c)
            if i == 2:
                c.close()
            else:
                kept.append(c)
    elif scenario == "final-ack-dropped":
        c, _ = ls.accept()
        c.sendall(b"hello\r\n")
        read_all(c)              # client's FIN arrives
        time.sleep(0.2)
        # From now on the client's segments never reach this host's TCP: the ACK of our FIN is lost.
        nft("add", "table", "inet", "tcpstate_drop")
        nft("add", "chain", "inet", "tcpstate_drop", "in", "{ type filter hook input priority 0; }")
        nft("add", "rule", "inet", "tcpstate_drop", "in", "tcp", "dport", str(port), "drop")
        c.close()                # FIN goes out; LAST_ACK, retransmitting it
    elif scenario in ("half-open", "peer-reset"):
        c, _ = ls.accept()
        c.recv(4096)
        deadline = time.time() + (4.0 if scenario == "half-open" else 3.0)
        c.settimeout(0.3)
        while time.time() < deadline:
            try:
                c.sendall(b"tick\r\n")
            except OSError as e:
                log("send:", e)
                break
            time.sleep(0.5)
        kept.append(c)
    elif scenario == "simultaneous-close":
        c, _ = ls.accept()
        c.recv(4096)
        c.sendall(b"go\r\n")
        simultaneous_shutdown(c, port, "sport")
        read_all(c)
        kept.append(c)
    elif scenario == "syn-dropped":
        nft("add", "table", "inet", "tcpstate_drop")
        nft("add", "chain", "inet", "tcpstate_drop", "in", "{ type filter hook input priority 0; }")
        nft("add", "rule", "inet", "tcpstate_drop", "in", "tcp", "dport", str(port), "tcp", "flags", "syn", "drop")
        kept.append(ls)
    elif scenario in ("refused", "abort-linger0"):
        if scenario == "abort-linger0":
            c, _ = ls.accept()
            c.sendall(b"welcome\r\n")
            try:
                read_all(c)
            except OSError as e:
                log("read:", e)      # ECONNRESET: the client aborted
            c.close()
    elif scenario == "two-interfaces":
        c, _ = ls.accept()
        c.recv(4096)
        c.sendall(b"ok\r\n")
        read_all(c)
        c.close()
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    log("holding")
    hold(ls, *kept)


def simultaneous_shutdown(c, port, which):
    """Both sides send their FIN while the other's is still in flight: each first FIN is held
    back by a short-lived output rule, so both are retransmitted across each other."""
    deadline = time.time() + 1.0
    while time.time() < deadline and int(time.time() * 10) % 10 != 0:
        time.sleep(0.005)
    table = "tcpstate_hold"
    nft("add", "table", "inet", table)
    nft("add", "chain", "inet", table, "out", "{ type filter hook output priority 0; }")
    nft("add", "rule", "inet", table, "out", "tcp", which, str(port), "tcp", "flags", "fin", "drop")
    c.shutdown(socket.SHUT_WR)
    time.sleep(0.05)
    nft("delete", "table", "inet", table)


# ---------------------------------------------------------------- clients

def client(scenario, addr, port):
    kept = []
    if scenario in ("client-closes-first", "ipv6", "pcapng", "nanosecond"):
        for _ in range(1 if scenario != "nanosecond" else 2):
            c = connect(addr, port)
            c.sendall(b"GET / HTTP/1.0\r\n\r\n")
            c.recv(4096)
            time.sleep(0.1)
            c.close()            # active close: TIME_WAIT here
            time.sleep(0.2)
        if scenario == "nanosecond":
            try_refused(addr, port + 1)
    elif scenario in ("server-closes-first", "sll", "sll2", "vlan"):
        c = connect(addr, port)
        c.sendall(b"QUIT\r\n")
        read_all(c)
        time.sleep(0.1)
        c.close()
    elif scenario == "time-wait-pileup":
        for _ in range(8):
            c = connect(addr, port)
            c.sendall(b"GET /x HTTP/1.0\r\n\r\n")
            read_all(c)
            c.close()
            time.sleep(0.05)
    elif scenario == "server-never-closes":
        for i in range(3):
            c = connect(addr, port)
            c.recv(4096)
            c.sendall(b"QUIT\r\n")
            time.sleep(0.1)
            c.shutdown(socket.SHUT_WR)   # FIN sent; waits in FIN_WAIT_2 for a FIN that never comes
            time.sleep(0.2)
            kept.append(c)
    elif scenario == "final-ack-dropped":
        c = connect(addr, port)
        c.recv(4096)
        c.close()                 # active close; its last ACK will be dropped at the server
    elif scenario == "refused":
        try_refused(addr, port)
    elif scenario == "abort-linger0":
        c = connect(addr, port)
        c.recv(4096)
        c.sendall(b"some data\r\n")
        time.sleep(0.1)
        linger0(c)
        c.close()                 # SO_LINGER 0: RST instead of FIN
    elif scenario == "half-open":
        c = connect(addr, port)
        c.sendall(b"hi\r\n")
        time.sleep(0.7)
        # This host vanishes from the network: nothing in, nothing out.
        nft("add", "table", "inet", "tcpstate_gone")
        nft("add", "chain", "inet", "tcpstate_gone", "in", "{ type filter hook input priority 0; }")
        nft("add", "chain", "inet", "tcpstate_gone", "out", "{ type filter hook output priority 0; }")
        nft("add", "rule", "inet", "tcpstate_gone", "in", "tcp", "sport", str(port), "drop")
        nft("add", "rule", "inet", "tcpstate_gone", "out", "tcp", "dport", str(port), "drop")
        kept.append(c)
    elif scenario == "peer-reset":
        c = connect(addr, port)
        c.sendall(b"hi\r\n")
        time.sleep(0.7)
        # The host "reboots": its socket disappears without a word reaching the server...
        nft("add", "table", "inet", "tcpstate_gone")
        nft("add", "chain", "inet", "tcpstate_gone", "out", "{ type filter hook output priority 0; }")
        nft("add", "rule", "inet", "tcpstate_gone", "out", "tcp", "dport", str(port), "drop")
        linger0(c)
        c.close()
        time.sleep(0.3)
        # ...and comes back: the server's next segment is answered with a RST.
        nft("delete", "table", "inet", "tcpstate_gone")
    elif scenario == "simultaneous-close":
        c = connect(addr, port)
        c.sendall(b"ready\r\n")
        c.recv(4096)
        simultaneous_shutdown(c, port, "dport")
        read_all(c)
        kept.append(c)
    elif scenario == "syn-dropped":
        # A non-blocking connect keeps the socket in SYN_SENT, retransmitting, for ss to see.
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex((addr, port))
        kept.append(c)
    elif scenario == "two-interfaces":
        c = connect(addr, port)
        c.sendall(b"via veth\r\n")
        c.recv(4096)
        c.close()
        c2 = connect("127.0.0.1", 9090)
        c2.sendall(b"via lo\r\n")
        c2.recv(4096)
        c2.close()
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    log("holding")
    hold(*kept)


def try_refused(addr, port):
    try:
        connect(addr, port, timeout=3)
    except ConnectionRefusedError:
        log("refused, as expected")


if __name__ == "__main__":
    role, scenario, addr, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if role == "server":
        server(scenario, addr, port)
    elif role == "client":
        client(scenario, addr, port)
    elif role == "lo-server":
        # A second listener on the client host's loopback, for the two-interface pcapng.
        ls = listener(addr, port)
        c, _ = ls.accept()
        c.recv(4096)
        c.sendall(b"ok\r\n")
        read_all(c)
        c.close()
        hold(ls)
    else:
        raise SystemExit("usage: peer.py server|client|lo-server SCENARIO ADDR PORT")
