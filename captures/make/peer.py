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


def drop_in(*rules):
    """Table inet tcpstate_drop, chain `in` on the input hook, with these rules in order: what
    tcpdump on this host's interface saw arrive, but this host's TCP never gets."""
    nft("add", "table", "inet", "tcpstate_drop")
    nft("add", "chain", "inet", "tcpstate_drop", "in", "{ type filter hook input priority 0; }")
    for rule in rules:
        nft("add", "rule", "inet", "tcpstate_drop", "in", *rule.split())


def nft_packets(table, chain):
    """The packets counted by the first counter in a chain (0 if it has none yet)."""
    import re
    out = subprocess.run(["nft", "list", "chain", "inet", table, chain],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"counter packets (\d+)", out)
    return int(m.group(1)) if m else 0


def listener(addr, port, backlog=16, rcvbuf=0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        # Before listen(): accepted sockets inherit it, and the window scale is chosen from it.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
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
    ls = listener(addr, port + 1 if scenario == "refused" else port, 8 if scenario == "syn-flood" else 16,
                  4096 if scenario == "fin-zero-window" else 0)
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
    elif scenario == "reset-storm":
        # A front end that gives up on every request: it reads it, then aborts (SO_LINGER 0), a RST.
        for _ in range(24):
            c, _ = ls.accept()
            c.recv(4096)
            time.sleep(0.01)
            linger0(c)
            c.close()
    elif scenario == "two-interfaces":
        c, _ = ls.accept()
        c.recv(4096)
        c.sendall(b"ok\r\n")
        read_all(c)
        c.close()
    elif scenario == "syn-flood":
        # One real request before the flood; during it the listener's SYN queue (backlog 8,
        # no syncookies) fills with spoofed requests and every later SYN is dropped.
        c, _ = ls.accept()
        c.recv(4096)
        c.sendall(b"HTTP/1.0 200 OK\r\n\r\nbefore the flood\r\n")
        c.close()
    elif scenario == "fin-wait-1-stuck":
        c, _ = ls.accept()
        c.recv(4096)
        c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"z" * 200)
        kept.append(c)           # reads nothing more: the client's FIN arrives, its ACKs are lost
    elif scenario == "handshake-ack-lost":
        # The client's ACK of our SYN,ACK (and everything after it) never reaches this host's TCP.
        nft("add", "table", "inet", "tcpstate_drop")
        nft("add", "chain", "inet", "tcpstate_drop", "in", "{ type filter hook input priority 0; }")
        nft("add", "rule", "inet", "tcpstate_drop", "in", "tcp", "dport", str(port), "tcp", "flags", "&", "(syn|ack)", "==", "ack", "drop")
        kept.append(ls)
    elif scenario == "normal-traffic":
        import threading
        ls6 = listener("fd77::2", port)
        t6 = threading.Thread(target=serve_threads, args=(ls6, port, 6, kept), daemon=True)
        t6.start()
        serve_threads(ls, port, 34, kept)
        t6.join(12)
    elif scenario == "mixed":
        # SYNs to port+2 are filtered; nothing listens on port+1.
        nft("add", "table", "inet", "tcpstate_drop")
        nft("add", "chain", "inet", "tcpstate_drop", "in", "{ type filter hook input priority 0; }")
        nft("add", "rule", "inet", "tcpstate_drop", "in", "tcp", "dport", str(port + 2), "drop")
        serve_threads(ls, port, 307, kept)
    elif scenario == "synack-lost":
        kept.append(ls)          # SYN-RECV: our SYN,ACKs are dropped inside the client
    elif scenario == "synack-lost-twice":
        c, _ = ls.accept()
        c.recv(4096)
        c.sendall(b"HTTP/1.0 200 OK\r\n\r\nlate\r\n")
        kept.append(c)           # both keep the connection open
    elif scenario == "fin-lost":
        c, _ = ls.accept()
        c.recv(4096)
        # From now on the client's FINs (every retransmission too) never reach this host's TCP.
        drop_in(f"tcp dport {port} tcp flags & fin == fin drop")
        c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"f" * 100)
        kept.append(c)
    elif scenario == "fin-zero-window":
        c, _ = ls.accept()
        kept.append(c)           # never reads: the 4096-byte receive buffer fills, the window closes
    elif scenario == "crossing-fins-lost":
        c, _ = ls.accept()
        req = c.recv(4096)
        c.sendall(b"go\r\n")
        at = float(req.split()[1])
        # The client's first FIN gets through; its ACK of our FIN and everything after do not.
        crossing_shutdown(c, port, "sport", at,
                          f"tcp dport {port} tcp flags & fin == fin quota until 60 bytes accept",
                          f"tcp dport {port} drop")
        kept.append(c)
    elif scenario == "data-lost-reset":
        c, _ = ls.accept()
        c.recv(4096)
        # From now on the client's segments carrying data (IP length over 52: 20 + 32 bytes of
        # TCP header with timestamps) never reach this host's TCP; its ACKs, FIN and RST do.
        drop_in(f"tcp dport {port} ip length > 52 drop")
        c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"d" * 100)
        kept.append(c)
    elif scenario == "port-reuse":
        for _ in range(3):
            c, _ = ls.accept()
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n" + b"r" * 200)
            c.close()            # the server closes first: TIME_WAIT here, until the client's next SYN on the tuple
    elif scenario == "two-points":
        c, _ = ls.accept()
        c.recv(4096)
        # The client's first FIN is lost here, and only the first: a 60-byte quota holds one 52-byte FIN.
        drop_in(f"tcp dport {port} tcp flags & fin == fin quota until 60 bytes drop")
        c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"t" * 200)
        read_all(c)              # the client closes first; its FIN arrives the second time
        c.close()
    elif scenario == "delayed":
        # Three requests, one after the other: each answered 150 ms after it arrived, 60,000 bytes,
        # and kept open.
        for _ in range(3):
            c, _ = ls.accept()
            c.recv(4096)
            time.sleep(0.15)
            body = b"HTTP/1.0 200 OK\r\n\r\n"
            c.sendall(body + b"s" * (60000 - len(body)))
            kept.append(c)
    elif scenario in ("rto-backoff", "slow-handshake"):
        # rto-backoff: after the answer the relay drops everything from the client; slow-handshake:
        # the relay dropped each client's first SYN. Both keep the connections open.
        for _ in range(1 if scenario == "rto-backoff" else 2):
            c, _ = ls.accept()
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"a" * 200)
            kept.append(c)
    elif scenario == "lossy":
        # Twenty HTTP/1.0-style answers of 30,000 bytes, the server closing first.
        ls.settimeout(20)
        for _ in range(20):
            c, _ = ls.accept()
            c.recv(4096)
            body = b"HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n"
            c.sendall(body + b"l" * (30000 - len(body)))
            c.close()
    elif scenario == "middlebox-rst":
        # Two connections, each sent a line every 0.2 s. A is reset by the relay (a forged RST toward
        # the client); this server goes on sending on it until the client's RST ends it here. B is
        # aborted by this server (SO_LINGER 0) 2.4 s after it was accepted.
        a, _ = ls.accept()
        b, _ = ls.accept()
        abort_b = time.time() + 2.4
        live = {"A": a, "B": b}
        for i in range(25):
            if time.time() >= abort_b and "B" in live:
                log("aborting B")
                linger0(b)
                b.close()
                del live["B"]
            for name, c in list(live.items()):
                try:
                    c.sendall(b"tick %s %d\r\n" % (name.encode(), i))
                except OSError as e:
                    log("send", name, e)     # A: the client's kernel reset it
                    del live[name]
            time.sleep(0.2)
        kept.extend([a, b])
    elif scenario in CORRELATE:
        correlate_server(scenario, ls, kept)
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    log("holding")
    hold(ls, *kept)


def serve_threads(ls, port, count, kept):
    """A small threaded HTTP/1.0-style server: `GET /` answered and closed after the client
    closes, `GET /close` closed by the server first, `GET /keep` several requests on one
    connection, `GET /bulk` 256 KiB, `GET /leak` answered and never closed (the bug)."""
    import threading

    def handle(c):
        try:
            c.settimeout(10)
            while True:
                req = c.recv(4096)
                if not req:
                    c.close()
                    return
                path = req.split(b" ")[1] if b" " in req else b"/"
                if path == b"/bulk":
                    c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"b" * 262144)
                elif path == b"/leak":
                    c.sendall(b"HTTP/1.0 200 OK\r\n\r\nleak\r\n")
                    read_all(c)
                    kept.append(c)       # never closed: CLOSE_WAIT
                    return
                else:
                    c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"k" * 100)
                if path == b"/close":
                    c.close()
                    return
                if path != b"/keep":
                    read_all(c)
                    c.close()
                    return
        except OSError as e:
            log("handler:", e)
            c.close()

    ls.settimeout(20)
    threads = []
    for _ in range(count):
        try:
            c, _ = ls.accept()
        except socket.timeout:
            break
        t = threading.Thread(target=handle, args=(c,), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(12)


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


def crossing_shutdown(c, port, which, at, *drop_rules):
    """Both sides shut down at the moment `at` (an absolute time both were told) and their FINs
    cross on the wire. As in simultaneous_shutdown each first FIN is held back by a short-lived
    output rule; here both peers also run on CPU 0, everything but the shutdown is set up
    beforehand, and the wait is one precise sleep, so that both retransmission timers are armed
    in the same jiffy on the same CPU and expire in one timer run: both FINs leave before either
    is received (their acks do not cover each other's FIN). `drop_rules` go on the input hook
    (drop_in) before the FINs."""
    os.sched_setaffinity(0, {0})
    time.sleep(0.05)             # the ACK of the last data is in before the drop rules
    drop_in(*drop_rules)
    table = "tcpstate_hold"
    nft("add", "table", "inet", table)
    nft("add", "chain", "inet", table, "out", "{ type filter hook output priority 0; }")
    nft("add", "rule", "inet", table, "out", "tcp", which, str(port), "tcp", "flags", "&", "fin", "==", "fin", "drop")
    wait = at - time.time()
    if 0 < wait < 2:
        time.sleep(wait)
    else:
        log("late for the agreed moment by", -wait)
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
    elif scenario == "reset-storm":
        for _ in range(24):
            c = connect(addr, port)
            c.sendall(b"GET /slow HTTP/1.1\r\nHost: app\r\n\r\n")
            try:
                read_all(c)
            except OSError as e:
                log("read:", e)      # ECONNRESET
            c.close()
            time.sleep(0.03)
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
    elif scenario == "syn-flood":
        c = connect(addr, port)
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        read_all(c)
        c.close()
        time.sleep(0.3)
        flood(addr, port, 5000, 2.5)
        # Two real clients during the flood: their SYNs find the queue full.
        for _ in range(2):
            k = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            k.setblocking(False)
            k.connect_ex((addr, port))
            kept.append(k)
    elif scenario == "fin-wait-1-stuck":
        c = connect(addr, port)
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        c.recv(4096)
        time.sleep(0.2)
        # From now on nothing from the server reaches this host: the ACK of our FIN is lost.
        nft("add", "table", "inet", "tcpstate_drop")
        nft("add", "chain", "inet", "tcpstate_drop", "in", "{ type filter hook input priority 0; }")
        nft("add", "rule", "inet", "tcpstate_drop", "in", "tcp", "sport", str(port), "drop")
        c.shutdown(socket.SHUT_WR)   # FIN_WAIT_1, retransmitting the FIN
        kept.append(c)
    elif scenario == "handshake-ack-lost":
        c = connect(addr, port)      # ESTABLISHED here; the server never sees our ACK
        kept.append(c)
    elif scenario in ("normal-traffic", "mixed"):
        run_mix(scenario, addr, port, kept)
    elif scenario in ("synack-lost", "synack-lost-twice"):
        # Every SYN,ACK from the server is captured arriving here, then dropped.
        drop_in(f"tcp sport {port} tcp flags & (syn|ack) == syn|ack counter drop")
        if scenario == "synack-lost":
            # A non-blocking connect keeps the socket in SYN_SENT, retransmitting, for ss to see.
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            c.connect_ex((addr, port))
            kept.append(c)
        else:
            import threading

            def lift():
                # Once two SYN,ACKs were dropped, the next one gets through.
                deadline = time.time() + 8
                while time.time() < deadline and nft_packets("tcpstate_drop", "in") < 2:
                    time.sleep(0.02)
                log("SYN,ACKs dropped:", nft_packets("tcpstate_drop", "in"))
                nft("delete", "table", "inet", "tcpstate_drop")

            t = threading.Thread(target=lift, daemon=True)
            t.start()
            c = connect(addr, port, timeout=12)
            t.join(10)
            c.sendall(b"GET / HTTP/1.0\r\n\r\n")
            c.recv(4096)
            kept.append(c)       # both keep the connection open
    elif scenario == "fin-lost":
        c = connect(addr, port)
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        c.recv(4096)
        time.sleep(0.1)
        c.close()                # FIN_WAIT_1: the FIN and its retransmissions are lost at the server
    elif scenario == "fin-zero-window":
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        c.settimeout(10)
        c.connect((addr, port))
        c.setblocking(False)
        # Send until the server's window is zero and our send buffer is full: the loop ends
        # when nothing more could be queued for 0.5 s (at most 3 s, 400 sends).
        sent, blocked_since, start = 0, None, time.time()
        for _ in range(400):
            if time.time() - start > 3:
                break
            try:
                sent += c.send(b"w" * 1024)
                blocked_since = None
            except BlockingIOError:
                blocked_since = blocked_since or time.time()
                if time.time() - blocked_since > 0.5:
                    break
                time.sleep(0.02)
        log("sent", sent)
        c.shutdown(socket.SHUT_WR)   # FIN queued behind unsent data: FIN_WAIT_1, probing the window
        kept.append(c)
    elif scenario == "crossing-fins-lost":
        c = connect(addr, port)
        at = time.time() + 0.8   # the moment both shut down, told to the server
        c.sendall(b"ready %.6f\r\n" % at)
        c.recv(4096)
        # The server's first FIN gets through; its ACK of our FIN and everything after do not.
        crossing_shutdown(c, port, "dport", at,
                          f"tcp sport {port} tcp flags & fin == fin quota until 60 bytes accept",
                          f"tcp sport {port} drop")
        kept.append(c)
    elif scenario == "port-reuse":
        # Three requests from one source port, each begun 20 ms after the one before closed: a socket
        # holds its four-tuple until it is closed, so each new SYN shows the last one's final ACK arrived.
        for _ in range(3):
            c = connect(addr, port, sport=45001)
            c.sendall(b"GET / HTTP/1.0\r\n\r\n")
            read_all(c)
            c.close()            # LAST_ACK, then CLOSED with the server's ACK
            time.sleep(0.02)
    elif scenario == "data-lost-reset":
        c = connect(addr, port)
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        c.recv(4096)
        time.sleep(0.1)
        c.sendall(b"POST /lost HTTP/1.0\r\n\r\n")   # lost at the server, retransmitted
        time.sleep(1.5)
        linger0(c)
        c.close()                 # SO_LINGER 0: RST; no socket left here
    elif scenario == "two-points":
        c = connect(addr, port)
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        c.recv(4096)
        time.sleep(0.1)
        c.close()                 # active close; the first FIN is lost at the server, retransmitted
    elif scenario == "delayed":
        for _ in range(3):
            c = connect(addr, port)
            c.sendall(b"GET /slow HTTP/1.0\r\n\r\n")
            got = 0
            while got < 60000:
                b = c.recv(65536)
                if not b:
                    break
                got += len(b)
            kept.append(c)        # both keep it open (ESTABLISHED)
            time.sleep(0.2)
    elif scenario == "rto-backoff":
        c = connect(addr, port)
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")     # 18 bytes: the relay passes these, drops what follows
        c.recv(4096)
        time.sleep(0.5)
        c.sendall(b"p" * 100)    # lost: retransmitted with exponential backoff
        kept.append(c)
    elif scenario == "slow-handshake":
        for _ in range(2):
            c = connect(addr, port)   # the first SYN is dropped by the relay: ~1 s
            c.sendall(b"GET / HTTP/1.0\r\n\r\n")
            c.recv(4096)
            kept.append(c)
            time.sleep(0.2)
    elif scenario == "lossy":
        for _ in range(20):
            c = connect(addr, port)
            c.sendall(b"GET /30k HTTP/1.0\r\n\r\n")
            read_all(c)
            c.close()
            time.sleep(0.05)
    elif scenario == "middlebox-rst":
        import select
        a = connect(addr, port, sport=41001)
        b = connect(addr, port, sport=41002)
        live = {a: "A", b: "B"}
        end = time.time() + 4.5
        while live and time.time() < end:
            ready, _, _ = select.select(list(live), [], [], 0.5)
            for c in ready:
                try:
                    if not c.recv(4096):
                        log(live.pop(c), "EOF")
                except OSError as e:
                    log(live.pop(c), "recv:", e)
        kept.extend([a, b])
    elif scenario in CORRELATE:
        correlate_client(scenario, addr, port, kept)
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    log("holding")
    hold(*kept)


def request(addr, port, path, close_first=True):
    c = connect(addr, port)
    c.sendall(b"GET " + path + b" HTTP/1.0\r\n\r\n")
    if path == b"/keep":
        for _ in range(3):
            c.recv(4096)
            time.sleep(0.01)
            c.sendall(b"GET /keep HTTP/1.0\r\n\r\n")
        c.recv(4096)
    elif path == b"/close":
        read_all(c)
    else:
        want = 262144 if path == b"/bulk" else 1
        got = 0
        c.settimeout(10)
        while got < want:
            b = c.recv(65536)
            if not b:
                break
            got += len(b)
    c.close()
    return c


def run_mix(scenario, addr, port, kept):
    import threading
    v6 = "fd77::2"
    plan = []
    if scenario == "normal-traffic":
        plan = [(addr, b"/")] * 20 + [(addr, b"/close")] * 8 + [(addr, b"/keep")] * 4 + \
               [(addr, b"/bulk")] * 2 + [(v6, b"/")] * 4 + [(v6, b"/close")] * 2
    else:
        plan = [(addr, b"/")] * 300 + [(addr, b"/leak")] * 3 + [(addr, b"/bulk")] * 2
        # The problems come early, so that the leaked sockets sit in CLOSE_WAIT for seconds.
        for i in range(3):
            c = connect(addr, port)
            c.sendall(b"GET /leak HTTP/1.0\r\n\r\n")
            c.recv(4096)
            c.shutdown(socket.SHUT_WR)
            kept.append(c)
        plan = [x for x in plan if x[1] != b"/leak"]
        for _ in range(4):
            try_refused(addr, port + 1)
        for _ in range(2):
            k = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            k.setblocking(False)
            k.connect_ex((addr, port + 2))
            kept.append(k)
        for _ in range(2):
            c = connect(addr, port)
            c.sendall(b"GET /keep HTTP/1.0\r\n\r\n")
            c.recv(4096)
            linger0(c)
            c.close()            # abort in the middle of a conversation: RST
    lock = threading.Lock()

    def worker(items):
        for a, path in items:
            try:
                request(a, port, path)
            except OSError as e:
                with lock:
                    log("request:", a, path, e)
            time.sleep(0.005)

    threads = [threading.Thread(target=worker, args=(plan[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)


def flood(addr, port, count, seconds):
    """SYNs from spoofed sources in 10.78.0.0/16: the server's replies are routed back into this
    namespace, which owns none of those addresses and forwards nothing, so nobody answers them."""
    import random
    rnd = random.Random(20261121)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    dst = socket.inet_aton(addr)
    start = time.time()
    for i in range(count):
        src = bytes([10, 78, rnd.randrange(256), rnd.randrange(1, 255)])
        sport = rnd.randrange(1024, 65535)
        seq = rnd.randrange(1 << 32)
        opts = struct.pack("!BBH", 2, 4, 1460)
        tcp = struct.pack("!HHIIBBHHH", sport, port, seq, 0, (5 + 1) << 4, 0x02, 64240, 0, 0) + opts
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), rnd.randrange(65536), 0, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        s.sendto(ip + tcp, (addr, 0))
        # Paced: `count` SYNs spread over `seconds`.
        ahead = start + seconds * (i + 1) / count - time.time()
        if ahead > 0:
            time.sleep(ahead)
    s.close()


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def try_refused(addr, port):
    try:
        connect(addr, port, timeout=3)
    except ConnectionRefusedError:
        log("refused, as expected")


# ---------------------------------------------------------------- correlate (make-correlate.sh)

# The connections of each correlate scenario, one after the other, from fixed client ports (42001,
# 42002, ... so that connection N is port 42000+N): (request bytes, response bytes, how it ends).
#   client: the client reads the response and closes first (TIME_WAIT at the client)
#   server: the server closes first after its response (TIME_WAIT at the server)
#   leak:   the client shuts down its side; the server reads the FIN and never closes
#           (FIN_WAIT_2 / CLOSE_WAIT)
#   open:   both keep it open; the server then sends a short line every 0.2 s until it is killed
CORRELATE = {
    "correlate-loss": [(300, 20000, "client"), (300, 40000, "server"), (5000, 30000, "client"),
                       (300, 25000, "server"), (300, 20000, "leak"), (300, 10000, "open")],
    "correlate-nat": [(300, 20000, "client"), (5000, 20000, "server"), (300, 10000, "open")],
    "correlate-asym": [(300, 8000, "client"), (300, 20000, "server"), (300, 4000, "open")],
}
CORRELATE_PORT = 42000


def recv_exact(c, n):
    data = b""
    c.settimeout(10)
    while len(data) < n:
        b = c.recv(min(65536, n - len(data)))
        if not b:
            break
        data += b
    return data


def correlate_message(kind, n, size):
    head = b"%s %d %d\r\n" % (kind, n, size)
    return head + b"q" * (size - len(head) - 2) + b"\r\n"


def sent_all(c, limit=3.0):
    """Until the send queue is empty (every byte acknowledged), at most `limit` seconds."""
    import fcntl
    import termios
    deadline = time.time() + limit
    while time.time() < deadline:
        if struct.unpack("i", fcntl.ioctl(c.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0] == 0:
            return
        time.sleep(0.01)
    log("send queue not empty after", limit, "s")


def correlate_server(scenario, ls, kept):
    import threading
    ls.settimeout(20)
    for i, (req, resp, end) in enumerate(CORRELATE[scenario], 1):
        c, peer = ls.accept()
        got = recv_exact(c, req)
        log("connection", i, "from", peer, "request", len(got))
        c.sendall(correlate_message(b"RESP", i, resp))
        if end == "client":
            read_all(c)
            c.close()
        elif end == "server":
            sent_all(c)          # so that the FIN leaves on a segment of its own
            c.close()
        elif end == "leak":
            read_all(c)          # the client's FIN: CLOSE_WAIT, never closed
            kept.append(c)
        else:
            kept.append(c)

            def tick(c=c):
                for k in range(125):     # at most 25 s
                    try:
                        c.sendall(b"tick %d\r\n" % k)
                    except OSError as e:
                        log("tick:", e)
                        return
                    time.sleep(0.2)

            threading.Thread(target=tick, daemon=True).start()


def correlate_client(scenario, addr, port, kept):
    for i, (req, resp, end) in enumerate(CORRELATE[scenario], 1):
        c = connect(addr, port, sport=CORRELATE_PORT + i)
        c.sendall(correlate_message(b"REQ", i, req))
        got = recv_exact(c, resp)
        log("connection", i, "response", len(got))
        if end == "client":
            time.sleep(0.05)
            c.close()
        elif end == "server":
            read_all(c)          # the server's FIN
            c.close()
        elif end == "leak":
            c.shutdown(socket.SHUT_WR)
            kept.append(c)
        else:
            kept.append(c)
        time.sleep(0.15)
    time.sleep(0.3)


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
