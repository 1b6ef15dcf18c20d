import type { Report, ReportFinding } from './model.js';
import { type ConnectionRecord, STATE_NAMES } from '../tcp/index.js';
import { Lowest } from '../lowest.js';
import { capturePointText, duration, endpointToString, evictionNote, findingKindsById, isoTimestamp, limitsNote, linkTypesText, noTcpSentence, printable, SERVER_COLUMNS, serverCells, stateCell, timingNotes, uncertainNotes, usedStates } from './format.js';
import { groupDigits } from '../digits.js';
import { guidanceOf } from './guidance.js';
import { summaryParagraph } from './summary.js';
import { redactedNote } from './redacted.js';

/** Connections shown per finding, and in the table of connections with the most problems. */
const CONNECTIONS_SHOWN = 20;

/**
 * A GitHub-flavoured Markdown report to paste into a ticket or a pull request: capture facts,
 * findings (most severe first) with their evidence in code blocks and the connections behind
 * them, the end-state matrix, and the connections with the most problems. Needs the report's
 * connections (`keep: 'all'`) for the connection tables; without them those tables are left out.
 */
export function* renderMarkdown(report: Report): Generator<string> {
  const s = report.summary;
  const p = report.precision;
  const files = report.inputs.map((i) => code(i.file)).join(', ');
  yield report.title ? `# ${text(printable(report.title))}\n\n` : `# tcpstate report: ${files}\n\n`;
  if (report.note) yield `${text(printable(report.note))}\n\n`;
  yield `**Summary.** ${text(printable(summaryParagraph(report)))}\n\n`;
  yield '| | |\n|---|---|\n';
  if (report.redacted) yield `| Redacted | ${redactedNote(report)} |\n`;
  for (const i of report.inputs) {
    yield `| Capture | ${code(i.file)}: ${i.format}${i.compressed ? ' (gzip)' : ''}, ${i.precision} timestamps, ` +
      `${cell(linkTypesText(i))}, ${i.packets} packets |\n`;
  }
  if (s.firstTs && s.lastTs) {
    yield `| Time | ${isoTimestamp(s.firstTs.sec, s.firstTs.nsec, p)} to ${isoTimestamp(s.lastTs.sec, s.lastTs.nsec, p)} ` +
      `(${duration(s.firstTs.sec, s.firstTs.nsec, s.lastTs.sec, s.lastTs.nsec, p)} s) |\n`;
  }
  yield `| Packets | ${s.packets}: ${s.tcpPackets} TCP, ${s.packets - s.tcpPackets} not decoded |\n`;
  const noTcp = noTcpSentence(report);
  if (noTcp) yield `| No TCP | ${cell(noTcp)} |\n`;
  yield `| Connections | ${s.connections}: ${s.abnormal} did not end normally, ${s.openAtEnd} still open at the end |\n`;
  const limits = limitsNote(s.limits);
  if (limits) yield `| Limits | ${limits} |\n`;
  const by = (sev: string) => report.findings.filter((f) => f.severity === sev).length;
  if (report.thresholds) {
    yield `| Findings | ${report.findings.length}: ${by('critical')} critical, ${by('warning')} warning, ${by('info')} info |\n`;
  }
  if (report.damage) {
    const d = report.damage;
    yield `| Damage | ${code(d.file)}: packet ${d.packet}, byte offset ${d.offset}: ${cell(printable(d.detail))}; this report covers what came before |\n`;
  }
  yield `| Captured | ${capturePointText(report)} |\n`;
  yield `| TIME_WAIT | 2MSL = ${2 * report.msl} s |\n\n`;

  const rows = shownRows(report);
  const byId = rows?.byId ?? null;
  if (report.thresholds) {
    yield '## Findings\n\n';
    if (report.findings.length === 0) yield 'None.\n\n';
    for (const f of report.findings) yield* finding(f, report, byId);
  }
  yield* matrix(report);
  yield* servers(report);
  if (rows) yield* mostProblems(report, rows);
}

/** Server endpoints a Markdown report lists (the worst first). */
const MARKDOWN_SERVERS = 20;

function* servers(report: Report): Generator<string> {
  const { rows, omitted } = report.servers;
  if (rows.length === 0) return;
  yield '## Servers\n\n';
  yield `${rows.length} server endpoint${rows.length === 1 ? '' : 's'}, those with the most problems first` +
    `${rows.length > MARKDOWN_SERVERS ? ` (the worst ${MARKDOWN_SERVERS}; \`--format json\` lists every one)` : ''}. ` +
    'Round trips and first bytes are percentiles within 9%.\n\n';
  yield `| ${SERVER_COLUMNS.map((c) => c.toLowerCase()).join(' | ')} |\n`;
  yield `|---|---:|${SERVER_COLUMNS.slice(2).map(() => '---').join('|')}|\n`;
  for (const r of rows.slice(0, MARKDOWN_SERVERS)) {
    const cells = serverCells(r);
    yield `| ${code(cells[0]!)} | ${cells.slice(1).map(cell).join(' | ')} |\n`;
  }
  if (omitted.servers) yield `\nAnd ${omitted.connections} connections to more endpoints than are followed, counted only.\n`;
  yield '\n';
}

function* finding(f: ReportFinding, report: Report, byId: Map<number, ConnectionRecord> | null): Generator<string> {
  const p = report.precision;
  yield `### ${f.severity.toUpperCase()}: \`${f.kind}\`${f.endpoint ? ` on ${code(f.endpoint)}` : ''}\n\n`;
  yield `${text(f.summary)}\n\n`;
  const n = typeof f.counts.connections === 'number' ? f.counts.connections : f.connections.length;
  if (f.first && f.last) {
    yield `- ${n === 1 ? '1 connection' : `${groupDigits(n)} connections`}, ` +
      `${isoTimestamp(f.first.sec, f.first.nsec, p)} to ${isoTimestamp(f.last.sec, f.last.nsec, p)}\n`;
  }
  const counts = Object.entries(f.counts).filter(([k]) => k !== 'connections')
    .map(([k, v]) => `${k} ${typeof v === 'object' ? Object.entries(v).map(([a, b]) => `${a} ×${b}`).join(', ') : String(v)}`);
  if (counts.length) yield `- ${counts.map((c) => code(c)).join(' · ')}\n`;
  yield '\n';
  const g = guidanceOf(f);
  yield `**Next steps.** Likely causes:\n\n${g.causes.map((c) => `- ${text(c)}`).join('\n')}\n\nCheck:\n\n${g.check.map((c) => `- ${text(c)}`).join('\n')}\n\n`;
  if (f.evidence.length) {
    yield `Evidence (as \`tcpstate print\` prints it; packet numbers ${f.evidence.map((e) => e.packet).join(', ')}):\n\n`;
    yield `${fence(f.evidence.map((e) => e.line))}\n\n`;
  }
  if (byId) {
    const rows = f.connections.slice(0, CONNECTIONS_SHOWN).map((id) => byId.get(id)).filter((c): c is ConnectionRecord => c !== undefined);
    if (rows.length) {
      const more = n > rows.length ? ` (the first ${rows.length} of ${groupDigits(n)})` : '';
      yield `<details><summary>Connections behind this finding${more}</summary>\n\n`;
      yield* connectionTable(rows, report, findingKindsById(report.findings));
      yield '\n</details>\n\n';
    }
  }
}

function* matrix(report: Report): Generator<string> {
  const { rows, cols } = usedStates(report.matrix);
  yield '## End states\n\nAt the end of the capture; rows: client, columns: server.\n\n';
  if (rows.length === 0) {
    yield 'No TCP connections.\n\n';
    return;
  }
  yield `| client \\ server | ${cols.map((c) => STATE_NAMES[c]).join(' | ')} |\n`;
  yield `|---|${cols.map(() => '---:').join('|')}|\n`;
  for (const r of rows) {
    yield `| **${STATE_NAMES[r]}** | ${cols.map((c) => report.matrix[r]![c]! || '.').join(' | ')} |\n`;
  }
  yield '\n';
}

/** Connections ranked by how much went wrong: findings they are in, abnormal end, Wireshark's flags. */
function* mostProblems(report: Report, rows: Rows): Generator<string> {
  yield '## Connections with the most problems\n\n';
  if (rows.rankedCount === 0) {
    yield 'None: every connection ended normally and nothing was retransmitted.\n';
    return;
  }
  yield* connectionTable(rows.ranked, report, rows.kinds);
  if (rows.rankedCount > CONNECTIONS_SHOWN) yield `\n${rows.rankedCount - CONNECTIONS_SHOWN} more; \`--format json\` lists every connection.\n`;
}

function* connectionTable(rows: ConnectionRecord[], report: Report, kinds: Map<number, string[]> | null): Generator<string> {
  const p = report.precision;
  yield '| id | client | server | client state | server state | packets c/s | bytes c/s | duration | retx c/s | notes |\n';
  yield '|---:|---|---|---|---|---:|---:|---:|---:|---|\n';
  for (const c of rows) {
    const notes = [...(c.normalEnd ? [] : ['abnormal']), ...(kinds?.get(c.id) ?? []), ...(c.roleInferred ? ['roles inferred'] : []),
      ...(c.evicted ? [evictionNote(c.evicted)!] : []), ...timingNotes(c.timing)];
    yield `| ${c.id} | ${code(endpointToString(c.family, c.client))} | ${code(endpointToString(c.family, c.server))} | ` +
      `${stateCell(c.client)} | ${stateCell(c.server)} | ${c.client.packets}/${c.server.packets} | ` +
      `${c.client.payloadBytes}/${c.server.payloadBytes} | ${duration(c.startSec, c.startNsec, c.endSec, c.endNsec, p)} s | ` +
      `${c.client.analysis.retransmissions}/${c.server.analysis.retransmissions} | ${notes.join(', ')} |\n`;
  }
  const uncertain = uncertainNotes(rows);
  if (uncertain.length) {
    yield '\n`?`: the capture cannot tell that state apart from others:\n\n';
    for (const n of uncertain) yield `- ${n}\n`;
  }
}

/** The rows the page shows: those the findings list first, and the worst ranked; the rest are only counted. */
interface Rows {
  byId: Map<number, ConnectionRecord>;
  ranked: ConnectionRecord[];
  rankedCount: number;
  kinds: Map<number, string[]>;
}

/** One pass over the connections, keeping only the rows shown (a capture may have millions). */
function shownRows(report: Report): Rows | null {
  if (!report.connections) return null;
  const kinds = findingKindsById(report.findings);
  const wanted = new Set(report.findings.flatMap((f) => f.connections.slice(0, CONNECTIONS_SHOWN)));
  const score = (c: ConnectionRecord) => {
    const a = c.client.analysis;
    const b = c.server.analysis;
    return (kinds.get(c.id)?.length ?? 0) * 1e6 + (c.normalEnd ? 0 : 1e5) +
      a.retransmissions + b.retransmissions + a.duplicateAcks + b.duplicateAcks + a.zeroWindows + b.zeroWindows;
  };
  // Highest score first; rows come in id order, which the ranking keeps among equal scores.
  const ranked = new Lowest<ConnectionRecord>(CONNECTIONS_SHOWN, (c) => -score(c));
  const byId = new Map<number, ConnectionRecord>();
  let rankedCount = 0;
  for (const c of report.connections()) {
    if (wanted.has(c.id)) byId.set(c.id, c);
    const s = score(c);
    if (s === 0) continue;
    rankedCount++;
    if (ranked.admits(-s)) ranked.add(c);
  }
  return { byId, ranked: ranked.sorted(), rankedCount, kinds };
}

/** Inline code that no backtick in the value can break out of (CommonMark: a longer fence). */
export function code(raw: string): string {
  const s = printable(raw);
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length));
  const tick = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return cell(`${tick}${pad}${s}${pad}${tick}`);
}

/** A fenced block longer than any run of backticks inside it. */
export function fence(lines: string[]): string {
  const longest = Math.max(2, ...lines.flatMap((l) => (l.match(/`+/g) ?? []).map((m) => m.length)));
  const f = '`'.repeat(longest + 1);
  return `${f}text\n${lines.join('\n')}\n${f}`;
}

/** Text in a table cell: a pipe would end the cell, a newline the row. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** Running text: Markdown's own characters and raw HTML are shown as they are, not interpreted. */
export function text(s: string): string {
  return s.replace(/[\\`*_{}[\]<>#|~]/g, (ch) => `\\${ch}`);
}
