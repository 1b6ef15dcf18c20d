import { utcDateTime } from './format.js';
import type { Report } from '../analyze.js';
import type { ConnectionRecord } from '../tcp/index.js';
import { zeekUid, type ZeekRecord } from '../zeek/conn.js';
import { addrToString } from './format.js';

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
  // Zeek leaves duration and sizes unset for a connection without any duration (a lone packet).
  const timed = r.duration > 0;
  return [
    r.ts.toFixed(6), zeekUid(r), r.origAddr, r.origPort, r.respAddr, r.respPort, 'tcp', '-',
    timed ? r.duration.toFixed(6) : '-', timed ? r.origBytes : '-', timed ? r.respBytes : '-', r.connState, '-', '-', 0,
    r.history || '-', r.origPkts, r.origIpBytes, r.respPkts, r.respIpBytes, '-',
  ].join('\t');
}

function logTime(sec: number): string {
  return utcDateTime(sec).replace('T', '-').replace(/:/g, '-');
}

/**
 * For tcpstate's connections, the Zeek record of the same four-tuple that overlaps it in packets
 * (the first one, where Zeek cut the connection into several).
 */
export function zeekMatcher(records: readonly ZeekRecord[]): (c: ConnectionRecord) => ZeekRecord | null {
  const byTuple = new Map<string, ZeekRecord[]>();
  for (const r of records) {
    const key = tupleKey(r.origAddr, r.origPort, r.respAddr, r.respPort);
    const list = byTuple.get(key);
    if (list) list.push(r);
    else byTuple.set(key, [r]);
  }
  return (c) => {
    const key = tupleKey(addrToString(c.family, c.client), c.client.port, addrToString(c.family, c.server), c.server.port);
    for (const r of byTuple.get(key) ?? []) if (r.firstPacket <= c.lastPacket && r.lastPacket >= c.firstPacket) return r;
    return null;
  };
}

function tupleKey(a: string, ap: number, b: string, bp: number): string {
  const x = `${a}|${ap}`;
  const y = `${b}|${bp}`;
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

export { zeekUid };
