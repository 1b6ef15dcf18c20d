import type { PacketBatch } from '../capture/index.js';
import { DecodedPacket, decodePacket, TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/index.js';
import { Detectors, type DetectConfig, endpointKey, type EvidenceStore, recordEvidence, SecondCounts, ServerTable } from '../detect/index.js';
import { Lowest } from '../lowest.js';
import {
  type Connection, ConnectionStore, Connections, type ConnectionSink, endedNormally, isOver, MptcpGroups, STATE_COUNT, type TableLimits, toRecord,
} from '../tcp/index.js';
import type { ConnectionRecord } from '../tcp/index.js';
import { ZeekTrackers, type ZeekOptions } from '../zeek/index.js';

/** Timeline buckets at most, per kind of packet: 8.5 minutes at a tick each, a day and a half at a second. */
export const MAX_TIMELINE = 131072;
/**
 * The timeline counts in ticks of 1/TIMELINE_TICKS s, so that a capture of a few seconds still has
 * bins enough to show when things happened; a longer one's buckets widen (SecondCounts) to stay bounded.
 */
export const TIMELINE_TICKS = 256;

export interface PacketStageOptions {
  msl: number;
  transitions: boolean;
  limits: TableLimits;
  /** Follow the capture as Zeek does too (its own table, bounded as ours). */
  zeek: ZeekOptions | false;
  maxRows: number;
  /** The partitions of the connection table followed here (all by default). */
  only?: readonly number[];
}

/**
 * Everything done per packet: decoding, the connection table with both state machines and
 * Wireshark's analysis, the evidence packets the detectors may cite, Zeek's model, and the
 * per-packet counts. Connections go to the sink as they finish. On one thread one instance
 * follows every partition; with --threads each worker has one for its partitions (pipeline/threads.ts).
 */
export class PacketStage {
  readonly pkt = new DecodedPacket();
  readonly table: Connections;
  readonly evidence: EvidenceStore | null;
  readonly zeek: ZeekTrackers | null;
  /** SYN, SYN,ACK, RST, FIN counts per second (only packets with one of those flags touch it). */
  readonly timeline = [0, 1, 2, 3].map(() => new SecondCounts(MAX_TIMELINE));
  /** Packets that are no TCP segment, by reason << 20 | detail. */
  readonly notDecoded = new Map<number, number>();
  tcpPackets = 0;
  ipFragments = 0;

  /** `evidence` keeps the packets the detectors may cite (null when nothing is detected). */
  constructor(options: PacketStageOptions, sink: ConnectionSink, evidence: EvidenceStore | null) {
    this.table = new Connections(options.msl, sink, options.transitions, options.limits, options.only);
    this.evidence = evidence;
    this.zeek = options.zeek ? new ZeekTrackers({ ...options.zeek, maxConnections: options.limits.maxConnections, maxRecords: options.maxRows }, options.only) : null;
  }

  /**
   * Record i of `batch`, packet number n; whether it was a TCP segment of a partition followed here
   * (the table's `current` is then its connection, `pkt` the segment). Another packet is counted only when `countsOthers`.
   */
  record(batch: PacketBatch, i: number, n: number, countsOthers: boolean): boolean {
    const p = this.pkt;
    const data = batch.data;
    const sec = batch.sec[i]!;
    const nsec = batch.nsec[i]!;
    if (decodePacket(data, batch.start[i]!, batch.caplen[i]!, batch.origLen[i]!, batch.linkType[i]!, p)) {
      const ts = sec + nsec * 1e-9;
      const t = this.table;
      if (!t.segment(p, n, sec, nsec, ts)) return false;
      if (p.fragment) this.ipFragments++;
      this.tcpPackets++;
      if ((p.flags & (TH_SYN | TH_FIN | TH_RST)) !== 0) this.count(p.flags, sec * TIMELINE_TICKS + Math.floor(nsec * (TIMELINE_TICKS / 1e9)));
      if (this.evidence !== null) recordEvidence(this.evidence, t, p, batch, i, n);
      if (this.zeek !== null) this.zeek.packet(data, p, n, ts);
      return true;
    }
    if (countsOthers) {
      if (p.fragment) this.ipFragments++;
      const key = p.reason * 0x100000 + (p.reasonDetail & 0xfffff);
      this.notDecoded.set(key, (this.notDecoded.get(key) ?? 0) + 1);
    }
    return false;
  }

  private count(flags: number, tick: number): void {
    const t = this.timeline;
    if (flags & TH_RST) t[2]!.add(tick, 1);
    else if (flags & TH_SYN) t[flags & TH_ACK ? 1 : 0]!.add(tick, 1);
    if (flags & TH_FIN) t[3]!.add(tick, 1);
  }
}

/** The timeline's bucket width in seconds: as wide as the widest of the four kinds' buckets. */
export function timelineStep(timeline: SecondCounts[]): number {
  return Math.max(...timeline.map((t) => t.width)) / TIMELINE_TICKS;
}

/** The timeline's rows, [bucket start in seconds, syn, synAck, rst, fin], on buckets timelineStep() wide. */
export function timelineRows(timeline: SecondCounts[]): [number, number, number, number, number][] {
  const width = Math.max(...timeline.map((t) => t.width));
  const rows = new Map<number, [number, number, number, number, number]>();
  timeline.forEach((t, k) => {
    t.widen(width);
    for (const [sec, n] of t.buckets()) {
      let row = rows.get(sec);
      if (row === undefined) rows.set(sec, (row = [sec / TIMELINE_TICKS, 0, 0, 0, 0]));
      row[k + 1] += n;
    }
  });
  return [...rows.values()].sort((x, y) => x[0] - y[0]);
}

/** Keeps the lowest ids of each class, in bounded memory, whatever order connections finish in. */
class NotableList {
  private readonly abnormal: Lowest<ConnectionRecord>;
  private readonly normal: Lowest<ConnectionRecord>;

  constructor(private readonly limit: number) {
    this.abnormal = new Lowest(limit, (c) => c.id);
    this.normal = new Lowest(limit, (c) => c.id);
  }

  add(c: Connection, normal: boolean): void {
    const list = normal ? this.normal : this.abnormal;
    if (list.admits(c.id)) list.add(toRecord(c));
  }

  rows(): ConnectionRecord[] {
    const a = this.abnormal.sorted();
    return [...a, ...this.normal.sorted().slice(0, Math.max(0, this.limit - a.length))];
  }
}

export interface ConnectionStageOptions {
  keep: 'all' | 'notable';
  transitions: boolean;
  notableLimit: number;
  maxRows: number;
  detect: DetectConfig | false;
  msl: number;
}

/** Listening endpoints remembered at most (a capture of a million listeners is a scan of them, not a report's fact). */
export const MAX_LISTENERS = 1 << 20;

/**
 * Everything done per connection once it has finished: the end-state matrix and counts, the rows
 * kept for the report, and the detectors. It must see the connections in one order whatever the
 * threads (pipeline/threads.ts merges the workers' into it), since some detectors count in order.
 */
export class ConnectionStage implements ConnectionSink {
  readonly store: ConnectionStore | null;
  readonly notable: NotableList;
  readonly matrix = new Uint32Array(STATE_COUNT * STATE_COUNT);
  readonly detectors: Detectors | null;
  abnormal = 0;
  openAtEnd = 0;
  roleInferred = 0;
  stateInferred = 0;
  connections = 0;
  /** Connections followed at once now, and at most. */
  private live = 0;
  peakLive = 0;
  private readonly maxRows: number;
  /** Connections by where their handshake says the capture was taken (Vantage). */
  readonly vantages = [0, 0, 0, 0];
  /** Server endpoints (endpointKey) that answered a SYN with a SYN,ACK: seen listening. Bounded: past MAX_LISTENERS no more are added. */
  readonly listeners = new Set<number | string>();
  /** The MPTCP subflows seen, to be numbered by MPTCP connection at the end. */
  readonly mptcp = new MptcpGroups();
  /** Connections by server endpoint (analyze's by-server section). */
  readonly servers = new ServerTable();

  /** `evidence` is where the detectors find the packets the connections hold. */
  constructor(options: ConnectionStageOptions, evidence: EvidenceStore | null) {
    this.maxRows = options.maxRows;
    this.store = options.keep === 'all' ? new ConnectionStore(options.transitions) : null;
    this.notable = new NotableList(options.notableLimit);
    this.detectors = options.detect && evidence !== null ? new Detectors(options.detect, options.msl, evidence) : null;
  }

  started(): void {
    if (++this.live > this.peakLive) this.peakLive = this.live;
  }

  finished(c: Connection, now: number): void {
    this.live--;
    this.connections++;
    const a = c.client.state;
    const b = c.server.state;
    this.matrix[a * STATE_COUNT + b]!++;
    const normal = endedNormally(c);
    if (!normal) this.abnormal++;
    if (!isOver(c)) this.openAtEnd++;
    if (c.roleInferred) this.roleInferred++;
    if (c.stateInferred) this.stateInferred++;
    this.vantages[c.vantage]!++;
    if (c.server.synAckSent && this.listeners.size < MAX_LISTENERS) this.listeners.add(endpointKey(c.family, c.server));
    const mptcp = c.mptcp();
    if (mptcp !== null) this.mptcp.add(c.id, mptcp);
    this.servers.connection(c);
    this.detectors?.finished(c, now);
    if (c.id <= this.maxRows) {
      this.store?.add(c);
      this.notable.add(c, normal);
    }
  }
}
