import { Why } from '../tcp/state.js';
export { addrToString, endpointToString, ipv4ToString, ipv6ToString, portOut } from '../decode/address.js';
import { endpointToString } from '../decode/address.js';
import type { Precision } from '../capture/index.js';
import { precisionDigits } from '../capture/index.js';
import { type ConnectionRecord, type ConnectionTiming, type EndpointRecord, STATE_NAMES } from '../tcp/index.js';
import type { InputReport, LimitsSummary, Report } from './model.js';
import { retransmissionShare, type ServerRow } from '../detect/index.js';
import { plural } from './sentences.js';

/** `EN10MB`, or `IEEE802 (not decoded)`: a capture's link types as the report's first line names them. */
export function linkTypesText(i: InputReport): string {
  return i.linkTypes.map((t) => (i.linkTypesNotDecoded.includes(t) ? `${t} (not decoded)` : t)).join(', ') || '-';
}

/** Why a capture with packets gave no TCP segment at all, in one sentence; null when it gave some, or had none. */
export function noTcpSentence(report: Report): string | null {
  const s = report.summary;
  if (s.tcpPackets > 0 || s.packets === 0) return null;
  const of = (n: number) => (n === s.packets ? (n === 1 ? 'the only packet' : `all ${n} packets`) : `${n} of the ${s.packets} packets`);
  const links = report.inputs.flatMap((i) => i.linkTypesNotDecoded.map((t) => [t, s.notDecoded[`linktype-${t}`] ?? 0] as const));
  if (links.length > 0) {
    const names = [...new Set(links.map(([t]) => t))];
    const n = links.reduce((a, [, k]) => a + k, 0);
    return `tcpstate does not decode link type${names.length === 1 ? '' : 's'} ${names.join(', ')} (${of(n)}).`;
  }
  const top = Object.entries(s.notDecoded).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 3);
  return `Nothing in the capture is TCP that tcpstate can read: ${top.map(([k, n]) => `${k} (${of(n)})`).join(', ')}${Object.keys(s.notDecoded).length > 3 ? ', and more' : ''}.`;
}

/** Milliseconds either side of 1970 that a JavaScript Date can hold. */
const DATE_LIMIT_MS = 8.64e15;

/**
 * `YYYY-MM-DDTHH:MM:SS` in UTC for whole seconds since 1970. A damaged or crafted capture can carry
 * timestamps far outside what Date holds; those get the proleptic Gregorian date computed here,
 * with the year in ISO 8601's expanded form (+275760, -000001) where four digits do not suffice.
 */
export function utcDateTime(sec: number): string {
  if (Math.abs(sec * 1000) < DATE_LIMIT_MS) return new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  return civilDateTime(sec);
}

/** utcDateTime's own computation, for any whole number of seconds (exported for its test). */
export function civilDateTime(sec: number): string {
  const days = Math.floor(sec / 86400);
  const rest = sec - days * 86400;
  // Days to civil date (H. Hinnant's algorithm), in exact integer arithmetic for |days| < 2^53.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const year = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : `${y < 0 ? '-' : '+'}${String(Math.abs(y)).padStart(6, '0')}`;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${year}-${two(m)}-${two(d)}T${two(Math.floor(rest / 3600))}:${two(Math.floor(rest / 60) % 60)}:${two(Math.floor(rest % 60))}`;
}

const ZEROS = '000000000';
const SCALES = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
let memoSec = NaN;
let memoBase = '';

/** ISO 8601 UTC with the capture's precision: 2026-11-21T10:00:00.123456Z. */
export function isoTimestamp(sec: number, nsec: number, precision: Precision): string {
  // Reports print runs of timestamps within the same second: format the date part once.
  if (sec !== memoSec) {
    memoSec = sec;
    memoBase = utcDateTime(sec);
  }
  const base = memoBase;
  const digits = precisionDigits(precision);
  if (digits === 0) return `${base}Z`;
  return `${base}.${fraction(nsec, digits)}Z`;
}

/** The first `digits` (1 to 9) of nanoseconds `nsec`, zero-padded: the digits after a timestamp's point. */
function fraction(nsec: number, digits: number): string {
  const f = String(digits === 9 ? nsec : Math.floor(nsec / SCALES[9 - digits]!));
  return f.length === digits ? f : ZEROS.slice(0, digits - f.length) + f;
}

/** A time for a person to read: 40.8 ms, 0.021 ms, 1.98 s. */
export function shortSeconds(v: number): string {
  if (v < 0.001) return `${(v * 1e3).toFixed(3)} ms`;
  if (v < 1) return `${(v * 1e3).toFixed(1)} ms`;
  return `${v.toFixed(2)} s`;
}

/** Stalls this long or longer are named in a connection's notes. */
const STALL_NOTED = 1;

/** A connection's timing as short notes (text, Markdown and HTML tables): round trip, first byte, timeouts, long stalls. */
export function timingNotes(t: ConnectionTiming): string[] {
  const out: string[] = [];
  if (t.rtt) out.push(`rtt ${shortSeconds(t.rtt.p50)}`);
  if (t.firstByte !== null) out.push(`first byte ${shortSeconds(t.firstByte)}`);
  for (const [side, r] of [['client', t.rto[0]], ['server', t.rto[1]]] as const) {
    if (r.count) out.push(`${side} ${r.count} ${r.count === 1 ? 'RTO' : 'RTOs'}${r.backoff > 1 ? ` (${r.backoff} in a row)` : ''}`);
  }
  const st = t.stalled;
  for (const [cause, v] of [['zero window', st.zeroWindow], ['window full', st.windowFull], ['application', st.application]] as const) {
    if (v >= STALL_NOTED) out.push(`stalled ${shortSeconds(v)} (${cause})`);
  }
  return out;
}


/**
 * `v` seconds (not negative) with `digits` (at most 9) after the point, rounded: what toFixed
 * prints, at a fraction of its cost (this runs some ten times per connection in JSON). Both parts
 * are made small integers first: their digits are then V8's fast path. The strings of the smallest
 * values (round trips and gaps, most of what is printed) are made once and kept, per number of digits.
 */
export function fixedSeconds(v: number, digits: number): string {
  const scale = SCALES[digits]!;
  const n = Math.round(v * scale);
  if (n >= 0 && n < KEPT_SECONDS) {
    const kept = (SECONDS_KEPT[digits] ??= new Array<string | undefined>(KEPT_SECONDS));
    return (kept[n] ??= fixedOf(n, scale, digits));
  }
  return fixedOf(n, scale, digits);
}

/** How many of the smallest values fixedSeconds keeps the strings of, per number of digits. */
const KEPT_SECONDS = 1 << 17;
const SECONDS_KEPT: (string | undefined)[][] = [];

function fixedOf(n: number, scale: number, digits: number): string {
  const whole = Math.floor(n / scale);
  const frac = String((n - whole * scale) | 0);
  return `${whole < 0x7fffffff ? whole | 0 : whole}.${ZEROS.slice(0, digits - frac.length)}${frac}`;
}

/** A server endpoint's row as table cells (text and Markdown): the same columns, the same words. */
export const SERVER_COLUMNS = ['SERVER', 'CONNS', 'HANDSHAKES', 'RESETS C/S', 'HANDSHAKE RTT p50/p99', 'FIRST BYTE p50/p99', 'RETX', 'END STATES'];

export function serverCells(r: ServerRow): string[] {
  const pair = (x: { p50: number | null; p99: number | null }) => (x.p50 === null ? '-' : `${shortSeconds(x.p50)} / ${shortSeconds(x.p99!)}`);
  const hs = r.handshakes;
  const share = retransmissionShare(r);
  const states = r.endStates.slice(0, 2).map((e) => `${STATE_NAMES[e.client]}/${STATE_NAMES[e.server]} ${e.count}`);
  if (r.endStates.length > 2) states.push(`+${r.endStates.length - 2} more`);
  return [
    endpointToString(r.family, r), String(r.connections),
    hs.attempted ? `${hs.completed}/${hs.attempted} (${Math.floor((100 * hs.completed) / hs.attempted)}%)` : '-',
    `${r.resets.client}/${r.resets.server}`, pair(r.handshakeRtt), pair(r.firstByte),
    `${share === 0 ? '0' : share < 0.001 ? '<0.1' : (100 * share).toFixed(1)}%`, states.join(', '),
  ];
}

/** Digits after the point of the seconds a connection's timing is printed in: microseconds at least (a round trip of seconds is rare). */
export function timingDigits(precision: Precision): number {
  return Math.max(6, precisionDigits(precision));
}

/** Seconds between two timestamps, printed with the capture's precision. */
export function duration(startSec: number, startNsec: number, endSec: number, endNsec: number, precision: Precision): string {
  // Timestamps can run backwards in a capture; the duration is then negative.
  if (endSec < startSec || (endSec === startSec && endNsec < startNsec)) {
    return `-${duration(endSec, endNsec, startSec, startNsec, precision)}`;
  }
  let sec = endSec - startSec;
  let nsec = endNsec - startNsec;
  if (nsec < 0) {
    sec -= 1;
    nsec += 1e9;
  }
  const digits = precisionDigits(precision);
  if (digits === 0) return String(sec);
  return `${sec}.${fraction(nsec, digits)}`;
}

export function durationSeconds(startSec: number, startNsec: number, endSec: number, endNsec: number): number {
  return endSec - startSec + (endNsec - startNsec) * 1e-9;
}

/** The client states (rows) and server states (columns) that the end-state matrix uses. */
export function usedStates(matrix: number[][]): { rows: number[]; cols: number[] } {
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < matrix.length; i++) {
    let r = 0;
    let c = 0;
    for (let j = 0; j < matrix.length; j++) {
      r += matrix[i]![j]!;
      c += matrix[j]![i]!;
    }
    if (r > 0) rows.push(i);
    if (c > 0) cols.push(i);
  }
  return { rows, cols };
}

/** For each connection id a finding lists, the kinds of the findings it is in. */
export function findingKindsById(findings: readonly { kind: string; connections: number[] }[]): Map<number, string[]> {
  const kinds = new Map<number, string[]>();
  for (const f of findings) {
    for (const id of f.connections) {
      const k = kinds.get(id);
      if (k === undefined) kinds.set(id, [f.kind]);
      else if (!k.includes(f.kind)) k.push(f.kind);
    }
  }
  return kinds;
}

/**
 * What the connection table's bounds did, in one sentence, or null when they did nothing: connections
 * evicted while still open, and connections past the first --max-connections without a row of their own.
 */
export function limitsNote(l: LimitsSummary): string | null {
  const parts: string[] = [];
  const evicted = l.evictedFull + l.evictedIdle;
  if (evicted > 0) {
    const full = `the least recently active when the table was full (--max-connections ${l.maxConnections})`;
    const idle = `after ${l.idleTimeout} s without a packet (--idle-timeout)`;
    const why = l.evictedIdle === 0 ? `, ${full}` : l.evictedFull === 0 ? ` ${idle}` : `: ${l.evictedFull} ${full}, ${l.evictedIdle} ${idle}`;
    parts.push(`${plural(evicted, 'connection')} evicted while still open${why}; their last states count as their end states`);
  }
  if (l.summarised > 0) {
    parts.push(`${plural(l.summarised, 'connection')} after the first ${l.maxRows} summarised (--max-rows): counted in every total, end state and finding, without a row of their own`);
  }
  return parts.length ? `${parts.join('; ')}.` : null;
}

/** The note for a connection that left the table early, or null. */
export function evictionNote(evicted: number): string | null {
  return evicted === 1 ? 'evicted idle' : evicted === 2 ? 'evicted (table full)' : null;
}

/**
 * Text safe to print on a terminal: control characters (C0 but tab and newline, DEL, C1) shown as
 * \xNN, so that a file name cannot clear the screen, retitle the window or fake a line of the report.
 */
export function printable(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A side's end state as a table shows it: with a `?` when the capture cannot tell it from others. */
export function stateCell(e: EndpointRecord): string {
  return `${STATE_NAMES[e.state]}${e.possibleStates.length ? '?' : ''}`;
}

/** The states a side may be in, the reported one first (for JSON's possibleStates). */
export function possibleStateNames(e: EndpointRecord): string[] {
  return [e.state, ...e.possibleStates].map((s) => STATE_NAMES[s]!);
}

/** Why the capture cannot tell a side's state: one sentence. */
export function whySentence(e: EndpointRecord, side: 'client' | 'server'): string {
  const other = e.possibleStates.map((s) => STATE_NAMES[s]).join(' or ');
  const state = STATE_NAMES[e.state];
  switch (e.why as Why) {
    case Why.Unconfirmed:
      return `The last segment that would change the ${side}'s state was captured, but nothing after it shows whether it arrived: ${state} if it did, ${other} if it was lost after the capture point.`;
    case Why.UnconfirmedAfterLoss:
      return `Copies of a segment to the ${side} were lost after the capture point; nothing shows whether the last one arrived: ${state} if it did not, ${other} if it did.`;
    case Why.ZeroWindow:
      return `The ${side} was held by its peer's zero window until the end: it may have closed its socket with its FIN queued behind the data (${other}), which nothing on the wire would show.`;
    case Why.PeerSilent:
      return `The ${side} went silent while its peer retransmitted or probed until the end: it may have lost the connection (${other}).`;
    default:
      return '';
  }
}

/** The sentences for every uncertain state of these rows, once each, in order. */
export function uncertainNotes(rows: Iterable<ConnectionRecord>, limit = 20): string[] {
  const out: string[] = [];
  for (const c of rows) {
    for (const side of ['client', 'server'] as const) {
      const e = c[side];
      if (e.possibleStates.length === 0) continue;
      if (out.length >= limit) return out;
      out.push(`${c.id} ${side}: ${whySentence(e, side)}`);
    }
  }
  return out;
}

/**
 * Where the capture was taken, for the report header: `near the server (12 of 15 handshakes say so; 3 tell nothing)`.
 * Handshakes say it by their two round trips at the capture point and the TTLs (tcp/vantage.ts).
 */
export function capturePointText(report: Report): string {
  const p = report.capturePoint;
  const known = p.nearClient + p.nearServer + p.between;
  if (p.estimate === null) {
    return `unknown: no handshake tells (both round trips under 0.2 ms and the same hop count, or no handshake captured)`;
  }
  const place = p.estimate === 'client' ? 'near the client' : p.estimate === 'server' ? 'near the server' : 'in between';
  const said = p.estimate === 'client' ? p.nearClient : p.estimate === 'server' ? p.nearServer : p.between;
  const others = [[p.nearClient, 'near the client'], [p.nearServer, 'near the server'], [p.between, 'in between']]
    .filter(([n, name]) => (n as number) > 0 && name !== place).map(([n, name]) => `${n} ${name}`);
  return `${place} (${said} of ${known} handshakes that tell${others.length ? `; ${others.join(', ')}` : ''}` +
    `${p.unknown ? `; ${plural(p.unknown, 'connection tells', 'connections tell')} nothing` : ''})`;
}
