import { TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/index.js';
import { STATE_NAMES, type TcpState } from '../tcp/index.js';
import { fixedSeconds, isoTimestamp, shortSeconds, timingDigits } from '../report/format.js';
import { flagString } from '../report/tcpdump.js';
import { escapeHtml } from '../report/html.js';
import { code, fence, text } from '../report/markdown.js';
import {
  CORRELATE_SCHEMA, type CorrelateReport, type CorrelatedConnection, type CorrelatedEndpoint, type DelayStats, type PathLossFinding,
  type PathSegment, type Point,
} from './model.js';
import { shareOf } from './path-loss.js';

/** The kinds of segment seen at one point only, as the reports name them. */
const UNMATCHED = [
  ['lost', 'Lost between the capture points', 'seen near its sender, not near its receiver, while both captures ran'],
  ['notArrived', 'Not arrived when the other capture stopped', 'seen near its sender too late to reach the other point before it stopped'],
  ['onlyNearReceiver', 'Seen only near the receiver', 'not seen near its sender: missed by that capture, or made between the points (an injected segment)'],
  ['outsideOther', 'Outside the other capture', 'passed one point while the other capture was not running'],
] as const;

const other = (p: Point): Point => (p === 'A' ? 'B' : 'A');

function endpointText(family: 4 | 6, e: { addr: string; port: number }): string {
  return family === 6 ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}

function statesText(e: CorrelatedEndpoint): string {
  return e.possibleStates.length ? `${e.possibleStates.map((s) => STATE_NAMES[s]).join(' or ')}?` : STATE_NAMES[e.state]!;
}

function ms(v: number): string {
  return `${(v * 1e3).toFixed(3)} ms`;
}

function delayText(d: DelayStats | null): string {
  return d === null ? 'none matched' : `min ${ms(d.min)}, p50 ${ms(d.p50)}, max ${ms(d.max)} (${d.samples} segments)`;
}

/** Where a connection's endpoint is, as the capture `at` saw it (through the NAT, if any). */
function seenIn(e: CorrelatedEndpoint, at: Point): { addr: string; port: number } {
  return e.capture === at || e.translated === null ? e : e.translated;
}

/** One segment as tcpdump -nn -S prints it, in the capture that saw it. */
export function segmentLine(c: CorrelatedConnection, s: PathSegment, report: CorrelateReport): string {
  const time = isoTimestamp(s.sec, s.nsec, report.inputs[s.capture === 'A' ? 0 : 1].precision).slice(11, -1);
  const [src, dst] = s.from === 'client' ? [c.client, c.server] : [c.server, c.client];
  const a = seenIn(src, s.capture);
  const b = seenIn(dst, s.capture);
  const ip = c.family === 6 ? 'IP6' : 'IP';
  // As tcpdump: no sequence number on a bare ACK.
  const seq = s.len > 0 ? `, seq ${s.seq}:${(s.seq + s.len) >>> 0}` : (s.flags & (TH_SYN | TH_FIN | TH_RST)) !== 0 ? `, seq ${s.seq}` : '';
  const ack = s.flags & TH_ACK ? `, ack ${s.ack}` : '';
  return `${s.capture} #${s.packet} ${time} ${ip} ${a.addr}.${a.port} > ${b.addr}.${b.port}: Flags [${flagString(s.flags & 0xff)}]${seq}${ack}, length ${s.len}`;
}

function matchedText(r: CorrelateReport): string {
  const m = r.matched;
  return `${m.segments} segment${m.segments === 1 ? '' : 's'}; ${m.connections} connection${m.connections === 1 ? '' : 's'} in both, ${m.onlyA} only in A, ${m.onlyB} only in B`;
}

function clockText(r: CorrelateReport): string {
  const c = r.clock;
  const b = c.bounds ? ` (the segments allow B − A from ${ms(c.bounds.min)} to ${ms(c.bounds.max)})` : '';
  const drift = c.drift === null ? '' : `; drift ${(c.drift * 1e6).toFixed(1)} ppm${c.synchronized ? ', not applied' : ', applied'}`;
  if (c.samples === 0) return 'no segment seen at both points: delays unknown';
  if (c.synchronized) return `consistent with synchronized clocks, no offset applied${b}${drift}`;
  return `B − A = ${ms(c.offset)} at A's first segment, the middle of what the segments allow, which assumes the same delay each way${b}${drift}`;
}

function nearText(r: CorrelateReport): string {
  const told = r.connections.filter((c) => c.nearClient !== null).length;
  if (r.nearClient === null) return told ? 'the connections disagree: see each one' : 'not told by any connection';
  const [c, s] = r.nearClient === 'A' ? ['A', 'B'] : ['B', 'A'];
  return `${c} is nearer the clients and ${s} nearer the servers (${told} of ${r.connections.length} connections tell)`;
}

function findingLine(f: PathLossFinding, r: CorrelateReport): string {
  const p = r.precision;
  const way = (lost: number, sent: number, name: string) => `${lost} of ${sent} ${name} (${(100 * shareOf(lost, sent)).toFixed(1)}%)`;
  return `${f.severity.toUpperCase()} path_loss ${f.client} <-> ${f.server}: ${f.lost.clientToServer + f.lost.serverToClient} segments lost between the ` +
    `capture points in ${f.connections} connection${f.connections === 1 ? '' : 's'}: ${way(f.lost.clientToServer, f.sent.clientToServer, 'client->server')}, ` +
    `${way(f.lost.serverToClient, f.sent.serverToClient, 'server->client')}; from ${isoTimestamp(f.first.sec, f.first.nsec, p)} to ${isoTimestamp(f.last.sec, f.last.nsec, p)}`;
}

function idsText(c: CorrelatedConnection): string {
  return `${c.ids.A ?? '-'}/${c.ids.B ?? '-'}`;
}

/** The report for a terminal or a ticket: the captures, their clocks, the findings, each connection, and every segment seen at one point only. */
export function* renderCorrelateText(r: CorrelateReport): Generator<string> {
  const [a, b] = r.inputs;
  yield `A               ${a.file}: ${a.packets} packets, ${a.segments} TCP segments\n`;
  yield `B               ${b.file}: ${b.packets} packets, ${b.segments} TCP segments\n`;
  yield `Matched         ${matchedText(r)}\n`;
  yield `Capture points  ${nearText(r)}\n`;
  yield `Clocks          ${clockText(r)}\n`;
  yield `Delay c->s      ${delayText(r.oneWayDelay.clientToServer)}\n`;
  yield `Delay s->c      ${delayText(r.oneWayDelay.serverToClient)}\n`;
  yield '\nFindings\n';
  if (r.findings.length === 0) yield '  none\n';
  for (const f of r.findings) {
    yield `  ${findingLine(f, r)}\n`;
    for (const e of f.evidence) yield `      ${segmentLine(r.connections.find((c) => c.ids === e.ids)!, e.segment, r)}\n`;
  }
  yield '\nConnections (each endpoint as the capture nearer it saw it, in brackets)\n';
  const head = ['A/B', 'CLIENT', 'SERVER', 'CLIENT STATE', 'SERVER STATE', 'SEGMENTS A/B/BOTH', 'LOST C>S/S>C', 'DELAY C>S p50', 'DELAY S>C p50'];
  const rows = r.connections.map((c) => [
    idsText(c), `${endpointText(c.family, c.client)} [${c.client.capture}]`, `${endpointText(c.family, c.server)} [${c.server.capture}]`,
    statesText(c.client), statesText(c.server), `${c.segments.A}/${c.segments.B}/${c.segments.matched}`,
    `${c.lost.filter((l) => l.from === 'client').length}/${c.lost.filter((l) => l.from === 'server').length}`,
    c.oneWayDelay.clientToServer ? shortSeconds(c.oneWayDelay.clientToServer.p50) : '-', c.oneWayDelay.serverToClient ? shortSeconds(c.oneWayDelay.serverToClient.p50) : '-',
  ]);
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k]!.length)));
  const line = (cells: string[]) => `  ${cells.map((x, k) => x.padEnd(widths[k]!)).join('  ').trimEnd()}\n`;
  yield line(head);
  for (const row of rows) yield line(row);
  for (const c of r.connections) {
    for (const e of [c.client, c.server]) {
      if (e.translated) yield `  NAT ${idsText(c)}: ${endpointText(c.family, e)} in ${e.capture} is ${endpointText(c.family, e.translated)} in ${other(e.capture)}\n`;
    }
  }
  for (const [key, title, meaning] of UNMATCHED) {
    const list = r.connections.flatMap((c) => c[key].map((s) => [c, s] as const));
    if (list.length === 0) continue;
    yield `\n${title} (${meaning}): ${list.length}\n`;
    for (const [c, s] of list) yield `  ${idsText(c)} ${segmentLine(c, s, r)}\n`;
  }
  if (r.damage) yield `\nDamage          ${r.damage.message}\n`;
}

/** The same report as Markdown, for an incident ticket. */
export function* renderCorrelateMarkdown(r: CorrelateReport): Generator<string> {
  const [a, b] = r.inputs;
  yield '# tcpstate correlate\n\n';
  yield `| | |\n|---|---|\n| A | ${code(a.file)}: ${a.packets} packets, ${a.segments} TCP segments |\n| B | ${code(b.file)}: ${b.packets} packets, ${b.segments} TCP segments |\n`;
  yield `| Matched | ${matchedText(r)} |\n`;
  yield `| Capture points | ${text(nearText(r))} |\n| Clocks | ${text(clockText(r))} |\n`;
  yield `| Delay client→server | ${delayText(r.oneWayDelay.clientToServer)} |\n| Delay server→client | ${delayText(r.oneWayDelay.serverToClient)} |\n\n`;
  yield '## Findings\n\n';
  if (r.findings.length === 0) yield 'None.\n';
  for (const f of r.findings) {
    yield `- **${f.severity}** ${text(findingLine(f, r).replace(/^\S+ /, ''))}\n`;
    if (f.evidence.length) yield `\n${fence(f.evidence.map((e) => segmentLine(r.connections.find((c) => c.ids === e.ids)!, e.segment, r)))}\n`;
  }
  yield '\n## Connections\n\nEach endpoint as the capture nearer it saw it (in brackets).\n\n';
  yield '| A/B | client | server | client state | server state | segments A/B/both | lost c→s/s→c | delay c→s p50 | delay s→c p50 |\n|---|---|---|---|---|---|---|---|---|\n';
  for (const c of r.connections) {
    const nat = [c.client, c.server].filter((e) => e.translated).map((e) => ` (${e.translated!.addr}:${e.translated!.port} in ${other(e.capture)})`);
    yield `| ${idsText(c)} | ${text(endpointText(c.family, c.client))} [${c.client.capture}]${nat[0] && c.client.translated ? text(nat[0]) : ''} | ` +
      `${text(endpointText(c.family, c.server))} [${c.server.capture}] | ${statesText(c.client)} | ${statesText(c.server)} | ` +
      `${c.segments.A}/${c.segments.B}/${c.segments.matched} | ${c.lost.filter((l) => l.from === 'client').length}/${c.lost.filter((l) => l.from === 'server').length} | ` +
      `${c.oneWayDelay.clientToServer ? shortSeconds(c.oneWayDelay.clientToServer.p50) : '-'} | ${c.oneWayDelay.serverToClient ? shortSeconds(c.oneWayDelay.serverToClient.p50) : '-'} |\n`;
  }
  for (const [key, title, meaning] of UNMATCHED) {
    const list = r.connections.flatMap((c) => c[key].map((s) => [c, s] as const));
    if (list.length === 0) continue;
    yield `\n## ${title}\n\n${meaning[0]!.toUpperCase()}${meaning.slice(1)}.\n\n${fence(list.map(([c, s]) => `${idsText(c)} ${segmentLine(c, s, r)}`))}\n`;
  }
  if (r.damage) yield `\n**Damage:** ${text(r.damage.message)}\n`;
}

/**
 * `tcpstate.correlate/1`: one connection per line. Seconds are printed with the captures'
 * precision (microseconds at least); sequence numbers are absolute.
 */
export function* renderCorrelateJson(r: CorrelateReport): Generator<string> {
  const d = timingDigits(r.precision);
  const sec = (v: number) => (v < 0 ? '-' : '') + fixedSeconds(Math.abs(v), d);
  const delay = (x: DelayStats | null) => (x === null ? 'null' : `{"min":${sec(x.min)},"p50":${sec(x.p50)},"max":${sec(x.max)},"samples":${x.samples}}`);
  const ts = (s: number, n: number) => JSON.stringify(isoTimestamp(s, n, r.precision));
  const head = {
    schema: CORRELATE_SCHEMA, tool: r.tool,
    inputs: r.inputs.map((i, k) => ({
      capture: k === 0 ? 'A' : 'B', file: i.file, packets: i.packets, segments: i.segments, precision: i.precision,
      first: i.first ? isoTimestamp(i.first.sec, i.first.nsec, r.precision) : null, last: i.last ? isoTimestamp(i.last.sec, i.last.nsec, r.precision) : null,
    })),
    nearClient: r.nearClient, matched: r.matched,
  };
  const c = r.clock;
  yield `${JSON.stringify(head, null, 2).slice(0, -2)},\n`;
  yield `  "clock": {"synchronized":${c.synchronized},"offset":${sec(c.offset)},"drift":${c.drift === null ? 'null' : (c.drift * 1e6).toFixed(3)},` +
    `"driftUnit":"ppm","bounds":${c.bounds ? `{"min":${sec(c.bounds.min)},"max":${sec(c.bounds.max)}}` : 'null'},"samples":${c.samples}},\n`;
  yield `  "oneWayDelay": {"clientToServer":${delay(r.oneWayDelay.clientToServer)},"serverToClient":${delay(r.oneWayDelay.serverToClient)}},\n`;
  const seg = (s: PathSegment) => `{"from":"${s.from}","seq":${s.seq},"len":${s.len},"flags":"${flagString(s.flags & 0xff)}","ack":${s.ack},` +
    `"capture":"${s.capture}","packet":${s.packet},"ts":${ts(s.sec, s.nsec)}}`;
  yield '  "findings": [';
  yield r.findings.map((f) => `\n    {"kind":"${f.kind}","severity":"${f.severity}","client":${JSON.stringify(f.client)},"server":${JSON.stringify(f.server)},` +
    `"connections":${f.connections},"lost":${JSON.stringify(f.lost)},"sent":${JSON.stringify(f.sent)},"first":${ts(f.first.sec, f.first.nsec)},` +
    `"last":${ts(f.last.sec, f.last.nsec)},"evidence":[${f.evidence.map((e) => `{"ids":${JSON.stringify(e.ids)},"segment":${seg(e.segment)}}`).join(',')}]}`).join(',');
  yield `${r.findings.length ? '\n  ' : ''}],\n`;
  yield `  "thresholds": {"pathLoss":${JSON.stringify(r.thresholds)}},\n`;
  yield '  "connections": [';
  let first = true;
  const endpoint = (e: CorrelatedEndpoint) => {
    const states = (list: TcpState[]) => JSON.stringify(list.map((s) => STATE_NAMES[s]));
    return `{"addr":${JSON.stringify(e.addr)},"port":${e.port},"state":"${STATE_NAMES[e.state]}"${e.possibleStates.length ? `,"possibleStates":${states(e.possibleStates)}` : ''},` +
      `"capture":"${e.capture}"${e.translated ? `,"translated":{"addr":${JSON.stringify(e.translated.addr)},"port":${e.translated.port}}` : ''}` +
      `${e.otherView ? `,"otherView":{"state":"${STATE_NAMES[e.otherView.state]}"${e.otherView.possibleStates.length ? `,"possibleStates":${states(e.otherView.possibleStates)}` : ''}}` : ''}}`;
  };
  for (const x of r.connections) {
    yield `${first ? '' : ','}\n    {"ids":${JSON.stringify(x.ids)},"ipVersion":${x.family},"client":${endpoint(x.client)},"server":${endpoint(x.server)},` +
      `"nearClient":${x.nearClient === null ? 'null' : `"${x.nearClient}"`},"start":${ts(x.startSec, x.startNsec)},"segments":${JSON.stringify(x.segments)},` +
      `"lost":[${x.lost.map(seg).join(',')}],"notArrived":[${x.notArrived.map(seg).join(',')}],"onlyNearReceiver":[${x.onlyNearReceiver.map(seg).join(',')}],` +
      `"outsideOther":[${x.outsideOther.map(seg).join(',')}],` +
      `"oneWayDelay":{"clientToServer":${delay(x.oneWayDelay.clientToServer)},"serverToClient":${delay(x.oneWayDelay.serverToClient)}}}`;
    first = false;
  }
  yield `${r.connections.length ? '\n  ' : ''}]${r.damage ? `,\n  "damage": ${JSON.stringify(r.damage.message)}` : ''}\n}\n`;
}

/** Ladders drawn on the page: those of connections with a segment seen at one point only first, then the others, up to this many. */
const MAX_LADDERS = 50;
const FATE_COLOURS = { both: '#444', lost: '#c62828', notArrived: '#ef6c00', onlyNearReceiver: '#6a1b9a', outsideOther: '#9e9e9e' } as const;

/**
 * A self-contained page: the summary and findings, the connections table, and a ladder per
 * connection with the two capture points as vertical lines between client and server, each segment
 * drawn from its sender towards its receiver and, when lost between the points, ending between them.
 */
export function* renderCorrelateHtml(r: CorrelateReport): Generator<string> {
  yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>tcpstate correlate</title>\n';
  yield `<style>${STYLE}</style>\n</head>\n<body>\n<h1>tcpstate correlate</h1>\n`;
  const [a, b] = r.inputs;
  const rows: [string, string][] = [
    ['A', `${a.file}: ${a.packets} packets, ${a.segments} TCP segments`], ['B', `${b.file}: ${b.packets} packets, ${b.segments} TCP segments`],
    ['Matched', matchedText(r)],
    ['Capture points', nearText(r)], ['Clocks', clockText(r)],
    ['Delay client→server', delayText(r.oneWayDelay.clientToServer)], ['Delay server→client', delayText(r.oneWayDelay.serverToClient)],
  ];
  if (r.damage) rows.push(['Damage', r.damage.message]);
  yield `<table class="facts">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>\n`;
  yield '<h2>Findings</h2>\n';
  yield r.findings.length === 0 ? '<p>None.</p>\n' : `<ul id="findings">${r.findings.map((f) => `<li class="${f.severity}">${escapeHtml(findingLine(f, r))}<pre>${
    f.evidence.map((e) => escapeHtml(segmentLine(r.connections.find((c) => c.ids === e.ids)!, e.segment, r))).join('\n')}</pre></li>`).join('')}</ul>\n`;
  yield '<h2>Connections</h2>\n<table class="list"><thead><tr><th>A/B</th><th>client</th><th>server</th><th>client state</th><th>server state</th>' +
    '<th>segments A/B/both</th><th>lost c→s/s→c</th><th>delay c→s p50</th><th>delay s→c p50</th></tr></thead><tbody>\n';
  for (const c of r.connections) {
    const nat = (e: CorrelatedEndpoint) => (e.translated ? ` (${endpointText(c.family, e.translated)} in ${other(e.capture)})` : '');
    yield `<tr><td><a href="#c-${idsText(c).replace('/', '-')}">${idsText(c)}</a></td><td>${escapeHtml(`${endpointText(c.family, c.client)} [${c.client.capture}]${nat(c.client)}`)}</td>` +
      `<td>${escapeHtml(`${endpointText(c.family, c.server)} [${c.server.capture}]${nat(c.server)}`)}</td><td>${statesText(c.client)}</td><td>${statesText(c.server)}</td>` +
      `<td>${c.segments.A}/${c.segments.B}/${c.segments.matched}</td><td>${c.lost.filter((l) => l.from === 'client').length}/${c.lost.filter((l) => l.from === 'server').length}</td>` +
      `<td>${c.oneWayDelay.clientToServer ? shortSeconds(c.oneWayDelay.clientToServer.p50) : '-'}</td><td>${c.oneWayDelay.serverToClient ? shortSeconds(c.oneWayDelay.serverToClient.p50) : '-'}</td></tr>\n`;
  }
  yield '</tbody></table>\n<h2>Ladders</h2>\n<p class="legend">Time runs down. The two middle lines are the capture points. ' +
    Object.entries(FATE_COLOURS).map(([k, v]) => `<span style="color:${v}">■</span> ${escapeHtml(fateName(k))}`).join(' · ') + '</p>\n';
  const odd = (c: CorrelatedConnection) => c.lost.length + c.notArrived.length + c.onlyNearReceiver.length > 0;
  const drawn = [...r.connections.filter(odd), ...r.connections.filter((c) => !odd(c))].slice(0, MAX_LADDERS);
  for (const c of drawn) yield ladder(c);
  if (r.connections.length > drawn.length) yield `<p>${r.connections.length - drawn.length} more connections are in the JSON report.</p>\n`;
  yield '</body>\n</html>\n';
}

function fateName(fate: string): string {
  return { both: 'seen at both points', lost: 'lost between the points', notArrived: 'not arrived before the other capture stopped',
    onlyNearReceiver: 'seen only near the receiver', outsideOther: 'outside the other capture' }[fate] ?? fate;
}

/**
 * The SVG ladder of one connection: client, the capture nearer it, the other capture, server; one
 * row per segment, labelled to the right of the server's line so that no text crosses an arrow.
 */
function ladder(c: CorrelatedConnection): string {
  const rungs = c.rungs ?? [];
  const near = c.nearClient ?? 'A';
  const x = { client: 30, nearClient: 190, nearServer: 350, server: 510 };
  const between = (x.nearClient + x.nearServer) / 2;
  const top = 58;
  const row = 16;
  const height = top + rungs.length * row + 16;
  const label = (s: string, px: number, anchor = 'middle', y = 14) => `<text x="${px}" y="${y}" text-anchor="${anchor}">${escapeHtml(s)}</text>`;
  const start = rungs.length ? rungs[0]!.at : 0;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1040" height="${height}" viewBox="0 0 1040 ${height}" role="img">`;
  svg += label(`client ${endpointText(c.family, c.client)}`, x.client, 'start') + label(`capture ${near}`, x.nearClient, 'middle', 32) +
    label(`capture ${other(near)}`, x.nearServer, 'middle', 32) + label(`server ${endpointText(c.family, c.server)}`, x.server, 'end') +
    label('time (s)  segment  ·  transit between the points', x.server + 20, 'start', 32);
  for (const [k, v] of Object.entries(x)) svg += `<line x1="${v}" y1="38" x2="${v}" y2="${height - 6}" class="${k === 'client' || k === 'server' ? 'host' : 'point'}"/>`;
  rungs.forEach((g, k) => {
    const y = top + k * row;
    const right = g.from === 'client';
    const [x0, x1] = right ? [x.client, x.server] : [x.server, x.client];
    // Lost or not arrived: it passed the point nearer its sender and ends half way to the other. Seen
    // only near the receiver: it starts half way (where it was first seen is not known).
    const begin = g.fate === 'onlyNearReceiver' ? between : x0;
    const end = g.fate === 'lost' || g.fate === 'notArrived' ? between : x1;
    const colour = FATE_COLOURS[g.fate];
    svg += `<line x1="${begin}" y1="${y - 4}" x2="${end}" y2="${y + 4}" stroke="${colour}" stroke-width="${g.fate === 'both' ? 1 : 2}"/>`;
    if (g.fate === 'lost') svg += `<text x="${end}" y="${y + 8}" text-anchor="middle" fill="${colour}" class="cross">✕</text>`;
    const caption = `${fixedSeconds(Math.max(0, g.at - start), 6)} ${right ? '→' : '←'} [${flagString(g.flags & 0xff)}] seq ${g.seq}${g.len ? `:${(g.seq + g.len) >>> 0}` : ''} len ${g.len}` +
      (g.transit !== null ? ` · ${(g.transit * 1e3).toFixed(2)} ms` : ` · ${fateName(g.fate)}`);
    svg += `<text x="${x.server + 20}" y="${y + 4}" fill="${g.fate === 'both' ? '#333' : colour}">${escapeHtml(caption)}</text>`;
  });
  svg += '</svg>';
  const more = c.rungs && c.segments.A + c.segments.B - c.segments.matched > rungs.length ? `<p class="legend">The first ${rungs.length} segments.</p>` : '';
  return `<section class="ladder" id="c-${idsText(c).replace('/', '-')}"><h3>Connection ${idsText(c)}: ${escapeHtml(`${endpointText(c.family, c.client)} → ${endpointText(c.family, c.server)}`)}, ` +
    `client ${escapeHtml(statesText(c.client))} (from ${c.client.capture}), server ${escapeHtml(statesText(c.server))} (from ${c.server.capture})</h3>${more}${svg}</section>\n`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table.facts th { text-align: left; padding-right: 1em; vertical-align: top; }
table.list { border-collapse: collapse; }
table.list th, table.list td { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; white-space: nowrap; }
#findings li.critical { color: #b71c1c; } #findings li.warning { color: #e65100; }
pre { white-space: pre-wrap; word-break: break-all; color: #222; }
.legend { color: #555; }
svg { font: 11px ui-monospace, monospace; overflow: visible; }
svg line.host { stroke: #222; stroke-width: 2; } svg line.point { stroke: #1565c0; stroke-dasharray: 4 3; }
svg text.cross { font-size: 14px; font-weight: bold; }
section.ladder { margin: 1em 0 2em; overflow-x: auto; }
`;
