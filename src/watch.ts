import { CaptureError, type CaptureInput, CaptureSource, finerPrecision, type InputInfo, type Precision } from './capture/index.js';
import { endpointToString, TH_RST } from './decode/index.js';
import { type DetectConfig, endpointKey, type EvidenceStore, type Finding, SEVERITIES, type ServerTableReport, type Severity } from './detect/index.js';
import {
  Connection, CONN_INTS, type ConnectionSink, type Endpoint, endedNormally, isOver, STATE_COUNT, STATE_NAMES, TcpState, TRANSITION_FIELDS, transitionFrom, transitionSide, transitionTo,
} from './tcp/index.js';
import { CLIENT_STATE, SERVER_STATE } from './tcp/connection.js';
import { type ConnectionStage, PacketStage } from './pipeline/stages.js';
import { Reading, type Pass } from './pipeline/drive.js';
import { reportFindings } from './report/findings.js';
import { flagString } from './report/tcpdump.js';
import type { Report, ReportFinding } from './report/model.js';
import { assembleReport, type AnalyzeOptions, prepareAnalysis, stageTotals } from './analyze.js';

/**
 * `tcpstate watch`: analyze's engine (the same PacketStage and ConnectionStage, on one thread) run
 * over a capture as it arrives, with events tied to capture time so that the same bytes always
 * give the same events, and at the end the very report analyze makes of those bytes.
 */

export interface WatchOptions extends AnalyzeOptions {
  /** Seconds of capture time between snapshots (and between looks for live findings). Default 1. */
  interval?: number;
  /** Whether findings, state changes and snapshots are worked out at all (not for a report alone). Default true. */
  events?: boolean;
  /**
   * Stops reading once the records at hand are followed (Ctrl-C): the report is of those. The input
   * should end on it too (capture's followFile and untilAborted do), or the next read is waited for.
   */
  signal?: AbortSignal;
}

/** Where a watch sends its events, as they happen; `drain` is awaited between batches (standard output full). */
export interface WatchSink {
  event(e: WatchEvent): void;
  drain?(): Promise<void> | void;
  /** After each batch of records: for a view redrawn by wall-clock time. */
  progress?(w: WatchProgress): void;
}

/** What a view redrawn by the wall clock reads between events. */
export interface WatchProgress {
  packets: number;
  /** The last snapshot made, null before the first. */
  snapshot: SnapshotEvent | null;
  /** The findings seen so far, last severity of each, in the report's order. */
  findings: readonly FindingEvent[];
}

/** Wall-clock facts: the only fields that differ between two runs over the same bytes. */
export interface WallClock {
  /** Since the watch began, and packets over that time (on a live capture: the rate they arrive at). */
  seconds: number;
  packetsPerSecond: number;
  /** Packets over the time spent working on them, waits for input left out: how many a second it can take. */
  processedPerSecond: number;
}

export interface FindingEvent {
  type: 'finding';
  /** Capture time of the look that first found it (or found its new severity), ISO 8601 UTC. */
  ts: string;
  kind: string;
  severity: Severity;
  /** The previous severity when this is a change, else null. */
  was: Severity | null;
  endpoint: string | null;
  side: string | null;
  summary: string;
  connections: number;
  first: string | null;
  last: string | null;
  counts: ReportFinding['counts'];
}

/**
 * The state changes reported, of notable connections only (a healthy connection passes through
 * CLOSE_WAIT and FIN_WAIT_2 on every close): `reason` says which kind.
 * - `refused`: a RST answered a SYN (the side goes SYN_SENT or SYN_RCVD → CLOSED);
 * - `reset`: a RST aborted a synchronized connection (the side goes → CLOSED);
 * - `stuck`: a side has stayed in FIN_WAIT_1, FIN_WAIT_2, CLOSING, CLOSE_WAIT or LAST_ACK as long
 *   as that state's threshold (closeWait.seconds...): reported once, at the first look past it,
 *   with `since` the moment it entered the state and `seconds` how long it has held it;
 * - `then`: any later change of a connection reported `stuck` (the leak finally closing).
 * At most MAX_STATE_EVENTS a snapshot interval; the snapshot counts the ones left out.
 */
export interface StateEvent {
  type: 'state';
  /** Capture time of the packet that made the change, or of the look that found a side stuck: events come in `ts` order. */
  ts: string;
  reason: 'refused' | 'reset' | 'stuck' | 'then';
  conn: number;
  client: string;
  server: string;
  side: 'client' | 'server';
  from: string;
  to: string;
  /** For a change at a packet: its number (as print and show count them) and its flags in tcpdump's notation ("R.", "S"). */
  packet?: number;
  flags?: string;
  /** For `stuck`: when the side entered the state, and seconds in it so far. */
  since?: string;
  seconds?: number;
}

export interface SnapshotEvent {
  type: 'snapshot';
  ts: string;
  packets: number;
  tcpPackets: number;
  /** Connections that have left the table, and those followed now. */
  finished: number;
  live: number;
  /** Live connections by client and server state, "CLIENT/SERVER": count, most first. */
  states: Record<string, number>;
  findings: Record<Severity, number>;
  /** The server endpoints with the most live connections (top 5). */
  servers: { endpoint: string; live: number }[];
  /** State events left out in this interval (past MAX_STATE_EVENTS). */
  stateEventsOmitted: number;
  wall: WallClock;
}

export interface EndEvent {
  type: 'end';
  ts: string | null;
  packets: number;
  tcpPackets: number;
  connections: number;
  abnormal: number;
  findings: Record<Severity, number>;
  /** Why reading stopped: the end of the input, Ctrl-C, or damage (`damage` then says where). */
  stopped: 'end' | 'interrupted' | 'damage';
  damage: string | null;
  wall: WallClock;
}

export type WatchEvent = FindingEvent | StateEvent | SnapshotEvent | EndEvent;

/** State events at most per snapshot interval: a flood of refused SYNs would otherwise be a line per SYN. */
export const MAX_STATE_EVENTS = 1000;

/** The server endpoints a snapshot lists. */
const TOP_SERVERS = 5;

/** What watch() returns: analyze's report of the bytes read, and how fast they were read. */
export interface WatchResult {
  report: Report;
  interrupted: boolean;
  wall: WallClock;
}

/**
 * Follows one capture and tells `sink` what happens, by capture time. A path is read to its end,
 * as analyze reads it; a file still being written is handed in as a stream (capture's followFile),
 * as the CLI does.
 */
export async function watch(input: CaptureInput, sink: WatchSink, options: WatchOptions = {}): Promise<WatchResult> {
  const interval = options.interval ?? 1;
  if (!(interval > 0) || !Number.isFinite(interval)) throw new RangeError(`interval must be a positive number of seconds, not ${interval}`);
  const run = prepareAnalysis([input], { ...options, threads: 1 });
  const { opts, conns, evidence } = run;
  const stuck = new Map<number, number>();
  // The connection stage as analyze has it, told first that a connection reported stuck has gone.
  const handOn: ConnectionSink = {
    started: () => conns.started(),
    finished: (c, now) => {
      if (stuck.size > 0) stuck.delete(c.id);
      conns.finished(c, now);
    },
  };
  const stage = new PacketStage(run.packetOptions, handOn, evidence);
  const w = new Watcher(stage, conns, evidence, opts.detect, opts.msl, interval, sink, options.events ?? true, stuck);
  const source = new CaptureSource(input, opts.reader);
  const infos: InputInfo[] = [source.info];
  const reading = new Reading(opts.onProgress);
  const signal = options.signal;
  const started = performance.now();
  let busy = 0;
  let damage: CaptureError | null = null;
  try {
    while (await source.next()) {
      const t0 = performance.now();
      const b = source.batch;
      const n = b.length;
      const events = w.events;
      for (let i = 0; i < n; i++) {
        if (events) {
          const ts = b.sec[i]! + b.nsec[i]! * 1e-9;
          if (ts >= w.nextLook) w.look(ts, reading.packets, wallClock(reading.packets, performance.now() - started, busy + performance.now() - t0));
        }
        const k = reading.record(b, i, 0);
        if (stage.record(b, i, k, true) && events) w.segment();
      }
      busy += performance.now() - t0;
      sink.progress?.(w.progress(reading.packets));
      if (signal?.aborted) break;
      await sink.drain?.();
    }
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    // A record cut short by Ctrl-C is not damage: the report is of the records before it.
    if (!signal?.aborted) damage = e;
  } finally {
    source.close();
  }
  const interrupted = signal?.aborted === true;
  const t1 = performance.now();
  stage.table.flush(reading.endTime);
  const precision = infos.reduce<Precision>((p, i) => finerPrecision(p, i.precision), 's');
  const pass: Pass = { reading, infos, precision, damage };
  const report = await assembleReport(run, [input], pass, stageTotals(stage));
  const wall = wallClock(reading.packets, performance.now() - started, busy + performance.now() - t1);
  if (w.events) {
    w.final(report, reading);
    sink.event({
      type: 'end', ts: reading.packets ? isoTime(reading.endTime) : null, packets: reading.packets, tcpPackets: report.summary.tcpPackets,
      connections: report.summary.connections, abnormal: report.summary.abnormal, findings: bySeverity(report.findings),
      stopped: damage ? 'damage' : interrupted ? 'interrupted' : 'end', damage: damage ? damage.message : null, wall,
    });
  }
  return { report, interrupted, wall };
}

function wallClock(packets: number, ms: number, busyMs: number): WallClock {
  const rate = (t: number) => (t > 0 ? Math.round((packets * 1000) / t) : 0);
  return { seconds: Math.round(ms) / 1000, packetsPerSecond: rate(ms), processedPerSecond: rate(busyMs) };
}

/** Capture time as the events give it: ISO 8601 UTC to the microsecond (the events' own precision, whatever the file's). */
function isoTime(ts: number): string {
  const sec = Math.floor(ts);
  const us = Math.round((ts - sec) * 1e6);
  const whole = us === 1e6 ? sec + 1 : sec;
  return `${new Date(whole * 1000).toISOString().slice(0, 19)}.${String(us === 1e6 ? 0 : us).padStart(6, '0')}Z`;
}

/** The endpoint an endpointKey stands for, as the report writes it. */
function keyName(key: number | string): string {
  if (typeof key === 'number') return endpointToString(4, { a0: Math.floor(key / 65536) | 0, a1: 0, a2: 0, a3: 0, port: key % 65536 });
  const [a0, a1, a2, a3, port] = key.split(',').map(Number) as [number, number, number, number, number];
  return endpointToString(6, { a0, a1, a2, a3, port });
}

function bySeverity(findings: readonly { severity: Severity }[]): Record<Severity, number> {
  const out = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}

/** One finding's identity across looks: its kind, where, and which side or cause. */
function findingKey(f: ReportFinding): string {
  const c = f.counts;
  return `${f.kind}|${f.endpoint ?? ''}|${String(c.side ?? '')}|${String(c.resetBy ?? '')}|${String(c.origin ?? '')}|${String(c.cause ?? '')}`;
}

/** The closing states a side can be stuck in, and the threshold of each. */
function stuckSeconds(state: TcpState, config: DetectConfig): number {
  switch (state) {
    case TcpState.CLOSE_WAIT: return config.closeWait.seconds;
    case TcpState.FIN_WAIT_1: return config.finWait1.seconds;
    case TcpState.CLOSING: return config.finWait1.seconds;
    case TcpState.FIN_WAIT_2: return config.finWait2.seconds;
    case TcpState.LAST_ACK: return config.lastAck.seconds;
    default: return Infinity;
  }
}

/** An evidence store that holds nothing: the copies of the detectors that looks hand live connections to cite no packets. */
const NO_EVIDENCE = { get: () => null, direction: () => null, releaseAll: () => {} } as unknown as EvidenceStore;

class Watcher {
  /** Capture time of the next look (-Infinity until the first record sets the grid). */
  nextLook = -Infinity;
  private readonly emitted = new Map<string, FindingEvent>();
  private lastSnapshot: SnapshotEvent | null = null;
  private stateEvents = 0;
  private omitted = 0;
  private readonly views: Connection[];

  /** `stuck`: connection ids reported stuck, and a bit per side and state; their later changes are events too. Bounded by live connections. */
  constructor(private readonly stage: PacketStage, private readonly conns: ConnectionStage,
    private readonly evidence: EvidenceStore | null, private readonly config: DetectConfig | false, private readonly msl: number,
    private readonly interval: number, private readonly sink: WatchSink, readonly events: boolean, private readonly stuck: Map<number, number>) {
    this.views = stage.table.tables.map((t) => new Connection(t!.rows, 0, t!.partition));
  }

  progress(packets: number): WatchProgress {
    return { packets, snapshot: this.lastSnapshot, findings: [...this.emitted.values()] };
  }

  /** After a TCP segment was applied: a notable state change is an event. Read from the rows: this runs per segment. */
  segment(): void {
    const t = this.stage.table.table!;
    const i = t.rows.i;
    const ci = t.currentSlot * CONN_INTS;
    const cb = t.clientBefore;
    const sb = t.serverBefore;
    const ca = i[ci + CLIENT_STATE]!;
    const sa = i[ci + SERVER_STATE]!;
    if (ca === cb && sa === sb) return;
    const rst = (this.stage.pkt.flags & TH_RST) !== 0;
    if (!rst && this.stuck.size === 0) return;
    const c = t.current!;
    const stuck = this.stuck.has(c.id);
    if (!rst && !stuck) return;
    if (ca !== cb) this.change(c, c.client, cb, ca, rst, stuck);
    if (sa !== sb) this.change(c, c.server, sb, sa, rst, stuck);
  }

  private change(c: Connection, e: Endpoint, from: TcpState, to: TcpState, rst: boolean, stuck: boolean): void {
    let reason: StateEvent['reason'];
    if (rst && to === TcpState.CLOSED) reason = from === TcpState.SYN_SENT || from === TcpState.SYN_RCVD ? 'refused' : 'reset';
    else if (stuck) reason = 'then';
    else return;
    this.state({
      type: 'state', ts: isoTime(c.endSec + c.endNsec * 1e-9), reason, ...this.tuple(c), side: e.side === 0 ? 'client' : 'server',
      from: STATE_NAMES[from]!, to: STATE_NAMES[to]!, packet: c.lastPacket, flags: flagString(this.stage.pkt.flags),
    });
  }

  private tuple(c: Connection): { conn: number; client: string; server: string } {
    return { conn: c.id, client: endpointToString(c.family, c.client), server: endpointToString(c.family, c.server) };
  }

  private state(e: StateEvent): void {
    if (this.stateEvents >= MAX_STATE_EVENTS) {
      this.omitted++;
      return;
    }
    this.stateEvents++;
    this.sink.event(e);
  }

  /**
   * A look at the capture as of `now` (the time of the first record at or past the grid point,
   * before it is applied): live findings, stuck sides, and a snapshot.
   */
  look(now: number, packets: number, wall: WallClock): void {
    const first = this.nextLook === -Infinity;
    // The grid: whole multiples of the interval, so that two captures of the same moments line up.
    this.nextLook = (Math.floor(now / this.interval) + 1) * this.interval;
    if (first) return;
    const config = this.config;
    const copy = config !== false && this.conns.detectors !== null ? this.copyDetectors() : null;
    const pairs = new Uint32Array(STATE_COUNT * STATE_COUNT);
    const serverCounts = new Map<number | string, number>();
    const listeners = new Set<number | string>();
    let live = 0;
    const tables = this.stage.table.tables;
    for (let k = 0; k < tables.length; k++) {
      const t = tables[k];
      if (!t) continue;
      const c = this.views[k]!;
      for (const slot of t.liveSlots()) {
        c.at(slot);
        live++;
        const cl = c.client;
        const sv = c.server;
        pairs[cl.state * STATE_COUNT + sv.state]!++;
        const key = endpointKey(c.family, sv);
        serverCounts.set(key, (serverCounts.get(key) ?? 0) + 1);
        if (sv.synAckSent) listeners.add(key);
        if (config !== false) {
          this.stuckSide(c, cl, now, config);
          this.stuckSide(c, sv, now, config);
          if (copy !== null && this.settled(c, now, config)) this.handOver(copy, c, now);
        }
      }
    }
    if (copy !== null && config !== false) this.compare(copy, listeners, config, now);
    const states: Record<string, number> = {};
    const cells: [string, number][] = [];
    for (let a = 0; a < STATE_COUNT; a++) {
      for (let b = 0; b < STATE_COUNT; b++) if (pairs[a * STATE_COUNT + b]! > 0) cells.push([`${STATE_NAMES[a]}/${STATE_NAMES[b]}`, pairs[a * STATE_COUNT + b]!]);
    }
    cells.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
    for (const [name, n] of cells) states[name] = n;
    const top = [...serverCounts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).slice(0, TOP_SERVERS)
      .map(([key, n]) => ({ endpoint: keyName(key), live: n }));
    const snapshot: SnapshotEvent = {
      type: 'snapshot', ts: isoTime(now), packets, tcpPackets: this.stage.tcpPackets, finished: this.conns.connections, live, states,
      findings: bySeverity([...this.emitted.values()]), servers: top, stateEventsOmitted: this.omitted, wall,
    };
    this.lastSnapshot = snapshot;
    this.sink.event(snapshot);
    this.stateEvents = 0;
    this.omitted = 0;
  }

  /** A side in a closing state past its threshold is reported stuck, once. */
  private stuckSide(c: Connection, e: Endpoint, now: number, config: DetectConfig): void {
    const s = e.state;
    const held = now - e.stateSince;
    if (held < stuckSeconds(s, config)) return;
    const mark = (e.side * STATE_COUNT + s) + 1;
    const was = this.stuck.get(c.id);
    if (was !== undefined && (was & (1 << mark)) !== 0) return;
    this.stuck.set(c.id, (was ?? 0) | (1 << mark));
    const from = this.previousState(c, e);
    this.state({
      type: 'state', ts: isoTime(now), reason: 'stuck', ...this.tuple(c), side: e.side === 0 ? 'client' : 'server',
      from: from === null ? '?' : STATE_NAMES[from]!, to: STATE_NAMES[s]!, since: isoTime(e.stateSince), seconds: Math.round(held * 1000) / 1000,
    });
  }

  /** The state a side was in before its current one, from the connection's history. */
  private previousState(c: Connection, e: Endpoint): TcpState | null {
    const t = this.stage.table.tables[c.partition]!;
    const out: number[] = [];
    t.transitionsNow(c, out);
    let from: TcpState | null = null;
    for (let k = 0; k + TRANSITION_FIELDS <= out.length; k += TRANSITION_FIELDS) {
      const packed = out[k + 3]!;
      if (transitionSide(packed) === e.side && transitionTo(packed) === e.state) from = transitionFrom(packed) as TcpState;
    }
    return from;
  }

  /**
   * Whether a live connection is handed to the copy of the detectors as though it ended now: only
   * when something about it can no longer be undone by later packets, so that a look does not
   * report what the end of the capture would (a window closed this instant, a SYN sent a moment
   * ago): both sides over (CLOSED, TIME_WAIT) and not by an orderly close (refused, reset: an
   * orderly close is counted when it leaves the table, 2MSL later, as most connections of a busy
   * capture are in TIME_WAIT at any moment), a side held in a closing state past its threshold,
   * a handshake still incomplete slowHandshake.seconds after the SYN, a window closed for
   * zeroWindow.seconds, or retransmission timeouts or unanswered probes past their thresholds.
   */
  private settled(c: Connection, now: number, config: DetectConfig): boolean {
    if (isOver(c)) return !endedNormally(c);
    const cl = c.client;
    const sv = c.server;
    if (now - cl.stateSince >= stuckSeconds(cl.state, config) || now - sv.stateSince >= stuckSeconds(sv.state, config)) return true;
    if ((cl.state === TcpState.SYN_SENT || sv.state === TcpState.SYN_RCVD) && now - (c.startSec + c.startNsec * 1e-9) >= config.slowHandshake.seconds) return true;
    for (const e of [cl, sv]) {
      if (e.zeroWindowSince >= 0 && now - e.zeroWindowSince >= config.zeroWindow.seconds) return true;
      if (e.rtoBackoff >= config.rtoBackoff.timeouts || e.unanswered >= config.halfOpen.unanswered) return true;
    }
    return false;
  }

  /** Hands `c` to the copy as finished at `now`, leaving its row as it was (the copy's finished() counts its dwell up to now). */
  private handOver(copy: DetectorsLike, c: Connection, now: number): void {
    const saved = [c.client, c.server].map((e) => [e.stateSince, e.closeWaitSeconds, e.finWait1Seconds, e.finWait2Seconds, e.lastAckSeconds] as const);
    copy.finished(c, now);
    [c.client, c.server].forEach((e, k) => {
      const s = saved[k]!;
      e.stateSince = s[0];
      e.closeWaitSeconds = s[1];
      e.finWait1Seconds = s[2];
      e.finWait2Seconds = s[3];
      e.lastAckSeconds = s[4];
    });
  }

  /**
   * The detectors as they stand, copied: the live connections are handed to the copy, and its
   * findings read, without touching what the final report is made of (findings() itself marks
   * flooded servers and scanners, which must happen once, at the end).
   */
  private copyDetectors(): DetectorsLike {
    const memo = new Map<object, unknown>();
    if (this.evidence !== null) memo.set(this.evidence, NO_EVIDENCE);
    if (this.config !== false) memo.set(this.config, this.config);
    return copyGraph(this.conns.detectors!, memo) as DetectorsLike;
  }

  private compare(copy: DetectorsLike, liveListeners: Set<number | string>, config: DetectConfig, now: number): void {
    const listeners = this.conns.listeners;
    const found = copy.findings((k) => listeners.has(k) || liveListeners.has(k), this.conns.servers.report());
    this.emit(found.map((f) => ({ ...f, evidence: [] })), config, isoTime(now));
  }

  private emit(found: Finding[], config: DetectConfig, ts: string): void {
    this.announce(reportFindings(found, { config, msl: this.msl }), ts);
  }

  /** Each finding new, or at a new severity, is an event; the ones seen are kept in the report's order. */
  private announce(findings: readonly ReportFinding[], ts: string): void {
    let changed = false;
    for (const f of findings) {
      const key = findingKey(f);
      const was = this.emitted.get(key);
      if (was !== undefined && was.severity === f.severity) continue;
      const e: FindingEvent = {
        type: 'finding', ts, kind: f.kind, severity: f.severity, was: was?.severity ?? null, endpoint: f.endpoint,
        side: typeof f.counts.side === 'string' ? f.counts.side : typeof f.counts.resetBy === 'string' ? f.counts.resetBy : null,
        summary: f.summary, connections: typeof f.counts.connections === 'number' ? f.counts.connections : f.connections.length,
        first: f.first ? isoTime(f.first.sec + f.first.nsec * 1e-9) : null, last: f.last ? isoTime(f.last.sec + f.last.nsec * 1e-9) : null,
        counts: f.counts,
      };
      this.emitted.set(key, e);
      this.sink.event(e);
      changed = true;
    }
    if (!changed) return;
    const sorted = [...this.emitted].sort((x, y) => SEVERITIES.indexOf(x[1].severity) - SEVERITIES.indexOf(y[1].severity));
    this.emitted.clear();
    for (const [k, v] of sorted) this.emitted.set(k, v);
  }

  /** At the end: the report's own findings, for those no look found (or found at another severity). */
  final(report: Report, reading: Reading): void {
    if (this.config !== false) this.announce(report.findings, isoTime(reading.endTime));
  }

}

interface DetectorsLike {
  finished(c: Connection, now: number): void;
  findings(listening: (key: number | string) => boolean, servers: ServerTableReport): Finding[];
}

/**
 * A deep copy of an object graph of plain data and class instances (their prototypes kept, shared
 * references kept shared): Maps, Sets, arrays and typed arrays are copied, functions shared.
 * `memo` may map objects to what stands for them in the copy.
 */
function copyGraph(v: unknown, memo: Map<object, unknown>): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const seen = memo.get(v);
  if (seen !== undefined) return seen;
  if (ArrayBuffer.isView(v)) {
    const c = (v as unknown as { slice(): unknown }).slice();
    memo.set(v, c);
    return c;
  }
  if (Array.isArray(v)) {
    const c: unknown[] = new Array(v.length);
    memo.set(v, c);
    for (let k = 0; k < v.length; k++) c[k] = copyGraph(v[k], memo);
    return c;
  }
  if (v instanceof Map) {
    const c = new Map();
    memo.set(v, c);
    for (const [k, x] of v) c.set(copyGraph(k, memo), copyGraph(x, memo));
    return c;
  }
  if (v instanceof Set) {
    const c = new Set();
    memo.set(v, c);
    for (const x of v) c.add(copyGraph(x, memo));
    return c;
  }
  const c = Object.create(Object.getPrototypeOf(v) as object) as Record<PropertyKey, unknown>;
  memo.set(v, c);
  for (const k of Reflect.ownKeys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, k)!;
    if ('value' in d) d.value = copyGraph(d.value, memo);
    Object.defineProperty(c, k, d);
  }
  return c;
}
