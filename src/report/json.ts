import type { Report } from '../analyze.js';
import { EVENT_NAMES, STATE_COUNT, STATE_NAMES, type ConnectionRecord } from '../tcp/index.js';
import { addrToString, duration, isoTimestamp } from './format.js';

export const JSON_SCHEMA = 'tcpstate.report/1';

/**
 * The `tcpstate.report/1` JSON document, produced in pieces so that a report with
 * millions of connections is streamed rather than built as one string. One connection per line.
 */
export function* renderJson(report: Report): Generator<string> {
  const p = report.precision;
  const s = report.summary;
  const ts = (t: { sec: number; nsec: number } | null) => (t ? isoTimestamp(t.sec, t.nsec, p) : null);
  const head = {
    schema: JSON_SCHEMA,
    tool: report.tool,
    inputs: report.inputs,
    summary: {
      packets: s.packets,
      tcpPackets: s.tcpPackets,
      notDecoded: s.notDecoded,
      ipFragments: s.ipFragments,
      connections: s.connections,
      abnormal: s.abnormal,
      openAtEnd: s.openAtEnd,
      roleInferred: s.roleInferred,
      stateInferred: s.stateInferred,
      firstTs: ts(s.firstTs),
      lastTs: ts(s.lastTs),
      msl: report.msl,
    },
    endStates: endStates(report),
  };
  const text = JSON.stringify(head, null, 2);
  yield `${text.slice(0, text.length - 2)},\n  "connections": [`;
  let first = true;
  const rows = report.connections ? report.connections() : report.notable;
  for (const c of rows) {
    yield `${first ? '\n' : ',\n'}    ${JSON.stringify(connectionJson(c, report))}`;
    first = false;
  }
  yield `${first ? '' : '\n  '}],\n  "findings": []\n}\n`;
}

/** Non-zero cells of the client × server end-state matrix. */
function endStates(report: Report): { client: string; server: string; count: number }[] {
  const out: { client: string; server: string; count: number }[] = [];
  for (let c = 0; c < STATE_COUNT; c++) {
    for (let sv = 0; sv < STATE_COUNT; sv++) {
      const n = report.matrix[c]![sv]!;
      if (n > 0) out.push({ client: STATE_NAMES[c]!, server: STATE_NAMES[sv]!, count: n });
    }
  }
  return out.sort((a, b) => b.count - a.count || a.client.localeCompare(b.client) || a.server.localeCompare(b.server));
}

export function connectionJson(c: ConnectionRecord, report: Report): Record<string, unknown> {
  const p = report.precision;
  const out: Record<string, unknown> = {
    id: c.id,
    client: { addr: addrToString(c.family, c.client), port: c.client.port, state: STATE_NAMES[c.client.state],
      packets: c.client.packets, payloadBytes: c.client.payloadBytes },
    server: { addr: addrToString(c.family, c.server), port: c.server.port, state: STATE_NAMES[c.server.state],
      packets: c.server.packets, payloadBytes: c.server.payloadBytes },
    ipVersion: c.family,
    roleInferred: c.roleInferred,
    stateInferred: c.stateInferred,
    endedNormally: c.normalEnd,
    firstPacket: c.firstPacket,
    lastPacket: c.lastPacket,
    start: isoTimestamp(c.startSec, c.startNsec, p),
    end: isoTimestamp(c.endSec, c.endNsec, p),
    duration: Number(duration(c.startSec, c.startNsec, c.endSec, c.endNsec, p)),
  };
  if (report.transitionsKept && c.transitions) {
    const t = c.transitions;
    const list: Record<string, unknown>[] = [];
    for (let i = 0; i + 6 < t.length; i += 7) {
      list.push({
        packet: t[i] === 0 ? null : t[i],
        ts: isoTimestamp(t[i + 1]!, t[i + 2]!, p),
        side: t[i + 3] === 0 ? 'client' : 'server',
        from: STATE_NAMES[t[i + 4]!],
        to: STATE_NAMES[t[i + 5]!],
        event: EVENT_NAMES[t[i + 6]!],
      });
    }
    out.transitions = list;
    if (c.transitionsDropped) out.transitionsDropped = c.transitionsDropped;
  }
  return out;
}
