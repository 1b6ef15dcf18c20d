import type { Report, ReportFinding } from './model.js';
import { ENCAP_NAMES } from '../decode/index.js';
import { zeekMatcher, zeekUid } from './zeek.js';
import type { ZeekRecord } from '../zeek/index.js';
import {
  EVENT_NAMES, EVICTION_NAMES, STATE_COUNT, STATE_NAMES, TRANSITION_FIELDS, transitionEvent, transitionFrom, transitionSide, transitionTo,
  type ConnectionRecord, type ConnectionTiming, type EndpointRecord, type RtoCount, type SegmentAnalysis,
} from '../tcp/index.js';
import type { Precision } from '../capture/index.js';
import { addrToString, duration, endpointToString, fixedSeconds, portOut, isoTimestamp, possibleStateNames, timingDigits, whySentence } from './format.js';
import { retransmissionShare, type ServerRow } from '../detect/index.js';
import { VANTAGE_KEYS } from '../tcp/vantage.js';
import { guidanceOf } from './guidance.js';
import { summaryParagraph } from './summary.js';

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
    inputs: report.inputs.map((i) => ({
      file: i.file, format: i.format, compressed: i.compressed, precision: i.precision, linkTypes: i.linkTypes, packets: i.packets,
    })),
    ...(report.title ? { title: report.title } : {}),
    ...(report.note ? { note: report.note } : {}),
    ...(report.redacted ? { redacted: { addresses: true, fileNames: true, ports: report.redacted === 'ports' } } : {}),
    summary: {
      text: summaryParagraph(report),
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
      capturePoint: report.capturePoint,
      limits: s.limits,
      damage: report.damage ? {
        file: report.damage.file, packet: report.damage.packet, offset: report.damage.offset, code: report.damage.code,
        reason: report.damage.detail,
      } : null,
    },
    endStates: endStates(report),
  };
  const text = JSON.stringify(head, null, 2);
  yield `${text.slice(0, text.length - 2)},\n  "connections": [`;
  let first = true;
  const rows = report.connections ? report.connections() : report.notable;
  const zeekOf = report.zeek ? zeekMatcher(report.zeek) : null;
  for (const c of rows) {
    yield `${first ? '\n' : ',\n'}    ${connectionJson(c, report, zeekOf ? zeekOf(c) : undefined)}`;
    first = false;
  }
  const findings = report.findings.map((f) => JSON.stringify(findingJson(f, ts)));
  yield `${first ? '' : '\n  '}],\n  "findings": [${findings.length ? `\n    ${findings.join(',\n    ')}\n  ` : ''}],\n`;
  const servers = report.servers.rows.map(serverJson);
  const omitted = report.servers.omitted;
  yield `  "servers": [${servers.length ? `\n    ${servers.join(',\n    ')}\n  ` : ''}],\n` +
    `  "serversOmitted": {"servers":${omitted.servers},"connections":${omitted.connections}}\n}\n`;
}

function findingJson(f: ReportFinding, ts: (t: { sec: number; nsec: number } | null) => string | null): object {
  return {
    kind: f.kind, severity: f.severity, summary: f.summary, endpoint: f.endpoint, connections: f.connections,
    first: ts(f.first), last: ts(f.last), counts: f.counts, guidance: guidanceOf(f),
    evidence: f.evidence.map((e) => (e.lost ? { packet: e.packet, ts: ts(e.ts), line: e.line, lost: e.lost } : { packet: e.packet, ts: ts(e.ts), line: e.line })),
  };
}

/** One server endpoint as a JSON line (detect/servers.ts): percentiles are bucket middles, within 9%. */
function serverJson(r: ServerRow): string {
  const sec = (v: number | null) => (v === null ? 'null' : fixedSeconds(v, 6));
  const pct = (x: { p50: number | null; p99: number | null; samples: number }) => `{"p50":${sec(x.p50)},"p99":${sec(x.p99)},"samples":${x.samples}}`;
  return `{"endpoint":"${endpointToString(r.family, r)}","connections":${r.connections},` +
    `"handshakes":{"attempted":${r.handshakes.attempted},"completed":${r.handshakes.completed}},` +
    `"resets":{"client":${r.resets.client},"server":${r.resets.server}},"handshakeRtt":${pct(r.handshakeRtt)},"firstByte":${pct(r.firstByte)},` +
    `"retransmissions":${r.retransmissions},"packets":${r.packets},"retransmissionShare":${fixedSeconds(retransmissionShare(r), 6)},` +
    `"abnormal":${r.abnormal},"endStates":[${r.endStates.map((e) => `{"client":"${STATE_NAMES[e.client]}","server":"${STATE_NAMES[e.server]}","count":${e.count}}`).join(',')}]}`;
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

/**
 * One connection as a JSON line. Built by hand: every value is a number or text that needs no
 * escaping (canonical addresses, RFC state names, ISO timestamps), and this runs per connection.
 */
export function connectionJson(c: ConnectionRecord, report: Report, zeek?: ZeekRecord | null): string {
  const p = report.precision;
  const listener = c.synNotAnswered ? `,"listenerSeen":${report.listenerSeen(c)}` : '';
  let line = `{"id":${c.id},"client":${endpointJson(c, c.client, '')},"server":${endpointJson(c, c.server, listener)},` +
    `"ipVersion":${c.family},"roleInferred":${c.roleInferred},"stateInferred":${c.stateInferred},` +
    `"endedNormally":${c.normalEnd},"firstPacket":${c.firstPacket},"lastPacket":${c.lastPacket},` +
    `"start":"${isoTimestamp(c.startSec, c.startNsec, p)}","end":"${isoTimestamp(c.endSec, c.endNsec, p)}",` +
    `"duration":${duration(c.startSec, c.startNsec, c.endSec, c.endNsec, p)},"timing":${timingJson(c.timing, p)}`;
  if (c.vantage) line += `,"capturePoint":"${VANTAGE_KEYS[c.vantage]}"`;
  if (c.evicted) line += `,"evicted":"${EVICTION_NAMES[c.evicted]}"`;
  if (c.encap) line += `,"encapsulation":[${encapNames(c.encap).map((n) => `"${n}"`).join(',')}]`;
  const mptcp = report.mptcp.get(c.id);
  if (mptcp) line += `,"mptcp":{"connection":${mptcp.connection},"subflow":${mptcp.subflow},"token":"${mptcp.token}"}`;
  if (zeek) line += `,"zeek":{"uid":"${zeekUid(zeek)}","conn_state":"${zeek.connState}","history":"${zeek.history}"}`;
  else if (zeek === null) line += ',"zeek":null';
  if (report.transitionsKept && c.transitions) {
    const t = c.transitions;
    const list: string[] = [];
    for (let i = 0; i + TRANSITION_FIELDS <= t.length; i += TRANSITION_FIELDS) {
      const packed = t[i + 3]!;
      list.push(`{"packet":${t[i] === 0 ? 'null' : t[i]},"ts":"${isoTimestamp(t[i + 1]!, t[i + 2]!, p)}",` +
        `"side":"${transitionSide(packed) === 0 ? 'client' : 'server'}","from":"${STATE_NAMES[transitionFrom(packed)]}",` +
        `"to":"${STATE_NAMES[transitionTo(packed)]}","event":"${EVENT_NAMES[transitionEvent(packed)]}"}`);
    }
    line += `,"transitions":[${list.join(',')}]`;
    if (c.lost.length) {
      line += `,"lost":[${c.lost.map((l) => `{"packet":${l.packet},"lost":{"before":"${l.before}","provedBy":${l.provedBy}}}`).join(',')}]`;
    }
    if (c.transitionsDropped) line += `,"transitionsDropped":${c.transitionsDropped}`;
  }
  return `${line}}`;
}

/**
 * `{...}` of where the connection's time went, in seconds: what the capture does not show is left
 * out (no handshake seen, no round trip sampled), and so are the stalls and timeouts there were none of.
 */
function timingJson(t: ConnectionTiming, p: Precision): string {
  const d = timingDigits(p);
  let out = '';
  if (t.handshakeRtt !== null) out = `,"handshakeRtt":${fixedSeconds(t.handshakeRtt, d)}`;
  if (t.serverRtt !== null) out += `,"serverRtt":${fixedSeconds(t.serverRtt, d)}`;
  if (t.clientRtt !== null) out += `,"clientRtt":${fixedSeconds(t.clientRtt, d)}`;
  const rtt = t.rtt;
  if (rtt !== null) out += `,"rtt":{"min":${fixedSeconds(rtt.min, d)},"p50":${fixedSeconds(rtt.p50, d)},"max":${fixedSeconds(rtt.max, d)},"samples":${rtt.samples}}`;
  if (t.firstByte !== null) out += `,"firstByte":${fixedSeconds(t.firstByte, d)}`;
  if (t.maxIdle !== null) out += `,"maxIdle":${fixedSeconds(t.maxIdle, d)}`;
  const [cl, sv] = t.rto;
  if (cl.count || sv.count) {
    const side = (name: string, r: RtoCount) => (r.count ? `"${name}":{"count":${r.count},"backoff":${r.backoff},"longestInterval":${fixedSeconds(r.longestInterval, d)}}` : '');
    out += `,"retransmissionTimeouts":{${[side('client', cl), side('server', sv)].filter(Boolean).join(',')}}`;
  }
  const st = t.stalled;
  if (st.zeroWindow || st.windowFull || st.application) {
    let causes = '';
    if (st.zeroWindow > 0) causes += `,"zeroWindow":${fixedSeconds(st.zeroWindow, d)}`;
    if (st.windowFull > 0) causes += `,"windowFull":${fixedSeconds(st.windowFull, d)}`;
    if (st.application > 0) causes += `,"application":${fixedSeconds(st.application, d)}`;
    out += `,"stalled":{${causes.slice(1)}}`;
  }
  return out === '' ? '{}' : `{${out.slice(1)}}`;
}

/** The tunnels of a packed encapsulation, outermost first. */
export function encapNames(encap: number): string[] {
  const names: string[] = [];
  for (let e = encap; e !== 0; e >>>= 4) names.push(ENCAP_NAMES[e & 15] ?? `encap-${e & 15}`);
  return names;
}

/** `extra`: fields after the state's (the server's `listenerSeen`). */
function endpointJson(c: ConnectionRecord, e: EndpointRecord, extra: string): string {
  const uncertain = e.possibleStates.length
    ? `,"possibleStates":${JSON.stringify(possibleStateNames(e))},"why":${JSON.stringify(whySentence(e, e === c.client ? 'client' : 'server'))}` : '';
  return `{"addr":"${addrToString(c.family, e)}","port":${portOut(e.port)},"state":"${STATE_NAMES[e.state]}"${uncertain}${extra},` +
    `"packets":${e.packets},"payloadBytes":${e.payloadBytes},"wireBytes":${e.wireBytes}${analysisJson(e.analysis)}}`;
}

/**
 * `,"analysis":{...}` for an endpoint whose segments Wireshark's analysis flagged; nothing for the
 * others (most of them: a report of a healthy capture would otherwise be a third longer).
 */
function analysisJson(a: SegmentAnalysis): string {
  if ((a.retransmissions | a.outOfOrder | a.duplicateAcks | a.zeroWindows | a.keepAlives | a.ackedUnseen | a.lostSegments) === 0) return '';
  return `,"analysis":{"retransmissions":${a.retransmissions},"outOfOrder":${a.outOfOrder},"duplicateAcks":${a.duplicateAcks},` +
    `"zeroWindows":${a.zeroWindows},"keepAlives":${a.keepAlives},"ackedUnseen":${a.ackedUnseen},"lostSegments":${a.lostSegments}}`;
}
