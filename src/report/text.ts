import type { Report } from './model.js';
import { guidanceOf } from './guidance.js';
import { summaryParagraph } from './summary.js';
import { redactedNote } from './redacted.js';
import { type ConnectionRecord, type SegmentAnalysis, STATE_NAMES } from '../tcp/index.js';
import { capturePointText, duration, endpointToString, evictionNote, findingKindsById, isoTimestamp, limitsNote, linkTypesText, noTcpSentence, printable, SERVER_COLUMNS, serverCells, stateCell, timingNotes, uncertainNotes, usedStates } from './format.js';
import { groupDigits } from '../digits.js';
import { MAX_SERVERS } from '../detect/index.js';

/** Wireshark's analysis counts in the table's notes, client/server: `retx 3/0`. */
const ANALYSIS_NOTES: [keyof SegmentAnalysis, string][] = [
  ['retransmissions', 'retx'], ['outOfOrder', 'ooo'], ['duplicateAcks', 'dup-ack'], ['zeroWindows', 'zero-win'],
  ['keepAlives', 'keep-alive'], ['ackedUnseen', 'acked-unseen'], ['lostSegments', 'not-captured'],
];

const PRECISION_WORDS = { s: 'second', ms: 'millisecond', us: 'microsecond', ns: 'nanosecond' } as const;

export interface TextOptions {
  /** List every connection instead of the notable ones. */
  all?: boolean;
  /** List every server endpoint instead of the worst TEXT_SERVERS. */
  byServer?: boolean;
  /** Colour the severities (for a terminal; the CLI decides, and never with NO_COLOR). */
  color?: boolean;
}

/** Server endpoints the text report lists unless asked for all (--by-server). */
const TEXT_SERVERS = 5;

/** ANSI SGR colours of the severity labels: red, yellow, cyan. */
const SEVERITY_COLORS: Record<string, string> = { critical: '\x1b[1;31m', warning: '\x1b[33m', info: '\x1b[36m' };

/** The width the summary paragraph is wrapped to. */
const WIDTH = 100;

/** Words into lines of at most `width` characters (a longer word is a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The report for a person at a terminal: capture facts, packet counts, end-state matrix, notable connections. */
export function* renderText(report: Report, options: TextOptions = {}): Generator<string> {
  const s = report.summary;
  const p = report.precision;
  yield `${report.tool.name} ${report.tool.version}\n\n`;
  if (report.title) yield `Title        ${printable(report.title)}\n`;
  if (report.note) yield `Note         ${printable(report.note)}\n`;
  if (report.redacted) yield `Redacted     ${redactedNote(report)}\n`;
  yield `Summary      ${wrap(printable(summaryParagraph(report)), WIDTH - 13).join(`\n${' '.repeat(13)}`)}\n\n`;
  for (const i of report.inputs) {
    const how = [i.format + (i.compressed ? ' (gzip)' : ''), `${PRECISION_WORDS[i.precision]} timestamps`,
      `link type ${linkTypesText(i)}`, `${i.packets} packets`];
    yield `Capture      ${printable(i.file)}: ${how.join(', ')}\n`;
  }
  if (s.firstTs && s.lastTs) {
    yield `Time         ${isoTimestamp(s.firstTs.sec, s.firstTs.nsec, p)} to ${isoTimestamp(s.lastTs.sec, s.lastTs.nsec, p)}` +
      ` (${duration(s.firstTs.sec, s.firstTs.nsec, s.lastTs.sec, s.lastTs.nsec, p)} s)\n`;
  }
  const nd = Object.entries(s.notDecoded);
  const notDecoded = s.packets - s.tcpPackets;
  yield `Packets      ${s.packets}: ${s.tcpPackets} TCP, ${notDecoded} not decoded` +
    (nd.length ? ` (${nd.map(([k, v]) => `${k} ${v}`).join(', ')})` : '') +
    (s.ipFragments ? `; ${s.ipFragments} IP fragments` : '') + '\n';
  const noTcp = noTcpSentence(report);
  if (noTcp) yield `No TCP       ${noTcp}\n`;
  yield `Connections  ${s.connections}: ${s.abnormal} did not end normally, ${s.openAtEnd} still open at the end` +
    (s.roleInferred ? `, ${s.roleInferred} with roles inferred (handshake not captured)` : '') + '\n';
  const limits = limitsNote(s.limits);
  if (limits) yield `Limits       ${limits}\n`;
  if (report.damage) {
    const d = report.damage;
    yield `Damage       ${printable(d.file)}: packet ${d.packet}, byte offset ${d.offset}: ${printable(d.detail)}; reading stopped there: ` +
      'this report covers what came before\n';
  }
  yield `Captured     ${capturePointText(report)}\n`;
  yield `TIME_WAIT    2MSL = ${2 * report.msl} s\n`;
  yield '\n';
  yield* findings(report, options.color === true);
  yield* matrix(report);
  yield '\n';
  yield* servers(report, options.byServer === true);
  yield* mptcp(report);
  yield* table(report, options.all === true);
}

/** The MPTCP connections, each with its token and its subflows' connection ids in order. */
function* mptcp(report: Report): Generator<string> {
  if (report.mptcp.size === 0) return;
  const groups = new Map<number, { token: string; ids: number[] }>();
  for (const [id, s] of report.mptcp) {
    let g = groups.get(s.connection);
    if (g === undefined) groups.set(s.connection, (g = { token: s.token, ids: [] }));
    g.ids[s.subflow - 1] = id;
  }
  yield `MPTCP connections: ${groups.size}, of ${report.mptcp.size} subflows (connection ids, in order)\n`;
  for (const [n, g] of [...groups].sort((a, b) => a[0] - b[0])) yield `  ${n}  token ${g.token}  subflows ${g.ids.join(', ')}\n`;
  yield '\n';
}

/** Findings, most severe first, each with its summary and evidence lines. */
function* findings(report: Report, color: boolean): Generator<string> {
  if (!report.thresholds) return;
  const f = report.findings;
  const by = (sev: string) => f.filter((x) => x.severity === sev).length;
  if (f.length === 0) {
    yield 'Findings     none\n\n';
    return;
  }
  yield `Findings     ${f.length}: ${by('critical')} critical, ${by('warning')} warning, ${by('info')} info\n\n`;
  const p = report.precision;
  for (const x of f) {
    const label = x.severity.toUpperCase().padEnd(8);
    yield `${color ? `${SEVERITY_COLORS[x.severity]}${label}\x1b[0m` : label}  ${x.kind}${x.endpoint ? `  ${x.endpoint}` : ''}\n`;
    yield `  ${x.summary}\n`;
    yield `  next: ${guidanceOf(x).check[0]}\n`;
    const n = typeof x.counts.connections === 'number' ? x.counts.connections : x.connections.length;
    const ids = x.connections.slice(0, 12).join(', ') + (n > 12 ? ', …' : '');
    const span = x.first && x.last ? `, ${isoTimestamp(x.first.sec, x.first.nsec, p)} to ${isoTimestamp(x.last.sec, x.last.nsec, p)}` : '';
    yield `  ${n === 1 ? 'connection' : `${groupDigits(n)} connections`}: ${ids}${span}\n`;
    if (x.evidence.length) {
      yield '  evidence:\n';
      for (const e of x.evidence) yield `    ${e.line}\n`;
    }
    yield '\n';
  }
}

function* servers(report: Report, all: boolean): Generator<string> {
  const { rows, omitted } = report.servers;
  if (rows.length === 0) return;
  const shown = all ? rows : rows.slice(0, TEXT_SERVERS);
  yield `Servers (${rows.length} endpoint${rows.length === 1 ? '' : 's'}, those with the most problems first` +
    `${shown.length < rows.length ? `; the worst ${shown.length} of them, --by-server lists every one` : ''})\n`;
  const lines = [SERVER_COLUMNS, ...shown.map(serverCells)];
  const widths = SERVER_COLUMNS.map((_, k) => Math.max(...lines.map((l) => l[k]!.length)));
  for (const l of lines) yield `  ${l.map((x, k) => (k === 1 ? x.padStart(widths[k]!) : x.padEnd(widths[k]!))).join('  ').trimEnd()}\n`;
  if (omitted.servers) yield `  and ${omitted.connections} connections to more endpoints than are followed (${MAX_SERVERS}), counted only\n`;
  yield '\n';
}

function* matrix(report: Report): Generator<string> {
  const { rows, cols } = usedStates(report.matrix);
  yield 'End states at the end of the capture (rows: client, columns: server)\n';
  if (rows.length === 0) {
    yield '  no TCP connections\n';
    return;
  }
  const w0 = Math.max(...rows.map((r) => STATE_NAMES[r]!.length)) + 2;
  const widths = cols.map((c) => Math.max(STATE_NAMES[c]!.length, 3));
  yield `  ${''.padEnd(w0)}${cols.map((c, k) => STATE_NAMES[c]!.padStart(widths[k]!)).join('  ')}\n`;
  for (const r of rows) {
    const cells = cols.map((c, k) => {
      const n = report.matrix[r]![c]!;
      return (n ? String(n) : '.').padStart(widths[k]!);
    });
    yield `  ${STATE_NAMES[r]!.padEnd(w0)}${cells.join('  ')}\n`;
  }
}

function* table(report: Report, all: boolean): Generator<string> {
  const s = report.summary;
  const rows: Iterable<ConnectionRecord> = all && report.connections ? report.connections() : report.notable;
  const shown = all && report.connections ? s.connections : report.notable.length;
  if (all) yield `Connections (${s.connections})\n`;
  else if (shown < s.connections) yield `Notable connections (${shown} of ${s.connections}, those that did not end normally first; --all lists every connection)\n`;
  else yield `Connections (${s.connections}, those that did not end normally first)\n`;
  if (s.connections === 0) return;
  const header = ['ID', 'CLIENT', 'SERVER', 'CLIENT STATE', 'SERVER STATE', 'PKTS C/S', 'BYTES C/S', 'DURATION', 'NOTE'];
  const lines: string[][] = [];
  const flush = function* (): Generator<string> {
    const widths = header.map((h, k) => Math.max(h.length, ...lines.map((l) => l[k]!.length)));
    const fmt = (l: string[]) => l.map((x, k) => (k === 0 || k === 5 || k === 6 || k === 7 ? x.padStart(widths[k]!) : x.padEnd(widths[k]!)))
      .join('  ').trimEnd();
    yield `  ${fmt(header)}\n`;
    for (const l of lines) yield `  ${fmt(l)}\n`;
  };
  const p = report.precision;
  // Each connection names the findings it is in (those that list its id).
  const kinds = findingKindsById(report.findings);
  for (const c of rows) {
    const notes: string[] = [];
    if (!c.normalEnd) notes.push('abnormal');
    const found = kinds.get(c.id);
    if (found) notes.push(...found);
    if (c.roleInferred) notes.push('roles inferred');
    if (c.stateInferred) notes.push('state inferred');
    const evicted = evictionNote(c.evicted);
    if (evicted) notes.push(evicted);
    const a = c.client.analysis;
    const b = c.server.analysis;
    for (const [name, label] of ANALYSIS_NOTES) {
      const x = a[name];
      const y = b[name];
      if (x || y) notes.push(`${label} ${x}/${y}`);
    }
    notes.push(...timingNotes(c.timing));
    lines.push([
      String(c.id), endpointToString(c.family, c.client), endpointToString(c.family, c.server),
      stateCell(c.client), stateCell(c.server),
      `${c.client.packets}/${c.server.packets}`, `${c.client.payloadBytes}/${c.server.payloadBytes}`,
      `${duration(c.startSec, c.startNsec, c.endSec, c.endNsec, p)} s`, notes.join(', '),
    ]);
    if (lines.length === 1000) {
      // Very long listings are aligned in blocks so that they stream.
      yield* flush();
      lines.length = 0;
    }
  }
  if (lines.length) yield* flush();
  const notes = uncertainNotes(all && report.connections ? report.connections() : report.notable);
  if (notes.length) {
    yield '\n  ? the capture cannot tell that state apart from others:\n';
    for (const n of notes) yield `    ${n}\n`;
  }
}
