import type { Report } from './model.js';
import {
  type ConnectionRecord, EVENT_NAMES, STATE_NAMES, TcpState, TRANSITION_FIELDS, transitionEvent, transitionFrom, transitionSide, transitionTo,
} from '../tcp/index.js';
import { guidanceOf } from './guidance.js';
import { summaryParagraph } from './summary.js';
import { redactedNote } from './redacted.js';
import { capturePointText, duration, endpointToString, evictionNote, findingKindsById, isoTimestamp, limitsNote, linkTypesText, noTcpSentence, SERVER_COLUMNS, serverCells, stateCell, timingNotes, uncertainNotes } from './format.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Connections embedded in the page (a capture with more lists the others in the JSON report only). */
export const HTML_MAX_ROWS = 100000;
const MAX_ROWS = HTML_MAX_ROWS;
/** Ladders embedded: those of the connections in findings, and of the first connections up to this many. */
const MAX_LADDERS = 2000;

/**
 * One self-contained HTML page: the findings, a timeline of SYNs, SYN,ACKs, RSTs and FINs per
 * interval, the end-state matrix as a heat map, a connection table that sorts, filters and pages
 * (up to MAX_ROWS connections), and, for the connection chosen, its ladder of state transitions
 * (kept for the connections in findings and the first MAX_LADDERS). No network: style, script and
 * data are inline. Values from the capture reach the page only as JSON data, and the script puts
 * them in with textContent, never as markup.
 */
export function* renderHtml(report: Report): Generator<string> {
  const p = report.precision;
  const rows: ConnectionRecord[] = [];
  let total = 0;
  if (report.connections) {
    for (const c of report.connections()) {
      total++;
      if (rows.length < MAX_ROWS) rows.push(c);
    }
  } else {
    rows.push(...report.notable);
    total = report.summary.connections;
  }
  const kinds = findingKindsById(report.findings);
  const s = report.summary;
  const limits = limitsNote(s.limits);
  const noTcp = noTcpSentence(report);
  const data = {
    title: report.title ? report.title : `tcpstate: ${report.inputs.map((i) => i.file).join(', ')}`,
    note: report.note ?? null,
    summary: summaryParagraph(report),
    facts: [
      ...(report.redacted ? [['Redacted', redactedNote(report)]] : []),
      ...report.inputs.map((i) => ['Capture', `${i.file}: ${i.format}${i.compressed ? ' (gzip)' : ''}, ${linkTypesText(i)}, ${i.packets} packets`]),
      ...(s.firstTs && s.lastTs ? [['Time', `${isoTimestamp(s.firstTs.sec, s.firstTs.nsec, p)} to ${isoTimestamp(s.lastTs.sec, s.lastTs.nsec, p)} ` +
        `(${duration(s.firstTs.sec, s.firstTs.nsec, s.lastTs.sec, s.lastTs.nsec, p)} s)`]] : []),
      ['Packets', `${s.packets}: ${s.tcpPackets} TCP`],
      ...(noTcp ? [['No TCP', noTcp]] : []),
      ['Connections', `${s.connections}: ${s.abnormal} did not end normally, ${s.openAtEnd} still open at the end`],
      ['Captured', capturePointText(report)],
      ...(limits ? [['Limits', limits]] : []),
      ...(report.damage ? [['Damage', `${report.damage.message}; this report covers what came before`]] : []),
    ],
    findings: report.findings.map((f) => ({
      kind: f.kind, severity: f.severity, summary: f.summary, endpoint: f.endpoint, connections: f.connections.slice(0, 50),
      count: f.counts.connections, evidence: f.evidence.map((e) => e.line), guidance: guidanceOf(f),
    })),
    timeline: timeline(report),
    ...cellKinds(report, rows),
    states: STATE_NAMES,
    matrix: report.matrix,
    columns: ['id', 'client', 'server', 'client state', 'server state', 'packets', 'bytes', 'duration s', 'rtt ms', 'first byte ms', 'retx', 'notes'],
    rows: rows.map((c) => [
      c.id, endpointToString(c.family, c.client), endpointToString(c.family, c.server), stateCell(c.client), stateCell(c.server),
      c.client.packets + c.server.packets, c.client.payloadBytes + c.server.payloadBytes,
      Number(duration(c.startSec, c.startNsec, c.endSec, c.endNsec, p)),
      c.timing.rtt ? Number((c.timing.rtt.p50 * 1e3).toFixed(3)) : '', c.timing.firstByte !== null ? Number((c.timing.firstByte * 1e3).toFixed(3)) : '',
      c.client.analysis.retransmissions + c.server.analysis.retransmissions,
      [...(c.normalEnd ? [] : ['abnormal']), ...(kinds.get(c.id) ?? []), ...(c.evicted ? [evictionNote(c.evicted)!] : []),
        ...timingNotes(c.timing).filter((n) => !n.startsWith('rtt ') && !n.startsWith('first byte '))].join(', '),
    ]),
    totalConnections: total,
    ladders: Object.fromEntries(rows.filter((c, i) => c.transitions && c.transitions.length && (i < MAX_LADDERS || kinds.has(c.id)))
      .map((c) => [c.id, ladder(c, report)])),
    graphs: report.graphs ? Object.fromEntries([...report.graphs].map(([id, g]) => [id, { p: g.points, s: g.sack, d: g.dropped }])) : {},
    graphsNote: report.graphs === null ? 'no graphs: the report was made without them' : report.graphs.size === 0 && report.inputs.some((i) => i.file === '-')
      ? 'no graphs: standard input cannot be read a second time for the segments' : '',
    findingGraphs: report.findings.map((f) => f.connections.find((id) => report.graphs?.has(id)) ?? null),
  };
  yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n';
  yield '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; script-src \'unsafe-inline\'; img-src data:">\n';
  yield `<title>tcpstate report</title>\n<style>${STYLE}</style>\n</head>\n<body>\n`;
  yield '<h1 id="title"></h1>\n<p id="note"></p>\n<p id="summary"></p>\n<table id="facts"></table>\n';
  // On screen the timeline comes first, so that the incident shows at a glance; printed, the findings do (STYLE).
  yield '<main id="sections">\n<section id="s-findings"><h2>Findings</h2>\n<div id="findings"></div></section>\n';
  yield '<section id="s-timeline"><h2>Timeline</h2>\n<p class="legend"><span class="syn">SYN</span> <span class="synack">SYN,ACK</span> <span class="rst">RST</span> <span class="fin">FIN</span> per bin; ' +
    'bands: the findings\' spans (hover for what they are)</p>\n<div id="timeline"></div></section>\n';
  yield '<h2>End states</h2>\n<p>Rows: client, columns: server, at the end of the capture.</p>\n<table id="matrix" class="heat"></table>\n';
  yield* servers(report);
  yield '<h2>Connections</h2>\n<p class="controls"><input id="filter" type="search" placeholder="filter: address, port, state, finding…" size="40"> <span id="count"></span> ' +
    '<button id="prev">‹</button> <span id="page"></span> <button id="next">›</button></p>\n<table id="connections" class="list"></table>\n';
  // What the ? of a state means, once per side the capture could not tell (fixed sentences and numbers: escaped all the same).
  const notes = uncertainNotes(rows);
  if (notes.length) {
    yield `<p class="legend">? the capture cannot tell that state apart from others:</p>\n<ul id="uncertain">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>\n`;
  }
  yield '<h2 class="interactive">Ladder</h2>\n<p id="ladder-title" class="interactive">Click a connection to see its state transitions.</p>\n<div id="ladder"></div>\n';
  yield '<h2 class="interactive">Graphs</h2>\n<p id="graphs-title" class="interactive">Click a connection to see its time-sequence graph (sequence numbers against time, each way: ' +
    '<span class="k seg">segments</span> <span class="k retx">retransmissions</span> <span class="k ack">the ACK line</span> ' +
    '<span class="k win">the receive window</span> <span class="k sack">SACK blocks</span> <span class="k zw">zero windows</span>), its round trips and its throughput.</p>\n<div id="graphs"></div>\n';
  yield '</main>\n';
  // The data as JSON in a script element: "<" is escaped so that nothing in it can end the element.
  yield `<script type="application/json" id="data">${JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}</script>\n`;
  yield `<script>${SCRIPT}</script>\n</body>\n</html>\n`;
}

/** Server endpoints the page lists (the worst first). */
const HTML_SERVERS = 200;

function* servers(report: Report): Generator<string> {
  const { rows } = report.servers;
  if (rows.length === 0) return;
  yield `<h2>Servers</h2>\n<p>${rows.length} server endpoint${rows.length === 1 ? '' : 's'}, those with the most problems first` +
    `${rows.length > HTML_SERVERS ? ` (the worst ${HTML_SERVERS}; the JSON report lists every one)` : ''}; round trips and first bytes are percentiles within 9%.</p>\n`;
  yield `<table id="servers" class="list"><thead><tr>${SERVER_COLUMNS.map((c) => `<th>${escapeHtml(c.toLowerCase())}</th>`).join('')}</tr></thead><tbody>\n`;
  for (const r of rows.slice(0, HTML_SERVERS)) yield `<tr>${serverCells(r).map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>\n`;
  yield '</tbody></table>\n';
}

/**
 * What each cell of the end-state matrix is, for its colour: the worst severity of the findings
 * whose connections ended there, else abnormal or normal (both sides closed after FINs, or both
 * ESTABLISHED: a connection still open at the end of the capture).
 */
function cellKinds(report: Report, rows: ConnectionRecord[]): { cellKinds: string[][]; cellNotes: string[][] } {
  const n = report.matrix.length;
  const kinds = report.matrix.map((row, c) => row.map((_, sv): string => (isNormalPair(c, sv) ? 'normal' : 'abnormal')));
  const notes = report.matrix.map((row, c) => row.map((_, sv): string => (isNormalPair(c, sv) ? 'a normal end' : 'not a normal end')));
  const byId = new Map(rows.map((c) => [c.id, c]));
  const rank = (k: string) => ['critical', 'warning', 'info', 'abnormal', 'normal'].indexOf(k);
  const kindsOf = new Map<string, Set<string>>();
  for (const f of report.findings) {
    for (const id of f.connections) {
      const c = byId.get(id);
      if (c === undefined || c.client.state >= n || c.server.state >= n) continue;
      const cell = kinds[c.client.state]!;
      if (rank(f.severity) < rank(cell[c.server.state]!)) cell[c.server.state] = f.severity;
      const key = `${c.client.state},${c.server.state}`;
      if (!kindsOf.has(key)) kindsOf.set(key, new Set());
      kindsOf.get(key)!.add(f.kind);
    }
  }
  for (const [key, set] of kindsOf) {
    const [c, sv] = key.split(',').map(Number) as [number, number];
    notes[c]![sv] = `in ${[...set].join(', ')}`;
  }
  return { cellKinds: kinds, cellNotes: notes };
}

function isNormalPair(client: number, server: number): boolean {
  const closed = (s: number) => s === TcpState.CLOSED || s === TcpState.TIME_WAIT;
  return (closed(client) && closed(server)) || (client === TcpState.ESTABLISHED && server === TcpState.ESTABLISHED);
}

/** One chart of the timeline: its bins' counts from `start`, `width` seconds each, and the findings' spans as bands. */
interface TimelineChart {
  title: string;
  start: number;
  width: number;
  bins: number[][];
  bands: { from: number; to: number; severity: string; label: string }[];
}

/**
 * The timeline as charts: one across the capture, in BINS bins (fewer only when the capture has
 * fewer of its steps), and, when the findings all fall within a tenth of it, another across their span.
 */
function timeline(report: Report): TimelineChart[] {
  const t = report.timeline;
  if (t.length === 0) return [];
  const step = report.timelineStep;
  // Across the capture, not only its SYNs, FINs and RSTs: a quiet stretch is part of what happened.
  const s = report.summary;
  const first = Math.min(t[0]![0], s.firstTs ? s.firstTs.sec + s.firstTs.nsec * 1e-9 : Infinity);
  const last = Math.max(t[t.length - 1]![0], s.lastTs ? s.lastTs.sec + s.lastTs.nsec * 1e-9 : -Infinity) + step;
  const bands = report.findings.filter((f) => f.first && f.last).map((f) => ({
    from: f.first!.sec + f.first!.nsec * 1e-9, to: f.last!.sec + f.last!.nsec * 1e-9, severity: f.severity,
    label: `${f.severity} ${f.kind}${f.endpoint ? ` ${f.endpoint}` : ''}: ${f.summary}`,
  }));
  const charts = [chart('Timeline of the whole capture', t, first, last, step, bands)];
  if (bands.length) {
    const from = Math.min(...bands.map((b) => b.from));
    const to = Math.max(...bands.map((b) => b.to));
    // A margin each side, and never fewer than BINS_AT_LEAST steps: a finding of one instant still has its surroundings.
    const pad = Math.max((to - from) * 0.05, (BINS_AT_LEAST * step - (to - from)) / 2);
    if (to - from + 2 * pad < (last - first) / 10) charts.push(chart('Around the findings', t, from - pad, to + pad, step, bands));
  }
  return charts;
}

/** Bins of a chart across the capture: this many when its steps allow, and a chart around the findings at least BINS_AT_LEAST. */
const BINS = 120;
const BINS_AT_LEAST = 64;

function chart(title: string, t: Report['timeline'], from: number, to: number, step: number, bands: TimelineChart['bands']): TimelineChart {
  const steps = Math.max(1, Math.ceil((to - from) / step));
  const width = Math.max(1, Math.ceil(steps / BINS)) * step;
  const start = Math.floor(from / step) * step;
  const n = Math.max(1, Math.ceil((to - start) / width));
  const bins: number[][] = [];
  for (let i = 0; i < n; i++) bins.push([0, 0, 0, 0]);
  for (const [sec, ...c] of t) {
    if (sec < start || sec >= start + n * width) continue;
    // Seconds beyond 2^53 (a crafted time resolution) divide inexactly: the last may round past the last bin.
    const b = bins[Math.min(n - 1, Math.floor((sec - start) / width))]!;
    for (let k = 0; k < 4; k++) b[k]! += c[k]!;
  }
  return { title, start, width, bins, bands: bands.filter((b) => b.to >= start && b.from <= start + n * width) };
}

function ladder(c: ConnectionRecord, report: Report): [number | null, string, number, string, string, string][] {
  const t = c.transitions!;
  const out: [number | null, string, number, string, string, string][] = [];
  for (let i = 0; i + TRANSITION_FIELDS <= t.length; i += TRANSITION_FIELDS) {
    const packed = t[i + 3]!;
    out.push([t[i] === 0 ? null : t[i]!, isoTimestamp(t[i + 1]!, t[i + 2]!, report.precision), transitionSide(packed),
      STATE_NAMES[transitionFrom(packed)]!, STATE_NAMES[transitionTo(packed)]!, EVENT_NAMES[transitionEvent(packed)]!]);
  }
  return out;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left}
#facts th{color:#555;font-weight:normal}
.finding{border-left:5px solid #999;padding:4px 10px;margin:10px 0;background:#fafafa}
.critical{border-color:#c00}.warning{border-color:#d90}.info{border-color:#39c}
.finding pre{font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #eee;padding:6px}
.sev{font-weight:bold;text-transform:uppercase;margin-right:.5em}
#summary{font-size:15px;max-width:60em;background:#f5f8fc;border:1px solid #dde6f0;padding:8px 12px}#note{color:#555}
.next{font-size:13px;margin:4px 0}.next p{margin:4px 0}.next-title{font-weight:bold}.next ul{margin:2px 0 6px 1.2em;padding:0}
.heat td{text-align:right;min-width:4em;border:1px solid #eee}.heat th{font-size:12px}
svg.timeline{width:100%;height:auto;display:block}.chart{margin:6px 0 14px}
#sections{display:flex;flex-direction:column}#s-timeline{order:-2}#s-findings{order:-1}
@media print{
#s-findings{order:-2}#s-timeline{order:-1}
body{margin:0;font-size:11pt}.controls,.interactive,#ladder,#graphs,button,input{display:none!important}
tr,.finding,.chart,svg{break-inside:avoid;page-break-inside:avoid}h2{break-after:avoid;page-break-after:avoid}
.finding{background:none}.list td,.list th{font-size:9pt}#summary{background:none}
}
.list th{cursor:pointer;background:#f0f0f0;border-bottom:1px solid #ccc;user-select:none}.list td{border-bottom:1px solid #f0f0f0;font-size:13px}
.list tr:hover td{background:#eef6ff;cursor:pointer}
.legend span{padding:0 6px;color:#fff}.syn{background:#3a7}.synack{background:#37c}.rst{background:#c33}.fin{background:#999}
svg text{font-size:11px;fill:#555}
.ladder td{font-size:13px;border-bottom:1px solid #f3f3f3}.ladder .c{text-align:right}.ladder .arrow{color:#888}
svg.graph{display:block;margin:4px 0}.graph .seg{stroke:#36c;stroke-width:2}.graph .retx{stroke:#d22;stroke-width:3}.graph .ack{stroke:#2a2}
.graph .win{stroke:#bbb;stroke-dasharray:3 2}.graph .sack{stroke:#e90;stroke-width:2}.graph .zw{fill:#d22}.graph .rtt.c{fill:#36c}.graph .rtt.s{fill:#a3a}
.graph .tput.c{stroke:#36c}.graph .tput.s{stroke:#a3a}.k{padding:0 4px;border-bottom:3px solid}.k.seg{border-color:#36c}.k.retx{border-color:#d22}
.k.ack{border-color:#2a2}.k.win{border-color:#bbb}.k.sack{border-color:#e90}.k.zw{border-color:#d22}
`;

const SCRIPT = `
'use strict';
const D = JSON.parse(document.getElementById('data').textContent);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; };
document.title = D.title;
document.getElementById('title').textContent = D.title;
if (D.note) document.getElementById('note').textContent = D.note; else document.getElementById('note').remove();
document.getElementById('summary').textContent = D.summary;
const facts = document.getElementById('facts');
for (const [k, v] of D.facts) { const tr = el('tr'); tr.append(el('th', k), el('td', v)); facts.append(tr); }

const fd = document.getElementById('findings');
if (D.findings.length === 0) fd.append(el('p', 'None.'));
for (const f of D.findings) {
  const box = el('div', undefined, 'finding ' + f.severity);
  const h = el('p');
  h.append(el('span', f.severity, 'sev'), el('code', f.kind), document.createTextNode(f.endpoint ? ' on ' + f.endpoint : ''));
  box.append(h, el('p', f.summary), el('p', f.count + ' connection(s): ' + f.connections.join(', ') + (f.count > f.connections.length ? ', …' : '')));
  const next = el('div', undefined, 'next');
  next.append(el('p', 'Next steps', 'next-title'), el('p', 'Likely causes:'));
  const causes = el('ul'); for (const c of f.guidance.causes) causes.append(el('li', c));
  const check = el('ul'); for (const c of f.guidance.check) check.append(el('li', c));
  next.append(causes, el('p', 'Check:'), check);
  box.append(next);
  if (f.evidence.length) box.append(el('pre', f.evidence.join('\\n')));
  const gid = D.findingGraphs[D.findings.indexOf(f)];
  if (gid !== null) {
    const g = el('div', undefined, 'finding-graph');
    g.append(el('p', 'Connection ' + gid + ', the first of the finding with its segments:', 'legend'));
    tsg(g, gid, 640, 160);
    box.append(g);
  }
  fd.append(box);
}

// Timeline: a chart of stacked bars per bin, at the page's full width, with each finding's span as a band.
(function () {
  const ns = 'http://www.w3.org/2000/svg', W = 1000, H = 170, pad = 34, top = 14;
  const sevColor = { critical: '#c00', warning: '#d90', info: '#39c' };
  const clock = (s) => { const d = new Date(Math.round(s * 1000)); return isNaN(d) ? String(s) : d.toISOString().slice(11, 23); };
  D.timeline.forEach((t, n) => {
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + (H + pad)); svg.setAttribute('class', 'timeline');
    if (n === 0) svg.setAttribute('id', 'timeline-svg');
    let bars = 0;
    const max = Math.max(1, ...t.bins.map((b) => b[0] + b[1] + b[2] + b[3]));
    const span = t.bins.length * t.width, bw = (W - pad) / Math.max(1, t.bins.length);
    const x = (s) => pad + Math.max(0, Math.min(1, (s - t.start) / span)) * (W - pad);
    const rect = (cls, a, y, w, h, fill, tip) => {
      const r = document.createElementNS(ns, 'rect');
      r.setAttribute('x', a); r.setAttribute('y', y); r.setAttribute('width', w); r.setAttribute('height', h); r.setAttribute('fill', fill); r.setAttribute('class', cls);
      const title = document.createElementNS(ns, 'title'); title.textContent = tip; r.append(title); svg.append(r); return r;
    };
    for (const b of t.bands) {
      const a = x(b.from), e = Math.max(a + 2, x(b.to));
      const r = rect('band ' + b.severity, a, top, e - a, H - top, sevColor[b.severity] || '#999', b.label + ' (' + clock(b.from) + ' to ' + clock(b.to) + ' UTC)');
      r.setAttribute('fill-opacity', '0.13');
    }
    const colors = ['#3a7', '#37c', '#c33', '#999'];
    t.bins.forEach((b, i) => {
      let y = H;
      const at = t.start + i * t.width;
      const tip = clock(at) + ' UTC, ' + t.width.toPrecision(3) + ' s: ' + b[0] + ' SYN, ' + b[1] + ' SYN,ACK, ' + b[2] + ' RST, ' + b[3] + ' FIN';
      for (let k = 0; k < 4; k++) {
        if (!b[k]) continue;
        const h = (b[k] / max) * (H - top);
        rect('bar', pad + i * bw, y - h, Math.max(1, bw - 1), h, colors[k], tip); y -= h; bars++;
      }
    });
    const label = (a, y, s, anchor) => { const tx = document.createElementNS(ns, 'text'); tx.setAttribute('x', a); tx.setAttribute('y', y); if (anchor) tx.setAttribute('text-anchor', anchor); tx.textContent = s; svg.append(tx); };
    svg.dataset.bars = bars;
    label(0, top + 4, String(max)); label(0, H, '0');
    label(pad, H + 20, clock(t.start) + ' UTC'); label(W, H + 20, clock(t.start + span) + '  (' + t.bins.length + ' bins of ' + t.width.toPrecision(3) + ' s)', 'end');
    const box = el('div', undefined, 'chart');
    box.append(el('p', t.title + ':', 'legend'), svg);
    document.getElementById('timeline').append(box);
  });
})();

// End-state heat map.
(function () {
  const m = D.matrix, S = D.states, used = (i, byRow) => m.some((row, r) => (byRow ? m[i][r] : row[i]) > 0);
  const rows = S.map((_, i) => i).filter((i) => used(i, true)), cols = S.map((_, i) => i).filter((i) => used(i, false));
  const max = Math.max(1, ...m.flat());
  const t = document.getElementById('matrix');
  const head = el('tr'); head.append(el('th', 'client \\\\ server')); for (const c of cols) head.append(el('th', S[c])); t.append(head);
  for (const r of rows) {
    const tr = el('tr'); tr.append(el('th', S[r]));
    for (const c of cols) {
      // Coloured by how abnormal the pair is, not by how many: normal end states grey, the states of findings by their severity.
      const n = m[r][c], td = el('td', n || '.'), kind = D.cellKinds[r][c];
      if (n) {
        const a = (0.15 + 0.6 * Math.log(1 + n) / Math.log(1 + max)).toFixed(2);
        const rgb = { critical: '200,0,0', warning: '221,144,0', info: '51,153,204', abnormal: '170,120,60', normal: '128,128,128' }[kind];
        td.style.background = 'rgba(' + rgb + ',' + (kind === 'normal' ? (a * 0.5).toFixed(2) : a) + ')';
        td.title = n + ' connection' + (n === 1 ? '' : 's') + ' ended ' + S[r] + ' / ' + S[c] + ': ' + D.cellNotes[r][c];
        td.className = 'cell-' + kind;
      }
      tr.append(td);
    }
    t.append(tr);
  }
})();

// Connection table: sort by a column (click again to reverse), filter, pages of 100.
(function () {
  const t = document.getElementById('connections'), PAGE = 100;
  let rows = D.rows, key = 0, dir = 1, page = 0;
  const head = el('tr');
  D.columns.forEach((c, i) => { const th = el('th', c); th.addEventListener('click', () => { dir = key === i ? -dir : 1; key = i; sort(); draw(); }); head.append(th); });
  const body = el('tbody'); t.append(el('thead'), body); t.tHead.append(head);
  const cmp = (a, b) => (typeof a[key] === 'number' ? a[key] - b[key] : String(a[key]).localeCompare(String(b[key]))) * dir;
  function sort() { rows = rows.slice().sort(cmp); page = 0; }
  function draw() {
    body.textContent = '';
    for (const r of rows.slice(page * PAGE, (page + 1) * PAGE)) {
      const tr = el('tr'); for (const v of r) tr.append(el('td', v));
      tr.addEventListener('click', () => showLadder(r)); body.append(tr);
    }
    document.getElementById('count').textContent = rows.length + ' of ' + D.totalConnections + ' connections';
    document.getElementById('page').textContent = 'page ' + (page + 1) + ' of ' + Math.max(1, Math.ceil(rows.length / PAGE));
  }
  document.getElementById('filter').addEventListener('input', (e) => {
    const q = e.target.value.toLowerCase();
    rows = D.rows.filter((r) => r.some((v) => String(v).toLowerCase().includes(q))); sort(); draw();
  });
  document.getElementById('prev').addEventListener('click', () => { if (page > 0) { page--; draw(); } });
  document.getElementById('next').addEventListener('click', () => { if ((page + 1) * PAGE < rows.length) { page++; draw(); } });
  draw();
})();


// Graphs (tcptrace's time-sequence graph, round trips, throughput), from the segments the page
// holds for the connection (report/graphs.ts): points of 7 numbers, SACK blocks of 4.
// Function declarations only: the findings above draw with them before this part of the script runs.
function svgEl(tag, attrs, cls) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (cls) e.setAttribute('class', cls);
  return e;
}
function points(id) {
  const g = D.graphs[id];
  if (!g) return null;
  const out = [];
  for (let i = 0; i + 7 <= g.p.length; i += 7) out.push({ t: g.p[i], dir: g.p[i + 1], seq: g.p[i + 2], len: g.p[i + 3], ack: g.p[i + 4], win: g.p[i + 5], f: g.p[i + 6] });
  const sack = [];
  for (let i = 0; i + 4 <= g.s.length; i += 4) sack.push({ t: g.s[i], dir: g.s[i + 1], left: g.s[i + 2], right: g.s[i + 3] });
  return { pts: out, sack, dropped: g.d };
}
function frame(parent, W, H, title, xmax, ymin, ymax, ylabel) {
  const pad = 44, svg = svgEl('svg', { width: W, height: H + 24 }, 'graph');
  const x = (t) => pad + (xmax > 0 ? (t / xmax) * (W - pad - 8) : 0);
  const y = (v) => H - 4 - (ymax > ymin ? ((v - ymin) / (ymax - ymin)) * (H - 20) : 0);
  const label = (lx, ly, s) => { const tx = svgEl('text', { x: lx, y: ly }); tx.textContent = s; svg.append(tx); };
  svg.append(svgEl('line', { x1: pad, y1: H - 4, x2: W - 8, y2: H - 4, stroke: '#bbb' }), svgEl('line', { x1: pad, y1: 10, x2: pad, y2: H - 4, stroke: '#bbb' }));
  label(pad, 10, title); label(0, 20, String(Math.round(ymax))); label(0, H - 4, String(ymin) + ' ' + ylabel); label(W - 60, H + 16, '+' + xmax.toFixed(3) + ' s');
  parent.append(svg);
  return { svg, x, y };
}
// One direction of the time-sequence graph: its segments, and the other side's ACKs, windows and SACKs.
function tsgDir(parent, g, dir, W, H) {
  const segs = g.pts.filter((p) => p.dir === dir && (p.len > 0 || (p.f & 3) !== 0));
  if (segs.length === 0) return false;
  const acks = g.pts.filter((p) => p.dir !== dir && p.ack >= 0);
  const xmax = Math.max(...g.pts.map((p) => p.t), 0.000001);
  // Scaled to the data and its ACKs: the window line runs along the top where it is higher.
  const ymax = Math.max(...segs.map((p) => p.seq + p.len), ...acks.map((p) => p.ack), 1) * 1.1;
  const ymin = Math.min(...segs.map((p) => p.seq), 0);
  const f = frame(parent, W, H, (dir === 0 ? 'client → server' : 'server → client') + ': sequence number against time', xmax, ymin, ymax, 'bytes');
  let ackPath = '', winPath = '';
  for (const a of acks) {
    ackPath += (ackPath ? ' L' : 'M') + f.x(a.t).toFixed(1) + ' ' + f.y(a.ack).toFixed(1);
    winPath += (winPath ? ' L' : 'M') + f.x(a.t).toFixed(1) + ' ' + f.y(Math.min(a.ack + a.win, ymax)).toFixed(1);
  }
  if (ackPath) f.svg.append(svgEl('path', { d: ackPath, fill: 'none' }, 'ack'), svgEl('path', { d: winPath, fill: 'none' }, 'win'));
  for (const p of segs) {
    const y0 = f.y(p.seq), y1 = f.y(p.seq + Math.max(p.len, 1));
    f.svg.append(svgEl('line', { x1: f.x(p.t), y1: y0, x2: f.x(p.t), y2: Math.min(y1, y0 - 2) }, (p.f & 8) ? 'retx' : 'seg'));
  }
  for (const s of g.sack) if (s.dir !== dir) f.svg.append(svgEl('line', { x1: f.x(s.t) + 2, y1: f.y(s.left), x2: f.x(s.t) + 2, y2: f.y(s.right) }, 'sack'));
  for (const a of acks) if (a.f & 16) f.svg.append(svgEl('circle', { cx: f.x(a.t), cy: f.y(a.ack), r: 3 }, 'zw'));
  return true;
}
function tsg(parent, id, W, H) {
  const g = points(id);
  if (!g) return false;
  const drawn = [tsgDir(parent, g, 0, W, H), tsgDir(parent, g, 1, W, H)];
  if (g.dropped) parent.append(el('p', g.dropped + ' later segments are not drawn (the page keeps at most 3,000 per connection).', 'legend'));
  return drawn[0] || drawn[1];
}
// Round trips: a data segment to the first ACK from the other side that covers it, unless that
// sequence space was sent again before the ACK (Karn's rule), at the capture point.
function rtts(g) {
  const out = [];
  for (const dir of [0, 1]) {
    const segs = g.pts.filter((p) => p.dir === dir && p.len > 0);
    const acks = g.pts.filter((p) => p.dir !== dir && p.ack >= 0);
    let k = 0;
    for (const s of segs) {
      if (s.f & 8) continue;
      const end = s.seq + s.len;
      while (k < acks.length && acks[k].t < s.t) k++;
      const a = acks.slice(k).find((x) => x.ack >= end);
      if (!a) continue;
      if (segs.some((r) => (r.f & 8) && r.t > s.t && r.t <= a.t && r.seq < end && r.seq + r.len > s.seq)) continue;
      out.push({ t: a.t, rtt: a.t - s.t, dir });
    }
  }
  return out;
}
function drawGraphs(id) {
  const box = document.getElementById('graphs');
  box.textContent = '';
  const g = points(id);
  if (!g) {
    box.append(el('p', D.graphsNote || 'No graphs for this connection: the page keeps the segments of the first 100 connections and of 100 in findings.', 'legend'));
    return;
  }
  tsg(box, id, 900, 240);
  const xmax = Math.max(...g.pts.map((p) => p.t), 0.000001);
  const r = rtts(g);
  if (r.length) {
    const f = frame(box, 900, 140, 'round trips at the capture point (data to its ACK), ms', xmax, 0, Math.max(...r.map((x) => x.rtt * 1000)), 'ms');
    for (const s of r) f.svg.append(svgEl('circle', { cx: f.x(s.t), cy: f.y(s.rtt * 1000), r: 2 }, s.dir === 0 ? 'rtt c' : 'rtt s'));
  }
  const BINS = 40, w = xmax / BINS, bins = [new Array(BINS).fill(0), new Array(BINS).fill(0)];
  for (const p of g.pts) if (p.len > 0) bins[p.dir][Math.min(BINS - 1, Math.floor(p.t / w))] += p.len;
  const rate = (b) => b / w;
  const top = Math.max(1, ...bins[0].map(rate), ...bins[1].map(rate));
  const f = frame(box, 900, 140, 'throughput, bytes per second (client → server, server → client)', xmax, 0, Math.round(top), 'B/s');
  for (const dir of [0, 1]) {
    let d = '';
    bins[dir].forEach((b, i) => { d += (d ? ' L' : 'M') + f.x((i + 0.5) * w).toFixed(1) + ' ' + f.y(rate(b)).toFixed(1); });
    f.svg.append(svgEl('path', { d, fill: 'none' }, dir === 0 ? 'tput c' : 'tput s'));
  }
}

function showLadder(r) {
  drawGraphs(r[0]);
  const l = document.getElementById('ladder'), steps = D.ladders[r[0]];
  document.getElementById('ladder-title').textContent = 'Connection ' + r[0] + ': client ' + r[1] + ', server ' + r[2] +
    (steps ? '' : ' (no ladder: the page keeps those of the first 2,000 connections and of those in findings)');
  l.textContent = '';
  if (!steps) return;
  const t = el('table', undefined, 'ladder');
  const head = el('tr'); head.append(el('th', 'packet'), el('th', 'time'), el('th', 'client'), el('th', ''), el('th', 'server'), el('th', 'event')); t.append(head);
  for (const [packet, ts, side, from, to, event] of steps) {
    const tr = el('tr');
    const change = from + ' → ' + to;
    tr.append(el('td', packet === null ? 'timer' : packet), el('td', ts), el('td', side === 0 ? change : '', 'c'),
      el('td', side === 0 ? '◀' : '▶', 'arrow'), el('td', side === 1 ? change : ''), el('td', event));
    t.append(tr);
  }
  l.append(t);
}
`;
