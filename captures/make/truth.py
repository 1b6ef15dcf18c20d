"""Writes a capture's truth file: what `ss -tan` showed in each namespace when the capture stopped.

    truth.py OUT.json NAME MADE_BY KERNEL NOTE UNOWNED EXTRA_JSON host=BASE64(ss -tanH) ...

NOTE, UNOWNED (an address prefix no namespace owns: spoofed sources) and EXTRA_JSON (more fields,
as a JSON object) may be empty.
"""
import base64
import json
import sys

out, name, made_by, kernel, note, unowned, extra = sys.argv[1:8]
hosts = {}
for arg in sys.argv[8:]:
    host, b64 = arg.split("=", 1)
    rows = []
    for line in base64.b64decode(b64).decode().splitlines():
        f = line.split()
        if len(f) >= 5:
            rows.append({"state": f[0], "local": f[3], "peer": f[4]})
    hosts[host] = {"ss": rows}
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
