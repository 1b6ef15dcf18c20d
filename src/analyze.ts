import { CaptureError, type CaptureInput, finerPrecision, type InputInfo, type PacketBatch, type PcapReaderName, type Precision, readCaptures, type RecordSink } from './capture/index.js';
import { DecodedPacket, decodePacket, linkTypeName, notDecodedName } from './decode/index.js';
import { TH_ACK, TH_FIN, TH_RST, TH_SYN } from './decode/packet.js';
import { type Connection, ConnectionStore, Connections, type ConnectionSink, DEFAULT_LIMITS, endedNormally, isOver, STATE_COUNT, toRecord } from './tcp/index.js';
import type { ConnectionRecord } from './tcp/index.js';
import { DEFAULT_CONFIG, type DetectConfig, Detectors, type Finding, SecondCounts } from './detect/index.js';
import { EvidencePrinter } from './print.js';
import { Lowest } from './lowest.js';
import { TOOL_NAME, VERSION } from './version.js';
import { ZeekTracker, type ZeekOptions, type ZeekRecord } from './zeek/conn.js';

export interface AnalyzeOptions {
  /** Maximum segment lifetime in seconds; TIME_WAIT lasts 2×MSL. Default 30 (Linux's 60 s TIME_WAIT). */
  msl?: number;
  /** Keep every connection (for JSON and `--all`) or only the notable ones (bounded memory). Default 'all'. */
  keep?: 'all' | 'notable';
  /** Keep each connection's transitions for the report. Default false. */
  transitions?: boolean;
  /** How many notable connections of each kind (abnormal, normal) to keep. Default 20. */
  notableLimit?: number;
  /**
   * Also follow the capture as Zeek does, for its conn.log records and each connection's Zeek
   * conn_state/history (false by default: it costs about as much as the rest of the analysis).
   */
  zeek?: boolean | ZeekOptions;
  /** Detector thresholds (see detect/config.ts); false to detect nothing. Default DEFAULT_CONFIG. */
  detect?: DetectConfig | false;
  /**
   * Connections followed at once; when the table is full, the least recently active one is evicted
   * with its last states. Default 50,000.
   */
  maxConnections?: number;
  /**
   * Connections that keep a row of their own in the report (the first ones; with `keep: 'all'`, and
   * Zeek records): the rest are counted in the totals, end states, timeline and findings only. Default 1,000,000.
   */
  maxRows?: number;
  /** Seconds without a packet after which a connection is evicted with its last states (0: never). Default 10,800 (3 h). */
  idleTimeout?: number;
  /** Which code reads classic pcap: tcpstate's own (default) or the pcap-parser package, its reference. */
  reader?: PcapReaderName;
  /** Called every 65,536 packets with the packets read and the bytes read of the inputs so far (for a progress line). */
  onProgress?: ((packets: number, bytes: number) => void) | null;
}

export interface Timestamp {
  sec: number;
  nsec: number;
}

export interface InputReport {
  file: string;
  format: 'pcap' | 'pcapng' | 'unknown';
  compressed: boolean;
  precision: Precision;
  linkTypes: string[];
  packets: number;
}

export interface Summary {
  packets: number;
  tcpPackets: number;
  notDecoded: Record<string, number>;
  ipFragments: number;
  connections: number;
  /** Connections that did not end normally (resets, half-closed, unanswered, ...). */
  abnormal: number;
  /** Connections still open (not CLOSED/TIME_WAIT on both sides) at the end of the capture. */
  openAtEnd: number;
  roleInferred: number;
  stateInferred: number;
  firstTs: Timestamp | null;
  lastTs: Timestamp | null;
  limits: LimitsSummary;
}

/** What the connection table's bounds did to this analysis. */
export interface LimitsSummary {
  maxConnections: number;
  /** Seconds, or null for never. */
  idleTimeout: number | null;
  /** The most connections followed at once. */
  peakLive: number;
  /** Connections that left the table while still open, for lack of packets or of room; their last states count as their end states. */
  evictedIdle: number;
  evictedFull: number;
  maxRows: number;
  /** Connections after the first maxRows, when rows are kept: counted in every total and finding, but without a row of their own. */
  summarised: number;
}

/** One evidence packet of a finding, printed as `tcpstate print` prints it. */
export interface EvidenceLine {
  packet: number;
  ts: Timestamp;
  line: string;
}

export interface ReportFinding extends Omit<Finding, 'evidence'> {
  evidence: EvidenceLine[];
}

export interface Report {
  tool: { name: string; version: string };
  inputs: InputReport[];
  /** The finest timestamp precision among the inputs; timestamps are printed with it. */
  precision: Precision;
  msl: number;
  summary: Summary;
  /** End-state counts: matrix[clientState][serverState]. */
  matrix: number[][];
  /** Connections that did not end normally, then the others; each list in id order and bounded. */
  notable: ConnectionRecord[];
  /** Every connection in id order, when the analysis kept them all (`keep: 'all'`). */
  connections: (() => Iterable<ConnectionRecord>) | null;
  transitionsKept: boolean;
  /** Bytes kept per finished connection in the compact store. */
  storeBytes: number;
  /** Why reading stopped early, if it did; everything before it is in the report. */
  damage: CaptureError | null;
  /** Zeek's conn.log records for the TCP connections, when asked for (`zeek` option), in order of first packet. */
  zeek: ZeekRecord[] | null;
  /** Findings, most severe first; empty when detection was turned off. */
  findings: ReportFinding[];
  /** The thresholds the findings were judged by (null when detection was off). */
  thresholds: DetectConfig | null;
  /** Per second of capture time: SYNs, SYN,ACKs, RSTs and FINs seen ([second, syn, synAck, rst, fin]), in time order. */
  timeline: [number, number, number, number, number][];
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

class Analysis implements RecordSink, ConnectionSink {
  readonly pkt = new DecodedPacket();
  readonly table: Connections;
  readonly store: ConnectionStore | null;
  readonly notable: NotableList;
  readonly matrix = new Uint32Array(STATE_COUNT * STATE_COUNT);
  readonly zeek: ZeekTracker | null;
  readonly detectors: Detectors | null;
  readonly onProgress: ((packets: number, bytes: number) => void) | null;
  /** SYN, SYN,ACK, RST, FIN counts per second (only packets with one of those flags touch it). */
  readonly timeline = [0, 1, 2, 3].map(() => new SecondCounts(MAX_TIMELINE));
  /** How far each input has been read, for progress. */
  private readonly offsets: number[] = [];
  readonly notDecoded = new Map<number, number>();
  packets = 0;
  tcpPackets = 0;
  ipFragments = 0;
  firstSec = Infinity;
  firstNsec = 0;
  lastSec = -Infinity;
  lastNsec = 0;
  abnormal = 0;
  openAtEnd = 0;
  roleInferred = 0;
  stateInferred = 0;
  connections = 0;
  readonly maxRows: number;

  constructor(options: Required<AnalyzeOptions>) {
    this.maxRows = options.maxRows;
    this.table = new Connections(options.msl, this, options.transitions, { maxConnections: options.maxConnections, idleTimeout: options.idleTimeout });
    this.store = options.keep === 'all' ? new ConnectionStore(options.transitions) : null;
    this.notable = new NotableList(options.notableLimit);
    this.zeek = options.zeek
      ? new ZeekTracker({ maxConnections: options.maxConnections, maxRecords: options.maxRows, ...(options.zeek === true ? { ignoreChecksums: true } : options.zeek) })
      : null;
    this.detectors = options.detect ? new Detectors(options.detect, options.msl) : null;
    this.onProgress = options.onProgress;
  }

  record(batch: PacketBatch, i: number, source: number): void {
    const n = ++this.packets;
    if ((n & 0xffff) === 0 && this.onProgress !== null) this.progress(batch.offset[i]!, source);
    const sec = batch.sec[i]!;
    const nsec = batch.nsec[i]!;
    if (sec < this.firstSec || (sec === this.firstSec && nsec < this.firstNsec)) {
      this.firstSec = sec;
      this.firstNsec = nsec;
    }
    if (sec > this.lastSec || (sec === this.lastSec && nsec > this.lastNsec)) {
      this.lastSec = sec;
      this.lastNsec = nsec;
    }
    const p = this.pkt;
    const data = batch.data;
    const tcp = decodePacket(data, batch.start[i]!, batch.caplen[i]!, batch.origLen[i]!, batch.linkType[i]!, p);
    if (p.fragment) this.ipFragments++;
    if (tcp) {
      this.tcpPackets++;
      const ts = sec + nsec * 1e-9;
      const t = this.table;
      t.segment(p, n, sec, nsec, ts);
      if ((p.flags & (TH_SYN | TH_FIN | TH_RST)) !== 0) this.count(p.flags, sec);
      if (this.detectors !== null) this.detectors.segment(t, p, batch, i, n);
      if (this.zeek !== null) this.zeek.packet(data, p, n, ts);
    } else {
      const key = p.reason * 0x100000 + (p.reasonDetail & 0xfffff);
      this.notDecoded.set(key, (this.notDecoded.get(key) ?? 0) + 1);
    }
  }

  private count(flags: number, sec: number): void {
    const t = this.timeline;
    if (flags & TH_RST) t[2]!.add(sec, 1);
    else if (flags & TH_SYN) t[flags & TH_ACK ? 1 : 0]!.add(sec, 1);
    if (flags & TH_FIN) t[3]!.add(sec, 1);
  }

  /** The timeline's rows, [second, syn, synAck, rst, fin], on buckets as wide as the widest of the four. */
  timelineRows(): [number, number, number, number, number][] {
    const width = Math.max(...this.timeline.map((t) => t.width));
    const rows = new Map<number, [number, number, number, number, number]>();
    this.timeline.forEach((t, k) => {
      t.widen(width);
      for (const [sec, n] of t.buckets()) {
        let row = rows.get(sec);
        if (row === undefined) rows.set(sec, (row = [sec, 0, 0, 0, 0]));
        row[k + 1] += n;
      }
    });
    return [...rows.values()].sort((x, y) => x[0] - y[0]);
  }

  private progress(offset: number, source: number): void {
    this.offsets[source] = offset;
    let bytes = 0;
    for (const o of this.offsets) bytes += o ?? 0;
    this.onProgress!(this.packets, bytes);
  }

  /** Connections followed at once now, and at most. */
  private live = 0;
  peakLive = 0;

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
    this.detectors?.finished(c, now);
    if (c.id <= this.maxRows) {
      this.store?.add(c);
      this.notable.add(c, normal);
    }
  }
}

/** 140 bytes each (see tcp/store.ts): 140 MB for a million rows. */
export const DEFAULT_MAX_ROWS = 1_000_000;

/** Timeline buckets at most, per kind of packet: a day and a half at one second each. */
const MAX_TIMELINE = 131072;

const DEFAULTS: Required<AnalyzeOptions> = {
  msl: 30, keep: 'all', transitions: false, notableLimit: 20, zeek: false, detect: DEFAULT_CONFIG, onProgress: null,
  maxConnections: DEFAULT_LIMITS.maxConnections, idleTimeout: DEFAULT_LIMITS.idleTimeout, maxRows: DEFAULT_MAX_ROWS, reader: 'tcpstate',
};

/**
 * Reads the captures (merged by timestamp when there are several), tracks both endpoints
 * of every TCP connection and returns the report model that renderers turn into text or JSON.
 * A capture that cannot be read to its end yields the report of what came before, with `damage` set.
 */
export async function analyze(inputs: readonly CaptureInput[], options: AnalyzeOptions = {}): Promise<Report> {
  const opts: Required<AnalyzeOptions> = { ...DEFAULTS, ...options };
  if (!(opts.msl >= 0) || !Number.isFinite(opts.msl)) throw new RangeError(`msl must be a non-negative number of seconds, not ${opts.msl}`);
  if (!Number.isInteger(opts.maxConnections) || opts.maxConnections < 1) throw new RangeError(`maxConnections must be a whole number of at least 1, not ${opts.maxConnections}`);
  if (!Number.isInteger(opts.maxRows) || opts.maxRows < 1) throw new RangeError(`maxRows must be a whole number of at least 1, not ${opts.maxRows}`);
  if (!(opts.idleTimeout >= 0)) throw new RangeError(`idleTimeout must be a non-negative number of seconds, not ${opts.idleTimeout}`);
  const a = new Analysis(opts);
  let damage: CaptureError | null = null;
  const infos: InputInfo[] = [];
  try {
    await readCaptures(inputs, a, infos, opts.reader);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    damage = e;
  }
  a.table.flush(a.packets ? a.lastSec + a.lastNsec * 1e-9 : 0);
  const notDecoded: Record<string, number> = {};
  for (const [key, count] of [...a.notDecoded.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])) {
    const name = notDecodedName(Math.floor(key / 0x100000), key % 0x100000);
    notDecoded[name] = (notDecoded[name] ?? 0) + count;
  }
  const matrix: number[][] = [];
  for (let c = 0; c < STATE_COUNT; c++) matrix.push(Array.from(a.matrix.subarray(c * STATE_COUNT, (c + 1) * STATE_COUNT)));
  const precision = infos.length ? infos.reduce<Precision>((p, i) => finerPrecision(p, i.precision), 's') : 'us';
  const store = a.store;
  return {
    tool: { name: TOOL_NAME, version: VERSION },
    inputs: infos.map((i) => ({
      file: i.file, format: i.format, compressed: i.compressed, precision: i.precision,
      linkTypes: i.linkTypes.map(linkTypeName), packets: i.packets,
    })),
    precision,
    msl: opts.msl,
    summary: {
      packets: a.packets,
      tcpPackets: a.tcpPackets,
      notDecoded,
      ipFragments: a.ipFragments,
      connections: a.connections,
      abnormal: a.abnormal,
      openAtEnd: a.openAtEnd,
      roleInferred: a.roleInferred,
      stateInferred: a.stateInferred,
      firstTs: a.packets ? { sec: a.firstSec, nsec: a.firstNsec } : null,
      lastTs: a.packets ? { sec: a.lastSec, nsec: a.lastNsec } : null,
      limits: {
        maxConnections: opts.maxConnections,
        idleTimeout: opts.idleTimeout > 0 && Number.isFinite(opts.idleTimeout) ? opts.idleTimeout : null,
        peakLive: a.peakLive,
        evictedIdle: a.table.evictedIdle,
        evictedFull: a.table.evictedFull,
        maxRows: opts.maxRows,
        summarised: opts.keep === 'all' || a.zeek !== null ? Math.max(0, a.connections - opts.maxRows) : 0,
      },
    },
    matrix,
    notable: a.notable.rows(),
    connections: store ? () => store.byId() : null,
    transitionsKept: opts.transitions,
    storeBytes: store ? store.bytes : 0,
    damage,
    zeek: a.zeek ? a.zeek.finish() : null,
    findings: a.detectors ? printFindings(a.detectors.findings()) : [],
    thresholds: opts.detect || null,
    timeline: a.timelineRows(),
  };
}

function printFindings(findings: Finding[]): ReportFinding[] {
  const printer = new EvidencePrinter();
  try {
    return findings.map((f) => ({
      ...f,
      evidence: f.evidence.map((e) => ({ packet: e.packet, ts: { sec: e.sec, nsec: e.nsec }, line: printer.line(e) })),
    }));
  } finally {
    printer.close();
  }
}
