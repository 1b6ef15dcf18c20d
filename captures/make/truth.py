"""Writes a capture's truth file: what `ss -tan` showed in each namespace when the capture stopped.

    truth.py OUT.json NAME MADE_BY KERNEL NOTE UNOWNED EXTRA_JSON host=BASE64(ss -tanH) ...
                                                          [host.ti=BASE64(ss -taniH or -tanioH) ...]

NOTE, UNOWNED (an address prefix no namespace owns: spoofed sources) and EXTRA_JSON (more fields,
as a JSON object) may be empty. A `host.ti=` argument (after or before that host's `host=`) adds
what `ss -i` showed for each socket to the host's row of the same local and peer address, as
`"ti"`: rtt_ms and rttvar_ms, rto_ms, retrans_current and retrans_total, backoff, the timer `-o`
showed (timer, timer_expires_ms, timer_retrans), every other `name:number` and `name number` field
ss printed (bytes_acked, segs_out, lastsnd, cwnd, ...; times in ms as ss gives them), its bare words
(ts, sack, the congestion control's name, app_limited, ...) in `flags`, and the whole text in
`raw`. For a socket with an rto, retrans and backoff that ss left out (it does when they are 0) are 0.
"""
import base64
import json
import re
import sys


def parse_ti(text):
    """{(local, peer): {...}} from `ss -tanHi[o]`: each socket is a line of its own, then a line of
    details that begins with white space."""
    socks, cur = {}, None
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            f = line.split()
            cur = None
            if len(f) >= 5:
                cur = socks.setdefault((f[3], f[4]), {"raw": ""})
                m = re.search(r"timer:\((\w+),([^,]*),(\d+)\)", line)
                if m:
                    cur["timer"] = m.group(1)
                    cur["timer_expires_ms"] = duration_ms(m.group(2))
                    cur["timer_retrans"] = int(m.group(3))
            continue
        if cur is not None:
            cur["raw"] = (cur["raw"] + " " + line.strip()).strip()
    for d in socks.values():
        details(d)
    return socks


def duration_ms(s):
    """ss -o's timer text (`1.2sec`, `200ms`, `1min3sec`) in ms."""
    total, found = 0.0, False
    for num, unit in re.findall(r"([\d.]+)(min|sec|ms)", s):
        total += float(num) * {"min": 60000, "sec": 1000, "ms": 1}[unit]
        found = True
    return round(total, 3) if found else s


def number(v):
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def details(d):
    toks = d["raw"].split()
    flags = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if ":" in t and not t.startswith("("):
            k, v = t.split(":", 1)
            if k == "rtt" and "/" in v:
                a, b = v.split("/", 1)
                d["rtt_ms"], d["rttvar_ms"] = number(a), number(b)
            elif k == "retrans" and "/" in v:
                a, b = v.split("/", 1)
                d["retrans_current"], d["retrans_total"] = number(a), number(b)
            elif k == "rto":
                d["rto_ms"] = number(v)
            elif k == "wscale":
                d["wscale"] = v
            elif k in ("busy", "rwnd_limited", "sndbuf_limited"):
                m = re.match(r"(\d+)ms", v)
                d[k + "_ms"] = int(m.group(1)) if m else v
            else:
                d[k] = number(v)
        elif i + 1 < len(toks) and t in ("send", "pacing_rate", "delivery_rate"):
            d[t] = toks[i + 1]
            i += 1
        else:
            flags.append(t)
        i += 1
    if flags:
        d["flags"] = flags
    if "rto_ms" in d:
        # ss leaves out retrans:a/b and backoff:n when they are 0.
        d.setdefault("retrans_current", 0)
        d.setdefault("retrans_total", 0)
        d.setdefault("backoff", 0)


out, name, made_by, kernel, note, unowned, extra = sys.argv[1:8]
hosts = {}
ti = {}
for arg in sys.argv[8:]:
    host, b64 = arg.split("=", 1)
    if host.endswith(".ti"):
        ti[host[:-3]] = parse_ti(base64.b64decode(b64).decode())
        continue
    rows = []
    for line in base64.b64decode(b64).decode().splitlines():
        f = line.split()
        if len(f) >= 5:
            rows.append({"state": f[0], "local": f[3], "peer": f[4]})
    hosts[host] = {"ss": rows}
for host, socks in ti.items():
    for row in hosts.get(host, {}).get("ss", []):
        d = socks.get((row["local"], row["peer"]))
        if d is not None:
            row["ti"] = d
doc = {"scenario": name, "made_by": made_by, "kernel": kernel, "hosts": hosts}
if note:
    doc["note"] = note
if unowned:
    # Addresses no namespace owns (spoofed sources): no host's ss can speak for them.
    doc["unowned"] = [unowned]
if extra:
    doc.update(json.loads(extra))
with open(out, "w") as fh:
    json.dump(doc, fh, indent=2)
    fh.write("\n")
