import type { CaptureInput, PcapReaderName } from './capture/index.js';
import { decodesLinkType, linkTypeName, notDecodedName } from './decode/index.js';
import { DEFAULT_LIMITS, STATE_COUNT } from './tcp/index.js';
import { DEFAULT_CONFIG, type DetectConfig, endpointKey, EvidenceStore } from './detect/index.js';
import { reportFindings } from './report/findings.js';
import { ConnectionStage, MAX_TIMELINE, PacketStage, type PacketStageOptions, timelineRows, timelineStep } from './pipeline/stages.js';
import { Threads, workerCount } from './pipeline/threads.js';
import { collectGraphs } from './report/graphs.js';
import { drive, type Pass } from './pipeline/drive.js';
import type { WorkerTotals } from './pipeline/worker.js';
import { SecondCounts } from './detect/seconds.js';
import { mergeZeekRecords } from './zeek/index.js';
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { TOOL_NAME, VERSION } from './version.js';
import type { CapturePoint, Report } from './report/model.js';
import type { ZeekOptions, ZeekRecord } from './zeek/index.js';

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
  /**
   * Worker threads that follow the connections (the partitions of the table are shared among them);
   * 'auto' (the default): one thread, unless there are AUTO_THREADS_FROM_CORES cores or more and the
   * capture is a file of 64 MB or more, or standard input; then one per core. Every report is the
   * same whatever the number.
   */
  threads?: number | 'auto';
  /** Which code reads classic pcap: tcpstate's own (default) or the pcap-parser package, its reference. */
  reader?: PcapReaderName;
  /** Called every 65,536 packets with the packets read and the bytes read of the inputs so far (for a progress line). */
  onProgress?: ((packets: number, bytes: number) => void) | null;
  /**
   * Read the captures a second time for the segments of the connections an HTML page graphs (those
   * in findings and the first ones: report/graphs.ts). Needs every connection kept; not for stdin.
   */
  graphs?: boolean;
}

/** RECORD_BYTES (216) each (see tcp/store.ts): 216 MB for a million rows. */
export const DEFAULT_MAX_ROWS = 1_000_000;

const DEFAULTS: Required<AnalyzeOptions> = {
  msl: 30, keep: 'all', transitions: false, notableLimit: 20, zeek: false, detect: DEFAULT_CONFIG, onProgress: null,
  maxConnections: DEFAULT_LIMITS.maxConnections, idleTimeout: DEFAULT_LIMITS.idleTimeout, maxRows: DEFAULT_MAX_ROWS, reader: 'tcpstate', threads: 'auto',
  graphs: false,
};

/**
 * Reads the captures (merged by timestamp when there are several), tracks both endpoints
 * of every TCP connection and returns the report model that renderers turn into text or JSON.
 * A capture that cannot be read to its end yields the report of what came before, with `damage` set.
 */
export async function analyze(inputs: readonly CaptureInput[], options: AnalyzeOptions = {}): Promise<Report> {
  const run = prepareAnalysis(inputs, options);
  const { opts, packetOptions, evidence, conns, paths } = run;
  const limits = packetOptions.limits;
  const threads = opts.threads === 'auto' ? autoThreads(inputs) : opts.threads;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a whole number of at least 1, not ${threads}`);
  const workers = workerCount(threads, limits);
  let totals: PacketTotals;
  let pass: Pass;
  if (workers === 1) {
    const stage = new PacketStage(packetOptions, conns, evidence);
    pass = await drive(inputs, { packet: (batch, i, n) => stage.record(batch, i, n, true) }, { reader: opts.reader, onProgress: opts.onProgress });
    stage.table.flush(pass.reading.endTime);
    totals = stageTotals(stage);
  } else {
    const mt = new Threads(workers, packetOptions, conns, evidence, paths);
    // An input the evidence can be read from again is named by its index; standard input by -1.
    pass = await drive(inputs, {
      packet: (batch, i, n, source) => mt.record(batch, i, batch.path === null ? -1 : source, n),
      batch: (batch, source, first) => mt.batch(batch, batch.path === null ? -1 : source, first),
    }, { reader: opts.reader, onProgress: opts.onProgress, abort: () => mt.abort() });
    totals = addTotals(await mt.finish(pass.reading.endTime), opts.maxRows);
  }
  return assembleReport(run, inputs, pass, totals);
}

/** analyze's options checked and filled in, and the stages a pass hands its packets and connections to. */
export interface AnalysisRun {
  opts: Required<AnalyzeOptions>;
  packetOptions: PacketStageOptions;
  /** The packets the detectors may cite (null when nothing is detected). */
  evidence: EvidenceStore | null;
  conns: ConnectionStage;
  /** Each input's path, null for standard input and streams. */
  paths: (string | null)[];
}

/** The stages of one analysis, built from its options (watch.ts drives them too, on one thread). */
export function prepareAnalysis(inputs: readonly CaptureInput[], options: AnalyzeOptions = {}): AnalysisRun {
  const opts: Required<AnalyzeOptions> = { ...DEFAULTS, ...options };
  if (!(opts.msl >= 0) || !Number.isFinite(opts.msl)) throw new RangeError(`msl must be a non-negative number of seconds, not ${opts.msl}`);
  if (!Number.isInteger(opts.maxConnections) || opts.maxConnections < 1) throw new RangeError(`maxConnections must be a whole number of at least 1, not ${opts.maxConnections}`);
  if (!Number.isInteger(opts.maxRows) || opts.maxRows < 1) throw new RangeError(`maxRows must be a whole number of at least 1, not ${opts.maxRows}`);
  if (!(opts.idleTimeout >= 0)) throw new RangeError(`idleTimeout must be a non-negative number of seconds, not ${opts.idleTimeout}`);
  const packetOptions: PacketStageOptions = {
    msl: opts.msl, transitions: opts.transitions, limits: { maxConnections: opts.maxConnections, idleTimeout: opts.idleTimeout },
    zeek: zeekOptions(opts.zeek), maxRows: opts.maxRows,
  };
  const paths = inputs.map((i) => (typeof i === 'string' && i !== '-' ? i : null));
  const evidence = opts.detect !== false ? new EvidenceStore(paths.map((p) => p ?? '')) : null;
  const conns = new ConnectionStage(
    { keep: opts.keep, transitions: opts.transitions, notableLimit: opts.notableLimit, maxRows: opts.maxRows, detect: opts.detect, msl: opts.msl }, evidence);
  return { opts, packetOptions, evidence, conns, paths };
}

/** What the per-packet stage counted on one thread, once the table is flushed. */
export function stageTotals(stage: PacketStage): PacketTotals {
  return {
    tcpPackets: stage.tcpPackets, ipFragments: stage.ipFragments, notDecoded: stage.notDecoded, timeline: stage.timeline,
    evictedIdle: stage.table.evictedIdle, evictedFull: stage.table.evictedFull, zeek: stage.zeek ? stage.zeek.finish() : null,
  };
}

/** The report model of a pass that has ended (the table flushed): what every renderer is given. */
export async function assembleReport(run: AnalysisRun, inputs: readonly CaptureInput[], pass: Pass, totals: PacketTotals): Promise<Report> {
  const { opts, conns } = run;
  const { reading, infos, precision, damage } = pass;
  const a = {
    packets: reading.packets, tcpPackets: totals.tcpPackets, ipFragments: totals.ipFragments, notDecoded: totals.notDecoded,
    connections: conns.connections, abnormal: conns.abnormal, openAtEnd: conns.openAtEnd, roleInferred: conns.roleInferred,
    stateInferred: conns.stateInferred, peakLive: conns.peakLive, matrix: conns.matrix, store: conns.store,
  };
  const notDecoded: Record<string, number> = {};
  for (const [key, count] of [...a.notDecoded.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])) {
    const name = notDecodedName(Math.floor(key / 0x100000), key % 0x100000);
    notDecoded[name] = (notDecoded[name] ?? 0) + count;
  }
  const matrix: number[][] = [];
  for (let c = 0; c < STATE_COUNT; c++) matrix.push(Array.from(a.matrix.subarray(c * STATE_COUNT, (c + 1) * STATE_COUNT)));
  const store = a.store;
  const listeners = conns.listeners;
  const servers = conns.servers.report();
  const report: Report = {
    tool: { name: TOOL_NAME, version: VERSION },
    capturePoint: capturePoint(conns.vantages),
    listenerSeen: (c) => listeners.has(endpointKey(c.family, c.server)),
    inputs: infos.map((i) => ({
      file: i.file, format: i.format, compressed: i.compressed, precision: i.precision,
      linkTypes: i.linkTypes.map(linkTypeName), linkTypesNotDecoded: i.linkTypes.filter((t) => !decodesLinkType(t)).map(linkTypeName), packets: i.packets,
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
      firstTs: a.packets ? { sec: reading.firstSec, nsec: reading.firstNsec } : null,
      lastTs: a.packets ? { sec: reading.lastSec, nsec: reading.lastNsec } : null,
      limits: {
        maxConnections: opts.maxConnections,
        idleTimeout: opts.idleTimeout > 0 && Number.isFinite(opts.idleTimeout) ? opts.idleTimeout : null,
        peakLive: a.peakLive,
        evictedIdle: totals.evictedIdle,
        evictedFull: totals.evictedFull,
        maxRows: opts.maxRows,
        summarised: opts.keep === 'all' || totals.zeek !== null ? Math.max(0, a.connections - opts.maxRows) : 0,
      },
    },
    matrix,
    notable: conns.notable.rows(),
    connections: store ? () => store.byId() : null,
    transitionsKept: opts.transitions,
    storeBytes: store ? store.bytes : 0,
    damage,
    zeek: totals.zeek,
    mptcp: conns.mptcp.resolve(),
    findings: conns.detectors && opts.detect ? reportFindings(conns.detectors.findings((key) => listeners.has(key), servers), { config: opts.detect, msl: opts.msl }) : [],
    thresholds: opts.detect || null,
    timeline: timelineRows(totals.timeline),
    timelineStep: timelineStep(totals.timeline),
    servers,
    graphs: null,
  };
  if (opts.graphs) report.graphs = await collectGraphs(inputs, report);
  return report;
}

function capturePoint(v: readonly number[]): CapturePoint {
  const [unknown, nearClient, nearServer, between] = v as [number, number, number, number];
  const most = Math.max(nearClient, nearServer, between);
  const estimate = most === 0 ? null : nearClient === most ? 'client' : nearServer === most ? 'server' : 'between';
  return { estimate, nearClient, nearServer, between, unknown };
}

/** Zeek's options from analyze's: `true` is Zeek run as `zeek -C` (checksums not checked). */
function zeekOptions(z: boolean | ZeekOptions): ZeekOptions | false {
  if (z === false) return false;
  return z === true ? { ignoreChecksums: true } : z;
}

/** What the per-packet stage counted, on one thread or added up over the workers. */
export interface PacketTotals {
  tcpPackets: number;
  ipFragments: number;
  notDecoded: Map<number, number>;
  timeline: SecondCounts[];
  evictedIdle: number;
  evictedFull: number;
  zeek: ZeekRecord[] | null;
}

function addTotals(parts: WorkerTotals[], maxRows: number): PacketTotals {
  const t: PacketTotals = {
    tcpPackets: 0, ipFragments: 0, notDecoded: new Map(), timeline: [0, 1, 2, 3].map(() => new SecondCounts(MAX_TIMELINE)),
    evictedIdle: 0, evictedFull: 0, zeek: null,
  };
  for (const p of parts) {
    t.tcpPackets += p.tcpPackets;
    t.ipFragments += p.ipFragments;
    for (const [k, n] of p.notDecoded) t.notDecoded.set(k, (t.notDecoded.get(k) ?? 0) + n);
    p.timeline.forEach((d, k) => t.timeline[k]!.merge(d));
    t.evictedIdle += p.evictedIdle;
    t.evictedFull += p.evictedFull;
  }
  if (parts[0]?.zeek) t.zeek = mergeZeekRecords(parts.map((p) => p.zeek as ZeekRecord[]), maxRows);
  return t;
}

/** Captures this large (in all) are followed on every core when the number of threads is left to tcpstate. */
const THREADS_FROM_BYTES = 64 << 20;

/**
 * Below this many cores, 'auto' stays on one thread: on two, the workers (each decoding every
 * packet, and handing every connection back) measured slower than one thread (README, Performance).
 */
export const AUTO_THREADS_FROM_CORES = 4;

function autoThreads(inputs: readonly CaptureInput[]): number {
  const cores = availableParallelism();
  if (cores < AUTO_THREADS_FROM_CORES) return 1;
  let bytes = 0;
  for (const i of inputs) {
    if (i === '-') return cores;
    if (typeof i !== 'string') continue;
    try {
      bytes += statSync(i).size;
    } catch {
      // Unreadable: the reader says so, with its position.
    }
  }
  return bytes >= THREADS_FROM_BYTES ? cores : 1;
}
