import { utcDateTime } from './format.js';
import type { Report } from './model.js';
import { type ConnectionRecord, tupleHashOf } from '../tcp/index.js';
import { addrToString, portOut } from '../decode/address.js';
import type { ZeekRecord } from '../zeek/index.js';

const FIELDS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes',
  'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts',
  'resp_ip_bytes', 'tunnel_parents'];
const TYPES = ['time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count', 'string', 'bool',
  'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]'];

/**
 * Zeek's conn.log (TSV, as `zeek -r` writes it) for the TCP connections, records cut where Zeek
 * cuts them. #open and #close carry the capture's times, not the clock's, so the output is reproducible.
 */
export function* renderZeek(report: Report): Generator<string> {
  const records = report.zeek ?? [];
  const first = report.summary.firstTs;
  const last = report.summary.lastTs;
  yield '#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n';
  yield `#open\t${logTime(first ? first.sec : 0)}\n`;
  yield `#fields\t${FIELDS.join('\t')}\n#types\t${TYPES.join('\t')}\n`;
  for (const r of records) yield `${zeekRow(r)}\n`;
  yield `#close\t${logTime(last ? last.sec : 0)}\n`;
}

function zeekRow(r: ZeekRecord): string {
  const orig = zeekOrigAddr(r);
  const resp = zeekRespAddr(r);
  // Zeek leaves duration and sizes unset for a connection without any duration (a lone packet).
  const sizes = r.duration > 0 ? `${r.duration.toFixed(6)}\t${r.origBytes}\t${r.respBytes}` : '-\t-\t-';
  return `${r.ts.toFixed(6)}\t${zeekUid(r, orig, resp)}\t${orig}\t${portOut(r.origPort)}\t${resp}\t${portOut(r.respPort)}\ttcp\t-\t${sizes}\t${r.connState}\t-\t-\t0\t` +
    `${r.history || '-'}\t${r.origPkts}\t${r.origIpBytes}\t${r.respPkts}\t${r.respIpBytes}\t-`;
}

function logTime(sec: number): string {
  return utcDateTime(sec).replace('T', '-').replace(/:/g, '-');
}

/**
 * For tcpstate's connections, the Zeek record of the same four-tuple that overlaps it in packets
 * (the first one, where Zeek cut the connection into several).
 */
export function zeekMatcher(records: readonly ZeekRecord[]): (c: ConnectionRecord) => ZeekRecord | null {
  // Keyed by a number, not a string: a capture may have a million records.
  const byTuple = new Map<number, ZeekRecord | ZeekRecord[]>();
  for (const r of records) {
    const key = tupleHashOf(r.o0, r.o1, r.o2, r.o3, r.origPort, r.r0, r.r1, r.r2, r.r3, r.respPort);
    const known = byTuple.get(key);
    if (known === undefined) byTuple.set(key, r);
    else if (Array.isArray(known)) known.push(r);
    else byTuple.set(key, [known, r]);
  }
  return (c) => {
    const a = c.client;
    const b = c.server;
    const found = byTuple.get(tupleHashOf(a.a0, a.a1, a.a2, a.a3, a.port, b.a0, b.a1, b.a2, b.a3, b.port));
    if (found === undefined) return null;
    for (const r of Array.isArray(found) ? found : [found]) {
      if (r.family === c.family && sameTuple(r, c) && r.firstPacket <= c.lastPacket && r.lastPacket >= c.firstPacket) return r;
    }
    return null;
  };
}

function sameTuple(r: ZeekRecord, c: ConnectionRecord): boolean {
  const o = (e: ConnectionRecord['client'], port: number, w0: number, w1: number, w2: number, w3: number) =>
    e.port === port && e.a0 === w0 && e.a1 === w1 && e.a2 === w2 && e.a3 === w3;
  return (o(c.client, r.origPort, r.o0, r.o1, r.o2, r.o3) && o(c.server, r.respPort, r.r0, r.r1, r.r2, r.r3)) ||
    (o(c.server, r.origPort, r.o0, r.o1, r.o2, r.o3) && o(c.client, r.respPort, r.r0, r.r1, r.r2, r.r3));
}

export function zeekOrigAddr(r: ZeekRecord): string {
  return addrToString(r.family, { a0: r.o0, a1: r.o1, a2: r.o2, a3: r.o3 });
}

export function zeekRespAddr(r: ZeekRecord): string {
  return addrToString(r.family, { a0: r.r0, a1: r.r1, a2: r.r2, a3: r.r3 });
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A stable Zeek-style uid ("C" and 17 base-62 characters) from the record's tuple and start time (`orig` and `resp`: its addresses as text, when made already). */
export function zeekUid(r: ZeekRecord, orig = zeekOrigAddr(r), resp = zeekRespAddr(r)): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const s = `${orig}|${portOut(r.origPort)}|${resp}|${portOut(r.respPort)}|${r.ts}`;
  for (let i = 0; i < s.length; i++) {
    h1 = Math.imul(h1 ^ s.charCodeAt(i), 0x01000193);
    h2 = Math.imul(h2 ^ s.charCodeAt(i), 0x5bd1e995);
  }
  // Seed a xorshift generator with both hashes and draw 17 base-62 digits.
  let x = (h1 ^ Math.imul(h2, 0x9e3779b1)) >>> 0 || 1;
  let out = 'C';
  for (let i = 0; i < 17; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += BASE62[x % 62];
  }
  return out;
}
